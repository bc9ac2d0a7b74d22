//! Declarative mappings: how the records of an outside file (XML elements or CSV rows)
//! become records of the archive, written as TOML so that an editor can add a collection
//! without code. The shipped example is `mappings/visits.toml`:
//!
//! ```toml
//! [source]
//! title = "Visits by Foreign Leaders (Office of the Historian)"
//!
//! [record]
//! element = "visit"          # XML: the element that holds one record (CSV: unused)
//! type = "event"             # event, document, person or body
//! id = "id"                  # the value that identifies the record in the source
//! slug = "visit-{id}"        # the stable slug made from it (default "{id}")
//!
//! [fields]
//! title = { template = "Visit of {visitor} ({from})" }
//! kind = { value = "visit" }
//! date = { start = "start-date", end = "end-date" }
//! summary = { path = "description" }
//!
//! [[links]]                  # a visit's country: a body, created if missing
//! field = "bodies"
//! type = "body"
//! slug = { path = "from/@id" }
//! name = { path = "from" }
//! kind = "state"
//! ```
//!
//! A *path* names a child element (`visitor`), a nested one (`a/b`), an attribute of the
//! record element (`@id`) or of a child (`from/@id`); in CSV, a column of the header row.
//! A value is one of `path`, `template` (paths in braces), `value` (a constant), or, for a
//! date, `start` and `end` (an EDTF interval, one day when they are equal). Dates are
//! read as EDTF (`format = "edtf"`, which includes ISO 8601 dates) or from an ISO 8601
//! date-time (`format = "iso-datetime"`, the date part).
//!
//! [`file`] reads and checks the TOML into a [`Mapping`]; [`path`] holds the paths and
//! templates and the [`Values`] a reader collects at them; [`build`] makes an archive
//! record from one source record's values.

mod build;
mod file;
mod path;
#[cfg(test)]
mod tests;

pub use path::Values;

use path::Part;
use serde::Deserialize;

/// Why a mapping file cannot be used. Names the file and the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct MappingError {
    /// The mapping file, followed by the line and column of the value at fault where the
    /// problem is one value's (`mappings/visits.toml:15:11`).
    pub file: String,
    pub message: String,
}

/// How a date is written in the source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateFormat {
    /// EDTF (ISO 8601-2), which includes plain ISO 8601 dates.
    #[default]
    Edtf,
    /// An ISO 8601 date-time; its date part is kept.
    IsoDatetime,
}

/// How a value is found in a source record, as the mapping file gave it.
#[derive(Debug, Clone)]
enum Value {
    Path(String),
    Template(Vec<Part>),
    Const(String),
    Range {
        start: String,
        end: Option<String>,
        format: DateFormat,
    },
}

/// One `[fields]` entry, checked against the record type.
#[derive(Debug, Clone)]
struct Field {
    name: String,
    value: Value,
    format: DateFormat,
    split: Option<String>,
    required: bool,
    shape: Shape,
}

/// What kind of value a field holds, and so how its text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    Date,
    List,
    Bool,
}

/// One `[[links]]` entry: a field that holds the slugs of other records.
#[derive(Debug, Clone)]
struct Link {
    field: String,
    target: &'static str,
    slug: Option<Value>,
    name: Option<Value>,
    kind: Option<String>,
    create: bool,
    single: bool,
}

/// A checked mapping, ready to turn source records into archive records.
#[derive(Debug, Clone)]
pub struct Mapping {
    file: String,
    source_title: String,
    source_url: Option<String>,
    /// The XML element that holds one record.
    pub element: Option<String>,
    kind: &'static str,
    id: String,
    slug: Vec<Part>,
    fields: Vec<Field>,
    links: Vec<Link>,
    /// Every path a value is read from.
    reads: std::collections::HashSet<String>,
}

impl Mapping {
    /// Whether the mapping reads the value at `path` (`from`, `from/@id`): a reader need
    /// not collect the others.
    pub fn reads(&self, path: &str) -> bool {
        self.reads.contains(path)
    }

    /// The record type the mapping makes.
    pub fn record_type(&self) -> &'static str {
        self.kind
    }

    /// The path (XML) or column (CSV) that gives the record's stable id.
    pub fn id_path(&self) -> &str {
        &self.id
    }

    /// The mapping file's name.
    pub fn file(&self) -> &str {
        &self.file
    }
}
