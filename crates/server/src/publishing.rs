//! Routes for machines: citation files and bibliographies, OAI-PMH, Atom feeds, the
//! sitemap and `robots.txt`. Thin handlers: each runs one `dossier-publish` function on
//! a request worker ([`AppState::blocking`]) and sends its text with the format's media
//! type; failures are the site's ([`crate::error`]).

use crate::error::HttpError;
use crate::routes::{checked, AppState};
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dossier_model::is_valid_slug;
use dossier_publish::citation::{self, Format};
use dossier_publish::{feed, oai};
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
                get(move |s: State<AppState>, p: Path<String>| dossier_bibliography(s, p, f)),
            )
            .route(
                &format!("/collections/{{slug}}/bibliography.{ext}"),
                get(move |s: State<AppState>, p: Path<String>| collection_bibliography(s, p, f)),
            )
            .route(
                &format!("/bibliography.{ext}"),
                get(move |s: State<AppState>, q: Query<Selection>| selection_bibliography(s, q, f)),
            );
    }
    r
}

/// A text file in the format's media type, readable from any origin.
fn text(media_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        body,
    )
        .into_response()
}

/// A citation file or bibliography: a download named after what it cites.
fn attachment(mut r: Response, name: String) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// A bibliography of a selection or a search: the format's media type, as a download.
fn bibliography(format: Format, body: String, name: String) -> Response {
    let r = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.media_type()),
        )],
        body,
    )
        .into_response();
    attachment(r, name)
}

/// `/citations/{slug}.{bib,ris,csl.json}`.
async fn document_citation(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, HttpError> {
    let (slug, format) = citation::parse_citation_file(&file).ok_or_else(|| {
        HttpError::NotFound(
            "There is no citation file at this address; they are named \
             {document}.bib, .ris or .csl.json."
                .into(),
        )
    })?;
    let slug = slug.to_string();
    let site = state.site();
    let name = format!("{slug}.{}", format.extension());
    let body = state
        .blocking({
            let slug = slug.clone();
            move |s| citation::document_citation(s, &slug, format, &site)
        })
        .await?
        .ok_or_else(|| HttpError::no_record("document", &slug))?;
    Ok(attachment(text(format.media_type(), body), name))
}

async fn dossier_bibliography(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    format: Format,
) -> Result<Response, HttpError> {
    let slug = checked(slug, "dossier")?;
    let site = state.site();
    let name = format!("{slug}-bibliography.{}", format.extension());
    let body = state
        .blocking({
            let slug = slug.clone();
            move |s| citation::dossier_bibliography(s, &slug, format, &site)
        })
        .await?
        .ok_or_else(|| HttpError::no_record("dossier", &slug))?;
    Ok(attachment(text(format.media_type(), body), name))
}

async fn collection_bibliography(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    format: Format,
) -> Result<Response, HttpError> {
    let slug = checked(slug, "collection")?;
    let site = state.site();
    let name = format!("{slug}-bibliography.{}", format.extension());
    let body = state
        .blocking({
            let slug = slug.clone();
            move |s| citation::collection_bibliography(s, &slug, format, &site)
        })
        .await?
        .ok_or_else(|| HttpError::no_record("collection", &slug))?;
    Ok(attachment(text(format.media_type(), body), name))
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
    format: Format,
) -> Result<Response, HttpError> {
    if q.q.is_some() || q.sort.is_some() {
        return search_bibliography(state, q, format).await;
    }
    let slugs: Vec<String> = q
        .documents
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if slugs.is_empty() {
        return Err(HttpError::BadRequest(
            "Name the documents to cite: ?documents=slug-one,slug-two (document slugs, \
             separated by commas)."
                .into(),
        ));
    }
    if slugs.len() > SELECTION_LIMIT {
        return Err(HttpError::BadRequest(format!(
            "A selection names at most {SELECTION_LIMIT} documents; this one names {}.",
            slugs.len()
        )));
    }
    if let Some(s) = slugs.iter().find(|s| !is_valid_slug(s)) {
        return Err(HttpError::BadRequest(format!(
            "`{}` is not a document slug (lowercase letters, digits and hyphens).",
            s.chars().take(80).collect::<String>()
        )));
    }
    let site = state.site();
    let body = state
        .blocking(move |s| citation::selection_bibliography(s, &slugs, format, &site))
        .await?
        .map_err(|missing| {
            HttpError::NotFound(format!(
                "The archive has no document {}.",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    Ok(bibliography(
        format,
        body,
        format!("bibliography.{}", format.extension()),
    ))
}

/// `/bibliography.{ext}?q=…&sort=…`: the bibliography of a search's result list.
async fn search_bibliography(
    state: AppState,
    q: Selection,
    format: Format,
) -> Result<Response, HttpError> {
    if q.documents.is_some() {
        return Err(HttpError::BadRequest(
            "Give either `documents` or `q`, not both.".into(),
        ));
    }
    let query = q.q.as_deref().unwrap_or_default().trim().to_string();
    if query.is_empty() {
        return Err(HttpError::BadRequest(
            "`q` is empty: give the search whose results to cite.".into(),
        ));
    }
    let sort = q
        .sort
        .as_deref()
        .unwrap_or_default()
        .parse::<dossier_search::Sort>()
        .map_err(|e| HttpError::BadRequest(e.to_string()))?;
    let site = state.site();
    let index = state.search.clone();
    let metrics = state.metrics.clone();
    let body = state
        .blocking(move |s| {
            metrics.time_search(|| {
                citation::search_bibliography(s, &index, &query, sort, format, &site)
            })
        })
        .await?
        .map_err(HttpError::BadRequest)?;
    Ok(bibliography(
        format,
        body,
        format!("search-results.{}", format.extension()),
    ))
}

// ---------------------------------------------------------------- OAI-PMH

async fn oai_get(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let args = pairs(query.unwrap_or_default().as_bytes());
    oai_answer(state, args).await
}

/// OAI-PMH also allows POST with `application/x-www-form-urlencoded` arguments.
async fn oai_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(HttpError::BadRequest(
            "OAI-PMH requests by POST must be application/x-www-form-urlencoded.".into(),
        ));
    }
    oai_answer(state, pairs(&body)).await
}

fn pairs(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

async fn oai_answer(state: AppState, args: Vec<(String, String)>) -> Result<Response, HttpError> {
    let site = state.site();
    let key = state.oai_key.clone();
    let xml = state
        .blocking(move |store| {
            let now = dossier_publish::time::now();
            oai::respond(
                &oai::Oai {
                    store,
                    site: &site,
                    key: &key,
                    now: &now,
                },
                &args,
            )
        })
        .await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/xml; charset=utf-8"),
        )],
        xml,
    )
        .into_response())
}

