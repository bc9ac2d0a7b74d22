//! The SQLite implementation of [`Store`] and [`BulkLoad`].
//!
//! Records are kept as JSON (the model's own serialisation) beside the columns that
//! queries need (slug, title, kind, date bounds); every slug a record names is also a row
//! in `links`, so reverse lookups are indexed. Reads use a small pool of connections so
//! that page requests do not wait on each other; writes take the one writer. This module
//! opens the connections and migrates the schema; [`queries`] answers the [`Store`]
//! trait, [`accounts`] keeps editors' accounts, sessions, tokens and the audit log, [`write`] writes records, [`changes`] keeps the change log and tombstones, and
//! [`bulk`] is the bulk load.

mod accounts;
mod bulk;
mod captures;
mod changes;
mod link_checks;
mod merges;
mod queries;
mod raw;
mod revisions;
mod settings;
mod wal_watch;
pub(crate) mod write;

use crate::migrations::MIGRATIONS;
use crate::*;
use bulk::Flusher;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// The read connections of a store on a file: page requests read in parallel on this
/// many (the server runs this many request workers by default).
pub const READ_CONNECTIONS: usize = 4;
const READERS: usize = READ_CONNECTIONS;

/// The writer's page cache, in KiB (SQLite's default is 2 MiB). A batch of an import
/// inserts into the indexes of `records`, `links` and `changes` all over, and a small cache
/// spills dirty pages to the WAL in the middle of the transaction and reads them back. The
/// cache fills only as pages are touched, so a server that seldom writes does not grow it.
/// A larger cache gained little more and cost peak memory (BENCHMARKS.md).
const WRITER_CACHE_KIB: i64 = 128 * 1024;
/// The write-ahead log file is cut back to this size when it starts over after a
/// checkpoint, so that a bulk load's log does not keep its disk space afterwards. During a
/// bulk load it is not cut back: the log starts over every 256 MiB, and cutting the file
/// and growing it again each time cost the writer time (BENCHMARKS.md). The load's end
/// empties it.
const WAL_KEEP_BYTES: i64 = 64 * 1024 * 1024;

/// An embedded SQLite store in one database file.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// The database file (`None` in memory).
    path: Option<PathBuf>,
    /// The bulk load's flusher, while a bulk load runs.
    flusher: Mutex<Option<Flusher>>,
    /// A read connection for [`Store::last_change`] alone, which the server asks on every
    /// request: it never waits behind a page's reads on the pool (`None` in memory).
    log_reader: Option<Mutex<Connection>>,
    /// Answers [`Store::last_change`] without a query while nothing was committed. Last,
    /// so that its descriptor of the `-shm` file closes after the connections (closing
    /// any descriptor of a file drops the process's POSIX locks on it, SQLite's included).
    wal_watch: wal_watch::WalWatch,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_err = |e: rusqlite::Error| StoreError::Open {
            path: path.display().to_string(),
            source: Box::new(e),
        };
        let mut writer = Connection::open(path).map_err(open_err)?;
        writer
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        configure(&writer).map_err(open_err)?;
        writer
            .pragma_update(None, "cache_size", -WRITER_CACHE_KIB)
            .map_err(open_err)?;
        writer
            .pragma_update(None, "temp_store", "MEMORY")
            .map_err(open_err)?;
        writer
            .pragma_update(None, "journal_size_limit", WAL_KEEP_BYTES)
            .map_err(open_err)?;
        migrate(&mut writer)?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            // Not memory-mapped (SQLite's default): every commit of any process makes each
            // reader drop its whole mapping on its next read and fault the pages in again,
            // which cost a first page after a change more than one `pread` a page
            // (BENCHMARKS.md, issue 22).
            let r = Connection::open(path).map_err(open_err)?;
            configure(&r).map_err(open_err)?;
            readers.push(Mutex::new(r));
        }
        let log_reader = Connection::open(path).map_err(open_err)?;
        configure(&log_reader).map_err(open_err)?;
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
            path: Some(path.to_path_buf()),
            flusher: Mutex::new(None),
            log_reader: Some(Mutex::new(log_reader)),
            wal_watch: wal_watch::WalWatch::new(Some(path)),
        })
    }

    /// An in-memory store, for tests: one connection serves reads and writes.
    pub fn in_memory() -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            writer: Mutex::new(conn),
            readers: Vec::new(),
            next_reader: AtomicUsize::new(0),
            path: None,
            flusher: Mutex::new(None),
            log_reader: None,
            wal_watch: wal_watch::WalWatch::new(None),
        })
    }

    /// Runs `f` on the connection kept for [`Store::last_change`] (in memory: the one
    /// connection).
    pub(super) fn read_log<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.log_reader {
            Some(conn) => f(&conn.lock().unwrap_or_else(|p| p.into_inner())),
            None => self.read(f),
        }
    }

    /// The read connection this thread asks first: the same one for every query of a
    /// page, so that after a commit (which empties each connection's page cache) a page
    /// reads its pages again on one connection, not on each one its queries land on.
    /// Threads take the connections in turn. Measured (BENCHMARKS.md, issue 22): the store
    /// work of the largest body page right after a commit, 730 µs round-robin per query
    /// against 540 µs.
    fn preferred_reader(&self) -> usize {
        thread_local! {
            static READER: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
        }
        READER.with(|r| match r.get() {
            Some(i) => i,
            None => {
                let i = self.next_reader.fetch_add(1, Ordering::Relaxed);
                r.set(Some(i));
                i
            }
        })
    }

    pub(super) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.readers.is_empty() {
            let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            return f(&conn);
        }
        let start = self.preferred_reader();
        for i in 0..self.readers.len() {
            if let Ok(conn) = self.readers[(start + i) % self.readers.len()].try_lock() {
                return f(&conn);
            }
        }
        let conn = self.readers[start % self.readers.len()]
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        f(&conn)
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            found: version,
            known,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(migration = i + 1, "applied store migration");
    }
    Ok(())
}

/// SQLite's write-ahead log beside the database file `db`.
fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests;
