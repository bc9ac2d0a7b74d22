//! Resumption tokens and set specs, checked at the edges a harvester can reach.

use super::request::{is_set_spec, ListQuery};
use super::token::{decode_token, encode_token, mac};
use super::Prefix;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

#[test]
fn tokens_round_trip_and_refuse_tampering() {
    let q = ListQuery {
        records: true,
        prefix: Prefix::EacCpf,
        set: Some("kind:declaration".into()),
        from: Some("2001-01-01".into()),
        until: None,
        after: None,
    };
    let t = encode_token(&q, "body/nato", b"key");
    let back = decode_token(&t, b"key").unwrap();
    assert_eq!(back.after.as_deref(), Some("body/nato"));
    assert_eq!(back.set, q.set);
    assert_eq!(back.prefix, Prefix::EacCpf);
    assert!(decode_token(&t, b"other key").is_none());
    // Alter the payload and keep the signature.
    let (p, m) = t.split_once('.').unwrap();
    let mut payload = URL_SAFE_NO_PAD.decode(p).unwrap();
    let last = payload.len() - 1;
    payload[last] ^= 1;
    let forged = format!("{}.{m}", URL_SAFE_NO_PAD.encode(&payload));
    assert!(decode_token(&forged, b"key").is_none());
    assert!(decode_token("garbage", b"key").is_none());
    assert!(decode_token("", b"key").is_none());
    assert!(t
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'));
}

#[test]
fn set_specs() {
    assert!(is_set_spec("dossier:nato-russia"));
    assert!(is_set_spec("kind"));
    assert!(!is_set_spec("kind:"));
    assert!(!is_set_spec("a b"));
    assert!(!is_set_spec(""));
}

/// Issue 20: a `from` whose tenth byte falls inside a character (`2002-05-2é`) sliced a
/// `str` off a character boundary and panicked; it is a bad argument like any other.
#[test]
fn a_day_with_a_character_across_its_tenth_byte_is_a_bad_argument() {
    for v in [
        "2002-05-2é",
        "2002-05-2éT",
        "2002-05-0🦀",
        "é",
        "2002-05-21é",
    ] {
        let e = super::request::check_day("from", v).expect_err(v);
        assert!(e.message.contains("`from`"), "{v}: {}", e.message);
    }
    assert!(super::request::check_day("from", "2002-05-21").is_ok());
}

/// A token issued before bodies and people were items (v1: documents in `oai_dc`, the
/// last slug a document's) goes on after that document.
#[test]
fn tokens_of_the_first_version_still_continue() {
    let payload = "v1\nI\nkind:declaration\n\n\nrome-declaration";
    let t = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(mac(b"key", payload.as_bytes()))
    );
    let q = decode_token(&t, b"key").unwrap();
    assert_eq!(q.prefix, Prefix::OaiDc);
    assert!(!q.records);
    assert_eq!(q.set.as_deref(), Some("kind:declaration"));
    assert_eq!(q.after.as_deref(), Some("document/rome-declaration"));
    // A v2 token naming a format the repository does not have is not one of ours.
    let payload = "v2\nI\nmarc21\n\n\n\nbody/nato";
    let t = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(mac(b"key", payload.as_bytes()))
    );
    assert!(decode_token(&t, b"key").is_none());
}
