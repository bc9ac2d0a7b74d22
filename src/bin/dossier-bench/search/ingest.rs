//! Both engines' ingest of the same batches, timed: dossier as `dossier import` does it,
//! then FTS5.

use super::fts::Fts;
use super::timed;
use crate::util;
use anyhow::Result;
use dossier_model::*;
use dossier_search::{Committed, SearchIndex};
use dossier_store::{BulkLoad, SqliteStore, Store};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What dossier's ingest took, and its index once done.
pub(super) struct Ingest {
    pub(super) index: SearchIndex,
    /// From the first write to the index's last merge.
    pub(super) wall: Duration,
    /// The store's writes and the index's syncs, on their two threads.
    pub(super) store: Duration,
    pub(super) index_syncs: Duration,
    /// CPU seconds of the whole process.
    pub(super) cpu: f64,
}

/// Dossier's ingest, as `dossier import` does it: the store takes batch after batch while
/// the search index follows on a thread of its own, each committed batch handed to it with
/// its records. Returns the batches again, for FTS5.
pub(super) fn dossier(
    store: &SqliteStore,
    index: SearchIndex,
    mut batches: Vec<Vec<Document>>,
    total: usize,
) -> Result<(Ingest, Vec<Vec<Document>>)> {
    let (mut t_store, mut t_index) = (Duration::ZERO, Duration::ZERO);
    let cpu_before = util::cpu_seconds().0;
    let started = Instant::now();
    let index = index.bulk()?;
    store.begin_bulk()?;
    let mut kept: Vec<Arc<Archive>> = Vec::new();
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Committed>(1);
        let (store_ref, index_ref) = (store, &index);
        let follower = std::thread::Builder::new()
            .name("index-sync".into())
            .spawn_scoped(scope, move || -> Result<Duration> {
                let mut busy = Duration::ZERO;
                while let Ok(first) = rx.recv() {
                    let mut committed = vec![first];
                    committed.extend(rx.try_iter());
                    let (_, t) = timed(|| Ok(index_ref.sync_committed(store_ref, &committed)?))?;
                    busy += t;
                }
                Ok(busy)
            })?;
        let mut written = 0;
        for docs in batches.drain(..) {
            written += docs.len();
            let archive = Arc::new(Archive {
                documents: docs,
                ..Archive::default()
            });
            let (summary, t) = timed(|| Ok(store.write(&archive)?))?;
            t_store += t;
            if let Some(seqs) = summary.logged {
                let archive = archive.clone();
                tx.send(Committed { seqs, archive })
                    .map_err(|_| anyhow::anyhow!("the index thread stopped"))?;
            }
            kept.push(archive);
            eprint!("\r  dossier: ingested {written}/{}", total);
        }
        drop(tx);
        t_index += follower
            .join()
            .map_err(|_| anyhow::anyhow!("the index thread panicked"))??;
        Ok(())
    })?;
    // The same rows go to FTS5 below.
    let batches: Vec<Vec<Document>> = kept
        .into_iter()
        .map(|a| {
            Arc::try_unwrap(a)
                .map(|a| a.documents)
                .map_err(|_| anyhow::anyhow!("a batch is still held by the index thread"))
        })
        .collect::<Result<_>>()?;
    eprintln!();
    // Whatever the index thread had not applied yet and the last merges, while the rest of
    // the store's write-ahead log is copied into the database file.
    let (index_end, store_end) = std::thread::scope(|scope| {
        let store_end = scope.spawn(|| timed(|| Ok(store.end_bulk()?)));
        let index_end = timed(|| {
            index.sync(store)?;
            Ok(index.end(store)?)
        });
        let store_end = store_end
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the store's checkpoint panicked")));
        (index_end, store_end)
    });
    let (index, t) = index_end?;
    t_index += t;
    t_store += store_end?.1;
    let t_dossier = started.elapsed();
    let cpu_dossier = util::cpu_seconds().0 - cpu_before;
    Ok((
        Ingest {
            index,
            wall: t_dossier,
            store: t_store,
            index_syncs: t_index,
            cpu: cpu_dossier,
        },
        batches,
    ))
}

/// FTS5's ingest of the same rows, optimised and checkpointed, and how long it took.
pub(super) fn fts(
    dir: &Path,
    batches: Vec<Vec<Document>>,
    total: usize,
) -> Result<(Fts, Duration)> {
    let mut fts = Fts::create(&dir.join("fts5.db"))?;
    let mut t_fts = Duration::ZERO;
    let mut first = 1;
    for docs in &batches {
        let (_, t) = timed(|| fts.insert(docs, first))?;
        t_fts += t;
        first += docs.len();
        eprint!("\r  FTS5: ingested {}/{}", first - 1, total);
    }
    eprintln!();
    drop(batches);
    let (_, t) = timed(|| {
        Ok(fts.conn.execute_batch(
            "INSERT INTO fts(fts) VALUES ('optimize'); PRAGMA wal_checkpoint(TRUNCATE);",
        )?)
    })?;
    t_fts += t;
    Ok((fts, t_fts))
}
