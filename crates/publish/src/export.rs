//! The static export: the whole archive as files that work without a server, from any
//! folder, sub-path or `file://`.
//!
//! Pages are rendered with the server's templates ([`Renderer::render_static`]), whose
//! links become relative file links; beside them go the citation files, the dossiers'
//! bibliographies and feeds, the sitemap and `robots.txt`, and a static search (a script
//! and an index of every record, loaded as a script so that it works from `file://`).
//!
//! Output is deterministic: the same store gives byte-identical files (nothing depends on
//! the time of the export or the order threads finish in). The export is written into a
//! fresh folder beside the target and moved into place at the end, so a failed export
//! leaves the previous one as it was; a target that holds anything else is refused.

use crate::citation::{self, CiteItem, Format};
use crate::feed;
use crate::html::{static_file, Renderer, SEARCH_SCRIPT, STYLESHEET};
use crate::pages::{PageRequest, PageSpec, PAGES};
use crate::site::Site;
use crate::views::url_of;
use crate::PublishError;
use dossier_model::*;
use dossier_store::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The file that marks a folder as written by the export (so a later export may replace
/// it, and nothing else is ever deleted).
pub const MARKER: &str = ".dossier-export";

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// HTML pages.
    pub pages: usize,
    /// All files, pages included.
    pub files: usize,
    pub bytes: u64,
}

/// One job of the export's workers: a page or the files that go with it.
enum Job<'a> {
    /// A page of the table, for a record's slug (empty for a page without one).
    Page(&'static PageSpec, &'a str),
    /// The static search page.
    Search,
    /// A dossier's bibliography, in every format.
    Bibliographies(&'a str),
    /// A document's citation files, in every format.
    Citations(&'a str),
    /// `sitemap.xml` (and its parts past this many addresses a file).
    Sitemap(usize),
    /// The archive's feed, or a dossier's.
    Feed(Option<&'a str>),
}

/// How an export is made, beyond the archive and the site's address.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Addresses per sitemap file: past this, `sitemap.xml` is a sitemap index of
    /// `sitemap-{n}.xml` files. The protocol's 50,000 by default.
    pub sitemap_limit: usize,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            sitemap_limit: feed::SITEMAP_LIMIT,
        }
    }
}

