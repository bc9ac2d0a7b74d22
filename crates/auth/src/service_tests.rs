//! The service against a real store (`SqliteStore::in_memory`), with a clock the tests
//! move by hand.

use super::*;
use dossier_store::SqliteStore;
use std::sync::atomic::{AtomicI64, Ordering};

const T0: i64 = 1_800_000_000;
const PW: &str = "plover-candle-harbour";
const ADDR: &str = "192.0.2.10";

struct Rig {
    auth: Auth,
    clock: Arc<AtomicI64>,
}

impl Rig {
    fn new() -> Rig {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
        let clock = Arc::new(AtomicI64::new(T0));
        let c = clock.clone();
        let auth = Auth::new(store)
            .expect("SqliteStore keeps accounts")
            .with_clock(move || c.load(Ordering::SeqCst));
        Rig { auth, clock }
    }

    fn advance(&self, secs: i64) {
        self.clock.fetch_add(secs, Ordering::SeqCst);
    }

    fn add(&self, email: &str, role: Role) -> User {
        self.auth
            .add_user(&Actor::Cli, email, None, role, PW)
            .unwrap()
    }

    fn events(&self) -> Vec<String> {
        let mut log = self.auth.audit_log(&Actor::Cli, None, 1000).unwrap();
        log.reverse();
        log.into_iter().map(|e| e.event).collect()
    }

    fn admin(&self) -> Actor {
        self.add("root@example.org", Role::Admin);
        let v = self
            .auth
            .login("root@example.org", PW, ADDR)
            .unwrap()
            .viewer;
        Actor::of(&v, ADDR)
    }
}

fn refused(r: Result<LoggedIn, AuthError>) -> String {
    match r {
        Err(e @ AuthError::Refused) => e.to_string(),
        Err(e) => panic!("expected Refused, got {e:?}"),
        Ok(_) => panic!("expected Refused, got a login"),
    }
}

#[test]
fn login_works_and_every_refusal_reads_the_same() {
    let rig = Rig::new();
    rig.add("ann@example.org", Role::Editor);
    rig.add("off@example.org", Role::Editor);
    rig.auth
        .set_disabled(&Actor::Cli, "off@example.org", true)
        .unwrap();

    let ok = rig.auth.login("Ann@Example.org ", PW, ADDR).unwrap();
    assert_eq!(ok.viewer.role, Role::Editor);
    assert_eq!(ok.viewer.user.email, "ann@example.org");
    assert_eq!(ok.viewer.user.last_login, Some(T0));
    assert!(ok.viewer.can(Right::EditAny) && !ok.viewer.can(Right::Publish));

    let wrong = refused(rig.auth.login("ann@example.org", "not-the-password", ADDR));
    let unknown = refused(rig.auth.login("nobody@example.org", PW, ADDR));
    let disabled = refused(rig.auth.login("off@example.org", PW, ADDR));
    let huge = refused(rig.auth.login("ann@example.org", &"x".repeat(5000), ADDR));
    assert_eq!(wrong, "The email or the password is not right.");
    assert!(wrong == unknown && unknown == disabled && disabled == huge);

    // The admin sees why; the password itself is written nowhere.
    let log = rig.auth.audit_log(&Actor::Cli, None, 100).unwrap();
    let details: Vec<&str> = log
        .iter()
        .filter(|e| e.event == "login-failed")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(
        details,
        [
            "password too long",
            "account disabled",
            "unknown email",
            "wrong password"
        ]
    );
    let unknown_entry = log.iter().find(|e| e.detail == "unknown email").unwrap();
    assert_eq!(unknown_entry.email.as_deref(), Some("nobody@example.org"));
    assert_eq!(unknown_entry.user, None);
    assert_eq!(unknown_entry.address.as_deref(), Some(ADDR));
    for e in &log {
        let text = format!("{e:?}");
        assert!(
            !text.contains(PW) && !text.contains("not-the-password"),
            "{text}"
        );
    }
}

