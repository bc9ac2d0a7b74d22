//! `--database-url` (env `DOSSIER_DATABASE_URL`): the commands keep the store in
//! PostgreSQL and the data directory keeps only what is the server's own (the search
//! index). Runs when `DOSSIER_TEST_DATABASE_URL` names a database (CI sets it), in a schema
//! made for the test and dropped after it; the refusals of a bad URL run always.

use std::path::Path;
use std::process::{Command, Output};

#[path = "common/pg_schema.rs"]
mod pg_schema;

use pg_schema::{Schema, DATABASE_URL};

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

/// The built-in dossier loaded, searched and imported into through PostgreSQL: nothing
/// lands in the data directory's SQLite file, and a second data directory (another
/// server's) finds every record in the same database.
#[test]
fn the_commands_keep_the_store_in_postgresql() {
    let Some(admin_url) = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipped: {DATABASE_URL} is not set");
        return;
    };
    let schema = Schema::new(&admin_url, "cli_test");
    let url = schema.url();
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();

    let out = ok(dossier(one.path(), &url, &["load-builtin"]));
    assert!(out.contains("Built-in dossier loaded"), "{out}");
    assert!(
        !one.path().join("dossier.db").exists(),
        "a SQLite file was made"
    );
    // The servers' indexes follow the database: a command that writes keeps none.
    assert!(
        !one.path().join("index").exists(),
        "load-builtin built an index"
    );

    let found = ok(dossier(
        one.path(),
        &url,
        &["search", "Founding Act", "--json"],
    ));
    assert!(found.contains("founding-act-1997"), "{found}");
    // The search built the data directory's index; the import leaves it as it is (the
    // next search catches it up from the change log).
    let index_files = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("index"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before_import = index_files(one.path());

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
    assert_eq!(
        index_files(one.path()),
        before_import,
        "the import wrote to the data directory's index"
    );

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
    let found_one = ok(dossier(
        one.path(),
        &url,
        &["search", "type:event", "--json"],
    ));
    let hits_one: serde_json::Value = serde_json::from_str(&found_one).unwrap();
    assert_eq!(hits_one["total"], hits["total"], "{found_one}");
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

/// A `dossier serve` process on the test database, stopped when dropped.
struct Server {
    child: std::process::Child,
    base: String,
}

impl Server {
    fn start(data: &Path, url: &str) -> Server {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_dossier"))
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env("DOSSIER_DATABASE_URL", url)
            .env_remove("DOSSIER_DATA_DIR")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // "dossier is serving at http://127.0.0.1:PORT — stop with Ctrl-C"
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("the server did not start: {line:?}"))
            .to_string();
        Server { child, base }
    }

    /// How many records a search finds on this server.
    fn found(&self, query: &str) -> u64 {
        let mut answer = ureq::get(format!("{}/search", self.base))
            .query("q", query)
            .header("Accept", "application/json")
            .call()
            .unwrap();
        let body: serde_json::Value =
            serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
        body["total"].as_u64().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two servers on one database, each with its own data directory (its own search index):
/// records imported by another process show in both servers' searches, without a restart
/// (each follows the database's change log, woken by LISTEN/NOTIFY).
#[test]
fn servers_on_one_database_follow_each_other_s_writes() {
    let Some(admin_url) = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipped: {DATABASE_URL} is not set");
        return;
    };
    let schema = Schema::new(&admin_url, "cli_test");
    let url = schema.url();
    let (a_dir, b_dir, import_dir) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    // The first loads the built-in dossier into the empty database; the second finds it.
    let a = Server::start(a_dir.path(), &url);
    let b = Server::start(b_dir.path(), &url);
    let before = (a.found("type:event"), b.found("type:event"));
    assert_eq!(before.0, before.1);
    assert!(before.0 > 0);

    ok(dossier(
        import_dir.path(),
        &url,
        &[
            "import",
            "csv",
            "tests/fixtures/visits-excerpt.csv",
            "--mapping",
            "mappings/visits-csv.toml",
        ],
    ));
    // Followed within moments; bounded, so that a follower that never comes fails the
    // test instead of hanging it.
    for server in [&a, &b] {
        let mut seen = server.found("type:event");
        for _ in 0..300 {
            if seen == before.0 + 3 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
            seen = server.found("type:event");
        }
        assert_eq!(
            seen,
            before.0 + 3,
            "{} did not follow the import",
            server.base
        );
    }
}

/// Closes every connection to the database whose application name starts with `name`
/// (what a restart of PostgreSQL does to a server's connections); how many it closed.
fn cut_connections(admin_url: &str, name: &str) -> i64 {
    let mut c = postgres::Client::connect(admin_url, postgres::NoTls).unwrap();
    c.query_one(
        "SELECT COUNT(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE application_name LIKE $1 || '%' AND pid <> pg_backend_pid()",
        &[&name],
    )
    .unwrap()
    .get(0)
}

/// Whether a connection named `name (follower)` (a server's change listener) is open.
fn listening(admin_url: &str, name: &str) -> bool {
    let mut c = postgres::Client::connect(admin_url, postgres::NoTls).unwrap();
    c.query_one(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = $1 || ' (follower)')",
        &[&name],
    )
    .unwrap()
    .get(0)
}

