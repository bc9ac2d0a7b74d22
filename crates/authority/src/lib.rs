//! Authority control (issue 28): every body, person, document and event of the archive by
//! its names (name or title, acronyms, aliases) and external identifiers, held in memory
//! so that reconciliation (the W3C Reconciliation Service API at `/reconcile`, and
//! reconciliation at import) and the search for likely duplicates answer without a store
//! read per query.
//!
//! Names are compared in their [`normalise`]d form. A query is answered from three
//! indexes: external identifiers (exact), normalised names (exact), and the character
//! trigrams of every normalised name, from which the names sharing most trigrams with the
//! query are taken and then scored by edit distance ([`similarity`]). A candidate is
//! `matched` (safe to link without asking a person) only when it is the one record with
//! the identifier asked for, or the one record whose name, acronym or alias is the name
//! asked for, and no constraint of the query contradicts it: never a guess among several.

mod index;
mod normalise;

pub use index::Authorities;
pub use normalise::{normalise, similarity};

use dossier_model::{Edtf, ExternalId, IdScheme, Record, RecordType};

/// The longest name (in characters, normalised) that is compared in full: longer titles
/// are compared by their beginning, which bounds the cost of an edit distance.
pub const MAX_COMPARED: usize = 256;

/// One record as authority control sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub record: RecordType,
    pub slug: String,
    /// The name (a body's or person's) or title (a document's or event's).
    pub name: String,
    /// Its other names: a body's acronyms and aliases, a person's or document's aliases.
    pub names: Vec<String>,
    /// Its identifiers in outside authority files.
    pub identifiers: Vec<ExternalId>,
    /// The kind's slug (`international-organisation`, `treaty`, `meeting`…), `person` for
    /// a person: what a reconciliation query's `kind` property constrains.
    pub kind: String,
    /// The EDTF date: a body's establishment, a document's or event's date.
    pub date: Option<String>,
    /// A line that tells it from others of the same name: its kind, date and summary.
    pub description: Option<String>,
}

impl Entry {
    /// The entry of a record (of any type; dossiers are not records).
    pub fn of_record(r: &Record) -> Entry {
        let (names, identifiers, kind, kind_label, date, summary) = match r {
            Record::Body(b) => (
                b.acronyms.iter().chain(&b.aliases).cloned().collect(),
                b.identifiers.clone(),
                b.kind.slug(),
                b.kind.label(),
                b.established.as_ref(),
                b.summary.as_deref(),
            ),
            Record::Person(p) => (
                p.aliases.clone(),
                p.identifiers.clone(),
                "person",
                "Person",
                None,
                p.summary
                    .as_deref()
                    .or(p.offices.first().map(|o| o.title.as_str())),
            ),
            Record::Document(d) => (
                d.aliases.clone(),
                Vec::new(),
                d.kind.slug(),
                d.kind.label(),
                d.date.as_ref(),
                d.summary.as_deref(),
            ),
            Record::Event(e) => (
                Vec::new(),
                Vec::new(),
                e.kind.slug(),
                e.kind.label(),
                e.date.as_ref(),
                e.summary.as_deref().or(e.place.as_deref()),
            ),
            Record::Topic(t) => (
                Vec::new(),
                Vec::new(),
                t.kind.slug(),
                t.kind.label(),
                None,
                t.summary.as_deref(),
            ),
        };
        Entry {
            record: r.record_type(),
            slug: r.slug().to_string(),
            name: r.title().to_string(),
            names,
            identifiers,
            kind: kind.to_string(),
            date: date.map(Edtf::to_string),
            description: Some(describe(kind_label, date, summary)),
        }
    }

    /// The year of its date (the earliest), for a query's `date` constraint.
    pub fn year(&self) -> Option<i32> {
        self.date
            .as_deref()
            .and_then(|d| Edtf::parse(d).ok())
            .and_then(|d| d.year())
    }
}

