//! A dossier's saved searches (issue 27): how a dossier takes in records of a collection
//! without an import putting them in it. The page lists each search with how many records
//! it finds and the first of them, linking to the whole result. Only the server holds the
//! search index, so the views make the list and the server fills in the hits
//! ([`run_saved_queries`]); elsewhere (the static export, a draft's preview) each search
//! is listed as a link to the search page.

use dossier_model::SavedQuery;
use dossier_search::{SearchIndex, SearchRequest, Sort};
use serde::Serialize;

/// How many hits of each saved search the dossier's page shows.
pub const SAVED_QUERY_HITS: usize = 5;

/// A saved search as the dossier's page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SavedQueryView {
    pub title: String,
    pub query: String,
    /// The search page for the query (`/search?q=…`).
    pub search_url: String,
    /// Whether the search was run here (`total` and `hits` are then its answer).
    pub ran: bool,
    pub total: usize,
    /// The first [`SAVED_QUERY_HITS`] hits, by relevance.
    pub hits: Vec<SavedQueryHit>,
    /// Why the search could not run (a query the search language refuses), in words.
    pub error: Option<String>,
}

/// One hit of a saved search: what a link to it shows.
#[derive(Debug, Clone, Serialize)]
pub struct SavedQueryHit {
    /// `document`, `event`, `body`, `person`, `topic` or `section`.
    #[serde(rename = "type")]
    pub record: String,
    pub title: String,
    pub url: String,
    pub date: Option<String>,
}

/// The dossier's saved searches, not yet run.
pub fn saved_queries(queries: &[SavedQuery]) -> Vec<SavedQueryView> {
    queries
        .iter()
        .map(|q| {
            let mut search_url = String::from("/search?");
            search_url.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .append_pair("q", &q.query)
                    .finish(),
            );
            SavedQueryView {
                title: q.title.clone(),
                query: q.query.clone(),
                search_url,
                ran: false,
                total: 0,
                hits: Vec::new(),
                error: None,
            }
        })
        .collect()
}

/// Runs each saved search over `index`: its count and first hits, or the search's own
/// message for a query it refuses (one bad search does not cost the page).
pub fn run_saved_queries(views: &mut [SavedQueryView], index: &SearchIndex) {
    for v in views {
        let req = SearchRequest {
            query: v.query.clone(),
            sort: Sort::Relevance,
            page: 1,
            per_page: SAVED_QUERY_HITS,
            facets: false,
        };
        v.ran = true;
        match index.search(&req) {
            Ok(r) => {
                v.total = r.total;
                v.hits = r
                    .hits
                    .into_iter()
                    .map(|h| SavedQueryHit {
                        record: h.record,
                        title: h.title,
                        url: h.url,
                        date: h.date,
                    })
                    .collect();
            }
            Err(e) => v.error = Some(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_search_links_to_its_query_encoded() {
        let v = saved_queries(&[SavedQuery {
            title: "Essays".into(),
            query: "collection:milestones \"Soviet Union\" & <b>".into(),
        }]);
        assert_eq!(
            v[0].search_url,
            "/search?q=collection%3Amilestones+%22Soviet+Union%22+%26+%3Cb%3E"
        );
        assert!(!v[0].ran);
    }
}
