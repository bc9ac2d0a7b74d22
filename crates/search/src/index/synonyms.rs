//! The names that expand a query: every name of a body, and the people `person:` finds.
//! Read from the store, again whenever a sync changes a body or a person.

use crate::query::Node;
use crate::SearchError;
use dossier_store::Store;
use std::collections::HashMap;

/// Names that mean the same body: "PJC" ↔ "Permanent Joint Council".
#[derive(Debug, Default)]
pub(super) struct Synonyms {
    /// Lower-cased name, acronym or alias → every name of that body.
    pub(super) names: HashMap<String, Vec<String>>,
    /// Lower-cased name, acronym, alias or slug → body slug (for `body:`).
    pub(super) bodies: HashMap<String, String>,
    /// (slug, lower-cased name and aliases) of people, for `person:`.
    pub(super) people: Vec<(String, String)>,
    pub(super) longest: usize,
}

impl Synonyms {
    /// Whether the word is a name, acronym or alias of a body (and so expands).
    pub(super) fn names_a_body(&self, word: &str) -> bool {
        self.names.contains_key(&word.to_lowercase())
    }

    /// The length of the longest run (2+ bare words) at the start of `items` naming a body.
    pub(super) fn run_len(&self, items: &[Node]) -> Option<usize> {
        let words: Vec<&str> = items
            .iter()
            .take(self.longest)
            .map_while(|n| {
                if let Node::Word(w) = n {
                    Some(w.as_str())
                } else {
                    None
                }
            })
            .collect();
        (2..=words.len()).rev().find(|&len| {
            self.names
                .contains_key(&words[..len].join(" ").to_lowercase())
        })
    }

    pub(super) fn load(store: &dyn Store) -> Result<Self, SearchError> {
        let mut s = Synonyms::default();
        for b in store.bodies(None)? {
            let mut all = vec![b.name.clone()];
            all.extend(b.acronyms.iter().cloned());
            all.extend(b.aliases.iter().cloned());
            for n in &all {
                let key = n.to_lowercase();
                s.longest = s.longest.max(key.split_whitespace().count());
                s.names
                    .entry(key.clone())
                    .or_default()
                    .extend(all.iter().filter(|x| *x != n).cloned());
                s.bodies.insert(key, b.slug.clone());
            }
            s.bodies.insert(b.slug.clone(), b.slug.clone());
        }
        for p in store.people(None)? {
            // Aliases too: `person:Ельцин` finds the person an alias names.
            let mut names = p.name.to_lowercase();
            for a in &p.aliases {
                names.push_str(" · ");
                names.push_str(&a.to_lowercase());
            }
            s.people.push((p.slug.clone(), names));
        }
        Ok(s)
    }
}
