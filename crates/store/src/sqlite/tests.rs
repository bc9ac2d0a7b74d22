use super::*;

fn doc(slug: &str, date: Option<&str>) -> Document {
    Document {
        collections: Vec::new(),
        coverage: None,
        texts: Vec::new(),
        slug: slug.into(),
        title: format!("Title of {slug}"),
        aliases: vec![],
        kind: DocumentKind::Declaration,
        date: date.map(|d| Edtf::parse(d).unwrap()),
        place: None,
        issued_by: vec![],
        authors: vec![],
        parties: vec![],
        legal_status: LegalStatus::Unknown,
        availability: Availability::Public,
        languages: vec![],
        summary: None,
        relations: vec![],
        dossiers: vec!["d".into()],
        topics: vec![],
        provenance: Provenance::default(),
    }
}

fn dossier() -> Dossier {
    Dossier {
        queries: Vec::new(),
        stale_after_years: None,
        slug: "d".into(),
        title: "D".into(),
        description: String::new(),
        source: None,
        sections: vec![Section {
            claims: Vec::new(),
            key: "a".into(),
            label: "A.".into(),
            title: "Part".into(),
            short_title: None,
            commentary: "[x](ref:1)".into(),
            references: vec![Reference {
                text: "x".into(),
                target: Some(Target::Document { slug: "one".into() }),
                mention: false,
            }],
            lists: vec![],
            children: vec![],
        }],
    }
}

fn archive() -> Archive {
    Archive {
        dossiers: vec![dossier()],
        documents: vec![
            doc("one", Some("1997-05-27")),
            doc("two", Some("1997")),
            doc("three", None),
        ],
        ..Default::default()
    }
}

/// A bulk load's pages stay in the write-ahead log (past SQLite's default threshold of
/// 1,000 pages) until `end_bulk`, which copies them into the database file and empties
/// the log; every record is readable throughout.
#[test]
fn a_bulk_load_is_checkpointed_at_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dossier.db");
    let s = SqliteStore::open(&path).unwrap();
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let wal = dir.path().join("dossier.db-wal");
    assert_eq!(wal_path(&path), wal);
    let size_limit = || -> i64 {
        s.writer
            .lock()
            .unwrap()
            .pragma_query_value(None, "journal_size_limit", |r| r.get(0))
            .unwrap()
    };
    s.begin_bulk().unwrap();
    let mut a = archive();
    // 8 MB of text: twice SQLite's default threshold.
    for d in &mut a.documents {
        d.texts = vec![Text::plain(
            "en",
            &format!("{} ", d.slug).repeat(700_000),
            None,
        )];
    }
    s.begin_bulk().unwrap(); // a second call is harmless
    s.write(&a).unwrap();
    assert!(
        size(&path) < 1_000_000,
        "the load was copied into the database early"
    );
    assert_eq!(
        size_limit(),
        -1,
        "the log's file would be cut back during the load"
    );
    assert!(s.flusher.lock().unwrap().is_some(), "no flusher runs");
    assert!(size(&wal) > 8_000_000);
    assert!(!s.document("one").unwrap().unwrap().texts.is_empty());
    s.end_bulk().unwrap();
    assert!(
        size(&path) > 8_000_000,
        "the load is not in the database file"
    );
    assert_eq!(size(&wal), 0, "the log was not emptied");
    assert!(
        s.flusher.lock().unwrap().is_none(),
        "the flusher still runs"
    );
    assert_eq!(size_limit(), WAL_KEEP_BYTES);
    let again = SqliteStore::open(&path).unwrap();
    assert_eq!(
        again.document("two").unwrap().unwrap().texts,
        a.documents[1].texts
    );
}

#[test]
fn write_read_and_order_by_date() {
    let s = SqliteStore::in_memory().unwrap();
    assert!(s.is_empty().unwrap());
    let sum = s.write(&archive()).unwrap();
    assert_eq!(
        sum,
        WriteSummary {
            new: 4,
            changed: 0,
            unchanged: 0,
            logged: Some((1, 4)),
        }
    );
    let docs = s
        .documents(&DocumentQuery {
            dossier: Some("d".into()),
            ..Default::default()
        })
        .unwrap();
    let slugs: Vec<&str> = docs.iter().map(|d| d.slug.as_str()).collect();
    assert_eq!(slugs, ["two", "one", "three"]);
    assert_eq!(s.dossier("d").unwrap().unwrap(), dossier());
    let cites = s.citations(RecordType::Document, "one").unwrap();
    assert_eq!(cites[0].key, "a");
}

#[test]
fn rewriting_counts_unchanged_and_changed() {
    let s = SqliteStore::in_memory().unwrap();
    s.write(&archive()).unwrap();
    assert_eq!(
        s.write(&archive()).unwrap(),
        WriteSummary {
            new: 0,
            changed: 0,
            unchanged: 4,
            logged: None,
        }
    );
    let mut a = archive();
    a.documents[0].title = "Changed".into();
    assert_eq!(
        s.write(&a).unwrap(),
        WriteSummary {
            new: 0,
            changed: 1,
            unchanged: 3,
            logged: Some((5, 5)),
        }
    );
    assert_eq!(s.document("one").unwrap().unwrap().title, "Changed");
}

#[test]
fn a_failed_write_leaves_the_store_as_it_was() {
    let s = SqliteStore::in_memory().unwrap();
    s.write(&archive()).unwrap();
    let mut a = archive();
    a.documents[1].title = "Should not land".into();
    a.documents.push(doc("bad", None));
    a.documents[3].issued_by = vec!["nobody".into()];
    let e = s.write(&a).unwrap_err();
    assert!(e.to_string().contains("no body `nobody`"), "{e}");
    assert_eq!(s.document("two").unwrap().unwrap().title, "Title of two");
    assert!(s.document("bad").unwrap().is_none());
}

