//! `dossier copy` (issue 29): a whole archive moved between two stores, SQLite or
//! PostgreSQL either way, row by row, verified.
//!
//! Why rows and not the store's write API: a write makes new revisions and change-log
//! entries, and an archive moved to another database must keep its history as it is:
//! every id, version, time and sequence number. So every table the migrations make is
//! copied as it stands ([`TABLES`], checked against both databases' own catalogues before
//! anything is written, so a table or column added by a later migration and forgotten here
//! is refused instead of silently left behind), and the id counters after them (SQLite's
//! `sqlite_sequence`, PostgreSQL's identity sequences), so that an id given to a deleted
//! account or token is not given again.
//!
//! The rows go into the target in one transaction (all or nothing) under the target's
//! writer lock (SQLite's `BEGIN IMMEDIATE`; PostgreSQL's writer advisory lock, which every
//! server's write takes first), and only into a target whose tables are all empty. They
//! are read from the source in one snapshot (a read transaction), so a server writing to
//! the source meanwhile cannot tear the copy. WARC files go through [`Captures`] before
//! the rows: a file already in the target (left by a copy that failed afterwards) is kept
//! when it is the same bytes and refused otherwise.
//!
//! Verification: per table, the row count and a SHA-256 over a canonical encoding of every
//! row in primary-key order (all columns for the one table without a key), with values
//! normalised so that SQLite's integers and text and PostgreSQL's bigint, text and boolean
//! compare equal ([`Value`]); computed on the source as it is read and on the target read
//! back after the commit. WARC files by name and SHA-256; id counters by value.
//!
//! The search index is not part of the store and is not copied: a server builds its own
//! from the store on its first start (or `dossier reindex`).

use crate::any::AnyStore;
use crate::captures::Captures;
use crate::{Store, StoreError};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// How a column's values are kept. Booleans are 0/1 integers in SQLite and `boolean` in
/// PostgreSQL; both read as [`Value::Int`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Int,
    Bool,
}

#[derive(Debug)]
pub(crate) struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
    }
}
const fn int(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
    }
}
const fn flag(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Bool,
    }
}

/// How a table's ids are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ids {
    /// No generated id.
    None,
    /// `AUTOINCREMENT` in SQLite, an identity column in PostgreSQL: the counter is kept
    /// (it may be past the largest id left, after deletions) and verified.
    Counter(&'static str),
    /// `records.id`: PostgreSQL's identity column, what SQLite's `rowid` is (kept both
    /// ways, so cards' ids stay); SQLite keeps no counter for it.
    RowId(&'static str),
}

/// A table the migrations make, as the copy moves it.
#[derive(Debug)]
pub(crate) struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
    /// The primary key, in order; empty: the rows are ordered by every column.
    pub key: &'static [&'static str],
    pub ids: Ids,
    /// A self-reference (sections' parents): the columns that name a row, and the ones
    /// that name its parent. Parents are written before their children.
    pub parent: Option<(&'static [&'static str], &'static [&'static str])>,
}

impl Table {
    /// Whether `column` is SQLite's `rowid` (not a declared column there).
    pub fn is_rowid(&self, column: &str) -> bool {
        matches!(self.ids, Ids::RowId(c) if c == column)
    }

    fn index_of(&self, column: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.name == column)
            .expect("a column of the table")
    }

    /// The columns to order by: the key, or every column.
    pub fn order(&self) -> Vec<&'static str> {
        if self.key.is_empty() {
            self.columns.iter().map(|c| c.name).collect()
        } else {
            self.key.to_vec()
        }
    }
}