#[test]
fn five_failures_lock_the_account_with_a_growing_delay() {
    let rig = Rig::new();
    rig.add("bo@example.org", Role::Contributor);
    for _ in 0..5 {
        refused(
            rig.auth
                .login("bo@example.org", "wrong-password-here", ADDR),
        );
    }
    // Even the right password waits now, and nothing is hashed or counted meanwhile.
    match rig.auth.login("bo@example.org", PW, "198.51.100.1") {
        Err(AuthError::TooMany { retry_after }) => assert_eq!(retry_after, 1),
        other => panic!("expected TooMany, got {:?}", other.map(|_| ())),
    }
    let user = rig
        .auth
        .accounts()
        .user_by_email("bo@example.org")
        .unwrap()
        .unwrap();
    assert_eq!(user.failed_logins, 5);
    assert_eq!(user.locked_until, Some(T0 + 1));
    let locked = rig.auth.locked_users(&Actor::Cli).unwrap();
    assert_eq!(locked.len(), 1);
    assert_eq!(locked[0].email, "bo@example.org");
    assert_eq!(rig.events().iter().filter(|e| *e == "lockout").count(), 1);

    // The delay passes; one more failure doubles it.
    rig.advance(1);
    refused(
        rig.auth
            .login("bo@example.org", "wrong-password-here", ADDR),
    );
    assert!(matches!(
        rig.auth.login("bo@example.org", PW, ADDR),
        Err(AuthError::TooMany { retry_after: 2 })
    ));
    rig.advance(2);
    let ok = rig
        .auth
        .login("bo@example.org", PW, "198.51.100.1")
        .unwrap();
    assert_eq!(ok.viewer.user.failed_logins, 0);
    assert_eq!(ok.viewer.user.locked_until, None);
    assert!(rig.auth.locked_users(&Actor::Cli).unwrap().is_empty());
}

#[test]
fn fifty_wrong_passwords_never_get_in_and_unknown_emails_lock_alike() {
    let rig = Rig::new();
    rig.add("cy@example.org", Role::Admin);
    let mut too_many = 0;
    for i in 0..50 {
        match rig
            .auth
            .login("cy@example.org", &format!("guess-number-{i:03}"), ADDR)
        {
            Err(AuthError::Refused) => {}
            Err(AuthError::TooMany { .. }) => too_many += 1,
            Err(e) => panic!("{e:?}"),
            Ok(_) => panic!("a wrong password logged in"),
        }
    }
    assert_eq!(too_many, 45);

    // An email nobody has is held back after the same five failures.
    for _ in 0..5 {
        refused(
            rig.auth
                .login("ghost@example.org", "guess-number-x", "203.0.113.5"),
        );
    }
    assert!(matches!(
        rig.auth
            .login("ghost@example.org", "guess-number-y", "203.0.113.6"),
        Err(AuthError::TooMany { retry_after: 1 })
    ));
    // What was typed for an unknown email is kept for the admin, as typed.
    refused(
        rig.auth
            .login("  Spectre@Example.ORG ", "guess-number-z", "203.0.113.9"),
    );
    let log = rig.auth.audit_log(&Actor::Cli, None, 1).unwrap();
    assert_eq!(log[0].email.as_deref(), Some("Spectre@Example.ORG"));
}

#[test]
fn admin_unlock_and_password_reset_lift_a_lock() {
    let rig = Rig::new();
    rig.add("di@example.org", Role::Editor);
    for _ in 0..5 {
        refused(
            rig.auth
                .login("di@example.org", "wrong-password-here", ADDR),
        );
    }
    assert!(matches!(
        rig.auth.login("di@example.org", PW, ADDR),
        Err(AuthError::TooMany { .. })
    ));
    let user = rig.auth.unlock(&Actor::Cli, "di@example.org").unwrap();
    assert_eq!(user.locked_until, None);
    // The account is free again; the address that guessed is still held back.
    assert!(matches!(
        rig.auth.login("di@example.org", PW, ADDR),
        Err(AuthError::TooMany { .. })
    ));
    rig.auth.login("di@example.org", PW, "10.2.2.2").unwrap();

    for _ in 0..5 {
        let _ = rig
            .auth
            .login("di@example.org", "wrong-password-here", "10.9.9.9");
    }
    let locked = rig
        .auth
        .accounts()
        .user_by_email("di@example.org")
        .unwrap()
        .unwrap();
    assert!(locked.locked_until.is_some() && locked.last_login == Some(T0));
    let new_pw = "a-brand-new-passphrase";
    rig.advance(100);
    let reset = rig
        .auth
        .reset_password(&Actor::Cli, "di@example.org", new_pw)
        .unwrap();
    // The lock and the count are gone; the last login is still the real one.
    assert_eq!(reset.locked_until, None);
    assert_eq!(reset.failed_logins, 0);
    assert_eq!(reset.last_login, Some(T0));
    refused(rig.auth.login("di@example.org", PW, "10.1.1.1"));
    rig.auth
        .login("di@example.org", new_pw, "10.1.1.1")
        .unwrap();
    let events = rig.events();
    assert!(events.contains(&"user-unlocked".to_string()));
    assert!(events.contains(&"password-reset".to_string()));
}

