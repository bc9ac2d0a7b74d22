//! Record files through a [`Mapping`]: XML with one element per record, and CSV with a
//! header row. Both stream: one record is held at a time.

use crate::import::*;
use crate::mapping::{Mapping, Values};
use crate::xml::{Limits, Pos, SafeXml, XmlEvent};
use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::Arc;

/// The most text one record may hold (all its values together), bounding memory.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// Streams records out of an XML file: every element named by one of the mapping's
/// `[record] element`s, wherever it is, is one source record (and gives one archive
/// record per `[[record]]` of that element). Record elements do not nest: inside a
/// record, an element of that name is part of it.
pub struct XmlRecords<R: BufRead> {
    xml: SafeXml<R>,
    mapping: Arc<Mapping>,
    elements: Vec<String>,
    file: String,
    dossier: Option<String>,
    current: Option<Collect>,
    seen_root: bool,
    /// The reader's count of skipped text when it was last read.
    text_seen: u64,
    /// Records built from the last source record, not yet handed out.
    ready: VecDeque<Item>,
    /// Source records the mapping's `[[when]]` tests left out.
    left_out: u64,
}

struct Collect {
    /// The element that holds the record.
    element: String,
    pos: Pos,
    values: Values,
    /// Open child elements: (path, index of their entry if the mapping reads it).
    open: Vec<(String, Option<usize>)>,
    /// The text the record holds, counted as the first pass counts it (each child's
    /// attributes, and text once per child element it is inside), whether collected or not.
    bytes: usize,
    /// Child elements and attributes, collected or not.
    entries: usize,
}

impl<R: BufRead> XmlRecords<R> {
    pub fn new(
        input: R,
        file: &str,
        mapping: Arc<Mapping>,
        dossier: Option<String>,
    ) -> Result<Self, ImportError> {
        let elements: Vec<String> = mapping.elements().iter().map(|e| e.to_string()).collect();
        if elements.is_empty() {
            return Err(ImportError::Mapping(crate::mapping::MappingError {
                file: mapping.file().to_string(),
                message: "[record] has no `element`: name the XML element that holds one record"
                    .into(),
            }));
        }
        let mut xml = SafeXml::new(input, file, Limits::default());
        // Text between records is never read.
        xml.set_skip_text(true);
        Ok(XmlRecords {
            xml,
            mapping,
            elements,
            file: file.to_string(),
            dossier,
            current: None,
            seen_root: false,
            text_seen: 0,
            ready: VecDeque::new(),
            left_out: 0,
        })
    }
}

