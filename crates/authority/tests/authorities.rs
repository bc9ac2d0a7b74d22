//! The authority index: lookups by name and identifier, candidates and their scores,
//! when a candidate is safe to match, constraints, updates, likely duplicates, and the
//! index of a store.

use dossier_authority::{
    normalise, Authorities, Candidate, Constraints, DuplicateReason, Entry, MatchReason, Query,
};
use dossier_model::*;

fn entry(record: RecordType, slug: &str, name: &str, names: &[&str]) -> Entry {
    Entry {
        record,
        slug: slug.into(),
        name: name.into(),
        names: names.iter().map(|s| s.to_string()).collect(),
        identifiers: Vec::new(),
        kind: match record {
            RecordType::Person => "person".into(),
            RecordType::Body => "state".into(),
            _ => "meeting".into(),
        },
        date: None,
        description: None,
    }
}

fn qid(q: &str) -> ExternalId {
    ExternalId::new(IdScheme::Wikidata, q).unwrap()
}

fn sample() -> Authorities {
    let mut nato = entry(
        RecordType::Body,
        "nato",
        "North Atlantic Treaty Organization",
        &["NATO", "OTAN", "the Alliance"],
    );
    nato.kind = "organisation".into();
    nato.identifiers = vec![qid("Q7184")];
    nato.date = Some("1949-04-04".into());
    let mut russia = entry(
        RecordType::Body,
        "russian-federation",
        "Russian Federation",
        &["Russia"],
    );
    russia.identifiers = vec![qid("Q159")];
    let mut summit = entry(RecordType::Event, "paris-summit-1997", "Paris Summit", &[]);
    summit.date = Some("1997-05-27".into());
    let mut later = entry(RecordType::Event, "paris-summit-1998", "Paris Summit", &[]);
    later.date = Some("1998".into());
    let undated = entry(RecordType::Event, "paris-summit", "Paris Summit", &[]);
    Authorities::build([
        nato,
        russia,
        entry(
            RecordType::Body,
            "united-states",
            "United States of America",
            &["USA", "United States"],
        ),
        entry(
            RecordType::Person,
            "javier-solana",
            "Javier Solana",
            &["Francisco Javier Solana de Madariaga"],
        ),
        entry(
            RecordType::Person,
            "boris-yeltsin",
            "Boris Yeltsin",
            &["Boris N. Yeltsin", "President Boris N. Yeltsin"],
        ),
        entry(RecordType::Person, "boris-yeltsin-2", "Boris Jelzin", &[]),
        summit,
        later,
        undated,
    ])
}

fn slugs(c: &[Candidate]) -> Vec<&str> {
    c.iter().map(|c| c.slug.as_str()).collect()
}

#[test]
fn names_are_found_in_any_spelling() {
    let a = sample();
    assert_eq!(a.len(), 9);
    assert_eq!(a.by_name(RecordType::Body, "nato"), vec!["nato"]);
    assert_eq!(a.by_name(RecordType::Body, "N.A.T.O."), Vec::<&str>::new());
    assert_eq!(a.by_name(RecordType::Body, "The  Alliance"), vec!["nato"]);
    assert_eq!(
        a.by_name(RecordType::Body, "RUSSIA"),
        vec!["russian-federation"]
    );
    assert_eq!(a.by_name(RecordType::Person, "Russia"), Vec::<&str>::new());
    assert_eq!(
        a.by_name(RecordType::Event, "Paris summit"),
        vec!["paris-summit", "paris-summit-1997", "paris-summit-1998"]
    );
    assert_eq!(
        a.by_identifier(&qid("Q7184")),
        vec![(RecordType::Body, "nato")]
    );
    assert!(a.by_identifier(&qid("Q1")).is_empty());
    assert_eq!(normalise("Conseil OTAN–Russie"), "conseil otan russie");
}

#[test]
fn an_exact_unique_name_is_a_match_and_a_near_one_is_a_candidate() {
    let a = sample();
    let c = a.candidates(&Query::new("Russian Federation"));
    assert_eq!(c[0].slug, "russian-federation");
    assert_eq!(c[0].score, 100.0);
    assert_eq!(c[0].reason, MatchReason::Name);
    assert!(c[0].matched);
    let c = a.candidates(&Query::new("russia"));
    assert_eq!(
        (c[0].slug.as_str(), c[0].reason, c[0].score, c[0].matched),
        ("russian-federation", MatchReason::Alias, 95.0, true)
    );
    // Misspelt: found, ranked first, never matched.
    let c = a.candidates(&Query::new("Russain Federation"));
    assert_eq!(c[0].slug, "russian-federation");
    assert_eq!(c[0].reason, MatchReason::Similar);
    assert!(!c[0].matched);
    assert!(c[0].score > 70.0 && c[0].score < 90.0, "{c:?}");
    // Words in another order.
    let c = a.candidates(&Query::new("Solana, Javier"));
    assert_eq!(c[0].slug, "javier-solana");
    assert!(c[0].score >= 89.0, "{c:?}");
    assert!(!c[0].matched);
    // Nothing like it.
    assert!(a.candidates(&Query::new("Zzyzx Qwv")).is_empty());
    assert!(a.candidates(&Query::new("")).is_empty());
    assert!(a
        .candidates(&Query {
            limit: 0,
            ..Query::new("NATO")
        })
        .is_empty());
}

