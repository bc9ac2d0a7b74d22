//! A small XML tree for tests, read with quick-xml: reading fails on anything that is not
//! well-formed (mismatched or unclosed tags, bad entities), which is the first check of
//! every XML format.

use quick_xml::events::Event;
use quick_xml::Reader;

/// An element: its name as written (with prefix), attributes, text and children.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The children called `name`.
    pub fn all(&self, name: &str) -> Vec<&Node> {
        self.children.iter().filter(|c| c.name == name).collect()
    }

    /// Every element called `name` at any depth, in document order.
    pub fn find(&self, name: &str) -> Vec<&Node> {
        let mut out = Vec::new();
        for c in &self.children {
            if c.name == name {
                out.push(c);
            }
            out.extend(c.find(name));
        }
        out
    }

    /// The text of the first child called `name`.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Parses a document; panics with the position and the text if it is not well-formed.
pub fn parse(xml: &str) -> Node {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let event = reader.read_event().unwrap_or_else(|e| {
            panic!(
                "not well-formed at byte {}: {e}\n{xml}",
                reader.buffer_position()
            )
        });
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let mut node = Node {
                    name: e.name().as_ref().to_string(),
                    ..Default::default()
                };
                for a in e.attributes() {
                    let a = a.unwrap_or_else(|err| panic!("bad attribute: {err}\n{xml}"));
                    node.attrs.push((
                        a.key.as_ref().to_string(),
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap_or_else(|err| panic!("bad attribute value: {err}\n{xml}"))
                            .into_owned(),
                    ));
                }
                if empty {
                    stack.last_mut().unwrap().children.push(node);
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let node = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(node);
            }
            Event::Text(t) => {
                stack.last_mut().unwrap().text.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) => {
                let name = r.as_ref().to_string();
                if r.is_char_ref() {
                    let c = r
                        .resolve_char_ref()
                        .unwrap_or_else(|e| panic!("bad character reference: {e}\n{xml}"))
                        .unwrap();
                    stack.last_mut().unwrap().text.push(c);
                    continue;
                }
                let c = match name.as_str() {
                    "lt" => "<".to_string(),
                    "gt" => ">".to_string(),
                    "amp" => "&".to_string(),
                    "quot" => "\"".to_string(),
                    "apos" => "'".to_string(),
                    other => panic!("undefined entity &{other};\n{xml}"),
                };
                stack.last_mut().unwrap().text.push_str(&c);
            }
            Event::CData(t) => {
                stack.last_mut().unwrap().text.push_str(&t.xml10_content());
            }
            Event::DocType(_) => panic!("a DOCTYPE in our output\n{xml}"),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements\n{xml}");
    let mut root = stack.pop().unwrap();
    assert_eq!(root.children.len(), 1, "one root element\n{xml}");
    root.children.pop().unwrap()
}

/// Validates `xml` against the XML schema `xsd` with xmllint (Debian: libxml2-utils).
/// Returns false, having said so on stderr, when xmllint is not installed; CI installs it.
pub fn validate(xml: &str, xsd: &str) -> bool {
    use std::process::Command;
    if Command::new("xmllint").arg("--version").output().is_err() {
        eprintln!(
            "SKIPPED schema validation: xmllint is not installed \
             (apt-get install libxml2-utils); well-formedness was still checked"
        );
        return false;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("response.xml");
    std::fs::write(&file, xml).unwrap();
    let mut cmd = Command::new("xmllint");
    cmd.args(["--noout", "--nonet", "--schema", xsd]).arg(&file);
    // Published schemas import others from their network addresses; a catalog beside the
    // schema maps those to local copies (xmllint with --nonet still consults catalogs).
    let catalog = std::path::Path::new(xsd).with_file_name("catalog.xml");
    if catalog.exists() {
        cmd.env("XML_CATALOG_FILES", catalog.canonicalize().unwrap());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{xsd} rejects the document:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    true
}
