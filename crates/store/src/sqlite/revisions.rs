//! [`Revisions`] for SQLite: history and drafts in the `revisions` table, published
//! changes through the one write path ([`write`](super::write)), so that a publish is
//! validated, logged and indexed exactly as an import's write is.

use super::write::{
    current_version, delete_in, in_write, insert_published, rows, unix_now, write_as, write_rows,
    By, Kept, Revise, Row,
};
use super::SqliteStore;
use crate::revisions::{archive_of, parse_record};
use crate::*;
use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The columns a [`Revision`] is read from, in [`revision_of`]'s order; `{data}` is the
/// data column or `NULL` for lists without it.
const COLUMNS: &str = "id, type, slug, version, base, status, deleted, author_user, author_name,
    origin, at, comment, reviewer_user, reviewer_name, reviewer_origin, reviewed_at,
    review_comment";

fn bad_column(i: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        i,
        rusqlite::types::Type::Text,
        format!("unknown {what} `{value}` in a stored revision").into(),
    )
}

fn revision_of(r: &rusqlite::Row) -> rusqlite::Result<Revision> {
    let ty: String = r.get(1)?;
    let status: String = r.get(5)?;
    let origin: String = r.get(9)?;
    let reviewer_name: Option<String> = r.get(13)?;
    let reviewer_origin: Option<String> = r.get(14)?;
    let reviewer = match reviewer_name {
        Some(name) => Some(Author {
            user: r.get(12)?,
            name,
            origin: match reviewer_origin {
                Some(o) => Origin::parse(&o).ok_or_else(|| bad_column(14, "origin", &o))?,
                None => Origin::Web,
            },
        }),
        None => None,
    };
    Ok(Revision {
        id: r.get(0)?,
        record: RecordType::parse(&ty).ok_or_else(|| bad_column(1, "record type", &ty))?,
        slug: r.get(2)?,
        version: r.get(3)?,
        base: r.get(4)?,
        status: Status::parse(&status).ok_or_else(|| bad_column(5, "status", &status))?,
        deleted: r.get(6)?,
        author: Author {
            user: r.get(7)?,
            name: r.get(8)?,
            origin: Origin::parse(&origin).ok_or_else(|| bad_column(9, "origin", &origin))?,
        },
        at: r.get(10)?,
        comment: r.get(11)?,
        reviewer,
        reviewed_at: r.get(15)?,
        review_comment: r.get(16)?,
        data: r.get(17)?,
    })
}

fn read_revision(c: &Connection, id: i64) -> Result<Option<Revision>, StoreError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS}, data FROM revisions WHERE id = ?1"
    ))?
    .query_row([id], revision_of)
    .optional()?)
}

/// The latest published revision of a record, as `c` sees it.
fn latest_published(
    c: &Connection,
    record: RecordType,
    slug: &str,
) -> Result<Option<Revision>, StoreError> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS}, data FROM revisions
             WHERE type = ?1 AND slug = ?2 AND version IS NOT NULL
             ORDER BY version DESC LIMIT 1"
    ))?
    .query_row(params![record.as_str(), slug], revision_of)
    .optional()?)
}

/// An open draft by id, for changing it: NotFound, NotADraft otherwise.
fn open_draft(c: &Connection, id: i64) -> Result<Revision, RevisionError> {
    let rev = read_revision(c, id)?.ok_or(RevisionError::NotFound)?;
    if !rev.status.is_open_draft() {
        return Err(RevisionError::NotADraft);
    }
    Ok(rev)
}

fn invalid(message: String) -> RevisionError {
    RevisionError::Store(StoreError::Invalid(message))
}

/// Refuses a status a draft cannot be saved in.
fn draft_status(status: Status) -> Result<(), RevisionError> {
    if status.is_open_draft() {
        Ok(())
    } else {
        Err(invalid(format!(
            "a draft is saved as draft, review or returned, not {}",
            status.as_str()
        )))
    }
}

