//! `dossier copy --from DATA_DIR_OR_URL --to DATA_DIR_OR_URL` (issue 29): a whole archive
//! moved between SQLite and PostgreSQL, either way, verified table by table. The work is
//! `dossier_store::copy`; this module opens the two ends (never through
//! `--database-url`: both are named), keeps other writers off the target, shows progress
//! and prints the comparison.
//!
//! Writers: a target data directory is held under its writer lock (`lock.rs`) for the
//! whole copy, so an import, `load-builtin` or a starting server there waits; a target
//! database under the store's writer advisory lock, which the copy's transaction takes
//! and every server's write waits for. The source is read in one snapshot, so it needs no
//! lock: a server may go on serving (and writing) it, and the copy is the archive as it
//! stood at the snapshot.

use super::lock;
use crate::cli::CopyArgs;
use crate::out::{out, outln};
use anyhow::{anyhow, bail, Context, Result};
use dossier_store::copy::{self, CopyProgress, CopyReport, Phase, Place};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub fn run(args: CopyArgs) -> Result<()> {
    let from = Place::parse(&args.from).map_err(|e| anyhow!("--from: {e}"))?;
    let to = Place::parse(&args.to).map_err(|e| anyhow!("--to: {e}"))?;
    if from.same_as(&to) {
        bail!(
            "--from and --to name the same archive ({}): copy into another data directory or \
             database",
            to.describe()
        );
    }
    if let Place::DataDir(dir) = &to {
        copy::check_target_dir(dir).map_err(|e| anyhow!("--to: {e}"))?;
    }
    // The source first: a copy refused for its source makes nothing at the target.
    let source = copy::open_source(&from).map_err(|e| anyhow!("--from: {e}"))?;
    // A data directory from before the OAI-PMH key was kept in the store has it in its
    // `oai-key` file: the store adopts it first, so the copy carries it and harvesters'
    // resumption tokens stay valid on the target's servers.
    if let Place::DataDir(dir) = &from {
        if dir.join("oai-key").is_file() {
            super::oai_key(dir, &source).context("--from: cannot keep its OAI-PMH key")?;
        }
    }
    let _writing = match &to {
        Place::DataDir(dir) => Some(lock::lock_for_writing(dir, "copy")?),
        // The copy's own transaction takes the database's writer lock.
        Place::Database(_) => None,
    };
    let target = copy::open_target(&to).map_err(|e| anyhow!("--to: {e}"))?;
    let (from_name, to_name) = (from.describe(), to.describe());
    let mut progress = Display::new();
    let report = copy::copy(&source, &target, &from_name, &to_name, &mut progress)
        .map_err(|e| anyhow!("the copy failed, and the target's tables are as they were: {e}"))?;
    progress.clear();
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!("{}", describe(&report))?;
        outln!("{}", index_note(&to))?;
    }
    if !report.ok() {
        bail!(
            "the copy in {to_name} does not match its source: {}",
            differences(&report).join(", ")
        );
    }
    Ok(())
}

/// Where the copy's search index comes from.
fn index_note(to: &Place) -> String {
    match to {
        Place::DataDir(dir) => format!(
            "The search index is not copied: {} builds it from the store on its first \
             `dossier serve` (or `dossier reindex`).",
            dir.display()
        ),
        Place::Database(_) => "The search index is not copied: each server builds its own, in \
             its data directory, from the database on its first start."
            .to_string(),
    }
}

/// What differs, for the error.
fn differences(report: &CopyReport) -> Vec<String> {
    let mut out: Vec<String> = report
        .tables
        .iter()
        .filter(|t| !t.ok())
        .map(|t| format!("table {}", t.table))
        .collect();
    out.extend(
        report
            .warc_files
            .iter()
            .filter(|w| !w.ok())
            .map(|w| format!("WARC file {}", w.name)),
    );
    out.extend(
        report
            .extra_warc_files
            .iter()
            .map(|n| format!("WARC file {n} (only in the target)")),
    );
    out.extend(
        report
            .counters
            .iter()
            .filter(|c| !c.ok())
            .map(|c| format!("the id counter of {}.{}", c.table, c.column)),
    );
    out
}

