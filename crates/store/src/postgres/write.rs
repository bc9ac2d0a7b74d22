//! Writing records, as SQLite's `write` does: each write one transaction (or a savepoint
//! of a held one), records compared with their stored copies, links, change-log entries and
//! published revisions written beside them. The rows themselves (a record's columns and
//! links) are built by the same code as SQLite's ([`crate::sqlite::write::rows`]).

use super::changes::{log_change, note_logged};
use super::PgStore;
use crate::sqlite::write::Row;
use crate::*;
use ::postgres::{Statement, Transaction};

pub(crate) use crate::sqlite::write::rows;

/// The time stamp of a write, RFC 3339 in UTC to the second, as SQLite's
/// `strftime('%Y-%m-%dT%H:%M:%SZ','now')` writes it: PostgreSQL's `now()` is the
/// transaction's start, so every record and change of a write says the same time.
pub(crate) const NOW: &str = r#"to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"#;

/// Now, in whole seconds since 1970 (UTC): a revision's time.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The time stamp of a write (see [`NOW`]).
pub(crate) fn now(tx: &mut Transaction<'_>) -> Result<String, StoreError> {
    Ok(tx.query_one(&format!("SELECT {NOW}"), &[])?.get(0))
}

/// Who makes a revision, why and when.
#[derive(Clone, Copy)]
pub(crate) struct By<'a> {
    pub(crate) author: &'a Author,
    pub(crate) comment: &'a str,
    pub(crate) at: i64,
}

/// The fields an import kept as editors left them, per record (a JSON list of names).
pub(crate) type Kept = std::collections::HashMap<(RecordType, String), String>;

/// How a write records what it changed in `revisions`.
#[derive(Clone, Copy)]
pub(crate) enum Revise<'a> {
    /// One published revision per record that changed, with the fields kept per record.
    Each(By<'a>, Option<&'a Kept>),
    /// None: the caller makes the one revision itself (a publish).
    #[allow(dead_code)] // until the revisions module (issue 29's second half) publishes
    Not,
}

impl Revise<'_> {
    fn record(
        self,
        tx: &mut Transaction<'_>,
        record: RecordType,
        slug: &str,
        data: &str,
    ) -> Result<(), StoreError> {
        if let Revise::Each(by, kept) = self {
            let kept = kept.and_then(|k| k.get(&(record, slug.to_string())));
            insert_published(tx, record, slug, Some(data), &by, kept.map(|k| k.as_str()))?;
        }
        Ok(())
    }
}

/// A record's current version (the highest of its published revisions; 0: never stored).
pub(crate) fn current_version(
    tx: &mut Transaction<'_>,
    record: RecordType,
    slug: &str,
) -> Result<i64, StoreError> {
    Ok(tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::BIGINT FROM revisions
             WHERE type = $1 AND slug = $2 AND version IS NOT NULL",
            &[&record.as_str(), &slug],
        )?
        .get(0))
}

/// Adds a published revision making the record's next version: its JSON after the change
/// (`None`: deleted), and the fields an import kept as editors left them (`kept`, a JSON
/// list). Returns the revision's id.
pub(crate) fn insert_published(
    tx: &mut Transaction<'_>,
    record: RecordType,
    slug: &str,
    data: Option<&str>,
    by: &By,
    kept: Option<&str>,
) -> Result<i64, StoreError> {
    // The current version read and the next written in one statement (one round trip
    // per record of a write, not two); the writer's lock keeps it current.
    let row = tx.query_one(
        "INSERT INTO revisions (type, slug, version, base, status, deleted, author_user,
           author_name, origin, at, comment, data, kept)
         SELECT $1, $2, cur.v + 1, cur.v, 'published', $3, $4, $5, $6, $7, $8, $9, $10
         FROM (SELECT COALESCE(MAX(version), 0)::BIGINT AS v FROM revisions
               WHERE type = $1 AND slug = $2 AND version IS NOT NULL) cur
         RETURNING id",
        &[
            &record.as_str(),
            &slug,
            &data.is_none(),
            &by.author.user,
            &by.author.name,
            &by.author.origin.as_str(),
            &by.at,
            &by.comment,
            &data,
            &kept,
        ],
    )?;
    Ok(row.get(0))
}

