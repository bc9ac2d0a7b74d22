//! Hand-written records: a Markdown file with TOML front matter (the `+++` convention of
//! static site generators such as Hugo and Zola).
//!
//! ```text
//! +++
//! type = "document"            # document (default), event, person, body or topic
//! title = "Founding Act on Mutual Relations, Co-operation and Security"
//! kind = "founding-act"
//! date = "1997-05-27"
//! +++
//! The text of the document, in Markdown.
//! ```
//!
//! The front matter's fields are those of the curated data file (and of the JSON API);
//! unknown fields are refused with their name. The Markdown after it is a document's
//! full text, or another record's summary. The slug defaults to the file's name without
//! its extension.

use crate::import::*;
use crate::xml::Pos;
use dossier_model::*;

/// The largest Markdown file read (a hand-written record is small).
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// Yields the one record of a Markdown file.
pub struct MarkdownSource {
    bytes: Vec<u8>,
    file: String,
    dossier: Option<String>,
    done: bool,
}

impl MarkdownSource {
    pub fn new(bytes: Vec<u8>, file: &str, dossier: Option<String>) -> Self {
        MarkdownSource {
            bytes,
            file: file.to_string(),
            dossier,
            done: false,
        }
    }

    fn format(&self, pos: Pos, message: String) -> ImportError {
        ImportError::Format {
            file: self.file.clone(),
            pos,
            message,
        }
    }

    fn read(&self) -> Result<Item, ImportError> {
        if self.bytes.len() > MAX_BYTES {
            return Err(self.format(
                Pos { line: 1, column: 1 },
                format!(
                    "larger than {} MiB; expected a hand-written record",
                    MAX_BYTES >> 20
                ),
            ));
        }
        let text = std::str::from_utf8(&self.bytes).map_err(|e| {
            let good = &self.bytes[..e.valid_up_to()];
            let line = good.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            self.format(
                Pos { line, column: 1 },
                format!(
                    "invalid UTF-8 (byte 0x{:02x}); expected UTF-8 Markdown",
                    self.bytes[e.valid_up_to()]
                ),
            )
        })?;
        if let Some(i) = text.find('\0') {
            let line = text[..i].matches('\n').count() as u64 + 1;
            return Err(self.format(
                Pos { line, column: 1 },
                "NUL byte (binary data); expected Markdown text".into(),
            ));
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let stem = base_name(&self.file);
        let stem = stem
            .rsplit_once('.')
            .map_or(stem.as_str(), |(s, _)| s)
            .to_string();
        let bad = |line: u64, field: &str, problem: String| {
            Item::Bad(RecordError {
                file: self.file.clone(),
                pos: Pos { line, column: 1 },
                record: stem.clone(),
                field: field.to_string(),
                problem,
            })
        };
        let mut lines = text.split_inclusive('\n');
        if lines.next().map(str::trim_end) != Some("+++") {
            return Ok(bad(
                1,
                "front matter",
                "the file must begin with a `+++` line, then TOML front matter, then `+++`".into(),
            ));
        }
        let mut front = String::new();
        let mut closed = false;
        for l in lines.by_ref() {
            if l.trim_end() == "+++" {
                closed = true;
                break;
            }
            front.push_str(l);
        }
        if !closed {
            return Ok(bad(1, "front matter", "no closing `+++` line".into()));
        }
        let body: String = lines.collect();
        let body = body.trim().to_string();
        let mut table: toml::Table = match toml::from_str(&front) {
            Ok(t) => t,
            Err(e) => {
                let line = e
                    .span()
                    .map_or(0, |s| front[..s.start].matches('\n').count() as u64)
                    + 2;
                return Ok(bad(line, "front matter", e.message().to_string()));
            }
        };
        let kind = match table.remove("type") {
            None => "document".to_string(),
            Some(toml::Value::String(s)) => s,
            Some(_) => return Ok(bad(2, "type", "expected a string".into())),
        };
        let slug = match table.get("slug") {
            Some(toml::Value::String(s)) => s.clone(),
            _ => slug_for(&stem),
        };
        table.insert("slug".into(), toml::Value::String(slug.clone()));
        let text_field = if kind == "document" {
            "full_text"
        } else {
            "summary"
        };
        if !body.is_empty() {
            if table.contains_key(text_field) {
                return Ok(bad(
                    2,
                    text_field,
                    "given both in the front matter and as the Markdown after it; keep one".into(),
                ));
            }
            table.insert(text_field.into(), toml::Value::String(body));
        }
        if let Some(d) = &self.dossier {
            let list = table
                .entry("dossiers")
                .or_insert_with(|| toml::Value::Array(vec![]));
            if let toml::Value::Array(a) = list {
                if !a.iter().any(|v| v.as_str() == Some(d)) {
                    a.push(toml::Value::String(d.clone()));
                }
            }
        }
        let value = toml::Value::Table(table);
        let record = match kind.as_str() {
            "document" => value.try_into().map(Record::Document),
            "event" => value.try_into().map(Record::Event),
            "person" => value.try_into().map(Record::Person),
            "body" => value.try_into().map(Record::Body),
            "topic" => value.try_into().map(Record::Topic),
            other => {
                return Ok(bad(
                    2,
                    "type",
                    format!("{other:?}: expected document, event, person, body or topic"),
                ))
            }
        };
        match record {
            Ok(record) => {
                if !is_valid_slug(record.slug()) {
                    return Ok(bad(
                        2,
                        "slug",
                        format!("{:?} is not a valid slug", record.slug()),
                    ));
                }
                Ok(Item::Record(Box::new(Imported {
                    record,
                    linked: vec![],
                    file: self.file.clone(),
                    pos: Pos { line: 1, column: 1 },
                })))
            }
            Err(e) => Ok(bad(2, "front matter", e.message().to_string())),
        }
    }
}

impl RecordSource for MarkdownSource {
    fn next_item(&mut self) -> Result<Option<Item>, ImportError> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        self.read().map(Some)
    }

