//! `dossier links check` run as a user would, against a local server started here: the
//! archive's cited addresses checked, the results printed (table and JSON) and kept as
//! history, and nothing local fetched without `--allow-host`.

use dossier_store::{LinkOutcome, SqliteStore, Store};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, out, stdout};

/// A server on 127.0.0.1 answering by path; counts the requests it gets.
fn serve() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 2048];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let head = String::from_utf8_lossy(&buf).to_string();
                let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                let (status, extra, body) = match path.as_str() {
                    "/ok" => ("200 OK", String::new(), "<h1>The Act</h1>"),
                    "/gone" => ("410 Gone", String::new(), "gone"),
                    "/moved" => ("301 Moved", "Location: /ok\r\n".to_string(), ""),
                    "/to-metadata" => (
                        "302 Found",
                        "Location: http://169.254.169.254/latest/meta-data/\r\n".to_string(),
                        "",
                    ),
                    _ => ("404 Not Found", String::new(), "<h1>Not found</h1>"),
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes());
            });
        }
    });
    (port, hits)
}

/// An archive whose one document cites the server's pages (and a hostile title).
fn archive(dir: &Path, port: u16) {
    let md = dir.join("cited.md");
    std::fs::write(
        &md,
        format!(
            r#"+++
title = "A statement <script>alert(1)</script> cited from local pages"
kind = "statement"
date = "1997-05-27"
sources = [
  {{ title = "ok", url = "http://127.0.0.1:{port}/ok" }},
  {{ title = "gone", url = "http://127.0.0.1:{port}/gone" }},
  {{ title = "missing", url = "http://127.0.0.1:{port}/missing" }},
  {{ title = "moved", url = "http://127.0.0.1:{port}/moved" }},
  {{ title = "into the metadata service", url = "http://127.0.0.1:{port}/to-metadata" }},
]
+++
Text.
"#
        ),
    )
    .unwrap();
    let o = dossier(dir, &["import", "markdown", md.to_str().unwrap()]);
    assert!(o.status.success(), "{}", out(&o));
}

#[test]
fn links_check_reports_and_keeps_history() {
    let dir = tempfile::tempdir().unwrap();
    let (port, hits) = serve();
    archive(dir.path(), port);

    // Without --allow-host nothing local is fetched.
    let o = dossier(dir.path(), &["links", "check"]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        stdout(&o).contains("Checked 5 addresses: 5 refused."),
        "{}",
        out(&o)
    );
    assert!(
        stdout(&o).contains("127.0.0.1 is a loopback address"),
        "{}",
        out(&o)
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);

    let o = dossier(
        dir.path(),
        &["links", "check", "--allow-host", "127.0.0.1", "--json"],
    );
    assert!(o.status.success(), "{}", out(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!(v["checked"], 5);
    let by_url = |path: &str| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["url"] == format!("http://127.0.0.1:{port}{path}"))
            .unwrap_or_else(|| panic!("{path} in {v}"))
            .clone()
    };
    assert_eq!(by_url("/ok")["outcome"], "ok");
    assert_eq!(by_url("/gone")["outcome"], "gone");
    assert_eq!(by_url("/missing")["outcome"], "broken");
    assert_eq!(by_url("/missing")["status"], 404);
    let moved = by_url("/moved");
    assert_eq!(moved["outcome"], "redirected");
    assert_eq!(moved["redirects"][0]["status"], 301);
    assert_eq!(
        moved["final_url"],
        format!("http://127.0.0.1:{port}/ok").as_str()
    );
    let meta = by_url("/to-metadata");
    assert_eq!(meta["outcome"], "refused");
    assert!(
        meta["message"].as_str().unwrap().contains("cloud metadata"),
        "{meta}"
    );
    assert_eq!(by_url("/ok")["cited_by"][0]["field"], "sources[0].url");
    assert_eq!(by_url("/ok")["cited_by"][0]["record"], "document");
    assert_eq!(v["counts"]["refused"], 1);
    assert_eq!(v["failed"], 2);

    // Both runs and every result are kept.
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    let lc = store.link_checks().unwrap();
    let runs = lc.link_runs(10).unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs.iter().all(|r| r.finished_at.is_some()));
    assert_eq!((runs[0].checked, runs[0].failed), (5, 2));
    let ok = format!("http://127.0.0.1:{port}/ok");
    let history = lc.link_history(&ok, 10).unwrap();
    assert_eq!(
        history.iter().map(|c| c.outcome).collect::<Vec<_>>(),
        [LinkOutcome::Ok, LinkOutcome::Refused]
    );

    // An unknown dossier is said plainly.
    let o = dossier(dir.path(), &["links", "check", "--dossier", "no-such"]);
    assert!(!o.status.success());
    assert!(out(&o).contains("no-such"), "{}", out(&o));
}

#[test]
fn serve_refuses_a_schedule_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    for (bad, says) in [
        ("0s", "between 1s and 366d"),
        ("400d", "between 1s and 366d"),
        ("7", "the unit must be"),
        ("7x", "the unit must be"),
        ("d", "not an interval"),
        ("<script>", "not an interval"),
    ] {
        let o = dossier(
            dir.path(),
            &[
                "serve",
                "--addr",
                "127.0.0.1:0",
                &format!("--check-links-every={bad}"),
            ],
        );
        assert!(!o.status.success(), "{bad}: {}", out(&o));
        assert!(out(&o).contains(says), "{bad}: {}", out(&o));
    }
}