/// Writes the archive's collections (inserted, or updated where a field differs), before
/// the records that name them.
fn write_collections(
    tx: &mut Transaction<'_>,
    archive: &Archive,
    now: &str,
) -> Result<(), StoreError> {
    if archive.collections.is_empty() {
        return Ok(());
    }
    let upsert = tx.prepare(
        "INSERT INTO collections (slug, title, description, source, url, created, changed)
         VALUES ($1, $2, $3, $4, $5, $6, $6)
         ON CONFLICT (slug) DO UPDATE SET title = excluded.title,
           description = excluded.description, source = excluded.source,
           url = excluded.url, changed = excluded.changed
         WHERE (collections.title, collections.description, collections.source, collections.url)
           IS DISTINCT FROM (excluded.title, excluded.description, excluded.source, excluded.url)",
    )?;
    for c in &archive.collections {
        tx.execute(
            &upsert,
            &[&c.slug, &c.title, &c.description, &c.source, &c.url, &now],
        )?;
    }
    Ok(())
}

/// The statements that write records, prepared once per write rather than for every row.
struct RecordStatements {
    insert: Statement,
    existing: Statement,
    update: Statement,
    log: Statement,
    drop_links: Statement,
    link: Statement,
}

impl RecordStatements {
    fn prepare(tx: &mut Transaction<'_>) -> Result<Self, StoreError> {
        Ok(RecordStatements {
            // A new record is written by one statement that finds no row: most records of a
            // large import are new.
            insert: tx.prepare(
                "INSERT INTO records (type, slug, title, kind, date, date_lo, date_hi, data, created, changed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
                 ON CONFLICT (type, slug) DO NOTHING",
            )?,
            existing: tx.prepare("SELECT data FROM records WHERE type = $1 AND slug = $2")?,
            update: tx.prepare(
                "UPDATE records SET title = $3, kind = $4, date = $5, date_lo = $6, date_hi = $7,
                   data = $8, changed = $9
                 WHERE type = $1 AND slug = $2",
            )?,
            log: tx.prepare(
                "INSERT INTO changes (type, slug, op, at) VALUES ($1, $2, 'upsert', $3) RETURNING seq",
            )?,
            drop_links: tx.prepare("DELETE FROM links WHERE src_type = $1 AND src_slug = $2")?,
            // A record's links in one statement, however many.
            link: tx.prepare(
                "INSERT INTO links (src_type, src_slug, rel, dst_type, dst_slug, detail)
                 SELECT $1, $2, l.rel, l.dst_type, l.dst_slug, l.detail
                 FROM unnest($3::text[], $4::text[], $5::text[], $6::text[])
                      WITH ORDINALITY AS l(rel, dst_type, dst_slug, detail, n)
                 ORDER BY l.n",
            )?,
        })
    }
}

fn write_row(
    tx: &mut Transaction<'_>,
    st: &RecordStatements,
    row: &Row,
    now: &str,
    summary: &mut WriteSummary,
    revise: Revise,
) -> Result<(), StoreError> {
    let ty = row.record.as_str();
    let date = row.date.map(|d| d.to_string());
    let (lo, hi) = (row.date.map(|d| d.earliest()), row.date.map(|d| d.latest()));
    let values: [&(dyn ::postgres::types::ToSql + Sync); 9] = [
        &ty, &row.slug, &row.title, &row.kind, &date, &lo, &hi, &row.data, &now,
    ];
    let is_new = tx.execute(&st.insert, &values)? == 1;
    if is_new {
        summary.new += 1;
    } else {
        let existing: String = tx.query_one(&st.existing, &[&ty, &row.slug])?.get(0);
        if existing == row.data {
            summary.unchanged += 1;
            return Ok(());
        }
        summary.changed += 1;
        tx.execute(&st.update, &values)?;
    }
    let seq: i64 = tx.query_one(&st.log, &[&ty, &row.slug, &now])?.get(0);
    note_logged(seq, summary);
    revise.record(tx, row.record, row.slug, &row.data)?;
    // A new record has no links yet: only a changed one has old links to drop.
    if !is_new {
        tx.execute(&st.drop_links, &[&ty, &row.slug])?;
    }
    if !row.links.is_empty() {
        let rels: Vec<&str> = row.links.iter().map(|l| l.0).collect();
        let types: Vec<&str> = row.links.iter().map(|l| l.1).collect();
        let slugs: Vec<&str> = row.links.iter().map(|l| l.2.as_str()).collect();
        let details: Vec<Option<&str>> = row.links.iter().map(|l| l.3.as_deref()).collect();
        tx.execute(&st.link, &[&ty, &row.slug, &rels, &types, &slugs, &details])?;
    }
    Ok(())
}

