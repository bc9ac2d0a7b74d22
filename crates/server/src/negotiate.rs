//! Content negotiation: HTML unless the `Accept` header prefers JSON. [`Wants`] is the
//! extractor handlers take; [`Wants::page`] answers a page in the form asked for.

use crate::error::HttpError;
use crate::routes::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use dossier_publish::pages::{Form, Rendered, View};

/// What the request's `Accept` header asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wants {
    /// JSON (the view itself) rather than the HTML page.
    pub(crate) json: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Wants {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Wants {
            json: wants_json(&parts.headers),
        })
    }
}

impl Wants {
    /// The form of a page of the table to render.
    pub(crate) fn form(self) -> Form {
        if self.json {
            Form::Json
        } else {
            Form::Html { depth: None }
        }
    }

    /// A rendered page of the table, varying with `Accept`.
    pub(crate) fn rendered(self, page: Rendered) -> Response {
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(page.media_type),
                ),
                (header::VARY, HeaderValue::from_static("Accept")),
            ],
            page.body,
        )
            .into_response()
    }

    /// A page as JSON (the view) or as HTML (the view through `template`), varying with
    /// `Accept`.
    pub(crate) fn page(
        self,
        state: &AppState,
        template: &str,
        title: &str,
        view: &dyn View,
    ) -> Result<Response, HttpError> {
        let mut response = if self.json {
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                view.json()?,
            )
                .into_response()
        } else {
            axum::response::Html(view.html(&state.renderer, template, title, None)?).into_response()
        };
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
        Ok(response)
    }
}

/// Whether the client prefers `application/json` (or a `+json` type) to HTML.
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    let Some(accept) = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut json_q: Option<f32> = None;
    let mut html_q: Option<f32> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if media == "application/json"
            || (media.starts_with("application/") && media.ends_with("+json"))
        {
            json_q = Some(json_q.map_or(q, |x: f32| x.max(q)));
        } else if media == "text/html" || media == "application/xhtml+xml" {
            html_q = Some(html_q.map_or(q, |x: f32| x.max(q)));
        }
    }
    match (json_q, html_q) {
        (Some(j), Some(h)) => j > 0.0 && j >= h,
        (Some(j), None) => j > 0.0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(accept: &str) -> bool {
        let mut h = HeaderMap::new();
        h.insert("accept", HeaderValue::from_str(accept).unwrap());
        wants_json(&h)
    }

    #[test]
    fn negotiation() {
        assert!(with("application/json"));
        assert!(with("application/problem+json"));
        assert!(!with(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        ));
        assert!(!with("*/*"));
        assert!(with("text/html;q=0.5, application/json"));
        assert!(!with("application/json;q=0"));
        assert!(!wants_json(&HeaderMap::new()));
    }
}
