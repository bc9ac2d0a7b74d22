//! Spelling suggestions for a query that found nothing.

use super::{io_err, SearchIndex};
use crate::query::{self, Node};
use crate::SearchError;
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::tokenizer::{LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{DocAddress, DocSet, TantivyDocument, Term};

impl SearchIndex {
    /// For a query that found nothing: each word the index does not know, replaced by the
    /// nearest word it does know (at most two edits, then a word of the same length, then
    /// the commoner), if any.
    ///
    /// The index keeps stems, not words: the typed word's stem is compared with the stems of
    /// its language's dictionary, and the stem found is turned back into a word by reading
    /// a record that has it (the word there with that stem that is closest to what was
    /// typed). Keeping every word a second time, unstemmed, only for this, cost a quarter
    /// of the indexing time.
    pub(super) fn suggest(
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
