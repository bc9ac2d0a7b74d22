//! The editing workflow in a real headless browser (issue 24): a real server over the
//! built-in dossier with an editor and a reviewer, and `tests/browser/edit-flow.mjs`
//! driving Debian's Chromium: the editor corrects the Founding Act's date on its edit
//! form and sends it to review; the reviewer opens the draft from /drafts, sees the diff
//! with the old and the new date, and publishes it; the public page and /search show the
//! new date. axe-core checks the edit form and the draft page.
//!
//! Needs `chromium` and `npm ci --prefix tests/browser`. Without them the test says why
//! and passes, unless `DOSSIER_REQUIRE_BROWSER=1` (CI sets it), when it fails.

mod common;

use common::accounts::{add_user, PASSWORD};
use common::TestServer;
use dossier_auth::Role;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What is missing to run the browser, if anything (as in tests/browser_login.rs).
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
fn an_editor_corrects_a_date_and_a_reviewer_publishes_it_in_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let modules = root.join("tests/browser/node_modules");
    if let Some(why) = missing(&chromium, &modules) {
        if std::env::var("DOSSIER_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("DOSSIER_REQUIRE_BROWSER=1, but the browser test cannot run: {why}");
        }
        eprintln!("skipped: the browser editing test cannot run: {why}");
        return;
    }

    let server = TestServer::builtin();
    let (editor, reviewer) = ("editor@archive.example", "reviewer@archive.example");
    add_user(&server, editor, "Eddie Editor", Role::Editor);
    add_user(&server, reviewer, "Rita Reviewer", Role::Reviewer);
    let (slug, old, new) = ("founding-act-1997", "1997-05-27", "1997-05-14");

    let out = Command::new("node")
        .arg(root.join("tests/browser/edit-flow.mjs"))
        .args([
            server.base.as_str(),
            editor,
            reviewer,
            PASSWORD,
            slug,
            old,
            new,
        ])
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the browser editing flow failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("edit flow: all steps passed"),
        "the flow did not finish:\n{stdout}\n{stderr}"
    );
    // What the browser did is what the store holds: the reviewer's publication of the
    // editor's revision.
    let doc = dossier_store::Store::document(&*server.store, slug)
        .unwrap()
        .unwrap();
    assert_eq!(doc.date.unwrap().to_string(), new);
}
