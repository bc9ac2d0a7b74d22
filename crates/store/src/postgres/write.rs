//! Writing records, as SQLite's `write` does: each write one transaction (or a savepoint
//! of a held one), records compared with their stored copies, links, change-log entries and
//! published revisions written beside them. The rows themselves (a record's columns and
//! links) are built by the same code as SQLite's ([`crate::sqlite::write::rows`]).

use super::changes::{log_change, note_logged};
use super::{PgStore, WriterLock};
use crate::sqlite::write::Row;
use crate::*;
use ::postgres::{Statement, Transaction};
use std::collections::HashMap;

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
    let same = tx.prepare(
        "SELECT EXISTS (SELECT 1 FROM collections WHERE slug = $1
           AND (title, description, source, url)
               IS NOT DISTINCT FROM ($2::text, $3::text, $4::text, $5::text))",
    )?;
    for c in &archive.collections {
        // One stored as it is, is left alone and unlocked: `ON CONFLICT DO UPDATE` locks
        // the row it meets even where its `WHERE` leaves it as it is, and every batch of
        // an import carries its collection, so batches written side by side would each
        // wait for the other's commit.
        let unchanged: bool = tx
            .query_one(
                &same,
                &[&c.slug, &c.title, &c.description, &c.source, &c.url],
            )?
            .get(0);
        if unchanged {
            continue;
        }
        tx.execute(
            &upsert,
            &[&c.slug, &c.title, &c.description, &c.source, &c.url, &now],
        )?;
    }
    Ok(())
}

/// The stored JSON of records, by record.
pub(crate) type Stored = HashMap<(RecordType, String), String>;

/// Which of `slugs` of type `record` are stored: one lookup of the primary key per slug,
/// whatever the table's size or statistics. Written `slug = ANY($2)`, a table not yet
/// analysed (a bulk load's) was estimated to match every slug and scanned all its
/// records of the type instead: a cost growing with the table, paid per batch. The
/// `LIMIT 1` keeps the lateral lookup a lookup (no hash join over the table); the key is
/// unique, so it drops nothing. `data` selects the stored JSON too.
fn lookup_sql(data: bool) -> String {
    let columns = if data { "s.slug, r.data" } else { "s.slug" };
    format!(
        "SELECT {columns} FROM unnest($2::text[]) AS s(slug)
         CROSS JOIN LATERAL (SELECT data FROM records
                             WHERE type = $1 AND slug = s.slug LIMIT 1) r"
    )
}

/// The stored JSON of those of `rows` that are stored, by record: one query per record
/// type of the rows (an index lookup per slug), not one per row.
pub(crate) fn stored_rows(tx: &mut Transaction<'_>, rows: &[Row]) -> Result<Stored, StoreError> {
    let mut by_type: HashMap<RecordType, Vec<&str>> = HashMap::new();
    for row in rows {
        by_type.entry(row.record).or_default().push(row.slug);
    }
    let mut stored = HashMap::new();
    for (record, slugs) in by_type {
        for r in tx.query(&lookup_sql(true), &[&record.as_str(), &slugs])? {
            stored.insert((record, r.get(0)), r.get(1));
        }
    }
    Ok(stored)
}

