//! The JSON API, version 1 (`/api/v1`): the resources, their field names (a contract:
//! every field is always present, `null` or `[]` when empty, and `openapi.json` describes
//! each one), filters and cursor pagination. HTTP matters (ETags, CORS, problem+json) are
//! the server's; this module answers with values or an [`ApiError`].
//!
//! The API's field names follow the records' (the data file's) names, but the API is its
//! own layer: a change to the storage format does not change it.

use crate::site::Site;
use crate::views::url_of;
use crate::PublishError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use dossier_model::*;
use dossier_store::{DocumentQuery, EventQuery, RecordType, Store};
use serde::Serialize;

/// The OpenAPI 3.1 document that describes this API.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Items per page when `limit` is not given, and the most a page may hold.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

/// Why a request cannot be answered (the server turns it into problem+json).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: a parameter is malformed or unknown; the message says which and why.
    #[error("{0}")]
    BadRequest(String),
    /// 404: no such record.
    #[error("{0}")]
    NotFound(String),
    /// 500: the store or a view failed.
    #[error(transparent)]
    Internal(#[from] PublishError),
}

impl From<dossier_store::StoreError> for ApiError {
    fn from(e: dossier_store::StoreError) -> Self {
        ApiError::Internal(PublishError::Store(e))
    }
}

type Result<T> = std::result::Result<T, ApiError>;

/// A request's query parameters, as (name, value) pairs.
pub type Params = [(String, String)];

fn param<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>> {
    let mut values = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
    let first = values.next();
    if values.next().is_some() {
        return Err(ApiError::BadRequest(format!(
            "The parameter `{name}` is given twice; give it once."
        )));
    }
    Ok(first.map(String::as_str).filter(|v| !v.is_empty()))
}

fn only(params: &Params, allowed: &[&str]) -> Result<()> {
    for (k, _) in params {
        if !allowed.contains(&k.as_str()) {
            let k: String = k.chars().take(60).collect();
            return Err(ApiError::BadRequest(if allowed.is_empty() {
                format!("`{k}` is not a parameter here; this endpoint takes none.")
            } else {
                format!(
                    "`{k}` is not a parameter here; the parameters are {}.",
                    allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }));
        }
    }
    Ok(())
}

fn slug_param(params: &Params, name: &str) -> Result<Option<String>> {
    match param(params, name)? {
        Some(v) if is_valid_slug(v) => Ok(Some(v.to_string())),
        Some(v) => Err(ApiError::BadRequest(format!(
            "`{name}` must be a slug (lowercase letters, digits and hyphens); `{}` is not.",
            v.chars().take(60).collect::<String>()
        ))),
        None => Ok(None),
    }
}

fn vocab_param<T: Copy>(
    params: &Params,
    name: &str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    slug: fn(T) -> &'static str,
) -> Result<Option<T>> {
    match param(params, name)? {
        None => Ok(None),
        Some(v) => parse(v).map(Some).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "`{}` is not a {name}; the values are: {}.",
                v.chars().take(60).collect::<String>(),
                all.iter().map(|k| slug(*k)).collect::<Vec<_>>().join(", ")
            ))
        }),
    }
}

// ---------------------------------------------------------------- pagination

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items the whole list holds.
    pub total: usize,
    pub limit: usize,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A page of a list: what the server needs to write the `Link` to the next page.
pub trait Paged {
    fn next_cursor(&self) -> Option<&str>;
}

impl<T> Paged for Page<T> {
    fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }
}

fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{offset}"))
}

fn decode_cursor(c: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(c).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("v1:")?.parse().ok()
}

/// `limit` and `cursor` from the request.
fn window(params: &Params) -> Result<(usize, usize)> {
    let limit = match param(params, "limit")? {
        None => DEFAULT_LIMIT,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "`limit` must be a whole number from 1 to {MAX_LIMIT}."
                )))
            }
        },
    };
    let offset = match param(params, "cursor")? {
        None => 0,
        Some(c) => decode_cursor(c).ok_or_else(|| {
            ApiError::BadRequest(
                "`cursor` is not one this API gave out; pass `next_cursor` from the previous page."
                    .into(),
            )
        })?,
    };
    Ok((offset, limit))
}

fn paginate<S, T>(
    all: Vec<S>,
    params: &Params,
    mut convert: impl FnMut(S) -> Result<T>,
) -> Result<Page<T>> {
    let (offset, limit) = window(params)?;
    let total = all.len();
    let items = all
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(&mut convert)
        .collect::<Result<Vec<_>>>()?;
    let next = offset.saturating_add(limit);
    Ok(Page {
        items,
        total,
        limit,
        next_cursor: (next < total).then(|| encode_cursor(next)),
    })
}