/// Refuses a draft's data that is not JSON: a draft need not pass the model's rules yet
/// (those are checked when it is published), but it must be readable.
fn draft_data(data: Option<&str>) -> Result<(), RevisionError> {
    if let Some(d) = data {
        serde_json::from_str::<serde::de::IgnoredAny>(d)
            .map_err(|e| invalid(format!("the draft's data is not JSON: {e}")))?;
    }
    Ok(())
}

/// Writes `data` (None: deletes) as the record's published state through the write path,
/// without a revision; answers whether anything changed. NotFound when deleting a record
/// that is not stored.
fn apply(
    tx: &Connection,
    record: RecordType,
    slug: &str,
    data: Option<&str>,
) -> Result<bool, RevisionError> {
    match data {
        Some(data) => {
            let archive = archive_of(record, slug, data)?;
            let rows = rows(&archive).map_err(|e| StoreError::Invalid(e.to_string()))?;
            let summary = write_rows(tx, &archive, &rows, Revise::Not)?;
            Ok(summary.new + summary.changed > 0)
        }
        None => {
            if !delete_in(tx, record, slug)? {
                return Err(RevisionError::NotFound);
            }
            Ok(true)
        }
    }
}

/// The JSON of the record as stored now (published), as `tx` sees it.
fn stored_data(
    tx: &Connection,
    record: RecordType,
    slug: &str,
) -> Result<Option<String>, StoreError> {
    let mut stmt = if record == RecordType::Dossier {
        tx.prepare_cached("SELECT data FROM dossiers WHERE slug = ?2 AND ?1 = 'dossier'")?
    } else {
        tx.prepare_cached("SELECT data FROM records WHERE type = ?1 AND slug = ?2")?
    };
    Ok(stmt
        .query_row(params![record.as_str(), slug], |r| r.get(0))
        .optional()?)
}

/// The JSON the record had after its latest import or load-builtin, if it had one, and
/// the fields that import kept as editors had changed them.
fn imported_data(
    tx: &Connection,
    record: RecordType,
    slug: &str,
) -> Result<Option<(String, Vec<String>)>, StoreError> {
    let found: Option<(String, Option<String>)> = tx
        .prepare_cached(
            "SELECT data, kept FROM revisions
             WHERE type = ?1 AND slug = ?2 AND status = 'published'
               AND origin IN ('import', 'builtin') AND data IS NOT NULL
             ORDER BY version DESC LIMIT 1",
        )?
        .query_row(params![record.as_str(), slug], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    Ok(match found {
        Some((data, kept)) => {
            // Written by this module; unreadable would mean a hand-edited database, and
            // then no field is known as kept.
            let kept = kept
                .and_then(|k| serde_json::from_str(&k).ok())
                .unwrap_or_default();
            Some((data, kept))
        }
        None => None,
    })
}

fn object(json: &str) -> Result<Map<String, Value>, StoreError> {
    match serde_json::from_str(json) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(StoreError::Invalid(
            "a record's JSON is not an object".into(),
        )),
        Err(e) => Err(StoreError::Invalid(format!(
            "a record's JSON cannot be read: {e}"
        ))),
    }
}

