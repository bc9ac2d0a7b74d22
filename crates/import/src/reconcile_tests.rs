//! Reconciliation at import through the whole engine (issue 28): records made by hand as a
//! mapping makes them (`Imported` with its `LinkMatch`es), imported into a store that
//! holds the archive's records; what was written, and what the report says.

use crate::*;
use anyhow::Result;
use dossier_ingest::import::{Imported, Item, LinkMatch, MatchBy, RecordSource, Unmatched};
use dossier_ingest::xml::Pos;
use dossier_model::{Archive, Body, Event, ExternalId, IdScheme, Record, RecordType};
use dossier_store::{SqliteStore, Store};
use serde_json::json;
use std::sync::{Arc, Mutex};

/// Keeps the lines an import prints (its refused records).
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Progress for Lines {
    fn start(&mut self, _: &str, _: u64) {}
    fn update(&mut self, _: u64, _: usize) {}
    fn println(&mut self, line: &str) {
        self.0.lock().unwrap().push(line.to_string());
    }
    fn finishing(&mut self, _: &str) {}
    fn finish(&mut self) {}
}

fn body(slug: &str, name: &str, aliases: &[&str], wikidata: Option<&str>) -> Body {
    let identifiers: Vec<serde_json::Value> = wikidata
        .map(|q| json!({ "scheme": "wikidata", "value": q }))
        .into_iter()
        .collect();
    serde_json::from_value(json!({
        "slug": slug, "name": name, "aliases": aliases, "kind": "state",
        "identifiers": identifiers,
    }))
    .unwrap()
}

fn visit(slug: &str, country: &str) -> Event {
    serde_json::from_value(json!({
        "slug": slug, "title": format!("Visit {slug}"), "kind": "visit",
        "bodies": [country],
    }))
    .unwrap()
}

/// The link of a visit to its country, as a mapping makes it.
struct Country<'a> {
    slug: &'a str,
    name: Option<&'a str>,
    wikidata: Option<&'a str>,
    mapped: bool,
    match_by: Vec<MatchBy>,
    unmatched: Unmatched,
}

impl<'a> Country<'a> {
    fn named(slug: &'a str, name: &'a str) -> Self {
        Country {
            slug,
            name: Some(name),
            wikidata: None,
            mapped: false,
            match_by: vec![MatchBy::Identifier, MatchBy::Name],
            unmatched: Unmatched::Create,
        }
    }
}

/// A visit to `country`, with the body the mapping would create for it.
fn item(line: u64, slug: &str, country: Country) -> Item {
    let made = body(
        country.slug,
        country.name.unwrap_or(country.slug),
        &[],
        None,
    );
    Item::Record(Box::new(Imported {
        record: Record::Event(visit(slug, country.slug)),
        linked: vec![Record::Body(made)],
        file: "visits.xml".into(),
        pos: Pos { line, column: 5 },
        matches: vec![LinkMatch {
            field: "bodies".into(),
            target: RecordType::Body,
            slug: country.slug.into(),
            linked: Some(0),
            name: country.name.map(str::to_string),
            identifier: country
                .wikidata
                .map(|q| ExternalId::new(IdScheme::Wikidata, q).unwrap()),
            mapped: country.mapped,
            match_by: country.match_by,
            unmatched: country.unmatched,
        }],
    }))
}

struct Items(std::vec::IntoIter<Item>);

impl RecordSource for Items {
    fn next_item(&mut self) -> Result<Option<Item>, dossier_ingest::import::ImportError> {
        Ok(self.0.next())
    }
    fn bytes_read(&self) -> u64 {
        0
    }
}

/// The archive before the import: the Russian Federation (also "Russia", Q159), and two
/// bodies that both answer to "Korea".
fn archive() -> Archive {
    Archive {
        bodies: vec![
            body(
                "russian-federation",
                "Russian Federation",
                &["Russia"],
                Some("Q159"),
            ),
            body(
                "north-atlantic-treaty-organization",
                "North Atlantic Treaty Organization",
                &[],
                None,
            ),
            body("korea-south", "Republic of Korea", &["Korea"], None),
            body(
                "korea-north",
                "Democratic People's Republic of Korea",
                &["Korea"],
                None,
            ),
        ],
        ..Archive::default()
    }
}

struct Run {
    store: SqliteStore,
    report: Result<Report>,
    lines: Vec<String>,
    _dir: tempfile::TempDir,
}

