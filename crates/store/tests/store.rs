//! The store's behaviour, on every backend ([`common::each_store`]): writing, reading in
//! the store's order, the change log, holds, deletes and cards.

mod common;

use common::*;
use dossier_model::*;
use dossier_store::*;

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

#[test]
fn write_read_and_order_by_date() {
    each_store(|s| {
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
    });
}

#[test]
fn rewriting_counts_unchanged_and_changed() {
    each_store(|s| {
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
    });
}

#[test]
fn a_failed_write_leaves_the_store_as_it_was() {
    each_store(|s| {
        s.write(&archive()).unwrap();
        let mut a = archive();
        a.documents[1].title = "Should not land".into();
        a.documents.push(doc("bad", None));
        a.documents[3].issued_by = vec!["nobody".into()];
        let e = s.write(&a).unwrap_err();
        assert!(e.to_string().contains("no body `nobody`"), "{e}");
        assert_eq!(s.document("two").unwrap().unwrap().title, "Title of two");
        assert!(s.document("bad").unwrap().is_none());
    });
}

/// Held writes are seen by no reader until kept; a write that fails inside the hold
/// undoes only itself; letting go undoes every held write, and the store is as before.
#[test]
fn held_writes_are_seen_only_once_kept() {
    each_store(|s| {
        let other = s.open_again();
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
        // Five changes, the last of which is the log's end. (PostgreSQL's sequence does
        // not give back the numbers of the writes undone: seq may have gaps.)
        let log = other.changes_since(0, 100).unwrap();
        assert_eq!(log.len(), 5);
        assert_eq!(other.last_change().unwrap(), log[4].seq);
        // Writes after the hold commit one by one again.
        s.write(&archive()).unwrap();
    });
}

#[test]
fn changes_are_logged_and_deletes_guarded() {
    each_store(|s| {
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
    });
}

/// Cards answer for many slugs at once, as the records themselves would, leave out what
/// the store lacks, and skip a row that cannot be read instead of failing the list.
#[test]
fn cards_are_read_in_one_batch_and_a_bad_row_fails_alone() {
    each_store(|s| {
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

        s.execute("UPDATE records SET data = '{not json' WHERE type = 'document' AND slug = 'two'");
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
    });
}

fn speech(slug: &str, date: &str) -> Document {
    Document {
        kind: DocumentKind::Speech,
        legal_status: LegalStatus::PoliticalCommitment,
        texts: vec![Text::plain("en", &"words ".repeat(200), None)],
        dossiers: vec![],
        ..doc(slug, Some(date))
    }
}

/// A list's head is its beginning, cards as the whole list has them, with the whole
/// list's length; a malformed record is left out of the cards and counted.
#[test]
fn a_head_is_the_list_s_beginning_and_its_length() {
    each_store(|s| {
        let mut a = Archive::default();
        for (i, date) in ["1990", "1991", "1992", "1993", "1994"].iter().enumerate() {
            a.documents.push(speech(&format!("d{i}"), date));
        }
        s.write(&a).unwrap();
        let q = DocumentQuery {
            kinds: vec!["speech".into()],
            ..Default::default()
        };
        let whole = s.document_cards(&q).unwrap();
        assert_eq!(whole.len(), 5);
        assert_eq!(
            whole[0].legal_status,
            Some(LegalStatus::PoliticalCommitment)
        );
        for limit in [0, 2, 5, 9] {
            let (head, total) = s.document_cards_head(&q, limit).unwrap();
            assert_eq!((&head[..], total), (&whole[..limit.min(5)], 5));
        }
        s.execute("UPDATE records SET data = '{not json' WHERE slug = 'd1'");
        let (head, total) = s.document_cards_head(&q, 3).unwrap();
        let slugs: Vec<&str> = head.iter().map(|c| c.slug.as_str()).collect();
        assert_eq!((slugs, total), (vec!["d0", "d2"], 5));
    });
}

