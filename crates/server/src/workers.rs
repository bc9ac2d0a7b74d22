//! The request workers: a fixed number of threads for the store and render work of
//! requests, with a bounded queue in front of them.
//!
//! SQLite is synchronous, so page handlers cannot read the store on the async runtime.
//! They used to run on tokio's blocking pool, which starts a thread for every waiting job
//! (up to 512) although the store has only a few read connections: the extra threads only
//! waited for a connection, and memory grew with the number of waiting requests. Here the
//! threads are as many as the store's read connections (by default), a job waits in a
//! queue of bounded length, and a job past it is refused at once, which the error edge
//! answers `503 Service Unavailable` with `Retry-After`. A waiting request then costs only
//! its future and its queued closure, however many connections wait.
//!
//! A queued job whose request is gone (timed out, or the client closed the connection) is
//! dropped when a worker reaches it instead of being run: its answer has no reader.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Once};
use std::time::{Duration, Instant};

/// Jobs that may wait for a worker when nothing else is said: enough for a few hundred
/// connections that all miss the response cache at once, short enough that a wait stays
/// well within the request timeout at the store's pace.
pub const DEFAULT_QUEUE: usize = 512;

/// The most workers accepted (each is a thread with its own stack).
pub const MAX_WORKERS: usize = 256;

/// The longest queue accepted.
pub const MAX_QUEUE: usize = 1 << 16;

/// How long a refused client is asked to wait before trying again, in seconds.
pub const RETRY_AFTER_SECS: u32 = 1;

/// A job, as a worker runs it: `true` if it ran, `false` if its request was gone.
type Job = Box<dyn FnOnce() -> bool + Send>;

/// A hook run on the worker before each job it runs (tests hold the workers with it).
pub(crate) type Hook = Arc<dyn Fn() + Send + Sync>;

/// Why a job was not run.
#[derive(Debug)]
pub(crate) enum Refused {
    /// Every worker is busy and the queue is full.
    Busy,
    /// The job panicked (its message), or the pool is shutting down.
    Failed(String),
}

/// What `/metrics` reads of the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PoolStats {
    pub workers: usize,
    pub busy: usize,
    pub queued: usize,
    pub capacity: usize,
    /// Jobs refused because the queue was full.
    pub refused: u64,
    /// Queued jobs dropped because their request was gone.
    pub abandoned: u64,
}

/// The queue and the counters the workers share.
struct Shared {
    queue: Mutex<Queue>,
    ready: Condvar,
    workers: usize,
    capacity: usize,
    busy: AtomicUsize,
    /// The queue's length, readable without the lock.
    queued: AtomicUsize,
    refused: AtomicU64,
    abandoned: AtomicU64,
    hook: Option<Hook>,
}

struct Queue {
    jobs: VecDeque<(Instant, Job)>,
    closed: bool,
}

/// The pool. The threads start with the first job (a state built and then replaced, as
/// `AppState::with_workers` does, costs no threads) and stop when the pool is dropped.
pub(crate) struct Workers {
    shared: Arc<Shared>,
    started: Once,
    /// Called with how long each job waited in the queue.
    on_wait: Option<Arc<dyn Fn(Duration) + Send + Sync>>,
}

impl Workers {
    /// `workers` threads (at least 1) behind a queue of `capacity` jobs (0: a job is
    /// refused unless a worker is free).
    pub(crate) fn new(workers: usize, capacity: usize) -> Self {
        Self::build(workers, capacity, None, None)
    }

    pub(crate) fn build(
        workers: usize,
        capacity: usize,
        hook: Option<Hook>,
        on_wait: Option<Arc<dyn Fn(Duration) + Send + Sync>>,
    ) -> Self {
        Workers {
            shared: Arc::new(Shared {
                queue: Mutex::new(Queue {
                    jobs: VecDeque::new(),
                    closed: false,
                }),
                ready: Condvar::new(),
                workers: workers.clamp(1, MAX_WORKERS),
                capacity: capacity.min(MAX_QUEUE),
                busy: AtomicUsize::new(0),
                queued: AtomicUsize::new(0),
                refused: AtomicU64::new(0),
                abandoned: AtomicU64::new(0),
                hook,
            }),
            started: Once::new(),
            on_wait,
        }
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let s = &self.shared;
        PoolStats {
            workers: s.workers,
            busy: s.busy.load(Ordering::Relaxed),
            queued: s.queued.load(Ordering::Relaxed),
            capacity: s.capacity,
            refused: s.refused.load(Ordering::Relaxed),
            abandoned: s.abandoned.load(Ordering::Relaxed),
        }
    }

