//! [`Merges`] for the PostgreSQL store (migration 9): the SQLite store's merges statement
//! for statement. A merge and its undo are each one transaction through the one write
//! path ([`write_rows`]: validated, logged, a published revision per record that
//! changed), with `merges`, `merge_records` and the `redirects` kept beside them; the
//! writer's lock that every write transaction takes first ([`PgStore::in_transaction`])
//! keeps a merge on one server from crossing an edit or another merge on another.
//!
//! The records that link to the merged-away one are found through the `links` table
//! (sections' `cites` rows included). Two kinds of link have no `links` row and are
//! looked up apart: a body's `successors` and the bodies a dossier's generated lists name
//! (in `sections.lists`). A merge's id is the next after the highest (as SQLite's
//! AUTOINCREMENT gives it, and unlike a sequence, which a rolled-back preview would use
//! up): so a preview answers the id the merge will get.

use super::revisions::{holdable, keepable, keepable_author};
use super::write::{
    current_version, delete_in, insert_published, rows, unix_now, write_rows, By, Revise,
};
use super::PgStore;
use crate::merges::{
    merge_comment, parse, record_of, refused, Merge, MergeError, Merges, Role, Touched,
};
use crate::*;
use ::postgres::types::ToSql;
use ::postgres::{GenericClient, Transaction};
use dossier_model::merge::{absorb, relink_lists};

/// The columns a [`Merge`] is read from, in [`merge_of_row`]'s order.
const COLUMNS: &str = "id, type, from_slug, into_slug, author_user, author_name, origin, at,
    comment, undone_user, undone_name, undone_origin, undone_at";

fn bad_column(what: &str, value: &str) -> StoreError {
    StoreError::Invalid(format!("unknown {what} `{value}` in a stored merge"))
}

fn origin(value: &str) -> Result<Origin, StoreError> {
    Origin::parse(value).ok_or_else(|| bad_column("origin", value))
}

/// A merge's row, without its relinked records.
fn merge_of_row(r: &::postgres::Row) -> Result<Merge, StoreError> {
    let ty: String = r.try_get(1)?;
    let undone_name: Option<String> = r.try_get(10)?;
    let undone = match undone_name {
        Some(name) => {
            let o: Option<String> = r.try_get(11)?;
            Some((
                Author {
                    user: r.try_get(9)?,
                    name,
                    origin: origin(o.as_deref().unwrap_or("cli"))?,
                },
                r.try_get::<_, Option<i64>>(12)?.unwrap_or(0),
            ))
        }
        None => None,
    };
    let o: String = r.try_get(6)?;
    Ok(Merge {
        id: r.try_get(0)?,
        record: RecordType::parse(&ty).ok_or_else(|| bad_column("record type", &ty))?,
        from: r.try_get(2)?,
        into: r.try_get(3)?,
        author: Author {
            user: r.try_get(4)?,
            name: r.try_get(5)?,
            origin: origin(&o)?,
        },
        at: r.try_get(7)?,
        comment: r.try_get(8)?,
        relinked: Vec::new(),
        undone,
    })
}

/// Merge `id` with its relinked records, as `c` sees it.
fn read_merge(c: &mut impl GenericClient, id: i64) -> Result<Option<Merge>, StoreError> {
    let Some(row) = c.query_opt(
        &format!("SELECT {COLUMNS} FROM merges WHERE id = $1"),
        &[&id],
    )?
    else {
        return Ok(None);
    };
    let mut m = merge_of_row(&row)?;
    m.relinked = touched(c, id)?
        .into_iter()
        .filter(|t| t.role == Role::Relinked)
        .map(|t| (t.record, t.slug))
        .collect();
    // In the model's type order (not the type names' alphabetical one).
    m.relinked.sort();
    Ok(Some(m))
}

