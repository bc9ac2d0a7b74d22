//! `/reconcile`: the W3C Reconciliation Service API, version 0.2 (the one OpenRefine
//! speaks), over the archive's bodies, people, documents and events, so that a researcher
//! matches a spreadsheet's names to this archive's records.
//!
//! - `GET /reconcile` answers the service manifest; with `?queries=` (or `POST` with the
//!   form field `queries=`, as OpenRefine sends it) a batch of queries: each with `query`,
//!   `type` (one id or a list), `type_strict` (`any`, `should`, `all`), `limit` and
//!   `properties` (`kind`, `date`, `wikidata`, `viaf`, `isni`, `gnd`; Wikidata's P213,
//!   P214 and P227 name the last three). The answer maps each key to its candidates:
//!   `id`, `name`, `type`, `score` (0–100), `match` and `description`.
//! - Entity ids are `{type}/{slug}` (`body/nato`, `person/javier-solana`), unique across
//!   types; `/reconcile/view/{{id}}` sends a browser to the record's page (301), whether
//!   the client writes the `/` or `%2F`.
//! - `/reconcile/preview?id=` is a small HTML card for OpenRefine's frame (every text
//!   escaped; its own CSP: no script, no style, framable from anywhere).
//! - `/reconcile/suggest/{entity,type,property}?prefix=` complete as one types.
//!
//! Scores and `match` come from `dossier_authority` (a match is only ever the one record
//! with the identifier or the name asked for, never a guess among several). The index is
//! held in memory and kept current with the store: before each answer the store's last
//! change is read, and the changes since the index was made are applied (or the index is
//! rebuilt after a large import), so no answer is older than the last committed write.
//!
//! Bounds: at most [`MAX_QUERIES`] queries a batch, a body of at most [`MAX_BODY`] bytes,
//! a query text of at most [`MAX_TEXT`] characters, `limit` from 1 to [`MAX_LIMIT`];
//! anything else, and any value of the wrong JSON type, unknown field, type or property, is
//! a 400 (413 for a body too large) in problem+json that names the query and the field.
//! Any origin may call it (CORS), as OpenRefine runs in the user's browser.

use crate::error::{api_errors, HttpError};
use crate::routes::AppState;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use dossier_authority::{Authorities, Constraints, Entry, Query};
use dossier_model::html::escape_html;
use dossier_model::{is_valid_slug, ExternalId, IdScheme, RecordType};
use dossier_publish::site::Site;
use dossier_publish::views::url_of;
use dossier_store::{Store, StoreError};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use tower_http::cors::{Any, CorsLayer};

/// The most queries one batch may hold (OpenRefine sends 10 at a time).
pub const MAX_QUERIES: usize = 1_000;
/// The largest request body, in bytes.
pub const MAX_BODY: usize = 4 << 20;
/// The longest query text, in characters.
pub const MAX_TEXT: usize = 1_000;
/// The most candidates a query may ask for.
pub const MAX_LIMIT: usize = 100;
/// Candidates when a query does not say.
const DEFAULT_LIMIT: usize = 10;
/// The longest key of a query in a batch.
const MAX_KEY: usize = 200;
/// The most properties a query may give, and values a property.
const MAX_PROPERTIES: usize = 50;
/// Suggestions per answer, and the furthest a `cursor` may page.
const SUGGESTIONS: usize = 10;
const MAX_CURSOR: usize = 1_000;
/// After this many store changes the index is built again rather than followed.
const MAX_FOLLOWED: i64 = 20_000;
/// What the score of a candidate of a type the query only prefers (`type_strict =
/// should`) is multiplied by.
const OTHER_TYPE: f64 = 0.8;

/// The types the service reconciles against: id, name, plural.
const TYPES: [(RecordType, &str, &str); 4] = [
    (RecordType::Body, "Body", "bodies"),
    (RecordType::Person, "Person", "people"),
    (RecordType::Document, "Document", "documents"),
    (RecordType::Event, "Event", "events"),
];

/// The properties a query may give: id, name, description.
const PROPERTIES: [(&str, &str, &str); 6] = [
    (
        "kind",
        "Kind",
        "The record's kind: organisation, state, treaty, meeting… (slug or label)",
    ),
    (
        "date",
        "Date (year)",
        "The year a body was established, a document issued or an event held",
    ),
    ("wikidata", "Wikidata ID", "A Wikidata item, e.g. Q7184"),
    ("viaf", "VIAF ID", "A VIAF identifier (Wikidata P214)"),
    ("isni", "ISNI", "An ISNI (Wikidata P213)"),
    ("gnd", "GND ID", "A GND identifier (Wikidata P227)"),
];

