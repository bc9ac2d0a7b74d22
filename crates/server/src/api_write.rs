//! `/api/v1` writes: `PUT`, `PATCH` (JSON Merge Patch, RFC 7396) and `DELETE` of a record,
//! the list of its revisions, and revert. The rules (rights, drafts and review, validation,
//! versions) are `dossier-editing`'s, the same the web forms apply; here is the HTTP:
//!
//! - a Bearer token (the accounts layer resolved it, or answered 401 for a bad one): none
//!   is 401 with `WWW-Authenticate: Bearer`, a read-scope token or a missing right 403;
//! - `If-Match` with the ETag a GET gave (`"v{version}"`, also as the response cache sent
//!   it compressed, `"v3-gz"`), or `*`: absent is 428, stale 412, so no one's change is lost;
//! - the body: at most [`MAX_BODY`] (413), `application/merge-patch+json` for `PATCH` and
//!   `application/json` for `PUT` (415), JSON (400);
//! - the answer: 200 with the record and its new ETag when published, 202 with the revision
//!   when kept as a draft (a contributor's or an editor's change, `?draft=true`,
//!   `?review=true`), 422 problem+json listing `errors` by field when the record breaks a
//!   rule. Nothing is saved unless the answer is 200 or 202.
//!
//! Store work runs on the request workers ([`AppState::blocking`]).

use crate::api::version_tag;
use crate::error::HttpError;
use crate::routes::{checked, AppState};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use dossier_auth::{Bearer, Right};
use dossier_editing::patch::merge_patch;
use dossier_editing::{EditError, Editing, FieldError, Intent, Who};
use dossier_model::RecordType;
use dossier_publish::api::{self, ApiError};
use dossier_publish::site::Site;
use dossier_store::{Revision, RevisionQuery, Status, Store};
use serde::Serialize;
use serde_json::Value;

/// The largest body a write takes (a record with its full text fits many times over).
pub(crate) const MAX_BODY: usize = 1 << 20;
/// What is read of a larger body before it is refused, so that the client, still sending,
/// gets the 413 rather than a broken connection; past this the connection is closed.
const READ_LIMIT: usize = 4 * MAX_BODY;
/// What is read of the body of a request without a token before its 401.
const ANONYMOUS_LIMIT: usize = 64 * 1024;
/// The longest comment (`?comment=`), in characters.
const MAX_COMMENT: usize = 1000;
/// Revisions per page of the list, by default and at most.
const DEFAULT_REVISIONS: usize = 100;
const MAX_REVISIONS: usize = 500;

/// RFC 5789's header: the patch formats a resource takes (sent with a 415).
const ACCEPT_PATCH: header::HeaderName = header::HeaderName::from_static("accept-patch");

/// The record types the API writes, by the plural of their paths.
const COLLECTIONS: [(&str, RecordType); 5] = [
    ("documents", RecordType::Document),
    ("bodies", RecordType::Body),
    ("people", RecordType::Person),
    ("events", RecordType::Event),
    ("topics", RecordType::Topic),
];

/// The write routes, merged into the API's router (its error layer and CORS apply).
pub(crate) fn router() -> Router<AppState> {
    let mut router = Router::new();
    for (plural, ty) in COLLECTIONS {
        let one = move |method: Method| {
            move |State(state): State<AppState>,
                  Path(slug): Path<String>,
                  RawQuery(query): RawQuery,
                  request: Request| {
                let method = method.clone();
                async move { write(state, ty, method, slug, query, request).await }
            }
        };
        router = router
            .route(
                &format!("/api/v1/{plural}/{{slug}}"),
                put(one(Method::PUT))
                    .patch(one(Method::PATCH))
                    .delete(one(Method::DELETE)),
            )
            .route(
                &format!("/api/v1/{plural}/{{slug}}/revisions"),
                get(
                    move |State(state): State<AppState>,
                          Path(slug): Path<String>,
                          RawQuery(query): RawQuery,
                          request: Request| async move {
                        list_revisions(state, ty, plural, slug, query, request).await
                    },
                ),
            )
            .route(
                &format!("/api/v1/{plural}/{{slug}}/revisions/{{id}}/revert"),
                post(
                    move |State(state): State<AppState>,
                          Path((slug, id)): Path<(String, String)>,
                          RawQuery(query): RawQuery,
                          request: Request| async move {
                        revert(state, ty, slug, id, query, request).await
                    },
                ),
            );
    }
    router
}

