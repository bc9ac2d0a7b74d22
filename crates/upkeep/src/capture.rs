//! Archived copies of cited pages (issue 25), as Perma.cc and the Internet Archive keep
//! what is cited: each page a record cites is fetched (with its images and stylesheets,
//! or as the PDF it is) through the safe client ([`crate::fetch`]) and written to a WARC
//! file in a temporary folder ([`crate::warc`]). About once a second the file is closed
//! and handed to the store ([`dossier_store::Captures::write_warc_file`]: the data
//! directory's `warc/` folder on SQLite, a table on PostgreSQL, so every server replays
//! it), and only then are the records of the pages done by then indexed with their time
//! and digest, so an indexed record never points at a file the store lacks. (A file per
//! page would cost two `fsync`s per page: measured, a tenth of the pages per second.)
//! [`replay`] serves a copy back; [`crate::memento`] lets Memento clients find it.
//!
//! Redirects are kept as they were answered (a `3xx` record per hop), so that the cited
//! address's copy replays as the redirect it was. A page that does not answer 2xx, or is
//! larger than the limit, is not kept, and the report says why.

pub mod html;
pub mod replay;

use crate::fetch::{FetchError, FetchPolicy, FetchRequest, Fetched, Fetcher};
use crate::warc::{Exchange, WarcError, WarcWriter};
use dossier_model::RecordType;
use dossier_store::{Captures, NewCapture, Store, StoreError};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// The user agent of captures, so a site's operator can tell who is asking and why.
pub const USER_AGENT: &str = concat!(
    "dossier-capture/",
    env!("CARGO_PKG_VERSION"),
    " (+keeps archived copies of pages an archive cites)"
);

/// The largest body a capture keeps (a long PDF fits; replay reads up to
/// [`crate::warc::MAX_RECORD_BYTES`]).
pub const MAX_CAPTURE_BYTES: usize = 32 << 20;

/// A WARC file is closed and a new one begun past this size: each file is handed to the
/// store whole (in memory), and PostgreSQL keeps a value of at most 1 GB.
const ROLL_OVER_BYTES: u64 = 256 << 20;

/// The pages done are indexed (their file handed to the store first) once the oldest of
/// them has waited this long, or once this many bytes were written since the last time:
/// often enough that a run's progress is in the store as it goes, seldom enough that
/// keeping a file (an `fsync` of it and of its folder on SQLite, a commit on PostgreSQL)
/// costs little per page.
const KEEP_EVERY: Duration = Duration::from_secs(1);
const KEEP_EVERY_BYTES: u64 = 64 << 20;

/// Why a capture run could not go on (a page that fails is in its report instead).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Warc(#[from] WarcError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("this store keeps no archived copies")]
    NoCopies,
    #[error("cannot use the capture's temporary folder {path}: {source}")]
    Temporary {
        path: String,
        source: std::io::Error,
    },
}

/// A cited page and the records that cite it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitedPage {
    pub url: String,
    pub citing: Vec<(RecordType, String)>,
}

/// Every web address the archive cites, as the link checker lists them
/// ([`crate::check::cited_urls`]: records' sources, dossiers' outside links,
/// collections' sources), each with the records that cite it; with `dossier`, those of
/// that dossier and its records only.
pub fn cited_pages(store: &dyn Store, dossier: Option<&str>) -> Result<Vec<CitedPage>, StoreError> {
    Ok(crate::check::cited_urls(store, dossier)?
        .into_iter()
        .map(|c| {
            let mut citing: Vec<(RecordType, String)> = Vec::new();
            for by in &c.cited_by {
                if let Some(t) = by.record_type() {
                    if !citing.iter().any(|(r, s)| *r == t && *s == by.slug) {
                        citing.push((t, by.slug.clone()));
                    }
                }
            }
            CitedPage { url: c.url, citing }
        })
        .collect())
}

/// How a capture run goes.
#[derive(Debug, Clone)]
pub struct CaptureOptions {
    /// The fetch rules (the allow list for tests, timeouts); the body limit is raised to
    /// [`MAX_CAPTURE_BYTES`] unless set higher.
    pub policy: FetchPolicy,
    /// Pages captured at once.
    pub concurrency: usize,
    /// A page's images and stylesheets fetched at once.
    pub per_page: usize,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            policy: FetchPolicy {
                user_agent: USER_AGENT.to_string(),
                timeout: Duration::from_secs(60),
                ..FetchPolicy::default()
            },
            concurrency: 8,
            per_page: 4,
        }
    }
}

