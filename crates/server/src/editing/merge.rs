//! Merging two bodies or two people on the web (issue 28), for the accounts that may
//! publish (a merge publishes at once: reviewers and admins):
//!
//! - `GET /merges`: the merges made, newest first (`?before=ID` for older ones), each with
//!   an undo button while it stands, and the form that starts a merge;
//! - `GET /merges/new?type=body&into=SLUG&from=SLUG`: the preview: the record kept (the
//!   survivor) and the one merged into it, the survivor's fields as they will be (the
//!   other's names, identifiers, sources and gaps added, as `dossier_model::merge::absorb`
//!   folds them), the records and dossier sections whose links will move, a link to keep
//!   the other record instead, and the form that confirms;
//! - `POST /merges`: the merge, through the store's `Merges` (one transaction, published
//!   revisions, the old address answering 301), then its page;
//! - `GET /merges/{id}` and `POST /merges/{id}/undo`: one merge, and its undo (refused when
//!   a record it touched changed since).
//!
//! Every form carries the session's CSRF token, checked by the accounts layer before any
//! handler runs, like the other editing forms.

use super::forms::{changes, ChangeView};
use super::web::{field, number, page, pairs, record_path, require, sync_search, when};
use crate::auth::{see_other, Viewing};
use crate::error::HttpError;
use crate::routes::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use dossier_auth::Right;
use dossier_editing::{diff, Who};
use dossier_model::{is_valid_slug, Record, RecordType};
use dossier_store::{Merge, MergeError, Merges, Store, StoreError};
use serde::Serialize;
use serde_json::Value;

/// Merges on a page of the list.
const PAGE: usize = 50;

/// The records whose links move that the preview lists by name (the count is always
/// whole).
const LINKS_SHOWN: usize = 200;

/// The routes of the merge pages.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/merges", get(list).post(merge))
        .route("/merges/new", get(preview))
        .route("/merges/{id}", get(show))
        .route("/merges/{id}/undo", post(undo))
}

/// The types that can be merged, as the form offers them.
const MERGED: [(RecordType, &str); 2] =
    [(RecordType::Body, "Bodies"), (RecordType::Person, "People")];

/// A record of the merge pages: its type, slug, name and page.
#[derive(Debug, Serialize)]
struct Side {
    what: &'static str,
    slug: String,
    name: String,
    url: String,
}

/// An option of the form's type choice.
#[derive(Debug, Serialize)]
struct TypeOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

/// The form that starts a merge (sent with GET to the preview).
#[derive(Debug, Serialize)]
struct StartForm {
    types: Vec<TypeOption>,
    into: String,
    from: String,
}

impl StartForm {
    fn new(ty: Option<RecordType>, into: &str, from: &str) -> StartForm {
        StartForm {
            types: MERGED
                .iter()
                .map(|(t, label)| TypeOption {
                    value: t.as_str(),
                    label,
                    selected: Some(*t) == ty,
                })
                .collect(),
            into: into.to_string(),
            from: from.to_string(),
        }
    }
}

/// One merge as the list and its page show it.
#[derive(Debug, Serialize)]
struct MergeRow {
    id: i64,
    url: String,
    what: &'static str,
    from: String,
    /// The survivor, linked.
    into: Side,
    author: String,
    at: String,
    comment: String,
    relinked: usize,
    /// Who undid it and when.
    undone: Option<String>,
    /// Where its undo is posted, while it stands.
    undo: Option<String>,
}

fn row(store: &dyn Store, m: &Merge) -> MergeRow {
    let name = store
        .title_of(m.record, &m.into)
        .ok()
        .flatten()
        .unwrap_or_else(|| m.into.clone());
    MergeRow {
        id: m.id,
        url: format!("/merges/{}", m.id),
        what: m.record.as_str(),
        from: m.from.clone(),
        into: Side {
            what: m.record.as_str(),
            slug: m.into.clone(),
            name,
            url: record_path(m.record, &m.into),
        },
        author: m.author.name.clone(),
        at: when(m.at),
        comment: m.comment.clone(),
        relinked: m.relinked.len(),
        undone: m
            .undone
            .as_ref()
            .map(|(who, at)| format!("{}, {}", who.name, when(*at))),
        undo: m.undone.is_none().then(|| format!("/merges/{}/undo", m.id)),
    }
}