/// Every table of both schemas (SQLite's `migrations.rs`, PostgreSQL's
/// `postgres/migrations.rs`), parents before the tables whose foreign keys name them.
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "dossiers",
        columns: &[
            text("slug"),
            text("title"),
            text("description"),
            text("source"),
            int("position"),
            text("data"),
            text("created"),
            text("changed"),
        ],
        key: &["slug"],
        ids: Ids::None,
        parent: None,
    },
    Table {
        name: "sections",
        columns: &[
            text("dossier"),
            text("key"),
            text("parent_key"),
            int("position"),
            text("label"),
            text("title"),
            text("short_title"),
            text("commentary"),
            text("lists"),
        ],
        key: &["dossier", "key"],
        ids: Ids::None,
        parent: Some((&["dossier", "key"], &["dossier", "parent_key"])),
    },
    Table {
        name: "section_refs",
        columns: &[
            text("dossier"),
            text("section_key"),
            int("n"),
            text("text"),
            text("target"),
        ],
        key: &["dossier", "section_key", "n"],
        ids: Ids::None,
        parent: None,
    },
    Table {
        name: "records",
        columns: &[
            int("id"),
            text("type"),
            text("slug"),
            text("title"),
            text("kind"),
            text("date"),
            int("date_lo"),
            int("date_hi"),
            text("data"),
            text("created"),
            text("changed"),
        ],
        key: &["type", "slug"],
        ids: Ids::RowId("id"),
        parent: None,
    },
    Table {
        name: "links",
        columns: &[
            text("src_type"),
            text("src_slug"),
            text("rel"),
            text("dst_type"),
            text("dst_slug"),
            text("detail"),
        ],
        key: &[],
        ids: Ids::None,
        parent: None,
    },
    Table {
        name: "changes",
        columns: &[
            int("seq"),
            text("type"),
            text("slug"),
            text("op"),
            text("at"),
        ],
        key: &["seq"],
        ids: Ids::Counter("seq"),
        parent: None,
    },
    Table {
        name: "tombstones",
        columns: &[
            text("type"),
            text("slug"),
            text("kind"),
            text("data"),
            text("at"),
        ],
        key: &["type", "slug"],
        ids: Ids::None,
        parent: None,
    },
    Table {
        name: "collections",
        columns: &[
            text("slug"),
            text("title"),
            text("description"),
            text("source"),
            text("url"),
            text("created"),
            text("changed"),
        ],
        key: &["slug"],
        ids: Ids::None,
        parent: None,
    },
    Table {
        name: "users",
        columns: &[
            int("id"),
            text("email"),
            text("name"),
            text("role"),
            text("password_hash"),
            flag("disabled"),
            int("created"),
            int("last_login"),
            int("failed_logins"),
            int("locked_until"),
        ],
        key: &["id"],
        ids: Ids::Counter("id"),
        parent: None,
    },
    Table {
        name: "sessions",
        columns: &[
            text("id_hash"),
            int("user_id"),
            text("csrf"),
            int("created"),
            int("last_seen"),
        ],
        key: &["id_hash"],
        ids: Ids::None,
        parent: None,
    },
    Table {
        name: "login_limits",
        columns: &[
            text("kind"),
            text("key"),
            int("failures"),
            int("last"),
            int("held_until"),
        ],
        key: &["kind", "key"],
        ids: Ids::None,
        parent: None,
    },
    Table {
        name: "api_tokens",
        columns: &[
            int("id"),
            int("user_id"),
            text("scope"),
            text("label"),
            text("hash"),
            int("created"),
            int("last_used"),
            int("revoked"),
        ],
        key: &["id"],
        ids: Ids::Counter("id"),
        parent: None,
    },
    Table {
        name: "audit",
        columns: &[
            int("id"),
            int("at"),
            text("event"),
            int("user_id"),
            text("email"),
            text("actor"),
            text("address"),
            text("detail"),
        ],
        key: &["id"],
        ids: Ids::Counter("id"),
        parent: None,
    },
    Table {
        name: "revisions",
        columns: &[
            int("id"),
            text("type"),
            text("slug"),
            int("version"),
            int("base"),
            text("status"),
            flag("deleted"),
            int("author_user"),
            text("author_name"),
            text("origin"),
            int("at"),
            text("comment"),
            int("reviewer_user"),
            text("reviewer_name"),
            text("reviewer_origin"),
            int("reviewed_at"),
            text("review_comment"),
            text("data"),
            text("kept"),
        ],
        key: &["id"],
        ids: Ids::Counter("id"),
        parent: None,
    },
    Table {
        name: "link_checks",
        columns: &[
            int("id"),
            text("url"),
            int("checked_at"),
            text("outcome"),
            int("status"),
            text("final_url"),
            text("redirects"),
            text("message"),
            int("elapsed_ms"),
        ],
        key: &["id"],
        ids: Ids::Counter("id"),
        parent: None,
    },
    Table {
        name: "link_runs",
        columns: &[
            int("id"),
            text("trigger"),
            int("started_at"),
            int("finished_at"),
            int("checked"),
            int("failed"),
        ],
        key: &["id"],
        ids: Ids::Counter("id"),
        parent: None,
    },
    Table {
        name: "captures",
        columns: &[
            int("id"),
            text("page"),
            text("url"),
            int("captured_at"),
            text("warc_file"),
            int("offset"),
            int("length"),
            int("status"),
            text("content_type"),
            text("sha256"),
        ],
        key: &["id"],
        ids: Ids::Counter("id"),
        parent: None,
    },
    Table {
        name: "merges",
        columns: &[
            int("id"),
            text("type"),
            text("from_slug"),
            text("into_slug"),
            int("author_user"),
            text("author_name"),
            text("origin"),
            int("at"),
            text("comment"),
            int("undone_user"),
            text("undone_name"),
            text("undone_origin"),
            int("undone_at"),
        ],
        key: &["id"],
        ids: Ids::Counter("id"),
        parent: None,
    },
    Table {
        name: "merge_records",
        columns: &[
            int("merge_id"),
            text("type"),
            text("slug"),
            text("role"),
            int("version"),
        ],
        key: &["merge_id", "type", "slug"],
        ids: Ids::None,
        parent: None,
    },
    Table {
        name: "redirects",
        columns: &[text("type"), text("slug"), text("target"), int("merge_id")],
        key: &["type", "slug"],
        ids: Ids::None,
        parent: None,
    },
    Table {
        name: "merge_redirects",
        columns: &[
            int("merge_id"),
            text("type"),
            text("slug"),
            text("old_target"),
            int("old_merge_id"),
        ],
        key: &["merge_id", "type", "slug"],
        ids: Ids::None,
        parent: None,
    },
    Table {
        name: "settings",
        columns: &[text("name"), text("value")],
        key: &["name"],
        ids: Ids::None,
        parent: None,
    },
];

/// Tables a store has that are not copied as rows: each backend's own bookkeeping (the
/// schema version, SQLite's id counters, which the copy carries itself) and PostgreSQL's
/// WARC files, which go through [`Captures`] like SQLite's files do.
pub(crate) const NOT_ROWS: &[&str] = &["dossier_schema", "sqlite_sequence", "warc_files"];

/// Columns a store makes from its other rows, not copied: SQLite's copy of each link's
/// source title and date (its migration 12) and card (13), which a SQLite target fills
/// again from `records` before its commit.
pub(crate) const DERIVED: &[(&str, &[&str])] = &[(
    "links",
    &[
        "src_title",
        "src_date",
        "src_date_lo",
        "src_date_hi",
        "src_kind",
        "src_legal_status",
        "src_availability",
        "src_public_statement",
    ],
)];

fn derived(table: &str, column: &str) -> bool {
    DERIVED
        .iter()
        .any(|(t, columns)| *t == table && columns.contains(&column))
}

/// One value of a row, the same whichever database it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
}

/// A row's values, in the order of its table's columns.
pub(crate) type Row = Vec<Value>;

