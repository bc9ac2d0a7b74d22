//! `dossier-bench search --docs N`: dossier (store + tantivy index) against SQLite FTS5
//! over the same generated rows.
//!
//! The corpus is seeded and synthetic: Zipfian vocabulary (50,000 made-up words that
//! neither stemmer changes, so both engines see the same terms), heavy-tailed body lengths
//! averaging about 2 KB, and the field's phrases and acronyms sprinkled in. The queries
//! cover term-frequency classes, phrases, boolean and filtered queries; for each query both
//! engines can express, the hit counts must agree (the run fails if they do not).
//!
//! - `corpus`: the generated documents; `queries`: what both engines are asked;
//! - `ingest`: both engines' timed ingest; `fts`: the FTS5 peer;
//! - `measure`: agreement, latency and the server's memory; `report`: the ingest figures.

pub(crate) mod corpus;
mod fts;
mod ingest;
mod measure;
pub(crate) mod queries;
mod report;

use anyhow::{Context, Result};
use dossier_model::*;
use dossier_search::SearchIndex;
use dossier_store::{SqliteStore, Store};
use fts::Fts;
use rusqlite::Connection;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct SearchBench {
    /// How many documents to generate.
    #[arg(long, default_value_t = 10_000)]
    docs: usize,
    /// Documents per store transaction (and index sync).
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    /// Timed repetitions of each query (after 3 warm-up runs).
    #[arg(long, default_value_t = 20)]
    reps: usize,
    /// The generator's seed.
    #[arg(long, default_value_t = 1997)]
    seed: u64,
    /// Where to build both databases (default: a fresh directory under /tmp, removed after).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// With --dir: reuse the databases a previous run left there instead of ingesting again.
    #[arg(long, requires = "dir")]
    reuse: bool,
    /// Measure dossier's ingest only (no FTS5, no queries): for working on the ingest.
    #[arg(long)]
    ingest_only: bool,
    /// Only the queries containing this text (for profiling one query).
    #[arg(long)]
    only: Option<String>,
    /// Time dossier alone: no FTS5 latency and no hit-count check (for working on
    /// dossier's queries; the figures for BENCHMARKS.md come from a full run).
    #[arg(long)]
    dossier_only: bool,
    /// Skip the runs with facets (for profiling the searches alone).
    #[arg(long)]
    no_facets: bool,
    /// Print each query's p50 for both engines.
    #[arg(long)]
    per_query: bool,
    /// Also start `dossier serve` on the data and measure its memory while answering
    /// (needs the release binary: `cargo build --release`).
    #[arg(long)]
    serve: bool,
}

fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let t = Instant::now();
    let v = f()?;
    Ok((v, t.elapsed()))
}

pub fn run(args: SearchBench) -> Result<()> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("dossier-bench-search-{}", args.docs)),
    };
    let reuse = args.reuse && dir.join("fts5.db").exists();
    if dir.exists() && !reuse {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let data = dir.join("dossier");
    std::fs::create_dir_all(&data)?;
    println!("machine: {}", crate::util::machine());
    println!(
        "corpus: {} generated documents (seed {}), batches of {}",
        args.docs, args.seed, args.batch
    );

    if reuse {
        println!("reusing the databases in {}", dir.display());
        let store = SqliteStore::open(&data.join("dossier.db"))?;
        let (index, _) = SearchIndex::open(&data.join("index"), &store)?;
        let fts = Fts {
            conn: Connection::open(dir.join("fts5.db"))?,
        };
        return measure::measure(&args, &dir, &data, store, index, fts);
    }

    // --- ingest: dossier (store + index, synced after every batch) ---
    let store = SqliteStore::open(&data.join("dossier.db"))?;
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
    let (index, _) = SearchIndex::open(&data.join("index"), &store)?;
    let (batches, text_bytes) = corpus::generate(args.seed, args.docs, args.batch);
    let (ingested, batches) = ingest::dossier(&store, index, batches, args.docs)?;
    if args.ingest_only {
        report::ingest_only(args.docs, text_bytes, &ingested, &data);
        return Ok(());
    }
    let (fts, t_fts) = ingest::fts(&dir, batches, args.docs)?;
    report::ingest(args.docs, text_bytes, &ingested, t_fts, &dir, &data);
    measure::measure(&args, &dir, &data, store, ingested.index, fts)
}