/// Writes the whole archive under `out` as a static site. `progress(done, total)` is
/// called as files are written (from several threads).
pub fn export_site(
    store: &dyn Store,
    site: &Site,
    out: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<ExportSummary, PublishError> {
    export_site_with(store, site, out, progress, &ExportOptions::default())
}

/// [`export_site`] with options.
pub fn export_site_with(
    store: &dyn Store,
    site: &Site,
    out: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
    options: &ExportOptions,
) -> Result<ExportSummary, PublishError> {
    let site = site.clone().with_static_files();
    let staging = prepare(out)?;
    let result = write_all(store, &site, &staging, progress, options);
    match result {
        Ok(summary) => {
            replace(&staging, out)?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Checks the target and makes the staging folder beside it.
fn prepare(out: &Path) -> Result<PathBuf, PublishError> {
    if out.exists() {
        if !out.is_dir() {
            return Err(PublishError::Config(format!(
                "{} exists and is not a folder",
                out.display()
            )));
        }
        let empty = std::fs::read_dir(out)
            .map_err(io_err(out))?
            .next()
            .is_none();
        if !empty && !out.join(MARKER).exists() {
            return Err(PublishError::Config(format!(
                "{} is not empty and was not written by `dossier export site`; choose a new or \
                 empty folder (nothing was written)",
                out.display()
            )));
        }
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "site".into());
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let staging = parent.join(format!(".{name}.export-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io_err(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io_err(&staging))?;
    Ok(staging)
}

/// Moves the finished export into place, replacing an earlier export.
fn replace(staging: &Path, out: &Path) -> Result<(), PublishError> {
    if out.exists() {
        let old = staging.with_extension("old");
        std::fs::rename(out, &old).map_err(io_err(out))?;
        std::fs::rename(staging, out).map_err(io_err(out))?;
        std::fs::remove_dir_all(&old).map_err(io_err(&old))?;
    } else {
        std::fs::rename(staging, out).map_err(io_err(out))?;
    }
    Ok(())
}

struct Writer<'a> {
    root: &'a Path,
    files: AtomicUsize,
    bytes: AtomicUsize,
    done: AtomicUsize,
    total: usize,
    progress: &'a (dyn Fn(usize, usize) + Sync),
    /// Folders made so far (each is made once).
    dirs: Mutex<std::collections::HashSet<PathBuf>>,
}

impl Writer<'_> {
    /// Writes `rel` (a path from the export's root, `/`-separated, made from slugs).
    fn write(&self, rel: &str, content: &[u8]) -> Result<(), PublishError> {
        // Slugs are checked when records are written, but a path is never trusted here.
        if rel
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
            || rel.contains('\\')
        {
            return Err(PublishError::Config(format!(
                "refusing to write the unsafe path {rel:?}"
            )));
        }
        let path = self.root.join(rel);
        if let Some(dir) = path.parent() {
            let known = self.dirs.lock().map(|d| d.contains(dir)).unwrap_or(false);
            if !known {
                std::fs::create_dir_all(dir).map_err(io_err(dir))?;
                if let Ok(mut d) = self.dirs.lock() {
                    d.insert(dir.to_path_buf());
                }
            }
        }
        std::fs::write(&path, content).map_err(io_err(&path))?;
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(content.len(), Ordering::Relaxed);
        Ok(())
    }

    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        (self.progress)(done, self.total);
    }
}

fn write_all(
    store: &dyn Store,
    site: &Site,
    root: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
    options: &ExportOptions,
) -> Result<ExportSummary, PublishError> {
    let cache = CachingStore::new(store);
    let store: &dyn Store = &cache;
    let dossiers = store.dossiers()?;
    let documents = store.documents(&DocumentQuery::default())?;
    let bodies = store.bodies(None)?;
    let people = store.people(None)?;
    let events = store.events(&EventQuery::default())?;
    let topics = store.topics(None)?;
    // Every page looks documents and events up by slug: read them once, from the lists.
    cache.prime(&documents, &events);

    let slugs = |ty: RecordType| -> Vec<&str> {
        match ty {
            RecordType::Dossier => dossiers.iter().map(|d| d.slug.as_str()).collect(),
            RecordType::Document => documents.iter().map(|d| d.slug.as_str()).collect(),
            RecordType::Body => bodies.iter().map(|b| b.slug.as_str()).collect(),
            RecordType::Person => people.iter().map(|p| p.slug.as_str()).collect(),
            RecordType::Event => events.iter().map(|e| e.slug.as_str()).collect(),
            RecordType::Topic => topics.iter().map(|t| t.slug.as_str()).collect(),
        }
    };
    let mut jobs = vec![Job::Search];
    for spec in PAGES {
        match spec.record {
            Some(ty) => jobs.extend(slugs(ty).into_iter().map(|slug| Job::Page(spec, slug))),
            None => jobs.push(Job::Page(spec, "")),
        }
    }
    let pages = jobs.len();
    // Files that are not pages but take as long: on the same workers, last.
    jobs.extend(
        slugs(RecordType::Dossier)
            .into_iter()
            .map(Job::Bibliographies),
    );
    jobs.extend(slugs(RecordType::Document).into_iter().map(Job::Citations));
    jobs.push(Job::Sitemap(options.sitemap_limit.max(1)));
    jobs.push(Job::Feed(None));
    jobs.extend(
        slugs(RecordType::Dossier)
            .into_iter()
            .map(|d| Job::Feed(Some(d))),
    );

    let writer = Writer {
        root,
        files: AtomicUsize::new(0),
        bytes: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        total: pages,
        progress,
        dirs: Mutex::default(),
    };
    let renderer = Renderer::new();

    // Files that are not pages.
    writer.write(
        MARKER,
        b"Written by `dossier export site`; the next export replaces this folder.\n",
    )?;
    writer.write("static/style.css", STYLESHEET.as_bytes())?;
    writer.write("static/search.js", SEARCH_SCRIPT.as_bytes())?;
    writer.write("robots.txt", feed::robots(site, false).as_bytes())?;
    let index = search_index(&documents, &bodies, &people, &events, &topics, &dossiers);
    writer.write(
        "search-index.js",
        format!(
            "// The static search's index: every record of the archive.\nwindow.DOSSIER_SEARCH = {};\n",
            serde_json::to_string(&index).unwrap_or_else(|_| "{\"root\":\"\",\"records\":[]}".into())
        )
        .as_bytes(),
    )?;

    // Pages, on every core: a shared counter hands out the jobs.
    let next = AtomicUsize::new(0);
    let first_error: Mutex<Option<PublishError>> = Mutex::new(None);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                if first_error.lock().map(|e| e.is_some()).unwrap_or(true) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { return };
                if let Err(e) = run(store, site, &renderer, &writer, job, &index) {
                    if let Ok(mut slot) = first_error.lock() {
                        slot.get_or_insert(e);
                    }
                    return;
                }
                if matches!(job, Job::Page(..) | Job::Search) {
                    writer.tick();
                }
            });
        }
    });
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    Ok(ExportSummary {
        pages,
        files: writer.files.load(Ordering::Relaxed),
        bytes: writer.bytes.load(Ordering::Relaxed) as u64,
    })
}

