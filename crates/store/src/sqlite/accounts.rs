//! [`Accounts`] for the SQLite store: users, sessions, API tokens and the audit log, in
//! the tables of the fourth migration. Writes take the writer, each in one transaction
//! (a savepoint when a bulk load holds the writer's transaction), so that a failure
//! changes nothing; reads use the read pool like the record queries.

use super::write::write_transaction;
use super::SqliteStore;
use crate::accounts::*;
use crate::StoreError;
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};

const USER_COLUMNS: &str = "id, email, name, role, password_hash, disabled, created, last_login, \
                            failed_logins, locked_until";
const TOKEN_COLUMNS: &str = "id, user_id, scope, label, hash, created, last_used, revoked";

impl SqliteStore {
    /// Runs `f` in one write transaction on the writer: committed if it returns `Ok`,
    /// rolled back otherwise. Inside a held transaction (a bulk load's `hold`) it is a
    /// savepoint of it, as record writes are.
    fn write_accounts<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if conn.is_autocommit() {
            let tx = write_transaction(&mut conn)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        } else {
            let sp = conn.savepoint()?;
            let out = f(&sp)?;
            sp.commit()?;
            Ok(out)
        }
    }
}

fn user_row(r: &Row) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: r.get(3)?,
        password_hash: r.get(4)?,
        disabled: r.get(5)?,
        created: r.get(6)?,
        last_login: r.get(7)?,
        failed_logins: r.get(8)?,
        locked_until: r.get(9)?,
    })
}

fn token_row(r: &Row) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        user: r.get(1)?,
        scope: r.get(2)?,
        label: r.get(3)?,
        hash: r.get(4)?,
        created: r.get(5)?,
        last_used: r.get(6)?,
        revoked: r.get(7)?,
    })
}

fn session_row(r: &Row) -> rusqlite::Result<Session> {
    Ok(Session {
        id_hash: r.get(0)?,
        user: r.get(1)?,
        csrf: r.get(2)?,
        created: r.get(3)?,
        last_seen: r.get(4)?,
    })
}

fn user_by_id(conn: &Connection, id: UserId) -> Result<Option<User>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"))?
        .query_row([id], user_row)
        .optional()?)
}

/// A write to an account that must exist: no row changed means no such account.
fn changed_user(changed: usize, id: UserId) -> Result<(), StoreError> {
    if changed == 0 {
        return Err(StoreError::Invalid(format!(
            "there is no account number {id}"
        )));
    }
    Ok(())
}

/// Turns a broken CHECK, NOT NULL or foreign key into [`StoreError::Invalid`] that says
/// what was refused; other errors pass through.
fn refused(what: &str, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Invalid(format!("{what}: {e}")),
        _ => StoreError::Sqlite(e),
    }
}

