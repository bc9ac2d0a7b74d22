//! The one writer behind every streaming import (TEI, record XML, CSV, Markdown).
//!
//! Two passes over the input, each streaming (memory bounded by the batch and the records
//! in flight between threads, never by the input):
//! 1. **check**: every file is read to its end through the importer; a refused file
//!    (hostile or malformed XML, not TEI…) stops the run with nothing written, and
//!    each bad record is reported with file:line:column, record id and field. With
//!    `--strict` the first bad record stops the run, again before any write. Without it the
//!    check runs beside pass 2, whose writes the store holds uncommitted until the check
//!    answers ([`Store::hold`]): kept if every file passes, undone if one is refused.
//! 2. **import**: the records are read again and written in batches, each batch one
//!    transaction (`Store::write`), so that a kill at any point leaves whole batches only,
//!    and running the same command again completes the import. Each record is compared
//!    with the stored copy first: unchanged records are not rewritten, which is what makes
//!    a re-import a no-op ("0 new, 0 changed, 3264 unchanged"). `--dry-run` stops there.
//!    Four threads share this pass, each handing on to the next over a bounded channel: a
//!    reader makes records; the main thread checks and compares them and builds batches;
//!    a store thread writes each batch while the next is built; an index thread syncs the
//!    search index after each committed batch, from the batch's records in memory. The
//!    main thread asks the store about a record only once every batch that may hold it is
//!    committed.
//!
//! Linked records (a visit's country and visitor, a study's topics) are created when the
//! archive lacks them and otherwise left as they are — except that a body this same
//! source created gets a new spelling of its name as an alias (a country named "Germany"
//! and "Germany, Federal Republic of").

use anyhow::{bail, Context, Result};
use dossier_ingest::import::{Imported, Item, Record, RecordSource};
use dossier_model::Archive;
use dossier_search::Committed;
use dossier_store::{RecordType, Store};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the run behaves (the flags every import command shares).
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub dry_run: bool,
    pub strict: bool,
    pub batch_size: usize,
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

/// Opens an importer over one input. `Sync` and `Send`: the second pass reads on a thread
/// of its own while the main thread writes.
pub type Opener<'a> = dyn Fn(&Input) -> Result<Box<dyn RecordSource + Send>> + Sync + 'a;

/// What the reading thread of the second pass hands to the writer.
enum Read {
    /// An item, with the bytes of all inputs read so far (for progress).
    Item(Item, u64),
    Failed(anyhow::Error),
}

/// Items in flight between the reading thread and the writer: enough for the reader to
/// keep going while a batch is written and indexed, few enough to bound memory (a few
/// KB each).
const IN_FLIGHT: usize = 4096;

/// A batch is also written once it holds this many bytes of input, however few records:
/// TEI sections with their full text are large, and 10,000 of them would hold hundreds of
/// MB (with their JSON and the search index's buffers) in memory.
const BATCH_BYTES: u64 = 16 * 1024 * 1024;

/// The first batches are smaller: a batch is indexed only once it is stored, so while the
/// first one is written the index has nothing to do. The first batch is this fraction of
/// the full size (in records and in bytes), and each next one twice the last, up to the
/// full size: a small import gets a few overlapping batches, a large one soon runs at full
/// size.
const FIRST_BATCH_FRACTION: usize = 8;

/// Near the end of the input a batch holds at most this fraction of the records left
/// (estimated from the bytes left), but never fewer than the first batch. The last batch
/// is stored and then indexed with nothing else left to overlap: on the visits corpus the
/// batches had grown to 2,500 records by the end, and the store wrote the last for 56 ms
/// with the other core idle, then the index took it alone.
const TAIL_FRACTION: u64 = 3;

/// How large the next batch may grow, in records and in bytes of input.
#[derive(Debug, Clone, Copy)]
struct BatchLimit {
    records: usize,
    bytes: u64,
    first_records: usize,
    full_records: usize,
}

impl BatchLimit {
    fn new(full_records: usize) -> Self {
        let first_records = (full_records / FIRST_BATCH_FRACTION).max(1);
        BatchLimit {
            records: first_records,
            bytes: BATCH_BYTES / FIRST_BATCH_FRACTION as u64,
            first_records,
            full_records,
        }
    }

    fn grow(&mut self) {
        self.records = (self.records * 2).min(self.full_records);
        self.bytes = (self.bytes * 2).min(BATCH_BYTES);
    }

    /// The records the batch being made may hold, when `done` records have come from the
    /// first `at` of `total` bytes of input: [`TAIL_FRACTION`] of those left, between the
    /// first batch's size and the current limit.
    fn records_now(&self, at: u64, total: u64, done: usize) -> usize {
        if done == 0 || at == 0 {
            return self.records;
        }
        let left = total.saturating_sub(at) as u128 * done as u128 / u128::from(at);
        let share = usize::try_from(left / u128::from(TAIL_FRACTION)).unwrap_or(usize::MAX);
        share.clamp(self.first_records.min(self.records), self.records)
    }
}

/// Reads every input in order on its own thread, sending items to `tx`; stops at the
/// first file that cannot be read (the first pass has already refused hostile files, so
/// this is a file changed between the passes, or an I/O error).
fn read_all(inputs: &[Input], open: &Opener, tx: std::sync::mpsc::SyncSender<Read>) {
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
                        return; // the writer stopped
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

/// The first pass without `--strict`: every file read through its guards. A refused file
/// (hostile or malformed XML, not TEI…) is an error that says nothing was written.
fn check_all(inputs: &[Input], open: &Opener) -> Result<Duration> {
    let started = Instant::now();
    for input in inputs {
        open(input)?
            .check()
            .map_err(|e| anyhow::anyhow!("{e}\nnothing was written"))?;
    }
    Ok(started.elapsed())
}

/// Counts of one kind of outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// What a run did (or, with `--dry-run`, would do).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The records the files hold, by type.
    pub records: Counts,
    pub record_type: String,
    /// Linked records created, by type.
    pub created: HashMap<&'static str, usize>,
    /// Bodies that got a new alias (each counted once, however many it got, whether or
    /// not this run created them).
    pub updated: usize,
    pub bad: usize,
    pub bytes: u64,
    pub elapsed: Duration,
    /// Where the time went (logged with `DOSSIER_LOG=info`, for profiling).
    pub phases: Phases,
}

