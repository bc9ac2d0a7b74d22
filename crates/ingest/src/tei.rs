//! The TEI P5 importer: every `div` with a `head` becomes a document.
//!
//! What it takes from each `div` (TEI P5 Guidelines, ch. 4 "Default Text Structure"):
//! - the title: the `head`'s words, white space normalised;
//! - the period it covers (`coverage`, issue 27): a heading names what the text is about,
//!   so the `<date>` elements in the `head` (`@when`, `@from`/`@to`,
//!   `@notBefore`/`@notAfter`), as an EDTF date, or as the interval that covers them all
//!   when there are several. Where the head has no `<date>`, the years its words give
//!   ("The Evolution of NATO, 1988–2001" → `1988/2001`); where it has none either, the
//!   period in the file's short title (a chapter "1989–1992"). Each fallback, and a head
//!   whose words disagree with its `<date>`, is noted in the record's gaps;
//! - the date it was issued (`date`): only the TEI's own markup for it, a `<docDate>` or a
//!   `<date>` in a `<dateline>` of the div. Nothing else is taken for it (an essay's
//!   heading years are not its publication date): without one the date is a gap, which
//!   names the last change the file's `<revisionDesc>` records for the div, if any;
//! - topics: the keys of `@ana`, each a [`Topic`] record (kind `subject`) linked from the
//!   document;
//! - the text: paragraphs (`p`), list items and figure captions (`figure/head`), in
//!   reading order, one paragraph per block, in the language of the nearest `xml:lang`
//!   (else the import's `lang`, else `und`);
//! - the slug: the `div`'s `xml:id`, qualified by the file's name. An `xml:id` is unique
//!   only within its file (the Milestones chapters each have a `foreword`), so the stable,
//!   unique key is the pair, as in the publisher's own addresses (`milestones/1993-2000/…`):
//!   `1993-2000-evolution-of-nato`.
//!
//! A nested `div` with a `head` is a document of its own; its text is not repeated in the
//! enclosing one.

use crate::import::*;
use crate::xml::{normalize_space, Element, Limits, Pos, SafeXml, XmlEvent};
use dossier_model::*;
use regex::Regex;
use std::io::BufRead;
use std::sync::LazyLock;

/// What the caller decides for every document of the import.
#[derive(Debug, Clone)]
pub struct TeiOptions {
    pub kind: DocumentKind,
    /// The dossier the documents join (must exist in the store).
    pub dossier: Option<String>,
    /// The language (BCP 47) of texts the file does not mark with `xml:lang`.
    pub lang: Option<String>,
}

/// Streams documents out of one TEI file.
pub struct TeiSource<R: BufRead> {
    xml: SafeXml<R>,
    file: String,
    base: String,
    stem: String,
    options: TeiOptions,
    /// Open elements (local names).
    stack: Vec<String>,
    divs: Vec<Div>,
    header_title: Option<String>,
    short_title: Option<String>,
    /// Text collected for a header title.
    header_text: Option<(String, String)>,
    /// The `xml:lang` in force: (the depth of the element that set it, the tag).
    langs: Vec<(usize, String)>,
    /// The last change `<revisionDesc>` records for each div id (`@target`).
    changes: std::collections::HashMap<String, String>,
    ready: std::collections::VecDeque<Item>,
    seen_root: bool,
    done: bool,
}

#[derive(Default)]
struct Div {
    /// The text and attributes read inside it so far (see [`MAX_DOCUMENT_BYTES`]).
    bytes: usize,
    id: Option<String>,
    ana: Vec<String>,
    pos: Pos,
    head: Option<String>,
    dates: Vec<(Vec<(String, String)>, Pos)>,
    /// `<docDate>` and `<dateline>` dates: when it was issued.
    issued: Vec<(Vec<(String, String)>, Pos)>,
    blocks: Vec<String>,
    /// Text sinks open inside this div: (element depth, kind, text).
    sinks: Vec<Sink>,
    lang: Option<String>,
}

struct Sink {
    depth: usize,
    kind: SinkKind,
    text: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SinkKind {
    Head,
    Paragraph,
    Item,
    Caption,
}

impl<R: BufRead> TeiSource<R> {
    /// Reads TEI from `input`; `file` names it in errors and provenance.
    pub fn new(input: R, file: &str, options: TeiOptions) -> Self {
        let base = base_name(file);
        let stem = base
            .rsplit_once('.')
            .map(|(s, _)| s.to_string())
            .unwrap_or_else(|| base.clone());
        TeiSource {
            xml: SafeXml::new(input, file, Limits::default()),
            file: file.to_string(),
            base,
            stem,
            options,
            stack: Vec::new(),
            divs: Vec::new(),
            header_title: None,
            short_title: None,
            header_text: None,
            langs: Vec::new(),
            changes: Default::default(),
            ready: Default::default(),
            seen_root: false,
            done: false,
        }
    }

