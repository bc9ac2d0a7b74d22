//! The response cache: every GET answer that the store alone decides (pages, their JSON,
//! the API, feeds, the sitemap, citation files, bibliographies, searches) is built once per
//! store change and then sent from memory, as a static server sends a file.
//!
//! An answer is kept under its path, query string and representation (HTML or JSON, from
//! `Accept`), and belongs to the store's change sequence ([`Store::last_change`]) it was
//! built at; answers that read the search index also to the index's searcher generation.
//! Every request asks the store for its latest change (one indexed read on a connection of
//! its own, so another process's commit, an import beside the server, is seen on the very
//! next request) and the cache is emptied when it has moved: never a stale page once a
//! change is committed.
//!
//! Requests that miss the same answer at once wait for the first one's build rather than
//! building it again (a page is built once per change, not once per waiting request); if
//! that request goes away or its answer cannot be kept, they build it themselves.
//!
//! Each answer carries a strong `ETag` (a hash of its body, suffixed per content coding) and
//! a `Last-Modified` (the time of the change it reflects; the server's start for an empty
//! log); `If-None-Match`, else `If-Modified-Since`, answer 304. A kept answer is compressed
//! with gzip or Brotli the first time a client accepts that coding (`Accept-Encoding`, with
//! q-values; identity otherwise), and that copy is kept with it. `Vary: Accept,
//! Accept-Encoding` is set, and `Cache-Control: no-cache` where the handler set none, so
//! browsers revalidate (a cheap 304) instead of guessing a freshness from
//! `Last-Modified`.
//!
//! The cache is bounded in bytes (bodies, compressed copies, keys and headers); past the
//! bound it evicts by CLOCK (second chance: an answer used since the hand last passed is
//! kept once more), so a hit only takes a read lock and sets a flag. An answer larger than
//! a quarter of the bound is sent (with its validators) but not kept. Hits, misses and the
//! size go to the server's metrics ([`CacheCounters`]); each emptying is logged.
//!
//! Not kept: `/oai` (each answer says when it was made), `/metrics`, `/healthz`, answers
//! other than 200, and answers whose handler said `Cache-Control: no-store` or `private`.
//! A request that carries credentials (a session cookie, an `Authorization` header) is neither
//! answered from the cache nor has its answer kept: it may be a person's own page. A capacity
//! of 0 turns the layer off entirely (handlers answer as they would without it).

use crate::fast_path::BodyFile;
use crate::metrics::{CacheCounters, RouteStats};
use crate::negotiate::Wants;
use crate::routes::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dossier_store::Store;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;

/// The cache's bound when none is configured (`dossier serve --cache-mb`).
pub const DEFAULT_CACHE_MB: usize = 64;

/// Says whether an answer came from the cache (`hit`) or was built for this request and
/// kept (`miss`); absent where the cache did not take part.
pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// Brotli's quality and window: a middle quality compresses a large page in milliseconds,
/// once per kept answer; the highest would take far longer for a few percent.
const BROTLI_QUALITY: u32 = 5;
const BROTLI_WINDOW: u32 = 22;
/// gzip's level (zlib's default).
const GZIP_LEVEL: u32 = 6;
/// Bodies shorter than this are sent as they are: a compressed copy would save little.
const MIN_COMPRESSED: usize = 256;
/// What an entry costs beyond its bytes (the map's slot, the ring's, the struct).
const ENTRY_OVERHEAD: usize = 256;

/// A content coding the cache can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Identity,
    Gzip,
    Brotli,
}

impl Coding {
    const ALL: [Coding; 3] = [Coding::Identity, Coding::Gzip, Coding::Brotli];

    fn index(self) -> usize {
        self as usize
    }

    fn token(self) -> Option<&'static str> {
        match self {
            Coding::Identity => None,
            Coding::Gzip => Some("gzip"),
            Coding::Brotli => Some("br"),
        }
    }

    /// What the coding adds to the identity body's ETag: a strong validator differs
    /// between an answer's codings (RFC 9110, 8.8.3).
    fn tag_suffix(self) -> &'static str {
        match self {
            Coding::Identity => "",
            Coding::Gzip => "-gz",
            Coding::Brotli => "-br",
        }
    }
}

/// The coding to send for this `Accept-Encoding`: the acceptable one with the highest
/// q-value, Brotli before gzip before identity at equal values; identity, when not named,
/// after any coding that is. No header (or nothing acceptable): identity, which RFC 9110
/// lets a server send when nothing else is.
fn preferred_coding(headers: &HeaderMap) -> Coding {
    let (mut br, mut gzip, mut identity, mut any) = (None, None, None, None);
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| {
                    let p = p.trim();
                    p.strip_prefix("q=").or_else(|| p.strip_prefix("Q="))
                })
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let q = if q.is_finite() {
                q.clamp(0.0, 1.0)
            } else {
                0.0
            };
            let slot: &mut Option<f32> = match coding.as_str() {
                "br" => &mut br,
                "gzip" | "x-gzip" => &mut gzip,
                "identity" => &mut identity,
                "*" => &mut any,
                _ => continue,
            };
            *slot = Some(slot.map_or(q, |x: f32| x.max(q)));
        }
    }
    let br = br.or(any).unwrap_or(0.0);
    let gzip = gzip.or(any).unwrap_or(0.0);
    // Identity is acceptable unless excluded (RFC 9110, 12.5.3), but a coding the client
    // names is preferred to it unless identity is named with a higher value.
    let identity = identity.or(any).unwrap_or(f32::MIN_POSITIVE);
    let (best, q) = if br >= gzip {
        (Coding::Brotli, br)
    } else {
        (Coding::Gzip, gzip)
    };
    if q > 0.0 && q >= identity {
        best
    } else {
        Coding::Identity
    }
}

