//! Running a [`Plan`]: its terms read from the index, the candidates and the count of its
//! strategy, the re-ranking window, the page of hits.

use super::build::{Builder, DenseWords};
use super::plan::{plan, Order, Plan};
use super::schema::tiebreak_column;
use super::snippets::{marked, plain_head, Highlighter};
use super::{BoxedQuery, Facets, Hit, SearchIndex, SearchRequest, SearchResults};
use crate::bitsets::{self, FilteredWords};
use crate::docs::{analyser, LANGS};
use crate::query::{self, Node};
use crate::SearchError;
use std::collections::{BTreeMap, HashMap};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::Query;
use tantivy::schema::{Field, Value};
use tantivy::{DocAddress, DocSet, TantivyDocument};

/// How many of the best records by BM25 get the title and phrase bonus (on every page:
/// a window that moved with the page would order records differently page by page).
const RERANK_WINDOW: usize = 30;

/// How many hits one search thread reads and marks (see [`SearchIndex::hits`]).
const HITS_PER_TASK: usize = 5;

/// Hits as (score, address), and how many records match in all.
type Page = (Vec<(f32, DocAddress)>, usize);

/// A [`Plan`] with its terms read from the index, while the names that expand queries
/// are locked; what [`SearchIndex::run`] runs once they are released.
enum Prepared {
    /// [`Plan::Words`]: pruned; long lists counted as bitsets (`dense`).
    Pruned {
        dense: Option<DenseWords>,
    },
    /// [`Plan::Filtered`]: the text under the bitset.
    UnderBitset(FilteredWords),
    /// [`Plan::Filters`]: the bitset alone.
    FiltersAlone(FilteredWords),
    Collected(Order),
}

/// Reads the plan's terms. An AND of words with a rare one, and a filtered plan the index
/// cannot serve, become the collected search of the same query.
fn prepare(b: &Builder, plan: Plan) -> Result<Prepared, SearchError> {
    Ok(match plan {
        Plan::Words { words, all } if b.few_together(&words, all)? => {
            Prepared::Collected(Order::Relevance)
        }
        Plan::Words { words, all } => Prepared::Pruned {
            dense: b.dense_words(&words, all)?,
        },
        Plan::Filtered { text, conditions } => match b.filtered(Some(&text), &conditions)? {
            Some(f) => Prepared::UnderBitset(f),
            None => Prepared::Collected(Order::Relevance),
        },
        Plan::Filters { conditions } => match b.filtered(None, &conditions)? {
            Some(f) => Prepared::FiltersAlone(f),
            None => Prepared::Collected(Order::Stable),
        },
        Plan::Collected(order) => Prepared::Collected(order),
    })
}

impl SearchIndex {
    /// Runs a parsed query: at most `query::MAX_DEPTH` deep, or one more for
    /// [`SearchIndex::search_also`]'s filter.
    pub(super) fn search_tree(
        &self,
        req: &SearchRequest,
        node: Node,
    ) -> Result<SearchResults, SearchError> {
        self.search_tree_in(req, node, None)
    }

