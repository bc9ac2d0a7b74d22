//! `dossier-bench serve`: `dossier serve` beside nginx serving the same archive's static
//! export, under wrk (issue 22's targets).
//!
//! 1. Builds the archive with the `dossier` binary, as a user would: `load-builtin`, the
//!    visits corpus (`import records`), the Milestones essays (`import tei` into the
//!    NATO-Russia dossier), then `export site`.
//! 2. Starts `dossier serve` on it and nginx on the export (a minimal nginx.conf in the
//!    working folder; both on 127.0.0.1, each on a free port). The same URL paths work on
//!    both: nginx maps `/dossiers/nato-russia` to the export's `dossiers/nato-russia.html`,
//!    or, for `Accept: application/json`, to the dossier server's own JSON answer written
//!    beside it.
//! 3. Runs wrk on each page at each connection count, dossier and nginx alternately (the
//!    order swapped each round), sampling both servers' memory and threads from /proc.
//! 4. With `--soak`, one long run at 256 connections cycling through every page.
//! 5. Times the first request after a change on an idle server, from this process: a
//!    Markdown note re-imported with a new title, a speech in the dossier (so that its
//!    "Selected speeches" list shows it) issued by the body with the most events (whose
//!    page lists it), and each page checked for the new title.
//!
//! It prints Markdown tables for BENCHMARKS.md with the targets each row meets or misses.
//! It asserts what it computes (every page answers 200 on both servers before it is
//! loaded, wrk's reports parse, the changed document's page shows the change), never a
//! time: the targets are reported, not enforced.

mod client;
mod procs;
mod wrk;

use crate::util;
use anyhow::{bail, Context, Result};
use procs::{Peak, Server};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Options of the serving benchmark.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The `dossier` binary measured (default: the one beside this binary; build it with
    /// `cargo build --release --bin dossier`).
    #[arg(long = "bin")]
    pub bin: Option<PathBuf>,
    /// The corpora folder (with historyatstate/).
    #[arg(long, default_value = "../shared/corpora")]
    pub corpora: PathBuf,
    /// Working folder: the data directory, the export, nginx's files and both servers'
    /// logs. Replaced at each run, left in place after it.
    #[arg(long, default_value = "target/bench-serve")]
    pub work: PathBuf,
    /// Seconds of each wrk run.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub duration: u64,
    /// Connection counts (comma-separated): each page is loaded at each.
    #[arg(long, value_delimiter = ',', default_value = "64,256")]
    pub connections: Vec<u32>,
    /// Runs of each page on each server at each connection count (the servers' order
    /// swapped each round); the medians are reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub rounds: u32,
    /// wrk's threads (`-t`).
    #[arg(long, default_value_t = 2)]
    pub wrk_threads: u32,
    /// Cold requests timed per page (the median is reported).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub cold_samples: u64,
    /// Also run the soak: every page in turn at --soak-connections for --soak-secs.
    #[arg(long)]
    pub soak: bool,
    /// The soak's length in seconds.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub soak_secs: u64,
    /// The soak's connections.
    #[arg(long, default_value_t = 256)]
    pub soak_connections: u32,
    /// wrk's binary (Debian/Ubuntu: `apt-get install -y wrk`).
    #[arg(long, default_value = "wrk")]
    pub wrk: PathBuf,
    /// nginx's binary (default: on the PATH or /usr/sbin/nginx; Debian/Ubuntu:
    /// `apt-get install -y nginx-light`).
    #[arg(long)]
    pub nginx: Option<PathBuf>,
}

/// The issue's targets.
const MIN_RATIO: f64 = 0.8;
const MAX_P99_RATIO: f64 = 2.0;
const MIN_SEARCH_RPS: f64 = 5_000.0;
const MAX_RSS: u64 = 300_000_000;
const COLD_DOSSIER: Duration = Duration::from_millis(5);
const COLD_PAGE: Duration = Duration::from_millis(2);

/// The dossier whose pages are measured (the built-in one, with the essays added).
const DOSSIER: &str = "nato-russia";

/// A page loaded with wrk.
struct Page {
    label: String,
    path: String,
    json: bool,
    /// Whether nginx serves it too (the search has no static twin).
    static_twin: bool,
    /// Whether the issue's page-and-JSON targets apply (≥ 0.8× nginx, p99 ≤ 2×).
    cached_target: bool,
}

