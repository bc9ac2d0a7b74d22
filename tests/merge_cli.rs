//! `dossier merge` (issue 28) as a user runs it: the built-in dossier, then the Russian
//! visits of HistoryAtState/visits imported with reconciliation turned off, which makes
//! the country a second body (`russia`) beside the built-in `russian-federation` (the
//! issue's finding). The merge joins them; its links, the pages' data, the search index
//! and the history follow; `--undo` puts everything back. Hostile arguments are refused
//! with a message and write nothing.

#[path = "common/cli.rs"]
mod cli;

use cli::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A data directory with the built-in dossier and three visits linked to a body `russia`.
fn archive_with_russia_twice() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = dossier(dir.path(), &["load-builtin"]);
    assert!(o.status.success(), "{}", out(&o));
    // The visits mapping with reconciliation of the country turned off (`match = []`), as
    // before issue 28: the import makes the body its records name.
    let mapping = std::fs::read_to_string("mappings/visits.toml")
        .unwrap()
        .replacen("kind = \"state\"\n", "kind = \"state\"\nmatch = []\n", 1);
    assert!(mapping.contains("match = []"));
    let mapping_path = dir.path().join("visits-unreconciled.toml");
    std::fs::write(&mapping_path, mapping).unwrap();
    let o = dossier(
        dir.path(),
        &[
            "import",
            "records",
            "tests/fixtures/visits-russia-excerpt.xml",
            "--mapping",
            mapping_path.to_str().unwrap(),
            "--collection",
            "visits",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    dir
}

fn search_slugs(dir: &Path, query: &str) -> Vec<String> {
    let o = dossier(dir, &["search", "--json", query]);
    assert!(o.status.success(), "{}", out(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["slug"].as_str().unwrap().to_string())
        .collect()
}

const VISITS: [&str; 3] = ["visit-779", "visit-913", "visit-949"];

/// `dossier serve` on a free port over `dir`, killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(dir: &Path) -> Served {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .env_remove("DOSSIER_DATA_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("prints its address")
            .trim_end_matches('/')
            .to_string();
        Served { child, base }
    }

    /// Status, `Location` and body of a GET that follows no redirect.
    fn get(&self, path: &str, json: bool) -> (u16, Option<String>, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .build()
            .into();
        let mut req = agent.get(&format!("{}{path}", self.base));
        if json {
            req = req.header("Accept", "application/json");
        }
        let mut r = req.call().unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        (
            r.status().as_u16(),
            location,
            r.body_mut().read_to_string().unwrap(),
        )
    }

    fn json(&self, path: &str) -> serde_json::Value {
        let (status, _, body) = self.get(path, true);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_body_imported_twice_is_merged_and_the_merge_undone() {
    let dir = archive_with_russia_twice();
    let d = dir.path();
    assert_eq!(
        search_slugs(d, "type:event collection:visits body:russia").len(),
        3
    );

    // A dry run says what would move and writes nothing.
    let o = dossier(
        d,
        &["merge", "body", "russia", "russian-federation", "--dry-run"],
    );
    assert!(o.status.success(), "{}", out(&o));
    let text = stdout(&o);
    assert!(
        text.contains("Would merge body `russia` into `russian-federation` (nothing written"),
        "{text}"
    );
    assert!(
        text.contains("Links would move to `russian-federation` in 3 records:"),
        "{text}"
    );
    for v in VISITS {
        assert!(text.contains(&format!("  event {v}\n")), "{text}");
    }
    let o = dossier(d, &["merge", "--list"]);
    assert_eq!(stdout(&o), "No merges yet.\n");

    // The merge.
    let o = dossier(
        d,
        &[
            "merge",
            "body",
            "russia",
            "russian-federation",
            "--comment",
            "the country of the visits is the built-in Russian Federation",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("Merged body `russia` into `russian-federation` (merge #1).\n"),
        "{text}"
    );
    assert!(
        text.contains("Links moved to `russian-federation` in 3 records:"),
        "{text}"
    );
    assert!(text.contains("Undo: dossier merge --undo 1"), "{text}");

    // The search index followed: the visits are the Russian Federation's now.
    let found = search_slugs(d, "type:event collection:visits body:russian-federation");
    for v in VISITS {
        assert!(found.contains(&v.to_string()), "{v} in {found:?}");
    }
    // (A search for body:russia finds them too: `Russia` is a name of the survivor now.)

    // The list, as text and JSON.
    let o = dossier(d, &["merge", "--list"]);
    let line = stdout(&o);
    assert!(line.starts_with("#1  "), "{line}");
    assert!(
        line.contains("body russia -> russian-federation  by cli  3 relinked"),
        "{line}"
    );
    let o = dossier(d, &["merge", "--list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(list[0]["id"], 1);
    assert_eq!(list[0]["relinked"].as_array().unwrap().len(), 3);
    assert_eq!(list[0]["undone"], serde_json::Value::Null);

    // The pages' data: the visits link to the survivor, which has the other's name and
    // the visits; the old address answers 301; the history names the merge.
    {
        let site = Served::start(d);
        let event = site.json("/events/visit-913");
        assert_eq!(event["bodies"][0]["slug"], "russian-federation");
        assert_eq!(event["bodies"].as_array().unwrap().len(), 1);
        let body = site.json("/bodies/russian-federation");
        let body_text = body.to_string();
        assert!(
            body_text.contains("\"Russia\""),
            "the other's name: {body_text}"
        );
        for v in VISITS {
            assert!(body_text.contains(v), "{v} on the survivor's page");
        }
        let (status, location, _) = site.get("/bodies/russia", false);
        assert_eq!(status, 301);
        assert!(
            location
                .as_deref()
                .unwrap()
                .ends_with("/bodies/russian-federation"),
            "{location:?}"
        );
        let history = site.json("/events/visit-913/history");
        let comment = history["revisions"][0]["comment"].as_str().unwrap();
        assert_eq!(
            comment,
            "merge #1: body `russia` into `russian-federation`: the country of the visits is the built-in Russian Federation"
        );
        let gone = site.json("/bodies/russia/history");
        assert_eq!(gone["revisions"][0]["deleted"], true);
    }

    // Merging it again: it is gone, and the message says where it went.
    let o = dossier(d, &["merge", "body", "russia", "russian-federation"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no body `russia` (it was merged into `russian-federation`"),
        "{}",
        stderr(&o)
    );

    // The undo: every record as it was, the visits found under `russia` again.
    let o = dossier(
        d,
        &["merge", "--undo", "1", "--comment", "two records after all"],
    );
    assert!(o.status.success(), "{}", out(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("Undid merge #1: body `russia` is back"),
        "{text}"
    );
    assert!(
        text.contains("Links point at `russia` again in 3 records."),
        "{text}"
    );
    assert_eq!(
        search_slugs(d, "type:event collection:visits body:russia").len(),
        3
    );
    assert!(search_slugs(d, "type:event collection:visits body:russian-federation").is_empty());
    {
        let site = Served::start(d);
        assert_eq!(
            site.json("/events/visit-913")["bodies"][0]["slug"],
            "russia"
        );
        assert_eq!(site.json("/bodies/russia")["slug"], "russia");
        let rf = site.json("/bodies/russian-federation").to_string();
        assert!(!rf.contains("visit-913"), "{rf}");
        let history = site.json("/events/visit-913/history");
        assert_eq!(
            history["revisions"][0]["comment"],
            "undo of merge #1: body `russia` into `russian-federation`: two records after all"
        );
    }
    // Undo twice: refused.
    let o = dossier(d, &["merge", "--undo", "1"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("cannot undo merge #1: the merge was undone already"),
        "{}",
        stderr(&o)
    );
    let o = dossier(d, &["merge", "--list"]);
    assert!(stdout(&o).contains("(undone by cli at "), "{}", stdout(&o));
}

#[test]
fn an_undo_is_refused_once_a_merged_record_changed() {
    let dir = archive_with_russia_twice();
    let d = dir.path();
    let o = dossier(d, &["merge", "body", "russia", "russian-federation"]);
    assert!(o.status.success(), "{}", out(&o));
    // The survivor is edited since (through the web form, the API or here a reload of
    // the built-in data with --overwrite-edits, which rewrites it without the alias).
    let o = dossier(d, &["load-builtin", "--overwrite-edits"]);
    assert!(o.status.success(), "{}", out(&o));
    let o = dossier(d, &["merge", "--undo", "1"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("body `russian-federation` changed since the merge"),
        "{}",
        stderr(&o)
    );
    // Nothing moved: the merge stands.
    let o = dossier(d, &["merge", "--list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(list[0]["undone"], serde_json::Value::Null);
    assert_eq!(
        search_slugs(d, "type:event collection:visits body:russian-federation").len(),
        3
    );
}

#[test]
fn hostile_and_mistaken_merges_are_refused_and_write_nothing() {
    let dir = archive_with_russia_twice();
    let d = dir.path();
    let refused = |args: &[&str], message: &str| {
        let o = dossier(d, args);
        assert!(!o.status.success(), "{args:?} succeeded: {}", out(&o));
        assert!(stderr(&o).contains(message), "{args:?}: {}", stderr(&o));
    };
    refused(
        &["merge", "body", "nato", "nato"],
        "a record cannot be merged into itself",
    );
    refused(
        &["merge", "body", "no-such-body", "nato"],
        "no body `no-such-body`",
    );
    refused(
        &["merge", "body", "nato", "no-such-body"],
        "no body `no-such-body`",
    );
    // Another type's slug: `vladimir-putin` is a person.
    refused(
        &["merge", "body", "vladimir-putin", "nato"],
        "no body `vladimir-putin`",
    );
    refused(
        &["merge", "person", "russia", "vladimir-putin"],
        "no person `russia`",
    );
    refused(&["merge", "document", "a", "b"], "invalid value 'document'");
    refused(&["merge", "dossier", "a", "b"], "invalid value 'dossier'");
    refused(&["merge", "body", "russia"], "<INTO>");
    refused(&["merge"], "<RECORD>");
    refused(&["merge", "--undo", "42"], "no merge #42");
    refused(&["merge", "--undo=-1"], "no merge #-1");
    refused(&["merge", "--undo", "abc"], "invalid value 'abc'");
    refused(&["merge", "--undo", "1", "--list"], "cannot be used with");
    refused(
        &["merge", "--undo", "1", "body", "russia", "nato"],
        "cannot be used with",
    );
    refused(
        &["merge", "body", "../../etc/passwd", "nato"],
        "no body `../../etc/passwd`",
    );
    refused(
        &["merge", "body", "x'); DROP TABLE records; --", "nato"],
        "no body `x'); DROP TABLE records; --`",
    );
    // None of it wrote anything.
    let o = dossier(d, &["merge", "--list"]);
    assert_eq!(stdout(&o), "No merges yet.\n");
    assert_eq!(
        search_slugs(d, "type:event collection:visits body:russia").len(),
        3
    );
    // A script in the comment is kept as text (pages escape it).
    let o = dossier(
        d,
        &[
            "merge",
            "body",
            "russia",
            "russian-federation",
            "--comment",
            "<script>alert(1)</script>",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    let site = Served::start(d);
    let (status, _, html) = site.get("/events/visit-913/history", false);
    assert_eq!(status, 200);
    assert!(!html.contains("<script>alert(1)"), "the comment is escaped");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
}
