//! `/api/v1`: the JSON API's routes. The resources and their rules are in
//! `dossier_publish::api`; here is the HTTP: every response is JSON with a strong ETag
//! (a conditional GET with a matching `If-None-Match` gets 304), lists carry a
//! `Link: <…>; rel="next"` header, any origin may read (CORS, with preflight), and errors
//! are RFC 9457 `application/problem+json` ([`api_errors`]).
//!
//! A record's ETag is its version (`"v3"`), which the writes of [`crate::api_write`] take
//! in `If-Match`.
//!
//! `/api/v1/search` runs the search page's query over the search index in `AppState`.

use crate::error::{api_errors, HttpError};
use crate::routes::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dossier_model::RecordType;
use dossier_publish::api::{self, ApiError, Paged, Params};
use dossier_publish::site::Site;
use dossier_store::{Store, StoreError};
use serde::Serialize;
use tower_http::cors::{Any, CorsLayer};

/// The API's routes, with CORS for reading from any origin.
pub fn router() -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([header::IF_NONE_MATCH, header::ACCEPT])
        .expose_headers([header::ETAG, header::LINK])
        .max_age(std::time::Duration::from_secs(86_400));
    Router::new()
        .route("/api/v1", get(get_index))
        .route("/api/v1/openapi.json", get(get_openapi))
        .route("/api/v1/dossiers", get(list_dossiers))
        .route("/api/v1/dossiers/{slug}", get(get_dossier))
        .route("/api/v1/dossiers/{slug}/sections", get(list_sections))
        .route("/api/v1/dossiers/{slug}/sections/{key}", get(get_section))
        .route("/api/v1/documents", get(list_documents))
        .route("/api/v1/documents/{slug}", get(get_document))
        .route("/api/v1/bodies", get(list_bodies))
        .route("/api/v1/bodies/{slug}", get(get_body))
        .route("/api/v1/people", get(list_people))
        .route("/api/v1/people/{slug}", get(get_person))
        .route("/api/v1/events", get(list_events))
        .route("/api/v1/events/{slug}", get(get_event))
        .route("/api/v1/topics", get(list_topics))
        .route("/api/v1/topics/{slug}", get(get_topic))
        .route("/api/v1/search", get(search))
        .merge(crate::api_write::router())
        .route("/api/v1/{*rest}", get(unknown))
        .layer(middleware::map_response(api_errors))
        .layer(cors)
}

/// Whether `If-None-Match` names this ETag (or `*`): the response cache's reading of the
/// header, so the API's own 304s (with the cache off) agree with the cache's.
fn matches(headers: &HeaderMap, tag: &str) -> bool {
    crate::cache::none_match(headers, tag.trim_matches('"'))
}

/// Sends `body` as JSON with its ETag, or 304 when the client has it already.
fn send(headers: &HeaderMap, body: Vec<u8>, link: Option<String>) -> Response {
    let tag = crate::cache::etag(&body);
    send_tagged(headers, body, link, tag)
}