#[test]
fn every_login_makes_a_new_session_id_and_old_ones_never_return() {
    let rig = Rig::new();
    rig.add("ed@example.org", Role::Reviewer);
    let mut cookies = Vec::new();
    for _ in 0..5 {
        let li = rig.auth.login("ed@example.org", PW, ADDR).unwrap();
        assert_eq!(li.cookie.len(), 43);
        // The store keeps the digest, never the cookie's value.
        assert_eq!(li.viewer.session, secret::digest(&li.cookie));
        assert!(rig.auth.accounts().session(&li.cookie).unwrap().is_none());
        assert_ne!(li.viewer.csrf, li.cookie);
        cookies.push(li.cookie);
    }
    let mut distinct = cookies.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), cookies.len());

    // A value the browser brought (a fixation attempt) opens nothing.
    assert!(rig
        .auth
        .viewer("attacker-chosen-session-id")
        .unwrap()
        .is_none());
    assert!(rig.auth.viewer("").unwrap().is_none());
    assert!(rig.auth.viewer(&"x".repeat(10_000)).unwrap().is_none());

    // Logout ends that session at once, and only that one.
    rig.auth.logout(&cookies[0], ADDR).unwrap();
    assert!(rig.auth.viewer(&cookies[0]).unwrap().is_none());
    assert!(rig.auth.viewer(&cookies[1]).unwrap().is_some());
    rig.auth.logout(&cookies[0], ADDR).unwrap();
    assert_eq!(rig.events().iter().filter(|e| *e == "logout").count(), 1);
}

#[test]
fn idle_sessions_expire_and_busy_ones_stay() {
    let rig = Rig::new();
    rig.add("fay@example.org", Role::Editor);
    let idle = rig.auth.config().idle.as_secs() as i64;
    let li = rig.auth.login("fay@example.org", PW, ADDR).unwrap();
    let other = rig.auth.login("fay@example.org", PW, ADDR).unwrap();

    rig.advance(idle);
    assert!(
        rig.auth.viewer(&li.cookie).unwrap().is_some(),
        "exactly idle is still alive"
    );
    // That use touched it: another `idle` from now it is alive again.
    rig.advance(idle);
    let v = rig
        .auth
        .viewer(&li.cookie)
        .unwrap()
        .expect("touched an idle period ago");
    assert_eq!(v.csrf, li.viewer.csrf);
    // The other session was not used for two idle periods: gone, and removed.
    assert!(rig.auth.viewer(&other.cookie).unwrap().is_none());
    assert!(rig
        .auth
        .accounts()
        .session(&other.viewer.session)
        .unwrap()
        .is_none());
    rig.advance(idle + 1);
    assert!(rig.auth.viewer(&li.cookie).unwrap().is_none());
}

#[test]
fn a_session_ends_at_its_absolute_age_however_busy() {
    let rig = Rig::new().with_config_for_test(AuthConfig {
        idle: Duration::from_secs(3600),
        absolute: Duration::from_secs(5 * 3600),
    });
    rig.add("gil@example.org", Role::Editor);
    let li = rig.auth.login("gil@example.org", PW, ADDR).unwrap();
    for _ in 0..5 {
        rig.advance(3000);
        assert!(rig.auth.viewer(&li.cookie).unwrap().is_some());
    }
    // 15,000 s old: still under 5 hours (18,000 s).
    rig.advance(3000);
    assert!(rig.auth.viewer(&li.cookie).unwrap().is_some());
    rig.advance(1);
    assert!(rig.auth.viewer(&li.cookie).unwrap().is_none());
}

impl Rig {
    fn with_config_for_test(self, config: AuthConfig) -> Rig {
        Rig {
            auth: self.auth.with_config(config),
            clock: self.clock,
        }
    }
}

