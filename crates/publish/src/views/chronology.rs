//! A dossier's chronology: its dated documents and events in date order, the undated
//! ones apart, filterable by body, kind and year.

use super::links::{card_link, simple_link, Cards};
use super::{Badge, RecordLink, Result};
use dossier_model::Edtf;
use dossier_model::RecordType;
use dossier_store::{DocumentQuery, EventQuery, RecordCard, Store};
use serde::Serialize;
use std::collections::BTreeSet;

/// `/dossiers/{slug}/chronology`: every dated event and document, in date order.
#[derive(Debug, Serialize)]
pub struct ChronologyView {
    pub dossier: String,
    pub dossier_title: String,
    /// The filters applied (`body`, `kind`), echoed back.
    pub filter: ChronologyFilter,
    pub entries: Vec<ChronologyEntry>,
    /// Records of the dossier with no date: a gap, listed apart.
    pub undated: Vec<ChronologyEntry>,
    /// Choices for the filter form.
    pub body_choices: Vec<RecordLink>,
    pub kind_choices: Vec<KindChoice>,
    /// The years the dossier's dated records fall in, earliest first, for the year filter.
    pub year_choices: Vec<i32>,
}

/// What the chronology is filtered by.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChronologyFilter {
    pub body: Option<String>,
    pub kind: Option<String>,
    /// Only records whose date can fall in this year (undated ones are left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
}

/// A kind to filter by, with its label.
#[derive(Debug, Serialize)]
pub struct KindChoice {
    pub slug: String,
    pub label: String,
}

/// One line of the chronology.
#[derive(Debug, Clone, Serialize)]
pub struct ChronologyEntry {
    pub date: Option<String>,
    pub date_human: Option<String>,
    pub year: Option<i32>,
    #[serde(rename = "type")]
    pub record: RecordType,
    pub kind: String,
    pub kind_label: String,
    pub title: String,
    pub slug: String,
    pub url: String,
    pub badges: Vec<Badge>,
}

pub fn chronology(
    store: &dyn Store,
    slug: &str,
    filter: ChronologyFilter,
) -> Result<Option<ChronologyView>> {
    let Some(d) = store.dossier(slug)? else {
        return Ok(None);
    };
    let bodies: Vec<String> = filter.body.iter().cloned().collect();
    let kinds: Vec<String> = filter.kind.iter().cloned().collect();
    // Cards, not whole records: the chronology lists every record of the dossier.
    let docs = store.document_cards(&DocumentQuery {
        dossier: Some(slug.into()),
        kinds: kinds.clone(),
        bodies: bodies.clone(),
    })?;
    let events = store.event_cards(&EventQuery {
        dossier: Some(slug.into()),
        kinds,
        bodies,
        levels: vec![],
    })?;
    let mut all = in_order(&docs, &events);
    // The years of every dated record, before a year narrows them.
    let year_choices: Vec<i32> = all
        .iter()
        .filter_map(|(d, _)| d.as_ref())
        .flat_map(|d| {
            let (lo, hi) = (d.earliest(), d.latest());
            // A span of at most 50 years counts under each; a longer or open one under
            // none (it would fill the list).
            let (a, b) = ((lo / 10_000) as i32, (hi / 10_000) as i32);
            let bounded = lo != i64::MIN && hi != i64::MAX && b >= a && b - a <= 50;
            bounded.then_some(a..=b).into_iter().flatten()
        })
        .collect::<BTreeSet<i32>>()
        .into_iter()
        .collect();
    if let Some(y) = filter.year {
        all.retain(|(d, _)| d.is_some_and(|d| d.overlaps_years(y, y)));
    }
    let (dated, undated): (Vec<_>, Vec<_>) = all.into_iter().partition(|(d, _)| d.is_some());
    let mut kind_choices: Vec<KindChoice> = Vec::new();
    let mut seen = BTreeSet::new();
    // The kinds of the whole dossier: the lists just read, unless a filter narrowed them.
    let unfiltered;
    let (every_doc, every_event) = if filter.body.is_none() && filter.kind.is_none() {
        (&docs, &events)
    } else {
        unfiltered = (
            store.document_cards(&DocumentQuery {
                dossier: Some(slug.into()),
                ..Default::default()
            })?,
            store.event_cards(&EventQuery {
                dossier: Some(slug.into()),
                ..Default::default()
            })?,
        );
        (&unfiltered.0, &unfiltered.1)
    };
    for c in every_doc.iter().chain(every_event) {
        if seen.insert(c.kind.clone()) {
            kind_choices.push(KindChoice {
                label: card_link(c).kind_label.unwrap_or_else(|| c.kind.clone()),
                slug: c.kind.clone(),
            });
        }
    }
    kind_choices.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(Some(ChronologyView {
        dossier: d.slug,
        dossier_title: d.title,
        filter,
        entries: dated.into_iter().map(|(_, e)| e).collect(),
        undated: undated.into_iter().map(|(_, e)| e).collect(),
        body_choices: {
            let mut bodies = store.cards_in_dossier(RecordType::Body, slug)?;
            bodies.sort_by(|a, b| a.title.cmp(&b.title));
            bodies
                .iter()
                .map(|b| simple_link(RecordType::Body, &b.slug, &b.title))
                .collect()
        },
        kind_choices,
        year_choices,
    }))
}

