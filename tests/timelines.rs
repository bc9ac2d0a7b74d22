//! Timelines and relations graphs (issue 27, "Pictures") over real HTTP and in the static
//! export: SVG made on the server, well-formed, accessible, escaped, with the same data
//! as the page's tables.

mod common;

use common::xml::{parse, Node};
use common::TestServer;
use dossier_model::*;
use dossier_publish::export::export_site;
use dossier_publish::site::Site;
use dossier_store::{SqliteStore, Store};
use std::sync::LazyLock;

const HOSTILE: &str = "<script>alert(\"x\")</script> & 'quotes' ]]> <!--";

/// The built-in dossier, and a body with a hostile name that succeeds the NRC.
fn fill(store: &SqliteStore) {
    let mut a = dossier_ingest::builtin::archive().unwrap();
    let mut nrc = a.bodies.iter().find(|b| b.slug == "nrc").unwrap().clone();
    nrc.successors.push(BodyLink {
        slug: "hostile-body".into(),
        date: Some(Edtf::parse("2030").unwrap()),
    });
    a.bodies.retain(|b| b.slug != "nrc");
    a.bodies.push(nrc);
    a.bodies.push(Body {
        slug: "hostile-body".into(),
        name: HOSTILE.into(),
        acronyms: vec![HOSTILE.into()],
        aliases: vec![],
        identifiers: vec![],
        kind: BodyKind::Council,
        established: Some(Edtf::parse("2030").unwrap()),
        ended: None,
        founding_document: None,
        predecessors: vec![BodyLink {
            slug: "nrc".into(),
            date: None,
        }],
        successors: vec![],
        part_of: None,
        format: None,
        decision_rule: None,
        summary: None,
        dossiers: vec!["nato-russia".into()],
        collections: vec![],
        provenance: Provenance::default(),
    });
    store.write(&a).unwrap();
}

static SERVER: LazyLock<TestServer> = LazyLock::new(|| TestServer::with(fill));

/// GETs an SVG: checks the answer's type and policy and that it is well-formed.
fn svg(path: &str) -> (String, Node) {
    let (status, headers, body) = SERVER.request("GET", path, &[], None);
    assert_eq!(status, 200, "{path}: {body}");
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("content-type"), "image/svg+xml", "{path}");
    let csp = header("content-security-policy");
    assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
    assert!(!csp.contains("script-src"), "{path}: {csp}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let tree = parse(&body);
    (body, tree)
}

/// The root element of a parsed document, which must be `svg`.
fn root(tree: &Node) -> &Node {
    assert_eq!(tree.name, "svg");
    tree
}

/// Checks what a screen reader is told: `role="img"`, and a title and description that
/// `aria-labelledby` names.
fn accessible(tree: &Node) -> (String, String) {
    let svg = root(tree);
    assert_eq!(svg.attr("role"), Some("img"));
    let ids: Vec<&str> = svg.attr("aria-labelledby").unwrap().split(' ').collect();
    let title = svg.child("title").unwrap();
    let desc = svg.child("desc").unwrap();
    assert_eq!(ids, [title.attr("id").unwrap(), desc.attr("id").unwrap()]);
    assert!(!title.text.is_empty() && !desc.text.is_empty());
    (title.text.clone(), desc.text.clone())
}

fn with_class<'a>(tree: &'a Node, name: &str, class: &str) -> Vec<&'a Node> {
    tree.find(name)
        .into_iter()
        .filter(|n| n.attr("class") == Some(class))
        .collect()
}

#[test]
fn the_dossier_timeline_draws_bodies_as_bars_and_successions_as_arrows() {
    let (body, tree) = svg("/dossiers/nato-russia/timeline.svg");
    let (title, desc) = accessible(&tree);
    assert!(title.contains("Formal NATO-Russia Relations"), "{title}");
    assert!(desc.contains("North Atlantic Cooperation Council → Euro-Atlantic Partnership Council"));
    assert!(
        desc.contains("NATO-Russia Permanent Joint Council → NATO-Russia Council (28 May 2002)")
    );
    // An arrow for each dated succession: NACC → EAPC, IFOR → SFOR, PJC → NRC, NRC → the
    // hostile body; none for a succession without a date.
    assert!(with_class(&tree, "line", "succession").len() >= 4);
    // A link per body with its bar; the bodies' names are left of their bars.
    let links: Vec<&str> = tree
        .find("a")
        .iter()
        .filter_map(|a| a.attr("href"))
        .collect();
    for b in ["nacc", "eapc", "pjc", "nrc", "ifor", "sfor"] {
        assert!(links.contains(&format!("/bodies/{b}").as_str()), "{b}");
    }
    let texts: Vec<&str> = tree.find("text").iter().map(|t| t.text.as_str()).collect();
    for label in [
        "NACC",
        "EAPC",
        "PJC",
        "NRC",
        "Documents (23)",
        "Events (19)",
    ] {
        assert!(
            texts.iter().any(|t| t.starts_with(label)),
            "{label}: {texts:?}"
        );
    }
    // Bodies with no dates are a gap in words, not a bar.
    assert!(texts.contains(&"dates not recorded"));
    assert!(!body.contains("<script"));
}

