//! The search page: hits with labels, facets as links that narrow the query, paging,
//! and the result list offered as a bibliography.

use super::links::Cards;
use super::Result;
use dossier_model::Edtf;
use dossier_model::RecordType;
use dossier_store::Store;
use serde::Serialize;

/// `/search?q=…`: results with snippets, facets as links, and paging.
#[derive(Debug, Serialize)]
pub struct SearchView {
    pub query: String,
    pub sort: dossier_search::Sort,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub pages: usize,
    pub hits: Vec<SearchHitView>,
    pub facets: Vec<FacetGroupView>,
    pub suggestion: Option<String>,
    /// What is wrong with the query, for a person; set instead of results.
    pub error: Option<String>,
    /// The result list as a bibliography file, one link per format: the documents among
    /// the hits (the first [`crate::citation::SEARCH_BIBLIOGRAPHY_LIMIT`], in this order).
    /// Empty when no document matches, or when the search counted no facets.
    pub bibliography: Vec<crate::citation::Download>,
    /// How many documents those files hold.
    pub bibliography_documents: usize,
}

/// One result, with labels for the reader.
#[derive(Debug, Serialize)]
pub struct SearchHitView {
    #[serde(rename = "type")]
    pub record: String,
    pub slug: String,
    pub title: String,
    pub url: String,
    /// The EDTF date.
    pub date: Option<String>,
    pub date_human: Option<String>,
    pub kind: Option<String>,
    pub kind_label: Option<String>,
    /// HTML: escaped text with matched terms in `<mark>`.
    pub snippet: String,
    pub score: f32,
}

/// A facet (record type, kind, decade, year, body, person, dossier, collection,
/// language) and its values (the JSON API's
/// values also carry their search's API address).
#[derive(Debug, Serialize)]
pub struct FacetGroupView<V = FacetValueView> {
    pub name: &'static str,
    pub label: &'static str,
    pub values: Vec<V>,
}

/// A facet value: its count and the query that narrows to it.
#[derive(Debug, Serialize)]
pub struct FacetValueView {
    pub value: String,
    pub label: String,
    pub count: u64,
    /// The current query with this facet's filter added.
    pub query: String,
}

pub(super) fn language_name(code: &str) -> String {
    match code {
        "en" => "English".into(),
        "fr" => "French".into(),
        "ru" => "Russian".into(),
        "de" => "German".into(),
        "es" => "Spanish".into(),
        "it" => "Italian".into(),
        "uk" => "Ukrainian".into(),
        "und" => "language not recorded".into(),
        other => other.to_string(),
    }
}

