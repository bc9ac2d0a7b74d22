//! The old address of a merged record answers `301 Moved Permanently` to the survivor's
//! (issue 28), on every route of the record: its page and the pages under it
//! (`/bodies/{slug}/timeline`, `/bodies/{slug}/relations.svg`, `/people/{slug}/history`,
//! `/bodies/{slug}.eac.xml`…), the JSON API's (`/api/v1/people/{slug}`) and the citation
//! files (`/citations/{slug}.bib`).
//!
//! One layer does it for all of them, so a route added later follows without a line here:
//! it acts only on a `404` to a `GET` or `HEAD` whose path names a record, and only then
//! asks the store (`Store::redirect`), so the answers the site gives today cost nothing
//! more. The `Location` is the same path and query with the slug replaced, relative to the
//! site, always starting with the record's own prefix (`/bodies/`): it can never point at
//! another host. The redirect is not kept by browsers without asking again
//! (`Cache-Control: no-cache`), because a merge can be undone.

use crate::error::HttpError;
use crate::routes::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use dossier_model::{is_valid_slug, RecordType};

/// The path prefixes under which a record's slug is the next segment: the site's pages,
/// then the API's.
const PREFIXES: [(&str, RecordType); 12] = [
    ("/documents/", RecordType::Document),
    ("/bodies/", RecordType::Body),
    ("/people/", RecordType::Person),
    ("/events/", RecordType::Event),
    ("/topics/", RecordType::Topic),
    ("/dossiers/", RecordType::Dossier),
    ("/api/v1/documents/", RecordType::Document),
    ("/api/v1/bodies/", RecordType::Body),
    ("/api/v1/people/", RecordType::Person),
    ("/api/v1/events/", RecordType::Event),
    ("/api/v1/topics/", RecordType::Topic),
    ("/api/v1/dossiers/", RecordType::Dossier),
];

/// A document's citation files: `/citations/{slug}.{ext}`.
const CITATIONS: &str = "/citations/";

/// A request path that names a record: `prefix` + `slug` + `rest`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RecordPath<'a> {
    pub record: RecordType,
    prefix: &'a str,
    pub slug: &'a str,
    /// What follows the slug: nothing, `/…` (a page under the record) or `.…` (a file of
    /// it, `.eac.xml`, `.bib`).
    rest: &'a str,
}

impl<'a> RecordPath<'a> {
    /// The record a path names, if any. The slug must be one (lowercase letters, digits,
    /// hyphens: no dot, slash, percent sign or backslash), and what follows it may hold
    /// nothing a browser could read as a way elsewhere (a backslash, a control character,
    /// an empty, `.` or `..` segment); other paths are left alone.
    pub(crate) fn parse(path: &'a str) -> Option<RecordPath<'a>> {
        let (prefix, record, after) = PREFIXES
            .iter()
            .find_map(|(p, r)| path.strip_prefix(p).map(|after| (*p, *r, after)))
            .or_else(|| {
                path.strip_prefix(CITATIONS)
                    .map(|after| (CITATIONS, RecordType::Document, after))
            })?;
        let end = after.find(['/', '.']).unwrap_or(after.len());
        let (slug, rest) = after.split_at(end);
        if !is_valid_slug(slug) {
            return None;
        }
        // A citation file is always `{slug}.{ext}`.
        if prefix == CITATIONS && !rest.starts_with('.') {
            return None;
        }
        if rest
            .bytes()
            .any(|b| b == b'\\' || b.is_ascii_control() || !b.is_ascii())
        {
            return None;
        }
        // No empty, `.` or `..` segment after the slug: the survivor's address is the
        // same page, never a path that walks elsewhere.
        if rest.starts_with('/')
            && rest[1..]
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            return None;
        }
        Some(RecordPath {
            record,
            prefix,
            slug,
            rest,
        })
    }

    /// The same path with `slug` in place of the record's.
    pub(crate) fn with_slug(&self, slug: &str) -> String {
        format!("{}{slug}{}", self.prefix, self.rest)
    }
}