fn write_dossier(
    tx: &mut Transaction<'_>,
    d: &Dossier,
    position: i64,
    now: &str,
    summary: &mut WriteSummary,
    revise: Revise,
) -> Result<(), StoreError> {
    let data = serde_json::to_string(d).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let existing: Option<String> = tx
        .query_opt("SELECT data FROM dossiers WHERE slug = $1", &[&d.slug])?
        .map(|r| r.get(0));
    match existing {
        Some(x) if x == data => {
            summary.unchanged += 1;
            return Ok(());
        }
        Some(_) => summary.changed += 1,
        None => summary.new += 1,
    }
    tx.execute(
        "INSERT INTO dossiers (slug, title, description, source, position, data, created, changed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (slug) DO UPDATE SET title = excluded.title, description = excluded.description,
           source = excluded.source, data = excluded.data, changed = excluded.changed",
        &[&d.slug, &d.title, &d.description, &d.source, &position, &data, &now],
    )?;
    log_change(tx, RecordType::Dossier, &d.slug, "upsert", now, summary)?;
    revise.record(tx, RecordType::Dossier, &d.slug, &data)?;
    tx.execute("DELETE FROM sections WHERE dossier = $1", &[&d.slug])?;
    tx.execute(
        "DELETE FROM links WHERE src_type = 'section' AND starts_with(src_slug, $1 || '#')",
        &[&d.slug],
    )?;
    let statements = SectionStatements {
        section: tx.prepare(
            "INSERT INTO sections (dossier, key, parent_key, position, label, title, short_title, commentary, lists)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )?,
        reference: tx.prepare(
            "INSERT INTO section_refs (dossier, section_key, n, text, target) VALUES ($1, $2, $3, $4, $5)",
        )?,
        cites: tx.prepare(
            "INSERT INTO links (src_type, src_slug, rel, dst_type, dst_slug, detail)
             VALUES ('section', $1, 'cites', $2, $3, $4)",
        )?,
    };
    let mut pos = 0i64;
    for s in &d.sections {
        walk(tx, &statements, &d.slug, s, None, &mut pos)?;
    }
    Ok(())
}

struct SectionStatements {
    section: Statement,
    reference: Statement,
    cites: Statement,
}

/// Writes a section, its references and its children, in outline order.
fn walk(
    tx: &mut Transaction<'_>,
    st: &SectionStatements,
    dossier: &str,
    s: &Section,
    parent: Option<&str>,
    pos: &mut i64,
) -> Result<(), StoreError> {
    let lists = serde_json::to_string(&s.lists).map_err(|e| StoreError::Invalid(e.to_string()))?;
    tx.execute(
        &st.section,
        &[
            &dossier,
            &s.key,
            &parent,
            &*pos,
            &s.label,
            &s.title,
            &s.short_title,
            &s.commentary,
            &lists,
        ],
    )?;
    *pos += 1;
    for (i, r) in s.references.iter().enumerate() {
        let target = r
            .target
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        tx.execute(
            &st.reference,
            &[&dossier, &s.key, &((i + 1) as i64), &r.text, &target],
        )?;
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
            let src = format!("{dossier}#{}", s.key);
            tx.execute(&st.cites, &[&src, &ty, slug, &r.text])?;
        }
    }
    for c in &s.children {
        walk(tx, st, dossier, c, Some(&s.key), pos)?;
    }
    Ok(())
}

/// The body of [`Store::write`], in the transaction (or savepoint) `tx`: validates the
/// archive against itself and the store, then writes what changed.
pub(crate) fn write_rows(
    tx: &mut Transaction<'_>,
    archive: &Archive,
    rows: &[Row],
    revise: Revise,
) -> Result<WriteSummary, StoreError> {
    // The model's rules first: they refuse a too deep outline without recursion, where
    // looking for NULs serialises it (a 2,000-level outline overflowed the stack).
    let errors = validate(tx, archive)?;
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors.join("; ")));
    }
    refuse_nul(archive, rows)?;
    let mut summary = WriteSummary::default();
    let first_position: i64 = tx
        .query_one(
            "SELECT COALESCE(MAX(position) + 1, 0)::BIGINT FROM dossiers",
            &[],
        )?
        .get(0);
    let now = now(tx)?;
    write_collections(tx, archive, &now)?;
    for (i, d) in archive.dossiers.iter().enumerate() {
        write_dossier(tx, d, first_position + i as i64, &now, &mut summary, revise)?;
    }
    let statements = RecordStatements::prepare(tx)?;
    for row in rows {
        write_row(tx, &statements, row, &now, &mut summary, revise)?;
    }
    Ok(summary)
}

