//! Editing the archive: the rules the web forms and the JSON API share, so that a right,
//! a validation or a conflict holds whichever way a record is changed. No HTTP here.
//!
//! Published records stay in the store's own tables, which every reader reads; a change
//! is either published at once through the store's one write path (validated, logged,
//! versioned) or kept as a draft among the store's revisions, which no reader sees.
//! [`Editing`] decides who may do what ([`Who`], [`Intent`]), checks a record with the
//! model's own rules ([`FieldError`] names the field), and turns the store's answers
//! into errors for a person ([`EditError`]). [`patch`] applies JSON Merge Patch
//! (RFC 7396); [`diff`] compares two versions field by field.

mod check;
pub mod diff;
mod error;
pub mod patch;
mod service;
mod who;

pub use check::date_reading;
pub use error::{EditError, FieldError};
pub use service::Editing;
pub use who::{Intent, Who};

#[cfg(test)]
mod tests;
