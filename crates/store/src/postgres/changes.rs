//! The change log (a table whose `seq` is an identity sequence: what changed, in commit
//! order, for the search index and harvesters to follow), the `LISTEN/NOTIFY` wake-up of
//! followers, and the tombstones of deleted records.

use super::PgStore;
use crate::*;
use ::postgres::fallible_iterator::FallibleIterator;
use ::postgres::{Client, Transaction};
use std::time::{Duration, Instant};

/// The channel a commit that logged changes notifies (payload: the store's schema), by
/// the trigger of migration 2.
pub(crate) const CHANNEL: &str = "dossier_changes";

/// Logs a change in the transaction `tx` and widens the summary's range to it.
pub(crate) fn log_change(
    tx: &mut Transaction<'_>,
    record: RecordType,
    slug: &str,
    op: &str,
    now: &str,
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    let seq: i64 = tx
        .query_one(
            "INSERT INTO changes (type, slug, op, at) VALUES ($1, $2, $3, $4) RETURNING seq",
            &[&record.as_str(), &slug, &op, &now],
        )?
        .get(0);
    note_logged(seq, summary);
    Ok(())
}

/// Widens the summary's range of change-log entries to `seq`.
pub(crate) fn note_logged(seq: i64, summary: &mut WriteSummary) {
    summary.logged = Some(match summary.logged {
        Some((first, _)) => (first, seq),
        None => (seq, seq),
    });
}

/// [`Store::changes_since`].
pub(super) fn changes_since(
    store: &PgStore,
    seq: i64,
    limit: usize,
) -> Result<Vec<Change>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    store.read(|c| {
        let rows = c.query(
            "SELECT seq, type, slug, op, at FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&seq, &limit],
        )?;
        Ok(rows
            .iter()
            .map(|r| Change {
                seq: r.get(0),
                record: RecordType::parse(r.get(1)).unwrap_or(RecordType::Document),
                slug: r.get(2),
                op: change_op(r.get(3)),
                at: r.get(4),
            })
            .collect())
    })
}

/// [`Store::changed_at_or_before`].
pub(super) fn changed_at_or_before(
    store: &PgStore,
    seq: i64,
    upto: i64,
) -> Result<std::collections::HashSet<(RecordType, String)>, StoreError> {
    if seq <= 0 {
        return Ok(Default::default());
    }
    store.read(|c| {
        let rows = c.query(
            "SELECT DISTINCT c.type, c.slug FROM changes c
             WHERE c.seq > $1 AND c.seq <= $2
               AND EXISTS (SELECT 1 FROM changes p
                           WHERE p.type = c.type AND p.slug = c.slug AND p.seq <= $1)",
            &[&seq, &upto],
        )?;
        // A type this build does not know cannot be in its index either.
        Ok(rows
            .iter()
            .filter_map(|r| Some((RecordType::parse(r.get(0))?, r.get::<_, String>(1))))
            .collect())
    })
}

/// [`Store::last_change`]: the log's last entry, the end of its primary key's index. Each
/// call is its own statement, so it sees every commit made before it, by any process.
///
/// Asked on a tokio runtime thread (the server's cache layer asks on every request), the
/// query runs on the store's [`LogReader`] thread instead of a new scoped thread each time.
pub(super) fn last_change(store: &PgStore) -> Result<i64, StoreError> {
    if tokio::runtime::Handle::try_current().is_ok() {
        let reader = store
            .log_reader
            .get_or_init(|| LogReader::start(store.pool(), store.outage()));
        match reader.ask() {
            Some(Ok(seq)) => return Ok(seq),
            // Not read again here: that would hold this runtime thread as long again.
            Some(Err(e)) => return Err(StoreError::Unavailable(e)),
            // No reader thread: the usual path, on a scoped thread.
            None => {}
        }
    }
    store.read(|c| Ok(last_seq(c)?))
}

/// A thread that answers [`Store::last_change`] for callers on tokio runtime threads,
/// where the sync client may not run. Requests that wait together are answered by one
/// query, begun after every one of them was asked: each answer still counts every commit
/// made before its request, as the trait asks.
///
/// While the database does not answer, the reader waits for it as every call of the store
/// does (the shared [`Outage`](super::Outage)), and the requests that came meanwhile are
/// answered together; once the outage's wait is over they fail at once.
pub(crate) struct LogReader {
    requests: std::sync::mpsc::Sender<std::sync::mpsc::SyncSender<LogAnswer>>,
}

/// The log's last seq, or why it could not be read.
type LogAnswer = Result<i64, String>;

