//! Running wrk and reading its report.

use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One wrk run, as wrk reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub requests: u64,
    pub rps: f64,
    /// The latency distribution's 99th percentile.
    pub p99: Duration,
    pub connect_errors: u64,
    pub read_errors: u64,
    pub write_errors: u64,
    pub timeouts: u64,
    /// Answers whose status is neither 2xx nor 3xx (a 503 when the server sheds load).
    pub non_2xx: u64,
}

impl Report {
    /// Socket errors and bad statuses, timeouts apart.
    pub fn errors(&self) -> u64 {
        self.connect_errors + self.read_errors + self.write_errors + self.non_2xx
    }
}

/// What to ask wrk for.
pub struct Load<'a> {
    pub wrk: &'a Path,
    pub threads: u32,
    pub connections: u32,
    pub secs: u64,
    pub url: &'a str,
    /// Extra headers, as `Name: value`.
    pub headers: &'a [&'a str],
    /// A Lua script (e.g. one that cycles through several requests).
    pub script: Option<&'a Path>,
}

/// Runs wrk with `--latency` and parses its report. wrk stops itself after `secs`; it is
/// killed if it has not ended 30 s after that.
pub fn run(load: &Load) -> Result<Report> {
    let mut cmd = Command::new(load.wrk);
    cmd.arg(format!("-t{}", load.threads.min(load.connections).max(1)))
        .arg(format!("-c{}", load.connections))
        .arg(format!("-d{}s", load.secs))
        .arg("--latency");
    for h in load.headers {
        cmd.arg("-H").arg(h);
    }
    if let Some(script) = load.script {
        cmd.arg("-s").arg(script);
    }
    cmd.arg(load.url);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", load.wrk.display()))?;
    let deadline = Instant::now() + Duration::from_secs(load.secs + 30);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("wrk on {} did not end in {} s", load.url, load.secs + 30);
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        s.read_to_string(&mut out)?;
    }
    if let Some(mut s) = child.stderr.take() {
        s.read_to_string(&mut err)?;
    }
    if !status.success() {
        bail!("wrk on {} failed ({status}):\n{out}{err}", load.url);
    }
    parse(&out).with_context(|| format!("wrk's report on {}:\n{out}{err}", load.url))
}

/// Parses wrk's report (the `--latency` form).
pub fn parse(out: &str) -> Result<Report> {
    let mut r = Report::default();
    let mut rps = None;
    let mut in_distribution = false;
    for line in out.lines().map(str::trim) {
        if line.starts_with("Latency Distribution") {
            in_distribution = true;
        } else if in_distribution && line.starts_with("99%") {
            let v = line["99%".len()..].trim();
            r.p99 = duration(v).with_context(|| format!("bad 99th percentile {v:?}"))?;
            in_distribution = false;
        } else if let Some(v) = line.strip_prefix("Requests/sec:") {
            rps = Some(v.trim().parse::<f64>().context("bad Requests/sec")?);
        } else if let Some(v) = line.strip_prefix("Socket errors:") {
            for part in v.split(',') {
                let mut kv = part.split_whitespace();
                let (Some(k), Some(n)) = (kv.next(), kv.next()) else {
                    bail!("bad socket errors line {line:?}");
                };
                let n: u64 = n.parse().context("bad socket error count")?;
                match k {
                    "connect" => r.connect_errors = n,
                    "read" => r.read_errors = n,
                    "write" => r.write_errors = n,
                    "timeout" => r.timeouts = n,
                    _ => {}
                }
            }
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            r.non_2xx = v.trim().parse().context("bad Non-2xx count")?;
        } else if let Some((n, _)) = line.split_once(" requests in ") {
            r.requests = n.trim().parse().context("bad request count")?;
        }
    }
    r.rps = rps.context("no Requests/sec in wrk's report")?;
    Ok(r)
}

/// wrk's durations: `812.00us`, `1.96ms`, `2.00s`, `1.50m`, `1.00h`.
fn duration(s: &str) -> Result<Duration> {
    let units = [
        ("us", 1e-6),
        ("ms", 1e-3),
        ("s", 1.0),
        ("m", 60.0),
        ("h", 3600.0),
    ];
    for (unit, scale) in units {
        if let Some(n) = s.strip_suffix(unit) {
            if let Ok(v) = n.parse::<f64>() {
                return Ok(Duration::from_secs_f64(v * scale));
            }
        }
    }
    bail!("not a wrk duration: {s:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report as wrk 4.1 writes it, with every optional line.
    const REPORT: &str = "Running 10s test @ http://127.0.0.1:8080/dossiers/nato-russia
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   635.91us    0.89ms  1.96s    93.69%
    Req/Sec    15.20k     1.07k   18.00k    86.54%
  Latency Distribution
     50%  250.00us
     75%  491.00us
     90%  700.00us
     99%    1.96s
  303810 requests in 10.00s, 1.76GB read
  Socket errors: connect 0, read 3, write 1, timeout 12
  Non-2xx or 3xx responses: 5
Requests/sec:  30381.05
Transfer/sec:    180.10MB
";

    #[test]
    fn parses_every_figure_of_a_report() {
        let r = parse(REPORT).unwrap();
        assert_eq!(r.requests, 303_810);
        assert!((r.rps - 30_381.05).abs() < 1e-6);
        assert!((r.p99.as_secs_f64() - 1.96).abs() < 1e-6, "{:?}", r.p99);
        assert_eq!(
            (r.connect_errors, r.read_errors, r.write_errors, r.timeouts),
            (0, 3, 1, 12)
        );
        assert_eq!(r.non_2xx, 5);
        assert_eq!(r.errors(), 9);
    }

    #[test]
    fn a_clean_report_has_no_errors_and_a_bad_one_is_refused() {
        let clean: String = REPORT
            .lines()
            .filter(|l| !l.contains("errors") && !l.contains("Non-2xx"))
            .map(|l| format!("{l}\n"))
            .collect();
        let r = parse(&clean).unwrap();
        assert_eq!((r.errors(), r.timeouts), (0, 0));
        assert!(parse("wrk: invalid URL").is_err());
    }

    #[test]
    fn reads_every_unit() {
        let secs = |s: &str| duration(s).unwrap().as_secs_f64();
        assert!((secs("812.00us") - 812e-6).abs() < 1e-9);
        assert!((secs("44.00ms") - 0.044).abs() < 1e-9);
        assert!((secs("2.00s") - 2.0).abs() < 1e-9);
        assert!((secs("1.50m") - 90.0).abs() < 1e-9);
        assert!(duration("3.0x").is_err());
    }
}
