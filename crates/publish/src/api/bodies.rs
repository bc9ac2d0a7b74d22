//! `/api/v1/bodies`: organisations, states, councils.

use super::paging::Page;
use super::record::{date, find, list_in_dossier, record_meta, RecordMeta};
use super::{Params, Result};
use crate::site::Site;
use crate::views::{identifier_views, IdentifierView};
use dossier_model::RecordType;
use dossier_model::*;
use dossier_store::Store;
use serde::Serialize;

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
    /// Its identifiers in authority files (Wikidata, VIAF, ISNI, GND), with their
    /// addresses.
    pub identifiers: Vec<IdentifierView>,
    #[serde(flatten)]
    pub record: RecordMeta,
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
        record: record_meta(
            store,
            site,
            RecordType::Body,
            &b.slug,
            b.dossiers,
            b.provenance,
        )?,
        kind_label: b.kind.label(),
        established: date(b.established),
        ended: date(b.ended),
        predecessors: body_links(b.predecessors),
        successors: body_links(b.successors),
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
        identifiers: identifier_views(&b.identifiers),
    })
}

pub fn list_bodies(store: &dyn Store, site: &Site, params: &Params) -> Result<Page<ApiBody>> {
    list_in_dossier(
        params,
        |d| store.bodies(d),
        |r| body_resource(store, site, r),
    )
}

pub fn find_body(store: &dyn Store, site: &Site, slug: &str, params: &Params) -> Result<ApiBody> {
    find(
        params,
        "body",
        slug,
        || store.body(slug),
        |r| body_resource(store, site, r),
    )
}
