//! `dossier-bench links`: the link checker over many local sites (issue 25's target:
//! 10,000 URLs on 200 hosts at ≥ 500 URLs/s with ≤ 4 concurrent requests per host).
//!
//! Starts one small HTTP/1.1 server (keep-alive) on each of 127.0.0.1 … 127.0.0.N, each
//! with its own port, answering most pages 200, some 404 and some with a redirect to
//! another page of the site, and robots.txt 404 (so every site costs its robots.txt and
//! its soft-404 probe besides its pages). The checker runs with the defaults of `dossier
//! links check` (64 requests at once, 4 per site, 100 ms pause after each request to a
//! site), the hosts on its allow list; each server takes `--latency-ms` (20) to answer. Each server counts the requests it has in flight,
//! so the per-host peak is measured, not assumed. Asserts the outcome counts, never a time.

use crate::util;
use anyhow::{bail, Context, Result};
use dossier_store::{LinkChecks, LinkOutcome, SqliteStore, Store};
use dossier_upkeep::check::{CheckOptions, Checker};
use dossier_upkeep::fetch::FetchPolicy;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Options of the link-checking benchmark.
#[derive(Debug, clap::Args)]
pub struct LinksArgs {
    /// Addresses checked.
    #[arg(long, default_value_t = 10_000)]
    pub urls: usize,
    /// Local hosts (127.0.0.1 … 127.0.0.N; at most 250).
    #[arg(long, default_value_t = 200)]
    pub hosts: usize,
    /// Requests at once to one host.
    #[arg(long, default_value_t = 4)]
    pub per_host: usize,
    /// Requests at once over all hosts.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// The pause after each request to a host, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub delay_ms: u64,
    /// How long each server takes to answer, in milliseconds (a real site's latency;
    /// it also makes requests to one host overlap, so that the per-host peak shows).
    #[arg(long, default_value_t = 20)]
    pub latency_ms: u64,
}

/// One local site and what it saw.
struct Site {
    host: String,
    port: u16,
    peak: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
}

/// What page `i` of a site answers: 1 in 20 is missing, 1 in 20 moved.
fn page(i: usize) -> &'static str {
    match i % 20 {
        7 => "missing",
        13 => "moved",
        _ => "ok",
    }
}

async fn start(host: String, latency: Duration) -> Result<Site> {
    let listener = TcpListener::bind((host.as_str(), 0))
        .await
        .with_context(|| format!("cannot listen on {host} (Linux routes all of 127/8 to lo)"))?;
    let port = listener.local_addr()?.port();
    let peak = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let now = Arc::new(AtomicUsize::new(0));
    let (p, r) = (peak.clone(), requests.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (p, r, n) = (p.clone(), r.clone(), now.clone());
            tokio::spawn(async move {
                let _ = connection(stream, latency, p, r, n).await;
            });
        }
    });
    Ok(Site {
        host,
        port,
        peak,
        requests,
    })
}

/// Serves requests on one kept-alive connection until the client closes it.
async fn connection(
    mut stream: TcpStream,
    latency: Duration,
    peak: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    now: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    loop {
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        buf.drain(..end);
        let inflight = now.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(inflight, Ordering::SeqCst);
        requests.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(latency).await;
        let mut words = head.split(' ');
        let method = words.next().unwrap_or("");
        let path = words.next().unwrap_or("/");
        let (status, extra, body) = if path.starts_with("/ok") {
            (
                "200 OK",
                "",
                "<html><title>A cited page</title><p>Text.</p></html>",
            )
        } else if path.starts_with("/moved") {
            ("301 Moved Permanently", "Location: /ok-moved\r\n", "")
        } else {
            ("404 Not Found", "", "<html><title>Not found</title></html>")
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\n{extra}\r\n{}",
            body.len(),
            if method == "HEAD" { "" } else { body }
        );
        // Counted out before the write: the client may send its next request as soon as
        // it has read this answer.
        now.fetch_sub(1, Ordering::SeqCst);
        stream.write_all(reply.as_bytes()).await?;
    }
}

