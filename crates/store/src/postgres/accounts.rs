//! [`Accounts`] for the PostgreSQL store: users, sessions, API tokens and the audit log,
//! in the tables of the fourth migration, each method one transaction. Sessions live in
//! the database, so a user stays logged in whichever server behind the load balancer
//! answers.
//!
//! Unlike record writes, these transactions do not take the writer's lock
//! ([`PgStore::in_own_transaction`]): they touch no record, version or change log, and
//! each is one atomic statement or guarded by a unique index, so a login, a session's
//! touch or an audit line on any server never waits behind an import's long write (nor
//! joins a held one, to be undone with it).

use super::revisions::{holdable, keepable};
use super::PgStore;
use crate::accounts::*;
use crate::StoreError;
use ::postgres::error::SqlState;
use ::postgres::Row;

const USER_COLUMNS: &str = "id, email, name, role, password_hash, disabled, created, last_login, \
                            failed_logins, locked_until";
const TOKEN_COLUMNS: &str = "id, user_id, scope, label, hash, created, last_used, revoked";
const SESSION_COLUMNS: &str = "id_hash, user_id, csrf, created, last_seen";

fn user_row(r: &Row) -> Result<User, StoreError> {
    Ok(User {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        name: r.try_get(2)?,
        role: r.try_get(3)?,
        password_hash: r.try_get(4)?,
        disabled: r.try_get(5)?,
        created: r.try_get(6)?,
        last_login: r.try_get(7)?,
        failed_logins: u32::try_from(r.try_get::<_, i64>(8)?).unwrap_or(u32::MAX),
        locked_until: r.try_get(9)?,
    })
}

fn token_row(r: &Row) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: r.try_get(0)?,
        user: r.try_get(1)?,
        scope: r.try_get(2)?,
        label: r.try_get(3)?,
        hash: r.try_get(4)?,
        created: r.try_get(5)?,
        last_used: r.try_get(6)?,
        revoked: r.try_get(7)?,
    })
}

fn session_row(r: &Row) -> Result<Session, StoreError> {
    Ok(Session {
        id_hash: r.try_get(0)?,
        user: r.try_get(1)?,
        csrf: r.try_get(2)?,
        created: r.try_get(3)?,
        last_seen: r.try_get(4)?,
    })
}

/// A write to an account that must exist: no row changed means no such account.
fn changed_user(changed: u64, id: UserId) -> Result<(), StoreError> {
    if changed == 0 {
        return Err(StoreError::Invalid(format!(
            "there is no account number {id}"
        )));
    }
    Ok(())
}

/// Turns a broken CHECK, NOT NULL, unique or foreign key constraint (SQLSTATE class 23),
/// or a value the column cannot hold (class 22: a NUL in a text), into
/// [`StoreError::Invalid`] that says what was refused; other errors pass through.
fn refused(what: &str, e: ::postgres::Error) -> StoreError {
    match e.code() {
        Some(code) if code.code().starts_with("23") || code.code().starts_with("22") => {
            let detail = e
                .as_db_error()
                .map(|d| d.message().to_string())
                .unwrap_or_else(|| e.to_string());
            StoreError::Invalid(format!("{what}: {detail}"))
        }
        _ => StoreError::from(e),
    }
}

/// Whether `e` is the refusal of a value a unique index already holds.
fn is_unique_violation(e: &::postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

impl PgStore {
    /// Runs `f` in a transaction of its own on a pooled connection, committed if it
    /// returns `Ok`, without the writer's lock and outside any held transaction: for
    /// tables no record write reads (accounts, link checks). Off any tokio runtime thread,
    /// as every call of the store.
    pub(super) fn in_own_transaction<T: Send>(
        &self,
        f: impl FnOnce(&mut ::postgres::Transaction<'_>) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        super::off_runtime(|| {
            let mut client = self.live_client()?;
            let mut tx = client.transaction()?;
            let out = f(&mut tx)?;
            tx.commit()?;
            Ok(out)
        })
    }
}

