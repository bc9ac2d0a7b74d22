//! A document's text read from a file (issue 27): HTML, Markdown, TEI P5 or plain text
//! become the same thing, a list of headings and paragraphs of plain text, so that every
//! text is numbered, searched and shown alike whatever it came from. Markup is read, never
//! kept: no tag, script or style of the file reaches a page.
//!
//! Every reader walks its input without recursion (a hostile file nests as deep as it
//! likes), and a paragraph ends at every block boundary of its format: HTML's and TEI's
//! block elements, Markdown's block constructs, blank lines in plain text.

use crate::xml::{normalize_space, Limits, SafeXml, XmlError, XmlEvent};
use dossier_model::TextBlock;
use std::fmt;

/// The largest text file read (the texts NATO publishes are well under 1 MiB).
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// The formats a text is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    Html,
    Markdown,
    Tei,
    Plain,
}

impl TextFormat {
    /// The format a file's extension names (`.html`, `.htm`, `.xhtml`, `.md`,
    /// `.markdown`, `.xml`, `.tei`, `.txt`, `.text`), or `None`.
    pub fn from_path(path: &std::path::Path) -> Option<TextFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "html" | "htm" | "xhtml" => TextFormat::Html,
            "md" | "markdown" => TextFormat::Markdown,
            "xml" | "tei" => TextFormat::Tei,
            "txt" | "text" => TextFormat::Plain,
            _ => return None,
        })
    }

    /// The name a person types (`--format html`).
    pub fn parse(name: &str) -> Option<TextFormat> {
        Some(match name.to_ascii_lowercase().as_str() {
            "html" => TextFormat::Html,
            "markdown" | "md" => TextFormat::Markdown,
            "tei" | "xml" => TextFormat::Tei,
            "plain" | "text" | "txt" => TextFormat::Plain,
            _ => return None,
        })
    }
}

impl fmt::Display for TextFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TextFormat::Html => "HTML",
            TextFormat::Markdown => "Markdown",
            TextFormat::Tei => "TEI",
            TextFormat::Plain => "plain text",
        })
    }
}

/// Why a text file was refused; each says which file, and where when it can.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{file}: {size} bytes; a text file may hold at most {max} MiB", max = MAX_TEXT_BYTES >> 20)]
    TooBig { file: String, size: usize },
    #[error("{file}: not UTF-8 text (an invalid byte at offset {offset}); save it as UTF-8")]
    NotUtf8 { file: String, offset: usize },
    #[error("{file}: a NUL byte at offset {offset} (binary data); expected {format}")]
    Binary {
        file: String,
        offset: usize,
        format: TextFormat,
    },
    #[error("{0}")]
    Xml(#[from] XmlError),
    #[error("{file}: the {format} holds no text (no paragraph or heading with words in it)")]
    Empty { file: String, format: TextFormat },
}

