//! Limits on guessing passwords: per account (the email as typed, lowercased, whether an
//! account has it or not, so a limit says nothing about which emails exist) and per client
//! address. The first [`FREE_FAILURES`] failures cost nothing; from then on each failure
//! holds further logins back for a delay that doubles from one second up to
//! [`MAX_DELAY`]. Kept in memory: a restart forgets it (the store keeps an account's lock
//! for the admin to see).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// Failures allowed before the delays begin.
pub const FREE_FAILURES: u32 = 5;
/// The longest delay, in seconds (15 minutes).
pub const MAX_DELAY: u64 = 15 * 60;
/// A key with no failure for this long (seconds) starts again from nothing.
pub const FORGET_AFTER: i64 = 60 * 60;
/// The most keys of each kind kept; beyond it the oldest free ones are dropped, so that
/// made-up emails cannot fill the memory.
const MAX_KEYS: usize = 100_000;

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

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: i64,
    blocked_until: i64,
}

#[derive(Default)]
struct Keys {
    accounts: HashMap<String, Entry>,
    addresses: HashMap<String, Entry>,
}

/// The limiter, shared by every request (it locks a mutex for a few map operations).
#[derive(Default)]
pub struct LoginLimiter {
    keys: Mutex<Keys>,
}

/// Seconds since 1970, from the system clock.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The account key of an email: trimmed, lowercased, at most 254 bytes.
pub fn account_key(email: &str) -> String {
    let mut key = email.trim().to_lowercase();
    if key.len() > 254 {
        let mut end = 254;
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

impl LoginLimiter {
    pub fn new() -> LoginLimiter {
        LoginLimiter::default()
    }

    /// Whether a login for `email` from `address` may be tried now.
    pub fn check(&self, email: &str, address: &str) -> Result<(), RetryAfter> {
        self.check_at(email, address, unix_now())
    }

    /// [`check`](Self::check) at the time `now` (seconds since 1970).
    pub fn check_at(&self, email: &str, address: &str, now: i64) -> Result<(), RetryAfter> {
        let keys = self.lock();
        let wait = [
            keys.accounts.get(&account_key(email)),
            keys.addresses.get(address),
        ]
        .into_iter()
        .flatten()
        .map(|e| e.blocked_until.saturating_sub(now))
        .max()
        .unwrap_or(0);
        if wait > 0 {
            Err(RetryAfter(wait.unsigned_abs()))
        } else {
            Ok(())
        }
    }

    /// Counts a failed login; says which delays it set off.
    pub fn failed(&self, email: &str, address: &str) -> Tripped {
        self.failed_at(email, address, unix_now())
    }

    /// [`failed`](Self::failed) at the time `now`.
    pub fn failed_at(&self, email: &str, address: &str, now: i64) -> Tripped {
        let mut keys = self.lock();
        Tripped {
            account: count(&mut keys.accounts, account_key(email), now),
            address: count(&mut keys.addresses, address.to_string(), now),
        }
    }

    /// A good login: the account starts again from nothing. The address keeps its count
    /// (one good account must not buy an address more guesses at others).
    pub fn succeeded(&self, email: &str) {
        self.lock().accounts.remove(&account_key(email));
    }

    /// An admin's unlock (or a password reset): the account starts again from nothing.
    pub fn unlock(&self, email: &str) {
        self.succeeded(email);
    }

    /// Failures counted against an account now (for tests and the admin).
    pub fn failures_of(&self, email: &str, now: i64) -> u32 {
        self.lock()
            .accounts
            .get(&account_key(email))
            .filter(|e| now - e.last < FORGET_AFTER)
            .map_or(0, |e| e.failures)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Keys> {
        // A panic while the lock was held left plain counters behind; they are still good.
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Counts one failure for `key`; the delay it sets off, if any.
fn count(map: &mut HashMap<String, Entry>, key: String, now: i64) -> Option<u64> {
    if map.len() >= MAX_KEYS && !map.contains_key(&key) {
        make_room(map, now);
    }
    let entry = map.entry(key).or_insert(Entry {
        failures: 0,
        last: now,
        blocked_until: 0,
    });
    if now - entry.last >= FORGET_AFTER {
        entry.failures = 0;
        entry.blocked_until = 0;
    }
    entry.failures = entry.failures.saturating_add(1);
    entry.last = now;
    let delay = delay_after(entry.failures);
    if delay == 0 {
        return None;
    }
    entry.blocked_until = now.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
    Some(delay)
}

/// Drops forgotten keys, then keys not held back now, then (if made-up keys still fill
/// the map) the half with the oldest failures.
fn make_room(map: &mut HashMap<String, Entry>, now: i64) {
    map.retain(|_, e| now - e.last < FORGET_AFTER);
    if map.len() >= MAX_KEYS {
        map.retain(|_, e| e.blocked_until > now);
    }
    if map.len() >= MAX_KEYS {
        let mut lasts: Vec<i64> = map.values().map(|e| e.last).collect();
        let mid = lasts.len() / 2;
        let (_, cut, _) = lasts.select_nth_unstable(mid);
        let cut = *cut;
        map.retain(|_, e| e.last > cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_800_000_000;

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
        let l = LoginLimiter::new();
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
        let l = LoginLimiter::new();
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
        let l = LoginLimiter::new();
        for _ in 0..6 {
            l.failed_at("bo@example.org", "10.0.0.2", T);
        }
        assert!(l.check_at("bo@example.org", "10.0.0.3", T).is_err());
        l.succeeded("BO@example.org");
        assert_eq!(l.check_at("bo@example.org", "10.0.0.3", T), Ok(()));
        assert_eq!(l.failures_of("bo@example.org", T), 0);
        assert!(l.check_at("other@example.org", "10.0.0.2", T).is_err());

        for _ in 0..5 {
            l.failed_at("cy@example.org", "10.0.0.4", T);
        }
        l.unlock("cy@example.org");
        assert_eq!(l.check_at("cy@example.org", "10.0.0.5", T), Ok(()));
    }

    #[test]
    fn failures_are_forgotten_after_an_hour_quiet() {
        let l = LoginLimiter::new();
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

    #[test]
    fn made_up_emails_cannot_grow_the_map_without_bound() {
        let mut map = HashMap::new();
        for i in 0..MAX_KEYS + 10 {
            count(&mut map, format!("k{i}"), T);
        }
        assert!(map.len() <= MAX_KEYS);
        // Blocked keys survive over free ones when room is made.
        let mut map = HashMap::new();
        for _ in 0..5 {
            count(&mut map, "blocked".to_string(), T);
        }
        for i in 0..MAX_KEYS {
            count(&mut map, format!("free{i}"), T);
        }
        assert!(map.contains_key("blocked"));
        assert!(map.len() <= MAX_KEYS);
    }
}