impl Accounts for PgStore {
    fn add_user(&self, user: &NewUser<'_>) -> Result<User, StoreError> {
        self.in_own_transaction(|tx| {
            // The email is unique without regard to case (the unique index on
            // lower(email)); asked first so that the refusal names the account that has it.
            let taken = tx
                .query_opt(
                    "SELECT email FROM users WHERE lower(email) = lower($1)",
                    &[&user.email],
                )
                .map_err(|e| refused(&format!("cannot add the account {}", user.email), e))?;
            if let Some(taken) = taken {
                let taken: String = taken.try_get(0)?;
                return Err(StoreError::Invalid(format!(
                    "an account with the email {} already exists (as {taken})",
                    user.email
                )));
            }
            let row = tx
                .query_one(
                    &format!(
                        "INSERT INTO users (email, name, role, password_hash, created)
                         VALUES ($1, $2, $3, $4, $5) RETURNING {USER_COLUMNS}"
                    ),
                    &[
                        &user.email,
                        &user.name,
                        &user.role,
                        &user.password_hash,
                        &user.created,
                    ],
                )
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        // Another server added the same email meanwhile.
                        StoreError::Invalid(format!(
                            "an account with the email {} already exists",
                            user.email
                        ))
                    } else {
                        refused(&format!("cannot add the account {}", user.email), e)
                    }
                })?;
            user_row(&row)
        })
    }

    fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.read(|c| {
            c.query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
                &[&id],
            )?
            .as_ref()
            .map(user_row)
            .transpose()
        })
    }

    fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        if !holdable(email) {
            return Ok(None);
        }
        self.read(|c| {
            c.query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1)"),
                &[&email],
            )?
            .as_ref()
            .map(user_row)
            .transpose()
        })
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        // By email without regard to (ASCII) case, in byte order otherwise (the column is
        // COLLATE "C"): SQLite's NOCASE.
        self.read(|c| {
            c.query(
                &format!("SELECT {USER_COLUMNS} FROM users ORDER BY lower(email), id"),
                &[],
            )?
            .iter()
            .map(user_row)
            .collect()
        })
    }

    fn has_users(&self) -> Result<bool, StoreError> {
        self.read(|c| Ok(c.query_opt("SELECT 1 FROM users LIMIT 1", &[])?.is_some()))
    }

    fn set_role(&self, id: UserId, role: &str) -> Result<(), StoreError> {
        self.in_own_transaction(|tx| {
            let n = tx
                .execute("UPDATE users SET role = $2 WHERE id = $1", &[&id, &role])
                .map_err(|e| refused("cannot set the role", e))?;
            changed_user(n, id)
        })
    }

    fn set_name(&self, id: UserId, name: &str) -> Result<(), StoreError> {
        self.in_own_transaction(|tx| {
            let n = tx
                .execute("UPDATE users SET name = $2 WHERE id = $1", &[&id, &name])
                .map_err(|e| refused("cannot set the name", e))?;
            changed_user(n, id)
        })
    }

    fn set_disabled(&self, id: UserId, disabled: bool) -> Result<(), StoreError> {
        self.in_own_transaction(|tx| {
            let n = tx.execute(
                "UPDATE users SET disabled = $2 WHERE id = $1",
                &[&id, &disabled],
            )?;
            changed_user(n, id)
        })
    }

    fn set_password_hash(&self, id: UserId, hash: &str) -> Result<(), StoreError> {
        self.in_own_transaction(|tx| {
            let n = tx
                .execute(
                    "UPDATE users SET password_hash = $2 WHERE id = $1",
                    &[&id, &hash],
                )
                .map_err(|e| refused("cannot set the password hash", e))?;
            changed_user(n, id)
        })
    }

    fn login_failed(&self, id: UserId, locked_until: Option<i64>) -> Result<u32, StoreError> {
        self.in_own_transaction(|tx| {
            // One statement: two servers counting failures at once both count.
            let row = tx
                .query_opt(
                    "UPDATE users SET failed_logins = failed_logins + 1, locked_until = $2
                     WHERE id = $1 RETURNING failed_logins",
                    &[&id, &locked_until],
                )?
                .ok_or_else(|| StoreError::Invalid(format!("there is no account number {id}")))?;
            Ok(u32::try_from(row.try_get::<_, i64>(0)?).unwrap_or(u32::MAX))
        })
    }

    fn login_succeeded(&self, id: UserId, at: i64) -> Result<(), StoreError> {
        self.in_own_transaction(|tx| {
            let n = tx.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login = $2
                 WHERE id = $1",
                &[&id, &at],
            )?;
            changed_user(n, id)
        })
    }

    fn unlock(&self, id: UserId) -> Result<(), StoreError> {
        self.in_own_transaction(|tx| {
            let n = tx.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                &[&id],
            )?;
            changed_user(n, id)
        })
    }

    fn count_login_failure(
        &self,
        kind: LimitKind,
        key: &str,
        now: i64,
        forget_after: i64,
        hold: &(dyn Fn(u32) -> u64 + Sync),
    ) -> Result<LoginCount, StoreError> {
        // A key is what a client typed: a NUL in it counts as U+FFFD (`keepable`).
        let key = keepable(key);
        let key = key.as_ref();
        self.in_own_transaction(|tx| {
            tx.execute(
                "DELETE FROM login_limits WHERE last <= $1",
                &[&now.saturating_sub(forget_after)],
            )?;
            // The row's lock, taken by the upsert, makes servers counting at once wait
            // for each other: each counts on what the other committed.
            let row = tx.query_one(
                "INSERT INTO login_limits AS l (kind, key, failures, last, held_until)
                 VALUES ($1, $2, 1, $3, 0)
                 ON CONFLICT (kind, key) DO UPDATE SET failures = l.failures + 1, last = $3
                 RETURNING failures - 1, held_until",
                &[&kind.as_str(), &key, &now],
            )?;
            let (before, held): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            let before = u32::try_from(before).unwrap_or(u32::MAX);
            let before = (before > 0).then_some((before, held));
            let (failures, held_until) = counted(before, now, hold);
            if held_until != held {
                tx.execute(
                    "UPDATE login_limits SET held_until = $3 WHERE kind = $1 AND key = $2",
                    &[&kind.as_str(), &key, &held_until],
                )?;
            }
            Ok(LoginCount {
                failures,
                last: now,
                held_until,
            })
        })
    }

    fn login_count(&self, kind: LimitKind, key: &str) -> Result<Option<LoginCount>, StoreError> {
        let key = keepable(key);
        let key = key.as_ref();
        self.read(|c| {
            c.query_opt(
                "SELECT failures, last, held_until FROM login_limits
                 WHERE kind = $1 AND key = $2",
                &[&kind.as_str(), &key],
            )?
            .map(|r| -> Result<LoginCount, StoreError> {
                Ok(LoginCount {
                    failures: u32::try_from(r.try_get::<_, i64>(0)?).unwrap_or(u32::MAX),
                    last: r.try_get(1)?,
                    held_until: r.try_get(2)?,
                })
            })
            .transpose()
        })
    }

    fn forget_login_failures(&self, kind: LimitKind, key: &str) -> Result<(), StoreError> {
        let key = keepable(key);
        let key = key.as_ref();
        self.in_own_transaction(|tx| {
            tx.execute(
                "DELETE FROM login_limits WHERE kind = $1 AND key = $2",
                &[&kind.as_str(), &key],
            )?;
            Ok(())
        })
    }

    fn add_session(&self, session: &Session) -> Result<(), StoreError> {
        self.in_own_transaction(|tx| {
            tx.execute(
                "INSERT INTO sessions (id_hash, user_id, csrf, created, last_seen)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &session.id_hash,
                    &session.user,
                    &session.csrf,
                    &session.created,
                    &session.last_seen,
                ],
            )
            .map_err(|e| refused("cannot add the session", e))?;
            Ok(())
        })
    }

    fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        if !holdable(id_hash) {
            return Ok(None);
        }
        self.read(|c| {
            c.query_opt(
                &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = $1"),
                &[&id_hash],
            )?
            .as_ref()
            .map(session_row)
            .transpose()
        })
    }

    fn touch_session(&self, id_hash: &str, at: i64) -> Result<(), StoreError> {
        if !holdable(id_hash) {
            return Ok(());
        }
        self.in_own_transaction(|tx| {
            // Never backwards: a clock set back (or a server whose clock is behind
            // another's) must not make a session look older.
            tx.execute(
                "UPDATE sessions SET last_seen = GREATEST(last_seen, $2) WHERE id_hash = $1",
                &[&id_hash, &at],
            )?;
            Ok(())
        })
    }

    fn remove_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        if !holdable(id_hash) {
            return Ok(false);
        }
        self.in_own_transaction(|tx| {
            Ok(tx.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash])? > 0)
        })
    }

    fn remove_sessions_of(&self, user: UserId) -> Result<usize, StoreError> {
        self.in_own_transaction(|tx| {
            Ok(tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&user])? as usize)
        })
    }

    fn remove_expired_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> Result<usize, StoreError> {
        self.in_own_transaction(|tx| {
            Ok(tx.execute(
                "DELETE FROM sessions WHERE last_seen < $1 OR created < $2",
                &[&idle_before, &created_before],
            )? as usize)
        })
    }

    fn add_token(&self, token: &NewToken<'_>) -> Result<ApiToken, StoreError> {
        self.in_own_transaction(|tx| {
            let row = tx
                .query_one(
                    &format!(
                        "INSERT INTO api_tokens (user_id, scope, label, hash, created)
                         VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}"
                    ),
                    &[
                        &token.user,
                        &token.scope,
                        &token.label,
                        &token.hash,
                        &token.created,
                    ],
                )
                .map_err(|e| refused("cannot add the API token", e))?;
            token_row(&row)
        })
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        if !holdable(hash) {
            return Ok(None);
        }
        self.read(|c| {
            c.query_opt(
                &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE hash = $1"),
                &[&hash],
            )?
            .as_ref()
            .map(token_row)
            .transpose()
        })
    }

    fn tokens(&self, user: Option<UserId>) -> Result<Vec<ApiToken>, StoreError> {
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens
                     WHERE $1::BIGINT IS NULL OR user_id = $1 ORDER BY id DESC"
                ),
                &[&user],
            )?
            .iter()
            .map(token_row)
            .collect()
        })
    }

    fn revoke_token(&self, id: i64, at: i64) -> Result<bool, StoreError> {
        self.in_own_transaction(|tx| {
            Ok(tx.execute(
                "UPDATE api_tokens SET revoked = $2 WHERE id = $1 AND revoked IS NULL",
                &[&id, &at],
            )? > 0)
        })
    }

    fn touch_token(&self, id: i64, at: i64) -> Result<(), StoreError> {
        self.in_own_transaction(|tx| {
            tx.execute(
                "UPDATE api_tokens SET last_used = GREATEST(COALESCE(last_used, $2), $2)
                 WHERE id = $1",
                &[&id, &at],
            )?;
            Ok(())
        })
    }

    fn audit(&self, entry: &NewAudit<'_>) -> Result<(), StoreError> {
        // The log keeps what was typed (a failed login's email), whatever it holds: a
        // NUL that PostgreSQL cannot keep must not lose the line.
        let kept = |text: Option<&str>| text.map(|t| keepable(t).into_owned());
        let (event, detail) = (keepable(entry.event), keepable(entry.detail));
        let (email, actor, address) = (kept(entry.email), kept(entry.actor), kept(entry.address));
        self.in_own_transaction(|tx| {
            tx.execute(
                "INSERT INTO audit (at, event, user_id, email, actor, address, detail)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &entry.at,
                    &event,
                    &entry.user,
                    &email,
                    &actor,
                    &address,
                    &detail,
                ],
            )
            .map_err(|e| refused("cannot write to the audit log", e))?;
            Ok(())
        })
    }

    fn audit_log(&self, before: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.read(|c| {
            Ok(c.query(
                "SELECT id, at, event, user_id, email, actor, address, detail FROM audit
                 WHERE $1::BIGINT IS NULL OR id < $1 ORDER BY id DESC LIMIT $2",
                &[&before, &limit],
            )?)
        })?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get(0)?,
                    at: r.try_get(1)?,
                    event: r.try_get(2)?,
                    user: r.try_get(3)?,
                    email: r.try_get(4)?,
                    actor: r.try_get(5)?,
                    address: r.try_get(6)?,
                    detail: r.try_get(7)?,
                })
            })
            .collect()
    }
}
