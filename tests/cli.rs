//! The `dossier` binary, run as a user would: real files, a real data directory.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, stderr, stdout, BIN};

/// What the store holds, in a form that changes if anything was written.
fn snapshot(data_dir: &Path) -> String {
    use dossier_model::RecordType;
    use dossier_store::{SqliteStore, Store};
    let store = SqliteStore::open(&data_dir.join("dossier.db")).unwrap();
    let mut out = format!("{:?}", store.dossiers().unwrap());
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
fn imports_the_seed_outline_and_reimport_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = dossier(
        dir.path(),
        &["import", "outline", "data/nato-russia.seed.txt"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("Imported dossier `formal-nato-russia-relations`"),
        "{out}"
    );
    assert!(
        out.contains("27 sections, 12 references (12 unresolved)"),
        "{out}"
    );
    assert!(out.contains("1 new, 0 changed, 0 unchanged"), "{out}");
    let o = dossier(
        dir.path(),
        &["import", "outline", "data/nato-russia.seed.txt"],
    );
    assert!(
        stdout(&o).contains("0 new, 0 changed, 1 unchanged"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn imports_the_seed_with_its_curated_data() {
    let dir = tempfile::tempdir().unwrap();
    let o = dossier(
        dir.path(),
        &[
            "import",
            "outline",
            "data/nato-russia.seed.txt",
            "--curated",
            "data/nato-russia.toml",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("Imported dossier `nato-russia`"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("(0 unresolved)"), "{}", stdout(&o));
    let o = dossier(dir.path(), &["load-builtin"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(" 0 new, 0 changed,"),
        "the built-in dossier is the same import: {}",
        stdout(&o)
    );
}

#[test]
fn refuses_what_is_not_an_outline_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(dossier(&data, &["load-builtin"]).status.success());
    let before = snapshot(&data);

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "binary.dat",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec(),
            ":1: binary data (control byte 0x02); expected a plain-text archive outline",
        ),
        (
            "nul.txt",
            b"Title\n\nA. Part\n\0\n".to_vec(),
            ":4: binary data (control byte 0x00)",
        ),
        (
            "latin1.txt",
            b"Formal NATO-Russia Relations\n\nA. Official Documents\n\nCaf\xe9 society\n".to_vec(),
            ":5:4: invalid UTF-8 (byte 0xe9); expected a UTF-8 text file",
        ),
        (
            "prose.txt",
            b"A title\n\nJust a paragraph of prose, no heading at all.\nAnd another line.\n"
                .to_vec(),
            ":3: found text before any heading",
        ),
        (
            "title-only.txt",
            b"Only a title\n".to_vec(),
            "reached the end of the file without a heading; expected part or section headings",
        ),
        (
            "empty.txt",
            Vec::new(),
            ":1: the file is empty; expected a dossier title on the first line",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let o = dossier(&data, &["import", "outline", path.to_str().unwrap()]);
        assert!(!o.status.success(), "{name} was accepted");
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{}", path.display())),
            "{name}: the file is not named: {err}"
        );
        assert!(err.contains(expected), "{name}: {err}");
        assert_eq!(snapshot(&data), before, "{name} changed the store");
    }
}

#[test]
fn bad_curated_data_is_reported_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(dossier(&data, &["load-builtin"]).status.success());
    let before = snapshot(&data);
    let curated = std::fs::read_to_string("data/nato-russia.toml").unwrap();
    let broken = curated.replacen(
        "parties = [\"nato\", \"russian-federation\"]",
        "parties = [\"nato\", \"atlantis\"]",
        1,
    );
    assert_ne!(broken, curated);
    let path = dir.path().join("broken.toml");
    std::fs::write(&path, broken).unwrap();
    let o = dossier(
        &data,
        &[
            "import",
            "outline",
            "data/nato-russia.seed.txt",
            "--curated",
            path.to_str().unwrap(),
        ],
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("field `parties`: no body `atlantis` in the archive"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(snapshot(&data), before);
}

#[test]
fn help_is_written_for_a_person() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expect) in [
        (
            vec!["--help"],
            "An archive engine for formal international relations",
        ),
        (
            vec!["serve", "--help"],
            "On first start with an empty data directory",
        ),
        (vec!["import", "--help"], "Bring records into the archive"),
        (
            vec!["import", "outline", "--help"],
            "The import is all or nothing",
        ),
        (vec!["load-builtin", "--help"], "Safe to run again"),
    ] {
        let o = dossier(dir.path(), &args);
        assert!(o.status.success(), "{args:?}");
        let out = stdout(&o);
        assert!(out.contains(expect), "{args:?}: {out}");
        assert!(
            out.contains("DOSSIER_DATA_DIR"),
            "{args:?} names the env fallback"
        );
    }
}

#[test]
fn serve_creates_its_data_directory_and_loads_the_builtin_dossier() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh").join("data");
    let mut child = Command::new(BIN)
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "serve",
            "--addr",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("prints its address")
        .to_string();
    let result = ureq::get(&format!("{url}/dossiers/nato-russia"))
        .call()
        .map(|mut r| r.body_mut().read_to_string().unwrap());
    child.kill().unwrap();
    child.wait().unwrap();
    let html = result.unwrap();
    assert!(html.contains("<h1>Formal NATO-Russia Relations</h1>"));
    assert!(data.join("dossier.db").exists());
}

#[test]
fn search_prints_a_table_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let o = dossier(dir.path(), &["search", "\"Founding Act\""]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("results for \"Founding Act\""), "{out}");
    let first_row = out
        .lines()
        .find(|l| l.trim_start().starts_with("1 "))
        .unwrap();
    assert!(first_row.contains("/documents/founding-act-1997"), "{out}");
    let o = dossier(dir.path(), &["search", "--json", "PJC"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["hits"][0]["slug"], "pjc");
    let o = dossier(dir.path(), &["search", "(unclosed"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("this query cannot be run: a `(` is never closed"),
        "{}",
        stderr(&o)
    );
    let o = dossier(dir.path(), &["reindex"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("29 documents, 27 sections, 20 bodies"),
        "{}",
        stdout(&o)
    );
}

/// `dossier search nato | head -1`: the reader goes before the results are written. The
/// command ends quietly and successfully, as Unix tools do; it used to panic ("failed
/// printing to stdout: Broken pipe").
#[test]
fn search_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["search", "nato"][..], &["search", "--json", "nato"]] {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the command has written anything.
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{args:?}: {:?} {err}", o.status);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// Issue 20, finding 1: `dossier search` with a query of a few hundred `-` (or thousands of
/// `(` or NOTs) aborted with a stack overflow. It now says why the query cannot be run and
/// exits with an error: a status code, not a signal.
#[test]
fn search_refuses_hostile_queries_with_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (format!("{}a", "-".repeat(240)), "nest more than 16 deep"),
        ("(".repeat(10_000), "characters long"),
        (format!("{}a", "NOT ".repeat(5_000)), "characters long"),
        ("a OR ".repeat(10_000), "characters long"),
        (format!("{}a", "-(".repeat(20)), "nest more than 16 deep"),
        (
            "nato ".repeat(65),
            "more than 64 words, phrases and filters",
        ),
    ];
    for (q, expected) in &cases {
        let o = dossier(dir.path(), &["search", "--", q]);
        assert_eq!(o.status.code(), Some(1), "{}: {o:?}", &q[..40]);
        assert!(
            stderr(&o).contains("this query cannot be run: ") && stderr(&o).contains(expected),
            "{}",
            stderr(&o)
        );
    }
    let o = dossier(
        dir.path(),
        &["search", "--", &format!("{}nato", "-".repeat(16))],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn imported_records_are_searchable_at_once() {
    let dir = tempfile::tempdir().unwrap();
    assert!(dossier(dir.path(), &["load-builtin"]).status.success());
    let o = dossier(
        dir.path(),
        &[
            "import",
            "tei",
            "../shared/corpora/historyatstate/milestones/chapters/1993-2000.xml",
            "--dossier",
            "nato-russia",
            "--kind",
            "research-study",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = dossier(
        dir.path(),
        &[
            "search",
            "--json",
            "\"Evolution of NATO\" kind:research-study",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let hits = json["hits"].as_array().unwrap();
    assert!(
        hits.iter()
            .any(|h| h["slug"].as_str().unwrap().contains("evolution-of-nato")),
        "{json}"
    );
    assert!(json["facets"]["kind"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["value"] == "research-study"));
}

/// A command that writes waits for the process that holds the archive's writer lock (here
/// the test, as an import would), says who that is, and completes once it lets go; `search`
/// meanwhile answers from the index as it is instead of waiting.
#[test]
fn a_second_writer_waits_for_the_first_and_search_does_not() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    assert!(dossier(dir.path(), &["load-builtin"]).status.success());
    let mut lock = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.path().join("writer.lock"))
        .unwrap();
    lock.lock().unwrap();
    lock.set_len(0).unwrap();
    lock.write_all(b"pid 1: import records, since 2026-12-04T20:00:00Z\n")
        .unwrap();
    let holder = "(pid 1: import records, since 2026-12-04T20:00:00Z)";

    let o = dossier(dir.path(), &["search", "--json", "PJC"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "another dossier process is writing to this archive {holder}"
        )),
        "{}",
        stderr(&o)
    );
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["hits"][0]["slug"], "pjc");

    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("load-builtin")
        .env_remove("DOSSIER_DATA_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(
        line.starts_with(&format!(
            "waiting: another dossier process is writing to this archive {holder}"
        )),
        "{line}"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "load-builtin went on while another process held the writer lock"
    );
    drop(lock);
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    assert!(
        stdout(&o).contains("Built-in dossier loaded: 0 new, 0 changed"),
        "{}",
        stdout(&o)
    );
}
