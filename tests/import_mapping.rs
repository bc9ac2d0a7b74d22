//! The mapping language on real records (issue 28): `dossier import records` with
//! `mappings/travels.toml` — written from docs/mapping.md alone — on excerpts of
//! HistoryAtState/travels (tests/fixtures/travels-*.xml, CC0), and the features and refusals
//! of the format through the real CLI.

use dossier_model::Level;
use dossier_store::{EventQuery, SqliteStore, Store};
use std::path::Path;

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, out};

const CLINTON: &str = "tests/fixtures/travels-clinton-excerpt.xml";
const ALBRIGHT: &str = "tests/fixtures/travels-albright-excerpt.xml";

fn store(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("dossier.db")).unwrap()
}

fn import(dir: &Path, mapping: &str, files: &[&str], extra: &[&str]) -> std::process::Output {
    let mut args = vec!["import", "records", "--mapping", mapping];
    args.extend(extra);
    args.extend(files);
    dossier(dir, &args)
}

/// Every one of the 36 trips imports on the first try, the one with an empty `<locale/>`
/// included (it refused 1.3% of the records before fallbacks), into the collection asked
/// for; a second import changes nothing.
#[test]
fn the_travels_excerpt_imports_in_full_with_the_documented_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let o = import(
        dir.path(),
        "mappings/travels.toml",
        &[CLINTON, ALBRIGHT],
        &["--collection", "travels"],
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("events: 36 new, 0 changed, 0 unchanged"),
        "{}",
        out(&o)
    );
    assert!(!out(&o).contains("record Travel"), "{}", out(&o));
    let s = store(dir.path());
    let all = s.events(&EventQuery::default()).unwrap();
    assert_eq!(all.len(), 36);
    assert!(all.iter().all(|e| e.collections == ["travels"]), "{all:?}");

    // The audience in Vatican City: <locale/> is empty, so the place falls back to the
    // country and the title's optional part vanishes.
    let vatican = s
        .event("trip-clinton-william-j-travel-2532-president")
        .unwrap()
        .unwrap();
    assert_eq!(vatican.title, "William J. Clinton in Vatican City");
    assert_eq!(vatican.place.as_deref(), Some("Vatican City"));
    assert_eq!(vatican.date.unwrap().to_string(), "1994-06-02");
    assert_eq!(vatican.bodies, ["holy-see"]);
    assert_eq!(vatican.people, ["clinton-william-j"]);
    assert_eq!(vatican.level, Some(Level::HeadsOfState));

    // A trip with a locale: shown in the title, and the place.
    let rome = s
        .event("trip-clinton-william-j-travel-2531-president")
        .unwrap()
        .unwrap();
    assert_eq!(rome.title, "William J. Clinton in Italy (Rome,Nettuno)");
    assert_eq!(rome.place.as_deref(), Some("Rome,Nettuno"));
    assert_eq!(rome.date.unwrap().to_string(), "1994-06-02/1994-06-04");

    // The Secretary's trips: ids 1, 2… made unique by the traveller's key; the role
    // mapped to the level; white space in the remarks collapsed.
    let paris = s
        .event("trip-albright-madeleine-korbel-3")
        .unwrap()
        .unwrap();
    assert_eq!(paris.title, "Madeleine Korbel Albright in France (Paris)");
    assert_eq!(paris.level, Some(Level::ForeignMinisters));
    assert_eq!(
        paris.summary.as_deref(),
        Some("Met with President Chirac, Prime Minister Juppe, and Foreign Minister de Charette.")
    );
    let albright = s.person("albright-madeleine-korbel").unwrap().unwrap();
    assert_eq!(albright.name, "Madeleine Korbel Albright");
    let korea = s.body("korea-south").unwrap().unwrap();
    assert_eq!(korea.name, "Korea, Republic of");
    drop(s);

    let o = import(
        dir.path(),
        "mappings/travels.toml",
        &[CLINTON, ALBRIGHT],
        &["--collection", "travels"],
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("events: 0 new, 0 changed, 36 unchanged"),
        "{}",
        out(&o)
    );
}

