//! The search index over the built-in dossier and small hand-made archives.

use dossier_model::RecordType;
use dossier_model::*;
use dossier_search::{Committed, SearchIndex, SearchRequest, SearchResults, Sort};
use dossier_store::{DocumentQuery, EventQuery, SqliteStore, Store};

struct Fixture {
    store: SqliteStore,
    index: SearchIndex,
    dir: tempfile::TempDir,
}

fn builtin() -> Fixture {
    let store = SqliteStore::in_memory().unwrap();
    store
        .write(&dossier_ingest::builtin::archive().unwrap())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, report) = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    assert!(report.rebuilt);
    Fixture { store, index, dir }
}

fn search(f: &Fixture, q: &str) -> SearchResults {
    f.index
        .search(&SearchRequest::new(q))
        .unwrap_or_else(|e| panic!("{q}: {e}"))
}

fn slugs(r: &SearchResults) -> Vec<&str> {
    r.hits.iter().map(|h| h.slug.as_str()).collect()
}

fn doc(slug: &str, title: &str, date: Option<&str>, text: &str) -> Document {
    serde_json::from_value(serde_json::json!({
        "slug": slug, "title": title, "kind": "statement", "date": date, "full_text": text,
    }))
    .unwrap()
}

#[test]
fn founding_act_finds_the_1997_document_first() {
    let f = builtin();
    for q in ["\"Founding Act\"", "founding act", "Founding Act"] {
        let r = search(&f, q);
        assert_eq!(r.hits[0].slug, "founding-act-1997", "{q}: {:?}", slugs(&r));
        assert_eq!(r.hits[0].date.as_deref(), Some("1997-05-27"));
    }
}