/// Refuses a record, dossier or collection with a NUL character (U+0000) in any text:
/// PostgreSQL's text cannot hold one, and the write is refused as a whole with what holds
/// it, rather than with the database's encoding error.
fn refuse_nul(archive: &Archive, rows: &[Row]) -> Result<(), StoreError> {
    /// Whether JSON text holds a NUL in a string (escaped `\u0000`; the quick look can
    /// be fooled by a literal backslash, so a hit is confirmed on the parsed value).
    fn has_nul(json: &str) -> bool {
        fn any(v: &serde_json::Value) -> bool {
            match v {
                serde_json::Value::String(s) => s.contains('\0'),
                serde_json::Value::Array(a) => a.iter().any(any),
                serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || any(v)),
                _ => false,
            }
        }
        json.contains("\\u0000")
            && serde_json::from_str::<serde_json::Value>(json).is_ok_and(|v| any(&v))
    }
    let refused = |what: &str, slug: &str| {
        Err(StoreError::Invalid(format!(
            "{what} `{}`: a text holds a NUL character (U+0000), which the PostgreSQL store \
             cannot keep",
            slug.replace('\0', "\\0")
        )))
    };
    for row in rows {
        if has_nul(&row.data) {
            return refused(row.record.as_str(), row.slug);
        }
    }
    for d in &archive.dossiers {
        let json = serde_json::to_string(d).map_err(|e| StoreError::Invalid(e.to_string()))?;
        if has_nul(&json) {
            return refused("dossier", &d.slug);
        }
    }
    for c in &archive.collections {
        let texts = [
            Some(&c.slug),
            Some(&c.title),
            Some(&c.description),
            c.source.as_ref(),
            c.url.as_ref(),
        ];
        if texts.into_iter().flatten().any(|t| t.contains('\0')) {
            return refused("collection", &c.slug);
        }
    }
    Ok(())
}

/// [`Archive::validate`] against the archive itself and what the transaction sees stored.
///
/// The model's validation asks "is this slug known?" through a callback that cannot
/// borrow the transaction mutably, so the slugs the archive names outside itself are
/// collected first, looked up in one query per type, and the validation then answers from
/// that set.
fn validate(tx: &mut Transaction<'_>, archive: &Archive) -> Result<Vec<String>, StoreError> {
    use std::cell::RefCell;
    use std::collections::{HashMap, HashSet};
    let asked: RefCell<HashMap<String, HashSet<String>>> = Default::default();
    // First pass: which names does the validation ask about? (Every answer "no".)
    archive.validate(&|ty, slug| {
        asked
            .borrow_mut()
            .entry(ty.to_string())
            .or_default()
            .insert(slug.to_string());
        false
    });
    let mut known: HashMap<String, HashSet<String>> = HashMap::new();
    for (ty, slugs) in asked.into_inner() {
        let slugs: Vec<String> = slugs.into_iter().collect();
        let found: Vec<String> = if ty == "collection" {
            tx.query(
                "SELECT slug FROM collections WHERE slug = ANY($1)",
                &[&slugs],
            )?
        } else if ty == "dossier" {
            tx.query("SELECT slug FROM dossiers WHERE slug = ANY($1)", &[&slugs])?
        } else if RecordType::parse(&ty).is_some() {
            tx.query(
                "SELECT slug FROM records WHERE type = $1 AND slug = ANY($2)",
                &[&ty, &slugs],
            )?
        } else {
            Vec::new()
        }
        .into_iter()
        .map(|r| r.get(0))
        .collect();
        known.insert(ty, found.into_iter().collect());
    }
    let errors = archive.validate(&|ty, slug| known.get(ty).is_some_and(|s| s.contains(slug)));
    Ok(errors.iter().map(|e| e.to_string()).collect())
}

