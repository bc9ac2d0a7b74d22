//! Discovery: Atom feeds (RFC 4287) of documents added and changed, for the whole archive
//! and per dossier; the sitemap (sitemaps.org 0.9); `robots.txt`.
//!
//! All three name pages by absolute address, through [`Site::page_url`], so the static
//! export writes the same documents with its `.html` addresses.

use crate::site::Site;
use crate::views::url_of;
use crate::xml::XmlWriter;
use crate::PublishError;
use dossier_store::{DocumentQuery, EventQuery, RecordType, Stamps, Store};

/// Entries in a feed: the most recently changed documents.
pub const FEED_ENTRIES: usize = 50;
/// The most addresses one sitemap file may hold (sitemaps.org).
pub const SITEMAP_LIMIT: usize = 50_000;

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const EPOCH: &str = "1970-01-01T00:00:00Z";

/// The site path of a feed: `/feed.atom`, or `/dossiers/{slug}/feed.atom`.
pub fn feed_path(dossier: Option<&str>) -> String {
    match dossier {
        Some(d) => format!("/dossiers/{d}/feed.atom"),
        None => "/feed.atom".into(),
    }
}

/// The Atom feed of documents added and changed, newest first: the archive's, or one
/// dossier's (`None` if there is no such dossier).
pub fn atom(
    store: &dyn Store,
    site: &Site,
    dossier: Option<&str>,
) -> Result<Option<String>, PublishError> {
    let (title, alternate, mut updated) = match dossier {
        Some(slug) => {
            let Some(d) = store.dossier(slug)? else {
                return Ok(None);
            };
            let stamps = store.stamps(RecordType::Dossier, slug)?;
            (
                format!("{}: documents added and changed", d.title),
                site.page_url(&url_of(RecordType::Dossier, slug)),
                stamps.map(|s| s.changed).unwrap_or_else(|| EPOCH.into()),
            )
        }
        None => (
            format!("{}: documents added and changed", site.name),
            site.page_url("/"),
            EPOCH.to_string(),
        ),
    };
    let docs = store.documents(&DocumentQuery {
        dossier: dossier.map(str::to_string),
        ..Default::default()
    })?;
    let mut entries: Vec<(Stamps, dossier_model::Document)> = Vec::with_capacity(docs.len());
    for d in docs {
        let stamps = store
            .stamps(RecordType::Document, &d.slug)?
            .unwrap_or(Stamps {
                created: EPOCH.into(),
                changed: EPOCH.into(),
            });
        entries.push((stamps, d));
    }
    // Newest change first; the slug breaks ties so that the order is stable.
    entries.sort_by(|(a, x), (b, y)| b.changed.cmp(&a.changed).then(x.slug.cmp(&y.slug)));
    entries.truncate(FEED_ENTRIES);
    if let Some((s, _)) = entries.first() {
        if s.changed > updated {
            updated.clone_from(&s.changed);
        }
    }

    let self_url = site.url(&feed_path(dossier));
    let mut x = XmlWriter::new();
    x.start("feed", &[("xmlns", ATOM_NS), ("xml:lang", "en")]);
    x.element("id", &[], &self_url);
    x.element("title", &[], &title);
    x.element("updated", &[], &updated);
    x.empty(
        "link",
        &[
            ("rel", "self"),
            ("type", "application/atom+xml"),
            ("href", &self_url),
        ],
    );
    x.empty(
        "link",
        &[
            ("rel", "alternate"),
            ("type", "text/html"),
            ("href", &alternate),
        ],
    );
    x.start("author", &[]);
    x.element("name", &[], &site.name);
    x.end("author");
    x.element("generator", &[], "dossier");
    for (stamps, d) in &entries {
        let url = site.page_url(&url_of(RecordType::Document, &d.slug));
        x.start("entry", &[]);
        x.element("id", &[], &url);
        x.element("title", &[], &d.title);
        x.element("published", &[], &stamps.created);
        x.element("updated", &[], &stamps.changed);
        x.empty(
            "link",
            &[("rel", "alternate"), ("type", "text/html"), ("href", &url)],
        );
        x.empty(
            "category",
            &[("term", d.kind.slug()), ("label", d.kind.label())],
        );
        let change = if stamps.created == stamps.changed {
            "added"
        } else {
            "changed"
        };
        x.empty(
            "category",
            &[
                ("term", change),
                ("scheme", &site.url("/feed.atom#change")),
                ("label", change),
            ],
        );
        let mut summary = d.kind.label().to_string();
        if let Some(date) = &d.date {
            summary.push_str(", ");
            summary.push_str(&date.human());
        }
        summary.push('.');
        if let Some(s) = &d.summary {
            summary.push(' ');
            summary.push_str(s);
        }
        x.element("summary", &[("type", "text")], &summary);
        x.end("entry");
    }
    x.end("feed");
    Ok(Some(x.finish()))
}

