//! `dossier import outline PAGE.html`, run as a user would: a refused HTML page writes
//! nothing (the store's records, dossiers and change log stay as they were), the exit code
//! is non-zero and the message names the file and what is wrong.

use std::path::Path;

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, stderr};
const SEED: &str = "tests/fixtures/nato-russia.seed.html";

/// What the store holds, in a form that changes if anything at all was written: every
/// dossier with its sections and stamps, and the change log's last entry (every write of
/// any record adds one).
fn snapshot(data_dir: &Path) -> String {
    use dossier_model::RecordType;
    use dossier_store::{SqliteStore, Store};
    let store = SqliteStore::open(&data_dir.join("dossier.db")).unwrap();
    let mut out = format!("last change {}\n", store.last_change().unwrap());
    for d in store.dossiers().unwrap() {
        out.push_str(&format!("{:?}", store.dossier(&d.slug).unwrap()));
        out.push_str(&format!(
            "{:?}",
            store.stamps(RecordType::Dossier, &d.slug).unwrap()
        ));
    }
    out
}

#[test]
fn a_refused_html_page_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(dossier(&data, &["load-builtin"]).status.success());
    let seed = std::fs::read(SEED).unwrap();

    // The page itself imports (so the refusals below are the edits' doing)…
    let ok = dossier(&data, &["import", "outline", SEED]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let before = snapshot(&data);
    assert!(
        before.contains("Formal NATO-Russia Relations"),
        "the seed page was not imported: {before}"
    );

    let with = |needle: &str, insert: &[u8]| -> Vec<u8> {
        let at = seed
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
            .unwrap_or_else(|| panic!("{needle} not in the seed"));
        let mut out = seed[..at].to_vec();
        out.extend_from_slice(insert);
        out.extend_from_slice(&seed[at..]);
        out
    };
    let deep = format!("{}x{}", "<div>".repeat(1100), "</div>".repeat(1100));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "deep.html",
            with("<h1>Formal", deep.as_bytes()),
            "elements are nested 1100 deep; expected an archive page nested at most 1024 elements deep",
        ),
        (
            "latin1.html",
            with("<h1>Formal", b"<p>Caf\xe9</p>\n"),
            "invalid UTF-8 (byte 0xe9)",
        ),
        (
            "nul.html",
            with("<h1>Formal", b"<p>a\0b</p>\n"),
            "binary data (control byte 0x00)",
        ),
        (
            "no-headings.html",
            b"<!DOCTYPE html><html><body><p>Just prose.</p><script>alert(1)</script></body></html>"
                .to_vec(),
            "the page has no <h1> or <title>; expected an archive page",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let o = dossier(&data, &["import", "outline", path.to_str().unwrap()]);
        let err = stderr(&o);
        assert!(!o.status.success(), "{name} was accepted: {err}");
        assert!(
            err.contains(&path.display().to_string()),
            "{name}: the message does not name the file: {err}"
        );
        assert!(err.contains(expected), "{name}: {err}");
        assert_eq!(snapshot(&data), before, "{name} changed the store");
    }
}
