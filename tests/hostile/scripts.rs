//! Script in every text field of every record type, through an import and onto the
//! served pages, the JSON and the feeds: accepted as text, never live.

use crate::harness::*;
use crate::urls::toml_str;

/// Text that runs script if a renderer lets it through unescaped.
const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "{{ 7 * 7 }}{% for x in range(3) %}x{% endfor %}",
    "]]><script>alert(1)</script><![CDATA[",
    "\u{2028}</script><script>alert(1)//",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[click](javascript:alert(1)) <iframe src=javascript:alert(1)></iframe>",
];

/// Checks served HTML for anything live that the archive's own templates do not put
/// there: a script element with a payload, an event-handler attribute, an address with a
/// scheme other than http(s) or mailto, an evaluated template.
pub fn assert_inert(what: &str, html: &str) {
    let doc = scraper::Html::parse_document(html);
    let all = scraper::Selector::parse("*").unwrap();
    for el in doc.select(&all) {
        let name = el.value().name();
        if name == "script" && el.value().attr("type") == Some("application/ld+json") {
            // A record page's own JSON-LD holds the record's text as data, never run; with
            // no `<` in it, no payload can close the block and start a live one.
            let data: String = el.text().collect();
            assert!(!data.contains('<'), "{what}: a `<` in the JSON-LD: {data}");
            assert!(
                serde_json::from_str::<serde_json::Value>(&data).is_ok(),
                "{what}: the JSON-LD is not JSON: {data}"
            );
            continue;
        }
        if matches!(name, "script" | "iframe" | "object" | "embed" | "svg") {
            let text: String = el.text().collect();
            assert!(
                !text.contains("alert")
                    && el.value().attr("src").is_none_or(|s| !s.contains("alert")),
                "{what}: a live <{name}> element with the payload"
            );
            assert!(name == "script", "{what}: a <{name}> element");
        }
        for (attr, value) in el.value().attrs() {
            assert!(
                !attr.to_ascii_lowercase().starts_with("on"),
                "{what}: an event handler `{attr}={value}` on <{name}>"
            );
            if matches!(
                attr,
                "href" | "src" | "action" | "formaction" | "xlink:href" | "srcset"
            ) {
                let v: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                let scheme = v.split_once(':').map(|(s, _)| s.to_string());
                let ok = match scheme {
                    // No colon before the first `/`, `?` or `#`: a relative address.
                    Some(s) if s.contains(['/', '?', '#']) => true,
                    Some(s) => matches!(s.as_str(), "http" | "https" | "mailto"),
                    None => true,
                };
                assert!(
                    ok,
                    "{what}: a live address `{attr}=\"{value}\"` on <{name}>"
                );
            }
        }
    }
    assert!(
        !html.contains(">49<") && !html.contains(" 49 "),
        "{what}: a template was evaluated"
    );
}

/// A Markdown record of `ty` with every text field holding `p`.
fn record(ty: &str, p: &str) -> String {
    let t = toml_str(p);
    // The Markdown after the front matter is a document's full text, or another
    // record's summary.
    let common =
        format!("gaps = [{t}]\nsources = [{{ title = {t}, url = \"https://example.org/\" }}]\n");
    let fields = match ty {
        "document" => format!(
            "title = {t}\naliases = [{t}]\nkind = \"declaration\"\nplace = {t}\ndate = \"1997-05-27\"\ndossiers = [\"nato-russia\"]\nsummary = {t}\n"
        ),
        "event" => format!("title = {t}\nkind = \"meeting\"\nplace = {t}\ndate = \"1997-05-27\"\ndossiers = [\"nato-russia\"]\n"),
        "person" => format!("name = {t}\noffices = [{{ title = {t} }}]\n"),
        "body" => format!("name = {t}\nacronyms = [{t}]\naliases = [{t}]\nkind = \"organisation\"\nformat = {t}\ndecision_rule = {t}\n"),
        _ => format!("title = {t}\nkind = \"cooperation\"\n"),
    };
    format!("+++\ntype = \"{ty}\"\n{fields}{common}+++\n{p}\n\n{p}\n")
}

const TYPES: &[(&str, &str)] = &[
    ("document", "documents"),
    ("event", "events"),
    ("person", "people"),
    ("body", "bodies"),
    ("topic", "topics"),
];

#[test]
fn script_in_every_text_field_is_kept_as_text_and_never_runs() {
    let archive = Archive::seeded();
    let mut tally = Tally::new("scripts (every text field)");
    let mut pages = Vec::new();
    for (i, p) in PAYLOADS.iter().enumerate() {
        for (ty, path) in TYPES {
            let slug = format!("script-{ty}-{i}");
            let file = archive.file(&format!("{slug}.md"), record(ty, p));
            let o = archive.attempt(&["import", "markdown", file.to_str().unwrap()], &file);
            tally.count(o.refused());
            if !o.refused() {
                pages.push(format!("/{path}/{slug}"));
            }
        }
    }
    assert!(
        pages.len() >= PAYLOADS.len() * TYPES.len() / 2,
        "most payloads are ordinary text and must be accepted: {pages:?}"
    );
    let server = Server::start(&archive);
    let mut more = vec![
        "/".to_string(),
        "/dossiers/nato-russia".into(),
        "/dossiers/nato-russia/chronology".into(),
        "/search?q=alert".into(),
        "/search?q=script".into(),
        "/search?q=onerror".into(),
    ];
    more.extend(pages.iter().cloned());
    for path in &more {
        let (status, html) = server.get(path, "text/html").unwrap();
        assert_eq!(status, 200, "{path}: {}", short(&html));
        assert_inert(path, &html);
        let (status, json) = server.get(path, "application/json").unwrap();
        assert_eq!(status, 200, "{path} as JSON");
        serde_json::from_str::<serde_json::Value>(&json)
            .unwrap_or_else(|e| panic!("{path}: JSON {e}"));
    }
    for feed in [
        "/feed.atom",
        "/dossiers/nato-russia/feed.atom",
        "/sitemap.xml",
    ] {
        let (status, xml) = server.get(feed, "*/*").unwrap();
        assert_eq!(status, 200, "{feed}");
        assert!(
            !xml.contains("<script>alert"),
            "{feed}: an unescaped payload"
        );
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{feed} is not well-formed XML: {e}"),
            }
        }
    }
}
