//! Browse pages (issue 27): the records of a type (`/documents`, `/bodies`, `/people`,
//! `/events`, `/topics`) or of a collection (`/collections/{slug}`), narrowed by the
//! search's facets, in title or date order, a page at a time; the list of dossiers and
//! the list of collections. The records come from the search index (its facets, filters
//! and orders); the lists of dossiers and collections from the store.
//!
//! Every address a page links to is built here from the parameters in one fixed order,
//! so that the same page always has the same URL (a stable URL to cite and to cache).

use super::search::{hit_view, FacetLabels, SearchHitView};
use super::{web_url, Result};
use dossier_model::is_valid_slug;
use dossier_search::query::Filter;
use dossier_search::{BrowseRequest, BrowseSort, FacetCount, Facets, SearchIndex};
use dossier_store::Store;
use serde::{Deserialize, Serialize};

/// The most records one page lists.
pub const MAX_PER_PAGE: usize = 100;
/// How many records a page lists unless `per_page` says otherwise.
pub const DEFAULT_PER_PAGE: usize = 25;
/// The last page that can be asked for (beyond it tantivy would collect too much).
pub const MAX_PAGE: usize = 10_000;

/// What a browse page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browse {
    Documents,
    Bodies,
    People,
    Events,
    Topics,
}

impl Browse {
    /// Every record type with a browse page, in the order the site names them.
    pub const ALL: [Browse; 5] = [
        Browse::Documents,
        Browse::Bodies,
        Browse::People,
        Browse::Events,
        Browse::Topics,
    ];

    /// The page's path (`/documents`).
    pub fn path(self) -> &'static str {
        match self {
            Browse::Documents => "/documents",
            Browse::Bodies => "/bodies",
            Browse::People => "/people",
            Browse::Events => "/events",
            Browse::Topics => "/topics",
        }
    }

    /// The index's record type (`document`).
    pub fn record(self) -> &'static str {
        match self {
            Browse::Documents => "document",
            Browse::Bodies => "body",
            Browse::People => "person",
            Browse::Events => "event",
            Browse::Topics => "topic",
        }
    }

    /// The page's heading.
    pub fn title(self) -> &'static str {
        match self {
            Browse::Documents => "Documents",
            Browse::Bodies => "Bodies",
            Browse::People => "People",
            Browse::Events => "Events",
            Browse::Topics => "Topics",
        }
    }

    /// Whether the page offers the A–Z letters (lists of names).
    fn has_letters(self) -> bool {
        matches!(self, Browse::Bodies | Browse::People)
    }
}

/// A browse page's query string as sent (`?kind=treaty&year=1997&sort=date&page=2`);
/// [`BrowseParams::check`] reads it or says what is wrong.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BrowseQuery {
    pub q: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
    pub per_page: Option<String>,
    #[serde(rename = "type")]
    pub record_type: Option<String>,
    pub kind: Option<String>,
    pub decade: Option<String>,
    pub year: Option<String>,
    pub body: Option<String>,
    pub person: Option<String>,
    pub dossier: Option<String>,
    pub collection: Option<String>,
    pub lang: Option<String>,
    pub letter: Option<String>,
}

/// The facets a browse page filters by, in the order they appear in its URLs.
const FACETS: [&str; 10] = [
    "type",
    "kind",
    "decade",
    "year",
    "body",
    "person",
    "dossier",
    "collection",
    "lang",
    "letter",
];

/// A browse page's parameters, checked: each facet's value (in the order of [`FACETS`]),
/// the words, the order and the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrowseParams {
    pub q: String,
    pub sort: BrowseSort,
    pub page: usize,
    pub per_page: usize,
    /// `(facet, value)`, at most one per facet, in the order of [`FACETS`].
    pub facets: Vec<(&'static str, String)>,
}

/// Why a browse page's parameters are refused, for a person (a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadBrowse(pub String);

/// At most 60 characters of what was sent, for an error message.
fn quoted(v: &str) -> String {
    let mut s: String = v.chars().take(60).collect();
    if s.len() < v.len() {
        s.push('…');
    }
    s
}

