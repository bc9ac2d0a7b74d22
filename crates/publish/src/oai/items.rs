//! The repository's items (documents, bodies and people, live and deleted, with their
//! datestamps and sets), its identifiers and its sets.

use super::request::short;
use super::{err, ErrorCode, Oai, OaiError};
use crate::site::Site;
use crate::PublishError;
use dossier_model::{Record, RecordType};
use dossier_store::{ChangeOp, DocumentQuery, Store};
use std::collections::BTreeMap;

/// The record types that are items of the repository, in the order of their
/// identifiers' type part (`body` < `document` < `person`), which is list order.
pub(super) const ITEM_TYPES: [RecordType; 3] =
    [RecordType::Body, RecordType::Document, RecordType::Person];

/// One item of the repository: a live record or a deleted one.
pub(super) struct Item {
    pub(super) record: RecordType,
    pub(super) slug: String,
    /// `YYYY-MM-DD`.
    pub(super) datestamp: String,
    pub(super) live: Option<Record>,
    pub(super) sets: Vec<String>,
}

impl Item {
    /// Where the item stands in a list, and what a resumption token remembers:
    /// `{type}/{slug}`.
    pub(super) fn key(&self) -> String {
        item_key(self.record, &self.slug)
    }
}

pub(super) fn item_key(record: RecordType, slug: &str) -> String {
    format!("{}/{slug}", record.as_str())
}

/// The set of a record type: `type:document`, `type:body`, `type:person`.
fn type_set(record: RecordType) -> String {
    format!("type:{}", record.as_str())
}

fn sets_of(r: &Record) -> Vec<String> {
    let (dossiers, collections, kind): (&[String], &[String], Option<&str>) = match r {
        Record::Document(d) => (&d.dossiers, &d.collections, Some(d.kind.slug())),
        Record::Body(b) => (&b.dossiers, &b.collections, None),
        Record::Person(p) => (&p.dossiers, &p.collections, None),
        // Not items of the repository.
        Record::Event(_) | Record::Topic(_) => (&[], &[], None),
    };
    let mut s: Vec<String> = dossiers.iter().map(|x| format!("dossier:{x}")).collect();
    if let Some(k) = kind {
        s.push(format!("kind:{k}"));
    }
    s.extend(collections.iter().map(|c| format!("collection:{c}")));
    s.push(type_set(r.record_type()));
    s
}

fn datestamp(store: &dyn Store, record: RecordType, slug: &str) -> Result<String, PublishError> {
    Ok(store
        .stamps(record, slug)?
        .map(|s| day_of(&s.changed))
        .unwrap_or_default())
}

fn live_item(store: &dyn Store, r: Record) -> Result<Item, PublishError> {
    let record = r.record_type();
    let slug = r.slug().to_string();
    Ok(Item {
        datestamp: datestamp(store, record, &slug)?,
        sets: sets_of(&r),
        record,
        slug,
        live: Some(r),
    })
}

/// The live records of the types asked for.
fn live_records(store: &dyn Store, types: &[RecordType]) -> Result<Vec<Record>, PublishError> {
    let mut out = Vec::new();
    for t in types {
        match t {
            RecordType::Document => out.extend(
                store
                    .documents(&DocumentQuery::default())?
                    .into_iter()
                    .map(Record::Document),
            ),
            RecordType::Body => out.extend(store.bodies(None)?.into_iter().map(Record::Body)),
            RecordType::Person => out.extend(store.people(None)?.into_iter().map(Record::Person)),
            _ => {}
        }
    }
    Ok(out)
}

/// Every item of the types asked for, live and deleted, in identifier order.
pub(super) fn all_items(
    store: &dyn Store,
    types: &[RecordType],
) -> Result<Vec<Item>, PublishError> {
    let mut items: BTreeMap<String, Item> = BTreeMap::new();
    for r in live_records(store, types)? {
        let item = live_item(store, r)?;
        items.insert(item.key(), item);
    }
    let mut graves = tombstone_sets(store, types)?;
    for ((record, slug), at) in deleted(store, types)? {
        let sets = graves
            .remove(&(record, slug.clone()))
            .unwrap_or_else(|| vec![type_set(record)]);
        items.entry(item_key(record, &slug)).or_insert(Item {
            record,
            slug,
            datestamp: day_of(&at),
            live: None,
            sets,
        });
    }
    Ok(items.into_values().collect())
}

