//! The store's writer thread: writes each batch while the batcher makes the next, then
//! hands the committed batch to the index thread and acknowledges it to the batcher,
//! which waits for the batches in flight before it asks the store about records they
//! hold. Until the first pass answers, what it writes is held ([`crate::held`]).
//!
//! A store that writes several batches at once (PostgreSQL's bulk load,
//! [`BulkLoad::batches_side_by_side`]) gets them each on a thread of their own, so long
//! as they keep apart: a batch waits for those in flight that write a record it writes or
//! names ([`Footprint`]). Committed batches are handed on in the order they finish; the
//! index reads the order of changes from the store's log.

use crate::first_pass::Answer;
use crate::held::Check;
use anyhow::Result;
use crossbeam_channel::{Receiver, Sender};
use dossier_model::Archive;
use dossier_search::Committed;
use dossier_store::{BulkLoad, EditConflict, StoreError, WriteOptions, WriteSummary};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

/// What the store's thread did.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    /// The batches' writing times added up (batches written side by side count each).
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
    let side_by_side = store.batches_side_by_side().max(1);
    let written = std::thread::scope(|scope| -> Result<()> {
        let mut flight = Flight::new(scope, store, write);
        loop {
            let batch = if flight.writing.is_empty() {
                check.next_batch(batches, &mut out)?
            } else {
                // A batch in flight may be what the batcher waits for (its
                // acknowledgement) before it sends the next: take whichever comes first.
                let free = flight.writing.len() < side_by_side;
                let next = if free {
                    batches.clone()
                } else {
                    crossbeam_channel::never()
                };
                crossbeam_channel::select! {
                    recv(flight.done_rx) -> done => {
                        let done = done.expect("the flight keeps a sender");
                        flight.finished(done, &mut check, &mut out)?;
                        continue;
                    }
                    recv(next) -> batch => batch.ok(),
                }
            };
            let Some(batch) = batch else { break };
            check.before_write(&mut out)?;
            if side_by_side == 1 || check.holding() {
                let t = Instant::now();
                let result = store.write_batch(&batch, write);
                flight.finished(
                    Done {
                        batch,
                        took: t.elapsed(),
                        result,
                        number: None,
                    },
                    &mut check,
                    &mut out,
                )?;
                continue;
            }
            let footprint = Footprint::of(&batch);
            while flight.writing.len() >= side_by_side
                || flight.writing.values().any(|f| footprint.waits_for(f))
            {
                flight.wait_one(&mut check, &mut out)?;
            }
            flight.start(batch, footprint)?;
        }
        while !flight.writing.is_empty() {
            flight.wait_one(&mut check, &mut out)?;
        }
        Ok(())
    });
    if let Err(e) = written {
        // The first pass's refusal says more; otherwise what is held is kept, like the
        // batches committed before.
        check.wait(&mut out)?;
        return Err(e);
    }
    check.wait(&mut out)?;
    Ok(out)
}

/// A batch written, or refused.
struct Done {
    batch: Archive,
    took: Duration,
    result: Result<(WriteSummary, Vec<EditConflict>), StoreError>,
    /// Its number in the flight (`None`: written on the store's thread).
    number: Option<usize>,
}

/// The batches being written side by side, each on a thread of its own.
struct Flight<'scope, 'env> {
    scope: &'scope Scope<'scope, 'env>,
    store: &'env dyn BulkLoad,
    write: &'env WriteOptions,
    done_tx: Sender<Done>,
    done_rx: Receiver<Done>,
    /// What each batch in flight writes and names, by its number.
    writing: HashMap<usize, Footprint>,
    started: usize,
}

impl<'scope, 'env> Flight<'scope, 'env> {
    fn new(
        scope: &'scope Scope<'scope, 'env>,
        store: &'env dyn BulkLoad,
        write: &'env WriteOptions,
    ) -> Self {
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        Flight {
            scope,
            store,
            write,
            done_tx,
            done_rx,
            writing: HashMap::new(),
            started: 0,
        }
    }

    fn start(&mut self, batch: Archive, footprint: Footprint) -> Result<()> {
        let number = self.started;
        self.started += 1;
        let (store, write, done) = (self.store, self.write, self.done_tx.clone());
        std::thread::Builder::new()
            .name("import-store".into())
            .spawn_scoped(self.scope, move || {
                let t = Instant::now();
                let result = store.write_batch(&batch, write);
                let _ = done.send(Done {
                    batch,
                    took: t.elapsed(),
                    result,
                    number: Some(number),
                });
            })?;
        self.writing.insert(number, footprint);
        Ok(())
    }

    /// Waits for a batch in flight to be written, and settles it.
    fn wait_one(&mut self, check: &mut Check, out: &mut Stored) -> Result<()> {
        let done = self.done_rx.recv().expect("the flight keeps a sender");
        self.finished(done, check, out)
    }

