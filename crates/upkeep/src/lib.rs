//! Keeping the archive current (issue 25): knowing what it does not know, noticing when a
//! fact has aged, and keeping what it cites.
//!
//! - [`fetch`]: the one HTTP client that reaches outside, safe by construction (http and
//!   https only; no loopback, private, link-local or metadata addresses, checked after DNS
//!   resolution and at every redirect).
//! - [`check`]: the link checker (concurrent, polite per host, robots.txt, soft-404s),
//!   writing each result to the store's history.
//! - [`capture`], [`warc`], [`memento`]: archived copies of cited pages as WARC files in
//!   the data directory, and the Memento TimeMap/TimeGate that finds them.
//! - [`worklist`]: every gap of the archive as one list (`dossier check`, `/review/gaps`).
//!
//! No HTTP server here and no terminal: the CLI and the server call in.

pub mod capture;
pub mod check;
pub mod fetch;
pub mod memento;
pub mod warc;
pub mod worklist;
