//! Why a change was refused, in words for the person who asked.

use dossier_store::{RevisionError, StoreError};
use serde::Serialize;

/// A problem with one field of a record, named by its path in the record's JSON
/// (`date`, `sources[2].url`, `predecessors[0].slug`), so a form can show it beside the
/// field and the API can list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// Why an edit was refused. Nothing was saved.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The person lacks a right; the message says which and what they can do instead.
    #[error("{0}")]
    Forbidden(String),
    /// No such record or revision, or one this person may not see (a draft of someone
    /// else's is answered as missing, so its existence does not leak).
    #[error("{0}")]
    NotFound(String),
    /// The record breaks the model's rules; one entry per problem.
    #[error("The record was not saved: {}", list(.0))]
    Invalid(Vec<FieldError>),
    /// The record changed since the version the change was made from.
    #[error("Someone changed this record since you opened it (you started from version {base}; it is now at version {current}). Nothing was saved: compare the two and save again.")]
    Conflict { current: i64, base: i64 },
    /// The revision is published or discarded, so it cannot change or be published.
    #[error("This revision is not an open draft: it has been published or discarded.")]
    NotADraft,
    #[error("The store failed: {0}")]
    Store(StoreError),
}

fn list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<StoreError> for EditError {
    fn from(e: StoreError) -> EditError {
        match e {
            // The write path's own validation (a slug deleted between the check and the
            // write): the model's messages, not attributable to one field.
            StoreError::Invalid(message) => EditError::Invalid(vec![FieldError::new("", message)]),
            e => EditError::Store(e),
        }
    }
}

impl From<RevisionError> for EditError {
    fn from(e: RevisionError) -> EditError {
        match e {
            RevisionError::Conflict { current, base } => EditError::Conflict { current, base },
            RevisionError::NotFound => EditError::NotFound("There is no such revision.".into()),
            RevisionError::NotADraft => EditError::NotADraft,
            RevisionError::Store(e) => e.into(),
        }
    }
}
