//! The outline importer: reads an archive page as plain text and rebuilds its structure.
//!
//! What it recognises (the shape of the seed page):
//! - the first non-empty line is the dossier's title;
//! - an optional table of contents right after it (a block of headings, then a blank
//!   line), whose shorter titles are kept as `short_title`;
//! - headings with labels as written: parts `A.`, roman `I.`, arabic `1.`, decimal `1.1`
//!   or `3.6.`, letters `a)`; and unnumbered list headings (`List of Meetings …:`);
//! - paragraphs (lines up to a blank line) and bullet items (`•`, `*`, `-`);
//! - references: sentences with "Click here", "Check here", "See the archive",
//!   "For more information see", and an "or the …" line that continues one.
//!
//! The result is a [`Dossier`] whose references are all unresolved; the curated data
//! file resolves them.

use crate::markdown::{escape, escape_line};
use dossier_model::{
    slugify, Dossier, GeneratedList, ListOf, Reference, Section, Target, MAX_SECTION_DEPTH,
};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// Why a file is not an archive outline. Each names the file, the line and what was
/// expected, so that a person can fix the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutlineError {
    /// The bytes are not UTF-8 text.
    #[error(
        "{file}:{line}:{column}: invalid UTF-8 (byte 0x{byte:02x}); expected a UTF-8 text file"
    )]
    InvalidUtf8 {
        file: String,
        line: usize,
        column: usize,
        byte: u8,
    },
    /// A NUL byte or other control data: this is a binary file.
    #[error("{file}:{line}: binary data (control byte 0x{byte:02x}); expected a plain-text archive outline")]
    Binary { file: String, line: usize, byte: u8 },
    /// Nothing in the file.
    #[error("{file}:1: the file is empty; expected a dossier title on the first line")]
    Empty { file: String },
    /// An HTML page that is not an archive outline (markup has no line numbers to give).
    #[error("{file}: {found}; expected {expected}")]
    NotAnOutline {
        file: String,
        found: String,
        expected: String,
    },
    /// Text where a heading was expected.
    #[error("{file}:{line}: {found}; expected {expected}")]
    Unexpected {
        file: String,
        line: usize,
        found: String,
        expected: String,
    },
    /// A heading nested deeper than a dossier's sections may be
    /// ([`dossier_model::MAX_SECTION_DEPTH`]). `line` is 0 where the reader cannot tell.
    #[error(
        "{}: heading {heading} would be a section nested {depth} deep; an outline may nest at most {max} levels of headings",
        place(.file, *.line)
    )]
    TooDeep {
        file: String,
        line: usize,
        /// The heading as written, shortened.
        heading: String,
        depth: usize,
        max: usize,
    },
}

/// `file:line`, or the file alone where the line is not known.
fn place(file: &str, line: usize) -> String {
    if line == 0 {
        file.to_string()
    } else {
        format!("{file}:{line}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LabelKind {
    Part,
    Roman,
    Arabic,
    Decimal(usize),
    Letter,
    Unnumbered,
}

#[derive(Debug, Clone)]
struct Heading {
    kind: LabelKind,
    label: String,
    title: String,
}

static PART: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([A-Z])\.\s+(\S.*)$").unwrap());
static ROMAN: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([IVXL]+)\.\s+(\S.*)$").unwrap());
static ARABIC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{1,2})\.\s+(\S.*)$").unwrap());
static DECIMAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2}(?:\.\d{1,2})+)\.?\s+(\S.*)$").unwrap());
static LETTER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^([a-z])\)\s+(\S.*)$").unwrap());
static LIST: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(List of .{3,120}):$").unwrap());
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(click here|check here|see the archive|for more information see)\b").unwrap()
});

const BULLETS: [&str; 3] = ["•", "* ", "- "];

/// Reads `bytes` (from `file`, named in errors) as an archive outline: plain text like the
/// seed, or an HTML page of the same kind (see [`crate::outline_html`]), told apart by the
/// content or the `.html`/`.htm` extension. Both readers feed the same builder.
pub fn parse_outline(bytes: &[u8], file: &str) -> Result<Dossier, OutlineError> {
    let text = decode(bytes, file)?;
    if crate::outline_html::is_html(text, file) {
        return crate::outline_html::parse(text, file);
    }
    let lines: Vec<Line> = text
        .lines()
        .enumerate()
        .map(|(n, l)| Line {
            no: n + 1,
            role: if l.trim().is_empty() {
                Role::Blank
            } else {
                Role::Auto
            },
            text: l.to_string(),
            links: Vec::new(),
        })
        .collect();
    build(lines, file, false)
}

