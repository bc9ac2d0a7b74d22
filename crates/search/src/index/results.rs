//! What a search answers: hits, facet counts, a suggestion.

use super::SearchIndex;
use crate::SearchError;
use serde::Serialize;
use tantivy::collector::FacetCollector;
use tantivy::query::Query;

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// `document`, `section`, `body`, `person`, `event` or `topic`.
    #[serde(rename = "type")]
    pub record: String,
    pub slug: String,
    pub title: String,
    pub url: String,
    /// The EDTF date, if the record has one.
    pub date: Option<String>,
    pub kind: Option<String>,
    /// An HTML fragment: the text is escaped and matched terms are wrapped in `<mark>`.
    pub snippet: String,
    pub score: f32,
}

/// A facet value and how many matching records have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// Counts of the matching records by type, kind, decade, year, body, person, dossier,
/// collection and language, and by the letter their titles file under (for A–Z lists).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// By record type (`document`, `section`, `body`…): how many of the hits are
    /// documents, for a bibliography of the results, without a second search.
    #[serde(rename = "type")]
    pub record_type: Vec<FacetCount>,
    pub kind: Vec<FacetCount>,
    pub decade: Vec<FacetCount>,
    pub year: Vec<FacetCount>,
    pub body: Vec<FacetCount>,
    pub person: Vec<FacetCount>,
    pub dossier: Vec<FacetCount>,
    pub collection: Vec<FacetCount>,
    pub lang: Vec<FacetCount>,
    /// Letters `A`…`Z` and `#`, in that order.
    pub letter: Vec<FacetCount>,
}

/// What a search found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    /// A corrected query when this one found nothing and a close spelling exists.
    pub suggestion: Option<String>,
}

impl SearchIndex {
    pub(super) fn facets(
        &self,
        searcher: &tantivy::Searcher,
        q: &dyn Query,
    ) -> Result<Facets, SearchError> {
        let mut collector = FacetCollector::for_field("facets");
        for root in [
            "/type",
            "/kind",
            "/decade",
            "/year",
            "/body",
            "/person",
            "/dossier",
            "/collection",
            "/lang",
            "/letter",
        ] {
            collector.add_facet(root);
        }
        let counts = searcher.search(q, &collector)?;
        let list = |root: &str| -> Vec<FacetCount> {
            let mut v: Vec<FacetCount> = counts
                .get(root)
                .map(|(facet, count)| FacetCount {
                    value: facet
                        .to_path()
                        .last()
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    count,
                })
                .collect();
            if root == "/year" || root == "/decade" || root == "/letter" {
                v.sort_by(|a, b| a.value.cmp(&b.value));
            } else {
                v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            }
            v
        };
        Ok(Facets {
            record_type: list("/type"),
            kind: list("/kind"),
            decade: list("/decade"),
            year: list("/year"),
            body: list("/body"),
            person: list("/person"),
            dossier: list("/dossier"),
            collection: list("/collection"),
            lang: list("/lang"),
            letter: list("/letter"),
        })
    }
}