impl<R: BufRead> RecordSource for XmlRecords<R> {
    fn next_item(&mut self) -> Result<Option<Item>, ImportError> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Ok(Some(item));
            }
            let event = self.xml.next_event()?;
            // Text skipped (between records, or where no value the mapping reads is open)
            // counts as the text it would have been.
            let skipped = (self.xml.skipped_text() - self.text_seen) as usize;
            self.text_seen = self.xml.skipped_text();
            if let Some(c) = &mut self.current {
                c.bytes += skipped * c.open.len();
            }
            match event {
                XmlEvent::Start(e) => {
                    self.seen_root = true;
                    match &mut self.current {
                        None if self.elements.contains(&e.name) => {
                            let mut values = Values::default();
                            for (k, v) in e.attrs {
                                let path = format!("@{k}");
                                if self.mapping.reads(&path) {
                                    values.entries.push((path, v, e.pos));
                                }
                            }
                            self.current = Some(Collect {
                                element: e.name,
                                pos: e.pos,
                                values,
                                open: Vec::new(),
                                bytes: 0,
                                entries: 0,
                            });
                        }
                        None => {}
                        Some(c) => {
                            let path = match c.open.last() {
                                Some((p, _)) => format!("{p}/{}", e.name),
                                None => e.name,
                            };
                            c.entries += 1 + e.attrs.len();
                            for (k, v) in e.attrs {
                                c.bytes += v.len();
                                let at = format!("{path}/@{k}");
                                if self.mapping.reads(&at) {
                                    c.values.entries.push((at, v, e.pos));
                                }
                            }
                            // Only the values the mapping reads are collected.
                            let slot = self.mapping.reads(&path).then(|| {
                                c.values.entries.push((path.clone(), String::new(), e.pos));
                                c.values.entries.len() - 1
                            });
                            c.open.push((path, slot));
                            if c.entries > 100_000 {
                                let element = c.element.clone();
                                return Err(self.too_big(&element, e.pos));
                            }
                        }
                    }
                }
                XmlEvent::Text(t) => {
                    if let Some(c) = &mut self.current {
                        // An element's value is all the text inside it.
                        c.bytes += t.len() * c.open.len();
                        for i in c.open.iter().filter_map(|(_, i)| *i) {
                            c.values.entries[i].1.push_str(&t);
                        }
                    }
                }
                XmlEvent::End { .. } => {
                    if let Some(c) = &mut self.current {
                        if c.open.pop().is_none() {
                            let c = self.current.take().expect("a record is open");
                            self.xml.set_skip_text(true);
                            let items = self.mapping.build(
                                Some(&c.element),
                                &c.values,
                                &self.file,
                                c.pos,
                                self.dossier.as_deref(),
                            );
                            if items.is_empty() {
                                self.left_out += 1;
                            }
                            self.ready.extend(items);
                            continue;
                        }
                    }
                }
                XmlEvent::Eof => {
                    if !self.seen_root {
                        return Err(ImportError::Format {
                            file: self.file.clone(),
                            pos: Pos { line: 1, column: 1 },
                            message: "the file has no elements; expected record XML".into(),
                        });
                    }
                    return Ok(None);
                }
            }
            if let Some(c) = &self.current {
                if c.bytes > MAX_RECORD_BYTES {
                    return Err(self.too_big(&c.element, c.pos));
                }
                // Text is decoded only inside a value the mapping reads.
                let collecting = c.open.iter().any(|(_, i)| i.is_some());
                self.xml.set_skip_text(!collecting);
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.xml.bytes_read()
    }

    fn left_out(&self) -> u64 {
        self.left_out
    }

    fn check(&mut self) -> Result<(), ImportError> {
        self.xml.set_skip_text(true);
        // What the second pass would collect for the record being read, measured as it
        // does (each child's attributes, and text once per child element it is inside), so
        // that a record too big is refused here, before any batch is written.
        struct Open {
            element: String,
            pos: Pos,
            depth: usize,
            bytes: usize,
            entries: usize,
        }
        let mut record: Option<Open> = None;
        let mut text_seen = 0u64;
        loop {
            let event = self.xml.next_event()?;
            let text = (self.xml.skipped_text() - text_seen) as usize;
            text_seen = self.xml.skipped_text();
            if let Some(r) = &mut record {
                r.bytes += text * r.depth;
                if r.bytes > MAX_RECORD_BYTES {
                    let (element, pos) = (r.element.clone(), r.pos);
                    return Err(self.too_big(&element, pos));
                }
            }
            match event {
                XmlEvent::Start(e) => {
                    self.seen_root = true;
                    match &mut record {
                        None if self.elements.contains(&e.name) => {
                            record = Some(Open {
                                element: e.name,
                                pos: e.pos,
                                depth: 0,
                                bytes: 0,
                                entries: 0,
                            })
                        }
                        None => {}
                        Some(r) => {
                            r.depth += 1;
                            r.bytes += e.attrs.iter().map(|(_, v)| v.len()).sum::<usize>();
                            r.entries += 1 + e.attrs.len();
                            if r.entries > 100_000 {
                                let element = r.element.clone();
                                return Err(self.too_big(&element, e.pos));
                            }
                        }
                    }
                }
                XmlEvent::End { .. } => {
                    if let Some(r) = &mut record {
                        if r.depth == 0 {
                            record = None;
                        } else {
                            r.depth -= 1;
                        }
                    }
                }
                XmlEvent::Eof if !self.seen_root => {
                    return Err(ImportError::Format {
                        file: self.file.clone(),
                        pos: Pos { line: 1, column: 1 },
                        message: "the file has no elements; expected record XML".into(),
                    })
                }
                XmlEvent::Eof => return Ok(()),
                _ => {}
            }
        }
    }
}

