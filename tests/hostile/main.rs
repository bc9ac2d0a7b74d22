//! The hostile-input suite (issue 20): a few hundred generated inputs, tried as an outside
//! tester would — the real `dossier` binary on real files, a real server on a real port —
//! across these classes:
//!
//! - `queries`: query syntax abuse (deep nesting, long operator runs, huge term lists,
//!   random operator soup) on every endpoint that parses a query, and on the CLI;
//! - `imports`: deep and wide documents in every importer, size and time bombs;
//! - `urls`: every URL field that an import can fill, with every dangerous scheme spelling;
//! - `params`: hostile parameters and paths on every other route (OAI-PMH, the API, paging,
//!   filters, citation files, slugs);
//! - `scripts`: script in every text field of every record type, through an import and
//!   onto the served pages.
//!
//! For each input the suite asserts a clear refusal (a non-zero exit or a 4xx answer, with
//! a message for a person) or a safe acceptance (nothing live in the served HTML); after a
//! refusal, the store is unchanged; and the server still answers. Each test prints its
//! tally (class, inputs tried, refused, accepted): run with `-- --nocapture` to see them.

mod harness;
mod imports;
mod params;
mod queries;
mod scripts;
mod urls;
