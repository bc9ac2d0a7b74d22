//! [`Revisions`] for the PostgreSQL store: history and drafts in the `revisions` table,
//! published changes through the one write path ([`write`](super::write)), so that a
//! publish is validated, logged and indexed exactly as an import's write is. The
//! behaviour is the SQLite store's, statement for statement. Two servers cannot both make
//! version N + 1 of a record: every write transaction takes the writer's lock first
//! ([`PgStore::in_transaction`]), so the version a publish checks is still current when
//! it writes, and a second publish from the same version finds it moved (a
//! [`RevisionError::Conflict`]), on one server or on several.

use super::write::{
    current_version, delete_in, insert_published, rows, unix_now, write_rows, By, Kept, Revise,
};
use super::{PgStore, WriterLock};
use crate::revisions::{archive_of, parse_record};
use crate::sqlite::write::Row;
use crate::*;
use ::postgres::types::ToSql;
use ::postgres::{GenericClient, Transaction};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;

/// The columns a [`Revision`] is read from, in [`revision_of`]'s order; the data column
/// (or `NULL` for lists without it) follows.
const COLUMNS: &str = "id, type, slug, version, base, status, deleted, author_user, author_name,
    origin, at, comment, reviewer_user, reviewer_name, reviewer_origin, reviewed_at,
    review_comment";

fn bad_column(what: &str, value: &str) -> StoreError {
    StoreError::Invalid(format!("unknown {what} `{value}` in a stored revision"))
}

fn revision_of(r: &::postgres::Row) -> Result<Revision, StoreError> {
    let ty: String = r.try_get(1)?;
    let status: String = r.try_get(5)?;
    let origin: String = r.try_get(9)?;
    let reviewer_name: Option<String> = r.try_get(13)?;
    let reviewer_origin: Option<String> = r.try_get(14)?;
    let reviewer = match reviewer_name {
        Some(name) => Some(Author {
            user: r.try_get(12)?,
            name,
            origin: match reviewer_origin {
                Some(o) => Origin::parse(&o).ok_or_else(|| bad_column("origin", &o))?,
                None => Origin::Web,
            },
        }),
        None => None,
    };
    Ok(Revision {
        id: r.try_get(0)?,
        record: RecordType::parse(&ty).ok_or_else(|| bad_column("record type", &ty))?,
        slug: r.try_get(2)?,
        version: r.try_get(3)?,
        base: r.try_get(4)?,
        status: Status::parse(&status).ok_or_else(|| bad_column("status", &status))?,
        deleted: r.try_get(6)?,
        author: Author {
            user: r.try_get(7)?,
            name: r.try_get(8)?,
            origin: Origin::parse(&origin).ok_or_else(|| bad_column("origin", &origin))?,
        },
        at: r.try_get(10)?,
        comment: r.try_get(11)?,
        reviewer,
        reviewed_at: r.try_get(15)?,
        review_comment: r.try_get(16)?,
        data: r.try_get(17)?,
    })
}

fn read_revision(c: &mut impl GenericClient, id: i64) -> Result<Option<Revision>, StoreError> {
    c.query_opt(
        &format!("SELECT {COLUMNS}, data FROM revisions WHERE id = $1"),
        &[&id],
    )?
    .as_ref()
    .map(revision_of)
    .transpose()
}

/// The latest published revision of a record, as `tx` sees it.
fn latest_published(
    tx: &mut Transaction,
    record: RecordType,
    slug: &str,
) -> Result<Option<Revision>, StoreError> {
    tx.query_opt(
        &format!(
            "SELECT {COLUMNS}, data FROM revisions
             WHERE type = $1 AND slug = $2 AND version IS NOT NULL
             ORDER BY version DESC LIMIT 1"
        ),
        &[&record.as_str(), &slug],
    )?
    .as_ref()
    .map(revision_of)
    .transpose()
}

/// An open draft by id, for changing it: NotFound, NotADraft otherwise.
fn open_draft(tx: &mut Transaction, id: i64) -> Result<Revision, RevisionError> {
    let rev = read_revision(tx, id)?.ok_or(RevisionError::NotFound)?;
    if !rev.status.is_open_draft() {
        return Err(RevisionError::NotADraft);
    }
    Ok(rev)
}

