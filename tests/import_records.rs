//! `dossier import records|csv|markdown`, run as a user would on the real visits corpus
//! (`../shared/corpora/historyatstate/visits`, CC0) and on excerpts of it.

use dossier_store::{EventQuery, SqliteStore, Store};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, out, BIN};

fn visits_files() -> Vec<String> {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/historyatstate/visits/data");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the visits corpus at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files.iter().map(|p| p.display().to_string()).collect()
}

fn events(data_dir: &Path) -> usize {
    let store = SqliteStore::open(&data_dir.join("dossier.db")).unwrap();
    store.events(&EventQuery::default()).unwrap().len()
}

/// `dossier import records FILES --mapping mappings/visits.toml EXTRA…`.
fn import_with_visits_mapping(data_dir: &Path, files: &[&str], extra: &[&str]) -> Output {
    let mut args = vec!["import", "records", "--mapping", "mappings/visits.toml"];
    args.extend(extra);
    args.extend(files);
    dossier(data_dir, &args)
}

fn import_visits(data_dir: &Path, extra: &[&str]) -> Output {
    let files = visits_files();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    import_with_visits_mapping(data_dir, &files, extra)
}

#[test]
fn the_visits_corpus_gives_3264_events_and_reimport_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = import_visits(dir.path(), &["--dry-run"]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("Dry run, nothing was written"),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains("events: 3264 new, 0 changed, 0 unchanged"),
        "{}",
        out(&o)
    );
    assert_eq!(events(dir.path()), 0);

    let o = import_visits(dir.path(), &[]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("events: 3264 new, 0 changed, 0 unchanged"),
        "{}",
        out(&o)
    );
    assert_eq!(events(dir.path()), 3264);

    let o = import_visits(dir.path(), &[]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("events: 0 new, 0 changed, 3264 unchanged."),
        "{}",
        out(&o)
    );

    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    // data/1990.xml, visit 752: four days, linked to its visitor and country.
    let e = store.event("visit-752").unwrap().unwrap();
    assert_eq!(
        e.title,
        "Visit of President Ali Abdallah Salih (Yemen Arab Republic)"
    );
    assert_eq!(e.date.unwrap().to_string(), "1990-01-23/1990-01-26");
    assert_eq!(e.bodies, ["yemen"]);
    assert_eq!(e.people, ["president-ali-abdallah-salih"]);
    let yemen = store.body("yemen").unwrap().unwrap();
    assert_eq!(yemen.kind, dossier_model::BodyKind::State);
    // Every event has exact dates, a visitor and a country.
    let all = store.events(&EventQuery::default()).unwrap();
    assert!(all
        .iter()
        .all(|e| e.date.is_some() && e.bodies.len() == 1 && e.people.len() == 1));
    // One country, several names: the first is the name, the others aliases.
    let russia = store.body("russia").unwrap().unwrap();
    assert_eq!(russia.name, "U.S.S.R.");
    assert_eq!(russia.aliases, ["Russia"]);
    let held = store
        .events(&EventQuery {
            bodies: vec!["russia".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(held.len(), 31);
}

#[test]
fn a_changed_record_is_updated_not_duplicated_and_csv_gives_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("1990.xml");
    std::fs::copy("tests/fixtures/visits-excerpt.xml", &file).unwrap();
    let f = file.to_str().unwrap();
    let o = import_with_visits_mapping(dir.path(), &[f], &[]);
    assert!(
        out(&o).contains("events: 3 new, 0 changed, 0 unchanged"),
        "{}",
        out(&o)
    );
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "Private visit.</description>",
        "Private visit to Washington.</description>",
    );
    std::fs::write(&file, text).unwrap();
    let o = import_with_visits_mapping(dir.path(), &[f], &[]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("events: 0 new, 1 changed, 2 unchanged"),
        "{}",
        out(&o)
    );
    assert_eq!(events(dir.path()), 3);
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    assert_eq!(
        store
            .event("visit-753")
            .unwrap()
            .unwrap()
            .summary
            .as_deref(),
        Some("Private visit to Washington.")
    );
    drop(store);

    // The CSV export of the same (original) visits gives the same records; only the
    // source file each names differs.
    let csv_dir = tempfile::tempdir().unwrap();
    let o = dossier(
        csv_dir.path(),
        &[
            "import",
            "csv",
            "tests/fixtures/visits-excerpt.csv",
            "--mapping",
            "mappings/visits-csv.toml",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("events: 3 new"), "{}", out(&o));
    let xml_dir = tempfile::tempdir().unwrap();
    let o = import_with_visits_mapping(xml_dir.path(), &["tests/fixtures/visits-excerpt.xml"], &[]);
    assert!(o.status.success(), "{}", out(&o));
    let strip = |dir: &Path| {
        let store = SqliteStore::open(&dir.join("dossier.db")).unwrap();
        let mut events = store.events(&EventQuery::default()).unwrap();
        for e in &mut events {
            e.provenance = Default::default();
        }
        events
    };
    assert_eq!(strip(csv_dir.path()), strip(xml_dir.path()));
}

#[test]
fn bad_records_are_reported_and_the_good_ones_imported_unless_strict() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.xml");
    let text = std::fs::read_to_string("tests/fixtures/visits-excerpt.xml")
        .unwrap()
        .replace(
            "<end-date>1990-01-26</end-date>\n        <visitor>President Ali",
            "<end-date>1990-02-31</end-date>\n        <visitor>President Ali",
        )
        .replace("<id>753</id>", "<id></id>");
    std::fs::write(&file, text).unwrap();
    let f = file.to_str().unwrap();

    let o = import_with_visits_mapping(dir.path(), &[f], &["--strict"]);
    assert!(!o.status.success());
    assert!(out(&o).contains("--strict"), "{}", out(&o));
    assert!(
        out(&o).contains(":18:9: record 752, field `end-date`"),
        "{}",
        out(&o)
    );
    assert!(!dir.path().join("dossier.db").exists() || events(dir.path()) == 0);

    let o = import_with_visits_mapping(dir.path(), &[f], &[]);
    assert!(
        !o.status.success(),
        "a failed record must give a non-zero exit"
    );
    let text = out(&o);
    assert!(
        text.contains(&format!("{f}:18:9: record 752, field `end-date`")),
        "{text}"
    );
    assert!(text.contains("record (no id), field `id`"), "{text}");
    assert!(
        text.contains("events: 1 new, 0 changed, 0 unchanged"),
        "{text}"
    );
    assert!(text.contains("2 record(s) failed"), "{text}");
    assert_eq!(events(dir.path()), 1);

    let o = dossier(
        dir.path(),
        &["import", "records", f, "--mapping", "no-such-mapping.toml"],
    );
    assert!(
        out(&o).contains("no-such-mapping.toml: cannot read: "),
        "{}",
        out(&o)
    );
}