/// What a reader knows about a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A line of plain text: a heading if it reads like one, else paragraph text.
    Auto,
    /// The page's title (HTML `<h1>` or `<title>`).
    Title,
    /// A heading by markup (HTML `<h2>`–`<h6>`).
    Heading,
    /// Paragraph text by markup (never a heading).
    Text,
    /// A list item by markup.
    Bullet,
    /// The end of a paragraph.
    Blank,
}

/// A link on a line: the byte range of its text and its (http or https) address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub start: usize,
    pub end: usize,
    pub url: String,
}

/// One line of an outline as a reader hands it to the builder.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// Line number in the file (0 when the reader cannot tell, as for HTML).
    pub no: usize,
    pub role: Role,
    pub text: String,
    pub links: Vec<Link>,
}

/// The one outline builder both readers share: title, table of contents, headings,
/// paragraphs, bullet items and references. `markup` says the lines come from markup
/// (HTML), whose roles are trusted and whose text before the first heading is page
/// furniture rather than an error.
pub(crate) fn build(lines: Vec<Line>, file: &str, markup: bool) -> Result<Dossier, OutlineError> {
    let title_at = title_line(&lines, file, markup)?;
    let title = lines[title_at].text.trim().to_string();
    let mut i = title_at + 1;
    while i < lines.len() && is_blank(&lines[i]) {
        i += 1;
    }
    let (body_start, toc_titles) = table_of_contents(&lines, i, file)?;
    let mut sections = sections(lines, body_start, file, markup)?;
    for s in &mut sections {
        apply_defaults(s, &toc_titles);
    }
    Ok(Dossier {
        queries: Vec::new(),
        stale_after_years: None,
        slug: slugify(&title),
        title,
        description: String::new(),
        source: Some(file.to_string()),
        sections,
    })
}

/// A line that ends a paragraph.
fn is_blank(l: &Line) -> bool {
    l.role == Role::Blank || l.text.trim().is_empty()
}

/// The index of the line that holds the dossier's title: the first `<h1>` (or `<title>`)
/// in markup, the first non-blank line in text.
fn title_line(lines: &[Line], file: &str, markup: bool) -> Result<usize, OutlineError> {
    let title_at = if markup {
        lines.iter().position(|l| l.role == Role::Title)
    } else {
        lines.iter().position(|l| l.role != Role::Blank)
    };
    title_at.ok_or_else(|| {
        if markup {
            OutlineError::NotAnOutline {
                file: file.into(),
                found: "the page has no <h1> or <title>".into(),
                expected: "an archive page whose first <h1> (or <title>) is the dossier's title"
                    .into(),
            }
        } else {
            OutlineError::Empty { file: file.into() }
        }
    })
}

/// A table of contents is a block of headings right after the title (from `start`):
/// where the body begins after it, and the titles it gives the sections by key (the
/// shorter titles, kept as `short_title`). Without one, the body begins at `start`.
fn table_of_contents(
    lines: &[Line],
    start: usize,
    file: &str,
) -> Result<(usize, HashMap<String, String>), OutlineError> {
    let mut i = start;
    let mut toc = Vec::new();
    let mut probe_part = b'A';
    while i < lines.len()
        && !is_blank(&lines[i])
        && matches!(lines[i].role, Role::Auto | Role::Bullet)
    {
        match classify(&lines[i].text, &mut probe_part) {
            Some((h, _)) => toc.push((h, lines[i].no)),
            None => break,
        }
        i += 1;
    }
    if toc.len() >= 2 && (i >= lines.len() || is_blank(&lines[i])) {
        let titles = toc_keys(&toc).map_err(|(line, h, depth)| too_deep(file, line, &h, depth))?;
        Ok((i, titles))
    } else {
        Ok((start, HashMap::new()))
    }
}

