//! `/api/v1/search`: the search page's query over the search index, paged by cursor.

use super::paging::{cursor_param, encode, encode_cursor, limit_param, Paged};
use super::params::{only, param};
use super::record::api_path;
use super::{ApiError, Params, Result};
use crate::site::Site;
use crate::views::{FacetGroupView, FacetValueView, SearchHitView};
use dossier_model::RecordType;
use dossier_store::Store;
use serde::Serialize;

/// Hits per page of `/api/v1/search` at most: the search index returns at most 100 hits
/// for one request, and the page of the API is one or two of those.
pub const MAX_SEARCH_LIMIT: usize = 100;

/// How deep `/api/v1/search` pages: hits past the first 10,000 of a query are not given
/// out (`total` still counts them). Ranking every hit to reach a deep offset costs memory
/// and time in proportion to the offset; a narrower query (or `/api/v1/documents` with
/// its filters, for a full listing) reaches them instead. Search engines cap deep paging
/// the same way (Elasticsearch's `max_result_window` is also 10,000).
pub const SEARCH_WINDOW: usize = 10_000;

/// `/api/v1/search`: one page of the hits of a query, with the facets and the spelling
/// suggestion that the search page shows. The hits are those of `/search?q=` (same index,
/// same query language, same order), with absolute addresses.
#[derive(Debug, Serialize)]
pub struct SearchPage {
    /// The query, as run.
    pub query: String,
    pub sort: dossier_search::Sort,
    pub items: Vec<ApiHit>,
    /// How many records match (all of them, also past [`SEARCH_WINDOW`]).
    pub total: usize,
    pub limit: usize,
    /// Pass as `cursor` for the next page; `null` on the last page (or at the window's end).
    pub next_cursor: Option<String>,
    /// Counts of the matching records by kind, decade, year, body, dossier and language;
    /// `null` when the request said `facets=false` (counting them is a pass over every
    /// match, most of a frequent word's cost in a large archive).
    pub facets: Option<Vec<ApiFacet>>,
    /// A corrected query when this one found nothing and a close spelling exists.
    pub suggestion: Option<String>,
}

impl Paged for SearchPage {
    fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }
}

/// One search hit: the search page's hit (its `url` made absolute: the record's HTML page,
/// for a section its place on the dossier's page), and the record in this API.
#[derive(Debug, Serialize)]
pub struct ApiHit {
    #[serde(flatten)]
    pub hit: SearchHitView,
    pub api_url: String,
}

/// A facet (`kind`, `decade`, `year`, `body`, `dossier` or `lang`) and its values.
pub type ApiFacet = FacetGroupView<ApiFacetValue>;

/// A facet value: the search page's (how many hits have it, and the query narrowed to
/// it), and that narrower search in this API.
#[derive(Debug, Serialize)]
pub struct ApiFacetValue {
    #[serde(flatten)]
    pub value: FacetValueView,
    pub api_url: String,
}

/// The page's hit with absolute addresses.
fn hit(site: &Site, mut hit: SearchHitView) -> ApiHit {
    hit.url = site.page_url(&hit.url);
    ApiHit {
        api_url: site.url(&hit_api_path(&hit.record, &hit.slug)),
        hit,
    }
}

/// The page's facet, each value with its search in this API.
fn facet(site: &Site, sort: dossier_search::Sort, group: FacetGroupView) -> ApiFacet {
    FacetGroupView {
        name: group.name,
        label: group.label,
        values: group
            .values
            .into_iter()
            .map(|value| ApiFacetValue {
                api_url: search_url(site, &value.query, sort),
                value,
            })
            .collect(),
    }
}

/// `facets`: `true` (the default) or `false`; anything else is refused, naming it.
fn facets_param(params: &Params) -> Result<bool> {
    match param(params, "facets")? {
        None | Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => {
            let other: String = other.chars().take(60).collect();
            Err(ApiError::BadRequest(format!(
                "`facets` is `true` or `false`, not `{other}`."
            )))
        }
    }
}

fn hit_api_path(record: &str, slug: &str) -> String {
    match (record, RecordType::parse(record)) {
        ("section", _) => match slug.split_once('#') {
            Some((dossier, key)) => format!("/api/v1/dossiers/{dossier}/sections/{key}"),
            None => format!("/api/v1/dossiers/{slug}"),
        },
        (_, Some(ty)) => api_path(ty, slug),
        // The index holds no other type; a link to the search itself is harmless.
        _ => "/api/v1/search".into(),
    }
}

fn search_url(site: &Site, query: &str, sort: dossier_search::Sort) -> String {
    let mut s = format!("/api/v1/search?q={}", encode(query));
    if sort != dossier_search::Sort::Relevance {
        s.push_str(&format!("&sort={sort}"));
    }
    site.url(&s)
}

/// Runs `/api/v1/search`: `q` (required, the search page's language), `sort`, `limit`
/// (1 to [`MAX_SEARCH_LIMIT`], default [`DEFAULT_LIMIT`](super::DEFAULT_LIMIT)), `cursor`
/// and `facets` (`true`, the default, or `false`). A malformed query is a
/// [`ApiError::BadRequest`] with the parser's message (what and where).
pub fn search(
    store: &dyn Store,
    index: &dossier_search::SearchIndex,
    site: &Site,
    params: &Params,
) -> Result<SearchPage> {
    only(params, &["q", "sort", "limit", "cursor", "facets"])?;
    let query = param(params, "q")?.map(str::trim).unwrap_or_default();
    if query.is_empty() {
        return Err(ApiError::BadRequest(
            "`q` is required: the query, in the language of the search page (words, \
             \"phrases\", AND/OR/NOT, kind: body: person: dossier: lang: year: date:A..B)."
                .into(),
        ));
    }
    let sort = param(params, "sort")?
        .unwrap_or_default()
        .parse::<dossier_search::Sort>()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let limit = limit_param(params, MAX_SEARCH_LIMIT, " here")?;
    let offset = cursor_param(params, SEARCH_WINDOW)?;
    let with_facets = facets_param(params)?;
    // The index answers pages of `limit` hits; a cursor made with another `limit` falls
    // inside a page, so the window is read from that page and the next.
    let first_page = offset / limit;
    let skip = offset % limit;
    let run = |page: usize, facets: bool| -> Result<crate::views::SearchView> {
        let req = dossier_search::SearchRequest {
            query: query.to_string(),
            sort,
            page: page + 1,
            per_page: limit,
            facets,
        };
        let view = crate::views::search(store, index, &req)?;
        match view.error {
            Some(e) => Err(ApiError::BadRequest(e)),
            None => Ok(view),
        }
    };
    let first = run(first_page, with_facets)?;
    let total = first.total;
    let mut hits: Vec<SearchHitView> = first.hits.into_iter().skip(skip).collect();
    if skip > 0 && offset + hits.len() < total {
        let more = run(first_page + 1, false)?;
        hits.extend(more.hits.into_iter().take(limit - hits.len()));
    }
    let items = hits.into_iter().map(|h| hit(site, h)).collect();
    let next = offset + limit;
    let facets = with_facets.then(|| {
        first
            .facets
            .into_iter()
            .map(|g| facet(site, sort, g))
            .collect()
    });
    Ok(SearchPage {
        query: first.query,
        sort,
        items,
        total,
        limit,
        next_cursor: (next < total.min(SEARCH_WINDOW)).then(|| encode_cursor(next)),
        facets,
        suggestion: first.suggestion,
    })
}