/// Adds `row` to a table's checksum: per value a tag, then (for an integer) its 8 bytes
/// big-endian or (for text) its byte length as 8 bytes big-endian and its UTF-8 bytes.
fn hash_row(hash: &mut Sha256, row: &Row) {
    for v in row {
        match v {
            Value::Null => hash.update([0u8]),
            Value::Int(i) => {
                hash.update([1u8]);
                hash.update(i.to_be_bytes());
            }
            Value::Text(s) => {
                hash.update([2u8]);
                hash.update((s.len() as u64).to_be_bytes());
                hash.update(s.as_bytes());
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// "records (type=document, slug=x)": a row named by its key, for messages.
pub(crate) fn describe_row(table: &Table, row: &Row) -> String {
    let names = table.order();
    let shown: Vec<String> = names
        .iter()
        .take(4)
        .map(|c| {
            let v = &row[table.index_of(c)];
            let v = match v {
                Value::Null => "NULL".to_string(),
                Value::Int(i) => i.to_string(),
                Value::Text(s) if s.chars().count() > 60 => {
                    format!("{:?}…", s.chars().take(60).collect::<String>())
                }
                Value::Text(s) => format!("{s:?}"),
            };
            format!("{c}={v}")
        })
        .collect();
    format!("{} ({})", table.name, shown.join(", "))
}

/// What went wrong: a refusal (the places, their contents, a row the target cannot
/// take, a mismatch) or the store's error.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CopyError {
    fn from(e: rusqlite::Error) -> Self {
        CopyError::Store(e.into())
    }
}

fn refused(message: impl Into<String>) -> CopyError {
    CopyError::Refused(message.into())
}

/// One end of a copy as a backend moves raw rows (implemented by each backend's `raw`
/// module, on a connection of its own).
pub(crate) trait Raw {
    /// Every table of the store's schema and its columns (SQLite's `rowid` not among
    /// them).
    fn catalogue(&mut self) -> Result<BTreeMap<String, BTreeSet<String>>, CopyError>;
    /// Starts a read-only snapshot: what the reads below see until [`Raw::end_read`].
    fn begin_read(&mut self) -> Result<(), CopyError>;
    fn end_read(&mut self) -> Result<(), CopyError>;
    /// Whether the table holds no row.
    fn is_empty(&mut self, table: &Table) -> Result<bool, CopyError>;
    fn count(&mut self, table: &Table) -> Result<u64, CopyError>;
    /// Every row, in [`Table::order`] order, handed to `each`.
    fn scan(
        &mut self,
        table: &Table,
        each: &mut dyn FnMut(Row) -> Result<(), CopyError>,
    ) -> Result<(), CopyError>;
    /// The id counter of a [`Ids::Counter`] table: the largest id ever given (0: none).
    fn id_counter(&mut self, table: &Table) -> Result<i64, CopyError>;
    /// Starts the write transaction, under the store's writer lock.
    fn begin_write(&mut self) -> Result<(), CopyError>;
    /// Inserts rows as they are (ids included).
    fn insert(&mut self, table: &Table, rows: &[Row]) -> Result<(), CopyError>;
    /// Sets the id counter of the table's ids column to `value` (its rows are in).
    fn set_id_counter(&mut self, table: &Table, value: i64) -> Result<(), CopyError>;
    fn commit(&mut self) -> Result<(), CopyError>;
    fn rollback(&mut self);
}

/// Where an archive is: a data directory (SQLite in its `dossier.db`, WARC files in its
/// `warc/`) or a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    DataDir(PathBuf),
    Database(String),
}

impl Place {
    /// Reads a `--from`/`--to` argument: a `postgres://`/`postgresql://` URL or libpq's
    /// `key=value` settings name a database; another URL scheme is refused; anything else
    /// is a data directory.
    pub fn parse(arg: &str) -> Result<Place, CopyError> {
        let trimmed = arg.trim();
        if trimmed.is_empty() {
            return Err(refused(
                "an empty place: name a data directory or a postgres:// URL",
            ));
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Place::Database(trimmed.to_string()));
        }
        if let Some(colon) = trimmed.find("://") {
            let scheme = &trimmed[..colon];
            if !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            {
                return Err(refused(format!(
                    "{scheme}:// is not a place an archive can be copied from or to: only \
                     postgres:// and postgresql:// URLs name a database, anything else must be \
                     a data directory's path"
                )));
            }
        }
        if is_key_value(trimmed) {
            return Ok(Place::Database(trimmed.to_string()));
        }
        Ok(Place::DataDir(PathBuf::from(arg)))
    }

    /// For messages: the path, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Place::DataDir(d) => d.display().to_string(),
            Place::Database(url) => crate::postgres::raw::redacted(url),
        }
    }

    /// Whether the two name the same archive (the same directory, the same URL).
    pub fn same_as(&self, other: &Place) -> bool {
        match (self, other) {
            (Place::DataDir(a), Place::DataDir(b)) => {
                let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
                canon(a) == canon(b)
            }
            (Place::Database(a), Place::Database(b)) => a.trim() == b.trim(),
            _ => false,
        }
    }
}

/// libpq's `key=value` settings ("host=/run/postgresql dbname=archive"): the first word
/// is a lower-case setting name and `=`.
fn is_key_value(s: &str) -> bool {
    let first = s.split_whitespace().next().unwrap_or("");
    match first.split_once('=') {
        Some((key, _)) => {
            !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        }
        None => false,
    }
}

/// The store file of a data directory.
pub fn database_file(data_dir: &Path) -> PathBuf {
    data_dir.join("dossier.db")
}

