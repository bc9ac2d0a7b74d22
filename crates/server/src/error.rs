//! The one error type at the HTTP edge: maps to a status code, logs what is internal, and
//! shows the reader a clear page (or an RFC 9457 problem+json), never a stack trace.

use axum::http::StatusCode;

/// What went wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No page at this address (unknown URL or unknown slug).
    #[error("{0}")]
    NotFound(String),
    /// The request itself is malformed (a bad filter value…).
    #[error("{0}")]
    BadRequest(String),
    /// A failure of ours: logged in full, reported to the client without detail.
    #[error(transparent)]
    Internal(#[from] dossier_publish::PublishError),
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The title and the detail a client may see.
    pub fn public_parts(&self) -> (&'static str, String) {
        match self {
            HttpError::NotFound(what) => ("Not found", what.clone()),
            HttpError::BadRequest(what) => ("Bad request", what.clone()),
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
