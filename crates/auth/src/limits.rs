//! Limits on guessing passwords: per account (the email as typed, lowercased, whether an
//! account has it or not, so a limit says nothing about which emails exist) and per client
//! address. The first [`FREE_FAILURES`] failures cost nothing; from then on each failure
//! holds further logins back for a delay that doubles from one second up to
//! [`MAX_DELAY`]. Counted by the store ([`Accounts::count_login_failure`]), so that every
//! server on one database counts in one place: a guesser who spreads attempts over
//! several servers gets no more than from one, and a restart forgets nothing. A count
//! with no failure for [`FORGET_AFTER`] starts again from nothing (and the store removes
//! it), so made-up emails cannot grow the table without bound.

use dossier_store::accounts::{LimitKind, LoginCount};
use dossier_store::{Accounts, StoreError};
use std::time::{SystemTime, UNIX_EPOCH};

/// Failures allowed before the delays begin.
pub const FREE_FAILURES: u32 = 5;
/// The longest delay, in seconds (15 minutes).
pub const MAX_DELAY: u64 = 15 * 60;
/// A key with no failure for this long (seconds) starts again from nothing.
pub const FORGET_AFTER: i64 = 60 * 60;
/// The longest key kept: an email's limit (RFC 5321), and as much of an address.
const MAX_KEY_BYTES: usize = 254;

/// Try again after this many seconds (what `Retry-After` says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// What a failure set off: the delays now in force, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tripped {
    /// The account's (the email's) logins are held back this many seconds.
    pub account: Option<u64>,
    /// The address's logins are held back this many seconds.
    pub address: Option<u64>,
}

/// The limits, counted in `accounts` (the store's).
#[derive(Clone, Copy)]
pub struct LoginLimiter<'a> {
    accounts: &'a dyn Accounts,
}

/// Seconds since 1970, from the system clock.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The account key of an email: trimmed, lowercased, at most 254 bytes.
pub fn account_key(email: &str) -> String {
    key(&email.trim().to_lowercase())
}

/// The address key: at most 254 bytes.
fn address_key(address: &str) -> String {
    key(address.trim())
}

/// A key as the store keeps it: clipped, a NUL (which PostgreSQL's text cannot hold) as
/// U+FFFD, so that both stores count the same keys.
fn key(text: &str) -> String {
    let mut key = text.replace('\0', "\u{FFFD}");
    if key.len() > MAX_KEY_BYTES {
        let mut end = MAX_KEY_BYTES;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        key.truncate(end);
    }
    key
}

/// The delay after `failures` failures, in seconds (0 while they are free).
pub fn delay_after(failures: u32) -> u64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = failures - FREE_FAILURES;
    if doublings >= 10 {
        MAX_DELAY
    } else {
        (1u64 << doublings).min(MAX_DELAY)
    }
}

