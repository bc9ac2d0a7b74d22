//! Bulk loading: one writer kept across the syncs of an import, commits by volume of
//! text rather than per sync, and the merges that leave few segments at its end. An
//! import owns a [`BulkIndex`] for the load's length; readers and the server know only
//! [`SearchIndex`].

use super::{Committed, SearchIndex, SyncReport};
use crate::SearchError;
use dossier_store::Store;
use tantivy::{Index, IndexWriter, TantivyDocument};

/// The writer of a bulk load, and what it holds that is not yet committed.
pub(super) struct Bulk {
    pub(super) writer: IndexWriter<TantivyDocument>,
    /// The last change added to the writer (committed or not).
    pub(super) added: i64,
    /// Bytes of text added since the last commit.
    pub(super) uncommitted: u64,
    /// Whether the uncommitted changes touch bodies or people (whose names expand queries).
    pub(super) names_changed: bool,
    /// Commit once this much text is uncommitted ([`BULK_COMMIT_BYTES`] but in tests).
    pub(super) commit_bytes: u64,
    /// The segments the index had when the bulk load began: the load merges only its own.
    pub(super) before: std::collections::HashSet<tantivy::index::SegmentId>,
}

/// A bulk load ends with at most this many segments of its own (see
/// [`SearchIndex::merge_small_segments`]).
const BULK_MAX_SEGMENTS: usize = 4;

/// Which segments to merge at the end of a bulk load, given their sizes largest first
/// (indexes into `sizes`): each group is merged into one segment, and the groups are merged
/// side by side, one per core (at most [`BULK_MAX_SEGMENTS`] - 1). The largest segments
/// are kept as they are, as many as leave [`BULK_MAX_SEGMENTS`] in all; the rest go,
/// largest first, to the group with the fewest documents so far, so that the merges take
/// about as long as each other. A group of one is no merge and is left out.
fn merge_groups(sizes: &[u32], cores: usize) -> Vec<Vec<usize>> {
    if sizes.len() <= BULK_MAX_SEGMENTS {
        return Vec::new();
    }
    let n = cores.clamp(1, BULK_MAX_SEGMENTS - 1);
    let mut groups: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); n];
    for (i, &size) in sizes.iter().enumerate().skip(BULK_MAX_SEGMENTS - n) {
        let g = groups
            .iter_mut()
            .min_by_key(|(total, _)| *total)
            .expect("at least one group");
        g.0 += u64::from(size);
        g.1.push(i);
    }
    groups
        .into_iter()
        .map(|(_, g)| g)
        .filter(|g| g.len() > 1)
        .collect()
}

/// During a bulk load the index commits once this much text has been added since the
/// last commit, and at its end, rather than after every sync. Each commit closes a segment
/// and tantivy then merges the small segments: committing after every import batch cost
/// about a tenth of an import's time in merges alone. Between commits the index lags the
/// store a little more; a crash loses nothing, since the index catches up from the change
/// log on the next start.
const BULK_COMMIT_BYTES: u64 = 256 * 1024 * 1024;

/// An index in a bulk load: syncs keep one writer (and the index lock) until
/// [`end`](Self::end) or [`close`](Self::close), instead of opening and closing one per
/// sync, and commit only every [`BULK_COMMIT_BYTES`] of text. Made by
/// [`SearchIndex::bulk`]; it answers everything the index does (`Deref`), searches
/// included.
pub struct BulkIndex {
    index: SearchIndex,
}

impl std::ops::Deref for BulkIndex {
    type Target = SearchIndex;

    fn deref(&self) -> &SearchIndex {
        &self.index
    }
}

impl SearchIndex {
    /// Starts a bulk load.
    pub fn bulk(self) -> Result<BulkIndex, SearchError> {
        self.bulk_committing_every(BULK_COMMIT_BYTES)
    }

    /// [`bulk`](Self::bulk), committing every `bytes` of text (tests use small values to
    /// make a bulk load of many segments).
    pub fn bulk_committing_every(self, bytes: u64) -> Result<BulkIndex, SearchError> {
        {
            let mut bulk = self.bulk_writer.lock().unwrap_or_else(|p| p.into_inner());
            if bulk.is_none() {
                *bulk = Some(Bulk {
                    writer: self.writer()?,
                    added: self.applied_seq().unwrap_or(0),
                    uncommitted: 0,
                    names_changed: false,
                    commit_bytes: bytes,
                    before: self.index.searchable_segment_ids()?.into_iter().collect(),
                });
            }
        }
        Ok(BulkIndex { index: self })
    }
}

impl BulkIndex {
    /// Like [`SearchIndex::sync`], for a writer that has just committed `batches`: their
    /// records are taken from memory rather than read back from the store. The change log
    /// still says what to apply; only changes inside a batch's logged range come from its
    /// copy, so changes other writers made in between are read from the store as usual.
    pub fn sync_committed(
        &self,
        store: &dyn Store,
        batches: &[Committed],
    ) -> Result<SyncReport, SearchError> {
        self.index.sync_inner(store, batches, &mut |_, _| {})
    }

    /// Ends the bulk load: commits what the syncs added since the last commit, waits for
    /// segment merges and releases the writer. The index is searched after.
    pub fn end(self, store: &dyn Store) -> Result<SearchIndex, SearchError> {
        self.index.finish_bulk(store, true)?;
        Ok(self.index)
    }

