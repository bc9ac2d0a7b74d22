//! `/api/v1/people`: people and their offices.

use super::paging::Page;
use super::record::{date, find, list_in_dossier, record_meta, RecordMeta};
use super::{Params, Result};
use crate::site::Site;
use crate::views::{identifier_views, IdentifierView};
use dossier_model::RecordType;
use dossier_model::*;
use dossier_store::Store;
use serde::Serialize;

/// A person.
#[derive(Debug, Serialize)]
pub struct ApiPerson {
    pub slug: String,
    pub name: String,
    /// Other names the person is known by.
    pub aliases: Vec<String>,
    pub offices: Vec<ApiOffice>,
    pub summary: Option<String>,
    /// Its identifiers in authority files (Wikidata, VIAF, ISNI, GND), with their
    /// addresses.
    pub identifiers: Vec<IdentifierView>,
    #[serde(flatten)]
    pub record: RecordMeta,
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
        record: record_meta(
            store,
            site,
            RecordType::Person,
            &p.slug,
            p.dossiers,
            p.provenance,
        )?,
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
        identifiers: identifier_views(&p.identifiers),
        slug: p.slug,
        name: p.name,
        aliases: p.aliases,
        summary: p.summary,
    })
}

pub fn list_people(store: &dyn Store, site: &Site, params: &Params) -> Result<Page<ApiPerson>> {
    list_in_dossier(
        params,
        |d| store.people(d),
        |r| person_resource(store, site, r),
    )
}

pub fn find_person(
    store: &dyn Store,
    site: &Site,
    slug: &str,
    params: &Params,
) -> Result<ApiPerson> {
    find(
        params,
        "person",
        slug,
        || store.person(slug),
        |r| person_resource(store, site, r),
    )
}
