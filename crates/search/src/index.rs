//! The tantivy index: schema, keeping it in step with the store, and searching it.

use crate::docs::{for_record, IndexDoc, LANGS};
use crate::query::{self, Filter, Node};
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
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, Occur,
    PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing,
    TextOptions, Value, STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{
    doc, DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term,
};

const WRITER_HEAP: usize = 200_000_000;

type BoxedQuery = Box<dyn Query>;

/// How much of a text the snippet is cut from.
const SNIPPET_SOURCE_CHARS: usize = 20_000;
/// How much of a text feeds the spelling vocabulary (enough to learn its words).
const WORDS_SOURCE_CHARS: usize = 4_000;

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

/// Counts of the matching records by kind, decade, year, body, dossier and language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
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
    id: Field,
    owner: Field,
    record: Field,
    slug: Field,
    url: Field,
    display_title: Field,
    date: Field,
    kind: Field,
    bodies: Field,
    people: Field,
    dossiers: Field,
    lang: Field,
    date_lo: Field,
    date_hi: Field,
    /// A stable hash of `id`: breaks ties so that equal scores come out in the same order
    /// from any build of the index.
    tiebreak: Field,
    facets: Field,
    words: Field,
    /// `title_en`, `title_fr`, `title_ru`, in the order of [`LANGS`].
    title: [Field; 3],
    body: [Field; 3],
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored()
    };
    let date_opts = NumericOptions::default().set_indexed().set_fast();
    let f = Fields {
        id: b.add_text_field("id", STRING),
        owner: b.add_text_field("owner", STRING),
        record: b.add_text_field("type", STRING | STORED),
        slug: b.add_text_field("slug", STORED),
        url: b.add_text_field("url", STORED),
        display_title: b.add_text_field("display_title", STORED),
        date: b.add_text_field("date", STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        bodies: b.add_text_field("bodies", STRING),
        people: b.add_text_field("people", STRING),
        dossiers: b.add_text_field("dossiers", STRING),
        lang: b.add_text_field("lang", STRING | STORED),
        date_lo: b.add_i64_field("date_lo", date_opts.clone()),
        date_hi: b.add_i64_field("date_hi", date_opts),
        tiebreak: b.add_u64_field("tiebreak", NumericOptions::default().set_fast()),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        words: b.add_text_field(
            "words",
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("words")
                    .set_index_option(IndexRecordOption::Basic),
            ),
        ),
        title: [
            b.add_text_field("title_en", text("text_en")),
            b.add_text_field("title_fr", text("text_fr")),
            b.add_text_field("title_ru", text("text_ru")),
        ],
        body: [
            b.add_text_field("body_en", text("text_en")),
            b.add_text_field("body_fr", text("text_fr")),
            b.add_text_field("body_ru", text("text_ru")),
        ],
    };
    (b.build(), f)
}

