//! All routes in one place, and the handlers: extract, call one view, respond.

use crate::error::HttpError;
use crate::negotiate::wants_json;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dossier_model::is_valid_slug;
use dossier_publish::site::Site;
use dossier_publish::{views, Renderer};
use dossier_search::{SearchIndex, SearchRequest, Sort};
use dossier_store::Store;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) search: Arc<SearchIndex>,
    pub(crate) renderer: Arc<Renderer>,
    /// Where the site is published: absolute links in citations, feeds, the sitemap and
    /// OAI-PMH. Never taken from a request's `Host` header, which the client chooses:
    /// without a configured one, the address the server listens on.
    pub(crate) site: Arc<Site>,
    /// Whether `site` was configured ([`AppState::with_site`]) rather than made from the
    /// listening address.
    pub(crate) site_configured: bool,
    /// Signs OAI-PMH resumption tokens.
    pub(crate) oai_key: Arc<Vec<u8>>,
    /// Addresses per sitemap file (the protocol's 50,000; lower in tests).
    pub(crate) sitemap_limit: usize,
}

impl AppState {
    /// State over a store, with a fresh random key for OAI-PMH resumption tokens (tokens
    /// then last as long as the process; `with_oai_key` makes them outlive restarts).
    pub fn new(store: Arc<dyn Store>, search: Arc<SearchIndex>) -> Self {
        let mut key = vec![0u8; 32];
        if let Err(e) = getrandom::fill(&mut key) {
            tracing::error!(error = %e, "no random key for OAI-PMH tokens; using a fixed one");
            key = b"dossier: no system randomness available".to_vec();
        }
        AppState {
            store,
            search,
            renderer: Arc::new(Renderer::new()),
            site: Arc::new(Site::from_listen_address(std::net::SocketAddr::from((
                [127, 0, 0, 1],
                8080,
            )))),
            site_configured: false,
            oai_key: Arc::new(key),
            sitemap_limit: dossier_publish::feed::SITEMAP_LIMIT,
        }
    }

    /// Addresses per sitemap file: past this, `/sitemap.xml` is an index of
    /// `/sitemap-{n}.xml` files (tests lower it to see the index without 50,000 pages).
    pub fn with_sitemap_limit(mut self, limit: usize) -> Self {
        self.sitemap_limit = limit.max(1);
        self
    }

    /// The site's public address and names (absolute links in citations, feeds, OAI-PMH).
    pub fn with_site(mut self, site: Site) -> Self {
        self.site = Arc::new(site);
        self.site_configured = true;
        self
    }

    /// The address the server listens on, for absolute links when no site is configured
    /// (the serve functions call it with their listener's address).
    pub fn with_listen_address(mut self, addr: std::net::SocketAddr) -> Self {
        if !self.site_configured {
            self.site = Arc::new(Site::from_listen_address(addr));
        }
        self
    }

    /// Whether the site's address was configured (else absolute links use the address
    /// the server listens on).
    pub fn has_configured_site(&self) -> bool {
        self.site_configured
    }

    /// The key that signs OAI-PMH resumption tokens.
    pub fn with_oai_key(mut self, key: Vec<u8>) -> Self {
        self.oai_key = Arc::new(key);
        self
    }

    /// The site's address and names (configured, or the listening address).
    pub(crate) fn site(&self) -> Site {
        (*self.site).clone()
    }
}

/// The site's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(show_home))
        .route("/dossiers/{slug}", get(show_dossier))
        .route("/dossiers/{slug}/chronology", get(show_chronology))
        .route("/documents/{slug}", get(show_document))
        .route("/bodies/{slug}", get(show_body))
        .route("/people/{slug}", get(show_person))
        .route("/events/{slug}", get(show_event))
        .route("/topics/{slug}", get(show_topic))
        .route("/search", get(show_search))
        .route("/static/style.css", get(stylesheet))
        .merge(crate::publishing::router())
        .merge(crate::api::router())
        .fallback(crate::publishing::fallback)
        .with_state(state)
}

/// A page ready to send: its template, its title, and the view (the JSON body).
pub(crate) struct Page<T> {
    pub(crate) template: &'static str,
    pub(crate) title: String,
    pub(crate) view: T,
}