impl BrowseParams {
    /// Reads and checks a query string: each value must be one its facet can have (a
    /// slug, a year, a decade such as `1990s`, a language tag, a letter), so that nothing
    /// unchecked reaches the index or the page.
    pub fn check(raw: &BrowseQuery) -> std::result::Result<Self, BadBrowse> {
        let number = |v: &Option<String>, name: &str, default: usize, max: usize| match v
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Ok(default),
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(BadBrowse(format!(
                    "`{name}` must be a whole number from 1 to {max}, not `{}`.",
                    quoted(s)
                ))),
            },
        };
        let sort = raw
            .sort
            .as_deref()
            .unwrap_or_default()
            .trim()
            .parse::<BrowseSort>()
            .map_err(BadBrowse)?;
        let q = raw.q.as_deref().unwrap_or_default().trim().to_string();
        if q.chars().count() > dossier_search::query::MAX_QUERY_CHARS {
            return Err(BadBrowse(format!(
                "`q` may have at most {} characters.",
                dossier_search::query::MAX_QUERY_CHARS
            )));
        }
        let mut facets = Vec::new();
        for name in FACETS {
            let value = match name {
                "type" => &raw.record_type,
                "kind" => &raw.kind,
                "decade" => &raw.decade,
                "year" => &raw.year,
                "body" => &raw.body,
                "person" => &raw.person,
                "dossier" => &raw.dossier,
                "collection" => &raw.collection,
                "lang" => &raw.lang,
                _ => &raw.letter,
            };
            let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
                continue;
            };
            let ok = match name {
                "type" => Browse::ALL.iter().any(|b| b.record() == v),
                "decade" => decade_start(v).is_some(),
                "year" => year_of(v).is_some(),
                "lang" => v.len() <= 8 && v.chars().all(|c| c.is_ascii_lowercase()),
                "letter" => v == "#" || (v.len() == 1 && v.chars().all(|c| c.is_ascii_uppercase())),
                _ => is_valid_slug(v),
            };
            if !ok {
                let what = match name {
                    "type" => "a record type (document, body, person, event or topic)",
                    "decade" => "a decade such as 1990s",
                    "year" => "a year such as 1997",
                    "lang" => "a language code such as fr",
                    "letter" => "a letter A to Z or #",
                    _ => "a slug (lowercase letters, digits and hyphens)",
                };
                return Err(BadBrowse(format!(
                    "`{name}` must be {what}, not `{}`.",
                    quoted(v)
                )));
            }
            facets.push((name, v.to_string()));
        }
        Ok(BrowseParams {
            q,
            sort,
            page: number(&raw.page, "page", 1, MAX_PAGE)?,
            per_page: number(&raw.per_page, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
            facets,
        })
    }

    fn get(&self, facet: &str) -> Option<&str> {
        self.facets
            .iter()
            .find(|(f, _)| *f == facet)
            .map(|(_, v)| v.as_str())
    }

    /// The address of this page with `facet` set to `value` (or cleared, `None`), back on
    /// its first page; parameters always in one order.
    fn with(&self, path: &str, facet: &str, value: Option<&str>) -> String {
        let mut facets: Vec<(&str, &str)> = self
            .facets
            .iter()
            .filter(|(f, _)| *f != facet)
            .map(|(f, v)| (*f, v.as_str()))
            .collect();
        if let Some(v) = value {
            facets.push((facet, v));
        }
        facets.sort_by_key(|(f, _)| FACETS.iter().position(|x| x == f));
        self.url(path, &facets, self.sort, 1)
    }

    /// The address of this page in another order or at another page.
    fn at(&self, path: &str, sort: BrowseSort, page: usize) -> String {
        let facets: Vec<(&str, &str)> = self.facets.iter().map(|(f, v)| (*f, v.as_str())).collect();
        self.url(path, &facets, sort, page)
    }

    fn url(&self, path: &str, facets: &[(&str, &str)], sort: BrowseSort, page: usize) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            query.append_pair("q", &self.q);
        }
        for (f, v) in facets {
            query.append_pair(f, v);
        }
        if sort != BrowseSort::Title {
            query.append_pair("sort", sort.as_str());
        }
        if self.per_page != DEFAULT_PER_PAGE {
            query.append_pair("per_page", &self.per_page.to_string());
        }
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        }
    }

    /// The index filters of the chosen facet values.
    fn filters(&self) -> Vec<Filter> {
        self.facets
            .iter()
            .filter_map(|(f, v)| {
                Some(match *f {
                    "type" => Filter::Type(v.clone()),
                    "kind" => Filter::Kind(v.clone()),
                    "decade" => {
                        let start = decade_start(v)? as i64;
                        Filter::Date {
                            from: start * 10_000 + 101,
                            to: (start + 9) * 10_000 + 1231,
                        }
                    }
                    "year" => {
                        let y = year_of(v)? as i64;
                        Filter::Date {
                            from: y * 10_000 + 101,
                            to: y * 10_000 + 1231,
                        }
                    }
                    "body" => Filter::Body(v.clone()),
                    "person" => Filter::Person(v.clone()),
                    "dossier" => Filter::Dossier(v.clone()),
                    "collection" => Filter::Collection(v.clone()),
                    "lang" => Filter::Lang(v.clone()),
                    _ => Filter::Letter(v.clone()),
                })
            })
            .collect()
    }
}

