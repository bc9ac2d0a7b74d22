//! The HTML reader of the outline importer: an archive page saved as HTML (headings
//! `<h1>`–`<h6>`, paragraphs, lists, links) becomes the same lines the text reader makes,
//! and the one outline builder in [`crate::outline`] rebuilds the dossier from them.
//!
//! The page is parsed by `html5ever` (through `scraper`), as a browser would, and walked
//! without recursion, so deep nesting costs neither stack nor more than linear time. It is
//! sanitised by construction: only text nodes reach the model (and the builder
//! Markdown-escapes them); scripts, styles, frames, forms, embedded objects, SVG and MathML
//! are skipped whole; no attribute is kept except an `<a href>` whose address is absolute
//! `http` or `https` — `javascript:`, `data:`, relative and other links are dropped and
//! their text kept.

use crate::outline::{build, Line, Link, OutlineError, Role};
use dossier_model::Dossier;
use ego_tree::iter::Edge;
use scraper::{Html, Node};

/// Elements whose whole content is dropped: executable, styling, embedded or interactive.
const SKIPPED: [&str; 20] = [
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed",
    "applet", "form", "input", "button", "select", "textarea", "svg", "math", "canvas", "audio",
    "video",
];

/// Elements that end a paragraph.
const BLOCKS: [&str; 18] = [
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "nav",
    "blockquote",
    "table",
    "tr",
    "dl",
    "dt",
    "dd",
    "pre",
    "address",
    "hr",
];

/// Whether `text` (from `file`) is an HTML page: by extension, or by a doctype, `<html>`,
/// `<body>` or heading tag near the start of a file that begins with markup.
pub fn is_html(text: &str, file: &str) -> bool {
    let lower_name = file.to_ascii_lowercase();
    if lower_name.ends_with(".html") || lower_name.ends_with(".htm") {
        return true;
    }
    let head = text.trim_start();
    if !head.starts_with('<') {
        return false;
    }
    let mut end = head.len().min(1024);
    while !head.is_char_boundary(end) {
        end -= 1;
    }
    let start = head[..end].to_ascii_lowercase();
    [
        "<!doctype html",
        "<html",
        "<body",
        "<h1",
        "<h2",
        "<h3",
        "<h4",
        "<h5",
        "<h6",
    ]
    .iter()
    .any(|t| start.contains(t))
}

/// The deepest element nesting a page may have. HTML parsing checks the stack of open
/// elements at each tag, so deep nesting costs time quadratic in its depth; no archive
/// page comes near this.
pub const MAX_DEPTH: usize = 1024;

/// Elements that close themselves or whose end tag may be left out: they do not deepen.
const NO_DEPTH: [&str; 29] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
    "tfoot", "colgroup", "html", "head", "body",
];

