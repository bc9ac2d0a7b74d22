//! Cross-site request forgery: every state-changing request outside `/api/v1` (which
//! takes bearer tokens, never cookies) must show that it comes from one of this site's own
//! forms. Three checks, all required:
//!
//! 1. `Sec-Fetch-Site`, when the browser sends it, is `same-origin`;
//! 2. `Origin`, when the browser sends it, is the site's own origin (from its configured
//!    base URL, never from `Host`);
//! 3. the request's token (the form's `csrf` field, or an `X-CSRF-Token` header) equals the
//!    session's token, or, for `POST /login` where there is no session yet, the login
//!    cookie's value (a double-submit token: another site can make the browser send the
//!    cookie but cannot read it to write it into the form).
//!
//! A request that fails is answered 403 before any handler runs, so nothing is written.

use axum::http::{HeaderMap, HeaderName, Method};
use dossier_publish::site::Site;

/// The header a script may send the token in instead of a form field.
pub(crate) const TOKEN_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");

/// The form field that carries the token.
pub(crate) const TOKEN_FIELD: &str = "csrf";

/// Why a request was refused, in words for the audit log (the person sees one message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    CrossSite,
    ForeignOrigin,
    NoToken,
    WrongToken,
    NoSession,
}

impl Refusal {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Refusal::CrossSite => "Sec-Fetch-Site is not same-origin",
            Refusal::ForeignOrigin => "Origin is not this site",
            Refusal::NoToken => "no token",
            Refusal::WrongToken => "wrong token",
            Refusal::NoSession => "no session",
        }
    }
}

