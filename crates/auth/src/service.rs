//! The accounts service: the one place where logins, sessions, API tokens and account
//! changes follow their rules. The server's forms and the command line both call it, so a
//! rule (a password policy, a session ended on a role change, an audit line) holds
//! whichever way an account is changed. It blocks: hashing a password takes tens of
//! milliseconds, so the server calls it from its request workers.

use crate::limits::{unix_now, LoginLimiter, RetryAfter};
use crate::password::{self, HashError, PolicyError};
use crate::roles::{Right, Role};
use crate::secret;
use dossier_store::accounts::{
    ApiToken, AuditEntry, NewAudit, NewToken, NewUser, Session, User, UserId,
};
use dossier_store::{Accounts, Store, StoreError};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthConfig {
    /// A session unused for longer ends (8 hours by default).
    pub idle: Duration,
    /// A session older than this ends however busy it is (7 days by default).
    pub absolute: Duration,
}

impl Default for AuthConfig {
    fn default() -> AuthConfig {
        AuthConfig {
            idle: Duration::from_secs(8 * 60 * 60),
            absolute: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}

/// The clock the service reads (seconds since 1970); tests set their own.
type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Sessions are touched, and token use audited, at most this often (seconds).
const TOUCH_EVERY: i64 = 60;
/// The longest email accepted (RFC 5321's path limit).
const MAX_EMAIL: usize = 254;
/// The longest name or token label accepted, in characters.
const MAX_NAME: usize = 200;
/// A cookie or token longer than this is nothing this service handed out.
const MAX_SECRET: usize = 128;

/// The accounts service. Cheap to clone: the store (which counts the login limits too) and
/// the clock are shared.
#[derive(Clone)]
pub struct Auth {
    store: Arc<dyn Store>,
    config: AuthConfig,
    clock: Clock,
}

/// A successful login.
pub struct LoggedIn {
    /// The value for the session cookie: a fresh random id, never one the browser had.
    pub cookie: String,
    pub viewer: Viewer,
}

/// The person behind a live session.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: User,
    pub role: Role,
    /// The session's token against cross-site request forgery.
    pub csrf: String,
    /// The session's id as the store keeps it (its digest), never the cookie's value.
    pub session: String,
}

impl Viewer {
    /// Whether this person's role has `right`.
    pub fn can(&self, right: Right) -> bool {
        self.role.can(right)
    }
}

/// Who asks for an account change: the command line (the archive's operator, who may do
/// anything) or a logged-in person, whose rights the service checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Cli,
    User {
        id: UserId,
        email: String,
        role: Role,
        address: String,
    },
}

impl Actor {
    /// The person behind `viewer`, asking from `address`.
    pub fn of(viewer: &Viewer, address: &str) -> Actor {
        Actor::User {
            id: viewer.user.id,
            email: viewer.user.email.clone(),
            role: viewer.role,
            address: address.to_string(),
        }
    }

    /// How the audit log names the actor.
    fn name(&self) -> &str {
        match self {
            Actor::Cli => "cli",
            Actor::User { email, .. } => email,
        }
    }

    fn address(&self) -> Option<&str> {
        match self {
            Actor::Cli => None,
            Actor::User { address, .. } => Some(address),
        }
    }

    fn can(&self, right: Right) -> bool {
        match self {
            Actor::Cli => true,
            Actor::User { role, .. } => role.can(right),
        }
    }
}

/// What an API token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Read what the account's role may read.
    Read,
    /// Read and write what the account's role may.
    Write,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scope name other than `read` or `write`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a token scope; the scopes are read and write")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Scope, UnknownScope> {
        match s {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            _ => Err(UnknownScope(s.to_string())),
        }
    }
}

/// The account behind a valid API token.
#[derive(Clone, Debug)]
pub struct Bearer {
    pub user: User,
    pub role: Role,
    pub scope: Scope,
    /// The token's id.
    pub token: i64,
}

impl Bearer {
    /// Whether the token may use `right`: the role must have it, and anything beyond
    /// reading published records needs a write token.
    pub fn can(&self, right: Right) -> bool {
        self.role.can(right) && (right == Right::ReadPublished || self.scope == Scope::Write)
    }
}

