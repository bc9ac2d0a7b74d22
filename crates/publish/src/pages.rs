//! The site's pages, defined once: which paths exist, which view each shows and with
//! which template. The server registers a route from each entry and the static export
//! writes each entry for every record it names, so the two cannot drift apart.

use crate::site::Site;
use crate::views::{self, ChronologyFilter};
use crate::{PublishError, Renderer};
use dossier_model::RecordType;
use dossier_store::Store;
use serde::Serialize;

/// A page's view, whatever its type: the same value is the page's JSON and the context
/// of its template.
pub trait View: Send {
    /// The JSON body.
    fn json(&self) -> serde_json::Result<Vec<u8>>;
    /// The HTML page: as the server sends it (`depth` `None`), or as the static export
    /// writes it, `depth` folders below the export's root.
    fn html(
        &self,
        r: &Renderer,
        template: &str,
        title: &str,
        depth: Option<usize>,
    ) -> Result<String, PublishError>;
    /// The HTML page as the server sends it, with the keys of `extra` (an object) added
    /// to the template's context (the logged-in `viewer`).
    fn html_with(
        &self,
        r: &Renderer,
        template: &str,
        title: &str,
        extra: &serde_json::Value,
    ) -> Result<String, PublishError>;
    /// The page as the static export writes it, with the keys of `extra` added to the
    /// template's context (the page's JSON-LD).
    fn html_static_with(
        &self,
        r: &Renderer,
        template: &str,
        title: &str,
        depth: usize,
        extra: &serde_json::Value,
    ) -> Result<String, PublishError>;
}

impl<T: Serialize + Send> View for T {
    fn json(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self)
    }
    fn html(
        &self,
        r: &Renderer,
        template: &str,
        title: &str,
        depth: Option<usize>,
    ) -> Result<String, PublishError> {
        match depth {
            None => r.render(template, title, self),
            Some(depth) => r.render_static(template, title, self, depth),
        }
    }
    fn html_with(
        &self,
        r: &Renderer,
        template: &str,
        title: &str,
        extra: &serde_json::Value,
    ) -> Result<String, PublishError> {
        r.render_with(template, title, self, extra)
    }
    fn html_static_with(
        &self,
        r: &Renderer,
        template: &str,
        title: &str,
        depth: usize,
        extra: &serde_json::Value,
    ) -> Result<String, PublishError> {
        r.render_static_with(template, title, self, depth, extra)
    }
}

/// A built page: its title and its view.
pub struct Built {
    pub title: String,
    pub view: Box<dyn View>,
    /// Keys added to the HTML page's template context only (the page's JSON is the view
    /// alone): the record's schema.org description `json_ld` ([`crate::jsonld`]) and
    /// `chronology`, its neighbours there ([`views::neighbours`]).
    pub context: serde_json::Map<String, serde_json::Value>,
}

/// What a page is built from.
pub struct PageRequest<'a> {
    pub store: &'a dyn Store,
    pub site: &'a Site,
    /// The record's slug (empty for a page without one).
    pub slug: &'a str,
    /// The chronology's filters (the export writes the unfiltered page).
    pub filter: ChronologyFilter,
    /// The language asked for (`?lang=fr`) on a page that [reads it](PageSpec::reads_lang);
    /// the export writes the page without one (the first text held).
    pub lang: Option<String>,
    /// The search index, where the page is made beside one (the server): a dossier's
    /// saved searches are run with it; without it they are listed as links.
    pub search: Option<&'a dossier_search::SearchIndex>,
}

/// The route of a document's text page.
pub const TEXT_ROUTE: &str = "/documents/{slug}/text";

/// One of the site's pages.
pub struct PageSpec {
    /// The route, in the router's syntax: `{slug}` stands for the record's slug.
    pub route: &'static str,
    /// Whose slugs fill `{slug}` (the export writes the page for each); `None` for a page
    /// without a slug.
    pub record: Option<RecordType>,
    /// What the slug names, for messages (`There is no dossier …`).
    pub what: &'static str,
    pub template: &'static str,
    /// Whether the page reads the chronology's filters (`?body=…&kind=…`).
    pub filters: bool,
    build: fn(&PageRequest) -> Result<Option<Built>, PublishError>,
}

/// The form a page is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The HTML page: as the server sends it (`depth` `None`), or as the static export
    /// writes it, `depth` folders below the export's root.
    Html { depth: Option<usize> },
    /// The view itself, as JSON.
    Json,
}