/// A failure of the store: ours, logged, shown without detail.
fn ours(e: StoreError) -> HttpError {
    HttpError::Internal(Box::new(e))
}

/// The store's merges, or the 404 of a store that merges nothing.
fn merges_of(store: &dyn Store) -> Result<&dyn Merges, HttpError> {
    store.merges().ok_or_else(|| {
        HttpError::NotFound("This archive cannot merge records: its store keeps no merges.".into())
    })
}

/// `/merges`'s context.
#[derive(Debug, Serialize)]
struct ListView {
    form: StartForm,
    merges: Vec<MergeRow>,
    /// The next page of older merges.
    older: Option<String>,
}

/// `GET /merges`: the merges made and the form that starts one.
async fn list(
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    if let Err(answer) = require(&state, &viewing, Right::Publish, &uri) {
        return Ok(*answer);
    }
    let query = pairs(query.unwrap_or_default().as_bytes());
    let before = number(&query, "before")?;
    let view = state
        .blocking(move |store| {
            let found = merges_of(store)?.merges(before, PAGE).map_err(ours)?;
            let older = (found.len() == PAGE)
                .then(|| found.last().map(|m| format!("/merges?before={}", m.id)))
                .flatten();
            Ok::<_, HttpError>(ListView {
                form: StartForm::new(Some(RecordType::Body), "", ""),
                merges: found.iter().map(|m| row(store, m)).collect(),
                older,
            })
        })
        .await?;
    page(
        &state,
        &viewing,
        StatusCode::OK,
        "merges.html",
        "Merges",
        &view,
    )
}

/// A record whose links move, or a dossier section that cites the merged record.
#[derive(Debug, Serialize)]
struct Moving {
    what: &'static str,
    title: String,
    url: String,
    /// How it links (`issued-by`, `part-of`, a section's reference).
    rel: String,
}

/// What a merge will do, shown before it is confirmed.
#[derive(Debug, Serialize)]
struct Preview {
    what: &'static str,
    into: Side,
    from: Side,
    /// The preview with the other record kept.
    swap: String,
    /// The survivor's fields before and after.
    changes: Vec<ChangeView>,
    /// Records (and dossier sections) that link to the merged record: their links move.
    links: Vec<Moving>,
    links_total: usize,
    /// The merged record's sources and gaps, which the survivor takes in.
    sources: usize,
    gaps: usize,
}

/// The preview page's context.
#[derive(Debug, Serialize)]
struct PreviewView {
    form: StartForm,
    /// Why there is no preview (a slug that names nothing, the same record twice…).
    error: Option<String>,
    preview: Option<Preview>,
    comment: String,
}

/// A refusal: its status and why, in words.
type Refused = (StatusCode, String);

/// What the form asks to merge: the type and both slugs, and why they cannot be merged.
struct Asked {
    ty: Option<RecordType>,
    into: String,
    from: String,
    problem: Result<(), Refused>,
}

/// What the form asks to merge.
fn asked(query: &[(String, String)]) -> Asked {
    let ty = RecordType::parse(field(query, "type").trim());
    let into = field(query, "into").trim().to_string();
    let from = field(query, "from").trim().to_string();
    let problem = match ty {
        None
        | Some(
            RecordType::Document | RecordType::Event | RecordType::Topic | RecordType::Dossier,
        ) => Err((
            StatusCode::BAD_REQUEST,
            "Choose what to merge: two bodies or two people.".to_string(),
        )),
        Some(_) if into.is_empty() || from.is_empty() => Err((
            StatusCode::BAD_REQUEST,
            "Name both records by their slugs: the one to keep and the one to merge into it."
                .to_string(),
        )),
        Some(_) if !is_valid_slug(&into) || !is_valid_slug(&from) => Err((
            StatusCode::BAD_REQUEST,
            "A slug is lowercase letters, digits and hyphens (as in the record's address)."
                .to_string(),
        )),
        Some(_) if into == from => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "A record cannot be merged into itself: name two different records.".to_string(),
        )),
        Some(_) => Ok(()),
    };
    Asked {
        ty,
        into,
        from,
        problem,
    }
}

