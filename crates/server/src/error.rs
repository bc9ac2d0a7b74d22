//! The one error type at the HTTP edge and the one place that writes it out.
//!
//! A handler returns `Result<Response, HttpError>` and fails with `?`. The error becomes a
//! bare response that carries its [`Failure`]; a layer then writes it as the request wants
//! it: the site's layer ([`site_errors`]) as the error page, or an RFC 9457
//! `application/problem+json` when `Accept` prefers JSON; the API's layer ([`api_errors`])
//! always as problem+json. The layers are needed because the error page is rendered with
//! the state's templates and the choice depends on the request, which a handler's `?` does
//! not see. Internal errors are logged in full and shown without detail.

use crate::negotiate::Wants;
use crate::routes::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dossier_publish::api::ApiError;
use dossier_publish::PublishError;
use serde::Serialize;

/// What went wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No page at this address (unknown URL or unknown slug).
    #[error("{0}")]
    NotFound(String),
    /// The request itself is malformed (a bad filter value…).
    #[error("{0}")]
    BadRequest(String),
    /// Every request worker is busy and their queue is full: `503 Service Unavailable`
    /// with `Retry-After`, so that clients come back rather than wait without end.
    #[error("the request workers are busy and their queue is full")]
    Busy,
    /// A failure of ours (the store, a template, a panicked task): logged in full,
    /// reported to the client without detail.
    #[error(transparent)]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl From<PublishError> for HttpError {
    fn from(e: PublishError) -> Self {
        HttpError::Internal(Box::new(e))
    }
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::BadRequest(m) => HttpError::BadRequest(m),
            ApiError::NotFound(m) => HttpError::NotFound(m),
            ApiError::Internal(e) => e.into(),
        }
    }
}

impl From<serde_json::Error> for HttpError {
    fn from(e: serde_json::Error) -> Self {
        HttpError::Internal(Box::new(e))
    }
}

impl HttpError {
    /// `There is no {what} `{slug}` in the archive.`: a well-formed slug that names nothing.
    pub fn no_record(what: &str, slug: &str) -> Self {
        HttpError::NotFound(format!("There is no {what} `{slug}` in the archive."))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            HttpError::Internal(e) if store_unavailable(e.as_ref()) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The title and the detail a client may see.
    pub fn public_parts(&self) -> (&'static str, String) {
        match self {
            HttpError::NotFound(what) => ("Not found", what.clone()),
            HttpError::BadRequest(what) => ("Bad request", what.clone()),
            HttpError::Busy => (
                "Busy",
                "The server is answering as many requests as it can; try again in a moment.".into(),
            ),
            HttpError::Internal(e) if store_unavailable(e.as_ref()) => {
                tracing::warn!(error = %e, "the store is not answering");
                (
                    "Unavailable",
                    "The archive's database is not answering; try again in a moment.".into(),
                )
            }
            HttpError::Internal(e) => {
                tracing::error!(error = %e, "internal error while answering a request");
                (
                    "Internal error",
                    "Something went wrong on our side; it has been logged.".into(),
                )
            }
        }
    }
}

/// Whether `e`, or an error under it, is a store that could not be reached (PostgreSQL
/// restarting or down): answered 503 with `Retry-After`, which a load balancer retries on
/// another server, rather than 500.
fn store_unavailable(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| e.source())
        .any(|e| store_error(e).is_some_and(dossier_store::StoreError::is_unavailable))
}

/// The store's error that `e` is or wraps. The layers above the store wrap it
/// `transparent`ly, which hides it from `source()`: they are looked into by name.
fn store_error<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a dossier_store::StoreError> {
    fn in_search(e: &dossier_search::SearchError) -> Option<&dossier_store::StoreError> {
        match e {
            dossier_search::SearchError::Store(e) => Some(e),
            _ => None,
        }
    }
    if let Some(e) = e.downcast_ref::<dossier_store::StoreError>() {
        return Some(e);
    }
    match e.downcast_ref::<PublishError>() {
        Some(PublishError::Store(e)) => Some(e),
        Some(PublishError::Search(e)) => in_search(e),
        _ => e
            .downcast_ref::<dossier_search::SearchError>()
            .and_then(in_search),
    }
}

