//! One writer per archive: the commands that write to a data directory (imports,
//! `load-builtin`, `reindex`, the server's start-up) take an exclusive lock on
//! `writer.lock` in it first.
//!
//! Why: an import keeps the search index's writer for its whole run and the store's write
//! lock while its first pass checks the files, so a second writer used to fail after a
//! five-second wait with tantivy's or SQLite's lock error. With this lock the second
//! command says who is writing and waits for it, as package managers do with theirs.
//!
//! The lock is the operating system's (`flock` on Unix): it goes with the process, so a
//! killed import never leaves a stale lock behind. The file's text only names the holder
//! for the message.

use anyhow::{Context, Result};
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

/// The file in the data directory whose lock is the archive's writer lock.
pub const LOCK_FILE: &str = "writer.lock";

/// Held while a command writes; dropping it lets the next writer go on.
#[derive(Debug)]
pub struct WriteLock {
    _file: Option<File>,
}

/// What [`try_lock_for_writing`] found.
pub enum Attempt {
    Locked(WriteLock),
    /// Another process holds the lock; the text names it ("pid 4711: import records,
    /// since 2026-12-04T20:41:07Z").
    Busy(String, File),
}

/// Takes the archive's writer lock for `what` (the command, for the message another
/// writer would see), waiting for the process that holds it, if any, and saying so on
/// standard error.
pub fn lock_for_writing(data_dir: &Path, what: &str) -> Result<WriteLock> {
    match try_lock_for_writing(data_dir, what)? {
        Attempt::Locked(lock) => Ok(lock),
        Attempt::Busy(holder, file) => {
            eprintln!(
                "waiting: another dossier process is writing to this archive ({holder}); \
                 this one goes on when it finishes (stop with Ctrl-C)"
            );
            file.lock().with_context(|| {
                format!(
                    "cannot wait for the archive's writer lock {}",
                    data_dir.join(LOCK_FILE).display()
                )
            })?;
            claim(file, what)
        }
    }
}

/// Takes the archive's writer lock for `what` if no other process holds it.
pub fn try_lock_for_writing(data_dir: &Path, what: &str) -> Result<Attempt> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let path = data_dir.join(LOCK_FILE);
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open the archive's writer lock {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Attempt::Locked(claim(file, what)?)),
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() {
                "it has not said which".to_string()
            } else {
                holder.to_string()
            };
            Ok(Attempt::Busy(holder, file))
        }
        // A file system without locks (some network mounts): write without it, as before.
        Err(TryLockError::Error(e)) => {
            tracing::warn!(
                "cannot lock {} ({e}); two dossier processes writing at once may fail",
                path.display()
            );
            Ok(Attempt::Locked(WriteLock { _file: None }))
        }
    }
}

/// Writes who holds the lock into its file, for the message another writer shows.
fn claim(mut file: File, what: &str) -> Result<WriteLock> {
    let note = format!(
        "pid {}: {what}, since {}\n",
        std::process::id(),
        dossier_publish::time::now()
    );
    // Only a message depends on it: a failure here does not stop the command.
    let _ = file
        .set_len(0)
        .and_then(|_| file.rewind())
        .and_then(|_| file.write_all(note.as_bytes()));
    Ok(WriteLock { _file: Some(file) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_told_who_writes_and_goes_on_once_it_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let first = match try_lock_for_writing(dir.path(), "import records").unwrap() {
            Attempt::Locked(l) => l,
            Attempt::Busy(..) => panic!("nobody else holds the lock"),
        };
        // flock locks belong to an open file, so a second open in this process is a
        // second writer.
        match try_lock_for_writing(dir.path(), "load-builtin").unwrap() {
            Attempt::Locked(_) => panic!("two writers held the lock at once"),
            Attempt::Busy(holder, _) => {
                assert!(
                    holder.starts_with(&format!(
                        "pid {}: import records, since ",
                        std::process::id()
                    )),
                    "{holder}"
                );
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let path = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let lock = lock_for_writing(&path, "load-builtin").unwrap();
            tx.send(()).unwrap();
            lock
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_millis(300))
                .is_err(),
            "the second writer went on while the first held the lock"
        );
        drop(first);
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("the second writer goes on once the first lets go");
        let _second = waiter.join().unwrap();
        let note = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert!(note.contains(": load-builtin, since "), "{note}");
    }
}
