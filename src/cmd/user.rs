//! `dossier user`: editors' accounts, through the same [`Auth`] service the web uses
//! (acting as [`Actor::Cli`]), so that a rule (the password policy, ending sessions on a
//! role change, the audit log) holds whichever way an account is changed.

use crate::cli::{User, UserAddArgs, UserListArgs, UserPasswordArgs, UserSetRoleArgs};
use crate::out::outln;
use anyhow::{bail, Context, Result};
use dossier_auth::{password, Actor, Auth, Role};
use dossier_publish::time::rfc3339;
use std::io::{BufRead, IsTerminal};
use std::path::Path;
use std::sync::Arc;

pub fn run(data_dir: &Path, command: User) -> Result<()> {
    let auth = open_auth(data_dir)?;
    match command {
        User::Add(args) => add(&auth, args),
        User::List(args) => list(&auth, args),
        User::SetRole(UserSetRoleArgs { email, role }) => {
            let role = account_role(&role)?;
            let user = auth.set_role(&Actor::Cli, &email, role)?;
            outln!(
                "{} is now {}; their sessions were ended.",
                user.email,
                role.name()
            )?;
            Ok(())
        }
        User::Disable(args) => {
            let user = auth.set_disabled(&Actor::Cli, &args.email, true)?;
            outln!(
                "{} is disabled: their sessions were ended and their API tokens are refused.",
                user.email
            )?;
            Ok(())
        }
        User::Enable(args) => {
            let user = auth.set_disabled(&Actor::Cli, &args.email, false)?;
            outln!("{} is enabled again.", user.email)?;
            Ok(())
        }
        User::Unlock(args) => {
            let user = auth.unlock(&Actor::Cli, &args.email)?;
            outln!("{} is unlocked.", user.email)?;
            Ok(())
        }
        User::ResetPassword(UserPasswordArgs {
            email,
            password_stdin,
        }) => {
            // Asked for an account that exists, before the password is typed.
            let Some(user) = auth.accounts().user_by_email(&email)? else {
                bail!("there is no account {email}");
            };
            let password = read_password(&user.email, password_stdin)?;
            let user = auth.reset_password(&Actor::Cli, &email, &password)?;
            outln!(
                "The password of {} is reset; their sessions were ended.",
                user.email
            )?;
            Ok(())
        }
    }
}

/// The accounts service on the store in `data_dir`.
pub fn open_auth(data_dir: &Path) -> Result<Auth> {
    let store = super::open_store(data_dir)?;
    Auth::new(Arc::new(store)).context("this store keeps no accounts")
}

/// A role an account can have: every role but reader, which is having no account.
fn account_role(name: &str) -> Result<Role> {
    match name.parse::<Role>() {
        Ok(role) if Role::OF_ACCOUNTS.contains(&role) => Ok(role),
        Ok(_) => bail!(
            "`{name}` is what visitors without an account are; an account's role is \
             contributor, editor, reviewer or admin"
        ),
        Err(e) => Err(e.into()),
    }
}

fn add(auth: &Auth, args: UserAddArgs) -> Result<()> {
    let role = account_role(&args.role)?;
    // Said before the password is typed, not after.
    if let Some(existing) = auth.accounts().user_by_email(&args.email)? {
        bail!(
            "an account with the email {} already exists",
            existing.email
        );
    }
    let password = read_password(&args.email, args.password_stdin)?;
    let user = auth.add_user(
        &Actor::Cli,
        &args.email,
        args.name.as_deref(),
        role,
        &password,
    )?;
    outln!("Added {} ({}) as {}.", user.email, user.name, user.role)?;
    Ok(())
}

fn list(auth: &Auth, args: UserListArgs) -> Result<()> {
    let users = auth.accounts().users()?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&users)?)?;
        return Ok(());
    }
    if users.is_empty() {
        outln!("No accounts yet. Make the first admin with: dossier user add EMAIL --role admin")?;
        return Ok(());
    }
    let now = now();
    let rows: Vec<[String; 6]> = users
        .iter()
        .map(|u| {
            [
                u.email.clone(),
                u.name.clone(),
                u.role.clone(),
                if u.disabled { "yes" } else { "no" }.to_string(),
                u.locked_until
                    .filter(|&t| t > now)
                    .map(rfc3339)
                    .unwrap_or_else(|| "-".into()),
                u.last_login.map(rfc3339).unwrap_or_else(|| "never".into()),
            ]
        })
        .collect();
    print_table(
        &[
            "email",
            "name",
            "role",
            "disabled",
            "locked until",
            "last login",
        ],
        &rows,
    )?;
    Ok(())
}

/// Prints rows under a header, each column as wide as its widest cell. Cells are shown
/// with control characters replaced, so that a name cannot move the terminal's cursor.
pub fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> Result<()> {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
            .collect()
    };
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let text: Vec<String> = cells
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        outln!("{}", text.join("  ").trim_end())
    };
    line(&mut header.iter().copied())?;
    for row in &rows {
        line(&mut row.iter().map(String::as_str))?;
    }
    Ok(())
}

/// Seconds since 1970, as the store keeps times.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The password for `email`: one line of standard input with `from_stdin`, else typed
/// twice at the terminal without echo. Checked against the policy before it is typed a
/// second time, so that a weak one is refused at once, with the reason.
fn read_password(email: &str, from_stdin: bool) -> Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = strip_newline(&line);
        if password.is_empty() {
            bail!("no password on standard input (--password-stdin reads one line)");
        }
        return Ok(password.to_string());
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "standard input is not a terminal, so the password cannot be typed; \
             give it on standard input with --password-stdin"
        );
    }
    let first = rpassword::prompt_password(format!("Password for {email}: "))
        .context("cannot read the password from the terminal")?;
    password::check_policy(&first, email)?;
    let second = rpassword::prompt_password("The same password again: ")
        .context("cannot read the password from the terminal")?;
    if first != second {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

/// The line without its line ending (`\n` or `\r\n`); every other character is the
/// password's, spaces included.
fn strip_newline(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_line_ending_is_stripped() {
        assert_eq!(strip_newline("secret\n"), "secret");
        assert_eq!(strip_newline("secret\r\n"), "secret");
        assert_eq!(strip_newline(" secret  \n"), " secret  ");
        assert_eq!(strip_newline("secret"), "secret");
        assert_eq!(strip_newline("secret\n\n"), "secret\n");
    }

    #[test]
    fn an_account_role_is_not_reader() {
        assert_eq!(account_role("editor").unwrap(), Role::Editor);
        let e = account_role("reader").unwrap_err().to_string();
        assert!(e.contains("contributor, editor, reviewer or admin"), "{e}");
        assert!(account_role("boss").is_err());
    }
}