/// The query string of the next page, for a `Link: <…>; rel="next"` header.
pub fn next_link(params: &Params, cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "cursor")
        .cloned()
        .collect();
    pairs.push(("cursor".into(), cursor.into()));
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encoding for a query component (RFC 3986 unreserved characters kept).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------- resources

/// Where a record is, as a person and as a program reads it, and when it changed.
#[derive(Debug, Serialize)]
pub struct Meta {
    /// The record's HTML page.
    pub url: String,
    /// This resource.
    pub api_url: String,
    /// When the record was added and last changed (RFC 3339, UTC).
    pub created: Option<String>,
    pub changed: Option<String>,
}

fn meta(store: &dyn Store, site: &Site, ty: RecordType, slug: &str) -> Result<Meta> {
    let stamps = store.stamps(ty, slug)?;
    Ok(Meta {
        url: site.page_url(&url_of(ty, slug)),
        api_url: site.url(&api_path(ty, slug)),
        created: stamps.as_ref().map(|s| s.created.clone()),
        changed: stamps.map(|s| s.changed),
    })
}

fn api_path(ty: RecordType, slug: &str) -> String {
    let collection = match ty {
        RecordType::Dossier => "dossiers",
        RecordType::Document => "documents",
        RecordType::Body => "bodies",
        RecordType::Person => "people",
        RecordType::Event => "events",
        RecordType::Topic => "topics",
    };
    format!("/api/v1/{collection}/{slug}")
}