/// The hex of a body's hash: an ETag's value (the first 128 bits of SHA-256).
fn digest(body: &[u8]) -> String {
    Sha256::digest(body)[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A strong ETag for a body: its hash, quoted. The API's handlers and the cache give an
/// answer the same one.
pub(crate) fn etag(body: &[u8]) -> String {
    format!("\"{}\"", digest(body))
}

/// Whether an `If-None-Match` list names `tag` (a [`digest`]) in any of its codings, or
/// is `*`; weak forms compare equal, as RFC 9110 prescribes for `If-None-Match`.
pub(crate) fn none_match(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| {
            let t = t.trim_start_matches("W/").trim_matches('"');
            let t = t
                .strip_suffix(Coding::Gzip.tag_suffix())
                .or_else(|| t.strip_suffix(Coding::Brotli.tag_suffix()))
                .unwrap_or(t);
            t == "*" || t == tag
        })
}

/// An ETag's value (unquoted) less the suffix of the coding it was sent in (`v3-gz` →
/// `v3`): what a client read, whichever coding carried it.
pub(crate) fn without_coding(tag: &str) -> &str {
    tag.strip_suffix(Coding::Gzip.tag_suffix())
        .or_else(|| tag.strip_suffix(Coding::Brotli.tag_suffix()))
        .unwrap_or(tag)
}

/// The value inside a strong `ETag` the handler set (`"v3"` → `v3`); `None` for none, a
/// weak one, or one that is not a plain quoted string.
fn own_etag(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::ETAG)?.to_str().ok()?;
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.is_empty() && !inner.contains('"')).then(|| inner.to_string())
}

/// Seconds since 1970 of an RFC 3339 time in UTC (`2026-12-05T23:52:00Z`, as the store
/// writes its change times); fractions are dropped.
pub(crate) fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), the inverse of publish's time module.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn http_date(secs: u64) -> HeaderValue {
    let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// Whether a media type is text that compresses (HTML, JSON, XML, CSS, BibTeX, RIS…).
fn compressible(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::CONTENT_ENCODING) {
        return false;
    }
    let Some(media) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
    else {
        return false;
    };
    media.starts_with("text/")
        || ["json", "xml", "bibtex", "research-info", "javascript"]
            .iter()
            .any(|t| media.contains(t))
}

/// A body in `coding`, or `None` where it would not be smaller.
fn compress(coding: Coding, body: &[u8]) -> Option<Bytes> {
    let out = match coding {
        Coding::Identity => return None,
        Coding::Gzip => {
            let mut e = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4),
                flate2::Compression::new(GZIP_LEVEL),
            );
            e.write_all(body).ok()?;
            e.finish().ok()?
        }
        Coding::Brotli => {
            let mut w = brotli::CompressorWriter::new(
                Vec::with_capacity(body.len() / 4),
                16 * 1024,
                BROTLI_QUALITY,
                BROTLI_WINDOW,
            );
            w.write_all(body).ok()?;
            // Ends the stream.
            w.into_inner()
        }
    };
    (out.len() < body.len()).then(|| Bytes::from(out))
}

/// One kept answer.
struct Entry {
    key: Arc<str>,
    /// Tells this entry from an earlier one under the same key (the ring's items name it).
    id: u64,
    /// The store change it was built at.
    seq: i64,
    /// The searcher generation it was built with, for answers that read the index.
    index_generation: Option<u64>,
    /// The handler's headers, less those the cache writes (length, validators, date), with
    /// `Vary` merged.
    headers: HeaderMap,
    body: Bytes,
    /// The body's [`digest`].
    tag: String,
    /// The `ETag` of each coding ([`Coding::index`]), made once.
    etags: [HeaderValue; 3],
    last_modified: u64,
    compressible: bool,
    /// The counters of the route that built it, for hits answered before routing.
    route: Option<Arc<RouteStats>>,
    /// Compressed copies, made on first demand (`None` inside: not smaller); set only
    /// under the cache's write lock while the entry is kept, so that the cache's byte
    /// count always matches what its entries hold.
    gzip: OnceLock<Option<Bytes>>,
    brotli: OnceLock<Option<Bytes>>,
    /// The identity body in a sealed memory file, for `sendfile(2)` ([`BodyFile`]): made
    /// on the first hit that the connection's own fast path answers (`None` inside: not
    /// made, too small or too many files); counted in the bound like the copies above.
    file: OnceLock<Option<Arc<BodyFile>>>,
    /// Used since the CLOCK hand last passed.
    referenced: AtomicBool,
}

