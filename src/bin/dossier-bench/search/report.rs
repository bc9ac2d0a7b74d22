//! The ingest figures as printed for BENCHMARKS.md.

use super::ingest::Ingest;
use crate::util::{disk_bytes, mb};
use std::path::Path;
use std::time::Duration;

/// The figures of `--ingest-only`: dossier's ingest alone.
pub(super) fn ingest_only(docs: usize, text_bytes: u64, ingest: &Ingest, data: &Path) {
    let (t_dossier, t_store, t_index, cpu_dossier) =
        (ingest.wall, ingest.store, ingest.index_syncs, ingest.cpu);
    println!("text: {}", mb(text_bytes));
    println!(
        "ingest: dossier {:.0} docs/s ({:.1} s, store + index; store writes {:.1} s, index syncs {:.1} s)",
        docs as f64 / t_dossier.as_secs_f64(),
        t_dossier.as_secs_f64(),
        t_store.as_secs_f64(),
        t_index.as_secs_f64()
    );
    println!("{}", cpu_line(cpu_dossier, t_dossier, docs));
    println!(
        "disk: dossier {} (index {})",
        mb(disk_bytes(data)),
        mb(disk_bytes(&data.join("index")))
    );
}

/// Both engines' ingest: rates, where dossier's time went, and the size on disk.
pub(super) fn ingest(
    docs: usize,
    text_bytes: u64,
    ingest: &Ingest,
    t_fts: Duration,
    dir: &Path,
    data: &Path,
) {
    let (t_dossier, t_store, t_index, cpu_dossier) =
        (ingest.wall, ingest.store, ingest.index_syncs, ingest.cpu);
    let rate = |t: Duration| docs as f64 / t.as_secs_f64();
    let dossier_bytes = disk_bytes(data);
    let fts_bytes = disk_bytes(&dir.join("fts5.db")) + disk_bytes(&dir.join("fts5.db-wal"));
    println!("text: {}", mb(text_bytes));
    println!(
        "ingest: dossier {:.0} docs/s ({:.1} s, store + index), FTS5 {:.0} docs/s ({:.1} s)",
        rate(t_dossier),
        t_dossier.as_secs_f64(),
        rate(t_fts),
        t_fts.as_secs_f64()
    );
    println!(
        "  store writes {:.1} s and index syncs {:.1} s, side by side on two threads",
        t_store.as_secs_f64(),
        t_index.as_secs_f64()
    );
    println!("  {}", cpu_line(cpu_dossier, t_dossier, docs));
    println!(
        "disk: dossier {} (store {}, index {}), FTS5 {}",
        mb(dossier_bytes),
        mb(disk_bytes(&data.join("dossier.db")) + disk_bytes(&data.join("dossier.db-wal"))),
        mb(disk_bytes(&data.join("index"))),
        mb(fts_bytes)
    );
}

/// The ingest's CPU time in all, per document, and how many cores it kept busy: with two
/// cores, 10,000 documents/s leaves at most 200 µs of CPU per document.
fn cpu_line(cpu_s: f64, wall: Duration, docs: usize) -> String {
    format!(
        "CPU {:.1} s ({:.0} µs per document, {:.2} cores busy)",
        cpu_s,
        cpu_s * 1e6 / docs.max(1) as f64,
        cpu_s / wall.as_secs_f64()
    )
}