/// Where a record's facts come from.
#[derive(Debug, Serialize)]
pub struct ApiProvenance {
    pub trace: Vec<ApiTrace>,
    pub sources: Vec<ApiSource>,
    pub gaps: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ApiTrace {
    pub section: String,
    pub quote: String,
    pub fields: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ApiSource {
    pub title: String,
    pub url: Option<String>,
    pub fields: Vec<String>,
}

fn provenance(p: Provenance) -> ApiProvenance {
    ApiProvenance {
        trace: p
            .trace
            .into_iter()
            .map(|t| ApiTrace {
                section: t.section,
                quote: t.quote,
                fields: t.fields,
            })
            .collect(),
        sources: p
            .sources
            .into_iter()
            .map(|s| ApiSource {
                title: s.title,
                // Only absolute http(s) addresses, as on the pages.
                url: crate::views::web_url(s.url.as_deref()),
                fields: s.fields,
            })
            .collect(),
        gaps: p.gaps,
    }
}

fn date(d: Option<Edtf>) -> Option<String> {
    d.map(|d| d.to_string())
}

/// `/api/v1`: what the API offers.
#[derive(Debug, Serialize)]
pub struct ApiIndex {
    pub name: String,
    pub version: &'static str,
    pub openapi: String,
    pub dossiers: String,
    pub documents: String,
    pub bodies: String,
    pub people: String,
    pub events: String,
    pub topics: String,
    /// The search endpoint (it needs `q`).
    pub search: String,
}

pub fn index(site: &Site, params: &Params) -> Result<ApiIndex> {
    only(params, &[])?;
    let u = |p: &str| site.url(&format!("/api/v1/{p}"));
    Ok(ApiIndex {
        name: site.name.clone(),
        version: "v1",
        openapi: u("openapi.json"),
        dossiers: u("dossiers"),
        documents: u("documents"),
        bodies: u("bodies"),
        people: u("people"),
        events: u("events"),
        topics: u("topics"),
        search: u("search"),
    })
}

/// A dossier.
#[derive(Debug, Serialize)]
pub struct ApiDossier {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub source: Option<String>,
    /// How many documents and events belong to it.
    pub documents: usize,
    pub events: usize,
    /// Its sections, in reading order.
    pub sections_url: String,
    #[serde(flatten)]
    pub meta: Meta,
}

fn dossier_resource(
    store: &dyn Store,
    site: &Site,
    s: dossier_store::DossierSummary,
) -> Result<ApiDossier> {
    // A dossier that cannot be read still has its row in the list (and fails alone when
    // asked for), so the list of dossiers does not fail with it.
    let source = dossier_store::skip_corrupt(store.dossier(&s.slug))?
        .flatten()
        .and_then(|d| d.source);
    Ok(ApiDossier {
        sections_url: site.url(&format!("/api/v1/dossiers/{}/sections", s.slug)),
        meta: meta(store, site, RecordType::Dossier, &s.slug)?,
        slug: s.slug,
        title: s.title,
        description: s.description,
        source,
        documents: s.documents,
        events: s.events,
    })
}

pub fn list_dossiers(store: &dyn Store, site: &Site, params: &Params) -> Result<Page<ApiDossier>> {
    only(params, &["limit", "cursor"])?;
    paginate(store.dossiers()?, params, |s| {
        dossier_resource(store, site, s)
    })
}

pub fn find_dossier(
    store: &dyn Store,
    site: &Site,
    slug: &str,
    params: &Params,
) -> Result<ApiDossier> {
    only(params, &[])?;
    let s = store
        .dossiers()?
        .into_iter()
        .find(|d| d.slug == slug)
        .ok_or_else(|| not_found("dossier", slug))?;
    dossier_resource(store, site, s)
}

fn not_found(what: &str, slug: &str) -> ApiError {
    ApiError::NotFound(format!("There is no {what} `{slug}` in the archive."))
}

/// A section of a dossier's outline.
#[derive(Debug, Serialize)]
pub struct ApiSection {
    pub dossier: String,
    pub key: String,
    pub label: String,
    pub title: String,
    pub short_title: Option<String>,
    /// The parent section's key; `null` for a part (A., B.…).
    pub parent: Option<String>,
    /// 1 for a part, 2 below it, and so on.
    pub depth: usize,
    /// Place in reading order, from 0.
    pub position: usize,
    /// Markdown; `[text](ref:N)` points at `references[N-1]`.
    pub commentary: String,
    pub references: Vec<ApiReference>,
    pub lists: Vec<ApiList>,
    /// The keys of its child sections.
    pub children: Vec<String>,
    /// The section on the dossier's HTML page.
    pub url: String,
    pub api_url: String,
}

/// A reference a section makes.
#[derive(Debug, Serialize)]
pub struct ApiReference {
    pub n: usize,
    pub text: String,
    pub mention: bool,
    /// What it points at; `null` while unresolved (a gap).
    pub target: Option<ApiTarget>,
}

/// The target of a reference.
#[derive(Debug, Serialize)]
pub struct ApiTarget {
    /// `document`, `body`, `event`, `topic`, `person`, `dossier` or `external`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub slug: Option<String>,
    pub title: Option<String>,
    /// The target's page (absolute), or the outside address; `null` if not known.
    pub url: Option<String>,
}

/// A generated list (a saved query).
#[derive(Debug, Serialize)]
pub struct ApiList {
    pub caption: Option<String>,
    pub of: ListOf,
    pub kinds: Vec<String>,
    pub bodies: Vec<String>,
    pub levels: Vec<Level>,
}

fn target(site: &Site, t: &Target) -> ApiTarget {
    let record = |kind: &'static str, ty: RecordType, slug: &str| ApiTarget {
        kind,
        slug: Some(slug.to_string()),
        title: None,
        url: Some(site.page_url(&url_of(ty, slug))),
    };
    match t {
        Target::Document { slug } => record("document", RecordType::Document, slug),
        Target::Body { slug } => record("body", RecordType::Body, slug),
        Target::Event { slug } => record("event", RecordType::Event, slug),
        Target::Topic { slug } => record("topic", RecordType::Topic, slug),
        Target::Person { slug } => record("person", RecordType::Person, slug),
        Target::Dossier { slug, title } => ApiTarget {
            title: Some(title.clone()),
            ..record("dossier", RecordType::Dossier, slug)
        },
        Target::External { title, url } => ApiTarget {
            kind: "external",
            slug: None,
            title: Some(title.clone()),
            url: crate::views::web_url(url.as_deref()),
        },
    }
}

fn sections_of(site: &Site, d: &Dossier) -> Vec<ApiSection> {
    fn walk(
        site: &Site,
        dossier: &str,
        s: &Section,
        parent: Option<&str>,
        depth: usize,
        out: &mut Vec<ApiSection>,
    ) {
        let position = out.len();
        out.push(ApiSection {
            dossier: dossier.to_string(),
            key: s.key.clone(),
            label: s.label.clone(),
            title: s.title.clone(),
            short_title: s.short_title.clone(),
            parent: parent.map(str::to_string),
            depth,
            position,
            commentary: s.commentary.clone(),
            references: s
                .references
                .iter()
                .enumerate()
                .map(|(i, r)| ApiReference {
                    n: i + 1,
                    text: r.text.clone(),
                    mention: r.mention,
                    target: r.target.as_ref().map(|t| target(site, t)),
                })
                .collect(),
            lists: s
                .lists
                .iter()
                .map(|l| ApiList {
                    caption: l.caption.clone(),
                    of: l.of,
                    kinds: l.kinds.clone(),
                    bodies: l.bodies.clone(),
                    levels: l.levels.clone(),
                })
                .collect(),
            children: s.children.iter().map(|c| c.key.clone()).collect(),
            url: format!(
                "{}#{}",
                site.page_url(&url_of(RecordType::Dossier, dossier)),
                s.key
            ),
            api_url: site.url(&format!("/api/v1/dossiers/{dossier}/sections/{}", s.key)),
        });
        for c in &s.children {
            walk(site, dossier, c, Some(&s.key), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    for s in &d.sections {
        walk(site, &d.slug, s, None, 1, &mut out);
    }
    out
}

pub fn list_sections(
    store: &dyn Store,
    site: &Site,
    dossier: &str,
    params: &Params,
) -> Result<Page<ApiSection>> {
    only(params, &["limit", "cursor"])?;
    let d = store
        .dossier(dossier)?
        .ok_or_else(|| not_found("dossier", dossier))?;
    paginate(sections_of(site, &d), params, Ok)
}

pub fn find_section(
    store: &dyn Store,
    site: &Site,
    dossier: &str,
    key: &str,
    params: &Params,
) -> Result<ApiSection> {
    only(params, &[])?;
    let d = store
        .dossier(dossier)?
        .ok_or_else(|| not_found("dossier", dossier))?;
    sections_of(site, &d)
        .into_iter()
        .find(|s| s.key == key)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "The dossier `{dossier}` has no section with the key `{}`.",
                key.chars().take(60).collect::<String>()
            ))
        })
}

