//! `dossier export site`: the static site on real files. Every internal link resolves
//! (anchors included), nothing links from the root (so the site works from any folder),
//! two exports are byte-identical, a foreign folder is never overwritten, and the static
//! search finds records from the files alone.

mod common;

use common::xml::parse;
use dossier_model::*;
use dossier_publish::export::{export_site, ExportSummary};
use dossier_publish::site::Site;
use dossier_store::{SqliteStore, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

const HOSTILE: &str = "<script>alert(\"x\")</script> & 'quotes'";
const BASE: &str = "https://example.org/archive/";

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    store
        .write(&dossier_ingest::builtin::archive().unwrap())
        .unwrap();
    let mut hostile = Document {
        collections: Vec::new(),
        coverage: None,
        slug: "hostile".into(),
        title: HOSTILE.into(),
        aliases: vec![HOSTILE.into()],
        kind: DocumentKind::Statement,
        date: Some(Edtf::parse("2002-05-28").unwrap()),
        place: None,
        issued_by: vec!["nato".into()],
        authors: vec![],
        parties: vec![],
        legal_status: LegalStatus::Unknown,
        availability: Availability::Public,
        languages: vec![],
        summary: Some(HOSTILE.into()),
        texts: vec![Text::plain(
            "en",
            &format!("{HOSTILE}\n\n<img src=x onerror=alert(1)>"),
            None,
        )],
        relations: vec![],
        dossiers: vec!["nato-russia".into()],
        topics: vec![],
        provenance: Provenance::default(),
    };
    hostile.provenance.gaps = vec![HOSTILE.into()];
    store
        .write(&Archive {
            documents: vec![hostile],
            ..Default::default()
        })
        .unwrap();
    (dir, store)
}

struct Export {
    _dir: tempfile::TempDir,
    root: PathBuf,
    summary: ExportSummary,
    _store_dir: tempfile::TempDir,
    store: SqliteStore,
}

static EXPORT: LazyLock<Export> = LazyLock::new(|| {
    let (store_dir, store) = store();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let summary = export_site(&store, &Site::new(BASE).unwrap(), &root, &|_, _| {}).unwrap();
    Export {
        _dir: dir,
        root,
        summary,
        _store_dir: store_dir,
        store,
    }
});

