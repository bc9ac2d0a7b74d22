//! [`Merges`] for SQLite (migration 9): a merge and its undo each one transaction through
//! the one write path (validated, logged, a published revision per record that changed),
//! with `merges`, `merge_records` and the `redirects` kept beside them. An undo writes
//! through [`write_rows`]; a merge through [`rewrite_rows`], its variant for records the
//! transaction has just read, in parts of [`RECORDS_PER_PART`] (the next part read,
//! relinked and serialised on another thread while one is written), so that a body linked
//! from 50,000 records is merged in about a second (BENCHMARKS.md).
//!
//! The records that link to the merged-away one are found through the `links` table
//! (sections' `cites` rows included), never by reading every record. Two kinds of link
//! have no `links` row and are looked up apart: a body's `successors` (the write path
//! keeps a row for predecessors only) and the bodies a dossier's generated lists name
//! (in `sections.lists`); both lookups read bodies or sections, never documents.

use super::write::{
    before_of, current_version, delete_in, in_write, insert_published, record_json, record_links,
    rewrite_rows, rows, rows_with, unix_now, validate_in, write_rows, Before, By, Relink, Revise,
    Serialised, BEFORE_COLUMNS,
};
use super::SqliteStore;
use crate::merges::{
    merge_comment, parse, record_of, refused, Merge, MergeError, Merges, Role, Touched,
};
use crate::*;
use dossier_model::merge::{absorb, relink_lists};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// The columns a [`Merge`] is read from, in [`merge_of_row`]'s order.
const COLUMNS: &str = "id, type, from_slug, into_slug, author_user, author_name, origin, at,
    comment, undone_user, undone_name, undone_origin, undone_at";

fn bad_column(i: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        i,
        rusqlite::types::Type::Text,
        format!("unknown {what} `{value}` in a stored merge").into(),
    )
}

fn origin(i: usize, value: &str) -> rusqlite::Result<Origin> {
    Origin::parse(value).ok_or_else(|| bad_column(i, "origin", value))
}

/// A merge's row, without its relinked records.
fn merge_of_row(r: &rusqlite::Row) -> rusqlite::Result<Merge> {
    let ty: String = r.get(1)?;
    let undone_name: Option<String> = r.get(10)?;
    let undone = match undone_name {
        Some(name) => {
            let o: Option<String> = r.get(11)?;
            Some((
                Author {
                    user: r.get(9)?,
                    name,
                    origin: origin(11, o.as_deref().unwrap_or("cli"))?,
                },
                r.get::<_, Option<i64>>(12)?.unwrap_or(0),
            ))
        }
        None => None,
    };
    let o: String = r.get(6)?;
    Ok(Merge {
        id: r.get(0)?,
        record: RecordType::parse(&ty).ok_or_else(|| bad_column(1, "record type", &ty))?,
        from: r.get(2)?,
        into: r.get(3)?,
        author: Author {
            user: r.get(4)?,
            name: r.get(5)?,
            origin: origin(6, &o)?,
        },
        at: r.get(7)?,
        comment: r.get(8)?,
        relinked: Vec::new(),
        undone,
    })
}

/// Merge `id` with its relinked records, as `c` sees it.
fn read_merge(c: &Connection, id: i64) -> Result<Option<Merge>, StoreError> {
    let Some(mut m) = c
        .prepare_cached(&format!("SELECT {COLUMNS} FROM merges WHERE id = ?1"))?
        .query_row([id], merge_of_row)
        .optional()?
    else {
        return Ok(None);
    };
    m.relinked = touched(c, id)?
        .into_iter()
        .filter(|t| t.role == Role::Relinked)
        .map(|t| (t.record, t.slug))
        .collect();
    // In the model's type order (not the type names' alphabetical one), whatever the
    // database's collation.
    m.relinked.sort();
    Ok(Some(m))
}

