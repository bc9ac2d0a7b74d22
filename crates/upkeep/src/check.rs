//! The link checker: every external address the archive cites, checked concurrently but
//! politely, each result kept in the store's history (issue 25).
//!
//! Politeness, per site (scheme, host and port): at most [`CheckOptions::per_host`]
//! requests at once and a pause after each ([`CheckOptions::delay`], or the site's
//! `Crawl-delay` up to ten seconds); robots.txt fetched once per site and obeyed for this
//! checker's user agent (a site whose robots.txt cannot be had is checked: only an explicit
//! `Disallow` stops a check). All requests go through [`crate::fetch`], so every address
//! rule holds here too.
//!
//! A check asks `HEAD` first and falls back to `GET` when the answer is an error (many
//! servers answer `HEAD` wrongly). A 200 can still be a dead link (a "soft 404"): the
//! checker asks each site once for an address that cannot exist; where the site answers
//! that with a success too, a page whose answer looks like it (same final address, or
//! nearly the same words) is the site's "not found" page. A redirect from a deep address
//! to the site's home page is a soft 404 as well.

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dossier_model::url::{dossier_urls, source_urls};
use dossier_model::{Provenance, RecordType};
use dossier_store::{
    DocumentQuery, EventQuery, LinkHop, LinkOutcome, NewLinkCheck, RunTrigger, Store, StoreError,
};
use serde::Serialize;
use tokio::sync::{OnceCell, Semaphore};
use url::Url;

use crate::fetch::{FetchError, FetchPolicy, FetchRequest, Fetched, Fetcher};

/// How the checker behaves; the limits of each request are the [`FetchPolicy`]'s.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Requests in flight at once, over all sites.
    pub concurrency: usize,
    /// Requests in flight at once to one site.
    pub per_host: usize,
    /// The pause after each request before the same slot asks the same site again.
    pub delay: Duration,
    /// Obey robots.txt.
    pub robots: bool,
    /// Look for soft 404s (costs one request per site that answers 200 to anything).
    pub soft_404: bool,
    /// Bytes of a page read for the soft-404 comparison.
    pub sample_bytes: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            concurrency: 64,
            per_host: 4,
            delay: Duration::from_millis(100),
            robots: true,
            soft_404: true,
            sample_bytes: 256 * 1024,
        }
    }
}

/// The longest `Crawl-delay` honoured; a site asking for more is checked at this pace.
const MAX_CRAWL_DELAY: Duration = Duration::from_secs(10);
/// robots.txt is read up to this size (what the major crawlers read, RFC 9309 §2.5).
const ROBOTS_MAX_BYTES: usize = 500 * 1024;

/// The result of checking one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub url: String,
    pub outcome: LinkOutcome,
    /// The last HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Where redirects ended, when there were any.
    pub final_url: Option<String>,
    pub redirects: Vec<LinkHop>,
    /// What is wrong, for a person (empty for a working link).
    pub message: String,
    pub elapsed_ms: u64,
}

impl CheckResult {
    /// The store's row for this result, checked at `checked_at` (seconds since 1970).
    pub fn to_row(&self, checked_at: i64) -> NewLinkCheck {
        NewLinkCheck {
            url: self.url.clone(),
            checked_at,
            outcome: self.outcome,
            status: self.status,
            final_url: self.final_url.clone(),
            redirects: self.redirects.clone(),
            message: self.message.clone(),
            elapsed_ms: self.elapsed_ms,
        }
    }
}

/// What the checker knows about one site.
#[derive(Default)]
struct Site {
    slots: OnceCell<Arc<Semaphore>>,
    robots: OnceCell<Robots>,
    baseline: OnceCell<Option<Baseline>>,
}

/// A site's robots.txt as it applies to this checker.
enum Robots {
    /// Nothing to obey: no file, an unreadable one, or robots switched off.
    AllowAll,
    Rules(Box<texting_robots::Robot>),
}

