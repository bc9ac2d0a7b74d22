//! [`Captures`] for the SQLite store: the `captures` table of the eighth migration.

use super::write::{now, write_transaction};
use super::SqliteStore;
use crate::captures::*;
use crate::StoreError;
use dossier_model::RecordType;
use rusqlite::{params, OptionalExtension, Row};

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

    fn warc_dir(&self) -> Option<std::path::PathBuf> {
        let db = self.path.as_ref()?;
        Some(
            db.parent()
                .unwrap_or(std::path::Path::new("."))
                .join("warc"),
        )
    }
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
}
