//! The store's accounts, sessions, API tokens and audit log, on every backend
//! ([`common::each_store`]), and on two handles of one database as two servers share it.

mod common;

use common::*;
use dossier_store::accounts::*;
use dossier_store::RunTrigger;
use dossier_store::StoreError;

/// Runs a check on the accounts of a fresh store of each backend.
fn both(check: impl Fn(&dyn Accounts)) {
    each_store(|s| check(s.accounts().expect("every backend keeps accounts")));
}

/// A SHA-256 digest's shape (64 lowercase hex digits), different for each `n`.
fn digest(n: u32) -> String {
    format!("{n:064x}")
}

fn new_user<'a>(email: &'a str, role: &'a str) -> NewUser<'a> {
    NewUser {
        email,
        name: "Ada",
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        created: 1_000,
    }
}

fn session(id: u32, user: UserId, created: i64, last_seen: i64) -> Session {
    Session {
        id_hash: digest(id),
        user,
        csrf: format!("csrf-{id}"),
        created,
        last_seen,
    }
}

#[test]
fn adds_and_reads_users() {
    both(|a| {
        assert!(!a.has_users().unwrap());
        let u = a.add_user(&new_user("Ada@Example.org", "admin")).unwrap();
        assert_eq!(u.email, "Ada@Example.org");
        assert_eq!(u.name, "Ada");
        assert_eq!(u.role, "admin");
        assert!(!u.disabled);
        assert_eq!(u.created, 1_000);
        assert_eq!(u.last_login, None);
        assert_eq!(u.failed_logins, 0);
        assert_eq!(u.locked_until, None);
        assert!(a.has_users().unwrap());
        assert_eq!(a.user(u.id).unwrap().as_ref(), Some(&u));
        assert_eq!(a.user(u.id + 100).unwrap(), None);
        // Found in any case, kept as typed.
        assert_eq!(
            a.user_by_email("ada@example.org").unwrap().as_ref(),
            Some(&u)
        );
        assert_eq!(
            a.user_by_email("ADA@EXAMPLE.ORG").unwrap().as_ref(),
            Some(&u)
        );
        assert_eq!(a.user_by_email("bob@example.org").unwrap(), None);

        let b = a.add_user(&new_user("bob@example.org", "editor")).unwrap();
        let c = a
            .add_user(&new_user("Carol@example.org", "reviewer"))
            .unwrap();
        let emails: Vec<_> = a.users().unwrap().into_iter().map(|u| u.email).collect();
        assert_eq!(
            emails,
            ["Ada@Example.org", "bob@example.org", "Carol@example.org"]
        );
        assert_ne!(b.id, c.id);
    });
}

#[test]
fn a_taken_email_in_any_case_is_refused_and_named() {
    both(|a| {
        a.add_user(&new_user("ada@example.org", "admin")).unwrap();
        match a.add_user(&new_user("ADA@example.ORG", "editor")) {
            Err(StoreError::Invalid(m)) => assert!(m.contains("ADA@example.ORG"), "{m}"),
            other => panic!("expected Invalid, got {other:?}"),
        }
        let users = a.users().unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].role, "admin");
    });
}

#[test]
fn changes_an_account() {
    both(|a| {
        let u = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        a.set_role(u.id, "reviewer").unwrap();
        a.set_name(u.id, "Ada Lovelace").unwrap();
        a.set_disabled(u.id, true).unwrap();
        a.set_password_hash(u.id, "$argon2id$v=19$new").unwrap();
        let got = a.user(u.id).unwrap().unwrap();
        assert_eq!(got.role, "reviewer");
        assert_eq!(got.name, "Ada Lovelace");
        assert!(got.disabled);
        assert_eq!(got.password_hash, "$argon2id$v=19$new");
        a.set_disabled(u.id, false).unwrap();
        assert!(!a.user(u.id).unwrap().unwrap().disabled);
        // An account that does not exist is an error, not a silent no-op.
        assert!(matches!(
            a.set_role(u.id + 100, "admin"),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            a.set_disabled(u.id + 100, true),
            Err(StoreError::Invalid(_))
        ));
    });
}

