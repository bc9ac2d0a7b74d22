//! One view struct per page, built from the store. Each is both the page's JSON and the
//! template's context, so field names here are part of the JSON interface.
//!
//! One module per page kind (`home`, `dossier`, `chronology`, `document`, `body`,
//! `person`, `event`, `topic`, `search`); `links` (record cards) and `provenance`
//! (sources, citing sections) are the pieces every record page shares. Every public name
//! is re-exported here, so callers write `views::document`, `views::RecordLink`.

mod body;
mod browse;
mod chronology;
mod claims;
mod copies;
mod document;
mod dossier;
mod event;
mod holdings;
mod home;
mod links;
mod neighbours;
mod person;
mod provenance;
mod saved_queries;
mod search;
mod text;
mod topic;

pub use body::{
    body, identifier_views, BodyLinkView, BodyView, IdentifierView, MoreLink, BODY_LIST_PREVIEW,
};
pub use browse::{
    browse, collection_list, collection_page, dossier_list, type_label, BadBrowse, Browse,
    BrowseFacet, BrowseParams, BrowseQuery, BrowseView, Choice, CollectionInfo, CollectionItem,
    CollectionListView, DossierItem, DossierListView,
};
pub use chronology::{chronology, ChronologyEntry, ChronologyFilter, ChronologyView, KindChoice};
pub use claims::{as_of_text, claim_views, ClaimView, SectionClaimView};
pub use document::{document, document_of, DocumentView, SourceLinkView};
pub use dossier::{
    dossier, Counts, DossierView, ListView, ReferenceView, SectionView, LIST_PREVIEW,
};
pub use event::{event, EventView};
pub use holdings::{holdings, Holdings};
pub use home::{home, HomeView, MissingDossier};
pub use links::{Badge, RecordLink};
pub use neighbours::{neighbours, Neighbours};
pub use person::{person, OfficeView, PersonView};
pub use provenance::{web_source, web_url, CitationView, ProvenanceView, TraceView};
pub use saved_queries::{
    run_saved_queries, saved_queries, SavedQueryHit, SavedQueryView, SAVED_QUERY_HITS,
};
pub use search::{search, FacetGroupView, FacetValueView, SearchHitView, SearchView};
pub use text::{document_text, language_label, BlockView, DocumentTextView, TextChoice, TextView};
pub use topic::{topic, TopicView};

use crate::PublishError;
use dossier_model::Edtf;
use dossier_model::RecordType;
use serde::Serialize;

type Result<T> = std::result::Result<T, PublishError>;

/// The URL path of a record's page.
pub fn url_of(record: RecordType, slug: &str) -> String {
    match record {
        RecordType::Dossier => format!("/dossiers/{slug}"),
        RecordType::Document => format!("/documents/{slug}"),
        RecordType::Body => format!("/bodies/{slug}"),
        RecordType::Person => format!("/people/{slug}"),
        RecordType::Event => format!("/events/{slug}"),
        RecordType::Topic => format!("/topics/{slug}"),
    }
}

/// A date as JSON and readers want it: the EDTF string and the words.
#[derive(Debug, Clone, Serialize)]
pub struct DateView {
    pub edtf: String,
    pub human: String,
}

fn date_view(d: &Option<Edtf>) -> Option<DateView> {
    d.as_ref().map(|d| DateView {
        edtf: d.to_string(),
        human: d.human(),
    })
}

#[cfg(test)]
mod tests;