/// How deep a page's file is below the root: `documents/x.html` is 1.
fn depth_of(path: &str) -> usize {
    static_file(path).matches('/').count()
}

/// Does one job: renders a page, or writes the files that go with one.
fn run(
    store: &dyn Store,
    site: &Site,
    r: &Renderer,
    w: &Writer,
    job: &Job,
    index: &SearchIndex,
) -> Result<(), PublishError> {
    match job {
        Job::Page(spec, slug) => page(store, site, r, w, spec, slug),
        Job::Search => {
            let v = SearchPage {
                count: index.records.len(),
                groups: index.groups(),
            };
            let html = r.render_static("static-search.html", "Search", &v, depth_of("/search"))?;
            w.write(&static_file("/search"), html.as_bytes())
        }
        Job::Bibliographies(slug) => {
            for f in Format::ALL {
                if let Some(b) = citation::dossier_bibliography(store, slug, f, site)? {
                    w.write(
                        &format!("dossiers/{slug}/bibliography.{}", f.extension()),
                        b.as_bytes(),
                    )?;
                }
            }
            Ok(())
        }
        Job::Citations(slug) => {
            let doc = store
                .document(slug)?
                .ok_or_else(|| vanished("document", slug))?;
            let item = CiteItem::from_document(store, &doc, site)?;
            for f in Format::ALL {
                w.write(
                    &static_file(&citation::citation_path(slug, f)),
                    f.write(std::slice::from_ref(&item)).as_bytes(),
                )?;
            }
            Ok(())
        }
        Job::Sitemap(limit) => {
            for (name, xml) in feed::sitemap_files(store, site, *limit)? {
                w.write(&name, xml.as_bytes())?;
            }
            Ok(())
        }
        Job::Feed(dossier) => match feed::atom(store, site, *dossier)? {
            Some(f) => w.write(&static_file(&feed::feed_path(*dossier)), f.as_bytes()),
            None => Ok(()),
        },
    }
}

fn vanished(what: &str, slug: &str) -> PublishError {
    PublishError::Config(format!("the {what} `{slug}` vanished during the export"))
}