    /// [`search_tree`](Self::search_tree), in `order` when given (whatever the plan).
    pub(super) fn search_tree_in(
        &self,
        req: &SearchRequest,
        node: Node,
        order: Option<Order>,
    ) -> Result<SearchResults, SearchError> {
        debug_assert!(query::depth(&node) <= query::MAX_DEPTH + 1);
        let searcher = self.reader.searcher();
        let (q, bonus, prepared, marks) = {
            let syn = self.synonyms.read().unwrap_or_else(|p| p.into_inner());
            let b = Builder {
                index: self,
                syn: &syn,
                searcher: &searcher,
            };
            let prepared = match order {
                Some(order) => Prepared::Collected(order),
                None => prepare(&b, plan(&node, req.sort, &syn))?,
            };
            (
                b.build(&node)?,
                b.bonus(&node)?,
                prepared,
                b.snippet_units(&node)?,
            )
        };
        let per_page = req.per_page.clamp(1, 100);
        let page = req.page.max(1);
        let offset = (page - 1) * per_page;
        let (addresses, total) = self.run(&searcher, &prepared, &*q, &bonus, offset, per_page)?;
        let facets = if req.facets {
            self.facets(&searcher, &*q)?
        } else {
            Facets::default()
        };
        let hits = self.hits(&searcher, &marks, addresses)?;
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

    /// The page of hits from `offset` of a prepared plan whose query (for every strategy
    /// that collects) is `q`, and the count.
    fn run(
        &self,
        searcher: &tantivy::Searcher,
        prepared: &Prepared,
        q: &dyn Query,
        bonus: &[(BoxedQuery, f32)],
        offset: usize,
        per_page: usize,
    ) -> Result<Page, SearchError> {
        let top = TopDocs::with_limit(per_page).and_offset(offset);
        match prepared {
            Prepared::Pruned { .. }
            | Prepared::UnderBitset(_)
            | Prepared::Collected(Order::Relevance) => {
                self.ranked(searcher, prepared, q, bonus, offset, per_page)
            }
            // Filters only: every score is equal, so order by a stable key instead of by
            // position in the index (which differs between two builds of the same data).
            Prepared::FiltersAlone(f) => {
                bitsets::filter_only(searcher, f, offset, per_page, tiebreak_column)
            }
            Prepared::Collected(Order::Stable) => {
                let ranked = top.tweak_score(|segment: &tantivy::SegmentReader| {
                    let tiebreak = tiebreak_column(segment);
                    move |doc: tantivy::DocId, score: tantivy::Score| {
                        (score, tiebreak.as_ref().map_or(0, |c| c.get_val(doc)))
                    }
                });
                let (docs, total) = searcher.search(q, &(ranked, Count))?;
                Ok((
                    docs.into_iter().map(|((score, _), a)| (score, a)).collect(),
                    total,
                ))
            }
            Prepared::Collected(Order::Title) => {
                let by_title = top.order_by_string_fast_field("sort_title", tantivy::Order::Asc);
                let (docs, total) = searcher.search(q, &(by_title, Count))?;
                Ok((docs.into_iter().map(|(_, a)| (0.0, a)).collect(), total))
            }
            Prepared::Collected(order @ (Order::Date | Order::DateDesc)) => {
                let ascending = *order == Order::Date;
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
                let (docs, total) = searcher.search(q, &(ranked, Count))?;
                Ok((docs.into_iter().map(|(_, a)| (0.0, a)).collect(), total))
            }
        }
    }

    /// Text in relevance order: the candidates by BM25, the best [`RERANK_WINDOW`] of
    /// them re-ranked with the bonuses, the page cut from the result.
    fn ranked(
        &self,
        searcher: &tantivy::Searcher,
        prepared: &Prepared,
        q: &dyn Query,
        bonus: &[(BoxedQuery, f32)],
        offset: usize,
        per_page: usize,
    ) -> Result<Page, SearchError> {
        let wanted = (offset + per_page).max(RERANK_WINDOW);
        let (mut candidates, total) = candidates(searcher, prepared, q, wanted)?;
        let rest = candidates.split_off(candidates.len().min(RERANK_WINDOW));
        let mut ranked = self.rerank(searcher, candidates, bonus)?;
        ranked.extend(rest);
        Ok((
            ranked.into_iter().skip(offset).take(per_page).collect(),
            total,
        ))
    }

    /// The hits at `addresses`, from their stored fields, each with its snippet marking
    /// `marks` (the query's words, phrases and names, as terms of a text field). Read
    /// [`HITS_PER_TASK`] at a time side by side on the search threads: reading and
    /// marking ten stored texts was a third of a frequent word's search at 1M.
    pub(super) fn hits(
        &self,
        searcher: &tantivy::Searcher,
        marks: &[Vec<tantivy::Term>],
        addresses: Vec<(f32, DocAddress)>,
    ) -> Result<Vec<Hit>, SearchError> {
        let read = |chunk: &[(f32, DocAddress)]| -> Result<Vec<Hit>, SearchError> {
            let mut highlighters: HashMap<usize, Highlighter> = HashMap::new();
            chunk
                .iter()
                .map(|&(score, addr)| self.hit(searcher, marks, &mut highlighters, score, addr))
                .collect()
        };
        let chunks = addresses.chunks(HITS_PER_TASK).collect();
        let parts = bitsets::side_by_side(searcher, chunks, read)?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// The hit at `addr`, its snippet marked by the highlighters (made as needed).
    fn hit(
        &self,
        searcher: &tantivy::Searcher,
        marks: &[Vec<tantivy::Term>],
        highlighters: &mut HashMap<usize, Highlighter>,
        score: f32,
        addr: DocAddress,
    ) -> Result<Hit, SearchError> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let text = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        // Each stored text with the analyser that reads it (an index made before
        // texts had languages of their own: the record's language).
        let lang = text(self.f.lang);
        let own = analyser(&lang);
        let langs: Vec<usize> = doc
            .get_all(self.f.snippet_lang)
            .filter_map(|v| v.as_u64())
            .map(|l| (l as usize).min(LANGS.len() - 1))
            .collect();
        let heads: Vec<(usize, &str)> = doc
            .get_all(self.f.snippet_text)
            .filter_map(|v| v.as_str())
            .enumerate()
            .map(|(i, t)| (langs.get(i).copied().unwrap_or(own), t))
            .collect();
        for (li, _) in &heads {
            if !highlighters.contains_key(li) {
                highlighters.insert(*li, self.highlighter(searcher, marks, *li)?);
            }
        }
        let snippet = {
            // One highlighter per language, lent to each text in turn.
            let mut out = None;
            let mut first_text: Option<&str> = None;
            for (li, head) in &heads {
                first_text.get_or_insert(head);
                let Some(h) = highlighters.get_mut(li) else {
                    continue;
                };
                if let Some(html) = marked(h, head) {
                    out = Some(html);
                    break;
                }
            }
            out.unwrap_or_else(|| plain_head(first_text.unwrap_or_default()))
        };
        let date = text(self.f.date);
        let kind = text(self.f.kind);
        Ok(Hit {
            record: text(self.f.record),
            slug: text(self.f.slug),
            title: text(self.f.display_title),
            url: text(self.f.url),
            date: (!date.is_empty()).then_some(date),
            kind: (!kind.is_empty()).then_some(kind),
            snippet,
            score,
        })
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
}

/// The best `wanted` candidates by BM25 of a plan ranked by relevance, and the count.
fn candidates(
    searcher: &tantivy::Searcher,
    prepared: &Prepared,
    q: &dyn Query,
    wanted: usize,
) -> Result<Page, SearchError> {
    let window = TopDocs::with_limit(wanted);
    Ok(match prepared {
        // Words pruned under a bitset of what the filters allow, or phrases and names
        // checked on each record the filters allow.
        Prepared::UnderBitset(f) if f.units.is_empty() => bitsets::search(searcher, f, wanted)?,
        Prepared::UnderBitset(f) => bitsets::search_units(searcher, f, wanted)?,
        Prepared::Pruned { dense } => {
            // Block-max WAND skips what cannot reach the window; counting apart is then
            // cheaper than visiting every match.
            let docs = searcher.search(q, &window.order_by_score())?;
            let total = match dense {
                Some(words) => bitsets::count_words(searcher, &words.words, words.all)?,
                // A collector, so that the segments are counted side by side.
                None => searcher.search(q, &Count)?,
            };
            (docs, total)
        }
        // Phrases, filters and exclusions visit every match anyway: one pass.
        Prepared::Collected(_) | Prepared::FiltersAlone(_) => {
            searcher.search(q, &(window.order_by_score(), Count))?
        }
    })
}