/// The service's routes, with CORS for any origin and problem+json errors.
pub(crate) fn router() -> Router<AppState> {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT])
        .max_age(std::time::Duration::from_secs(86_400));
    Router::new()
        .route("/reconcile", get(get_reconcile).post(post_reconcile))
        .route("/reconcile/preview", get(preview))
        .route("/reconcile/view/{id}", get(view_one))
        .route("/reconcile/view/{kind}/{slug}", get(view_two))
        .route("/reconcile/suggest/entity", get(suggest_entity))
        .route("/reconcile/suggest/type", get(suggest_type))
        .route("/reconcile/suggest/property", get(suggest_property))
        .layer(Extension(Arc::new(ReconcileIndex::default())))
        .layer(middleware::map_response(api_errors))
        .layer(cors)
}

/// The authority index and the store change it reflects, kept current with the store.
#[derive(Default)]
pub(crate) struct ReconcileIndex {
    current: RwLock<Option<Indexed>>,
    /// Held by the one request that brings the index up to date; others wait for it
    /// rather than read the same changes again.
    updating: Mutex<()>,
}

pub(crate) struct Indexed {
    /// Every change up to this one is in the index.
    seq: i64,
    authorities: Authorities,
}

impl std::ops::Deref for Indexed {
    type Target = Authorities;
    fn deref(&self) -> &Authorities {
        &self.authorities
    }
}

/// The store's record types the index holds.
fn indexed(record: RecordType) -> bool {
    TYPES.iter().any(|(t, ..)| *t == record)
}

fn poisoned<T>(_: T) -> HttpError {
    HttpError::Internal("the reconciliation index's lock was poisoned by a panic".into())
}

fn internal(e: StoreError) -> HttpError {
    HttpError::Internal(Box::new(e))
}

impl ReconcileIndex {
    /// The index as of the store's latest change: the changes since the index was made
    /// are applied first (each changed record read again, or dropped when gone), or the
    /// index is built anew when there is none or the changes are many.
    pub(crate) fn current(
        &self,
        store: &dyn Store,
    ) -> Result<RwLockReadGuard<'_, Option<Indexed>>, HttpError> {
        let latest = store.last_change().map_err(internal)?;
        {
            let held = self.current.read().map_err(poisoned)?;
            if held.as_ref().is_some_and(|i| i.seq >= latest) {
                return Ok(held);
            }
        }
        let _updating = self.updating.lock().map_err(poisoned)?;
        let from = self
            .current
            .read()
            .map_err(poisoned)?
            .as_ref()
            .map(|i| i.seq);
        match from {
            Some(from) if from >= latest => {}
            Some(from) if latest - from <= MAX_FOLLOWED => {
                let mut seq = from;
                let mut changed: BTreeSet<(RecordType, String)> = BTreeSet::new();
                loop {
                    let changes = store.changes_since(seq, 1_000).map_err(internal)?;
                    let Some(last) = changes.last() else { break };
                    seq = last.seq;
                    changed.extend(
                        changes
                            .into_iter()
                            .filter(|c| indexed(c.record))
                            .map(|c| (c.record, c.slug)),
                    );
                }
                let mut now: Vec<(RecordType, String, Option<Entry>)> = Vec::new();
                for (record, slug) in changed {
                    let entry = store
                        .record(record, &slug)
                        .map_err(internal)?
                        .map(|r| Entry::of_record(&r));
                    now.push((record, slug, entry));
                }
                let mut held = self.current.write().map_err(poisoned)?;
                let index = held
                    .as_mut()
                    .expect("an index was there and only we replace it");
                for (record, slug, entry) in now {
                    match entry {
                        Some(e) => index.authorities.insert(e),
                        None => index.authorities.remove(record, &slug),
                    }
                }
                index.seq = seq.max(latest);
            }
            _ => {
                // Read before the build: a change committed during it is applied next time
                // (applying one twice does no harm).
                let seq = store.last_change().map_err(internal)?;
                let authorities = Authorities::from_store(store).map_err(internal)?;
                *self.current.write().map_err(poisoned)? = Some(Indexed { seq, authorities });
            }
        }
        drop(_updating);
        self.current.read().map_err(poisoned)
    }
}

