//! The site's state and its page routes: the pages of the publish crate's table, the
//! search and the stylesheet; the machine routes and the API are merged in.

use crate::auth::Viewing;
use crate::cache::{ResponseCache, DEFAULT_CACHE_MB};
use crate::error::{site_errors, HttpError};
use crate::metrics::{CacheCounters, Metrics};
use crate::negotiate::Wants;
use crate::workers::{Hook, Refused, Workers, DEFAULT_QUEUE};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dossier_model::is_valid_slug;
use dossier_publish::pages::{self, PageRequest, PageSpec};
use dossier_publish::site::Site;
use dossier_publish::{views, Renderer};
use dossier_search::{SearchIndex, SearchRequest, Sort};
use dossier_store::Store;
use serde::Deserialize;
use std::sync::Arc;

/// What every handler shares: one `Arc`, so that the clone the router makes for each
/// request touches one counter, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The fields of [`AppState`].
#[derive(Clone)]
pub struct Shared {
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
    /// The request workers that run store and render work ([`AppState::blocking`]).
    pub(crate) workers: Arc<Workers>,
    /// A hook run before each job on a worker (tests hold the workers with it).
    worker_hook: Option<Hook>,
    /// What `/metrics` shows.
    pub(crate) metrics: Arc<Metrics>,
    /// Answers kept per store change ([`crate::cache`]).
    pub(crate) cache: Arc<ResponseCache>,
    /// Editors' accounts: sessions, logins, API tokens (`None`: the store keeps none).
    pub(crate) auth: Option<dossier_auth::Auth>,
    /// When the server checks the cited links (`None`: not on a schedule).
    pub(crate) link_schedule: Option<crate::links::LinkSchedule>,
    /// The reverse proxies whose `X-Forwarded-For` names the client ([`crate::forwarded`]).
    pub(crate) trusted_proxies: Arc<crate::forwarded::TrustedProxies>,
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
        AppState(Arc::new(Shared {
            auth: dossier_auth::Auth::new(store.clone()),
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
            workers: Arc::new(Workers::new(dossier_store::READ_CONNECTIONS, DEFAULT_QUEUE)),
            worker_hook: None,
            metrics: Arc::new(Metrics::new()),
            cache: Arc::new(ResponseCache::new(0, Arc::default())),
            link_schedule: None,
            trusted_proxies: Arc::default(),
        }))
        .with_workers(dossier_store::READ_CONNECTIONS, DEFAULT_QUEUE)
        .with_cache_bytes(DEFAULT_CACHE_MB << 20)
    }

    /// The response cache's bound in bytes (by default [`DEFAULT_CACHE_MB`] MiB); 0 turns
    /// the cache off. It reports to [`AppState::cache_counters`].
    pub fn with_cache_bytes(mut self, bytes: usize) -> Self {
        self.shared().cache = Arc::new(ResponseCache::new(bytes, self.metrics.cache.clone()));
        self
    }

    /// The fields, to change while the state is being built (a copy if already shared).
    fn shared(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    /// The response cache (its bound, evictions, and the requests that waited for
    /// another's build); hits, misses and size are in [`AppState::cache_counters`].
    pub fn response_cache(&self) -> Arc<ResponseCache> {
        self.cache.clone()
    }

    /// How many request workers run store and render work (by default as many as the
    /// store's read connections, [`dossier_store::READ_CONNECTIONS`]) and how many jobs
    /// may wait for them (by default [`DEFAULT_QUEUE`]); a request past that is answered
    /// 503 with `Retry-After`. The workers start with the first request.
    pub fn with_workers(mut self, workers: usize, queue: usize) -> Self {
        let metrics = self.metrics.clone();
        self.shared().workers = Arc::new(Workers::build(
            workers,
            queue,
            self.worker_hook.clone(),
            Some(Arc::new(move |waited: std::time::Duration| {
                metrics.observe_queue_wait(waited)
            })),
        ));
        self
    }

    /// For tests: `hook` runs on the worker before each job it runs (not before a job
    /// dropped because its request is gone), so a test can hold the workers busy.
    #[doc(hidden)]
    pub fn with_work_hook(mut self, hook: Arc<dyn Fn() + Send + Sync>) -> Self {
        self.shared().worker_hook = Some(hook);
        let pool = self.workers.stats();
        self.with_workers(pool.workers, pool.capacity)
    }

    /// The request workers and the length of their queue.
    pub fn workers(&self) -> (usize, usize) {
        let pool = self.workers.stats();
        (pool.workers, pool.capacity)
    }

    /// Where the response cache reports its hits, misses and size for `/metrics`.
    pub fn cache_counters(&self) -> Arc<CacheCounters> {
        self.metrics.cache.clone()
    }

    /// Addresses per sitemap file: past this, `/sitemap.xml` is an index of
    /// `/sitemap-{n}.xml` files (tests lower it to see the index without 50,000 pages).
    pub fn with_sitemap_limit(mut self, limit: usize) -> Self {
        self.shared().sitemap_limit = limit.max(1);
        self
    }

    /// The site's public address and names (absolute links in citations, feeds, OAI-PMH).
    pub fn with_site(mut self, site: Site) -> Self {
        self.shared().site = Arc::new(site);
        self.shared().site_configured = true;
        self
    }

    /// The address the server listens on, for absolute links when no site is configured
    /// (the serve functions call it with their listener's address).
    pub fn with_listen_address(mut self, addr: std::net::SocketAddr) -> Self {
        if !self.site_configured {
            self.shared().site = Arc::new(Site::from_listen_address(addr));
        }
        self
    }

    /// Whether the site's address was configured (else absolute links use the address
    /// the server listens on).
    pub fn has_configured_site(&self) -> bool {
        self.site_configured
    }

    /// That the server checks the cited links on this schedule (the job itself is run by
    /// the caller, e.g. `dossier serve`; the editors' page shows its last and next run).
    pub fn with_link_schedule(mut self, schedule: crate::links::LinkSchedule) -> Self {
        self.shared().link_schedule = Some(schedule);
        self
    }

    /// The reverse proxies (nginx in front of the servers) whose `X-Forwarded-For` says
    /// which client a request is from, for login limits and the audit log. None by
    /// default: the header is then never read, since any client can send one.
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> Self {
        self.shared().trusted_proxies = Arc::new(crate::forwarded::TrustedProxies::new(proxies));
        self
    }

    /// The key that signs OAI-PMH resumption tokens.
    pub fn with_oai_key(mut self, key: Vec<u8>) -> Self {
        self.shared().oai_key = Arc::new(key);
        self
    }

    /// The site's address and names (configured, or the listening address).
    pub(crate) fn site(&self) -> Site {
        (*self.site).clone()
    }
}

