//! The store's test harness: one test suite, every backend. A test asks [`each_store`]
//! (or [`stores`]) and runs its body on a fresh SQLite store, always, and on a fresh
//! PostgreSQL store when `DOSSIER_TEST_DATABASE_URL` names a database
//! (`postgres://user@host:port/dbname`; CI sets it). Each PostgreSQL store lives in a
//! schema of its own, made for the test and dropped after it, so tests run in parallel on
//! one database without seeing each other.
//!
//! Use it from a test file with `mod common;` and `use common::*;`.

#![allow(dead_code)] // each test file uses a part of it

use dossier_store::{BulkLoad, PgStore, SqliteStore, Store};
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The environment variable that names the PostgreSQL database tests may use.
pub const DATABASE_URL: &str = "DOSSIER_TEST_DATABASE_URL";

/// Which engine a [`TestStore`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty store of one backend, with what a test needs beyond the store's API: a
/// second handle on the same data (another process's view), raw SQL for tests that break
/// a stored row on purpose. Derefs to the store.
pub struct TestStore {
    /// Taken (closed) before `place` is removed.
    store: Option<Box<dyn BulkLoad>>,
    pub backend: Backend,
    place: Place,
}

enum Place {
    Sqlite {
        dir: tempfile::TempDir,
    },
    Postgres {
        /// The URL the store was opened with (its schema in `options`).
        url: String,
        schema: String,
        /// The URL of the database itself, to drop the schema at the end.
        admin_url: String,
    },
}

impl Deref for TestStore {
    type Target = dyn BulkLoad;
    fn deref(&self) -> &Self::Target {
        self.store.as_deref().expect("open until dropped")
    }
}

impl TestStore {
    /// A new handle on the same store, as another process would open it.
    pub fn open_again(&self) -> Box<dyn BulkLoad> {
        match &self.place {
            Place::Sqlite { dir } => {
                Box::new(SqliteStore::open(&dir.path().join("dossier.db")).unwrap())
            }
            Place::Postgres { url, .. } => Box::new(PgStore::open(url).unwrap()),
        }
    }

    /// Runs SQL that both engines read alike (`UPDATE records SET data = '{not json'
    /// WHERE slug = 'x'`) straight on the store's database, around its API.
    pub fn execute(&self, sql: &str) {
        match &self.place {
            Place::Sqlite { dir } => {
                let conn = rusqlite::Connection::open(dir.path().join("dossier.db")).unwrap();
                conn.execute_batch(sql).unwrap();
            }
            Place::Postgres { url, .. } => {
                let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
                client.batch_execute(sql).unwrap();
            }
        }
    }

    /// The store as a `&dyn Store`, for functions that take one.
    pub fn as_store(&self) -> &dyn Store {
        self.store.as_deref().expect("open until dropped")
    }

    /// On PostgreSQL, ends every connection of this store's (as a restart of the database
    /// does: PostgreSQL closes them), and answers how many; `None` on SQLite.
    pub fn drop_connections(&self) -> Option<i64> {
        let Place::Postgres {
            admin_url, schema, ..
        } = &self.place
        else {
            return None;
        };
        let mut admin = postgres::Client::connect(admin_url, postgres::NoTls).unwrap();
        let row = admin
            .query_one(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
                 WHERE (application_name = $1 OR starts_with(application_name, $1 || ' '))
                   AND pid <> pg_backend_pid()",
                &[schema],
            )
            .unwrap();
        Some(row.get(0))
    }

    /// On PostgreSQL, the URL the store was opened with (its schema in it).
    pub fn postgres_url(&self) -> Option<&str> {
        match &self.place {
            Place::Postgres { url, .. } => Some(url),
            Place::Sqlite { .. } => None,
        }
    }

    /// The backend's name, for messages.
    pub fn name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        // The store first: its connections must be closed before the schema goes.
        drop(self.store.take());
        if let Place::Postgres {
            schema, admin_url, ..
        } = &self.place
        {
            match postgres::Client::connect(admin_url, postgres::NoTls) {
                Ok(mut c) => {
                    if let Err(e) = c.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE")) {
                        eprintln!("cannot drop the test schema {schema}: {e}");
                    }
                }
                Err(e) => eprintln!("cannot drop the test schema {schema}: {e}"),
            }
        }
    }
}

/// A fresh SQLite store in a temporary directory.
pub fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    TestStore {
        store: Some(Box::new(store)),
        backend: Backend::Sqlite,
        place: Place::Sqlite { dir },
    }
}

/// A fresh PostgreSQL store in a new schema of the database `DOSSIER_TEST_DATABASE_URL`
/// names; `None` when it names none.
pub fn postgres() -> Option<TestStore> {
    let admin_url = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty())?;
    let (url, schema) = new_schema(&admin_url);
    let store = PgStore::open(&url)
        .unwrap_or_else(|e| panic!("cannot open the PostgreSQL test store at {url}: {e}"));
    Some(TestStore {
        store: Some(Box::new(store)),
        backend: Backend::Postgres,
        place: Place::Postgres {
            url,
            schema,
            admin_url,
        },
    })
}

/// Makes a schema no other test uses and answers the URL whose connections use it.
pub fn new_schema(admin_url: &str) -> (String, String) {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let schema = format!(
        "test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = postgres::Client::connect(admin_url, postgres::NoTls).unwrap_or_else(|e| {
        panic!("{DATABASE_URL} is set but its database cannot be reached: {e}")
    });
    admin
        .batch_execute(&format!("CREATE SCHEMA \"{schema}\""))
        .unwrap();
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    // Named after the schema too, so that a test can find its store's connections.
    let url =
        format!("{admin_url}{separator}options=-csearch_path%3D{schema}&application_name={schema}");
    (url, schema)
}

/// A fresh store of each backend: SQLite, and PostgreSQL when the environment names a
/// database.
pub fn stores() -> Vec<TestStore> {
    let mut out = vec![sqlite()];
    out.extend(postgres());
    out
}

/// Runs `test` on a fresh store of each backend, saying on the test's output which one
/// runs (a failure's message then names it).
pub fn each_store(mut test: impl FnMut(&TestStore)) {
    for store in stores() {
        eprintln!("-- on {}", store.name());
        test(&store);
    }
}
