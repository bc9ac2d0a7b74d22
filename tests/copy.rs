//! `dossier copy` (issue 29) as a user runs it: a whole archive (the built-in dossier,
//! imported visits in a collection, a merge and its redirect, an account with an API
//! token, a session, link checks, a capture and its WARC file) copied to another data
//! directory; every table compared row for row, straight from the two SQLite files (not
//! through the copy's own checksums); the two archives served side by side answer the
//! same. Refusals: a target that is not empty, places that are not archives, other URL
//! schemes, a file where a directory belongs; a copy that fails half-way leaves the
//! target empty. When `DOSSIER_TEST_DATABASE_URL` names a database: SQLite → PostgreSQL →
//! PostgreSQL → SQLite, in schemas made for the test and dropped after it, ends where it
//! began, with the same checksums at every step.

#[path = "common/cli.rs"]
mod cli;
#[path = "common/pg_schema.rs"]
mod pg_schema;

use cli::*;
use dossier_store::{Captures, NewCapture, SqliteStore};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `dossier copy --from FROM --to TO [EXTRA…]`, with no store setting from the
/// environment (the copy must not use one).
fn copy(from: &str, to: &str, extra: &[&str]) -> Output {
    Command::new(BIN)
        .args(["copy", "--from", from, "--to", to])
        .args(extra)
        .env_remove("DOSSIER_DATA_DIR")
        .env_remove("DOSSIER_DATABASE_URL")
        .output()
        .unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", out(o));
    stdout(o)
}

/// The WARC file the test's capture keeps.
const WARC_NAME: &str = "copy-test-20261206.warc.gz";
const WARC_BYTES: &[u8] =
    b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n";

/// A data directory holding a bit of every part of an archive.
fn archive() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&dossier(d, &["load-builtin"]));
    // The visits with reconciliation of the country turned off make a second body
    // `russia`, which is then merged into `russian-federation` (a merge, its records and
    // a redirect).
    let mapping = std::fs::read_to_string("mappings/visits.toml")
        .unwrap()
        .replacen("kind = \"state\"\n", "kind = \"state\"\nmatch = []\n", 1);
    let mapping_path = d.join("visits-unreconciled.toml");
    std::fs::write(&mapping_path, mapping).unwrap();
    ok(&dossier(
        d,
        &[
            "import",
            "records",
            "tests/fixtures/visits-russia-excerpt.xml",
            "--mapping",
            path(&mapping_path),
            "--collection",
            "visits",
        ],
    ));
    ok(&dossier(
        d,
        &["merge", "body", "russia", "russian-federation"],
    ));
    // An account (and the audit log's line for it), a token, a disabled second account.
    let add = |email: &str, role: &str| {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(d)
            .args(["user", "add", email, "--role", role, "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "a long enough password 42").unwrap();
        let o = child.wait_with_output().unwrap();
        ok(&o);
    };
    add("ada@example.org", "admin");
    add("bob@example.org", "editor");
    ok(&dossier(d, &["user", "disable", "bob@example.org"]));
    let token = ok(&dossier(
        d,
        &[
            "token",
            "create",
            "--user",
            "ada@example.org",
            "--scope",
            "write",
        ],
    ));
    std::fs::write(d.join("token.txt"), token.lines().last().unwrap().trim()).unwrap();
    // A capture of a page the founding act cites, with its WARC file.
    {
        let store = SqliteStore::open(&d.join("dossier.db")).unwrap();
        store.write_warc_file(WARC_NAME, WARC_BYTES).unwrap();
        store
            .add_captures(
                &[NewCapture {
                    page: "https://www.nato.int/cps/en/natohq/official_texts_25468.htm".into(),
                    url: "https://www.nato.int/cps/en/natohq/official_texts_25468.htm".into(),
                    captured_at: 1_780_000_000,
                    warc_file: WARC_NAME.into(),
                    offset: 0,
                    length: WARC_BYTES.len() as u64,
                    status: 200,
                    content_type: "text/html".into(),
                    sha256: "0".repeat(64),
                }],
                &[],
            )
            .unwrap();
    }
    // A session, failed logins, a link check and its run, as the server and `links check`
    // leave them.
    rusqlite::Connection::open(d.join("dossier.db"))
        .unwrap()
        .execute_batch(&format!(
            "INSERT INTO sessions VALUES ('{}', 1, 'csrf-token', 1780000000, 1780000100);
             INSERT INTO login_limits VALUES ('account', 'admin@example.org', 6, 1780000200,
                                              1780000201);
             INSERT INTO link_runs (trigger, started_at, finished_at, checked, failed)
                 VALUES ('cli', 1780000000, 1780000005, 1, 0);
             INSERT INTO link_checks (url, checked_at, outcome, status, redirects)
                 VALUES ('https://www.nato.int/', 1780000001, 'redirected', 301,
                         '[{{\"status\":301,\"url\":\"https://www.nato.int/en/\"}}]');",
            "ab".repeat(32)
        ))
        .unwrap();
    dir
}

type Rows = Vec<Vec<rusqlite::types::Value>>;

/// Every table of a store file, every row in a fixed order (records with their rowid,
/// which cards use), and SQLite's id counters: read with plain SQL, apart from the copy.
fn dump(db: &Path) -> BTreeMap<String, Rows> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let select = if t == "records" { "rowid, *" } else { "*" };
        let stmt = conn
            .prepare(&format!("SELECT {select} FROM \"{t}\""))
            .unwrap();
        let n = stmt.column_count();
        let order: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
        drop(stmt);
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {select} FROM \"{t}\" ORDER BY {}",
                order.join(", ")
            ))
            .unwrap();
        let rows: Rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| r.get::<_, rusqlite::types::Value>(i))
                    .collect()
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        out.insert(t, rows);
    }
    out
}

