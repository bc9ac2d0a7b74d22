//! Hostile input to the XML importers: each is refused with a clear error, in bounded
//! time and memory, and nothing is written — even when a good file comes first in the
//! same command.

#[path = "common/cli.rs"]
mod cli;
use cli::dossier;
const GOOD: &str = "tests/fixtures/visits-excerpt.xml";

/// The same bytes with the root `<visits>` renamed `<TEI   >` (same length, so that
/// places stay), for the TEI importer.
fn as_tei(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for i in 0..out.len() {
        if out[i..].starts_with(b"<visits") {
            out[i..i + 7].copy_from_slice(b"<TEI   ");
        } else if out[i..].starts_with(b"</visits") {
            out[i..i + 8].copy_from_slice(b"</TEI   ");
        }
    }
    out
}

/// Imports the good excerpt and then `hostile` in one command (record XML), and the
/// same construct as TEI; checks each refusal.
fn refused(name: &str, hostile: &[u8], expect: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, hostile).unwrap();
    let f = file.to_str().unwrap().to_string();
    let tei = dir.path().join(format!("tei-{name}"));
    std::fs::write(&tei, as_tei(hostile)).unwrap();
    let t = tei.to_str().unwrap().to_string();
    let runs: [(Vec<&str>, &str); 2] = [
        (
            vec![
                "import",
                "records",
                "--mapping",
                "mappings/visits.toml",
                GOOD,
                &f,
            ],
            &f,
        ),
        (vec!["import", "tei", &t], &t),
    ];
    for (args, f) in runs {
        let o = dossier(dir.path(), &args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(!o.status.success(), "{name} was accepted: {err}");
        assert!(
            err.contains(expect),
            "{name}: expected {expect:?} in:\n{err}"
        );
        assert!(
            err.contains(&format!("{f}:")),
            "{name}: no file:line in:\n{err}"
        );
        assert!(err.contains("nothing was written"), "{name}: {err}");
        let db = dir.path().join("dossier.db");
        if db.exists() {
            use dossier_store::{DocumentQuery, EventQuery, SqliteStore, Store};
            let store = SqliteStore::open(&db).unwrap();
            assert!(
                store.events(&EventQuery::default()).unwrap().is_empty(),
                "{name}"
            );
            assert!(
                store
                    .documents(&DocumentQuery::default())
                    .unwrap()
                    .is_empty(),
                "{name}"
            );
        }
    }
}

#[test]
fn a_dtd_is_refused() {
    refused(
        "dtd.xml",
        b"<?xml version=\"1.0\"?>\n<!DOCTYPE visits [<!ELEMENT visits ANY>]>\n<visits/>",
        ":2:1: the file declares a DTD",
    );
}

#[test]
fn billion_laughs_is_refused() {
    let mut x = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n");
    for i in 1..10 {
        x.push_str(&format!(
            " <!ENTITY lol{i} \"{}\">\n",
            format!(
                "&lol{};",
                if i == 1 {
                    String::new()
                } else {
                    (i - 1).to_string()
                }
            )
            .repeat(10)
        ));
    }
    x.push_str("]>\n<visits><visit><id>&lol9;</id></visit></visits>\n");
    refused("lolz.xml", x.as_bytes(), "DTDs are refused");
}

#[test]
fn external_entities_are_refused() {
    refused(
        "xxe.xml",
        b"<?xml version=\"1.0\"?>\n<!DOCTYPE v [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<visits><visit><id>&xxe;</id></visit></visits>",
        "DTD",
    );
    // Without a DTD, an entity reference has nothing to expand to.
    refused(
        "entity.xml",
        b"<visits>\n<visit><id>&xxe;</id></visit></visits>",
        ":2:12: unknown entity reference `&xxe;`",
    );
}

#[test]
fn xinclude_is_refused() {
    refused(
        "xinclude.xml",
        b"<visits xmlns:xi=\"http://www.w3.org/2001/XInclude\">\n  <xi:include href=\"/etc/passwd\" parse=\"text\"/>\n</visits>",
        ":2:3: XInclude element <xi:include> refused",
    );
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let depth = 1_000_000;
    let mut x = String::from("<visits>");
    x.push_str(&"<a>".repeat(depth));
    x.push_str(&"</a>".repeat(depth));
    x.push_str("</visits>");
    refused("deep.xml", x.as_bytes(), "nest deeper than 128 levels");
}

#[test]
fn a_text_node_over_the_limit_is_refused() {
    let mut x = b"<visits><visit><description>".to_vec();
    x.extend(std::iter::repeat_n(b'x', 64 * 1024 * 1024));
    x.extend(b"</description></visit></visits>");
    refused(
        "big.xml",
        &x,
        "a single text node is longer than 4194304 bytes",
    );
}

#[test]
fn invalid_utf8_is_refused() {
    refused(
        "latin1.xml",
        b"<visits>\n<visit><visitor>Jos\xe9</visitor></visit></visits>",
        ":2:20: invalid UTF-8 (byte 0xe9)",
    );
}

#[test]
fn a_nul_byte_is_refused() {
    refused(
        "nul.xml",
        b"<visits>\n<visit><id>7\x00</id></visit></visits>",
        ":2:13: NUL byte",
    );
}
