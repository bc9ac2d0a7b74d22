//! WARC files (ISO 28500, WARC 1.1): how a capture keeps what it fetched, and how replay
//! reads one record back.
//!
//! Written by hand rather than through a crate so that each record is its own gzip member
//! (the convention: a reader seeks to a record's offset and inflates just that member)
//! and so that the writer reports where each record lies, which the store indexes. The
//! tests read the files back with the independent `warc` crate.
//!
//! A file begins with a `warcinfo` record; each fetch is a `request` record and a
//! `response` record (`WARC-Concurrent-To` the request) holding the HTTP response as the
//! client received it, rebuilt from its status, headers and decoded body: the body is kept
//! decoded, so `Content-Encoding` and `Transfer-Encoding` are dropped and `Content-Length`
//! is the body's. Digests are SHA-256 in base32 (`sha256:…`), as WARC tools expect.

use dossier_store::{Captures, StoreError};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The largest compressed record replay reads, and the largest body it inflates: a WARC
/// file edited by hand, or a row pointing at the wrong place, cannot make the server read
/// or inflate without bound.
pub const MAX_RECORD_BYTES: u64 = 64 << 20;

/// Why a WARC record could not be written or read, said for a person.
#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("`{0}` is not the name of a WARC file the archive keeps")]
    BadName(String),
    /// The store could not give the record's bytes (a file it lacks, a range past the
    /// file's end: a row pointing at the wrong place).
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the WARC record in {file} at byte {offset} is not readable: {why}")]
    Malformed {
        file: String,
        offset: u64,
        why: String,
    },
}

/// One HTTP exchange to keep: what was asked and what came back.
#[derive(Debug, Clone)]
pub struct Exchange<'a> {
    /// The address fetched (`WARC-Target-URI`).
    pub url: &'a str,
    /// When the response was received, in seconds since 1970 (UTC).
    pub date: i64,
    /// The address the connection went to, if known (`WARC-IP-Address`).
    pub ip: Option<std::net::IpAddr>,
    /// The request's method and headers as sent.
    pub method: &'a str,
    pub request_headers: &'a [(String, String)],
    pub status: u16,
    pub response_headers: &'a [(String, String)],
    /// The decoded body.
    pub body: &'a [u8],
}

/// Where a response record was written, for the store's index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The file's name, relative to the warc directory.
    pub file: String,
    /// The gzip member's first byte and its length in the file.
    pub offset: u64,
    pub length: u64,
    /// SHA-256 of the body, lowercase hex.
    pub payload_sha256: String,
    /// `<urn:uuid:…>`.
    pub record_id: String,
}

/// A WARC file being written, in a capture's temporary folder until the store keeps it.
pub struct WarcWriter {
    file: File,
    path: PathBuf,
    name: String,
    offset: u64,
}

