//! The static export's search index (issue 27): for the queries a static page can answer
//! without a server (bare words, and the names of bodies), the records the server's index
//! finds, worked out here with the server's own analysers so that both answer alike.
//!
//! - `words`: each word of the archive (lower-cased, as written) → the records whose text,
//!   in any language, holds the term that language's analyser makes of it (stem included).
//! - `names`: each name, acronym and alias of a body (lower-cased) → the records that hold
//!   that name or any other name of the body as a whole phrase, as the server's expansion
//!   finds them.
//!
//! A query's records are then an intersection of lists, which a page's script can do from
//! chunks of these maps (see `dossier-publish`'s export).

use super::schema::analyzer;
use super::synonyms::Synonyms;
use crate::docs::{self, analyser, IndexDoc, LANGS, N_LANGS};
use crate::SearchError;
use dossier_store::{DocumentQuery, EventQuery, Store};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, TokenStream,
};

/// One searchable unit (a record, or a section of a dossier), as a hit shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticUnit {
    /// The site path (`/documents/founding-act-1997`, `/dossiers/x#a-1`).
    pub url: String,
    pub title: String,
    /// `document`, `section`, `body`, `person`, `event`, `topic`.
    pub record: &'static str,
    pub kind: Option<String>,
    /// The EDTF date.
    pub date: Option<String>,
}

/// The static search's index: units, and what each word and each name finds.
#[derive(Debug, Default)]
pub struct StaticIndex {
    pub units: Vec<StaticUnit>,
    /// Lower-cased word → unit numbers, ascending.
    pub words: BTreeMap<String, Vec<u32>>,
    /// Lower-cased name of a body → unit numbers, ascending.
    pub names: BTreeMap<String, Vec<u32>>,
}

/// A gap between two values of a field (no term's number): no phrase runs across it.
const GAP: u32 = u32::MAX;

impl StaticIndex {
    /// Builds the index of every record of `store`, as the server's index holds them.
    pub fn build(store: &dyn Store) -> Result<StaticIndex, SearchError> {
        let mut docs: Vec<IndexDoc> = Vec::new();
        for d in store.documents(&DocumentQuery::default())? {
            docs.push(docs::from_document(&d));
        }
        for b in store.bodies(None)? {
            docs.push(docs::from_body(&b));
        }
        for p in store.people(None)? {
            docs.push(docs::from_person(&p));
        }
        for e in store.events(&EventQuery::default())? {
            docs.push(docs::from_event(&e));
        }
        for t in store.topics(None)? {
            docs.push(docs::from_topic(&t));
        }
        for summary in store.dossiers()? {
            if let Some(d) = store.dossier(&summary.slug)? {
                docs.extend(docs::from_dossier(&d));
            }
        }
        let synonyms = Synonyms::load(store)?;
        Ok(Self::from_docs(&docs, &synonyms))
    }

    fn from_docs(docs: &[IndexDoc], synonyms: &Synonyms) -> StaticIndex {
        let mut analyzers: Vec<TextAnalyzer> = LANGS.iter().map(|l| analyzer(l)).collect();
        let mut surface = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .build();
        let mut units = Vec::with_capacity(docs.len());
        // Per language: term → its number; term number → units; and each unit's terms
        // in order, as numbers (an archive's texts are long: numbers, not strings).
        let mut numbers: [HashMap<String, u32>; N_LANGS] = Default::default();
        let mut postings: [Vec<Vec<u32>>; N_LANGS] = Default::default();
        let mut sequences: Vec<[Vec<u32>; N_LANGS]> = Vec::with_capacity(docs.len());
        let mut vocabulary: BTreeSet<String> = BTreeSet::new();
        for (n, d) in docs.iter().enumerate() {
            let n = n as u32;
            units.push(StaticUnit {
                url: d.url.clone(),
                title: d.title.split(" · ").next().unwrap_or_default().to_string(),
                record: d.kind_of_record,
                kind: d.kind.clone(),
                date: d.date.map(|x| x.to_string()),
            });
            // As the server indexes it: title and text in the record's language, each
            // text in its own.
            let own = analyser(&d.lang);
            let mut values: Vec<(usize, &str)> = vec![(own, &d.title), (own, &d.body)];
            values.extend(d.texts.iter().map(|(l, t)| (analyser(l), t.as_str())));
            let mut seq: [Vec<u32>; N_LANGS] = Default::default();
            for (li, text) in values {
                let mut stream = analyzers[li].token_stream(text);
                while stream.advance() {
                    let term = &stream.token().text;
                    let id = match numbers[li].get(term) {
                        Some(&id) => id,
                        None => {
                            let id = postings[li].len() as u32;
                            numbers[li].insert(term.clone(), id);
                            postings[li].push(Vec::new());
                            id
                        }
                    };
                    seq[li].push(id);
                    let list = &mut postings[li][id as usize];
                    if list.last() != Some(&n) {
                        list.push(n);
                    }
                }
                seq[li].push(GAP);
                let mut words = surface.token_stream(text);
                while words.advance() {
                    vocabulary.insert(words.token().text.clone());
                }
            }
            sequences.push(seq);
        }
        // Each word: the union over languages of its term's units.
        let mut words = BTreeMap::new();
        for w in vocabulary {
            let mut found: BTreeSet<u32> = BTreeSet::new();
            for (li, a) in analyzers.iter_mut().enumerate() {
                let terms = terms_of(a, &w);
                if let [t] = terms.as_slice() {
                    if let Some(&id) = numbers[li].get(t) {
                        found.extend(&postings[li][id as usize]);
                    }
                }
            }
            if !found.is_empty() {
                words.insert(w, found.into_iter().collect());
            }
        }
        // Each name of a body: the units with it or another name of the body as a phrase.
        let mut names = BTreeMap::new();
        for (key, others) in &synonyms.names {
            let mut found: BTreeSet<u32> = BTreeSet::new();
            for name in std::iter::once(key).chain(others) {
                for (li, a) in analyzers.iter_mut().enumerate() {
                    // The name's terms as numbers; a term no record has: no phrase here.
                    let Some(terms) = terms_of(a, name)
                        .iter()
                        .map(|t| numbers[li].get(t).copied())
                        .collect::<Option<Vec<u32>>>()
                    else {
                        continue;
                    };
                    let Some(&first) = terms.first() else {
                        continue;
                    };
                    for &u in &postings[li][first as usize] {
                        if found.contains(&u) {
                            continue;
                        }
                        let seq = &sequences[u as usize][li];
                        if seq.windows(terms.len()).any(|w| w == terms.as_slice()) {
                            found.insert(u);
                        }
                    }
                }
            }
            names.insert(key.clone(), found.into_iter().collect());
        }
        StaticIndex {
            units,
            words,
            names,
        }
    }
}

fn terms_of(a: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = a.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}