/// The layer: a `404` to a `GET` or `HEAD` of a merged-away record's path becomes a `301`
/// to the survivor's, with the same query string. The 404's other headers (CORS,
/// security headers, `Vary`) are kept; its body is dropped.
pub(crate) async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let asked = (request.method() == Method::GET || request.method() == Method::HEAD)
        .then(|| request.uri().clone());
    let response = next.run(request).await;
    let Some(uri) = asked else {
        return response;
    };
    if response.status() != StatusCode::NOT_FOUND {
        return response;
    }
    let Some(path) = RecordPath::parse(uri.path()) else {
        return response;
    };
    let (record, slug) = (path.record, path.slug.to_string());
    let found = state
        .blocking(move |store| {
            store
                .redirect(record, &slug)
                .map_err(|e| HttpError::Internal(Box::new(e)))
        })
        .await;
    let into = match found {
        Ok(Some(into)) if is_valid_slug(&into) && into != path.slug => into,
        Ok(_) => return response,
        Err(e) => {
            tracing::warn!(error = %e, path = uri.path(), "no answer from the store's redirects");
            return response;
        }
    };
    let mut location = path.with_slug(&into);
    if let Some(q) = uri.query() {
        location.push('?');
        location.push_str(q);
    }
    let Ok(location) = HeaderValue::from_str(&location) else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.status = StatusCode::MOVED_PERMANENTLY;
    for h in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
        header::ETAG,
        header::LAST_MODIFIED,
    ] {
        parts.headers.remove(h);
    }
    parts.headers.insert(header::LOCATION, location);
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Response::from_parts(parts, Body::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(path: &str, into: &str) -> Option<String> {
        RecordPath::parse(path).map(|p| p.with_slug(into))
    }

    #[test]
    fn record_paths_keep_everything_but_the_slug() {
        let cases = [
            ("/bodies/russia", "/bodies/russian-federation"),
            (
                "/bodies/russia/timeline",
                "/bodies/russian-federation/timeline",
            ),
            (
                "/bodies/russia/relations.svg",
                "/bodies/russian-federation/relations.svg",
            ),
            (
                "/bodies/russia.eac.xml",
                "/bodies/russian-federation.eac.xml",
            ),
            ("/api/v1/bodies/russia", "/api/v1/bodies/russian-federation"),
            (
                "/people/russia/history",
                "/people/russian-federation/history",
            ),
            ("/citations/russia.bib", "/citations/russian-federation.bib"),
        ];
        for (from, to) in cases {
            assert_eq!(
                moved(from, "russian-federation").as_deref(),
                Some(to),
                "{from}"
            );
        }
        let p = RecordPath::parse("/api/v1/people/a-b/x").unwrap();
        assert_eq!((p.record, p.slug), (RecordType::Person, "a-b"));
    }

    #[test]
    fn paths_that_name_no_record_are_left_alone() {
        for path in [
            "/",
            "/bodies",
            "/bodies/",
            "/bodies/Russia",
            "/bodies/russia%2F..",
            "/bodies//evil.example",
            "/bodies/.well-known",
            "/bodies/russia/\\evil.example",
            "/citations/russia",
            "/citations/",
            "/search",
            "/api/v1/search",
            "/api/v1/bodies",
            "/oai",
            "/bodiesx/russia",
            "/timemap/link/https://bodies/x",
        ] {
            assert_eq!(RecordPath::parse(path), None, "{path}");
        }
    }

    #[test]
    fn a_path_that_walks_elsewhere_is_left_alone() {
        for path in [
            "/bodies/a//evil.example",
            "/bodies/a/",
            "/bodies/a/..//evil.example",
            "/bodies/a/./x",
            "/api/v1/bodies/a/../../..//evil.example",
            "/bodies/a/x/%0d%0aSet-Cookie:x\u{7f}",
            "/bodies/a/\u{e9}",
        ] {
            assert_eq!(RecordPath::parse(path), None, "{path}");
        }
        // What is redirected always starts with its own prefix.
        for path in [
            "/bodies/a.eac.xml",
            "/citations/a.csl.json",
            "/api/v1/bodies/a",
        ] {
            let p = RecordPath::parse(path).unwrap();
            assert!(p.with_slug("b").starts_with(p.prefix), "{path}");
        }
    }
}