#[test]
fn role_change_disable_and_reset_end_sessions() {
    let rig = Rig::new();
    rig.add("hal@example.org", Role::Contributor);
    let login = || rig.auth.login("hal@example.org", PW, ADDR).unwrap().cookie;

    let c = login();
    let u = rig
        .auth
        .set_role(&Actor::Cli, "hal@example.org", Role::Editor)
        .unwrap();
    assert_eq!(u.role, "editor");
    assert!(rig.auth.viewer(&c).unwrap().is_none());
    let c = login();
    assert_eq!(rig.auth.viewer(&c).unwrap().unwrap().role, Role::Editor);

    rig.auth
        .set_disabled(&Actor::Cli, "hal@example.org", true)
        .unwrap();
    assert!(rig.auth.viewer(&c).unwrap().is_none());
    refused(rig.auth.login("hal@example.org", PW, ADDR));
    rig.auth
        .set_disabled(&Actor::Cli, "hal@example.org", false)
        .unwrap();

    let c = login();
    rig.auth
        .reset_password(&Actor::Cli, "hal@example.org", "another-long-passphrase")
        .unwrap();
    assert!(rig.auth.viewer(&c).unwrap().is_none());

    let events = rig.events();
    for e in [
        "role-changed",
        "user-disabled",
        "user-enabled",
        "password-reset",
    ] {
        assert!(events.contains(&e.to_string()), "{e} in {events:?}");
    }
    let log = rig.auth.audit_log(&Actor::Cli, None, 100).unwrap();
    let change = log.iter().find(|e| e.event == "role-changed").unwrap();
    assert_eq!(change.detail, "contributor → editor");
    assert_eq!(change.actor.as_deref(), Some("cli"));
}

#[test]
fn a_disabled_account_s_live_session_is_refused_even_if_the_store_kept_it() {
    let rig = Rig::new();
    let u = rig.add("ivy@example.org", Role::Editor);
    let c = rig.auth.login("ivy@example.org", PW, ADDR).unwrap().cookie;
    // Disabled behind the service's back (another process, an old binary): the session
    // row is still there, and still refused.
    rig.auth.accounts().set_disabled(u.id, true).unwrap();
    assert!(rig.auth.viewer(&c).unwrap().is_none());
}

#[test]
fn older_hashes_are_upgraded_at_login() {
    let rig = Rig::new();
    let u = rig.add("jo@example.org", Role::Editor);
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8 * 1024, 1, 1, None).unwrap(),
    );
    let old =
        argon2::PasswordHasher::hash_password_with_salt(&weak, PW.as_bytes(), b"0123456789abcdef")
            .unwrap()
            .to_string();
    rig.auth.accounts().set_password_hash(u.id, &old).unwrap();
    rig.auth.login("jo@example.org", PW, ADDR).unwrap();
    let now = rig
        .auth
        .accounts()
        .user(u.id)
        .unwrap()
        .unwrap()
        .password_hash;
    assert!(now.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{now}");
    assert!(password::verify(PW, &now).ok);
}

#[test]
fn tokens_are_shown_once_kept_hashed_and_revocable() {
    let rig = Rig::new();
    rig.add("kim@example.org", Role::Editor);
    let (token, secret) = rig
        .auth
        .create_token(&Actor::Cli, "kim@example.org", Scope::Write, "nightly sync")
        .unwrap();
    assert_eq!(secret.len(), 43);
    assert_eq!(token.hash, secret::digest(&secret));
    assert_eq!(token.scope, "write");
    assert_eq!(token.label, "nightly sync");

    let b = rig.auth.bearer(&secret, ADDR).unwrap();
    assert_eq!(
        (b.scope, b.role, b.token),
        (Scope::Write, Role::Editor, token.id)
    );
    assert!(b.can(Right::EditAny) && !b.can(Right::Publish));
    // Used twice in the same minute: touched and audited once.
    rig.auth.bearer(&secret, ADDR).unwrap();
    let used = |rig: &Rig| rig.events().iter().filter(|e| *e == "token-used").count();
    assert_eq!(used(&rig), 1);
    let stored = rig
        .auth
        .accounts()
        .token_by_hash(&token.hash)
        .unwrap()
        .unwrap();
    assert_eq!(stored.last_used, Some(T0));
    rig.advance(61);
    rig.auth.bearer(&secret, ADDR).unwrap();
    assert_eq!(used(&rig), 2);

    let revoked = rig.auth.revoke_token(&Actor::Cli, token.id).unwrap();
    assert_eq!(revoked.revoked, Some(T0 + 61));
    assert!(matches!(
        rig.auth.bearer(&secret, ADDR),
        Err(AuthError::BadToken)
    ));
    // Revoking again changes nothing and writes no second line.
    rig.auth.revoke_token(&Actor::Cli, token.id).unwrap();
    assert_eq!(
        rig.events()
            .iter()
            .filter(|e| *e == "token-revoked")
            .count(),
        1
    );

    for bad in ["", "not-a-token", secret.as_str()] {
        assert!(matches!(
            rig.auth.bearer(bad, ADDR),
            Err(AuthError::BadToken)
        ));
    }
    assert!(
        rig.events()
            .iter()
            .filter(|e| *e == "token-refused")
            .count()
            >= 3
    );
}

