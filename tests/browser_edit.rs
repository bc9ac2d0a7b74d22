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
use common::browser::{browser_or_skip, Browser};
use common::TestServer;
use dossier_auth::Role;
use std::process::Command;

#[test]
fn an_editor_corrects_a_date_and_a_reviewer_publishes_it_in_chromium() {
    let Some(Browser { chromium, root }) = browser_or_skip("editing") else {
        return;
    };

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
