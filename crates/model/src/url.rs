//! The one rule for addresses that a record carries: an absolute `http` or `https` URL.
//!
//! Every address in a record (a source's `url`, an outside site's `url` in a section's
//! references) ends up in an `href` on a page, in the static export and in the API. A
//! `javascript:`, `vbscript:` or `data:` address there runs a script in the reader's
//! browser when clicked (stored XSS), `file:` reaches into the reader's machine, and a
//! relative or protocol-relative one (`//evil.example`) points wherever the page is.
//! So an address is parsed as a browser parses it (the WHATWG URL Standard, through the
//! `url` crate) and kept only when its scheme is `http` or `https` with a host.
//!
//! Before parsing, an address with white space or a control character anywhere is
//! refused: browsers silently drop tabs and newlines inside an address and trim spaces
//! and controls around it, so ` java\tscript:` is `javascript:` to them. No honest address
//! needs these (a space is written `%20`).
//!
//! The check is a function over `&str`, not a `SafeUrl` type in the records: records are
//! read back from stores and files written before this rule, and a field type that
//! refused to deserialise would make such a record (and its page) unreadable rather than
//! showing the address as text. `Archive::validate` refuses new writes; the renderer
//! checks again before it writes a link.

use crate::archive::{Archive, ValidationError};
use crate::records::{Dossier, Provenance, Section, Target};

/// The longest address accepted, in bytes. Real addresses are far shorter (browsers and
/// servers commonly stop at 8 KiB for a whole request line); the bound keeps a hostile
/// file from storing megabytes in one attribute.
pub const MAX_URL_BYTES: usize = 8192;

/// Why an address is refused. The messages are written for the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("the address is empty")]
    Empty,
    #[error("the address is longer than {MAX_URL_BYTES} bytes")]
    TooLong,
    #[error(
        "the address contains {0}; browsers drop or trim such characters, so they can hide \
         a `javascript:` address (write a space as %20)"
    )]
    Invisible(String),
    #[error(
        "{0:?} is not an absolute address; give the whole address, beginning with \
         http:// or https://"
    )]
    Relative(String),
    #[error(
        "a `{0}:` address is not accepted, only http and https{more}",
        more = if matches!(.0.as_str(), "javascript" | "vbscript" | "data") {
            " (this one would run a script in a reader's browser)"
        } else {
            ""
        }
    )]
    Scheme(String),
    #[error("an e-mail address (`mailto:`) is not accepted here, only http and https")]
    Mail,
    #[error("not a valid address: {0}")]
    Invalid(String),
}

/// Which schemes a field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schemes {
    /// `http` and `https`: every address field of the records.
    Web,
    /// `http`, `https` and `mailto`: for links meant to reach a person, such as those
    /// an editor writes in commentary.
    WebOrMail,
}

/// Checks an address for a record's field: an absolute `http` or `https` URL with a host,
/// without white space or control characters, at most [`MAX_URL_BYTES`] long.
///
/// The last address accepted on this thread is remembered: a mapping import gives every
/// record the same source address, and `Archive::validate` runs once per record, so a
/// string comparison then replaces a parse for each of them (BENCHMARKS.md).
pub fn check_url(s: &str) -> Result<(), UrlError> {
    thread_local! {
        static LAST_ACCEPTED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    if !s.is_empty() && LAST_ACCEPTED.with(|l| l.borrow().as_str() == s) {
        return Ok(());
    }
    check(s, Schemes::Web)?;
    LAST_ACCEPTED.with(|l| {
        let mut l = l.borrow_mut();
        l.clear();
        l.push_str(s);
    });
    Ok(())
}

/// Checks an address against `schemes`; see [`check_url`].
pub fn check(s: &str, schemes: Schemes) -> Result<(), UrlError> {
    if s.is_empty() {
        return Err(UrlError::Empty);
    }
    if s.len() > MAX_URL_BYTES {
        return Err(UrlError::TooLong);
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
        let what = match c {
            ' ' => "a space".to_string(),
            '\t' => "a tab".to_string(),
            '\n' | '\r' => "a line break".to_string(),
            c => format!("the character U+{:04X}", c as u32),
        };
        return Err(UrlError::Invisible(what));
    }
    let url = match ::url::Url::parse(s) {
        Ok(u) => u,
        Err(::url::ParseError::RelativeUrlWithoutBase) => {
            return Err(UrlError::Relative(shorten(s)));
        }
        Err(e) => return Err(UrlError::Invalid(e.to_string())),
    };
    match url.scheme() {
        "http" | "https" if url.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        "http" | "https" => Err(UrlError::Invalid("no host".into())),
        "mailto" if schemes == Schemes::WebOrMail => {
            if url.path().is_empty() {
                Err(UrlError::Invalid("`mailto:` without an address".into()))
            } else {
                Ok(())
            }
        }
        "mailto" => Err(UrlError::Mail),
        other => Err(UrlError::Scheme(other.to_string())),
    }
}

/// Whether [`check_url`] accepts `s`: the renderer's test before it writes a link.
pub fn is_web_url(s: &str) -> bool {
    check_url(s).is_ok()
}

/// Whether `s` is a path on this site (`/documents/x`, `/dossiers/d#a-1`): begins with
/// one `/`, and neither `//` nor `/\` (browsers read both as the start of another host),
/// without white space or control characters.
pub fn is_site_path(s: &str) -> bool {
    let b = s.as_bytes();
    b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/' | b'\\'))
        && s.len() <= MAX_URL_BYTES
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The addresses of a record's sources, with their field names (`sources[0].url`).
pub fn source_urls(p: &Provenance) -> impl Iterator<Item = (String, &str)> {
    p.sources
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((format!("sources[{i}].url"), s.url.as_deref()?)))
}

/// The addresses of a dossier's outside sites, with their field names
/// (`sections.a-i-1.references[2].url`, counting from 0).
/// Walks the sections with a stack of its own, so that a dossier nested deeper than the
/// limit (refused by another rule of `validate`) cannot exhaust the thread's stack here.
pub fn dossier_urls(d: &Dossier) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    let mut stack: Vec<&Section> = d.sections.iter().rev().collect();
    while let Some(s) = stack.pop() {
        stack.extend(s.children.iter().rev());
        for (i, r) in s.references.iter().enumerate() {
            if let Some(Target::External { url: Some(u), .. }) = &r.target {
                out.push((
                    format!("sections.{}.references[{i}].url", s.key),
                    u.as_str(),
                ));
            }
        }
    }
    out
}