/// The records merge `id` wrote: the two merged records first, then the relinked ones in
/// type and slug order.
fn touched(c: &mut impl GenericClient, id: i64) -> Result<Vec<Touched>, StoreError> {
    c.query(
        "SELECT type, slug, role, version FROM merge_records WHERE merge_id = $1
         ORDER BY CASE role WHEN 'from' THEN 0 WHEN 'into' THEN 1 ELSE 2 END, type, slug",
        &[&id],
    )?
    .iter()
    .map(|r| {
        let ty: String = r.try_get(0)?;
        let role: String = r.try_get(2)?;
        Ok(Touched {
            record: RecordType::parse(&ty).ok_or_else(|| bad_column("record type", &ty))?,
            slug: r.try_get(1)?,
            role: match role.as_str() {
                "into" => Role::Into,
                "from" => Role::From,
                "relinked" => Role::Relinked,
                _ => return Err(bad_column("role", &role)),
            },
            version: r.try_get(3)?,
        })
    })
    .collect()
}

/// A stored record (not a dossier), as `tx` sees it.
fn stored_record(
    tx: &mut Transaction,
    record: RecordType,
    slug: &str,
) -> Result<Option<Record>, StoreError> {
    let data: Option<String> = tx
        .query_opt(
            "SELECT data FROM records WHERE type = $1 AND slug = $2",
            &[&record.as_str(), &slug],
        )?
        .map(|r| r.try_get(0))
        .transpose()?;
    data.map(|d| record_of(record, slug, &d)).transpose()
}

/// The records (not dossiers) that link to `from`, each read whole, in type and slug
/// order; neither `from` nor `into` themselves.
fn linking_records(
    tx: &mut Transaction,
    record: RecordType,
    from: &str,
    into: &str,
) -> Result<Vec<Record>, StoreError> {
    let ty = record.as_str();
    let quoted = serde_json::to_string(from).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let named = format!("\"slug\":{quoted}");
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&ty, &from, &into];
    // Successors have no `links` row; a body's JSON names them (`"slug":"from"`), and only
    // bodies are read for it.
    let successors = if record == RecordType::Body {
        params.push(&named);
        "UNION SELECT type, slug FROM records
           WHERE type = 'body' AND strpos(data, '\"successors\"') > 0 AND strpos(data, $4) > 0"
    } else {
        ""
    };
    let sql = format!(
        "SELECT r.type, r.slug, r.data FROM records r
         WHERE (r.type, r.slug) IN (
             SELECT src_type, src_slug FROM links
               WHERE dst_type = $1 AND dst_slug = $2
                 AND src_type IN ('document','body','person','event','topic')
             {successors})
           AND NOT (r.type = $1 AND r.slug IN ($2, $3))
         ORDER BY r.type, r.slug"
    );
    let mut out = Vec::new();
    for r in tx.query(&sql, &params)? {
        let t: String = r.try_get(0)?;
        let slug: String = r.try_get(1)?;
        let data: String = r.try_get(2)?;
        let Some(t) = RecordType::parse(&t) else {
            continue;
        };
        out.push(record_of(t, &slug, &data)?);
    }
    Ok(out)
}

/// The dossiers whose sections cite `from` or whose generated lists name it (a body), in
/// slug order.
fn linking_dossiers(
    tx: &mut Transaction,
    record: RecordType,
    from: &str,
) -> Result<Vec<Dossier>, StoreError> {
    let ty = record.as_str();
    let quoted = serde_json::to_string(from).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&ty, &from];
    let lists = if record == RecordType::Body {
        params.push(&quoted);
        "UNION SELECT dossier FROM sections WHERE strpos(lists, $3) > 0"
    } else {
        ""
    };
    let sql = format!(
        "SELECT d.slug, d.data FROM dossiers d WHERE d.slug IN (
             SELECT substr(src_slug, 1, strpos(src_slug, '#') - 1) FROM links
               WHERE dst_type = $1 AND dst_slug = $2 AND src_type = 'section'
             {lists})
         ORDER BY d.slug"
    );
    let mut out = Vec::new();
    for r in tx.query(&sql, &params)? {
        let slug: String = r.try_get(0)?;
        let data: String = r.try_get(1)?;
        out.push(parse::<Dossier>(RecordType::Dossier, &slug, &data)?);
    }
    Ok(out)
}