/// Wall time per phase of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Phases {
    /// The first pass: reading every file through its guards (beside pass 2, unless
    /// `--strict`).
    pub check: Duration,
    /// Pass 2 waiting for the first pass before its first write.
    pub check_wait: Duration,
    /// The writer waiting for the reading thread of the second pass (reading and making
    /// records beyond what overlaps with writing).
    pub read: Duration,
    /// Checking links and comparing with the store (with the waits while the store's
    /// thread is a batch behind).
    pub compare: Duration,
    /// `Store::write` of the batches.
    pub store: Duration,
    /// Bringing the search index up to date after each batch (on its own thread, while
    /// the next batch is made and written), and at the end.
    pub index: Duration,
    pub batches: usize,
}

/// Progress on a terminal (a bar with counts and rate) or as plain lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    total: u64,
    last_line: Instant,
    started: Instant,
    calls: u64,
}

impl Progress {
    fn new(label: &str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}) {msg} {elapsed}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            b.set_prefix(label.to_string());
            b
        });
        Progress {
            bar,
            label: label.to_string(),
            total,
            last_line: Instant::now(),
            started: Instant::now(),
            calls: 0,
        }
    }

    fn update(&mut self, bytes: u64, records: usize) {
        self.calls += 1;
        if self.calls % 256 != 1 {
            return;
        }
        let rate = records as f64 / self.started.elapsed().as_secs_f64().max(1e-6);
        match &self.bar {
            Some(b) => {
                b.set_position(bytes);
                b.set_message(format!("{records} records, {rate:.0}/s"));
            }
            None => {
                if self.last_line.elapsed() >= Duration::from_secs(2) {
                    self.last_line = Instant::now();
                    eprintln!(
                        "{}: {records} records, {:.1}/{:.1} MB, {rate:.0} records/s",
                        self.label,
                        bytes as f64 / 1e6,
                        self.total as f64 / 1e6
                    );
                }
            }
        }
    }

    fn println(&self, line: &str) {
        match &self.bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

fn slug_hash(r: &Record) -> u64 {
    key_hash(r.type_name(), r.slug())
}

fn key_hash(record_type: &str, slug: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    record_type.hash(&mut h);
    slug.hash(&mut h);
    h.finish()
}

/// Checks the slugs a record names: each must be the record's own linked records, a
/// record of this import read before it, or in the store. Says what is wrong, with the
/// record's place and field, so that one bad link never sinks a whole batch.
fn check_links(
    store: &dyn Store,
    r: &Imported,
    seen: &HashSet<u64>,
    exists: &mut HashSet<u64>,
) -> Result<Option<String>> {
    let mut archive = Archive::default();
    r.record.clone().add_to(&mut archive);
    let mut keys = HashSet::new();
    for l in &r.linked {
        if keys.insert((l.type_name(), l.slug().to_string())) && l.slug() != r.record.slug() {
            l.clone().add_to(&mut archive);
        }
    }
    if exists.len() > 200_000 {
        exists.clear();
    }
    // Ask the store once per slug (the answers are kept, bounded).
    let cache = std::cell::RefCell::new(exists);
    let known = |t: &str, s: &str| {
        let h = key_hash(t, s);
        if seen.contains(&h) || cache.borrow().contains(&h) {
            return true;
        }
        let here = RecordType::parse(t).is_some_and(|rt| store.exists(rt, s).unwrap_or(false));
        if here {
            cache.borrow_mut().insert(h);
        }
        here
    };
    let errors = archive.validate(&known);
    let Some(e) = errors.first() else {
        return Ok(None);
    };
    Ok(Some(format!(
        "{}:{}: record {}, field `{}`: {} `{}`: {}",
        r.file,
        r.pos,
        r.record.slug(),
        e.field,
        e.record,
        e.slug,
        e.problem
    )))
}

/// Runs the check and the import over `inputs`. Returns an error (for a non-zero exit)
/// when a file was refused; bad records are counted in the report (the caller exits
/// non-zero for them) and the good records are imported all the same unless `--strict`.
///
/// `open_index` gives the search index once the first pass and the reader have started:
/// creating an index and its writer takes a fresh data directory some milliseconds of one
/// core (its files, its writer's threads and buffers), which they put to use.
pub fn run<'i>(
    store: &dyn Store,
    open_index: impl FnOnce() -> Result<&'i dossier_search::SearchIndex>,
    inputs: &[Input],
    open: &Opener,
    options: Options,
    what: &str,
) -> Result<Report> {
    let started = Instant::now();
    let total: u64 = inputs.iter().map(|i| i.size).sum();
    let batch_size = options.batch_size.max(1);

    // Pass 1: check every file before anything is written. The XML is read through its
    // guards only, on a thread of its own beside the start of pass 2, whose first write
    // waits for it. With --strict every record is also made and checked first, so that
    // the first bad one stops the run with nothing written.
    if options.strict {
        let mut progress = Progress::new("checking", total);
        let mut done_bytes = 0u64;
        let mut seen: HashSet<u64> = HashSet::new();
        let mut exists: HashSet<u64> = HashSet::new();
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
                    Item::Record(r) => match check_links(store, &r, &seen, &mut exists)? {
                        Some(p) => Some(p),
                        None if !seen.insert(slug_hash(&r.record)) => Some(duplicate(&r)),
                        None => None,
                    },
                };
                if let Some(p) = problem {
                    progress.finish();
                    eprintln!("{p}");
                    bail!("stopped at the first bad record (--strict); nothing was written");
                }
                count += 1;
                progress.update(done_bytes + src.bytes_read(), count);
            }
            done_bytes += input.size;
        }
        progress.finish();
    }
    let check_time = started.elapsed();

    // Pass 2: compare with the store and write in batches.
    let mut report = Report {
        bytes: total,
        ..Report::default()
    };
    report.phases.check = check_time;
    let mut writer = Writer {
        store,
        store_tx: None,
        acks: None,
        in_flight: 0,
        options,
        batch: Archive::default(),
        batch_len: 0,
        pending: HashMap::new(),
        known: HashMap::new(),
        aliased: HashSet::new(),
        report: &mut report,
        checked: None,
    };
    let label = if options.dry_run {
        "comparing"
    } else {
        "importing"
    };
    let mut progress = Progress::new(label, total);
    let mut seen: HashSet<u64> = HashSet::new();
    let mut exists: HashSet<u64> = HashSet::new();
    let mut n = 0usize;
    let mut flushed_at = 0u64;
    let mut limit = BatchLimit::new(batch_size);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Read>(IN_FLIGHT);
    let index = std::thread::scope(|scope| -> Result<&'i dossier_search::SearchIndex> {
        // The first pass's answer: awaited by the store's thread, which writes while the
        // first pass reads but keeps nothing unless it passes; for a dry run (no writes),
        // by the writer at the end.
        let mut check_for_store = None;
        if !options.strict {
            let (ctx, crx) = std::sync::mpsc::sync_channel(1);
            std::thread::Builder::new()
                .name("import-check".into())
                .spawn_scoped(scope, move || {
                    // Not lowered like the other stages: until it answers, the store holds
                    // its writes (the index waits, held batches are read back), so the
                    // sooner the better (200 MB of visits, 5 alternating runs: CPU
                    // 24.9–30.2 s lowered, 24.6–29.1 s not).
                    let _ = ctx.send(check_all(inputs, open));
                })?;
            if options.dry_run {
                writer.checked = Some(crx);
            } else {
                check_for_store = Some(crx);
            }
        }
        let reader = std::thread::Builder::new()
            .name("import-read".into())
            .spawn_scoped(scope, move || {
                super::priority::lower_this_thread();
                read_all(inputs, open, tx)
            })?;
        let index = match open_index() {
            Ok(index) => index,
            Err(e) => {
                drop(rx); // the reader stops at its next record
                return Err(e);
            }
        };
        // The search index follows the store on a thread of its own: it syncs after each
        // committed batch while the next batch is made and written. It applies only what
        // is committed (the change log says what), so it never sees half a batch; it lags
        // the store by a batch or two, and catches up before the run ends. Each committed
        // batch travels to it with its records, so that it need not read them back; one
        // batch waits while another is indexed, which bounds the memory held.
        let (itx, irx) = std::sync::mpsc::sync_channel::<Vec<Committed>>(1);
        let indexer = std::thread::Builder::new()
            .name("index-sync".into())
            .spawn_scoped(scope, move || -> Result<Duration> {
                super::priority::lower_this_thread();
                let mut spent = Duration::ZERO;
                while let Ok(mut batches) = irx.recv() {
                    let t = Instant::now();
                    batches.extend(irx.try_iter().flatten());
                    index
                        .sync_committed(store, &batches)
                        .context(INDEX_BEHIND)?;
                    spent += t.elapsed();
                    tracing::debug!(
                        batches = batches.len(),
                        ms = t.elapsed().as_millis() as u64,
                        "indexed"
                    );
                }
                Ok(spent)
            })?;
        // The store writes on a thread of its own too, so that the next batch is read,
        // checked and compared while one is written. Each committed batch goes on to the
        // index thread; an acknowledgement comes back to the writer, which waits for the
        // batches in flight before it asks the store about records they hold.
        let (stx, srx) = std::sync::mpsc::sync_channel::<Archive>(1);
        let (atx, arx) = std::sync::mpsc::channel::<()>();
        let itx = (!options.dry_run).then_some(itx);
        let storer = std::thread::Builder::new()
            .name("import-store".into())
            .spawn_scoped(scope, move || -> Result<Stored> {
                let mut out = Stored::default();
                let mut check = Check::new(store, check_for_store, &itx, &atx);
                while let Some(batch) = check.next_batch(&srx, &mut out)? {
                    check.poll(&mut out)?;
                    let t = Instant::now();
                    let written = match store.write(&batch) {
                        Ok(w) => w,
                        Err(e) => {
                            // The first pass's refusal says more; otherwise what is held
                            // is kept, like the batches committed before this one.
                            check.wait(&mut out)?;
                            return Err(anyhow::Error::new(e).context(
                                "a batch was refused; the batches before it are stored, and running the command again completes the import",
                            ));
                        }
                    };
                    out.store += t.elapsed();
                    out.batches += 1;
                    tracing::debug!(ms = t.elapsed().as_millis() as u64, "stored a batch");
                    let committed = written.logged.map(|seqs| Committed {
                        seqs,
                        archive: Arc::new(batch),
                    });
                    check.written(committed)?;
                }
                check.wait(&mut out)?;
                Ok(out)
            })?;
        // The store's thread started at this thread's priority; from here on this thread
        // (the checks, the comparisons, the batches) runs lower, like the other stages.
        super::priority::lower_this_thread();
        writer.store_tx = (!options.dry_run).then_some(stx);
        writer.acks = Some(arx);
        let result = (|| -> Result<()> {
            loop {
                let t = Instant::now();
                let next = rx.recv();
                writer.report.phases.read += t.elapsed();
                let (item, at) = match next {
                    Ok(Read::Item(item, at)) => (item, at),
                    Ok(Read::Failed(e)) => return Err(e),
                    Err(_) => break, // every input read
                };
                let t = Instant::now();
                let problem = match item {
                    Item::Bad(e) => Some(e.to_string()),
                    Item::Record(r) => {
                        if writer.report.record_type.is_empty() {
                            writer.report.record_type = r.record.type_name().to_string();
                        }
                        match check_links(store, &r, &seen, &mut exists)? {
                            Some(p) => Some(p),
                            None if !seen.insert(slug_hash(&r.record)) => Some(duplicate(&r)),
                            None => {
                                writer.add(*r)?;
                                n += 1;
                                writer.report.phases.compare += t.elapsed();
                                if writer.batch_len >= limit.records_now(at, total, n)
                                    || at - flushed_at >= limit.bytes
                                {
                                    writer.flush()?;
                                    flushed_at = at;
                                    limit.grow();
                                }
                                None
                            }
                        }
                    }
                };
                if let Some(p) = problem {
                    writer.report.bad += 1;
                    progress.println(&p);
                }
                progress.update(at, n);
            }
            writer.flush()
        })();
        // Every file checked, even for a dry run; a refused file's own message (which
        // says that nothing was written) wins over what pass 2 made of it.
        let result = writer.wait_for_check(&progress).and(result);
        // Closing the channels ends the threads, whatever happened here.
        writer.store_tx = None;
        drop(rx);
        let read = reader
            .join()
            .map_err(|_| anyhow::anyhow!("the reading thread failed"));
        let stored = storer
            .join()
            .map_err(|_| anyhow::anyhow!("the store's thread failed"));
        let indexed = indexer
            .join()
            .map_err(|_| anyhow::anyhow!("the search index thread failed"));
        // The index thread's own error says more than the store thread's "stopped
        // following", and the store thread's more than the writer's "stopped writing".
        writer.report.phases.index += indexed??;
        let stored = stored??;
        let phases = &mut writer.report.phases;
        phases.store += stored.store;
        phases.batches += stored.batches;
        phases.check_wait += stored.check_wait;
        if let Some(spent) = stored.check {
            phases.check = spent;
        }
        result?;
        read?;
        Ok(index)
    })?;
    if !options.dry_run {
        // Whatever the index thread had not yet applied.
        let t = Instant::now();
        index.sync(store).context(INDEX_BEHIND)?;
        report.phases.index += t.elapsed();
    }
    progress.finish();
    if report.record_type.is_empty() {
        report.record_type = what.to_string();
    }
    report.elapsed = started.elapsed();
    let p = &report.phases;
    tracing::info!(
        total_ms = report.elapsed.as_millis() as u64,
        check_ms = p.check.as_millis() as u64,
        check_wait_ms = p.check_wait.as_millis() as u64,
        read_ms = p.read.as_millis() as u64,
        compare_ms = p.compare.as_millis() as u64,
        store_ms = p.store.as_millis() as u64,
        index_ms = p.index.as_millis() as u64,
        batches = p.batches,
        "import phases"
    );
    Ok(report)
}