/// Why a write was not done: a refusal written here as problem+json, or an error of the
/// server's own kinds, which the API's error layer writes.
#[derive(Debug)]
enum Failed {
    Refused(Refusal),
    Http(HttpError),
}

/// A refusal: its status, what to tell the client, the fields at fault (422) and the
/// headers it needs (`WWW-Authenticate`, the current `ETag`, `Connection: close`).
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    detail: String,
    errors: Option<Vec<FieldError>>,
    headers: Vec<(header::HeaderName, String)>,
}

impl Refusal {
    fn new(status: StatusCode, detail: impl Into<String>) -> Refusal {
        Refusal {
            status,
            detail: detail.into(),
            errors: None,
            headers: Vec::new(),
        }
    }

    fn with(mut self, name: header::HeaderName, value: impl Into<String>) -> Refusal {
        self.headers.push((name, value.into()));
        self
    }

    /// Ends the connection after the answer (its body was not read to the end).
    fn closing(self) -> Refusal {
        self.with(header::CONNECTION, "close")
    }

    fn unauthorized() -> Refusal {
        Refusal::new(
            StatusCode::UNAUTHORIZED,
            "Changing the archive needs an API token: send `Authorization: Bearer TOKEN` \
             with a token of write scope (`dossier token create --scope write`).",
        )
        .with(header::WWW_AUTHENTICATE, "Bearer realm=\"dossier\"")
    }

    fn invalid(errors: Vec<FieldError>) -> Refusal {
        let detail = match errors.as_slice() {
            [one] => format!("The record was not saved: {one}."),
            _ => format!(
                "The record was not saved: {} problems, listed in `errors`.",
                errors.len()
            ),
        };
        Refusal {
            errors: Some(errors),
            ..Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
        }
    }
}

impl From<Refusal> for Failed {
    fn from(r: Refusal) -> Failed {
        Failed::Refused(r)
    }
}

impl From<HttpError> for Failed {
    fn from(e: HttpError) -> Failed {
        Failed::Http(e)
    }
}

impl From<ApiError> for Failed {
    fn from(e: ApiError) -> Failed {
        Failed::Http(e.into())
    }
}

impl From<dossier_store::StoreError> for Failed {
    fn from(e: dossier_store::StoreError) -> Failed {
        Failed::Http(HttpError::Internal(Box::new(e)))
    }
}

impl From<serde_json::Error> for Failed {
    fn from(e: serde_json::Error) -> Failed {
        Failed::Http(e.into())
    }
}

impl From<EditError> for Failed {
    fn from(e: EditError) -> Failed {
        let message = e.to_string();
        match e {
            EditError::Forbidden(m) => Refusal::new(StatusCode::FORBIDDEN, m).into(),
            EditError::NotFound(m) => Failed::Http(HttpError::NotFound(m)),
            EditError::Invalid(errors) => Refusal::invalid(errors).into(),
            EditError::Conflict { current, .. } => {
                Refusal::new(StatusCode::PRECONDITION_FAILED, stale(current))
                    .with(header::ETAG, format!("\"v{current}\""))
                    .into()
            }
            EditError::NotADraft => Failed::Http(HttpError::BadRequest(message)),
            EditError::Store(e) => Failed::Http(HttpError::Internal(Box::new(e))),
        }
    }
}

/// The detail of a 412.
fn stale(current: i64) -> String {
    format!(
        "The record changed since you read it: it is at version {current} (ETag \"v{current}\"). \
         Nothing was saved; GET it again and apply your change to what it holds now."
    )
}

/// The problem+json body: RFC 9457, with `errors` on a 422.
#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl IntoResponse for Failed {
    fn into_response(self) -> Response {
        let r = match self {
            Failed::Http(e) => return e.into_response(),
            Failed::Refused(r) => r,
        };
        let body = serde_json::to_string(&Problem {
            kind: "about:blank",
            title: r.status.canonical_reason().unwrap_or("Refused"),
            status: r.status.as_u16(),
            detail: &r.detail,
            errors: r.errors.as_deref(),
        })
        .unwrap_or_default();
        let mut response = (r.status, body).into_response();
        let h = response.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for (name, value) in r.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        response
    }
}

