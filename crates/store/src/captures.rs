//! Archived copies (issue 25): the WARC files a capture wrote and the index of their
//! records. The store keeps the files themselves (SQLite: in the data directory's `warc/`
//! folder; PostgreSQL: in the `warc_files` table, so that every server replays every copy
//! and `pg_dump` carries them) and, for each record, where it lies, what address it holds,
//! when it was taken and its digest, so that pages can say "archived copy, captured 5 Dec
//! 2026", replay can find the bytes, and Memento can list every copy of an address.
//!
//! A capture hands its finished file to [`Captures::write_warc_file`] before it indexes
//! the file's records, so an indexed record never points at a file the store lacks.
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

/// Whether `name` can be a WARC file the store keeps: one plain file name (no directory,
/// no `..`, no NUL, not hidden), so that neither a row of the store nor a caller can make
/// the store read or write a file elsewhere.
pub fn is_warc_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name.ends_with(".warc.gz")
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The refusal of a name that [`is_warc_name`] rejects, the same on every backend.
pub(crate) fn refuse_name(name: &str) -> Result<(), StoreError> {
    if is_warc_name(name) {
        return Ok(());
    }
    // Debug-quoted: a hostile name's control characters are shown, not printed.
    Err(StoreError::Warc(format!(
        "{name:?} is not the name of a WARC file (one plain file name ending in .warc.gz)"
    )))
}

/// Refuses a range of `name` that runs past its `size` bytes (a row pointing at the wrong
/// place, or a file cut short), before anything is read or allocated.
pub(crate) fn past_end(name: &str, offset: u64, length: u64, size: u64) -> Result<(), StoreError> {
    match offset.checked_add(length) {
        Some(end) if end <= size => Ok(()),
        _ => Err(StoreError::Warc(format!(
            "{length} bytes at byte {offset} of {name} run past its end ({size} bytes)"
        ))),
    }
}

/// Where the store keeps archived copies: their WARC files and the index of their records.
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
    /// Names of every WARC file the store keeps, sorted.
    fn warc_names(&self) -> Result<Vec<String>, StoreError>;
    /// A whole WARC file's bytes.
    fn read_warc_file(&self, name: &str) -> Result<Vec<u8>, StoreError>;
    /// Keeps a whole finished WARC file under `name` (refusing names that are not
    /// [`is_warc_name`]-shaped: no paths); replaces none (an existing name is an error).
    /// Durable when it returns: the records indexed after it point at kept bytes.
    fn write_warc_file(&self, name: &str, bytes: &[u8]) -> Result<(), StoreError>;
    /// `length` bytes at `offset` of a kept WARC file (replay reads one record); a range
    /// that runs past the file's end is an error, not a short read.
    fn read_warc_range(&self, name: &str, offset: u64, length: u64) -> Result<Vec<u8>, StoreError>;
    /// The data directory's folder of WARC files, where the store is a file in the data
    /// directory (`None` in memory and on PostgreSQL). Readers and writers of copies go
    /// through the methods above instead.
    fn warc_dir(&self) -> Option<std::path::PathBuf>;
}
