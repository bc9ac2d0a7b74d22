//! `/healthz`: whether this server can serve the archive as it is now, for what checks
//! servers actively (monitoring, systemd watchdogs, HAProxy or NGINX Plus, a deploy script
//! that waits before putting a server back behind the balancer; docs/deploy.md).
//!
//! 200 when the store answers and the search index has applied the store's newest change;
//! 503 with `Retry-After` when the index is behind (a server that has not yet followed
//! another's write, or whose outside writer has not brought the index along), when the
//! index is ahead of the store (a database restored from an older backup: restart the
//! server to rebuild its index), or when the store cannot be read within
//! [`STORE_TIMEOUT`]. The body is a small JSON object: the status, the two sequence
//! numbers and, when not ok, a short reason; nothing private (no database address, no
//! error text: the log has those).
//!
//! `?grace=SECONDS` (0 to [`MAX_GRACE`]) is for a balancer's active checks: an index that
//! lacks only changes made within the last SECONDS (by the time the store logged, its
//! writer's clock) is still answered 200, its status `behind` with `behind_secs`. During a
//! long import every server's index trails the store by a moment at almost every check;
//! strict checks would then take every server out at once. Deploy scripts, which want
//! "caught up", ask without it.
//!
//! Answered on the runtime, not the request workers (like `/metrics`), so that a server
//! whose workers are all busy still says it is alive; never cached. The store is asked on
//! tokio's blocking pool under a timeout, since a PostgreSQL that is down makes a read wait
//! for the pool's connection timeout: the answer comes within [`STORE_TIMEOUT`] whatever
//! the store does, and at most [`MAX_PROBES`] asks wait on one store at once, so frequent
//! checks of a stuck store do not fill the blocking pool.

use crate::routes::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long the store may take to say its newest change before the server is reported
/// unavailable. Well below balancers' usual check timeouts (HAProxy's and NGINX Plus's are
/// several seconds).
pub const STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// Asks of one store that may wait at once; a check past them is answered unavailable at
/// once (the earlier ones have not come back, so neither would it).
pub const MAX_PROBES: usize = 2;

/// The largest `?grace=`: an hour.
pub const MAX_GRACE: u64 = 3600;

/// `Retry-After` of a server whose index is behind: the follower is woken by each commit.
const RETRY_BEHIND: HeaderValue = HeaderValue::from_static("1");
/// `Retry-After` of a server whose store does not answer.
const RETRY_UNAVAILABLE: HeaderValue = HeaderValue::from_static("5");

/// What `/healthz` says.
#[derive(Debug, Serialize)]
struct Health {
    /// `ok`, `behind`, `ahead` or `unavailable`.
    status: &'static str,
    /// The store's newest change (`null` when the store did not say).
    store_seq: Option<i64>,
    /// The newest change the search index has applied (`null` when it keeps none).
    index_seq: Option<i64>,
    /// Why the server is not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    /// How long ago the oldest change the index lacks was made (asked with `?grace=`).
    #[serde(skip_serializing_if = "Option::is_none")]
    behind_secs: Option<u64>,
}

/// The query string: `grace`, if any.
#[derive(Debug, Deserialize)]
struct Params {
    grace: Option<String>,
}

/// `GET /healthz` (and `HEAD`).
pub(crate) async fn endpoint(State(state): State<AppState>, uri: Uri) -> Response {
    let grace = match grace_of(&uri) {
        Ok(grace) => grace,
        Err(why) => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
                why,
            )
                .into_response()
        }
    };
    let health = check(&state, grace).await;
    let within_grace = matches!((grace, health.behind_secs), (Some(g), Some(s)) if s <= g);
    let (status, retry) = match health.status {
        "ok" => (StatusCode::OK, None),
        "behind" if within_grace => (StatusCode::OK, None),
        "behind" | "ahead" => (StatusCode::SERVICE_UNAVAILABLE, Some(RETRY_BEHIND)),
        _ => (StatusCode::SERVICE_UNAVAILABLE, Some(RETRY_UNAVAILABLE)),
    };
    let body = serde_json::to_string(&health).unwrap_or_else(|_| "{}".into());
    let mut response = (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response();
    if let Some(retry) = retry {
        response.headers_mut().insert(header::RETRY_AFTER, retry);
    }
    response
}

