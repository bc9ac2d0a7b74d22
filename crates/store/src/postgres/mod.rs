//! The PostgreSQL implementation of [`Store`] and [`BulkLoad`] (issue 29): the same
//! tables and behaviour as the SQLite store ([`crate::SqliteStore`]), for an institution
//! that runs several stateless servers on one database it already operates.
//!
//! Records are kept as JSON text beside the columns queries need, exactly as in SQLite
//! (the write path compares the stored text with the new, so a rewrite that changes
//! nothing logs nothing). This module opens the connection pool and migrates the schema;
//! [`queries`] answers the [`Store`] trait, [`write`] writes records, [`changes`] keeps the
//! change log, its `LISTEN/NOTIFY` wake-ups and the tombstones, and [`bulk`] is the bulk
//! load.
//!
//! Connections: the synchronous `postgres` client in an `r2d2` pool. The store's API is
//! synchronous and every caller already reads it on plain threads (the server's request
//! workers), so an async driver would only add a runtime hop to each call. The sync client
//! runs a small tokio runtime of its own per connection and panics when called on a thread
//! that is inside another tokio runtime; [`PgStore`] therefore moves a call made on such a
//! thread (the server's async middleware asks [`Store::last_change`]) to a short-lived
//! scoped thread instead of panicking ([`PgStore::read`]).
//!
//! A restart of the database closes every connection: the pool's connections fail at their
//! first statement and are dropped, reads run again on fresh ones, and the change listener
//! connects again (see [`ChangeListener`]). While the database does not answer, calls wait
//! together for at most [`RIDE_THROUGH`] from the moment the outage was first seen (a fast
//! restart passes unnoticed but for the wait), then fail at once with
//! [`StoreError::Unavailable`] (a server answers 503 with `Retry-After`) until a statement
//! succeeds again. No lock outlives a connection: the writer's and the migrations' advisory
//! locks are transaction-scoped, so a killed process or a lost connection releases them.
//!
//! Writes are serialised by the database: every write transaction first takes one
//! transaction-scoped advisory lock (the writer's, per schema), so sequence order in the
//! change log is commit order, a follower never sees seq 11 committed before seq 10, and
//! the validation a write does inside its transaction cannot be overtaken by another
//! server's write. This is what SQLite's `BEGIN IMMEDIATE` gives the SQLite store. The one
//! exception is a bulk load's batches, which one process at a time may write side by side
//! (see [`bulk`]): they share the writer's lock, every other write waits for them as for
//! one, and the change log's own lock ([`lock_log`]) keeps their appends in commit order.

mod accounts;
mod bulk;
mod captures;
mod changes;
mod connect;
mod link_checks;
mod merges;
mod migrations;
mod queries;
pub(crate) mod raw;
mod revisions;
mod settings;
mod write;

pub use changes::ChangeListener;

use crate::*;
use ::postgres::{Client, Transaction};
use connect::Connect;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Connections the pool keeps at most: the server's request workers (4 by default) and
/// its background work, with room for the index's follower and an import.
pub const POOL_CONNECTIONS: u32 = 16;
/// How long a caller waits for a free connection (every one busy) before the call fails.
const POOL_WAIT: Duration = Duration::from_secs(10);
/// How long calls wait, all together, for a database that stopped answering to answer
/// again, counted from the first failure: longer than a restart takes (`pg_ctl restart -m
/// fast`), short enough that a request does not hang when it is down for good.
pub const RIDE_THROUGH: Duration = Duration::from_secs(5);
/// Once the database has been down longer than [`RIDE_THROUGH`], how long one call waits
/// for a connection (the others fail at once meanwhile): a request is answered 503 at once
/// instead of hanging, and the database is still tried several times a second.
const DOWN_WAIT: Duration = Duration::from_millis(100);
/// How long one attempt to connect may take; the pool tries again, every half of this at
/// most, while the database is down, so a connection is ready soon after it is back.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a write waits for the writer's lock (another server's, an import's) before
/// it fails: SQLite's busy timeout.
const WRITER_WAIT_MS: i64 = 5_000;