impl Accounts for SqliteStore {
    fn add_user(&self, user: &NewUser<'_>) -> Result<User, StoreError> {
        self.write_accounts(|tx| {
            let taken: Option<String> = tx
                .prepare_cached("SELECT email FROM users WHERE email = ?1")?
                .query_row([user.email], |r| r.get(0))
                .optional()?;
            if let Some(taken) = taken {
                return Err(StoreError::Invalid(format!(
                    "an account with the email {} already exists (as {taken})",
                    user.email
                )));
            }
            tx.prepare_cached(
                "INSERT INTO users (email, name, role, password_hash, created)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                user.email,
                user.name,
                user.role,
                user.password_hash,
                user.created
            ])
            .map_err(|e| refused(&format!("cannot add the account {}", user.email), e))?;
            let id = tx.last_insert_rowid();
            user_by_id(tx, id)?
                .ok_or_else(|| StoreError::Invalid(format!("the account {id} vanished")))
        })
    }

    fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.read(|c| user_by_id(c, id))
    }

    fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE email = ?1"
            ))?
            .query_row([email], user_row)
            .optional()?)
        })
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY email, id"
            ))?;
            let rows = stmt.query_map([], user_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn has_users(&self) -> Result<bool, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT 1 FROM users LIMIT 1")?
                .exists([])?)
        })
    }

    fn set_role(&self, id: UserId, role: &str) -> Result<(), StoreError> {
        self.write_accounts(|tx| {
            let n = tx
                .prepare_cached("UPDATE users SET role = ?2 WHERE id = ?1")?
                .execute(params![id, role])
                .map_err(|e| refused("cannot set the role", e))?;
            changed_user(n, id)
        })
    }

    fn set_name(&self, id: UserId, name: &str) -> Result<(), StoreError> {
        self.write_accounts(|tx| {
            let n = tx
                .prepare_cached("UPDATE users SET name = ?2 WHERE id = ?1")?
                .execute(params![id, name])?;
            changed_user(n, id)
        })
    }

    fn set_disabled(&self, id: UserId, disabled: bool) -> Result<(), StoreError> {
        self.write_accounts(|tx| {
            let n = tx
                .prepare_cached("UPDATE users SET disabled = ?2 WHERE id = ?1")?
                .execute(params![id, disabled])?;
            changed_user(n, id)
        })
    }

    fn set_password_hash(&self, id: UserId, hash: &str) -> Result<(), StoreError> {
        self.write_accounts(|tx| {
            let n = tx
                .prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")?
                .execute(params![id, hash])
                .map_err(|e| refused("cannot set the password hash", e))?;
            changed_user(n, id)
        })
    }

    fn login_failed(&self, id: UserId, locked_until: Option<i64>) -> Result<u32, StoreError> {
        self.write_accounts(|tx| {
            tx.prepare_cached(
                "UPDATE users SET failed_logins = failed_logins + 1, locked_until = ?2
                 WHERE id = ?1 RETURNING failed_logins",
            )?
            .query_row(params![id, locked_until], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::Invalid(format!("there is no account number {id}")))
        })
    }

    fn login_succeeded(&self, id: UserId, at: i64) -> Result<(), StoreError> {
        self.write_accounts(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login = ?2
                     WHERE id = ?1",
                )?
                .execute(params![id, at])?;
            changed_user(n, id)
        })
    }

    fn unlock(&self, id: UserId) -> Result<(), StoreError> {
        self.write_accounts(|tx| {
            let n = tx
                .prepare_cached(
                    "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?1",
                )?
                .execute([id])?;
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
        self.write_accounts(|tx| {
            tx.prepare_cached("DELETE FROM login_limits WHERE last <= ?1")?
                .execute([now.saturating_sub(forget_after)])?;
            let before: Option<(u32, i64)> = tx
                .prepare_cached(
                    "SELECT failures, held_until FROM login_limits WHERE kind = ?1 AND key = ?2",
                )?
                .query_row(params![kind.as_str(), key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let (failures, held_until) = counted(before, now, hold);
            tx.prepare_cached(
                "INSERT INTO login_limits (kind, key, failures, last, held_until)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (kind, key) DO UPDATE SET failures = excluded.failures,
                   last = excluded.last, held_until = excluded.held_until",
            )?
            .execute(params![kind.as_str(), key, failures, now, held_until])?;
            Ok(LoginCount {
                failures,
                last: now,
                held_until,
            })
        })
    }

    fn login_count(&self, kind: LimitKind, key: &str) -> Result<Option<LoginCount>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT failures, last, held_until FROM login_limits WHERE kind = ?1 AND key = ?2",
            )?
            .query_row(params![kind.as_str(), key], |r| {
                Ok(LoginCount {
                    failures: r.get(0)?,
                    last: r.get(1)?,
                    held_until: r.get(2)?,
                })
            })
            .optional()?)
        })
    }

    fn forget_login_failures(&self, kind: LimitKind, key: &str) -> Result<(), StoreError> {
        self.write_accounts(|tx| {
            tx.prepare_cached("DELETE FROM login_limits WHERE kind = ?1 AND key = ?2")?
                .execute(params![kind.as_str(), key])?;
            Ok(())
        })
    }

    fn add_session(&self, session: &Session) -> Result<(), StoreError> {
        self.write_accounts(|tx| {
            tx.prepare_cached(
                "INSERT INTO sessions (id_hash, user_id, csrf, created, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                session.id_hash,
                session.user,
                session.csrf,
                session.created,
                session.last_seen
            ])
            .map_err(|e| refused("cannot add the session", e))?;
            Ok(())
        })
    }

    fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT id_hash, user_id, csrf, created, last_seen FROM sessions WHERE id_hash = ?1",
            )?
            .query_row([id_hash], session_row)
            .optional()?)
        })
    }

    fn touch_session(&self, id_hash: &str, at: i64) -> Result<(), StoreError> {
        self.write_accounts(|tx| {
            // Never backwards: a clock set back must not make a session look older.
            tx.prepare_cached(
                "UPDATE sessions SET last_seen = max(last_seen, ?2) WHERE id_hash = ?1",
            )?
            .execute(params![id_hash, at])?;
            Ok(())
        })
    }

    fn remove_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        self.write_accounts(|tx| {
            Ok(tx
                .prepare_cached("DELETE FROM sessions WHERE id_hash = ?1")?
                .execute([id_hash])?
                > 0)
        })
    }

    fn remove_sessions_of(&self, user: UserId) -> Result<usize, StoreError> {
        self.write_accounts(|tx| {
            Ok(tx
                .prepare_cached("DELETE FROM sessions WHERE user_id = ?1")?
                .execute([user])?)
        })
    }

    fn remove_expired_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> Result<usize, StoreError> {
        self.write_accounts(|tx| {
            Ok(tx
                .prepare_cached("DELETE FROM sessions WHERE last_seen < ?1 OR created < ?2")?
                .execute(params![idle_before, created_before])?)
        })
    }

    fn add_token(&self, token: &NewToken<'_>) -> Result<ApiToken, StoreError> {
        self.write_accounts(|tx| {
            tx.prepare_cached(
                "INSERT INTO api_tokens (user_id, scope, label, hash, created)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                token.user,
                token.scope,
                token.label,
                token.hash,
                token.created
            ])
            .map_err(|e| refused("cannot add the API token", e))?;
            let id = tx.last_insert_rowid();
            Ok(tx
                .prepare_cached(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = ?1"
                ))?
                .query_row([id], token_row)?)
        })
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        self.read(|c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE hash = ?1"
            ))?
            .query_row([hash], token_row)
            .optional()?)
        })
    }

    fn tokens(&self, user: Option<UserId>) -> Result<Vec<ApiToken>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens
                 WHERE ?1 IS NULL OR user_id = ?1 ORDER BY id DESC"
            ))?;
            let rows = stmt.query_map([user], token_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn revoke_token(&self, id: i64, at: i64) -> Result<bool, StoreError> {
        self.write_accounts(|tx| {
            Ok(tx
                .prepare_cached(
                    "UPDATE api_tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
                )?
                .execute(params![id, at])?
                > 0)
        })
    }

    fn touch_token(&self, id: i64, at: i64) -> Result<(), StoreError> {
        self.write_accounts(|tx| {
            tx.prepare_cached(
                "UPDATE api_tokens SET last_used = max(coalesce(last_used, ?2), ?2) WHERE id = ?1",
            )?
            .execute(params![id, at])?;
            Ok(())
        })
    }

    fn audit(&self, entry: &NewAudit<'_>) -> Result<(), StoreError> {
        self.write_accounts(|tx| {
            tx.prepare_cached(
                "INSERT INTO audit (at, event, user_id, email, actor, address, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                entry.at,
                entry.event,
                entry.user,
                entry.email,
                entry.actor,
                entry.address,
                entry.detail
            ])
            .map_err(|e| refused("cannot write to the audit log", e))?;
            Ok(())
        })
    }

    fn audit_log(&self, before: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, event, user_id, email, actor, address, detail FROM audit
                 WHERE ?1 IS NULL OR id < ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![before, limit], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    event: r.get(2)?,
                    user: r.get(3)?,
                    email: r.get(4)?,
                    actor: r.get(5)?,
                    address: r.get(6)?,
                    detail: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::MIGRATIONS;
    use crate::Store;

    /// A store made by a dossier from before accounts (the first three migrations, with
    /// records in it) opens, gains the account tables, and keeps its records.
    #[test]
    fn a_store_from_before_accounts_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..3] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
            conn.execute(
                "INSERT INTO records (type, slug, title, kind, data, created, changed)
                 VALUES ('topic', 'old', 'Old', 'theme', '{}', 'x', 'x')",
                [],
            )
            .unwrap();
            let accounts: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'users'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(accounts, 0);
        }
        let store = SqliteStore::open(&path).unwrap();
        let version: i64 = store
            .writer
            .lock()
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
        assert!(store
            .exists(dossier_model::RecordType::Topic, "old")
            .unwrap());
        assert!(!store.has_users().unwrap());
        let user = store
            .add_user(&NewUser {
                email: "a@example.org",
                name: "A",
                role: "admin",
                password_hash: "$argon2id$v=19$x",
                created: 1,
            })
            .unwrap();
        assert_eq!(store.user(user.id).unwrap().unwrap(), user);
    }
    /// The schema drops an account's sessions and tokens with it (no method deletes an
    /// account yet; the foreign keys keep a later one from leaving orphans), and keeps its
    /// audit lines.
    #[test]
    fn deleting_an_account_takes_its_sessions_and_tokens() {
        let store = SqliteStore::in_memory().unwrap();
        let u = store
            .add_user(&NewUser {
                email: "a@example.org",
                name: "A",
                role: "editor",
                password_hash: "$argon2id$v=19$x",
                created: 1,
            })
            .unwrap();
        store
            .add_session(&Session {
                id_hash: "a".repeat(64),
                user: u.id,
                csrf: "c".into(),
                created: 1,
                last_seen: 1,
            })
            .unwrap();
        store
            .add_token(&NewToken {
                user: u.id,
                scope: "read",
                label: "",
                hash: &"b".repeat(64),
                created: 1,
            })
            .unwrap();
        store
            .audit(&NewAudit {
                at: 1,
                event: "user-added",
                user: Some(u.id),
                ..NewAudit::default()
            })
            .unwrap();
        store
            .writer
            .lock()
            .unwrap()
            .execute("DELETE FROM users WHERE id = ?1", [u.id])
            .unwrap();
        assert_eq!(store.session(&"a".repeat(64)).unwrap(), None);
        assert!(store.tokens(None).unwrap().is_empty());
        assert_eq!(store.audit_log(None, 10).unwrap().len(), 1);
    }
}