impl Entry {
    fn new(
        key: Arc<str>,
        version: &Version,
        index_generation: Option<u64>,
        route: Option<Arc<RouteStats>>,
        mut headers: HeaderMap,
        body: Bytes,
    ) -> Entry {
        static IDS: AtomicU64 = AtomicU64::new(0);
        // A handler's own strong ETag (the API's `"v{version}"` of a record) is kept, so
        // that `If-Match` on a write can name what the client read; the body's hash else.
        let own_tag = own_etag(&headers);
        for name in [
            header::CONTENT_LENGTH,
            header::TRANSFER_ENCODING,
            header::ETAG,
            header::LAST_MODIFIED,
            header::DATE,
            X_CACHE,
        ] {
            headers.remove(name);
        }
        let mut vary: Vec<String> = Vec::new();
        let existing: Vec<String> = headers
            .get_all(header::VARY)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_string())
            .collect();
        for name in existing
            .into_iter()
            .chain(["Accept".to_string(), "Accept-Encoding".to_string()])
        {
            if !name.is_empty() && !vary.iter().any(|v| v.eq_ignore_ascii_case(&name)) {
                vary.push(name);
            }
        }
        headers.remove(header::VARY);
        if let Ok(v) = HeaderValue::from_str(&vary.join(", ")) {
            headers.insert(header::VARY, v);
        }
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        }
        headers.insert(header::LAST_MODIFIED, http_date(version.last_modified));
        // Added here once rather than to every hit as it leaves (they are there already).
        crate::security::add_security_headers(&mut headers);
        let tag = own_tag.unwrap_or_else(|| digest(&body));
        let etags = Coding::ALL.map(|coding| {
            HeaderValue::from_str(&format!("\"{tag}{}\"", coding.tag_suffix()))
                .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
        });
        Entry {
            compressible: body.len() >= MIN_COMPRESSED && compressible(&headers),
            tag,
            etags,
            route,
            key,
            id: IDS.fetch_add(1, Ordering::Relaxed),
            seq: version.seq,
            index_generation,
            headers,
            body,
            last_modified: version.last_modified,
            gzip: OnceLock::new(),
            brotli: OnceLock::new(),
            file: OnceLock::new(),
            referenced: AtomicBool::new(false),
        }
    }

    /// Marks it used since the CLOCK hand last passed (written only when it was not, so
    /// that hits on both cores do not keep taking the flag's cache line from each other).
    fn touch(&self) {
        if !self.referenced.load(Ordering::Relaxed) {
            self.referenced.store(true, Ordering::Relaxed);
        }
    }

    fn copy(&self, coding: Coding) -> Option<&OnceLock<Option<Bytes>>> {
        match coding {
            Coding::Identity => None,
            Coding::Gzip => Some(&self.gzip),
            Coding::Brotli => Some(&self.brotli),
        }
    }

    /// The bytes it holds, as the bound counts them.
    fn size(&self) -> usize {
        let copies: usize = [&self.gzip, &self.brotli]
            .iter()
            .filter_map(|c| c.get().and_then(Option::as_ref))
            .map(Bytes::len)
            .sum::<usize>()
            + self
                .file
                .get()
                .and_then(Option::as_ref)
                .map_or(0, |f| f.len());
        let headers: usize = self
            .headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 16)
            .sum();
        let etags: usize = self.etags.iter().map(HeaderValue::len).sum();
        self.body.len()
            + copies
            + self.key.len()
            + self.tag.len()
            + etags
            + headers
            + ENTRY_OVERHEAD
    }
}

/// The store change the cache holds answers for, and its time.
#[derive(Debug, Clone, Copy)]
struct Version {
    seq: i64,
    last_modified: u64,
}

struct Inner {
    /// The change the kept answers were built at (-1 before the first request).
    version: Version,
    map: HashMap<Arc<str>, Arc<Entry>>,
    /// The CLOCK ring: every kept entry's key and id, oldest first; items of entries
    /// since replaced or removed are skipped when reached.
    ring: VecDeque<(Arc<str>, u64)>,
    bytes: usize,
}

impl Inner {
    /// Whether `entry` is the one kept under its key.
    fn holds(&self, entry: &Arc<Entry>) -> bool {
        self.map
            .get(&entry.key)
            .is_some_and(|e| Arc::ptr_eq(e, entry))
    }

    fn remove(&mut self, key: &str) {
        if let Some(old) = self.map.remove(key) {
            self.bytes -= old.size();
        }
    }

