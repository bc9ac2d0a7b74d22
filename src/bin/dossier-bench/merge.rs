//! `dossier-bench merge`: merging a body linked from many records (issue 28's target: a
//! body linked from 50,000 records merged in ≤ 2 s).
//!
//! Writes a store with two bodies, `duplicate` and `survivor`, and N records that link to
//! `duplicate` (documents issuing it and party to it, events it held, people holding an
//! office in it, a dossier section citing it, a body succeeding it), then times, run by
//! run, the store's merge of `duplicate` into `survivor` (one transaction: every record
//! relinked, validated, a revision and a change each) and its undo; then how long the
//! search index takes to follow one merge from the change log. Asserts what it computes
//! (records relinked, the redirect, the records restored), never a time.

use crate::util;
use anyhow::{bail, ensure, Context, Result};
use dossier_model::*;
use dossier_store::{Author, Origin, SqliteStore, Store};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Options of the merge benchmark.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// Records linking to the body merged away.
    #[arg(long, default_value_t = 50_000)]
    pub records: usize,
    /// Merges (each followed by its undo) timed; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Where the temporary data directory is made (and removed after).
    #[arg(long, default_value = "/tmp")]
    pub out: PathBuf,
}

fn body(slug: &str, name: &str) -> Body {
    serde_json::from_value(serde_json::json!({
        "slug": slug, "name": name, "kind": "state", "dossiers": ["d"],
        "sources": [{"title": format!("The record of {name}")}]
    }))
    .expect("a body")
}

/// Record `i` of the archive: mostly documents, then events, then people, each linking to
/// `duplicate` as such records do (with `other` beside it, so a list keeps its order).
fn linking(i: usize, archive: &mut Archive) {
    let summary = format!(
        "Record {i}: a communiqué of the ministers on consultation, co-operation and security, \
         as the archive keeps thousands of them."
    );
    match i % 10 {
        0..=6 => archive.documents.push(
            serde_json::from_value(serde_json::json!({
                "slug": format!("document-{i}"),
                "title": format!("Joint statement number {i}"),
                "kind": "joint-statement",
                "date": format!("{}-05-27", 1990 + i % 30),
                "issued_by": ["duplicate", "other"],
                "parties": ["other", "duplicate"],
                "summary": summary,
                "dossiers": ["d"],
                "sources": [{"title": "Generated for the benchmark"}]
            }))
            .expect("a document"),
        ),
        7 | 8 => archive.events.push(
            serde_json::from_value(serde_json::json!({
                "slug": format!("event-{i}"),
                "title": format!("Meeting number {i}"),
                "kind": "meeting",
                "date": format!("{}-06-01", 1990 + i % 30),
                "bodies": ["duplicate"],
                "summary": summary
            }))
            .expect("an event"),
        ),
        _ => archive.people.push(
            serde_json::from_value(serde_json::json!({
                "slug": format!("person-{i}"),
                "name": format!("Ambassador {i}"),
                "offices": [{"title": "Ambassador", "body": "duplicate"}]
            }))
            .expect("a person"),
        ),
    }
}

pub fn run(args: MergeArgs) -> Result<()> {
    if args.records == 0 || args.runs == 0 {
        bail!("--records and --runs must be at least 1");
    }
    let dir = args
        .out
        .join(format!("dossier-bench-merge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
    let result = measure(&args, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn measure(args: &MergeArgs, dir: &Path) -> Result<()> {
    println!("machine: {}", util::machine());
    let store = SqliteStore::open(&dir.join("dossier.db"))?;
    let start = Instant::now();
    store.write(&Archive {
        dossiers: vec![serde_json::from_value(serde_json::json!({
            "slug": "d", "title": "D",
            "sections": [{"key": "a", "label": "A.", "title": "A",
                "references": [{"text": "the duplicate", "target": {"type": "body", "slug": "duplicate"}}],
                "lists": [{"of": "documents", "bodies": ["duplicate"]}]}]
        }))?],
        bodies: vec![
            body("survivor", "Russian Federation"),
            body("duplicate", "Russia"),
            body("other", "North Atlantic Treaty Organization"),
            serde_json::from_value(serde_json::json!({
                "slug": "predecessor", "name": "Soviet Union", "kind": "state",
                "successors": [{"slug": "duplicate", "date": "1991-12-26"}]
            }))?,
        ],
        ..Default::default()
    })?;
    let mut i = 0;
    while i < args.records {
        let mut batch = Archive::default();
        for j in i..(i + 5_000).min(args.records) {
            linking(j, &mut batch);
        }
        store.write(&batch)?;
        i += 5_000;
    }
    println!(
        "{} records linking to `duplicate` written in {:.1} s; data directory {}",
        args.records,
        start.elapsed().as_secs_f64(),
        util::mb(util::disk_bytes(dir))
    );
    let merges = store.merges().context("the SQLite store merges")?;
    let author = Author {
        user: None,
        name: "Bench Editor".into(),
        origin: Origin::Cli,
    };
    // The dossier and the predecessor link too, besides the records.
    let expected = args.records + 2;
    let (mut merged, mut undone) = (Vec::new(), Vec::new());
    for run in 0..args.runs {
        let start = Instant::now();
        let m = merges
            .merge(RecordType::Body, "duplicate", "survivor", &author, "bench")
            .map_err(|e| anyhow::anyhow!("merge {run}: {e}"))?;
        merged.push(start.elapsed());
        ensure!(
            m.relinked.len() == expected,
            "{} records relinked, not {expected}",
            m.relinked.len()
        );
        ensure!(store.redirect(RecordType::Body, "duplicate")?.as_deref() == Some("survivor"));
        let start = Instant::now();
        merges
            .undo_merge(m.id, &author, "bench")
            .map_err(|e| anyhow::anyhow!("undo {run}: {e}"))?;
        undone.push(start.elapsed());
        ensure!(store.body("duplicate")?.is_some(), "the undo restores it");
        let e = store.event("event-7")?.context("event-7")?;
        ensure!(e.bodies == ["duplicate"], "the undo restores the links");
    }
    println!(
        "merge of a body linked from {} records (the store's transaction): median {} of {} runs ({})",
        args.records,
        util::ms(median(merged.clone())),
        args.runs,
        merged
            .iter()
            .map(|d| util::ms(*d))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "its undo (every record back as it was): median {} ({})",
        util::ms(median(undone.clone())),
        undone
            .iter()
            .map(|d| util::ms(*d))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // The search index following one merge, as `dossier merge` makes it follow.
    let (index, _) = dossier_search::SearchIndex::open(&dir.join("index"), &store)?;
    drop(index);
    let start = Instant::now();
    merges
        .merge(RecordType::Body, "duplicate", "survivor", &author, "bench")
        .map_err(|e| anyhow::anyhow!("merge: {e}"))?;
    let store_time = start.elapsed();
    let start = Instant::now();
    let (_index, report) = dossier_search::SearchIndex::open(&dir.join("index"), &store)?;
    let index_time = start.elapsed();
    ensure!(
        report.applied >= expected as u64,
        "the index applied {} changes",
        report.applied
    );
    println!(
        "one more merge: store {}, then the search index applies its {} changes in {} (total {})",
        util::ms(store_time),
        report.applied,
        util::ms(index_time),
        util::ms(store_time + index_time)
    );
    println!(
        "peak memory {}",
        util::peak_rss_bytes().map_or("unknown".into(), util::mb)
    );
    Ok(())
}