/// Every page of the site with the day it last changed, in a stable order: home,
/// dossiers (outline, chronology), documents, bodies, people, events, topics.
pub fn pages(store: &dyn Store) -> Result<Vec<(String, Option<String>)>, PublishError> {
    let day = |s: Option<Stamps>| s.map(|s| s.changed.chars().take(10).collect::<String>());
    let mut out: Vec<(String, Option<String>)> = vec![("/".into(), None)];
    for d in store.dossiers()? {
        let changed = day(store.stamps(RecordType::Dossier, &d.slug)?);
        out.push((url_of(RecordType::Dossier, &d.slug), changed.clone()));
        out.push((format!("/dossiers/{}/chronology", d.slug), changed));
    }
    let mut push = |ty: RecordType, slugs: Vec<String>| -> Result<(), PublishError> {
        for s in slugs {
            out.push((url_of(ty, &s), day(store.stamps(ty, &s)?)));
        }
        Ok(())
    };
    push(
        RecordType::Document,
        store
            .documents(&DocumentQuery::default())?
            .into_iter()
            .map(|d| d.slug)
            .collect(),
    )?;
    push(
        RecordType::Body,
        store.bodies(None)?.into_iter().map(|b| b.slug).collect(),
    )?;
    push(
        RecordType::Person,
        store.people(None)?.into_iter().map(|p| p.slug).collect(),
    )?;
    push(
        RecordType::Event,
        store
            .events(&EventQuery::default())?
            .into_iter()
            .map(|e| e.slug)
            .collect(),
    )?;
    push(
        RecordType::Topic,
        store.topics(None)?.into_iter().map(|t| t.slug).collect(),
    )?;
    Ok(out)
}

/// `sitemap.xml`. Refused (with a clear message) past the format's 50,000 addresses: a
/// sitemap index is not written yet.
pub fn sitemap(store: &dyn Store, site: &Site) -> Result<String, PublishError> {
    let pages = pages(store)?;
    if pages.len() > SITEMAP_LIMIT {
        return Err(PublishError::Config(format!(
            "the archive has {} pages; one sitemap holds at most {SITEMAP_LIMIT}, and sitemap \
             indexes are not written yet",
            pages.len()
        )));
    }
    let mut x = XmlWriter::new();
    x.start(
        "urlset",
        &[("xmlns", "http://www.sitemaps.org/schemas/sitemap/0.9")],
    );
    for (path, changed) in pages {
        x.start("url", &[]);
        x.element("loc", &[], &site.page_url(&path));
        if let Some(c) = changed {
            x.element("lastmod", &[], &c);
        }
        x.end("url");
    }
    x.end("urlset");
    Ok(x.finish())
}

/// `robots.txt`: everything may be crawled except the machine interfaces (the JSON API,
/// OAI-PMH), which have their own clients; the sitemap is named.
pub fn robots(site: &Site, machine_interfaces: bool) -> String {
    // Paths from the host's root, so that a site under a sub-path says its own.
    let path = |p: &str| {
        let url = site.url(p);
        let after_scheme = url
            .split_once("://")
            .map_or(url.as_str(), |x| x.1)
            .to_string();
        match after_scheme.find('/') {
            Some(i) => after_scheme[i..].to_string(),
            None => "/".into(),
        }
    };
    let mut s = format!("User-agent: *\nAllow: {}\n", path("/"));
    if machine_interfaces {
        s.push_str(&format!(
            "Disallow: {}\nDisallow: {}\n",
            path("/api/"),
            path("/oai")
        ));
    }
    s.push_str(&format!("\nSitemap: {}\n", site.url("/sitemap.xml")));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_under_a_sub_path() {
        let site = Site::new("https://example.org/archive/").unwrap();
        assert_eq!(
            robots(&site, true),
            "User-agent: *\nAllow: /archive/\nDisallow: /archive/api/\nDisallow: /archive/oai\n\n\
             Sitemap: https://example.org/archive/sitemap.xml\n"
        );
    }
}
