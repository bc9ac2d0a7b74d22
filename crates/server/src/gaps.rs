//! `/review/gaps`: the worklist for editors (issue 25), every gap of the archive grouped
//! and counted per kind, each linking to the form that fixes it; `?dossier=SLUG` for one
//! dossier. HTML, or the same JSON as `dossier check --json` with
//! `Accept: application/json`; never cached, for accounts that may edit any record.

use crate::auth::{no_store, private_page, Viewing};
use crate::error::HttpError;
use crate::negotiate::Wants;
use crate::routes::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dossier_auth::Right;
use dossier_model::is_valid_slug;
use dossier_store::StoreError;
use dossier_upkeep::worklist::{worklist, Item, Kind, Options, Worklist};
use serde::Serialize;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/review/gaps", get(review_gaps))
}

/// One kind's items, for the page.
#[derive(Serialize)]
struct Group<'a> {
    kind: &'static str,
    label: &'static str,
    count: usize,
    items: Vec<&'a Item>,
}

#[derive(Serialize)]
struct GapsView<'a> {
    dossier: Option<String>,
    total: usize,
    /// Every kind with its count, in the list's order.
    counts: Vec<(&'static str, &'static str, usize)>,
    groups: Vec<Group<'a>>,
}

/// The dossier `?dossier=SLUG` names; a query that names none is the whole archive.
fn dossier_of(query: Option<&str>) -> Result<Option<String>, HttpError> {
    let Some(q) = query else { return Ok(None) };
    let mut dossier = None;
    for (k, v) in form_urlencoded::parse(q.as_bytes()) {
        if k == "dossier" && !v.is_empty() {
            if !is_valid_slug(&v) {
                return Err(HttpError::BadRequest(
                    "`dossier` must be a dossier's slug (lower-case letters, digits and hyphens)"
                        .into(),
                ));
            }
            dossier = Some(v.into_owned());
        }
    }
    Ok(dossier)
}

/// `GET /review/gaps`.
async fn review_gaps(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    if let Err(answer) =
        crate::editing::web::require_as(&state, &viewing, Right::EditAny, &uri, wants)
    {
        return Ok(*answer);
    }
    let dossier = dossier_of(query.as_deref())?;
    let options = Options {
        dossier: dossier.clone(),
        today: dossier_publish::time::today(),
    };
    let list: Worklist = state
        .blocking(move |store| {
            if let Some(slug) = &options.dossier {
                if store
                    .dossier(slug)
                    .map_err(|e| HttpError::Internal(e.into()))?
                    .is_none()
                {
                    return Err(HttpError::NotFound(format!(
                        "There is no dossier {slug:?}."
                    )));
                }
            }
            worklist(store, &options).map_err(|e: StoreError| HttpError::Internal(e.into()))
        })
        .await?;
    if wants.json {
        let body = serde_json::to_vec(&list)?;
        let mut r = body.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
        return Ok(no_store(r));
    }
    let view = GapsView {
        dossier,
        total: list.total(),
        counts: list
            .counts
            .0
            .iter()
            .map(|(k, n)| (k.as_str(), k.label(), *n))
            .collect(),
        groups: Kind::ALL
            .into_iter()
            .filter(|k| list.counts.get(*k) > 0)
            .map(|k| Group {
                kind: k.as_str(),
                label: k.label(),
                count: list.counts.get(k),
                items: list.of(k).collect(),
            })
            .collect(),
    };
    private_page(
        &state,
        &viewing,
        StatusCode::OK,
        "review-gaps.html",
        "Gaps",
        &view,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dossier_filter_takes_slugs_only() {
        assert_eq!(dossier_of(None).unwrap(), None);
        assert_eq!(dossier_of(Some("dossier=")).unwrap(), None);
        assert_eq!(
            dossier_of(Some("x=1&dossier=nato-russia"))
                .unwrap()
                .as_deref(),
            Some("nato-russia")
        );
        assert!(dossier_of(Some("dossier=..%2Fetc")).is_err());
        assert!(dossier_of(Some("dossier=%3Cscript%3E")).is_err());
    }
}