/// A server whose database connections are all closed under it (as a restart of
/// PostgreSQL closes them) goes on answering from new ones, its change listener connects
/// again, and a write made meanwhile by another process is followed into its search.
#[test]
fn a_server_survives_losing_its_database_connections() {
    let Some(admin_url) = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty()) else {
        eprintln!("skipped: {DATABASE_URL} is not set");
        return;
    };
    let schema = Schema::new(&admin_url, "cli_test");
    // The server's connections carry a name of their own, so that only they are closed.
    let name = format!("dossier-cut-{}", std::process::id());
    let url = format!("{}&application_name={name}", schema.url());
    let (server_dir, import_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = Server::start(server_dir.path(), &url);
    let before = server.found("type:event");
    assert!(before > 0);
    assert!(
        listening(&admin_url, &name),
        "the server does not listen for changes"
    );

    // Its pool's connections and its listener's are closed: the next requests are
    // answered (found() fails the test on any status but 2xx).
    let cut = cut_connections(&admin_url, &name);
    assert!(
        cut >= 2,
        "closed {cut} connections; the server holds a pooled one and its listener's"
    );
    for _ in 0..20 {
        assert_eq!(server.found("type:event"), before);
        for page in ["/", "/api/v1/documents", "/api/v1/bodies", "/dossiers"] {
            let answer = ureq::get(format!("{}{page}", server.base)).call().unwrap();
            assert_eq!(answer.status(), 200, "{page}");
        }
    }

    // The listener connects again by itself (bounded, so that one that never does fails
    // the test instead of hanging it).
    let mut again = listening(&admin_url, &name);
    for _ in 0..300 {
        if again {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        again = listening(&admin_url, &name);
    }
    assert!(again, "the change listener did not connect again");

    // A write by another process after the cut is followed into the server's search.
    ok(dossier(
        import_dir.path(),
        &schema.url(),
        &[
            "import",
            "csv",
            "tests/fixtures/visits-excerpt.csv",
            "--mapping",
            "mappings/visits-csv.toml",
        ],
    ));
    let mut seen = server.found("type:event");
    for _ in 0..300 {
        if seen == before + 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        seen = server.found("type:event");
    }
    assert_eq!(
        seen,
        before + 3,
        "the server did not follow the import after the cut"
    );

    // A second cut: the server answers again, and its search agrees with the store.
    let cut = cut_connections(&admin_url, &name);
    assert!(cut >= 2, "closed {cut}");
    let mut c = postgres::Client::connect(&schema.url(), postgres::NoTls).unwrap();
    let visits: i64 = c
        .query_one("SELECT COUNT(*) FROM records WHERE type = 'event'", &[])
        .unwrap()
        .get(0);
    assert_eq!(server.found("type:event") as i64, visits);
}

/// SIGTERM (what systemd, Docker and `kill` send) stops a server gracefully, as Ctrl-C
/// does: it exits 0 instead of dying of the signal. Runs on either store (SQLite here, or
/// the test database when one is named), since every deployment stops servers this way.
#[cfg(unix)]
#[test]
fn a_server_stops_gracefully_on_sigterm() {
    use std::io::BufRead;
    let data = tempfile::tempdir().unwrap();
    let schema = std::env::var(DATABASE_URL)
        .ok()
        .filter(|u| !u.is_empty())
        .map(|admin| Schema::new(&admin, "cli_test"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_dossier"));
    command
        .arg("--data-dir")
        .arg(data.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env_remove("DOSSIER_DATA_DIR")
        .env_remove("DOSSIER_DATABASE_URL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    if let Some(schema) = &schema {
        command.env("DOSSIER_DATABASE_URL", schema.url());
    }
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("serving at"), "{line:?}");
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
}