#[test]
fn a_body_timeline_and_its_relations_graph() {
    let (_, tree) = svg("/bodies/pjc/timeline.svg");
    accessible(&tree);
    // The PJC's successor, and its successor in turn (the test's hostile body).
    assert_eq!(with_class(&tree, "line", "succession").len(), 2);
    let (_, tree) = svg("/bodies/eapc/relations.svg");
    let (_, desc) = accessible(&tree);
    assert!(
        desc.contains(
            "North Atlantic Cooperation Council succeeded by Euro-Atlantic Partnership Council"
        ),
        "{desc}"
    );
    assert!(
        desc.contains("part of Euro-Atlantic Partnership Council"),
        "{desc}"
    );
    assert_eq!(with_class(&tree, "path", "succeeded-by").len(), 1);
    assert!(!with_class(&tree, "path", "part-of").is_empty());
    let (_, tree) = svg("/dossiers/nato-russia/relations.svg");
    accessible(&tree);
    assert!(with_class(&tree, "path", "succeeded-by").len() >= 4);
}

#[test]
fn missing_records_and_bad_slugs_are_404() {
    for path in [
        "/dossiers/nope/timeline.svg",
        "/bodies/nope/timeline.svg",
        "/bodies/nope/relations.svg",
        "/dossiers/nope/relations.svg",
        "/bodies/Bad%20Slug/timeline.svg",
        "/bodies/..%2F..%2Fetc/timeline.svg",
        "/dossiers/nope/timeline",
        "/bodies/nope/timeline",
    ] {
        let (status, _, _) = SERVER.get(path);
        assert_eq!(status, 404, "{path}");
    }
}

#[test]
fn hostile_names_are_text_in_every_picture_and_page() {
    for path in [
        "/dossiers/nato-russia/timeline.svg",
        "/dossiers/nato-russia/relations.svg",
        "/bodies/hostile-body/timeline.svg",
        "/bodies/hostile-body/relations.svg",
        "/bodies/nrc/timeline.svg",
    ] {
        let (body, tree) = svg(path);
        assert!(!body.contains("<script"), "{path}");
        assert!(!body.contains("<!--"), "{path}");
        let titles: Vec<&str> = tree.find("title").iter().map(|t| t.text.as_str()).collect();
        assert!(
            titles.iter().any(|t| t.contains(HOSTILE)),
            "{path}: {titles:?}"
        );
    }
    for path in [
        "/dossiers/nato-russia/timeline",
        "/bodies/hostile-body/timeline",
    ] {
        let (status, html) = SERVER.html(path);
        assert_eq!(status, 200);
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(html.contains("&lt;script&gt;alert"), "{path}");
    }
}

