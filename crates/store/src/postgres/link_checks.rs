//! [`LinkChecks`] for the PostgreSQL store: the `link_checks` and `link_runs` tables of the
//! seventh migration, as the SQLite store keeps them. Their writes touch no record, so they
//! do not wait for the writer's lock ([`PgStore::in_own_transaction`]): the server's
//! scheduled check keeps its history while an import runs.

use super::revisions::{holdable, keepable};
use super::PgStore;
use crate::link_checks::*;
use crate::StoreError;
use ::postgres::Row;

const COLUMNS: &str =
    "id, url, checked_at, outcome, status, final_url, redirects, message, elapsed_ms";

fn row(r: &Row) -> Result<LinkCheck, StoreError> {
    let outcome: String = r.try_get(3)?;
    let redirects: String = r.try_get(6)?;
    Ok(LinkCheck {
        id: r.try_get(0)?,
        url: r.try_get(1)?,
        checked_at: r.try_get(2)?,
        // The table's CHECK admits only the spellings `parse` knows.
        outcome: LinkOutcome::parse(&outcome).unwrap_or(LinkOutcome::Error),
        status: r
            .try_get::<_, Option<i64>>(4)?
            .map(|s| s.clamp(0, 999) as u16),
        final_url: r.try_get(5)?,
        // A history row written by a later version with another shape still shows.
        redirects: serde_json::from_str(&redirects).unwrap_or_default(),
        message: r.try_get(7)?,
        elapsed_ms: r.try_get::<_, i64>(8)?.max(0) as u64,
    })
}

fn run_row(r: &Row) -> Result<LinkRun, StoreError> {
    let trigger: String = r.try_get(1)?;
    Ok(LinkRun {
        id: r.try_get(0)?,
        trigger: RunTrigger::parse(&trigger).unwrap_or(RunTrigger::Cli),
        started_at: r.try_get(2)?,
        finished_at: r.try_get(3)?,
        checked: r.try_get::<_, i64>(4)?.max(0) as u64,
        failed: r.try_get::<_, i64>(5)?.max(0) as u64,
    })
}

/// A count or limit as the database's BIGINT (saturating: nothing counts past it).
fn big(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

impl LinkChecks for PgStore {
    fn start_link_run(&self, trigger: RunTrigger, started_at: i64) -> Result<i64, StoreError> {
        self.in_own_transaction(|tx| {
            let r = tx.query_one(
                "INSERT INTO link_runs (trigger, started_at) VALUES ($1, $2) RETURNING id",
                &[&trigger.as_str(), &started_at],
            )?;
            Ok(r.try_get(0)?)
        })
    }

    fn finish_link_run(
        &self,
        id: i64,
        finished_at: i64,
        checked: u64,
        failed: u64,
    ) -> Result<(), StoreError> {
        self.in_own_transaction(|tx| {
            let n = tx.execute(
                "UPDATE link_runs SET finished_at = $2, checked = $3, failed = $4 WHERE id = $1",
                &[&id, &finished_at, &big(checked), &big(failed)],
            )?;
            if n == 0 {
                return Err(StoreError::Invalid(format!("no link-check run {id}")));
            }
            Ok(())
        })
    }

    fn add_link_checks(&self, rows: &[NewLinkCheck]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        self.in_own_transaction(|tx| {
            let insert = tx.prepare(
                "INSERT INTO link_checks (url, checked_at, outcome, status, final_url,
                                          redirects, message, elapsed_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )?;
            for c in rows {
                let redirects = serde_json::to_string(&c.redirects).unwrap_or_else(|_| "[]".into());
                tx.execute(
                    &insert,
                    &[
                        &c.url,
                        &c.checked_at,
                        &c.outcome.as_str(),
                        &c.status.map(i64::from),
                        &c.final_url,
                        &redirects,
                        // The checker's words may quote what a site answered.
                        &keepable(&c.message),
                        &big(c.elapsed_ms),
                    ],
                )
                .map_err(|e| {
                    StoreError::Invalid(format!("the check of {} was refused: {e}", c.url))
                })?;
            }
            Ok(())
        })
    }

    fn latest_link_checks(&self) -> Result<Vec<LinkCheck>, StoreError> {
        // By address in byte order, as SQLite sorts text: the column is COLLATE "C".
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {COLUMNS} FROM link_checks
                     WHERE id IN (SELECT max(id) FROM link_checks GROUP BY url)
                     ORDER BY url"
                ),
                &[],
            )?
            .iter()
            .map(row)
            .collect()
        })
    }

    fn link_history(&self, url: &str, limit: usize) -> Result<Vec<LinkCheck>, StoreError> {
        if !holdable(url) {
            return Ok(Vec::new());
        }
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {COLUMNS} FROM link_checks WHERE url = $1 ORDER BY id DESC LIMIT $2"
                ),
                &[&url, &big(limit)],
            )?
            .iter()
            .map(row)
            .collect()
        })
    }

    fn link_runs(&self, limit: usize) -> Result<Vec<LinkRun>, StoreError> {
        self.read(|c| {
            c.query(
                "SELECT id, trigger, started_at, finished_at, checked, failed FROM link_runs
                 ORDER BY id DESC LIMIT $1",
                &[&big(limit)],
            )?
            .iter()
            .map(run_row)
            .collect()
        })
    }
}
