//! Writing records: each write one transaction (or a savepoint of a held one), records
//! compared with their stored copies, links, change-log entries and published revisions
//! written beside them.

use super::changes::{log_change, note_logged};
use super::SqliteStore;
use crate::*;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ','now')";

/// What the store needs to know of a record to keep its row and its links (the
/// PostgreSQL store writes the same rows).
pub(crate) struct Row<'a> {
    pub(crate) record: RecordType,
    pub(crate) slug: &'a str,
    pub(crate) title: &'a str,
    pub(crate) kind: &'a str,
    pub(crate) date: Option<Edtf>,
    pub(crate) data: String,
    /// What the record's card reads of its JSON, as its JSON has it (a slug, a boolean),
    /// copied into its backlinks (migration 13).
    pub(crate) badges: Badges,
    /// `(rel, dst_type, dst_slug, detail)`: the destination is a record type's name or
    /// `collection`.
    pub(crate) links: Vec<Link>,
}

/// A document's legal status and availability, an event's public statement: what a
/// record's card shows beside its title, kind and date.
#[derive(Clone, Copy, Default)]
pub(crate) struct Badges {
    pub(crate) legal_status: Option<&'static str>,
    pub(crate) availability: Option<&'static str>,
    pub(crate) public_statement: Option<bool>,
}

pub(crate) type Link = (&'static str, &'static str, String, Option<String>);

fn many(rel: &'static str, to: RecordType, slugs: &[String]) -> Vec<Link> {
    slugs
        .iter()
        .map(|s| (rel, to.as_str(), s.clone(), None))
        .collect()
}

/// The `links` rows of a record's collections (rel and type `collection`).
fn in_collections(slugs: &[String]) -> impl Iterator<Item = Link> + '_ {
    slugs
        .iter()
        .map(|s| ("collection", "collection", s.clone(), None))
}

fn document_links(d: &Document) -> Vec<Link> {
    use RecordType as T;
    let mut links = many("issued-by", T::Body, &d.issued_by);
    links.extend(many("party", T::Body, &d.parties));
    links.extend(many("author", T::Person, &d.authors));
    links.extend(many("in-dossier", T::Dossier, &d.dossiers));
    links.extend(many("about", T::Topic, &d.topics));
    links.extend(
        d.relations
            .iter()
            .map(|r| (r.kind.slug(), "document", r.document.clone(), None)),
    );
    links.extend(in_collections(&d.collections));
    links
}

fn body_links(b: &Body) -> Vec<Link> {
    let mut links = many("in-dossier", RecordType::Dossier, &b.dossiers);
    links.extend(b.predecessors.iter().map(|l| {
        (
            "successor-of",
            "body",
            l.slug.clone(),
            l.date.map(|d| d.to_string()),
        )
    }));
    links.extend(
        b.part_of
            .iter()
            .map(|p| ("part-of", "body", p.clone(), None)),
    );
    links.extend(
        b.founding_document
            .iter()
            .map(|p| ("founded-by", "document", p.clone(), None)),
    );
    links.extend(in_collections(&b.collections));
    links
}

fn person_links(p: &Person) -> Vec<Link> {
    let mut links = many("in-dossier", RecordType::Dossier, &p.dossiers);
    links.extend(p.offices.iter().filter_map(|o| {
        o.body
            .clone()
            .map(|b| ("office", "body", b, Some(o.title.clone())))
    }));
    links.extend(in_collections(&p.collections));
    links
}

fn event_links(e: &Event) -> Vec<Link> {
    use RecordType as T;
    let mut links = many("held-by", T::Body, &e.bodies);
    links.extend(many("participant", T::Person, &e.people));
    links.extend(many("outcome", T::Document, &e.outcome_documents));
    links.extend(many("in-dossier", T::Dossier, &e.dossiers));
    links.extend(in_collections(&e.collections));
    links
}

fn topic_links(t: &Topic) -> Vec<Link> {
    use RecordType as T;
    let mut links = many("concerns", T::Document, &t.documents);
    links.extend(many("involves", T::Body, &t.bodies));
    links.extend(many("in-dossier", T::Dossier, &t.dossiers));
    links.extend(in_collections(&t.collections));
    links
}

/// The `links` rows the write path keeps for a record: those [`rows`] gives it.
pub(super) fn record_links(record: &Record) -> Vec<Link> {
    match record {
        Record::Document(d) => document_links(d),
        Record::Body(b) => body_links(b),
        Record::Person(p) => person_links(p),
        Record::Event(e) => event_links(e),
        Record::Topic(t) => topic_links(t),
    }
}