/// The sections from the body's first line on: headings, and the paragraphs and bullet
/// items under them. Text before the first heading is an error in text, page furniture
/// in markup; an outline without any heading is an error.
fn sections(
    lines: Vec<Line>,
    start: usize,
    file: &str,
    markup: bool,
) -> Result<Vec<Section>, OutlineError> {
    let mut builder = TreeBuilder::default();
    let mut para: Vec<ParaLine> = Vec::new();
    let mut seen_heading = false;
    let mut next_part = b'A';
    let last_line = lines.last().map_or(1, |l| l.no.max(1));
    for line in lines.into_iter().skip(start) {
        if is_blank(&line) {
            builder.paragraph(std::mem::take(&mut para));
            continue;
        }
        if let Some(h) = heading_of(&line, &mut next_part, seen_heading) {
            builder.paragraph(std::mem::take(&mut para));
            builder
                .heading(h)
                .map_err(|(h, depth)| too_deep(file, line.no, &h, depth))?;
            seen_heading = true;
            continue;
        }
        if !seen_heading {
            if markup {
                continue;
            }
            return Err(not_outline(
                file,
                markup,
                line.no,
                format!("found text before any heading ({})", preview(&line.text)),
                "a part or section heading such as \"A. Official Documents and Declarations\" or \"1. Background\"",
            ));
        }
        let (text, bullet) = match line.role {
            Role::Auto => {
                let (content, bullet) = strip_bullet(line.text.trim());
                (content.to_string(), bullet)
            }
            role => (line.text, role == Role::Bullet),
        };
        if bullet && !para.is_empty() {
            builder.paragraph(std::mem::take(&mut para));
        }
        para.push(ParaLine {
            text,
            bullet,
            links: line.links,
        });
    }
    builder.paragraph(para);
    if !seen_heading {
        return Err(not_outline(
            file,
            markup,
            last_line,
            "reached the end of the file without a heading".into(),
            "part or section headings such as \"A. Official Documents and Declarations\", \"I. Background\" or \"1.1 Peacekeeping\" after the title",
        ));
    }
    Ok(builder.finish())
}

/// The heading a line is, if any. `next_part` is as for [`classify`]; `seen_heading`
/// says the outline has begun.
fn heading_of(line: &Line, next_part: &mut u8, seen_heading: bool) -> Option<Heading> {
    match line.role {
        Role::Auto => classify(&line.text, next_part).map(|(h, _)| h),
        Role::Heading | Role::Title => {
            classify(&line.text, next_part).map(|(h, _)| h).or_else(|| {
                // An unlabelled heading in markup is an unnumbered section once the
                // outline has begun; before that it is page furniture.
                seen_heading.then(|| Heading {
                    kind: LabelKind::Unnumbered,
                    label: String::new(),
                    title: line.text.trim().trim_end_matches(':').to_string(),
                })
            })
        }
        _ => None,
    }
}

/// Text where the outline expected a heading: at `line` of a text file, or in an HTML
/// page (which has no line numbers to give, and whose headings are elements).
fn not_outline(
    file: &str,
    markup: bool,
    line: usize,
    found: String,
    expected: &str,
) -> OutlineError {
    if markup {
        OutlineError::NotAnOutline {
            file: file.into(),
            found,
            expected: expected.replace(
                "part or section headings",
                "part or section headings (<h2>–<h6>)",
            ),
        }
    } else {
        OutlineError::Unexpected {
            file: file.into(),
            line,
            found,
            expected: expected.into(),
        }
    }
}

/// The error for heading `h` at `line`, which would nest `depth` sections deep.
fn too_deep(file: &str, line: usize, h: &Heading, depth: usize) -> OutlineError {
    let written = format!("{} {}", h.label, h.title);
    OutlineError::TooDeep {
        file: file.into(),
        line,
        heading: preview_max(&written, 80),
        depth,
        max: MAX_SECTION_DEPTH,
    }
}

/// A line of a paragraph: its text, whether it is a list item, and its links.
struct ParaLine {
    text: String,
    bullet: bool,
    links: Vec<Link>,
}

fn decode<'a>(bytes: &'a [u8], file: &str) -> Result<&'a str, OutlineError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        OutlineError::InvalidUtf8 {
            file: file.into(),
            line,
            column,
            byte: bytes[e.valid_up_to()],
        }
    })?;
    if let Some(pos) = text
        .bytes()
        .position(|b| b == 0 || (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)))
    {
        let line = text.as_bytes()[..pos]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        return Err(OutlineError::Binary {
            file: file.into(),
            line,
            byte: text.as_bytes()[pos],
        });
    }
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

fn preview(line: &str) -> String {
    preview_max(line, 40)
}

/// `line` in quotes, cut to `max` characters.
fn preview_max(line: &str, max: usize) -> String {
    let t = line.trim();
    let short: String = t.chars().take(max).collect();
    if short.len() < t.len() {
        format!("\"{short}…\"")
    } else {
        format!("\"{short}\"")
    }
}

fn strip_bullet(line: &str) -> (&str, bool) {
    for b in BULLETS {
        if let Some(rest) = line.strip_prefix(b) {
            return (rest.trim_start(), true);
        }
    }
    (line, false)
}