/// `1990s` → 1990.
fn decade_start(v: &str) -> Option<i32> {
    let digits = v.strip_suffix('s')?;
    let y = year_of(digits)?;
    (y % 10 == 0).then_some(y)
}

/// `1997` → 1997 (four digits).
fn year_of(v: &str) -> Option<i32> {
    (v.len() == 4 && v.chars().all(|c| c.is_ascii_digit()))
        .then(|| v.parse().ok())
        .flatten()
}

/// `/documents`, `/bodies`, `/people`, `/events`, `/topics`, `/collections/{slug}`: a
/// page of records with the facets that narrow them.
#[derive(Debug, Serialize)]
pub struct BrowseView {
    /// The page's heading.
    pub title: String,
    /// The page's own address, without parameters.
    pub path: String,
    /// The record type listed (`document`); `None` on a collection's page, which lists
    /// every type (its `type` facet narrows).
    pub record_type: Option<&'static str>,
    /// The collection a collection's page lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection: Option<CollectionInfo>,
    /// The words that narrow the list, as typed.
    pub q: String,
    pub sort: BrowseSort,
    /// The orders offered, each with its address.
    pub sorts: Vec<Choice>,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub pages: usize,
    /// This page's records.
    pub items: Vec<SearchHitView>,
    /// Each facet with values among the listed records: a value's address narrows to
    /// it, or, for the value chosen, clears it.
    pub facets: Vec<BrowseFacet>,
    /// The facets chosen, each with the address that clears it.
    pub chosen: Vec<Choice>,
    /// The letters A–Z and `#` of a list of names (bodies, people), each with its count
    /// and address; empty for other lists.
    pub letters: Vec<Choice>,
    /// The previous and next pages' addresses.
    pub prev: Option<String>,
    pub next: Option<String>,
    /// The first page's address with no facet chosen.
    pub clear: String,
}

/// A collection, as its page heads it.
#[derive(Debug, Serialize)]
pub struct CollectionInfo {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub source: Option<String>,
    /// The source's address, only if it is a web address.
    pub url: Option<String>,
}

/// A facet and its values.
#[derive(Debug, Serialize)]
pub struct BrowseFacet {
    pub name: &'static str,
    pub label: &'static str,
    pub values: Vec<Choice>,
}

/// A value to choose (a facet value, a letter, an order), with its count and address.
#[derive(Debug, Serialize)]
pub struct Choice {
    /// The facet a chosen value belongs to (`kind`), for the words form to keep it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facet: Option<&'static str>,
    pub value: String,
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Where choosing it leads; `None` for a letter no record files under.
    pub url: Option<String>,
    /// Whether it is the one chosen now.
    pub selected: bool,
}

/// A page of the records of a type.
pub fn browse(
    store: &dyn Store,
    index: &SearchIndex,
    what: Browse,
    params: &BrowseParams,
) -> Result<BrowseView> {
    let mut params = params.clone();
    // The page's own type; a `type=` in the address of a type's page is ignored.
    params.facets.retain(|(f, _)| *f != "type");
    let mut filters = vec![Filter::Type(what.record().into())];
    filters.extend(params.filters());
    build(
        store,
        index,
        &params,
        filters,
        what.path().to_string(),
        what.title().to_string(),
        Some(what.record()),
        None,
        what.has_letters(),
    )
}

