//! Archived copies (issue 25): the index of the WARC records a capture wrote. The records
//! themselves are files in the data directory's `warc/` folder; the store keeps where each
//! lies, what address it holds, when it was taken and its digest, so that pages can say
//! "archived copy, captured 5 Dec 2026", replay can find the bytes, and Memento can list
//! every copy of an address.
//!
//! Times are whole seconds since 1970 (UTC).

use crate::StoreError;
use dossier_model::RecordType;
use serde::Serialize;

/// One WARC record a capture wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capture {
    pub id: i64,
    /// The cited address the capture was made for; a page's images and styles are kept
    /// under it.
    pub page: String,
    /// The address this record holds (the page itself, a redirect's hop, an image…).
    pub url: String,
    pub captured_at: i64,
    /// The file, relative to the warc folder, and where the record lies in it.
    pub warc_file: String,
    pub offset: u64,
    pub length: u64,
    /// The HTTP status the copy answered with.
    pub status: u16,
    pub content_type: String,
    /// SHA-256 of the payload, lowercase hex.
    pub sha256: String,
}

/// A record to index; the store gives it its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCapture {
    pub page: String,
    pub url: String,
    pub captured_at: i64,
    pub warc_file: String,
    pub offset: u64,
    pub length: u64,
    pub status: u16,
    pub content_type: String,
    pub sha256: String,
}

/// Where the store keeps the index of archived copies.
pub trait Captures {
    /// Indexes the records of one capture in one transaction, and logs a change for each
    /// of `citing` (the records that cite the captured page), whose pages now show the
    /// copy: the server's cached pages and the search index follow the change log.
    /// Returns the new ids in the order of `rows`.
    fn add_captures(
        &self,
        rows: &[NewCapture],
        citing: &[(RecordType, String)],
    ) -> Result<Vec<i64>, StoreError>;
    /// One record by its id.
    fn capture(&self, id: i64) -> Result<Option<Capture>, StoreError>;
    /// Every copy of `url` (as a page or as a page's resource), oldest first: the Memento
    /// TimeMap.
    fn captures_of(&self, url: &str) -> Result<Vec<Capture>, StoreError>;
    /// The newest copy of each of these pages (a capture made for the page, of the page
    /// itself), in no particular order; a page never captured has none.
    fn latest_captures(&self, pages: &[&str]) -> Result<Vec<Capture>, StoreError>;
    /// The copy of `url` kept with the capture of `page` taken at `captured_at`, or else
    /// the one of that page nearest in time: replay's images, styles and redirects.
    fn capture_for(
        &self,
        page: &str,
        url: &str,
        captured_at: i64,
    ) -> Result<Option<Capture>, StoreError>;
    /// Every record, by id: what the static export copies.
    fn all_captures(&self) -> Result<Vec<Capture>, StoreError>;
    /// The data directory's folder of WARC files, where the store is a file in the data
    /// directory (`None` in memory): the one place every reader and writer of copies
    /// takes it from.
    fn warc_dir(&self) -> Option<std::path::PathBuf>;
}
