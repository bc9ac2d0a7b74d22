//! The drafts and their review: `GET /drafts` (a contributor's own, an editor's all,
//! grouped by status), `GET /drafts/{id}` (the change against the published record, and
//! what the viewer may do with it), `GET /drafts/{id}/preview` (the real page template
//! over the draft) and `POST /drafts/{id}/review|return|publish|discard`.

use super::forms::{changes, conflict, conflict_page, ChangeView, Failed};
use super::preview::{Draft, DraftStore};
use super::web::{
    field, page, pairs, plural, record_path, refused, require, service, sync_search, when,
};
use crate::auth::{see_other, Viewing};
use crate::error::HttpError;
use crate::routes::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use dossier_auth::Right;
use dossier_editing::diff;
use dossier_editing::{EditError, Editing, Who};
use dossier_publish::pages::{self, Form, PageRequest};
use dossier_store::{Revision, RevisionQuery, Status};
use serde::Serialize;
use serde_json::Value;

/// Drafts listed on one page.
const LIST_LIMIT: usize = 500;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/drafts", get(list))
        .route("/drafts/{id}", get(show))
        .route("/drafts/{id}/preview", get(preview))
        .route("/drafts/{id}/{action}", post(act))
}

/// A draft in a list.
#[derive(Debug, Serialize)]
struct DraftLine {
    id: i64,
    url: String,
    what: &'static str,
    slug: String,
    title: String,
    author: String,
    at: String,
    comment: String,
    deletes: bool,
    review_comment: Option<String>,
}

#[derive(Debug, Serialize)]
struct Group {
    status: &'static str,
    heading: &'static str,
    drafts: Vec<DraftLine>,
}

#[derive(Debug, Serialize)]
struct ListView {
    /// Whether the list is every author's (an editor's) or the viewer's own.
    everyone: bool,
    groups: Vec<Group>,
    total: usize,
}

/// The title a draft shows: its record's title or name, else the slug.
fn title_of(rev: &Revision) -> String {
    rev.data
        .as_deref()
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .and_then(|v| {
            ["title", "name"]
                .iter()
                .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_string))
        })
        .unwrap_or_else(|| rev.slug.clone())
}

fn line(rev: Revision) -> DraftLine {
    DraftLine {
        id: rev.id,
        url: format!("/drafts/{}", rev.id),
        what: rev.record.as_str(),
        title: title_of(&rev),
        slug: rev.slug,
        author: rev.author.name,
        at: when(rev.at),
        comment: rev.comment,
        deletes: rev.deleted,
        review_comment: rev.review_comment,
    }
}

