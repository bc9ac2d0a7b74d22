//! Snippets: the stored head of a text with the query's terms marked, HTML-escaped.

use super::SearchIndex;
use crate::docs::LANGS;
use crate::stem::GatedStemmer;
use crate::SearchError;
use dossier_model::html::escape_html;
use std::collections::BTreeMap;
use tantivy::query::Query;
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::Term;

/// How much of a text the snippet is cut from.
pub(super) const SNIPPET_SOURCE_CHARS: usize = 20_000;
/// How much of the stored head a snippet is first looked for in.
const SNIPPET_FIRST_TRY: usize = 2_000;

/// The longest prefix of `s` with at most `n` bytes, cut at a character boundary.
pub(super) fn truncate_chars(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

impl SearchIndex {
    /// Highlights the query's terms of the text field of language `li`. As tantivy's
    /// `SnippetGenerator::create` (terms weighted by rarity), but with an analyser that
    /// stems only the words that can become one of the terms (see [`GatedStemmer`]):
    /// stemming every word of ten stored texts was most of a rare word's search.
    pub(super) fn snippet_generator(
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
}

/// The snippet of a hit whose stored head of text is `head`: the query's terms marked,
/// or, where none is found, the first 200 characters.
pub(super) fn snippet_html(generator: &SnippetGenerator, head: &str) -> String {
    // The first part of the text first: the words are usually there (always, for common
    // words), and tokenising 20,000 characters of ten texts is slow. (The stored head
    // itself: tokenising a 100 KB text for every hit would cost more than the search.)
    let lead = truncate_chars(head, SNIPPET_FIRST_TRY);
    let mut snippet = generator.snippet(lead);
    if snippet.highlighted().is_empty() && lead.len() < head.len() {
        snippet = generator.snippet(head);
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
    html
}
