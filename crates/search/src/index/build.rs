//! Building tantivy queries: a parsed query, the bonus queries that re-rank its best
//! candidates, and the terms and bitset conditions a [`Plan`](super::plan::Plan) runs with.

use super::plan::{words_of, Condition, Text};
use super::schema::{facet_term, year_span, WIDE};
use super::synonyms::Synonyms;
use super::{BoxedQuery, SearchIndex};
use crate::bitsets::{Constraint, FilteredWords, Leaf};
use crate::docs::N_LANGS;
use crate::query::{Filter, Node};
use crate::SearchError;
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;

/// Turns a parsed query into tantivy queries against one searcher (it asks the searcher
/// which language fields know a term, so that a word becomes one term query wherever it
/// can: the shape that tantivy prunes best).
pub(super) struct Builder<'a> {
    pub(super) index: &'a SearchIndex,
    pub(super) syn: &'a Synonyms,
    pub(super) searcher: &'a tantivy::Searcher,
}

impl Builder<'_> {
    /// The tantivy query for a tree. Recursive: one level per level of the tree, which
    /// `query::parse` bounds by `query::MAX_DEPTH`.
    pub(super) fn build(&self, node: &Node) -> Result<BoxedQuery, SearchError> {
        Ok(match node {
            Node::Word(w) => self.words_or_synonyms(std::slice::from_ref(w), &self.index.f.text)?,
            Node::Phrase(p) => self.words_or_synonyms(p, &self.index.f.text)?,
            Node::Or(items) => {
                let clauses = items
                    .iter()
                    .map(|n| Ok((Occur::Should, self.build(n)?)))
                    .collect::<Result<Vec<_>, SearchError>>()?;
                Box::new(BooleanQuery::new(clauses))
            }
            Node::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as BoxedQuery),
                (Occur::MustNot, self.build(inner)?),
            ])),
            Node::Filter(f) => {
                let mut parts = self.filter(f)?;
                let q: BoxedQuery = if parts.len() == 1 {
                    parts.remove(0)
                } else {
                    Box::new(BooleanQuery::new(
                        parts.into_iter().map(|q| (Occur::Must, q)).collect(),
                    ))
                };
                Box::new(ConstScoreQuery::new(q, 0.0))
            }
            Node::And(items) => {
                let mut clauses: Vec<(Occur, BoxedQuery)> = Vec::new();
                let mut i = 0;
                while i < items.len() {
                    // Runs of bare words that name a body ("permanent joint council") expand.
                    if let Some((len, q)) = self.synonym_run(&items[i..])? {
                        clauses.push((Occur::Must, q));
                        i += len;
                        continue;
                    }
                    match &items[i] {
                        Node::Not(inner) => clauses.push((Occur::MustNot, self.build(inner)?)),
                        // Filters join the intersection directly (each part scoring 0), so
                        // the text leads and the filters are only asked about its matches.
                        Node::Filter(f) => {
                            for part in self.filter(f)? {
                                let q: BoxedQuery = Box::new(ConstScoreQuery::new(part, 0.0));
                                clauses.push((Occur::Must, q));
                            }
                        }
                        other => clauses.push((Occur::Must, self.build(other)?)),
                    }
                    i += 1;
                }
                if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Box::new(BooleanQuery::new(clauses))
            }
        })
    }

    /// Records in the index, deleted ones included (what a posting list's length is
    /// measured against).
    fn max_doc(&self) -> u64 {
        self.searcher
            .segment_readers()
            .iter()
            .map(|s| s.max_doc() as u64)
            .sum()
    }

    /// Whether several words must all match, one of them rare (in at most
    /// 1/[`FEW_FRACTION`] of the records): the matches are then few, and scoring each in
    /// one pass that also counts them beats a pruned search plus a second, counting pass.
    pub(super) fn few_together(&self, words: &[String], all: bool) -> Result<bool, SearchError> {
        if !all || words.len() < 2 {
            return Ok(false);
        }
        let max_doc = self.max_doc();
        for w in words {
            let mut df = 0u64;
            for &field in self.index.f.text.iter() {
                for t in self.terms(field, w)? {
                    df += self.searcher.doc_freq(&t)?;
                }
            }
            if df * FEW_FRACTION <= max_doc {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// For bare words joined by AND or OR whose postings are long, each word's terms (one
    /// per language that knows it) and whether all words must match; `None` where
    /// tantivy's own count is as fast (a single word, a short list to seek in).
    pub(super) fn dense_words(
        &self,
        bare: &[String],
        all: bool,
    ) -> Result<Option<DenseWords>, SearchError> {
        if bare.len() < 2 {
            return Ok(None);
        }
        let max_doc = self.max_doc();
        let mut words = Vec::new();
        let mut freqs = Vec::new();
        for w in bare {
            let mut terms = Vec::new();
            let mut freq = 0u64;
            for &field in self.index.f.text.iter() {
                let mut t = self.terms(field, w)?;
                if t.len() != 1 {
                    return Ok(None);
                }
                let df = self.searcher.doc_freq(&t[0])?;
                if df > 0 {
                    freq += df;
                    terms.push(t.remove(0));
                }
            }
            words.push(terms);
            freqs.push(freq);
        }
        let decisive = if all {
            freqs.iter().copied().min().unwrap_or(0)
        } else {
            freqs.iter().sum()
        };
        Ok((decisive * DENSE_FRACTION >= max_doc).then_some(DenseWords { words, all }))
    }

    /// What re-ranks the best candidates: each word, phrase or name of the query found in
    /// a title (three times the weight of the text; a body's other names count as its
    /// name), and bare words found together as an exact phrase. Returned as single term or
    /// phrase queries, each with its weight: a candidate's bonus is the sum of those it
    /// matches, and each is asked about the candidates alone (a union would look past
    /// them for its next phrase match).
    pub(super) fn bonus(&self, node: &Node) -> Result<Vec<(BoxedQuery, f32)>, SearchError> {
        let mut leaves: Vec<(BoxedQuery, f32)> = Vec::new();
        let mut units = Vec::new();
        self.units(node, &mut units);
        units.dedup();
        for unit in &units {
            for l in self.words_or_synonyms_leaves(unit, &self.index.f.title)? {
                leaves.push((l.query, 3.0));
            }
        }
        let bare: Vec<String> = match node {
            Node::And(items) => words_of(items),
            _ => vec![],
        };
        if bare.len() >= 2 {
            for l in self.text_query_leaves(&bare, &self.index.f.text)? {
                leaves.push((l.query, 2.0));
            }
        }
        Ok(leaves)
    }

    /// What a snippet marks: each word, phrase or run of words naming a body that the
    /// query looks for (not what it excludes), as the terms of each text field that knows
    /// it, and each of a named body's other names likewise (so that "PJC" marks "PJC" and
    /// the body's full name, each as a whole).
    pub(super) fn snippet_units(&self, node: &Node) -> Result<Vec<Vec<Term>>, SearchError> {
        let mut units = Vec::new();
        self.units(node, &mut units);
        units.dedup();
        let mut out = Vec::new();
        for unit in &units {
            for leaf in self.words_or_synonyms_leaves(unit, &self.index.f.text)? {
                out.push(leaf.terms);
            }
        }
        Ok(out)
    }

    /// The words, phrases and runs of words naming a body that the query looks for.
    fn units(&self, node: &Node, out: &mut Vec<Vec<String>>) {
        match node {
            Node::Word(w) => out.push(vec![w.clone()]),
            Node::Phrase(p) => out.push(p.clone()),
            Node::Or(items) => items.iter().for_each(|n| self.units(n, out)),
            Node::And(items) => {
                let mut i = 0;
                while i < items.len() {
                    if let Some(len) = self.syn.run_len(&items[i..]) {
                        out.push(words_of(&items[i..i + len]));
                        i += len;
                    } else {
                        self.units(&items[i], out);
                        i += 1;
                    }
                }
            }
            Node::Not(_) | Node::Filter(_) => {}
        }
    }

    /// The longest run (2+ words) at the start of `items` that names a body, expanded.
    fn synonym_run(&self, items: &[Node]) -> Result<Option<(usize, BoxedQuery)>, SearchError> {
        let Some(len) = self.syn.run_len(items) else {
            return Ok(None);
        };
        let words = words_of(&items[..len]);
        Ok(Some((
            len,
            self.words_or_synonyms(&words, &self.index.f.text)?,
        )))
    }

    /// Words as a phrase in `fields`, or, when they name a body, any of its names.
    fn words_or_synonyms(
        &self,
        words: &[String],
        fields: &[Field; N_LANGS],
    ) -> Result<BoxedQuery, SearchError> {
        Ok(any_of(
            self.words_or_synonyms_leaves(words, fields)?
                .into_iter()
                .map(|l| l.query)
                .collect(),
        ))
    }

    /// The term and phrase queries of [`words_or_synonyms`](Self::words_or_synonyms), each
    /// with its terms (the bitset path reads their postings).
    fn words_or_synonyms_leaves(
        &self,
        words: &[String],
        fields: &[Field; N_LANGS],
    ) -> Result<Vec<Leaf>, SearchError> {
        let key = words.join(" ").to_lowercase();
        let mut alternatives = self.text_query_leaves(words, fields)?;
        if let Some(names) = self.syn.names.get(&key) {
            for n in names {
                let ws: Vec<String> = n.split_whitespace().map(str::to_string).collect();
                alternatives.extend(self.text_query_leaves(&ws, fields)?);
            }
        }
        Ok(alternatives)
    }

    /// The words in the field (of `fields`, one per language) of each language that knows
    /// them all, as a term or a phrase (none if no language does).
    fn text_query_leaves(
        &self,
        words: &[String],
        fields: &[Field; N_LANGS],
    ) -> Result<Vec<Leaf>, SearchError> {
        let text = words.join(" ");
        let mut per_lang = Vec::new();
        'langs: for &field in fields.iter() {
            let terms = self.terms(field, &text)?;
            for t in &terms {
                if !self.known(t)? {
                    continue 'langs;
                }
            }
            let query: BoxedQuery = match terms.len() {
                0 => continue,
                1 => Box::new(TermQuery::new(
                    terms[0].clone(),
                    IndexRecordOption::WithFreqs,
                )),
                _ => Box::new(PhraseQuery::new(terms.clone())),
            };
            per_lang.push(Leaf { terms, query });
        }
        Ok(per_lang)
    }

    /// `text` as the terms the field's analyser makes of it.
    fn terms(&self, field: Field, text: &str) -> Result<Vec<Term>, SearchError> {
        let mut analyzer = self.index.index.tokenizer_for_field(field)?;
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(Term::from_field_text(field, &stream.token().text));
        }
        Ok(terms)
    }

    /// Whether any indexed record has the term.
    fn known(&self, term: &Term) -> Result<bool, SearchError> {
        Ok(self.searcher.doc_freq(term)? > 0)
    }

    /// The bitset search of a [`Plan::Filtered`](super::plan::Plan::Filtered) (`text`) or
    /// of a [`Plan::Filters`](super::plan::Plan::Filters) (no `text`), with its terms read
    /// from the index; `None` where the index cannot serve it (a word no language knows or
    /// that is several tokens, phrases or names no language knows, no condition left): the
    /// collected search then runs, and finds the same.
    pub(super) fn filtered(
        &self,
        text: Option<&Text>,
        conditions: &[Condition],
    ) -> Result<Option<FilteredWords>, SearchError> {
        let mut constraints = Vec::new();
        for c in conditions {
            match c {
                Condition::Filter(f) => constraints.push(self.constraint(f, false)),
                Condition::NotFilter(f) => constraints.push(self.constraint(f, true)),
                Condition::NotWord(w) => match self.word_terms(w)? {
                    None => return Ok(None),
                    Some(terms) if terms.is_empty() => {}
                    Some(terms) => constraints.push(Constraint::AnyTerm {
                        terms,
                        negate: true,
                    }),
                },
            }
        }
        if constraints.is_empty() {
            return Ok(None);
        }
        let mut filtered = FilteredWords {
            words: Vec::new(),
            text: None,
            units: Vec::new(),
            constraints,
        };
        match text {
            None => {}
            Some(Text::Words(words)) => {
                for w in words {
                    match self.word_terms(w)? {
                        Some(terms) if !terms.is_empty() => filtered.words.push(terms),
                        // Not one token, or unknown: the usual path (which finds nothing).
                        _ => return Ok(None),
                    }
                }
                let mut nodes: Vec<Node> = words.iter().cloned().map(Node::Word).collect();
                filtered.text = Some(match nodes.len() {
                    1 => self.build(&nodes.remove(0))?,
                    _ => self.build(&Node::And(nodes))?,
                });
            }
            // Phrases or names of bodies: each record the filters allow is checked and
            // scored one by one, leaf by leaf.
            Some(Text::Units(units)) => {
                for words in units {
                    let leaves = self.words_or_synonyms_leaves(words, &self.index.f.text)?;
                    if leaves.is_empty() {
                        return Ok(None);
                    }
                    filtered.units.push(leaves);
                }
            }
        }
        Ok(Some(filtered))
    }

    /// A bare word's terms, one per language whose dictionary has it; `None` if the word
    /// names a body (it expands) or is more than one token in some language (a phrase).
    fn word_terms(&self, w: &str) -> Result<Option<Vec<Term>>, SearchError> {
        if self.syn.names_a_body(w) {
            return Ok(None);
        }
        let mut out = Vec::new();
        for &field in self.index.f.text.iter() {
            let mut terms = self.terms(field, w)?;
            if terms.len() != 1 {
                return Ok(None);
            }
            if self.known(&terms[0])? {
                out.push(terms.remove(0));
            }
        }
        Ok(Some(out))
    }

    /// A filter as a condition for [`bitsets`](crate::bitsets).
    fn constraint(&self, f: &Filter, negate: bool) -> Constraint {
        let fields = &self.index.f;
        let any = |terms: Vec<Term>| Constraint::AnyTerm { terms, negate };
        let facet = |dim: &str, value: &str| any(vec![facet_term(fields, dim, value)]);
        match f {
            Filter::Kind(k) => facet("kind", k),
            Filter::Type(t) => facet("type", t),
            Filter::Lang(l) => facet("lang", l),
            Filter::Dossier(d) => facet("dossier", d),
            Filter::Collection(c) => facet("collection", c),
            Filter::Letter(l) => facet("letter", l),
            Filter::Body(b) => facet("body", &self.body_slug(b)),
            Filter::Coverage { from, to } => Constraint::Date {
                from: *from,
                to: *to,
                years: None,
                negate,
                columns: ("cov_lo", "cov_hi"),
            },
            Filter::Person(p) => any(self
                .person_slugs(p)
                .iter()
                .map(|s| Term::from_field_text(fields.people, s))
                .collect()),
            Filter::Date { from, to } => Constraint::Date {
                from: *from,
                to: *to,
                years: year_span(*from, *to).map(|(a, b)| {
                    let term = |y: &str| Term::from_field_text(fields.years, y);
                    // A year the range covers from 1 January to 31 December.
                    let whole = |y: i64| *from <= y * 10_000 + 101 && *to >= y * 10_000 + 1231;
                    let (inside, edges): (Vec<i64>, Vec<i64>) = (a..=b).partition(|&y| whole(y));
                    (
                        inside.iter().map(|y| term(&y.to_string())).collect(),
                        edges
                            .iter()
                            .map(|y| term(&y.to_string()))
                            .chain([term(WIDE)])
                            .collect(),
                    )
                }),
                negate,
                columns: ("date_lo", "date_hi"),
            },
        }
    }

    /// The slug of the body a `body:` filter names (by slug, name, acronym or alias).
    fn body_slug(&self, b: &str) -> String {
        self.syn
            .bodies
            .get(&b.to_lowercase())
            .cloned()
            .unwrap_or_else(|| b.to_lowercase())
    }

    /// The slugs of the people a `person:` filter names (by slug, a part of it, or a part
    /// of the name); the text itself if no one is named so.
    fn person_slugs(&self, p: &str) -> Vec<String> {
        let needle = p.to_lowercase();
        let slugs: Vec<String> = self
            .syn
            .people
            .iter()
            .filter(|(slug, name)| {
                *slug == needle || slug.split('-').any(|x| x == needle) || name.contains(&needle)
            })
            .map(|(slug, _)| slug.clone())
            .collect();
        if slugs.is_empty() {
            vec![needle]
        } else {
            slugs
        }
    }

    /// The parts of a filter, each a query that must match (a date range is two).
    fn filter(&self, f: &Filter) -> Result<Vec<BoxedQuery>, SearchError> {
        let fields = &self.index.f;
        let term = |field: Field, v: &str| -> BoxedQuery {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        let facet = |dim: &str, value: &str| -> BoxedQuery {
            Box::new(TermQuery::new(
                facet_term(fields, dim, value),
                IndexRecordOption::Basic,
            ))
        };
        Ok(match f {
            Filter::Kind(k) => vec![facet("kind", k)],
            Filter::Type(t) => vec![facet("type", t)],
            Filter::Lang(l) => vec![facet("lang", l)],
            Filter::Dossier(d) => vec![facet("dossier", d)],
            Filter::Collection(c) => vec![facet("collection", c)],
            Filter::Letter(l) => vec![facet("letter", l)],
            Filter::Body(b) => vec![facet("body", &self.body_slug(b))],
            // Any overlap with the covered period, as for dates.
            Filter::Coverage { from, to } => vec![
                Box::new(RangeQuery::new(
                    Bound::Unbounded,
                    Bound::Included(Term::from_field_i64(fields.cov_lo, *to)),
                )),
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(fields.cov_hi, *from)),
                    Bound::Unbounded,
                )),
            ],
            Filter::Person(p) => vec![any_of(
                self.person_slugs(p)
                    .iter()
                    .map(|s| term(fields.people, s))
                    .collect(),
            )],
            // Any overlap: the record starts before the range ends and ends after it starts.
            Filter::Date { from, to } => {
                let mut parts: Vec<BoxedQuery> = vec![
                    Box::new(RangeQuery::new(
                        Bound::Unbounded,
                        Bound::Included(Term::from_field_i64(fields.date_lo, *to)),
                    )),
                    Box::new(RangeQuery::new(
                        Bound::Included(Term::from_field_i64(fields.date_hi, *from)),
                        Bound::Unbounded,
                    )),
                ];
                // A short range also names its years (and the wide spans that may cover
                // them): a cheap superset that lets the day bounds be checked last.
                if let Some((a, b)) = year_span(*from, *to) {
                    let mut years: Vec<BoxedQuery> = (a..=b)
                        .map(|y| term(fields.years, &y.to_string()))
                        .collect();
                    years.push(term(fields.years, WIDE));
                    parts.insert(0, any_of(years));
                }
                parts
            }
        })
    }
}

/// An AND of words with one in at most 1/`FEW_FRACTION` of the records runs in one pass.
const FEW_FRACTION: u64 = 32;

/// Lists at least 1/`DENSE_FRACTION` of the index long are counted through bitsets.
const DENSE_FRACTION: u64 = 16;

/// Words to count through bitsets: each word's terms, and whether every word must match.
pub(super) struct DenseWords {
    pub(super) words: Vec<Vec<Term>>,
    pub(super) all: bool,
}

/// Any of the queries (their scores summed), or the one, or none.
fn any_of(mut qs: Vec<BoxedQuery>) -> BoxedQuery {
    match qs.len() {
        0 => Box::new(EmptyQuery),
        1 => qs.remove(0),
        _ => Box::new(BooleanQuery::new(
            qs.into_iter().map(|q| (Occur::Should, q)).collect(),
        )),
    }
}
