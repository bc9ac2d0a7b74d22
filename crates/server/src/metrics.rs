//! `/metrics`: the server's counters in the Prometheus text exposition format (0.0.4).
//!
//! Written by hand rather than with a metrics crate: the set is small and fixed (requests
//! and latency by route pattern, worker pool, response cache, store and search time), each
//! server keeps its own (several serve in one test process; the `metrics` crate's recorder
//! is process-global), and the hot path stays lock-free: every count is an atomic, and a
//! route's counters are found in a fixed table of write-once slots (a route's slot is
//! filled on its first request, then only read), which a registry keyed by label values
//! behind a lock would not give.
//!
//! Routes are labelled with the router's pattern (`/documents/{slug}`), never the raw
//! path, so the number of series is bounded by the routes, not by what clients ask for;
//! requests that match no route share `route="unmatched"`.

use crate::routes::AppState;
use crate::workers::PoolStats;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The media type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Prometheus's default histogram buckets, in seconds.
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Route slots: far more than the router's routes, so that the table never fills (a
/// route past it would be counted as `unmatched`).
const ROUTE_SLOTS: usize = 256;

/// The label of requests that match no route.
const UNMATCHED: &str = "unmatched";

/// Status codes counted one by one: 100–599 (a code outside, which HTTP does not have, is
/// clamped into it).
const CODES: usize = 500;

/// A histogram over [`BUCKETS`]: per-bucket counts (the last is `+Inf`), summed into
/// cumulative buckets when written, so that `+Inf` and `_count` always agree.
pub(crate) struct Histogram {
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub(crate) fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = BUCKETS
            .iter()
            .position(|&le| secs <= le)
            .unwrap_or(BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Whether nothing was observed (such a labelled series is left out).
    fn is_empty(&self) -> bool {
        self.buckets.iter().all(|b| b.load(Ordering::Relaxed) == 0)
    }

    /// `name_bucket{labels,le="…"}` lines, then `_sum` and `_count`.
    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0u64;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Ordering::Relaxed);
            let le = match BUCKETS.get(i) {
                Some(le) => le.to_string(),
                None => "+Inf".into(),
            };
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let braces = |l: &str| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{{{l}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {cumulative}", braces(labels));
    }
}

/// One route's counters.
pub(crate) struct RouteStats {
    route: Box<str>,
    codes: Box<[AtomicU64]>,
    latency: Histogram,
    /// Time its requests spent on a request worker (store reads and rendering).
    store: Histogram,
    /// Requests whose handler was dropped before it answered: the request timeout
    /// answered them 503, or the client went away.
    abandoned: AtomicU64,
}

impl RouteStats {
    fn new(route: &str) -> Self {
        RouteStats {
            route: route.into(),
            codes: (0..CODES).map(|_| AtomicU64::new(0)).collect(),
            latency: Histogram::new(),
            store: Histogram::new(),
            abandoned: AtomicU64::new(0),
        }
    }

    pub(crate) fn answered(&self, status: StatusCode, took: Duration) {
        let i = usize::from(status.as_u16()).clamp(100, 100 + CODES - 1) - 100;
        self.codes[i].fetch_add(1, Ordering::Relaxed);
        self.latency.observe(took);
    }

    /// Records time spent on a worker for this route.
    pub(crate) fn store_time(&self, took: Duration) {
        self.store.observe(took);
    }
}

/// The response cache's figures as `/metrics` shows them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Bytes of the responses held.
    pub bytes: u64,
    /// Responses held.
    pub entries: u64,
}

/// Where the response cache reports: it counts hits and misses here and sets its size
/// after each change; `/metrics` reads a [`CacheStats`] snapshot.
#[derive(Debug, Default)]
pub struct CacheCounters {
    hits: AtomicU64,
    misses: AtomicU64,
    bytes: AtomicU64,
    entries: AtomicU64,
}

impl CacheCounters {
    pub fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    pub fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    /// The cache's size now.
    pub fn set_size(&self, bytes: u64, entries: u64) {
        self.bytes.store(bytes, Ordering::Relaxed);
        self.entries.store(entries, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            bytes: self.bytes.load(Ordering::Relaxed),
            entries: self.entries.load(Ordering::Relaxed),
        }
    }
}

