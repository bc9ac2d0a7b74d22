//! `/review/links`: the link checker's results for editors (issue 25): the last run and
//! the next (when the server checks on a schedule), the newest result of every address,
//! failures first, with their redirects and messages. HTML, or JSON with
//! `Accept: application/json`; never cached, for accounts that may edit any record.

use crate::auth::{no_store, private_page, Viewing};
use crate::error::HttpError;
use crate::negotiate::Wants;
use crate::routes::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dossier_auth::Right;
use dossier_publish::time::rfc3339;
use dossier_store::{next_link_run, LinkCheck, LinkOutcome, LinkRun};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The server's link-check schedule (`dossier serve --check-links-every 7d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkSchedule {
    pub every: Duration,
    /// When the server started (seconds since 1970): the first run is counted from it.
    pub started_at: i64,
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/review/links", get(review_links))
}

#[derive(Serialize)]
struct RunView {
    trigger: &'static str,
    started: String,
    finished: Option<String>,
    checked: u64,
    failed: u64,
}

impl RunView {
    fn of(r: &LinkRun) -> RunView {
        RunView {
            trigger: r.trigger.as_str(),
            started: rfc3339(r.started_at),
            finished: r.finished_at.map(rfc3339),
            checked: r.checked,
            failed: r.failed,
        }
    }
}

#[derive(Serialize)]
struct CheckView {
    url: String,
    outcome: LinkOutcome,
    failure: bool,
    status: Option<u16>,
    final_url: Option<String>,
    redirects: Vec<dossier_store::LinkHop>,
    message: String,
    checked: String,
}

#[derive(Serialize)]
struct LinksView {
    /// "every 7 days", when the server checks on a schedule.
    schedule: Option<String>,
    last_run: Option<RunView>,
    next_run: Option<String>,
    counts: BTreeMap<&'static str, usize>,
    checks: Vec<CheckView>,
}

/// "7 days", "12 hours", "30 minutes", "45 seconds".
fn describe(every: Duration) -> String {
    let s = every.as_secs();
    let (n, unit) = if s.is_multiple_of(86_400) {
        (s / 86_400, "day")
    } else if s.is_multiple_of(3600) {
        (s / 3600, "hour")
    } else if s.is_multiple_of(60) {
        (s / 60, "minute")
    } else {
        (s, "second")
    };
    format!("every {n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `GET /review/links`.
async fn review_links(
    State(state): State<AppState>,
    wants: Wants,
    viewing: Viewing,
    uri: Uri,
) -> Result<Response, HttpError> {
    if let Err(answer) =
        crate::editing::web::require_as(&state, &viewing, Right::EditAny, &uri, wants)
    {
        return Ok(*answer);
    }
    let (runs, latest) = state
        .blocking(|store| {
            let Some(lc) = store.link_checks() else {
                return Ok((Vec::new(), Vec::new()));
            };
            let runs = lc.link_runs(1).map_err(|e| HttpError::Internal(e.into()))?;
            let latest = lc
                .latest_link_checks()
                .map_err(|e| HttpError::Internal(e.into()))?;
            Ok::<_, HttpError>((runs, latest))
        })
        .await?;
    let schedule = state.link_schedule;
    let now = crate::auth::now();
    let view = LinksView {
        schedule: schedule.map(|s| describe(s.every)),
        last_run: runs.first().map(RunView::of),
        next_run: schedule.map(|s| {
            rfc3339(next_link_run(
                runs.first().map(|r| r.started_at),
                s.every.as_secs() as i64,
                s.started_at,
                now,
            ))
        }),
        counts: count(&latest),
        checks: ordered(latest),
    };
    if wants.json {
        let body = serde_json::to_vec(&view)?;
        let mut r = body.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
        return Ok(no_store(r));
    }
    private_page(
        &state,
        &viewing,
        StatusCode::OK,
        "review-links.html",
        "Link checks",
        &view,
    )
}

fn count(latest: &[LinkCheck]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for c in latest {
        *counts.entry(c.outcome.as_str()).or_default() += 1;
    }
    counts
}

/// Failures first, then redirects and the rest, each by address.
fn ordered(mut latest: Vec<LinkCheck>) -> Vec<CheckView> {
    let rank = |o: LinkOutcome| match o {
        o if o.is_failure() => 0,
        LinkOutcome::Redirected | LinkOutcome::Refused | LinkOutcome::Robots => 1,
        _ => 2,
    };
    latest.sort_by(|a, b| {
        rank(a.outcome)
            .cmp(&rank(b.outcome))
            .then_with(|| a.url.cmp(&b.url))
    });
    latest
        .into_iter()
        .map(|c| CheckView {
            failure: c.outcome.is_failure(),
            checked: rfc3339(c.checked_at),
            url: c.url,
            outcome: c.outcome,
            status: c.status,
            final_url: c.final_url,
            redirects: c.redirects,
            message: c.message,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_read_as_words() {
        assert_eq!(describe(Duration::from_secs(7 * 86_400)), "every 7 days");
        assert_eq!(describe(Duration::from_secs(86_400)), "every 1 day");
        assert_eq!(describe(Duration::from_secs(7200)), "every 2 hours");
        assert_eq!(describe(Duration::from_secs(90)), "every 90 seconds");
    }
}
