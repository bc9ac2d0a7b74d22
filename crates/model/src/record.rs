//! A record of any type, and the names of the types: the vocabulary of links, URLs, the
//! store's change log and errors.

use crate::{Archive, Body, Document, Event, Person, Topic};
use serde::Serialize;

/// A kind of record, as named in links, URLs and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordType {
    Dossier,
    Document,
    Body,
    Person,
    Event,
    Topic,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Dossier => "dossier",
            RecordType::Document => "document",
            RecordType::Body => "body",
            RecordType::Person => "person",
            RecordType::Event => "event",
            RecordType::Topic => "topic",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "dossier" => RecordType::Dossier,
            "document" => RecordType::Document,
            "body" => RecordType::Body,
            "person" => RecordType::Person,
            "event" => RecordType::Event,
            "topic" => RecordType::Topic,
            _ => return None,
        })
    }
}

/// A record of any type but a dossier: what an importer makes, and what the store answers
/// when asked for a record by type and slug.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Document(Document),
    Event(Event),
    Person(Person),
    Body(Body),
    Topic(Topic),
}

impl Record {
    pub fn record_type(&self) -> RecordType {
        match self {
            Record::Document(_) => RecordType::Document,
            Record::Event(_) => RecordType::Event,
            Record::Person(_) => RecordType::Person,
            Record::Body(_) => RecordType::Body,
            Record::Topic(_) => RecordType::Topic,
        }
    }

    /// The record type as the store and URLs name it (`document`, `event`…).
    pub fn type_name(&self) -> &'static str {
        self.record_type().as_str()
    }

    pub fn slug(&self) -> &str {
        match self {
            Record::Document(r) => &r.slug,
            Record::Event(r) => &r.slug,
            Record::Person(r) => &r.slug,
            Record::Body(r) => &r.slug,
            Record::Topic(r) => &r.slug,
        }
    }

    /// The title or name a reader sees.
    pub fn title(&self) -> &str {
        match self {
            Record::Document(r) => &r.title,
            Record::Event(r) => &r.title,
            Record::Person(r) => &r.name,
            Record::Body(r) => &r.name,
            Record::Topic(r) => &r.title,
        }
    }

    /// Adds the record to a batch.
    pub fn add_to(self, archive: &mut Archive) {
        match self {
            Record::Document(r) => archive.documents.push(r),
            Record::Event(r) => archive.events.push(r),
            Record::Person(r) => archive.people.push(r),
            Record::Body(r) => archive.bodies.push(r),
            Record::Topic(r) => archive.topics.push(r),
        }
    }

    /// The dossiers the record belongs to, for merging with a stored copy.
    pub fn dossiers_mut(&mut self) -> &mut Vec<String> {
        match self {
            Record::Document(r) => &mut r.dossiers,
            Record::Event(r) => &mut r.dossiers,
            Record::Person(r) => &mut r.dossiers,
            Record::Body(r) => &mut r.dossiers,
            Record::Topic(r) => &mut r.dossiers,
        }
    }

    /// The collections the record is in, for merging with a stored copy.
    pub fn collections_mut(&mut self) -> &mut Vec<String> {
        match self {
            Record::Document(r) => &mut r.collections,
            Record::Event(r) => &mut r.collections,
            Record::Person(r) => &mut r.collections,
            Record::Body(r) => &mut r.collections,
            Record::Topic(r) => &mut r.collections,
        }
    }

    /// The record's JSON, as the store keeps it (to tell changed from unchanged).
    pub fn to_json(&self) -> String {
        let r = match self {
            Record::Document(r) => serde_json::to_string(r),
            Record::Event(r) => serde_json::to_string(r),
            Record::Person(r) => serde_json::to_string(r),
            Record::Body(r) => serde_json::to_string(r),
            Record::Topic(r) => serde_json::to_string(r),
        };
        r.unwrap_or_default()
    }
}

/// Replaces `from` by `into` in a list of slugs, dropping the copy when the list already
/// names `into` (a record linked to both merged bodies links to the survivor once).
fn relink_list(list: &mut Vec<String>, from: &str, into: &str) -> bool {
    if !list.iter().any(|s| s == from) {
        return false;
    }
    let has_into = list.iter().any(|s| s == into);
    if has_into {
        list.retain(|s| s != from);
    } else {
        for s in list.iter_mut().filter(|s| *s == from) {
            *s = into.to_string();
        }
    }
    true
}

fn relink_one(slot: &mut Option<String>, from: &str, into: &str) -> bool {
    match slot {
        Some(s) if s == from => {
            *s = into.to_string();
            true
        }
        _ => false,
    }
}

fn relink_body_links(list: &mut Vec<crate::BodyLink>, from: &str, into: &str) -> bool {
    if !list.iter().any(|l| l.slug == from) {
        return false;
    }
    let has_into = list.iter().any(|l| l.slug == into);
    if has_into {
        list.retain(|l| l.slug != from);
    } else {
        for l in list.iter_mut().filter(|l| l.slug == from) {
            l.slug = into.to_string();
        }
    }
    true
}