/// The site's routes: every page of [`pages::PAGES`], the search, the stylesheet, the
/// machine routes and the API; failures are written out by [`site_errors`].
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for spec in pages::PAGES {
        let handler = match spec.record {
            Some(_) => get(
                move |State(state): State<AppState>,
                      wants: Wants,
                      Path(slug): Path<String>,
                      uri: Uri,
                      viewing: Viewing| {
                    show_page(spec, state, wants, Some(slug), uri, viewing)
                },
            ),
            None => get(
                move |State(state): State<AppState>, wants: Wants, uri: Uri, viewing: Viewing| {
                    show_page(spec, state, wants, None, uri, viewing)
                },
            ),
        };
        router = router.route(spec.route, handler);
    }
    router
        .route("/search", get(show_search))
        .route("/static/style.css", get(stylesheet))
        .route("/static/outline.js", get(outline_script))
        .route("/static/edit.js", get(edit_script))
        .route("/metrics", get(crate::metrics::endpoint))
        .route("/healthz", get(crate::health::endpoint))
        .merge(crate::browse::router())
        .merge(crate::publishing::router())
        .merge(crate::pictures::router())
        .merge(crate::api::router())
        .merge(crate::reconcile::router())
        .merge(crate::archive::router())
        .merge(crate::auth::router())
        .merge(crate::links::router())
        .merge(crate::gaps::router())
        .merge(crate::editing::router())
        .fallback(crate::publishing::fallback)
        // Who is asking, and the CSRF checks; inside the error layer, which writes its
        // failures out.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::layer,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), site_errors))
        // A merged-away record's 404s become 301s to the survivor (the error page already
        // written, so the layer sees the final status).
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::redirects::layer,
        ))
        // Outside the error layer (only whole 200 answers are kept), inside the metrics.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::cache::layer,
        ))
        // Outermost, so that it counts every answer as the client gets it.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .with_state(state)
}