/// `?grace=SECONDS`: `None` when absent or empty; a value that is not a whole number of
/// seconds up to [`MAX_GRACE`] is refused with what was wrong.
fn grace_of(uri: &Uri) -> Result<Option<u64>, String> {
    let Query(Params { grace }) =
        Query::<Params>::try_from_uri(uri).map_err(|e| format!("The query string: {e}\n"))?;
    match grace.filter(|g| !g.is_empty()) {
        None => Ok(None),
        Some(g) => match g.parse::<u64>() {
            Ok(n) if n <= MAX_GRACE && g.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(n)),
            _ => Err(format!(
                "`grace` must be a whole number of seconds from 0 to {MAX_GRACE}, not `{}`.\n",
                g.chars().take(20).collect::<String>()
            )),
        },
    }
}

/// Reads the index's applied change, then the store's newest (in that order: a change
/// committed and applied between the two reads then looks behind for a moment, never
/// ahead), and with a `grace`, when behind, the time of the oldest change the index
/// lacks; on the blocking pool, within [`STORE_TIMEOUT`].
async fn check(state: &AppState, grace: Option<u64>) -> Health {
    let unavailable = |reason| Health {
        status: "unavailable",
        store_seq: None,
        index_seq: None,
        reason: Some(reason),
        behind_secs: None,
    };
    let Some(probe) = Probe::start(&state.store) else {
        return unavailable("the store has not answered the previous checks");
    };
    let (store, search) = (state.store.clone(), state.search.clone());
    let asked = tokio::task::spawn_blocking(move || {
        let _probe = probe;
        let index_seq = search.applied_seq();
        let store_seq = store.last_change();
        let behind_secs = match (grace, index_seq, &store_seq) {
            (Some(_), Some(i), Ok(s)) if i < *s => oldest_unapplied_age(store.as_ref(), i),
            _ => None,
        };
        (index_seq, store_seq.map(|s| (s, behind_secs)))
    });
    let (index_seq, store_seq) = match tokio::time::timeout(STORE_TIMEOUT, asked).await {
        Err(_) => return unavailable("the store did not answer in time"),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "the health check's store read failed");
            return unavailable("the store check failed");
        }
        Ok(Ok((_, Err(e)))) => {
            tracing::warn!(error = %e, "health check: cannot read the store's newest change");
            return unavailable("the store cannot be read");
        }
        Ok(Ok((index_seq, Ok(seqs)))) => (index_seq, seqs),
    };
    let (store_seq, behind_secs) = store_seq;
    let (status, reason) = match index_seq {
        Some(i) if i == store_seq => ("ok", None),
        Some(i) if i < store_seq => (
            "behind",
            Some("the search index has not yet applied the store's newest changes"),
        ),
        Some(_) => (
            "ahead",
            Some("the search index is ahead of the store (restored from a backup?): restart the server to rebuild it"),
        ),
        None => (
            "behind",
            Some("the search index keeps no record of the changes it applied"),
        ),
    };
    Health {
        status,
        store_seq: Some(store_seq),
        index_seq,
        reason,
        behind_secs: behind_secs.filter(|_| status == "behind"),
    }
}

/// Seconds since the first change after `applied` was logged (0 if its time is ahead of
/// this machine's clock); `None` when it cannot be read.
fn oldest_unapplied_age(store: &dyn dossier_store::Store, applied: i64) -> Option<u64> {
    let change = store.changes_since(applied, 1).ok()?.into_iter().next()?;
    let at = crate::cache::parse_rfc3339(&change.at)?;
    Some(crate::cache::unix_now().saturating_sub(at))
}

/// One ask of a store that is waiting or running, counted per store (by its address; a
/// process may serve several) until dropped, also when the check has given up on it.
struct Probe {
    store: usize,
}

impl Probe {
    fn counts() -> &'static Mutex<HashMap<usize, usize>> {
        static COUNTS: OnceLock<Mutex<HashMap<usize, usize>>> = OnceLock::new();
        COUNTS.get_or_init(Default::default)
    }

    /// A probe of `store`, unless [`MAX_PROBES`] are out already.
    fn start(store: &Arc<dyn dossier_store::Store>) -> Option<Probe> {
        let key = Arc::as_ptr(store) as *const () as usize;
        let mut counts = Self::counts().lock().unwrap_or_else(|p| p.into_inner());
        let n = counts.entry(key).or_insert(0);
        if *n >= MAX_PROBES {
            return None;
        }
        *n += 1;
        Some(Probe { store: key })
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        let mut counts = Self::counts().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = counts.get_mut(&self.store) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.store);
            }
        }
    }
}
