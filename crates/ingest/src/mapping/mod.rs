//! Declarative mappings: how the records of an outside file (XML elements or CSV rows)
//! become records of the archive, written as TOML so that an editor can add a collection
//! without code. The format (paths and fallbacks, templates, filters, value maps, record
//! filters, several records per file, links and their reconciliation) is documented in
//! one place, `docs/mapping.md`, with an example of each feature; the shipped examples are
//! `mappings/visits.toml`, `mappings/visits-csv.toml` and `mappings/travels.toml`.
//!
//! [`file`] reads and checks the TOML into a [`Mapping`]; [`path`] holds the paths and
//! templates and the [`Values`] a reader collects at them; [`transform`] the filters and
//! value maps; [`build`] makes archive records from one source record's values.

mod build;
mod file;
mod path;
#[cfg(test)]
mod tests;
mod transform;

pub use path::Values;
pub use transform::{MAX_MAP_FILE_BYTES, MAX_PATTERN_BYTES};

use crate::import::{MatchBy, Unmatched};
use dossier_model::IdScheme;
use path::{Part, Paths};
use serde::Deserialize;
use std::sync::Arc;
use transform::{Filter, Transform, ValueMap};

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
    Path(Paths),
    Template(Vec<Part>),
    Const(String),
    Range {
        start: Paths,
        end: Option<Paths>,
        format: DateFormat,
    },
}

/// A value and what is done to its text once read.
#[derive(Debug, Clone)]
struct Spec {
    value: Value,
    transform: Transform,
}

/// One `[fields]` entry, checked against the record type.
#[derive(Debug, Clone)]
struct Field {
    name: String,
    spec: Spec,
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
    /// An external identifier of this scheme, added to the record's `identifiers`.
    Identifier(IdScheme),
}

/// One `[[links]]` entry: a field that holds the slugs of other records, and how each
/// link is reconciled with the records the archive already holds.
#[derive(Debug, Clone)]
struct Link {
    field: String,
    target: &'static str,
    slug: Option<Spec>,
    name: Option<Spec>,
    kind: Option<String>,
    create: bool,
    single: bool,
    /// `[links.map]` and `map_file`: source value → slug, trusted as given.
    table: Option<Arc<ValueMap>>,
    identifier: Option<(IdScheme, Spec)>,
    match_by: Vec<MatchBy>,
    unmatched: Unmatched,
}

/// One `[[when]]` test: the record is imported only if it holds.
#[derive(Debug, Clone)]
struct Condition {
    paths: Paths,
    filters: Vec<Filter>,
    test: Test,
}

#[derive(Debug, Clone)]
enum Test {
    Equals(String),
    OneOf(Vec<String>),
    NoneOf(Vec<String>),
    Matches(regex::Regex),
    Present(bool),
}

/// One kind of record the mapping makes: from which element, of which type, with which
/// fields, links and conditions.
#[derive(Debug, Clone)]
struct RecordMap {
    /// The XML element that holds one source record (none for CSV).
    element: Option<String>,
    kind: &'static str,
    id: Paths,
    slug: Vec<Part>,
    fields: Vec<Field>,
    links: Vec<Link>,
    when: Vec<Condition>,
}

/// A checked mapping, ready to turn source records into archive records.
#[derive(Debug, Clone)]
pub struct Mapping {
    file: String,
    source_title: String,
    source_url: Option<String>,
    records: Vec<RecordMap>,
    /// Every path a value is read from.
    reads: std::collections::HashSet<String>,
}

impl Mapping {
    /// Whether the mapping reads the value at `path` (`from`, `from/@id`): a reader need
    /// not collect the others.
    pub fn reads(&self, path: &str) -> bool {
        self.reads.contains(path)
    }

    /// The record type the mapping makes, or `record` when it makes several.
    pub fn record_type(&self) -> &'static str {
        let first = self.records[0].kind;
        if self.records.iter().all(|r| r.kind == first) {
            first
        } else {
            "record"
        }
    }

    /// The paths (XML) or columns (CSV) that give each record's stable id, with their
    /// fallbacks: a CSV file must have at least one of each.
    pub fn id_paths(&self) -> Vec<&[String]> {
        self.records.iter().map(|r| r.id.0.as_slice()).collect()
    }

    /// The first record's id path (XML) or column (CSV).
    pub fn id_path(&self) -> &str {
        &self.records[0].id.0[0]
    }

    /// The XML elements that hold records, each once, in the mapping's order; empty for a
    /// CSV mapping.
    pub fn elements(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.records {
            if let Some(e) = r.element.as_deref() {
                if !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        out
    }

    /// The mapping file's name.
    pub fn file(&self) -> &str {
        &self.file
    }
}
