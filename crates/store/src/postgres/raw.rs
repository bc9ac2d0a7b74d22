//! The PostgreSQL half of `dossier copy` ([`crate::copy`]): rows read in one
//! repeatable-read snapshot and written with binary `COPY`, on a connection of the copy's
//! own (not the pool's: its transaction lasts the whole copy).

use super::{PgStore, WRITER_LOCK, WRITER_WAIT_MS};
use crate::copy::{describe_row, CopyError, Ids, Kind, Raw, Row, Table, Value, TABLES};
use crate::StoreError;
use ::postgres::binary_copy::BinaryCopyInWriter;
use ::postgres::fallible_iterator::FallibleIterator;
use ::postgres::types::{ToSql, Type};
use ::postgres::Client;
use std::collections::{BTreeMap, BTreeSet};

/// A connection to one database (and schema), for the copy.
pub(crate) struct PgRaw {
    client: Client,
    lock_class: i32,
    /// The database, for messages (no password).
    name: String,
}

impl PgStore {
    /// A connection of its own to the store's database, for `dossier copy`.
    pub(crate) fn raw(&self) -> Result<PgRaw, StoreError> {
        let name = format!("the PostgreSQL schema {}", self.schema);
        let client = self.connect.connect()?;
        Ok(PgRaw {
            client,
            lock_class: self.lock_class,
            name,
        })
    }
}

/// The URL without its password, for messages.
pub(crate) fn redacted(url: &str) -> String {
    super::redact(url)
}

/// Looks at a database before the store opens (and migrates) it: a source must already
/// hold a dossier store (opening an empty database would make one in it, a surprise in
/// the database a user named to copy *from*); a target may be empty or a dossier store,
/// not another program's tables of the same names.
pub(crate) fn check_copy_end(url: &str, source: bool) -> Result<(), CopyError> {
    let shown = redacted(url);
    let cannot = |e: &dyn std::fmt::Display| {
        CopyError::Refused(format!("cannot reach the PostgreSQL database {shown}: {e}"))
    };
    let mut connect = super::Connect::parse(url).map_err(|e| cannot(&e))?;
    if connect.config.get_connect_timeout().is_none() {
        connect
            .config
            .connect_timeout(std::time::Duration::from_secs(10));
    }
    let mut client = connect.connect().map_err(|e| cannot(&e))?;
    let schema: Option<String> = client
        .query_one("SELECT current_schema()", &[])
        .map_err(|e| cannot(&e))?
        .get(0);
    let Some(schema) = schema else {
        return Err(CopyError::Refused(format!(
            "{shown}: the connection's search_path names no schema that exists"
        )));
    };
    let tables: BTreeSet<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema()",
            &[],
        )
        .map_err(|e| cannot(&e))?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    let is_store = tables.contains("dossier_schema");
    if source && !is_store {
        return Err(CopyError::Refused(format!(
            "{shown} holds no dossier archive in schema {schema} (no table dossier_schema)"
        )));
    }
    if !source && !is_store {
        let clash: Vec<&str> = TABLES
            .iter()
            .map(|t| t.name)
            .filter(|t| tables.contains(*t))
            .collect();
        if !clash.is_empty() {
            return Err(CopyError::Refused(format!(
                "{shown}: schema {schema} holds tables that are not a dossier store's ({}); \
                 copy into an empty database or schema",
                clash.join(", ")
            )));
        }
    }
    Ok(())
}

fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

/// PostgreSQL's message with its detail and where it happened: "duplicate key…" alone
/// does not say which.
fn message(e: &::postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut m = db.message().to_string();
            if let Some(d) = db.detail() {
                m.push_str(&format!(" ({d})"));
            }
            m
        }
        None => e.to_string(),
    }
}

fn pg_type(kind: Kind) -> Type {
    match kind {
        Kind::Text => Type::TEXT,
        Kind::Int => Type::INT8,
        Kind::Bool => Type::BOOL,
    }
}

/// One value bound for `COPY`.
enum Arg<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
    Bool(Option<bool>),
}

impl Arg<'_> {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Arg::Text(v) => v,
            Arg::Int(v) => v,
            Arg::Bool(v) => v,
        }
    }
}