#[test]
fn a_read_token_reads_and_a_disabled_account_s_token_is_refused() {
    let rig = Rig::new();
    rig.add("lee@example.org", Role::Reviewer);
    let (_, secret) = rig
        .auth
        .create_token(&Actor::Cli, "lee@example.org", Scope::Read, "")
        .unwrap();
    let b = rig.auth.bearer(&secret, ADDR).unwrap();
    assert!(b.can(Right::ReadPublished) && !b.can(Right::Publish));
    rig.auth
        .set_disabled(&Actor::Cli, "lee@example.org", true)
        .unwrap();
    assert!(matches!(
        rig.auth.bearer(&secret, ADDR),
        Err(AuthError::BadToken)
    ));
    assert!(matches!(
        rig.auth
            .create_token(&Actor::Cli, "lee@example.org", Scope::Read, "again"),
        Err(AuthError::Invalid(_))
    ));
}

#[test]
fn a_web_actor_without_the_right_is_forbidden_and_nothing_is_written() {
    let rig = Rig::new();
    rig.add("max@example.org", Role::Reviewer);
    rig.add("ned@example.org", Role::Contributor);
    let v = rig.auth.login("max@example.org", PW, ADDR).unwrap().viewer;
    let reviewer = Actor::of(&v, ADDR);
    let before = rig.auth.audit_log(&Actor::Cli, None, 1000).unwrap().len();

    let forbidden = |r: Result<User, AuthError>| match r {
        Err(AuthError::Forbidden(right)) => assert_eq!(right, "manage-users"),
        other => panic!("expected Forbidden, got {other:?}"),
    };
    forbidden(
        rig.auth
            .add_user(&reviewer, "new@example.org", None, Role::Admin, PW),
    );
    forbidden(rig.auth.set_role(&reviewer, "max@example.org", Role::Admin));
    forbidden(rig.auth.set_disabled(&reviewer, "ned@example.org", true));
    forbidden(
        rig.auth
            .reset_password(&reviewer, "ned@example.org", "a-takeover-passphrase"),
    );
    forbidden(rig.auth.unlock(&reviewer, "ned@example.org"));
    assert!(matches!(
        rig.auth.locked_users(&reviewer),
        Err(AuthError::Forbidden("manage-users"))
    ));
    assert!(matches!(
        rig.auth.audit_log(&reviewer, None, 10),
        Err(AuthError::Forbidden("read-audit"))
    ));
    assert!(matches!(
        rig.auth
            .create_token(&reviewer, "ned@example.org", Scope::Write, "x"),
        Err(AuthError::Forbidden("manage-users"))
    ));

    assert_eq!(rig.auth.accounts().users().unwrap().len(), 2);
    assert!(rig
        .auth
        .accounts()
        .user_by_email("new@example.org")
        .unwrap()
        .is_none());
    assert_eq!(
        rig.auth.accounts().user(v.user.id).unwrap().unwrap().role,
        "reviewer"
    );
    assert_eq!(
        rig.auth.audit_log(&Actor::Cli, None, 1000).unwrap().len(),
        before
    );

    // An admin on the web may, and the audit log names them and their address.
    let admin = rig.admin();
    rig.auth
        .set_role(&admin, "ned@example.org", Role::Editor)
        .unwrap();
    let log = rig.auth.audit_log(&admin, None, 1).unwrap();
    assert_eq!(log[0].event, "role-changed");
    assert_eq!(log[0].actor.as_deref(), Some("root@example.org"));
    assert_eq!(log[0].address.as_deref(), Some(ADDR));
}

