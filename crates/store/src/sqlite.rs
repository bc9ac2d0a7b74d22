//! The SQLite implementation of [`Store`].
//!
//! Records are kept as JSON (the model's own serialisation) beside the columns that
//! queries need (slug, title, kind, date bounds); every slug a record names is also a row
//! in `links`, so reverse lookups are indexed. Reads use a small pool of connections so
//! that page requests do not wait on each other; writes take the one writer.

use crate::migrations::MIGRATIONS;
use crate::*;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const READERS: usize = 4;

/// The writer's page cache, in KiB (SQLite's default is 2 MiB). A batch of an import
/// inserts into the indexes of `records`, `links` and `changes` all over, and a small cache
/// spills dirty pages to the WAL in the middle of the transaction and reads them back. The
/// cache fills only as pages are touched, so a server that seldom writes does not grow it.
/// Measured back to back on a load of a million documents: 16 MiB 6,212 docs/s, 128 MiB
/// 6,371, 256 MiB 6,464, the last at a cost of 260 MB more peak memory on a 1 GB import
/// (BENCHMARKS.md).
const WRITER_CACHE_KIB: i64 = 128 * 1024;
/// How far the write-ahead log may grow during a bulk load before SQLite copies it into
/// the database (pages of 4 KiB: 256 MiB). With SQLite's default of 1,000 pages every batch
/// of an import (megabytes of pages) was copied, and synced, at its commit, and a page that
/// many batches change (an index's) was copied as often. Back to back (BENCHMARKS.md): the
/// 1 GB visits file 241 s with 1,000 pages, 197 s with 65,536. A larger log helps small
/// records more but large ones less: 262,144 pages took the 1 GB TEI file from 46–48 s to
/// 50.5–51 s (below the 20 MB/s the importers must reach); 65,536 took it to 47–48.5 s.
const BULK_WAL_PAGES: i64 = 65_536;
/// SQLite's default checkpoint threshold, for everything but bulk loads: a server's edits
/// are small, and a short log is quick to read back after a crash.
const WAL_PAGES: i64 = 1_000;
/// The write-ahead log file is cut back to this size when it starts over after a
/// checkpoint, so that a bulk load's log does not keep its disk space afterwards. During a
/// bulk load it is not cut back: the log starts over every 256 MiB, and cutting the file
/// and growing it again each time cost the writer about 3 % of a load of 300,000 documents
/// (BENCHMARKS.md). The load's end empties it.
const WAL_KEEP_BYTES: i64 = 64 * 1024 * 1024;
/// How often the bulk load's [`Flusher`] has the operating system write the files'
/// changed pages.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ','now')";

/// An embedded SQLite store in one database file.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// The database file (`None` in memory).
    path: Option<PathBuf>,
    /// The bulk load's flusher, while a bulk load runs.
    flusher: Mutex<Option<Flusher>>,
}