fn duplicate(r: &Imported) -> String {
    format!(
        "{}:{}: record {}, field `id`: another record of this import has the same id (slug `{}`); this one is skipped",
        r.file,
        r.pos,
        r.record.slug(),
        r.record.slug()
    )
}

const INDEX_BEHIND: &str =
    "the batches are stored but the search index could not follow; `dossier reindex` repairs it";

/// What the store's thread did.
#[derive(Debug, Default)]
struct Stored {
    store: Duration,
    batches: usize,
    /// The first pass's time, once it answered.
    check: Option<Duration>,
    /// Waiting for the first pass: at the end, when it finishes after the last write, or
    /// before the first write, for a store that cannot hold writes.
    check_wait: Duration,
}

/// Held batches whose records go on to the index from memory once they are kept; the
/// index reads the records of later ones back from the store. A first pass that takes long
/// (a large file) thus keeps no more batches in memory than usual.
const HELD_IN_MEMORY: usize = 4;

/// The store thread's side of the first pass. Until the first pass answers, batches are
/// written in a held transaction ([`Store::hold`]) and neither acknowledged nor indexed:
/// a refused file leaves nothing written, exactly as if the writes had waited for it, and
/// the store writes while the first pass reads instead of waiting (on two cores, one of
/// them was idle for the first pass's length). Once every file passes, the held writes are
/// committed and handed on.
struct Check<'a> {
    store: &'a dyn Store,
    answer: Option<std::sync::mpsc::Receiver<Result<Duration>>>,
    index: &'a Option<std::sync::mpsc::SyncSender<Vec<Committed>>>,
    acks: &'a std::sync::mpsc::Sender<()>,
    /// Whether the store holds this run's writes now.
    holding: bool,
    /// What the held batches hand on to the index once kept.
    held: Vec<Committed>,
    /// How many batches are held (acknowledged once kept).
    held_batches: usize,
}

