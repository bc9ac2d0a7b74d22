//! A topic's page: the dossier sections about it and the documents and bodies it
//! concerns.

use super::links::{backlink, links};
use super::provenance::{cited_in, provenance};
use super::{date_view, CitationView, DateView, ProvenanceView, RecordLink, Result};
use dossier_model::{TopicKind, TopicStatus};
use dossier_model::RecordType;
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
    let mut sections = Vec::new();
    for dslug in &t.dossiers {
        if let Some(d) = dossier_store::skip_corrupt(store.dossier(dslug))?.flatten() {
            for s in d.all_sections() {
                if t.sections.contains(&s.key) {
                    sections.push(CitationView {
                        dossier: d.slug.clone(),
                        dossier_title: d.title.clone(),
                        key: s.key.clone(),
                        label: s.label.clone(),
                        title: s.title.clone(),
                        text: String::new(),
                        url: format!("/dossiers/{}#{}", d.slug, s.key),
                    });
                }
            }
        }
    }
    // Documents that name the topic themselves (imported subject keys) join those the
    // topic names.
    let mut documents = links(store, RecordType::Document, &t.documents)?;
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
    Ok(Some(TopicView {
        documents,
        bodies: links(store, RecordType::Body, &t.bodies)?,
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