// ---------------------------------------------------------------- discovery

const ATOM: &str = "application/atom+xml; charset=utf-8";
const XML: &str = "application/xml; charset=utf-8";

async fn archive_feed(State(state): State<AppState>) -> Result<Response, HttpError> {
    let site = state.site();
    let feed = state
        .blocking(move |s| feed::atom(s, &site, None))
        .await?
        .ok_or_else(|| HttpError::NotFound(String::new()))?;
    Ok(text(ATOM, feed))
}

async fn dossier_feed(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, HttpError> {
    let slug = checked(slug, "dossier")?;
    let site = state.site();
    let feed = state
        .blocking({
            let slug = slug.clone();
            move |s| feed::atom(s, &site, Some(&slug))
        })
        .await?
        .ok_or_else(|| HttpError::no_record("dossier", &slug))?;
    Ok(text(ATOM, feed))
}

async fn sitemap(State(state): State<AppState>) -> Result<Response, HttpError> {
    let site = state.site();
    let limit = state.sitemap_limit;
    let xml = state
        .blocking(move |s| feed::sitemap_with_limit(s, &site, limit))
        .await?;
    Ok(text(XML, xml))
}

/// What no route matched: a part of a sitemap index (`/sitemap-{n}.xml`, which a route
/// cannot match: a path parameter cannot have a suffix), or the 404 page.
pub(crate) async fn fallback(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
) -> Result<Response, HttpError> {
    let part = uri
        .path()
        .strip_prefix('/')
        .and_then(feed::parse_sitemap_part_name);
    match part {
        Some(n) if method == Method::GET || method == Method::HEAD => {
            let site = state.site();
            let limit = state.sitemap_limit;
            let xml = state
                .blocking(move |s| feed::sitemap_part(s, &site, n, limit))
                .await?
                .ok_or_else(|| {
                    HttpError::NotFound(
                        "There is no such part of the sitemap; /sitemap.xml names them.".into(),
                    )
                })?;
            Ok(text(XML, xml))
        }
        _ => Err(HttpError::NotFound(
            "There is no page at this address.".into(),
        )),
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
