//! Issue 20, finding 3: stored XSS through URL fields. A source or outside-site address
//! `javascript:…` (in any spelling a browser still follows) was rendered as a live link on
//! every page that shows the record, in the static export and the JSON.
//!
//! Two layers are tested here. The imports refuse such an address before anything is
//! written, naming the file, the line and the field (every spelling × every import path
//! is also tested in the importers' unit tests). And a store that holds such addresses
//! anyway (written before the rule, or past it: here by SQL, under the store's
//! validation) renders no page, feed, export or JSON that offers one as a link.

#[path = "common/cli.rs"]
mod cli;

use dossier_model::url::{check, is_web_url, Schemes, HOSTILE_URLS};
use dossier_model::*;
use dossier_publish::site::Site;
use dossier_publish::Renderer;
use dossier_store::{SqliteStore, Store};
use std::path::{Path, PathBuf};

/// A few spellings for the slower end-to-end imports (each is one run of the binary).
const SOME: &[&str] = &[
    "JaVaScRiPt:alert(1)",
    "\tjavascript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
];

/// Every row of the store's tables that records live in, to tell "unchanged".
fn snapshot(data_dir: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open(data_dir.join("dossier.db")).unwrap();
    let mut rows = Vec::new();
    for sql in [
        "SELECT type || ' ' || slug || ' ' || data FROM records ORDER BY type, slug",
        "SELECT slug || ' ' || data FROM dossiers ORDER BY slug",
        "SELECT count(*) || ' changes' FROM changes",
    ] {
        let mut st = db.prepare(sql).unwrap();
        let it = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.extend(it.map(Result::unwrap));
    }
    rows
}

