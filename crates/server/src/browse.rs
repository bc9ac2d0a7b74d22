//! The browse pages (issue 27): `/documents`, `/bodies`, `/people`, `/events`, `/topics`
//! and `/collections/{slug}` from the search index, `/dossiers` and `/collections` from the
//! store; HTML, or JSON (`total`, `items`, `facets`) when `Accept` prefers it. The
//! response cache keeps them as it keeps searches ([`reads_index`]).

use crate::auth::Viewing;
use crate::error::HttpError;
use crate::negotiate::Wants;
use crate::routes::{checked, AppState};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use dossier_publish::views::{self, Browse, BrowseParams, BrowseQuery};
use dossier_publish::PublishError;
use dossier_search::SearchError;

/// The browse routes.
pub(crate) fn router() -> Router<AppState> {
    let mut r = Router::new()
        .route("/dossiers", get(dossiers))
        .route("/collections", get(collections))
        .route("/collections/{slug}", get(collection));
    for what in Browse::ALL {
        r = r.route(
            what.path(),
            get(
                move |state: State<AppState>,
                      wants: Wants,
                      viewing: Viewing,
                      query: Query<BrowseQuery>| {
                    records(what, state, wants, viewing, query)
                },
            ),
        );
    }
    r
}

/// Whether the answer at `path` reads the search index (its searcher generation then
/// joins the response cache's key, as a search's does).
pub(crate) fn reads_index(path: &str) -> bool {
    Browse::ALL.iter().any(|b| b.path() == path)
        || path
            .strip_prefix("/collections/")
            .is_some_and(|rest| !rest.contains('/'))
}

/// A malformed `q` is the reader's mistake (400 with the parser's message); any other
/// failure is the server's.
fn bad_query(e: PublishError) -> HttpError {
    match e {
        PublishError::Search(SearchError::Query(q)) => HttpError::BadRequest(q.to_string()),
        other => other.into(),
    }
}

fn params(raw: &BrowseQuery) -> Result<BrowseParams, HttpError> {
    BrowseParams::check(raw).map_err(|e| HttpError::BadRequest(e.0))
}

async fn records(
    what: Browse,
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    Query(raw): Query<BrowseQuery>,
) -> Result<Response, HttpError> {
    let params = params(&raw)?;
    let index = state.search.clone();
    let metrics = state.metrics.clone();
    let view = state
        .blocking(move |store| {
            metrics
                .time_search(|| views::browse(store, &index, what, &params))
                .map_err(bad_query)
        })
        .await?;
    let title = page_title(what.title(), &view);
    crate::auth::page(&state, wants, &viewing, "browse.html", &title, &view)
}

/// "Documents", "Documents, page 2".
fn page_title(title: &str, view: &views::BrowseView) -> String {
    if view.page > 1 {
        format!("{title}, page {}", view.page)
    } else {
        title.to_string()
    }
}

async fn collection(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    Path(slug): Path<String>,
    Query(raw): Query<BrowseQuery>,
) -> Result<Response, HttpError> {
    let slug = checked(slug, "collection")?;
    let params = params(&raw)?;
    let index = state.search.clone();
    let metrics = state.metrics.clone();
    let missing = slug.clone();
    let view = state
        .blocking(move |store| {
            metrics
                .time_search(|| views::collection_page(store, &index, &slug, &params))
                .map_err(bad_query)
        })
        .await?
        .ok_or_else(|| HttpError::no_record("collection", &missing))?;
    let title = page_title(&format!("Collection: {}", view.title), &view);
    crate::auth::page(&state, wants, &viewing, "browse.html", &title, &view)
}

async fn dossiers(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
) -> Result<Response, HttpError> {
    let view = state
        .blocking(|store| views::dossier_list(store).map_err(HttpError::from))
        .await?;
    crate::auth::page(&state, wants, &viewing, "dossiers.html", "Dossiers", &view)
}

async fn collections(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
) -> Result<Response, HttpError> {
    let view = state
        .blocking(|store| views::collection_list(store).map_err(HttpError::from))
        .await?;
    crate::auth::page(
        &state,
        wants,
        &viewing,
        "collections.html",
        "Collections",
        &view,
    )
}