/// A document.
#[derive(Debug, Serialize)]
pub struct ApiDocument {
    pub slug: String,
    pub title: String,
    pub aliases: Vec<String>,
    pub kind: DocumentKind,
    pub kind_label: &'static str,
    /// EDTF (`1997-05-27`, `2001-11`, `2002-04-15?`, `1999/2000`).
    pub date: Option<String>,
    pub place: Option<String>,
    /// Body slugs.
    pub issued_by: Vec<String>,
    /// Person slugs.
    pub authors: Vec<String>,
    /// Body slugs.
    pub parties: Vec<String>,
    pub legal_status: LegalStatus,
    pub availability: Availability,
    pub languages: Vec<String>,
    pub summary: Option<String>,
    pub full_text: Option<String>,
    pub relations: Vec<ApiRelation>,
    pub dossiers: Vec<String>,
    pub provenance: ApiProvenance,
    #[serde(flatten)]
    pub meta: Meta,
}

#[derive(Debug, Serialize)]
pub struct ApiRelation {
    #[serde(rename = "type")]
    pub kind: DocumentRelation,
    pub document: String,
}

fn document_resource(store: &dyn Store, site: &Site, d: Document) -> Result<ApiDocument> {
    Ok(ApiDocument {
        meta: meta(store, site, RecordType::Document, &d.slug)?,
        kind_label: d.kind.label(),
        date: date(d.date),
        relations: d
            .relations
            .into_iter()
            .map(|r| ApiRelation {
                kind: r.kind,
                document: r.document,
            })
            .collect(),
        provenance: provenance(d.provenance),
        slug: d.slug,
        title: d.title,
        aliases: d.aliases,
        kind: d.kind,
        place: d.place,
        issued_by: d.issued_by,
        authors: d.authors,
        parties: d.parties,
        legal_status: d.legal_status,
        availability: d.availability,
        languages: d.languages,
        summary: d.summary,
        full_text: d.full_text,
        dossiers: d.dossiers,
    })
}

pub fn list_documents(
    store: &dyn Store,
    site: &Site,
    params: &Params,
) -> Result<Page<ApiDocument>> {
    only(params, &["dossier", "kind", "body", "limit", "cursor"])?;
    let kind = vocab_param(
        params,
        "kind",
        DocumentKind::from_slug,
        DocumentKind::ALL,
        DocumentKind::slug,
    )?;
    let q = DocumentQuery {
        dossier: slug_param(params, "dossier")?,
        kinds: kind.map(|k| k.slug().to_string()).into_iter().collect(),
        bodies: slug_param(params, "body")?.into_iter().collect(),
    };
    paginate(store.documents(&q)?, params, |d| {
        document_resource(store, site, d)
    })
}