/// How a site answers an address that cannot exist, when it answers with a success.
struct Baseline {
    final_url: String,
    words: HashSet<String>,
}

/// Checks addresses; shares its connection pool, robots.txt cache and per-site slots
/// between all the checks it makes.
pub struct Checker {
    fetcher: Fetcher,
    options: CheckOptions,
    global: Arc<Semaphore>,
    sites: Mutex<HashMap<String, Arc<Site>>>,
    seed: std::collections::hash_map::RandomState,
}

impl Checker {
    pub fn new(policy: FetchPolicy, options: CheckOptions) -> Result<Self, FetchError> {
        let options = CheckOptions {
            concurrency: options.concurrency.max(1),
            per_host: options.per_host.max(1),
            ..options
        };
        Ok(Checker {
            fetcher: Fetcher::new(policy)?,
            global: Arc::new(Semaphore::new(options.concurrency)),
            options,
            sites: Mutex::new(HashMap::new()),
            seed: Default::default(),
        })
    }

    pub fn fetcher(&self) -> &Fetcher {
        &self.fetcher
    }

    fn site(&self, origin: &str) -> Arc<Site> {
        let mut sites = self.sites.lock().unwrap_or_else(|p| p.into_inner());
        sites.entry(origin.to_string()).or_default().clone()
    }

