//! Citations, feeds, the sitemap and robots.txt over real HTTP.

mod common;

use common::xml::{parse, Node};
use common::TestServer;
use dossier_model::*;
use dossier_store::{SqliteStore, Store};
use std::sync::LazyLock;

const HOSTILE: &str = "<script>alert(\"x\")</script> & 'quotes'";

fn fill(store: &SqliteStore) {
    store
        .write(&dossier_ingest::builtin::archive().unwrap())
        .unwrap();
    store
        .write(&Archive {
            documents: vec![Document {
                collections: Vec::new(),
                coverage: None,
                texts: Vec::new(),
                slug: "hostile".into(),
                title: HOSTILE.into(),
                aliases: vec![],
                kind: DocumentKind::Statement,
                date: Some(Edtf::parse("2002-05-28").unwrap()),
                place: Some(HOSTILE.into()),
                issued_by: vec!["nato".into()],
                authors: vec![],
                parties: vec![],
                legal_status: LegalStatus::Unknown,
                availability: Availability::Public,
                languages: vec![],
                summary: Some(HOSTILE.into()),
                relations: vec![],
                dossiers: vec!["nato-russia".into()],
                topics: vec![],
                provenance: Provenance::default(),
            }],
            ..Default::default()
        })
        .unwrap();
}

static SERVER: LazyLock<TestServer> = LazyLock::new(|| TestServer::with(fill));

fn head(html: &str) -> &str {
    &html[..html.find("</head>").expect("a head")]
}

#[test]
fn a_document_page_has_a_cite_block_and_citation_meta_tags() {
    let (status, html) = SERVER.html("/documents/joint-statement-moscow-2000-02-16");
    assert_eq!(status, 200);
    let base = &SERVER.base;
    let url = format!("{base}/documents/joint-statement-moscow-2000-02-16");
    let h = head(&html);
    for tag in [
        "<meta name=\"citation_title\" content=\"Joint Statement on the occasion of the visit of the Secretary General of NATO, Lord Robertson, in Moscow on 16 February 2000\">".to_string(),
        "<meta name=\"citation_author\" content=\"North Atlantic Treaty Organization\">".into(),
        "<meta name=\"citation_author\" content=\"Russian Federation\">".into(),
        "<meta name=\"citation_publication_date\" content=\"2000/02/16\">".into(),
        "<meta name=\"citation_publisher\" content=\"North Atlantic Treaty Organization; Russian Federation\">".into(),
        format!("<meta name=\"citation_public_url\" content=\"{url}\">"),
    ] {
        assert!(h.contains(&tag), "missing {tag}\n{h}");
    }
    let text = common::text_of(&html);
    assert!(text.contains("Cite Chicago (note) North Atlantic Treaty Organization and Russian Federation, “Joint Statement"), "{text}");
    assert!(
        text.contains(
            "APA North Atlantic Treaty Organization, & Russian Federation. (2000, February 16)."
        ),
        "{text}"
    );
    for ext in ["bib", "ris", "csl.json"] {
        assert!(
            html.contains(&format!(
                "href=\"/citations/joint-statement-moscow-2000-02-16.{ext}\""
            )),
            "{ext}"
        );
    }
}

#[test]
fn hostile_titles_are_escaped_in_meta_tags_and_the_cite_block() {
    let (status, html) = SERVER.html("/documents/hostile");
    assert_eq!(status, 200);
    // One script element: the page's JSON-LD, where the title is JSON with `<` escaped.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(html.contains(r#"<script type="application/ld+json">"#));
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("\\u003c/script\\u003e"),
        "the title's </script> as JSON"
    );
    assert!(head(&html).contains(
        "<meta name=\"citation_title\" content=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;\">"
    ));
}

