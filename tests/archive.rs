//! Archived copies over real HTTP (issue 25): a document's cited page captured from a
//! local server, the document page showing "archived copy, captured …" beside the live
//! link (also once its page was cached before the capture), the copy replayed in a
//! sandbox with its hostile parts taken out, its image served as an image, Memento's
//! TimeMap and TimeGate, and replay addresses that try to leave the archive refused.

#[path = "common/cli.rs"]
mod cli;
mod common;

use common::TestServer;
use dossier_model::{Archive, Document};
use dossier_store::Store;
use dossier_upkeep::capture::{capture_pages, CaptureOptions, CitedPage};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

/// The cited site: a page with a stylesheet, an image and everything hostile replay must
/// take out.
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
                let (status, ctype, body): (&str, &str, Vec<u8>) = match path.as_str() {
                    "/act.html" => (
                        "200 OK",
                        "text/html; charset=utf-8",
                        br##"<!doctype html><html><head><title>The Founding Act</title>
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<link rel="stylesheet" href="/act.css"><script src="https://evil.example/x.js"></script>
</head><body onload="alert('load')"><h1>Founding Act</h1>
<p>Text of the act.</p><img src="/seal.png" alt="seal" onerror="alert('img')">
<iframe src="https://evil.example/frame"></iframe>
<a href="javascript:alert('js')">run</a> <a href="https://www.nato.int/">live site</a>
<form action="https://evil.example/post"><input name=q></form>
<script>document.body.innerHTML='owned'</script></body></html>"##
                            .to_vec(),
                    ),
                    "/act.css" => ("200 OK", "text/css", b"h1{color:#036}".to_vec()),
                    "/seal.png" => ("200 OK", "image/png", b"\x89PNG\r\n\x1a\nseal".to_vec()),
                    _ => ("404 Not Found", "text/plain", b"no".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    format!("http://{addr}")
}

fn document(url: &str) -> Document {
    serde_json::from_value(serde_json::json!({
        "slug": "founding-act-copy",
        "title": "Founding Act (cited from a local page)",
        "kind": "treaty",
        "date": "1997-05-27",
        "sources": [{"title": "The Act's text", "url": url}],
    }))
    .unwrap()
}

/// A request as written, for addresses an HTTP client would tidy up first.
fn raw_get(server: &TestServer, target: &str) -> (u16, String) {
    raw_get_with(server, target, "")
}

/// [`raw_get`] with extra header lines (each ending in CRLF); redirects not followed.
fn raw_get_with(server: &TestServer, target: &str, headers: &str) -> (u16, String) {
    let mut s = TcpStream::connect(server.addr).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: {}\r\n{headers}Connection: close\r\n\r\n",
        server.addr
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

fn header<'a>(h: &'a ureq::http::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[test]
fn a_cited_page_is_captured_shown_replayed_and_found_by_memento() {
    let site = origin();
    let cited = format!("{site}/act.html");
    let doc = document(&cited);
    let server = TestServer::with(|store| {
        store
            .write(&Archive {
                documents: vec![doc.clone()],
                ..Default::default()
            })
            .unwrap();
    });

    // Before any capture: the live link alone (and the page is now in the cache).
    let (status, page) = server.html("/documents/founding-act-copy");
    assert_eq!(status, 200);
    assert!(page.contains(&format!("href=\"{cited}\"")), "{page}");
    assert!(!page.contains("archived copy"), "{page}");
    let (status, _, _) = server.get(&format!("/timemap/link/{cited}"));
    assert_eq!(status, 404);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut options = CaptureOptions::default();
    options.policy.allow_hosts = vec!["127.0.0.1".into()];
    let mut reports = Vec::new();
    let summary = rt
        .block_on(capture_pages(
            server.store.as_ref(),
            &[CitedPage {
                url: cited.clone(),
                citing: vec![(dossier_model::RecordType::Document, doc.slug.clone())],
            }],
            &options,
            &mut |r| reports.push(r.clone()),
        ))
        .unwrap();
    assert_eq!(summary.captured, 1, "{reports:?}");
    let id = reports[0].capture.unwrap();

    // The page shows the copy beside the live link, though it was cached before.
    let (status, page) = server.html("/documents/founding-act-copy");
    assert_eq!(status, 200);
    assert!(
        page.contains(&format!("<a href=\"/archive/{id}\">archived copy</a>")),
        "{page}"
    );
    let copy = server
        .store
        .captures()
        .unwrap()
        .capture(id)
        .unwrap()
        .unwrap();
    let day = dossier_upkeep::capture::replay::capture_day(copy.captured_at);
    assert!(page.contains(&format!(">{day}</time>")), "{page}");
    let (_, _, json) = server.json("/documents/founding-act-copy");
    assert_eq!(
        json["provenance"]["copies"][&cited]["url"],
        format!("/archive/{id}")
    );

    // The copy, sandboxed and with nothing that runs or reaches out.
    let (status, h, body) = server.request("GET", &format!("/archive/{id}"), &[], None);
    assert_eq!(status, 200);
    let csp = header(&h, "content-security-policy");
    assert!(
        csp.starts_with(
            "sandbox; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"
        ),
        "{csp}"
    );
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert_eq!(header(&h, "content-type"), "text/html; charset=utf-8");
    assert_eq!(
        header(&h, "memento-datetime"),
        dossier_upkeep::memento::http_date(copy.captured_at)
    );
    assert!(
        header(&h, "link").contains(&format!("<{cited}>; rel=\"original\"")),
        "{h:?}"
    );
    assert!(body.contains("<h1>Founding Act</h1>"), "{body}");
    assert!(body.contains("Archived copy"), "{body}");
    for bad in [
        "<script",
        "alert(",
        "evil.example",
        "<iframe",
        "refresh",
        "onload",
        "onerror",
        "action=",
    ] {
        assert!(!body.contains(bad), "{bad} in {body}");
    }
    assert!(
        body.contains("<a title=\"Not archived: https://www.nato.int/\">live site</a>"),
        "{body}"
    );

    // Its image and stylesheet are served from the archive, as what they are.
    let seal = server
        .store
        .captures()
        .unwrap()
        .capture_for(&cited, &format!("{site}/seal.png"), copy.captured_at)
        .unwrap()
        .unwrap();
    assert!(
        body.contains(&format!("src=\"/archive/{}.png\"", seal.id)),
        "{body}"
    );
    let (status, h, _) = server.request("GET", &format!("/archive/{}.png", seal.id), &[], None);
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "image/png");

    // Memento: the TimeMap lists the copy; the TimeGate sends a client to it.
    let (status, h, map) = server.request("GET", &format!("/timemap/link/{cited}"), &[], None);
    assert_eq!(status, 200);
    assert_eq!(
        header(&h, "content-type"),
        "application/link-format; charset=utf-8"
    );
    assert!(
        map.starts_with(&format!("<{cited}>; rel=\"original\"")),
        "{map}"
    );
    assert!(
        map.contains(&format!(
            "/archive/{id}>; rel=\"first last memento\"; datetime=\""
        )),
        "{map}"
    );
    let (status, answer) = raw_get_with(
        &server,
        &format!("/timegate/{cited}"),
        "Accept-Datetime: Thu, 01 Apr 2010 00:00:00 GMT\r\n",
    );
    assert_eq!(status, 302, "{answer}");
    let head = answer.to_ascii_lowercase();
    assert!(
        head.contains(&format!("\r\nlocation: {}/archive/{id}\r\n", server.base)),
        "{answer}"
    );
    assert!(head.contains("\r\nvary: accept-datetime\r\n"), "{answer}");
    assert!(head.contains("rel=\"timemap\""), "{answer}");
    let (status, _, _) = server.request(
        "GET",
        &format!("/timegate/{cited}"),
        &[("Accept-Datetime", "last Tuesday")],
        None,
    );
    assert_eq!(status, 400);
    let (status, _, _) = server.request("GET", &format!("/timegate/{site}/never-cited"), &[], None);
    assert_eq!(status, 404);

    // The static export carries the copies: the page links to the copy's file, which
    // links to its image's file beside it, holds no script and says what it may load;
    // the WARC file is carried as it is.
    let out = tempfile::tempdir().unwrap();
    let root = out.path().join("site");
    let site_config = dossier_publish::site::Site::new("https://archive.example/").unwrap();
    dossier_publish::export::export_site(server.store.as_ref(), &site_config, &root, &|_, _| {})
        .unwrap();
    let doc_page = std::fs::read_to_string(root.join("documents/founding-act-copy.html")).unwrap();
    assert!(
        doc_page.contains(&format!(
            "<a href=\"../archive/{id}.html\">archived copy</a>"
        )),
        "{doc_page}"
    );
    let exported = std::fs::read_to_string(root.join(format!("archive/{id}.html"))).unwrap();
    assert!(exported.contains("<h1>Founding Act</h1>"), "{exported}");
    assert!(
        exported.contains(&format!("src=\"{}.png\"", seal.id)),
        "{exported}"
    );
    assert!(
        exported.contains("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'"),
        "{exported}"
    );
    for bad in ["<script", "alert(", "evil.example"] {
        assert!(!exported.contains(bad), "{bad} in {exported}");
    }
    assert_eq!(
        std::fs::read(root.join(format!("archive/{}.png", seal.id))).unwrap(),
        b"\x89PNG\r\n\x1a\nseal"
    );
    let warc_name = &copy.warc_file;
    assert_eq!(
        std::fs::read(root.join("warc").join(warc_name)).unwrap(),
        std::fs::read(
            server
                .store
                .captures()
                .unwrap()
                .warc_dir()
                .unwrap()
                .join(warc_name)
        )
        .unwrap()
    );
}

#[test]
fn replay_and_memento_addresses_that_leave_the_archive_are_refused() {
    let server = TestServer::with(|_| {});
    for target in [
        "/archive/../../etc/passwd",
        "/archive/..%2F..%2Fetc%2Fpasswd",
        "/archive/%2e%2e",
        "/archive/1%00.png",
        "/archive/-1",
        "/archive/1.p%2Fng",
        "/archive/99999999999999999999999",
        "/archive/1/../../dossier.db",
    ] {
        let (status, out) = raw_get(&server, target);
        assert!(status == 404 || status == 400, "{target}: {out}");
        assert!(!out.contains("SQLite format"), "{target}");
    }
    for target in [
        "/timemap/link/javascript:alert(1)",
        "/timemap/link/file:///etc/passwd",
        "/timemap/link/..%2F..%2Fetc%2Fpasswd",
        "/timegate/data:text/html,<script>alert(1)</script>",
        "/timemap/link/ftp://a.example/",
    ] {
        let (status, out) = raw_get(&server, target);
        assert_eq!(status, 400, "{target}: {out}");
        assert!(
            !out.contains("<script>alert(1)</script>"),
            "{target}: {out}"
        );
    }
}

#[test]
fn links_capture_writes_warc_files_in_the_data_directory() {
    let site = origin();
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("cited.md");
    std::fs::write(
        &md,
        format!(
            r#"+++
title = "A statement citing local pages"
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
    let o = cli::dossier(dir.path(), &["import", "markdown", md.to_str().unwrap()]);
    assert!(o.status.success(), "{}", cli::out(&o));

    // Without --allow-host nothing local is fetched, and nothing is written.
    let o = cli::dossier(dir.path(), &["links", "capture"]);
    assert!(o.status.success(), "{}", cli::out(&o));
    let text = cli::stdout(&o);
    assert!(
        text.contains("Captured 0 of 2 cited pages (2 failed)"),
        "{text}"
    );
    assert!(text.contains("127.0.0.1 is a loopback address"), "{text}");
    assert!(!dir.path().join("warc").exists());

    let o = cli::dossier(
        dir.path(),
        &["links", "capture", "--allow-host", "127.0.0.1", "--json"],
    );
    assert!(o.status.success(), "{}", cli::out(&o));
    let v: serde_json::Value = serde_json::from_str(&cli::stdout(&o)).expect("one JSON object");
    assert_eq!(v["captured"], 1, "{v}");
    assert_eq!(v["failed"], 1, "{v}");
    assert_eq!(v["resources"], 2, "{v}");
    let file = v["files"][0].as_str().unwrap();
    assert!(dir.path().join("warc").join(file).is_file(), "{v}");
    let missing = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["url"] == format!("{site}/missing"))
        .unwrap();
    assert!(
        missing["error"].as_str().unwrap().contains("answered 404"),
        "{missing}"
    );

    // A cited address only; one the archive does not cite is refused, naming it.
    let o = cli::dossier(
        dir.path(),
        &[
            "links",
            "capture",
            "--allow-host",
            "127.0.0.1",
            "--url",
            "https://uncited.example/",
        ],
    );
    assert!(!o.status.success());
    assert!(
        cli::stderr(&o).contains("https://uncited.example/"),
        "{}",
        cli::out(&o)
    );
}