/// What a failed handler leaves on its response for the error layers to write out.
#[derive(Debug, Clone)]
struct Failure {
    title: &'static str,
    detail: String,
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (title, detail) = self.public_parts();
        let mut r = status.into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::workers::RETRY_AFTER_SECS),
            );
        }
        r.extensions_mut().insert(Failure { title, detail });
        r
    }
}

/// An RFC 9457 problem report: the problem+json body and the error page's context.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
}

impl<'a> Problem<'a> {
    fn new(status: StatusCode, title: &'a str, detail: String) -> Self {
        Problem {
            kind: "about:blank",
            title,
            status: status.as_u16(),
            detail,
        }
    }

    /// The one problem+json writer.
    fn json(&self, status: StatusCode) -> Response {
        let body = serde_json::to_string(self).unwrap_or_default();
        (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            )],
            body,
        )
            .into_response()
    }
}

/// The site's error layer: a failure becomes the error page, or problem+json when the
/// client prefers JSON; either way the response varies with `Accept`.
pub(crate) async fn site_errors(
    State(state): State<AppState>,
    wants: Wants,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let Some(failure) = response.extensions_mut().remove::<Failure>() else {
        return response;
    };
    let status = response.status();
    let retry_after = response.headers_mut().remove(header::RETRY_AFTER);
    let problem = Problem::new(status, failure.title, failure.detail);
    let mut response = if wants.json {
        problem.json(status)
    } else {
        match state.renderer.render("error.html", failure.title, &problem) {
            Ok(html) => (status, axum::response::Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "the error page itself failed to render");
                (status, format!("{}: {}", failure.title, problem.detail)).into_response()
            }
        }
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    keep_retry_after(&mut response, retry_after);
    response
}

/// The failure's `Retry-After` (a busy server's), onto the answer written for it.
fn keep_retry_after(response: &mut Response, retry_after: Option<HeaderValue>) {
    if let Some(v) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// The API's error layer: a failure is always problem+json, titled with the status's
/// reason phrase.
pub(crate) async fn api_errors(mut response: Response) -> Response {
    let Some(failure) = response.extensions_mut().remove::<Failure>() else {
        return response;
    };
    let status = response.status();
    let retry_after = response.headers_mut().remove(header::RETRY_AFTER);
    let title = status.canonical_reason().unwrap_or("Error");
    let mut response = Problem::new(status, title, failure.detail).json(status);
    keep_retry_after(&mut response, retry_after);
    response
}

#[cfg(test)]
mod unavailable_tests {
    use super::*;
    use dossier_store::StoreError;

    /// A store that cannot be reached (PostgreSQL restarting) is 503 with `Retry-After`,
    /// which a balancer retries on another server; any other failure of ours stays 500.
    #[test]
    fn an_unreachable_store_is_503_and_other_failures_500() {
        let down = HttpError::from(PublishError::Store(StoreError::Unavailable(
            "restarting".into(),
        )));
        assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
        let response = down.into_response();
        assert!(response.headers().contains_key(header::RETRY_AFTER));

        let searching = HttpError::from(PublishError::Search(dossier_search::SearchError::Store(
            StoreError::Unavailable("restarting".into()),
        )));
        assert_eq!(searching.status(), StatusCode::SERVICE_UNAVAILABLE);
        let api = HttpError::from(ApiError::Internal(PublishError::Store(
            StoreError::Unavailable("restarting".into()),
        )));
        assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);

        let refused = HttpError::from(PublishError::Store(StoreError::Invalid("bad".into())));
        assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!refused
            .into_response()
            .headers()
            .contains_key(header::RETRY_AFTER));
    }
}