/// What a write's query string asks: `?draft=true`, `?review=true`, `?comment=…`.
#[derive(Debug, Default, PartialEq)]
struct Options {
    draft: bool,
    review: bool,
    comment: String,
}

/// The query's pairs; a name outside `allowed`, or one given twice, is a 400.
fn pairs(query: Option<&str>, allowed: &[&str]) -> Result<Vec<(String, String)>, Failed> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    for (i, (name, _)) in pairs.iter().enumerate() {
        if !allowed.contains(&name.as_str()) {
            let name: String = name.chars().take(100).collect();
            return Err(HttpError::BadRequest(format!(
                "Unknown parameter `{name}`; this request takes {}.",
                allowed
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .into());
        }
        if pairs[..i].iter().any(|(n, _)| n == name) {
            return Err(HttpError::BadRequest(format!("`{name}` is given more than once.")).into());
        }
    }
    Ok(pairs)
}

/// `true` or `false`.
fn flag(name: &str, value: &str) -> Result<bool, Failed> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(HttpError::BadRequest(format!(
            "`{name}` must be `true` or `false`, not `{}`.",
            value.chars().take(100).collect::<String>()
        ))
        .into()),
    }
}

/// A revision's comment: at most [`MAX_COMMENT`] characters, no control characters.
fn comment(value: &str) -> Result<String, Failed> {
    let value = value.trim();
    if value.chars().count() > MAX_COMMENT {
        return Err(HttpError::BadRequest(format!(
            "`comment` is longer than {MAX_COMMENT} characters."
        ))
        .into());
    }
    if value.chars().any(char::is_control) {
        return Err(
            HttpError::BadRequest("`comment` must be one line of text.".to_string()).into(),
        );
    }
    Ok(value.to_string())
}

impl Options {
    fn parse(query: Option<&str>) -> Result<Options, Failed> {
        let mut options = Options::default();
        for (name, value) in pairs(query, &["draft", "review", "comment"])? {
            match name.as_str() {
                "draft" => options.draft = flag(&name, &value)?,
                "review" => options.review = flag(&name, &value)?,
                _ => options.comment = comment(&value)?,
            }
        }
        if options.draft && options.review {
            return Err(HttpError::BadRequest(
                "Give `draft=true` (keep it as a draft) or `review=true` (a draft sent to \
                 review), not both."
                    .into(),
            )
            .into());
        }
        Ok(options)
    }

    /// What the change becomes: asked for, or the role's default (published for a
    /// reviewer, a draft for anyone else).
    fn intent(&self, who: &Who) -> Intent {
        if self.review {
            Intent::Review
        } else if self.draft {
            Intent::Draft
        } else {
            Intent::default_for(who.role)
        }
    }
}

/// The `If-Match` a write names: any current version (`*`), or these ETags.
#[derive(Debug, PartialEq)]
enum Precondition {
    Any,
    Tags(Vec<String>),
}

impl Precondition {
    /// The request's `If-Match`, or `None` when it has none. A weak tag never matches
    /// (RFC 9110, 13.1.1: `If-Match` compares strongly); the coding suffix the response
    /// cache adds to a compressed answer's tag is dropped.
    fn of(headers: &HeaderMap) -> Option<Precondition> {
        let mut present = false;
        let mut tags = Vec::new();
        for value in headers.get_all(header::IF_MATCH) {
            present = true;
            let Ok(value) = value.to_str() else { continue };
            for tag in value.split(',').map(str::trim) {
                if tag == "*" {
                    return Some(Precondition::Any);
                }
                if let Some(inner) = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                    tags.push(crate::cache::without_coding(inner).to_string());
                }
            }
        }
        present.then_some(Precondition::Tags(tags))
    }

    /// Whether it holds for a record at `version`.
    fn holds(&self, version: i64) -> bool {
        match self {
            Precondition::Any => true,
            Precondition::Tags(tags) => {
                let current = format!("v{version}");
                tags.contains(&current)
            }
        }
    }
}

/// The media type of a request, lowercased, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next()?.trim().to_ascii_lowercase();
    (!media.is_empty()).then_some(media)
}

