//! Merges (issue 28): two bodies or two people joined through the write path, with a
//! revision per touched record, the change log, a tombstone and a redirect; undone as
//! revisions too, refused when a touched record changed since.
//!
//! Each runs on every backend ([`common::each_store`]).

mod common;

use common::*;
use dossier_model::*;
use dossier_store::{
    Author, ChangeOp, Merge, MergeError, Merges, Revision, RevisionQuery, SqliteStore, Store,
};
use serde_json::json;

/// The store's merges: every backend that keeps revisions must merge.
fn merges(s: &dyn Store) -> &dyn Merges {
    s.merges().expect("this backend keeps no merges")
}

fn editor() -> Author {
    Author::cli()
}

fn from_json<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap()
}

/// An archive where the body `russia` (a second record of the built-in
/// `russian-federation`, as an import of another collection made it) is linked from every
/// kind of field that names a body.
fn russia_twice() -> Archive {
    Archive {
        dossiers: vec![from_json(json!({
            "slug": "d", "title": "D",
            "sections": [{"key": "a", "label": "A.", "title": "A",
                "references": [{"text": "Russia", "target": {"type": "body", "slug": "russia"}},
                               {"text": "NATO", "target": {"type": "body", "slug": "nato"}}],
                "lists": [{"of": "documents", "bodies": ["russia"]}],
                "children": []}]
        }))],
        collections: vec![from_json(json!({"slug": "travels", "title": "Travels"}))],
        bodies: vec![
            from_json(
                json!({"slug": "nato", "name": "North Atlantic Treaty Organization",
                "acronyms": ["NATO"], "kind": "organisation", "dossiers": ["d"]}),
            ),
            from_json(
                json!({"slug": "russian-federation", "name": "Russian Federation",
                "kind": "state", "dossiers": ["d"],
                "identifiers": [{"scheme": "wikidata", "value": "Q159"}],
                "sources": [{"title": "Seed page"}]}),
            ),
            from_json(json!({"slug": "russia", "name": "Russia", "kind": "state",
                "collections": ["travels"],
                "identifiers": [{"scheme": "viaf", "value": "133163990"}],
                "sources": [{"title": "Travels of the Secretary"}],
                "gaps": ["Imported from the travels collection."]})),
            from_json(
                json!({"slug": "ussr", "name": "Soviet Union", "kind": "state",
                "successors": [{"slug": "russia", "date": "1991-12-26"}]}),
            ),
            from_json(
                json!({"slug": "moscow-office", "name": "Moscow office", "kind": "office",
                "part_of": "russia"}),
            ),
        ],
        people: vec![from_json(
            json!({"slug": "yeltsin", "name": "Boris Yeltsin",
            "offices": [{"title": "President", "body": "russia"}]}),
        )],
        documents: vec![
            from_json(json!({"slug": "founding-act", "title": "Founding Act",
                "kind": "agreement", "issued_by": ["nato", "russia"],
                "parties": ["russia", "russian-federation"], "dossiers": ["d"]})),
            from_json(
                json!({"slug": "other", "title": "Other", "kind": "statement",
                "issued_by": ["nato"]}),
            ),
        ],
        events: vec![from_json(
            json!({"slug": "visit", "title": "Visit", "kind": "visit",
            "bodies": ["russia"], "people": ["yeltsin"], "collections": ["travels"]}),
        )],
        topics: vec![from_json(
            json!({"slug": "t", "title": "T", "kind": "subject",
            "bodies": ["russia", "nato"]}),
        )],
    }
}

/// Every record's JSON and version, to compare a store before and after.
fn snapshot(s: &dyn Store) -> Vec<(RecordType, String, String, i64)> {
    let r = s.revisions().unwrap();
    let mut out = Vec::new();
    for d in s.dossiers().unwrap() {
        let data = serde_json::to_string(&s.dossier(&d.slug).unwrap().unwrap()).unwrap();
        let v = r.version(RecordType::Dossier, &d.slug).unwrap();
        out.push((RecordType::Dossier, d.slug, data, v));
    }
    let mut add = |t: RecordType, slugs: Vec<String>| {
        for slug in slugs {
            let data = format!("{:?}", s.record(t, &slug).unwrap().unwrap());
            let v = r.version(t, &slug).unwrap();
            out.push((t, slug, data, v));
        }
    };
    add(
        RecordType::Body,
        s.bodies(None)
            .unwrap()
            .into_iter()
            .map(|b| b.slug)
            .collect(),
    );
    add(
        RecordType::Person,
        s.people(None)
            .unwrap()
            .into_iter()
            .map(|b| b.slug)
            .collect(),
    );
    add(
        RecordType::Document,
        s.documents(&Default::default())
            .unwrap()
            .into_iter()
            .map(|b| b.slug)
            .collect(),
    );
    add(
        RecordType::Event,
        s.events(&Default::default())
            .unwrap()
            .into_iter()
            .map(|b| b.slug)
            .collect(),
    );
    add(
        RecordType::Topic,
        s.topics(None)
            .unwrap()
            .into_iter()
            .map(|b| b.slug)
            .collect(),
    );
    out.sort();
    out
}

