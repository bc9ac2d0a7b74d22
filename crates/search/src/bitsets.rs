//! Filters and exclusions as bitsets, for queries of bare words with filters.
//!
//! tantivy prunes a query of plain words (block-max WAND over one union or intersection of
//! term lists), but a filter or an exclusion in the same boolean query turns pruning off,
//! and every match is then scored to find the best ten; counting them exactly visits every
//! match again. Here the filters (`kind:`, `body:`, `date:`…) and exclusions (`NOT word`)
//! become one bitset per segment, read straight from their postings lists (a date filter
//! from the years it covers, its day bounds checked only on those records). The words are
//! then searched as plain words, pruned, keeping only records the bitset allows; the count
//! is the bitset ANDed with each word's list. Scores are the words' BM25 scores, which is
//! what the boolean query gave too (filters score 0, exclusions nothing).

use crate::SearchError;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::{Bm25Weight, EnableScoring, Query};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Score, SegmentReader, Term};

/// One condition on the records a query may return.
pub(crate) enum Constraint {
    /// Records with any of the terms (none: no record).
    AnyTerm { terms: Vec<Term>, negate: bool },
    /// Records whose date can fall in `[from, to]` (`YYYYMMDD`): those indexed under one of
    /// `inside` (years the range covers whole: they overlap it for sure) or of `edges`
    /// (years it covers in part, and `wide`: checked against the day bounds). Without
    /// year terms (a long or open range), every record is checked.
    Date {
        from: i64,
        to: i64,
        years: Option<(Vec<Term>, Vec<Term>)>,
        negate: bool,
        /// The fast fields of the earliest and latest day: the issued date's
        /// (`date_lo`, `date_hi`) or the covered period's (`cov_lo`, `cov_hi`).
        columns: (&'static str, &'static str),
    },
}

/// A term or phrase query with its terms.
pub(crate) struct Leaf {
    pub terms: Vec<Term>,
    pub query: Box<dyn Query>,
}

/// A query of words, phrases or names (all must match) with constraints.
pub(crate) struct FilteredWords {
    /// Bare words: each word's terms, one per language whose dictionary has it. Empty:
    /// filters only, or `units`.
    pub words: Vec<Vec<Term>>,
    /// The bare words as one tantivy query (what the unfiltered search would run).
    pub text: Option<Box<dyn Query>>,
    /// Where a phrase or a body's name is asked for: each word, phrase or name as the
    /// leaves any of which it matches (a body's names, one per language).
    pub units: Vec<Vec<Leaf>>,
    pub constraints: Vec<Constraint>,
}

/// A bitset of the documents of one segment.
struct Bits(Vec<u64>);

impl Bits {
    fn empty(max_doc: DocId) -> Self {
        Bits(vec![0; (max_doc as usize).div_ceil(64)])
    }

    fn full(max_doc: DocId) -> Self {
        let mut v = vec![!0u64; (max_doc as usize).div_ceil(64)];
        let tail = max_doc as usize % 64;
        if tail != 0 {
            if let Some(last) = v.last_mut() {
                *last = (1u64 << tail) - 1;
            }
        }
        Bits(v)
    }

    #[cfg(test)]
    fn insert(&mut self, doc: DocId) {
        self.0[doc as usize >> 6] |= 1u64 << (doc & 63);
    }

    #[inline]
    fn remove(&mut self, doc: DocId) {
        self.0[doc as usize >> 6] &= !(1u64 << (doc & 63));
    }

    #[inline]
    fn contains(&self, doc: DocId) -> bool {
        self.0[doc as usize >> 6] & (1u64 << (doc & 63)) != 0
    }

    fn and(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }

    fn or(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }

    fn and_not(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= !b);
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// The documents in the set, in order.
    fn docs(&self) -> impl Iterator<Item = DocId> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &word)| {
            let mut w = word;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros();
                w &= w - 1;
                Some((i as u32) << 6 | bit)
            })
        })
    }

    /// How many live documents the set holds.
    fn count_alive(&self, segment: &SegmentReader) -> usize {
        match segment.alive_bitset() {
            None => self.0.iter().map(|w| w.count_ones() as usize).sum(),
            Some(alive) => self.docs().filter(|&d| alive.is_alive(d)).count(),
        }
    }
}