pub(crate) fn rows(archive: &Archive) -> Result<Vec<Row<'_>>, serde_json::Error> {
    rows_with(archive, &mut Default::default())
}

/// A record's JSON as stored (its type's own fields, no tag).
pub(super) fn record_json(record: &Record) -> Result<String, serde_json::Error> {
    match record {
        Record::Document(d) => serde_json::to_string(d),
        Record::Body(b) => serde_json::to_string(b),
        Record::Person(p) => serde_json::to_string(p),
        Record::Event(e) => serde_json::to_string(e),
        Record::Topic(t) => serde_json::to_string(t),
    }
}

/// The JSON of records serialised ahead ([`record_json`]), by type and slug.
pub(super) type Serialised = std::collections::HashMap<(RecordType, String), String>;

/// [`rows`], taking each record's JSON from `made` where it was serialised ahead (on
/// another thread) instead of serialising it again.
pub(super) fn rows_with<'a>(
    archive: &'a Archive,
    made: &mut Serialised,
) -> Result<Vec<Row<'a>>, serde_json::Error> {
    use RecordType as T;
    let mut json = |t: RecordType, slug: &str, fresh: &dyn Fn() -> serde_json::Result<String>| {
        if made.is_empty() {
            return fresh();
        }
        match made.remove(&(t, slug.to_string())) {
            Some(data) => Ok(data),
            None => fresh(),
        }
    };
    let mut out = Vec::new();
    for d in &archive.documents {
        out.push(Row {
            record: T::Document,
            slug: &d.slug,
            title: &d.title,
            kind: d.kind.slug(),
            date: d.date,
            data: json(T::Document, &d.slug, &|| serde_json::to_string(d))?,
            badges: Badges {
                legal_status: Some(d.legal_status.slug()),
                availability: Some(d.availability.slug()),
                public_statement: None,
            },
            links: document_links(d),
        });
    }
    for b in &archive.bodies {
        out.push(Row {
            record: T::Body,
            slug: &b.slug,
            title: &b.name,
            kind: b.kind.slug(),
            date: b.established,
            data: json(T::Body, &b.slug, &|| serde_json::to_string(b))?,
            badges: Badges::default(),
            links: body_links(b),
        });
    }
    for p in &archive.people {
        out.push(Row {
            record: T::Person,
            slug: &p.slug,
            title: &p.name,
            kind: "person",
            date: None,
            data: json(T::Person, &p.slug, &|| serde_json::to_string(p))?,
            badges: Badges::default(),
            links: person_links(p),
        });
    }
    for e in &archive.events {
        out.push(Row {
            record: T::Event,
            slug: &e.slug,
            title: &e.title,
            kind: e.kind.slug(),
            date: e.date,
            data: json(T::Event, &e.slug, &|| serde_json::to_string(e))?,
            badges: Badges {
                public_statement: e.public_statement,
                ..Badges::default()
            },
            links: event_links(e),
        });
    }
    for t in &archive.topics {
        out.push(Row {
            record: T::Topic,
            slug: &t.slug,
            title: &t.title,
            kind: t.kind.slug(),
            date: t.as_of,
            data: json(T::Topic, &t.slug, &|| serde_json::to_string(t))?,
            badges: Badges::default(),
            links: topic_links(t),
        });
    }
    Ok(out)
}

/// A transaction that holds the write lock from its start (`BEGIN IMMEDIATE`, waiting for
/// another process's writer up to the busy timeout). A write reads first (the slugs it
/// names, the stored copies it compares with); in a deferred transaction another process
/// could commit between those reads and the first write, which SQLite then refuses
/// (`SQLITE_BUSY_SNAPSHOT`) instead of waiting.
pub(super) fn write_transaction(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}

/// Whether a collection is stored, as the transaction `tx` sees it.
fn collection_stored(tx: &Connection, slug: &str) -> Result<bool, StoreError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM collections WHERE slug = ?1")?
        .exists([slug])?)
}

/// Writes the archive's collections (inserted, or updated where a field differs), before
/// the records that name them.
fn write_collections(tx: &Connection, archive: &Archive, now: &str) -> Result<(), StoreError> {
    for c in &archive.collections {
        tx.prepare_cached(
            "INSERT INTO collections (slug, title, description, source, url, created, changed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (slug) DO UPDATE SET title = excluded.title,
               description = excluded.description, source = excluded.source,
               url = excluded.url, changed = excluded.changed
             WHERE (title, description, source, url)
               IS NOT (excluded.title, excluded.description, excluded.source, excluded.url)",
        )?
        .execute(params![
            c.slug,
            c.title,
            c.description,
            c.source,
            c.url,
            now
        ])?;
    }
    Ok(())
}