/// The text of `bytes` (a whole file, named `file` in errors) read as `format`.
pub fn read_text(
    bytes: &[u8],
    format: TextFormat,
    file: &str,
) -> Result<Vec<TextBlock>, TextError> {
    if bytes.len() > MAX_TEXT_BYTES {
        return Err(TextError::TooBig {
            file: file.into(),
            size: bytes.len(),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| TextError::NotUtf8 {
        file: file.into(),
        offset: e.valid_up_to(),
    })?;
    if let Some(offset) = memchr::memchr(0, bytes) {
        return Err(TextError::Binary {
            file: file.into(),
            offset,
            format,
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let blocks = match format {
        TextFormat::Html => from_html(text),
        TextFormat::Markdown => from_markdown(text),
        TextFormat::Tei => from_tei(text, file)?,
        TextFormat::Plain => from_plain(text),
    };
    if blocks.is_empty() {
        return Err(TextError::Empty {
            file: file.into(),
            format,
        });
    }
    Ok(blocks)
}

/// Collects text into blocks: `flush` ends the block being written.
#[derive(Default)]
struct Blocks {
    out: Vec<TextBlock>,
    buf: String,
}

impl Blocks {
    fn push(&mut self, t: &str) {
        self.buf.push_str(t);
    }
    fn flush(&mut self, heading: bool) {
        let text = normalize_space(&self.buf);
        self.buf.clear();
        if !text.is_empty() {
            self.out.push(TextBlock { heading, text });
        }
    }
}

/// Plain text: paragraphs at blank lines, line breaks inside one joined.
pub fn from_plain(text: &str) -> Vec<TextBlock> {
    let mut b = Blocks::default();
    for line in text.lines() {
        if line.trim().is_empty() {
            b.flush(false);
        } else {
            b.push(line);
            b.push(" ");
        }
    }
    b.flush(false);
    b.out
}

/// HTML elements whose content is never text (or is the site's, not the document's).
const HTML_SKIPPED: &[&str] = &[
    "head", "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "button", "select", "svg", "math", "iframe", "object", "canvas", "dialog",
];

/// HTML elements a paragraph does not cross.
const HTML_BLOCKS: &[&str] = &[
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "section",
    "article",
    "main",
    "table",
    "tr",
    "td",
    "th",
    "caption",
    "figure",
    "figcaption",
    "hr",
    "br",
    "address",
    "center",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
];

/// HTML: headings `h1`–`h6`, and a paragraph per block; the page's `main` (else its
/// `article`, else its `body`) only, without navigation, headers, footers, scripts and
/// styles. A `<br>` inside a paragraph ends it, as a reader sees it.
pub fn from_html(html: &str) -> Vec<TextBlock> {
    use ego_tree::iter::Edge;
    use scraper::{Html, Node, Selector};
    let doc = Html::parse_document(html);
    let pick = |css: &str| {
        let sel = Selector::parse(css).expect("a fixed selector");
        doc.select(&sel).next()
    };
    let Some(root) = pick("main")
        .or_else(|| pick("article"))
        .or_else(|| pick("body"))
    else {
        return Vec::new();
    };
    let mut b = Blocks::default();
    let mut skipped = 0usize;
    let mut heading = 0usize;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(e) => {
                    let name = e.name();
                    if skipped > 0 || HTML_SKIPPED.contains(&name) {
                        skipped += 1;
                    } else if HTML_BLOCKS.contains(&name) {
                        b.flush(heading > 0);
                        if is_heading(name) {
                            heading += 1;
                        }
                    }
                }
                Node::Text(t) if skipped == 0 => b.push(t),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    let name = e.name();
                    if skipped > 0 {
                        skipped -= 1;
                    } else if HTML_BLOCKS.contains(&name) {
                        b.flush(heading > 0);
                        if is_heading(name) {
                            heading = heading.saturating_sub(1);
                        }
                    }
                }
            }
        }
    }
    b.flush(heading > 0);
    b.out
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Markdown (CommonMark with tables): headings, and a paragraph per block (paragraph,
/// list item, quotation, code block, table cell). Inline markup gives its words; raw HTML
/// in the Markdown is dropped, not read.
pub fn from_markdown(md: &str) -> Vec<TextBlock> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut b = Blocks::default();
    let mut heading = false;
    for event in Parser::new_ext(md, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                b.flush(false);
                heading = true;
            }
            Event::End(TagEnd::Heading(_)) => {
                b.flush(true);
                heading = false;
            }
            Event::Start(
                Tag::Paragraph
                | Tag::Item
                | Tag::BlockQuote(_)
                | Tag::CodeBlock(_)
                | Tag::TableCell
                | Tag::FootnoteDefinition(_),
            )
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Item
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::FootnoteDefinition,
            )
            | Event::Rule => b.flush(heading),
            Event::Text(t) | Event::Code(t) => b.push(&t),
            Event::SoftBreak | Event::HardBreak => b.push(" "),
            _ => {}
        }
    }
    b.flush(heading);
    b.out
}

