//! What a search asks for: the query, the order, the page.

use serde::Serialize;

/// How to order results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sort {
    #[default]
    Relevance,
    /// Earliest first.
    Date,
    /// Latest first.
    DateDesc,
}

/// A search as asked.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub sort: Sort,
    /// 1-based page number.
    pub page: usize,
    pub per_page: usize,
    /// Whether to count facets (costs a pass over every match).
    pub facets: bool,
}

impl SearchRequest {
    pub fn new(query: impl Into<String>) -> Self {
        SearchRequest {
            query: query.into(),
            sort: Sort::Relevance,
            page: 1,
            per_page: 10,
            facets: true,
        }
    }
}
