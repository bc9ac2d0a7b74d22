//! Links to records as every page shows them (a "record card": title, kind, date,
//! badges, and the relation to the page's record), built from the store so that a
//! slug the archive lacks still shows, titled by its slug.

use super::{url_of, Result};
use dossier_model::{Availability, Document, Edtf, Event, LegalStatus};
use dossier_model::RecordType;
use dossier_store::{Backlink, Store};
use serde::Serialize;

/// A link to a record, with what a reader needs to judge it before following it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordLink {
    #[serde(rename = "type")]
    pub record: RecordType,
    pub slug: String,
    pub title: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind_label: Option<String>,
    /// The EDTF date string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_human: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub badges: Vec<Badge>,
    /// How this record relates to the page's record (`issued-by`, `outcome`…), where that matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    /// The relation in words, read from the linked record to the page's record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel_label: Option<String>,
}

/// Words for a link seen from its target: an event whose `outcome` is this document is
/// the event "that produced it".
pub(super) fn incoming_label(rel: &str) -> String {
    match rel {
        "founded-by" => "set up under this document",
        "outcome" => "produced this document",
        "concerns" => "topic that concerns it",
        "cites" => "cites it",
        "replaces" => "replaces it",
        "implements" => "implements it",
        "responds-to" => "responds to it",
        "part-of" => "part of it",
        "similar" => "similar document",
        "issued-by" => "issued by it",
        "party" => "it is a party",
        "held-by" => "held by it",
        "office" => "held an office in it",
        "author" => "by this person",
        "participant" => "took part",
        "involves" => "topic that involves it",
        "about" => "treats this topic",
        "successor-of" => "successor",
        other => other,
    }
    .to_string()
}

/// A short mark shown beside a document: "not legally binding", "not public".
#[derive(Debug, Clone, Serialize)]
pub struct Badge {
    pub code: &'static str,
    pub label: &'static str,
}

pub(super) fn badges(d: &Document) -> Vec<Badge> {
    let mut b = Vec::new();
    match d.legal_status {
        LegalStatus::PoliticalCommitment => b.push(Badge {
            code: "not-binding",
            label: "not legally binding",
        }),
        LegalStatus::LegallyBinding => b.push(Badge {
            code: "binding",
            label: "legally binding",
        }),
        LegalStatus::Unknown => {}
    }
    match d.availability {
        Availability::NotPublic => b.push(Badge {
            code: "not-public",
            label: "not public",
        }),
        Availability::Forthcoming => b.push(Badge {
            code: "forthcoming",
            label: "forthcoming",
        }),
        Availability::Public | Availability::Unknown => {}
    }
    if d.date.is_none() {
        b.push(Badge {
            code: "undated",
            label: "date not recorded",
        });
    }
    b
}

pub(super) fn doc_link(d: &Document) -> RecordLink {
    RecordLink {
        record: RecordType::Document,
        slug: d.slug.clone(),
        title: d.title.clone(),
        url: url_of(RecordType::Document, &d.slug),
        kind: Some(d.kind.slug().into()),
        kind_label: Some(d.kind.label().into()),
        date: d.date.map(|x| x.to_string()),
        date_human: d.date.map(|x| x.human()),
        badges: badges(d),
        rel: None,
        rel_label: None,
    }
}

pub(super) fn event_link(e: &Event) -> RecordLink {
    RecordLink {
        record: RecordType::Event,
        slug: e.slug.clone(),
        title: e.title.clone(),
        url: url_of(RecordType::Event, &e.slug),
        kind: Some(e.kind.slug().into()),
        kind_label: Some(e.kind.label().into()),
        date: e.date.map(|x| x.to_string()),
        date_human: e.date.map(|x| x.human()),
        badges: match e.public_statement {
            Some(false) => vec![Badge {
                code: "no-statement",
                label: "no public statement",
            }],
            _ => vec![],
        },
        rel: None,
        rel_label: None,
    }
}

pub(super) fn simple_link(record: RecordType, slug: &str, title: &str) -> RecordLink {
    RecordLink {
        record,
        slug: slug.into(),
        title: title.into(),
        url: url_of(record, slug),
        kind: None,
        kind_label: None,
        date: None,
        date_human: None,
        badges: vec![],
        rel: None,
        rel_label: None,
    }
}

/// Links to records by slug, with titles from the store; a slug the store lacks is kept
/// (titled by its slug) so that a gap is visible rather than silently dropped.
pub(super) fn links(
    store: &dyn Store,
    record: RecordType,
    slugs: &[String],
) -> Result<Vec<RecordLink>> {
    let mut out = Vec::new();
    for s in slugs {
        out.push(full_link(store, record, s)?);
    }
    Ok(out)
}

pub(super) fn full_link(store: &dyn Store, record: RecordType, slug: &str) -> Result<RecordLink> {
    Ok(match record {
        RecordType::Document => match store.document(slug)? {
            Some(d) => doc_link(&d),
            None => simple_link(record, slug, slug),
        },
        RecordType::Event => match store.event(slug)? {
            Some(e) => event_link(&e),
            None => simple_link(record, slug, slug),
        },
        _ => {
            let title = store
                .title_of(record, slug)?
                .unwrap_or_else(|| slug.to_string());
            simple_link(record, slug, &title)
        }
    })
}

pub(super) fn backlink(b: &Backlink) -> RecordLink {
    RecordLink {
        record: b.record,
        slug: b.slug.clone(),
        title: b.title.clone(),
        url: url_of(b.record, &b.slug),
        kind: None,
        kind_label: None,
        date: b.date.clone(),
        date_human: b
            .date
            .as_deref()
            .and_then(|d| Edtf::parse(d).ok())
            .map(|d| d.human()),
        badges: vec![],
        rel: Some(b.rel.clone()),
        rel_label: Some(incoming_label(&b.rel)),
    }
}
