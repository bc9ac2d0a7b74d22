//! `/healthz` over real HTTP (issue 29): 200 `{"status":"ok"}` when the store answers and
//! the search index has applied the store's newest change; 503 with `Retry-After` and a
//! short reason when the index is behind, or the store cannot be read or does not answer
//! in time (bounded: a stuck store makes the check answer, not hang). Never cached,
//! answered while every request worker is busy, HEAD too. `?grace=SECONDS` (a balancer's
//! check) still answers 200 for an index that lacks only younger changes, 503 past it.
//!
//! SQLite: an in-process server, and the real binary with a write made behind its back
//! through a second store handle, then `dossier import` beside it (an outside writer that
//! brings the index along). PostgreSQL, when `DOSSIER_TEST_DATABASE_URL` is set (CI sets
//! it): in-process for the deterministic states (behind, the schema gone, a table locked),
//! and the real binary, whose follower catches up with a write from another handle.

mod common;

#[path = "common/cli.rs"]
mod cli;

use common::TestServer;
use dossier_store::Store;
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[path = "common/pg_schema.rs"]
mod pg_schema;

use pg_schema::{Schema, DATABASE_URL};

struct Answer {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

fn healthz(base: &str) -> Answer {
    get(base, "/healthz")
}

fn get(base: &str, path: &str) -> Answer {
    let mut r = agent().get(&format!("{base}{path}")).call().unwrap();
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.body_mut().read_to_string().unwrap_or_default(),
    }
}

fn head_healthz(base: &str) -> Answer {
    let mut r = agent().head(&format!("{base}/healthz")).call().unwrap();
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.body_mut().read_to_string().unwrap_or_default(),
    }
}

/// Asks `/healthz` until `done` says yes (a while at most, so that a server that never
/// gets there fails the test rather than hangs it); the last answer.
fn until(base: &str, what: &str, done: impl Fn(&Answer) -> bool) -> Answer {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer = healthz(base);
        if done(&answer) {
            return answer;
        }
        assert!(
            Instant::now() < deadline,
            "never {what}: {} {}",
            answer.status,
            answer.body
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An ok answer: 200, JSON with exactly the three public fields, the two sequence numbers
/// equal; never cached.
fn assert_ok(a: &Answer) -> i64 {
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.header("content-type"), "application/json");
    assert_eq!(a.header("cache-control"), "no-store");
    assert_eq!(a.header("retry-after"), "");
    assert_eq!(a.header("x-cache"), "", "a health answer was cached");
    let v = a.json();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "{v}");
    assert_eq!(v["status"], "ok", "{v}");
    let seq = v["store_seq"].as_i64().unwrap();
    assert_eq!(v["index_seq"].as_i64(), Some(seq), "{v}");
    seq
}

/// A 503 with the given status word, `Retry-After` and a reason.
fn assert_not_ok(a: &Answer, status: &str) -> serde_json::Value {
    assert_eq!(a.status, 503, "{}", a.body);
    assert!(
        a.header("retry-after").parse::<u32>().is_ok_and(|s| s >= 1),
        "Retry-After: {:?}",
        a.header("retry-after")
    );
    assert_eq!(a.header("cache-control"), "no-store");
    let v = a.json();
    assert_eq!(v["status"], status, "{v}");
    assert!(!v["reason"].as_str().unwrap_or_default().is_empty(), "{v}");
    v
}

/// A changed copy of one of the built-in dossier's documents: one new change in the log.
fn one_change(round: usize) -> dossier_model::Archive {
    let mut doc = dossier_ingest::builtin::archive()
        .unwrap()
        .documents
        .remove(0);
    doc.title = format!("{} (health check {round})", doc.title);
    dossier_model::Archive {
        documents: vec![doc],
        ..Default::default()
    }
}