/// The index, current, for a worker's closure.
fn authorities<'a>(
    index: &'a ReconcileIndex,
    store: &dyn Store,
) -> Result<RwLockReadGuard<'a, Option<Indexed>>, HttpError> {
    index.current(store)
}

/// A type's entry in [`TYPES`] by its id or plural, any case.
fn type_named(s: &str) -> Option<RecordType> {
    let s = s.trim();
    TYPES
        .iter()
        .find(|(t, name, plural)| {
            t.as_str().eq_ignore_ascii_case(s)
                || name.eq_ignore_ascii_case(s)
                || plural.eq_ignore_ascii_case(s)
        })
        .map(|(t, ..)| *t)
}

fn type_name(t: RecordType) -> &'static str {
    TYPES
        .iter()
        .find(|(x, ..)| *x == t)
        .map_or("Record", |(_, name, _)| *name)
}

/// The entity id of a record: `body/nato`.
fn entity_id(record: RecordType, slug: &str) -> String {
    format!("{}/{slug}", record.as_str())
}

/// A record's type and slug from an entity id; `None` when it is not one.
fn parse_id(id: &str) -> Option<(RecordType, &str)> {
    let (t, slug) = id.split_once('/')?;
    let t = TYPES.iter().find(|(x, ..)| x.as_str() == t)?.0;
    is_valid_slug(slug).then_some((t, slug))
}

