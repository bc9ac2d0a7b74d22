//! The measurements on the built databases: hit-count agreement, latency, and the
//! server's memory.

use super::fts::Fts;
use super::queries::{queries, BenchQuery};
use super::{timed, SearchBench};
use crate::util::{mb, ms, peak_rss_bytes, percentile};
use anyhow::{bail, Context, Result};
use dossier_search::{SearchIndex, SearchRequest};
use dossier_store::SqliteStore;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::time::Duration;

/// Each query's latencies: dossier's without facets, with facets, and FTS5's (zero with
/// --dossier-only), and per query (class, query, dossier p50, FTS5 p50).
struct Latencies {
    ours: Vec<Duration>,
    ours_facets: Vec<Duration>,
    theirs: Vec<Duration>,
    per_query: Vec<(&'static str, String, Duration, Duration)>,
}

/// Hit-count agreement, latency, and (with --serve) the server's memory.
pub(super) fn measure(
    args: &SearchBench,
    dir: &Path,
    data: &Path,
    store: SqliteStore,
    index: SearchIndex,
    fts: Fts,
) -> Result<()> {
    let mut qs = queries();
    if let Some(only) = &args.only {
        qs.retain(|q| q.dossier.contains(only.as_str()));
    }
    agreement(args, &qs, &index, &fts)?;
    let latencies = latency(args, &qs, &index, &fts)?;
    print_latency(args, &qs, latencies);
    if let Some(peak) = peak_rss_bytes() {
        println!("bench process peak memory (ingest included): {}", mb(peak));
    }
    drop(index);
    drop(store);
    if args.serve {
        serve_memory(data, &qs)?;
    }
    if args.dir.is_none() {
        std::fs::remove_dir_all(dir).ok();
    }
    Ok(())
}

/// Both engines' hit counts for each query; an error if they disagree where they should not.
fn agreement(args: &SearchBench, qs: &[BenchQuery], index: &SearchIndex, fts: &Fts) -> Result<()> {
    println!(
        "\n{:<16} {:<48} {:>9} {:>9}",
        "class", "query", "dossier", "FTS5"
    );
    let mut disagreements = Vec::new();
    for q in qs.iter().filter(|_| !args.dossier_only) {
        let mut counted = SearchRequest::new(format!("{} type:document", q.dossier));
        counted.facets = false;
        let ours = index.search(&counted)?.total;
        let theirs = fts.count(q)?;
        let mark = if !q.compare {
            " (dossier expands aliases)"
        } else if ours != theirs {
            " MISMATCH"
        } else {
            ""
        };
        println!(
            "{:<16} {:<48} {:>9} {:>9}{mark}",
            q.class, q.dossier, ours, theirs
        );
        if q.compare && ours != theirs {
            disagreements.push(q.dossier.clone());
        }
    }
    if !disagreements.is_empty() {
        bail!("hit counts disagree on: {}", disagreements.join(", "));
    }
    Ok(())
}

/// Top 10 with snippets, single thread, warm: 3 runs, then `--reps` timed runs of each query.
fn latency(
    args: &SearchBench,
    qs: &[BenchQuery],
    index: &SearchIndex,
    fts: &Fts,
) -> Result<Latencies> {
    let mut ours_all = Vec::new();
    let mut ours_facets = Vec::new();
    let mut theirs_all = Vec::new();
    let mut per_query = Vec::new();
    for q in qs {
        let (start_ours, start_theirs) = (ours_all.len(), theirs_all.len());
        let mut req = SearchRequest::new(q.dossier.clone());
        req.facets = false;
        let mut with_facets = req.clone();
        with_facets.facets = true;
        let fts_too = !args.dossier_only;
        for _ in 0..3 {
            index.search(&req)?;
            if !args.no_facets {
                index.search(&with_facets)?;
            }
            if fts_too {
                fts.top10(q)?;
            }
        }
        for _ in 0..args.reps {
            ours_all.push(timed(|| Ok(index.search(&req)?))?.1);
            if !args.no_facets {
                ours_facets.push(timed(|| Ok(index.search(&with_facets)?))?.1);
            }
            if fts_too {
                theirs_all.push(timed(|| fts.top10(q))?.1);
            } else {
                theirs_all.push(Duration::ZERO);
            }
        }
        let mut a = ours_all[start_ours..].to_vec();
        let mut b = theirs_all[start_theirs..].to_vec();
        a.sort();
        b.sort();
        per_query.push((
            q.class,
            q.dossier.clone(),
            percentile(&a, 50.0),
            percentile(&b, 50.0),
        ));
    }
    Ok(Latencies {
        ours: ours_all,
        ours_facets,
        theirs: theirs_all,
        per_query,
    })
}

fn print_latency(args: &SearchBench, qs: &[BenchQuery], latencies: Latencies) {
    let Latencies {
        ours: mut ours_all,
        mut ours_facets,
        theirs: mut theirs_all,
        per_query,
    } = latencies;
    if args.per_query {
        println!(
            "\n{:<16} {:<48} {:>12} {:>12}",
            "class", "query", "dossier p50", "FTS5 p50"
        );
        for (class, query, a, b) in &per_query {
            println!("{class:<16} {query:<48} {:>12} {:>12}", ms(*a), ms(*b));
        }
    }
    ours_all.sort();
    ours_facets.sort();
    theirs_all.sort();
    println!(
        "\nlatency over {} queries × {} runs (top 10 with snippets, one thread, warm):",
        qs.len(),
        args.reps
    );
    println!(
        "  dossier          p50 {}  p99 {}",
        ms(percentile(&ours_all, 50.0)),
        ms(percentile(&ours_all, 99.0))
    );
    println!(
        "  dossier + facets p50 {}  p99 {}",
        ms(percentile(&ours_facets, 50.0)),
        ms(percentile(&ours_facets, 99.0))
    );
    println!(
        "  FTS5             p50 {}  p99 {}",
        ms(percentile(&theirs_all, 50.0)),
        ms(percentile(&theirs_all, 99.0))
    );
    println!(
        "  dossier is {:.1}× FTS5 at p50",
        percentile(&theirs_all, 50.0).as_secs_f64()
            / percentile(&ours_all, 50.0).as_secs_f64().max(1e-9)
    );
}

/// Starts the release server on the data directory, sends every query over HTTP a few
/// times, and reads the server's resident memory.
fn serve_memory(data: &Path, qs: &[BenchQuery]) -> Result<()> {
    let bin = std::env::current_exe()?.with_file_name("dossier");
    if !bin.exists() {
        bail!(
            "{} not found; run `cargo build --release` first",
            bin.display()
        );
    }
    let mut child = std::process::Command::new(&bin)
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .context("the server did not print its address")?
        .to_string();
    let mut served = 0;
    for _ in 0..3 {
        for q in qs {
            let path = format!("/search?q={}", encode(&q.dossier));
            let mut s = std::net::TcpStream::connect(&addr)?;
            write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n")?;
            let mut body = String::new();
            s.read_to_string(&mut body)?;
            if !body.starts_with("HTTP/1.1 200") {
                bail!(
                    "the server answered {path} with {}",
                    body.lines().next().unwrap_or("")
                );
            }
            served += 1;
        }
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.trim().to_string())
            .unwrap_or_default()
    };
    println!(
        "server after {served} search requests: {}; {}",
        field("VmRSS:"),
        field("VmHWM:")
    );
    child.kill()?;
    child.wait()?;
    Ok(())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