/// `GET /drafts`.
async fn list(
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
) -> Result<Response, HttpError> {
    let viewer = match require(&state, &viewing, Right::Draft, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let editing = service(&state)?;
    let who = Who::web(&viewer);
    let everyone = who.can(Right::EditAny);
    let found = state
        .blocking(move |_| {
            Ok::<_, HttpError>(editing.drafts(
                &who,
                &RevisionQuery {
                    limit: LIST_LIMIT,
                    with_data: true,
                    ..Default::default()
                },
            ))
        })
        .await?;
    let revs = match found {
        Ok(revs) => revs,
        Err(e) => return Ok(refused(&state, &viewing, e)),
    };
    let total = revs.len();
    let mut groups = vec![
        Group {
            status: "review",
            heading: "Waiting for review",
            drafts: Vec::new(),
        },
        Group {
            status: "returned",
            heading: "Returned to their authors",
            drafts: Vec::new(),
        },
        Group {
            status: "draft",
            heading: "Drafts",
            drafts: Vec::new(),
        },
    ];
    for rev in revs {
        if let Some(g) = groups.iter_mut().find(|g| g.status == rev.status.as_str()) {
            g.drafts.push(line(rev));
        }
    }
    let view = ListView {
        everyone,
        groups,
        total,
    };
    page(
        &state,
        &viewing,
        StatusCode::OK,
        "drafts.html",
        "Drafts",
        &view,
    )
}

/// What the viewer may do with a draft.
#[derive(Debug, Default, Serialize)]
struct Actions {
    edit: Option<String>,
    review: bool,
    publish: bool,
    ret: bool,
    discard: bool,
    preview: Option<String>,
}

#[derive(Debug, Serialize)]
struct DraftView {
    id: i64,
    what: &'static str,
    slug: String,
    title: String,
    status: &'static str,
    author: String,
    at: String,
    comment: String,
    reviewer: Option<String>,
    reviewed_at: Option<String>,
    review_comment: Option<String>,
    deletes: bool,
    /// The record's public page, when it is published.
    record_url: Option<String>,
    /// The draft was made from this version; the record is at `current` now.
    base: i64,
    current: i64,
    changes: Vec<ChangeView>,
    actions: Actions,
    /// Why the last action was refused.
    error: Option<String>,
}

/// The draft page's view, if `who` may see draft `id`.
fn draft_view(
    editing: &Editing,
    who: &Who,
    id: i64,
    error: Option<String>,
) -> Result<DraftView, EditError> {
    let rev = editing.revision(Some(who), id)?;
    if rev.status == Status::Published {
        return Err(EditError::NotFound(format!(
            "Revision {id} is published, not a draft: see the record's history."
        )));
    }
    let current = editing.current(rev.record, &rev.slug)?;
    let version = match &current {
        Some((_, v)) => *v,
        None => editing
            .store()
            .revisions()
            .map(|r| r.version(rev.record, &rev.slug))
            .transpose()?
            .unwrap_or(0),
    };
    let after: Option<Value> = match &rev.data {
        Some(d) => Some(serde_json::from_str(d).map_err(|e| {
            EditError::Store(dossier_store::StoreError::Invalid(format!(
                "draft {id} cannot be read: {e}"
            )))
        })?),
        None => None,
    };
    let now = current.as_ref().map(|(v, _)| v);
    let list = diff::diff_as(Some(rev.record), now, after.as_ref());
    let open = rev.status.is_open_draft();
    let own = rev.author.user == Some(who.user);
    let may_change = open && (own || who.can(Right::EditAny));
    let types = plural(rev.record);
    let actions = Actions {
        // A dossier's draft opens in the outline editor (`/dossiers/{slug}/edit?draft=ID`).
        edit: may_change.then(|| format!("/{types}/{}/edit?draft={id}", rev.slug)),
        review: open
            && matches!(rev.status, Status::Draft | Status::Returned)
            && who.can(Right::SendToReview),
        publish: open && who.can(Right::Publish),
        ret: open && rev.status != Status::Returned && who.can(Right::Publish),
        discard: open && (own || who.can(Right::Publish)),
        preview: rev.data.as_ref().map(|_| format!("/drafts/{id}/preview")),
    };
    Ok(DraftView {
        id,
        what: rev.record.as_str(),
        title: title_of(&rev),
        status: rev.status.as_str(),
        author: rev.author.name.clone(),
        at: when(rev.at),
        comment: rev.comment.clone(),
        reviewer: rev.reviewer.as_ref().map(|r| r.name.clone()),
        reviewed_at: rev.reviewed_at.map(when),
        review_comment: rev.review_comment.clone(),
        deletes: rev.deleted,
        record_url: current.as_ref().map(|_| record_path(rev.record, &rev.slug)),
        base: rev.base,
        current: version,
        changes: changes(rev.record, list),
        actions,
        error,
        slug: rev.slug,
    })
}

fn id_of(raw: &str) -> Result<i64, HttpError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| HttpError::NotFound(format!("There is no draft `{raw}`.")))
}

/// `GET /drafts/{id}`.
async fn show(
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let viewer = match require(&state, &viewing, Right::Draft, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let id = id_of(&raw)?;
    let editing = service(&state)?;
    let who = Who::web(&viewer);
    let found = state
        .blocking(move |_| Ok::<_, HttpError>(draft_view(&editing, &who, id, None)))
        .await?;
    match found {
        Ok(view) => {
            let title = format!("Draft {id}: {}", view.title);
            page(
                &state,
                &viewing,
                StatusCode::OK,
                "draft.html",
                &title,
                &view,
            )
        }
        Err(e) => Ok(refused(&state, &viewing, e)),
    }
}

/// `GET /drafts/{id}/preview`: the record's page as the draft would make it.
async fn preview(
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    Path(raw): Path<String>,
) -> Result<Response, HttpError> {
    let viewer = match require(&state, &viewing, Right::Draft, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let id = id_of(&raw)?;
    let editing = service(&state)?;
    let who = Who::web(&viewer);
    let mut extra = viewing
        .context()
        .unwrap_or_else(|| Value::Object(Default::default()));
    if let Some(map) = extra.as_object_mut() {
        map.insert(
            "preview".into(),
            serde_json::json!({ "id": id, "url": format!("/drafts/{id}") }),
        );
    }
    let (site, renderer) = (state.site(), state.renderer.clone());
    // A draft dossier's saved searches run over what is published.
    let search = state.search.clone();
    let rendered = state
        .blocking(move |store| {
            let outcome = (|| -> Result<Vec<u8>, Failed> {
                let rev = editing.revision(Some(&who), id)?;
                if rev.status == Status::Published {
                    return Err(EditError::NotFound(format!(
                        "Revision {id} is published: its page is the record's own."
                    ))
                    .into());
                }
                let Some(json) = rev.data.as_deref() else {
                    return Err(EditError::NotFound(format!(
                        "Draft {id} deletes the {} `{}`: there is no page to preview.",
                        rev.record.as_str(),
                        rev.slug
                    ))
                    .into());
                };
                let spec = pages::PAGES
                    .iter()
                    .find(|s| s.record == Some(rev.record))
                    .ok_or_else(|| HttpError::NotFound("No page shows this record.".into()))?;
                let draft = Draft::read(rev.record, json).map_err(HttpError::from)?;
                let preview = DraftStore {
                    inner: store,
                    draft,
                };
                let request = PageRequest {
                    store: &preview,
                    site: &site,
                    slug: &rev.slug,
                    filter: Default::default(),
                    lang: None,
                    search: Some(&search),
                };
                let page = spec
                    .render_with(
                        &request,
                        &renderer,
                        Form::Html { depth: None },
                        Some(&extra),
                    )
                    .map_err(HttpError::from)?
                    .ok_or_else(|| HttpError::NotFound("The draft makes no page.".into()))?;
                Ok(page.body)
            })();
            Ok::<_, HttpError>(outcome)
        })
        .await?;
    match rendered {
        Ok(body) => {
            let mut r = (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                )],
                body,
            )
                .into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r.headers_mut()
                .insert("x-robots-tag", HeaderValue::from_static("noindex"));
            Ok(r)
        }
        Err(Failed::Edit(e)) => Ok(refused(&state, &viewing, e)),
        Err(Failed::Http(e)) => Err(e),
    }
}