#[test]
fn two_records_of_one_name_are_never_guessed() {
    let a = sample();
    let c = a.candidates(&Query::new("Paris Summit"));
    assert_eq!(
        slugs(&c),
        ["paris-summit", "paris-summit-1997", "paris-summit-1998"]
    );
    assert!(c.iter().all(|c| !c.matched), "{c:?}");
    // A year tells them apart.
    let c = a.candidates_with(
        &Query::new("Paris Summit"),
        &Constraints {
            year: Some(1997),
            kind: None,
        },
    );
    assert_eq!(c[0].slug, "paris-summit", "{c:?}");
    assert_eq!(c[1].slug, "paris-summit-1997");
    // The undated one might be it too: no match.
    assert!(c.iter().all(|c| !c.matched), "{c:?}");
    assert_eq!(c[2].slug, "paris-summit-1998");
    assert!(c[2].score < c[0].score);
    let mut a = a;
    a.remove(RecordType::Event, "paris-summit");
    let c = a.candidates_with(
        &Query::new("Paris Summit"),
        &Constraints {
            year: Some(1997),
            kind: None,
        },
    );
    assert_eq!(c[0].slug, "paris-summit-1997");
    assert!(c[0].matched, "{c:?}");
    assert!(c[1].score < c[0].score && !c[1].matched);
}

#[test]
fn identifiers_match_whatever_the_name() {
    let a = sample();
    let q = Query {
        identifiers: vec![qid("Q7184")],
        ..Query::new("Atlantic Alliance")
    };
    let c = a.candidates(&q);
    assert_eq!(
        (c[0].slug.as_str(), c[0].reason, c[0].matched),
        ("nato", MatchReason::Identifier, true)
    );
    // A name given with another identifier of the same scheme is contradicted.
    let q = Query {
        identifiers: vec![qid("Q42")],
        ..Query::new("NATO")
    };
    let c = a.candidates(&q);
    assert_eq!(c[0].slug, "nato");
    assert!(!c[0].matched);
    assert!(c[0].score < 95.0);
}

#[test]
fn types_and_kinds_constrain() {
    let a = sample();
    let q = Query {
        types: vec![RecordType::Person],
        ..Query::new("Russia")
    };
    assert!(a
        .candidates(&q)
        .iter()
        .all(|c| c.record == RecordType::Person));
    let c = a.candidates_with(
        &Query::new("NATO"),
        &Constraints {
            kind: Some("state".into()),
            year: None,
        },
    );
    assert!(!c[0].matched);
    assert_eq!(c[0].score, 57.0);
    let c = a.candidates_with(
        &Query::new("NATO"),
        &Constraints {
            kind: Some("Organisation".into()),
            year: Some(1949),
        },
    );
    assert!(c[0].matched);
}

#[test]
fn limits_are_kept_and_scores_fall() {
    let mut entries = Vec::new();
    for i in 0..200 {
        entries.push(entry(
            RecordType::Body,
            &format!("council-{i}"),
            &format!("Council of Ministers {i}"),
            &[],
        ));
    }
    let a = Authorities::build(entries);
    let c = a.candidates(&Query {
        limit: 5,
        ..Query::new("Council of Ministers 17")
    });
    assert_eq!(c.len(), 5);
    assert_eq!(c[0].slug, "council-17");
    assert!(c.windows(2).all(|w| w[0].score >= w[1].score), "{c:?}");
}

#[test]
fn inserts_replace_and_removes_forget() {
    let mut a = sample();
    a.insert(entry(RecordType::Body, "nato", "Atlantic Alliance", &[]));
    assert_eq!(a.len(), 9);
    assert!(a.by_name(RecordType::Body, "NATO").is_empty());
    assert!(a.by_identifier(&qid("Q7184")).is_empty());
    assert_eq!(
        a.by_name(RecordType::Body, "atlantic alliance"),
        vec!["nato"]
    );
    a.remove(RecordType::Body, "nato");
    a.remove(RecordType::Body, "nato");
    assert_eq!(a.len(), 8);
    assert!(a.get(RecordType::Body, "nato").is_none());
    assert!(a.candidates(&Query::new("Atlantic Alliance")).is_empty());
    // Slots are reused without mixing names up.
    a.insert(entry(
        RecordType::Person,
        "someone",
        "Someone Else",
        &["S. Else"],
    ));
    assert_eq!(a.by_name(RecordType::Person, "s else"), vec!["someone"]);
    assert_eq!(
        a.candidates(&Query::new("Russian Federation"))[0].slug,
        "russian-federation"
    );
}

