//! What every class of the suite shares: an archive in a temporary directory, the real
//! binary run on it with a guard against hangs, the store's fingerprint, a real server,
//! and the tally of what each input got.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_dossier");

/// How long one command may run before the suite calls it a hang. Not a timing
/// assertion: every input here finishes in well under a second when it is handled;
/// this only keeps a regression from hanging CI.
const HANG: Duration = Duration::from_secs(180);

/// What one command did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

/// Runs `dossier --data-dir DIR ARGS…` from the repository root, with nothing taken from
/// the environment; fails the test on a signal (a crash or an abort) or a hang.
pub fn dossier(data_dir: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("DOSSIER_DATA_DIR")
        .env_remove("DOSSIER_ADDR")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the dossier binary starts");
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            panic!(
                "`dossier {}` did not finish (a hang)",
                short(&args.join(" "))
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = out.join().unwrap();
    let stderr = err.join().unwrap();
    let Some(code) = status.code() else {
        panic!(
            "`dossier {}` was killed by a signal ({status}): a crash\n{}",
            short(&args.join(" ")),
            short(&stderr)
        );
    };
    Run {
        code,
        stdout,
        stderr,
    }
}

fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// The first 300 characters of a long text, for messages.
pub fn short(s: &str) -> String {
    if s.chars().count() <= 300 {
        s.to_string()
    } else {
        format!(
            "{}… ({} bytes)",
            s.chars().take(300).collect::<String>(),
            s.len()
        )
    }
}

/// What the store holds, in numbers that any write changes: rows of every table and the
/// last change's sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Vec<i64>);

/// A data directory with an archive in it.
pub struct Archive {
    pub dir: tempfile::TempDir,
    pub files: tempfile::TempDir,
}

impl Archive {
    /// A fresh archive holding the built-in dossier and the visits excerpt, so that
    /// "unchanged" means something.
    pub fn seeded() -> Self {
        let a = Archive {
            dir: tempfile::tempdir().unwrap(),
            files: tempfile::tempdir().unwrap(),
        };
        let r = a.run(&["load-builtin"]);
        assert!(r.ok(), "load-builtin: {}", r.stderr);
        let r = a.run(&[
            "import",
            "records",
            "--mapping",
            "mappings/visits.toml",
            "tests/fixtures/visits-excerpt.xml",
        ]);
        assert!(r.ok(), "visits excerpt: {}", r.stderr);
        a
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        dossier(self.dir.path(), args)
    }

    /// Writes `bytes` to a file named `name` beside the archive and returns its path.
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.files.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    pub fn fingerprint(&self) -> Fingerprint {
        let db = rusqlite::Connection::open_with_flags(
            self.dir.path().join("dossier.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut v = Vec::new();
        for table in [
            "dossiers",
            "sections",
            "section_refs",
            "records",
            "links",
            "changes",
        ] {
            v.push(
                db.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
                    .unwrap(),
            );
        }
        v.push(
            db.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| {
                r.get(0)
            })
            .unwrap(),
        );
        Fingerprint(v)
    }

    /// Runs an import of hostile input and checks what it got: a refusal that names the
    /// file and leaves the store as it was, or an acceptance. Returns whether it was
    /// refused (and its message).
    pub fn attempt(&self, args: &[&str], file: &Path) -> Outcome {
        let before = self.fingerprint();
        let r = self.run(args);
        if r.ok() {
            return Outcome::Accepted(r.stdout);
        }
        // The message names the hostile file, or the input file it was applied to (a
        // mapping's source address is checked on each record it is given to).
        let name = file.file_name().unwrap().to_string_lossy();
        let named = r.stderr.contains(&*name)
            || args
                .iter()
                .any(|a| a.contains('.') && Path::new(a).is_file() && r.stderr.contains(&**a));
        assert!(
            named,
            "`dossier {}` was refused without naming the file:\n{}",
            short(&args.join(" ")),
            short(&r.stderr)
        );
        assert!(
            !r.stderr.contains("panicked"),
            "a panic is not a refusal:\n{}",
            short(&r.stderr)
        );
        assert_eq!(
            before,
            self.fingerprint(),
            "a refused import changed the store: {}",
            short(&r.stderr)
        );
        Outcome::Refused(r.stderr)
    }
}

pub enum Outcome {
    Refused(String),
    Accepted(String),
}

impl Outcome {
    pub fn refused(&self) -> bool {
        matches!(self, Outcome::Refused(_))
    }

    pub fn message(&self) -> &str {
        match self {
            Outcome::Refused(m) | Outcome::Accepted(m) => m,
        }
    }
}

/// How many inputs of a class were tried and what they got; printed when dropped.
pub struct Tally {
    class: &'static str,
    pub refused: usize,
    pub accepted: usize,
}

impl Tally {
    pub fn new(class: &'static str) -> Self {
        Tally {
            class,
            refused: 0,
            accepted: 0,
        }
    }

    pub fn count(&mut self, refused: bool) {
        if refused {
            self.refused += 1;
        } else {
            self.accepted += 1;
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            println!(
                "hostile {:<28} {:>4} inputs: {:>4} refused, {:>4} accepted safely",
                self.class,
                self.refused + self.accepted,
                self.refused,
                self.accepted
            );
        }
    }
}

/// A real `dossier serve` on a free port over an archive; stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn start(archive: &Archive) -> Self {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(archive.path())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env_remove("DOSSIER_DATA_DIR")
            .env_remove("DOSSIER_ADDR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("the server says where it serves")
                .unwrap();
            if let Some(i) = line.find("http://") {
                let rest = &line[i..];
                break rest.split_whitespace().next().unwrap().to_string();
            }
        };
        // Keep reading its output so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server { child, base }
    }

    /// A GET; `None` when the server did not answer at all.
    pub fn get(&self, path: &str, accept: &str) -> Option<(u16, String)> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut r = agent
            .get(format!("{}{path}", self.base))
            .header("Accept", accept)
            .call()
            .ok()?;
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_default();
        Some((status, body))
    }

    /// Fails the test unless the server still answers its home page.
    pub fn assert_alive(&self, after: &str) {
        match self.get("/", "text/html") {
            Some((200, _)) => {}
            other => panic!(
                "the server stopped answering after {}: {:?}",
                short(after),
                other.map(|(s, _)| s)
            ),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small deterministic generator (xorshift), so that every run tries the same inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Percent-encodes a query value for a URL.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