    /// Checks every address, at most `concurrency` at once, and calls `each` with every
    /// result as it comes (for a progress bar, or to store it). Returns the results in
    /// the order of `urls`.
    pub async fn check_all(
        self: &Arc<Self>,
        urls: &[String],
        each: impl Fn(&CheckResult) + Send + Sync + 'static,
    ) -> Vec<CheckResult> {
        let each = Arc::new(each);
        let mut tasks = tokio::task::JoinSet::new();
        for (i, url) in urls.iter().enumerate() {
            let me = self.clone();
            let url = url.clone();
            let each = each.clone();
            tasks.spawn(async move {
                let r = me.check(&url).await;
                each(&r);
                (i, r)
            });
        }
        let mut out: Vec<Option<CheckResult>> = vec![None; urls.len()];
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok((i, r)) => out[i] = Some(r),
                Err(e) => propagate_panic(e),
            }
        }
        out.into_iter()
            .zip(urls)
            .map(|(r, url)| {
                r.unwrap_or_else(|| CheckResult {
                    url: url.clone(),
                    outcome: LinkOutcome::Error,
                    status: None,
                    final_url: None,
                    redirects: Vec::new(),
                    message: format!("{url}: the check stopped unexpectedly"),
                    elapsed_ms: 0,
                })
            })
            .collect()
    }

    /// Checks one address (within the per-site and overall limits).
    pub async fn check(&self, url: &str) -> CheckResult {
        let started = Instant::now();
        let mut result = self.check_inner(url).await;
        result.elapsed_ms = started.elapsed().as_millis().min(u64::MAX as u128) as u64;
        result
    }

    async fn check_inner(&self, raw: &str) -> CheckResult {
        let fail = |outcome, message: String| CheckResult {
            url: raw.to_string(),
            outcome,
            status: None,
            final_url: None,
            redirects: Vec::new(),
            message,
            elapsed_ms: 0,
        };
        let url = match crate::fetch::parse_url(raw) {
            Ok(u) => u,
            Err(e) => return fail(LinkOutcome::Error, e.to_string()),
        };
        if let Err(e) = self.fetcher.check_url(&url) {
            let outcome = if e.is_refused() {
                LinkOutcome::Refused
            } else {
                LinkOutcome::Error
            };
            return fail(outcome, e.to_string());
        }
        let origin = url.origin().ascii_serialization();
        let site = self.site(&origin);
        let slots = site
            .slots
            .get_or_init(|| async { Arc::new(Semaphore::new(self.options.per_host)) })
            .await
            .clone();

        let robots = site
            .robots
            .get_or_init(|| self.load_robots(&url, &slots))
            .await;
        if let Robots::Rules(r) = robots {
            if !r.allowed(url.as_str()) {
                return fail(
                    LinkOutcome::Robots,
                    format!(
                        "{url}: not checked, the site's robots.txt asks {} not to fetch it",
                        self.fetcher.policy().user_agent
                    ),
                );
            }
        }
        let pause = self.pause(robots);

        // HEAD first; GET when HEAD fails in a way GET may not.
        let head = self
            .polite(&slots, pause, FetchRequest::head(url.clone()))
            .await;
        let answer = match head {
            Ok(f) if f.status < 400 => Ok(f),
            Ok(_) | Err(FetchError::Http { .. }) => {
                let mut get = FetchRequest::get(url.clone());
                get.max_body = Some(self.options.sample_bytes);
                self.polite(&slots, pause, get).await
            }
            Err(e) => Err(e),
        };
        let fetched = match answer {
            Ok(f) => f,
            Err(e) => {
                let outcome = if e.is_refused() {
                    LinkOutcome::Refused
                } else {
                    LinkOutcome::Error
                };
                let mut r = fail(outcome, e.to_string());
                r.redirects = e.hops().iter().map(hop).collect();
                return r;
            }
        };
        self.judge(&url, fetched, &site, &slots, pause).await
    }

    /// The pause after each request to a site: ours, or the site's Crawl-delay (bounded).
    fn pause(&self, robots: &Robots) -> Duration {
        let asked = match robots {
            Robots::Rules(r) => r
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(MAX_CRAWL_DELAY.as_secs_f32())))
                .unwrap_or_default(),
            Robots::AllowAll => Duration::ZERO,
        };
        asked.max(self.options.delay)
    }

    /// One request within the site's slots and the overall limit, then the pause (holding
    /// the site's slot, not the overall one).
    async fn polite(
        &self,
        slots: &Semaphore,
        pause: Duration,
        req: FetchRequest,
    ) -> Result<Fetched, FetchError> {
        let Ok(_slot) = slots.acquire().await else {
            unreachable_closed()
        };
        let answer = {
            let Ok(_global) = self.global.acquire().await else {
                unreachable_closed()
            };
            self.fetcher.fetch(req).await
        };
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        answer
    }

    async fn load_robots(&self, url: &Url, slots: &Semaphore) -> Robots {
        if !self.options.robots {
            return Robots::AllowAll;
        }
        let Ok(robots_url) = url.join("/robots.txt") else {
            return Robots::AllowAll;
        };
        let mut req = FetchRequest::get(robots_url);
        req.max_body = Some(ROBOTS_MAX_BYTES);
        match self.polite(slots, self.options.delay, req).await {
            Ok(f) if (200..300).contains(&f.status) => {
                match texting_robots::Robot::new(&self.fetcher.policy().user_agent, &f.body) {
                    Ok(r) => Robots::Rules(Box::new(r)),
                    Err(_) => Robots::AllowAll,
                }
            }
            _ => Robots::AllowAll,
        }
    }

    async fn judge(
        &self,
        url: &Url,
        f: Fetched,
        site: &Site,
        slots: &Semaphore,
        pause: Duration,
    ) -> CheckResult {
        let redirects: Vec<LinkHop> = f.hops.iter().map(hop).collect();
        let moved = !f.hops.is_empty();
        let mut r = CheckResult {
            url: url.to_string(),
            outcome: LinkOutcome::Ok,
            status: Some(f.status),
            final_url: moved.then(|| f.final_url.to_string()),
            redirects,
            message: String::new(),
            elapsed_ms: 0,
        };
        let reason = status_reason(f.status);
        match f.status {
            410 => {
                r.outcome = LinkOutcome::Gone;
                r.message = format!("{url}: 410 {reason}: the site says the page is gone");
                return r;
            }
            429 | 503 => {
                r.outcome = LinkOutcome::Error;
                r.message = format!(
                    "{url}: {} {reason}: the site is busy; try again later",
                    f.status
                );
                return r;
            }
            400.. => {
                r.outcome = LinkOutcome::Broken;
                r.message = format!("{url}: {} {reason}", f.status);
                return r;
            }
            300..=399 => {
                r.outcome = LinkOutcome::Broken;
                r.message = format!(
                    "{url}: {} {reason} without a usable Location header",
                    f.status
                );
                return r;
            }
            _ => {}
        }
        if moved && is_home(&f.final_url) && !is_home(url) {
            r.outcome = LinkOutcome::Soft404;
            r.message = format!(
                "{url}: redirected to the site's home page {} (the page is likely gone)",
                f.final_url
            );
            return r;
        }
        if self.options.soft_404 && (200..300).contains(&f.status) {
            let baseline = site
                .baseline
                .get_or_init(|| self.load_baseline(url, slots, pause))
                .await;
            if let Some(b) = baseline {
                if self.looks_like(url, &f, b, slots, pause).await {
                    r.outcome = LinkOutcome::Soft404;
                    r.message = format!(
                        "{url}: answers {} but with the site's \"not found\" page (an address \
                         that cannot exist gets the same page)",
                        f.status
                    );
                    return r;
                }
            }
        }
        if moved {
            r.outcome = LinkOutcome::Redirected;
            r.message = format!("{url}: moved to {}", f.final_url);
        }
        r
    }

    /// Asks the site for an address that cannot exist; `Some` when it answers with a
    /// success (a site with real 404s needs no comparison).
    async fn load_baseline(
        &self,
        url: &Url,
        slots: &Semaphore,
        pause: Duration,
    ) -> Option<Baseline> {
        let token = self.seed.hash_one(url.origin().ascii_serialization());
        let probe = url
            .join(&format!("/dossier-linkcheck-{token:016x}-does-not-exist"))
            .ok()?;
        let mut req = FetchRequest::get(probe.clone());
        req.max_body = Some(self.options.sample_bytes);
        let f = self.polite(slots, pause, req).await.ok()?;
        if !(200..300).contains(&f.status) {
            return None;
        }
        Some(Baseline {
            final_url: f.final_url.to_string(),
            words: words(&f.body, probe.path()),
        })
    }

    /// Whether the answer for `url` is the site's answer for an address that cannot exist.
    async fn looks_like(
        &self,
        url: &Url,
        f: &Fetched,
        b: &Baseline,
        slots: &Semaphore,
        pause: Duration,
    ) -> bool {
        if !f.hops.is_empty() && f.final_url.as_str() == b.final_url {
            return true;
        }
        // HEAD gave no body: read the beginning of the page.
        let body = if f.body.is_empty() && f.status == 200 {
            let mut req = FetchRequest::get(url.clone());
            req.max_body = Some(self.options.sample_bytes);
            match self.polite(slots, pause, req).await {
                Ok(g) if g.status == 200 => g.body,
                _ => return false,
            }
        } else {
            f.body.clone()
        };
        similar_words(&words(&body, url.path()), &b.words)
    }
}

