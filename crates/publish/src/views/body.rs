//! A body's page: its history (predecessors, successors, parts) and what it held,
//! issued or was party to.

use super::links::{card_link, linked_backlink, named, Cards};
use super::provenance::{cited_in, provenance};
use super::{date_view, url_of, CitationView, DateView, ProvenanceView, RecordLink, Result};
use dossier_model::RecordType;
use dossier_model::{BodyLink, ExternalId};
use dossier_store::{LinkedCard, Store};
use serde::Serialize;

/// How many events, and how many documents, a body's page lists; the rest are a link
/// away (`more`). A country's government holds hundreds of visits: the page listed them
/// all, long to read and to build. Fifty, as on the dossier's page
/// ([`super::LIST_PREVIEW`]), shows the earliest of them, and the chronology the rest.
pub const BODY_LIST_PREVIEW: usize = super::LIST_PREVIEW;

/// A predecessor or successor of a body, with the date of the change.
#[derive(Debug, Serialize)]
pub struct BodyLinkView {
    pub slug: String,
    pub name: String,
    pub url: String,
    pub date: Option<String>,
    pub date_human: Option<String>,
}

/// An identifier of the record in an outside authority file, as a link to the
/// authority's page for it (issue 28).
#[derive(Debug, Clone, Serialize)]
pub struct IdentifierView {
    /// `wikidata`, `viaf`, `isni` or `gnd`.
    pub scheme: String,
    /// The name readers know the authority by (`Wikidata`).
    pub label: String,
    pub value: String,
    /// The identifier's address at its authority ([`ExternalId::url`]).
    pub url: String,
}

/// The identifiers a page, its JSON-LD and its EAC-CPF show. An identifier the model's
/// validation would refuse (a row written by hand) is left out rather than linked.
pub fn identifier_views(ids: &[ExternalId]) -> Vec<IdentifierView> {
    ids.iter()
        .filter(|id| id.problem().is_none())
        .map(|id| IdentifierView {
            scheme: id.scheme.as_str().into(),
            label: id.scheme.label().into(),
            value: id.value.clone(),
            url: id.url(),
        })
        .collect()
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
    /// Its identifiers in authority files (Wikidata, VIAF, ISNI, GND), linked.
    pub identifiers: Vec<IdentifierView>,
    /// Events the body held or met in, in date order: the first [`BODY_LIST_PREVIEW`].
    pub events: Vec<RecordLink>,
    /// How many events the body held or met in, in all.
    pub events_total: usize,
    /// Documents it issued or is party to, in date order: the first
    /// [`BODY_LIST_PREVIEW`].
    pub documents: Vec<RecordLink>,
    /// How many documents it issued or is party to, in all.
    pub documents_total: usize,
    /// Where every event and document of the body can be read when the lists above show
    /// only part: the chronology of each dossier the body is in, filtered by the body
    /// (it lists the body's events and documents together); for a body in no dossier,
    /// the search for `body:…` by date (it lists the body's other records too). Empty
    /// when the lists are whole. (The JSON API's `/api/v1/events?body=…` and
    /// `/api/v1/documents?body=…` list exactly the two lists.)
    pub more: Vec<MoreLink>,
    pub people: Vec<RecordLink>,
    pub cited_in: Vec<CitationView>,
    pub provenance: ProvenanceView,
}

/// A page that lists all of a long list.
#[derive(Debug, Serialize)]
pub struct MoreLink {
    pub url: String,
    /// What the page is (`the chronology of …`).
    pub title: String,
}

fn body_links(cards: &Cards, l: &[BodyLink]) -> Vec<BodyLinkView> {
    l.iter()
        .map(|b| BodyLinkView {
            name: cards.link(RecordType::Body, &b.slug).title,
            url: url_of(RecordType::Body, &b.slug),
            slug: b.slug.clone(),
            date: b.date.map(|d| d.to_string()),
            date_human: b.date.map(|d| d.human()),
        })
        .collect()
}