/// A record's JSON as the editing diff reads it.
fn json_of(r: &Record) -> Result<Value, HttpError> {
    Ok(serde_json::from_str(&r.to_json())?)
}

fn name_of(r: &Record) -> String {
    match r {
        Record::Body(b) => b.name.clone(),
        Record::Person(p) => p.name.clone(),
        other => other.slug().to_string(),
    }
}

/// The preview of merging `from` into `into`, or why there is none.
fn build_preview(
    store: &dyn Store,
    ty: RecordType,
    into: &str,
    from: &str,
) -> Result<Result<Preview, Refused>, HttpError> {
    let what = ty.as_str();
    let missing = |slug: &str| {
        Ok(Err((
            StatusCode::NOT_FOUND,
            format!("There is no {what} `{slug}` in the archive."),
        )))
    };
    let Some(kept) = store.record(ty, into).map_err(ours)? else {
        return missing(into);
    };
    let Some(gone) = store.record(ty, from).map_err(ours)? else {
        return missing(from);
    };
    let before = json_of(&kept)?;
    let mut after = kept.clone();
    dossier_model::merge::absorb(&mut after, &gone);
    // The survivor's own links to the other point at itself afterwards, as the store does.
    after.relink(ty, from, into);
    let after = json_of(&after)?;
    let changed = changes(ty, diff::diff_as(Some(ty), Some(&before), Some(&after)));
    let mut links: Vec<Moving> = store
        .backlinks(ty, from)
        .map_err(ours)?
        .into_iter()
        .filter(|b| !(b.record == ty && (b.slug == into || b.slug == from)))
        .map(|b| Moving {
            what: b.record.as_str(),
            url: record_path(b.record, &b.slug),
            title: b.title,
            rel: b.rel,
        })
        .collect();
    links.extend(
        store
            .citations(ty, from)
            .map_err(ours)?
            .into_iter()
            .map(|c| Moving {
                what: "section",
                url: format!("/dossiers/{}#{}", c.dossier, c.key),
                title: format!("{}: {} {}", c.dossier_title, c.label, c.title)
                    .trim()
                    .to_string(),
                rel: "cites it".into(),
            }),
    );
    let links_total = links.len();
    links.truncate(LINKS_SHOWN);
    let provenance = match &gone {
        Record::Body(b) => Some(&b.provenance),
        Record::Person(p) => Some(&p.provenance),
        _ => None,
    };
    let side = |r: &Record| Side {
        what,
        slug: r.slug().to_string(),
        name: name_of(r),
        url: record_path(ty, r.slug()),
    };
    Ok(Ok(Preview {
        what,
        into: side(&kept),
        from: side(&gone),
        swap: preview_path(ty, from, into),
        changes: changed,
        links,
        links_total,
        sources: provenance.map_or(0, |p| p.sources.len()),
        gaps: provenance.map_or(0, |p| p.gaps.len()),
    }))
}

/// The preview's address for keeping `into` and merging `from` into it.
pub(super) fn preview_path(ty: RecordType, into: &str, from: &str) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("type", ty.as_str())
        .append_pair("into", into)
        .append_pair("from", from)
        .finish();
    format!("/merges/new?{q}")
}

