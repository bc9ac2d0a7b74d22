//! The editors' login in a real headless browser: a real server over a temporary store
//! with one editor, and `tests/browser/login-flow.mjs` driving Debian's Chromium through
//! the login page (checked with axe-core), the editor's menu and logout.
//!
//! Needs `chromium` and `npm ci --prefix tests/browser`. Without them the test says why
//! and passes, unless `DOSSIER_REQUIRE_BROWSER=1` (CI sets it), when it fails.

mod common;

use common::accounts::{add_user, PASSWORD};
use common::TestServer;
use dossier_auth::Role;
use std::path::{Path, PathBuf};
use std::process::Command;

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

#[test]
fn an_editor_logs_in_sees_the_menu_and_logs_out_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let modules = root.join("tests/browser/node_modules");
    if let Some(why) = missing(&chromium, &modules) {
        if std::env::var("DOSSIER_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("DOSSIER_REQUIRE_BROWSER=1, but the browser test cannot run: {why}");
        }
        eprintln!("skipped: the browser login test cannot run: {why}");
        return;
    }

    let server = TestServer::builtin();
    let email = "ada@archive.example";
    let name = "Ada Lovelace";
    add_user(&server, email, name, Role::Editor);

    let out = Command::new("node")
        .arg(root.join("tests/browser/login-flow.mjs"))
        .args([server.base.as_str(), email, PASSWORD, name, "editor"])
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the browser login flow failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("login flow: all steps passed"),
        "the flow did not finish:\n{stdout}\n{stderr}"
    );
}