fn history(s: &dyn Store, t: RecordType, slug: &str) -> Vec<Revision> {
    s.revisions()
        .unwrap()
        .revisions(&RevisionQuery {
            record: Some(t),
            slug: Some(slug.into()),
            ..Default::default()
        })
        .unwrap()
}

fn merge_russia(s: &dyn Store) -> Merge {
    s.merges()
        .unwrap()
        .merge(
            RecordType::Body,
            "russia",
            "russian-federation",
            &editor(),
            "one country, two records",
        )
        .unwrap()
}

fn check_links_move_to_the_survivor(s: &dyn Store) {
    s.write(&russia_twice()).unwrap();
    let seq = s.last_change().unwrap();
    let versions = snapshot(s);
    // A preview makes every check and keeps nothing, not even the id.
    let preview = merges(s)
        .preview_merge(
            RecordType::Body,
            "russia",
            "russian-federation",
            &editor(),
            "one country, two records",
        )
        .unwrap();
    assert_eq!(s.last_change().unwrap(), seq);
    assert_eq!(snapshot(s), versions);
    assert!(merges(s).merges(None, 0).unwrap().is_empty());
    assert_eq!(s.redirect(RecordType::Body, "russia").unwrap(), None);
    let m = merge_russia(s);
    assert_eq!((preview.id, &preview.relinked), (m.id, &m.relinked));
    assert_eq!(m.id, 1);
    assert_eq!(
        (m.from.as_str(), m.into.as_str()),
        ("russia", "russian-federation")
    );
    assert_eq!(m.comment, "one country, two records");
    assert!(m.undone.is_none());
    use RecordType as T;
    let relinked = [
        (T::Dossier, "d"),
        (T::Document, "founding-act"),
        (T::Body, "moscow-office"),
        (T::Body, "ussr"),
        (T::Person, "yeltsin"),
        (T::Event, "visit"),
        (T::Topic, "t"),
    ];
    let mut expected: Vec<(T, String)> =
        relinked.iter().map(|(t, s)| (*t, s.to_string())).collect();
    expected.sort();
    assert_eq!(m.relinked, expected);

    // The links now name the survivor, never twice.
    let d = s.document("founding-act").unwrap().unwrap();
    assert_eq!(d.issued_by, ["nato", "russian-federation"]);
    assert_eq!(d.parties, ["russian-federation"]);
    assert_eq!(
        s.event("visit").unwrap().unwrap().bodies,
        ["russian-federation"]
    );
    assert_eq!(
        s.person("yeltsin").unwrap().unwrap().offices[0]
            .body
            .as_deref(),
        Some("russian-federation")
    );
    assert_eq!(
        s.topic("t").unwrap().unwrap().bodies,
        ["russian-federation", "nato"]
    );
    assert_eq!(
        s.body("moscow-office").unwrap().unwrap().part_of.as_deref(),
        Some("russian-federation")
    );
    assert_eq!(
        s.body("ussr").unwrap().unwrap().successors[0].slug,
        "russian-federation"
    );
    let dossier = s.dossier("d").unwrap().unwrap();
    assert_eq!(
        dossier.sections[0].references[0].target,
        Some(Target::Body {
            slug: "russian-federation".into()
        })
    );
    assert_eq!(dossier.sections[0].lists[0].bodies, ["russian-federation"]);

    // The survivor keeps the other's name, identifiers, sources, gaps and collections.
    let rf = s.body("russian-federation").unwrap().unwrap();
    assert_eq!(rf.aliases, ["Russia"]);
    assert_eq!(rf.identifiers.len(), 2);
    assert_eq!(rf.provenance.sources.len(), 2);
    assert_eq!(
        rf.provenance.gaps,
        ["Imported from the travels collection."]
    );
    assert_eq!(rf.collections, ["travels"]);
    assert_eq!(rf.dossiers, ["d"]);
    // Reverse lookups follow: the survivor's backlinks hold what linked to the other.
    let back: Vec<String> = s
        .backlinks(T::Body, "russian-federation")
        .unwrap()
        .into_iter()
        .map(|b| b.slug)
        .collect();
    for slug in ["founding-act", "visit", "yeltsin", "moscow-office", "t"] {
        assert!(back.contains(&slug.to_string()), "{slug} in {back:?}");
    }
    assert!(s.backlinks(T::Body, "russia").unwrap().is_empty());
    assert_eq!(s.citations(T::Body, "russian-federation").unwrap().len(), 1);

    // The merged-away record is gone, with a tombstone and a redirect.
    assert!(s.body("russia").unwrap().is_none());
    assert_eq!(
        s.tombstones(T::Body)
            .unwrap()
            .iter()
            .map(|t| t.slug.as_str())
            .collect::<Vec<_>>(),
        ["russia"]
    );
    assert_eq!(
        s.redirect(T::Body, "russia").unwrap().as_deref(),
        Some("russian-federation")
    );
    assert_eq!(s.redirect(T::Body, "nato").unwrap(), None);
    assert_eq!(s.redirect(T::Person, "russia").unwrap(), None);

    // Every touched record has one more version, whose revision names the merge.
    let after = snapshot(s);
    for (t, slug, _, v) in &versions {
        let now = after
            .iter()
            .find(|x| x.0 == *t && x.1 == *slug)
            .map(|x| x.3);
        let touched = relinked.iter().any(|(rt, rs)| rt == t && rs == slug)
            || (*t == T::Body && slug == "russian-federation");
        match (slug.as_str(), now) {
            ("russia", None) => {}
            (_, Some(now)) if touched => assert_eq!(now, v + 1, "{t:?} {slug}"),
            (_, Some(now)) => assert_eq!(now, *v, "{t:?} {slug} untouched"),
            _ => panic!("{slug} vanished"),
        }
        if touched || slug == "russia" {
            let h = history(s, *t, slug);
            assert!(
                h[0].comment
                    .starts_with("merge #1: body `russia` into `russian-federation`: one country"),
                "{t:?} {slug}: {}",
                h[0].comment
            );
            assert_eq!(h[0].author, editor());
        }
    }
    let gone = history(s, T::Body, "russia");
    assert!(gone[0].deleted);
    assert_eq!(gone[0].version, Some(2));

    // The change log moved once per touched record, the deletion included.
    let changes = s.changes_since(seq, 100).unwrap();
    assert_eq!(changes.len(), relinked.len() + 2);
    assert!(changes
        .iter()
        .any(|c| c.slug == "russia" && c.op == ChangeOp::Delete));
    assert!(!changes.iter().any(|c| c.slug == "other"));

    // The merge is listed, and read back as it was made.
    let list = merges(s).merges(None, 10).unwrap();
    assert_eq!(list, std::slice::from_ref(&m));
    assert_eq!(merges(s).merge_of(1).unwrap(), Some(m));
    assert_eq!(merges(s).merge_of(2).unwrap(), None);
}