/// The records merge `id` wrote: the two merged records first, then the relinked ones in
/// type and slug order.
fn touched(c: &Connection, id: i64) -> Result<Vec<Touched>, StoreError> {
    let mut stmt = c.prepare_cached(
        "SELECT type, slug, role, version FROM merge_records WHERE merge_id = ?1
         ORDER BY CASE role WHEN 'from' THEN 0 WHEN 'into' THEN 1 ELSE 2 END, type, slug",
    )?;
    let rows = stmt.query_map([id], |r| {
        let ty: String = r.get(0)?;
        let role: String = r.get(2)?;
        Ok(Touched {
            record: RecordType::parse(&ty).ok_or_else(|| bad_column(0, "record type", &ty))?,
            slug: r.get(1)?,
            role: match role.as_str() {
                "into" => Role::Into,
                "from" => Role::From,
                "relinked" => Role::Relinked,
                _ => return Err(bad_column(2, "role", &role)),
            },
            version: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A stored record (not a dossier), as `tx` sees it.
fn stored_record(
    tx: &Connection,
    record: RecordType,
    slug: &str,
) -> Result<Option<Record>, StoreError> {
    let data: Option<String> = tx
        .prepare_cached("SELECT data FROM records WHERE type = ?1 AND slug = ?2")?
        .query_row(params![record.as_str(), slug], |r| r.get(0))
        .optional()?;
    data.map(|d| record_of(record, slug, &d)).transpose()
}

/// A stored record as a merge read it, before relinking it.
struct Stored {
    record: RecordType,
    slug: String,
    before: Before,
}

/// A row of [`BEFORE_COLUMNS`] as a [`Stored`] (`None`: not a record type).
fn stored_of(r: &rusqlite::Row) -> rusqlite::Result<Option<Stored>> {
    let (ty, slug, before) = before_of(r)?;
    Ok(RecordType::parse(&ty).map(|record| Stored {
        record,
        slug,
        before,
    }))
}

/// The records (not dossiers) that link to `from`, as stored, bodies first; neither `from`
/// nor `into` themselves. Driven from the `links` rows, so that only they are read.
fn linking_records(
    tx: &Connection,
    record: RecordType,
    from: &str,
    into: &str,
) -> Result<Vec<Stored>, StoreError> {
    // Successors have no `links` row; a body's JSON names them (`"slug":"from"`), and only
    // bodies are read for it.
    let successors = if record == RecordType::Body {
        "UNION SELECT type, slug FROM records
           WHERE type = 'body' AND instr(data, '\"successors\"') > 0 AND instr(data, ?3) > 0"
    } else {
        // ?3 (never NULL) named so that both statements take the same parameters.
        "UNION SELECT NULL, NULL WHERE ?3 IS NULL"
    };
    let sql = format!(
        "SELECT {BEFORE_COLUMNS} FROM (
             SELECT src_type AS type, src_slug AS slug FROM links
               WHERE dst_type = ?1 AND dst_slug = ?2
                 AND src_type IN ('document','body','person','event','topic')
             {successors}) k
         CROSS JOIN records r ON r.type = k.type AND r.slug = k.slug
         WHERE NOT (r.type = ?1 AND r.slug IN (?2, ?4))"
    );
    let quoted = serde_json::to_string(from).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let named = format!("\"slug\":{quoted}");
    let mut stmt = tx.prepare(&sql)?;
    let mut rows = stmt.query(params![record.as_str(), from, named, into])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.extend(stored_of(r)?);
    }
    // Bodies first: the rules between bodies (a successor's date against the other's
    // establishment) are checked among the records of one write, so all of them are
    // written in the first part of the merge.
    out.sort_by_key(|s| s.record != RecordType::Body);
    Ok(out)
}

/// A stored record (not a dossier) as a merge reads it, as `tx` sees it.
fn read_stored(
    tx: &Connection,
    record: RecordType,
    slug: &str,
) -> Result<Option<Stored>, StoreError> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {BEFORE_COLUMNS} FROM records r WHERE r.type = ?1 AND r.slug = ?2"
        ))?
        .query_row(params![record.as_str(), slug], stored_of)
        .optional()?
        .flatten())
}

/// Linking records written per part of a merge (all in its one transaction): the part's
/// records are read, relinked, checked and written, then their memory serves the next
/// part. Materialising 50,000 records at once cost more in fresh memory than the parts do
/// in statements.
const RECORDS_PER_PART: usize = 4_096;

/// A part of a merge's linking records, read and relinked ahead: the stored records (each
/// one's old links noted in its `before`), and those that changed with their new JSON.
struct Prepared<'s> {
    part: &'s mut [Stored],
    changed: Vec<(usize, Record, String)>,
}

/// Reads the part's stored JSON, points its links to `from` at `into` and serialises the
/// records that changed (with their index in `part`).
fn prepare_part<'s>(
    part: &'s mut [Stored],
    record: RecordType,
    from: &str,
    into: &str,
) -> Result<Prepared<'s>, StoreError> {
    let mut changed = Vec::new();
    for (i, s) in part.iter_mut().enumerate() {
        let mut r = record_of(s.record, &s.slug, &s.before.data)?;
        s.before.links = record_links(&r);
        if r.relink(record, from, into) {
            let json = record_json(&r).map_err(|e| StoreError::Invalid(e.to_string()))?;
            changed.push((i, r, json));
        }
    }
    Ok(Prepared { part, changed })
}