/// The row's values as the table's columns take them, or why not (PostgreSQL's text
/// cannot hold NUL, which SQLite's can).
fn args<'a>(table: &Table, row: &'a Row) -> Result<Vec<Arg<'a>>, String> {
    table
        .columns
        .iter()
        .zip(row)
        .map(|(c, v)| match (c.kind, v) {
            (Kind::Text, Value::Null) => Ok(Arg::Text(None)),
            (Kind::Int, Value::Null) => Ok(Arg::Int(None)),
            (Kind::Bool, Value::Null) => Ok(Arg::Bool(None)),
            (Kind::Text, Value::Text(s)) if s.contains('\0') => Err(format!(
                "column {} holds a NUL character, which PostgreSQL's text cannot",
                c.name
            )),
            (Kind::Text, Value::Text(s)) => Ok(Arg::Text(Some(s))),
            (Kind::Int, Value::Int(i)) => Ok(Arg::Int(Some(*i))),
            (Kind::Bool, Value::Int(i)) => Ok(Arg::Bool(Some(*i != 0))),
            (_, v) => Err(format!("column {} cannot hold {v:?}", c.name)),
        })
        .collect()
}

/// The row a `COPY` failed at, from PostgreSQL's "COPY records, line 3".
fn failed_line(e: &::postgres::Error) -> Option<usize> {
    let at = e.as_db_error()?.where_()?;
    let digits: String = at
        .split("line ")
        .nth(1)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse::<usize>().ok()?.checked_sub(1)
}

impl PgRaw {
    fn fail(&self, what: &str, e: ::postgres::Error) -> CopyError {
        CopyError::Refused(format!("{}: {what}: {}", self.name, message(&e)))
    }

    /// The sequence behind a table's ids column.
    fn sequence(&mut self, table: &Table, column: &str) -> Result<String, CopyError> {
        let row = self
            .client
            .query_one(
                "SELECT pg_get_serial_sequence($1, $2)",
                &[&table.name, &column],
            )
            .map_err(|e| self.fail("cannot find an id sequence", e))?;
        let name: Option<String> = row.get(0);
        name.ok_or_else(|| {
            CopyError::Refused(format!(
                "{}: {}.{column} has no id sequence",
                self.name, table.name
            ))
        })
    }
}

impl Raw for PgRaw {
    fn catalogue(&mut self) -> Result<BTreeMap<String, BTreeSet<String>>, CopyError> {
        let rows = self
            .client
            .query(
                "SELECT c.table_name::text, c.column_name::text
                 FROM information_schema.columns c
                 JOIN information_schema.tables t
                   ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                 WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
                &[],
            )
            .map_err(|e| self.fail("cannot list the tables", e))?;
        let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in rows {
            out.entry(r.get(0)).or_default().insert(r.get(1));
        }
        Ok(out)
    }

    fn begin_read(&mut self) -> Result<(), CopyError> {
        // The snapshot is taken at the first statement after BEGIN.
        self.client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1;")
            .map_err(|e| self.fail("cannot begin reading", e))
    }

    fn end_read(&mut self) -> Result<(), CopyError> {
        self.client
            .batch_execute("COMMIT")
            .map_err(|e| self.fail("cannot end reading", e))
    }

    fn is_empty(&mut self, table: &Table) -> Result<bool, CopyError> {
        let sql = format!("SELECT NOT EXISTS (SELECT 1 FROM {})", quoted(table.name));
        let row = self
            .client
            .query_one(&sql, &[])
            .map_err(|e| self.fail("cannot read", e))?;
        Ok(row.get(0))
    }

    fn count(&mut self, table: &Table) -> Result<u64, CopyError> {
        let sql = format!("SELECT count(*) FROM {}", quoted(table.name));
        let row = self
            .client
            .query_one(&sql, &[])
            .map_err(|e| self.fail("cannot count", e))?;
        Ok(row.get::<_, i64>(0) as u64)
    }

