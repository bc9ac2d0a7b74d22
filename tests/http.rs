//! The web site and its JSON, over real HTTP on a real store.

mod common;

use common::{squash, text_of, TestServer};
use dossier_model::*;
use std::sync::LazyLock;

static SERVER: LazyLock<TestServer> = LazyLock::new(TestServer::builtin);

fn builtin() -> Archive {
    dossier_ingest::builtin::archive().unwrap()
}

/// The seed's body headings, in order, read independently of the importer: every line
/// after the table of contents that starts with a label (`A.`, `I.`, `1.`, `1.1`, `a)`)
/// or is a "List of …:" line.
fn seed_headings() -> Vec<String> {
    let seed = std::fs::read_to_string("data/nato-russia.seed.txt").unwrap();
    let label = regex_lite(&[
        r"^[A-D]\. ",
        r"^[IVX]+\. ",
        r"^\d+\. ",
        r"^\d+\.\d+\.? ",
        r"^[a-z]\) ",
    ]);
    let lines: Vec<&str> = seed.lines().collect();
    let first_body = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "A. Official Documents and Declarations")
        .nth(1)
        .map(|(i, _)| i)
        .unwrap();
    lines[first_body..]
        .iter()
        .map(|l| l.trim().trim_start_matches("• ").trim())
        .filter(|l| {
            (label(l) && l.len() < 120 && !l.ends_with('.'))
                || (l.starts_with("List of ") && l.ends_with(':'))
        })
        .map(|l| squash(l.trim_end_matches(':')))
        .collect()
}

fn regex_lite(patterns: &[&str]) -> impl Fn(&str) -> bool {
    let res: Vec<regex::Regex> = patterns
        .iter()
        .map(|p| regex::Regex::new(p).unwrap())
        .collect();
    move |s: &str| res.iter().any(|r| r.is_match(s))
}

#[test]
fn every_seed_heading_appears_in_order_with_its_label() {
    let headings = seed_headings();
    assert_eq!(headings.len(), 27, "{headings:#?}");
    let (status, html) = SERVER.html("/dossiers/nato-russia");
    assert_eq!(status, 200);
    // Skip the table of contents: the outline proper starts after it.
    let body = &html[html.find("</nav>\n\n").expect("toc ends")..];
    let text = text_of(body);
    let mut at = 0;
    for h in &headings {
        let found = text[at..]
            .find(h.as_str())
            .unwrap_or_else(|| panic!("heading {h:?} not found after position {at}"));
        at += found + h.len();
    }
}

#[test]
fn every_reference_is_resolved_or_marked() {
    let (_, _, json) = SERVER.json("/dossiers/nato-russia");
    fn walk(s: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        for r in s["references"].as_array().unwrap() {
            out.push(r.clone());
        }
        for c in s["children"].as_array().unwrap() {
            walk(c, out);
        }
    }
    let mut refs = Vec::new();
    for s in json["sections"].as_array().unwrap() {
        assert!(s["label"].is_string() && s["title"].is_string() && s["children"].is_array());
        walk(s, &mut refs);
    }
    let page_refs: Vec<_> = refs.iter().filter(|r| r["mention"] == false).collect();
    assert_eq!(page_refs.len(), 12);
    for r in &refs {
        let resolved = r["slug"].is_string() || r["type"] == "external";
        assert!(resolved || r["unresolved"] == true, "{r}");
        if r["type"] == "document" {
            assert_eq!(
                r["url"],
                format!("/documents/{}", r["slug"].as_str().unwrap())
            );
        }
    }
    // The NATO-Ukraine dossier is a marked gap, not a link.
    let ukraine = refs.iter().find(|r| r["slug"] == "nato-ukraine").unwrap();
    assert_eq!(ukraine["in_archive"], false);
    assert!(ukraine.get("url").is_none());
    let (_, html) = SERVER.html("/dossiers/nato-russia");
    assert!(!html.contains("href=\"/dossiers/nato-ukraine\""));
    assert!(text_of(&html)
        .contains("Formal NATO-Ukraine Relations (this dossier is not in the archive yet)"));
}

