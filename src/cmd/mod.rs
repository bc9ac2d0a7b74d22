//! One module per subcommand.

mod import;
mod serve;

use crate::cli::{Cli, Command, Import};
use anyhow::{Context, Result};
use dossier_store::{SqliteStore, Store, WriteSummary};
use std::path::Path;

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(&cli.global.data_dir, args),
        Command::Import(Import::Outline(args)) => import::outline(&cli.global.data_dir, args),
        Command::LoadBuiltin => {
            let store = open_store(&cli.global.data_dir)?;
            let summary = load_builtin(&store)?;
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