/// A gate the request workers wait at before each job, until it opens.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn hook(&self) -> Arc<dyn Fn() + Send + Sync> {
        let gate = self.clone();
        Arc::new(move || {
            let (m, c) = &*gate.0;
            let mut open = m.lock().unwrap();
            while !*open {
                open = c.wait(open).unwrap();
            }
        })
    }

    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }
}

/// A fresh server is ok, on GET and HEAD, twice (the second not from the response cache),
/// and still answers while its only request worker is held busy and its queue is full.
#[test]
fn a_fresh_server_is_ok_and_answers_while_its_workers_are_busy() {
    let gate = Gate::default();
    let hook = gate.hook();
    let server = TestServer::with_app(
        |store| {
            store
                .write(&dossier_ingest::builtin::archive().unwrap())
                .unwrap();
        },
        move |state| state.with_work_hook(hook).with_workers(1, 1),
    );
    let seq = assert_ok(&healthz(&server.base));
    assert!(seq > 0);
    assert_eq!(assert_ok(&healthz(&server.base)), seq);
    let head = head_healthz(&server.base);
    assert_eq!(head.status, 200);
    assert_eq!(head.body, "");

    // One search on the worker (held at the gate), then one in the queue: the pool is
    // full (/metrics, answered on the runtime too, says when), and a search is refused.
    let search = |q: &'static str| {
        let base = server.base.clone();
        std::thread::spawn(move || {
            agent()
                .get(&format!("{base}/search?q={q}"))
                .call()
                .unwrap()
                .status()
                .as_u16()
        })
    };
    let gauge = |name: &str| -> u64 {
        let mut r = agent()
            .get(&format!("{}/metrics", server.base))
            .call()
            .unwrap();
        let text = r.body_mut().read_to_string().unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics"))
    };
    let wait_for = |name: &str, value: u64| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while gauge(name) != value {
            assert!(Instant::now() < deadline, "{name} never reached {value}");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let running = search("nato");
    wait_for("dossier_workers_busy", 1);
    let queued = search("russia");
    wait_for("dossier_queue_depth", 1);
    let refused = agent()
        .get(&format!("{}/search?q=treaty", server.base))
        .call()
        .unwrap();
    assert_eq!(refused.status().as_u16(), 503, "the pool was not full");

    assert_eq!(assert_ok(&healthz(&server.base)), seq);
    assert_eq!(head_healthz(&server.base).status, 200);
    gate.open();
    assert_eq!(running.join().unwrap(), 200);
    assert_eq!(queued.join().unwrap(), 200);
}

/// A `dossier serve` process, stopped when dropped.
struct Serving {
    child: std::process::Child,
    base: String,
}

