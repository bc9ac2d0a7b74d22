//! The archive's copies of the pages a record cites (issue 25): beside each live link a
//! page shows "archived copy, captured 5 Dec 2026", linking to the copy's replay.

use super::Result;
use dossier_store::Store;
use dossier_upkeep::capture::replay::{capture_day, replay_path};
use serde::Serialize;
use std::collections::BTreeMap;

/// The newest copy of a cited address, as pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct CopyView {
    /// The copy's replay (`/archive/12`).
    pub url: String,
    /// "5 Dec 2026".
    pub captured: String,
    /// ISO 8601, UTC.
    pub captured_at: String,
    /// Every copy of the address (the Memento TimeMap).
    pub timemap: String,
}

/// The newest copy of each of `urls` that has one, by address: one store read per
/// address, none when the record cites nothing or the store keeps no copies.
pub(super) fn copies_of<'a>(
    store: &dyn Store,
    urls: impl IntoIterator<Item = &'a str>,
) -> Result<BTreeMap<String, CopyView>> {
    let urls: Vec<&str> = urls.into_iter().collect();
    let Some(captures) = store.captures().filter(|_| !urls.is_empty()) else {
        return Ok(BTreeMap::new());
    };
    Ok(captures
        .latest_captures(&urls)?
        .into_iter()
        .map(|c| {
            let view = CopyView {
                url: replay_path(&c),
                captured: capture_day(c.captured_at),
                captured_at: dossier_upkeep::warc::iso_date(c.captured_at),
                timemap: dossier_upkeep::memento::timemap_path(&c.page),
            };
            (c.page, view)
        })
        .collect())
}