    /// Evicts until the bytes fit `capacity`; returns how many entries went.
    fn evict(&mut self, capacity: usize) -> u64 {
        let mut evicted = 0;
        while self.bytes > capacity {
            let Some((key, id)) = self.ring.pop_front() else {
                break;
            };
            let Some(entry) = self.map.get(&key).filter(|e| e.id == id) else {
                continue;
            };
            if entry.referenced.swap(false, Ordering::Relaxed) {
                self.ring.push_back((key, id));
            } else {
                self.remove(&key);
                evicted += 1;
            }
        }
        // Items of replaced entries are dropped when the ring has grown well past the map.
        if self.ring.len() > 2 * self.map.len() + 64 {
            let map = &self.map;
            self.ring
                .retain(|(k, id)| map.get(k).is_some_and(|e| e.id == *id));
        }
        evicted
    }
}

/// What a lookup found.
enum Lookup {
    Hit(Arc<Entry>),
    /// Not kept: build it, for the store change and time given.
    Miss(Version),
    /// The request read an older change than the cache already holds (it raced a newer
    /// request): it is answered without the cache.
    Behind,
}

/// The response cache (one per server; see the module's documentation).
pub struct ResponseCache {
    capacity: usize,
    inner: RwLock<Inner>,
    counters: Arc<CacheCounters>,
    evictions: AtomicU64,
    /// When the cache was made: the `Last-Modified` of answers over an empty change log.
    started: u64,
    /// Answers being built, by key: a request that misses while another builds the same
    /// answer for the same change waits for it instead of building it again, so a page is
    /// built once per change however many ask for it at once.
    building: Mutex<HashMap<Arc<str>, Flight>>,
    /// Requests answered by waiting for another's build.
    coalesced: AtomicU64,
    /// Requests waiting for another's build now.
    waiting: AtomicU64,
}

/// Counts a request among those waiting for as long as it waits.
struct Waiting<'a>(&'a AtomicU64);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicU64) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a finished build leaves for the requests waiting on it: the entry and whether it
/// was kept; `None` while building, and if the answer cannot be shared (not a 200).
type Built = Option<(Arc<Entry>, bool)>;

/// An answer being built.
struct Flight {
    id: u64,
    seq: i64,
    index_generation: Option<u64>,
    done: watch::Receiver<Built>,
}

/// The request that builds an answer others may wait for; dropping it (the request was
/// dropped, or its answer cannot be shared) lets them build it themselves.
struct Leader<'a> {
    cache: &'a ResponseCache,
    key: Arc<str>,
    id: u64,
    done: watch::Sender<Built>,
}

impl Leader<'_> {
    fn finish(self, entry: &Arc<Entry>, kept: bool) {
        self.done.send_replace(Some((entry.clone(), kept)));
    }
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        let mut building = self
            .cache
            .building
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if building.get(&self.key).is_some_and(|f| f.id == self.id) {
            building.remove(&self.key);
        }
    }
}

/// Whether a request builds the answer or waits for another's build.
enum Role<'a> {
    Lead(Leader<'a>),
    Wait(watch::Receiver<Built>),
}

impl ResponseCache {
    /// A cache of at most `capacity` bytes (0: no cache), reporting to `counters`.
    pub fn new(capacity: usize, counters: Arc<CacheCounters>) -> Self {
        ResponseCache {
            capacity,
            inner: RwLock::new(Inner {
                version: Version {
                    seq: -1,
                    last_modified: 0,
                },
                map: HashMap::new(),
                ring: VecDeque::new(),
                bytes: 0,
            }),
            counters,
            evictions: AtomicU64::new(0),
            started: unix_now(),
            building: Mutex::new(HashMap::new()),
            coalesced: AtomicU64::new(0),
            waiting: AtomicU64::new(0),
        }
    }

    /// Requests waiting now for another request's build of the same answer.
    pub fn waiting(&self) -> u64 {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Requests answered by waiting for another request's build of the same answer.
    pub fn coalesced(&self) -> u64 {
        self.coalesced.load(Ordering::Relaxed)
    }

    /// Leads the build of `key` at `seq`, or waits for the one under way.
    fn role(&self, key: &Arc<str>, seq: i64, index_generation: Option<u64>) -> Role<'_> {
        static IDS: AtomicU64 = AtomicU64::new(0);
        let mut building = self.building.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(f) = building.get(key) {
            if f.seq == seq && f.index_generation == index_generation {
                return Role::Wait(f.done.clone());
            }
        }
        let (done, receiver) = watch::channel(None);
        let id = IDS.fetch_add(1, Ordering::Relaxed);
        building.insert(
            key.clone(),
            Flight {
                id,
                seq,
                index_generation,
                done: receiver,
            },
        );
        Role::Lead(Leader {
            cache: self,
            key: key.clone(),
            id,
            done,
        })
    }

    /// The bound, in bytes.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries evicted to keep within the bound, since the start.
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    fn report_size(&self, inner: &Inner) {
        self.counters
            .set_size(inner.bytes as u64, inner.map.len() as u64);
    }

