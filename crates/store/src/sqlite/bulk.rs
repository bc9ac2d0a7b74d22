//! The bulk load: throughput settings for an import's length ([`BulkLoad::begin_bulk`]),
//! the [`Flusher`] that writes changed pages ahead of SQLite's syncs, and the held
//! transaction an import writes into while its first pass still checks the files.

use super::{wal_path, SqliteStore, WAL_KEEP_BYTES};
use crate::{BulkLoad, StoreError};
use std::path::Path;
use std::time::Duration;

/// How far the write-ahead log may grow during a bulk load before SQLite copies it into
/// the database (pages of 4 KiB: 256 MiB). With SQLite's default of 1,000 pages every batch
/// of an import (megabytes of pages) was copied, and synced, at its commit, and a page that
/// many batches change (an index's) was copied as often. A larger log helps small records
/// more but large ones less: four times this size took large TEI imports below the rate
/// the importers must reach (BENCHMARKS.md).
const BULK_WAL_PAGES: i64 = 65_536;
/// SQLite's default checkpoint threshold, for everything but bulk loads: a server's edits
/// are small, and a short log is quick to read back after a crash.
const WAL_PAGES: i64 = 1_000;
/// How often the bulk load's [`Flusher`] has the operating system write the files'
/// changed pages.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// A thread that, during a bulk load, has the operating system write the changed pages of
/// the database and of its write-ahead log to disk every [`FLUSH_EVERY`], while the writer
/// goes on.
///
/// Why: at each checkpoint SQLite syncs the log and then the database, and the writer waits
/// for both, while the search index, which waits for the store, had nothing to do either.
/// With the pages written ahead, the syncs find little left to write (BENCHMARKS.md).
/// PostgreSQL's
/// `checkpoint_flush_after` does the same for the same reason. Nothing about durability
/// changes: the pages are written earlier, and SQLite's own syncs still come when they did.
pub(super) struct Flusher {
    /// Dropping it stops the thread.
    stop: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Flusher {
    pub(super) fn start(db: &Path) -> std::io::Result<Flusher> {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let files = [db.to_path_buf(), wal_path(db)];
        let thread = std::thread::Builder::new()
            .name("store-flush".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(FLUSH_EVERY)
                {
                    for f in &files {
                        // A log not made yet, or a system that cannot sync a file opened
                        // for reading: the writes then simply wait for SQLite's own sync.
                        if let Ok(file) = std::fs::File::open(f) {
                            let _ = file.sync_data();
                        }
                    }
                }
            })?;
        Ok(Flusher { stop, thread })
    }

    pub(super) fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

impl BulkLoad for SqliteStore {
    /// Starts a bulk load (an import, a benchmark's ingest): the write-ahead log may grow to
    /// [`BULK_WAL_PAGES`] before it is copied into the database, its file keeps its size
    /// when it starts over, and a [`Flusher`] writes changed pages ahead of SQLite's syncs.
    /// Each write stays one transaction, committed as before; only when its pages reach
    /// the database file changes. Call [`end_bulk`](Self::end_bulk) when the load is done
    /// (an error included).
    fn begin_bulk(&self) -> Result<(), StoreError> {
        let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        conn.pragma_update(None, "wal_autocheckpoint", BULK_WAL_PAGES)?;
        conn.pragma_update(None, "journal_size_limit", -1)?;
        let mut flusher = self.flusher.lock().unwrap_or_else(|p| p.into_inner());
        if let (None, Some(path)) = (&*flusher, &self.path) {
            // Without it the load is slower, not wrong.
            match Flusher::start(path) {
                Ok(f) => *flusher = Some(f),
                Err(e) => tracing::warn!("cannot start the store's flusher thread: {e}"),
            }
        }
        Ok(())
    }

    /// Ends a bulk load: copies the write-ahead log into the database now (so that neither
    /// the next write nor the next reader pays for it), truncates the log, goes back to
    /// SQLite's default threshold and stops the [`Flusher`]. If a reader (a running server)
    /// keeps part of the log in use, what it uses is copied at a later checkpoint.
    fn end_bulk(&self) -> Result<(), StoreError> {
        let done = self.checkpoint_bulk();
        // After the last copy, whose pages it writes ahead too.
        if let Some(f) = self
            .flusher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            f.stop();
        }
        done
    }

    fn hold(&self) -> Result<(), StoreError> {
        let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if !conn.is_autocommit() {
            return Err(StoreError::Invalid(
                "the store's writes are already held in an open transaction".into(),
            ));
        }
        // IMMEDIATE for the reason `write::write_transaction` gives.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    fn release(&self, keep: bool) -> Result<(), StoreError> {
        let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if conn.is_autocommit() {
            return Ok(());
        }
        if keep {
            conn.execute_batch("COMMIT")?;
        } else {
            conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }
}

impl SqliteStore {
    fn checkpoint_bulk(&self) -> Result<(), StoreError> {
        let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        conn.pragma_update(None, "wal_autocheckpoint", WAL_PAGES)?;
        conn.pragma_update(None, "journal_size_limit", WAL_KEEP_BYTES)?;
        // One row: (busy, log pages, pages copied); busy = 1 when a reader held it back.
        let (busy, log, copied): (i64, i64, i64) =
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        if busy != 0 {
            tracing::info!(
                log,
                copied,
                "a reader held back part of the bulk load's checkpoint"
            );
        }
        Ok(())
    }
}