/// Why the service said no. The messages are for the person asking.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown email, wrong password, or a disabled account: one answer for all three.
    #[error("The email or the password is not right.")]
    Refused,
    /// Too many failed logins for this account or from this address.
    #[error("Too many failed logins; try again in {retry_after} seconds.")]
    TooMany { retry_after: u64 },
    #[error("{0}")]
    Password(PolicyError),
    #[error("no account has the email {0:?}")]
    NoSuchUser(String),
    #[error("an account with the email {0:?} exists already")]
    Exists(String),
    #[error("{0:?} is not an email address this archive accepts: one @ with text on both sides, no spaces or control characters, at most 254 bytes")]
    BadEmail(String),
    /// Unknown, revoked, or its account is disabled (one answer for all).
    #[error("The token is not valid: unknown, revoked, or its account is disabled.")]
    BadToken,
    /// The actor's role lacks this right (its name).
    #[error("this needs the right `{0}`, which your role does not have")]
    Forbidden(&'static str),
    /// Another value breaks a rule: a name, a token label, the role reader for an
    /// account, a token for a disabled account.
    #[error("{0}")]
    Invalid(String),
    /// The password could not be hashed (the system's random source failed).
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<PolicyError> for AuthError {
    fn from(e: PolicyError) -> AuthError {
        AuthError::Password(e)
    }
}

impl Auth {
    /// The service over `store`, or `None` when the store keeps no accounts.
    pub fn new(store: Arc<dyn Store>) -> Option<Auth> {
        store.accounts()?;
        Some(Auth {
            store,
            config: AuthConfig::default(),
            clock: Arc::new(unix_now),
        })
    }

    pub fn with_config(self, config: AuthConfig) -> Auth {
        Auth { config, ..self }
    }

    /// The service reading the time from `clock` (seconds since 1970) instead of the
    /// system clock: for tests of expiry and delays that do not sleep.
    pub fn with_clock(self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Auth {
        Auth {
            clock: Arc::new(clock),
            ..self
        }
    }

    pub fn config(&self) -> AuthConfig {
        self.config
    }

    /// The login limits, counted in the store (so every server on it counts together).
    pub fn limiter(&self) -> LoginLimiter<'_> {
        LoginLimiter::new(self.accounts())
    }

    pub fn accounts(&self) -> &dyn Accounts {
        self.store
            .accounts()
            .expect("Auth::new checked that the store keeps accounts")
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Logs in: a new session with a fresh random id on success. Unknown email, wrong
    /// password and disabled account all give [`AuthError::Refused`] after the same work
    /// (an unknown email is verified against a dummy hash); [`AuthError::TooMany`] when
    /// the account or the address is held back, before any hashing.
    pub fn login(&self, email: &str, password: &str, address: &str) -> Result<LoggedIn, AuthError> {
        let now = self.now();
        let accounts = self.accounts();
        if let Err(RetryAfter(secs)) = self.limiter().check_at(email, address, now)? {
            return Err(AuthError::TooMany { retry_after: secs });
        }
        let user = accounts.user_by_email(email.trim())?;
        if let Some(until) = user.as_ref().and_then(|u| u.locked_until) {
            if until > now {
                return Err(AuthError::TooMany {
                    retry_after: (until - now).unsigned_abs(),
                });
            }
        }

        let (verified, why) = match &user {
            _ if password.len() > password::MAX_BYTES => (false, "password too long"),
            Some(u) => {
                let v = password::verify(password, &u.password_hash);
                match (v.ok, u.disabled) {
                    (true, false) => {
                        if v.needs_rehash {
                            self.rehash(u, password);
                        }
                        (true, "")
                    }
                    (true, true) => (false, "account disabled"),
                    (false, _) => (false, "wrong password"),
                }
            }
            None => {
                password::verify_dummy(password);
                (false, "unknown email")
            }
        };
        let role = user.as_ref().and_then(|u| u.role.parse::<Role>().ok());
        match (verified, user, role) {
            (true, Some(user), Some(role)) => self.logged_in(user, role, address, now),
            (_, user, _) => {
                let why = if verified { "unknown role" } else { why };
                self.login_failed(email, user.as_ref(), address, why, now)?;
                Err(AuthError::Refused)
            }
        }
    }

    fn rehash(&self, user: &User, password: &str) {
        match password::hash(password) {
            Ok(h) => {
                if let Err(e) = self.accounts().set_password_hash(user.id, &h) {
                    tracing::warn!(user = user.id, error = %e, "could not store a rehashed password");
                }
            }
            Err(e) => tracing::warn!(user = user.id, error = %e, "could not rehash a password"),
        }
    }

    fn logged_in(
        &self,
        user: User,
        role: Role,
        address: &str,
        now: i64,
    ) -> Result<LoggedIn, AuthError> {
        let accounts = self.accounts();
        self.limiter().succeeded(&user.email)?;
        accounts.login_succeeded(user.id, now)?;
        // Sweep sessions that expired unseen; cheap, and keeps the table small.
        accounts.remove_expired_sessions(now - self.idle_secs(), now - self.absolute_secs())?;
        let cookie = secret::random_token();
        let session = Session {
            id_hash: secret::digest(&cookie),
            user: user.id,
            csrf: secret::random_token(),
            created: now,
            last_seen: now,
        };
        accounts.add_session(&session)?;
        accounts.audit(&NewAudit {
            at: now,
            event: "login",
            user: Some(user.id),
            email: Some(&user.email),
            actor: Some(&user.email),
            address: Some(address),
            detail: "",
        })?;
        let user = accounts.user(user.id)?.unwrap_or(user);
        Ok(LoggedIn {
            cookie,
            viewer: Viewer {
                user,
                role,
                csrf: session.csrf,
                session: session.id_hash,
            },
        })
    }

    fn login_failed(
        &self,
        typed: &str,
        user: Option<&User>,
        address: &str,
        why: &str,
        now: i64,
    ) -> Result<(), AuthError> {
        let accounts = self.accounts();
        let tripped = self.limiter().failed_at(typed, address, now)?;
        let locked_until = tripped
            .account
            .map(|s| now.saturating_add(i64::try_from(s).unwrap_or(i64::MAX)));
        if let Some(u) = user {
            accounts.login_failed(u.id, locked_until)?;
        }
        // For an unknown email, what was typed (clipped), for the admin's eyes only.
        let email = user.map_or_else(|| clip(typed.trim(), MAX_EMAIL), |u| u.email.as_str());
        let entry = NewAudit {
            at: now,
            event: "login-failed",
            user: user.map(|u| u.id),
            email: Some(email),
            actor: None,
            address: Some(address),
            detail: why,
        };
        accounts.audit(&entry)?;
        if tripped.account.is_some() || tripped.address.is_some() {
            let detail = match (tripped.account, tripped.address) {
                (Some(a), Some(b)) => {
                    format!("account held back {a} s; address held back {b} s")
                }
                (Some(a), None) => format!("account held back {a} s"),
                (None, Some(b)) => format!("address held back {b} s"),
                (None, None) => String::new(),
            };
            accounts.audit(&NewAudit {
                event: "lockout",
                detail: &detail,
                ..entry
            })?;
        }
        Ok(())
    }

    fn idle_secs(&self) -> i64 {
        i64::try_from(self.config.idle.as_secs()).unwrap_or(i64::MAX)
    }

    fn absolute_secs(&self) -> i64 {
        i64::try_from(self.config.absolute.as_secs()).unwrap_or(i64::MAX)
    }

    /// The person behind a session cookie's value, or `None` when the session is unknown,
    /// idle too long, too old, or its account is gone or disabled (an expired session is
    /// removed). Touches the session at most once a minute.
    pub fn viewer(&self, cookie: &str) -> Result<Option<Viewer>, AuthError> {
        if cookie.is_empty() || cookie.len() > MAX_SECRET {
            return Ok(None);
        }
        let accounts = self.accounts();
        let id_hash = secret::digest(cookie);
        let Some(session) = accounts.session(&id_hash)? else {
            return Ok(None);
        };
        let now = self.now();
        let expired = now.saturating_sub(session.last_seen) > self.idle_secs()
            || now.saturating_sub(session.created) > self.absolute_secs();
        let user = if expired {
            None
        } else {
            accounts.user(session.user)?.filter(|u| !u.disabled)
        };
        let role = user.as_ref().and_then(|u| u.role.parse::<Role>().ok());
        let (Some(user), Some(role)) = (user, role) else {
            accounts.remove_session(&id_hash)?;
            return Ok(None);
        };
        if now - session.last_seen >= TOUCH_EVERY {
            accounts.touch_session(&id_hash, now)?;
        }
        Ok(Some(Viewer {
            user,
            role,
            csrf: session.csrf,
            session: id_hash,
        }))
    }

    /// Ends the session of a cookie's value at once. An unknown session is no error.
    pub fn logout(&self, cookie: &str, address: &str) -> Result<(), AuthError> {
        if cookie.is_empty() || cookie.len() > MAX_SECRET {
            return Ok(());
        }
        let accounts = self.accounts();
        let id_hash = secret::digest(cookie);
        let Some(session) = accounts.session(&id_hash)? else {
            return Ok(());
        };
        accounts.remove_session(&id_hash)?;
        let user = accounts.user(session.user)?;
        let email = user.as_ref().map(|u| u.email.as_str());
        accounts.audit(&NewAudit {
            at: self.now(),
            event: "logout",
            user: Some(session.user),
            email,
            actor: email,
            address: Some(address),
            detail: "",
        })?;
        Ok(())
    }

    /// The account behind an API token (`Authorization: Bearer …`). Unknown, revoked, or a
    /// disabled account's token: [`AuthError::BadToken`], audited. Marks the token used and
    /// audits its use at most once a minute.
    pub fn bearer(&self, token: &str, address: &str) -> Result<Bearer, AuthError> {
        let accounts = self.accounts();
        let now = self.now();
        let found = if token.is_empty() || token.len() > MAX_SECRET {
            None
        } else {
            accounts.token_by_hash(&secret::digest(token))?
        };
        let refuse = |t: Option<&ApiToken>, user: Option<&User>, why: &str| {
            let detail = match t {
                Some(t) => format!("token {}: {why}", t.id),
                None => why.to_string(),
            };
            accounts.audit(&NewAudit {
                at: now,
                event: "token-refused",
                user: t.map(|t| t.user),
                email: user.map(|u| u.email.as_str()),
                actor: None,
                address: Some(address),
                detail: &detail,
            })?;
            Err(AuthError::BadToken)
        };
        let Some(t) = found else {
            return refuse(None, None, "unknown token");
        };
        if t.revoked.is_some() {
            return refuse(Some(&t), None, "revoked");
        }
        let Some(user) = accounts.user(t.user)? else {
            return refuse(Some(&t), None, "account gone");
        };
        if user.disabled {
            return refuse(Some(&t), Some(&user), "account disabled");
        }
        let (Ok(role), Ok(scope)) = (user.role.parse::<Role>(), t.scope.parse::<Scope>()) else {
            return refuse(Some(&t), Some(&user), "unknown role or scope");
        };
        if t.last_used.is_none_or(|at| now - at >= TOUCH_EVERY) {
            accounts.touch_token(t.id, now)?;
            accounts.audit(&NewAudit {
                at: now,
                event: "token-used",
                user: Some(user.id),
                email: Some(&user.email),
                actor: Some(&user.email),
                address: Some(address),
                detail: &format!("token {}", t.id),
            })?;
        }
        Ok(Bearer {
            user,
            role,
            scope,
            token: t.id,
        })
    }

    fn require(&self, actor: &Actor, right: Right) -> Result<(), AuthError> {
        if actor.can(right) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(right.name()))
        }
    }

    fn find(&self, email: &str) -> Result<User, AuthError> {
        self.accounts()
            .user_by_email(email.trim())?
            .ok_or_else(|| AuthError::NoSuchUser(email.trim().to_string()))
    }

    fn audit(
        &self,
        actor: &Actor,
        event: &str,
        user: &User,
        detail: &str,
    ) -> Result<(), AuthError> {
        self.accounts().audit(&NewAudit {
            at: self.now(),
            event,
            user: Some(user.id),
            email: Some(&user.email),
            actor: Some(actor.name()),
            address: actor.address(),
            detail,
        })?;
        Ok(())
    }

    fn reread(&self, user: &User) -> Result<User, AuthError> {
        self.accounts()
            .user(user.id)?
            .ok_or_else(|| AuthError::NoSuchUser(user.email.clone()))
    }

    /// Adds an account. `name` defaults to the part of the email before `@`.
    pub fn add_user(
        &self,
        actor: &Actor,
        email: &str,
        name: Option<&str>,
        role: Role,
        password: &str,
    ) -> Result<User, AuthError> {
        self.require(actor, Right::ManageUsers)?;
        let email = email.trim();
        check_email(email)?;
        let name = match name.map(str::trim) {
            Some(n) if !n.is_empty() => n,
            _ => email.split('@').next().unwrap_or(email),
        };
        check_text("name", name)?;
        account_role(role)?;
        password::check_policy(password, email)?;
        let accounts = self.accounts();
        if accounts.user_by_email(email)?.is_some() {
            return Err(AuthError::Exists(email.to_string()));
        }
        let hash = password::hash(password)?;
        let user = accounts.add_user(&NewUser {
            email,
            name,
            role: role.name(),
            password_hash: &hash,
            created: self.now(),
        })?;
        self.audit(actor, "user-added", &user, &format!("role {role}"))?;
        Ok(user)
    }

    /// Changes an account's role and ends its sessions (a new role starts with a new
    /// login, and a new session id).
    pub fn set_role(&self, actor: &Actor, email: &str, role: Role) -> Result<User, AuthError> {
        self.require(actor, Right::ManageUsers)?;
        account_role(role)?;
        let user = self.find(email)?;
        if user.role == role.name() {
            return Ok(user);
        }
        let accounts = self.accounts();
        accounts.set_role(user.id, role.name())?;
        accounts.remove_sessions_of(user.id)?;
        self.audit(
            actor,
            "role-changed",
            &user,
            &format!("{} → {}", user.role, role),
        )?;
        self.reread(&user)
    }

    /// Disables an account (its sessions end at once, its tokens stop working) or enables
    /// it again.
    pub fn set_disabled(
        &self,
        actor: &Actor,
        email: &str,
        disabled: bool,
    ) -> Result<User, AuthError> {
        self.require(actor, Right::ManageUsers)?;
        let user = self.find(email)?;
        if user.disabled == disabled {
            return Ok(user);
        }
        let accounts = self.accounts();
        accounts.set_disabled(user.id, disabled)?;
        if disabled {
            let ended = accounts.remove_sessions_of(user.id)?;
            let detail = format!("{ended} sessions ended");
            self.audit(actor, "user-disabled", &user, &detail)?;
        } else {
            self.audit(actor, "user-enabled", &user, "")?;
        }
        self.reread(&user)
    }

    /// Sets a new password: its sessions end, and a lock is lifted.
    pub fn reset_password(
        &self,
        actor: &Actor,
        email: &str,
        password: &str,
    ) -> Result<User, AuthError> {
        self.require(actor, Right::ManageUsers)?;
        let user = self.find(email)?;
        password::check_policy(password, &user.email)?;
        let hash = password::hash(password)?;
        let accounts = self.accounts();
        accounts.set_password_hash(user.id, &hash)?;
        let ended = accounts.remove_sessions_of(user.id)?;
        self.lift_lock(&user)?;
        self.audit(
            actor,
            "password-reset",
            &user,
            &format!("{ended} sessions ended"),
        )?;
        self.reread(&user)
    }

    /// Lifts a lock after too many failed logins.
    pub fn unlock(&self, actor: &Actor, email: &str) -> Result<User, AuthError> {
        self.require(actor, Right::ManageUsers)?;
        let user = self.find(email)?;
        self.lift_lock(&user)?;
        self.audit(actor, "user-unlocked", &user, "")?;
        self.reread(&user)
    }

    fn lift_lock(&self, user: &User) -> Result<(), AuthError> {
        self.limiter().unlock(&user.email)?;
        if user.locked_until.is_some() || user.failed_logins > 0 {
            self.accounts().unlock(user.id)?;
        }
        Ok(())
    }

    /// Creates an API token for the account with `email`; returns it and its secret,
    /// which is shown once and kept only as a digest. A logged-in person may create
    /// tokens for their own account; for another's they need to manage users.
    pub fn create_token(
        &self,
        actor: &Actor,
        email: &str,
        scope: Scope,
        label: &str,
    ) -> Result<(ApiToken, String), AuthError> {
        let user = self.find(email)?;
        if !is_self(actor, user.id) {
            self.require(actor, Right::ManageUsers)?;
        }
        let label = label.trim();
        check_text("label", label)?;
        if user.disabled {
            return Err(AuthError::Invalid(format!(
                "the account {:?} is disabled; enable it before giving it a token",
                user.email
            )));
        }
        let token = secret::random_token();
        let saved = self.accounts().add_token(&NewToken {
            user: user.id,
            scope: scope.name(),
            label,
            hash: &secret::digest(&token),
            created: self.now(),
        })?;
        self.audit(
            actor,
            "token-created",
            &user,
            &format!("token {}, scope {scope}", saved.id),
        )?;
        Ok((saved, token))
    }

    /// Revokes a token: it stops working at once. Revoking a revoked token changes
    /// nothing. A logged-in person may revoke their own tokens.
    pub fn revoke_token(&self, actor: &Actor, id: i64) -> Result<ApiToken, AuthError> {
        let accounts = self.accounts();
        let own = match actor {
            Actor::User { id: me, role, .. } if !role.can(Right::ManageUsers) => Some(*me),
            _ => None,
        };
        let Some(token) = accounts.tokens(own)?.into_iter().find(|t| t.id == id) else {
            return Err(if own.is_some() {
                AuthError::Forbidden(Right::ManageUsers.name())
            } else {
                AuthError::Invalid(format!("there is no token {id}"))
            });
        };
        let now = self.now();
        if accounts.revoke_token(id, now)? {
            let user = accounts.user(token.user)?;
            accounts.audit(&NewAudit {
                at: now,
                event: "token-revoked",
                user: Some(token.user),
                email: user.as_ref().map(|u| u.email.as_str()),
                actor: Some(actor.name()),
                address: actor.address(),
                detail: &format!("token {id}"),
            })?;
        }
        Ok(accounts
            .tokens(Some(token.user))?
            .into_iter()
            .find(|t| t.id == id)
            .unwrap_or(token))
    }

    /// The audit log, newest first: at most `limit` entries with an id below `before`.
    pub fn audit_log(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, AuthError> {
        self.require(actor, Right::ReadAudit)?;
        Ok(self.accounts().audit_log(before, limit)?)
    }

    /// Accounts locked now after too many failed logins.
    pub fn locked_users(&self, actor: &Actor) -> Result<Vec<User>, AuthError> {
        self.require(actor, Right::ManageUsers)?;
        let now = self.now();
        Ok(self
            .accounts()
            .users()?
            .into_iter()
            .filter(|u| u.locked_until.is_some_and(|t| t > now))
            .collect())
    }
}

fn is_self(actor: &Actor, user: UserId) -> bool {
    matches!(actor, Actor::User { id, .. } if *id == user)
}

/// Reader is having no account; an account needs one of the others.
fn account_role(role: Role) -> Result<(), AuthError> {
    if Role::OF_ACCOUNTS.contains(&role) {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!(
            "an account cannot have the role {role}; the roles are contributor, editor, reviewer and admin"
        )))
    }
}

/// One `@` with text on both sides, no whitespace or control characters, at most 254
/// bytes. Deliverability is the mail system's business; this keeps out what would be
/// ambiguous or unsafe to show.
pub fn check_email(email: &str) -> Result<(), AuthError> {
    let bad = || AuthError::BadEmail(email.to_string());
    if email.len() > MAX_EMAIL || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
        {
            Ok(())
        }
        _ => Err(bad()),
    }
}

/// `s` cut to at most `max` bytes, at a character boundary.
fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A name or label: at most 200 characters, no control characters.
fn check_text(what: &str, text: &str) -> Result<(), AuthError> {
    if text.chars().count() > MAX_NAME {
        return Err(AuthError::Invalid(format!(
            "the {what} is too long: at most {MAX_NAME} characters"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(AuthError::Invalid(format!(
            "the {what} holds a control character (a tab, a line break…); write it on one line"
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
