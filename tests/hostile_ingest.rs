//! Hostile input to the importers, run through the real binary (issue 20, findings 4, 5,
//! 7 and 10): each is refused with a clear error naming the file (and line), and the
//! store is left as it was. An archive with records in it comes first, so that
//! "unchanged" means something.

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, stderr};
use dossier_store::{DocumentQuery, EventQuery, SqliteStore, Store};
use std::path::Path;

const GOOD: &str = "tests/fixtures/visits-excerpt.xml";
const MAPPING: &str = "mappings/visits.toml";

/// A data directory holding the visits excerpt.
fn archive() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let o = dossier(
        dir.path(),
        &["import", "records", "--mapping", MAPPING, GOOD],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    dir
}

/// What the store holds: its last change and its records.
fn state(dir: &Path) -> (i64, usize, usize, usize, usize) {
    let store = SqliteStore::open(&dir.join("dossier.db")).unwrap();
    (
        store.last_change().unwrap(),
        store.events(&EventQuery::default()).unwrap().len(),
        store.documents(&DocumentQuery::default()).unwrap().len(),
        store.bodies(None).unwrap().len(),
        store.dossiers().unwrap().len(),
    )
}

/// Runs `args` on an archive; it must fail with every one of `expect` in its error, and
/// leave the store as it was.
fn refused(args: &[&str], expect: &[&str]) -> String {
    let dir = archive();
    let before = state(dir.path());
    assert!(before.1 > 0);
    let o = dossier(dir.path(), args);
    let err = stderr(&o);
    assert!(!o.status.success(), "{args:?} was accepted: {err}");
    for e in expect {
        assert!(err.contains(e), "{args:?}: expected {e:?} in:\n{err}");
    }
    assert_eq!(state(dir.path()), before, "{args:?} changed the store");
    err
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

/// Finding 4: 80,000 attributes on one element took 20 s of CPU (quick-xml's duplicate
/// check is quadratic); now refused at the 257th, in record XML and TEI alike.
#[test]
fn eighty_thousand_attributes_are_refused() {
    let files = tempfile::tempdir().unwrap();
    let attrs: String = (0..80_000).map(|i| format!(" a{i}=\"v\"")).collect();
    let xml = format!("<visits>\n<visit{attrs}><id>1</id></visit></visits>\n");
    let f = write(files.path(), "attrs.xml", xml.as_bytes());
    refused(
        &["import", "records", "--mapping", MAPPING, GOOD, &f],
        &[
            &format!("{f}:2:1: element <visit> has more than 256 attributes"),
            "nothing was written",
        ],
    );
    let tei = format!("<TEI>\n<text{attrs}/></TEI>\n");
    let t = write(files.path(), "attrs-tei.xml", tei.as_bytes());
    refused(
        &["import", "tei", &t],
        &[&format!(
            "{t}:2:1: element <text> has more than 256 attributes"
        )],
    );
}

/// Finding 5: 64 KB of `[` in YAML front matter took 5.5 s before the parser's limit.
#[test]
fn deeply_nested_front_matter_is_refused() {
    let files = tempfile::tempdir().unwrap();
    let md = format!(
        "---\ntitle: x\nkind: statement\ntags: {}\n---\nText.\n",
        "[".repeat(64 * 1024)
    );
    let f = write(files.path(), "deep.md", md.as_bytes());
    refused(
        &["import", "markdown", &f],
        &[
            &format!("{f}:4:1"),
            "field `front matter`",
            "nests deeper than 64 levels",
        ],
    );
    let md = format!(
        "+++\ntitle = \"x\"\nkind = \"statement\"\ntags = {}\n+++\nText.\n",
        "[".repeat(64 * 1024)
    );
    let f = write(files.path(), "deep-toml.md", md.as_bytes());
    refused(
        &["import", "markdown", &f],
        &[&format!("{f}:4:1"), "field `front matter`"],
    );
}

/// Finding 7: a mapping or an outline read from a file that never ends grew memory
/// without limit; now the read stops one byte past the limit.
#[cfg(target_os = "linux")]
#[test]
fn endless_files_are_refused_at_their_limit() {
    refused(
        &["import", "records", "--mapping", "/dev/zero", GOOD],
        &["/dev/zero: larger than 1 MiB, the most a mapping file may hold"],
    );
    refused(
        &["import", "outline", "/dev/zero"],
        &["/dev/zero: larger than 16 MiB, the most an outline may hold"],
    );
    refused(
        &[
            "import",
            "outline",
            "data/nato-russia.seed.txt",
            "--curated",
            "/dev/urandom",
        ],
        &["/dev/urandom: larger than 16 MiB, the most a curated data file may hold"],
    );
    // Streamed inputs (XML, CSV, Markdown) must be regular files: a device is refused
    // before it is read.
    refused(
        &["import", "markdown", "/dev/zero"],
        &["/dev/zero is not a file"],
    );
    refused(
        &["import", "records", "--mapping", MAPPING, "/dev/zero"],
        &["/dev/zero is not a file"],
    );
}

/// Finding 7: a Markdown record is read whole, so a file past the limit is refused (a
/// sparse file: its size is known before a byte is read).
#[test]
fn a_markdown_file_past_the_limit_is_refused() {
    let files = tempfile::tempdir().unwrap();
    let f = write(files.path(), "huge.md", b"---\ntitle: x\n---\n");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(dossier_ingest::import::MAX_MARKDOWN_BYTES + 1)
        .unwrap();
    refused(
        &["import", "markdown", &f],
        &[&format!(
            "{f}: larger than 16 MiB, the most a Markdown record may hold"
        )],
    );
}

/// Finding 10: a second root element was read as more of the same document.
#[test]
fn two_root_elements_are_refused() {
    let files = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(GOOD).unwrap();
    let root = good.find("<visits").unwrap();
    let twice = format!("{good}{}", &good[root..]);
    let f = write(files.path(), "twice.xml", twice.as_bytes());
    assert!(good.ends_with('\n'));
    let line = good.matches('\n').count() + 1;
    refused(
        &["import", "records", "--mapping", MAPPING, &f],
        &[
            &format!("{f}:{line}:1: a second root element <visits>"),
            "nothing was written",
        ],
    );
    let t = write(
        files.path(),
        "twice-tei.xml",
        b"<TEI><text><body/></text></TEI>\n<TEI><text/></TEI>\n",
    );
    refused(
        &["import", "tei", &t],
        &[&format!("{t}:2:1: a second root element <TEI>")],
    );
}

/// Finding 10: `element = ""` matched nothing, and the import exited 0 having read none.
#[test]
fn a_mapping_that_would_match_nothing_is_refused() {
    let files = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(MAPPING).unwrap();
    let line = text
        .lines()
        .position(|l| l.starts_with("element = "))
        .unwrap()
        + 1;
    for empty in ["\"\"", "\"   \""] {
        let m = write(
            files.path(),
            "empty.toml",
            text.replacen("element = \"visit\"", &format!("element = {empty}"), 1)
                .as_bytes(),
        );
        refused(
            &["import", "records", "--mapping", &m, GOOD],
            &[&format!(
                "{m}:{line}:11: [record] element is empty: it would match no element"
            )],
        );
    }
    let m = write(
        files.path(),
        "empty-path.toml",
        text.replacen("{ path = \"description\" }", "{ path = \" \" }", 1)
            .as_bytes(),
    );
    refused(
        &["import", "records", "--mapping", &m, GOOD],
        &["[fields] summary path: path \" \" is empty"],
    );
}
