//! Snippets: the stored head of a text with what the query looked for marked, HTML-escaped.
//!
//! What is marked is each word, phrase or name the reader typed, as a whole: a phrase or
//! a body's other name (what "PJC" expands to) only where all its words stand together,
//! never its words one by one, so "PJC" marks "PJC" and "NATO-Russia Permanent Joint
//! Council", not every "NATO" and "Russia" of the text.

use super::schema::stemmer_of;
use super::SearchIndex;
use crate::docs::LANGS;
use crate::stem::GatedStemmer;
use crate::SearchError;
use dossier_model::html::escape_html;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenStream,
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

/// How long a snippet is, in bytes of text (about three lines).
const SNIPPET_CHARS: usize = 220;
/// How much text before the first mark a snippet keeps, for context.
const LEAD_CONTEXT: usize = 50;

/// Marks what a query looks for in the texts of one language.
pub(super) struct Highlighter {
    analyzer: TextAnalyzer,
    /// Each word, phrase or name as the terms the language's analyser makes of it, with
    /// its weight (rarer is heavier); longest first, so a name wins over a word in it.
    units: Vec<(Vec<String>, f32)>,
}

impl SearchIndex {
    /// The highlighter of language `li` for `units` (each a word, phrase or name as the
    /// terms of one text field, from the query's leaves), weighted by rarity. As tantivy's
    /// snippets, with an analyser that stems only the words that can become one of the
    /// terms (see [`GatedStemmer`]): stemming every word of ten stored texts was most of a
    /// rare word's search.
    pub(super) fn highlighter(
        &self,
        searcher: &tantivy::Searcher,
        units: &[Vec<Term>],
        li: usize,
    ) -> Result<Highlighter, SearchError> {
        let field = self.f.text[li];
        let mut weighted: Vec<(Vec<String>, f32)> = Vec::new();
        for unit in units {
            if unit.is_empty() || unit.iter().any(|t| t.field() != field) {
                continue;
            }
            let mut words = Vec::with_capacity(unit.len());
            let mut rarest = u64::MAX;
            for t in unit {
                let Some(text) = t.value().as_str().map(str::to_string) else {
                    break;
                };
                rarest = rarest.min(searcher.doc_freq(t)?);
                words.push(text);
            }
            if words.len() == unit.len() && rarest > 0 && !weighted.iter().any(|(w, _)| *w == words)
            {
                weighted.push((words, unit.len() as f32 / (1.0 + rarest as f32)));
            }
        }
        weighted.sort_by_key(|w| std::cmp::Reverse(w.0.len()));
        let first: Vec<char> = weighted
            .iter()
            .flat_map(|(w, _)| w.iter().filter_map(|t| t.chars().next()))
            .collect();
        let base = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser);
        let analyzer = match stemmer_of(LANGS[li]) {
            (Some(a), true) => base
                .filter(AsciiFoldingFilter)
                .filter(GatedStemmer::new(a, first))
                .build(),
            (Some(a), false) => base.filter(GatedStemmer::new(a, first)).build(),
            (None, _) => base.build(),
        };
        Ok(Highlighter {
            analyzer,
            units: weighted,
        })
    }
}

impl Highlighter {
    /// The byte spans of `text` where a unit stands whole, with their weights, in order.
    fn spans(&mut self, text: &str) -> Vec<(usize, usize, f32)> {
        if self.units.is_empty() {
            return vec![];
        }
        let mut tokens: Vec<(String, usize, usize)> = Vec::new();
        let mut stream = self.analyzer.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            tokens.push((t.text.clone(), t.offset_from, t.offset_to));
        }
        let mut out = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            let found = self.units.iter().find(|(unit, _)| {
                unit.len() <= tokens.len() - i
                    && unit.iter().zip(&tokens[i..]).all(|(u, t)| *u == t.0)
            });
            match found {
                Some((unit, weight)) => {
                    out.push((tokens[i].1, tokens[i + unit.len() - 1].2, *weight));
                    i += unit.len();
                }
                None => i += 1,
            }
        }
        out
    }

    /// The best stretch of `text` (the one whose marks weigh most) with its marks, as
    /// HTML; `None` where nothing the query looks for stands in it.
    pub(super) fn snippet(&mut self, text: &str) -> Option<String> {
        let spans = self.spans(text);
        if spans.is_empty() {
            return None;
        }
        // The stretch starting at each mark, scored by the marks that fit in it.
        let mut best = (0usize, f32::MIN);
        for (k, &(start, _, _)) in spans.iter().enumerate() {
            let score: f32 = spans[k..]
                .iter()
                .take_while(|(_, end, _)| *end <= start + SNIPPET_CHARS)
                .map(|(_, _, w)| w)
                .sum();
            if score > best.1 {
                best = (k, score);
            }
        }
        let first = spans[best.0].0;
        let mut from = floor_boundary(text, first.saturating_sub(LEAD_CONTEXT));
        if from > 0 {
            // Start at a word.
            from = text[from..first]
                .find(char::is_whitespace)
                .map_or(first, |p| from + p + 1);
        }
        let mut to = floor_boundary(text, (from + SNIPPET_CHARS).min(text.len()));
        to = to.max(spans[best.0].1);
        if to < text.len() {
            if let Some(p) = text[spans[best.0].1..to].rfind(char::is_whitespace) {
                to = spans[best.0].1 + p;
            }
        }
        let mut html = String::new();
        if from > 0 {
            html.push('…');
        }
        let mut at = from;
        for &(s, e, _) in spans.iter().filter(|(s, e, _)| *s >= from && *e <= to) {
            html.push_str(&escape_html(&text[at..s]));
            html.push_str("<mark>");
            html.push_str(&escape_html(&text[s..e]));
            html.push_str("</mark>");
            at = e;
        }
        html.push_str(&escape_html(&text[at..to]));
        if to < text.len() {
            html.push('…');
        }
        Some(html)
    }
}