fn assert_same_archive(a: &Path, b: &Path) {
    let (da, db) = (dump(&a.join("dossier.db")), dump(&b.join("dossier.db")));
    assert_eq!(
        da.keys().collect::<Vec<_>>(),
        db.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (table, rows) in &da {
        assert!(
            *rows == db[table],
            "table {table} differs: {} rows against {}",
            rows.len(),
            db[table].len()
        );
    }
    for table in [
        "records",
        "revisions",
        "changes",
        "users",
        "captures",
        "merges",
    ] {
        assert!(!da[table].is_empty(), "the test's archive has {table}");
    }
    assert_eq!(
        std::fs::read(b.join("warc").join(WARC_NAME)).unwrap(),
        WARC_BYTES
    );
}

/// `dossier serve` on a free port, killed when dropped.
struct Served {
    child: std::process::Child,
    base: String,
}

impl Served {
    fn start(dir: &Path, database_url: Option<&str>) -> Served {
        let mut command = Command::new(BIN);
        command
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env_remove("DOSSIER_DATA_DIR")
            .env_remove("DOSSIER_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(url) = database_url {
            command.env("DOSSIER_DATABASE_URL", url);
        }
        let mut child = command.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("the server did not start: {line:?}"))
            .trim_end_matches('/')
            .to_string();
        Served { child, base }
    }

    /// Status, `Location` and body (its own address replaced by `BASE`, so two servers'
    /// answers compare) of a JSON GET that follows no redirect.
    fn get(&self, path: &str, token: Option<&str>) -> (u16, Option<String>, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .into();
        let mut req = agent
            .get(&format!("{}{path}", self.base))
            .header("Accept", "application/json");
        if let Some(t) = token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        let mut r = req.call().unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().replace(&self.base, "BASE"));
        let body = r.body_mut().read_to_string().unwrap();
        (
            r.status().as_u16(),
            location,
            body.replace(&self.base, "BASE"),
        )
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Addresses whose answers show records, history, the merge's redirect, collections,
/// captures and search.
const PAGES: &[&str] = &[
    "/",
    "/api/v1/dossiers/nato-russia",
    "/api/v1/bodies/russian-federation",
    "/api/v1/documents/founding-act-1997",
    "/api/v1/documents/founding-act-1997/revisions",
    "/api/v1/bodies/russian-federation/revisions",
    "/api/v1/events",
    "/bodies/russia",
    "/search?q=permanent+joint+council",
    "/search?q=type:event+collection:visits",
    "/documents/founding-act-1997",
];

/// An answer as two servers of one archive give it alike: a search's relevance scores
/// and the order they make are left out (they come from each server's own index, whose
/// term statistics count the deleted documents it has seen: a copy's index, built fresh,
/// has none).
fn comparable(page: &str, body: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(body) else {
        return body.to_string();
    };
    if page.starts_with("/search") {
        if let Some(hits) = v["hits"].as_array_mut() {
            for h in hits.iter_mut() {
                h.as_object_mut().unwrap().remove("score");
            }
            hits.sort_by_key(|h| h.to_string());
        }
    }
    v.to_string()
}

fn assert_same_answers(a: &Served, b: &Served) {
    for page in PAGES {
        let (x, y) = (a.get(page, None), b.get(page, None));
        assert!(x.0 == 200 || x.0 == 301, "{page}: {}", x.0);
        assert_eq!((x.0, &x.1), (y.0, &y.1), "{page} answers alike");
        assert_eq!(
            comparable(page, &x.2),
            comparable(page, &y.2),
            "{page} answers alike"
        );
    }
}

#[test]
fn a_copy_between_data_directories_is_the_same_archive() {
    let a = archive();
    let place = tempfile::tempdir().unwrap();
    let b = place.path().join("copy");
    let o = copy(path(a.path()), path(&b), &[]);
    let text = ok(&o);
    // The comparison table: every table, the WARC file and the id counters, each ok.
    for table in [
        "records",
        "revisions",
        "changes",
        "users",
        "sessions",
        "api_tokens",
        "audit",
        "captures",
        "merges",
        "redirects",
        "link_checks",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{table} ")))
            .unwrap_or_else(|| panic!("no line for {table}:\n{text}"));
        assert!(line.trim_end().ends_with(" ok"), "{line}");
    }
    assert!(!text.contains("DIFFERS"), "{text}");
    assert!(text.contains("WARC files"), "{text}");
    assert!(
        text.contains("builds it from the store on its first `dossier serve`"),
        "{text}"
    );
    // Progress went to standard error, as plain lines (not a terminal).
    assert!(stderr(&o).contains("copied records: "), "{}", stderr(&o));
    assert!(!b.join("index").exists(), "the index is not copied");

    assert_same_archive(a.path(), &b);
    // The deleted... disabled account, the token and the audit log came along.
    assert_eq!(
        ok(&dossier(a.path(), &["user", "list", "--json"])),
        ok(&dossier(&b, &["user", "list", "--json"]))
    );
    assert_eq!(
        ok(&dossier(a.path(), &["token", "list", "--json"])),
        ok(&dossier(&b, &["token", "list", "--json"]))
    );

    // Served side by side, the two answer alike; the copy builds its index on its first
    // start; the token made on the source opens the copy's API.
    let token = std::fs::read_to_string(a.path().join("token.txt")).unwrap();
    let (sa, sb) = (Served::start(a.path(), None), Served::start(&b, None));
    assert!(b.join("index").exists(), "the first serve builds the index");
    assert_same_answers(&sa, &sb);
    let (found, _, body) = sb.get("/search?q=type:event+collection:visits", None);
    assert_eq!(found, 200);
    assert!(body.contains("visit-779"), "{body}");
    assert_eq!(sb.get("/bodies/russia", None).0, 301);
    assert_eq!(sb.get("/api/v1/dossiers", Some(&token)).0, 200);
    assert_eq!(sb.get("/api/v1/dossiers", Some(&"0".repeat(40))).0, 401);

    // The JSON report: per table, rows and SHA-256 on each side.
    let c = place.path().join("json");
    let o = copy(path(a.path()), path(&c), &["--json"]);
    let report: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    let tables = report["tables"].as_array().unwrap();
    assert!(tables.len() >= 20, "{report}");
    for t in tables {
        assert_eq!(t["source_rows"], t["target_rows"], "{t}");
        assert_eq!(t["source_sha256"], t["target_sha256"], "{t}");
        assert_eq!(t["source_sha256"].as_str().unwrap().len(), 64);
    }
    assert_eq!(report["warc_files"][0]["name"], WARC_NAME);
}

#[test]
fn a_target_that_is_not_empty_is_refused_and_left_as_it_was() {
    let a = archive();
    let place = tempfile::tempdir().unwrap();
    let b = place.path().join("copy");
    ok(&copy(path(a.path()), path(&b), &[]));
    let before = dump(&b.join("dossier.db"));
    let o = copy(path(a.path()), path(&b), &[]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains(&format!("the target {} is not empty", b.display())),
        "{e}"
    );
    assert!(e.contains("records"), "{e}");
    assert_eq!(dump(&b.join("dossier.db")), before);

    // An archive in use: the built-in dossier loaded into it.
    let used = tempfile::tempdir().unwrap();
    ok(&dossier(used.path(), &["load-builtin"]));
    let before = dump(&used.path().join("dossier.db"));
    let o = copy(path(a.path()), path(used.path()), &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("is not empty"), "{}", stderr(&o));
    assert_eq!(dump(&used.path().join("dossier.db")), before);
}

#[test]
fn a_copy_that_fails_half_way_leaves_the_target_empty() {
    let a = archive();
    // A session of an account that is not there (written with foreign keys off, as a
    // hand-edited file might be): the target refuses it at the commit, after every other
    // row and the WARC file went in.
    let db = a.path().join("dossier.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO sessions VALUES ('{}', 999, 'csrf', 1, 2);",
        "cd".repeat(32)
    ))
    .unwrap();
    let place = tempfile::tempdir().unwrap();
    let b = place.path().join("copy");
    let o = copy(path(a.path()), path(&b), &[]);
    assert!(!o.status.success(), "{}", out(&o));
    let e = stderr(&o);
    assert!(e.contains("the target's tables are as they were"), "{e}");
    assert!(e.contains("sessions"), "{e}");
    // As a new store is: no rows (SQLite's counters as its migrations leave them).
    let fresh = place.path().join("fresh.db");
    drop(SqliteStore::open(&fresh).unwrap());
    assert_eq!(dump(&b.join("dossier.db")), dump(&fresh));
    // Mended, the copy goes through, and keeps the WARC file the failed one wrote.
    conn.execute_batch("DELETE FROM sessions WHERE user_id = 999")
        .unwrap();
    let text = ok(&copy(path(a.path()), path(&b), &[]));
    assert!(
        text.contains("1 WARC file was already in the target"),
        "{text}"
    );
    assert_same_archive(a.path(), &b);
}

