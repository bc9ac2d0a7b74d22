//! The store's shared settings (the OAI-PMH key) on both backends: the first value offered
//! is kept, every later offer gets it back, and hostile values are refused.

mod common;

use dossier_store::AnyStore;

fn kept_first(store: &AnyStore) {
    let first = store.setting_or_keep("oai-pmh-key", "aa").unwrap();
    assert_eq!(first, "aa");
    assert_eq!(store.setting_or_keep("oai-pmh-key", "bb").unwrap(), "aa");
    assert_eq!(store.setting_or_keep("other", "cc").unwrap(), "cc");
    for (name, value) in [("", "x"), ("n", "a\0b")] {
        assert!(
            store.setting_or_keep(name, value).is_err(),
            "{name:?} {value:?}"
        );
    }
    assert!(store.setting_or_keep("big", &"x".repeat(4097)).is_err());
}

#[test]
fn a_setting_is_kept_first_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dossier.db");
    kept_first(&AnyStore::sqlite(&path).unwrap());
    // Another process's handle on the same file gets the same value.
    let again = AnyStore::sqlite(&path).unwrap();
    assert_eq!(again.setting_or_keep("oai-pmh-key", "zz").unwrap(), "aa");
}

#[test]
fn a_setting_is_kept_first_on_postgres() {
    let Ok(admin) = std::env::var(common::DATABASE_URL) else {
        return;
    };
    let (url, schema) = common::new_schema(&admin);
    {
        kept_first(&AnyStore::postgres(&url).unwrap());
        // A second server on the database gets the first one's value.
        let other = AnyStore::postgres(&url).unwrap();
        assert_eq!(other.setting_or_keep("oai-pmh-key", "zz").unwrap(), "aa");
    }
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    c.batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .unwrap();
}