/// The runs of one page at one connection count.
struct Row<'a> {
    page: &'a Page,
    connections: u32,
    dossier: Vec<(wrk::Report, Peak)>,
    nginx: Vec<(wrk::Report, Peak)>,
}

pub fn run(args: ServeArgs) -> Result<()> {
    // Everything this run needs, checked before anything is built.
    let bin = match &args.bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?.with_file_name("dossier"),
    };
    if !bin.is_file() {
        bail!(
            "{} not found: build it (cargo build --release --bin dossier) or pass --bin PATH",
            bin.display()
        );
    }
    let bin = bin.canonicalize()?;
    let wrk_version = procs::tool_output(&args.wrk, "-v").with_context(|| {
        format!(
            "{} cannot be run: install wrk (Debian/Ubuntu: apt-get install -y wrk) or pass --wrk PATH",
            args.wrk.display()
        )
    })?;
    let nginx = procs::find_nginx(args.nginx.as_deref())?;
    let nginx_version = procs::tool_output(&nginx, "-V")
        .with_context(|| format!("{} cannot be run", nginx.display()))?;
    let mapping = Path::new("mappings/visits.toml");
    if !mapping.is_file() {
        bail!("mappings/visits.toml not found: run from the repository root");
    }
    let h = args.corpora.join("historyatstate");
    let visits = xml_files(&h.join("visits/data"))?;
    let chapters = xml_files(&h.join("milestones/chapters"))?;
    if args.connections.is_empty() || args.connections.contains(&0) {
        bail!("--connections: give one or more counts above 0");
    }

    let work = prepare_work(&args.work)?;
    let data = work.join("data");
    let site = work.join("site");
    let dossier_port = procs::free_port()?;
    let nginx_port = procs::free_port()?;
    let dossier_addr = SocketAddr::from(([127, 0, 0, 1], dossier_port));
    let nginx_addr = SocketAddr::from(([127, 0, 0, 1], nginx_port));

    println!("Machine: `{}`", util::machine());
    println!("Load average at the start: {}", load_average());
    println!("dossier: `{}`", bin.display());
    if bin.components().any(|c| c.as_os_str() == "debug") {
        println!("**A debug build: its figures mean nothing.**");
    }
    println!(
        "nginx: {} (`worker_processes auto`); wrk: {}",
        first_line(&nginx_version),
        first_line(&wrk_version)
    );

    // 1. The archive, built as a user would.
    let built = build_archive(&bin, &work, &visits, &chapters, nginx_addr)?;
    let html_pages = count_files(&site, "html");
    println!(
        "Archive: built-in dossier + visits ({} files) + Milestones ({} files); the export has {html_pages} HTML pages ({}).",
        visits.len(),
        chapters.len(),
        built
            .iter()
            .map(|(what, secs)| format!("{what} {secs:.2} s"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // The pages: the largest body page (the body with the most events, read from the
    // store before the server opens it) and a typical document page (the export's page
    // of median size).
    let (body, body_events) = busiest_body(&data)?;
    let document = median_sized(&site.join("documents"))?;
    let pages = vec![
        Page {
            label: format!("`/dossiers/{DOSSIER}`"),
            path: format!("/dossiers/{DOSSIER}"),
            json: false,
            static_twin: true,
            cached_target: true,
        },
        Page {
            label: format!("a document page (`/documents/{document}`)"),
            path: format!("/documents/{document}"),
            json: false,
            static_twin: true,
            cached_target: true,
        },
        Page {
            label: format!("largest body page (`/bodies/{body}`, {body_events} events)"),
            path: format!("/bodies/{body}"),
            json: false,
            static_twin: true,
            cached_target: true,
        },
        Page {
            label: format!("`/dossiers/{DOSSIER}` as JSON"),
            path: format!("/dossiers/{DOSSIER}"),
            json: true,
            static_twin: true,
            cached_target: true,
        },
        Page {
            label: "`/search?q=nato`".into(),
            path: "/search?q=nato".into(),
            json: false,
            static_twin: false,
            cached_target: false,
        },
    ];

    // 2. Both servers.
    let dossier_base = format!("http://{dossier_addr}/");
    let mut serve = Command::new(&bin);
    serve
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--addr", &dossier_addr.to_string()])
        .args(["--base-url", &dossier_base]);
    let dossier_server = Server::start(
        "dossier serve",
        serve,
        dossier_addr,
        &work.join("dossier.log"),
        "INT",
        &pages[0].path,
        Duration::from_secs(120),
    )?;
    let idle = procs::now(&[dossier_server.pid()]);

    // nginx serves the dossier's JSON answer as a file beside the export's page (the
    // export writes no JSON): the same bytes, read from disk.
    let json_file = site.join(format!("dossiers/{DOSSIER}.json"));
    if !json_file.exists() {
        let r = client::get(dossier_addr, &pages[3].path, Some("application/json"))?;
        if r.status != 200 {
            bail!("the dossier's JSON: status {}", r.status);
        }
        std::fs::write(&json_file, &r.body)?;
    }

    let prefix = work.join("nginx");
    std::fs::create_dir_all(prefix.join("temp"))?;
    let conf = prefix.join("nginx.conf");
    std::fs::write(
        &conf,
        procs::nginx_conf(&prefix, &site, nginx_port, &nginx_version, procs::is_root()),
    )?;
    let mut nginx_cmd = Command::new(&nginx);
    nginx_cmd
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(&conf)
        .arg("-e")
        .arg(prefix.join("error.log"));
    let nginx_server = Server::start(
        "nginx",
        nginx_cmd,
        nginx_addr,
        &prefix.join("stderr.log"),
        "QUIT",
        &pages[0].path,
        Duration::from_secs(20),
    )?;
    let nginx_pids = nginx_server.pids();
    let nginx_idle = procs::now(&nginx_pids);

    // Every page answers 200 on both, before any load.
    println!();
    println!("| page | dossier: bytes, type | nginx: bytes, type |");
    println!("| --- | --- | --- |");
    for p in &pages {
        let accept = p.json.then_some("application/json");
        let ours = check_page(dossier_addr, p, accept)?;
        let theirs = if p.static_twin {
            check_page(nginx_addr, p, accept)?
        } else {
            "—".into()
        };
        println!("| {} | {ours} | {theirs} |", p.label);
    }

    // 3. The load runs.
    let dossier_pids = [dossier_server.pid()];
    let rows = load_runs(
        &args,
        &pages,
        (dossier_addr, &dossier_pids),
        (nginx_addr, &nginx_pids),
    )?;

    // 4. The soak: every page in turn, on dossier only.
    let soak = if args.soak {
        Some(soak(&args, &work, &pages, dossier_addr, &dossier_pids)?)
    } else {
        None
    };
    drop(nginx_server);
    let metrics = metrics_summary(dossier_addr);

    // 5. Cold pages: the first request after a change, on an idle server.
    std::thread::sleep(Duration::from_secs(2));
    let cold = cold_timings(
        &bin,
        &data,
        &work,
        dossier_addr,
        &body,
        args.cold_samples as usize,
    )?;
    let hwm = procs::proc_mem(dossier_server.pid())
        .map(|m| m.hwm)
        .unwrap_or(0);
    drop(dossier_server);

    // The tables.
    let mut verdicts = Verdicts::default();
    print_load_table(&args, &rows, &mut verdicts);
    let memory = Memory {
        idle,
        nginx_idle,
        nginx_workers: nginx_pids.len().saturating_sub(1),
        hwm,
    };
    print_memory(&args, &rows, &memory, soak.as_ref(), &mut verdicts);
    if let Some(soak) = &soak {
        print_soak(&args, soak, &mut verdicts);
    }
    print_cold(&args, &body, &cold, &mut verdicts);
    if let Some(m) = metrics {
        println!();
        println!("The dossier server's `/metrics` after the load runs: {m}.");
    }
    println!();
    println!("Load average at the end: {}", load_average());
    verdicts.print();
    Ok(())
}

/// The issue's archive in `work/data`, exported to `work/site` for `base` (nginx's
/// address): each `dossier` command and its time in seconds.
fn build_archive(
    bin: &Path,
    work: &Path,
    visits: &[PathBuf],
    chapters: &[PathBuf],
    base: SocketAddr,
) -> Result<Vec<(&'static str, f64)>> {
    let data = work.join("data");
    let site = work.join("site");
    let d = |args: &[&str]| dossier(bin, &data, args, &work.join("build.log"));
    let mut built = Vec::new();
    built.push(("load-builtin", d(&["load-builtin"])?));
    // Into collections, as the README's recipes import them (issue 27): a curated dossier
    // holds only what its outline or an editor puts there.
    let mut a = vec![
        "import",
        "records",
        "--mapping",
        "mappings/visits.toml",
        "--collection",
        "visits",
        "--collection-title",
        "Visits by Foreign Leaders to the United States",
    ];
    let visit_args: Vec<String> = visits.iter().map(|p| p.display().to_string()).collect();
    a.extend(visit_args.iter().map(String::as_str));
    built.push(("import records (visits)", d(&a)?));
    let mut a = vec![
        "import",
        "tei",
        "--collection",
        "milestones",
        "--collection-title",
        "Milestones in the History of U.S. Foreign Relations",
        "--kind",
        "research-study",
    ];
    let chapter_args: Vec<String> = chapters.iter().map(|p| p.display().to_string()).collect();
    a.extend(chapter_args.iter().map(String::as_str));
    built.push(("import tei (Milestones)", d(&a)?));
    let nginx_base = format!("http://{base}/");
    let site_arg = site.display().to_string();
    built.push((
        "export site",
        d(&["export", "site", &site_arg, "--base-url", &nginx_base])?,
    ));
    Ok(built)
}

/// Each page at each connection count on both servers (`(address, pids)`), the order
/// swapped each round, one second apart (so that the last run's sockets have closed).
fn load_runs<'a>(
    args: &ServeArgs,
    pages: &'a [Page],
    dossier: (SocketAddr, &[u32]),
    nginx: (SocketAddr, &[u32]),
) -> Result<Vec<Row<'a>>> {
    let mut rows = Vec::new();
    for p in pages {
        for &c in &args.connections {
            let mut row = Row {
                page: p,
                connections: c,
                dossier: vec![],
                nginx: vec![],
            };
            for round in 0..args.rounds {
                let dossier_first = round % 2 == 0;
                for first in [true, false] {
                    let on_dossier = first == dossier_first;
                    if !on_dossier && !p.static_twin {
                        continue;
                    }
                    let (addr, pids, out) = if on_dossier {
                        (dossier.0, dossier.1, &mut row.dossier)
                    } else {
                        (nginx.0, nginx.1, &mut row.nginx)
                    };
                    let url = format!("http://{addr}{}", p.path);
                    let headers: &[&str] = if p.json {
                        &["Accept: application/json"]
                    } else {
                        &[]
                    };
                    eprintln!(
                        "wrk {} on {} at {c} connections ({}/{})",
                        p.path,
                        if on_dossier { "dossier" } else { "nginx" },
                        round + 1,
                        args.rounds
                    );
                    let (report, peak) = procs::sampled(pids, || {
                        wrk::run(&wrk::Load {
                            wrk: &args.wrk,
                            threads: args.wrk_threads,
                            connections: c,
                            secs: args.duration,
                            url: &url,
                            headers,
                            script: None,
                        })
                    });
                    out.push((report?, peak));
                    // Let the sockets of the last run close before the next.
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

/// One long run on dossier at `--soak-connections`, every page in turn.
fn soak(
    args: &ServeArgs,
    work: &Path,
    pages: &[Page],
    addr: SocketAddr,
    pids: &[u32],
) -> Result<(wrk::Report, Peak)> {
    let script = work.join("soak.lua");
    std::fs::write(&script, soak_script(pages))?;
    eprintln!(
        "soak: every page at {} connections for {} s",
        args.soak_connections, args.soak_secs
    );
    let url = format!("http://{addr}/");
    let (report, peak) = procs::sampled(pids, || {
        wrk::run(&wrk::Load {
            wrk: &args.wrk,
            threads: args.wrk_threads,
            connections: args.soak_connections,
            secs: args.soak_secs,
            url: &url,
            headers: &[],
            script: Some(&script),
        })
    });
    Ok((report?, peak))
}

/// Which targets were met and which missed.
#[derive(Default)]
struct Verdicts {
    met: Vec<String>,
    missed: Vec<String>,
}

impl Verdicts {
    /// Counts a target once ("{context}: {what}"); the cell says "what: met" or "what:
    /// **missed**".
    fn check(&mut self, context: &str, what: &str, ok: bool) -> String {
        let full = if context.is_empty() {
            what.to_string()
        } else {
            format!("{context}: {what}")
        };
        if ok {
            self.met.push(full);
            format!("{what}: met")
        } else {
            self.missed.push(full);
            format!("{what}: **missed**")
        }
    }

    fn print(&self) {
        println!(
            "Targets: {} met, {} missed{}",
            self.met.len(),
            self.missed.len(),
            if self.missed.is_empty() {
                String::new()
            } else {
                format!(":\n- {}", self.missed.join("\n- "))
            }
        );
    }
}

/// The page table: dossier beside nginx, each row's targets.
fn print_load_table(args: &ServeArgs, rows: &[Row], verdicts: &mut Verdicts) {
    println!();
    println!(
        "wrk -t{} -cN -d{}s --latency; medians of {} alternating runs; p99 from wrk's latency distribution.",
        args.wrk_threads, args.duration, args.rounds
    );
    println!();
    println!("| page | connections | dossier: req/s, p99 | nginx, same page exported: req/s, p99 | dossier ÷ nginx | dossier errors, timeouts | targets |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for row in rows {
        let context = format!("{} at {} connections", row.page.label, row.connections);
        let (d_rps, d_p99) = medians(&row.dossier);
        let (d_err, d_to) = errors(&row.dossier);
        let mut targets = Vec::new();
        let (theirs, ratio) = if row.page.static_twin {
            let (n_rps, n_p99) = medians(&row.nginx);
            let ratio = d_rps / n_rps.max(f64::MIN_POSITIVE);
            if row.page.cached_target {
                targets.push(verdicts.check(
                    &context,
                    &format!("req/s ≥ {MIN_RATIO}× nginx"),
                    ratio >= MIN_RATIO,
                ));
                targets.push(verdicts.check(
                    &context,
                    &format!("p99 ≤ {MAX_P99_RATIO}× nginx"),
                    d_p99.as_secs_f64() <= MAX_P99_RATIO * n_p99.as_secs_f64(),
                ));
            }
            (
                format!("{}, {}", rps(n_rps), latency(n_p99)),
                format!("{ratio:.2}×"),
            )
        } else {
            ("—".to_string(), "—".to_string())
        };
        if !row.page.static_twin && row.connections == 64 {
            targets.push(verdicts.check(&context, "≥ 5,000 req/s", d_rps >= MIN_SEARCH_RPS));
        }
        if row.connections >= 256 {
            targets.push(verdicts.check(&context, "no errors or timeouts", d_err + d_to == 0));
        }
        let targets = targets.join("; ");
        println!(
            "| {} | {} | {}, {} | {theirs} | {ratio} | {d_err}, {d_to} | {targets} |",
            row.page.label,
            row.connections,
            rps(d_rps),
            latency(d_p99),
        );
    }
}

/// The servers' memory outside the load runs.
struct Memory {
    idle: Peak,
    nginx_idle: Peak,
    nginx_workers: usize,
    /// dossier's VmHWM at the end of the run.
    hwm: u64,
}

/// The memory table: each server's peak RSS and threads at each connection count.
fn print_memory(
    args: &ServeArgs,
    rows: &[Row],
    m: &Memory,
    soak: Option<&(wrk::Report, Peak)>,
    verdicts: &mut Verdicts,
) {
    println!();
    println!("| server | idle RSS | peak RSS under load (VmRSS sampled every 50 ms) | peak threads | VmHWM at the end |");
    println!("| --- | --- | --- | --- | --- |");
    let mut dossier_peak = Peak::default();
    for &c in &args.connections {
        let peak = rows
            .iter()
            .filter(|r| r.connections == c)
            .flat_map(|r| r.dossier.iter().map(|x| x.1))
            .fold(Peak::default(), Peak::max);
        dossier_peak = dossier_peak.max(peak);
        let nginx_peak = rows
            .iter()
            .filter(|r| r.connections == c)
            .flat_map(|r| r.nginx.iter().map(|x| x.1))
            .fold(Peak::default(), Peak::max);
        println!(
            "| dossier, {c} connections | {} | {} | {} | |",
            util::mb(m.idle.rss),
            util::mb(peak.rss),
            peak.threads
        );
        println!(
            "| nginx (master + {} workers), {c} connections | {} | {} | {} | |",
            m.nginx_workers,
            util::mb(m.nginx_idle.rss),
            util::mb(nginx_peak.rss),
            nginx_peak.threads
        );
    }
    if let Some((_, peak)) = soak {
        dossier_peak = dossier_peak.max(*peak);
    }
    println!(
        "| dossier, whole run | {} | {} | {} | {} |",
        util::mb(m.idle.rss),
        util::mb(dossier_peak.rss),
        dossier_peak.threads,
        util::mb(m.hwm)
    );
    let rss_ok = verdicts.check(
        "",
        "dossier RSS ≤ 300 MB throughout (VmHWM and sampled VmRSS)",
        m.hwm.max(dossier_peak.rss) <= MAX_RSS,
    );
    println!();
    println!("{rss_ok}");
}

/// The soak's line and its targets.
fn print_soak(args: &ServeArgs, (r, peak): &(wrk::Report, Peak), verdicts: &mut Verdicts) {
    println!();
    println!(
        "Soak: every page in turn (HTML, JSON, search), {} connections, {} s: {} requests, {} req/s, p99 {}, errors {} (connect {}, read {}, write {}, non-2xx/3xx {}), timeouts {}, peak RSS {}, peak threads {}.",
        args.soak_connections,
        args.soak_secs,
        r.requests,
        rps(r.rps),
        latency(r.p99),
        r.errors(),
        r.connect_errors,
        r.read_errors,
        r.write_errors,
        r.non_2xx,
        r.timeouts,
        util::mb(peak.rss),
        peak.threads
    );
    let context = format!(
        "soak at {} connections for {} s",
        args.soak_connections, args.soak_secs
    );
    let ok = verdicts.check(
        &context,
        "0 errors and 0 timeouts",
        r.errors() + r.timeouts == 0,
    );
    println!("{ok}");
    let ok = verdicts.check(&context, "RSS ≤ 300 MB", peak.rss <= MAX_RSS);
    println!("{ok}");
}

/// The cold table.
fn print_cold(args: &ServeArgs, body: &str, cold: &[Cold], verdicts: &mut Verdicts) {
    println!();
    println!(
        "Cold: the first request after a change (`dossier import markdown` of a note, a speech in the dossier issued by `{body}`, with a new title each time), {} samples each, timed from this process (connect, request, whole answer; one connection each); \"showed the change\": the first answer held the new title:",
        args.cold_samples
    );
    println!();
    println!("| page | first request: median (min – max) | second request: median | showed the change | target |");
    println!("| --- | --- | --- | --- | --- |");
    for c in cold {
        let mut first = c.first.clone();
        first.sort();
        let mut second = c.second.clone();
        second.sort();
        let med = util::percentile(&first, 50.0);
        let ok = verdicts.check(
            &format!("cold {}", c.label),
            &format!("≤ {} ms", c.target.as_millis()),
            med <= c.target,
        );
        println!(
            "| {} | {} ({} – {}) | {} | {} of {} | {} |",
            c.label,
            util::ms(med),
            util::ms(first[0]),
            util::ms(first[first.len() - 1]),
            util::ms(util::percentile(&second, 50.0)),
            c.fresh,
            first.len(),
            ok
        );
    }
}

/// The working folder, emptied: one this bench made (it holds its marker) is replaced; any
/// other non-empty folder is refused.
fn prepare_work(work: &Path) -> Result<PathBuf> {
    const MARKER: &str = ".dossier-bench-serve";
    if work.exists() {
        let empty = std::fs::read_dir(work)?.next().is_none();
        if !empty && !work.join(MARKER).exists() {
            bail!(
                "{} is not empty and was not made by dossier-bench serve: give another --work",
                work.display()
            );
        }
        std::fs::remove_dir_all(work)
            .with_context(|| format!("cannot empty {}", work.display()))?;
    }
    std::fs::create_dir_all(work)?;
    std::fs::write(work.join(MARKER), "dossier-bench serve's working folder\n")?;
    Ok(work.canonicalize()?)
}

/// Runs `dossier --data-dir DATA ARGS…` to its end (output appended to `log`); its time in
/// seconds.
fn dossier(bin: &Path, data: &Path, args: &[&str], log: &Path) -> Result<f64> {
    let started = Instant::now();
    let out = Command::new(bin)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let secs = started.elapsed().as_secs_f64();
    let text = format!(
        "$ dossier {}\n{}{}\n",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?
        .write_all(text.as_bytes())?;
    if !out.status.success() {
        bail!(
            "`dossier {}` failed ({}):\n{text}",
            args.first().copied().unwrap_or_default(),
            out.status
        );
    }
    Ok(secs)
}

fn xml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {} (give --corpora)", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no XML files in {}", dir.display());
    }
    Ok(files)
}

fn count_files(dir: &Path, ext: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                count_files(&p, ext)
            } else {
                usize::from(p.extension().is_some_and(|x| x == ext))
            }
        })
        .sum()
}

