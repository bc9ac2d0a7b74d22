//! `dossier export site DIR`.

use crate::cli::ExportSiteArgs;
use crate::out::outln;
use anyhow::{Context, Result};
use dossier_publish::export::export_site;
use dossier_publish::site::Site;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub fn site(data_dir: &Path, args: ExportSiteArgs) -> Result<()> {
    let mut site = Site::new(&args.base_url)?;
    if let Some(n) = &args.name {
        site = site.with_name(n);
    }
    let db = data_dir.join("dossier.db");
    // On PostgreSQL the archive is in the database, not the data directory.
    let in_database = super::DATABASE_URL.get().is_some_and(Option::is_some);
    if !in_database && !db.exists() {
        anyhow::bail!(
            "there is no archive in {} (no dossier.db); load one first, e.g. `dossier load-builtin`",
            data_dir.display()
        );
    }
    let store = super::open_store(data_dir)?;
    let started = Instant::now();
    // A bar with counts and rate on a terminal; plain lines (every tenth) otherwise.
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} exporting {bar:40} {pos}/{len} pages, {per_sec}, {eta} left",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let last_line = AtomicUsize::new(0);
    let progress = |done: usize, total: usize| match &bar {
        Some(b) => {
            if b.length() != Some(total as u64) {
                b.set_length(total as u64);
            }
            b.set_position(done as u64);
        }
        None => {
            let tenth = (done * 10) / total.max(1);
            if last_line.fetch_max(tenth, Ordering::Relaxed) < tenth {
                eprintln!("exported {done}/{total} pages");
            }
        }
    };
    let summary = export_site(&store, &site, &args.dir, &progress).with_context(|| {
        format!(
            "the export to {} failed; nothing was replaced",
            args.dir.display()
        )
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let secs = started.elapsed().as_secs_f64();
    outln!(
        "Exported {} pages ({} files, {:.1} MB) to {} in {:.2} s ({:.0} pages/s). Open {}.",
        summary.pages,
        summary.files,
        summary.bytes as f64 / 1e6,
        args.dir.display(),
        secs,
        summary.pages as f64 / secs.max(1e-9),
        args.dir.join("index.html").display()
    )?;
    Ok(())
}
