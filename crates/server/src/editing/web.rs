//! What the editing pages share: the record types' paths, who may open a page, the
//! editing service, a posted form's fields, and refusals written for a person.

use crate::auth::{private_page, refusal, see_other, Viewing};
use crate::error::HttpError;
use crate::negotiate::Wants;
use crate::routes::AppState;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use dossier_auth::{Right, Viewer};
use dossier_editing::{EditError, Editing, Intent, Who};
use dossier_model::RecordType;
use dossier_store::Store;
use serde::Serialize;

/// The record types edited with a form, and the plural their pages live under.
pub(super) const TYPES: [(RecordType, &str); 5] = [
    (RecordType::Document, "documents"),
    (RecordType::Body, "bodies"),
    (RecordType::Person, "people"),
    (RecordType::Event, "events"),
    (RecordType::Topic, "topics"),
];

/// The plural a type's pages live under (`/documents/…`).
pub(super) fn plural(ty: RecordType) -> &'static str {
    match ty {
        RecordType::Dossier => "dossiers",
        ty => TYPES
            .iter()
            .find(|(t, _)| *t == ty)
            .map_or("documents", |(_, p)| p),
    }
}

/// The address of a record's public page.
pub(super) fn record_path(ty: RecordType, slug: &str) -> String {
    format!("/{}/{slug}", plural(ty))
}

/// The viewer, if they may use `right`; else the answer: anonymous readers go to log in
/// and come back here, a logged-in account without the right gets the 403 page.
pub(super) fn require(
    state: &AppState,
    viewing: &Viewing,
    right: Right,
    uri: &Uri,
) -> Result<Viewer, Box<Response>> {
    require_as(state, viewing, right, uri, Wants { json: false })
}

/// [`require`], with the 403 in the representation the request prefers (the review
/// pages answer JSON too).
pub(crate) fn require_as(
    state: &AppState,
    viewing: &Viewing,
    right: Right,
    uri: &Uri,
    wants: Wants,
) -> Result<Viewer, Box<Response>> {
    match &viewing.0 {
        None => {
            let here = uri.path_and_query().map_or("/", |p| p.as_str());
            let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
            Err(Box::new(see_other(&format!("/login?next={next}"))))
        }
        Some(viewer) if viewer.can(right) => Ok(viewer.clone()),
        Some(viewer) => Err(Box::new(refusal(
            state,
            wants,
            viewing,
            StatusCode::FORBIDDEN,
            &format!(
                "This page is for accounts that may {}; yours is {}.",
                right.describe().to_lowercase(),
                viewer.role.name()
            ),
        ))),
    }
}

/// The editing service over the site's store, or the 404 of a store that keeps no
/// revisions (nothing can be edited through it).
pub(super) fn service(state: &AppState) -> Result<Editing, HttpError> {
    Editing::new(state.store.clone()).ok_or_else(|| {
        HttpError::NotFound("This archive cannot be edited: its store keeps no revisions.".into())
    })
}

/// A posted form's fields, in order.
pub(super) fn pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// The first value of the field `name` (empty when absent).
pub(super) fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

/// What the form's button asked for; without one (a form sent with Enter in a field
/// sends its first button, "Save draft"), a draft.
pub(super) fn intent_of(pairs: &[(String, String)]) -> Result<Intent, HttpError> {
    match field(pairs, "intent") {
        "" | "draft" => Ok(Intent::Draft),
        "review" => Ok(Intent::Review),
        "publish" => Ok(Intent::Publish),
        other => Err(HttpError::BadRequest(format!(
            "`{other}` is not something a save can do: draft, review or publish."
        ))),
    }
}

/// A version or revision number from a form or query (`None` when absent).
pub(super) fn number(pairs: &[(String, String)], name: &str) -> Result<Option<i64>, HttpError> {
    match field(pairs, name).trim() {
        "" => Ok(None),
        s => s.parse::<i64>().map(Some).map_err(|_| {
            HttpError::BadRequest(format!("`{name}` must be a whole number, not `{s}`."))
        }),
    }
}

/// A save's button.
#[derive(Debug, Serialize)]
pub(super) struct Button {
    pub intent: &'static str,
    pub label: &'static str,
}

/// The buttons a person's rights give a form: save a draft, send it to review, publish.
pub(super) fn buttons(who: &Who) -> Vec<Button> {
    let mut out = Vec::new();
    if who.can(Right::Draft) {
        out.push(Button {
            intent: "draft",
            label: "Save draft",
        });
    }
    if who.can(Right::SendToReview) {
        out.push(Button {
            intent: "review",
            label: "Send to review",
        });
    }
    if who.can(Right::Publish) {
        out.push(Button {
            intent: "publish",
            label: "Publish",
        });
    }
    out
}

/// An editing page: HTML with the viewer's menu, never kept by any cache.
pub(super) fn page<T: Serialize>(
    state: &AppState,
    viewing: &Viewing,
    status: StatusCode,
    template: &str,
    title: &str,
    view: &T,
) -> Result<Response, HttpError> {
    private_page(state, viewing, status, template, title, view)
}

/// A refusal of the editing service as the page a person sees. Invalid records and
/// conflicts are answered by the forms themselves; these are what is left.
pub(super) fn refused(state: &AppState, viewing: &Viewing, e: EditError) -> Response {
    let (status, detail) = match e {
        EditError::Forbidden(why) => (StatusCode::FORBIDDEN, why),
        EditError::NotFound(what) => (StatusCode::NOT_FOUND, what),
        e @ (EditError::NotADraft | EditError::Conflict { .. }) => {
            (StatusCode::CONFLICT, e.to_string())
        }
        e @ EditError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        EditError::Store(e) => return HttpError::Internal(Box::new(e)).into_response(),
    };
    refusal(state, Wants { json: false }, viewing, status, &detail)
}

/// Brings the search index up to the store after a publish, so that the new version is
/// found at once; a failure is logged (the next sync catches up).
pub(super) fn sync_search(state: &AppState, store: &dyn Store) {
    if let Err(e) = state.search.sync(store) {
        tracing::warn!(error = %e, "the search index did not follow a published edit");
    }
}

/// Seconds since 1970 as the pages show them.
pub(super) fn when(at: i64) -> String {
    dossier_publish::time::rfc3339(at)
}
