//! `dossier reindex` while a server searches the same index (issue 20, finding 6): the
//! rebuild must switch from the old complete index to the new complete one in one step,
//! never showing a reader an empty or half-built index.

use dossier_search::{SearchIndex, SearchRequest};
use dossier_store::{SqliteStore, Store};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn builtin_store() -> SqliteStore {
    let store = SqliteStore::in_memory().unwrap();
    store
        .write(&dossier_ingest::builtin::archive().unwrap())
        .unwrap();
    store
}

fn total(index: &SearchIndex, q: &str) -> usize {
    index
        .search(&SearchRequest::new(q))
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .total
}

const QUERY: &str = "nato";

#[test]
fn readers_see_the_whole_index_throughout_a_rebuild() {
    let store = builtin_store();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let (index, _) = SearchIndex::open(&path, &store).unwrap();
    let full = total(&index, QUERY);
    assert!(full > 10, "the built-in dossier has many hits for {QUERY}");
    // Opened as the server opens it: a reader that reloads when the index commits.
    let serving = SearchIndex::open_as_is(&path, &store).unwrap();
    let rebuilding = AtomicBool::new(true);
    let polls = AtomicUsize::new(0);
    let mut mid_rebuild = 0;
    std::thread::scope(|s| {
        let poller = s.spawn(|| {
            // Poll for as long as the rebuild runs, and once more after it.
            loop {
                let still = rebuilding.load(Ordering::Acquire);
                assert_eq!(total(&serving, QUERY), full, "a serving reader's count");
                polls.fetch_add(1, Ordering::Relaxed);
                if !still {
                    break;
                }
            }
        });
        let (rebuilt, report) = SearchIndex::rebuild(&path, &store, &mut |_, _| {
            // Between the rebuild's reads of the store: a process that opens the index now
            // (a server starting, `dossier search`) finds the old index, whole.
            let fresh =
                SearchIndex::open_as_is(&path, &store).expect("the index opens mid-rebuild");
            assert_eq!(total(&fresh, QUERY), full, "a reader opened mid-rebuild");
            mid_rebuild += 1;
        })
        .unwrap();
        rebuilding.store(false, Ordering::Release);
        assert!(report.rebuilt);
        assert_eq!(total(&rebuilt, QUERY), full, "the rebuilt index");
        poller.join().expect("the poller saw every answer whole");
    });
    assert!(mid_rebuild > 0, "the rebuild reported progress");
    assert!(polls.load(Ordering::Relaxed) > 0);
    // A reader opened after the rebuild sees the new index, with no records twice.
    let after = SearchIndex::open_as_is(&path, &store).unwrap();
    assert_eq!(total(&after, QUERY), full);
    assert_eq!(after.applied_seq(), Some(store.last_change().unwrap()));
}

#[test]
fn a_rebuild_replaces_a_broken_or_missing_index() {
    let store = builtin_store();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    // Missing.
    let (index, _) = SearchIndex::rebuild(&path, &store, &mut |_, _| {}).unwrap();
    let full = total(&index, QUERY);
    drop(index);
    // Unreadable: the rebuild builds beside it and moves the new index into place.
    std::fs::write(path.join("meta.json"), b"{ not json").unwrap();
    let (index, report) = SearchIndex::rebuild(&path, &store, &mut |_, _| {}).unwrap();
    assert!(report.rebuilt);
    assert_eq!(total(&index, QUERY), full);
    assert_eq!(index.dir(), path.as_path());
    let siblings: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(siblings, ["index"], "nothing is left beside the index");
    let again = SearchIndex::open_as_is(&path, &store).unwrap();
    assert_eq!(total(&again, QUERY), full);
}
