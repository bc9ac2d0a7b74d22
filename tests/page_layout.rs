//! The reading aids of issue 27 as HTML: breadcrumbs on the record pages, previous and
//! next in the chronology on document and event pages, the search page's results before
//! its folded facets, and search forms that a screen reader tells apart. The layout
//! itself (no sideways scroll at 360-390 px, axe-core) is checked in a real browser by
//! tests/browser_pages.rs.

mod common;

use common::TestServer;

/// The `href` of the first `<a rel="…">` in `html`, if any.
fn rel_link<'a>(html: &'a str, rel: &str) -> Option<&'a str> {
    let at = html.find(&format!("rel=\"{rel}\" href=\""))?;
    let rest = &html[at + rel.len() + 13..];
    Some(&rest[..rest.find('"')?])
}

#[test]
fn record_pages_have_breadcrumbs_ending_at_the_page() {
    let server = TestServer::builtin();
    for (path, middle, current) in [
        ("/documents/founding-act-1997", "/documents", "Founding Act"),
        ("/bodies/pjc", "/bodies", "Permanent Joint Council"),
        ("/people/george-robertson", "/people", "George Robertson"),
        (
            "/events/founding-act-signed-1997",
            "/events",
            "Founding Act",
        ),
        ("/topics/peacekeeping", "/topics", "eacekeeping"),
        (
            "/dossiers/nato-russia/timeline",
            "/dossiers/nato-russia",
            "Timeline",
        ),
        ("/bodies/pjc/timeline", "/bodies/pjc", "Timeline"),
        (
            "/documents/founding-act-1997/text",
            "/documents/founding-act-1997",
            "Text",
        ),
        (
            "/dossiers/nato-russia/chronology",
            "/dossiers/nato-russia",
            "Chronology",
        ),
    ] {
        let (status, html) = server.html(path);
        assert_eq!(status, 200, "{path}");
        let start = html
            .find(r#"<nav class="breadcrumbs" aria-label="Breadcrumb">"#)
            .unwrap_or_else(|| panic!("{path}: no breadcrumbs"));
        let nav = &html[start..start + html[start..].find("</nav>").unwrap()];
        assert!(nav.contains(r#"<a href="/">Home</a>"#), "{path}: {nav}");
        assert!(
            nav.contains(&format!(r#"<a href="{middle}">"#)),
            "{path}: {nav}"
        );
        let here = &nav[nav
            .find(r#"aria-current="page""#)
            .expect("the page is marked")..];
        assert!(here.contains(current), "{path}: {nav}");
        // Before the page's own heading, after the site's header.
        assert!(start < html.find("<h1").unwrap(), "{path}");
    }
}

#[test]
fn document_and_event_pages_link_their_neighbours_in_the_chronology() {
    let server = TestServer::builtin();
    let (_, _, chronology) = server.json("/dossiers/nato-russia/chronology");
    let entries = chronology["entries"].as_array().unwrap();
    assert!(entries.len() > 3);
    let url = |i: usize| entries[i]["url"].as_str().unwrap().to_string();
    // Every dated record, from the first to the last: each page's previous and next are
    // the chronology's rows before and after it.
    for i in [0, 1, entries.len() / 2, entries.len() - 1] {
        let (status, html) = server.html(&url(i));
        assert_eq!(status, 200, "{}", url(i));
        assert!(
            html.contains(&format!("{} of {} in the", i + 1, entries.len())),
            "{}",
            url(i)
        );
        let prev = (i > 0).then(|| url(i - 1));
        let next = (i + 1 < entries.len()).then(|| url(i + 1));
        assert_eq!(rel_link(&html, "prev"), prev.as_deref(), "{}", url(i));
        assert_eq!(rel_link(&html, "next"), next.as_deref(), "{}", url(i));
    }
    // An undated record is in no chronology: no such links.
    if let Some(undated) = chronology["undated"].as_array().and_then(|u| u.first()) {
        let (_, html) = server.html(undated["url"].as_str().unwrap());
        assert!(!html.contains(r#"class="prev-next""#));
    }
}

#[test]
fn search_results_come_before_the_folded_facets_and_the_forms_have_their_own_names() {
    let server = TestServer::builtin();
    let (status, html) = server.html("/search?q=PJC");
    assert_eq!(status, 200);
    let hits = html.find(r#"<ol class="hits""#).expect("results");
    let facets = html
        .find(r#"<details class="facets">"#)
        .expect("folded facets");
    assert!(hits < facets, "the results come first");
    assert!(!html[facets..].starts_with(r#"<details class="facets" open"#));
    // Two search landmarks, each with its own name (axe-core's landmark-unique).
    let names: Vec<&str> = html
        .match_indices(r#"role="search" aria-label=""#)
        .map(|(i, m)| {
            let rest = &html[i + m.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_ne!(names[0], names[1]);
    assert_eq!(html.matches(r#"role="search""#).count(), 2);
}

#[test]
fn the_chronology_table_labels_its_cells_for_the_phone_layout() {
    let server = TestServer::builtin();
    let (_, html) = server.html("/dossiers/nato-russia/chronology");
    assert!(html.contains(r#"<table class="chronology reflow">"#));
    for label in ["Date", "Record", "Kind"] {
        assert!(
            html.contains(&format!(r#"<td data-label="{label}">"#)),
            "{label}"
        );
    }
    let css = server.get("/static/style.css").2;
    assert!(css.contains("@media (max-width: 600px)") && css.contains("table.reflow tr"));
}

#[test]
fn a_year_of_the_chronology_links_the_years_before_and_after_it() {
    let server = TestServer::builtin();
    // The years with records of the PJC (the body filter stays on the year links).
    let (_, _, all) = server.json("/dossiers/nato-russia/chronology?body=pjc");
    let years: Vec<i64> = all["year_choices"]
        .as_array()
        .expect("the year filter's choices")
        .iter()
        .map(|y| y.as_i64().unwrap())
        .collect();
    assert!(years.len() >= 3, "{years:?}");
    let path = |y: i64| format!("/dossiers/nato-russia/chronology?body=pjc&year={y}");
    let link = |y: i64| format!("/dossiers/nato-russia/chronology?body=pjc&amp;year={y}");
    let (status, html) = server.html(&path(years[1]));
    assert_eq!(status, 200);
    assert_eq!(rel_link(&html, "prev"), Some(link(years[0]).as_str()));
    assert_eq!(rel_link(&html, "next"), Some(link(years[2]).as_str()));
    let (_, first) = server.html(&path(years[0]));
    assert_eq!(rel_link(&first, "prev"), None);
    let last = *years.last().unwrap();
    let (_, html) = server.html(&path(last));
    assert_eq!(rel_link(&html, "next"), None);
    // Unfiltered, the whole chronology: no year links.
    let (_, html) = server.html("/dossiers/nato-russia/chronology");
    assert!(!html.contains("Other years of the chronology"));
}
