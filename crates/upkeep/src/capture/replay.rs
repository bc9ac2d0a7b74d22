//! A copy as replay serves it: its one record read from its WARC file in the store
//! ([`dossier_store::Captures::read_warc_range`]: every server on one PostgreSQL database
//! replays every copy), checked against its digest, and,
//! for a page or a stylesheet, rewritten so that it loads only other archived copies
//! ([`super::html`]). The server answers `/archive/{id}` with it; the static export writes
//! the same bytes as files.

use super::html::{rewrite_css, rewrite_html_with_head, Use};
use crate::warc::{self, WarcError};
use dossier_store::{Capture, Store, StoreError};
use sha2::{Digest, Sha256};
use url::Url;

/// Why a copy cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Warc(#[from] WarcError),
    #[error("this store keeps no archived copies")]
    NoCopies,
    #[error("the archived copy {id} does not match its digest (the WARC file was changed)")]
    Digest { id: i64 },
}

/// What a copy holds, as replay treats it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A page: rewritten, with the banner.
    Html,
    /// A stylesheet: its addresses rewritten.
    Css,
    /// Served as it is, with this media type and file extension (images, PDF, plain
    /// text, fonts).
    Plain(&'static str, &'static str),
    /// Anything else: a download, never shown by the browser.
    Other,
}

/// The media types served as they are, with the extension the static export gives them.
const PLAIN: [(&str, &str); 17] = [
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/pjpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    ("image/avif", "avif"),
    ("image/svg+xml", "svg"),
    ("image/x-icon", "ico"),
    ("image/vnd.microsoft.icon", "ico"),
    ("image/bmp", "bmp"),
    ("application/pdf", "pdf"),
    ("text/plain", "txt"),
    ("font/woff", "woff"),
    ("font/woff2", "woff2"),
    ("font/ttf", "ttf"),
    ("font/otf", "otf"),
    ("application/font-woff", "woff"),
];

/// The media type of a `Content-Type` value, lowercase, without parameters.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

pub fn kind(content_type: &str) -> Kind {
    let e = essence(content_type);
    match e.as_str() {
        "text/html" | "application/xhtml+xml" => Kind::Html,
        "text/css" => Kind::Css,
        _ => PLAIN
            .iter()
            .find(|(t, _)| *t == e)
            .map_or(Kind::Other, |(t, x)| Kind::Plain(t, x)),
    }
}

/// The site path of a copy: `/archive/{id}` for a page (and a redirect), which the
/// static export writes as `archive/{id}.html`; `/archive/{id}.{ext}` for anything else,
/// so that a file server gives it its type.
pub fn replay_path(c: &Capture) -> String {
    if (300..400).contains(&c.status) {
        return format!("/archive/{}", c.id);
    }
    match kind(&c.content_type) {
        Kind::Html => format!("/archive/{}", c.id),
        Kind::Css => format!("/archive/{}.css", c.id),
        Kind::Plain(_, ext) => format!("/archive/{}.{ext}", c.id),
        Kind::Other => format!("/archive/{}.bin", c.id),
    }
}

/// The copy's number in a replay path's last part (`12`, `12.png`); `None` for anything
/// else, traversal included.
pub fn id_of_path_part(part: &str) -> Option<i64> {
    let (id, ext) = part.split_once('.').unwrap_or((part, ""));
    let ok_ext = ext.len() <= 8 && ext.bytes().all(|b| b.is_ascii_alphanumeric());
    let ok_id = !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit());
    (ok_ext && ok_id).then(|| id.parse().ok()).flatten()
}

/// A copy, ready to send.
#[derive(Debug, Clone)]
pub enum Replayed {
    /// The copy's bytes (rewritten where it is a page or a stylesheet).
    Copy {
        capture: Capture,
        /// The media type to send (with the original's charset for text).
        content_type: String,
        /// Not shown by the browser: sent as a download.
        attachment: bool,
        body: Vec<u8>,
    },
    /// The address answered with a redirect when captured: the copy of its target, or
    /// `None` if the target was not kept (the page says so).
    Redirect {
        capture: Capture,
        target: String,
        to: Option<String>,
    },
}

/// The copy `id` as replay serves it, or `None` if there is no such copy. `link` gives
/// the address another copy is reached at from this one (the site path on the server, a
/// relative file in the static export).
pub fn replay(
    store: &dyn Store,
    id: i64,
    link: &dyn Fn(&Capture) -> String,
) -> Result<Option<Replayed>, ReplayError> {
    replay_with_head(store, id, link, "")
}

/// The policy a copy written as a file carries in a `<meta>` (the static export has no
/// headers; a `<meta>` policy cannot sandbox, so the rewriter's removal of scripts is
/// what keeps it inert, and this what keeps it from reaching out).
pub const META_CSP: &str = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; font-src 'self'; form-action 'none'\">";

