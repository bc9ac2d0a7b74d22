//! `dossier-bench editing`: issue 24's two other targets.
//!
//! 1. **Save → visible**: a reviewer's change saved through the API (`PATCH` with a
//!    merge patch, published at once) until the public page and the search show it, over
//!    HTTP to a server in this process with its response cache on (as `dossier serve`
//!    runs). Each run puts a new word in the Founding Act's title, then asks the page and
//!    the search (each on its own connection, one after the other, without pause) until
//!    both show it. Target: ≤ 1 s.
//! 2. **Store size with revisions**: an archive imported once (`load-builtin`, the visits
//!    records and the milestones TEI essays from the corpora, by the `dossier` binary
//!    beside this one), compacted (`VACUUM INTO`) as it is and without its `revisions`
//!    table. Target: revisions add ≤ 2× (the store with them ≤ 2 × the store without).
//!
//! Asserts what it computes (the page and the search do show each change), never a time.

use crate::util;
use anyhow::{bail, Context, Result};
use dossier_auth::{Actor, Auth, Role, Scope};
use dossier_store::{SqliteStore, Store};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of the editing benchmark.
#[derive(Debug, clap::Args)]
pub struct EditingArgs {
    /// Saves timed (the median is reported).
    #[arg(long, default_value_t = 51)]
    pub runs: usize,
    /// The corpora folder (with historyatstate/), for the store-size measure.
    #[arg(long, default_value = "../shared/corpora")]
    pub corpora: PathBuf,
    /// Where the temporary data directories are made (and removed after).
    #[arg(long, default_value = "/tmp")]
    pub out: PathBuf,
}

const SLUG: &str = "founding-act-1997";
const TITLE: &str = "Founding Act on Mutual Relations, Cooperation and Security between NATO and the Russian Federation";
const EMAIL: &str = "reviewer@bench.example";
const PASSWORD: &str = "umbral-quince-lantern-1997";
/// Past this, a change that is still not shown is an error, not a slow run.
const GIVE_UP: Duration = Duration::from_secs(30);

pub fn run(args: EditingArgs) -> Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    println!("machine: {}", util::machine());
    let dir = args
        .out
        .join(format!("dossier-bench-editing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
    let result = save_to_visible(&args, &dir.join("serve"))
        .and_then(|_| store_size(&args, &dir.join("size")));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn save_to_visible(args: &EditingArgs, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let store = Arc::new(SqliteStore::open(&dir.join("dossier.db"))?);
    let archive = dossier_ingest::builtin::archive()
        .map_err(|e| anyhow::anyhow!("the built-in dossier does not load: {e}"))?;
    store.write(&archive)?;
    let shared: Arc<dyn Store> = store.clone();
    let auth = Auth::new(shared.clone()).context("the SQLite store keeps accounts")?;
    auth.add_user(
        &Actor::Cli,
        EMAIL,
        Some("Bench Reviewer"),
        Role::Reviewer,
        PASSWORD,
    )
    .map_err(|e| anyhow::anyhow!("cannot add the reviewer: {e}"))?;
    let token = auth
        .create_token(&Actor::Cli, EMAIL, Scope::Write, "dossier-bench editing")
        .map_err(|e| anyhow::anyhow!("cannot make a token: {e}"))?
        .1;
    let (index, _) = dossier_search::SearchIndex::open(&dir.join("index"), store.as_ref())?;
    let state = dossier_server::AppState::new(shared, Arc::new(index))
        .with_cache_bytes(dossier_server::DEFAULT_CACHE_MB << 20);
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || -> Result<()> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            addr_tx.send(listener.local_addr()?)?;
            dossier_server::serve_app(listener, state, async {
                let _ = stop_rx.await;
            })
            .await?;
            Ok(())
        })
    });
    let addr = addr_rx.recv().context("the server did not start")?;
    let page = format!("/documents/{SLUG}");
    // The cache holds the page and a search before the first save, as on a live site.
    request(addr, "GET", &page, &[("Accept", "text/html")], None)?;

    let (mut saved, mut on_page, mut in_search) = (Vec::new(), Vec::new(), Vec::new());
    let mut polls = 0usize;
    let bearer = format!("Bearer {token}");
    for i in 0..args.runs {
        let word = format!("benchprobe{i}");
        let search = format!("/search?q={word}");
        request(
            addr,
            "GET",
            &search,
            &[("Accept", "application/json")],
            None,
        )?;
        let patch = serde_json::json!({ "title": format!("{TITLE} ({word})") }).to_string();
        let t = Instant::now();
        let (status, body) = request(
            addr,
            "PATCH",
            &format!("/api/v1/documents/{SLUG}"),
            &[
                ("Authorization", &bearer),
                ("If-Match", "*"),
                ("Content-Type", "application/merge-patch+json"),
                ("Accept", "application/json"),
            ],
            Some(&patch),
        )?;
        if status != 200 {
            bail!("the save answered {status}: {body}");
        }
        saved.push(t.elapsed());
        let (mut page_at, mut search_at) = (None, None);
        while page_at.is_none() || search_at.is_none() {
            if t.elapsed() > GIVE_UP {
                bail!("save {i}: not shown after {GIVE_UP:?} (page: {page_at:?}, search: {search_at:?})");
            }
            polls += 1;
            if page_at.is_none() {
                let (_, html) = request(addr, "GET", &page, &[("Accept", "text/html")], None)?;
                if html.contains(&word) {
                    page_at = Some(t.elapsed());
                }
            }
            if search_at.is_none() {
                let (_, json) = request(
                    addr,
                    "GET",
                    &search,
                    &[("Accept", "application/json")],
                    None,
                )?;
                // A hit names the document; the query alone does not.
                if json.contains(SLUG) {
                    search_at = Some(t.elapsed());
                }
            }
        }
        on_page.extend(page_at);
        in_search.extend(search_at);
    }
    let _ = stop_tx.send(());
    server
        .join()
        .map_err(|_| anyhow::anyhow!("the server thread panicked"))??;
    println!(
        "save → visible, {} saves (PATCH /api/v1/documents/{SLUG}, a reviewer's, published at once; response cache on; {polls} polls in all):",
        args.runs
    );
    for (label, times) in [
        ("the save answered", &mut saved),
        ("the public page shows it", &mut on_page),
        ("the search shows it", &mut in_search),
    ] {
        times.sort();
        println!(
            "  {label:<28} median {:>9}  p90 {:>9}  max {:>9}",
            util::ms(util::percentile(times, 50.0)),
            util::ms(util::percentile(times, 90.0)),
            util::ms(*times.last().unwrap()),
        );
    }
    Ok(())
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

