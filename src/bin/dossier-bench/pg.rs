//! `dossier-bench pg --docs N`: issue 29's first proof, 1M documents in PostgreSQL.
//!
//! 1. Ingest: the search bench's generated documents (same seed, same corpus) written as
//!    `dossier import` writes them (each batch one `write_batch` transaction attributed to
//!    an import, editors' fields protected, two side by side on PostgreSQL, one at a time
//!    on SQLite; into PostgreSQL the store alone, as the servers'
//!    indexes follow its change log, or with `--pg-index` a search index following on its
//!    own thread, as into SQLite), into a database the bench creates (and drops) on the
//!    PostgreSQL server of `--server-url`; with `--sqlite` the same ingest into a SQLite
//!    store first, the peer.
//! 2. Servers: `--servers` release `dossier serve` processes on that database, each with
//!    its own empty data directory, so each builds its index from the store (the time until
//!    it answers is reported); then the search bench's queries over HTTP
//!    (`GET /search?q=…`, JSON with the facet counts, and `GET /api/v1/search?…&facets=false`,
//!    top 10 without them; the response cache off so every answer is searched) against
//!    each: p50 and p99 per server.
//! 3. Change → visible: a title changed through the first server's write API
//!    (`PATCH /api/v1/documents/…` with a reviewer's token, published at once), and every
//!    other server's search polled until it finds the new word.
//!
//! Not a test: it prints figures and fails only when something does not work (a query
//! that errors, a change never seen).

