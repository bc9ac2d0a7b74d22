//! The checks every record passes before it is batched: the slugs it names exist, and no
//! other record of this import has its id. A failed check skips the record alone.

use anyhow::Result;
use dossier_ingest::import::Imported;
use dossier_model::{Archive, Record};
use dossier_store::Store;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// The records this import has read so far, and those found in the store (by the hash
/// of type and slug; the found ones bounded).
#[derive(Default)]
pub(crate) struct Seen {
    read: HashSet<u64>,
    /// The linked records that records read so far brought (created unless the archive
    /// holds them): a record that reconciliation pointed at one needs no copy of it.
    linked: HashSet<u64>,
    exists: HashSet<u64>,
}

impl Seen {
    /// Checks a record: what is wrong with it (its links, or a duplicate id), with its
    /// place and field; `None` if it may be imported, in which case it counts as read.
    pub(crate) fn check(&mut self, store: &dyn Store, r: &Imported) -> Result<Option<String>> {
        let problem = match check_links(store, r, [&self.read, &self.linked], &mut self.exists)? {
            Some(p) => Some(p),
            None if !self.read.insert(slug_hash(&r.record)) => Some(duplicate(r)),
            None => None,
        };
        if problem.is_none() {
            self.linked.extend(r.linked.iter().map(slug_hash));
        }
        Ok(problem)
    }
}

fn slug_hash(r: &Record) -> u64 {
    key_hash(r.type_name(), r.slug())
}

fn key_hash(record_type: &str, slug: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    record_type.hash(&mut h);
    slug.hash(&mut h);
    h.finish()
}

/// Checks the slugs a record names: each must be the record's own linked records, a
/// record of this import read before it, or in the store. Says what is wrong, with the
/// record's place and field, so that one bad link never sinks a whole batch.
fn check_links(
    store: &dyn Store,
    r: &Imported,
    seen: [&HashSet<u64>; 2],
    exists: &mut HashSet<u64>,
) -> Result<Option<String>> {
    let mut archive = Archive::default();
    r.record.clone().add_to(&mut archive);
    let mut keys = HashSet::new();
    for l in &r.linked {
        if keys.insert((l.type_name(), l.slug().to_string())) && l.slug() != r.record.slug() {
            l.clone().add_to(&mut archive);
        }
    }
    if exists.len() > 200_000 {
        exists.clear();
    }
    // Ask the store once per slug (the answers are kept, bounded).
    let cache = std::cell::RefCell::new(exists);
    let known = |t: &str, s: &str| {
        let h = key_hash(t, s);
        if seen.iter().any(|s| s.contains(&h)) || cache.borrow().contains(&h) {
            return true;
        }
        let here = dossier_store::names_existing(store, t, s);
        if here {
            cache.borrow_mut().insert(h);
        }
        here
    };
    let errors = archive.validate(&known);
    let Some(e) = errors.first() else {
        return Ok(None);
    };
    Ok(Some(format!(
        "{}:{}: record {}, field `{}`: {} `{}`: {}",
        r.file,
        r.pos,
        r.record.slug(),
        e.field,
        e.record,
        e.slug,
        e.problem
    )))
}

fn duplicate(r: &Imported) -> String {
    format!(
        "{}:{}: record {}, field `id`: another record of this import has the same id (slug `{}`); this one is skipped",
        r.file,
        r.pos,
        r.record.slug(),
        r.record.slug()
    )
}