/// The `*.xml` files of a folder, sorted.
fn xml_files(dir: &Path) -> Result<Vec<String>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    Ok(files.iter().map(|p| p.display().to_string()).collect())
}

fn store_size(args: &EditingArgs, dir: &Path) -> Result<()> {
    let bin = dossier_bin()?;
    let data = dir.join("data");
    let history = args.corpora.join("historyatstate");
    let visits = xml_files(&history.join("visits/data"))?;
    let chapters = xml_files(&history.join("milestones/chapters"))?;
    let mut steps: Vec<Vec<String>> = vec![vec!["load-builtin".into()]];
    let mut records = vec![
        "import".to_string(),
        "records".into(),
        "--mapping".into(),
        "mappings/visits.toml".into(),
    ];
    records.extend(visits);
    steps.push(records);
    let mut tei = vec![
        "import".to_string(),
        "tei".into(),
        "--dossier".into(),
        "nato-russia".into(),
        "--kind".into(),
        "research-study".into(),
    ];
    tei.extend(chapters);
    steps.push(tei);
    for step in &steps {
        let o = Command::new(&bin)
            .arg("--data-dir")
            .arg(&data)
            .args(step)
            .env_remove("DOSSIER_DATA_DIR")
            .output()?;
        if !o.status.success() {
            bail!(
                "dossier {}: {}{}",
                step[..2.min(step.len())].join(" "),
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
    let db = data.join("dossier.db");
    let with = dir.join("with-revisions.db");
    let without = dir.join("without-revisions.db");
    let c = rusqlite::Connection::open(&db)?;
    let count = |sql: &str| -> Result<i64> { Ok(c.query_row(sql, [], |r| r.get(0))?) };
    let n_records =
        count("SELECT COUNT(*) FROM records")? + count("SELECT COUNT(*) FROM dossiers")?;
    let n_revisions = count("SELECT COUNT(*) FROM revisions")?;
    let revision_json = count("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM revisions")?;
    let record_json = count("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM records")?
        + count("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM dossiers")?;
    c.execute("VACUUM INTO ?1", [with.to_str().context("a UTF-8 path")?])?;
    drop(c);
    std::fs::copy(&with, &without)?;
    let c = rusqlite::Connection::open(&without)?;
    c.execute_batch("DROP TABLE revisions; VACUUM;")?;
    drop(c);
    let (a, b) = (
        std::fs::metadata(&with)?.len(),
        std::fs::metadata(&without)?.len(),
    );
    println!(
        "store size, an archive imported once (load-builtin, {} visits files, {} milestones chapters): {n_records} records and dossiers, {n_revisions} revisions",
        steps[1].len() - 4,
        steps[2].len() - 6
    );
    println!(
        "  the records' JSON {}, the revisions' JSON {}",
        util::mb(record_json as u64),
        util::mb(revision_json as u64)
    );
    println!(
        "  compacted store: {} with revisions, {} without: {:.2}× (target ≤ 2×)",
        util::mb(a),
        util::mb(b),
        a as f64 / b as f64
    );
    Ok(())
}

/// One request on its own connection: the status and the body.
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
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
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