/// The export's pages in `dir`, as (size, slug), smallest first.
fn pages_by_size(dir: &Path) -> Result<Vec<(u64, String)>> {
    let mut pages: Vec<(u64, String)> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let slug = p.file_name()?.to_str()?.strip_suffix(".html")?.to_string();
            Some((e.metadata().ok()?.len(), slug))
        })
        .collect();
    pages.sort();
    if pages.is_empty() {
        bail!("no pages in {}", dir.display());
    }
    Ok(pages)
}

/// The body with the most events, and how many (the largest body page, whatever a page
/// shows of its lists).
fn busiest_body(data: &Path) -> Result<(String, usize)> {
    use rusqlite::OptionalExtension;
    // Read-only, with SQL of its own: opening the store would migrate it to this bench's
    // schema, and a `--bin` of an older build could not open it afterwards.
    let db = rusqlite::Connection::open_with_flags(
        data.join("dossier.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .with_context(|| format!("cannot open the store in {}", data.display()))?;
    let busiest: Option<(String, i64)> = db
        .query_row(
            "SELECT dst_slug, count(*) FROM links
             WHERE src_type = 'event' AND rel = 'held-by' AND dst_type = 'body'
             GROUP BY dst_slug ORDER BY count(*) DESC, dst_slug LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (slug, n) = busiest.context("no event of the archive names a body")?;
    Ok((slug, usize::try_from(n)?))
}

/// The slug of the page of median size in `dir`.
fn median_sized(dir: &Path) -> Result<String> {
    let mut pages = pages_by_size(dir)?;
    let mid = pages.len() / 2;
    Ok(pages.swap_remove(mid).1)
}

/// GETs a page once: it must answer 200 (and JSON when asked); "bytes, type".
fn check_page(addr: SocketAddr, p: &Page, accept: Option<&str>) -> Result<String> {
    let r = client::get(addr, &p.path, accept)?;
    if r.status != 200 {
        bail!("{addr}{}: status {}", p.path, r.status);
    }
    let kind = r.header("content-type").unwrap_or_default().to_string();
    if p.json && !(kind.contains("json") && r.body.starts_with(b"{")) {
        bail!("{addr}{}: not JSON ({kind})", p.path);
    }
    Ok(format!("{}, {kind}", r.body.len()))
}

/// A wrk script that sends every page's request in turn.
fn soak_script(pages: &[Page]) -> String {
    let requests: Vec<String> = pages
        .iter()
        .map(|p| {
            if p.json {
                format!(
                    "  wrk.format(\"GET\", {:?}, {{[\"Accept\"] = \"application/json\"}}),",
                    p.path
                )
            } else {
                format!("  wrk.format(\"GET\", {:?}),", p.path)
            }
        })
        .collect();
    format!(
        "-- Written by dossier-bench serve: every page in turn.
local requests = {{
{}
}}
local i = 0
request = function()
  i = i % #requests + 1
  return requests[i]
end
",
        requests.join("\n")
    )
}

/// One page's cold timings.
struct Cold {
    label: String,
    target: Duration,
    first: Vec<Duration>,
    second: Vec<Duration>,
    /// Samples whose first answer showed the change.
    fresh: usize,
}

/// For each sample and page: a change (the note re-imported with a new title), then the
/// page twice, timed. The note's own page must show its new title at once.
fn cold_timings(
    bin: &Path,
    data: &Path,
    work: &Path,
    addr: SocketAddr,
    body: &str,
    samples: usize,
) -> Result<Vec<Cold>> {
    const NOTE: &str = "dossier-bench-note";
    let note = work.join(format!("{NOTE}.md"));
    let note_arg = note.display().to_string();
    let targets = [
        (format!("/dossiers/{DOSSIER}"), "dossier page", COLD_DOSSIER),
        (format!("/bodies/{body}"), "largest body page", COLD_PAGE),
        (
            format!("/documents/{NOTE}"),
            "the changed document's page",
            COLD_PAGE,
        ),
    ];
    let mut cold: Vec<Cold> = targets
        .iter()
        .map(|(path, label, target)| Cold {
            label: format!("{label} (`{path}`)"),
            target: *target,
            first: vec![],
            second: vec![],
            fresh: 0,
        })
        .collect();
    let log = work.join("cold.log");
    let mut n = 0;
    for _ in 0..samples {
        for (i, (path, _, _)) in targets.iter().enumerate() {
            n += 1;
            let title = format!("Serving bench note {n}");
            std::fs::write(
                &note,
                format!(
                    "+++\ntitle = \"{title}\"\nkind = \"speech\"\ndate = \"1997-05-27\"\nissued_by = [\"{body}\"]\n+++\nWritten by dossier-bench serve to change the archive (change {n}).\n"
                ),
            )?;
            dossier(
                bin,
                data,
                &["import", "markdown", &note_arg, "--dossier", DOSSIER],
                &log,
            )?;
            let started = Instant::now();
            let r = client::get(addr, path, None)?;
            let first = started.elapsed();
            if r.status != 200 {
                bail!("{path} after a change: status {}", r.status);
            }
            let fresh = r.text().contains(&title);
            if path.ends_with(NOTE) && !fresh {
                bail!("{path} did not show the change ({title}) on the first request after it");
            }
            let started = Instant::now();
            let again = client::get(addr, path, None)?;
            let second = started.elapsed();
            if again.status != 200 {
                bail!("{path}: status {}", again.status);
            }
            let c = &mut cold[i];
            c.first.push(first);
            c.second.push(second);
            c.fresh += usize::from(fresh);
        }
    }
    Ok(cold)
}

/// The cache, worker and queue figures of the server's `/metrics` (Prometheus text),
/// with the cache's hit rate; `None` where the server has no `/metrics`.
fn metrics_summary(addr: SocketAddr) -> Option<String> {
    let r = client::get(addr, "/metrics", None).ok()?;
    if r.status != 200 {
        return None;
    }
    let text = r.text();
    let wanted = ["dossier_cache_", "dossier_workers", "dossier_queue_"];
    let mut figures = Vec::new();
    let (mut hits, mut misses) = (None, None);
    for line in text.lines() {
        let Some((name, value)) = line.split_once(' ') else {
            continue;
        };
        if !wanted.iter().any(|w| name.starts_with(w))
            || ["_bucket", "_sum", "_count"]
                .iter()
                .any(|s| name.contains(s))
        {
            continue;
        }
        match name {
            "dossier_cache_hits_total" => hits = value.parse::<f64>().ok(),
            "dossier_cache_misses_total" => misses = value.parse::<f64>().ok(),
            _ => {}
        }
        figures.push(format!("`{name}` {value}"));
    }
    if let (Some(h), Some(m)) = (hits, misses) {
        if h + m > 0.0 {
            figures.push(format!("cache hit rate {:.2}%", 100.0 * h / (h + m)));
        }
    }
    (!figures.is_empty()).then(|| figures.join(", "))
}

/// The medians of the runs' req/s and p99.
fn medians(runs: &[(wrk::Report, Peak)]) -> (f64, Duration) {
    let mut rps: Vec<f64> = runs.iter().map(|r| r.0.rps).collect();
    rps.sort_by(f64::total_cmp);
    let mut p99: Vec<Duration> = runs.iter().map(|r| r.0.p99).collect();
    p99.sort();
    (
        rps.get(rps.len() / 2).copied().unwrap_or(0.0),
        util::percentile(&p99, 50.0),
    )
}

/// Errors and timeouts over all the runs.
fn errors(runs: &[(wrk::Report, Peak)]) -> (u64, u64) {
    runs.iter()
        .fold((0, 0), |(e, t), r| (e + r.0.errors(), t + r.0.timeouts))
}

/// "30,381".
fn rps(v: f64) -> String {
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// "44 ms", "1.96 ms", "1.96 s".
fn latency(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().trim().to_string()
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_figures_as_the_issue_does() {
        assert_eq!(rps(30_381.4), "30,381");
        assert_eq!(rps(947.0), "947");
        assert_eq!(rps(1_234_567.0), "1,234,567");
        assert_eq!(latency(Duration::from_millis(44)), "44 ms");
        assert_eq!(latency(Duration::from_micros(1_960)), "1.96 ms");
        assert_eq!(latency(Duration::from_millis(1_960)), "1.96 s");
    }

    #[test]
    fn the_soak_script_cycles_through_every_page() {
        let page = |path: &str, json| Page {
            label: String::new(),
            path: path.into(),
            json,
            static_twin: true,
            cached_target: true,
        };
        let s = soak_script(&[page("/dossiers/x", false), page("/dossiers/x", true)]);
        assert!(s.contains("wrk.format(\"GET\", \"/dossiers/x\"),"), "{s}");
        assert!(
            s.contains(
                "wrk.format(\"GET\", \"/dossiers/x\", {[\"Accept\"] = \"application/json\"}),"
            ),
            "{s}"
        );
        assert!(s.contains("i = i % #requests + 1"), "{s}");
    }
}