#[test]
fn counts_failures_and_clears_them_on_a_good_login() {
    both(|a| {
        let u = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        assert_eq!(a.login_failed(u.id, None).unwrap(), 1);
        assert_eq!(a.login_failed(u.id, None).unwrap(), 2);
        assert_eq!(a.login_failed(u.id, Some(5_000)).unwrap(), 3);
        let locked = a.user(u.id).unwrap().unwrap();
        assert_eq!(
            (locked.failed_logins, locked.locked_until),
            (3, Some(5_000))
        );
        a.login_succeeded(u.id, 6_000).unwrap();
        let ok = a.user(u.id).unwrap().unwrap();
        assert_eq!(ok.failed_logins, 0);
        assert_eq!(ok.locked_until, None);
        assert_eq!(ok.last_login, Some(6_000));
        assert!(a.login_failed(u.id + 100, None).is_err());
    });
}

#[test]
fn unlock_clears_the_lock_and_the_count_and_nothing_else() {
    both(|a| {
        let u = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        a.login_succeeded(u.id, 2_000).unwrap();
        a.login_failed(u.id, None).unwrap();
        a.login_failed(u.id, Some(9_000)).unwrap();
        let before = a.user(u.id).unwrap().unwrap();
        a.unlock(u.id).unwrap();
        let after = a.user(u.id).unwrap().unwrap();
        assert_eq!((after.failed_logins, after.locked_until), (0, None));
        assert_eq!(
            after,
            User {
                failed_logins: 0,
                locked_until: None,
                ..before
            }
        );
        assert_eq!(after.last_login, Some(2_000));
        assert!(a.unlock(u.id + 100).is_err());
    });
}

#[test]
fn keeps_touches_and_ends_sessions() {
    both(|a| {
        let ada = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        let bob = a.add_user(&new_user("bob@example.org", "editor")).unwrap();
        let s1 = session(1, ada.id, 100, 100);
        a.add_session(&s1).unwrap();
        a.add_session(&session(2, ada.id, 100, 100)).unwrap();
        a.add_session(&session(3, bob.id, 100, 100)).unwrap();
        assert_eq!(a.session(&s1.id_hash).unwrap().as_ref(), Some(&s1));
        assert_eq!(a.session(&digest(99)).unwrap(), None);

        a.touch_session(&s1.id_hash, 500).unwrap();
        assert_eq!(a.session(&s1.id_hash).unwrap().unwrap().last_seen, 500);
        // A clock set back does not make the session look older.
        a.touch_session(&s1.id_hash, 200).unwrap();
        assert_eq!(a.session(&s1.id_hash).unwrap().unwrap().last_seen, 500);

        assert!(a.remove_session(&s1.id_hash).unwrap());
        assert!(!a.remove_session(&s1.id_hash).unwrap());
        assert_eq!(a.session(&s1.id_hash).unwrap(), None);

        assert_eq!(a.remove_sessions_of(ada.id).unwrap(), 1);
        assert_eq!(a.session(&digest(2)).unwrap(), None);
        assert!(a.session(&digest(3)).unwrap().is_some(), "bob's stays");
    });
}

#[test]
fn a_session_needs_an_account_and_a_digest() {
    both(|a| {
        let ada = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        assert!(matches!(
            a.add_session(&session(1, ada.id + 100, 1, 1)),
            Err(StoreError::Invalid(_))
        ));
        // A cookie's clear value is not a digest: the store refuses to keep it.
        let mut clear = session(2, ada.id, 1, 1);
        clear.id_hash = "dGhpcyBpcyBhIGNvb2tpZSB2YWx1ZSBpbiB0aGUgY2xlYXI".into();
        assert!(matches!(a.add_session(&clear), Err(StoreError::Invalid(_))));
        a.add_session(&session(3, ada.id, 1, 1)).unwrap();
        assert!(matches!(
            a.add_session(&session(3, ada.id, 2, 2)),
            Err(StoreError::Invalid(_))
        ));
    });
}