/// A rendered page: its body and media type.
pub struct Rendered {
    pub body: Vec<u8>,
    pub media_type: &'static str,
}

impl PageSpec {
    /// Whether the page reads `?lang=` (a document's text page).
    pub fn reads_lang(&self) -> bool {
        self.route == TEXT_ROUTE
    }

    /// The page's view and title; `None` when the slug names no record.
    pub fn build(&self, request: &PageRequest) -> Result<Option<Built>, PublishError> {
        (self.build)(request)
    }

    /// The page built and rendered in `form`; `None` when the slug names no record. The
    /// one way a page is made: the server (whose response cache keeps the result until
    /// the store changes) and the static export both call it.
    pub fn render(
        &self,
        request: &PageRequest,
        renderer: &Renderer,
        form: Form,
    ) -> Result<Option<Rendered>, PublishError> {
        self.render_with(request, renderer, form, None)
    }

    /// [`PageSpec::render`], with `extra` (an object: the server's logged-in `viewer`)
    /// added to the template's context of an HTML page the server sends. The JSON and
    /// the static export's pages are the same with or without it.
    pub fn render_with(
        &self,
        request: &PageRequest,
        renderer: &Renderer,
        form: Form,
        extra: Option<&serde_json::Value>,
    ) -> Result<Option<Rendered>, PublishError> {
        let Some(built) = self.build(request)? else {
            return Ok(None);
        };
        let html = |body: String| Rendered {
            body: body.into_bytes(),
            media_type: "text/html; charset=utf-8",
        };
        Ok(Some(match (form, extra) {
            (Form::Json, _) => Rendered {
                body: built.view.json()?,
                media_type: "application/json",
            },
            (Form::Html { depth: None }, Some(extra)) => html(built.view.html_with(
                renderer,
                self.template,
                &built.title,
                &with_context(extra, &built.context),
            )?),
            (Form::Html { depth }, _) if !built.context.is_empty() => {
                let extra = with_context(&serde_json::json!({}), &built.context);
                html(match depth {
                    None => built
                        .view
                        .html_with(renderer, self.template, &built.title, &extra)?,
                    Some(depth) => built.view.html_static_with(
                        renderer,
                        self.template,
                        &built.title,
                        depth,
                        &extra,
                    )?,
                })
            }
            (Form::Html { depth }, _) => html(built.view.html(
                renderer,
                self.template,
                &built.title,
                depth,
            )?),
        }))
    }

    /// The site path of the page for `slug`.
    pub fn path(&self, slug: &str) -> String {
        self.route.replace("{slug}", slug)
    }
}

fn built<T: Serialize + Send + 'static>(title: String, view: T) -> Option<Built> {
    Some(Built {
        title,
        view: Box::new(view),
        context: serde_json::Map::new(),
    })
}

/// A record's page with its schema.org description.
fn built_ld<T: Serialize + Send + 'static>(
    title: String,
    view: T,
    json_ld: serde_json::Value,
) -> Option<Built> {
    Some(Built {
        title,
        view: Box::new(view),
        context: [(
            "json_ld".to_string(),
            serde_json::Value::String(crate::jsonld::script_text(&json_ld)),
        )]
        .into_iter()
        .collect(),
    })
}

/// A page with the record's neighbours in its dossier's chronology, when it has some.
fn with_neighbours(page: Option<Built>, around: Option<views::Neighbours>) -> Option<Built> {
    page.map(|mut page| {
        if let Some(around) = around.and_then(|a| serde_json::to_value(a).ok()) {
            page.context.insert("chronology".into(), around);
        }
        page
    })
}

