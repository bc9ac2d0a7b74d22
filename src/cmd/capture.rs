//! `dossier links capture`: archived copies of the pages the archive cites.

use crate::cli::LinksCaptureArgs;
use crate::out::outln;
use anyhow::{bail, Context, Result};
use dossier_store::Store;
use dossier_upkeep::capture::{capture_pages, cited_pages, CaptureOptions, PageReport};
use std::path::Path;
use std::time::Duration;

pub fn run(data_dir: &Path, args: LinksCaptureArgs) -> Result<()> {
    let store = super::open_store(data_dir)?;
    // Where the WARC files are kept, for the report: the data directory's folder on
    // SQLite, none on PostgreSQL (the database keeps them).
    let warc_dir = store.captures().and_then(|c| c.warc_dir());
    let mut pages = cited_pages(&store, args.dossier.as_deref())
        .context("cannot list the archive's cited addresses")?;
    if !args.url.is_empty() {
        if let Some(u) = args
            .url
            .iter()
            .find(|u| !pages.iter().any(|p| p.url == **u))
        {
            bail!("--url {u}: no record of the archive cites this address, so it is not captured");
        }
        pages.retain(|p| args.url.contains(&p.url));
    }
    let mut options = CaptureOptions {
        concurrency: args.concurrency as usize,
        ..CaptureOptions::default()
    };
    options.policy.allow_hosts = args.allow_hosts.clone();
    options.policy.timeout = Duration::from_secs(u64::from(args.timeout));
    options.policy.connect_timeout = Duration::from_secs(u64::from(args.timeout).min(10));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let total = pages.len() as u64;
    let mut progress = crate::progress::Progress::new("capturing pages");
    let mut done = 0u64;
    let mut reports: Vec<PageReport> = Vec::new();
    let json = args.json;
    let summary = runtime
        .block_on(capture_pages(&store, &pages, &options, &mut |r| {
            done += 1;
            progress.update(done, total);
            reports.push(r.clone());
        }))
        .context("cannot capture the archive's cited pages")?;
    progress.finish();
    reports.sort_by(|a, b| a.url.cmp(&b.url));
    if json {
        let out = serde_json::json!({
            "pages": summary.pages,
            "captured": summary.captured,
            "failed": summary.failed,
            "resources": summary.resources,
            "bytes": summary.bytes,
            "warc_dir": warc_dir,
            "warc_in_database": warc_dir.is_none(),
            "files": summary.files,
            "items": reports,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(());
    }
    for r in &reports {
        match (&r.error, r.capture) {
            (Some(e), _) => outln!("failed     {e}")?,
            (None, Some(id)) => {
                let mut line = format!("captured   {} → /archive/{id}", r.url);
                if r.resources > 0 {
                    line.push_str(&format!(" (with {} images and styles)", r.resources));
                }
                outln!("{line}")?;
                for e in &r.resource_errors {
                    outln!("           not kept: {e}")?;
                }
            }
            (None, None) => outln!("failed     {}: nothing kept", r.url)?,
        }
    }
    outln!(
        "Captured {} of {} cited pages ({} failed), {} images and styles, {} bytes{}.",
        summary.captured,
        summary.pages,
        summary.failed,
        summary.resources,
        summary.bytes,
        match (summary.files.as_slice(), &warc_dir) {
            ([], _) => String::new(),
            ([one], Some(dir)) => format!(", in {}", dir.join(one).display()),
            (files, Some(dir)) => format!(", in {} WARC files in {}", files.len(), dir.display()),
            ([one], None) => format!(", in the WARC file {one} kept in the database"),
            (files, None) => format!(", in {} WARC files kept in the database", files.len()),
        }
    )?;
    Ok(())
}