/// The documents of the segment that have any of the terms, read block by block.
fn term_bits(segment: &SegmentReader, terms: &[Term]) -> Result<Bits, SearchError> {
    let mut bits = Bits::empty(segment.max_doc());
    for term in terms {
        let inverted = segment.inverted_index(term.field())?;
        let Some(mut block) = inverted
            .read_block_postings(term, IndexRecordOption::Basic)
            .map_err(|e| SearchError::Index(e.into()))?
        else {
            continue;
        };
        let words = &mut bits.0[..];
        loop {
            let docs = block.docs();
            if docs.is_empty() {
                break;
            }
            for &d in docs {
                // In range: a segment's doc ids are below its max_doc.
                if let Some(w) = words.get_mut(d as usize >> 6) {
                    *w |= 1u64 << (d & 63);
                }
            }
            block.advance();
        }
    }
    Ok(bits)
}

/// How many live records have all (`all`) or any of the words (each word: any of its
/// terms), counted exactly from bitsets: reading each list once, block by block, and
/// combining the bitsets is several times faster than seeking one long list in another.
pub(crate) fn count_words(
    searcher: &tantivy::Searcher,
    words: &[Vec<Term>],
    all: bool,
) -> Result<usize, SearchError> {
    let counts = per_segment(searcher, |_, segment| {
        let mut acc: Option<Bits> = None;
        for terms in words {
            let bits = term_bits(segment, terms)?;
            acc = Some(match acc {
                None => bits,
                Some(mut a) => {
                    if all {
                        a.and(&bits);
                    } else {
                        a.or(&bits);
                    }
                    a
                }
            });
        }
        Ok(acc.map_or(0, |bits| bits.count_alive(segment)))
    })?;
    Ok(counts.into_iter().sum())
}

/// The documents of one segment that every constraint allows (deleted ones included: they
/// are left out where results are taken).
fn allowed(segment: &SegmentReader, constraints: &[Constraint]) -> Result<Bits, SearchError> {
    let mut allow = Bits::full(segment.max_doc());
    // Term constraints first: the date checks then only visit what they left.
    for c in constraints {
        if let Constraint::AnyTerm { terms, negate } = c {
            let bits = term_bits(segment, terms)?;
            if *negate {
                allow.and_not(&bits);
            } else {
                allow.and(&bits);
            }
        }
    }
    for c in constraints {
        let Constraint::Date {
            from,
            to,
            years,
            negate,
            columns,
        } = c
        else {
            continue;
        };
        if allow.is_empty() {
            break;
        }
        let fast = segment.fast_fields();
        let lo = fast.i64(columns.0).ok();
        let hi = fast.i64(columns.1).ok();
        let overlaps = |doc: DocId| -> bool {
            let l = lo.as_ref().and_then(|c| c.first(doc));
            let h = hi.as_ref().and_then(|c| c.first(doc));
            matches!((l, h), (Some(l), Some(h)) if l <= *to && h >= *from)
        };
        let (mut sure, mut unsure) = match years {
            Some((inside, edges)) => (term_bits(segment, inside)?, term_bits(segment, edges)?),
            None => (
                Bits::empty(segment.max_doc()),
                Bits::full(segment.max_doc()),
            ),
        };
        unsure.and_not(&sure);
        if !*negate {
            sure.and(&allow);
            unsure.and(&allow);
        }
        let to_check: Vec<DocId> = unsure.docs().collect();
        for d in to_check {
            if !overlaps(d) {
                unsure.remove(d);
            }
        }
        let mut matching = unsure;
        matching.or(&sure);
        if *negate {
            allow.and_not(&matching);
        } else {
            allow = matching;
        }
    }
    Ok(allow)
}

/// When at most 1/`EXHAUSTIVE_FRACTION` of the shortest word's list is allowed, every
/// allowed match is scored instead of searching pruned.
const EXHAUSTIVE_FRACTION: usize = 32;

/// A candidate of the best-first list, ordered by score, then earlier address first (as
/// tantivy's `TopDocs` breaks ties).
#[derive(PartialEq)]
struct Candidate {
    score: Score,
    address: DocAddress,
}

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed, so the heap's top is the weakest candidate.
        other
            .score
            .total_cmp(&self.score)
            .then_with(|| self.address.cmp(&other.address))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Runs `work` on each segment of the searcher (with its ordinal), side by side on the