/// The dossiers whose sections cite `from` or whose generated lists name it (a body), in
/// slug order.
fn linking_dossiers(
    tx: &Connection,
    record: RecordType,
    from: &str,
) -> Result<Vec<Dossier>, StoreError> {
    let quoted = serde_json::to_string(from).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let lists = if record == RecordType::Body {
        "UNION SELECT dossier FROM sections WHERE instr(lists, ?3) > 0"
    } else {
        // ?3 (never NULL) named so that both statements take the same parameters.
        "UNION SELECT NULL WHERE ?3 IS NULL"
    };
    let sql = format!(
        "SELECT d.slug, d.data FROM dossiers d WHERE d.slug IN (
             SELECT substr(src_slug, 1, instr(src_slug, '#') - 1) FROM links
               WHERE dst_type = ?1 AND dst_slug = ?2 AND src_type = 'section'
             {lists})
         ORDER BY d.slug"
    );
    let mut stmt = tx.prepare(&sql)?;
    let mut rows = stmt.query(params![record.as_str(), from, quoted])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let slug: String = r.get(0)?;
        let data: String = r.get(1)?;
        out.push(parse::<Dossier>(RecordType::Dossier, &slug, &data)?);
    }
    Ok(out)
}

/// The highest revision id now: every revision a write makes after it has a higher one.
fn last_revision(tx: &Connection) -> Result<i64, StoreError> {
    Ok(
        tx.query_row("SELECT COALESCE(MAX(id), 0) FROM revisions", [], |r| {
            r.get(0)
        })?,
    )
}

/// Points redirects at the survivor, chains collapsed, noting each as it was in
/// `merge_redirects` for the undo.
fn redirect_in(
    tx: &Connection,
    id: i64,
    record: RecordType,
    from: &str,
    into: &str,
) -> Result<(), StoreError> {
    let ty = record.as_str();
    // Every row this merge changes, as it is now: those that point at `from` (repointed),
    // `from`'s own (replaced) and `into`'s (a live record needs none; it could point at
    // `from` and would point at itself).
    tx.prepare_cached(
        "INSERT INTO merge_redirects (merge_id, type, slug, old_target, old_merge_id)
         SELECT ?1, type, slug, target, merge_id FROM redirects
           WHERE type = ?2 AND (target = ?3 OR slug IN (?3, ?4))",
    )?
    .execute(params![id, ty, from, into])?;
    tx.prepare_cached(
        "INSERT OR IGNORE INTO merge_redirects (merge_id, type, slug, old_target, old_merge_id)
         VALUES (?1, ?2, ?3, NULL, NULL)",
    )?
    .execute(params![id, ty, from])?;
    tx.prepare_cached("DELETE FROM redirects WHERE type = ?1 AND slug = ?2")?
        .execute(params![ty, into])?;
    tx.prepare_cached(
        "UPDATE redirects SET target = ?3, merge_id = ?4 WHERE type = ?1 AND target = ?2",
    )?
    .execute(params![ty, from, into, id])?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO redirects (type, slug, target, merge_id) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![ty, from, into, id])?;
    Ok(())
}

/// Puts back every redirect merge `id` changed, as it was before.
fn unredirect_in(tx: &Connection, id: i64) -> Result<(), StoreError> {
    let rows: Vec<(String, String, Option<String>, Option<i64>)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT type, slug, old_target, old_merge_id FROM merge_redirects WHERE merge_id = ?1",
        )?;
        let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    // Rows this merge repointed at its survivor, then each back as it was.
    tx.prepare_cached("DELETE FROM redirects WHERE merge_id = ?1")?
        .execute([id])?;
    for (ty, slug, target, merge) in rows {
        match (target, merge) {
            (Some(target), Some(merge)) => tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO redirects (type, slug, target, merge_id)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![ty, slug, target, merge])?,
            _ => tx
                .prepare_cached("DELETE FROM redirects WHERE type = ?1 AND slug = ?2")?
                .execute(params![ty, slug])?,
        };
    }
    Ok(())
}