#[test]
fn a_killed_import_completes_when_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let files = visits_files();
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "import",
            "records",
            "--mapping",
            "mappings/visits.toml",
            "--batch-size",
            "50",
        ])
        .args(&files)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let o = import_visits(dir.path(), &[]);
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    let (new, unchanged) = {
        let line = text.lines().find(|l| l.contains("events:")).unwrap();
        let nums: Vec<usize> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect();
        (nums[1], nums[3])
    };
    assert_eq!(new + unchanged, 3264, "{text}");
    assert_eq!(events(dir.path()), 3264);
}

#[test]
fn markdown_records_with_front_matter() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("meeting-note.md");
    std::fs::write(
        &md,
        "+++\ntitle = \"Note <script>alert(1)</script>\"\nkind = \"statement\"\ndate = \"1997-05-27\"\n+++\nA hand-written note.\n",
    )
    .unwrap();
    let o = dossier(dir.path(), &["import", "markdown", md.to_str().unwrap()]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("documents: 1 new"), "{}", out(&o));
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    let d = store.document("meeting-note").unwrap().unwrap();
    assert_eq!(d.texts[0].plain_text(), "A hand-written note.");
    // The page shows the markup as text.
    let view = dossier_publish::views::document(&store, "meeting-note")
        .unwrap()
        .unwrap();
    let html = dossier_publish::html::Renderer::new()
        .render("document.html", "test", &view)
        .unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("A hand-written note."), "{html}");
}

#[test]
fn the_search_index_follows_every_batch_to_the_end() {
    // Many small batches: the index thread is told after each one while the next is
    // written, and syncs of several batches coalesce; at the end the index must hold
    // exactly what the store committed.
    let dir = tempfile::tempdir().unwrap();
    let o = import_visits(dir.path(), &["--batch-size", "300"]);
    assert!(o.status.success(), "{}", out(&o));
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("index/meta.json")).unwrap())
            .unwrap();
    let indexed: i64 = meta["payload"].as_str().unwrap().parse().unwrap();
    assert_eq!(indexed, store.last_change().unwrap());
    // And search finds a record of the last file as well as one of the first.
    for (query, slug) in [
        ("Kalakaua", "visit-2138"),
        ("Ali Abdallah Salih", "visit-752"),
    ] {
        let o = dossier(dir.path(), &["search", query, "--json"]);
        assert!(o.status.success(), "{}", out(&o));
        assert!(out(&o).contains(slug), "{query}: {}", out(&o));
    }
}