impl<'a> Check<'a> {
    fn new(
        store: &'a dyn Store,
        answer: Option<std::sync::mpsc::Receiver<Result<Duration>>>,
        index: &'a Option<std::sync::mpsc::SyncSender<Vec<Committed>>>,
        acks: &'a std::sync::mpsc::Sender<()>,
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

    /// The next batch from the writer, `None` once it has sent them all. While writes are
    /// held, the first pass's answer is taken as soon as it comes, batch or no batch: the
    /// writer may be waiting for the held batches to be acknowledged (before it asks the
    /// store about a record one of them holds) and send nothing until they are.
    fn next_batch(
        &mut self,
        batches: &std::sync::mpsc::Receiver<Archive>,
        out: &mut Stored,
    ) -> Result<Option<Archive>> {
        use std::sync::mpsc::RecvTimeoutError;
        while self.holding {
            match batches.recv_timeout(Duration::from_millis(20)) {
                Ok(batch) => return Ok(Some(batch)),
                Err(RecvTimeoutError::Timeout) => self.take_answer(out)?,
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
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
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.answered(Err(anyhow::anyhow!("the checking thread failed")), out)
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => Ok(()),
        }
    }

    /// Before a write: takes the first pass's answer if it has come; otherwise makes sure
    /// the store holds the write (or, if it cannot, waits for the answer).
    fn poll(&mut self, out: &mut Stored) -> Result<()> {
        self.take_answer(out)?;
        if self.answer.is_none() {
            return Ok(());
        }
        if !self.holding {
            // A store that cannot hold writes, or one whose lock another writer keeps past
            // the busy timeout, gets the order of old: wait for the answer, then write.
            match self.store.hold() {
                Ok(true) => self.holding = true,
                Ok(false) => return self.wait(out),
                Err(e) => {
                    tracing::info!("writes not held while the files are checked: {e}");
                    return self.wait(out);
                }
            }
        }
        Ok(())
    }

    /// Waits for the first pass's answer, if it is still to come, and settles what is held.
    fn wait(&mut self, out: &mut Stored) -> Result<()> {
        let Some(rx) = &self.answer else {
            return Ok(());
        };
        let t = Instant::now();
        let answer = rx
            .recv()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the checking thread failed")));
        out.check_wait += t.elapsed();
        self.answered(answer, out)
    }

    fn answered(&mut self, answer: Result<Duration>, out: &mut Stored) -> Result<()> {
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

    /// After a write: the batch goes on to the index and the writer now, or once kept.
    fn written(&mut self, committed: Option<Committed>) -> Result<()> {
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

impl Drop for Check<'_> {
    /// A thread that stops while holding writes (a panic) keeps none of them.
    fn drop(&mut self) {
        if self.holding {
            let _ = self.store.release(false);
        }
    }
}

/// Builds and writes batches.
struct Writer<'a> {
    store: &'a dyn Store,
    /// Given every full batch: the store's thread writes it, then hands it to the index
    /// thread. `None` for a dry run.
    store_tx: Option<std::sync::mpsc::SyncSender<Archive>>,
    /// One message per batch the store's thread has finished with.
    acks: Option<std::sync::mpsc::Receiver<()>>,
    /// Batches sent to the store's thread and not yet acknowledged.
    in_flight: usize,
    /// The first pass's answer, for a dry run (which writes nothing): awaited at the end,
    /// so that every file is checked. For a real run the store's thread awaits it.
    checked: Option<std::sync::mpsc::Receiver<Result<Duration>>>,
    options: Options,
    batch: Archive,
    batch_len: usize,
    /// Linked records created in the current batch, by (type, slug): index into the batch.
    pending: HashMap<(&'static str, String), ()>,
    /// Linked records known to exist, with (for bodies) the names they answer to and
    /// whether this source made them. Bounded: cleared when large.
    known: HashMap<(&'static str, String), Known>,
    /// Bodies given another name in this run, counted once each whatever the batches.
    aliased: HashSet<String>,
    report: &'a mut Report,
}

#[derive(Clone)]
struct Known {
    names: Vec<String>,
    ours: bool,
    /// A body this source made: its copy as last written (or about to be), so that a new
    /// name for it needs no question to the store, which would wait for every batch in
    /// flight to be committed.
    body: Option<Box<dossier_model::Body>>,
}

fn record_type(r: &Record) -> RecordType {
    RecordType::parse(r.type_name()).expect("record types match")
}

/// The stored copy of `r`'s record, if any. A copy that cannot be read (warned about,
/// with its type and slug) counts as none, so the import writes the record afresh and
/// repairs it instead of failing.
fn stored(store: &dyn Store, r: &Record) -> Result<Option<Record>> {
    let slug = r.slug();
    fn skip<T>(
        found: Result<Option<T>, dossier_store::StoreError>,
    ) -> Result<Option<T>, dossier_store::StoreError> {
        dossier_store::skip_corrupt(found).map(Option::flatten)
    }
    Ok(match r {
        Record::Document(_) => skip(store.document(slug))?.map(Record::Document),
        Record::Event(_) => skip(store.event(slug))?.map(Record::Event),
        Record::Person(_) => skip(store.person(slug))?.map(Record::Person),
        Record::Body(_) => skip(store.body(slug))?.map(Record::Body),
        Record::Topic(_) => skip(store.topic(slug))?.map(Record::Topic),
    })
}

impl Writer<'_> {
    fn add(&mut self, imported: Imported) -> Result<()> {
        let mut record = imported.record;
        // A record this run made as a linked one may be in a batch not yet committed.
        if self.in_flight > 0
            && self
                .known
                .contains_key(&(record.type_name(), record.slug().to_string()))
        {
            self.settle();
        }
        // The record keeps the dossiers another import gave it.
        let old = stored(self.store, &record)?;
        if let Some(old) = &old {
            let mut copy = old.clone();
            let mut old_d = std::mem::take(copy.dossiers_mut());
            let mine = record.dossiers_mut();
            for d in mine.drain(..) {
                if !old_d.contains(&d) {
                    old_d.push(d);
                }
            }
            *mine = old_d;
        }
        match &old {
            Some(o) if o.to_json() == record.to_json() => {
                self.report.records.unchanged += 1;
            }
            Some(_) => {
                self.report.records.changed += 1;
                record.add_to(&mut self.batch);
                self.batch_len += 1;
            }
            None => {
                self.report.records.new += 1;
                record.add_to(&mut self.batch);
                self.batch_len += 1;
            }
        }
        for l in imported.linked {
            self.link(l)?;
        }
        Ok(())
    }

    fn link(&mut self, l: Record) -> Result<()> {
        let key = (l.type_name(), l.slug().to_string());
        let name = l.title().to_string();
        if let Some(k) = self.known.get_mut(&key) {
            if key.0 != "body" || !k.ours || k.names.contains(&name) {
                return Ok(());
            }
            // A body this source made, met under another name: the name becomes an alias.
            k.names.push(name.clone());
            let Some(body) = k.body.as_deref_mut() else {
                return Ok(());
            };
            if body.name == name || body.aliases.contains(&name) {
                return Ok(());
            }
            body.aliases.push(name.clone());
            if self.aliased.insert(key.1.clone()) {
                self.report.updated += 1;
            }
            match self.pending.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    // In the batch being made: changed there.
                    let slug = &e.key().1;
                    if let Some(b) = self.batch.bodies.iter_mut().find(|b| &b.slug == slug) {
                        b.aliases.push(name);
                    }
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    // Written by an earlier batch (perhaps not committed yet) or an earlier
                    // run: written again, from the copy kept here.
                    e.insert(());
                    self.batch.bodies.push(body.clone());
                    self.batch_len += 1;
                }
            }
            return Ok(());
        }
        if self.known.len() > 200_000 {
            // What was forgotten is asked of the store from now on: every batch that
            // made it must be committed first.
            self.settle();
            self.known.clear();
        }
        let existing = if key.0 == "body" {
            stored(self.store, &l)?
        } else if self.store.exists(record_type(&l), &key.1)? {
            self.known.insert(
                key,
                Known {
                    names: vec![],
                    ours: false,
                    body: None,
                },
            );
            return Ok(());
        } else {
            None
        };
        match existing {
            None => {
                *self.report.created.entry(key.0).or_insert(0) += 1;
                let body = match &l {
                    Record::Body(b) => Some(Box::new(b.clone())),
                    _ => None,
                };
                self.known.insert(
                    key.clone(),
                    Known {
                        names: vec![name],
                        ours: true,
                        body,
                    },
                );
                self.pending.insert(key, ());
                l.add_to(&mut self.batch);
                self.batch_len += 1;
            }
            Some(Record::Body(mut b)) => {
                let source = |r: &Record| match r {
                    Record::Body(b) => b.provenance.sources.first().map(|s| s.title.clone()),
                    _ => None,
                };
                let ours = source(&l).is_some()
                    && b.provenance.sources.first().map(|s| s.title.clone()) == source(&l);
                let mut names = vec![b.name.clone()];
                names.extend(b.aliases.iter().cloned());
                if ours && !names.contains(&name) {
                    b.aliases.push(name.clone());
                    names.push(name);
                    if self.aliased.insert(key.1.clone()) {
                        self.report.updated += 1;
                    }
                    self.pending.insert(key.clone(), ());
                    self.batch.bodies.push(b.clone());
                    self.batch_len += 1;
                }
                let body = ours.then(|| Box::new(b));
                self.known.insert(key, Known { names, ours, body });
            }
            Some(_) => {
                self.known.insert(
                    key,
                    Known {
                        names: vec![],
                        ours: false,
                        body: None,
                    },
                );
            }
        }
        Ok(())
    }

    /// For a dry run: waits for the first pass, if it runs beside this one, and returns its
    /// error. Says so when the wait is long.
    fn wait_for_check(&mut self, progress: &Progress) -> Result<()> {
        let Some(rx) = self.checked.take() else {
            return Ok(());
        };
        let t = Instant::now();
        let answer = match rx.recv_timeout(Duration::from_secs(1)) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                progress.println("still checking every file…");
                rx.recv().ok()
            }
            answer => answer.ok(),
        };
        self.report.phases.check_wait += t.elapsed();
        match answer {
            Some(Ok(spent)) => {
                self.report.phases.check = spent;
                Ok(())
            }
            Some(Err(e)) => Err(e),
            None => bail!("the checking thread failed"),
        }
    }