/// Whether a record (or dossier) is stored, as the transaction `tx` sees it.
fn is_stored(tx: &Connection, record: RecordType, slug: &str) -> Result<bool, StoreError> {
    let mut stmt = if record == RecordType::Dossier {
        tx.prepare_cached("SELECT 1 FROM dossiers WHERE slug = ?2 AND ?1 = 'dossier'")?
    } else {
        tx.prepare_cached("SELECT 1 FROM records WHERE type = ?1 AND slug = ?2")?
    };
    Ok(stmt.exists(params![record.as_str(), slug])?)
}

/// Runs `f` in a write transaction: its own (`BEGIN IMMEDIATE`), or, inside a held one
/// ([`BulkLoad::hold`]), a savepoint of it, undone alone if `f` fails and committed with the
/// rest by `release`. An error from `f` undoes everything it wrote.
pub(super) fn in_write<T, E: From<StoreError>>(
    store: &SqliteStore,
    f: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E> {
    let mut conn = store.writer.lock().unwrap_or_else(|p| p.into_inner());
    if conn.is_autocommit() {
        let tx = write_transaction(&mut conn).map_err(StoreError::from)?;
        let out = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    } else {
        let sp = conn.savepoint().map_err(StoreError::from)?;
        let out = f(&sp)?;
        sp.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

/// Now, in whole seconds since 1970 (UTC): a revision's time.
pub(super) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Who makes a revision, why and when.
#[derive(Clone, Copy)]
pub(super) struct By<'a> {
    pub(super) author: &'a Author,
    pub(super) comment: &'a str,
    pub(super) at: i64,
}

/// The fields an import kept as editors left them, per record (a JSON list of names).
pub(super) type Kept = std::collections::HashMap<(RecordType, String), String>;

/// How a write records what it changed in `revisions`.
#[derive(Clone, Copy)]
pub(super) enum Revise<'a> {
    /// One published revision per record that changed, with the fields kept per record.
    Each(By<'a>, Option<&'a Kept>),
    /// None: the caller makes the one revision itself (a publish).
    Not,
}

impl Revise<'_> {
    fn record(
        self,
        tx: &Connection,
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
pub(super) fn current_version(
    tx: &Connection,
    record: RecordType,
    slug: &str,
) -> Result<i64, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT COALESCE(MAX(version), 0) FROM revisions
             WHERE type = ?1 AND slug = ?2 AND version IS NOT NULL",
        )?
        .query_row(params![record.as_str(), slug], |r| r.get(0))?)
}

/// Adds a published revision making the record's next version: its JSON after the change
/// (`None`: deleted), and the fields an import kept as editors left them (`kept`, a JSON
/// list). Returns the revision's id.
pub(super) fn insert_published(
    tx: &Connection,
    record: RecordType,
    slug: &str,
    data: Option<&str>,
    by: &By,
    kept: Option<&str>,
) -> Result<i64, StoreError> {
    let base = current_version(tx, record, slug)?;
    tx.prepare_cached(
        "INSERT INTO revisions (type, slug, version, base, status, deleted, author_user,
           author_name, origin, at, comment, data, kept)
         VALUES (?1, ?2, ?3, ?4, 'published', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        record.as_str(),
        slug,
        base + 1,
        base,
        data.is_none(),
        by.author.user,
        by.author.name,
        by.author.origin.as_str(),
        by.at,
        by.comment,
        data,
        kept
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The time stamp of a write: taken once per transaction, so every record and change of a
/// batch says the same time (and SQLite formats it once, not three times per record).
pub(super) fn now(tx: &Connection) -> Result<String, StoreError> {
    Ok(tx.query_row(&format!("SELECT {NOW}"), [], |r| r.get(0))?)
}

/// The statements that write records, prepared once per write rather than looked up in
/// the statement cache for every row.
struct RecordStatements<'t> {
    insert: rusqlite::CachedStatement<'t>,
    existing: rusqlite::CachedStatement<'t>,
    update: rusqlite::CachedStatement<'t>,
    log: rusqlite::CachedStatement<'t>,
    drop_links: rusqlite::CachedStatement<'t>,
    link: rusqlite::CachedStatement<'t>,
}

impl<'t> RecordStatements<'t> {
    fn prepare(tx: &'t Connection) -> Result<Self, StoreError> {
        Ok(RecordStatements {
            // A new record is written by one statement that finds no row: most records of a
            // large import are new, and asking first cost a B-tree search each.
            insert: tx.prepare_cached(
                "INSERT INTO records (type, slug, title, kind, date, date_lo, date_hi, data, created, changed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
                 ON CONFLICT (type, slug) DO NOTHING",
            )?,
            existing: tx.prepare_cached("SELECT data FROM records WHERE type = ?1 AND slug = ?2")?,
            update: tx.prepare_cached(
                "UPDATE records SET title = ?3, kind = ?4, date = ?5, date_lo = ?6, date_hi = ?7,
                   data = ?8, changed = ?9
                 WHERE type = ?1 AND slug = ?2",
            )?,
            log: tx.prepare_cached(
                "INSERT INTO changes (type, slug, op, at) VALUES (?1, ?2, 'upsert', ?3)",
            )?,
            drop_links: tx
                .prepare_cached("DELETE FROM links WHERE src_type = ?1 AND src_slug = ?2")?,
            link: tx.prepare_cached(
                "INSERT INTO links (src_type, src_slug, rel, dst_type, dst_slug, detail,
                   src_title, src_date, src_date_lo, src_date_hi,
                   src_kind, src_legal_status, src_availability, src_public_statement)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            )?,
        })
    }
}

