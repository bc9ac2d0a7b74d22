//! The link checker against local HTTP servers started here: every answer a cited page
//! can give (200, 404, 410, soft 404s, redirects, loops, slow and endless bodies), and the
//! safety rules (no loopback, private or metadata address unless the host is allowed,
//! checked again at every redirect).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dossier_store::{LinkOutcome, Store};
use dossier_upkeep::check::{CheckOptions, CheckResult, Checker};
use dossier_upkeep::fetch::{FetchError, FetchPolicy, Fetcher};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the test server answers.
#[derive(Clone)]
enum Reply {
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Headers, then one byte a second, forever.
    Slow,
    /// Headers, then bytes as fast as they go, forever.
    Endless,
}

fn ok(body: &str) -> Reply {
    Reply::Full {
        status: 200,
        headers: vec![("Content-Type", "text/html".into())],
        body: body.into(),
    }
}

fn status(code: u16) -> Reply {
    Reply::Full {
        status: code,
        headers: vec![],
        body: format!("<h1>{code}</h1>"),
    }
}

fn redirect(code: u16, to: &str) -> Reply {
    Reply::Full {
        status: code,
        headers: vec![("Location", to.into())],
        body: String::new(),
    }
}

type Handler = Arc<dyn Fn(&str, &str) -> Reply + Send + Sync>;

struct Server {
    addr: SocketAddr,
    /// Most requests in flight at once.
    peak: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// A server on `ip` (a loopback address) answering `(method, path)` with the handler's
/// reply, holding each answer `hold` before writing it (to make requests overlap).
async fn serve(ip: &str, hold: Duration, handler: Handler) -> Server {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let peak = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let now = Arc::new(AtomicUsize::new(0));
    let (p, r) = (peak.clone(), requests.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (handler, peak, requests, now) =
                (handler.clone(), p.clone(), r.clone(), now.clone());
            tokio::spawn(async move {
                let _ = answer(stream, hold, handler, peak, requests, now).await;
            });
        }
    });
    Server {
        addr,
        peak,
        requests,
    }
}

async fn answer(
    mut stream: TcpStream,
    hold: Duration,
    handler: Handler,
    peak: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    now: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let mut first = head.lines().next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let path = first.next().unwrap_or("").to_string();
    requests.fetch_add(1, Ordering::SeqCst);
    let inflight = now.fetch_add(1, Ordering::SeqCst) + 1;
    peak.fetch_max(inflight, Ordering::SeqCst);
    tokio::time::sleep(hold).await;
    let reply = handler(&method, &path);
    now.fetch_sub(1, Ordering::SeqCst);
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            if method != "HEAD" {
                out.push_str(&body);
            }
            stream.write_all(out.as_bytes()).await?;
        }
        Reply::Slow | Reply::Endless => {
            let slow = matches!(reply, Reply::Slow);
            stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n",
                )
                .await?;
            if method == "HEAD" {
                return Ok(());
            }
            let block = vec![b'a'; 16 * 1024];
            loop {
                if slow {
                    stream.write_all(b"a").await?;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                } else {
                    stream.write_all(&block).await?;
                }
            }
        }
    }
    Ok(())
}

fn policy(allow: &[&str]) -> FetchPolicy {
    FetchPolicy {
        allow_hosts: allow.iter().map(|s| s.to_string()).collect(),
        timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(2),
        max_body: 1024 * 1024,
        ..FetchPolicy::default()
    }
}

fn options() -> CheckOptions {
    CheckOptions {
        delay: Duration::ZERO,
        sample_bytes: 64 * 1024,
        ..CheckOptions::default()
    }
}

fn checker(allow: &[&str]) -> Arc<Checker> {
    Arc::new(Checker::new(policy(allow), options()).unwrap())
}