/// `s` cut for an error message (a hostile value is not echoed whole), quoted, with the
/// characters of markup written as escapes (`<` as `\u{3c}`), so that a message shown in
/// a page cannot become markup there.
fn quoted(s: &str) -> String {
    let cut: String = s.chars().take(60).collect();
    let more = if cut.len() < s.len() { "…" } else { "" };
    format!("{:?}", format!("{cut}{more}"))
        .chars()
        .map(|c| match c {
            '<' | '>' | '&' => c.escape_unicode().to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// The name of a JSON value's type, for messages.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One query of a batch, read.
#[derive(Debug)]
struct Parsed {
    key: String,
    query: Query,
    constraints: Constraints,
    /// `type_strict = should`: the types preferred, not required.
    preferred: Vec<RecordType>,
    /// `type_strict = all` with two types or more: no record has them all.
    impossible: bool,
}

/// Reads a batch (`{"q0": {"query": …}, …}`): every problem is a 400 that names the
/// query's key and the field.
fn parse_batch(text: &str) -> Result<Vec<Parsed>, HttpError> {
    let bad = |m: String| HttpError::BadRequest(m);
    let value: Value = serde_json::from_str(text)
        .map_err(|e| bad(format!("`queries` is not valid JSON: {e}.")))?;
    let Value::Object(batch) = value else {
        return Err(bad(format!(
            "`queries` must be a JSON object of queries by key, not {}.",
            json_type(&value)
        )));
    };
    if batch.len() > MAX_QUERIES {
        return Err(bad(format!(
            "A batch holds at most {MAX_QUERIES} queries; this one has {}.",
            batch.len()
        )));
    }
    batch
        .into_iter()
        .map(|(key, q)| parse_query(key, q))
        .collect()
}

fn parse_query(key: String, q: Value) -> Result<Parsed, HttpError> {
    if key.len() > MAX_KEY {
        return Err(HttpError::BadRequest(format!(
            "A query's key is at most {MAX_KEY} bytes long; {} is not.",
            quoted(&key)
        )));
    }
    let at = quoted(&key);
    let bad = |m: String| HttpError::BadRequest(format!("Query {at}: {m}"));
    let Value::Object(fields) = q else {
        return Err(bad(format!("must be an object, not {}.", json_type(&q))));
    };
    let mut query = Query {
        limit: DEFAULT_LIMIT,
        ..Query::default()
    };
    let mut constraints = Constraints::default();
    let mut types: Vec<RecordType> = Vec::new();
    let mut strict = "any";
    let mut has_properties = false;
    let mut has_query = false;
    for (field, v) in &fields {
        match field.as_str() {
            "query" => {
                let Value::String(s) = v else {
                    return Err(bad(format!(
                        "`query` must be a string, not {}.",
                        json_type(v)
                    )));
                };
                if s.chars().count() > MAX_TEXT {
                    return Err(bad(format!(
                        "`query` is longer than {MAX_TEXT} characters."
                    )));
                }
                query.text = s.clone();
                has_query = true;
            }
            "type" => {
                let ids: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                if ids.len() > TYPES.len() * 3 {
                    return Err(bad("`type` names too many types.".into()));
                }
                for id in ids {
                    let Value::String(id) = id else {
                        return Err(bad(format!(
                            "`type` must be a type id or a list of them, not {}.",
                            json_type(id)
                        )));
                    };
                    let t = type_named(id).ok_or_else(|| {
                        bad(format!(
                            "`type` {} is not one of body, person, document, event.",
                            quoted(id)
                        ))
                    })?;
                    if !types.contains(&t) {
                        types.push(t);
                    }
                }
            }
            "type_strict" => {
                strict = match v.as_str() {
                    Some(s @ ("any" | "should" | "all")) => s,
                    _ => {
                        return Err(bad(
                            "`type_strict` must be \"any\", \"should\" or \"all\".".into()
                        ))
                    }
                }
            }
            "limit" => {
                let n = v
                    .as_f64()
                    .filter(|n| n.fract() == 0.0 && *n >= 1.0 && *n <= MAX_LIMIT as f64);
                query.limit = n.ok_or_else(|| {
                    bad(format!(
                        "`limit` must be a whole number from 1 to {MAX_LIMIT}."
                    ))
                })? as usize;
            }
            "properties" => {
                let Value::Array(props) = v else {
                    return Err(bad(format!(
                        "`properties` must be a list of {{\"pid\", \"v\"}}, not {}.",
                        json_type(v)
                    )));
                };
                if props.len() > MAX_PROPERTIES {
                    return Err(bad(format!("at most {MAX_PROPERTIES} properties.")));
                }
                has_properties |= !props.is_empty();
                for (i, p) in props.iter().enumerate() {
                    property(p, &mut query, &mut constraints)
                        .map_err(|m| bad(format!("properties[{i}]: {m}")))?;
                }
            }
            other => {
                return Err(bad(format!(
                    "{} is not a field of a query (query, type, type_strict, limit, properties).",
                    quoted(other)
                )))
            }
        }
    }
    if !has_query && !has_properties {
        return Err(bad("a query needs `query` or `properties`.".into()));
    }
    let (preferred, impossible) = match strict {
        "should" => (std::mem::take(&mut types), false),
        "all" => (Vec::new(), types.len() > 1),
        _ => (Vec::new(), false),
    };
    query.types = types;
    Ok(Parsed {
        key,
        query,
        constraints,
        preferred,
        impossible,
    })
}

/// The scheme a property id stands for: its name, or Wikidata's property for it.
fn scheme_of(pid: &str) -> Option<IdScheme> {
    match pid.to_ascii_uppercase().as_str() {
        "P214" => Some(IdScheme::Viaf),
        "P213" => Some(IdScheme::Isni),
        "P227" => Some(IdScheme::Gnd),
        _ => IdScheme::parse(pid),
    }
}

/// Reads one `{"pid", "v"}` into the query and its constraints. A value of a cell that is
/// not a valid identifier (or year) constrains nothing: it is the spreadsheet's data, not
/// a malformed request, and one bad cell should not fail its neighbours' batch.
fn property(p: &Value, query: &mut Query, c: &mut Constraints) -> Result<(), String> {
    let Value::Object(p) = p else {
        return Err(format!("must be {{\"pid\", \"v\"}}, not {}.", json_type(p)));
    };
    if let Some(k) = p.keys().find(|k| !matches!(k.as_str(), "pid" | "v")) {
        return Err(format!(
            "{} is not a field of a property (pid, v).",
            quoted(k)
        ));
    }
    let Some(Value::String(pid)) = p.get("pid") else {
        return Err("`pid` must be a property id (a string).".into());
    };
    let Some(v) = p.get("v") else {
        return Err("`v` is missing.".into());
    };
    let values: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    if values.len() > MAX_PROPERTIES {
        return Err(format!("at most {MAX_PROPERTIES} values."));
    }
    let mut texts = Vec::with_capacity(values.len());
    for v in values {
        texts.push(match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Object(o) => match o.get("id") {
                Some(Value::String(id)) => id.clone(),
                _ => return Err("a value given as an object needs an `id` string.".into()),
            },
            other => {
                return Err(format!(
                    "`v` must be a string, number, boolean, {{\"id\"}} or a list of them, not {}.",
                    json_type(other)
                ))
            }
        });
    }
    let texts: Vec<&str> = texts
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    match pid.trim().to_ascii_lowercase().as_str() {
        "kind" => c.kind = texts.first().map(|t| t.chars().take(100).collect()),
        "date" | "year" => c.year = texts.iter().find_map(|t| year_of(t)),
        other => {
            let Some(scheme) = scheme_of(other) else {
                return Err(format!(
                    "{} is not a property of this service (kind, date, wikidata, viaf, isni, gnd).",
                    quoted(pid)
                ));
            };
            for t in texts {
                // An entity value reconciled against Wikidata may be its URL.
                let t = t.rsplit('/').next().unwrap_or(t);
                if let Ok(id) = ExternalId::new(scheme, t) {
                    query.identifiers.push(id);
                }
            }
        }
    }
    Ok(())
}

/// The year at the start of a date (`1997`, `1997-05-27`, `1997.0`); `None` otherwise.
fn year_of(t: &str) -> Option<i32> {
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let rest = &t[4..];
    (rest.is_empty() || rest.starts_with('-') || rest == ".0")
        .then(|| digits.parse().ok())
        .flatten()
}

/// A candidate as the specification writes it.
#[derive(Serialize)]
struct Candidate {
    id: String,
    name: String,
    #[serde(rename = "type")]
    types: Vec<TypeRef>,
    score: f64,
    #[serde(rename = "match")]
    matched: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Serialize, Clone)]
struct TypeRef {
    id: &'static str,
    name: &'static str,
}

fn type_ref(t: RecordType) -> TypeRef {
    TypeRef {
        id: t.as_str(),
        name: type_name(t),
    }
}

#[derive(Serialize)]
struct Results {
    result: Vec<Candidate>,
}

/// Answers each query of a batch from the index.
fn answer_batch(a: &Authorities, batch: Vec<Parsed>) -> BTreeMap<String, Results> {
    batch
        .into_iter()
        .map(|p| {
            let result = if p.impossible {
                Vec::new()
            } else {
                let mut found = a.candidates_with(&p.query, &p.constraints);
                if !p.preferred.is_empty() {
                    for c in &mut found {
                        if !p.preferred.contains(&c.record) {
                            c.score = (c.score * OTHER_TYPE * 10.0).round() / 10.0;
                            c.matched = false;
                        }
                    }
                    found.sort_by(|x, y| y.score.total_cmp(&x.score));
                }
                found
                    .into_iter()
                    .map(|c| Candidate {
                        id: entity_id(c.record, &c.slug),
                        description: a.get(c.record, &c.slug).and_then(|e| e.description.clone()),
                        name: c.name,
                        types: vec![type_ref(c.record)],
                        score: c.score,
                        matched: c.matched,
                    })
                    .collect()
            };
            (p.key, Results { result })
        })
        .collect()
}

/// Sends a value as JSON.
fn json(value: &impl Serialize) -> Result<Response, HttpError> {
    let body = serde_json::to_vec(value)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response())
}

