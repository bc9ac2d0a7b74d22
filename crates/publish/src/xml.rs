//! Writing XML (OAI-PMH, Atom, sitemaps) through quick-xml's writer, so that every text and
//! attribute value is escaped, and with the characters XML 1.0 cannot carry at all (most
//! control characters) removed first: a record's text is imported data and may hold them.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

/// An XML document being written, indented by two spaces.
pub struct XmlWriter {
    w: Writer<Vec<u8>>,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

/// Text with the characters XML 1.0 forbids removed (C0 controls other than tab, line
/// feed and carriage return; U+FFFE, U+FFFF).
pub fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    let ok = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if s.chars().all(ok) {
        std::borrow::Cow::Borrowed(s)
    } else {
        std::borrow::Cow::Owned(s.chars().filter(|&c| ok(c)).collect())
    }
}

// Writing into a `Vec<u8>` cannot fail, so the writer's `io::Result`s are dropped.
impl XmlWriter {
    /// A new document, starting with `<?xml version="1.0" encoding="UTF-8"?>`.
    pub fn new() -> Self {
        let mut w = Writer::new_with_indent(Vec::with_capacity(4096), b' ', 2);
        let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
        XmlWriter { w }
    }

    fn open(name: &str, attrs: &[(&str, &str)]) -> BytesStart<'static> {
        let mut e = BytesStart::new(name.to_string());
        for (k, v) in attrs {
            e.push_attribute((*k, clean(v).as_ref()));
        }
        e
    }

    /// `<name a="…">`.
    pub fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let _ = self.w.write_event(Event::Start(Self::open(name, attrs)));
    }

    /// `</name>`.
    pub fn end(&mut self, name: &str) {
        let _ = self.w.write_event(Event::End(BytesEnd::new(name)));
    }

    /// `<name a="…"/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let _ = self.w.write_event(Event::Empty(Self::open(name, attrs)));
    }

    /// `<name a="…">text</name>`.
    pub fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(name, attrs);
        let _ = self
            .w
            .write_event(Event::Text(BytesText::new(clean(text).as_ref())));
        self.end(name);
    }

    /// The document as a string, ending in a newline.
    pub fn finish(self) -> String {
        let mut s = String::from_utf8(self.w.into_inner()).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_removes_what_xml_cannot_hold() {
        let mut x = XmlWriter::new();
        x.start("a", &[("t", "\"q\" & 'x' <y>\u{0}")]);
        x.element("b", &[], "<script>alert(1)</script> & \u{1}\u{FFFF}ok");
        x.empty("c", &[("u", "https://x.org/?a=1&b=2")]);
        x.end("a");
        let s = x.finish();
        assert_eq!(
            s,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a t=\"&quot;q&quot; &amp; &apos;x&apos; &lt;y&gt;\">\n  \
             <b>&lt;script&gt;alert(1)&lt;/script&gt; &amp; ok</b>\n  <c u=\"https://x.org/?a=1&amp;b=2\"/>\n</a>\n"
        );
    }
}