#[test]
fn references_show_kind_date_and_badges() {
    let (_, html) = SERVER.html("/dossiers/nato-russia");
    let text = text_of(&html);
    assert!(
        text.contains("Founding act 27 May 1997 not legally binding"),
        "founding act line"
    );
    let sar = builtin()
        .documents
        .into_iter()
        .find(|d| d.availability == Availability::NotPublic)
        .unwrap();
    assert!(html.contains(&format!("href=\"/documents/{}\"", sar.slug)));
    assert!(html.contains("badge-not-public"));
}

#[test]
fn empty_sections_say_so() {
    let (_, html) = SERVER.html("/dossiers/nato-russia");
    for key in ["a-iii-1-a", "a-iii-1-b", "c", "d"] {
        let start = html.find(&format!("<section id=\"{key}\"")).unwrap();
        let end = html[start..].find("</section>").unwrap() + start;
        let text = text_of(&html[start..end]);
        assert!(
            text.contains("The archive holds nothing here yet")
                || text.contains("The archive holds no "),
            "{key}: {text}"
        );
    }
}

#[test]
fn every_recorded_fact_is_on_its_page_and_in_its_json() {
    let a = builtin();
    let check_provenance = |what: &str, text: &str, p: &Provenance| {
        for t in &p.trace {
            assert!(
                text.contains(&squash(&t.quote)),
                "{what}: quote {:?} not shown",
                t.quote
            );
        }
        for s in &p.sources {
            assert!(
                text.contains(&squash(&s.title)),
                "{what}: source {:?} not shown",
                s.title
            );
        }
        for g in &p.gaps {
            assert!(text.contains(&squash(g)), "{what}: gap {g:?} not shown");
        }
    };
    for d in &a.documents {
        let path = format!("/documents/{}", d.slug);
        let (status, html) = SERVER.html(&path);
        assert_eq!(status, 200, "{path}");
        let text = text_of(&html);
        assert!(text.contains(&squash(&d.title)), "{path}: title");
        assert!(text.contains(d.kind.label()), "{path}: kind");
        assert!(
            text.contains(d.legal_status.label()),
            "{path}: legal status"
        );
        assert!(
            text.contains(d.availability.label()),
            "{path}: availability"
        );
        if let Some(date) = d.date {
            assert!(text.contains(&date.human()), "{path}: date");
        } else {
            assert!(text.contains("Date not recorded"), "{path}: date gap");
        }
        for field in [&d.place, &d.summary].into_iter().flatten() {
            assert!(text.contains(&squash(field)), "{path}: {field:?}");
        }
        for b in d.issued_by.iter().chain(&d.parties) {
            assert!(
                html.contains(&format!("href=\"/bodies/{b}\"")),
                "{path}: body {b}"
            );
        }
        for l in &d.languages {
            assert!(text.contains(l.as_str()), "{path}: language {l}");
        }
        check_provenance(&path, &text, &d.provenance);
        let (status, _, json) = SERVER.json(&path);
        assert_eq!(status, 200);
        assert_eq!(json["slug"], d.slug);
        assert_eq!(json["title"], d.title);
        assert_eq!(json["kind"], d.kind.slug());
        assert_eq!(json["date"], serde_json::to_value(d.date).unwrap());
    }
    for b in &a.bodies {
        let path = format!("/bodies/{}", b.slug);
        let (status, html) = SERVER.html(&path);
        assert_eq!(status, 200, "{path}");
        let text = text_of(&html);
        assert!(text.contains(&squash(&b.name)), "{path}: name");
        for x in b.acronyms.iter().chain(&b.aliases) {
            assert!(text.contains(&squash(x)), "{path}: alias {x}");
        }
        for d in [b.established, b.ended].into_iter().flatten() {
            assert!(text.contains(&d.human()), "{path}: date {d}");
        }
        for x in [&b.format, &b.decision_rule, &b.summary]
            .into_iter()
            .flatten()
        {
            assert!(text.contains(&squash(x)), "{path}: {x:?}");
        }
        check_provenance(&path, &text, &b.provenance);
        let (_, _, json) = SERVER.json(&path);
        assert_eq!(json["slug"], b.slug);
        for (field, links) in [
            ("predecessors", &b.predecessors),
            ("successors", &b.successors),
        ] {
            let got = json[field].as_array().unwrap();
            assert_eq!(got.len(), links.len(), "{path}: {field}");
            for (g, l) in got.iter().zip(links) {
                assert_eq!(g["slug"], l.slug);
                assert_eq!(g["date"], serde_json::to_value(l.date).unwrap());
                assert!(html.contains(&format!("href=\"/bodies/{}\"", l.slug)));
            }
        }
    }
    for p in &a.people {
        let path = format!("/people/{}", p.slug);
        let (status, html) = SERVER.html(&path);
        assert_eq!(status, 200, "{path}");
        let text = text_of(&html);
        assert!(text.contains(&squash(&p.name)));
        for o in &p.offices {
            assert!(
                text.contains(&squash(&o.title)),
                "{path}: office {}",
                o.title
            );
            for d in [o.start, o.end].into_iter().flatten() {
                assert!(text.contains(&d.human()), "{path}: office date {d}");
            }
        }
        check_provenance(&path, &text, &p.provenance);
        let (_, _, json) = SERVER.json(&path);
        assert_eq!(json["name"], p.name);
    }
    for e in &a.events {
        let path = format!("/events/{}", e.slug);
        let (status, html) = SERVER.html(&path);
        assert_eq!(status, 200, "{path}");
        let text = text_of(&html);
        assert!(text.contains(&squash(&e.title)), "{path}: title");
        assert!(text.contains(e.kind.label()), "{path}: kind");
        if let Some(d) = e.date {
            assert!(text.contains(&d.human()), "{path}: date");
        }
        if let Some(l) = e.level {
            assert!(text.contains(l.label()), "{path}: level");
        }
        if let Some(p) = &e.place {
            assert!(text.contains(&squash(p)), "{path}: place");
        }
        if e.public_statement == Some(false) {
            assert!(text.contains("No public statement was issued"), "{path}");
        }
        for d in &e.outcome_documents {
            assert!(
                html.contains(&format!("href=\"/documents/{d}\"")),
                "{path}: outcome {d}"
            );
        }
        check_provenance(&path, &text, &e.provenance);
        let (_, _, json) = SERVER.json(&path);
        assert_eq!(json["slug"], e.slug);
        assert_eq!(json["title"], e.title);
        assert_eq!(json["kind"], e.kind.slug());
        assert_eq!(json["date"], serde_json::to_value(e.date).unwrap());
    }
    for t in &a.topics {
        let path = format!("/topics/{}", t.slug);
        let (status, html) = SERVER.html(&path);
        assert_eq!(status, 200, "{path}");
        let text = text_of(&html);
        assert!(text.contains(&squash(&t.title)));
        assert!(text.contains(t.status.label()), "{path}: status");
        if let Some(d) = t.as_of {
            assert!(text.contains(&d.human()), "{path}: as of");
        }
        check_provenance(&path, &text, &t.provenance);
        let (_, _, json) = SERVER.json(&path);
        assert_eq!(json["slug"], t.slug);
    }
}

