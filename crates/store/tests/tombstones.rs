//! Tombstones: a deleted record leaves what it was (kind, dossiers), so that harvesters can
//! report the deletion in the sets the record was in.

use dossier_model::RecordType;
use dossier_model::*;
mod common;

use common::*;
use dossier_store::Tombstone;

fn doc(slug: &str, kind: DocumentKind, dossiers: &[&str]) -> Document {
    Document {
        collections: Vec::new(),
        coverage: None,
        texts: Vec::new(),
        slug: slug.into(),
        title: format!("Title of {slug}"),
        aliases: vec![],
        kind,
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
        dossiers: dossiers.iter().map(|d| d.to_string()).collect(),
        topics: vec![],
        provenance: Provenance::default(),
    }
}

fn dossier(slug: &str) -> Dossier {
    Dossier {
        queries: Vec::new(),
        stale_after_years: None,
        slug: slug.into(),
        title: slug.to_uppercase(),
        description: String::new(),
        source: None,
        sections: vec![],
    }
}

#[test]
fn a_deleted_record_leaves_a_tombstone_until_it_comes_back() {
    each_store(|s| {
        s.write(&Archive {
            dossiers: vec![dossier("d"), dossier("e")],
            documents: vec![
                doc("one", DocumentKind::Declaration, &["d", "e"]),
                doc("two", DocumentKind::Treaty, &["e"]),
            ],
            ..Default::default()
        })
        .unwrap();
        assert!(s.tombstones(RecordType::Document).unwrap().is_empty());
        // An update is not a deletion.
        s.write(&Archive {
            documents: vec![doc("two", DocumentKind::Statement, &["e"])],
            ..Default::default()
        })
        .unwrap();
        assert!(s.tombstones(RecordType::Document).unwrap().is_empty());

        assert!(s.delete(RecordType::Document, "one").unwrap());
        let t = s.tombstones(RecordType::Document).unwrap();
        assert_eq!(t.len(), 1);
        let Tombstone {
            slug,
            kind,
            dossiers,
            at,
        } = &t[0];
        assert_eq!(slug, "one");
        assert_eq!(kind, "declaration");
        assert_eq!(dossiers, &["d", "e"]);
        assert!(at.ends_with('Z') && at.len() == 20, "{at}");
        assert!(s.tombstones(RecordType::Event).unwrap().is_empty());

        // The last copy counts: `two` was a statement when deleted.
        assert!(s.delete(RecordType::Document, "two").unwrap());
        let t = s.tombstones(RecordType::Document).unwrap();
        let slugs: Vec<&str> = t.iter().map(|t| t.slug.as_str()).collect();
        assert_eq!(slugs, ["one", "two"], "in slug order");
        assert_eq!(t[1].kind, "statement");

        // Written again: no longer deleted, so no tombstone is given out.
        s.write(&Archive {
            documents: vec![doc("one", DocumentKind::Declaration, &["d"])],
            ..Default::default()
        })
        .unwrap();
        let t = s.tombstones(RecordType::Document).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].slug, "two");

        // They outlive a reopening of the store.
        let s = s.open_again();
        assert_eq!(s.tombstones(RecordType::Document).unwrap()[0].slug, "two");
    });
}

#[test]
fn a_failed_delete_leaves_no_tombstone() {
    each_store(|s| {
        let mut d = dossier("d");
        d.sections.push(Section {
            claims: Vec::new(),
            key: "a".into(),
            label: "A.".into(),
            title: "Part".into(),
            short_title: None,
            commentary: "[one](ref:1)".into(),
            references: vec![Reference {
                text: "one".into(),
                target: Some(Target::Document { slug: "one".into() }),
                mention: false,
            }],
            lists: vec![],
            children: vec![],
        });
        s.write(&Archive {
            dossiers: vec![d],
            documents: vec![
                doc("one", DocumentKind::Declaration, &["d"]),
                doc("two", DocumentKind::Declaration, &["d"]),
            ],
            ..Default::default()
        })
        .unwrap();
        // A document that a section still cites cannot go, and leaves nothing behind.
        let e = s.delete(RecordType::Document, "one").unwrap_err();
        assert!(e.to_string().contains("still link"), "{e}");
        assert!(s.document("one").unwrap().is_some());
        assert!(!s.delete(RecordType::Document, "nope").unwrap());
        assert!(s.tombstones(RecordType::Document).unwrap().is_empty());
        assert!(s.tombstones(RecordType::Dossier).unwrap().is_empty());
    });
}
