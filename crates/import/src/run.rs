//! The run: the store's and the index's bulk loads around the two passes, and the threads
//! of the second pass wired together.

use crate::batch::BatchLimit;
use crate::batcher::Batcher;
use crate::index_thread::INDEX_BEHIND;
use crate::links::Seen;
use crate::read::Read;
use crate::reconcile::Reconciler;
use crate::{first_pass, index_thread, read, store_thread};
use crate::{Hooks, Input, Opener, Options, Report};
use anyhow::{Context, Result};
use crossbeam_channel::Receiver;
use dossier_ingest::import::Item;
use dossier_search::{BulkIndex, SearchIndex};
use dossier_store::{BulkLoad, WriteOptions};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Imports `inputs` into `store`, with the search index that `open_search` opens following
/// every committed batch (`None`: the store alone, as into a database that several servers
/// share, each of whose indexes follows the store's change log). Returns an error (for a
/// non-zero exit) when a file was refused; bad records are counted in the report (the
/// caller exits non-zero for them) and the good records are imported all the same unless
/// `--strict`. `what` names the records when the files hold none.
///
/// `open_search` is called once the first pass and the reader have started: creating an
/// index and its writer takes a fresh data directory some milliseconds of one core (its
/// files, its writer's threads and buffers), which they put to use.
pub fn import(
    store: &dyn BulkLoad,
    open_search: impl FnOnce() -> Result<Option<SearchIndex>>,
    inputs: &[Input],
    open: &Opener,
    options: Options,
    what: &str,
    hooks: &mut Hooks,
) -> Result<Report> {
    store.begin_bulk()?;
    let slot = OnceLock::new();
    let mut opened = Duration::ZERO;
    let lower_priority = hooks.lower_priority;
    let open_index = || -> Result<Option<&BulkIndex>> {
        let t = Instant::now();
        let Some(index) = open_search()? else {
            return Ok(None);
        };
        // tantivy's indexing threads start with the bulk load's writer and inherit the
        // priority of the thread that starts them: a lowered one.
        let bulk = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    lower_priority();
                    index.bulk()
                })
                .join()
        })
        .map_err(|_| anyhow::anyhow!("starting the search index's bulk load panicked"))??;
        opened = t.elapsed();
        Ok(Some(slot.get_or_init(|| bulk)))
    };
    let result = run(store, open_index, inputs, open, options, what, hooks);
    let Some(index) = slot.into_inner() else {
        // No index: none was wanted, or it did not open (the run's error says why, and
        // nothing was written). The store leaves its bulk load.
        if result.is_ok() {
            hooks.progress.finishing("finishing: the store's bulk load");
        }
        let ended = store.end_bulk();
        hooks.progress.finish();
        let report = result?;
        ended?;
        return Ok(report);
    };
    let t = Instant::now();
    // After a large import these take seconds once the progress is gone: say so.
    hooks
        .progress
        .finishing("finishing: the search index's last merges, the store's log into its file");
    // The index's last commit and merges while the store's write-ahead log is copied into
    // its database file: one waits mostly on the disk, the other on the CPU. Nothing
    // searches after an import, so the index closes with its last commit.
    let (index_end, store_end) = std::thread::scope(|scope| {
        let store_end = scope.spawn(|| store.end_bulk());
        (index.close(store), store_end.join())
    });
    hooks.progress.finish();
    index_end?;
    store_end.map_err(|_| anyhow::anyhow!("the store's checkpoint panicked"))??;
    tracing::info!(
        open_ms = opened.as_millis() as u64,
        end_bulk_ms = t.elapsed().as_millis() as u64,
        "search index"
    );
    result
}

/// The two passes. With `--strict` the first is over before the second starts; otherwise
/// it runs beside it.
fn run<'i>(
    store: &dyn BulkLoad,
    open_index: impl FnOnce() -> Result<Option<&'i BulkIndex>>,
    inputs: &[Input],
    open: &Opener,
    options: Options,
    what: &str,
    hooks: &mut Hooks,
) -> Result<Report> {
    let started = Instant::now();
    let total: u64 = inputs.iter().map(|i| i.size).sum();
    if options.strict {
        first_pass::strict(store, inputs, open, total, hooks)?;
    }
    let mut report = Report {
        bytes: total,
        ..Report::default()
    };
    report.phases.check = started.elapsed();
    let label = if options.dry_run {
        "comparing"
    } else {
        "importing"
    };
    hooks.progress.start(label, total);
    let index = second_pass(
        store,
        open_index,
        inputs,
        open,
        options.clone(),
        hooks,
        &mut report,
    )?;
    if let Some(index) = index.filter(|_| !options.dry_run) {
        // Whatever the index thread had not yet applied.
        let t = Instant::now();
        index.sync(store).context(INDEX_BEHIND)?;
        report.phases.index += t.elapsed();
    }
    hooks.progress.finish();
    if report.record_type.is_empty() {
        report.record_type = what.to_string();
    }
    report.elapsed = started.elapsed();
    report.log_phases();
    Ok(report)
}

