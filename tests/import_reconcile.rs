//! Reconciliation at import (issue 28), run as a user would: visits of the real visits
//! collection (tests/fixtures/visits-russia-excerpt.xml: the U.S.S.R. in 1990, Russia
//! twice in 1992) imported into an archive holding the built-in dossier, whose
//! `russian-federation` answers to "Russia" (an alias) and carries Wikidata Q159.

use dossier_model::RecordType;
use dossier_store::{SqliteStore, Store};
use std::path::Path;
use std::process::Output;

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, out, stdout};

const EXCERPT: &str = "tests/fixtures/visits-russia-excerpt.xml";

/// mappings/visits.toml with `country` (TOML lines) added to the country's link.
fn mapping(dir: &Path, country: &str) -> String {
    let text = std::fs::read_to_string("mappings/visits.toml").unwrap();
    let anchor = "name = { path = \"from\" }\nkind = \"state\"\n";
    assert!(
        text.contains(anchor),
        "mappings/visits.toml changed: {text}"
    );
    let text = text.replace(anchor, &format!("{anchor}{country}\n"));
    let path = dir.join("visits.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn import(data: &Path, mapping: &str, extra: &[&str], files: &[&str]) -> Output {
    let mut args = vec!["import", "records", "--mapping", mapping];
    args.extend(extra);
    args.extend(files);
    dossier(data, &args)
}

/// A data directory with the built-in dossier.
fn builtin() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = dossier(dir.path(), &["load-builtin"]);
    assert!(o.status.success(), "{}", out(&o));
    dir
}

fn store(data: &Path) -> SqliteStore {
    SqliteStore::open(&data.join("dossier.db")).unwrap()
}

fn bodies_of(store: &SqliteStore, event: &str) -> Vec<String> {
    store
        .event(event)
        .unwrap()
        .unwrap_or_else(|| panic!("no event {event}"))
        .bodies
}

#[test]
fn russia_links_the_built_in_russian_federation_and_a_second_run_changes_nothing() {
    let data = builtin();
    let before = store(data.path());
    let federation = before.body("russian-federation").unwrap().unwrap();
    assert!(federation.aliases.iter().any(|a| a == "Russia"));
    let bodies = before.bodies(None).unwrap().len();
    drop(before);

    // A dry run says what each name would link to, and writes nothing.
    let o = import(
        data.path(),
        "mappings/visits.toml",
        &["--dry-run"],
        &[EXCERPT],
    );
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("Dry run, nothing was written"), "{text}");
    assert!(
        text.contains("  body \"Russia\" → russian-federation (by name, 2 links)"),
        "{text}"
    );
    assert!(
        text.contains("  body \"U.S.S.R.\" → russia (matched nothing; created)"),
        "{text}"
    );
    assert!(
        text.contains("  person \"President Boris N. Yeltsin\" → president-boris-n-yeltsin"),
        "{text}"
    );
    assert!(store(data.path()).event("visit-913").unwrap().is_none());

    let o = import(data.path(), "mappings/visits.toml", &[], &[EXCERPT]);
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("events: 3 new, 0 changed, 0 unchanged"),
        "{text}"
    );
    assert!(
        text.contains("Links reconciled with the archive: 0 by identifier, 2 by name or alias"),
        "{text}"
    );
    // The list is for dry runs only.
    assert!(!text.contains("→"), "{text}");
    let s = store(data.path());
    assert_eq!(bodies_of(&s, "visit-913"), ["russian-federation"]);
    assert_eq!(bodies_of(&s, "visit-949"), ["russian-federation"]);
    // The U.S.S.R. is not the Russian Federation: it matched nothing and was created as
    // the mapping made it, without the alias "Russia" a second name would have given it.
    assert_eq!(bodies_of(&s, "visit-779"), ["russia"]);
    let ussr = s.body("russia").unwrap().unwrap();
    assert_eq!(ussr.name, "U.S.S.R.");
    assert!(ussr.aliases.is_empty(), "{:?}", ussr.aliases);
    // The built-in record is linked, not rewritten.
    assert_eq!(s.body("russian-federation").unwrap().unwrap(), federation);
    assert_eq!(s.bodies(None).unwrap().len(), bodies + 1);
    let last = s.last_change().unwrap();
    drop(s);

    // Again: the same links, nothing written.
    let o = import(data.path(), "mappings/visits.toml", &[], &[EXCERPT]);
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("events: 0 new, 0 changed, 3 unchanged."),
        "{text}"
    );
    assert!(!text.contains("linked records created"), "{text}");
    let s = store(data.path());
    assert_eq!(s.last_change().unwrap(), last);
    assert_eq!(bodies_of(&s, "visit-913"), ["russian-federation"]);
    // What links there shows on the body's page.
    let back = s.backlinks(RecordType::Body, "russian-federation").unwrap();
    assert!(back.iter().any(|b| b.slug == "visit-913"), "{back:?}");
}