/// A dossier's chronology heads are its documents' and events' cards, in the cards'
/// order, without what cards read of the JSON; read from the columns, so a record whose
/// JSON is malformed keeps its place (the chronology's order does not move with it).
#[test]
fn chronology_heads_are_the_dossier_s_cards_from_their_columns() {
    each_store(|s| {
        let mut a = archive();
        a.documents.push(Document {
            dossiers: vec![],
            ..speech("elsewhere", "1996")
        });
        a.documents.push(Document {
            dossiers: vec!["d".into()],
            ..speech("spoken", "1990")
        });
        let event: Event = serde_json::from_value(serde_json::json!({
            "slug": "summit", "title": "A summit", "kind": "meeting", "date": "1997-05-27",
            "public_statement": true, "dossiers": ["d"],
        }))
        .unwrap();
        a.events.push(event);
        s.write(&a).unwrap();
        let in_d = |slug: &str| Some(slug.to_string());
        let mut cards = s
            .document_cards(&DocumentQuery {
                dossier: in_d("d"),
                ..Default::default()
            })
            .unwrap();
        cards.extend(
            s.event_cards(&EventQuery {
                dossier: in_d("d"),
                ..Default::default()
            })
            .unwrap(),
        );
        assert!(cards.iter().any(|c| c.public_statement == Some(true)));
        let bare: Vec<RecordCard> = cards
            .into_iter()
            .map(|c| RecordCard {
                legal_status: None,
                availability: None,
                public_statement: None,
                ..c
            })
            .collect();
        let heads = s.chronology_heads("d").unwrap();
        assert_eq!(heads, bare);
        let slugs: Vec<&str> = heads.iter().map(|c| c.slug.as_str()).collect();
        assert_eq!(slugs, ["spoken", "two", "one", "three", "summit"]);
        assert!(s.chronology_heads("no-such-dossier").unwrap().is_empty());
        s.execute("UPDATE records SET data = '{not json' WHERE slug = 'two'");
        assert_eq!(s.chronology_heads("d").unwrap(), heads);
    });
}

/// A body's backlink cards: each record once (a document issued by and party to it, with
/// its first relation), in the backlinks' order, the first `limit` with the cards the
/// records' own cards are, and the whole count; a change to a record's kind or badges
/// shows in them at once.
#[test]
fn backlink_cards_are_the_records_cards_in_the_backlinks_order() {
    use RecordType as T;
    each_store(|s| {
        let body: Body = serde_json::from_value(
            serde_json::json!({"slug": "nato", "name": "NATO", "kind": "organisation"}),
        )
        .unwrap();
        let mut a = Archive {
            bodies: vec![body],
            ..Default::default()
        };
        for (i, status) in [
            LegalStatus::LegallyBinding,
            LegalStatus::PoliticalCommitment,
            LegalStatus::Unknown,
        ]
        .into_iter()
        .enumerate()
        {
            let mut d = doc(&format!("d{i}"), Some(&format!("199{i}")));
            d.dossiers.clear();
            d.issued_by = vec!["nato".into()];
            d.parties = if i == 0 { vec!["nato".into()] } else { vec![] };
            d.legal_status = status;
            a.documents.push(d);
        }
        for (i, statement) in [Some(true), Some(false), None].into_iter().enumerate() {
            a.events.push(
                serde_json::from_value(serde_json::json!({
                    "slug": format!("e{i}"), "title": format!("Event {i}"), "kind": "meeting",
                    "date": format!("198{i}"), "bodies": ["nato"], "public_statement": statement,
                }))
                .unwrap(),
            );
        }
        s.write(&a).unwrap();
        let heads = |from: T, rels: &[&str], limit: usize| {
            let got = s
                .backlink_cards_head(T::Body, "nato", from, rels, limit)
                .unwrap();
            let by_records =
                backlink_cards_from_backlinks(s.as_store(), T::Body, "nato", from, rels, limit)
                    .unwrap();
            assert_eq!(got, by_records, "on {}", s.name());
            got
        };
        let (docs, total) = heads(T::Document, &["issued-by", "party"], 10);
        assert_eq!(total, 3, "d0 is issued by and party to it: once");
        let shown: Vec<(&str, &str, Option<LegalStatus>)> = docs
            .iter()
            .map(|l| (l.card.slug.as_str(), l.rel.as_str(), l.card.legal_status))
            .collect();
        assert_eq!(
            shown,
            [
                ("d0", "issued-by", Some(LegalStatus::LegallyBinding)),
                ("d1", "issued-by", Some(LegalStatus::PoliticalCommitment)),
                ("d2", "issued-by", Some(LegalStatus::Unknown)),
            ],
            "on {}",
            s.name()
        );
        assert_eq!(docs[0].card.kind, "declaration");
        assert_eq!(docs[0].card.availability, Some(Availability::Public));
        let (events, total) = heads(T::Event, &["held-by"], 2);
        assert_eq!(total, 3);
        let shown: Vec<(&str, Option<bool>)> = events
            .iter()
            .map(|l| (l.card.slug.as_str(), l.card.public_statement))
            .collect();
        assert_eq!(shown, [("e0", Some(true)), ("e1", Some(false))]);
        assert_eq!(heads(T::Event, &["held-by"], 0), (vec![], 3));
        assert_eq!(heads(T::Person, &["office"], 10), (vec![], 0));
        // A change to a record's kind and badges is in its backlinks' cards.
        let mut d1 = a.documents[1].clone();
        d1.kind = DocumentKind::Speech;
        d1.legal_status = LegalStatus::LegallyBinding;
        d1.availability = Availability::NotPublic;
        s.write(&Archive {
            documents: vec![d1],
            ..Default::default()
        })
        .unwrap();
        let (docs, _) = heads(T::Document, &["issued-by", "party"], 10);
        let d1 = &docs[1].card;
        assert_eq!(
            (d1.kind.as_str(), d1.legal_status, d1.availability),
            (
                "speech",
                Some(LegalStatus::LegallyBinding),
                Some(Availability::NotPublic)
            ),
            "on {}",
            s.name()
        );
    });
}

