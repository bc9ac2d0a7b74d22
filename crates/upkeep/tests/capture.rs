//! Captures against a local HTTP server started here: a page with its image and
//! stylesheet (and the image the stylesheet names), a redirect, a 404, a hostile page;
//! the WARC files read back by an independent reader (the `warc` crate); replay of the
//! copies; the safety rules (127.0.0.1 refused unless allowed). Captures and replay run on
//! every backend of the store's harness: SQLite always, PostgreSQL (the WARC files in the
//! database, replayed by another server's handle) when `DOSSIER_TEST_DATABASE_URL` is set.

#[path = "../../store/tests/common/mod.rs"]
mod common;

use dossier_model::RecordType;
use dossier_store::{SqliteStore, Store};
use dossier_upkeep::capture::replay::{replay, replay_path, Replayed};
use dossier_upkeep::capture::{capture_pages, CaptureOptions, CitedPage};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

/// A tiny HTTP/1.1 server: each path answers a fixed status, type and body.
fn serve() -> String {
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
                let (status, extra, ctype, body): (&str, String, &str, Vec<u8>) =
                    match path.as_str() {
                        "/page" => (
                            "200 OK",
                            String::new(),
                            "text/html; charset=utf-8",
                            br#"<!doctype html><html><head><title>A page</title>
                        <link rel="stylesheet" href="/style.css"></head>
                        <body><h1>Cited</h1><img src="img.png" alt="pic"><a href="/elsewhere">on</a>
                        <script>document.title='x'</script></body></html>"#
                                .to_vec(),
                        ),
                        "/style.css" => (
                            "200 OK",
                            String::new(),
                            "text/css",
                            b"body{background:url(bg.png)}".to_vec(),
                        ),
                        "/img.png" | "/bg.png" => (
                            "200 OK",
                            String::new(),
                            "image/png",
                            b"\x89PNG\r\n\x1a\nfake".to_vec(),
                        ),
                        "/old" => (
                            "301 Moved Permanently",
                            "Location: /page\r\n".into(),
                            "text/html",
                            b"moved".to_vec(),
                        ),
                        "/slow.pdf" => {
                            // Longer than the capture waits before it keeps what is done.
                            std::thread::sleep(std::time::Duration::from_millis(1_500));
                            (
                                "200 OK",
                                String::new(),
                                "application/pdf",
                                b"%PDF-1.4 slow".to_vec(),
                            )
                        }
                        "/report.pdf" => (
                            "200 OK",
                            String::new(),
                            "application/pdf",
                            b"%PDF-1.4 fake".to_vec(),
                        ),
                        _ => ("404 Not Found", String::new(), "text/html", b"no".to_vec()),
                    };
                let head = format!(
                    "HTTP/1.1 {status}\r\n{extra}Content-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    format!("http://{addr}")
}

fn allowed() -> CaptureOptions {
    let mut o = CaptureOptions::default();
    o.policy.allow_hosts = vec!["127.0.0.1".into()];
    o.policy.timeout = std::time::Duration::from_secs(10);
    o
}

fn cited(url: String) -> CitedPage {
    CitedPage {
        url,
        citing: vec![(RecordType::Document, "no-such-document".into())],
    }
}

/// Runs `test` on a fresh store of each backend, in a runtime of its own: the harness
/// opens and drops its PostgreSQL schemas with the sync client, outside any runtime.
fn on_each_backend(test: impl AsyncFn(&common::TestStore)) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for store in common::stores() {
        eprintln!("-- on {}", store.name());
        runtime.block_on(test(&store));
    }
}

#[test]
fn a_page_is_kept_with_its_images_and_styles_and_reads_back() {
    let base = serve();
    on_each_backend(async |s| page_kept_and_read_back(s, base.clone()).await);
}

