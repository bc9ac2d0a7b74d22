//! Archived copies on PostgreSQL (issue 29: servers are stateless): `dossier links capture`
//! keeps the WARC files in the database, not in the data directory, and another server's
//! data directory (one that never captured anything) exports every copy and its WARC file
//! byte for byte. Runs when `DOSSIER_TEST_DATABASE_URL` names a database (CI sets it), in
//! a schema made for the test and dropped after it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};

#[path = "common/pg_schema.rs"]
mod pg_schema;

use pg_schema::{Schema, DATABASE_URL};

/// A cited site: a page with its stylesheet and image; anything else is a 404.
fn origin() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                        break;
                    }
                }
                let (status, ctype, body): (&str, &str, &[u8]) = match path.as_str() {
                    "/act.html" => (
                        "200 OK",
                        "text/html; charset=utf-8",
                        b"<!doctype html><title>The act</title><link rel=stylesheet \
                          href=/act.css><h1>Act</h1><img src=/seal.png alt=seal>",
                    ),
                    "/act.css" => ("200 OK", "text/css", b"h1{color:navy}"),
                    "/seal.png" => ("200 OK", "image/png", b"\x89PNG\r\n\x1a\nseal"),
                    _ => ("404 Not Found", "text/plain", b"no"),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(body);
            });
        }
    });
    format!("http://{addr}")
}

fn dossier(data: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dossier"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("DOSSIER_DATABASE_URL", url)
        .env_remove("DOSSIER_DATA_DIR")
        .output()
        .unwrap()
}

fn ok(o: Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

#[test]
fn copies_live_in_the_database_and_another_server_exports_them() {
    let Some(admin_url) = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipped: {DATABASE_URL} is not set");
        return;
    };
    let schema = Schema::new(&admin_url, "capture_test");
    let url = schema.url();
    let site = origin();
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let md = one.path().join("cited.md");
    std::fs::write(
        &md,
        format!(
            r#"+++
title = "A statement citing a local page"
kind = "statement"
date = "1997-05-27"
sources = [
  {{ title = "the act", url = "{site}/act.html" }},
  {{ title = "missing", url = "{site}/missing" }},
]
+++
Text.
"#
        ),
    )
    .unwrap();
    ok(dossier(
        one.path(),
        &url,
        &["import", "markdown", md.to_str().unwrap()],
    ));

    let out = ok(dossier(
        one.path(),
        &url,
        &["links", "capture", "--allow-host", "127.0.0.1", "--json"],
    ));
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(
        (v["captured"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(1)),
        "{v}"
    );
    assert_eq!(v["resources"], 2, "{v}");
    assert_eq!(v["warc_in_database"], true, "{v}");
    assert!(v["warc_dir"].is_null(), "{v}");
    let file = v["files"][0].as_str().unwrap().to_string();
    assert!(
        !one.path().join("warc").exists(),
        "a WARC file was written in the data directory"
    );

    // The database holds the file and its digest; every record points at it.
    let mut db = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let row = db
        .query_one(
            "SELECT bytes, length, sha256 = encode(sha256(bytes), 'hex')
             FROM warc_files WHERE name = $1",
            &[&file],
        )
        .unwrap();
    let (bytes, length, digest_matches): (Vec<u8>, i64, bool) =
        (row.get(0), row.get(1), row.get(2));
    assert_eq!(length as usize, bytes.len());
    assert!(digest_matches, "the kept digest is the bytes'");
    let orphans: i64 = db
        .query_one(
            "SELECT count(*) FROM captures c
             WHERE NOT EXISTS (SELECT 1 FROM warc_files w WHERE w.name = c.warc_file)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(orphans, 0, "a capture row points at a file the store lacks");
    let page_id: i64 = db
        .query_one(
            "SELECT id FROM captures WHERE url = $1",
            &[&format!("{site}/act.html")],
        )
        .unwrap()
        .get(0);
    drop(db);

    // Another server's data directory, which never captured anything, exports them.
    let out_dir = two.path().join("site");
    ok(dossier(
        two.path(),
        &url,
        &[
            "export",
            "site",
            "--base-url",
            "https://archive.example/",
            out_dir.to_str().unwrap(),
        ],
    ));
    let exported = std::fs::read(out_dir.join("warc").join(&file)).unwrap();
    assert_eq!(exported, bytes, "the exported WARC file is the database's");
    let page = std::fs::read_to_string(out_dir.join(format!("archive/{page_id}.html"))).unwrap();
    assert!(page.contains("Archived copy"), "{page}");
    assert!(page.contains("<h1>Act</h1>"), "{page}");
}