/// Notes, for merge `id`, every published revision made after revision `after` (the
/// merge's own writes), with the record's role.
fn note_touched(
    tx: &Connection,
    id: i64,
    after: i64,
    record: RecordType,
    from: &str,
    into: &str,
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO merge_records (merge_id, type, slug, role, version)
         SELECT ?1, type, slug,
                CASE WHEN type = ?3 AND slug = ?4 THEN 'from'
                     WHEN type = ?3 AND slug = ?5 THEN 'into'
                     ELSE 'relinked' END,
                version
         FROM revisions WHERE id > ?2 AND version IS NOT NULL",
    )?
    .execute(params![id, after, record.as_str(), from, into])?;
    Ok(())
}

fn merge_in(
    tx: &Connection,
    record: RecordType,
    from: &str,
    into: &str,
    author: &Author,
    comment: &str,
) -> Result<i64, MergeError> {
    let not_found = |slug: &str| MergeError::NotFound {
        record,
        slug: slug.to_string(),
    };
    let gone = stored_record(tx, record, from)?.ok_or_else(|| not_found(from))?;
    let mut kept = read_stored(tx, record, into)?.ok_or_else(|| not_found(into))?;
    let at = unix_now();
    tx.prepare_cached(
        "INSERT INTO merges (type, from_slug, into_slug, author_user, author_name, origin, at,
           comment)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .map_err(StoreError::from)?
    .execute(params![
        record.as_str(),
        from,
        into,
        author.user,
        author.name,
        author.origin.as_str(),
        at,
        comment
    ])
    .map_err(StoreError::from)?;
    let id = tx.last_insert_rowid();
    let comment = merge_comment(id, record, from, into, comment);
    let by = By {
        author,
        comment: &comment,
        at,
    };

    let started = std::time::Instant::now();
    let before = record_of(record, into, &kept.before.data)?;
    kept.before.links = record_links(&before);
    let mut survivor = before.clone();
    absorb(&mut survivor, &gone);
    survivor.relink(record, from, into);
    let mut survivor = (survivor != before).then_some(survivor);
    let mut dossiers = Vec::new();
    for mut d in linking_dossiers(tx, record, from)? {
        let cited = d.relink(record, from, into);
        let listed = record == RecordType::Body && relink_lists(&mut d, from, into);
        if cited || listed {
            dossiers.push(d);
        }
    }
    let mut stored = linking_records(tx, record, from, into)?;
    let read = started.elapsed();

    // In parts, the first with the survivor, the dossiers and every body. A thread reads,
    // relinks and serialises the next part while this one writes the last.
    let first = last_revision(tx)?;
    let relink = Relink { record, from, into };
    let bodies = stored
        .iter()
        .take_while(|s| s.record == RecordType::Body)
        .count();
    let mut parts: Vec<&mut [Stored]> = Vec::new();
    let mut rest = &mut stored[..];
    loop {
        let size = if parts.is_empty() {
            RECORDS_PER_PART.max(bodies)
        } else {
            RECORDS_PER_PART
        };
        let (part, after) = rest.split_at_mut(size.min(rest.len()));
        parts.push(part);
        rest = after;
        if rest.is_empty() {
            break;
        }
    }
    let mut refusals: Vec<String> = Vec::new();
    let mut written = 0;
    std::thread::scope(|scope| -> Result<(), MergeError> {
        let (send, prepared) = std::sync::mpsc::sync_channel(1);
        scope.spawn(move || {
            for part in parts {
                let p = prepare_part(part, record, from, into);
                let failed = p.is_err();
                // Stops when the writer has stopped taking parts (it failed).
                if send.send(p).is_err() || failed {
                    break;
                }
            }
        });
        for (n, p) in prepared.iter().enumerate() {
            let Prepared { part, changed } = p?;
            let mut archive = Archive::default();
            let mut before: HashMap<(RecordType, &str), &Before> = HashMap::new();
            let mut made = Serialised::new();
            if n == 0 {
                archive.dossiers = std::mem::take(&mut dossiers);
                if let Some(s) = survivor.take() {
                    s.add_to(&mut archive);
                    before.insert((record, into), &kept.before);
                }
            }
            for (i, r, json) in changed {
                let s = &part[i];
                before.insert((s.record, s.slug.as_str()), &s.before);
                made.insert((s.record, s.slug.clone()), json);
                r.add_to(&mut archive);
            }
            if refusals.is_empty() {
                let rows = rows_with(&archive, &mut made)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                written += rows.len() + archive.dossiers.len();
                if let Err(e) = rewrite_rows(tx, &archive, &rows, &before, relink, by) {
                    match refused(e) {
                        MergeError::Invalid(messages) => refusals = messages,
                        e => return Err(e),
                    }
                }
            } else if let Err(e) = validate_in(tx, &archive) {
                // Every part is checked, so that a refusal lists every rule broken.
                match refused(e) {
                    MergeError::Invalid(messages) => refusals.extend(messages),
                    e => return Err(e),
                }
            }
            drop(before);
            // The part's stored JSON is done with; its memory serves the next parts.
            for s in part.iter_mut() {
                s.before = Before::default();
            }
        }
        Ok(())
    })?;
    if !refusals.is_empty() {
        return Err(MergeError::Invalid(refusals));
    }
    // Where a large merge spends its time (`DOSSIER_LOG=debug`): finding the records, then
    // relinking, checking and writing them.
    tracing::debug!(
        merge = id,
        records = written,
        read_ms = read.as_millis() as u64,
        written_ms = (started.elapsed() - read).as_millis() as u64,
        "merge relinked and wrote its records"
    );
    // Refused while anything still links to `from`: a link the relinking missed is an
    // error, never a dangling slug.
    if !delete_in(tx, record, from).map_err(refused)? {
        return Err(not_found(from));
    }
    insert_published(tx, record, from, None, &by, None)?;
    note_touched(tx, id, first, record, from, into)?;
    redirect_in(tx, id, record, from, into)?;
    Ok(id)
}