/// English, French and Russian text with their stemmers; `words` keeps words unstemmed
/// for spelling suggestions.
fn register_tokenizers(index: &Index) {
    let base = || {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
    };
    let m = index.tokenizers();
    m.register(
        "text_en",
        base().filter(Stemmer::new(Language::English)).build(),
    );
    m.register(
        "text_fr",
        base()
            .filter(AsciiFoldingFilter)
            .filter(Stemmer::new(Language::French))
            .build(),
    );
    m.register(
        "text_ru",
        base().filter(Stemmer::new(Language::Russian)).build(),
    );
    m.register("words", base().build());
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
    /// During a bulk load the writer (and its lock) is kept between syncs; otherwise it
    /// is released after each sync so that another process can update the index.
    bulk_writer: std::sync::Mutex<Option<IndexWriter<TantivyDocument>>>,
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

    /// Throws the index away and builds it again from the store.
    pub fn rebuild(
        dir: &Path,
        store: &dyn Store,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(Self, SyncReport), SearchError> {
        let index = Self::create(dir)?;
        let mut report = index.sync_with_progress(store, progress)?;
        report.rebuilt = true;
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
        let from = self.applied_seq().unwrap_or(0);
        let last = store.last_change()?;
        *self.synonyms.write().unwrap_or_else(|p| p.into_inner()) = Synonyms::load(store)?;
        if from >= last {
            return Ok(SyncReport {
                applied: 0,
                rebuilt: false,
                seq: from,
            });
        }
        let total = (last - from) as u64;
        let mut bulk = self.bulk_writer.lock().unwrap_or_else(|p| p.into_inner());
        let mut own = None;
        let writer: &mut IndexWriter<TantivyDocument> = match bulk.as_mut() {
            Some(w) => w,
            None => own.insert(self.writer()?),
        };
        let mut seq = from;
        let mut applied = 0u64;
        loop {
            let changes = store.changes_since(seq, CHANGES_PER_READ)?;
            let Some(tail) = changes.last() else { break };
            let next_seq = tail.seq;
            // Only the latest state of each record matters.
            let mut latest: BTreeMap<(RecordType, &str), ChangeOp> = BTreeMap::new();
            for c in &changes {
                latest.insert((c.record, c.slug.as_str()), c.op);
            }
            for ((record, slug), op) in latest {
                let owner = format!("{}:{slug}", record.as_str());
                writer.delete_term(Term::from_field_text(self.f.owner, &owner));
                if op == ChangeOp::Upsert {
                    for d in for_record(store, record, slug)? {
                        writer.add_document(self.to_tantivy(&d, &owner))?;
                    }
                }
            }
            applied += changes.len() as u64;
            seq = next_seq;
            progress(applied.min(total), total);
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&seq.to_string());
        commit.commit()?;
        if let Some(w) = own {
            w.wait_merging_threads()?;
        }
        self.reader.reload()?;
        Ok(SyncReport {
            applied,
            rebuilt: false,
            seq,
        })
    }

    /// Starts a bulk load: syncs keep one writer (and the index lock) until
    /// [`end_bulk`](Self::end_bulk), instead of opening and closing one per sync.
    pub fn begin_bulk(&self) -> Result<(), SearchError> {
        let mut bulk = self.bulk_writer.lock().unwrap_or_else(|p| p.into_inner());
        if bulk.is_none() {
            *bulk = Some(self.writer()?);
        }
        Ok(())
    }

    /// Ends a bulk load: waits for segment merges and releases the writer.
    pub fn end_bulk(&self) -> Result<(), SearchError> {
        let writer = self
            .bulk_writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(w) = writer {
            w.wait_merging_threads()?;
            self.reader.reload()?;
        }
        Ok(())
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
            f.id => d.id.clone(),
            f.owner => owner,
            f.record => d.kind_of_record,
            f.slug => d.slug.clone(),
            f.url => d.url.clone(),
            f.display_title => d.title.split(" · ").next().unwrap_or_default(),
            f.lang => d.lang.clone(),
            f.title[li] => d.title.clone(),
            f.body[li] => d.body.clone(),
            f.words => format!("{}\n{}", d.title, truncate_chars(&d.body, WORDS_SOURCE_CHARS)),
            f.tiebreak => stable_hash(&d.id),
        );
        doc.add_facet(f.facets, Facet::from_path(["type", d.kind_of_record]));
        doc.add_facet(f.facets, Facet::from_path(["lang", d.lang.as_str()]));
        if let Some(k) = &d.kind {
            doc.add_text(f.kind, k);
            doc.add_facet(f.facets, Facet::from_path(["kind", k.as_str()]));
        }
        for b in &d.bodies {
            doc.add_text(f.bodies, b);
            doc.add_facet(f.facets, Facet::from_path(["body", b.as_str()]));
        }
        for p in &d.people {
            doc.add_text(f.people, p);
        }
        for s in &d.dossiers {
            doc.add_text(f.dossiers, s);
            doc.add_facet(f.facets, Facet::from_path(["dossier", s.as_str()]));
        }
        if let Some(date) = d.date {
            doc.add_text(f.date, date.to_string());
            doc.add_i64(f.date_lo, date.earliest());
            doc.add_i64(f.date_hi, date.latest());
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
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        let node = query::parse(&req.query)?;
        let (q, counted) = {
            let syn = self.synonyms.read().unwrap_or_else(|p| p.into_inner());
            (self.build_top(&node, &syn)?, self.build(&node, &syn)?)
        };
        let searcher = self.reader.searcher();
        let per_page = req.per_page.clamp(1, 100);
        let page = req.page.max(1);
        let offset = (page - 1) * per_page;
        let top = TopDocs::with_limit(per_page).and_offset(offset);
        let (addresses, total): (Vec<(f32, DocAddress)>, usize) = match req.sort {
            // Text decides the order: block-max WAND prunes the scoring, and the count is
            // taken apart (a single term's count is its document frequency).
            Sort::Relevance if has_text(&node) => {
                let docs = searcher.search(&q, &top.order_by_score())?;
                // The phrase bonus changes scores, never membership: count without it.
                (docs, counted.count(&searcher)?)
            }
            // Filters only: every score is equal, so order by a stable key instead of by
            // position in the index (which differs between two builds of the same data).
            Sort::Relevance => {
                let ranked = top.tweak_score(|segment: &tantivy::SegmentReader| {
                    let tiebreak = segment
                        .fast_fields()
                        .u64("tiebreak")
                        .map(|c| c.first_or_default_col(0))
                        .ok();
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
                    let tiebreak = segment
                        .fast_fields()
                        .u64("tiebreak")
                        .map(|c| c.first_or_default_col(0))
                        .ok();
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
                    let mut g = SnippetGenerator::create(&searcher, &*q, self.f.body[li])?;
                    g.set_max_num_chars(220);
                    e.insert(g)
                }
            };
            let body = text(self.f.body[li]);
            // Snippets come from the start of long texts: tokenising a 100 KB text for
            // every hit would cost more than the search itself.
            let head = truncate_chars(&body, SNIPPET_SOURCE_CHARS);
            let mut snippet = generator.snippet(head);
            snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
            let mut html = snippet.to_html();
            if html.is_empty() && !body.is_empty() {
                let lead: String = body.chars().take(200).collect();
                html = escape_html(&lead);
                if lead.len() < body.len() {
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

    fn facets(&self, searcher: &tantivy::Searcher, q: &dyn Query) -> Result<Facets, SearchError> {
        let mut collector = FacetCollector::for_field("facets");
        for root in ["/kind", "/decade", "/year", "/body", "/dossier", "/lang"] {
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
            kind: list("/kind"),
            decade: list("/decade"),
            year: list("/year"),
            body: list("/body"),
            dossier: list("/dossier"),
            lang: list("/lang"),
        })
    }

    /// The query tree as a tantivy query, with a bonus for the words as an exact phrase.
    fn build_top(&self, node: &Node, syn: &Synonyms) -> Result<Box<dyn Query>, SearchError> {
        let main = self.build(node, syn)?;
        let words: Vec<String> = match node {
            Node::And(items) => items
                .iter()
                .filter_map(|n| {
                    if let Node::Word(w) = n {
                        Some(w.clone())
                    } else {
                        None
                    }
                })
                .collect(),
            _ => vec![],
        };
        if words.len() >= 2 {
            if let Some(phrase) = self.text_query(&words, 2.0)? {
                return Ok(Box::new(BooleanQuery::new(vec![
                    (Occur::Must, main),
                    (Occur::Should, phrase),
                ])));
            }
        }
        Ok(main)
    }

    fn build(&self, node: &Node, syn: &Synonyms) -> Result<Box<dyn Query>, SearchError> {
        Ok(match node {
            Node::Word(w) => self.words_or_synonyms(std::slice::from_ref(w), syn)?,
            Node::Phrase(p) => self.words_or_synonyms(p, syn)?,
            Node::Or(items) => {
                let clauses = items
                    .iter()
                    .map(|n| Ok((Occur::Should, self.build(n, syn)?)))
                    .collect::<Result<Vec<_>, SearchError>>()?;
                Box::new(BooleanQuery::new(clauses))
            }
            Node::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, self.build(inner, syn)?),
            ])),
            Node::Filter(f) => Box::new(ConstScoreQuery::new(self.filter(f, syn)?, 0.0)),
            Node::And(items) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                let mut i = 0;
                while i < items.len() {
                    // Runs of bare words that name a body ("permanent joint council") expand.
                    if let Some((len, q)) = self.synonym_run(&items[i..], syn)? {
                        clauses.push((Occur::Must, q));
                        i += len;
                        continue;
                    }
                    match &items[i] {
                        Node::Not(inner) => clauses.push((Occur::MustNot, self.build(inner, syn)?)),
                        other => clauses.push((Occur::Must, self.build(other, syn)?)),
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

    /// The longest run (2+ words) at the start of `items` that names a body, expanded.
    fn synonym_run(
        &self,
        items: &[Node],
        syn: &Synonyms,
    ) -> Result<Option<(usize, BoxedQuery)>, SearchError> {
        let words: Vec<&str> = items
            .iter()
            .take(syn.longest)
            .map_while(|n| {
                if let Node::Word(w) = n {
                    Some(w.as_str())
                } else {
                    None
                }
            })
            .collect();
        for len in (2..=words.len()).rev() {
            let key = words[..len].join(" ").to_lowercase();
            if syn.names.contains_key(&key) {
                let owned: Vec<String> = words[..len].iter().map(|s| s.to_string()).collect();
                return Ok(Some((len, self.words_or_synonyms(&owned, syn)?)));
            }
        }
        Ok(None)
    }

    /// Words as a phrase, or, when they name a body, any of its names.
    fn words_or_synonyms(
        &self,
        words: &[String],
        syn: &Synonyms,
    ) -> Result<Box<dyn Query>, SearchError> {
        let key = words.join(" ").to_lowercase();
        let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
        if let Some(q) = self.text_query(words, 1.0)? {
            alternatives.push(q);
        }
        if let Some(names) = syn.names.get(&key) {
            for n in names {
                let ws: Vec<String> = n.split_whitespace().map(str::to_string).collect();
                if let Some(q) = self.text_query(&ws, 1.0)? {
                    alternatives.push(q);
                }
            }
        }
        Ok(match alternatives.len() {
            0 => Box::new(EmptyQuery),
            1 => alternatives.remove(0),
            _ => Box::new(BooleanQuery::new(
                alternatives
                    .into_iter()
                    .map(|q| (Occur::Should, q))
                    .collect(),
            )),
        })
    }

    /// The words in every text field (titles weigh three times the body), as a term or a
    /// phrase per field; `None` if the analysers leave no token.
    fn text_query(
        &self,
        words: &[String],
        boost: f32,
    ) -> Result<Option<Box<dyn Query>>, SearchError> {
        let text = words.join(" ");
        let mut per_field: Vec<Box<dyn Query>> = Vec::new();
        for (fields, weight) in [(&self.f.title, 3.0f32), (&self.f.body, 1.0)] {
            for &field in fields.iter() {
                let mut analyzer = self.index.tokenizer_for_field(field)?;
                let mut stream = analyzer.token_stream(&text);
                let mut terms = Vec::new();
                while stream.advance() {
                    terms.push(Term::from_field_text(field, &stream.token().text));
                }
                let q: Box<dyn Query> = match terms.len() {
                    0 => continue,
                    1 => Box::new(TermQuery::new(
                        terms.remove(0),
                        IndexRecordOption::WithFreqs,
                    )),
                    _ => Box::new(PhraseQuery::new(terms)),
                };
                per_field.push(Box::new(BoostQuery::new(q, weight * boost)));
            }
        }
        Ok(if per_field.is_empty() {
            None
        } else {
            Some(Box::new(DisjunctionMaxQuery::with_tie_breaker(
                per_field, 0.1,
            )))
        })
    }

    fn filter(&self, f: &Filter, syn: &Synonyms) -> Result<Box<dyn Query>, SearchError> {
        let term = |field: Field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        let any = |qs: Vec<Box<dyn Query>>| -> Box<dyn Query> {
            match qs.len() {
                0 => Box::new(EmptyQuery),
                1 => qs
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| Box::new(EmptyQuery)),
                _ => Box::new(BooleanQuery::new(
                    qs.into_iter().map(|q| (Occur::Should, q)).collect(),
                )),
            }
        };
        Ok(match f {
            Filter::Kind(k) => term(self.f.kind, k),
            Filter::Type(t) => term(self.f.record, t),
            Filter::Lang(l) => term(self.f.lang, l),
            Filter::Dossier(d) => term(self.f.dossiers, d),
            Filter::Body(b) => {
                let slug = syn
                    .bodies
                    .get(&b.to_lowercase())
                    .cloned()
                    .unwrap_or_else(|| b.to_lowercase());
                term(self.f.bodies, &slug)
            }
            Filter::Person(p) => {
                let needle = p.to_lowercase();
                let slugs: Vec<&String> = syn
                    .people
                    .iter()
                    .filter(|(slug, name)| {
                        *slug == needle
                            || slug.split('-').any(|x| x == needle)
                            || name.contains(&needle)
                    })
                    .map(|(slug, _)| slug)
                    .collect();
                if slugs.is_empty() {
                    term(self.f.people, &needle)
                } else {
                    any(slugs.into_iter().map(|s| term(self.f.people, s)).collect())
                }
            }
            Filter::Date { from, to } => Box::new(BooleanQuery::new(vec![
                (
                    Occur::Must,
                    Box::new(RangeQuery::new(
                        Bound::Unbounded,
                        Bound::Included(Term::from_field_i64(self.f.date_lo, *to)),
                    )) as Box<dyn Query>,
                ),
                (
                    Occur::Must,
                    Box::new(RangeQuery::new(
                        Bound::Included(Term::from_field_i64(self.f.date_hi, *from)),
                        Bound::Unbounded,
                    )),
                ),
            ])),
        })
    }

    /// For a query that found nothing: each word the index does not know, replaced by the
    /// most common indexed word within two edits, if any.
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
            if searcher.doc_freq(&Term::from_field_text(self.f.words, &lower))? > 0 {
                continue;
            }
            let mut best: Option<(usize, usize, u64)> = None;
            let mut best_word = String::new();
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(self.f.words)?;
                let mut stream = inverted.terms().stream().map_err(io_err(&self.dir))?;
                while stream.advance() {
                    let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if candidate.len().abs_diff(lower.len()) > 2 {
                        continue;
                    }
                    let distance = strsim::damerau_levenshtein(&lower, candidate);
                    if distance == 0 || distance > 2 {
                        continue;
                    }
                    let freq = stream.value().doc_freq as u64;
                    // Fewer edits first; then a word of the same length (a slip of the
                    // finger) over one that drops or adds letters; then the commoner word.
                    let rank = (
                        distance,
                        candidate.len().abs_diff(lower.len()),
                        u64::MAX - freq,
                    );
                    if best.as_ref().is_none_or(|b| rank < *b) {
                        best = Some(rank);
                        best_word = candidate.to_string();
                    }
                }
            }
            if best.is_some() {
                replaced = replace_word(&replaced, &word, &best_word);
                changed = true;
            }
        }
        Ok(changed.then_some(replaced))
    }

    /// How many indexed units of each record type; for checks and the status line.
    pub fn count(&self, record: &str) -> Result<usize, SearchError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.f.record, record),
            IndexRecordOption::Basic,
        );
        Ok(searcher.search(&q, &Count)?)
    }
}

/// Whether the query has words or phrases to rank by (not only filters and exclusions).
fn has_text(node: &Node) -> bool {
    match node {
        Node::Word(_) | Node::Phrase(_) => true,
        Node::And(v) | Node::Or(v) => v.iter().any(has_text),
        Node::Not(_) | Node::Filter(_) => false,
    }
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
