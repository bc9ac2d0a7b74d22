//! Hand-written records: a Markdown file with front matter in TOML (fenced by `+++`, the
//! convention of Hugo and Zola) or YAML (fenced by `---`, that of Jekyll, Hugo and most
//! other static site generators). Both give the same fields.
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
//! ```text
//! ---
//! title: Founding Act on Mutual Relations, Co-operation and Security
//! kind: founding-act
//! date: 1997-05-27
//! ---
//! ```
//!
//! YAML's anchors and aliases can expand a small file into a huge one ("billion
//! laughs"); the YAML parser (serde_norway) stops an expansion past a fixed repetition
//! limit, and nesting past a recursion limit, so such front matter is refused in bounded
//! time and memory. A YAML `null` (`key:` with no value) is taken as absent.
//!
//! The front matter's fields are those of the curated data file (and of the JSON API);
//! unknown fields are refused with their name. The Markdown after it is a document's
//! text (read into headings and paragraphs, in the document's first language, else
//! `und`), or another record's summary. The slug defaults to the file's name without its
//! extension.

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
        let text = self.text()?;
        let stem = base_name(&self.file);
        let stem = stem
            .rsplit_once('.')
            .map_or(stem.as_str(), |(s, _)| s)
            .to_string();
        Ok(match self.record(text, &stem) {
            Ok(record) => Item::Record(Box::new(Imported {
                record,
                linked: vec![],
                file: self.file.clone(),
                pos: Pos { line: 1, column: 1 },
                matches: vec![],
            })),
            Err(f) => Item::Bad(RecordError {
                file: self.file.clone(),
                pos: Pos {
                    line: f.line,
                    column: 1,
                },
                record: stem,
                field: f.field,
                problem: f.problem,
            }),
        })
    }

    /// The file as text: refused (the whole file, not one record) when it is too large,
    /// not UTF-8 or binary. A byte order mark is dropped.
    fn text(&self) -> Result<&str, ImportError> {
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
        Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
    }

    /// The record the front matter and the Markdown after it make; `stem` (the file's
    /// name without its extension) gives the slug the front matter does not.
    fn record(&self, text: &str, stem: &str) -> Result<Record, Fault> {
        let (fence, front, body) = split_front_matter(text)?;
        let parsed = if fence == "+++" {
            toml_table(&front)
        } else {
            yaml_table(&front)
        };
        let mut table =
            parsed.map_err(|(line, problem)| Fault::new(line, "front matter", problem))?;
        let kind = match table.remove("type") {
            None => "document".to_string(),
            Some(toml::Value::String(s)) => s,
            Some(_) => return Err(Fault::new(2, "type", "expected a string".into())),
        };
        let slug = match table.get("slug") {
            Some(toml::Value::String(s)) => s.clone(),
            _ => slug_for(stem),
        };
        table.insert("slug".into(), toml::Value::String(slug));
        let text_fields: &[&str] = if kind == "document" {
            &["texts", "full_text"]
        } else {
            &["summary"]
        };
        if !body.is_empty() {
            if let Some(f) = text_fields.iter().find(|f| table.contains_key(**f)) {
                return Err(Fault::new(
                    2,
                    f,
                    "given both in the front matter and as the Markdown after it; keep one".into(),
                ));
            }
            // A document's Markdown is its text, read into headings and paragraphs
            // below; another record's is its summary, as written.
            if kind != "document" {
                table.insert("summary".into(), toml::Value::String(body.clone()));
            }
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
        let mut record = record_of(&kind, toml::Value::Table(table))?;
        if let Record::Document(d) = &mut record {
            if !body.is_empty() {
                // The text's language: the document's first, else not known.
                let lang = d
                    .languages
                    .first()
                    .cloned()
                    .unwrap_or_else(|| UNDETERMINED_LANGUAGE.to_string());
                let blocks = crate::text::from_markdown(&body);
                if !blocks.is_empty() {
                    d.texts = vec![Text {
                        lang,
                        blocks,
                        source: Some(base_name(&self.file)),
                    }];
                }
            }
        }
        check_record(&record, &front)?;
        Ok(record)
    }
}

