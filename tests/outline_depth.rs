//! Issue 20, finding 2: an outline nested deeper than a dossier may be must be refused
//! before anything is written (a 63-level outline was committed and could then not be read
//! back, which broke search, every import, reindex and serve), and a record that cannot be
//! read must fail alone, not the archive.

use std::path::Path;

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, out, stderr};

/// What the store holds, in a form that changes if anything at all was written: the
/// change log's last entry (every write adds one) and every dossier as read back.
fn snapshot(data_dir: &Path) -> String {
    use dossier_store::{SqliteStore, Store};
    let store = SqliteStore::open(&data_dir.join("dossier.db")).unwrap();
    let mut out = format!("last change {}\n", store.last_change().unwrap());
    for d in store.dossiers().unwrap() {
        out.push_str(&format!("{:?}", store.dossier(&d.slug)));
    }
    out
}

/// An outline of `levels` nested numbered headings (`1.`, `1.1.`, `1.1.1.` …) under part
/// `A.`, each followed by a line of text, and the line number of the heading of each level
/// (index 0: part `A.`, at section depth 1).
fn deep_outline(levels: usize) -> (String, Vec<usize>) {
    let mut text = String::from("A Deep Outline\n\nA. Part\n\n");
    let mut lines = vec![3];
    let mut line = 5;
    for k in 1..=levels {
        let label = vec!["1"; k].join(".");
        text.push_str(&format!("{label}. Level {k}\n\nText of level {k}.\n\n"));
        lines.push(line);
        line += 4;
    }
    (text, lines)
}

