//! The tantivy index: schema, keeping it in step with the store, and searching it.

use crate::bitsets::{self, Constraint, FilteredWords, Leaf};
use crate::docs::{self, for_record, IndexDoc, LANGS};
use crate::query::{self, Filter, Node};
use crate::stem::{CachedStemmer, GatedStemmer};
use crate::SearchError;
use dossier_model::{BodyKind, DocumentKind, EventKind, TopicKind};
use dossier_store::{ChangeOp, RecordType, Store};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing,
    TextOptions, Value, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{
    doc, DocAddress, DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term,
};

const WRITER_HEAP: usize = 200_000_000;

type BoxedQuery = Box<dyn Query>;

/// How much of a text the snippet is cut from.
const SNIPPET_SOURCE_CHARS: usize = 20_000;
/// How much of the stored head a snippet is first looked for in.
const SNIPPET_FIRST_TRY: usize = 2_000;

/// The longest prefix of `s` with at most `n` bytes, cut at a character boundary.
fn truncate_chars(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
const CHANGES_PER_READ: usize = 5_000;

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

/// Counts of the matching records by type, kind, decade, year, body, dossier and language.
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
    pub dossier: Vec<FacetCount>,
    pub lang: Vec<FacetCount>,
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

/// A batch a writer has just committed to the store, with its records in memory: see
/// [`SearchIndex::sync_committed`].
#[derive(Debug, Clone)]
pub struct Committed {
    /// The batch's first and last change (`WriteSummary::logged`).
    pub seqs: (i64, i64),
    pub archive: std::sync::Arc<dossier_model::Archive>,
}

/// What a sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Changes of the store's log that were applied.
    pub applied: u64,
    /// Whether the index was rebuilt from nothing (missing, corrupt, or from another store).
    pub rebuilt: bool,
    /// The store change the index now reflects.
    pub seq: i64,
}

#[derive(Clone, Copy)]
struct Fields {
    /// `type:slug` of the record a document belongs to (a dossier's, for its sections):
    /// what a change deletes before it adds the record's documents again.
    owner: Field,
    /// The record type, kind and language, stored for the hits. They are not indexed:
    /// `type:`, `kind:`, `lang:`, `body:` and `dossier:` filters match the terms of
    /// `facets` (`/kind/declaration`, `/body/nato`…), which every document has for its
    /// counts anyway, so each segment builds one term dictionary for them, not six.
    record: Field,
    slug: Field,
    url: Field,
    display_title: Field,
    date: Field,
    kind: Field,
    /// People's slugs, for `person:` (people are not a facet).
    people: Field,
    lang: Field,
    /// The earliest and latest day a record's date can mean, as fast fields only: tantivy
    /// answers a range over a fast field from its column and never reads the terms, so
    /// they are not indexed (two terms a record fewer to build into each segment).
    date_lo: Field,
    date_hi: Field,
    /// Each year a record's date can fall in (or `wide` for spans over [`YEAR_TERMS`]
    /// years and open ends): a date filter's years are a small union of postings that
    /// leads the intersection, and the exact day bounds are checked only on its members.
    years: Field,
    /// A stable hash of the document's id (`IndexDoc::id`, not itself indexed): breaks
    /// ties so that equal scores come out in the same order from any build of the index.
    tiebreak: Field,
    facets: Field,
    /// `title_en`, `title_fr`, `title_ru`, in the order of [`LANGS`]: the title again,
    /// read only to give title matches their bonus when the best candidates are re-ranked.
    title: [Field; 3],
    /// `text_en`, `text_fr`, `text_ru`: title and text together, so that one term (or one
    /// phrase) per language decides membership. One term per word is what lets tantivy
    /// skip blocks (block-max WAND) and count a single word from its document frequency.
    text: [Field; 3],
    /// The head of the text, stored for snippets.
    snippet_text: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Indexed, not stored: what is shown comes from the stored fields below.
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let date_opts = NumericOptions::default().set_fast();
    let f = Fields {
        owner: b.add_text_field("owner", STRING),
        record: b.add_text_field("type", STORED),
        slug: b.add_text_field("slug", STORED),
        url: b.add_text_field("url", STORED),
        display_title: b.add_text_field("display_title", STORED),
        date: b.add_text_field("date", STORED),
        kind: b.add_text_field("kind", STORED),
        people: b.add_text_field("people", STRING),
        lang: b.add_text_field("lang", STORED),
        date_lo: b.add_i64_field("date_lo", date_opts.clone()),
        date_hi: b.add_i64_field("date_hi", date_opts),
        years: b.add_text_field("years", STRING),
        tiebreak: b.add_u64_field("tiebreak", NumericOptions::default().set_fast()),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        title: [
            b.add_text_field("title_en", text("text_en")),
            b.add_text_field("title_fr", text("text_fr")),
            b.add_text_field("title_ru", text("text_ru")),
        ],
        text: [
            b.add_text_field("text_en", text("text_en")),
            b.add_text_field("text_fr", text("text_fr")),
            b.add_text_field("text_ru", text("text_ru")),
        ],
        snippet_text: b.add_text_field("snippet_text", STORED),
    };
    (b.build(), f)
}

/// English, French and Russian text with their stemmers.
fn register_tokenizers(index: &Index) {
    let base = || {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
    };
    let m = index.tokenizers();
    m.register(
        "text_en",
        base()
            .filter(CachedStemmer::new(frostem::Algorithm::English))
            .build(),
    );
    m.register(
        "text_fr",
        base()
            .filter(AsciiFoldingFilter)
            .filter(CachedStemmer::new(frostem::Algorithm::French))
            .build(),
    );
    m.register(
        "text_ru",
        base()
            .filter(CachedStemmer::new(frostem::Algorithm::Russian))
            .build(),
    );
}

/// Names that mean the same body: "PJC" ↔ "Permanent Joint Council".
#[derive(Debug, Default)]
struct Synonyms {
    /// Lower-cased name, acronym or alias → every name of that body.
    names: HashMap<String, Vec<String>>,
    /// Lower-cased name, acronym, alias or slug → body slug (for `body:`).
    bodies: HashMap<String, String>,
    /// (slug, lower-cased name) of people, for `person:`.
    people: Vec<(String, String)>,
    longest: usize,
}

impl Synonyms {
    fn load(store: &dyn Store) -> Result<Self, SearchError> {
        let mut s = Synonyms::default();
        for b in store.bodies(None)? {
            let mut all = vec![b.name.clone()];
            all.extend(b.acronyms.iter().cloned());
            all.extend(b.aliases.iter().cloned());
            for n in &all {
                let key = n.to_lowercase();
                s.longest = s.longest.max(key.split_whitespace().count());
                s.names
                    .entry(key.clone())
                    .or_default()
                    .extend(all.iter().filter(|x| *x != n).cloned());
                s.bodies.insert(key, b.slug.clone());
            }
            s.bodies.insert(b.slug.clone(), b.slug.clone());
        }
        for p in store.people(None)? {
            s.people.push((p.slug.clone(), p.name.to_lowercase()));
        }
        Ok(s)
    }
}

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

/// The writer of a bulk load, and what it holds that is not yet committed.
struct Bulk {
    writer: IndexWriter<TantivyDocument>,
    /// The last change added to the writer (committed or not).
    added: i64,
    /// Bytes of text added since the last commit.
    uncommitted: u64,
    /// Whether the uncommitted changes touch bodies or people (whose names expand queries).
    names_changed: bool,
    /// Commit once this much text is uncommitted ([`BULK_COMMIT_BYTES`] but in tests).
    commit_bytes: u64,
    /// The segments the index had when the bulk load began: the load merges only its own.
    before: std::collections::HashSet<tantivy::index::SegmentId>,
}

/// A bulk load ends with at most this many segments of its own (see
/// [`SearchIndex::merge_small_segments`]).
const BULK_MAX_SEGMENTS: usize = 4;

/// Which segments to merge at the end of a bulk load, given their sizes largest first
/// (indexes into `sizes`): each group is merged into one segment, and the groups are merged
/// side by side, one per core (at most [`BULK_MAX_SEGMENTS`] - 1). The largest segments
/// are kept as they are, as many as leave [`BULK_MAX_SEGMENTS`] in all; the rest go,
/// largest first, to the group with the fewest documents so far, so that the merges take
/// about as long as each other. A group of one is no merge and is left out.
fn merge_groups(sizes: &[u32], cores: usize) -> Vec<Vec<usize>> {
    if sizes.len() <= BULK_MAX_SEGMENTS {
        return Vec::new();
    }
    let n = cores.clamp(1, BULK_MAX_SEGMENTS - 1);
    let mut groups: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); n];
    for (i, &size) in sizes.iter().enumerate().skip(BULK_MAX_SEGMENTS - n) {
        let g = groups
            .iter_mut()
            .min_by_key(|(total, _)| *total)
            .expect("at least one group");
        g.0 += u64::from(size);
        g.1.push(i);
    }
    groups
        .into_iter()
        .map(|(_, g)| g)
        .filter(|g| g.len() > 1)
        .collect()
}