async fn page_kept_and_read_back(s: &common::TestStore, base: String) {
    let store = s.as_store();
    let pages = vec![
        cited(format!("{base}/page")),
        cited(format!("{base}/old")),
        cited(format!("{base}/missing")),
        cited(format!("{base}/report.pdf")),
    ];
    let mut reports = Vec::new();
    let copies = store.captures().unwrap();
    let summary = capture_pages(store, &pages, &allowed(), &mut |r| {
        // As soon as a page is reported kept, its records are in the store and so is
        // every WARC file they name.
        if let Some(id) = r.capture {
            let c = copies.capture(id).unwrap().expect("indexed when reported");
            assert!(copies.warc_names().unwrap().contains(&c.warc_file), "{c:?}");
        }
        reports.push(r.clone())
    })
    .await
    .unwrap();
    assert_eq!(summary.pages, 4);
    assert_eq!(summary.captured, 3, "{reports:#?}");
    assert_eq!(summary.failed, 1);
    let missing = reports
        .iter()
        .find(|r| r.url.ends_with("/missing"))
        .unwrap();
    assert!(
        missing.error.as_deref().unwrap().contains("answered 404"),
        "{missing:?}"
    );
    let page = reports.iter().find(|r| r.url.ends_with("/page")).unwrap();
    assert_eq!(page.resources, 3, "{page:?}");
    assert!(page.resource_errors.is_empty(), "{page:?}");

    // The WARC files, all in the store (which lists no other), and every indexed record in
    // one of them: a row never points at a file the store lacks. (How many files depends
    // on how the pages' timing falls around the hand-overs to the store.)
    assert!(!summary.files.is_empty());
    assert_eq!(copies.warc_names().unwrap(), summary.files);
    for c in copies.all_captures().unwrap() {
        assert!(summary.files.contains(&c.warc_file), "{c:?}");
    }
    // An independent reader reads each, as the store gives it back.
    let mut types = Vec::new();
    let mut responses = 0;
    let mut warcinfos = 0;
    for name in &summary.files {
        let bytes = copies.read_warc_file(name).unwrap();
        let reader = warc::WarcReader::new(std::io::BufReader::new(
            flate2::read::MultiGzDecoder::new(&bytes[..]),
        ));
        for record in reader.iter_records() {
            let record = record.expect("each record reads back");
            assert_eq!(record.warc_version(), "1.1");
            assert!(record.warc_id().starts_with("<urn:uuid:"));
            let ty = record.warc_type().to_string();
            if ty == "response" {
                responses += 1;
                let uri = record
                    .header(warc::WarcHeader::TargetURI)
                    .unwrap()
                    .to_string();
                assert!(uri.starts_with(&base), "{uri}");
                let block = record.body();
                let start = block.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
                let payload = &block[start..];
                let digest = record
                    .header(warc::WarcHeader::PayloadDigest)
                    .unwrap()
                    .to_string();
                let expected = data_encoding::BASE32.encode(&Sha256::digest(payload));
                assert_eq!(digest, format!("sha256:{expected}"), "{uri}");
                let block_digest = record
                    .header(warc::WarcHeader::BlockDigest)
                    .unwrap()
                    .to_string();
                assert_eq!(
                    block_digest,
                    format!(
                        "sha256:{}",
                        data_encoding::BASE32.encode(&Sha256::digest(block))
                    )
                );
                assert!(record.header(warc::WarcHeader::Date).is_some());
            }
            if ty == "warcinfo" {
                warcinfos += 1;
            }
            types.push(ty);
        }
    }
    // Each file begins with its warcinfo.
    assert_eq!(warcinfos, summary.files.len(), "{types:?}");
    // The page, its stylesheet, image and the stylesheet's image; the redirect's hop and
    // its target with the same three; the PDF.
    assert_eq!(responses, 10, "{types:?}");
    assert_eq!(types.iter().filter(|t| *t == "request").count(), 10);

    // Replay, here and through another handle on the same store (another server on the
    // database): the page's image and stylesheet point at their copies, the script is
    // gone, the banner says what it is.
    let other = s.open_again();
    let page_copy = copies.capture(page.capture.unwrap()).unwrap().unwrap();
    assert_eq!(page_copy.url, format!("{base}/page"));
    let Some(Replayed::Copy {
        body, content_type, ..
    }) = replay(&*other, page_copy.id, &replay_path).unwrap()
    else {
        panic!("the page replays as a copy")
    };
    assert_eq!(content_type, "text/html; charset=utf-8");
    let html = String::from_utf8(body).unwrap();
    let img = copies
        .capture_for(
            &page_copy.page,
            &format!("{base}/img.png"),
            page_copy.captured_at,
        )
        .unwrap()
        .unwrap();
    assert!(
        html.contains(&format!("src=\"/archive/{}.png\"", img.id)),
        "{html}"
    );
    let css = copies
        .capture_for(
            &page_copy.page,
            &format!("{base}/style.css"),
            page_copy.captured_at,
        )
        .unwrap()
        .unwrap();
    assert!(
        html.contains(&format!("href=\"/archive/{}.css\"", css.id)),
        "{html}"
    );
    assert!(!html.contains("<script"), "{html}");
    assert!(html.contains("Archived copy"), "{html}");
    assert!(
        html.contains(&format!(
            "<a title=\"Not archived: {base}/elsewhere\">on</a>"
        )),
        "{html}"
    );
    let Some(Replayed::Copy { body, .. }) = replay(store, css.id, &replay_path).unwrap() else {
        panic!("the stylesheet replays")
    };
    let bg = copies
        .capture_for(
            &page_copy.page,
            &format!("{base}/bg.png"),
            page_copy.captured_at,
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        String::from_utf8(body).unwrap(),
        format!("body{{background:url(/archive/{}.png)}}", bg.id)
    );

    // The redirect replays as one, to the copy of its target.
    let old = reports.iter().find(|r| r.url.ends_with("/old")).unwrap();
    let Some(Replayed::Redirect { to, target, .. }) =
        replay(store, old.capture.unwrap(), &replay_path).unwrap()
    else {
        panic!("the redirect replays as a redirect")
    };
    assert_eq!(target, format!("{base}/page"));
    assert!(to.unwrap().starts_with("/archive/"));

    // The PDF as it was.
    let pdf = reports
        .iter()
        .find(|r| r.url.ends_with("/report.pdf"))
        .unwrap();
    let pdf_copy = copies.capture(pdf.capture.unwrap()).unwrap().unwrap();
    assert_eq!(
        replay_path(&pdf_copy),
        format!("/archive/{}.pdf", pdf_copy.id)
    );
    let Some(Replayed::Copy {
        body,
        content_type,
        attachment,
        ..
    }) = replay(&*other, pdf_copy.id, &replay_path).unwrap()
    else {
        panic!("the PDF replays")
    };
    assert_eq!(
        (content_type.as_str(), attachment),
        ("application/pdf", false)
    );
    assert_eq!(body, b"%PDF-1.4 fake");

    // Memento's view: every copy of the page's address.
    assert_eq!(
        copies.captures_of(&format!("{base}/page")).unwrap().len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_is_refused_unless_allowed() {
    let base = serve();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    let mut reports = Vec::new();
    let summary = capture_pages(
        &store,
        &[
            cited(format!("{base}/page")),
            cited("http://169.254.169.254/latest/meta-data/".into()),
        ],
        &CaptureOptions::default(),
        &mut |r| reports.push(r.clone()),
    )
    .await
    .unwrap();
    assert_eq!(summary.captured, 0);
    for r in &reports {
        assert!(r.error.as_deref().unwrap().contains("refused"), "{r:?}");
    }
    assert!(store.captures().unwrap().all_captures().unwrap().is_empty());
}

#[test]
fn a_copy_that_does_not_match_its_digest_is_not_replayed() {
    let base = serve();
    on_each_backend(async |s| digest_mismatch_not_replayed(s, base.clone()).await);
}

async fn digest_mismatch_not_replayed(s: &common::TestStore, base: String) {
    let store = s.as_store();
    let mut reports = Vec::new();
    capture_pages(
        store,
        &[cited(format!("{base}/report.pdf"))],
        &allowed(),
        &mut |r| reports.push(r.clone()),
    )
    .await
    .unwrap();
    let copies = store.captures().unwrap();
    let c = copies
        .capture(reports[0].capture.unwrap())
        .unwrap()
        .unwrap();
    // The same record with other bytes, in a file indexed with the digest of the original:
    // what an edit of the file behind the archive's back looks like (the store never
    // replaces a kept file, so the edit is a file of its own here).
    let bytes = copies.read_warc_file(&c.warc_file).unwrap();
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&bytes[c.offset as usize..(c.offset + c.length) as usize])
        .read_to_end(&mut raw)
        .unwrap();
    let text = String::from_utf8_lossy(&raw).replace("%PDF-1.4 fake", "%PDF-1.4 evil");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let member = gz.finish().unwrap();
    let mut evil = bytes.clone();
    let offset = evil.len() as u64;
    evil.extend_from_slice(&member);
    copies
        .write_warc_file("dossier-edited.warc.gz", &evil)
        .unwrap();
    let ids = copies
        .add_captures(
            &[dossier_store::NewCapture {
                page: c.page.clone(),
                url: c.url.clone(),
                captured_at: c.captured_at + 1,
                warc_file: "dossier-edited.warc.gz".into(),
                offset,
                length: member.len() as u64,
                status: 200,
                content_type: c.content_type.clone(),
                sha256: c.sha256.clone(),
            }],
            &[],
        )
        .unwrap();
    let read = dossier_upkeep::warc::read_response(
        copies,
        "dossier-edited.warc.gz",
        offset,
        member.len() as u64,
    )
    .unwrap();
    assert_eq!(read.body, b"%PDF-1.4 evil");
    let e = replay(store, ids[0], &replay_path).unwrap_err();
    assert!(e.to_string().contains("does not match its digest"), "{e}");
    // The original still replays.
    assert!(replay(store, c.id, &replay_path).is_ok());
    // A row pointing past its file's end is refused, naming the file, not read short.
    let ids = copies
        .add_captures(
            &[dossier_store::NewCapture {
                offset: bytes.len() as u64 - 10,
                ..copies_row(&c)
            }],
            &[],
        )
        .unwrap();
    let e = replay(store, ids[0], &replay_path).unwrap_err();
    assert!(e.to_string().contains(&c.warc_file), "{e}");
}

/// A new row with `c`'s fields.
fn copies_row(c: &dossier_store::Capture) -> dossier_store::NewCapture {
    dossier_store::NewCapture {
        page: c.page.clone(),
        url: c.url.clone(),
        captured_at: c.captured_at,
        warc_file: c.warc_file.clone(),
        offset: c.offset,
        length: c.length,
        status: c.status,
        content_type: c.content_type.clone(),
        sha256: c.sha256.clone(),
    }
}

/// A record is indexed only once its WARC file is kept: a store that cannot keep the file
/// (an in-memory store has no data directory) stops the run with that reason, and no
/// record points at a file it lacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_whose_file_cannot_be_kept_is_not_indexed() {
    let base = serve();
    let store = SqliteStore::in_memory().unwrap();
    let e = capture_pages(
        &store,
        &[cited(format!("{base}/report.pdf"))],
        &allowed(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("data directory"), "{e}");
    let copies = store.captures().unwrap();
    assert!(copies.all_captures().unwrap().is_empty());
    assert!(copies.warc_names().unwrap().is_empty());
}

/// A page done while another is still being fetched is kept and indexed before the run
/// ends (the capture hands its file over about once a second), and whichever way the
/// timing falls, a page reported kept is in the store with its file.
#[test]
fn pages_done_early_are_kept_while_others_run() {
    let base = serve();
    on_each_backend(async |s| {
        let store = s.as_store();
        let copies = store.captures().unwrap();
        let mut reports = Vec::new();
        let summary = capture_pages(
            store,
            &[
                cited(format!("{base}/slow.pdf")),
                cited(format!("{base}/page")),
            ],
            &allowed(),
            &mut |r| {
                let id = r.capture.expect("both pages are kept");
                let c = copies.capture(id).unwrap().expect("indexed when reported");
                assert!(copies.warc_names().unwrap().contains(&c.warc_file));
                reports.push(r.clone());
            },
        )
        .await
        .unwrap();
        assert_eq!(summary.captured, 2, "{reports:#?}");
        assert_eq!(copies.warc_names().unwrap(), summary.files);
        for r in &reports {
            assert!(replay(store, r.capture.unwrap(), &replay_path)
                .unwrap()
                .is_some());
        }
    });
}
