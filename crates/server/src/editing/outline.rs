//! The dossier outline editor: `GET/POST /dossiers/{slug}/edit`.
//!
//! One form holds the dossier's fields and its whole section tree; every button of it
//! (add, move, indent, renumber, add a reference or a list, pick a record) posts the
//! whole outline back and gets the form again with the change made, so the page works
//! without JavaScript and nothing is saved until "Save draft", "Send to review" or
//! "Publish" (as the person's rights allow). Saving goes through the editing service
//! like every other change: the model's rules (section depth, unique keys, unknown
//! slugs, list kinds) with their messages beside the field, a stale version answered
//! with both versions and nothing lost. `outline.js` (served from `/static`) only
//! remembers where the caret was, so that a picked record's link lands there.

mod form;

use super::web::{buttons, pairs, refused, require, service, sync_search, Button};
use crate::auth::{private_page, see_other, Viewing};
use crate::error::HttpError;
use crate::routes::{checked, AppState};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use dossier_auth::Right;
use dossier_editing::{EditError, Editing, Intent, Who};
use dossier_model::{Dossier, Level, ListOf, RecordType};
use dossier_search::{SearchIndex, SearchRequest, Sort};
use dossier_store::Status;
use form::{Action, Outline, Problems};
use serde::Serialize;
use std::collections::BTreeMap;

/// The most sections whose picker runs a search in one answer.
const MAX_PICKER_SEARCHES: usize = 4;
/// Records the picker lists for one search.
const PICKER_HITS: usize = 8;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/dossiers/{slug}/edit", get(edit_page).post(edit_post))
}

/// `GET /dossiers/{slug}/edit`: the form over the published dossier.
async fn edit_page(
    State(state): State<AppState>,
    viewing: Viewing,
    Path(slug): Path<String>,
    uri: Uri,
) -> Result<Response, HttpError> {
    let slug = checked(slug, "dossier")?;
    let viewer = match require(&state, &viewing, Right::Draft, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let editing = service(&state)?;
    let who = Who::web(&viewer);
    let draft = draft_of(&uri)?;
    let lookup = slug.clone();
    let for_who = who.clone();
    let loaded = state
        .blocking(move |_| Ok::<_, HttpError>(load(&editing, &for_who, &lookup, draft)))
        .await?;
    let (outline, notice) = match loaded {
        Ok(Some(loaded)) => loaded,
        Ok(None) => return Err(HttpError::no_record("dossier", &slug)),
        Err(e) => return Ok(refused(&state, &viewing, e)),
    };
    let page = Page {
        slug,
        csrf: viewer.csrf.clone(),
        buttons: buttons(&who),
        notice,
        trouble: None,
        conflict: None,
        focus: None,
    };
    render(
        &state,
        &viewing,
        StatusCode::OK,
        outline,
        Problems::default(),
        page,
    )
    .await
}

/// `?draft=ID`: the open draft to edit.
fn draft_of(uri: &Uri) -> Result<Option<i64>, HttpError> {
    let query = uri.query().unwrap_or_default();
    match form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "draft") {
        None => Ok(None),
        Some((_, v)) => v
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Some)
            .ok_or_else(|| {
                HttpError::BadRequest(format!("`draft` must be a draft's number, not `{v}`."))
            }),
    }
}

/// The form over the published dossier, or over its open draft `draft` (with a line
/// that says whose it is); `None` when the dossier does not exist.
fn load(
    editing: &Editing,
    who: &Who,
    slug: &str,
    draft: Option<i64>,
) -> Result<Option<(Outline, Option<String>)>, EditError> {
    let current = published(editing, slug)?;
    let Some(id) = draft else {
        return Ok(current.map(|(d, version)| (Outline::of(&d, version), None)));
    };
    let rev = editing.revision(Some(who), id)?;
    if rev.record != RecordType::Dossier || rev.slug != slug || !rev.status.is_open_draft() {
        return Err(EditError::NotFound(format!(
            "Draft {id} is not an open draft of the dossier `{slug}`."
        )));
    }
    let dossier = match &rev.data {
        Some(json) => serde_json::from_str(json).map_err(|e| {
            EditError::Store(dossier_store::StoreError::Invalid(format!(
                "draft {id} cannot be read: {e}"
            )))
        })?,
        // A draft that deletes the dossier: its outline is the published one.
        None => match current {
            Some((d, _)) => d,
            None => return Ok(None),
        },
    };
    let mut outline = Outline::of(&dossier, rev.base);
    outline.draft = Some(id);
    outline.comment = rev.comment.clone();
    let mut notice = format!(
        "Editing draft {id} ({}), made by {} from version {}.",
        rev.status.as_str(),
        rev.author.name,
        rev.base
    );
    if let Some(why) = rev.review_comment.as_deref().filter(|c| !c.is_empty()) {
        notice.push_str(&format!(" The reviewer said: “{why}”"));
    }
    Ok(Some((outline, Some(notice))))
}