fn check_undo_restores_everything(s: &dyn Store) {
    s.write(&russia_twice()).unwrap();
    let before = snapshot(s);
    let m = merge_russia(s);
    let undone = s
        .merges()
        .unwrap()
        .undo_merge(m.id, &editor(), "two countries after all")
        .unwrap();
    let (who, _) = undone.undone.clone().expect("undone");
    assert_eq!(who, editor());
    let after = snapshot(s);
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!((b.0, &b.1, &b.2), (a.0, &a.1, &a.2), "record restored");
        // Versions count on: the merge's revision, then the undo's (the merged-away
        // record: its deletion, then its return).
        let touched = m.relinked.iter().any(|(t, s)| *t == b.0 && *s == b.1)
            || b.1 == "russia"
            || b.1 == "russian-federation";
        assert_eq!(
            a.3,
            if touched { b.3 + 2 } else { b.3 },
            "{:?} {}",
            b.0,
            b.1
        );
    }
    assert_eq!(s.redirect(RecordType::Body, "russia").unwrap(), None);
    let h = history(s, RecordType::Body, "russia");
    assert_eq!(
        h[0].comment,
        "undo of merge #1: body `russia` into `russian-federation`: two countries after all"
    );
    assert!(!h[0].deleted);
    // Undo twice: refused, nothing written.
    let seq = s.last_change().unwrap();
    assert!(matches!(
        merges(s).undo_merge(m.id, &editor(), ""),
        Err(MergeError::AlreadyUndone)
    ));
    assert!(matches!(
        merges(s).undo_merge(99, &editor(), ""),
        Err(MergeError::UnknownMerge(99))
    ));
    assert_eq!(s.last_change().unwrap(), seq);
    // And it can be merged again.
    let again = merge_russia(s);
    assert_eq!(again.id, 2);
    assert_eq!(merges(s).merges(None, 0).unwrap().len(), 2);
    assert_eq!(
        merges(s).merges(Some(2), 0).unwrap()[0].id,
        1,
        "paging by id"
    );
}

