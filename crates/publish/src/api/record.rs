//! What every record resource carries: its addresses (page and API), when it was added
//! and changed, and where its facts come from.

use super::paging::{paginate, Page};
use super::params::{only, slug_param};
use super::{ApiError, Params, Result};
use crate::site::Site;
use crate::views::url_of;
use dossier_model::RecordType;
use dossier_model::{Edtf, Provenance};
use dossier_store::{Store, StoreError};
use serde::Serialize;

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

pub(super) fn meta(store: &dyn Store, site: &Site, ty: RecordType, slug: &str) -> Result<Meta> {
    let stamps = store.stamps(ty, slug)?;
    Ok(Meta {
        url: site.page_url(&url_of(ty, slug)),
        api_url: site.url(&api_path(ty, slug)),
        created: stamps.as_ref().map(|s| s.created.clone()),
        changed: stamps.map(|s| s.changed),
    })
}

pub(super) fn api_path(ty: RecordType, slug: &str) -> String {
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

/// What every record resource but a dossier ends with: the dossiers it belongs to, where
/// its facts come from, and its [`Meta`].
#[derive(Debug, Serialize)]
pub struct RecordMeta {
    pub dossiers: Vec<String>,
    pub provenance: ApiProvenance,
    #[serde(flatten)]
    pub meta: Meta,
}

pub(super) fn record_meta(
    store: &dyn Store,
    site: &Site,
    ty: RecordType,
    slug: &str,
    dossiers: Vec<String>,
    p: Provenance,
) -> Result<RecordMeta> {
    Ok(RecordMeta {
        dossiers,
        provenance: provenance(p),
        meta: meta(store, site, ty, slug)?,
    })
}

/// Where a record's facts come from.
#[derive(Debug, Serialize)]
pub struct ApiProvenance {
    pub trace: Vec<ApiTrace>,
    pub sources: Vec<ApiSource>,
    pub gaps: Vec<String>,
    /// Dated facts (issue 25); left out when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ApiClaim>,
}

/// A fact with the date it was last known to hold: data, not aged (a page says whether
/// it is out of date on the day it is built).
#[derive(Debug, Serialize)]
pub struct ApiClaim {
    pub field: String,
    pub statement: Option<String>,
    /// EDTF.
    pub as_of: String,
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
        claims: p.claims.iter().map(api_claim).collect(),
    }
}

pub(super) fn api_claim(c: &dossier_model::Claim) -> ApiClaim {
    ApiClaim {
        field: c.field.clone(),
        statement: c.statement.clone(),
        as_of: c.as_of.to_string(),
    }
}

pub(super) fn date(d: Option<Edtf>) -> Option<String> {
    d.map(|d| d.to_string())
}

pub(super) fn not_found(what: &str, slug: &str) -> ApiError {
    ApiError::NotFound(format!("There is no {what} `{slug}` in the archive."))
}

/// A `find_*` endpoint: no parameters, the record by its slug or a 404, as a resource.
pub(super) fn find<R, T>(
    params: &Params,
    what: &str,
    slug: &str,
    lookup: impl FnOnce() -> std::result::Result<Option<R>, StoreError>,
    resource: impl FnOnce(R) -> Result<T>,
) -> Result<T> {
    only(params, &[])?;
    let record = lookup()?.ok_or_else(|| not_found(what, slug))?;
    resource(record)
}

/// A list filtered by nothing but `dossier` (bodies, people, topics), paged.
pub(super) fn list_in_dossier<R, T>(
    params: &Params,
    lookup: impl FnOnce(Option<&str>) -> std::result::Result<Vec<R>, StoreError>,
    resource: impl FnMut(R) -> Result<T>,
) -> Result<Page<T>> {
    only(params, &["dossier", "limit", "cursor"])?;
    let dossier = slug_param(params, "dossier")?;
    paginate(lookup(dossier.as_deref())?, params, resource)
}
