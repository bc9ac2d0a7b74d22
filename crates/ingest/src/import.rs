//! What every streaming importer (TEI, record XML, CSV, Markdown) hands to the writer.
//!
//! An importer is a [`RecordSource`]: it yields one [`Item`] at a time — a record with the
//! records it links to, or a bad record with its place — so that the writer can batch,
//! count, report and skip without ever holding a whole file. Importers never touch the
//! store; the import engine (`dossier-import`) writes batches with `Store::write`.

use crate::xml::{Pos, XmlError};
use dossier_model::*;

/// One record read from a file, with the records it links to. Linked records (a visit's
/// country, a study's topics) are created only when the archive does not hold them yet.
#[derive(Debug, Clone)]
pub struct Imported {
    pub record: Record,
    pub linked: Vec<Record>,
    /// Where the record starts.
    pub file: String,
    pub pos: Pos,
    /// How each link a mapping made should be reconciled with the archive's records
    /// before anything is created (issue 28); empty for importers that do not reconcile.
    pub matches: Vec<LinkMatch>,
}

/// One link of an imported record that reconciliation may point at a record the archive
/// already holds (a country named "Russia" at `russian-federation`) instead of creating
/// the record the mapping made for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkMatch {
    /// The link field of the record (`bodies`, `people`, `issued_by`…).
    pub field: String,
    pub target: RecordType,
    /// The slug the link has now (the mapping's, or its `[links.map]` table's).
    pub slug: String,
    /// The index in [`Imported::linked`] of the record the mapping would create for it
    /// (`None` when it creates none, `create = false`).
    pub linked: Option<usize>,
    /// The name the source gives the linked record, for matching by name and alias.
    pub name: Option<String>,
    /// An identifier the source gives it, for matching by identifier.
    pub identifier: Option<ExternalId>,
    /// The slug came from the mapping's own table: trusted as it is, not matched again.
    pub mapped: bool,
    /// How to find the record in the archive, in order; empty: no reconciliation (the
    /// mapping's slug is used as before).
    pub match_by: Vec<MatchBy>,
    /// What to do when nothing matches.
    pub unmatched: Unmatched,
}

/// A way of finding an imported link's record among the archive's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchBy {
    /// The same external identifier (Wikidata, VIAF, ISNI, GND).
    Identifier,
    /// One record of the target type whose name, acronym or alias is the source's name
    /// (compared case- and accent-insensitively).
    Name,
}

/// What an import does with a link that matches no record of the archive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Unmatched {
    /// Create the record the mapping made (the default, as before reconciliation).
    #[default]
    Create,
    /// Refuse the imported record, naming the link that matched nothing.
    Report,
}

/// A record that could not be imported: where it is, which record and which field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{pos}: record {record}, field `{field}`: {problem}")]
pub struct RecordError {
    pub file: String,
    pub pos: Pos,
    /// The record's id as the file gives it, or `(no id)`.
    pub record: String,
    pub field: String,
    pub problem: String,
}

/// What a source yields next.
#[derive(Debug, Clone)]
pub enum Item {
    Record(Box<Imported>),
    Bad(RecordError),
}

/// A file that cannot be read at all: nothing from it is imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The XML is refused (hostile or malformed); see [`XmlError`].
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The file cannot be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not of the kind the importer reads (not TEI, no header row…).
    #[error("{file}:{pos}: {message}")]
    Format {
        file: String,
        pos: Pos,
        message: String,
    },
    /// The mapping file is wrong.
    #[error(transparent)]
    Mapping(#[from] crate::mapping::MappingError),
}

/// A streaming importer over one file.
pub trait RecordSource {
    /// The next record, `None` at the end of the file.
    fn next_item(&mut self) -> Result<Option<Item>, ImportError>;
    /// Bytes of the file read so far (for progress and MB/s).
    fn bytes_read(&self) -> u64;
    /// Source records read but left out on purpose (a mapping's `[[when]]` tests), so
    /// that a report can say how many: they are neither imported nor bad.
    fn left_out(&self) -> u64 {
        0
    }
    /// Reads the whole file only to find what makes it unreadable (hostile or malformed
    /// input), without making records: the cheap first pass before anything is written.
    fn check(&mut self) -> Result<(), ImportError> {
        while self.next_item()?.is_some() {}
        Ok(())
    }
}

/// The largest mapping file read: a mapping is a page of TOML (the shipped ones are 2 KB),
/// so 1 MiB is far beyond any real one, and anything larger is the wrong file.
pub const MAX_MAPPING_BYTES: u64 = 1024 * 1024;
/// The largest outline (an archive page, text or HTML) read: the seed page is 40 KB and a
/// long archive page a few MB; the whole page is held and parsed at once.
pub const MAX_OUTLINE_BYTES: u64 = 16 * 1024 * 1024;
/// The largest curated data file (TOML) read: the built-in one is under 100 KB; the whole
/// file is held and parsed at once.
pub const MAX_CURATED_BYTES: u64 = 16 * 1024 * 1024;
/// The largest Markdown record read ([`crate::markdown_doc::MAX_BYTES`]): one hand-written
/// record, held whole.
pub const MAX_MARKDOWN_BYTES: u64 = crate::markdown_doc::MAX_BYTES as u64;