#[test]
fn a_title_match_ranks_above_a_passing_mention() {
    let store = SqliteStore::in_memory().unwrap();
    let mention = doc(
        "mention",
        "Annual report",
        None,
        &format!(
            "{} The ministers also spoke of the charter once.",
            "Long text about other things. ".repeat(20)
        ),
    );
    let titled = doc("titled", "The Charter of Paris", None, "A short text.");
    store
        .write(&Archive {
            documents: vec![mention, titled],
            ..Default::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path(), &store).unwrap();
    let r = index.search(&SearchRequest::new("charter")).unwrap();
    assert_eq!(slugs(&r), ["titled", "mention"]);
    // An exact phrase ranks above the same words scattered.
    let store = SqliteStore::in_memory().unwrap();
    let scattered = doc(
        "scattered",
        "Notes",
        None,
        "The council met. Joint work went on. Permanent staff helped.",
    );
    let phrase = doc(
        "phrase",
        "Notes",
        None,
        "The permanent joint council met in Brussels on a long agenda.",
    );
    store
        .write(&Archive {
            documents: vec![scattered, phrase],
            ..Default::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path(), &store).unwrap();
    let r = index
        .search(&SearchRequest::new("permanent joint council"))
        .unwrap();
    assert_eq!(slugs(&r), ["phrase", "scattered"]);
}

#[test]
fn acronyms_and_names_find_each_other() {
    let store = SqliteStore::in_memory().unwrap();
    let pjc: Body = serde_json::from_value(serde_json::json!({
        "slug": "pjc", "name": "NATO-Russia Permanent Joint Council", "acronyms": ["PJC"],
        "aliases": ["Permanent Joint Council"], "kind": "council"
    }))
    .unwrap();
    let by_name = doc(
        "by-name",
        "Statement one",
        None,
        "The Permanent Joint Council met at ambassador level.",
    );
    let by_acronym = doc(
        "by-acronym",
        "Statement two",
        None,
        "The PJC agreed a work programme.",
    );
    let neither = doc(
        "neither",
        "Statement three",
        None,
        "The council of ministers met.",
    );
    store
        .write(&Archive {
            documents: vec![by_name, by_acronym, neither],
            bodies: vec![pjc],
            ..Default::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path(), &store).unwrap();
    let find = |q: &str| {
        let r = index.search(&SearchRequest::new(q)).unwrap();
        let mut s: Vec<String> = r
            .hits
            .iter()
            .filter(|h| h.record == "document")
            .map(|h| h.slug.clone())
            .collect();
        s.sort();
        s
    };
    assert_eq!(find("PJC"), ["by-acronym", "by-name"]);
    assert_eq!(find("pjc"), ["by-acronym", "by-name"]);
    assert_eq!(
        find("\"Permanent Joint Council\""),
        ["by-acronym", "by-name"]
    );
    assert_eq!(find("permanent joint council"), ["by-acronym", "by-name"]);
    assert_eq!(find("council -pjc"), ["neither"]);
}

#[test]
fn person_aliases_and_external_identifiers_find_the_record() {
    // Issue 28: a person's other names and any record's identifiers in outside authority
    // files are searched as its names are; the title shown stays the record's name.
    let store = SqliteStore::in_memory().unwrap();
    let yeltsin: Person = serde_json::from_value(serde_json::json!({
        "slug": "boris-yeltsin", "name": "Boris Yeltsin",
        "aliases": ["Борис Ельцин", "President Boris N. Yeltsin"],
        "identifiers": [{"scheme": "wikidata", "value": "Q34453"}]
    }))
    .unwrap();
    let other: Person = serde_json::from_value(serde_json::json!({
        "slug": "someone-else", "name": "Someone Else"
    }))
    .unwrap();
    let nato: Body = serde_json::from_value(serde_json::json!({
        "slug": "nato", "name": "North Atlantic Treaty Organization", "kind": "organisation",
        "identifiers": [{"scheme": "wikidata", "value": "Q7184"}, {"scheme": "viaf", "value": "124960346"}]
    }))
    .unwrap();
    store
        .write(&Archive {
            people: vec![yeltsin, other],
            bodies: vec![nato],
            ..Default::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path(), &store).unwrap();
    let find = |q: &str| {
        let r = index
            .search(&SearchRequest::new(q))
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        r.hits
            .iter()
            .map(|h| (h.slug.clone(), h.title.clone()))
            .collect::<Vec<_>>()
    };
    let yeltsin = vec![("boris-yeltsin".to_string(), "Boris Yeltsin".to_string())];
    assert_eq!(find("Ельцин"), yeltsin);
    assert_eq!(find("\"Boris N. Yeltsin\""), yeltsin);
    assert_eq!(find("Q34453"), yeltsin);
    assert_eq!(find("q34453"), yeltsin);
    let nato = vec![(
        "nato".to_string(),
        "North Atlantic Treaty Organization".to_string(),
    )];
    assert_eq!(find("Q7184"), nato);
    assert_eq!(find("124960346"), nato);
    assert!(find("Q7185").is_empty());
    // `person:` knows the aliases too.
    let r = index
        .search(&SearchRequest::new("type:person person:Ельцин"))
        .unwrap();
    assert_eq!(slugs(&r), ["boris-yeltsin"]);
}

#[test]
fn builtin_searches_give_the_expected_records_first() {
    let f = builtin();
    let r = search(&f, "PJC");
    assert_eq!(r.hits[0].slug, "pjc", "{:?}", slugs(&r));
    let r = search(&f, "kind:declaration date:2001..2002");
    assert!(r.total >= 1);
    assert!(r
        .hits
        .iter()
        .all(|h| h.kind.as_deref() == Some("declaration")));
    assert!(
        slugs(&r).contains(&"rome-declaration-2002"),
        "{:?}",
        slugs(&r)
    );
    let r = search(&f, "terrorism");
    assert!(r.total >= 5);
    let top: Vec<&str> = slugs(&r).into_iter().take(5).collect();
    assert!(top.iter().any(|s| s.contains("terror")), "{top:?}");
}

#[test]
fn date_ranges_work_across_precisions() {
    let store = SqliteStore::in_memory().unwrap();
    let docs = vec![
        doc("month", "Month", Some("1997-05"), "accord"),
        doc("day", "Day", Some("1997-05-27"), "accord"),
        doc("year", "Year", Some("1998"), "accord"),
        doc("range", "Range", Some("1999-03/2000-02"), "accord"),
        doc("undated", "Undated", None, "accord"),
        // Spans too long to be indexed year by year, and open ends.
        doc("century", "Century", Some("1900/1999"), "treaty"),
        doc("open", "Open", Some("2005/.."), "treaty"),
        doc("since", "Since", Some("../1950"), "treaty"),
    ];
    store
        .write(&Archive {
            documents: docs,
            ..Default::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path(), &store).unwrap();
    let find = |q: &str| {
        let mut s: Vec<String> = index
            .search(&SearchRequest::new(q))
            .unwrap()
            .hits
            .into_iter()
            .map(|h| h.slug)
            .collect();
        s.sort();
        s
    };
    assert_eq!(find("accord date:1997..1997"), ["day", "month"]);
    assert_eq!(find("accord year:1997"), ["day", "month"]);
    assert_eq!(find("accord date:1997-05-27..1997-05-27"), ["day", "month"]);
    assert_eq!(find("accord date:1997-06..1998"), ["year"]);
    assert_eq!(find("accord date:2000..2000"), ["range"]);
    assert_eq!(find("accord date:..1997"), ["day", "month"]);
    assert_eq!(find("accord date:1999.."), ["range"]);
    assert_eq!(find("treaty date:1949..1951"), ["century", "since"]);
    assert_eq!(find("treaty year:1999"), ["century"]);
    assert_eq!(find("treaty date:2030-01-01..2030-12-31"), ["open"]);
    assert_eq!(find("treaty date:1960"), ["century"]);
    let mut by_date = SearchRequest::new("accord");
    by_date.sort = Sort::Date;
    let r = index.search(&by_date).unwrap();
    assert_eq!(slugs(&r)[..4], ["month", "day", "year", "range"]);
}

#[test]
fn facet_counts_equal_counts_from_the_store() {
    let f = builtin();
    let r = search(&f, "dossier:nato-russia type:document");
    let docs = f
        .store
        .documents(&DocumentQuery {
            dossier: Some("nato-russia".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.total, docs.len());
    for fc in &r.facets.kind {
        let n = docs.iter().filter(|d| d.kind.slug() == fc.value).count() as u64;
        assert_eq!(fc.count, n, "kind {}", fc.value);
    }
    let kinds_total: u64 = r.facets.kind.iter().map(|k| k.count).sum();
    assert_eq!(kinds_total as usize, docs.len());
    for fc in &r.facets.year {
        let y: i32 = fc.value.parse().unwrap();
        let n = docs
            .iter()
            .filter(|d| d.date.and_then(|x| x.year()) == Some(y))
            .count() as u64;
        assert_eq!(fc.count, n, "year {y}");
    }
    for fc in &r.facets.body {
        let n = docs
            .iter()
            .filter(|d| d.issued_by.contains(&fc.value) || d.parties.contains(&fc.value))
            .count() as u64;
        assert_eq!(fc.count, n, "body {}", fc.value);
    }
    let r = search(&f, "type:event");
    let events = f.store.events(&EventQuery::default()).unwrap();
    assert_eq!(r.total, events.len());
    let decades: u64 = r.facets.decade.iter().map(|d| d.count).sum();
    assert_eq!(
        decades as usize,
        events.iter().filter(|e| e.date.is_some()).count()
    );
}

#[test]
fn snippets_highlight_and_escape() {
    let store = SqliteStore::in_memory().unwrap();
    let evil = doc(
        "evil",
        "<script>alert(1)</script>",
        None,
        "Before <script>alert('x')</script> the treaty & after.",
    );
    store
        .write(&Archive {
            documents: vec![evil],
            ..Default::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path(), &store).unwrap();
    let r = index.search(&SearchRequest::new("treaty")).unwrap();
    let s = &r.hits[0].snippet;
    assert!(s.contains("<mark>treaty</mark>"), "{s}");
    assert!(!s.contains("<script"), "{s}");
    assert!(s.contains("&lt;script&gt;"), "{s}");
    assert!(s.contains("&amp;"), "{s}");
    assert_eq!(
        r.hits[0].title, "<script>alert(1)</script>",
        "titles are data; the page escapes them"
    );
}

#[test]
fn a_rebuilt_index_answers_like_the_kept_one() {
    let f = builtin();
    let dir = tempfile::tempdir().unwrap();
    let (rebuilt, _) =
        SearchIndex::rebuild(&dir.path().join("again"), &f.store, &mut |_, _| {}).unwrap();
    for q in [
        "PJC",
        "\"Founding Act\"",
        "terrorism",
        "kind:declaration date:2001..2002",
        "kosovo OR iraq",
        "type:body",
    ] {
        let a = search(&f, q);
        let b = rebuilt.search(&SearchRequest::new(q)).unwrap();
        assert_eq!(a.total, b.total, "{q}");
        assert_eq!(slugs(&a), slugs(&b), "{q}");
        assert_eq!(a.facets, b.facets, "{q}");
    }
}

#[test]
fn changed_and_deleted_records_change_in_results() {
    let f = builtin();
    assert_eq!(search(&f, "zanzibar").total, 0);
    let mut d = f.store.document("blair-letter-2001-11").unwrap().unwrap();
    d.summary = Some("A letter that mentions Zanzibar.".into());
    f.store
        .write(&Archive {
            documents: vec![d],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(search(&f, "zanzibar").total, 0, "not synced yet");
    let report = f.index.sync(&f.store).unwrap();
    assert!(report.applied >= 1);
    assert_eq!(slugs(&search(&f, "zanzibar")), ["blair-letter-2001-11"]);

    let extra = doc("extra", "Zanzibar memorandum", None, "text");
    f.store
        .write(&Archive {
            documents: vec![extra],
            ..Default::default()
        })
        .unwrap();
    f.index.sync(&f.store).unwrap();
    assert_eq!(search(&f, "zanzibar").total, 2);
    assert!(f.store.delete(RecordType::Document, "extra").unwrap());
    f.index.sync(&f.store).unwrap();
    assert_eq!(slugs(&search(&f, "zanzibar")), ["blair-letter-2001-11"]);
}

#[test]
fn an_index_behind_the_store_catches_up_and_a_broken_one_is_rebuilt() {
    let f = builtin();
    let path = f.dir.path().join("index");
    let seq = f.index.applied_seq().unwrap();
    drop(f.index);
    // A write the index never saw (as after a crash between the two commits).
    f.store
        .write(&Archive {
            documents: vec![doc("late", "Late arrival", None, "quokka")],
            ..Default::default()
        })
        .unwrap();
    let (index, report) = SearchIndex::open(&path, &f.store).unwrap();
    assert!(!report.rebuilt);
    assert_eq!(report.applied, 1);
    assert_eq!(index.applied_seq().unwrap(), seq + 1);
    assert_eq!(
        slugs(&index.search(&SearchRequest::new("quokka")).unwrap()),
        ["late"]
    );
    drop(index);
    // A corrupt index is rebuilt.
    std::fs::write(path.join("meta.json"), b"{ not json").unwrap();
    let (index, report) = SearchIndex::open(&path, &f.store).unwrap();
    assert!(report.rebuilt);
    assert_eq!(
        slugs(&index.search(&SearchRequest::new("quokka")).unwrap()),
        ["late"]
    );
    // So is a missing one.
    drop(index);
    std::fs::remove_dir_all(&path).unwrap();
    let (_, report) = SearchIndex::open(&path, &f.store).unwrap();
    assert!(report.rebuilt);
}

#[test]
fn misspelt_queries_get_a_suggestion() {
    let f = builtin();
    let r = search(&f, "terorism");
    assert_eq!(r.total, 0);
    assert_eq!(r.suggestion.as_deref(), Some("terrorism"));
    let r = search(&f, "founding akt");
    assert_eq!(r.suggestion.as_deref(), Some("founding act"));
    assert!(search(&f, "terrorism").suggestion.is_none());
}

#[test]
fn malformed_queries_are_errors_not_panics() {
    let f = builtin();
    for q in ["\"open", "(a OR", "colour:red", "date:2002..1997", ""] {
        let e = f.index.search(&SearchRequest::new(q)).unwrap_err();
        assert!(
            matches!(e, dossier_search::SearchError::Query(_)),
            "{q}: {e}"
        );
    }
}

/// Issue 20, finding 1: a query of 240 `-` and a word aborted the server with a stack
/// overflow. Hostile shapes are refused with a query error; the largest and deepest
/// queries the parser accepts run through every path (plan, bitsets, bonuses, snippets,
/// suggestions, facets, every sort) on a thread with the 2 MiB stack of tokio's blocking
/// threads, where the server runs searches.
#[test]
fn hostile_queries_are_refused_and_the_largest_allowed_ones_run() {
    use dossier_search::query::{MAX_NESTING, MAX_TERMS};
    let f = builtin();
    for q in [
        format!("{}nato", "-".repeat(240)),
        "(".repeat(10_000),
        format!("{}nato", "NOT ".repeat(5_000)),
        "nato OR ".repeat(10_000),
        "x".repeat(100_000),
        "\"founding act\" ".repeat(5_000),
        "kind:declaration ".repeat(5_000),
        format!("{}nato", "-(".repeat(MAX_NESTING)),
        "nato ".repeat(MAX_TERMS + 1),
    ] {
        let e = f.index.search(&SearchRequest::new(q.as_str())).unwrap_err();
        assert!(
            matches!(e, dossier_search::SearchError::Query(_)),
            "{}: {e}",
            &q[..40]
        );
    }
    // The deepest tree: an OR of ANDs in each of MAX_NESTING parentheses.
    let mut deepest = "russia OR nato council".to_string();
    for _ in 0..MAX_NESTING {
        deepest = format!("terrorism OR charter ({deepest})");
    }
    let words = [
        "nato", "russia", "council", "charter", "founding", "act", "kosovo",
    ];
    let many: Vec<&str> = words.iter().cycle().take(MAX_TERMS).copied().collect();
    let queries = [
        deepest.clone(),
        format!("{deepest} kind:declaration -body:pjc"),
        format!("{}nato", "-".repeat(MAX_NESTING)),
        format!("{}nato", "-".repeat(MAX_NESTING - 1)),
        format!(
            "council {}nato{}",
            "-(".repeat(MAX_NESTING / 2),
            ")".repeat(MAX_NESTING / 2)
        ),
        format!("{}nato{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING)),
        many.join(" "),
        many.join(" OR "),
        many.iter()
            .map(|w| format!("\"{w} act\""))
            .collect::<Vec<_>>()
            .join(" "),
        format!("{} date:1990..2005", many[..MAX_TERMS - 1].join(" ")),
        many.iter()
            .map(|w| format!("{w}x"))
            .collect::<Vec<_>>()
            .join(" "),
    ];
    let index = &f.index;
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn_scoped(s, || {
                for q in &queries {
                    for sort in [Sort::Relevance, Sort::Date, Sort::DateDesc] {
                        let req = SearchRequest {
                            sort,
                            ..SearchRequest::new(q.as_str())
                        };
                        index.search(&req).unwrap_or_else(|e| panic!("{q}: {e}"));
                    }
                }
            })
            .unwrap()
            .join()
            .unwrap();
    });
    assert!(search(&f, &format!("{}nato", "-".repeat(MAX_NESTING))).total > 0);
}

#[test]
fn sections_and_filters_by_person_body_and_language() {
    let f = builtin();
    let r = search(&f, "\"Further Issues\"");
    assert!(
        r.hits
            .iter()
            .any(|h| h.record == "section" && h.url == "/dossiers/nato-russia#a-ii-3-7"),
        "{:?}",
        slugs(&r)
    );
    let r = search(&f, "person:robertson");
    assert!(r.total >= 1);
    let r = search(&f, "body:PJC type:event");
    assert!(r.total >= 3, "{:?}", slugs(&r));
    let r = search(&f, "lang:en type:document");
    assert!(r.total >= 20);
}

/// Words in most records are counted through bitsets; the counts must equal what the
/// records say, before and after records are changed and deleted (deleted documents stay
/// in a segment until it is merged, so the alive-records path is taken too).
#[test]
fn counts_of_common_words_are_exact() {
    let store = SqliteStore::in_memory().unwrap();
    let texts: Vec<(String, String)> = (0..200)
        .map(|i| {
            let mut t = Vec::new();
            if i % 10 != 0 {
                t.push("alpha");
            }
            if i % 3 != 0 {
                t.push("beta");
            }
            if i % 7 == 0 {
                t.push("gamma");
            }
            (format!("d{i}"), t.join(" "))
        })
        .collect();
    let docs: Vec<Document> = texts
        .iter()
        .map(|(slug, text)| doc(slug, "Record", None, &format!("{text} filler")))
        .collect();
    store
        .write(&Archive {
            documents: docs,
            ..Default::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(dir.path(), &store).unwrap();
    let expect = |texts: &[(String, String)], all: &[&str], any: &[&str]| {
        texts
            .iter()
            .filter(|(_, t)| {
                let has = |w: &str| t.split(' ').any(|x| x == w);
                all.iter().all(|w| has(w)) && (any.is_empty() || any.iter().any(|w| has(w)))
            })
            .count()
    };
    let total = |q: &str| index.search(&SearchRequest::new(q)).unwrap().total;
    let check = |texts: &[(String, String)]| {
        assert_eq!(total("alpha beta"), expect(texts, &["alpha", "beta"], &[]));
        assert_eq!(
            total("alpha OR beta"),
            expect(texts, &[], &["alpha", "beta"])
        );
        assert_eq!(
            total("alpha gamma"),
            expect(texts, &["alpha", "gamma"], &[])
        );
        assert_eq!(
            total("alpha beta gamma"),
            expect(texts, &["alpha", "beta", "gamma"], &[])
        );
        assert_eq!(total("alpha"), expect(texts, &["alpha"], &[]));
    };
    check(&texts);
    // Delete a tenth and change a tenth.
    let mut texts = texts;
    for i in (0..200).step_by(10) {
        assert!(store
            .delete(RecordType::Document, &format!("d{i}"))
            .unwrap());
    }
    let changed: Vec<Document> = (5..200)
        .step_by(10)
        .map(|i| doc(&format!("d{i}"), "Record", None, "gamma filler"))
        .collect();
    store
        .write(&Archive {
            documents: changed,
            ..Default::default()
        })
        .unwrap();
    index.sync(&store).unwrap();
    texts.retain(|(slug, _)| slug[1..].parse::<usize>().unwrap() % 10 != 0);
    for (slug, text) in texts.iter_mut() {
        if slug[1..].parse::<usize>().unwrap() % 10 == 5 {
            *text = "gamma".into();
        }
    }
    check(&texts);
}

/// A new record is added without looking for a copy to delete; one changed again later in
/// the same sync (past the sync's first read of the change log, which reads 5,000 changes
/// at a time), or in a later sync of a bulk load, must still replace its first copy.
#[test]
fn a_record_changed_again_within_one_sync_is_indexed_once() {
    let store = SqliteStore::in_memory().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    let write = |docs: Vec<Document>| {
        store
            .write(&Archive {
                documents: docs,
                ..Default::default()
            })
            .unwrap();
    };
    write(vec![doc("first", "Wombat report", None, "wombat")]);
    write(
        (0..6_000)
            .map(|i| doc(&format!("filler-{i}"), "Filler", None, "filler text"))
            .collect(),
    );
    write(vec![doc("first", "Wombat report", None, "wombat numbat")]);
    index.sync(&store).unwrap();
    assert_eq!(index.count("document").unwrap(), 6_001);
    assert_eq!(slugs(&search_index(&index, "wombat")), ["first"]);
    assert_eq!(slugs(&search_index(&index, "numbat")), ["first"]);

    // In a bulk load, a record new to one sync and changed in the next.
    let index = index.bulk().unwrap();
    write(vec![doc("second", "Quoll note", None, "quoll")]);
    index.sync(&store).unwrap();
    write(vec![doc("second", "Quoll note", None, "quoll dunnart")]);
    index.sync(&store).unwrap();
    let index = index.end(&store).unwrap();
    assert_eq!(index.count("document").unwrap(), 6_002);
    assert_eq!(search_index(&index, "quoll").total, 1);
    assert_eq!(slugs(&search_index(&index, "dunnart")), ["second"]);
}

fn search_index(index: &SearchIndex, q: &str) -> SearchResults {
    index.search(&SearchRequest::new(q)).unwrap()
}

/// Words with filters and exclusions are counted from bitsets and ranked by a pruned search
/// of the words under them: the counts must equal a count over the records themselves,
/// including after deletes, and every hit must satisfy the filters.
#[test]
fn filtered_word_queries_count_and_filter_exactly() {
    let store = SqliteStore::in_memory().unwrap();
    let words = ["alpha", "beta", "gamma", "delta"];
    let kinds = ["statement", "declaration", "treaty"];
    let mut docs = Vec::new();
    for i in 0..400usize {
        let text: Vec<&str> = (0..(3 + i % 7))
            .map(|k| {
                let h = (i as u64)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add((k as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9));
                words[(h >> 62) as usize]
            })
            .collect();
        let year = 1985 + (i % 20);
        let date = match i % 4 {
            0 => format!("{year}"),
            1 => format!("{year}-{:02}", 1 + i % 12),
            2 => format!("{year}-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
            _ => format!("{year}-06/{}-02", year + 1),
        };
        docs.push(
            serde_json::from_value::<Document>(serde_json::json!({
                "slug": format!("d{i}"), "title": format!("Paper {i}"),
                "kind": kinds[i % kinds.len()], "date": date, "full_text": text.join(" "),
            }))
            .unwrap(),
        );
    }
    store
        .write(&Archive {
            documents: docs.clone(),
            ..Default::default()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    // The text the JSON's `full_text` became (one text, language `und`).
    let text_of = |d: &Document| d.texts.iter().map(|t| t.plain_text()).collect::<String>();
    let has = move |d: &Document, w: &str| text_of(d).split(' ').any(|x| x == w);
    let overlaps = |d: &Document, from: i64, to: i64| {
        let e = d.date.unwrap();
        e.earliest() <= to && e.latest() >= from
    };
    type Check = Box<dyn Fn(&Document) -> bool>;
    let cases: Vec<(&str, Check)> = vec![
        (
            "alpha kind:declaration",
            Box::new(move |d| has(d, "alpha") && d.kind.slug() == "declaration"),
        ),
        (
            "beta NOT gamma",
            Box::new(move |d| has(d, "beta") && !has(d, "gamma")),
        ),
        (
            "alpha delta date:1990..1994",
            Box::new(move |d| {
                has(d, "alpha") && has(d, "delta") && overlaps(d, 19900101, 19941231)
            }),
        ),
        (
            "gamma date:1991-03..1996-07-15",
            Box::new(move |d| has(d, "gamma") && overlaps(d, 19910301, 19960715)),
        ),
        (
            "gamma NOT date:1990..2000",
            Box::new(move |d| has(d, "gamma") && !overlaps(d, 19900101, 20001231)),
        ),
        (
            "kind:treaty date:1988..1989",
            Box::new(move |d| d.kind.slug() == "treaty" && overlaps(d, 19880101, 19891231)),
        ),
        (
            "kind:treaty NOT alpha",
            Box::new(move |d| d.kind.slug() == "treaty" && !has(d, "alpha")),
        ),
        (
            "year:1999 delta",
            Box::new(move |d| has(d, "delta") && overlaps(d, 19990101, 19991231)),
        ),
        // A phrase under filters: checked on the records the filters allow.
        (
            "\"beta alpha\" kind:treaty",
            Box::new(move |d| d.kind.slug() == "treaty" && text_of(d).contains("beta alpha")),
        ),
        (
            "\"delta gamma\" alpha NOT date:1990..1999",
            Box::new(move |d| {
                text_of(d).contains("delta gamma")
                    && has(d, "alpha")
                    && !overlaps(d, 19900101, 19991231)
            }),
        ),
        // Few matches beside the word's list: each is scored, no pruned search.
        (
            "alpha date:2004-06-01..2004-06-30",
            Box::new(move |d| has(d, "alpha") && overlaps(d, 20040601, 20040630)),
        ),
    ];
    let check = |index: &SearchIndex, docs: &[Document]| {
        for (q, keep) in &cases {
            let expected: Vec<&str> = docs
                .iter()
                .filter(|d| keep(d))
                .map(|d| d.slug.as_str())
                .collect();
            let mut req = SearchRequest::new(*q);
            req.per_page = 100;
            let r = index.search(&req).unwrap();
            assert_eq!(r.total, expected.len(), "{q}");
            assert!(!expected.is_empty(), "{q}: the case should match something");
            for h in &r.hits {
                assert!(
                    expected.contains(&h.slug.as_str()),
                    "{q}: {} should not match",
                    h.slug
                );
            }
            assert_eq!(r.hits.len(), expected.len().min(100), "{q}");
            assert!(
                r.hits.windows(2).all(|w| w[0].score >= w[1].score),
                "{q}: best first"
            );
        }
    };
    check(&index, &docs);
    // A word's scores are the same with a filter as without: BM25 of the word alone.
    let mut unfiltered = std::collections::HashMap::new();
    for page in 1..=5 {
        let mut req = SearchRequest::new("alpha");
        req.per_page = 100;
        req.page = page;
        for h in index.search(&req).unwrap().hits {
            unfiltered.insert(h.slug, h.score);
        }
    }
    for q in [
        "alpha kind:declaration",
        "alpha date:2004-06-01..2004-06-30",
        "alpha NOT beta",
    ] {
        let mut req = SearchRequest::new(q);
        req.per_page = 100;
        for h in index.search(&req).unwrap().hits {
            let alone = unfiltered[&h.slug];
            assert!(
                (h.score - alone).abs() < 1e-4,
                "{q}: {} {} vs {alone}",
                h.slug,
                h.score
            );
        }
    }
    // Deleted records leave the counts and the hits.
    for i in (0..400).step_by(3) {
        store
            .delete(RecordType::Document, &format!("d{i}"))
            .unwrap();
    }
    index.sync(&store).unwrap();
    let left: Vec<Document> = docs
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % 3 != 0)
        .map(|(_, d)| d)
        .collect();
    check(&index, &left);
}

/// A bulk load ends with few segments of its own (each search finds the top hits of every
/// segment on its own), with everything still found and committed, the merged segments'
/// files gone, and the segments from before the load left alone.
#[test]
fn a_bulk_load_leaves_few_segments() {
    let store = SqliteStore::in_memory().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    let write = |slug: &str, text: &str| {
        store
            .write(&Archive {
                documents: vec![doc(slug, "Note", None, text)],
                ..Default::default()
            })
            .unwrap()
    };
    let segments = || -> Vec<String> {
        let meta = std::fs::read_to_string(dir.path().join("index/meta.json")).unwrap();
        let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
        meta["segments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["segment_id"].as_str().unwrap().replace('-', ""))
            .collect()
    };
    // Two segments before the load: each sync outside a bulk load commits one.
    for i in 0..2 {
        write(&format!("old-{i}"), "wombat");
        index.sync(&store).unwrap();
    }
    let old = segments();
    assert_eq!(old.len(), 2);
    // Five in the load, committing after every sync (tantivy's policy merges only once
    // eight are alike).
    let index = index.bulk_committing_every(1).unwrap();
    for i in 0..5 {
        let written = write(&format!("note-{i}"), "wombat numbat");
        index
            .sync_committed(
                &store,
                &[Committed {
                    seqs: written.logged.unwrap(),
                    // Not the records written: those are then read from the store.
                    archive: std::sync::Arc::new(Archive::default()),
                }],
            )
            .unwrap();
    }
    assert_eq!(segments().len(), 7);
    let index = index.end(&store).unwrap();
    let now = segments();
    assert!(now.len() <= 2 + 4, "{} segments", now.len());
    assert!(
        old.iter().all(|o| now.contains(o)),
        "{old:?} merged: {now:?}"
    );
    for f in std::fs::read_dir(dir.path().join("index")).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().to_string();
        if let Some((stem, _)) = name.split_once('.').filter(|_| !name.starts_with('.')) {
            if stem != "meta" {
                assert!(now.iter().any(|id| id == stem), "{name} is left over");
            }
        }
    }
    assert_eq!(search_index(&index, "wombat").total, 7);
    assert_eq!(search_index(&index, "numbat").total, 5);
    let (reopened, _) = SearchIndex::open(&dir.path().join("index"), &store).unwrap();
    assert_eq!(search_index(&reopened, "wombat").total, 7);
}
