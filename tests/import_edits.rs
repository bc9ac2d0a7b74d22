//! Imports respect editors (issue 24): a re-import keeps a field an editor changed since
//! the last import, reports it, and updates the others; `--overwrite-edits` replaces it.
//! Every write of an import or of `load-builtin` is a revision naming what wrote it. Run
//! with the real binary on real files (the visits corpus's CSV excerpt, Markdown
//! records, the built-in dossier).

use dossier_model::RecordType;
use dossier_store::{Author, Origin, Revision, RevisionQuery, Revisions, SqliteStore, Store};
use serde_json::Value;
use std::path::Path;

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, out};

fn open(data_dir: &Path) -> SqliteStore {
    SqliteStore::open(&data_dir.join("dossier.db")).unwrap()
}

/// A record's published revisions, newest first, with their data.
fn history(store: &SqliteStore, record: RecordType, slug: &str) -> Vec<Revision> {
    Revisions::revisions(
        store,
        &RevisionQuery {
            record: Some(record),
            slug: Some(slug.into()),
            with_data: true,
            ..Default::default()
        },
    )
    .unwrap()
    .into_iter()
    .filter(|r| r.version.is_some())
    .collect()
}

/// The record's published JSON, as stored.
fn current(store: &SqliteStore, record: RecordType, slug: &str) -> Value {
    let latest = history(store, record, slug).into_iter().next().unwrap();
    serde_json::from_str(latest.data.as_deref().unwrap()).unwrap()
}

fn editor() -> Author {
    Author {
        user: None,
        name: "Jane Roe".into(),
        origin: Origin::Web,
    }
}

/// An editor publishes `field` = `value` on the record, through the store's revisions.
fn edit(data_dir: &Path, record: RecordType, slug: &str, field: &str, value: Value) {
    let store = open(data_dir);
    let mut data = current(&store, record, slug);
    data[field] = value;
    let version = store.version(record, slug).unwrap();
    store
        .publish(
            record,
            slug,
            Some(&data.to_string()),
            version,
            &editor(),
            "corrected from the source",
        )
        .unwrap();
}

const CSV_HEAD: &str = "id,start-date,end-date,visitor,from-id,from,description\n";
const VISIT_751: &str = "751,1990-01-10,1990-01-12,Prime Minister Anibal Antonio Cavaco e Silva,portugal,Portugal,Official working visit.\n";

fn visits_csv(path: &Path, end_date: &str, description: &str) {
    std::fs::write(
        path,
        format!(
            "{CSV_HEAD}{VISIT_751}752,1990-01-23,{end_date},President Ali Abdallah Salih,yemen,Yemen Arab Republic,\"{description}\"\n"
        ),
    )
    .unwrap();
}

fn import_csv(data_dir: &Path, file: &Path, extra: &[&str]) -> String {
    let mut args = vec!["import", "csv", "--mapping", "mappings/visits-csv.toml"];
    args.extend(extra);
    args.push(file.to_str().unwrap());
    let o = dossier(data_dir, &args);
    assert!(o.status.success(), "{}", out(&o));
    out(&o)
}