/// What happened to one cited page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PageReport {
    pub url: String,
    /// The copy of the cited address (`/archive/{id}`), if one was kept.
    pub capture: Option<i64>,
    /// Where the page ended up after redirects, if elsewhere.
    pub final_url: Option<String>,
    pub status: Option<u16>,
    pub content_type: String,
    /// Images and stylesheets kept with it.
    pub resources: usize,
    /// Those that could not be kept, each with why.
    pub resource_errors: Vec<String>,
    pub bytes: u64,
    /// Why nothing was kept, for a person.
    pub error: Option<String>,
}

/// What a run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CaptureSummary {
    pub pages: usize,
    pub captured: usize,
    pub failed: usize,
    pub resources: usize,
    pub bytes: u64,
    /// The WARC files the store now keeps, by name.
    pub files: Vec<String>,
}

/// The WARC file the run's pages write to, in the run's temporary folder, begun again past
/// [`ROLL_OVER_BYTES`] and whenever the pages done are to be kept.
struct Output {
    dir: PathBuf,
    writer: Option<WarcWriter>,
    /// Closed files not yet kept: name, and where it lies in the temporary folder.
    closed: Vec<(String, PathBuf)>,
    /// Bytes written since the files were last kept.
    unkept: u64,
}

impl Output {
    fn write(&mut self, ex: &Exchange<'_>) -> Result<crate::warc::Written, WarcError> {
        if self
            .writer
            .as_ref()
            .is_some_and(|w| w.len() > ROLL_OVER_BYTES)
        {
            self.close();
        }
        if self.writer.is_none() {
            self.writer = Some(WarcWriter::create(&self.dir, ex.date, USER_AGENT)?);
        }
        let w = self.writer.as_mut().expect("a writer was just made");
        let before = w.len();
        let written = w.write_exchange(ex)?;
        self.unkept += w.len() - before;
        Ok(written)
    }

    fn close(&mut self) {
        if let Some(w) = self.writer.take() {
            let name = w.name().to_string();
            self.closed.push((name, w.finish()));
        }
    }

    /// Closes the file being written and answers every closed file: each record written
    /// so far is in one of them (pages still running go on in a new file).
    fn take_files(&mut self) -> Vec<(String, PathBuf)> {
        self.close();
        self.unkept = 0;
        std::mem::take(&mut self.closed)
    }
}

/// The run's temporary folder, removed with what is left in it when the run ends
/// (finished or not).
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, CaptureError> {
        let random = uuid::Uuid::new_v4().simple().to_string();
        let path = std::env::temp_dir().join(format!("dossier-capture-{}", &random[..16]));
        std::fs::create_dir(&path).map_err(|source| CaptureError::Temporary {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Hands finished WARC files to the store, each then removed from the temporary folder;
/// answers their names.
fn keep_files(
    copies: &dyn Captures,
    files: Vec<(String, PathBuf)>,
) -> Result<Vec<String>, CaptureError> {
    let mut names = Vec::with_capacity(files.len());
    for (name, path) in files {
        let bytes = std::fs::read(&path).map_err(|source| CaptureError::Temporary {
            path: path.display().to_string(),
            source,
        })?;
        copies.write_warc_file(&name, &bytes)?;
        let _ = std::fs::remove_file(&path);
        names.push(name);
    }
    Ok(names)
}

/// Now, in seconds since 1970.
fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Captures each page of `pages`, `concurrency` at once, and indexes what it kept in
/// `store`; `progress` hears of each page as it is done. Stops only when the store or the
/// temporary folder fails; a page that fails is reported and the run goes on.
pub async fn capture_pages(
    store: &dyn Store,
    pages: &[CitedPage],
    options: &CaptureOptions,
    progress: &mut dyn FnMut(&PageReport),
) -> Result<CaptureSummary, CaptureError> {
    let copies = store.captures().ok_or(CaptureError::NoCopies)?;
    let mut policy = options.policy.clone();
    policy.max_body = policy.max_body.max(MAX_CAPTURE_BYTES);
    let fetcher = Fetcher::new(policy)?;
    let scratch = Scratch::new()?;
    let output = Arc::new(Mutex::new(Output {
        dir: scratch.0.clone(),
        writer: None,
        closed: Vec::new(),
        unkept: 0,
    }));
    let limit = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let per_page = options.per_page.max(1);
    let mut tasks = tokio::task::JoinSet::new();
    for (i, page) in pages.iter().enumerate() {
        let (fetcher, output, limit) = (fetcher.clone(), output.clone(), limit.clone());
        let url = page.url.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            (i, capture_one(&fetcher, &output, &url, per_page).await)
        });
    }
    let mut run = Run {
        copies,
        pages,
        output: &output,
        done: Vec::new(),
        oldest: None,
        summary: CaptureSummary {
            pages: pages.len(),
            ..CaptureSummary::default()
        },
    };
    loop {
        let next = match run.oldest {
            Some(since) => {
                match tokio::time::timeout_at((since + KEEP_EVERY).into(), tasks.join_next()).await
                {
                    Ok(next) => next,
                    Err(_) => {
                        run.keep(progress)?;
                        continue;
                    }
                }
            }
            None => tasks.join_next().await,
        };
        let Some(done) = next else { break };
        let (i, result) = match done {
            Ok(done) => done,
            Err(e) => {
                // A panicking page task is a bug; the other pages go on.
                run.summary.failed += 1;
                progress(&PageReport::failed(
                    "",
                    format!("the capture task failed: {e}"),
                ));
                continue;
            }
        };
        let (report, rows) = match result {
            Ok(ok) => ok,
            Err(Fatal(e)) => {
                tasks.abort_all();
                return Err(e.into());
            }
        };
        if rows.is_empty() {
            run.report(report, progress);
            continue;
        }
        run.done.push((i, report, rows));
        run.oldest.get_or_insert_with(Instant::now);
        let unkept = output.lock().unwrap_or_else(|p| p.into_inner()).unkept;
        if unkept >= KEEP_EVERY_BYTES {
            run.keep(progress)?;
        }
    }
    run.keep(progress)?;
    let mut summary = run.summary;
    summary.files.sort();
    drop(scratch);
    Ok(summary)
}

/// A capture run's pages done but not yet indexed, and its summary so far.
struct Run<'a> {
    copies: &'a dyn Captures,
    pages: &'a [CitedPage],
    output: &'a Mutex<Output>,
    /// Pages done whose records wait for their files to be kept: the page's number, its
    /// report, its records.
    done: Vec<(usize, PageReport, Vec<NewCapture>)>,
    /// When the oldest of them was done.
    oldest: Option<Instant>,
    summary: CaptureSummary,
}