/// What a SQLite file holds, read without writing it.
enum FileState {
    /// A new, empty file (or none).
    Empty,
    /// A dossier store, with the tables that hold rows.
    Archive { holding: Vec<&'static str> },
}

/// Opens `file` read-only and says whether it is empty or a dossier store; anything else
/// (not SQLite, another program's database, unreadable) is refused, naming it.
fn inspect_file(file: &Path) -> Result<FileState, CopyError> {
    use rusqlite::OpenFlags;
    let not_sqlite = |e: rusqlite::Error| {
        refused(format!(
            "{} is not a dossier store: it cannot be read as a SQLite database ({e})",
            file.display()
        ))
    };
    let conn = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(not_sqlite)?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(not_sqlite)?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(not_sqlite)?;
    if version == 0 && tables.is_empty() {
        return Ok(FileState::Empty);
    }
    if version == 0 || !tables.iter().any(|t| t == "records") {
        return Err(refused(format!(
            "{} is a SQLite database but not a dossier store (schema version {version}, \
             tables: {})",
            file.display(),
            if tables.is_empty() {
                "none".to_string()
            } else {
                tables.join(", ")
            }
        )));
    }
    let mut holding = Vec::new();
    for t in TABLES {
        if tables.iter().any(|name| name == t.name) {
            let sql = format!("SELECT EXISTS (SELECT 1 FROM \"{}\")", t.name);
            if conn.query_row(&sql, [], |r| r.get(0)).map_err(not_sqlite)? {
                holding.push(t.name);
            }
        }
    }
    Ok(FileState::Archive { holding })
}

/// The refusal of a target that holds rows (`held`: the tables).
fn not_empty(name: &str, held: &[&str]) -> CopyError {
    refused(format!(
        "the target {name} is not empty (it holds rows in {}): a copy goes only into an \
         empty archive; choose a new data directory or an empty database (or schema)",
        held.join(", ")
    ))
}

/// Opens the archive to copy from: it must exist and be a dossier store (opening one
/// brings its schema up to this program's, as every command does).
pub fn open_source(place: &Place) -> Result<AnyStore, CopyError> {
    match place {
        Place::DataDir(dir) => {
            let meta = std::fs::metadata(dir).map_err(|e| {
                refused(format!(
                    "cannot read the data directory {}: {e}",
                    dir.display()
                ))
            })?;
            if !meta.is_dir() {
                return Err(refused(format!(
                    "{} is a file, not a data directory (name the folder that holds dossier.db)",
                    dir.display()
                )));
            }
            let file = database_file(dir);
            if !file.is_file() {
                return Err(refused(format!(
                    "{} holds no archive: there is no {}",
                    dir.display(),
                    file.display()
                )));
            }
            match inspect_file(&file)? {
                FileState::Empty => Err(refused(format!(
                    "{} holds an empty store: nothing to copy",
                    dir.display()
                ))),
                FileState::Archive { .. } => AnyStore::sqlite(&file)
                    .map_err(|e| refused(format!("cannot open the store {}: {e}", file.display()))),
            }
        }
        Place::Database(url) => {
            crate::postgres::raw::check_copy_end(url, true)?;
            AnyStore::postgres(url).map_err(CopyError::from)
        }
    }
}

/// Checks the data directory to copy into, without writing: a directory (or nothing yet),
/// whose store is new, empty or a dossier store (its emptiness is checked under the
/// writer lock), and with no search index of another archive in it. Call before taking
/// the directory's writer lock.
pub fn check_target_dir(dir: &Path) -> Result<(), CopyError> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(refused(format!(
                "{} is a file, not a data directory: the copy needs a directory to put \
                 dossier.db in",
                dir.display()
            )))
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(refused(format!(
                "cannot read the data directory {}: {e}",
                dir.display()
            )))
        }
    }
    let file = database_file(dir);
    match std::fs::metadata(&file) {
        Ok(m) if !m.is_file() => {
            return Err(refused(format!("{} is not a file", file.display())));
        }
        Ok(_) => {
            if let FileState::Archive { holding } = inspect_file(&file)? {
                if !holding.is_empty() {
                    return Err(not_empty(&dir.display().to_string(), &holding));
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(refused(format!("cannot read {}: {e}", file.display()))),
    }
    let index = dir.join("index");
    if index.exists() {
        return Err(refused(format!(
            "{} holds a search index ({}) though its store is to be filled by the copy: it \
             belongs to another archive; remove it (the copy's index is built on the first \
             `dossier serve` or `dossier reindex`)",
            dir.display(),
            index.display()
        )));
    }
    Ok(())
}

/// Opens (creating and migrating) the store to copy into. A data directory must have
/// passed [`check_target_dir`].
pub fn open_target(place: &Place) -> Result<AnyStore, CopyError> {
    match place {
        Place::DataDir(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                refused(format!(
                    "cannot create the data directory {}: {e}",
                    dir.display()
                ))
            })?;
            let file = database_file(dir);
            AnyStore::sqlite(&file)
                .map_err(|e| refused(format!("cannot open the store {}: {e}", file.display())))
        }
        Place::Database(url) => {
            crate::postgres::raw::check_copy_end(url, false)?;
            AnyStore::postgres(url).map_err(CopyError::from)
        }
    }
}

/// Where the copy is, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// WARC files, counted in files.
    Warc,
    /// Rows into the target, counted in rows.
    Copy,
    /// Rows read back from the target, counted in rows.
    Verify,
}

/// What the copy tells a progress display; every method does nothing by default.
pub trait CopyProgress {
    /// A phase starts with `total` units to do.
    fn start(&mut self, _phase: Phase, _total: u64) {}
    /// Work moved on to `table` (a table's name, or a WARC file's).
    fn item(&mut self, _name: &str) {}
    /// `n` more units are done.
    fn advance(&mut self, _n: u64) {}
    /// `name` is done, with `rows` rows (WARC: bytes).
    fn item_done(&mut self, _name: &str, _rows: u64) {}
    fn finish(&mut self, _phase: Phase) {}
}

impl CopyProgress for () {}

