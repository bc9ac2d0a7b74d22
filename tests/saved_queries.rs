//! A dossier's saved searches (issue 27): the dossier's page lists each with its hit count
//! and first hits, linking to the search page; a search that cannot run says why; titles
//! and queries are text, never markup.

mod common;

use common::TestServer;
use dossier_model::SavedQuery;
use dossier_store::Store;

fn server(queries: Vec<SavedQuery>) -> TestServer {
    TestServer::with(move |store| {
        let mut archive = dossier_ingest::builtin::archive().unwrap();
        archive.dossiers[0].queries = queries;
        store.write(&archive).unwrap();
    })
}

#[test]
fn the_dossier_page_lists_each_saved_search_with_its_count_and_first_hits() {
    let s = server(vec![
        SavedQuery {
            title: "Documents and meetings of the PJC".into(),
            query: "type:document body:pjc OR type:event body:pjc".into(),
        },
        SavedQuery {
            title: "<script>alert(1)</script> an unclosed phrase".into(),
            query: "\"Founding Act <b>".into(),
        },
    ]);
    let want = s
        .search
        .search(&dossier_search::SearchRequest {
            facets: false,
            ..dossier_search::SearchRequest::new("type:document body:pjc OR type:event body:pjc")
        })
        .unwrap();
    assert!(
        want.total > 5,
        "the built-in dossier's PJC meetings: {}",
        want.total
    );

    let (status, html) = s.html("/dossiers/nato-russia");
    assert_eq!(status, 200);
    assert!(
        html.contains("<h2 id=\"queries-h\">Searches this dossier names</h2>"),
        "{html}"
    );
    assert!(html.contains("<h3>Documents and meetings of the PJC</h3>"));
    assert!(
        html.contains(&format!(": {} records, the first 5 below.", want.total)),
        "{html}"
    );
    assert!(
        html.contains("href=\"/search?q=type%3Adocument+body%3Apjc+OR+type%3Aevent+body%3Apjc\""),
        "{html}"
    );
    for hit in want.hits.iter().take(5) {
        assert!(
            html.contains(&format!("href=\"{}\"", hit.url)),
            "{}",
            hit.url
        );
    }
    // The search the language refuses says so, escaped; the page is still served.
    assert!(
        html.contains("This search cannot run: a phrase is opened with"),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; an unclosed phrase"));
    assert!(
        html.contains("<code>&quot;Founding Act &lt;b&gt;</code>"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));

    // The page's JSON carries the same answer.
    let (status, _, json) = s.json("/dossiers/nato-russia");
    assert_eq!(status, 200);
    let q = &json["queries"][0];
    assert_eq!(q["total"], want.total);
    assert_eq!(q["hits"].as_array().unwrap().len(), 5);
    assert_eq!(
        q["search_url"],
        "/search?q=type%3Adocument+body%3Apjc+OR+type%3Aevent+body%3Apjc"
    );
    assert!(json["queries"][1]["error"].as_str().is_some());
}

#[test]
fn a_dossier_without_saved_searches_shows_no_such_section() {
    let s = server(vec![]);
    let (_, html) = s.html("/dossiers/nato-russia");
    assert!(!html.contains("queries-h"));
    assert!(s
        .store
        .dossier("nato-russia")
        .unwrap()
        .unwrap()
        .queries
        .is_empty());
}

#[test]
fn a_collection_s_bibliography_is_served_and_an_unknown_one_is_not() {
    let s = TestServer::with(|store| {
        let mut archive = dossier_ingest::builtin::archive().unwrap();
        archive.collections.push(dossier_model::Collection {
            slug: "acts".into(),
            title: "Founding acts".into(),
            description: String::new(),
            source: None,
            url: None,
        });
        let act = archive
            .documents
            .iter_mut()
            .find(|d| d.slug == "founding-act-1997")
            .unwrap();
        act.collections.push("acts".into());
        store.write(&archive).unwrap();
    });
    let (status, headers, body) = s.request("GET", "/collections/acts/bibliography.bib", &[], None);
    assert_eq!(status, 200);
    assert!(body.contains("Founding Act"), "{body}");
    assert_eq!(
        body.matches("\n@").count() + usize::from(body.starts_with('@')),
        1
    );
    let disposition = headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert_eq!(
        disposition,
        "attachment; filename=\"acts-bibliography.bib\""
    );
    let (status, _, ris) = s.get("/collections/acts/bibliography.ris");
    assert_eq!(status, 200);
    assert!(ris.starts_with("TY  -"), "{ris}");
    for path in [
        "/collections/nope/bibliography.bib",
        "/collections/..%2F..%2Fetc/bibliography.bib",
        "/collections/%3Cscript%3E/bibliography.csl.json",
    ] {
        let (status, _, body) = s.get(path);
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("<script>"), "{path}: {body}");
    }
}
