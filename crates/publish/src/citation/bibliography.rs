//! Bibliographies: many documents in one file, for a dossier, a named selection or the
//! documents among a search's hits.

use super::cite::Download;
use super::format::Format;
use super::item::items;
use crate::site::Site;
use crate::PublishError;
use dossier_model::RecordType;
use dossier_search::{SearchError, SearchIndex, SearchRequest, Sort};
use dossier_store::Store;

/// The site path of a dossier's bibliography file.
pub fn bibliography_path(dossier: &str, format: Format) -> String {
    format!("/dossiers/{dossier}/bibliography.{}", format.extension())
}

/// The bibliography of a dossier (its documents in date order) in one format; `None` if
/// there is no such dossier.
pub fn dossier_bibliography(
    store: &dyn Store,
    dossier: &str,
    format: Format,
    site: &Site,
) -> Result<Option<String>, PublishError> {
    if !store.exists(RecordType::Dossier, dossier)? {
        return Ok(None);
    }
    let docs = store.documents(&dossier_store::DocumentQuery {
        dossier: Some(dossier.into()),
        ..Default::default()
    })?;
    Ok(Some(format.write(&items(store, &docs, site)?)))
}

/// The site path of a collection's bibliography file.
pub fn collection_bibliography_path(collection: &str, format: Format) -> String {
    format!(
        "/collections/{collection}/bibliography.{}",
        format.extension()
    )
}

/// The bibliography of a collection (its documents in date order) in one format; `None`
/// if there is no such collection.
pub fn collection_bibliography(
    store: &dyn Store,
    collection: &str,
    format: Format,
    site: &Site,
) -> Result<Option<String>, PublishError> {
    if store.collection(collection)?.is_none() {
        return Ok(None);
    }
    let docs = store.collection_documents(collection)?;
    Ok(Some(format.write(&items(store, &docs, site)?)))
}

/// The bibliography of the documents named (a search result, a selection) in one format.
/// Slugs the archive does not hold are returned as the error's list.
pub fn selection_bibliography(
    store: &dyn Store,
    slugs: &[String],
    format: Format,
    site: &Site,
) -> Result<Result<String, Vec<String>>, PublishError> {
    let mut docs = Vec::new();
    let mut missing = Vec::new();
    for s in slugs {
        match store.document(s)? {
            Some(d) => docs.push(d),
            None => missing.push(s.clone()),
        }
    }
    if !missing.is_empty() {
        return Ok(Err(missing));
    }
    Ok(Ok(format.write(&items(store, &docs, site)?)))
}

/// The most documents a search's bibliography holds: the first 1,000 documents among the
/// hits, in the order of the search (the same cap as a `?documents=` selection).
pub const SEARCH_BIBLIOGRAPHY_LIMIT: usize = 1000;

/// The documents among the hits of a search, in the search's order, at most `limit`.
/// Sections, bodies, people, events and topics that match are left out: a bibliography
/// cites documents. The filter is added to the parsed query (not to its text), so that
/// an error names the place in the query as the reader typed it, and a query at the
/// query language's limits, which the search page accepts, has a bibliography too.
pub fn search_documents(
    index: &SearchIndex,
    query: &str,
    sort: Sort,
    limit: usize,
) -> Result<Vec<String>, SearchError> {
    let per_page = 100;
    let mut out = Vec::new();
    let mut page = 1;
    while out.len() < limit {
        let results = index.search_also(
            &SearchRequest {
                query: query.to_string(),
                sort,
                page,
                per_page,
                facets: false,
            },
            documents_only(),
        )?;
        let n = results.hits.len();
        out.extend(
            results
                .hits
                .into_iter()
                .filter(|h| h.record == "document")
                .map(|h| h.slug),
        );
        if n < per_page || page * per_page >= results.total {
            break;
        }
        page += 1;
    }
    out.truncate(limit);
    Ok(out)
}

/// How many documents a search's bibliography holds (at most [`SEARCH_BIBLIOGRAPHY_LIMIT`]).
pub fn search_document_count(
    index: &SearchIndex,
    query: &str,
    sort: Sort,
) -> Result<usize, SearchError> {
    let results = index.search_also(
        &SearchRequest {
            query: query.to_string(),
            sort,
            page: 1,
            per_page: 1,
            facets: false,
        },
        documents_only(),
    )?;
    Ok(results.total.min(SEARCH_BIBLIOGRAPHY_LIMIT))
}

/// `type:document`: the hits a bibliography cites.
fn documents_only() -> dossier_search::query::Filter {
    dossier_search::query::Filter::Type("document".into())
}

/// The site path of a search's bibliography: `/bibliography.bib?q=…` (and `&sort=…`
/// unless the order is by relevance).
pub fn search_bibliography_path(query: &str, sort: Sort, format: Format) -> String {
    let mut q = String::new();
    for b in query.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            q.push(b as char);
        } else {
            q.push_str(&format!("%{b:02X}"));
        }
    }
    let sort = match sort {
        Sort::Relevance => String::new(),
        other => format!("&sort={other}"),
    };
    format!("/bibliography.{}?q={q}{sort}", format.extension())
}

/// The download links of a search's bibliography, one per format.
pub fn search_downloads(query: &str, sort: Sort) -> Vec<Download> {
    Format::ALL
        .into_iter()
        .map(|f| Download {
            format: f,
            label: f.label(),
            url: search_bibliography_path(query, sort, f),
            media_type: f.media_type(),
        })
        .collect()
}

/// The bibliography of a search: the documents of [`search_documents`] (the first
/// [`SEARCH_BIBLIOGRAPHY_LIMIT`]) in one file. A malformed query is `Ok(Err(message))`.
/// A hit the store no longer holds (the index follows the store a moment behind) is
/// left out.
pub fn search_bibliography(
    store: &dyn Store,
    index: &SearchIndex,
    query: &str,
    sort: Sort,
    format: Format,
    site: &Site,
) -> Result<Result<String, String>, PublishError> {
    let slugs = match search_documents(index, query, sort, SEARCH_BIBLIOGRAPHY_LIMIT) {
        Ok(s) => s,
        Err(SearchError::Query(e)) => return Ok(Err(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let mut docs = Vec::with_capacity(slugs.len());
    for s in &slugs {
        if let Some(d) = store.document(s)? {
            docs.push(d);
        }
    }
    Ok(Ok(format.write(&items(store, &docs, site)?)))
}
