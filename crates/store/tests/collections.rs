//! Collections in the store (issue 27): written with the records that name them, counted
//! through their links, updated only where a field differs, and never named by a record
//! unless they exist.

use dossier_model::*;
mod common;

use common::*;
use dossier_store::{names_existing, Store};

fn doc(slug: &str, date: &str, collections: &[&str]) -> Document {
    let mut d: Document = serde_json::from_value(serde_json::json!({
        "slug": slug,
        "title": format!("Title of {slug}"),
        "kind": "statement",
        "date": date,
    }))
    .unwrap();
    d.collections = collections.iter().map(|c| c.to_string()).collect();
    d
}

fn collection(slug: &str, title: &str) -> Collection {
    Collection {
        slug: slug.into(),
        title: title.into(),
        description: String::new(),
        source: Some("Office of the Historian".into()),
        url: Some("https://history.state.gov/milestones".into()),
    }
}

fn counts(s: &dyn Store) -> Vec<(String, usize)> {
    s.collections()
        .unwrap()
        .into_iter()
        .map(|(c, n)| (c.slug, n))
        .collect()
}

#[test]
fn a_collection_is_written_with_its_records_and_counted_by_them() {
    each_store(|s| {
        s.write(&Archive {
            collections: vec![
                collection("visits", "Visits"),
                collection("essays", "Essays"),
            ],
            documents: vec![
                doc("b", "2001", &["essays"]),
                doc("a", "1997", &["essays", "visits"]),
            ],
            ..Default::default()
        })
        .unwrap();
        // By title.
        assert_eq!(
            counts(s.as_store()),
            [("essays".to_string(), 2), ("visits".to_string(), 1)]
        );
        let cards: Vec<String> = s
            .collection_cards("essays", RecordType::Document)
            .unwrap()
            .into_iter()
            .map(|c| c.slug)
            .collect();
        assert_eq!(cards, ["a", "b"], "in date order");
        assert!(s
            .collection_cards("essays", RecordType::Event)
            .unwrap()
            .is_empty());
        assert_eq!(s.collection_documents("visits").unwrap()[0].slug, "a");
        assert!(names_existing(s.as_store(), "collection", "visits"));
        assert!(!names_existing(s.as_store(), "collection", "nope"));
        assert!(names_existing(s.as_store(), "document", "a"));

        // A record leaves a collection with its next write, and its deletion takes its links.
        s.write(&Archive {
            documents: vec![doc("a", "1997", &["visits"])],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            counts(s.as_store()),
            [("essays".to_string(), 1), ("visits".to_string(), 1)]
        );
        assert!(s.delete(RecordType::Document, "a").unwrap());
        assert_eq!(
            counts(s.as_store()),
            [("essays".to_string(), 1), ("visits".to_string(), 0)]
        );
    });
}

#[test]
fn a_collection_written_again_takes_the_new_fields_and_logs_no_change() {
    each_store(|s| {
        let c = collection("essays", "Essays");
        s.write(&Archive {
            collections: vec![c.clone()],
            ..Default::default()
        })
        .unwrap();
        let before = s.last_change().unwrap();
        let mut renamed = c.clone();
        renamed.title = "Milestones essays".into();
        renamed.url = None;
        s.write(&Archive {
            collections: vec![renamed.clone()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.collection("essays").unwrap(), Some(renamed));
        // Not a record: no entry in the change log.
        assert_eq!(s.last_change().unwrap(), before);
    });
}

#[test]
fn a_record_naming_a_missing_or_bad_collection_is_refused_and_nothing_is_written() {
    each_store(|s| {
        let e = s
            .write(&Archive {
                documents: vec![doc("a", "1997", &["nowhere"])],
                ..Default::default()
            })
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("document `a`, field `collections`: no collection `nowhere` in the archive"),
            "{e}"
        );
        let mut bad = collection("essays", "<script>alert(1)</script>");
        bad.url = Some("javascript:alert(1)".into());
        let e = s
            .write(&Archive {
                collections: vec![bad],
                documents: vec![doc("a", "1997", &["essays"])],
                ..Default::default()
            })
            .unwrap_err()
            .to_string();
        assert!(e.contains("collection `essays`, field `url`"), "{e}");
        assert!(s.collections().unwrap().is_empty());
        assert!(s.document("a").unwrap().is_none());
        // A title with markup is words: stored as typed.
        s.write(&Archive {
            collections: vec![collection("essays", "<script>alert(1)</script>")],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            s.collection("essays").unwrap().unwrap().title,
            "<script>alert(1)</script>"
        );
    });
}