/// TEI elements a paragraph does not cross (the `head` of a div is a heading).
const TEI_BLOCKS: &[&str] = &[
    "p",
    "ab",
    "item",
    "list",
    "l",
    "lg",
    "div",
    "table",
    "row",
    "cell",
    "figure",
    "opener",
    "closer",
    "dateline",
    "salute",
    "signed",
    "note",
    "quote",
    "sp",
    "trailer",
    "byline",
    "docTitle",
    "titlePart",
    "argument",
    "epigraph",
    "postscript",
    "lb",
];

/// TEI P5: the `<text>` only (not the header); `head` as headings, and a paragraph per
/// block element. The file is read by the guarded XML reader (no DTD, no entities
/// defined, bounded depth and text).
pub fn from_tei(tei: &str, file: &str) -> Result<Vec<TextBlock>, TextError> {
    let mut xml = SafeXml::new(tei.as_bytes(), file, Limits::default());
    let mut b = Blocks::default();
    let mut stack: Vec<String> = Vec::new();
    let mut in_text = 0usize;
    let mut heading = 0usize;
    loop {
        match xml.next_event()? {
            XmlEvent::Start(e) => {
                stack.push(e.name.clone());
                if e.name == "text" && !stack.iter().any(|n| n == "teiHeader") {
                    in_text += 1;
                }
                if in_text == 0 {
                    continue;
                }
                if e.name == "head" {
                    b.flush(heading > 0);
                    heading += 1;
                } else if TEI_BLOCKS.contains(&e.name.as_str()) {
                    b.flush(heading > 0);
                }
            }
            XmlEvent::End { name, .. } => {
                stack.pop();
                if in_text > 0 {
                    if name == "head" {
                        b.flush(true);
                        heading = heading.saturating_sub(1);
                    } else if TEI_BLOCKS.contains(&name.as_str()) {
                        b.flush(heading > 0);
                    }
                }
                if name == "text" && in_text > 0 && !stack.iter().any(|n| n == "teiHeader") {
                    in_text -= 1;
                }
            }
            XmlEvent::Text(t) if in_text > 0 => b.push(&t),
            XmlEvent::Text(_) => {}
            XmlEvent::Eof => break,
        }
    }
    b.flush(false);
    Ok(b.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(blocks: &[TextBlock]) -> Vec<String> {
        blocks
            .iter()
            .map(|b| {
                if b.heading {
                    format!("# {}", b.text)
                } else {
                    b.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn html_gives_headings_and_paragraphs_of_the_main_content_only() {
        let html = r#"<!doctype html><html><head><title>T</title><style>p{}</style>
            <script>alert(1)</script></head><body><nav><a href="/">Home</a></nav>
            <header>Site header</header><main><h1>Founding <em>Act</em></h1>
            <p>The Parties <b>agree</b>:</p><ul><li>one</li><li>two<br>lines</li></ul>
            <script>document.write("x")</script><p>&lt;script&gt;alert(2)&lt;/script&gt;</p>
            <table><tr><td>cell</td></tr></table></main><footer>Footer</footer></body></html>"#;
        assert_eq!(
            show(&from_html(html)),
            [
                "# Founding Act",
                "The Parties agree:",
                "one",
                "two",
                "lines",
                "<script>alert(2)</script>",
                "cell"
            ]
        );
        // Without main: the body.
        assert_eq!(show(&from_html("<p>a</p><p> b  c </p>")), ["a", "b c"]);
    }

    #[test]
    fn markdown_gives_its_words_not_its_markup() {
        let md = "# Title\n\nSome *text* with `code` and [a link](javascript:alert(1)).\n\n<script>alert(1)</script>\n\n- item one\n- item **two**\n\n> quoted\n> on two lines\n\n## Part II\nSecond.";
        assert_eq!(
            show(&from_markdown(md)),
            [
                "# Title",
                "Some text with code and a link.",
                "item one",
                "item two",
                "quoted on two lines",
                "# Part II",
                "Second."
            ]
        );
    }

    #[test]
    fn tei_gives_the_texts_heads_and_blocks_not_the_header() {
        let tei = r#"<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>Header title</title></titleStmt></fileDesc></teiHeader>
            <text><body><div><head>Section I</head><p>First <hi>paragraph</hi>.</p>
            <list><item>an item</item></list><p>Second<lb/>line.</p></div></body></text></TEI>"#;
        assert_eq!(
            show(&from_tei(tei, "t.xml").unwrap()),
            [
                "# Section I",
                "First paragraph.",
                "an item",
                "Second",
                "line."
            ]
        );
        let e = from_tei("<!DOCTYPE x [<!ENTITY a \"b\">]><TEI/>", "bad.xml").unwrap_err();
        assert!(e.to_string().starts_with("bad.xml:1:"), "{e}");
    }

    #[test]
    fn plain_text_paragraphs_are_at_blank_lines() {
        assert_eq!(
            show(&from_plain("One\nline.\n\n\n  Two.  \n")),
            ["One line.", "Two."]
        );
    }

    #[test]
    fn hostile_files_are_refused_or_read_in_bounded_work() {
        // Too big, not UTF-8, binary, empty: refused, naming the file.
        let big = vec![b'a'; MAX_TEXT_BYTES + 1];
        let e = read_text(&big, TextFormat::Plain, "big.txt").unwrap_err();
        assert!(e.to_string().starts_with("big.txt: "), "{e}");
        let e = read_text(b"ab\xff", TextFormat::Plain, "x.txt").unwrap_err();
        assert_eq!(
            e,
            TextError::NotUtf8 {
                file: "x.txt".into(),
                offset: 2
            }
        );
        let e = read_text(b"a\0b", TextFormat::Html, "x.html").unwrap_err();
        assert!(e.to_string().contains("NUL byte at offset 1"), "{e}");
        let e = read_text(b"<script>alert(1)</script>", TextFormat::Html, "x.html").unwrap_err();
        assert!(e.to_string().contains("holds no text"), "{e}");
        // Deep nesting: read without recursion.
        let deep_html = format!("{}deep{}", "<div>".repeat(20_000), "</div>".repeat(20_000));
        assert_eq!(show(&from_html(&deep_html)), ["deep"]);
        let deep_md = format!("{}deep", "> ".repeat(2_000));
        assert_eq!(show(&from_markdown(&deep_md)), ["deep"]);
        let deep_list = format!("{}deep", "- ".repeat(2_000));
        assert_eq!(show(&from_markdown(&deep_list)), ["deep"]);
        // TEI past the XML reader's depth limit: refused with the place.
        let deep_tei = format!(
            "<TEI><text>{}x{}</text></TEI>",
            "<hi>".repeat(1_000),
            "</hi>".repeat(1_000)
        );
        let e = read_text(deep_tei.as_bytes(), TextFormat::Tei, "deep.xml").unwrap_err();
        assert!(e.to_string().starts_with("deep.xml:1:"), "{e}");
    }

    #[test]
    fn formats_from_extensions_and_names() {
        use std::path::Path;
        assert_eq!(
            TextFormat::from_path(Path::new("a/b.HTM")),
            Some(TextFormat::Html)
        );
        assert_eq!(
            TextFormat::from_path(Path::new("b.md")),
            Some(TextFormat::Markdown)
        );
        assert_eq!(
            TextFormat::from_path(Path::new("b.xml")),
            Some(TextFormat::Tei)
        );
        assert_eq!(
            TextFormat::from_path(Path::new("b.txt")),
            Some(TextFormat::Plain)
        );
        assert_eq!(TextFormat::from_path(Path::new("b.pdf")), None);
        assert_eq!(TextFormat::parse("Markdown"), Some(TextFormat::Markdown));
        assert_eq!(TextFormat::parse("docx"), None);
    }
}
