//! Issue 22, bounded work and metrics, over real HTTP: store and render work runs on a
//! fixed number of request workers behind a bounded queue; past it a request is answered
//! 503 with `Retry-After` at once (never held, never a new thread), a request that waits
//! past the request timeout is answered 503 and its job dropped unrun, and service resumes
//! when the workers are free. `/metrics` is Prometheus text: requests by route pattern and
//! status, latency histograms, queue, cache, store and search figures.
//!
//! The workers are held busy by a hook the test controls (no timing), except in the test
//! of the real binary, which loads it with many connections at once and reads its thread
//! count from /proc. The requests that must reach a worker are searches for words asked
//! nowhere else, so that no response cache can answer them.

#[path = "common/cli.rs"]
mod cli;

mod common;
use common::TestServer;
use dossier_server::{AppState, Limits};
use dossier_store::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A gate the workers wait at before each job they run, until it opens.
#[derive(Clone, Default)]
struct Gate {
    open: Arc<(Mutex<bool>, Condvar)>,
    /// Jobs that reached the gate (that is, jobs run).
    reached: Arc<AtomicUsize>,
}

impl Gate {
    fn closed() -> Self {
        Gate::default()
    }

    fn hook(&self) -> Arc<dyn Fn() + Send + Sync> {
        let gate = self.clone();
        Arc::new(move || {
            gate.reached.fetch_add(1, Ordering::SeqCst);
            let (m, c) = &*gate.open;
            let mut open = m.lock().unwrap();
            while !*open {
                open = c.wait(open).unwrap();
            }
        })
    }

    fn open(&self) {
        *self.open.0.lock().unwrap() = true;
        self.open.1.notify_all();
    }

    fn reached(&self) -> usize {
        self.reached.load(Ordering::SeqCst)
    }
}

/// Waits (a while at most, so that a failing test fails rather than hangs) until `done`.
fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// An in-process server over the built-in dossier, shaped by `configure`, with `limits`.
struct Server {
    base: String,
    document: String,
    _server: TestServer,
}

impl Server {
    fn start(
        limits: Limits,
        configure: impl FnOnce(AppState) -> AppState + Send + 'static,
    ) -> Self {
        let archive = dossier_ingest::builtin::archive().unwrap();
        let document = archive.documents[0].slug.to_string();
        let server = TestServer::with_limits(
            |store| {
                store.write(&archive).unwrap();
            },
            configure,
            limits,
        );
        Server {
            base: server.base.clone(),
            document,
            _server: server,
        }
    }
}

struct Answer {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

fn get(base: &str, path: &str, accept: &str) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let mut r = agent
        .get(&format!("{base}{path}"))
        .header("Accept", accept)
        .call()
        .unwrap();
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.body_mut().read_to_string().unwrap_or_default(),
    }
}

const HTML: &str = "text/html";
const JSON: &str = "application/json";

/// The samples of a `/metrics` text, by series (`name{labels}`), after checking that the
/// text is well-formed exposition format: every line a `# HELP`, a `# TYPE` or a sample;
/// every sample of a family declared with both before it; names and labels well-formed.
fn samples(text: &str) -> HashMap<String, f64> {
    fn is_name(s: &str) -> bool {
        let mut chars = s.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    }
    let mut helped = std::collections::HashSet::new();
    let mut typed = HashMap::new();
    let mut out = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP has a text");
            assert!(is_name(name) && !help.is_empty(), "{line}");
            helped.insert(name.to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE has a kind");
            assert!(is_name(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(helped.contains(name), "TYPE before HELP: {line}");
            assert!(
                typed.insert(name.to_string(), kind.to_string()).is_none(),
                "{line}"
            );
            continue;
        }
        assert!(!line.starts_with('#') && !line.is_empty(), "{line:?}");
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => (name, labels.strip_suffix('}').expect("labels close")),
            None => (series, ""),
        };
        assert!(is_name(name), "{line}");
        if !labels.is_empty() {
            for pair in split_labels(labels) {
                let (key, v) = pair.split_once('=').expect("label=value");
                assert!(is_name(key), "{line}");
                assert!(
                    v.starts_with('"') && v.ends_with('"') && v.len() >= 2,
                    "{line}"
                );
            }
        }
        let family = match typed.get(name).map(String::as_str) {
            Some(_) => name,
            None => ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .filter(|f| typed.get(*f).map(String::as_str) == Some("histogram"))
                .unwrap_or_else(|| panic!("sample of an undeclared family: {line}")),
        };
        if typed[family] == "counter" {
            assert!(name.ends_with("_total"), "{line}");
        }
        assert!(
            out.insert(series.to_string(), value).is_none(),
            "twice: {line}"
        );
    }
    out
}