/// The editing service over the state's store; a store that keeps no revisions cannot be
/// edited through the API.
fn editing(state: &AppState) -> Result<Editing, Failed> {
    Editing::new(state.store.clone()).ok_or_else(|| {
        HttpError::NotFound("This archive keeps no revisions, so it cannot be changed here.".into())
            .into()
    })
}

/// Runs `work` with the store on a request worker ([`AppState::blocking`]).
async fn on_worker<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&dyn Store) -> Result<T, Failed> + Send + 'static,
) -> Result<T, Failed> {
    state
        .blocking(move |store| Ok::<_, HttpError>(work(store)))
        .await?
}

/// Brings the search index up to the store after a published change, so that searches
/// find it at once; a failure is logged (the index catches up at its next sync).
fn sync_search(state: &AppState, store: &dyn Store) {
    if let Err(e) = state.search.sync(store) {
        tracing::warn!(error = %e, "the search index did not follow a change made through the API");
    }
}

/// The word for one record of a type, for messages.
fn what(ty: RecordType) -> &'static str {
    ty.as_str()
}

/// A record's API resource (what its GET answers), as JSON.
fn resource(store: &dyn Store, site: &Site, ty: RecordType, slug: &str) -> Result<Vec<u8>, Failed> {
    let none: &api::Params = &[];
    Ok(match ty {
        RecordType::Document => serde_json::to_vec(&api::find_document(store, site, slug, none)?)?,
        RecordType::Body => serde_json::to_vec(&api::find_body(store, site, slug, none)?)?,
        RecordType::Person => serde_json::to_vec(&api::find_person(store, site, slug, none)?)?,
        RecordType::Event => serde_json::to_vec(&api::find_event(store, site, slug, none)?)?,
        RecordType::Topic => serde_json::to_vec(&api::find_topic(store, site, slug, none)?)?,
        RecordType::Dossier => serde_json::to_vec(&api::find_dossier(store, site, slug, none)?)?,
    })
}

/// A revision as the API shows it.
#[derive(Debug, Serialize)]
struct ApiRevision {
    id: i64,
    /// `document`, `body`, `person`, `event`, `topic`.
    #[serde(rename = "type")]
    record: &'static str,
    slug: String,
    /// `published`, `draft`, `review`, `returned` or `discarded`.
    status: &'static str,
    /// The record's version this revision made (published ones).
    version: Option<i64>,
    /// The published version it was made from (0: the record did not exist).
    base: i64,
    /// Whether it deletes the record.
    deleted: bool,
    /// The account's name, or what wrote it (`import: data/x.toml`, `load-builtin`).
    author: String,
    /// `web`, `api`, `import`, `builtin`, `cli` or `revert`.
    origin: &'static str,
    /// When it was made (RFC 3339, UTC).
    time: String,
    comment: String,
    reviewer: Option<String>,
    review_comment: Option<String>,
    /// Its page: the diff of a published revision, the draft's page otherwise.
    url: String,
    /// The record in the API.
    record_url: String,
}

impl ApiRevision {
    fn new(site: &Site, plural: &str, r: &Revision) -> ApiRevision {
        let page = match r.status {
            Status::Published => format!(
                "/{}/{}/revisions/{}",
                page_collection(r.record),
                r.slug,
                r.id
            ),
            _ => format!("/drafts/{}", r.id),
        };
        ApiRevision {
            id: r.id,
            record: r.record.as_str(),
            slug: r.slug.clone(),
            status: r.status.as_str(),
            version: r.version,
            base: r.base,
            deleted: r.deleted,
            author: r.author.name.clone(),
            origin: r.author.origin.as_str(),
            time: dossier_publish::time::rfc3339(r.at),
            comment: r.comment.clone(),
            reviewer: r.reviewer.as_ref().map(|a| a.name.clone()),
            review_comment: r.review_comment.clone(),
            url: site.page_url(&page),
            record_url: site.url(&format!("/api/v1/{plural}/{}", r.slug)),
        }
    }
}

/// The plural of a type in the site's page paths (`/documents/…`, `/people/…`).
fn page_collection(ty: RecordType) -> &'static str {
    match ty {
        RecordType::Dossier => "dossiers",
        RecordType::Document => "documents",
        RecordType::Body => "bodies",
        RecordType::Person => "people",
        RecordType::Event => "events",
        RecordType::Topic => "topics",
    }
}

