//! Issue 20, finding 2: nothing the store writes may be unreadable, and a record that
//! cannot be read (written by an older version, or behind the store's back) fails alone.

use dossier_model::RecordType;
use dossier_model::*;
mod common;

use common::*;
use dossier_store::{DocumentQuery, StoreError};

fn doc(slug: &str) -> Document {
    Document {
        collections: Vec::new(),
        coverage: None,
        texts: Vec::new(),
        slug: slug.into(),
        title: format!("Title of {slug}"),
        aliases: vec![],
        kind: DocumentKind::Declaration,
        date: None,
        place: None,
        issued_by: vec![],
        authors: vec![],
        parties: vec![],
        legal_status: LegalStatus::Unknown,
        availability: Availability::Public,
        languages: vec![],
        summary: None,
        relations: vec![],
        dossiers: vec!["deep".into()],
        topics: vec![],
        provenance: Provenance::default(),
    }
}

/// A dossier whose sections nest `depth` levels, each with a reference, a list and text
/// (the deepest JSON a section can make).
fn nested(depth: usize) -> Dossier {
    let mut sections = Vec::new();
    for level in (1..=depth).rev() {
        sections = vec![Section {
            claims: Vec::new(),
            key: format!("s{level}"),
            label: format!("{level}."),
            title: format!("Level {level}"),
            short_title: Some(format!("L{level}")),
            commentary: format!("See [the act](ref:1) at level {level}."),
            references: vec![Reference {
                text: "the act".into(),
                target: Some(Target::Document { slug: "act".into() }),
                mention: true,
            }],
            lists: vec![GeneratedList {
                complete: false,
                page_listed: None,
                caption: Some("Speeches".into()),
                of: ListOf::Documents,
                kinds: vec!["speech".into()],
                bodies: vec![],
                levels: vec![Level::ForeignMinisters],
            }],
            children: sections,
        }];
    }
    Dossier {
        queries: Vec::new(),
        stale_after_years: None,
        slug: "deep".into(),
        title: "Deep".into(),
        description: String::new(),
        source: Some("deep.txt".into()),
        sections,
    }
}

#[test]
fn a_dossier_at_the_depth_limit_round_trips() {
    each_store(|s| {
        let d = nested(MAX_SECTION_DEPTH);
        s.write(&Archive {
            dossiers: vec![d.clone()],
            documents: vec![doc("act")],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.dossier("deep").unwrap(), Some(d));
    });
}

#[test]
fn a_dossier_too_deep_is_refused_and_nothing_is_written() {
    each_store(|s| {
        s.write(&Archive {
            dossiers: vec![nested(1)],
            documents: vec![doc("act")],
            ..Default::default()
        })
        .unwrap();
        let before = (s.last_change().unwrap(), s.dossier("deep").unwrap());
        for depth in [MAX_SECTION_DEPTH + 1, 63, 2000] {
            let e = s
                .write(&Archive {
                    dossiers: vec![nested(depth)],
                    ..Default::default()
                })
                .unwrap_err();
            let deepest = MAX_SECTION_DEPTH + 1;
            assert!(
            e.to_string().starts_with(&format!(
                "refused to write: dossier `deep`, field `sections.s{deepest}`: section 1. > 2. > 3. >"
            )),
            "{e}"
        );
            assert!(e.to_string().contains("at most 16 levels"), "{e}");
            assert_eq!(
                (s.last_change().unwrap(), s.dossier("deep").unwrap()),
                before
            );
        }
    });
}

/// A dossier nested 70 sections deep as JSON: deeper than serde_json reads (128 levels).
fn too_deep_json() -> String {
    let mut s = String::from(r#"{"key":"x","label":"","title":"x"}"#);
    for i in 0..70 {
        s = format!(r#"{{"key":"k{i}","label":"","title":"t","children":[{s}]}}"#);
    }
    format!(r#"{{"slug":"deep","title":"Deep","sections":[{s}]}}"#)
}

#[test]
fn a_row_that_cannot_be_read_fails_alone() {
    each_store(|s| {
        s.write(&Archive {
            dossiers: vec![nested(2)],
            documents: vec![doc("act"), doc("bad"), doc("zed")],
            ..Default::default()
        })
        .unwrap();
        s.delete(RecordType::Document, "zed").unwrap();
        // Rows written behind the store's back: the dossier too deep to read, a document
        // and a tombstone that are not JSON at all.
        s.execute(&format!(
            "UPDATE dossiers SET data = '{}' WHERE slug = 'deep'",
            too_deep_json()
        ));
        s.execute("UPDATE records SET data = '{not json' WHERE type = 'document' AND slug = 'bad'");
        s.execute("UPDATE tombstones SET data = '[' WHERE type = 'document' AND slug = 'zed'");

        let s = s.open_again();
        // Each bad record, asked for by its slug, says which it is.
        let e = s.dossier("deep").unwrap_err();
        assert!(
            matches!(&e, StoreError::Corrupt { record: "dossier", slug, .. } if slug == "deep"),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("stored dossier `deep` cannot be read: recursion limit exceeded"),
            "{e}"
        );
        let e = s.document("bad").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("stored document `bad` cannot be read"),
            "{e}"
        );
        // Lists skip them and keep the rest.
        let docs = s.documents(&DocumentQuery::default()).unwrap();
        assert_eq!(
            docs.iter().map(|d| d.slug.as_str()).collect::<Vec<_>>(),
            ["act"]
        );
        assert_eq!(s.document("act").unwrap().unwrap().slug, "act");
        assert!(s.tombstones(RecordType::Document).unwrap().is_empty());
        assert_eq!(s.dossiers().unwrap().len(), 1);
        // And the store takes writes, which replace the bad rows.
        s.write(&Archive {
            dossiers: vec![nested(3)],
            documents: vec![doc("bad")],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.dossier("deep").unwrap(), Some(nested(3)));
        assert_eq!(s.document("bad").unwrap(), Some(doc("bad")));
    });
}