#[test]
fn a_reimport_keeps_the_editors_field_reports_it_and_updates_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("visits.csv");
    let csv_name = csv.to_str().unwrap();
    visits_csv(&csv, "1990-01-26", "State Visit.");
    let o = import_csv(&data, &csv, &[]);
    assert!(o.contains("events: 2 new, 0 changed, 0 unchanged"), "{o}");

    // Every write of the import is a revision naming the file.
    {
        let store = open(&data);
        let h = history(&store, RecordType::Event, "visit-752");
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h[0].author, Author::import(csv_name));
        assert_eq!(h[0].version, Some(1));
        // The linked records it created too.
        let h = history(&store, RecordType::Body, "yemen");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].author.origin, Origin::Import);
    }

    // An editor corrects the end of the visit on the web.
    let edited = Value::String("1990-01-23/1990-01-30".into());
    edit(
        &data,
        RecordType::Event,
        "visit-752",
        "date",
        edited.clone(),
    );

    // The source changes the same date and the description.
    visits_csv(&csv, "1990-01-27", "State Visit, with a stop in Dallas.");
    let o = import_csv(&data, &csv, &[]);
    assert!(
        o.contains("event `visit-752`, field `date`: kept the editor's value (use --overwrite-edits to replace it)"),
        "{o}"
    );
    assert!(o.contains("1 field kept as an editor changed it"), "{o}");
    assert!(o.contains("events: 0 new, 1 changed, 1 unchanged"), "{o}");
    {
        let store = open(&data);
        let now = current(&store, RecordType::Event, "visit-752");
        assert_eq!(now["date"], edited, "the editor's date is kept");
        assert_eq!(now["summary"], "State Visit, with a stop in Dallas.");
        let h = history(&store, RecordType::Event, "visit-752");
        let authors: Vec<&str> = h.iter().map(|r| r.author.name.as_str()).collect();
        let import = format!("import: {csv_name}");
        assert_eq!(authors, [import.as_str(), "Jane Roe", import.as_str()]);
        assert_eq!(h[0].version, Some(3));
        // The page and the search index show what is stored, not the file's date.
        let e = store.event("visit-752").unwrap().unwrap();
        assert_eq!(e.date.unwrap().to_string(), "1990-01-23/1990-01-30");
    }

    // Running it again changes nothing and says the same about the kept field.
    let o = import_csv(&data, &csv, &[]);
    assert!(o.contains("events: 0 new, 0 changed, 2 unchanged"), "{o}");
    assert!(o.contains("event `visit-752`, field `date`: kept"), "{o}");
    assert_eq!(
        history(&open(&data), RecordType::Event, "visit-752").len(),
        3,
        "no revision for a write that changed nothing"
    );

    // --overwrite-edits replaces it, as the import's own revision.
    let o = import_csv(&data, &csv, &["--overwrite-edits"]);
    assert!(!o.contains("kept the editor's value"), "{o}");
    assert!(o.contains("events: 0 new, 1 changed, 1 unchanged"), "{o}");
    let store = open(&data);
    let now = current(&store, RecordType::Event, "visit-752");
    assert_eq!(now["date"], "1990-01-23/1990-01-27");
    let h = history(&store, RecordType::Event, "visit-752");
    assert_eq!(h.len(), 4);
    assert_eq!(h[0].author, Author::import(csv_name));
    // After it, the file's values are the imported ones again: a change in the file is
    // taken without a conflict.
    visits_csv(&csv, "1990-01-28", "State Visit, with a stop in Dallas.");
    drop(store);
    let o = import_csv(&data, &csv, &[]);
    assert!(!o.contains("kept the editor's value"), "{o}");
    let now = current(&open(&data), RecordType::Event, "visit-752");
    assert_eq!(now["date"], "1990-01-23/1990-01-28");
}

