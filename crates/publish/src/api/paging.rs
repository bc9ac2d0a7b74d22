//! Lists come in pages: `limit` and an opaque `cursor`, and the `Link` to the next page.

use super::params::param;
use super::{ApiError, Params, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;

/// Items per page when `limit` is not given, and the most a page may hold.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 500;

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many items the whole list holds.
    pub total: usize,
    pub limit: usize,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A page of a list: what the server needs to write the `Link` to the next page.
pub trait Paged {
    fn next_cursor(&self) -> Option<&str>;
}

impl<T> Paged for Page<T> {
    fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }
}

pub(super) fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("v1:{offset}"))
}

fn decode_cursor(c: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(c).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("v1:")?.parse().ok()
}

/// `limit`: from 1 to `max`, [`DEFAULT_LIMIT`] when absent. `here` ends the message where
/// an endpoint has a maximum of its own.
pub(super) fn limit_param(params: &Params, max: usize, here: &str) -> Result<usize> {
    match param(params, "limit")? {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::BadRequest(format!(
                "`limit` must be a whole number from 1 to {max}{here}."
            ))),
        },
    }
}

/// `cursor`: an offset this API gave out, below `window`; 0 when absent.
pub(super) fn cursor_param(params: &Params, window: usize) -> Result<usize> {
    match param(params, "cursor")? {
        None => Ok(0),
        Some(c) => decode_cursor(c).filter(|&o| o < window).ok_or_else(|| {
            ApiError::BadRequest(
                "`cursor` is not one this API gave out; pass `next_cursor` from the previous page."
                    .into(),
            )
        }),
    }
}

pub(super) fn paginate<S, T>(
    all: Vec<S>,
    params: &Params,
    mut convert: impl FnMut(S) -> Result<T>,
) -> Result<Page<T>> {
    let limit = limit_param(params, MAX_LIMIT, "")?;
    let offset = cursor_param(params, usize::MAX)?;
    let total = all.len();
    let items = all
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(&mut convert)
        .collect::<Result<Vec<_>>>()?;
    let next = offset.saturating_add(limit);
    Ok(Page {
        items,
        total,
        limit,
        next_cursor: (next < total).then(|| encode_cursor(next)),
    })
}

/// The query string of the next page, for a `Link: <…>; rel="next"` header.
pub fn next_link(params: &Params, cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "cursor")
        .cloned()
        .collect();
    pairs.push(("cursor".into(), cursor.into()));
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encoding for a query component (RFC 3986 unreserved characters kept).
pub(super) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(150)), Some(150));
        assert_eq!(decode_cursor("djE6LTE"), None); // "v1:-1"
        assert_eq!(decode_cursor("%%%"), None);
        assert_eq!(decode_cursor(""), None);
    }

    #[test]
    fn next_links_keep_filters() {
        let params = vec![
            ("kind".to_string(), "declaration".to_string()),
            ("cursor".to_string(), "old".to_string()),
            ("q".to_string(), "a b&c".to_string()),
        ];
        assert_eq!(
            next_link(&params, "djE6NTA"),
            "kind=declaration&q=a%20b%26c&cursor=djE6NTA"
        );
    }
}
