//! The tantivy schema: its fields, the analysers of its languages, and how an indexed
//! unit of a record becomes a tantivy document.

use super::snippets::{truncate_chars, SNIPPET_SOURCE_CHARS};
use super::SearchIndex;
use crate::docs::{analyser, IndexDoc, LANGS, N_LANGS};
use crate::stem::CachedStemmer;
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing,
    TextOptions, FAST, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
    TokenStream,
};
use tantivy::{doc, Index, TantivyDocument, Term};

#[derive(Clone, Copy)]
pub(super) struct Fields {
    /// `type:slug` of the record a document belongs to (a dossier's, for its sections):
    /// what a change deletes before it adds the record's documents again.
    pub(super) owner: Field,
    /// The record type, kind and language, stored for the hits. They are not indexed:
    /// `type:`, `kind:`, `lang:`, `body:` and `dossier:` filters match the terms of
    /// `facets` (`/kind/declaration`, `/body/nato`…), which every document has for its
    /// counts anyway, so each segment builds one term dictionary for them, not six.
    pub(super) record: Field,
    pub(super) slug: Field,
    pub(super) url: Field,
    pub(super) display_title: Field,
    pub(super) date: Field,
    pub(super) kind: Field,
    /// People's slugs, for `person:` (people are not a facet).
    pub(super) people: Field,
    pub(super) lang: Field,
    /// The earliest and latest day a record's date can mean, as fast fields only: tantivy
    /// answers a range over a fast field from its column and never reads the terms, so
    /// they are not indexed (two terms a record fewer to build into each segment).
    pub(super) date_lo: Field,
    pub(super) date_hi: Field,
    /// Each year a record's date can fall in (or `wide` for spans over [`YEAR_TERMS`]
    /// years and open ends): a date filter's years are a small union of postings that
    /// leads the intersection, and the exact day bounds are checked only on its members.
    pub(super) years: Field,
    /// A stable hash of the document's id (`IndexDoc::id`, not itself indexed): breaks
    /// ties so that equal scores come out in the same order from any build of the index.
    pub(super) tiebreak: Field,
    pub(super) facets: Field,
    /// `title_en`, `title_fr`, …, in the order of [`LANGS`]: the title again, read only
    /// to give title matches their bonus when the best candidates are re-ranked.
    pub(super) title: [Field; N_LANGS],
    /// `text_en`, `text_fr`, …: title and text together, so that one term (or one
    /// phrase) per language decides membership. One term per word is what lets tantivy
    /// skip blocks (block-max WAND) and count a single word from its document frequency.
    /// A document's texts in other languages are more values of their language's field.
    pub(super) text: [Field; N_LANGS],
    /// The head of each text, stored for snippets: the record's own text first, then
    /// each of a document's texts, in the order of `snippet_lang`.
    pub(super) snippet_text: Field,
    /// The analyser (an index of [`LANGS`], as a number) of each `snippet_text` value.
    pub(super) snippet_lang: Field,
    /// The title as browse pages sort it (lower-cased, leading punctuation dropped).
    pub(super) sort_title: Field,
    /// The earliest and latest day of the period a document covers (`coverage:`).
    pub(super) cov_lo: Field,
    pub(super) cov_hi: Field,
}

pub(super) fn schema() -> (Schema, Fields) {
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
        date_hi: b.add_i64_field("date_hi", date_opts.clone()),
        years: b.add_text_field("years", STRING),
        tiebreak: b.add_u64_field("tiebreak", NumericOptions::default().set_fast()),
        facets: b.add_facet_field("facets", FacetOptions::default()),
        title: LANGS.map(|l| b.add_text_field(&format!("title_{l}"), text(&format!("text_{l}")))),
        text: LANGS.map(|l| b.add_text_field(&format!("text_{l}"), text(&format!("text_{l}")))),
        snippet_text: b.add_text_field("snippet_text", STORED),
        snippet_lang: b.add_u64_field("snippet_lang", STORED),
        sort_title: b.add_text_field("sort_title", STRING | FAST),
        cov_lo: b.add_i64_field("cov_lo", date_opts.clone()),
        cov_hi: b.add_i64_field("cov_hi", date_opts),
    };
    (b.build(), f)
}

/// The Snowball stemmer of an analyser of [`LANGS`] (`None` for `und`), and whether
/// accents are folded before it (French: "traités" and "traites" are one word).
pub(super) fn stemmer_of(lang: &str) -> (Option<frostem::Algorithm>, bool) {
    use frostem::Algorithm::*;
    match lang {
        "en" => (Some(English), false),
        "fr" => (Some(French), true),
        "ru" => (Some(Russian), false),
        "de" => (Some(German), false),
        "es" => (Some(Spanish), false),
        "it" => (Some(Italian), false),
        _ => (None, false),
    }
}