fn unreachable_closed() -> ! {
    // The semaphores are never closed; a closed one would be a bug here, not a site's.
    panic!("a link checker's semaphore was closed")
}

fn propagate_panic(e: tokio::task::JoinError) {
    if e.is_panic() {
        std::panic::resume_unwind(e.into_panic());
    }
}

fn hop(h: &crate::fetch::Hop) -> LinkHop {
    LinkHop {
        url: h.url.clone(),
        status: h.status,
        location: h.location.clone(),
    }
}

/// The site's home page: the root path, no query.
fn is_home(u: &Url) -> bool {
    matches!(u.path(), "" | "/") && u.query().is_none_or(str::is_empty)
}

/// The words of a page, lowercase, without the words of its own address (a "not found"
/// page often repeats the address asked).
fn words(body: &[u8], path: &str) -> HashSet<String> {
    let text = String::from_utf8_lossy(body).to_lowercase();
    let path = path.to_lowercase();
    let own: HashSet<&str> = path
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !own.contains(w))
        .map(str::to_string)
        .collect()
}

/// Nearly the same words (Jaccard similarity ≥ 0.9); two empty pages are alike.
fn similar_words(a: &HashSet<String>, b: &HashSet<String>) -> bool {
    let union = a.union(b).count();
    if union == 0 {
        return true;
    }
    let common = a.intersection(b).count();
    common * 10 >= union * 9
}

