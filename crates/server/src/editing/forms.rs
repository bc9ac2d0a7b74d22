//! The editing forms of documents, bodies, people, events and topics:
//! `GET`/`POST /{types}/{slug}/edit` (`?draft=ID` edits a draft), `GET`/`POST /{types}/new`
//! and `POST /{types}/{slug}/delete`. A form is built from the record's JSON and read back
//! into it; the model's rules judge it (`Editing::check`), and a refused form comes back
//! with each error beside its field and everything typed kept. A save made from a version
//! that is no longer current gets the conflict page: both changes, and the typed values
//! in a form made from the current version.

use super::fields::{self, ErrorLine, FieldView};
use super::web::{
    buttons, field, intent_of, number, page, pairs, plural, record_path, refused, require, service,
    sync_search, Button, TYPES,
};
use crate::auth::{see_other, Viewing};
use crate::error::HttpError;
use crate::routes::{checked, AppState};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use dossier_auth::Right;
use dossier_editing::diff::{self, Detail, FieldChange, TextOp};
use dossier_editing::{date_reading, EditError, Editing, FieldError, Who};
use dossier_model::RecordType;
use dossier_store::{Revision, RevisionQuery, Status};
use serde::Serialize;
use serde_json::Value;

/// The routes of the forms, for every type of [`TYPES`].
pub(crate) fn router() -> Router<AppState> {
    let mut router = Router::new();
    for (ty, types) in TYPES {
        router = router
            .route(
                &format!("/{types}/new"),
                get(move |s: State<AppState>, v: Viewing, u: Uri| new_form(ty, s, v, u)).post(
                    move |s: State<AppState>, v: Viewing, u: Uri, b: Bytes| create(ty, s, v, u, b),
                ),
            )
            .route(
                &format!("/{types}/{{slug}}/edit"),
                get(
                    move |s: State<AppState>, v: Viewing, u: Uri, p: Path<String>, q: RawQuery| {
                        edit_form(ty, s, v, u, p, q)
                    },
                )
                .post(
                    move |s: State<AppState>, v: Viewing, u: Uri, p: Path<String>, b: Bytes| {
                        save(ty, s, v, u, p, b)
                    },
                ),
            )
            .route(
                &format!("/{types}/{{slug}}/delete"),
                post(
                    move |s: State<AppState>, v: Viewing, u: Uri, p: Path<String>, b: Bytes| {
                        delete(ty, s, v, u, p, b)
                    },
                ),
            );
    }
    router
}

/// The delete form under an existing record's edit form.
#[derive(Debug, Serialize)]
struct DeleteView {
    action: String,
    buttons: Vec<Button>,
}

/// The edit page's context (also the form on the conflict page).
#[derive(Debug, Serialize)]
pub(super) struct EditView {
    heading: String,
    /// The type's name (`document`).
    what: &'static str,
    /// Where the form is posted.
    action: String,
    /// The record's public page (none for a new record).
    record_url: Option<String>,
    /// The published version the form was made from (0: a new record).
    version: i64,
    /// The draft being edited, if any.
    draft: Option<i64>,
    fields: Vec<FieldView>,
    errors: Vec<ErrorLine>,
    comment: String,
    buttons: Vec<Button>,
    delete: Option<DeleteView>,
    /// The merge page with this record kept, for a body or person and an account that may
    /// merge (issue 28).
    merge_url: Option<String>,
    /// A line above the form (which draft this is, why it is shown again).
    notice: Option<String>,
}

/// A date's reading for the form, when it reads.
fn reading(s: &str) -> Option<String> {
    date_reading(s).ok()
}

/// What a form is made of.
pub(super) struct FormParts<'a> {
    pub ty: RecordType,
    /// The record's slug (`None`: a new record, whose slug is typed).
    pub slug: Option<&'a str>,
    pub record: &'a Value,
    pub errors: &'a [FieldError],
    pub version: i64,
    pub draft: Option<i64>,
    pub comment: &'a str,
    pub notice: Option<String>,
}