    fn start(&mut self, e: Element) -> Result<(), ImportError> {
        if !self.seen_root {
            self.seen_root = true;
            if e.name != "TEI" && e.name != "teiCorpus" {
                return Err(ImportError::Format {
                    file: self.file.clone(),
                    pos: e.pos,
                    message: format!(
                        "the root element is <{}>; expected a TEI P5 document (<TEI xmlns=\"http://www.tei-c.org/ns/1.0\">)",
                        e.name
                    ),
                });
            }
        }
        let parent = self.stack.last().cloned().unwrap_or_default();
        let in_header = self.stack.iter().any(|n| n == "teiHeader");
        self.stack.push(e.name.clone());
        let depth = self.stack.len();
        if let Some(lang) = e.attr("xml:lang").filter(|l| !l.trim().is_empty()) {
            self.langs.push((depth, lang.trim().to_string()));
        }
        if in_header {
            if e.name == "title" && self.stack.iter().any(|n| n == "titleStmt") {
                let kind = e.attr("type").unwrap_or("").to_string();
                self.header_text = Some((kind, String::new()));
            }
            if e.name == "change" {
                if let Some(when) = e.attr("when") {
                    for t in e.attr("target").unwrap_or("").split_whitespace() {
                        let id = t.trim_start_matches('#').to_string();
                        // The latest change, whatever the order they are listed in.
                        let entry = self.changes.entry(id).or_default();
                        if when > entry.as_str() {
                            *entry = when.to_string();
                        }
                    }
                }
            }
            return Ok(());
        }
        if e.name == "div" {
            let lang = self.langs.last().map(|(_, l)| l.clone());
            self.divs.push(Div {
                id: e.attr("xml:id").map(str::to_string),
                ana: e
                    .attr("ana")
                    .unwrap_or("")
                    .split_whitespace()
                    .map(|k| k.trim_start_matches('#').to_string())
                    .filter(|k| !k.is_empty())
                    .collect(),
                pos: e.pos,
                lang,
                ..Div::default()
            });
            return Ok(());
        }
        let Some(div) = self.divs.last_mut() else {
            return Ok(());
        };
        div.bytes += element_bytes(&e);
        if div.bytes > MAX_DOCUMENT_BYTES {
            let pos = div.pos;
            return Err(self.too_big("a <div> (one document)", pos));
        }
        let Some(div) = self.divs.last_mut() else {
            return Ok(());
        };
        let in_figure = self.stack.iter().rev().skip(1).any(|n| n == "figure");
        let kind = match e.name.as_str() {
            "head" if parent == "div" => Some(SinkKind::Head),
            "head" if in_figure => Some(SinkKind::Caption),
            "p" if div.sinks.is_empty() => Some(SinkKind::Paragraph),
            "item" if div.sinks.is_empty() => Some(SinkKind::Item),
            _ => None,
        };
        if let Some(kind) = kind {
            div.sinks.push(Sink {
                depth,
                kind,
                text: String::new(),
            });
        }
        if e.name == "date" && div.sinks.last().is_some_and(|s| s.kind == SinkKind::Head) {
            div.dates.push((e.attrs.clone(), e.pos));
        } else if e.name == "docDate" || (e.name == "date" && parent == "dateline") {
            div.issued.push((e.attrs.clone(), e.pos));
        }
        if e.name == "lb" {
            if let Some(s) = div.sinks.last_mut() {
                s.text.push(' ');
            }
        }
        Ok(())
    }

    fn text(&mut self, t: &str) -> Result<(), ImportError> {
        if let Some((_, text)) = &mut self.header_text {
            text.push_str(t);
            if text.len() > MAX_DOCUMENT_BYTES {
                let pos = self.xml_pos();
                return Err(self.too_big("a header <title>", pos));
            }
            return Ok(());
        }
        if let Some(d) = self.divs.last_mut() {
            d.bytes += t.len();
            if let Some(s) = d.sinks.last_mut() {
                s.text.push_str(t);
            }
            if d.bytes > MAX_DOCUMENT_BYTES {
                let pos = d.pos;
                return Err(self.too_big("a <div> (one document)", pos));
            }
        }
        Ok(())
    }

