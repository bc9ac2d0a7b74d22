//! `dossier links`: the external addresses the archive cites.

use crate::cli::{Links, LinksCheckArgs};
use crate::out::outln;
use anyhow::{Context, Result};
use dossier_store::{LinkOutcome, RunTrigger, Store};
use dossier_upkeep::check::{run_check, CheckOptions, CheckResult, Checker, CitedUrl};
use dossier_upkeep::fetch::FetchPolicy;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn run(data_dir: &Path, command: Links) -> Result<()> {
    match command {
        Links::Check(args) => check(data_dir, args),
        Links::Capture(args) => super::capture::run(data_dir, args),
    }
}

fn check(data_dir: &Path, args: LinksCheckArgs) -> Result<()> {
    let store: Arc<dyn Store> = Arc::new(super::open_store(data_dir)?);
    let policy = FetchPolicy {
        allow_hosts: args.allow_hosts.clone(),
        timeout: Duration::from_secs(u64::from(args.timeout)),
        connect_timeout: Duration::from_secs(u64::from(args.timeout).min(10)),
        ..FetchPolicy::default()
    };
    let options = CheckOptions {
        concurrency: args.concurrency as usize,
        per_host: args.per_host as usize,
        ..CheckOptions::default()
    };
    let checker = Arc::new(
        Checker::new(policy, options).map_err(|e| anyhow::anyhow!("cannot check links: {e}"))?,
    );
    let total = dossier_upkeep::check::cited_urls(store.as_ref(), args.dossier.as_deref())
        .context("cannot list the archive's addresses")?
        .len() as u64;
    let progress = Arc::new(Mutex::new(crate::progress::Progress::new("checking links")));
    let done = Arc::new(AtomicU64::new(0));
    let each = {
        let (progress, done) = (progress.clone(), done.clone());
        move |_: &CheckResult| {
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .update(n, total);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (cited, results, summary) = runtime
        .block_on(run_check(
            store,
            checker,
            args.dossier.as_deref(),
            RunTrigger::Cli,
            each,
        ))
        .context("cannot check the archive's links")?;
    if let Ok(p) = Arc::try_unwrap(progress) {
        p.into_inner().unwrap_or_else(|p| p.into_inner()).finish();
    }
    if args.json {
        let items: Vec<_> = results
            .iter()
            .zip(&cited)
            .map(|(r, c)| item(r, c))
            .collect();
        let out = serde_json::json!({
            "run": summary.run,
            "checked": summary.checked,
            "failed": summary.failed,
            "counts": summary.by_outcome,
            "items": items,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
        return Ok(());
    }
    for (r, c) in results.iter().zip(&cited) {
        if r.outcome == LinkOutcome::Ok {
            continue;
        }
        outln!("{:<10} {}", r.outcome.as_str(), r.message)?;
        for hop in &r.redirects {
            outln!("{:<10}   {} {} → {}", "", hop.status, hop.url, hop.location)?;
        }
        if let Some(first) = c.cited_by.first() {
            let more = c.cited_by.len() - 1;
            outln!(
                "{:<10}   cited by {} {} ({}){}",
                "",
                first.record,
                first.slug,
                first.field,
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )?;
        }
    }
    let counts: Vec<String> = summary
        .by_outcome
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    outln!(
        "Checked {} addresses: {}.",
        summary.checked,
        if counts.is_empty() {
            "none cited".to_string()
        } else {
            counts.join(", ")
        }
    )?;
    Ok(())
}

fn item(r: &CheckResult, c: &CitedUrl) -> serde_json::Value {
    serde_json::json!({
        "url": r.url,
        "outcome": r.outcome,
        "status": r.status,
        "final_url": r.final_url,
        "redirects": r.redirects,
        "message": r.message,
        "elapsed_ms": r.elapsed_ms,
        "cited_by": c.cited_by,
    })
}