impl AppState {
    /// Runs `work` with the store on a request worker (SQLite is synchronous), timed for
    /// `/metrics` under the request's route; a full queue is [`HttpError::Busy`] (503 with
    /// `Retry-After`), a panic in `work` an internal error. If the request goes away
    /// while the job waits, the job is dropped unrun.
    pub(crate) async fn blocking<T, E>(
        &self,
        work: impl FnOnce(&dyn Store) -> Result<T, E> + Send + 'static,
    ) -> Result<T, HttpError>
    where
        T: Send + 'static,
        E: Into<HttpError> + Send + 'static,
    {
        let store = self.store.clone();
        let route = crate::metrics::CURRENT_ROUTE.try_with(Arc::clone).ok();
        let done = self
            .workers
            .run(move || {
                let start = std::time::Instant::now();
                let done = work(store.as_ref());
                if let Some(route) = route {
                    route.store_time(start.elapsed());
                }
                done
            })
            .await;
        match done {
            Ok(done) => done.map_err(Into::into),
            Err(Refused::Busy) => Err(HttpError::Busy),
            Err(Refused::Failed(why)) => Err(HttpError::Internal(why.into())),
        }
    }
}

/// `slug` if it is one; else the 404 for an address that cannot name a `what`.
pub(crate) fn checked(slug: String, what: &str) -> Result<String, HttpError> {
    if is_valid_slug(&slug) {
        Ok(slug)
    } else {
        Err(HttpError::NotFound(format!(
            "There is no {what} at this address."
        )))
    }
}

/// The chronology's filters, from the query string (`?body=pjc&kind=meeting&year=1997`).
#[derive(Debug, Deserialize)]
struct ChronologyParams {
    body: Option<String>,
    kind: Option<String>,
    year: Option<String>,
}

/// The filters of a page that takes them; a value that is not a slug is a 400.
fn filter_of(params: ChronologyParams) -> Result<views::ChronologyFilter, HttpError> {
    let clean = |v: Option<String>| v.filter(|s| !s.is_empty());
    let year = match clean(params.year) {
        None => None,
        Some(y) => match y.parse::<i32>() {
            Ok(n) if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => {
                return Err(HttpError::BadRequest(format!(
                    "`year` must be a year such as 1997, not `{}`.",
                    y.chars().take(60).collect::<String>()
                )))
            }
        },
    };
    let filter = views::ChronologyFilter {
        body: clean(params.body),
        kind: clean(params.kind),
        year,
    };
    if let Some(value) = [&filter.body, &filter.kind]
        .into_iter()
        .flatten()
        .find(|v| !is_valid_slug(v))
    {
        return Err(HttpError::BadRequest(format!(
            "`{value}` is not a body or kind slug (lowercase letters, digits and hyphens)."
        )));
    }
    Ok(filter)
}

/// The language a text page asks for (`?lang=fr`): `None` when absent or empty; a value
/// that is not a language tag is a 400.
fn lang_of(uri: &Uri) -> Result<Option<String>, HttpError> {
    #[derive(Deserialize)]
    struct LangParam {
        lang: Option<String>,
    }
    let Query(LangParam { lang }) = Query::<LangParam>::try_from_uri(uri)
        .map_err(|e| HttpError::BadRequest(format!("The query string: {e}")))?;
    match lang.filter(|l| !l.is_empty()) {
        None => Ok(None),
        Some(l) => dossier_model::check_language_tag(&l)
            .map(|()| Some(l))
            .map_err(|e| HttpError::BadRequest(format!("`lang`: {e}."))),
    }
}