/// index's search threads where there are several segments (see
/// `index::search_threads`); the results in segment order, the first error
/// if any fails.
///
/// Why: a large index is a few segments of comparable size (at 1M, two of 470,000), and
/// a query that visits every match (a frequent word with a filter, filters alone, a
/// phrase under a filter) costs in proportion to them; searched one after the other they
/// left one core idle while a reader waited.
pub(crate) fn per_segment<R: Send>(
    searcher: &tantivy::Searcher,
    work: impl Fn(u32, &SegmentReader) -> Result<R, SearchError> + Sync,
) -> Result<Vec<R>, SearchError> {
    side_by_side(
        searcher,
        searcher.segment_readers().iter().enumerate().collect(),
        |(ord, segment)| work(ord as u32, segment),
    )
}

/// Runs `work` on each of `tasks` on the index's search threads, the results in the
/// tasks' order, the first error if any fails; a single task on the caller's thread
/// (handing it over would only add the wait).
pub(crate) fn side_by_side<A: Send, R: Send>(
    searcher: &tantivy::Searcher,
    tasks: Vec<A>,
    work: impl Fn(A) -> Result<R, SearchError> + Sync,
) -> Result<Vec<R>, SearchError> {
    if tasks.len() <= 1 {
        return tasks.into_iter().map(work).collect();
    }
    searcher
        .index()
        .search_executor()
        .map(|task| Ok(work(task)), tasks.into_iter())?
        .into_iter()
        .collect()
}

/// Keeps the best `limit` of `best`, a segment's list: the heap's top is the weakest.
fn keep_best(best: &mut BinaryHeap<Candidate>, candidate: Candidate, limit: usize) {
    best.push(candidate);
    if best.len() > limit {
        best.pop();
    }
}

/// The best `limit` of every segment's best, best first, and the sum of their counts:
/// the same order as one list kept over the segments one after another (the order is
/// total: score, then address).
fn merge_segments(
    parts: Vec<(BinaryHeap<Candidate>, usize)>,
    limit: usize,
) -> (Vec<(Score, DocAddress)>, usize) {
    let total = parts.iter().map(|p| p.1).sum();
    let mut ranked: Vec<Candidate> = parts.into_iter().flat_map(|p| p.0.into_vec()).collect();
    ranked.sort();
    ranked.truncate(limit);
    (
        ranked.into_iter().map(|c| (c.score, c.address)).collect(),
        total,
    )
}

/// The best `limit` records by the words' score among those the constraints allow, and how
/// many records match in all.
pub(crate) fn search(
    searcher: &tantivy::Searcher,
    plan: &FilteredWords,
    limit: usize,
) -> Result<(Vec<(Score, DocAddress)>, usize), SearchError> {
    if let [terms] = &plan.words[..] {
        if let [term] = &terms[..] {
            return one_word(searcher, plan, term, limit);
        }
    }
    let weight = match &plan.text {
        Some(q) => Some(q.weight(EnableScoring::enabled_from_searcher(searcher))?),
        None => None,
    };
    let parts = per_segment(searcher, |ord, segment| {
        let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(limit + 1);
        let allow = allowed(segment, &plan.constraints)?;
        if allow.is_empty() {
            return Ok((best, 0));
        }
        let mut matches = allow;
        for terms in &plan.words {
            matches.and(&term_bits(segment, terms)?);
        }
        let total = matches.count_alive(segment);
        let Some(weight) = &weight else {
            return Ok((best, total));
        };
        // Only records that match everything may enter the list.
        let allow = matches;
        let alive = segment.alive_bitset();
        let shortest = plan
            .words
            .iter()
            .map(|terms| {
                terms
                    .iter()
                    .map(|t| segment.inverted_index(t.field()).map(|i| i.doc_freq(t)))
                    .sum::<Result<Result<u32, _>, _>>()
            })
            .collect::<Result<Result<Vec<u32>, _>, _>>()?
            .map_err(|e| SearchError::Index(e.into()))?
            .into_iter()
            .min()
            .unwrap_or(0) as usize;
        if total * EXHAUSTIVE_FRACTION <= shortest {
            // Few of the words' records are allowed: scoring each of them is cheaper than
            // letting block-max WAND look for them among all the others.
            let mut scorer = weight.scorer(segment, 1.0)?;
            for doc in allow.docs() {
                if !alive.is_none_or(|a| a.is_alive(doc)) {
                    continue;
                }
                if scorer.doc() < doc {
                    scorer.seek(doc);
                }
                if scorer.doc() != doc {
                    continue;
                }
                let address = DocAddress::new(ord, doc);
                let score = scorer.score();
                keep_best(&mut best, Candidate { score, address }, limit);
            }
            return Ok((best, total));
        }
        let floor = |best: &BinaryHeap<Candidate>| match best.peek() {
            Some(weakest) if best.len() >= limit => weakest.score,
            _ => Score::MIN,
        };
        let mut threshold = floor(&best);
        weight.for_each_pruning(threshold, segment, &mut |doc, score| {
            if allow.contains(doc) && alive.is_none_or(|a| a.is_alive(doc)) {
                let address = DocAddress::new(ord, doc);
                keep_best(&mut best, Candidate { score, address }, limit);
                threshold = floor(&best);
            }
            threshold
        })?;
        Ok((best, total))
    })?;
    Ok(merge_segments(parts, limit))
}