/// A site with real 404s and every kind of answer a cited page can give.
fn site(base: Arc<std::sync::OnceLock<String>>) -> Handler {
    Arc::new(move |method, path| {
        let base = base.get().cloned().unwrap_or_default();
        match path {
            "/robots.txt" => Reply::Full {
                status: 200,
                headers: vec![],
                body: "User-agent: *\nDisallow: /private\n".into(),
            },
            "/" => ok("<h1>Home</h1>"),
            "/ok" => ok("<h1>The Founding Act</h1>"),
            "/missing" => status(404),
            "/gone" => status(410),
            "/error" => status(500),
            "/busy" => status(503),
            "/old" => redirect(301, "/"),
            "/a" => redirect(301, "/b"),
            "/b" => redirect(302, &format!("{base}/c")),
            "/c" => ok("<h1>Moved here</h1>"),
            "/loop1" => redirect(302, "/loop2"),
            "/loop2" => redirect(302, "/loop1"),
            p if p.starts_with("/chain") => {
                let n: u32 = p[6..].parse().unwrap_or(0);
                redirect(302, &format!("/chain{}", n + 1))
            }
            "/private/page" => ok("<h1>Private</h1>"),
            "/no-head" if method == "HEAD" => status(405),
            "/no-head" => ok("<h1>Only GET</h1>"),
            "/slow" if method == "HEAD" => status(405),
            "/slow" => Reply::Slow,
            "/endless" if method == "HEAD" => status(405),
            "/endless" => Reply::Endless,
            "/to-metadata" => redirect(302, "http://169.254.169.254/latest/meta-data/"),
            "/to-metadata-v6" => redirect(302, "http://[fd00:ec2::254]/"),
            "/to-file" => redirect(302, "file:///etc/passwd"),
            "/to-javascript" => redirect(302, "javascript:alert(1)"),
            "/no-location" => status(302),
            _ => status(404),
        }
    })
}

async fn local_site() -> Server {
    let base = Arc::new(std::sync::OnceLock::new());
    let server = serve("127.0.0.1", Duration::ZERO, site(base.clone())).await;
    base.set(format!("http://{}", server.addr)).unwrap();
    server
}

async fn check_paths(c: &Arc<Checker>, s: &Server, paths: &[&str]) -> HashMap<String, CheckResult> {
    let urls: Vec<String> = paths.iter().map(|p| s.url(p)).collect();
    let results = c.check_all(&urls, |_| {}).await;
    paths.iter().map(|p| p.to_string()).zip(results).collect()
}

#[tokio::test]
async fn every_answer_gets_its_outcome() {
    let s = local_site().await;
    let c = checker(&["127.0.0.1"]);
    let r = check_paths(
        &c,
        &s,
        &[
            "/ok",
            "/missing",
            "/gone",
            "/error",
            "/busy",
            "/old",
            "/a",
            "/loop1",
            "/chain0",
            "/private/page",
            "/no-head",
            "/no-location",
        ],
    )
    .await;
    let outcome = |p: &str| r[p].outcome;
    assert_eq!(outcome("/ok"), LinkOutcome::Ok, "{:?}", r["/ok"]);
    assert_eq!(r["/ok"].status, Some(200));
    assert!(r["/ok"].message.is_empty());

    assert_eq!(outcome("/missing"), LinkOutcome::Broken);
    assert_eq!(r["/missing"].status, Some(404));
    assert!(
        r["/missing"].message.contains("404 Not Found"),
        "{}",
        r["/missing"].message
    );
    assert!(r["/missing"].message.contains("/missing"));

    assert_eq!(outcome("/gone"), LinkOutcome::Gone);
    assert_eq!(r["/gone"].status, Some(410));
    assert_eq!(outcome("/error"), LinkOutcome::Broken);
    assert_eq!(outcome("/busy"), LinkOutcome::Error);

    // A deep address redirected to the home page is a soft 404.
    assert_eq!(outcome("/old"), LinkOutcome::Soft404, "{:?}", r["/old"]);
    assert!(r["/old"].message.contains("home page"));

    // A chain: both hops recorded, the end kept.
    let a = &r["/a"];
    assert_eq!(a.outcome, LinkOutcome::Redirected, "{a:?}");
    assert_eq!(a.redirects.len(), 2);
    assert_eq!(a.redirects[0].status, 301);
    assert_eq!(a.redirects[0].location, s.url("/b"));
    assert_eq!(a.redirects[1].status, 302);
    assert_eq!(a.final_url.as_deref(), Some(s.url("/c").as_str()));

    let l = &r["/loop1"];
    assert_eq!(l.outcome, LinkOutcome::Error);
    assert!(l.message.contains("redirect loop"), "{}", l.message);
    assert_eq!(l.redirects.len(), 2);

    let chain = &r["/chain0"];
    assert_eq!(chain.outcome, LinkOutcome::Error);
    assert!(
        chain.message.contains("more than 10 redirects"),
        "{}",
        chain.message
    );

    assert_eq!(outcome("/private/page"), LinkOutcome::Robots);
    assert!(r["/private/page"].message.contains("robots.txt"));

    // HEAD refused (405): GET decides.
    assert_eq!(outcome("/no-head"), LinkOutcome::Ok, "{:?}", r["/no-head"]);

    assert_eq!(outcome("/no-location"), LinkOutcome::Broken);
    assert!(r["/no-location"].message.contains("Location"));
}