/// A query string's parameters (the last of a repeated name wins).
fn params(q: Option<String>) -> BTreeMap<String, String> {
    form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// Runs a batch on a request worker.
async fn run_batch(
    state: AppState,
    index: Arc<ReconcileIndex>,
    text: String,
) -> Result<Response, HttpError> {
    let batch = parse_batch(&text)?;
    let answers = state
        .blocking(move |store| {
            let held = authorities(&index, store)?;
            let a = held.as_ref().expect("current() leaves an index");
            Ok::<_, HttpError>(answer_batch(a, batch))
        })
        .await?;
    json(&answers)
}

/// `GET /reconcile`: the manifest, or a batch given as `?queries=`.
async fn get_reconcile(
    State(state): State<AppState>,
    Extension(index): Extension<Arc<ReconcileIndex>>,
    RawQuery(q): RawQuery,
) -> Result<Response, HttpError> {
    let p = params(q);
    if let Some(queries) = p.get("queries") {
        return run_batch(state, index, queries.clone()).await;
    }
    if p.contains_key("query") {
        return Err(HttpError::BadRequest(
            "Give queries as `queries={\"q0\": {\"query\": …}}` (the Reconciliation API 0.2)."
                .into(),
        ));
    }
    json(&manifest(&state.site()))
}

/// `POST /reconcile`: a batch in the form field `queries` (or, as a convenience, the
/// batch itself as the `application/json` body).
async fn post_reconcile(
    State(state): State<AppState>,
    Extension(index): Extension<Arc<ReconcileIndex>>,
    request: Request,
) -> Result<Response, HttpError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/x-www-form-urlencoded")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return Ok(too_large()),
    };
    let text = match content_type.as_str() {
        "application/x-www-form-urlencoded" => {
            let form: BTreeMap<String, String> =
                form_urlencoded::parse(&body).into_owned().collect();
            form.get("queries").cloned().ok_or_else(|| {
                HttpError::BadRequest(
                    "The form has no `queries` field (a JSON batch of queries by key).".into(),
                )
            })?
        }
        "application/json" => String::from_utf8(body.to_vec())
            .map_err(|_| HttpError::BadRequest("The body is not UTF-8.".into()))?,
        other => {
            return Err(HttpError::BadRequest(format!(
                "Send the batch as application/x-www-form-urlencoded `queries=`, not {}.",
                quoted(other)
            )))
        }
    };
    run_batch(state, index, text).await
}

