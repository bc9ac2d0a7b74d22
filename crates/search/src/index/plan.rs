//! Query planning: how a parsed query runs, as a value. The shape of the query (and which
//! of its words name a body) decides a strategy, so that each shape pays only for what it
//! needs; [`plan`] is a pure function of them, so that tests can assert the strategy a
//! query gets, and the executor (`execute.rs`) runs the [`Plan`] it returns.

use super::synonyms::Synonyms;
use super::Sort;
use crate::query::{Filter, Node};

/// How a query runs.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Plan {
    /// Bare words joined by AND (`all`) or by OR, none naming a body (one word is a plan
    /// of one word): tantivy's pruned search (block-max WAND) for the best candidates,
    /// then an exact count. The executor still asks the index two things: an AND with one
    /// rare word is scored and counted in one pass instead, and long posting lists are
    /// counted as bitsets.
    Words { words: Vec<String>, all: bool },
    /// Words, phrases or names of bodies with filters or exclusions: the conditions become
    /// a bitset per segment and the text is searched under it.
    Filtered {
        text: Text,
        conditions: Vec<Condition>,
    },
    /// Filters and exclusions alone: the records of the bitset, in a stable order.
    Filters { conditions: Vec<Condition> },
    /// Anything else (a phrase or a name without filters, OR of phrases, a sort by date…):
    /// collected and counted in one pass.
    Collected(Order),
}

/// What a [`Plan::Filtered`] searches for under its bitset.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Text {
    /// Bare words, none naming a body: searched pruned under the bitset (one word is
    /// counted and scored in a single pass over its list).
    Words(Vec<String>),
    /// Phrases or names of bodies, each as the words it is made of: checked (positions
    /// read) and scored one by one on the records the bitset allows.
    Units(Vec<Vec<String>>),
}

/// One condition of a filter bitset, in the query's order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Condition {
    Filter(Filter),
    NotFilter(Filter),
    /// `NOT word`, a bare word that names no body.
    NotWord(String),
}

/// The order of a [`Plan::Collected`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// By BM25, the best candidates re-ranked (the query has words or phrases).
    Relevance,
    /// Every score is equal (no words to rank by): by a stable key, so that two builds of
    /// the same data answer alike.
    Stable,
    /// Earliest first.
    Date,
    /// Latest first.
    DateDesc,
    /// By title, A to Z (browse pages).
    Title,
}

/// How `node` runs when sorted by `sort`, given the names of bodies (`names`), which
/// expand and so change a query's shape. The executor falls back to
/// [`Plan::Collected`] where the index cannot serve a filtered plan (a word no language
/// knows, a word that is several tokens): what the collected search finds is the same.
pub(super) fn plan(node: &Node, sort: Sort, names: &Synonyms) -> Plan {
    match sort {
        Sort::Date => return Plan::Collected(Order::Date),
        Sort::DateDesc => return Plan::Collected(Order::DateDesc),
        Sort::Relevance => {}
    }
    if let Some(plan) = filtered(node, names) {
        return plan;
    }
    if let Some((words, all)) = plain_words(node, names) {
        return Plan::Words { words, all };
    }
    Plan::Collected(if has_text(node) {
        Order::Relevance
    } else {
        Order::Stable
    })
}

/// Whether the query has words or phrases to rank by (not only filters and exclusions).
pub(super) fn has_text(node: &Node) -> bool {
    match node {
        Node::Word(_) | Node::Phrase(_) => true,
        Node::And(v) | Node::Or(v) => v.iter().any(has_text),
        Node::Not(_) | Node::Filter(_) => false,
    }
}

/// The words of a query of bare words joined by AND (`true`) or by OR (`false`), none
/// naming a body: the shape block-max WAND can prune.
fn plain_words(node: &Node, names: &Synonyms) -> Option<(Vec<String>, bool)> {
    let bare = |n: &Node| match n {
        Node::Word(w) if !names.names_a_body(w) => Some(w.clone()),
        _ => None,
    };
    match node {
        Node::Word(_) => Some((vec![bare(node)?], true)),
        Node::Or(items) => Some((items.iter().map(bare).collect::<Option<_>>()?, false)),
        Node::And(items) => {
            let words = items.iter().map(bare).collect::<Option<_>>()?;
            (0..items.len())
                .all(|i| names.run_len(&items[i..]).is_none())
                .then_some((words, true))
        }
        _ => None,
    }
}

/// A query of words, phrases or names with filters or exclusions (`saba body:pjc`,
/// `foba NOT gaba`, `kind:treaty date:1950..1955`) as a filtered plan; `None` for any
/// other shape (OR, an exclusion of a phrase or of a name…).
fn filtered(node: &Node, names: &Synonyms) -> Option<Plan> {
    let items: &[Node] = match node {
        Node::And(items) => items,
        Node::Filter(_) => std::slice::from_ref(node),
        _ => return None,
    };
    let mut conditions = Vec::new();
    // The words, phrases and names to find, each as the words it is made of, and whether
    // it is a bare word that names no body.
    let mut texts: Vec<(Vec<String>, bool)> = Vec::new();
    let mut i = 0;
    while i < items.len() {
        if let Some(len) = names.run_len(&items[i..]) {
            texts.push((words_of(&items[i..i + len]), false));
            i += len;
            continue;
        }
        match &items[i] {
            Node::Word(w) => texts.push((vec![w.clone()], !names.names_a_body(w))),
            Node::Phrase(p) => texts.push((p.clone(), false)),
            Node::Filter(f) => conditions.push(Condition::Filter(f.clone())),
            Node::Not(inner) => match &**inner {
                Node::Filter(f) => conditions.push(Condition::NotFilter(f.clone())),
                Node::Word(w) if !names.names_a_body(w) => {
                    conditions.push(Condition::NotWord(w.clone()))
                }
                _ => return None,
            },
            _ => return None,
        }
        i += 1;
    }
    if conditions.is_empty() {
        return None;
    }
    if texts.is_empty() {
        return Some(Plan::Filters { conditions });
    }
    let text = if texts.iter().all(|(_, bare)| *bare) {
        Text::Words(texts.into_iter().map(|(mut w, _)| w.remove(0)).collect())
    } else {
        Text::Units(texts.into_iter().map(|(w, _)| w).collect())
    };
    Some(Plan::Filtered { text, conditions })
}

/// The bare words among `items`.
pub(super) fn words_of(items: &[Node]) -> Vec<String> {
    items
        .iter()
        .filter_map(|n| match n {
            Node::Word(w) => Some(w.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests;