/// Held writes are seen by no reader until kept; a write that fails inside the hold
/// undoes only itself; letting go undoes every held write, and the store is as before.
#[test]
fn held_writes_are_seen_only_once_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dossier.db");
    let s = SqliteStore::open(&path).unwrap();
    let other = SqliteStore::open(&path).unwrap();

    assert!(s.hold().is_ok());
    assert!(s.hold().is_err(), "one hold at a time");
    s.write(&archive()).unwrap();
    let mut bad = Archive::default();
    bad.documents.push(doc("bad", None));
    bad.documents[0].issued_by = vec!["nobody".into()];
    assert!(s.write(&bad).is_err());
    let mut more = Archive::default();
    more.documents.push(doc("four", Some("2002")));
    s.write(&more).unwrap();
    assert!(
        other.document("one").unwrap().is_none(),
        "held, not yet kept"
    );
    assert_eq!(other.last_change().unwrap(), 0);
    s.release(false).unwrap();
    assert!(s.document("one").unwrap().is_none());
    assert!(s.is_empty().unwrap());
    assert_eq!(s.last_change().unwrap(), 0);

    assert!(s.hold().is_ok());
    s.write(&archive()).unwrap();
    assert!(s.write(&bad).is_err());
    s.write(&more).unwrap();
    s.release(true).unwrap();
    s.release(true).unwrap(); // nothing held: nothing to do
    for slug in ["one", "two", "three", "four"] {
        assert!(other.document(slug).unwrap().is_some(), "{slug}");
    }
    assert!(other.document("bad").unwrap().is_none());
    assert_eq!(other.last_change().unwrap(), 5);
    // Writes after the hold commit one by one again.
    s.write(&archive()).unwrap();
}

#[test]
fn changes_are_logged_and_deletes_guarded() {
    let s = SqliteStore::in_memory().unwrap();
    s.write(&archive()).unwrap();
    assert_eq!(s.last_change().unwrap(), 4);
    let e = s.delete(RecordType::Document, "one").unwrap_err();
    assert!(e.to_string().contains("section `d#a` still link"), "{e}");
    assert!(s.delete(RecordType::Document, "two").unwrap());
    assert!(!s.delete(RecordType::Document, "two").unwrap());
    assert!(s.document("two").unwrap().is_none());
    let log = s.changes_since(4, 10).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].record, log[0].slug.as_str(), log[0].op),
        (RecordType::Document, "two", ChangeOp::Delete)
    );
    // An unchanged rewrite logs nothing; a change logs one entry.
    s.write(&archive()).unwrap();
    assert_eq!(s.changes_since(5, 10).unwrap().len(), 1, "`two` came back");
}

#[test]
fn opens_a_file_with_wal_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dossier.db");
    {
        let s = SqliteStore::open(&path).unwrap();
        s.write(&archive()).unwrap();
    }
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.document("one").unwrap().unwrap().slug, "one");
    let conn = s.writer.lock().unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = conn
        .pragma_query_value(None, "foreign_keys", |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
}

/// The options `.cargo/config.toml` gives the bundled SQLite: no page-cache group
/// shared behind a global mutex, no memory statistics behind another.
#[test]
fn the_bundled_sqlite_is_built_without_its_global_mutexes() {
    let s = SqliteStore::in_memory().unwrap();
    let conn = s.writer.lock().unwrap();
    let mut stmt = conn.prepare("PRAGMA compile_options").unwrap();
    let options: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "{options:?}"
    );
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "{options:?}"
    );
}

/// Cards answer for many slugs at once, as the records themselves would, leave out what
/// the store lacks, and skip a row that cannot be read instead of failing the list.
#[test]
fn cards_are_read_in_one_batch_and_a_bad_row_fails_alone() {
    let s = SqliteStore::in_memory().unwrap();
    s.write(&archive()).unwrap();
    let mut cards = s
        .cards(RecordType::Document, &["two", "one", "nowhere"])
        .unwrap();
    cards.sort_by(|a, b| a.slug.cmp(&b.slug));
    let one = s.document("one").unwrap().unwrap();
    let two = s.document("two").unwrap().unwrap();
    assert_eq!(
        cards,
        [RecordCard::of_document(&one), RecordCard::of_document(&two)]
    );
    assert_eq!(
        s.cards(RecordType::Dossier, &["d", "other"]).unwrap(),
        [RecordCard::titled(RecordType::Dossier, "d", "D")]
    );
    assert!(s.cards(RecordType::Body, &[]).unwrap().is_empty());
    let in_d = s
        .document_cards(&DocumentQuery {
            dossier: Some("d".into()),
            ..Default::default()
        })
        .unwrap();
    let slugs: Vec<&str> = in_d.iter().map(|c| c.slug.as_str()).collect();
    assert_eq!(slugs, ["two", "one", "three"], "the store's date order");

    s.writer
        .lock()
        .unwrap()
        .execute(
            "UPDATE records SET data = '{not json' WHERE type = 'document' AND slug = 'two'",
            [],
        )
        .unwrap();
    let in_d = s.document_cards(&DocumentQuery::default()).unwrap();
    let slugs: Vec<&str> = in_d.iter().map(|c| c.slug.as_str()).collect();
    assert_eq!(slugs, ["one", "three"]);
    assert_eq!(
        s.cards(RecordType::Document, &["two", "one"])
            .unwrap()
            .len(),
        1
    );
    // The sections of a dossier, named without reading its outline.
    let sections = s.sections_of(&["d", "other"]).unwrap();
    assert_eq!(sections.len(), 1);
    assert_eq!(
        (sections[0].key.as_str(), sections[0].title.as_str()),
        ("a", "Part")
    );
}