/// The preview page, built on a worker, at `status` unless the preview itself failed.
async fn preview_page(
    state: &AppState,
    viewing: &Viewing,
    query: Vec<(String, String)>,
    error: Option<Refused>,
) -> Result<Response, HttpError> {
    let Asked {
        ty,
        into,
        from,
        problem,
    } = asked(&query);
    let comment = field(&query, "comment").to_string();
    let form = StartForm::new(ty, &into, &from);
    let built = match (ty, problem) {
        (Some(ty), Ok(())) => {
            let (i, f) = (into.clone(), from.clone());
            state
                .blocking(move |store| build_preview(store, ty, &i, &f))
                .await?
        }
        (_, Err(e)) => Err(e),
        (None, Ok(())) => unreachable!("a form without a type is a problem"),
    };
    let (status, view) = match (built, error) {
        (Ok(preview), None) => (
            StatusCode::OK,
            PreviewView {
                form,
                error: None,
                preview: Some(preview),
                comment,
            },
        ),
        (Ok(preview), Some((status, why))) => (
            status,
            PreviewView {
                form,
                error: Some(why),
                preview: Some(preview),
                comment,
            },
        ),
        (Err((status, why)), _) => (
            status,
            PreviewView {
                form,
                error: Some(why),
                preview: None,
                comment,
            },
        ),
    };
    let title = match &view.preview {
        Some(p) => format!("Merge {} into {}", p.from.name, p.into.name),
        None => "Merge two records".to_string(),
    };
    page(state, viewing, status, "merge-preview.html", &title, &view)
}

