//! [`Captures`] for the PostgreSQL store: the `captures` table of the eighth migration, as
//! the SQLite store keeps it. `offset` is a reserved word in PostgreSQL, hence quoted.

use super::changes::log_change;
use super::revisions::holdable;
use super::write::now;
use super::PgStore;
use crate::captures::*;
use crate::{StoreError, WriteSummary};
use ::postgres::Row;
use dossier_model::RecordType;

const COLUMNS: &str = "id, page, url, captured_at, warc_file, \"offset\", length, status, \
                       content_type, sha256";

fn row(r: &Row) -> Result<Capture, StoreError> {
    Ok(Capture {
        id: r.try_get(0)?,
        page: r.try_get(1)?,
        url: r.try_get(2)?,
        captured_at: r.try_get(3)?,
        warc_file: r.try_get(4)?,
        offset: r.try_get::<_, i64>(5)?.max(0) as u64,
        length: r.try_get::<_, i64>(6)?.max(0) as u64,
        status: r.try_get::<_, i64>(7)?.clamp(0, 999) as u16,
        content_type: r.try_get(8)?,
        sha256: r.try_get(9)?,
    })
}

impl Captures for PgStore {
    fn add_captures(
        &self,
        rows: &[NewCapture],
        citing: &[(RecordType, String)],
    ) -> Result<Vec<i64>, StoreError> {
        self.in_transaction(|tx| {
            let insert = tx.prepare(
                "INSERT INTO captures (page, url, captured_at, warc_file, \"offset\", length,
                                       status, content_type, sha256)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )?;
            let mut ids = Vec::with_capacity(rows.len());
            for c in rows {
                let id: i64 = tx
                    .query_one(
                        &insert,
                        &[
                            &c.page,
                            &c.url,
                            &c.captured_at,
                            &c.warc_file,
                            &i64::try_from(c.offset).unwrap_or(i64::MAX),
                            &i64::try_from(c.length).unwrap_or(i64::MAX),
                            &i64::from(c.status),
                            &c.content_type,
                            &c.sha256,
                        ],
                    )
                    .and_then(|r| r.try_get(0))
                    .map_err(|e| {
                        StoreError::Invalid(format!("the copy of {} was refused: {e}", c.url))
                    })?;
                ids.push(id);
            }
            if !rows.is_empty() && !citing.is_empty() {
                // Only records that exist: a change of a deleted record would be read as
                // its coming back.
                let exists = tx.prepare(
                    "SELECT 1 FROM records WHERE type = $1 AND slug = $2
                     UNION ALL SELECT 1 FROM dossiers WHERE $1 = 'dossier' AND slug = $2",
                )?;
                let at = now(tx)?;
                let mut logged = WriteSummary::default();
                for (record, slug) in citing {
                    if !tx.query(&exists, &[&record.as_str(), slug])?.is_empty() {
                        log_change(tx, *record, slug, "upsert", &at, &mut logged)?;
                    }
                }
            }
            Ok(ids)
        })
    }

    fn capture(&self, id: i64) -> Result<Option<Capture>, StoreError> {
        self.read(|c| {
            c.query_opt(
                &format!("SELECT {COLUMNS} FROM captures WHERE id = $1"),
                &[&id],
            )?
            .as_ref()
            .map(row)
            .transpose()
        })
    }

    fn captures_of(&self, url: &str) -> Result<Vec<Capture>, StoreError> {
        if !holdable(url) {
            return Ok(Vec::new());
        }
        self.read(|c| {
            c.query(
                &format!("SELECT {COLUMNS} FROM captures WHERE url = $1 ORDER BY captured_at, id"),
                &[&url],
            )?
            .iter()
            .map(row)
            .collect()
        })
    }

    fn latest_captures(&self, pages: &[&str]) -> Result<Vec<Capture>, StoreError> {
        let pages: Vec<&str> = pages.iter().copied().filter(|p| holdable(p)).collect();
        if pages.is_empty() {
            return Ok(Vec::new());
        }
        // One query for every page (a round trip each would add up on a list of
        // citations): the newest copy of each page made for the page itself.
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT DISTINCT ON (page) {COLUMNS} FROM captures
                     WHERE page = ANY($1) AND url = page
                     ORDER BY page, captured_at DESC, id DESC"
                ),
                &[&pages],
            )?
            .iter()
            .map(row)
            .collect()
        })
    }

    fn capture_for(
        &self,
        page: &str,
        url: &str,
        captured_at: i64,
    ) -> Result<Option<Capture>, StoreError> {
        if !holdable(page) || !holdable(url) {
            return Ok(None);
        }
        self.read(|c| {
            c.query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM captures WHERE page = $1 AND url = $2
                     ORDER BY abs(captured_at - $3), id DESC LIMIT 1"
                ),
                &[&page, &url, &captured_at],
            )?
            .as_ref()
            .map(row)
            .transpose()
        })
    }

    fn all_captures(&self) -> Result<Vec<Capture>, StoreError> {
        self.read(|c| {
            c.query(&format!("SELECT {COLUMNS} FROM captures ORDER BY id"), &[])?
                .iter()
                .map(row)
                .collect()
        })
    }

    /// None: a database server has no data directory beside it. The copies' WARC files
    /// live on the servers' disks (or a share they mount); which folder is the server's
    /// setting, not the database's.
    fn warc_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
}