/// Writes the records of `rows` that are new or differ from their stored copies, as
/// sets: each step one statement for the whole write (rows new, rows changed, their
/// change-log entries, their revisions, their links), whatever the number of records.
/// One statement per record cost a round trip to the server each, four or five per
/// record, and a bulk load of small records spent most of its time waiting on them.
///
/// What is written is what writing the rows one by one wrote (the SQLite store's
/// `write_row`): a new record is inserted, a changed one updated and its old links
/// dropped, an unchanged one left alone and not logged; each written record gets a
/// change-log entry and (with [`Revise::Each`]) a published revision, both in the rows'
/// order, and its links in their order. The archive's validation refuses a slug given
/// twice, so no record is written twice here.
///
/// Order: `unnest` reads arrays in their order and an `INSERT … SELECT` from it alone
/// inserts rows as they come, so the statements that carry records' JSON have no
/// `ORDER BY`: sorting 10,000 rows of about 2 KB each went past `work_mem` and spilled
/// to disk. The change log's entries, small, are sorted explicitly (their numbers are
/// what followers read).
///
/// `stored`: the stored JSON of the rows' records where the caller already looked it up
/// in this transaction (`None`: looked up here).
fn write_records(
    tx: &mut Transaction<'_>,
    rows: &[Row],
    now: &str,
    summary: &mut WriteSummary,
    revise: Revise,
    stored: Option<&Stored>,
) -> Result<(), StoreError> {
    let looked_up;
    let stored = match stored {
        Some(stored) => stored,
        None => {
            looked_up = stored_rows(tx, rows)?;
            &looked_up
        }
    };
    let (mut new, mut changed): (Vec<&Row>, Vec<&Row>) = (Vec::new(), Vec::new());
    // Written rows in the archive's order, for the change log and the revisions.
    let mut written: Vec<&Row> = Vec::new();
    for row in rows {
        match stored.get(&(row.record, row.slug.to_string())) {
            None => new.push(row),
            Some(data) if *data == row.data => {
                summary.unchanged += 1;
                continue;
            }
            Some(_) => changed.push(row),
        }
        written.push(row);
    }
    summary.new += new.len();
    summary.changed += changed.len();
    if written.is_empty() {
        return Ok(());
    }
    /// The columns of `records` for a set of rows, as arrays.
    struct Columns<'r> {
        types: Vec<&'static str>,
        slugs: Vec<&'r str>,
        titles: Vec<&'r str>,
        kinds: Vec<&'r str>,
        dates: Vec<Option<String>>,
        lo: Vec<Option<i64>>,
        hi: Vec<Option<i64>>,
        data: Vec<&'r str>,
    }
    fn columns<'r>(rows: &[&'r Row]) -> Columns<'r> {
        Columns {
            types: rows.iter().map(|r| r.record.as_str()).collect(),
            slugs: rows.iter().map(|r| r.slug).collect(),
            titles: rows.iter().map(|r| r.title).collect(),
            kinds: rows.iter().map(|r| r.kind).collect(),
            dates: rows.iter().map(|r| r.date.map(|d| d.to_string())).collect(),
            lo: rows.iter().map(|r| r.date.map(|d| d.earliest())).collect(),
            hi: rows.iter().map(|r| r.date.map(|d| d.latest())).collect(),
            data: rows.iter().map(|r| r.data.as_str()).collect(),
        }
    }
    if !new.is_empty() {
        let c = columns(&new);
        let inserted = tx.execute(
            "INSERT INTO records (type, slug, title, kind, date, date_lo, date_hi, data, created, changed)
             SELECT r.type, r.slug, r.title, r.kind, r.date, r.lo, r.hi, r.data, $9, $9
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::bigint[], $7::bigint[], $8::text[])
                  AS r(type, slug, title, kind, date, lo, hi, data)",
            &[
                &c.types, &c.slugs, &c.titles, &c.kinds, &c.dates, &c.lo, &c.hi, &c.data, &now,
            ],
        )?;
        if inserted != new.len() as u64 {
            return Err(StoreError::Invalid(format!(
                "{inserted} of {} new records were inserted",
                new.len()
            )));
        }
    }
    if !changed.is_empty() {
        let c = columns(&changed);
        tx.execute(
            "UPDATE records SET title = r.title, kind = r.kind, date = r.date, date_lo = r.lo,
               date_hi = r.hi, data = r.data, changed = $9
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                         $6::bigint[], $7::bigint[], $8::text[])
                  AS r(type, slug, title, kind, date, lo, hi, data)
             WHERE records.type = r.type AND records.slug = r.slug",
            &[
                &c.types, &c.slugs, &c.titles, &c.kinds, &c.dates, &c.lo, &c.hi, &c.data, &now,
            ],
        )?;
        // Their old links, by type: an index lookup per slug, whatever the table's size
        // or statistics. Written `src_slug = ANY($2)`, 10,000 changed records among
        // 1.3 million links were deleted by a scan of every link (206 ms analysed, 508 ms
        // not), a cost growing with the archive; this form took 55 ms and 112 ms. The
        // `OFFSET 0` keeps the lateral lookup a lookup: without it the planner flattened it
        // into a join that sorted every link.
        let mut by_type: HashMap<&'static str, Vec<&str>> = HashMap::new();
        for row in &changed {
            by_type
                .entry(row.record.as_str())
                .or_default()
                .push(row.slug);
        }
        for (ty, slugs) in by_type {
            tx.execute(
                "DELETE FROM links WHERE ctid = ANY(ARRAY(
                   SELECT l.ctid FROM unnest($2::text[]) AS s(slug)
                   CROSS JOIN LATERAL (SELECT ctid FROM links
                                       WHERE src_type = $1 AND src_slug = s.slug OFFSET 0) l))",
                &[&ty, &slugs],
            )?;
        }
    }
    let types: Vec<&str> = written.iter().map(|r| r.record.as_str()).collect();
    let slugs: Vec<&str> = written.iter().map(|r| r.slug).collect();
    if let Revise::Each(by, kept) = revise {
        let kept: Vec<Option<&str>> = written
            .iter()
            .map(|r| {
                kept.and_then(|k| k.get(&(r.record, r.slug.to_string())))
                    .map(String::as_str)
            })
            .collect();
        insert_published_rows(tx, &types, &slugs, &kept, &by)?;
    }
    let links: usize = written.iter().map(|r| r.links.len()).sum();
    if links > 0 {
        let mut src_types = Vec::with_capacity(links);
        let mut src_slugs = Vec::with_capacity(links);
        let mut rels = Vec::with_capacity(links);
        let mut dst_types = Vec::with_capacity(links);
        let mut dst_slugs = Vec::with_capacity(links);
        let mut details: Vec<Option<&str>> = Vec::with_capacity(links);
        for row in &written {
            for (rel, dst_type, dst_slug, detail) in &row.links {
                src_types.push(row.record.as_str());
                src_slugs.push(row.slug);
                rels.push(*rel);
                dst_types.push(*dst_type);
                dst_slugs.push(dst_slug.as_str());
                details.push(detail.as_deref());
            }
        }
        tx.execute(
            "INSERT INTO links (src_type, src_slug, rel, dst_type, dst_slug, detail)
             SELECT l.src_type, l.src_slug, l.rel, l.dst_type, l.dst_slug, l.detail
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                  AS l(src_type, src_slug, rel, dst_type, dst_slug, detail)",
            &[
                &src_types, &src_slugs, &rels, &dst_types, &dst_slugs, &details,
            ],
        )?;
    }
    // The change log last, under its lock to the commit (see `lock_log`): batches written
    // side by side do everything above at once, and this one after the other.
    super::lock_log(tx)?;
    // Sequence numbers are taken in the rows' order: the statement inserts them sorted.
    let logged = tx.query_one(
        "WITH logged AS (
           INSERT INTO changes (type, slug, op, at)
           SELECT c.type, c.slug, 'upsert', $3
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS c(type, slug, n)
           ORDER BY c.n
           RETURNING seq)
         SELECT MIN(seq), MAX(seq), COUNT(*) FROM logged",
        &[&types, &slugs, &now],
    )?;
    let (first, last, count): (i64, i64, i64) = (logged.get(0), logged.get(1), logged.get(2));
    if count != written.len() as i64 || last - first + 1 != count {
        return Err(StoreError::Invalid(format!(
            "the change log took {count} entries ({first}..={last}) for {} records",
            written.len()
        )));
    }
    note_logged(first, summary);
    note_logged(last, summary);
    Ok(())
}

