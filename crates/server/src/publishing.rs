//! Routes for machines: citation files and bibliographies, OAI-PMH, Atom feeds, the
//! sitemap and `robots.txt`. Thin handlers: each runs one `dossier-publish` function on
//! the blocking pool and sends its text with the format's media type.

use crate::error::HttpError;
use crate::routes::{checked, error_response, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dossier_model::is_valid_slug;
use dossier_publish::citation::{self, Format};
use dossier_publish::{feed, oai, PublishError};
use dossier_store::Store;
use serde::Deserialize;

/// The machine routes, merged into the site's router.
pub fn router() -> Router<AppState> {
    let mut r = Router::new()
        .route("/oai", get(oai_get).post(oai_post))
        .route("/feed.atom", get(archive_feed))
        .route("/dossiers/{slug}/feed.atom", get(dossier_feed))
        .route("/sitemap.xml", get(sitemap))
        .route("/robots.txt", get(robots))
        .route("/citations/{file}", get(document_citation));
    for f in Format::ALL {
        let ext = f.extension();
        r = r
            .route(
                &format!("/dossiers/{{slug}}/bibliography.{ext}"),
                get(move |s: State<AppState>, p: Path<String>, h: HeaderMap| {
                    dossier_bibliography(s, p, h, f)
                }),
            )
            .route(
                &format!("/bibliography.{ext}"),
                get(
                    move |s: State<AppState>, q: Query<Selection>, h: HeaderMap| {
                        selection_bibliography(s, q, h, f)
                    },
                ),
            );
    }
    r
}

/// Runs `build` on the blocking pool; `Ok(None)` is a 404 saying `what`.
async fn text<F>(
    state: AppState,
    headers: HeaderMap,
    what: String,
    media_type: &'static str,
    build: F,
) -> Response
where
    F: FnOnce(&dyn Store) -> Result<Option<String>, PublishError> + Send + 'static,
{
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || build(store.as_ref())).await {
        Ok(Ok(Some(body))) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
                (
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                ),
            ],
            body,
        )
            .into_response(),
        Ok(Ok(None)) => error_response(&state, &headers, HttpError::NotFound(what)),
        Ok(Err(e)) => error_response(&state, &headers, HttpError::Internal(e)),
        Err(join) => {
            tracing::error!(error = %join, "a publishing task panicked");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}

/// Citation files are downloads: name the file after the document.
fn attachment(mut r: Response, name: String) -> Response {
    if r.status().is_success() {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    r
}

/// `/citations/{slug}.{bib,ris,csl.json}`.
async fn document_citation(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((slug, format)) = citation::parse_citation_file(&file) else {
        return error_response(
            &state,
            &headers,
            HttpError::NotFound(
                "There is no citation file at this address; they are named \
                 {document}.bib, .ris or .csl.json."
                    .into(),
            ),
        );
    };
    let slug = slug.to_string();
    let site = state.site();
    let name = format!("{slug}.{}", format.extension());
    let what = format!("There is no document `{slug}` in the archive.");
    let r = text(state, headers, what, format.media_type(), move |s| {
        citation::document_citation(s, &slug, format, &site)
    })
    .await;
    attachment(r, name)
}

async fn dossier_bibliography(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    format: Format,
) -> Response {
    if let Err(r) = checked(&slug, &state, &headers, "dossier") {
        return *r;
    }
    let site = state.site();
    let name = format!("{slug}-bibliography.{}", format.extension());
    let what = format!("There is no dossier `{slug}` in the archive.");
    let r = text(state, headers, what, format.media_type(), move |s| {
        citation::dossier_bibliography(s, &slug, format, &site)
    })
    .await;
    attachment(r, name)
}

/// `?documents=a,b,c`: any selection of documents; or `?q=…` (with `sort=`): the
/// documents among the hits of that search, as the search page lists them (the first
/// [`citation::SEARCH_BIBLIOGRAPHY_LIMIT`]).
#[derive(Debug, Deserialize)]
struct Selection {
    documents: Option<String>,
    q: Option<String>,
    sort: Option<String>,
}

/// The most documents one selection may name.
const SELECTION_LIMIT: usize = 1000;

async fn selection_bibliography(
    State(state): State<AppState>,
    Query(q): Query<Selection>,
    headers: HeaderMap,
    format: Format,
) -> Response {
    if q.q.is_some() || q.sort.is_some() {
        return search_bibliography(state, q, headers, format).await;
    }
    let slugs: Vec<String> = q
        .documents
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let bad = |msg: String| error_response(&state, &headers, HttpError::BadRequest(msg));
    if slugs.is_empty() {
        return bad(
            "Name the documents to cite: ?documents=slug-one,slug-two (document slugs, \
             separated by commas)."
                .into(),
        );
    }
    if slugs.len() > SELECTION_LIMIT {
        return bad(format!(
            "A selection names at most {SELECTION_LIMIT} documents; this one names {}.",
            slugs.len()
        ));
    }
    if let Some(s) = slugs.iter().find(|s| !is_valid_slug(s)) {
        return bad(format!(
            "`{}` is not a document slug (lowercase letters, digits and hyphens).",
            s.chars().take(80).collect::<String>()
        ));
    }
    let site = state.site();
    let store = state.store.clone();
    let result = tokio::task::spawn_blocking(move || {
        citation::selection_bibliography(store.as_ref(), &slugs, format, &site)
    })
    .await;
    let r = match result {
        Ok(Ok(Ok(body))) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.media_type()),
            )],
            body,
        )
            .into_response(),
        Ok(Ok(Err(missing))) => error_response(
            &state,
            &headers,
            HttpError::NotFound(format!(
                "The archive has no document {}.",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        ),
        Ok(Err(e)) => error_response(&state, &headers, HttpError::Internal(e)),
        Err(join) => {
            tracing::error!(error = %join, "a bibliography task panicked");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    };
    attachment(r, format!("bibliography.{}", format.extension()))
}

/// `/bibliography.{ext}?q=…&sort=…`: the bibliography of a search's result list.
async fn search_bibliography(
    state: AppState,
    q: Selection,
    headers: HeaderMap,
    format: Format,
) -> Response {
    let bad = |msg: String| error_response(&state, &headers, HttpError::BadRequest(msg));
    if q.documents.is_some() {
        return bad("Give either `documents` or `q`, not both.".into());
    }
    let query = q.q.as_deref().unwrap_or_default().trim().to_string();
    if query.is_empty() {
        return bad("`q` is empty: give the search whose results to cite.".into());
    }
    let sort = match dossier_publish::api::parse_sort(q.sort.as_deref()) {
        Ok(s) => s,
        Err(m) => return bad(m),
    };
    let site = state.site();
    let (store, index) = (state.store.clone(), state.search.clone());
    let result = tokio::task::spawn_blocking(move || {
        citation::search_bibliography(store.as_ref(), &index, &query, sort, format, &site)
    })
    .await;
    let r = match result {
        Ok(Ok(Ok(body))) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.media_type()),
            )],
            body,
        )
            .into_response(),
        Ok(Ok(Err(message))) => bad(message),
        Ok(Err(e)) => error_response(&state, &headers, HttpError::Internal(e)),
        Err(join) => {
            tracing::error!(error = %join, "a bibliography task panicked");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    };
    attachment(r, format!("search-results.{}", format.extension()))
}

