//! [`LinkChecks`] for the SQLite store: the `link_checks` and `link_runs` tables of the
//! seventh migration.

use super::write::write_transaction;
use super::SqliteStore;
use crate::link_checks::*;
use crate::StoreError;
use rusqlite::{params, Row};

const COLUMNS: &str =
    "id, url, checked_at, outcome, status, final_url, redirects, message, elapsed_ms";

fn row(r: &Row) -> rusqlite::Result<LinkCheck> {
    let outcome: String = r.get(3)?;
    let redirects: String = r.get(6)?;
    Ok(LinkCheck {
        id: r.get(0)?,
        url: r.get(1)?,
        checked_at: r.get(2)?,
        // The table's CHECK admits only the spellings `parse` knows.
        outcome: LinkOutcome::parse(&outcome).unwrap_or(LinkOutcome::Error),
        status: r.get::<_, Option<i64>>(4)?.map(|s| s.clamp(0, 999) as u16),
        final_url: r.get(5)?,
        // A history row written by a later version with another shape still shows.
        redirects: serde_json::from_str(&redirects).unwrap_or_default(),
        message: r.get(7)?,
        elapsed_ms: r.get::<_, i64>(8)?.max(0) as u64,
    })
}

fn run_row(r: &Row) -> rusqlite::Result<LinkRun> {
    let trigger: String = r.get(1)?;
    Ok(LinkRun {
        id: r.get(0)?,
        trigger: RunTrigger::parse(&trigger).unwrap_or(RunTrigger::Cli),
        started_at: r.get(2)?,
        finished_at: r.get(3)?,
        checked: r.get::<_, i64>(4)?.max(0) as u64,
        failed: r.get::<_, i64>(5)?.max(0) as u64,
    })
}

impl LinkChecks for SqliteStore {
    fn start_link_run(&self, trigger: RunTrigger, started_at: i64) -> Result<i64, StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = write_transaction(&mut conn)?;
        tx.execute(
            "INSERT INTO link_runs (trigger, started_at) VALUES (?1, ?2)",
            params![trigger.as_str(), started_at],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    fn finish_link_run(
        &self,
        id: i64,
        finished_at: i64,
        checked: u64,
        failed: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = write_transaction(&mut conn)?;
        let n = tx.execute(
            "UPDATE link_runs SET finished_at = ?2, checked = ?3, failed = ?4 WHERE id = ?1",
            params![id, finished_at, checked as i64, failed as i64],
        )?;
        if n == 0 {
            return Err(StoreError::Invalid(format!("no link-check run {id}")));
        }
        tx.commit()?;
        Ok(())
    }

    fn add_link_checks(&self, rows: &[NewLinkCheck]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = write_transaction(&mut conn)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO link_checks (url, checked_at, outcome, status, final_url,
                                          redirects, message, elapsed_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for c in rows {
                let redirects = serde_json::to_string(&c.redirects).unwrap_or_else(|_| "[]".into());
                insert
                    .execute(params![
                        c.url,
                        c.checked_at,
                        c.outcome.as_str(),
                        c.status,
                        c.final_url,
                        redirects,
                        c.message,
                        c.elapsed_ms.min(i64::MAX as u64) as i64,
                    ])
                    .map_err(|e| {
                        StoreError::Invalid(format!("the check of {} was refused: {e}", c.url))
                    })?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn latest_link_checks(&self) -> Result<Vec<LinkCheck>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM link_checks
                 WHERE id IN (SELECT max(id) FROM link_checks GROUP BY url)
                 ORDER BY url"
            ))?;
            let rows = stmt.query_map([], row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn link_history(&self, url: &str, limit: usize) -> Result<Vec<LinkCheck>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM link_checks WHERE url = ?1 ORDER BY id DESC LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![url, limit.min(i64::MAX as usize) as i64], row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn link_runs(&self, limit: usize) -> Result<Vec<LinkRun>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, trigger, started_at, finished_at, checked, failed FROM link_runs
                 ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit.min(i64::MAX as usize) as i64], run_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn check(url: &str, at: i64, outcome: LinkOutcome) -> NewLinkCheck {
        NewLinkCheck {
            url: url.into(),
            checked_at: at,
            outcome,
            status: Some(200),
            final_url: None,
            redirects: vec![LinkHop {
                url: url.into(),
                status: 301,
                location: format!("{url}/moved"),
            }],
            message: String::new(),
            elapsed_ms: 12,
        }
    }

    #[test]
    fn history_latest_and_runs() {
        let store = SqliteStore::in_memory().unwrap();
        let lc = store
            .link_checks()
            .expect("the SQLite store keeps link checks");
        let run = lc.start_link_run(RunTrigger::Cli, 100).unwrap();
        lc.add_link_checks(&[
            check("https://a.example/", 100, LinkOutcome::Ok),
            check("https://b.example/<script>", 100, LinkOutcome::Broken),
        ])
        .unwrap();
        lc.add_link_checks(&[check("https://a.example/", 200, LinkOutcome::Gone)])
            .unwrap();
        lc.finish_link_run(run, 201, 3, 2).unwrap();
        let latest = lc.latest_link_checks().unwrap();
        assert_eq!(latest.len(), 2);
        assert_eq!(latest[0].url, "https://a.example/");
        assert_eq!(latest[0].outcome, LinkOutcome::Gone);
        assert_eq!(latest[0].checked_at, 200);
        assert_eq!(latest[0].redirects[0].status, 301);
        assert_eq!(latest[1].url, "https://b.example/<script>");
        let history = lc.link_history("https://a.example/", 10).unwrap();
        assert_eq!(
            history.iter().map(|c| c.outcome).collect::<Vec<_>>(),
            [LinkOutcome::Gone, LinkOutcome::Ok]
        );
        assert_eq!(lc.link_history("https://a.example/", 1).unwrap().len(), 1);
        let runs = lc.link_runs(5).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].finished_at, Some(201));
        assert_eq!((runs[0].checked, runs[0].failed), (3, 2));
        assert!(lc.finish_link_run(run + 99, 1, 0, 0).is_err());
    }

    #[test]
    fn outcome_spellings_round_trip_and_match_the_table() {
        let store = SqliteStore::in_memory().unwrap();
        let lc = store.link_checks().unwrap();
        for o in LinkOutcome::ALL {
            assert_eq!(LinkOutcome::parse(o.as_str()), Some(o));
            // The table's CHECK constraint admits every spelling.
            lc.add_link_checks(&[check(&format!("https://x.example/{}", o.as_str()), 1, o)])
                .unwrap();
        }
        assert_eq!(
            lc.latest_link_checks().unwrap().len(),
            LinkOutcome::ALL.len()
        );
    }
}