fn check_undo_is_refused_after_a_later_change(s: &dyn Store) {
    s.write(&russia_twice()).unwrap();
    let m = merge_russia(s);
    let mut e = s.event("visit").unwrap().unwrap();
    e.title = "Visit, corrected".into();
    s.write(&Archive {
        events: vec![e],
        ..Default::default()
    })
    .unwrap();
    let seq = s.last_change().unwrap();
    match merges(s).undo_merge(m.id, &editor(), "") {
        Err(e @ MergeError::Changed { .. }) => {
            let MergeError::Changed { record, slug } = &e else {
                unreachable!()
            };
            assert_eq!((*record, slug.as_str()), (RecordType::Event, "visit"));
            assert!(
                e.to_string()
                    .contains("event `visit` changed since the merge"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
    // Nothing moved: the merge stands.
    assert_eq!(s.last_change().unwrap(), seq);
    assert!(s.body("russia").unwrap().is_none());
    assert!(s
        .merges()
        .unwrap()
        .merge_of(m.id)
        .unwrap()
        .unwrap()
        .undone
        .is_none());
    // A record that came back under the merged-away slug refuses the undo too.
    s.write(&Archive {
        bodies: vec![from_json(
            json!({"slug": "russia", "name": "Russia (new)", "kind": "state"}),
        )],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        s.redirect(RecordType::Body, "russia").unwrap(),
        None,
        "a live record needs none"
    );
}

fn check_chains_collapse_and_undo_unwinds_them(s: &dyn Store) {
    let body = |slug: &str| -> Body {
        from_json(json!({"slug": slug, "name": slug.to_uppercase(), "kind": "council"}))
    };
    s.write(&Archive {
        bodies: vec![body("a"), body("b"), body("c")],
        events: vec![from_json(
            json!({"slug": "e", "title": "E", "kind": "meeting", "bodies": ["a"]}),
        )],
        ..Default::default()
    })
    .unwrap();
    let m = merges(s);
    let first = m.merge(RecordType::Body, "a", "b", &editor(), "").unwrap();
    let second = m.merge(RecordType::Body, "b", "c", &editor(), "").unwrap();
    assert_eq!(
        s.redirect(RecordType::Body, "a").unwrap().as_deref(),
        Some("c")
    );
    assert_eq!(
        s.redirect(RecordType::Body, "b").unwrap().as_deref(),
        Some("c")
    );
    assert_eq!(s.event("e").unwrap().unwrap().bodies, ["c"]);
    let c = s.body("c").unwrap().unwrap();
    // The names of both merged-away bodies are the survivor's aliases.
    assert_eq!(c.aliases, ["B", "A"]);
    // The first merge's records changed since (the second merged them): refused.
    assert!(matches!(
        m.undo_merge(first.id, &editor(), ""),
        Err(MergeError::Changed { .. })
    ));
    m.undo_merge(second.id, &editor(), "").unwrap();
    assert_eq!(
        s.redirect(RecordType::Body, "a").unwrap().as_deref(),
        Some("b")
    );
    assert_eq!(s.redirect(RecordType::Body, "b").unwrap(), None);
    assert_eq!(s.event("e").unwrap().unwrap().bodies, ["b"]);
    m.undo_merge(first.id, &editor(), "").unwrap();
    assert_eq!(s.redirect(RecordType::Body, "a").unwrap(), None);
    assert_eq!(s.event("e").unwrap().unwrap().bodies, ["a"]);
    // A merge back the other way: no redirect points at a live record or at itself.
    m.merge(RecordType::Body, "a", "b", &editor(), "").unwrap();
    let back = m.merge(RecordType::Body, "b", "c", &editor(), "").unwrap();
    m.undo_merge(back.id, &editor(), "").unwrap();
    s.write(&Archive {
        bodies: vec![body("a")],
        ..Default::default()
    })
    .unwrap();
    m.merge(RecordType::Body, "b", "a", &editor(), "").unwrap();
    assert_eq!(
        s.redirect(RecordType::Body, "b").unwrap().as_deref(),
        Some("a")
    );
    assert_eq!(s.redirect(RecordType::Body, "a").unwrap(), None);
}

fn check_people_merge_too(s: &dyn Store) {
    s.write(&Archive {
        bodies: vec![from_json(
            json!({"slug": "rf", "name": "Russian Federation", "kind": "state"}),
        )],
        people: vec![
            from_json(json!({"slug": "boris-yeltsin", "name": "Boris Yeltsin",
                "identifiers": [{"scheme": "wikidata", "value": "Q34453"}]})),
            from_json(json!({"slug": "yeltsin-b-n", "name": "Boris N. Yeltsin",
                "aliases": ["B. N. Yeltsin"],
                "offices": [{"title": "President", "body": "rf"}]})),
        ],
        documents: vec![from_json(
            json!({"slug": "letter", "title": "Letter", "kind": "letter",
            "authors": ["yeltsin-b-n"]}),
        )],
        events: vec![from_json(
            json!({"slug": "summit", "title": "Summit", "kind": "summit",
            "people": ["yeltsin-b-n", "boris-yeltsin"]}),
        )],
        ..Default::default()
    })
    .unwrap();
    let m = s
        .merges()
        .unwrap()
        .merge(
            RecordType::Person,
            "yeltsin-b-n",
            "boris-yeltsin",
            &editor(),
            "",
        )
        .unwrap();
    assert_eq!(
        m.relinked,
        [
            (RecordType::Document, "letter".to_string()),
            (RecordType::Event, "summit".to_string())
        ]
    );
    let p = s.person("boris-yeltsin").unwrap().unwrap();
    assert_eq!(p.aliases, ["Boris N. Yeltsin", "B. N. Yeltsin"]);
    assert_eq!(p.offices[0].body.as_deref(), Some("rf"));
    assert_eq!(
        s.document("letter").unwrap().unwrap().authors,
        ["boris-yeltsin"]
    );
    assert_eq!(
        s.event("summit").unwrap().unwrap().people,
        ["boris-yeltsin"]
    );
    assert_eq!(
        s.redirect(RecordType::Person, "yeltsin-b-n")
            .unwrap()
            .as_deref(),
        Some("boris-yeltsin")
    );
    assert_eq!(s.redirect(RecordType::Body, "yeltsin-b-n").unwrap(), None);
}

fn check_hostile_merges_are_refused_and_write_nothing(s: &dyn Store) {
    s.write(&russia_twice()).unwrap();
    let m = merges(s);
    let seq = s.last_change().unwrap();
    let refuse =
        |t: RecordType, from: &str, into: &str| m.merge(t, from, into, &editor(), "").unwrap_err();
    assert!(matches!(
        refuse(RecordType::Body, "russia", "russia"),
        MergeError::SameRecord
    ));
    assert!(matches!(
        refuse(RecordType::Document, "founding-act", "other"),
        MergeError::Unsupported(RecordType::Document)
    ));
    assert!(matches!(
        refuse(RecordType::Dossier, "d", "e"),
        MergeError::Unsupported(RecordType::Dossier)
    ));
    match refuse(RecordType::Body, "no-such-body", "russia") {
        MergeError::NotFound { record, slug } => {
            assert_eq!((record, slug.as_str()), (RecordType::Body, "no-such-body"))
        }
        e => panic!("{e:?}"),
    }
    match refuse(RecordType::Body, "russia", "../etc/passwd") {
        MergeError::NotFound { slug, .. } => assert_eq!(slug, "../etc/passwd"),
        e => panic!("{e:?}"),
    }
    // A person's slug is not a body's.
    assert!(matches!(
        refuse(RecordType::Person, "yeltsin", "russia"),
        MergeError::NotFound {
            record: RecordType::Person,
            ..
        }
    ));
    // Quotes and SQL in a slug are a slug that does not exist, nothing else.
    assert!(matches!(
        refuse(RecordType::Body, "x'); DROP TABLE records; --", "russia"),
        MergeError::NotFound { .. }
    ));
    assert!(matches!(
        merges(s).preview_merge(RecordType::Body, "russia", "nope", &editor(), ""),
        Err(MergeError::NotFound { .. })
    ));
    assert_eq!(s.last_change().unwrap(), seq, "nothing written");
    assert!(m.merges(None, 0).unwrap().is_empty(), "no merge kept");
    // Merging twice: the second finds nothing to merge.
    merge_russia(s);
    assert!(matches!(
        refuse(RecordType::Body, "russia", "russian-federation"),
        MergeError::NotFound { .. }
    ));
    // Into the record merged away: refused, it is gone.
    assert!(matches!(
        refuse(RecordType::Body, "nato", "russia"),
        MergeError::NotFound { .. }
    ));
}

fn check_a_merge_that_breaks_a_rule_is_refused_whole(s: &dyn Store) {
    s.write(&Archive {
        bodies: vec![
            from_json(
                json!({"slug": "new-council", "name": "New Council", "kind": "council",
                "established": "2002-05-28"}),
            ),
            from_json(
                json!({"slug": "old-council", "name": "Old Council", "kind": "council",
                "successors": [{"slug": "other", "date": "1997-05-27"}]}),
            ),
            from_json(json!({"slug": "other", "name": "Other", "kind": "council"})),
        ],
        ..Default::default()
    })
    .unwrap();
    let seq = s.last_change().unwrap();
    // The survivor would be succeeded in 1997, before it was established in 2002.
    match merges(s).merge(
        RecordType::Body,
        "old-council",
        "new-council",
        &editor(),
        "",
    ) {
        Err(MergeError::Invalid(messages)) => {
            assert_eq!(messages.len(), 1, "{messages:?}");
            assert!(messages[0].contains("body `new-council`"), "{messages:?}");
            assert!(messages[0].contains("successors[0].date"), "{messages:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        merges(s).preview_merge(
            RecordType::Body,
            "old-council",
            "new-council",
            &editor(),
            ""
        ),
        Err(MergeError::Invalid(_))
    ));
    assert_eq!(s.last_change().unwrap(), seq);
    assert!(s.body("old-council").unwrap().is_some());
    assert_eq!(s.redirect(RecordType::Body, "old-council").unwrap(), None);
    assert!(merges(s).merges(None, 0).unwrap().is_empty());
}

#[test]
fn links_move_to_the_survivor() {
    each_store(|s| check_links_move_to_the_survivor(&**s));
}

#[test]
fn undo_restores_everything() {
    each_store(|s| check_undo_restores_everything(&**s));
}

#[test]
fn undo_is_refused_after_a_later_change() {
    each_store(|s| check_undo_is_refused_after_a_later_change(&**s));
}

#[test]
fn chains_collapse_and_undo_unwinds_them() {
    each_store(|s| check_chains_collapse_and_undo_unwinds_them(&**s));
}

#[test]
fn people_merge_too() {
    each_store(|s| check_people_merge_too(&**s));
}

#[test]
fn hostile_merges_are_refused_and_write_nothing() {
    each_store(|s| check_hostile_merges_are_refused_and_write_nothing(&**s));
}

#[test]
fn a_merge_that_breaks_a_rule_is_refused_whole() {
    each_store(|s| check_a_merge_that_breaks_a_rule_is_refused_whole(&**s));
}

#[test]
fn sqlite_in_memory_merges_and_redirects() {
    let s = SqliteStore::in_memory().unwrap();
    s.write(&russia_twice()).unwrap();
    merge_russia(&s);
    assert_eq!(
        s.redirect(RecordType::Body, "russia").unwrap().as_deref(),
        Some("russian-federation")
    );
}

#[test]
fn a_merge_inside_a_held_write_is_kept_or_undone_with_it() {
    each_store(|s| {
        s.write(&russia_twice()).unwrap();
        s.hold().unwrap();
        merges(&**s)
            .preview_merge(
                RecordType::Body,
                "russia",
                "russian-federation",
                &editor(),
                "",
            )
            .unwrap();
        merge_russia(&**s);
        s.release(false).unwrap();
        assert!(s.body("russia").unwrap().is_some());
        assert!(merges(&**s).merges(None, 0).unwrap().is_empty());
        assert_eq!(s.redirect(RecordType::Body, "russia").unwrap(), None);
        s.hold().unwrap();
        merge_russia(&**s);
        s.release(true).unwrap();
        assert!(s.body("russia").unwrap().is_none());
        assert_eq!(merges(&**s).merges(None, 0).unwrap().len(), 1);
    });
}

/// Two servers on one database: a merge made through one redirects on the other, its
/// undo can be made from the other, and a comment holding a NUL (which PostgreSQL's text
/// cannot hold; kept there as U+FFFD) is kept, never a database error.
#[test]
fn a_merge_on_one_server_is_seen_and_undone_on_another() {
    each_store(|s| {
        let other = s.open_again();
        let (a, b): (&dyn Store, &dyn Store) = (&**s, &*other);
        a.write(&russia_twice()).unwrap();
        let hostile = Author {
            name: "cli\0".into(),
            ..editor()
        };
        let m = merges(a)
            .merge(
                RecordType::Body,
                "russia",
                "russian-federation",
                &hostile,
                "one\0country",
            )
            .unwrap();
        let kept = |t: &str| t.replace('\u{FFFD}', "\0");
        assert_eq!(kept(&m.comment), "one\0country");
        assert_eq!(kept(&m.author.name), "cli\0");
        assert_eq!(
            b.redirect(RecordType::Body, "russia").unwrap().as_deref(),
            Some("russian-federation")
        );
        assert_eq!(merges(b).merge_of(m.id).unwrap(), Some(m.clone()));
        let undone = merges(b).undo_merge(m.id, &editor(), "\0").unwrap();
        assert!(undone.undone.is_some());
        assert_eq!(a.redirect(RecordType::Body, "russia").unwrap(), None);
        assert!(a.body("russia").unwrap().is_some());
        assert!(matches!(
            merges(a).undo_merge(m.id, &editor(), ""),
            Err(MergeError::AlreadyUndone)
        ));
        // A slug holding a NUL (a hostile `%00` in a path) names nothing, on every backend.
        assert_eq!(b.redirect(RecordType::Body, "russia\0").unwrap(), None);
        assert!(matches!(
            merges(b).merge(
                RecordType::Body,
                "russia\0",
                "russian-federation",
                &editor(),
                ""
            ),
            Err(MergeError::NotFound { .. })
        ));
        assert!(matches!(
            merges(b).preview_merge(RecordType::Body, "russia", "nato\0", &editor(), ""),
            Err(MergeError::NotFound { .. })
        ));
    });
}

/// Many linking records (read, relinked and serialised on another thread than the one that
/// writes them): every one is relinked all the same, and listed once.
#[test]
fn a_body_linked_from_thousands_of_records_is_merged_whole() {
    each_store(|s| {
        let mut a = russia_twice();
        for i in 0..2_500 {
            a.events
                .push(from_json(json!({"slug": format!("meeting-{i:04}"),
                "title": format!("Meeting {i}"), "kind": "meeting",
                "bodies": ["nato", "russia"]})));
        }
        s.write(&a).unwrap();
        let m = merge_russia(&**s);
        assert_eq!(m.relinked.len(), 2_500 + 7);
        let events: Vec<&str> = m
            .relinked
            .iter()
            .filter(|(t, _)| *t == RecordType::Event)
            .map(|(_, slug)| slug.as_str())
            .collect();
        assert_eq!(events.len(), 2_501);
        assert!(events.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        for slug in ["meeting-0000", "meeting-1249", "meeting-2499"] {
            assert_eq!(
                s.event(slug).unwrap().unwrap().bodies,
                ["nato", "russian-federation"]
            );
        }
        assert!(s.backlinks(RecordType::Body, "russia").unwrap().is_empty());
    });
}

/// Every record and dossier of a store, with its collections, as one archive.
fn everything(s: &dyn Store) -> Archive {
    let mut a = Archive {
        collections: s
            .collections()
            .unwrap()
            .into_iter()
            .map(|(c, _)| c)
            .collect(),
        ..Default::default()
    };
    for d in s.dossiers().unwrap() {
        a.dossiers.push(s.dossier(&d.slug).unwrap().unwrap());
    }
    a.documents = s.documents(&Default::default()).unwrap();
    a.bodies = s.bodies(None).unwrap();
    a.people = s.people(None).unwrap();
    a.events = s.events(&Default::default()).unwrap();
    a.topics = s.topics(None).unwrap();
    a
}

/// A record's backlinks as (type, slug, rel), one per `links` row, sorted.
fn backlink_rows(
    s: &dyn Store,
    record: RecordType,
    slug: &str,
) -> Vec<(RecordType, String, String)> {
    let mut rows: Vec<_> = s
        .backlinks(record, slug)
        .unwrap()
        .into_iter()
        .map(|b| (b.record, b.slug, b.rel))
        .collect();
    rows.sort();
    rows
}

/// A merge of a body linked from more records than the store writes in one part (SQLite:
/// 4,096), of every kind, some naming both bodies (whose links are rewritten whole) and
/// one with a stale `links` row its JSON does not give: the links after the merge, and
/// after its undo, are exactly those a fresh write of the same records gives.
#[test]
fn a_merge_in_parts_leaves_the_links_a_fresh_write_gives() {
    each_store(|s| {
        let mut a = russia_twice();
        for i in 0..9_000 {
            let slug = format!("r-{i:05}");
            match i % 6 {
                0 | 1 => a
                    .events
                    .push(from_json(json!({"slug": slug, "title": "Meeting",
                    "kind": "meeting", "date": "1997-05-27", "bodies": ["nato", "russia"],
                    "dossiers": ["d"]}))),
                2 => a
                    .documents
                    .push(from_json(json!({"slug": slug, "title": "Act",
                    "kind": "agreement", "issued_by": ["russia"],
                    "parties": ["russian-federation", "russia", "nato"]}))),
                3 => a
                    .documents
                    .push(from_json(json!({"slug": slug, "title": "Statement",
                    "kind": "statement", "issued_by": ["nato", "russia"],
                    "parties": ["russia"], "collections": ["travels"]}))),
                4 => a
                    .people
                    .push(from_json(json!({"slug": slug, "name": "Envoy",
                    "offices": [{"title": "Envoy", "body": "russia"},
                                {"title": "Observer", "body": "nato"}]}))),
                _ => a
                    .topics
                    .push(from_json(json!({"slug": slug, "title": "Topic",
                    "kind": "subject", "bodies": ["russia"]}))),
            }
        }
        s.write(&a).unwrap();
        // A row no record's JSON gives: a write rewrites it away.
        s.execute(
            "INSERT INTO links (src_type, src_slug, rel, dst_type, dst_slug, detail)
             VALUES ('event', 'r-00006', 'held-by', 'body', 'russia', NULL)",
        );
        let before = snapshot(&**s);
        let m = merge_russia(&**s);
        assert_eq!(m.relinked.len(), 9_000 + 7);
        assert!(s.body("russia").unwrap().is_none());
        assert_eq!(
            s.document("r-00002").unwrap().unwrap().parties,
            ["russian-federation", "nato"]
        );
        assert_eq!(
            s.event("r-08995").unwrap().unwrap().bodies,
            ["nato", "russian-federation"]
        );

        let fresh = SqliteStore::in_memory().unwrap();
        fresh.write(&everything(&**s)).unwrap();
        for (t, slug) in [
            (RecordType::Body, "russian-federation"),
            (RecordType::Body, "nato"),
            (RecordType::Dossier, "d"),
        ] {
            assert_eq!(
                backlink_rows(&**s, t, slug),
                backlink_rows(&fresh, t, slug),
                "{slug}"
            );
        }
        assert!(s.backlinks(RecordType::Body, "russia").unwrap().is_empty());

        merges(&**s).undo_merge(m.id, &editor(), "").unwrap();
        let after = snapshot(&**s);
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            assert_eq!((b.0, &b.1, &b.2), (a.0, &a.1, &a.2), "record restored");
        }
        let fresh = SqliteStore::in_memory().unwrap();
        fresh.write(&everything(&**s)).unwrap();
        for slug in ["russia", "russian-federation", "nato"] {
            assert_eq!(
                backlink_rows(&**s, RecordType::Body, slug),
                backlink_rows(&fresh, RecordType::Body, slug),
                "{slug}"
            );
        }
    });
}