fn write_row(
    tx: &Connection,
    st: &mut RecordStatements,
    row: &Row,
    now: &str,
    summary: &mut WriteSummary,
    revise: Revise,
) -> Result<(), StoreError> {
    let ty = row.record.as_str();
    let (date, lo, hi) = stored_date(row);
    let values = params![ty, row.slug, row.title, row.kind, date, lo, hi, row.data, now];
    let is_new = st.insert.execute(values)? == 1;
    if is_new {
        summary.new += 1;
    } else {
        let existing: String = st.existing.query_row(params![ty, row.slug], |r| r.get(0))?;
        if existing == row.data {
            summary.unchanged += 1;
            return Ok(());
        }
        summary.changed += 1;
        st.update.execute(values)?;
    }
    st.log.execute(params![ty, row.slug, now])?;
    note_logged(tx.last_insert_rowid(), summary);
    revise.record(tx, row.record, row.slug, &row.data)?;
    // A new record has no links yet: only a changed one has old links to drop.
    if !is_new {
        st.drop_links.execute(params![ty, row.slug])?;
    }
    insert_links(st, row, (date.as_deref(), lo, hi))
}

/// A record's date as `records` keeps it: the EDTF text and its earliest and latest day.
fn stored_date(row: &Row) -> (Option<String>, Option<i64>, Option<i64>) {
    (
        row.date.map(|d| d.to_string()),
        row.date.map(|d| d.earliest()),
        row.date.map(|d| d.latest()),
    )
}

/// A record's `links` rows, each with what a backlink shows of the record (its title and
/// its date as [`stored_date`] gives it, migration 12; its kind and badges, 13); a link to
/// a collection carries none, so that a collection's thousands of records keep small index
/// entries.
fn insert_links(
    st: &mut RecordStatements,
    row: &Row,
    (date, lo, hi): (Option<&str>, Option<i64>, Option<i64>),
) -> Result<(), StoreError> {
    let ty = row.record.as_str();
    for (rel, to, slug, detail) in &row.links {
        let source = *to != "collection";
        st.link.execute(params![
            ty,
            row.slug,
            rel,
            to,
            slug,
            detail,
            source.then_some(row.title),
            date.filter(|_| source),
            lo.filter(|_| source),
            hi.filter(|_| source),
            source.then_some(row.kind),
            row.badges.legal_status.filter(|_| source),
            row.badges.availability.filter(|_| source),
            row.badges.public_statement.filter(|_| source),
        ])?;
    }
    Ok(())
}