    /// Where the reader is, for an error about text that has no element of its own.
    fn xml_pos(&self) -> Pos {
        self.xml.position()
    }

    fn too_big(&self, what: &str, pos: Pos) -> ImportError {
        ImportError::Format {
            file: self.file.clone(),
            pos,
            message: format!(
                "{what} holds more than {} MiB of text and markup; refused (a limit that bounds memory)",
                MAX_DOCUMENT_BYTES >> 20
            ),
        }
    }

    fn end(&mut self, name: &str) {
        let depth = self.stack.len();
        self.stack.pop();
        if self.langs.last().is_some_and(|(d, _)| *d == depth) {
            self.langs.pop();
        }
        if name == "title" {
            if let Some((kind, text)) = self.header_text.take() {
                let text = normalize_space(&text);
                match kind.as_str() {
                    "short" => self.short_title = Some(text),
                    "complete" | "main" => self.header_title = Some(text),
                    _ if self.header_title.is_none() => self.header_title = Some(text),
                    _ => {}
                }
            }
            return;
        }
        if name == "div" {
            if let Some(div) = self.divs.pop() {
                if let Some(item) = self.finish(div) {
                    self.ready.push_back(item);
                }
            }
            return;
        }
        let Some(div) = self.divs.last_mut() else {
            return;
        };
        if div.sinks.last().is_some_and(|s| s.depth == depth) {
            let sink = div.sinks.pop().expect("checked above");
            let text = normalize_space(&sink.text);
            match sink.kind {
                SinkKind::Head => div.head = Some(text),
                _ if text.is_empty() => {}
                SinkKind::Paragraph => div.blocks.push(text),
                SinkKind::Item => div.blocks.push(format!("• {text}")),
                SinkKind::Caption => div.blocks.push(format!("Figure: {text}")),
            }
        }
    }

    fn bad(&self, pos: Pos, record: &str, field: &str, problem: String) -> Item {
        Item::Bad(RecordError {
            file: self.file.clone(),
            pos,
            record: record.to_string(),
            field: field.to_string(),
            problem,
        })
    }

    /// Turns a closed `div` into a document (or says why not). A `div` without a `head`
    /// is a container, not a document.
    fn finish(&self, div: Div) -> Option<Item> {
        let head = div.head.clone()?;
        let Some(id) = div.id.clone() else {
            return Some(self.bad(
                div.pos,
                "(no id)",
                "xml:id",
                format!("the div \"{head}\" has no xml:id, which gives its stable slug"),
            ));
        };
        if head.is_empty() {
            return Some(self.bad(div.pos, &id, "head", "the head is empty".into()));
        }
        let slug = slug_for(&format!("{}-{}", self.stem, id));
        let mut dated = Vec::new();
        for (attrs, pos) in &div.dates {
            match date_of(attrs) {
                Ok(Some(d)) => dated.push(d),
                Ok(None) => {}
                Err((field, problem)) => {
                    return Some(self.bad(*pos, &id, &format!("head/date/@{field}"), problem))
                }
            }
        }
        let mut issued = Vec::new();
        for (attrs, pos) in &div.issued {
            match date_of(attrs) {
                Ok(Some(d)) => issued.push(d),
                Ok(None) => {}
                Err((field, problem)) => {
                    return Some(self.bad(*pos, &id, &format!("docDate/@{field}"), problem))
                }
            }
        }
        let mut gaps = Vec::new();
        let coverage = self.coverage(&dated, &head, &mut gaps);
        let date = cover(&issued);
        if date.is_none() {
            gaps.push(match self.changes.get(&id) {
                Some(when) => format!(
                    "When it was issued or published is not recorded; the file's revision history lists a change to it on {when}, which is not its issue date."
                ),
                None => "When it was issued or published is not recorded.".into(),
            });
        }
        let (topics, linked) = topics(&div.ana);
        let source_title = match &self.header_title {
            Some(t) => format!("{t} — {}, div xml:id=\"{id}\" (TEI P5)", self.base),
            None => format!("{}, div xml:id=\"{id}\" (TEI P5)", self.base),
        };
        let lang = div
            .lang
            .clone()
            .or_else(|| self.options.lang.clone())
            .unwrap_or_else(|| UNDETERMINED_LANGUAGE.to_string());
        let texts = if div.blocks.is_empty() {
            Vec::new()
        } else {
            vec![Text {
                lang: lang.clone(),
                blocks: div
                    .blocks
                    .iter()
                    .map(|b| TextBlock {
                        heading: false,
                        text: b.clone(),
                    })
                    .collect(),
                source: Some(format!("{}, div xml:id=\"{id}\"", self.base)),
            }]
        };
        let doc = Document {
            collections: Vec::new(),
            coverage,
            texts,
            slug,
            title: head,
            aliases: vec![],
            kind: self.options.kind,
            date,
            place: None,
            issued_by: vec![],
            authors: vec![],
            parties: vec![],
            legal_status: LegalStatus::Unknown,
            availability: if div.blocks.is_empty() {
                Availability::Unknown
            } else {
                Availability::Public
            },
            languages: if lang == UNDETERMINED_LANGUAGE {
                Vec::new()
            } else {
                vec![lang]
            },
            summary: None,
            relations: vec![],
            dossiers: self.options.dossier.iter().cloned().collect(),
            topics,
            provenance: Provenance {
                claims: Vec::new(),
                trace: vec![],
                sources: vec![Source {
                    title: source_title,
                    url: None,
                    fields: vec![],
                }],
                gaps,
            },
        };
        Some(Item::Record(Box::new(Imported {
            record: Record::Document(doc),
            linked,
            file: self.file.clone(),
            pos: div.pos,
            matches: vec![],
        })))
    }