/// "International organisation, 4 April 1949: The alliance of…", cut to a line.
fn describe(kind: &str, date: Option<&Edtf>, summary: Option<&str>) -> String {
    let mut out = kind.to_string();
    if let Some(d) = date {
        out.push_str(", ");
        out.push_str(&d.human());
    }
    if let Some(s) = summary.map(str::trim).filter(|s| !s.is_empty()) {
        out.push_str(": ");
        out.push_str(&short(s, 160));
    }
    out
}

/// `s` cut to `max` characters (at a word where one is near), with an ellipsis when cut.
pub(crate) fn short(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => {
            let cut = &s[..at];
            let cut = match cut.rfind(' ') {
                Some(space) if space > at / 2 => &cut[..space],
                _ => cut,
            };
            format!("{}…", cut.trim_end())
        }
        None => s.to_string(),
    }
}

/// What a reconciliation asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The name as the source writes it.
    pub text: String,
    /// The record types it may be (empty: any).
    pub types: Vec<RecordType>,
    /// Identifiers the source gives for it: one record with one of them is a match
    /// whatever its name.
    pub identifiers: Vec<ExternalId>,
    /// At most this many candidates.
    pub limit: usize,
}

impl Query {
    /// A query for a name, of any type, for up to 10 candidates.
    pub fn new(text: impl Into<String>) -> Query {
        Query {
            text: text.into(),
            types: Vec::new(),
            identifiers: Vec::new(),
            limit: 10,
        }
    }
}

impl Default for Query {
    fn default() -> Query {
        Query::new("")
    }
}

/// What else a query says about the record it looks for (the Reconciliation API's
/// properties): a candidate that contradicts them scores lower and is never `matched`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Constraints {
    /// The kind's slug ([`Entry::kind`]).
    pub kind: Option<String>,
    /// The year of its date ([`Entry::year`]).
    pub year: Option<i32>,
}

impl Constraints {
    pub fn is_empty(&self) -> bool {
        self.kind.is_none() && self.year.is_none()
    }
}

/// A record that may be the one asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub record: RecordType,
    pub slug: String,
    pub name: String,
    /// How sure, from 0 to 100: 100 for an identifier or the name itself, 95 for an
    /// acronym or alias, up to 90 for a similar name; less where a constraint is not met.
    pub score: f64,
    /// Whether it is safe to link without asking a person (see the crate's doc).
    pub matched: bool,
    pub reason: MatchReason,
}

/// Why a candidate was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchReason {
    /// It has one of the query's identifiers.
    Identifier,
    /// Its name is the name asked for (normalised).
    Name,
    /// One of its acronyms or aliases is the name asked for (normalised).
    Alias,
    /// Its name (or another name) is like the name asked for.
    Similar,
}

impl MatchReason {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchReason::Identifier => "identifier",
            MatchReason::Name => "name",
            MatchReason::Alias => "alias",
            MatchReason::Similar => "similar",
        }
    }
}

/// Two records of one type that are likely one: `a` sorts before `b`.
#[derive(Clone, Debug, PartialEq)]
pub struct Duplicate {
    pub record: RecordType,
    pub a: String,
    pub b: String,
    pub reason: DuplicateReason,
}

/// Why two records look like one.
#[derive(Clone, Debug, PartialEq)]
pub enum DuplicateReason {
    /// Both have this name (as the first writes it).
    SameName(String),
    /// One's name, acronym or alias is the other's acronym or alias (as the first writes it).
    SameAlias(String),
    /// Their names `a` and `b` (as written) are nearly the same.
    Similar {
        a: String,
        b: String,
        similarity: f64,
    },
    /// Both carry this identifier.
    SameIdentifier(ExternalId),
}

/// The scheme's identifiers in a list.
pub(crate) fn of_scheme(ids: &[ExternalId], scheme: IdScheme) -> impl Iterator<Item = &ExternalId> {
    ids.iter().filter(move |i| i.scheme == scheme)
}
