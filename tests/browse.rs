//! The browse pages (issue 27) over real HTTP: `/documents`, `/bodies`, `/people`,
//! `/events`, `/topics`, `/dossiers`, `/collections` and `/collections/{slug}`, in HTML
//! and JSON (`total`, `items`, `facets`), with facets, orders, letters and stable pages.

mod common;

use common::{text_of, TestServer};
use dossier_model::*;
use dossier_store::Store;
use std::collections::BTreeSet;
use std::sync::LazyLock;

fn collection(v: serde_json::Value) -> Collection {
    serde_json::from_value(v).unwrap()
}

fn document(v: serde_json::Value) -> Document {
    serde_json::from_value(v).unwrap()
}

/// The built-in dossier, and a collection of imported essays beside it (one with a
/// hostile title and source).
static SERVER: LazyLock<TestServer> = LazyLock::new(|| {
    TestServer::with(|store| {
        store
            .write(&dossier_ingest::builtin::archive().unwrap())
            .unwrap();
        store
            .write(&Archive {
                collections: vec![
                    collection(serde_json::json!({
                        "slug": "milestones", "title": "Milestones essays",
                        "description": "Essays of the Office of the Historian.",
                        "source": "Office of the Historian <script>alert(1)</script>",
                        "url": "https://history.state.gov/milestones",
                    })),
                    collection(serde_json::json!({"slug": "empty", "title": "Nothing yet"})),
                ],
                documents: (0..30)
                    .map(|i| {
                        document(serde_json::json!({
                            "slug": format!("essay-{i:02}"),
                            "title": if i == 0 { "<script>alert('t')</script> essay".to_string() } else { format!("Essay {i:02}") },
                            "kind": "research-study",
                            "date": format!("{}", 1950 + i),
                            "coverage": format!("{}/{}", 1900 + i, 1910 + i),
                            "collections": ["milestones"],
                        }))
                    })
                    .collect(),
                ..Default::default()
            })
            .unwrap();
    })
});

fn get_json(path: &str) -> serde_json::Value {
    let (status, ct, v) = SERVER.json(path);
    assert_eq!(status, 200, "{path}: {v}");
    assert!(ct.starts_with("application/json"), "{path}: {ct}");
    for key in ["total", "items", "facets"] {
        assert!(!v[key].is_null(), "{path} lacks `{key}`: {v}");
    }
    v
}

fn items(v: &serde_json::Value) -> Vec<&serde_json::Value> {
    v["items"].as_array().unwrap().iter().collect()
}

fn slugs(v: &serde_json::Value) -> Vec<String> {
    items(v)
        .iter()
        .map(|i| i["slug"].as_str().unwrap().to_string())
        .collect()
}

/// Every page of a list, followed through its `next` links.
fn all_pages(first: &str) -> (Vec<String>, u64) {
    let mut out = Vec::new();
    let mut next = Some(first.to_string());
    let mut total = None;
    let mut pages = 0;
    while let Some(path) = next {
        let v = get_json(&path);
        let t = v["total"].as_u64().unwrap();
        assert_eq!(
            *total.get_or_insert(t),
            t,
            "the total is the same on every page"
        );
        out.extend(slugs(&v));
        next = v["next"].as_str().map(str::to_string);
        pages += 1;
        assert!(pages < 100);
    }
    (out, total.unwrap())
}

#[test]
fn every_browse_page_answers_in_html_and_json() {
    for path in [
        "/documents",
        "/bodies",
        "/people",
        "/events",
        "/topics",
        "/dossiers",
        "/collections",
        "/collections/milestones",
    ] {
        let (status, html) = SERVER.html(path);
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("<h1>"), "{path}");
        let v = get_json(path);
        assert!(v["total"].as_u64().unwrap() > 0, "{path}: {v}");
        assert!(!items(&v).is_empty(), "{path}");
    }
}

#[test]
fn a_type_page_lists_every_record_of_the_type_page_by_page() {
    let store = &SERVER.store;
    let held: BTreeSet<String> = store
        .documents(&Default::default())
        .unwrap()
        .into_iter()
        .map(|d| d.slug)
        .collect();
    let (listed, total) = all_pages("/documents");
    assert_eq!(total as usize, held.len());
    assert_eq!(listed.len(), held.len(), "no record twice, none missing");
    assert_eq!(listed.iter().cloned().collect::<BTreeSet<_>>(), held);
    // Pages have stable addresses: asking for page 2 again gives page 2 again.
    let a = get_json("/documents?page=2");
    let b = get_json("/documents?page=2");
    assert_eq!(slugs(&a), slugs(&b));
    assert_eq!(a["prev"], "/documents");
    assert_eq!(a["next"], "/documents?page=3");
    // Title order, A to Z.
    let titles: Vec<String> = items(&get_json("/documents?per_page=100"))
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_lowercase())
        .collect();
    let first_letters: Vec<char> = titles
        .iter()
        .filter_map(|t| t.chars().find(|c| c.is_alphanumeric()))
        .collect();
    let mut sorted = first_letters.clone();
    sorted.sort();
    assert_eq!(first_letters, sorted);
}