impl Record {
    /// Points every link of this record at the record `from` of type `target` at `into`
    /// instead (what a merge does to the records that linked to the merged one, and what
    /// reconciliation at import does to a record's links): the fields that name bodies,
    /// people, documents, events or topics. Whether anything changed.
    pub fn relink(&mut self, target: RecordType, from: &str, into: &str) -> bool {
        use RecordType as T;
        let mut changed = false;
        match self {
            Record::Document(d) => match target {
                T::Body => {
                    changed |= relink_list(&mut d.issued_by, from, into);
                    changed |= relink_list(&mut d.parties, from, into);
                }
                T::Person => changed |= relink_list(&mut d.authors, from, into),
                T::Topic => changed |= relink_list(&mut d.topics, from, into),
                T::Document if d.relations.iter().any(|r| r.document == from) => {
                    for r in d.relations.iter_mut().filter(|r| r.document == from) {
                        r.document = into.to_string();
                    }
                    d.relations.dedup();
                    changed = true;
                }
                _ => {}
            },
            Record::Event(e) => match target {
                T::Body => changed |= relink_list(&mut e.bodies, from, into),
                T::Person => changed |= relink_list(&mut e.people, from, into),
                T::Document => changed |= relink_list(&mut e.outcome_documents, from, into),
                _ => {}
            },
            Record::Person(p) => {
                if target == T::Body {
                    for o in &mut p.offices {
                        changed |= relink_one(&mut o.body, from, into);
                    }
                }
            }
            Record::Body(b) => match target {
                T::Body => {
                    changed |= relink_body_links(&mut b.predecessors, from, into);
                    changed |= relink_body_links(&mut b.successors, from, into);
                    changed |= relink_one(&mut b.part_of, from, into);
                    // A body is not its own part, predecessor or successor.
                    if b.slug == into {
                        let own = b.slug.clone();
                        b.predecessors.retain(|l| l.slug != own);
                        b.successors.retain(|l| l.slug != own);
                        if b.part_of.as_deref() == Some(own.as_str()) {
                            b.part_of = None;
                        }
                    }
                }
                T::Document => changed |= relink_one(&mut b.founding_document, from, into),
                _ => {}
            },
            Record::Topic(t) => match target {
                T::Body => changed |= relink_list(&mut t.bodies, from, into),
                T::Document => changed |= relink_list(&mut t.documents, from, into),
                _ => {}
            },
        }
        changed
    }
}

impl crate::Dossier {
    /// Points every section reference at the record `from` of type `target` at `into`
    /// (see [`Record::relink`]). Whether anything changed.
    pub fn relink(&mut self, target: RecordType, from: &str, into: &str) -> bool {
        fn walk(
            sections: &mut [crate::Section],
            target: RecordType,
            from: &str,
            into: &str,
        ) -> bool {
            let mut changed = false;
            // A stack, not recursion: outlines are bounded, but the habit is kept.
            let mut stack: Vec<&mut crate::Section> = sections.iter_mut().collect();
            while let Some(s) = stack.pop() {
                for r in &mut s.references {
                    use crate::Target as G;
                    let slug = match (&mut r.target, target) {
                        (Some(G::Document { slug }), RecordType::Document)
                        | (Some(G::Body { slug }), RecordType::Body)
                        | (Some(G::Event { slug }), RecordType::Event)
                        | (Some(G::Topic { slug }), RecordType::Topic)
                        | (Some(G::Person { slug }), RecordType::Person) => slug,
                        _ => continue,
                    };
                    if slug == from {
                        *slug = into.to_string();
                        changed = true;
                    }
                }
                stack.extend(s.children.iter_mut());
            }
            changed
        }
        walk(&mut self.sections, target, from, into)
    }
}

#[cfg(test)]
mod relink_tests {
    use super::*;
    use crate::*;

    #[test]
    fn relink_moves_links_and_never_doubles_them() {
        let mut e: Event = serde_json::from_value(serde_json::json!({
            "slug": "v", "title": "Visit", "kind": "visit",
            "bodies": ["russia", "russian-federation", "nato"], "people": ["yeltsin"]
        }))
        .unwrap();
        let mut r = Record::Event(e.clone());
        assert!(r.relink(RecordType::Body, "russia", "russian-federation"));
        let Record::Event(after) = &r else { panic!() };
        assert_eq!(after.bodies, ["russian-federation", "nato"]);
        assert!(!r.relink(RecordType::Body, "russia", "russian-federation"));
        // A person link is not a body link.
        e.bodies = vec!["yeltsin".into()];
        let mut r = Record::Event(e);
        assert!(!r.relink(RecordType::Person, "russia", "x"));
        assert!(r.relink(RecordType::Person, "yeltsin", "boris-yeltsin"));
    }

    #[test]
    fn relink_leaves_no_body_its_own_predecessor() {
        let b: Body = serde_json::from_value(serde_json::json!({
            "slug": "nrc", "name": "NRC", "kind": "council",
            "predecessors": [{"slug": "pjc"}], "part_of": "nato"
        }))
        .unwrap();
        let mut r = Record::Body(b);
        assert!(r.relink(RecordType::Body, "pjc", "nrc"));
        let Record::Body(after) = &r else { panic!() };
        assert!(after.predecessors.is_empty());
    }
}