/// The second pass: the reader, the batcher (this thread), the store's thread and the
/// index thread (when there is an index), with the first pass beside them unless
/// `--strict`. Returns the index.
fn second_pass<'i>(
    store: &dyn BulkLoad,
    open_index: impl FnOnce() -> Result<Option<&'i BulkIndex>>,
    inputs: &[Input],
    open: &Opener,
    options: Options,
    hooks: &mut Hooks,
    report: &mut Report,
) -> Result<Option<&'i BulkIndex>> {
    let lower_priority = hooks.lower_priority;
    let (strict, dry_run, overwrite_edits) =
        (options.strict, options.dry_run, options.overwrite_edits);
    let mut batcher = Batcher::new(store, options, report);
    std::thread::scope(|scope| -> Result<Option<&'i BulkIndex>> {
        // The first pass's answer: awaited by the store's thread, which writes while the
        // first pass reads but keeps nothing unless it passes; for a dry run (no writes),
        // by the batcher at the end.
        let mut check_for_store = None;
        if !strict {
            let answer = first_pass::spawn(scope, inputs, open)?;
            if dry_run {
                batcher.checked = Some(answer);
            } else {
                check_for_store = Some(answer);
            }
        }
        let (reader, items) = read::spawn(scope, inputs, open, lower_priority)?;
        // On an error the reader stops at its next record, once `items` is dropped.
        let index = open_index()?;
        let (indexer, to_index) = match index {
            Some(index) => {
                let (indexer, to_index) = index_thread::spawn(scope, index, store, lower_priority)?;
                (Some(indexer), (!dry_run).then_some(to_index))
            }
            None => (None, None),
        };
        let write = WriteOptions {
            author: crate::author(inputs),
            comment: comment(inputs),
            protect_edits: !overwrite_edits,
        };
        let (storer, channels) =
            store_thread::spawn(scope, store, write, check_for_store, to_index)?;
        // The store's thread started at this thread's priority; from here on this thread
        // (the checks, the comparisons, the batches) runs lower, like the other stages.
        lower_priority();
        batcher.store_tx = (!dry_run).then_some(channels.batches);
        batcher.acks = Some(channels.acks);
        let result = make_batches(&mut batcher, &items, inputs, &mut *hooks.progress);
        let t = Instant::now();
        let reconciler = std::mem::replace(&mut batcher.reconciler, Reconciler::new(false));
        batcher.report.reconciled = reconciler.finish();
        batcher.report.phases.duplicates = t.elapsed();
        // Every file checked, even for a dry run; a refused file's own message (which
        // says that nothing was written) wins over what pass 2 made of it.
        let result = batcher.wait_for_check(&mut *hooks.progress).and(result);
        // Closing the channels ends the threads, whatever happened here.
        batcher.store_tx = None;
        drop(items);
        let read = reader
            .join()
            .map_err(|_| anyhow::anyhow!("the reading thread failed"));
        let stored = storer
            .join()
            .map_err(|_| anyhow::anyhow!("the store's thread failed"));
        let indexed = indexer.map(|indexer| {
            indexer
                .join()
                .map_err(|_| anyhow::anyhow!("the search index thread failed"))
        });
        // The index thread's own error says more than the store thread's "stopped
        // following", and the store thread's more than the batcher's "stopped writing".
        if let Some(indexed) = indexed {
            batcher.report.phases.index += indexed??;
        }
        let stored = stored??;
        let phases = &mut batcher.report.phases;
        phases.store += stored.store;
        phases.batches += stored.batches;
        phases.check_wait += stored.check_wait;
        if let Some(spent) = stored.check {
            phases.check = spent;
        }
        let records = &mut batcher.report.records;
        let kept = stored.kept_unchanged.min(records.changed);
        records.changed -= kept;
        records.unchanged += kept;
        batcher.report.conflicts = stored.conflicts;
        result?;
        read?;
        Ok(index)
    })
}

/// The comment on the run's revisions: for several files, which (the author names only
/// their folder).
fn comment(inputs: &[Input]) -> String {
    if inputs.len() < 2 {
        return String::new();
    }
    let names: Vec<String> = inputs
        .iter()
        .take(3)
        .map(|i| {
            std::path::Path::new(&i.name)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| i.name.clone())
        })
        .collect();
    let more = inputs.len().saturating_sub(names.len());
    let mut s = format!("{} files: {}", inputs.len(), names.join(", "));
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// The batcher's loop: every item the reader makes, checked, compared and batched; a
/// batch goes to the store's thread once it reaches its limit.
fn make_batches(
    batcher: &mut Batcher,
    items: &Receiver<Read>,
    inputs: &[Input],
    progress: &mut dyn crate::Progress,
) -> Result<()> {
    let total: u64 = inputs.iter().map(|i| i.size).sum();
    let mut limit = BatchLimit::new(batcher.options.batch_size.max(1));
    let mut seen = Seen::default();
    let (mut n, mut flushed_at) = (0usize, 0u64);
    loop {
        let t = Instant::now();
        let next = items.recv();
        batcher.report.phases.read += t.elapsed();
        let (item, at) = match next {
            Ok(Read::Item(item, at)) => (item, at),
            Ok(Read::Failed(e)) => return Err(e),
            Err(_) => break, // every input read
        };
        let t = Instant::now();
        let problem = match item {
            Item::Bad(e) => Some(e.to_string()),
            Item::Record(mut r) => {
                if batcher.report.record_type.is_empty() {
                    batcher.report.record_type = r.record.type_name().to_string();
                }
                let problem = match batcher.reconcile(&mut r)? {
                    Some(refused) => Some(refused),
                    None => seen.check(batcher.store, &r)?,
                };
                if problem.is_none() {
                    batcher.reconciler.learn(&r);
                    batcher.add(*r)?;
                    n += 1;
                    batcher.report.phases.compare += t.elapsed();
                    if batcher.batch_len >= limit.records_now(at, total, n)
                        || at - flushed_at >= limit.bytes
                    {
                        batcher.flush()?;
                        flushed_at = at;
                        limit.grow();
                    }
                }
                problem
            }
        };
        if let Some(p) = problem {
            batcher.report.bad += 1;
            progress.println(&p);
        }
        progress.update(at, n);
    }
    batcher.flush()
}