pub fn find_document(
    store: &dyn Store,
    site: &Site,
    slug: &str,
    params: &Params,
) -> Result<ApiDocument> {
    only(params, &[])?;
    let d = store
        .document(slug)?
        .ok_or_else(|| not_found("document", slug))?;
    document_resource(store, site, d)
}

/// A body (an organisation, state, council…).
#[derive(Debug, Serialize)]
pub struct ApiBody {
    pub slug: String,
    pub name: String,
    pub acronyms: Vec<String>,
    pub aliases: Vec<String>,
    pub kind: BodyKind,
    pub kind_label: &'static str,
    pub established: Option<String>,
    pub ended: Option<String>,
    /// Document slug.
    pub founding_document: Option<String>,
    pub predecessors: Vec<ApiBodyLink>,
    pub successors: Vec<ApiBodyLink>,
    /// Body slug.
    pub part_of: Option<String>,
    pub format: Option<String>,
    pub decision_rule: Option<String>,
    pub summary: Option<String>,
    pub dossiers: Vec<String>,
    pub provenance: ApiProvenance,
    #[serde(flatten)]
    pub meta: Meta,
}

#[derive(Debug, Serialize)]
pub struct ApiBodyLink {
    pub slug: String,
    pub date: Option<String>,
}

fn body_links(l: Vec<BodyLink>) -> Vec<ApiBodyLink> {
    l.into_iter()
        .map(|b| ApiBodyLink {
            slug: b.slug,
            date: date(b.date),
        })
        .collect()
}

fn body_resource(store: &dyn Store, site: &Site, b: Body) -> Result<ApiBody> {
    Ok(ApiBody {
        meta: meta(store, site, RecordType::Body, &b.slug)?,
        kind_label: b.kind.label(),
        established: date(b.established),
        ended: date(b.ended),
        predecessors: body_links(b.predecessors),
        successors: body_links(b.successors),
        provenance: provenance(b.provenance),
        slug: b.slug,
        name: b.name,
        acronyms: b.acronyms,
        aliases: b.aliases,
        kind: b.kind,
        founding_document: b.founding_document,
        part_of: b.part_of,
        format: b.format,
        decision_rule: b.decision_rule,
        summary: b.summary,
        dossiers: b.dossiers,
    })
}

pub fn list_bodies(store: &dyn Store, site: &Site, params: &Params) -> Result<Page<ApiBody>> {
    only(params, &["dossier", "limit", "cursor"])?;
    let dossier = slug_param(params, "dossier")?;
    paginate(store.bodies(dossier.as_deref())?, params, |b| {
        body_resource(store, site, b)
    })
}

pub fn find_body(store: &dyn Store, site: &Site, slug: &str, params: &Params) -> Result<ApiBody> {
    only(params, &[])?;
    let b = store.body(slug)?.ok_or_else(|| not_found("body", slug))?;
    body_resource(store, site, b)
}

/// A person.
#[derive(Debug, Serialize)]
pub struct ApiPerson {
    pub slug: String,
    pub name: String,
    pub offices: Vec<ApiOffice>,
    pub summary: Option<String>,
    pub dossiers: Vec<String>,
    pub provenance: ApiProvenance,
    #[serde(flatten)]
    pub meta: Meta,
}

