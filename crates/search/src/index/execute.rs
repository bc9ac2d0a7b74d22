//! Running a plan: candidates, counts, the re-ranking window, and the hits.

use super::plan::{has_text, Builder};
use super::schema::tiebreak_column;
use super::snippets::{escape_html, truncate_chars, SNIPPET_FIRST_TRY};
use super::{BoxedQuery, Facets, Hit, SearchIndex, SearchRequest, SearchResults, Sort};
use crate::bitsets;
use crate::docs::LANGS;
use crate::query::{self, Node};
use crate::SearchError;
use std::collections::{BTreeMap, HashMap};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::Query;
use tantivy::schema::{Field, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, DocSet, TantivyDocument};

/// How many of the best records by BM25 get the title and phrase bonus (on every page:
/// a window that moved with the page would order records differently page by page).
const RERANK_WINDOW: usize = 30;

impl SearchIndex {
    /// Runs a parsed query: at most `query::MAX_DEPTH` deep, or one more for
    /// [`SearchIndex::search_also`]'s filter.
    pub(super) fn search_tree(
        &self,
        req: &SearchRequest,
        node: Node,
    ) -> Result<SearchResults, SearchError> {
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
