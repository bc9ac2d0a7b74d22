//! `dossier-bench capture`: archived copies of cited pages from a local server (issue
//! 25's target: ≥ 50 pages/s).
//!
//! One HTTP/1.1 server (keep-alive) on 127.0.0.1 serves N distinct pages of about 20 KB
//! of HTML, each with the site's stylesheet (which names a background image) and two
//! images of its own, about 10 KB each: each page's capture is five fetches (the page, the
//! stylesheet, the three images), five WARC exchanges and five rows of the index. The capture runs as `dossier links capture`
//! does (its defaults: 8 pages at once, 4 of a page's resources at once), the server's
//! host on its allow list, into a fresh data directory. Asserts that every page and
//! resource was kept and that a copy replays, never a time.

use crate::util;
use anyhow::{bail, Context, Result};
use dossier_model::RecordType;
use dossier_store::{SqliteStore, Store};
use dossier_upkeep::capture::replay::{replay, replay_path, Replayed};
use dossier_upkeep::capture::{capture_pages, CaptureOptions, CitedPage};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Options of the capture benchmark.
#[derive(Debug, clap::Args)]
pub struct CaptureArgs {
    /// Pages captured.
    #[arg(long, default_value_t = 1000)]
    pub pages: usize,
    /// Pages captured at once (`dossier links capture --concurrency`).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// How long the server takes to answer each request, in milliseconds (real sites take
    /// 50-500).
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
}

/// The bytes a path answers: a page, the stylesheet, an image; `None` for anything else.
fn answer(path: &str) -> Option<(&'static str, Vec<u8>)> {
    if let Some(n) = path.strip_prefix("/page-") {
        let mut html = format!(
            "<!doctype html><html><head><title>Cited page {n}</title>\
             <link rel=\"stylesheet\" href=\"/site.css\"></head><body><h1>Cited page {n}</h1>\
             <img src=\"/img/{n}-a.png\" alt=\"\"><img src=\"/img/{n}-b.png\" alt=\"\">"
        );
        while html.len() < 20_000 {
            html.push_str(
                "<p>The Permanent Joint Council met at ministerial level and agreed a work \
                 programme on peacekeeping, arms control and civil emergency planning.</p>",
            );
        }
        html.push_str("<script>track()</script></body></html>");
        return Some(("text/html; charset=utf-8", html.into_bytes()));
    }
    if path == "/site.css" {
        return Some((
            "text/css",
            b"body{font:16px serif;background:url(/img/bg.png)} h1{color:#036}".to_vec(),
        ));
    }
    if path.starts_with("/img/") {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(path.bytes().cycle().take(10_000));
        return Some(("image/png", png));
    }
    None
}

async fn connection(
    mut stream: TcpStream,
    served: Arc<AtomicUsize>,
    latency: std::time::Duration,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf: Vec<u8> = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
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
        let path = head.split(' ').nth(1).unwrap_or("/").to_string();
        let (status, ctype, body) = match answer(&path) {
            Some((t, b)) => ("200 OK", t, b),
            None => ("404 Not Found", "text/plain", b"not found".to_vec()),
        };
        served.fetch_add(1, Ordering::Relaxed);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        // One write per answer: head and body in two small writes would wait on the
        // client's delayed ACK (Nagle), 40 ms an answer, as no real server does.
        let mut reply = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        reply.extend_from_slice(&body);
        stream.write_all(&reply).await?;
    }
}

pub fn run(args: CaptureArgs) -> Result<()> {
    if args.pages == 0 {
        bail!("--pages must be at least 1");
    }
    println!("{}", util::machine());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(bench(args))
}

async fn bench(args: CaptureArgs) -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let latency = std::time::Duration::from_millis(args.latency_ms);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let _ = connection(stream, counter, latency).await;
            });
        }
    });
    let pages: Vec<CitedPage> = (0..args.pages)
        .map(|n| CitedPage {
            url: format!("http://127.0.0.1:{port}/page-{n}"),
            citing: vec![(RecordType::Document, format!("doc-{n}"))],
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("dossier-bench-capture-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store = SqliteStore::open(&dir.join("dossier.db"))?;
    let mut options = CaptureOptions {
        concurrency: args.concurrency,
        ..CaptureOptions::default()
    };
    options.policy.allow_hosts = vec!["127.0.0.1".into()];
    let started = Instant::now();
    let mut failures = Vec::new();
    let summary = capture_pages(&store, &pages, &options, &mut |r| {
        if r.error.is_some() || !r.resource_errors.is_empty() {
            failures.push(format!("{r:?}"));
        }
    })
    .await
    .context("the capture")?;
    let took = started.elapsed();
    if !failures.is_empty() || summary.captured != args.pages || summary.resources != 4 * args.pages
    {
        bail!(
            "expected {} pages with 4 resources each, got {} pages and {} resources; e.g. {:?}",
            args.pages,
            summary.captured,
            summary.resources,
            failures.first()
        );
    }
    // A copy replays (its digest checked, its images pointed at their copies).
    let copies = store.captures().context("the store keeps copies")?;
    let first = copies
        .latest_captures(&[pages[0].url.as_str()])?
        .pop()
        .context("the first page's copy")?;
    match replay(&store, first.id, &replay_path)? {
        Some(Replayed::Copy { body, .. })
            if String::from_utf8_lossy(&body).contains("src=\"/archive/") => {}
        other => bail!("the first page's copy does not replay as expected: {other:?}"),
    }
    let warc_bytes = util::disk_bytes(&dir.join("warc"));
    drop(store);
    std::fs::remove_dir_all(&dir)?;

    let rate = args.pages as f64 / took.as_secs_f64();
    println!();
    println!(
        "Captured {} pages ({} images and stylesheets, {} requests) in {:.2} s: {rate:.0} pages/s",
        summary.captured,
        summary.resources,
        served.load(Ordering::Relaxed),
        took.as_secs_f64()
    );
    println!(
        "Fetched {}; WARC files {} ({} file{}); {} pages at once; answers after {} ms",
        util::mb(summary.bytes),
        util::mb(warc_bytes),
        summary.files.len(),
        if summary.files.len() == 1 { "" } else { "s" },
        args.concurrency,
        args.latency_ms
    );
    println!(
        "Issue 25's target (≥ 50 pages/s): {}",
        if rate >= 50.0 { "met" } else { "missed" }
    );
    Ok(())
}
