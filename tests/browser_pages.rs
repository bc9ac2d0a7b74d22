//! Every page type in a real headless browser at 360, 390 and 1366 px: no horizontal
//! scroll, axe-core with no violation, no CSP violation or script error, and screenshots
//! at 390 and 1366 px. The page list is one table in `tests/browser/pages-check.mjs`.
//!
//! Screenshots go to `target/browser-screenshots/`, or to `DOSSIER_SCREENSHOTS` when set
//! (`scripts/screenshots.sh` sets it to `docs/screenshots` to retake the committed ones).
//! `DOSSIER_PAGES=home,search` checks only the named pages.
//!
//! Needs `chromium` and `npm ci --prefix tests/browser`. Without them the test says why
//! and passes, unless `DOSSIER_REQUIRE_BROWSER=1` (CI sets it), when it fails.

mod common;

use common::accounts::{add_user, PASSWORD};
use common::browser::{browser_or_skip, Browser};
use common::TestServer;
use dossier_auth::Role;
use std::path::PathBuf;
use std::process::Command;

#[test]
fn every_page_type_fits_a_phone_and_passes_axe_in_chromium() {
    let Some(Browser { chromium, root }) = browser_or_skip("pages") else {
        return;
    };

    let server = TestServer::builtin();
    let email = "grace@archive.example";
    add_user(&server, email, "Grace Hopper", Role::Editor);

    let shots = std::env::var_os("DOSSIER_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/browser-screenshots"));
    let mut node = Command::new("node");
    node.arg(root.join("tests/browser/pages-check.mjs"))
        .arg(&server.base)
        .arg(&shots)
        .args([email, PASSWORD])
        .env("CHROMIUM", &chromium);
    if let Ok(only) = std::env::var("DOSSIER_PAGES") {
        node.arg(only);
    }
    let out = node.output().expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "pages failed in the browser ({}):\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("pages check: all pages passed"),
        "the check did not finish:\n{stdout}\n{stderr}"
    );
}