#[test]
fn an_identifier_matches_whatever_the_name() {
    let data = builtin();
    let dir = tempfile::tempdir().unwrap();
    // The source's names become Wikidata items through filters (Russia is Q159; any other
    // name is emptied: no identifier), and links are matched by identifier only.
    let m = mapping(
        dir.path(),
        r#"identifier = { scheme = "wikidata", path = "from", filters = [{ replace = "^Russia$", with = "q159" }, { replace = "^[^q].*$" }] }
match = ["identifier"]"#,
    );
    let o = import(data.path(), &m, &[], &[EXCERPT]);
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("Links reconciled with the archive: 2 by identifier, 0 by name or alias"),
        "{text}"
    );
    let s = store(data.path());
    assert_eq!(bodies_of(&s, "visit-949"), ["russian-federation"]);
    assert_eq!(bodies_of(&s, "visit-779"), ["russia"]);
}

#[test]
fn a_mapping_that_reports_unmatched_names_refuses_those_records_and_imports_the_rest() {
    let data = builtin();
    let dir = tempfile::tempdir().unwrap();
    let m = mapping(dir.path(), "unmatched = \"report\"");
    let o = import(data.path(), &m, &[], &[EXCERPT]);
    let text = out(&o);
    assert!(!o.status.success(), "{text}");
    assert!(
        text.contains(&format!(
            "{EXCERPT}:3:5: record visit-779, field `bodies`: no body of the archive has the name \"U.S.S.R.\"; \
             the mapping says unmatched = \"report\", so the record is not imported"
        )),
        "{text}"
    );
    assert!(text.contains("1 record(s) failed"), "{text}");
    assert!(text.contains("events: 2 new"), "{text}");
    let s = store(data.path());
    assert!(s.event("visit-779").unwrap().is_none());
    assert!(s.body("russia").unwrap().is_none());
    assert_eq!(bodies_of(&s, "visit-913"), ["russian-federation"]);

    // With --strict, nothing at all.
    let data = builtin();
    let o = import(data.path(), &m, &["--strict"], &[EXCERPT]);
    let text = out(&o);
    assert!(!o.status.success(), "{text}");
    assert!(text.contains("record visit-779, field `bodies`"), "{text}");
    assert!(text.contains("nothing was written"), "{text}");
    assert!(store(data.path()).event("visit-913").unwrap().is_none());
}

