//! `dossier reindex` while `dossier serve` searches the same data directory (issue 20,
//! finding 6), with the real binary: every search answered during and after the rebuilds
//! finds every record. (The deterministic check of the switch is in
//! crates/search/tests/rebuild.rs; this one runs the processes a user would.)

#[path = "common/cli.rs"]
mod cli;

use cli::{dossier, out, BIN};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

fn total(url: &str) -> Result<u64, String> {
    let mut r = ureq::get(&format!("{url}/search?q=nato"))
        .header("Accept", "application/json")
        .call()
        .map_err(|e| e.to_string())?;
    let v: serde_json::Value =
        serde_json::from_str(&r.body_mut().read_to_string().map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    v["total"]
        .as_u64()
        .ok_or_else(|| format!("no total in {v}"))
}

#[test]
fn searches_stay_whole_while_the_index_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--addr", "127.0.0.1:0", "--max-connections", "8"])
        .env_remove("DOSSIER_BASE_URL")
        .env_remove("DOSSIER_MAX_CONNECTIONS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("prints its address")
        .to_string();
    let full = total(&url).unwrap();
    assert!(full > 10);
    let rebuilding = AtomicBool::new(true);
    let answers = std::thread::scope(|s| {
        let poller = s.spawn(|| {
            let mut answers = Vec::new();
            loop {
                let still = rebuilding.load(Ordering::Acquire);
                answers.push(total(&url));
                if !still {
                    return answers;
                }
            }
        });
        for _ in 0..3 {
            let o = dossier(&data, &["reindex"]);
            assert!(o.status.success(), "{}", out(&o));
        }
        rebuilding.store(false, Ordering::Release);
        poller.join().unwrap()
    });
    // The server reloads the new index shortly after each rebuild: it too is whole.
    let after: Vec<_> = (0..20).map(|_| total(&url)).collect();
    server.kill().unwrap();
    server.wait().unwrap();
    let mut log = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(answers.len() > 1);
    for a in answers.iter().chain(&after) {
        assert_eq!(a.as_ref(), Ok(&full), "{answers:?} {after:?}");
    }
    // Without --base-url the server said where its absolute links point (finding 9).
    let address = url.trim_start_matches("http://");
    assert!(
        log.contains("no --base-url") && log.contains(address),
        "{log}"
    );
}
