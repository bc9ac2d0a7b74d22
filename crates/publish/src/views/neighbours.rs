//! A dated record's neighbours in its dossier's chronology, for the "previous / next"
//! links of document and event pages: a reader on a phone goes through the chronology
//! record by record without going back to the long table each time.

use super::chronology::place_in;
use super::{ChronologyEntry, Result};
use dossier_model::RecordType;
use dossier_store::Store;
use serde::Serialize;

/// Where a record stands in one dossier's chronology.
#[derive(Debug, Clone, Serialize)]
pub struct Neighbours {
    pub dossier: String,
    pub dossier_title: String,
    /// The chronology's page.
    pub url: String,
    /// The record's place, counted from 1, among `total` dated records.
    pub position: usize,
    pub total: usize,
    pub previous: Option<ChronologyEntry>,
    pub next: Option<ChronologyEntry>,
}

/// The record's neighbours in the chronology of the first of `dossiers` whose chronology
/// lists it (an undated record is in none); `None` when no dossier's does.
pub fn neighbours(
    store: &dyn Store,
    record: RecordType,
    slug: &str,
    dossiers: &[String],
) -> Result<Option<Neighbours>> {
    for dossier in dossiers {
        let Some(p) = place_in(store, dossier, record, slug)? else {
            continue;
        };
        return Ok(Some(Neighbours {
            url: format!("/dossiers/{dossier}/chronology"),
            position: p.index + 1,
            total: p.total,
            previous: p.previous,
            next: p.next,
            dossier: dossier.clone(),
            dossier_title: p.dossier_title,
        }));
    }
    Ok(None)
}