/// The form's context for `who`.
pub(super) fn edit_view(who: &Who, parts: FormParts) -> EditView {
    let errors: Vec<(String, String)> = parts
        .errors
        .iter()
        .map(|e| (e.field.clone(), e.message.clone()))
        .collect();
    let (fields, lines) = fields::view(
        parts.ty,
        parts.record,
        &errors,
        parts.slug.is_some(),
        &reading,
    );
    let what = parts.ty.as_str();
    let title = ["title", "name"]
        .iter()
        .find_map(|k| parts.record.get(*k).and_then(Value::as_str))
        .filter(|t| !t.trim().is_empty());
    let (heading, action, record_url) = match parts.slug {
        Some(slug) => (
            match title {
                Some(t) => format!("Edit {what}: {t}"),
                None => format!("Edit {what} {slug}"),
            },
            format!("/{}/{slug}/edit", plural(parts.ty)),
            Some(record_path(parts.ty, slug)),
        ),
        None => (
            format!("New {what}"),
            format!("/{}/new", plural(parts.ty)),
            None,
        ),
    };
    let delete = match (parts.slug, parts.draft) {
        (Some(slug), None) if parts.version > 0 => Some(DeleteView {
            action: format!("/{}/{slug}/delete", plural(parts.ty)),
            buttons: buttons(who),
        }),
        _ => None,
    };
    let merge_url = match (parts.slug, parts.ty) {
        (Some(slug), RecordType::Body | RecordType::Person)
            if parts.version > 0 && who.can(Right::Publish) =>
        {
            Some(super::merge::preview_path(parts.ty, slug, ""))
        }
        _ => None,
    };
    EditView {
        merge_url,
        heading,
        what,
        action,
        record_url,
        version: parts.version,
        draft: parts.draft,
        fields,
        errors: lines,
        comment: parts.comment.to_string(),
        buttons: buttons(who),
        delete,
        notice: parts.notice,
    }
}

