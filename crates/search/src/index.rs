//! The search index of one data directory: opening it, its writer, and the public
//! entries of a search. What it does is split by concept into the modules below.

mod build;
mod bulk;
mod execute;
mod plan;
mod request;
mod results;
mod schema;
mod snippets;
mod static_index;
mod suggest;
mod sync;
mod synonyms;

pub use bulk::BulkIndex;
pub use request::{BrowseRequest, BrowseSort, SearchRequest, Sort, UnknownSort};
pub use results::{FacetCount, Facets, Hit, SearchResults};
pub use static_index::{StaticIndex, StaticUnit};
pub use sync::{Committed, SyncReport};

use crate::query::{self, Filter, Node};
use crate::SearchError;
use bulk::Bulk;
use dossier_model::{BodyKind, DocumentKind, EventKind, TopicKind};
use dossier_store::Store;
use schema::{facet_term, register_tokenizers, schema, Fields};
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use synonyms::Synonyms;
use tantivy::collector::Count;
use tantivy::query::{Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

const WRITER_HEAP: usize = 200_000_000;

type BoxedQuery = Box<dyn Query>;

/// The search index of one data directory.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    f: Fields,
    dir: PathBuf,
    synonyms: RwLock<Synonyms>,
    /// Whether `synonyms` has been read from the store since this index was opened (it is
    /// read again only when a sync applies a change to a body or a person).
    synonyms_loaded: std::sync::atomic::AtomicBool,
    /// During a bulk load the writer (and its lock) is kept between syncs; otherwise it
    /// is released after each sync so that another process can update the index.
    bulk_writer: std::sync::Mutex<Option<Bulk>>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SearchError + '_ {
    move |source| SearchError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl SearchIndex {
    /// Opens the index in `dir` and brings it in step with `store`: a missing or corrupt
    /// index, or one built from another store, is rebuilt; one behind the store catches up.
    pub fn open(dir: &Path, store: &dyn Store) -> Result<(Self, SyncReport), SearchError> {
        Self::open_with_progress(dir, store, &mut |_, _| {})
    }

    /// Like [`open`](Self::open), reporting progress as (changes applied, changes to apply).
    pub fn open_with_progress(
        dir: &Path,
        store: &dyn Store,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Self, SyncReport), SearchError> {
        let existing = dir.join("meta.json").exists();
        let opened = if existing {
            match Self::open_existing(dir) {
                Ok(i) => {
                    match i.applied_seq() {
                        Some(seq) if seq <= store.last_change()? => Some(i),
                        Some(seq) => {
                            tracing::warn!(index_seq = seq, "the search index is ahead of the store (another store?); rebuilding");
                            None
                        }
                        None => {
                            tracing::warn!(
                                "the search index has no record of the store's changes; rebuilding"
                            );
                            None
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the search index cannot be opened; rebuilding it from the store");
                    None
                }
            }
        } else {
            None
        };
        match opened {
            Some(index) => {
                let report = index.sync_with_progress(store, progress)?;
                Ok((index, report))
            }
            None => {
                let index = Self::create(dir)?;
                let mut report = index.sync_with_progress(store, progress)?;
                report.rebuilt = true;
                Ok((index, report))
            }
        }
    }

    fn create(dir: &Path) -> Result<Self, SearchError> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(io_err(dir))?;
        }
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let (schema, _) = schema();
        let index = Index::create_in_dir(dir, schema)?;
        Self::wrap(index, dir)
    }

    /// Opens the index as it was last committed, without bringing it in step with the
    /// store: for a reader while another process writes (and holds the index's writer).
    /// Fails where there is no usable index.
    pub fn open_as_is(dir: &Path, store: &dyn Store) -> Result<Self, SearchError> {
        let index = Self::open_existing(dir)?;
        index.read_names(store)?;
        Ok(index)
    }

    /// Reads the names that expand queries from the store, for the searches after.
    fn read_names(&self, store: &dyn Store) -> Result<(), SearchError> {
        *self.synonyms.write().unwrap_or_else(|p| p.into_inner()) = Synonyms::load(store)?;
        self.synonyms_loaded
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    fn open_existing(dir: &Path) -> Result<Self, SearchError> {
        let index = Index::open_in_dir(dir)?;
        let (expected, _) = schema();
        if index.schema() != expected {
            return Err(SearchError::Index(tantivy::TantivyError::SchemaError(
                "the index was built with another schema".into(),
            )));
        }
        Self::wrap(index, dir)
    }

    fn wrap(mut index: Index, dir: &Path) -> Result<Self, SearchError> {
        register_tokenizers(&index);
        index.set_executor(search_threads());
        let (_, f) = schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            f,
            dir: dir.to_path_buf(),
            synonyms: RwLock::new(Synonyms::default()),
            synonyms_loaded: std::sync::atomic::AtomicBool::new(false),
            bulk_writer: std::sync::Mutex::new(None),
        })
    }

    /// The store change this index reflects, from its last commit.
    pub fn applied_seq(&self) -> Option<i64> {
        let metas = self.index.load_metas().ok()?;
        match metas.payload {
            None if metas.segments.is_empty() => Some(0),
            None => None,
            Some(p) => p.trim().parse().ok(),
        }
    }

    /// Which reload of the index searches see now: it changes whenever the reader takes
    /// a new commit (this process's or another's, as a reindex), so an answer built from
    /// a search stays right while it does not. Read without touching the disk, unlike
    /// [`applied_seq`](Self::applied_seq).
    pub fn generation(&self) -> u64 {
        self.reader.searcher().generation().generation_id()
    }

    /// Where the index lives.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn writer(&self) -> Result<IndexWriter<TantivyDocument>, SearchError> {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 4);
        let mut tries = 0;
        loop {
            match self.index.writer_with_num_threads(threads, WRITER_HEAP) {
                Ok(w) => return Ok(w),
                Err(tantivy::TantivyError::LockFailure(..)) if tries < 50 => {
                    // Another dossier process is updating the index; it finishes soon.
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Runs a search.
    ///
    /// Relevance order is found in two steps: the query over the text fields ranks the
    /// records by BM25 (pruned by block-max WAND where it can be), then title matches and
    /// the words as an exact phrase add their bonus to the best `RERANK_WINDOW` of them
    /// (a re-scoring window, as Elasticsearch's `rescore` does); the rest keep their BM25
    /// order. The window is the same for every page, so pages of any size read one after
    /// another give the same order as one long page. The bonuses never change which records
    /// match, so the count is taken from the text query.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        // The parser refuses queries over its limits, so the tree is at most
        // `query::MAX_DEPTH` deep and the walks below (`build`, `units`, `has_text`) recurse
        // at most that far: a hostile query is a `SearchError::Query`, not a stack overflow.
        let node = query::parse(&req.query)?;
        self.search_tree(req, node)
    }

    /// Like [`SearchIndex::search`], for the hits that also pass `filter`: the same as
    /// adding it to the query (`(QUERY) type:document`), except that a filter the code adds
    /// does not count against the query language's limits, so a query the search page
    /// accepts is accepted here too, and an error's position is in the query as typed.
    pub fn search_also(
        &self,
        req: &SearchRequest,
        filter: Filter,
    ) -> Result<SearchResults, SearchError> {
        let node = query::parse(&req.query)?;
        self.search_tree(req, Node::And(vec![node, Node::Filter(filter)]))
    }

    /// The records a browse page lists: those that pass every filter (and match the
    /// words of `req.query`, if any), in the browse order, with the facets of them all.
    /// An empty query with no filters lists every record.
    pub fn browse(&self, req: &BrowseRequest) -> Result<SearchResults, SearchError> {
        let mut items: Vec<Node> = Vec::new();
        let query = req.query.trim();
        if !query.is_empty() {
            items.push(query::parse(query)?);
        }
        items.extend(req.filters.iter().cloned().map(Node::Filter));
        let node = match items.len() {
            1 => items.remove(0),
            _ => Node::And(items),
        };
        let (sort, order) = match req.sort {
            BrowseSort::Title => (Sort::Relevance, Some(plan::Order::Title)),
            BrowseSort::Date => (Sort::Date, None),
            BrowseSort::DateDesc => (Sort::DateDesc, None),
        };
        let search = SearchRequest {
            query: query.to_string(),
            sort,
            page: req.page,
            per_page: req.per_page,
            facets: true,
        };
        self.search_tree_in(&search, node, order)
    }

    /// How many indexed units of each record type; for checks and the status line.
    pub fn count(&self, record: &str) -> Result<usize, SearchError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            facet_term(&self.f, "type", record),
            IndexRecordOption::Basic,
        );
        Ok(searcher.search(&q, &Count)?)
    }
}