/// [`replay`], with `head` first in a page's `<head>` ([`META_CSP`] for the export).
pub fn replay_with_head(
    store: &dyn Store,
    id: i64,
    link: &dyn Fn(&Capture) -> String,
    head: &str,
) -> Result<Option<Replayed>, ReplayError> {
    let copies = store.captures().ok_or(ReplayError::NoCopies)?;
    let Some(capture) = copies.capture(id)? else {
        return Ok(None);
    };
    let archived = warc::read_response(copies, &capture.warc_file, capture.offset, capture.length)?;
    if warc::hex(&Sha256::digest(&archived.body)) != capture.sha256 {
        return Err(ReplayError::Digest { id });
    }
    let base = Url::parse(&capture.url).ok();
    if (300..400).contains(&capture.status) {
        let target = archived
            .header("location")
            .and_then(|l| base.as_ref().and_then(|b| super::html::resolve(b, l)))
            .map(|u| u.to_string())
            .unwrap_or_default();
        let to = match target.is_empty() {
            true => None,
            false => copies
                .capture_for(&capture.page, &target, capture.captured_at)?
                .map(|c| link(&c)),
        };
        return Ok(Some(Replayed::Redirect {
            capture,
            target,
            to,
        }));
    }
    // Other copies this one names: those kept with the same capture of the page, and for
    // links, the newest copy of the linked page.
    let mut map = |u: &Url, use_: Use| -> Option<String> {
        let found = match use_ {
            Use::Resource => copies
                .capture_for(&capture.page, u.as_str(), capture.captured_at)
                .ok()
                .flatten(),
            Use::Link => copies
                .latest_captures(&[u.as_str()])
                .ok()
                .and_then(|v| v.into_iter().next()),
        };
        found.map(|c| link(&c))
    };
    let charset = charset(&capture.content_type);
    let (content_type, attachment, body) = match (kind(&capture.content_type), &base) {
        (Kind::Html, Some(base)) => (
            format!("text/html{charset}"),
            false,
            rewrite_html_with_head(&archived.body, base, head, &banner(&capture), &mut map),
        ),
        (Kind::Css, Some(base)) => (
            format!("text/css{charset}"),
            false,
            rewrite_css(&String::from_utf8_lossy(&archived.body), base, &mut map).into_bytes(),
        ),
        (Kind::Plain("text/plain", _), _) => (format!("text/plain{charset}"), false, archived.body),
        (Kind::Plain(t, _), _) => (t.to_string(), false, archived.body),
        _ => ("application/octet-stream".to_string(), true, archived.body),
    };
    Ok(Some(Replayed::Copy {
        capture,
        content_type,
        attachment,
        body,
    }))
}

/// `; charset=…` from a `Content-Type`, if it names a plain charset.
fn charset(content_type: &str) -> String {
    content_type
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 40
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        })
        .map(|v| format!("; charset={v}"))
        .unwrap_or_default()
}

/// "5 Dec 2026" (UTC).
pub fn capture_day(secs: i64) -> String {
    let (y, m, d, ..) = warc::civil(secs);
    format!("{d} {} {y}", MONTHS[(m - 1) as usize])
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "1 Dec 2026 at 10:40 UTC".
pub fn capture_time(secs: i64) -> String {
    let (y, m, d, h, mi, _) = warc::civil(secs);
    format!("{d} {} {y} at {h:02}:{mi:02} UTC", MONTHS[(m - 1) as usize])
}

/// The line above a replayed page: what it is, when it was taken, and the live address
/// (a link the reader may choose to follow; nothing loads from it).
pub fn banner(c: &Capture) -> String {
    let mut url = String::new();
    // Writing to a String cannot fail.
    let _ = dossier_model::html::write_escaped(&mut url, &c.url);
    format!(
        "<div role=\"note\" style=\"all:initial;display:block;font:14px/1.4 system-ui,sans-serif;\
         background:#fff8d6;color:#222;border-bottom:2px solid #b08800;padding:.5em 1em;\">\
         <strong style=\"font-weight:bold\">Archived copy</strong> of <span style=\"word-break:break-all\">{url}</span>, \
         captured {}. Kept by this archive; scripts and outside requests are switched off. \
         <a style=\"color:#0645ad;text-decoration:underline\" href=\"{url}\" rel=\"external noopener noreferrer\">The live page</a> \
         may have changed or gone.</div>",
        capture_time(c.captured_at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_paths_and_their_ids() {
        let mut c = Capture {
            id: 12,
            page: "https://a.example/".into(),
            url: "https://a.example/".into(),
            captured_at: 0,
            warc_file: "x.warc.gz".into(),
            offset: 0,
            length: 1,
            status: 200,
            content_type: "text/html; charset=utf-8".into(),
            sha256: "0".repeat(64),
        };
        assert_eq!(replay_path(&c), "/archive/12");
        c.content_type = "IMAGE/PNG".into();
        assert_eq!(replay_path(&c), "/archive/12.png");
        c.content_type = "application/x-msdownload".into();
        assert_eq!(replay_path(&c), "/archive/12.bin");
        c.status = 301;
        assert_eq!(replay_path(&c), "/archive/12");
        assert_eq!(id_of_path_part("12"), Some(12));
        assert_eq!(id_of_path_part("12.png"), Some(12));
        for bad in [
            "..",
            "../12",
            "12/../../etc",
            "1e3",
            "-1",
            "",
            "12.p/g",
            "99999999999999999999",
        ] {
            assert_eq!(id_of_path_part(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_plain_charsets_pass() {
        assert_eq!(
            charset("text/html; charset=\"ISO-8859-1\""),
            "; charset=ISO-8859-1"
        );
        assert_eq!(charset("text/html; charset=a\r\nX: y"), "");
        assert_eq!(charset("text/html"), "");
    }

    #[test]
    fn the_banner_escapes_the_address() {
        let c = Capture {
            id: 1,
            page: String::new(),
            url: "https://a.example/\"><script>alert(1)</script>".into(),
            captured_at: 1_796_469_600,
            warc_file: String::new(),
            offset: 0,
            length: 1,
            status: 200,
            content_type: String::new(),
            sha256: String::new(),
        };
        let b = banner(&c);
        assert!(!b.contains("<script>"), "{b}");
        assert!(b.contains("5 Dec 2026 at 11:20 UTC"), "{b}");
        assert_eq!(capture_day(1_796_469_600), "5 Dec 2026");
    }
}