/// The largest character boundary of `s` at or below `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The snippet of one stored text of a hit (`head`, the text's stored head), where
/// something the query looks for stands in it.
pub(super) fn marked(highlighter: &mut Highlighter, head: &str) -> Option<String> {
    // The first part of the text first: the words are usually there (always, for common
    // words), and tokenising 20,000 characters of ten texts is slow. (The stored head
    // itself: tokenising a 100 KB text for every hit would cost more than the search.)
    let lead = truncate_chars(head, SNIPPET_FIRST_TRY);
    highlighter
        .snippet(lead)
        .or_else(|| (lead.len() < head.len()).then(|| highlighter.snippet(head))?)
}

/// The snippet of a hit none of whose texts has what the query looks for (it matched
/// by a filter, or a name): the first 200 characters of its text.
pub(super) fn plain_head(head: &str) -> String {
    let lead: String = head.chars().take(200).collect();
    let mut html = escape_html(&lead);
    if lead.len() < head.len() {
        html.push('…');
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn highlighter(units: &[&[&str]]) -> Highlighter {
        Highlighter {
            analyzer: TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .build(),
            units: units
                .iter()
                .map(|u| (u.iter().map(|w| w.to_string()).collect(), 1.0))
                .collect(),
        }
    }

    #[test]
    fn a_name_is_marked_whole_and_its_words_alone_are_not() {
        let mut h = highlighter(&[
            &["nato", "russia", "permanent", "joint", "council"],
            &["pjc"],
        ]);
        let text =
            "NATO and Russia met. The NATO-Russia Permanent Joint Council (PJC) met in 1997.";
        let html = h.snippet(text).unwrap();
        assert!(
            html.contains("<mark>NATO-Russia Permanent Joint Council</mark>"),
            "{html}"
        );
        assert!(html.contains("<mark>PJC</mark>"), "{html}");
        assert!(!html.contains("<mark>NATO</mark>"), "{html}");
        assert!(!html.contains("<mark>Russia</mark>"), "{html}");
        assert!(h.snippet("NATO and Russia, apart.").is_none());
    }

    #[test]
    fn snippets_are_escaped_and_cut_at_characters() {
        let mut h = highlighter(&[&["treaty"]]);
        let text = format!("{}<b>é</b> treaty & {}", "é ".repeat(200), "ж ".repeat(300));
        let html = h.snippet(&text).unwrap();
        assert!(html.contains("<mark>treaty</mark>"), "{html}");
        assert!(
            html.contains("&lt;b&gt;") && html.contains("&amp;"),
            "{html}"
        );
        assert!(html.starts_with('…') && html.ends_with('…'), "{html}");
        assert!(html.len() < 1_000);
    }

    #[test]
    fn without_a_match_the_head_of_the_text() {
        let mut h = highlighter(&[&["absent"]]);
        assert_eq!(marked(&mut h, "<i>first</i>"), None);
        assert_eq!(plain_head("<i>first</i>"), "&lt;i&gt;first&lt;/i&gt;");
        assert_eq!(
            plain_head(&"é".repeat(300)),
            format!("{}…", "é".repeat(200))
        );
        let mut h = highlighter(&[&["second"]]);
        let far = format!("{} the second text", "word ".repeat(1_000));
        let html = marked(&mut h, &far).unwrap();
        assert!(html.contains("the <mark>second</mark> text"), "{html}");
    }
}
