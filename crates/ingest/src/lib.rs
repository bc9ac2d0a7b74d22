//! Importers: they turn outside input into model records, and never touch the store.
//!
//! - [`outline`]: an archive page as plain text (like the seed) → a dossier's sections
//!   with unresolved references.
//! - [`curated`]: the curated data file (TOML) → documents, bodies, people, events and
//!   topics, plus the resolution of the outline's references.
//! - [`builtin`]: the built-in NATO-Russia dossier, compiled into the binary.
//! - [`tei`]: TEI P5 texts → one document per `div` with a `head`.
//! - [`text`]: one document's text from HTML, Markdown, TEI or plain text.
//! - [`records`] with [`mapping`]: record XML and CSV → records, through a declarative
//!   TOML mapping (see `mappings/visits.toml`).
//! - [`import`]: what every streaming importer yields; [`xml`]: the guarded XML reader.

pub mod builtin;
pub mod curated;
pub mod import;
mod linked;
pub mod mapping;
pub mod markdown;
pub mod markdown_doc;
pub mod outline;
pub mod outline_html;
pub mod records;
pub mod tei;
pub mod text;
pub mod xml;
pub mod yaml_scan;

pub use curated::{apply_curated, CuratedData, CuratedError};
pub use import::{read_bounded, read_bounded_to_string, ReadError};
pub use outline::{parse_outline, OutlineError};