/// A thread that, during a bulk load, has the operating system write the changed pages of
/// the database and of its write-ahead log to disk every [`FLUSH_EVERY`], while the writer
/// goes on.
///
/// Why: at each checkpoint SQLite syncs the log and then the database, and the writer waits
/// for both. After 256 MiB of log that was about 1.4 s of waiting every 10 s or so, while
/// the search index, which waits for the store, had nothing to do either. With the pages
/// written ahead, the syncs find little left to write: the store's writes of a load of
/// a million documents took 18 % less time, and the whole load (with the index's last
/// merges side by side) 9 % less (BENCHMARKS.md). PostgreSQL's
/// `checkpoint_flush_after` does the same for the same reason. Nothing about durability
/// changes: the pages are written earlier, and SQLite's own syncs still come when they did.
struct Flusher {
    /// Dropping it stops the thread.
    stop: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Flusher {
    fn start(db: &Path) -> std::io::Result<Flusher> {
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

    fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

/// SQLite's write-ahead log beside the database file `db`.
fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
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
            let r = Connection::open(path).map_err(open_err)?;
            configure(&r).map_err(open_err)?;
            readers.push(Mutex::new(r));
        }
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            readers,
            next_reader: AtomicUsize::new(0),
            path: Some(path.to_path_buf()),
            flusher: Mutex::new(None),
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
        })
    }

    /// Starts a bulk load (an import, a benchmark's ingest): the write-ahead log may grow to
    /// [`BULK_WAL_PAGES`] before it is copied into the database, its file keeps its size
    /// when it starts over, and a [`Flusher`] writes changed pages ahead of SQLite's syncs.
    /// Each write stays one transaction, committed as before; only when its pages reach
    /// the database file changes. Call [`end_bulk`](Self::end_bulk) when the load is done
    /// (an error included).
    pub fn begin_bulk(&self) -> Result<(), StoreError> {
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
    pub fn end_bulk(&self) -> Result<(), StoreError> {
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

    fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.readers.is_empty() {
            let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            return f(&conn);
        }
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
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

    fn record<T: DeserializeOwned>(
        &self,
        record: RecordType,
        slug: &str,
    ) -> Result<Option<T>, StoreError> {
        self.read(|c| {
            // Cached statements: page views look records up by slug many times.
            let data: Option<String> = c
                .prepare_cached("SELECT data FROM records WHERE type = ?1 AND slug = ?2")?
                .query_row(params![record.as_str(), slug], |r| r.get(0))
                .optional()?;
            data.map(|d| parse(record, slug, &d)).transpose()
        })
    }

    fn records<T: DeserializeOwned>(
        &self,
        record: RecordType,
        sql_where: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<T>, StoreError> {
        self.read(|c| {
            let sql = format!(
                "SELECT slug, data FROM records r WHERE r.type = '{}' {sql_where} \
                 ORDER BY r.date_lo IS NULL, r.date_lo, r.date_hi DESC, r.title",
                record.as_str()
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(args, |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (slug, data) = row?;
                // One record that cannot be read fails alone (read by its slug, it reports
                // the error): a list, and every page, sync or import that reads one, goes on.
                if let Some(r) = crate::skip_corrupt(parse(record, &slug, &data))? {
                    out.push(r);
                }
            }
            Ok(out)
        })
    }

    fn in_dossier<T: DeserializeOwned>(
        &self,
        record: RecordType,
        dossier: Option<&str>,
    ) -> Result<Vec<T>, StoreError> {
        match dossier {
            Some(d) => self.records(record, &format!("AND {}", IN_DOSSIER), &[&d]),
            None => self.records(record, "", &[]),
        }
    }
}

const IN_DOSSIER: &str =
    "EXISTS (SELECT 1 FROM links l WHERE l.src_type = r.type AND l.src_slug = r.slug \
     AND l.rel = 'in-dossier' AND l.dst_slug = ?1)";

fn parse<T: DeserializeOwned>(record: RecordType, slug: &str, data: &str) -> Result<T, StoreError> {
    serde_json::from_str(data).map_err(|source| StoreError::Corrupt {
        record: record.as_str(),
        slug: slug.to_string(),
        source,
    })
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

/// What the store needs to know of a record to keep its row and its links.
struct Row<'a> {
    record: RecordType,
    slug: &'a str,
    title: &'a str,
    kind: &'a str,
    date: Option<Edtf>,
    data: String,
    links: Vec<(&'static str, RecordType, String, Option<String>)>,
}

fn many(
    rel: &'static str,
    to: RecordType,
    slugs: &[String],
) -> Vec<(&'static str, RecordType, String, Option<String>)> {
    slugs.iter().map(|s| (rel, to, s.clone(), None)).collect()
}

fn rows(archive: &Archive) -> Result<Vec<Row<'_>>, serde_json::Error> {
    use RecordType as T;
    let mut out = Vec::new();
    for d in &archive.documents {
        let mut links = many("issued-by", T::Body, &d.issued_by);
        links.extend(many("party", T::Body, &d.parties));
        links.extend(many("author", T::Person, &d.authors));
        links.extend(many("in-dossier", T::Dossier, &d.dossiers));
        links.extend(many("about", T::Topic, &d.topics));
        links.extend(
            d.relations
                .iter()
                .map(|r| (r.kind.slug(), T::Document, r.document.clone(), None)),
        );
        out.push(Row {
            record: T::Document,
            slug: &d.slug,
            title: &d.title,
            kind: d.kind.slug(),
            date: d.date,
            data: serde_json::to_string(d)?,
            links,
        });
    }
    for b in &archive.bodies {
        let mut links = many("in-dossier", T::Dossier, &b.dossiers);
        links.extend(b.predecessors.iter().map(|l| {
            (
                "successor-of",
                T::Body,
                l.slug.clone(),
                l.date.map(|d| d.to_string()),
            )
        }));
        links.extend(
            b.part_of
                .iter()
                .map(|p| ("part-of", T::Body, p.clone(), None)),
        );
        links.extend(
            b.founding_document
                .iter()
                .map(|p| ("founded-by", T::Document, p.clone(), None)),
        );
        out.push(Row {
            record: T::Body,
            slug: &b.slug,
            title: &b.name,
            kind: b.kind.slug(),
            date: b.established,
            data: serde_json::to_string(b)?,
            links,
        });
    }
    for p in &archive.people {
        let mut links = many("in-dossier", T::Dossier, &p.dossiers);
        links.extend(p.offices.iter().filter_map(|o| {
            o.body
                .clone()
                .map(|b| ("office", T::Body, b, Some(o.title.clone())))
        }));
        out.push(Row {
            record: T::Person,
            slug: &p.slug,
            title: &p.name,
            kind: "person",
            date: None,
            data: serde_json::to_string(p)?,
            links,
        });
    }
    for e in &archive.events {
        let mut links = many("held-by", T::Body, &e.bodies);
        links.extend(many("participant", T::Person, &e.people));
        links.extend(many("outcome", T::Document, &e.outcome_documents));
        links.extend(many("in-dossier", T::Dossier, &e.dossiers));
        out.push(Row {
            record: T::Event,
            slug: &e.slug,
            title: &e.title,
            kind: e.kind.slug(),
            date: e.date,
            data: serde_json::to_string(e)?,
            links,
        });
    }
    for t in &archive.topics {
        let mut links = many("concerns", T::Document, &t.documents);
        links.extend(many("involves", T::Body, &t.bodies));
        links.extend(many("in-dossier", T::Dossier, &t.dossiers));
        out.push(Row {
            record: T::Topic,
            slug: &t.slug,
            title: &t.title,
            kind: t.kind.slug(),
            date: t.as_of,
            data: serde_json::to_string(t)?,
            links,
        });
    }
    Ok(out)
}

fn log_change(
    tx: &Connection,
    record: RecordType,
    slug: &str,
    op: &str,
    now: &str,
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO changes (type, slug, op, at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![record.as_str(), slug, op, now])?;
    note_logged(tx.last_insert_rowid(), summary);
    Ok(())
}

/// Widens the summary's range of change-log entries to `seq`.
fn note_logged(seq: i64, summary: &mut WriteSummary) {
    summary.logged = Some(match summary.logged {
        Some((first, _)) => (first, seq),
        None => (seq, seq),
    });
}

/// A transaction that holds the write lock from its start (`BEGIN IMMEDIATE`, waiting for
/// another process's writer up to the busy timeout). A write reads first (the slugs it
/// names, the stored copies it compares with); in a deferred transaction another process
/// could commit between those reads and the first write, which SQLite then refuses
/// (`SQLITE_BUSY_SNAPSHOT`) instead of waiting.
fn write_transaction(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

/// Whether a record (or dossier) is stored, as the transaction `tx` sees it.
fn is_stored(tx: &Connection, record: RecordType, slug: &str) -> Result<bool, StoreError> {
    let mut stmt = if record == RecordType::Dossier {
        tx.prepare_cached("SELECT 1 FROM dossiers WHERE slug = ?2 AND ?1 = 'dossier'")?
    } else {
        tx.prepare_cached("SELECT 1 FROM records WHERE type = ?1 AND slug = ?2")?
    };
    Ok(stmt.exists(params![record.as_str(), slug])?)
}

/// The time stamp of a write: taken once per transaction, so every record and change of a
/// batch says the same time (and SQLite formats it once, not three times per record).
fn now(tx: &Connection) -> Result<String, StoreError> {
    Ok(tx.query_row(&format!("SELECT {NOW}"), [], |r| r.get(0))?)
}

/// The statements that write records, prepared once per write rather than looked up in
/// the statement cache for every row.
struct RecordStatements<'t> {
    insert: rusqlite::CachedStatement<'t>,
    existing: rusqlite::CachedStatement<'t>,
    update: rusqlite::CachedStatement<'t>,
    log: rusqlite::CachedStatement<'t>,
    drop_links: rusqlite::CachedStatement<'t>,
    link: rusqlite::CachedStatement<'t>,
}

impl<'t> RecordStatements<'t> {
    fn prepare(tx: &'t Connection) -> Result<Self, StoreError> {
        Ok(RecordStatements {
            // A new record is written by one statement that finds no row: most records of a
            // large import are new, and asking first cost a B-tree search each.
            insert: tx.prepare_cached(
                "INSERT INTO records (type, slug, title, kind, date, date_lo, date_hi, data, created, changed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
                 ON CONFLICT (type, slug) DO NOTHING",
            )?,
            existing: tx.prepare_cached("SELECT data FROM records WHERE type = ?1 AND slug = ?2")?,
            update: tx.prepare_cached(
                "UPDATE records SET title = ?3, kind = ?4, date = ?5, date_lo = ?6, date_hi = ?7,
                   data = ?8, changed = ?9
                 WHERE type = ?1 AND slug = ?2",
            )?,
            log: tx.prepare_cached(
                "INSERT INTO changes (type, slug, op, at) VALUES (?1, ?2, 'upsert', ?3)",
            )?,
            drop_links: tx
                .prepare_cached("DELETE FROM links WHERE src_type = ?1 AND src_slug = ?2")?,
            link: tx.prepare_cached(
                "INSERT INTO links (src_type, src_slug, rel, dst_type, dst_slug, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
        })
    }
}

fn write_row(
    tx: &Connection,
    st: &mut RecordStatements,
    row: &Row,
    now: &str,
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    let ty = row.record.as_str();
    let date = row.date.map(|d| d.to_string());
    let (lo, hi) = (row.date.map(|d| d.earliest()), row.date.map(|d| d.latest()));
    let values = params![ty, row.slug, row.title, row.kind, date, lo, hi, row.data, now];
    let is_new = st.insert.execute(values)? == 1;
    if is_new {
        summary.new += 1;
    } else {
        let existing: String = st.existing.query_row(params![ty, row.slug], |r| r.get(0))?;
        if existing == row.data {
            summary.unchanged += 1;
            return Ok(());
        }
        summary.changed += 1;
        st.update.execute(values)?;
    }
    st.log.execute(params![ty, row.slug, now])?;
    note_logged(tx.last_insert_rowid(), summary);
    // A new record has no links yet: only a changed one has old links to drop.
    if !is_new {
        st.drop_links.execute(params![ty, row.slug])?;
    }
    for (rel, to, slug, detail) in &row.links {
        st.link
            .execute(params![ty, row.slug, rel, to.as_str(), slug, detail])?;
    }
    Ok(())
}

fn write_dossier(
    tx: &Connection,
    d: &Dossier,
    position: i64,
    now: &str,
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    let data = serde_json::to_string(d).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let existing: Option<String> = tx
        .query_row(
            "SELECT data FROM dossiers WHERE slug = ?1",
            [&d.slug],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(x) if x == data => {
            summary.unchanged += 1;
            return Ok(());
        }
        Some(_) => summary.changed += 1,
        None => summary.new += 1,
    }
    tx.execute(
        &format!(
            "INSERT INTO dossiers (slug, title, description, source, position, data, created, changed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, {NOW}, {NOW})
             ON CONFLICT (slug) DO UPDATE SET title = excluded.title, description = excluded.description,
               source = excluded.source, data = excluded.data, changed = excluded.changed"
        ),
        params![d.slug, d.title, d.description, d.source, position, data],
    )?;
    log_change(tx, RecordType::Dossier, &d.slug, "upsert", now, summary)?;
    tx.execute("DELETE FROM sections WHERE dossier = ?1", [&d.slug])?;
    tx.execute(
        "DELETE FROM links WHERE src_type = 'section' AND src_slug LIKE ?1 || '#%'",
        [&d.slug],
    )?;
    let mut pos = 0i64;
    fn walk(
        tx: &Connection,
        dossier: &str,
        s: &Section,
        parent: Option<&str>,
        pos: &mut i64,
    ) -> Result<(), StoreError> {
        let lists =
            serde_json::to_string(&s.lists).map_err(|e| StoreError::Invalid(e.to_string()))?;
        tx.prepare_cached(
            "INSERT INTO sections (dossier, key, parent_key, position, label, title, short_title, commentary, lists)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![dossier, s.key, parent, *pos, s.label, s.title, s.short_title, s.commentary, lists])?;
        *pos += 1;
        for (i, r) in s.references.iter().enumerate() {
            let target = r
                .target
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            tx.prepare_cached("INSERT INTO section_refs (dossier, section_key, n, text, target) VALUES (?1, ?2, ?3, ?4, ?5)")?
                .execute(params![dossier, s.key, (i + 1) as i64, r.text, target])?;
            let dst = match &r.target {
                Some(Target::Document { slug }) => Some(("document", slug)),
                Some(Target::Body { slug }) => Some(("body", slug)),
                Some(Target::Event { slug }) => Some(("event", slug)),
                Some(Target::Topic { slug }) => Some(("topic", slug)),
                Some(Target::Person { slug }) => Some(("person", slug)),
                Some(Target::Dossier { slug, .. }) => Some(("dossier", slug)),
                _ => None,
            };
            if let Some((ty, slug)) = dst {
                tx.prepare_cached(
                    "INSERT INTO links (src_type, src_slug, rel, dst_type, dst_slug, detail) VALUES ('section', ?1, 'cites', ?2, ?3, ?4)",
                )?
                .execute(params![format!("{dossier}#{}", s.key), ty, slug, r.text])?;
            }
        }
        for c in &s.children {
            walk(tx, dossier, c, Some(&s.key), pos)?;
        }
        Ok(())
    }
    for s in &d.sections {
        walk(tx, &d.slug, s, None, &mut pos)?;
    }
    Ok(())
}

/// The body of [`Store::write`], in the transaction (or savepoint) `tx`.
fn write_rows(
    tx: &Connection,
    archive: &Archive,
    rows: &[Row],
) -> Result<WriteSummary, StoreError> {
    // The slugs the records name are looked up inside the write's own transaction:
    // nothing they name can be deleted between the check and the write, and the
    // writer's pages are the ones in its cache. Records of a batch name the same few
    // bodies and dossiers again and again, so each answer is kept for the batch.
    type Seen = std::collections::HashMap<RecordType, std::collections::HashMap<String, bool>>;
    let seen: std::cell::RefCell<Seen> = Default::default();
    let errors = archive.validate(&|ty, slug| {
        let Some(t) = RecordType::parse(ty) else {
            return false;
        };
        if let Some(known) = seen.borrow().get(&t).and_then(|m| m.get(slug)) {
            return *known;
        }
        let known = is_stored(tx, t, slug).unwrap_or(false);
        seen.borrow_mut()
            .entry(t)
            .or_default()
            .insert(slug.to_string(), known);
        known
    });
    if !errors.is_empty() {
        let list: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        return Err(StoreError::Invalid(list.join("; ")));
    }
    let mut summary = WriteSummary::default();
    let first_position: i64 = tx.query_row(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM dossiers",
        [],
        |r| r.get(0),
    )?;
    let now = now(tx)?;
    for (i, d) in archive.dossiers.iter().enumerate() {
        write_dossier(tx, d, first_position + i as i64, &now, &mut summary)?;
    }
    let mut statements = RecordStatements::prepare(tx)?;
    for row in rows {
        write_row(tx, &mut statements, row, &now, &mut summary)?;
    }
    Ok(summary)
}

impl Store for SqliteStore {
    fn write(&self, archive: &Archive) -> Result<WriteSummary, StoreError> {
        let rows = rows(archive).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if conn.is_autocommit() {
            let tx = write_transaction(&mut conn)?;
            let summary = write_rows(&tx, archive, &rows)?;
            tx.commit()?;
            Ok(summary)
        } else {
            // Inside a held transaction (`hold`): the write is a savepoint of it, undone
            // alone if it fails, and committed with the rest by `release`.
            let sp = conn.savepoint()?;
            let summary = write_rows(&sp, archive, &rows)?;
            sp.commit()?;
            Ok(summary)
        }
    }

    fn hold(&self) -> Result<bool, StoreError> {
        let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if !conn.is_autocommit() {
            return Err(StoreError::Invalid(
                "the store's writes are already held in an open transaction".into(),
            ));
        }
        // IMMEDIATE for the reason `write_transaction` gives.
        conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(true)
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

    fn is_empty(&self) -> Result<bool, StoreError> {
        self.read(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM dossiers", [], |r| r.get::<_, i64>(0))? == 0)
        })
    }

    fn exists(&self, record: RecordType, slug: &str) -> Result<bool, StoreError> {
        self.title_of(record, slug).map(|t| t.is_some())
    }

    fn dossiers(&self) -> Result<Vec<DossierSummary>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT d.slug, d.title, d.description,
                   (SELECT COUNT(*) FROM links l WHERE l.rel = 'in-dossier' AND l.dst_slug = d.slug AND l.src_type = 'document'),
                   (SELECT COUNT(*) FROM links l WHERE l.rel = 'in-dossier' AND l.dst_slug = d.slug AND l.src_type = 'event')
                 FROM dossiers d ORDER BY d.position, d.title",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(DossierSummary {
                    slug: r.get(0)?,
                    title: r.get(1)?,
                    description: r.get(2)?,
                    documents: r.get::<_, i64>(3)? as usize,
                    events: r.get::<_, i64>(4)? as usize,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn dossier(&self, slug: &str) -> Result<Option<Dossier>, StoreError> {
        self.read(|c| {
            let data: Option<String> = c
                .query_row("SELECT data FROM dossiers WHERE slug = ?1", [slug], |r| {
                    r.get(0)
                })
                .optional()?;
            data.map(|d| parse(RecordType::Dossier, slug, &d))
                .transpose()
        })
    }

    fn document(&self, slug: &str) -> Result<Option<Document>, StoreError> {
        self.record(RecordType::Document, slug)
    }
    fn body(&self, slug: &str) -> Result<Option<Body>, StoreError> {
        self.record(RecordType::Body, slug)
    }
    fn person(&self, slug: &str) -> Result<Option<Person>, StoreError> {
        self.record(RecordType::Person, slug)
    }
    fn event(&self, slug: &str) -> Result<Option<Event>, StoreError> {
        self.record(RecordType::Event, slug)
    }
    fn topic(&self, slug: &str) -> Result<Option<Topic>, StoreError> {
        self.record(RecordType::Topic, slug)
    }

    fn stamps(&self, record: RecordType, slug: &str) -> Result<Option<Stamps>, StoreError> {
        self.read(|c| {
            let sql = if record == RecordType::Dossier {
                "SELECT created, changed FROM dossiers WHERE slug = ?2 AND ?1 = 'dossier'"
            } else {
                "SELECT created, changed FROM records WHERE type = ?1 AND slug = ?2"
            };
            Ok(c.prepare_cached(sql)?
                .query_row(params![record.as_str(), slug], |r| {
                    Ok(Stamps {
                        created: r.get(0)?,
                        changed: r.get(1)?,
                    })
                })
                .optional()?)
        })
    }

    fn documents(&self, q: &DocumentQuery) -> Result<Vec<Document>, StoreError> {
        let mut docs: Vec<Document> =
            self.in_dossier(RecordType::Document, q.dossier.as_deref())?;
        docs.retain(|d| {
            (q.kinds.is_empty() || q.kinds.iter().any(|k| k == d.kind.slug()))
                && (q.bodies.is_empty()
                    || q.bodies
                        .iter()
                        .any(|b| d.issued_by.contains(b) || d.parties.contains(b)))
        });
        Ok(docs)
    }

    fn events(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let mut events: Vec<Event> = self.in_dossier(RecordType::Event, q.dossier.as_deref())?;
        events.retain(|e| {
            (q.kinds.is_empty() || q.kinds.iter().any(|k| k == e.kind.slug()))
                && (q.bodies.is_empty() || q.bodies.iter().any(|b| e.bodies.contains(b)))
                && (q.levels.is_empty()
                    || e.level
                        .is_some_and(|l| q.levels.iter().any(|x| x == l.slug())))
        });
        Ok(events)
    }

    fn bodies(&self, dossier: Option<&str>) -> Result<Vec<Body>, StoreError> {
        let mut v: Vec<Body> = self.in_dossier(RecordType::Body, dossier)?;
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }
    fn people(&self, dossier: Option<&str>) -> Result<Vec<Person>, StoreError> {
        let mut v: Vec<Person> = self.in_dossier(RecordType::Person, dossier)?;
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }
    fn topics(&self, dossier: Option<&str>) -> Result<Vec<Topic>, StoreError> {
        self.in_dossier(RecordType::Topic, dossier)
    }

    fn citations(
        &self,
        record: RecordType,
        slug: &str,
    ) -> Result<Vec<SectionCitation>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT s.dossier, d.title, s.key, s.label, s.title, l.detail
                 FROM links l
                 JOIN sections s ON l.src_slug = s.dossier || '#' || s.key
                 JOIN dossiers d ON d.slug = s.dossier
                 WHERE l.src_type = 'section' AND l.rel = 'cites' AND l.dst_type = ?1 AND l.dst_slug = ?2
                 ORDER BY d.position, s.dossier, s.position",
            )?;
            let rows = stmt.query_map(params![record.as_str(), slug], |r| {
                Ok(SectionCitation {
                    dossier: r.get(0)?,
                    dossier_title: r.get(1)?,
                    key: r.get(2)?,
                    label: r.get(3)?,
                    title: r.get(4)?,
                    text: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn backlinks(&self, record: RecordType, slug: &str) -> Result<Vec<Backlink>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT l.src_type, l.src_slug, r.title, l.rel, r.date
                 FROM links l JOIN records r ON r.type = l.src_type AND r.slug = l.src_slug
                 WHERE l.dst_type = ?1 AND l.dst_slug = ?2
                 ORDER BY r.date_lo IS NULL, r.date_lo, r.date_hi DESC, r.title",
            )?;
            let rows = stmt.query_map(params![record.as_str(), slug], |r| {
                let ty: String = r.get(0)?;
                Ok(Backlink {
                    record: RecordType::parse(&ty).unwrap_or(RecordType::Document),
                    slug: r.get(1)?,
                    title: r.get(2)?,
                    rel: r.get(3)?,
                    date: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn title_of(&self, record: RecordType, slug: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            let sql = if record == RecordType::Dossier {
                "SELECT title FROM dossiers WHERE slug = ?2 AND ?1 = 'dossier'"
            } else {
                "SELECT title FROM records WHERE type = ?1 AND slug = ?2"
            };
            Ok(c.prepare_cached(sql)?
                .query_row(params![record.as_str(), slug], |r| r.get(0))
                .optional()?)
        })
    }

    fn delete(&self, record: RecordType, slug: &str) -> Result<bool, StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = write_transaction(&mut conn)?;
        let linking: Vec<String> = {
            let mut stmt = tx.prepare_cached(
                "SELECT DISTINCT src_type || ' `' || src_slug || '`' FROM links
                 WHERE dst_type = ?1 AND dst_slug = ?2 AND NOT (src_type = ?1 AND src_slug = ?2)
                   AND NOT (src_type = 'section' AND src_slug LIKE ?2 || '#%' AND ?1 = 'dossier')",
            )?;
            let rows = stmt.query_map(params![record.as_str(), slug], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        if !linking.is_empty() {
            return Err(StoreError::Invalid(format!(
                "cannot delete {} `{slug}`: {} still link to it",
                record.as_str(),
                linking.join(", ")
            )));
        }
        let deleted = if record == RecordType::Dossier {
            tx.execute(
                "DELETE FROM links WHERE src_type = 'section' AND src_slug LIKE ?1 || '#%'",
                [slug],
            )?;
            tx.execute("DELETE FROM dossiers WHERE slug = ?1", [slug])?
        } else {
            tx.execute(
                "DELETE FROM links WHERE src_type = ?1 AND src_slug = ?2",
                params![record.as_str(), slug],
            )?;
            tx.execute(
                "DELETE FROM records WHERE type = ?1 AND slug = ?2",
                params![record.as_str(), slug],
            )?
        };
        if deleted > 0 {
            let now = now(&tx)?;
            log_change(
                &tx,
                record,
                slug,
                "delete",
                &now,
                &mut WriteSummary::default(),
            )?;
        }
        tx.commit()?;
        Ok(deleted > 0)
    }

    fn changes_since(&self, seq: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT seq, type, slug, op, at FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![seq, limit as i64], |r| {
                let ty: String = r.get(1)?;
                let op: String = r.get(3)?;
                Ok(Change {
                    seq: r.get(0)?,
                    record: RecordType::parse(&ty).unwrap_or(RecordType::Document),
                    slug: r.get(2)?,
                    op: change_op(&op),
                    at: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn changed_at_or_before(
        &self,
        seq: i64,
        upto: i64,
    ) -> Result<Option<std::collections::HashSet<(RecordType, String)>>, StoreError> {
        if seq <= 0 {
            return Ok(Some(Default::default()));
        }
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT c.type, c.slug FROM changes c
                 WHERE c.seq > ?1 AND c.seq <= ?2
                   AND EXISTS (SELECT 1 FROM changes p
                               WHERE p.type = c.type AND p.slug = c.slug AND p.seq <= ?1)",
            )?;
            let rows = stmt.query_map(params![seq, upto], |r| {
                let ty: String = r.get(0)?;
                Ok((ty, r.get::<_, String>(1)?))
            })?;
            let mut known = std::collections::HashSet::new();
            for row in rows {
                let (ty, slug) = row?;
                // A type this build does not know cannot be in its index either.
                if let Some(t) = RecordType::parse(&ty) {
                    known.insert((t, slug));
                }
            }
            Ok(Some(known))
        })
    }

    fn last_change(&self) -> Result<i64, StoreError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    fn tombstones(&self, record: RecordType) -> Result<Vec<Tombstone>, StoreError> {
        tombstones(self, record)
    }
}

/// Tombstones (migration 3) of the records of a type that are absent now.
fn tombstones(store: &SqliteStore, record: RecordType) -> Result<Vec<Tombstone>, StoreError> {
    let rows: Vec<(String, String, String, String)> = store.read(|c| {
        let mut stmt = c.prepare_cached(
            "SELECT t.slug, t.kind, t.data, t.at FROM tombstones t
             WHERE t.type = ?1
               AND NOT EXISTS (SELECT 1 FROM records r WHERE r.type = t.type AND r.slug = t.slug)
             ORDER BY t.slug",
        )?;
        let rows = stmt.query_map([record.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    })?;
    rows.into_iter()
        .map(|(slug, kind, data, at)| {
            /// The one field of the stored JSON a tombstone needs.
            #[derive(serde::Deserialize)]
            struct Memberships {
                #[serde(default)]
                dossiers: Vec<String>,
            }
            let m = serde_json::from_str::<Memberships>(&data).map_err(|e| StoreError::Corrupt {
                record: record.as_str(),
                slug: slug.clone(),
                source: e,
            });
            // A last copy that cannot be read is skipped (and named), as in lists.
            Ok(crate::skip_corrupt(m)?.map(|m| Tombstone {
                slug,
                kind,
                dossiers: m.dossiers,
                at,
            }))
        })
        .filter_map(Result::transpose)
        .collect()
}

fn change_op(op: &str) -> ChangeOp {
    if op == "delete" {
        ChangeOp::Delete
    } else {
        ChangeOp::Upsert
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(slug: &str, date: Option<&str>) -> Document {
        Document {
            slug: slug.into(),
            title: format!("Title of {slug}"),
            aliases: vec![],
            kind: DocumentKind::Declaration,
            date: date.map(|d| Edtf::parse(d).unwrap()),
            place: None,
            issued_by: vec![],
            authors: vec![],
            parties: vec![],
            legal_status: LegalStatus::Unknown,
            availability: Availability::Public,
            languages: vec![],
            summary: None,
            full_text: None,
            relations: vec![],
            dossiers: vec!["d".into()],
            topics: vec![],
            provenance: Provenance::default(),
        }
    }

    fn dossier() -> Dossier {
        Dossier {
            slug: "d".into(),
            title: "D".into(),
            description: String::new(),
            source: None,
            sections: vec![Section {
                key: "a".into(),
                label: "A.".into(),
                title: "Part".into(),
                short_title: None,
                commentary: "[x](ref:1)".into(),
                references: vec![Reference {
                    text: "x".into(),
                    target: Some(Target::Document { slug: "one".into() }),
                    mention: false,
                }],
                lists: vec![],
                children: vec![],
            }],
        }
    }

    fn archive() -> Archive {
        Archive {
            dossiers: vec![dossier()],
            documents: vec![
                doc("one", Some("1997-05-27")),
                doc("two", Some("1997")),
                doc("three", None),
            ],
            ..Default::default()
        }
    }

    /// A bulk load's pages stay in the write-ahead log (past SQLite's default threshold of
    /// 1,000 pages) until `end_bulk`, which copies them into the database file and empties
    /// the log; every record is readable throughout.
    #[test]
    fn a_bulk_load_is_checkpointed_at_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dossier.db");
        let s = SqliteStore::open(&path).unwrap();
        let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        let wal = dir.path().join("dossier.db-wal");
        assert_eq!(wal_path(&path), wal);
        let size_limit = || -> i64 {
            s.writer
                .lock()
                .unwrap()
                .pragma_query_value(None, "journal_size_limit", |r| r.get(0))
                .unwrap()
        };
        s.begin_bulk().unwrap();
        let mut a = archive();
        // 8 MB of text: twice SQLite's default threshold.
        for d in &mut a.documents {
            d.full_text = Some(format!("{} ", d.slug).repeat(700_000));
        }
        s.begin_bulk().unwrap(); // a second call is harmless
        s.write(&a).unwrap();
        assert!(
            size(&path) < 1_000_000,
            "the load was copied into the database early"
        );
        assert_eq!(
            size_limit(),
            -1,
            "the log's file would be cut back during the load"
        );
        assert!(s.flusher.lock().unwrap().is_some(), "no flusher runs");
        assert!(size(&wal) > 8_000_000);
        assert!(s.document("one").unwrap().unwrap().full_text.is_some());
        s.end_bulk().unwrap();
        assert!(
            size(&path) > 8_000_000,
            "the load is not in the database file"
        );
        assert_eq!(size(&wal), 0, "the log was not emptied");
        assert!(
            s.flusher.lock().unwrap().is_none(),
            "the flusher still runs"
        );
        assert_eq!(size_limit(), WAL_KEEP_BYTES);
        let again = SqliteStore::open(&path).unwrap();
        assert_eq!(
            again.document("two").unwrap().unwrap().full_text,
            a.documents[1].full_text
        );
    }

    #[test]
    fn write_read_and_order_by_date() {
        let s = SqliteStore::in_memory().unwrap();
        assert!(s.is_empty().unwrap());
        let sum = s.write(&archive()).unwrap();
        assert_eq!(
            sum,
            WriteSummary {
                new: 4,
                changed: 0,
                unchanged: 0,
                logged: Some((1, 4)),
            }
        );
        let docs = s
            .documents(&DocumentQuery {
                dossier: Some("d".into()),
                ..Default::default()
            })
            .unwrap();
        let slugs: Vec<&str> = docs.iter().map(|d| d.slug.as_str()).collect();
        assert_eq!(slugs, ["two", "one", "three"]);
        assert_eq!(s.dossier("d").unwrap().unwrap(), dossier());
        let cites = s.citations(RecordType::Document, "one").unwrap();
        assert_eq!(cites[0].key, "a");
    }

    #[test]
    fn rewriting_counts_unchanged_and_changed() {
        let s = SqliteStore::in_memory().unwrap();
        s.write(&archive()).unwrap();
        assert_eq!(
            s.write(&archive()).unwrap(),
            WriteSummary {
                new: 0,
                changed: 0,
                unchanged: 4,
                logged: None,
            }
        );
        let mut a = archive();
        a.documents[0].title = "Changed".into();
        assert_eq!(
            s.write(&a).unwrap(),
            WriteSummary {
                new: 0,
                changed: 1,
                unchanged: 3,
                logged: Some((5, 5)),
            }
        );
        assert_eq!(s.document("one").unwrap().unwrap().title, "Changed");
    }

    #[test]
    fn a_failed_write_leaves_the_store_as_it_was() {
        let s = SqliteStore::in_memory().unwrap();
        s.write(&archive()).unwrap();
        let mut a = archive();
        a.documents[1].title = "Should not land".into();
        a.documents.push(doc("bad", None));
        a.documents[3].issued_by = vec!["nobody".into()];
        let e = s.write(&a).unwrap_err();
        assert!(e.to_string().contains("no body `nobody`"), "{e}");
        assert_eq!(s.document("two").unwrap().unwrap().title, "Title of two");
        assert!(s.document("bad").unwrap().is_none());
    }

    /// Held writes are seen by no reader until kept; a write that fails inside the hold
    /// undoes only itself; letting go undoes every held write, and the store is as before.
    #[test]
    fn held_writes_are_seen_only_once_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dossier.db");
        let s = SqliteStore::open(&path).unwrap();
        let other = SqliteStore::open(&path).unwrap();

        assert!(s.hold().unwrap());
        assert!(s.hold().is_err(), "one hold at a time");
        s.write(&archive()).unwrap();
        let mut bad = Archive::default();
        bad.documents.push(doc("bad", None));
        bad.documents[0].issued_by = vec!["nobody".into()];
        assert!(s.write(&bad).is_err());
        let mut more = Archive::default();
        more.documents.push(doc("four", Some("2002")));
        s.write(&more).unwrap();
        assert!(
            other.document("one").unwrap().is_none(),
            "held, not yet kept"
        );
        assert_eq!(other.last_change().unwrap(), 0);
        s.release(false).unwrap();
        assert!(s.document("one").unwrap().is_none());
        assert!(s.is_empty().unwrap());
        assert_eq!(s.last_change().unwrap(), 0);

        assert!(s.hold().unwrap());
        s.write(&archive()).unwrap();
        assert!(s.write(&bad).is_err());
        s.write(&more).unwrap();
        s.release(true).unwrap();
        s.release(true).unwrap(); // nothing held: nothing to do
        for slug in ["one", "two", "three", "four"] {
            assert!(other.document(slug).unwrap().is_some(), "{slug}");
        }
        assert!(other.document("bad").unwrap().is_none());
        assert_eq!(other.last_change().unwrap(), 5);
        // Writes after the hold commit one by one again.
        s.write(&archive()).unwrap();
    }

    #[test]
    fn changes_are_logged_and_deletes_guarded() {
        let s = SqliteStore::in_memory().unwrap();
        s.write(&archive()).unwrap();
        assert_eq!(s.last_change().unwrap(), 4);
        let e = s.delete(RecordType::Document, "one").unwrap_err();
        assert!(e.to_string().contains("section `d#a` still link"), "{e}");
        assert!(s.delete(RecordType::Document, "two").unwrap());
        assert!(!s.delete(RecordType::Document, "two").unwrap());
        assert!(s.document("two").unwrap().is_none());
        let log = s.changes_since(4, 10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(
            (log[0].record, log[0].slug.as_str(), log[0].op),
            (RecordType::Document, "two", ChangeOp::Delete)
        );
        // An unchanged rewrite logs nothing; a change logs one entry.
        s.write(&archive()).unwrap();
        assert_eq!(s.changes_since(5, 10).unwrap().len(), 1, "`two` came back");
    }

    #[test]
    fn opens_a_file_with_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dossier.db");
        {
            let s = SqliteStore::open(&path).unwrap();
            s.write(&archive()).unwrap();
        }
        let s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.document("one").unwrap().unwrap().slug, "one");
        let conn = s.writer.lock().unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    /// The options `.cargo/config.toml` gives the bundled SQLite: no page-cache group
    /// shared behind a global mutex, no memory statistics behind another.
    #[test]
    fn the_bundled_sqlite_is_built_without_its_global_mutexes() {
        let s = SqliteStore::in_memory().unwrap();
        let conn = s.writer.lock().unwrap();
        let mut stmt = conn.prepare("PRAGMA compile_options").unwrap();
        let options: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
    }
}