    /// The period a document covers: its head's `<date>` markup (`dated`, covered as
    /// one), else the years of the head's words, else the period of the file's short
    /// title; each fallback, and words that disagree with the markup, noted in `gaps`.
    fn coverage(&self, dated: &[Edtf], head: &str, gaps: &mut Vec<String>) -> Option<Edtf> {
        let words = years_in(head);
        if let Some(d) = cover(dated) {
            if let Some(w) = words {
                if w.earliest() / 10_000 != d.earliest() / 10_000
                    || w.latest() / 10_000 != d.latest() / 10_000
                {
                    gaps.push(format!(
                        "The heading's words give {} but its <date> markup gives {}; the markup's date is kept.",
                        w.human(),
                        d.human()
                    ));
                }
            }
            Some(d)
        } else if let Some(w) = words {
            gaps.push(
                "The period it covers is read from the heading's words; the heading has no <date> markup."
                    .into(),
            );
            Some(w)
        } else if let Some(period) = self.short_title.as_deref().and_then(years_in) {
            gaps.push(format!(
                "The heading gives no period; the period covered is that of the chapter ({}).",
                self.header_title
                    .clone()
                    .unwrap_or_else(|| self.short_title.clone().unwrap_or_default())
            ));
            Some(period)
        } else {
            gaps.push(
                "The period it covers is not recorded: the heading gives none and the file gives no period."
                    .into(),
            );
            None
        }
    }
}

/// The topics of a div's `@ana` keys: their slugs, once each, and the topic records
/// (kind `subject`, titled from the key) the document links to.
fn topics(ana: &[String]) -> (Vec<String>, Vec<Record>) {
    let mut topics = Vec::new();
    let mut linked = Vec::new();
    for key in ana {
        let t = slug_for(key);
        if t.is_empty() || topics.contains(&t) {
            continue;
        }
        let provenance = Provenance {
            claims: Vec::new(),
            trace: vec![],
            sources: vec![Source {
                title: format!("Subject key `{key}` in TEI @ana attributes"),
                url: None,
                fields: vec![],
            }],
            gaps: vec![
                "The title is made from the subject key; the collection gives no label for it."
                    .into(),
            ],
        };
        let title = title_from_key(key);
        linked.push(Record::Topic(crate::linked::topic(
            t.clone(),
            title,
            TopicKind::Subject,
            provenance,
        )));
        topics.push(t);
    }
    (topics, linked)
}

impl<R: BufRead> RecordSource for TeiSource<R> {
    fn next_item(&mut self) -> Result<Option<Item>, ImportError> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Ok(Some(item));
            }
            if self.done {
                return Ok(None);
            }
            match self.xml.next_event()? {
                XmlEvent::Start(e) => self.start(e)?,
                XmlEvent::End { name, .. } => self.end(&name),
                XmlEvent::Text(t) => self.text(&t)?,
                XmlEvent::Eof => {
                    if !self.seen_root {
                        return Err(ImportError::Format {
                            file: self.file.clone(),
                            pos: Pos { line: 1, column: 1 },
                            message: "the file has no elements; expected a TEI P5 document".into(),
                        });
                    }
                    self.done = true;
                }
            }
        }
    }

    fn bytes_read(&self) -> u64 {
        self.xml.bytes_read()
    }

    fn check(&mut self) -> Result<(), ImportError> {
        self.xml.set_skip_text(true);
        // What the second pass would hold for each open <div> (its text and the markup
        // inside it) and for a header title, measured as it measures them, so that a
        // document too big is refused here, before anything is written.
        let mut open: Vec<Open> = Vec::new();
        let mut divs: Vec<(Pos, usize)> = Vec::new();
        let mut title: Option<usize> = None;
        let mut text_seen = self.xml.skipped_text();
        loop {
            let event = self.xml.next_event()?;
            let text = (self.xml.skipped_text() - text_seen) as usize;
            text_seen = self.xml.skipped_text();
            if let Some(t) = &mut title {
                *t += text;
                if *t > MAX_DOCUMENT_BYTES {
                    let pos = self.xml_pos();
                    return Err(self.too_big("a header <title>", pos));
                }
            } else if let Some((pos, bytes)) = divs.last_mut() {
                *bytes += text;
                if *bytes > MAX_DOCUMENT_BYTES {
                    let pos = *pos;
                    return Err(self.too_big("a <div> (one document)", pos));
                }
            }
            match &event {
                XmlEvent::Start(e) if self.seen_root => {
                    let in_header = open.contains(&Open::Header);
                    let kind = match e.name.as_str() {
                        "div" if !in_header => Open::Div,
                        "teiHeader" => Open::Header,
                        "title" if in_header && open.contains(&Open::TitleStmt) => Open::Title,
                        "titleStmt" if in_header => Open::TitleStmt,
                        _ => Open::Other,
                    };
                    match kind {
                        Open::Div => divs.push((e.pos, 0)),
                        Open::Title => title = Some(0),
                        _ if !in_header => {
                            if let Some((pos, bytes)) = divs.last_mut() {
                                *bytes += element_bytes(e);
                                if *bytes > MAX_DOCUMENT_BYTES {
                                    let pos = *pos;
                                    return Err(self.too_big("a <div> (one document)", pos));
                                }
                            }
                        }
                        _ => {}
                    }
                    open.push(kind);
                }
                XmlEvent::End { .. } => match open.pop() {
                    Some(Open::Div) => {
                        divs.pop();
                    }
                    Some(Open::Title) => title = None,
                    _ => {}
                },
                _ => {}
            }
            match event {
                XmlEvent::Start(e) if !self.seen_root => {
                    self.stack.clear();
                    let root = e.name.clone();
                    self.start(e)?;
                    open.push(if root == "div" {
                        Open::Div
                    } else {
                        Open::Other
                    });
                }
                XmlEvent::Eof if !self.seen_root => {
                    return Err(ImportError::Format {
                        file: self.file.clone(),
                        pos: Pos { line: 1, column: 1 },
                        message: "the file has no elements; expected a TEI P5 document".into(),
                    })
                }
                XmlEvent::Eof => return Ok(()),
                _ => {}
            }
        }
    }
}

