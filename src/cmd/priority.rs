//! CPU priority of an import's threads.
//!
//! An import runs more threads than this machine has cores: the reader, the first pass's
//! guards, the main thread's checks, the store's writer, the search index's sync and
//! tantivy's indexing threads. The store's writer is the slowest stage of a record import
//! (every batch goes through it, one after another), and with every thread equal it spent
//! much of its time waiting for a core (`/proc/PID/task/TID/schedstat`). The other stages
//! have slack (they hand on through queues), so they run at a lower priority and take the
//! cores the writer leaves (record imports got faster, TEI did not change: BENCHMARKS.md).
//! The import engine calls [`lower_this_thread`] (passed in as its `Hooks`) for the reader,
//! the index thread, tantivy's threads and the calling thread once it has started the
//! store's thread (which would otherwise inherit it). The first pass is not lowered: until
//! it answers, the store holds its writes.

/// How much lower than the process the background stages run (`nice` steps; the store's
/// writer stays at the process's own priority). Ten steps give a running thread about
/// nine times the CPU share of a lowered one.
#[cfg(target_os = "linux")]
const LOWER_BY: i32 = 10;

/// Lowers the calling thread's CPU priority by [`LOWER_BY`] nice steps, never past the
/// lowest (19). On Linux each thread has its own nice value, and threads this one starts
/// inherit it. Elsewhere (where nice applies to the whole process) it does nothing. A
/// failure only costs speed, so it is ignored.
pub fn lower_this_thread() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let me = Some(rustix::thread::gettid());
        if let Ok(nice) = getpriority_process(me) {
            let _ = setpriority_process(me, (nice + LOWER_BY).min(19));
        }
    }
}

/// This thread's nice value (Linux only; for tests).
#[cfg(all(test, target_os = "linux"))]
fn this_thread_nice() -> i32 {
    rustix::process::getpriority_process(Some(rustix::thread::gettid())).expect("getpriority")
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn lowers_only_the_calling_thread_and_what_it_starts() {
        let before = this_thread_nice();
        let (lowered, child) = std::thread::spawn(|| {
            lower_this_thread();
            let child = std::thread::spawn(this_thread_nice).join().unwrap();
            (this_thread_nice(), child)
        })
        .join()
        .unwrap();
        assert_eq!(lowered, (before + LOWER_BY).min(19));
        assert_eq!(child, lowered, "a thread inherits its starter's priority");
        assert_eq!(
            this_thread_nice(),
            before,
            "the calling thread alone is lowered"
        );
    }
}