impl Run<'_> {
    /// Keeps every file written so far in the store, then indexes the pages done: their
    /// records are all in those files. A failure between the two leaves a kept file no
    /// record names, never the other way.
    fn keep(&mut self, progress: &mut dyn FnMut(&PageReport)) -> Result<(), CaptureError> {
        let files = self
            .output
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take_files();
        self.summary.files.extend(keep_files(self.copies, files)?);
        for (i, mut report, rows) in std::mem::take(&mut self.done) {
            let page = &self.pages[i];
            let ids = self.copies.add_captures(&rows, &page.citing)?;
            report.capture = rows
                .iter()
                .zip(&ids)
                .find(|(r, _)| r.url == page.url)
                .or_else(|| rows.iter().zip(&ids).next())
                .map(|(_, id)| *id);
            self.report(report, progress);
        }
        self.oldest = None;
        Ok(())
    }

    /// Counts a page in the summary and tells `progress`.
    fn report(&mut self, report: PageReport, progress: &mut dyn FnMut(&PageReport)) {
        if report.error.is_some() {
            self.summary.failed += 1;
        } else {
            self.summary.captured += 1;
        }
        self.summary.resources += report.resources;
        self.summary.bytes += report.bytes;
        progress(&report);
    }
}

/// A failure to write the temporary WARC file: the run stops.
struct Fatal(WarcError);

impl PageReport {
    fn failed(url: &str, error: String) -> PageReport {
        PageReport {
            url: url.to_string(),
            capture: None,
            final_url: None,
            status: None,
            content_type: String::new(),
            resources: 0,
            resource_errors: Vec::new(),
            bytes: 0,
            error: Some(error),
        }
    }
}

