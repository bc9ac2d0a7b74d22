//! Held writes: the store's thread writes while the first pass still reads, and keeps
//! nothing unless it passes.
//!
//! Until the first pass answers, batches are written in a held transaction
//! (`BulkLoad::hold`) and neither acknowledged nor indexed: a refused file leaves nothing
//! written, exactly as if the writes had waited for it, and the store writes while the
//! first pass reads instead of waiting (on two cores, one of them was idle for the first
//! pass's length). Once every file passes, the held writes are committed and handed on.

use crate::first_pass::Answer;
use crate::store_thread::Stored;
use anyhow::{bail, Context, Result};
use crossbeam_channel::{select, Receiver, Sender};
use dossier_model::Archive;
use dossier_search::Committed;
use dossier_store::BulkLoad;
use std::sync::Arc;
use std::time::Instant;

/// Held batches whose records go on to the index from memory once they are kept; the
/// index reads the records of later ones back from the store. A first pass that takes long
/// (a large file) thus keeps no more batches in memory than usual.
const HELD_IN_MEMORY: usize = 4;

/// The store thread's side of the first pass.
pub(crate) struct Check<'a> {
    store: &'a dyn BulkLoad,
    /// The first pass's answer, until it has come (`None` with `--strict`, whose first
    /// pass is over before the second starts).
    answer: Option<Receiver<Answer>>,
    /// Where committed batches go (the index thread); `None` for a dry run.
    index: &'a Option<Sender<Vec<Committed>>>,
    acks: &'a Sender<()>,
    /// Whether the store holds this run's writes now.
    holding: bool,
    /// What the held batches hand on to the index once kept.
    held: Vec<Committed>,
    /// How many batches are held (acknowledged once kept).
    held_batches: usize,
}

impl<'a> Check<'a> {
    pub(crate) fn new(
        store: &'a dyn BulkLoad,
        answer: Option<Receiver<Answer>>,
        index: &'a Option<Sender<Vec<Committed>>>,
        acks: &'a Sender<()>,
    ) -> Self {
        Check {
            store,
            answer,
            index,
            acks,
            holding: false,
            held: Vec::new(),
            held_batches: 0,
        }
    }

    /// The next batch from the batcher, `None` once it has sent them all. While writes are
    /// held, the first pass's answer is taken as soon as it comes, batch or no batch: the
    /// batcher may be waiting for the held batches to be acknowledged (before it asks the
    /// store about a record one of them holds) and send nothing until they are.
    pub(crate) fn next_batch(
        &mut self,
        batches: &Receiver<Archive>,
        out: &mut Stored,
    ) -> Result<Option<Archive>> {
        while self.holding {
            // Holding implies an answer still to come (`answered` ends both).
            let Some(answer) = self.answer.clone() else {
                break;
            };
            select! {
                recv(batches) -> batch => return Ok(batch.ok()),
                recv(answer) -> a => self.answered(a.unwrap_or_else(|_| Err(failed())), out)?,
            }
        }
        Ok(batches.recv().ok())
    }

    /// Takes the first pass's answer if it has come.
    fn take_answer(&mut self, out: &mut Stored) -> Result<()> {
        let Some(rx) = &self.answer else {
            return Ok(());
        };
        match rx.try_recv() {
            Ok(answer) => self.answered(answer, out),
            Err(crossbeam_channel::TryRecvError::Disconnected) => self.answered(Err(failed()), out),
            Err(crossbeam_channel::TryRecvError::Empty) => Ok(()),
        }
    }

    /// Whether the store holds this run's writes now (in one transaction: one batch at a
    /// time).
    pub(crate) fn holding(&self) -> bool {
        self.holding
    }

    /// Before a write: takes the first pass's answer if it has come; otherwise makes sure
    /// the store holds the write (or, if it cannot, waits for the answer).
    pub(crate) fn before_write(&mut self, out: &mut Stored) -> Result<()> {
        self.take_answer(out)?;
        if self.answer.is_none() || self.holding {
            return Ok(());
        }
        // A store whose lock another writer keeps past the busy timeout gets the order of
        // old: wait for the answer, then write.
        match self.store.hold() {
            Ok(()) => self.holding = true,
            Err(e) => {
                tracing::info!("writes not held while the files are checked: {e}");
                return self.wait(out);
            }
        }
        Ok(())
    }

    /// Waits for the first pass's answer, if it is still to come, and settles what is held.
    pub(crate) fn wait(&mut self, out: &mut Stored) -> Result<()> {
        let Some(rx) = &self.answer else {
            return Ok(());
        };
        let t = Instant::now();
        let answer = rx.recv().unwrap_or_else(|_| Err(failed()));
        out.check_wait += t.elapsed();
        self.answered(answer, out)
    }

    fn answered(&mut self, answer: Answer, out: &mut Stored) -> Result<()> {
        self.answer = None;
        let holding = std::mem::take(&mut self.holding);
        let spent = match answer {
            Ok(spent) => spent,
            Err(e) => {
                // A refused file: every held write is undone, the store is as it was.
                self.held.clear();
                if holding {
                    self.store
                        .release(false)
                        .context("cannot undo the writes made while the files were checked")?;
                }
                return Err(e);
            }
        };
        out.check = Some(spent);
        if holding {
            if let Err(e) = self.store.release(true) {
                // Whatever SQLite left of the transaction goes too.
                let _ = self.store.release(false);
                return Err(e.into());
            }
            let held = std::mem::take(&mut self.held);
            if !held.is_empty() {
                self.hand_on(held)?;
            }
            for _ in 0..std::mem::take(&mut self.held_batches) {
                let _ = self.acks.send(());
            }
        }
        Ok(())
    }

    /// After a write: the batch goes on to the index and the batcher now, or once kept.
    pub(crate) fn written(&mut self, committed: Option<Committed>) -> Result<()> {
        if self.holding {
            self.held_batches += 1;
            if let Some(mut c) = committed {
                if self.held.len() >= HELD_IN_MEMORY {
                    c.archive = Arc::new(Archive::default());
                }
                self.held.push(c);
            }
            return Ok(());
        }
        if let Some(c) = committed {
            self.hand_on(vec![c])?;
        }
        let _ = self.acks.send(());
        Ok(())
    }

    fn hand_on(&self, batches: Vec<Committed>) -> Result<()> {
        if let Some(tx) = self.index {
            // Waits while the index thread is a batch behind. An error means that thread
            // stopped on one; it is reported when it is joined.
            if tx.send(batches).is_err() {
                bail!("the search index stopped following the store")
            }
        }
        Ok(())
    }
}

fn failed() -> anyhow::Error {
    anyhow::anyhow!("the checking thread failed")
}

impl Drop for Check<'_> {
    /// A thread that stops while holding writes (a panic) keeps none of them.
    fn drop(&mut self) {
        if self.holding {
            let _ = self.store.release(false);
        }
    }
}
