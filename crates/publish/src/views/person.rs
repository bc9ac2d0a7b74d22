//! A person's page: offices held, and the events and documents they appear in.

use super::body::{identifier_views, IdentifierView};
use super::links::Cards;
use super::provenance::{cited_in, provenance};
use super::{date_view, CitationView, DateView, ProvenanceView, RecordLink, Result};
use dossier_model::RecordType;
use dossier_store::Store;
use serde::Serialize;

/// An office held, with its body linked.
#[derive(Debug, Serialize)]
pub struct OfficeView {
    pub title: String,
    pub body: Option<RecordLink>,
    pub start: Option<DateView>,
    pub end: Option<DateView>,
}

/// `/people/{slug}`.
#[derive(Debug, Serialize)]
pub struct PersonView {
    pub slug: String,
    pub name: String,
    /// Other names the person is known by.
    pub aliases: Vec<String>,
    pub offices: Vec<OfficeView>,
    pub summary: Option<String>,
    /// Its identifiers in authority files (Wikidata, VIAF, ISNI, GND), linked.
    pub identifiers: Vec<IdentifierView>,
    pub events: Vec<RecordLink>,
    pub documents: Vec<RecordLink>,
    pub cited_in: Vec<CitationView>,
    pub provenance: ProvenanceView,
}

pub fn person(store: &dyn Store, slug: &str) -> Result<Option<PersonView>> {
    let Some(p) = store.person(slug)? else {
        return Ok(None);
    };
    let back = store.backlinks(RecordType::Person, slug)?;
    // Every record the page links to, in one batch per type.
    let cards = Cards::fetch(
        store,
        back.iter()
            .filter(|l| matches!(l.record, RecordType::Event | RecordType::Document))
            .map(|l| (l.record, l.slug.as_str()))
            .chain(
                p.offices
                    .iter()
                    .filter_map(|o| o.body.as_deref())
                    .map(|b| (RecordType::Body, b)),
            ),
    )?;
    let mut events = Vec::new();
    let mut documents = Vec::new();
    for l in &back {
        match l.record {
            RecordType::Event => events.push(cards.link(RecordType::Event, &l.slug)),
            RecordType::Document => documents.push(cards.link(RecordType::Document, &l.slug)),
            _ => {}
        }
    }
    let offices = p
        .offices
        .iter()
        .map(|o| OfficeView {
            title: o.title.clone(),
            body: o.body.as_deref().map(|b| cards.link(RecordType::Body, b)),
            start: date_view(&o.start),
            end: date_view(&o.end),
        })
        .collect();
    Ok(Some(PersonView {
        cited_in: cited_in(store.citations(RecordType::Person, slug)?),
        provenance: provenance(store, &p.provenance, &p.dossiers)?,
        slug: p.slug,
        name: p.name,
        aliases: p.aliases,
        identifiers: identifier_views(&p.identifiers),
        offices,
        summary: p.summary,
        events,
        documents,
    }))
}