/// The incoming record with the fields an editor changed since the last import kept as
/// the editor left them, and those fields; `None` when nothing needs keeping.
///
/// Edited fields are the top-level fields where the stored record differs from its latest
/// import, and those that import itself kept as the editors' (a record no import ever
/// wrote is the editors' throughout). Of those, a field the incoming record would change
/// keeps the stored value and is reported.
fn merge_edits(
    tx: &Connection,
    record: RecordType,
    slug: &str,
    incoming: &str,
) -> Result<Option<(String, Vec<String>)>, StoreError> {
    let Some(stored) = stored_data(tx, record, slug)? else {
        return Ok(None);
    };
    if stored == incoming {
        return Ok(None);
    }
    let imported = imported_data(tx, record, slug)?;
    if let Some((data, kept)) = &imported {
        if *data == stored && kept.is_empty() {
            return Ok(None);
        }
    }
    // A stored record that cannot be read holds nothing an editor could have meant: the
    // import rewrites it whole, as it did before revisions were kept (a record that
    // cannot be read fails alone, and a re-import repairs it).
    let stored = match object(&stored) {
        Ok(stored) => stored,
        Err(e) => {
            tracing::warn!(record = record.as_str(), slug, error = %e,
                "the stored record cannot be read; the import replaces it whole");
            return Ok(None);
        }
    };
    let mut merged = object(incoming)?;
    let (imported, was_kept) = match imported {
        Some((data, kept)) => (object(&data).ok(), kept),
        None => (None, Vec::new()),
    };
    let mut fields: Vec<&String> = stored.keys().chain(merged.keys()).collect();
    if let Some(i) = &imported {
        fields.extend(i.keys());
    }
    fields.sort();
    fields.dedup();
    let mut kept = Vec::new();
    let mut out = merged.clone();
    for field in fields {
        let now = stored.get(field);
        let edited = match &imported {
            Some(i) => i.get(field) != now || was_kept.contains(field),
            None => true,
        };
        if edited && merged.get(field) != now {
            match now {
                Some(v) => out.insert(field.clone(), v.clone()),
                None => out.remove(field),
            };
            kept.push(field.clone());
        }
    }
    if kept.is_empty() {
        return Ok(None);
    }
    merged = out;
    let json = serde_json::to_string(&Value::Object(merged))
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(Some((json, kept)))
}

/// For [`Revisions::write_as`] with `protect_edits`: the archive to write instead of
/// `archive` when an editor's change must be kept (`None`: write it as it is) and the
/// fields kept per record, with those fields added to `conflicts`.
pub(super) fn protect(
    tx: &Connection,
    archive: &Archive,
    rows: &[Row],
    conflicts: &mut Vec<EditConflict>,
) -> Result<Option<(Archive, Kept)>, StoreError> {
    let mut merged: HashMap<(RecordType, String), String> = HashMap::new();
    let mut kept = Kept::new();
    let mut check = |record: RecordType, slug: &str, data: &str| -> Result<(), StoreError> {
        if let Some((json, fields)) = merge_edits(tx, record, slug, data)? {
            let names =
                serde_json::to_string(&fields).map_err(|e| StoreError::Invalid(e.to_string()))?;
            kept.insert((record, slug.to_string()), names);
            conflicts.extend(fields.into_iter().map(|field| EditConflict {
                record,
                slug: slug.to_string(),
                field,
            }));
            merged.insert((record, slug.to_string()), json);
        }
        Ok(())
    };
    for d in &archive.dossiers {
        let data = serde_json::to_string(d).map_err(|e| StoreError::Invalid(e.to_string()))?;
        check(RecordType::Dossier, &d.slug, &data)?;
    }
    for row in rows {
        check(row.record, row.slug, &row.data)?;
    }
    if merged.is_empty() {
        return Ok(None);
    }
    fn swap<T: DeserializeOwned>(
        list: &mut [T],
        record: RecordType,
        slug_of: impl Fn(&T) -> &str,
        merged: &HashMap<(RecordType, String), String>,
    ) -> Result<(), StoreError> {
        for item in list.iter_mut() {
            if let Some(json) = merged.get(&(record, slug_of(item).to_string())) {
                *item = parse_record(record, json)?;
            }
        }
        Ok(())
    }
    let mut a = archive.clone();
    swap(&mut a.dossiers, RecordType::Dossier, |d| &d.slug, &merged)?;
    swap(&mut a.documents, RecordType::Document, |d| &d.slug, &merged)?;
    swap(&mut a.bodies, RecordType::Body, |d| &d.slug, &merged)?;
    swap(&mut a.people, RecordType::Person, |d| &d.slug, &merged)?;
    swap(&mut a.events, RecordType::Event, |d| &d.slug, &merged)?;
    swap(&mut a.topics, RecordType::Topic, |d| &d.slug, &merged)?;
    Ok(Some((a, kept)))
}

