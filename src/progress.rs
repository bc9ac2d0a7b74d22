//! Progress for long work: a bar with counts, rate and time left on a terminal; plain
//! lines (at most one every few seconds) when output goes to a file or a pipe. Imports
//! report through [`ImportProgress`] (bytes of input read, with the records made).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: Option<ProgressBar>,
    what: String,
    started: Instant,
    last_line: Instant,
    /// The count of the last plain line, so that the end is reported once.
    last_done: Option<u64>,
}

impl Progress {
    /// Starts reporting `what` ("indexing changes", "importing visits").
    pub fn new(what: &str) -> Self {
        let bar = terminal_bar(
            0,
            "{msg:>18} [{bar:32}] {pos}/{len} ({per_sec}, {eta} left)",
        );
        if let Some(b) = &bar {
            b.set_message(what.to_string());
        }
        let now = Instant::now();
        Progress {
            bar,
            what: what.to_string(),
            started: now,
            last_line: now,
            last_done: None,
        }
    }

    /// Reports `done` of `total`.
    pub fn update(&mut self, done: u64, total: u64) {
        match &self.bar {
            Some(b) => {
                b.set_length(total);
                b.set_position(done);
            }
            None => {
                if let Some(line) = self.plain_line(done, total) {
                    eprintln!("{line}");
                }
            }
        }
    }

    /// The plain line to print for `done` of `total`, if one is due: quick work stays
    /// quiet; long work reports every few seconds, and its end once.
    fn plain_line(&mut self, done: u64, total: u64) -> Option<String> {
        let long = self.started.elapsed() >= Duration::from_secs(2);
        let end = done == total && total > 0 && self.last_done != Some(done);
        if !(long && (self.last_line.elapsed() >= Duration::from_secs(5) || end)) {
            return None;
        }
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        self.last_line = Instant::now();
        self.last_done = Some(done);
        Some(format!(
            "{}: {done}/{total} ({:.0}/s)",
            self.what,
            done as f64 / secs
        ))
    }

    pub fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

/// A bar of `len` drawn with `template` when stderr is a terminal; `None` otherwise.
fn terminal_bar(len: u64, template: &str) -> Option<ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let b = ProgressBar::new(len);
        b.set_style(
            ProgressStyle::with_template(template)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b
    })
}

/// An import's progress: a bar of the bytes of input read, with the records made and
/// their rate, on a terminal; a plain line every two seconds otherwise; a spinner while
/// the import finishes.
#[derive(Default)]
pub struct ImportProgress {
    pass: Option<Pass>,
}

/// The pass being reported.
struct Pass {
    bar: Option<ProgressBar>,
    label: String,
    total: u64,
    last_line: Instant,
    started: Instant,
    calls: u64,
}

impl dossier_import::Progress for ImportProgress {
    fn start(&mut self, label: &str, total: u64) {
        let bar = terminal_bar(
            total,
            "{prefix} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}) {msg} {elapsed}",
        );
        if let Some(b) = &bar {
            b.set_prefix(label.to_string());
        }
        self.pass = Some(Pass {
            bar,
            label: label.to_string(),
            total,
            last_line: Instant::now(),
            started: Instant::now(),
            calls: 0,
        });
    }

    fn update(&mut self, bytes: u64, records: usize) {
        let Some(p) = &mut self.pass else {
            return;
        };
        p.calls += 1;
        if p.calls % 256 != 1 {
            return;
        }
        let rate = records as f64 / p.started.elapsed().as_secs_f64().max(1e-6);
        match &p.bar {
            Some(b) => {
                b.set_position(bytes);
                b.set_message(format!("{records} records, {rate:.0}/s"));
            }
            None => {
                if p.last_line.elapsed() >= Duration::from_secs(2) {
                    p.last_line = Instant::now();
                    eprintln!(
                        "{}: {records} records, {:.1}/{:.1} MB, {rate:.0} records/s",
                        p.label,
                        bytes as f64 / 1e6,
                        p.total as f64 / 1e6
                    );
                }
            }
        }
    }

    fn println(&mut self, line: &str) {
        match self.pass.as_ref().and_then(|p| p.bar.as_ref()) {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn finishing(&mut self, what: &str) {
        let spinner = std::io::stderr().is_terminal().then(|| {
            let s = ProgressBar::new_spinner();
            s.set_message(what.to_string());
            s.enable_steady_tick(Duration::from_millis(120));
            s
        });
        self.pass = Some(Pass {
            bar: spinner,
            label: what.to_string(),
            total: 0,
            last_line: Instant::now(),
            started: Instant::now(),
            calls: 0,
        });
    }

    fn finish(&mut self) {
        if let Some(b) = self.pass.take().and_then(|p| p.bar) {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_come_every_few_seconds_and_the_end_once() {
        let long_ago = Instant::now() - Duration::from_secs(3);
        let mut p = Progress {
            bar: None,
            what: "indexing".into(),
            started: long_ago,
            last_line: long_ago,
            last_done: None,
        };
        assert!(
            p.plain_line(0, 10).is_none(),
            "a line came within 5 s of the last"
        );
        let end = p.plain_line(10, 10).unwrap();
        assert!(end.starts_with("indexing: 10/10 ("), "{end}");
        // The sync reports its end again while it commits: said once is enough.
        assert_eq!(p.plain_line(10, 10), None);
        p.last_line = Instant::now() - Duration::from_secs(6);
        assert!(
            p.plain_line(10, 10).is_some(),
            "every few seconds while it lasts"
        );
        let quick = Instant::now();
        let mut q = Progress {
            started: quick,
            last_line: quick,
            ..p
        };
        assert_eq!(q.plain_line(5, 5), None, "quick work stays quiet");
    }
}
