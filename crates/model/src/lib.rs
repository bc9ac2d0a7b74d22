//! The records of a dossier and the rules they obey.
//!
//! This crate has no I/O and no async: it is the vocabulary every other layer shares
//! (store, importers, publishing, server), so it must compile fast and stay easy to test.

pub mod archive;
pub mod claims;
pub mod date;
pub mod html;
pub mod identifiers;
pub mod kinds;
pub mod merge;
pub mod record;
pub mod records;
pub mod slug;
pub mod url;

pub use archive::{Archive, ValidationError};
pub use date::{Bound, DateError, Edtf, PartialDate};
pub use identifiers::{ExternalId, IdScheme};
pub use kinds::*;
pub use record::{Record, RecordType};
pub use records::*;
pub use slug::{is_valid_slug, slugify};
