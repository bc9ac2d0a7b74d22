//! A document's page: its facts, the records it links to and that link to it.

use super::links::{backlink, badges, named, Cards};
use super::provenance::{cited_in, provenance};
use super::text::{choices, source_links, text_view, TextChoice, TextView};
use super::{Badge, CitationView, ProvenanceView, RecordLink, Result};
use dossier_model::RecordType;
use dossier_model::{Availability, Document, LegalStatus};
use dossier_store::Store;
use serde::Serialize;

/// `/documents/{slug}`.
#[derive(Debug, Serialize)]
pub struct DocumentView {
    pub slug: String,
    pub title: String,
    pub aliases: Vec<String>,
    pub kind: String,
    pub kind_label: String,
    /// When it was issued or published: the EDTF date string, or null when not recorded.
    pub date: Option<String>,
    pub date_human: Option<String>,
    /// The period it covers (EDTF, usually an interval such as `1988/2001`), or null.
    pub coverage: Option<String>,
    /// The same in words ("1988 – 2001").
    pub coverage_human: Option<String>,
    pub place: Option<String>,
    pub issued_by: Vec<RecordLink>,
    pub authors: Vec<RecordLink>,
    pub parties: Vec<RecordLink>,
    pub legal_status: LegalStatus,
    pub legal_status_label: String,
    pub availability: Availability,
    pub availability_label: String,
    pub badges: Vec<Badge>,
    pub languages: Vec<String>,
    pub summary: Option<String>,
    /// The first text the archive holds, numbered as on the text page (`#p12`); null
    /// when it holds none.
    pub text: Option<TextView>,
    /// Every text it holds, one per language, each with its text page.
    pub texts: Vec<TextChoice>,
    /// The text page (`/documents/{slug}/text`).
    pub text_url: String,
    /// Where the document itself can be read (its sources with a web address, the
    /// official text first).
    pub source_links: Vec<SourceLinkView>,
    pub relations: Vec<RecordLink>,
    pub related_from: Vec<RecordLink>,
    pub dossiers: Vec<RecordLink>,
    /// Topics the document treats.
    pub topics: Vec<RecordLink>,
    pub cited_in: Vec<CitationView>,
    pub provenance: ProvenanceView,
    pub created: Option<String>,
    pub changed: Option<String>,
    /// The Cite block (Chicago, APA, downloads, meta tags); set where the site's address
    /// is known (see `citation::document_page`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cite: Option<crate::citation::CiteView>,
}

/// A link to where a document can be read.
#[derive(Debug, Clone, Serialize)]
pub struct SourceLinkView {
    pub title: String,
    pub url: String,
    /// Its title says it is the official text.
    pub official: bool,
}

pub fn document(store: &dyn Store, slug: &str) -> Result<Option<DocumentView>> {
    let Some(d) = store.document(slug)? else {
        return Ok(None);
    };
    document_of(store, d).map(Some)
}

/// [`document`] of a document already read (the page's Cite block reads it too).
pub fn document_of(store: &dyn Store, d: Document) -> Result<DocumentView> {
    let slug = d.slug.clone();
    let slug = slug.as_str();
    let stamps = store.stamps(RecordType::Document, slug)?;
    // Every record the page links to, in one batch per type.
    let cards = Cards::fetch(
        store,
        d.relations
            .iter()
            .map(|r| (RecordType::Document, r.document.as_str()))
            .chain(named(RecordType::Body, &d.issued_by))
            .chain(named(RecordType::Person, &d.authors))
            .chain(named(RecordType::Body, &d.parties))
            .chain(named(RecordType::Dossier, &d.dossiers))
            .chain(named(RecordType::Topic, &d.topics)),
    )?;
    let relations = d
        .relations
        .iter()
        .map(|r| {
            let mut l = cards.link(RecordType::Document, &r.document);
            l.rel = Some(r.kind.slug().into());
            l.rel_label = Some(r.kind.label().into());
            l
        })
        .collect();
    let related_from = store
        .backlinks(RecordType::Document, slug)?
        .iter()
        .map(backlink)
        .collect();
    Ok(DocumentView {
        text: d.texts.first().map(text_view),
        texts: choices(&d, (!d.texts.is_empty()).then_some(0)),
        text_url: format!("/documents/{}/text", d.slug),
        source_links: source_links(&d),
        coverage: d.coverage.map(|x| x.to_string()),
        coverage_human: d.coverage.map(|x| x.human()),
        badges: badges(&d),
        issued_by: cards.links(RecordType::Body, &d.issued_by),
        authors: cards.links(RecordType::Person, &d.authors),
        parties: cards.links(RecordType::Body, &d.parties),
        dossiers: cards.links(RecordType::Dossier, &d.dossiers),
        topics: cards.links(RecordType::Topic, &d.topics),
        cited_in: cited_in(store.citations(RecordType::Document, slug)?),
        provenance: provenance(store, &d.provenance, &d.dossiers)?,
        relations,
        related_from,
        kind: d.kind.slug().into(),
        kind_label: d.kind.label().into(),
        date: d.date.map(|x| x.to_string()),
        date_human: d.date.map(|x| x.human()),
        legal_status_label: d.legal_status.label().into(),
        availability_label: d.availability.label().into(),
        slug: d.slug,
        title: d.title,
        aliases: d.aliases,
        place: d.place,
        legal_status: d.legal_status,
        availability: d.availability,
        languages: d.languages,
        summary: d.summary,
        created: stamps.as_ref().map(|s| s.created.clone()),
        changed: stamps.map(|s| s.changed),
        cite: None,
    })
}
