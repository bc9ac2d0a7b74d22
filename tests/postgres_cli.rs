//! `--database-url` (env `DOSSIER_DATABASE_URL`): the commands keep the store in
//! PostgreSQL and the data directory keeps only what is the server's own (the search
//! index). Runs when `DOSSIER_TEST_DATABASE_URL` names a database (CI sets it), in a schema
//! made for the test and dropped after it; the refusals of a bad URL run always.

use std::path::Path;
use std::process::{Command, Output};

const DATABASE_URL: &str = "DOSSIER_TEST_DATABASE_URL";

fn dossier(data: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dossier"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("DOSSIER_DATABASE_URL", url)
        .env_remove("DOSSIER_DATA_DIR")
        .output()
        .unwrap()
}

fn ok(o: Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// A schema of its own in the test database, dropped when the test ends.
struct Schema {
    admin_url: String,
    name: String,
}

impl Schema {
    fn new(admin_url: &str) -> Schema {
        let name = format!("cli_test_{}", std::process::id());
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

    fn url(&self) -> String {
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
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA \"{}\" CASCADE", self.name));
        }
    }
}

/// The built-in dossier loaded, searched and imported into through PostgreSQL: nothing
/// lands in the data directory's SQLite file, and a second data directory (another
/// server's) finds every record in the same database.
#[test]
fn the_commands_keep_the_store_in_postgresql() {
    let Some(admin_url) = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipped: {DATABASE_URL} is not set");
        return;
    };
    let schema = Schema::new(&admin_url);
    let url = schema.url();
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();

    let out = ok(dossier(one.path(), &url, &["load-builtin"]));
    assert!(out.contains("Built-in dossier loaded"), "{out}");
    assert!(
        !one.path().join("dossier.db").exists(),
        "a SQLite file was made"
    );

    let found = ok(dossier(
        one.path(),
        &url,
        &["search", "Founding Act", "--json"],
    ));
    assert!(found.contains("founding-act-1997"), "{found}");

    let out = ok(dossier(
        one.path(),
        &url,
        &[
            "import",
            "csv",
            "tests/fixtures/visits-excerpt.csv",
            "--mapping",
            "mappings/visits-csv.toml",
        ],
    ));
    assert!(out.contains("3 new"), "{out}");

    // Another data directory: its index is built from the database, imports included.
    let found = ok(dossier(
        two.path(),
        &url,
        &["search", "type:event", "--json"],
    ));
    let hits: serde_json::Value = serde_json::from_str(&found).unwrap();
    let slugs: Vec<&str> = hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["slug"].as_str())
        .collect();
    assert!(hits["total"].as_u64().unwrap() > 3, "{found}");
    assert!(!two.path().join("dossier.db").exists());

    // The rows are PostgreSQL's: the import's three events are in the schema's table.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let events: i64 = c
        .query_one("SELECT COUNT(*) FROM records WHERE type = 'event'", &[])
        .unwrap()
        .get(0);
    assert_eq!(events as u64, hits["total"].as_u64().unwrap(), "{slugs:?}");
}

/// A URL that is not PostgreSQL's, or a database that cannot be reached, is refused with
/// what was wrong, and nothing is written.
#[test]
fn a_bad_database_url_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let o = dossier(data.path(), "mysql://root@localhost/x", &["load-builtin"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("--database-url"), "{err}");
    assert!(!data.path().join("dossier.db").exists());

    // Nothing listens on port 1; the password never shows in the message.
    let o = dossier(
        data.path(),
        "postgres://someone:secret@127.0.0.1:1/x?connect_timeout=2",
        &["load-builtin"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("cannot open the store in PostgreSQL"), "{err}");
    assert!(!err.contains("secret"), "{err}");
    assert!(!data.path().join("dossier.db").exists());
}
