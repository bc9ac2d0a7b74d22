//! Archived copies and Memento (issue 25): `/archive/{id}` replays a copy from its WARC
//! file in a sandbox; `/timemap/link/{url}` lists every copy of a cited address
//! (RFC 7089 TimeMap, `application/link-format`); `/timegate/{url}` sends a client to the
//! copy nearest its `Accept-Datetime`.
//!
//! A copy is someone else's page: it is sent with a CSP that sandboxes it (a unique
//! origin, no scripts, no forms), allows no request but images and styles from this
//! site, and is never framed; the rewriter in `dossier-upkeep` has already taken out its
//! scripts and pointed its images, styles and links at other copies or at nothing.

use crate::error::HttpError;
use crate::routes::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dossier_upkeep::capture::replay::{self, Replayed};
use dossier_upkeep::memento;

/// The policy a replayed copy is sent with.
pub const REPLAY_CSP: &str = "sandbox; default-src 'none'; img-src 'self' data:; \
     style-src 'self' 'unsafe-inline'; font-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/archive/{name}", get(show_copy))
        .route("/timemap/link/{*url}", get(timemap))
        .route("/timegate/{*url}", get(timegate))
}

/// The cited address in a Memento path: the raw path after `prefix` (not percent-decoded,
/// so the address is the one cited) and the query string.
fn original(uri: &Uri, prefix: &str) -> Result<String, HttpError> {
    let rest = uri.path().strip_prefix(prefix).unwrap_or("");
    memento::original_from_path(rest, uri.query()).ok_or_else(|| {
        HttpError::BadRequest(format!(
            "`{}` is not an http or https address; Memento addresses here are {prefix}https://…",
            rest.chars().take(200).collect::<String>()
        ))
    })
}

fn internal(e: impl std::error::Error + Send + Sync + 'static) -> HttpError {
    HttpError::Internal(Box::new(e))
}

/// The headers every replayed answer carries, with the copy's Memento headers.
fn replay_headers(state: &AppState, capture: &dossier_store::Capture) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(REPLAY_CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if let Ok(v) = HeaderValue::from_str(&memento::http_date(capture.captured_at)) {
        h.insert("memento-datetime", v);
    }
    let base = state.site().url("");
    let link = memento::memento_link_header(base.trim_end_matches('/'), &capture.url);
    if let Ok(v) = HeaderValue::from_str(&link) {
        h.insert(header::LINK, v);
    }
    h
}

/// `/archive/{id}` (a page) or `/archive/{id}.{ext}` (an image, a stylesheet, a PDF).
async fn show_copy(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, HttpError> {
    let not_found = || HttpError::NotFound("There is no archived copy at this address.".into());
    let id = replay::id_of_path_part(&name).ok_or_else(not_found)?;
    let replayed = state
        .blocking(move |store| replay::replay(store, id, &replay::replay_path).map_err(internal))
        .await?
        .ok_or_else(not_found)?;
    Ok(match replayed {
        Replayed::Copy {
            capture,
            content_type,
            attachment,
            body,
        } => {
            let mut h = replay_headers(&state, &capture);
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_str(&content_type)
                    .unwrap_or(HeaderValue::from_static("application/octet-stream")),
            );
            if attachment {
                h.insert(
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("attachment"),
                );
            }
            // A copy never changes.
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            );
            (h, body).into_response()
        }
        Replayed::Redirect {
            capture,
            target,
            to,
        } => {
            let mut h = replay_headers(&state, &capture);
            match to.and_then(|to| HeaderValue::from_str(&to).ok()) {
                Some(to) => {
                    h.insert(header::LOCATION, to);
                    (StatusCode::FOUND, h).into_response()
                }
                None => {
                    h.insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/html; charset=utf-8"),
                    );
                    let mut page = String::from(
                        "<!doctype html><meta charset=utf-8><title>Archived redirect</title>\
                         <p>When it was captured, this address redirected to ",
                    );
                    let _ = dossier_model::html::write_escaped(&mut page, &target);
                    page.push_str(", which the archive did not keep.</p>");
                    (StatusCode::NOT_FOUND, h, page).into_response()
                }
            }
        }
    })
}

/// `/timemap/link/{url}`: every copy of the address, in link format.
async fn timemap(State(state): State<AppState>, uri: Uri) -> Result<Response, HttpError> {
    let url = original(&uri, "/timemap/link/")?;
    let lookup = url.clone();
    let copies = state
        .blocking(move |store| match store.captures() {
            Some(c) => c.captures_of(&lookup).map_err(internal),
            None => Ok(Vec::new()),
        })
        .await?;
    if copies.is_empty() {
        return Err(HttpError::NotFound(format!(
            "The archive holds no copy of {url}."
        )));
    }
    let base = state.site().url("");
    let body = memento::timemap(base.trim_end_matches('/'), &url, &copies);
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/link-format; charset=utf-8",
        )],
        body,
    )
        .into_response())
}

/// `/timegate/{url}`: a redirect to the copy nearest `Accept-Datetime` (the newest
/// without one).
async fn timegate(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let url = original(&uri, "/timegate/")?;
    let wanted = match headers.get("accept-datetime") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(memento::parse_http_date)
                .ok_or_else(|| {
                    HttpError::BadRequest(
                        "Accept-Datetime must be an HTTP date, e.g. `Thu, 01 Apr 2010 00:00:00 GMT`."
                            .into(),
                    )
                })?,
        ),
    };
    let lookup = url.clone();
    let copies = state
        .blocking(move |store| match store.captures() {
            Some(c) => c.captures_of(&lookup).map_err(internal),
            None => Ok(Vec::new()),
        })
        .await?;
    let base = state.site().url("");
    let base = base.trim_end_matches('/');
    let Some(copy) = memento::nearest(&copies, wanted) else {
        return Err(HttpError::NotFound(format!(
            "The archive holds no copy of {url}."
        )));
    };
    let mut h = HeaderMap::new();
    h.insert(header::VARY, HeaderValue::from_static("accept-datetime"));
    if let Ok(v) = HeaderValue::from_str(&format!("{base}{}", memento::memento_path(copy.id))) {
        h.insert(header::LOCATION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&memento::timegate_link_header(base, &url)) {
        h.insert(header::LINK, v);
    }
    Ok((StatusCode::FOUND, h).into_response())
}
