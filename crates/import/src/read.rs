//! The second pass's reader: every input in order, on a thread of its own, its items
//! handed to the batcher over a bounded channel.

use crate::batch::IN_FLIGHT;
use crate::{Input, Opener};
use anyhow::Result;
use crossbeam_channel::{Receiver, Sender};
use dossier_ingest::import::Item;
use std::thread::{Scope, ScopedJoinHandle};

/// What the reading thread hands to the batcher.
pub(crate) enum Read {
    /// An item, with the bytes of all inputs read so far (for progress).
    Item(Item, u64),
    Failed(anyhow::Error),
}

/// Starts the reader (at a lowered priority); it stops at the end of the inputs or when
/// the receiver is dropped.
pub(crate) fn spawn<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    inputs: &'env [Input],
    open: &'env Opener<'env>,
    lower_priority: &'env (dyn Fn() + Sync),
) -> Result<(ScopedJoinHandle<'scope, ()>, Receiver<Read>)> {
    let (tx, rx) = crossbeam_channel::bounded::<Read>(IN_FLIGHT);
    let reader = std::thread::Builder::new()
        .name("import-read".into())
        .spawn_scoped(scope, move || {
            lower_priority();
            read_all(inputs, open, tx)
        })?;
    Ok((reader, rx))
}

/// Reads every input in order, sending items to `tx`; stops at the first file that cannot
/// be read (the first pass has already refused hostile files, so this is a file changed
/// between the passes, or an I/O error).
fn read_all(inputs: &[Input], open: &Opener, tx: Sender<Read>) {
    let mut done_bytes = 0u64;
    for input in inputs {
        let mut src = match open(input) {
            Ok(s) => s,
            Err(e) => {
                let _ = tx.send(Read::Failed(e));
                return;
            }
        };
        loop {
            match src.next_item() {
                Ok(Some(item)) => {
                    let at = done_bytes + src.bytes_read();
                    if tx.send(Read::Item(item, at)).is_err() {
                        return; // the batcher stopped
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Read::Failed(anyhow::anyhow!("{e}")));
                    return;
                }
            }
        }
        done_bytes += input.size;
    }
}
