//! Keeping the index in step with the store: applying the store's change log after the
//! index's last commit, and rebuilding it from the whole log.

use super::{io_err, SearchIndex};
use crate::docs::{self, for_record};
use crate::SearchError;
use dossier_model::RecordType;
use dossier_store::{ChangeOp, Store};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tantivy::{Index, IndexWriter, TantivyDocument, Term};

const CHANGES_PER_READ: usize = 5_000;

/// A batch a writer has just committed to the store, with its records in memory: see
/// [`BulkIndex::sync_committed`](super::BulkIndex::sync_committed).
#[derive(Debug, Clone)]
pub struct Committed {
    /// The batch's first and last change (`WriteSummary::logged`).
    pub seqs: (i64, i64),
    pub archive: std::sync::Arc<dossier_model::Archive>,
}

/// What a sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Changes of the store's log that were applied.
    pub applied: u64,
    /// Whether the index was rebuilt from nothing (missing, corrupt, or from another store).
    pub rebuilt: bool,
    /// The store change the index now reflects.
    pub seq: i64,
}

/// What [`SearchIndex::apply`] added to a writer.
#[derive(Debug, Default)]
struct Applied {
    /// The last change applied.
    seq: i64,
    applied: u64,
    names_changed: bool,
    text_bytes: u64,
}

impl Applied {
    fn report(&self) -> SyncReport {
        SyncReport {
            applied: self.applied,
            rebuilt: false,
            seq: self.seq,
        }
    }
}

impl SearchIndex {
    /// Builds the index again from the whole store, switching from the old complete index
    /// to the new complete one in one step, so that a server searching the same directory
    /// meanwhile never sees an empty or half-built index.
    ///
    /// A usable index is rebuilt in place: one writer drops every segment, adds every
    /// record and commits once. Until that commit, `meta.json` (which tantivy replaces
    /// atomically, by renaming a temporary file) still names the old segments, and their
    /// files are kept, since this process still holds their metas; so readers, and any
    /// process that opens the index, see the old index until the commit and the new one
    /// after it. A crash before the commit leaves the old index as it was. An index that
    /// cannot be opened (or has another schema) has nothing to keep: a new one is built
    /// beside it (`index.new`) and moved into its place.
    pub fn rebuild(
        dir: &Path,
        store: &dyn Store,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Self, SyncReport), SearchError> {
        let existing = if dir.join("meta.json").exists() {
            match Self::open_existing(dir) {
                Ok(index) => Some(index),
                Err(e) => {
                    tracing::warn!(error = %e, "the search index cannot be opened; building a new one beside it");
                    None
                }
            }
        } else {
            None
        };
        match existing {
            Some(index) => {
                let report = index.rebuild_in_place(store, progress)?;
                Ok((index, report))
            }
            None => Self::rebuild_beside(dir, store, progress),
        }
    }

    /// [`rebuild`](Self::rebuild) of an index that opens: drop everything, add everything,
    /// one commit.
    fn rebuild_in_place(
        &self,
        store: &dyn Store,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<SyncReport, SearchError> {
        let mut writer = self.writer()?;
        // Takes effect at the commit, not before: the committed meta is left alone.
        writer.delete_all_documents()?;
        let total = u64::try_from(store.last_change()?).unwrap_or(0);
        // An error drops the writer uncommitted: the old index stays as it was.
        let done = self.apply(store, &mut writer, 0, total, &[], progress)?;
        self.commit(&mut writer, done.seq, true, store)?;
        writer.wait_merging_threads()?;
        // The old segments' files: this process's own metas kept them through the commit's
        // clean-up; a writer of a freshly opened `Index` knows only the segments in use.
        // (A server that still reads them keeps them open; deleted files stay readable.)
        let collected = Index::open_in_dir(&self.dir).and_then(|fresh| {
            let collector: IndexWriter<TantivyDocument> =
                fresh.writer_with_num_threads(1, 20_000_000)?;
            collector.garbage_collect_files().wait().map(|_| ())
        });
        if let Err(e) = collected {
            // Only disk space: the next write to the index removes them.
            tracing::debug!(error = %e, "the old index's files are left for the next write");
        }
        let mut report = done.report();
        report.rebuilt = true;
        Ok(report)
    }

    /// [`rebuild`](Self::rebuild) where there is no usable index: built complete in
    /// `DIR.new`, then moved to `dir`.
    fn rebuild_beside(
        dir: &Path,
        store: &dyn Store,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Self, SyncReport), SearchError> {
        let mut beside = dir.as_os_str().to_owned();
        beside.push(".new");
        let beside = PathBuf::from(beside);
        let mut report = {
            let index = Self::create(&beside)?;
            index.sync_with_progress(store, progress)?
        };
        report.rebuilt = true;
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(io_err(dir))?;
        }
        std::fs::rename(&beside, dir).map_err(io_err(dir))?;
        let index = Self::open_existing(dir)?;
        index.read_names(store)?;
        Ok((index, report))
    }

    /// Applies the store's changes since the index's last commit.
    pub fn sync(&self, store: &dyn Store) -> Result<SyncReport, SearchError> {
        self.sync_with_progress(store, &mut |_, _| {})
    }

