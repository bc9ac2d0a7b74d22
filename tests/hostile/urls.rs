//! Every URL field an import can fill, with every dangerous scheme spelling: refused at
//! import, naming the file, with the store unchanged. Spellings a browser would read as
//! http(s) with something odd after the scheme may be accepted, and are then rendered as
//! inert links (checked on the served pages).

use crate::harness::*;
use crate::scripts::assert_inert;

/// Scheme spellings a browser follows to run script or read what it should not, and
/// addresses that are not absolute web addresses at all.
pub const DANGEROUS: &[&str] = &[
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "\njavascript:alert(1)",
    "\u{feff}javascript:alert(1)",
    "\u{1}javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java\rscript:alert(1)",
    "javascript://%0aalert(1)",
    "javascript&#58;alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    " data:image/svg+xml,<svg onload=alert(1)>",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "file:///etc/passwd",
    "FILE://localhost/etc/passwd",
    "//evil.example/x",
    "\\\\evil.example\\x",
    "/relative/path",
    "../../etc/passwd",
    "ftp://example.org/x",
    "blob:https://example.org/uuid",
    "about:blank",
    "view-source:https://example.org/",
    "jar:https://example.org/x!/",
    "intent://x#Intent;scheme=javascript;end",
    "mailto:someone@example.org",
    "https:",
    "http://",
    "",
];

/// http(s) addresses with something a careless renderer would let out of its attribute.
const ODD_BUT_WEB: &[&str] = &[
    "https://example.org/\"><script>alert(1)</script>",
    "https://example.org/' onmouseover='alert(1)",
    "HTTPS://EXAMPLE.ORG/Path",
    "https://example.org/?q=<img src=x onerror=alert(1)>",
];

/// TOML's basic string for any text.
pub fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The ways an import puts a URL into a record: the file's name, its bytes and the
/// command that imports it.
fn vehicles(url: &str) -> Vec<(String, String, Vec<String>)> {
    let u = toml_str(url);
    let source = format!("sources = [{{ title = \"A source\", url = {u} }}]");
    let mut v = Vec::new();
    for (ty, fields) in [
        (
            "document",
            "title = \"Hostile URL document\"\nkind = \"declaration\"",
        ),
        ("event", "title = \"Hostile URL event\"\nkind = \"meeting\""),
        ("person", "name = \"Hostile URL Person\""),
        (
            "body",
            "name = \"Hostile URL Body\"\nkind = \"organisation\"",
        ),
        (
            "topic",
            "title = \"Hostile URL topic\"\nkind = \"cooperation\"",
        ),
    ] {
        v.push((
            format!("url-{ty}.md"),
            format!("+++\ntype = \"{ty}\"\n{fields}\n{source}\n+++\nText.\n"),
            vec!["import".into(), "markdown".into()],
        ));
    }
    let mapping = std::fs::read_to_string("mappings/visits.toml")
        .unwrap()
        .replacen("[source]\n", &format!("[source]\nurl = {u}\n"), 1);
    v.push((
        "url-mapping.toml".into(),
        mapping,
        vec![
            "import".into(),
            "records".into(),
            "tests/fixtures/visits-excerpt.xml".into(),
            "--mapping".into(),
        ],
    ));
    v.push((
        "url-curated-resolve.toml".into(),
        format!(
            "[dossier]\nslug = \"hostile-curated\"\ntitle = \"Hostile\"\n\n[[resolve]]\nsection = \"a-ii-3-1\"\ntext = \"FAS website\"\nexternal = \"FAS\"\nurl = {u}\n"
        ),
        vec!["import".into(), "outline".into(), "data/nato-russia.seed.txt".into(), "--curated".into()],
    ));
    v.push((
        "url-curated-document.toml".into(),
        format!(
            "[dossier]\nslug = \"hostile-curated\"\ntitle = \"Hostile\"\n\n[[documents]]\nslug = \"hostile-curated-doc\"\ntitle = \"Hostile curated document\"\nkind = \"declaration\"\n{source}\n"
        ),
        vec!["import".into(), "outline".into(), "data/nato-russia.seed.txt".into(), "--curated".into()],
    ));
    v
}

fn try_url(archive: &Archive, i: usize, url: &str, tally: &mut Tally) -> Vec<String> {
    let mut accepted = Vec::new();
    for (name, bytes, mut args) in vehicles(url) {
        let file = archive.file(&format!("{i}-{name}"), bytes);
        args.push(file.to_str().unwrap().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = archive.attempt(&args, &file);
        if !o.refused() {
            accepted.push(name);
        }
        tally.count(o.refused());
    }
    accepted
}

#[test]
fn every_dangerous_url_is_refused_in_every_field_an_import_fills() {
    let archive = Archive::seeded();
    let mut tally = Tally::new("urls (dangerous schemes)");
    for (i, url) in DANGEROUS.iter().enumerate() {
        let accepted = try_url(&archive, i, url, &mut tally);
        assert!(accepted.is_empty(), "{url:?} was accepted in {accepted:?}");
    }
}

#[test]
fn odd_web_addresses_are_refused_or_rendered_inert() {
    let archive = Archive::seeded();
    let mut tally = Tally::new("urls (odd web addresses)");
    // A good address first: every vehicle must accept it (else the refusals above would
    // prove nothing).
    let accepted = try_url(&archive, 100, "https://example.org/source", &mut tally);
    assert_eq!(
        accepted.len(),
        8,
        "a good https address was refused somewhere"
    );
    for (i, url) in ODD_BUT_WEB.iter().enumerate() {
        try_url(&archive, 200 + i, url, &mut tally);
    }
    let server = Server::start(&archive);
    for path in [
        "/documents/url-document",
        "/events/url-event",
        "/people/url-person",
        "/bodies/url-body",
        "/topics/url-topic",
        "/dossiers/hostile-curated",
        "/documents/hostile-curated-doc",
        "/events/visit-751",
    ] {
        let (status, html) = server.get(path, "text/html").unwrap();
        if status == 200 {
            assert_inert(path, &html);
        }
    }
}