/// The highest revision id now: every revision a write makes after it has a higher one
/// (writes are serialised by the writer's lock, so no other transaction takes ids
/// meanwhile).
fn last_revision(tx: &mut Transaction) -> Result<i64, StoreError> {
    Ok(tx
        .query_one("SELECT COALESCE(MAX(id), 0)::BIGINT FROM revisions", &[])?
        .try_get(0)?)
}

/// Points redirects at the survivor, chains collapsed, noting each as it was in
/// `merge_redirects` for the undo.
fn redirect_in(
    tx: &mut Transaction,
    id: i64,
    record: RecordType,
    from: &str,
    into: &str,
) -> Result<(), StoreError> {
    let ty = record.as_str();
    // Every row this merge changes, as it is now: those that point at `from` (repointed),
    // `from`'s own (replaced) and `into`'s (a live record needs none; it could point at
    // `from` and would point at itself).
    tx.execute(
        "INSERT INTO merge_redirects (merge_id, type, slug, old_target, old_merge_id)
         SELECT $1, type, slug, target, merge_id FROM redirects
           WHERE type = $2 AND (target = $3 OR slug IN ($3, $4))",
        &[&id, &ty, &from, &into],
    )?;
    tx.execute(
        "INSERT INTO merge_redirects (merge_id, type, slug, old_target, old_merge_id)
         VALUES ($1, $2, $3, NULL, NULL)
         ON CONFLICT (merge_id, type, slug) DO NOTHING",
        &[&id, &ty, &from],
    )?;
    tx.execute(
        "DELETE FROM redirects WHERE type = $1 AND slug = $2",
        &[&ty, &into],
    )?;
    tx.execute(
        "UPDATE redirects SET target = $3, merge_id = $4 WHERE type = $1 AND target = $2",
        &[&ty, &from, &into, &id],
    )?;
    tx.execute(
        "INSERT INTO redirects (type, slug, target, merge_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (type, slug) DO UPDATE
           SET target = excluded.target, merge_id = excluded.merge_id",
        &[&ty, &from, &into, &id],
    )?;
    Ok(())
}

/// Puts back every redirect merge `id` changed, as it was before.
fn unredirect_in(tx: &mut Transaction, id: i64) -> Result<(), StoreError> {
    let rows = tx.query(
        "SELECT type, slug, old_target, old_merge_id FROM merge_redirects WHERE merge_id = $1",
        &[&id],
    )?;
    // Rows this merge repointed at its survivor, then each back as it was.
    tx.execute("DELETE FROM redirects WHERE merge_id = $1", &[&id])?;
    for r in rows {
        let ty: String = r.try_get(0)?;
        let slug: String = r.try_get(1)?;
        let target: Option<String> = r.try_get(2)?;
        let merge: Option<i64> = r.try_get(3)?;
        match (target, merge) {
            (Some(target), Some(merge)) => tx.execute(
                "INSERT INTO redirects (type, slug, target, merge_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (type, slug) DO UPDATE
                   SET target = excluded.target, merge_id = excluded.merge_id",
                &[&ty, &slug, &target, &merge],
            )?,
            _ => tx.execute(
                "DELETE FROM redirects WHERE type = $1 AND slug = $2",
                &[&ty, &slug],
            )?,
        };
    }
    Ok(())
}

