//! The static export: the whole archive as files that work without a server, from any
//! folder, sub-path or `file://`.
//!
//! Pages are rendered with the server's templates
//! ([`crate::Renderer::render_static`]), whose links become relative file links; beside
//! them go the citation files, the dossiers' bibliographies and feeds, the sitemap and
//! `robots.txt`, and a static search (a script and an index of every record, loaded as a
//! script so that it works from `file://`).
//!
//! Output is deterministic: the same store gives byte-identical files (nothing depends on
//! the time of the export or the order threads finish in). The export is written into a
//! fresh folder beside the target and moved into place at the end, so a failed export
//! leaves the previous one as it was; a target that holds anything else is refused.
//!
//! `jobs` lists the work (each page of [`crate::pages::PAGES`] for each record, then the
//! files that are not pages) and runs it on every core; `files` is the folder being
//! written; `search` the static search's index and page; `cache` a read-through cache of
//! the store.

mod cache;
mod copies;
mod files;
mod jobs;
mod search;

use crate::feed;
use crate::html::{SEARCH_SCRIPT, STYLESHEET};
use crate::site::Site;
use crate::PublishError;
use cache::CachingStore;
use dossier_model::{Body, Document, Event, Person, RecordType, Topic};
use dossier_store::{DocumentQuery, DossierSummary, EventQuery, Store};
use files::{prepare, replace, Writer};
use serde::Serialize;
use std::path::Path;
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

/// Every record of the archive, read once at the start of an export.
struct Records {
    dossiers: Vec<DossierSummary>,
    documents: Vec<Document>,
    bodies: Vec<Body>,
    people: Vec<Person>,
    events: Vec<Event>,
    topics: Vec<Topic>,
    /// The collections' slugs, by title.
    collections: Vec<String>,
}

impl Records {
    fn read(store: &dyn Store) -> Result<Records, PublishError> {
        Ok(Records {
            dossiers: store.dossiers()?,
            documents: store.documents(&DocumentQuery::default())?,
            bodies: store.bodies(None)?,
            people: store.people(None)?,
            events: store.events(&EventQuery::default())?,
            topics: store.topics(None)?,
            collections: store
                .collections()?
                .into_iter()
                .map(|(c, _)| c.slug)
                .collect(),
        })
    }

    /// The slugs of one type of record, in the store's order.
    fn slugs(&self, ty: RecordType) -> Vec<&str> {
        match ty {
            RecordType::Dossier => self.dossiers.iter().map(|d| d.slug.as_str()).collect(),
            RecordType::Document => self.documents.iter().map(|d| d.slug.as_str()).collect(),
            RecordType::Body => self.bodies.iter().map(|b| b.slug.as_str()).collect(),
            RecordType::Person => self.people.iter().map(|p| p.slug.as_str()).collect(),
            RecordType::Event => self.events.iter().map(|e| e.slug.as_str()).collect(),
            RecordType::Topic => self.topics.iter().map(|t| t.slug.as_str()).collect(),
        }
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
    let records = Records::read(store)?;
    // Every page looks documents and events up by slug: read them once, from the lists.
    cache.prime(&records.documents, &records.events);
    let (jobs, pages) = jobs::plan(&records, options);
    let writer = Writer {
        root,
        files: AtomicUsize::new(0),
        bytes: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        total: pages,
        progress,
        dirs: Mutex::default(),
    };
    let index = search::search_index(&records);
    // Files that are not pages.
    writer.write(
        MARKER,
        b"Written by `dossier export site`; the next export replaces this folder.\n",
    )?;
    writer.write("static/style.css", STYLESHEET.as_bytes())?;
    writer.write("static/search.js", SEARCH_SCRIPT.as_bytes())?;
    writer.write("robots.txt", feed::robots(site, false).as_bytes())?;
    for (path, contents) in search::static_search_files(store)? {
        writer.write(&path, contents.as_bytes())?;
    }
    jobs::run_all(store, site, &writer, &jobs, &index)?;
    Ok(ExportSummary {
        pages,
        files: writer.files.load(Ordering::Relaxed),
        bytes: writer.bytes.load(Ordering::Relaxed) as u64,
    })
}
