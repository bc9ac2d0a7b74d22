//! The bulk load on PostgreSQL: commits that do not wait for the WAL's flush during the
//! load ([`BulkLoad::begin_bulk`]), the held transaction an import writes into while its
//! first pass still checks the files ([`BulkLoad::hold`]), and batches written side by
//! side ([`BulkLoad::write_batch`]).
//!
//! Side by side: one write transaction keeps one of the database's backends busy, and on
//! the two cores of the machine the proof ran on it left the other idle (an ingest of 1M
//! documents used 0.85 cores of PostgreSQL; two transactions at once, 1.3–1.5 cores and
//! 1.3–1.9 times the documents a second). A process whose bulk load takes the bulk lock
//! ([`BULK_LOCK`], a session lock on a connection of its own, tried without waiting) writes
//! [`BATCHES_SIDE_BY_SIDE`] batches at once, each taking the writer's lock shared
//! ([`WriterLock::Beside`]): every other write, of any process, takes it alone and so
//! waits for the batches in flight as it waited for one. The batches keep apart (the
//! caller starts one only when no batch in flight holds or names its records), so their
//! rows, versions and validations do not meet; their change-log appends, the last thing
//! each does, take the log's lock ([`super::lock_log`]), so sequence order stays commit
//! order. A second process's bulk load finds the bulk lock taken and writes one batch at a
//! time, alone, as before. A lost lock connection (the database restarted) ends the side
//! by side writes for the rest of the load; a killed process loses the lock with its
//! connections.

use super::{off_runtime, Held, PgStore, WriterLock, BULK_LOCK};
use crate::{Archive, BulkLoad, EditConflict, StoreError, WriteOptions, WriteSummary};
use std::sync::atomic::Ordering;

/// How many batches a bulk load holding the bulk lock writes at once: two filled the two
/// cores the proof ran on; three and four were no faster there.
pub(crate) const BATCHES_SIDE_BY_SIDE: usize = 2;

impl PgStore {
    /// Whether this process still holds the bulk lock: its connection answers. One that
    /// does not (the database restarted) is dropped, and with it the side by side writes.
    fn holds_bulk_lock(&self) -> bool {
        let mut lock = self.bulk_lock.lock().unwrap_or_else(|p| p.into_inner());
        let Some(client) = lock.as_mut() else {
            return false;
        };
        if client.simple_query("").is_ok() {
            return true;
        }
        tracing::warn!(
            "the bulk load's lock was lost with its connection: its batches are written one at a time from now on"
        );
        drop(lock.take());
        false
    }
}

impl BulkLoad for PgStore {
    /// Starts a bulk load: the load's commits no longer wait for PostgreSQL to flush the
    /// WAL (`synchronous_commit = off` in each write transaction). Each write stays one
    /// transaction, all or nothing, and visible to readers at its commit; what changes is
    /// only that a crash of PostgreSQL itself (not of dossier) may lose the load's last
    /// commits, whole, until [`end_bulk`](Self::end_bulk) has waited for them.
    ///
    /// Also tries to take the bulk lock, without waiting, so that the load's batches may be
    /// written side by side (see the module's comment); another process's bulk load
    /// holding it, this one writes a batch at a time.
    fn begin_bulk(&self) -> Result<(), StoreError> {
        self.bulk.store(true, Ordering::Relaxed);
        off_runtime(|| {
            let mut lock = self.bulk_lock.lock().unwrap_or_else(|p| p.into_inner());
            if lock.is_some() {
                return Ok(());
            }
            let mut client = self.connect.connect()?;
            let taken: bool = client
                .query_one(
                    "SELECT pg_try_advisory_lock($1, $2)",
                    &[&self.lock_class, &BULK_LOCK],
                )?
                .get(0);
            if taken {
                *lock = Some(Box::new(client));
            } else {
                tracing::info!(
                    "another process's bulk load writes its batches side by side: this one writes one at a time"
                );
            }
            Ok(())
        })
    }

    /// Ends a bulk load: commits go back to waiting for the flush, and one synchronous
    /// commit (a transaction with an id) waits until every earlier commit of the load is on
    /// disk too.
    fn end_bulk(&self) -> Result<(), StoreError> {
        self.bulk.store(false, Ordering::Relaxed);
        off_runtime(|| {
            let lock = self
                .bulk_lock
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            if let Some(mut client) = lock {
                // Given back at once, not when the server notices the connection closed:
                // the next bulk load may begin right after this one.
                let _ = client.execute(
                    "SELECT pg_advisory_unlock($1, $2)",
                    &[&self.lock_class, &BULK_LOCK],
                );
            }
            let mut client = self.client()?;
            let mut tx = client.transaction()?;
            tx.batch_execute("SET LOCAL synchronous_commit = on; SELECT txid_current()")?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Opens a transaction on a connection of its own, with the writer's lock (waiting up
    /// to the writers' timeout, as SQLite's `BEGIN IMMEDIATE` waits its busy timeout); the
    /// next writes of this store join it, each in a savepoint, until
    /// [`release`](Self::release).
    fn hold(&self) -> Result<(), StoreError> {
        off_runtime(|| {
            let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
            if held.is_some() {
                return Err(StoreError::Invalid(
                    "the store's writes are already held in an open transaction".into(),
                ));
            }
            let client = self.client()?;
            let mut opened = Held::try_new(client, |client| -> Result<_, StoreError> {
                Ok(Some(client.transaction()?))
            })?;
            opened.with_tx_mut(|tx| -> Result<(), StoreError> {
                let tx = tx.as_mut().expect("opened above");
                self.lock_writer(tx)?;
                if self.bulk.load(Ordering::Relaxed) {
                    tx.batch_execute("SET LOCAL synchronous_commit = off")?;
                }
                Ok(())
            })?;
            *held = Some(opened);
            Ok(())
        })
    }

    fn batches_side_by_side(&self) -> usize {
        let held = self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some();
        if !held && self.holds_bulk_lock() {
            BATCHES_SIDE_BY_SIDE
        } else {
            1
        }
    }

    /// A batch of records alone (no dossier, whose outline and position are the
    /// archive's to order) shares the writer's lock with the load's other batches while
    /// this process holds the bulk lock; otherwise, or inside a held transaction, it is
    /// an ordinary write.
    fn write_batch(
        &self,
        batch: &Archive,
        options: &WriteOptions,
    ) -> Result<(WriteSummary, Vec<EditConflict>), StoreError> {
        let lock = if batch.dossiers.is_empty() && self.holds_bulk_lock() {
            WriterLock::Beside
        } else {
            WriterLock::Sole
        };
        self.write_as_locked(batch, options, lock)
    }

    fn release(&self, keep: bool) -> Result<(), StoreError> {
        off_runtime(|| {
            let Some(mut held) = self.held.lock().unwrap_or_else(|p| p.into_inner()).take() else {
                return Ok(());
            };
            held.with_tx_mut(|tx| -> Result<(), StoreError> {
                match tx.take() {
                    Some(tx) if keep => super::commit(tx),
                    Some(tx) => Ok(tx.rollback()?),
                    None => Ok(()),
                }
            })
        })
    }
}