/// What is wrong with the record: the line, the field and the problem.
struct Fault {
    line: u64,
    field: String,
    problem: String,
}

impl Fault {
    fn new(line: u64, field: &str, problem: String) -> Self {
        Fault {
            line,
            field: field.to_string(),
            problem,
        }
    }
}

/// The front matter's fence (`+++` or `---`), its text, and the Markdown after it
/// (trimmed).
fn split_front_matter(text: &str) -> Result<(&str, String, String), Fault> {
    let mut lines = text.split_inclusive('\n');
    let fence = match lines.next().map(str::trim_end) {
        Some(f @ ("+++" | "---")) => f,
        _ => {
            return Err(Fault::new(
                1,
                "front matter",
                "the file must begin with front matter: a `+++` line, TOML, and `+++`; or a `---` line, YAML, and `---`".into(),
            ))
        }
    };
    let mut front = String::new();
    let mut closed = false;
    for l in lines.by_ref() {
        let l_end = l.trim_end();
        if l_end == fence || (fence == "---" && l_end == "...") {
            closed = true;
            break;
        }
        front.push_str(l);
    }
    if !closed {
        return Err(Fault::new(
            1,
            "front matter",
            format!("no closing `{fence}` line"),
        ));
    }
    let body: String = lines.collect();
    Ok((fence, front, body.trim().to_string()))
}

/// The record of type `kind` the front matter's table gives.
fn record_of(kind: &str, value: toml::Value) -> Result<Record, Fault> {
    let record = match kind {
        "document" => value.try_into().map(Record::Document),
        "event" => value.try_into().map(Record::Event),
        "person" => value.try_into().map(Record::Person),
        "body" => value.try_into().map(Record::Body),
        "topic" => value.try_into().map(Record::Topic),
        other => {
            return Err(Fault::new(
                2,
                "type",
                format!("{other:?}: expected document, event, person, body or topic"),
            ))
        }
    };
    record.map_err(|e| Fault::new(2, "front matter", e.message().to_string()))
}

/// A valid slug, and source addresses that are safe to link to: they are written into
/// links on every page that shows the record, so only absolute http(s) addresses pass (no
/// `javascript:`); an address at fault is placed on its line of the front matter.
fn check_record(record: &Record, front: &str) -> Result<(), Fault> {
    if !is_valid_slug(record.slug()) {
        return Err(Fault::new(
            2,
            "slug",
            format!("{:?} is not a valid slug", record.slug()),
        ));
    }
    for (field, url) in dossier_model::url::source_urls(provenance(record)) {
        if let Err(e) = dossier_model::url::check_url(url) {
            return Err(Fault {
                line: line_of(front, url),
                field,
                problem: e.to_string(),
            });
        }
    }
    Ok(())
}

fn provenance(r: &Record) -> &Provenance {
    match r {
        Record::Document(r) => &r.provenance,
        Record::Event(r) => &r.provenance,
        Record::Person(r) => &r.provenance,
        Record::Body(r) => &r.provenance,
        Record::Topic(r) => &r.provenance,
    }
}

/// The line of the file (the front matter starts on line 2) that holds `value` as
/// written, else the first that names a `url`, else line 2: an escaped value (`\t` in a
/// quoted string) is not found as written.
fn line_of(front: &str, value: &str) -> u64 {
    let lines = || front.lines().enumerate();
    let found = lines()
        .find(|(_, l)| !value.is_empty() && l.contains(value))
        .or_else(|| lines().find(|(_, l)| l.contains("url")));
    found.map_or(2, |(i, _)| i as u64 + 2)
}

/// TOML front matter as a table, or (line in the file, problem).
fn toml_table(front: &str) -> Result<toml::Table, (u64, String)> {
    toml::from_str(front).map_err(|e| {
        let line = e
            .span()
            .map_or(0, |s| front[..s.start].matches('\n').count() as u64)
            + 2;
        (line, e.message().to_string())
    })
}