    /// The entry kept for `key` at `seq` (and `index_generation`), counted as a hit; `None`
    /// without counting anything otherwise (the request goes on to [`layer`]).
    fn get(&self, key: &str, seq: i64, index_generation: Option<u64>) -> Option<Arc<Entry>> {
        let inner = self.read();
        if seq != inner.version.seq {
            return None;
        }
        let entry = inner
            .map
            .get(key)
            .filter(|e| e.index_generation == index_generation)?;
        entry.touch();
        self.counters.hit();
        Some(entry.clone())
    }

    /// The entry for `key` if it was built at `seq` (and `index_generation`). A newer
    /// `seq` than the cache holds empties it first; `last_modified` gives that change's
    /// time (asked only then).
    fn lookup(
        &self,
        key: &str,
        seq: i64,
        index_generation: Option<u64>,
        last_modified: impl FnOnce() -> u64,
    ) -> Lookup {
        {
            let inner = self.read();
            if seq < inner.version.seq {
                return Lookup::Behind;
            }
            if seq == inner.version.seq {
                return match inner.map.get(key) {
                    Some(e) if e.index_generation == index_generation => {
                        e.touch();
                        self.counters.hit();
                        Lookup::Hit(e.clone())
                    }
                    _ => {
                        self.counters.miss();
                        Lookup::Miss(inner.version)
                    }
                };
            }
        }
        let time = last_modified();
        let mut inner = self.write();
        if seq > inner.version.seq {
            let (entries, bytes) = (inner.map.len(), inner.bytes);
            let version = Version {
                seq,
                last_modified: time.max(inner.version.last_modified),
            };
            *inner = Inner {
                version,
                map: HashMap::new(),
                ring: VecDeque::new(),
                bytes: 0,
            };
            self.report_size(&inner);
            let stats = self.counters.snapshot();
            let lookups = stats.hits + stats.misses;
            let hit_rate = if lookups == 0 {
                0.0
            } else {
                stats.hits as f64 / lookups as f64
            };
            if entries > 0 {
                tracing::info!(
                    seq,
                    dropped_entries = entries,
                    dropped_bytes = bytes,
                    hits = stats.hits,
                    misses = stats.misses,
                    hit_rate,
                    evictions = self.evictions(),
                    "the store changed: response cache emptied"
                );
            } else {
                tracing::debug!(seq, "the store changed; the response cache was empty");
            }
        }
        if seq < inner.version.seq {
            return Lookup::Behind;
        }
        self.counters.miss();
        Lookup::Miss(inner.version)
    }

    /// Keeps `entry` if it was built at the change the cache holds and fits; whether it was
    /// kept.
    fn insert(&self, entry: &Arc<Entry>) -> bool {
        let size = entry.size();
        if size > self.capacity / 4 {
            return false;
        }
        let mut inner = self.write();
        if inner.version.seq != entry.seq {
            return false;
        }
        inner.remove(&entry.key);
        inner.map.insert(entry.key.clone(), entry.clone());
        inner.ring.push_back((entry.key.clone(), entry.id));
        inner.bytes += size;
        let evicted = inner.evict(self.capacity);
        self.evictions.fetch_add(evicted, Ordering::Relaxed);
        self.report_size(&inner);
        true
    }

    /// The body to send in `coding`, and the coding it is really in: a kept entry's copy
    /// (made now, and kept, if this is the first request for it); identity for an entry
    /// that is not kept or does not compress.
    fn body(&self, entry: &Arc<Entry>, coding: Coding, kept: bool) -> (Coding, Bytes) {
        let Some(cell) = entry.copy(coding).filter(|_| entry.compressible && kept) else {
            return (Coding::Identity, entry.body.clone());
        };
        let copy = match cell.get() {
            Some(copy) => copy.clone(),
            None => {
                let made = compress(coding, &entry.body);
                let mut inner = self.write();
                if inner.holds(entry) && cell.set(made.clone()).is_ok() {
                    inner.bytes += made.as_ref().map_or(0, Bytes::len);
                    let evicted = inner.evict(self.capacity);
                    self.evictions.fetch_add(evicted, Ordering::Relaxed);
                    self.report_size(&inner);
                }
                made
            }
        };
        match copy {
            Some(bytes) => (coding, bytes),
            None => (Coding::Identity, entry.body.clone()),
        }
    }

    /// The answer to a request with these headers: 304 when its validators match, else
    /// the body in the best coding it accepts.
    fn answer(&self, entry: &Arc<Entry>, asked: &HeaderMap, kept: bool, hit: bool) -> Response {
        let Parts {
            status,
            headers,
            body,
            ..
        } = self.parts(entry, asked, kept, hit);
        let mut r = Response::new(if status == StatusCode::NOT_MODIFIED {
            Body::empty()
        } else {
            Body::from(body)
        });
        *r.status_mut() = status;
        *r.headers_mut() = headers;
        r
    }

