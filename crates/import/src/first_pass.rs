//! The first pass: every file read to its end before anything written is kept. Without
//! `--strict` only the importer's guards run (a refused file stops the run), on a thread
//! of its own beside the second pass; with it every record is also made and checked first,
//! so that the first bad one stops the run before any write.

use crate::links::Seen;
use crate::reconcile::Reconciler;
use crate::{Hooks, Input, Opener};
use anyhow::{bail, Result};
use crossbeam_channel::Receiver;
use dossier_ingest::import::Item;
use dossier_store::Store;
use std::thread::Scope;
use std::time::{Duration, Instant};

/// The first pass's answer: its time, or why a file was refused.
pub(crate) type Answer = Result<Duration>;

/// Starts the guards-only first pass beside the second; its answer comes once on the
/// returned channel (which disconnects without one if the thread panics).
pub(crate) fn spawn<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    inputs: &'env [Input],
    open: &'env Opener<'env>,
) -> Result<Receiver<Answer>> {
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::Builder::new()
        .name("import-check".into())
        .spawn_scoped(scope, move || {
            // Not lowered like the other stages: until it answers, the store holds its
            // writes (the index waits, held batches are read back), so the sooner the
            // better.
            let _ = tx.send(check_all(inputs, open));
        })?;
    Ok(rx)
}

/// Every file read through its guards. A refused file (hostile or malformed XML, not
/// TEI…) is an error that says nothing was written.
fn check_all(inputs: &[Input], open: &Opener) -> Answer {
    let started = Instant::now();
    for input in inputs {
        open(input)?
            .check()
            .map_err(|e| anyhow::anyhow!("{e}\nnothing was written"))?;
    }
    Ok(started.elapsed())
}

/// The first pass with `--strict`: every record made and checked (its links, its id)
/// before anything is written; the first bad one, or a refused file, stops the run.
pub(crate) fn strict(
    store: &dyn Store,
    inputs: &[Input],
    open: &Opener,
    total: u64,
    hooks: &mut Hooks,
) -> Result<()> {
    let progress = &mut *hooks.progress;
    progress.start("checking", total);
    let mut done_bytes = 0u64;
    let mut seen = Seen::default();
    // Links are reconciled as the second pass will, so that a record it would refuse
    // (`unmatched = "report"`) stops the run here, before any write.
    let mut reconciler = Reconciler::new(false);
    let mut count = 0;
    for input in inputs {
        let mut src = open(input)?;
        loop {
            let item = match src.next_item() {
                Ok(Some(item)) => item,
                Ok(None) => break,
                Err(e) => {
                    progress.finish();
                    return Err(anyhow::anyhow!("{e}\nnothing was written"));
                }
            };
            let problem = match item {
                Item::Bad(e) => Some(e.to_string()),
                Item::Record(mut r) => match reconciler.resolve_unwritten(store, &mut r)? {
                    Some(refused) => Some(refused),
                    None => {
                        let problem = seen.check(store, &r)?;
                        if problem.is_none() {
                            reconciler.learn(&r);
                        }
                        problem
                    }
                },
            };
            if let Some(p) = problem {
                progress.finish();
                progress.println(&p);
                bail!("stopped at the first bad record (--strict); nothing was written");
            }
            count += 1;
            progress.update(done_bytes + src.bytes_read(), count);
        }
        done_bytes += input.size;
    }
    progress.finish();
    Ok(())
}