#[derive(Debug, Serialize)]
pub struct ApiOffice {
    pub title: String,
    /// Body slug.
    pub body: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

fn person_resource(store: &dyn Store, site: &Site, p: Person) -> Result<ApiPerson> {
    Ok(ApiPerson {
        meta: meta(store, site, RecordType::Person, &p.slug)?,
        offices: p
            .offices
            .into_iter()
            .map(|o| ApiOffice {
                title: o.title,
                body: o.body,
                start: date(o.start),
                end: date(o.end),
            })
            .collect(),
        provenance: provenance(p.provenance),
        slug: p.slug,
        name: p.name,
        summary: p.summary,
        dossiers: p.dossiers,
    })
}

pub fn list_people(store: &dyn Store, site: &Site, params: &Params) -> Result<Page<ApiPerson>> {
    only(params, &["dossier", "limit", "cursor"])?;
    let dossier = slug_param(params, "dossier")?;
    paginate(store.people(dossier.as_deref())?, params, |p| {
        person_resource(store, site, p)
    })
}

pub fn find_person(
    store: &dyn Store,
    site: &Site,
    slug: &str,
    params: &Params,
) -> Result<ApiPerson> {
    only(params, &[])?;
    let p = store
        .person(slug)?
        .ok_or_else(|| not_found("person", slug))?;
    person_resource(store, site, p)
}

/// An event (a meeting, summit, signing…).
#[derive(Debug, Serialize)]
pub struct ApiEvent {
    pub slug: String,
    pub title: String,
    pub kind: EventKind,
    pub kind_label: &'static str,
    pub date: Option<String>,
    pub bodies: Vec<String>,
    pub people: Vec<String>,
    pub level: Option<Level>,
    pub place: Option<String>,
    pub outcome_documents: Vec<String>,
    /// Whether a public statement came out of it; `null` when not known.
    pub public_statement: Option<bool>,
    pub summary: Option<String>,
    pub dossiers: Vec<String>,
    pub provenance: ApiProvenance,
    #[serde(flatten)]
    pub meta: Meta,
}

fn event_resource(store: &dyn Store, site: &Site, e: Event) -> Result<ApiEvent> {
    Ok(ApiEvent {
        meta: meta(store, site, RecordType::Event, &e.slug)?,
        kind_label: e.kind.label(),
        date: date(e.date),
        provenance: provenance(e.provenance),
        slug: e.slug,
        title: e.title,
        kind: e.kind,
        bodies: e.bodies,
        people: e.people,
        level: e.level,
        place: e.place,
        outcome_documents: e.outcome_documents,
        public_statement: e.public_statement,
        summary: e.summary,
        dossiers: e.dossiers,
    })
}

pub fn list_events(store: &dyn Store, site: &Site, params: &Params) -> Result<Page<ApiEvent>> {
    only(
        params,
        &["dossier", "kind", "body", "level", "limit", "cursor"],
    )?;
    let kind = vocab_param(
        params,
        "kind",
        EventKind::from_slug,
        EventKind::ALL,
        EventKind::slug,
    )?;
    let level = vocab_param(params, "level", Level::from_slug, Level::ALL, Level::slug)?;
    let q = EventQuery {
        dossier: slug_param(params, "dossier")?,
        kinds: kind.map(|k| k.slug().to_string()).into_iter().collect(),
        bodies: slug_param(params, "body")?.into_iter().collect(),
        levels: level.map(|l| l.slug().to_string()).into_iter().collect(),
    };
    paginate(store.events(&q)?, params, |e| {
        event_resource(store, site, e)
    })
}

pub fn find_event(store: &dyn Store, site: &Site, slug: &str, params: &Params) -> Result<ApiEvent> {
    only(params, &[])?;
    let e = store.event(slug)?.ok_or_else(|| not_found("event", slug))?;
    event_resource(store, site, e)
}

/// A topic: an area of co-operation or a source of disagreement.
#[derive(Debug, Serialize)]
pub struct ApiTopic {
    pub slug: String,
    pub title: String,
    pub kind: TopicKind,
    pub kind_label: &'static str,
    pub status: TopicStatus,
    pub status_label: &'static str,
    pub as_of: Option<String>,
    pub summary: Option<String>,
    /// Section keys.
    pub sections: Vec<String>,
    pub documents: Vec<String>,
    pub bodies: Vec<String>,
    pub dossiers: Vec<String>,
    pub provenance: ApiProvenance,
    #[serde(flatten)]
    pub meta: Meta,
}

fn topic_resource(store: &dyn Store, site: &Site, t: Topic) -> Result<ApiTopic> {
    Ok(ApiTopic {
        meta: meta(store, site, RecordType::Topic, &t.slug)?,
        kind_label: t.kind.label(),
        status_label: t.status.label(),
        as_of: date(t.as_of),
        provenance: provenance(t.provenance),
        slug: t.slug,
        title: t.title,
        kind: t.kind,
        status: t.status,
        summary: t.summary,
        sections: t.sections,
        documents: t.documents,
        bodies: t.bodies,
        dossiers: t.dossiers,
    })
}

pub fn list_topics(store: &dyn Store, site: &Site, params: &Params) -> Result<Page<ApiTopic>> {
    only(params, &["dossier", "limit", "cursor"])?;
    let dossier = slug_param(params, "dossier")?;
    paginate(store.topics(dossier.as_deref())?, params, |t| {
        topic_resource(store, site, t)
    })
}

pub fn find_topic(store: &dyn Store, site: &Site, slug: &str, params: &Params) -> Result<ApiTopic> {
    only(params, &[])?;
    let t = store.topic(slug)?.ok_or_else(|| not_found("topic", slug))?;
    topic_resource(store, site, t)
}

// ---------------------------------------------------------------- search

/// Hits per page of `/api/v1/search` at most: the search index returns at most 100 hits
/// for one request, and the page of the API is one or two of those.
pub const MAX_SEARCH_LIMIT: usize = 100;

/// How deep `/api/v1/search` pages: hits past the first 10,000 of a query are not given
/// out (`total` still counts them). Ranking every hit to reach a deep offset costs memory
/// and time in proportion to the offset; a narrower query (or `/api/v1/documents` with
/// its filters, for a full listing) reaches them instead. Search engines cap deep paging
/// the same way (Elasticsearch's `max_result_window` is also 10,000).
pub const SEARCH_WINDOW: usize = 10_000;

/// `/api/v1/search`: one page of the hits of a query, with the facets and the spelling
/// suggestion that the search page shows. The hits are those of `/search?q=` (same index,
/// same query language, same order), with absolute addresses.
#[derive(Debug, Serialize)]
pub struct SearchPage {
    /// The query, as run.
    pub query: String,
    pub sort: dossier_search::Sort,
    pub items: Vec<ApiHit>,
    /// How many records match (all of them, also past [`SEARCH_WINDOW`]).
    pub total: usize,
    pub limit: usize,
    /// Pass as `cursor` for the next page; `null` on the last page (or at the window's end).
    pub next_cursor: Option<String>,
    /// Counts of the matching records by kind, decade, year, body, dossier and language.
    pub facets: Vec<ApiFacet>,
    /// A corrected query when this one found nothing and a close spelling exists.
    pub suggestion: Option<String>,
}

impl Paged for SearchPage {
    fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }
}