impl<R: BufRead> XmlRecords<R> {
    fn too_big(&self, element: &str, pos: Pos) -> ImportError {
        ImportError::Format {
            file: self.file.clone(),
            pos,
            message: format!(
                "a <{}> record holds more than {} MiB of text; refused (a limit that bounds memory)",
                element,
                MAX_RECORD_BYTES / (1024 * 1024)
            ),
        }
    }
}

/// Counts the bytes the CSV reader pulls since the start of the current record and stops
/// it once a record grows past a bound: the csv crate buffers a whole record, so without
/// this a single huge field (or a quote never closed) would take memory without limit.
struct Bounded<R> {
    inner: R,
    since_record: u64,
    limit: u64,
    tripped: bool,
}

impl<R: std::io::Read> std::io::Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.since_record > self.limit {
            self.tripped = true;
            return Err(std::io::Error::other("record too long"));
        }
        let n = self.inner.read(buf)?;
        self.since_record += n as u64;
        Ok(n)
    }
}

/// Streams records out of a CSV file whose first row names the columns. Values are the
/// mapping's paths by column name. A field longer than [`Limits::max_text`] (the bound
/// on one XML text node) refuses the whole file, as hostile XML does.
pub struct CsvRecords<R: std::io::Read> {
    reader: csv::Reader<Bounded<R>>,
    headers: Vec<String>,
    mapping: Arc<Mapping>,
    file: String,
    dossier: Option<String>,
    row: csv::ByteRecord,
    max_field: usize,
    /// The column that gives the record's id, to name the record in errors.
    id_column: usize,
    /// The line the next record starts on.
    next_line: u64,
    /// Records built from the last row, not yet handed out.
    ready: VecDeque<Item>,
    /// Rows the mapping's `[[when]]` tests left out.
    left_out: u64,
}

impl<R: std::io::Read> CsvRecords<R> {
    pub fn new(
        input: R,
        file: &str,
        mapping: Arc<Mapping>,
        dossier: Option<String>,
    ) -> Result<Self, ImportError> {
        Self::with_limits(input, file, mapping, dossier, Limits::default())
    }