#[test]
fn places_that_are_not_archives_are_refused_with_a_clear_message() {
    let a = archive();
    let src = path(a.path());
    let place = tempfile::tempdir().unwrap();
    let p = place.path();
    let refused = |from: &str, to: &str, expected: &str| {
        let o = copy(from, to, &[]);
        assert!(!o.status.success(), "{from} -> {to}: {}", out(&o));
        let e = stderr(&o);
        assert!(e.contains(expected), "{from} -> {to}: {e}");
    };
    // A file where the target directory belongs is left alone.
    let file = p.join("a-file");
    std::fs::write(&file, "mine").unwrap();
    refused(src, path(&file), "is a file, not a data directory");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    refused(
        path(&file),
        path(&p.join("t1")),
        "is a file, not a data directory",
    );
    // Other URL schemes, whichever end.
    for url in [
        "http://example.org/archive",
        "file:///tmp/archive",
        "https://x/y",
    ] {
        refused(
            src,
            url,
            "is not a place an archive can be copied from or to",
        );
        refused(
            url,
            path(&p.join("t2")),
            "is not a place an archive can be copied",
        );
    }
    assert!(!p.join("t2").exists(), "nothing made for a refused copy");
    // A database that does not answer: said, without its password; nothing made.
    for url in [
        "postgres://someone:secret@127.0.0.1:1/x?connect_timeout=2",
        "host=127.0.0.1 port=1 user=someone password=secret connect_timeout=2",
    ] {
        refused(src, url, "cannot reach the PostgreSQL database");
        refused(
            url,
            path(&p.join("t7")),
            "cannot reach the PostgreSQL database",
        );
        let o = copy(src, url, &[]);
        assert!(!out(&o).contains("secret"), "{}", out(&o));
    }
    assert!(!p.join("t7").exists(), "nothing made for a refused copy");
    // A source that is not there, holds no store, or holds something else.
    refused(
        path(&p.join("nowhere")),
        path(&p.join("t3")),
        "cannot read the data directory",
    );
    let empty = p.join("empty");
    std::fs::create_dir(&empty).unwrap();
    refused(path(&empty), path(&p.join("t4")), "holds no archive");
    let corrupt = p.join("corrupt");
    std::fs::create_dir(&corrupt).unwrap();
    std::fs::write(corrupt.join("dossier.db"), vec![0x5a; 8192]).unwrap();
    refused(
        path(&corrupt),
        path(&p.join("t5")),
        "cannot be read as a SQLite database",
    );
    let foreign = p.join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    rusqlite::Connection::open(foreign.join("dossier.db"))
        .unwrap()
        .execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        .unwrap();
    refused(
        path(&foreign),
        path(&p.join("t6")),
        "is a SQLite database but not a dossier store",
    );
    // ... nor as a target: the foreign file is not touched.
    let before = std::fs::read(foreign.join("dossier.db")).unwrap();
    refused(src, path(&foreign), "not a dossier store");
    refused(src, path(&corrupt), "cannot be read as a SQLite database");
    assert_eq!(std::fs::read(foreign.join("dossier.db")).unwrap(), before);
    // The same archive at both ends; a target with another archive's search index.
    refused(src, src, "name the same archive");
    let stale = p.join("stale");
    std::fs::create_dir_all(stale.join("index")).unwrap();
    refused(src, path(&stale), "holds a search index");
}