/// Every address in the archive that [`check_url`] refuses, named by record and field:
/// part of [`Archive::validate`], so that the store refuses to write one.
pub fn url_errors(a: &Archive) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    let mut push = |record: &'static str, slug: &str, field: String, u: &str| {
        if let Err(e) = check_url(u) {
            errors.push(ValidationError {
                record,
                slug: slug.to_string(),
                field,
                problem: e.to_string(),
            });
        }
    };
    for d in &a.dossiers {
        for (field, u) in dossier_urls(d) {
            push("dossier", &d.slug, field, u);
        }
    }
    for (record, slug, p) in a.provenances() {
        for (field, u) in source_urls(p) {
            push(record, slug, field, u);
        }
    }
    for c in &a.collections {
        if let Some(u) = &c.url {
            push("collection", &c.slug, "url".into(), u);
        }
    }
    errors
}

/// Spellings of hostile addresses, for tests here and in the importers and renderer:
/// every way a browser still reads a script (or another site, or a file) out of them.
pub const HOSTILE_URLS: &[&str] = &[
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "\u{1}javascript:alert(1)",
    "java\nscript:alert(1)",
    "java\tscript:alert(1)",
    "java\rscript:alert(1)",
    "javascript:alert(1) ",
    "javascript://example.org/%0Aalert(1)",
    "\u{a0}javascript:alert(1)",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,x",
    "file:///etc/passwd",
    "//evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example\\x",
    "evil.example/x",
    "/relative/page.html",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "mailto:someone@example.org",
    "ftp://example.org/x",
    "blob:https://example.org/x",
    "about:blank",
    "http://",
    "https:",
    "",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_addresses_pass() {
        for u in [
            "https://www.nato.int/cps/en/natohq/official_texts_25468.htm",
            "http://example.org",
            "HTTPS://EXAMPLE.ORG/A?b=c#d",
            "https://example.org/a%20b",
            "https://xn--80ak6aa92e.xn--p1ai/",
            "https://пример.рф/путь",
            "https://[::1]:8080/x",
        ] {
            assert_eq!(check_url(u), Ok(()), "{u}");
        }
    }

    #[test]
    fn hostile_addresses_are_refused() {
        for u in HOSTILE_URLS {
            assert!(check_url(u).is_err(), "{u:?} was accepted");
        }
        let e = check_url("JaVaScRiPt:alert(1)").unwrap_err().to_string();
        assert!(e.contains("`javascript:`") && e.contains("script"), "{e}");
        let e = check_url("java\nscript:alert(1)").unwrap_err().to_string();
        assert!(e.contains("line break"), "{e}");
        let e = check_url("//evil.example").unwrap_err().to_string();
        assert!(e.contains("not an absolute address"), "{e}");
    }

    #[test]
    fn mailto_only_where_meant() {
        assert_eq!(check_url("mailto:a@example.org"), Err(UrlError::Mail));
        assert_eq!(check("mailto:a@example.org", Schemes::WebOrMail), Ok(()));
        assert!(check("mailto:", Schemes::WebOrMail).is_err());
        assert!(check("javascript:x", Schemes::WebOrMail).is_err());
    }

    #[test]
    fn site_paths() {
        assert!(is_site_path("/documents/x"));
        assert!(is_site_path("/dossiers/d#a-1"));
        for p in [
            "//evil.example",
            "/\\evil.example",
            "documents/x",
            "/a b",
            "",
        ] {
            assert!(!is_site_path(p), "{p:?}");
        }
    }

    #[test]
    fn validation_names_the_record_and_field() {
        let mut a = Archive::default();
        let json = serde_json::json!({
            "slug": "act", "title": "Act", "kind": "founding-act",
            "sources": [
                {"title": "ok", "url": "https://example.org"},
                {"title": "bad", "url": " JavaScript:alert(1)"}
            ]
        });
        a.documents.push(serde_json::from_value(json).unwrap());
        let errs = a.validate(&|_, _| true);
        assert_eq!(errs.len(), 1, "{errs:?}");
        let text = errs[0].to_string();
        assert!(
            text.starts_with("document `act`, field `sources[1].url`: "),
            "{text}"
        );
    }

    proptest::proptest! {
        /// Whatever is accepted parses as http(s) with a host, as a browser would read it.
        #[test]
        fn accepted_means_http_for_a_browser(s in "\\PC{0,40}", pre in "(java|JaVa|vb| |\t|/|//|https?:|data:)?") {
            let s = format!("{pre}{s}");
            if check_url(&s).is_ok() {
                let u = ::url::Url::parse(&s).unwrap();
                proptest::prop_assert!(matches!(u.scheme(), "http" | "https"));
                proptest::prop_assert!(u.host_str().is_some());
            }
        }
    }
}