    fn flush(&mut self) -> Result<()> {
        let batch = std::mem::take(&mut self.batch);
        self.batch_len = 0;
        self.pending.clear();
        let empty = batch.documents.is_empty()
            && batch.events.is_empty()
            && batch.bodies.is_empty()
            && batch.people.is_empty()
            && batch.topics.is_empty();
        if empty || self.options.dry_run {
            return Ok(());
        }
        let Some(tx) = &self.store_tx else {
            return Ok(());
        };
        // Waits while the store's thread writes the batch before. An error means that
        // thread stopped on one; it is reported when it is joined.
        if tx.send(batch).is_err() {
            bail!("the store stopped writing")
        }
        self.in_flight += 1;
        if let Some(acks) = &self.acks {
            self.in_flight -= acks.try_iter().count().min(self.in_flight);
        }
        Ok(())
    }

    /// Waits until the store has committed every batch sent to it, before a question to
    /// the store whose answer one of them may change.
    fn settle(&mut self) {
        let Some(acks) = &self.acks else {
            return;
        };
        while self.in_flight > 0 {
            if acks.recv().is_err() {
                // The store's thread stopped; its error is reported when it is joined.
                break;
            }
            self.in_flight -= 1;
        }
    }
}

/// "events: 0 new, 0 changed, 3264 unchanged; created 203 bodies, 1540 people".
pub fn describe(r: &Report, dry_run: bool) -> String {
    let mut s = format!(
        "{}: {} new, {} changed, {} unchanged",
        plural(&r.record_type),
        r.records.new,
        r.records.changed,
        r.records.unchanged
    );
    let mut created: Vec<(&&str, &usize)> = r.created.iter().collect();
    created.sort();
    if !created.is_empty() {
        let list: Vec<String> = created
            .iter()
            .map(|(t, n)| format!("{n} {}", if **n == 1 { t.to_string() } else { plural(t) }))
            .collect();
        s.push_str(&format!(
            "; linked records {}: {}",
            if dry_run { "to create" } else { "created" },
            list.join(", ")
        ));
    }
    if r.updated > 0 {
        s.push_str(&format!(
            "; {} {} given another name as an alias",
            r.updated,
            if r.updated == 1 { "body" } else { "bodies" }
        ));
    }
    s
}