fn seeded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = cli::dossier(dir.path(), &["load-builtin"]);
    assert!(o.status.success(), "{}", cli::out(&o));
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A TOML basic string holding `s`, controls escaped.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn markdown_imports_refuse_every_spelling_with_file_line_and_field() {
    let data = seeded();
    let before = snapshot(data.path());
    let files = tempfile::tempdir().unwrap();
    let mut args = vec!["import".to_string(), "markdown".to_string()];
    for (i, url) in HOSTILE_URLS.iter().enumerate() {
        let p = write(
            files.path(),
            &format!("n{i}.md"),
            &format!(
                "+++\ntitle = \"Note {i}\"\nkind = \"statement\"\n\n[[sources]]\ntitle = \"S\"\nurl = {}\n+++\nText.\n",
                toml_str(url)
            ),
        );
        args.push(p.to_str().unwrap().into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = cli::dossier(data.path(), &args);
    let out = cli::out(&o);
    assert!(!o.status.success(), "{out}");
    for (i, url) in HOSTILE_URLS.iter().enumerate() {
        assert!(
            out.contains(&format!(
                "n{i}.md:7:1: record n{i}, field `sources[0].url`: "
            )),
            "{url:?} not refused with its place: {out}"
        );
    }
    assert_eq!(snapshot(data.path()), before, "the store changed");
}

#[test]
fn mapping_and_curated_imports_refuse_with_file_line_and_field() {
    let data = seeded();
    let before = snapshot(data.path());
    let files = tempfile::tempdir().unwrap();
    let visits = std::fs::read_to_string("mappings/visits.toml").unwrap();
    let source_line = visits.lines().position(|l| l == "[source]").unwrap() + 2;
    for (i, url) in SOME.iter().enumerate() {
        let mapping = write(
            files.path(),
            &format!("m{i}.toml"),
            &visits.replacen(
                "[source]\n",
                &format!("[source]\nurl = {}\n", toml_str(url)),
                1,
            ),
        );
        let o = cli::dossier(
            data.path(),
            &[
                "import",
                "records",
                "tests/fixtures/visits-excerpt.xml",
                "--mapping",
                mapping.to_str().unwrap(),
            ],
        );
        let out = cli::out(&o);
        assert!(!o.status.success(), "{url:?}: {out}");
        assert!(
            out.contains(&format!("m{i}.toml:{source_line}: [source] url: ")),
            "{url:?}: {out}"
        );

        let resolve = write(
            files.path(),
            &format!("r{i}.toml"),
            &format!(
                "[dossier]\nslug = \"hostile\"\ntitle = \"Hostile\"\n\n[[resolve]]\nsection = \"a-ii-3-1\"\ntext = \"FAS website\"\nexternal = \"FAS\"\nurl = {}\n",
                toml_str(url)
            ),
        );
        let document = write(
            files.path(),
            &format!("d{i}.toml"),
            &format!(
                "[dossier]\nslug = \"hostile\"\ntitle = \"Hostile\"\n\n[[documents]]\nslug = \"hostile-doc\"\ntitle = \"D\"\nkind = \"declaration\"\nsources = [{{ title = \"S\", url = {} }}]\n",
                toml_str(url)
            ),
        );
        for (file, place) in [
            (resolve, format!("r{i}.toml:9: resolve[0], field `url`: ")),
            (
                document,
                format!("d{i}.toml:9: documents[0] `hostile-doc`, field `sources[0].url`: "),
            ),
        ] {
            let o = cli::dossier(
                data.path(),
                &[
                    "import",
                    "outline",
                    "data/nato-russia.seed.txt",
                    "--curated",
                    file.to_str().unwrap(),
                ],
            );
            let out = cli::out(&o);
            assert!(!o.status.success(), "{url:?}: {out}");
            assert!(out.contains(&place), "{url:?}: expected {place:?} in {out}");
        }
    }
    assert_eq!(snapshot(data.path()), before, "the store changed");
}

/// A stand-in address that passes validation, replaced by SQL once written.
fn placeholder(i: usize) -> String {
    format!("https://placeholder.invalid/{i}")
}

fn sources() -> serde_json::Value {
    serde_json::Value::Array(
        (0..HOSTILE_URLS.len())
            .map(|i| serde_json::json!({"title": format!("Source {i}"), "url": placeholder(i)}))
            .collect(),
    )
}

/// The built-in archive, plus one record of each type and a dossier whose every address
/// is hostile: written with stand-ins, then changed by SQL under the store's validation.
fn hostile_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dossier.db");
    let store = SqliteStore::open(&path).unwrap();
    store
        .write(&dossier_ingest::builtin::archive().unwrap())
        .unwrap();
    let s = sources();
    let doc = serde_json::json!({"slug": "hostile-url-doc", "title": "Hostile URL document",
        "kind": "statement", "date": "2002-05-28", "issued_by": ["nato"],
        "dossiers": ["nato-russia", "hostile-urls"], "sources": s});
    let body = serde_json::json!({"slug": "hostile-url-body", "name": "Hostile URL Body",
        "kind": "council", "dossiers": ["hostile-urls"], "sources": s});
    let person = serde_json::json!({"slug": "hostile-url-person", "name": "Hostile Person",
        "dossiers": ["hostile-urls"], "sources": s});
    let event = serde_json::json!({"slug": "hostile-url-event", "title": "Hostile URL event",
        "kind": "meeting", "date": "2002-05-28", "bodies": ["hostile-url-body"],
        "dossiers": ["hostile-urls"], "sources": s});
    let topic = serde_json::json!({"slug": "hostile-url-topic", "title": "Hostile URL topic",
        "kind": "cooperation", "documents": ["hostile-url-doc"],
        "dossiers": ["hostile-urls"], "sources": s});
    // Commentary is Markdown: every spelling as a link of its own, and each reference.
    let mut commentary = String::from("Links: ");
    let mut references = Vec::new();
    for (i, url) in HOSTILE_URLS.iter().enumerate() {
        let dest = url.replace('>', "%3E").replace('\n', "");
        commentary.push_str(&format!("[inline {i}](<{dest}>) [ref {i}](ref:{}) ", i + 1));
        references.push(Reference {
            text: format!("ref {i}"),
            target: Some(Target::External {
                title: format!("Site {i}"),
                url: Some(placeholder(i)),
            }),
            mention: true,
        });
    }
    commentary.push_str("[tab](java&#9;script:alert(1)) [entity](&#106;avascript:alert(1))");
    let dossier = Dossier {
        queries: Vec::new(),
        stale_after_years: None,
        slug: "hostile-urls".into(),
        title: "Hostile URLs".into(),
        description: String::new(),
        source: Some("javascript:alert(1)".into()),
        sections: vec![Section {
            claims: Vec::new(),
            key: "a".into(),
            label: "A.".into(),
            title: "Part".into(),
            short_title: None,
            commentary,
            references,
            lists: vec![],
            children: vec![],
        }],
    };
    store
        .write(&Archive {
            dossiers: vec![dossier],
            documents: vec![serde_json::from_value(doc).unwrap()],
            bodies: vec![serde_json::from_value(body).unwrap()],
            people: vec![serde_json::from_value(person).unwrap()],
            events: vec![serde_json::from_value(event).unwrap()],
            topics: vec![serde_json::from_value(topic).unwrap()],
            collections: vec![],
        })
        .unwrap();
    // Past the store's validation: swap every stand-in for its hostile address, in
    // whichever column holds it (the values are JSON, so the address is JSON-escaped).
    let db = rusqlite::Connection::open(&path).unwrap();
    let tables: Vec<String> = {
        let mut st = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap();
        let names = st.query_map([], |r| r.get(0)).unwrap();
        names.map(Result::unwrap).collect()
    };
    let mut changed = 0;
    for t in &tables {
        let cols: Vec<String> = {
            let mut st = db.prepare(&format!("PRAGMA table_info({t})")).unwrap();
            let names = st.query_map([], |r| r.get(1)).unwrap();
            names.map(Result::unwrap).collect()
        };
        for c in cols {
            // Highest index first, so that `/1` does not match inside `/10`.
            for (i, url) in HOSTILE_URLS.iter().enumerate().rev() {
                let json = serde_json::to_string(url).unwrap();
                changed += db
                    .execute(
                        &format!("UPDATE {t} SET {c} = replace({c}, ?1, ?2) WHERE typeof({c}) = 'text' AND instr({c}, ?1) > 0"),
                        rusqlite::params![placeholder(i), &json[1..json.len() - 1]],
                    )
                    .unwrap();
            }
        }
    }
    assert!(changed > 0);
    drop(db);
    // The store now really holds the hostile addresses.
    let d = store.document("hostile-url-doc").unwrap().unwrap();
    let urls: Vec<&str> = d
        .provenance
        .sources
        .iter()
        .filter_map(|s| s.url.as_deref())
        .collect();
    assert_eq!(urls, HOSTILE_URLS, "the SQL did not swap the addresses");
    (dir, store)
}

/// The scheme a browser reads from an attribute value (after it trims spaces and
/// controls around it and drops tabs and newlines inside), if any.
fn scheme(value: &str) -> Option<String> {
    let v: String = value
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let (scheme, _) = v.split_once(':')?;
    let ok = scheme.chars().next()?.is_ascii_alphabetic()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    ok.then(|| scheme.to_ascii_lowercase())
}

/// Every `href`, `src` or other address-taking attribute of `html` (parsed as a browser
/// parses it, entities decoded) is a site path, a fragment, a relative file link of the
/// export, or an absolute http(s) address; none leaves for another host by `//`.
fn assert_inert(what: &str, html: &str) -> usize {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "href=\"javascript:",
        "href=\"data:",
        "href=\"vbscript:",
        "src=\"javascript:",
    ] {
        assert!(!lower.contains(bad), "{what}: {bad}");
    }
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("*").unwrap();
    let mut links = 0;
    for el in doc.select(&sel) {
        for (name, value) in el.value().attrs() {
            if !matches!(
                name,
                "href" | "src" | "action" | "formaction" | "poster" | "data" | "xlink:href"
            ) {
                continue;
            }
            links += 1;
            match scheme(value) {
                // Commentary may link to an e-mail address; nothing else but the web.
                Some(s) => assert!(
                    matches!(s.as_str(), "http" | "https" | "mailto")
                        && check(value.trim(), Schemes::WebOrMail).is_ok(),
                    "{what}: <{} {name}={value:?}>",
                    el.value().name()
                ),
                None => {
                    let v = value.trim();
                    assert!(
                        !v.starts_with("//") && !v.starts_with("/\\") && !v.starts_with("\\"),
                        "{what}: <{} {name}={value:?}> leaves the site",
                        el.value().name()
                    );
                }
            }
        }
    }
    links
}