fn status_reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

/// One external address and where the archive cites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CitedUrl {
    pub url: String,
    /// Each citation, in archive order.
    pub cited_by: Vec<Citation>,
}

/// Where a record cites an address: `document` `founding-act` `sources[0].url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Citation {
    /// `document`, `body`, …, `dossier`, or `collection` (not a record type).
    pub record: &'static str,
    pub slug: String,
    pub field: String,
}

impl Citation {
    /// The record type, for a citation by a record or dossier (not a collection).
    pub fn record_type(&self) -> Option<RecordType> {
        RecordType::parse(self.record)
    }
}

/// Every external address the archive's records cite (sources of every record, a
/// dossier's outside sites, a collection's address), once each, in the order first met.
/// With `dossier`, only that dossier's own addresses and those of its records.
pub fn cited_urls(store: &dyn Store, dossier: Option<&str>) -> Result<Vec<CitedUrl>, StoreError> {
    let mut order: Vec<String> = Vec::new();
    let mut by_url: HashMap<String, Vec<Citation>> = HashMap::new();
    let mut add = |record: &'static str, slug: &str, field: String, u: &str| {
        let entry = by_url.entry(u.to_string()).or_insert_with(|| {
            order.push(u.to_string());
            Vec::new()
        });
        entry.push(Citation {
            record,
            slug: slug.to_string(),
            field,
        });
    };
    let mut provenance = |ty: RecordType, slug: &str, p: &Provenance| {
        for (field, u) in source_urls(p) {
            add(ty.as_str(), slug, field, u);
        }
    };
    let dossiers: Vec<String> = match dossier {
        Some(d) => vec![d.to_string()],
        None => store.dossiers()?.into_iter().map(|d| d.slug).collect(),
    };
    let mut dossier_addresses = Vec::new();
    for slug in &dossiers {
        let Some(d) = store.dossier(slug)? else {
            return Err(StoreError::Invalid(format!("there is no dossier {slug:?}")));
        };
        for (field, u) in dossier_urls(&d) {
            dossier_addresses.push((slug.clone(), field, u.to_string()));
        }
    }
    let docs = store.documents(&DocumentQuery {
        dossier: dossier.map(str::to_string),
        ..Default::default()
    })?;
    for r in &docs {
        provenance(RecordType::Document, &r.slug, &r.provenance);
    }
    for r in store.bodies(dossier)? {
        provenance(RecordType::Body, &r.slug, &r.provenance);
    }
    for r in store.people(dossier)? {
        provenance(RecordType::Person, &r.slug, &r.provenance);
    }
    for r in store.events(&EventQuery {
        dossier: dossier.map(str::to_string),
        ..Default::default()
    })? {
        provenance(RecordType::Event, &r.slug, &r.provenance);
    }
    for r in store.topics(dossier)? {
        provenance(RecordType::Topic, &r.slug, &r.provenance);
    }
    for (slug, field, u) in &dossier_addresses {
        add("dossier", slug, field.clone(), u);
    }
    if dossier.is_none() {
        for (c, _) in store.collections()? {
            if let Some(u) = &c.url {
                add("collection", &c.slug, "url".into(), u);
            }
        }
    }
    Ok(order
        .into_iter()
        .map(|url| {
            let cited_by = by_url.remove(&url).unwrap_or_default();
            CitedUrl { url, cited_by }
        })
        .collect())
}

/// The counts of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    pub run: Option<i64>,
    pub checked: u64,
    /// Results that are failures ([`LinkOutcome::is_failure`]).
    pub failed: u64,
    pub by_outcome: std::collections::BTreeMap<String, u64>,
}