/// Writes a mapping (and its tables) into a folder of its own; returns its path.
fn mapping_in(dir: &Path, name: &str, text: &str) -> String {
    let folder = dir.join("mappings");
    std::fs::create_dir_all(folder.join("tables")).unwrap();
    let path = folder.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The travels mapping with one line replaced.
fn travels_with(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string("mappings/travels.toml").unwrap();
    assert_eq!(text.matches(from).count(), 1, "{from}");
    text.replacen(from, to, 1)
}

/// `[[when]]` keeps the President's trips only; the others are neither imported nor bad.
#[test]
fn a_record_filter_imports_only_the_records_that_pass() {
    let dir = tempfile::tempdir().unwrap();
    let m = mapping_in(
        dir.path(),
        "presidents.toml",
        &format!(
            "{}\n[[when]]\npath = \"@role\"\nequals = \"president\"\n\n[[when]]\npath = \"country/@id\"\nnone_of = [\"russia\"]\n",
            std::fs::read_to_string("mappings/travels.toml").unwrap()
        ),
    );
    let o = import(dir.path(), &m, &[CLINTON, ALBRIGHT], &[]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("events: 24 new"), "{}", out(&o));
    let s = store(dir.path());
    let all = s.events(&EventQuery::default()).unwrap();
    assert!(all.iter().all(|e| e.people == ["clinton-william-j"]));
    assert!(all.iter().all(|e| e.bodies != ["russia"]));
}

/// A value map from a CSV beside the mapping, and several records from each `<trip>`:
/// an event and a document of its remarks.
#[test]
fn a_map_file_and_two_records_from_each_source_record() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("mappings/tables")).unwrap();
    std::fs::write(
        dir.path().join("mappings/tables/roles.csv"),
        "source,value\npresident,President\nsecretary,Secretary of State\n",
    )
    .unwrap();
    let m = mapping_in(
        dir.path(),
        "two.toml",
        r#"
[source]
title = "Travels (HistoryAtState/travels, CC0 1.0)"

[[record]]
element = "trip"
type = "event"
id = "id"
slug = "trip-{@who}-{id}"
[record.fields]
title = { template = "{@role} {name} in {country}" }
kind = { value = "visit" }
date = { start = "start-date", end = "end-date" }
[[record.links]]
field = "bodies"
type = "body"
slug = { path = "country/@id" }
name = { path = "country" }
kind = "state"

[[record]]
element = "trip"
type = "document"
id = "id"
slug = "remarks-{@who}-{id}"
[record.fields]
title = { template = "Remarks on the trip of the {@role} to {country}" }
kind = { value = "statement" }
date = { start = "end-date" }
summary = { path = "remarks" }
"#,
    );
    // `{@role}` in a template reads the raw code; a map on the field turns it into words.
    let text = std::fs::read_to_string(&m).unwrap().replace(
        "title = { template = \"Remarks on the trip of the {@role} to {country}\" }",
        "title = { template = \"Remarks on the trip of the {@role} to {country}\" }\nplace = { path = \"@role\", map_file = \"tables/roles.csv\", unmapped = \"refuse\" }",
    );
    std::fs::write(&m, text).unwrap();
    let o = import(dir.path(), &m, &[CLINTON, ALBRIGHT], &[]);
    assert!(o.status.success(), "{}", out(&o));
    // 36 events and 36 documents (the report names them by the first record's type).
    assert!(out(&o).contains(": 72 new"), "{}", out(&o));
    let s = store(dir.path());
    assert_eq!(s.events(&EventQuery::default()).unwrap().len(), 36);
    let d = s
        .document("remarks-albright-madeleine-korbel-11")
        .unwrap()
        .unwrap();
    assert_eq!(d.title, "Remarks on the trip of the secretary to Russia");
    assert_eq!(d.place.as_deref(), Some("Secretary of State"));
    assert_eq!(d.date.unwrap().to_string(), "1997-05-02");
}

/// A bad value still names file:line:column, the record's id and the field; the other
/// records are imported.
#[test]
fn a_bad_record_names_its_place_id_and_field_and_the_rest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clinton.xml");
    let text = std::fs::read_to_string(CLINTON).unwrap().replacen(
        "<end-date>1994-01-15</end-date>\n        <country id=\"belarus\">",
        "<end-date>1994-01-14</end-date>\n        <country id=\"belarus\">",
        1,
    );
    std::fs::write(&file, text).unwrap();
    let o = import(
        dir.path(),
        "mappings/travels.toml",
        &[file.to_str().unwrap()],
        &[],
    );
    // The run says a record failed (exit status 1) but keeps the others.
    assert!(!o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("clinton.xml:112:9: record Travel-2529-president, field `end-date`: the end date 1994-01-14 is before the start date 1994-01-15"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("events: 24 new"), "{}", out(&o));
    assert_eq!(
        store(dir.path())
            .events(&EventQuery::default())
            .unwrap()
            .len(),
        24
    );
}