/// One word (one term) with constraints, in one pass over the word's list: each record
/// the constraints allow is counted and scored from its term frequency and field length,
/// with the BM25 weight tantivy's term query uses (so the scores are the same). Reading
/// the list once beats reading it into a bitset to count and again, pruned, to rank.
fn one_word(
    searcher: &tantivy::Searcher,
    plan: &FilteredWords,
    term: &Term,
    limit: usize,
) -> Result<(Vec<(Score, DocAddress)>, usize), SearchError> {
    let bm25 = Bm25Weight::for_terms(searcher, std::slice::from_ref(term))?;
    let parts = per_segment(searcher, |ord, segment| {
        let mut total = 0usize;
        let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(limit + 1);
        let allow = allowed(segment, &plan.constraints)?;
        if allow.is_empty() {
            return Ok((best, total));
        }
        let inverted = segment.inverted_index(term.field())?;
        let Some(mut block) = inverted
            .read_block_postings(term, IndexRecordOption::WithFreqs)
            .map_err(|e| SearchError::Index(e.into()))?
        else {
            return Ok((best, total));
        };
        let norms = segment
            .fieldnorms_readers()
            .get_field(term.field())?
            .unwrap_or_else(|| FieldNormReader::constant(segment.max_doc(), 1));
        let alive = segment.alive_bitset();
        loop {
            let docs = block.docs();
            if docs.is_empty() {
                break;
            }
            let freqs = block.freqs();
            for (&doc, &tf) in docs.iter().zip(freqs) {
                if !allow.contains(doc) || !alive.is_none_or(|a| a.is_alive(doc)) {
                    continue;
                }
                total += 1;
                let score = bm25.score(norms.fieldnorm_id(doc), tf);
                if best.len() >= limit {
                    if let Some(weakest) = best.peek() {
                        // Not better than the weakest kept (ties go to the earlier record).
                        if score <= weakest.score {
                            continue;
                        }
                    }
                }
                let address = DocAddress::new(ord, doc);
                keep_best(&mut best, Candidate { score, address }, limit);
            }
            block.advance();
        }
        Ok((best, total))
    })?;
    Ok(merge_segments(parts, limit))
}

