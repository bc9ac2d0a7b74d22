//! The two cookies of editors' accounts, read and written by hand (two names, fixed
//! attributes; a cookie crate would add more than it saves).
//!
//! - The session cookie ([`SESSION_COOKIE`], or [`SESSION_COOKIE_SECURE`] on an https
//!   site): the random id of a session kept in the store. `HttpOnly` (no script reads it),
//!   `SameSite=Lax` (not sent on another site's POST), `Path=/`, and on https `Secure`
//!   with the `__Host-` prefix (no sibling host can set or overwrite it). No `Max-Age`:
//!   it ends with the browser, and the server enforces the idle and absolute timeouts.
//! - The login cookie (`dossier_login`): the token against login CSRF before there is a
//!   session, the same value as the login form's hidden `csrf` field. `SameSite=Strict`.

use crate::security::{SESSION_COOKIE, SESSION_COOKIE_SECURE};
use axum::http::{header, HeaderMap, HeaderValue};
use dossier_publish::site::Site;

/// The login cookie's name on a plain-http site.
pub(crate) const LOGIN_COOKIE: &str = "dossier_login";
/// The login cookie's name on an https site (`__Host-`, as the session cookie's).
pub(crate) const LOGIN_COOKIE_SECURE: &str = "__Host-dossier_login";

/// The longest cookie value taken as a possible id or token (ours are 43 characters):
/// anything longer is not ours and is not looked up.
const MAX_VALUE: usize = 128;

/// The cookies' names and attributes for a site: `__Host-` and `Secure` when its base
/// URL is https.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cookies {
    secure: bool,
}

impl Cookies {
    pub(crate) fn for_site(site: &Site) -> Cookies {
        Cookies {
            secure: site.base_url().starts_with("https://"),
        }
    }

    pub(crate) fn session_name(self) -> &'static str {
        if self.secure {
            SESSION_COOKIE_SECURE
        } else {
            SESSION_COOKIE
        }
    }

    pub(crate) fn login_name(self) -> &'static str {
        if self.secure {
            LOGIN_COOKIE_SECURE
        } else {
            LOGIN_COOKIE
        }
    }

    /// The session cookie's value in a request, if it has a plausible one.
    pub(crate) fn session(self, headers: &HeaderMap) -> Option<&str> {
        get(headers, self.session_name())
    }

    /// The login cookie's value in a request, if it has a plausible one.
    pub(crate) fn login(self, headers: &HeaderMap) -> Option<&str> {
        get(headers, self.login_name())
    }

    /// `Set-Cookie` for a new session.
    pub(crate) fn set_session(self, value: &str) -> HeaderValue {
        self.build(self.session_name(), value, "Lax", None)
    }

    /// `Set-Cookie` that removes the session cookie (logout, or a session that ended).
    pub(crate) fn clear_session(self) -> HeaderValue {
        self.build(self.session_name(), "", "Lax", Some(0))
    }

    /// `Set-Cookie` for the login form's token.
    pub(crate) fn set_login(self, value: &str) -> HeaderValue {
        self.build(self.login_name(), value, "Strict", None)
    }

    /// `Set-Cookie` that removes the login form's token (once logged in).
    pub(crate) fn clear_login(self) -> HeaderValue {
        self.build(self.login_name(), "", "Strict", Some(0))
    }

    fn build(self, name: &str, value: &str, same_site: &str, max_age: Option<u32>) -> HeaderValue {
        let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
        if self.secure {
            cookie.push_str("; Secure");
        }
        if let Some(age) = max_age {
            cookie.push_str(&format!("; Max-Age={age}"));
        }
        // Our values are base64url and our names fixed: always a valid header value.
        HeaderValue::from_str(&cookie).unwrap_or(HeaderValue::from_static(""))
    }
}

/// The value of the first cookie called `name` in the request's `Cookie` headers, when it
/// could be one of ours (base64url, not empty, not too long).
pub(crate) fn get<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| n.trim() == name)
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|v| plausible(v))
}

/// Whether a cookie value could be an id or token of ours.
fn plausible(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= MAX_VALUE
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(url: &str) -> Site {
        Site::new(url).unwrap()
    }

    #[test]
    fn http_cookies_are_httponly_lax_path_root_without_secure() {
        let c = Cookies::for_site(&site("http://127.0.0.1:8080/"));
        assert_eq!(
            c.set_session("abc_-1"),
            "dossier_session=abc_-1; Path=/; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            c.clear_session(),
            "dossier_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
        assert_eq!(
            c.set_login("t"),
            "dossier_login=t; Path=/; HttpOnly; SameSite=Strict"
        );
    }

    #[test]
    fn https_cookies_are_host_prefixed_and_secure() {
        let c = Cookies::for_site(&site("https://archive.example.org/"));
        assert_eq!(
            c.set_session("abc"),
            "__Host-dossier_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert_eq!(
            c.set_login("t"),
            "__Host-dossier_login=t; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        // On https the plain name is not read: a cookie a plain-http page could have set
        // does not count.
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("dossier_session=abc"),
        );
        assert_eq!(c.session(&h), None);
    }

    #[test]
    fn cookies_are_read_by_exact_name_and_implausible_values_ignored() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("xdossier_session=no; theme=dark"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("dossier_session=good-Value_1; other=x"),
        );
        assert_eq!(get(&h, "dossier_session"), Some("good-Value_1"));
        for bad in [
            "dossier_session=",
            "dossier_session=a b",
            "dossier_session=<x>",
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::COOKIE, HeaderValue::from_str(bad).unwrap());
            assert_eq!(get(&h, "dossier_session"), None, "{bad}");
        }
        let long = format!("dossier_session={}", "a".repeat(MAX_VALUE + 1));
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&long).unwrap());
        assert_eq!(get(&h, "dossier_session"), None);
    }
}