fn write_dossier(
    tx: &Connection,
    d: &Dossier,
    position: i64,
    now: &str,
    summary: &mut WriteSummary,
    revise: Revise,
) -> Result<(), StoreError> {
    let data = serde_json::to_string(d).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let existing: Option<String> = tx
        .query_row(
            "SELECT data FROM dossiers WHERE slug = ?1",
            [&d.slug],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(x) if x == data => {
            summary.unchanged += 1;
            return Ok(());
        }
        Some(_) => summary.changed += 1,
        None => summary.new += 1,
    }
    tx.execute(
        &format!(
            "INSERT INTO dossiers (slug, title, description, source, position, data, created, changed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, {NOW}, {NOW})
             ON CONFLICT (slug) DO UPDATE SET title = excluded.title, description = excluded.description,
               source = excluded.source, data = excluded.data, changed = excluded.changed"
        ),
        params![d.slug, d.title, d.description, d.source, position, data],
    )?;
    log_change(tx, RecordType::Dossier, &d.slug, "upsert", now, summary)?;
    revise.record(tx, RecordType::Dossier, &d.slug, &data)?;
    tx.execute("DELETE FROM sections WHERE dossier = ?1", [&d.slug])?;
    tx.execute(
        "DELETE FROM links WHERE src_type = 'section' AND src_slug LIKE ?1 || '#%'",
        [&d.slug],
    )?;
    let mut pos = 0i64;
    fn walk(
        tx: &Connection,
        dossier: &str,
        s: &Section,
        parent: Option<&str>,
        pos: &mut i64,
    ) -> Result<(), StoreError> {
        let lists =
            serde_json::to_string(&s.lists).map_err(|e| StoreError::Invalid(e.to_string()))?;
        tx.prepare_cached(
            "INSERT INTO sections (dossier, key, parent_key, position, label, title, short_title, commentary, lists)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![dossier, s.key, parent, *pos, s.label, s.title, s.short_title, s.commentary, lists])?;
        *pos += 1;
        for (i, r) in s.references.iter().enumerate() {
            let target = r
                .target
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            tx.prepare_cached("INSERT INTO section_refs (dossier, section_key, n, text, target) VALUES (?1, ?2, ?3, ?4, ?5)")?
                .execute(params![dossier, s.key, (i + 1) as i64, r.text, target])?;
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
                tx.prepare_cached(
                    "INSERT INTO links (src_type, src_slug, rel, dst_type, dst_slug, detail) VALUES ('section', ?1, 'cites', ?2, ?3, ?4)",
                )?
                .execute(params![format!("{dossier}#{}", s.key), ty, slug, r.text])?;
            }
        }
        for c in &s.children {
            walk(tx, dossier, c, Some(&s.key), pos)?;
        }
        Ok(())
    }
    for s in &d.sections {
        walk(tx, &d.slug, s, None, &mut pos)?;
    }
    Ok(())
}

/// Checks the archive against the model's rules, and the slugs it names against the
/// store as the transaction `tx` sees it: every rule broken, one message each.
pub(super) fn validate_in(tx: &Connection, archive: &Archive) -> Result<(), StoreError> {
    // The slugs the records name are looked up inside the write's own transaction:
    // nothing they name can be deleted between the check and the write, and the
    // writer's pages are the ones in its cache. Records of a batch name the same few
    // bodies and dossiers again and again, so each answer is kept for the batch.
    type Seen = std::collections::HashMap<RecordType, std::collections::HashMap<String, bool>>;
    let seen: std::cell::RefCell<Seen> = Default::default();
    let errors = archive.validate(&|ty, slug| {
        if ty == "collection" {
            return collection_stored(tx, slug).unwrap_or(false);
        }
        let Some(t) = RecordType::parse(ty) else {
            return false;
        };
        if let Some(known) = seen.borrow().get(&t).and_then(|m| m.get(slug)) {
            return *known;
        }
        let known = is_stored(tx, t, slug).unwrap_or(false);
        seen.borrow_mut()
            .entry(t)
            .or_default()
            .insert(slug.to_string(), known);
        known
    });
    if !errors.is_empty() {
        let list: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        return Err(StoreError::Invalid(list.join("; ")));
    }
    Ok(())
}

/// The body of [`Store::write`], in the transaction (or savepoint) `tx`: validates the
/// archive against itself and the store, then writes what changed.
pub(super) fn write_rows(
    tx: &Connection,
    archive: &Archive,
    rows: &[Row],
    revise: Revise,
) -> Result<WriteSummary, StoreError> {
    validate_in(tx, archive)?;
    let mut summary = WriteSummary::default();
    let first_position: i64 = tx.query_row(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM dossiers",
        [],
        |r| r.get(0),
    )?;
    let now = now(tx)?;
    write_collections(tx, archive, &now)?;
    for (i, d) in archive.dossiers.iter().enumerate() {
        write_dossier(tx, d, first_position + i as i64, &now, &mut summary, revise)?;
    }
    let mut statements = RecordStatements::prepare(tx)?;
    for row in rows {
        write_row(tx, &mut statements, row, &now, &mut summary, revise)?;
    }
    Ok(summary)
}