#[tokio::test]
async fn slow_bodies_time_out_and_endless_bodies_are_cut() {
    let s = local_site().await;
    let c = checker(&["127.0.0.1"]);
    let r = check_paths(&c, &s, &["/slow", "/endless"]).await;
    let slow = &r["/slow"];
    assert_eq!(slow.outcome, LinkOutcome::Error, "{slow:?}");
    assert!(
        slow.message.contains("no complete answer within 3 s"),
        "{}",
        slow.message
    );
    // Cut at the sample size, well before the three seconds would run out.
    assert_eq!(
        r["/endless"].outcome,
        LinkOutcome::Ok,
        "{:?}",
        r["/endless"]
    );

    // The fetch client says the body was cut, at its cap.
    let f = Fetcher::new(FetchPolicy {
        max_body: 100_000,
        ..policy(&["127.0.0.1"])
    })
    .unwrap();
    let got = f.get(&s.url("/endless")).await.unwrap();
    assert!(got.truncated);
    assert_eq!(got.body.len(), 100_000);
}

#[tokio::test]
async fn soft_404_site_is_recognised() {
    // A site that answers 200 to everything, with its "not found" page for what it lacks.
    let handler: Handler = Arc::new(|_, path| match path {
        "/real" => ok(
            "<html><title>NATO-Russia Founding Act</title><body>Paris, 27 May \
                       1997. The text of the Act signed by the heads of state.</body></html>",
        ),
        p => ok(&format!(
            "<html><title>Oops</title><body>We could not find {p}. Try the search.</body></html>"
        )),
    });
    let s = serve("127.0.0.1", Duration::ZERO, handler).await;
    let c = checker(&["127.0.0.1"]);
    let r = check_paths(&c, &s, &["/real", "/treaties/founding-act-1997"]).await;
    assert_eq!(r["/real"].outcome, LinkOutcome::Ok, "{:?}", r["/real"]);
    let soft = &r["/treaties/founding-act-1997"];
    assert_eq!(soft.outcome, LinkOutcome::Soft404, "{soft:?}");
    assert_eq!(soft.status, Some(200));
    assert!(soft.message.contains("not found"));

    // Switched off, the same page passes.
    let off = Arc::new(
        Checker::new(
            policy(&["127.0.0.1"]),
            CheckOptions {
                soft_404: false,
                ..options()
            },
        )
        .unwrap(),
    );
    let r = check_paths(&off, &s, &["/treaties/founding-act-1997"]).await;
    assert_eq!(r["/treaties/founding-act-1997"].outcome, LinkOutcome::Ok);
}