/// Recognises a heading line. `next_part` is the letter the next part must have, so that
/// `I.` after part `A.` is read as a roman numeral.
fn classify(raw: &str, next_part: &mut u8) -> Option<(Heading, bool)> {
    let (line, bullet) = strip_bullet(raw.trim());
    let line = line.trim_end();
    let heading_text = |t: &str| {
        let t = t.trim();
        t.chars().count() <= 120 && !t.ends_with('.') && !t.ends_with(':') && !t.ends_with(',')
    };
    let make = |kind, label: &str, title: &str| {
        Some((
            Heading {
                kind,
                label: label.to_string(),
                title: title.trim().to_string(),
            },
            bullet,
        ))
    };
    if let Some(c) = PART.captures(line) {
        let letter = c[1].as_bytes()[0];
        if letter == *next_part && heading_text(&c[2]) {
            *next_part += 1;
            return make(LabelKind::Part, &format!("{}.", &c[1]), &c[2]);
        }
    }
    if let Some(c) = ROMAN.captures(line) {
        if heading_text(&c[2]) {
            return make(LabelKind::Roman, &format!("{}.", &c[1]), &c[2]);
        }
    }
    if let Some(c) = ARABIC.captures(line) {
        if heading_text(&c[2]) {
            return make(LabelKind::Arabic, &format!("{}.", &c[1]), &c[2]);
        }
    }
    if let Some(c) = DECIMAL.captures(line) {
        if heading_text(&c[2]) {
            let depth = c[1].matches('.').count();
            let label = line[..line.len() - c[2].len()].trim().to_string();
            return make(LabelKind::Decimal(depth), &label, &c[2]);
        }
    }
    if let Some(c) = LETTER.captures(line) {
        if heading_text(&c[2]) {
            return make(LabelKind::Letter, &format!("{})", &c[1]), &c[2]);
        }
    }
    if let Some(c) = LIST.captures(line) {
        return make(LabelKind::Unnumbered, "", &c[1]);
    }
    None
}

/// The keys a list of headings (with their line numbers) gets, mapped to their titles
/// (for the table of contents). A heading too deep is an error: its line, the heading and
/// the depth it would have.
fn toc_keys(
    headings: &[(Heading, usize)],
) -> Result<HashMap<String, String>, (usize, Heading, usize)> {
    let mut b = TreeBuilder::default();
    for (h, line) in headings {
        b.heading(h.clone())
            .map_err(|(h, depth)| (*line, h, depth))?;
    }
    let mut out = HashMap::new();
    for top in b.finish() {
        for s in top.walk() {
            out.insert(s.key.clone(), s.title.clone());
        }
    }
    Ok(out)
}

/// Builds the section tree from headings and paragraphs in reading order.
#[derive(Default)]
struct TreeBuilder {
    roots: Vec<Section>,
    /// Path of (level, kind) from the root to the current section.
    path: Vec<(usize, LabelKind)>,
    keys: HashSet<String>,
}

impl TreeBuilder {
    fn current(&mut self) -> Option<&mut Section> {
        let mut iter = self.path.iter();
        iter.next()?;
        let mut s = self.roots.last_mut()?;
        for _ in iter {
            s = s.children.last_mut()?;
        }
        Some(s)
    }

