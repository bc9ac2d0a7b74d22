//! The index of archived copies (issue 25) on every backend ([`common::each_store`]):
//! copies indexed and found (by address, newest per page, nearest in time), a capture
//! refused whole, and the change log moving only for citing records that exist.

mod common;

use common::*;
use dossier_model::*;
use dossier_store::captures::*;
use dossier_store::{ChangeOp, Store};

fn new(page: &str, url: &str, at: i64) -> NewCapture {
    NewCapture {
        page: page.into(),
        url: url.into(),
        captured_at: at,
        warc_file: "dossier-x.warc.gz".into(),
        offset: 10,
        length: 20,
        status: 200,
        content_type: "text/html".into(),
        sha256: "a".repeat(64),
    }
}

fn copies(s: &dyn Store) -> &dyn Captures {
    s.captures()
        .expect("every backend keeps the index of copies")
}

#[test]
fn copies_are_indexed_and_found() {
    each_store(|s| {
        let c = copies(&**s);
        let ids = c
            .add_captures(
                &[
                    new("https://a.example/", "https://a.example/", 100),
                    new("https://a.example/", "https://a.example/s.css", 100),
                    new("https://a.example/", "https://a.example/", 200),
                ],
                &[(RecordType::Document, "no-such-record".into())],
            )
            .unwrap();
        assert_eq!(ids.len(), 3);
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "ids in the rows' order"
        );
        // No change logged for a record that does not exist.
        assert_eq!(s.last_change().unwrap(), 0);
        let css = c.capture(ids[1]).unwrap().unwrap();
        assert_eq!(
            css,
            Capture {
                id: ids[1],
                ..capture_of(new("https://a.example/", "https://a.example/s.css", 100))
            }
        );
        assert!(c.capture(ids[2] + 100).unwrap().is_none());
        let of_page = c.captures_of("https://a.example/").unwrap();
        assert_eq!(
            of_page.iter().map(|x| x.captured_at).collect::<Vec<_>>(),
            [100, 200],
            "oldest first"
        );
        // The newest copy of each page, once however often the page is asked.
        let latest = c
            .latest_captures(&[
                "https://a.example/",
                "https://b.example/",
                "https://a.example/",
            ])
            .unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!((latest[0].id, latest[0].captured_at), (ids[2], 200));
        assert!(c.latest_captures(&[]).unwrap().is_empty());
        // The resource kept with the page's capture nearest in time.
        let found = c
            .capture_for("https://a.example/", "https://a.example/s.css", 200)
            .unwrap()
            .unwrap();
        assert_eq!(found.id, ids[1]);
        assert!(c
            .capture_for("https://b.example/", "https://a.example/s.css", 200)
            .unwrap()
            .is_none());
        assert_eq!(
            c.all_captures()
                .unwrap()
                .iter()
                .map(|x| x.id)
                .collect::<Vec<_>>(),
            ids
        );
    });
}

fn capture_of(n: NewCapture) -> Capture {
    Capture {
        id: 0,
        page: n.page,
        url: n.url,
        captured_at: n.captured_at,
        warc_file: n.warc_file,
        offset: n.offset,
        length: n.length,
        status: n.status,
        content_type: n.content_type,
        sha256: n.sha256,
    }
}

#[test]
fn a_bad_digest_is_refused_whole() {
    each_store(|s| {
        let c = copies(&**s);
        let mut bad = new("https://a.example/", "https://a.example/", 1);
        bad.sha256 = "short".into();
        let ok = new("https://a.example/", "https://a.example/", 1);
        let e = c.add_captures(&[ok, bad], &[]).unwrap_err();
        assert!(e.to_string().contains("https://a.example/"), "{e}");
        assert!(c.all_captures().unwrap().is_empty());
        // A length of zero is no WARC record either.
        let mut empty = new("https://a.example/", "https://a.example/", 1);
        empty.length = 0;
        assert!(c.add_captures(&[empty], &[]).is_err());
        assert!(c.all_captures().unwrap().is_empty());
    });
}

/// The pages that cite a captured address now show the copy: each existing citing record
/// gets one change (an upsert) in the same transaction, so caches and the search index
/// follow; a citing record that is gone gets none (it would read as its coming back).
#[test]
fn a_capture_logs_a_change_for_each_citing_record_that_exists() {
    each_store(|s| {
        s.write(&Archive {
            dossiers: vec![Dossier {
                queries: Vec::new(),
                stale_after_years: None,
                slug: "d".into(),
                title: "D".into(),
                description: String::new(),
                source: None,
                sections: vec![],
            }],
            ..Default::default()
        })
        .unwrap();
        let before = s.last_change().unwrap();
        copies(&**s)
            .add_captures(
                &[new("https://a.example/", "https://a.example/", 1)],
                &[
                    (RecordType::Dossier, "d".into()),
                    (RecordType::Body, "gone".into()),
                ],
            )
            .unwrap();
        let changes = s.changes_since(before, 10).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].record, changes[0].slug.as_str(), changes[0].op),
            (RecordType::Dossier, "d", ChangeOp::Upsert)
        );
        // A capture with no records (a failed fetch) logs nothing.
        copies(&**s)
            .add_captures(&[], &[(RecordType::Dossier, "d".into())])
            .unwrap();
        assert_eq!(s.last_change().unwrap(), before + 1);
    });
}

/// An address holding a NUL (a hostile `%00` in a Memento path) has no copies on every
/// backend, never a database error.
#[test]
fn an_address_holding_a_nul_has_no_copies() {
    each_store(|s| {
        let c = copies(&**s);
        c.add_captures(&[new("https://a.example/", "https://a.example/", 1)], &[])
            .unwrap();
        let hostile = "https://a.example/\0";
        assert!(c.captures_of(hostile).unwrap().is_empty());
        assert!(c.capture_for(hostile, hostile, 1).unwrap().is_none());
        assert!(c
            .capture_for("https://a.example/", hostile, 1)
            .unwrap()
            .is_none());
        let latest = c.latest_captures(&[hostile, "https://a.example/"]).unwrap();
        assert_eq!(latest.len(), 1);
    });
}
