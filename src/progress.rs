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
                // Quick work stays quiet; long work reports every few seconds and at the end.
                let long = self.started.elapsed() >= Duration::from_secs(2);
                if long
                    && (self.last_line.elapsed() >= Duration::from_secs(5)
                        || (done == total && total > 0))
                {
                    let secs = self.started.elapsed().as_secs_f64().max(0.001);
                    eprintln!(
                        "{}: {done}/{total} ({:.0}/s)",
                        self.what,
                        done as f64 / secs
                    );
                    self.last_line = Instant::now();
                }
            }
        }
    }

    pub fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}
