//! The pictures of `dossier-publish`'s table ([`timeline::PICTURES`]): timelines and
//! relations graphs as SVG made on the server, sent as `image/svg+xml` with a
//! Content-Security-Policy of their own that allows nothing to load or run.

use crate::error::HttpError;
use crate::routes::{checked, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dossier_publish::timeline::{self, PictureSpec, SVG_MEDIA_TYPE};

/// The pictures' policy: an SVG opened on its own loads nothing, runs nothing, and is
/// framed by no one (its drawing uses presentation attributes, no style sheet).
pub const SVG_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A route for each picture, merged into the site's router.
pub fn router() -> Router<AppState> {
    let mut r = Router::new();
    for spec in timeline::PICTURES {
        r = r.route(
            spec.route,
            get(move |state: State<AppState>, slug: Path<String>| picture(spec, state, slug)),
        );
    }
    r
}

async fn picture(
    spec: &'static PictureSpec,
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, HttpError> {
    let slug = checked(slug, spec.what)?;
    let svg = state
        .blocking({
            let slug = slug.clone();
            move |store| spec.render(store, &slug, &|url: &str| url.to_string())
        })
        .await?
        .ok_or_else(|| HttpError::no_record(spec.what, &slug))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(SVG_MEDIA_TYPE),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(SVG_CONTENT_SECURITY_POLICY),
            ),
        ],
        svg,
    )
        .into_response())
}