#[test]
fn orders_by_date_put_undated_records_last() {
    for (sort, ascending) in [("date", true), ("date-desc", false)] {
        let v = get_json(&format!("/documents?sort={sort}&per_page=100"));
        let dates: Vec<String> = items(&v)
            .iter()
            .filter_map(|i| i["date"].as_str())
            .map(|d| d.chars().take(4).collect())
            .collect();
        assert!(dates.len() > 10);
        let mut sorted = dates.clone();
        sorted.sort();
        if !ascending {
            sorted.reverse();
        }
        assert_eq!(dates, sorted, "{sort}");
        let seen_undated = items(&v)
            .iter()
            .position(|i| i["date"].is_null())
            .unwrap_or(usize::MAX);
        assert!(
            items(&v)
                .iter()
                .skip(seen_undated)
                .all(|i| i["date"].is_null()),
            "{sort}: undated last"
        );
    }
}

#[test]
fn each_facet_value_leads_to_as_many_records_as_it_counts() {
    let v = get_json("/documents");
    let facets = v["facets"].as_array().unwrap();
    let names: Vec<&str> = facets.iter().map(|f| f["name"].as_str().unwrap()).collect();
    for expected in [
        "kind",
        "decade",
        "year",
        "body",
        "dossier",
        "collection",
        "lang",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(
        !names.contains(&"type"),
        "a type's page does not offer the type"
    );
    for f in facets {
        for value in f["values"].as_array().unwrap().iter().take(3) {
            let url = value["url"].as_str().unwrap();
            let narrowed = get_json(url);
            assert_eq!(narrowed["total"], value["count"], "{url}");
            // The chosen value is offered again as the way back.
            let chosen = narrowed["chosen"].as_array().unwrap();
            assert_eq!(chosen.len(), 1, "{url}");
            let back = chosen[0]["url"].as_str().unwrap();
            assert_eq!(get_json(back)["total"], v["total"], "{back}");
        }
    }
    // Two facets together narrow by both.
    let both = get_json("/documents?kind=research-study&collection=milestones");
    assert_eq!(both["total"], 30);
    let decade = get_json("/documents?collection=milestones&decade=1950s");
    assert_eq!(
        decade["total"], 10,
        "the issued dates 1950–1959, not the periods covered"
    );
}

#[test]
fn people_and_bodies_file_under_letters() {
    for path in ["/people", "/bodies"] {
        let v = get_json(path);
        let letters = v["letters"].as_array().unwrap();
        assert_eq!(letters.len(), 27, "A–Z and #");
        let total = v["total"].as_u64().unwrap();
        let counted: u64 = letters.iter().map(|l| l["count"].as_u64().unwrap()).sum();
        assert_eq!(counted, total, "{path}: every record under one letter");
        for l in letters.iter().filter(|l| l["count"].as_u64().unwrap() > 0) {
            let letter = l["value"].as_str().unwrap();
            let url = l["url"].as_str().unwrap();
            assert!(url.contains(&format!("letter={}", letter.replace('#', "%23"))));
            let page = get_json(url);
            assert_eq!(page["total"], l["count"], "{url}");
            for item in items(&page) {
                let title = item["title"].as_str().unwrap();
                let first = title
                    .chars()
                    .find(|c| c.is_alphanumeric())
                    .unwrap()
                    .to_ascii_uppercase();
                if letter != "#" {
                    assert!(
                        first.to_string() == letter || !first.is_ascii(),
                        "{title} under {letter}"
                    );
                }
            }
            // The other letters stay offered while one is chosen.
            let offered = page["letters"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|x| !x["url"].is_null())
                .count();
            assert_eq!(
                offered,
                letters.iter().filter(|x| !x["url"].is_null()).count()
            );
        }
        let (_, html) = SERVER.html(path);
        assert!(html.contains(r#"aria-label="By first letter""#), "{path}");
    }
    assert!(get_json("/documents")["letters"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn a_collection_page_shows_its_title_source_and_records() {
    let v = get_json("/collections");
    let listed: Vec<(&str, u64)> = items(&v)
        .iter()
        .map(|i| (i["slug"].as_str().unwrap(), i["count"].as_u64().unwrap()))
        .collect();
    assert!(listed.contains(&("milestones", 30)), "{listed:?}");
    assert!(listed.contains(&("empty", 0)), "{listed:?}");
    let (_, html) = SERVER.html("/collections");
    assert!(html.contains(r#"href="/collections/milestones""#));
    let page = get_json("/collections/milestones");
    assert_eq!(page["total"], 30);
    assert_eq!(page["collection"]["title"], "Milestones essays");
    assert_eq!(
        page["collection"]["url"],
        "https://history.state.gov/milestones"
    );
    let (all, _) = all_pages("/collections/milestones");
    assert_eq!(all.len(), 30);
    // Its facets include the record type, and narrow within the collection.
    let names: Vec<&str> = page["facets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"type") && !names.contains(&"collection"),
        "{names:?}"
    );
    assert_eq!(
        get_json("/collections/milestones?type=document&year=1955")["total"],
        1
    );
    let (status, html) = SERVER.html("/collections/milestones");
    assert_eq!(status, 200);
    assert!(
        html.contains("Office of the Historian &lt;script&gt;"),
        "source escaped"
    );
    assert!(!html.contains("<script>alert"), "no script from the data");
    assert!(html.contains(r#"<a href="https://history.state.gov/milestones">"#));
    assert!(text_of(&html).contains("30 records"));
    let empty = get_json("/collections/empty");
    assert_eq!(empty["total"], 0);
    let (status, html) = SERVER.html("/collections/empty");
    assert_eq!(status, 200);
    assert!(html.contains("No record here matches."));
}

#[test]
fn unknown_and_malformed_addresses_are_refused_with_a_reason() {
    for path in [
        "/collections/nothing-here",
        "/collections/..%2F..%2Fetc%2Fpasswd",
        "/collections/%3Cscript%3E",
    ] {
        let (status, _, body) = SERVER.get(path);
        assert_eq!(status, 404, "{path}: {body}");
    }
    for (path, why) in [
        ("/documents?kind=%3Cscript%3E", "`kind` must be a slug"),
        ("/documents?year=97", "`year` must be a year"),
        ("/documents?decade=1995s", "a decade such as 1990s"),
        ("/people?letter=%22%3E%3Cx", "a letter A to Z"),
        (
            "/documents?sort=random",
            "`sort` is title, date or date-desc",
        ),
        ("/documents?page=0", "`page` must be a whole number"),
        ("/documents?per_page=100000", "from 1 to 100"),
        ("/documents?q=%28founding", "never closed"),
        ("/collections/milestones?type=section", "a record type"),
    ] {
        let (status, _, body) = SERVER.get(path);
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains(why), "{path}: {body}");
        let (status, ct, v) = SERVER.json(path);
        assert_eq!(status, 400, "{path}");
        assert!(ct.contains("json"), "{path}: {ct}");
        assert!(v.to_string().contains(why), "{path}: {v}");
    }
    let huge = format!("/documents?q={}", "a".repeat(5_000));
    assert_eq!(SERVER.get(&huge).0, 400);
}

#[test]
fn words_narrow_a_list_and_hostile_titles_stay_text() {
    let v = get_json("/documents?q=essay&collection=milestones");
    assert_eq!(v["total"], 30);
    let (status, html) = SERVER.html("/documents?q=essay&collection=milestones&per_page=100");
    assert_eq!(status, 200);
    assert!(
        html.contains("&lt;script&gt;alert("),
        "the hostile title is shown as text"
    );
    assert!(!html.contains("<script>alert("));
    // The words form keeps the chosen facets.
    assert!(html.contains(r#"<input type="hidden" name="collection" value="milestones">"#));
}

#[test]
fn the_search_page_offers_the_record_type_and_coverage_searches_the_period() {
    let (_, _, v) = SERVER.json("/search?q=pjc");
    let names: Vec<&str> = v["facets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"type"), "{names:?}");
    let (_, _, v) = SERVER.json("/search?q=collection:milestones+coverage:1905");
    // Essays 00–05 cover 1900–1910 … 1905–1915.
    assert_eq!(v["total"], 6, "{v}");
    let (_, _, v) = SERVER.json("/search?q=collection:milestones+year:1905");
    assert_eq!(v["total"], 0, "year: reads the issued date, 1950 and on");
}

#[test]
fn browse_pages_are_kept_by_the_response_cache() {
    let (_, h1, a) = SERVER.request("GET", "/people?letter=K", &[], None);
    let (_, h2, b) = SERVER.request("GET", "/people?letter=K", &[], None);
    assert_eq!(a, b);
    let etag = h1.get("etag").expect("an ETag from the cache");
    assert_eq!(Some(etag), h2.get("etag"));
    let (status, _, _) = SERVER.request(
        "GET",
        "/people?letter=K",
        &[("If-None-Match", etag.to_str().unwrap())],
        None,
    );
    assert_eq!(status, 304);
}

#[test]
fn the_chronology_filters_by_year() {
    let (status, _, all) = SERVER.json("/dossiers/nato-russia/chronology");
    assert_eq!(status, 200);
    let years: Vec<i64> = all["year_choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y.as_i64().unwrap())
        .collect();
    assert!(years.contains(&1997), "{years:?}");
    let (status, _, v) = SERVER.json("/dossiers/nato-russia/chronology?year=1997");
    assert_eq!(status, 200);
    let entries = v["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(entries.len() < all["entries"].as_array().unwrap().len());
    for e in entries {
        let d = e["date"].as_str().unwrap();
        let date = Edtf::parse(d).unwrap();
        assert!(date.overlaps_years(1997, 1997), "{d}");
    }
    assert!(v["undated"].as_array().unwrap().is_empty());
    assert_eq!(v["filter"]["year"], 1997);
    let (_, html) = SERVER.html("/dossiers/nato-russia/chronology?year=1997");
    assert!(html.contains(r#"<option value="1997" selected>1997</option>"#));
    for bad in ["97", "1997x", "%3Cscript%3E"] {
        let (status, _, body) = SERVER.get(&format!("/dossiers/nato-russia/chronology?year={bad}"));
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains("`year` must be a year"), "{body}");
    }
}