    /// Like [`sync`](Self::sync), reporting (changes applied, changes to apply).
    pub fn sync_with_progress(
        &self,
        store: &dyn Store,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<SyncReport, SearchError> {
        self.sync_inner(store, &[], progress)
    }

    /// A sync, with the records of `batches` taken from memory (see
    /// [`BulkIndex::sync_committed`](super::BulkIndex::sync_committed)).
    pub(super) fn sync_inner(
        &self,
        store: &dyn Store,
        batches: &[Committed],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<SyncReport, SearchError> {
        let mut bulk = self.bulk_writer.lock().unwrap_or_else(|p| p.into_inner());
        let committed = self.applied_seq().unwrap_or(0);
        let from = bulk.as_ref().map_or(committed, |b| b.added.max(committed));
        let last = store.last_change()?;
        if !self
            .synonyms_loaded
            .load(std::sync::atomic::Ordering::Acquire)
        {
            self.read_names(store)?;
        }
        if from >= last {
            return Ok(SyncReport {
                applied: 0,
                rebuilt: false,
                seq: from,
            });
        }
        let total = (last - from) as u64;
        let Some(b) = bulk.as_mut() else {
            // Not a bulk load: a writer for this sync alone, committed and released.
            let mut writer = self.writer()?;
            let done = self.apply(store, &mut writer, from, total, batches, progress)?;
            self.commit(&mut writer, done.seq, done.names_changed, store)?;
            writer.wait_merging_threads()?;
            return Ok(done.report());
        };
        let done = match self.apply(store, &mut b.writer, from, total, batches, progress) {
            Ok(done) => done,
            Err(e) => {
                // Half a sync must never be committed: back to the last commit.
                b.writer.rollback()?;
                b.added = committed;
                b.uncommitted = 0;
                b.names_changed = false;
                return Err(e);
            }
        };
        b.added = done.seq;
        b.uncommitted += done.text_bytes;
        b.names_changed |= done.names_changed;
        if b.uncommitted >= b.commit_bytes {
            let names_changed = std::mem::take(&mut b.names_changed);
            b.uncommitted = 0;
            self.commit(&mut b.writer, done.seq, names_changed, store)?;
        }
        Ok(done.report())
    }

    /// Adds the store's changes after `from` to `writer` (not committed). Records of
    /// `batches` come from memory, the others from the store.
    fn apply(
        &self,
        store: &dyn Store,
        writer: &mut IndexWriter<TantivyDocument>,
        from: i64,
        total: u64,
        batches: &[Committed],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Applied, SearchError> {
        let in_memory: Vec<((i64, i64), docs::InMemory)> = batches
            .iter()
            .map(|b| (b.seqs, docs::InMemory::new(&b.archive)))
            .collect();
        let mut done = Applied {
            seq: from,
            ..Applied::default()
        };
        loop {
            let changes = store.changes_since(done.seq, CHANGES_PER_READ)?;
            let Some(tail) = changes.last() else { break };
            let next_seq = tail.seq;
            // Everything up to `seq` is applied (committed, or added by this writer), so a
            // record with no earlier change has no copy to delete. Each delete is looked up
            // in every segment at commit: skipping them is most of a bulk load's savings.
            let known = store.changed_at_or_before(done.seq, next_seq)?;
            // Only the latest state of each record matters.
            let mut latest: BTreeMap<(RecordType, &str), (ChangeOp, i64)> = BTreeMap::new();
            for c in &changes {
                latest.insert((c.record, c.slug.as_str()), (c.op, c.seq));
                done.names_changed |= matches!(c.record, RecordType::Body | RecordType::Person);
            }
            for ((record, slug), (op, at)) in latest {
                let owner = format!("{}:{slug}", record.as_str());
                if known.contains(&(record, slug.to_string())) {
                    writer.delete_term(Term::from_field_text(self.f.owner, &owner));
                }
                if op == ChangeOp::Upsert {
                    let written = in_memory
                        .iter()
                        .find(|((first, last), _)| (*first..=*last).contains(&at))
                        .and_then(|(_, batch)| batch.docs(record, slug));
                    // A record that cannot be read is left out of the index (its old
                    // copy deleted above) with a warning naming it, so that one bad row
                    // cannot stop search, imports, reindex or serve.
                    let docs = match written {
                        Some(docs) => docs,
                        None => dossier_store::skip_corrupt(for_record(store, record, slug))?
                            .unwrap_or_default(),
                    };
                    for d in docs {
                        done.text_bytes += (d.title.len() + d.body.len()) as u64;
                        writer.add_document(self.to_tantivy(&d, &owner))?;
                    }
                }
            }
            done.applied += changes.len() as u64;
            done.seq = next_seq;
            progress(done.applied.min(total), total);
        }
        Ok(done)
    }

    /// Commits what `writer` holds as applied up to change `seq`, and makes it searchable.
    pub(super) fn commit(
        &self,
        writer: &mut IndexWriter<TantivyDocument>,
        seq: i64,
        names_changed: bool,
        store: &dyn Store,
    ) -> Result<(), SearchError> {
        self.commit_only(writer, seq)?;
        // Names of bodies and people expand queries: read them again when they changed
        // (every import batch of people or bodies; not the batches of documents or events).
        if names_changed {
            let t = std::time::Instant::now();
            self.read_names(store)?;
            tracing::debug!(ms = t.elapsed().as_millis() as u64, "names read again");
        }
        self.reader.reload()?;
        Ok(())
    }

    /// Commits what `writer` holds, as the index's state after store change `seq`, without
    /// making it visible to this index's searches.
    pub(super) fn commit_only(
        &self,
        writer: &mut IndexWriter<TantivyDocument>,
        seq: i64,
    ) -> Result<(), SearchError> {
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&seq.to_string());
        commit.commit()?;
        Ok(())
    }
}
