//! Revisions on every backend ([`common::each_store`]): versions, conflicts, the draft
//! lifecycle, deletions and restores, imports that keep editors' changes, that drafts
//! never reach a reader, and that two handles on one database (two servers) get the same
//! conflict handling as one.

mod common;

use common::*;
use dossier_model::*;
use dossier_store::{
    Author, EditConflict, Origin, RevisionError, RevisionQuery, Revisions, Status, Store,
    StoreError, WriteOptions,
};

fn doc(slug: &str, title: &str) -> Document {
    Document {
        collections: Vec::new(),
        coverage: None,
        texts: Vec::new(),
        slug: slug.into(),
        title: title.into(),
        aliases: vec![],
        kind: DocumentKind::Declaration,
        date: Some(Edtf::parse("1997-05-27").unwrap()),
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
        sections: vec![],
    }
}

fn seed() -> Archive {
    Archive {
        dossiers: vec![dossier()],
        documents: vec![doc("one", "One"), doc("two", "Two")],
        ..Default::default()
    }
}

fn json(d: &Document) -> String {
    serde_json::to_string(d).unwrap()
}

fn editor() -> Author {
    Author {
        user: Some(7),
        name: "Jane Roe".into(),
        origin: Origin::Web,
    }
}

fn reviewer() -> Author {
    Author {
        user: Some(8),
        name: "Rita Reviewer".into(),
        origin: Origin::Web,
    }
}

fn revs(s: &dyn Store) -> &dyn Revisions {
    s.revisions().expect("every backend keeps revisions")
}

fn all(slug: &str) -> RevisionQuery {
    RevisionQuery {
        record: Some(RecordType::Document),
        slug: Some(slug.into()),
        with_data: true,
        ..Default::default()
    }
}

#[test]
fn versions_count_per_record_over_published_revisions_deletions_included() {
    each_store(|s| {
        let s: &dyn Store = &**s;
        let r = revs(s);
        assert_eq!(r.version(RecordType::Document, "one").unwrap(), 0);
        s.write(&seed()).unwrap();
        assert_eq!(r.version(RecordType::Document, "one").unwrap(), 1);
        assert_eq!(r.version(RecordType::Dossier, "d").unwrap(), 1);
        // An unchanged write makes no revision.
        s.write(&seed()).unwrap();
        assert_eq!(r.count_revisions(RecordType::Document, "one").unwrap(), 1);
        // A changed record gets the next version; the other keeps its own.
        s.write(&Archive {
            documents: vec![doc("one", "One, again")],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(r.version(RecordType::Document, "one").unwrap(), 2);
        assert_eq!(r.version(RecordType::Document, "two").unwrap(), 1);
        // Store::delete leaves a deletion revision, unattributed; the count goes on.
        assert!(s.delete(RecordType::Document, "one").unwrap());
        assert_eq!(r.version(RecordType::Document, "one").unwrap(), 3);
        let history = r.revisions(&all("one")).unwrap();
        assert_eq!(
            history.iter().map(|h| h.version).collect::<Vec<_>>(),
            vec![Some(3), Some(2), Some(1)]
        );
        assert!(history[0].deleted && history[0].data.is_none());
        assert_eq!(history[0].author, Author::unattributed());
        assert_eq!(history[1].base, 1);
        assert_eq!(
            history[1].data.as_deref(),
            Some(json(&doc("one", "One, again")).as_str())
        );
        // Restoring is publishing data again: the next version.
        let restored = r
            .publish(
                RecordType::Document,
                "one",
                Some(&json(&doc("one", "One"))),
                3,
                &editor(),
                "restored",
            )
            .unwrap();
        assert_eq!((restored.version, restored.base), (Some(4), 3));
        assert_eq!(s.document("one").unwrap().unwrap().title, "One");
        // Revisions list without data unless asked.
        let listed = r
            .revisions(&RevisionQuery {
                limit: 2,
                ..all("one")
            })
            .unwrap();
        assert_eq!(listed.len(), 2);
        let bare = r
            .revisions(&RevisionQuery {
                with_data: false,
                ..all("one")
            })
            .unwrap();
        assert!(bare.iter().all(|b| b.data.is_none()));
        // Paging by id.
        let older = r
            .revisions(&RevisionQuery {
                before: Some(listed[1].id),
                ..all("one")
            })
            .unwrap();
        assert_eq!(
            older.iter().map(|h| h.version).collect::<Vec<_>>(),
            vec![Some(2), Some(1)]
        );
    });
}

#[test]
fn write_as_names_its_author_and_comment() {
    each_store(|s| {
        let s: &dyn Store = &**s;
        let r = revs(s);
        let options = WriteOptions {
            author: Author::import("data/nato.toml"),
            comment: "first import".into(),
            protect_edits: true,
        };
        let (summary, conflicts) = r.write_as(&seed(), &options).unwrap();
        assert_eq!(summary.new, 3);
        assert!(conflicts.is_empty());
        let one = r.revisions(&all("one")).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].author.name, "import: data/nato.toml");
        assert_eq!(one[0].author.origin, Origin::Import);
        assert_eq!(one[0].comment, "first import");
        assert_eq!(one[0].status, Status::Published);
        let again = r.revision(one[0].id).unwrap().unwrap();
        assert_eq!(again, one[0]);
        assert!(r.revision(one[0].id + 1000).unwrap().is_none());
    });
}