/// One search hit.
#[derive(Debug, Serialize)]
pub struct ApiHit {
    /// `document`, `section`, `body`, `person`, `event` or `topic`.
    #[serde(rename = "type")]
    pub record: String,
    /// The record's slug; for a section, `dossier#key`.
    pub slug: String,
    pub title: String,
    /// The record's HTML page (for a section, its place on the dossier's page).
    pub url: String,
    /// The record in this API.
    pub api_url: String,
    /// EDTF.
    pub date: Option<String>,
    /// The date as a reader reads it (`27 May 1997`).
    pub date_human: Option<String>,
    pub kind: Option<String>,
    pub kind_label: Option<String>,
    /// An HTML fragment: the text is escaped and matched words are wrapped in `<mark>`.
    pub snippet: String,
    pub score: f32,
}

/// A facet and its values.
#[derive(Debug, Serialize)]
pub struct ApiFacet {
    /// `kind`, `decade`, `year`, `body`, `dossier` or `lang`.
    pub name: &'static str,
    pub label: &'static str,
    pub values: Vec<ApiFacetValue>,
}

/// A facet value: how many hits have it, and the query narrowed to it.
#[derive(Debug, Serialize)]
pub struct ApiFacetValue {
    pub value: String,
    pub label: String,
    pub count: u64,
    /// The current query with this value's filter added.
    pub query: String,
    /// That narrower search in this API.
    pub api_url: String,
}

fn hit_api_path(record: &str, slug: &str) -> String {
    match (record, RecordType::parse(record)) {
        ("section", _) => match slug.split_once('#') {
            Some((dossier, key)) => format!("/api/v1/dossiers/{dossier}/sections/{key}"),
            None => format!("/api/v1/dossiers/{slug}"),
        },
        (_, Some(ty)) => api_path(ty, slug),
        // The index holds no other type; a link to the search itself is harmless.
        _ => "/api/v1/search".into(),
    }
}

fn search_url(site: &Site, query: &str, sort: dossier_search::Sort) -> String {
    let mut s = format!("/api/v1/search?q={}", encode(query));
    if sort != dossier_search::Sort::Relevance {
        s.push_str(&format!("&sort={}", sort_slug(sort)));
    }
    site.url(&s)
}

fn sort_slug(sort: dossier_search::Sort) -> &'static str {
    match sort {
        dossier_search::Sort::Relevance => "relevance",
        dossier_search::Sort::Date => "date",
        dossier_search::Sort::DateDesc => "date-desc",
    }
}

/// The search page's `sort` values: `relevance` (the default), `date`, `date-desc`.
pub fn parse_sort(v: Option<&str>) -> std::result::Result<dossier_search::Sort, String> {
    match v.unwrap_or("") {
        "" | "relevance" => Ok(dossier_search::Sort::Relevance),
        "date" => Ok(dossier_search::Sort::Date),
        "date-desc" => Ok(dossier_search::Sort::DateDesc),
        other => Err(format!(
            "`sort` is relevance, date or date-desc, not `{}`.",
            other.chars().take(60).collect::<String>()
        )),
    }
}