/// Phrases or names with constraints: each record the constraints allow that may match
/// every unit (its terms are all there) is asked of each leaf (`seek_danger`: positions
/// are read for that record only) and scored as the boolean query would (the sum of the
/// leaves that match); phrase positions are thus read only where the filters allow.
pub(crate) fn search_units(
    searcher: &tantivy::Searcher,
    plan: &FilteredWords,
    limit: usize,
) -> Result<(Vec<(Score, DocAddress)>, usize), SearchError> {
    let scoring = EnableScoring::enabled_from_searcher(searcher);
    let weights = plan
        .units
        .iter()
        .map(|leaves| {
            leaves
                .iter()
                .map(|l| l.query.weight(scoring))
                .collect::<tantivy::Result<Vec<_>>>()
        })
        .collect::<tantivy::Result<Vec<_>>>()?;
    let parts = per_segment(searcher, |ord, segment| {
        let mut total = 0usize;
        let mut best: BinaryHeap<Candidate> = BinaryHeap::with_capacity(limit + 1);
        let mut candidates = allowed(segment, &plan.constraints)?;
        if candidates.is_empty() {
            return Ok((best, total));
        }
        // Per leaf: the records that have all its terms (for a term: exactly its matches).
        let mut leaf_bits: Vec<Vec<Bits>> = Vec::new();
        for leaves in &plan.units {
            let mut unit = Bits::empty(segment.max_doc());
            let mut bits = Vec::new();
            for leaf in leaves {
                let mut b = term_bits(segment, &leaf.terms[..1])?;
                for t in &leaf.terms[1..] {
                    b.and(&term_bits(segment, std::slice::from_ref(t))?);
                }
                unit.or(&b);
                bits.push(b);
            }
            candidates.and(&unit);
            leaf_bits.push(bits);
        }
        let mut scorers = weights
            .iter()
            .map(|ws| {
                ws.iter()
                    .map(|w| {
                        let s = w.scorer(segment, 1.0)?;
                        let first = s.doc();
                        Ok((s, first))
                    })
                    .collect::<tantivy::Result<Vec<_>>>()
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        let alive = segment.alive_bitset();
        for doc in candidates.docs() {
            if !alive.is_none_or(|a| a.is_alive(doc)) {
                continue;
            }
            let mut score = 0.0;
            let mut all = true;
            for (unit, bits) in scorers.iter_mut().zip(&leaf_bits) {
                let mut matched = false;
                for ((scorer, lower), b) in unit.iter_mut().zip(bits) {
                    if !b.contains(doc) || doc < *lower {
                        continue;
                    }
                    match scorer.seek_danger(doc) {
                        tantivy::SeekDangerResult::Found => {
                            score += scorer.score();
                            matched = true;
                            *lower = doc + 1;
                        }
                        tantivy::SeekDangerResult::SeekLowerBound(next) => *lower = next,
                    }
                }
                if !matched {
                    all = false;
                    break;
                }
            }
            if !all {
                continue;
            }
            total += 1;
            let address = DocAddress::new(ord, doc);
            keep_best(&mut best, Candidate { score, address }, limit);
        }
        Ok((best, total))
    })?;
    Ok(merge_segments(parts, limit))
}

/// For filters only: the records the constraints allow, ordered by `key` (highest first;
/// a stable hash, so two builds of the index answer alike), `offset` skipped, at most
/// `limit`; and how many there are.
pub(crate) fn filter_only(
    searcher: &tantivy::Searcher,
    plan: &FilteredWords,
    offset: usize,
    limit: usize,
    key: impl Fn(&SegmentReader) -> Option<std::sync::Arc<dyn tantivy::columnar::ColumnValues<u64>>>
        + Sync,
) -> Result<(Vec<(Score, DocAddress)>, usize), SearchError> {
    let keep = offset + limit;
    let parts = per_segment(searcher, |ord, segment| {
        let mut total = 0usize;
        // Min-heap on (key, reversed address): the top is the one to drop.
        let mut best: BinaryHeap<std::cmp::Reverse<(u64, std::cmp::Reverse<DocAddress>)>> =
            BinaryHeap::new();
        let allow = allowed(segment, &plan.constraints)?;
        let column = key(segment);
        let alive = segment.alive_bitset();
        for doc in allow.docs() {
            if !alive.is_none_or(|a| a.is_alive(doc)) {
                continue;
            }
            total += 1;
            let k = column.as_ref().map_or(0, |c| c.get_val(doc));
            best.push(std::cmp::Reverse((
                k,
                std::cmp::Reverse(DocAddress::new(ord, doc)),
            )));
            if best.len() > keep {
                best.pop();
            }
        }
        Ok((best, total))
    })?;
    let total = parts.iter().map(|p| p.1).sum();
    let mut ranked: Vec<(u64, DocAddress)> = parts
        .into_iter()
        .flat_map(|p| p.0.into_iter())
        .map(|std::cmp::Reverse((k, std::cmp::Reverse(a)))| (k, a))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok((
        ranked
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, a)| (0.0, a))
            .collect(),
        total,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_hold_what_is_put_in_them() {
        let mut b = Bits::empty(130);
        for d in [0, 63, 64, 129] {
            b.insert(d);
        }
        assert_eq!(b.docs().collect::<Vec<_>>(), [0, 63, 64, 129]);
        b.remove(63);
        assert!(!b.contains(63) && b.contains(64));
        let full = Bits::full(130);
        assert_eq!(full.docs().count(), 130);
        let mut rest = Bits::full(130);
        rest.and_not(&b);
        assert_eq!(rest.docs().count(), 127);
        rest.and(&b);
        assert!(rest.is_empty());
    }

    /// An index of four segments (no merging), and a searcher on it for each executor:
    /// one segment after another, and side by side on two threads.
    fn four_segments() -> (
        tantivy::Searcher,
        tantivy::Searcher,
        tantivy::schema::Field,
        tantivy::schema::Field,
    ) {
        use tantivy::schema::{Schema, STRING, TEXT};
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let kind = schema.add_text_field("kind", STRING);
        let index = tantivy::Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        for segment in 0..4 {
            for i in 0..300u32 {
                // Repeated words and lengths that vary, so that scores differ and tie.
                let mut text = "alpha ".repeat(1 + (i as usize + segment) % 4);
                text.push_str(&"filler ".repeat(i as usize % 6));
                if i % 2 == 0 {
                    text.push_str("beta ");
                }
                if i as usize % 7 == segment % 7 {
                    text.push_str("red sea ");
                }
                let k = if i % 3 == 0 { "a" } else { "b" };
                writer
                    .add_document(tantivy::doc!(body => text, kind => k))
                    .unwrap();
            }
            writer.commit().unwrap();
        }
        let in_turn = index.reader().unwrap().searcher();
        let mut threaded = index.clone();
        threaded.set_executor(tantivy::Executor::multi_thread(2, "test-search-").unwrap());
        let side_by_side = threaded.reader().unwrap().searcher();
        assert_eq!(in_turn.segment_readers().len(), 4);
        (in_turn, side_by_side, body, kind)
    }

    #[test]
    fn segments_searched_side_by_side_answer_as_one_after_another() {
        use tantivy::query::{BooleanQuery, Occur, PhraseQuery, TermQuery};
        let (in_turn, side_by_side, body, kind) = four_segments();
        let term = |w: &str| Term::from_field_text(body, w);
        let kind_a = || Constraint::AnyTerm {
            terms: vec![Term::from_field_text(kind, "a")],
            negate: false,
        };
        let term_query = |w: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(term(w), IndexRecordOption::WithFreqs))
        };
        let one_word = FilteredWords {
            words: vec![vec![term("alpha")]],
            text: Some(term_query("alpha")),
            units: vec![],
            constraints: vec![kind_a()],
        };
        let two_words = FilteredWords {
            words: vec![vec![term("alpha")], vec![term("beta")]],
            text: Some(Box::new(BooleanQuery::new(vec![
                (Occur::Must, term_query("alpha")),
                (Occur::Must, term_query("beta")),
            ]))),
            units: vec![],
            constraints: vec![kind_a()],
        };
        let phrase = FilteredWords {
            words: vec![],
            text: None,
            units: vec![vec![Leaf {
                terms: vec![term("red"), term("sea")],
                query: Box::new(PhraseQuery::new(vec![term("red"), term("sea")])),
            }]],
            constraints: vec![Constraint::AnyTerm {
                terms: vec![Term::from_field_text(kind, "a")],
                negate: true,
            }],
        };
        for limit in [1, 10, 250] {
            for plan in [&one_word, &two_words] {
                let a = search(&in_turn, plan, limit).unwrap();
                let b = search(&side_by_side, plan, limit).unwrap();
                assert_eq!(a, b, "limit {limit}");
                assert_eq!(a.0.len(), limit.min(a.1));
                // Best first; equal scores, the earlier address first.
                assert!(a
                    .0
                    .windows(2)
                    .all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)));
            }
            let a = search_units(&in_turn, &phrase, limit).unwrap();
            assert_eq!(a, search_units(&side_by_side, &phrase, limit).unwrap());
            assert!(a.1 > 0 && a.0.len() == limit.min(a.1));
        }
        // Every record of kind "a" has "alpha"; half of them "beta" too.
        assert_eq!(search(&in_turn, &one_word, 10).unwrap().1, 400);
        assert_eq!(search(&in_turn, &two_words, 10).unwrap().1, 200);
        let words = [vec![term("alpha")], vec![term("beta")]];
        assert_eq!(count_words(&side_by_side, &words, true).unwrap(), 600);
        assert_eq!(count_words(&side_by_side, &words, false).unwrap(), 1200);
        let filters = FilteredWords {
            words: vec![],
            text: None,
            units: vec![],
            constraints: vec![kind_a()],
        };
        for (offset, limit) in [(0, 10), (395, 10), (0, 400)] {
            let a = filter_only(&in_turn, &filters, offset, limit, |_| None).unwrap();
            let b = filter_only(&side_by_side, &filters, offset, limit, |_| None).unwrap();
            assert_eq!(a, b);
            assert_eq!(a.1, 400);
            assert_eq!(a.0.len(), limit.min(400 - offset));
        }
    }
}