/// A page of a collection's records; `None` if there is no such collection.
pub fn collection_page(
    store: &dyn Store,
    index: &SearchIndex,
    slug: &str,
    params: &BrowseParams,
) -> Result<Option<BrowseView>> {
    let Some(c) = store.collection(slug)? else {
        return Ok(None);
    };
    let mut params = params.clone();
    params.facets.retain(|(f, _)| *f != "collection");
    let mut filters = vec![Filter::Collection(c.slug.clone())];
    filters.extend(params.filters());
    let info = CollectionInfo {
        url: web_url(c.url.as_deref()),
        slug: c.slug,
        title: c.title,
        description: c.description,
        source: c.source,
    };
    build(
        store,
        index,
        &params,
        filters,
        format!("/collections/{}", info.slug),
        info.title.clone(),
        None,
        Some(info),
        false,
    )
    .map(Some)
}

#[allow(clippy::too_many_arguments)]
fn build(
    store: &dyn Store,
    index: &SearchIndex,
    params: &BrowseParams,
    filters: Vec<Filter>,
    path: String,
    title: String,
    record_type: Option<&'static str>,
    collection: Option<CollectionInfo>,
    letters: bool,
) -> Result<BrowseView> {
    let req = BrowseRequest {
        query: params.q.clone(),
        filters: filters.clone(),
        sort: params.sort,
        page: params.page,
        per_page: params.per_page,
    };
    // A malformed `q` is `PublishError::Search(SearchError::Query(…))`: the caller's 400.
    let results = index.browse(&req)?;
    // The letters count the list without its own letter chosen, so every letter with
    // records stays offered.
    let letter_counts = if !letters {
        vec![]
    } else if params.get("letter").is_none() {
        results.facets.letter.clone()
    } else {
        let without: Vec<Filter> = filters
            .into_iter()
            .filter(|f| !matches!(f, Filter::Letter(_)))
            .collect();
        let all = index.browse(&BrowseRequest {
            filters: without,
            page: 1,
            per_page: 1,
            ..req
        })?;
        all.facets.letter
    };
    let pages = results.total.div_ceil(params.per_page.max(1));
    let page = results.page;
    let facets = facet_groups(store, params, &path, results.facets, record_type.is_none())?;
    let chosen = params
        .facets
        .iter()
        .map(|(f, v)| Choice {
            facet: Some(f),
            value: v.clone(),
            label: format!("{}: {v}", facet_label(f)),
            count: None,
            url: Some(params.with(&path, f, None)),
            selected: true,
        })
        .collect();
    let letters = if letters {
        let mut all: Vec<String> = ('A'..='Z').map(|c| c.to_string()).collect();
        all.push("#".into());
        all.into_iter()
            .map(|l| {
                let count = letter_counts
                    .iter()
                    .find(|c| c.value == l)
                    .map_or(0, |c| c.count);
                let selected = params.get("letter") == Some(l.as_str());
                Choice {
                    facet: None,
                    url: (count > 0)
                        .then(|| params.with(&path, "letter", (!selected).then_some(l.as_str()))),
                    label: l.clone(),
                    value: l,
                    count: Some(count),
                    selected,
                }
            })
            .collect()
    } else {
        vec![]
    };
    let sorts = [BrowseSort::Title, BrowseSort::Date, BrowseSort::DateDesc]
        .into_iter()
        .map(|s| Choice {
            facet: None,
            value: s.as_str().to_string(),
            label: match s {
                BrowseSort::Title => "title",
                BrowseSort::Date => "earliest first",
                BrowseSort::DateDesc => "latest first",
            }
            .to_string(),
            count: None,
            url: Some(params.at(&path, s, 1)),
            selected: s == params.sort,
        })
        .collect();
    Ok(BrowseView {
        title,
        record_type,
        collection,
        q: params.q.clone(),
        sort: params.sort,
        sorts,
        total: results.total,
        page,
        per_page: params.per_page,
        pages,
        items: results.hits.into_iter().map(hit_view).collect(),
        facets,
        chosen,
        letters,
        prev: (page > 1).then(|| params.at(&path, params.sort, page - 1)),
        next: (page < pages).then(|| params.at(&path, params.sort, page + 1)),
        clear: path.clone(),
        path,
    })
}

