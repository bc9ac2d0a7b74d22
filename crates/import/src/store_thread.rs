//! The store's writer thread: writes each batch while the batcher makes the next, then
//! hands the committed batch to the index thread and acknowledges it to the batcher,
//! which waits for the batches in flight before it asks the store about records they
//! hold. Until the first pass answers, what it writes is held ([`crate::held`]).

use crate::first_pass::Answer;
use crate::held::Check;
use anyhow::Result;
use crossbeam_channel::{Receiver, Sender};
use dossier_model::Archive;
use dossier_search::Committed;
use dossier_store::{BulkLoad, EditConflict, WriteOptions, WriteSummary};
use std::sync::Arc;
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

/// What the store's thread did.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    pub(crate) store: Duration,
    pub(crate) batches: usize,
    /// The first pass's time, once it answered.
    pub(crate) check: Option<Duration>,
    /// Waiting for the first pass: at the end, when it finishes after the last write, or
    /// before the first write, for a store whose lock another writer keeps.
    pub(crate) check_wait: Duration,
    /// Fields kept as editors changed them (see [`WriteOptions::protect_edits`]).
    pub(crate) conflicts: Vec<EditConflict>,
    /// Records the batcher sent as changed that the store left unchanged: every field
    /// that differed was one an editor had changed, and kept.
    pub(crate) kept_unchanged: usize,
}

/// The channels between the batcher and the store's thread.
pub(crate) struct StoreChannels {
    /// Every full batch, one waiting at most while another is written.
    pub(crate) batches: Sender<Archive>,
    /// One message per batch the store's thread has finished with.
    pub(crate) acks: Receiver<()>,
}

/// Starts the store's thread, at the calling thread's priority. `answer` is the first
/// pass's, when it runs beside; `index` receives the committed batches (`None`: a dry run,
/// whose batcher sends nothing); `write` says who the revisions name and whether editors'
/// changes are kept.
pub(crate) fn spawn<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    store: &'env dyn BulkLoad,
    write: WriteOptions,
    answer: Option<Receiver<Answer>>,
    index: Option<Sender<Vec<Committed>>>,
) -> Result<(ScopedJoinHandle<'scope, Result<Stored>>, StoreChannels)> {
    let (stx, srx) = crossbeam_channel::bounded::<Archive>(1);
    let (atx, arx) = crossbeam_channel::unbounded::<()>();
    let storer = std::thread::Builder::new()
        .name("import-store".into())
        .spawn_scoped(scope, move || {
            write_batches(store, &write, answer, &index, &atx, &srx)
        })?;
    Ok((
        storer,
        StoreChannels {
            batches: stx,
            acks: arx,
        },
    ))
}

/// Writes one batch as a revision of each record it changes, attributed to the import
/// (a store without revisions: a plain write). One transaction, like `Store::write`.
fn write_one(
    store: &dyn BulkLoad,
    write: &WriteOptions,
    batch: &Archive,
) -> Result<(WriteSummary, Vec<EditConflict>), dossier_store::StoreError> {
    match store.revisions() {
        Some(r) => r.write_as(batch, write),
        None => Ok((store.write(batch)?, Vec::new())),
    }
}

/// The batch as the index may take it from memory: without the records where the store
/// kept an editor's field, whose stored copy is not the batch's (the index reads those
/// back from the store).
fn as_stored(mut batch: Archive, conflicts: &[EditConflict]) -> Archive {
    if conflicts.is_empty() {
        return batch;
    }
    use dossier_model::RecordType as T;
    let kept: std::collections::HashSet<(T, &str)> = conflicts
        .iter()
        .map(|c| (c.record, c.slug.as_str()))
        .collect();
    batch
        .dossiers
        .retain(|r| !kept.contains(&(T::Dossier, r.slug.as_str())));
    batch
        .documents
        .retain(|r| !kept.contains(&(T::Document, r.slug.as_str())));
    batch
        .bodies
        .retain(|r| !kept.contains(&(T::Body, r.slug.as_str())));
    batch
        .people
        .retain(|r| !kept.contains(&(T::Person, r.slug.as_str())));
    batch
        .events
        .retain(|r| !kept.contains(&(T::Event, r.slug.as_str())));
    batch
        .topics
        .retain(|r| !kept.contains(&(T::Topic, r.slug.as_str())));
    batch
}

fn write_batches(
    store: &dyn BulkLoad,
    write: &WriteOptions,
    answer: Option<Receiver<Answer>>,
    index: &Option<Sender<Vec<Committed>>>,
    acks: &Sender<()>,
    batches: &Receiver<Archive>,
) -> Result<Stored> {
    let mut out = Stored::default();
    let mut check = Check::new(store, answer, index, acks);
    while let Some(batch) = check.next_batch(batches, &mut out)? {
        check.before_write(&mut out)?;
        let t = Instant::now();
        let written = match write_one(store, write, &batch) {
            Ok((w, conflicts)) => {
                // Every record of a batch differs from its stored copy (the batcher
                // leaves the others out): one the store found unchanged differed only
                // in fields kept as editors changed them.
                out.kept_unchanged += w.unchanged;
                let batch = as_stored(batch, &conflicts);
                out.conflicts.extend(conflicts);
                (w, batch)
            }
            Err(e) => {
                // The first pass's refusal says more; otherwise what is held is kept, like
                // the batches committed before this one.
                check.wait(&mut out)?;
                return Err(anyhow::Error::new(e).context(
                    "a batch was refused; the batches before it are stored, and running the command again completes the import",
                ));
            }
        };
        out.store += t.elapsed();
        out.batches += 1;
        tracing::debug!(ms = t.elapsed().as_millis() as u64, "stored a batch");
        let (written, batch) = written;
        let committed = written.logged.map(|seqs| Committed {
            seqs,
            archive: Arc::new(batch),
        });
        check.written(committed)?;
    }
    check.wait(&mut out)?;
    Ok(out)
}
