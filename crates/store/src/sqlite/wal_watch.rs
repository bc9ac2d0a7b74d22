//! [`Store::last_change`] without a query when nothing was committed: the server asks it on
//! every request, and a query costs a read transaction (two `fcntl` lock calls on the
//! WAL's shared-memory file, the statement, the connection's mutex, which both of the
//! runtime's threads want at once).
//!
//! SQLite's WAL index (the `-shm` file beside the database, shared by every process that
//! has the database open) begins with a header whose `iChange` counter is incremented by
//! every commit, by any process, before the commit returns
//! (<https://www.sqlite.org/walformat.html>, "the wal-index header"; its layout is shared
//! by every SQLite version that opens the file at once, so it does not change). Reading
//! those bytes is one `pread`: when the counter is where it was at the last query, the
//! last answer stands; otherwise the query runs and its answer is kept with the counter
//! read before it. So a commit that returned before a request is always seen by it,
//! exactly as with a query on every request.
//!
//! Where the file cannot be read (an in-memory store, another VFS) or its header is not
//! initialised, every call queries. As a safety net against a `-shm` file replaced under
//! an open store, a kept answer is trusted for at most [`TRUST`].

use crate::StoreError;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a kept answer is trusted without a query however still the counter stands.
const TRUST: Duration = Duration::from_secs(1);

/// Where `iChange` and `isInit` sit in the first copy of the wal-index header (native byte
/// order, as SQLite writes it; the first copy is written last by a commit).
const ICHANGE: std::ops::Range<usize> = 8..12;
const IS_INIT: usize = 12;
const HEADER: usize = 48;

/// The last answer of [`Store::last_change`] and the WAL index's change counter when it
/// was asked.
pub(super) struct WalWatch {
    /// `<database>-shm` (`None`: a store in memory).
    shm_path: Option<PathBuf>,
    /// Opened on the first call, once the connections have made the file.
    shm: OnceLock<Option<File>>,
    /// The counter with bit 32 set, or 0 when nothing is kept.
    known: AtomicU64,
    /// The answer kept with `known` (written before it).
    seq: AtomicI64,
    /// When the kept answer was queried, in milliseconds since `start`.
    asked_ms: AtomicU64,
    start: Instant,
    /// Held while an answer is kept.
    keeping: Mutex<()>,
}

impl WalWatch {
    pub(super) fn new(database: Option<&std::path::Path>) -> Self {
        WalWatch {
            shm_path: database.map(|p| {
                let mut name = p.as_os_str().to_owned();
                name.push("-shm");
                PathBuf::from(name)
            }),
            shm: OnceLock::new(),
            known: AtomicU64::new(0),
            seq: AtomicI64::new(0),
            asked_ms: AtomicU64::new(0),
            start: Instant::now(),
            keeping: Mutex::new(()),
        }
    }

    /// The WAL index's change counter now, with bit 32 set; `None` where it cannot be read.
    fn counter(&self) -> Option<u64> {
        let shm = self
            .shm
            .get_or_init(|| File::open(self.shm_path.as_ref()?).ok())
            .as_ref()?;
        let mut header = [0u8; HEADER];
        read_at(shm, &mut header)?;
        if header[IS_INIT] != 1 {
            return None;
        }
        let change = u32::from_ne_bytes(header[ICHANGE].try_into().ok()?);
        Some(1 << 32 | u64::from(change))
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The store's last change: the kept answer while the counter stands (and it is not
    /// older than [`TRUST`]), else `query`'s, kept with the counter read before it.
    ///
    /// Answers are kept one at a time and never replaced by an older one (the log only
    /// grows), and each is written before its counter: a caller that finds the counter
    /// kept reads an answer at least as new as the one kept with it.
    pub(super) fn last_change(
        &self,
        query: impl FnOnce() -> Result<i64, StoreError>,
    ) -> Result<i64, StoreError> {
        let counter = self.counter();
        if let Some(counter) = counter {
            let age = self
                .now_ms()
                .saturating_sub(self.asked_ms.load(Ordering::Relaxed));
            if self.known.load(Ordering::Acquire) == counter && age < TRUST.as_millis() as u64 {
                return Ok(self.seq.load(Ordering::Acquire));
            }
        }
        let seq = query()?;
        if let Some(counter) = counter {
            let _one = self.keeping.lock().unwrap_or_else(|p| p.into_inner());
            if seq >= self.seq.load(Ordering::Relaxed) {
                self.seq.store(seq, Ordering::Release);
                self.asked_ms.store(self.now_ms(), Ordering::Relaxed);
                self.known.store(counter, Ordering::Release);
            }
        }
        Ok(seq)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8]) -> Option<()> {
    use std::os::unix::fs::FileExt;
    file.read_exact_at(buf, 0).ok()
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8]) -> Option<()> {
    None
}

#[cfg(test)]
mod tests {
    use super::super::{changes, SqliteStore};
    use crate::Store;
    use std::cell::Cell;

    fn archive(slug: &str) -> crate::Archive {
        use dossier_model::*;
        let mut a = crate::Archive::default();
        a.documents.push(Document {
            collections: Vec::new(),
            coverage: None,
            texts: Vec::new(),
            slug: slug.into(),
            title: format!("Title of {slug}"),
            aliases: vec![],
            kind: DocumentKind::Declaration,
            date: None,
            place: None,
            issued_by: vec![],
            authors: vec![],
            parties: vec![],
            legal_status: LegalStatus::Unknown,
            availability: Availability::Public,
            languages: vec![],
            summary: None,
            relations: vec![],
            dossiers: vec![],
            topics: vec![],
            provenance: Provenance::default(),
        });
        a
    }

    /// Asked again with nothing committed, the kept answer stands without a query; a
    /// commit by another store on the same file (as another process's) is seen by the
    /// very next call.
    #[test]
    fn a_commit_anywhere_is_seen_at_once_and_nothing_else_queries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dossier.db");
        let s = SqliteStore::open(&path).unwrap();
        let other = SqliteStore::open(&path).unwrap();
        let queries = Cell::new(0);
        let ask = || {
            s.wal_watch.last_change(|| {
                queries.set(queries.get() + 1);
                changes::last_change(&s)
            })
        };
        other.write(&archive("first")).unwrap();
        let first = ask().unwrap();
        assert!(first > 0);
        assert_eq!((ask().unwrap(), queries.get()), (first, 1));
        assert_eq!((ask().unwrap(), queries.get()), (first, 1));
        for slug in ["second", "third"] {
            other.write(&archive(slug)).unwrap();
            let now = ask().unwrap();
            assert!(now > first, "{slug}: {now} after {first}");
            assert_eq!(now, other.last_change().unwrap());
        }
        assert_eq!(queries.get(), 3);
        // The store's own writes too.
        s.write(&archive("fourth")).unwrap();
        assert_eq!(s.last_change().unwrap(), other.last_change().unwrap());
    }

    /// A store in memory has no WAL index: every call queries.
    #[test]
    fn in_memory_every_call_queries() {
        let s = SqliteStore::in_memory().unwrap();
        let queries = Cell::new(0);
        for _ in 0..3 {
            s.wal_watch
                .last_change(|| {
                    queries.set(queries.get() + 1);
                    changes::last_change(&s)
                })
                .unwrap();
        }
        assert_eq!(queries.get(), 3);
        s.write(&archive("one")).unwrap();
        assert!(s.last_change().unwrap() > 0);
    }
}