/// The most one document (a `<div>`: its text, and the elements and attributes inside it)
/// or a header title may hold: the reader holds a document whole until its `</div>`, so
/// this bounds memory, as [`crate::records::MAX_RECORD_BYTES`] does for a record.
pub const MAX_DOCUMENT_BYTES: usize = 16 * 1024 * 1024;

/// What the check pass needs to know of an open element.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Div,
    Header,
    TitleStmt,
    Title,
    Other,
}

/// What an element inside a document costs to hold: its attributes, and a little for
/// the element (a million empty `<date/>` are as costly as their bytes).
fn element_bytes(e: &Element) -> usize {
    16 + e
        .attrs
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum::<usize>()
}

/// The EDTF date of one `<date>` element from its attributes; `Err((attribute, problem))`.
fn date_of(attrs: &[(String, String)]) -> Result<Option<Edtf>, (String, String)> {
    let get = |name: &str| -> Result<Option<PartialDate>, (String, String)> {
        match attrs.iter().find(|(k, _)| k == name) {
            None => Ok(None),
            Some((_, v)) => {
                // W3C date-times keep their date part.
                let v = v.trim();
                let v = v.split_once('T').map_or(v, |(d, _)| d);
                PartialDate::parse(v)
                    .map(Some)
                    .map_err(|e| (name.to_string(), e.to_string()))
            }
        }
    };
    if let Some(when) = get("when")? {
        return Ok(Some(Edtf::Date(when)));
    }
    let start = get("from")?.or(get("notBefore")?);
    let end = get("to")?.or(get("notAfter")?);
    let date = match (start, end) {
        (None, None) => return Ok(None),
        (Some(s), Some(e)) if s == e => Edtf::Date(s),
        (Some(s), Some(e)) => {
            if s.earliest() > e.latest() {
                return Err((
                    "to".into(),
                    format!("the date ends ({e}) before it starts ({s})"),
                ));
            }
            Edtf::Interval(Bound::Date(s), Bound::Date(e))
        }
        (Some(s), None) => Edtf::Interval(Bound::Date(s), Bound::Open),
        (None, Some(e)) => Edtf::Interval(Bound::Open, Bound::Date(e)),
    };
    Ok(Some(date))
}

