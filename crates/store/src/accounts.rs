//! The people who keep the archive: accounts, their sessions and API tokens, and the audit
//! log of what they did to get in. Stored in the archive's own database, beside the
//! records, so that a backup of the store is a backup of who may change it.
//!
//! This layer stores and fetches; it decides nothing. Which role may do what, how a
//! password is hashed, when a session expires and how many failures lock an account are
//! the `dossier-auth` crate's rules. Secrets never reach the store in the clear: a
//! session's cookie value and an API token are kept as their SHA-256 digests, a password
//! as its Argon2id hash. Every time is whole seconds since 1970-01-01T00:00:00Z (UTC).

use crate::StoreError;
use serde::Serialize;

/// An account's number in the store.
pub type UserId = i64;

/// An account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    /// As it was typed at `user add`; looked up without regard to case.
    pub email: String,
    /// The name shown on pages (the part of the email before `@` unless set).
    pub name: String,
    /// A role's name (`contributor`, `editor`, `reviewer`, `admin`); the auth crate's
    /// `Role` reads it.
    pub role: String,
    /// The password's hash in the PHC string format (`$argon2id$v=19$m=…`). Never
    /// serialised.
    #[serde(skip)]
    pub password_hash: String,
    /// A disabled account cannot log in, and its sessions and tokens stop working.
    pub disabled: bool,
    pub created: i64,
    pub last_login: Option<i64>,
    /// Wrong passwords since the last good one.
    pub failed_logins: u32,
    /// Until when logins are refused after too many failures (`None`: not locked).
    pub locked_until: Option<i64>,
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub created: i64,
}

/// A logged-in browser's session, kept server-side; the cookie holds only a random id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (lowercase hex) of the cookie's value.
    pub id_hash: String,
    pub user: UserId,
    /// The session's token against cross-site request forgery, written into every form.
    pub csrf: String,
    pub created: i64,
    pub last_seen: i64,
}

/// An API token for scripts (`Authorization: Bearer …`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user: UserId,
    /// `read` or `write`.
    pub scope: String,
    /// What the token is for, as its creator said.
    pub label: String,
    /// SHA-256 (lowercase hex) of the token. Never serialised.
    #[serde(skip)]
    pub hash: String,
    pub created: i64,
    pub last_used: Option<i64>,
    /// When it was revoked (a revoked token is refused).
    pub revoked: Option<i64>,
}

/// A token to create.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub user: UserId,
    pub scope: &'a str,
    pub label: &'a str,
    pub hash: &'a str,
    pub created: i64,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    /// What happened: `login`, `login-failed`, `lockout`, `logout`, `user-added`,
    /// `role-changed`, `user-disabled`, `user-enabled`, `password-reset`,
    /// `token-created`, `token-revoked`, `token-used`, `token-refused`, `csrf-refused`…
    pub event: String,
    /// The account acted on or acting, when there is one.
    pub user: Option<UserId>,
    /// The email that was typed or acted on (a failed login for an unknown address keeps
    /// what was typed, for the admin; never shown to the person who typed it).
    pub email: Option<String>,
    /// Who did it: `cli`, or the account's email for an action on the web.
    pub actor: Option<String>,
    /// The client's address, for web actions.
    pub address: Option<String>,
    /// Anything else worth knowing, in words (`editor → reviewer`, `token 3`).
    pub detail: String,
}

/// A line to append to the audit log.
#[derive(Debug, Clone, Default)]
pub struct NewAudit<'a> {
    pub at: i64,
    pub event: &'a str,
    pub user: Option<UserId>,
    pub email: Option<&'a str>,
    pub actor: Option<&'a str>,
    pub address: Option<&'a str>,
    pub detail: &'a str,
}

/// What failed logins are counted against: the account (the email as typed, lowercased,
/// whether an account has it or not) or the client's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    Account,
    Address,
}

impl LimitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Account => "account",
            LimitKind::Address => "address",
        }
    }
}

/// The failed logins counted against one key, kept where every server counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginCount {
    /// Failures since the count last started from nothing.
    pub failures: u32,
    /// The latest failure's time.
    pub last: i64,
    /// Until when logins under the key are held back (0: never).
    pub held_until: i64,
}