/// Renders a page of the table as the file its path names.
fn page(
    store: &dyn Store,
    site: &Site,
    r: &Renderer,
    w: &Writer,
    spec: &PageSpec,
    slug: &str,
) -> Result<(), PublishError> {
    let request = PageRequest {
        store,
        site,
        slug,
        filter: Default::default(),
    };
    let built = spec
        .build(&request)?
        .ok_or_else(|| vanished(spec.what, slug))?;
    let path = spec.path(slug);
    let html = built
        .view
        .html(r, spec.template, &built.title, Some(depth_of(&path)))?;
    w.write(&static_file(&path), html.as_bytes())
}

// ---------------------------------------------------------------- the static search

/// The search index: what `search-index.js` holds.
#[derive(Debug, Serialize)]
struct SearchIndex {
    /// Prefix of every `u` from the search page (which sits at the root).
    root: &'static str,
    records: Vec<SearchRecord>,
}

/// One record, with short keys to keep the index small.
#[derive(Debug, Serialize)]
struct SearchRecord {
    /// The page, relative to the root.
    u: String,
    /// Title or name.
    t: String,
    /// Other names and acronyms.
    #[serde(skip_serializing_if = "String::is_empty")]
    a: String,
    /// Kind label.
    k: String,
    /// Date in words.
    #[serde(skip_serializing_if = "String::is_empty")]
    d: String,
    /// Record type in words.
    y: &'static str,
    /// Summary.
    #[serde(skip_serializing_if = "String::is_empty")]
    x: String,
    /// Its group in the "every record" list (not shown in results).
    #[serde(skip)]
    record: RecordType,
}

impl SearchRecord {
    /// A record with its page, title and type; the other fields empty.
    fn of(record: RecordType, slug: &str, title: &str) -> Self {
        SearchRecord {
            u: static_file(&url_of(record, slug)),
            t: title.to_string(),
            a: String::new(),
            k: String::new(),
            d: String::new(),
            y: record.as_str(),
            x: String::new(),
            record,
        }
    }
}

/// The search page's view.
#[derive(Debug, Serialize)]
struct SearchPage<'a> {
    /// How many records the index holds.
    count: usize,
    groups: Vec<Group<'a>>,
}

#[derive(Debug, Serialize)]
struct Group<'a> {
    label: &'static str,
    items: Vec<GroupItem<'a>>,
}

#[derive(Debug, Serialize)]
struct GroupItem<'a> {
    /// A site path, for the template's `link` filter.
    url: String,
    title: &'a str,
    kind_label: &'a str,
    date_human: &'a str,
}

const GROUPS: [(RecordType, &str); 6] = [
    (RecordType::Dossier, "Dossiers"),
    (RecordType::Document, "Documents"),
    (RecordType::Body, "Bodies"),
    (RecordType::Person, "People"),
    (RecordType::Event, "Events"),
    (RecordType::Topic, "Topics"),
];

impl SearchIndex {
    fn groups(&self) -> Vec<Group<'_>> {
        GROUPS
            .iter()
            .map(|&(record, label)| Group {
                label,
                items: self
                    .records
                    .iter()
                    .filter(|r| r.record == record)
                    .map(|r| GroupItem {
                        url: format!("/{}", r.u.trim_end_matches(".html")),
                        title: &r.t,
                        kind_label: &r.k,
                        date_human: &r.d,
                    })
                    .collect(),
            })
            .filter(|g| !g.items.is_empty())
            .collect()
    }
}