/// Every file under `root`, by relative path (`/`-separated), with its bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Resolves `link` from the page at `from` (both relative to the root).
fn resolve(from: &str, link: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop();
    for p in link.split('/') {
        match p {
            ".." => {
                assert!(
                    parts.pop().is_some(),
                    "{from}: {link} climbs out of the site"
                );
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn ids(html: &str) -> BTreeSet<String> {
    let re = regex::Regex::new(r#"\sid="([^"]*)""#).unwrap();
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

#[test]
fn no_internal_link_is_broken() {
    let all = files(&EXPORT.root);
    let link = regex::Regex::new(r#"\s(href|src|action)="([^"]*)""#).unwrap();
    let mut checked = 0;
    for (path, bytes) in all.iter().filter(|(p, _)| p.ends_with(".html")) {
        let html = std::str::from_utf8(bytes).unwrap();
        for c in link.captures_iter(html) {
            let target = common::decode_entities(&c[2]);
            if target.starts_with("https://")
                || target.starts_with("http://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            assert!(
                !target.starts_with('/'),
                "{path}: `{target}` is a link from the server's root; it breaks under a sub-path"
            );
            let (file, fragment) = match target.split_once('#') {
                Some((f, frag)) => (f.to_string(), Some(frag.to_string())),
                None => (target.clone(), None),
            };
            let file = file.split('?').next().unwrap().to_string();
            let resolved = if file.is_empty() {
                path.clone()
            } else {
                resolve(path, &file)
            };
            let content = all
                .get(&resolved)
                .unwrap_or_else(|| panic!("{path}: `{target}` → {resolved}: no such file"));
            if let Some(frag) = fragment {
                let page = std::str::from_utf8(content).unwrap();
                assert!(
                    ids(page).contains(&frag),
                    "{path}: `{target}`: no id `{frag}` there"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked} links checked");

    // The static search's addresses too.
    let mut rows = 0;
    for (name, content) in all.iter().filter(|(k, _)| k.starts_with("search/")) {
        let text = std::str::from_utf8(content).unwrap();
        assert!(
            !text.contains("</"),
            "{name}: a script chunk never holds `</`"
        );
    }
    for (name, content) in all.iter().filter(|(k, _)| k.starts_with("search/units-")) {
        for r in chunk(content)
            .as_array()
            .unwrap_or_else(|| panic!("{name}"))
        {
            let file = r[0].as_str().unwrap();
            let page = file.split('#').next().unwrap();
            assert!(all.contains_key(page), "static search: {file}");
            rows += 1;
        }
    }
    assert!(rows > 100, "{rows} records in the static search");
}

/// The data of a static search chunk (`window.DOSSIER_SEARCH_LOADED("name",DATA);`).
fn chunk(content: &[u8]) -> serde_json::Value {
    let text = std::str::from_utf8(content).unwrap();
    let json = text
        .split_once(',')
        .unwrap()
        .1
        .trim_end()
        .trim_end_matches(';')
        .trim_end_matches(')');
    serde_json::from_str(json).unwrap()
}

#[test]
fn every_record_has_its_page_and_documents_their_citations() {
    let all = files(&EXPORT.root);
    let s = &EXPORT.store;
    let html: Vec<&String> = all.keys().filter(|k| k.ends_with(".html")).collect();
    assert_eq!(html.len(), EXPORT.summary.pages);
    assert_eq!(
        all.len() - 1,
        EXPORT.summary.files - 1,
        "the marker file is counted once"
    );
    for d in s.documents(&Default::default()).unwrap() {
        let page = format!("documents/{}.html", d.slug);
        let text = std::str::from_utf8(&all[&page]).unwrap();
        assert!(text.contains("<h2 id=\"cite-h\">Cite</h2>"), "{page}");
        assert!(text.contains(&format!(
            "<meta name=\"citation_public_url\" content=\"{BASE}documents/{}.html\">",
            d.slug
        )));
        for ext in ["bib", "ris", "csl.json"] {
            assert!(all.contains_key(&format!("citations/{}.{ext}", d.slug)));
        }
    }
    for b in s.bodies(None).unwrap() {
        assert!(all.contains_key(&format!("bodies/{}.html", b.slug)));
    }
    for p in s.people(None).unwrap() {
        assert!(all.contains_key(&format!("people/{}.html", p.slug)));
    }
    for e in s.events(&Default::default()).unwrap() {
        assert!(all.contains_key(&format!("events/{}.html", e.slug)));
    }
    for t in s.topics(None).unwrap() {
        assert!(all.contains_key(&format!("topics/{}.html", t.slug)));
    }
    for f in [
        "index.html",
        "search.html",
        "search/meta.js",
        "search/names.js",
        "search/units-0.js",
        "static/search.js",
        "static/style.css",
        "feed.atom",
        "sitemap.xml",
        "robots.txt",
        "dossiers/nato-russia.html",
        "dossiers/nato-russia/chronology.html",
        "dossiers/nato-russia/feed.atom",
        "dossiers/nato-russia/bibliography.bib",
        "dossiers/nato-russia/bibliography.ris",
        "dossiers/nato-russia/bibliography.csl.json",
    ] {
        assert!(all.contains_key(f), "{f}");
    }
    // Feeds and the sitemap name the static pages by their published address.
    let sitemap = parse(std::str::from_utf8(&all["sitemap.xml"]).unwrap());
    for u in sitemap.all("url") {
        let loc = u.text_of("loc").unwrap();
        let rel = loc.strip_prefix(BASE).expect("published address");
        assert!(all.contains_key(rel), "sitemap: {loc}");
    }
    let feed = parse(std::str::from_utf8(&all["feed.atom"]).unwrap());
    for e in feed.all("entry") {
        let rel = e.text_of("id").unwrap().strip_prefix(BASE).unwrap();
        assert!(all.contains_key(rel), "feed: {rel}");
    }
    assert!(std::str::from_utf8(&all["robots.txt"])
        .unwrap()
        .contains(&format!("Sitemap: {BASE}sitemap.xml")));
}

#[test]
fn hostile_text_is_escaped_in_every_page() {
    let all = files(&EXPORT.root);
    for (path, bytes) in all.iter().filter(|(p, _)| p.ends_with(".html")) {
        let html = std::str::from_utf8(bytes).unwrap();
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
    }
    let page = std::str::from_utf8(&all["documents/hostile.html"]).unwrap();
    assert!(
        page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;")
    );
}

#[test]
fn two_exports_are_byte_identical_and_replace_each_other() {
    let (_d, store) = store();
    let dir = tempfile::tempdir().unwrap();
    let site = Site::new(BASE).unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    export_site(&store, &site, &a, &|_, _| {}).unwrap();
    export_site(&store, &site, &b, &|_, _| {}).unwrap();
    let (fa, fb) = (files(&a), files(&b));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{k} differs between two exports");
    }
    // An earlier export is replaced; nothing is left beside it.
    export_site(&store, &site, &a, &|_, _| {}).unwrap();
    assert_eq!(files(&a).len(), fa.len());
    let beside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside.len(), 2, "{beside:?}");

    // A folder that holds anything else is refused and left alone.
    let foreign = dir.path().join("mine");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("thesis.tex"), "precious").unwrap();
    let e = export_site(&store, &site, &foreign, &|_, _| {}).unwrap_err();
    assert!(e.to_string().contains("not empty"), "{e}");
    assert_eq!(
        std::fs::read_to_string(foreign.join("thesis.tex")).unwrap(),
        "precious"
    );
    assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), 1);
}

/// A minimal page for the static search in Node: the elements it uses, and a `<head>`
/// whose script elements run the exported file they name at once. With a third argument
/// `find`, prints the site paths of every record the query finds (unranked); otherwise
/// the page's status and listed results.
const HARNESS: &str = r#"
const fs = require("fs"), vm = require("vm"), path = require("path");
const root = process.argv[2], query = process.argv[3], mode = process.argv[4];
function el(id) {
  return { id, value: "", textContent: "", children: [], href: "",
    get firstChild() { return this.children[0] || null; },
    appendChild(c) { this.children.push(c); return c; },
    removeChild(c) { this.children.splice(this.children.indexOf(c), 1); },
    addEventListener() {} };
}
const els = { "search-form": el("search-form"), q: el("q"), "search-results": el("search-results"), "search-status": el("search-status") };
let loads = 0;
const head = { appendChild(s) {
  const file = path.join(root, s.src);
  if (fs.existsSync(file)) { loads++; vm.runInContext(fs.readFileSync(file, "utf8"), sandbox); } else { s.onerror(); }
} };
const sandbox = { URLSearchParams, console,
  document: { head, getElementById: (id) => els[id] || null, createElement: (t) => el(t), createTextNode: (t) => ({ textContent: t }) } };
sandbox.window = sandbox;
sandbox.window.location = { search: "?q=" + encodeURIComponent(mode === "find" ? "" : query), protocol: "file:" };
vm.createContext(sandbox);
vm.runInContext(fs.readFileSync(path.join(root, "static/search.js"), "utf8"), sandbox);
if (mode === "find") {
  const s = sandbox.DOSSIER_STATIC_SEARCH;
  s.find(query, (found) => s.units(found, (rows) => console.log(JSON.stringify(rows.map((r) => r[1])))));
} else {
  const results = els["search-results"].children.map((li) => ({ href: li.children[0].href, title: li.children[0].textContent }));
  console.log(JSON.stringify({ status: els["search-status"].textContent, results, loads }));
}
"#;

/// Runs the search script in Node with a minimal page (the elements it uses) and the
/// exported index; skipped, saying so, where Node is not installed.
#[test]
fn the_static_search_finds_records_from_the_files_alone() {
    use std::process::Command;
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("SKIPPED the static search run: node is not installed (apt-get install nodejs)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("harness.js");
    std::fs::write(&script, HARNESS).unwrap();
    let run = |q: &str| -> serde_json::Value {
        let out = Command::new("node")
            .arg(&script)
            .arg(&EXPORT.root)
            .arg(q)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let r = run("founding act");
    let first = &r["results"][0];
    assert_eq!(first["href"], "documents/founding-act-1997.html", "{r}");
    assert!(r["status"].as_str().unwrap().contains("match"), "{r}");
    // Only the chunks the query needs are loaded, never the whole index.
    let chunks = files(&EXPORT.root)
        .keys()
        .filter(|k| k.starts_with("search/"))
        .count();
    let loads = r["loads"].as_u64().unwrap() as usize;
    assert!(loads < chunks / 4, "{loads} of {chunks} chunks loaded");
    // Case is ignored.
    let r = run("PERMANENT joint");
    assert!(
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["href"] == "bodies/pjc.html"),
        "{r}"
    );
    let r = run("zzzzqx");
    assert_eq!(r["results"].as_array().unwrap().len(), 0);
    assert!(
        r["status"].as_str().unwrap().starts_with("Nothing matches"),
        "{r}"
    );
    // Hostile text is shown as text (textContent), never parsed as markup.
    let r = run("script alert");
    assert_eq!(r["results"][0]["title"], HOSTILE, "{r}");
}

/// The static search finds what the server's search finds, query by query (the records,
/// not their order): words in any language with their stems, an acronym with its body's
/// other names as whole phrases.
#[test]
fn the_static_search_finds_what_the_server_finds() {
    use std::process::Command;
    if Command::new("node").arg("--version").output().is_err() {
        eprintln!("SKIPPED the static search run: node is not installed (apt-get install nodejs)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("harness.js");
    std::fs::write(&script, HARNESS).unwrap();
    let (index, _) =
        dossier_search::SearchIndex::open(&dir.path().join("index"), &EXPORT.store).unwrap();
    let server = |q: &str| -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        for page in 1.. {
            let mut req = dossier_search::SearchRequest::new(q);
            req.per_page = 100;
            req.page = page;
            req.facets = false;
            let r = index.search(&req).unwrap();
            let n = r.hits.len();
            out.extend(r.hits.into_iter().map(|h| h.url));
            if n < 100 {
                break;
            }
        }
        out
    };
    let static_site = |q: &str| -> std::collections::BTreeSet<String> {
        let out = Command::new("node")
            .arg(&script)
            .arg(&EXPORT.root)
            .arg(q)
            .arg("find")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    for q in [
        "PJC",
        "pjc",
        "NRC",
        "EAPC",
        "Permanent Joint Council",
        "founding act",
        "russia",
        "Russia NATO",
        "kosovo",
        "terrorism",
        "council",
        "meetings",
        "ministers",
        "partnership",
        "script alert",
        "zzzzqx",
    ] {
        let (s, w) = (server(q), static_site(q));
        assert_eq!(w, s, "{q}: the static search differs from the server's");
    }
    assert!(server("PJC").len() > 8, "{:?}", server("PJC"));
}

#[test]
fn the_command_shows_progress_and_refuses_a_missing_archive() {
    let (store_dir, _store) = store();
    let out_dir = tempfile::tempdir().unwrap();
    let target = out_dir.path().join("site");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .args(["--data-dir"])
        .arg(store_dir.path())
        .args(["export", "site"])
        .arg(&target)
        .args(["--base-url", BASE])
        .env_remove("DOSSIER_DATA_DIR")
        .env_remove("DOSSIER_BASE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stderr}");
    assert!(stdout.contains("Exported "), "{stdout}");
    assert!(
        stderr.contains("exported ") && stderr.contains(" pages"),
        "plain progress lines: {stderr}"
    );
    assert!(target.join("index.html").exists());

    let empty = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .arg("--data-dir")
        .arg(empty.path())
        .args(["export", "site"])
        .arg(out_dir.path().join("other"))
        .args(["--base-url", BASE])
        .env_remove("DOSSIER_DATA_DIR")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no archive"));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dossier"))
        .arg("--data-dir")
        .arg(store_dir.path())
        .args(["export", "site"])
        .arg(out_dir.path().join("other"))
        .args(["--base-url", "example.org"])
        .env_remove("DOSSIER_DATA_DIR")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("must start with http"));
}

#[test]
fn a_large_sitemap_is_exported_as_an_index_of_parts() {
    use dossier_publish::export::{export_site_with, ExportOptions};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let limit = 10;
    export_site_with(
        &EXPORT.store,
        &Site::new(BASE).unwrap(),
        &root,
        &|_, _| {},
        &ExportOptions {
            sitemap_limit: limit,
        },
    )
    .unwrap();
    let all = files(&root);
    let whole = files(&EXPORT.root);
    let whole_locs: Vec<String> = parse(std::str::from_utf8(&whole["sitemap.xml"]).unwrap())
        .all("url")
        .iter()
        .map(|u| u.text_of("loc").unwrap().to_string())
        .collect();
    let index = parse(std::str::from_utf8(&all["sitemap.xml"]).unwrap());
    assert_eq!(index.name, "sitemapindex");
    let parts = index.all("sitemap");
    assert_eq!(parts.len(), whole_locs.len().div_ceil(limit));
    let mut seen = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let name = format!("sitemap-{}.xml", i + 1);
        assert_eq!(part.text_of("loc").unwrap(), format!("{BASE}{name}"));
        let urlset = parse(std::str::from_utf8(&all[&name]).unwrap());
        assert_eq!(urlset.name, "urlset");
        let locs = urlset.all("url");
        assert!(!locs.is_empty() && locs.len() <= limit);
        for u in locs {
            let loc = u.text_of("loc").unwrap();
            let rel = loc.strip_prefix(BASE).expect("published address");
            assert!(all.contains_key(rel), "{name}: {loc}");
            seen.push(loc.to_string());
        }
    }
    assert_eq!(seen, whole_locs, "the parts together are the one sitemap");
    assert!(!all.contains_key(&format!("sitemap-{}.xml", parts.len() + 1)));
    // Everything else is the same export.
    let others = |f: &BTreeMap<String, Vec<u8>>| -> BTreeSet<String> {
        f.keys()
            .filter(|k| !k.starts_with("sitemap"))
            .cloned()
            .collect()
    };
    assert_eq!(others(&all), others(&whole));
}