/// [`insert_published`] for many records at once, in the order given, each just written
/// in this transaction: each its next version (its current one read in the same
/// statement, by the unique index of versions), its JSON read back from `records`.
/// Reading it back rather than sending it again spared the client and the server a second
/// copy of every record's JSON (half of what a bulk load sends), and PostgreSQL keeps a
/// value it stored compressed as it is, rather than compressing it again.
fn insert_published_rows(
    tx: &mut Transaction<'_>,
    types: &[&str],
    slugs: &[&str],
    kept: &[Option<&str>],
    by: &By,
) -> Result<(), StoreError> {
    let inserted = tx.execute(
        "INSERT INTO revisions (type, slug, version, base, status, deleted, author_user,
           author_name, origin, at, comment, data, kept)
         SELECT r.type, r.slug, cur.v + 1, cur.v, 'published', false, $4, $5, $6, $7, $8,
                rec.data, r.kept
         FROM unnest($1::text[], $2::text[], $3::text[]) AS r(type, slug, kept)
         CROSS JOIN LATERAL (
           SELECT data FROM records WHERE type = r.type AND slug = r.slug LIMIT 1) rec
         CROSS JOIN LATERAL (
           SELECT COALESCE(MAX(version), 0)::BIGINT AS v FROM revisions
           WHERE type = r.type AND slug = r.slug AND version IS NOT NULL) cur",
        &[
            &types,
            &slugs,
            &kept,
            &by.author.user,
            &by.author.name,
            &by.author.origin.as_str(),
            &by.at,
            &by.comment,
        ],
    )?;
    if inserted != types.len() as u64 {
        return Err(StoreError::Invalid(format!(
            "{inserted} revisions made for {} records written",
            types.len()
        )));
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
    write_rows_stored(tx, archive, rows, revise, None)
}

