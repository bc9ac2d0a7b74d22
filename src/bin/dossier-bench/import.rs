//! `dossier-bench import`: records/s and MB/s of `dossier import tei` and `dossier import
//! records` on the real corpora and on generated files, with the importer's peak memory.
//!
//! Each run is the real `dossier` binary (the release build beside this one) on a fresh
//! data directory, so the figures include the store writes and everything a user waits
//! for. Peak memory is the child's `VmHWM`, sampled from /proc while it runs. The
//! generated files are written under `--out` (default /tmp) and never committed.

use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One measured import.
pub struct Run {
    pub label: String,
    pub records: u64,
    pub bytes: u64,
    pub secs: f64,
    pub peak_rss: u64,
}

impl Run {
    pub fn line(&self) -> String {
        format!(
            "| {} | {} | {} | {:.2} s | {:.0} | {:.1} | {} |",
            self.label,
            self.records,
            super::util::mb(self.bytes),
            self.secs,
            self.records as f64 / self.secs,
            self.bytes as f64 / 1e6 / self.secs,
            super::util::mb(self.peak_rss)
        )
    }
}

/// A fresh data directory under the system's temporary folder, removed on drop.
struct DataDir(PathBuf);

impl DataDir {
    fn new() -> Result<Self> {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("dossier-bench-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p)?;
        Ok(DataDir(p))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dossier_bin() -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    let bin = me.with_file_name("dossier");
    if !bin.exists() {
        bail!(
            "{} not found: build it first (cargo build --release --bin dossier)",
            bin.display()
        );
    }
    Ok(bin)
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// Runs `dossier --data-dir DIR ARGS…`, timing it and sampling its peak memory. The wait
/// is a blocking one (a thread samples the memory), so the time is the command's own.
fn measure(data_dir: &Path, args: &[String]) -> Result<(String, f64, u64)> {
    let started = Instant::now();
    let child = Command::new(dossier_bin()?)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("DOSSIER_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let done = std::sync::atomic::AtomicBool::new(false);
    let (out, peak) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            let mut peak = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(v) = vm_hwm(pid) {
                    peak = peak.max(v);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        });
        let out = child.wait_with_output();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (out, sampler.join().unwrap_or(0))
    });
    let out = out?;
    let secs = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!("dossier {} failed:\n{stdout}", args.join(" "));
    }
    Ok((stdout, secs, peak))
}

/// The record count of a run's summary ("3264 records, …").
fn records_in(stdout: &str) -> u64 {
    stdout
        .lines()
        .find_map(|l| {
            l.split_once(" records, ")
                .and_then(|(n, _)| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    Ok(files)
}

fn size(files: &[PathBuf]) -> u64 {
    files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0))
        .sum()
}

/// How many times a corpus import (under a second) is run; the median is reported, as
/// one run of a third of a second varies by a tenth.
const SHORT_RUNS: usize = 5;

/// Imports `files` into a fresh data directory (after `prepare`), measured `times` times
/// (each into a fresh directory); the run of median time is reported.
fn run(
    label: &str,
    prepare: &[&[&str]],
    args: &[&str],
    files: &[PathBuf],
    times: usize,
) -> Result<Run> {
    let shown = if times > 1 {
        format!("{label}, median of {times}")
    } else {
        label.to_string()
    };
    let bytes = size(files);
    let prepare: Vec<Vec<String>> = prepare
        .iter()
        .map(|p| p.iter().map(|s| s.to_string()).collect())
        .collect();
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    a.extend(files.iter().map(|f| f.display().to_string()));
    let mut runs = Vec::new();
    for _ in 0..times.max(1) {
        let dir = DataDir::new()?;
        for p in &prepare {
            measure(dir.path(), p)?;
        }
        let (stdout, secs, peak) = measure(dir.path(), &a)?;
        let records = records_in(&stdout);
        if records == 0 {
            bail!("{label}: no records imported:\n{stdout}");
        }
        runs.push(Run {
            label: shown.clone(),
            records,
            bytes,
            secs,
            peak_rss: peak,
        });
    }
    Ok(median(runs))
}

/// The run of median time among `runs` (at least one).
fn median(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    runs.swap_remove(runs.len() / 2)
}

/// Writes a record-XML file of about `mb` MB: the real visits, repeated with new ids.
fn generate_visits(corpus: &Path, mb: u64, out: &Path) -> Result<u64> {
    let mut records = Vec::new();
    for f in files_in(&corpus.join("visits/data"))? {
        let text = std::fs::read_to_string(&f)?;
        let mut rest = text.as_str();
        while let Some(start) = rest.find("<visit>") {
            let end = rest[start..]
                .find("</visit>")
                .context("a <visit> without its end")?
                + start
                + 8;
            records.push(rest[start..end].to_string());
            rest = &rest[end..];
        }
    }
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
    );
    writeln!(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<visits>")?;
    let (mut written, mut n) = (0u64, 0u64);
    'outer: loop {
        for r in &records {
            n += 1;
            let id_start = r.find("<id>").context("a visit without an id")? + 4;
            let id_end = r.find("</id>").context("a visit without an id")?;
            let rec = format!("    {}g{n}{}\n", &r[..id_start], &r[id_end..]);
            written += rec.len() as u64;
            w.write_all(rec.as_bytes())?;
            if written >= mb * 1_000_000 {
                break 'outer;
            }
        }
    }
    writeln!(w, "</visits>")?;
    w.flush()?;
    Ok(n)
}