    fn current_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        let mut list = &self.roots;
        for _ in &self.path {
            let Some(s) = list.last() else { break };
            keys.push(s.key.clone());
            list = &s.children;
        }
        keys
    }

    /// Adds a heading as a new section. A heading that would nest deeper than
    /// [`MAX_SECTION_DEPTH`] is handed back with that depth, before its key is made: keys
    /// grow with the path, so a deep outline would otherwise cost time and memory
    /// quadratic in its depth (2,000 levels took minutes and gigabytes).
    fn heading(&mut self, h: Heading) -> Result<(), (Heading, usize)> {
        let level = match h.kind {
            LabelKind::Part => 0,
            LabelKind::Roman | LabelKind::Unnumbered => 1,
            LabelKind::Arabic => 2,
            LabelKind::Decimal(depth) => 2 + depth,
            LabelKind::Letter => match self.path.last() {
                Some((lvl, LabelKind::Letter)) => *lvl,
                Some((lvl, _)) => lvl + 1,
                None => 0,
            },
        };
        while self.path.last().is_some_and(|(l, _)| *l >= level) {
            self.path.pop();
        }
        // The new section's depth: one below each section on the path.
        let depth = self.path.len() + 1;
        if depth > MAX_SECTION_DEPTH {
            return Err((h, depth));
        }
        let parent_key = self.current_keys().last().cloned();
        let component = match h.kind {
            LabelKind::Unnumbered => slugify(&h.title),
            LabelKind::Decimal(_) => {
                let parts: Vec<&str> = h.label.trim_end_matches('.').split('.').collect();
                let parent_is_prefix = self
                    .path
                    .last()
                    .is_some_and(|(_, k)| *k == LabelKind::Arabic)
                    && parent_key.as_deref().is_some_and(|k| {
                        k.ends_with(&format!("-{}", parts[..parts.len() - 1].join("-")))
                    });
                if parent_is_prefix {
                    parts[parts.len() - 1].to_string()
                } else {
                    parts.join("-")
                }
            }
            _ => slugify(&h.label),
        };
        let mut key = match &parent_key {
            Some(p) => format!("{p}-{component}"),
            None => component,
        };
        if key.is_empty() {
            key = "section".into();
        }
        let mut unique = key.clone();
        let mut n = 2;
        while !self.keys.insert(unique.clone()) {
            unique = format!("{key}-{n}");
            n += 1;
        }
        let section = Section {
            claims: Vec::new(),
            key: unique,
            label: h.label,
            title: h.title,
            short_title: None,
            commentary: String::new(),
            references: Vec::new(),
            lists: Vec::new(),
            children: Vec::new(),
        };
        match self.current() {
            Some(parent) => parent.children.push(section),
            None => self.roots.push(section),
        }
        self.path.push((level, h.kind));
        Ok(())
    }

    /// Adds a paragraph (its lines) to the current section. Reference sentences become
    /// references (with an external target when a link inside them gives an address);
    /// other links become mentions of their address.
    fn paragraph(&mut self, lines: Vec<ParaLine>) {
        if lines.is_empty() {
            return;
        }
        let Some(section) = self.current() else {
            return;
        };
        let mut md_lines = Vec::new();
        let mut previous_was_reference = false;
        for ParaLine {
            text: line,
            bullet,
            links,
        } in &lines
        {
            let mut md = String::new();
            let continues = previous_was_reference && line.starts_with("or ");
            previous_was_reference = false;
            for sentence in sentences(line) {
                let trimmed = sentence.trim();
                if trimmed.is_empty() {
                    continue;
                }
                let start = offset_in(line, trimmed);
                let end = start + trimmed.len();
                if !md.is_empty() {
                    md.push(' ');
                }
                if continues || REFERENCE.is_match(trimmed) {
                    let text = trimmed.trim_end_matches(['.', ':', ' ']);
                    let tail = &trimmed[text.len()..];
                    let target = links
                        .iter()
                        .find(|l| l.start < end && l.end > start)
                        .map(|l| Target::External {
                            title: text.to_string(),
                            url: Some(l.url.clone()),
                        });
                    section.references.push(Reference {
                        text: text.to_string(),
                        target,
                        mention: false,
                    });
                    let n = section.references.len();
                    md.push_str(&format!("[{}](ref:{n}){}", escape(text), escape(tail)));
                    previous_was_reference = true;
                } else {
                    let mut at = start;
                    for l in links.iter().filter(|l| l.start >= start && l.end <= end) {
                        if l.start < at || l.end <= l.start {
                            continue;
                        }
                        md.push_str(&escape(&line[at..l.start]));
                        let words = &line[l.start..l.end];
                        section.references.push(Reference {
                            text: words.to_string(),
                            target: Some(Target::External {
                                title: words.to_string(),
                                url: Some(l.url.clone()),
                            }),
                            mention: true,
                        });
                        let n = section.references.len();
                        md.push_str(&format!("[{}](ref:{n})", escape(words)));
                        at = l.end;
                    }
                    md.push_str(&escape(&line[at..end]));
                }
            }
            let md = if md.starts_with('[') {
                md
            } else {
                escape_line_prefix(&md)
            };
            md_lines.push(if *bullet { format!("- {md}") } else { md });
        }
        if !section.commentary.is_empty() {
            section.commentary.push_str("\n\n");
        }
        section.commentary.push_str(&md_lines.join("\n"));
    }

    fn finish(self) -> Vec<Section> {
        self.roots
    }
}

/// Guards a leading list marker in already-escaped text.
fn escape_line_prefix(md: &str) -> String {
    let guarded = escape_line(md);
    // `escape_line` escapes again; only keep its leading guard.
    if guarded.len() > escape(md).len() {
        format!("\\{md}")
    } else {
        md.to_string()
    }
}

