//! Passwords: hashed with Argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1, the
//! `argon2` crate's defaults), kept as PHC strings, and held to a policy when they are
//! set. A hash made with other parameters still verifies and says it needs a rehash, so
//! raising the parameters upgrades each account at its next login.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use std::collections::HashSet;
use std::sync::LazyLock;

/// The fewest characters a password may have.
pub const MIN_CHARS: usize = 12;
/// The most bytes a password may have: enough for any passphrase, and a bound on the work
/// one login can ask of the server.
pub const MAX_BYTES: usize = 1024;

/// The bundled list of common passwords (see its header for where it comes from).
const COMMON_LIST: &str = include_str!("../data/common-passwords.txt");

/// The common passwords, lowercase, built on first use.
static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    COMMON_LIST
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// A hash of a password nobody has, made once with the current parameters: a login for
/// an unknown email is verified against it, so that it costs what a wrong password costs.
static DUMMY: LazyLock<String> = LazyLock::new(|| {
    hash("no account has this password; it only makes the same work")
        .expect("hashing a fixed password with fixed parameters")
});

/// The hasher with the current parameters.
fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashing failed: the operating system gave no random salt, or the hasher refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the password could not be hashed: {0}")]
pub struct HashError(String);

/// Hashes `password` with a fresh random salt, as a PHC string (`$argon2id$v=19$m=…`).
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| HashError(e.to_string()))?;
    hasher()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// What [`verify`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The password matches the hash.
    pub ok: bool,
    /// The hash was made with other parameters (or another algorithm) than the current
    /// ones; hash the password again and store the new hash. Only meaningful when `ok`.
    pub needs_rehash: bool,
}

/// Checks `password` against a stored PHC string. A hash that cannot be read matches
/// nothing.
pub fn verify(password: &str, phc: &str) -> Verified {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return Verified {
            ok: false,
            needs_rehash: false,
        };
    };
    let ok = hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    Verified {
        ok,
        needs_rehash: ok && !is_current(&parsed),
    }
}

/// Verifies `password` against the fixed dummy hash and throws the answer away: the same
/// work as [`verify`] for an account that does not exist.
pub fn verify_dummy(password: &str) {
    let _ = verify(password, &DUMMY);
}

/// Whether a hash was made with exactly the current algorithm, version and parameters.
fn is_current(hash: &PasswordHash) -> bool {
    let current = Params::default();
    if hash.algorithm.as_str() != Algorithm::Argon2id.as_str()
        || hash.version != Some(Version::V0x13.into())
    {
        return false;
    }
    let Ok(params) = Params::try_from(hash) else {
        return false;
    };
    params.m_cost() == current.m_cost()
        && params.t_cost() == current.t_cost()
        && params.p_cost() == current.p_cost()
        && params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)
            == current.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)
        && params.keyid().is_empty()
        && params.data().is_empty()
}

/// Why a new password was refused. The messages speak to the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the password is too short: it needs at least {min} characters, and has {chars}")]
    TooShort { min: usize, chars: usize },
    #[error("the password is too long: at most {max} bytes")]
    TooLong { max: usize },
    #[error("the password is one of the most common passwords; choose another")]
    Common,
    #[error("the password is the account's email address; choose another")]
    IsEmail,
}

/// Whether `password` may be set for the account with `email`: at least [`MIN_CHARS`]
/// characters, at most [`MAX_BYTES`] bytes, not in the bundled list of common passwords
/// (in any case), and not the email or the part before its `@` (in any case).
pub fn check_policy(password: &str, email: &str) -> Result<(), PolicyError> {
    if password.len() > MAX_BYTES {
        return Err(PolicyError::TooLong { max: MAX_BYTES });
    }
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PolicyError::TooShort {
            min: MIN_CHARS,
            chars,
        });
    }
    let lower = password.to_lowercase();
    if is_common(&lower) {
        return Err(PolicyError::Common);
    }
    let email = email.trim().to_lowercase();
    let local = email.rsplit_once('@').map_or(email.as_str(), |(l, _)| l);
    if !email.is_empty() && (lower == email || lower == local) {
        return Err(PolicyError::IsEmail);
    }
    Ok(())
}

