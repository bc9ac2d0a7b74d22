//! History and recent changes: what was published, by whom, when and why.
//!
//! - `GET /{types}/{slug}/history`: a record's published revisions, newest first, 50 a
//!   page (`?before=ID` for older ones);
//! - `GET /{types}/{slug}/revisions/{id}`: one published revision beside the one before
//!   it, field by field, with a form to restore it for those who may revert;
//! - `POST /{types}/{slug}/revisions/{id}/revert`: restores it (a new revision);
//! - `GET /changes` and `GET /changes.atom`: recent published changes across the archive,
//!   filtered by `?dossier=SLUG&type=document&author=ID`.
//!
//! Like MediaWiki's history, these pages are public: anyone may see who changed what. Only
//! published revisions appear (drafts have their own pages, for those who may see them),
//! and an author is shown by the display name kept with the revision, never an email.
//! Lists are paged in the store's query and read without the records' JSON; a revision's
//! page reads two revisions, so a record with a long history costs no more than a short one.

use crate::auth::{refusal, see_other, Viewing};
use crate::error::HttpError;
use crate::negotiate::Wants;
use crate::routes::{checked, AppState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use dossier_auth::Right;
use dossier_editing::diff::{self, Detail, FieldChange, TextOp};
use dossier_editing::{EditError, Editing, Who};
use dossier_model::{Edtf, RecordType};
use dossier_publish::time::rfc3339;
use dossier_publish::views::url_of;
use dossier_publish::xml::XmlWriter;
use dossier_store::revisions::{Revision, RevisionQuery, Revisions, Status};
use dossier_store::Store;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// Revisions on a page of history or of recent changes.
pub const PAGE: usize = 50;

/// The record types with pages, by the plural their addresses use.
const TYPES: [(&str, RecordType); 6] = [
    ("documents", RecordType::Document),
    ("bodies", RecordType::Body),
    ("people", RecordType::Person),
    ("events", RecordType::Event),
    ("topics", RecordType::Topic),
    ("dossiers", RecordType::Dossier),
];

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const ATOM: &str = "application/atom+xml; charset=utf-8";

/// The routes of history and recent changes.
pub(crate) fn router() -> Router<AppState> {
    let mut r = Router::new()
        .route("/changes", get(changes))
        .route("/changes.atom", get(changes_atom));
    for (plural, ty) in TYPES {
        r = r
            .route(
                &format!("/{plural}/{{slug}}/history"),
                get(
                    move |s: State<AppState>, w: Wants, v: Viewing, p: Path<String>, u: Uri| {
                        history(s, w, v, p, u, ty)
                    },
                ),
            )
            .route(
                &format!("/{plural}/{{slug}}/revisions/{{id}}"),
                get(
                    move |s: State<AppState>, w: Wants, v: Viewing, p: Path<(String, String)>| {
                        revision(s, w, v, p, ty)
                    },
                ),
            )
            .route(
                &format!("/{plural}/{{slug}}/revisions/{{id}}/revert"),
                post(
                    move |s: State<AppState>,
                          w: Wants,
                          v: Viewing,
                          p: Path<(String, String)>,
                          b: Bytes| { revert(s, w, v, p, b, ty) },
                ),
            );
    }
    r
}

/// The address of a record's history.
pub fn history_path(ty: RecordType, slug: &str) -> String {
    format!("{}/history", url_of(ty, slug))
}

/// The address of one revision's page.
pub fn revision_path(ty: RecordType, slug: &str, id: i64) -> String {
    format!("{}/revisions/{id}", url_of(ty, slug))
}

/// The plural of a type, as addresses write it.
fn plural(ty: RecordType) -> &'static str {
    TYPES
        .iter()
        .find(|(_, t)| *t == ty)
        .map(|(p, _)| *p)
        .unwrap_or("documents")
}

/// A type named as a filter: singular (`document`) or plural (`documents`).
fn type_named(s: &str) -> Option<RecordType> {
    RecordType::parse(s).or_else(|| TYPES.iter().find(|(p, _)| *p == s).map(|(_, t)| *t))
}

