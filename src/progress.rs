//! Progress for long work: a bar with counts, rate and time left on a terminal; plain
//! lines (at most one every few seconds) when output goes to a file or a pipe.

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
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template(
                    "{msg:>18} [{bar:32}] {pos}/{len} ({per_sec}, {eta} left)",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.set_message(what.to_string());
            b
        });
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