/// Notes, for merge `id`, every published revision made after revision `after` (the
/// merge's own writes), with the record's role.
fn note_touched(
    tx: &mut Transaction,
    id: i64,
    after: i64,
    record: RecordType,
    from: &str,
    into: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO merge_records (merge_id, type, slug, role, version)
         SELECT $1, type, slug,
                CASE WHEN type = $3 AND slug = $4 THEN 'from'
                     WHEN type = $3 AND slug = $5 THEN 'into'
                     ELSE 'relinked' END,
                version
         FROM revisions WHERE id > $2 AND version IS NOT NULL",
        &[&id, &after, &record.as_str(), &from, &into],
    )?;
    Ok(())
}

fn merge_in(
    tx: &mut Transaction,
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
    let mut survivor = stored_record(tx, record, into)?.ok_or_else(|| not_found(into))?;
    let at = unix_now();
    let id: i64 = tx
        .query_one(
            "INSERT INTO merges (id, type, from_slug, into_slug, author_user, author_name,
               origin, at, comment)
             VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM merges), $1, $2, $3, $4, $5, $6,
               $7, $8)
             RETURNING id",
            &[
                &record.as_str(),
                &from,
                &into,
                &author.user,
                &author.name,
                &author.origin.as_str(),
                &at,
                &comment,
            ],
        )
        .and_then(|r| r.try_get(0))
        .map_err(StoreError::from)?;
    let comment = merge_comment(id, record, from, into, comment);
    let by = By {
        author,
        comment: &comment,
        at,
    };

    let mut archive = Archive::default();
    let before = survivor.clone();
    absorb(&mut survivor, &gone);
    survivor.relink(record, from, into);
    if survivor != before {
        survivor.add_to(&mut archive);
    }
    for mut r in linking_records(tx, record, from, into)? {
        if r.relink(record, from, into) {
            r.add_to(&mut archive);
        }
    }
    for mut d in linking_dossiers(tx, record, from)? {
        let cited = d.relink(record, from, into);
        let listed = record == RecordType::Body && relink_lists(&mut d, from, into);
        if cited || listed {
            archive.dossiers.push(d);
        }
    }

    let first = last_revision(tx)?;
    let rows = rows(&archive).map_err(|e| StoreError::Invalid(e.to_string()))?;
    write_rows(tx, &archive, &rows, Revise::Each(by, None)).map_err(refused)?;
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

/// The JSON of version `version` of a record (`None`: that version deleted it, or there is
/// no such version).
fn data_at(
    tx: &mut Transaction,
    record: RecordType,
    slug: &str,
    version: i64,
) -> Result<Option<String>, StoreError> {
    Ok(tx
        .query_opt(
            "SELECT data FROM revisions WHERE type = $1 AND slug = $2 AND version = $3",
            &[&record.as_str(), &slug, &version],
        )?
        .map(|r| r.try_get::<_, Option<String>>(0))
        .transpose()?
        .flatten())
}

/// Whether a record the merge wrote is as the merge left it: at the version it made, or
/// at a later one that holds the same (a later merge undone in between, an edit made and
/// reverted). A record merged away is as left while absent.
fn as_merge_left(tx: &mut Transaction, t: &Touched) -> Result<bool, StoreError> {
    if current_version(tx, t.record, &t.slug)? == t.version {
        return Ok(true);
    }
    let left = data_at(tx, t.record, &t.slug, t.version)?;
    let now = if t.record == RecordType::Dossier {
        tx.query_opt("SELECT data FROM dossiers WHERE slug = $1", &[&t.slug])?
    } else {
        tx.query_opt(
            "SELECT data FROM records WHERE type = $1 AND slug = $2",
            &[&t.record.as_str(), &t.slug],
        )?
    };
    let now: Option<String> = now.map(|r| r.try_get(0)).transpose()?;
    Ok(now == left)
}