/// A cheap scan of the tags for the deepest nesting, before the real parse.
fn nesting_depth(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut depth, mut max, mut i) = (0usize, 0usize, 0usize);
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        i += off + 1;
        if b[i..].starts_with(b"!--") {
            match text[i..].find("-->") {
                Some(end) => i += end + 3,
                None => break,
            }
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let len = b[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if len == 0 {
            continue;
        }
        let name = text[start..start + len].to_ascii_lowercase();
        if NO_DEPTH.contains(&name.as_str()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            let tag_end = b[start..]
                .iter()
                .position(|&c| c == b'>')
                .map(|p| start + p);
            if tag_end.is_some_and(|e| b[e - 1] == b'/') {
                continue;
            }
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

/// Reads an HTML archive page into a dossier (see the module documentation).
pub fn parse(text: &str, file: &str) -> Result<Dossier, OutlineError> {
    let depth = nesting_depth(text);
    if depth > MAX_DEPTH {
        return Err(OutlineError::NotAnOutline {
            file: file.into(),
            found: format!("elements are nested {depth} deep"),
            expected: format!("an archive page nested at most {MAX_DEPTH} elements deep"),
        });
    }
    let heading_lines = heading_lines(text);
    let html = Html::parse_document(text);
    let mut r = Reader::default();
    // Heading elements met so far, skipped ones included: the n-th is the n-th heading
    // tag of the source, whose line `heading_lines` knows.
    let mut headings_seen = 0usize;
    // Depth of skipped elements we are inside; text there is dropped.
    let mut skipping = 0usize;
    for edge in html.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(el) => {
                    let name = el.name();
                    if is_heading(name) {
                        r.heading_at = headings_seen;
                        headings_seen += 1;
                    }
                    if skipping > 0 || SKIPPED.contains(&name) {
                        skipping += 1;
                        continue;
                    }
                    r.open(name, el.attr("href"));
                }
                Node::Text(t) if skipping == 0 => r.text(t),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(el) = node.value() {
                    if skipping > 0 {
                        skipping -= 1;
                        continue;
                    }
                    r.close(el.name());
                }
            }
        }
    }
    r.flush(Role::Blank);
    let mut lines = r.lines;
    // Line numbers for headings, where the source's heading tags and the parsed page's
    // heading elements agree in number (markup a browser reads differently, such as a
    // heading inside a template, leaves them unknown rather than wrong).
    if headings_seen == heading_lines.len() {
        for (at, n) in r.heading_of {
            lines[at].no = heading_lines[n];
        }
    }
    if !lines.iter().any(|l| l.role == Role::Title) {
        if let Some(t) = r.page_title.filter(|t| !t.is_empty()) {
            lines.insert(0, line(Role::Title, t, Vec::new()));
        }
    }
    build(lines, file, true)
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Elements whose content is text to the HTML parser, not markup: a heading tag inside one
/// is no heading (`noscript` too: the page is parsed with scripting on, as browsers do).
const RAW_TEXT: [&str; 9] = [
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// The line number of each heading start tag (`<h1>`–`<h6>`) of the source, in order: a
/// scan like [`nesting_depth`]'s, which passes over comments and the content of raw-text
/// elements as the parser does. Linear in the length of the text.
fn heading_lines(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line, mut counted) = (0usize, 1usize, 0usize);
    let line_at = |pos: usize, line: &mut usize, counted: &mut usize| {
        *line += b[*counted..pos].iter().filter(|&&c| c == b'\n').count();
        *counted = pos;
        *line
    };
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        let tag = i + off;
        i = tag + 1;
        if b[i..].starts_with(b"!--") {
            match text[i..].find("-->") {
                Some(end) => i += end + 3,
                None => break,
            }
            continue;
        }
        let len = b[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if len == 0 {
            continue;
        }
        let name = text[i..i + len].to_ascii_lowercase();
        if is_heading(&name) {
            out.push(line_at(tag, &mut line, &mut counted));
        } else if RAW_TEXT.contains(&name.as_str()) {
            // Up to the matching end tag, whatever it holds.
            let mut at = i + len;
            loop {
                let Some(off) = b[at..].iter().position(|&c| c == b'<') else {
                    return out;
                };
                at += off + 1;
                let end = at + 1 + len;
                if b.get(at) == Some(&b'/')
                    && end <= b.len()
                    && b[at + 1..end].eq_ignore_ascii_case(name.as_bytes())
                {
                    i = end;
                    break;
                }
            }
        }
    }
    out
}

fn line(role: Role, text: String, links: Vec<Link>) -> Line {
    Line {
        no: 0,
        role,
        text,
        links,
    }
}

/// Gathers text into lines while the page is walked.
#[derive(Default)]
struct Reader {
    lines: Vec<Line>,
    cur: String,
    links: Vec<Link>,
    /// The role the line being gathered will get.
    role: Option<Role>,
    /// Open `<a>` elements: where their text starts and their address, if kept.
    anchors: Vec<(usize, Option<String>)>,
    in_head: bool,
    in_title: bool,
    page_title: Option<String>,
    /// Open list items.
    items: usize,
    /// The number of the heading element being read, in document order.
    heading_at: usize,
    /// (index in `lines`, number of its heading element) of each heading line.
    heading_of: Vec<(usize, usize)>,
}

impl Reader {
    fn open(&mut self, name: &str, href: Option<&str>) {
        match name {
            "head" => self.in_head = true,
            "title" if self.in_head => self.in_title = true,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush(Role::Blank);
                let title_taken = self.lines.iter().any(|l| l.role == Role::Title);
                self.role = Some(if name == "h1" && !title_taken {
                    Role::Title
                } else {
                    Role::Heading
                });
            }
            "li" => {
                self.flush_line();
                self.items += 1;
                self.role = Some(Role::Bullet);
            }
            "ul" | "ol" => self.flush_line(),
            "br" => self.flush_line(),
            "a" => {
                let start = self.cur.len();
                self.anchors.push((start, href.and_then(web_address)));
            }
            _ if BLOCKS.contains(&name) => self.flush(Role::Blank),
            _ => {}
        }
    }

    fn close(&mut self, name: &str) {
        match name {
            "head" => self.in_head = false,
            "title" => self.in_title = false,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => self.flush(Role::Blank),
            "li" => {
                self.flush_line();
                self.items = self.items.saturating_sub(1);
            }
            "ul" | "ol" => {
                if self.items == 0 {
                    self.flush(Role::Blank);
                } else {
                    self.flush_line();
                }
            }
            "a" => {
                if let Some((start, Some(url))) = self.anchors.pop() {
                    let end = self.cur.trim_end().len();
                    let start = start.min(end);
                    // The link's words, without the spaces around them.
                    let words = &self.cur[start..end];
                    let start = start + (words.len() - words.trim_start().len());
                    if end > start {
                        self.links.push(Link { start, end, url });
                    }
                }
            }
            _ if BLOCKS.contains(&name) => self.flush(Role::Blank),
            _ => {}
        }
    }

    /// Adds a text node, with runs of white space collapsed and control characters dropped.
    fn text(&mut self, t: &str) {
        if self.in_head {
            if self.in_title {
                let title = self.page_title.get_or_insert_with(String::new);
                push_collapsed(title, t);
            }
            return;
        }
        push_collapsed(&mut self.cur, t);
    }

    /// Ends the line being gathered (if any text), keeping the paragraph open.
    fn flush_line(&mut self) {
        let text = self.cur.trim_end();
        if text.is_empty() {
            self.cur.clear();
            self.links.clear();
            self.role = if self.items > 0 { self.role } else { None };
            return;
        }
        let text = text.to_string();
        let role = self.role.take().unwrap_or(if self.items > 0 {
            Role::Bullet
        } else {
            Role::Text
        });
        // A list item's text after a nested list is a continuation, not a new item.
        let role = if role == Role::Bullet && self.items == 0 {
            Role::Text
        } else {
            role
        };
        let links = std::mem::take(&mut self.links);
        if matches!(role, Role::Heading | Role::Title) {
            self.heading_of.push((self.lines.len(), self.heading_at));
        }
        self.lines.push(line(role, text, links));
        self.cur.clear();
        // Open anchors continue on the next line from its start.
        for a in &mut self.anchors {
            a.0 = 0;
        }
    }

    /// Ends the line being gathered and then the paragraph.
    fn flush(&mut self, end: Role) {
        self.flush_line();
        self.role = None;
        if self.lines.last().is_some_and(|l| l.role != Role::Blank) {
            self.lines.push(line(end, String::new(), Vec::new()));
        }
    }
}