impl<'a> LoginLimiter<'a> {
    pub fn new(accounts: &'a dyn Accounts) -> LoginLimiter<'a> {
        LoginLimiter { accounts }
    }

    /// Whether a login for `email` from `address` may be tried at `now` (seconds since
    /// 1970).
    pub fn check_at(
        &self,
        email: &str,
        address: &str,
        now: i64,
    ) -> Result<Result<(), RetryAfter>, StoreError> {
        let mut wait = 0i64;
        for (kind, key) in [
            (LimitKind::Account, account_key(email)),
            (LimitKind::Address, address_key(address)),
        ] {
            if let Some(count) = self.live(kind, &key, now)? {
                wait = wait.max(count.held_until.saturating_sub(now));
            }
        }
        Ok(if wait > 0 {
            Err(RetryAfter(wait.unsigned_abs()))
        } else {
            Ok(())
        })
    }

    /// Counts a failed login at `now`; says which delays it set off.
    pub fn failed_at(&self, email: &str, address: &str, now: i64) -> Result<Tripped, StoreError> {
        let count = |kind, key: &str| -> Result<Option<u64>, StoreError> {
            let c =
                self.accounts
                    .count_login_failure(kind, key, now, FORGET_AFTER, &delay_after)?;
            Ok(Some(delay_after(c.failures)).filter(|&d| d > 0))
        };
        Ok(Tripped {
            account: count(LimitKind::Account, &account_key(email))?,
            address: count(LimitKind::Address, &address_key(address))?,
        })
    }

    /// A good login: the account starts again from nothing. The address keeps its count
    /// (one good account must not buy an address more guesses at others).
    pub fn succeeded(&self, email: &str) -> Result<(), StoreError> {
        self.accounts
            .forget_login_failures(LimitKind::Account, &account_key(email))
    }

    /// An admin's unlock (or a password reset): the account starts again from nothing.
    pub fn unlock(&self, email: &str) -> Result<(), StoreError> {
        self.succeeded(email)
    }

    /// Failures counted against an account at `now` (for tests and the admin).
    pub fn failures_of(&self, email: &str, now: i64) -> Result<u32, StoreError> {
        Ok(self
            .live(LimitKind::Account, &account_key(email), now)?
            .map_or(0, |c| c.failures))
    }

    /// The count of `key`, unless it is forgotten by `now`.
    fn live(&self, kind: LimitKind, key: &str, now: i64) -> Result<Option<LoginCount>, StoreError> {
        Ok(self
            .accounts
            .login_count(kind, key)?
            .filter(|c| now.saturating_sub(c.last) < FORGET_AFTER))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_store::SqliteStore;

    const T: i64 = 1_800_000_000;

    /// The limiter's answers, with the store's errors unwrapped.
    struct L<'a>(LoginLimiter<'a>);

    impl L<'_> {
        fn check_at(&self, email: &str, address: &str, now: i64) -> Result<(), RetryAfter> {
            self.0.check_at(email, address, now).unwrap()
        }
        fn failed_at(&self, email: &str, address: &str, now: i64) -> Tripped {
            self.0.failed_at(email, address, now).unwrap()
        }
        fn failures_of(&self, email: &str, now: i64) -> u32 {
            self.0.failures_of(email, now).unwrap()
        }
    }