#[test]
fn likely_duplicates() {
    let mut x = entry(RecordType::Body, "nato-2", "NATO", &[]);
    x.identifiers = vec![qid("Q7184")];
    let mut a = sample();
    a.insert(x);
    a.insert(entry(RecordType::Body, "russia", "Russia", &[]));
    a.insert(entry(RecordType::Body, "rf", "Russian Federatoin", &[]));
    let d = a.duplicates(RecordType::Body);
    let pairs: Vec<(&str, &str, &DuplicateReason)> = d
        .iter()
        .map(|d| (d.a.as_str(), d.b.as_str(), &d.reason))
        .collect();
    assert!(
        pairs.contains(&(
            "nato",
            "nato-2",
            &DuplicateReason::SameIdentifier(qid("Q7184"))
        )),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&(
            "russia",
            "russian-federation",
            &DuplicateReason::SameAlias("Russia".into())
        )),
        "{pairs:?}"
    );
    assert!(
        pairs
            .iter()
            .any(|(a, b, r)| (*a, *b) == ("rf", "russian-federation")
                && matches!(r, DuplicateReason::Similar { .. })),
        "{pairs:?}"
    );
    assert_eq!(d.len(), 3, "{pairs:?}");
    // People: a reordered name is the same; numbers tell people apart; short names only
    // when equal.
    let people = Authorities::build([
        entry(RecordType::Person, "a", "President Olesegun Obasanjo", &[]),
        entry(RecordType::Person, "b", "President Olusegun Obasanjo", &[]),
        entry(RecordType::Person, "c", "King George II", &[]),
        entry(RecordType::Person, "d", "King George VI", &[]),
        entry(RecordType::Person, "e", "Ivanov", &[]),
        entry(RecordType::Person, "f", "Ivanow", &[]),
        entry(RecordType::Person, "g", "The Prime Minister of X", &[]),
        entry(RecordType::Person, "h", "Prime Minister of X", &[]),
    ]);
    let d = people.duplicates(RecordType::Person);
    let pairs: Vec<(&str, &str)> = d.iter().map(|d| (d.a.as_str(), d.b.as_str())).collect();
    assert_eq!(pairs, vec![("a", "b"), ("g", "h")], "{d:?}");
    assert!(people.duplicates(RecordType::Body).is_empty());
}

fn body(slug: &str, name: &str, acronyms: &[&str]) -> Body {
    Body {
        slug: slug.into(),
        name: name.into(),
        acronyms: acronyms.iter().map(|s| s.to_string()).collect(),
        aliases: Vec::new(),
        kind: BodyKind::Organisation,
        established: Some(Edtf::parse("1949-04-04").unwrap()),
        ended: None,
        founding_document: None,
        predecessors: Vec::new(),
        successors: Vec::new(),
        part_of: None,
        format: None,
        decision_rule: None,
        summary: Some("The <b>alliance</b>.".into()),
        identifiers: vec![qid("Q7184")],
        dossiers: Vec::new(),
        collections: Vec::new(),
        provenance: Provenance::default(),
    }
}

#[test]
fn entries_of_records() {
    let e = Entry::of_record(&Record::Body(body(
        "nato",
        "North Atlantic Treaty Organization",
        &["NATO"],
    )));
    assert_eq!(e.record, RecordType::Body);
    assert_eq!(e.names, vec!["NATO"]);
    assert_eq!(e.kind, "organisation");
    assert_eq!(e.date.as_deref(), Some("1949-04-04"));
    assert_eq!(e.year(), Some(1949));
    let d = e.description.unwrap();
    assert!(
        d.starts_with("Organisation, 4 April 1949: The <b>alliance</b>."),
        "{d}"
    );
}

#[test]
fn the_index_of_a_store() {
    use dossier_store::{SqliteStore, Store};
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    s.write(&Archive {
        bodies: vec![body(
            "nato",
            "North Atlantic Treaty Organization",
            &["NATO"],
        )],
        ..Default::default()
    })
    .unwrap();
    let a = Authorities::from_store(&s).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a.by_name(RecordType::Body, "nato"), vec!["nato"]);
}

#[test]
fn suggestions_as_one_types() {
    let mut a = sample();
    let names = |prefix: &str, types: &[RecordType]| -> Vec<String> {
        a.suggest(prefix, types, 5)
            .iter()
            .map(|e| e.slug.clone())
            .collect()
    };
    assert_eq!(names("russ", &[]), vec!["russian-federation"]);
    assert_eq!(names("Fed", &[]), vec!["russian-federation"]);
    assert_eq!(names("nat", &[]), vec!["nato"]);
    // Shorter names first: "Boris Jelzin" before "Boris Yeltsin".
    assert_eq!(
        names("bor", &[RecordType::Person]),
        vec!["boris-yeltsin-2", "boris-yeltsin"]
    );
    // An alias's word: "Francisco Javier Solana de Madariaga".
    assert_eq!(names("madar", &[]), vec!["javier-solana"]);
    assert!(names("bor", &[RecordType::Body]).is_empty());
    assert!(names("", &[]).is_empty());
    assert!(names("<script>", &[]).is_empty());
    a.remove(RecordType::Body, "russian-federation");
    assert!(a.suggest("russ", &[], 5).is_empty());
}