/// The published dossier and its version, read as the model's type.
fn published(editing: &Editing, slug: &str) -> Result<Option<(Dossier, i64)>, EditError> {
    match editing.current(RecordType::Dossier, slug)? {
        Some((value, version)) => serde_json::from_value(value)
            .map(|d| Some((d, version)))
            .map_err(|e| {
                EditError::Store(dossier_store::StoreError::Invalid(format!(
                    "the stored dossier `{slug}` cannot be read: {e}"
                )))
            }),
        None => Ok(None),
    }
}

/// `POST /dossiers/{slug}/edit`: an operation on the form, or a save.
async fn edit_post(
    State(state): State<AppState>,
    viewing: Viewing,
    Path(slug): Path<String>,
    uri: Uri,
    body: Bytes,
) -> Result<Response, HttpError> {
    let slug = checked(slug, "dossier")?;
    let viewer = match require(&state, &viewing, Right::Draft, &uri) {
        Ok(v) => v,
        Err(answer) => return Ok(*answer),
    };
    let editing = service(&state)?;
    let who = Who::web(&viewer);
    let fields = pairs(&body);
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let action = Action::parse(value("op")).map_err(|m| HttpError::BadRequest(m.0))?;
    let cursor = form::cursor(value("cursor"));
    let mut outline = Outline::parse(&fields).map_err(|m| HttpError::BadRequest(m.0))?;
    let mut page = Page {
        slug: slug.clone(),
        csrf: viewer.csrf.clone(),
        buttons: buttons(&who),
        notice: None,
        trouble: None,
        conflict: None,
        focus: None,
    };
    let mut problems = Problems::default();
    let mut status = StatusCode::OK;
    match action {
        Action::Refresh => {}
        Action::Edit(op) => match outline.apply(&op) {
            Ok(focus) => page.focus = focus.map(|i| i + 1),
            Err(why) => page.trouble = Some(why),
        },
        Action::Pick {
            section,
            kind,
            slug: target,
        } => {
            let ty = RecordType::parse(&kind).ok_or_else(|| {
                HttpError::BadRequest(format!("`{kind}` is not a type of record."))
            })?;
            let lookup = target.clone();
            let card = state
                .blocking(move |store| {
                    store
                        .cards(ty, &[lookup.as_str()])
                        .map_err(|e| HttpError::Internal(Box::new(e)))
                })
                .await?
                .into_iter()
                .next();
            match card {
                None => {
                    page.trouble = Some(format!(
                        "There is no {kind} `{target}` in the archive to reference."
                    ))
                }
                Some(card) => {
                    let at = cursor.filter(|(s, _)| *s == section).map(|(_, p)| p);
                    match outline.pick(section, &kind, &target, &card.title, at) {
                        Ok(syntax) => {
                            page.focus = Some(section + 1);
                            page.notice = Some(if at.is_some() {
                                format!("Added the reference and put {syntax} in the commentary where the cursor was.")
                            } else {
                                format!("Added the reference: put {syntax} in the commentary where it belongs.")
                            });
                        }
                        Err(why) => page.trouble = Some(why),
                    }
                }
            }
        }
        // The editor changes dossiers that exist (a GET of any other is a 404); a form
        // made up for a new slug is not a way to create one.
        Action::Save(_) if outline.base == 0 && outline.draft.is_none() => {
            return Err(HttpError::no_record("dossier", &slug));
        }
        Action::Save(intent) => {
            let intent = match intent {
                form::Intent::Draft => Intent::Draft,
                form::Intent::Review => Intent::Review,
                form::Intent::Publish => Intent::Publish,
            };
            outline.prune();
            match outline.to_dossier(&slug) {
                Err(found) => {
                    problems = found;
                    status = StatusCode::UNPROCESSABLE_ENTITY;
                }
                Ok(dossier) => {
                    let value = serde_json::to_value(&dossier)?;
                    let base = outline.base;
                    let draft = outline.draft;
                    let comment = outline.comment.trim().to_string();
                    let editing = editing.clone();
                    let who = who.clone();
                    let s = state.clone();
                    let path = slug.clone();
                    let saved = state
                        .blocking(move |store| {
                            let saved = match draft {
                                Some(id) => editing.update_draft(
                                    &who,
                                    id,
                                    Some(value),
                                    base,
                                    intent,
                                    &comment,
                                ),
                                None => editing.save(
                                    &who,
                                    RecordType::Dossier,
                                    &path,
                                    Some(value),
                                    base,
                                    intent,
                                    &comment,
                                ),
                            };
                            if matches!(&saved, Ok(r) if r.status == Status::Published) {
                                sync_search(&s, store);
                            }
                            // A conflict shows what is published now beside the form.
                            let now = match &saved {
                                Err(EditError::Conflict { .. }) => published(&editing, &path),
                                _ => Ok(None),
                            };
                            Ok::<_, HttpError>((saved, now))
                        })
                        .await?;
                    match saved {
                        (Ok(rev), _) if rev.status == Status::Published => {
                            return Ok(see_other(&format!("/dossiers/{slug}")))
                        }
                        (Ok(rev), _) => return Ok(see_other(&format!("/drafts/{}", rev.id))),
                        (Err(EditError::Invalid(errors)), _) => {
                            for e in &errors {
                                outline.attach(&mut problems, &e.field, &e.message);
                            }
                            status = StatusCode::UNPROCESSABLE_ENTITY;
                        }
                        (Err(e @ EditError::Conflict { .. }), now) => {
                            status = StatusCode::CONFLICT;
                            let current = match now {
                                Ok(Some((d, v))) => Some((d, v)),
                                Ok(None) => None,
                                Err(e) => return Ok(refused(&state, &viewing, e)),
                            };
                            page.conflict = Some(conflict(&outline, current.as_ref(), &e));
                            // The form now stands on the version published now: saving
                            // again replaces it, knowingly.
                            if let Some((_, v)) = &current {
                                outline.base = *v;
                            }
                        }
                        (Err(e), _) => return Ok(refused(&state, &viewing, e)),
                    }
                }
            }
        }
    }
    render(&state, &viewing, status, outline, problems, page).await
}