/// A stored record as the transaction that rewrites it read it: its row's columns, its
/// current version and the `links` rows the write path keeps for it (those its JSON
/// gives: [`record_links`]).
#[derive(Debug, Default)]
pub(super) struct Before {
    pub(super) data: String,
    title: String,
    kind: String,
    date: Option<String>,
    date_lo: Option<i64>,
    date_hi: Option<i64>,
    version: i64,
    pub(super) links: Vec<Link>,
}

/// The columns of a `records r` row that [`before_of`] reads (type, slug, then the
/// [`Before`]), its current version included.
pub(super) const BEFORE_COLUMNS: &str =
    "r.type, r.slug, r.data, r.title, r.kind, r.date, r.date_lo, r.date_hi,
     (SELECT COALESCE(MAX(v.version), 0) FROM revisions v
        WHERE v.type = r.type AND v.slug = r.slug AND v.version IS NOT NULL)";

/// A row of [`BEFORE_COLUMNS`]: the record's type, slug and [`Before`] (its links left
/// empty: the caller reads them from the JSON).
pub(super) fn before_of(r: &rusqlite::Row) -> rusqlite::Result<(String, String, Before)> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        Before {
            data: r.get(2)?,
            title: r.get(3)?,
            kind: r.get(4)?,
            date: r.get(5)?,
            date_lo: r.get(6)?,
            date_hi: r.get(7)?,
            version: r.get(8)?,
            links: Vec::new(),
        },
    ))
}

/// What a rewrite does to links: those to `from` (a record of type `record`) go to `into`.
#[derive(Clone, Copy)]
pub(super) struct Relink<'a> {
    pub(super) record: RecordType,
    pub(super) from: &'a str,
    pub(super) into: &'a str,
}

impl Relink<'_> {
    /// How many of `before`'s links moved, if `after` is `before` with its links to
    /// `from` pointed at `into` and nothing else changed (same rows, same order).
    fn moved(&self, before: &[Link], after: &[Link]) -> Option<usize> {
        if before.len() != after.len() {
            return None;
        }
        let mut moved = 0;
        for (b, a) in before.iter().zip(after) {
            if b.1 == self.record.as_str() && b.2 == self.from {
                if (a.0, a.1, a.2.as_str(), &a.3) != (b.0, b.1, self.into, &b.3) {
                    return None;
                }
                moved += 1;
            } else if a != b {
                return None;
            }
        }
        Some(moved)
    }
}

/// Rows of change-log entries and revisions per multi-row statement in [`rewrite_rows`]:
/// one statement per row cost as much again as the rows themselves.
const ROWS_PER_INSERT: usize = 64;

/// The change-log entries and published revisions of records [`rewrite_rows`] changed,
/// written [`ROWS_PER_INSERT`] at a time.
struct Pending<'r> {
    rows: Vec<(&'r Row<'r>, i64)>,
}

impl<'r> Pending<'r> {
    fn push(
        &mut self,
        tx: &Connection,
        row: &'r Row<'r>,
        version: i64,
        by: &By,
        now: &str,
        summary: &mut WriteSummary,
    ) -> Result<(), StoreError> {
        self.rows.push((row, version));
        if self.rows.len() == ROWS_PER_INSERT {
            self.flush(tx, by, now, summary)?;
        }
        Ok(())
    }

    fn flush(
        &mut self,
        tx: &Connection,
        by: &By,
        now: &str,
        summary: &mut WriteSummary,
    ) -> Result<(), StoreError> {
        let n = self.rows.len();
        if n == 0 {
            return Ok(());
        }
        let values = |one: &str| vec![one; n].join(", ");
        let log_sql = format!(
            "INSERT INTO changes (type, slug, op, at) VALUES {}",
            values("(?, ?, 'upsert', ?)")
        );
        let revision_sql = format!(
            "INSERT INTO revisions (type, slug, version, base, status, deleted, author_user,
               author_name, origin, at, comment, data, kept)
             VALUES {}",
            values("(?, ?, ?, ?, 'published', 0, ?, ?, ?, ?, ?, ?, NULL)")
        );
        // The full batch's statements are the same every time; a last, shorter one is not
        // worth a place in the cache.
        let cache = n == ROWS_PER_INSERT;
        insert_many(tx, &log_sql, cache, |log| {
            let mut i = 1;
            for (row, _) in &self.rows {
                log.raw_bind_parameter(i, row.record.as_str())?;
                log.raw_bind_parameter(i + 1, row.slug)?;
                log.raw_bind_parameter(i + 2, now)?;
                i += 3;
            }
            Ok(())
        })?;
        let last = tx.last_insert_rowid();
        // One statement's rows take consecutive sequence numbers.
        note_logged(last - n as i64 + 1, summary);
        note_logged(last, summary);
        insert_many(tx, &revision_sql, cache, |revision| {
            let mut i = 1;
            for (row, version) in &self.rows {
                revision.raw_bind_parameter(i, row.record.as_str())?;
                revision.raw_bind_parameter(i + 1, row.slug)?;
                revision.raw_bind_parameter(i + 2, version + 1)?;
                revision.raw_bind_parameter(i + 3, version)?;
                revision.raw_bind_parameter(i + 4, by.author.user)?;
                revision.raw_bind_parameter(i + 5, &by.author.name)?;
                revision.raw_bind_parameter(i + 6, by.author.origin.as_str())?;
                revision.raw_bind_parameter(i + 7, by.at)?;
                revision.raw_bind_parameter(i + 8, by.comment)?;
                revision.raw_bind_parameter(i + 9, &row.data)?;
                i += 10;
            }
            Ok(())
        })?;
        self.rows.clear();
        Ok(())
    }
}