/// When PostgreSQL closes the store's pooled connections (a restart of the database does),
/// the next reads and writes take new ones instead of failing.
#[test]
fn connections_closed_under_the_pool_cost_no_request() {
    let Some(s) = postgres() else {
        eprintln!("skipped: {DATABASE_URL} is not set");
        return;
    };
    s.write(&archive()).unwrap();
    // Several connections in the pool: reads from threads at once.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| s.document("one").unwrap().unwrap());
        }
    });
    let ended = s.drop_connections().unwrap();
    assert!(ended >= 1, "{ended}");
    // Give the backends time to exit (pg_terminate_backend only signals them).
    std::thread::sleep(std::time::Duration::from_millis(200));
    // Each of the closed connections would fail one read.
    for _ in 0..8 {
        assert_eq!(s.document("one").unwrap().unwrap().slug, "one");
    }
    s.drop_connections().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut a = archive();
    a.documents[0].title = "After".into();
    assert_eq!(s.write(&a).unwrap().changed, 1);
    assert_eq!(s.document("one").unwrap().unwrap().title, "After");
}

/// A commit that logged a change wakes the followers of its store (LISTEN/NOTIFY), on any
/// connection; a commit that logged none, and one in another store of the database, do not.
#[test]
fn a_commit_wakes_the_followers_of_its_store_alone() {
    use std::time::Duration;
    let (Some(s), Some(other)) = (postgres(), postgres()) else {
        eprintln!("skipped: {DATABASE_URL} is not set");
        return;
    };
    let mut follower = PgStore::open(s.postgres_url().unwrap())
        .unwrap()
        .listen()
        .unwrap();
    assert!(!follower.wait(Duration::from_millis(100)), "nothing yet");
    other.write(&archive()).unwrap();
    assert!(
        !follower.wait(Duration::from_millis(300)),
        "another store's commit"
    );
    s.write(&archive()).unwrap();
    assert!(follower.wait(Duration::from_secs(10)), "the store's commit");
    s.write(&archive()).unwrap(); // unchanged: nothing logged
    assert!(
        !follower.wait(Duration::from_millis(300)),
        "a commit that logged nothing"
    );
    // After its connection was closed, the follower reconnects and says to look again
    // (a notification may have been lost meanwhile).
    s.drop_connections().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(follower.wait(Duration::from_secs(10)));
    assert!(s.delete(RecordType::Document, "two").unwrap());
    assert!(
        follower.wait(Duration::from_secs(10)),
        "woken after reconnecting"
    );
}