    /// [`answer`](Self::answer)'s parts: its status, headers and body, and whether the
    /// body is the entry's identity body (which [`ResponseCache::body_file`] can send).
    fn parts(&self, entry: &Arc<Entry>, asked: &HeaderMap, kept: bool, hit: bool) -> Parts {
        let not_modified = if asked.contains_key(header::IF_NONE_MATCH) {
            none_match(asked, &entry.tag)
        } else {
            asked
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok())
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .is_some_and(|since| entry.last_modified <= since.as_secs())
        };
        let preferred = if asked.contains_key(header::ACCEPT_ENCODING) {
            preferred_coding(asked)
        } else {
            Coding::Identity
        };
        let mut headers = entry.headers.clone();
        let (coding, status, body) = if not_modified {
            // The coding the client would get, for the ETag it is told.
            let coding = match entry.copy(preferred) {
                Some(cell) if entry.compressible && kept && !matches!(cell.get(), Some(None)) => {
                    preferred
                }
                _ => Coding::Identity,
            };
            headers.remove(header::CONTENT_TYPE);
            (coding, StatusCode::NOT_MODIFIED, Bytes::new())
        } else {
            let (coding, body) = self.body(entry, preferred, kept);
            if let Some(token) = coding.token() {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
            }
            (coding, StatusCode::OK, body)
        };
        headers.insert(header::ETAG, entry.etags[coding.index()].clone());
        if kept || hit {
            headers.insert(
                X_CACHE,
                HeaderValue::from_static(if hit { "hit" } else { "miss" }),
            );
        }
        Parts {
            status,
            headers,
            body,
            identity: coding == Coding::Identity && status == StatusCode::OK,
        }
    }

    /// The entry's identity body as a sealed memory file, made on first demand and kept
    /// with it (counted in the bound); `None` for a body too small to gain from
    /// `sendfile(2)`, past the cap on such files, or where they cannot be made.
    fn body_file(&self, entry: &Arc<Entry>) -> Option<Arc<BodyFile>> {
        if let Some(file) = entry.file.get() {
            return file.clone();
        }
        let made = BodyFile::make(&entry.body);
        // No file because the cap was reached (or one could not be made): asked again on
        // the entry's next hit, when a slot may have come free; only "too small" is kept.
        if made.is_none() && entry.body.len() >= crate::fast_path::BODY_FILE_MIN {
            return None;
        }
        let mut inner = self.write();
        if inner.holds(entry) && entry.file.set(made.clone()).is_ok() {
            inner.bytes += made.as_ref().map_or(0, |f| f.len());
            let evicted = inner.evict(self.capacity);
            self.evictions.fetch_add(evicted, Ordering::Relaxed);
            self.report_size(&inner);
        }
        made
    }
}

/// An answer's parts ([`ResponseCache::parts`]).
struct Parts {
    status: StatusCode,
    headers: HeaderMap,
    /// Empty for a 304.
    body: Bytes,
    identity: bool,
}

/// A kept answer for the connection's fast path ([`crate::fast_path`]), which writes it
/// to the socket itself: status, headers, and the body (empty for a 304), with the
/// body's memory file where one can send it.
pub(crate) struct Hit {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) file: Option<Arc<BodyFile>>,
}

/// Whether an answer to this request may be kept: GET and HEAD, less the routes whose
/// answers change without the store (`/oai` says when it answered; `/metrics`; `/healthz`
/// follows the search index and the store's reachability).
fn cacheable(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && !matches!(path, "/oai" | "/metrics" | "/healthz")
}

/// Whether the answer reads the search index (its searcher generation joins the key).
fn reads_index(path: &str) -> bool {
    path == "/search"
        || path == "/api/v1/search"
        || path.starts_with("/bibliography.")
        || crate::browse::reads_index(path)
}

/// Whether the handler said not to keep its answer.
fn not_to_keep(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|d| d.trim().to_ascii_lowercase())
        .any(|d| d == "no-store" || d == "private")
}

/// The time of change `seq` as the store logged it (never later than now); the server's
/// start for an empty log or a time that cannot be read.
fn change_time(store: &dyn Store, seq: i64, started: u64) -> u64 {
    if seq <= 0 {
        return started;
    }
    let now = unix_now();
    match store.change_time(seq) {
        Ok(at) => at
            .as_deref()
            .and_then(parse_rfc3339)
            .unwrap_or(now)
            .min(now),
        Err(e) => {
            tracing::warn!(error = %e, seq, "cannot read the change's time; using now");
            now
        }
    }
}

/// The key of an answer: its representation, path and query string, and the day. Pages
/// flag a dated fact as possibly out of date by comparing it with today
/// (`dossier_publish::time::today`), so an answer kept yesterday is not today's even
/// where the store has not changed; yesterday's entries leave as the bound evicts them.
fn key_of(json: bool, uri: &Uri) -> String {
    use std::fmt::Write;
    let (path, query) = (uri.path(), uri.query().unwrap_or(""));
    let mut key = String::with_capacity(16 + path.len() + query.len());
    key.push_str(if json { "json " } else { "html " });
    key.push_str(path);
    key.push('?');
    key.push_str(query);
    let _ = write!(key, " {}", dossier_publish::time::today());
    key
}