#[tokio::test]
async fn redirects_into_forbidden_addresses_are_refused_at_every_hop() {
    let s = local_site().await;
    let c = checker(&["127.0.0.1"]);
    let r = check_paths(
        &c,
        &s,
        &[
            "/to-metadata",
            "/to-metadata-v6",
            "/to-file",
            "/to-javascript",
        ],
    )
    .await;
    for p in ["/to-metadata", "/to-metadata-v6"] {
        assert_eq!(r[p].outcome, LinkOutcome::Refused, "{p}: {:?}", r[p]);
        assert!(r[p].message.contains("metadata"), "{}", r[p].message);
    }
    assert_eq!(r["/to-file"].outcome, LinkOutcome::Refused);
    assert!(r["/to-file"].message.contains("only http and https"));
    assert_eq!(r["/to-javascript"].outcome, LinkOutcome::Refused);

    // A second loopback address, not on the allow list, by IP and by a name that
    // resolves to loopback (the resolver's refusal, found in the error's causes).
    let other = serve(
        "127.0.0.2",
        Duration::ZERO,
        Arc::new(|_, _| ok("<h1>inside</h1>")),
    )
    .await;
    let port = other.addr.port();
    let hops: Handler = Arc::new(move |_, path| match path {
        "/to-127-0-0-2" => redirect(302, &format!("http://127.0.0.2:{port}/secret")),
        "/to-localhost" => redirect(302, &format!("http://localhost:{port}/secret")),
        _ => status(404),
    });
    let s2 = serve("127.0.0.1", Duration::ZERO, hops).await;
    let r = check_paths(&c, &s2, &["/to-127-0-0-2", "/to-localhost"]).await;
    for p in ["/to-127-0-0-2", "/to-localhost"] {
        assert_eq!(r[p].outcome, LinkOutcome::Refused, "{p}: {:?}", r[p]);
        assert!(r[p].message.contains("loopback"), "{}", r[p].message);
    }
    assert_eq!(
        other.requests.load(Ordering::SeqCst),
        0,
        "the refused server was reached"
    );

    // Allowed, the same redirect is followed.
    let allowed = checker(&["127.0.0.1", "127.0.0.2"]);
    let r = check_paths(&allowed, &s2, &["/to-127-0-0-2"]).await;
    assert_eq!(
        r["/to-127-0-0-2"].outcome,
        LinkOutcome::Redirected,
        "{:?}",
        r["/to-127-0-0-2"]
    );
}

#[tokio::test]
async fn nothing_local_is_fetched_without_an_allow_list() {
    let s = local_site().await;
    let c = checker(&[]);
    let r = check_paths(&c, &s, &["/ok"]).await;
    assert_eq!(r["/ok"].outcome, LinkOutcome::Refused, "{:?}", r["/ok"]);
    assert_eq!(s.requests.load(Ordering::SeqCst), 0);

    let f = Fetcher::new(policy(&[])).unwrap();
    for url in [
        format!("http://localhost:{}/ok", s.addr.port()),
        format!("http://[::ffff:127.0.0.1]:{}/ok", s.addr.port()),
        format!("http://0x7f000001:{}/ok", s.addr.port()),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://[fd00:ec2::254]/".to_string(),
        "http://10.0.0.1/".to_string(),
        "http://192.168.0.1/".to_string(),
        "http://100.64.0.1/".to_string(),
        "http://[fe80::1]/".to_string(),
        "http://0.0.0.0/".to_string(),
    ] {
        let e = f.get(&url).await.unwrap_err();
        assert!(matches!(e, FetchError::Blocked { .. }), "{url}: {e:?}");
    }
    assert_eq!(s.requests.load(Ordering::SeqCst), 0);

    let c = checker(&[]);
    for (raw, want) in [
        ("file:///etc/passwd", LinkOutcome::Refused),
        ("javascript:alert(1)", LinkOutcome::Refused),
        (
            "data:text/html,<script>alert(1)</script>",
            LinkOutcome::Refused,
        ),
        ("ftp://example.org/x", LinkOutcome::Refused),
        ("not an address", LinkOutcome::Error),
        ("http://", LinkOutcome::Error),
    ] {
        let r = c.check(raw).await;
        assert_eq!(r.outcome, want, "{raw}: {r:?}");
        assert!(!r.message.is_empty());
    }
}