fn run(items: impl Fn() -> Vec<Item> + Sync, dry_run: bool, strict: bool) -> Run {
    let store = SqliteStore::in_memory().unwrap();
    store.write(&archive()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = dossier_search::SearchIndex::open(dir.path(), &store).unwrap();
    let path = dir.path().join("visits.xml");
    std::fs::write(&path, "visits").unwrap();
    let inputs = vec![Input::new(path).unwrap()];
    let open = |_: &Input| -> Result<Box<dyn RecordSource + Send>> {
        Ok(Box::new(Items(items().into_iter())))
    };
    let lines = Lines::default();
    let mut progress = lines.clone();
    let mut hooks = Hooks {
        progress: &mut progress,
        lower_priority: &|| {},
    };
    let options = Options {
        dry_run,
        strict,
        batch_size: 2,
        overwrite_edits: false,
        collection: None,
    };
    let report = crate::import(
        &store,
        move || Ok(Some(index)),
        &inputs,
        &open,
        options,
        "event",
        &mut hooks,
    );
    let lines = lines.0.lock().unwrap().clone();
    Run {
        store,
        report,
        lines,
        _dir: dir,
    }
}

fn bodies_of(store: &SqliteStore, event: &str) -> Vec<String> {
    store.event(event).unwrap().unwrap().bodies
}

#[test]
fn a_name_or_alias_links_the_archives_record_and_nothing_is_created() {
    let r = run(
        || {
            vec![
                item(3, "visit-1", Country::named("russia", "Russia")),
                item(
                    9,
                    "visit-2",
                    Country::named("russian-fed", "RUSSIAN  federation"),
                ),
            ]
        },
        false,
        false,
    );
    let report = r.report.unwrap();
    assert_eq!(bodies_of(&r.store, "visit-1"), ["russian-federation"]);
    assert_eq!(bodies_of(&r.store, "visit-2"), ["russian-federation"]);
    assert!(r.store.body("russia").unwrap().is_none());
    assert!(r.store.body("russian-fed").unwrap().is_none());
    assert_eq!(report.reconciled.by_name, 2);
    assert!(report.created.is_empty(), "{:?}", report.created);
    // The archive's record is linked, not rewritten.
    assert_eq!(
        r.store.body("russian-federation").unwrap().unwrap(),
        archive().bodies[0]
    );
}

#[test]
fn an_identifier_wins_over_the_name() {
    let r = run(
        || {
            vec![item(
                3,
                "visit-1",
                Country {
                    wikidata: Some("q159"),
                    ..Country::named("rossiya", "Rossiya")
                },
            )]
        },
        false,
        false,
    );
    let report = r.report.unwrap();
    assert_eq!(bodies_of(&r.store, "visit-1"), ["russian-federation"]);
    assert_eq!(report.reconciled.by_identifier, 1);
    assert!(r.store.body("rossiya").unwrap().is_none());
}

#[test]
fn an_unmatched_name_is_created_once_and_later_links_find_it() {
    let r = run(
        || {
            vec![
                item(3, "visit-1", Country::named("atlantis", "Atlantis")),
                item(9, "visit-2", Country::named("atlantis-2", "Atlantis")),
                item(15, "visit-3", Country::named("atlantis", "Atlantis")),
            ]
        },
        false,
        false,
    );
    let report = r.report.unwrap();
    assert_eq!(report.reconciled.created, 1);
    assert_eq!(report.reconciled.again, 2);
    assert_eq!(report.created.get("body"), Some(&1));
    assert_eq!(report.bad, 0, "{:?}", r.lines);
    for v in ["visit-1", "visit-2", "visit-3"] {
        assert_eq!(bodies_of(&r.store, v), ["atlantis"], "{v}");
    }
    assert!(r.store.body("atlantis-2").unwrap().is_none());
}

#[test]
fn a_mapping_that_asks_for_a_report_refuses_the_unmatched_record_with_its_place() {
    let report_unmatched = |slug: &'static str, name: &'static str| Country {
        unmatched: Unmatched::Report,
        ..Country::named(slug, name)
    };
    let r = run(
        || {
            vec![
                item(3, "visit-1", report_unmatched("ussr", "U.S.S.R.")),
                item(9, "visit-2", report_unmatched("russia", "Russia")),
            ]
        },
        false,
        false,
    );
    let report = r.report.unwrap();
    assert_eq!(report.bad, 1);
    assert_eq!(report.reconciled.refused, 1);
    assert_eq!(report.records.new, 1);
    assert!(r.store.event("visit-1").unwrap().is_none());
    assert!(r.store.body("ussr").unwrap().is_none());
    assert_eq!(bodies_of(&r.store, "visit-2"), ["russian-federation"]);
    assert_eq!(r.lines.len(), 1, "{:?}", r.lines);
    assert_eq!(
        r.lines[0],
        "visits.xml:3:5: record visit-1, field `bodies`: no body of the archive has the name \"U.S.S.R.\"; \
         the mapping says unmatched = \"report\", so the record is not imported"
    );
}

#[test]
fn several_matches_are_never_guessed() {
    // As the mapping says: kept at the mapping's slug (created)…
    let r = run(
        || vec![item(3, "visit-1", Country::named("korea", "Korea"))],
        false,
        false,
    );
    let report = r.report.unwrap();
    assert_eq!(bodies_of(&r.store, "visit-1"), ["korea"]);
    assert_eq!(report.reconciled.ambiguous, 1);
    assert_eq!(report.reconciled.created, 1);
    assert_eq!(
        report.reconciled.ambiguities,
        [(
            RecordType::Body,
            "Korea".to_string(),
            vec!["korea-north".to_string(), "korea-south".to_string()]
        )]
    );
    let lines = report.reconciled.lines(false);
    assert!(
        lines.iter().any(|l| l.contains(
            "body \"Korea\" matches 2 records: `korea-north`, `korea-south`; not guessed"
        )),
        "{lines:?}"
    );
    // …or refused, naming the records it matched.
    let r = run(
        || {
            vec![item(
                3,
                "visit-1",
                Country {
                    unmatched: Unmatched::Report,
                    ..Country::named("korea", "Korea")
                },
            )]
        },
        false,
        false,
    );
    assert_eq!(r.report.unwrap().bad, 1);
    assert!(
        r.lines[0].contains("2 body records of the archive have the name \"Korea\" (`korea-north`, `korea-south`); not guessed"),
        "{:?}",
        r.lines
    );
}

#[test]
fn mapped_slugs_and_links_without_matching_are_taken_as_they_are() {
    let r = run(
        || {
            vec![
                item(
                    3,
                    "visit-1",
                    Country {
                        mapped: true,
                        ..Country::named("russian-federation", "Russia")
                    },
                ),
                item(
                    9,
                    "visit-2",
                    Country {
                        match_by: vec![],
                        ..Country::named("russia", "Russia")
                    },
                ),
            ]
        },
        false,
        false,
    );
    let report = r.report.unwrap();
    assert_eq!(bodies_of(&r.store, "visit-1"), ["russian-federation"]);
    assert_eq!(bodies_of(&r.store, "visit-2"), ["russia"]);
    assert_eq!(report.reconciled.mapped, 1);
    assert_eq!(report.reconciled.by_name + report.reconciled.created, 0);
}

#[test]
fn a_dry_run_lists_each_name_with_what_it_matched_and_writes_nothing() {
    let r = run(
        || {
            vec![
                item(3, "visit-1", Country::named("russia", "Russia")),
                item(9, "visit-2", Country::named("russia", "Russia")),
                item(15, "visit-3", Country::named("atlantis", "Atlantis")),
            ]
        },
        true,
        false,
    );
    let report = r.report.unwrap();
    assert!(r.store.event("visit-1").unwrap().is_none());
    let lines = report.reconciled.lines(true);
    assert_eq!(
        lines,
        [
            "Links reconciled with the archive: 0 by identifier, 2 by name or alias; 1 matched nothing (1 to create).",
            "Matches (source name → slug):",
            "  body \"Atlantis\" → atlantis (matched nothing; created)",
            "  body \"Russia\" → russian-federation (by name, 2 links)",
        ]
    );
}

#[test]
fn likely_duplicates_the_import_created_are_listed() {
    let r = run(
        || {
            vec![item(
                3,
                "visit-1",
                Country::named("nato", "North Atlantic Treaty Organisation"),
            )]
        },
        false,
        false,
    );
    let report = r.report.unwrap();
    assert_eq!(report.reconciled.created, 1);
    assert_eq!(
        report.reconciled.duplicates.len(),
        1,
        "{:?}",
        report.reconciled.duplicates
    );
    let d = &report.reconciled.duplicates[0];
    assert!(
        d.contains("`nato`") && d.contains("`north-atlantic-treaty-organization`"),
        "{d}"
    );
    // Records the archive held before are not this import's duplicates.
    assert!(!d.contains("korea"), "{d}");
}

#[test]
fn with_strict_a_refused_link_stops_the_run_before_any_write() {
    let r = run(
        || {
            vec![
                item(3, "visit-1", Country::named("russia", "Russia")),
                item(
                    9,
                    "visit-2",
                    Country {
                        unmatched: Unmatched::Report,
                        ..Country::named("ussr", "U.S.S.R.")
                    },
                ),
            ]
        },
        false,
        true,
    );
    let e = r.report.unwrap_err().to_string();
    assert!(e.contains("nothing was written"), "{e}");
    assert!(
        r.lines
            .iter()
            .any(|l| l.contains("record visit-2, field `bodies`")),
        "{:?}",
        r.lines
    );
    assert!(r.store.event("visit-1").unwrap().is_none());
}

#[test]
fn an_import_without_links_to_reconcile_reports_none() {
    let r = run(
        || {
            let mut i = item(3, "visit-1", Country::named("russia", "Russia"));
            if let Item::Record(r) = &mut i {
                r.matches.clear();
            }
            vec![i]
        },
        false,
        false,
    );
    let report = r.report.unwrap();
    assert!(report.reconciled.is_empty());
    assert!(report.reconciled.lines(false).is_empty());
    assert_eq!(bodies_of(&r.store, "visit-1"), ["russia"]);
}
