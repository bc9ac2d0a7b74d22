//! The bulk load on PostgreSQL: commits that do not wait for the WAL's flush during the
//! load ([`BulkLoad::begin_bulk`]), and the held transaction an import writes into while
//! its first pass still checks the files ([`BulkLoad::hold`]).

use super::{off_runtime, Held, PgStore};
use crate::{BulkLoad, StoreError};
use std::sync::atomic::Ordering;

impl BulkLoad for PgStore {
    /// Starts a bulk load: the load's commits no longer wait for PostgreSQL to flush the
    /// WAL (`synchronous_commit = off` in each write transaction). Each write stays one
    /// transaction, all or nothing, and visible to readers at its commit; what changes is
    /// only that a crash of PostgreSQL itself (not of dossier) may lose the load's last
    /// commits, whole, until [`end_bulk`](Self::end_bulk) has waited for them.
    fn begin_bulk(&self) -> Result<(), StoreError> {
        self.bulk.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Ends a bulk load: commits go back to waiting for the flush, and one synchronous
    /// commit (a transaction with an id) waits until every earlier commit of the load is on
    /// disk too.
    fn end_bulk(&self) -> Result<(), StoreError> {
        self.bulk.store(false, Ordering::Relaxed);
        off_runtime(|| {
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
