//! An event's page: who took part, where, and the documents it produced.

use super::links::{named, Cards};
use super::provenance::{cited_in, provenance};
use super::{CitationView, ProvenanceView, RecordLink, Result};
use dossier_model::Level;
use dossier_model::RecordType;
use dossier_store::Store;
use serde::Serialize;

/// `/events/{slug}`.
#[derive(Debug, Serialize)]
pub struct EventView {
    pub slug: String,
    pub title: String,
    pub kind: String,
    pub kind_label: String,
    /// The EDTF date string, or null when not recorded.
    pub date: Option<String>,
    pub date_human: Option<String>,
    pub bodies: Vec<RecordLink>,
    pub people: Vec<RecordLink>,
    pub level: Option<Level>,
    pub level_label: Option<String>,
    pub place: Option<String>,
    pub outcome_documents: Vec<RecordLink>,
    pub public_statement: Option<bool>,
    pub summary: Option<String>,
    pub cited_in: Vec<CitationView>,
    pub provenance: ProvenanceView,
}

pub fn event(store: &dyn Store, slug: &str) -> Result<Option<EventView>> {
    let Some(e) = store.event(slug)? else {
        return Ok(None);
    };
    // Every record the page links to, in one batch per type.
    let cards = Cards::fetch(
        store,
        named(RecordType::Body, &e.bodies)
            .chain(named(RecordType::Person, &e.people))
            .chain(named(RecordType::Document, &e.outcome_documents)),
    )?;
    Ok(Some(EventView {
        bodies: cards.links(RecordType::Body, &e.bodies),
        people: cards.links(RecordType::Person, &e.people),
        outcome_documents: cards.links(RecordType::Document, &e.outcome_documents),
        cited_in: cited_in(store.citations(RecordType::Event, slug)?),
        provenance: provenance(store, &e.provenance, &e.dossiers)?,
        kind: e.kind.slug().into(),
        kind_label: e.kind.label().into(),
        date: e.date.map(|d| d.to_string()),
        date_human: e.date.map(|d| d.human()),
        level_label: e.level.map(|l| l.label().into()),
        slug: e.slug,
        title: e.title,
        level: e.level,
        place: e.place,
        public_statement: e.public_statement,
        summary: e.summary,
    }))
}