#[test]
fn a_name_two_records_answer_to_is_never_guessed_and_check_lists_them() {
    let data = builtin();
    let dir = tempfile::tempdir().unwrap();
    // Without reconciliation (as before issue 28) the country came in as `russia`, named
    // "U.S.S.R." and also "Russia": a second body beside the built-in one.
    let off = mapping(dir.path(), "match = []");
    let o = import(data.path(), &off, &[], &[EXCERPT]);
    assert!(o.status.success(), "{}", out(&o));
    let s = store(data.path());
    assert_eq!(s.body("russia").unwrap().unwrap().aliases, ["Russia"]);
    drop(s);

    // `dossier check` lists the two as likely duplicates.
    let o = dossier(data.path(), &["check", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let dups: Vec<&serde_json::Value> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "likely-duplicate" && i["slug"] == "russia")
        .collect();
    assert_eq!(dups.len(), 1, "{dups:?}");
    assert_eq!(dups[0]["field"], "aliases");
    assert_eq!(
        dups[0]["message"],
        "\"Russia\" is also the name of body `russian-federation` (\"Russia\"): one body twice?"
    );
    assert_eq!(dups[0]["edit"], "/bodies/russia/edit#field-aliases");

    // "Russia" now names two bodies: the import keeps the mapping's slug and says why.
    let o = import(
        data.path(),
        "mappings/visits.toml",
        &["--dry-run"],
        &[EXCERPT],
    );
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains(
            "body \"Russia\" matches 2 records: `russia`, `russian-federation`; not guessed"
        ),
        "{text}"
    );
    assert!(
        text.contains("  body \"Russia\" → russia (matched several records, not guessed; the mapping's slug, 2 links)"),
        "{text}"
    );
    assert!(
        text.contains("2 of them matched several records (not guessed)"),
        "{text}"
    );

    // And refuses the record where the mapping asks for a report.
    let report = mapping(dir.path(), "unmatched = \"report\"");
    let o = import(data.path(), &report, &[], &[EXCERPT]);
    let text = out(&o);
    assert!(!o.status.success(), "{text}");
    assert!(
        text.contains(
            "record visit-913, field `bodies`: 2 body records of the archive have the name \"Russia\" (`russia`, `russian-federation`); not guessed"
        ),
        "{text}"
    );
    let s = store(data.path());
    assert_eq!(bodies_of(&s, "visit-913"), ["russia"]);
}

#[test]
fn likely_duplicates_the_import_created_are_listed() {
    let data = builtin();
    let dir = tempfile::tempdir().unwrap();
    // The visitor's name a letter off a built-in person's.
    let built_in = store(data.path()).people(None).unwrap();
    let person = built_in
        .iter()
        .find(|p| {
            p.name.chars().count() >= 12 && p.name.ends_with(|c: char| c.is_ascii_lowercase())
        })
        .expect("a built-in person with a long name");
    let mut near: Vec<char> = person.name.chars().collect();
    let last = near.len() - 1;
    near[last] = if near[last] == 'x' { 'y' } else { 'x' };
    let near: String = near.into_iter().collect();
    let xml = std::fs::read_to_string(EXCERPT)
        .unwrap()
        .replace("President Mikhail S. Gorbachev", &near);
    let file = dir.path().join("visits.xml");
    std::fs::write(&file, xml).unwrap();
    let o = import(
        data.path(),
        "mappings/visits.toml",
        &[],
        &[file.to_str().unwrap()],
    );
    let text = out(&o);
    assert!(o.status.success(), "{text}");
    assert!(
        text.contains("Likely duplicates this import created:"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("  person `")
            && l.contains(&format!("`{}`", person.slug))
            && l.contains("similar names")),
        "{text}"
    );
}

#[test]
fn a_huge_or_hostile_name_is_reported_in_bounded_words() {
    let data = builtin();
    let dir = tempfile::tempdir().unwrap();
    let hostile = format!("<script>alert(1)</script>{}", "Ruritania ".repeat(2_000));
    let xml = std::fs::read_to_string(EXCERPT).unwrap().replace(
        "<from id=\"russia\">U.S.S.R.</from>",
        &format!(
            "<from id=\"ruritania\">{}</from>",
            hostile.replace('<', "&lt;").replace('>', "&gt;")
        ),
    );
    let file = dir.path().join("visits.xml");
    std::fs::write(&file, xml).unwrap();
    let m = mapping(dir.path(), "unmatched = \"report\"");
    let o = import(data.path(), &m, &[], &[file.to_str().unwrap()]);
    let text = out(&o);
    assert!(!o.status.success(), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("record visit-779"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("<script>alert(1)</script>Ruritania"),
        "{line}"
    );
    assert!(line.len() < 600, "{} bytes: {line}", line.len());
    assert!(store(data.path()).body("ruritania").unwrap().is_none());
}
