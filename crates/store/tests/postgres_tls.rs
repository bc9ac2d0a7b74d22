//! TLS to PostgreSQL: `sslmode=verify-full` (or `require`) with `sslrootcert` encrypts every
//! connection the store makes (the pool's and the change listener's) and verifies the
//! server's certificate; a server whose certificate nothing vouches for is refused.
//!
//! Runs when `DOSSIER_TEST_DATABASE_URL` names a database whose server has TLS on and
//! `DOSSIER_TEST_DATABASE_CA` names the PEM file that vouches for its certificate (its
//! self-signed certificate, or its CA); `.ci/run` sets both.

mod common;

use common::{new_schema, DATABASE_URL};
use dossier_store::{PgStore, Store};

const CA: &str = "DOSSIER_TEST_DATABASE_CA";

/// The admin URL, and the CA file; `None` (the test says why) when either is not set.
fn setting() -> Option<(String, String)> {
    let url = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty());
    let ca = std::env::var(CA).ok().filter(|u| !u.is_empty());
    match (url, ca) {
        (Some(url), Some(ca)) => Some((url, ca)),
        _ => {
            eprintln!("skipped: {DATABASE_URL} and {CA} name no TLS-enabled test database");
            None
        }
    }
}

/// Whether each connection of application `name` is encrypted, as the server sees it.
fn encrypted(admin_url: &str, name: &str) -> Vec<bool> {
    let mut admin = postgres::Client::connect(admin_url, postgres::NoTls).unwrap();
    admin
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = $1",
            &[&name],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn drop_schema(admin_url: &str, schema: &str) {
    let mut admin = postgres::Client::connect(admin_url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .unwrap();
}

#[test]
fn a_verified_server_gets_every_connection_encrypted() {
    let Some((admin_url, ca)) = setting() else {
        return;
    };
    let (url, schema) = new_schema(&admin_url);
    let store = PgStore::open(&format!("{url}&sslmode=verify-full&sslrootcert={ca}"))
        .unwrap_or_else(|e| panic!("the store over TLS: {e}"));
    assert!(store.is_empty().unwrap());
    let listener = store.listen().unwrap();
    let pool = encrypted(&admin_url, &schema);
    let follower = encrypted(&admin_url, &format!("{schema} (follower)"));
    assert!(!pool.is_empty() && pool.iter().all(|s| *s), "{pool:?}");
    assert_eq!(follower, vec![true]);
    drop(listener);
    drop(store);
    drop_schema(&admin_url, &schema);
}

#[test]
fn a_server_nothing_vouches_for_is_refused() {
    let Some((admin_url, _)) = setting() else {
        return;
    };
    let (url, schema) = new_schema(&admin_url);
    // `require` verifies too (Mozilla's roots here): a self-signed certificate is refused.
    let e = PgStore::open(&format!("{url}&sslmode=require"))
        .err()
        .expect("a certificate nothing vouches for is refused");
    let message = e.to_string();
    assert!(message.contains("certificate"), "{message}");
    assert!(!message.contains("password="), "{message}");
    // Not asked for TLS: not encrypted, as before.
    let store = PgStore::open(&url).unwrap();
    assert!(store.is_empty().unwrap());
    let plain = encrypted(&admin_url, &schema);
    assert!(!plain.is_empty() && plain.iter().all(|s| !*s), "{plain:?}");
    drop(store);
    drop_schema(&admin_url, &schema);
}
