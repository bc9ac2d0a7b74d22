//! A schema of its own in the PostgreSQL test database (`DOSSIER_TEST_DATABASE_URL`),
//! dropped when the test ends, for the tests that run the binary or a server on
//! PostgreSQL (`#[path = "common/pg_schema.rs"] mod pg_schema;`).

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

/// The variable that names the test database; the PostgreSQL tests are skipped without it.
pub const DATABASE_URL: &str = "DOSSIER_TEST_DATABASE_URL";

/// A schema of its own in the test database, dropped when the test ends.
pub struct Schema {
    admin_url: String,
    name: String,
}

impl Schema {
    /// A fresh schema named after `prefix`, the process and a count, so that the tests
    /// of one file, which run at once in one process, never share one.
    pub fn new(admin_url: &str, prefix: &str) -> Schema {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            MADE.fetch_add(1, Ordering::Relaxed)
        );
        let mut c = postgres::Client::connect(admin_url, postgres::NoTls).unwrap();
        c.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS \"{name}\" CASCADE; CREATE SCHEMA \"{name}\""
        ))
        .unwrap();
        Schema {
            admin_url: admin_url.to_string(),
            name,
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL whose connections use the schema.
    pub fn url(&self) -> String {
        let separator = if self.admin_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{separator}options=-csearch_path%3D{}",
            self.admin_url, self.name
        )
    }

    /// A connection to the test database itself (outside the schema).
    pub fn admin(&self) -> postgres::Client {
        postgres::Client::connect(&self.admin_url, postgres::NoTls).unwrap()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            // `{name}_away`: where a test moves the schema to make the store unreachable.
            let _ = c.batch_execute(&format!(
                "DROP SCHEMA IF EXISTS \"{0}\" CASCADE; DROP SCHEMA IF EXISTS \"{0}_away\" CASCADE",
                self.name
            ));
        }
    }
}
