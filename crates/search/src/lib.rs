//! Full-text search over every record, derived from the store.
//!
//! The store is the source of truth. The index remembers (in its commit payload) the last
//! change of the store's change log that it has applied; [`SearchIndex::sync`] applies the
//! changes after it, so an index left behind by a crash between the store's commit and the
//! index's commit catches up, and one that is missing or corrupt is rebuilt.
//!
//! - [`query`]: the query language (words, phrases, AND/OR/NOT, fields, date ranges).
//! - [`docs`]: what is indexed for each record.
//! - [`index`]: the [`SearchIndex`] and, in its modules, the tantivy schema, sync with the
//!   store, bulk loading, query planning, running a plan, snippets and suggestions.
//! - `bitsets`: filters and exclusions as bitsets under a pruned search of the words.

mod bitsets;
pub mod docs;
pub mod index;
pub mod query;
pub mod stem;

pub use index::{
    BrowseRequest, BrowseSort, BulkIndex, Committed, FacetCount, Facets, Hit, SearchIndex,
    SearchRequest, SearchResults, Sort, StaticIndex, StaticUnit, SyncReport, UnknownSort,
};
pub use query::QueryError;

/// Errors of the search layer.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query is malformed; the message says what and where.
    #[error("{0}")]
    Query(#[from] QueryError),
    /// The index could not be opened, written or read.
    #[error("search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// Reading records from the store failed.
    #[error(transparent)]
    Store(#[from] dossier_store::StoreError),
    /// The index directory could not be created or cleared.
    #[error("search index directory {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
