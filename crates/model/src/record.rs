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
