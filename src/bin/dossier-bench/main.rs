//! `dossier-bench`: measures dossier against its peers on generated and real inputs.
//! Not a test: it prints figures for BENCHMARKS.md, and asserts only what it computes
//! (hit counts, record counts), never a time.
//!
//! Each measurement is a subcommand in its own module.

mod export;
mod util;

use clap::{Parser, Subcommand};

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
    /// The static export (`dossier export site`) beside Hugo on the same generated records.
    Export(export::ExportArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Machine => {
            println!("{}", util::machine());
            Ok(())
        }
        Command::Export(args) => export::run(args),
    }
}