/// 413 in problem+json: the body is over [`MAX_BODY`].
fn too_large() -> Response {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": "Payload Too Large",
        "status": 413,
        "detail": format!("A reconciliation request's body is at most {MAX_BODY} bytes."),
    });
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

/// The service manifest (spec 0.2, section "Service manifest").
fn manifest(site: &Site) -> Value {
    let base = site.base_url().trim_end_matches('/');
    let types: Vec<Value> = TYPES
        .iter()
        .map(|(t, name, _)| serde_json::json!({"id": t.as_str(), "name": name}))
        .collect();
    let service = |path: &str| serde_json::json!({"service_url": base, "service_path": path});
    serde_json::json!({
        "versions": ["0.2"],
        "name": format!("{} (bodies, people, documents, events)", site.name),
        "identifierSpace": format!("{base}/reconcile/view/"),
        "schemaSpace": format!("{base}/reconcile/types/"),
        "serviceVersion": env!("CARGO_PKG_VERSION"),
        "defaultTypes": types,
        "view": {"url": format!("{base}/reconcile/view/{{{{id}}}}")},
        "preview": {
            "url": format!("{base}/reconcile/preview?id={{{{id}}}}"),
            "width": 420,
            "height": 180,
        },
        "suggest": {
            "entity": service("/reconcile/suggest/entity"),
            "type": service("/reconcile/suggest/type"),
            "property": service("/reconcile/suggest/property"),
        },
    })
}

/// The preview's policy: nothing may load or run; OpenRefine frames it from its own origin.
const PREVIEW_POLICY: &str =
    "default-src 'none'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors *";

/// `/reconcile/preview?id=body/nato`: a small card of the record (name, type, other names,
/// description, identifiers, a link to its page).
async fn preview(
    State(state): State<AppState>,
    Extension(index): Extension<Arc<ReconcileIndex>>,
    RawQuery(q): RawQuery,
) -> Result<Response, HttpError> {
    let id = params(q)
        .remove("id")
        .ok_or_else(|| HttpError::BadRequest("`id` is missing (e.g. id=body/nato).".into()))?;
    let (record, slug) = parse_id(&id)
        .map(|(t, s)| (t, s.to_string()))
        .ok_or_else(|| bad_id(&id))?;
    let site = state.site();
    let html = state
        .blocking(move |store| {
            let held = authorities(&index, store)?;
            let a = held.as_ref().expect("current() leaves an index");
            let e = a.get(record, &slug).ok_or_else(|| {
                HttpError::NotFound(format!("There is no record {}.", quoted(&id)))
            })?;
            Ok::<_, HttpError>(preview_html(e, &site))
        })
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, PREVIEW_POLICY),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response())
}

fn bad_id(id: &str) -> HttpError {
    HttpError::BadRequest(format!(
        "{} is not an entity id of this service: {{type}}/{{slug}}, e.g. body/nato.",
        quoted(id)
    ))
}

/// The preview card: every text escaped; links only to this site and to the identifiers'
/// authorities (whose addresses are made from checked values).
fn preview_html(e: &Entry, site: &Site) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    out.push_str(&escape_html(&e.name));
    out.push_str("</title></head><body>\n<p><strong>");
    out.push_str(&escape_html(&e.name));
    out.push_str("</strong> (");
    out.push_str(type_name(e.record));
    out.push_str(")</p>\n");
    if !e.names.is_empty() {
        out.push_str("<p>Also: ");
        let names: Vec<String> = e.names.iter().take(10).map(|n| escape_html(n)).collect();
        out.push_str(&names.join("; "));
        out.push_str("</p>\n");
    }
    if let Some(d) = &e.description {
        out.push_str("<p>");
        out.push_str(&escape_html(d));
        out.push_str("</p>\n");
    }
    for i in &e.identifiers {
        out.push_str(&format!(
            "<p>{}: <a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a></p>\n",
            i.scheme.label(),
            escape_html(&i.url()),
            escape_html(&i.value)
        ));
    }
    out.push_str(&format!(
        "<p><a href=\"{}\" target=\"_blank\" rel=\"noopener\">{}</a></p>\n</body></html>\n",
        escape_html(&site.page_url(&url_of(e.record, &e.slug))),
        escape_html(&entity_id(e.record, &e.slug))
    ));
    out
}