/// One server's metrics.
pub struct Metrics {
    routes: Box<[OnceLock<Arc<RouteStats>>]>,
    unmatched: Arc<RouteStats>,
    /// Time searches took on a worker (the index's query and what its answer reads).
    search: Histogram,
    /// Time jobs waited in the queue for a worker.
    queue_wait: Histogram,
    /// The response cache's counters.
    pub(crate) cache: Arc<CacheCounters>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        Metrics {
            routes: (0..ROUTE_SLOTS).map(|_| OnceLock::new()).collect(),
            unmatched: Arc::new(RouteStats::new(UNMATCHED)),
            search: Histogram::new(),
            queue_wait: Histogram::new(),
            cache: Arc::new(CacheCounters::default()),
        }
    }

    /// The counters of the route with this pattern (`None`: no route matched), found or
    /// taken without a lock: slots are filled once and then only read.
    pub(crate) fn route(&self, pattern: Option<&str>) -> Arc<RouteStats> {
        let Some(pattern) = pattern else {
            return self.unmatched.clone();
        };
        let mut h = std::collections::hash_map::DefaultHasher::new();
        pattern.hash(&mut h);
        let start = h.finish() as usize;
        for i in 0..ROUTE_SLOTS {
            let slot = &self.routes[(start + i) % ROUTE_SLOTS];
            let stats = match slot.get() {
                Some(s) => s,
                None => slot.get_or_init(|| Arc::new(RouteStats::new(pattern))),
            };
            if &*stats.route == pattern {
                return stats.clone();
            }
        }
        self.unmatched.clone()
    }

    pub(crate) fn observe_search(&self, took: Duration) {
        self.search.observe(took);
    }

    pub(crate) fn observe_queue_wait(&self, took: Duration) {
        self.queue_wait.observe(took);
    }

    /// Runs a search (on a worker), timing it.
    pub(crate) fn time_search<T>(&self, search: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let value = search();
        self.observe_search(start.elapsed());
        value
    }

    /// The exposition text.
    pub(crate) fn render(&self, pool: PoolStats) -> String {
        let mut routes: Vec<&RouteStats> = self
            .routes
            .iter()
            .filter_map(|s| s.get().map(|s| &**s))
            .chain(std::iter::once(&*self.unmatched))
            .collect();
        routes.sort_by(|a, b| a.route.cmp(&b.route));
        let mut out = String::with_capacity(16 * 1024);
        declare(
            &mut out,
            "dossier_http_requests_total",
            "counter",
            "Requests answered, by route pattern and status code.",
        );
        for r in &routes {
            let route = escape(&r.route);
            for (i, c) in r.codes.iter().enumerate() {
                let n = c.load(Ordering::Relaxed);
                if n > 0 {
                    let code = i + 100;
                    let _ = writeln!(
                        out,
                        "dossier_http_requests_total{{route=\"{route}\",code=\"{code}\"}} {n}"
                    );
                }
            }
        }
        declare(
            &mut out,
            "dossier_http_requests_abandoned_total",
            "counter",
            "Requests dropped before they were answered (the request timeout answered 503, \
             or the client went away), by route pattern.",
        );
        for r in &routes {
            let n = r.abandoned.load(Ordering::Relaxed);
            if n > 0 {
                let _ = writeln!(
                    out,
                    "dossier_http_requests_abandoned_total{{route=\"{}\"}} {n}",
                    escape(&r.route)
                );
            }
        }
        declare(
            &mut out,
            "dossier_http_request_duration_seconds",
            "histogram",
            "Time from a request's routing to its answer's head, by route pattern.",
        );
        for r in routes.iter().filter(|r| !r.latency.is_empty()) {
            let labels = format!("route=\"{}\"", escape(&r.route));
            r.latency
                .write(&mut out, "dossier_http_request_duration_seconds", &labels);
        }
        declare(
            &mut out,
            "dossier_store_seconds",
            "histogram",
            "Time requests spent on a request worker (store reads and rendering), by route \
             pattern.",
        );
        for r in routes.iter().filter(|r| !r.store.is_empty()) {
            let labels = format!("route=\"{}\"", escape(&r.route));
            r.store.write(&mut out, "dossier_store_seconds", &labels);
        }
        declare(
            &mut out,
            "dossier_search_seconds",
            "histogram",
            "Time searches took (the index's query and what the answer reads).",
        );
        self.search.write(&mut out, "dossier_search_seconds", "");
        declare(
            &mut out,
            "dossier_queue_wait_seconds",
            "histogram",
            "Time jobs waited in the queue for a request worker.",
        );
        self.queue_wait
            .write(&mut out, "dossier_queue_wait_seconds", "");
        let cache = self.cache.snapshot();
        let gauges: [(&str, &str, &str, u64); 10] = [
            (
                "dossier_workers",
                "gauge",
                "Request workers (threads for store and render work).",
                pool.workers as u64,
            ),
            (
                "dossier_workers_busy",
                "gauge",
                "Request workers running a job now.",
                pool.busy as u64,
            ),
            (
                "dossier_queue_depth",
                "gauge",
                "Jobs waiting for a request worker now.",
                pool.queued as u64,
            ),
            (
                "dossier_queue_capacity",
                "gauge",
                "Jobs that may wait past the busy workers before requests are answered 503.",
                pool.capacity as u64,
            ),
            (
                "dossier_queue_rejected_total",
                "counter",
                "Requests answered 503 because every worker was busy and the queue full.",
                pool.refused,
            ),
            (
                "dossier_queue_abandoned_total",
                "counter",
                "Queued jobs dropped unrun because their request was gone.",
                pool.abandoned,
            ),
            (
                "dossier_cache_hits_total",
                "counter",
                "Responses answered from the response cache.",
                cache.hits,
            ),
            (
                "dossier_cache_misses_total",
                "counter",
                "Cacheable responses that were not in the response cache.",
                cache.misses,
            ),
            (
                "dossier_cache_bytes",
                "gauge",
                "Bytes of the responses in the response cache.",
                cache.bytes,
            ),
            (
                "dossier_cache_entries",
                "gauge",
                "Responses in the response cache.",
                cache.entries,
            ),
        ];
        for (name, kind, help, value) in gauges {
            declare(&mut out, name, kind, help);
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

fn declare(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the format writes it: `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

tokio::task_local! {
    /// The counters of the route whose request the task is answering, for the time its
    /// work spends on a worker ([`AppState::blocking`]).
    pub(crate) static CURRENT_ROUTE: Arc<RouteStats>;
}

/// Marks a request unanswered until its answer is recorded: dropped before that (the
/// request timeout, a client gone), it counts as abandoned.
struct Unanswered(Option<Arc<RouteStats>>);

impl Drop for Unanswered {
    fn drop(&mut self) {
        if let Some(r) = self.0.take() {
            r.abandoned.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The layer that counts every request by its route pattern and status and times it.
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let pattern = request.extensions().get::<MatchedPath>().cloned();
    let stats = state
        .metrics
        .route(pattern.as_ref().map(MatchedPath::as_str));
    let start = Instant::now();
    let mut pending = Unanswered(Some(stats.clone()));
    let response = CURRENT_ROUTE.scope(stats, next.run(request)).await;
    if let Some(stats) = pending.0.take() {
        stats.answered(response.status(), start.elapsed());
    }
    response
}

/// `GET /metrics`: never cached, and answered on the runtime (not the request workers),
/// so it answers while they are all busy.
pub(crate) async fn endpoint(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(state.workers.stats());
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> PoolStats {
        PoolStats {
            workers: 4,
            busy: 1,
            queued: 2,
            capacity: 8,
            refused: 3,
            abandoned: 0,
        }
    }

    #[test]
    fn buckets_are_cumulative_and_count_agrees() {
        let h = Histogram::new();
        for ms in [1, 7, 7, 300, 20_000] {
            h.observe(Duration::from_millis(ms));
        }
        let mut out = String::new();
        h.write(&mut out, "x", "route=\"/a\"");
        let counts: Vec<u64> = out
            .lines()
            .filter(|l| l.starts_with("x_bucket"))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(counts, [1, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 5]);
        assert!(out.contains("x_bucket{route=\"/a\",le=\"+Inf\"} 5\n"));
        assert!(out.contains("x_count{route=\"/a\"} 5\n"));
        assert!(out.contains("x_sum{route=\"/a\"} 20.315\n"), "{out}");
    }

    #[test]
    fn routes_are_counted_by_pattern_in_their_own_slot() {
        let m = Metrics::new();
        let a = m.route(Some("/documents/{slug}"));
        let b = m.route(Some("/bodies/{slug}"));
        assert!(Arc::ptr_eq(&a, &m.route(Some("/documents/{slug}"))));
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&m.route(None), &m.unmatched));
        a.answered(StatusCode::OK, Duration::from_millis(2));
        a.answered(StatusCode::OK, Duration::from_millis(2));
        a.answered(StatusCode::NOT_FOUND, Duration::from_millis(2));
        let text = m.render(pool());
        assert!(text
            .contains("dossier_http_requests_total{route=\"/documents/{slug}\",code=\"200\"} 2\n"));
        assert!(text
            .contains("dossier_http_requests_total{route=\"/documents/{slug}\",code=\"404\"} 1\n"));
        assert!(text.contains("dossier_queue_depth 2\n"));
        assert!(text.contains("dossier_queue_rejected_total 3\n"));
    }

    #[test]
    fn every_sample_line_is_well_formed_and_declared() {
        let m = Metrics::new();
        m.route(Some("/a\"b\\c"))
            .answered(StatusCode::OK, Duration::from_millis(1));
        m.cache.hit();
        m.cache.set_size(10, 2);
        let text = m.render(pool());
        let mut declared = std::collections::HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                declared.insert(rest.split(' ').next().unwrap().to_string());
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').unwrap();
            value.parse::<f64>().unwrap();
            let name = series.split('{').next().unwrap();
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s).filter(|f| declared.contains(*f)))
                .unwrap_or(name);
            assert!(declared.contains(family), "{line}");
        }
        assert!(text.contains("route=\"/a\\\"b\\\\c\""), "{text}");
        assert!(text.contains("dossier_cache_hits_total 1\n"));
        assert!(text.contains("dossier_cache_bytes 10\n"));
        assert!(text.contains("dossier_cache_entries 2\n"));
    }

    #[test]
    fn the_table_holds_many_routes() {
        let m = Metrics::new();
        for i in 0..100 {
            let p = format!("/r{i}");
            assert_eq!(&*m.route(Some(&p)).route, p);
        }
    }
}