/// A table's count and checksum on each side.
#[derive(Debug, Clone, Serialize)]
pub struct TableCheck {
    pub table: String,
    pub source_rows: u64,
    pub target_rows: u64,
    /// SHA-256, lowercase hex.
    pub source_sha256: String,
    pub target_sha256: String,
}

impl TableCheck {
    pub fn ok(&self) -> bool {
        self.source_rows == self.target_rows && self.source_sha256 == self.target_sha256
    }
}

/// A WARC file's size and digest on each side.
#[derive(Debug, Clone, Serialize)]
pub struct WarcCheck {
    pub name: String,
    pub bytes: u64,
    pub source_sha256: String,
    /// `None`: the target lacks it.
    pub target_sha256: Option<String>,
    /// The target had it already (from an earlier copy that failed after its files).
    pub reused: bool,
}

impl WarcCheck {
    pub fn ok(&self) -> bool {
        self.target_sha256.as_deref() == Some(self.source_sha256.as_str())
    }
}

/// An id counter on each side (the largest id ever given).
#[derive(Debug, Clone, Serialize)]
pub struct CounterCheck {
    pub table: String,
    pub column: String,
    pub source: i64,
    pub target: i64,
}

impl CounterCheck {
    pub fn ok(&self) -> bool {
        self.source == self.target
    }
}

/// What a copy did and what its verification found.
#[derive(Debug, Clone, Serialize)]
pub struct CopyReport {
    pub from: String,
    pub to: String,
    pub tables: Vec<TableCheck>,
    pub warc_files: Vec<WarcCheck>,
    /// WARC files in the target that the source lacks (after the copy).
    pub extra_warc_files: Vec<String>,
    /// WARC files that capture rows name but the source does not keep (its replay of
    /// them fails already): the copy is as the source, and says so.
    pub uncopied_warc_files: Vec<String>,
    pub counters: Vec<CounterCheck>,
    pub seconds: f64,
}

impl CopyReport {
    pub fn ok(&self) -> bool {
        self.tables.iter().all(TableCheck::ok)
            && self.warc_files.iter().all(WarcCheck::ok)
            && self.extra_warc_files.is_empty()
            && self.counters.iter().all(CounterCheck::ok)
    }

    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.source_rows).sum()
    }
}

/// Rows handed to the target at once: one statement's worth (PostgreSQL: one `COPY`).
const BATCH_ROWS: usize = 2_000;
/// Bytes of text handed to the target at once, at most (large records' JSON).
const BATCH_BYTES: usize = 16 << 20;