/// The advisory-lock key of the writer, in the store's lock class (see [`PgStore`]).
const WRITER_LOCK: i32 = 2;
/// The advisory-lock key of a bulk load that writes its batches side by side: held by one
/// process at a time, on a connection of its own, from `begin_bulk` to `end_bulk` (see
/// [`bulk`]).
const BULK_LOCK: i32 = 3;
/// The advisory-lock key of the change log's end: a write takes it (to its commit) just
/// before it appends its changes, the last thing it does, so that batches written side by
/// side append and commit one after the other (see [`lock_log`]).
const LOG_LOCK: i32 = 4;

/// How a write transaction takes the writer's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriterLock {
    /// Alone: every other write, of any process, waits for it to commit. Every write but
    /// the batches of a bulk load that holds [`BULK_LOCK`].
    Sole,
    /// Shared with the other batches of this process's bulk load, which write other
    /// records; every `Sole` writer waits for them all, and they for it.
    Beside,
}

/// Opens connections for the pool, each with the schema's `search_path` when one is set.
pub struct Manager {
    connect: Connect,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Client;
    type Error = ::postgres::Error;

    fn connect(&self) -> Result<Client, ::postgres::Error> {
        self.connect.connect()
    }

    fn is_valid(&self, conn: &mut Client) -> Result<(), ::postgres::Error> {
        conn.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Client) -> bool {
        conn.is_closed()
    }
}

/// A connection of the pool, back in it when dropped.
pub type PooledClient = r2d2::PooledConnection<Manager>;

/// When the store's calls found the database not answering (`None`: it answers), shared by
/// every caller so that they wait for it together, [`RIDE_THROUGH`] at most, and then fail
/// fast instead of each waiting its own time.
#[derive(Default)]
pub(crate) struct Outage {
    state: Mutex<OutageState>,
}

#[derive(Default)]
struct OutageState {
    /// When a call first found the database not answering (`None`: it answers).
    since: Option<Instant>,
    /// Past [`RIDE_THROUGH`], one call at a time waits [`DOWN_WAIT`] for a connection (and
    /// so has the pool try to connect); the others fail at once until this passes.
    probing_until: Option<Instant>,
}

impl Outage {
    fn state(&self) -> std::sync::MutexGuard<'_, OutageState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A call found the database not answering.
    fn begin(&self, error: &dyn std::fmt::Display) {
        let mut state = self.state();
        if state.since.is_none() {
            state.since = Some(Instant::now());
            tracing::warn!(%error, wait = ?RIDE_THROUGH, "the database is not answering; waiting for it");
        }
    }

    /// A statement succeeded: the database answers.
    fn end(&self) {
        let mut state = self.state();
        state.probing_until = None;
        if let Some(since) = state.since.take() {
            tracing::warn!(after = ?since.elapsed(), "the database answers again");
        }
    }

    /// How long a call may wait for a connection now: `None` for not at all (the database
    /// has been down too long and another call is already trying it).
    fn wait(&self) -> Option<Duration> {
        let mut state = self.state();
        let Some(since) = state.since else {
            return Some(POOL_WAIT);
        };
        let left = RIDE_THROUGH.saturating_sub(since.elapsed());
        if !left.is_zero() {
            return Some(left);
        }
        let now = Instant::now();
        if state.probing_until.is_some_and(|until| now < until) {
            return None;
        }
        state.probing_until = Some(now + DOWN_WAIT);
        Some(DOWN_WAIT)
    }

    /// A connection from `pool`, waiting no longer than [`wait`](Self::wait) allows.
    pub(crate) fn checkout(&self, pool: &r2d2::Pool<Manager>) -> Result<PooledClient, StoreError> {
        match self.wait() {
            Some(wait) => pool.get_timeout(wait).map_err(|e| {
                // Every connection busy (the pool full, none idle) is load, not the
                // database gone: it must not start an outage's fast refusals.
                let state = pool.state();
                if !(state.connections >= pool.max_size() && state.idle_connections == 0) {
                    self.begin(&e);
                }
                StoreError::Unavailable(format!("no connection within {wait:?}: {e}"))
            }),
            // An idle connection may have come back meanwhile.
            None => pool.try_get().ok_or_else(|| {
                StoreError::Unavailable(format!(
                    "the database has not answered for {RIDE_THROUGH:?} or more"
                ))
            }),
        }
    }