/// The headers of an answer as name/value pairs (values that are not text are left out).
fn header_pairs(f: &Fetched) -> Vec<(String, String)> {
    f.headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

/// Writes an answer, and the redirects before it, to the WARC file; returns their rows
/// (for `page`, all at time `at`).
fn keep(
    output: &Mutex<Output>,
    page: &str,
    at: i64,
    f: &Fetched,
) -> Result<Vec<NewCapture>, WarcError> {
    let mut out = output.lock().unwrap_or_else(|p| p.into_inner());
    let mut rows = Vec::with_capacity(f.hops.len() + 1);
    for hop in &f.hops {
        let headers = vec![("Location".to_string(), hop.location.clone())];
        let w = out.write(&Exchange {
            url: &hop.url,
            date: at,
            ip: None,
            method: "GET",
            request_headers: &f.request_headers,
            status: hop.status,
            response_headers: &headers,
            body: b"",
        })?;
        rows.push(row(page, &hop.url, at, hop.status, "", w));
    }
    let content_type = f
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let w = out.write(&Exchange {
        url: f.final_url.as_str(),
        date: at,
        ip: f.remote_addr.map(|a| a.ip()),
        method: "GET",
        request_headers: &f.request_headers,
        status: f.status,
        response_headers: &header_pairs(f),
        body: &f.body,
    })?;
    rows.push(row(
        page,
        f.final_url.as_str(),
        at,
        f.status,
        &content_type,
        w,
    ));
    Ok(rows)
}

fn row(
    page: &str,
    url: &str,
    at: i64,
    status: u16,
    content_type: &str,
    w: crate::warc::Written,
) -> NewCapture {
    NewCapture {
        page: page.to_string(),
        url: url.to_string(),
        captured_at: at,
        warc_file: w.file,
        offset: w.offset,
        length: w.length,
        status,
        content_type: content_type
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect(),
        sha256: w.payload_sha256,
    }
}

/// Why an answer is not kept, or `None` if it is.
fn unkeepable(f: &Fetched) -> Option<String> {
    if !(200..300).contains(&f.status) {
        return Some(format!(
            "{}: answered {}; nothing kept",
            f.final_url, f.status
        ));
    }
    if f.truncated {
        return Some(format!(
            "{}: larger than {} MB; not kept",
            f.final_url,
            MAX_CAPTURE_BYTES >> 20
        ));
    }
    None
}

/// Fetches and keeps one page with its resources.
async fn capture_one(
    fetcher: &Fetcher,
    output: &Mutex<Output>,
    url: &str,
    per_page: usize,
) -> Result<(PageReport, Vec<NewCapture>), Fatal> {
    let mut report = PageReport::failed(url, String::new());
    report.error = None;
    let parsed = match crate::fetch::parse_url(url) {
        Ok(u) => u,
        Err(e) => return Ok((PageReport::failed(url, e.to_string()), Vec::new())),
    };
    let mut request = FetchRequest::get(parsed);
    request.headers.push((
        "Accept".into(),
        "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8".into(),
    ));
    let page = match fetcher.fetch(request).await {
        Ok(f) => f,
        Err(e) => return Ok((PageReport::failed(url, e.to_string()), Vec::new())),
    };
    report.status = Some(page.status);
    report.content_type = page.content_type();
    if page.final_url.as_str() != url {
        report.final_url = Some(page.final_url.to_string());
    }
    if let Some(why) = unkeepable(&page) {
        report.error = Some(why);
        return Ok((report, Vec::new()));
    }
    let at = now();
    let mut rows = keep(output, url, at, &page).map_err(Fatal)?;
    report.bytes += page.body.len() as u64;
    // The page's images and stylesheets, then what the stylesheets load.
    let mut wanted: Vec<Url> = match replay::kind(&report.content_type) {
        replay::Kind::Html => html::resources_of_html(&page.body, &page.final_url),
        _ => Vec::new(),
    };
    let mut seen: std::collections::HashSet<String> = wanted.iter().map(Url::to_string).collect();
    let mut fetched_count = 0;
    while !wanted.is_empty() && fetched_count < html::MAX_RESOURCES {
        let batch: Vec<Url> = wanted
            .drain(..wanted.len().min(html::MAX_RESOURCES - fetched_count))
            .collect();
        fetched_count += batch.len();
        let mut more = Vec::new();
        for chunk in batch.chunks(per_page) {
            let answers = futures_join(fetcher, chunk).await;
            for answer in answers {
                let f = match answer {
                    Ok(f) => f,
                    Err(e) => {
                        report.resource_errors.push(e.to_string());
                        continue;
                    }
                };
                if let Some(why) = unkeepable(&f) {
                    report.resource_errors.push(why);
                    continue;
                }
                if replay::kind(&f.content_type()) == replay::Kind::Css {
                    let css = String::from_utf8_lossy(&f.body);
                    for next in html::urls_in_css(&css, &f.final_url) {
                        if seen.insert(next.to_string()) {
                            more.push(next);
                        }
                    }
                }
                rows.extend(keep(output, url, at, &f).map_err(Fatal)?);
                report.resources += 1;
                report.bytes += f.body.len() as u64;
            }
        }
        wanted = more;
    }
    Ok((report, rows))
}

/// Fetches these addresses at once.
async fn futures_join(fetcher: &Fetcher, urls: &[Url]) -> Vec<Result<Fetched, FetchError>> {
    let mut set = tokio::task::JoinSet::new();
    for (i, u) in urls.iter().enumerate() {
        let (fetcher, u) = (fetcher.clone(), u.clone());
        set.spawn(async move { (i, fetcher.fetch(FetchRequest::get(u)).await) });
    }
    let mut out: Vec<Option<Result<Fetched, FetchError>>> = (0..urls.len()).map(|_| None).collect();
    while let Some(done) = set.join_next().await {
        if let Ok((i, r)) = done {
            out[i] = Some(r);
        }
    }
    out.into_iter()
        .zip(urls)
        .map(|(r, u)| {
            r.unwrap_or_else(|| {
                Err(FetchError::Http {
                    url: u.to_string(),
                    message: "the fetch task failed".into(),
                })
            })
        })
        .collect()
}