#[test]
fn citation_files_download_in_three_formats() {
    let (status, h, body) = SERVER.request("GET", "/citations/founding-act-1997.bib", &[], None);
    assert_eq!(status, 200);
    assert_eq!(h["content-type"], "application/x-bibtex; charset=utf-8");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"founding-act-1997.bib\""
    );
    assert!(body.starts_with("@misc{founding-act-1997,"), "{body}");
    let (status, ct, body) = SERVER.get("/citations/founding-act-1997.ris");
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/x-research-info-systems"));
    assert!(body.starts_with("TY  - GOVDOC\r\n"), "{body}");
    let (status, ct, body) = SERVER.get("/citations/founding-act-1997.csl.json");
    assert_eq!(status, 200);
    assert_eq!(ct, "application/vnd.citationstyles.csl+json");
    let csl: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(csl[0]["id"], "founding-act-1997");
    assert_eq!(csl[0]["issued"]["date-parts"][0][0], 1997);
    assert_eq!(
        csl[0]["URL"],
        format!("{}/documents/founding-act-1997", SERVER.base)
    );
    let (status, _, _) = SERVER.get("/citations/no-such-document.ris");
    assert_eq!(status, 404);
    for bad in [
        "/citations/founding-act-1997.pdf",
        "/citations/Founding.ris",
        "/citations/.ris",
    ] {
        assert_eq!(SERVER.get(bad).0, 404, "{bad}");
    }
}

#[test]
fn a_dossier_and_a_selection_export_as_one_bibliography() {
    let docs = SERVER
        .store
        .documents(&dossier_store::DocumentQuery {
            dossier: Some("nato-russia".into()),
            ..Default::default()
        })
        .unwrap();
    let (status, _, body) = SERVER.get("/dossiers/nato-russia/bibliography.ris");
    assert_eq!(status, 200);
    assert_eq!(body.matches("\r\nER  - \r\n").count(), docs.len());
    let (_, _, body) = SERVER.get("/dossiers/nato-russia/bibliography.bib");
    assert_eq!(body.matches("\n@").count() + 1, docs.len(), "{body}");
    let (_, _, body) = SERVER.get("/dossiers/nato-russia/bibliography.csl.json");
    let items: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(items.len(), docs.len());
    let (status, _, _) = SERVER.get("/dossiers/nope/bibliography.bib");
    assert_eq!(status, 404);
    let (_, html) = SERVER.html("/dossiers/nato-russia");
    assert!(html.contains("href=\"/dossiers/nato-russia/bibliography.bib\""));

    // A selection, such as a list of search results.
    let (status, _, body) =
        SERVER.get("/bibliography.csl.json?documents=founding-act-1997,hostile");
    assert_eq!(status, 200);
    let items: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["founding-act-1997", "hostile"]);
    assert_eq!(items[1]["title"], HOSTILE);
    let (status, _, json) = SERVER.json("/bibliography.bib?documents=founding-act-1997,nope");
    assert_eq!(status, 404);
    assert!(json["detail"].as_str().unwrap().contains("`nope`"));
    assert_eq!(SERVER.get("/bibliography.ris").0, 400);
    assert_eq!(SERVER.get("/bibliography.ris?documents=Bad%20Slug").0, 400);
}

fn required_atom(feed: &Node) {
    assert_eq!(feed.name, "feed");
    assert_eq!(feed.attr("xmlns"), Some("http://www.w3.org/2005/Atom"));
    for e in ["id", "title", "updated"] {
        assert!(!feed.text_of(e).unwrap_or_default().is_empty(), "feed {e}");
    }
    assert!(feed
        .all("link")
        .iter()
        .any(|l| l.attr("rel") == Some("self")));
    // RFC 4287 4.1.1: an author for the feed, or for every entry.
    assert!(feed
        .child("author")
        .and_then(|a| a.text_of("name"))
        .is_some());
    let rfc3339 = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").unwrap();
    assert!(rfc3339.is_match(feed.text_of("updated").unwrap()));
    for entry in feed.all("entry") {
        for e in ["id", "title", "updated"] {
            assert!(
                !entry.text_of(e).unwrap_or_default().is_empty(),
                "entry {e}"
            );
        }
        assert!(rfc3339.is_match(entry.text_of("updated").unwrap()));
        assert!(entry.text_of("id").unwrap().starts_with("http"));
        assert!(entry
            .all("link")
            .iter()
            .any(|l| l.attr("rel") == Some("alternate")));
    }
}