#[test]
fn removes_expired_sessions_by_idle_or_age() {
    both(|a| {
        let ada = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        a.add_session(&session(1, ada.id, 1_000, 1_000)).unwrap(); // idle
        a.add_session(&session(2, ada.id, 100, 9_000)).unwrap(); // too old
        a.add_session(&session(3, ada.id, 5_000, 9_000)).unwrap(); // live
        a.add_session(&session(4, ada.id, 2_000, 2_000)).unwrap(); // exactly at the bound
        assert_eq!(a.remove_expired_sessions(2_000, 500).unwrap(), 2);
        assert_eq!(a.session(&digest(1)).unwrap(), None);
        assert_eq!(a.session(&digest(2)).unwrap(), None);
        assert!(a.session(&digest(3)).unwrap().is_some());
        assert!(a.session(&digest(4)).unwrap().is_some());
        assert_eq!(a.remove_expired_sessions(2_000, 500).unwrap(), 0);
    });
}

#[test]
fn keeps_lists_revokes_and_touches_tokens() {
    both(|a| {
        let ada = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        let bob = a.add_user(&new_user("bob@example.org", "editor")).unwrap();
        let t1 = a
            .add_token(&NewToken {
                user: ada.id,
                scope: "read",
                label: "harvest",
                hash: &digest(1),
                created: 10,
            })
            .unwrap();
        assert_eq!(
            (t1.user, t1.scope.as_str(), t1.label.as_str(), t1.created),
            (ada.id, "read", "harvest", 10)
        );
        assert_eq!((t1.last_used, t1.revoked), (None, None));
        let t2 = a
            .add_token(&NewToken {
                user: bob.id,
                scope: "write",
                label: "",
                hash: &digest(2),
                created: 20,
            })
            .unwrap();
        let t3 = a
            .add_token(&NewToken {
                user: ada.id,
                scope: "write",
                label: "import",
                hash: &digest(3),
                created: 30,
            })
            .unwrap();
        assert_eq!(a.token_by_hash(&digest(2)).unwrap().as_ref(), Some(&t2));
        assert_eq!(a.token_by_hash(&digest(9)).unwrap(), None);
        let ids = |user| -> Vec<i64> { a.tokens(user).unwrap().iter().map(|t| t.id).collect() };
        assert_eq!(ids(None), [t3.id, t2.id, t1.id]);
        assert_eq!(ids(Some(ada.id)), [t3.id, t1.id]);
        assert_eq!(ids(Some(bob.id + 100)), Vec::<i64>::new());

        a.touch_token(t1.id, 50).unwrap();
        a.touch_token(t1.id, 40).unwrap();
        assert_eq!(
            a.token_by_hash(&digest(1)).unwrap().unwrap().last_used,
            Some(50)
        );

        assert!(a.revoke_token(t1.id, 60).unwrap());
        assert!(!a.revoke_token(t1.id, 70).unwrap(), "already revoked");
        assert!(!a.revoke_token(t3.id + 100, 70).unwrap(), "no such token");
        let revoked = a.token_by_hash(&digest(1)).unwrap().unwrap();
        assert_eq!(
            revoked.revoked,
            Some(60),
            "the first revocation's time stays"
        );
        assert_eq!(a.token_by_hash(&digest(3)).unwrap().unwrap().revoked, None);
    });
}

#[test]
fn a_token_is_refused_for_a_bad_scope_a_clear_secret_or_a_reused_hash() {
    both(|a| {
        let ada = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        let token = |scope, hash| NewToken {
            user: ada.id,
            scope,
            label: "",
            hash,
            created: 1,
        };
        let (d1, d2, d3) = (digest(1), digest(2), digest(3));
        let bad = [
            a.add_token(&token("admin", &d1)),
            a.add_token(&token("read", "not-a-digest")),
            a.add_token(&NewToken {
                user: ada.id + 100,
                ..token("read", &d2)
            }),
        ];
        for result in bad {
            assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
        }
        a.add_token(&token("read", &d3)).unwrap();
        assert!(a.add_token(&token("write", &d3)).is_err());
        assert_eq!(a.tokens(None).unwrap().len(), 1);
    });
}