/// Whether a record the merge wrote is as the merge left it: at the version it made, or
/// at a later one that holds the same (a later merge undone in between, an edit made and
/// reverted). A record merged away is as left while absent.
fn as_merge_left(tx: &Connection, t: &Touched) -> Result<bool, StoreError> {
    if current_version(tx, t.record, &t.slug)? == t.version {
        return Ok(true);
    }
    let left: Option<String> = tx
        .prepare_cached(
            "SELECT data FROM revisions WHERE type = ?1 AND slug = ?2 AND version = ?3",
        )?
        .query_row(params![t.record.as_str(), t.slug, t.version], |r| r.get(0))
        .optional()?
        .flatten();
    let mut stmt = if t.record == RecordType::Dossier {
        tx.prepare_cached("SELECT data FROM dossiers WHERE slug = ?2 AND ?1 = 'dossier'")?
    } else {
        tx.prepare_cached("SELECT data FROM records WHERE type = ?1 AND slug = ?2")?
    };
    let now: Option<String> = stmt
        .query_row(params![t.record.as_str(), t.slug], |r| r.get(0))
        .optional()?;
    Ok(now == left)
}

fn undo_in(tx: &Connection, id: i64, author: &Author, comment: &str) -> Result<(), MergeError> {
    let merge = read_merge(tx, id)?.ok_or(MergeError::UnknownMerge(id))?;
    if merge.undone.is_some() {
        return Err(MergeError::AlreadyUndone);
    }
    let touched = touched(tx, id)?;
    for t in &touched {
        if !as_merge_left(tx, t)? {
            return Err(MergeError::Changed {
                record: t.record,
                slug: t.slug.clone(),
            });
        }
    }
    // Each record as it was: the revision before the one the merge made.
    let mut archive = Archive::default();
    for t in &touched {
        let data: Option<String> = tx
            .prepare_cached(
                "SELECT data FROM revisions WHERE type = ?1 AND slug = ?2 AND version = ?3",
            )
            .map_err(StoreError::from)?
            .query_row(params![t.record.as_str(), t.slug, t.version - 1], |r| {
                r.get(0)
            })
            .optional()
            .map_err(StoreError::from)?
            .flatten();
        let Some(data) = data else {
            return Err(MergeError::Store(StoreError::Invalid(format!(
                "{} `{}` has no revision {} to go back to",
                t.record.as_str(),
                t.slug,
                t.version - 1
            ))));
        };
        if t.record == RecordType::Dossier {
            archive.dossiers.push(parse(t.record, &t.slug, &data)?);
        } else {
            record_of(t.record, &t.slug, &data)?.add_to(&mut archive);
        }
    }
    let at = unix_now();
    let mut text = format!(
        "undo of {}",
        merge_comment(id, merge.record, &merge.from, &merge.into, "")
    );
    if !comment.trim().is_empty() {
        text.push_str(": ");
        text.push_str(comment.trim());
    }
    let by = By {
        author,
        comment: &text,
        at,
    };
    let rows = rows(&archive).map_err(|e| StoreError::Invalid(e.to_string()))?;
    write_rows(tx, &archive, &rows, Revise::Each(by, None)).map_err(refused)?;
    unredirect_in(tx, id)?;
    tx.prepare_cached(
        "UPDATE merges SET undone_user = ?2, undone_name = ?3, undone_origin = ?4,
           undone_at = ?5
         WHERE id = ?1",
    )
    .map_err(StoreError::from)?
    .execute(params![
        id,
        author.user,
        author.name,
        author.origin.as_str(),
        at
    ])
    .map_err(StoreError::from)?;
    Ok(())
}