/// The threads a search runs its segments on, one per core (at most
/// [`MAX_SEARCH_THREADS`]), shared by every index the process opens: a search of a large
/// index visits its few large segments side by side instead of one after the other (see
/// `bitsets::per_segment`), so a lone reader's search takes about half the time on two
/// cores. Under many readers at once it changes little: the cores are busy either way.
fn search_threads() -> tantivy::Executor {
    static EXECUTOR: std::sync::OnceLock<tantivy::Executor> = std::sync::OnceLock::new();
    EXECUTOR
        .get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            match cores.min(MAX_SEARCH_THREADS) {
                0 | 1 => tantivy::Executor::single_thread(),
                n => tantivy::Executor::multi_thread(n, "dossier-search-").unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "no threads for searching segments side by side; searching them in turn");
                    tantivy::Executor::single_thread()
                }),
            }
        })
        .clone()
}

/// The most threads a search's segments are spread over.
const MAX_SEARCH_THREADS: usize = 8;

/// Labels for facet values that are slugs of a vocabulary.
pub fn kind_label(slug: &str) -> Option<&'static str> {
    DocumentKind::from_slug(slug)
        .map(|k| k.label())
        .or_else(|| EventKind::from_slug(slug).map(|k| k.label()))
        .or_else(|| BodyKind::from_slug(slug).map(|k| k.label()))
        .or_else(|| TopicKind::from_slug(slug).map(|k| k.label()))
}