/// `GET /merges/new?type=…&into=…&from=…`: the preview (or the form again, with why).
async fn preview(
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Result<Response, HttpError> {
    if let Err(answer) = require(&state, &viewing, Right::Publish, &uri) {
        return Ok(*answer);
    }
    let query = pairs(query.unwrap_or_default().as_bytes());
    let Asked { ty, into, from, .. } = asked(&query);
    if into.is_empty() || from.is_empty() {
        // The form alone (a link from a record's edit page names the survivor only).
        let view = PreviewView {
            form: StartForm::new(ty.or(Some(RecordType::Body)), &into, &from),
            error: None,
            preview: None,
            comment: String::new(),
        };
        return page(
            &state,
            &viewing,
            StatusCode::OK,
            "merge-preview.html",
            "Merge two records",
            &view,
        );
    }
    preview_page(&state, &viewing, query, None).await
}

/// The HTTP status and words of a refused merge or undo.
fn refusal_of(e: MergeError) -> Result<Refused, HttpError> {
    let status = match &e {
        MergeError::NotFound { .. } | MergeError::UnknownMerge(_) => StatusCode::NOT_FOUND,
        MergeError::SameRecord | MergeError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        MergeError::Unsupported(_) => StatusCode::BAD_REQUEST,
        MergeError::AlreadyUndone | MergeError::Changed { .. } => StatusCode::CONFLICT,
        MergeError::Store(_) => return Err(HttpError::Internal(Box::new(e))),
    };
    let mut words = e.to_string();
    if let Some(first) = words.get(..1) {
        words = format!("{}{}", first.to_uppercase(), &words[1..]);
    }
    Ok((status, format!("Nothing was changed: {words}.")))
}

/// `POST /merges`: merges `from` into `into`, then shows the merge.
async fn merge(
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    body: Bytes,
) -> Result<Response, HttpError> {
    let viewer = match require(&state, &viewing, Right::Publish, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let form = pairs(&body);
    let Asked {
        ty,
        into,
        from,
        problem,
    } = asked(&form);
    let ty = match (ty, problem) {
        (Some(ty), Ok(())) => ty,
        (_, Err(e)) => return preview_page(&state, &viewing, form, Some(e)).await,
        (None, Ok(())) => unreachable!("a form without a type is a problem"),
    };
    let comment = match field(&form, "comment").trim() {
        "" => format!("Merged {} `{from}` into `{into}`", ty.as_str()),
        c => c.to_string(),
    };
    let author = Who::web(&viewer).author();
    let st = state.clone();
    let done = state
        .blocking(move |store| {
            let done = merges_of(store)?.merge(ty, &from, &into, &author, &comment);
            if done.is_ok() {
                sync_search(&st, store);
            }
            Ok::<_, HttpError>(done)
        })
        .await?;
    match done {
        Ok(m) => Ok(see_other(&format!("/merges/{}", m.id))),
        Err(e) => {
            let refused = refusal_of(e)?;
            preview_page(&state, &viewing, form, Some(refused)).await
        }
    }
}

/// One merge's page.
#[derive(Debug, Serialize)]
struct MergeView {
    merge: MergeRow,
    /// The records whose links it pointed at the survivor.
    relinked: Vec<Moving>,
    error: Option<String>,
}

/// The merge `id` from the address, or the 404 of one that is not a number.
fn merge_id(id: &str) -> Result<i64, HttpError> {
    id.parse::<i64>().map_err(|_| {
        HttpError::NotFound(format!(
            "There is no merge `{}`.",
            id.chars().take(40).collect::<String>()
        ))
    })
}

/// One merge's page at `status`, with `error` above it.
async fn merge_page(
    state: &AppState,
    viewing: &Viewing,
    id: i64,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, HttpError> {
    let view = state
        .blocking(move |store| {
            let Some(m) = merges_of(store)?.merge_of(id).map_err(ours)? else {
                return Err(HttpError::NotFound(format!("There is no merge {id}.")));
            };
            let relinked = m
                .relinked
                .iter()
                .map(|(ty, slug)| Moving {
                    what: ty.as_str(),
                    title: store
                        .title_of(*ty, slug)
                        .ok()
                        .flatten()
                        .unwrap_or_else(|| slug.clone()),
                    url: record_path(*ty, slug),
                    rel: String::new(),
                })
                .collect();
            Ok(MergeView {
                merge: row(store, &m),
                relinked,
                error,
            })
        })
        .await?;
    let title = format!(
        "Merge {}: {} into {}",
        view.merge.id, view.merge.from, view.merge.into.slug
    );
    page(state, viewing, status, "merge.html", &title, &view)
}

/// `GET /merges/{id}`.
async fn show(
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    if let Err(answer) = require(&state, &viewing, Right::Publish, &uri) {
        return Ok(*answer);
    }
    let id = merge_id(&id)?;
    merge_page(&state, &viewing, id, StatusCode::OK, None).await
}

/// `POST /merges/{id}/undo`: every record the merge touched back as it was; refused (409,
/// with why) when one changed since.
async fn undo(
    State(state): State<AppState>,
    viewing: Viewing,
    uri: Uri,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let viewer = match require(&state, &viewing, Right::Publish, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let id = merge_id(&id)?;
    let form = pairs(&body);
    let comment = match field(&form, "comment").trim() {
        "" => format!("Undid merge {id}"),
        c => c.to_string(),
    };
    let author = Who::web(&viewer).author();
    let st = state.clone();
    let done = state
        .blocking(move |store| {
            let done = merges_of(store)?.undo_merge(id, &author, &comment);
            if done.is_ok() {
                sync_search(&st, store);
            }
            Ok::<_, HttpError>(done)
        })
        .await?;
    match done {
        Ok(_) => Ok(see_other(&format!("/merges/{id}"))),
        Err(MergeError::UnknownMerge(_)) => {
            Err(HttpError::NotFound(format!("There is no merge {id}.")))
        }
        Err(e) => {
            let (status, why) = refusal_of(e)?;
            merge_page(&state, &viewing, id, status, Some(why)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_form_names_two_records_of_a_type_that_merges() {
        let ok = asked(&q(&[("type", "person"), ("into", "a"), ("from", "b")]));
        assert_eq!(ok.ty, Some(RecordType::Person));
        assert!(ok.problem.is_ok());
        for bad in [
            q(&[("type", "document"), ("into", "a"), ("from", "b")]),
            q(&[("type", ""), ("into", "a"), ("from", "b")]),
            q(&[("type", "body"), ("into", "a")]),
            q(&[("type", "body"), ("into", "a"), ("from", "../b")]),
            q(&[("type", "body"), ("into", "a"), ("from", "<script>")]),
        ] {
            assert_eq!(
                asked(&bad).problem.unwrap_err().0,
                StatusCode::BAD_REQUEST,
                "{bad:?}"
            );
        }
        let same = asked(&q(&[("type", "body"), ("into", "a"), ("from", "a")]));
        assert_eq!(
            same.problem.unwrap_err().0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }

    #[test]
    fn the_swap_link_keeps_the_other_record() {
        assert_eq!(
            preview_path(RecordType::Body, "russia", "russian-federation"),
            "/merges/new?type=body&into=russia&from=russian-federation"
        );
    }
}