/// A type's name for readers.
fn type_label(ty: RecordType) -> &'static str {
    match ty {
        RecordType::Dossier => "Dossier",
        RecordType::Document => "Document",
        RecordType::Body => "Body",
        RecordType::Person => "Person",
        RecordType::Event => "Event",
        RecordType::Topic => "Topic",
    }
}

/// The store's revisions, or the 404 of a store that keeps none.
fn revisions_of(store: &dyn Store) -> Result<&dyn Revisions, HttpError> {
    store.revisions().ok_or_else(|| {
        HttpError::NotFound("This archive keeps no history: its store has none.".into())
    })
}

// ------------------------------------------------------------------ query strings

/// The `known` parameters of the query string: a repeated one is a 400 (which one would
/// count is a guess), an empty one is as if absent (a form's blank field); others are
/// ignored.
fn params(uri: &Uri, known: &[&str]) -> Result<HashMap<String, String>, HttpError> {
    let mut out = HashMap::new();
    let query = uri.query().unwrap_or_default();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if !known.contains(&k.as_ref()) {
            continue;
        }
        if out.contains_key(k.as_ref()) {
            return Err(HttpError::BadRequest(format!(
                "`{k}` is given more than once; give it once."
            )));
        }
        let v = v.trim();
        if !v.is_empty() {
            out.insert(k.into_owned(), v.to_string());
        }
    }
    Ok(out)
}

/// `?before=ID`: a revision number (a whole number from 1).
fn before_of(p: &HashMap<String, String>) -> Result<Option<i64>, HttpError> {
    positive(p, "before", "a revision number")
}

/// A parameter that must be a whole number from 1, if given.
fn positive(p: &HashMap<String, String>, name: &str, what: &str) -> Result<Option<i64>, HttpError> {
    match p.get(name) {
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(HttpError::BadRequest(format!(
                "`{name}` must be {what} (a whole number from 1), not `{}`.",
                clip(v, 40)
            ))),
        },
    }
}

/// At most `max` characters of `s` (for messages that repeat what was sent).
fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

// ------------------------------------------------------------------ views

/// The record a page is about.
#[derive(Debug, Serialize)]
struct RecordRef {
    #[serde(rename = "type")]
    record: &'static str,
    type_label: &'static str,
    slug: String,
    /// Its title now (its slug when it is deleted).
    title: String,
    /// Whether the record is deleted now (its page is gone; its history stays).
    deleted: bool,
    url: String,
    history_url: String,
}

/// Who made a revision, as readers see it: the name kept with it, never an email.
#[derive(Debug, Serialize)]
struct AuthorView {
    name: String,
    /// `web`, `api`, `import`, `builtin`, `cli` or `revert`.
    origin: &'static str,
    /// The account's number, for `/changes?author=ID` (none for imports and commands).
    user: Option<i64>,
    /// Recent changes by this account.
    changes_url: Option<String>,
}

impl AuthorView {
    fn of(a: &dossier_store::revisions::Author) -> AuthorView {
        AuthorView {
            name: a.name.clone(),
            origin: a.origin.as_str(),
            user: a.user,
            changes_url: a.user.map(|id| format!("/changes?author={id}")),
        }
    }
}

/// One published revision in a list.
#[derive(Debug, Serialize)]
struct Entry {
    id: i64,
    version: Option<i64>,
    /// RFC 3339, UTC.
    time: String,
    /// The time for readers (`2026-12-06 01:56 UTC`).
    when: String,
    author: AuthorView,
    comment: String,
    /// Who published it, when that was someone else (a reviewer).
    reviewer: Option<String>,
    /// A deletion.
    deleted: bool,
    /// The revision's page: what it changed.
    diff_url: String,
}

impl Entry {
    fn of(r: &Revision) -> Entry {
        let time = rfc3339(r.at);
        let when = format!("{} {} UTC", &time[..10], &time[11..16]);
        Entry {
            id: r.id,
            version: r.version,
            time,
            when,
            author: AuthorView::of(&r.author),
            comment: r.comment.clone(),
            reviewer: r
                .reviewer
                .as_ref()
                .filter(|rv| rv.name != r.author.name || rv.user != r.author.user)
                .map(|rv| rv.name.clone()),
            deleted: r.deleted,
            diff_url: revision_path(r.record, &r.slug, r.id),
        }
    }
}