    /// Like [`CsvRecords::new`], with other bounds (`max_text` bounds one field).
    pub fn with_limits(
        input: R,
        file: &str,
        mapping: Arc<Mapping>,
        dossier: Option<String>,
        limits: Limits,
    ) -> Result<Self, ImportError> {
        let bounded = Bounded {
            inner: input,
            since_record: 0,
            // A record may hold several fields at the limit; the csv reader's own buffer
            // reads ahead a little.
            limit: (limits.max_text.max(MAX_RECORD_BYTES) + 64 * 1024) as u64,
            tripped: false,
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(bounded);
        let raw = reader.byte_headers().cloned();
        let raw = match raw {
            Ok(h) => h,
            Err(_) if reader.get_ref().tripped => {
                return Err(ImportError::Format {
                    file: file.into(),
                    pos: Pos { line: 1, column: 1 },
                    message: format!(
                        "the header row is longer than {} MiB; refused (a limit that bounds memory), nothing from this file is imported",
                        MAX_RECORD_BYTES >> 20
                    ),
                })
            }
            Err(e) => return Err(csv_error(file, &e)),
        };
        let mut headers = Vec::new();
        for (i, h) in raw.iter().enumerate() {
            let h = text(h, file, 1, i)?;
            headers.push(h.trim().to_string());
        }
        if headers.iter().all(|h| h.is_empty()) {
            return Err(ImportError::Format {
                file: file.into(),
                pos: Pos { line: 1, column: 1 },
                message: "no header row; the first row must name the columns".into(),
            });
        }
        // Without the id's column every row would be refused one by one, or a file of no
        // rows would import nothing and succeed: a wrong file or a wrong mapping either way.
        let mut id_column = None;
        for ids in mapping.id_paths() {
            let Some(i) = headers.iter().position(|h| ids.contains(h)) else {
                return Err(ImportError::Format {
                    file: file.into(),
                    pos: Pos { line: 1, column: 1 },
                    message: format!(
                        "the header row has no column `{}`, which the mapping's [record] id reads; is this the right mapping for this file?",
                        ids.join("` or `")
                    ),
                });
            };
            id_column.get_or_insert(i);
        }
        let id_column = id_column.unwrap_or(0);
        let next_line = reader.position().line();
        Ok(CsvRecords {
            reader,
            headers,
            mapping,
            file: file.to_string(),
            dossier,
            row: csv::ByteRecord::new(),
            max_field: limits.max_text,
            id_column,
            next_line,
            ready: VecDeque::new(),
            left_out: 0,
        })
    }
}

fn text(bytes: &[u8], file: &str, line: u64, field: usize) -> Result<String, ImportError> {
    if bytes.contains(&0) {
        return Err(ImportError::Format {
            file: file.into(),
            pos: Pos {
                line,
                column: field as u64 + 1,
            },
            message: "NUL byte (binary data); expected CSV text".into(),
        });
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| ImportError::Format {
        file: file.into(),
        pos: Pos {
            line,
            column: field as u64 + 1,
        },
        message: format!(
            "invalid UTF-8 (byte 0x{:02x}) in column {}; expected UTF-8 CSV",
            bytes[e.utf8_error().valid_up_to()],
            field + 1
        ),
    })
}

fn csv_error(file: &str, e: &csv::Error) -> ImportError {
    let line = e.position().map_or(1, |p| p.line());
    ImportError::Format {
        file: file.into(),
        pos: Pos { line, column: 1 },
        message: format!("malformed CSV: {e}"),
    }
}

impl<R: std::io::Read> CsvRecords<R> {
    /// The record's id as the file gives it, if its field is readable.
    fn record_id(&self) -> Option<String> {
        let f = self.row.get(self.id_column)?;
        if f.len() > self.max_field {
            return None;
        }
        std::str::from_utf8(f).ok().map(|s| s.trim().to_string())
    }

    /// Refuses the file for a field over the limit, naming the line, record and column.
    fn check_fields(&self, line: u64) -> Result<(), ImportError> {
        let Some(i) = self.row.iter().position(|f| f.len() > self.max_field) else {
            return Ok(());
        };
        let record = self.record_id().unwrap_or_else(|| "(no id)".into());
        let column = self.headers.get(i).map_or("", String::as_str);
        Err(ImportError::Format {
            file: self.file.clone(),
            pos: Pos {
                line,
                column: i as u64 + 1,
            },
            message: format!(
                "record {record}, column `{column}`: the field is longer than {} bytes; refused (a limit that bounds memory), nothing from this file is imported",
                self.max_field
            ),
        })
    }
}

impl<R: std::io::Read> RecordSource for CsvRecords<R> {
    fn next_item(&mut self) -> Result<Option<Item>, ImportError> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Ok(Some(item));
            }
            let Some(values) = self.next_row()? else {
                return Ok(None);
            };
            let line = values.entries.first().map_or(0, |(_, _, p)| p.line);
            let items = self.mapping.build(
                None,
                &values,
                &self.file,
                Pos { line, column: 1 },
                self.dossier.as_deref(),
            );
            if items.is_empty() {
                self.left_out += 1;
            }
            self.ready.extend(items);
        }
    }

    fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
    }

    fn left_out(&self) -> u64 {
        self.left_out
    }
}