#[test]
fn people_manage_their_own_tokens_only() {
    let rig = Rig::new();
    rig.add("oz@example.org", Role::Contributor);
    rig.add("pat@example.org", Role::Contributor);
    let oz = Actor::of(
        &rig.auth.login("oz@example.org", PW, ADDR).unwrap().viewer,
        ADDR,
    );
    let (mine, _) = rig
        .auth
        .create_token(&oz, "oz@example.org", Scope::Read, "mine")
        .unwrap();
    let (theirs, _) = rig
        .auth
        .create_token(&Actor::Cli, "pat@example.org", Scope::Read, "theirs")
        .unwrap();
    assert!(matches!(
        rig.auth.revoke_token(&oz, theirs.id),
        Err(AuthError::Forbidden(_))
    ));
    assert!(rig
        .auth
        .accounts()
        .token_by_hash(&theirs.hash)
        .unwrap()
        .unwrap()
        .revoked
        .is_none());
    assert!(rig
        .auth
        .revoke_token(&oz, mine.id)
        .unwrap()
        .revoked
        .is_some());
    assert!(matches!(
        rig.auth.revoke_token(&Actor::Cli, 999),
        Err(AuthError::Invalid(_))
    ));
}

#[test]
fn new_accounts_are_checked() {
    let rig = Rig::new();
    let add = |email: &str, name: Option<&str>, role: Role, pw: &str| {
        rig.auth.add_user(&Actor::Cli, email, name, role, pw)
    };
    for bad in [
        "",
        "no-at-sign",
        "@example.org",
        "ann@",
        "a@b@c",
        "ann smith@example.org",
        "ann\u{7}@example.org",
    ] {
        assert!(
            matches!(
                add(bad, None, Role::Editor, PW),
                Err(AuthError::BadEmail(_))
            ),
            "{bad:?}"
        );
    }
    let long = format!("{}@example.org", "a".repeat(250));
    assert!(matches!(
        add(&long, None, Role::Editor, PW),
        Err(AuthError::BadEmail(_))
    ));
    assert!(matches!(
        add("ann@example.org", None, Role::Editor, "short"),
        Err(AuthError::Password(PolicyError::TooShort { .. }))
    ));
    assert!(matches!(
        add("ann@example.org", None, Role::Editor, "QWERTY123456"),
        Err(AuthError::Password(PolicyError::Common))
    ));
    assert!(matches!(
        add(
            "ann.lindqvist@example.org",
            None,
            Role::Editor,
            "Ann.Lindqvist"
        ),
        Err(AuthError::Password(PolicyError::IsEmail))
    ));
    assert!(matches!(
        add("ann@example.org", None, Role::Reader, PW),
        Err(AuthError::Invalid(_))
    ));
    assert!(matches!(
        add("ann@example.org", Some("Ann\nSmith"), Role::Editor, PW),
        Err(AuthError::Invalid(_))
    ));
    assert!(matches!(
        add("ann@example.org", Some(&"n".repeat(201)), Role::Editor, PW),
        Err(AuthError::Invalid(_))
    ));
    assert!(rig.auth.accounts().users().unwrap().is_empty());

    let ann = add("ann@example.org", None, Role::Editor, PW).unwrap();
    assert_eq!(ann.name, "ann");
    assert!(password::verify(PW, &ann.password_hash).ok);
    assert!(!ann.password_hash.contains(PW));
    assert!(matches!(
        add("ANN@example.org", None, Role::Admin, PW),
        Err(AuthError::Exists(_))
    ));
    // Markup in a name is kept as text: escaping it is the page's business.
    let xss = add(
        "bob@example.org",
        Some("<script>alert(1)</script>"),
        Role::Editor,
        PW,
    )
    .unwrap();
    assert_eq!(xss.name, "<script>alert(1)</script>");
    assert!(matches!(
        rig.auth
            .set_role(&Actor::Cli, "nobody@example.org", Role::Editor),
        Err(AuthError::NoSuchUser(_))
    ));
}

#[test]
fn error_messages_name_the_problem_safely() {
    let e = AuthError::BadEmail("evil\u{1b}[31m@example.org".into());
    assert!(!e.to_string().contains('\u{1b}'), "{e}");
    assert_eq!(
        AuthError::Forbidden("manage-users").to_string(),
        "this needs the right `manage-users`, which your role does not have"
    );
    assert_eq!(
        AuthError::TooMany { retry_after: 4 }.to_string(),
        "Too many failed logins; try again in 4 seconds."
    );
    assert_eq!("write".parse::<Scope>(), Ok(Scope::Write));
    assert_eq!(Scope::Read.to_string(), "read");
    assert!("admin".parse::<Scope>().is_err());
}