/// `/{types}/{slug}/history`.
#[derive(Debug, Serialize)]
struct HistoryView {
    record: RecordRef,
    /// Newest first.
    revisions: Vec<Entry>,
    /// The `before` this page was asked with.
    before: Option<i64>,
    /// The next page, older revisions.
    older: Option<String>,
    /// The first page, when this is not it.
    newest: Option<String>,
}

/// The record's title now, and whether it is deleted.
fn record_ref(store: &dyn Store, ty: RecordType, slug: &str) -> Result<RecordRef, HttpError> {
    let title = store.title_of(ty, slug).map_err(store_error)?;
    Ok(RecordRef {
        record: ty.as_str(),
        type_label: type_label(ty),
        slug: slug.to_string(),
        deleted: title.is_none(),
        title: title.unwrap_or_else(|| slug.to_string()),
        url: url_of(ty, slug),
        history_url: history_path(ty, slug),
    })
}

fn store_error(e: dossier_store::StoreError) -> HttpError {
    HttpError::Internal(Box::new(e))
}

/// The published revisions `q` asks for, a page of them and whether more follow.
fn published_page(
    revisions: &dyn Revisions,
    mut q: RevisionQuery,
) -> Result<(Vec<Revision>, bool), HttpError> {
    q.statuses = vec![Status::Published];
    q.limit = PAGE + 1;
    q.with_data = false;
    let mut list = revisions.revisions(&q).map_err(store_error)?;
    // Published only, whatever the store did with the filter: a draft never shows here.
    list.retain(|r| r.status == Status::Published);
    let more = list.len() > PAGE;
    list.truncate(PAGE);
    Ok((list, more))
}

async fn history(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    Path(slug): Path<String>,
    uri: Uri,
    ty: RecordType,
) -> Result<Response, HttpError> {
    let slug = checked(slug, ty.as_str())?;
    let before = before_of(&params(&uri, &["before"])?)?;
    let view = state
        .blocking(move |store| {
            let revisions = revisions_of(store)?;
            let (list, more) = published_page(
                revisions,
                RevisionQuery {
                    record: Some(ty),
                    slug: Some(slug.clone()),
                    before,
                    ..Default::default()
                },
            )?;
            let record = record_ref(store, ty, &slug)?;
            if list.is_empty() && before.is_none() && record.deleted {
                return Err(HttpError::no_record(ty.as_str(), &slug));
            }
            let older = match (more, list.last()) {
                (true, Some(last)) => Some(format!("{}?before={}", record.history_url, last.id)),
                _ => None,
            };
            Ok(HistoryView {
                newest: before.map(|_| record.history_url.clone()),
                revisions: list.iter().map(Entry::of).collect(),
                record,
                before,
                older,
            })
        })
        .await?;
    let title = format!("History: {}", view.record.title);
    crate::auth::page(&state, wants, &viewing, "history.html", &title, &view)
}

// ------------------------------------------------------------------ one revision

/// A piece of one side of a change.
#[derive(Debug, Serialize)]
struct Piece {
    /// `same`, `added` or `removed`.
    op: &'static str,
    text: String,
    /// A date's reading beside it (`27 May 1997` for `1997-05-27`).
    human: Option<String>,
}

impl Piece {
    fn new(op: &'static str, text: String) -> Piece {
        Piece {
            op,
            text,
            human: None,
        }
    }
}

/// One side of a change: nothing (the field was absent), or its pieces.
#[derive(Debug, Serialize)]
struct Side {
    absent: bool,
    pieces: Vec<Piece>,
}

/// One field that changed.
#[derive(Debug, Serialize)]
struct ChangeView {
    field: String,
    label: String,
    /// `value`, `list` or `text`: how the sides are shown.
    kind: &'static str,
    before: Side,
    after: Side,
}