/// Where accounts, sessions, tokens and the audit log are kept. Each method is one
/// transaction; a failure changes nothing.
pub trait Accounts: Send + Sync {
    /// Creates an account; [`StoreError::Invalid`] when the email (in any case) is taken.
    fn add_user(&self, user: &NewUser<'_>) -> Result<User, StoreError>;
    fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The account with this email, compared without regard to case.
    fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    /// Every account, by email.
    fn users(&self) -> Result<Vec<User>, StoreError>;
    /// Whether any account exists (the first admin is made on the command line).
    fn has_users(&self) -> Result<bool, StoreError>;
    fn set_role(&self, id: UserId, role: &str) -> Result<(), StoreError>;
    fn set_name(&self, id: UserId, name: &str) -> Result<(), StoreError>;
    fn set_disabled(&self, id: UserId, disabled: bool) -> Result<(), StoreError>;
    fn set_password_hash(&self, id: UserId, hash: &str) -> Result<(), StoreError>;
    /// Counts a wrong password and sets (or clears) the lock; returns the new count.
    fn login_failed(&self, id: UserId, locked_until: Option<i64>) -> Result<u32, StoreError>;
    /// A good login: the failure count and the lock are cleared, `last_login` set.
    fn login_succeeded(&self, id: UserId, at: i64) -> Result<(), StoreError>;
    /// Lifts a lock by hand: the failure count and the lock are cleared, nothing else.
    fn unlock(&self, id: UserId) -> Result<(), StoreError>;

    /// Counts a failed login against `key` at `now`, in one transaction, so that servers
    /// counting at once each count: a count whose last failure is `forget_after` seconds
    /// old or more starts again from nothing, and the key is held back until `now` plus
    /// what `hold` gives for the new count (never earlier than it already was). Counts
    /// forgotten by then are removed. Returns the count after it.
    fn count_login_failure(
        &self,
        kind: LimitKind,
        key: &str,
        now: i64,
        forget_after: i64,
        hold: &(dyn Fn(u32) -> u64 + Sync),
    ) -> Result<LoginCount, StoreError>;
    /// What is counted against `key` (`None`: nothing).
    fn login_count(&self, kind: LimitKind, key: &str) -> Result<Option<LoginCount>, StoreError>;
    /// Forgets what is counted against `key` (a good login, an admin's unlock).
    fn forget_login_failures(&self, kind: LimitKind, key: &str) -> Result<(), StoreError>;

    fn add_session(&self, session: &Session) -> Result<(), StoreError>;
    fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError>;
    fn touch_session(&self, id_hash: &str, at: i64) -> Result<(), StoreError>;
    /// Ends one session; false if there was none.
    fn remove_session(&self, id_hash: &str) -> Result<bool, StoreError>;
    /// Ends every session of an account (disable, role change, password reset); returns
    /// how many.
    fn remove_sessions_of(&self, user: UserId) -> Result<usize, StoreError>;
    /// Removes sessions idle since before `idle_before` or created before
    /// `created_before`; returns how many.
    fn remove_expired_sessions(
        &self,
        idle_before: i64,
        created_before: i64,
    ) -> Result<usize, StoreError>;

    fn add_token(&self, token: &NewToken<'_>) -> Result<ApiToken, StoreError>;
    fn token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError>;
    /// Tokens, newest first: one account's, or every account's with `None`.
    fn tokens(&self, user: Option<UserId>) -> Result<Vec<ApiToken>, StoreError>;
    /// Revokes a token; false if there is no such token or it was already revoked.
    fn revoke_token(&self, id: i64, at: i64) -> Result<bool, StoreError>;
    fn touch_token(&self, id: i64, at: i64) -> Result<(), StoreError>;

    fn audit(&self, entry: &NewAudit<'_>) -> Result<(), StoreError>;
    /// The log, newest first: at most `limit` entries with an id below `before` (all with
    /// `None`).
    fn audit_log(&self, before: Option<i64>, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;
}

/// A failure counted on what was counted before (`(failures, held_until)`, `None`:
/// nothing, or forgotten): the new count, and until when the key is held back (what
/// `hold` gives for the new count from `now`, never earlier than before). The same
/// arithmetic for both stores.
pub(crate) fn counted(
    before: Option<(u32, i64)>,
    now: i64,
    hold: &(dyn Fn(u32) -> u64 + Sync),
) -> (u32, i64) {
    let (failures, held) = before.unwrap_or((0, 0));
    let failures = failures.saturating_add(1);
    let secs = i64::try_from(hold(failures)).unwrap_or(i64::MAX);
    let held_until = if secs == 0 {
        held
    } else {
        held.max(now.saturating_add(secs))
    };
    (failures, held_until)
}