#[test]
fn the_timeline_page_shows_the_picture_and_the_same_data_as_tables() {
    let (status, html) = SERVER.html("/dossiers/nato-russia/timeline");
    assert_eq!(status, 200);
    assert!(html.contains(r#"<img src="/dossiers/nato-russia/timeline.svg" alt="Timeline of the dossier Formal NATO-Russia Relations">"#));
    assert!(html.contains(r#"<img src="/dossiers/nato-russia/relations.svg""#));
    assert!(html.contains(
        r#"<td data-label="Body">North Atlantic Cooperation Council</td><td data-label="Succeeded by">Euro-Atlantic Partnership Council</td>"#
    ));
    assert!(html.contains(r#"<time datetime="2002-05-28">28 May 2002</time>"#));
    // The documents' and events' tables link each record drawn.
    assert!(html.contains(r#"<a href="/documents/founding-act-1997">"#));
    assert!(html.contains(r#"<a href="/events/"#));
    // The JSON is the tables' data and the picture's.
    let (status, _, json) = SERVER.json("/dossiers/nato-russia/timeline");
    assert_eq!(status, 200);
    assert_eq!(json["svg_url"], "/dossiers/nato-russia/timeline.svg");
    let bodies = json["bodies"].as_array().unwrap();
    let (_, tree) = svg("/dossiers/nato-russia/timeline.svg");
    let drawn: Vec<&str> = tree
        .find("a")
        .iter()
        .filter_map(|a| a.attr("href"))
        .filter(|h| h.starts_with("/bodies/"))
        .collect();
    let listed: Vec<String> = bodies
        .iter()
        .map(|b| format!("/bodies/{}", b["slug"].as_str().unwrap()))
        .collect();
    assert_eq!(
        drawn, listed,
        "the bars and the table list the same bodies, in order"
    );
    let successions = json["successions"].as_array().unwrap();
    assert!(successions
        .iter()
        .any(|s| s["from"] == "pjc" && s["to"] == "nrc" && s["date"]["edtf"] == "2002-05-28"));
    let documents = json["documents"].as_array().unwrap().len();
    let marks = tree
        .find("a")
        .iter()
        .filter(|a| a.attr("href").is_some_and(|h| h.starts_with("/documents/")))
        .count();
    assert_eq!(documents, marks);
    // The dossier's and a body's pages show the picture and link to the page.
    let (_, html) = SERVER.html("/dossiers/nato-russia");
    assert!(html.contains(r#"src="/dossiers/nato-russia/timeline.svg""#));
    assert!(html.contains(r#"href="/dossiers/nato-russia/timeline""#));
    let (_, html) = SERVER.html("/bodies/pjc");
    assert!(html.contains(r#"src="/bodies/pjc/timeline.svg""#));
}

#[test]
fn the_static_export_holds_every_picture_with_relative_links() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    fill(&store);
    let root = dir.path().join("site");
    export_site(
        &store,
        &Site::new("https://example.org/archive/").unwrap(),
        &root,
        &|_, _| {},
    )
    .unwrap();
    let bodies = store.bodies(None).unwrap();
    assert!(bodies.len() > 10);
    let records = std::iter::once(("dossiers", "nato-russia".to_string()))
        .chain(bodies.iter().map(|b| ("bodies", b.slug.clone())));
    for (folder, slug) in records {
        let dir = root.join(folder).join(&slug);
        for picture in ["timeline", "relations"] {
            let path = dir.join(format!("{picture}.svg"));
            let svg = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let tree = parse(&svg);
            accessible(&tree);
            assert!(!svg.contains("<script"));
            // Every link leads to a file of the export, relative to the picture.
            for a in tree.find("a") {
                let href = a.attr("href").unwrap();
                assert!(href.starts_with("../../"), "{}: {href}", path.display());
                assert!(dir.join(href).is_file(), "{}: {href}", path.display());
            }
        }
        let page = std::fs::read_to_string(dir.join("timeline.html")).unwrap();
        assert!(
            page.contains(&format!(r#"src="../../{folder}/{slug}/timeline.svg""#)),
            "{folder}/{slug}/timeline.html"
        );
    }
}

#[test]
fn a_body_page_shows_its_timeline_only_when_something_around_it_is_dated() {
    let (_, _, json) = SERVER.json("/api/v1/bodies?limit=100");
    assert_eq!(json["total"], json["items"].as_array().unwrap().len());
    let slugs: Vec<String> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["slug"].as_str().unwrap().to_string())
        .collect();
    let (mut with, mut without) = (0, 0);
    for slug in slugs {
        let (_, _, page) = SERVER.json(&format!("/bodies/{slug}"));
        let empty = |k: &str| page[k].is_null() || page[k].as_array().is_some_and(|a| a.is_empty());
        let nothing = [
            "established",
            "ended",
            "predecessors",
            "successors",
            "events",
            "documents",
        ]
        .iter()
        .all(|k| empty(k));
        let (_, html) = SERVER.html(&format!("/bodies/{slug}"));
        let shown = html.contains(&format!(r#"<img src="/bodies/{slug}/timeline.svg""#));
        assert_eq!(shown, !nothing, "{slug}");
        if shown {
            with += 1;
        } else {
            without += 1;
        }
    }
    assert!(with > 5 && without > 0, "{with} with, {without} without");
}