/// `POST /drafts/{id}/review|return|publish|discard` (`comment`).
async fn act(
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    Path((raw, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let viewer = match require(&state, &viewing, Right::Draft, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let id = id_of(&raw)?;
    if !matches!(action.as_str(), "review" | "return" | "publish" | "discard") {
        return Err(HttpError::NotFound(format!(
            "A draft can be sent to review, returned, published or discarded, not `{action}`."
        )));
    }
    let form = pairs(&body);
    let comment = field(&form, "comment").trim().to_string();
    let editing = service(&state)?;
    let who = Who::web(&viewer);
    let st = state.clone();
    let outcome = state
        .blocking(move |store| {
            let done = match action.as_str() {
                "review" => editing.send_to_review(&who, id, &comment),
                "return" => editing.return_draft(&who, id, &comment),
                "publish" => editing.publish_draft(&who, id, &comment),
                _ => editing.discard(&who, id, &comment),
            };
            Ok::<_, HttpError>(match done {
                Ok(rev) => {
                    if rev.status == Status::Published {
                        sync_search(&st, store);
                    }
                    Acted::Done(rev)
                }
                Err(EditError::Conflict { base, .. }) => {
                    // Publishing a draft made from an older version: both changes, and
                    // the draft's values in a form made from the current version.
                    let found = editing.revision(Some(&who), id).and_then(|rev| {
                        let yours: Option<Value> = rev
                            .data
                            .as_deref()
                            .and_then(|d| serde_json::from_str(d).ok());
                        conflict(
                            &editing,
                            &who,
                            rev.record,
                            &rev.slug,
                            base,
                            yours.as_ref(),
                            Some(id),
                            &rev.comment,
                        )
                    });
                    match found {
                        Ok(view) => Acted::Conflict(Box::new(view)),
                        Err(e) => Acted::Refused(e),
                    }
                }
                Err(e @ EditError::Invalid(_)) => {
                    // Shown on the draft's page, above its actions.
                    match draft_view(&editing, &who, id, Some(e.to_string())) {
                        Ok(view) => Acted::Again(Box::new(view)),
                        Err(_) => Acted::Refused(e),
                    }
                }
                Err(e) => Acted::Refused(e),
            })
        })
        .await?;
    match outcome {
        Acted::Done(rev) => Ok(match (rev.status, rev.deleted) {
            (Status::Published, false) => see_other(&record_path(rev.record, &rev.slug)),
            (Status::Published, true) => {
                see_other(&format!("{}/history", record_path(rev.record, &rev.slug)))
            }
            (Status::Discarded, _) => see_other("/drafts"),
            _ => see_other(&format!("/drafts/{id}")),
        }),
        Acted::Conflict(view) => conflict_page(&state, &viewing, &view),
        Acted::Again(view) => {
            let title = format!("Draft {id}: {}", view.title);
            page(
                &state,
                &viewing,
                StatusCode::UNPROCESSABLE_ENTITY,
                "draft.html",
                &title,
                &view,
            )
        }
        Acted::Refused(e) => Ok(refused(&state, &viewing, e)),
    }
}

enum Acted {
    Done(Revision),
    Conflict(Box<super::forms::ConflictView>),
    Again(Box<DraftView>),
    Refused(EditError),
}