/// Copies the whole archive of `from` into `to` (whose tables must all be empty), then
/// reads the target back and compares. `from_name`/`to_name` name them in messages.
///
/// Rows: all or nothing, in one transaction of the target. WARC files are written before
/// the rows (each one whole); a copy that fails after them leaves them in the target, and
/// the next copy of the same source reuses them.
pub fn copy(
    from: &AnyStore,
    to: &AnyStore,
    from_name: &str,
    to_name: &str,
    progress: &mut dyn CopyProgress,
) -> Result<CopyReport, CopyError> {
    let started = std::time::Instant::now();
    let mut src = from.raw()?;
    let mut dst = to.raw()?;
    check_catalogue(src.as_mut(), from_name)?;
    check_catalogue(dst.as_mut(), to_name)?;
    refuse_non_empty(dst.as_mut(), to_name)?;

    let (src_caps, dst_caps) = match (from.captures(), to.captures()) {
        (Some(s), Some(d)) => (s, d),
        _ => return Err(refused("a store without archived copies cannot be copied")),
    };
    // The source's snapshot first: every WARC file its capture rows name was written
    // before them (a capture keeps its file, then indexes it), so the files listed after
    // it include them all.
    src.begin_read()?;
    let warc = copy_warc_files(src_caps, dst_caps, to_name, progress)?;

    let counts = {
        let mut counts = Vec::with_capacity(TABLES.len());
        for t in TABLES {
            counts.push(src.count(t)?);
        }
        counts
    };
    dst.begin_write()?;
    let copied = (|| {
        // Again under the lock: nothing may have come in since the first look.
        refuse_non_empty(dst.as_mut(), to_name)?;
        copy_rows(src.as_mut(), dst.as_mut(), &counts, progress)
    })();
    let Copied {
        sums,
        counters,
        cited_warc,
    } = match copied {
        Ok(done) => done,
        Err(e) => {
            dst.rollback();
            let _ = src.end_read();
            return Err(e);
        }
    };
    if let Err(e) = dst.commit() {
        dst.rollback();
        let _ = src.end_read();
        return Err(e);
    }
    src.end_read()?;

    // Read back from the target, committed, by a new snapshot.
    let mut check = to.raw()?;
    check.begin_read()?;
    progress.start(Phase::Verify, counts.iter().sum());
    let mut tables = Vec::with_capacity(TABLES.len());
    for (t, (rows, sum)) in TABLES.iter().zip(sums) {
        progress.item(t.name);
        let (target_rows, target_sum) = checksum(check.as_mut(), t, progress)?;
        progress.item_done(t.name, target_rows);
        tables.push(TableCheck {
            table: t.name.to_string(),
            source_rows: rows,
            target_rows,
            source_sha256: sum,
            target_sha256: target_sum,
        });
    }
    let mut counter_checks = Vec::new();
    for (t, column, value) in counters {
        counter_checks.push(CounterCheck {
            table: t.name.to_string(),
            column: column.to_string(),
            source: value,
            target: check.id_counter(t)?,
        });
    }
    check.end_read()?;
    progress.finish(Phase::Verify);

    let kept: BTreeSet<&str> = warc.iter().map(|w| w.name.as_str()).collect();
    let uncopied_warc_files = cited_warc
        .into_iter()
        .filter(|f| !kept.contains(f.as_str()))
        .collect();
    let (warc_files, extra_warc_files) = verify_warc_files(dst_caps, warc)?;
    Ok(CopyReport {
        from: from_name.to_string(),
        to: to_name.to_string(),
        tables,
        warc_files,
        extra_warc_files,
        uncopied_warc_files,
        counters: counter_checks,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Refuses a store whose tables or columns are not the ones this copy knows: a table a
/// newer migration made would otherwise be left behind without a word.
fn check_catalogue(raw: &mut dyn Raw, name: &str) -> Result<(), CopyError> {
    let found = raw.catalogue()?;
    let mut problems = Vec::new();
    for t in TABLES {
        let expected: BTreeSet<String> = t
            .columns
            .iter()
            .filter(|c| !t.is_rowid(c.name))
            .map(|c| c.name.to_string())
            .collect();
        // PostgreSQL's `records.id` is SQLite's `rowid`, not a declared column there.
        let found_columns = found.get(t.name).map(|columns| {
            columns
                .iter()
                .filter(|c| !t.is_rowid(c) && !derived(t.name, c))
                .cloned()
                .collect::<BTreeSet<String>>()
        });
        match found_columns.as_ref() {
            None => problems.push(format!("it has no table {}", t.name)),
            Some(columns) if *columns != expected => {
                let missing: Vec<_> = expected.difference(columns).cloned().collect();
                let unknown: Vec<_> = columns.difference(&expected).cloned().collect();
                problems.push(format!(
                    "its table {} differs (columns missing: [{}], unknown: [{}])",
                    t.name,
                    missing.join(", "),
                    unknown.join(", ")
                ));
            }
            Some(_) => {}
        }
    }
    for table in found.keys() {
        if !TABLES.iter().any(|t| t.name == table) && !NOT_ROWS.contains(&table.as_str()) {
            problems.push(format!("it has a table this copy does not know: {table}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(refused(format!(
            "{name} does not have the schema this program copies ({}); is it another \
             program's database, or written by another version of dossier?",
            problems.join("; ")
        )))
    }
}

/// Refuses a target that holds anything: the copy adds to nothing.
fn refuse_non_empty(raw: &mut dyn Raw, name: &str) -> Result<(), CopyError> {
    let mut held = Vec::new();
    for t in TABLES {
        if !raw.is_empty(t)? {
            held.push(t.name);
        }
    }
    if held.is_empty() {
        return Ok(());
    }
    Err(not_empty(name, &held))
}

/// The WARC files the source keeps, written to the target, each with its digest.
struct WarcCopied {
    name: String,
    bytes: u64,
    sha256: String,
    reused: bool,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn copy_warc_files(
    src: &dyn Captures,
    dst: &dyn Captures,
    to_name: &str,
    progress: &mut dyn CopyProgress,
) -> Result<Vec<WarcCopied>, CopyError> {
    let names = src.warc_names()?;
    let present: BTreeSet<String> = dst.warc_names()?.into_iter().collect();
    let wanted: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let foreign: Vec<&str> = present
        .iter()
        .map(String::as_str)
        .filter(|n| !wanted.contains(n))
        .collect();
    if !foreign.is_empty() {
        return Err(refused(format!(
            "the target {to_name} already keeps WARC files the source does not ({}): a copy \
             goes only into an empty archive",
            foreign.join(", ")
        )));
    }
    progress.start(Phase::Warc, names.len() as u64);
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        progress.item(&name);
        let bytes = src.read_warc_file(&name)?;
        let sha256 = sha256_hex(&bytes);
        let reused = present.contains(&name);
        if reused {
            let theirs = sha256_hex(&dst.read_warc_file(&name)?);
            if theirs != sha256 {
                return Err(refused(format!(
                    "the target {to_name} already keeps a WARC file {name} that differs from \
                     the source's (SHA-256 {} against {}): a copy goes only into an empty \
                     archive",
                    &theirs[..16],
                    &sha256[..16]
                )));
            }
        } else {
            dst.write_warc_file(&name, &bytes)?;
        }
        progress.advance(1);
        progress.item_done(&name, bytes.len() as u64);
        out.push(WarcCopied {
            name,
            bytes: bytes.len() as u64,
            sha256,
            reused,
        });
    }
    progress.finish(Phase::Warc);
    Ok(out)
}

fn verify_warc_files(
    dst: &dyn Captures,
    copied: Vec<WarcCopied>,
) -> Result<(Vec<WarcCheck>, Vec<String>), CopyError> {
    let present: BTreeSet<String> = dst.warc_names()?.into_iter().collect();
    let mut checks = Vec::with_capacity(copied.len());
    for c in &copied {
        let target_sha256 = if present.contains(&c.name) {
            Some(sha256_hex(&dst.read_warc_file(&c.name)?))
        } else {
            None
        };
        checks.push(WarcCheck {
            name: c.name.clone(),
            bytes: c.bytes,
            source_sha256: c.sha256.clone(),
            target_sha256,
            reused: c.reused,
        });
    }
    let known: BTreeSet<&str> = copied.iter().map(|c| c.name.as_str()).collect();
    let extra = present
        .into_iter()
        .filter(|n| !known.contains(n.as_str()))
        .collect();
    Ok((checks, extra))
}

/// A table's row count and checksum (lowercase hex).
type TableSum = (u64, String);

/// What [`copy_rows`] moved: each table's count and checksum on the source, the id
/// counters to verify, and the WARC files the capture rows name.
struct Copied {
    sums: Vec<TableSum>,
    counters: Vec<Counter>,
    cited_warc: BTreeSet<String>,
}

/// A table's id counter to carry: its table, column and value.
type Counter = (&'static Table, &'static str, i64);

/// Moves every table's rows, returning each table's (count, checksum) on the source and
/// the id counters to verify. Inside the target's write transaction.
fn copy_rows(
    src: &mut dyn Raw,
    dst: &mut dyn Raw,
    counts: &[u64],
    progress: &mut dyn CopyProgress,
) -> Result<Copied, CopyError> {
    progress.start(Phase::Copy, counts.iter().sum());
    let mut sums = Vec::with_capacity(TABLES.len());
    let mut counters = Vec::new();
    let mut cited_warc = BTreeSet::new();
    for t in TABLES {
        let warc_at = (t.name == "captures").then(|| t.index_of("warc_file"));
        progress.item(t.name);
        let mut hash = Sha256::new();
        let mut rows = 0u64;
        let mut max_id = 0i64;
        let id_at = match t.ids {
            Ids::Counter(c) | Ids::RowId(c) => Some(t.index_of(c)),
            Ids::None => None,
        };
        let mut batch: Vec<Row> = Vec::with_capacity(BATCH_ROWS);
        let mut batch_bytes = 0usize;
        let mut held: Vec<Row> = Vec::new();
        src.scan(t, &mut |row| {
            hash_row(&mut hash, &row);
            rows += 1;
            if let Some(Value::Int(id)) = id_at.map(|i| &row[i]) {
                max_id = max_id.max(*id);
            }
            if let Some(Value::Text(file)) = warc_at.map(|i| &row[i]) {
                if !cited_warc.contains(file) {
                    cited_warc.insert(file.clone());
                }
            }
            if t.parent.is_some() {
                held.push(row);
                return Ok(());
            }
            batch_bytes += row_bytes(&row);
            batch.push(row);
            if batch.len() >= BATCH_ROWS || batch_bytes >= BATCH_BYTES {
                dst.insert(t, &batch)?;
                progress.advance(batch.len() as u64);
                batch.clear();
                batch_bytes = 0;
            }
            Ok(())
        })?;
        if t.parent.is_some() {
            batch = parents_first(t, held);
        }
        for chunk in batch.chunks(BATCH_ROWS) {
            dst.insert(t, chunk)?;
            progress.advance(chunk.len() as u64);
        }
        match t.ids {
            Ids::Counter(column) => {
                let value = src.id_counter(t)?.max(max_id);
                if value > 0 {
                    dst.set_id_counter(t, value)?;
                }
                counters.push((t, column, value));
            }
            Ids::RowId(_) if max_id > 0 => dst.set_id_counter(t, max_id)?,
            _ => {}
        }
        progress.item_done(t.name, rows);
        sums.push((rows, hex(&hash.finalize())));
    }
    progress.finish(Phase::Copy);
    Ok(Copied {
        sums,
        counters,
        cited_warc,
    })
}

fn row_bytes(row: &Row) -> usize {
    row.iter()
        .map(|v| match v {
            Value::Text(s) => s.len() + 8,
            _ => 8,
        })
        .sum()
}

/// The rows of a table with a self-reference, each after its parent (so a foreign key
/// checked row by row, or statement by statement, always finds it); otherwise in the
/// order read. A row whose parent is missing, or in a cycle, comes last and is refused by
/// the target's own key.
fn parents_first(table: &Table, rows: Vec<Row>) -> Vec<Row> {
    let Some((own, parent)) = table.parent else {
        return rows;
    };
    let own: Vec<usize> = own.iter().map(|c| table.index_of(c)).collect();
    let parent: Vec<usize> = parent.iter().map(|c| table.index_of(c)).collect();
    let key_of = |row: &Row, cols: &[usize]| -> Option<Vec<Value>> {
        let key: Vec<Value> = cols.iter().map(|&i| row[i].clone()).collect();
        (!key.contains(&Value::Null)).then_some(key)
    };
    let index: HashMap<Vec<Value>, usize> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| key_of(r, &own).map(|k| (k, i)))
        .collect();
    // Depth of each row: how many ancestors it has (bounded by the row count: a cycle
    // stops there).
    let depth: Vec<usize> = rows
        .iter()
        .map(|r| {
            let mut d = 0;
            let mut at = key_of(r, &parent);
            while let Some(k) = at {
                d += 1;
                if d > rows.len() {
                    break;
                }
                at = index.get(&k).and_then(|&i| key_of(&rows[i], &parent));
            }
            d
        })
        .collect();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| depth[i]);
    let mut rows: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
    order
        .into_iter()
        .map(|i| rows[i].take().expect("each row once"))
        .collect()
}

/// A table's count and checksum as `raw` holds it now.
fn checksum(
    raw: &mut dyn Raw,
    table: &Table,
    progress: &mut dyn CopyProgress,
) -> Result<(u64, String), CopyError> {
    let mut hash = Sha256::new();
    let mut rows = 0u64;
    raw.scan(table, &mut |row| {
        hash_row(&mut hash, &row);
        rows += 1;
        if rows.is_multiple_of(BATCH_ROWS as u64) {
            progress.advance(BATCH_ROWS as u64);
        }
        Ok(())
    })?;
    progress.advance(rows % BATCH_ROWS as u64);
    Ok((rows, hex(&hash.finalize())))
}

/// Every table's count and checksum in one snapshot of `store`: what `copy` compares,
/// for a caller that wants to compare two archives itself (tests, a later check).
pub fn checksums(store: &AnyStore) -> Result<Vec<(String, u64, String)>, CopyError> {
    let mut raw = store.raw()?;
    raw.begin_read()?;
    let mut out = Vec::with_capacity(TABLES.len());
    for t in TABLES {
        let (rows, sum) = checksum(raw.as_mut(), t, &mut ())?;
        out.push((t.name.to_string(), rows, sum));
    }
    raw.end_read()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;

    #[test]
    fn places_are_read_by_their_shape() {
        assert_eq!(
            Place::parse("postgres://u@h/db").unwrap(),
            Place::Database("postgres://u@h/db".into())
        );
        assert_eq!(
            Place::parse("postgresql://h/db").unwrap(),
            Place::Database("postgresql://h/db".into())
        );
        assert_eq!(
            Place::parse("host=/run/postgresql dbname=a").unwrap(),
            Place::Database("host=/run/postgresql dbname=a".into())
        );
        assert_eq!(
            Place::parse("./data").unwrap(),
            Place::DataDir("./data".into())
        );
        // A folder whose name has `=` in it, not at a setting's place.
        assert_eq!(
            Place::parse("./a=b").unwrap(),
            Place::DataDir("./a=b".into())
        );
        for bad in ["http://example.org/x", "file:///tmp/x", "sqlite://x", "  "] {
            let e = Place::parse(bad).unwrap_err().to_string();
            assert!(
                e.contains("not a place") || e.contains("empty"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn every_table_of_the_sqlite_schema_is_known() {
        let dir = tempfile::tempdir().unwrap();
        let store = AnyStore::sqlite(&dir.path().join("dossier.db")).unwrap();
        let mut raw = store.raw().unwrap();
        check_catalogue(raw.as_mut(), "test").unwrap();
    }

    /// A value stored against its column's type (SQLite lets a hand edit do that) is
    /// refused, naming the row and the column, and nothing is kept in the target.
    #[test]
    fn a_value_of_the_wrong_type_is_refused_by_row_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        drop(SqliteStore::open(&database_file(&a)).unwrap());
        rusqlite::Connection::open(database_file(&a))
            .unwrap()
            .execute_batch(
                "INSERT INTO collections (slug, title, created, changed)
                 VALUES ('ok', 'Fine', 't', 't'), ('odd', 'Odd', 't', 't');
                 UPDATE collections SET title = x'00ff' WHERE slug = 'odd';",
            )
            .unwrap();
        let from = open_source(&Place::DataDir(a)).unwrap();
        let to = open_target(&Place::DataDir(b.clone())).unwrap();
        let e = copy(&from, &to, "a", "b", &mut ()).unwrap_err().to_string();
        assert!(e.contains(r#"collections (slug="odd")"#), "{e}");
        assert!(
            e.contains("column title holds a blob of 2 bytes where text belongs"),
            "{e}"
        );
        assert!(checksums(&to)
            .unwrap()
            .iter()
            .all(|(_, rows, _)| *rows == 0));
    }

    #[test]
    fn sections_come_after_their_parents() {
        let t = &TABLES[1];
        assert_eq!(t.name, "sections");
        let row = |key: &str, parent: Option<&str>| -> Row {
            let mut r = vec![Value::Null; t.columns.len()];
            r[0] = Value::Text("d".into());
            r[1] = Value::Text(key.into());
            r[2] = parent.map_or(Value::Null, |p| Value::Text(p.into()));
            r
        };
        let rows = vec![
            row("a", Some("c")),
            row("b", None),
            row("c", Some("b")),
            row("d", None),
        ];
        let keys: Vec<String> = parents_first(t, rows)
            .into_iter()
            .map(|r| match &r[1] {
                Value::Text(s) => s.clone(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(keys, ["b", "d", "c", "a"]);
    }

    #[test]
    fn a_copy_between_two_files_keeps_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::create_dir_all(&a).unwrap();
        drop(SqliteStore::open(&database_file(&a)).unwrap());
        rusqlite::Connection::open(database_file(&a))
            .unwrap()
            .execute_batch(
                "INSERT INTO users (email, name, role, password_hash, created)
                 VALUES ('a@b.org', 'A', 'admin', '$argon2id$x', 1),
                        ('c@d.org', 'C', 'editor', '$x', 2);
                 DELETE FROM users WHERE email = 'c@d.org';
                 INSERT INTO sessions VALUES (printf('%064d', 1), 1, 'csrf', 1, 2);
                 INSERT INTO login_limits VALUES ('account', 'a@b.org', 6, 3, 5),
                                                 ('address', '203.0.113.7', 1, 3, 0);
                 INSERT INTO dossiers VALUES ('d', 'D', '', NULL, 1, '{}', 't', 't');
                 INSERT INTO sections VALUES ('d', 'b', NULL, 0, '1', 'B', NULL, '', '[]');
                 INSERT INTO sections VALUES ('d', 'a', 'b', 1, '1', 'A', NULL, '', '[]');
                 INSERT INTO links (src_type, src_slug, rel, dst_type, dst_slug, detail)
                 VALUES ('section', 'd#a', 'cites', 'document', 'x', 'ref'),
                        ('section', 'd#a', 'cites', 'document', 'x', NULL);
                 INSERT INTO captures (page, url, captured_at, warc_file, offset, length,
                                       status, sha256)
                 VALUES ('https://a.org/', 'https://a.org/', 1, 'gone-1.warc.gz', 0, 10, 200,
                         printf('%064d', 0));",
            )
            .unwrap();
        let from = open_source(&Place::DataDir(a.clone())).unwrap();
        check_target_dir(&b).unwrap();
        let to = open_target(&Place::DataDir(b.clone())).unwrap();
        let report = copy(&from, &to, "a", "b", &mut ()).unwrap();
        assert!(report.ok(), "{report:#?}");
        // A capture row naming a file the source does not keep is copied as it is, and
        // said.
        assert_eq!(report.uncopied_warc_files, ["gone-1.warc.gz"]);
        let users = report.tables.iter().find(|t| t.table == "users").unwrap();
        assert_eq!(users.source_rows, 1);
        // The deleted account's id is not given again in the copy.
        let counter = report.counters.iter().find(|c| c.table == "users").unwrap();
        assert_eq!((counter.source, counter.target), (2, 2));
        assert_eq!(checksums(&from).unwrap(), checksums(&to).unwrap());
        // A second copy into the same place is refused, naming it.
        let e = copy(&from, &to, "a", "b", &mut ()).unwrap_err().to_string();
        assert!(e.contains("the target b is not empty"), "{e}");
        assert!(e.contains("users"), "{e}");
    }
}
