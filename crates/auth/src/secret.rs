//! Random secrets and their digests: session ids, CSRF tokens and API tokens are random
//! strings handed out once; the store keeps only their SHA-256 digests, so a copy of the
//! database opens no session.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// 32 bytes from the operating system's random source, as base64url without padding
/// (43 characters): a session id, a CSRF token or an API token.
///
/// Panics only if the operating system has no random source at all, where no secret
/// could be made safely.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of `s`, lowercase hex: what the store keeps of a session id or a token.
pub fn digest(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

/// Whether `a` and `b` are equal, taking the same time wherever they differ (a CSRF
/// token compared byte by byte with an early exit would tell an attacker how much of a
/// guess was right). Both are digested first, so the lengths do not show either.
pub fn same(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.len(), 43);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a, b);
    }

    #[test]
    fn digest_is_sha256_hex() {
        // The well-known SHA-256 of "abc".
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(digest("").len(), 64);
    }

    #[test]
    fn same_compares_whole_strings() {
        assert!(same("token", "token"));
        assert!(same("", ""));
        assert!(!same("token", "tokem"));
        assert!(!same("token", "token2"));
        assert!(!same("token", ""));
    }
}