/// Backlinks come in the store's order, and a record that links to this one in two ways
/// (issued by and party to a body) comes twice, `issued-by` first, on every backend: a
/// page that names one relation per record shows the same one.
#[test]
fn backlinks_are_in_the_store_s_order_and_ties_by_relation() {
    each_store(|s| {
        let body: Body = serde_json::from_value(
            serde_json::json!({"slug": "nato", "name": "NATO", "kind": "organisation"}),
        )
        .unwrap();
        let mut both = doc("both", Some("2000-02-16"));
        both.dossiers.clear();
        both.parties = vec!["nato".into()];
        both.issued_by = vec!["nato".into()];
        let mut earlier = doc("earlier", Some("1999"));
        earlier.dossiers.clear();
        earlier.issued_by = vec!["nato".into()];
        s.write(&Archive {
            bodies: vec![body],
            documents: vec![both, earlier],
            ..Default::default()
        })
        .unwrap();
        let links = s.backlinks(RecordType::Body, "nato").unwrap();
        let got: Vec<(&str, &str)> = links
            .iter()
            .map(|b| (b.slug.as_str(), b.rel.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("earlier", "issued-by"),
                ("both", "issued-by"),
                ("both", "party")
            ],
            "on {}",
            s.name()
        );
    });
}

/// A backlink shows its source as it is now: a record retitled and redated moves in the
/// other's backlinks and shows its new title (SQLite keeps a copy of both with each link,
/// written with the record), and one that no longer links leaves them.
#[test]
fn a_backlink_follows_its_source_s_title_and_date() {
    each_store(|s| {
        let body: Body = serde_json::from_value(
            serde_json::json!({"slug": "nato", "name": "NATO", "kind": "organisation"}),
        )
        .unwrap();
        let mut first = doc("first", Some("1990"));
        first.dossiers.clear();
        first.issued_by = vec!["nato".into()];
        let mut second = doc("second", Some("2000"));
        second.dossiers.clear();
        second.issued_by = vec!["nato".into()];
        s.write(&Archive {
            bodies: vec![body],
            documents: vec![first.clone(), second.clone()],
            ..Default::default()
        })
        .unwrap();
        let seen = |s: &TestStore| -> Vec<(String, String, Option<String>)> {
            s.backlinks(RecordType::Body, "nato")
                .unwrap()
                .into_iter()
                .map(|b| (b.slug, b.title, b.date))
                .collect()
        };
        assert_eq!(
            seen(s),
            [
                ("first".into(), "Title of first".into(), Some("1990".into())),
                (
                    "second".into(),
                    "Title of second".into(),
                    Some("2000".into())
                ),
            ],
            "on {}",
            s.name()
        );
        first.title = "Renamed".into();
        first.date = Some(Edtf::parse("2010").unwrap());
        s.write(&Archive {
            documents: vec![first.clone()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            seen(s),
            [
                (
                    "second".into(),
                    "Title of second".into(),
                    Some("2000".into())
                ),
                ("first".into(), "Renamed".into(), Some("2010".into())),
            ],
            "on {}",
            s.name()
        );
        second.issued_by.clear();
        s.write(&Archive {
            documents: vec![second],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            seen(s),
            [("first".into(), "Renamed".into(), Some("2010".into()))],
            "on {}",
            s.name()
        );
    });
}

/// The sync PostgreSQL client panics when called on a thread inside a tokio runtime; the
/// store moves such calls off it, so async code (the server's middleware, a scheduled
/// task) may call the store on either kind of runtime.
#[test]
fn the_store_answers_on_a_tokio_runtime_thread() {
    let Some(s) = postgres() else {
        eprintln!("skipped: {DATABASE_URL} is not set");
        return;
    };
    let on = |runtime: tokio::runtime::Runtime| {
        runtime.block_on(async {
            s.write(&archive()).unwrap();
            assert!(s.hold().is_ok());
            let mut a = archive();
            a.documents[0].title = "Held".into();
            s.write(&a).unwrap();
            s.release(true).unwrap();
            assert_eq!(s.document("one").unwrap().unwrap().title, "Held");
            assert!(s.last_change().unwrap() > 0);
            // Exact, as the trait asks: another handle's commit is counted at once.
            let other = s.open_again();
            for title in ["Other", "Again", "Third"] {
                a.documents[1].title = title.into();
                let (_, last) = other.write(&a).unwrap().logged.unwrap();
                assert_eq!(s.last_change().unwrap(), last);
            }
            drop(other);
            let spawned = tokio::spawn({
                let url = s.postgres_url().unwrap().to_string();
                async move { PgStore::open(&url).unwrap().is_empty().unwrap() }
            });
            assert!(!spawned.await.unwrap());
        })
    };
    on(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap());
    on(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap());
}

/// A key with a NUL (a hostile `%00` in a path gives one) names nothing on every backend:
/// reads answer as for any unknown slug, not with the database's error. A record whose
/// text holds a NUL is refused whole on PostgreSQL, whose text cannot hold one, naming it.
#[test]
fn a_nul_in_a_key_names_nothing() {
    each_store(|s| {
        s.write(&archive()).unwrap();
        let bad = "o\0ne";
        assert!(s.document(bad).unwrap().is_none());
        assert!(s.dossier("d\0").unwrap().is_none());
        assert!(s.title_of(RecordType::Document, bad).unwrap().is_none());
        assert!(s.stamps(RecordType::Document, bad).unwrap().is_none());
        assert!(!s.exists(RecordType::Dossier, "d\0").unwrap());
        assert!(s.citations(RecordType::Document, bad).unwrap().is_empty());
        assert!(s.backlinks(RecordType::Document, bad).unwrap().is_empty());
        assert_eq!(
            s.cards(RecordType::Document, &["one", bad]).unwrap().len(),
            1
        );
        assert!(s.sections_of(&["d\0"]).unwrap().is_empty());
        assert!(s.collection("c\0").unwrap().is_none());
        assert!(s
            .collection_cards("c\0", RecordType::Document)
            .unwrap()
            .is_empty());
        assert!(s.collection_documents("c\0").unwrap().is_empty());
        assert!(!s.delete(RecordType::Document, bad).unwrap());
        for q in [
            DocumentQuery {
                dossier: Some("d\0".into()),
                ..Default::default()
            },
            DocumentQuery {
                kinds: vec!["declaration\0".into()],
                ..Default::default()
            },
            DocumentQuery {
                bodies: vec!["\0".into()],
                ..Default::default()
            },
        ] {
            assert!(s.document_cards(&q).unwrap().is_empty(), "{q:?}");
            assert_eq!(s.document_cards_head(&q, 5).unwrap().1, 0, "{q:?}");
            assert!(s.documents(&q).unwrap().is_empty(), "{q:?}");
        }
        assert!(s
            .cards_in_dossier(RecordType::Document, "d\0")
            .unwrap()
            .is_empty());
        assert!(s.chronology_heads("d\0").unwrap().is_empty());
        for (slug, rel) in [("d\0", "in-dossier"), ("d", "in-dossier\0")] {
            assert_eq!(
                s.backlink_cards_head(RecordType::Dossier, slug, RecordType::Document, &[rel], 5)
                    .unwrap(),
                (vec![], 0),
                "{slug:?} {rel:?}"
            );
        }
        assert_eq!(
            s.backlink_cards_head(
                RecordType::Dossier,
                "d",
                RecordType::Document,
                &["in-dossier"],
                5
            )
            .unwrap()
            .1,
            3
        );
        let mut a = archive();
        a.documents[1].title = "Two\0".into();
        if s.backend == Backend::Postgres {
            let e = s.write(&a).unwrap_err();
            assert!(
                matches!(&e, StoreError::Invalid(m) if m.contains("document `two`") && m.contains("NUL")),
                "{e}"
            );
            assert_eq!(s.document("two").unwrap().unwrap().title, "Title of two");
        }
    });
}

/// A document of a bulk load's batch: named by no dossier, naming nothing.
fn loaded(slug: &str) -> Document {
    let mut d = doc(slug, Some("2001"));
    d.dossiers.clear();
    d
}

fn import_options() -> WriteOptions {
    WriteOptions {
        author: Author::import("a test"),
        comment: String::new(),
        protect_edits: true,
    }
}

/// A bulk load's batches written side by side (PostgreSQL's two at once; SQLite's one at
/// a time) while an editor writes and a follower reads the change log on from the last
/// change it saw, as a server's index does: every record lands as its first version, and
/// the follower misses no change (no number commits after a later one).
#[test]
fn batches_written_side_by_side_keep_the_log_in_commit_order() {
    use std::sync::atomic::{AtomicBool, Ordering};
    each_store(|s| {
        s.begin_bulk().unwrap();
        let writers = s.batches_side_by_side();
        let expected = match s.backend {
            Backend::Sqlite => 1,
            Backend::Postgres => 2,
        };
        assert_eq!(writers, expected);
        let store: &dyn BulkLoad = &**s;
        let (batches, per_batch, edits) = (30, 100, 10);
        let done = AtomicBool::new(false);
        /// Ends the follower however the writers end (a failed one panics its join).
        struct Ends<'a>(&'a AtomicBool);
        impl Drop for Ends<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let seen = std::thread::scope(|scope| {
            let follower = scope.spawn(|| {
                let (mut seen, mut last) = (Vec::new(), 0);
                loop {
                    let finished = done.load(Ordering::SeqCst);
                    let changes = store.changes_since(last, 10_000).unwrap();
                    if let Some(c) = changes.last() {
                        last = c.seq;
                    }
                    seen.extend(changes.iter().map(|c| c.seq));
                    if finished && changes.is_empty() {
                        return seen;
                    }
                }
            });
            let writing: Vec<_> = (0..writers)
                .map(|w| {
                    scope.spawn(move || {
                        for b in 0..batches {
                            let batch = Archive {
                                documents: (0..per_batch)
                                    .map(|i| loaded(&format!("w{w}-b{b}-{i}")))
                                    .collect(),
                                ..Default::default()
                            };
                            let (summary, _) =
                                store.write_batch(&batch, &import_options()).unwrap();
                            assert_eq!(summary.new, per_batch);
                        }
                    })
                })
                .collect();
            let editor = scope.spawn(|| {
                let revisions = store.revisions().unwrap();
                for i in 0..edits {
                    let one = Archive {
                        documents: vec![loaded(&format!("edited-{i}"))],
                        ..Default::default()
                    };
                    let options = WriteOptions {
                        protect_edits: false,
                        ..import_options()
                    };
                    revisions.write_as(&one, &options).unwrap();
                }
            });
            let ends = Ends(&done);
            for w in writing {
                w.join().unwrap();
            }
            editor.join().unwrap();
            drop(ends);
            follower.join().unwrap()
        });
        s.end_bulk().unwrap();
        let all: Vec<i64> = s
            .changes_since(0, 100_000)
            .unwrap()
            .iter()
            .map(|c| c.seq)
            .collect();
        assert_eq!(all.len(), writers * batches * per_batch + edits);
        assert_eq!(seen, all, "the follower missed changes or saw them twice");
        let revisions = s.revisions().unwrap();
        for slug in ["w0-b0-0", &format!("w{}-b29-99", writers - 1), "edited-9"] {
            assert_eq!(
                revisions.version(RecordType::Document, slug).unwrap(),
                1,
                "{slug}"
            );
        }
    });
}

/// One process's bulk load at a time writes side by side (PostgreSQL's bulk lock): a
/// second's writes take turns with every other write, and the lock is given back at the
/// load's end; inside a held transaction, batches are written one at a time.
#[test]
fn one_bulk_load_at_a_time_writes_side_by_side() {
    each_store(|s| {
        let other = s.open_again();
        assert_eq!(s.batches_side_by_side(), 1, "not before the bulk load");
        s.begin_bulk().unwrap();
        if s.backend == Backend::Sqlite {
            assert_eq!(s.batches_side_by_side(), 1, "SQLite has one writer");
            s.end_bulk().unwrap();
            return;
        }
        assert_eq!(s.batches_side_by_side(), 2);
        other.begin_bulk().unwrap();
        assert_eq!(
            other.batches_side_by_side(),
            1,
            "the lock is the first load's"
        );
        let batch = |slug: &str| Archive {
            documents: vec![loaded(slug)],
            ..Default::default()
        };
        other
            .write_batch(&batch("second"), &import_options())
            .unwrap();
        s.write_batch(&batch("first"), &import_options()).unwrap();
        s.hold().unwrap();
        assert_eq!(
            s.batches_side_by_side(),
            1,
            "a held transaction writes alone"
        );
        s.write_batch(&batch("held"), &import_options()).unwrap();
        s.release(true).unwrap();
        s.end_bulk().unwrap();
        other.end_bulk().unwrap();
        other.begin_bulk().unwrap();
        assert_eq!(
            other.batches_side_by_side(),
            2,
            "given back at the first load's end"
        );
        other.end_bulk().unwrap();
        for slug in ["first", "second", "held"] {
            assert!(s.document(slug).unwrap().is_some(), "{slug}");
        }
    });
}
