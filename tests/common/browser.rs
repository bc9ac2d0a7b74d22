//! What the real-browser tests (tests/browser_*.rs) need: Debian's Chromium, node, and
//! `npm ci --prefix tests/browser` (puppeteer-core, axe-core). Without them a test says why
//! and passes, unless `DOSSIER_REQUIRE_BROWSER=1` (CI sets it), when it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the browser scripts run from: the Chromium binary (`CHROMIUM`, else
/// /usr/bin/chromium) and the repository root (the scripts are under tests/browser/).
pub struct Browser {
    pub chromium: PathBuf,
    pub root: PathBuf,
}

/// The browser, or `None` after saying why `test` cannot run (a panic instead under
/// `DOSSIER_REQUIRE_BROWSER=1`).
pub fn browser_or_skip(test: &str) -> Option<Browser> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    match missing(&chromium, &root.join("tests/browser/node_modules")) {
        None => Some(Browser { chromium, root }),
        Some(why) => {
            if std::env::var("DOSSIER_REQUIRE_BROWSER").as_deref() == Ok("1") {
                panic!("DOSSIER_REQUIRE_BROWSER=1, but the browser test cannot run: {why}");
            }
            eprintln!("skipped: the browser {test} test cannot run: {why}");
            None
        }
    }
}

/// What is missing to run the browser, if anything.
fn missing(chromium: &Path, modules: &Path) -> Option<String> {
    if !chromium.is_file() {
        return Some(format!(
            "no Chromium at {} (apt-get install chromium, or set CHROMIUM)",
            chromium.display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("no node on PATH".into());
    }
    if !modules.join("puppeteer-core").is_dir() || !modules.join("axe-core").is_dir() {
        return Some(format!(
            "no puppeteer-core or axe-core in {} (npm ci --prefix tests/browser)",
            modules.display()
        ));
    }
    None
}
