//! A body's page: its history (predecessors, successors, parts) and what it held,
//! issued or was party to.

use super::links::{backlink, full_link};
use super::provenance::{cited_in, provenance};
use super::{date_view, url_of, CitationView, DateView, ProvenanceView, RecordLink, Result};
use dossier_model::BodyLink;
use dossier_model::RecordType;
use dossier_store::Store;
use serde::Serialize;
use std::collections::BTreeSet;

/// A predecessor or successor of a body, with the date of the change.
#[derive(Debug, Serialize)]
pub struct BodyLinkView {
    pub slug: String,
    pub name: String,
    pub url: String,
    pub date: Option<String>,
    pub date_human: Option<String>,
}

/// `/bodies/{slug}`.
#[derive(Debug, Serialize)]
pub struct BodyView {
    pub slug: String,
    pub name: String,
    pub acronyms: Vec<String>,
    pub aliases: Vec<String>,
    pub kind: String,
    pub kind_label: String,
    pub established: Option<DateView>,
    pub ended: Option<DateView>,
    pub founding_document: Option<RecordLink>,
    pub predecessors: Vec<BodyLinkView>,
    pub successors: Vec<BodyLinkView>,
    pub part_of: Option<RecordLink>,
    pub parts: Vec<RecordLink>,
    pub format: Option<String>,
    pub decision_rule: Option<String>,
    pub summary: Option<String>,
    /// Events the body held or met in, in date order.
    pub events: Vec<RecordLink>,
    /// Documents it issued or is party to, in date order.
    pub documents: Vec<RecordLink>,
    pub people: Vec<RecordLink>,
    pub cited_in: Vec<CitationView>,
    pub provenance: ProvenanceView,
}

fn body_links(store: &dyn Store, l: &[BodyLink]) -> Result<Vec<BodyLinkView>> {
    l.iter()
        .map(|b| {
            Ok(BodyLinkView {
                name: store
                    .title_of(RecordType::Body, &b.slug)?
                    .unwrap_or_else(|| b.slug.clone()),
                url: url_of(RecordType::Body, &b.slug),
                slug: b.slug.clone(),
                date: b.date.map(|d| d.to_string()),
                date_human: b.date.map(|d| d.human()),
            })
        })
        .collect()
}

pub fn body(store: &dyn Store, slug: &str) -> Result<Option<BodyView>> {
    let Some(b) = store.body(slug)? else {
        return Ok(None);
    };
    let back = store.backlinks(RecordType::Body, slug)?;
    let mut events = Vec::new();
    let mut documents = Vec::new();
    let mut people = Vec::new();
    let mut parts = Vec::new();
    let mut seen = BTreeSet::new();
    for l in &back {
        if !seen.insert((l.record.as_str(), l.slug.clone())) {
            continue;
        }
        match (l.record, l.rel.as_str()) {
            (RecordType::Event, "held-by") => {
                let mut link = full_link(store, RecordType::Event, &l.slug)?;
                link.rel = Some(l.rel.clone());
                events.push(link)
            }
            (RecordType::Document, "issued-by" | "party") => {
                let mut link = full_link(store, RecordType::Document, &l.slug)?;
                link.rel = Some(l.rel.clone());
                documents.push(link)
            }
            (RecordType::Person, "office") => people.push(backlink(l)),
            (RecordType::Body, "part-of") => parts.push(backlink(l)),
            _ => {}
        }
    }
    Ok(Some(BodyView {
        founding_document: b
            .founding_document
            .as_deref()
            .map(|d| full_link(store, RecordType::Document, d))
            .transpose()?,
        predecessors: body_links(store, &b.predecessors)?,
        successors: body_links(store, &b.successors)?,
        part_of: b
            .part_of
            .as_deref()
            .map(|p| full_link(store, RecordType::Body, p))
            .transpose()?,
        cited_in: cited_in(store.citations(RecordType::Body, slug)?),
        provenance: provenance(store, &b.provenance, &b.dossiers)?,
        established: date_view(&b.established),
        ended: date_view(&b.ended),
        kind: b.kind.slug().into(),
        kind_label: b.kind.label().into(),
        slug: b.slug,
        name: b.name,
        acronyms: b.acronyms,
        aliases: b.aliases,
        format: b.format,
        decision_rule: b.decision_rule,
        summary: b.summary,
        events,
        documents,
        people,
        parts,
    }))
}
