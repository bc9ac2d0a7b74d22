//! Citations of documents: Chicago (notes and bibliography, 17th ed.) and APA (7th ed.)
//! renderings for readers, and BibTeX, RIS and CSL-JSON for reference managers, plus the
//! `citation_*` meta tags that Zotero, Mendeley and Google Scholar read from a page.
//!
//! Every format is built from one [`CiteItem`], so they cannot disagree. Who is the author
//! of an official document: its people (`authors`: a speaker, a letter's writer) when the
//! record names any, otherwise its issuing bodies (`issued_by`), as corporate authors. The
//! publisher is the issuing bodies. A document with neither is cited by its title, as both
//! styles prescribe for works without an author.
//!
//! The two styles are written here rather than run through a CSL processor. hayagriva
//! could run them (its default `archive` feature bundles APA 7, the Chicago styles and
//! their locales), but it would replace only these two renderings, not the formats or the
//! meta tags, at the cost of a large dependency tree (citationberg, ICU collation,
//! serde_yaml); and its `chicago-notes` is the 18th edition, so the citations the archive
//! gives would change. Our records have one shape: two renderings checked by hand and
//! pinned by snapshots are smaller. Worth revisiting if readers ask for more styles. The
//! mapping is documented in `crates/publish/README.md`.
//!
//! `item` builds the [`CiteItem`]; `style` renders it for readers, `format` for
//! reference managers; `cite` is a document page's Cite block and meta tags;
//! `bibliography` puts many documents in one file. Every public name is re-exported
//! here.

mod bibliography;
mod cite;
mod format;
mod item;
mod style;

pub use bibliography::{
    bibliography_path, collection_bibliography, collection_bibliography_path, dossier_bibliography,
    search_bibliography, search_bibliography_path, search_document_count, search_documents,
    search_downloads, selection_bibliography, SEARCH_BIBLIOGRAPHY_LIMIT,
};
pub use cite::{
    citation_path, cite_view, document_citation, document_page, meta_tags, parse_citation_file,
    CiteView, Download, MetaTag,
};
pub use format::{bibtex, csl_json, ris, Format};
pub use item::{items, CiteItem, Name};
pub use style::{apa, chicago_bibliography, chicago_note, Rendered};

#[cfg(test)]
mod tests;