/// `a="x",b="y"` into its pairs (values may hold escaped quotes and commas).
fn split_labels(labels: &str) -> Vec<&str> {
    let (mut pairs, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (i, c) in labels.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                pairs.push(&labels[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pairs.push(&labels[start..]);
    pairs
}

fn metrics(base: &str) -> HashMap<String, f64> {
    let a = get(base, "/metrics", "*/*");
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        a.header("content-type")
            .starts_with("text/plain; version=0.0.4"),
        "{}",
        a.header("content-type")
    );
    assert_eq!(a.header("cache-control"), "no-store");
    samples(&a.body)
}

fn sample(m: &HashMap<String, f64>, series: &str) -> f64 {
    m.get(series).copied().unwrap_or(0.0)
}

#[test]
fn past_the_workers_and_the_queue_a_request_is_answered_503_at_once_and_service_resumes() {
    let gate = Gate::closed();
    let hook = gate.hook();
    let s = Server::start(Limits::default(), move |state| {
        state.with_workers(1, 1).with_work_hook(hook)
    });
    let base = s.base.clone();
    // One request on the worker (held at the gate), one waiting in the queue.
    let held = std::thread::spawn({
        let base = base.clone();
        move || get(&base, "/search?q=held", HTML)
    });
    until("a job on the worker", || gate.reached() == 1);
    let queued = std::thread::spawn({
        let base = base.clone();
        move || get(&base, "/search?q=queued", JSON)
    });
    until("a job in the queue", || {
        sample(&metrics(&base), "dossier_queue_depth") == 1.0
    });
    // Anything else that needs a worker is refused at once, as the client asked for it.
    let page = get(&base, "/search?q=refused", HTML);
    assert_eq!(page.status, 503);
    assert_eq!(page.header("retry-after"), "1");
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.body.contains("try again in a moment"), "{}", page.body);
    let problem = get(&base, "/search?q=refused-too", JSON);
    assert_eq!(problem.status, 503);
    assert_eq!(problem.header("retry-after"), "1");
    assert_eq!(problem.header("content-type"), "application/problem+json");
    let v: serde_json::Value = serde_json::from_str(&problem.body).unwrap();
    assert_eq!(v["status"], 503);
    let api = get(&base, "/api/v1/search?q=refused", JSON);
    assert_eq!(api.status, 503);
    assert_eq!(api.header("retry-after"), "1");
    assert_eq!(api.header("content-type"), "application/problem+json");
    // /metrics does not need a worker: it answers while they are all busy.
    let m = metrics(&base);
    assert_eq!(sample(&m, "dossier_workers"), 1.0);
    assert_eq!(sample(&m, "dossier_workers_busy"), 1.0);
    assert_eq!(sample(&m, "dossier_queue_capacity"), 1.0);
    assert_eq!(sample(&m, "dossier_queue_rejected_total"), 3.0);
    assert_eq!(
        sample(
            &m,
            "dossier_http_requests_total{route=\"/search\",code=\"503\"}"
        ),
        2.0
    );
    // The held requests are answered once the worker is free, and service resumes.
    gate.open();
    assert_eq!(held.join().unwrap().status, 200);
    assert_eq!(queued.join().unwrap().status, 200);
    assert_eq!(get(&base, "/search?q=afterwards", HTML).status, 200);
    assert_eq!(get(&base, "/api/v1/search?q=afterwards", JSON).status, 200);
    assert_eq!(gate.reached(), 4);
}

#[test]
fn a_request_that_waits_past_the_timeout_is_answered_503_and_its_job_is_not_run() {
    let gate = Gate::closed();
    let hook = gate.hook();
    let limits = Limits {
        request_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let s = Server::start(limits, move |state| {
        state.with_workers(1, 4).with_work_hook(hook)
    });
    let base = s.base.clone();
    let held = std::thread::spawn({
        let base = base.clone();
        move || get(&base, "/search?q=held", HTML)
    });
    until("a job on the worker", || gate.reached() == 1);
    // This one waits in the queue behind the held one until its time is up.
    let waited = get(&base, "/search?q=waited", HTML);
    assert_eq!(waited.status, 503);
    assert_eq!(
        waited.header("retry-after"),
        "1",
        "a timed-out 503 says when to retry"
    );
    assert_eq!(held.join().unwrap().status, 503);
    // Both requests are gone. The worker finishes the held job, and drops the queued one
    // without running it.
    gate.open();
    until("the queued job dropped", || {
        let m = metrics(&base);
        sample(&m, "dossier_queue_abandoned_total") == 1.0
            && sample(&m, "dossier_workers_busy") == 0.0
    });
    assert_eq!(gate.reached(), 1, "the gone request's job ran");
    let m = metrics(&base);
    assert_eq!(sample(&m, "dossier_queue_depth"), 0.0);
    assert_eq!(
        sample(
            &m,
            "dossier_http_requests_abandoned_total{route=\"/search\"}"
        ),
        2.0
    );
    assert_eq!(get(&base, "/search?q=afterwards", HTML).status, 200);
    assert_eq!(gate.reached(), 2);
}

#[test]
fn metrics_are_prometheus_text_by_route_pattern() {
    let s = Server::start(Limits::default(), |state| state);
    let base = &s.base;
    let doc = format!("/documents/{}", s.document);
    let route = "route=\"/documents/{slug}\"";
    let ok = format!("dossier_http_requests_total{{{route},code=\"200\"}}");
    let before = metrics(base);
    assert_eq!(sample(&before, &ok), 0.0);
    assert_eq!(
        sample(&before, "dossier_workers"),
        dossier_store::READ_CONNECTIONS as f64
    );
    for name in [
        "dossier_cache_hits_total",
        "dossier_cache_misses_total",
        "dossier_cache_bytes",
        "dossier_cache_entries",
        "dossier_queue_depth",
        "dossier_workers_busy",
    ] {
        assert!(before.contains_key(name), "{name} missing");
    }
    assert_eq!(get(base, &doc, HTML).status, 200);
    let once = metrics(base);
    assert_eq!(sample(&once, &ok), 1.0);
    assert_eq!(get(base, &doc, JSON).status, 200);
    assert_eq!(get(base, "/documents/no-such-document", HTML).status, 404);
    assert_eq!(get(base, "/search?q=metrics", HTML).status, 200);
    assert_eq!(get(base, "/no/such/page", HTML).status, 404);
    let m = metrics(base);
    assert_eq!(sample(&m, &ok), 2.0);
    assert_eq!(
        sample(
            &m,
            &format!("dossier_http_requests_total{{{route},code=\"404\"}}")
        ),
        1.0
    );
    assert_eq!(
        sample(
            &m,
            "dossier_http_requests_total{route=\"unmatched\",code=\"404\"}"
        ),
        1.0
    );
    // Bounded cardinality: no series names a path as asked.
    assert!(
        m.keys()
            .all(|k| !k.contains(&s.document) && !k.contains("no-such")),
        "{:?}",
        m.keys().collect::<Vec<_>>()
    );
    // The latency histogram: buckets in order, cumulative, ending in +Inf = _count.
    let name = "dossier_http_request_duration_seconds";
    let mut buckets: Vec<(f64, f64)> = m
        .iter()
        .filter_map(|(k, v)| {
            let labels = k.strip_prefix(&format!("{name}_bucket{{{route},le=\""))?;
            let le = labels.strip_suffix("\"}")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            Some((le, *v))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let les: Vec<f64> = buckets.iter().map(|b| b.0).collect();
    assert_eq!(
        les,
        [
            0.005,
            0.01,
            0.025,
            0.05,
            0.1,
            0.25,
            0.5,
            1.0,
            2.5,
            5.0,
            10.0,
            f64::INFINITY
        ]
    );
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
    let count = sample(&m, &format!("{name}_count{{{route}}}"));
    assert_eq!(buckets.last().unwrap().1, count);
    assert_eq!(count, 3.0);
    assert!(m.contains_key(&format!("{name}_sum{{{route}}}")));
    // Store and search time: the search ran on a worker (a word asked nowhere else, so
    // not from a cache).
    assert_eq!(
        sample(&m, "dossier_store_seconds_count{route=\"/search\"}"),
        1.0
    );
    assert_eq!(sample(&m, "dossier_search_seconds_count"), 1.0);
    assert!(sample(&m, "dossier_queue_wait_seconds_count") >= 1.0);
    // /metrics counts itself as a route of its own.
    assert!(
        sample(
            &m,
            "dossier_http_requests_total{route=\"/metrics\",code=\"200\"}"
        ) >= 2.0
    );
    // Answers from the cache (given before the request is routed) count under the route
    // that built them, and in the cache's hits.
    let hits = sample(&m, "dossier_cache_hits_total");
    for _ in 0..3 {
        let again = get(base, &doc, HTML);
        assert_eq!((again.status, again.header("x-cache")), (200, "hit"));
    }
    let after = metrics(base);
    assert_eq!(sample(&after, &ok), 5.0);
    assert_eq!(sample(&after, &format!("{name}_count{{{route}}}")), 6.0);
    assert_eq!(sample(&after, "dossier_cache_hits_total"), hits + 3.0);
}

/// The real binary with 2 workers and a queue of 8, hit by many connections at once (each a
/// different page of a search, so that each needs a worker): every
/// request is answered (200, or 503 with `Retry-After`), the process's threads stay
/// bounded (tokio's blocking pool grew a thread per waiting request before), and it serves
/// normally afterwards.
#[cfg(target_os = "linux")]
#[test]
fn the_real_server_keeps_its_threads_bounded_under_many_connections() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::{Command, Stdio};
    use std::sync::atomic::AtomicBool;

    const CONNECTIONS: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(cli::BIN)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["serve", "--addr", "127.0.0.1:0", "--max-connections", "512"])
        .args(["--workers", "2", "--queue", "8"])
        .env_remove("DOSSIER_WORKERS")
        .env_remove("DOSSIER_QUEUE")
        .env_remove("DOSSIER_MAX_CONNECTIONS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("prints its address")
        .to_string();
    let addr = base.trim_start_matches("http://").to_string();
    let threads = {
        let tasks = format!("/proc/{}/task", server.id());
        move || std::fs::read_dir(&tasks).unwrap().count()
    };
    let page = "/dossiers/nato-russia";
    assert_eq!(get(&base, page, HTML).status, 200);
    let idle = threads();

    let loading = AtomicBool::new(true);
    let (most, answers) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut most = 0;
            while loading.load(Ordering::Acquire) {
                most = most.max(threads());
                std::thread::sleep(Duration::from_millis(2));
            }
            most
        });
        let mut sockets: Vec<TcpStream> = (0..CONNECTIONS)
            .map(|_| {
                let s = TcpStream::connect(&addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
                s
            })
            .collect();
        for (i, s) in sockets.iter_mut().enumerate() {
            let (page, per_page) = (i / 10 + 1, i % 10 + 1);
            write!(
                s,
                "GET /search?q=nato&page={page}&per_page={per_page} HTTP/1.1\r\nHost: t\r\n\
                 Accept: text/html\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
        }
        let answers: Vec<String> = sockets
            .into_iter()
            .map(|mut s| {
                let mut raw = String::new();
                s.read_to_string(&mut raw).expect("an answer, not a hang");
                raw
            })
            .collect();
        loading.store(false, Ordering::Release);
        (sampler.join().unwrap(), answers)
    });

    let mut refused = 0;
    for raw in &answers {
        let head = raw.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
        match head.split(' ').nth(1) {
            Some("200") => {}
            Some("503") => {
                assert!(head.contains("\r\nretry-after: 1"), "{head}");
                refused += 1;
            }
            _ => panic!("neither 200 nor 503: {head}"),
        }
    }
    // Normal service afterwards, and the refusals were the queue's.
    assert_eq!(get(&base, page, HTML).status, 200);
    let m = metrics(&base);
    assert_eq!(sample(&m, "dossier_queue_rejected_total"), refused as f64);
    assert_eq!(sample(&m, "dossier_workers"), 2.0);
    let _ = server.kill();
    let _ = server.wait();
    // Threads: the runtime's, the 2 workers (started by the first request) and at most a
    // few of tokio's capped blocking pool; not one per waiting request.
    assert!(
        most <= idle + 8,
        "{most} threads under {CONNECTIONS} connections, {idle} idle ({refused} refused)"
    );
}