#[test]
fn writes_and_pages_the_audit_log_newest_first() {
    both(|a| {
        assert!(a.audit_log(None, 10).unwrap().is_empty());
        for i in 0..25 {
            a.audit(&NewAudit {
                at: 1_000 + i,
                event: if i % 2 == 0 { "login" } else { "login-failed" },
                user: Some(i),
                email: Some("ada@example.org"),
                actor: Some("cli"),
                address: Some("192.0.2.1"),
                detail: &format!("line {i}"),
            })
            .unwrap();
        }
        a.audit(&NewAudit {
            at: 2_000,
            event: "csrf-refused",
            ..NewAudit::default()
        })
        .unwrap();

        let first = a.audit_log(None, 10).unwrap();
        assert_eq!(first.len(), 10);
        assert_eq!(first[0].event, "csrf-refused");
        assert_eq!(
            (first[0].user.as_ref(), first[0].email.as_ref()),
            (None, None)
        );
        assert_eq!(first[1].detail, "line 24");
        assert_eq!(first[1].at, 1_024);
        assert_eq!(first[1].actor.as_deref(), Some("cli"));
        assert_eq!(first[1].address.as_deref(), Some("192.0.2.1"));
        assert!(first.windows(2).all(|w| w[0].id > w[1].id));

        // Pages follow on from the last id seen, without overlap or gap.
        let mut seen: Vec<i64> = first.iter().map(|e| e.id).collect();
        let mut before = seen.last().copied();
        loop {
            let page = a.audit_log(before, 10).unwrap();
            if page.is_empty() {
                break;
            }
            assert!(page.iter().all(|e| Some(e.id) < before));
            seen.extend(page.iter().map(|e| e.id));
            before = page.last().map(|e| e.id);
        }
        assert_eq!(seen.len(), 26);
        assert!(seen.windows(2).all(|w| w[0] > w[1]));
        assert!(a.audit_log(None, 0).unwrap().is_empty());
        assert_eq!(a.audit_log(None, usize::MAX).unwrap().len(), 26);
    });
}

#[test]
fn the_audit_log_outlives_its_accounts_and_refuses_an_empty_event() {
    both(|a| {
        // A failed login for an address nobody has: no account, still logged.
        a.audit(&NewAudit {
            at: 1,
            event: "login-failed",
            user: Some(12_345),
            email: Some("nobody@example.org"),
            ..NewAudit::default()
        })
        .unwrap();
        assert!(matches!(
            a.audit(&NewAudit {
                at: 2,
                event: "",
                ..NewAudit::default()
            }),
            Err(StoreError::Invalid(_))
        ));
        let log = a.audit_log(None, 10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].email.as_deref(), Some("nobody@example.org"));
    });
}

#[test]
fn a_failed_write_leaves_the_store_as_it_was() {
    both(|a| {
        let ada = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        a.add_session(&session(1, ada.id, 1, 1)).unwrap();
        let before = (
            a.users().unwrap(),
            a.session(&digest(1)).unwrap(),
            a.tokens(None).unwrap(),
            a.audit_log(None, 100).unwrap(),
        );
        assert!(a.add_user(&new_user("ADA@example.org", "admin")).is_err());
        let mut clear = new_user("eve@example.org", "editor");
        clear.password_hash = "a password in the clear";
        assert!(a.add_user(&clear).is_err());
        assert!(a.add_user(&new_user("no-at-sign", "editor")).is_err());
        assert!(a.set_role(ada.id, "").is_err());
        assert!(a.set_password_hash(ada.id, "clear").is_err());
        assert!(a.add_session(&session(1, ada.id, 5, 5)).is_err());
        assert!(a
            .add_token(&NewToken {
                user: ada.id,
                scope: "everything",
                label: "",
                hash: &digest(7),
                created: 1,
            })
            .is_err());
        let after = (
            a.users().unwrap(),
            a.session(&digest(1)).unwrap(),
            a.tokens(None).unwrap(),
            a.audit_log(None, 100).unwrap(),
        );
        assert_eq!(before, after);
        // And the store still writes.
        a.add_user(&new_user("eve@example.org", "editor")).unwrap();
    });
}

#[test]
fn accounts_survive_reopening_the_store() {
    each_store(|store| {
        let (id, token) = {
            let a = store.accounts().unwrap();
            let u = a.add_user(&new_user("ada@example.org", "admin")).unwrap();
            a.add_session(&session(1, u.id, 1, 1)).unwrap();
            let t = a
                .add_token(&NewToken {
                    user: u.id,
                    scope: "write",
                    label: "cron",
                    hash: &digest(5),
                    created: 3,
                })
                .unwrap();
            (u.id, t)
        };
        let again = store.open_again();
        let a = again.accounts().unwrap();
        assert_eq!(a.user_by_email("ADA@example.org").unwrap().unwrap().id, id);
        assert!(a.session(&digest(1)).unwrap().is_some());
        assert_eq!(a.token_by_hash(&digest(5)).unwrap(), Some(token));
    });
}