/// Like [`send`], with the ETag given (quoted).
fn send_tagged(headers: &HeaderMap, body: Vec<u8>, link: Option<String>, tag: String) -> Response {
    let mut r = if matches(headers, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = body.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(l) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
            r.headers_mut().insert(header::LINK, l);
        }
        r
    };
    if let Ok(v) = HeaderValue::from_str(&tag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

fn params(query: Option<String>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// Runs `build` on a request worker and sends the value.
async fn answer<T, F>(state: AppState, headers: HeaderMap, build: F) -> Result<Response, HttpError>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&dyn Store, &Site) -> Result<T, ApiError> + Send + 'static,
{
    let site = state.site();
    let body = state
        .blocking(move |store| Ok::<_, HttpError>(serde_json::to_vec(&build(store, &site)?)?))
        .await?;
    Ok(send(&headers, body, None))
}

/// `/api/v1/search?q=…`: the hits of `/search`, paged like the other lists.
async fn search(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let index = state.search.clone();
    let metrics = state.metrics.clone();
    answer_page(
        state,
        headers,
        "/api/v1/search".into(),
        params(q),
        move |s, site, q| metrics.time_search(|| api::search(s, &index, site, q)),
    )
    .await
}

/// Like [`answer`] for a page of a list: adds the `Link` to the next page.
async fn answer_page<P, F>(
    state: AppState,
    headers: HeaderMap,
    path: String,
    query: Vec<(String, String)>,
    build: F,
) -> Result<Response, HttpError>
where
    P: Serialize + Paged + Send + 'static,
    F: FnOnce(&dyn Store, &Site, &Params) -> Result<P, ApiError> + Send + 'static,
{
    let site = state.site();
    let (body, link) = state
        .blocking(move |store| {
            let page = build(store, &site, &query)?;
            let link = page.next_cursor().map(|c| {
                format!(
                    "<{}?{}>; rel=\"next\"",
                    site.url(&path),
                    api::next_link(&query, c)
                )
            });
            Ok::<_, HttpError>((serde_json::to_vec(&page)?, link))
        })
        .await?;
    Ok(send(&headers, body, link))
}

async fn get_index(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let q = params(q);
    answer(state, headers, move |_, site| api::index(site, &q)).await
}

async fn get_openapi(headers: HeaderMap) -> Response {
    send(&headers, api::OPENAPI.as_bytes().to_vec(), None)
}

async fn unknown() -> HttpError {
    HttpError::NotFound("There is no such API endpoint; /api/v1/openapi.json lists them.".into())
}

/// A record's ETag, `"v{version}"`: its version in the store's revisions, which a write's
/// `If-Match` names (see `api_write`). `None` where the store keeps no revisions.
pub(crate) fn version_tag(
    store: &dyn Store,
    ty: RecordType,
    slug: &str,
) -> Result<Option<String>, StoreError> {
    match store.revisions() {
        Some(revisions) => {
            let version = revisions.version(ty, slug)?;
            Ok((version > 0).then(|| format!("\"v{version}\"")))
        }
        None => Ok(None),
    }
}

/// Like [`answer`] for one record, tagged with its version ([`version_tag`]; the body's
/// hash where the store keeps none). The version is read before and after the body, so
/// that a write landing between the two never pairs one version's body with another's tag.
async fn answer_record<T, F>(
    state: AppState,
    headers: HeaderMap,
    ty: RecordType,
    slug: String,
    build: F,
) -> Result<Response, HttpError>
where
    T: Serialize + Send + 'static,
    F: Fn(&dyn Store, &Site, &str) -> Result<T, ApiError> + Send + 'static,
{
    let site = state.site();
    let (body, tag) = state
        .blocking(move |store| {
            let mut tries = 0;
            loop {
                let before = version_tag(store, ty, &slug).map_err(ApiError::from)?;
                let body = serde_json::to_vec(&build(store, &site, &slug)?)?;
                let after = version_tag(store, ty, &slug).map_err(ApiError::from)?;
                tries += 1;
                if before == after || tries == 3 {
                    return Ok::<_, HttpError>((body, after));
                }
            }
        })
        .await?;
    let tag = tag.unwrap_or_else(|| crate::cache::etag(&body));
    Ok(send_tagged(&headers, body, None, tag))
}

macro_rules! list_handler {
    ($name:ident, $path:literal, $f:path) => {
        async fn $name(
            State(state): State<AppState>,
            RawQuery(q): RawQuery,
            headers: HeaderMap,
        ) -> Result<Response, HttpError> {
            answer_page(state, headers, $path.into(), params(q), |s, site, q| {
                $f(s, site, q)
            })
            .await
        }
    };
}

macro_rules! find_handler {
    ($name:ident, $f:path) => {
        async fn $name(
            State(state): State<AppState>,
            Path(slug): Path<String>,
            RawQuery(q): RawQuery,
            headers: HeaderMap,
        ) -> Result<Response, HttpError> {
            let q = params(q);
            answer(state, headers, move |s, site| $f(s, site, &slug, &q)).await
        }
    };
    ($name:ident, $f:path, $ty:expr) => {
        async fn $name(
            State(state): State<AppState>,
            Path(slug): Path<String>,
            RawQuery(q): RawQuery,
            headers: HeaderMap,
        ) -> Result<Response, HttpError> {
            let q = params(q);
            answer_record(state, headers, $ty, slug, move |s, site, slug| {
                $f(s, site, slug, &q)
            })
            .await
        }
    };
}

list_handler!(list_dossiers, "/api/v1/dossiers", api::list_dossiers);
list_handler!(list_documents, "/api/v1/documents", api::list_documents);
list_handler!(list_bodies, "/api/v1/bodies", api::list_bodies);
list_handler!(list_people, "/api/v1/people", api::list_people);
list_handler!(list_events, "/api/v1/events", api::list_events);
list_handler!(list_topics, "/api/v1/topics", api::list_topics);
find_handler!(get_dossier, api::find_dossier);
find_handler!(get_document, api::find_document, RecordType::Document);
find_handler!(get_body, api::find_body, RecordType::Body);
find_handler!(get_person, api::find_person, RecordType::Person);
find_handler!(get_event, api::find_event, RecordType::Event);
find_handler!(get_topic, api::find_topic, RecordType::Topic);

async fn list_sections(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let path = format!("/api/v1/dossiers/{slug}/sections");
    answer_page(state, headers, path, params(q), move |s, site, q| {
        api::list_sections(s, site, &slug, q)
    })
    .await
}

async fn get_section(
    State(state): State<AppState>,
    Path((slug, key)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let q = params(q);
    answer(state, headers, move |s, site| {
        api::find_section(s, site, &slug, &key, &q)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match() {
        let tag = crate::cache::etag(b"{}");
        let mut h = HeaderMap::new();
        assert!(!matches(&h, &tag));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"x\", W/{tag}")).unwrap(),
        );
        assert!(matches(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches(&h, &tag));
    }
}