impl LogReader {
    fn start(pool: r2d2::Pool<super::Manager>, outage: std::sync::Arc<super::Outage>) -> LogReader {
        let (requests, asked) =
            std::sync::mpsc::channel::<std::sync::mpsc::SyncSender<LogAnswer>>();
        let spawned = std::thread::Builder::new()
            .name("store-log-reader".into())
            .spawn(move || {
                // Ends when the store (the channel's sender) is gone.
                while let Ok(first) = asked.recv() {
                    let mut waiting = vec![first];
                    waiting.extend(asked.try_iter());
                    let seq = outage
                        .read(&pool, |c| Ok(last_seq(c)?))
                        .map_err(|e| e.to_string());
                    for w in waiting {
                        let _ = w.send(seq.clone());
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the store's log reader");
        }
        LogReader { requests }
    }

    /// The log's last seq or why it could not be read; `None` when the reader's thread is
    /// not there.
    fn ask(&self) -> Option<LogAnswer> {
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        self.requests.send(answer).ok()?;
        answered.recv().ok()
    }
}

fn last_seq(c: &mut Client) -> Result<i64, ::postgres::Error> {
    Ok(
        c.query_one("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM changes", &[])?
            .get(0),
    )
}

/// Tombstones (migration 3) of the records of a type that are absent now.
pub(super) fn tombstones(
    store: &PgStore,
    record: RecordType,
) -> Result<Vec<Tombstone>, StoreError> {
    let rows: Vec<(String, String, String, String)> = store.read(|c| {
        Ok(c.query(
            "SELECT t.slug, t.kind, t.data, t.at FROM tombstones t
             WHERE t.type = $1
               AND NOT EXISTS (SELECT 1 FROM records r WHERE r.type = t.type AND r.slug = t.slug)
             ORDER BY t.slug",
            &[&record.as_str()],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect())
    })?;
    rows.into_iter()
        .map(|(slug, kind, data, at)| {
            /// The one field of the stored JSON a tombstone needs.
            #[derive(serde::Deserialize)]
            struct Memberships {
                #[serde(default)]
                dossiers: Vec<String>,
            }
            let m = serde_json::from_str::<Memberships>(&data).map_err(|e| StoreError::Corrupt {
                record: record.as_str(),
                slug: slug.clone(),
                source: e,
            });
            // A last copy that cannot be read is skipped (and named), as in lists.
            Ok(crate::skip_corrupt(m)?.map(|m| Tombstone {
                slug,
                kind,
                dossiers: m.dossiers,
                at,
            }))
        })
        .filter_map(Result::transpose)
        .collect()
}

fn change_op(op: &str) -> ChangeOp {
    if op == "delete" {
        ChangeOp::Delete
    } else {
        ChangeOp::Upsert
    }
}

/// A follower's wake-up: a connection of its own (not the pool's) that `LISTEN`s for
/// commits that logged changes to this store, by any server. A follower (another server's
/// search index) waits on it instead of polling, and then reads
/// [`Store::changes_since`].
///
/// Notifications are a wake-up, not the log: one may be lost when the connection breaks
/// (PostgreSQL restarted), so [`wait`](Self::wait) reconnects and answers `true` ("look
/// again") after any trouble, and a follower reads the log whenever it wakes.
pub struct ChangeListener {
    connect: super::Connect,
    schema: String,
    client: Option<Client>,
    /// Since when the connection is lost (reported when lost or first refused, and again
    /// when it listens again; retried quietly in between).
    failing_since: Option<Instant>,
}

impl ChangeListener {
    pub(super) fn new(connect: super::Connect, schema: String) -> Result<Self, StoreError> {
        let mut listener = ChangeListener {
            connect,
            schema,
            client: None,
            failing_since: None,
        };
        listener.connect()?;
        Ok(listener)
    }

    fn connect(&mut self) -> Result<&mut Client, StoreError> {
        if self.client.as_ref().is_none_or(|c| c.is_closed()) {
            let mut client = self.connect.connect()?;
            client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
            self.client = Some(client);
        }
        Ok(self.client.as_mut().expect("connected above"))
    }

    /// Waits until a commit logged a change to this store, or `timeout` passes: `true`
    /// when the log may have moved (a notification came, or the connection had to be made
    /// again, which may have lost one), `false` when the time passed quietly. Several
    /// notifications that came meanwhile are taken at once. Call it off any tokio runtime
    /// (the sync client's rule; a follower runs on a thread of its own).
    pub fn wait(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let had = self.client.as_ref().is_some_and(|c| !c.is_closed());
        let schema = self.schema.clone();
        let client = match self.connect() {
            Ok(c) => c,
            Err(e) => {
                if self.failing_since.is_none() {
                    self.failing_since = Some(Instant::now());
                    tracing::warn!(error = %e, "cannot listen for the store's changes; retrying");
                }
                std::thread::sleep(timeout.min(RECONNECT_EVERY));
                return true;
            }
        };
        if !had {
            if let Some(since) = self.failing_since.take() {
                tracing::warn!(after = ?since.elapsed(), "listening for the store's changes again");
            }
            return true;
        }
        let mut woken = false;
        let mut notifications = client.notifications();
        let lost = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = if woken {
                // Take what is already there, without waiting again.
                notifications.iter().next()
            } else {
                notifications.timeout_iter(left).next()
            };
            match next {
                Ok(Some(n)) => {
                    if n.channel() == CHANNEL && n.payload() == schema {
                        woken = true;
                    } else if left.is_zero() {
                        return false;
                    }
                }
                Ok(None) => return woken,
                Err(e) => break e,
            }
        };
        drop(notifications);
        tracing::warn!(error = %lost, "lost the connection that listens for changes");
        self.client = None;
        self.failing_since.get_or_insert_with(Instant::now);
        true
    }
}

/// How often a listener whose connection was lost tries to connect again.
const RECONNECT_EVERY: Duration = Duration::from_millis(250);

/// As the store's connections (see `PgStore`'s `Drop`): closed off any tokio runtime.
impl Drop for ChangeListener {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            super::off_runtime(move || drop(client));
        }
    }
}

impl PgStore {
    /// A [`ChangeListener`] for this store: a follower's wake-up at each commit that logged
    /// a change, by any server on the database.
    pub fn listen(&self) -> Result<ChangeListener, StoreError> {
        let (connect, schema) = (self.connect.clone(), self.schema.clone());
        super::off_runtime(move || {
            let mut connect = connect;
            let name = format!(
                "{} (follower)",
                connect.config.get_application_name().unwrap_or("dossier")
            );
            connect.config.application_name(&name);
            ChangeListener::new(connect, schema)
        })
    }
}
