//! A stemming filter that remembers its answers.
//!
//! Profiling a rebuild showed Snowball stemming at about a sixth of the indexing time, on
//! words that repeat endlessly (a text's vocabulary is small next to its length). Each
//! analyser keeps the stems it has computed, bounded so that a huge vocabulary cannot grow
//! it without limit; the keys are hashed with FxHash, as short words need a cheap hash. The
//! stems are exactly tantivy's (the same `frostem` algorithms).

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
            cache: StemCache::default(),
        }
    }
}

#[derive(Clone)]
pub struct CachedStemmerFilter<T> {
    stemmer: frostem::Stemmer,
    inner: T,
    cache: StemCache,
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
    cache: &'a mut StemCache,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match self.cache.get(&token.text) {
            Some(Stem::Same) => {}
            Some(Stem::Other(stem)) => {
                token.text.clear();
                token.text.push_str(stem);
            }
            None => match self.stemmer.stem(&token.text) {
                std::borrow::Cow::Borrowed(_) => self.cache.insert(&token.text, None),
                std::borrow::Cow::Owned(stem) => {
                    self.cache.insert(&token.text, Some(&stem));
                    token.text = stem;
                }
            },
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

/// What the cache knows of a word's stem.
#[derive(Debug, PartialEq)]
enum Stem<'a> {
    /// The stem is the word itself (most words of a text).
    Same,
    Other(&'a str),
}

/// Word → stem, kept in one byte arena with an open-addressing table of small slots.
///
/// Why not a `HashMap<String, String>`: a hit there reads the table, the key's heap string
/// and the stem's heap string, three places in memory for each of millions of tokens, and
/// the key comparison and copy were about a sixth of the indexing time. Here a hit reads
/// one slot (its hash, where the word is, and the stem's length) and the arena, where the
/// stem follows its word; a word that is its own stem (most of them) is not copied at all.
#[derive(Clone, Default)]
struct StemCache {
    /// Power-of-two sized; a slot with `len == 0` is empty.
    slots: Vec<Slot>,
    /// Each entry's word, then its stem unless the stem is the word.
    arena: Vec<u8>,
    entries: usize,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    hash: u32,
    /// Where the word begins in the arena.
    start: u32,
    /// The word's length in bytes (never 0 for a filled slot).
    len: u16,
    /// The stem's length in bytes, or `SAME`.
    stem_len: u16,
}

const SAME: u16 = u16::MAX;

impl StemCache {
    fn len(&self) -> usize {
        self.entries
    }

    fn clear(&mut self) {
        self.slots.clear();
        self.arena.clear();
        self.entries = 0;
    }

    fn hash(word: &str) -> u32 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = rustc_hash::FxBuildHasher.build_hasher();
        h.write(word.as_bytes());
        let h = h.finish();
        (h ^ (h >> 32)) as u32
    }

    fn get(&self, word: &str) -> Option<Stem<'_>> {
        if self.slots.is_empty() || word.len() >= SAME as usize {
            return None;
        }
        let hash = Self::hash(word);
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot.len == 0 {
                return None;
            }
            let start = slot.start as usize;
            let end = start + slot.len as usize;
            if slot.hash == hash && &self.arena[start..end] == word.as_bytes() {
                if slot.stem_len == SAME {
                    return Some(Stem::Same);
                }
                let stem = &self.arena[end..end + slot.stem_len as usize];
                // The arena holds only whole `str`s, copied from `&str`s.
                return Some(Stem::Other(std::str::from_utf8(stem).ok()?));
            }
            i = (i + 1) & mask;
        }
    }

    /// Remembers `word`'s stem (`None`: the word itself). Words too long for a slot are
    /// not remembered; they are stemmed each time.
    fn insert(&mut self, word: &str, stem: Option<&str>) {
        if word.is_empty()
            || word.len() >= SAME as usize
            || stem.is_some_and(|s| s.len() >= SAME as usize)
            || self.arena.len() + word.len() + stem.map_or(0, str::len) > u32::MAX as usize
        {
            return;
        }
        // At most half full, so that probes stay short.
        if (self.entries + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let slot = Slot {
            hash: Self::hash(word),
            start: self.arena.len() as u32,
            len: word.len() as u16,
            stem_len: stem.map_or(SAME, |s| s.len() as u16),
        };
        self.arena.extend_from_slice(word.as_bytes());
        if let Some(s) = stem {
            self.arena.extend_from_slice(s.as_bytes());
        }
        self.place(slot);
        self.entries += 1;
    }

    fn place(&mut self, slot: Slot) {
        let mask = self.slots.len() - 1;
        let mut i = slot.hash as usize & mask;
        while self.slots[i].len != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
        for slot in old.into_iter().filter(|s| s.len != 0) {
            self.place(slot);
        }
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

    #[test]
    fn the_cache_answers_what_was_put_in_through_growth_and_clearing() {
        let mut cache = StemCache::default();
        assert_eq!(cache.get("councils"), None);
        // Enough words to grow the table several times and to make probes collide.
        let words: Vec<String> = (0..5_000).map(|i| format!("w{i}")).collect();
        for (i, w) in words.iter().enumerate() {
            let stem = format!("s{i}");
            cache.insert(w, (i % 3 != 0).then_some(stem.as_str()));
        }
        assert_eq!(cache.len(), words.len());
        for (i, w) in words.iter().enumerate() {
            let stem = format!("s{i}");
            let want = if i % 3 == 0 {
                Stem::Same
            } else {
                Stem::Other(&stem)
            };
            assert_eq!(cache.get(w), Some(want), "{w}");
        }
        assert_eq!(cache.get("w5000"), None);
        assert_eq!(cache.get("w"), None);
        // Non-ASCII words and stems.
        cache.insert("переговоров", Some("переговор"));
        assert_eq!(cache.get("переговоров"), Some(Stem::Other("переговор")));
        // Words too long for a slot are not remembered, and nothing breaks.
        let long = "x".repeat(70_000);
        cache.insert(&long, None);
        assert_eq!(cache.get(&long), None);
        cache.clear();
        assert_eq!(cache.len(), 0);
        assert_eq!(cache.get("w1"), None);
        cache.insert("w1", Some("w"));
        assert_eq!(cache.get("w1"), Some(Stem::Other("w")));
    }
}
