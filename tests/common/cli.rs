//! Running the `dossier` binary as a user would, for the CLI and import tests
//! (`#[path = "common/cli.rs"] mod cli;`): no server code, so those tests stay small.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_dossier");

/// `dossier --data-dir DATA_DIR ARGS…`, with no setting taken from the environment.
pub fn dossier(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("DOSSIER_DATA_DIR")
        .env_remove("DOSSIER_ADDR")
        .output()
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output, then standard error.
pub fn out(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}