/// The comparison as a table: per table its rows, the first 16 hex digits of its
/// checksum, and whether the target's equal the source's.
fn describe(report: &CopyReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let bytes: u64 = report.warc_files.iter().map(|w| w.bytes).sum();
    let _ = writeln!(
        s,
        "Copied {} to {} in {:.1} s: {} rows in {} tables, {} WARC {} ({bytes} bytes).",
        report.from,
        report.to,
        report.seconds,
        report.rows(),
        report.tables.len(),
        report.warc_files.len(),
        if report.warc_files.len() == 1 {
            "file"
        } else {
            "files"
        },
    );
    let _ = writeln!(s);
    let _ = writeln!(s, "{:<18} {:>10}  {:<16}  ok", "table", "rows", "sha-256");
    for t in &report.tables {
        let rows = if t.source_rows == t.target_rows {
            t.source_rows.to_string()
        } else {
            format!("{}≠{}", t.source_rows, t.target_rows)
        };
        let sum = if t.source_sha256 == t.target_sha256 {
            t.source_sha256[..16].to_string()
        } else {
            format!("{}≠{}", &t.source_sha256[..8], &t.target_sha256[..8])
        };
        let ok = if t.ok() { "ok" } else { "DIFFERS" };
        let _ = writeln!(s, "{:<18} {rows:>10}  {sum:<16}  {ok}", t.table);
    }
    let warc_ok = report
        .warc_files
        .iter()
        .all(dossier_store::copy::WarcCheck::ok)
        && report.extra_warc_files.is_empty();
    let _ = writeln!(
        s,
        "{:<18} {:>10}  {:<16}  {}",
        "WARC files",
        report.warc_files.len(),
        "(by SHA-256)",
        if warc_ok { "ok" } else { "DIFFERS" }
    );
    let counters_ok = report
        .counters
        .iter()
        .all(dossier_store::copy::CounterCheck::ok);
    let _ = writeln!(
        s,
        "{:<18} {:>10}  {:<16}  {}",
        "id counters",
        report.counters.len(),
        "(largest ids)",
        if counters_ok { "ok" } else { "DIFFERS" }
    );
    if !report.uncopied_warc_files.is_empty() {
        let _ = writeln!(
            s,
            "warning: capture rows name {} WARC {} the source does not keep, so the copy \
             lacks {} too (replay of those copies fails on both): {}",
            report.uncopied_warc_files.len(),
            if report.uncopied_warc_files.len() == 1 {
                "file"
            } else {
                "files"
            },
            if report.uncopied_warc_files.len() == 1 {
                "it"
            } else {
                "them"
            },
            report.uncopied_warc_files.join(", ")
        );
    }
    let reused = report.warc_files.iter().filter(|w| w.reused).count();
    if reused > 0 {
        let _ =
            writeln!(
            s,
            "{reused} WARC {} already in the target (from an earlier copy that failed) and the \
             same as the source's: kept.",
            if reused == 1 { "file was" } else { "files were" }
        );
    }
    if report.ok() {
        let _ = writeln!(
            s,
            "\nEvery table, WARC file and id counter read back from the target equals the \
             source's."
        );
    }
    s
}

/// Progress on standard error: a bar with counts and rate on a terminal; otherwise a
/// line per table copied (and every few seconds during a long one).
struct Display {
    bar: Option<ProgressBar>,
    terminal: bool,
    phase: Option<Phase>,
    phase_started: Instant,
    item_started: Instant,
    item_done: u64,
    last_line: Instant,
    current: String,
    /// Whether the phase's start was shown (a phase with nothing to do is not).
    started_any: bool,
}

impl Display {
    fn new() -> Display {
        let now = Instant::now();
        Display {
            bar: None,
            terminal: std::io::stderr().is_terminal(),
            phase: None,
            phase_started: now,
            item_started: now,
            item_done: 0,
            last_line: now,
            current: String::new(),
            started_any: false,
        }
    }

    fn clear(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

fn verb(phase: Phase) -> &'static str {
    match phase {
        Phase::Warc => "copying WARC files",
        Phase::Copy => "copying rows",
        Phase::Verify => "reading back",
    }
}

fn rate(n: u64, since: Instant) -> f64 {
    n as f64 / since.elapsed().as_secs_f64().max(0.001)
}

impl CopyProgress for Display {
    fn start(&mut self, phase: Phase, total: u64) {
        self.clear();
        self.started_any = false;
        self.phase = Some(phase);
        self.phase_started = Instant::now();
        if self.terminal && total > 0 {
            let unit = if phase == Phase::Warc {
                "files"
            } else {
                "rows"
            };
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{prefix:>18}} {{msg:<16}} [{{bar:30}}] {{pos}}/{{len}} {unit} \
                     ({{rate}}, {{eta}} left)"
                ))
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0}/s", state.per_sec());
                    },
                )
                .progress_chars("=> "),
            );
            bar.set_prefix(verb(phase));
            self.bar = Some(bar);
        } else if total > 0 {
            self.started_any = true;
            let unit = if phase == Phase::Warc {
                "WARC files"
            } else {
                "rows"
            };
            eprintln!("{}: {total} {unit}", verb(phase));
        }
    }

    fn item(&mut self, name: &str) {
        self.current = name.to_string();
        self.item_started = Instant::now();
        self.item_done = 0;
        if let Some(b) = &self.bar {
            b.set_message(name.to_string());
        }
    }

    fn advance(&mut self, n: u64) {
        self.item_done += n;
        match &self.bar {
            Some(b) => b.inc(n),
            None => {
                if self.last_line.elapsed() >= Duration::from_secs(5)
                    && self.item_started.elapsed() >= Duration::from_secs(5)
                {
                    self.last_line = Instant::now();
                    eprintln!(
                        "{} {}: {} so far ({:.0}/s)",
                        verb(self.phase.unwrap_or(Phase::Copy)),
                        self.current,
                        self.item_done,
                        rate(self.item_done, self.item_started)
                    );
                }
            }
        }
    }

    fn item_done(&mut self, name: &str, rows: u64) {
        if self.bar.is_none() && self.phase == Some(Phase::Copy) {
            // A rate only where there was time to measure one.
            let took = self.item_started.elapsed();
            if took >= Duration::from_millis(500) {
                eprintln!(
                    "copied {name}: {rows} rows in {:.1} s ({:.0}/s)",
                    took.as_secs_f64(),
                    rate(rows, self.item_started)
                );
            } else {
                eprintln!("copied {name}: {rows} rows");
            }
        }
    }

    fn finish(&mut self, phase: Phase) {
        let took = self.phase_started.elapsed().as_secs_f64();
        let shown = self.bar.is_some() || self.started_any;
        self.clear();
        if !self.terminal && shown {
            eprintln!("{} done in {took:.1} s", verb(phase));
        }
    }
}