#[test]
fn atom_feeds_of_added_and_changed_documents() {
    let (status, ct, body) = SERVER.get("/feed.atom");
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/atom+xml"));
    let feed = parse(&body);
    required_atom(&feed);
    let entries = feed.all("entry");
    assert_eq!(
        entries.len(),
        dossier_publish::feed::FEED_ENTRIES
            .min(SERVER.store.documents(&Default::default()).unwrap().len())
    );
    // The hostile title is text in the feed, not markup.
    assert!(!body.contains("<script"));
    let hostile = entries
        .iter()
        .find(|e| e.text_of("title") == Some(HOSTILE))
        .expect("the hostile document's entry");
    assert!(hostile.text_of("summary").unwrap().contains(HOSTILE));

    let (status, _, body) = SERVER.get("/dossiers/nato-russia/feed.atom");
    assert_eq!(status, 200);
    let feed = parse(&body);
    required_atom(&feed);
    let times = regex::Regex::new(r"<(updated|published)>[^<]*</").unwrap();
    let base = regex::Regex::new(r"http://127\.0\.0\.1:\d+").unwrap();
    let redacted = times.replace_all(&body, "<$1>[time]</");
    let redacted = base.replace_all(&redacted, "[base]").into_owned();
    // Entries are newest first; records written in the same test run may differ by a
    // second, so the snapshot sorts them (the order is checked apart, below).
    let (head, rest) = redacted.split_once("  <entry>").unwrap();
    let mut chunks: Vec<String> = rest
        .trim_end_matches("</feed>\n")
        .split("  <entry>")
        .map(|c| format!("  <entry>{c}"))
        .collect();
    chunks.sort();
    insta::assert_snapshot!(
        "dossier-feed",
        format!("{head}{}</feed>\n", chunks.concat())
    );
    let updated: Vec<&str> = feed
        .all("entry")
        .iter()
        .map(|e| e.text_of("updated").unwrap())
        .collect();
    assert!(updated.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(SERVER.get("/dossiers/nope/feed.atom").0, 404);
    let (_, html) = SERVER.html("/dossiers/nato-russia");
    assert!(html.contains(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Documents added and changed in Formal NATO-Russia Relations\" href=\"/dossiers/nato-russia/feed.atom\">"
    ), "feed discovery");
}

#[test]
fn the_sitemap_lists_every_page_and_each_answers() {
    let (status, ct, body) = SERVER.get("/sitemap.xml");
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/xml"));
    let urlset = parse(&body);
    assert_eq!(
        urlset.attr("xmlns"),
        Some("http://www.sitemaps.org/schemas/sitemap/0.9")
    );
    let locs: Vec<String> = urlset
        .all("url")
        .iter()
        .map(|u| u.text_of("loc").unwrap().to_string())
        .collect();
    let s = &SERVER.store;
    let expected = 1
        + 2 * s.dossiers().unwrap().len()
        + s.documents(&Default::default()).unwrap().len()
        + s.bodies(None).unwrap().len()
        + s.people(None).unwrap().len()
        + s.events(&Default::default()).unwrap().len()
        + s.topics(None).unwrap().len();
    assert_eq!(locs.len(), expected);
    for loc in &locs {
        let path = loc
            .strip_prefix(&SERVER.base)
            .expect("an address of this site");
        assert_eq!(SERVER.html(path).0, 200, "{loc}");
    }
}

/// The page addresses of a `urlset`, as site paths.
fn urlset_paths(server: &TestServer, xml: &str) -> Vec<String> {
    let urlset = parse(xml);
    assert_eq!(urlset.name, "urlset");
    assert_eq!(
        urlset.attr("xmlns"),
        Some("http://www.sitemaps.org/schemas/sitemap/0.9")
    );
    urlset
        .all("url")
        .iter()
        .map(|u| {
            assert!(u
                .children
                .iter()
                .all(|c| c.name == "loc" || c.name == "lastmod"));
            let loc = u.text_of("loc").unwrap();
            loc.strip_prefix(&server.base).unwrap().to_string()
        })
        .collect()
}

#[test]
fn a_sitemap_past_its_limit_is_an_index_of_parts() {
    let limit = 10;
    let small = TestServer::with_app(fill, move |s| s.with_sitemap_limit(limit));
    let (_, _, whole) = SERVER.get("/sitemap.xml");
    let all = urlset_paths(&SERVER, &whole);
    assert!(all.len() > 3 * limit);
    // /sitemap-1.xml does not exist while one file holds everything.
    assert_eq!(SERVER.get("/sitemap-1.xml").0, 404);

    let (status, ct, body) = small.get("/sitemap.xml");
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/xml"));
    let index = parse(&body);
    assert_eq!(index.name, "sitemapindex");
    assert_eq!(
        index.attr("xmlns"),
        Some("http://www.sitemaps.org/schemas/sitemap/0.9")
    );
    let parts = index.all("sitemap");
    assert_eq!(parts.len(), all.len().div_ceil(limit));
    let mut seen = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let loc = part.text_of("loc").unwrap();
        assert_eq!(loc, format!("{}/sitemap-{}.xml", small.base, i + 1));
        let lastmod = part.text_of("lastmod").unwrap();
        assert!(dossier_publish::time::is_day(lastmod), "{lastmod}");
        let (status, ct, xml) = small.get(loc.strip_prefix(&small.base).unwrap());
        assert_eq!(status, 200, "{loc}");
        assert!(ct.starts_with("application/xml"));
        let paths = urlset_paths(&small, &xml);
        assert!(!paths.is_empty() && paths.len() <= limit, "{loc}");
        seen.extend(paths);
    }
    assert_eq!(
        seen, all,
        "the parts together are the whole sitemap, in order"
    );
    for path in &seen[..3] {
        assert_eq!(small.html(path).0, 200, "{path}");
    }
    for missing in [
        format!("/sitemap-{}.xml", parts.len() + 1),
        "/sitemap-0.xml".into(),
        "/sitemap-01.xml".into(),
        "/sitemap-1.xml/".into(),
    ] {
        assert_eq!(small.get(&missing).0, 404, "{missing}");
    }
    let (status, _, _) = small.request("POST", "/sitemap-1.xml", &[], Some(("text/plain", "")));
    // Refused before any handler runs: the accounts layer answers a state-changing request
    // without the site's token 403 (issue 23), whatever the route.
    assert!(
        [403, 404, 405].contains(&status),
        "only GET reads a sitemap, not a POST: {status}"
    );
}

