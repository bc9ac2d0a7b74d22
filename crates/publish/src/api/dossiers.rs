//! `/api/v1/dossiers`: dossiers, and their sections in reading order.

use super::paging::{paginate, Page};
use super::params::only;
use super::record::{find, meta, not_found, Meta};
use super::{ApiError, Params, Result};
use crate::site::Site;
use crate::views::url_of;
use dossier_model::RecordType;
use dossier_model::*;
use dossier_store::Store;
use serde::Serialize;

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
    let summary = || Ok(store.dossiers()?.into_iter().find(|d| d.slug == slug));
    find(params, "dossier", slug, summary, |s| {
        dossier_resource(store, site, s)
    })
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
    /// Sentences of the commentary with the date they were last known to hold (issue 25).
    pub claims: Vec<super::record::ApiClaim>,
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
    /// How many items the source page listed; `null` when the list is not a page's.
    pub page_listed: Option<u32>,
    /// Whether an editor checked that the archive holds every record of the list.
    pub complete: bool,
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
                    page_listed: l.page_listed,
                    complete: l.complete,
                })
                .collect(),
            claims: s.claims.iter().map(super::record::api_claim).collect(),
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