fn undo_in(
    tx: &mut Transaction,
    id: i64,
    author: &Author,
    comment: &str,
) -> Result<(), MergeError> {
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
        let Some(data) = data_at(tx, t.record, &t.slug, t.version - 1)? else {
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
    tx.execute(
        "UPDATE merges SET undone_user = $2, undone_name = $3, undone_origin = $4,
           undone_at = $5
         WHERE id = $1",
        &[
            &id,
            &author.user,
            &author.name,
            &author.origin.as_str(),
            &at,
        ],
    )
    .map_err(StoreError::from)?;
    Ok(())
}

/// Refuses what no merge can do, before any transaction.
fn mergeable(record: RecordType, from: &str, into: &str) -> Result<(), MergeError> {
    if !matches!(record, RecordType::Body | RecordType::Person) {
        return Err(MergeError::Unsupported(record));
    }
    if from == into {
        return Err(MergeError::SameRecord);
    }
    // No record can have a slug PostgreSQL cannot hold: not found, as on SQLite.
    for slug in [from, into] {
        if !holdable(slug) {
            return Err(MergeError::NotFound {
                record,
                slug: slug.to_string(),
            });
        }
    }
    Ok(())
}

/// [`Store::redirect`]: the survivor of a merged-away slug, while no record has that slug
/// again.
pub(super) fn redirect(
    store: &PgStore,
    record: RecordType,
    slug: &str,
) -> Result<Option<String>, StoreError> {
    if !matches!(record, RecordType::Body | RecordType::Person) || !holdable(slug) {
        return Ok(None);
    }
    store.read(|c| {
        Ok(c.query_opt(
            "SELECT target FROM redirects x WHERE x.type = $1 AND x.slug = $2
               AND NOT EXISTS (SELECT 1 FROM records r WHERE r.type = $1 AND r.slug = $2)",
            &[&record.as_str(), &slug],
        )?
        .map(|r| r.try_get(0))
        .transpose()?)
    })
}

impl Merges for PgStore {
    fn merge(
        &self,
        record: RecordType,
        from: &str,
        into: &str,
        author: &Author,
        comment: &str,
    ) -> Result<Merge, MergeError> {
        let (author, comment) = (keepable_author(author), keepable(comment));
        let (author, comment) = (&author, comment.as_ref());
        mergeable(record, from, into)?;
        self.in_transaction(|tx| {
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
        let (author, comment) = (keepable_author(author), keepable(comment));
        let (author, comment) = (&author, comment.as_ref());
        mergeable(record, from, into)?;
        // The merge made and read back, then the transaction (or the held one's
        // savepoint) rolled back by an error: every check made, nothing kept.
        let mut preview = None;
        let undone = self.in_transaction(|tx| -> Result<(), MergeError> {
            let id = merge_in(tx, record, from, into, author, comment)?;
            preview = Some(read_merge(tx, id)?.ok_or(MergeError::UnknownMerge(id))?);
            Err(MergeError::Store(StoreError::Invalid(
                "a preview keeps nothing".into(),
            )))
        });
        match (preview, undone) {
            (Some(merge), _) => Ok(merge),
            (None, Err(e)) => Err(e),
            (None, Ok(())) => unreachable!("a preview always rolls back"),
        }
    }

    fn undo_merge(&self, id: i64, author: &Author, comment: &str) -> Result<Merge, MergeError> {
        let (author, comment) = (keepable_author(author), keepable(comment));
        let (author, comment) = (&author, comment.as_ref());
        self.in_transaction(|tx| {
            undo_in(tx, id, author, comment)?;
            read_merge(tx, id)?.ok_or(MergeError::UnknownMerge(id))
        })
    }

    fn merges(&self, before: Option<i64>, limit: usize) -> Result<Vec<Merge>, StoreError> {
        // LIMIT NULL: all.
        let limit = (limit > 0).then(|| i64::try_from(limit).unwrap_or(i64::MAX));
        let before = before.unwrap_or(i64::MAX);
        self.read(|c| {
            let ids: Vec<i64> = c
                .query(
                    "SELECT id FROM merges WHERE id < $1 ORDER BY id DESC LIMIT $2",
                    &[&before, &limit],
                )?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
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