/// What a page shows beside the outline.
struct Page {
    slug: String,
    csrf: String,
    buttons: Vec<Button>,
    /// What the last operation did.
    notice: Option<String>,
    /// Why the last operation could not be done.
    trouble: Option<String>,
    conflict: Option<ConflictView>,
    /// The section (form number) the last operation concerned.
    focus: Option<usize>,
}

/// The template's `page`.
#[derive(Serialize)]
struct EditView {
    slug: String,
    csrf: String,
    base: i64,
    /// The open draft the form changes.
    draft: Option<i64>,
    title: String,
    description: String,
    source: String,
    comment: String,
    sections: Vec<SectionView>,
    count: usize,
    /// The dossier's own fields' problems (`""`: the outline as a whole).
    errors: BTreeMap<String, Vec<String>>,
    /// Whether any field has a problem (the summary at the top).
    invalid: bool,
    notice: Option<String>,
    trouble: Option<String>,
    conflict: Option<ConflictView>,
    focus: Option<usize>,
    buttons: Vec<Button>,
    ref_types: Vec<Choice>,
    document_kinds: Vec<Choice>,
    event_kinds: Vec<Choice>,
    levels: Vec<Choice>,
}

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    label: &'static str,
}

/// One section of the form, with its children.
#[derive(Serialize)]
struct SectionView {
    /// The form's number of the section (from 1, reading order).
    n: usize,
    /// The parent's number (empty at the top).
    parent: String,
    position: usize,
    depth: usize,
    key: String,
    label: String,
    title: String,
    short_title: String,
    commentary: String,
    find: String,
    /// The dated sentences, one a line (`AS_OF FIELD: STATEMENT`).
    claims: String,
    refs: Vec<RefView>,
    lists: Vec<ListView>,
    errors: BTreeMap<String, Vec<String>>,
    /// What the picker found for `find` (`None`: nothing asked).
    picks: Option<Vec<PickView>>,
    pick_error: Option<String>,
    /// Which moves make sense (the others' buttons are not shown).
    can_up: bool,
    can_down: bool,
    can_indent: bool,
    can_outdent: bool,
    children: Vec<SectionView>,
}