impl Serving {
    /// `dossier serve` on `data`, on SQLite, or on PostgreSQL when `url` is given.
    fn start(data: &Path, url: Option<&str>) -> Serving {
        let mut command = Command::new(cli::BIN);
        command
            .arg("--data-dir")
            .arg(data)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env_remove("DOSSIER_DATA_DIR")
            .env_remove("DOSSIER_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(url) = url {
            command.env("DOSSIER_DATABASE_URL", url);
        }
        let mut child = command.spawn().unwrap();
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
        Serving { child, base }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// On SQLite, a write made behind the server's back (another handle on its database, as a
/// crashed writer leaves it) puts the server's index behind: 503 with the two sequence
/// numbers, on GET and HEAD. `dossier import` beside the server brings the index along
/// with its own write, and the server is ok again.
#[test]
fn a_write_behind_the_server_s_back_is_behind_until_the_index_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serving::start(dir.path(), None);
    let before = assert_ok(&healthz(&server.base));

    let other = dossier_store::SqliteStore::open(&dir.path().join("dossier.db")).unwrap();
    other.write(&one_change(1)).unwrap();
    let store_seq = other.last_change().unwrap();
    assert!(store_seq > before);
    let behind = healthz(&server.base);
    let v = assert_not_ok(&behind, "behind");
    assert_eq!(behind.header("retry-after"), "1");
    assert_eq!(v["store_seq"].as_i64(), Some(store_seq), "{v}");
    assert_eq!(v["index_seq"].as_i64(), Some(before), "{v}");
    assert_eq!(head_healthz(&server.base).status, 503);

    // A balancer's check with a grace: the change it lacks is younger than an hour, so
    // 200, saying it is behind and by how long.
    let graced = get(&server.base, "/healthz?grace=3600");
    assert_eq!(graced.status, 200, "{}", graced.body);
    let v = graced.json();
    assert_eq!(v["status"], "behind", "{v}");
    assert!(v["behind_secs"].as_u64().is_some_and(|s| s <= 3600), "{v}");
    // A grace that is not a number of seconds, or too long, is refused.
    for bad in ["-1", "1.5", "3601", "soon", "99999999999999999999999"] {
        let a = get(&server.base, &format!("/healthz?grace={bad}"));
        assert_eq!(a.status, 400, "grace={bad}: {}", a.body);
        assert!(a.body.contains("grace"), "{}", a.body);
    }

    let o = cli::dossier(
        dir.path(),
        &[
            "import",
            "csv",
            "tests/fixtures/visits-excerpt.csv",
            "--mapping",
            "mappings/visits-csv.toml",
        ],
    );
    assert!(o.status.success(), "{}", cli::out(&o));
    let after = until(&server.base, "ok after the import", |a| a.status == 200);
    let seq = assert_ok(&after);
    assert_eq!(seq, other.last_change().unwrap());
    assert!(seq > store_seq);
}

/// An in-process server on a PostgreSQL store holding the built-in dossier, without the
/// binary's follower: its index moves only when the test syncs it.
struct PgServer {
    base: String,
    store: Arc<dossier_store::PgStore>,
    search: Arc<dossier_search::SearchIndex>,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl PgServer {
    fn start(url: &str) -> PgServer {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(dossier_store::PgStore::open(url).unwrap());
        store
            .write(&dossier_ingest::builtin::archive().unwrap())
            .unwrap();
        let (index, _) =
            dossier_search::SearchIndex::open(&dir.path().join("index"), store.as_ref()).unwrap();
        let search = Arc::new(index);
        let (shared, served): (Arc<dyn Store>, _) = (store.clone(), search.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let state = dossier_server::AppState::new(shared, served);
                dossier_server::serve_with_limits(listener, state, Default::default(), async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        let addr = addr_rx.recv().unwrap();
        PgServer {
            base: format!("http://{addr}"),
            store,
            search,
            _dir: dir,
            _shutdown: tx,
        }
    }
}

fn database_url() -> Option<String> {
    let url = std::env::var(DATABASE_URL).ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("skipped: {DATABASE_URL} is not set");
    }
    url
}

/// On PostgreSQL: ok; behind after another handle's write, ok once the index has applied
/// it; unavailable while the store's schema is gone (every read fails), ok when it is back.
#[test]
fn postgres_behind_and_unreadable_store_are_503() {
    let Some(admin_url) = database_url() else {
        return;
    };
    let schema = Schema::new(&admin_url, "healthz_states");
    let server = PgServer::start(&schema.url());
    let before = assert_ok(&healthz(&server.base));

    let other = dossier_store::PgStore::open(&schema.url()).unwrap();
    other.write(&one_change(1)).unwrap();
    let store_seq = other.last_change().unwrap();
    let v = assert_not_ok(&healthz(&server.base), "behind");
    assert_eq!(v["store_seq"].as_i64(), Some(store_seq), "{v}");
    assert_eq!(v["index_seq"].as_i64(), Some(before), "{v}");
    // The change it lacks made an hour ago: past a minute's grace, still 503.
    schema
        .admin()
        .execute(
            &format!(
                "UPDATE \"{}\".changes SET at = to_char(now() AT TIME ZONE 'UTC' - interval '1 hour', \
                 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') WHERE seq = $1",
                schema.name()
            ),
            &[&store_seq],
        )
        .unwrap();
    let late = get(&server.base, "/healthz?grace=60");
    let v = assert_not_ok(&late, "behind");
    assert!(v["behind_secs"].as_u64().is_some_and(|s| s >= 3590), "{v}");
    assert_eq!(get(&server.base, "/healthz?grace=3000").status, 503);
    server.search.sync(server.store.as_ref()).unwrap();
    assert_eq!(assert_ok(&healthz(&server.base)), store_seq);
    assert_eq!(
        assert_ok(&get(&server.base, "/healthz?grace=60")),
        store_seq
    );

    let mut admin = schema.admin();
    admin
        .batch_execute(&format!(
            "ALTER SCHEMA \"{0}\" RENAME TO \"{0}_away\"",
            schema.name()
        ))
        .unwrap();
    let gone = healthz(&server.base);
    let v = assert_not_ok(&gone, "unavailable");
    assert_eq!(gone.header("retry-after"), "5");
    assert!(v["store_seq"].is_null(), "{v}");
    // Nothing of the database's address or its error in the answer.
    assert!(!gone.body.contains("127.0.0.1") && !gone.body.contains(schema.name()));
    admin
        .batch_execute(&format!(
            "ALTER SCHEMA \"{0}_away\" RENAME TO \"{0}\"",
            schema.name()
        ))
        .unwrap();
    let back = until(&server.base, "ok with the schema back", |a| a.status == 200);
    assert_eq!(assert_ok(&back), store_seq);
}

/// On PostgreSQL: a store that does not answer (its change log locked by another
/// session) makes the check answer 503 rather than wait; checks past the few already
/// waiting are answered at once; when the lock goes, ok again.
#[test]
fn postgres_a_store_that_does_not_answer_is_503_not_a_hang() {
    let Some(admin_url) = database_url() else {
        return;
    };
    let schema = Schema::new(&admin_url, "healthz_stuck");
    let server = PgServer::start(&schema.url());
    let seq = assert_ok(&healthz(&server.base));

    let mut locker = postgres::Client::connect(&schema.url(), postgres::NoTls).unwrap();
    let mut lock = locker.transaction().unwrap();
    lock.batch_execute("LOCK TABLE changes IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    // Each of these is answered although the store's read waits on the lock.
    let first = healthz(&server.base);
    assert_not_ok(&first, "unavailable");
    assert_eq!(first.header("retry-after"), "5");
    for _ in 0..3 {
        assert_not_ok(&healthz(&server.base), "unavailable");
    }
    lock.rollback().unwrap();
    let back = until(&server.base, "ok after the lock", |a| a.status == 200);
    assert_eq!(assert_ok(&back), seq);
}

/// Two `dossier serve` processes on one PostgreSQL database: a write made through another
/// handle is followed by both (LISTEN/NOTIFY), and each says ok with the new sequence.
#[test]
fn postgres_servers_are_ok_once_they_have_followed_a_write() {
    let Some(admin_url) = database_url() else {
        return;
    };
    let schema = Schema::new(&admin_url, "healthz_follow");
    let url = schema.url();
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Serving::start(a_dir.path(), Some(&url));
    let b = Serving::start(b_dir.path(), Some(&url));
    let before = assert_ok(&healthz(&a.base));
    assert_eq!(
        assert_ok(&until(&b.base, "ok", |x| x.status == 200)),
        before
    );

    let other = dossier_store::PgStore::open(&url).unwrap();
    other.write(&one_change(1)).unwrap();
    let store_seq = other.last_change().unwrap();
    assert!(store_seq > before);
    for server in [&a, &b] {
        let ok = until(&server.base, "followed the write", |x| {
            x.status == 200 && x.json()["index_seq"].as_i64() == Some(store_seq)
        });
        assert_eq!(assert_ok(&ok), store_seq);
    }
}
