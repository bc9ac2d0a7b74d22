//! Resumption tokens: a list's arguments and the last item returned, signed with
//! HMAC-SHA256, so that a harvest needs no server state and a token cannot be forged.

use super::request::ListQuery;
use super::Prefix;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub(super) fn mac(key: &[u8], payload: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(payload);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

pub(super) fn encode_token(q: &ListQuery, after: &str, key: &[u8]) -> String {
    let payload = [
        "v2",
        if q.records { "R" } else { "I" },
        q.prefix.as_str(),
        q.set.as_deref().unwrap_or(""),
        q.from.as_deref().unwrap_or(""),
        q.until.as_deref().unwrap_or(""),
        after,
    ]
    .join("\n");
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload.as_bytes()),
        URL_SAFE_NO_PAD.encode(mac(key, payload.as_bytes()))
    )
}

pub(super) fn decode_token(token: &str, key: &[u8]) -> Option<ListQuery> {
    let (p, m) = token.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(p).ok()?;
    let given = URL_SAFE_NO_PAD.decode(m).ok()?;
    let mut check = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    check.update(&payload);
    // Constant-time comparison.
    check.verify_slice(&given).ok()?;
    let text = String::from_utf8(payload).ok()?;
    let parts: Vec<&str> = text.split('\n').collect();
    // v1 tokens (issued before bodies and people were items) listed documents in
    // `oai_dc`, their last slug a document's: they go on where they stopped.
    let (kind, prefix, set, from, until, after) = match parts.as_slice() {
        ["v2", kind, prefix, set, from, until, after] => (
            *kind,
            Prefix::parse(prefix)?,
            *set,
            *from,
            *until,
            after.to_string(),
        ),
        ["v1", kind, set, from, until, after] => (
            *kind,
            Prefix::OaiDc,
            *set,
            *from,
            *until,
            if after.is_empty() {
                String::new()
            } else {
                super::items::item_key(dossier_model::RecordType::Document, after)
            },
        ),
        _ => return None,
    };
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Some(ListQuery {
        prefix,
        records: match kind {
            "R" => true,
            "I" => false,
            _ => return None,
        },
        set: opt(set),
        from: opt(from),
        until: opt(until),
        after: opt(&after),
    })
}
