//! The import engine: the one writer behind every streaming import (TEI, record XML, CSV,
//! Markdown), shared by `dossier import …` and the benchmarks. Importers (`dossier-ingest`)
//! make records and never touch the store; this crate checks, compares and writes them.
//!
//! Two passes over the input, each streaming (memory bounded by the batch and the records
//! in flight between threads, never by the input):
//! 1. **check** (`first_pass`): every file is read to its end through the importer; a
//!    refused file (hostile or malformed XML, not TEI…) stops the run with nothing
//!    written, and each bad record is reported with file:line:column, record id and field.
//!    With `--strict` the first bad record stops the run, again before any write. Without
//!    it the check runs beside pass 2, whose writes the store holds uncommitted until the
//!    check answers (`held`, `BulkLoad::hold`): kept if every file passes, undone if one
//!    is refused.
//! 2. **import**: the records are read again and written in batches (`batch`), each
//!    batch one transaction (`Store::write`), so that a kill at any point leaves whole
//!    batches only, and running the same command again completes the import. Each record
//!    is compared with the stored copy first (`batcher`): unchanged records are not
//!    rewritten, which is what makes a re-import a no-op ("0 new, 0 changed, 3264
//!    unchanged"). `--dry-run` stops there. Four threads share this pass, each handing on
//!    to the next over a bounded channel (`run` wires them): a reader makes records
//!    (`read`); the calling thread checks and compares them and builds batches; a store
//!    thread writes each batch while the next is built (`store_thread`); an index thread
//!    syncs the search index after each committed batch, from the batch's records in
//!    memory (`index_thread`). The calling thread asks the store about a record only
//!    once every batch that may hold it is committed.
//!
//! Linked records (a visit's country and visitor, a study's topics) are created when the
//! archive lacks them and otherwise left as they are — except that a body this same
//! source created gets a new spelling of its name as an alias (a country named "Germany"
//! and "Germany, Federal Republic of").
//!
//! What the caller provides ([`Hooks`]): how progress is shown and how a background stage
//! lowers its CPU priority. The crate knows nothing of terminals.

mod batch;
mod batcher;
mod first_pass;
mod held;
mod hooks;
mod index_thread;
mod links;
mod read;
mod reconcile;
mod report;
mod run;
mod store_thread;

pub use hooks::{Hooks, Progress};
pub use report::{conflict_line, Counts, How, MatchLine, Phases, Reconciled, Report};
pub use run::import;

use anyhow::{bail, Context, Result};
use dossier_ingest::import::RecordSource;
use std::path::PathBuf;

/// How the run behaves (the flags every import command shares).
#[derive(Debug, Clone)]
pub struct Options {
    pub dry_run: bool,
    pub strict: bool,
    pub batch_size: usize,
    /// Replace fields an editor changed since the last import with the files' values
    /// (`--overwrite-edits`); by default the editor's value is kept and the field reported.
    pub overwrite_edits: bool,
    /// The collection every record read (and every linked record the run creates) joins
    /// (`--collection`): written with each batch, so it exists once the first batch is
    /// committed and is undone with it. A record keeps the collections it had.
    pub collection: Option<dossier_model::Collection>,
}

/// One input file.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    /// As the user named it, for messages and record sources.
    pub name: String,
    pub size: u64,
}

impl Input {
    pub fn new(path: PathBuf) -> Result<Self> {
        let name = path.display().to_string();
        let meta = std::fs::metadata(&path).with_context(|| format!("cannot read {name}"))?;
        if !meta.is_file() {
            bail!("{name} is not a file");
        }
        Ok(Input {
            size: meta.len(),
            path,
            name,
        })
    }
}

/// Who the run's revisions name: `import: FILE` for one file; for several, the folder
/// they share (`import: corpora/visits/`), else the first file and how many more. With
/// it, the history of a record says which import wrote each version.
pub fn author(inputs: &[Input]) -> dossier_store::Author {
    let name = match inputs {
        [] => String::from("(no files)"),
        [one] => one.name.clone(),
        [first, rest @ ..] => {
            let parent = |i: &Input| {
                std::path::Path::new(&i.name)
                    .parent()
                    .map(|p| p.to_path_buf())
            };
            let shared =
                parent(first).filter(|p| rest.iter().all(|i| parent(i).as_ref() == Some(p)));
            match shared {
                Some(p) if !p.as_os_str().is_empty() => format!("{}/", p.display()),
                _ => format!("{} and {} more", first.name, rest.len()),
            }
        }
    };
    dossier_store::Author::import(&name)
}

/// Opens an importer over one input. `Sync` and `Send`: the second pass reads on a thread
/// of its own while the calling thread writes.
pub type Opener<'a> = dyn Fn(&Input) -> Result<Box<dyn RecordSource + Send>> + Sync + 'a;

#[cfg(test)]
mod reconcile_tests;
#[cfg(test)]
mod tests;