#[test]
fn a_stale_publish_is_a_conflict_and_changes_nothing() {
    each_store(|s| {
        let s: &dyn Store = &**s;
        let r = revs(s);
        s.write(&seed()).unwrap();
        let first = r
            .publish(
                RecordType::Document,
                "one",
                Some(&json(&doc("one", "Edited"))),
                1,
                &editor(),
                "fix",
            )
            .unwrap();
        assert_eq!(first.version, Some(2));
        assert_eq!(first.author, editor());
        assert_eq!(first.comment, "fix");
        let log = s.last_change().unwrap();
        match r.publish(
            RecordType::Document,
            "one",
            Some(&json(&doc("one", "Other"))),
            1,
            &reviewer(),
            "late",
        ) {
            Err(RevisionError::Conflict { current, base }) => assert_eq!((current, base), (2, 1)),
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(s.document("one").unwrap().unwrap().title, "Edited");
        assert_eq!(s.last_change().unwrap(), log);
        assert_eq!(r.count_revisions(RecordType::Document, "one").unwrap(), 2);
        // A new record is published from version 0, once.
        let three = json(&doc("three", "Three"));
        let made = r
            .publish(
                RecordType::Document,
                "three",
                Some(&three),
                0,
                &editor(),
                "",
            )
            .unwrap();
        assert_eq!(made.version, Some(1));
        assert!(matches!(
            r.publish(
                RecordType::Document,
                "three",
                Some(&three),
                0,
                &editor(),
                ""
            ),
            Err(RevisionError::Conflict {
                current: 1,
                base: 0
            })
        ));
        // The same data again makes no new version.
        let same = r
            .publish(
                RecordType::Document,
                "three",
                Some(&three),
                1,
                &editor(),
                "",
            )
            .unwrap();
        assert_eq!(same.id, made.id);
        assert_eq!(r.version(RecordType::Document, "three").unwrap(), 1);
    });
}

/// Everything a reader or a follower of the log could see, to compare before and after.
fn snapshot(s: &dyn Store) -> (Vec<Document>, i64, u64, i64) {
    (
        s.documents(&Default::default()).unwrap(),
        s.last_change().unwrap(),
        revs(s)
            .count_revisions(RecordType::Document, "one")
            .unwrap(),
        revs(s).version(RecordType::Document, "one").unwrap(),
    )
}

#[test]
fn a_failed_publish_leaves_everything_as_it_was() {
    each_store(|s| {
        let s: &dyn Store = &**s;
        let r = revs(s);
        s.write(&seed()).unwrap();
        let before = snapshot(s);
        let mut unknown = doc("one", "One");
        unknown.issued_by = vec!["no-such-body".into()];
        let refused = |data: &str| {
            r.publish(RecordType::Document, "one", Some(data), 1, &editor(), "")
                .unwrap_err()
        };
        let e = refused(&json(&unknown));
        assert!(
            matches!(&e, RevisionError::Store(StoreError::Invalid(m)) if m.contains("no-such-body")),
            "{e}"
        );
        assert!(matches!(
            refused("{not json"),
            RevisionError::Store(StoreError::Invalid(_))
        ));
        assert!(matches!(
            refused(r#"{"slug": "one"}"#),
            RevisionError::Store(StoreError::Invalid(_))
        ));
        // Another record's data under this slug.
        let e = refused(&json(&doc("two", "Two")));
        assert!(e.to_string().contains("`two`"), "{e}");
        // A record others link to cannot be deleted.
        s.write(&Archive {
            documents: vec![Document {
                relations: vec![Relation {
                    kind: DocumentRelation::Implements,
                    document: "one".into(),
                }],
                ..doc("two", "Two")
            }],
            ..Default::default()
        })
        .unwrap();
        let before = (before.0.len(), before.2, before.3);
        let e = r
            .publish(RecordType::Document, "one", None, 1, &editor(), "")
            .unwrap_err();
        assert!(e.to_string().contains("link"), "{e}");
        let after = snapshot(s);
        assert_eq!((after.0.len(), after.2, after.3), before);
        assert!(s.document("one").unwrap().is_some());
        // Deleting what is not there.
        assert!(matches!(
            r.publish(RecordType::Document, "nothing", None, 0, &editor(), ""),
            Err(RevisionError::NotFound)
        ));
    });
}

#[test]
fn a_draft_goes_to_review_is_returned_and_published_never_seen_before() {
    each_store(|s| {
        let s: &dyn Store = &**s;
        let r = revs(s);
        s.write(&seed()).unwrap();
        let before = snapshot(s);
        let changes = s.changes_since(0, 1000).unwrap();
        let contributor = Author {
            user: Some(5),
            name: "Carl Contributor".into(),
            origin: Origin::Web,
        };
        let data = json(&doc("one", "Drafted"));
        let draft = r
            .save_draft(
                RecordType::Document,
                "one",
                Some(&data),
                1,
                &contributor,
                "a better title",
                Status::Draft,
            )
            .unwrap();
        assert_eq!(
            (draft.status, draft.version, draft.base),
            (Status::Draft, None, 1)
        );
        assert_eq!(draft.data.as_deref(), Some(data.as_str()));
        // Readers and the change log see nothing of it.
        assert_eq!(snapshot(s).0, before.0);
        assert_eq!(snapshot(s).1, before.1);
        assert_eq!(s.document("one").unwrap().unwrap().title, "One");
        assert_eq!(s.changes_since(0, 1000).unwrap(), changes);
        assert_eq!(r.version(RecordType::Document, "one").unwrap(), 1);

        let sent = r
            .review(draft.id, Status::Review, &editor(), "please look")
            .unwrap();
        assert_eq!(sent.status, Status::Review);
        let returned = r
            .review(draft.id, Status::Returned, &reviewer(), "cite a source")
            .unwrap();
        assert_eq!(returned.status, Status::Returned);
        assert_eq!(returned.reviewer, Some(reviewer()));
        assert_eq!(returned.review_comment.as_deref(), Some("cite a source"));
        assert!(returned.reviewed_at.is_some());
        let data = json(&doc("one", "Drafted, with a source"));
        let updated = r
            .update_draft(
                draft.id,
                Some(&data),
                1,
                &contributor,
                "source added",
                Status::Review,
            )
            .unwrap();
        assert_eq!((updated.id, updated.status), (draft.id, Status::Review));
        assert_eq!(updated.comment, "source added");
        // Listing drafts by status and author.
        let waiting = r
            .revisions(&RevisionQuery {
                statuses: vec![Status::Review],
                ..Default::default()
            })
            .unwrap();
        assert_eq!(waiting.len(), 1);
        let mine = r
            .revisions(&RevisionQuery {
                author: Some(5),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(snapshot(s).0, before.0);
        assert_eq!(s.changes_since(0, 1000).unwrap(), changes);

        let published = r.publish_draft(draft.id, &reviewer(), "thanks").unwrap();
        assert_eq!(published.status, Status::Published);
        assert_eq!((published.version, published.base), (Some(2), 1));
        assert_eq!(published.author, contributor);
        assert_eq!(published.comment, "source added");
        assert_eq!(published.reviewer, Some(reviewer()));
        assert_eq!(published.review_comment.as_deref(), Some("thanks"));
        assert_eq!(published.data.as_deref(), Some(data.as_str()));
        assert_eq!(
            s.document("one").unwrap().unwrap().title,
            "Drafted, with a source"
        );
        assert_eq!(s.changes_since(0, 1000).unwrap().len(), changes.len() + 1);
        // The draft became the published revision: no draft is left, and it is the newest.
        assert!(r.revision(draft.id).unwrap().is_none());
        assert_eq!(r.count_revisions(RecordType::Document, "one").unwrap(), 2);
        assert_eq!(r.revisions(&all("one")).unwrap()[0].id, published.id);
        assert!(matches!(
            r.review(published.id, Status::Returned, &reviewer(), ""),
            Err(RevisionError::NotADraft)
        ));
        assert!(matches!(
            r.publish_draft(published.id, &reviewer(), ""),
            Err(RevisionError::NotADraft)
        ));
    });
}

#[test]
fn a_discarded_draft_cannot_be_published_or_changed() {
    each_store(|s| {
        let s: &dyn Store = &**s;
        let r = revs(s);
        s.write(&seed()).unwrap();
        let draft = r
            .save_draft(
                RecordType::Document,
                "two",
                Some(&json(&doc("two", "Nope"))),
                1,
                &editor(),
                "",
                Status::Draft,
            )
            .unwrap();
        let gone = r
            .review(draft.id, Status::Discarded, &reviewer(), "no")
            .unwrap();
        assert_eq!(gone.status, Status::Discarded);
        assert!(matches!(
            r.publish_draft(draft.id, &reviewer(), ""),
            Err(RevisionError::NotADraft)
        ));
        assert!(matches!(
            r.update_draft(draft.id, None, 1, &editor(), "", Status::Draft),
            Err(RevisionError::NotADraft)
        ));
        assert!(matches!(
            r.review(draft.id, Status::Review, &editor(), ""),
            Err(RevisionError::NotADraft)
        ));
        assert_eq!(s.document("two").unwrap().unwrap().title, "Two");
        assert!(matches!(
            r.publish_draft(draft.id + 1000, &reviewer(), ""),
            Err(RevisionError::NotFound)
        ));
        assert!(matches!(
            r.review(draft.id + 1000, Status::Review, &reviewer(), ""),
            Err(RevisionError::NotFound)
        ));
        // A review moves a draft to review, returned or discarded only; a draft is saved
        // in an open status only, as JSON.
        let open = r
            .save_draft(
                RecordType::Document,
                "two",
                None,
                1,
                &editor(),
                "",
                Status::Draft,
            )
            .unwrap();
        assert!(open.deleted && open.data.is_none());
        assert!(r
            .review(open.id, Status::Published, &reviewer(), "")
            .is_err());
        assert!(r.review(open.id, Status::Draft, &reviewer(), "").is_err());
        assert!(r
            .save_draft(
                RecordType::Document,
                "two",
                None,
                1,
                &editor(),
                "",
                Status::Published
            )
            .is_err());
        assert!(r
            .save_draft(
                RecordType::Document,
                "two",
                Some("{oops"),
                1,
                &editor(),
                "",
                Status::Draft
            )
            .is_err());
        assert!(r
            .update_draft(open.id, Some("[1"), 1, &editor(), "", Status::Draft)
            .is_err());
    });
}

#[test]
fn a_draft_made_from_an_old_version_is_refused_until_rebased() {
    each_store(|s| {
        let s: &dyn Store = &**s;
        let r = revs(s);
        s.write(&seed()).unwrap();
        let draft = r
            .save_draft(
                RecordType::Document,
                "one",
                Some(&json(&doc("one", "From version 1"))),
                1,
                &editor(),
                "",
                Status::Review,
            )
            .unwrap();
        r.publish(
            RecordType::Document,
            "one",
            Some(&json(&doc("one", "Meanwhile"))),
            1,
            &reviewer(),
            "",
        )
        .unwrap();
        match r.publish_draft(draft.id, &reviewer(), "") {
            Err(RevisionError::Conflict { current, base }) => assert_eq!((current, base), (2, 1)),
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(s.document("one").unwrap().unwrap().title, "Meanwhile");
        assert_eq!(
            r.revision(draft.id).unwrap().unwrap().status,
            Status::Review
        );
        r.update_draft(
            draft.id,
            Some(&json(&doc("one", "Rebased"))),
            2,
            &editor(),
            "",
            Status::Review,
        )
        .unwrap();
        let published = r.publish_draft(draft.id, &reviewer(), "").unwrap();
        assert_eq!(published.version, Some(3));
        assert_eq!(s.document("one").unwrap().unwrap().title, "Rebased");
        // A draft that creates a record, and one that deletes it.
        let new = r
            .save_draft(
                RecordType::Document,
                "four",
                Some(&json(&doc("four", "Four"))),
                0,
                &editor(),
                "",
                Status::Review,
            )
            .unwrap();
        assert_eq!(
            r.publish_draft(new.id, &reviewer(), "").unwrap().version,
            Some(1)
        );
        let del = r
            .save_draft(
                RecordType::Document,
                "four",
                None,
                1,
                &editor(),
                "",
                Status::Review,
            )
            .unwrap();
        let gone = r.publish_draft(del.id, &reviewer(), "").unwrap();
        assert!(gone.deleted);
        assert_eq!(gone.version, Some(2));
        assert!(s.document("four").unwrap().is_none());
        // A draft whose data breaks a rule is refused at publication and stays a draft.
        let mut bad = doc("one", "Bad");
        bad.topics = vec!["no-such-topic".into()];
        let bad = r
            .save_draft(
                RecordType::Document,
                "one",
                Some(&json(&bad)),
                3,
                &editor(),
                "",
                Status::Review,
            )
            .unwrap();
        assert!(matches!(
            r.publish_draft(bad.id, &reviewer(), ""),
            Err(RevisionError::Store(StoreError::Invalid(_)))
        ));
        assert_eq!(r.revision(bad.id).unwrap().unwrap().status, Status::Review);
        assert_eq!(r.version(RecordType::Document, "one").unwrap(), 3);
    });
}

#[test]
fn a_dossier_is_published_as_its_json() {
    each_store(|s| {
        let s: &dyn Store = &**s;
        let r = revs(s);
        s.write(&seed()).unwrap();
        let d = Dossier {
            description: "Formal relations".into(),
            ..dossier()
        };
        let rev = r
            .publish(
                RecordType::Dossier,
                "d",
                Some(&serde_json::to_string(&d).unwrap()),
                1,
                &editor(),
                "describe",
            )
            .unwrap();
        assert_eq!(rev.version, Some(2));
        assert_eq!(
            s.dossier("d").unwrap().unwrap().description,
            "Formal relations"
        );
        // A dossier's draft stays out of the dossier's reads.
        let listed = s.dossiers().unwrap();
        let draft = Dossier {
            title: "Drafted title".into(),
            ..d.clone()
        };
        r.save_draft(
            RecordType::Dossier,
            "d",
            Some(&serde_json::to_string(&draft).unwrap()),
            2,
            &editor(),
            "",
            Status::Review,
        )
        .unwrap();
        assert_eq!(s.dossiers().unwrap(), listed);
        assert_eq!(s.dossier("d").unwrap().unwrap(), d);
        let in_dossier = r
            .revisions(&RevisionQuery {
                dossier: Some("d".into()),
                ..Default::default()
            })
            .unwrap();
        // The dossier's two revisions and its draft, and its documents' one each.
        assert_eq!(in_dossier.len(), 5);
        assert!(r
            .revisions(&RevisionQuery {
                dossier: Some("other".into()),
                ..Default::default()
            })
            .unwrap()
            .is_empty());
    });
}

fn import(s: &dyn Store, archive: &Archive, protect: bool) -> Vec<EditConflict> {
    revs(s)
        .write_as(
            archive,
            &WriteOptions {
                author: Author::import("data/nato.toml"),
                comment: String::new(),
                protect_edits: protect,
            },
        )
        .unwrap()
        .1
}

fn with(title: &str, summary: &str) -> Archive {
    Archive {
        dossiers: vec![dossier()],
        documents: vec![Document {
            summary: Some(summary.into()),
            ..doc("one", title)
        }],
        ..Default::default()
    }
}

#[test]
fn an_import_keeps_what_an_editor_changed_and_reports_it() {
    each_store(|s| {
        let s: &dyn Store = &**s;
        let r = revs(s);
        assert!(import(s, &with("Founding Act", "First"), true).is_empty());
        // An editor corrects the title.
        let edited = Document {
            summary: Some("First".into()),
            ..doc("one", "Founding Act on Mutual Relations")
        };
        r.publish(
            RecordType::Document,
            "one",
            Some(&json(&edited)),
            1,
            &editor(),
            "",
        )
        .unwrap();
        // The import brings another title and another summary: the title the editor
        // changed is kept and reported; the summary, not edited, is updated.
        let conflicts = import(s, &with("Founding Act (1997)", "Second"), true);
        assert_eq!(
            conflicts,
            vec![EditConflict {
                record: RecordType::Document,
                slug: "one".into(),
                field: "title".into(),
            }]
        );
        let now = s.document("one").unwrap().unwrap();
        assert_eq!(now.title, "Founding Act on Mutual Relations");
        assert_eq!(now.summary.as_deref(), Some("Second"));
        // The next import still knows the title as the editor's.
        let conflicts = import(s, &with("Founding Act (1997)", "Third"), true);
        assert_eq!(conflicts.len(), 1);
        let now = s.document("one").unwrap().unwrap();
        assert_eq!(now.title, "Founding Act on Mutual Relations");
        assert_eq!(now.summary.as_deref(), Some("Third"));
        // Once the import agrees with the editor, nothing is reported, then or later.
        let agreed = with("Founding Act on Mutual Relations", "Third");
        assert!(import(s, &agreed, true).is_empty());
        assert!(import(s, &with("Founding Act on Mutual Relations", "Fourth"), true).is_empty());
        // Without protection the import overwrites.
        r.publish(
            RecordType::Document,
            "one",
            Some(&json(&Document {
                summary: Some("Fourth".into()),
                ..doc("one", "Edited again")
            })),
            r.version(RecordType::Document, "one").unwrap(),
            &editor(),
            "",
        )
        .unwrap();
        assert!(import(s, &with("Founding Act (1997)", "Fifth"), false).is_empty());
        let now = s.document("one").unwrap().unwrap();
        assert_eq!(now.title, "Founding Act (1997)");
        // … and what it wrote is the import's again: nothing is kept after.
        assert!(import(s, &with("Founding Act, 1997", "Sixth"), true).is_empty());
        assert_eq!(
            s.document("one").unwrap().unwrap().title,
            "Founding Act, 1997"
        );
    });
}

#[test]
fn an_import_keeps_a_record_no_import_wrote() {
    each_store(|s| {
        let s: &dyn Store = &**s;
        let r = revs(s);
        s.write(&Archive {
            dossiers: vec![dossier()],
            ..Default::default()
        })
        .unwrap();
        r.publish(
            RecordType::Document,
            "one",
            Some(&json(&doc("one", "Made on the web"))),
            0,
            &editor(),
            "",
        )
        .unwrap();
        let conflicts = import(s, &with("Imported", "Summary"), true);
        let fields: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["summary", "title"]);
        let now = s.document("one").unwrap().unwrap();
        assert_eq!(now.title, "Made on the web");
        assert_eq!(now.summary, None);
    });
}

#[test]
fn revisions_survive_reopening_the_store() {
    each_store(|s| {
        s.write(&seed()).unwrap();
        let id = revs(&**s)
            .save_draft(
                RecordType::Document,
                "one",
                None,
                1,
                &editor(),
                "",
                Status::Draft,
            )
            .unwrap()
            .id;
        let again = s.open_again();
        assert_eq!(
            revs(&*again).version(RecordType::Document, "one").unwrap(),
            1
        );
        assert_eq!(
            revs(&*again).revision(id).unwrap().unwrap().status,
            Status::Draft
        );
    });
}

/// Two servers on one database: a publish made on one moves the version the other
/// checks, so the second editor's stale publish is a conflict there too, and a draft
/// saved on one is published from the other.
#[test]
fn two_handles_on_one_store_see_each_others_versions() {
    each_store(|s| {
        let a: &dyn Store = &**s;
        let other = s.open_again();
        let b: &dyn Store = &*other;
        a.write(&seed()).unwrap();
        assert_eq!(revs(b).version(RecordType::Document, "one").unwrap(), 1);
        revs(a)
            .publish(
                RecordType::Document,
                "one",
                Some(&json(&doc("one", "On server A"))),
                1,
                &editor(),
                "",
            )
            .unwrap();
        match revs(b).publish(
            RecordType::Document,
            "one",
            Some(&json(&doc("one", "On server B"))),
            1,
            &reviewer(),
            "",
        ) {
            Err(RevisionError::Conflict { current, base }) => assert_eq!((current, base), (2, 1)),
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert_eq!(b.document("one").unwrap().unwrap().title, "On server A");
        let draft = revs(b)
            .save_draft(
                RecordType::Document,
                "one",
                Some(&json(&doc("one", "Drafted on B"))),
                2,
                &editor(),
                "",
                Status::Review,
            )
            .unwrap();
        let published = revs(a).publish_draft(draft.id, &reviewer(), "").unwrap();
        assert_eq!(published.version, Some(3));
        assert_eq!(b.document("one").unwrap().unwrap().title, "Drafted on B");
        assert!(revs(b).revision(draft.id).unwrap().is_none());
    });
}

/// Editors on several servers publishing from the same version at the same moment: the
/// database serialises the writes, so exactly one publish makes version 2 and every other
/// is told of the conflict; nothing is lost silently and no version is made twice.
#[test]
fn simultaneous_publishes_from_one_version_make_one_version() {
    each_store(|s| {
        s.write(&seed()).unwrap();
        let log = s.last_change().unwrap();
        let other = s.open_again();
        let handles: [&dyn Store; 2] = [&**s, &*other];
        let results: Vec<Result<_, RevisionError>> = std::thread::scope(|scope| {
            let running: Vec<_> = (0..8)
                .map(|i| {
                    let store = handles[i % 2];
                    scope.spawn(move || {
                        revs(store).publish(
                            RecordType::Document,
                            "one",
                            Some(&json(&doc("one", &format!("Editor {i}")))),
                            1,
                            &editor(),
                            "",
                        )
                    })
                })
                .collect();
            running.into_iter().map(|t| t.join().unwrap()).collect()
        });
        let published: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(published.len(), 1, "{results:?}");
        assert_eq!(published[0].version, Some(2));
        for r in &results {
            match r {
                Ok(_) => {}
                Err(RevisionError::Conflict { current, base }) => {
                    assert_eq!((*current, *base), (2, 1))
                }
                Err(e) => panic!("expected a conflict, got {e}"),
            }
        }
        let r = revs(&**s);
        assert_eq!(r.version(RecordType::Document, "one").unwrap(), 2);
        assert_eq!(r.count_revisions(RecordType::Document, "one").unwrap(), 2);
        assert_eq!(
            s.document("one").unwrap().unwrap().title,
            published[0].data.as_deref().map_or(String::new(), |d| {
                serde_json::from_str::<Document>(d).unwrap().title
            })
        );
        assert_eq!(s.last_change().unwrap(), log + 1);
    });
}

/// What a reader gets back for `text` written by the store: a NUL, which PostgreSQL's
/// text cannot hold, is kept there as U+FFFD; nothing else changes.
fn as_kept(s: &TestStore, text: &str) -> String {
    match s.backend {
        Backend::Sqlite => text.to_string(),
        Backend::Postgres => text.replace('\0', "\u{FFFD}"),
    }
}

/// A form's comment or an author's name holding a NUL (hostile, or pasted) is kept, never
/// a database error: every backend publishes, drafts and reviews with it.
#[test]
fn a_nul_in_a_comment_or_a_name_is_kept_not_an_error() {
    each_store(|s| {
        let r = revs(&**s);
        s.write(&seed()).unwrap();
        let hostile = Author {
            name: "Jane\0Roe".into(),
            ..editor()
        };
        let published = r
            .publish(
                RecordType::Document,
                "one",
                Some(&json(&doc("one", "Edited"))),
                1,
                &hostile,
                "fix\0<script>",
            )
            .unwrap();
        assert_eq!(published.comment, as_kept(s, "fix\0<script>"));
        assert_eq!(published.author.name, as_kept(s, "Jane\0Roe"));
        let draft = r
            .save_draft(
                RecordType::Document,
                "two",
                None,
                1,
                &hostile,
                "\0",
                Status::Draft,
            )
            .unwrap();
        assert_eq!(draft.comment, as_kept(s, "\0"));
        let draft = r
            .update_draft(draft.id, None, 1, &hostile, "a\0b", Status::Review)
            .unwrap();
        assert_eq!(draft.comment, as_kept(s, "a\0b"));
        let reviewed = r
            .review(draft.id, Status::Returned, &hostile, "no\0")
            .unwrap();
        assert_eq!(
            reviewed.review_comment.as_deref(),
            Some(&*as_kept(s, "no\0"))
        );
        assert_eq!(
            reviewed.reviewer.map(|a| a.name),
            Some(as_kept(s, "Jane\0Roe"))
        );
        let gone = r.publish_draft(draft.id, &hostile, "bye\0").unwrap();
        assert!(gone.deleted);
        r.write_as(
            &Archive {
                documents: vec![doc("three", "Three")],
                ..Default::default()
            },
            &WriteOptions {
                author: Author::import("odd\0name.toml"),
                comment: "\0".into(),
                protect_edits: true,
            },
        )
        .unwrap();
        let imported = &r.revisions(&all("three")).unwrap()[0];
        assert_eq!(imported.author.name, as_kept(s, "import: odd\0name.toml"));
        assert_eq!(imported.comment, as_kept(s, "\0"));
    });
}

/// A slug holding a NUL (a hostile `%00` in a history page's path) names nothing: every
/// backend answers as for any unknown record, never with a database error.
#[test]
fn a_slug_holding_a_nul_names_nothing() {
    each_store(|s| {
        let r = revs(&**s);
        s.write(&seed()).unwrap();
        let slug = "one\0";
        assert_eq!(r.version(RecordType::Document, slug).unwrap(), 0);
        assert_eq!(r.count_revisions(RecordType::Document, slug).unwrap(), 0);
        for q in [
            RevisionQuery {
                slug: Some(slug.into()),
                ..Default::default()
            },
            RevisionQuery {
                dossier: Some("d\0".into()),
                ..Default::default()
            },
        ] {
            assert!(r.revisions(&q).unwrap().is_empty());
        }
        assert!(matches!(
            r.publish(RecordType::Document, slug, None, 0, &editor(), ""),
            Err(RevisionError::NotFound)
        ));
        assert!(matches!(
            r.publish(RecordType::Document, slug, None, 3, &editor(), ""),
            Err(RevisionError::Conflict {
                current: 0,
                base: 3
            })
        ));
        assert!(r
            .publish(
                RecordType::Document,
                slug,
                Some(&json(&doc(slug, "One"))),
                0,
                &editor(),
                ""
            )
            .is_err());
        assert_eq!(r.version(RecordType::Document, "one").unwrap(), 1);
    });
}