/// A store reads on a pool of connections: a write is seen by the next read at once
/// (each write is committed before it returns), on any of them.
#[test]
fn a_write_is_seen_by_the_readers_at_once() {
    both(|a| {
        let u = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        for i in 0..8 {
            let role = if i % 2 == 0 { "reviewer" } else { "editor" };
            a.set_role(u.id, role).unwrap();
            assert_eq!(a.user(u.id).unwrap().unwrap().role, role);
        }
    });
}

/// Sessions are in the database: a user logged in through one server stays logged in
/// whichever server answers next, and a logout (or a disabled account) on one ends the
/// session on all of them.
#[test]
fn a_session_made_on_one_server_is_good_on_another() {
    each_store(|store| {
        let other = store.open_again();
        let (a, b) = (store.accounts().unwrap(), other.accounts().unwrap());
        let ada = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        let s = session(1, ada.id, 100, 100);
        a.add_session(&s).unwrap();
        assert_eq!(b.session(&s.id_hash).unwrap().as_ref(), Some(&s));
        b.touch_session(&s.id_hash, 300).unwrap();
        assert_eq!(a.session(&s.id_hash).unwrap().unwrap().last_seen, 300);
        // A server whose clock is behind does not make the session look older.
        a.touch_session(&s.id_hash, 200).unwrap();
        assert_eq!(b.session(&s.id_hash).unwrap().unwrap().last_seen, 300);
        assert!(b.remove_session(&s.id_hash).unwrap());
        assert_eq!(a.session(&s.id_hash).unwrap(), None);
        a.add_session(&session(2, ada.id, 400, 400)).unwrap();
        assert_eq!(b.remove_sessions_of(ada.id).unwrap(), 1);
        assert_eq!(a.session(&digest(2)).unwrap(), None);
    });
}

/// Wrong passwords typed at several servers at once all count: the lockout a user earns
/// cannot be dodged by spreading the guesses over the servers.
#[test]
fn failures_counted_on_several_servers_at_once_all_count() {
    each_store(|store| {
        let other = store.open_again();
        let handles: [&dyn Accounts; 2] = [store.accounts().unwrap(), other.accounts().unwrap()];
        let ada = handles[0]
            .add_user(&new_user("ada@example.org", "editor"))
            .unwrap();
        std::thread::scope(|scope| {
            for i in 0..20 {
                let a = handles[i % 2];
                scope.spawn(move || a.login_failed(ada.id, None).unwrap());
            }
        });
        assert_eq!(handles[1].user(ada.id).unwrap().unwrap().failed_logins, 20);
    });
}

