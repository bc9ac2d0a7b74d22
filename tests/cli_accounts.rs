//! `dossier user` and `dossier token`, run as the binary a person runs, against a real
//! data directory; what they wrote is read back through the store and the `Auth` service.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

#[path = "common/cli.rs"]
mod cli;
use cli::{dossier, out, stderr, stdout, BIN};

use dossier_auth::{Auth, Scope};
use dossier_store::SqliteStore;

const GOOD: &str = "correct horse battery staple";

/// `dossier --data-dir DIR ARGS…` with `input` on standard input.
fn dossier_with_input(data_dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("DOSSIER_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn add(data_dir: &Path, email: &str, role: &str, password: &str) -> Output {
    dossier_with_input(
        data_dir,
        &["user", "add", email, "--role", role, "--password-stdin"],
        &format!("{password}\n"),
    )
}

fn auth(data_dir: &Path) -> Auth {
    let store = SqliteStore::open(&data_dir.join("dossier.db")).unwrap();
    Auth::new(Arc::new(store)).unwrap()
}

fn assert_refused(o: &Output, says: &str) {
    assert_eq!(o.status.code(), Some(1), "{}", out(o));
    assert!(stderr(o).contains(says), "expected `{says}` in: {}", out(o));
}

#[test]
fn adds_a_user_from_stdin_and_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = dossier_with_input(
        dir.path(),
        &[
            "user",
            "add",
            "Ada@Example.org",
            "--role",
            "admin",
            "--name",
            "Ada Lovelace",
            "--password-stdin",
        ],
        &format!("{GOOD}\n"),
    );
    assert!(o.status.success(), "{}", out(&o));
    assert!(stdout(&o).contains("Ada@Example.org"), "{}", stdout(&o));

    let o = dossier(dir.path(), &["user", "list"]);
    assert!(o.status.success(), "{}", out(&o));
    let table = stdout(&o);
    let header = table.lines().next().unwrap();
    for column in [
        "email",
        "name",
        "role",
        "disabled",
        "locked until",
        "last login",
    ] {
        assert!(header.contains(column), "{table}");
    }
    let row = table.lines().nth(1).unwrap();
    for cell in ["Ada@Example.org", "Ada Lovelace", "admin", "no", "never"] {
        assert!(row.contains(cell), "{table}");
    }

    let o = dossier(dir.path(), &["user", "list", "--json"]);
    let users: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(users[0]["email"], "Ada@Example.org");
    assert_eq!(users[0]["role"], "admin");
    assert_eq!(users[0]["disabled"], false);
    assert!(
        users[0].get("password_hash").is_none(),
        "the hash is never printed"
    );

    // The password read from standard input is the account's password (the newline is
    // not part of it), and the email is found in any case.
    let logged = auth(dir.path()).login("ada@example.org", GOOD, "127.0.0.1");
    assert!(logged.is_ok(), "{:?}", logged.err());
}

#[test]
fn only_the_line_ending_of_stdin_is_stripped() {
    let dir = tempfile::tempdir().unwrap();
    let password = "  spaced out passphrase  ";
    let o = add(dir.path(), "ada@example.org", "editor", password);
    assert!(o.status.success(), "{}", out(&o));
    let a = auth(dir.path());
    assert!(a.login("ada@example.org", password, "127.0.0.1").is_ok());
    assert!(a
        .login("ada@example.org", password.trim(), "127.0.0.2")
        .is_err());
}

#[test]
fn a_weak_password_is_refused_with_the_reason_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let o = add(dir.path(), "ada@example.org", "admin", "short");
    assert_refused(&o, "too short");
    let o = add(dir.path(), "ada@example.org", "admin", "ada@example.org");
    assert_refused(&o, "email");
    let o = add(dir.path(), "ada@example.org", "admin", "");
    assert_refused(&o, "no password");
    let a = auth(dir.path());
    assert!(!a.accounts().has_users().unwrap());
    let o = dossier(dir.path(), &["user", "list"]);
    assert!(stdout(&o).contains("No accounts yet"), "{}", out(&o));
}

#[test]
fn a_taken_email_is_refused_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    assert!(add(dir.path(), "ada@example.org", "admin", GOOD)
        .status
        .success());
    let o = add(dir.path(), "ADA@example.org", "editor", GOOD);
    assert_refused(&o, "already exists");
    let users = auth(dir.path()).accounts().users().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].role, "admin");
}

