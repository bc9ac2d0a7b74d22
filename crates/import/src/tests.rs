//! The engine's tests: batch limits, and the order of held writes, the first pass's
//! answer and the acknowledgements between the threads.

use crate::batch::BatchLimit;
use crate::*;
use anyhow::Result;
use dossier_ingest::import::{Imported, Item, RecordSource};
use dossier_ingest::xml::Pos;
use dossier_model::{Person, Provenance, Record};
use dossier_store::{BulkLoad, SqliteStore, Store};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Shows nothing.
struct Quiet;

impl Progress for Quiet {
    fn start(&mut self, _: &str, _: u64) {}
    fn update(&mut self, _: u64, _: usize) {}
    fn println(&mut self, _: &str) {}
    fn finishing(&mut self, _: &str) {}
    fn finish(&mut self) {}
}

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
        collections: Vec::new(),
        slug: slug.into(),
        name: format!("Person {slug}"),
        offices: vec![],
        aliases: vec![],
        identifiers: vec![],
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
        matches: vec![],
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
    store: &dyn BulkLoad,
    index: Option<dossier_search::SearchIndex>,
    dir: &std::path::Path,
    source: impl Fn() -> S + Sync,
) -> Result<Report> {
    let path = dir.join("people");
    std::fs::write(&path, "people").unwrap();
    let inputs = vec![Input::new(path).unwrap()];
    let open = move |_: &Input| -> Result<Box<dyn RecordSource + Send>> { Ok(Box::new(source())) };
    let options = Options {
        dry_run: false,
        strict: false,
        batch_size: 100,
        overwrite_edits: false,
        collection: None,
    };
    let mut hooks = Hooks {
        progress: &mut Quiet,
        lower_priority: &|| {},
    };
    crate::import(
        store,
        move || Ok(index),
        &inputs,
        &open,
        options,
        "person",
        &mut hooks,
    )
}

fn import(refuse: bool) -> (Arc<SqliteStore>, Result<Report>, bool, tempfile::TempDir) {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = dossier_search::SearchIndex::open(dir.path(), &*store).unwrap();
    let saw_held = Arc::new(AtomicBool::new(false));
    let (s, seen) = (store.clone(), saw_held.clone());
    let report = import_people(&*store, Some(index), dir.path(), || People {
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
        while !self.read_all.load(Ordering::SeqCst) && waited.elapsed() < Duration::from_secs(10) {
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
        let report = import_people(&store, Some(index), dir.path(), || Late {
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
        while !self.released.load(Ordering::SeqCst) && waited.elapsed() < Duration::from_secs(20) {
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
    let (index, _) = dossier_search::SearchIndex::open(&dir.path().join("index"), &store).unwrap();
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
    let report = import_people(&store, Some(index), dir.path(), || AfterLock {
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

/// Without an index (an import into a database that servers share, each of whose indexes
/// follows the change log), the store alone is written, the files checked all the same;
/// an index opened after it finds every record in the change log.
#[test]
fn an_import_without_an_index_writes_the_store_alone() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let (s, seen) = (store.clone(), Arc::new(AtomicBool::new(false)));
    let report = import_people(&*store, None, dir.path(), || People {
        next: 0,
        store: s.clone(),
        refuse: false,
        saw_held: seen.clone(),
    })
    .unwrap();
    assert_eq!(report.records.new, PEOPLE);
    assert_eq!(store.last_change().unwrap(), PEOPLE as i64);
    assert!(
        std::fs::read_dir(dir.path()).unwrap().count() == 1,
        "only the input file: no index was made"
    );
    let (index, sync) =
        dossier_search::SearchIndex::open(&dir.path().join("index"), &*store).unwrap();
    assert!(sync.rebuilt || sync.applied > 0, "{sync:?}");
    assert_eq!(index.applied_seq(), Some(PEOPLE as i64));

    // A refused file still leaves nothing written.
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let s = store.clone();
    let e = import_people(&*store, None, dir.path(), || People {
        next: 0,
        store: s.clone(),
        refuse: true,
        saw_held: Arc::new(AtomicBool::new(false)),
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("nothing was written"), "{e}");
    assert_eq!(store.last_change().unwrap(), 0);
}
