//! The service against a real SQLite store holding the built-in dossier.

use crate::diff::{diff, Detail};
use crate::patch::merge_patch;
use crate::{EditError, Editing, FieldError, Intent, Who};
use dossier_auth::Role;
use dossier_model::{Edtf, RecordType};
use dossier_store::accounts::NewUser;
use dossier_store::{Origin, RevisionQuery, SqliteStore, Status, Store};
use serde_json::{json, Value};
use std::sync::Arc;

const DOC: RecordType = RecordType::Document;
const FA: &str = "founding-act-1997";

struct World {
    editing: Editing,
    store: Arc<dyn Store>,
}

fn world() -> World {
    let store = SqliteStore::in_memory().unwrap();
    let archive = dossier_ingest::builtin::archive().unwrap();
    store.write(&archive).unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    World {
        editing: Editing::new(store.clone()).expect("the SQLite store keeps revisions"),
        store,
    }
}

impl World {
    /// A person with an account of `role`, on the web.
    fn person(&self, role: Role, name: &str) -> Who {
        let user = self
            .store
            .accounts()
            .unwrap()
            .add_user(&NewUser {
                email: &format!("{name}@example.org"),
                name,
                role: role.name(),
                password_hash: "$argon2id$unused",
                created: 0,
            })
            .unwrap();
        Who {
            user: user.id,
            name: name.to_string(),
            role,
            origin: Origin::Web,
            write: true,
        }
    }

    fn current(&self, ty: RecordType, slug: &str) -> (Value, i64) {
        self.editing
            .current(ty, slug)
            .unwrap()
            .expect("the record exists")
    }

    /// The founding act with its date changed to `date`, and the version it was made from.
    fn redated(&self, date: &str) -> (Value, i64) {
        let (mut v, version) = self.current(DOC, FA);
        v["date"] = json!(date);
        (v, version)
    }

    fn published_date(&self) -> Option<String> {
        self.store
            .document(FA)
            .unwrap()
            .and_then(|d| d.date)
            .map(|d| d.to_string())
    }
}