#[test]
fn robots_txt_names_the_sitemap() {
    let (status, ct, body) = SERVER.get("/robots.txt");
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/plain"));
    assert!(body.starts_with("User-agent: *\n"));
    assert!(body.contains("Disallow: /api/\n"));
    assert!(body.contains(&format!("Sitemap: {}/sitemap.xml\n", SERVER.base)));
}

/// The document hits of a search, in order, as the JSON API lists them.
fn document_hits(query: &str, sort: &str) -> Vec<String> {
    let (status, _, body) = SERVER.get(&format!("/api/v1/search?q={query}&sort={sort}&limit=100"));
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["next_cursor"].is_null(), "one page holds every hit");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["type"] == "document")
        .map(|h| h["slug"].as_str().unwrap().to_string())
        .collect()
}

/// `facets=false` answers the same hits and total without counting facets (`null`), keeps
/// the choice in the next page's link, and refuses a value that is not `true`/`false`.
#[test]
fn the_search_api_can_leave_out_the_facets() {
    let (status, _, with) = SERVER.get("/api/v1/search?q=nato&limit=5");
    assert_eq!(status, 200, "{with}");
    let (status, headers, without) = SERVER.request(
        "GET",
        "/api/v1/search?q=nato&limit=5&facets=false",
        &[],
        None,
    );
    assert_eq!(status, 200, "{without}");
    let with: serde_json::Value = serde_json::from_str(&with).unwrap();
    let without: serde_json::Value = serde_json::from_str(&without).unwrap();
    assert!(!with["facets"].as_array().unwrap().is_empty());
    assert!(without["facets"].is_null(), "{without}");
    assert_eq!(with["total"], without["total"]);
    assert_eq!(with["items"], without["items"]);
    assert!(with["total"].as_u64().unwrap() > 5, "a second page exists");
    let link = headers["link"].to_str().unwrap();
    assert!(link.contains("facets=false"), "{link}");
    let (status, _, explicit) = SERVER.get("/api/v1/search?q=nato&limit=5&facets=true");
    assert_eq!(status, 200);
    let explicit: serde_json::Value = serde_json::from_str(&explicit).unwrap();
    assert_eq!(explicit["facets"], with["facets"]);
    for bad in ["yes", "0", "%3Cscript%3E"] {
        let (status, ct, body) = SERVER.get(&format!("/api/v1/search?q=nato&facets={bad}"));
        assert_eq!(status, 400, "{bad}: {body}");
        // JSON, never HTML: the value it names cannot run as markup.
        assert_eq!(ct, "application/problem+json", "{body}");
        assert!(body.contains("`facets` is `true` or `false`"), "{body}");
    }
}