#[derive(Serialize)]
struct RefView {
    j: usize,
    /// How the commentary links to it: `[text](ref:N)`.
    syntax: String,
    text: String,
    kind: String,
    slug: String,
    title: String,
    url: String,
    mention: bool,
}

#[derive(Serialize)]
struct ListView {
    k: usize,
    caption: String,
    of: String,
    kinds: String,
    bodies: String,
    levels: String,
    page_listed: String,
    complete: bool,
}

/// A record the picker found.
#[derive(Serialize)]
struct PickView {
    record: String,
    slug: String,
    title: String,
    url: String,
    kind_label: Option<String>,
    date: Option<String>,
    /// The link the commentary would use once it is added (its number is the next one).
    syntax: String,
}

/// Both sides of a conflict: what is published now and what the form holds, section
/// by section (by key).
#[derive(Serialize)]
struct ConflictView {
    message: String,
    version: Option<i64>,
    title_now: Option<String>,
    rows: Vec<ConflictRow>,
}

#[derive(Serialize)]
struct ConflictRow {
    key: String,
    /// `label title` published now (`None`: not there).
    published: Option<String>,
    yours: Option<String>,
    same: bool,
}

fn conflict(outline: &Outline, now: Option<&(Dossier, i64)>, e: &EditError) -> ConflictView {
    let yours: Vec<(String, String)> = outline
        .sections
        .iter()
        .map(|s| {
            (
                s.key.trim().to_string(),
                heading(&s.label, &s.title, &s.commentary),
            )
        })
        .collect();
    let theirs: Vec<(String, String)> = now
        .map(|(d, _)| {
            d.all_sections()
                .into_iter()
                .map(|s| (s.key.clone(), heading(&s.label, &s.title, &s.commentary)))
                .collect()
        })
        .unwrap_or_default();
    let mut rows: Vec<ConflictRow> = Vec::new();
    for (key, text) in &theirs {
        let mine = yours.iter().find(|(k, _)| k == key).map(|(_, t)| t.clone());
        rows.push(ConflictRow {
            key: key.clone(),
            same: mine.as_deref() == Some(text.as_str()),
            published: Some(text.clone()),
            yours: mine,
        });
    }
    for (key, text) in &yours {
        if !theirs.iter().any(|(k, _)| k == key) {
            rows.push(ConflictRow {
                key: key.clone(),
                published: None,
                yours: Some(text.clone()),
                same: false,
            });
        }
    }
    ConflictView {
        message: e.to_string(),
        version: now.map(|(_, v)| *v),
        title_now: now.map(|(d, _)| d.title.clone()),
        rows,
    }
}

/// A section in a line: its label and title, and how long its commentary is.
fn heading(label: &str, title: &str, commentary: &str) -> String {
    let words = commentary.split_whitespace().count();
    let head = format!("{} {}", label.trim(), title.trim())
        .trim()
        .to_string();
    if words == 0 {
        head
    } else {
        format!("{head} ({words} words of commentary)")
    }
}

/// Writes the form: the picker's searches run on a request worker.
async fn render(
    state: &AppState,
    viewing: &Viewing,
    status: StatusCode,
    outline: Outline,
    problems: Problems,
    page: Page,
) -> Result<Response, HttpError> {
    let search = state.search.clone();
    let view = state
        .blocking(move |_| Ok::<_, HttpError>(view(&search, outline, problems, page)))
        .await?;
    let title = format!("Edit the outline: {}", view.title);
    private_page(state, viewing, status, "dossier-edit.html", &title, &view)
}

fn choices(items: Vec<(&'static str, &'static str)>) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice { value, label })
        .collect()
}