/// `extra` (an object) with the keys of the page's own `context` added.
fn with_context(
    extra: &serde_json::Value,
    context: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Value {
    let mut extra = extra.clone();
    if let Some(map) = extra.as_object_mut() {
        map.extend(context.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    extra
}

/// A record's page: the view function and the field that titles it.
macro_rules! record_page {
    ($route:literal, $record:ident, $what:literal, $template:literal, $view:path, $title:ident) => {
        PageSpec {
            route: $route,
            record: Some(RecordType::$record),
            what: $what,
            template: $template,
            filters: false,
            build: |r| Ok($view(r.store, r.slug)?.and_then(|v| built(v.$title.clone(), v))),
        }
    };
    // With the record's schema.org description, made by `$ld` from the view.
    ($route:literal, $record:ident, $what:literal, $template:literal, $view:path, $title:ident, $ld:path) => {
        PageSpec {
            route: $route,
            record: Some(RecordType::$record),
            what: $what,
            template: $template,
            filters: false,
            build: |r| {
                Ok($view(r.store, r.slug)?.and_then(|v| {
                    let ld = $ld(&v, r.site);
                    built_ld(v.$title.clone(), v, ld)
                }))
            },
        }
    };
}

/// Every page of the site but the search, which the server runs over its index and the
/// export replaces with a static search.
pub const PAGES: &[PageSpec] = &[
    PageSpec {
        route: "/",
        record: None,
        what: "page",
        template: "home.html",
        filters: false,
        build: |r| Ok(built("Dossiers".into(), views::home(r.store)?)),
    },
    PageSpec {
        route: "/dossiers/{slug}",
        record: Some(RecordType::Dossier),
        what: "dossier",
        template: "dossier.html",
        filters: false,
        build: |r| {
            Ok(views::dossier(r.store, r.slug)?
                .map(|mut v| {
                    if let Some(index) = r.search {
                        views::run_saved_queries(&mut v.queries, index);
                    }
                    v
                })
                .and_then(|v| built(v.title.clone(), v)))
        },
    },
    PageSpec {
        route: "/dossiers/{slug}/chronology",
        record: Some(RecordType::Dossier),
        what: "dossier",
        template: "chronology.html",
        filters: true,
        build: |r| {
            Ok(views::chronology(r.store, r.slug, r.filter.clone())?
                .and_then(|v| built(format!("Chronology: {}", v.dossier_title), v)))
        },
    },
    PageSpec {
        route: "/documents/{slug}",
        record: Some(RecordType::Document),
        what: "document",
        template: "document.html",
        filters: false,
        // With its Cite block, which needs the site's address.
        build: |r| {
            let Some(v) = crate::citation::document_page(r.store, r.slug, r.site)? else {
                return Ok(None);
            };
            let ld = crate::jsonld::document(&v, r.site);
            let dossiers: Vec<String> = v.dossiers.iter().map(|d| d.slug.clone()).collect();
            let around = views::neighbours(r.store, RecordType::Document, r.slug, &dossiers)?;
            Ok(with_neighbours(built_ld(v.title.clone(), v, ld), around))
        },
    },
    PageSpec {
        route: TEXT_ROUTE,
        record: Some(RecordType::Document),
        what: "document",
        template: "document-text.html",
        filters: false,
        build: |r| {
            Ok(views::document_text(r.store, r.slug, r.lang.as_deref())?
                .and_then(|v| built(format!("Text: {}", v.title), v)))
        },
    },
    record_page!(
        "/bodies/{slug}",
        Body,
        "body",
        "body.html",
        views::body,
        name,
        crate::jsonld::body
    ),
    PageSpec {
        route: "/dossiers/{slug}/timeline",
        record: Some(RecordType::Dossier),
        what: "dossier",
        template: "timeline.html",
        filters: false,
        build: |r| {
            Ok(crate::timeline::dossier_timeline(r.store, r.slug)?
                .and_then(|v| built(v.title.clone(), v)))
        },
    },
    PageSpec {
        route: "/bodies/{slug}/timeline",
        record: Some(RecordType::Body),
        what: "body",
        template: "timeline.html",
        filters: false,
        build: |r| {
            Ok(crate::timeline::body_timeline(r.store, r.slug)?
                .and_then(|v| built(v.title.clone(), v)))
        },
    },
    record_page!(
        "/people/{slug}",
        Person,
        "person",
        "person.html",
        views::person,
        name,
        crate::jsonld::person
    ),
    PageSpec {
        route: "/events/{slug}",
        record: Some(RecordType::Event),
        what: "event",
        template: "event.html",
        filters: false,
        // With its neighbours in its dossier's chronology.
        build: |r| {
            let Some(v) = views::event(r.store, r.slug)? else {
                return Ok(None);
            };
            let ld = crate::jsonld::event(&v, r.site);
            let dossiers = r
                .store
                .event(r.slug)?
                .map(|e| e.dossiers)
                .unwrap_or_default();
            let around = views::neighbours(r.store, RecordType::Event, r.slug, &dossiers)?;
            Ok(with_neighbours(built_ld(v.title.clone(), v, ld), around))
        },
    },
    record_page!(
        "/topics/{slug}",
        Topic,
        "topic",
        "topic.html",
        views::topic,
        title,
        crate::jsonld::topic
    ),
];
