//! The change log (what changed, in order: the search index follows it) and the
//! tombstones of deleted records.

use super::SqliteStore;
use crate::*;
use rusqlite::{params, Connection, OptionalExtension};

pub(super) fn log_change(
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
pub(super) fn note_logged(seq: i64, summary: &mut WriteSummary) {
    summary.logged = Some(match summary.logged {
        Some((first, _)) => (first, seq),
        None => (seq, seq),
    });
}

/// [`Store::changes_since`].
pub(super) fn changes_since(
    store: &SqliteStore,
    seq: i64,
    limit: usize,
) -> Result<Vec<Change>, StoreError> {
    store.read(|c| {
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

/// [`Store::changed_at_or_before`].
pub(super) fn changed_at_or_before(
    store: &SqliteStore,
    seq: i64,
    upto: i64,
) -> Result<std::collections::HashSet<(RecordType, String)>, StoreError> {
    if seq <= 0 {
        return Ok(Default::default());
    }
    store.read(|c| {
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
        Ok(known)
    })
}

/// [`Store::last_change`]: the log's last entry, found at the end of its primary key's
/// B-tree, on a connection of its own with the statement kept prepared (the server asks on
/// every request). Each call is its own read transaction, so it sees every commit made
/// before it, by any process.
pub(super) fn last_change(store: &SqliteStore) -> Result<i64, StoreError> {
    store.read_log(|c| {
        Ok(
            c.prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM changes")?
                .query_row([], |r| r.get(0))?,
        )
    })
}

/// [`Store::change_time`], on the connection that answers [`Store::last_change`]: it has
/// read the log since the latest commit already, where a pool connection would first
/// empty its page cache (every commit does that to each connection) for one row.
pub(super) fn change_time(store: &SqliteStore, seq: i64) -> Result<Option<String>, StoreError> {
    store.read_log(|c| {
        Ok(c.prepare_cached("SELECT at FROM changes WHERE seq = ?1")?
            .query_row([seq], |r| r.get(0))
            .optional()?)
    })
}

/// Tombstones (migration 3) of the records of a type that are absent now.
pub(super) fn tombstones(
    store: &SqliteStore,
    record: RecordType,
) -> Result<Vec<Tombstone>, StoreError> {
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