/// [`write_rows`], with the stored JSON of the rows' records where the caller already
/// looked it up in this transaction (an import's protection of editors' fields does):
/// nothing writes records between that lookup and the write, so it is still what is
/// stored, and an import batch pays for one lookup, not two.
fn write_rows_stored(
    tx: &mut Transaction<'_>,
    archive: &Archive,
    rows: &[Row],
    revise: Revise,
    stored: Option<&Stored>,
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
    let t = std::time::Instant::now();
    write_records(tx, rows, &now, &mut summary, revise, stored)?;
    tracing::debug!(
        ms = t.elapsed().as_secs_f64() * 1e3,
        "write: records written"
    );
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
/// collected first ([`Archive::names_outside`]), looked up in one query per type, and the
/// validation then answers from that set.
fn validate(tx: &mut Transaction<'_>, archive: &Archive) -> Result<Vec<String>, StoreError> {
    use std::collections::{HashMap, HashSet};
    let asked = archive.names_outside();
    let mut known: HashMap<String, HashSet<String>> = HashMap::new();
    for (ty, slugs) in asked {
        let slugs: Vec<String> = slugs.into_iter().collect();
        let found: Vec<String> = if ty == "collection" {
            tx.query(
                "SELECT slug FROM collections WHERE slug = ANY($1)",
                &[&slugs],
            )?
        } else if ty == "dossier" {
            tx.query("SELECT slug FROM dossiers WHERE slug = ANY($1)", &[&slugs])?
        } else if RecordType::parse(&ty).is_some() {
            tx.query(&lookup_sql(false), &[&ty, &slugs])?
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
    let bulk = store.bulk.load(std::sync::atomic::Ordering::Relaxed);
    store.in_transaction(|tx| {
        if bulk {
            compress_quickly(tx)?;
        }
        write_rows(tx, archive, &rows, Revise::Each(by, None))
    })
}

/// During a bulk load, has the transaction compress the long texts it stores (records'
/// and revisions' JSON, each about 2 KB and more) with LZ4 where the server has it,
/// rather than PostgreSQL's default pglz, which took a sixth of the server's CPU during
/// an ingest of the search bench's documents. Only how new values are stored changes:
/// PostgreSQL reads values compressed either way.
fn compress_quickly(tx: &mut Transaction<'_>) -> Result<(), StoreError> {
    tx.execute(
        "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings
         WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)",
        &[],
    )?;
    Ok(())
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
    lock: WriterLock,
) -> Result<(WriteSummary, Vec<EditConflict>), StoreError> {
    let rows = rows(archive).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let by = By {
        author: &options.author,
        comment: &options.comment,
        at: unix_now(),
    };
    let bulk = store.bulk.load(std::sync::atomic::Ordering::Relaxed);
    store.in_transaction_locked(lock, |tx| {
        if bulk {
            compress_quickly(tx)?;
        }
        let mut conflicts = Vec::new();
        if !options.protect_edits {
            let summary = write_rows(tx, archive, &rows, Revise::Each(by, None))?;
            return Ok((summary, conflicts));
        }
        let (others, in_question, stored) = stored_differently(tx, rows)?;
        if let Some((merged, kept)) = protect(tx, archive, &in_question, &mut conflicts)? {
            // The same records (editors' fields put back), so the same lookup.
            let rows = self::rows(&merged).map_err(|e| StoreError::Invalid(e.to_string()))?;
            let revise = Revise::Each(by, Some(&kept));
            let summary = write_rows_stored(tx, &merged, &rows, revise, Some(&stored))?;
            return Ok((summary, conflicts));
        }
        let rows = others.with(in_question);
        let revise = Revise::Each(by, None);
        let summary = write_rows_stored(tx, archive, &rows, revise, Some(&stored))?;
        Ok((summary, conflicts))
    })
}

/// The rows of `rows` whose records are stored with other JSON, taken out (the only ones
/// where an editor's change can be in question: `protect` leaves a new or unchanged record
/// alone), and the rows again, whole and in their order, once the caller is done with
/// those; with the stored JSON of the rows' records, for the write that follows. Found
/// with one query for the write rather than one per row, which an import of new records
/// otherwise paid for every record.
fn stored_differently<'a>(
    tx: &mut Transaction<'_>,
    rows: Vec<Row<'a>>,
) -> Result<(Rows<'a>, Vec<Row<'a>>, Stored), StoreError> {
    let stored = stored_rows(tx, &rows)?;
    let mut slots: Vec<Option<Row>> = Vec::with_capacity(rows.len());
    let (mut taken, mut at) = (Vec::new(), Vec::new());
    for (i, row) in rows.into_iter().enumerate() {
        match stored.get(&(row.record, row.slug.to_string())) {
            Some(data) if *data != row.data => {
                at.push(i);
                taken.push(row);
                slots.push(None);
            }
            _ => slots.push(Some(row)),
        }
    }
    Ok((Rows { slots, at }, taken, stored))
}

/// The rows [`stored_differently`] left, with the places of those it took out.
struct Rows<'a> {
    slots: Vec<Option<Row<'a>>>,
    at: Vec<usize>,
}

impl<'a> Rows<'a> {
    /// Every row in its order, those taken out put back.
    fn with(self, taken: Vec<Row<'a>>) -> Vec<Row<'a>> {
        let mut slots = self.slots;
        for (i, row) in self.at.into_iter().zip(taken) {
            slots[i] = Some(row);
        }
        slots.into_iter().flatten().collect()
    }
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
