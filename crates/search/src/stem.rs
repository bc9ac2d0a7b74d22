//! A stemming filter that remembers its answers.
//!
//! Profiling a rebuild showed Snowball stemming at about a sixth of the indexing time, on
//! words that repeat endlessly (a text's vocabulary is small next to its length). Each
//! analyser keeps the stems it has computed, bounded so that a huge vocabulary cannot grow
//! it without limit; the keys are hashed with FxHash, as short words need a cheap hash. The
//! stems are exactly tantivy's (the same `frostem` algorithms).

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// How many distinct words an analyser remembers before it starts afresh.
const CACHE_LIMIT: usize = 100_000;

/// Snowball stemming with a cache, for a language of [`frostem::Algorithm`].
#[derive(Clone, Copy)]
pub struct CachedStemmer {
    algorithm: frostem::Algorithm,
}

impl CachedStemmer {
    pub fn new(algorithm: frostem::Algorithm) -> Self {
        CachedStemmer { algorithm }
    }
}

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter {
            stemmer: frostem::Stemmer::new(self.algorithm),
            inner: tokenizer,
            cache: FxHashMap::default(),
        }
    }
}

#[derive(Clone)]
pub struct CachedStemmerFilter<T> {
    stemmer: frostem::Stemmer,
    inner: T,
    cache: FxHashMap<String, String>,
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        if self.cache.len() > CACHE_LIMIT {
            self.cache.clear();
        }
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: &self.stemmer,
            cache: &mut self.cache,
        }
    }
}

pub struct CachedStemmerStream<'a, T> {
    tail: T,
    stemmer: &'a frostem::Stemmer,
    cache: &'a mut FxHashMap<String, String>,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match self.cache.get(&token.text) {
            Some(stem) => {
                token.text.clear();
                token.text.push_str(stem);
            }
            None => {
                let stem = self.stemmer.stem(&token.text).into_owned();
                self.cache.insert(token.text.clone(), stem.clone());
                token.text = stem;
            }
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Snowball stemming of only the words that begin with one of `first` letters, for
/// highlighting: a snippet looks for a few query terms, and the stemmers used here change
/// only the end of a word, so a word that begins otherwise cannot stem to one of them.
/// Other words pass unstemmed (and unmatched), which saves most of the stemming a snippet
/// of a long text would do.
#[derive(Clone)]
pub struct GatedStemmer {
    algorithm: frostem::Algorithm,
    first: std::sync::Arc<[char]>,
}

impl GatedStemmer {
    pub fn new(algorithm: frostem::Algorithm, first: impl IntoIterator<Item = char>) -> Self {
        let mut v: Vec<char> = first.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        GatedStemmer {
            algorithm,
            first: v.into(),
        }
    }
}

impl TokenFilter for GatedStemmer {
    type Tokenizer<T: Tokenizer> = GatedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> GatedStemmerFilter<T> {
        GatedStemmerFilter {
            stemmer: frostem::Stemmer::new(self.algorithm),
            first: self.first,
            inner: tokenizer,
        }
    }
}

#[derive(Clone)]
pub struct GatedStemmerFilter<T> {
    stemmer: frostem::Stemmer,
    first: std::sync::Arc<[char]>,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for GatedStemmerFilter<T> {
    type TokenStream<'a> = GatedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        GatedStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: &self.stemmer,
            first: &self.first,
        }
    }
}

pub struct GatedStemmerStream<'a, T> {
    tail: T,
    stemmer: &'a frostem::Stemmer,
    first: &'a [char],
}

impl<T: TokenStream> TokenStream for GatedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        let gated = token
            .text
            .chars()
            .next()
            .is_some_and(|c| self.first.binary_search(&c).is_ok());
        if gated {
            if let std::borrow::Cow::Owned(stem) = self.stemmer.stem(&token.text) {
                token.text = stem;
            }
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::{Language, LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer};

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn stems_exactly_as_tantivy_does_on_first_and_later_sight() {
        let text = "The Founding Acts founded councils; the councils consulted, consulting \
                    and co-operating. Négociations négociées Переговоры переговоров";
        for (language, algorithm) in [
            (Language::English, frostem::Algorithm::English),
            (Language::French, frostem::Algorithm::French),
            (Language::Russian, frostem::Algorithm::Russian),
        ] {
            let mut plain = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(Stemmer::new(language))
                .build();
            let mut cached = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(CachedStemmer::new(algorithm))
                .build();
            let expected = tokens(&mut plain, text);
            // Twice: the second pass answers from the cache.
            assert_eq!(tokens(&mut cached, text), expected);
            assert_eq!(tokens(&mut cached, text), expected);
            // Gated on every first letter of the text's stems: the same stems.
            let first: Vec<char> = expected.iter().filter_map(|t| t.chars().next()).collect();
            let mut gated = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(GatedStemmer::new(algorithm, first))
                .build();
            assert_eq!(tokens(&mut gated, text), expected);
            // Gated on one letter: only the words that begin with it are stemmed.
            let mut only_c = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(GatedStemmer::new(algorithm, ['c']))
                .build();
            let unstemmed = tokens(
                &mut TextAnalyzer::builder(SimpleTokenizer::default())
                    .filter(LowerCaser)
                    .build(),
                text,
            );
            let want: Vec<String> = expected
                .iter()
                .zip(&unstemmed)
                .map(|(stem, word)| {
                    if word.starts_with('c') {
                        stem.clone()
                    } else {
                        word.clone()
                    }
                })
                .collect();
            assert_eq!(tokens(&mut only_c, text), want);
        }
    }
}