/// Runs `f` as [`in_write`] does, then undoes everything it wrote, whatever it answers:
/// a preview sees every check a merge makes and keeps nothing (not even the merge's id,
/// which SQLite's sequence gives back with the transaction).
fn in_write_undone<T>(
    store: &SqliteStore,
    f: impl FnOnce(&Connection) -> Result<T, MergeError>,
) -> Result<T, MergeError> {
    let mut conn = store.writer.lock().unwrap_or_else(|p| p.into_inner());
    if conn.is_autocommit() {
        let tx = super::write::write_transaction(&mut conn).map_err(StoreError::from)?;
        let out = f(&tx);
        tx.rollback().map_err(StoreError::from)?;
        out
    } else {
        let mut sp = conn.savepoint().map_err(StoreError::from)?;
        let out = f(&sp);
        sp.rollback().map_err(StoreError::from)?;
        sp.commit().map_err(StoreError::from)?;
        out
    }
}

/// [`Store::redirect`]: the survivor of a merged-away slug, while no record has that slug
/// again.
pub(super) fn redirect(
    store: &SqliteStore,
    record: RecordType,
    slug: &str,
) -> Result<Option<String>, StoreError> {
    if !matches!(record, RecordType::Body | RecordType::Person) {
        return Ok(None);
    }
    store.read(|c| {
        Ok(c.prepare_cached(
            "SELECT target FROM redirects x WHERE x.type = ?1 AND x.slug = ?2
               AND NOT EXISTS (SELECT 1 FROM records r WHERE r.type = ?1 AND r.slug = ?2)",
        )?
        .query_row(params![record.as_str(), slug], |r| r.get(0))
        .optional()?)
    })
}

impl Merges for SqliteStore {
    fn merge(
        &self,
        record: RecordType,
        from: &str,
        into: &str,
        author: &Author,
        comment: &str,
    ) -> Result<Merge, MergeError> {
        if !matches!(record, RecordType::Body | RecordType::Person) {
            return Err(MergeError::Unsupported(record));
        }
        if from == into {
            return Err(MergeError::SameRecord);
        }
        in_write(self, |tx| {
            let id = merge_in(tx, record, from, into, author, comment)?;
            read_merge(tx, id)?.ok_or(MergeError::UnknownMerge(id))
        })
    }

    fn preview_merge(
        &self,
        record: RecordType,
        from: &str,
        into: &str,
        author: &Author,
        comment: &str,
    ) -> Result<Merge, MergeError> {
        if !matches!(record, RecordType::Body | RecordType::Person) {
            return Err(MergeError::Unsupported(record));
        }
        if from == into {
            return Err(MergeError::SameRecord);
        }
        in_write_undone(self, |tx| {
            let id = merge_in(tx, record, from, into, author, comment)?;
            read_merge(tx, id)?.ok_or(MergeError::UnknownMerge(id))
        })
    }

    fn undo_merge(&self, id: i64, author: &Author, comment: &str) -> Result<Merge, MergeError> {
        in_write(self, |tx| {
            undo_in(tx, id, author, comment)?;
            read_merge(tx, id)?.ok_or(MergeError::UnknownMerge(id))
        })
    }

    fn merges(&self, before: Option<i64>, limit: usize) -> Result<Vec<Merge>, StoreError> {
        self.read(|c| {
            let limit = if limit == 0 { -1 } else { limit as i64 };
            let ids: Vec<i64> = {
                let mut stmt = c.prepare_cached(
                    "SELECT id FROM merges WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
                )?;
                let rows =
                    stmt.query_map(params![before.unwrap_or(i64::MAX), limit], |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.extend(read_merge(c, id)?);
            }
            Ok(out)
        })
    }

    fn merge_of(&self, id: i64) -> Result<Option<Merge>, StoreError> {
        self.read(|c| read_merge(c, id))
    }
}