/// `GET /{types}/new`: an empty form.
async fn new_form(
    ty: RecordType,
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
) -> Result<Response, HttpError> {
    let viewer = match require(&state, &viewing, Right::Draft, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    service(&state)?;
    let who = Who::web(&viewer);
    let view = edit_view(
        &who,
        FormParts {
            ty,
            slug: None,
            record: &Value::Object(Default::default()),
            errors: &[],
            version: 0,
            draft: None,
            comment: "",
            notice: None,
        },
    );
    let title = view.heading.clone();
    page(&state, &viewing, StatusCode::OK, "edit.html", &title, &view)
}

/// `GET /{types}/{slug}/edit`: the published record's form, or a draft's (`?draft=ID`).
async fn edit_form(
    ty: RecordType,
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    let viewer = match require(&state, &viewing, Right::Draft, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let slug = checked(slug, ty.as_str())?;
    let query = pairs(query.unwrap_or_default().as_bytes());
    let draft = number(&query, "draft")?;
    let editing = service(&state)?;
    let who = Who::web(&viewer);
    let for_who = who.clone();
    let found = state
        .blocking(move |_| {
            Ok::<_, HttpError>(load(&editing, &for_who, ty, &slug, draft).map(|l| (l, slug)))
        })
        .await?;
    let (loaded, slug) = match found {
        Ok(found) => found,
        Err(Failed::Edit(e)) => return Ok(refused(&state, &viewing, e)),
        Err(Failed::Http(e)) => return Err(e),
    };
    let view = edit_view(
        &who,
        FormParts {
            ty,
            slug: Some(&slug),
            record: &loaded.record,
            errors: &[],
            version: loaded.version,
            draft,
            comment: &loaded.comment,
            notice: loaded.notice,
        },
    );
    let title = view.heading.clone();
    page(&state, &viewing, StatusCode::OK, "edit.html", &title, &view)
}

/// What an edit form starts from.
struct Loaded {
    record: Value,
    version: i64,
    comment: String,
    notice: Option<String>,
}

/// A failure on a worker: the service's refusal (answered as a page) or ours.
pub(super) enum Failed {
    Edit(EditError),
    Http(HttpError),
}

impl From<EditError> for Failed {
    fn from(e: EditError) -> Failed {
        Failed::Edit(e)
    }
}

impl From<HttpError> for Failed {
    fn from(e: HttpError) -> Failed {
        Failed::Http(e)
    }
}

fn load(
    editing: &Editing,
    who: &Who,
    ty: RecordType,
    slug: &str,
    draft: Option<i64>,
) -> Result<Loaded, Failed> {
    let current = editing.current(ty, slug)?;
    let Some(id) = draft else {
        let Some((record, version)) = current else {
            return Err(EditError::NotFound(format!(
                "There is no {} `{slug}` to edit; a new one is made at /{}/new.",
                ty.as_str(),
                plural(ty)
            ))
            .into());
        };
        return Ok(Loaded {
            record,
            version,
            comment: String::new(),
            notice: None,
        });
    };
    let rev = editing.revision(Some(who), id)?;
    if rev.record != ty || rev.slug != slug || !rev.status.is_open_draft() {
        return Err(EditError::NotFound(format!(
            "Draft {id} is not an open draft of the {} `{slug}`.",
            ty.as_str()
        ))
        .into());
    }
    let record = match &rev.data {
        Some(json) => serde_json::from_str(json).map_err(HttpError::from)?,
        // A draft that deletes the record: edit the published one instead.
        None => current.map(|(v, _)| v).unwrap_or(Value::Null),
    };
    let mut notice = format!(
        "Editing draft {id} ({}), made by {} from version {}.",
        rev.status.as_str(),
        rev.author.name,
        rev.base
    );
    if let Some(why) = rev.review_comment.as_deref().filter(|c| !c.is_empty()) {
        notice.push_str(&format!(" The reviewer said: “{why}”"));
    }
    Ok(Loaded {
        record,
        version: rev.base,
        comment: rev.comment,
        notice: Some(notice),
    })
}

/// What a save came to.
enum Saved {
    /// Published or kept as a draft.
    Done(Box<Revision>),
    /// The record breaks the model's rules: the form again.
    Invalid(Vec<FieldError>),
    /// Made from a stale version: the conflict page.
    Conflict(Box<ConflictView>),
}

/// `POST /{types}/new`.
async fn create(
    ty: RecordType,
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    body: Bytes,
) -> Result<Response, HttpError> {
    let viewer = match require(&state, &viewing, Right::Draft, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let form = pairs(&body);
    let intent = intent_of(&form)?;
    let comment = field(&form, "comment").trim().to_string();
    let value = fields::read(ty, &form, None);
    let editing = service(&state)?;
    let who = Who::web(&viewer);
    let (for_who, submitted, st) = (who.clone(), value.clone(), state.clone());
    let saved = state
        .blocking(move |store| {
            let slug = submitted
                .get("slug")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if let Err(errors) = judged(&submitted, editing.check(ty, &slug, &submitted)) {
                return Ok::<_, HttpError>(Ok(Saved::Invalid(errors)));
            }
            let saved = match editing.create(&for_who, ty, submitted, intent, &comment) {
                Ok(rev) => Saved::Done(Box::new(rev)),
                Err(EditError::Invalid(errors)) => Saved::Invalid(errors),
                Err(e) => return Ok(Err(e)),
            };
            if matches!(&saved, Saved::Done(r) if r.status == Status::Published) {
                sync_search(&st, store);
            }
            Ok(Ok(saved))
        })
        .await?;
    let comment = field(&form, "comment");
    match saved {
        Err(e) => Ok(refused(&state, &viewing, e)),
        Ok(Saved::Done(rev)) => Ok(done(&rev)),
        Ok(Saved::Invalid(errors)) => {
            let view = edit_view(
                &who,
                FormParts {
                    ty,
                    slug: None,
                    record: &value,
                    errors: &errors,
                    version: 0,
                    draft: None,
                    comment,
                    notice: Some(NOT_SAVED.into()),
                },
            );
            let title = view.heading.clone();
            page(
                &state,
                &viewing,
                StatusCode::UNPROCESSABLE_ENTITY,
                "edit.html",
                &title,
                &view,
            )
        }
        // A new record has no version to be stale against.
        Ok(Saved::Conflict(view)) => conflict_page(&state, &viewing, &view),
    }
}

/// The model's check of a form's record, with the identifier rows' problems named by row
/// ([`fields::identifier_problems`]) in place of the model's `identifiers` lines, which
/// name no row.
fn judged(record: &Value, check: Result<(), Vec<FieldError>>) -> Result<(), Vec<FieldError>> {
    let own: Vec<FieldError> = fields::identifier_problems(record)
        .into_iter()
        .map(|(field, message)| FieldError::new(field, message))
        .collect();
    if own.is_empty() {
        return check;
    }
    let mut errors = own;
    errors.extend(
        check
            .err()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| !e.field.starts_with("identifiers")),
    );
    Err(errors)
}

const NOT_SAVED: &str =
    "Nothing was saved: the form has problems, shown beside their fields. What you typed is kept.";

/// Where a save goes next: a published record's page, or the draft's.
fn done(rev: &Revision) -> Response {
    match (rev.status, rev.deleted) {
        (Status::Published, false) => see_other(&record_path(rev.record, &rev.slug)),
        (Status::Published, true) => {
            see_other(&format!("{}/history", record_path(rev.record, &rev.slug)))
        }
        _ => see_other(&format!("/drafts/{}", rev.id)),
    }
}

/// `POST /{types}/{slug}/edit`: checks the form, then saves it as the button asked.
async fn save(
    ty: RecordType,
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let viewer = match require(&state, &viewing, Right::Draft, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let slug = checked(slug, ty.as_str())?;
    let form = pairs(&body);
    let intent = intent_of(&form)?;
    let base = number(&form, "version")?.ok_or_else(|| {
        HttpError::BadRequest("The form has no `version`: reload the edit page.".into())
    })?;
    let draft = number(&form, "draft")?;
    let comment = field(&form, "comment").trim().to_string();
    let value = fields::read(ty, &form, Some(&slug));
    let editing = service(&state)?;
    let who = Who::web(&viewer);
    let (for_who, submitted, st, at) = (who.clone(), value.clone(), state.clone(), slug.clone());
    let saved = state
        .blocking(move |store| {
            let outcome = (|| -> Result<Saved, EditError> {
                if let Err(errors) = judged(&submitted, editing.check(ty, &at, &submitted)) {
                    return Ok(Saved::Invalid(errors));
                }
                let result = match draft {
                    Some(id) => editing.update_draft(
                        &for_who,
                        id,
                        Some(submitted.clone()),
                        base,
                        intent,
                        &comment,
                    ),
                    None => editing.save(
                        &for_who,
                        ty,
                        &at,
                        Some(submitted.clone()),
                        base,
                        intent,
                        &comment,
                    ),
                };
                match result {
                    Ok(rev) => Ok(Saved::Done(Box::new(rev))),
                    Err(EditError::Invalid(errors)) => Ok(Saved::Invalid(errors)),
                    Err(EditError::Conflict { base, .. }) => {
                        Ok(Saved::Conflict(Box::new(conflict(
                            &editing,
                            &for_who,
                            ty,
                            &at,
                            base,
                            Some(&submitted),
                            draft,
                            &comment,
                        )?)))
                    }
                    Err(e) => Err(e),
                }
            })();
            if matches!(&outcome, Ok(Saved::Done(r)) if r.status == Status::Published) {
                sync_search(&st, store);
            }
            Ok::<_, HttpError>(outcome)
        })
        .await?;
    match saved {
        Err(e) => Ok(refused(&state, &viewing, e)),
        Ok(Saved::Done(rev)) => Ok(done(&rev)),
        Ok(Saved::Invalid(errors)) => {
            let view = edit_view(
                &who,
                FormParts {
                    ty,
                    slug: Some(&slug),
                    record: &value,
                    errors: &errors,
                    version: base,
                    draft,
                    comment: field(&form, "comment"),
                    notice: Some(NOT_SAVED.into()),
                },
            );
            let title = view.heading.clone();
            page(
                &state,
                &viewing,
                StatusCode::UNPROCESSABLE_ENTITY,
                "edit.html",
                &title,
                &view,
            )
        }
        Ok(Saved::Conflict(view)) => conflict_page(&state, &viewing, &view),
    }
}

/// `POST /{types}/{slug}/delete`: the deletion, published or as a draft, as the button
/// asked.
async fn delete(
    ty: RecordType,
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let viewer = match require(&state, &viewing, Right::Draft, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let slug = checked(slug, ty.as_str())?;
    let form = pairs(&body);
    let intent = intent_of(&form)?;
    let base = number(&form, "version")?.ok_or_else(|| {
        HttpError::BadRequest("The form has no `version`: reload the edit page.".into())
    })?;
    let comment = field(&form, "comment").trim().to_string();
    let editing = service(&state)?;
    let who = Who::web(&viewer);
    let (for_who, st, at) = (who.clone(), state.clone(), slug.clone());
    let saved = state
        .blocking(move |store| {
            let outcome = (|| -> Result<Saved, EditError> {
                match editing.save(&for_who, ty, &at, None, base, intent, &comment) {
                    Ok(rev) => Ok(Saved::Done(Box::new(rev))),
                    Err(EditError::Invalid(errors)) => Ok(Saved::Invalid(errors)),
                    Err(EditError::Conflict { base, .. }) => Ok(Saved::Conflict(Box::new(
                        conflict(&editing, &for_who, ty, &at, base, None, None, &comment)?,
                    ))),
                    Err(e) => Err(e),
                }
            })();
            if matches!(&outcome, Ok(Saved::Done(r)) if r.status == Status::Published) {
                sync_search(&st, store);
            }
            // The form again (with the refusal) needs the record as published.
            let current = match &outcome {
                Ok(Saved::Invalid(_)) => editing.current(ty, &at).ok().flatten(),
                _ => None,
            };
            Ok::<_, HttpError>((outcome, current))
        })
        .await?;
    match saved {
        (Err(e), _) => Ok(refused(&state, &viewing, e)),
        (Ok(Saved::Done(rev)), _) => Ok(done(&rev)),
        (Ok(Saved::Invalid(errors)), current) => {
            let Some((record, version)) = current else {
                return Ok(refused(&state, &viewing, EditError::Invalid(errors)));
            };
            let errors: Vec<FieldError> = errors
                .into_iter()
                .map(|e| FieldError {
                    message: format!("The record was not deleted: {}", e.message),
                    ..e
                })
                .collect();
            let view = edit_view(
                &who,
                FormParts {
                    ty,
                    slug: Some(&slug),
                    record: &record,
                    errors: &errors,
                    version,
                    draft: None,
                    comment: field(&form, "comment"),
                    notice: Some("Nothing was deleted.".into()),
                },
            );
            let title = view.heading.clone();
            page(
                &state,
                &viewing,
                StatusCode::UNPROCESSABLE_ENTITY,
                "edit.html",
                &title,
                &view,
            )
        }
        (Ok(Saved::Conflict(view)), _) => conflict_page(&state, &viewing, &view),
    }
}

/// One changed field, as the diff tables show it.
#[derive(Debug, Serialize)]
pub(super) struct ChangeView {
    field: String,
    label: String,
    before: String,
    after: String,
    /// `value`, `list` or `text`.
    kind: &'static str,
    added: Vec<String>,
    removed: Vec<String>,
    pieces: Vec<Piece>,
}

#[derive(Debug, Serialize)]
struct Piece {
    /// `same`, `added` or `removed`.
    op: &'static str,
    text: String,
}

/// A value as one line of a diff: strings as they are, lists item by item, objects as
/// `key: value` pairs.
fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.into(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| shown(Some(i)))
            .collect::<Vec<_>>()
            .join("; "),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", shown(Some(v))))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// The changes of a diff for the templates, labelled as the form labels the fields.
pub(super) fn changes(ty: RecordType, list: Vec<FieldChange>) -> Vec<ChangeView> {
    let labels = fields::fields_of(ty);
    list.into_iter()
        .map(|c| {
            let label = labels
                .iter()
                .find(|f| f.name == c.field)
                .map_or(c.field.clone(), |f| f.label.to_string());
            let mut view = ChangeView {
                before: shown(c.before.as_ref()),
                after: shown(c.after.as_ref()),
                field: c.field,
                label,
                kind: "value",
                added: Vec::new(),
                removed: Vec::new(),
                pieces: Vec::new(),
            };
            match c.detail {
                Detail::Value => {}
                Detail::List { added, removed } => {
                    view.kind = "list";
                    view.added = added.iter().map(|v| shown(Some(v))).collect();
                    view.removed = removed.iter().map(|v| shown(Some(v))).collect();
                }
                Detail::Text(pieces) => {
                    view.kind = "text";
                    view.pieces = pieces
                        .into_iter()
                        .map(|p| Piece {
                            op: match p.op {
                                TextOp::Same => "same",
                                TextOp::Added => "added",
                                TextOp::Removed => "removed",
                            },
                            text: p.text,
                        })
                        .collect();
                }
            }
            view
        })
        .collect()
}

/// The conflict page's context.
#[derive(Debug, Serialize)]
pub(super) struct ConflictView {
    what: &'static str,
    slug: String,
    record_url: String,
    base: i64,
    current: i64,
    /// The record was deleted meanwhile.
    gone: bool,
    /// What others published since `base`.
    theirs: Vec<ChangeView>,
    /// What the refused save changed from `base` (`deletes`: it deleted the record).
    yours: Vec<ChangeView>,
    deletes: bool,
    /// The submitted values in a form made from the current version (a record's; a
    /// dossier's outline has its own editor, `edit_url`).
    form: Option<EditView>,
    /// Where the change can be made again on the current version, when not in `form`.
    edit_url: Option<String>,
}

/// The published JSON of the record at version `version` (`None`: it did not exist then,
/// or that version was a deletion, or it is past the revisions kept).
fn at_version(
    editing: &Editing,
    ty: RecordType,
    slug: &str,
    version: i64,
    current: i64,
) -> Result<Option<Value>, EditError> {
    if version <= 0 {
        return Ok(None);
    }
    let limit = (current - version + 1).clamp(1, 1000) as usize;
    let revs = editing.changes(&RevisionQuery {
        record: Some(ty),
        slug: Some(slug.to_string()),
        limit,
        with_data: true,
        ..Default::default()
    })?;
    Ok(revs
        .into_iter()
        .find(|r| r.version == Some(version))
        .and_then(|r| r.data)
        .and_then(|d| serde_json::from_str(&d).ok()))
}

/// The conflict of a save made from `base` (`yours`: the submitted record; `None`: a
/// deletion): both changes, and the submitted values on the current version.
#[allow(clippy::too_many_arguments)]
pub(super) fn conflict(
    editing: &Editing,
    who: &Who,
    ty: RecordType,
    slug: &str,
    base: i64,
    yours: Option<&Value>,
    draft: Option<i64>,
    comment: &str,
) -> Result<ConflictView, EditError> {
    let (now, current) = match editing.current(ty, slug)? {
        Some((v, version)) => (Some(v), version),
        None => (
            None,
            editing
                .changes(&RevisionQuery {
                    record: Some(ty),
                    slug: Some(slug.to_string()),
                    limit: 1,
                    ..Default::default()
                })?
                .first()
                .and_then(|r| r.version)
                .unwrap_or(0),
        ),
    };
    let before = at_version(editing, ty, slug, base, current)?;
    let theirs = changes(ty, diff::diff_as(Some(ty), before.as_ref(), now.as_ref()));
    let mine = changes(ty, diff::diff_as(Some(ty), before.as_ref(), yours));
    let shown = yours.or(now.as_ref()).cloned().unwrap_or(Value::Null);
    let (form, edit_url) = if ty == RecordType::Dossier {
        let draft = draft.map(|id| format!("?draft={id}")).unwrap_or_default();
        (None, Some(format!("/dossiers/{slug}/edit{draft}")))
    } else {
        let form = edit_view(
            who,
            FormParts {
                ty,
                slug: Some(slug),
                record: &shown,
                errors: &[],
                version: current,
                draft,
                comment,
                notice: Some(format!(
                    "Your values, on version {current}: check them against the other change, then save again."
                )),
            },
        );
        (Some(form), None)
    };
    Ok(ConflictView {
        what: ty.as_str(),
        slug: slug.to_string(),
        record_url: record_path(ty, slug),
        base,
        current,
        gone: now.is_none(),
        theirs,
        yours: mine,
        deletes: yours.is_none(),
        form,
        edit_url,
    })
}

/// The conflict page (409: nothing was saved).
pub(super) fn conflict_page(
    state: &AppState,
    viewing: &Viewing,
    view: &ConflictView,
) -> Result<Response, HttpError> {
    let title = format!("Conflict: {} {}", view.what, view.slug);
    page(
        state,
        viewing,
        StatusCode::CONFLICT,
        "conflict.html",
        &title,
        view,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_shown_as_a_person_reads_them() {
        assert_eq!(shown(Some(&json!("1997-05"))), "1997-05");
        assert_eq!(shown(Some(&json!(["a", "b"]))), "a; b");
        assert_eq!(
            shown(Some(&json!([{"title": "T", "url": "https://x.org/"}]))),
            "title: T, url: https://x.org/"
        );
        assert_eq!(shown(Some(&json!(true))), "yes");
        assert_eq!(shown(None), "");
    }

    #[test]
    fn a_diff_is_labelled_as_the_form_labels_its_fields() {
        let before = json!({"slug": "d", "title": "T", "date": "1997", "issued_by": ["nato"]});
        let after =
            json!({"slug": "d", "title": "T", "date": "1997-05", "issued_by": ["nato", "pjc"]});
        let c = changes(
            RecordType::Document,
            diff::diff_as(Some(RecordType::Document), Some(&before), Some(&after)),
        );
        assert_eq!(c.len(), 2);
        assert_eq!(
            (
                c[0].label.as_str(),
                c[0].before.as_str(),
                c[0].after.as_str()
            ),
            ("Date", "1997", "1997-05")
        );
        assert_eq!(c[1].kind, "list");
        assert_eq!(c[1].added, ["pjc"]);
    }
}