    fn bytes_read(&self) -> u64 {
        if self.done {
            self.bytes.len() as u64
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str, file: &str) -> Item {
        MarkdownSource::new(text.as_bytes().to_vec(), file, Some("nato-russia".into()))
            .next_item()
            .unwrap()
            .unwrap()
    }

    #[test]
    fn a_document_with_front_matter() {
        let item = one(
            "+++\ntitle = \"A <b>note</b>\"\nkind = \"statement\"\ndate = \"1997-05-27\"\n+++\n\nSome *text*.\n",
            "notes/my-note.md",
        );
        let Item::Record(r) = item else {
            panic!("{item:?}")
        };
        let Record::Document(d) = r.record else {
            panic!()
        };
        assert_eq!(d.slug, "my-note");
        assert_eq!(d.title, "A <b>note</b>");
        assert_eq!(d.date.unwrap().to_string(), "1997-05-27");
        assert_eq!(d.full_text.as_deref(), Some("Some *text*."));
        assert_eq!(d.dossiers, ["nato-russia"]);
    }

    #[test]
    fn mistakes_name_the_line_and_field() {
        let Item::Bad(e) = one("+++\ntitle = \"x\"\nkind = \"poem\"\n+++\n", "p.md") else {
            panic!()
        };
        assert!(
            e.to_string()
                .starts_with("p.md:2:1: record p, field `front matter`"),
            "{e}"
        );
        assert!(e.problem.contains("poem"), "{e}");
        let Item::Bad(e) = one("+++\ntitle = \"x\"\nkind = = 3\n+++\n", "q.md") else {
            panic!()
        };
        assert_eq!(e.pos.line, 3, "{e}");
        let Item::Bad(e) = one("no front matter\n", "r.md") else {
            panic!()
        };
        assert!(e.problem.contains("+++"), "{e}");
        let e = MarkdownSource::new(b"+++\n\0\n+++\n".to_vec(), "b.md", None)
            .next_item()
            .unwrap_err();
        assert!(e.to_string().contains("NUL byte"), "{e}");
    }
}