/// What [`SearchIndex::apply`] added to a writer.
#[derive(Debug, Default)]
struct Applied {
    /// The last change applied.
    seq: i64,
    applied: u64,
    names_changed: bool,
    text_bytes: u64,
}

impl Applied {
    fn report(&self) -> SyncReport {
        SyncReport {
            applied: self.applied,
            rebuilt: false,
            seq: self.seq,
        }
    }
}

/// During a bulk load the index commits once this much text has been added since the
/// last commit, and at its end, rather than after every sync. Each commit closes a segment
/// and tantivy then merges the small segments: committing after every import batch cost
/// about a tenth of an import's time in merges alone. Between commits the index lags the
/// store a little more; a crash loses nothing, since the index catches up from the change
/// log on the next start.
const BULK_COMMIT_BYTES: u64 = 256 * 1024 * 1024;

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

    /// Builds the index again from the whole store, switching from the old complete index
    /// to the new complete one in one step, so that a server searching the same directory
    /// meanwhile never sees an empty or half-built index.
    ///
    /// A usable index is rebuilt in place: one writer drops every segment, adds every
    /// record and commits once. Until that commit, `meta.json` (which tantivy replaces
    /// atomically, by renaming a temporary file) still names the old segments, and their
    /// files are kept, since this process still holds their metas; so readers, and any
    /// process that opens the index, see the old index until the commit and the new one
    /// after it. A crash before the commit leaves the old index as it was. An index that
    /// cannot be opened (or has another schema) has nothing to keep: a new one is built
    /// beside it (`index.new`) and moved into its place.
    pub fn rebuild(
        dir: &Path,
        store: &dyn Store,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Self, SyncReport), SearchError> {
        let existing = if dir.join("meta.json").exists() {
            match Self::open_existing(dir) {
                Ok(index) => Some(index),
                Err(e) => {
                    tracing::warn!(error = %e, "the search index cannot be opened; building a new one beside it");
                    None
                }
            }
        } else {
            None
        };
        match existing {
            Some(index) => {
                let report = index.rebuild_in_place(store, progress)?;
                Ok((index, report))
            }
            None => Self::rebuild_beside(dir, store, progress),
        }
    }

    /// [`rebuild`](Self::rebuild) of an index that opens: drop everything, add everything,
    /// one commit.
    fn rebuild_in_place(
        &self,
        store: &dyn Store,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<SyncReport, SearchError> {
        let mut writer = self.writer()?;
        // Takes effect at the commit, not before: the committed meta is left alone.
        writer.delete_all_documents()?;
        let total = u64::try_from(store.last_change()?).unwrap_or(0);
        // An error drops the writer uncommitted: the old index stays as it was.
        let done = self.apply(store, &mut writer, 0, total, &[], progress)?;
        self.commit(&mut writer, done.seq, true, store)?;
        writer.wait_merging_threads()?;
        // The old segments' files: this process's own metas kept them through the commit's
        // clean-up; a writer of a freshly opened `Index` knows only the segments in use.
        // (A server that still reads them keeps them open; deleted files stay readable.)
        let collected = Index::open_in_dir(&self.dir).and_then(|fresh| {
            let collector: IndexWriter<TantivyDocument> =
                fresh.writer_with_num_threads(1, 20_000_000)?;
            collector.garbage_collect_files().wait().map(|_| ())
        });
        if let Err(e) = collected {
            // Only disk space: the next write to the index removes them.
            tracing::debug!(error = %e, "the old index's files are left for the next write");
        }
        let mut report = done.report();
        report.rebuilt = true;
        Ok(report)
    }

    /// [`rebuild`](Self::rebuild) where there is no usable index: built complete in
    /// `DIR.new`, then moved to `dir`.
    fn rebuild_beside(
        dir: &Path,
        store: &dyn Store,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Self, SyncReport), SearchError> {
        let mut beside = dir.as_os_str().to_owned();
        beside.push(".new");
        let beside = PathBuf::from(beside);
        let mut report = {
            let index = Self::create(&beside)?;
            index.sync_with_progress(store, progress)?
        };
        report.rebuilt = true;
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(io_err(dir))?;
        }
        std::fs::rename(&beside, dir).map_err(io_err(dir))?;
        let index = Self::open_existing(dir)?;
        *index.synonyms.write().unwrap_or_else(|p| p.into_inner()) = Synonyms::load(store)?;
        index
            .synonyms_loaded
            .store(true, std::sync::atomic::Ordering::Release);
        Ok((index, report))
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
        *index.synonyms.write().unwrap_or_else(|p| p.into_inner()) = Synonyms::load(store)?;
        index
            .synonyms_loaded
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(index)
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

    fn wrap(index: Index, dir: &Path) -> Result<Self, SearchError> {
        register_tokenizers(&index);
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

    /// Where the index lives.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Applies the store's changes since the index's last commit.
    pub fn sync(&self, store: &dyn Store) -> Result<SyncReport, SearchError> {
        self.sync_with_progress(store, &mut |_, _| {})
    }

    /// Like [`sync`](Self::sync), reporting (changes applied, changes to apply).
    pub fn sync_with_progress(
        &self,
        store: &dyn Store,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<SyncReport, SearchError> {
        self.sync_inner(store, &[], progress)
    }

    /// Like [`sync`](Self::sync), for a writer that has just committed `batches`: their
    /// records are taken from memory rather than read back from the store. The change log
    /// still says what to apply; only changes inside a batch's logged range come from its
    /// copy, so changes other writers made in between are read from the store as usual.
    pub fn sync_committed(
        &self,
        store: &dyn Store,
        batches: &[Committed],
    ) -> Result<SyncReport, SearchError> {
        self.sync_inner(store, batches, &mut |_, _| {})
    }

    fn sync_inner(
        &self,
        store: &dyn Store,
        batches: &[Committed],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<SyncReport, SearchError> {
        let mut bulk = self.bulk_writer.lock().unwrap_or_else(|p| p.into_inner());
        let committed = self.applied_seq().unwrap_or(0);
        let from = bulk.as_ref().map_or(committed, |b| b.added.max(committed));
        let last = store.last_change()?;
        if !self
            .synonyms_loaded
            .load(std::sync::atomic::Ordering::Acquire)
        {
            *self.synonyms.write().unwrap_or_else(|p| p.into_inner()) = Synonyms::load(store)?;
            self.synonyms_loaded
                .store(true, std::sync::atomic::Ordering::Release);
        }
        if from >= last {
            return Ok(SyncReport {
                applied: 0,
                rebuilt: false,
                seq: from,
            });
        }
        let total = (last - from) as u64;
        let Some(b) = bulk.as_mut() else {
            // Not a bulk load: a writer for this sync alone, committed and released.
            let mut writer = self.writer()?;
            let done = self.apply(store, &mut writer, from, total, batches, progress)?;
            self.commit(&mut writer, done.seq, done.names_changed, store)?;
            writer.wait_merging_threads()?;
            return Ok(done.report());
        };
        let done = match self.apply(store, &mut b.writer, from, total, batches, progress) {
            Ok(done) => done,
            Err(e) => {
                // Half a sync must never be committed: back to the last commit.
                b.writer.rollback()?;
                b.added = committed;
                b.uncommitted = 0;
                b.names_changed = false;
                return Err(e);
            }
        };
        b.added = done.seq;
        b.uncommitted += done.text_bytes;
        b.names_changed |= done.names_changed;
        if b.uncommitted >= b.commit_bytes {
            let names_changed = std::mem::take(&mut b.names_changed);
            b.uncommitted = 0;
            self.commit(&mut b.writer, done.seq, names_changed, store)?;
        }
        Ok(done.report())
    }

    /// Adds the store's changes after `from` to `writer` (not committed). Records of
    /// `batches` come from memory, the others from the store.
    fn apply(
        &self,
        store: &dyn Store,
        writer: &mut IndexWriter<TantivyDocument>,
        from: i64,
        total: u64,
        batches: &[Committed],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Applied, SearchError> {
        let in_memory: Vec<((i64, i64), docs::InMemory)> = batches
            .iter()
            .map(|b| (b.seqs, docs::InMemory::new(&b.archive)))
            .collect();
        let mut done = Applied {
            seq: from,
            ..Applied::default()
        };
        loop {
            let changes = store.changes_since(done.seq, CHANGES_PER_READ)?;
            let Some(tail) = changes.last() else { break };
            let next_seq = tail.seq;
            // Everything up to `seq` is applied (committed, or added by this writer), so a
            // record with no earlier change has no copy to delete. Each delete is looked up
            // in every segment at commit: skipping them is most of a bulk load's savings.
            let known = store.changed_at_or_before(done.seq, next_seq)?;
            // Only the latest state of each record matters.
            let mut latest: BTreeMap<(RecordType, &str), (ChangeOp, i64)> = BTreeMap::new();
            for c in &changes {
                latest.insert((c.record, c.slug.as_str()), (c.op, c.seq));
                done.names_changed |= matches!(c.record, RecordType::Body | RecordType::Person);
            }
            for ((record, slug), (op, at)) in latest {
                let owner = format!("{}:{slug}", record.as_str());
                let maybe_indexed = known
                    .as_ref()
                    .is_none_or(|k| k.contains(&(record, slug.to_string())));
                if maybe_indexed {
                    writer.delete_term(Term::from_field_text(self.f.owner, &owner));
                }
                if op == ChangeOp::Upsert {
                    let written = in_memory
                        .iter()
                        .find(|((first, last), _)| (*first..=*last).contains(&at))
                        .and_then(|(_, batch)| batch.docs(record, slug));
                    // A record that cannot be read is left out of the index (its old
                    // copy deleted above) with a warning naming it, so that one bad row
                    // cannot stop search, imports, reindex or serve.
                    let docs = match written {
                        Some(docs) => docs,
                        None => dossier_store::skip_corrupt(for_record(store, record, slug))?
                            .unwrap_or_default(),
                    };
                    for d in docs {
                        done.text_bytes += (d.title.len() + d.body.len()) as u64;
                        writer.add_document(self.to_tantivy(&d, &owner))?;
                    }
                }
            }
            done.applied += changes.len() as u64;
            done.seq = next_seq;
            progress(done.applied.min(total), total);
        }
        Ok(done)
    }

    /// Commits what `writer` holds as applied up to change `seq`, and makes it searchable.
    fn commit(
        &self,
        writer: &mut IndexWriter<TantivyDocument>,
        seq: i64,
        names_changed: bool,
        store: &dyn Store,
    ) -> Result<(), SearchError> {
        self.commit_only(writer, seq)?;
        // Names of bodies and people expand queries: read them again when they changed
        // (every import batch of people or bodies; not the batches of documents or events).
        if names_changed {
            let t = std::time::Instant::now();
            *self.synonyms.write().unwrap_or_else(|p| p.into_inner()) = Synonyms::load(store)?;
            self.synonyms_loaded
                .store(true, std::sync::atomic::Ordering::Release);
            tracing::debug!(ms = t.elapsed().as_millis() as u64, "names read again");
        }
        self.reader.reload()?;
        Ok(())
    }

    /// Commits what `writer` holds, as the index's state after store change `seq`, without
    /// making it visible to this index's searches.
    fn commit_only(
        &self,
        writer: &mut IndexWriter<TantivyDocument>,
        seq: i64,
    ) -> Result<(), SearchError> {
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&seq.to_string());
        commit.commit()?;
        Ok(())
    }

    /// Starts a bulk load: syncs keep one writer (and the index lock) until
    /// [`end_bulk`](Self::end_bulk), instead of opening and closing one per sync, and
    /// commit only every [`BULK_COMMIT_BYTES`] of text.
    pub fn begin_bulk(&self) -> Result<(), SearchError> {
        self.begin_bulk_committing_every(BULK_COMMIT_BYTES)
    }

    /// [`begin_bulk`](Self::begin_bulk), committing every `bytes` of text (tests use small
    /// values to make a bulk load of many segments).
    pub fn begin_bulk_committing_every(&self, bytes: u64) -> Result<(), SearchError> {
        let mut bulk = self.bulk_writer.lock().unwrap_or_else(|p| p.into_inner());
        if bulk.is_none() {
            *bulk = Some(Bulk {
                writer: self.writer()?,
                added: self.applied_seq().unwrap_or(0),
                uncommitted: 0,
                names_changed: false,
                commit_bytes: bytes,
                before: self.index.searchable_segment_ids()?.into_iter().collect(),
            });
        }
        Ok(())
    }

    /// Ends a bulk load: commits what the syncs added since the last commit, waits for
    /// segment merges and releases the writer.
    pub fn end_bulk(&self, store: &dyn Store) -> Result<(), SearchError> {
        self.finish_bulk(store, true)
    }

    /// Ends a bulk load like [`end_bulk`](Self::end_bulk) and closes the index, for a
    /// process that only imports: its searches are gone with it, so the names that expand
    /// queries are not read again and no reader opens the new segments (3–5 ms and the
    /// segments' files, on the visits corpus's 1,716 bodies and people).
    pub fn close_bulk(self, store: &dyn Store) -> Result<(), SearchError> {
        self.finish_bulk(store, false)
    }

    fn finish_bulk(&self, store: &dyn Store, searched_after: bool) -> Result<(), SearchError> {
        let bulk = self
            .bulk_writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(mut b) = bulk {
            let started = std::time::Instant::now();
            if b.added > self.applied_seq().unwrap_or(0) {
                if searched_after {
                    self.commit(&mut b.writer, b.added, b.names_changed, store)?;
                } else {
                    self.commit_only(&mut b.writer, b.added)?;
                }
            }
            let committed = started.elapsed();
            b.writer.wait_merging_threads()?;
            let merged = started.elapsed();
            let (segments, left) = self.merge_small_segments(&b.before)?;
            if searched_after {
                self.reader.reload()?;
            }
            tracing::info!(
                commit_ms = committed.as_millis() as u64,
                merges_ms = (merged - committed).as_millis() as u64,
                last_merges_ms = (started.elapsed() - merged).as_millis() as u64,
                segments,
                left,
                "end of the index's bulk load"
            );
        }
        Ok(())
    }

    /// Leaves at most [`BULK_MAX_SEGMENTS`] of the segments a bulk load made, by merging
    /// the smallest of them. Every search finds the top hits of each segment on its own, so
    /// a bulk load that left many segments (each commit and each full indexing buffer
    /// makes one) slowed every search after it: at 1M documents, 12 segments against 3
    /// took the median search from 1.5 to 1.9 ms. The smallest are cheap to merge. They
    /// are merged into one segment per core, side by side: a merge runs on one core, and a
    /// single merge was the last 5–8 s of a million-document load with the other core idle.
    /// Segments older than the load are left to tantivy's merge policy, so that small
    /// imports into a large archive never pay for merging it. Returns how many segments
    /// of the load there were and how many are left.
    fn merge_small_segments(
        &self,
        before: &std::collections::HashSet<tantivy::index::SegmentId>,
    ) -> Result<(usize, usize), SearchError> {
        let mut metas: Vec<_> = self
            .index
            .searchable_segment_metas()?
            .into_iter()
            .filter(|m| !before.contains(&m.id()))
            .collect();
        if metas.len() <= BULK_MAX_SEGMENTS {
            return Ok((metas.len(), metas.len()));
        }
        metas.sort_by_key(|m| std::cmp::Reverse(m.max_doc()));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let groups = merge_groups(
            &metas.iter().map(|m| m.max_doc()).collect::<Vec<_>>(),
            cores,
        );
        let mut writer = self.writer()?;
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let merges: Vec<_> = groups
            .iter()
            .map(|g| {
                let ids: Vec<_> = g.iter().map(|&i| metas[i].id()).collect();
                writer.merge(&ids)
            })
            .collect();
        for m in merges {
            m.wait()?;
        }
        writer.wait_merging_threads()?;
        let left = metas.len() - groups.iter().map(|g| g.len() - 1).sum::<usize>();
        self.reader.reload()?;
        // The merged segments' files. Tantivy keeps the files of every segment that any
        // object of this `Index` still describes, which after a bulk load keeps them until
        // the next process writes; a writer of a freshly opened `Index` knows only the
        // segments in use. (Files a reader has open stay readable once deleted.)
        let fresh = Index::open_in_dir(&self.dir)?;
        let collector: IndexWriter<TantivyDocument> =
            fresh.writer_with_num_threads(1, 20_000_000)?;
        collector.garbage_collect_files().wait()?;
        Ok((metas.len(), left))
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

    fn to_tantivy(&self, d: &IndexDoc, owner: &str) -> TantivyDocument {
        let f = &self.f;
        let li = LANGS.iter().position(|l| *l == d.lang).unwrap_or(0);
        let mut doc = doc!(
            f.owner => owner,
            f.record => d.kind_of_record,
            f.slug => d.slug.clone(),
            f.url => d.url.clone(),
            f.display_title => d.title.split(" · ").next().unwrap_or_default(),
            f.lang => d.lang.clone(),
            f.title[li] => d.title.clone(),
            // Two values: a phrase never runs from the title into the text.
            f.text[li] => d.title.clone(),
            f.text[li] => d.body.clone(),
            f.snippet_text => truncate_chars(&d.body, SNIPPET_SOURCE_CHARS),
            f.tiebreak => stable_hash(&d.id),
        );
        doc.add_facet(f.facets, Facet::from_path(["type", d.kind_of_record]));
        doc.add_facet(f.facets, Facet::from_path(["lang", d.lang.as_str()]));
        if let Some(k) = &d.kind {
            doc.add_text(f.kind, k);
            doc.add_facet(f.facets, Facet::from_path(["kind", k.as_str()]));
        }
        for b in &d.bodies {
            doc.add_facet(f.facets, Facet::from_path(["body", b.as_str()]));
        }
        for p in &d.people {
            doc.add_text(f.people, p);
        }
        for s in &d.dossiers {
            doc.add_facet(f.facets, Facet::from_path(["dossier", s.as_str()]));
        }
        if let Some(date) = d.date {
            doc.add_text(f.date, date.to_string());
            doc.add_i64(f.date_lo, date.earliest());
            doc.add_i64(f.date_hi, date.latest());
            match year_span(date.earliest(), date.latest()) {
                Some((a, b)) => {
                    for y in a..=b {
                        doc.add_text(f.years, y.to_string());
                    }
                }
                None => doc.add_text(f.years, WIDE),
            }
            if let Some(y) = date.year() {
                doc.add_facet(f.facets, Facet::from_path(["year", &y.to_string()]));
                doc.add_facet(
                    f.facets,
                    Facet::from_path(["decade", &format!("{}s", y - y.rem_euclid(10))]),
                );
            }
        }
        doc
    }

    /// Runs a search.
    ///
    /// Relevance order is found in two steps: the query over the text fields ranks the
    /// records by BM25 (pruned by block-max WAND where it can be), then title matches and
    /// the words as an exact phrase add their bonus to the best [`RERANK_WINDOW`] of them
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

    /// Runs a parsed query: at most `query::MAX_DEPTH` deep, or one more for
    /// [`SearchIndex::search_also`]'s filter.
    fn search_tree(&self, req: &SearchRequest, node: Node) -> Result<SearchResults, SearchError> {
        debug_assert!(query::depth(&node) <= query::MAX_DEPTH + 1);
        let searcher = self.reader.searcher();
        let (q, bonus, plain_words, filtered) = {
            let syn = self.synonyms.read().unwrap_or_else(|p| p.into_inner());
            let b = Builder {
                index: self,
                syn: &syn,
                searcher: &searcher,
            };
            let plain = b.plain_words(&node) && !b.few_together(&node)?;
            let dense = if plain { b.dense_words(&node)? } else { None };
            let filtered = match req.sort {
                Sort::Relevance => b.filtered_words(&node)?,
                _ => None,
            };
            (
                b.build(&node)?,
                b.bonus(&node)?,
                plain.then_some(dense),
                filtered,
            )
        };
        let per_page = req.per_page.clamp(1, 100);
        let page = req.page.max(1);
        let offset = (page - 1) * per_page;
        let top = TopDocs::with_limit(per_page).and_offset(offset);
        let (addresses, total): (Vec<(f32, DocAddress)>, usize) = match req.sort {
            Sort::Relevance if has_text(&node) => {
                let wanted = (offset + per_page).max(RERANK_WINDOW);
                let window = TopDocs::with_limit(wanted);
                let (candidates, total) = if let Some(plan) = &filtered {
                    // Words pruned under a bitset of what the filters allow, or phrases and
                    // names checked on each record the filters allow.
                    let window = wanted;
                    if plan.units.is_empty() {
                        bitsets::search(&searcher, plan, window)?
                    } else {
                        bitsets::search_units(&searcher, plan, window)?
                    }
                } else if let Some(dense) = plain_words {
                    // Block-max WAND skips what cannot reach the window; counting apart
                    // is then cheaper than visiting every match.
                    let docs = searcher.search(&q, &window.order_by_score())?;
                    let total = match dense {
                        Some(words) => bitsets::count_words(&searcher, &words.words, words.all)?,
                        None => q.count(&searcher)?,
                    };
                    (docs, total)
                } else {
                    // Phrases, filters and exclusions visit every match anyway: one pass.
                    searcher.search(&q, &(window.order_by_score(), Count))?
                };
                let mut candidates = candidates;
                let rest = candidates.split_off(candidates.len().min(RERANK_WINDOW));
                let mut ranked = self.rerank(&searcher, candidates, &bonus)?;
                ranked.extend(rest);
                (
                    ranked.into_iter().skip(offset).take(per_page).collect(),
                    total,
                )
            }
            // Filters only: every score is equal, so order by a stable key instead of by
            // position in the index (which differs between two builds of the same data).
            Sort::Relevance if filtered.is_some() => {
                let plan = filtered.as_ref().expect("checked");
                bitsets::filter_only(&searcher, plan, offset, per_page, tiebreak_column)?
            }
            Sort::Relevance => {
                let ranked = top.tweak_score(|segment: &tantivy::SegmentReader| {
                    let tiebreak = tiebreak_column(segment);
                    move |doc: tantivy::DocId, score: tantivy::Score| {
                        (score, tiebreak.as_ref().map_or(0, |c| c.get_val(doc)))
                    }
                });
                let (docs, total) = searcher.search(&q, &(ranked, Count))?;
                (
                    docs.into_iter().map(|((score, _), a)| (score, a)).collect(),
                    total,
                )
            }
            Sort::Date | Sort::DateDesc => {
                let ascending = req.sort == Sort::Date;
                let ranked = top.tweak_score(move |segment: &tantivy::SegmentReader| {
                    let dates = segment.fast_fields().i64("date_lo").ok();
                    let tiebreak = tiebreak_column(segment);
                    move |doc: tantivy::DocId, _score: tantivy::Score| {
                        // Undated records come last either way.
                        let date = dates.as_ref().and_then(|c| c.first(doc));
                        let primary = match date {
                            Some(d) if ascending => -d,
                            Some(d) => d,
                            None => i64::MIN,
                        };
                        (primary, tiebreak.as_ref().map_or(0, |c| c.get_val(doc)))
                    }
                });
                let (docs, total) = searcher.search(&q, &(ranked, Count))?;
                (docs.into_iter().map(|(_, a)| (0.0, a)).collect(), total)
            }
        };
        let facets = if req.facets {
            self.facets(&searcher, &q)?
        } else {
            Facets::default()
        };
        let mut generators: HashMap<usize, SnippetGenerator> = HashMap::new();
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, addr) in addresses {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let text = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let lang = text(self.f.lang);
            let li = LANGS.iter().position(|l| *l == lang).unwrap_or(0);
            let generator = match generators.entry(li) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(self.snippet_generator(&searcher, &*q, li)?)
                }
            };
            // The stored head of the text: tokenising a 100 KB text for every hit would
            // cost more than the search itself.
            let head = text(self.f.snippet_text);
            // The first part of the text first: the words are usually there (always, for
            // common words), and tokenising 20,000 characters of ten texts is slow.
            let lead = truncate_chars(&head, SNIPPET_FIRST_TRY);
            let mut snippet = generator.snippet(lead);
            if snippet.highlighted().is_empty() && lead.len() < head.len() {
                snippet = generator.snippet(&head);
            }
            snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            let mut html = snippet.to_html();
            if html.is_empty() && !head.is_empty() {
                let lead: String = head.chars().take(200).collect();
                html = escape_html(&lead);
                if lead.len() < head.len() {
                    html.push('…');
                }
            }
            let date = text(self.f.date);
            let kind = text(self.f.kind);
            hits.push(Hit {
                record: text(self.f.record),
                slug: text(self.f.slug),
                title: text(self.f.display_title),
                url: text(self.f.url),
                date: (!date.is_empty()).then_some(date),
                kind: (!kind.is_empty()).then_some(kind),
                snippet: html,
                score,
            });
        }
        let suggestion = if total == 0 {
            self.suggest(&searcher, &req.query, &node)?
        } else {
            None
        };
        Ok(SearchResults {
            query: req.query.clone(),
            total,
            page,
            per_page,
            hits,
            facets,
            suggestion,
        })
    }

    /// Highlights the query's terms of the text field of language `li`. As tantivy's
    /// `SnippetGenerator::create` (terms weighted by rarity), but with an analyser that
    /// stems only the words that can become one of the terms (see [`GatedStemmer`]):
    /// stemming every word of ten stored texts was most of a rare word's search.
    fn snippet_generator(
        &self,
        searcher: &tantivy::Searcher,
        q: &dyn Query,
        li: usize,
    ) -> Result<SnippetGenerator, SearchError> {
        let field = self.f.text[li];
        let mut terms: Vec<Term> = Vec::new();
        q.query_terms(&mut |t, _| {
            if t.field() == field {
                terms.push(t.clone());
            }
        });
        terms.sort();
        terms.dedup();
        let mut weighted: BTreeMap<String, f32> = BTreeMap::new();
        for t in &terms {
            let value = t.value();
            let Some(text) = value.as_str() else {
                continue;
            };
            let df = searcher.doc_freq(t)?;
            if df > 0 {
                weighted.insert(text.to_string(), 1.0 / (1.0 + df as f32));
            }
        }
        let first = weighted.keys().filter_map(|k| k.chars().next());
        let base = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser);
        let analyzer = match LANGS[li] {
            "fr" => base
                .filter(AsciiFoldingFilter)
                .filter(GatedStemmer::new(frostem::Algorithm::French, first))
                .build(),
            "ru" => base
                .filter(GatedStemmer::new(frostem::Algorithm::Russian, first))
                .build(),
            _ => base
                .filter(GatedStemmer::new(frostem::Algorithm::English, first))
                .build(),
        };
        Ok(SnippetGenerator::new(weighted, analyzer, field, 220))
    }

    /// Adds the bonus queries' scores to each candidate and orders them by the sum, ties
    /// broken by a stable key so that two builds of the same data answer alike.
    fn rerank(
        &self,
        searcher: &tantivy::Searcher,
        candidates: Vec<(f32, DocAddress)>,
        bonus: &[(BoxedQuery, f32)],
    ) -> Result<Vec<(f32, DocAddress)>, SearchError> {
        let scoring = tantivy::query::EnableScoring::enabled_from_searcher(searcher);
        let weights = bonus
            .iter()
            .map(|(q, boost)| Ok((q.weight(scoring)?, *boost)))
            .collect::<Result<Vec<_>, SearchError>>()?;
        let mut by_segment: BTreeMap<u32, Vec<(tantivy::DocId, f32)>> = BTreeMap::new();
        for (score, addr) in candidates {
            by_segment
                .entry(addr.segment_ord)
                .or_default()
                .push((addr.doc_id, score));
        }
        let mut ranked: Vec<(f32, u64, DocAddress)> = Vec::new();
        for (segment_ord, mut docs) in by_segment {
            docs.sort_unstable_by_key(|(doc, _)| *doc);
            let segment = searcher.segment_reader(segment_ord);
            let tiebreak = tiebreak_column(segment);
            // Each scorer with the lowest document it may still be on: `seek_danger` asks
            // about one document only, and after a miss only says where to look next.
            let mut scorers = weights
                .iter()
                .map(|(w, boost)| {
                    let scorer = w.scorer(segment, *boost)?;
                    let first = scorer.doc();
                    Ok((scorer, first))
                })
                .collect::<Result<Vec<_>, SearchError>>()?;
            for (doc, score) in docs {
                let mut total = score;
                for (scorer, lower) in scorers.iter_mut() {
                    if doc < *lower {
                        continue;
                    }
                    match scorer.seek_danger(doc) {
                        tantivy::SeekDangerResult::Found => {
                            total += scorer.score();
                            *lower = doc + 1;
                        }
                        tantivy::SeekDangerResult::SeekLowerBound(next) => *lower = next,
                    }
                }
                let key = tiebreak.as_ref().map_or(0, |c| c.get_val(doc));
                ranked.push((total, key, DocAddress::new(segment_ord, doc)));
            }
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)));
        Ok(ranked.into_iter().map(|(s, _, a)| (s, a)).collect())
    }

    fn facets(&self, searcher: &tantivy::Searcher, q: &dyn Query) -> Result<Facets, SearchError> {
        let mut collector = FacetCollector::for_field("facets");
        for root in [
            "/type", "/kind", "/decade", "/year", "/body", "/dossier", "/lang",
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
            if root == "/year" || root == "/decade" {
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
            dossier: list("/dossier"),
            lang: list("/lang"),
        })
    }

    /// For a query that found nothing: each word the index does not know, replaced by the
    /// nearest word it does know (at most two edits, then a word of the same length, then
    /// the commoner), if any.
    ///
    /// The index keeps stems, not words: the typed word's stem is compared with the stems of
    /// its language's dictionary, and the stem found is turned back into a word by reading
    /// a record that has it (the word there with that stem that is closest to what was
    /// typed). Keeping every word a second time, unstemmed, only for this, cost a quarter
    /// of the indexing time.
    fn suggest(
        &self,
        searcher: &tantivy::Searcher,
        original: &str,
        node: &Node,
    ) -> Result<Option<String>, SearchError> {
        let mut replaced = original.to_string();
        let mut changed = false;
        for word in query::positive_terms(node) {
            let lower = word.to_lowercase();
            if lower.chars().count() < 3 || !lower.chars().all(|c| c.is_alphanumeric()) {
                continue;
            }
            let mut stems = Vec::new();
            let mut known = false;
            for &field in self.f.text.iter() {
                let mut analyzer = self.index.tokenizer_for_field(field)?;
                let mut stream = analyzer.token_stream(&lower);
                if stream.advance() {
                    let stem = stream.token().text.clone();
                    known |= searcher.doc_freq(&Term::from_field_text(field, &stem))? > 0;
                    stems.push((field, stem));
                }
            }
            if known {
                continue;
            }
            // (edits, length difference, rarer first reversed) and where the stem was found.
            let mut best: Option<((usize, usize, u64), Field, String)> = None;
            for (field, stem) in &stems {
                for segment in searcher.segment_readers() {
                    let inverted = segment.inverted_index(*field)?;
                    let mut stream = inverted.terms().stream().map_err(io_err(&self.dir))?;
                    while stream.advance() {
                        let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                            continue;
                        };
                        if candidate.len().abs_diff(stem.len()) > 2 {
                            continue;
                        }
                        let distance = strsim::damerau_levenshtein(stem, candidate);
                        if distance == 0 || distance > 2 {
                            continue;
                        }
                        let freq = stream.value().doc_freq as u64;
                        let rank = (
                            distance,
                            candidate.len().abs_diff(stem.len()),
                            u64::MAX - freq,
                        );
                        if best.as_ref().is_none_or(|b| rank < b.0) {
                            best = Some((rank, *field, candidate.to_string()));
                        }
                    }
                }
            }
            if let Some((_, field, stem)) = best {
                if let Some(fix) = self.word_of_stem(searcher, field, &stem, &lower)? {
                    replaced = replace_word(&replaced, &word, &fix);
                    changed = true;
                }
            }
        }
        Ok(changed.then_some(replaced))
    }

    /// A word of the indexed texts whose stem (in `field`'s language) is `stem`: the one
    /// closest to `typed` in the first records that have the stem.
    fn word_of_stem(
        &self,
        searcher: &tantivy::Searcher,
        field: Field,
        stem: &str,
        typed: &str,
    ) -> Result<Option<String>, SearchError> {
        let term = Term::from_field_text(field, stem);
        let mut analyzer = self.index.tokenizer_for_field(field)?;
        let mut words = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .build();
        let mut best: Option<(usize, String)> = None;
        let mut read = 0;
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let inverted = segment.inverted_index(field)?;
            let Some(mut postings) = inverted
                .read_postings(&term, IndexRecordOption::Basic)
                .map_err(|e| SearchError::Index(e.into()))?
            else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != tantivy::TERMINATED && read < 5 {
                read += 1;
                let stored: TantivyDocument = searcher.doc(DocAddress::new(ord as u32, doc))?;
                for f in [self.f.display_title, self.f.snippet_text] {
                    let text = stored
                        .get_first(f)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default();
                    let mut stream = words.token_stream(text);
                    while stream.advance() {
                        let w = stream.token().text.clone();
                        let same_stem = {
                            let mut s = analyzer.token_stream(&w);
                            s.advance() && s.token().text == stem
                        };
                        if same_stem {
                            let d = strsim::damerau_levenshtein(typed, &w);
                            if best.as_ref().is_none_or(|b| d < b.0) {
                                best = Some((d, w));
                            }
                        }
                    }
                }
                if best.is_some() {
                    return Ok(best.map(|b| b.1));
                }
                doc = postings.advance();
            }
        }
        Ok(best.map(|b| b.1))
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