#[test]
fn bodies_show_their_history() {
    let (_, _, pjc) = SERVER.json("/bodies/pjc");
    assert_eq!(pjc["successors"][0]["slug"], "nrc");
    assert_eq!(pjc["successors"][0]["date"], "2002-05-28");
    let (_, _, nrc) = SERVER.json("/bodies/nrc");
    assert_eq!(nrc["predecessors"][0]["slug"], "pjc");
    let (_, _, nacc) = SERVER.json("/bodies/nacc");
    assert_eq!(nacc["successors"][0]["slug"], "eapc");
    // Events in date order.
    let dates: Vec<Edtf> = pjc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["date"].as_str())
        .map(|d| Edtf::parse(d).unwrap())
        .collect();
    assert!(dates.len() >= 3);
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
}

#[test]
fn chronology_is_in_date_order_and_filters() {
    let (status, _, json) = SERVER.json("/dossiers/nato-russia/chronology");
    assert_eq!(status, 200);
    let entries = json["entries"].as_array().unwrap();
    assert!(entries.len() > 30);
    for e in entries {
        for k in ["date", "kind", "title", "slug"] {
            assert!(e[k].is_string(), "{k} in {e}");
        }
    }
    let dates: Vec<Edtf> = entries
        .iter()
        .map(|e| Edtf::parse(e["date"].as_str().unwrap()).unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]));
    let a = builtin();
    let dated = a.documents.iter().filter(|d| d.date.is_some()).count()
        + a.events.iter().filter(|e| e.date.is_some()).count();
    assert_eq!(entries.len(), dated);

    let (_, _, pjc) = SERVER.json("/dossiers/nato-russia/chronology?body=pjc");
    let slugs: Vec<&str> = pjc["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["slug"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = a
        .events
        .iter()
        .filter(|e| e.bodies.iter().any(|b| b == "pjc") && e.date.is_some())
        .map(|e| e.slug.as_str())
        .collect();
    for s in &expected {
        assert!(slugs.contains(s), "{s} missing from the PJC chronology");
    }
    assert!(slugs.len() < entries.len());

    let (_, _, speeches) = SERVER.json("/dossiers/nato-russia/chronology?kind=speech");
    assert!(speeches["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["kind"] == "speech"));

    let (status, html) = SERVER.html("/dossiers/nato-russia/chronology?body=pjc");
    assert_eq!(status, 200);
    assert!(html.contains("<option value=\"pjc\" selected>"));
    let (status, _, problem) = SERVER.json("/dossiers/nato-russia/chronology?body=%3Cscript%3E");
    assert_eq!(status, 400);
    assert_eq!(problem["status"], 400);
}

#[test]
fn every_page_kind_answers_json() {
    let (_, ct, home) = SERVER.json("/");
    assert!(ct.starts_with("application/json"));
    assert_eq!(home["dossiers"][0]["slug"], "nato-russia");
    assert_eq!(home["missing_dossiers"][0]["slug"], "nato-ukraine");
    for path in [
        "/dossiers/nato-russia",
        "/documents/founding-act-1997",
        "/bodies/pjc",
        "/people/george-robertson",
        "/events/nato-russia-summit-rome-2002",
        "/topics/combating-terrorism",
        "/dossiers/nato-russia/chronology",
    ] {
        let (status, ct, json) = SERVER.json(path);
        assert_eq!(status, 200, "{path}");
        assert!(ct.starts_with("application/json"), "{path}: {ct}");
        assert!(json.is_object(), "{path}");
    }
    let (_, _, doc) = SERVER.json("/documents/founding-act-1997");
    assert_eq!(doc["date"], "1997-05-27");
    assert_eq!(doc["kind"], "founding-act");
    assert_eq!(doc["legal_status"], "political-commitment");
    assert!(doc["cited_in"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["key"] == "a-i-1"));
}

#[test]
fn documents_show_the_sections_that_cite_them() {
    let (_, html) = SERVER.html("/documents/founding-act-1997");
    assert!(html.contains("href=\"/dossiers/nato-russia#a-i-1\""));
    assert!(text_of(&html).contains("1. The NATO-Russia Permanent Joint Council (PJC)"));
}

#[test]
fn unknown_addresses_are_404() {
    for path in [
        "/nope",
        "/documents/no-such-document",
        "/bodies/..%2F..%2Fetc",
        "/dossiers/nato-ukraine",
        "/dossiers/nope/chronology",
    ] {
        let (status, html) = SERVER.html(path);
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("<h1>Not found</h1>"), "{path}");
        let (status, ct, json) = SERVER.json(path);
        assert_eq!(status, 404);
        assert_eq!(ct, "application/problem+json");
        assert_eq!(json["status"], 404);
    }
}

#[test]
fn pages_are_accessible_and_printable() {
    let (_, html) = SERVER.html("/dossiers/nato-russia");
    assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
    for landmark in [
        "<header class=\"site\" role=\"banner\">",
        "<main id=\"main\">",
        "role=\"contentinfo\"",
        "<nav class=\"toc\"",
    ] {
        assert!(html.contains(landmark), "{landmark}");
    }
    assert_eq!(html.matches("<h1>").count(), 1);
    assert!(!html.contains("<script"), "pages need no JavaScript");
    let (status, css) = SERVER.html("/static/style.css");
    assert_eq!(status, 200);
    assert!(css.contains("@media print"));
}

#[test]
fn text_is_escaped_not_run() {
    let server = TestServer::with(|store| {
        use dossier_store::Store;
        let outline = b"<script>alert('title')</script> Dossier\n\nA. Part <script>alert(1)</script>\n\n1. Section\n\nText with <img src=x onerror=alert(2)> and [a link](javascript:alert(3)). Click here for the <script>doc</script>.\n";
        let mut dossier = dossier_ingest::parse_outline(outline, "evil.txt").unwrap();
        dossier.slug = "evil".into();
        dossier.sections[0].children[0].references[0].target = Some(Target::Document {
            slug: "evil-doc".into(),
        });
        let doc: Document = serde_json::from_value(serde_json::json!({
            "slug": "evil-doc",
            "title": "<script>alert('doc')</script>",
            "kind": "statement",
            "summary": "<b onmouseover=alert(4)>bold</b>",
            "place": "\"><script>alert(5)</script>",
            "dossiers": ["evil"],
        }))
        .unwrap();
        store
            .write(&Archive {
                dossiers: vec![dossier],
                documents: vec![doc],
                ..Default::default()
            })
            .unwrap();
    });
    for path in [
        "/",
        "/dossiers/evil",
        "/documents/evil-doc",
        "/dossiers/evil/chronology",
    ] {
        let (status, html) = server.html(path);
        assert_eq!(status, 200, "{path}");
        // The only script element a record page has is its schema.org description,
        // JSON with no `<` in it (tests/jsonld.rs); nothing from the data makes another.
        let html = without_json_ld(&html);
        assert!(
            !html.contains("<script"),
            "{path}: a script tag got through:\n{html}"
        );
        // The only image is the site's own timeline picture, never one from the data.
        let pictures = html
            .matches(r#"<img src="/dossiers/evil/timeline.svg""#)
            .count();
        assert_eq!(html.matches("<img").count(), pictures, "{path}");
        assert!(!html.contains("<b "), "{path}");
        assert!(!html.contains("href=\"javascript"), "{path}");
    }
    let (_, html) = server.html("/documents/evil-doc");
    assert!(
        text_of(&html).contains("<script>alert('doc')</script>"),
        "the title is shown as text"
    );
    let (_, html) = server.html("/dossiers/evil");
    assert!(text_of(&html).contains("Part <script>alert(1)</script>"));
}

#[test]
fn search_page_and_json() {
    let (status, html) = SERVER.html("/search?q=PJC");
    assert_eq!(status, 200);
    assert!(html.contains("href=\"/bodies/pjc\""));
    assert!(html.contains("<mark>"), "snippets highlight");
    assert!(
        html.contains("aria-label=\"Narrow the results\""),
        "facets are shown"
    );
    assert!(
        html.contains("/search?q=PJC%20kind%3A"),
        "facets are links that narrow the query"
    );

    let (status, _, json) = SERVER.json("/search?q=%22Founding%20Act%22");
    assert_eq!(status, 200);
    assert!(json["total"].as_u64().unwrap() >= 1);
    let first = &json["hits"][0];
    assert_eq!(first["slug"], "founding-act-1997");
    assert_eq!(first["type"], "document");
    assert_eq!(first["date"], "1997-05-27");
    assert!(first["title"].is_string() && first["snippet"].is_string());
    assert!(json["facets"].is_array());

    let (_, _, json) = SERVER.json("/search?q=kind%3Adeclaration%20date%3A2001..2002");
    assert!(json["hits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["slug"] == "rome-declaration-2002"));
    let (_, _, json) = SERVER.json("/search?q=terrorism&sort=date");
    let dates: Vec<Edtf> = json["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["date"].as_str())
        .map(|d| Edtf::parse(d).unwrap())
        .collect();
    assert!(
        dates.windows(2).all(|w| w[0].earliest() <= w[1].earliest()),
        "{dates:?}"
    );
}

#[test]
fn search_explains_bad_queries_and_suggests() {
    let (status, html) = SERVER.html("/search?q=%22open");
    assert_eq!(status, 400);
    assert!(text_of(&html)
        .contains("This query cannot be run: a phrase is opened with \" but never closed"));
    let (status, ct, json) = SERVER.json("/search?q=(pjc");
    assert_eq!(status, 400);
    assert_eq!(ct, "application/problem+json");
    assert!(json["detail"].as_str().unwrap().contains("never closed"));
    let (status, _, _) = SERVER.json("/search?q=pjc&page=0");
    assert_eq!(status, 400);
    let (_, html) = SERVER.html("/search?q=terorism");
    assert!(
        html.contains("Did you mean <a href=\"/search?q=terrorism\">terrorism</a>?"),
        "suggestion"
    );
    let (status, html) = SERVER.html("/search?q=");
    assert_eq!(status, 200);
    assert!(html.contains("How to search"));
    let (_, html) = SERVER.html("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    assert!(
        !html.contains("<script>alert"),
        "the query is escaped when shown"
    );
}

#[test]
fn every_page_has_a_search_box() {
    for path in [
        "/",
        "/dossiers/nato-russia",
        "/documents/founding-act-1997",
        "/nope",
    ] {
        let (_, html) = SERVER.html(path);
        assert!(
            html.contains(
                "<form class=\"search-box\" role=\"search\" aria-label=\"Site search\" method=\"get\" action=\"/search\">"
            ),
            "{path}"
        );
    }
}

/// Issue 20, finding 1: one GET of `/search?q=` and 240 `-` and `a` aborted the whole server
/// (a stack overflow in the query parser), and other shapes did the same on every route
/// that reads a query. Each now gets a 400 with the parser's message (the error page for
/// a browser, problem+json for JSON), and the server goes on answering.
#[test]
fn hostile_queries_get_a_400_and_the_server_keeps_answering() {
    let dashes = format!("{}a", "-".repeat(240));
    let (status, html) = SERVER.html(&format!("/search?q={dashes}"));
    assert_eq!(status, 400);
    assert!(
        text_of(&html)
            .contains("This query cannot be run: parentheses and NOTs nest more than 16 deep here"),
        "{}",
        text_of(&html)
    );
    let shapes = [
        dashes.clone(),
        "%28".repeat(10_000),
        "NOT%20".repeat(5_000) + "a",
        "a%20OR%20".repeat(2_000),
        "x".repeat(20_000),
        "%22a%20b%22%20".repeat(2_000),
        "kind:speech%20".repeat(2_000),
        format!("{}a", "-%28".repeat(20)),
        "nato%20".repeat(65),
    ];
    for q in &shapes {
        for path in [
            format!("/search?q={q}"),
            format!("/api/v1/search?q={q}"),
            format!("/bibliography.bib?q={q}"),
        ] {
            let (status, ct, json) = SERVER.json(&path);
            assert_eq!(status, 400, "{}", &path[..60]);
            assert_eq!(ct, "application/problem+json", "{}", &path[..60]);
            let detail = json["detail"].as_str().unwrap();
            assert!(
                ["nest more than 16", "characters long", "more than 64 words"]
                    .iter()
                    .any(|m| detail.contains(m)),
                "{}: {detail}",
                &path[..60]
            );
        }
    }
    let (status, html) = SERVER.html(&format!("/bibliography.ris?q={dashes}"));
    assert_eq!(status, 400);
    assert!(text_of(&html).contains("nest more than 16 deep"));
    // Still serving, and the deepest query the parser accepts is answered.
    let (status, _, json) = SERVER.json("/search?q=nato");
    assert_eq!(status, 200);
    assert!(json["total"].as_u64().unwrap() > 0);
    let (status, _) = SERVER.html(&format!("/search?q={}nato", "-".repeat(16)));
    assert_eq!(status, 200);
}

/// `html` without its JSON-LD block, which must hold no `<` (so no tag can hide in it).
fn without_json_ld(html: &str) -> String {
    let open = r#"<script type="application/ld+json">"#;
    match html.find(open) {
        Some(start) => {
            let body = start + open.len();
            let end = body + html[body..].find("</script>").expect("the block is closed");
            assert!(!html[body..end].contains('<'), "a `<` in the JSON-LD");
            format!("{}{}", &html[..start], &html[end + "</script>".len()..])
        }
        None => html.to_string(),
    }
}