/// Whether `method` may change state (everything but the safe methods of RFC 9110).
pub(crate) fn changes_state(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Whether a state-changing request to `path` is exempt: the API (bearer tokens, no
/// cookies), and OAI-PMH and the reconciliation service, whose protocols POST a read.
pub(crate) fn exempt(path: &str) -> bool {
    path == "/oai" || path == "/reconcile" || super::is_api(path)
}

/// The browser's own headers: `Sec-Fetch-Site` absent or `same-origin`, `Origin` absent or
/// this site's.
pub(crate) fn check_headers(headers: &HeaderMap, site: &Site) -> Result<(), Refusal> {
    if let Some(fetch_site) = headers.get("sec-fetch-site") {
        if !fetch_site.as_bytes().eq_ignore_ascii_case(b"same-origin") {
            return Err(Refusal::CrossSite);
        }
    }
    if let Some(origin) = headers.get(axum::http::header::ORIGIN) {
        let ours = origin_of(site.base_url());
        let theirs = origin.to_str().ok().map(normalize_origin);
        if theirs.as_deref() != Some(ours.as_str()) {
            return Err(Refusal::ForeignOrigin);
        }
    }
    Ok(())
}

/// The token compared with what it must equal: both present, not empty, and equal (in
/// constant time).
pub(crate) fn check_token(given: Option<&str>, expected: Option<&str>) -> Result<(), Refusal> {
    let Some(expected) = expected.filter(|e| !e.is_empty()) else {
        return Err(Refusal::NoSession);
    };
    match given.filter(|g| !g.is_empty()) {
        None => Err(Refusal::NoToken),
        Some(given) if dossier_auth::secret::same(given, expected) => Ok(()),
        Some(_) => Err(Refusal::WrongToken),
    }
}

/// The token of a request: the `X-CSRF-Token` header, else the `csrf` field of an
/// `application/x-www-form-urlencoded` body.
pub(crate) fn token_of(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(v) = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) {
        return Some(v.trim().to_string());
    }
    let form = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| {
            t.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return None;
    }
    form_urlencoded::parse(body)
        .find(|(k, _)| k == TOKEN_FIELD)
        .map(|(_, v)| v.into_owned())
}

/// `scheme://host[:port]` of a base URL, lowercased, without a default port: what a
/// browser sends as `Origin` for a page of the site.
pub(crate) fn origin_of(base_url: &str) -> String {
    let (scheme, rest) = base_url.split_once("://").unwrap_or(("http", base_url));
    let authority = rest.split('/').next().unwrap_or_default();
    normalize_origin(&format!("{scheme}://{authority}"))
}

/// An origin lowercased and without its scheme's default port (`https://X.org:443` is
/// `https://x.org`).
fn normalize_origin(origin: &str) -> String {
    let origin = origin.trim().to_ascii_lowercase();
    for (scheme, port) in [("http://", ":80"), ("https://", ":443")] {
        if origin.starts_with(scheme) {
            if let Some(bare) = origin.strip_suffix(port) {
                return bare.to_string();
            }
        }
    }
    origin
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn site() -> Site {
        Site::new("https://archive.example.org/dossier/").unwrap()
    }

    #[test]
    fn same_origin_requests_and_requests_without_the_headers_pass() {
        assert_eq!(check_headers(&HeaderMap::new(), &site()), Ok(()));
        let h = headers(&[
            ("sec-fetch-site", "same-origin"),
            ("origin", "https://archive.example.org"),
        ]);
        assert_eq!(check_headers(&h, &site()), Ok(()));
        let h = headers(&[("origin", "HTTPS://Archive.Example.org:443")]);
        assert_eq!(check_headers(&h, &site()), Ok(()));
    }

    #[test]
    fn cross_site_and_foreign_origins_are_refused() {
        for fetch in ["cross-site", "same-site", "none", ""] {
            let h = headers(&[("sec-fetch-site", fetch)]);
            assert_eq!(
                check_headers(&h, &site()),
                Err(Refusal::CrossSite),
                "{fetch}"
            );
        }
        for origin in [
            "https://evil.example",
            "null",
            "http://archive.example.org",
            "https://archive.example.org.evil.example",
            "https://archive.example.org:8443",
            "",
        ] {
            let h = headers(&[("origin", origin)]);
            assert_eq!(
                check_headers(&h, &site()),
                Err(Refusal::ForeignOrigin),
                "{origin}"
            );
        }
    }

    #[test]
    fn tokens_must_be_present_and_equal() {
        assert_eq!(check_token(Some("abc"), Some("abc")), Ok(()));
        assert_eq!(
            check_token(Some("abd"), Some("abc")),
            Err(Refusal::WrongToken)
        );
        assert_eq!(
            check_token(Some("ab"), Some("abc")),
            Err(Refusal::WrongToken)
        );
        assert_eq!(check_token(None, Some("abc")), Err(Refusal::NoToken));
        assert_eq!(check_token(Some(""), Some("abc")), Err(Refusal::NoToken));
        // No session (or no login cookie): nothing can match, not even an empty token.
        assert_eq!(check_token(Some(""), Some("")), Err(Refusal::NoSession));
        assert_eq!(check_token(Some("abc"), None), Err(Refusal::NoSession));
    }

    #[test]
    fn the_token_comes_from_the_header_or_a_urlencoded_form() {
        let form = headers(&[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )]);
        assert_eq!(
            token_of(&form, b"role=admin&csrf=a%2Bb&csrf=second").as_deref(),
            Some("a+b")
        );
        assert_eq!(token_of(&form, b"role=admin"), None);
        let json = headers(&[("content-type", "application/json")]);
        assert_eq!(token_of(&json, b"csrf=abc"), None);
        let header = headers(&[("x-csrf-token", " t0k ")]);
        assert_eq!(token_of(&header, b"csrf=other").as_deref(), Some("t0k"));
    }

    #[test]
    fn origins_of_base_urls() {
        assert_eq!(
            origin_of("https://Archive.example.org/dossier/"),
            "https://archive.example.org"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert_eq!(origin_of("http://example.org:80/"), "http://example.org");
    }

    #[test]
    fn only_state_changing_methods_outside_the_api_and_oai_are_checked() {
        assert!(!changes_state(&Method::GET) && !changes_state(&Method::HEAD));
        assert!(changes_state(&Method::POST) && changes_state(&Method::DELETE));
        assert!(changes_state(&Method::PUT) && changes_state(&Method::PATCH));
        assert!(exempt("/oai") && exempt("/api/v1/documents") && exempt("/api/v1"));
        assert!(!exempt("/login") && !exempt("/admin/users/1/role") && !exempt("/api/v10"));
    }
}
