//! The peer: SQLite FTS5 over the same rows, with a `meta` table for the filters.

use super::queries::BenchQuery;
use anyhow::Result;
use dossier_model::Document;
use rusqlite::{params, Connection};
use std::path::Path;

pub(super) struct Fts {
    pub(super) conn: Connection,
}

impl Fts {
    pub(super) fn create(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE meta (rowid INTEGER PRIMARY KEY, slug TEXT NOT NULL, kind TEXT NOT NULL,
                                date_lo INTEGER, date_hi INTEGER, bodies TEXT);
             CREATE INDEX meta_kind ON meta(kind);
             CREATE INDEX meta_date ON meta(date_lo, date_hi);
             CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize = 'porter unicode61');",
        )?;
        Ok(Fts { conn })
    }

    pub(super) fn insert(&mut self, docs: &[Document], first_rowid: usize) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut meta = tx.prepare_cached("INSERT INTO meta VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            let mut fts =
                tx.prepare_cached("INSERT INTO fts (rowid, title, body) VALUES (?1, ?2, ?3)")?;
            for (i, d) in docs.iter().enumerate() {
                let rowid = (first_rowid + i) as i64;
                let date = d.date.expect("bench documents are dated");
                meta.execute(params![
                    rowid,
                    d.slug,
                    d.kind.slug(),
                    date.earliest(),
                    date.latest(),
                    d.issued_by.first()
                ])?;
                let text: Vec<String> = d.texts.iter().map(|t| t.plain_text()).collect();
                fts.execute(params![rowid, d.title, text.join("\n\n")])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn sql(q: &BenchQuery, select: &str, tail: &str) -> String {
        let mut conds = Vec::new();
        if q.fts.is_some() {
            conds.push("fts MATCH ?1".to_string());
        }
        if let Some(s) = &q.sql {
            conds.push(s.clone());
        }
        format!(
            "SELECT {select} FROM fts JOIN meta m ON m.rowid = fts.rowid WHERE {} {tail}",
            conds.join(" AND ")
        )
    }

    pub(super) fn top10(&self, q: &BenchQuery) -> Result<usize> {
        let ranked = q.fts.is_some();
        let sql = Fts::sql(
            q,
            "fts.rowid, fts.title, snippet(fts, 1, '<mark>', '</mark>', '…', 20)",
            if ranked {
                "ORDER BY bm25(fts, 3.0, 1.0) LIMIT 10"
            } else {
                "LIMIT 10"
            },
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = match &q.fts {
            Some(m) => stmt.query(params![m])?,
            None => stmt.query([])?,
        };
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let _: i64 = r.get(0)?;
            let _: String = r.get(1)?;
            n += 1;
        }
        Ok(n)
    }

    pub(super) fn count(&self, q: &BenchQuery) -> Result<usize> {
        let sql = Fts::sql(q, "count(*)", "");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let n: i64 = match &q.fts {
            Some(m) => stmt.query_row(params![m], |r| r.get(0))?,
            None => stmt.query_row([], |r| r.get(0))?,
        };
        Ok(n as usize)
    }
}