/// YAML front matter as the same table TOML gives, or (line in the file, problem).
fn yaml_table(front: &str) -> Result<toml::Table, (u64, String)> {
    let at = |e: &serde_norway::Error| e.location().map_or(2, |l| l.line() as u64 + 1);
    // The parser's own nesting limit comes after work quadratic in the nesting (64 KB of
    // `[` took seconds): a linear scan refuses deep nesting first.
    crate::yaml_scan::check_nesting(front).map_err(|e| (e.line as u64 + 1, e.message))?;
    let value: serde_json::Value = match serde_norway::from_str(front) {
        Ok(v) => v,
        Err(e) => {
            let mut problem = e.to_string();
            if problem.contains("repetition limit") || problem.contains("recursion limit") {
                problem.push_str(
                    " (anchors and aliases that expand without bound, or nesting too deep, are refused)",
                );
            }
            return Err((at(&e), problem));
        }
    };
    let serde_json::Value::Object(map) = drop_nulls(value) else {
        return Err((2, "expected YAML keys and values (`title: …`)".into()));
    };
    toml::Table::try_from(map).map_err(|e| (2, e.to_string()))
}

/// YAML's `null` (a key with no value) means absent; TOML has no null.
fn drop_nulls(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(m) => J::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, drop_nulls(v)))
                .collect(),
        ),
        J::Array(a) => J::Array(
            a.into_iter()
                .filter(|v| !v.is_null())
                .map(drop_nulls)
                .collect(),
        ),
        other => other,
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
        // The Markdown is read into the text's paragraphs: words, not markup.
        assert_eq!(d.texts.len(), 1);
        assert_eq!(d.texts[0].plain_text(), "Some text.");
        assert_eq!(d.texts[0].lang, "und");
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

    fn record(item: Item) -> Record {
        match item {
            Item::Record(r) => r.record,
            Item::Bad(e) => panic!("{e}"),
        }
    }

    #[test]
    fn yaml_front_matter_gives_the_same_record_as_toml() {
        let toml = one(
            "+++\ntitle = \"A note: on NATO\"\nkind = \"statement\"\ndate = \"1997-05-27\"\ntopics = [\"russia\"]\n+++\n\nSome *text*.\n",
            "notes/my-note.md",
        );
        let yaml = one(
            "---\n# a comment\ntitle: \"A note: on NATO\"\nkind: statement\ndate: 1997-05-27\ntopics:\n  - russia\nsummary:\n---\n\nSome *text*.\n",
            "notes/my-note.md",
        );
        let (t, y) = (record(toml), record(yaml));
        assert_eq!(t, y);
        let Record::Document(d) = y else { panic!() };
        assert_eq!(d.title, "A note: on NATO");
        assert_eq!(d.date.unwrap().to_string(), "1997-05-27");
        assert_eq!(d.topics, ["russia"]);
        assert_eq!(d.summary, None);
        // A YAML person, closed with `...` as YAML allows.
        let p = one(
            "---\ntype: person\nname: Boris Yeltsin\n...\nPresident of Russia.\n",
            "people/boris-yeltsin.md",
        );
        let Record::Person(p) = record(p) else {
            panic!()
        };
        assert_eq!(
            (p.slug.as_str(), p.summary.as_deref()),
            ("boris-yeltsin", Some("President of Russia."))
        );
    }

    #[test]
    fn yaml_mistakes_name_the_line_and_field() {
        let Item::Bad(e) = one("---\ntitle: x\nkind: [unclosed\n---\n", "y.md") else {
            panic!()
        };
        assert_eq!(e.field, "front matter", "{e}");
        assert!(e.pos.line >= 3, "{e}");
        let Item::Bad(e) = one("---\ntitle: x\nkind: poem\n---\n", "y.md") else {
            panic!()
        };
        assert!(e.problem.contains("poem"), "{e}");
        let Item::Bad(e) = one("---\n- a list\n---\n", "y.md") else {
            panic!()
        };
        assert!(e.problem.contains("expected YAML keys"), "{e}");
        let Item::Bad(e) = one("---\ntitle: x\n", "y.md") else {
            panic!()
        };
        assert!(e.problem.contains("no closing `---`"), "{e}");
    }

    #[test]
    fn yaml_alias_bombs_are_refused_in_bounded_time() {
        // "Billion laughs": nine levels of nine aliases each would expand to 9^9 strings.
        let mut y = String::from("---\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            let refs = vec![format!("*{prev}"); 9].join(",");
            y.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        y.push_str("title: x\nkind: statement\n---\n");
        let Item::Bad(e) = one(&y, "bomb.md") else {
            panic!("an alias bomb was accepted")
        };
        assert!(e.problem.contains("repetition limit"), "{e}");
        assert!(e.problem.contains("anchors and aliases"), "{e}");
        // Nesting without end is refused too.
        let deep = format!(
            "---\ntitle: {}x{}\n---\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        let Item::Bad(e) = one(&deep, "deep.md") else {
            panic!("deep nesting was accepted")
        };
        assert!(e.problem.contains("nests deeper than 64 levels"), "{e}");
    }

    /// Issue 20, finding 5: 64 KB of `[` in YAML front matter took 5.5 s before the
    /// parser's nesting limit refused it; a linear scan refuses it first, with the line.
    /// TOML front matter's parser refuses deep nesting in linear time already.
    #[test]
    fn deep_front_matter_nesting_is_refused_with_its_line() {
        let brackets = "[".repeat(64 * 1024);
        for (text, line) in [
            (format!("---\n{brackets}\n---\n"), 2),
            (
                format!("---\ntitle: x\nkind: statement\ntags: {brackets}\n---\n"),
                4,
            ),
            (
                format!("---\ntitle: x\na: {}\n---\n", "{a: ".repeat(16 * 1024)),
                3,
            ),
        ] {
            let Item::Bad(e) = one(&text, "deep.md") else {
                panic!("deep nesting was accepted")
            };
            assert_eq!(e.pos.line, line, "{e}");
            assert_eq!(e.field, "front matter");
            assert!(e.problem.contains("nests deeper than 64 levels"), "{e}");
        }
        let indented: String = (0..1000)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        let Item::Bad(e) = one(&format!("---\n{indented}---\n"), "deep.md") else {
            panic!("deep block nesting was accepted")
        };
        assert_eq!(e.pos.line, 2 + 65, "{e}");
        assert!(e.problem.contains("past column 64"), "{e}");
        for toml in [
            format!("+++\ntitle = \"x\"\ntags = {brackets}\n+++\n"),
            format!("+++\ntitle = \"x\"\na = {}\n+++\n", "{a=".repeat(16 * 1024)),
            format!("+++\n{} = 1\n+++\n", vec!["a"; 16 * 1024].join(".")),
        ] {
            let Item::Bad(e) = one(&toml, "deep.md") else {
                panic!("deep TOML nesting was accepted")
            };
            assert_eq!(e.field, "front matter", "{e}");
        }
    }

    /// Issue 20, finding 3: a `javascript:` (or other non-web) source address in front
    /// matter became a live link on the record's page. Every spelling is refused with the
    /// file, line and field; web addresses still pass.
    #[test]
    fn hostile_source_urls_are_refused_with_line_and_field() {
        for url in dossier_model::url::HOSTILE_URLS {
            let toml = format!(
                "+++\ntitle = \"x\"\nkind = \"statement\"\n[[sources]]\ntitle = \"s\"\nurl = {}\n+++\n",
                toml::Value::String(url.to_string())
            );
            let yaml = format!(
                "---\ntitle: x\nkind: statement\nsources:\n  - title: s\n    url: {}\n---\n",
                serde_json::Value::String(url.to_string())
            );
            for (text, file) in [(toml, "t.md"), (yaml, "y.md")] {
                let Item::Bad(e) = one(&text, file) else {
                    panic!("{url:?} was accepted from {file}")
                };
                assert_eq!(e.field, "sources[0].url", "{e}");
                assert_eq!(e.pos.line, 6, "{url:?}: {e}");
                assert!(
                    e.to_string().starts_with(&format!("{file}:6:1: record ")),
                    "{e}"
                );
            }
        }
        let ok = one(
            "+++\ntitle = \"x\"\nkind = \"statement\"\n[[sources]]\ntitle = \"s\"\nurl = \"https://www.nato.int/x\"\n+++\n",
            "ok.md",
        );
        record(ok);
    }
}