fn plural(t: &str) -> String {
    match t {
        "body" => "bodies".into(),
        "person" => "people".into(),
        other => format!("{other}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_ingest::xml::Pos;
    use dossier_model::{Person, Provenance};
    use dossier_store::SqliteStore;
    use std::sync::atomic::{AtomicBool, Ordering};

    const PEOPLE: usize = 3_000;

    #[test]
    fn batches_grow_then_shrink_towards_the_end_of_the_input() {
        let mut limit = BatchLimit::new(5_000);
        assert_eq!(limit.records_now(0, 1_000_000, 0), 625);
        for _ in 0..4 {
            limit.grow();
        }
        assert_eq!(limit.records, 5_000);
        // 1,000 bytes a record: far from the end, the full size.
        assert_eq!(limit.records_now(100_000, 100_000_000, 100), 5_000);
        // 30,000 records left: a third of them is still more than the full size.
        assert_eq!(limit.records_now(70_000_000, 100_000_000, 70_000), 5_000);
        // 9,000 left: 3,000; then never below the first batch's size.
        assert_eq!(limit.records_now(91_000_000, 100_000_000, 91_000), 3_000);
        assert_eq!(limit.records_now(99_000_000, 100_000_000, 99_000), 625);
        assert_eq!(limit.records_now(100_000_000, 100_000_000, 100_000), 625);
        // A limit still below the first size (a batch size of 1) stays as it is.
        assert_eq!(BatchLimit::new(1).records_now(10, 20, 1), 1);
    }

    fn person(slug: &str) -> Person {
        Person {
            slug: slug.into(),
            name: format!("Person {slug}"),
            offices: vec![],
            summary: None,
            dossiers: vec![],
            provenance: Provenance::default(),
        }
    }

    fn item(record: Person, linked: Vec<Record>) -> Option<Item> {
        Some(Item::Record(Box::new(Imported {
            record: Record::Person(record),
            linked,
            file: "people".into(),
            pos: Pos { line: 1, column: 1 },
        })))
    }
    /// Changes the store must hold before the slow first pass answers.
    const HELD_FIRST: i64 = 1_000;

    /// People `person-0`… with a first pass that answers only once the second pass has
    /// written (and the store holds) [`HELD_FIRST`] of them: the store, in memory, answers
    /// on its writer's connection, which sees the held transaction.
    struct People {
        next: usize,
        store: Arc<SqliteStore>,
        refuse: bool,
        saw_held: Arc<AtomicBool>,
    }

    impl RecordSource for People {
        fn next_item(&mut self) -> Result<Option<Item>, dossier_ingest::import::ImportError> {
            if self.next == PEOPLE {
                return Ok(None);
            }
            self.next += 1;
            Ok(item(person(&format!("person-{}", self.next - 1)), vec![]))
        }

        fn bytes_read(&self) -> u64 {
            self.next as u64
        }

        fn check(&mut self) -> Result<(), dossier_ingest::import::ImportError> {
            let waited = Instant::now();
            while self.store.last_change().unwrap_or(0) < HELD_FIRST {
                if waited.elapsed() > Duration::from_secs(10) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            self.saw_held.store(
                self.store.last_change().unwrap_or(0) >= HELD_FIRST,
                Ordering::SeqCst,
            );
            if self.refuse {
                return Err(dossier_ingest::import::ImportError::Format {
                    file: "people".into(),
                    pos: Pos { line: 7, column: 1 },
                    message: "refused by the test".into(),
                });
            }
            Ok(())
        }
    }

    /// Imports one file of people, read by a new `source()`, in batches of 100 (the first
    /// ones smaller).
    fn import_people<S: RecordSource + Send + 'static>(
        store: &dyn Store,
        index: &dossier_search::SearchIndex,
        dir: &std::path::Path,
        source: impl Fn() -> S + Sync,
    ) -> Result<Report> {
        let path = dir.join("people");
        std::fs::write(&path, "people").unwrap();
        let inputs = vec![Input::new(path).unwrap()];
        let open =
            move |_: &Input| -> Result<Box<dyn RecordSource + Send>> { Ok(Box::new(source())) };
        let options = Options {
            dry_run: false,
            strict: false,
            batch_size: 100,
        };
        run(store, || Ok(index), &inputs, &open, options, "person")
    }

    fn import(refuse: bool) -> (Arc<SqliteStore>, Result<Report>, bool, tempfile::TempDir) {
        let store = Arc::new(SqliteStore::in_memory().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let (index, _) = dossier_search::SearchIndex::open(dir.path(), &*store).unwrap();
        let saw_held = Arc::new(AtomicBool::new(false));
        let (s, seen) = (store.clone(), saw_held.clone());
        let report = import_people(&*store, &index, dir.path(), || People {
            next: 0,
            store: s.clone(),
            refuse,
            saw_held: seen.clone(),
        });
        (store, report, saw_held.load(Ordering::SeqCst), dir)
    }

    /// People again, but person 500 is one that person 0 created as a linked record: the
    /// writer, before it compares it with the store, waits for the batches in flight to be
    /// acknowledged, while the store holds them for a first pass that answers only once the
    /// whole file is read (the reader runs ahead of the writer). The store's thread must
    /// take the answer with no batch to write, or the import never ends.
    struct Late {
        next: usize,
        read_all: Arc<AtomicBool>,
    }

    impl RecordSource for Late {
        fn next_item(&mut self) -> Result<Option<Item>, dossier_ingest::import::ImportError> {
            if self.next == PEOPLE {
                self.read_all.store(true, Ordering::SeqCst);
                return Ok(None);
            }
            let i = self.next;
            self.next += 1;
            Ok(match i {
                0 => item(
                    person("person-0"),
                    vec![Record::Person(person("person-late"))],
                ),
                500 => item(person("person-late"), vec![]),
                _ => item(person(&format!("person-{i}")), vec![]),
            })
        }

        fn bytes_read(&self) -> u64 {
            self.next as u64
        }

        fn check(&mut self) -> Result<(), dossier_ingest::import::ImportError> {
            let waited = Instant::now();
            while !self.read_all.load(Ordering::SeqCst)
                && waited.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            std::thread::sleep(Duration::from_millis(50));
            Ok(())
        }
    }

    #[test]
    fn a_writer_waiting_on_held_batches_is_answered_once_the_files_pass() {
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let store = SqliteStore::in_memory().unwrap();
            let dir = tempfile::tempdir().unwrap();
            let (index, _) = dossier_search::SearchIndex::open(dir.path(), &store).unwrap();
            let read_all = Arc::new(AtomicBool::new(false));
            let report = import_people(&store, &index, dir.path(), || Late {
                next: 0,
                read_all: read_all.clone(),
            })
            .map_err(|e| e.to_string());
            let late = store.person("person-late").unwrap().is_some();
            let _ = done_tx.send((report, late));
        });
        let (report, late) = done_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the import is stuck: the held batches were never acknowledged");
        let report = report.unwrap();
        assert_eq!(
            report.records.new + report.records.changed + report.records.unchanged,
            PEOPLE
        );
        assert!(late);
    }

    /// The store writes while the first pass still reads; a file the first pass refuses
    /// then leaves nothing written, as if the writes had waited for it.
    #[test]
    fn writes_made_before_a_file_is_refused_are_undone() {
        let (store, report, saw_held, _dir) = import(true);
        assert!(saw_held, "the store wrote while the first pass read");
        let e = report.unwrap_err().to_string();
        assert!(e.contains("refused by the test"), "{e}");
        assert!(e.contains("nothing was written"), "{e}");
        assert_eq!(store.last_change().unwrap(), 0);
        assert!(store.person("person-0").unwrap().is_none());
    }

    /// People whose first pass answers once another writer has let go of the store's lock,
    /// so that the import meets the lock when it would hold its writes.
    struct AfterLock {
        next: usize,
        released: Arc<AtomicBool>,
    }

    impl RecordSource for AfterLock {
        fn next_item(&mut self) -> Result<Option<Item>, dossier_ingest::import::ImportError> {
            if self.next == PEOPLE {
                return Ok(None);
            }
            self.next += 1;
            Ok(item(person(&format!("person-{}", self.next - 1)), vec![]))
        }

        fn bytes_read(&self) -> u64 {
            self.next as u64
        }

        fn check(&mut self) -> Result<(), dossier_ingest::import::ImportError> {
            let waited = Instant::now();
            while !self.released.load(Ordering::SeqCst)
                && waited.elapsed() < Duration::from_secs(20)
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            Ok(())
        }
    }

    /// Another process keeps the store's write lock past the busy timeout when the import
    /// would hold its writes: the import waits for its first pass instead, then writes as
    /// the lock allows, and completes.
    #[test]
    fn an_import_whose_store_is_locked_by_another_writer_waits_instead_of_holding() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("dossier.db");
        let store = SqliteStore::open(&db).unwrap();
        let (index, _) =
            dossier_search::SearchIndex::open(&dir.path().join("index"), &store).unwrap();
        // The other writer: takes the lock, keeps it a little past the 5 s busy timeout
        // that the import's attempt to hold its writes waits, then lets go.
        let other = rusqlite::Connection::open(&db).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let released = Arc::new(AtomicBool::new(false));
        let let_go = released.clone();
        let holder = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(6));
            other.execute_batch("COMMIT").unwrap();
            let_go.store(true, Ordering::SeqCst);
        });
        let report = import_people(&store, &index, dir.path(), || AfterLock {
            next: 0,
            released: released.clone(),
        })
        .unwrap();
        holder.join().unwrap();
        assert_eq!(report.records.new, PEOPLE);
        assert_eq!(store.last_change().unwrap(), PEOPLE as i64);
    }

    /// Once every file passes, what was written meanwhile is kept and indexed with the rest.
    #[test]
    fn writes_made_while_the_files_are_checked_are_kept_once_they_pass() {
        let (store, report, saw_held, dir) = import(false);
        assert!(saw_held, "the store wrote while the first pass read");
        let report = report.unwrap();
        assert_eq!(report.records.new, PEOPLE);
        assert_eq!(store.last_change().unwrap(), PEOPLE as i64);
        for i in [0, PEOPLE / 2, PEOPLE - 1] {
            assert!(store.person(&format!("person-{i}")).unwrap().is_some());
        }
        let (index, sync) = dossier_search::SearchIndex::open(dir.path(), &*store).unwrap();
        assert_eq!(sync.applied, 0, "the index followed every write");
        assert_eq!(index.applied_seq(), Some(PEOPLE as i64));
    }
}