/// The analyser of language `lang` of [`LANGS`]: words lower-cased, stemmed where the
/// language has a stemmer (French accents folded first).
pub(super) fn analyzer(lang: &str) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match stemmer_of(lang) {
        (Some(a), true) => base
            .filter(AsciiFoldingFilter)
            .filter(CachedStemmer::new(a))
            .build(),
        (Some(a), false) => base.filter(CachedStemmer::new(a)).build(),
        (None, _) => base.build(),
    }
}

/// Each language's text with its stemmer (`text_en`, `text_fr`, …; `text_und` without).
pub(super) fn register_tokenizers(index: &Index) {
    let m = index.tokenizers();
    for lang in LANGS {
        m.register(&format!("text_{lang}"), analyzer(lang));
    }
}

/// `text` with its accents folded to ASCII where they can be ("Élisabeth" → "Elisabeth").
fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut analyzer = TextAnalyzer::builder(RawTokenizer::default())
        .filter(AsciiFoldingFilter)
        .build();
    let mut tokens = analyzer.token_stream(text);
    while tokens.advance() {
        folded.push_str(&tokens.token().text);
    }
    folded
}

/// The key a title sorts by: accents folded, lower-cased, without the quotes, brackets
/// and other punctuation it may start with, so that "“Élysée”" sorts under E.
pub fn sort_key(title: &str) -> String {
    let head: String = title
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .chars()
        .take(200)
        .collect();
    fold(&head).to_lowercase()
}

/// The letter an A–Z list files a title under: the first letter of its sort key if it is
/// A–Z, upper case; `#` for anything else (digits, other scripts).
pub fn letter_of(title: &str) -> String {
    match sort_key(title).chars().next() {
        Some(l) if l.is_ascii_alphabetic() => l.to_ascii_uppercase().to_string(),
        _ => "#".into(),
    }
}

impl SearchIndex {
    pub(super) fn to_tantivy(&self, d: &IndexDoc, owner: &str) -> TantivyDocument {
        let f = &self.f;
        let li = analyser(&d.lang);
        let display = d.title.split(" · ").next().unwrap_or_default();
        let mut doc = doc!(
            f.owner => owner,
            f.record => d.kind_of_record,
            f.slug => d.slug.clone(),
            f.url => d.url.clone(),
            f.display_title => display,
            f.sort_title => sort_key(display),
            f.lang => d.lang.clone(),
            f.title[li] => d.title.clone(),
            // Two values: a phrase never runs from the title into the text.
            f.text[li] => d.title.clone(),
            f.text[li] => d.body.clone(),
            f.snippet_text => truncate_chars(&d.body, SNIPPET_SOURCE_CHARS),
            f.snippet_lang => li as u64,
            f.tiebreak => stable_hash(&d.id),
        );
        doc.add_facet(f.facets, Facet::from_path(["type", d.kind_of_record]));
        doc.add_facet(f.facets, Facet::from_path(["letter", &letter_of(display)]));
        let mut langs = vec![d.lang.clone()];
        for (lang, text) in &d.texts {
            let ti = analyser(lang);
            doc.add_text(f.text[ti], text);
            doc.add_text(f.snippet_text, truncate_chars(text, SNIPPET_SOURCE_CHARS));
            doc.add_u64(f.snippet_lang, ti as u64);
            let code = crate::docs::primary_subtag(lang);
            if !langs.contains(&code) {
                langs.push(code);
            }
        }
        for lang in &langs {
            doc.add_facet(f.facets, Facet::from_path(["lang", lang.as_str()]));
        }
        for c in &d.collections {
            doc.add_facet(f.facets, Facet::from_path(["collection", c.as_str()]));
        }
        if let Some(cov) = d.coverage {
            doc.add_i64(f.cov_lo, cov.earliest());
            doc.add_i64(f.cov_hi, cov.latest());
        }
        if let Some(k) = &d.kind {
            doc.add_text(f.kind, k);
            doc.add_facet(f.facets, Facet::from_path(["kind", k.as_str()]));
        }
        for b in &d.bodies {
            doc.add_facet(f.facets, Facet::from_path(["body", b.as_str()]));
        }
        for p in &d.people {
            doc.add_text(f.people, p);
            doc.add_facet(f.facets, Facet::from_path(["person", p.as_str()]));
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
}

/// The term of facet `/dim/value`: what a filter on that value matches.
pub(super) fn facet_term(f: &Fields, dim: &str, value: &str) -> Term {
    Term::from_facet(f.facets, &Facet::from_path([dim, value]))
}

/// The most years a date is indexed under one by one (a longer span is `wide`).
const YEAR_TERMS: i64 = 50;
pub(super) const WIDE: &str = "wide";

/// The years from `YYYYMMDD` to `YYYYMMDD`, if there are at most [`YEAR_TERMS`].
pub(super) fn year_span(earliest: i64, latest: i64) -> Option<(i64, i64)> {
    if earliest == i64::MIN || latest == i64::MAX {
        return None;
    }
    let (a, b) = (earliest.div_euclid(10_000), latest.div_euclid(10_000));
    (b >= a && b - a < YEAR_TERMS).then_some((a, b))
}

/// The stable tie-breaking key of each record of a segment.
pub(super) fn tiebreak_column(
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
