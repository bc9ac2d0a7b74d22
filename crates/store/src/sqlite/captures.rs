//! [`Captures`] for the SQLite store: the `captures` table of the eighth migration, and
//! the WARC files in the data directory's `warc/` folder beside the database file. An
//! in-memory store has no folder: it keeps no files, and says so when asked to.

use super::write::{now, write_transaction};
use super::SqliteStore;
use crate::captures::*;
use crate::StoreError;
use dossier_model::RecordType;
use rusqlite::{params, OptionalExtension, Row};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const COLUMNS: &str =
    "id, page, url, captured_at, warc_file, offset, length, status, content_type, sha256";

fn row(r: &Row) -> rusqlite::Result<Capture> {
    Ok(Capture {
        id: r.get(0)?,
        page: r.get(1)?,
        url: r.get(2)?,
        captured_at: r.get(3)?,
        warc_file: r.get(4)?,
        offset: r.get::<_, i64>(5)?.max(0) as u64,
        length: r.get::<_, i64>(6)?.max(0) as u64,
        status: r.get::<_, i64>(7)?.clamp(0, 999) as u16,
        content_type: r.get(8)?,
        sha256: r.get(9)?,
    })
}

impl Captures for SqliteStore {
    fn add_captures(
        &self,
        rows: &[NewCapture],
        citing: &[(RecordType, String)],
    ) -> Result<Vec<i64>, StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = write_transaction(&mut conn)?;
        let mut ids = Vec::with_capacity(rows.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO captures (page, url, captured_at, warc_file, offset, length, status,
                                       content_type, sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for c in rows {
                insert
                    .execute(params![
                        c.page,
                        c.url,
                        c.captured_at,
                        c.warc_file,
                        c.offset as i64,
                        c.length as i64,
                        c.status,
                        c.content_type,
                        c.sha256
                    ])
                    .map_err(|e| {
                        StoreError::Invalid(format!("the copy of {} was refused: {e}", c.url))
                    })?;
                ids.push(tx.last_insert_rowid());
            }
            if !rows.is_empty() && !citing.is_empty() {
                let at = now(&tx)?;
                let mut log = tx.prepare_cached(
                    "INSERT INTO changes (type, slug, op, at) VALUES (?1, ?2, 'upsert', ?3)",
                )?;
                // Only records that exist: a change of a deleted record would be read as
                // its coming back.
                let mut exists = tx.prepare_cached(
                    "SELECT 1 FROM records WHERE type = ?1 AND slug = ?2
                     UNION ALL SELECT 1 FROM dossiers WHERE ?1 = 'dossier' AND slug = ?2",
                )?;
                for (record, slug) in citing {
                    if exists.exists(params![record.as_str(), slug])? {
                        log.execute(params![record.as_str(), slug, at])?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    fn capture(&self, id: i64) -> Result<Option<Capture>, StoreError> {
        self.read(|c| {
            Ok(
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM captures WHERE id = ?1"))?
                    .query_row([id], row)
                    .optional()?,
            )
        })
    }

    fn captures_of(&self, url: &str) -> Result<Vec<Capture>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM captures WHERE url = ?1 ORDER BY captured_at, id"
            ))?;
            let rows = stmt.query_map([url], row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn latest_captures(&self, pages: &[&str]) -> Result<Vec<Capture>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM captures WHERE page = ?1 AND url = ?1
                 ORDER BY captured_at DESC, id DESC LIMIT 1"
            ))?;
            let mut out = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for page in pages {
                if seen.insert(*page) {
                    out.extend(stmt.query_row([page], row).optional()?);
                }
            }
            Ok(out)
        })
    }

    fn capture_for(
        &self,
        page: &str,
        url: &str,
        captured_at: i64,
    ) -> Result<Option<Capture>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM captures WHERE page = ?1 AND url = ?2
                 ORDER BY abs(captured_at - ?3), id DESC LIMIT 1"
            ))?
            .query_row(params![page, url, captured_at], row)
            .optional()?)
        })
    }

    fn all_captures(&self) -> Result<Vec<Capture>, StoreError> {
        self.read(|c| {
            let mut stmt =
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM captures ORDER BY id"))?;
            let rows = stmt.query_map([], row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn warc_names(&self) -> Result<Vec<String>, StoreError> {
        let Some(dir) = self.warc_dir() else {
            return Ok(Vec::new());
        };
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("cannot list", &dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error("cannot list", &dir, e))?;
            // Only files the store wrote: a half-written one (hidden, see
            // `write_warc_file`) or anything else put in the folder is not a copy.
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let is_file = entry
                .file_type()
                .map_err(|e| io_error("cannot list", &dir, e))?
                .is_file();
            if is_file && is_warc_name(&name) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    fn read_warc_file(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.warc_path(name)?;
        std::fs::read(&path).map_err(|e| io_error("cannot read", &path, e))
    }

    fn write_warc_file(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.warc_path(name)?;
        let dir = path.parent().expect("a file in the warc folder");
        std::fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, e))?;
        // Written under a hidden name, flushed, then linked under its own: a crash leaves
        // no half file under a copy's name, and linking fails rather than replace one.
        // (The hidden name does not hold `name`: a 255-byte name would make it too long.)
        // Random as well as this process's: processes of two machines (or containers)
        // sharing the folder may have the same id.
        use std::hash::{BuildHasher, Hasher};
        let mut random = std::collections::hash_map::RandomState::new().build_hasher();
        random.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        let partial = dir.join(format!(
            ".warc-{}-{}-{:016x}.partial",
            std::process::id(),
            PARTIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            random.finish()
        ));
        let mut created = false;
        let written = (|| {
            let mut f = std::fs::File::options()
                .write(true)
                .create_new(true)
                .open(&partial)?;
            created = true;
            f.write_all(bytes)?;
            f.sync_all()
        })()
        .map_err(|e| io_error("cannot write", &partial, e));
        let linked = written.and_then(|()| {
            std::fs::hard_link(&partial, &path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    StoreError::Warc(format!(
                        "{} exists already; a kept WARC file is never replaced",
                        path.display()
                    ))
                } else {
                    io_error("cannot write", &path, e)
                }
            })
        });
        // Only a file this call made: another's, under the same name, is not ours to remove.
        if created {
            let _ = std::fs::remove_file(&partial);
        }
        linked?;
        // The new name itself is durable once the folder is.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error("cannot write", dir, e))
    }

    fn read_warc_range(&self, name: &str, offset: u64, length: u64) -> Result<Vec<u8>, StoreError> {
        let path = self.warc_path(name)?;
        let mut f = std::fs::File::open(&path).map_err(|e| io_error("cannot read", &path, e))?;
        let size = f
            .metadata()
            .map_err(|e| io_error("cannot read", &path, e))?
            .len();
        past_end(name, offset, length, size)?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| io_error("cannot read", &path, e))?;
        let mut out = Vec::with_capacity(length as usize);
        f.take(length)
            .read_to_end(&mut out)
            .map_err(|e| io_error("cannot read", &path, e))?;
        if out.len() as u64 != length {
            // Cut short since the size was read.
            past_end(name, offset, length, offset + out.len() as u64)?;
        }
        Ok(out)
    }

    fn warc_dir(&self) -> Option<PathBuf> {
        let db = self.path.as_ref()?;
        Some(db.parent().unwrap_or(Path::new(".")).join("warc"))
    }
}