fn invalid(message: String) -> RevisionError {
    RevisionError::Store(StoreError::Invalid(message))
}

/// `text` as PostgreSQL can keep it: its text cannot hold the NUL character (SQLite's
/// can, and a form's comment or a typed email may carry one), so each is replaced by
/// U+FFFD, the character a reader shows for what could not be read. Only free text goes
/// through it (comments, names as they were at the time, the audit log's typed email):
/// slugs and digests have rules of their own, and JSON escapes a NUL.
pub(super) fn keepable(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Whether PostgreSQL can hold `key` at all: a slug, an address, an email or a digest that
/// holds a NUL (a hostile `%00` in a path) names nothing stored, so a read answers as for
/// any unknown key, as SQLite does, instead of failing with the database's error.
pub(super) fn holdable(key: &str) -> bool {
    !key.contains('\0')
}

/// The author with a name PostgreSQL can keep ([`keepable`]).
pub(super) fn keepable_author(author: &Author) -> Author {
    Author {
        name: keepable(&author.name).into_owned(),
        ..author.clone()
    }
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
    tx: &mut Transaction,
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
    tx: &mut Transaction,
    record: RecordType,
    slug: &str,
) -> Result<Option<String>, StoreError> {
    let row = if record == RecordType::Dossier {
        tx.query_opt("SELECT data FROM dossiers WHERE slug = $1", &[&slug])?
    } else {
        tx.query_opt(
            "SELECT data FROM records WHERE type = $1 AND slug = $2",
            &[&record.as_str(), &slug],
        )?
    };
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// The JSON the record had after its latest import or load-builtin, if it had one, and
/// the fields that import kept as editors had changed them.
fn imported_data(
    tx: &mut Transaction,
    record: RecordType,
    slug: &str,
) -> Result<Option<(String, Vec<String>)>, StoreError> {
    let found = tx.query_opt(
        "SELECT data, kept FROM revisions
         WHERE type = $1 AND slug = $2 AND status = 'published'
           AND origin IN ('import', 'builtin') AND data IS NOT NULL
         ORDER BY version DESC LIMIT 1",
        &[&record.as_str(), &slug],
    )?;
    Ok(match found {
        Some(row) => {
            let data: String = row.try_get(0)?;
            let kept: Option<String> = row.try_get(1)?;
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
    tx: &mut Transaction,
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
    // import rewrites it whole (a record that cannot be read fails alone, and a
    // re-import repairs it).
    let stored = match object(&stored) {
        Ok(stored) => stored,
        Err(e) => {
            tracing::warn!(record = record.as_str(), slug, error = %e,
                "the stored record cannot be read; the import replaces it whole");
            return Ok(None);
        }
    };
    let incoming = object(incoming)?;
    let (imported, was_kept) = match imported {
        Some((data, kept)) => (object(&data).ok(), kept),
        None => (None, Vec::new()),
    };
    let mut fields: Vec<&String> = stored.keys().chain(incoming.keys()).collect();
    if let Some(i) = &imported {
        fields.extend(i.keys());
    }
    fields.sort();
    fields.dedup();
    let mut kept = Vec::new();
    let mut out = incoming.clone();
    for field in fields {
        let now = stored.get(field);
        let edited = match &imported {
            Some(i) => i.get(field) != now || was_kept.contains(field),
            None => true,
        };
        if edited && incoming.get(field) != now {
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
    let json = serde_json::to_string(&Value::Object(out))
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(Some((json, kept)))
}

/// For [`Revisions::write_as`] with `protect_edits`: the archive to write instead of
/// `archive` when an editor's change must be kept (`None`: write it as it is) and the
/// fields kept per record, with those fields added to `conflicts`.
pub(super) fn protect(
    tx: &mut Transaction,
    archive: &Archive,
    rows: &[Row],
    conflicts: &mut Vec<EditConflict>,
) -> Result<Option<(Archive, Kept)>, StoreError> {
    let mut merged: HashMap<(RecordType, String), String> = HashMap::new();
    let mut kept = Kept::new();
    let mut check = |tx: &mut Transaction,
                     record: RecordType,
                     slug: &str,
                     data: &str|
     -> Result<(), StoreError> {
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
        check(tx, RecordType::Dossier, &d.slug, &data)?;
    }
    for row in rows {
        check(tx, row.record, row.slug, &row.data)?;
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

impl PgStore {
    /// [`Revisions::write_as`], the writer's lock taken as `lock` says: alone, or shared
    /// with the other batches of this process's bulk load ([`BulkLoad::write_batch`]).
    pub(super) fn write_as_locked(
        &self,
        archive: &Archive,
        options: &WriteOptions,
        lock: WriterLock,
    ) -> Result<(WriteSummary, Vec<EditConflict>), StoreError> {
        let options = WriteOptions {
            author: keepable_author(&options.author),
            comment: keepable(&options.comment).into_owned(),
            protect_edits: options.protect_edits,
        };
        super::write::write_as(self, archive, &options, &protect, lock)
    }
}

impl Revisions for PgStore {
    fn version(&self, record: RecordType, slug: &str) -> Result<i64, StoreError> {
        if !holdable(slug) {
            return Ok(0);
        }
        self.read(|c| {
            Ok(c.query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM revisions
                 WHERE type = $1 AND slug = $2 AND version IS NOT NULL",
                &[&record.as_str(), &slug],
            )?
            .try_get(0)?)
        })
    }

    fn revision(&self, id: i64) -> Result<Option<Revision>, StoreError> {
        self.read(|c| read_revision(c, id))
    }

    fn revisions(&self, q: &RevisionQuery) -> Result<Vec<Revision>, StoreError> {
        if [&q.slug, &q.dossier]
            .iter()
            .any(|k| k.as_deref().is_some_and(|k| !holdable(k)))
        {
            return Ok(Vec::new());
        }
        let mut sql = format!(
            "SELECT {COLUMNS}, {} FROM revisions r WHERE true",
            if q.with_data { "data" } else { "NULL::TEXT" }
        );
        let mut args: Vec<Box<dyn ToSql + Sync>> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, value: Box<dyn ToSql + Sync>| {
            args.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", args.len())));
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
                // Matches the partial index of drafts, which leaves published rows out.
                sql.push_str(" AND r.status <> 'published'");
            }
        }
        if let Some(b) = q.before {
            arg(&mut sql, " AND r.id < ?", Box::new(b));
        }
        sql.push_str(" ORDER BY r.id DESC");
        if q.limit > 0 {
            sql.push_str(&format!(" LIMIT {}", q.limit.min(i64::MAX as usize)));
        }
        self.read(|c| {
            let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|a| a.as_ref()).collect();
            c.query(&sql, &params)?.iter().map(revision_of).collect()
        })
    }

    fn count_revisions(&self, record: RecordType, slug: &str) -> Result<u64, StoreError> {
        if !holdable(slug) {
            return Ok(0);
        }
        let n: i64 = self.read(|c| {
            Ok(c.query_one(
                "SELECT COUNT(*) FROM revisions WHERE type = $1 AND slug = $2",
                &[&record.as_str(), &slug],
            )?
            .try_get(0)?)
        })?;
        Ok(n as u64)
    }

    fn write_as(
        &self,
        archive: &Archive,
        options: &WriteOptions,
    ) -> Result<(WriteSummary, Vec<EditConflict>), StoreError> {
        self.write_as_locked(archive, options, WriterLock::Sole)
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
        let (author, comment) = (keepable_author(author), keepable(comment));
        let (author, comment) = (&author, comment.as_ref());
        if !holdable(slug) {
            // Nothing is stored under it (version 0), and no record can be.
            return Err(match (expected, data) {
                (0, None) => RevisionError::NotFound,
                (0, Some(_)) => invalid(format!(
                    "the {}'s slug {slug:?} holds a NUL character",
                    record.as_str()
                )),
                (base, _) => RevisionError::Conflict { current: 0, base },
            });
        }
        self.in_transaction(|tx| {
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
        let (author, comment) = (keepable_author(author), keepable(comment));
        let (author, comment) = (&author, comment.as_ref());
        draft_status(status)?;
        draft_data(data)?;
        if !holdable(slug) {
            return Err(invalid(format!(
                "a draft's slug cannot hold a NUL character: {slug:?}"
            )));
        }
        if slug.is_empty() || base < 0 {
            return Err(invalid("a draft needs a slug and a base version".into()));
        }
        self.in_transaction(|tx| {
            let row = tx
                .query_one(
                    &format!(
                        "INSERT INTO revisions (type, slug, version, base, status, deleted,
                           author_user, author_name, origin, at, comment, data)
                         VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                         RETURNING {COLUMNS}, data"
                    ),
                    &[
                        &record.as_str(),
                        &slug,
                        &base,
                        &status.as_str(),
                        &data.is_none(),
                        &author.user,
                        &author.name,
                        &author.origin.as_str(),
                        &unix_now(),
                        &comment,
                        &data,
                    ],
                )
                .map_err(StoreError::from)?;
            Ok(revision_of(&row)?)
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
        let (author, comment) = (keepable_author(author), keepable(comment));
        let (author, comment) = (&author, comment.as_ref());
        draft_status(status)?;
        draft_data(data)?;
        if base < 0 {
            return Err(invalid("a draft's base version cannot be negative".into()));
        }
        self.in_transaction(|tx| {
            open_draft(tx, id)?;
            let row = tx
                .query_one(
                    &format!(
                        "UPDATE revisions SET data = $2, deleted = $3, base = $4,
                           author_user = $5, author_name = $6, origin = $7, comment = $8,
                           status = $9, at = $10
                         WHERE id = $1 RETURNING {COLUMNS}, data"
                    ),
                    &[
                        &id,
                        &data,
                        &data.is_none(),
                        &base,
                        &author.user,
                        &author.name,
                        &author.origin.as_str(),
                        &comment,
                        &status.as_str(),
                        &unix_now(),
                    ],
                )
                .map_err(StoreError::from)?;
            Ok(revision_of(&row)?)
        })
    }

    fn review(
        &self,
        id: i64,
        status: Status,
        reviewer: &Author,
        comment: &str,
    ) -> Result<Revision, RevisionError> {
        let (reviewer, comment) = (keepable_author(reviewer), keepable(comment));
        let (reviewer, comment) = (&reviewer, comment.as_ref());
        if !matches!(
            status,
            Status::Review | Status::Returned | Status::Discarded
        ) {
            return Err(invalid(format!(
                "a review sends a draft to review, returns or discards it; {} is none of these",
                status.as_str()
            )));
        }
        self.in_transaction(|tx| {
            open_draft(tx, id)?;
            let row = tx
                .query_one(
                    &format!(
                        "UPDATE revisions SET status = $2, reviewer_user = $3,
                           reviewer_name = $4, reviewer_origin = $5, reviewed_at = $6,
                           review_comment = $7
                         WHERE id = $1 RETURNING {COLUMNS}, data"
                    ),
                    &[
                        &id,
                        &status.as_str(),
                        &reviewer.user,
                        &reviewer.name,
                        &reviewer.origin.as_str(),
                        &unix_now(),
                        &comment,
                    ],
                )
                .map_err(StoreError::from)?;
            Ok(revision_of(&row)?)
        })
    }

    fn publish_draft(
        &self,
        id: i64,
        reviewer: &Author,
        comment: &str,
    ) -> Result<Revision, RevisionError> {
        let (reviewer, comment) = (keepable_author(reviewer), keepable(comment));
        let (reviewer, comment) = (&reviewer, comment.as_ref());
        self.in_transaction(|tx| {
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
            let published: i64 = tx
                .query_one(
                    "INSERT INTO revisions (type, slug, version, base, status, deleted,
                       author_user, author_name, origin, at, comment, reviewer_user,
                       reviewer_name, reviewer_origin, reviewed_at, review_comment, data)
                     SELECT type, slug, $2, base, 'published', deleted, author_user,
                       author_name, origin, at, comment, $3, $4, $5, $6, $7, data
                     FROM revisions WHERE id = $1
                     RETURNING id",
                    &[
                        &id,
                        &(current + 1),
                        &reviewer.user,
                        &reviewer.name,
                        &reviewer.origin.as_str(),
                        &unix_now(),
                        &comment,
                    ],
                )
                .and_then(|r| r.try_get(0))
                .map_err(StoreError::from)?;
            tx.execute("DELETE FROM revisions WHERE id = $1", &[&id])
                .map_err(StoreError::from)?;
            read_revision(tx, published)?.ok_or(RevisionError::NotFound)
        })
    }
}
