//! A guarded, streaming XML reader shared by the XML importers (TEI, record XML).
//!
//! XML from outside is hostile until proven otherwise. This reader wraps quick-xml's
//! streaming reader (it never loads a whole file, never expands entities it does not know
//! and never fetches anything) and refuses, with the file, line and column:
//! - any `<!DOCTYPE …>`: a DTD is where entity bombs ("billion laughs") and external
//!   entities live, and no collection we import needs one;
//! - any entity reference other than the five predefined ones and character references;
//! - XInclude elements (`xi:include` in the `http://www.w3.org/2001/XInclude` namespace);
//! - nesting deeper than [`Limits::max_depth`] and a text node longer than
//!   [`Limits::max_text`] bytes (both bound memory);
//! - an element with more than [`Limits::max_attrs`] attributes, or with one attribute
//!   twice (checked here with a hash set, quick-xml's own check turned off, so that the
//!   refusal names the element and the attribute);
//! - a second root element (a document has one; a second is a file joined to another);
//! - bytes that are not UTF-8, and NUL bytes (binary data).
//!
//! Positions are tracked as the bytes are consumed, so that an error deep in a gigabyte
//! file still says where it is without a second pass.

use quick_xml::events::{BytesRef, BytesStart, Event};
use std::fmt;
use std::io::BufRead;

/// Where something is in a file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Bounds that keep a hostile file from taking unbounded memory or time.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How deep elements may nest.
    pub max_depth: usize,
    /// The longest single text node (or attribute value), in bytes.
    pub max_text: usize,
    /// The most attributes one element may have.
    pub max_attrs: usize,
}

/// The most attributes one element may have ([`Limits::max_attrs`] by default). TEI and
/// record XML use a handful per element (TEI's richest elements allow a few dozen), so
/// 256 refuses nothing real while bounding the work and memory one start tag can cost.
pub const MAX_ATTRIBUTES: usize = 256;

/// How deep elements may nest ([`Limits::max_depth`] by default).
pub const MAX_DEPTH: usize = 128;

/// The longest single text node or attribute value ([`Limits::max_text`] by default).
pub const MAX_TEXT: usize = 4 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: MAX_DEPTH,
            max_text: MAX_TEXT,
            max_attrs: MAX_ATTRIBUTES,
        }
    }
}

/// Why an XML file was refused. Every variant says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The file has a document type declaration (DTD).
    #[error("{file}:{pos}: the file declares a DTD (<!DOCTYPE …>); DTDs are refused because they can define entity bombs and external entities — remove the DOCTYPE line")]
    Doctype { file: String, pos: Pos },
    /// An entity reference that only a DTD could define (or an external entity).
    #[error("{file}:{pos}: unknown entity reference `&{name};`; only &lt; &gt; &amp; &apos; &quot; and character references are allowed (DTDs and their entities are refused)")]
    Entity {
        file: String,
        pos: Pos,
        name: String,
    },
    /// An XInclude element, which would pull in another file.
    #[error("{file}:{pos}: XInclude element <{name}> refused: an import reads only the files it is given")]
    XInclude {
        file: String,
        pos: Pos,
        name: String,
    },
    /// Elements nested deeper than the limit.
    #[error("{file}:{pos}: elements nest deeper than {limit} levels; refused (a limit that bounds memory)")]
    TooDeep {
        file: String,
        pos: Pos,
        limit: usize,
    },
    /// One text node or attribute value longer than the limit.
    #[error("{file}:{pos}: a single text node is longer than {limit} bytes; refused (a limit that bounds memory)")]
    TextTooLarge {
        file: String,
        pos: Pos,
        limit: usize,
    },
    /// An element with more attributes than the limit.
    #[error("{file}:{pos}: element <{element}> has more than {limit} attributes; refused (a limit that bounds the work one element may cost)")]
    TooManyAttributes {
        file: String,
        pos: Pos,
        element: String,
        limit: usize,
    },
    /// The same attribute twice on one element.
    #[error("{file}:{pos}: element <{element}> has the attribute `{attribute}` twice; XML allows each once")]
    DuplicateAttribute {
        file: String,
        pos: Pos,
        element: String,
        attribute: String,
    },
    /// A second root element: an XML document has exactly one.
    #[error("{file}:{pos}: a second root element <{element}> after the first root <{first}> closed; an XML file has one root element (two files joined into one?)")]
    SecondRoot {
        file: String,
        pos: Pos,
        element: String,
        first: String,
    },
    /// Bytes that are not UTF-8.
    #[error("{file}:{pos}: invalid UTF-8 (byte 0x{byte:02x}); expected UTF-8 XML")]
    InvalidUtf8 { file: String, pos: Pos, byte: u8 },
    /// A NUL byte: binary data, never allowed in XML.
    #[error("{file}:{pos}: NUL byte (binary data); XML may not contain it")]
    Nul { file: String, pos: Pos },
    /// Malformed XML (mismatched tags, a broken attribute…), or an I/O error.
    #[error("{file}:{pos}: {message}")]
    Syntax {
        file: String,
        pos: Pos,
        message: String,
    },
}