impl WarcWriter {
    /// Creates a new file in `dir` (made if missing) named for `now` and a random part,
    /// and writes its `warcinfo` record.
    pub fn create(dir: &Path, now: i64, software: &str) -> Result<WarcWriter, WarcError> {
        std::fs::create_dir_all(dir).map_err(|source| WarcError::Io {
            what: "cannot create the WARC directory",
            path: dir.display().to_string(),
            source,
        })?;
        let random = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("dossier-{}-{}.warc.gz", compact_date(now), &random[..12]);
        let path = dir.join(&name);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|source| WarcError::Io {
                what: "cannot create the WARC file",
                path: path.display().to_string(),
                source,
            })?;
        let mut w = WarcWriter {
            file,
            path,
            name,
            offset: 0,
        };
        let info = format!(
            "software: {software}\r\nformat: WARC File Format 1.1\r\n\
             conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n"
        );
        let fields = vec![
            ("WARC-Type", "warcinfo".to_string()),
            ("WARC-Record-ID", record_id()),
            ("WARC-Date", iso_date(now)),
            ("WARC-Filename", w.name.clone()),
            ("Content-Type", "application/warc-fields".to_string()),
        ];
        w.append(&fields, info.as_bytes())?;
        Ok(w)
    }

    /// The file's name, relative to the warc directory.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.offset
    }

    /// Whether nothing is written yet (never after [`create`](Self::create)).
    pub fn is_empty(&self) -> bool {
        self.offset == 0
    }

    /// Writes the request and response records of one exchange; returns where the
    /// response lies.
    pub fn write_exchange(&mut self, ex: &Exchange<'_>) -> Result<Written, WarcError> {
        let date = iso_date(ex.date);
        let (path_q, host) = request_target(ex.url);
        let mut request = format!("{} {} HTTP/1.1\r\n", ex.method, path_q);
        if !ex
            .request_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("host"))
        {
            request.push_str(&format!("Host: {host}\r\n"));
        }
        for (n, v) in ex.request_headers {
            request.push_str(&format!("{}: {}\r\n", clean(n), clean(v)));
        }
        request.push_str("\r\n");
        let request_id = record_id();
        let mut fields = vec![
            ("WARC-Type", "request".to_string()),
            ("WARC-Record-ID", request_id.clone()),
            ("WARC-Date", date.clone()),
            ("WARC-Target-URI", clean(ex.url)),
            (
                "Content-Type",
                "application/http; msgtype=request".to_string(),
            ),
            (
                "WARC-Block-Digest",
                labelled(&Sha256::digest(request.as_bytes())),
            ),
        ];
        self.append(&fields, request.as_bytes())?;

        let mut head = format!("HTTP/1.1 {} {}\r\n", ex.status, reason(ex.status));
        for (n, v) in ex.response_headers {
            if ["content-encoding", "transfer-encoding", "content-length"]
                .iter()
                .any(|h| n.eq_ignore_ascii_case(h))
            {
                continue;
            }
            head.push_str(&format!("{}: {}\r\n", clean(n), clean(v)));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", ex.body.len()));
        let mut block = head.into_bytes();
        block.extend_from_slice(ex.body);
        let payload = Sha256::digest(ex.body);
        let id = record_id();
        fields = vec![
            ("WARC-Type", "response".to_string()),
            ("WARC-Record-ID", id.clone()),
            ("WARC-Date", date),
            ("WARC-Target-URI", clean(ex.url)),
            ("WARC-Concurrent-To", request_id),
            (
                "Content-Type",
                "application/http; msgtype=response".to_string(),
            ),
            ("WARC-Block-Digest", labelled(&Sha256::digest(&block))),
            ("WARC-Payload-Digest", labelled(&payload)),
        ];
        if let Some(ip) = ex.ip {
            fields.push(("WARC-IP-Address", ip.to_string()));
        }
        let (offset, length) = self.append(&fields, &block)?;
        Ok(Written {
            file: self.name.clone(),
            offset,
            length,
            payload_sha256: hex(&payload),
            record_id: id,
        })
    }

    /// Closes the file and answers where it is, for the capture to hand it whole to the
    /// store ([`dossier_store::Captures::write_warc_file`]), which makes it durable.
    pub fn finish(self) -> PathBuf {
        self.path
    }

    /// Writes one record as its own gzip member; returns its offset and length.
    fn append(&mut self, fields: &[(&str, String)], block: &[u8]) -> Result<(u64, u64), WarcError> {
        let mut head = String::from("WARC/1.1\r\n");
        for (n, v) in fields {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", block.len()));
        let mut gz = GzEncoder::new(
            Vec::with_capacity(block.len() / 2 + 512),
            Compression::new(6),
        );
        let io = |source| WarcError::Io {
            what: "cannot write the WARC file",
            path: self.path.display().to_string(),
            source,
        };
        gz.write_all(head.as_bytes()).map_err(io)?;
        gz.write_all(block).map_err(io)?;
        gz.write_all(b"\r\n\r\n").map_err(io)?;
        let member = gz.finish().map_err(io)?;
        self.file
            .write_all(&member)
            .map_err(|source| WarcError::Io {
                what: "cannot write the WARC file",
                path: self.path.display().to_string(),
                source,
            })?;
        let offset = self.offset;
        self.offset += member.len() as u64;
        Ok((offset, member.len() as u64))
    }
}

