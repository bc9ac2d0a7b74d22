//! The SQLite half of `dossier copy` ([`crate::copy`]): rows read and written as they
//! are, on a connection of the copy's own.

use super::SqliteStore;
use crate::copy::{describe_row, CopyError, Ids, Kind, Raw, Row, Table, Value};
use crate::StoreError;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// A connection to one store file, for the copy.
pub(crate) struct SqliteRaw {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// A connection of its own to the store's file, for `dossier copy`.
    pub(crate) fn raw(&self) -> Result<SqliteRaw, StoreError> {
        let path = self.path.clone().ok_or_else(|| {
            StoreError::Invalid("an in-memory store cannot be copied from or to".into())
        })?;
        let conn = Connection::open(&path).map_err(|e| StoreError::Open {
            path: path.display().to_string(),
            source: Box::new(e),
        })?;
        super::configure(&conn)?;
        Ok(SqliteRaw { conn, path })
    }
}

/// `"name"`: an identifier quoted (`offset` is a keyword in PostgreSQL, and a name is a
/// name in both).
fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

/// The select list: SQLite's `rowid` for the column it stands for.
fn select_list(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|c| {
            if table.is_rowid(c.name) {
                "rowid".to_string()
            } else {
                quoted(c.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn order_by(table: &Table) -> String {
    let nulls = if table.key.is_empty() {
        " NULLS FIRST"
    } else {
        ""
    };
    table
        .order()
        .iter()
        .map(|c| format!("{}{nulls}", quoted(c)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored value as the copy reads it: text must be UTF-8 text, integers and flags
/// integers; anything else (a value put there by hand against the column's type) is
/// refused, naming the column (the caller names the row).
fn value(table: &Table, column: usize, v: ValueRef<'_>) -> Result<Value, String> {
    let col = &table.columns[column];
    let what = match (col.kind, v) {
        (_, ValueRef::Null) => return Ok(Value::Null),
        (Kind::Text, ValueRef::Text(t)) => {
            return std::str::from_utf8(t)
                .map(|s| Value::Text(s.to_string()))
                .map_err(|e| format!("column {} is not UTF-8 text ({e})", col.name))
        }
        (Kind::Int, ValueRef::Integer(i)) => return Ok(Value::Int(i)),
        (Kind::Bool, ValueRef::Integer(i @ (0 | 1))) => return Ok(Value::Int(i)),
        (_, ValueRef::Integer(i)) => format!("the integer {i}"),
        (_, ValueRef::Real(r)) => format!("the real number {r}"),
        (_, ValueRef::Text(t)) => format!("the text {:?}", String::from_utf8_lossy(t)),
        (_, ValueRef::Blob(b)) => format!("a blob of {} bytes", b.len()),
    };
    let expected = match col.kind {
        Kind::Text => "text",
        Kind::Int => "an integer",
        Kind::Bool => "0 or 1",
    };
    Err(format!(
        "column {} holds {what} where {expected} belongs",
        col.name
    ))
}

impl Raw for SqliteRaw {
    fn catalogue(&mut self) -> Result<BTreeMap<String, BTreeSet<String>>, CopyError> {
        let mut out = BTreeMap::new();
        let tables: Vec<String> = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for t in tables {
            let columns: BTreeSet<String> = self
                .conn
                .prepare("SELECT name FROM pragma_table_info(?1)")?
                .query_map([&t], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            out.insert(t, columns);
        }
        Ok(out)
    }

    fn begin_read(&mut self) -> Result<(), CopyError> {
        // A deferred transaction's snapshot starts at its first read: read at once.
        self.conn
            .execute_batch("BEGIN; SELECT count(*) FROM sqlite_master;")?;
        Ok(())
    }

    fn end_read(&mut self) -> Result<(), CopyError> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("COMMIT")?;
        }
        Ok(())
    }

    fn is_empty(&mut self, table: &Table) -> Result<bool, CopyError> {
        let sql = format!("SELECT NOT EXISTS (SELECT 1 FROM {})", quoted(table.name));
        Ok(self.conn.query_row(&sql, [], |r| r.get(0))?)
    }

    fn count(&mut self, table: &Table) -> Result<u64, CopyError> {
        let sql = format!("SELECT count(*) FROM {}", quoted(table.name));
        Ok(self.conn.query_row(&sql, [], |r| r.get::<_, i64>(0))? as u64)
    }

    fn scan(
        &mut self,
        table: &Table,
        each: &mut dyn FnMut(Row) -> Result<(), CopyError>,
    ) -> Result<(), CopyError> {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            select_list(table),
            quoted(table.name),
            order_by(table)
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(table.columns.len());
            let mut bad = None;
            for i in 0..table.columns.len() {
                match value(table, i, r.get_ref(i)?) {
                    Ok(v) => row.push(v),
                    Err(e) => {
                        bad.get_or_insert(e);
                        row.push(Value::Null);
                    }
                }
            }
            if let Some(e) = bad {
                return Err(CopyError::Refused(format!(
                    "{}: the row {} cannot be copied: {e}",
                    self.path.display(),
                    describe_row(table, &row)
                )));
            }
            each(row)?;
        }
        Ok(())
    }

    fn id_counter(&mut self, table: &Table) -> Result<i64, CopyError> {
        // No table `sqlite_sequence` until an AUTOINCREMENT table was first written.
        let has_counters: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence')",
            [],
            |r| r.get(0),
        )?;
        if !has_counters {
            return Ok(0);
        }
        let value: Option<i64> = self
            .conn
            .query_row(
                "SELECT max(seq) FROM sqlite_sequence WHERE name = ?1",
                [table.name],
                |r| r.get(0),
            )
            .unwrap_or(None);
        Ok(value.unwrap_or(0))
    }

    fn begin_write(&mut self) -> Result<(), CopyError> {
        // The writer's cache (see `WRITER_CACHE_KIB`): the copy's one transaction writes
        // every index of every table, and a small cache spills its dirty pages to the WAL
        // and reads them back (a copy took 2.5 times as long). Readers keep SQLite's.
        self.conn
            .pragma_update(None, "cache_size", -super::WRITER_CACHE_KIB)?;
        self.conn.pragma_update(None, "temp_store", "MEMORY")?;
        // IMMEDIATE: the store's one writer lock, held to the commit. Foreign keys are
        // checked at the commit, whatever order the rows came in.
        self.conn
            .execute_batch("BEGIN IMMEDIATE; PRAGMA defer_foreign_keys = ON;")?;
        Ok(())
    }

    fn insert(&mut self, table: &Table, rows: &[Row]) -> Result<(), CopyError> {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|c| {
                if table.is_rowid(c.name) {
                    "rowid".to_string()
                } else {
                    quoted(c.name)
                }
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quoted(table.name),
            columns.join(", "),
            vec!["?"; columns.len()].join(", ")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        for row in rows {
            let params = row.iter().map(|v| match v {
                Value::Null => rusqlite::types::Value::Null,
                Value::Int(i) => rusqlite::types::Value::Integer(*i),
                Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
            });
            stmt.execute(rusqlite::params_from_iter(params))
                .map_err(|e| {
                    CopyError::Refused(format!(
                        "{} refused the row {}: {e}",
                        self.path.display(),
                        describe_row(table, row)
                    ))
                })?;
        }
        Ok(())
    }

    fn set_id_counter(&mut self, table: &Table, value: i64) -> Result<(), CopyError> {
        if !matches!(table.ids, Ids::Counter(_)) {
            // SQLite's rowid has no counter: the next is one past the largest.
            return Ok(());
        }
        // Inserting ids moved the counter to the largest; it may have to go further (ids
        // given to rows deleted since). The table exists: AUTOINCREMENT tables make it.
        let updated = self.conn.execute(
            "UPDATE sqlite_sequence SET seq = ?2 WHERE name = ?1",
            rusqlite::params![table.name, value],
        )?;
        if updated == 0 {
            self.conn.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (?1, ?2)",
                rusqlite::params![table.name, value],
            )?;
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), CopyError> {
        // The columns the copy does not carry (`copy::DERIVED`), made from the rows it did.
        self.conn
            .execute_batch(crate::migrations::FILL_LINK_SOURCES)?;
        // Foreign keys are checked at the commit, which says only that one failed: name
        // the rows first.
        let broken: Vec<String> = self
            .conn
            .prepare("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check LIMIT 5")?
            .query_map([], |r| {
                let at = r
                    .get::<_, Option<i64>>(1)?
                    .map_or(String::new(), |i| format!(" (rowid {i})"));
                Ok(format!(
                    "a row of {}{at} names a row of {} that is not there",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(2)?
                ))
            })?
            .collect::<Result<_, _>>()?;
        if !broken.is_empty() {
            return Err(CopyError::Refused(format!(
                "{} refused the copy (nothing was kept): {}",
                self.path.display(),
                broken.join("; ")
            )));
        }
        self.conn.execute_batch("COMMIT").map_err(|e| {
            CopyError::Refused(format!(
                "{} refused the copy at its commit (nothing was kept): {e}",
                self.path.display()
            ))
        })
    }

    fn rollback(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