impl XmlError {
    /// Where the error is.
    pub fn pos(&self) -> Pos {
        match self {
            XmlError::Doctype { pos, .. }
            | XmlError::Entity { pos, .. }
            | XmlError::XInclude { pos, .. }
            | XmlError::TooDeep { pos, .. }
            | XmlError::TextTooLarge { pos, .. }
            | XmlError::TooManyAttributes { pos, .. }
            | XmlError::DuplicateAttribute { pos, .. }
            | XmlError::SecondRoot { pos, .. }
            | XmlError::InvalidUtf8 { pos, .. }
            | XmlError::Nul { pos, .. }
            | XmlError::Syntax { pos, .. } => *pos,
        }
    }
}

/// One element's start: its local name (prefix dropped), attributes (unescaped) and place.
#[derive(Debug, Clone)]
pub struct Element {
    pub name: String,
    /// Attributes as `(qualified name, value)`, e.g. `("xml:id", "nato")`.
    pub attrs: Vec<(String, String)>,
    pub pos: Pos,
}

impl Element {
    /// The value of an attribute by its qualified name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the reader yields.
#[derive(Debug, Clone)]
pub enum XmlEvent {
    /// An element starts; an empty element (`<a/>`) gives `Start` then `End`.
    Start(Element),
    End {
        name: String,
        pos: Pos,
    },
    /// Character data (entities resolved, CDATA included), as written.
    Text(String),
    Eof,
}

/// Counts lines and columns and checks bytes (UTF-8, NUL, event size) as quick-xml
/// consumes them; once something is wrong it stops the reading with an I/O error, so that
/// a hostile file is refused without being read to its end.
struct Counting<R> {
    inner: R,
    st: State,
}

#[derive(Default)]
struct State {
    offset: u64,
    line: u64,
    column: u64,
    /// Bytes of a UTF-8 sequence split across two reads.
    pending: Vec<u8>,
    /// Where the first of them is.
    pending_at: Pos,
    /// The first bad byte seen: (position, byte); NUL is reported as byte 0.
    bad: Option<(Pos, u8)>,
    /// Where the current event began, and how many bytes it may take.
    event_start: u64,
    max_event: u64,
    /// Set when one event grew past `max_event`.
    overflow: bool,
}

impl State {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }

    fn advance(&mut self, bytes: &[u8]) {
        self.check(bytes);
        // memchr's searches (SIMD) rather than byte loops: every byte of a file passes
        // here twice, once per pass, and lines are few next to bytes.
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count() as u64;
                self.column = 1 + chars(&bytes[last + 1..]);
            }
            None => self.column += chars(bytes),
        }
        self.offset += bytes.len() as u64;
        if self.offset - self.event_start > self.max_event {
            self.overflow = true;
        }
    }

    fn check(&mut self, bytes: &[u8]) {
        if self.bad.is_some() {
            return;
        }
        // NUL first: a binary file is more useful to name as such than as bad UTF-8.
        if let Some(i) = memchr::memchr(0, bytes) {
            self.bad = Some((self.pos_at(bytes, i), 0));
            return;
        }
        if self.pending.is_empty() && bytes.is_ascii() {
            return;
        }
        let mut data: &[u8] = bytes;
        let joined;
        if !self.pending.is_empty() {
            let mut v = std::mem::take(&mut self.pending);
            v.extend_from_slice(bytes);
            joined = v;
            data = &joined;
        }
        if let Err(e) = std::str::from_utf8(data) {
            match e.error_len() {
                None => {
                    let already = data.len() - bytes.len();
                    let from = e.valid_up_to();
                    if from >= already {
                        self.pending_at = self.pos_at(bytes, from - already);
                    }
                    self.pending = data[from..].to_vec();
                }
                Some(_) => {
                    let already = data.len() - bytes.len();
                    let at = e.valid_up_to().saturating_sub(already);
                    self.bad = Some((self.pos_at(bytes, at), data[e.valid_up_to()]));
                }
            }
        }
    }

    /// The position of `bytes[i]`, where `bytes` starts at the current position.
    fn pos_at(&self, bytes: &[u8], i: usize) -> Pos {
        let before = &bytes[..i.min(bytes.len())];
        match memchr::memrchr(b'\n', before) {
            Some(nl) => Pos {
                line: self.line + memchr::memchr_iter(b'\n', before).count() as u64,
                column: 1 + chars(&before[nl + 1..]),
            },
            None => Pos {
                line: self.line,
                column: self.column + chars(before),
            },
        }
    }
}