pub fn run(args: LinksArgs) -> Result<()> {
    if args.hosts == 0 || args.hosts > 250 {
        bail!("--hosts must be 1 to 250");
    }
    println!("{}", util::machine());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench(args))
}

async fn bench(args: LinksArgs) -> Result<()> {
    let mut sites = Vec::with_capacity(args.hosts);
    for h in 1..=args.hosts {
        sites.push(
            start(
                format!("127.0.0.{h}"),
                Duration::from_millis(args.latency_ms),
            )
            .await?,
        );
    }
    let urls: Vec<String> = (0..args.urls)
        .map(|i| {
            let s = &sites[i % sites.len()];
            let n = i / sites.len();
            format!("http://{}:{}/{}-{n}", s.host, s.port, page(n))
        })
        .collect();
    let policy = FetchPolicy {
        allow_hosts: sites.iter().map(|s| s.host.clone()).collect(),
        ..FetchPolicy::default()
    };
    let options = CheckOptions {
        concurrency: args.concurrency,
        per_host: args.per_host,
        delay: Duration::from_millis(args.delay_ms),
        ..CheckOptions::default()
    };
    let checker =
        Arc::new(Checker::new(policy, options).map_err(|e| anyhow::anyhow!("the checker: {e}"))?);
    let started = Instant::now();
    let results = checker.check_all(&urls, |_| {}).await;
    let took = started.elapsed();

    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &results {
        *counts.entry(r.outcome.as_str()).or_default() += 1;
    }
    let expected = |kind: &str| {
        (0..args.urls)
            .filter(|i| page(i / sites.len()) == kind)
            .count()
    };
    let want = [
        ("ok", expected("ok")),
        ("broken", expected("missing")),
        ("redirected", expected("moved")),
    ];
    for (outcome, n) in want {
        let got = counts.get(outcome).copied().unwrap_or(0);
        if got != n {
            let sample: Vec<_> = results
                .iter()
                .filter(|r| r.outcome != LinkOutcome::Ok)
                .take(5)
                .map(|r| r.message.clone())
                .collect();
            bail!("expected {n} {outcome}, got {got} (all: {counts:?}; e.g. {sample:?})");
        }
    }
    let peak = sites
        .iter()
        .map(|s| s.peak.load(Ordering::SeqCst))
        .max()
        .unwrap_or(0);
    let requests: usize = sites
        .iter()
        .map(|s| s.requests.load(Ordering::Relaxed))
        .sum();

    // Keeping the results: the store's write of the whole history.
    let dir = std::env::temp_dir().join(format!("dossier-bench-links-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store = SqliteStore::open(&dir.join("dossier.db"))?;
    let lc: &dyn LinkChecks = store.link_checks().context("the store keeps link checks")?;
    let rows: Vec<_> = results.iter().map(|r| r.to_row(0)).collect();
    let write = Instant::now();
    for chunk in rows.chunks(1000) {
        lc.add_link_checks(chunk)?;
    }
    let wrote = write.elapsed();
    drop(store);
    std::fs::remove_dir_all(&dir)?;

    println!();
    println!(
        "Checked {} URLs on {} hosts in {:.2} s: {:.0} URLs/s ({} requests, {:.0} requests/s)",
        results.len(),
        sites.len(),
        took.as_secs_f64(),
        results.len() as f64 / took.as_secs_f64(),
        requests,
        requests as f64 / took.as_secs_f64()
    );
    println!(
        "Settings: {} at once, {} per host, {} ms pause after each request to a host; \
         servers answer in {} ms",
        args.concurrency, args.per_host, args.delay_ms, args.latency_ms
    );
    println!("Most requests in flight at one host: {peak}");
    println!("Outcomes: {counts:?}");
    println!(
        "Storing the {} results: {:.0} ms",
        rows.len(),
        wrote.as_secs_f64() * 1000.0
    );
    let target = results.len() as f64 / took.as_secs_f64() >= 500.0 && peak <= 4;
    println!(
        "Issue 25's target (≥ 500 URLs/s, ≤ 4 per host): {}",
        if target { "met" } else { "missed" }
    );
    Ok(())
}
