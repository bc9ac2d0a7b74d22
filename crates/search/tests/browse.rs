//! Issue 27 in the index: collections, coverage apart from the issued date, texts in
//! several languages with their stemmers, snippets that mark a name whole, and browsing
//! (filters without words, title order, A–Z letters).

use dossier_model::*;
use dossier_search::query::Filter;
use dossier_search::{BrowseRequest, BrowseSort, SearchIndex, SearchRequest, SearchResults};
use dossier_store::{SqliteStore, Store};

fn json<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn archive() -> Archive {
    let collection = |slug: &str, title: &str| -> Collection {
        json(serde_json::json!({"slug": slug, "title": title}))
    };
    Archive {
        collections: vec![
            collection("milestones", "Milestones essays"),
            collection("visits", "Visits"),
        ],
        documents: vec![
            json(serde_json::json!({
                "slug": "evolution", "title": "The Evolution of NATO, 1988–2001",
                "kind": "research-study", "date": "2005", "coverage": "1988/2001",
                "collections": ["milestones"],
                "summary": "An essay on the alliance after the Cold War.",
            })),
            json(serde_json::json!({
                "slug": "albany", "title": "Albany Plan", "kind": "research-study",
                "coverage": "1754", "collections": ["milestones"],
                "summary": "Colonial union proposed in 1754.",
            })),
            json(serde_json::json!({
                "slug": "founding", "title": "“Founding Act”", "kind": "treaty",
                "date": "1997-05-27", "languages": ["en", "fr"],
                "issued_by": ["pjc"],
                "summary": "NATO and Russia agreed. The NATO-Russia Permanent Joint Council was set up.",
                "texts": [
                    {"lang": "en", "blocks": [
                        {"heading": true, "text": "Preamble"},
                        {"text": "NATO and Russia shall consult in the Permanent Joint Council."}]},
                    {"lang": "fr", "blocks": [
                        {"text": "Les traités de l'OTAN et de la Russie restent en vigueur."}]},
                    {"lang": "de", "blocks": [
                        {"text": "Die Verträge bleiben in Kraft."}]},
                    {"lang": "uk", "blocks": [
                        {"text": "Договори залишаються чинними."}]}
                ],
            })),
            json(serde_json::json!({
                "slug": "visit", "title": "Zagreb visit", "kind": "statement",
                "date": "2001-03-02", "collections": ["visits"],
            })),
        ],
        bodies: vec![json(serde_json::json!({
            "slug": "pjc", "name": "NATO-Russia Permanent Joint Council",
            "acronyms": ["PJC"], "kind": "council",
        }))],
        people: vec![
            json(serde_json::json!({"slug": "kozyrev", "name": "Andrei Kozyrev"})),
            json(serde_json::json!({"slug": "ivanov", "name": "Igor Ivanov"})),
            json(serde_json::json!({"slug": "eltsine", "name": "Élisabeth Eltsine"})),
        ],
        ..Default::default()
    }
}

struct Fixture {
    index: SearchIndex,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let store = SqliteStore::in_memory().unwrap();
    store.write(&archive()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path(), &store).unwrap();
    Fixture { index, _dir: dir }
}