/// JSON with a status, never kept by a cache (a write's answer is for its author).
fn json(status: StatusCode, body: Vec<u8>, etag: Option<String>) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(v) = etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
        h.insert(header::ETAG, v);
    }
    r
}

/// The body of a request with a token, read whole up to [`READ_LIMIT`]; past
/// [`MAX_BODY`] it is refused (413).
async fn read_body(body: axum::body::Body) -> Result<axum::body::Bytes, Failed> {
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "The body is larger than {} MiB, the most a write takes.",
                MAX_BODY >> 20
            ),
        )
    };
    match axum::body::to_bytes(body, READ_LIMIT).await {
        Ok(bytes) if bytes.len() <= MAX_BODY => Ok(bytes),
        Ok(_) => Err(too_large().into()),
        Err(_) => Err(too_large().closing().into()),
    }
}

/// The token of a request, or the 401 (its body read first, if small, so that the
/// connection can carry the client's next request).
async fn bearer_of(request: Request) -> Result<(Bearer, Request), Failed> {
    if let Some(bearer) = request.extensions().get::<Bearer>().cloned() {
        return Ok((bearer, request));
    }
    let refusal = Refusal::unauthorized();
    let body = request.into_body();
    Err(match axum::body::to_bytes(body, ANONYMOUS_LIMIT).await {
        Ok(_) => refusal.into(),
        Err(_) => refusal.closing().into(),
    })
}

/// The 403 for a person who may not do what `right` allows.
fn forbidden(who: &Who, right: Right) -> Failed {
    let detail = if !who.write {
        "This token may only read: changing the archive needs a token of write scope.".to_string()
    } else {
        format!(
            "Your role ({}) may not do this: it needs the right `{}` ({}).",
            who.role.name(),
            right.name(),
            right.describe().to_lowercase()
        )
    };
    Refusal::new(StatusCode::FORBIDDEN, detail).into()
}

/// `PUT`, `PATCH` or `DELETE` of a record.
async fn write(
    state: AppState,
    ty: RecordType,
    method: Method,
    slug: String,
    query: Option<String>,
    request: Request,
) -> Result<Response, Failed> {
    let (bearer, request) = bearer_of(request).await?;
    let who = Who::api(&bearer);
    let (parts, body) = request.into_parts();
    let body = read_body(body).await?;
    let options = Options::parse(query.as_deref())?;
    let intent = options.intent(&who);
    if !who.can(intent.right()) {
        return Err(forbidden(&who, intent.right()));
    }
    let slug = checked(slug, what(ty))?;
    // What the request changes: a merge patch, the whole record, or nothing (a deletion).
    let change = match method {
        Method::PATCH | Method::PUT => {
            let wanted = if method == Method::PATCH {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            let given = media_type(&parts.headers);
            if given.as_deref() != Some(wanted) {
                let mut refusal = Refusal::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!(
                        "{method} takes `Content-Type: {wanted}`, not {}.",
                        given.map_or("none".to_string(), |g| format!("`{g}`"))
                    ),
                );
                if method == Method::PATCH {
                    refusal = refusal.with(ACCEPT_PATCH, wanted);
                }
                return Err(refusal.into());
            }
            let value: Value = serde_json::from_slice(&body)
                .map_err(|e| HttpError::BadRequest(format!("The body is not JSON: {e}.")))?;
            if !value.is_object() {
                return Err(Refusal::invalid(vec![FieldError::new(
                    "",
                    if method == Method::PATCH {
                        "a merge patch of a record must be a JSON object of the fields to change"
                    } else {
                        "a record must be a JSON object"
                    },
                )])
                .into());
            }
            Some(value)
        }
        _ => None,
    };
    let Some(precondition) = Precondition::of(&parts.headers) else {
        return Err(Refusal::new(
            StatusCode::PRECONDITION_REQUIRED,
            "A change needs `If-Match` with the record's ETag from a GET (or `*`), so that \
             it cannot overwrite a change you have not seen.",
        )
        .into());
    };
    let editing = editing(&state)?;
    let site = state.site();
    let plural = page_collection(ty);
    let st = state.clone();
    on_worker(&state, move |store| {
        let Some((current, version)) = editing.current(ty, &slug)? else {
            return Err(HttpError::no_record(what(ty), &slug).into());
        };
        if !precondition.holds(version) {
            return Err(
                Refusal::new(StatusCode::PRECONDITION_FAILED, stale(version))
                    .with(header::ETAG, format!("\"v{version}\""))
                    .into(),
            );
        }
        let value = match (method, change) {
            (Method::PATCH, Some(patch)) => {
                let mut value = current;
                merge_patch(&mut value, &patch);
                Some(value)
            }
            (_, Some(mut whole)) => {
                if let Some(object) = whole.as_object_mut() {
                    object
                        .entry("slug")
                        .or_insert_with(|| Value::String(slug.clone()));
                }
                Some(whole)
            }
            (_, None) => None,
        };
        let revision = editing.save(&who, ty, &slug, value, version, intent, &options.comment)?;
        if revision.status != Status::Published {
            let body = serde_json::to_vec(&ApiRevision::new(&site, plural, &revision))?;
            return Ok(json(StatusCode::ACCEPTED, body, None));
        }
        sync_search(&st, store);
        if revision.deleted {
            let body = serde_json::to_vec(&ApiRevision::new(&site, plural, &revision))?;
            return Ok(json(StatusCode::OK, body, None));
        }
        let body = resource(store, &site, ty, &slug)?;
        Ok(json(StatusCode::OK, body, version_tag(store, ty, &slug)?))
    })
    .await
}

