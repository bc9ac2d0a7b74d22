//! What readers and machines receive.
//!
//! [`views`] turns store records into view structs (one per page); the same struct is
//! serialised as the page's JSON and rendered by [`html::Renderer`] through the templates
//! in `templates/`, so the HTML and the JSON of a page can never disagree.
//! [`commentary`] renders a section's Markdown with its references resolved.

pub mod api;
pub mod citation;
pub mod commentary;
pub mod eac;
pub mod export;
pub mod feed;
pub mod html;
pub mod jsonld;
pub mod oai;
pub mod pages;
pub mod site;
pub mod time;
pub mod timeline;
pub mod views;
pub mod xml;

pub use html::Renderer;

/// Errors of the publishing layer.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Reading from the store failed.
    #[error(transparent)]
    Store(#[from] dossier_store::StoreError),
    /// The search failed (a malformed query is reported as such).
    #[error(transparent)]
    Search(#[from] dossier_search::SearchError),
    /// A template failed to render (a bug in a template, not in the data).
    #[error("template {name} failed: {source}")]
    Template {
        name: String,
        #[source]
        source: minijinja::Error,
    },
    /// A setting (base URL, admin e-mail…) is not usable; the message says which and why.
    #[error("{0}")]
    Config(String),
    /// A view could not be written as JSON.
    #[error("cannot write the view as JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// Writing an output file or folder failed (static export).
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