    fn scan(
        &mut self,
        table: &Table,
        each: &mut dyn FnMut(Row) -> Result<(), CopyError>,
    ) -> Result<(), CopyError> {
        let nulls = if table.key.is_empty() {
            " NULLS FIRST"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            table
                .columns
                .iter()
                .map(|c| quoted(c.name))
                .collect::<Vec<_>>()
                .join(", "),
            quoted(table.name),
            table
                .order()
                .iter()
                .map(|c| format!("{}{nulls}", quoted(c)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let name = self.name.clone();
        let fail = |e: ::postgres::Error| {
            CopyError::Refused(format!(
                "{name}: cannot read {}: {}",
                table.name,
                message(&e)
            ))
        };
        let mut rows = self
            .client
            .query_raw(&sql, std::iter::empty::<&(dyn ToSql + Sync)>())
            .map_err(fail)?;
        while let Some(r) = rows.next().map_err(fail)? {
            let mut row = Vec::with_capacity(table.columns.len());
            for (i, c) in table.columns.iter().enumerate() {
                let v = match c.kind {
                    Kind::Text => r
                        .try_get::<_, Option<String>>(i)
                        .map(|v| v.map_or(Value::Null, Value::Text)),
                    Kind::Int => r
                        .try_get::<_, Option<i64>>(i)
                        .map(|v| v.map_or(Value::Null, Value::Int)),
                    Kind::Bool => r
                        .try_get::<_, Option<bool>>(i)
                        .map(|v| v.map_or(Value::Null, |b| Value::Int(b as i64))),
                };
                row.push(v.map_err(|e| {
                    CopyError::Refused(format!(
                        "{name}: column {}.{} cannot be read as the copy expects: {e}",
                        table.name, c.name
                    ))
                })?);
            }
            each(row)?;
        }
        Ok(())
    }

    fn id_counter(&mut self, table: &Table) -> Result<i64, CopyError> {
        let Ids::Counter(column) = table.ids else {
            return Ok(0);
        };
        let sequence = self.sequence(table, column)?;
        let sql = format!("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence}");
        let row = self
            .client
            .query_one(&sql, &[])
            .map_err(|e| self.fail("cannot read an id sequence", e))?;
        Ok(row.get(0))
    }

    fn begin_write(&mut self) -> Result<(), CopyError> {
        self.client
            .batch_execute(&format!("BEGIN; SET LOCAL lock_timeout = {WRITER_WAIT_MS}"))
            .map_err(|e| self.fail("cannot begin writing", e))?;
        // The writer's lock, which every server's write takes first: none writes until
        // the copy commits or rolls back.
        let lock_class = self.lock_class;
        if let Err(e) = self.client.execute(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[&lock_class, &WRITER_LOCK],
        ) {
            let _ = self.client.batch_execute("ROLLBACK");
            return Err(CopyError::Refused(format!(
                "{}: another process is writing to it (a server, an import), and did not stop \
                 within {} s: {}",
                self.name,
                WRITER_WAIT_MS / 1000,
                message(&e)
            )));
        }
        self.client
            .batch_execute("SET LOCAL lock_timeout = 0")
            .map_err(|e| self.fail("cannot begin writing", e))
    }

    fn insert(&mut self, table: &Table, rows: &[Row]) -> Result<(), CopyError> {
        let mut bound = Vec::with_capacity(rows.len());
        for row in rows {
            bound.push(args(table, row).map_err(|e| {
                CopyError::Refused(format!(
                    "{} cannot take the row {}: {e}",
                    self.name,
                    describe_row(table, row)
                ))
            })?);
        }
        let sql = format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            quoted(table.name),
            table
                .columns
                .iter()
                .map(|c| quoted(c.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let types: Vec<Type> = table.columns.iter().map(|c| pg_type(c.kind)).collect();
        let name = self.name.clone();
        let refused = |e: ::postgres::Error| {
            let at = failed_line(&e)
                .and_then(|i| rows.get(i))
                .map(|r| format!(" at the row {}", describe_row(table, r)))
                .unwrap_or_default();
            CopyError::Refused(format!(
                "{name} refused the rows of {}{at}: {}",
                table.name,
                message(&e)
            ))
        };
        let writer = self.client.copy_in(&sql).map_err(refused)?;
        let mut writer = BinaryCopyInWriter::new(writer, &types);
        for values in &bound {
            let values: Vec<&(dyn ToSql + Sync)> = values.iter().map(Arg::as_sql).collect();
            writer.write(&values).map_err(refused)?;
        }
        writer.finish().map_err(refused)?;
        Ok(())
    }

    fn set_id_counter(&mut self, table: &Table, value: i64) -> Result<(), CopyError> {
        let column = match table.ids {
            Ids::Counter(c) | Ids::RowId(c) => c,
            Ids::None => return Ok(()),
        };
        let sequence = self.sequence(table, column)?;
        self.client
            .execute(
                "SELECT setval($1::text::regclass, $2, true)",
                &[&sequence, &value],
            )
            .map_err(|e| self.fail("cannot set an id sequence", e))?;
        Ok(())
    }

    fn commit(&mut self) -> Result<(), CopyError> {
        self.client.batch_execute("COMMIT").map_err(|e| {
            CopyError::Refused(format!(
                "{} refused the copy at its commit (nothing was kept): {}",
                self.name,
                message(&e)
            ))
        })
    }

    fn rollback(&mut self) {
        let _ = self.client.batch_execute("ROLLBACK");
    }
}