/// `GET /api/v1/{types}/{slug}/revisions`: newest first, `?before=ID&limit=N` to page
/// (a `Link` to the next page); published ones for everyone, drafts only for who may see
/// them (their author, an editor).
async fn list_revisions(
    state: AppState,
    ty: RecordType,
    plural: &'static str,
    slug: String,
    query: Option<String>,
    request: Request,
) -> Result<Response, Failed> {
    let who = request.extensions().get::<Bearer>().map(Who::api);
    let mut before = None;
    let mut limit = DEFAULT_REVISIONS;
    for (name, value) in pairs(query.as_deref(), &["before", "limit"])? {
        let number = value.parse::<i64>().ok().filter(|n| *n >= 1);
        match (name.as_str(), number) {
            ("before", Some(n)) => before = Some(n),
            ("limit", Some(n)) if n as usize <= MAX_REVISIONS => limit = n as usize,
            _ => {
                return Err(HttpError::BadRequest(format!(
                    "`{name}` must be a whole number{}.",
                    if name == "limit" {
                        format!(" from 1 to {MAX_REVISIONS}")
                    } else {
                        " (a revision's id)".to_string()
                    }
                ))
                .into())
            }
        }
    }
    let slug = checked(slug, what(ty))?;
    let editing = editing(&state)?;
    let site = state.site();
    let (body, link) = on_worker(&state, move |store| {
        let Some(revisions) = store.revisions() else {
            return Err(HttpError::no_record(what(ty), &slug).into());
        };
        let q = RevisionQuery {
            record: Some(ty),
            slug: Some(slug.clone()),
            // Without a token, only what readers see; with one, what the service
            // lets this person see of the rest.
            statuses: if who.is_some() {
                Vec::new()
            } else {
                vec![Status::Published]
            },
            before,
            limit,
            with_data: false,
            ..RevisionQuery::default()
        };
        let found = revisions.revisions(&q)?;
        let next = (found.len() == limit)
            .then(|| found.last().map(|r| r.id))
            .flatten();
        let shown: Vec<ApiRevision> = found
            .iter()
            .filter(|r| editing.can_see(who.as_ref(), r))
            .map(|r| ApiRevision::new(&site, plural, r))
            .collect();
        if shown.is_empty() && before.is_none() && revisions.version(ty, &slug)? == 0 {
            return Err(HttpError::no_record(what(ty), &slug).into());
        }
        let link = next.map(|id| {
            format!(
                "<{}?before={id}&limit={limit}>; rel=\"next\"",
                site.url(&format!("/api/v1/{plural}/{slug}/revisions"))
            )
        });
        Ok((serde_json::to_vec(&shown)?, link))
    })
    .await?;
    let mut r = json(StatusCode::OK, body, None);
    // Readers' lists may be kept by the response cache (drafts never reach them); a
    // token's answer is private (the accounts layer says so).
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(v) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        r.headers_mut().insert(header::LINK, v);
    }
    Ok(r)
}