fn chars(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u64
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, _buf: &mut [u8]) -> std::io::Result<usize> {
        // quick-xml reads through BufRead only.
        Err(std::io::Error::other("Counting is read through BufRead"))
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.st.bad.is_some() || self.st.overflow {
            return Err(std::io::Error::other("refused"));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            self.st.advance(&buf[..n]);
        }
        self.inner.consume(amt);
    }
}

const XINCLUDE_NS: &str = "http://www.w3.org/2001/XInclude";

/// The guarded reader. Read events with [`SafeXml::next_event`] until [`XmlEvent::Eof`].
pub struct SafeXml<R: BufRead> {
    reader: quick_xml::Reader<Counting<R>>,
    buf: Vec<u8>,
    file: String,
    limits: Limits,
    depth: usize,
    /// Prefixes bound to the XInclude namespace, innermost last, with their depth.
    xinclude_prefixes: Vec<(String, usize)>,
    /// An `End` owed for an empty element.
    pending_end: Option<(String, Pos)>,
    done: bool,
    /// Check text (size, entities) without handing it out: the cheap first pass.
    skip_text: bool,
    skipped_text: u64,
    /// The root element's qualified name, once it has closed: another element at depth 0
    /// is a second root.
    root_closed: Option<String>,
    /// The keys of the element being read, to find a repeated one in linear time.
    seen_keys: std::collections::HashSet<String>,
}

impl<R: BufRead> SafeXml<R> {
    /// Reads `input`; `file` names it in errors.
    pub fn new(input: R, file: &str, limits: Limits) -> Self {
        let counting = Counting {
            inner: input,
            st: State {
                line: 1,
                column: 1,
                // Room for the tag around a text node at the limit.
                max_event: limits.max_text as u64 + 64 * 1024,
                ..State::default()
            },
        };
        let mut reader = quick_xml::Reader::from_reader(counting);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        SafeXml {
            reader,
            buf: Vec::with_capacity(8 * 1024),
            file: file.to_string(),
            limits,
            depth: 0,
            xinclude_prefixes: Vec::new(),
            pending_end: None,
            done: false,
            skip_text: false,
            skipped_text: 0,
            root_closed: None,
            seen_keys: std::collections::HashSet::new(),
        }
    }

    /// From the next event on, text is checked as before (size, entity and character
    /// references, UTF-8, NUL) but not decoded into strings nor handed out (`skip`), or
    /// handed out again: for a pass that only checks a file, where allocating every text
    /// node is most of the cost, and for a reader that needs the text of some elements only.
    pub fn set_skip_text(&mut self, skip: bool) {
        self.skip_text = skip;
    }

    /// How many bytes of text have been skipped so far (see
    /// [`set_skip_text`](Self::set_skip_text)): a reader uses it to bound what a record
    /// would hold once decoded.
    pub fn skipped_text(&self) -> u64 {
        self.skipped_text
    }

    /// The bytes read so far (for progress).
    pub fn bytes_read(&self) -> u64 {
        self.reader.get_ref().st.offset
    }

    /// The file name given to [`SafeXml::new`].
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Where the reader is: the line and column of the next byte.
    pub fn position(&self) -> Pos {
        self.here()
    }

    fn here(&self) -> Pos {
        self.reader.get_ref().st.pos()
    }

    fn bad_bytes(&self) -> Option<XmlError> {
        self.reader.get_ref().st.bad.map(|(pos, byte)| {
            if byte == 0 {
                XmlError::Nul {
                    file: self.file.clone(),
                    pos,
                }
            } else {
                XmlError::InvalidUtf8 {
                    file: self.file.clone(),
                    pos,
                    byte,
                }
            }
        })
    }

    /// quick-xml checks the UTF-8 of what it has consumed, and so refuses a sequence cut
    /// short by markup or by the end of the file before the count knows it is bad (it
    /// waits for the bytes that would complete it): that is invalid UTF-8 at its first
    /// byte, as any other bad byte is.
    fn cut_utf8(&self, e: &quick_xml::Error) -> Option<XmlError> {
        let st = &self.reader.get_ref().st;
        match (e, st.pending.first()) {
            (quick_xml::Error::Encoding(_), Some(&byte)) => Some(XmlError::InvalidUtf8 {
                file: self.file.clone(),
                pos: st.pending_at,
                byte,
            }),
            _ => None,
        }
    }