fn view(search: &SearchIndex, outline: Outline, mut problems: Problems, page: Page) -> EditView {
    let mut searches = 0;
    let mut flat: Vec<SectionView> = Vec::with_capacity(outline.sections.len());
    for (i, s) in outline.sections.iter().enumerate() {
        let (parent, position) = outline.place(i);
        let (picks, pick_error) = if s.find.trim().is_empty() {
            (None, None)
        } else if searches >= MAX_PICKER_SEARCHES {
            (
                None,
                Some(
                    "Search one section's records at a time: clear the other search fields.".into(),
                ),
            )
        } else {
            searches += 1;
            picker(search, s.find.trim(), s.refs.len() + 1)
        };
        flat.push(SectionView {
            n: i + 1,
            parent: parent.map(|p| (p + 1).to_string()).unwrap_or_default(),
            position,
            depth: s.depth,
            key: s.key.clone(),
            label: s.label.clone(),
            title: s.title.clone(),
            short_title: s.short_title.clone(),
            commentary: s.commentary.clone(),
            find: s.find.clone(),
            claims: s.claims.clone(),
            refs: s
                .refs
                .iter()
                .enumerate()
                .map(|(j, r)| RefView {
                    j,
                    syntax: form::ref_syntax(if r.text.is_empty() { "…" } else { &r.text }, j + 1),
                    text: r.text.clone(),
                    kind: r.kind.clone(),
                    slug: r.slug.clone(),
                    title: r.title.clone(),
                    url: r.url.clone(),
                    mention: r.mention,
                })
                .collect(),
            lists: s
                .lists
                .iter()
                .enumerate()
                .map(|(k, l)| ListView {
                    k,
                    caption: l.caption.clone(),
                    of: l.of.clone(),
                    kinds: l.kinds.clone(),
                    bodies: l.bodies.clone(),
                    levels: l.levels.clone(),
                    page_listed: l.page_listed.clone(),
                    complete: l.complete,
                })
                .collect(),
            errors: problems.sections.remove(&i).unwrap_or_default(),
            picks,
            pick_error,
            can_up: outline.previous_sibling(i).is_some(),
            can_down: outline.next_sibling(i).is_some(),
            can_indent: outline.previous_sibling(i).is_some(),
            can_outdent: s.depth > 1,
            children: Vec::new(),
        });
    }
    let invalid = !problems.dossier.is_empty() || flat.iter().any(|s| !s.errors.is_empty());
    EditView {
        slug: page.slug,
        csrf: page.csrf,
        base: outline.base,
        draft: outline.draft,
        title: outline.title,
        description: outline.description,
        source: outline.source,
        comment: outline.comment,
        count: flat.len(),
        sections: tree(flat),
        errors: problems.dossier,
        invalid,
        notice: page.notice,
        trouble: page.trouble,
        conflict: page.conflict,
        focus: page.focus,
        buttons: page.buttons,
        ref_types: choices(form::REF_TYPES.to_vec()),
        document_kinds: choices(form::kinds_of(ListOf::Documents)),
        event_kinds: choices(form::kinds_of(ListOf::Events)),
        levels: choices(Level::ALL.iter().map(|l| (l.slug(), l.label())).collect()),
    }
}

/// The sections in reading order as a tree (iterative; depths are well formed).
fn tree(flat: Vec<SectionView>) -> Vec<SectionView> {
    let mut top: Vec<SectionView> = Vec::new();
    let mut open: Vec<SectionView> = Vec::new();
    fn close(open: &mut Vec<SectionView>, top: &mut Vec<SectionView>) {
        if let Some(s) = open.pop() {
            match open.last_mut() {
                Some(parent) => parent.children.push(s),
                None => top.push(s),
            }
        }
    }
    for s in flat {
        while open.last().is_some_and(|o| o.depth >= s.depth) {
            close(&mut open, &mut top);
        }
        open.push(s);
    }
    while !open.is_empty() {
        close(&mut open, &mut top);
    }
    top
}

/// The picker: records matching `query`, each with the link the commentary would use
/// as reference `next`; a query the search cannot read is said so.
fn picker(
    search: &SearchIndex,
    query: &str,
    next: usize,
) -> (Option<Vec<PickView>>, Option<String>) {
    let req = SearchRequest {
        query: query.to_string(),
        sort: Sort::Relevance,
        page: 1,
        per_page: PICKER_HITS,
        facets: false,
    };
    match search.search(&req) {
        Ok(results) => (
            Some(
                results
                    .hits
                    .into_iter()
                    .filter(|h| RecordType::parse(&h.record).is_some())
                    .map(|h| PickView {
                        syntax: form::ref_syntax(&h.title, next),
                        kind_label: h
                            .kind
                            .as_deref()
                            .and_then(dossier_search::index::kind_label)
                            .map(str::to_string),
                        record: h.record,
                        slug: h.slug,
                        title: h.title,
                        url: h.url,
                        date: h.date,
                    })
                    .collect(),
            ),
            None,
        ),
        Err(dossier_search::SearchError::Query(e)) => (None, Some(e.to_string())),
        Err(e) => {
            tracing::warn!(error = %e, "the outline editor's picker could not search");
            (None, Some("The search failed; try again.".into()))
        }
    }
}