/// `/reconcile/view/body%2Fnato`: the record's page.
async fn view_one(Path(id): Path<String>) -> Result<Response, HttpError> {
    let (record, slug) = parse_id(&id).ok_or_else(|| bad_id(&id))?;
    Ok((
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, url_of(record, slug))],
    )
        .into_response())
}

/// `/reconcile/view/body/nato`: the record's page.
async fn view_two(Path((kind, slug)): Path<(String, String)>) -> Result<Response, HttpError> {
    view_one(Path(format!("{kind}/{slug}"))).await
}

#[derive(Serialize)]
struct Suggested {
    id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    notable: Vec<TypeRef>,
}

/// The `prefix` of a suggest request: required, at most [`MAX_TEXT`] characters.
fn prefix_of(p: &BTreeMap<String, String>) -> Result<String, HttpError> {
    let prefix = p
        .get("prefix")
        .ok_or_else(|| HttpError::BadRequest("`prefix` is missing.".into()))?;
    if prefix.chars().count() > MAX_TEXT {
        return Err(HttpError::BadRequest(format!(
            "`prefix` is longer than {MAX_TEXT} characters."
        )));
    }
    Ok(prefix.clone())
}

/// `/reconcile/suggest/entity?prefix=nat[&type=body][&cursor=10]`.
async fn suggest_entity(
    State(state): State<AppState>,
    Extension(index): Extension<Arc<ReconcileIndex>>,
    RawQuery(q): RawQuery,
) -> Result<Response, HttpError> {
    let p = params(q);
    let prefix = prefix_of(&p)?;
    let types: Vec<RecordType> = match p.get("type").filter(|t| !t.is_empty()) {
        None => Vec::new(),
        Some(t) => vec![type_named(t).ok_or_else(|| {
            HttpError::BadRequest(format!(
                "`type` {} is not one of body, person, document, event.",
                quoted(t)
            ))
        })?],
    };
    let cursor = match p.get("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => c
            .parse::<usize>()
            .ok()
            .filter(|c| *c <= MAX_CURSOR)
            .ok_or_else(|| {
                HttpError::BadRequest(format!(
                    "`cursor` must be a whole number from 0 to {MAX_CURSOR}."
                ))
            })?,
    };
    let result = state
        .blocking(move |store| {
            let held = authorities(&index, store)?;
            let a = held.as_ref().expect("current() leaves an index");
            Ok::<_, HttpError>(
                a.suggest(&prefix, &types, cursor + SUGGESTIONS)
                    .into_iter()
                    .skip(cursor)
                    .map(|e| Suggested {
                        id: entity_id(e.record, &e.slug),
                        name: e.name.clone(),
                        description: e.description.clone(),
                        notable: vec![type_ref(e.record)],
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .await?;
    json(&serde_json::json!({ "result": result }))
}

/// Whether `prefix` starts the id or a word of the name, any case (empty: everything).
fn starts(prefix: &str, id: &str, name: &str) -> bool {
    let p = prefix.trim().to_lowercase();
    p.is_empty()
        || id.to_lowercase().starts_with(&p)
        || name
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w.starts_with(&p))
}

/// `/reconcile/suggest/type?prefix=bo`.
async fn suggest_type(RawQuery(q): RawQuery) -> Result<Response, HttpError> {
    let prefix = prefix_of(&params(q))?;
    let result: Vec<Value> = TYPES
        .iter()
        .filter(|(t, name, plural)| {
            starts(&prefix, t.as_str(), name) || starts(&prefix, plural, plural)
        })
        .map(|(t, name, _)| serde_json::json!({"id": t.as_str(), "name": name}))
        .collect();
    json(&serde_json::json!({ "result": result }))
}

/// `/reconcile/suggest/property?prefix=wi`.
async fn suggest_property(RawQuery(q): RawQuery) -> Result<Response, HttpError> {
    let prefix = prefix_of(&params(q))?;
    let result: Vec<Value> = PROPERTIES
        .iter()
        .filter(|(id, name, _)| starts(&prefix, id, name))
        .map(|(id, name, description)| {
            serde_json::json!({"id": id, "name": name, "description": description})
        })
        .collect();
    json(&serde_json::json!({ "result": result }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_a_type_and_a_slug() {
        assert_eq!(parse_id("body/nato"), Some((RecordType::Body, "nato")));
        assert_eq!(
            parse_id("person/javier-solana"),
            Some((RecordType::Person, "javier-solana"))
        );
        assert_eq!(parse_id("topic/x"), None);
        assert_eq!(parse_id("body/../etc"), None);
        assert_eq!(parse_id("body/<script>"), None);
        assert_eq!(parse_id("nato"), None);
        assert_eq!(entity_id(RecordType::Event, "e"), "event/e");
    }

    #[test]
    fn years_of_dates() {
        assert_eq!(year_of("1997"), Some(1997));
        assert_eq!(year_of("1997-05-27"), Some(1997));
        assert_eq!(year_of("1997.0"), Some(1997));
        assert_eq!(year_of("97"), None);
        assert_eq!(year_of("19970"), None);
        assert_eq!(year_of("soon"), None);
    }

    #[test]
    fn batches_read_and_refuse() {
        let b = parse_batch(
            r#"{"q0": {"query": "NATO", "type": "body", "limit": 3,
                "properties": [{"pid": "wikidata", "v": "Q7184"}, {"pid": "P214", "v": 12345},
                               {"pid": "date", "v": "1949-04-04"}, {"pid": "kind", "v": {"id": "organisation"}}]},
                "q1": {"query": "x", "type": ["person", "Body"], "type_strict": "all"}}"#,
        )
        .unwrap();
        assert_eq!(b[0].query.limit, 3);
        assert_eq!(b[0].query.types, vec![RecordType::Body]);
        assert_eq!(b[0].query.identifiers.len(), 2);
        assert_eq!(b[0].constraints.year, Some(1949));
        assert_eq!(b[0].constraints.kind.as_deref(), Some("organisation"));
        assert!(b[1].impossible);
        let refused = |s: &str| match parse_batch(s) {
            Err(HttpError::BadRequest(m)) => m,
            other => panic!("{s}: {other:?}"),
        };
        assert!(refused("[]").contains("JSON object"));
        assert!(refused(r#"{"q0": {"query": 5}}"#).contains("`query` must be a string"));
        assert!(refused(r#"{"q0": {"query": "x", "limit": 0}}"#).contains("`limit`"));
        assert!(refused(r#"{"q0": {"query": "x", "limit": 1.5}}"#).contains("`limit`"));
        assert!(refused(r#"{"q0": {"query": "x", "type": "topic"}}"#).contains("not one of"));
        assert!(refused(r#"{"q0": {"query": "x", "evil": 1}}"#).contains("\"evil\" is not a field"));
        assert!(refused(r#"{"q0": {}}"#).contains("needs `query` or `properties`"));
        assert!(refused(
            r#"{"q0": {"query": "x", "properties": [{"pid": "colour", "v": "red"}]}}"#
        )
        .contains("\"colour\" is not a property"));
        assert!(
            refused(r#"{"q0": {"query": "x", "properties": [{"pid": "kind", "v": null}]}}"#)
                .contains("properties[0]")
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(refused(&deep).contains("not valid JSON"));
        let many: String = (0..=MAX_QUERIES)
            .map(|i| format!("\"q{i}\": {{\"query\": \"x\"}}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(refused(&format!("{{{many}}}")).contains("at most 1000 queries"));
        // A cell that is not an identifier constrains nothing.
        let b = parse_batch(
            r#"{"q": {"query": "x", "properties": [{"pid": "viaf", "v": "<script>"}]}}"#,
        )
        .unwrap();
        assert!(b[0].query.identifiers.is_empty());
    }

    #[test]
    fn previews_escape_every_text() {
        let e = Entry {
            record: RecordType::Body,
            slug: "x".into(),
            name: "<script>alert(1)</script>".into(),
            names: vec!["\"><img src=x onerror=alert(1)>".into()],
            identifiers: vec![ExternalId::new(IdScheme::Wikidata, "Q1").unwrap()],
            kind: "state".into(),
            date: None,
            description: Some("<b>bold</b> & more".into()),
        };
        let site = Site::new("https://example.org/").unwrap();
        let html = preview_html(&e, &site);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(
            html.contains("href=\"https://www.wikidata.org/entity/Q1\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"https://example.org/bodies/x\""),
            "{html}"
        );
    }
}