#[test]
fn a_search_result_list_exports_as_a_bibliography() {
    let (status, html) = SERVER.html("/search?q=pjc&sort=date");
    assert_eq!(status, 200);
    let expected = document_hits("pjc", "date");
    assert!(expected.len() > 1);
    let text = common::text_of(&html);
    assert!(
        text.contains(&format!(
            "Cite these results: the {} documents among them, in this order, as BibTeX · RIS · CSL-JSON .",
            expected.len()
        )),
        "{text}"
    );
    for ext in ["bib", "ris", "csl.json"] {
        assert!(
            html.contains(&format!("href=\"/bibliography.{ext}?q=pjc&amp;sort=date\"")),
            "{ext}: {html}"
        );
    }
    let (status, h, body) =
        SERVER.request("GET", "/bibliography.csl.json?q=pjc&sort=date", &[], None);
    assert_eq!(status, 200);
    assert_eq!(h["content-type"], "application/vnd.citationstyles.csl+json");
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"search-results.csl.json\""
    );
    let items: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids, expected,
        "exactly the document hits, in the page's order"
    );
    let (_, _, ris) = SERVER.get("/bibliography.ris?q=pjc&sort=date");
    assert_eq!(ris.matches("\r\nER  - \r\n").count(), expected.len());
    let (_, _, bib) = SERVER.get("/bibliography.bib?q=pjc&sort=date");
    for slug in &expected {
        assert!(bib.contains(&format!("{{{slug},")), "{slug}");
    }

    // Hostile words in the query stay text in the link and in the file.
    let (status, html) = SERVER.html("/search?q=%3Cscript%3E%20alert");
    assert_eq!(status, 200);
    assert!(!html.contains("<script>"));
    assert!(
        html.contains("href=\"/bibliography.ris?q=%3Cscript%3E%20alert\""),
        "{html}"
    );
    let (status, _, body) = SERVER.get("/bibliography.csl.json?q=%3Cscript%3E%20alert");
    assert_eq!(status, 200);
    let items: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["title"], HOSTILE);

    // No document among the hits: no links.
    let (_, html) = SERVER.html("/search?q=type:body%20pjc");
    assert!(!html.contains("Cite these results"));

    // What cannot be run is refused with the reason.
    let (status, _, json) = SERVER.json("/bibliography.bib?q=%28pjc");
    assert_eq!(status, 400);
    assert!(
        json["detail"].as_str().unwrap().contains("at character"),
        "{json}"
    );
    assert_eq!(SERVER.get("/bibliography.bib?q=pjc&sort=title").0, 400);
    assert_eq!(
        SERVER.get("/bibliography.bib?q=pjc&documents=hostile").0,
        400
    );
    assert_eq!(SERVER.get("/bibliography.bib?q=%20").0, 400);
}
