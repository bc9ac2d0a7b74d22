//! A verb's answer held back: the request element comes before the answer in the
//! response, but only a finished answer says whether the request was an error.

use crate::xml::XmlWriter;

/// Elements written after the request element is known to be valid: the verb's body is
/// built first (it may turn out to be an error), then replayed into the response.
#[derive(Default)]
pub(super) struct XmlBuffer {
    ops: Vec<Op>,
}

enum Op {
    Start(String, Vec<(String, String)>),
    End(String),
    Element(String, Vec<(String, String)>, String),
    Empty(String, Vec<(String, String)>),
}

impl XmlBuffer {
    pub(super) fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.ops.push(Op::Start(name.into(), own(attrs)));
    }
    pub(super) fn end(&mut self, name: &str) {
        self.ops.push(Op::End(name.into()));
    }
    pub(super) fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.ops
            .push(Op::Element(name.into(), own(attrs), text.into()));
    }
    pub(super) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.ops.push(Op::Empty(name.into(), own(attrs)));
    }
    pub(super) fn replay(self, x: &mut XmlWriter) {
        for op in self.ops {
            match op {
                Op::Start(n, a) => x.start(&n, &borrow(&a)),
                Op::End(n) => x.end(&n),
                Op::Element(n, a, t) => x.element(&n, &borrow(&a), &t),
                Op::Empty(n, a) => x.empty(&n, &borrow(&a)),
            }
        }
    }
}

fn own(attrs: &[(&str, &str)]) -> Vec<(String, String)> {
    attrs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn borrow(attrs: &[(String, String)]) -> Vec<(&str, &str)> {
    attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// EAC-CPF records are written into a verb's answer like any other element.
impl crate::eac::XmlSink for XmlBuffer {
    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        XmlBuffer::start(self, name, attrs)
    }
    fn end(&mut self, name: &str) {
        XmlBuffer::end(self, name)
    }
    fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        XmlBuffer::element(self, name, attrs, text)
    }
    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        XmlBuffer::empty(self, name, attrs)
    }
}
