//! The export's work, as jobs for its workers: each page of the table for each record,
//! the static search page, and the files that are not pages (citation files,
//! bibliographies, the sitemap, feeds).

use super::files::Writer;
use super::search::{SearchIndex, SearchPage};
use super::{ExportOptions, Records};
use crate::citation::{self, CiteItem, Format};
use crate::feed;
use crate::html::{static_file, static_link, Renderer};
use crate::pages::{Form, PageRequest, PageSpec, PAGES};
use crate::site::Site;
use crate::timeline::{PictureSpec, PICTURES};
use crate::PublishError;
use dossier_model::RecordType;
use dossier_store::Store;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// One job of the export's workers: a page or the files that go with it.
pub(super) enum Job<'a> {
    /// A page of the table, for a record's slug (empty for a page without one).
    Page(&'static PageSpec, &'a str),
    /// The static search page.
    Search,
    /// A dossier's bibliography, in every format.
    Bibliographies(&'a str),
    /// A collection's bibliography, in every format.
    CollectionBibliographies(&'a str),
    /// A document's citation files, in every format.
    Citations(&'a str),
    /// `sitemap.xml` (and its parts past this many addresses a file).
    Sitemap(usize),
    /// The archive's feed, or a dossier's.
    Feed(Option<&'a str>),
    /// A picture (timeline, relations graph) for a record's slug.
    Picture(&'static PictureSpec, &'a str),
    /// The archived copies of cited pages and their WARC files.
    Copies,
    /// A body's or person's authority record in EAC-CPF (`bodies/{slug}.eac.xml`).
    Eac(RecordType, &'a str),
}

/// The jobs of an export and how many of them are pages: the pages first, then the files
/// that are not pages but take as long, on the same workers.
pub(super) fn plan<'a>(records: &'a Records, options: &ExportOptions) -> (Vec<Job<'a>>, usize) {
    let mut jobs = vec![Job::Search];
    for spec in PAGES {
        match spec.record {
            Some(ty) => jobs.extend(
                records
                    .slugs(ty)
                    .into_iter()
                    .map(|slug| Job::Page(spec, slug)),
            ),
            None => jobs.push(Job::Page(spec, "")),
        }
    }
    let pages = jobs.len();
    let dossiers = records.slugs(RecordType::Dossier);
    jobs.extend(dossiers.iter().map(|&d| Job::Bibliographies(d)));
    jobs.extend(
        records
            .collections
            .iter()
            .map(|c| Job::CollectionBibliographies(c.as_str())),
    );
    jobs.extend(
        records
            .slugs(RecordType::Document)
            .into_iter()
            .map(Job::Citations),
    );
    jobs.push(Job::Sitemap(options.sitemap_limit.max(1)));
    jobs.push(Job::Copies);
    jobs.push(Job::Feed(None));
    jobs.extend(dossiers.iter().map(|&d| Job::Feed(Some(d))));
    for ty in [RecordType::Body, RecordType::Person] {
        jobs.extend(
            records
                .slugs(ty)
                .into_iter()
                .map(move |slug| Job::Eac(ty, slug)),
        );
    }
    for spec in PICTURES {
        jobs.extend(
            records
                .slugs(spec.record)
                .into_iter()
                .map(|slug| Job::Picture(spec, slug)),
        );
    }
    (jobs, pages)
}

/// Runs the jobs on every core (at most eight): a shared counter hands them out; the
/// first failure stops the workers and is returned.
pub(super) fn run_all(
    store: &dyn Store,
    site: &Site,
    writer: &Writer,
    jobs: &[Job],
    index: &SearchIndex,
) -> Result<(), PublishError> {
    let renderer = Renderer::new();
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
                if let Err(e) = run(store, site, &renderer, writer, job, index) {
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
    match first_error.into_inner().ok().flatten() {
        Some(e) => Err(e),
        None => Ok(()),
    }
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
        Job::CollectionBibliographies(slug) => {
            for f in Format::ALL {
                if let Some(b) = citation::collection_bibliography(store, slug, f, site)? {
                    w.write(
                        &static_file(&citation::collection_bibliography_path(slug, f)),
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
        Job::Copies => super::copies::write_copies(store, w),
        Job::Eac(ty, slug) => {
            let xml = crate::eac::eac_cpf(store, site, *ty, slug)?
                .ok_or_else(|| vanished(ty.as_str(), slug))?;
            w.write(
                &static_file(&crate::eac::eac_path(*ty, slug)),
                xml.as_bytes(),
            )
        }
        Job::Picture(spec, slug) => {
            let path = spec.path(slug);
            let root = "../".repeat(depth_of(&path));
            let svg = spec
                .render(store, slug, &|url: &str| static_link(&root, url))?
                .ok_or_else(|| vanished(spec.what, slug))?;
            w.write(&static_file(&path), svg.as_bytes())
        }
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
        lang: None,
        search: None,
    };
    let path = spec.path(slug);
    let depth = Some(depth_of(&path));
    let page = spec
        .render(&request, r, Form::Html { depth })?
        .ok_or_else(|| vanished(spec.what, slug))?;
    w.write(&static_file(&path), &page.body)?;
    // A document's text in its other languages, at `…/text/{lang}` (the export has no
    // `?lang=`); a tag that is not one (a record stored before tags were checked) would
    // name a path outside the document's folder, so it is left out.
    if spec.reads_lang() {
        let langs: Vec<String> = store
            .document(slug)?
            .map(|d| d.texts.into_iter().skip(1).map(|t| t.lang).collect())
            .unwrap_or_default();
        for lang in langs {
            if dossier_model::check_language_tag(&lang).is_err() {
                continue;
            }
            let request = PageRequest {
                store,
                site,
                slug,
                filter: Default::default(),
                lang: Some(lang.clone()),
                search: None,
            };
            let path = format!("{path}/{lang}");
            let page = spec
                .render(
                    &request,
                    r,
                    Form::Html {
                        depth: Some(depth_of(&path)),
                    },
                )?
                .ok_or_else(|| vanished(spec.what, slug))?;
            w.write(&static_file(&path), &page.body)?;
        }
    }
    Ok(())
}
