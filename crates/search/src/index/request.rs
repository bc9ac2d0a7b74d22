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

impl Sort {
    /// The name of the order in URLs, forms and the command line (`date-desc`), as
    /// [`FromStr`](std::str::FromStr) reads it and as it serialises.
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Date => "date",
            Sort::DateDesc => "date-desc",
        }
    }
}

impl std::fmt::Display for Sort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `sort` value that names no order; its message says which ones there are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`sort` is relevance, date or date-desc, not `{0}`.")]
pub struct UnknownSort(String);

impl std::str::FromStr for Sort {
    type Err = UnknownSort;

    /// `relevance`, `date` or `date-desc`; an empty value (a form's unset field) is the
    /// default order. A refusal quotes at most 60 characters of what was given.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" | "relevance" => Ok(Sort::Relevance),
            "date" => Ok(Sort::Date),
            "date-desc" => Ok(Sort::DateDesc),
            other => Err(UnknownSort(other.chars().take(60).collect())),
        }
    }
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

/// The order of a browse page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BrowseSort {
    /// A to Z.
    #[default]
    Title,
    /// Earliest first (undated last).
    Date,
    /// Latest first (undated last).
    DateDesc,
}

impl BrowseSort {
    /// The name of the order in URLs (`date-desc`), as [`FromStr`](std::str::FromStr)
    /// reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            BrowseSort::Title => "title",
            BrowseSort::Date => "date",
            BrowseSort::DateDesc => "date-desc",
        }
    }
}

impl std::str::FromStr for BrowseSort {
    type Err = String;

    /// `title`, `date` or `date-desc`; empty is `title`. A refusal says what there is and
    /// quotes at most 60 characters of what was given.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" | "title" => Ok(BrowseSort::Title),
            "date" => Ok(BrowseSort::Date),
            "date-desc" => Ok(BrowseSort::DateDesc),
            other => Err(format!(
                "`sort` is title, date or date-desc, not `{}`.",
                other.chars().take(60).collect::<String>()
            )),
        }
    }
}

/// A browse page as asked: records narrowed by filters (the record type among them), in
/// an order, a page of them.
#[derive(Debug, Clone)]
pub struct BrowseRequest {
    /// Words to narrow by, in the query language; may be empty.
    pub query: String,
    pub filters: Vec<crate::query::Filter>,
    pub sort: BrowseSort,
    /// 1-based page number.
    pub page: usize,
    pub per_page: usize,
}

#[cfg(test)]
mod tests {
    use super::{BrowseSort, Sort};

    #[test]
    fn a_browse_order_reads_what_it_prints() {
        for sort in [BrowseSort::Title, BrowseSort::Date, BrowseSort::DateDesc] {
            assert_eq!(sort.as_str().parse::<BrowseSort>(), Ok(sort));
        }
        assert_eq!("".parse::<BrowseSort>(), Ok(BrowseSort::Title));
        let e = "<script>".repeat(20).parse::<BrowseSort>().unwrap_err();
        assert!(
            e.starts_with("`sort` is title, date or date-desc, not `<script>"),
            "{e}"
        );
        assert!(e.len() < 120, "{e}");
    }

    #[test]
    fn a_sort_reads_what_it_prints() {
        for sort in [Sort::Relevance, Sort::Date, Sort::DateDesc] {
            assert_eq!(sort.to_string().parse::<Sort>(), Ok(sort));
            assert_eq!(
                serde_json::to_value(sort).ok(),
                Some(serde_json::Value::from(sort.as_str()))
            );
        }
        assert_eq!("".parse::<Sort>(), Ok(Sort::Relevance));
        let refused = "x".repeat(100).parse::<Sort>().unwrap_err().to_string();
        assert_eq!(
            refused,
            format!(
                "`sort` is relevance, date or date-desc, not `{}`.",
                "x".repeat(60)
            )
        );
    }
}