/// Login limits' counts (issue 29: kept by the store so that every server counts in one
/// place): a count grows, holds the key back as the rule says and never less than it
/// already was, starts again once forgotten (and forgotten counts are removed), and is
/// forgotten on request; accounts and addresses are counted apart.
#[test]
fn login_limits_count_hold_back_and_forget() {
    // The rule under test: free until the third failure, then 10 s each.
    let hold = |n: u32| if n >= 3 { 10 } else { 0 };
    both(|a| {
        let count = |kind, key: &str, now| a.count_login_failure(kind, key, now, 3_600, &hold);
        let ada = "ada@example.org";
        for (n, now) in [(1, 100), (2, 101)] {
            let c = count(LimitKind::Account, ada, now).unwrap();
            assert_eq!((c.failures, c.last, c.held_until), (n, now, 0));
        }
        let c = count(LimitKind::Account, ada, 102).unwrap();
        assert_eq!((c.failures, c.held_until), (3, 112));
        assert_eq!(a.login_count(LimitKind::Account, ada).unwrap(), Some(c));
        // The same key as an address is another count.
        assert_eq!(a.login_count(LimitKind::Address, ada).unwrap(), None);
        // A rule that gives less (or nothing) never shortens a hold already in force.
        let c = a
            .count_login_failure(LimitKind::Account, ada, 103, 3_600, &|_| 0)
            .unwrap();
        assert_eq!((c.failures, c.held_until), (4, 112));
        let c = a
            .count_login_failure(LimitKind::Account, ada, 104, 3_600, &|_| 1)
            .unwrap();
        assert_eq!((c.failures, c.held_until), (5, 112));
        // An hour after the last failure, the next one is a first, and the next count of
        // any key removes what is forgotten.
        count(LimitKind::Address, "192.0.2.1", 104).unwrap();
        let c = count(LimitKind::Account, ada, 104 + 3_600).unwrap();
        assert_eq!((c.failures, c.held_until), (1, 0));
        assert_eq!(
            a.login_count(LimitKind::Address, "192.0.2.1").unwrap(),
            None
        );
        a.forget_login_failures(LimitKind::Account, ada).unwrap();
        assert_eq!(a.login_count(LimitKind::Account, ada).unwrap(), None);
        a.forget_login_failures(LimitKind::Account, "nobody")
            .unwrap();
        // A typed key holding a NUL (PostgreSQL's text cannot hold it) is counted, never
        // an error that would turn a login into a server error.
        let c = count(LimitKind::Account, "x\0y@example.org", 200).unwrap();
        assert_eq!(c.failures, 1);
        let c = count(LimitKind::Account, "x\0y@example.org", 201).unwrap();
        assert_eq!(c.failures, 2);
        a.forget_login_failures(LimitKind::Account, "x\0y@example.org")
            .unwrap();
        assert_eq!(
            a.login_count(LimitKind::Account, "x\0y@example.org")
                .unwrap(),
            None
        );
    });
}

/// Failed logins counted against one key by several servers at once all count, and the
/// hold each sets is the latest count's.
#[test]
fn login_limits_counted_on_several_servers_at_once_all_count() {
    each_store(|store| {
        let other = store.open_again();
        let handles: [&dyn Accounts; 2] = [store.accounts().unwrap(), other.accounts().unwrap()];
        std::thread::scope(|scope| {
            for i in 0..20 {
                let a = handles[i % 2];
                scope.spawn(move || {
                    a.count_login_failure(LimitKind::Address, "203.0.113.7", 1_000, 3_600, &|n| {
                        u64::from(n)
                    })
                    .unwrap()
                });
            }
        });
        let c = handles[1]
            .login_count(LimitKind::Address, "203.0.113.7")
            .unwrap()
            .unwrap();
        assert_eq!((c.failures, c.held_until), (20, 1_020));
    });
}

/// A failed login's typed email goes to the audit log as typed: one holding a NUL (which
/// PostgreSQL's text cannot hold; kept there as U+FFFD) or a script is logged, never an
/// error that would lose the line or turn the login into a server error.
#[test]
fn the_audit_log_keeps_a_hostile_typed_email() {
    each_store(|store| {
        let a = store.accounts().unwrap();
        let typed = "ada\0@example.org<script>alert(1)</script>";
        a.audit(&NewAudit {
            at: 1,
            event: "login-failed",
            email: Some(typed),
            address: Some("192.0.2.1\0"),
            detail: "wrong\0password",
            ..NewAudit::default()
        })
        .unwrap();
        let line = &a.audit_log(None, 1).unwrap()[0];
        let back = |t: &Option<String>| t.as_deref().map(|t| t.replace('\u{FFFD}', "\0"));
        assert_eq!(back(&line.email).as_deref(), Some(typed));
        assert_eq!(back(&line.address).as_deref(), Some("192.0.2.1\0"));
        assert_eq!(line.detail.replace('\u{FFFD}', "\0"), "wrong\0password");
        if store.backend == Backend::Postgres {
            assert!(!line.detail.contains('\0'));
        }
        // An account's own fields are checked before they reach the store; one that
        // still holds a NUL is refused there, never a database error.
        let u = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        if store.backend == Backend::Postgres {
            assert!(matches!(
                a.set_name(u.id, "Ada\0"),
                Err(StoreError::Invalid(_))
            ));
            assert!(matches!(
                a.add_user(&new_user("bob\0@example.org", "editor")),
                Err(StoreError::Invalid(_))
            ));
        }
    });
}

