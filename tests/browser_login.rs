//! The editors' login in a real headless browser: a real server over a temporary store
//! with one editor, and `tests/browser/login-flow.mjs` driving Debian's Chromium through
//! the login page (checked with axe-core), the editor's menu and logout.
//!
//! Needs `chromium` and `npm ci --prefix tests/browser`. Without them the test says why
//! and passes, unless `DOSSIER_REQUIRE_BROWSER=1` (CI sets it), when it fails.

mod common;

use common::accounts::{add_user, PASSWORD};
use common::browser::{browser_or_skip, Browser};
use common::TestServer;
use dossier_auth::Role;
use std::process::Command;

#[test]
fn an_editor_logs_in_sees_the_menu_and_logs_out_in_chromium() {
    let Some(Browser { chromium, root }) = browser_or_skip("login") else {
        return;
    };

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