fn facet_label(name: &str) -> &'static str {
    match name {
        "type" => "Record type",
        "kind" => "Kind",
        "decade" => "Decade",
        "year" => "Year",
        "body" => "Body",
        "person" => "Person",
        "dossier" => "Dossier",
        "collection" => "Collection",
        "lang" => "Language",
        _ => "Letter",
    }
}

/// The plural a record type is listed under.
pub fn type_label(record: &str) -> &'static str {
    match record {
        "document" => "Documents",
        "body" => "Bodies",
        "person" => "People",
        "event" => "Events",
        "topic" => "Topics",
        "section" => "Dossier sections",
        _ => "Other records",
    }
}

/// The facets with values, each value labelled and with its address.
fn facet_groups(
    store: &dyn Store,
    params: &BrowseParams,
    path: &str,
    f: Facets,
    with_type: bool,
) -> Result<Vec<BrowseFacet>> {
    let labels = FacetLabels::read(store, &f)?;
    let label = |facet: &str, v: &str| labels.label(facet, v);
    let groups: [(&'static str, &Vec<FacetCount>); 9] = [
        ("type", &f.record_type),
        ("kind", &f.kind),
        ("decade", &f.decade),
        ("year", &f.year),
        ("body", &f.body),
        ("person", &f.person),
        ("dossier", &f.dossier),
        ("collection", &f.collection),
        ("lang", &f.lang),
    ];
    let mut out = Vec::new();
    for (name, values) in groups {
        if values.is_empty() || (name == "type" && !with_type) {
            continue;
        }
        // A chosen collection is the page itself on a collection's page.
        if name == "collection" && path.starts_with("/collections/") {
            continue;
        }
        let values = values
            .iter()
            // Types the browse pages do not list (dossier sections) are not offered.
            .filter(|v| name != "type" || Browse::ALL.iter().any(|b| b.record() == v.value))
            .map(|v| {
                let selected = params.get(name) == Some(v.value.as_str());
                Choice {
                    facet: None,
                    label: label(name, &v.value),
                    count: Some(v.count),
                    url: Some(params.with(path, name, (!selected).then_some(v.value.as_str()))),
                    value: v.value.clone(),
                    selected,
                }
            })
            .collect::<Vec<_>>();
        if values.is_empty() {
            continue;
        }
        out.push(BrowseFacet {
            name,
            label: facet_label(name),
            values,
        });
    }
    Ok(out)
}

/// `/dossiers`: every dossier, with its counts.
#[derive(Debug, Serialize)]
pub struct DossierListView {
    pub total: usize,
    pub items: Vec<DossierItem>,
    /// None: the dossiers are few and listed whole (the key is there for the same
    /// JSON shape as the other browse pages).
    pub facets: Vec<BrowseFacet>,
}

/// A dossier in the list.
#[derive(Debug, Serialize)]
pub struct DossierItem {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub url: String,
    pub documents: usize,
    pub events: usize,
}

/// The list of dossiers, by title.
pub fn dossier_list(store: &dyn Store) -> Result<DossierListView> {
    let mut items: Vec<DossierItem> = store
        .dossiers()?
        .into_iter()
        .map(|d| DossierItem {
            url: format!("/dossiers/{}", d.slug),
            slug: d.slug,
            title: d.title,
            description: d.description,
            documents: d.documents,
            events: d.events,
        })
        .collect();
    items.sort_by(|a, b| {
        a.title
            .to_lowercase()
            .cmp(&b.title.to_lowercase())
            .then_with(|| a.slug.cmp(&b.slug))
    });
    Ok(DossierListView {
        total: items.len(),
        items,
        facets: vec![],
    })
}

/// `/collections`: every collection, with how many records it holds.
#[derive(Debug, Serialize)]
pub struct CollectionListView {
    pub total: usize,
    pub items: Vec<CollectionItem>,
    /// None (see [`DossierListView::facets`]).
    pub facets: Vec<BrowseFacet>,
}

/// A collection in the list.
#[derive(Debug, Serialize)]
pub struct CollectionItem {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub source: Option<String>,
    pub url: String,
    /// How many records it holds.
    pub count: usize,
}

/// The list of collections, by title.
pub fn collection_list(store: &dyn Store) -> Result<CollectionListView> {
    let mut items: Vec<CollectionItem> = store
        .collections()?
        .into_iter()
        .map(|(c, count)| CollectionItem {
            url: format!("/collections/{}", c.slug),
            slug: c.slug,
            title: c.title,
            description: c.description,
            source: c.source,
            count,
        })
        .collect();
    items.sort_by(|a, b| {
        a.title
            .to_lowercase()
            .cmp(&b.title.to_lowercase())
            .then_with(|| a.slug.cmp(&b.slug))
    });
    Ok(CollectionListView {
        total: items.len(),
        items,
        facets: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> BrowseQuery {
        let mut q = BrowseQuery::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "q" => q.q = v,
                "sort" => q.sort = v,
                "page" => q.page = v,
                "per_page" => q.per_page = v,
                "type" => q.record_type = v,
                "kind" => q.kind = v,
                "decade" => q.decade = v,
                "year" => q.year = v,
                "body" => q.body = v,
                "person" => q.person = v,
                "dossier" => q.dossier = v,
                "collection" => q.collection = v,
                "lang" => q.lang = v,
                "letter" => q.letter = v,
                _ => panic!("{k}"),
            }
        }
        q
    }

    #[test]
    fn addresses_are_stable_whatever_order_the_parameters_came_in() {
        let a = BrowseParams::check(&raw(&[("year", "1997"), ("kind", "treaty"), ("page", "3")]))
            .unwrap();
        let b = BrowseParams::check(&raw(&[("page", "3"), ("kind", "treaty"), ("year", "1997")]))
            .unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.at("/documents", a.sort, 2),
            "/documents?kind=treaty&year=1997&page=2"
        );
        assert_eq!(
            a.with("/documents", "body", Some("pjc")),
            "/documents?kind=treaty&year=1997&body=pjc",
            "a new facet goes back to page 1, in the fixed order"
        );
        assert_eq!(a.with("/documents", "kind", None), "/documents?year=1997");
        let q = BrowseParams::check(&raw(&[("q", "a&b=c #d"), ("sort", "date-desc")])).unwrap();
        assert_eq!(
            q.at("/people", q.sort, 1),
            "/people?q=a%26b%3Dc+%23d&sort=date-desc"
        );
        assert_eq!(
            q.filters(),
            Vec::<Filter>::new(),
            "words are the query, not a filter"
        );
        let d = BrowseParams::check(&raw(&[("decade", "1990s"), ("letter", "K")])).unwrap();
        assert_eq!(
            d.filters(),
            vec![
                Filter::Date {
                    from: 19900101,
                    to: 19991231
                },
                Filter::Letter("K".into())
            ]
        );
    }

    #[test]
    fn hostile_values_are_refused_with_their_reason() {
        for (k, v, why) in [
            ("kind", "<script>", "must be a slug"),
            ("body", "../../etc/passwd", "must be a slug"),
            ("collection", "a b", "must be a slug"),
            ("decade", "1995s", "a decade such as 1990s"),
            ("decade", "javascript:alert(1)", "a decade"),
            ("year", "97", "a year such as 1997"),
            ("lang", "fr\"><x", "a language code"),
            ("letter", "KK", "a letter A to Z or #"),
            ("letter", "k", "a letter"),
            ("type", "section", "a record type"),
            ("sort", "random", "`sort` is title, date or date-desc"),
            ("page", "0", "`page` must be a whole number from 1 to 10000"),
            ("page", "99999999999999999999999", "`page`"),
            ("per_page", "101", "from 1 to 100"),
        ] {
            let e = BrowseParams::check(&raw(&[(k, v)])).unwrap_err();
            assert!(e.0.contains(why), "{k}={v}: {e}");
        }
        let long = "x".repeat(100_000);
        let e = BrowseParams::check(&raw(&[("body", &long)])).unwrap_err();
        assert!(
            e.0.len() < 200,
            "a refusal quotes a bounded part: {}",
            e.0.len()
        );
        let e = BrowseParams::check(&raw(&[("q", &long)])).unwrap_err();
        assert!(e.0.contains("at most 1000 characters"), "{e}");
    }
}