/// `/{types}/{slug}/revisions/{id}`.
#[derive(Debug, Serialize)]
struct RevisionView {
    record: RecordRef,
    revision: Entry,
    /// The published revision before it (none for the first).
    previous: Option<Entry>,
    changes: Vec<ChangeView>,
    /// Whether it is the record's current version.
    current: bool,
    /// Whether the viewer may restore it (and the form is shown).
    can_revert: bool,
    revert_url: String,
}

async fn revision(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    Path((slug, id)): Path<(String, String)>,
    ty: RecordType,
) -> Result<Response, HttpError> {
    let slug = checked(slug, ty.as_str())?;
    let missing = format!("There is no such revision of {} `{slug}`.", ty.as_str());
    let Ok(id) = id.parse::<i64>() else {
        return Err(HttpError::NotFound(missing));
    };
    let may_revert = viewing.0.as_ref().is_some_and(|v| v.can(Right::Revert));
    let view = state
        .blocking(move |store| {
            let no_such = || HttpError::NotFound(missing.clone());
            let revisions = revisions_of(store)?;
            let Some(rev) = revisions.revision(id).map_err(store_error)? else {
                return Err(no_such());
            };
            if rev.record != ty || rev.slug != slug || rev.status != Status::Published {
                return Err(no_such());
            }
            let previous = revisions
                .revisions(&RevisionQuery {
                    record: Some(ty),
                    slug: Some(slug.clone()),
                    statuses: vec![Status::Published],
                    before: Some(id),
                    limit: 1,
                    with_data: true,
                    ..Default::default()
                })
                .map_err(store_error)?
                .into_iter()
                .find(|r| r.status == Status::Published);
            let parse = |r: &Revision| -> Result<Option<Value>, HttpError> {
                r.data
                    .as_deref()
                    .map(serde_json::from_str::<Value>)
                    .transpose()
                    .map_err(HttpError::from)
            };
            let after = parse(&rev)?;
            let before = match &previous {
                Some(p) => parse(p)?,
                None => None,
            };
            let changes = diff::diff_as(Some(ty), before.as_ref(), after.as_ref())
                .into_iter()
                .map(change_view)
                .collect();
            let current =
                revisions.version(ty, &slug).map_err(store_error)? == rev.version.unwrap_or(-1);
            Ok(RevisionView {
                record: record_ref(store, ty, &slug)?,
                revision: Entry::of(&rev),
                previous: previous.as_ref().map(Entry::of),
                changes,
                current,
                can_revert: may_revert && !current,
                revert_url: format!("{}/revert", revision_path(ty, &slug, id)),
            })
        })
        .await?;
    let title = match view.revision.version {
        Some(v) => format!("{}: version {v}", view.record.title),
        None => format!("{}: revision {}", view.record.title, view.revision.id),
    };
    crate::auth::page(&state, wants, &viewing, "revision.html", &title, &view)
}

