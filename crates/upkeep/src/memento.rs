//! Memento (RFC 7089): how a client that knows a cited address finds the archive's copies
//! of it. The TimeMap (`/timemap/link/{url}`, `application/link-format`) lists every copy
//! with its time; the TimeGate (`/timegate/{url}`) sends a client to the copy nearest the
//! time it asks for in `Accept-Datetime`. Each copy (`/archive/{id}`) is a Memento and
//! names its original, TimeGate and TimeMap in `Link`.
//!
//! Pure functions over the store's rows: the server's handlers answer with them, and the
//! static export writes the same TimeMaps.

use dossier_store::Capture;

/// The site's paths of a copy, a TimeMap and a TimeGate.
pub fn memento_path(id: i64) -> String {
    format!("/archive/{id}")
}
pub fn timemap_path(original: &str) -> String {
    format!("/timemap/link/{original}")
}
pub fn timegate_path(original: &str) -> String {
    format!("/timegate/{original}")
}

/// The cited address that a TimeMap's or TimeGate's path names: the rest of the path
/// after the route's prefix, with the request's query string put back (a cited address
/// may have one). Proxies and browsers fold `https://` to `https:/`, so one slash is
/// taken for two. `None` unless the result is an absolute http(s) address the model
/// accepts.
pub fn original_from_path(rest: &str, query: Option<&str>) -> Option<String> {
    let mut url = rest.to_string();
    for scheme in ["https:/", "http:/"] {
        if let Some(tail) = url.strip_prefix(scheme) {
            if !tail.starts_with('/') {
                url = format!("{scheme}/{tail}");
            }
            break;
        }
    }
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(q);
    }
    dossier_model::url::is_web_url(&url).then_some(url)
}

/// An HTTP date (RFC 7231 IMF-fixdate), as `Memento-Datetime` and TimeMaps write it.
pub fn http_date(secs: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    httpdate::fmt_http_date(t)
}

/// `Accept-Datetime`'s value as seconds since 1970, or `None` if it is not an HTTP date.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let t = httpdate::parse_http_date(s.trim()).ok()?;
    Some(t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64)
}

/// The copy a TimeGate sends a client to: the one nearest `wanted` (the later of two
/// equally near), or the newest when the client asks for no time. `None` only when there
/// is no copy.
pub fn nearest(copies: &[Capture], wanted: Option<i64>) -> Option<&Capture> {
    match wanted {
        None => copies.iter().max_by_key(|c| (c.captured_at, c.id)),
        Some(t) => copies.iter().min_by_key(|c| {
            (
                (c.captured_at - t).unsigned_abs(),
                std::cmp::Reverse((c.captured_at, c.id)),
            )
        }),
    }
}