    fn syntax(&self, pos: Pos, message: impl Into<String>) -> XmlError {
        XmlError::Syntax {
            file: self.file.clone(),
            pos,
            message: message.into(),
        }
    }

    /// The next event, or the reason the file is refused.
    pub fn next_event(&mut self) -> Result<XmlEvent, XmlError> {
        if let Some((name, pos)) = self.pending_end.take() {
            return Ok(XmlEvent::End { name, pos });
        }
        if self.done {
            return Ok(XmlEvent::Eof);
        }
        loop {
            // Position of the event's first byte: quick-xml may already have consumed the
            // `<` that ends a text node, which is never a line break.
            let counted = self.reader.get_ref().st.offset;
            let at = self.reader.buffer_position();
            let mut start = self.here();
            start.column = start
                .column
                .saturating_sub(counted.saturating_sub(at))
                .max(1);
            let mut buf = std::mem::take(&mut self.buf);
            buf.clear();
            self.reader.get_mut().st.event_start = counted;
            let out = self.read_one(&mut buf, start);
            self.buf = buf;
            if let Some(ev) = out? {
                return Ok(ev);
            }
        }
    }

    /// Reads one quick-xml event; `None` for one that gives the caller nothing (a comment).
    fn read_one(&mut self, buf: &mut Vec<u8>, start: Pos) -> Result<Option<XmlEvent>, XmlError> {
        let event = self.reader.read_event_into(buf);
        if let Some(e) = self.bad_bytes() {
            return Err(e);
        }
        if self.reader.get_ref().st.overflow {
            return Err(self.too_large(start));
        }
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                if let Some(cut) = self.cut_utf8(&e) {
                    return Err(cut);
                }
                let pos = self.here();
                return Err(self.syntax(pos, describe(&e)));
            }
        };
        match event {
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => Ok(None),
            Event::DocType(_) => Err(XmlError::Doctype {
                file: self.file.clone(),
                pos: start,
            }),
            Event::Start(e) => {
                let el = self.element(&e, start)?;
                Ok(Some(XmlEvent::Start(el)))
            }
            Event::Empty(e) => {
                let el = self.element(&e, start)?;
                self.close(start);
                if self.depth == 0 {
                    self.root_closed = Some(qualified(&e));
                }
                self.pending_end = Some((el.name.clone(), start));
                Ok(Some(XmlEvent::Start(el)))
            }
            Event::End(e) => {
                let name = e.local_name().as_ref().to_string();
                self.close(start);
                if self.depth == 0 {
                    self.root_closed = Some(e.name().as_ref().to_string());
                }
                Ok(Some(XmlEvent::End { name, pos: start }))
            }
            Event::Text(t) => self.character_data(t.into_inner(), false, start),
            Event::CData(t) => self.character_data(t.into_inner(), true, start),
            Event::GeneralRef(r) => self.reference(&r, start),
            Event::Eof => {
                if self.depth > 0 {
                    let pos = self.here();
                    return Err(self.syntax(
                        pos,
                        format!(
                            "the file ends inside {} unclosed element(s); it is cut short",
                            self.depth
                        ),
                    ));
                }
                self.done = true;
                Ok(Some(XmlEvent::Eof))
            }
        }
    }

    /// A text node (`cdata` false) or a CDATA section, raw (line ends as written): refused
    /// past the text limit or outside the root element (a text node of white space
    /// aside); counted but not handed out while text is skipped. An empty text node gives
    /// nothing; an empty CDATA section gives empty text.
    fn character_data(
        &mut self,
        text: std::borrow::Cow<'_, str>,
        cdata: bool,
        start: Pos,
    ) -> Result<Option<XmlEvent>, XmlError> {
        if text.len() > self.limits.max_text {
            return Err(self.too_large(start));
        }
        if self.depth == 0 && (cdata || !text.bytes().all(|b| b.is_ascii_whitespace())) {
            return Err(self.outside_root(start));
        }
        if self.skip_text {
            self.skipped_text += text.len() as u64;
            return Ok(None);
        }
        if text.is_empty() && !cdata {
            return Ok(None);
        }
        Ok(Some(XmlEvent::Text(text.into_owned())))
    }

    /// An entity or character reference in text: a character reference (not `&#0;`) or
    /// one of the five predefined entities is text; any other entity is refused.
    fn reference(&mut self, r: &BytesRef, start: Pos) -> Result<Option<XmlEvent>, XmlError> {
        if self.depth == 0 {
            return Err(self.outside_root(start));
        }
        let name = r.as_ref().to_string();
        if r.is_char_ref() {
            return match r.resolve_char_ref() {
                Ok(Some(c)) if c != '\0' => {
                    if self.skip_text {
                        self.skipped_text += c.len_utf8() as u64;
                        return Ok(None);
                    }
                    Ok(Some(XmlEvent::Text(c.to_string())))
                }
                _ => Err(self.syntax(start, format!("invalid character reference `&{name};`"))),
            };
        }
        match quick_xml::escape::resolve_predefined_entity(&name) {
            Some(s) if self.skip_text => {
                self.skipped_text += s.len() as u64;
                Ok(None)
            }
            Some(s) => Ok(Some(XmlEvent::Text(s.to_string()))),
            None => Err(XmlError::Entity {
                file: self.file.clone(),
                pos: start,
                name,
            }),
        }
    }

    /// Text before or after the root element: a document is one element (white space,
    /// comments and processing instructions around it aside).
    fn outside_root(&self, pos: Pos) -> XmlError {
        let place = match &self.root_closed {
            Some(root) => format!("after the root element <{root}> closed"),
            None => "before the root element".to_string(),
        };
        self.syntax(
            pos,
            format!("text {place}; an XML file holds one root element and only white space, comments and processing instructions around it"),
        )
    }

    fn too_large(&self, pos: Pos) -> XmlError {
        XmlError::TextTooLarge {
            file: self.file.clone(),
            pos,
            limit: self.limits.max_text,
        }
    }

    fn close(&mut self, _pos: Pos) {
        while self
            .xinclude_prefixes
            .last()
            .is_some_and(|(_, d)| *d >= self.depth)
        {
            self.xinclude_prefixes.pop();
        }
        self.depth = self.depth.saturating_sub(1);
    }

    fn element(&mut self, e: &BytesStart, pos: Pos) -> Result<Element, XmlError> {
        // The qualified name is spelled out only for messages.
        let qname = || qualified(e);
        if self.depth == 0 {
            if let Some(first) = &self.root_closed {
                return Err(XmlError::SecondRoot {
                    file: self.file.clone(),
                    pos,
                    element: qname(),
                    first: first.clone(),
                });
            }
        }
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(XmlError::TooDeep {
                file: self.file.clone(),
                pos,
                limit: self.limits.max_depth,
            });
        }
        let mut attrs = Vec::new();
        self.seen_keys.clear();
        // The keys are checked here, with a set, rather than by quick-xml: the refusal is
        // then a `DuplicateAttribute` that names the element and the attribute.
        let mut iter = e.attributes();
        iter.with_checks(false);
        for a in iter {
            let a = a.map_err(|err| self.syntax(pos, format!("in <{}>: {err}", qname())))?;
            if attrs.len() >= self.limits.max_attrs {
                return Err(XmlError::TooManyAttributes {
                    file: self.file.clone(),
                    pos,
                    element: qname(),
                    limit: self.limits.max_attrs,
                });
            }
            if !self.seen_keys.insert(a.key.as_ref().to_string()) {
                return Err(XmlError::DuplicateAttribute {
                    file: self.file.clone(),
                    pos,
                    element: qname(),
                    attribute: a.key.as_ref().to_string(),
                });
            }
            let key = a.key.as_ref().to_string();
            if a.value.len() > self.limits.max_text {
                return Err(self.too_large(pos));
            }
            // Unescaped as written: no attribute-value normalisation of white space.
            let value = match quick_xml::escape::unescape(&a.value) {
                Ok(v) => v.into_owned(),
                Err(quick_xml::escape::EscapeError::UnrecognizedEntity(_, name)) => {
                    return Err(XmlError::Entity {
                        file: self.file.clone(),
                        pos,
                        name,
                    })
                }
                Err(err) => {
                    return Err(self.syntax(pos, format!("in <{}> attribute {key}: {err}", qname())))
                }
            };
            if value.contains('\0') {
                return Err(XmlError::Nul {
                    file: self.file.clone(),
                    pos,
                });
            }
            if value == XINCLUDE_NS {
                let prefix = key.strip_prefix("xmlns:").unwrap_or("").to_string();
                self.xinclude_prefixes.push((prefix, self.depth));
            }
            attrs.push((key, value));
        }
        let qn = e.name();
        let prefix: &str = qn.prefix().map_or("", |p| p.into_inner());
        let name = e.local_name().as_ref().to_string();
        let in_xinclude = self.xinclude_prefixes.iter().any(|(p, _)| p == prefix);
        if in_xinclude || (prefix == "xi" && (name == "include" || name == "fallback")) {
            return Err(XmlError::XInclude {
                file: self.file.clone(),
                pos,
                name: qname(),
            });
        }
        Ok(Element { name, attrs, pos })
    }
}

