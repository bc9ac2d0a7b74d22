//! `dossier import csv`, run as a user would: a field over the size limit (the same 4 MiB
//! that bounds one XML text node) refuses the file with its line, record id and column,
//! exits non-zero and writes nothing, not even the good rows before it.

use std::path::Path;

#[path = "common/cli.rs"]
mod cli;
use cli::dossier;

fn last_change(data_dir: &Path) -> i64 {
    use dossier_store::{SqliteStore, Store};
    SqliteStore::open(&data_dir.join("dossier.db"))
        .unwrap()
        .last_change()
        .unwrap()
}

#[test]
fn a_field_over_the_limit_refuses_the_file_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(dossier(&data, &["load-builtin"]).status.success());
    let before = last_change(&data);

    let csv = std::fs::read_to_string("tests/fixtures/visits-excerpt.csv").unwrap();
    let huge = "x".repeat(4 * 1024 * 1024 + 1);
    let bad = csv.replacen(
        "State Visit. Also visited",
        &format!("State Visit. {huge} Also visited"),
        1,
    );
    assert_ne!(bad, csv);
    let path = dir.path().join("visits.csv");
    std::fs::write(&path, bad).unwrap();
    let o = dossier(
        &data,
        &[
            "import",
            "csv",
            path.to_str().unwrap(),
            "--mapping",
            "mappings/visits-csv.toml",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "accepted: {err}");
    let expected = format!(
        "{}:3:7: record 752, column `description`: the field is longer than 4194304 bytes",
        path.display()
    );
    assert!(err.contains(&expected), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    // Not even the good row before it.
    assert_eq!(last_change(&data), before, "the store changed");

    // The same file without the long field imports.
    std::fs::write(&path, &csv).unwrap();
    let o = dossier(
        &data,
        &[
            "import",
            "csv",
            path.to_str().unwrap(),
            "--mapping",
            "mappings/visits-csv.toml",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(last_change(&data) > before);
}
