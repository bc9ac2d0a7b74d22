//! [`Captures`] for the PostgreSQL store: the `captures` table of the eighth migration, as
//! the SQLite store keeps it, and the WARC files themselves in the `warc_files` table of the
//! tenth (a database server has no data directory beside it, and several servers share
//! one database). `offset` is a reserved word in PostgreSQL, hence quoted.

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

    fn warc_names(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            Ok(c.query("SELECT name FROM warc_files ORDER BY name", &[])?
                .iter()
                .map(|r| r.get(0))
                .collect())
        })
    }

    fn read_warc_file(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        refuse_name(name)?;
        self.read(|c| {
            c.query_opt("SELECT bytes FROM warc_files WHERE name = $1", &[&name])?
                .map(|r| r.get(0))
                .ok_or_else(|| missing(name))
        })
    }

    fn write_warc_file(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        refuse_name(name)?;
        if bytes.len() as u64 > MAX_WARC_FILE_BYTES {
            return Err(StoreError::Warc(format!(
                "{name} is {} bytes; PostgreSQL keeps a value of at most {MAX_WARC_FILE_BYTES}",
                bytes.len()
            )));
        }
        // In a write transaction like every other write: committed (durable) when this
        // returns, and inside a held bulk load's transaction if one is open.
        self.in_transaction(|tx| {
            let inserted = tx.execute(
                "INSERT INTO warc_files (name, bytes, length, sha256, created_at)
                 VALUES ($1, $2::bytea, octet_length($2::bytea), encode(sha256($2::bytea), 'hex'),
                         extract(epoch FROM clock_timestamp())::bigint)
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &bytes],
            )?;
            if inserted == 0 {
                return Err(StoreError::Warc(format!(
                    "{name} exists already; a kept WARC file is never replaced"
                )));
            }
            Ok(())
        })
    }

    fn read_warc_range(&self, name: &str, offset: u64, length: u64) -> Result<Vec<u8>, StoreError> {
        refuse_name(name)?;
        // substring counts from 1 and takes int4; a range that does not fit one lies past
        // the end of any value PostgreSQL keeps.
        let (Some(from), Ok(count)) = (
            offset.checked_add(1).and_then(|o| i32::try_from(o).ok()),
            i32::try_from(length),
        ) else {
            return Err(StoreError::Warc(format!(
                "{length} bytes at byte {offset} of {name} lie past the end of any file \
                 the store keeps"
            )));
        };
        self.read(|c| {
            let row = c
                .query_opt(
                    "SELECT length, CASE WHEN $2::int::bigint + $3::int - 1 <= length
                                         THEN substring(bytes FROM $2 FOR $3) END
                     FROM warc_files WHERE name = $1",
                    &[&name, &from, &count],
                )?
                .ok_or_else(|| missing(name))?;
            let size: i64 = row.get(0);
            past_end(name, offset, length, size.max(0) as u64)?;
            Ok(row.get::<_, Option<Vec<u8>>>(1).unwrap_or_default())
        })
    }

    /// None: a database server has no data directory beside it; the WARC files are in
    /// the database.
    fn warc_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
}

/// The largest WARC file PostgreSQL keeps: a `bytea` value holds at most 1 GB.
const MAX_WARC_FILE_BYTES: u64 = (1 << 30) - (1 << 20);

fn missing(name: &str) -> StoreError {
    StoreError::Warc(format!("the store keeps no WARC file named {name}"))
}

#[cfg(test)]
mod tests {
    /// A schema version means the same migrations on both stores (`dossier copy` and an
    /// operator compare them): SQLite has a tenth migration that does nothing to match
    /// this store's WARC table.
    #[test]
    fn both_stores_number_their_migrations_alike() {
        assert_eq!(
            super::super::migrations::MIGRATIONS.len(),
            crate::migrations::MIGRATIONS.len()
        );
    }
}
