//! Every page type in a real headless browser at 360, 390 and 1366 px: no horizontal
//! scroll, axe-core with no violation, no CSP violation or script error, and screenshots
//! at 390 and 1366 px; and a few pages of the static export of the same archive, from
//! its files. The page list is one table in `tests/browser/pages-check.mjs`.
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
use dossier_model::{Archive, Collection, Text};
use dossier_publish::export::export_site;
use dossier_publish::site::Site;
use dossier_store::{SqliteStore, Store};
use std::path::PathBuf;
use std::process::Command;

/// The built-in dossier, with what the newer page types need to show something: a
/// collection of three documents, and the Founding Act's text in English and French (a
/// few paragraphs, not the whole text: the layout is what is checked).
fn fill(store: &SqliteStore) {
    let mut archive: Archive = dossier_ingest::builtin::archive().expect("built-in dossier loads");
    archive.collections.push(Collection {
        slug: "founding-documents".into(),
        title: "Founding documents of NATO-Russia relations".into(),
        description: "The acts and charters the relations rest on.".into(),
        source: Some("The built-in dossier".into()),
        url: None,
    });
    for d in archive.documents.iter_mut().take(3) {
        d.collections.push("founding-documents".into());
    }
    let act = archive
        .documents
        .iter_mut()
        .find(|d| d.slug == "founding-act-1997")
        .expect("the Founding Act");
    act.texts = vec![
        Text::plain(
            "en",
            "NATO and Russia, based on an enduring political commitment undertaken at the highest political level, will build together a lasting and inclusive peace in the Euro-Atlantic area.\n\nNATO and Russia do not consider each other as adversaries.",
            None,
        ),
        Text::plain(
            "fr",
            "L'OTAN et la Russie, sur la base d'un engagement politique durable pris au plus haut niveau politique, construiront ensemble une paix durable et sans exclusive dans la région euro-atlantique.\n\nL'OTAN et la Russie ne se considèrent pas comme des adversaires.",
            None,
        ),
    ];
    // A second record of Lord Robertson, merged into the built-in one by the test (the
    // merge pages show it).
    archive.people.push(
        serde_json::from_value(serde_json::json!({
            "slug": "lord-robertson", "name": "Lord Robertson of Port Ellen"
        }))
        .expect("a person"),
    );
    store.write(&archive).expect("the archive stores");
}

#[test]
fn every_page_type_fits_a_phone_and_passes_axe_in_chromium() {
    let Some(Browser { chromium, root }) = browser_or_skip("pages") else {
        return;
    };

    let server = TestServer::with(fill);
    let email = "grace@archive.example";
    // An admin: every role's pages, the editors' and the accounts' ones.
    add_user(&server, email, "Grace Hopper", Role::Admin);
    // Merge 1, for the merge pages.
    server
        .store
        .merges()
        .expect("the store merges")
        .merge(
            dossier_model::RecordType::Person,
            "lord-robertson",
            "george-robertson",
            &dossier_store::Author::cli(),
            "The same Secretary General.",
        )
        .expect("the merge");

    let shots = std::env::var_os("DOSSIER_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/browser-screenshots"));
    // The static export of the same archive, checked from its files.
    let export = tempfile::tempdir().unwrap();
    let site = Site::new("https://archive.example.org/").unwrap();
    export_site(server.store.as_ref(), &site, export.path(), &|_, _| {}).expect("the export");
    let mut node = Command::new("node");
    node.arg(root.join("tests/browser/pages-check.mjs"))
        .arg(&server.base)
        .arg(&shots)
        .args([email, PASSWORD])
        .env("CHROMIUM", &chromium)
        .env("STATIC_SITE", export.path());
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