/// A whole-file read refused or failed: names the file, and the limit when it is too large.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file holds more than the limit for its kind (or never ends: `/dev/zero`).
    #[error("{file}: larger than {}, the most {what} may hold; refused (is it the right file?)", human_bytes(*.limit))]
    TooLarge {
        file: String,
        what: &'static str,
        limit: u64,
    },
    /// The file is not UTF-8 text (only for [`read_bounded_to_string`]).
    #[error("{file}:{line}: invalid UTF-8 (byte 0x{byte:02x}); {what} is UTF-8 text")]
    NotUtf8 {
        file: String,
        what: &'static str,
        line: u64,
        byte: u8,
    },
    /// The file cannot be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

/// `1 MiB`, `16 MiB`, or bytes.
fn human_bytes(n: u64) -> String {
    if n >= 1024 * 1024 && n.is_multiple_of(1024 * 1024) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// Reads a whole file, but never more than `limit` bytes of it: every input an importer
/// holds whole (a mapping, an outline, the curated file, a Markdown record) is read
/// through here, so that a huge file, or one that never ends (`/dev/zero`, a pipe), is
/// refused after `limit + 1` bytes instead of growing memory without bound. `file` names
/// the file in errors, `what` says what it was read as ("a mapping file").
pub fn read_bounded(
    path: &std::path::Path,
    file: &str,
    limit: u64,
    what: &'static str,
) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let io = |source| ReadError::Io {
        file: file.to_string(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    // A regular file says its size: no need to read it to refuse it, and the buffer is
    // made once. (Devices and pipes say 0 and are bounded by `take`.)
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    if size > limit {
        return Err(ReadError::TooLarge {
            file: file.to_string(),
            what,
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    f.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            file: file.to_string(),
            what,
            limit,
        });
    }
    Ok(bytes)
}

/// [`read_bounded`] for a text file: UTF-8 (a leading byte-order mark is dropped), or an
/// error with the line of the first bad byte.
pub fn read_bounded_to_string(
    path: &std::path::Path,
    file: &str,
    limit: u64,
    what: &'static str,
) -> Result<String, ReadError> {
    let bytes = read_bounded(path, file, limit, what)?;
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..3);
            }
            Ok(s)
        }
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            Err(ReadError::NotUtf8 {
                file: file.to_string(),
                what,
                line: memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64 + 1,
                byte: bytes[at],
            })
        }
    }
}

/// The file's name without its directories: records name their source by it, so that
/// importing the same file from another directory gives the same records.
pub fn base_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

/// A readable title from a key: `north-atlantic-treaty-organization` → "North Atlantic
/// Treaty Organization". Small words stay lower case after the first.
pub fn title_from_key(key: &str) -> String {
    const SMALL: [&str; 9] = ["and", "of", "the", "in", "on", "for", "to", "a", "an"];
    key.split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(i, w)| {
            if i > 0 && SMALL.contains(&w) {
                w.to_string()
            } else {
                let mut c = w.chars();
                match c.next() {
                    Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                    None => String::new(),
                }
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A slug for `text`: kept as is when it already is one, else made with [`slugify`].
pub fn slug_for(text: &str) -> String {
    if is_valid_slug(text) {
        text.to_string()
    } else {
        slugify(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_slugs_from_keys() {
        assert_eq!(
            title_from_key("north-atlantic-treaty-organization"),
            "North Atlantic Treaty Organization"
        );
        assert_eq!(
            title_from_key("arms-control-and-disarmament"),
            "Arms Control and Disarmament"
        );
        assert_eq!(slug_for("russia"), "russia");
        assert_eq!(slug_for("u.s.-soviet-relations"), "u-s-soviet-relations");
        assert_eq!(base_name("../a/b/1990.xml"), "1990.xml");
    }

    /// Issue 20, finding 7: a file that never ends is refused after `limit + 1` bytes.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_that_never_ends_is_refused_at_the_limit() {
        let path = std::path::Path::new("/dev/zero");
        let e = read_bounded(path, "/dev/zero", MAX_MAPPING_BYTES, "a mapping file").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/dev/zero: larger than 1 MiB, the most a mapping file may hold; refused (is it the right file?)"
        );
        let e = read_bounded_to_string(
            std::path::Path::new("/dev/urandom"),
            "/dev/urandom",
            1000,
            "an outline",
        )
        .unwrap_err();
        assert!(matches!(e, ReadError::TooLarge { limit: 1000, .. }), "{e}");
    }

    #[test]
    fn a_file_within_the_limit_is_read_and_checked_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.toml");
        std::fs::write(&p, "\u{feff}a = 1\n").unwrap();
        assert_eq!(
            read_bounded_to_string(&p, "m.toml", 9, "a mapping file").unwrap(),
            "a = 1\n"
        );
        let e = read_bounded(&p, "m.toml", 6, "a mapping file").unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.toml: larger than 6 bytes, the most a mapping file may hold; refused (is it the right file?)"
        );
        std::fs::write(&p, b"a = 1\nb = \"\xe9\"\n").unwrap();
        let e = read_bounded_to_string(&p, "m.toml", 100, "a mapping file").unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.toml:2: invalid UTF-8 (byte 0xe9); a mapping file is UTF-8 text"
        );
        let e = read_bounded(&dir.path().join("none"), "none", 100, "an outline").unwrap_err();
        assert!(e.to_string().starts_with("none: cannot read: "), "{e}");
    }
}
