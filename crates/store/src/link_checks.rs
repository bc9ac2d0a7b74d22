//! Link checking (issue 25): the history of every check of every external address the
//! archive cites, and the runs of the checker (by hand, by the server's schedule), so that
//! editors see what broke when, and the worklist lists what is broken now.
//!
//! Times are whole seconds since 1970 (UTC).

use crate::StoreError;
use serde::{Deserialize, Serialize};

/// What a check found, as the `outcome` column spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkOutcome {
    /// 2xx at the address itself.
    Ok,
    /// 2xx after redirects to another address.
    Redirected,
    /// 4xx (but 410) or 5xx, or a redirect to nowhere.
    Broken,
    /// 200 that is the site's "not found" page, or a redirect to its home page.
    #[serde(rename = "soft-404")]
    Soft404,
    /// 410 Gone.
    Gone,
    /// The safety rules refused the address (a private or loopback address, a scheme).
    Refused,
    /// The site's robots.txt asks not to fetch it.
    Robots,
    /// No answer: DNS, connection, timeout, TLS, a redirect loop.
    Error,
}

impl LinkOutcome {
    pub const ALL: [LinkOutcome; 8] = [
        LinkOutcome::Ok,
        LinkOutcome::Redirected,
        LinkOutcome::Broken,
        LinkOutcome::Soft404,
        LinkOutcome::Gone,
        LinkOutcome::Refused,
        LinkOutcome::Robots,
        LinkOutcome::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkOutcome::Ok => "ok",
            LinkOutcome::Redirected => "redirected",
            LinkOutcome::Broken => "broken",
            LinkOutcome::Soft404 => "soft-404",
            LinkOutcome::Gone => "gone",
            LinkOutcome::Refused => "refused",
            LinkOutcome::Robots => "robots",
            LinkOutcome::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<LinkOutcome> {
        LinkOutcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// Whether a reader following the link would not find the page cited.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            LinkOutcome::Broken | LinkOutcome::Soft404 | LinkOutcome::Gone | LinkOutcome::Error
        )
    }
}

/// One redirect followed during a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkHop {
    pub url: String,
    pub status: u16,
    pub location: String,
}

/// One check of one address, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkCheck {
    pub id: i64,
    pub url: String,
    pub checked_at: i64,
    pub outcome: LinkOutcome,
    /// The last HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Where the redirects ended, when there were any.
    pub final_url: Option<String>,
    pub redirects: Vec<LinkHop>,
    /// What went wrong, for a person (empty when nothing did).
    pub message: String,
    pub elapsed_ms: u64,
}

/// A check to keep; the store gives it its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLinkCheck {
    pub url: String,
    pub checked_at: i64,
    pub outcome: LinkOutcome,
    pub status: Option<u16>,
    pub final_url: Option<String>,
    pub redirects: Vec<LinkHop>,
    pub message: String,
    pub elapsed_ms: u64,
}

/// What started a run of the checker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunTrigger {
    Cli,
    Schedule,
    Web,
}

impl RunTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            RunTrigger::Cli => "cli",
            RunTrigger::Schedule => "schedule",
            RunTrigger::Web => "web",
        }
    }

    pub fn parse(s: &str) -> Option<RunTrigger> {
        [RunTrigger::Cli, RunTrigger::Schedule, RunTrigger::Web]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// One run of the checker over the archive's addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkRun {
    pub id: i64,
    pub trigger: RunTrigger,
    pub started_at: i64,
    /// `None` while running (or when the run was cut off).
    pub finished_at: Option<i64>,
    pub checked: u64,
    pub failed: u64,
}

/// Where the store keeps link checks and runs.
pub trait LinkChecks {
    /// Records the start of a run; returns its id.
    fn start_link_run(&self, trigger: RunTrigger, started_at: i64) -> Result<i64, StoreError>;
    /// Records the end of a run with its counts.
    fn finish_link_run(
        &self,
        id: i64,
        finished_at: i64,
        checked: u64,
        failed: u64,
    ) -> Result<(), StoreError>;
    /// Keeps checks, in one transaction.
    fn add_link_checks(&self, rows: &[NewLinkCheck]) -> Result<(), StoreError>;
    /// The newest check of every address ever checked, by address.
    fn latest_link_checks(&self) -> Result<Vec<LinkCheck>, StoreError>;
    /// Every check of one address, newest first, at most `limit`.
    fn link_history(&self, url: &str, limit: usize) -> Result<Vec<LinkCheck>, StoreError>;
    /// The newest runs, newest first, at most `limit`.
    fn link_runs(&self, limit: usize) -> Result<Vec<LinkRun>, StoreError>;
}

/// When a scheduled checker runs next (seconds since 1970): `every` after the last run of
/// any kind, or after the server's start when none has run yet (at most five minutes
/// after it, so a new schedule is seen working); `now` when that is already past.
pub fn next_link_run(last_started: Option<i64>, every: i64, server_started: i64, now: i64) -> i64 {
    let every = every.max(1);
    let due = match last_started {
        Some(last) => last.saturating_add(every),
        None => server_started.saturating_add(every.min(300)),
    };
    due.max(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_run_counts_from_the_last_run_or_the_start() {
        let week = 7 * 86_400;
        assert_eq!(next_link_run(None, week, 1000, 1000), 1300);
        assert_eq!(next_link_run(None, 60, 1000, 1000), 1060);
        assert_eq!(next_link_run(Some(500), week, 1000, 1000), 500 + week);
        // Overdue: now.
        assert_eq!(next_link_run(Some(0), 60, 1000, 5000), 5000);
        assert_eq!(next_link_run(Some(i64::MAX - 1), week, 0, 0), i64::MAX);
    }
}