/// The body's page, built with a fixed number of store reads however many records link
/// to it: its events and documents (the first of each), people and parts, with their
/// cards, read with their links ([`Store::backlink_cards_head`]: on SQLite from one index,
/// no record read); the cards of the other records it names in one batch per type.
pub fn body(store: &dyn Store, slug: &str) -> Result<Option<BodyView>> {
    let Some(b) = store.body(slug)? else {
        return Ok(None);
    };
    let (events, events_total) = store.backlink_cards_head(
        RecordType::Body,
        slug,
        RecordType::Event,
        &["held-by"],
        BODY_LIST_PREVIEW,
    )?;
    let (documents, documents_total) = store.backlink_cards_head(
        RecordType::Body,
        slug,
        RecordType::Document,
        &["issued-by", "party"],
        BODY_LIST_PREVIEW,
    )?;
    // The people who held an office in it and its parts, every one (few), as backlinks.
    let [people, parts] = [
        (RecordType::Person, "office"),
        (RecordType::Body, "part-of"),
    ]
    .map(|(from, rel)| -> Result<Vec<RecordLink>> {
        let (linked, _) =
            store.backlink_cards_head(RecordType::Body, slug, from, &[rel], usize::MAX)?;
        Ok(linked.iter().map(linked_backlink).collect())
    });
    let (people, parts) = (people?, parts?);
    let cards = Cards::fetch(
        store,
        b.founding_document
            .iter()
            .map(|d| (RecordType::Document, d.as_str()))
            .chain(
                b.predecessors
                    .iter()
                    .chain(&b.successors)
                    .map(|l| (RecordType::Body, l.slug.as_str())),
            )
            .chain(b.part_of.iter().map(|p| (RecordType::Body, p.as_str())))
            // Its dossiers, for the links to their chronologies.
            .chain(named(RecordType::Dossier, &b.dossiers)),
    )?;
    let related = |l: &LinkedCard| {
        let mut link = card_link(&l.card);
        link.rel = Some(l.rel.clone());
        link
    };
    let more = if events_total > BODY_LIST_PREVIEW || documents_total > BODY_LIST_PREVIEW {
        let mut more: Vec<MoreLink> = b
            .dossiers
            .iter()
            .filter(|d| cards.has(RecordType::Dossier, d))
            .map(|d| MoreLink {
                url: format!(
                    "{}/chronology?body={}",
                    url_of(RecordType::Dossier, d),
                    b.slug
                ),
                title: format!(
                    "the chronology of {}",
                    cards.link(RecordType::Dossier, d).title
                ),
            })
            .collect();
        if more.is_empty() {
            // A body in no dossier (most bodies an import links to) has no chronology:
            // the closest page is the search for the body, by date, which lists its
            // events and documents among the rest of its records, every one of them.
            more.push(MoreLink {
                url: format!("/search?q=body%3A{}&sort=date", b.slug),
                title: "a search for everything recorded of this body, by date".into(),
            });
        }
        more
    } else {
        Vec::new()
    };
    Ok(Some(BodyView {
        founding_document: b
            .founding_document
            .as_deref()
            .map(|d| cards.link(RecordType::Document, d)),
        predecessors: body_links(&cards, &b.predecessors),
        successors: body_links(&cards, &b.successors),
        part_of: b
            .part_of
            .as_deref()
            .map(|p| cards.link(RecordType::Body, p)),
        cited_in: cited_in(store.citations(RecordType::Body, slug)?),
        provenance: provenance(store, &b.provenance, &b.dossiers)?,
        established: date_view(&b.established),
        ended: date_view(&b.ended),
        kind: b.kind.slug().into(),
        kind_label: b.kind.label().into(),
        events: events.iter().map(related).collect(),
        documents: documents.iter().map(related).collect(),
        events_total,
        documents_total,
        more,
        slug: b.slug,
        name: b.name,
        acronyms: b.acronyms,
        aliases: b.aliases,
        format: b.format,
        decision_rule: b.decision_rule,
        summary: b.summary,
        identifiers: identifier_views(&b.identifiers),
        people,
        parts,
    }))
}