// ---------------------------------------------------------------- OAI-PMH

async fn oai_get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let args = pairs(query.unwrap_or_default().as_bytes());
    oai_answer(state, headers, args).await
}

/// OAI-PMH also allows POST with `application/x-www-form-urlencoded` arguments.
async fn oai_post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return error_response(
            &state,
            &headers,
            HttpError::BadRequest(
                "OAI-PMH requests by POST must be application/x-www-form-urlencoded.".into(),
            ),
        );
    }
    oai_answer(state, headers, pairs(&body)).await
}

fn pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

async fn oai_answer(state: AppState, headers: HeaderMap, args: Vec<(String, String)>) -> Response {
    let site = state.site();
    let key = state.oai_key.clone();
    let store = state.store.clone();
    let result = tokio::task::spawn_blocking(move || {
        let now = dossier_publish::time::now();
        oai::respond(
            &oai::Oai {
                store: store.as_ref(),
                site: &site,
                key: &key,
                now: &now,
            },
            &args,
        )
    })
    .await;
    match result {
        Ok(Ok(xml)) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/xml; charset=utf-8"),
            )],
            xml,
        )
            .into_response(),
        Ok(Err(e)) => error_response(&state, &headers, HttpError::Internal(e)),
        Err(join) => {
            tracing::error!(error = %join, "an OAI-PMH task panicked");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}

// ---------------------------------------------------------------- discovery

const ATOM: &str = "application/atom+xml; charset=utf-8";

async fn archive_feed(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let site = state.site();
    text(state, headers, String::new(), ATOM, move |s| {
        feed::atom(s, &site, None)
    })
    .await
}

async fn dossier_feed(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = checked(&slug, &state, &headers, "dossier") {
        return *r;
    }
    let site = state.site();
    let what = format!("There is no dossier `{slug}` in the archive.");
    text(state, headers, what, ATOM, move |s| {
        feed::atom(s, &site, Some(&slug))
    })
    .await
}

async fn sitemap(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let site = state.site();
    let limit = state.sitemap_limit;
    text(
        state,
        headers,
        String::new(),
        "application/xml; charset=utf-8",
        move |s| feed::sitemap_with_limit(s, &site, limit).map(Some),
    )
    .await
}

/// What no route matched: a part of a sitemap index (`/sitemap-{n}.xml`, which a route
/// cannot match: a path parameter cannot have a suffix), or the 404 page.
pub(crate) async fn fallback(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let part = uri
        .path()
        .strip_prefix('/')
        .and_then(feed::parse_sitemap_part_name);
    match part {
        Some(n) if method == Method::GET || method == Method::HEAD => {
            let site = state.site();
            let limit = state.sitemap_limit;
            let what = "There is no such part of the sitemap; /sitemap.xml names them.".into();
            text(
                state,
                headers,
                what,
                "application/xml; charset=utf-8",
                move |s| feed::sitemap_part(s, &site, n, limit),
            )
            .await
        }
        _ => crate::routes::not_found(State(state), headers).await,
    }
}

async fn robots(State(state): State<AppState>) -> Response {
    let site = state.site();
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        feed::robots(&site, true),
    )
        .into_response()
}
