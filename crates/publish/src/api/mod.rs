//! The JSON API, version 1 (`/api/v1`): the resources, their field names (a contract:
//! every field is always present, `null` or `[]` when empty, and `openapi.json` describes
//! each one), filters and cursor pagination. HTTP matters (ETags, CORS, problem+json) are
//! the server's; this module answers with values or an [`ApiError`], which the server
//! turns into its one error type.
//!
//! The API's field names follow the records' (the data file's) names, but the API is its
//! own layer: a change to the storage format does not change it. One module per resource;
//! [`params`] reads query parameters, [`paging`] pages lists, [`record`] holds what every
//! record resource carries (addresses, stamps, provenance).

mod bodies;
mod documents;
mod dossiers;
mod events;
mod paging;
mod params;
mod people;
mod record;
mod search;
mod topics;

pub use bodies::{find_body, list_bodies, ApiBody, ApiBodyLink};
pub use documents::{find_document, list_documents, ApiDocument, ApiRelation};
pub use dossiers::{
    find_dossier, find_section, list_dossiers, list_sections, ApiDossier, ApiList, ApiReference,
    ApiSection, ApiTarget,
};
pub use events::{find_event, list_events, ApiEvent};
pub use paging::{next_link, Page, Paged, DEFAULT_LIMIT, MAX_LIMIT};
pub use people::{find_person, list_people, ApiOffice, ApiPerson};
pub use record::{ApiProvenance, ApiSource, ApiTrace, Meta, RecordMeta};
pub use search::{
    search, ApiFacet, ApiFacetValue, ApiHit, SearchPage, MAX_SEARCH_LIMIT, SEARCH_WINDOW,
};
pub use topics::{find_topic, list_topics, ApiTopic};

use crate::site::Site;
use crate::PublishError;
use params::only;
use serde::Serialize;

/// The OpenAPI 3.1 document that describes this API.
pub const OPENAPI: &str = include_str!("../../openapi.json");

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_openapi_document_is_json() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