    #[test]
    fn delays_double_from_one_second_up_to_fifteen_minutes() {
        let delays: Vec<u64> = (1..=17).map(delay_after).collect();
        assert_eq!(
            delays,
            [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
        );
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn five_failures_then_held_back_with_growing_delays() {
        let store = SqliteStore::in_memory().unwrap();
        let l = L(LoginLimiter::new(&store));
        for _ in 0..4 {
            assert_eq!(
                l.failed_at("ann@example.org", "10.0.0.1", T),
                Tripped::default()
            );
            assert_eq!(l.check_at("ann@example.org", "10.0.0.1", T), Ok(()));
        }
        let fifth = l.failed_at("ann@example.org", "10.0.0.1", T);
        assert_eq!(fifth.account, Some(1));
        assert_eq!(
            l.check_at("ann@example.org", "10.0.0.1", T),
            Err(RetryAfter(1))
        );
        // The email in another case, from another address: still the same account.
        assert_eq!(
            l.check_at(" ANN@Example.org", "10.0.0.9", T),
            Err(RetryAfter(1))
        );
        // Free again once the delay has passed; each further failure doubles it.
        assert_eq!(l.check_at("ann@example.org", "10.0.0.9", T + 1), Ok(()));
        assert_eq!(
            l.failed_at("ann@example.org", "10.0.0.9", T + 1).account,
            Some(2)
        );
        assert_eq!(
            l.check_at("ann@example.org", "10.0.0.9", T + 2),
            Err(RetryAfter(1))
        );
        assert_eq!(
            l.failed_at("ann@example.org", "10.0.0.9", T + 3).account,
            Some(4)
        );
        assert_eq!(
            l.check_at("ann@example.org", "10.0.0.9", T + 3),
            Err(RetryAfter(4))
        );
        assert_eq!(l.failures_of("ann@example.org", T + 3), 7);
    }

    #[test]
    fn an_address_is_held_back_across_emails() {
        let store = SqliteStore::in_memory().unwrap();
        let l = L(LoginLimiter::new(&store));
        for i in 0..5 {
            let t = l.failed_at(&format!("user{i}@example.org"), "203.0.113.7", T);
            assert_eq!(t.account, None);
            assert_eq!(t.address, if i == 4 { Some(1) } else { None });
        }
        assert_eq!(
            l.check_at("new@example.org", "203.0.113.7", T),
            Err(RetryAfter(1))
        );
        assert_eq!(l.check_at("new@example.org", "203.0.113.8", T), Ok(()));
    }

    #[test]
    fn success_and_unlock_reset_the_account_but_not_the_address() {
        let store = SqliteStore::in_memory().unwrap();
        let l = L(LoginLimiter::new(&store));
        for _ in 0..6 {
            l.failed_at("bo@example.org", "10.0.0.2", T);
        }
        assert!(l.check_at("bo@example.org", "10.0.0.3", T).is_err());
        l.0.succeeded("BO@example.org").unwrap();
        assert_eq!(l.check_at("bo@example.org", "10.0.0.3", T), Ok(()));
        assert_eq!(l.failures_of("bo@example.org", T), 0);
        assert!(l.check_at("other@example.org", "10.0.0.2", T).is_err());

        for _ in 0..5 {
            l.failed_at("cy@example.org", "10.0.0.4", T);
        }
        l.0.unlock("cy@example.org").unwrap();
        assert_eq!(l.check_at("cy@example.org", "10.0.0.5", T), Ok(()));
    }

    #[test]
    fn failures_are_forgotten_after_an_hour_quiet() {
        let store = SqliteStore::in_memory().unwrap();
        let l = L(LoginLimiter::new(&store));
        for _ in 0..4 {
            l.failed_at("di@example.org", "10.0.0.6", T);
        }
        let later = T + FORGET_AFTER;
        assert_eq!(l.failures_of("di@example.org", later), 0);
        // The fifth failure an hour later is a first failure.
        assert_eq!(
            l.failed_at("di@example.org", "10.0.0.6", later),
            Tripped::default()
        );
        assert_eq!(l.failures_of("di@example.org", later), 1);
    }

    /// Several servers on one store (two limiters over it here) count in one place: a
    /// guesser alternating between them is held back after five failures in all.
    #[test]
    fn servers_on_one_store_count_together() {
        let store = SqliteStore::in_memory().unwrap();
        let (one, two) = (L(LoginLimiter::new(&store)), L(LoginLimiter::new(&store)));
        for i in 0..5 {
            let l = if i % 2 == 0 { &one } else { &two };
            l.failed_at("eve@example.org", &format!("198.51.100.{i}"), T);
        }
        assert_eq!(
            two.check_at("eve@example.org", "198.51.100.9", T),
            Err(RetryAfter(1))
        );
        assert_eq!(
            one.check_at("eve@example.org", "198.51.100.9", T),
            Err(RetryAfter(1))
        );
        assert_eq!(one.failures_of("EVE@example.org", T), 5);
    }

    /// Made-up emails: long ones are clipped, a NUL counts as U+FFFD (PostgreSQL's text
    /// cannot hold it), and counts an hour old are removed from the store.
    #[test]
    fn hostile_keys_are_clipped_and_old_counts_removed() {
        let store = SqliteStore::in_memory().unwrap();
        let l = L(LoginLimiter::new(&store));
        let long = format!("{}@example.org", "é".repeat(400));
        for _ in 0..5 {
            l.failed_at(&long, "10.0.0.7", T);
        }
        assert_eq!(l.check_at(&long, "10.0.0.8", T), Err(RetryAfter(1)));
        let key = account_key(&long);
        assert!(
            key.len() <= MAX_KEY_BYTES && key.len() > 250,
            "{}",
            key.len()
        );
        l.failed_at("x\0y@example.org", "10.0.0.\0", T);
        assert_eq!(l.failures_of("x\u{FFFD}y@example.org", T), 1);
        let limits = |kind| store.login_count(kind, "10.0.0.7").unwrap();
        assert_eq!(limits(LimitKind::Address).map(|c| c.failures), Some(5));
        // An hour later, the next failure (anyone's) removes what is forgotten.
        l.failed_at("z@example.org", "10.0.0.9", T + FORGET_AFTER);
        assert_eq!(limits(LimitKind::Address), None);
        assert_eq!(store.login_count(LimitKind::Account, &key).unwrap(), None);
    }
}