impl Revisions for SqliteStore {
    fn version(&self, record: RecordType, slug: &str) -> Result<i64, StoreError> {
        self.read(|c| current_version(c, record, slug))
    }

    fn revision(&self, id: i64) -> Result<Option<Revision>, StoreError> {
        self.read(|c| read_revision(c, id))
    }

    fn revisions(&self, q: &RevisionQuery) -> Result<Vec<Revision>, StoreError> {
        let mut sql = format!(
            "SELECT {COLUMNS}, {} FROM revisions r WHERE 1",
            if q.with_data { "data" } else { "NULL" }
        );
        let mut args: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, value: Box<dyn rusqlite::ToSql>| {
            args.push(value);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(t) = q.record {
            arg(&mut sql, " AND r.type = ?", Box::new(t.as_str()));
        }
        if let Some(s) = &q.slug {
            arg(&mut sql, " AND r.slug = ?", Box::new(s.clone()));
        }
        if let Some(d) = &q.dossier {
            arg(
                &mut sql,
                " AND ((r.type = 'dossier' AND r.slug = ?) OR EXISTS (SELECT 1 FROM links l \
                 WHERE l.src_type = r.type AND l.src_slug = r.slug AND l.rel = 'in-dossier' \
                 AND l.dst_type = 'dossier' AND l.dst_slug = ?))",
                Box::new(d.clone()),
            );
        }
        if let Some(u) = q.author {
            arg(&mut sql, " AND r.author_user = ?", Box::new(u));
        }
        if !q.statuses.is_empty() {
            let list: Vec<String> = q
                .statuses
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            sql.push_str(&format!(" AND r.status IN ({})", list.join(",")));
            if !q.statuses.contains(&Status::Published) {
                // Lets SQLite use the index of drafts, which leaves published rows out.
                sql.push_str(" AND r.status <> 'published'");
            }
        }
        if let Some(b) = q.before {
            arg(&mut sql, " AND r.id < ?", Box::new(b));
        }
        sql.push_str(" ORDER BY r.id DESC");
        if q.limit > 0 {
            sql.push_str(&format!(" LIMIT {}", q.limit));
        }
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref()).collect();
            let rows = stmt.query_map(params.as_slice(), revision_of)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn count_revisions(&self, record: RecordType, slug: &str) -> Result<u64, StoreError> {
        self.read(|c| {
            let n: i64 = c
                .prepare_cached("SELECT COUNT(*) FROM revisions WHERE type = ?1 AND slug = ?2")?
                .query_row(params![record.as_str(), slug], |r| r.get(0))?;
            Ok(n as u64)
        })
    }

    fn write_as(
        &self,
        archive: &Archive,
        options: &WriteOptions,
    ) -> Result<(WriteSummary, Vec<EditConflict>), StoreError> {
        write_as(self, archive, options)
    }

    fn publish(
        &self,
        record: RecordType,
        slug: &str,
        data: Option<&str>,
        expected: i64,
        author: &Author,
        comment: &str,
    ) -> Result<Revision, RevisionError> {
        in_write(self, |tx| {
            let current = current_version(tx, record, slug)?;
            if current != expected {
                return Err(RevisionError::Conflict {
                    current,
                    base: expected,
                });
            }
            if !apply(tx, record, slug, data)? {
                // The same data again: no new version, the current one answers.
                return latest_published(tx, record, slug)?.ok_or_else(|| {
                    invalid(format!("{} `{slug}` has no history", record.as_str()))
                });
            }
            let by = By {
                author,
                comment,
                at: unix_now(),
            };
            let id = insert_published(tx, record, slug, data, &by, None)?;
            read_revision(tx, id)?.ok_or(RevisionError::NotFound)
        })
    }

    fn save_draft(
        &self,
        record: RecordType,
        slug: &str,
        data: Option<&str>,
        base: i64,
        author: &Author,
        comment: &str,
        status: Status,
    ) -> Result<Revision, RevisionError> {
        draft_status(status)?;
        draft_data(data)?;
        if slug.is_empty() || base < 0 {
            return Err(invalid("a draft needs a slug and a base version".into()));
        }
        in_write(self, |tx| {
            tx.prepare_cached(
                "INSERT INTO revisions (type, slug, version, base, status, deleted, author_user,
                   author_name, origin, at, comment, data)
                 VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .map_err(StoreError::from)?
            .execute(params![
                record.as_str(),
                slug,
                base,
                status.as_str(),
                data.is_none(),
                author.user,
                author.name,
                author.origin.as_str(),
                unix_now(),
                comment,
                data
            ])
            .map_err(StoreError::from)?;
            read_revision(tx, tx.last_insert_rowid())?.ok_or(RevisionError::NotFound)
        })
    }

    fn update_draft(
        &self,
        id: i64,
        data: Option<&str>,
        base: i64,
        author: &Author,
        comment: &str,
        status: Status,
    ) -> Result<Revision, RevisionError> {
        draft_status(status)?;
        draft_data(data)?;
        if base < 0 {
            return Err(invalid("a draft's base version cannot be negative".into()));
        }
        in_write(self, |tx| {
            open_draft(tx, id)?;
            tx.prepare_cached(
                "UPDATE revisions SET data = ?2, deleted = ?3, base = ?4, author_user = ?5,
                   author_name = ?6, origin = ?7, comment = ?8, status = ?9, at = ?10
                 WHERE id = ?1",
            )
            .map_err(StoreError::from)?
            .execute(params![
                id,
                data,
                data.is_none(),
                base,
                author.user,
                author.name,
                author.origin.as_str(),
                comment,
                status.as_str(),
                unix_now()
            ])
            .map_err(StoreError::from)?;
            read_revision(tx, id)?.ok_or(RevisionError::NotFound)
        })
    }

    fn review(
        &self,
        id: i64,
        status: Status,
        reviewer: &Author,
        comment: &str,
    ) -> Result<Revision, RevisionError> {
        if !matches!(
            status,
            Status::Review | Status::Returned | Status::Discarded
        ) {
            return Err(invalid(format!(
                "a review sends a draft to review, returns or discards it; {} is none of these",
                status.as_str()
            )));
        }
        in_write(self, |tx| {
            open_draft(tx, id)?;
            tx.prepare_cached(
                "UPDATE revisions SET status = ?2, reviewer_user = ?3, reviewer_name = ?4,
                   reviewer_origin = ?5, reviewed_at = ?6, review_comment = ?7
                 WHERE id = ?1",
            )
            .map_err(StoreError::from)?
            .execute(params![
                id,
                status.as_str(),
                reviewer.user,
                reviewer.name,
                reviewer.origin.as_str(),
                unix_now(),
                comment
            ])
            .map_err(StoreError::from)?;
            read_revision(tx, id)?.ok_or(RevisionError::NotFound)
        })
    }

    fn publish_draft(
        &self,
        id: i64,
        reviewer: &Author,
        comment: &str,
    ) -> Result<Revision, RevisionError> {
        in_write(self, |tx| {
            let draft = open_draft(tx, id)?;
            let current = current_version(tx, draft.record, &draft.slug)?;
            if current != draft.base {
                return Err(RevisionError::Conflict {
                    current,
                    base: draft.base,
                });
            }
            apply(tx, draft.record, &draft.slug, draft.data.as_deref())?;
            // The draft becomes the published revision under a new id, so that ids keep
            // the order in which versions were published (history and recent changes
            // list by id): its author, time, comment and data stay.
            tx.prepare_cached(
                "INSERT INTO revisions (type, slug, version, base, status, deleted, author_user,
                   author_name, origin, at, comment, reviewer_user, reviewer_name,
                   reviewer_origin, reviewed_at, review_comment, data)
                 SELECT type, slug, ?2, base, 'published', deleted, author_user, author_name,
                   origin, at, comment, ?3, ?4, ?5, ?6, ?7, data
                 FROM revisions WHERE id = ?1",
            )
            .map_err(StoreError::from)?
            .execute(params![
                id,
                current + 1,
                reviewer.user,
                reviewer.name,
                reviewer.origin.as_str(),
                unix_now(),
                comment
            ])
            .map_err(StoreError::from)?;
            let published = tx.last_insert_rowid();
            tx.prepare_cached("DELETE FROM revisions WHERE id = ?1")
                .map_err(StoreError::from)?
                .execute([id])
                .map_err(StoreError::from)?;
            read_revision(tx, published)?.ok_or(RevisionError::NotFound)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::MIGRATIONS;

    /// A store made before revisions were kept (the first four migrations), with a
    /// dossier, a record and a deleted record, written as that schema wrote them.
    fn old_store(path: &std::path::Path) {
        let conn = Connection::open(path).unwrap();
        for sql in &MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute_batch(
            r#"INSERT INTO dossiers (slug, title, position, data, created, changed)
               VALUES ('d', 'D', 0, '{"slug":"d","title":"D","description":"","sections":[]}',
                       '2024-01-01T00:00:00Z', '2024-02-03T04:05:06Z');
               INSERT INTO records (type, slug, title, kind, data, created, changed)
               VALUES ('body', 'nato', 'NATO', 'organisation',
                       '{"slug":"nato","name":"NATO","kind":"organisation"}',
                       '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'),
                      ('body', 'gone', 'Gone', 'organisation',
                       '{"slug":"gone","name":"Gone","kind":"organisation"}',
                       '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
               INSERT INTO changes (type, slug, op, at)
               VALUES ('body', 'gone', 'delete', '2024-01-02T00:00:00Z');
               DELETE FROM records WHERE slug = 'gone';"#,
        )
        .unwrap();
    }

    #[test]
    fn the_migration_makes_version_1_of_every_stored_record() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dossier.db");
        old_store(&path);
        let s = SqliteStore::open(&path).unwrap();
        let r: &dyn Revisions = &s;
        let d = r.revisions(&RevisionQuery {
            record: Some(RecordType::Dossier),
            with_data: true,
            ..Default::default()
        });
        let d = d.unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].version, d[0].base), (Some(1), 0));
        assert_eq!(d[0].status, Status::Published);
        assert_eq!(d[0].author.name, "before revisions were kept");
        assert_eq!(d[0].author.origin, Origin::Import);
        assert_eq!(d[0].author.user, None);
        // The time the record last changed, 2024-02-03T04:05:06Z.
        assert_eq!(d[0].at, 1_706_933_106);
        assert_eq!(
            d[0].data.as_deref(),
            Some(r#"{"slug":"d","title":"D","description":"","sections":[]}"#)
        );
        assert_eq!(r.version(RecordType::Body, "nato").unwrap(), 1);
        assert_eq!(r.count_revisions(RecordType::Body, "nato").unwrap(), 1);
        // A record deleted before has no history: it was never stored as far as versions go.
        assert_eq!(r.version(RecordType::Body, "gone").unwrap(), 0);
        // The back-filled revision is the import the next import compares with: a body
        // nobody edited is updated without a conflict.
        let (_, conflicts) = r
            .write_as(
                &Archive {
                    bodies: vec![Body {
                        acronyms: vec!["NATO".into()],
                        ..s.body("nato").unwrap().unwrap()
                    }],
                    ..Default::default()
                },
                &WriteOptions {
                    author: Author::import("x.toml"),
                    comment: String::new(),
                    protect_edits: true,
                },
            )
            .unwrap();
        assert!(conflicts.is_empty());
        assert_eq!(r.version(RecordType::Body, "nato").unwrap(), 2);
    }
}