/// Hostile mappings: a table outside the mapping's folder, a regular expression that
/// would compile to something huge, and a value map refusing an unknown code are each
/// refused with the mapping's line and column (or the record's place), before any write.
#[test]
fn hostile_mappings_are_refused_with_their_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.csv"), "a,b\nx,y\n").unwrap();
    let cases = [
        (
            "level = { path = \"@role\", map = { president = \"heads-of-state\", secretary = \"foreign-ministers\" }, unmapped = \"skip\" }",
            "level = { path = \"@role\", map_file = \"../secret.csv\" }",
            ":34:38: [fields] level: map_file \"../secret.csv\" steps out of the mapping's folder",
        ),
        (
            "level = { path = \"@role\", map = { president = \"heads-of-state\", secretary = \"foreign-ministers\" }, unmapped = \"skip\" }",
            "level = { path = \"@role\", map_file = \"/etc/passwd\" }",
            ":34:38: [fields] level: map_file \"/etc/passwd\" is an absolute path",
        ),
        (
            "summary = { path = \"remarks\" }",
            "summary = { path = \"remarks\", filters = [{ replace = \"(a{1000}){1000}\" }] }",
            ":33:42: [fields] summary filters: the regular expression \"(a{1000}){1000}\" would compile to more than",
        ),
        (
            "summary = { path = \"remarks\" }",
            "summary = { path = \"remarks\", filters = [\"shout\"] }",
            ":33:42: [fields] summary filters: unknown filter \"shout\"",
        ),
        (
            "match = [\"name\"]",
            "match = [\"name\", \"guess\"]",
            "[[links]] #1 (bodies): match = \"guess\"",
        ),
    ];
    for (from, to, expect) in cases {
        let m = mapping_in(dir.path(), "m.toml", &travels_with(from, to));
        let o = import(dir.path(), &m, &[CLINTON], &[]);
        assert!(!o.status.success(), "{to}: {}", out(&o));
        assert!(out(&o).contains(expect), "{to}: {}", out(&o));
        assert!(out(&o).contains("m.toml:"), "{to}: {}", out(&o));
    }
    assert!(
        !dir.path().join("dossier.db").exists()
            || store(dir.path())
                .events(&EventQuery::default())
                .unwrap()
                .is_empty()
    );

    // A code the value map lacks, with unmapped = "refuse": the record is refused,
    // naming where the value is, the record and the path.
    let m = mapping_in(
        dir.path(),
        "m.toml",
        &travels_with("unmapped = \"skip\"", "unmapped = \"refuse\""),
    );
    let file = dir.path().join("odd.xml");
    let text = std::fs::read_to_string(ALBRIGHT).unwrap().replacen(
        "role=\"secretary\"",
        "role=\"envoy\"",
        1,
    );
    std::fs::write(&file, text).unwrap();
    let o = import(dir.path(), &m, &[file.to_str().unwrap()], &[]);
    assert!(
        out(&o).contains("odd.xml:3:5: record 1, field `@role`: \"envoy\" is not in the value map"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("events: 10 new"), "{}", out(&o));
}

/// The issue's case end to end: with the built-in dossier loaded, the trips to "Russia"
/// join the archive's `russian-federation` (matched by name or alias, as the mapping's
/// link asks) instead of making a second body `russia`; `--dry-run` shows the match.
#[test]
fn the_trips_to_russia_join_the_archives_russian_federation() {
    let dir = tempfile::tempdir().unwrap();
    assert!(dossier(dir.path(), &["load-builtin"]).status.success());
    let o = import(
        dir.path(),
        "mappings/travels.toml",
        &[CLINTON, ALBRIGHT],
        &["--dry-run"],
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("body \"Russia\" → russian-federation (by name"),
        "{}",
        out(&o)
    );
    let o = import(
        dir.path(),
        "mappings/travels.toml",
        &[CLINTON, ALBRIGHT],
        &["--collection", "travels"],
    );
    assert!(o.status.success(), "{}", out(&o));
    let s = store(dir.path());
    assert!(s.body("russia").unwrap().is_none());
    let to_russia = s
        .events(&EventQuery {
            bodies: vec!["russian-federation".into()],
            ..Default::default()
        })
        .unwrap();
    let mut slugs: Vec<&str> = to_russia
        .iter()
        .filter(|e| e.collections == ["travels"])
        .map(|e| e.slug.as_str())
        .collect();
    slugs.sort();
    assert_eq!(
        slugs,
        [
            "trip-albright-madeleine-korbel-11",
            "trip-albright-madeleine-korbel-6",
            "trip-clinton-william-j-travel-2528-president"
        ]
    );
}
