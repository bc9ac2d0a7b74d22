//! The index thread: the search index follows the store, syncing after each committed
//! batch while the next batch is made and written. It applies only what is committed (the
//! change log says what), so it never sees half a batch; it lags the store by a batch or
//! two, and catches up before the run ends. Each committed batch travels to it with its
//! records, so that it need not read them back; one batch waits while another is indexed,
//! which bounds the memory held.

use anyhow::{Context, Result};
use crossbeam_channel::Sender;
use dossier_search::{BulkIndex, Committed};
use dossier_store::Store;
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

/// Why the index is behind the store when it cannot follow.
pub(crate) const INDEX_BEHIND: &str =
    "the batches are stored but the search index could not follow; `dossier reindex` repairs it";

/// The index thread, which returns its busy time.
type Indexer<'scope> = ScopedJoinHandle<'scope, Result<Duration>>;

/// Starts the index thread (at a lowered priority); it returns its busy time once the
/// sender is dropped.
pub(crate) fn spawn<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    index: &'env BulkIndex,
    store: &'env dyn Store,
    lower_priority: &'env (dyn Fn() + Sync),
) -> Result<(Indexer<'scope>, Sender<Vec<Committed>>)> {
    let (tx, rx) = crossbeam_channel::bounded::<Vec<Committed>>(1);
    let indexer = std::thread::Builder::new()
        .name("index-sync".into())
        .spawn_scoped(scope, move || -> Result<Duration> {
            lower_priority();
            let mut spent = Duration::ZERO;
            while let Ok(mut batches) = rx.recv() {
                let t = Instant::now();
                batches.extend(rx.try_iter().flatten());
                index
                    .sync_committed(store, &batches)
                    .context(INDEX_BEHIND)?;
                spent += t.elapsed();
                tracing::debug!(
                    batches = batches.len(),
                    ms = t.elapsed().as_millis() as u64,
                    "indexed"
                );
            }
            Ok(spent)
        })?;
    Ok((indexer, tx))
}