/// Seconds since 1970, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Checks every address the archive cites (or one dossier's), keeps each result in the
/// store's history (where the store keeps one) and the run with its counts. `each` sees
/// every result as it comes.
pub async fn run_check(
    store: Arc<dyn Store>,
    checker: Arc<Checker>,
    dossier: Option<&str>,
    trigger: RunTrigger,
    each: impl Fn(&CheckResult) + Send + Sync + 'static,
) -> Result<(Vec<CitedUrl>, Vec<CheckResult>, RunSummary), StoreError> {
    let cited = cited_urls(store.as_ref(), dossier)?;
    let urls: Vec<String> = cited.iter().map(|c| c.url.clone()).collect();
    let run = match store.link_checks() {
        Some(lc) => Some(lc.start_link_run(trigger, unix_now())?),
        None => None,
    };
    let results = checker.check_all(&urls, each).await;
    let now = unix_now();
    let mut summary = RunSummary {
        run,
        ..Default::default()
    };
    for r in &results {
        summary.checked += 1;
        summary.failed += u64::from(r.outcome.is_failure());
        *summary
            .by_outcome
            .entry(r.outcome.as_str().to_string())
            .or_default() += 1;
    }
    if let Some(lc) = store.link_checks() {
        let rows: Vec<NewLinkCheck> = results.iter().map(|r| r.to_row(now)).collect();
        for chunk in rows.chunks(1000) {
            lc.add_link_checks(chunk)?;
        }
        if let Some(id) = run {
            lc.finish_link_run(id, unix_now(), summary.checked, summary.failed)?;
        }
    }
    Ok((cited, results, summary))
}

/// The server's scheduled job: checks every cited address `every` (counted from the last
/// run of any kind, [`dossier_store::next_link_run`]), for as long as the returned future
/// runs. A failed run is logged and the schedule goes on.
pub async fn run_on_schedule(
    store: Arc<dyn Store>,
    checker: Arc<Checker>,
    every: Duration,
    server_started: i64,
) {
    loop {
        let last = store
            .link_checks()
            .and_then(|lc| lc.link_runs(1).ok())
            .and_then(|runs| runs.first().map(|r| r.started_at));
        let now = unix_now();
        let next = dossier_store::next_link_run(last, every.as_secs() as i64, server_started, now);
        let wait = u64::try_from(next.saturating_sub(now)).unwrap_or(0);
        tokio::time::sleep(Duration::from_secs(wait)).await;
        match run_check(
            store.clone(),
            checker.clone(),
            None,
            RunTrigger::Schedule,
            |_| {},
        )
        .await
        {
            Ok((_, _, summary)) => tracing::info!(
                checked = summary.checked,
                failed = summary.failed,
                "scheduled link check done"
            ),
            Err(e) => {
                tracing::error!(error = %e, "scheduled link check failed");
                // Not again at once: the next try after the interval.
                tokio::time::sleep(every).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_pages() {
        for home in [
            "https://a.example/",
            "https://a.example",
            "http://a.example/?",
        ] {
            assert!(is_home(&Url::parse(home).unwrap()), "{home}");
        }
        for deep in ["https://a.example/x", "https://a.example/?page=2"] {
            assert!(!is_home(&Url::parse(deep).unwrap()), "{deep}");
        }
    }

    #[test]
    fn not_found_pages_compare_alike_across_addresses() {
        let a = words(
            b"<h1>Page not found</h1><p>Sorry, /treaties/abc was not found.</p>",
            "/treaties/abc",
        );
        let b = words(
            b"<h1>Page not found</h1><p>Sorry, /zz-123 was not found.</p>",
            "/zz-123",
        );
        assert!(similar_words(&a, &b));
        let c = words(
            b"<h1>The Founding Act</h1><p>Signed in Paris on 27 May 1997.</p>",
            "/act",
        );
        assert!(!similar_words(&a, &c));
    }
}