fn search_index(
    documents: &[Document],
    bodies: &[Body],
    people: &[Person],
    events: &[Event],
    topics: &[Topic],
    dossiers: &[DossierSummary],
) -> SearchIndex {
    let human = |d: &Option<Edtf>| d.map(|d| d.human()).unwrap_or_default();
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let mut records = Vec::new();
    records.extend(dossiers.iter().map(|d| SearchRecord {
        k: "Dossier".into(),
        x: d.description.clone(),
        ..SearchRecord::of(RecordType::Dossier, &d.slug, &d.title)
    }));
    records.extend(documents.iter().map(|d| SearchRecord {
        a: d.aliases.join("; "),
        k: d.kind.label().into(),
        d: human(&d.date),
        x: text(&d.summary),
        ..SearchRecord::of(RecordType::Document, &d.slug, &d.title)
    }));
    records.extend(bodies.iter().map(|b| {
        SearchRecord {
            a: b.acronyms
                .iter()
                .chain(&b.aliases)
                .cloned()
                .collect::<Vec<_>>()
                .join("; "),
            k: b.kind.label().into(),
            d: human(&b.established),
            x: text(&b.summary),
            ..SearchRecord::of(RecordType::Body, &b.slug, &b.name)
        }
    }));
    records.extend(people.iter().map(|p| {
        SearchRecord {
            a: p.offices
                .iter()
                .map(|o| o.title.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            k: "Person".into(),
            x: text(&p.summary),
            ..SearchRecord::of(RecordType::Person, &p.slug, &p.name)
        }
    }));
    records.extend(events.iter().map(|e| SearchRecord {
        a: text(&e.place),
        k: e.kind.label().into(),
        d: human(&e.date),
        x: text(&e.summary),
        ..SearchRecord::of(RecordType::Event, &e.slug, &e.title)
    }));
    records.extend(topics.iter().map(|t| SearchRecord {
        k: t.kind.label().into(),
        d: human(&t.as_of),
        x: text(&t.summary),
        ..SearchRecord::of(RecordType::Topic, &t.slug, &t.title)
    }));
    SearchIndex { root: "", records }
}

// ---------------------------------------------------------------- a caching store

/// A read-through cache over the store for the export, which asks the same questions for
/// many pages (a dossier's outline for every record's provenance, the title of a body for
/// every link to it). Writes go straight through.
struct CachingStore<'a> {
    inner: &'a dyn Store,
    dossiers: Mutex<HashMap<String, Option<Dossier>>>,
    titles: Mutex<HashMap<(RecordType, String), Option<String>>>,
    documents: Mutex<HashMap<String, Option<Document>>>,
    events: Mutex<HashMap<String, Option<Event>>>,
    stamps: Mutex<HashMap<(RecordType, String), Option<Stamps>>>,
    /// Lists, by their query's debug form.
    document_lists: Mutex<HashMap<String, Vec<Document>>>,
    event_lists: Mutex<HashMap<String, Vec<Event>>>,
    summaries: Mutex<HashMap<(), Vec<DossierSummary>>>,
}

impl<'a> CachingStore<'a> {
    fn new(inner: &'a dyn Store) -> Self {
        CachingStore {
            inner,
            dossiers: Mutex::default(),
            titles: Mutex::default(),
            documents: Mutex::default(),
            events: Mutex::default(),
            stamps: Mutex::default(),
            document_lists: Mutex::default(),
            event_lists: Mutex::default(),
            summaries: Mutex::default(),
        }
    }
}

impl CachingStore<'_> {
    /// Fills the by-slug caches from lists already read.
    fn prime(&self, documents: &[Document], events: &[Event]) {
        if let Ok(mut m) = self.documents.lock() {
            for d in documents {
                m.insert(d.slug.clone(), Some(d.clone()));
            }
        }
        if let Ok(mut m) = self.events.lock() {
            for e in events {
                m.insert(e.slug.clone(), Some(e.clone()));
            }
        }
        if let Ok(mut m) = self.titles.lock() {
            for d in documents {
                m.insert(
                    (RecordType::Document, d.slug.clone()),
                    Some(d.title.clone()),
                );
            }
            for e in events {
                m.insert((RecordType::Event, e.slug.clone()), Some(e.title.clone()));
            }
        }
    }
}

fn cached<K: std::hash::Hash + Eq + Clone, V: Clone>(
    map: &Mutex<HashMap<K, V>>,
    key: K,
    load: impl FnOnce() -> Result<V, StoreError>,
) -> Result<V, StoreError> {
    if let Some(v) = map.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(v);
    }
    let v = load()?;
    if let Ok(mut m) = map.lock() {
        m.insert(key, v.clone());
    }
    Ok(v)
}