/// [`Store::write`]: a write nobody attributed, every field overwritten.
pub(super) fn write(store: &PgStore, archive: &Archive) -> Result<WriteSummary, StoreError> {
    // Serialised before the transaction begins.
    let rows = rows(archive).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let author = Author::unattributed();
    let by = By {
        author: &author,
        comment: "",
        at: unix_now(),
    };
    store.in_transaction(|tx| write_rows(tx, archive, &rows, Revise::Each(by, None)))
}

/// What [`write_as`] asks of the revisions module when a write must keep editors'
/// changes: the archive to write instead (`None`: write it as it is) and the fields kept
/// per record, with those fields added to the conflicts (SQLite's `revisions::protect`).
#[allow(dead_code)]
pub(crate) type Protect<'p> = &'p (dyn Fn(
    &mut Transaction<'_>,
    &Archive,
    &[Row],
    &mut Vec<EditConflict>,
) -> Result<Option<(Archive, Kept)>, StoreError>
         + Sync);

/// [`Revisions::write_as`], with the revisions module's `protect` for `protect_edits`.
#[allow(dead_code)] // until the revisions module (issue 29's second half) writes with it
pub(crate) fn write_as(
    store: &PgStore,
    archive: &Archive,
    options: &WriteOptions,
    protect: Protect,
) -> Result<(WriteSummary, Vec<EditConflict>), StoreError> {
    let rows = rows(archive).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let by = By {
        author: &options.author,
        comment: &options.comment,
        at: unix_now(),
    };
    store.in_transaction(|tx| {
        let mut conflicts = Vec::new();
        if options.protect_edits {
            if let Some((merged, kept)) = protect(tx, archive, &rows, &mut conflicts)? {
                let rows = self::rows(&merged).map_err(|e| StoreError::Invalid(e.to_string()))?;
                let summary = write_rows(tx, &merged, &rows, Revise::Each(by, Some(&kept)))?;
                return Ok((summary, conflicts));
            }
        }
        Ok((
            write_rows(tx, archive, &rows, Revise::Each(by, None))?,
            conflicts,
        ))
    })
}

/// [`Store::delete`]: a deletion nobody attributed.
pub(super) fn delete(store: &PgStore, record: RecordType, slug: &str) -> Result<bool, StoreError> {
    store.in_transaction(|tx| {
        let deleted = delete_in(tx, record, slug)?;
        if deleted {
            let author = Author::unattributed();
            let by = By {
                author: &author,
                comment: "",
                at: unix_now(),
            };
            insert_published(tx, record, slug, None, &by, None)?;
        }
        Ok(deleted)
    })
}

/// Deletes a record in the transaction `tx`, refused while other records link to it; logs
/// the deletion. Returns false if there was no such record. Makes no revision.
pub(crate) fn delete_in(
    tx: &mut Transaction<'_>,
    record: RecordType,
    slug: &str,
) -> Result<bool, StoreError> {
    let linking: Vec<String> = tx
        .query(
            "SELECT DISTINCT src_type || ' `' || src_slug || '`' FROM links
             WHERE dst_type = $1 AND dst_slug = $2 AND NOT (src_type = $1 AND src_slug = $2)
               AND NOT (src_type = 'section' AND starts_with(src_slug, $2 || '#')
                        AND $1 = 'dossier')",
            &[&record.as_str(), &slug],
        )?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    if !linking.is_empty() {
        return Err(StoreError::Invalid(format!(
            "cannot delete {} `{slug}`: {} still link to it",
            record.as_str(),
            linking.join(", ")
        )));
    }
    let deleted = if record == RecordType::Dossier {
        tx.execute(
            "DELETE FROM links WHERE src_type = 'section' AND starts_with(src_slug, $1 || '#')",
            &[&slug],
        )?;
        tx.execute("DELETE FROM dossiers WHERE slug = $1", &[&slug])?
    } else {
        tx.execute(
            "DELETE FROM links WHERE src_type = $1 AND src_slug = $2",
            &[&record.as_str(), &slug],
        )?;
        tx.execute(
            "DELETE FROM records WHERE type = $1 AND slug = $2",
            &[&record.as_str(), &slug],
        )?
    };
    if deleted > 0 {
        let now = now(tx)?;
        log_change(
            tx,
            record,
            slug,
            "delete",
            &now,
            &mut WriteSummary::default(),
        )?;
    }
    Ok(deleted > 0)
}