fn search(f: &Fixture, q: &str) -> SearchResults {
    f.index
        .search(&SearchRequest::new(q))
        .unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn search_in(index: &SearchIndex, q: &str) -> SearchResults {
    index.search(&SearchRequest::new(q)).unwrap()
}

fn slugs(r: &SearchResults) -> Vec<&str> {
    let mut v: Vec<&str> = r.hits.iter().map(|h| h.slug.as_str()).collect();
    v.sort();
    v
}

fn browse(f: &Fixture, filters: Vec<Filter>, sort: BrowseSort) -> SearchResults {
    f.index
        .browse(&BrowseRequest {
            query: String::new(),
            filters,
            sort,
            page: 1,
            per_page: 50,
        })
        .unwrap()
}

#[test]
fn year_reads_the_issued_date_and_coverage_the_period() {
    let f = fixture();
    assert!(search(&f, "type:document year:2001")
        .hits
        .iter()
        .all(|h| h.slug != "evolution"));
    assert_eq!(slugs(&search(&f, "type:document year:2005")), ["evolution"]);
    assert_eq!(slugs(&search(&f, "coverage:1990..2001")), ["evolution"]);
    assert_eq!(slugs(&search(&f, "coverage:1750..1760")), ["albany"]);
    assert_eq!(
        slugs(&search(&f, "coverage:..1800 OR coverage:2000")),
        ["albany", "evolution"]
    );
    assert_eq!(slugs(&search(&f, "alliance coverage:1995")), ["evolution"]);
    assert_eq!(
        slugs(&search(&f, "type:document -coverage:1990..2001")).len(),
        3
    );
    // The facets count the issued date only: the essay is in the 2000s, not the 1980s.
    let r = search(&f, "type:document");
    let decades: Vec<&str> = r.facets.decade.iter().map(|d| d.value.as_str()).collect();
    assert_eq!(decades, ["1990s", "2000s"]);
}

#[test]
fn collections_are_a_filter_and_a_facet() {
    let f = fixture();
    assert_eq!(
        slugs(&search(&f, "collection:milestones")),
        ["albany", "evolution"]
    );
    assert_eq!(slugs(&search(&f, "collection:Visits")), ["visit"]);
    assert!(search(&f, "collection:nothing").hits.is_empty());
    let r = search(&f, "type:document");
    let counts: Vec<(&str, u64)> = r
        .facets
        .collection
        .iter()
        .map(|c| (c.value.as_str(), c.count))
        .collect();
    assert_eq!(counts, [("milestones", 2), ("visits", 1)]);
}

#[test]
fn each_text_is_read_with_its_language_stemmer() {
    let f = fixture();
    // French: accents folded and plural stemmed.
    for q in ["traité", "traites", "TRAITÉS", "lang:fr traité"] {
        assert_eq!(slugs(&search(&f, q)), ["founding"], "{q}");
    }
    // German: "Verträge" and "Vertrag" stem alike.
    assert_eq!(slugs(&search(&f, "vertrag")), ["founding"]);
    // A language without a stemmer: found as written, lower-cased.
    assert_eq!(slugs(&search(&f, "договори")), ["founding"]);
    assert_eq!(slugs(&search(&f, "lang:uk")), ["founding"]);
    assert_eq!(slugs(&search(&f, "lang:de")), ["founding"]);
    assert!(search(&f, "lang:fr kozyrev").hits.is_empty());
    let r = search(&f, "traités");
    assert!(
        r.hits[0].snippet.contains("<mark>traités</mark>"),
        "{}",
        r.hits[0].snippet
    );
    let langs: Vec<&str> = r.facets.lang.iter().map(|l| l.value.as_str()).collect();
    assert_eq!(langs.len(), 4, "{langs:?}");
}

#[test]
fn an_alias_marks_itself_and_the_whole_name_not_its_words() {
    let f = fixture();
    let r = search(&f, "PJC");
    let founding = r.hits.iter().find(|h| h.slug == "founding").unwrap();
    let s = &founding.snippet;
    assert!(
        s.contains("<mark>NATO-Russia Permanent Joint Council</mark>"),
        "{s}"
    );
    assert!(
        !s.contains("<mark>NATO</mark>") && !s.contains("<mark>Russia</mark>"),
        "{s}"
    );
    // Typed as words, they are marked where they stand.
    let r = search(&f, "russia");
    let s = &r
        .hits
        .iter()
        .find(|h| h.slug == "founding")
        .unwrap()
        .snippet;
    assert!(s.contains("<mark>Russia</mark>"), "{s}");
}

#[test]
fn browsing_orders_by_title_and_files_under_letters() {
    let f = fixture();
    let people = browse(&f, vec![Filter::Type("person".into())], BrowseSort::Title);
    let names: Vec<&str> = people.hits.iter().map(|h| h.slug.as_str()).collect();
    assert_eq!(
        names,
        ["kozyrev", "eltsine", "ivanov"],
        "by title: Andrei, Élisabeth, Igor"
    );
    let letters: Vec<(&str, u64)> = people
        .facets
        .letter
        .iter()
        .map(|l| (l.value.as_str(), l.count))
        .collect();
    assert_eq!(letters, [("A", 1), ("E", 1), ("I", 1)]);
    let e = browse(
        &f,
        vec![Filter::Type("person".into()), Filter::Letter("E".into())],
        BrowseSort::Title,
    );
    assert_eq!(e.total, 1);
    assert_eq!(e.hits[0].slug, "eltsine");
    // The quotes a title starts with do not decide its letter.
    let docs = browse(&f, vec![Filter::Type("document".into())], BrowseSort::Title);
    let titles: Vec<&str> = docs.hits.iter().map(|h| h.slug.as_str()).collect();
    assert_eq!(titles, ["albany", "founding", "evolution", "visit"]);
    let by_date = browse(
        &f,
        vec![Filter::Type("document".into())],
        BrowseSort::DateDesc,
    );
    let order: Vec<&str> = by_date.hits.iter().map(|h| h.slug.as_str()).collect();
    assert_eq!(
        order,
        ["evolution", "visit", "founding", "albany"],
        "undated last"
    );
    // Paging: stable pages that together are the whole list.
    let mut paged = Vec::new();
    for page in 1..=3 {
        let r = f
            .index
            .browse(&BrowseRequest {
                query: String::new(),
                filters: vec![Filter::Type("document".into())],
                sort: BrowseSort::Title,
                page,
                per_page: 2,
            })
            .unwrap();
        assert_eq!(r.total, 4);
        paged.extend(r.hits.into_iter().map(|h| h.slug));
    }
    assert_eq!(paged, titles);
    // Words narrow a browse page; a malformed query is refused with its reason.
    let r = f
        .index
        .browse(&BrowseRequest {
            query: "essay".into(),
            filters: vec![Filter::Type("document".into())],
            sort: BrowseSort::Title,
            page: 1,
            per_page: 10,
        })
        .unwrap();
    assert_eq!(slugs(&r), ["evolution"]);
    let e = f
        .index
        .browse(&BrowseRequest {
            query: "(essay".into(),
            filters: vec![],
            sort: BrowseSort::Title,
            page: 1,
            per_page: 10,
        })
        .unwrap_err();
    assert!(e.to_string().contains("never closed"), "{e}");
}

#[test]
fn hostile_titles_and_texts_are_data() {
    let store = SqliteStore::in_memory().unwrap();
    let huge = "ab ".repeat(400_000);
    let mut a = archive();
    a.documents.push(json(serde_json::json!({
        "slug": "numbers", "title": "1997: a year", "kind": "statement",
    })));
    a.documents.push(json(serde_json::json!({
        "slug": "evil", "title": "<script>alert(1)</script>", "kind": "statement",
        "texts": [
            {"lang": "../../etc/passwd", "blocks": [{"text": "<img src=x onerror=alert(1)> marker"}]},
            {"lang": "fr", "blocks": [{"text": huge}]}
        ],
    })));
    // The model refuses a language tag that is not one (it goes into `?lang=`
    // addresses); a well-formed tag of a language without a stemmer is indexed plainly.
    let e = store.write(&a).unwrap_err().to_string();
    assert!(e.contains("is not a language tag"), "{e}");
    a.documents.last_mut().unwrap().texts[0].lang = "zz-evil".into();
    store.write(&a).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path(), &store).unwrap();
    let r = index.search(&SearchRequest::new("marker")).unwrap();
    assert_eq!(r.hits.len(), 1);
    let s = &r.hits[0].snippet;
    assert!(s.contains("&lt;img") && !s.contains("<img"), "{s}");
    assert!(s.contains("<mark>marker</mark>"), "{s}");
    let r = index
        .browse(&BrowseRequest {
            query: String::new(),
            filters: vec![Filter::Letter("S".into())],
            sort: BrowseSort::Title,
            page: 1,
            per_page: 10,
        })
        .unwrap();
    assert!(
        r.hits.iter().any(|h| h.slug == "evil"),
        "the punctuation a title starts with is passed over"
    );
    let r = index
        .browse(&BrowseRequest {
            query: String::new(),
            filters: vec![Filter::Letter("#".into())],
            sort: BrowseSort::Title,
            page: 1,
            per_page: 10,
        })
        .unwrap();
    assert_eq!(r.hits.len(), 1);
    assert_eq!(r.hits[0].slug, "numbers", "digits file under #");
    let r = search_in(&index, "type:document");
    let langs: Vec<&str> = r.facets.lang.iter().map(|l| l.value.as_str()).collect();
    assert!(
        !langs.iter().any(|l| l.contains('/') || l.contains('.')),
        "an unreadable language tag is read as the record's: {langs:?}"
    );
}