/// What the summary says does not depend on where batches split: a body met under a
/// second name is counted once, whether it was made in the same batch or an earlier one.
#[test]
fn the_summary_is_the_same_whatever_the_batch_size() {
    // The summary, and every body with the names it answers to.
    let summary = |extra: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let o = import_visits(dir.path(), extra);
        assert!(o.status.success(), "{}", out(&o));
        let text = out(&o);
        let line = text
            .lines()
            .find(|l| l.starts_with("Imported"))
            .unwrap_or_else(|| panic!("no summary: {text}"))
            .to_string();
        let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
        let bodies: Vec<(String, String, Vec<String>)> = store
            .bodies(None)
            .unwrap()
            .into_iter()
            .map(|b| (b.slug, b.name, b.aliases))
            .collect();
        (line, bodies)
    };
    let whole = summary(&[]);
    assert!(
        whole.0.contains("3264 new") && whole.0.contains("31 bodies given another name"),
        "{}",
        whole.0
    );
    assert_eq!(whole.1.iter().filter(|b| !b.2.is_empty()).count(), 31);
    assert_eq!(summary(&["--batch-size", "50"]), whole);
}

/// The import indexes each batch from its records in memory, not read back from the
/// store: the index it leaves must answer exactly as one rebuilt from the store.
#[test]
fn an_imported_index_answers_as_one_rebuilt_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let o = import_visits(dir.path(), &["--batch-size", "400"]);
    assert!(o.status.success(), "{}", out(&o));
    let queries = [
        "Kohl",
        "body:germany",
        "type:person Helmut",
        "type:body Germany",
        "\"working visit\" date:1990..1995",
        "queen NOT state",
    ];
    let answers = |dir: &std::path::Path| -> Vec<String> {
        queries
            .iter()
            .map(|q| {
                let o = dossier(dir, &["search", q, "--json", "--limit", "100"]);
                assert!(o.status.success(), "{q}: {}", out(&o));
                // Every hit is compared, whole, but not the scores nor, therefore, the
                // order: BM25's statistics count the tokens of replaced copies (bodies
                // that got an alias) until a merge drops them, which moves near-ties
                // (visits share most of their words). Each query has under 100 hits.
                let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                let total = v["total"].as_u64().unwrap() as usize;
                let hits = v["hits"].as_array_mut().unwrap();
                assert_eq!(hits.len(), total, "{q}");
                for hit in hits.iter_mut() {
                    hit.as_object_mut().unwrap().remove("score");
                }
                hits.sort_by_key(|h| h["slug"].as_str().unwrap().to_string());
                v.to_string()
            })
            .collect()
    };
    let imported = answers(dir.path());
    for (q, a) in queries.iter().zip(&imported) {
        assert!(!a.contains("\"total\":0,"), "{q} finds nothing: {a}");
    }
    let o = dossier(dir.path(), &["reindex"]);
    assert!(o.status.success(), "{}", out(&o));
    let rebuilt = answers(dir.path());
    for ((q, a), b) in queries.iter().zip(&imported).zip(&rebuilt) {
        assert_eq!(a, b, "{q}");
    }
}

/// A record that would hold more than 16 MiB once collected (here five child elements of
/// 3.5 MiB each: every text node under the 4 MiB limit) is refused by the checking pass,
/// before anything is written, even when good records come first in batches of one.
#[test]
fn a_record_too_big_in_total_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.xml");
    let excerpt = std::fs::read_to_string("tests/fixtures/visits-excerpt.xml").unwrap();
    let chunk = "word ".repeat(700 * 1024);
    let big = format!(
        "<visit>\n<id>99999</id>\n<start-date>1990-01-01</start-date>\n<visitor>Nobody</visitor>\n{}</visit>\n</visits>",
        (0..5)
            .map(|_| format!("<description>{chunk}</description>\n"))
            .collect::<String>()
    );
    let text = excerpt.replacen("</visits>", &big, 1);
    std::fs::write(&file, &text).unwrap();
    let big_line = text[..text.find("<id>99999").unwrap()].lines().count();
    let f = file.to_str().unwrap();
    let o = import_with_visits_mapping(dir.path(), &[f], &["--batch-size", "1"]);
    assert!(!o.status.success(), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains(&format!(
            "{f}:{big_line}:1: a <visit> record holds more than 16 MiB"
        )),
        "{text}"
    );
    assert!(!dir.path().join("dossier.db").exists() || events(dir.path()) == 0);
}