#[test]
fn a_store_holding_hostile_urls_renders_no_live_hostile_link() {
    let (_dir, store) = hostile_store();
    let r = Renderer::new();
    let site = Site::new("https://example.org/archive/").unwrap();
    let mut pages = 0;
    macro_rules! page {
        ($view:expr, $template:expr) => {{
            let v = $view.unwrap().unwrap();
            for (kind, html) in [
                ("server", r.render($template, "t", &v).unwrap()),
                ("static", r.render_static($template, "t", &v, 1).unwrap()),
            ] {
                assert_inert(&format!("{} ({kind})", $template), &html);
                pages += 1;
            }
            serde_json::to_value(&v).unwrap()
        }};
    }
    use dossier_publish::views;
    let mut json = vec![
        page!(views::document(&store, "hostile-url-doc"), "document.html"),
        page!(views::body(&store, "hostile-url-body"), "body.html"),
        page!(views::person(&store, "hostile-url-person"), "person.html"),
        page!(views::event(&store, "hostile-url-event"), "event.html"),
        page!(views::topic(&store, "hostile-url-topic"), "topic.html"),
        page!(views::dossier(&store, "hostile-urls"), "dossier.html"),
    ];
    // The dossier page shows every reference: as text, never as a link.
    let d = views::dossier(&store, "hostile-urls").unwrap().unwrap();
    let html = r.render("dossier.html", "t", &d).unwrap();
    assert!(
        html.contains("inline 0") && html.contains("ref 0"),
        "{html}"
    );
    assert!(
        html.contains("Source 0") || html.contains("Site 0"),
        "{html}"
    );

    // The JSON API.
    use dossier_publish::api;
    let p: &api::Params = &[];
    for v in [
        serde_json::to_value(api::find_document(&store, &site, "hostile-url-doc", p).unwrap()),
        serde_json::to_value(api::find_body(&store, &site, "hostile-url-body", p).unwrap()),
        serde_json::to_value(api::find_person(&store, &site, "hostile-url-person", p).unwrap()),
        serde_json::to_value(api::find_event(&store, &site, "hostile-url-event", p).unwrap()),
        serde_json::to_value(api::find_topic(&store, &site, "hostile-url-topic", p).unwrap()),
        serde_json::to_value(api::find_section(&store, &site, "hostile-urls", "a", p).unwrap()),
    ] {
        json.push(v.unwrap());
    }
    // No address field of the pages' JSON or the API holds a hostile address.
    fn walk(v: &serde_json::Value, key: &str, found: &mut usize) {
        match v {
            serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| walk(v, k, found)),
            serde_json::Value::Array(a) => a.iter().for_each(|v| walk(v, key, found)),
            serde_json::Value::String(s)
                if key == "url" || key.ends_with("_url") || key == "href" =>
            {
                *found += 1;
                assert!(
                    is_web_url(s) || dossier_model::url::is_site_path(s),
                    "JSON field `{key}` holds {s:?}"
                );
            }
            serde_json::Value::String(s) if key.ends_with("html") => {
                assert_inert(&format!("JSON field `{key}`"), s);
            }
            _ => {}
        }
    }
    let mut found = 0;
    for v in &json {
        walk(v, "", &mut found);
    }
    assert!(found > 0);

    // OAI-PMH's Dublin Core names a source's address only when it is a web address.
    let doc = store.document("hostile-url-doc").unwrap().unwrap();
    let dc = dossier_publish::oai::dublin_core(&store, &site, &doc).unwrap();
    let dc_sources: Vec<&String> = dc
        .iter()
        .filter(|(k, _)| *k == "source")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(dc_sources.len(), HOSTILE_URLS.len());
    for v in dc_sources {
        assert!(!v.contains('<'), "dc:source {v:?}");
    }

    // Feeds (Atom is XML; its links are attributes all the same).
    for d in [None, Some("hostile-urls")] {
        let atom = dossier_publish::feed::atom(&store, &site, d)
            .unwrap()
            .unwrap();
        assert_inert("atom", &atom);
    }

    // The static export: every page of it.
    let out = tempfile::tempdir().unwrap();
    let root = out.path().join("site");
    dossier_publish::export::export_site(&store, &site, &root, &|_, _| {}).unwrap();
    fn html_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                html_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "html" || x == "atom") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    html_files(&root, &mut files);
    let mut links = 0;
    for f in &files {
        let html = std::fs::read_to_string(f).unwrap();
        links += assert_inert(&f.display().to_string(), &html);
    }
    assert!(
        files.len() > 10 && links > 100 && pages == 12,
        "{} files",
        files.len()
    );
}

#[test]
fn the_scheme_reader_reads_as_a_browser() {
    assert_eq!(scheme(" Java\tScript:x").as_deref(), Some("javascript"));
    assert_eq!(scheme("../documents/x.html"), None);
    assert_eq!(scheme("/documents/x#a:b"), None);
    assert_eq!(scheme("HTTPS://x").as_deref(), Some("https"));
}