/// Runs `/api/v1/search`: `q` (required, the search page's language), `sort`, `limit`
/// (1 to [`MAX_SEARCH_LIMIT`], default [`DEFAULT_LIMIT`]) and `cursor`. A malformed query
/// is a [`ApiError::BadRequest`] with the parser's message (what and where).
pub fn search(
    store: &dyn Store,
    index: &dossier_search::SearchIndex,
    site: &Site,
    params: &Params,
) -> Result<SearchPage> {
    only(params, &["q", "sort", "limit", "cursor"])?;
    let query = param(params, "q")?.map(str::trim).unwrap_or_default();
    if query.is_empty() {
        return Err(ApiError::BadRequest(
            "`q` is required: the query, in the language of the search page (words, \
             \"phrases\", AND/OR/NOT, kind: body: person: dossier: lang: year: date:A..B)."
                .into(),
        ));
    }
    let sort = parse_sort(param(params, "sort")?).map_err(ApiError::BadRequest)?;
    let limit = match param(params, "limit")? {
        None => DEFAULT_LIMIT,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_SEARCH_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "`limit` must be a whole number from 1 to {MAX_SEARCH_LIMIT} here."
                )))
            }
        },
    };
    let offset = match param(params, "cursor")? {
        None => 0,
        Some(c) => match decode_cursor(c) {
            Some(o) if o < SEARCH_WINDOW => o,
            _ => {
                return Err(ApiError::BadRequest(
                    "`cursor` is not one this API gave out; pass `next_cursor` from the \
                     previous page."
                        .into(),
                ))
            }
        },
    };
    // The index answers pages of `limit` hits; a cursor made with another `limit` falls
    // inside a page, so the window is read from that page and the next.
    let first_page = offset / limit;
    let skip = offset % limit;
    let run = |page: usize, facets: bool| -> Result<crate::views::SearchView> {
        let req = dossier_search::SearchRequest {
            query: query.to_string(),
            sort,
            page: page + 1,
            per_page: limit,
            facets,
        };
        let view = crate::views::search(store, index, &req)?;
        match view.error {
            Some(e) => Err(ApiError::BadRequest(e)),
            None => Ok(view),
        }
    };
    let first = run(first_page, true)?;
    let total = first.total;
    let mut hits: Vec<crate::views::SearchHitView> = first.hits.into_iter().skip(skip).collect();
    if skip > 0 && offset + hits.len() < total {
        let more = run(first_page + 1, false)?;
        hits.extend(more.hits.into_iter().take(limit - hits.len()));
    }
    let items = hits
        .into_iter()
        .map(|h| ApiHit {
            url: site.page_url(&h.url),
            api_url: site.url(&hit_api_path(&h.record, &h.slug)),
            record: h.record,
            slug: h.slug,
            title: h.title,
            date: h.date,
            date_human: h.date_human,
            kind: h.kind,
            kind_label: h.kind_label,
            snippet: h.snippet,
            score: h.score,
        })
        .collect();
    let next = offset + limit;
    let facets = first
        .facets
        .into_iter()
        .map(|g| ApiFacet {
            name: g.name,
            label: g.label,
            values: g
                .values
                .into_iter()
                .map(|v| ApiFacetValue {
                    api_url: search_url(site, &v.query, sort),
                    value: v.value,
                    label: v.label,
                    count: v.count,
                    query: v.query,
                })
                .collect(),
        })
        .collect();
    Ok(SearchPage {
        query: first.query,
        sort,
        items,
        total,
        limit,
        next_cursor: (next < total.min(SEARCH_WINDOW)).then(|| encode_cursor(next)),
        facets,
        suggestion: first.suggestion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(150)), Some(150));
        assert_eq!(decode_cursor("djE6LTE"), None); // "v1:-1"
        assert_eq!(decode_cursor("%%%"), None);
        assert_eq!(decode_cursor(""), None);
    }

    #[test]
    fn next_links_keep_filters() {
        let params = vec![
            ("kind".to_string(), "declaration".to_string()),
            ("cursor".to_string(), "old".to_string()),
            ("q".to_string(), "a b&c".to_string()),
        ];
        assert_eq!(
            next_link(&params, "djE6NTA"),
            "kind=declaration&q=a%20b%26c&cursor=djE6NTA"
        );
    }

    #[test]
    fn the_openapi_document_is_json() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