    /// Settles a written batch: counted, handed on to the index and acknowledged to the
    /// batcher (or held with the others). A refused batch stops the import once the
    /// others in flight are settled too.
    fn finished(&mut self, done: Done, check: &mut Check, out: &mut Stored) -> Result<()> {
        if let Some(number) = done.number {
            self.writing.remove(&number);
        }
        let (written, conflicts) = match done.result {
            Ok(written) => written,
            Err(e) => {
                while !self.writing.is_empty() {
                    let other = self.done_rx.recv().expect("the flight keeps a sender");
                    // A batch written beside the refused one is kept (and handed on), as
                    // the batches before it are.
                    let _ = self.finished(other, check, out);
                }
                return Err(anyhow::Error::new(e).context(
                    "a batch was refused; the batches written before it are stored, and running the command again completes the import",
                ));
            }
        };
        // Every record of a batch differs from its stored copy (the batcher leaves the
        // others out): one the store found unchanged differed only in fields kept as
        // editors changed them.
        out.kept_unchanged += written.unchanged;
        let batch = as_stored(done.batch, &conflicts);
        out.conflicts.extend(conflicts);
        out.store += done.took;
        out.batches += 1;
        tracing::debug!(ms = done.took.as_millis() as u64, "stored a batch");
        let committed = written.logged.map(|seqs| Committed {
            seqs,
            archive: Arc::new(batch),
        });
        check.written(committed)
    }
}

/// What a batch written side by side must keep apart from: the records it writes, and
/// those it names outside itself (its validation looks them up in the store, which does
/// not see another batch's records before that one commits). Collections are left out:
/// every batch of an import carries its collection, written only where it is new or
/// changed, and two first writes of one meet in the database, one waiting for the other.
#[derive(Debug, Default)]
pub(crate) struct Footprint {
    writes: HashSet<String>,
    names: HashSet<String>,
}

impl Footprint {
    pub(crate) fn of(batch: &Archive) -> Self {
        use dossier_model::RecordType as T;
        let key = |ty: T, slug: &str| format!("{}:{slug}", ty.as_str());
        let mut writes = HashSet::new();
        writes.extend(batch.dossiers.iter().map(|r| key(T::Dossier, &r.slug)));
        writes.extend(batch.documents.iter().map(|r| key(T::Document, &r.slug)));
        writes.extend(batch.bodies.iter().map(|r| key(T::Body, &r.slug)));
        writes.extend(batch.people.iter().map(|r| key(T::Person, &r.slug)));
        writes.extend(batch.events.iter().map(|r| key(T::Event, &r.slug)));
        writes.extend(batch.topics.iter().map(|r| key(T::Topic, &r.slug)));
        let names = batch
            .names_outside()
            .into_iter()
            .filter(|(ty, _)| ty != "collection")
            .flat_map(|(ty, slugs)| slugs.into_iter().map(move |s| format!("{ty}:{s}")))
            .collect();
        Footprint { writes, names }
    }

    /// Whether this batch must wait for `other`, in flight, to be written first.
    pub(crate) fn waits_for(&self, other: &Footprint) -> bool {
        self.writes
            .iter()
            .chain(&self.names)
            .any(|k| other.writes.contains(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_model::{Body, Event};

    fn body(slug: &str) -> Body {
        serde_json::from_value(serde_json::json!({
            "slug": slug,
            "name": slug.to_uppercase(),
            "kind": "council",
        }))
        .expect("a body")
    }

    fn batch(bodies: &[&str], events: &[(&str, &str)]) -> Archive {
        Archive {
            bodies: bodies.iter().map(|s| body(s)).collect(),
            events: events
                .iter()
                .map(|(slug, held_by)| {
                    serde_json::from_value::<Event>(serde_json::json!({
                        "slug": slug,
                        "title": slug,
                        "kind": "meeting",
                        "date": "2002-05-28",
                        "bodies": [held_by],
                    }))
                    .expect("an event")
                })
                .collect(),
            ..Default::default()
        }
    }

    /// A batch waits for one in flight that writes a record it writes or names (its
    /// validation looks the name up in the store); apart, they go side by side.
    #[test]
    fn a_batch_waits_for_the_one_in_flight_that_writes_what_it_holds_or_names() {
        let flying = Footprint::of(&batch(&["nrc"], &[("visit-1", "nrc")]));
        let names_it = Footprint::of(&batch(&[], &[("visit-2", "nrc")]));
        let writes_it = Footprint::of(&batch(&["nrc"], &[]));
        let rewrites_event = Footprint::of(&batch(&["pjc"], &[("visit-1", "pjc")]));
        let apart = Footprint::of(&batch(&["pjc"], &[("visit-3", "pjc")]));
        assert!(names_it.waits_for(&flying), "names a body being written");
        assert!(writes_it.waits_for(&flying), "writes a body being written");
        assert!(
            rewrites_event.waits_for(&flying),
            "writes an event being written"
        );
        assert!(!apart.waits_for(&flying), "writes and names other records");
        // An event of its own batch is not a name outside it.
        let own = Footprint::of(&batch(&["pjc"], &[("visit-4", "pjc")]));
        assert!(own.names.is_empty(), "{:?}", own.names);
        assert!(!Footprint::default().waits_for(&flying));
    }
}
