//! Record files through a [`Mapping`]: XML with one element per record, and CSV with a
//! header row. Both stream: one record is held at a time.

use crate::import::*;
use crate::mapping::{Mapping, Values};
use crate::xml::{Limits, Pos, SafeXml, XmlEvent};
use std::io::BufRead;
use std::sync::Arc;

/// The most text one record may hold (all its values together), bounding memory.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// Streams records out of an XML file: every element named by the mapping's
/// `[record] element`, wherever it is, is one record.
pub struct XmlRecords<R: BufRead> {
    xml: SafeXml<R>,
    mapping: Arc<Mapping>,
    element: String,
    file: String,
    dossier: Option<String>,
    current: Option<Collect>,
    seen_root: bool,
}

struct Collect {
    pos: Pos,
    values: Values,
    /// Open child elements: (path, index of their entry).
    open: Vec<(String, usize)>,
    bytes: usize,
}

impl<R: BufRead> XmlRecords<R> {
    pub fn new(
        input: R,
        file: &str,
        mapping: Arc<Mapping>,
        dossier: Option<String>,
    ) -> Result<Self, ImportError> {
        let Some(element) = mapping.element.clone() else {
            return Err(ImportError::Mapping(crate::mapping::MappingError {
                file: mapping.file().to_string(),
                message: "[record] has no `element`: name the XML element that holds one record"
                    .into(),
            }));
        };
        Ok(XmlRecords {
            xml: SafeXml::new(input, file, Limits::default()),
            mapping,
            element,
            file: file.to_string(),
            dossier,
            current: None,
            seen_root: false,
        })
    }
}

impl<R: BufRead> RecordSource for XmlRecords<R> {
    fn next_item(&mut self) -> Result<Option<Item>, ImportError> {
        loop {
            match self.xml.next_event()? {
                XmlEvent::Start(e) => {
                    self.seen_root = true;
                    match &mut self.current {
                        None if e.name == self.element => {
                            let mut values = Values::default();
                            for (k, v) in &e.attrs {
                                values.entries.push((format!("@{k}"), v.clone(), e.pos));
                            }
                            self.current = Some(Collect {
                                pos: e.pos,
                                values,
                                open: Vec::new(),
                                bytes: 0,
                            });
                        }
                        None => {}
                        Some(c) => {
                            let path = match c.open.last() {
                                Some((p, _)) => format!("{p}/{}", e.name),
                                None => e.name.clone(),
                            };
                            for (k, v) in &e.attrs {
                                c.bytes += v.len();
                                c.values
                                    .entries
                                    .push((format!("{path}/@{k}"), v.clone(), e.pos));
                            }
                            c.values.entries.push((path.clone(), String::new(), e.pos));
                            c.open.push((path, c.values.entries.len() - 1));
                            if c.values.entries.len() > 100_000 {
                                return Err(self.too_big(e.pos));
                            }
                        }
                    }
                }
                XmlEvent::Text(t) => {
                    if let Some(c) = &mut self.current {
                        // An element's value is all the text inside it.
                        c.bytes += t.len() * c.open.len();
                        for (_, i) in &c.open {
                            c.values.entries[*i].1.push_str(&t);
                        }
                        if c.bytes > MAX_RECORD_BYTES {
                            let pos = c.pos;
                            return Err(self.too_big(pos));
                        }
                    }
                }
                XmlEvent::End { .. } => {
                    if let Some(c) = &mut self.current {
                        if c.open.pop().is_none() {
                            let c = self.current.take().expect("a record is open");
                            let item = self.mapping.build(
                                &c.values,
                                &self.file,
                                c.pos,
                                self.dossier.as_deref(),
                            );
                            return Ok(Some(item));
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
        }
    }

    fn bytes_read(&self) -> u64 {
        self.xml.bytes_read()
    }

    fn check(&mut self) -> Result<(), ImportError> {
        loop {
            match self.xml.next_event()? {
                XmlEvent::Start(_) => self.seen_root = true,
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
    fn too_big(&self, pos: Pos) -> ImportError {
        ImportError::Format {
            file: self.file.clone(),
            pos,
            message: format!(
                "a <{}> record holds more than {} MiB of text; refused (a limit that bounds memory)",
                self.element,
                MAX_RECORD_BYTES / (1024 * 1024)
            ),
        }
    }
}

/// Streams records out of a CSV file whose first row names the columns. Values are the
/// mapping's paths by column name.
pub struct CsvRecords<R: std::io::Read> {
    reader: csv::Reader<R>,
    headers: Vec<String>,
    mapping: Arc<Mapping>,
    file: String,
    dossier: Option<String>,
    row: csv::ByteRecord,
}

impl<R: std::io::Read> CsvRecords<R> {
    pub fn new(
        input: R,
        file: &str,
        mapping: Arc<Mapping>,
        dossier: Option<String>,
    ) -> Result<Self, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(input);
        let raw = reader
            .byte_headers()
            .map_err(|e| csv_error(file, &e))?
            .clone();
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
        Ok(CsvRecords {
            reader,
            headers,
            mapping,
            file: file.to_string(),
            dossier,
            row: csv::ByteRecord::new(),
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

impl<R: std::io::Read> RecordSource for CsvRecords<R> {
    fn next_item(&mut self) -> Result<Option<Item>, ImportError> {
        let more = self
            .reader
            .read_byte_record(&mut self.row)
            .map_err(|e| csv_error(&self.file, &e))?;
        if !more {
            return Ok(None);
        }
        let line = self.row.position().map_or(0, |p| p.line());
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
        Ok(Some(self.mapping.build(
            &values,
            &self.file,
            Pos { line, column: 1 },
            self.dossier.as_deref(),
        )))
    }

    fn bytes_read(&self) -> u64 {
        self.reader.position().byte()
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
}
