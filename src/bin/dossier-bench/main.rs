//! `dossier-bench`: measures dossier against its peers on generated and real inputs.
//! Not a test: it prints figures for BENCHMARKS.md, and asserts only what it computes
//! (hit counts, record counts), never a time.
//!
//! Each measurement is a subcommand in its own module.

mod capture;
mod editing;
mod export;
mod history;
mod import;
mod links;
mod merge;
mod pg;
mod reconcile;
mod search;
mod serve;
mod util;

use clap::{Parser, Subcommand};

/// The same allocator as the `dossier` binary, so that the in-process measurements
/// (search ingest and queries) allocate as the product does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Benchmarks for dossier. Run with `cargo run --release --bin dossier-bench -- …`.
#[derive(Debug, Parser)]
#[command(name = "dossier-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the machine's description (CPU, cores, memory) for BENCHMARKS.md.
    Machine,
    /// Search: dossier (store + index) against SQLite FTS5 on a generated corpus.
    Search(search::SearchBench),
    /// Import throughput (records/s, MB/s) and peak memory of `dossier import tei` and
    /// `dossier import records`, on the corpora and on generated files.
    ///
    /// Runs the release `dossier` binary beside this one, from the repository root.
    Import {
        /// The corpora folder (with historyatstate/).
        #[arg(long, default_value = "../shared/corpora")]
        corpora: std::path::PathBuf,
        /// Size of the generated record-XML file in MB (0: skip).
        #[arg(long, default_value_t = 1000)]
        records_mb: u64,
        /// Size of the generated TEI file in MB (0: skip).
        #[arg(long, default_value_t = 1000)]
        tei_mb: u64,
        /// Where the generated files are written (and removed after).
        #[arg(long, default_value = "/tmp")]
        out: std::path::PathBuf,
        /// Keep the generated files (for profiling `dossier import` on them).
        #[arg(long)]
        keep: bool,
    },
    /// The static export (`dossier export site`) beside Hugo on the same generated records.
    Export(export::ExportArgs),
    /// `dossier serve` beside nginx serving the same archive's static export, under wrk:
    /// req/s and p99 of each page at 64 and 256 connections, the server's memory and
    /// threads, the first request after a change, and issue 22's targets met or missed.
    ///
    /// Runs the `dossier` binary (--bin) from the repository root; needs wrk and nginx
    /// (Debian/Ubuntu: apt-get install -y wrk nginx-light).
    Serve(serve::ServeArgs),
    /// A record with 10,000 published revisions: its history page and newest diff,
    /// served in-process with the response cache off (issue 24).
    History(history::HistoryArgs),
    /// Save → visible on the public page and in search over HTTP, and the store's size
    /// with revisions against without, for an archive imported once (issue 24).
    ///
    /// Runs the `dossier` binary beside this one from the repository root (the imports).
    Editing(editing::EditingArgs),
    /// The link checker on 10,000 URLs over 200 local hosts: URLs/s, the most requests
    /// in flight at one host, the outcomes (issue 25).
    Links(links::LinksArgs),
    /// Archived copies of 1,000 pages (each with a stylesheet and three images) from a
    /// local server into WARC files: pages/s (issue 25).
    Capture(capture::CaptureArgs),
    /// Merging a body linked from 50,000 records into another, and undoing it, in the
    /// store; then the search index following (issue 28).
    Merge(merge::MergeArgs),
    /// Reconciling 10,000 names against 100,000 authorities, in process and over HTTP
    /// (`/reconcile`, batches of 10 as OpenRefine sends them): queries/s (issue 28).
    Reconcile(reconcile::ReconcileArgs),
    /// 1M documents in PostgreSQL: the import's ingest (docs/s), several `dossier serve`
    /// on the database (catch-up, search p50/p99 over HTTP per server), and a change on
    /// one server until the others' search finds it (issue 29).
    ///
    /// Runs the `dossier` binary beside this one; needs psql and a PostgreSQL server.
    Pg(pg::PgArgs),
}

fn main() -> anyhow::Result<()> {
    // The engine's own logs (`DOSSIER_LOG=info`: where an ingest's end spends its time).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DOSSIER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Machine => {
            println!("{}", util::machine());
            Ok(())
        }
        Command::Search(args) => search::run(args),
        Command::Import {
            corpora,
            records_mb,
            tei_mb,
            out,
            keep,
        } => import::bench(&corpora, records_mb, tei_mb, &out, keep),
        Command::Export(args) => export::run(args),
        Command::Serve(args) => serve::run(args),
        Command::History(args) => history::run(args),
        Command::Editing(args) => editing::run(args),
        Command::Links(args) => links::run(args),
        Command::Capture(args) => capture::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Reconcile(args) => reconcile::run(args),
        Command::Pg(args) => pg::run(args),
    }
}