/// Runs a search; a malformed query gives a view with `error` set (not a failure).
pub fn search(
    store: &dyn Store,
    index: &dossier_search::SearchIndex,
    req: &dossier_search::SearchRequest,
) -> Result<SearchView> {
    let results = match index.search(req) {
        Ok(r) => r,
        Err(dossier_search::SearchError::Query(e)) => return Ok(query_error(req, e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let hits = results.hits.into_iter().map(hit_view).collect();
    // The documents among the hits, from the type facet of this same search (no second
    // search); a search without facets (the API's look-ahead page) offers no bibliography.
    let bibliography_documents = results
        .facets
        .record_type
        .iter()
        .find(|c| c.value == "document")
        .map_or(0, |c| c.count as usize)
        .min(crate::citation::SEARCH_BIBLIOGRAPHY_LIMIT);
    let bibliography = if bibliography_documents == 0 {
        vec![]
    } else {
        crate::citation::search_downloads(&req.query, req.sort)
    };
    Ok(SearchView {
        facets: facet_groups(store, &req.query, results.facets)?,
        bibliography,
        bibliography_documents,
        query: results.query,
        sort: req.sort,
        total: results.total,
        page: results.page,
        per_page: results.per_page,
        pages: results.total.div_ceil(results.per_page.max(1)),
        hits,
        suggestion: results.suggestion,
        error: None,
    })
}

/// The view of a query the parser refused: no results, the reason in `error`.
fn query_error(req: &dossier_search::SearchRequest, error: String) -> SearchView {
    SearchView {
        error: Some(error),
        ..SearchView::empty(req)
    }
}

impl SearchView {
    /// The page of a search that ran nothing (an empty query): no results, no error.
    pub fn empty(req: &dossier_search::SearchRequest) -> SearchView {
        SearchView {
            query: req.query.clone(),
            sort: req.sort,
            total: 0,
            page: 1,
            per_page: req.per_page,
            pages: 0,
            hits: vec![],
            facets: vec![],
            suggestion: None,
            error: None,
            bibliography: vec![],
            bibliography_documents: 0,
        }
    }
}

pub(super) fn hit_view(h: dossier_search::Hit) -> SearchHitView {
    let date = h.date.as_deref().and_then(|d| Edtf::parse(d).ok());
    SearchHitView {
        kind_label: h
            .kind
            .as_deref()
            .and_then(dossier_search::index::kind_label)
            .map(str::to_string),
        date_human: date.map(|d| d.human()),
        record: h.record,
        slug: h.slug,
        title: h.title,
        url: h.url,
        date: h.date,
        kind: h.kind,
        snippet: h.snippet,
        score: h.score,
    }
}

/// The facets as the page offers them: each value labelled for a reader, with the query
/// (`query` plus the value's filter) that narrows the results to it. Groups without
/// values are left out.
fn facet_groups(
    store: &dyn Store,
    query: &str,
    f: dossier_search::Facets,
) -> Result<Vec<FacetGroupView>> {
    let with = |filter: String| format!("{} {filter}", query.trim());
    let labels = FacetLabels::read(store, &f)?;
    let mut facets = Vec::new();
    let mut group = |name: &'static str,
                     label: &'static str,
                     values: Vec<dossier_search::FacetCount>,
                     describe: &dyn Fn(&str) -> Result<(String, String)>|
     -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        let values = values
            .into_iter()
            .map(|v| {
                let (label, filter) = describe(&v.value)?;
                Ok(FacetValueView {
                    query: with(filter),
                    value: v.value,
                    label,
                    count: v.count,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        facets.push(FacetGroupView {
            name,
            label,
            values,
        });
        Ok(())
    };
    group("type", "Record type", f.record_type, &|v| {
        Ok((labels.label("type", v), format!("type:{v}")))
    })?;
    group("kind", "Kind", f.kind, &|v| {
        Ok((labels.label("kind", v), format!("kind:{v}")))
    })?;
    group("decade", "Decade", f.decade, &|v| {
        let start: i32 = v.trim_end_matches('s').parse().unwrap_or(0);
        Ok((v.to_string(), format!("date:{start:04}..{:04}", start + 9)))
    })?;
    group("year", "Year", f.year, &|v| {
        Ok((v.to_string(), format!("year:{v}")))
    })?;
    group("body", "Body", f.body, &|v| {
        Ok((labels.label("body", v), format!("body:{v}")))
    })?;
    group("person", "Person", f.person, &|v| {
        Ok((labels.label("person", v), format!("person:{v}")))
    })?;
    group("dossier", "Dossier", f.dossier, &|v| {
        Ok((labels.label("dossier", v), format!("dossier:{v}")))
    })?;
    group("collection", "Collection", f.collection, &|v| {
        Ok((labels.label("collection", v), format!("collection:{v}")))
    })?;
    group("lang", "Language", f.lang, &|v| {
        Ok((labels.label("lang", v), format!("lang:{v}")))
    })?;
    Ok(facets)
}

/// The words a facet value is shown with (a body's or person's name, a collection's
/// title, a language's name), read once for a page's facets: one store read per record
/// type, not one per value (a broad query counts hundreds of bodies). The search and the
/// browse pages both label their facets through it.
pub(super) struct FacetLabels {
    names: Cards,
    collections: Vec<(dossier_model::Collection, usize)>,
}

impl FacetLabels {
    pub(super) fn read(store: &dyn Store, f: &dossier_search::Facets) -> Result<Self> {
        let names = Cards::fetch(
            store,
            f.body
                .iter()
                .map(|v| (RecordType::Body, v.value.as_str()))
                .chain(
                    f.person
                        .iter()
                        .map(|v| (RecordType::Person, v.value.as_str())),
                )
                .chain(
                    f.dossier
                        .iter()
                        .map(|v| (RecordType::Dossier, v.value.as_str())),
                ),
        )?;
        let collections = if f.collection.is_empty() {
            vec![]
        } else {
            store.collections()?
        };
        Ok(FacetLabels { names, collections })
    }

    /// The label of value `v` of facet `facet` (the value itself where it needs none).
    pub(super) fn label(&self, facet: &str, v: &str) -> String {
        match facet {
            "type" => super::type_label(v).to_string(),
            "kind" => dossier_search::index::kind_label(v)
                .unwrap_or(v)
                .to_string(),
            "body" => self.names.link(RecordType::Body, v).title,
            "person" => self.names.link(RecordType::Person, v).title,
            "dossier" => self.names.link(RecordType::Dossier, v).title,
            "collection" => self
                .collections
                .iter()
                .find(|(c, _)| c.slug == v)
                .map_or_else(|| v.to_string(), |(c, _)| c.title.clone()),
            "lang" => language_name(v),
            _ => v.to_string(),
        }
    }
}
