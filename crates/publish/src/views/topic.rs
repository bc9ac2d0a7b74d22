//! A topic's page: the dossier sections about it and the documents and bodies it
//! concerns.

use super::claims::{claim_views, threshold};
use super::links::{backlink, named, Cards};
use super::provenance::{cited_in, provenance};
use super::{date_view, CitationView, ClaimView, DateView, ProvenanceView, RecordLink, Result};
use dossier_model::RecordType;
use dossier_model::{TopicKind, TopicStatus};
use dossier_store::Store;
use serde::Serialize;

/// `/topics/{slug}`.
#[derive(Debug, Serialize)]
pub struct TopicView {
    pub slug: String,
    pub title: String,
    pub kind: TopicKind,
    pub kind_label: String,
    pub status: TopicStatus,
    pub status_label: String,
    pub as_of: Option<DateView>,
    /// The status dated by `as_of`, aged as any claim (issue 25): flagged when older
    /// than the dossier's threshold.
    pub status_claim: Option<ClaimView>,
    pub summary: Option<String>,
    pub sections: Vec<CitationView>,
    pub documents: Vec<RecordLink>,
    pub bodies: Vec<RecordLink>,
    pub cited_in: Vec<CitationView>,
    pub provenance: ProvenanceView,
}

pub fn topic(store: &dyn Store, slug: &str) -> Result<Option<TopicView>> {
    let Some(t) = store.topic(slug)? else {
        return Ok(None);
    };
    // The sections about the topic, from the sections' rows (not whole outlines), in the
    // order of the topic's dossiers and then of each outline.
    let mut sections = Vec::new();
    if !t.sections.is_empty() {
        let slugs: Vec<&str> = t.dossiers.iter().map(String::as_str).collect();
        let mut found = store.sections_of(&slugs)?;
        found.retain(|s| t.sections.contains(&s.key));
        found.sort_by_key(|s| t.dossiers.iter().position(|d| *d == s.dossier));
        sections = found
            .into_iter()
            .map(|s| CitationView {
                url: format!("/dossiers/{}#{}", s.dossier, s.key),
                dossier: s.dossier,
                dossier_title: s.dossier_title,
                key: s.key,
                label: s.label,
                title: s.title,
                text: String::new(),
            })
            .collect();
    }
    // Every record the page links to, in one batch per type.
    let cards = Cards::fetch(
        store,
        named(RecordType::Document, &t.documents).chain(named(RecordType::Body, &t.bodies)),
    )?;
    // Documents that name the topic themselves (imported subject keys) join those the
    // topic names.
    let mut documents = cards.links(RecordType::Document, &t.documents);
    for b in store.backlinks(RecordType::Topic, slug)? {
        if b.record == RecordType::Document
            && b.rel == "about"
            && !documents.iter().any(|d| d.slug == b.slug)
        {
            let mut l = backlink(&b);
            l.rel = None;
            l.rel_label = None;
            documents.push(l);
        }
    }
    let status_claim = match t.as_of {
        Some(as_of) => {
            let claim = dossier_model::Claim {
                field: "status".into(),
                statement: None,
                as_of,
            };
            let years = threshold(store, &t.dossiers)?;
            claim_views(&[claim], years, crate::time::today()).pop()
        }
        None => None,
    };
    Ok(Some(TopicView {
        status_claim,
        documents,
        bodies: cards.links(RecordType::Body, &t.bodies),
        cited_in: cited_in(store.citations(RecordType::Topic, slug)?),
        provenance: provenance(store, &t.provenance, &t.dossiers)?,
        kind_label: t.kind.label().into(),
        status_label: t.status.label().into(),
        as_of: date_view(&t.as_of),
        slug: t.slug,
        title: t.title,
        kind: t.kind,
        status: t.status,
        summary: t.summary,
        sections,
    }))
}
