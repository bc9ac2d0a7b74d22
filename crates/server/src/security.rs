//! What every response carries for the browser's protection, and which requests speak for
//! a person (so that their answers are never shared through the response cache).
//!
//! The headers are added once, where a response leaves the server (the connection's
//! service), so that no route, error page or cached answer goes out without them.

use axum::http::{header, HeaderMap, HeaderName, HeaderValue};

/// The Content-Security-Policy: scripts, styles, images, fonts and forms from this site
/// only, no inline script or style, no plugins, and no framing (clickjacking).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The name of the session cookie on a site served over https (`__Host-`: the browser
/// keeps it only if it is `Secure`, has `Path=/` and no `Domain`, so a sibling host cannot
/// set or overwrite it).
pub const SESSION_COOKIE_SECURE: &str = "__Host-dossier_session";
/// The name of the session cookie on a plain-http site (`__Host-` needs `Secure`).
pub const SESSION_COOKIE: &str = "dossier_session";

/// Adds the security headers to a response's headers, keeping any a handler set itself
/// (a page that must be framed, say, would set its own `frame-ancestors`).
pub fn add_security_headers(headers: &mut HeaderMap) {
    const FIXED: [(HeaderName, &str); 4] = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in FIXED {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
}

/// Whether a request carries a person's credentials: a session cookie or an
/// `Authorization` header. Its answer may differ from an anonymous reader's (the editor's
/// menu, drafts), so it is neither answered from the shared response cache nor kept there.
pub fn carries_credentials(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::AUTHORIZATION) {
        return true;
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('=').map(|(name, _)| name.trim()))
        .any(|name| name == SESSION_COOKIE || name == SESSION_COOKIE_SECURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn a_session_cookie_or_an_authorization_header_is_a_person() {
        assert!(!carries_credentials(&HeaderMap::new()));
        assert!(!carries_credentials(&cookies(
            "theme=dark; dossier_login=abc"
        )));
        assert!(carries_credentials(&cookies(
            "theme=dark; dossier_session=abc"
        )));
        assert!(carries_credentials(&cookies("__Host-dossier_session=abc")));
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(carries_credentials(&h));
    }

    #[test]
    fn headers_are_added_without_replacing_a_handler_s_own() {
        let mut h = HeaderMap::new();
        h.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
        add_security_headers(&mut h);
        assert_eq!(h[header::X_FRAME_OPTIONS], "SAMEORIGIN");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(h[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
    }
}