/// A page of the table: checks the slug (and the filters of a page that takes them),
/// builds the view on a request worker and answers HTML or JSON.
async fn show_page(
    spec: &'static PageSpec,
    state: AppState,
    wants: Wants,
    slug: Option<String>,
    uri: Uri,
    viewing: Viewing,
) -> Result<Response, HttpError> {
    if let Some((record, slug)) = crate::eac::requested(spec, slug.as_deref()) {
        return crate::eac::answer(state, record, slug).await;
    }
    // In the order the checks always ran: the query string's form, the slug, the values.
    let params = match spec
        .filters
        .then(|| Query::<ChronologyParams>::try_from_uri(&uri))
    {
        Some(Err(rejection)) => return Ok(rejection.into_response()),
        Some(Ok(Query(params))) => Some(params),
        None => None,
    };
    let slug = match slug {
        Some(slug) => checked(slug, spec.what)?,
        None => String::new(),
    };
    let filter = match params {
        Some(params) => filter_of(params)?,
        None => views::ChronologyFilter::default(),
    };
    let lang = if spec.reads_lang() {
        lang_of(&uri)?
    } else {
        None
    };
    let site = state.site();
    // Rendered on the worker too: a large page's template is work that would otherwise
    // hold one of the runtime's few threads from the connections.
    // Built and rendered as the static export renders it (`PageSpec::render`).
    let renderer = state.renderer.clone();
    // A logged-in viewer's page carries the editor's menu (never kept by the cache).
    let viewer = viewing.context();
    let search = state.search.clone();
    state
        .blocking(move |store| {
            let request = PageRequest {
                store,
                site: &site,
                slug: &slug,
                filter,
                lang,
                search: Some(&search),
            };
            match spec.render_with(&request, &renderer, wants.form(), viewer.as_ref())? {
                Some(page) => Ok(wants.rendered(page)),
                None => Err(HttpError::no_record(spec.what, &slug)),
            }
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

/// `page` or `per_page`: a whole number from 1 to `max`, `default` when absent.
fn number(v: &Option<String>, name: &str, default: usize, max: usize) -> Result<usize, HttpError> {
    match v.as_deref().filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(HttpError::BadRequest(format!(
                "`{name}` must be a whole number from 1 to {max}, not `{s}`."
            ))),
        },
    }
}

/// `/search`: an empty query shows the form; a malformed one is a 400 (the page with the
/// parser's message, or problem+json).
async fn show_search(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    Query(params): Query<SearchParams>,
) -> Result<Response, HttpError> {
    let sort = params
        .sort
        .as_deref()
        .unwrap_or_default()
        .parse::<Sort>()
        .map_err(|e| HttpError::BadRequest(e.to_string()))?;
    let page = number(&params.page, "page", 1, 10_000)?;
    let per_page = number(&params.per_page, "per_page", 10, 100)?;
    let req = SearchRequest {
        query: params.q.trim().to_string(),
        sort,
        page,
        per_page,
        facets: true,
    };
    if req.query.is_empty() {
        let view = views::SearchView::empty(&req);
        return crate::auth::page(&state, wants, &viewing, "search.html", "Search", &view);
    }
    let search = state.search.clone();
    let metrics = state.metrics.clone();
    let view = state
        .blocking(move |store| metrics.time_search(|| views::search(store, &search, &req)))
        .await?;
    match &view.error {
        Some(e) if wants.json => Err(HttpError::BadRequest(e.clone())),
        Some(_) => {
            let mut r = crate::auth::page(&state, wants, &viewing, "search.html", "Search", &view)?;
            *r.status_mut() = StatusCode::BAD_REQUEST;
            Ok(r)
        }
        None => crate::auth::page(
            &state,
            wants,
            &viewing,
            "search.html",
            &format!("Search: {}", view.query),
            &view,
        ),
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

/// The editing forms' script (progressive enhancement; the CSP allows only scripts from
/// this site).
async fn edit_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        dossier_publish::html::EDIT_SCRIPT,
    )
}

/// The outline editor's script (progressive enhancement; the CSP allows only scripts
/// from this site).
async fn outline_script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        dossier_publish::html::OUTLINE_SCRIPT,
    )
}