/// The single date, or the interval from the earliest start to the latest end.
fn cover(dates: &[Edtf]) -> Option<Edtf> {
    match dates {
        [] => None,
        [one] => Some(*one),
        _ => {
            let lo = dates.iter().min_by_key(|d| d.earliest())?;
            let hi = dates.iter().max_by_key(|d| d.latest())?;
            let start = match lo {
                Edtf::Date(d) => Bound::Date(*d),
                Edtf::Interval(s, _) => *s,
            };
            let end = match hi {
                Edtf::Date(d) => Bound::Date(*d),
                Edtf::Interval(_, e) => *e,
            };
            Some(Edtf::Interval(start, end))
        }
    }
}

static YEARS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(1[0-9]{3}|20[0-9]{2})s?(?:\s*[–—-]\s*(\d{4}|\d{2})\b)?").expect("valid")
});

/// The years a heading's words give: "1988–2001" → `1988/2001`, "1754–63" → `1754/1763`,
/// "Rush-Bagot Pact, 1817 and Convention of 1818" → `1817/1818`, "Sputnik, 1957" → `1957`.
pub fn years_in(text: &str) -> Option<Edtf> {
    let mut years = Vec::new();
    for c in YEARS.captures_iter(text) {
        let first: i32 = c[1].parse().ok()?;
        years.push(first);
        if let Some(second) = c.get(2) {
            let s = second.as_str();
            let n: i32 = s.parse().ok()?;
            let end = if s.len() == 2 {
                first / 100 * 100 + n
            } else {
                n
            };
            if end >= first {
                years.push(end);
            }
        }
    }
    let lo = *years.iter().min()?;
    let hi = *years.iter().max()?;
    Some(if lo == hi {
        Edtf::Date(PartialDate::year(lo))
    } else {
        Edtf::Interval(
            Bound::Date(PartialDate::year(lo)),
            Bound::Date(PartialDate::year(hi)),
        )
    })
}