/// `POST /api/v1/{types}/{slug}/revisions/{id}/revert`: a new published revision with
/// revision `id`'s record (a deletion deletes, a revision of a deleted record restores
/// it). Needs the right to revert; `If-Match`, when given, must hold.
async fn revert(
    state: AppState,
    ty: RecordType,
    slug: String,
    id: String,
    query: Option<String>,
    request: Request,
) -> Result<Response, Failed> {
    let (bearer, request) = bearer_of(request).await?;
    let who = Who::api(&bearer);
    let (parts, body) = request.into_parts();
    read_body(body).await?;
    let mut note = String::new();
    for (_, value) in pairs(query.as_deref(), &["comment"])? {
        note = comment(&value)?;
    }
    if !who.can(Right::Revert) {
        return Err(forbidden(&who, Right::Revert));
    }
    let slug = checked(slug, what(ty))?;
    let Some(to) = id.parse::<i64>().ok().filter(|n| *n >= 1) else {
        return Err(HttpError::NotFound("There is no such revision.".into()).into());
    };
    let precondition = Precondition::of(&parts.headers);
    let editing = editing(&state)?;
    let site = state.site();
    let plural = page_collection(ty);
    let st = state.clone();
    on_worker(&state, move |store| {
        let Some(revisions) = store.revisions() else {
            return Err(HttpError::NotFound("There is no such revision.".into()).into());
        };
        if let Some(precondition) = precondition {
            let version = revisions.version(ty, &slug)?;
            if !precondition.holds(version) {
                return Err(
                    Refusal::new(StatusCode::PRECONDITION_FAILED, stale(version))
                        .with(header::ETAG, format!("\"v{version}\""))
                        .into(),
                );
            }
        }
        let made = editing.revert(&who, ty, &slug, to, &note)?;
        sync_search(&st, store);
        let body = serde_json::to_vec(&ApiRevision::new(&site, plural, &made))?;
        let tag = if made.deleted {
            None
        } else {
            version_tag(store, ty, &slug)?
        };
        Ok(json(StatusCode::OK, body, tag))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn if_match_takes_the_tag_in_any_coding_or_a_star() {
        assert_eq!(Precondition::of(&HeaderMap::new()), None);
        let p = Precondition::of(&headers(&[("if-match", "\"v3\"")])).unwrap();
        assert!(p.holds(3) && !p.holds(4));
        for tag in ["\"v3-gz\"", "\"v3-br\"", "\"v2\", \"v3\""] {
            assert!(Precondition::of(&headers(&[("if-match", tag)]))
                .unwrap()
                .holds(3));
        }
        // Weak tags never match; a bare word is no tag.
        for tag in ["W/\"v3\"", "v3", "\"v33\"", ""] {
            let p = Precondition::of(&headers(&[("if-match", tag)])).unwrap();
            assert!(!p.holds(3), "{tag}");
        }
        assert!(Precondition::of(&headers(&[("if-match", "*")]))
            .unwrap()
            .holds(9));
        // Two headers are one list.
        let p = Precondition::of(&headers(&[("if-match", "\"v1\""), ("if-match", "\"v5\"")]));
        assert!(p.unwrap().holds(5));
    }

    #[test]
    fn options_are_checked() {
        assert_eq!(Options::parse(None).unwrap(), Options::default());
        let o = Options::parse(Some("review=true&comment=Fix+the+date")).unwrap();
        assert!(o.review && !o.draft);
        assert_eq!(o.comment, "Fix the date");
        for bad in [
            "draft=yes",
            "draft=true&review=true",
            "frobnicate=1",
            "draft=true&draft=false",
            "comment=a%0Ab",
        ] {
            assert!(Options::parse(Some(bad)).is_err(), "{bad}");
        }
        let long = format!("comment={}", "x".repeat(MAX_COMMENT + 1));
        assert!(Options::parse(Some(&long)).is_err());
    }

    #[test]
    fn media_types_ignore_parameters_and_case() {
        let h = headers(&[("content-type", "Application/JSON; charset=utf-8")]);
        assert_eq!(media_type(&h).as_deref(), Some("application/json"));
        assert_eq!(media_type(&HeaderMap::new()), None);
    }
}