/// The term of facet `/dim/value`: what a filter on that value matches.
fn facet_term(f: &Fields, dim: &str, value: &str) -> Term {
    Term::from_facet(f.facets, &Facet::from_path([dim, value]))
}

/// Whether the query has words or phrases to rank by (not only filters and exclusions).
fn has_text(node: &Node) -> bool {
    match node {
        Node::Word(_) | Node::Phrase(_) => true,
        Node::And(v) | Node::Or(v) => v.iter().any(has_text),
        Node::Not(_) | Node::Filter(_) => false,
    }
}

/// How many of the best records by BM25 get the title and phrase bonus (on every page:
/// a window that moved with the page would order records differently page by page).
const RERANK_WINDOW: usize = 30;

/// Turns a parsed query into tantivy queries against one searcher (it asks the searcher
/// which language fields know a term, so that a word becomes one term query wherever it
/// can: the shape that tantivy prunes best).
struct Builder<'a> {
    index: &'a SearchIndex,
    syn: &'a Synonyms,
    searcher: &'a tantivy::Searcher,
}

impl Builder<'_> {
    /// The tantivy query for a tree. Recursive: one level per level of the tree, which
    /// `query::parse` bounds by `query::MAX_DEPTH`.
    fn build(&self, node: &Node) -> Result<BoxedQuery, SearchError> {
        Ok(match node {
            Node::Word(w) => self.words_or_synonyms(std::slice::from_ref(w), &self.index.f.text)?,
            Node::Phrase(p) => self.words_or_synonyms(p, &self.index.f.text)?,
            Node::Or(items) => {
                let clauses = items
                    .iter()
                    .map(|n| Ok((Occur::Should, self.build(n)?)))
                    .collect::<Result<Vec<_>, SearchError>>()?;
                Box::new(BooleanQuery::new(clauses))
            }
            Node::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as BoxedQuery),
                (Occur::MustNot, self.build(inner)?),
            ])),
            Node::Filter(f) => {
                let mut parts = self.filter(f)?;
                let q: BoxedQuery = if parts.len() == 1 {
                    parts.remove(0)
                } else {
                    Box::new(BooleanQuery::new(
                        parts.into_iter().map(|q| (Occur::Must, q)).collect(),
                    ))
                };
                Box::new(ConstScoreQuery::new(q, 0.0))
            }
            Node::And(items) => {
                let mut clauses: Vec<(Occur, BoxedQuery)> = Vec::new();
                let mut i = 0;
                while i < items.len() {
                    // Runs of bare words that name a body ("permanent joint council") expand.
                    if let Some((len, q)) = self.synonym_run(&items[i..])? {
                        clauses.push((Occur::Must, q));
                        i += len;
                        continue;
                    }
                    match &items[i] {
                        Node::Not(inner) => clauses.push((Occur::MustNot, self.build(inner)?)),
                        // Filters join the intersection directly (each part scoring 0), so
                        // the text leads and the filters are only asked about its matches.
                        Node::Filter(f) => {
                            for part in self.filter(f)? {
                                let q: BoxedQuery = Box::new(ConstScoreQuery::new(part, 0.0));
                                clauses.push((Occur::Must, q));
                            }
                        }
                        other => clauses.push((Occur::Must, self.build(other)?)),
                    }
                    i += 1;
                }
                if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
        })
    }

    /// Whether the query is bare words joined by AND or by OR, none naming a body: the
    /// shape block-max WAND can prune.
    fn plain_words(&self, node: &Node) -> bool {
        let bare = |n: &Node| match n {
            Node::Word(w) => !self.syn.names.contains_key(&w.to_lowercase()),
            _ => false,
        };
        match node {
            Node::Word(_) => bare(node),
            Node::Or(items) => items.iter().all(bare),
            Node::And(items) => {
                items.iter().all(bare)
                    && (0..items.len()).all(|i| self.synonym_run_len(&items[i..]).is_none())
            }
            _ => false,
        }
    }

    /// Records in the index, deleted ones included (what a posting list's length is
    /// measured against).
    fn max_doc(&self) -> u64 {
        self.searcher
            .segment_readers()
            .iter()
            .map(|s| s.max_doc() as u64)
            .sum()
    }

    /// Whether the query is words that must all match, one of them rare (in at most
    /// 1/[`FEW_FRACTION`] of the records): the matches are then few, and scoring each in
    /// one pass that also counts them beats a pruned search plus a second, counting pass.
    fn few_together(&self, node: &Node) -> Result<bool, SearchError> {
        let Node::And(items) = node else {
            return Ok(false);
        };
        let max_doc = self.max_doc();
        for item in items {
            let Node::Word(w) = item else {
                return Ok(false);
            };
            let mut df = 0u64;
            for &field in self.index.f.text.iter() {
                for t in self.terms(field, w)? {
                    df += self.searcher.doc_freq(&t)?;
                }
            }
            if df * FEW_FRACTION <= max_doc {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// For bare words joined by AND or OR whose postings are long, each word's terms (one
    /// per language that knows it) and whether all words must match; `None` where
    /// tantivy's own count is as fast (a single word, a short list to seek in).
    fn dense_words(&self, node: &Node) -> Result<Option<DenseWords>, SearchError> {
        let (items, all) = match node {
            Node::And(items) => (items, true),
            Node::Or(items) => (items, false),
            _ => return Ok(None),
        };
        let max_doc = self.max_doc();
        let mut words = Vec::new();
        let mut freqs = Vec::new();
        for item in items {
            let Node::Word(w) = item else {
                return Ok(None);
            };
            let mut terms = Vec::new();
            let mut freq = 0u64;
            for &field in self.index.f.text.iter() {
                let mut t = self.terms(field, w)?;
                if t.len() != 1 {
                    return Ok(None);
                }
                let df = self.searcher.doc_freq(&t[0])?;
                if df > 0 {
                    freq += df;
                    terms.push(t.remove(0));
                }
            }
            words.push(terms);
            freqs.push(freq);
        }
        let decisive = if all {
            freqs.iter().copied().min().unwrap_or(0)
        } else {
            freqs.iter().sum()
        };
        Ok((decisive * DENSE_FRACTION >= max_doc).then_some(DenseWords { words, all }))
    }

    /// What re-ranks the best candidates: each word, phrase or name of the query found in
    /// a title (three times the weight of the text; a body's other names count as its
    /// name), and bare words found together as an exact phrase. Returned as single term or
    /// phrase queries, each with its weight: a candidate's bonus is the sum of those it
    /// matches, and each is asked about the candidates alone (a union would look past
    /// them for its next phrase match).
    fn bonus(&self, node: &Node) -> Result<Vec<(BoxedQuery, f32)>, SearchError> {
        let mut leaves: Vec<(BoxedQuery, f32)> = Vec::new();
        let mut units = Vec::new();
        self.units(node, &mut units);
        units.dedup();
        for unit in &units {
            for l in self.words_or_synonyms_leaves(unit, &self.index.f.title)? {
                leaves.push((l.query, 3.0));
            }
        }
        let bare: Vec<String> = match node {
            Node::And(items) => items
                .iter()
                .filter_map(|n| match n {
                    Node::Word(w) => Some(w.clone()),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        };
        if bare.len() >= 2 {
            for l in self.text_query_leaves(&bare, &self.index.f.text)? {
                leaves.push((l.query, 2.0));
            }
        }
        Ok(leaves)
    }

    /// The words, phrases and runs of words naming a body that the query looks for.
    fn units(&self, node: &Node, out: &mut Vec<Vec<String>>) {
        match node {
            Node::Word(w) => out.push(vec![w.clone()]),
            Node::Phrase(p) => out.push(p.clone()),
            Node::Or(items) => items.iter().for_each(|n| self.units(n, out)),
            Node::And(items) => {
                let mut i = 0;
                while i < items.len() {
                    if let Some(len) = self.synonym_run_len(&items[i..]) {
                        out.push(
                            items[i..i + len]
                                .iter()
                                .filter_map(|n| match n {
                                    Node::Word(w) => Some(w.clone()),
                                    _ => None,
                                })
                                .collect(),
                        );
                        i += len;
                    } else {
                        self.units(&items[i], out);
                        i += 1;
                    }
                }
            }
            Node::Not(_) | Node::Filter(_) => {}
        }
    }

    /// The longest run (2+ words) at the start of `items` that names a body, expanded.
    fn synonym_run(&self, items: &[Node]) -> Result<Option<(usize, BoxedQuery)>, SearchError> {
        let Some(len) = self.synonym_run_len(items) else {
            return Ok(None);
        };
        let words: Vec<String> = items[..len]
            .iter()
            .filter_map(|n| match n {
                Node::Word(w) => Some(w.clone()),
                _ => None,
            })
            .collect();
        Ok(Some((
            len,
            self.words_or_synonyms(&words, &self.index.f.text)?,
        )))
    }

    /// The length of the longest run (2+ bare words) at the start of `items` naming a body.
    fn synonym_run_len(&self, items: &[Node]) -> Option<usize> {
        let words: Vec<&str> = items
            .iter()
            .take(self.syn.longest)
            .map_while(|n| {
                if let Node::Word(w) = n {
                    Some(w.as_str())
                } else {
                    None
                }
            })
            .collect();
        (2..=words.len()).rev().find(|&len| {
            self.syn
                .names
                .contains_key(&words[..len].join(" ").to_lowercase())
        })
    }

    /// Words as a phrase in `fields`, or, when they name a body, any of its names.
    fn words_or_synonyms(
        &self,
        words: &[String],
        fields: &[Field; 3],
    ) -> Result<BoxedQuery, SearchError> {
        Ok(any_of(
            self.words_or_synonyms_leaves(words, fields)?
                .into_iter()
                .map(|l| l.query)
                .collect(),
        ))
    }

    /// The term and phrase queries of [`words_or_synonyms`](Self::words_or_synonyms), each
    /// with its terms (the bitset path reads their postings).
    fn words_or_synonyms_leaves(
        &self,
        words: &[String],
        fields: &[Field; 3],
    ) -> Result<Vec<Leaf>, SearchError> {
        let key = words.join(" ").to_lowercase();
        let mut alternatives = self.text_query_leaves(words, fields)?;
        if let Some(names) = self.syn.names.get(&key) {
            for n in names {
                let ws: Vec<String> = n.split_whitespace().map(str::to_string).collect();
                alternatives.extend(self.text_query_leaves(&ws, fields)?);
            }
        }
        Ok(alternatives)
    }

    /// The words in the field (of `fields`, one per language) of each language that knows
    /// them all, as a term or a phrase (none if no language does).
    fn text_query_leaves(
        &self,
        words: &[String],
        fields: &[Field; 3],
    ) -> Result<Vec<Leaf>, SearchError> {
        let text = words.join(" ");
        let mut per_lang = Vec::new();
        'langs: for &field in fields.iter() {
            let terms = self.terms(field, &text)?;
            for t in &terms {
                if !self.known(t)? {
                    continue 'langs;
                }
            }
            let query: BoxedQuery = match terms.len() {
                0 => continue,
                1 => Box::new(TermQuery::new(
                    terms[0].clone(),
                    IndexRecordOption::WithFreqs,
                )),
                _ => Box::new(PhraseQuery::new(terms.clone())),
            };
            per_lang.push(Leaf { terms, query });
        }
        Ok(per_lang)
    }

    /// `text` as the terms the field's analyser makes of it.
    fn terms(&self, field: Field, text: &str) -> Result<Vec<Term>, SearchError> {
        let mut analyzer = self.index.index.tokenizer_for_field(field)?;
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(Term::from_field_text(field, &stream.token().text));
        }
        Ok(terms)
    }

    /// Whether any indexed record has the term.
    fn known(&self, term: &Term) -> Result<bool, SearchError> {
        Ok(self.searcher.doc_freq(term)? > 0)
    }

    /// A query of bare words with filters or exclusions (`saba body:pjc`, `foba NOT gaba`,
    /// `kind:treaty date:1950..1955`), as words to search pruned under a bitset of what
    /// the rest allows; `None` for any other shape (phrases, OR, names of bodies…).
    fn filtered_words(&self, node: &Node) -> Result<Option<FilteredWords>, SearchError> {
        let items: &[Node] = match node {
            Node::And(items) => items,
            Node::Filter(_) => std::slice::from_ref(node),
            _ => return Ok(None),
        };
        let mut constraints = Vec::new();
        // The words, phrases and names to find, each as the words it is made of.
        let mut texts: Vec<(Node, Vec<String>)> = Vec::new();
        let mut i = 0;
        while i < items.len() {
            if let Some(len) = self.synonym_run_len(&items[i..]) {
                let words = items[i..i + len]
                    .iter()
                    .filter_map(|n| match n {
                        Node::Word(w) => Some(w.clone()),
                        _ => None,
                    })
                    .collect();
                texts.push((Node::And(items[i..i + len].to_vec()), words));
                i += len;
                continue;
            }
            match &items[i] {
                Node::Word(w) => texts.push((items[i].clone(), vec![w.clone()])),
                Node::Phrase(p) => texts.push((items[i].clone(), p.clone())),
                Node::Filter(f) => constraints.push(self.constraint(f, false)),
                Node::Not(inner) => match &**inner {
                    Node::Filter(f) => constraints.push(self.constraint(f, true)),
                    Node::Word(w) => match self.word_terms(w)? {
                        None => return Ok(None),
                        Some(terms) if terms.is_empty() => {}
                        Some(terms) => constraints.push(Constraint::AnyTerm {
                            terms,
                            negate: true,
                        }),
                    },
                    _ => return Ok(None),
                },
                _ => return Ok(None),
            }
            i += 1;
        }
        if constraints.is_empty() {
            return Ok(None);
        }
        let plain = texts.iter().all(
            |(n, _)| matches!(n, Node::Word(w) if !self.syn.names.contains_key(&w.to_lowercase())),
        );
        if plain {
            let mut words = Vec::new();
            for (_, w) in &texts {
                match self.word_terms(&w[0])? {
                    Some(terms) if !terms.is_empty() => words.push(terms),
                    // Not one token, or unknown: the usual path (which finds nothing).
                    _ => return Ok(None),
                }
            }
            let nodes: Vec<Node> = texts.into_iter().map(|(n, _)| n).collect();
            let text = match nodes.len() {
                0 => None,
                1 => Some(self.build(&nodes[0])?),
                _ => Some(self.build(&Node::And(nodes))?),
            };
            return Ok(Some(FilteredWords {
                words,
                text,
                units: Vec::new(),
                constraints,
            }));
        }
        // Phrases or names of bodies: each record the filters allow is checked and scored
        // one by one, leaf by leaf.
        let mut units = Vec::new();
        for (_, words) in &texts {
            let leaves = self.words_or_synonyms_leaves(words, &self.index.f.text)?;
            if leaves.is_empty() {
                return Ok(None);
            }
            units.push(leaves);
        }
        Ok(Some(FilteredWords {
            words: Vec::new(),
            text: None,
            units,
            constraints,
        }))
    }

    /// A bare word's terms, one per language whose dictionary has it; `None` if the word
    /// names a body (it expands) or is more than one token in some language (a phrase).
    fn word_terms(&self, w: &str) -> Result<Option<Vec<Term>>, SearchError> {
        if self.syn.names.contains_key(&w.to_lowercase()) {
            return Ok(None);
        }
        let mut out = Vec::new();
        for &field in self.index.f.text.iter() {
            let mut terms = self.terms(field, w)?;
            if terms.len() != 1 {
                return Ok(None);
            }
            if self.known(&terms[0])? {
                out.push(terms.remove(0));
            }
        }
        Ok(Some(out))
    }

    /// A filter as a condition for [`bitsets`].
    fn constraint(&self, f: &Filter, negate: bool) -> Constraint {
        let fields = &self.index.f;
        let any = |terms: Vec<Term>| Constraint::AnyTerm { terms, negate };
        let facet = |dim: &str, value: &str| any(vec![facet_term(fields, dim, value)]);
        match f {
            Filter::Kind(k) => facet("kind", k),
            Filter::Type(t) => facet("type", t),
            Filter::Lang(l) => facet("lang", l),
            Filter::Dossier(d) => facet("dossier", d),
            Filter::Body(b) => facet("body", &self.body_slug(b)),
            Filter::Person(p) => any(self
                .person_slugs(p)
                .iter()
                .map(|s| Term::from_field_text(fields.people, s))
                .collect()),
            Filter::Date { from, to } => Constraint::Date {
                from: *from,
                to: *to,
                years: year_span(*from, *to).map(|(a, b)| {
                    let term = |y: &str| Term::from_field_text(fields.years, y);
                    // A year the range covers from 1 January to 31 December.
                    let whole = |y: i64| *from <= y * 10_000 + 101 && *to >= y * 10_000 + 1231;
                    let (inside, edges): (Vec<i64>, Vec<i64>) = (a..=b).partition(|&y| whole(y));
                    (
                        inside.iter().map(|y| term(&y.to_string())).collect(),
                        edges
                            .iter()
                            .map(|y| term(&y.to_string()))
                            .chain([term(WIDE)])
                            .collect(),
                    )
                }),
                negate,
            },
        }
    }

    /// The slug of the body a `body:` filter names (by slug, name, acronym or alias).
    fn body_slug(&self, b: &str) -> String {
        self.syn
            .bodies
            .get(&b.to_lowercase())
            .cloned()
            .unwrap_or_else(|| b.to_lowercase())
    }

    /// The slugs of the people a `person:` filter names (by slug, a part of it, or a part
    /// of the name); the text itself if no one is named so.
    fn person_slugs(&self, p: &str) -> Vec<String> {
        let needle = p.to_lowercase();
        let slugs: Vec<String> = self
            .syn
            .people
            .iter()
            .filter(|(slug, name)| {
                *slug == needle || slug.split('-').any(|x| x == needle) || name.contains(&needle)
            })
            .map(|(slug, _)| slug.clone())
            .collect();
        if slugs.is_empty() {
            vec![needle]
        } else {
            slugs
        }
    }

    /// The parts of a filter, each a query that must match (a date range is two).
    fn filter(&self, f: &Filter) -> Result<Vec<BoxedQuery>, SearchError> {
        let fields = &self.index.f;
        let term = |field: Field, v: &str| -> BoxedQuery {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        let facet = |dim: &str, value: &str| -> BoxedQuery {
            Box::new(TermQuery::new(
                facet_term(fields, dim, value),
                IndexRecordOption::Basic,
            ))
        };
        Ok(match f {
            Filter::Kind(k) => vec![facet("kind", k)],
            Filter::Type(t) => vec![facet("type", t)],
            Filter::Lang(l) => vec![facet("lang", l)],
            Filter::Dossier(d) => vec![facet("dossier", d)],
            Filter::Body(b) => vec![facet("body", &self.body_slug(b))],
            Filter::Person(p) => vec![any_of(
                self.person_slugs(p)
                    .iter()
                    .map(|s| term(fields.people, s))
                    .collect(),
            )],
            // Any overlap: the record starts before the range ends and ends after it starts.
            Filter::Date { from, to } => {
                let mut parts: Vec<BoxedQuery> = vec![
                    Box::new(RangeQuery::new(
                        Bound::Unbounded,
                        Bound::Included(Term::from_field_i64(fields.date_lo, *to)),
                    )),
                    Box::new(RangeQuery::new(
                        Bound::Included(Term::from_field_i64(fields.date_hi, *from)),
                        Bound::Unbounded,
                    )),
                ];
                // A short range also names its years (and the wide spans that may cover
                // them): a cheap superset that lets the day bounds be checked last.
                if let Some((a, b)) = year_span(*from, *to) {
                    let mut years: Vec<BoxedQuery> = (a..=b)
                        .map(|y| term(fields.years, &y.to_string()))
                        .collect();
                    years.push(term(fields.years, WIDE));
                    parts.insert(0, any_of(years));
                }
                parts
            }
        })
    }
}

/// An AND of words with one in at most 1/`FEW_FRACTION` of the records runs in one pass.
const FEW_FRACTION: u64 = 32;

/// Lists at least 1/`DENSE_FRACTION` of the index long are counted through bitsets.
const DENSE_FRACTION: u64 = 16;

/// Words to count through bitsets: each word's terms, and whether every word must match.
struct DenseWords {
    words: Vec<Vec<Term>>,
    all: bool,
}

/// The most years a date is indexed under one by one (a longer span is `wide`).
const YEAR_TERMS: i64 = 50;
const WIDE: &str = "wide";

/// The years from `YYYYMMDD` to `YYYYMMDD`, if there are at most [`YEAR_TERMS`].
fn year_span(earliest: i64, latest: i64) -> Option<(i64, i64)> {
    if earliest == i64::MIN || latest == i64::MAX {
        return None;
    }
    let (a, b) = (earliest.div_euclid(10_000), latest.div_euclid(10_000));
    (b >= a && b - a < YEAR_TERMS).then_some((a, b))
}

/// Any of the queries (their scores summed), or the one, or none.
fn any_of(mut qs: Vec<BoxedQuery>) -> BoxedQuery {
    match qs.len() {
        0 => Box::new(EmptyQuery),
        1 => qs.remove(0),
        _ => Box::new(BooleanQuery::new(
            qs.into_iter().map(|q| (Occur::Should, q)).collect(),
        )),
    }
}

/// The stable tie-breaking key of each record of a segment.
fn tiebreak_column(
    segment: &tantivy::SegmentReader,
) -> Option<std::sync::Arc<dyn tantivy::columnar::ColumnValues<u64>>> {
    segment
        .fast_fields()
        .u64("tiebreak")
        .map(|c| c.first_or_default_col(0))
        .ok()
}

/// FNV-1a: stable across runs and builds (unlike the standard library's hasher).
fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

fn replace_word(query: &str, word: &str, fix: &str) -> String {
    query
        .split(' ')
        .map(|part| {
            let bare = part.trim_matches(|c: char| c == '"' || c == '(' || c == ')');
            if bare == word {
                part.replacen(bare, fix, 1)
            } else {
                part.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Labels for facet values that are slugs of a vocabulary.
pub fn kind_label(slug: &str) -> Option<&'static str> {
    DocumentKind::from_slug(slug)
        .map(|k| k.label())
        .or_else(|| EventKind::from_slug(slug).map(|k| k.label()))
        .or_else(|| BodyKind::from_slug(slug).map(|k| k.label()))
        .or_else(|| TopicKind::from_slug(slug).map(|k| k.label()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many segments a bulk load leaves after merging `groups` of `n`.
    fn left(n: usize, groups: &[Vec<usize>]) -> usize {
        n - groups.iter().map(|g| g.len() - 1).sum::<usize>()
    }

    #[test]
    fn few_segments_are_not_merged() {
        assert!(merge_groups(&[5, 4, 3, 2], 2).is_empty());
        assert!(merge_groups(&[5], 1).is_empty());
    }

    #[test]
    fn one_core_merges_the_smallest_into_one() {
        let sizes = [9, 8, 7, 3, 2, 1];
        assert_eq!(merge_groups(&sizes, 1), [vec![3, 4, 5]]);
    }

    #[test]
    fn two_cores_merge_two_groups_of_about_equal_size() {
        let sizes = [100, 100, 50, 50, 50, 50, 10];
        let groups = merge_groups(&sizes, 2);
        assert_eq!(groups, [vec![2, 4, 6], vec![3, 5]]);
        assert_eq!(left(sizes.len(), &groups), BULK_MAX_SEGMENTS);
    }

    #[test]
    fn a_large_segment_is_not_merged_for_balance() {
        // The third largest alone outweighs the rest: it stays, and the rest are merged.
        let sizes = [300, 300, 300, 20, 10, 10];
        assert_eq!(merge_groups(&sizes, 2), [vec![3, 4, 5]]);
    }

    #[test]
    fn never_more_than_the_limit_is_left() {
        let mut sizes: Vec<u32> = Vec::new();
        for n in 1..40u32 {
            sizes.push(n.wrapping_mul(2_654_435_761) % 1000 + 1);
            let mut sorted = sizes.clone();
            sorted.sort_by(|a, b| b.cmp(a));
            for cores in 1..6 {
                let groups = merge_groups(&sorted, cores);
                assert!(groups.len() < BULK_MAX_SEGMENTS);
                assert!(left(sorted.len(), &groups) <= BULK_MAX_SEGMENTS);
            }
        }
    }
}