/// The sets each deleted record was in when it was deleted, from the store's tombstones
/// (a record deleted before the store kept them is then listed only in harvests without
/// a set, or by its type).
fn tombstone_sets(
    store: &dyn Store,
    types: &[RecordType],
) -> Result<BTreeMap<(RecordType, String), Vec<String>>, PublishError> {
    let mut out = BTreeMap::new();
    for &t in types {
        for grave in store.tombstones(t)? {
            let mut sets: Vec<String> = grave
                .dossiers
                .iter()
                .map(|d| format!("dossier:{d}"))
                .collect();
            if t == RecordType::Document {
                sets.push(format!("kind:{}", grave.kind));
            }
            sets.push(type_set(t));
            out.insert((t, grave.slug), sets);
        }
    }
    Ok(out)
}

/// Records of the types asked for whose last change in the log is a delete, with its
/// time.
fn deleted(
    store: &dyn Store,
    types: &[RecordType],
) -> Result<BTreeMap<(RecordType, String), String>, PublishError> {
    let mut last: BTreeMap<(RecordType, String), (ChangeOp, String)> = BTreeMap::new();
    let mut seq = 0;
    loop {
        let batch = store.changes_since(seq, 10_000)?;
        let Some(tail) = batch.last() else { break };
        seq = tail.seq;
        for c in batch {
            if types.contains(&c.record) {
                last.insert((c.record, c.slug), (c.op, c.at));
            }
        }
    }
    Ok(last
        .into_iter()
        .filter(|(_, (op, _))| *op == ChangeOp::Delete)
        .map(|(k, (_, at))| (k, at))
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

pub(super) fn identifier(site: &Site, record: RecordType, slug: &str) -> String {
    format!("oai:{}:{}/{slug}", site.host_name(), record.as_str())
}

/// The record an identifier of this repository names; `None` for any other identifier.
fn parse_identifier<'s>(site: &Site, identifier: &'s str) -> Option<(RecordType, &'s str)> {
    let prefix = format!("oai:{}:", site.host_name());
    let (ty, slug) = identifier.strip_prefix(&prefix)?.split_once('/')?;
    let record = ITEM_TYPES.into_iter().find(|t| t.as_str() == ty)?;
    dossier_model::is_valid_slug(slug).then_some((record, slug))
}

/// The repository's sets: `dossier`, `dossier:{slug}` for each dossier, `collection`
/// and `collection:{slug}` for each collection, `kind` and `kind:{slug}` for each kind of
/// document the archive holds, and `type` with `type:{document|body|person}` for each
/// type of record it holds.
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
    let documents = store.documents(&DocumentQuery::default())?;
    let mut kinds: Vec<_> = documents.iter().map(|d| d.kind).collect();
    kinds.sort();
    kinds.dedup();
    if !kinds.is_empty() {
        out.push(("kind".to_string(), "Kinds of document".to_string()));
        for k in kinds {
            out.push((format!("kind:{}", k.slug()), k.label().to_string()));
        }
    }
    let held: Vec<(RecordType, &str)> = [
        (RecordType::Body, "Bodies", !store.bodies(None)?.is_empty()),
        (RecordType::Document, "Documents", !documents.is_empty()),
        (
            RecordType::Person,
            "People",
            !store.people(None)?.is_empty(),
        ),
    ]
    .into_iter()
    .filter(|(_, _, any)| *any)
    .map(|(t, name, _)| (t, name))
    .collect();
    if !held.is_empty() {
        out.push(("type".to_string(), "Types of record".to_string()));
        for (t, name) in held {
            out.push((type_set(t), name.to_string()));
        }
    }
    Ok(out)
}

/// The item an identifier names, or idDoesNotExist. The identifier of a record merged
/// into another (the store's redirect) names the record it was merged into, so that
/// identifiers a harvester kept go on resolving.
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
    let Some((record, slug)) = parse_identifier(oai.site, id) else {
        return Ok(Err(missing()));
    };
    if let Some(r) = oai.store.record(record, slug)? {
        return Ok(Ok(live_item(oai.store, r)?));
    }
    if let Some(survivor) = oai.store.redirect(record, slug)? {
        if let Some(r) = oai.store.record(record, &survivor)? {
            return Ok(Ok(live_item(oai.store, r)?));
        }
    }
    let key = (record, slug.to_string());
    match deleted(oai.store, &[record])?.remove(&key) {
        Some(at) => Ok(Ok(Item {
            sets: tombstone_sets(oai.store, &[record])?
                .remove(&key)
                .unwrap_or_else(|| vec![type_set(record)]),
            record,
            slug: key.1,
            datestamp: day_of(&at),
            live: None,
        })),
        None => Ok(Err(missing())),
    }
}
