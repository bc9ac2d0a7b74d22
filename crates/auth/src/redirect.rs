//! Where to go after login (`next=`): only a path on this site. An open redirect turns the
//! archive's login page into a trusted-looking link to anywhere, so anything that a
//! browser, a proxy or a later decoding could read as another host is refused.

use percent_encoding::percent_decode_str;

/// The longest `next` kept; a longer one is refused rather than cut.
const MAX_LEN: usize = 2048;

/// How many rounds of percent-decoding are looked through; a value still encoded after
/// that many is refused (nobody encodes a path on this site four times over).
const MAX_DECODES: usize = 3;

/// `raw` if it is a path on this site (`/…`), else `None`. Refused: anything not starting
/// with one `/` (`https://evil`, `javascript:…`, `evil.org`), a second `/` or `\` after
/// it (`//evil`, `/\evil`), a `\` anywhere, whitespace or control characters (browsers
/// drop tabs and newlines, so `/\t/evil` is `//evil`), characters outside a URL's own set,
/// and forms that become any of those when percent-decoded, once or more (`/%2F%2Fevil`,
/// `/%5Cevil`, `%2F%2Fevil`). The path may not hold an empty segment (`//`) anywhere.
pub fn safe_next(raw: &str) -> Option<String> {
    if raw.is_empty() || raw.len() > MAX_LEN {
        return None;
    }
    if !raw.bytes().all(url_char) || !plain_path(raw) {
        return None;
    }
    // The path part, decoded again and again, must stay a plain path. The query and the
    // fragment are the page's business: no browser or proxy reads a host from them.
    let path_end = raw.find(['?', '#']).unwrap_or(raw.len());
    let mut path = raw[..path_end].to_string();
    for _ in 0..MAX_DECODES {
        let decoded = percent_decode_str(&path).decode_utf8().ok()?.into_owned();
        if decoded == path {
            return Some(raw.to_string());
        }
        if decoded.chars().any(|c| c.is_control() || c.is_whitespace()) || !plain_path(&decoded) {
            return None;
        }
        path = decoded;
    }
    None
}

/// A path beginning with exactly one `/`, with no `\` and no empty segment.
fn plain_path(s: &str) -> bool {
    let path = &s[..s.find(['?', '#']).unwrap_or(s.len())];
    s.starts_with('/') && !s.contains('\\') && !path.contains("//")
}

/// The printable ASCII characters a URL may hold as they are: RFC 3986's unreserved and
/// reserved characters and `%`. Everything else (spaces, controls, `\`, quotes, `<>`,
/// non-ASCII) is refused rather than guessed at.
fn url_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?#[]%".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_on_this_site_pass_unchanged() {
        for ok in [
            "/",
            "/admin/users",
            "/dossiers/treaty-of-rome?tab=documents#s2",
            "/search?q=a%2F%2Fb",
            "/./admin",
            "/.well-known/thing",
            "/a/../b",
            "/people/o'neill",
            "/documents/%C3%A9t%C3%A9",
            "/javascript:alert(1)",
        ] {
            assert_eq!(safe_next(ok).as_deref(), Some(ok), "{ok}");
        }
    }

    #[test]
    fn other_hosts_and_schemes_are_refused() {
        for bad in [
            "",
            "//evil.org",
            "///evil.org",
            "https://evil.org",
            "http:evil.org",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>",
            "evil.org",
            "admin/users",
            "/\\evil.org",
            "\\\\evil.org",
            "\\/evil.org",
            "/admin\\..\\..",
            "/a//b",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn whitespace_and_controls_are_refused() {
        for bad in [
            "/\t/evil.org",
            "/\n/evil.org",
            "/\r\n/evil.org",
            " /admin",
            "/admin ",
            "/ad min",
            "/\0",
            "/\u{7f}",
            "/\u{a0}/evil",
            "/é",
            "/<script>",
            "/\"onmouseover",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn encoded_forms_are_refused() {
        for bad in [
            "/%2F%2Fevil.org",
            "/%2f/evil.org",
            "%2F%2Fevil.org",
            "%2Fadmin",
            "/%5Cevil.org",
            "/%5cevil.org",
            "/%09/evil.org",
            "/%0A/evil.org",
            "/%0d%0aSet-Cookie:x=1",
            "/%252F%252Fevil.org",
            "/%25252F%25252Fevil.org",
            "/%2525252F",
            "/%FF",
            "/%20",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_very_long_next_is_refused() {
        let long = format!("/{}", "a".repeat(MAX_LEN));
        assert_eq!(safe_next(&long), None);
        let fits = format!("/{}", "a".repeat(MAX_LEN - 1));
        assert_eq!(safe_next(&fits).as_deref(), Some(fits.as_str()));
    }
}
