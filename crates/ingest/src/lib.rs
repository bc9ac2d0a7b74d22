//! Importers: they turn outside input into model records, and never touch the store.
//!
//! - [`outline`]: an archive page as plain text (like the seed) → a dossier's sections
//!   with unresolved references.
//! - [`curated`]: the curated data file (TOML) → documents, bodies, people, events and
//!   topics, plus the resolution of the outline's references.
//! - [`builtin`]: the built-in NATO-Russia dossier, compiled into the binary.

pub mod builtin;
pub mod curated;
pub mod markdown;
pub mod outline;
pub mod xml;

pub use curated::{apply_curated, CuratedData, CuratedError};
pub use outline::{parse_outline, OutlineError};