/// Runs the multi-row insert `sql` with the values `bind` gives it.
fn insert_many(
    tx: &Connection,
    sql: &str,
    cache: bool,
    bind: impl FnOnce(&mut rusqlite::Statement) -> rusqlite::Result<()>,
) -> Result<(), StoreError> {
    if cache {
        let mut stmt = tx.prepare_cached(sql)?;
        bind(&mut stmt)?;
        stmt.raw_execute()?;
    } else {
        let mut stmt = tx.prepare(sql)?;
        bind(&mut stmt)?;
        stmt.raw_execute()?;
    }
    Ok(())
}

/// Writes records this transaction has just read (`before`, by type and slug) and changed
/// by `relink` (a merge): validated as [`write_rows`] validates, and each changed record
/// logged and given a published revision as there, but without asking the store again
/// for what `before` holds, and
///
/// - a record whose title, kind and date stayed has only its JSON rewritten (its row in
///   `records_by_date` stays);
/// - a record whose links are its old ones with those to `from` pointed at `into` keeps
///   its `links` rows, those links repointed by one statement per record type for all of
///   them (instead of every row deleted and inserted again); any other has its rows
///   rewritten;
/// - change-log entries and revisions go in [`ROWS_PER_INSERT`] rows per statement.
///
/// A row without a `before` (a dossier, or a record not read first) is written as
/// [`write_rows`] writes it. Each published revision names `by`.
pub(super) fn rewrite_rows(
    tx: &Connection,
    archive: &Archive,
    rows: &[Row],
    before: &std::collections::HashMap<(RecordType, &str), &Before>,
    relink: Relink,
    by: By,
) -> Result<WriteSummary, StoreError> {
    validate_in(tx, archive)?;
    let mut summary = WriteSummary::default();
    let first_position: i64 = tx.query_row(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM dossiers",
        [],
        |r| r.get(0),
    )?;
    let now = now(tx)?;
    let revise = Revise::Each(by, None);
    write_collections(tx, archive, &now)?;
    for (i, d) in archive.dossiers.iter().enumerate() {
        write_dossier(tx, d, first_position + i as i64, &now, &mut summary, revise)?;
    }
    let mut st = RecordStatements::prepare(tx)?;
    let mut data_only = tx.prepare_cached(
        "UPDATE records SET data = ?3, changed = ?4 WHERE type = ?1 AND slug = ?2",
    )?;
    let mut pending = Pending { rows: Vec::new() };
    // Per record type, the records whose links only move, and how many links move.
    let mut moving: std::collections::BTreeMap<RecordType, (Vec<&Row>, usize)> = Default::default();
    for row in rows {
        let Some(b) = before.get(&(row.record, row.slug)) else {
            write_row(tx, &mut st, row, &now, &mut summary, revise)?;
            continue;
        };
        if b.data == row.data {
            summary.unchanged += 1;
            continue;
        }
        summary.changed += 1;
        let ty = row.record.as_str();
        let date = row.date.map(|d| d.to_string());
        let (lo, hi) = (row.date.map(|d| d.earliest()), row.date.map(|d| d.latest()));
        if (row.title, row.kind, &date, lo, hi)
            == (
                b.title.as_str(),
                b.kind.as_str(),
                &b.date,
                b.date_lo,
                b.date_hi,
            )
        {
            data_only.execute(params![ty, row.slug, row.data, now])?;
        } else {
            st.update.execute(params![
                ty, row.slug, row.title, row.kind, date, lo, hi, row.data, now
            ])?;
        }
        pending.push(tx, row, b.version, &by, &now, &mut summary)?;
        match relink.moved(&b.links, &row.links) {
            Some(0) => {}
            Some(n) => {
                let m = moving.entry(row.record).or_default();
                m.0.push(row);
                m.1 += n;
            }
            None => rewrite_links(&mut st, row)?,
        }
    }
    pending.flush(tx, &by, &now, &mut summary)?;
    for (record, (moved_rows, expected)) in moving {
        let slugs: Vec<&str> = moved_rows.iter().map(|r| r.slug).collect();
        let slugs =
            serde_json::to_string(&slugs).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let moved = tx
            .prepare_cached(
                // Found from each record's own rows (`links_by_src`): those of every
                // record that links to `from` (`links_by_dst`) are many more.
                "UPDATE links SET dst_slug = ?3 WHERE rowid IN (
                     SELECT l.rowid FROM json_each(?5) j
                     CROSS JOIN links l ON l.src_type = ?4 AND l.src_slug = j.value
                     WHERE l.dst_type = ?1 AND l.dst_slug = ?2)",
            )?
            .execute(params![
                relink.record.as_str(),
                relink.from,
                relink.into,
                record.as_str(),
                slugs
            ])?;
        if moved != expected {
            // The stored rows were not those the old JSON gives (a store written by an
            // older version?): each record's rows are written whole, as any write does.
            tracing::warn!(
                record = record.as_str(),
                moved,
                expected,
                "links not as their records name them; rewritten"
            );
            for row in moved_rows {
                rewrite_links(&mut st, row)?;
            }
        }
    }
    Ok(summary)
}