/// PostgreSQL: `DOSSIER_TEST_DATABASE_URL` names a database; the test makes its schemas.
mod postgres_round_trip {
    use super::*;

    use super::pg_schema::{Schema, DATABASE_URL};

    /// A table's name, rows and SHA-256.
    type TableSum = (String, u64, String);

    /// The per-table checksums of a `--json` report, source's and target's.
    fn sums(report: &serde_json::Value) -> (Vec<TableSum>, Vec<TableSum>) {
        let side = |rows: &str, sha: &str| {
            report["tables"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        t["table"].as_str().unwrap().to_string(),
                        t[rows].as_u64().unwrap(),
                        t[sha].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        (
            side("source_rows", "source_sha256"),
            side("target_rows", "target_sha256"),
        )
    }

    fn copied(from: &str, to: &str) -> serde_json::Value {
        let o = copy(from, to, &["--json"]);
        let report: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
        let (source, target) = sums(&report);
        assert_eq!(source, target, "{from} -> {to}");
        assert!(
            report["warc_files"][0]["target_sha256"].is_string(),
            "{report}"
        );
        report
    }

    /// Text PostgreSQL cannot hold (a NUL character, which SQLite's text can) is refused
    /// by its row, and the database is left with no row at all: one transaction.
    #[test]
    fn a_row_postgresql_cannot_take_leaves_it_empty() {
        let Some(admin_url) = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty()) else {
            eprintln!("skipped: {DATABASE_URL} is not set");
            return;
        };
        let a = tempfile::tempdir().unwrap();
        ok(&dossier(a.path(), &["load-builtin"]));
        rusqlite::Connection::open(a.path().join("dossier.db"))
            .unwrap()
            .execute_batch(
                "UPDATE records SET title = 'North Atlantic' || char(0) || 'Treaty'
                 WHERE type = 'body' AND slug = 'nato'",
            )
            .unwrap();
        let target = Schema::new(&admin_url, "copy_test_nul");
        let o = copy(path(a.path()), &target.url(), &[]);
        assert!(!o.status.success(), "{}", out(&o));
        let e = stderr(&o);
        assert!(e.contains(r#"records (type="body", slug="nato")"#), "{e}");
        assert!(e.contains("NUL character"), "{e}");
        let mut client = postgres::Client::connect(&target.url(), postgres::NoTls).unwrap();
        for table in [
            "dossiers",
            "sections",
            "records",
            "links",
            "changes",
            "revisions",
        ] {
            let rows: i64 = client
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .unwrap()
                .get(0);
            assert_eq!(rows, 0, "{table}");
        }
    }

    #[test]
    fn sqlite_to_postgresql_to_postgresql_to_sqlite_ends_where_it_began() {
        let Some(admin_url) = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty()) else {
            eprintln!("skipped: {DATABASE_URL} is not set");
            return;
        };
        let a = archive();
        let (one, two) = (
            Schema::new(&admin_url, "copy_test_one"),
            Schema::new(&admin_url, "copy_test_two"),
        );
        let place = tempfile::tempdir().unwrap();
        let c: PathBuf = place.path().join("back");

        let first = copied(path(a.path()), &one.url());
        let second = copied(&one.url(), &two.url());
        let third = copied(&two.url(), path(&c));
        // The same checksums at every step: SQLite's integers and text and PostgreSQL's
        // bigint, text and boolean read alike.
        assert_eq!(sums(&first).0, sums(&second).0);
        assert_eq!(sums(&second).0, sums(&third).1);
        assert_same_archive(a.path(), &c);

        // PostgreSQL keeps the WARC file in its table, and the ids go on past the copied
        // ones (the sequences were set).
        let mut client = postgres::Client::connect(&one.url(), postgres::NoTls).unwrap();
        let bytes: Vec<u8> = client
            .query_one(
                "SELECT bytes FROM warc_files WHERE name = $1",
                &[&WARC_NAME],
            )
            .map(|r| r.get(0))
            .unwrap_or_else(|e| panic!("the WARC file in PostgreSQL: {e}"));
        assert_eq!(bytes, WARC_BYTES);
        let (max, next): (i64, i64) = {
            let r = client
                .query_one(
                    "SELECT (SELECT max(seq) FROM changes),
                            nextval(pg_get_serial_sequence('changes', 'seq'))",
                    &[],
                )
                .unwrap();
            (r.get(0), r.get(1))
        };
        assert_eq!(next, max + 1);

        // A server on the database answers as the source's does.
        let served_dir = tempfile::tempdir().unwrap();
        let (sa, sp) = (
            Served::start(a.path(), None),
            Served::start(served_dir.path(), Some(&one.url())),
        );
        assert_same_answers(&sa, &sp);

        // A database that holds an archive is refused as a target, and left as it was.
        let o = copy(path(a.path()), &one.url(), &[]);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("is not empty"), "{}", stderr(&o));
        // A database with no archive is refused as a source (and not made one).
        let empty = Schema::new(&admin_url, "copy_test_empty");
        let o = copy(&empty.url(), path(&place.path().join("nothing")), &[]);
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("holds no dossier archive"),
            "{}",
            stderr(&o)
        );
        let tables: i64 = client
            .query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
                &[&empty.name()],
            )
            .unwrap()
            .get(0);
        assert_eq!(tables, 0);
    }
}

/// A data directory from before the OAI-PMH key was kept in the store has it in its
/// `oai-key` file: the copy carries it into the target's `settings`, so harvesters'
/// resumption tokens stay valid on the servers of the copy.
#[test]
fn an_older_data_directorys_oai_key_is_carried_by_the_copy() {
    let a = tempfile::tempdir().unwrap();
    ok(&dossier(a.path(), &["load-builtin"]));
    std::fs::write(a.path().join("oai-key"), [7u8; 32]).unwrap();
    let place = tempfile::tempdir().unwrap();
    let b = place.path().join("copy");
    ok(&copy(path(a.path()), path(&b), &[]));
    let kept: String = rusqlite::Connection::open(b.join("dossier.db"))
        .unwrap()
        .query_row(
            "SELECT value FROM settings WHERE name = 'oai-pmh-key'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, "07".repeat(32));
}