/// Writes a TEI file of about `mb` MB: the real Milestones sections, repeated with new ids.
fn generate_tei(corpus: &Path, mb: u64, out: &Path) -> Result<u64> {
    let mut divs = Vec::new();
    for f in files_in(&corpus.join("milestones/chapters"))? {
        let text = std::fs::read_to_string(&f)?;
        let mut rest = text.as_str();
        while let Some(start) = rest.find("<div ") {
            let end = rest[start..]
                .find("</div>")
                .context("a div without its end")?
                + start
                + 6;
            divs.push(rest[start..end].to_string());
            rest = &rest[end..];
        }
    }
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?,
    );
    writeln!(
        w,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<TEI xmlns=\"http://www.tei-c.org/ns/1.0\"><teiHeader><fileDesc><titleStmt><title type=\"complete\">Generated from Milestones</title></titleStmt></fileDesc></teiHeader><text><body>"
    )?;
    let (mut written, mut n) = (0u64, 0u64);
    'outer: loop {
        for d in &divs {
            n += 1;
            let div = d.replacen("xml:id=\"", &format!("xml:id=\"g{n}-"), 1);
            written += div.len() as u64;
            w.write_all(div.as_bytes())?;
            w.write_all(b"\n")?;
            if written >= mb * 1_000_000 {
                break 'outer;
            }
        }
    }
    writeln!(w, "</body></text></TEI>")?;
    w.flush()?;
    Ok(n)
}

/// The whole benchmark; prints a Markdown table for BENCHMARKS.md.
pub fn bench(corpora: &Path, records_mb: u64, tei_mb: u64, out: &Path, keep: bool) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the output folder {}", out.display()))?;
    let h = corpora.join("historyatstate");
    let chapters = files_in(&h.join("milestones/chapters"))?;
    let visits = files_in(&h.join("visits/data"))?;
    let tei_args = [
        "import",
        "tei",
        "--dossier",
        "nato-russia",
        "--kind",
        "research-study",
    ];
    let rec_args = ["import", "records", "--mapping", "mappings/visits.toml"];
    let builtin: &[&[&str]] = &[&["load-builtin"]];
    let mut runs = vec![
        run(
            "TEI: milestones corpus (19 files)",
            builtin,
            &tei_args,
            &chapters,
            SHORT_RUNS,
        )?,
        run(
            "record XML: visits corpus (16 files)",
            &[],
            &rec_args,
            &visits,
            SHORT_RUNS,
        )?,
    ];
    // Re-import of the same corpus: every record compared, none written.
    {
        let dir = DataDir::new()?;
        let mut a: Vec<String> = rec_args.iter().map(|s| s.to_string()).collect();
        a.extend(visits.iter().map(|f| f.display().to_string()));
        measure(dir.path(), &a)?;
        let label = format!("record XML: visits re-import (no change), median of {SHORT_RUNS}");
        let bytes = size(&visits);
        let mut again = Vec::new();
        for _ in 0..SHORT_RUNS {
            let (stdout, secs, peak) = measure(dir.path(), &a)?;
            again.push(Run {
                label: label.clone(),
                records: records_in(&stdout),
                bytes,
                secs,
                peak_rss: peak,
            });
        }
        runs.push(median(again));
    }
    if records_mb > 0 {
        let file = out.join("dossier-bench-visits.xml");
        let n = generate_visits(&h, records_mb, &file)?;
        eprintln!("generated {} ({n} visits)", file.display());
        let r = run(
            &format!("record XML: generated {records_mb} MB"),
            &[],
            &rec_args,
            std::slice::from_ref(&file),
            1,
        )?;
        if !keep {
            std::fs::remove_file(&file).ok();
        }
        runs.push(r);
    }
    if tei_mb > 0 {
        let file = out.join("dossier-bench-tei.xml");
        let n = generate_tei(&h, tei_mb, &file)?;
        eprintln!("generated {} ({n} divs)", file.display());
        let r = run(
            &format!("TEI: generated {tei_mb} MB"),
            builtin,
            &tei_args,
            std::slice::from_ref(&file),
            1,
        )?;
        if !keep {
            std::fs::remove_file(&file).ok();
        }
        runs.push(r);
    }
    println!("| input | records | size | time | records/s | MB/s | peak memory |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for r in &runs {
        println!("{}", r.line());
    }
    Ok(())
}