/// Reads a whole TEI text into items (for tests and small inputs).
pub fn read_all(bytes: &[u8], file: &str, options: TeiOptions) -> Result<Vec<Item>, ImportError> {
    let mut src = TeiSource::new(bytes, file, options);
    let mut out = Vec::new();
    while let Some(item) = src.next_item()? {
        out.push(item);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An excerpt of HistoryAtState/milestones, chapters/1993-2000.xml (CC0 1.0, Office of
    /// the Historian, U.S. Department of State): the NATO essay, cut to its first
    /// paragraph and figure.
    const NATO: &str = include_str!("../../../tests/fixtures/milestones-1993-2000-excerpt.xml");

    fn options() -> TeiOptions {
        TeiOptions {
            kind: DocumentKind::ResearchStudy,
            dossier: Some("nato-russia".into()),
            lang: None,
        }
    }

    /// Issue 20, finding 7: a document is held whole until its `</div>`, so one without
    /// end (text in nodes under the 4 MiB limit, or a million empty elements) grew memory
    /// without bound; both passes now refuse it at 16 MiB, naming the div's line.
    #[test]
    fn a_document_past_the_limit_is_refused_by_both_passes() {
        let mb = "x".repeat(1024 * 1024);
        let paragraphs = format!("<p>{mb}</p>\n").repeat(17);
        let empties = "<lb/>".repeat(MAX_DOCUMENT_BYTES / 16 + 1);
        let title = format!("<title>{}</title>", format!("<hi>{mb}</hi> ").repeat(17));
        for (body, header, what) in [
            (paragraphs.as_str(), "", "a <div> (one document)"),
            (empties.as_str(), "", "a <div> (one document)"),
            ("", title.as_str(), "a header <title>"),
        ] {
            let tei = format!(
                "<TEI><teiHeader><fileDesc><titleStmt>{header}</titleStmt></fileDesc></teiHeader>\n<text><body>\n<div xml:id=\"d\"><head>A</head>{body}</div></body></text></TEI>\n"
            );
            for pass in ["check", "read"] {
                let mut src = TeiSource::new(tei.as_bytes(), "big.xml", options());
                let e = if pass == "check" {
                    src.check().unwrap_err()
                } else {
                    loop {
                        match src.next_item() {
                            Err(e) => break e,
                            Ok(None) => panic!("{what}: accepted"),
                            Ok(Some(_)) => {}
                        }
                    }
                };
                let e = e.to_string();
                assert!(e.starts_with("big.xml:"), "{pass}: {e}");
                assert!(
                    e.contains(&format!("{what} holds more than 16 MiB of text and markup")),
                    "{pass}: {e}"
                );
                if header.is_empty() {
                    assert!(e.starts_with("big.xml:3:1:"), "{pass}: {e}");
                }
            }
        }
        // Under the limit: read.
        let tei = format!(
            "<TEI><text><body><div><head>A</head>{}</div></body></text></TEI>",
            format!("<p>{mb}</p>").repeat(8)
        );
        let mut src = TeiSource::new(tei.as_bytes(), "ok.xml", options());
        src.check().unwrap();
        let items = read_all(tei.as_bytes(), "ok.xml", options()).unwrap();
        assert_eq!(items.len(), 1);
    }

    fn docs(items: Vec<Item>) -> Vec<(Document, Vec<Record>)> {
        items
            .into_iter()
            .map(|i| match i {
                Item::Record(r) => match r.record {
                    Record::Document(d) => (d, r.linked),
                    other => panic!("not a document: {other:?}"),
                },
                Item::Bad(e) => panic!("{e}"),
            })
            .collect()
    }

    #[test]
    fn the_nato_essay_has_its_range_topics_and_text() {
        let items = read_all(NATO.as_bytes(), "chapters/1993-2000.xml", options()).unwrap();
        let docs = docs(items);
        let (nato, linked) = docs
            .iter()
            .find(|(d, _)| d.title == "The Evolution of NATO, 1988–2001")
            .expect("the NATO essay");
        assert_eq!(nato.slug, "1993-2000-evolution-of-nato");
        // Issue 27: the title's years are the period it covers, not its issue date,
        // which the file does not give (a gap naming the revision history's change).
        assert_eq!(nato.coverage.unwrap().to_string(), "1988/2001");
        assert_eq!(nato.date, None);
        assert!(
            nato.provenance
                .gaps
                .iter()
                .any(|g| g.contains("issued or published is not recorded")
                    && g.contains("2013-10-31")),
            "{:?}",
            nato.provenance.gaps
        );
        assert!(nato.topics.contains(&"russia".to_string()));
        assert!(nato
            .topics
            .contains(&"north-atlantic-treaty-organization".to_string()));
        assert_eq!(linked.len(), nato.topics.len());
        assert_eq!(nato.texts.len(), 1);
        assert_eq!(nato.texts[0].lang, "und");
        assert!(nato.languages.is_empty());
        let text = nato.texts[0].plain_text();
        assert!(text.starts_with("The North Atlantic Treaty Organization (NATO) was born"));
        assert!(text.contains("Figure: U.S. Army forces cross the Sava River"));
        assert_eq!(nato.dossiers, ["nato-russia"]);
        assert!(nato.provenance.gaps[0].contains("heading's words"));
        let foreword = &docs[0].0;
        assert_eq!(foreword.slug, "1993-2000-foreword");
        assert_eq!(foreword.coverage.unwrap().to_string(), "1993/2000");
        assert_eq!(foreword.date, None);
        assert_eq!(
            foreword.provenance.gaps,
            ["When it was issued or published is not recorded."]
        );
        assert!(foreword.provenance.sources[0]
            .title
            .starts_with("Milestones: 1993–2000 — 1993-2000.xml"));
    }

    #[test]
    fn dates_from_markup_words_and_chapter() {
        let tei = r#"<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>
            <title type="complete">Milestones: 1989–1992</title><title type="short">1989–1992</title>
            </titleStmt></fileDesc></teiHeader><text><body>
            <div xml:id="a"><head>Rush-Bagot Pact, <date when="1817">1817</date> and Convention of <date when="1818">1818</date></head><p>x</p></div>
            <div xml:id="b"><head>French Revolution, <date when="1798">1789–1799</date></head></div>
            <div xml:id="c"><head>The End of Apartheid</head></div>
            <div xml:id="d"><head>Soviet <date from="1991-08" to="1991-12-25">1991</date></head></div>
            <div><p>a container without a head is no document</p></div>
            </body></text></TEI>"#;
        let docs = docs(read_all(tei.as_bytes(), "1989-1992.xml", options()).unwrap());
        let dates: Vec<String> = docs
            .iter()
            .map(|(d, _)| d.coverage.unwrap().to_string())
            .collect();
        assert_eq!(
            dates,
            ["1817/1818", "1798", "1989/1992", "1991-08/1991-12-25"]
        );
        assert!(
            docs[1].0.provenance.gaps[0].contains("1789 – 1799"),
            "{:?}",
            docs[1].0.provenance.gaps
        );
        assert!(docs[2].0.provenance.gaps[0].contains("that of the chapter"));
        assert!(docs.iter().all(|(d, _)| d.date.is_none()));
    }

    /// The issue date comes only from the TEI's markup for it (`docDate`, a dateline's
    /// `date`); the language from the nearest `xml:lang`, else the import's.
    #[test]
    fn issue_dates_from_doc_date_and_languages_from_xml_lang() {
        let tei = r#"<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:lang="fr"><text><body>
            <div xml:id="a"><head>Acte fondateur, 1997</head><opener><dateline>Paris, <date when="1997-05-27">27 mai 1997</date></dateline></opener><p>Texte.</p></div>
            <div xml:id="b" xml:lang="ru"><head>Заявление</head><docDate when="2002-05-28"/><p>Текст.</p></div>
            </body></text></TEI>"#;
        let mut o = options();
        o.lang = Some("en".into());
        let docs = docs(read_all(tei.as_bytes(), "x.xml", o.clone()).unwrap());
        let a = &docs[0].0;
        assert_eq!(a.date.unwrap().to_string(), "1997-05-27");
        assert_eq!(a.coverage.unwrap().to_string(), "1997");
        assert_eq!(
            (a.texts[0].lang.as_str(), a.languages.clone()),
            ("fr", vec!["fr".to_string()])
        );
        assert_eq!(a.texts[0].plain_text(), "Texte.");
        let b = &docs[1].0;
        assert_eq!(b.date.unwrap().to_string(), "2002-05-28");
        assert_eq!(b.texts[0].lang, "ru");
        // Outside any xml:lang: the import's language.
        let plain = r#"<TEI><text><body><div xml:id="c"><head>C</head><p>Words.</p></div></body></text></TEI>"#;
        let docs = super::tests::docs(read_all(plain.as_bytes(), "y.xml", o).unwrap());
        assert_eq!(docs[0].0.texts[0].lang, "en");
        assert_eq!(docs[0].0.languages, ["en"]);
    }

    #[test]
    fn bad_records_are_reported_with_place_and_field() {
        let tei = "<TEI>\n<text><body>\n<div><head>No id</head></div>\n<div xml:id=\"x\"><head><date when=\"May 5\">x</date></head></div></body></text></TEI>";
        let items = read_all(tei.as_bytes(), "bad.xml", options()).unwrap();
        let errs: Vec<String> = items
            .iter()
            .map(|i| match i {
                Item::Bad(e) => e.to_string(),
                Item::Record(_) => "record".into(),
            })
            .collect();
        assert!(
            errs[0].starts_with("bad.xml:3:1: record (no id), field `xml:id`"),
            "{errs:?}"
        );
        assert!(
            errs[1].starts_with("bad.xml:4:23: record x, field `head/date/@when`"),
            "{errs:?}"
        );
        let e = read_all(b"<html/>", "x.html", options()).unwrap_err();
        assert!(e.to_string().contains("expected a TEI P5 document"), "{e}");
    }

    #[test]
    fn years_in_words() {
        let y = |t: &str| years_in(t).map(|d| d.to_string());
        assert_eq!(
            y("The Evolution of NATO, 1988–2001").as_deref(),
            Some("1988/2001")
        );
        assert_eq!(
            y("French and Indian War, 1754–63").as_deref(),
            Some("1754/1763")
        );
        assert_eq!(y("Sputnik, 1957").as_deref(), Some("1957"));
        assert_eq!(
            y("Blaine and Pan Americanism, 1880s/1890s").as_deref(),
            Some("1880/1890")
        );
        assert_eq!(y("Atomic Diplomacy"), None);
        assert_eq!(y("NSC-68, 1950").as_deref(), Some("1950"));
    }
}