/// `full_text` → `Full text`.
fn label(field: &str) -> String {
    let words = field.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A JSON value as readers read it: text as it is, lists joined by `; `, an object's
/// fields as `name: value`; a date field's EDTF with its reading.
fn display(key: Option<&str>, v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => match key.and_then(|k| date_reading(k, s)) {
            Some(human) => format!("{s} ({human})"),
            None => s.clone(),
        },
        Value::Array(items) => items
            .iter()
            .map(|i| display(key, i))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(fields) => fields
            .iter()
            .filter(|(_, v)| !is_empty(v))
            .map(|(k, v)| format!("{k}: {}", display(Some(k), v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// The model's date fields (EDTF), wherever they sit in a record.
const DATE_FIELDS: [&str; 6] = ["date", "established", "ended", "start", "end", "as_of"];

/// The human reading of an EDTF date in a date field, if it is one.
fn date_reading(key: &str, s: &str) -> Option<String> {
    DATE_FIELDS
        .contains(&key)
        .then(|| Edtf::parse(s).ok())
        .flatten()
        .map(|d| d.human())
        .filter(|h| h != s)
}

/// One field's change as the page shows it.
fn change_view(c: FieldChange) -> ChangeView {
    let field = c.field;
    let side = |v: &Option<Value>, op: &'static str| -> Side {
        match v {
            None | Some(Value::Null) => Side {
                absent: true,
                pieces: vec![],
            },
            Some(Value::String(s)) => Side {
                absent: false,
                pieces: vec![Piece {
                    op,
                    text: s.clone(),
                    human: date_reading(&field, s),
                }],
            },
            Some(v) => Side {
                absent: false,
                pieces: vec![Piece::new(op, display(Some(&field), v))],
            },
        }
    };
    let (kind, before, after) = match c.detail {
        Detail::Value => ("value", side(&c.before, "removed"), side(&c.after, "added")),
        Detail::List { added, removed } => {
            let items = |v: &Option<Value>, marked: &[Value], op: &'static str| -> Side {
                match v {
                    Some(Value::Array(items)) => Side {
                        absent: false,
                        pieces: items
                            .iter()
                            .map(|i| {
                                let op = if marked.contains(i) { op } else { "same" };
                                Piece::new(op, display(Some(&field), i))
                            })
                            .collect(),
                    },
                    None | Some(Value::Null) => Side {
                        absent: true,
                        pieces: vec![],
                    },
                    Some(other) => Side {
                        absent: false,
                        pieces: vec![Piece::new(op, display(Some(&field), other))],
                    },
                }
            };
            (
                "list",
                items(&c.before, &removed, "removed"),
                items(&c.after, &added, "added"),
            )
        }
        Detail::Text(pieces) => {
            let mut before = Vec::new();
            let mut after = Vec::new();
            for p in pieces {
                match p.op {
                    TextOp::Same => {
                        before.push(Piece::new("same", p.text.clone()));
                        after.push(Piece::new("same", p.text));
                    }
                    TextOp::Removed => before.push(Piece::new("removed", p.text)),
                    TextOp::Added => after.push(Piece::new("added", p.text)),
                }
            }
            let absent = |v: &Option<Value>| matches!(v, None | Some(Value::Null));
            (
                "text",
                Side {
                    absent: absent(&c.before),
                    pieces: before,
                },
                Side {
                    absent: absent(&c.after),
                    pieces: after,
                },
            )
        }
    };
    ChangeView {
        label: label(&field),
        field,
        kind,
        before,
        after,
    }
}

// ------------------------------------------------------------------ revert

/// `POST /{types}/{slug}/revisions/{id}/revert` (`csrf`, `comment`): restores the revision
/// as a new one, then back to the history. The CSRF token was checked before this runs.
async fn revert(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    Path((slug, id)): Path<(String, String)>,
    body: Bytes,
    ty: RecordType,
) -> Result<Response, HttpError> {
    let slug = checked(slug, ty.as_str())?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(HttpError::NotFound(format!(
            "There is no such revision of {} `{slug}`.",
            ty.as_str()
        )));
    };
    let Some(viewer) = viewing.0.as_ref() else {
        return Ok(refusal(
            &state,
            wants,
            &viewing,
            StatusCode::FORBIDDEN,
            "Log in as a reviewer to restore an earlier version.",
        ));
    };
    if !viewer.can(Right::Revert) {
        return Ok(refusal(
            &state,
            wants,
            &viewing,
            StatusCode::FORBIDDEN,
            "Your role may not restore earlier versions; a reviewer or an admin can.",
        ));
    }
    let comment = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "comment")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let Some(editing) = Editing::new(state.store.clone()) else {
        return Err(HttpError::NotFound(
            "This archive keeps no history: its store has none.".into(),
        ));
    };
    let who = Who::web(viewer);
    // The service checks the right again and that the revision is a published one of
    // this record (a 404 otherwise); a blank comment gets its own words.
    let done = {
        let slug = slug.clone();
        state
            .blocking(move |_| {
                Ok::<_, HttpError>(editing.revert(&who, ty, &slug, id, &comment).map(|_| ()))
            })
            .await?
    };
    match done {
        Ok(()) => Ok(see_other(&history_path(ty, &slug))),
        Err(e) => Ok(edit_refusal(&state, wants, &viewing, e)?),
    }
}

/// A refused revert as the page (or problem+json) that says why.
fn edit_refusal(
    state: &AppState,
    wants: Wants,
    viewing: &Viewing,
    e: EditError,
) -> Result<Response, HttpError> {
    let (status, detail) = match e {
        EditError::Forbidden(why) => (StatusCode::FORBIDDEN, why),
        EditError::NotFound(what) => return Err(HttpError::NotFound(what)),
        EditError::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "This version cannot be restored: {}",
                errors
                    .iter()
                    .map(|e| match e.field.as_str() {
                        "" => e.message.clone(),
                        field => format!("{field}: {}", e.message),
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        EditError::Conflict { current, base } => (
            StatusCode::CONFLICT,
            format!(
                "The record changed meanwhile (it is at version {current}, not {base}). \
                 Nothing was changed; open its history again and retry."
            ),
        ),
        e @ EditError::NotADraft => (StatusCode::BAD_REQUEST, e.to_string()),
        EditError::Store(e) => return Err(store_error(e)),
    };
    Ok(refusal(state, wants, viewing, status, &detail))
}

// ------------------------------------------------------------------ recent changes

/// The filters of `/changes` and `/changes.atom`.
#[derive(Debug, Clone, Default, Serialize)]
struct Filters {
    #[serde(rename = "type")]
    record: Option<&'static str>,
    dossier: Option<String>,
    author: Option<i64>,
    before: Option<i64>,
}

impl Filters {
    fn parse(uri: &Uri) -> Result<Filters, HttpError> {
        let p = params(uri, &["type", "dossier", "author", "before"])?;
        let record = match p.get("type") {
            None => None,
            Some(t) => Some(type_named(t).ok_or_else(|| {
                HttpError::BadRequest(format!(
                    "`{}` is not a record type; the types are document, body, person, \
                     event, topic and dossier.",
                    clip(t, 40)
                ))
            })?),
        };
        let dossier = match p.get("dossier") {
            Some(d) if !dossier_model::is_valid_slug(d) => {
                return Err(HttpError::BadRequest(format!(
                    "`{}` is not a dossier slug (lowercase letters, digits and hyphens).",
                    clip(d, 40)
                )))
            }
            d => d.cloned(),
        };
        Ok(Filters {
            record: record.map(RecordType::as_str),
            dossier,
            author: positive(&p, "author", "an account's number")?,
            before: before_of(&p)?,
        })
    }

    /// The query string of these filters (without `before`), `?`-prefixed, or empty.
    fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(d) = &self.dossier {
            q.append_pair("dossier", d);
        }
        if let Some(t) = self.record {
            q.append_pair("type", t);
        }
        if let Some(a) = self.author {
            q.append_pair("author", &a.to_string());
        }
        let q = q.finish();
        if q.is_empty() {
            q
        } else {
            format!("?{q}")
        }
    }

    /// `path` with these filters and `before`.
    fn with_before(&self, path: &str, before: i64) -> String {
        let q = self.query();
        let sep = if q.is_empty() { '?' } else { '&' };
        format!("{path}{q}{sep}before={before}")
    }
}

/// One change in `/changes`.
#[derive(Debug, Serialize)]
struct ChangeEntry {
    #[serde(rename = "type")]
    record: &'static str,
    type_label: &'static str,
    slug: String,
    /// The record's title now (its slug when deleted).
    title: String,
    url: String,
    history_url: String,
    #[serde(flatten)]
    revision: Entry,
}

/// A type offered by the filter form.
#[derive(Debug, Serialize)]
struct TypeOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// `/changes`.
#[derive(Debug, Serialize)]
struct ChangesView {
    filters: Filters,
    /// The dossier filtered on, by title.
    dossier_title: Option<String>,
    /// The account filtered on, by the name its newest change here carries.
    author_name: Option<String>,
    changes: Vec<ChangeEntry>,
    older: Option<String>,
    newest: Option<String>,
    /// The same changes as an Atom feed.
    feed_url: String,
    types: Vec<TypeOption>,
}

/// Recent published changes and whether more follow, with the records' titles now (read
/// in one batch per type) and the dossier filtered on.
#[allow(clippy::type_complexity)]
fn recent(
    store: &dyn Store,
    f: &Filters,
) -> Result<(Vec<(Revision, Option<String>)>, bool, Option<String>), HttpError> {
    let dossier_title = match &f.dossier {
        Some(d) => Some(
            store
                .title_of(RecordType::Dossier, d)
                .map_err(store_error)?
                .ok_or_else(|| HttpError::no_record("dossier", d))?,
        ),
        None => None,
    };
    let revisions = revisions_of(store)?;
    let (list, more) = published_page(
        revisions,
        RevisionQuery {
            record: f.record.and_then(RecordType::parse),
            dossier: f.dossier.clone(),
            author: f.author,
            before: f.before,
            ..Default::default()
        },
    )?;
    let mut titles: HashMap<(RecordType, String), String> = HashMap::new();
    for (_, ty) in TYPES {
        let slugs: Vec<&str> = list
            .iter()
            .filter(|r| r.record == ty)
            .map(|r| r.slug.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if slugs.is_empty() {
            continue;
        }
        for card in store.cards(ty, &slugs).map_err(store_error)? {
            titles.insert((ty, card.slug), card.title);
        }
    }
    let list = list
        .into_iter()
        .map(|r| {
            let title = titles.get(&(r.record, r.slug.clone())).cloned();
            (r, title)
        })
        .collect();
    Ok((list, more, dossier_title))
}

async fn changes(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    uri: Uri,
) -> Result<Response, HttpError> {
    let filters = Filters::parse(&uri)?;
    let view = state
        .blocking(move |store| {
            let (list, more, dossier_title) = recent(store, &filters)?;
            let author_name = filters.author.and_then(|a| {
                list.iter()
                    .find(|(r, _)| r.author.user == Some(a))
                    .map(|(r, _)| r.author.name.clone())
            });
            let older = match (more, list.last()) {
                (true, Some((last, _))) => Some(filters.with_before("/changes", last.id)),
                _ => None,
            };
            let changes = list
                .iter()
                .map(|(r, title)| ChangeEntry {
                    record: r.record.as_str(),
                    type_label: type_label(r.record),
                    slug: r.slug.clone(),
                    title: title.clone().unwrap_or_else(|| r.slug.clone()),
                    url: url_of(r.record, &r.slug),
                    history_url: history_path(r.record, &r.slug),
                    revision: Entry::of(r),
                })
                .collect();
            let selected = filters.record;
            Ok::<_, HttpError>(ChangesView {
                newest: filters
                    .before
                    .map(|_| format!("/changes{}", filters.query())),
                feed_url: format!("/changes.atom{}", filters.query()),
                types: TYPES
                    .iter()
                    .map(|(_, t)| TypeOption {
                        value: t.as_str(),
                        label: type_label(*t),
                        selected: selected == Some(t.as_str()),
                    })
                    .collect(),
                filters,
                dossier_title,
                author_name,
                changes,
                older,
            })
        })
        .await?;
    crate::auth::page(
        &state,
        wants,
        &viewing,
        "changes.html",
        "Recent changes",
        &view,
    )
}

/// `/changes.atom`: the changes of `/changes` (same filters) as an Atom feed (RFC 4287),
/// written as the site's other feeds are (`dossier_publish::feed`).
async fn changes_atom(State(state): State<AppState>, uri: Uri) -> Result<Response, HttpError> {
    let filters = Filters::parse(&uri)?;
    let site = state.site();
    let feed = state
        .blocking(move |store| {
            let (list, _, dossier_title) = recent(store, &filters)?;
            let title = match (&dossier_title, filters.record) {
                (Some(d), _) => format!("{}: recent changes in {d}", site.name),
                (None, Some(t)) => format!(
                    "{}: recent changes to {}",
                    site.name,
                    plural(RecordType::parse(t).unwrap_or(RecordType::Document))
                ),
                (None, None) => format!("{}: recent changes", site.name),
            };
            let self_url = site.url(&format!("/changes.atom{}", filters.query()));
            let updated = list
                .first()
                .map(|(r, _)| rfc3339(r.at))
                .unwrap_or_else(|| rfc3339(0));
            let mut x = XmlWriter::new();
            x.start("feed", &[("xmlns", ATOM_NS), ("xml:lang", "en")]);
            x.element("id", &[], &self_url);
            x.element("title", &[], &title);
            x.element("updated", &[], &updated);
            x.empty(
                "link",
                &[
                    ("rel", "self"),
                    ("type", "application/atom+xml"),
                    ("href", &self_url),
                ],
            );
            x.empty(
                "link",
                &[
                    ("rel", "alternate"),
                    ("type", "text/html"),
                    ("href", &site.url(&format!("/changes{}", filters.query()))),
                ],
            );
            x.start("author", &[]);
            x.element("name", &[], &site.name);
            x.end("author");
            x.element("generator", &[], "dossier");
            for (r, title) in &list {
                let url = site.url(&revision_path(r.record, &r.slug, r.id));
                let name = title.as_deref().unwrap_or(&r.slug);
                let what = match (r.deleted, r.version) {
                    (true, _) => "deleted".to_string(),
                    (false, Some(1)) => "added".to_string(),
                    (false, Some(v)) => format!("version {v}"),
                    (false, None) => "changed".to_string(),
                };
                let time = rfc3339(r.at);
                x.start("entry", &[]);
                x.element("id", &[], &url);
                x.element("title", &[], &format!("{name} ({what})"));
                x.element("updated", &[], &time);
                x.start("author", &[]);
                x.element("name", &[], &r.author.name);
                x.end("author");
                x.empty(
                    "link",
                    &[("rel", "alternate"), ("type", "text/html"), ("href", &url)],
                );
                x.empty(
                    "category",
                    &[("term", r.record.as_str()), ("label", type_label(r.record))],
                );
                let mut summary = format!(
                    "{} {name}, {what}, by {}.",
                    type_label(r.record),
                    r.author.name
                );
                if !r.comment.is_empty() {
                    summary.push(' ');
                    summary.push_str(&r.comment);
                }
                x.element("summary", &[("type", "text")], &summary);
                x.end("entry");
            }
            x.end("feed");
            Ok::<_, HttpError>(x.finish())
        })
        .await?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(ATOM))],
        feed,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_and_values_read_as_words() {
        assert_eq!(label("full_text"), "Full text");
        assert_eq!(label("date"), "Date");
        assert_eq!(
            display(Some("date"), &json!("1997-05-27")),
            "1997-05-27 (27 May 1997)"
        );
        assert_eq!(display(Some("title"), &json!("1997-05-27")), "1997-05-27");
        assert_eq!(
            display(
                Some("sources"),
                &json!([{"title": "A", "url": "https://x.org/", "note": null}])
            ),
            "title: A, url: https://x.org/"
        );
        assert_eq!(display(None, &json!(["a", "b"])), "a; b");
    }

    #[test]
    fn query_strings_are_checked() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert!(
            Filters::parse(&uri("/changes?type=documents&author=3&dossier=nato-russia")).is_ok()
        );
        assert!(Filters::parse(&uri("/changes?type=&dossier=")).is_ok());
        for bad in [
            "/changes?type=widget",
            "/changes?author=0",
            "/changes?author=x",
            "/changes?before=-1",
            "/changes?dossier=Not%20A%20Slug",
            "/changes?type=document&type=body",
        ] {
            assert!(
                matches!(Filters::parse(&uri(bad)), Err(HttpError::BadRequest(_))),
                "{bad}"
            );
        }
        let f = Filters::parse(&uri("/changes?type=document&dossier=d&before=9")).unwrap();
        assert_eq!(f.query(), "?dossier=d&type=document");
        assert_eq!(
            f.with_before("/changes", 4),
            "/changes?dossier=d&type=document&before=4"
        );
    }
}
