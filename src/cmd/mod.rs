//! One module per subcommand.

mod import;
mod pipeline;
mod search;
mod serve;

use crate::cli::{Cli, Command, Import};
use anyhow::{Context, Result};
use dossier_store::{SqliteStore, Store, WriteSummary};
use std::path::Path;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(&cli.global.data_dir, args),
        Command::Import(Import::Outline(args)) => import::outline(&cli.global.data_dir, args),
        Command::Search(args) => search::search(&cli.global.data_dir, args),
        Command::Reindex => search::reindex(&cli.global.data_dir),
        Command::Import(Import::Tei(args)) => import::tei(&cli.global.data_dir, args),
        Command::Import(Import::Records(args)) => {
            import::records(&cli.global.data_dir, args, false)
        }
        Command::Import(Import::Csv(args)) => import::records(&cli.global.data_dir, args, true),
        Command::Import(Import::Markdown(args)) => import::markdown(&cli.global.data_dir, args),
        Command::LoadBuiltin => {
            let store = open_store(&cli.global.data_dir)?;
            let summary = load_builtin(&store)?;
            after_write(&cli.global.data_dir, &store)?;
            println!("Built-in dossier loaded: {}", describe(summary));
            Ok(())
        }
    }
}

/// Opens the store in `data_dir`, creating the directory on first use.
pub fn open_store(data_dir: &Path) -> Result<SqliteStore> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let path = data_dir.join("dossier.db");
    SqliteStore::open(&path).with_context(|| format!("cannot open the store {}", path.display()))
}

/// The search index's directory inside the data directory.
pub fn index_dir(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("index")
}

/// Opens the search index, bringing it in step with the store (rebuilding a missing or
/// corrupt one), with progress when there is much to do.
pub fn open_index(data_dir: &Path, store: &dyn Store) -> Result<dossier_search::SearchIndex> {
    let mut progress = crate::progress::Progress::new("indexing");
    let (index, report) = dossier_search::SearchIndex::open_with_progress(
        &index_dir(data_dir),
        store,
        &mut |done, total| progress.update(done, total),
    )
    .context("cannot open the search index")?;
    progress.finish();
    if report.rebuilt || report.applied > 0 {
        tracing::info!(
            applied = report.applied,
            rebuilt = report.rebuilt,
            "search index brought up to date"
        );
    }
    Ok(index)
}

/// Keeps derived data (the search index) in step with the store after a write.
pub fn after_write(data_dir: &Path, store: &dyn Store) -> Result<()> {
    open_index(data_dir, store).map(|_| ())
}

/// Writes the built-in NATO-Russia dossier into the store.
pub fn load_builtin(store: &dyn Store) -> Result<WriteSummary> {
    let archive = dossier_ingest::builtin::archive()
        .map_err(|e| anyhow::anyhow!("the built-in dossier does not load:\n{e}"))?;
    Ok(store.write(&archive)?)
}

/// "3 new, 1 changed, 40 unchanged".
pub fn describe(s: WriteSummary) -> String {
    format!(
        "{} new, {} changed, {} unchanged",
        s.new, s.changed, s.unchanged
    )
}
