//! What is particular to SQLite (its files, pragmas, build options). The store's behaviour
//! is tested on every backend in `crates/store/tests/store.rs`.

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

/// Migrations 12 and 13 copy each link's source title and date (12) and card (13) into
/// `links` for a store written before them: the backlinks and backlink cards read
/// afterwards from `links_by_dst` alone are those the join with `records` gave, in the same
/// order; links to a dossier carry them too (13), links to a collection none. From schema
/// 11 (both run) and 12 (13 alone).
#[test]
fn migrations_12_and_13_fill_the_backlinks_of_an_older_store() {
    use RecordType as T;
    for from_version in [11, 12] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dossier.db");
        let nato: Body = serde_json::from_value(
            serde_json::json!({"slug": "nato", "name": "NATO", "kind": "organisation"}),
        )
        .unwrap();
        let mut a = archive();
        a.bodies.push(nato);
        a.collections.push(Collection {
            slug: "c".into(),
            title: "C".into(),
            description: String::new(),
            source: None,
            url: None,
        });
        for (i, d) in a.documents.iter_mut().enumerate() {
            d.issued_by = vec!["nato".into()];
            d.collections = vec!["c".into()];
            d.title = format!("Document {}", 3 - i);
            d.legal_status = [
                LegalStatus::LegallyBinding,
                LegalStatus::PoliticalCommitment,
                LegalStatus::Unknown,
            ][i];
        }
        for (slug, statement) in [("e1", Some(true)), ("e2", Some(false)), ("e3", None)] {
            a.events.push(
                serde_json::from_value(serde_json::json!({
                    "slug": slug, "title": format!("Event {slug}"), "kind": "meeting",
                    "bodies": ["nato"], "public_statement": statement,
                }))
                .unwrap(),
            );
        }
        let cards = |s: &SqliteStore| {
            let events = s
                .backlink_cards_head(T::Body, "nato", T::Event, &["held-by"], 10)
                .unwrap();
            let documents = s
                .backlink_cards_head(T::Body, "nato", T::Document, &["issued-by"], 10)
                .unwrap();
            (events, documents)
        };
        let (expected, expected_cards) = {
            let s = SqliteStore::open(&path).unwrap();
            s.write(&a).unwrap();
            let cards = cards(&s);
            let by_records = (
                backlink_cards_from_backlinks(&s, T::Body, "nato", T::Event, &["held-by"], 10)
                    .unwrap(),
                backlink_cards_from_backlinks(&s, T::Body, "nato", T::Document, &["issued-by"], 10)
                    .unwrap(),
            );
            assert_eq!(
                cards, by_records,
                "the written links' cards are the records'"
            );
            (s.backlinks(RecordType::Body, "nato").unwrap(), cards)
        };
        let got: Vec<&str> = expected
            .iter()
            .filter(|b| b.record == T::Document)
            .map(|b| b.slug.as_str())
            .collect();
        assert_eq!(got, ["two", "one", "three"], "by date, undated last");
        assert_eq!(expected_cards.0 .1, 3);
        // Back to the schema of migration 11 or 12, as an older version left it.
        let older = if from_version == 11 {
            "CREATE INDEX links_by_dst ON links(dst_type, dst_slug, rel);
             ALTER TABLE links DROP COLUMN src_title;
             ALTER TABLE links DROP COLUMN src_date;
             ALTER TABLE links DROP COLUMN src_date_lo;
             ALTER TABLE links DROP COLUMN src_date_hi;"
        } else {
            "CREATE INDEX links_by_dst ON links(dst_type, dst_slug, rel, src_type, src_slug,
                 src_date_lo, src_date_hi, src_title, src_date);"
        };
        Connection::open(&path)
            .unwrap()
            .execute_batch(&format!(
                "DROP TABLE login_limits;
                 DROP INDEX links_by_dst;
                 ALTER TABLE links DROP COLUMN src_kind;
                 ALTER TABLE links DROP COLUMN src_legal_status;
                 ALTER TABLE links DROP COLUMN src_availability;
                 ALTER TABLE links DROP COLUMN src_public_statement;
                 {older}
                 PRAGMA user_version = {from_version};"
            ))
            .unwrap();
        let s = SqliteStore::open(&path).unwrap();
        let after = s.backlinks(RecordType::Body, "nato").unwrap();
        assert_eq!(after, expected, "from schema {from_version}");
        assert_eq!(cards(&s), expected_cards, "from schema {from_version}");
        let carried = |to: &str| -> (i64, i64, i64) {
            s.read(|c| {
                Ok(c.query_row(
                    "SELECT count(*), count(src_title), count(src_kind) FROM links
                     WHERE dst_type = ?1",
                    [to],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?)
            })
            .unwrap()
        };
        assert_eq!(
            carried("collection"),
            (3, 0, 0),
            "from schema {from_version}"
        );
        assert_eq!(carried("dossier"), (3, 3, 3), "from schema {from_version}");
        // A dossier's backlinks (its records) and chronology, from its links.
        assert_eq!(s.backlinks(RecordType::Dossier, "d").unwrap().len(), 3);
        let heads: Vec<(String, String, Option<String>)> = s
            .chronology_heads("d")
            .unwrap()
            .into_iter()
            .map(|c| (c.slug, c.kind, c.date))
            .collect();
        assert_eq!(
            heads,
            [
                ("two".into(), "declaration".into(), Some("1997".into())),
                (
                    "one".into(),
                    "declaration".into(),
                    Some("1997-05-27".into())
                ),
                ("three".into(), "declaration".into(), None),
            ]
        );
    }
}
