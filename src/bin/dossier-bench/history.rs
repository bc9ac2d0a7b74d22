//! `dossier-bench history`: a record's history page and its newest diff when the record
//! has many published revisions (issue 24's target: 10,000 revisions, history ≤ 50 ms).
//!
//! Publishes N revisions of one document through the store's `Revisions::publish` (each
//! changes a word of its text, as an editor's correction would), serves the archive
//! in-process with the response cache off, so that every request builds its page, and
//! times whole HTTP requests (one connection each) to the history's first page, a page
//! deep in it, the newest revision's diff and, for comparison, the history of a record
//! with one revision. Asserts what it computes (the rows shown), never a time.

use crate::util;
use anyhow::{bail, Context, Result};
use dossier_model::*;
use dossier_store::revisions::{Author, Origin, RevisionQuery, Status};
use dossier_store::{SqliteStore, Store};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of the history benchmark.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Published revisions of the one record (its first version included).
    #[arg(long, default_value_t = 10_000)]
    pub revisions: usize,
    /// Timed requests of each page (the median is reported).
    #[arg(long, default_value_t = 51)]
    pub runs: usize,
    /// Where the temporary data directory is made (and removed after).
    #[arg(long, default_value = "/tmp")]
    pub out: PathBuf,
}

const SLUG: &str = "founding-act-bench";

/// The document's text: a few hundred words, of which revision `i` changes one.
fn text(i: usize) -> String {
    let mut words: Vec<String> = (0..400)
        .map(|w| {
            [
                "council",
                "security",
                "consultation",
                "partnership",
                "ministers",
            ][w % 5]
                .to_string()
        })
        .collect();
    words[i % 400] = format!("correction-{i}");
    words.join(" ")
}

fn document(slug: &str, i: usize) -> Document {
    Document {
        collections: Vec::new(),
        coverage: None,
        slug: slug.into(),
        title: "Founding Act on Mutual Relations, Cooperation and Security".into(),
        aliases: vec![],
        kind: DocumentKind::FoundingAct,
        date: Some(Edtf::parse("1997-05-27").expect("a date")),
        place: Some("Paris".into()),
        issued_by: vec![],
        authors: vec![],
        parties: vec![],
        legal_status: LegalStatus::Unknown,
        availability: Availability::Public,
        languages: vec!["en".into()],
        summary: Some(format!("Revision {i} of the summary.")),
        texts: vec![Text::plain("en", &text(i), None)],
        relations: vec![],
        dossiers: vec![],
        topics: vec![],
        provenance: Provenance::default(),
    }
}

pub fn run(args: HistoryArgs) -> Result<()> {
    if args.revisions < 2 || args.runs == 0 {
        bail!("--revisions must be at least 2 and --runs at least 1");
    }
    let dir = args
        .out
        .join(format!("dossier-bench-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
    let result = measure(&args, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(args: &HistoryArgs, dir: &std::path::Path) -> Result<()> {
    println!("machine: {}", util::machine());
    let store = Arc::new(SqliteStore::open(&dir.join("dossier.db"))?);
    store.write(&Archive {
        documents: vec![document(SLUG, 0), document("single-revision", 0)],
        ..Default::default()
    })?;
    let revs = store
        .revisions()
        .context("the SQLite store keeps revisions")?;
    let author = Author {
        user: None,
        name: "Bench Reviewer".into(),
        origin: Origin::Web,
    };
    let start = Instant::now();
    let mut newest = 0;
    for i in 1..args.revisions {
        let json = serde_json::to_string(&document(SLUG, i))?;
        let version = revs.version(RecordType::Document, SLUG)?;
        newest = revs
            .publish(
                RecordType::Document,
                SLUG,
                Some(&json),
                version,
                &author,
                &format!("correction {i}"),
            )
            .map_err(|e| anyhow::anyhow!("publishing revision {i}: {e}"))?
            .id;
    }
    let count = revs.count_revisions(RecordType::Document, SLUG)?;
    println!(
        "{count} revisions of /documents/{SLUG} published in {:.1} s; data directory {}",
        start.elapsed().as_secs_f64(),
        util::mb(util::disk_bytes(dir))
    );
    let middle = revs
        .revisions(&RevisionQuery {
            record: Some(RecordType::Document),
            slug: Some(SLUG.into()),
            statuses: vec![Status::Published],
            before: Some(newest - (args.revisions as i64) / 2),
            limit: 1,
            ..Default::default()
        })?
        .first()
        .map(|r| r.id)
        .context("a revision in the middle")?;

    let start = Instant::now();
    let (index, _) = dossier_search::SearchIndex::open(&dir.join("index"), store.as_ref())?;
    println!(
        "search index caught up in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let shared: Arc<dyn Store> = store.clone();
    let state = dossier_server::AppState::new(shared, Arc::new(index)).with_cache_bytes(0);
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

    let pages = [
        (
            "history, first page (HTML)",
            format!("/documents/{SLUG}/history"),
            "text/html",
            50,
        ),
        (
            "history, first page (JSON)",
            format!("/documents/{SLUG}/history"),
            "application/json",
            0,
        ),
        (
            "history, a page in the middle (HTML)",
            format!("/documents/{SLUG}/history?before={middle}"),
            "text/html",
            50,
        ),
        (
            "newest revision's diff (HTML)",
            format!("/documents/{SLUG}/revisions/{newest}"),
            "text/html",
            0,
        ),
        (
            "history of a record with 1 revision (HTML)",
            "/documents/single-revision/history".to_string(),
            "text/html",
            1,
        ),
    ];
    println!(
        "median (p90) of {} requests each, cache off, one connection per request:",
        args.runs
    );
    for (label, path, accept, rows) in pages {
        let first = get(addr, &path, accept)?;
        if rows > 0 {
            let shown = first.matches("</tr>").count() - 1; // less the header row
            if shown != rows {
                bail!("{path}: {shown} rows shown, {rows} expected");
            }
        }
        let mut times: Vec<Duration> = (0..args.runs)
            .map(|_| {
                let t = Instant::now();
                get(addr, &path, accept).map(|_| t.elapsed())
            })
            .collect::<Result<_>>()?;
        times.sort();
        println!(
            "  {label:<45} {:>10} ({})  {} bytes",
            util::ms(util::percentile(&times, 50.0)),
            util::ms(util::percentile(&times, 90.0)),
            first.len()
        );
    }
    let _ = stop_tx.send(());
    server
        .join()
        .map_err(|_| anyhow::anyhow!("the server thread panicked"))??;
    Ok(())
}

/// `GET path` on its own connection; the body, or an error unless the status is 200.
fn get(addr: SocketAddr, path: &str, accept: &str) -> Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_nodelay(true)?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        bail!("{path}: no answer");
    };
    if !head.starts_with("HTTP/1.1 200") {
        bail!("{path}: {}", head.lines().next().unwrap_or_default());
    }
    Ok(body.to_string())
}