impl<R: std::io::Read> CsvRecords<R> {
    /// The next row's values, by column name.
    fn next_row(&mut self) -> Result<Option<Values>, ImportError> {
        self.reader.get_mut().since_record = 0;
        let more = match self.reader.read_byte_record(&mut self.row) {
            Ok(more) => more,
            Err(_) if self.reader.get_ref().tripped => {
                return Err(ImportError::Format {
                    file: self.file.clone(),
                    pos: Pos {
                        line: self.next_line,
                        column: 1,
                    },
                    message: format!(
                        "the record starting here is longer than {} MiB (a field over the {}-byte limit, or a quote never closed); refused (a limit that bounds memory), nothing from this file is imported",
                        MAX_RECORD_BYTES >> 20,
                        self.max_field
                    ),
                });
            }
            Err(e) => return Err(csv_error(&self.file, &e)),
        };
        if !more {
            return Ok(None);
        }
        let line = self.row.position().map_or(0, |p| p.line());
        self.next_line = self.reader.position().line();
        self.check_fields(line)?;
        let mut values = Values::default();
        for (i, field) in self.row.iter().enumerate() {
            let value = text(field, &self.file, line, i)?;
            let name = self.headers.get(i).cloned().unwrap_or_default();
            values.entries.push((
                name,
                value,
                Pos {
                    line,
                    column: i as u64 + 1,
                },
            ));
        }
        Ok(Some(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_model::*;

    const XML: &str = include_str!("../../../tests/fixtures/visits-excerpt.xml");
    const CSV: &str = include_str!("../../../tests/fixtures/visits-excerpt.csv");

    fn events(src: &mut dyn RecordSource) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(item) = src.next_item().unwrap() {
            match item {
                Item::Record(r) => match r.record {
                    Record::Event(e) => out.push(e),
                    _ => panic!(),
                },
                Item::Bad(e) => panic!("{e}"),
            }
        }
        out
    }

    #[test]
    fn xml_and_csv_give_the_same_events() {
        let xml_map = Arc::new(
            Mapping::parse(include_str!("../../../mappings/visits.toml"), "visits.toml").unwrap(),
        );
        let csv_map = Arc::new(
            Mapping::parse(
                include_str!("../../../mappings/visits-csv.toml"),
                "visits-csv.toml",
            )
            .unwrap(),
        );
        let mut x = XmlRecords::new(XML.as_bytes(), "data/1990.xml", xml_map, None).unwrap();
        let from_xml = events(&mut x);
        let mut c = CsvRecords::new(CSV.as_bytes(), "x/1990.xml", csv_map, None).unwrap();
        let from_csv = events(&mut c);
        assert_eq!(from_xml.len(), 3);
        assert_eq!(from_xml, from_csv);
        assert_eq!(
            from_xml[1].title,
            "Visit of President Ali Abdallah Salih (Yemen Arab Republic)"
        );
        assert_eq!(
            from_xml[1].date.unwrap().to_string(),
            "1990-01-23/1990-01-26"
        );
        assert_eq!(from_xml[2].date.unwrap().to_string(), "1990-01-26");
    }

    /// The second pass collects only what the mapping reads, and decodes text only there,
    /// but bounds a record as the first pass does: skipped text counts once per element it
    /// is inside, so the same record is refused by both passes.
    #[test]
    fn the_second_pass_bounds_a_record_by_the_text_it_skips_too() {
        let map = Arc::new(
            Mapping::parse(include_str!("../../../mappings/visits.toml"), "visits.toml").unwrap(),
        );
        let fifth = "x".repeat(MAX_RECORD_BYTES / 5 + 1024);
        let record = |text: &str| {
            format!(
                "<visits><visit><id>1</id><start-date>1990-01-23</start-date><end-date>1990-01-26</end-date><visitor>V</visitor>\
                 <from id=\"ru\">Russia</from><notes><a><b><c><d>{text}</d></c></b></a></notes></visit></visits>"
            )
        };
        // Five elements deep: five times a fifth of the bound, and a little more.
        for pass in ["check", "read"] {
            let xml = record(&fifth);
            let mut x = XmlRecords::new(xml.as_bytes(), "big.xml", map.clone(), None).unwrap();
            let e = if pass == "check" {
                x.check().unwrap_err()
            } else {
                x.next_item().unwrap_err()
            };
            assert!(
                e.to_string().contains("record holds more than"),
                "{pass}: {e}"
            );
        }
        // Half as much passes both, and what the mapping reads is all there.
        let xml = record(&fifth[..fifth.len() / 2]);
        let mut x = XmlRecords::new(xml.as_bytes(), "big.xml", map.clone(), None).unwrap();
        x.check().unwrap();
        let mut x = XmlRecords::new(xml.as_bytes(), "big.xml", map, None).unwrap();
        let e = events(&mut x);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].people, ["v"]);
        assert_eq!(e[0].date.unwrap().to_string(), "1990-01-23/1990-01-26");
    }