/// Where `part` (a slice of `whole`) starts in `whole`.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// Splits a line into sentences at `.`, `!` or `?` followed by a space and a capital letter
/// or a quote, keeping the punctuation with its sentence.
fn sentences(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    for w in 0..chars.len() {
        let (i, c) = chars[w];
        if matches!(c, '.' | '!' | '?') {
            let next = chars.get(w + 1).map(|x| x.1);
            let after = chars.get(w + 2).map(|x| x.1);
            if next == Some(' ') && after.is_some_and(|a| a.is_uppercase() || a == '"' || a == '“')
            {
                out.push(&line[start..=i]);
                start = i + 1;
            }
        }
    }
    out.push(&line[start..]);
    out
}

/// Fills in the table-of-contents titles and the lists that parts B–D of an archive page
/// imply ("Selected Speeches" lists the dossier's speeches).
fn apply_defaults(s: &mut Section, toc: &HashMap<String, String>) {
    if let Some(t) = toc.get(&s.key) {
        if *t != s.title {
            s.short_title = Some(t.clone());
        }
    }
    let lower = s.title.to_lowercase();
    let kind = if lower.contains("speeches") {
        Some("speech")
    } else if lower.contains("research stud") {
        Some("research-study")
    } else if lower.contains("parliamentary report") {
        Some("parliamentary-report")
    } else {
        None
    };
    if let Some(kind) = kind {
        if s.lists.is_empty() && s.label.len() == 2 {
            s.lists.push(GeneratedList {
                complete: false,
                page_listed: None,
                caption: None,
                of: ListOf::Documents,
                kinds: vec![kind.to_string()],
                bodies: vec![],
                levels: vec![],
            });
        }
    }
    for c in &mut s.children {
        apply_defaults(c, toc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../../data/nato-russia.seed.txt");

    fn seed() -> Dossier {
        parse_outline(SEED.as_bytes(), "nato-russia.seed.txt").unwrap()
    }

    fn outline(d: &Dossier) -> Vec<(String, String, String)> {
        d.all_sections()
            .iter()
            .map(|s| (s.key.clone(), s.label.clone(), s.title.clone()))
            .collect()
    }

    #[test]
    fn seed_structure_is_rebuilt() {
        let d = seed();
        assert_eq!(d.title, "Formal NATO-Russia Relations");
        assert_eq!(d.slug, "formal-nato-russia-relations");
        let keys: Vec<String> = outline(&d).into_iter().map(|(k, _, _)| k).collect();
        assert_eq!(
            keys,
            [
                "a",
                "a-i",
                "a-i-1",
                "a-i-2",
                "a-ii",
                "a-ii-1",
                "a-ii-1-1",
                "a-ii-1-1-a",
                "a-ii-1-1-b",
                "a-ii-2",
                "a-ii-3",
                "a-ii-3-1",
                "a-ii-3-2",
                "a-ii-3-3",
                "a-ii-3-4",
                "a-ii-3-5",
                "a-ii-3-6",
                "a-ii-3-7",
                "a-iii",
                "a-iii-1",
                "a-iii-1-a",
                "a-iii-1-b",
                "a-list-of-meetings-of-the-nato-russia-permanent-joint-council",
                "a-list-of-meetings-at-parliamentary-level",
                "b",
                "c",
                "d"
            ]
        );
        let o = outline(&d);
        assert_eq!(o[12].1, "3.2.");
        assert_eq!(o[12].2, "Civil Emergency Planning / Search and Rescue");
        assert_eq!(o[6].1, "1.1");
        assert_eq!(o[7].1, "a)");
        assert_eq!(o[24].2, "Selected Speeches on the NATO-Russia Relationship");
    }

    #[test]
    fn table_of_contents_gives_short_titles() {
        let d = seed();
        let pfp = d
            .all_sections()
            .into_iter()
            .find(|s| s.key == "a-ii-1")
            .unwrap();
        assert_eq!(
            pfp.short_title.as_deref(),
            Some("Partnership for Peace Programme (PfP)")
        );
        let b = d.all_sections().into_iter().find(|s| s.key == "b").unwrap();
        assert_eq!(b.short_title.as_deref(), Some("Selected Speeches"));
        assert_eq!(b.lists[0].kinds, ["speech"]);
    }

    #[test]
    fn references_are_found_and_unresolved() {
        let d = seed();
        let refs: Vec<(String, String)> = d
            .all_sections()
            .iter()
            .flat_map(|s| s.references.iter().map(|r| (s.key.clone(), r.text.clone())))
            .collect();
        assert_eq!(refs.len(), 12, "{refs:#?}");
        assert!(refs.iter().all(|(_, t)| !t.is_empty()));
        assert!(d
            .all_sections()
            .iter()
            .all(|s| s.references.iter().all(|r| r.target.is_none())));
        assert!(refs.contains(&(
            "a-i-1".into(),
            "See the archive on Formal NATO-Ukraine Relations".into()
        )));
        assert!(refs.contains(&("a-ii-3-1".into(), "or the NRA website on the CFE".into())));
        assert!(refs.contains(&(
            "a-ii-1".into(),
            "To see Work Programmes on the specific activities including the one for 2000-2001, click here".into()
        )));
        let s = d
            .all_sections()
            .into_iter()
            .find(|s| s.key == "a-i-1")
            .unwrap();
        assert!(s
            .commentary
            .contains("[See the archive on Formal NATO-Ukraine Relations](ref:1)."));
    }

    #[test]
    fn bullets_become_list_items_and_headings_after_bullets_are_found() {
        let d = seed();
        let t = d
            .all_sections()
            .into_iter()
            .find(|s| s.key == "a-ii-3-6")
            .unwrap();
        assert!(t
            .commentary
            .contains("\n\n- Later at the Ministerial on December 18th, 2001"));
        let f = d
            .all_sections()
            .into_iter()
            .find(|s| s.key == "a-ii-3-7")
            .unwrap();
        assert_eq!(f.title, "Further Issues");
        assert!(f
            .commentary
            .starts_with("The creation of a joint NATO-Russia Information"));
    }

    #[test]
    fn empty_sections_stay_empty() {
        let d = seed();
        for key in [
            "a-iii-1-a",
            "a-iii-1-b",
            "c",
            "d",
            "a-list-of-meetings-at-parliamentary-level",
        ] {
            let s = d.all_sections().into_iter().find(|s| s.key == key).unwrap();
            assert!(s.commentary.is_empty(), "{key}: {:?}", s.commentary);
        }
    }

    #[test]
    fn refuses_what_is_not_an_outline() {
        let e = parse_outline(b"Title\n\nA. Part\n\xff\xfe oops\n", "x.txt").unwrap_err();
        assert!(
            matches!(
                e,
                OutlineError::InvalidUtf8 {
                    line: 4,
                    column: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().starts_with("x.txt:4:1: invalid UTF-8"));
        let e = parse_outline(b"Title\nA. Part\n\0\0\0", "bin.dat").unwrap_err();
        assert!(matches!(e, OutlineError::Binary { line: 3, .. }), "{e}");
        let e = parse_outline(b"", "empty.txt").unwrap_err();
        assert_eq!(
            e.to_string(),
            "empty.txt:1: the file is empty; expected a dossier title on the first line"
        );
        let e = parse_outline(
            b"Just a title\n\nSome prose that is no heading.\n",
            "prose.txt",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("prose.txt:3: found text before any heading"),
            "{e}"
        );
        let e = parse_outline(b"Only a title\n", "t.txt").unwrap_err();
        assert!(e.to_string().contains("without a heading"), "{e}");
    }

    /// An outline of `levels` nested numbered headings (`1.`, `1.1.`, `1.1.1.` …) under
    /// part `A.`, with `gap` between lines (`"\n\n"`: sections with text; `"\n"`: one
    /// block, read as a table of contents), and each heading's line number (index 0: part
    /// `A.`, at section depth 1).
    fn deep_outline(levels: usize, gap: &str) -> (String, Vec<usize>) {
        let step = gap.matches('\n').count();
        let mut text = format!("Deep{gap}A. Part{gap}");
        let mut lines = vec![1 + step];
        for k in 1..=levels {
            let label = vec!["1"; k].join(".");
            text.push_str(&format!("{label}. Level {k}{gap}"));
            lines.push(1 + step * (k + 1));
        }
        (text, lines)
    }

    #[test]
    fn an_outline_deeper_than_a_dossier_may_be_is_refused_at_its_heading() {
        for levels in [63, 2000] {
            // Sections with text, and the same headings as one block (a table of contents).
            for gap in ["\n\n", "\n"] {
                let (text, lines) = deep_outline(levels, gap);
                let e = parse_outline(text.as_bytes(), "deep.txt").unwrap_err();
                let line = lines[MAX_SECTION_DEPTH];
                assert!(
                    matches!(e, OutlineError::TooDeep { line: l, depth, .. } if l == line && depth == MAX_SECTION_DEPTH + 1),
                    "{e}"
                );
                assert!(
                    e.to_string().starts_with(&format!(
                        "deep.txt:{line}: heading \"1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1. Level 16\" would be a section nested 17 deep; an outline may nest at most 16 levels"
                    )),
                    "{e}"
                );
            }
        }
        // At the limit, the outline is read, and the dossier validates.
        let (text, _) = deep_outline(MAX_SECTION_DEPTH - 1, "\n\n");
        let d = parse_outline(text.as_bytes(), "deep.txt").unwrap();
        assert_eq!(d.depth(), MAX_SECTION_DEPTH);
        let a = dossier_model::Archive {
            dossiers: vec![d],
            ..Default::default()
        };
        assert!(a.validate(&|_, _| false).is_empty());
    }

    #[test]
    fn markup_in_the_outline_stays_text() {
        let d = parse_outline(
            b"T\n\nA. <script>alert(1)</script> part\n\n*bold* [x](javascript:alert(1))\n",
            "x.txt",
        )
        .unwrap();
        let a = &d.sections[0];
        assert_eq!(a.title, "<script>alert(1)</script> part");
        assert_eq!(a.commentary, "\\*bold\\* \\[x\\](javascript:alert(1))");
    }
}

/// Property tests: whatever the text, the reader answers (an outline or an error) without
/// panicking, and what it accepts is a dossier the store can write and read back.
#[cfg(test)]
mod properties {
    use super::*;
    use dossier_model::Archive;
    use proptest::prelude::*;

    /// Lines that read like headings (every label kind, deep decimals), text and blanks.
    fn line() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,2}(\\.[0-9]{1,2}){0,24}\\.? [A-Za-z ]{1,12}",
            "[IVXLC]{1,6}\\. [A-Za-z ]{1,12}",
            "[A-H]\\. [A-Za-z]{1,12}",
            "[a-f]\\) [A-Za-z ]{1,12}",
            "(\\* |- |• )?[0-9]{1,2}\\. [A-Za-z]{1,8}",
            "List of [A-Za-z ]{3,20}:",
            "[A-Za-z ,.:]{0,40}",
            "(Click here|See the archive)[a-z .]{0,20}",
            Just(String::new()),
            "\\PC{0,30}",
        ]
    }

    /// A deep run of decimal headings `1.`, `1.1.` … nested up to `n` levels.
    fn run() -> impl Strategy<Value = Vec<String>> {
        (1usize..40, prop::bool::ANY).prop_map(|(n, blank)| {
            (1..=n)
                .flat_map(|k| {
                    let mut v = vec![format!("{}. T{k}", vec!["1"; k].join("."))];
                    if blank {
                        v.push(String::new());
                    }
                    v
                })
                .collect()
        })
    }

    fn check(d: &Dossier) {
        assert!(d.depth() <= MAX_SECTION_DEPTH, "depth {}", d.depth());
        let a = Archive {
            dossiers: vec![d.clone()],
            ..Default::default()
        };
        // The only rule an outline can break is its slug (from its title, which
        // `--slug` replaces).
        let errs: Vec<_> = a
            .validate(&|_, _| false)
            .into_iter()
            .filter(|e| e.field != "slug")
            .collect();
        assert!(errs.is_empty(), "{errs:?}");
        let json = serde_json::to_string(d).unwrap();
        let back: Dossier = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, d);
    }

    proptest! {

        #[test]
        fn any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
            if let Ok(d) = parse_outline(&bytes, "p.txt") {
                check(&d);
            }
        }

        #[test]
        fn heading_like_text_never_panics_and_stays_within_the_limit(
            title in "[A-Za-z][A-Za-z ]{0,20}",
            blocks in prop::collection::vec(
                prop_oneof![line().prop_map(|l| vec![l]), run()],
                0..40,
            ),
        ) {
            let lines: Vec<String> = blocks.into_iter().flatten().collect();
            let text = format!("{title}\n\n{}", lines.join("\n"));
            if let Ok(d) = parse_outline(text.as_bytes(), "p.txt") {
                check(&d);
            }
            // The same lines as an HTML page: headings by markup.
            let html: String = lines
                .iter()
                .map(|l| {
                    let l = l.replace('&', "&amp;").replace('<', "&lt;");
                    if l.is_empty() { "<p></p>\n".to_string() } else { format!("<h3>{l}</h3>\n") }
                })
                .collect();
            let page = format!("<html><body><h1>{title}</h1>\n{html}</body></html>");
            if let Ok(d) = parse_outline(page.as_bytes(), "p.html") {
                check(&d);
            }
        }
    }
}
