//! The repository's items (documents, live and deleted, with their datestamps and
//! sets), its identifiers and its sets.

use super::request::short;
use super::{err, ErrorCode, Oai, OaiError};
use crate::site::Site;
use crate::PublishError;
use dossier_model::{Document, RecordType};
use dossier_store::{ChangeOp, DocumentQuery, Store};
use std::collections::BTreeMap;

/// One item of the repository: a live document or a deleted one.
pub(super) struct Item {
    pub(super) slug: String,
    /// `YYYY-MM-DD`.
    pub(super) datestamp: String,
    pub(super) doc: Option<Document>,
    pub(super) sets: Vec<String>,
}

fn sets_of(d: &Document) -> Vec<String> {
    let mut s: Vec<String> = d.dossiers.iter().map(|x| format!("dossier:{x}")).collect();
    s.push(format!("kind:{}", d.kind.slug()));
    s.extend(d.collections.iter().map(|c| format!("collection:{c}")));
    s
}

/// Every item, live and deleted, in slug order.
pub(super) fn all_items(store: &dyn Store) -> Result<Vec<Item>, PublishError> {
    let mut items: BTreeMap<String, Item> = BTreeMap::new();
    for d in store.documents(&DocumentQuery::default())? {
        let datestamp = store
            .stamps(RecordType::Document, &d.slug)?
            .map(|s| day_of(&s.changed))
            .unwrap_or_default();
        items.insert(
            d.slug.clone(),
            Item {
                slug: d.slug.clone(),
                datestamp,
                sets: sets_of(&d),
                doc: Some(d),
            },
        );
    }
    let mut graves = tombstone_sets(store)?;
    for (slug, at) in deleted_documents(store)? {
        let sets = graves.remove(&slug).unwrap_or_default();
        items.entry(slug.clone()).or_insert(Item {
            slug,
            datestamp: day_of(&at),
            doc: None,
            sets,
        });
    }
    Ok(items.into_values().collect())
}

/// The sets each deleted document was in when it was deleted, from the store's
/// tombstones (a document deleted before the store kept them has none: it is then listed
/// only in harvests without a set).
fn tombstone_sets(store: &dyn Store) -> Result<BTreeMap<String, Vec<String>>, PublishError> {
    Ok(store
        .tombstones(RecordType::Document)?
        .into_iter()
        .map(|t| {
            let mut sets: Vec<String> = t.dossiers.iter().map(|d| format!("dossier:{d}")).collect();
            sets.push(format!("kind:{}", t.kind));
            (t.slug, sets)
        })
        .collect())
}

/// Documents whose last change in the log is a delete, with its time.
fn deleted_documents(store: &dyn Store) -> Result<Vec<(String, String)>, PublishError> {
    let mut last: BTreeMap<String, (ChangeOp, String)> = BTreeMap::new();
    let mut seq = 0;
    loop {
        let batch = store.changes_since(seq, 10_000)?;
        let Some(tail) = batch.last() else { break };
        seq = tail.seq;
        for c in batch {
            if c.record == RecordType::Document {
                last.insert(c.slug, (c.op, c.at));
            }
        }
    }
    Ok(last
        .into_iter()
        .filter(|(_, (op, _))| *op == ChangeOp::Delete)
        .map(|(slug, (_, at))| (slug, at))
        .collect())
}

pub(super) fn day_of(stamp: &str) -> String {
    stamp.chars().take(10).collect()
}

pub(super) fn in_set(item: &Item, set: &str) -> bool {
    item.sets
        .iter()
        .any(|s| s == set || s.strip_prefix(set).is_some_and(|r| r.starts_with(':')))
}

pub(super) fn identifier(site: &Site, slug: &str) -> String {
    format!("oai:{}:document/{slug}", site.host_name())
}

/// The slug an identifier of this repository names; `None` for any other identifier.
fn slug_of<'s>(site: &Site, identifier: &'s str) -> Option<&'s str> {
    let prefix = format!("oai:{}:document/", site.host_name());
    identifier
        .strip_prefix(&prefix)
        .filter(|s| dossier_model::is_valid_slug(s))
}

/// The repository's sets: `dossier`, `dossier:{slug}` for each dossier, `collection`
/// and `collection:{slug}` for each collection, `kind` and `kind:{slug}` for each kind of
/// document the archive holds.
pub(super) fn sets(store: &dyn Store) -> Result<Vec<(String, String)>, PublishError> {
    let mut out = Vec::new();
    let dossiers = store.dossiers()?;
    if !dossiers.is_empty() {
        out.push(("dossier".to_string(), "Dossiers".to_string()));
        for d in dossiers {
            out.push((format!("dossier:{}", d.slug), d.title));
        }
    }
    let collections = store.collections()?;
    if !collections.is_empty() {
        out.push(("collection".to_string(), "Collections".to_string()));
        for (c, _) in collections {
            out.push((format!("collection:{}", c.slug), c.title));
        }
    }
    let mut kinds: Vec<_> = store
        .documents(&DocumentQuery::default())?
        .into_iter()
        .map(|d| d.kind)
        .collect();
    kinds.sort();
    kinds.dedup();
    if !kinds.is_empty() {
        out.push(("kind".to_string(), "Kinds of document".to_string()));
        for k in kinds {
            out.push((format!("kind:{}", k.slug()), k.label().to_string()));
        }
    }
    Ok(out)
}

/// The item an identifier names, or idDoesNotExist.
pub(super) fn find(oai: &Oai, id: &str) -> Result<Result<Item, OaiError>, PublishError> {
    let missing = || {
        err(
            ErrorCode::IdDoesNotExist,
            format!(
                "No item of this repository has the identifier `{}`.",
                short(id)
            ),
        )
    };
    let Some(slug) = slug_of(oai.site, id) else {
        return Ok(Err(missing()));
    };
    if let Some(doc) = oai.store.document(slug)? {
        let datestamp = oai
            .store
            .stamps(RecordType::Document, slug)?
            .map(|s| day_of(&s.changed))
            .unwrap_or_default();
        return Ok(Ok(Item {
            slug: slug.to_string(),
            datestamp,
            sets: sets_of(&doc),
            doc: Some(doc),
        }));
    }
    match deleted_documents(oai.store)?
        .into_iter()
        .find(|(s, _)| s == slug)
    {
        Some((slug, at)) => Ok(Ok(Item {
            sets: tombstone_sets(oai.store)?.remove(&slug).unwrap_or_default(),
            slug,
            datestamp: day_of(&at),
            doc: None,
        })),
        None => Ok(Err(missing())),
    }
}