#[test]
fn a_63_level_outline_is_refused_at_import_and_the_store_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(dossier(&data, &["load-builtin"]).status.success());
    let before = snapshot(&data);

    let (text, lines) = deep_outline(63);
    let file = dir.path().join("deep.txt");
    std::fs::write(&file, &text).unwrap();
    let o = dossier(&data, &["import", "outline", file.to_str().unwrap()]);
    assert!(!o.status.success(), "a 63-level outline was imported");
    let err = stderr(&o);
    // The first heading too deep is the one at section depth MAX + 1.
    let max = dossier_model::MAX_SECTION_DEPTH;
    let at = format!("deep.txt:{}:", lines[max]);
    assert!(err.contains(&at), "expected {at} in: {err}");
    assert!(err.contains(&format!("at most {max}")), "{err}");
    assert_eq!(snapshot(&data), before, "a refused import wrote something");

    // The archive still works: search, another import, reindex.
    let o = dossier(&data, &["search", "Founding Act"]);
    assert!(o.status.success(), "{}", out(&o));
    let o = dossier(&data, &["reindex"]);
    assert!(o.status.success(), "{}", out(&o));

    // An outline exactly at the limit imports, reads back and searches.
    let (text, _) = deep_outline(max - 1);
    std::fs::write(&file, &text).unwrap();
    let o = dossier(&data, &["import", "outline", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", out(&o));
    let o = dossier(&data, &["search", "\"Text of level\""]);
    assert!(o.status.success(), "{}", out(&o));
    use dossier_store::{SqliteStore, Store};
    let store = SqliteStore::open(&data.join("dossier.db")).unwrap();
    let d = store.dossier("a-deep-outline").unwrap().unwrap();
    assert_eq!(d.all_sections().len(), max);
}

#[test]
fn a_2000_level_outline_is_refused() {
    // Before the limit, this import ran for minutes at gigabytes of memory; that this test
    // finishes at all is the bound.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (text, lines) = deep_outline(2000);
    let file = dir.path().join("deeper.txt");
    std::fs::write(&file, &text).unwrap();
    let o = dossier(&data, &["import", "outline", file.to_str().unwrap()]);
    assert!(!o.status.success(), "a 2,000-level outline was imported");
    let err = stderr(&o);
    let at = format!("deeper.txt:{}:", lines[dossier_model::MAX_SECTION_DEPTH]);
    assert!(err.contains(&at), "expected {at} in: {err}");
}

/// A dossier nested 70 sections deep as JSON: deeper than serde_json reads (128 levels).
fn too_deep_json(slug: &str) -> String {
    let mut s = String::from(r#"{"key":"x","label":"","title":"x"}"#);
    for i in 0..70 {
        s = format!(r#"{{"key":"k{i}","label":"","title":"t","children":[{s}]}}"#);
    }
    format!(r#"{{"slug":"{slug}","title":"Bad","sections":[{s}]}}"#)
}

#[test]
fn a_record_that_cannot_be_read_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(dossier(&data, &["load-builtin"]).status.success());
    let db = data.join("dossier.db");
    // Break the dossier (too deep to read) and one document (not JSON) behind the store's
    // back, and log them as changed so that the search index has to read them again.
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        let slug: String = c
            .query_row("SELECT slug FROM dossiers LIMIT 1", [], |r| r.get(0))
            .unwrap();
        c.execute(
            "UPDATE dossiers SET data = ?1 WHERE slug = ?2",
            [too_deep_json(&slug), slug.clone()],
        )
        .unwrap();
        let doc: String = c
            .query_row(
                "SELECT slug FROM records WHERE type = 'document' ORDER BY slug LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        c.execute(
            "UPDATE records SET data = '{not json' WHERE type = 'document' AND slug = ?1",
            [&doc],
        )
        .unwrap();
        // The index is rebuilt from the whole change log.
        std::fs::remove_dir_all(data.join("index")).unwrap();
        drop(c);

        use dossier_store::{SqliteStore, Store};
        let store = SqliteStore::open(&db).unwrap();
        let e = store.dossier(&slug).unwrap_err().to_string();
        assert!(e.contains(&format!("dossier `{slug}`")), "{e}");
        let e = store.document(&doc).unwrap_err().to_string();
        assert!(e.contains(&format!("document `{doc}`")), "{e}");
        // Lists skip the bad record and keep the others.
        let all = store
            .documents(&dossier_store::DocumentQuery::default())
            .unwrap();
        assert!(!all.is_empty());
        assert!(all.iter().all(|d| d.slug != doc));
        assert!(!store.bodies(None).unwrap().is_empty());
    }
    // Search (which rebuilds the index), reindex and another import still work.
    let o = dossier(&data, &["search", "Founding Act"]);
    assert!(o.status.success(), "{}", out(&o));
    let o = dossier(&data, &["reindex"]);
    assert!(o.status.success(), "{}", out(&o));
    let (text, _) = deep_outline(3);
    let file = dir.path().join("small.txt");
    std::fs::write(&file, text).unwrap();
    let o = dossier(&data, &["import", "outline", file.to_str().unwrap()]);
    assert!(o.status.success(), "{}", out(&o));
    let o = dossier(&data, &["search", "\"Text of level\""]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("Level"), "{}", out(&o));
}

#[test]
fn a_streaming_import_rewrites_a_record_that_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let md = dir.path().join("meeting-note.md");
    std::fs::write(
        &md,
        "+++\ntitle = \"Note\"\nkind = \"statement\"\ndate = \"1997-05-27\"\n+++\nA hand-written note.\n",
    )
    .unwrap();
    let import = || dossier(&data, &["import", "markdown", md.to_str().unwrap()]);
    let o = import();
    assert!(o.status.success(), "{}", out(&o));
    let db = data.join("dossier.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE records SET data = '{not json' WHERE type = 'document' AND slug = 'meeting-note'",
            [],
        )
        .unwrap();
    // The import compares with the stored copy: one that cannot be read counts as none,
    // and the record is written again.
    let o = import();
    assert!(o.status.success(), "{}", out(&o));
    use dossier_store::{SqliteStore, Store};
    let store = SqliteStore::open(&db).unwrap();
    let d = store.document("meeting-note").unwrap().unwrap();
    assert_eq!(d.texts[0].plain_text(), "A hand-written note.");
}