fn forbidden(r: Result<impl std::fmt::Debug, EditError>) -> String {
    match r {
        Err(EditError::Forbidden(m)) => m,
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

fn invalid(r: Result<impl std::fmt::Debug, impl Into<EditError>>) -> Vec<FieldError> {
    match r.map_err(Into::into) {
        Err(EditError::Invalid(errors)) => errors,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

impl From<Vec<FieldError>> for EditError {
    fn from(e: Vec<FieldError>) -> EditError {
        EditError::Invalid(e)
    }
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn each_role_may_do_what_its_rights_say() {
    let w = world();
    let contributor = w.person(Role::Contributor, "carol");
    let editor = w.person(Role::Editor, "ed");
    let reviewer = w.person(Role::Reviewer, "rita");
    let (v, base) = w.redated("1997-05-28");

    // A contributor drafts, and cannot send to review or publish.
    assert_eq!(
        forbidden(w.editing.save(
            &contributor,
            DOC,
            FA,
            Some(v.clone()),
            base,
            Intent::Publish,
            ""
        )),
        "A contributor cannot publish; save a draft and an editor will send it to review."
    );
    assert!(forbidden(w.editing.save(
        &contributor,
        DOC,
        FA,
        Some(v.clone()),
        base,
        Intent::Review,
        ""
    ))
    .starts_with("A contributor cannot send a change to review"));
    let draft = w
        .editing
        .save(
            &contributor,
            DOC,
            FA,
            Some(v.clone()),
            base,
            Intent::Draft,
            "one day later",
        )
        .unwrap();
    assert_eq!(
        (draft.status, draft.version, draft.base),
        (Status::Draft, None, base)
    );
    assert_eq!(draft.author.user, Some(contributor.user));
    // Readers still see the published date; the version did not move.
    assert_eq!(w.published_date().as_deref(), Some("1997-05-27"));
    assert_eq!(w.current(DOC, FA).1, base);
    assert!(
        forbidden(w.editing.publish_draft(&contributor, draft.id, ""))
            .starts_with("A contributor cannot publish")
    );
    assert!(
        forbidden(w.editing.revert(&contributor, DOC, FA, draft.id, ""))
            .starts_with("A contributor cannot revert")
    );

    // An editor sends to review, and cannot publish.
    assert_eq!(
        forbidden(
            w.editing
                .save(&editor, DOC, FA, Some(v.clone()), base, Intent::Publish, "")
        ),
        "An editor cannot publish; send the change to review and a reviewer will publish it."
    );
    let sent = w
        .editing
        .send_to_review(&editor, draft.id, "looks right")
        .unwrap();
    assert_eq!(sent.status, Status::Review);
    assert!(forbidden(w.editing.return_draft(&editor, draft.id, "no"))
        .starts_with("An editor cannot publish"));

    // A reviewer publishes.
    let published = w
        .editing
        .publish_draft(&reviewer, draft.id, "checked against the text")
        .unwrap();
    assert_eq!(published.status, Status::Published);
    assert_eq!(published.version, Some(base + 1));
    assert_eq!(
        published.author.user,
        Some(contributor.user),
        "the author stays"
    );
    assert_eq!(
        published.reviewer.as_ref().and_then(|r| r.user),
        Some(reviewer.user)
    );
    assert_eq!(w.published_date().as_deref(), Some("1997-05-28"));

    // A reviewer's own change is published at once.
    let (v, base) = w.redated("1997-05-27");
    let r = w
        .editing
        .save(&reviewer, DOC, FA, Some(v), base, Intent::Publish, "back")
        .unwrap();
    assert_eq!(r.version, Some(base + 1));
    assert_eq!(w.published_date().as_deref(), Some("1997-05-27"));
}

#[test]
fn a_read_token_changes_nothing() {
    let w = world();
    let mut reviewer = w.person(Role::Reviewer, "rita");
    reviewer.origin = Origin::Api;
    reviewer.write = false;
    let (v, base) = w.redated("1997-05-28");
    for intent in [Intent::Draft, Intent::Review, Intent::Publish] {
        assert_eq!(
            forbidden(
                w.editing
                    .save(&reviewer, DOC, FA, Some(v.clone()), base, intent, "")
            ),
            "This API token can only read; changing records needs a token with write scope."
        );
    }
    forbidden(
        w.editing
            .save(&reviewer, DOC, FA, None, base, Intent::Publish, ""),
    );
    forbidden(w.editing.revert(&reviewer, DOC, FA, 1, ""));
    forbidden(w.editing.drafts(&reviewer, &RevisionQuery::default()));
    assert_eq!(w.current(DOC, FA).1, base);
    // With write scope the same account publishes, and the revision says it came by the API.
    reviewer.write = true;
    let r = w
        .editing
        .save(&reviewer, DOC, FA, Some(v), base, Intent::Publish, "")
        .unwrap();
    assert_eq!(r.author.origin, Origin::Api);
}

#[test]
fn a_contributor_sees_and_changes_only_their_own_drafts() {
    let w = world();
    let carol = w.person(Role::Contributor, "carol");
    let dan = w.person(Role::Contributor, "dan");
    let editor = w.person(Role::Editor, "ed");
    let reviewer = w.person(Role::Reviewer, "rita");
    let (v, base) = w.redated("1997-05-28");
    let draft = w
        .editing
        .save(&carol, DOC, FA, Some(v.clone()), base, Intent::Draft, "")
        .unwrap();

    // Dan cannot read, list, change or discard it: it is answered as missing.
    assert!(matches!(
        w.editing.revision(Some(&dan), draft.id),
        Err(EditError::NotFound(_))
    ));
    assert!(!w.editing.can_see(Some(&dan), &draft));
    assert!(!w.editing.can_see(None, &draft));
    assert!(w
        .editing
        .drafts(
            &dan,
            &RevisionQuery {
                limit: 50,
                ..Default::default()
            }
        )
        .unwrap()
        .is_empty());
    assert!(matches!(
        w.editing
            .update_draft(&dan, draft.id, Some(v.clone()), base, Intent::Draft, ""),
        Err(EditError::NotFound(_))
    ));
    assert!(matches!(
        w.editing.discard(&dan, draft.id, ""),
        Err(EditError::NotFound(_))
    ));
    // Asking for Carol's drafts by her id still lists only Dan's own.
    let q = RevisionQuery {
        author: Some(carol.user),
        limit: 50,
        ..Default::default()
    };
    assert!(w.editing.drafts(&dan, &q).unwrap().is_empty());

    // Carol and the editors see it.
    let mine = w
        .editing
        .drafts(
            &carol,
            &RevisionQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(mine.iter().map(|r| r.id).collect::<Vec<_>>(), [draft.id]);
    assert_eq!(
        w.editing.revision(Some(&carol), draft.id).unwrap().data,
        draft.data
    );
    let all = w
        .editing
        .drafts(
            &editor,
            &RevisionQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(all.len(), 1);
    // Nobody sees a draft in the history or the recent changes.
    assert!(w
        .editing
        .history(DOC, FA, None, 50)
        .unwrap()
        .iter()
        .all(|r| r.status == Status::Published));
    let changes = w
        .editing
        .changes(&RevisionQuery {
            statuses: vec![Status::Draft],
            limit: 1000,
            ..Default::default()
        })
        .unwrap();
    assert!(changes.iter().all(|r| r.status == Status::Published));

    // A reviewer may discard anyone's draft; a contributor only their own.
    let other = w
        .editing
        .save(&dan, DOC, FA, Some(v.clone()), base, Intent::Draft, "")
        .unwrap();
    let d = w
        .editing
        .discard(&dan, other.id, "changed my mind")
        .unwrap();
    assert_eq!(d.status, Status::Discarded);
    assert!(matches!(
        w.editing.send_to_review(&editor, other.id, ""),
        Err(EditError::NotADraft)
    ));
    let gone = w.editing.discard(&reviewer, draft.id, "duplicate").unwrap();
    assert_eq!(gone.status, Status::Discarded);
}

#[test]
fn a_draft_goes_to_review_back_and_is_published() {
    let w = world();
    let carol = w.person(Role::Contributor, "carol");
    let editor = w.person(Role::Editor, "ed");
    let reviewer = w.person(Role::Reviewer, "rita");
    let (v, base) = w.redated("1997-05");
    let draft = w
        .editing
        .save(&carol, DOC, FA, Some(v), base, Intent::Draft, "")
        .unwrap();
    w.editing.send_to_review(&editor, draft.id, "").unwrap();
    // Returning needs a reason.
    let e = invalid(w.editing.return_draft(&reviewer, draft.id, "  "));
    assert_eq!(fields(&e), ["comment"]);
    let back = w
        .editing
        .return_draft(&reviewer, draft.id, "The Act is dated 27 May.")
        .unwrap();
    assert_eq!(back.status, Status::Returned);
    assert_eq!(
        back.review_comment.as_deref(),
        Some("The Act is dated 27 May.")
    );
    // Carol corrects it (the draft is hers), an editor edits it too, then it is published.
    let (v, base) = w.redated("1997-05-27?");
    let again = w
        .editing
        .update_draft(
            &carol,
            draft.id,
            Some(v.clone()),
            base,
            Intent::Draft,
            "uncertain",
        )
        .unwrap();
    assert_eq!((again.id, again.status), (draft.id, Status::Draft));
    let mut v2 = v.clone();
    v2["place"] = json!("Élysée Palace, Paris");
    let edited = w
        .editing
        .update_draft(&editor, draft.id, Some(v2), base, Intent::Review, "place")
        .unwrap();
    assert_eq!(edited.status, Status::Review);
    let p = w.editing.publish_draft(&reviewer, draft.id, "").unwrap();
    assert_eq!(p.version, Some(base + 1));
    let doc = w.store.document(FA).unwrap().unwrap();
    assert_eq!(doc.date, Some(Edtf::parse("1997-05-27?").unwrap()));
    assert_eq!(doc.place.as_deref(), Some("Élysée Palace, Paris"));
    // Published: no longer a draft to change.
    assert!(matches!(
        w.editing.publish_draft(&reviewer, draft.id, ""),
        Err(EditError::NotFound(_) | EditError::NotADraft)
    ));
    let h = w.editing.history(DOC, FA, None, 50).unwrap();
    // The published revision takes a new id (ids keep the order of publication).
    assert_eq!(h[0].id, p.id);
    assert_eq!(h[0].version, Some(base + 1));
}

#[test]
fn field_errors_name_their_paths_and_nothing_is_saved() {
    let w = world();
    let reviewer = w.person(Role::Reviewer, "rita");
    let (v, base) = w.current(DOC, FA);
    let check = |patch: Value| {
        let mut x = v.clone();
        merge_patch(&mut x, &patch);
        w.editing.check(DOC, FA, &x).unwrap_err()
    };

    let e = check(json!({"date": "1997-13"}));
    assert_eq!(
        e,
        [FieldError::new(
            "date",
            crate::date_reading("1997-13").unwrap_err()
        )]
    );
    assert!(
        e[0].message
            .starts_with("“1997-13” is not a date this archive reads: "),
        "{e:?}"
    );
    // A date inside a list (an office's start) is explained the same way, at its path.
    let (person, _) = w.current(RecordType::Person, "vladimir-putin");
    let mut p = person.clone();
    p["offices"] = json!([{"title": "President", "start": "2000-05-07"}, {"title": "Prime Minister", "start": "1999-08-32"}]);
    let e = w
        .editing
        .check(RecordType::Person, "vladimir-putin", &p)
        .unwrap_err();
    assert_eq!(fields(&e), ["offices[1].start"], "{e:?}");
    assert!(e[0].message.contains("“1999-08-32”"), "{e:?}");

    let e = check(json!({"issued_by": ["nato", "no-such-body"]}));
    assert_eq!(
        e,
        [FieldError::new(
            "issued_by[1]",
            "No body `no-such-body` in the archive"
        )]
    );

    let e = check(json!({"title": 5}));
    assert_eq!(fields(&e), ["title"]);
    assert_eq!(e[0].message, "Expected text, not the number 5.");

    // Several type errors at once, each named.
    let e = check(json!({"title": 5, "date": "1997-13", "parties": "nato"}));
    let mut f = fields(&e);
    f.sort();
    assert_eq!(f, ["date", "parties", "title"], "{e:?}");

    let e = check(json!({"sources": [{"title": "A"}, {"title": "B", "url": 7}]}));
    assert_eq!(fields(&e), ["sources[1].url"], "{e:?}");
    let e = check(json!({"sources": [{"title": "A", "url": "javascript:alert(1)"}]}));
    assert_eq!(fields(&e), ["sources[0].url"], "{e:?}");
    let e = check(json!({"trace": [{"section": "a-i-1"}]}));
    assert_eq!(
        e,
        [FieldError::new("trace[0].quote", "This field is required.")]
    );
    let e = check(json!({"colour": "red"}));
    assert_eq!(
        e,
        [FieldError::new(
            "colour",
            "There is no field `colour` in a document."
        )]
    );
    let e = check(json!({"title": null}));
    assert_eq!(e, [FieldError::new("title", "This field is required.")]);
    let e = check(json!({"title": "  "}));
    assert_eq!(e, [FieldError::new("title", "This field is required.")]);
    let e = check(json!({"kind": "poem"}));
    assert_eq!(fields(&e), ["kind"]);
    assert!(
        e[0].message
            .starts_with("“poem” is not one of: treaty, founding-act, "),
        "{e:?}"
    );
    let e = check(json!({"aliases": [["nested"]], "parties": {"a": 1}}));
    let mut messages: Vec<String> = e.iter().map(|e| e.to_string()).collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "aliases[0]: Expected text, not a list.",
            "parties: Expected a list, not an object."
        ]
    );
    let e = check(json!({"slug": "another-act"}));
    assert_eq!(fields(&e), ["slug"]);
    let e = w
        .editing
        .check(DOC, FA, &json!(["not", "a", "record"]))
        .unwrap_err();
    assert_eq!(e[0].message, "A document is a JSON object of its fields.");

    // Saving the same is refused, whatever the intent, and nothing changes.
    let mut bad = v.clone();
    bad["date"] = json!("1997-13");
    let e = invalid(
        w.editing
            .save(&reviewer, DOC, FA, Some(bad), base, Intent::Publish, ""),
    );
    assert_eq!(fields(&e), ["date"]);
    assert_eq!(w.current(DOC, FA), (v, base));
}

#[test]
fn a_successor_dated_before_its_predecessor_is_refused_with_the_stored_records() {
    let w = world();
    let (mut nrc, _) = w.current(RecordType::Body, "nrc");
    // The NRC succeeded the PJC (established 27 May 1997), stored beside it.
    nrc["established"] = json!("1996");
    let e = w.editing.check(RecordType::Body, "nrc", &nrc).unwrap_err();
    assert_eq!(
        e,
        [FieldError::new(
            "predecessors[0].slug",
            "The predecessor `pjc` was established 27 May 1997, after this body (1996)"
        )]
    );
    nrc["established"] = json!("2002-05-28");
    nrc["predecessors"][0]["slug"] = json!("no-such-council");
    let e = w.editing.check(RecordType::Body, "nrc", &nrc).unwrap_err();
    assert_eq!(fields(&e), ["predecessors[0].slug"]);
}

#[test]
fn a_stale_version_is_a_conflict_and_nothing_is_lost() {
    let w = world();
    let rita = w.person(Role::Reviewer, "rita");
    let rob = w.person(Role::Reviewer, "rob");
    let ed = w.person(Role::Editor, "ed");
    let (a, base) = w.redated("1997-05-28");
    let (mut b, same) = w.current(DOC, FA);
    assert_eq!(base, same);
    b["place"] = json!("Paris, Élysée");
    w.editing
        .save(&rita, DOC, FA, Some(a), base, Intent::Publish, "")
        .unwrap();
    let e = w
        .editing
        .save(&rob, DOC, FA, Some(b.clone()), base, Intent::Publish, "");
    assert!(
        matches!(e, Err(EditError::Conflict { current, base: b0 }) if current == base + 1 && b0 == base),
        "{e:?}"
    );
    // A draft made from the stale version is a conflict too.
    let e = w
        .editing
        .save(&ed, DOC, FA, Some(b.clone()), base, Intent::Draft, "");
    assert!(matches!(e, Err(EditError::Conflict { .. })), "{e:?}");
    // Rita's change stands; Rob's, made again from the new version, keeps both.
    assert_eq!(w.published_date().as_deref(), Some("1997-05-28"));
    let (mut now, v) = w.current(DOC, FA);
    now["place"] = b["place"].clone();
    w.editing
        .save(&rob, DOC, FA, Some(now), v, Intent::Publish, "")
        .unwrap();
    let doc = w.store.document(FA).unwrap().unwrap();
    assert_eq!(
        (doc.date.unwrap().to_string(), doc.place.unwrap()),
        ("1997-05-28".into(), "Paris, Élysée".into())
    );
    // A draft whose record changed after it was made cannot be published.
    let (c, v) = w.redated("1997");
    let draft = w
        .editing
        .save(&ed, DOC, FA, Some(c), v, Intent::Review, "")
        .unwrap();
    let (d, v2) = w.redated("1997-05");
    w.editing
        .save(&rita, DOC, FA, Some(d), v2, Intent::Publish, "")
        .unwrap();
    assert!(matches!(
        w.editing.publish_draft(&rita, draft.id, ""),
        Err(EditError::Conflict { .. })
    ));
}

#[test]
fn an_update_and_a_deletion_are_reverted() {
    let w = world();
    let rita = w.person(Role::Reviewer, "rita");
    let ed = w.person(Role::Editor, "ed");
    let before = w.editing.history(DOC, FA, None, 50).unwrap();
    let original = before[0].id;
    let (v, base) = w.redated("1998");
    w.editing
        .save(&rita, DOC, FA, Some(v), base, Intent::Publish, "wrong year")
        .unwrap();
    assert_eq!(w.published_date().as_deref(), Some("1998"));

    assert!(forbidden(w.editing.revert(&ed, DOC, FA, original, ""))
        .starts_with("An editor cannot revert"));
    let r = w.editing.revert(&rita, DOC, FA, original, "").unwrap();
    assert_eq!(r.author.origin, Origin::Revert);
    assert_eq!(r.comment, format!("Reverted to revision {original}"));
    assert_eq!(r.version, Some(base + 2));
    assert_eq!(w.published_date().as_deref(), Some("1997-05-27"));
    // Reverting to what it is already changes nothing.
    let e = invalid(w.editing.revert(&rita, DOC, FA, original, ""));
    assert!(e[0].message.contains("already"), "{e:?}");
    // A revision of another record, or a draft, is no revision to revert to.
    assert!(matches!(
        w.editing
            .revert(&rita, RecordType::Body, "nrc", original, ""),
        Err(EditError::NotFound(_))
    ));

    // A deletion is a revision, and reverting to the revision before it restores the record.
    let slug = "founding-act-signed-1997";
    let (_, v) = w.current(RecordType::Event, slug);
    let kept = w.editing.history(RecordType::Event, slug, None, 1).unwrap()[0].id;
    let del = w
        .editing
        .save(
            &rita,
            RecordType::Event,
            slug,
            None,
            v,
            Intent::Publish,
            "duplicate",
        )
        .unwrap();
    assert!(del.deleted);
    assert!(w.store.event(slug).unwrap().is_none());
    assert!(w
        .editing
        .current(RecordType::Event, slug)
        .unwrap()
        .is_none());
    // Deleting it again: nothing to delete.
    assert!(matches!(
        w.editing.save(
            &rita,
            RecordType::Event,
            slug,
            None,
            v + 1,
            Intent::Publish,
            ""
        ),
        Err(EditError::NotFound(_))
    ));
    let back = w
        .editing
        .revert(&rita, RecordType::Event, slug, kept, "not a duplicate")
        .unwrap();
    assert_eq!(back.version, Some(v + 2));
    assert!(w.store.event(slug).unwrap().is_some());
    // And reverting to the deletion deletes it again.
    w.editing
        .revert(&rita, RecordType::Event, slug, del.id, "")
        .unwrap();
    assert!(w.store.event(slug).unwrap().is_none());
}

#[test]
fn records_are_created_once() {
    let w = world();
    let carol = w.person(Role::Contributor, "carol");
    let rita = w.person(Role::Reviewer, "rita");
    let new = json!({"slug": "nrc-statement-2025", "title": "Statement", "kind": "statement", "date": "2025-02?", "issued_by": ["nrc"]});
    let draft = w
        .editing
        .create(&carol, DOC, new.clone(), Intent::Draft, "new")
        .unwrap();
    assert_eq!((draft.base, draft.status), (0, Status::Draft));
    assert!(
        !w.store.exists(DOC, "nrc-statement-2025").unwrap(),
        "a draft is not published"
    );
    let r = w
        .editing
        .create(&rita, DOC, new.clone(), Intent::Publish, "new")
        .unwrap();
    assert_eq!(r.version, Some(1));
    assert!(w.store.exists(DOC, "nrc-statement-2025").unwrap());
    let e = invalid(w.editing.create(&rita, DOC, new, Intent::Publish, ""));
    assert_eq!(fields(&e), ["slug"]);
    assert!(e[0].message.contains("exists already"), "{e:?}");
    // The stored JSON is the model's: defaults written out.
    let (v, _) = w.current(DOC, "nrc-statement-2025");
    assert_eq!(v["legal_status"], json!("unknown"));
}

#[test]
fn a_merge_patch_removes_with_null_and_the_diff_shows_values_lists_and_text() {
    let w = world();
    let rita = w.person(Role::Reviewer, "rita");
    let (mut v, base) = w.current(DOC, FA);
    let before = v.clone();
    assert!(v.get("place").is_some());
    merge_patch(
        &mut v,
        &json!({"place": null, "date": "1997-05", "parties": ["nato"], "summary": "Signed in Paris by the heads of state."}),
    );
    let r = w
        .editing
        .save(&rita, DOC, FA, Some(v), base, Intent::Publish, "")
        .unwrap();
    let (after, _) = w.current(DOC, FA);
    assert!(after.get("place").is_none());
    let stored: Value = serde_json::from_str(r.data.as_deref().unwrap()).unwrap();
    assert_eq!(stored, after);

    let changes = diff(Some(&before), Some(&after));
    let by = |f: &str| {
        changes
            .iter()
            .find(|c| c.field == f)
            .unwrap_or_else(|| panic!("{f}: {changes:?}"))
    };
    assert_eq!(by("date").detail, Detail::Value);
    assert_eq!(by("date").before, Some(json!("1997-05-27")));
    assert_eq!(by("place").after, None);
    assert_eq!(
        by("parties").detail,
        Detail::List {
            added: vec![],
            removed: vec![json!("russian-federation")]
        }
    );
    assert!(matches!(by("summary").detail, Detail::Text(_)));
    // In the model's order: date before place before parties before summary.
    let order: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(order, ["date", "place", "parties", "summary"]);
}

/// Every record of the built-in dossier, read and checked unchanged, passes: a form
/// saved without a change is never refused.
#[test]
fn every_stored_record_passes_its_own_check() {
    let w = world();
    let archive = dossier_ingest::builtin::archive().unwrap();
    let mut all: Vec<(RecordType, &str)> = Vec::new();
    all.extend(
        archive
            .dossiers
            .iter()
            .map(|r| (RecordType::Dossier, r.slug.as_str())),
    );
    all.extend(archive.documents.iter().map(|r| (DOC, r.slug.as_str())));
    all.extend(
        archive
            .bodies
            .iter()
            .map(|r| (RecordType::Body, r.slug.as_str())),
    );
    all.extend(
        archive
            .people
            .iter()
            .map(|r| (RecordType::Person, r.slug.as_str())),
    );
    all.extend(
        archive
            .events
            .iter()
            .map(|r| (RecordType::Event, r.slug.as_str())),
    );
    all.extend(
        archive
            .topics
            .iter()
            .map(|r| (RecordType::Topic, r.slug.as_str())),
    );
    assert!(all.len() > 50, "{}", all.len());
    for (ty, slug) in all {
        let (v, _) = w.current(ty, slug);
        assert_eq!(w.editing.check(ty, slug, &v), Ok(()), "{ty:?} {slug}");
    }
}

#[test]
fn a_section_key_must_be_in_a_stored_dossier() {
    let w = world();
    let (mut v, _) = w.current(DOC, FA);
    v["trace"] = json!([{"section": "a-i-1", "quote": "The Founding Act"}, {"section": "z-9", "quote": "x"}]);
    let e = w.editing.check(DOC, FA, &v).unwrap_err();
    assert_eq!(
        e,
        [FieldError::new(
            "trace[1].section",
            "No section `z-9` in the dossier"
        )]
    );
}

#[test]
fn a_dossier_is_edited_like_a_record() {
    let w = world();
    let rita = w.person(Role::Reviewer, "rita");
    let slug = "nato-russia";
    let (mut v, base) = w.current(RecordType::Dossier, slug);
    v["title"] = json!("Formal NATO–Russia Relations, 1991–2022");
    let r = w
        .editing
        .save(
            &rita,
            RecordType::Dossier,
            slug,
            Some(v),
            base,
            Intent::Publish,
            "",
        )
        .unwrap();
    assert_eq!(r.version, Some(base + 1));
    let d = w.store.dossier(slug).unwrap().unwrap();
    assert_eq!(d.title, "Formal NATO–Russia Relations, 1991–2022");
    let h = w
        .editing
        .history(RecordType::Dossier, slug, None, 10)
        .unwrap();
    assert_eq!(h.len(), 2);
}

/// Hostile or broken JSON is answered with field errors, never a panic, and a bounded
/// number of them.
#[test]
fn hostile_records_are_refused_in_words() {
    let w = world();
    let deep = (0..100).fold(json!("x"), |v, _| json!([v]));
    let many: serde_json::Map<String, Value> =
        (0..1000).map(|i| (format!("f{i}"), json!(i))).collect();
    let cases = [
        json!(null),
        json!(5),
        json!("founding-act-1997"),
        json!([]),
        json!({}),
        json!({"slug": 5}),
        json!({"slug": FA, "title": "T", "kind": "treaty", "aliases": deep}),
        Value::Object(many),
        json!({"slug": FA, "title": "T", "kind": "treaty", "date": "99999999999999999999"}),
        json!({"slug": FA, "title": "T", "kind": "treaty", "date": "1997-02-30"}),
        json!({"slug": FA, "title": "T", "kind": "treaty", "relations": [{"type": "cites", "document": "../../etc/passwd"}]}),
        json!({"slug": FA, "title": "T", "kind": "treaty", "sources": [{"title": "x", "url": "javascript:alert(1)"}]}),
        json!({"slug": FA, "title": "T", "kind": "treaty", "trace": "a-i-1", "gaps": [1, 2]}),
    ];
    for v in cases {
        let e = w.editing.check(DOC, FA, &v).unwrap_err();
        assert!(!e.is_empty() && e.len() <= 20, "{v}: {e:?}");
        assert!(e.iter().all(|e| !e.message.is_empty()), "{e:?}");
    }
    // A slug that is no slug, in the address and the record alike.
    let bad = json!({"slug": "Bad Slug/..", "title": "T", "kind": "treaty"});
    let e = w.editing.check(DOC, "Bad Slug/..", &bad).unwrap_err();
    assert_eq!(fields(&e), ["slug"], "{e:?}");
}

#[test]
fn a_deletion_can_be_a_draft_and_a_reviewer_publishes_a_draft_at_once() {
    let w = world();
    let carol = w.person(Role::Contributor, "carol");
    let rita = w.person(Role::Reviewer, "rita");
    let slug = "founding-act-signed-1997";
    let (_, v) = w.current(RecordType::Event, slug);
    // A contributor proposes a deletion; nothing is deleted until it is published.
    let draft = w
        .editing
        .save(
            &carol,
            RecordType::Event,
            slug,
            None,
            v,
            Intent::Draft,
            "a duplicate",
        )
        .unwrap();
    assert!(draft.deleted && draft.data.is_none());
    assert!(w.store.event(slug).unwrap().is_some());
    let p = w.editing.publish_draft(&rita, draft.id, "").unwrap();
    assert!(p.deleted);
    assert!(w.store.event(slug).unwrap().is_none());

    // A reviewer's update of a draft with Publish publishes it.
    let (val, base) = w.redated("1997-05-28");
    let d = w
        .editing
        .save(&carol, DOC, FA, Some(val.clone()), base, Intent::Draft, "")
        .unwrap();
    let p = w
        .editing
        .update_draft(
            &rita,
            d.id,
            Some(val),
            base,
            Intent::Publish,
            "published as corrected",
        )
        .unwrap();
    assert_eq!((p.status, p.version), (Status::Published, Some(base + 1)));
    assert_eq!(w.published_date().as_deref(), Some("1997-05-28"));

    // A read token sees no draft, not even its owner's.
    let (val, base) = w.redated("1997");
    let mine = w
        .editing
        .save(&carol, DOC, FA, Some(val), base, Intent::Draft, "")
        .unwrap();
    let token = Who {
        origin: Origin::Api,
        write: false,
        ..carol.clone()
    };
    assert!(w.editing.can_see(Some(&carol), &mine));
    assert!(!w.editing.can_see(Some(&token), &mine));
    assert!(matches!(
        w.editing.revision(Some(&token), mine.id),
        Err(EditError::NotFound(_))
    ));
}