    /// Ends the bulk load like [`end`](Self::end) and closes the index, for a process
    /// that only imports: its searches are gone with it, so the names that expand queries
    /// are not read again and no reader opens the new segments.
    pub fn close(self, store: &dyn Store) -> Result<(), SearchError> {
        self.index.finish_bulk(store, false)
    }
}

impl SearchIndex {
    fn finish_bulk(&self, store: &dyn Store, searched_after: bool) -> Result<(), SearchError> {
        let bulk = self
            .bulk_writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(mut b) = bulk {
            let started = std::time::Instant::now();
            if b.added > self.applied_seq().unwrap_or(0) {
                if searched_after {
                    self.commit(&mut b.writer, b.added, b.names_changed, store)?;
                } else {
                    self.commit_only(&mut b.writer, b.added)?;
                }
            }
            let committed = started.elapsed();
            b.writer.wait_merging_threads()?;
            let merged = started.elapsed();
            let (segments, left) = self.merge_small_segments(&b.before)?;
            if searched_after {
                self.reader.reload()?;
            }
            tracing::info!(
                commit_ms = committed.as_millis() as u64,
                merges_ms = (merged - committed).as_millis() as u64,
                last_merges_ms = (started.elapsed() - merged).as_millis() as u64,
                segments,
                left,
                "end of the index's bulk load"
            );
        }
        Ok(())
    }

    /// Leaves at most [`BULK_MAX_SEGMENTS`] of the segments a bulk load made, by merging
    /// the smallest of them. Every search finds the top hits of each segment on its own, so
    /// a bulk load that left many segments (each commit and each full indexing buffer
    /// makes one) slowed every search after it (BENCHMARKS.md). The smallest are cheap to
    /// merge. They are merged into one segment per core, side by side: a merge runs on one
    /// core, and a single merge ended a large load with the other core idle.
    /// Segments older than the load are left to tantivy's merge policy, so that small
    /// imports into a large archive never pay for merging it. Returns how many segments
    /// of the load there were and how many are left.
    fn merge_small_segments(
        &self,
        before: &std::collections::HashSet<tantivy::index::SegmentId>,
    ) -> Result<(usize, usize), SearchError> {
        let mut metas: Vec<_> = self
            .index
            .searchable_segment_metas()?
            .into_iter()
            .filter(|m| !before.contains(&m.id()))
            .collect();
        if metas.len() <= BULK_MAX_SEGMENTS {
            return Ok((metas.len(), metas.len()));
        }
        metas.sort_by_key(|m| std::cmp::Reverse(m.max_doc()));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let groups = merge_groups(
            &metas.iter().map(|m| m.max_doc()).collect::<Vec<_>>(),
            cores,
        );
        let mut writer = self.writer()?;
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let merges: Vec<_> = groups
            .iter()
            .map(|g| {
                let ids: Vec<_> = g.iter().map(|&i| metas[i].id()).collect();
                writer.merge(&ids)
            })
            .collect();
        for m in merges {
            m.wait()?;
        }
        writer.wait_merging_threads()?;
        let left = metas.len() - groups.iter().map(|g| g.len() - 1).sum::<usize>();
        self.reader.reload()?;
        // The merged segments' files. Tantivy keeps the files of every segment that any
        // object of this `Index` still describes, which after a bulk load keeps them until
        // the next process writes; a writer of a freshly opened `Index` knows only the
        // segments in use. (Files a reader has open stay readable once deleted.)
        let fresh = Index::open_in_dir(&self.dir)?;
        let collector: IndexWriter<TantivyDocument> =
            fresh.writer_with_num_threads(1, 20_000_000)?;
        collector.garbage_collect_files().wait()?;
        Ok((metas.len(), left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many segments a bulk load leaves after merging `groups` of `n`.
    fn left(n: usize, groups: &[Vec<usize>]) -> usize {
        n - groups.iter().map(|g| g.len() - 1).sum::<usize>()
    }

    #[test]
    fn few_segments_are_not_merged() {
        assert!(merge_groups(&[5, 4, 3, 2], 2).is_empty());
        assert!(merge_groups(&[5], 1).is_empty());
    }

    #[test]
    fn one_core_merges_the_smallest_into_one() {
        let sizes = [9, 8, 7, 3, 2, 1];
        assert_eq!(merge_groups(&sizes, 1), [vec![3, 4, 5]]);
    }

    #[test]
    fn two_cores_merge_two_groups_of_about_equal_size() {
        let sizes = [100, 100, 50, 50, 50, 50, 10];
        let groups = merge_groups(&sizes, 2);
        assert_eq!(groups, [vec![2, 4, 6], vec![3, 5]]);
        assert_eq!(left(sizes.len(), &groups), BULK_MAX_SEGMENTS);
    }

    #[test]
    fn a_large_segment_is_not_merged_for_balance() {
        // The third largest alone outweighs the rest: it stays, and the rest are merged.
        let sizes = [300, 300, 300, 20, 10, 10];
        assert_eq!(merge_groups(&sizes, 2), [vec![3, 4, 5]]);
    }

    #[test]
    fn never_more_than_the_limit_is_left() {
        let mut sizes: Vec<u32> = Vec::new();
        for n in 1..40u32 {
            sizes.push(n.wrapping_mul(2_654_435_761) % 1000 + 1);
            let mut sorted = sizes.clone();
            sorted.sort_by(|a, b| b.cmp(a));
            for cores in 1..6 {
                let groups = merge_groups(&sorted, cores);
                assert!(groups.len() < BULK_MAX_SEGMENTS);
                assert!(left(sorted.len(), &groups) <= BULK_MAX_SEGMENTS);
            }
        }
    }
}