    #[test]
    fn a_bad_record_names_file_line_column_record_and_field() {
        let map = Arc::new(
            Mapping::parse(include_str!("../../../mappings/visits.toml"), "visits.toml").unwrap(),
        );
        let xml = XML.replace(
            "<end-date>1990-01-26</end-date>\n        <visitor>President Ali",
            "<end-date>1990-02-31</end-date>\n        <visitor>President Ali",
        );
        let mut x = XmlRecords::new(xml.as_bytes(), "1990.xml", map, None).unwrap();
        let mut bad = Vec::new();
        while let Some(item) = x.next_item().unwrap() {
            if let Item::Bad(e) = item {
                bad.push(e.to_string());
            }
        }
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(
            bad[0].starts_with("1990.xml:18:9: record 752, field `end-date`"),
            "{bad:?}"
        );
    }

    fn csv_mapping() -> Arc<Mapping> {
        Arc::new(
            Mapping::parse(
                include_str!("../../../mappings/visits-csv.toml"),
                "visits-csv.toml",
            )
            .unwrap(),
        )
    }

    fn read_all(src: &mut dyn RecordSource) -> Result<usize, ImportError> {
        let mut n = 0;
        while src.next_item()?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    #[test]
    fn a_csv_field_over_the_limit_refuses_the_file_naming_line_record_and_column() {
        let limits = Limits {
            max_text: 200,
            ..Limits::default()
        };
        let long = "x".repeat(201);
        let csv = CSV.replacen(
            "Official working visit.",
            &format!("Official working visit. {long}"),
            1,
        );
        let mut c =
            CsvRecords::with_limits(csv.as_bytes(), "v.csv", csv_mapping(), None, limits).unwrap();
        let e = read_all(&mut c).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "v.csv:2:7: record 751, column `description`: the field is longer than 200 bytes"
            ),
            "{e}"
        );
        // The same file under the default limit reads.
        let mut c = CsvRecords::new(csv.as_bytes(), "v.csv", csv_mapping(), None).unwrap();
        assert_eq!(read_all(&mut c).unwrap(), 3);
        // The id itself too long: the record is named as having none.
        let csv = CSV.replacen("751,", &format!("751{},", "1".repeat(300)), 1);
        let mut c =
            CsvRecords::with_limits(csv.as_bytes(), "v.csv", csv_mapping(), None, limits).unwrap();
        let e = read_all(&mut c).unwrap_err().to_string();
        assert!(e.contains("record (no id), column `id`"), "{e}");
    }

    #[test]
    fn a_csv_without_the_id_column_is_refused_not_imported_as_nothing() {
        let csv = "a,b,c\n".to_string();
        let e = CsvRecords::new(csv.as_bytes(), "wide.csv", csv_mapping(), None)
            .err()
            .expect("refused");
        assert_eq!(
            e.to_string(),
            "wide.csv:1:1: the header row has no column `id`, which the mapping's [record] id reads; is this the right mapping for this file?"
        );
    }

    #[test]
    fn a_csv_record_that_never_ends_is_refused_in_bounded_memory() {
        use std::io::Read;
        // A quote never closed: 40 MB of field, produced as it is read.
        let head = "id,start-date,end-date,visitor,from-id,from,description\n1,1990-01-01,,A,b,B,ok\n2,1990-01-02,,A,b,B,\"";
        let input = head
            .as_bytes()
            .chain(std::io::repeat(b'a').take(40_000_000));
        let mut c = CsvRecords::new(input, "big.csv", csv_mapping(), None).unwrap();
        assert!(matches!(c.next_item(), Ok(Some(_))));
        let e = c.next_item().unwrap_err().to_string();
        assert!(
            e.starts_with("big.csv:3:1: the record starting here is longer than 16 MiB"),
            "{e}"
        );
        assert!(c.bytes_read() < 20_000_000, "read {}", c.bytes_read());
    }

    /// Two kinds of record element in one file, attributes at any depth, and a
    /// `[[when]]` that leaves one record out (counted, neither imported nor bad).
    #[test]
    fn several_elements_and_attributes_anywhere_in_one_file() {
        let mapping = r#"
[source]
title = "T"

[[record]]
element = "org"
type = "body"
id = "@code"
[record.fields]
name = { path = "names/name/@full" }
kind = { path = "@type", map = { io = "organisation", country = "state" }, unmapped = "refuse" }
acronyms = { path = "names/short" }

[[record]]
element = "meeting"
type = "event"
id = "@n"
slug = "meeting-{@n}"
[record.fields]
title = { template = "Meeting[ at {where/@city}]" }
kind = { value = "meeting" }
date = { path = "when/@iso" }
[[record.when]]
path = "@status"
none_of = ["cancelled"]
[[record.links]]
field = "bodies"
type = "body"
slug = { path = "with/@code" }
create = false
"#;
        let xml = r#"<file>
  <org code="nato" type="io"><names><name full="North Atlantic Treaty Organization"/><short>NATO</short><short>OTAN</short></names></org>
  <meeting n="1" status="held"><when iso="1997-05-27"/><where city="Paris"/><with code="nato"/></meeting>
  <meeting n="2" status="held"><when iso="1997-05-28"/><where city=""/><with code="nato"/></meeting>
  <meeting n="3" status="cancelled"><when iso="1997-05-29"/></meeting>
</file>"#;
        let map = Arc::new(Mapping::parse(mapping, "m.toml").unwrap());
        let mut x = XmlRecords::new(xml.as_bytes(), "f.xml", map, None).unwrap();
        let mut records = Vec::new();
        while let Some(item) = x.next_item().unwrap() {
            match item {
                Item::Record(r) => records.push(r.record),
                Item::Bad(e) => panic!("{e}"),
            }
        }
        assert_eq!(records.len(), 3, "{records:?}");
        let Record::Body(b) = &records[0] else {
            panic!()
        };
        assert_eq!(
            (b.slug.as_str(), b.name.as_str(), b.kind),
            (
                "nato",
                "North Atlantic Treaty Organization",
                BodyKind::Organisation
            )
        );
        assert_eq!(b.acronyms, ["NATO", "OTAN"]);
        let Record::Event(e) = &records[1] else {
            panic!()
        };
        assert_eq!(
            (e.title.as_str(), e.bodies.as_slice()),
            ("Meeting at Paris", &["nato".to_string()][..])
        );
        let Record::Event(e) = &records[2] else {
            panic!()
        };
        assert_eq!(e.title, "Meeting");
        assert_eq!(x.left_out(), 1);
    }

    /// CSV: every `[[record]]` reads every row, `[[record.when]]` choosing; an id may
    /// fall back to another column.
    #[test]
    fn csv_rows_choose_their_record_by_a_test() {
        let mapping = r#"
[source]
title = "T"

[[record]]
type = "person"
id = ["person-id", "id"]
[record.fields]
name = { path = "name" }
[[record.when]]
path = "type"
equals = "person"

[[record]]
type = "body"
id = "id"
[record.fields]
name = { path = "name", filters = ["title"] }
kind = { value = "state" }
[[record.when]]
path = "type"
equals = "state"
"#;
        let csv = "type,id,name\nperson,p1,Madeleine Korbel Albright\nstate,ru,RUSSIA\nother,x,X\n";
        let map = Arc::new(Mapping::parse(mapping, "m.toml").unwrap());
        let mut c = CsvRecords::new(csv.as_bytes(), "f.csv", map.clone(), None).unwrap();
        let mut out = Vec::new();
        while let Some(Item::Record(r)) = c.next_item().unwrap() {
            out.push((r.record.type_name(), r.record.slug().to_string()));
        }
        assert_eq!(
            out,
            [("person", "p1".to_string()), ("body", "ru".to_string())]
        );
        assert_eq!(c.left_out(), 1);
        // No column for one record's id (nor its fallback): the file is refused.
        let e = CsvRecords::new("type,name\n".as_bytes(), "f.csv", map, None)
            .err()
            .expect("refused")
            .to_string();
        assert!(e.contains("no column `person-id` or `id`"), "{e}");
    }
}