use crate::search::corpus;
use crate::search::queries::queries;
use crate::util::{self, percentile};
use anyhow::{bail, Context, Result};
use dossier_auth::{Actor, Auth, Role, Scope};
use dossier_model::*;
use dossier_search::{Committed, SearchIndex};
use dossier_store::{AnyStore, Author, BulkLoad, Store, WriteOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct PgArgs {
    /// How many documents to generate.
    #[arg(long, default_value_t = 100_000)]
    docs: usize,
    /// Documents per store transaction (the import's full batch).
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    /// The generator's seed (the search bench's).
    #[arg(long, default_value_t = 1997)]
    seed: u64,
    /// A database on the PostgreSQL server to connect to for creating and dropping the
    /// bench's own database.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:55432/postgres")]
    server_url: String,
    /// The bench's database (created, refused if it exists, dropped at the end).
    #[arg(long, default_value = "dossier_bench_pg")]
    database: String,
    /// Leave the database and the servers' data directories in place.
    #[arg(long)]
    keep: bool,
    /// Also run the same ingest into a SQLite store first (the peer).
    #[arg(long)]
    sqlite: bool,
    /// Keep a search index in the PostgreSQL ingest too, as `dossier import
    /// --with-index` does (by default an import into a shared store writes the store
    /// alone: each server's index follows its change log).
    #[arg(long)]
    pg_index: bool,
    /// Stop after the ingest (no servers).
    #[arg(long)]
    ingest_only: bool,
    /// `dossier serve` processes on the database.
    #[arg(long, default_value_t = 3)]
    servers: usize,
    /// Timed repetitions of each query on each server (after one warm-up round).
    #[arg(long, default_value_t = 20)]
    reps: usize,
    /// Changes written through the first server and looked for on the others.
    #[arg(long, default_value_t = 20)]
    changes: usize,
    /// Where the data directories go (a fresh folder under it, removed after).
    #[arg(long, default_value = "/tmp")]
    out: PathBuf,
}

const EMAIL: &str = "reviewer@bench.example";
const PASSWORD: &str = "umbral-quince-lantern-1997";
/// A change not seen after this is an error, not a slow figure.
const GIVE_UP: Duration = Duration::from_secs(30);
/// The 1-minute load average below which the servers are taken to be at rest.
const QUIET_LOAD: f64 = 0.5;
/// How long the bench waits for that before measuring all the same.
const QUIET_WAIT: Duration = Duration::from_secs(300);
/// How long a server may take to build its index and answer.
const START_WAIT: Duration = Duration::from_secs(1800);

pub fn run(args: PgArgs) -> Result<()> {
    if !args
        .database
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        bail!("--database: lower-case letters, digits and _ only");
    }
    println!("machine: {}", util::machine());
    println!("load before: {}", load());
    println!(
        "corpus: {} generated documents (seed {}), batches of {}",
        args.docs, args.seed, args.batch
    );
    let dir = args
        .out
        .join(format!("dossier-bench-pg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
    let result = bench(&args, &dir);
    if !args.keep {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn bench(args: &PgArgs, dir: &Path) -> Result<()> {
    let (batches, text_bytes) = corpus::generate(args.seed, args.docs, args.batch);
    println!("text: {}", util::mb(text_bytes));
    if args.sqlite {
        let data = dir.join("sqlite");
        std::fs::create_dir_all(&data)?;
        let store = AnyStore::sqlite(&data.join("dossier.db"))?;
        let ingest = ingest(&store, &data, batches.clone(), true)?;
        ingest.print("SQLite", args.docs, None);
        drop(store);
        let _ = std::fs::remove_dir_all(&data);
    }
    let url = db_url(&args.server_url, &args.database)?;
    psql(
        &args.server_url,
        &format!("CREATE DATABASE {}", args.database),
    )?;
    let result = (|| -> Result<()> {
        let data = dir.join("ingest");
        std::fs::create_dir_all(&data)?;
        let store = AnyStore::postgres(&url)?;
        let pg_before = postgres_cpu(&url)?;
        let ingest = ingest(&store, &data, batches, args.pg_index)?;
        let pg_cpu = cpu_since(&pg_before, &postgres_cpu(&url)?);
        ingest.print("PostgreSQL", args.docs, Some(pg_cpu));
        println!(
            "  database size: {}",
            psql(
                &url,
                "SELECT pg_size_pretty(pg_database_size(current_database()))"
            )?
            .trim()
        );
        if args.ingest_only {
            return Ok(());
        }
        let store: Arc<dyn Store> = Arc::new(store);
        servers(args, dir, &url, store)
    })();
    if !args.keep {
        let dropped = psql(
            &args.server_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", args.database),
        );
        if let Err(e) = dropped {
            eprintln!("cannot drop the database {}: {e:#}", args.database);
        }
    }
    println!("load after: {}", load());
    result
}

/// What an ingest took.
struct Ingested {
    /// From the first write to the index's last merge.
    wall: Duration,
    /// The store's `write_as` calls (and the end of the bulk load).
    store: Duration,
    /// The index's syncs, on their own thread.
    index: Duration,
    /// CPU seconds of this process (store client and index).
    cpu: f64,
    /// Whether the ingest kept a search index (SQLite's, or PostgreSQL's with
    /// `--pg-index`); without, the servers' indexes follow the change log.
    indexed: bool,
}

impl Ingested {
    fn print(&self, backend: &str, docs: usize, pg_cpu: Option<f64>) {
        let wall = self.wall.as_secs_f64();
        if self.indexed {
            println!(
                "ingest into {backend}: {:.0} docs/s ({:.1} s, store + index; store writes {:.1} s, index syncs {:.1} s, side by side)",
                docs as f64 / wall,
                wall,
                self.store.as_secs_f64(),
                self.index.as_secs_f64()
            );
        } else {
            println!(
                "ingest into {backend}: {:.0} docs/s ({:.1} s, the store alone, as `dossier import` writes a shared store: each server's index follows the change log)",
                docs as f64 / wall,
                wall,
            );
        }
        println!(
            "  CPU: dossier {:.1} s ({:.0} µs per document, {:.2} cores busy)",
            self.cpu,
            self.cpu * 1e6 / docs.max(1) as f64,
            self.cpu / wall
        );
        if let Some(pg) = pg_cpu {
            println!(
                "  CPU: PostgreSQL (the database's backends, WAL writer, checkpointer, background writer) {:.1} s ({:.0} µs per document, {:.2} cores busy)",
                pg,
                pg * 1e6 / docs.max(1) as f64,
                pg / wall
            );
        }
    }
}

/// The ingest as `dossier import` does it: each batch one `write_batch` of the store (an
/// import's author, editors' fields protected), as many side by side as the store writes
/// (PostgreSQL's bulk load: two), and with `index` the search index
/// following on a thread of its own, each committed batch handed to it with its records.
/// Without (`dossier import` into PostgreSQL): the store alone; the servers' indexes
/// follow its change log.
fn ingest(
    store: &AnyStore,
    data: &Path,
    batches: Vec<Vec<Document>>,
    index_wanted: bool,
) -> Result<Ingested> {
    store.write(&Archive {
        dossiers: vec![Dossier {
            queries: Vec::new(),
            stale_after_years: None,
            slug: "bench".into(),
            title: "Benchmark".into(),
            description: String::new(),
            source: None,
            sections: vec![],
        }],
        bodies: corpus::bench_bodies(),
        ..Default::default()
    })?;
    let search = if index_wanted {
        Some(SearchIndex::open(&data.join("index"), store)?.0)
    } else {
        None
    };
    // The import writes revisions (`write_batch` is `write_as`): a store without them is
    // not its path.
    store
        .revisions()
        .context("the store keeps no revisions: not the import's path")?;
    let write = WriteOptions {
        author: Author::import("dossier-bench pg"),
        comment: String::new(),
        protect_edits: true,
    };
    let total: usize = batches.iter().map(Vec::len).sum();
    let (mut t_store, mut t_index) = (Duration::ZERO, Duration::ZERO);
    let mut new = 0;
    let cpu_before = util::cpu_seconds().0;
    let started = Instant::now();
    let index = search.map(|s| s.bulk()).transpose()?;
    store.begin_bulk()?;
    std::thread::scope(|scope| -> Result<()> {
        let mut follower = None;
        let mut to_index = None;
        if let Some(index_ref) = index.as_ref() {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Committed>(1);
            to_index = Some(tx);
            follower = Some(
                std::thread::Builder::new()
                    .name("index-sync".into())
                    .spawn_scoped(scope, move || -> Result<Duration> {
                        let mut busy = Duration::ZERO;
                        while let Ok(first) = rx.recv() {
                            let mut committed = vec![first];
                            committed.extend(rx.try_iter());
                            let t = Instant::now();
                            index_ref.sync_committed(store, &committed)?;
                            busy += t.elapsed();
                        }
                        Ok(busy)
                    })?,
            );
        }
        // Written as `dossier import` writes them: side by side where the store can (its
        // bulk lock taken), each batch by the next free writer. The import keeps
        // batches in flight apart when one writes or names a record of another; the
        // bench's batches hold distinct documents and name only the bodies written above.
        let writers = store.batches_side_by_side().max(1);
        let queue = std::sync::Mutex::new(batches.into_iter());
        let written = std::sync::atomic::AtomicUsize::new(0);
        let t = Instant::now();
        let news = std::thread::scope(|writing| -> Result<Vec<usize>> {
            let threads: Vec<_> = (0..writers)
                .map(|_| {
                    let to_index = to_index.clone();
                    let (queue, written, write) = (&queue, &written, &write);
                    writing.spawn(move || -> Result<usize> {
                        let mut new = 0;
                        loop {
                            let next = queue.lock().unwrap_or_else(|p| p.into_inner()).next();
                            let Some(docs) = next else {
                                return Ok(new);
                            };
                            let n = docs.len();
                            let archive = Arc::new(Archive {
                                documents: docs,
                                ..Archive::default()
                            });
                            let (summary, conflicts) = store.write_batch(&archive, write)?;
                            new += summary.new;
                            if !conflicts.is_empty() {
                                bail!(
                                    "{} fields kept as editors changed them: none were edited",
                                    conflicts.len()
                                );
                            }
                            if let (Some(seqs), Some(tx)) = (summary.logged, to_index.as_ref()) {
                                tx.send(Committed { seqs, archive })
                                    .map_err(|_| anyhow::anyhow!("the index thread stopped"))?;
                            }
                            let done = written.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                            eprint!("\r  ingested {}/{total}", done + n);
                        }
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|t| {
                    t.join()
                        .map_err(|_| anyhow::anyhow!("a writer thread panicked"))?
                })
                .collect()
        })?;
        t_store += t.elapsed();
        new += news.iter().sum::<usize>();
        drop(to_index);
        if let Some(follower) = follower {
            t_index += follower
                .join()
                .map_err(|_| anyhow::anyhow!("the index thread panicked"))??;
        }
        Ok(())
    })?;
    eprintln!();
    let (index_end, store_end) = std::thread::scope(|scope| {
        let store_end = scope.spawn(|| {
            let t = Instant::now();
            store.end_bulk().map(|_| t.elapsed())
        });
        let t = Instant::now();
        let index_end = index
            .map(|index| {
                index
                    .sync(store)
                    .and_then(|_| index.end(store))
                    .map(|i| (i, t.elapsed()))
            })
            .transpose();
        (index_end, store_end.join())
    });
    if let Some((index, t)) = index_end? {
        t_index += t;
        drop(index);
    }
    t_store +=
        store_end.map_err(|_| anyhow::anyhow!("the store's end of the bulk load panicked"))??;
    let wall = started.elapsed();
    let cpu = util::cpu_seconds().0 - cpu_before;
    if new != total {
        bail!("{new} documents stored as new, {total} written");
    }
    Ok(Ingested {
        wall,
        store: t_store,
        index: t_index,
        indexed: index_wanted,
        cpu,
    })
}

/// A running `dossier serve`, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn servers(args: &PgArgs, dir: &Path, url: &str, store: Arc<dyn Store>) -> Result<()> {
    let auth = Auth::new(store.clone()).context("the store keeps no accounts")?;
    auth.add_user(
        &Actor::Cli,
        EMAIL,
        Some("Bench Reviewer"),
        Role::Reviewer,
        PASSWORD,
    )
    .map_err(|e| anyhow::anyhow!("cannot add the reviewer: {e}"))?;
    let token = auth
        .create_token(&Actor::Cli, EMAIL, Scope::Write, "dossier-bench pg")
        .map_err(|e| anyhow::anyhow!("cannot make a token: {e}"))?
        .1;
    drop(auth);
    drop(store);

    // Each server in turn from an empty data directory: it builds its index from the
    // store before it listens, so the time until it answers is its catch-up.
    let bin = dossier_bin()?;
    let mut running = Vec::new();
    for i in 0..args.servers.max(1) {
        let data = dir.join(format!("server-{i}"));
        std::fs::create_dir_all(&data)?;
        let addr = free_addr()?;
        let log = std::fs::File::create(dir.join(format!("server-{i}.log")))?;
        let t = Instant::now();
        let child = Command::new(&bin)
            .arg("--data-dir")
            .arg(&data)
            .args(["serve", "--addr", &addr.to_string()])
            .env("DOSSIER_DATABASE_URL", url)
            .env("DOSSIER_CACHE_MB", "0")
            .env_remove("DOSSIER_DATA_DIR")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut server = Server { child, addr };
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "server {i} ended ({status}) before it answered; see {}",
                    dir.join(format!("server-{i}.log")).display()
                );
            }
            if t.elapsed() > START_WAIT {
                bail!("server {i} did not answer within {START_WAIT:?}");
            }
            if request(addr, "GET", "/search?q=bench", &[], None).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        println!(
            "server {i}: index built from the store and answering after {:.1} s (load {})",
            t.elapsed().as_secs_f64(),
            load()
        );
        running.push(server);
    }

    // The last server's index merges its segments for a while after it answers; measured
    // at once, the first server's queries shared the two cores with those merges (the
    // first server measured was the slowest in every run). The servers at rest, as they
    // serve: wait for the machine to be quiet, and say how long.
    let t = Instant::now();
    while load_1min() > QUIET_LOAD && t.elapsed() < QUIET_WAIT {
        std::thread::sleep(Duration::from_secs(5));
    }
    println!(
        "waited {:.0} s for the machine to be quiet (1-minute load ≤ {QUIET_LOAD} or {} s at most): load {}",
        t.elapsed().as_secs_f64(),
        QUIET_WAIT.as_secs(),
        load()
    );
    search_latency(args, &running)?;
    change_to_visible(args, &running, &token)
}

/// A query's address on a server.
type PathOf = fn(&str) -> String;

/// The search bench's queries over HTTP against each server, p50 and p99 per server, two
/// ways: the search page's JSON (`/search?q=`, which counts the facets the page shows), and
/// the API's top 10 without the facet counts (`/api/v1/search?…&facets=false`), the same
/// measure as the search bench's in-process latency.
fn search_latency(args: &PgArgs, servers: &[Server]) -> Result<()> {
    let qs = queries();
    let ways: [(&str, PathOf); 2] = [
        (
            "GET /search?q=… (the page's JSON: top 10 and the facet counts)",
            |q| format!("/search?q={}", encode(q)),
        ),
        (
            "GET /api/v1/search?q=…&limit=10&facets=false (top 10, no facet counts)",
            |q| format!("/api/v1/search?q={}&limit=10&facets=false", encode(q)),
        ),
    ];
    for (what, path_of) in ways {
        println!(
            "search over HTTP: {what}, Accept: application/json, response cache off, {} queries of the search bench × {} reps per server, one connection per request",
            qs.len(),
            args.reps
        );
        let mut all = Vec::new();
        for (i, server) in servers.iter().enumerate() {
            let mut times = Vec::new();
            for rep in 0..=args.reps {
                for q in &qs {
                    let path = path_of(&q.dossier);
                    let t = Instant::now();
                    let (status, body) = request(
                        server.addr,
                        "GET",
                        &path,
                        &[("Accept", "application/json")],
                        None,
                    )?;
                    let took = t.elapsed();
                    if status != 200 {
                        bail!("server {i}: {path} answered {status}: {body}");
                    }
                    // The first round warms each server's caches of the operating system.
                    if rep > 0 {
                        times.push((took, q.class));
                    }
                }
            }
            let mut plain: Vec<Duration> = times.iter().map(|t| t.0).collect();
            plain.sort();
            println!(
                "  server {i}: p50 {}  p99 {}  max {}  ({} requests)",
                util::ms(percentile(&plain, 50.0)),
                util::ms(percentile(&plain, 99.0)),
                util::ms(*plain.last().unwrap_or(&Duration::ZERO)),
                plain.len()
            );
            all.extend(times);
        }
        // Where the slow ones are: p50 per class of query, over every server.
        let mut classes: Vec<&str> = all.iter().map(|t| t.1).collect();
        classes.sort();
        classes.dedup();
        for class in classes {
            let mut t: Vec<Duration> = all.iter().filter(|t| t.1 == class).map(|t| t.0).collect();
            t.sort();
            println!(
                "    {class:<16} p50 {}  p99 {}",
                util::ms(percentile(&t, 50.0)),
                util::ms(percentile(&t, 99.0))
            );
        }
    }
    Ok(())
}

/// A title changed through the first server's write API; the time until each other
/// server's search finds it.
fn change_to_visible(args: &PgArgs, servers: &[Server], token: &str) -> Result<()> {
    if servers.len() < 2 || args.changes == 0 {
        return Ok(());
    }
    let bearer = format!("Bearer {token}");
    let (mut saved, mut seen) = (Vec::new(), vec![Vec::new(); servers.len() - 1]);
    let mut polls = 0usize;
    for i in 0..args.changes {
        let slug = format!("doc-{}", (i * 7919) % args.docs.max(1));
        let word = format!("pgprobe{i}x{}", std::process::id());
        let search = format!("/search?q={word}");
        let patch = serde_json::json!({ "title": format!("Changed through server 0 ({word})") })
            .to_string();
        let t = Instant::now();
        let (status, body) = request(
            servers[0].addr,
            "PATCH",
            &format!("/api/v1/documents/{slug}"),
            &[
                ("Authorization", &bearer),
                ("If-Match", "*"),
                ("Content-Type", "application/merge-patch+json"),
                ("Accept", "application/json"),
            ],
            Some(&patch),
        )?;
        if status != 200 {
            bail!("change {i}: the save answered {status}: {body}");
        }
        saved.push(t.elapsed());
        let mut at: Vec<Option<Duration>> = vec![None; servers.len() - 1];
        while at.iter().any(Option::is_none) {
            if t.elapsed() > GIVE_UP {
                bail!("change {i} ({slug}): not found on every server after {GIVE_UP:?}: {at:?}");
            }
            for (k, server) in servers[1..].iter().enumerate() {
                if at[k].is_some() {
                    continue;
                }
                polls += 1;
                let (_, json) = request(
                    server.addr,
                    "GET",
                    &search,
                    &[("Accept", "application/json")],
                    None,
                )?;
                // A hit names the document; the query alone does not.
                if json.contains(&format!("\"{slug}\"")) || json.contains(&format!("/{slug}\"")) {
                    at[k] = Some(t.elapsed());
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        for (k, a) in at.into_iter().enumerate() {
            seen[k].extend(a);
        }
    }
    println!(
        "change → visible in search on the other servers: {} changes (PATCH /api/v1/documents/… on server 0, a reviewer's, published at once; each other server's /search polled every ~2 ms; {polls} polls):",
        args.changes
    );
    saved.sort();
    println!(
        "  the save answered (server 0)    p50 {}  max {}",
        util::ms(percentile(&saved, 50.0)),
        util::ms(*saved.last().unwrap_or(&Duration::ZERO))
    );
    for (k, times) in seen.iter_mut().enumerate() {
        times.sort();
        println!(
            "  found by server {}'s search      p50 {}  max {}",
            k + 1,
            util::ms(percentile(times, 50.0)),
            util::ms(*times.last().unwrap_or(&Duration::ZERO))
        );
    }
    Ok(())
}

/// The URL of database `name` on the server of `server_url` (its path replaced).
fn db_url(server_url: &str, name: &str) -> Result<String> {
    let scheme = server_url
        .find("://")
        .context("--server-url: a postgres:// URL")?;
    let rest = &server_url[scheme + 3..];
    let (authority, query) = match rest.find('/') {
        Some(slash) => {
            let after = &rest[slash..];
            (
                &rest[..slash],
                after.find('?').map(|q| &after[q..]).unwrap_or(""),
            )
        }
        None => (rest, ""),
    };
    Ok(format!(
        "{}{authority}/{name}{query}",
        &server_url[..scheme + 3]
    ))
}

/// Runs one statement with `psql` (the database's own client: no driver in this binary),
/// returning its unaligned output.
fn psql(url: &str, sql: &str) -> Result<String> {
    let out = Command::new("psql")
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .output()
        .context("cannot run psql (Debian: apt-get install postgresql-client)")?;
    if !out.status.success() {
        bail!(
            "psql `{sql}`: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// CPU seconds (user + system) of the PostgreSQL processes that work for the bench's
/// database: its connections' backends and the cluster's WAL writer, checkpointer and
/// background writer (shared with any other database of the cluster), read from /proc
/// (Linux; USER_HZ 100), by process id.
fn postgres_cpu(url: &str) -> Result<std::collections::HashMap<u32, f64>> {
    let pids = psql(
        url,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()
           OR backend_type IN ('walwriter', 'checkpointer', 'background writer')",
    )?;
    Ok(pids
        .lines()
        .filter_map(|l| l.trim().parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let rest = stat.rsplit_once(") ").map(|x| x.1)?;
            let f: Vec<f64> = rest
                .split_whitespace()
                .map(|x| x.parse().unwrap_or(0.0))
                .collect();
            Some((pid, (f.get(11)? + f.get(12)?) / 100.0))
        })
        .collect())
}

/// The CPU seconds the processes of `after` used since `before` (all of it for a process
/// started since).
fn cpu_since(
    before: &std::collections::HashMap<u32, f64>,
    after: &std::collections::HashMap<u32, f64>,
) -> f64 {
    after
        .iter()
        .map(|(pid, t)| t - before.get(pid).copied().unwrap_or(0.0))
        .sum()
}

/// The 1-minute load average (0 when it cannot be read).
fn load_1min() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

/// The machine's load averages (`uptime`'s), for the figures of a shared machine.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn dossier_bin() -> Result<PathBuf> {
    let bin = std::env::current_exe()?.with_file_name("dossier");
    if !bin.exists() {
        bail!(
            "{} not found: build it first (cargo build --release --bin dossier)",
            bin.display()
        );
    }
    Ok(bin)
}

/// A free local port (taken by the system for a moment, then given back).
fn free_addr() -> Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// A query's characters as a URL's query string may hold them.
fn encode(q: &str) -> String {
    let mut out = String::new();
    for b in q.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One request on its own connection: the status and the body (a chunked body is read
/// whole; only its length is not checked).
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_nodelay(true)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    head.push_str(body);
    stream.write_all(head.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        bail!("{method} {path}: no answer");
    };
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("{method} {path}: no status in {head}"))?;
    Ok((status, body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_database_replaces_the_server_urls_database() {
        assert_eq!(
            db_url("postgres://postgres@127.0.0.1:55432/postgres", "b").unwrap(),
            "postgres://postgres@127.0.0.1:55432/b"
        );
        assert_eq!(
            db_url("postgres://u:p@h/postgres?sslmode=disable", "b").unwrap(),
            "postgres://u:p@h/b?sslmode=disable"
        );
        assert_eq!(db_url("postgresql://h", "b").unwrap(), "postgresql://h/b");
    }

    #[test]
    fn a_query_is_encoded_for_the_url() {
        assert_eq!(
            encode("\"arms control\" date:1990..2000"),
            "%22arms+control%22+date%3A1990..2000"
        );
    }
}