/// The chronology's entries for these cards, in its order: by date, then title; the
/// undated last, by title.
fn in_order(docs: &[RecordCard], events: &[RecordCard]) -> Vec<(Option<Edtf>, ChronologyEntry)> {
    ordered(docs.iter().chain(events))
        .into_iter()
        .map(|(date, c)| (date, entry_of(date, c)))
        .collect()
}

/// The cards with their dates, in the chronology's order: by date, then title; the
/// undated (no date, or one that is not EDTF) last, by title.
fn ordered<'a>(cards: impl Iterator<Item = &'a RecordCard>) -> Vec<(Option<Edtf>, &'a RecordCard)> {
    let mut all: Vec<(Option<Edtf>, &RecordCard)> = cards
        .map(|c| (c.date.as_deref().and_then(|d| Edtf::parse(d).ok()), c))
        .collect();
    all.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y).then_with(|| a.1.title.cmp(&b.1.title)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.title.cmp(&b.1.title),
    });
    all
}

/// A card's line in the chronology.
fn entry_of(date: Option<Edtf>, c: &RecordCard) -> ChronologyEntry {
    let l = card_link(c);
    let kind_label = l.kind_label.clone().unwrap_or_default();
    entry(date, c.record, &c.kind, &kind_label, l)
}

/// Where a record stands among the dated entries of a dossier's whole (unfiltered)
/// chronology, in the chronology page's order.
pub(super) struct Place {
    pub dossier_title: String,
    /// Counted from 0.
    pub index: usize,
    pub total: usize,
    pub previous: Option<ChronologyEntry>,
    pub next: Option<ChronologyEntry>,
}

/// The record's [`Place`] in the chronology of dossier `slug`; `None` for a dossier the
/// store lacks or a record its chronology does not list (undated, or not in it). What a
/// record page's previous/next links need ([`super::neighbours`]): the order is read
/// without the records' JSON ([`Store::chronology_heads`]; on SQLite from the dossier's
/// links alone) and the two neighbours' cards alone are read whole. Reading every card of the dossier with its JSON was half of a cold
/// document page's work, and the dossier's outline and bodies a third before that
/// (BENCHMARKS.md, issue 22).
pub(super) fn place_in(
    store: &dyn Store,
    slug: &str,
    record: RecordType,
    record_slug: &str,
) -> Result<Option<Place>> {
    let Some(dossier_title) = store.title_of(RecordType::Dossier, slug)? else {
        return Ok(None);
    };
    let heads = store.chronology_heads(slug)?;
    let dated: Vec<(Edtf, &RecordCard)> = ordered(heads.iter())
        .into_iter()
        .filter_map(|(d, c)| d.map(|d| (d, c)))
        .collect();
    let Some(index) = dated
        .iter()
        .position(|(_, c)| c.record == record && c.slug == record_slug)
    else {
        return Ok(None);
    };
    let (previous, next) = (
        index.checked_sub(1),
        Some(index + 1).filter(|&i| i < dated.len()),
    );
    // The neighbours' whole cards (their badges come from their JSON), one read per type;
    // one that cannot be read keeps the card of its columns.
    let cards = Cards::fetch(
        store,
        [previous, next]
            .into_iter()
            .flatten()
            .map(|i| (dated[i].1.record, dated[i].1.slug.as_str())),
    )?;
    let entry_at = |i: usize| {
        let (date, head) = dated[i];
        entry_of(
            Some(date),
            cards.card(head.record, &head.slug).unwrap_or(head),
        )
    };
    Ok(Some(Place {
        dossier_title,
        index,
        total: dated.len(),
        previous: previous.map(entry_at),
        next: next.map(entry_at),
    }))
}

fn entry(
    date: Option<Edtf>,
    record: RecordType,
    kind: &str,
    kind_label: &str,
    l: RecordLink,
) -> ChronologyEntry {
    ChronologyEntry {
        date: date.map(|d| d.to_string()),
        date_human: date.map(|d| d.human()),
        year: date.and_then(|d| d.year()),
        record,
        kind: kind.into(),
        kind_label: kind_label.into(),
        title: l.title,
        slug: l.slug,
        url: l.url,
        badges: l.badges,
    }
}
