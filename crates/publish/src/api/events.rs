//! `/api/v1/events`: meetings, summits, signings, filtered by dossier, kind, body and level.

use super::paging::{paginate, Page};
use super::params::{only, slug_param, vocab_param};
use super::record::{date, find, record_meta, RecordMeta};
use super::{Params, Result};
use crate::site::Site;
use dossier_model::RecordType;
use dossier_model::*;
use dossier_store::{EventQuery, Store};
use serde::Serialize;

/// An event (a meeting, summit, signing…).
#[derive(Debug, Serialize)]
pub struct ApiEvent {
    pub slug: String,
    pub title: String,
    pub kind: EventKind,
    pub kind_label: &'static str,
    pub date: Option<String>,
    pub bodies: Vec<String>,
    pub people: Vec<String>,
    pub level: Option<Level>,
    pub place: Option<String>,
    pub outcome_documents: Vec<String>,
    /// Whether a public statement came out of it; `null` when not known.
    pub public_statement: Option<bool>,
    pub summary: Option<String>,
    #[serde(flatten)]
    pub record: RecordMeta,
}

fn event_resource(store: &dyn Store, site: &Site, e: Event) -> Result<ApiEvent> {
    Ok(ApiEvent {
        record: record_meta(
            store,
            site,
            RecordType::Event,
            &e.slug,
            e.dossiers,
            e.provenance,
        )?,
        kind_label: e.kind.label(),
        date: date(e.date),
        slug: e.slug,
        title: e.title,
        kind: e.kind,
        bodies: e.bodies,
        people: e.people,
        level: e.level,
        place: e.place,
        outcome_documents: e.outcome_documents,
        public_statement: e.public_statement,
        summary: e.summary,
    })
}

pub fn list_events(store: &dyn Store, site: &Site, params: &Params) -> Result<Page<ApiEvent>> {
    only(
        params,
        &["dossier", "kind", "body", "level", "limit", "cursor"],
    )?;
    let kind = vocab_param(
        params,
        "kind",
        EventKind::from_slug,
        EventKind::ALL,
        EventKind::slug,
    )?;
    let level = vocab_param(params, "level", Level::from_slug, Level::ALL, Level::slug)?;
    let q = EventQuery {
        dossier: slug_param(params, "dossier")?,
        kinds: kind.map(|k| k.slug().to_string()).into_iter().collect(),
        bodies: slug_param(params, "body")?.into_iter().collect(),
        levels: level.map(|l| l.slug().to_string()).into_iter().collect(),
    };
    paginate(store.events(&q)?, params, |e| {
        event_resource(store, site, e)
    })
}

pub fn find_event(store: &dyn Store, site: &Site, slug: &str, params: &Params) -> Result<ApiEvent> {
    find(
        params,
        "event",
        slug,
        || store.event(slug),
        |r| event_resource(store, site, r),
    )
}
