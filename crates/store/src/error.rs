//! Errors of the store layer.

/// What went wrong in the store. A failed write has been rolled back.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory or database file could not be opened or created.
    #[error("cannot open the store at {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// SQLite reported an error; the transaction, if any, was rolled back.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error; the transaction, if any, was rolled back.
    #[error("database error: {0}")]
    Postgres(#[from] ::postgres::Error),
    /// No connection to PostgreSQL could be had from the pool in time (the server is
    /// down, or every connection is busy).
    #[error("no database connection: {0}")]
    Pool(#[from] r2d2::Error),
    /// PostgreSQL has stopped answering (a restart, a network fault) and did not answer
    /// again in the time a call may wait: the call may succeed if tried again later.
    #[error("the database is not answering: {0}")]
    Unavailable(String),
    /// The connection to PostgreSQL was lost while a write committed: the write may or may
    /// not have been kept. Not "try again later" (a retried write could be applied twice):
    /// the caller must look at the store first.
    #[error("the connection to the database was lost while the change was committed, so whether it was kept is not known; look at the archive before trying again ({0})")]
    CommitUnknown(String),
    /// A stored record's JSON no longer reads as the model expects.
    #[error("stored {record} `{slug}` cannot be read: {source}")]
    Corrupt {
        record: &'static str,
        slug: String,
        #[source]
        source: serde_json::Error,
    },
    /// The records to write break a rule (a dangling slug, a duplicate…).
    #[error("refused to write: {0}")]
    Invalid(String),
    /// A WARC file of the archived copies could not be kept or read: a name that is not a
    /// plain file name, a file the store lacks, a range past its end, the disk.
    #[error("archived copies: {0}")]
    Warc(String),
    /// The database was written by a newer version of dossier.
    #[error("the store's schema version {found} is newer than this program knows ({known}); upgrade dossier")]
    TooNew { found: i64, known: i64 },
}

impl StoreError {
    /// Whether the store could not be reached (no connection in time, a connection lost
    /// under the call) rather than refusing the call: a server answers such a failure
    /// `503 Service Unavailable` with `Retry-After`, which a load balancer retries on
    /// another server, instead of a 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Pool(_) | StoreError::Unavailable(_) => true,
            StoreError::Postgres(e) => crate::postgres::connection_lost(e),
            _ => false,
        }
    }
}

/// Turns a record that cannot be read ([`StoreError::Corrupt`]) into `None`, with a warning
/// that names it, and passes every other result through. For code that reads many records
/// (lists, the search index's sync, pages that gather from several records): one unreadable
/// record must fail alone, not the archive. Reading that record by its slug still reports
/// the error.
pub fn skip_corrupt<T>(result: Result<T, StoreError>) -> Result<Option<T>, StoreError> {
    match result {
        Ok(r) => Ok(Some(r)),
        Err(StoreError::Corrupt {
            record,
            slug,
            source,
        }) => {
            tracing::warn!(
                record,
                slug = %slug,
                error = %source,
                "skipping a stored record that cannot be read"
            );
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