#[test]
fn roles_are_checked_and_changed() {
    let dir = tempfile::tempdir().unwrap();
    assert_refused(
        &add(dir.path(), "ada@example.org", "boss", GOOD),
        "not a role",
    );
    assert_refused(
        &add(dir.path(), "ada@example.org", "reader", GOOD),
        "contributor, editor, reviewer or admin",
    );
    assert!(add(dir.path(), "ada@example.org", "editor", GOOD)
        .status
        .success());
    let o = dossier(
        dir.path(),
        &["user", "set-role", "ada@example.org", "superuser"],
    );
    assert_refused(&o, "not a role");
    assert_eq!(
        auth(dir.path())
            .accounts()
            .user_by_email("ada@example.org")
            .unwrap()
            .unwrap()
            .role,
        "editor"
    );
    let o = dossier(
        dir.path(),
        &["user", "set-role", "ada@example.org", "reviewer"],
    );
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(
        auth(dir.path())
            .accounts()
            .user_by_email("ada@example.org")
            .unwrap()
            .unwrap()
            .role,
        "reviewer"
    );
    let o = dossier(
        dir.path(),
        &["user", "set-role", "nobody@example.org", "editor"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(stderr(&o).contains("nobody@example.org"), "{}", out(&o));
}

#[test]
fn disable_enable_unlock_and_reset_password() {
    let dir = tempfile::tempdir().unwrap();
    assert!(add(dir.path(), "ada@example.org", "editor", GOOD)
        .status
        .success());
    let o = dossier(dir.path(), &["user", "disable", "ada@example.org"]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(auth(dir.path())
        .login("ada@example.org", GOOD, "127.0.0.1")
        .is_err());
    let o = dossier(dir.path(), &["user", "list"]);
    assert!(
        stdout(&o).lines().nth(1).unwrap().contains("yes"),
        "{}",
        out(&o)
    );
    let o = dossier(dir.path(), &["user", "enable", "ada@example.org"]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(auth(dir.path())
        .login("ada@example.org", GOOD, "127.0.0.1")
        .is_ok());

    let o = dossier(dir.path(), &["user", "unlock", "ada@example.org"]);
    assert!(o.status.success(), "{}", out(&o));

    let new = "a different long passphrase";
    let o = dossier_with_input(
        dir.path(),
        &[
            "user",
            "reset-password",
            "ada@example.org",
            "--password-stdin",
        ],
        &format!("{new}\n"),
    );
    assert!(o.status.success(), "{}", out(&o));
    let a = auth(dir.path());
    assert!(a.login("ada@example.org", new, "127.0.0.1").is_ok());
    assert!(a.login("ada@example.org", GOOD, "127.0.0.3").is_err());

    let o = dossier_with_input(
        dir.path(),
        &[
            "user",
            "reset-password",
            "ada@example.org",
            "--password-stdin",
        ],
        "tiny\n",
    );
    assert_refused(&o, "too short");
    assert!(auth(dir.path())
        .login("ada@example.org", new, "127.0.0.4")
        .is_ok());
}

#[test]
fn without_a_terminal_the_password_must_come_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    // `dossier` here runs with standard input at /dev/null, not a terminal.
    let o = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["user", "add", "ada@example.org", "--role", "admin"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_refused(&o, "--password-stdin");
    assert!(!auth(dir.path()).accounts().has_users().unwrap());
}

/// A password on the command line is visible to every user of the machine (`ps`): no
/// command takes one.
#[test]
fn no_command_takes_a_password_as_an_argument() {
    let dir = tempfile::tempdir().unwrap();
    for command in [["user", "add"], ["user", "reset-password"]] {
        let o = dossier(dir.path(), &[command[0], command[1], "--help"]);
        assert!(o.status.success(), "{}", out(&o));
        let help = stdout(&o);
        assert!(help.contains("--password-stdin"), "{help}");
        let flags: Vec<&str> = help
            .split_whitespace()
            .filter(|w| w.starts_with("--password") || *w == "-p" || w.starts_with("-p,"))
            .collect();
        assert!(
            flags
                .iter()
                .all(|f| f.trim_end_matches(',') == "--password-stdin"),
            "{flags:?} in {help}"
        );
    }
    let o = dossier_with_input(
        dir.path(),
        &[
            "user",
            "add",
            "ada@example.org",
            "--role",
            "admin",
            "--password",
            GOOD,
        ],
        "",
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "clap refuses the flag: {}",
        out(&o)
    );
    assert!(!auth(dir.path()).accounts().has_users().unwrap());
}

#[test]
fn a_token_is_printed_last_authenticates_and_is_revoked() {
    let dir = tempfile::tempdir().unwrap();
    assert!(add(dir.path(), "ada@example.org", "editor", GOOD)
        .status
        .success());
    let o = dossier(
        dir.path(),
        &[
            "token",
            "create",
            "--user",
            "ADA@example.org",
            "--scope",
            "write",
            "--label",
            "nightly import",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    let printed = stdout(&o);
    let lines: Vec<&str> = printed.lines().collect();
    assert!(lines.len() >= 2, "{printed}");
    assert!(lines[0].contains("once"), "{printed}");
    let token = *lines.last().unwrap();
    assert_eq!(token, token.trim());
    assert!(!token.contains(' '), "the token alone: {printed}");

    let a = auth(dir.path());
    let bearer = a.bearer(token, "127.0.0.1").unwrap();
    assert_eq!(bearer.user.email, "ada@example.org");
    assert_eq!(bearer.scope, Scope::Write);
    assert!(a.bearer(&format!("{token}x"), "127.0.0.1").is_err());

    // Listed without the secret.
    let o = dossier(dir.path(), &["token", "list", "--user", "ada@example.org"]);
    assert!(o.status.success(), "{}", out(&o));
    let list = stdout(&o);
    assert!(list.contains("nightly import"), "{list}");
    assert!(list.contains("write"), "{list}");
    assert!(!list.contains(token), "{list}");
    let o = dossier(dir.path(), &["token", "list", "--json"]);
    let tokens: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(tokens[0]["email"], "ada@example.org");
    assert!(!stdout(&o).contains(token));
    let id = tokens[0]["id"].as_i64().unwrap();

    let o = dossier(dir.path(), &["token", "revoke", &id.to_string()]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(auth(dir.path()).bearer(token, "127.0.0.1").is_err());
    // Again: nothing changes, and it says since when.
    let o = dossier(dir.path(), &["token", "revoke", &id.to_string()]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(stdout(&o).contains("revoked (since "), "{}", out(&o));
    let o = dossier(dir.path(), &["token", "list", "--json"]);
    let tokens: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(tokens[0]["revoked"].is_i64(), "{tokens}");
}

#[test]
fn token_mistakes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(add(dir.path(), "ada@example.org", "editor", GOOD)
        .status
        .success());
    let o = dossier(
        dir.path(),
        &[
            "token",
            "create",
            "--user",
            "ada@example.org",
            "--scope",
            "admin",
        ],
    );
    assert_refused(&o, "the scopes are read and write");
    let o = dossier(
        dir.path(),
        &[
            "token",
            "create",
            "--user",
            "nobody@example.org",
            "--scope",
            "read",
        ],
    );
    assert_refused(&o, "nobody@example.org");
    assert!(auth(dir.path()).accounts().tokens(None).unwrap().is_empty());
    let o = dossier(dir.path(), &["token", "revoke", "42"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
}

#[test]
fn every_account_command_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expect) in [
        (&["user", "--help"][..], "the first admin is made here"),
        (&["user", "add", "--help"], "at least 12 characters"),
        (&["user", "list", "--help"], "locked until"),
        (&["user", "set-role", "--help"], "sessions end"),
        (&["user", "disable", "--help"], "API tokens are refused"),
        (&["user", "enable", "--help"], "Enable a disabled account"),
        (&["user", "unlock", "--help"], "too many wrong passwords"),
        (&["user", "reset-password", "--help"], "--password-stdin"),
        (&["token", "--help"], "Authorization: Bearer"),
        (&["token", "create", "--help"], "tail -1"),
        (&["token", "list", "--help"], "never the tokens themselves"),
        (&["token", "revoke", "--help"], "refused at once"),
    ] {
        let o = dossier(dir.path(), args);
        assert!(o.status.success(), "{args:?}: {}", out(&o));
        assert!(
            stdout(&o).to_lowercase().contains(&expect.to_lowercase()),
            "{args:?}: {}",
            stdout(&o)
        );
    }
}

/// `dossier ARGS…` on a terminal of its own (util-linux's `script` gives it a
/// pseudo-terminal), with `typed` as what is typed there. Standard output and standard
/// error both come back as the terminal's output.
fn on_a_terminal(data_dir: &Path, args: &str, typed: &str) -> Output {
    let command = format!("'{BIN}' --data-dir '{}' {args}", data_dir.display());
    let mut child = Command::new("script")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("`script` (util-linux) runs the command on a terminal");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn on_a_terminal_the_password_is_typed_twice() {
    let dir = tempfile::tempdir().unwrap();
    let add = "user add ada@example.org --role admin";

    let o = on_a_terminal(
        dir.path(),
        add,
        &format!("{GOOD}\nsomething else entirely\n"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("the two passwords differ"), "{}", out(&o));
    assert!(!auth(dir.path()).accounts().has_users().unwrap());

    // A weak password is refused when it is first typed, before it is asked again.
    let o = on_a_terminal(dir.path(), add, "tiny\n");
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("too short"), "{}", out(&o));
    assert!(!out(&o).contains("again"), "{}", out(&o));
    assert!(!auth(dir.path()).accounts().has_users().unwrap());

    let o = on_a_terminal(dir.path(), add, &format!("{GOOD}\n{GOOD}\n"));
    assert!(o.status.success(), "{}", out(&o));
    assert!(
        out(&o).contains("Password for ada@example.org"),
        "{}",
        out(&o)
    );
    assert!(auth(dir.path())
        .login("ada@example.org", GOOD, "127.0.0.1")
        .is_ok());
}