/// Replaces a stored record's `links` rows with `row`'s.
fn rewrite_links(st: &mut RecordStatements, row: &Row) -> Result<(), StoreError> {
    st.drop_links
        .execute(params![row.record.as_str(), row.slug])?;
    let (date, lo, hi) = stored_date(row);
    insert_links(st, row, (date.as_deref(), lo, hi))
}

/// [`Store::write`]: a write nobody attributed, every field overwritten.
pub(super) fn write(store: &SqliteStore, archive: &Archive) -> Result<WriteSummary, StoreError> {
    let options = WriteOptions {
        author: Author::unattributed(),
        comment: String::new(),
        protect_edits: false,
    };
    Ok(write_as(store, archive, &options)?.0)
}

/// [`Revisions::write_as`].
pub(super) fn write_as(
    store: &SqliteStore,
    archive: &Archive,
    options: &WriteOptions,
) -> Result<(WriteSummary, Vec<EditConflict>), StoreError> {
    // Serialised before the writer's lock is taken.
    let rows = rows(archive).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let by = By {
        author: &options.author,
        comment: &options.comment,
        at: unix_now(),
    };
    in_write(store, |tx| {
        let mut conflicts = Vec::new();
        if options.protect_edits {
            if let Some((merged, kept)) =
                super::revisions::protect(tx, archive, &rows, &mut conflicts)?
            {
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
pub(super) fn delete(
    store: &SqliteStore,
    record: RecordType,
    slug: &str,
) -> Result<bool, StoreError> {
    in_write(store, |tx| {
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
pub(super) fn delete_in(
    tx: &Connection,
    record: RecordType,
    slug: &str,
) -> Result<bool, StoreError> {
    let linking: Vec<String> = {
        let mut stmt = tx.prepare_cached(
            "SELECT DISTINCT src_type || ' `' || src_slug || '`' FROM links
             WHERE dst_type = ?1 AND dst_slug = ?2 AND NOT (src_type = ?1 AND src_slug = ?2)
               AND NOT (src_type = 'section' AND src_slug LIKE ?2 || '#%' AND ?1 = 'dossier')",
        )?;
        let rows = stmt.query_map(params![record.as_str(), slug], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    if !linking.is_empty() {
        return Err(StoreError::Invalid(format!(
            "cannot delete {} `{slug}`: {} still link to it",
            record.as_str(),
            linking.join(", ")
        )));
    }
    let deleted = if record == RecordType::Dossier {
        tx.execute(
            "DELETE FROM links WHERE src_type = 'section' AND src_slug LIKE ?1 || '#%'",
            [slug],
        )?;
        tx.execute("DELETE FROM dossiers WHERE slug = ?1", [slug])?
    } else {
        tx.execute(
            "DELETE FROM links WHERE src_type = ?1 AND src_slug = ?2",
            params![record.as_str(), slug],
        )?;
        tx.execute(
            "DELETE FROM records WHERE type = ?1 AND slug = ?2",
            params![record.as_str(), slug],
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