/// An HTTP response read back from a WARC `response` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedResponse {
    pub target_uri: String,
    /// `WARC-Date` as written (ISO 8601).
    pub warc_date: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl ArchivedResponse {
    /// The first header of this name, any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Whether `name` can be a file the writer made: one plain file name (no directory, no
/// `..`), so that a row of the store cannot make replay read a file elsewhere. The store
/// refuses every other name too.
pub use dossier_store::captures::is_warc_name;

/// Reads the `response` record that lies at `offset` (`length` bytes) in the WARC file
/// `file` the store keeps.
pub fn read_response(
    copies: &dyn Captures,
    file: &str,
    offset: u64,
    length: u64,
) -> Result<ArchivedResponse, WarcError> {
    if !is_warc_name(file) {
        return Err(WarcError::BadName(file.to_string()));
    }
    if length == 0 || length > MAX_RECORD_BYTES {
        return Err(WarcError::Malformed {
            file: file.to_string(),
            offset,
            why: format!("a record of {length} bytes"),
        });
    }
    let member = copies.read_warc_range(file, offset, length)?;
    decode_response(file, offset, &member)
}

/// The `response` record in `member`, one gzip member read from `file` at `offset`.
pub fn decode_response(
    file: &str,
    offset: u64,
    member: &[u8],
) -> Result<ArchivedResponse, WarcError> {
    let malformed = |why: String| WarcError::Malformed {
        file: file.to_string(),
        offset,
        why,
    };
    let mut record = Vec::new();
    GzDecoder::new(member)
        .take(MAX_RECORD_BYTES + 1)
        .read_to_end(&mut record)
        .map_err(|e| malformed(format!("not gzip: {e}")))?;
    if record.len() as u64 > MAX_RECORD_BYTES {
        return Err(malformed("larger than replay reads".into()));
    }
    parse_response(&record).map_err(malformed)
}

/// Parses an uncompressed WARC `response` record.
fn parse_response(record: &[u8]) -> Result<ArchivedResponse, String> {
    let (warc_head, rest) = split_head(record).ok_or("no end to the WARC headers")?;
    let mut lines = warc_head.split("\r\n");
    match lines.next() {
        Some(v) if v.starts_with("WARC/1.") => {}
        other => {
            return Err(format!(
                "not a WARC record (begins {:?})",
                other.unwrap_or("")
            ))
        }
    }
    let fields = header_lines(lines);
    let field = |n: &str| {
        fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    if field("WARC-Type").as_deref() != Some("response") {
        return Err("not a response record".into());
    }
    let length: usize = field("Content-Length")
        .and_then(|v| v.parse().ok())
        .ok_or("no Content-Length")?;
    let block = rest
        .get(..length)
        .ok_or("shorter than its Content-Length")?;
    let (http_head, body) = split_head(block).ok_or("no end to the HTTP headers")?;
    let mut lines = http_head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .strip_prefix("HTTP/")
        .and_then(|s| s.split(' ').nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| format!("no HTTP status line ({status_line:?})"))?;
    Ok(ArchivedResponse {
        target_uri: field("WARC-Target-URI").unwrap_or_default(),
        warc_date: field("WARC-Date").unwrap_or_default(),
        status,
        headers: header_lines(lines),
        body: body.to_vec(),
    })
}

/// Splits at the first blank line: the headers (as text) and what follows.
fn split_head(bytes: &[u8]) -> Option<(String, &[u8])> {
    let end = memchr::memmem::find(bytes, b"\r\n\r\n")?;
    Some((
        String::from_utf8_lossy(&bytes[..end]).into_owned(),
        &bytes[end + 4..],
    ))
}

fn header_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(String, String)> {
    lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// A header name or value, or an address, with line breaks and other control characters
/// taken out: a server's header cannot end a record's headers early.
fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// The request line's target and the `Host` of an absolute URL.
fn request_target(url: &str) -> (String, String) {
    match url::Url::parse(url) {
        Ok(u) => {
            let mut target = u.path().to_string();
            if let Some(q) = u.query() {
                target.push('?');
                target.push_str(q);
            }
            let host = match (u.host_str(), u.port()) {
                (Some(h), Some(p)) => format!("{h}:{p}"),
                (Some(h), None) => h.to_string(),
                _ => String::new(),
            };
            (target, host)
        }
        Err(_) => ("/".into(), String::new()),
    }
}

fn record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

/// `sha256:` and the digest in base32, the label WARC tools read.
fn labelled(digest: &[u8]) -> String {
    format!("sha256:{}", data_encoding::BASE32.encode(digest))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        410 => "Gone",
        _ => "",
    }
}

/// `2026-12-05T10:00:00Z`.
pub fn iso_date(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `20261205100000`, the form Memento and Wayback addresses use.
pub fn compact_date(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(secs);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
}

/// Seconds since 1970 as year, month, day, hour, minute, second (UTC); Howard Hinnant's
/// days-to-civil algorithm.
pub fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        y,
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso_date(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_date(1_796_469_600), "2026-12-05T11:20:00Z");
        assert_eq!(compact_date(951_782_400), "20000229000000");
    }

    #[test]
    fn names_outside_the_directory_are_refused() {
        assert!(is_warc_name("dossier-20261205112000-0123456789ab.warc.gz"));
        for bad in [
            "../x.warc.gz",
            "a/b.warc.gz",
            "/etc/passwd",
            "..warc.gz",
            "x.warc",
            "",
            "a\\b.warc.gz",
        ] {
            assert!(!is_warc_name(bad), "{bad}");
            let store = dossier_store::SqliteStore::in_memory().unwrap();
            let copies = dossier_store::Store::captures(&store).unwrap();
            assert!(matches!(
                read_response(copies, bad, 0, 10),
                Err(WarcError::BadName(_))
            ));
        }
    }

    #[test]
    fn a_written_response_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = WarcWriter::create(dir.path(), 1_796_469_600, "test").unwrap();
        let headers = vec![
            ("Content-Type".to_string(), "text/html".to_string()),
            ("Content-Encoding".to_string(), "gzip".to_string()),
            ("X-Evil".to_string(), "a\r\n\r\nWARC/1.1".to_string()),
        ];
        let written = w
            .write_exchange(&Exchange {
                url: "https://example.org/a?b=1",
                date: 1_796_469_600,
                ip: None,
                method: "GET",
                request_headers: &[],
                status: 200,
                response_headers: &headers,
                body: b"<p>hello</p>",
            })
            .unwrap();
        let name = w.name().to_string();
        let path = w.finish();
        let data = tempfile::tempdir().unwrap();
        let store = dossier_store::SqliteStore::open(&data.path().join("dossier.db")).unwrap();
        let copies = dossier_store::Store::captures(&store).unwrap();
        copies
            .write_warc_file(&name, &std::fs::read(path).unwrap())
            .unwrap();
        let r = read_response(copies, &name, written.offset, written.length).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"<p>hello</p>");
        assert_eq!(r.target_uri, "https://example.org/a?b=1");
        assert_eq!(r.warc_date, "2026-12-05T11:20:00Z");
        assert_eq!(r.header("content-type"), Some("text/html"));
        assert_eq!(r.header("content-encoding"), None);
        assert_eq!(r.header("x-evil"), Some("aWARC/1.1"));
        assert_eq!(
            written.payload_sha256,
            hex(&Sha256::digest(b"<p>hello</p>"))
        );
        // The request record is not a response; a wrong offset is said to be one.
        assert!(read_response(copies, &name, written.offset + 1, written.length).is_err());
        assert!(read_response(copies, &name, 0, MAX_RECORD_BYTES + 1).is_err());
        // A row pointing past the file's end is an error that names the file.
        let e = read_response(copies, &name, written.offset, written.length + 1).unwrap_err();
        assert!(e.to_string().contains(&name), "{e}");
    }
}