/// Tells apart the hidden names of files being written by this process at once.
static PARTIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl SqliteStore {
    /// Where the file `name` lies, once the name is known to be a plain file name.
    fn warc_path(&self, name: &str) -> Result<PathBuf, StoreError> {
        refuse_name(name)?;
        let dir = self.warc_dir().ok_or_else(|| {
            StoreError::Warc(
                "an in-memory store keeps no WARC files: archived copies need a data directory"
                    .into(),
            )
        })?;
        Ok(dir.join(name))
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Warc(format!("{what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn new(page: &str, url: &str, at: i64) -> NewCapture {
        NewCapture {
            page: page.into(),
            url: url.into(),
            captured_at: at,
            warc_file: "dossier-x.warc.gz".into(),
            offset: 10,
            length: 20,
            status: 200,
            content_type: "text/html".into(),
            sha256: "a".repeat(64),
        }
    }

    #[test]
    fn copies_are_indexed_and_found() {
        let s = SqliteStore::in_memory().unwrap();
        let c = s.captures().unwrap();
        assert!(c.warc_dir().is_none());
        let ids = c
            .add_captures(
                &[
                    new("https://a.example/", "https://a.example/", 100),
                    new("https://a.example/", "https://a.example/s.css", 100),
                    new("https://a.example/", "https://a.example/", 200),
                ],
                &[(RecordType::Document, "no-such-record".into())],
            )
            .unwrap();
        assert_eq!(ids.len(), 3);
        // No change logged for a record that does not exist.
        assert_eq!(s.last_change().unwrap(), 0);
        assert_eq!(
            c.capture(ids[1]).unwrap().unwrap().url,
            "https://a.example/s.css"
        );
        assert_eq!(c.captures_of("https://a.example/").unwrap().len(), 2);
        let latest = c
            .latest_captures(&["https://a.example/", "https://b.example/"])
            .unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].captured_at, 200);
        let css = c
            .capture_for("https://a.example/", "https://a.example/s.css", 200)
            .unwrap()
            .unwrap();
        assert_eq!(css.id, ids[1]);
        assert_eq!(c.all_captures().unwrap().len(), 3);
    }

    #[test]
    fn a_bad_digest_is_refused_whole() {
        let s = SqliteStore::in_memory().unwrap();
        let c = s.captures().unwrap();
        let mut bad = new("https://a.example/", "https://a.example/", 1);
        bad.sha256 = "short".into();
        let ok = new("https://a.example/", "https://a.example/", 1);
        let e = c.add_captures(&[ok, bad], &[]).unwrap_err();
        assert!(e.to_string().contains("https://a.example/"), "{e}");
        assert!(c.all_captures().unwrap().is_empty());
    }

    #[test]
    fn the_warc_folder_is_beside_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
        assert_eq!(
            s.captures().unwrap().warc_dir(),
            Some(dir.path().join("warc"))
        );
    }

    #[test]
    fn files_are_in_the_warc_folder_and_no_half_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
        let c = s.captures().unwrap();
        c.write_warc_file("dossier-a.warc.gz", b"abc").unwrap();
        assert!(c.write_warc_file("dossier-a.warc.gz", b"x").is_err());
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join("warc"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["dossier-a.warc.gz"]);
        assert_eq!(
            std::fs::read(dir.path().join("warc/dossier-a.warc.gz")).unwrap(),
            b"abc"
        );
        // Anything else put in the folder is no copy.
        std::fs::write(dir.path().join("warc/notes.txt"), "x").unwrap();
        std::fs::create_dir(dir.path().join("warc/sub.warc.gz")).unwrap();
        assert_eq!(c.warc_names().unwrap(), ["dossier-a.warc.gz"]);
    }

    #[test]
    fn an_in_memory_store_keeps_no_files_and_says_why() {
        let s = SqliteStore::in_memory().unwrap();
        let c = s.captures().unwrap();
        assert!(c.warc_names().unwrap().is_empty());
        let e = c.write_warc_file("dossier-a.warc.gz", b"abc").unwrap_err();
        assert!(e.to_string().contains("data directory"), "{e}");
        assert!(c.read_warc_range("dossier-a.warc.gz", 0, 1).is_err());
    }
}
