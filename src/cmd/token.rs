//! `dossier token`: API tokens for scripts, through the [`Auth`](dossier_auth::Auth)
//! service as [`Actor::Cli`]. A token is shown once, when it is made; the store keeps only
//! its digest.

use super::user::{open_auth, print_table};
use crate::cli::{Token, TokenCreateArgs, TokenListArgs};
use crate::out::outln;
use anyhow::{bail, Result};
use dossier_auth::{Actor, Scope};
use dossier_publish::time::rfc3339;
use std::collections::HashMap;
use std::path::Path;

pub fn run(data_dir: &Path, command: Token) -> Result<()> {
    let auth = open_auth(data_dir)?;
    match command {
        Token::Create(TokenCreateArgs { user, scope, label }) => {
            let scope: Scope = scope.parse()?;
            let (token, secret) = auth.create_token(&Actor::Cli, &user, scope, &label)?;
            outln!(
                "API token {} for {user} ({}), shown this once: it cannot be shown again.",
                token.id,
                scope.name()
            )?;
            // Alone on the last line, for `| tail -1`.
            outln!("{secret}")?;
            Ok(())
        }
        Token::List(args) => list(&auth, args),
        Token::Revoke(args) => {
            let token = auth.revoke_token(&Actor::Cli, args.id)?;
            // Revoking again changes nothing; the time says since when.
            let since = token.revoked.map(rfc3339).unwrap_or_default();
            outln!("API token {} is revoked (since {since}).", token.id)?;
            Ok(())
        }
    }
}

fn list(auth: &dossier_auth::Auth, args: TokenListArgs) -> Result<()> {
    let accounts = auth.accounts();
    let user = match &args.user {
        Some(email) => match accounts.user_by_email(email)? {
            Some(u) => Some(u.id),
            None => bail!("there is no account {email}"),
        },
        None => None,
    };
    let tokens = accounts.tokens(user)?;
    let emails: HashMap<i64, String> = accounts
        .users()?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    let email_of = |id: i64| emails.get(&id).map(String::as_str).unwrap_or("?");
    if args.json {
        // Each token with its account's email beside the account's number.
        let mut listed = Vec::with_capacity(tokens.len());
        for t in &tokens {
            let mut value = serde_json::to_value(t)?;
            value["email"] = email_of(t.user).into();
            listed.push(value);
        }
        outln!("{}", serde_json::to_string_pretty(&listed)?)?;
        return Ok(());
    }
    if tokens.is_empty() {
        outln!("No API tokens.")?;
        return Ok(());
    }
    let rows: Vec<[String; 7]> = tokens
        .iter()
        .map(|t| {
            [
                t.id.to_string(),
                email_of(t.user).to_string(),
                t.scope.clone(),
                t.label.clone(),
                rfc3339(t.created),
                t.last_used.map(rfc3339).unwrap_or_else(|| "never".into()),
                t.revoked.map(rfc3339).unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    print_table(
        &[
            "id",
            "account",
            "scope",
            "label",
            "created",
            "last used",
            "revoked",
        ],
        &rows,
    )?;
    Ok(())
}