#[test]
fn markdown_records_from_a_folder_name_the_folder_and_keep_edits() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let notes = dir.path().join("notes");
    std::fs::create_dir(&notes).unwrap();
    let write = |slug: &str, title: &str, date: &str| {
        std::fs::write(
            notes.join(format!("{slug}.md")),
            format!(
                "+++\ntitle = \"{title}\"\nkind = \"statement\"\ndate = \"{date}\"\n+++\nA note.\n"
            ),
        )
        .unwrap();
    };
    write("note-one", "First note", "1997-05-27");
    write("note-two", "Second note", "1998-03-18");
    let files = [
        notes.join("note-one.md").display().to_string(),
        notes.join("note-two.md").display().to_string(),
    ];
    let import = |extra: &[&str]| {
        let mut args = vec!["import", "markdown"];
        args.extend(extra);
        args.extend(files.iter().map(String::as_str));
        let o = dossier(&data, &args);
        assert!(o.status.success(), "{}", out(&o));
        out(&o)
    };
    let o = import(&[]);
    assert!(o.contains("documents: 2 new"), "{o}");
    let folder = Author::import(&format!("{}/", notes.display()));
    {
        let store = open(&data);
        let h = history(&store, RecordType::Document, "note-one");
        assert_eq!(h[0].author, folder);
        assert!(h[0].comment.contains("2 files"), "{}", h[0].comment);
    }
    // An editor changes the title and the date; the file changes its date and its title.
    edit(
        &data,
        RecordType::Document,
        "note-one",
        "title",
        "First note (corrected)".into(),
    );
    edit(
        &data,
        RecordType::Document,
        "note-one",
        "date",
        "1997-05".into(),
    );
    write("note-one", "First note, revised", "1997-05-28");
    write("note-two", "Second note, revised", "1998-03-18");
    let o = import(&[]);
    for field in ["date", "title"] {
        assert!(
            o.contains(&format!(
                "document `note-one`, field `{field}`: kept the editor's value"
            )),
            "{o}"
        );
    }
    assert!(o.contains("2 fields kept as an editor changed them"), "{o}");
    let store = open(&data);
    let one = store.document("note-one").unwrap().unwrap();
    assert_eq!(one.title, "First note (corrected)");
    assert_eq!(one.date.unwrap().to_string(), "1997-05");
    let two = store.document("note-two").unwrap().unwrap();
    assert_eq!(
        two.title, "Second note, revised",
        "a record nobody edited is updated"
    );
}

#[test]
fn load_builtin_keeps_edits_unless_told_and_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = dossier(&data, &["load-builtin"]);
    assert!(o.status.success(), "{}", out(&o));
    let slug = "founding-act-1997";
    let before = {
        let store = open(&data);
        let h = history(&store, RecordType::Document, slug);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].author, Author::builtin());
        // The dossier too.
        let d = history(&store, RecordType::Dossier, "nato-russia");
        assert_eq!(d[0].author, Author::builtin());
        current(&store, RecordType::Document, slug)["date"].clone()
    };
    edit(&data, RecordType::Document, slug, "date", "1997-05".into());

    let o = dossier(&data, &["load-builtin"]);
    assert!(o.status.success(), "{}", out(&o));
    let o = out(&o);
    assert!(
        o.contains("document `founding-act-1997`, field `date`: kept the editor's value (use --overwrite-edits to replace it)"),
        "{o}"
    );
    assert!(o.contains("1 field kept as an editor changed it."), "{o}");
    {
        let store = open(&data);
        assert_eq!(
            current(&store, RecordType::Document, slug)["date"],
            "1997-05"
        );
        let h = history(&store, RecordType::Document, slug);
        let authors: Vec<&str> = h.iter().map(|r| r.author.name.as_str()).collect();
        // Nothing else of the record changed: no revision of load-builtin's this time.
        assert_eq!(authors, ["Jane Roe", "load-builtin"]);
    }

    let o = dossier(&data, &["load-builtin", "--overwrite-edits"]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(!out(&o).contains("kept the editor's value"), "{}", out(&o));
    let store = open(&data);
    assert_eq!(current(&store, RecordType::Document, slug)["date"], before);
    let h = history(&store, RecordType::Document, slug);
    assert_eq!(h.len(), 3);
    assert_eq!(h[0].author, Author::builtin());
    assert_eq!(store.version(RecordType::Document, slug).unwrap(), 3);
}

#[test]
fn the_flag_is_documented() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in [
        &["import", "csv", "--help"][..],
        &["import", "outline", "--help"],
        &["load-builtin", "--help"],
    ] {
        let o = dossier(dir.path(), cmd);
        assert!(o.status.success(), "{}", out(&o));
        let o = out(&o);
        assert!(o.contains("--overwrite-edits"), "{cmd:?}: {o}");
        assert!(o.contains("editor"), "{cmd:?}: {o}");
    }
}
