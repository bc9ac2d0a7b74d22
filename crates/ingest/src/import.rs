//! What every streaming importer (TEI, record XML, CSV, Markdown) hands to the writer.
//!
//! An importer is a [`RecordSource`]: it yields one [`Item`] at a time — a record with the
//! records it links to, or a bad record with its place — so that the writer can batch,
//! count, report and skip without ever holding a whole file. Importers never touch the
//! store; the binary writes batches with `Store::write`.

use crate::xml::{Pos, XmlError};
use dossier_model::*;

/// A record of any type, as an importer makes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Document(Document),
    Event(Event),
    Person(Person),
    Body(Body),
    Topic(Topic),
}

impl Record {
    /// The record type as the store and URLs name it (`document`, `event`…).
    pub fn type_name(&self) -> &'static str {
        match self {
            Record::Document(_) => "document",
            Record::Event(_) => "event",
            Record::Person(_) => "person",
            Record::Body(_) => "body",
            Record::Topic(_) => "topic",
        }
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

/// One record read from a file, with the records it links to. Linked records (a visit's
/// country, a study's topics) are created only when the archive does not hold them yet.
#[derive(Debug, Clone)]
pub struct Imported {
    pub record: Record,
    pub linked: Vec<Record>,
    /// Where the record starts.
    pub file: String,
    pub pos: Pos,
}

/// A record that could not be imported: where it is, which record and which field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{pos}: record {record}, field `{field}`: {problem}")]
pub struct RecordError {
    pub file: String,
    pub pos: Pos,
    /// The record's id as the file gives it, or `(no id)`.
    pub record: String,
    pub field: String,
    pub problem: String,
}

/// What a source yields next.
#[derive(Debug, Clone)]
pub enum Item {
    Record(Box<Imported>),
    Bad(RecordError),
}

/// A file that cannot be read at all: nothing from it is imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The XML is refused (hostile or malformed); see [`XmlError`].
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The file cannot be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not of the kind the importer reads (not TEI, no header row…).
    #[error("{file}:{pos}: {message}")]
    Format {
        file: String,
        pos: Pos,
        message: String,
    },
    /// The mapping file is wrong.
    #[error(transparent)]
    Mapping(#[from] crate::mapping::MappingError),
}

/// A streaming importer over one file.
pub trait RecordSource {
    /// The next record, `None` at the end of the file.
    fn next_item(&mut self) -> Result<Option<Item>, ImportError>;
    /// Bytes of the file read so far (for progress and MB/s).
    fn bytes_read(&self) -> u64;
    /// Reads the whole file only to find what makes it unreadable (hostile or malformed
    /// input), without making records: the cheap first pass before anything is written.
    fn check(&mut self) -> Result<(), ImportError> {
        while self.next_item()?.is_some() {}
        Ok(())
    }
}

/// The file's name without its directories: records name their source by it, so that
/// importing the same file from another directory gives the same records.
pub fn base_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

/// A readable title from a key: `north-atlantic-treaty-organization` → "North Atlantic
/// Treaty Organization". Small words stay lower case after the first.
pub fn title_from_key(key: &str) -> String {
    const SMALL: [&str; 9] = ["and", "of", "the", "in", "on", "for", "to", "a", "an"];
    key.split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(i, w)| {
            if i > 0 && SMALL.contains(&w) {
                w.to_string()
            } else {
                let mut c = w.chars();
                match c.next() {
                    Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                    None => String::new(),
                }
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A slug for `text`: kept as is when it already is one, else made with [`slugify`].
pub fn slug_for(text: &str) -> String {
    if is_valid_slug(text) {
        text.to_string()
    } else {
        slugify(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_slugs_from_keys() {
        assert_eq!(
            title_from_key("north-atlantic-treaty-organization"),
            "North Atlantic Treaty Organization"
        );
        assert_eq!(
            title_from_key("arms-control-and-disarmament"),
            "Arms Control and Disarmament"
        );
        assert_eq!(slug_for("russia"), "russia");
        assert_eq!(slug_for("u.s.-soviet-relations"), "u-s-soviet-relations");
        assert_eq!(base_name("../a/b/1990.xml"), "1990.xml");
    }
}