fn respond<T: Serialize>(state: &AppState, headers: &HeaderMap, page: Page<T>) -> Response {
    let mut response = if wants_json(headers) {
        axum::Json(&page.view).into_response()
    } else {
        match state
            .renderer
            .render(page.template, &page.title, &page.view)
        {
            Ok(html) => axum::response::Html(html).into_response(),
            Err(e) => return error_response(state, headers, HttpError::Internal(e)),
        }
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
}

pub(crate) fn error_response(state: &AppState, headers: &HeaderMap, error: HttpError) -> Response {
    let status = error.status();
    let (title, detail) = error.public_parts();
    let problem = Problem {
        kind: "about:blank",
        title,
        status: status.as_u16(),
        detail,
    };
    let mut response = if wants_json(headers) {
        let mut r = axum::Json(&problem).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        r
    } else {
        match state.renderer.render("error.html", title, &problem) {
            Ok(html) => axum::response::Html(html).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "the error page itself failed to render");
                (status, format!("{title}: {}", problem.detail)).into_response()
            }
        }
    };
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

/// Runs a view on the blocking pool (the store is synchronous SQLite) and responds.
pub(crate) async fn page<T, F>(
    state: AppState,
    headers: HeaderMap,
    what: String,
    build: F,
) -> Response
where
    T: Serialize + Send + 'static,
    F: FnOnce(&dyn Store) -> Result<Option<Page<T>>, dossier_publish::PublishError>
        + Send
        + 'static,
{
    let store = state.store.clone();
    let result = tokio::task::spawn_blocking(move || build(store.as_ref())).await;
    match result {
        Ok(Ok(Some(p))) => respond(&state, &headers, p),
        Ok(Ok(None)) => error_response(&state, &headers, HttpError::NotFound(what)),
        Ok(Err(e)) => error_response(&state, &headers, HttpError::Internal(e)),
        Err(join) => {
            tracing::error!(error = %join, "a page task panicked");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}

pub(crate) fn checked(
    slug: &str,
    state: &AppState,
    headers: &HeaderMap,
    what: &str,
) -> Result<(), Box<Response>> {
    if is_valid_slug(slug) {
        Ok(())
    } else {
        Err(Box::new(error_response(
            state,
            headers,
            HttpError::NotFound(format!("There is no {what} at this address.")),
        )))
    }
}

async fn show_home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(state, headers, String::new(), |s| {
        let view = views::home(s)?;
        Ok(Some(Page {
            template: "home.html",
            title: "Dossiers".into(),
            view,
        }))
    })
    .await
}

macro_rules! record_handler {
    ($name:ident, $view:path, $template:literal, $what:literal, |$v:ident| $title:expr) => {
        async fn $name(
            State(state): State<AppState>,
            Path(slug): Path<String>,
            headers: HeaderMap,
        ) -> Response {
            if let Err(r) = checked(&slug, &state, &headers, $what) {
                return *r;
            }
            let what = format!("There is no {} `{}` in the archive.", $what, slug);
            page(state, headers, what, move |s| {
                Ok($view(s, &slug)?.map(|$v| Page {
                    template: $template,
                    title: $title,
                    view: $v,
                }))
            })
            .await
        }
    };
}

record_handler!(
    show_dossier,
    views::dossier,
    "dossier.html",
    "dossier",
    |v| v.title.clone()
);
/// `/documents/{slug}`: the record handler's shape, plus the Cite block (which needs the
/// site's address).
async fn show_document(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = checked(&slug, &state, &headers, "document") {
        return *r;
    }
    let site = state.site();
    let what = format!("There is no document `{slug}` in the archive.");
    page(state, headers, what, move |s| {
        Ok(
            dossier_publish::citation::document_page(s, &slug, &site)?.map(|v| Page {
                template: "document.html",
                title: v.title.clone(),
                view: v,
            }),
        )
    })
    .await
}
record_handler!(show_body, views::body, "body.html", "body", |v| v
    .name
    .clone());
record_handler!(show_person, views::person, "person.html", "person", |v| v
    .name
    .clone());
record_handler!(show_event, views::event, "event.html", "event", |v| v
    .title
    .clone());
record_handler!(show_topic, views::topic, "topic.html", "topic", |v| v
    .title
    .clone());

/// The chronology's filters, from the query string (`?body=pjc&kind=meeting`).
#[derive(Debug, Deserialize)]
struct ChronologyParams {
    body: Option<String>,
    kind: Option<String>,
}

async fn show_chronology(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Query<ChronologyParams>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = checked(&slug, &state, &headers, "dossier") {
        return *r;
    }
    let clean = |v: Option<String>| v.filter(|s| !s.is_empty());
    let filter = views::ChronologyFilter {
        body: clean(params.body),
        kind: clean(params.kind),
    };
    for value in [&filter.body, &filter.kind].into_iter().flatten() {
        if !is_valid_slug(value) {
            return error_response(
                &state,
                &headers,
                HttpError::BadRequest(format!(
                    "`{value}` is not a body or kind slug (lowercase letters, digits and hyphens)."
                )),
            );
        }
    }
    let what = format!("There is no dossier `{slug}` in the archive.");
    page(state, headers, what, move |s| {
        Ok(views::chronology(s, &slug, filter)?.map(|v| Page {
            template: "chronology.html",
            title: format!("Chronology: {}", v.dossier_title),
            view: v,
        }))
    })
    .await
}

/// The search page's parameters: `?q=…&sort=date&page=2&per_page=20`.
#[derive(Debug, Deserialize)]
struct SearchParams {
    #[serde(default)]
    q: String,
    sort: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

async fn show_search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
    headers: HeaderMap,
) -> Response {
    let number =
        |v: &Option<String>, name: &str, default: usize, max: usize| -> Result<usize, HttpError> {
            match v.as_deref().filter(|s| !s.is_empty()) {
                None => Ok(default),
                Some(s) => match s.parse::<usize>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(n),
                    _ => Err(HttpError::BadRequest(format!(
                        "`{name}` must be a whole number from 1 to {max}, not `{s}`."
                    ))),
                },
            }
        };
    let sort = match params.sort.as_deref().unwrap_or("relevance") {
        "" | "relevance" => Sort::Relevance,
        "date" => Sort::Date,
        "date-desc" => Sort::DateDesc,
        other => {
            return error_response(
                &state,
                &headers,
                HttpError::BadRequest(format!(
                    "`sort` is relevance, date or date-desc, not `{other}`."
                )),
            )
        }
    };
    let (page, per_page) = match (
        number(&params.page, "page", 1, 10_000),
        number(&params.per_page, "per_page", 10, 100),
    ) {
        (Ok(p), Ok(n)) => (p, n),
        (Err(e), _) | (_, Err(e)) => return error_response(&state, &headers, e),
    };
    let query = params.q.trim().to_string();
    if query.is_empty() {
        let view = views::SearchView {
            query,
            sort,
            total: 0,
            page: 1,
            per_page,
            pages: 0,
            hits: vec![],
            facets: vec![],
            suggestion: None,
            error: None,
            bibliography: vec![],
            bibliography_documents: 0,
        };
        return respond(
            &state,
            &headers,
            Page {
                template: "search.html",
                title: "Search".into(),
                view,
            },
        );
    }
    let req = SearchRequest {
        query,
        sort,
        page,
        per_page,
        facets: true,
    };
    let (store, search) = (state.store.clone(), state.search.clone());
    let result =
        tokio::task::spawn_blocking(move || views::search(store.as_ref(), &search, &req)).await;
    match result {
        Ok(Ok(view)) => {
            if let Some(e) = &view.error {
                if wants_json(&headers) {
                    return error_response(&state, &headers, HttpError::BadRequest(e.clone()));
                }
                let mut r = respond(
                    &state,
                    &headers,
                    Page {
                        template: "search.html",
                        title: "Search".into(),
                        view,
                    },
                );
                *r.status_mut() = StatusCode::BAD_REQUEST;
                return r;
            }
            let title = format!("Search: {}", view.query);
            respond(
                &state,
                &headers,
                Page {
                    template: "search.html",
                    title,
                    view,
                },
            )
        }
        Ok(Err(e)) => error_response(&state, &headers, HttpError::Internal(e)),
        Err(join) => {
            tracing::error!(error = %join, "a search task panicked");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        dossier_publish::html::STYLESHEET,
    )
}

pub(crate) async fn not_found(State(state): State<AppState>, headers: HeaderMap) -> Response {
    error_response(
        &state,
        &headers,
        HttpError::NotFound("There is no page at this address.".into()),
    )
}