/// An element's qualified name (`xi:include`), for messages.
fn qualified(e: &BytesStart) -> String {
    e.name().as_ref().to_string()
}

fn describe(e: &quick_xml::Error) -> String {
    match e {
        quick_xml::Error::IllFormed(i) => format!("malformed XML: {i}"),
        quick_xml::Error::Syntax(s) => format!("malformed XML: {s}"),
        quick_xml::Error::Io(io) => format!("cannot read: {io}"),
        other => format!("malformed XML: {other}"),
    }
}

/// Collapses runs of white space to one space and trims the ends, as XML text is laid out
/// for the eye, not the reader.
pub fn normalize_space(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let push = |word: &str| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    };
    // Byte-wise for ASCII text (most values), which has the same white space but for the
    // vertical tab; char-wise otherwise.
    if s.is_ascii() && !s.contains('\x0B') {
        s.split_ascii_whitespace().for_each(push);
    } else {
        s.split_whitespace().for_each(push);
    }
    out
}

/// Reads a whole file through the reader only to check it (for tests and `--dry-run`).
pub fn check_all<R: BufRead>(mut x: SafeXml<R>) -> Result<u64, XmlError> {
    let mut elements = 0;
    loop {
        match x.next_event()? {
            XmlEvent::Eof => return Ok(elements),
            XmlEvent::Start(_) => elements += 1,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn white_space_collapses_alike_in_ascii_and_other_text() {
        for (text, collapsed) in [
            (
                "  In U.S.\n\t  November 29,\r\n 1874 ",
                "In U.S. November 29, 1874",
            ),
            ("a\x0Bb\x0Cc", "a b c"),
            ("\u{a0}Moscow\u{2003}\n Kremlin\u{3000}", "Moscow Kremlin"),
            (" \n\t ", ""),
            ("Élysée", "Élysée"),
        ] {
            assert_eq!(normalize_space(text), collapsed, "{text:?}");
        }
    }

    fn read(xml: &str) -> Result<Vec<String>, XmlError> {
        let mut x = SafeXml::new(xml.as_bytes(), "t.xml", Limits::default());
        let mut out = Vec::new();
        loop {
            match x.next_event()? {
                XmlEvent::Eof => return Ok(out),
                XmlEvent::Start(e) => out.push(format!("<{}@{}", e.name, e.pos)),
                XmlEvent::End { name, .. } => out.push(format!("</{name}")),
                XmlEvent::Text(t) if t.trim().is_empty() => {}
                XmlEvent::Text(t) => out.push(t),
            }
        }
    }

    #[test]
    fn reads_elements_text_and_positions() {
        let ev =
            read("<?xml version=\"1.0\"?>\n<a x=\"1 &amp; 2\">\n  <b>t&lt;&#233;</b><c/>\n</a>")
                .unwrap();
        assert_eq!(ev[0], "<a@2:1");
        assert!(ev.contains(&"<b@3:3".to_string()), "{ev:?}");
        assert!(ev.contains(&"<c@3:21".to_string()), "{ev:?}");
        assert_eq!(ev[2..5], ["t", "<", "é"], "{ev:?}");
    }

    #[test]
    fn refuses_hostile_constructs() {
        let e = read("<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"y\">]>\n<a>&x;</a>")
            .unwrap_err();
        assert!(
            matches!(
                e,
                XmlError::Doctype {
                    pos: Pos { line: 2, .. },
                    ..
                }
            ),
            "{e}"
        );
        let e = read("<a>&x;</a>").unwrap_err();
        assert!(
            matches!(e, XmlError::Entity { ref name, .. } if name == "x"),
            "{e}"
        );
        let e = read("<a b=\"&x;\"/>").unwrap_err();
        assert!(matches!(e, XmlError::Entity { .. }), "{e}");
        let e = read("<a xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"/etc/passwd\"/></a>")
            .unwrap_err();
        assert!(matches!(e, XmlError::XInclude { .. }), "{e}");
        let e =
            read("<a xmlns:inc=\"http://www.w3.org/2001/XInclude\"><inc:include href=\"x\"/></a>")
                .unwrap_err();
        assert!(matches!(e, XmlError::XInclude { .. }), "{e}");
        let e = read("<a>\n<b>\u{0}</b></a>").unwrap_err();
        assert!(
            matches!(
                e,
                XmlError::Nul {
                    pos: Pos { line: 2, column: 4 },
                    ..
                }
            ),
            "{e}"
        );
        let mut bytes = b"<a>\n ok \xff</a>".to_vec();
        bytes.push(b'\n');
        let mut x = SafeXml::new(&bytes[..], "u.xml", Limits::default());
        let e = loop {
            match x.next_event() {
                Err(e) => break e,
                Ok(XmlEvent::Eof) => panic!("accepted invalid UTF-8"),
                Ok(_) => {}
            }
        };
        assert!(
            matches!(
                e,
                XmlError::InvalidUtf8 {
                    pos: Pos { line: 2, column: 5 },
                    byte: 0xff,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn limits_bound_depth_and_text() {
        let deep = "<a>".repeat(200) + &"</a>".repeat(200);
        let e = read(&deep).unwrap_err();
        assert!(matches!(e, XmlError::TooDeep { limit: 128, .. }), "{e}");
        let limits = Limits {
            max_depth: 10,
            max_text: 16,
            ..Limits::default()
        };
        let mut x = SafeXml::new("<a>01234567890123456789</a>".as_bytes(), "t", limits);
        x.next_event().unwrap();
        assert!(matches!(x.next_event(), Err(XmlError::TextTooLarge { .. })));
    }

    #[test]
    fn skipping_text_still_refuses_what_text_may_not_hold() {
        let check = |xml: &[u8], limits: Limits| {
            let mut x = SafeXml::new(xml, "s.xml", limits);
            x.set_skip_text(true);
            let mut texts = 0;
            loop {
                match x.next_event()? {
                    XmlEvent::Eof => return Ok(texts),
                    XmlEvent::Text(_) => texts += 1,
                    _ => {}
                }
            }
        };
        let d = Limits::default();
        assert_eq!(check(b"<a>x &amp; &#233; <![CDATA[y]]></a>", d), Ok(0));
        assert!(matches!(
            check(b"<a>&x;</a>", d),
            Err(XmlError::Entity { .. })
        ));
        assert!(matches!(
            check(b"<a>&#0;</a>", d),
            Err(XmlError::Syntax { .. })
        ));
        assert!(matches!(check(b"<a>\0</a>", d), Err(XmlError::Nul { .. })));
        assert!(matches!(
            check(b"<a>\xff</a>", d),
            Err(XmlError::InvalidUtf8 { .. })
        ));
        let small = Limits {
            max_depth: 10,
            max_text: 16,
            ..Limits::default()
        };
        assert!(matches!(
            check(b"<a>01234567890123456789</a>", small),
            Err(XmlError::TextTooLarge { .. })
        ));
    }

    /// Issue 20, finding 4: 80,000 attributes on one element took 20 s (quick-xml's
    /// duplicate check is quadratic); now the element is refused at its 257th attribute.
    #[test]
    fn too_many_attributes_are_refused_naming_the_element() {
        let attrs: String = (0..80_000).map(|i| format!(" a{i}=\"v\"")).collect();
        let xml = format!("<root>\n  <rec{attrs}/></root>");
        let e = read(&xml).unwrap_err();
        assert!(
            matches!(
                e,
                XmlError::TooManyAttributes {
                    pos: Pos { line: 2, column: 3 },
                    limit: MAX_ATTRIBUTES,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "t.xml:2:3: element <rec> has more than 256 attributes; refused (a limit that bounds the work one element may cost)"
        );
        // At the limit, accepted, and every attribute is there.
        let attrs: String = (0..MAX_ATTRIBUTES)
            .map(|i| format!(" a{i}='{i}'"))
            .collect();
        let xml = format!("<rec{attrs}/>");
        let mut x = SafeXml::new(xml.as_bytes(), "t.xml", Limits::default());
        let XmlEvent::Start(el) = x.next_event().unwrap() else {
            panic!()
        };
        assert_eq!(el.attrs.len(), MAX_ATTRIBUTES);
        assert_eq!(el.attr("a255"), Some("255"));
    }

    #[test]
    fn a_repeated_attribute_is_refused() {
        let e = read("<a>\n<b x='1' y='2' x='3'/></a>").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.xml:2:1: element <b> has the attribute `x` twice; XML allows each once"
        );
        // Different prefixes are different attributes.
        read("<a xml:id='1' id='2' xmlns:t='u' t:id='3'/>").unwrap();
    }

    /// Issue 20, finding 10: a second root element was read as more of the document.
    #[test]
    fn a_second_root_or_text_outside_the_root_is_refused() {
        let e = read("<visits><visit/></visits>\n<visits><visit/></visits>").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.xml:2:1: a second root element <visits> after the first root <visits> closed; an XML file has one root element (two files joined into one?)"
        );
        let e = read("<a/><b/>").unwrap_err();
        assert!(matches!(e, XmlError::SecondRoot { .. }), "{e}");
        for bad in ["<a/>junk", "junk<a/>", "<a/>&amp;", "<a/><![CDATA[x]]>"] {
            let e = read(bad).unwrap_err();
            assert!(e.to_string().contains("text "), "{bad}: {e}");
        }
        // White space, comments and processing instructions around the root are fine.
        read("<?xml version='1.0'?>\n<!-- c -->\n<a/>\n<!-- d --><?pi x?>\n\n").unwrap();
        read("\u{feff}<a/>").unwrap();
    }

    /// Reads a whole document under `limits`, checking every event against them: what
    /// the reader hands out never breaks a limit, and there is one root element.
    fn read_checked(bytes: &[u8], limits: Limits) -> Result<(), XmlError> {
        let mut x = SafeXml::new(bytes, "p.xml", limits);
        let (mut depth, mut roots) = (0usize, 0usize);
        loop {
            match x.next_event()? {
                XmlEvent::Eof => {
                    assert_eq!(depth, 0, "EOF inside an element");
                    assert!(roots <= 1, "{roots} roots");
                    return Ok(());
                }
                XmlEvent::Start(e) => {
                    if depth == 0 {
                        roots += 1;
                        assert_eq!(roots, 1, "a second root was handed out");
                    }
                    depth += 1;
                    assert!(depth <= limits.max_depth, "depth {depth}");
                    assert!(
                        e.attrs.len() <= limits.max_attrs,
                        "{} attributes",
                        e.attrs.len()
                    );
                    let mut keys: Vec<&str> = e.attrs.iter().map(|(k, _)| k.as_str()).collect();
                    keys.sort_unstable();
                    keys.dedup();
                    assert_eq!(keys.len(), e.attrs.len(), "a repeated attribute");
                    for (_, v) in &e.attrs {
                        assert!(v.len() <= limits.max_text && !v.contains('\0'));
                    }
                }
                XmlEvent::End { .. } => depth -= 1,
                XmlEvent::Text(t) => {
                    assert!(t.len() <= limits.max_text && !t.contains('\0'));
                    assert!(depth > 0 || t.trim().is_empty(), "text outside the root");
                }
            }
        }
    }

    /// Generated XML: elements nested up to 12 deep, each with up to 8 attributes (names
    /// from a small set, so that some repeat), text, entities and the odd hostile piece.
    fn xml_doc() -> impl Strategy<Value = String> {
        let attr = (
            prop::sample::select(vec!["a", "b", "c", "xml:id", "x:y"]),
            "[a-z&;<\"]{0,6}",
        )
            .prop_map(|(k, v)| format!(" {k}=\"{v}\""));
        let text = prop_oneof![
            "[a-z ]{0,20}",
            Just("&amp;&#233;&x;".to_string()),
            Just("<![CDATA[]]>".to_string()),
            Just("<!-- c -->".to_string()),
            Just("<!DOCTYPE a>".to_string()),
            Just("\u{0}".to_string()),
        ];
        let leaf = (prop::collection::vec(attr.clone(), 0..8), text.clone())
            .prop_map(|(attrs, text)| format!("<e{}>{text}</e>", attrs.concat()));
        let tree = leaf.prop_recursive(12, 200, 4, move |inner| {
            (
                prop::sample::select(vec!["a", "b", "xi:include"]),
                prop::collection::vec(attr.clone(), 0..8),
                prop::collection::vec(inner, 0..4),
                text.clone(),
            )
                .prop_map(|(name, attrs, kids, text)| {
                    format!("<{name}{}>{text}{}</{name}>", attrs.concat(), kids.concat())
                })
        });
        (prop::collection::vec(tree, 1..3), "[ \na]{0,2}")
            .prop_map(|(roots, tail)| format!("<?xml version=\"1.0\"?>\n{}{tail}", roots.concat()))
    }

    proptest::proptest! {

        /// Arbitrary bytes never panic the reader.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = read_checked(&bytes, Limits::default());
        }

        /// Generated documents, read under small limits: never a panic, and whatever is
        /// accepted keeps to the limits (depth, attributes, text, one root).
        #[test]
        fn accepted_documents_keep_to_the_limits(doc in xml_doc()) {
            let limits = Limits { max_depth: 6, max_text: 16, max_attrs: 4 };
            let _ = read_checked(doc.as_bytes(), limits);
            let _ = read_checked(doc.as_bytes(), Limits::default());
        }
    }

    #[test]
    fn truncated_and_mismatched_files_are_refused() {
        assert!(read("<a><b></a>").is_err());
        let e = read("<a><b>").unwrap_err();
        assert!(e.to_string().contains("cut short"), "{e}");
    }
}