    /// Runs `f` on a connection from `pool` again and again while the connection it got
    /// was lost (closed by a restart while it waited in the pool), until one answers or
    /// the outage's wait is over. Only for reads: `f` must not write.
    pub(crate) fn read<T>(
        &self,
        pool: &r2d2::Pool<Manager>,
        f: impl Fn(&mut Client) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut tries = 0;
        loop {
            let mut client = self.checkout(pool)?;
            match f(&mut client) {
                Err(StoreError::Postgres(e)) if connection_lost(&e) => {
                    self.begin(&e);
                    tries += 1;
                    if tries > POOL_CONNECTIONS + 1 {
                        return Err(StoreError::Postgres(e));
                    }
                    tracing::debug!(error = %e, "a pooled connection was lost; reading again");
                }
                done => {
                    self.end();
                    return done;
                }
            }
        }
    }
}

/// The transaction [`BulkLoad::hold`] opened, with the connection it lives on (`None`
/// once `release` committed or rolled it back).
#[ouroboros::self_referencing]
struct Held {
    client: PooledClient,
    #[borrows(mut client)]
    #[not_covariant]
    tx: Option<Transaction<'this>>,
}

/// A PostgreSQL store: one database (and schema), any number of processes.
pub struct PgStore {
    /// Always `Some` but while the store is dropped (see its `Drop`).
    pool: Option<r2d2::Pool<Manager>>,
    /// The connection settings (and TLS), for the change listener's own connection.
    connect: Connect,
    /// The schema the store lives in (`current_schema()` of its connections).
    schema: String,
    /// The class of the store's advisory locks: a hash of its schema, so that stores in
    /// different schemas of one database (tests) do not wait for each other.
    lock_class: i32,
    /// Whether (and since when) the database is not answering, for every caller.
    outage: Arc<Outage>,
    /// The transaction of a bulk load's [`BulkLoad::hold`], which writes join until
    /// `release`.
    held: Mutex<Option<Held>>,
    /// Whether a bulk load runs ([`BulkLoad::begin_bulk`]): write transactions then
    /// commit without waiting for the WAL's flush.
    bulk: AtomicBool,
    /// The connection that holds [`BULK_LOCK`] while this process's bulk load writes its
    /// batches side by side (see [`bulk`]).
    bulk_lock: Mutex<Option<Box<Client>>>,
    /// Answers [`Store::last_change`] asked on tokio runtime threads (the server's cache
    /// layer asks it for every request), started on first use.
    log_reader: std::sync::OnceLock<changes::LogReader>,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`,
    /// or key=value settings), opens the pool and runs pending migrations. A schema other
    /// than `public` is chosen with the URL's `options=-csearch_path%3DNAME`; it must
    /// exist.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let open_err = |e: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
            path: redact(url),
            source: e,
        };
        let mut connect = Connect::parse(url).map_err(|e| open_err(e.into()))?;
        let config = &mut connect.config;
        if config.get_application_name().is_none() {
            config.application_name("dossier");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // Connecting and migrating are blocking calls of the sync client: off any runtime.
        off_runtime(move || {
            // One connection first, for its error with its causes (a refused certificate,
            // a wrong password): the pool's would say only that it timed out.
            let probe = connect
                .connect()
                .map_err(|e| open_err(with_causes(&e).into()))?;
            drop(probe);
            let pool = r2d2::Pool::builder()
                .max_size(POOL_CONNECTIONS)
                // A round trip per checkout is too dear for page reads: a connection
                // closed under the pool is found by its first statement instead, and
                // `read` and `live_client` take another.
                .test_on_check_out(false)
                .min_idle(Some(1))
                // Every checkout names its own wait (`Outage::checkout`); this one sets
                // how often a connection is tried again while the database is down.
                .connection_timeout(CONNECT_TIMEOUT)
                // A refused attempt is the outage's to report, once (`Outage`), not one
                // line per attempt.
                .error_handler(Box::new(r2d2::NopErrorHandler))
                .build(Manager {
                    connect: connect.clone(),
                })
                .map_err(|e| open_err(Box::new(e)))?;
            let mut client = pool.get().map_err(|e| open_err(Box::new(e)))?;
            let (schema, lock_class): (Option<String>, i32) = {
                let row = client
                    .query_one("SELECT current_schema(), hashtext(current_schema())", &[])
                    .map_err(|e| open_err(Box::new(e)))?;
                (row.get(0), row.get::<_, Option<i32>>(1).unwrap_or(0))
            };
            let Some(schema) = schema else {
                return Err(open_err(
                    "the connection's search_path names no schema that exists".into(),
                ));
            };
            migrations::migrate(&mut client, lock_class)?;
            drop(client);
            Ok(PgStore {
                pool: Some(pool),
                connect,
                schema,
                lock_class,
                outage: Arc::default(),
                held: Mutex::new(None),
                bulk: AtomicBool::new(false),
                bulk_lock: Mutex::new(None),
                log_reader: std::sync::OnceLock::new(),
            })
        })
    }

    /// The pool (a handle on it: the pool lives as long as its last handle).
    fn pool(&self) -> r2d2::Pool<Manager> {
        self.pool
            .clone()
            .expect("the pool lives as long as the store")
    }

    /// The schema the store's tables are in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// A connection from the pool. Not on a thread inside a tokio runtime: the sync client
    /// panics there; go through [`read`](Self::read) or
    /// [`in_transaction`](Self::in_transaction), which move such a call off it.
    pub(crate) fn client(&self) -> Result<PooledClient, StoreError> {
        let pool = self
            .pool
            .as_ref()
            .expect("the pool lives as long as the store");
        self.outage.checkout(pool)
    }

    /// Whether (and since when) the database is not answering, shared with the store's
    /// log reader.
    pub(crate) fn outage(&self) -> Arc<Outage> {
        self.outage.clone()
    }

    /// Runs `f` on a pooled connection, outside any transaction (each statement its own),
    /// on a thread outside any tokio runtime (a scoped thread when called inside one).
    ///
    /// A connection that PostgreSQL closed while it waited in the pool (a restart of the
    /// database) fails at its first statement; `f` then runs again on another (waiting for
    /// the database while it is down, [`RIDE_THROUGH`] at most), so that reads during and
    /// after a restart do not fail. Only reads are run again: `f` must not write.
    pub(crate) fn read<T: Send>(
        &self,
        f: impl Fn(&mut Client) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        let pool = self
            .pool
            .as_ref()
            .expect("the pool lives as long as the store");
        off_runtime(move || self.outage.read(pool, f))
    }

    /// A pooled connection that answers: one closed while it waited in the pool (a
    /// restart of the database) is dropped and another taken, so that the first writes
    /// after a restart do not fail.
    fn live_client(&self) -> Result<PooledClient, StoreError> {
        let mut tries = 0;
        loop {
            let mut client = self.client()?;
            match client.simple_query("") {
                Ok(_) => {
                    self.outage.end();
                    return Ok(client);
                }
                Err(e) => {
                    if !connection_lost(&e) || tries > POOL_CONNECTIONS {
                        return Err(e.into());
                    }
                    self.outage.begin(&e);
                    tries += 1;
                }
            }
        }
    }

    /// Runs `f` in a write transaction, all or nothing: its own (after the writer's
    /// advisory lock, so writes are serialised across every process on the database), or,
    /// inside a held one ([`BulkLoad::hold`]), a savepoint of it, undone alone if `f`
    /// fails and committed with the rest by `release`. On a thread inside a tokio runtime
    /// it runs on a scoped thread.
    pub(crate) fn in_transaction<T: Send, E: From<StoreError> + Send>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, E> + Send,
    ) -> Result<T, E> {
        self.in_transaction_locked(WriterLock::Sole, f)
    }

    /// [`in_transaction`](Self::in_transaction), its own transaction taking the writer's
    /// lock as `lock` says (a held transaction already has it alone).
    pub(crate) fn in_transaction_locked<T: Send, E: From<StoreError> + Send>(
        &self,
        lock: WriterLock,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, E> + Send,
    ) -> Result<T, E> {
        off_runtime(|| {
            let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(held) = held.as_mut() {
                return held.with_tx_mut(|tx| {
                    let tx = tx.as_mut().ok_or_else(|| {
                        StoreError::Invalid("the held transaction has ended".into())
                    })?;
                    let mut savepoint = tx.transaction().map_err(StoreError::from)?;
                    let out = f(&mut savepoint)?;
                    savepoint.commit().map_err(StoreError::from)?;
                    Ok(out)
                });
            }
            drop(held);
            let mut client = self.live_client()?;
            let mut tx = client.transaction().map_err(StoreError::from)?;
            self.lock_writer_as(&mut tx, lock)?;
            if self.bulk.load(Ordering::Relaxed) {
                tx.batch_execute("SET LOCAL synchronous_commit = off")
                    .map_err(StoreError::from)?;
            }
            let out = f(&mut tx)?;
            commit(tx)?;
            Ok(out)
        })
    }

    /// Takes the writer's advisory lock for the rest of `tx`, waiting at most
    /// [`WRITER_WAIT_MS`] for another writer.
    fn lock_writer(&self, tx: &mut Transaction<'_>) -> Result<(), StoreError> {
        self.lock_writer_as(tx, WriterLock::Sole)
    }

    /// [`lock_writer`](Self::lock_writer), alone or shared.
    fn lock_writer_as(&self, tx: &mut Transaction<'_>, lock: WriterLock) -> Result<(), StoreError> {
        tx.batch_execute(&format!("SET LOCAL lock_timeout = {WRITER_WAIT_MS}"))?;
        let take = match lock {
            WriterLock::Sole => "SELECT pg_advisory_xact_lock($1, $2)",
            WriterLock::Beside => "SELECT pg_advisory_xact_lock_shared($1, $2)",
        };
        tx.execute(take, &[&self.lock_class, &WRITER_LOCK])?;
        tx.batch_execute("SET LOCAL lock_timeout = 0")?;
        Ok(())
    }
}

/// Closing a connection of the sync client blocks on its runtime, which panics on a thread
/// inside a tokio runtime: a store dropped there (an async task's) closes its connections
/// off it.
impl Drop for PgStore {
    fn drop(&mut self) {
        let held = self
            .held
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let pool = self.pool.take();
        let bulk_lock = self
            .bulk_lock
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        // Its thread ends with its channel, closing what it holds on a thread of its own.
        drop(self.log_reader.take());
        off_runtime(move || {
            drop(held);
            drop(bulk_lock);
            drop(pool);
        });
    }
}

/// Takes the change log's lock ([`LOG_LOCK`]) for the rest of `tx`: a write appending a
/// batch of changes does so just before, as the last thing before its commit. Writes that
/// hold the writer's lock alone gain nothing from it (no other write runs); batches of a
/// bulk load written side by side, which hold it shared, append and commit one after the
/// other through it, so that sequence order is still commit order. The key's class is the
/// store's (`hashtext(current_schema())`, as [`PgStore::open`] computes it).
pub(crate) fn lock_log(tx: &mut Transaction<'_>) -> Result<(), StoreError> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext(current_schema()), $1)",
        &[&LOG_LOCK],
    )?;
    Ok(())
}

/// Commits `tx`; a connection lost during the commit is [`StoreError::CommitUnknown`]
/// (the commit may have landed), not an outage a caller would retry.
pub(crate) fn commit(tx: Transaction<'_>) -> Result<(), StoreError> {
    tx.commit().map_err(|e| {
        if connection_lost(&e) {
            StoreError::CommitUnknown(e.to_string())
        } else {
            StoreError::from(e)
        }
    })
}

/// Whether `e` says the connection itself is gone (closed by PostgreSQL, which a restart
/// does to every connection, or refused while it starts), not that the statement failed.
pub(crate) fn connection_lost(e: &::postgres::Error) -> bool {
    use ::postgres::error::SqlState;
    e.is_closed()
        || matches!(
            e.code(),
            Some(
                &SqlState::ADMIN_SHUTDOWN
                    | &SqlState::CRASH_SHUTDOWN
                    | &SqlState::CANNOT_CONNECT_NOW
            )
        )
        || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}

/// Runs `f` here, or, on a thread inside a tokio runtime (where the sync client would
/// panic), on a scoped thread that waits for it.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(out) => out,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// An error and each of its causes, for a message: the driver's says "error performing
/// TLS handshake" and leaves why to its source.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ if url.contains("password") => "(connection settings)".into(),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn a_password_never_shows_in_messages() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("host=h password=secret"), "(connection settings)");
    }
}
