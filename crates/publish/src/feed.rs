//! Discovery: Atom feeds (RFC 4287) of documents added and changed, for the whole archive
//! and per dossier; the sitemap (sitemaps.org 0.9); `robots.txt`.
//!
//! All three name pages by absolute address, through [`Site::page_url`], so the static
//! export writes the same documents with its `.html` addresses.

use crate::site::Site;
use crate::views::url_of;
use crate::xml::XmlWriter;
use crate::PublishError;
use dossier_model::RecordType;
use dossier_store::{DocumentQuery, EventQuery, Stamps, Store};

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

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// `/sitemap.xml` with the protocol's limit of [`SITEMAP_LIMIT`] addresses a file.
pub fn sitemap(store: &dyn Store, site: &Site) -> Result<String, PublishError> {
    sitemap_with_limit(store, site, SITEMAP_LIMIT)
}

/// `/sitemap.xml`: every page (a `urlset`) while they fit in one file of `limit`
/// addresses; beyond that a sitemap index (`sitemapindex`) that names `/sitemap-1.xml`,
/// `/sitemap-2.xml`… (see [`sitemap_part`]), each with at most `limit` pages, in the
/// order of [`pages`]. The parts sit beside the index at the site's root, as the
/// protocol wants: a sitemap may only list addresses under its own folder.
pub fn sitemap_with_limit(
    store: &dyn Store,
    site: &Site,
    limit: usize,
) -> Result<String, PublishError> {
    let pages = pages(store)?;
    Ok(if pages.len() <= limit {
        urlset(site, &pages)
    } else {
        sitemap_index(site, &pages, limit)
    })
}

/// `/sitemap-{n}.xml` (from 1) of a sitemap cut into files of `limit` pages; `None` when
/// there is no such part (also when every page fits in `/sitemap.xml` itself).
pub fn sitemap_part(
    store: &dyn Store,
    site: &Site,
    n: usize,
    limit: usize,
) -> Result<Option<String>, PublishError> {
    let pages = pages(store)?;
    if pages.len() <= limit || n == 0 {
        return Ok(None);
    }
    Ok(pages
        .chunks(limit.max(1))
        .nth(n - 1)
        .map(|c| urlset(site, c)))
}

/// Every sitemap file, as (file name, XML): `sitemap.xml`, and `sitemap-{n}.xml` when it
/// is an index. For the static export, which writes them all.
pub fn sitemap_files(
    store: &dyn Store,
    site: &Site,
    limit: usize,
) -> Result<Vec<(String, String)>, PublishError> {
    let pages = pages(store)?;
    if pages.len() <= limit {
        return Ok(vec![("sitemap.xml".into(), urlset(site, &pages))]);
    }
    let mut out = vec![("sitemap.xml".into(), sitemap_index(site, &pages, limit))];
    for (i, chunk) in pages.chunks(limit.max(1)).enumerate() {
        out.push((sitemap_part_name(i + 1), urlset(site, chunk)));
    }
    Ok(out)
}

/// `sitemap-{n}.xml`.
pub fn sitemap_part_name(n: usize) -> String {
    format!("sitemap-{n}.xml")
}

/// The part number of a file name `sitemap-{n}.xml` (`n` from 1, written without leading
/// zeros, so that each part has one address).
pub fn parse_sitemap_part_name(name: &str) -> Option<usize> {
    let n = name.strip_prefix("sitemap-")?.strip_suffix(".xml")?;
    if n.is_empty() || n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) || n.len() > 9 {
        return None;
    }
    n.parse().ok()
}

fn urlset(site: &Site, pages: &[(String, Option<String>)]) -> String {
    let mut x = XmlWriter::new();
    x.start("urlset", &[("xmlns", SITEMAP_NS)]);
    for (path, changed) in pages {
        x.start("url", &[]);
        x.element("loc", &[], &site.page_url(path));
        if let Some(c) = changed {
            x.element("lastmod", &[], c);
        }
        x.end("url");
    }
    x.end("urlset");
    x.finish()
}