#[tokio::test]
async fn per_host_limit_holds() {
    let s = serve(
        "127.0.0.1",
        Duration::from_millis(30),
        Arc::new(|_, _| ok("<h1>page</h1>")),
    )
    .await;
    let c = Arc::new(
        Checker::new(
            policy(&["127.0.0.1"]),
            CheckOptions {
                per_host: 2,
                concurrency: 50,
                robots: false,
                soft_404: false,
                ..options()
            },
        )
        .unwrap(),
    );
    let urls: Vec<String> = (0..24).map(|i| s.url(&format!("/p{i}"))).collect();
    let results = c.check_all(&urls, |_| {}).await;
    assert!(results.iter().all(|r| r.outcome == LinkOutcome::Ok));
    assert!(
        s.peak.load(Ordering::SeqCst) <= 2,
        "peak {}",
        s.peak.load(Ordering::SeqCst)
    );
    assert!(s.peak.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn results_are_kept_as_history() {
    let s = local_site().await;
    let c = checker(&["127.0.0.1"]);
    let r = check_paths(&c, &s, &["/ok", "/a", "/gone"]).await;
    let store = dossier_store::SqliteStore::in_memory().unwrap();
    let lc = store.link_checks().unwrap();
    let rows: Vec<_> = ["/ok", "/a", "/gone"]
        .iter()
        .map(|p| r[*p].to_row(1_800_000_000))
        .collect();
    lc.add_link_checks(&rows).unwrap();
    let latest = lc.latest_link_checks().unwrap();
    assert_eq!(latest.len(), 3);
    let a = latest.iter().find(|l| l.url == s.url("/a")).unwrap();
    assert_eq!(a.outcome, LinkOutcome::Redirected);
    assert_eq!(a.redirects.len(), 2);
    assert_eq!(a.final_url.as_deref(), Some(s.url("/c").as_str()));
}

/// A store whose one document cites `urls`.
fn store_citing(urls: &[String]) -> Arc<dyn Store> {
    let sources: Vec<_> = urls
        .iter()
        .enumerate()
        .map(|(i, u)| serde_json::json!({ "title": format!("source {i}"), "url": u }))
        .collect();
    let doc: dossier_model::Document = serde_json::from_value(serde_json::json!({
        "slug": "cited",
        "title": "A document citing local pages",
        "kind": "statement",
        "sources": sources,
    }))
    .unwrap();
    let store = dossier_store::SqliteStore::in_memory().unwrap();
    store
        .write(&dossier_model::Archive {
            documents: vec![doc],
            ..Default::default()
        })
        .unwrap();
    Arc::new(store)
}

#[tokio::test]
async fn run_check_lists_the_cited_addresses_and_keeps_the_run() {
    let s = local_site().await;
    let store = store_citing(&[s.url("/ok"), s.url("/gone"), s.url("/ok")]);
    let cited = dossier_upkeep::check::cited_urls(store.as_ref(), None).unwrap();
    assert_eq!(cited.len(), 2, "one entry per address: {cited:?}");
    assert_eq!(cited[0].cited_by.len(), 2);
    assert_eq!(cited[0].cited_by[1].field, "sources[2].url");
    let (_, results, summary) = dossier_upkeep::check::run_check(
        store.clone(),
        checker(&["127.0.0.1"]),
        None,
        dossier_store::RunTrigger::Cli,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!((summary.checked, summary.failed), (2, 1));
    let lc = store.link_checks().unwrap();
    let runs = lc.link_runs(5).unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].checked, runs[0].failed), (2, 1));
    assert_eq!(lc.latest_link_checks().unwrap().len(), 2);
}

#[tokio::test]
async fn the_schedule_runs_when_due() {
    let s = local_site().await;
    let store = store_citing(&[s.url("/ok")]);
    // Started long ago and never run: due at once.
    let started = dossier_upkeep::check::unix_now() - 3600;
    let job = tokio::spawn(dossier_upkeep::check::run_on_schedule(
        store.clone(),
        checker(&["127.0.0.1"]),
        Duration::from_secs(600),
        started,
    ));
    let lc = store.link_checks().unwrap();
    let mut finished = None;
    for _ in 0..200 {
        if let Some(run) = lc.link_runs(1).unwrap().into_iter().next() {
            if run.finished_at.is_some() {
                finished = Some(run);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    job.abort();
    let run = finished.expect("a scheduled run within ten seconds");
    assert_eq!(run.trigger, dossier_store::RunTrigger::Schedule);
    assert_eq!(run.checked, 1);
    // The next is an interval after it.
    assert_eq!(
        dossier_store::next_link_run(Some(run.started_at), 600, started, run.started_at),
        run.started_at + 600
    );
}