    /// Runs `work` on a worker and waits for its value without blocking the runtime.
    /// Refused at once when every worker is busy and the queue is full. If the returned
    /// future is dropped before a worker reaches the job, the job is not run.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Refused> {
        self.started.call_once(|| self.spawn());
        let (tx, rx) = tokio::sync::oneshot::channel();
        let hook = self.shared.hook.clone();
        let job: Job = Box::new(move || {
            if tx.is_closed() {
                return false;
            }
            if let Some(hook) = hook {
                hook();
            }
            let _ = tx.send(catch_unwind(AssertUnwindSafe(work)));
            true
        });
        self.submit(job)?;
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(panic)) => Err(Refused::Failed(panic_message(panic.as_ref()))),
            Err(_) => Err(Refused::Failed(
                "the request workers stopped before the job ran".into(),
            )),
        }
    }

    fn submit(&self, job: Job) -> Result<(), Refused> {
        let s = &self.shared;
        let mut q = s.queue.lock().unwrap_or_else(|p| p.into_inner());
        // Busy workers plus waiting jobs: a free worker takes a job at once, so the queue
        // proper is what is past the workers.
        if q.jobs.len() + s.busy.load(Ordering::Relaxed) >= s.workers + s.capacity {
            drop(q);
            s.refused.fetch_add(1, Ordering::Relaxed);
            return Err(Refused::Busy);
        }
        q.jobs.push_back((Instant::now(), job));
        s.queued.store(q.jobs.len(), Ordering::Relaxed);
        drop(q);
        s.ready.notify_one();
        Ok(())
    }

    fn spawn(&self) {
        for i in 0..self.shared.workers {
            let shared = self.shared.clone();
            let on_wait = self.on_wait.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("dossier-worker-{i}"))
                .spawn(move || work(&shared, on_wait.as_deref()));
            if let Err(e) = spawned {
                // The others serve; with none, jobs wait until the request times out.
                tracing::error!(error = %e, "cannot start a request worker");
            }
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        let mut q = self.shared.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.closed = true;
        drop(q);
        self.shared.ready.notify_all();
    }
}

/// A worker's loop: takes the oldest job, runs it (or drops it if its request is gone),
/// until the pool is dropped and the queue is empty.
fn work(s: &Shared, on_wait: Option<&(dyn Fn(Duration) + Send + Sync)>) {
    loop {
        let mut q = s.queue.lock().unwrap_or_else(|p| p.into_inner());
        let (queued_at, job) = loop {
            if let Some(next) = q.jobs.pop_front() {
                break next;
            }
            if q.closed {
                return;
            }
            q = s.ready.wait(q).unwrap_or_else(|p| p.into_inner());
        };
        s.queued.store(q.jobs.len(), Ordering::Relaxed);
        // Counted busy under the lock, so that `submit` never sees the job in neither.
        s.busy.fetch_add(1, Ordering::Relaxed);
        drop(q);
        if let Some(f) = on_wait {
            f(queued_at.elapsed());
        }
        if !job() {
            s.abandoned.fetch_add(1, Ordering::Relaxed);
        }
        s.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => format!("a request job panicked: {s}"),
        (_, Some(s)) => format!("a request job panicked: {s}"),
        _ => "a request job panicked".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Whether the gate is open, and its waiters.
    type Open = Arc<(Mutex<bool>, Condvar)>;

    /// A hook that holds every job until the test lets it go, and says when one starts.
    fn gate() -> (Hook, mpsc::Receiver<()>, Open) {
        let open = Arc::new((Mutex::new(false), Condvar::new()));
        let (started, starts) = mpsc::channel();
        let started = Mutex::new(started);
        let o = open.clone();
        let hook: Hook = Arc::new(move || {
            let _ = started.lock().unwrap().send(());
            let (m, c) = &*o;
            let mut g = m.lock().unwrap();
            while !*g {
                g = c.wait(g).unwrap();
            }
        });
        (hook, starts, open)
    }

    fn release(open: &(Mutex<bool>, Condvar)) {
        *open.0.lock().unwrap() = true;
        open.1.notify_all();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_and_a_gone_request_is_not_run() {
        let (hook, starts, open) = gate();
        let pool = Arc::new(Workers::build(1, 1, Some(hook), None));
        let ran = Arc::new(AtomicUsize::new(0));
        let job = |ran: &Arc<AtomicUsize>| {
            let ran = ran.clone();
            move || ran.fetch_add(1, Ordering::SeqCst)
        };
        // One job on the worker (held by the gate), one in the queue.
        let first = tokio::spawn({
            let (pool, j) = (pool.clone(), job(&ran));
            async move { pool.run(j).await }
        });
        tokio::task::spawn_blocking(move || starts.recv().unwrap())
            .await
            .unwrap();
        let second = tokio::spawn({
            let (pool, j) = (pool.clone(), job(&ran));
            async move { pool.run(j).await }
        });
        while pool.stats().queued < 1 {
            tokio::task::yield_now().await;
        }
        // The third is refused at once.
        assert!(matches!(pool.run(job(&ran)).await, Err(Refused::Busy)));
        assert_eq!(pool.stats().refused, 1);
        // The queued request goes away: its job is dropped, not run.
        second.abort();
        let _ = second.await;
        release(&open);
        assert!(first.await.unwrap().is_ok());
        while pool.stats().abandoned < 1 || pool.stats().busy > 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        assert_eq!(pool.stats().queued, 0);
        // And the pool serves again.
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_worker_lives_on() {
        let pool = Workers::new(1, 4);
        match pool.run(|| -> u8 { panic!("boom") }).await {
            Err(Refused::Failed(m)) => assert!(m.contains("boom"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(pool.run(|| 1).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_queue_of_zero_takes_a_job_only_for_a_free_worker() {
        let pool = Workers::new(2, 0);
        assert_eq!(pool.run(|| 1).await.unwrap(), 1);
        assert_eq!(pool.stats().capacity, 0);
    }
}