fn push_collapsed(out: &mut String, t: &str) {
    for c in t.chars() {
        if c.is_whitespace() {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else if !c.is_control() {
            out.push(c);
        }
    }
}

/// The address of a link if it is an absolute `http` or `https` URL (the model's one rule,
/// `dossier_model::url::check_url`; the parser has already decoded character references,
/// so `&#106;avascript:` arrives as `javascript:`). White space around an `href` is
/// trimmed, as browsers do. Anything else (scripts, `data:`, `mailto:`, relative paths
/// that resolve against nothing) loses its address and keeps its text: archive pages are
/// full of ordinary relative links, and refusing a page for them would refuse most pages,
/// while a dropped address stores nothing a browser could follow.
fn web_address(href: &str) -> Option<String> {
    let href = href.trim_matches(|c: char| c.is_ascii_whitespace());
    dossier_model::url::check_url(href)
        .is_ok()
        .then(|| href.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_outline;
    use dossier_model::{Reference, Target};

    const SEED_TXT: &str = include_str!("../../../data/nato-russia.seed.txt");
    const SEED_HTML: &str = include_str!("../../../tests/fixtures/nato-russia.seed.html");

    fn sections(d: &Dossier) -> Vec<(String, String, String, Option<String>)> {
        d.all_sections()
            .iter()
            .map(|s| {
                (
                    s.key.clone(),
                    s.label.clone(),
                    s.title.clone(),
                    s.short_title.clone(),
                )
            })
            .collect()
    }

    fn refs(d: &Dossier) -> Vec<(String, String)> {
        d.all_sections()
            .iter()
            .flat_map(|s| {
                s.references
                    .iter()
                    .filter(|r| !r.mention)
                    .map(|r| (s.key.clone(), r.text.clone()))
            })
            .collect()
    }

    #[test]
    fn html_seed_gives_the_same_outline_as_the_text_seed() {
        let txt = parse_outline(SEED_TXT.as_bytes(), "nato-russia.seed.txt").unwrap();
        let html = parse_outline(SEED_HTML.as_bytes(), "nato-russia.seed.html").unwrap();
        assert_eq!(html.title, txt.title);
        assert_eq!(html.slug, txt.slug);
        assert_eq!(sections(&html), sections(&txt));
        assert_eq!(refs(&html), refs(&txt));
        // Lists implied by parts B–D are the same too.
        let lists = |d: &Dossier| -> Vec<usize> {
            d.all_sections().iter().map(|s| s.lists.len()).collect()
        };
        assert_eq!(lists(&html), lists(&txt));
    }

    #[test]
    fn links_on_reference_sentences_become_external_targets() {
        let d = parse_outline(SEED_HTML.as_bytes(), "page.html").unwrap();
        let pfp = d
            .all_sections()
            .into_iter()
            .find(|s| s.key == "a-ii-1")
            .unwrap();
        assert_eq!(
            pfp.references[0],
            Reference {
                text: "Click here to see the PfP Framework Document describing the activities of this programme".into(),
                target: Some(Target::External {
                    title: "Click here to see the PfP Framework Document describing the activities of this programme".into(),
                    url: Some("https://www.nato.int/docu/basictxt/b940110b.htm".into()),
                }),
                mention: false,
            }
        );
        // A reference without a link stays unresolved, for the curated file to resolve.
        let a = d
            .all_sections()
            .into_iter()
            .find(|s| s.key == "a-i-1")
            .unwrap();
        assert_eq!(a.references[0].target, None);
        assert!(a
            .commentary
            .contains("[See the archive on Formal NATO-Ukraine Relations](ref:1)."));
    }

    #[test]
    fn the_curated_file_resolves_the_html_outline_too() {
        let d = parse_outline(SEED_HTML.as_bytes(), "page.html").unwrap();
        let text = include_str!("../../../data/nato-russia.toml");
        let data = crate::CuratedData::parse(text, "nato-russia.toml").unwrap();
        let archive = crate::apply_curated(d, data, "nato-russia.toml", &|_, _| true).unwrap();
        let d = &archive.dossiers[0];
        let pfp = d
            .all_sections()
            .into_iter()
            .find(|s| s.key == "a-ii-1")
            .unwrap();
        // The curated resolution wins over the link's address.
        assert!(
            !matches!(pfp.references[0].target, Some(Target::External { .. })),
            "{:?}",
            pfp.references[0].target
        );
    }

    #[test]
    fn hostile_html_leaves_only_text() {
        let mut page = String::from(
            "<!DOCTYPE html><html><head><title>T</title><script>alert('head')</script>\
             <style>body{background:url(javascript:alert(1))}</style></head>\
             <body onload=\"alert('load')\"><h1 onclick=\"alert(1)\">Hostile <b>Page</b></h1>\
             <h2>A. Part <script>alert('h2')</script>One</h2>\
             <p>Text <img src=x onerror=\"alert('img')\"> with <a href=\"javascript:alert(1)\">a script link</a>, \
             <a href=\"data:text/html,<script>alert(1)</script>\">data</a>, \
             <a href=\"/relative/page.html\">relative</a> and <a href=\"https://example.org/ok?a=1\">a web link</a>.</p>\
             <p>Click <a href=\"javascript:alert(2)\">here</a> for the report.</p>\
             <iframe src=\"https://evil.example\">framed text</iframe>\
             <form action=\"https://evil.example\"><input value=\"in a form\"><button>press</button></form>\
             <p>*emphasis* [md](javascript:x) &lt;script&gt;alert(3)&lt;/script&gt; <svg><script>alert(4)</script></svg></p>\
             <h2>B. Deep</h2>",
        );
        let mut huge = page.clone();
        for _ in 0..400 {
            page.push_str("<div><span>");
        }
        page.push_str("deep text");
        page.push_str("</body></html>");
        // Nesting beyond the limit is refused at once, before parsing.
        for _ in 0..1_000_000 {
            huge.push_str("<div>");
        }
        let e = parse_outline(huge.as_bytes(), "huge.html").unwrap_err();
        assert_eq!(
            e.to_string(),
            "huge.html: elements are nested 1000000 deep; expected an archive page nested at most 1024 elements deep"
        );
        let d = parse_outline(page.as_bytes(), "hostile.html").unwrap();
        assert_eq!(d.title, "Hostile Page");
        let a = &d.sections[0];
        assert_eq!(a.title, "Part One");
        let all: String = d
            .all_sections()
            .iter()
            .map(|s| format!("{} {} {:?}", s.title, s.commentary, s.references))
            .collect();
        for bad in [
            "alert('",
            "onerror",
            "onload",
            "onclick",
            "javascript:alert(1)",
            "javascript:alert(2)",
            "data:",
            "/relative",
            "framed text",
            "in a form",
            "press",
            "alert(4)",
            "background",
        ] {
            assert!(!all.contains(bad), "{bad:?} survived: {all}");
        }
        // Link texts are kept; only the web link keeps its address, as a mention.
        assert!(a.commentary.contains("a script link"), "{}", a.commentary);
        assert!(a.commentary.contains("relative and [a web link](ref:1)."));
        assert_eq!(
            a.references[0].target,
            Some(Target::External {
                title: "a web link".into(),
                url: Some("https://example.org/ok?a=1".into())
            })
        );
        // The reference sentence with a script link is a reference without a target.
        assert_eq!(a.references[1].text, "Click here for the report");
        assert_eq!(a.references[1].target, None);
        // Markup written as text stays text: escaped for Markdown.
        assert!(a
            .commentary
            .contains("\\*emphasis\\* \\[md\\](javascript:x) \\<script\\>alert(3)\\</script\\>"));
        let b = &d.sections[1];
        assert_eq!(b.commentary, "deep text");
    }

    /// Issue 20, finding 3: every spelling of a hostile address, written straight or as
    /// character references, loses its address and keeps its text; a web address stays.
    #[test]
    fn hostile_hrefs_of_every_spelling_keep_only_their_text() {
        let mut spellings: Vec<String> = dossier_model::url::HOSTILE_URLS
            .iter()
            .map(|u| {
                u.replace('&', "&amp;")
                    .replace('"', "&quot;")
                    .replace('<', "&lt;")
                    // A raw control byte makes the page binary (refused whole).
                    .replace('\u{1}', "&#1;")
            })
            .collect();
        spellings.extend(
            [
                "&#106;avascript:alert(1)",
                "&#x6A;&#x61;&#x76;&#x61;script:alert(1)",
                "java&#9;script:alert(1)",
                "java&Tab;script:alert(1)",
                "java&#10;script:alert(1)",
                "javascript&colon;alert(1)",
                "&#32;javascript:alert(1)",
                "JaVaScRiPt:alert(1)",
                "jav&#x0D;ascript:alert(1)",
            ]
            .map(String::from),
        );
        for href in spellings {
            let page = format!(
                "<html><body><h1>T</h1><h2>A. Part</h2><p>See <a href=\"{href}\">the text</a> \
                 and <a href=\"https://example.org/x\">a web link</a>.</p></body></html>"
            );
            let d = parse_outline(page.as_bytes(), "p.html").unwrap();
            let a = &d.sections[0];
            assert!(
                a.commentary.starts_with("See the text and"),
                "{href}: {}",
                a.commentary
            );
            let urls: Vec<&str> = dossier_model::url::dossier_urls(&d)
                .into_iter()
                .map(|(_, u)| u)
                .collect();
            assert_eq!(urls, ["https://example.org/x"], "{href}");
        }
    }

    #[test]
    fn pages_that_are_not_outlines_are_refused_with_what_was_expected() {
        let e = parse_outline(
            b"<html><body><h1>Title</h1><p>Only prose, no headings.</p></body></html>",
            "prose.html",
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "prose.html: reached the end of the file without a heading; expected part or \
             section headings (<h2>–<h6>) such as \"A. Official Documents and Declarations\", \
             \"I. Background\" or \"1.1 Peacekeeping\" after the title"
        );
        let e = parse_outline(b"<p>No title at all</p>", "x.htm").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.htm: the page has no <h1> or <title>"),
            "{e}"
        );
        let e = parse_outline(b"<html>\0</html>", "bin.html").unwrap_err();
        assert!(matches!(e, OutlineError::Binary { .. }), "{e}");
    }

    #[test]
    fn an_html_outline_deeper_than_a_dossier_may_be_is_refused_at_its_heading() {
        use dossier_model::MAX_SECTION_DEPTH;
        for levels in [63, 2000] {
            // Each heading on a line of its own, after a comment and a script that hold
            // heading tags the parser does not read as headings.
            let mut page = String::from(
                "<!doctype html>\n<html><head><title>Deep</title>\n<script>var h = '<h2>';</script>\n<!-- <h2>old</h2> -->\n</head><body><noscript><h2>No</h2></noscript>\n<h1>Deep</h1>\n<h2>A. Part</h2>\n",
            );
            for k in 1..=levels {
                let label = vec!["1"; k].join(".");
                page.push_str(&format!("<h3>{label}. Level {k}</h3>\n<p>Text {k}.</p>\n"));
            }
            page.push_str("</body></html>\n");
            // Line 7 holds part A. (depth 1); heading k is on line 6 + 2k.
            let line = 6 + 2 * MAX_SECTION_DEPTH;
            let e = parse(&page, "deep.html").unwrap_err();
            assert!(
                matches!(e, OutlineError::TooDeep { line: l, .. } if l == line),
                "{e}"
            );
            assert!(
                e.to_string().starts_with(&format!("deep.html:{line}: heading \"1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1. Level 16\" would be a section nested 17 deep")),
                "{e}"
            );
        }
    }

    #[test]
    fn heading_tags_are_found_on_their_lines() {
        let page = "<h1>T</h1>\n<!-- <h2> -->\n<SCRIPT>'<h2>'</script >\n<p>x</p><H2 class=a>A. P</H2>\n<textarea><h3></TEXTAREA><h3>B</h3>\n<noscript><h2>x</h2></noscript><h4>C</h4>";
        assert_eq!(heading_lines(page), [1, 4, 5, 6]);
    }

    #[test]
    fn html_is_told_by_content_or_extension() {
        assert!(is_html("<!DOCTYPE html><p>x", "page"));
        assert!(is_html("  <html lang=en>", "page.txt"));
        assert!(is_html("<h1>T</h1>", "page"));
        assert!(is_html("Title\n\nA. Part\n", "PAGE.HTM"));
        assert!(!is_html("Title\n\nA. <h1> in text\n", "page.txt"));
        assert!(!is_html(SEED_TXT, "nato-russia.seed.txt"));
    }
}
