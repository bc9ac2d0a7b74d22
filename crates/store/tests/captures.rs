//! The index of archived copies (issue 25) on every backend ([`common::each_store`]):
//! copies indexed and found (by address, newest per page, nearest in time), a capture
//! refused whole, and the change log moving only for citing records that exist; and the
//! WARC files themselves (kept, listed, read whole and by range, never replaced, hostile
//! names refused), a 20 MB one included.

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

/// Bytes that do not repeat (a WARC file's members are gzip): each 8 bytes a counter
/// mixed with `seed`, so a range read at the wrong place gives other bytes.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let mut x = seed;
    while out.len() < len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn warc_files_are_kept_listed_and_read_back() {
    each_store(|s| {
        let c = copies(&**s);
        assert!(c.warc_names().unwrap().is_empty());
        let b = noise(5_000, 2);
        let a = noise(3_000, 1);
        c.write_warc_file("dossier-b.warc.gz", &b).unwrap();
        c.write_warc_file("dossier-a.warc.gz", &a).unwrap();
        assert_eq!(
            c.warc_names().unwrap(),
            ["dossier-a.warc.gz", "dossier-b.warc.gz"],
            "sorted"
        );
        assert_eq!(c.read_warc_file("dossier-a.warc.gz").unwrap(), a);
        assert_eq!(
            c.read_warc_range("dossier-b.warc.gz", 1000, 200).unwrap(),
            &b[1000..1200]
        );
        assert_eq!(
            c.read_warc_range("dossier-b.warc.gz", 4_990, 10).unwrap(),
            &b[4_990..]
        );
        assert!(c
            .read_warc_range("dossier-b.warc.gz", 0, 0)
            .unwrap()
            .is_empty());
        // Another process (another server on the database) sees the same files.
        let other = s.open_again();
        let other = other.captures().unwrap();
        assert_eq!(other.read_warc_file("dossier-b.warc.gz").unwrap(), b);
    });
}

/// A kept file is never replaced or cut short: the records indexed in it would then
/// point at other bytes.
#[test]
fn a_kept_warc_file_is_never_replaced() {
    each_store(|s| {
        let c = copies(&**s);
        let first = noise(100, 1);
        c.write_warc_file("dossier-x.warc.gz", &first).unwrap();
        let e = c
            .write_warc_file("dossier-x.warc.gz", &noise(10, 2))
            .unwrap_err();
        assert!(e.to_string().contains("dossier-x.warc.gz"), "{e}");
        assert!(e.to_string().contains("never replaced"), "{e}");
        assert_eq!(c.read_warc_file("dossier-x.warc.gz").unwrap(), first);
        assert_eq!(c.warc_names().unwrap(), ["dossier-x.warc.gz"]);
    });
}

/// A range past the end (a row pointing at the wrong place), huge sizes included, and a
/// file the store lacks are errors that say which file, never a short read or a huge
/// allocation.
#[test]
fn ranges_past_the_end_and_missing_files_are_errors() {
    each_store(|s| {
        let c = copies(&**s);
        c.write_warc_file("dossier-x.warc.gz", &noise(100, 1))
            .unwrap();
        for (offset, length) in [
            (90, 11),
            (100, 1),
            (1_000, 1),
            (0, u64::MAX),
            (u64::MAX, 1),
            (u64::MAX - 1, 2),
            (1 << 40, 1 << 40),
        ] {
            let e = c
                .read_warc_range("dossier-x.warc.gz", offset, length)
                .unwrap_err();
            assert!(e.to_string().contains("dossier-x.warc.gz"), "{e}");
        }
        for e in [
            c.read_warc_file("dossier-none.warc.gz").unwrap_err(),
            c.read_warc_range("dossier-none.warc.gz", 0, 1).unwrap_err(),
        ] {
            assert!(e.to_string().contains("dossier-none.warc.gz"), "{e}");
        }
    });
}

/// Names that could reach a file elsewhere (path traversal, absolute paths, a NUL, a
/// hidden file, another suffix) are refused by every method on every backend, and
/// nothing is written.
#[test]
fn hostile_warc_names_are_refused() {
    each_store(|s| {
        let c = copies(&**s);
        for bad in [
            "../x.warc.gz",
            "../../etc/passwd",
            "a/b.warc.gz",
            "/tmp/x.warc.gz",
            "a\\b.warc.gz",
            "..warc.gz",
            ".hidden.warc.gz",
            "x\0.warc.gz",
            "x.warc.gz\0",
            "x.warc",
            "x.warc.gz/",
            "",
            "x y.warc.gz",
            "<script>.warc.gz",
        ] {
            assert!(!is_warc_name(bad), "{bad:?}");
            let e = c.write_warc_file(bad, b"x").unwrap_err();
            assert!(e.to_string().contains("not the name of a WARC file"), "{e}");
            assert!(c.read_warc_file(bad).is_err(), "{bad:?}");
            assert!(c.read_warc_range(bad, 0, 1).is_err(), "{bad:?}");
        }
        let long = format!("{}.warc.gz", "a".repeat(250));
        assert!(c.write_warc_file(&long, b"x").is_err());
        // The longest name allowed is kept (a file system's names go to 255 bytes).
        let longest = format!("{}.warc.gz", "a".repeat(247));
        assert_eq!(longest.len(), 255);
        c.write_warc_file(&longest, b"x").unwrap();
        assert_eq!(c.read_warc_file(&longest).unwrap(), b"x");
        c.write_warc_file("dossier-ok.warc.gz", b"y").unwrap();
        assert_eq!(
            c.warc_names().unwrap(),
            [longest.as_str(), "dossier-ok.warc.gz"]
        );
    });
}

/// A 20 MB file (a page with its images) round-trips whole, and a record at its very
/// end reads alone.
#[test]
fn a_20_mb_warc_file_round_trips() {
    each_store(|s| {
        let c = copies(&**s);
        let big = noise(20 << 20, 7);
        c.write_warc_file("dossier-big.warc.gz", &big).unwrap();
        assert!(c.read_warc_file("dossier-big.warc.gz").unwrap() == big);
        let end = big.len() as u64;
        assert_eq!(
            c.read_warc_range("dossier-big.warc.gz", end - 4_096, 4_096)
                .unwrap(),
            &big[big.len() - 4_096..]
        );
        assert!(c
            .read_warc_range("dossier-big.warc.gz", end - 4_096, 4_097)
            .is_err());
    });
}

/// On PostgreSQL the bytes are kept out of line and uncompressed (so a range read takes
/// only its chunks), and the table itself refuses a name that is not a plain file name,
/// whatever writes to it.
#[test]
fn the_postgresql_table_keeps_bytes_apart_and_refuses_paths() {
    let Some(s) = postgres() else {
        return;
    };
    let mut client = postgres::Client::connect(s.postgres_url().unwrap(), postgres::NoTls).unwrap();
    let storage: i8 = client
        .query_one(
            "SELECT attstorage FROM pg_attribute
             WHERE attrelid = 'warc_files'::regclass AND attname = 'bytes'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(storage as u8, b'e', "STORAGE EXTERNAL");
    for bad in ["../x.warc.gz", "a/b.warc.gz", ".x.warc.gz", "x.warc"] {
        let e = client
            .execute(
                "INSERT INTO warc_files (name, bytes, length, sha256, created_at)
                 VALUES ($1, 'x', 1, repeat('a', 64), 0)",
                &[&bad],
            )
            .unwrap_err();
        assert_eq!(
            e.code(),
            Some(&postgres::error::SqlState::CHECK_VIOLATION),
            "{bad}: {e:?}"
        );
    }
    drop(client);
}
