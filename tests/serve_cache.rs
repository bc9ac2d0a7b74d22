//! The response cache (issue 22), over real HTTP: answers are kept per store change and
//! sent again from memory, with validators (304s), gzip and Brotli copies and `Vary`; an
//! import by another process shows on the very next request; the cache stays within its
//! bound in bytes; `--cache-mb 0` turns it off.

#[path = "common/cli.rs"]
mod cli;
mod common;

use common::TestServer;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

/// An HTTP answer: status, headers, body bytes.
struct Answer {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// `GET base+path` with these headers (ureq here adds no `Accept-Encoding` and decodes
/// nothing, so the body is as sent).
fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut req = agent().get(&format!("{base}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let mut r = req.call().unwrap();
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.body_mut().read_to_vec().unwrap(),
    }
}

const HTML: (&str, &str) = ("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
const JSON: (&str, &str) = ("Accept", "application/json");

#[test]
fn a_second_request_is_served_from_the_cache() {
    let server = TestServer::builtin();
    let base = &server.base;
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("/dossiers/nato-russia", &[HTML]),
        ("/dossiers/nato-russia", &[JSON]),
        ("/documents/founding-act-1997", &[]),
        ("/api/v1/documents/founding-act-1997", &[]),
        ("/api/v1/documents?limit=5", &[]),
        ("/dossiers/nato-russia/feed.atom", &[]),
        ("/sitemap.xml", &[]),
        ("/citations/founding-act-1997.bib", &[]),
        ("/dossiers/nato-russia/bibliography.ris", &[]),
        ("/search?q=nato", &[HTML]),
        ("/api/v1/search?q=nato", &[]),
    ];
    for (path, headers) in cases {
        let mut first = get(base, path, headers);
        assert_eq!(first.status, 200, "{path}");
        assert_eq!(first.header("x-cache"), Some("miss"), "{path}");
        if path.contains("search") {
            // A search's answer is kept per reload of the index, which the reader takes
            // shortly after the index's last commit (at the server's start): wait for it.
            for _ in 0..100 {
                let again = get(base, path, headers);
                if again.header("x-cache") == Some("hit") {
                    break;
                }
                first = again;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
        let second = get(base, path, headers);
        assert_eq!(second.status, 200, "{path}");
        assert_eq!(second.header("x-cache"), Some("hit"), "{path}");
        assert_eq!(second.body, first.body, "{path}");
        assert_eq!(second.header("etag"), first.header("etag"), "{path}");
        assert_eq!(
            second.header("content-type"),
            first.header("content-type"),
            "{path}"
        );
    }
    // HTML and JSON of one page are two answers, each kept.
    let html = get(base, "/documents/founding-act-1997", &[HTML]);
    let json = get(base, "/documents/founding-act-1997", &[JSON]);
    assert_eq!(html.header("x-cache"), Some("hit"));
    assert_eq!(json.header("x-cache"), Some("miss"));
    assert!(json.header("content-type").unwrap().contains("json"));
    assert_ne!(html.body, json.body);
    // The API keeps its CORS headers on a hit.
    let api = get(
        base,
        "/api/v1/documents/founding-act-1997",
        &[("Origin", "https://elsewhere.example")],
    );
    assert_eq!(api.header("x-cache"), Some("hit"));
    assert_eq!(api.header("access-control-allow-origin"), Some("*"));
    // A HEAD is answered from the same entry, without a body.
    let mut head = agent()
        .head(&format!("{base}/dossiers/nato-russia"))
        .header(HTML.0, HTML.1)
        .call()
        .unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(
        head.headers().get("x-cache").and_then(|v| v.to_str().ok()),
        Some("hit")
    );
    assert!(head.body_mut().read_to_vec().unwrap().is_empty());
    // Answers that change without the store are never kept; failures neither.
    for path in ["/oai?verb=Identify", "/metrics"] {
        for _ in 0..2 {
            let a = get(base, path, &[]);
            assert_eq!(a.status, 200, "{path}");
            assert_eq!(a.header("x-cache"), None, "{path}");
        }
    }
    for _ in 0..2 {
        let a = get(base, "/documents/no-such-document", &[HTML]);
        assert_eq!(a.status, 404);
        assert_eq!(a.header("x-cache"), None);
    }
}

/// The security headers leave with every answer: one built for the request, one from the
/// cache, a 404.
#[test]
fn every_answer_carries_the_security_headers() {
    let server = TestServer::builtin();
    let base = &server.base;
    let built = get(base, "/documents/founding-act-1997", &[HTML]);
    let hit = get(base, "/documents/founding-act-1997", &[HTML]);
    let missing = get(base, "/documents/no-such-document", &[HTML]);
    assert_eq!(built.header("x-cache"), Some("miss"));
    assert_eq!(hit.header("x-cache"), Some("hit"));
    assert_eq!(missing.status, 404);
    for (what, a) in [("built", &built), ("hit", &hit), ("404", &missing)] {
        assert_eq!(
            a.header("x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        let csp = a.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'none'"), "{what}: {csp:?}");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp:?}");
    }
}

/// A request that carries a session cookie or an `Authorization` header may be a person's
/// own page: it is never answered from the cache, and its answer is never kept for others.
#[test]
fn requests_with_credentials_bypass_the_cache() {
    let server = TestServer::builtin();
    let base = &server.base;
    let path = "/dossiers/nato-russia";
    assert_eq!(get(base, path, &[HTML]).header("x-cache"), Some("miss"));
    assert_eq!(get(base, path, &[HTML]).header("x-cache"), Some("hit"));
    let anonymous = get(base, path, &[HTML]);
    for credentials in [
        ("Cookie", "theme=dark; dossier_session=x"),
        ("Cookie", "__Host-dossier_session=x"),
        ("Authorization", "Bearer x"),
    ] {
        for _ in 0..2 {
            let a = get(base, path, &[HTML, credentials]);
            assert_eq!(a.status, 200, "{credentials:?}");
            assert_ne!(a.header("x-cache"), Some("hit"), "{credentials:?}");
            assert_eq!(a.body, anonymous.body, "{credentials:?}");
        }
    }
    // A first request with credentials leaves nothing behind for anonymous readers.
    let other = "/documents/founding-act-1997";
    let _ = get(base, other, &[HTML, ("Cookie", "dossier_session=x")]);
    assert_eq!(get(base, other, &[HTML]).header("x-cache"), Some("miss"));
    // A cookie of another name is no credential.
    let theme = get(base, path, &[HTML, ("Cookie", "theme=dark")]);
    assert_eq!(theme.header("x-cache"), Some("hit"));
}

#[test]
fn validators_answer_304() {
    let server = TestServer::builtin();
    let base = &server.base;
    for path in [
        "/documents/founding-act-1997",
        "/api/v1/documents/founding-act-1997",
        "/dossiers/nato-russia/feed.atom",
    ] {
        let full = get(base, path, &[]);
        assert_eq!(full.status, 200, "{path}");
        let tag = full.header("etag").expect("an ETag").to_string();
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        let modified = full
            .header("last-modified")
            .expect("Last-Modified")
            .to_string();
        assert!(modified.ends_with(" GMT"), "{modified}");
        // Clients revalidate rather than guess a freshness from Last-Modified.
        assert!(full.header("cache-control").is_some(), "{path}");

        let same = get(base, path, &[("If-None-Match", &tag)]);
        assert_eq!(same.status, 304, "{path}");
        assert!(same.body.is_empty(), "{path}");
        assert_eq!(same.header("etag"), Some(tag.as_str()), "{path}");
        let weak = format!("\"other\", W/{tag}");
        assert_eq!(get(base, path, &[("If-None-Match", &weak)]).status, 304);
        assert_eq!(get(base, path, &[("If-None-Match", "*")]).status, 304);
        let other = get(base, path, &[("If-None-Match", "\"other\"")]);
        assert_eq!(other.status, 200, "{path}");
        assert_eq!(other.body, full.body, "{path}");

        let since = get(base, path, &[("If-Modified-Since", &modified)]);
        assert_eq!(since.status, 304, "{path}");
        assert!(since.body.is_empty(), "{path}");
        let old = "Thu, 01 Jan 1970 00:00:00 GMT";
        assert_eq!(get(base, path, &[("If-Modified-Since", old)]).status, 200);
        // If-None-Match decides when both are sent (RFC 9110, 13.1.3).
        let both = get(
            base,
            path,
            &[
                ("If-None-Match", "\"other\""),
                ("If-Modified-Since", &modified),
            ],
        );
        assert_eq!(both.status, 200, "{path}");
    }
}

fn brotli_decoded(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(body, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn gzip_decoded(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn content_codings_follow_accept_encoding() {
    let server = TestServer::builtin();
    let base = &server.base;
    for (path, accept) in [
        ("/dossiers/nato-russia", HTML),
        ("/dossiers/nato-russia", JSON),
        ("/api/v1/documents", ("Accept", "*/*")),
    ] {
        let plain = get(base, path, &[accept]);
        assert_eq!(plain.status, 200);
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        let vary = plain.header("vary").unwrap().to_ascii_lowercase();
        assert!(
            vary.contains("accept-encoding") && vary.split(',').any(|v| v.trim() == "accept"),
            "{vary}"
        );
        let plain_tag = plain.header("etag").unwrap().to_string();
        // Twice each: the copy is made on the first request for it and kept.
        for _ in 0..2 {
            let br = get(
                base,
                path,
                &[accept, ("Accept-Encoding", "gzip, deflate, br")],
            );
            assert_eq!(br.header("content-encoding"), Some("br"), "{path}");
            assert!(br.body.len() < plain.body.len());
            assert_eq!(brotli_decoded(&br.body), plain.body, "{path}");
            assert_ne!(br.header("etag").unwrap(), plain_tag);
            assert!(br
                .header("vary")
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding"));

            let gz = get(base, path, &[accept, ("Accept-Encoding", "gzip")]);
            assert_eq!(gz.header("content-encoding"), Some("gzip"), "{path}");
            assert_eq!(gzip_decoded(&gz.body), plain.body, "{path}");
            assert_ne!(gz.header("etag").unwrap(), plain_tag);
            assert_ne!(gz.header("etag"), br.header("etag"));

            let preferred = get(
                base,
                path,
                &[accept, ("Accept-Encoding", "br;q=0.5, gzip;q=0.8")],
            );
            assert_eq!(preferred.header("content-encoding"), Some("gzip"), "{path}");

            for identity in ["identity", "gzip;q=0", "br;q=0, gzip;q=0", "compress"] {
                let a = get(base, path, &[accept, ("Accept-Encoding", identity)]);
                assert_eq!(a.header("content-encoding"), None, "{path} {identity}");
                assert_eq!(a.body, plain.body, "{path} {identity}");
                assert_eq!(a.header("etag"), Some(plain_tag.as_str()));
            }
        }
        // A client holding the Brotli copy revalidates it.
        let br = get(base, path, &[accept, ("Accept-Encoding", "br")]);
        let tag = br.header("etag").unwrap().to_string();
        let again = get(
            base,
            path,
            &[accept, ("Accept-Encoding", "br"), ("If-None-Match", &tag)],
        );
        assert_eq!(again.status, 304);
        assert_eq!(again.header("etag"), Some(tag.as_str()));
    }
    // A body too short to gain from compression is sent as it is.
    let short = get(base, "/robots.txt", &[("Accept-Encoding", "br, gzip")]);
    assert_eq!(short.status, 200);
    assert_eq!(short.header("content-encoding"), None);
}

#[test]
fn the_cache_stays_within_its_bound() {
    const BOUND: usize = 96 * 1024;
    let (tx, rx) = std::sync::mpsc::channel();
    let server = TestServer::with_app(
        |store| {
            let archive = dossier_ingest::builtin::archive().expect("built-in dossier loads");
            dossier_store::Store::write(store, &archive).expect("built-in dossier stores");
        },
        move |state| {
            let state = state.with_cache_bytes(BOUND);
            tx.send(state.cache_counters()).unwrap();
            state
        },
    );
    let counters = rx.recv().unwrap();
    let documents =
        dossier_store::Store::documents(server.store.as_ref(), &Default::default()).unwrap();
    assert!(documents.len() > 20, "{}", documents.len());
    let paths: Vec<String> = documents
        .iter()
        .map(|d| format!("/documents/{}", d.slug))
        .collect();
    let mut kept = Vec::new();
    let mut largest = 0u64;
    for path in &paths {
        for accept in [HTML, JSON] {
            for coding in ["identity", "br", "gzip"] {
                let a = get(&server.base, path, &[accept, ("Accept-Encoding", coding)]);
                assert_eq!(a.status, 200, "{path}");
                // (A page over a quarter of the bound is sent but not kept.)
                if coding == "identity" && a.header("x-cache").is_some() {
                    kept.push((path, accept));
                }
                let now = counters.snapshot();
                largest = largest.max(now.bytes);
                assert!(
                    now.bytes as usize <= BOUND,
                    "{} bytes kept, over the bound of {BOUND}",
                    now.bytes
                );
            }
        }
    }
    assert!(kept.len() > 10, "{} kept", kept.len());
    let now = counters.snapshot();
    // Far more was asked for than fits: the cache filled up and holds a part of it.
    assert!(largest as usize > BOUND / 2, "{largest}");
    assert!(now.entries < kept.len() as u64, "{now:?}");
    // The first page kept, unused since, made way; the last is still there.
    let (path, accept) = kept[0];
    assert_eq!(
        get(&server.base, path, &[accept]).header("x-cache"),
        Some("miss")
    );
    let (path, accept) = kept[kept.len() - 1];
    assert_eq!(
        get(&server.base, path, &[accept]).header("x-cache"),
        Some("hit")
    );
}

#[test]
fn requests_that_miss_together_wait_for_one_build() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Condvar, Mutex};
    const ASKING: usize = 6;
    // The request workers wait at a gate the test opens: the first request's build holds
    // there while the others arrive.
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    let jobs = Arc::new(AtomicUsize::new(0));
    let hook = {
        let (gate, jobs) = (gate.clone(), jobs.clone());
        Arc::new(move || {
            jobs.fetch_add(1, Ordering::SeqCst);
            let mut open = gate.0.lock().unwrap();
            while !*open {
                open = gate.1.wait(open).unwrap();
            }
        })
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let server = TestServer::with_app(
        |store| {
            let archive = dossier_ingest::builtin::archive().expect("built-in dossier loads");
            dossier_store::Store::write(store, &archive).expect("built-in dossier stores");
        },
        move |state| {
            let state = state.with_work_hook(hook);
            tx.send(state.response_cache()).unwrap();
            state
        },
    );
    let cache = rx.recv().unwrap();
    let answers = std::thread::scope(|s| {
        let asking: Vec<_> = (0..ASKING)
            .map(|_| s.spawn(|| get(&server.base, "/dossiers/nato-russia", &[HTML])))
            .collect();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !(jobs.load(Ordering::SeqCst) >= 1 && cache.waiting() == ASKING as u64 - 1) {
            assert!(
                std::time::Instant::now() < deadline,
                "never happened: one build and {} waiting (jobs {}, waiting {})",
                ASKING - 1,
                jobs.load(Ordering::SeqCst),
                cache.waiting()
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        asking
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(
        jobs.load(Ordering::SeqCst),
        1,
        "the page was built more than once"
    );
    assert_eq!(cache.coalesced(), ASKING as u64 - 1);
    for a in &answers {
        assert_eq!(a.status, 200);
        assert_eq!(a.body, answers[0].body);
    }
    let misses = answers
        .iter()
        .filter(|a| a.header("x-cache") == Some("miss"))
        .count();
    assert_eq!(misses, 1);
}

/// `dossier serve` on a fresh data directory (the built-in dossier is loaded), killed
/// when dropped.
struct Served {
    child: Child,
    url: String,
}

impl Served {
    fn start(data: &std::path::Path, extra: &[&str]) -> Served {
        let mut child = Command::new(cli::BIN)
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .env_remove("DOSSIER_BASE_URL")
            .env_remove("DOSSIER_MAX_CONNECTIONS")
            .env_remove("DOSSIER_CACHE_MB")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_string();
        Served { child, url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_import_beside_the_server_shows_on_the_very_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let served = Served::start(&data, &[]);
    let url = &served.url;
    const TITLE: &str = "Founding Act, as amended by the response cache test";
    let pages: &[(&str, &[(&str, &str)])] = &[
        ("/dossiers/nato-russia", &[HTML]),
        ("/dossiers/nato-russia", &[JSON]),
        ("/documents/founding-act-1997", &[HTML]),
        ("/documents/founding-act-1997", &[JSON]),
        ("/api/v1/documents/founding-act-1997", &[]),
        ("/dossiers/nato-russia/feed.atom", &[]),
        ("/feed.atom", &[]),
        ("/citations/founding-act-1997.ris", &[]),
    ];
    // Every page is kept, and shows the title as it is.
    for (path, headers) in pages {
        get(url, path, headers);
        let kept = get(url, path, headers);
        assert_eq!(kept.status, 200, "{path}");
        assert_eq!(kept.header("x-cache"), Some("hit"), "{path}");
        assert!(!kept.text().contains(TITLE), "{path}");
    }
    let md = dir.path().join("founding-act-1997.md");
    std::fs::write(
        &md,
        format!(
            "+++\ntitle = \"{TITLE}\"\nkind = \"founding-act\"\ndate = \"1997-05-27\"\n\
             parties = [\"nato\", \"russian-federation\"]\ndossiers = [\"nato-russia\"]\n+++\n\
             The text as amended.\n"
        ),
    )
    .unwrap();
    let o = cli::dossier(&data, &["import", "markdown", md.to_str().unwrap()]);
    assert!(o.status.success(), "{}", cli::out(&o));
    // The very next request, whichever page: the change is there.
    for (path, headers) in pages {
        let now = get(url, path, headers);
        assert_eq!(now.status, 200, "{path}");
        assert!(
            now.text().contains(TITLE),
            "{path} is stale after the import: {}",
            now.text().chars().take(400).collect::<String>()
        );
        assert_eq!(now.header("x-cache"), Some("miss"), "{path}");
        let again = get(url, path, headers);
        assert_eq!(again.header("x-cache"), Some("hit"), "{path}");
        assert_eq!(again.body, now.body, "{path}");
    }
}

#[test]
fn cache_mb_0_turns_the_cache_off() {
    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(&dir.path().join("data"), &["--cache-mb", "0"]);
    for _ in 0..2 {
        let a = get(
            &served.url,
            "/dossiers/nato-russia",
            &[HTML, ("Accept-Encoding", "br")],
        );
        assert_eq!(a.status, 200);
        assert_eq!(a.header("x-cache"), None);
        assert_eq!(a.header("content-encoding"), None);
    }
}