fn sitemap_index(site: &Site, pages: &[(String, Option<String>)], limit: usize) -> String {
    let mut x = XmlWriter::new();
    x.start("sitemapindex", &[("xmlns", SITEMAP_NS)]);
    for (i, chunk) in pages.chunks(limit.max(1)).enumerate() {
        x.start("sitemap", &[]);
        x.element(
            "loc",
            &[],
            &site.url(&format!("/{}", sitemap_part_name(i + 1))),
        );
        // The part changed when its latest page did (days compare as text).
        if let Some(latest) = chunk.iter().filter_map(|(_, c)| c.as_deref()).max() {
            x.element("lastmod", &[], latest);
        }
        x.end("sitemap");
    }
    x.end("sitemapindex");
    x.finish()
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

    /// The root element's name and the text of every `loc` in a sitemap file (read with
    /// quick-xml, which refuses anything not well-formed), checking the structure on the
    /// way: `urlset` > `url` > `loc` (+ `lastmod`), or `sitemapindex` > `sitemap` > `loc`.
    fn read(xml: &str) -> (String, Vec<String>) {
        use quick_xml::events::Event;
        let mut r = quick_xml::Reader::from_str(xml);
        r.config_mut().check_end_names = true;
        let mut path: Vec<String> = Vec::new();
        let mut root = String::new();
        let mut locs = Vec::new();
        loop {
            match r.read_event().unwrap() {
                Event::Start(e) => {
                    let name = e.name().as_ref().to_string();
                    if path.is_empty() {
                        root = name.clone();
                        let ns = e.try_get_attribute("xmlns").unwrap().unwrap();
                        assert_eq!(&*ns.value, SITEMAP_NS);
                    }
                    path.push(name);
                    let p = path.join("/");
                    assert!(
                        [
                            "urlset",
                            "urlset/url",
                            "urlset/url/loc",
                            "urlset/url/lastmod",
                            "sitemapindex",
                            "sitemapindex/sitemap",
                            "sitemapindex/sitemap/loc",
                            "sitemapindex/sitemap/lastmod",
                        ]
                        .contains(&p.as_str()),
                        "unexpected element {p}"
                    );
                }
                Event::End(_) => {
                    path.pop();
                }
                Event::Text(t) if path.last().is_some_and(|n| n == "loc") => {
                    locs.push(t.xml10_content().into_owned());
                }
                Event::Eof => break,
                _ => {}
            }
        }
        (root, locs)
    }

    fn builtin() -> dossier_store::SqliteStore {
        let store = dossier_store::SqliteStore::in_memory().unwrap();
        store
            .write(&dossier_ingest::builtin::archive().unwrap())
            .unwrap();
        store
    }

    #[test]
    fn a_sitemap_past_its_limit_becomes_an_index_of_parts() {
        let store = builtin();
        let site = Site::new("https://example.org/archive/").unwrap();
        let all: Vec<String> = pages(&store)
            .unwrap()
            .into_iter()
            .map(|(p, _)| site.page_url(&p))
            .collect();
        assert!(all.len() > 30, "{}", all.len());

        // Within the limit: one urlset, as before.
        let (root, locs) = read(&sitemap_with_limit(&store, &site, all.len()).unwrap());
        assert_eq!(root, "urlset");
        assert_eq!(locs, all);
        assert!(sitemap_part(&store, &site, 1, all.len()).unwrap().is_none());
        assert_eq!(sitemap_files(&store, &site, all.len()).unwrap().len(), 1);

        // Past it: an index of parts of at most 10, which together are every page.
        let limit = 10;
        let parts = all.len().div_ceil(limit);
        let (root, locs) = read(&sitemap_with_limit(&store, &site, limit).unwrap());
        assert_eq!(root, "sitemapindex");
        let names: Vec<String> = (1..=parts)
            .map(|n| format!("https://example.org/archive/sitemap-{n}.xml"))
            .collect();
        assert_eq!(locs, names);
        let mut seen = Vec::new();
        for n in 1..=parts {
            let (root, locs) = read(&sitemap_part(&store, &site, n, limit).unwrap().unwrap());
            assert_eq!(root, "urlset");
            assert!(!locs.is_empty() && locs.len() <= limit);
            seen.extend(locs);
        }
        assert_eq!(
            seen, all,
            "the parts together list every page once, in order"
        );
        assert!(sitemap_part(&store, &site, parts + 1, limit)
            .unwrap()
            .is_none());
        assert!(sitemap_part(&store, &site, 0, limit).unwrap().is_none());

        // The static export's files are the same documents.
        let files = sitemap_files(&store, &site, limit).unwrap();
        assert_eq!(files.len(), parts + 1);
        assert_eq!(files[0].0, "sitemap.xml");
        assert_eq!(
            files[0].1,
            sitemap_with_limit(&store, &site, limit).unwrap()
        );
        for (n, (name, xml)) in files.iter().enumerate().skip(1) {
            assert_eq!(name, &format!("sitemap-{n}.xml"));
            assert_eq!(
                Some(xml.clone()),
                sitemap_part(&store, &site, n, limit).unwrap()
            );
        }
    }

    #[test]
    fn sitemap_part_names() {
        assert_eq!(parse_sitemap_part_name("sitemap-1.xml"), Some(1));
        assert_eq!(parse_sitemap_part_name("sitemap-120.xml"), Some(120));
        for bad in [
            "sitemap-0.xml",
            "sitemap-01.xml",
            "sitemap-.xml",
            "sitemap-1.xml.gz",
            "sitemap-x.xml",
            "sitemap-+1.xml",
            "sitemap-99999999999999999999.xml",
            "sitemap.xml",
        ] {
            assert_eq!(parse_sitemap_part_name(bad), None, "{bad}");
        }
        assert_eq!(parse_sitemap_part_name(&sitemap_part_name(7)), Some(7));
    }

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