impl Store for CachingStore<'_> {
    fn write(&self, archive: &Archive) -> Result<WriteSummary, StoreError> {
        self.inner.write(archive)
    }
    fn is_empty(&self) -> Result<bool, StoreError> {
        self.inner.is_empty()
    }
    fn exists(&self, record: RecordType, slug: &str) -> Result<bool, StoreError> {
        self.title_of(record, slug).map(|t| t.is_some())
    }
    fn dossiers(&self) -> Result<Vec<DossierSummary>, StoreError> {
        cached(&self.summaries, (), || self.inner.dossiers())
    }
    fn dossier(&self, slug: &str) -> Result<Option<Dossier>, StoreError> {
        cached(&self.dossiers, slug.to_string(), || {
            self.inner.dossier(slug)
        })
    }
    fn document(&self, slug: &str) -> Result<Option<Document>, StoreError> {
        cached(&self.documents, slug.to_string(), || {
            self.inner.document(slug)
        })
    }
    fn body(&self, slug: &str) -> Result<Option<Body>, StoreError> {
        self.inner.body(slug)
    }
    fn person(&self, slug: &str) -> Result<Option<Person>, StoreError> {
        self.inner.person(slug)
    }
    fn event(&self, slug: &str) -> Result<Option<Event>, StoreError> {
        cached(&self.events, slug.to_string(), || self.inner.event(slug))
    }
    fn topic(&self, slug: &str) -> Result<Option<Topic>, StoreError> {
        self.inner.topic(slug)
    }
    fn stamps(&self, record: RecordType, slug: &str) -> Result<Option<Stamps>, StoreError> {
        cached(&self.stamps, (record, slug.to_string()), || {
            self.inner.stamps(record, slug)
        })
    }
    fn documents(&self, q: &DocumentQuery) -> Result<Vec<Document>, StoreError> {
        cached(&self.document_lists, format!("{q:?}"), || {
            self.inner.documents(q)
        })
    }
    fn events(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        cached(&self.event_lists, format!("{q:?}"), || self.inner.events(q))
    }
    fn bodies(&self, dossier: Option<&str>) -> Result<Vec<Body>, StoreError> {
        self.inner.bodies(dossier)
    }
    fn people(&self, dossier: Option<&str>) -> Result<Vec<Person>, StoreError> {
        self.inner.people(dossier)
    }
    fn topics(&self, dossier: Option<&str>) -> Result<Vec<Topic>, StoreError> {
        self.inner.topics(dossier)
    }
    fn citations(
        &self,
        record: RecordType,
        slug: &str,
    ) -> Result<Vec<SectionCitation>, StoreError> {
        self.inner.citations(record, slug)
    }
    fn backlinks(&self, record: RecordType, slug: &str) -> Result<Vec<Backlink>, StoreError> {
        self.inner.backlinks(record, slug)
    }
    fn title_of(&self, record: RecordType, slug: &str) -> Result<Option<String>, StoreError> {
        cached(&self.titles, (record, slug.to_string()), || {
            self.inner.title_of(record, slug)
        })
    }
    fn delete(&self, record: RecordType, slug: &str) -> Result<bool, StoreError> {
        self.inner.delete(record, slug)
    }
    fn changes_since(&self, seq: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.inner.changes_since(seq, limit)
    }
    fn last_change(&self) -> Result<i64, StoreError> {
        self.inner.last_change()
    }
    fn changed_at_or_before(
        &self,
        seq: i64,
        upto: i64,
    ) -> Result<std::collections::HashSet<(RecordType, String)>, StoreError> {
        self.inner.changed_at_or_before(seq, upto)
    }
    fn tombstones(&self, record: RecordType) -> Result<Vec<Tombstone>, StoreError> {
        self.inner.tombstones(record)
    }
}
