//! The citation item: what a document gives a citation (title, kind, date, authors,
//! publishers, address), resolved from the store once so that every style and format
//! cites the same thing.

use crate::site::Site;
use crate::PublishError;
use dossier_model::date::Bound;
use dossier_model::RecordType;
use dossier_model::{Document, DocumentKind, Edtf, PartialDate};
use dossier_store::Store;
use serde::Serialize;

/// A name in a citation: a person (split into given and family names) or a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Name {
    Person { given: String, family: String },
    Body { literal: String },
}

/// Lower-case particles that start a family name: "Jaap de Hoop Scheffer".
const PARTICLES: &[&str] = &[
    "de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "van", "von", "ten", "ter",
    "zu", "bin", "al",
];

impl Name {
    /// Splits a person's name as written ("Vladimir Putin") into given and family names:
    /// the family name is the last word, or everything from the first lower-case particle
    /// on ("de Hoop Scheffer"). A one-word name is all family name.
    /// A parenthesised part ("George Robertson (Lord Robertson of Port Ellen)") is a
    /// gloss, not part of the name, and is left out.
    pub fn person(full: &str) -> Name {
        let mut plain = String::new();
        let mut depth = 0usize;
        for c in full.chars() {
            match c {
                '(' => depth += 1,
                ')' if depth > 0 => depth -= 1,
                c if depth == 0 => plain.push(c),
                _ => {}
            }
        }
        let words: Vec<&str> = plain.split_whitespace().collect();
        if words.len() < 2 {
            return Name::Person {
                given: String::new(),
                family: words.join(" "),
            };
        }
        let split = words[1..]
            .iter()
            .position(|w| PARTICLES.contains(w))
            .map(|i| i + 1)
            .unwrap_or(words.len() - 1);
        Name::Person {
            given: words[..split].join(" "),
            family: words[split..].join(" "),
        }
    }

    pub fn body(name: &str) -> Name {
        Name::Body {
            literal: name.trim().to_string(),
        }
    }

    /// "Vladimir Putin"; a body's name as is.
    pub fn natural(&self) -> String {
        match self {
            Name::Person { given, family } if !given.is_empty() => format!("{given} {family}"),
            Name::Person { family, .. } => family.clone(),
            Name::Body { literal } => literal.clone(),
        }
    }

    /// "Putin, Vladimir"; a body's name as is.
    pub fn inverted(&self) -> String {
        match self {
            Name::Person { given, family } if !given.is_empty() => format!("{family}, {given}"),
            other => other.natural(),
        }
    }

    pub(super) fn is_body(&self) -> bool {
        matches!(self, Name::Body { .. })
    }
}

/// Everything a citation of one document needs, resolved from the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CiteItem {
    /// The document's slug: the citation key and the CSL-JSON id.
    pub id: String,
    pub title: String,
    pub kind: DocumentKind,
    pub date: Option<Edtf>,
    pub authors: Vec<Name>,
    /// The issuing bodies' names.
    pub publishers: Vec<String>,
    pub place: Option<String>,
    /// The document's page in the archive (absolute).
    pub url: String,
    /// BCP 47 tags of the texts that exist.
    pub languages: Vec<String>,
    pub summary: Option<String>,
    /// The archive's name.
    pub archive: String,
}

impl CiteItem {
    /// Builds the citation of `doc`, looking up the names of its people and bodies.
    pub fn from_document(
        store: &dyn Store,
        doc: &Document,
        site: &Site,
    ) -> Result<CiteItem, PublishError> {
        let name_of = |record: RecordType, slug: &String| -> Result<String, PublishError> {
            Ok(store
                .title_of(record, slug)?
                .unwrap_or_else(|| slug.clone()))
        };
        let publishers = doc
            .issued_by
            .iter()
            .map(|b| name_of(RecordType::Body, b))
            .collect::<Result<Vec<_>, _>>()?;
        let authors = if doc.authors.is_empty() {
            publishers.iter().map(|p| Name::body(p)).collect()
        } else {
            doc.authors
                .iter()
                .map(|p| name_of(RecordType::Person, p).map(|n| Name::person(&n)))
                .collect::<Result<Vec<_>, _>>()?
        };
        Ok(CiteItem {
            id: doc.slug.clone(),
            title: one_line(&doc.title),
            kind: doc.kind,
            date: doc.date,
            authors,
            publishers,
            place: doc.place.as_deref().map(one_line),
            url: site.page_url(&crate::views::url_of(RecordType::Document, &doc.slug)),
            languages: doc.languages.clone(),
            summary: doc.summary.as_deref().map(one_line),
            archive: site.name.clone(),
        })
    }

    /// Whether the style treats the document as a work of its own (a report: title in
    /// italics, "Place: Publisher, Year") rather than a shorter document (a statement, a
    /// speech: title in quotation marks, with a descriptor such as "Press release").
    pub(super) fn standalone(&self) -> bool {
        matches!(
            self.kind,
            DocumentKind::ResearchStudy
                | DocumentKind::ParliamentaryReport
                | DocumentKind::WorkProgramme
                | DocumentKind::ActionPlan
                | DocumentKind::FrameworkDocument
                | DocumentKind::Concept
                | DocumentKind::Collection
        )
    }

    /// The descriptor Chicago and APA add: "Joint statement", "Speech".
    pub(super) fn descriptor(&self) -> &'static str {
        self.kind.label()
    }

    /// Whether every publisher is also an author (APA then leaves the publisher out).
    pub(super) fn publisher_is_author(&self) -> bool {
        self.publishers.iter().all(|p| {
            self.authors
                .iter()
                .any(|a| a.is_body() && &a.natural() == p)
        })
    }
}

/// Text joined into one line: citations and RIS have no line breaks.
pub(super) fn one_line(s: &str) -> String {
    let b = s.as_bytes();
    let plain = !b.first().is_some_and(u8::is_ascii_whitespace)
        && !b.last().is_some_and(u8::is_ascii_whitespace)
        && !b.windows(2).any(|w| w[0] == b' ' && w[1] == b' ')
        && !s.chars().any(|c| c.is_whitespace() && c != ' ');
    if plain {
        return s.to_string();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn first_partial(d: &Option<Edtf>) -> Option<PartialDate> {
    match d {
        Some(Edtf::Date(p)) => Some(*p),
        Some(Edtf::Interval(Bound::Date(p), _)) => Some(*p),
        Some(Edtf::Interval(_, Bound::Date(p))) => Some(*p),
        _ => None,
    }
}

/// The citation items of documents, in the order given.
pub fn items(
    store: &dyn Store,
    docs: &[Document],
    site: &Site,
) -> Result<Vec<CiteItem>, PublishError> {
    docs.iter()
        .map(|d| CiteItem::from_document(store, d, site))
        .collect()
}
