//! Links to records as every page shows them (a "record card": title, kind, date,
//! badges, and the relation to the page's record), built from the store's cards, read in
//! one batch per page, so that a slug the archive lacks still shows, titled by its slug.

use super::{url_of, Result};
use dossier_model::RecordType;
use dossier_model::{Availability, Document, DocumentKind, Edtf, EventKind, LegalStatus};
use dossier_store::{Backlink, LinkedCard, RecordCard, Store};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
    document_badges(d.legal_status, d.availability, d.date.is_some())
}

fn document_badges(
    legal_status: LegalStatus,
    availability: Availability,
    dated: bool,
) -> Vec<Badge> {
    let mut b = Vec::new();
    match legal_status {
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
    match availability {
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
    if !dated {
        b.push(Badge {
            code: "undated",
            label: "date not recorded",
        });
    }
    b
}

fn event_badges(public_statement: Option<bool>) -> Vec<Badge> {
    match public_statement {
        Some(false) => vec![Badge {
            code: "no-statement",
            label: "no public statement",
        }],
        _ => vec![],
    }
}

/// The link to a record from its card: title, kind, date and badges for a document or an
/// event, a title alone for other records.
pub(super) fn card_link(c: &RecordCard) -> RecordLink {
    let (kind_label, badges) = match c.record {
        RecordType::Document => (
            DocumentKind::from_slug(&c.kind).map(|k| k.label()),
            document_badges(
                c.legal_status.unwrap_or(LegalStatus::Unknown),
                c.availability.unwrap_or(Availability::Unknown),
                c.date.is_some(),
            ),
        ),
        RecordType::Event => (
            EventKind::from_slug(&c.kind).map(|k| k.label()),
            event_badges(c.public_statement),
        ),
        _ => return simple_link(c.record, &c.slug, &c.title),
    };
    let date = c.date.as_deref().and_then(|d| Edtf::parse(d).ok());
    RecordLink {
        record: c.record,
        slug: c.slug.clone(),
        title: c.title.clone(),
        url: url_of(c.record, &c.slug),
        kind: Some(c.kind.clone()),
        kind_label: kind_label.map(str::to_string),
        date: c.date.clone(),
        date_human: date.map(|d| d.human()),
        badges,
        rel: None,
        rel_label: None,
    }
}

/// The records of one type that `slugs` name, as [`Cards::fetch`] takes them.
pub(super) fn named(
    record: RecordType,
    slugs: &[String],
) -> impl Iterator<Item = (RecordType, &str)> {
    slugs.iter().map(move |s| (record, s.as_str()))
}

/// The cards of every record a page links to, read with one store call per record type
/// (not one per link: a body's page links to hundreds of events).
pub(super) struct Cards(HashMap<(RecordType, String), RecordCard>);

impl Cards {
    /// Reads the cards of these records (duplicates are read once).
    pub(super) fn fetch<'a>(
        store: &dyn Store,
        wanted: impl IntoIterator<Item = (RecordType, &'a str)>,
    ) -> Result<Cards> {
        let mut by_type: BTreeMap<RecordType, BTreeSet<&str>> = BTreeMap::new();
        for (ty, slug) in wanted {
            by_type.entry(ty).or_default().insert(slug);
        }
        let mut map = HashMap::new();
        for (ty, slugs) in by_type {
            let slugs: Vec<&str> = slugs.into_iter().collect();
            for c in store.cards(ty, &slugs)? {
                map.insert((c.record, c.slug.clone()), c);
            }
        }
        Ok(Cards(map))
    }

    /// The card of this record, if the store holds it.
    pub(super) fn card(&self, record: RecordType, slug: &str) -> Option<&RecordCard> {
        self.0.get(&(record, slug.to_string()))
    }

    /// Whether the store holds this record.
    pub(super) fn has(&self, record: RecordType, slug: &str) -> bool {
        self.0.contains_key(&(record, slug.to_string()))
    }

    /// The link to a record; one the store lacks is kept, titled by its slug, so that a
    /// gap is visible rather than silently dropped.
    pub(super) fn link(&self, record: RecordType, slug: &str) -> RecordLink {
        match self.0.get(&(record, slug.to_string())) {
            Some(c) => card_link(c),
            None => simple_link(record, slug, slug),
        }
    }

    /// The links to records by slug, in the order given.
    pub(super) fn links(&self, record: RecordType, slugs: &[String]) -> Vec<RecordLink> {
        slugs.iter().map(|s| self.link(record, s)).collect()
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

/// [`backlink`] of a record read as a card with its relation: the same link (the card's
/// kind and badges are not shown on a backlink).
pub(super) fn linked_backlink(l: &LinkedCard) -> RecordLink {
    backlink(&Backlink {
        record: l.card.record,
        slug: l.card.slug.clone(),
        title: l.card.title.clone(),
        rel: l.rel.clone(),
        date: l.card.date.clone(),
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