/// A URI inside `<…>` of a link-format entry: the characters that would end it or start
/// another entry are percent-encoded (a cited address comes from data, not from us).
fn link_uri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' | '>' | '"' | ' ' | ',' | ';' | '\\' => out.push_str(&format!("%{:02X}", c as u32)),
            c if c.is_control() => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The `Link` header of a copy: its original, TimeGate and TimeMap (`base` is the site's
/// address without a trailing slash).
pub fn memento_link_header(base: &str, original: &str) -> String {
    format!(
        "<{}>; rel=\"original\", <{base}{}>; rel=\"timegate\", <{base}{}>; rel=\"timemap\"; type=\"application/link-format\"",
        link_uri(original),
        link_uri(&timegate_path(original)),
        link_uri(&timemap_path(original)),
    )
}

/// The `Link` header of a TimeGate's redirect: the original and the TimeMap.
pub fn timegate_link_header(base: &str, original: &str) -> String {
    format!(
        "<{}>; rel=\"original\", <{base}{}>; rel=\"timemap\"; type=\"application/link-format\"",
        link_uri(original),
        link_uri(&timemap_path(original)),
    )
}

/// The TimeMap of `original` in link format (RFC 7089 section 5.1.1): the original, the
/// map itself with its first and last times, the TimeGate, and every copy, oldest first,
/// the first and last marked as such. `copies` must be those of `original`.
pub fn timemap(base: &str, original: &str, copies: &[Capture]) -> String {
    let mut sorted: Vec<&Capture> = copies.iter().collect();
    sorted.sort_by_key(|c| (c.captured_at, c.id));
    let mut out = format!("<{}>; rel=\"original\",\n", link_uri(original));
    out.push_str(&format!(
        "<{base}{}>; rel=\"self\"; type=\"application/link-format\"",
        link_uri(&timemap_path(original))
    ));
    if let (Some(first), Some(last)) = (sorted.first(), sorted.last()) {
        out.push_str(&format!(
            "; from=\"{}\"; until=\"{}\"",
            http_date(first.captured_at),
            http_date(last.captured_at)
        ));
    }
    out.push_str(&format!(
        ",\n<{base}{}>; rel=\"timegate\"",
        link_uri(&timegate_path(original))
    ));
    let n = sorted.len();
    for (i, c) in sorted.iter().enumerate() {
        let rel = match (i == 0, i + 1 == n) {
            (true, true) => "first last memento",
            (true, false) => "first memento",
            (false, true) => "last memento",
            (false, false) => "memento",
        };
        out.push_str(&format!(
            ",\n<{base}{}>; rel=\"{rel}\"; datetime=\"{}\"",
            memento_path(c.id),
            http_date(c.captured_at)
        ));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(id: i64, at: i64) -> Capture {
        Capture {
            id,
            page: "https://a.example/x".into(),
            url: "https://a.example/x".into(),
            captured_at: at,
            warc_file: "f.warc.gz".into(),
            offset: 0,
            length: 1,
            status: 200,
            content_type: "text/html".into(),
            sha256: "0".repeat(64),
        }
    }

    #[test]
    fn originals_from_paths() {
        assert_eq!(
            original_from_path("https://a.example/x", Some("b=1")).as_deref(),
            Some("https://a.example/x?b=1")
        );
        assert_eq!(
            original_from_path("https:/a.example/x", None).as_deref(),
            Some("https://a.example/x")
        );
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,<script>",
            "ftp://a.example/",
            "../../etc/passwd",
            "",
            "http://",
        ] {
            assert_eq!(original_from_path(bad, None), None, "{bad}");
        }
    }

    #[test]
    fn the_gate_picks_the_nearest_copy() {
        let copies = [copy(1, 1000), copy(2, 2000), copy(3, 3000)];
        assert_eq!(nearest(&copies, None).unwrap().id, 3);
        assert_eq!(nearest(&copies, Some(0)).unwrap().id, 1);
        assert_eq!(nearest(&copies, Some(1400)).unwrap().id, 1);
        assert_eq!(nearest(&copies, Some(1500)).unwrap().id, 2);
        assert_eq!(nearest(&copies, Some(9999)).unwrap().id, 3);
        assert!(nearest(&[], Some(5)).is_none());
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(http_date(1_796_469_600), "Sat, 05 Dec 2026 11:20:00 GMT");
        assert_eq!(
            parse_http_date("Sat, 05 Dec 2026 11:20:00 GMT"),
            Some(1_796_469_600)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn a_timemap_lists_every_copy() {
        let map = timemap(
            "https://site.example",
            "https://a.example/x",
            &[copy(7, 2000), copy(3, 1000)],
        );
        assert!(map.starts_with("<https://a.example/x>; rel=\"original\",\n"));
        assert!(map.contains("<https://site.example/timemap/link/https://a.example/x>; rel=\"self\"; type=\"application/link-format\"; from=\"Thu, 01 Jan 1970 00:16:40 GMT\"; until=\"Thu, 01 Jan 1970 00:33:20 GMT\""));
        assert!(
            map.contains("<https://site.example/timegate/https://a.example/x>; rel=\"timegate\"")
        );
        let first = map.find("/archive/3>; rel=\"first memento\"").unwrap();
        let last = map.find("/archive/7>; rel=\"last memento\"").unwrap();
        assert!(first < last);
    }

    #[test]
    fn an_address_cannot_break_out_of_its_brackets() {
        let map = timemap("", "https://a.example/x?q=a>;rel=\"evil\",<x", &[]);
        assert!(!map.contains(">;rel=\"evil\""), "{map}");
        assert!(map.contains("%3E%3Brel=%22evil%22%2C%3Cx"), "{map}");
        let h = memento_link_header("", "https://a.example/\r\nSet-Cookie: a");
        assert!(!h.contains('\r') && !h.contains('\n'));
    }
}