/// Answers a request from the cache before it is routed, when it can: a GET or HEAD
/// without credentials whose answer is kept for the store's latest change. Counted in the
/// metrics under the route that built the answer. `None`: the request goes to the router
/// (and through [`layer`], which builds and keeps what is missing).
///
/// A hit costs no route lookup, no middleware and no per-request state: that is most of
/// what a kept page cost beside the socket work (see BENCHMARKS.md, issue 22).
pub(crate) fn answer_early(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Response> {
    let start = Instant::now();
    let (entry, response) = kept_entry(state, method, uri, headers, |cache, entry| {
        cache.answer(entry, headers, true, true)
    })?;
    if let Some(route) = &entry.route {
        route.answered(response.status(), start.elapsed());
    }
    Some(response)
}

/// [`answer_early`] for the connection's fast path: the answer's parts, and the body's
/// memory file when the answer is the identity body of a large page, for `sendfile(2)`.
pub(crate) fn early_hit(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Option<Hit> {
    let start = Instant::now();
    let (entry, parts) = kept_entry(state, method, uri, headers, |cache, entry| {
        cache.parts(entry, headers, true, true)
    })?;
    let file = if parts.identity && *method == Method::GET {
        state.cache.body_file(&entry)
    } else {
        None
    };
    if let Some(route) = &entry.route {
        route.answered(parts.status, start.elapsed());
    }
    Some(Hit {
        status: parts.status,
        headers: parts.headers,
        body: parts.body,
        file,
    })
}

/// The kept entry for this request, if any, and `answer` made from it.
fn kept_entry<T>(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    answer: impl FnOnce(&ResponseCache, &Arc<Entry>) -> T,
) -> Option<(Arc<Entry>, T)> {
    let cache = &state.cache;
    if cache.capacity == 0
        || !cacheable(method, uri.path())
        || crate::security::carries_credentials(headers)
    {
        return None;
    }
    let seq = state.store.last_change().ok()?;
    let index_generation = reads_index(uri.path()).then(|| state.search.generation());
    let key = key_of(crate::negotiate::wants_json(headers), uri);
    let entry = cache.get(&key, seq, index_generation)?;
    let answered = answer(cache, &entry);
    Some((entry, answered))
}

/// The cache's layer around the site's routes.
pub(crate) async fn layer(
    State(state): State<AppState>,
    wants: Wants,
    mut request: Request,
    next: Next,
) -> Response {
    let cache = state.cache.clone();
    if cache.capacity == 0
        || !cacheable(request.method(), request.uri().path())
        || crate::security::carries_credentials(request.headers())
    {
        return next.run(request).await;
    }
    let seq = match state.store.last_change() {
        Ok(seq) => seq,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the store's last change; not caching");
            return next.run(request).await;
        }
    };
    let uri = request.uri();
    let index_generation = reads_index(uri.path()).then(|| state.search.generation());
    let key: Arc<str> = key_of(wants.json, uri).into();
    let route = state.metrics.route(
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let version = match cache.lookup(&key, seq, index_generation, || {
        change_time(state.store.as_ref(), seq, cache.started)
    }) {
        Lookup::Hit(entry) => return cache.answer(&entry, request.headers(), true, true),
        Lookup::Miss(version) => version,
        Lookup::Behind => return next.run(request).await,
    };
    let leader = match cache.role(&key, seq, index_generation) {
        Role::Lead(leader) => Some(leader),
        Role::Wait(mut done) => {
            // The build's end, or its leader gone without an answer to share.
            let waiting = Waiting::new(&cache.waiting);
            let built = match done.wait_for(Option::is_some).await {
                Ok(built) => built.clone(),
                Err(_) => None,
            };
            drop(waiting);
            if let Some((entry, kept)) = built {
                cache.coalesced.fetch_add(1, Ordering::Relaxed);
                return cache.answer(&entry, request.headers(), kept, kept);
            }
            None
        }
    };
    // Built whole, to be kept: the validators are the cache's to answer, and a HEAD is
    // built as its GET (the server sends no body for a HEAD whatever the response holds).
    let asked = request.headers().clone();
    for name in [
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
        header::IF_MATCH,
        header::IF_UNMODIFIED_SINCE,
        header::RANGE,
    ] {
        request.headers_mut().remove(name);
    }
    *request.method_mut() = Method::GET;
    let response = next.run(request).await;
    if response.status() != StatusCode::OK || not_to_keep(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "an answer's body could not be read");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let entry = Arc::new(Entry::new(
        key,
        &version,
        index_generation,
        Some(route),
        parts.headers,
        body,
    ));
    let kept = cache.insert(&entry);
    if let Some(leader) = leader {
        leader.finish(&entry, kept);
    }
    cache.answer(&entry, &asked, kept, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &str) -> Coding {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        preferred_coding(&h)
    }

    #[test]
    fn accept_encoding() {
        assert_eq!(preferred_coding(&HeaderMap::new()), Coding::Identity);
        assert_eq!(accepting(""), Coding::Identity);
        assert_eq!(accepting("gzip, deflate, br, zstd"), Coding::Brotli);
        assert_eq!(accepting("gzip"), Coding::Gzip);
        assert_eq!(accepting("x-gzip"), Coding::Gzip);
        assert_eq!(accepting("br;q=0.5, gzip"), Coding::Gzip);
        assert_eq!(accepting("gzip;q=0"), Coding::Identity);
        assert_eq!(accepting("br;q=0, gzip;q=0, *"), Coding::Identity);
        assert_eq!(accepting("*"), Coding::Brotli);
        assert_eq!(accepting("identity"), Coding::Identity);
        assert_eq!(accepting("gzip;q=0.5, identity;q=0.8"), Coding::Identity);
        assert_eq!(accepting("deflate"), Coding::Identity);
        assert_eq!(accepting("GZIP; Q=0.9"), Coding::Gzip);
        assert_eq!(accepting("gzip;q=nan"), Coding::Identity);
    }

    #[test]
    fn if_none_match() {
        let tag = digest(b"{}");
        assert_eq!(etag(b"{}"), format!("\"{tag}\""));
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
            none_match(&h, &tag)
        };
        assert!(!none_match(&HeaderMap::new(), &tag));
        assert!(with(&format!("\"x\", W/\"{tag}\"")));
        assert!(with(&format!("\"{tag}-br\"")));
        assert!(with(&format!("\"{tag}-gz\"")));
        assert!(with("*"));
        assert!(!with("\"x\""));
        assert!(!with(&format!("\"{tag}x\"")));
    }

    #[test]
    fn a_handlers_own_etag_is_kept() {
        let mut h = HeaderMap::new();
        assert_eq!(own_etag(&h), None);
        h.insert(header::ETAG, HeaderValue::from_static("\"v3\""));
        assert_eq!(own_etag(&h).as_deref(), Some("v3"));
        h.insert(header::ETAG, HeaderValue::from_static("W/\"v3\""));
        assert_eq!(own_etag(&h), None);
        h.insert(header::ETAG, HeaderValue::from_static("\"\""));
        assert_eq!(own_etag(&h), None);
        assert_eq!(without_coding("v3-gz"), "v3");
        assert_eq!(without_coding("v3-br"), "v3");
        assert_eq!(without_coding("v3"), "v3");
    }

    #[test]
    fn times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20.5Z"), Some(1_700_000_000));
        assert_eq!(parse_rfc3339("2023-13-14T22:13:20Z"), None);
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(
            http_date(1_700_000_000),
            HeaderValue::from_static("Tue, 14 Nov 2023 22:13:20 GMT")
        );
    }

    #[test]
    fn compresses_only_what_shrinks() {
        let text = "the same words again and again ".repeat(100);
        for coding in [Coding::Gzip, Coding::Brotli] {
            let small = compress(coding, text.as_bytes()).unwrap();
            assert!(small.len() < text.len() / 4);
        }
        assert!(compress(Coding::Gzip, &[7u8; 0]).is_none());
    }

    fn entry(key: &str, seq: i64, body: &str) -> Arc<Entry> {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        Arc::new(Entry::new(
            key.into(),
            &Version {
                seq,
                last_modified: 0,
            },
            None,
            None,
            headers,
            Bytes::from(body.to_string()),
        ))
    }

    #[test]
    fn the_bound_holds_and_the_used_stay() {
        let counters = Arc::new(CacheCounters::default());
        let cache = ResponseCache::new(8 * 1024, counters.clone());
        assert!(matches!(cache.lookup("a", 1, None, || 0), Lookup::Miss(_)));
        let page = "x".repeat(1000);
        let first = entry("first", 1, &page);
        assert!(cache.insert(&first));
        for i in 0..40 {
            // The first page is asked for between every two others: it stays.
            assert!(matches!(
                cache.lookup("first", 1, None, || 0),
                Lookup::Hit(_)
            ));
            assert!(cache.insert(&entry(&format!("p{i}"), 1, &page)));
            let size = counters.snapshot().bytes as usize;
            assert!(size <= cache.capacity(), "{size}");
        }
        assert!(cache.evictions() > 0);
        assert!(matches!(
            cache.lookup("first", 1, None, || 0),
            Lookup::Hit(_)
        ));
        assert!(matches!(cache.lookup("p0", 1, None, || 0), Lookup::Miss(_)));
        // Too large for a quarter of the bound: sent, not kept.
        assert!(!cache.insert(&entry("big", 1, &"y".repeat(4 * 1024))));
        // An entry built at an older change is not kept; a newer change empties the cache.
        assert!(!cache.insert(&entry("old", 0, &page)));
        assert!(matches!(
            cache.lookup("first", 2, None, || 0),
            Lookup::Miss(_)
        ));
        assert_eq!(counters.snapshot().entries, 0);
        assert!(matches!(
            cache.lookup("first", 1, None, || 0),
            Lookup::Behind
        ));
    }
}