/// The schema drops an account's sessions and tokens with it (no method deletes an
/// account yet; the foreign keys keep a later one from leaving orphans), and keeps its
/// audit lines: the same on every backend.
#[test]
fn deleting_an_account_takes_its_sessions_and_tokens() {
    each_store(|store| {
        let a = store.accounts().unwrap();
        let u = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        a.add_session(&session(1, u.id, 1, 1)).unwrap();
        a.add_token(&NewToken {
            user: u.id,
            scope: "read",
            label: "",
            hash: &digest(2),
            created: 1,
        })
        .unwrap();
        a.audit(&NewAudit {
            at: 1,
            event: "user-added",
            user: Some(u.id),
            ..NewAudit::default()
        })
        .unwrap();
        store.execute(&format!("DELETE FROM users WHERE id = {}", u.id));
        assert_eq!(a.session(&digest(1)).unwrap(), None);
        assert!(a.tokens(None).unwrap().is_empty());
        assert_eq!(a.audit_log(None, 10).unwrap().len(), 1);
        // The id is not given again.
        let next = a.add_user(&new_user("bob@example.org", "editor")).unwrap();
        assert!(next.id > u.id);
    });
}

/// The server's async layers ask for sessions and log lines on tokio's threads, where
/// PostgreSQL's synchronous client would panic: every backend answers there as anywhere.
#[test]
fn accounts_answer_on_an_async_runtime_thread() {
    each_store(|store| {
        let a = store.accounts().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let ada = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
            a.add_session(&session(1, ada.id, 1, 1)).unwrap();
            a.touch_session(&digest(1), 5).unwrap();
            assert_eq!(a.session(&digest(1)).unwrap().unwrap().last_seen, 5);
            a.audit(&NewAudit {
                at: 5,
                event: "login",
                user: Some(ada.id),
                ..NewAudit::default()
            })
            .unwrap();
            assert_eq!(a.audit_log(None, 5).unwrap().len(), 1);
        });
    });
}

/// On PostgreSQL, an import that holds the writer (a long `hold`) on one server does not
/// hold up a login on another: accounts take no part in record writes. (SQLite has one
/// writer per file: another process's account writes wait for it, as they always did.)
#[test]
fn a_login_on_another_server_does_not_wait_for_an_import() {
    let Some(store) = postgres() else {
        return;
    };
    store.hold().unwrap();
    let other = store.open_again();
    let a = other.accounts().unwrap();
    let ada = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
    a.login_succeeded(ada.id, 10).unwrap();
    a.add_session(&session(1, ada.id, 10, 10)).unwrap();
    a.audit(&NewAudit {
        at: 10,
        event: "login",
        user: Some(ada.id),
        ..NewAudit::default()
    })
    .unwrap();
    let lc = other.link_checks().unwrap();
    let run = lc.start_link_run(RunTrigger::Schedule, 10).unwrap();
    lc.finish_link_run(run, 11, 0, 0).unwrap();
    // Undoing the import undoes none of it.
    store.release(false).unwrap();
    assert!(store
        .accounts()
        .unwrap()
        .session(&digest(1))
        .unwrap()
        .is_some());
    assert_eq!(
        store.accounts().unwrap().audit_log(None, 5).unwrap().len(),
        1
    );
    assert_eq!(store.link_checks().unwrap().link_runs(5).unwrap().len(), 1);
}

/// An email, a cookie's digest or a token holding a NUL (typed or forged) finds nothing on
/// every backend, never a database error that would turn a login into a server error.
#[test]
fn a_key_holding_a_nul_finds_nothing() {
    both(|a| {
        let ada = a.add_user(&new_user("ada@example.org", "editor")).unwrap();
        a.add_session(&session(1, ada.id, 1, 1)).unwrap();
        assert_eq!(a.user_by_email("ada@example.org\0").unwrap(), None);
        let forged = format!("{}\0", digest(1));
        assert_eq!(a.session(&forged).unwrap(), None);
        a.touch_session(&forged, 9).unwrap();
        assert!(!a.remove_session(&forged).unwrap());
        assert_eq!(a.token_by_hash(&forged).unwrap(), None);
        assert_eq!(a.session(&digest(1)).unwrap().unwrap().last_seen, 1);
    });
}