/// Whether `password` (in any case) is in the bundled list of common passwords.
pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let h = hash("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        let good = verify("correct horse battery staple", &h);
        assert_eq!(
            good,
            Verified {
                ok: true,
                needs_rehash: false
            }
        );
        assert!(!verify("correct horse battery stapler", &h).ok);
        assert!(!verify("", &h).ok);
    }

    #[test]
    fn each_hash_has_its_own_salt() {
        let a = hash("the same password twice").unwrap();
        let b = hash("the same password twice").unwrap();
        assert_ne!(a, b);
        assert!(verify("the same password twice", &a).ok);
        assert!(verify("the same password twice", &b).ok);
    }

    #[test]
    fn older_parameters_verify_and_ask_for_a_rehash() {
        let weak = Params::new(8 * 1024, 1, 1, None).unwrap();
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, weak)
            .hash_password_with_salt(b"an older account's pass", b"0123456789abcdef")
            .unwrap()
            .to_string();
        assert!(old.contains("m=8192,t=1,p=1"), "{old}");
        let v = verify("an older account's pass", &old);
        assert!(v.ok && v.needs_rehash);
        // A wrong password against an old hash asks for nothing.
        let wrong = verify("not the password at all", &old);
        assert!(!wrong.ok && !wrong.needs_rehash);

        // Argon2i with the current parameters: another algorithm, so a rehash too.
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::default())
            .hash_password_with_salt(b"an older account's pass", b"0123456789abcdef")
            .unwrap()
            .to_string();
        let v = verify("an older account's pass", &argon2i);
        assert!(v.ok && v.needs_rehash, "{argon2i}");
    }

    #[test]
    fn a_hash_that_cannot_be_read_matches_nothing() {
        for bad in [
            "",
            "plain text",
            "$argon2id$v=19$m=19456,t=2,p=1$",
            "$md5$abc",
        ] {
            assert_eq!(
                verify("anything at all", bad),
                Verified {
                    ok: false,
                    needs_rehash: false
                },
                "{bad}"
            );
        }
    }

    #[test]
    fn the_dummy_hash_is_current_and_matches_no_login() {
        assert!(DUMMY.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!verify("password1234", &DUMMY).ok);
        verify_dummy("anything");
    }

    #[test]
    fn policy_lengths() {
        assert_eq!(
            check_policy("short", "a@b.org"),
            Err(PolicyError::TooShort { min: 12, chars: 5 })
        );
        // Characters, not bytes: eleven two-byte letters are still too short.
        assert_eq!(
            check_policy(&"é".repeat(11), "a@b.org"),
            Err(PolicyError::TooShort { min: 12, chars: 11 })
        );
        assert!(check_policy(&"é".repeat(12), "a@b.org").is_ok());
        assert!(check_policy("river-otter-lamp", "a@b.org").is_ok());
        assert!(check_policy(&"x7".repeat(512), "a@b.org").is_ok());
        assert_eq!(
            check_policy(&"x7".repeat(512).replacen('x', "xy", 1), "a@b.org"),
            Err(PolicyError::TooLong { max: 1024 })
        );
    }

    #[test]
    fn policy_refuses_common_passwords_in_any_case() {
        let list: Vec<&str> = COMMON_LIST
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect();
        assert_eq!(list.len(), 10_000);
        assert_eq!(COMMON.len(), 10_000);
        assert!(is_common("password") && is_common("PassWord"));
        assert!(!is_common("the river otter's lamp"));
        assert_eq!(
            check_policy("QWERTY123456", "a@b.org"),
            Err(PolicyError::Common)
        );
        assert_eq!(
            check_policy("LeaveMeAlone", "a@b.org"),
            Err(PolicyError::Common)
        );
    }

    #[test]
    fn policy_refuses_the_email_and_its_local_part() {
        let email = "Maria.Lopez-Archive@example.org";
        assert_eq!(
            check_policy("maria.lopez-archive@example.org", email),
            Err(PolicyError::IsEmail)
        );
        assert_eq!(
            check_policy("MARIA.LOPEZ-ARCHIVE", email),
            Err(PolicyError::IsEmail)
        );
        assert!(check_policy("maria.lopez-archive!", email).is_ok());
    }
}
