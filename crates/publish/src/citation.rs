//! Citations of documents: Chicago (notes and bibliography, 17th ed.) and APA (7th ed.)
//! renderings for readers, and BibTeX, RIS and CSL-JSON for reference managers, plus the
//! `citation_*` meta tags that Zotero, Mendeley and Google Scholar read from a page.
//!
//! Every format is built from one [`CiteItem`], so they cannot disagree. Who is the author
//! of an official document: its people (`authors`: a speaker, a letter's writer) when the
//! record names any, otherwise its issuing bodies (`issued_by`), as corporate authors. The
//! publisher is the issuing bodies. A document with neither is cited by its title, as both
//! styles prescribe for works without an author.
//!
//! The two styles are written here rather than run through a CSL processor: the current
//! hayagriva release ships no style or locale files (they would have to be vendored), and
//! our records have one shape, so two careful renderings with tests are smaller and
//! clearer. The mapping is documented in `crates/publish/README.md`.

use crate::html::escape_html;
use crate::site::Site;
use crate::PublishError;
use dossier_model::date::Bound;
use dossier_model::{Document, DocumentKind, Edtf, PartialDate};
use dossier_search::{SearchError, SearchIndex, SearchRequest, Sort};
use dossier_store::{RecordType, Store};
use serde::Serialize;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const BIB_MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A name in a citation: a person (split into given and family names) or a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Name {
    Person { given: String, family: String },
    Body { literal: String },
}

/// Lower-case particles that start a family name: "Jaap de Hoop Scheffer".
const PARTICLES: &[&str] = &[
    "de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "van", "von", "ten", "ter",
    "zu", "bin", "al",
];

impl Name {
    /// Splits a person's name as written ("Vladimir Putin") into given and family names:
    /// the family name is the last word, or everything from the first lower-case particle
    /// on ("de Hoop Scheffer"). A one-word name is all family name.
    /// A parenthesised part ("George Robertson (Lord Robertson of Port Ellen)") is a
    /// gloss, not part of the name, and is left out.
    pub fn person(full: &str) -> Name {
        let mut plain = String::new();
        let mut depth = 0usize;
        for c in full.chars() {
            match c {
                '(' => depth += 1,
                ')' if depth > 0 => depth -= 1,
                c if depth == 0 => plain.push(c),
                _ => {}
            }
        }
        let words: Vec<&str> = plain.split_whitespace().collect();
        if words.len() < 2 {
            return Name::Person {
                given: String::new(),
                family: words.join(" "),
            };
        }
        let split = words[1..]
            .iter()
            .position(|w| PARTICLES.contains(w))
            .map(|i| i + 1)
            .unwrap_or(words.len() - 1);
        Name::Person {
            given: words[..split].join(" "),
            family: words[split..].join(" "),
        }
    }

    pub fn body(name: &str) -> Name {
        Name::Body {
            literal: name.trim().to_string(),
        }
    }

    /// "Vladimir Putin"; a body's name as is.
    pub fn natural(&self) -> String {
        match self {
            Name::Person { given, family } if !given.is_empty() => format!("{given} {family}"),
            Name::Person { family, .. } => family.clone(),
            Name::Body { literal } => literal.clone(),
        }
    }

    /// "Putin, Vladimir"; a body's name as is.
    pub fn inverted(&self) -> String {
        match self {
            Name::Person { given, family } if !given.is_empty() => format!("{family}, {given}"),
            other => other.natural(),
        }
    }

    /// APA: "Putin, V." ("Hoop Scheffer, J. de" is not attempted: particles stay in front).
    fn apa(&self) -> String {
        match self {
            Name::Person { given, family } if !given.is_empty() => {
                let initials: Vec<String> = given
                    .split_whitespace()
                    .map(|g| {
                        // Hyphenated given names keep the hyphen: "Jean-Paul" → "J.-P."
                        g.split('-')
                            .filter_map(|p| p.chars().next())
                            .map(|c| format!("{c}."))
                            .collect::<Vec<_>>()
                            .join("-")
                    })
                    .collect();
                format!("{family}, {}", initials.join(" "))
            }
            other => other.natural(),
        }
    }

    fn is_body(&self) -> bool {
        matches!(self, Name::Body { .. })
    }
}

/// Everything a citation of one document needs, resolved from the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CiteItem {
    /// The document's slug: the citation key and the CSL-JSON id.
    pub id: String,
    pub title: String,
    pub kind: DocumentKind,
    pub date: Option<Edtf>,
    pub authors: Vec<Name>,
    /// The issuing bodies' names.
    pub publishers: Vec<String>,
    pub place: Option<String>,
    /// The document's page in the archive (absolute).
    pub url: String,
    /// BCP 47 tags of the texts that exist.
    pub languages: Vec<String>,
    pub summary: Option<String>,
    /// The archive's name.
    pub archive: String,
}

impl CiteItem {
    /// Builds the citation of `doc`, looking up the names of its people and bodies.
    pub fn from_document(
        store: &dyn Store,
        doc: &Document,
        site: &Site,
    ) -> Result<CiteItem, PublishError> {
        let name_of = |record: RecordType, slug: &String| -> Result<String, PublishError> {
            Ok(store
                .title_of(record, slug)?
                .unwrap_or_else(|| slug.clone()))
        };
        let publishers = doc
            .issued_by
            .iter()
            .map(|b| name_of(RecordType::Body, b))
            .collect::<Result<Vec<_>, _>>()?;
        let authors = if doc.authors.is_empty() {
            publishers.iter().map(|p| Name::body(p)).collect()
        } else {
            doc.authors
                .iter()
                .map(|p| name_of(RecordType::Person, p).map(|n| Name::person(&n)))
                .collect::<Result<Vec<_>, _>>()?
        };
        Ok(CiteItem {
            id: doc.slug.clone(),
            title: one_line(&doc.title),
            kind: doc.kind,
            date: doc.date,
            authors,
            publishers,
            place: doc.place.as_deref().map(one_line),
            url: site.page_url(&crate::views::url_of(RecordType::Document, &doc.slug)),
            languages: doc.languages.clone(),
            summary: doc.summary.as_deref().map(one_line),
            archive: site.name.clone(),
        })
    }

    /// Whether the style treats the document as a work of its own (a report: title in
    /// italics, "Place: Publisher, Year") rather than a shorter document (a statement, a
    /// speech: title in quotation marks, with a descriptor such as "Press release").
    fn standalone(&self) -> bool {
        matches!(
            self.kind,
            DocumentKind::ResearchStudy
                | DocumentKind::ParliamentaryReport
                | DocumentKind::WorkProgramme
                | DocumentKind::ActionPlan
                | DocumentKind::FrameworkDocument
                | DocumentKind::Concept
                | DocumentKind::Collection
        )
    }

    /// The descriptor Chicago and APA add: "Joint statement", "Speech".
    fn descriptor(&self) -> &'static str {
        self.kind.label()
    }

    /// Whether every publisher is also an author (APA then leaves the publisher out).
    fn publisher_is_author(&self) -> bool {
        self.publishers.iter().all(|p| {
            self.authors
                .iter()
                .any(|a| a.is_body() && &a.natural() == p)
        })
    }
}

/// Text joined into one line: citations and RIS have no line breaks.
fn one_line(s: &str) -> String {
    let b = s.as_bytes();
    let plain = !b.first().is_some_and(u8::is_ascii_whitespace)
        && !b.last().is_some_and(u8::is_ascii_whitespace)
        && !b.windows(2).any(|w| w[0] == b' ' && w[1] == b' ')
        && !s.chars().any(|c| c.is_whitespace() && c != ' ');
    if plain {
        return s.to_string();
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A rendered citation: plain text (to copy) and HTML (escaped, titles in `<i>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub text: String,
    pub html: String,
}

impl Rendered {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.html.push_str(&escape_html(s));
    }

    fn italic(&mut self, s: &str) {
        self.text.push_str(s);
        self.html.push_str("<i>");
        self.html.push_str(&escape_html(s));
        self.html.push_str("</i>");
    }

    fn link(&mut self, url: &str) {
        self.text.push_str(url);
        let u = escape_html(url);
        self.html.push_str(&format!("<a href=\"{u}\">{u}</a>"));
    }
}

fn ends_with_mark(s: &str) -> bool {
    s.ends_with(['.', '?', '!'])
}

/// "A", "A and B", "A, B, and C"; more than three in a note: "A et al.".
fn join_and(names: &[String], note: bool) -> String {
    match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        2 => format!("{} and {}", names[0], names[1]),
        n if note && n > 3 => format!("{} et al.", names[0]),
        n => format!("{}, and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

fn chicago_partial(d: &PartialDate) -> String {
    let s = match (d.month, d.day) {
        (Some(m), Some(day)) => format!("{} {day}, {}", MONTHS[m as usize - 1], d.year),
        (Some(m), None) => format!("{} {}", MONTHS[m as usize - 1], d.year),
        _ => d.year.to_string(),
    };
    match (d.approximate, d.uncertain) {
        (_, true) => format!("[{s}?]"),
        (true, false) => format!("ca. {s}"),
        _ => s,
    }
}

/// Chicago dates: "May 28, 2002", "May 2002", "ca. 2002", "[2002?]", "1999–2000", "n.d.".
fn chicago_date(d: &Option<Edtf>) -> String {
    let bound = |b: &Bound| match b {
        Bound::Date(p) => chicago_partial(p),
        Bound::Open => String::new(),
        Bound::Unknown => "?".into(),
    };
    match d {
        None => "n.d.".into(),
        Some(Edtf::Date(p)) => chicago_partial(p),
        Some(Edtf::Interval(s, e)) => format!("{}–{}", bound(s), bound(e)),
    }
}

/// APA dates (inside the parentheses): "2002, May 28", "2002, May", "ca. 2002", "n.d.".
fn apa_date(d: &Option<Edtf>) -> String {
    let partial = |p: &PartialDate| {
        let s = match (p.month, p.day) {
            (Some(m), Some(day)) => format!("{}, {} {day}", p.year, MONTHS[m as usize - 1]),
            (Some(m), None) => format!("{}, {}", p.year, MONTHS[m as usize - 1]),
            _ => p.year.to_string(),
        };
        match (p.approximate, p.uncertain) {
            (_, true) => format!("{s}?"),
            (true, false) => format!("ca. {s}"),
            _ => s,
        }
    };
    match d {
        None => "n.d.".into(),
        Some(Edtf::Date(p)) => partial(p),
        Some(Edtf::Interval(s, e)) => {
            let year = |b: &Bound| match b {
                Bound::Date(p) => p.year.to_string(),
                _ => String::new(),
            };
            let (a, b) = (year(s), year(e));
            if a == b {
                a
            } else {
                format!("{a}–{b}")
            }
        }
    }
}

/// Chicago, notes and bibliography: the first note.
///
/// Shorter documents: `Author, "Title," descriptor, Place, Date, URL.`
/// Works of their own: `Author, Title (Place: Publisher, Date), URL.`
pub fn chicago_note(item: &CiteItem) -> Rendered {
    let mut r = Rendered::default();
    let names: Vec<String> = item.authors.iter().map(Name::natural).collect();
    if !names.is_empty() {
        r.push(&join_and(&names, true));
        r.push(", ");
    }
    if item.standalone() {
        r.italic(&item.title);
        let mut facts = String::new();
        if let Some(p) = &item.place {
            facts.push_str(p);
            facts.push_str(if item.publishers.is_empty() {
                ", "
            } else {
                ": "
            });
        }
        if !item.publishers.is_empty() {
            facts.push_str(&join_and(&item.publishers, false));
            facts.push_str(", ");
        }
        facts.push_str(&chicago_date(&item.date));
        r.push(&format!(" ({facts}), "));
    } else {
        let comma = if ends_with_mark(&item.title) { "" } else { "," };
        r.push(&format!("“{}{comma}” ", item.title));
        let mut facts = vec![item.descriptor().to_lowercase()];
        facts.extend(item.place.clone());
        facts.push(chicago_date(&item.date));
        r.push(&facts.join(", "));
        r.push(", ");
    }
    r.link(&item.url);
    r.push(".");
    r
}

/// Chicago, notes and bibliography: the bibliography entry.
///
/// Shorter documents: `Author. "Title." Descriptor, Place, Date. URL.`
/// Works of their own: `Author. Title. Place: Publisher, Date. URL.`
pub fn chicago_bibliography(item: &CiteItem) -> Rendered {
    let mut r = Rendered::default();
    let names: Vec<String> = item
        .authors
        .iter()
        .enumerate()
        .map(|(i, n)| if i == 0 { n.inverted() } else { n.natural() })
        .collect();
    if !names.is_empty() {
        // An inverted first name takes a comma before "and": "Blair, Tony, and …".
        let mut a = if names.len() == 2 && names[0].contains(',') {
            format!("{}, and {}", names[0], names[1])
        } else {
            join_and(&names, false)
        };
        if !a.ends_with('.') {
            a.push('.');
        }
        r.push(&a);
        r.push(" ");
    }
    if item.standalone() {
        r.italic(&item.title);
        r.push(if ends_with_mark(&item.title) {
            " "
        } else {
            ". "
        });
        let mut facts = String::new();
        if let Some(p) = &item.place {
            facts.push_str(p);
            facts.push_str(if item.publishers.is_empty() {
                ", "
            } else {
                ": "
            });
        }
        if !item.publishers.is_empty() {
            facts.push_str(&join_and(&item.publishers, false));
            facts.push_str(", ");
        }
        facts.push_str(&chicago_date(&item.date));
        r.push(&facts);
    } else {
        let stop = if ends_with_mark(&item.title) { "" } else { "." };
        r.push(&format!("“{}{stop}” ", item.title));
        let mut facts = vec![item.descriptor().to_string()];
        facts.extend(item.place.clone());
        facts.push(chicago_date(&item.date));
        r.push(&facts.join(", "));
    }
    r.push(if r.text.ends_with('.') { " " } else { ". " });
    r.link(&item.url);
    r.push(".");
    r
}

/// APA 7th edition reference entry:
/// `Author. (Date). Title [Descriptor]. Publisher. URL` — the publisher is left out when
/// it is the author; a work without an author starts with its title.
pub fn apa(item: &CiteItem) -> Rendered {
    let mut r = Rendered::default();
    let names: Vec<String> = item.authors.iter().map(Name::apa).collect();
    let date = format!("({}).", apa_date(&item.date));
    let title = |r: &mut Rendered| {
        r.italic(&item.title);
        r.push(&format!(" [{}]. ", item.descriptor()));
    };
    if names.is_empty() {
        title(&mut r);
        r.push(&date);
        r.push(" ");
    } else {
        let mut a = match names.len() {
            1 => names[0].clone(),
            2 => format!("{}, & {}", names[0], names[1]),
            n if n <= 20 => format!("{}, & {}", names[..n - 1].join(", "), names[n - 1]),
            _ => format!(
                "{}, . . . {}",
                names[..19].join(", "),
                names[names.len() - 1]
            ),
        };
        if !a.ends_with('.') {
            a.push('.');
        }
        r.push(&format!("{a} {date} "));
        title(&mut r);
    }
    if !item.publishers.is_empty() && !item.publisher_is_author() {
        r.push(&format!("{}. ", item.publishers.join("; ")));
    }
    r.link(&item.url);
    r
}

// ---------------------------------------------------------------- machine formats

/// A bibliography file format a reference manager imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Bibtex,
    Ris,
    CslJson,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Bibtex, Format::Ris, Format::CslJson];

    /// The file name's ending, as in `founding-act-1997.bib`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Bibtex => "bib",
            Format::Ris => "ris",
            Format::CslJson => "csl.json",
        }
    }

    pub fn from_extension(ext: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.extension() == ext)
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Bibtex => "BibTeX",
            Format::Ris => "RIS",
            Format::CslJson => "CSL-JSON",
        }
    }

    /// The registered or customary media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Bibtex => "application/x-bibtex; charset=utf-8",
            Format::Ris => "application/x-research-info-systems; charset=utf-8",
            Format::CslJson => "application/vnd.citationstyles.csl+json",
        }
    }

    /// The items in this format, as one file.
    pub fn write(self, items: &[CiteItem]) -> String {
        match self {
            Format::Bibtex => bibtex(items),
            Format::Ris => ris(items),
            Format::CslJson => csl_json(items),
        }
    }
}

/// Escapes text for a braced BibTeX field: the characters TeX gives a meaning.
fn tex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in one_line(s).chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            '%' | '&' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The date's known day, month and year (level 0, no qualifiers), as ISO 8601.
fn iso_date(d: &PartialDate) -> String {
    let mut s = format!("{:04}", d.year);
    if let Some(m) = d.month {
        s.push_str(&format!("-{m:02}"));
        if let Some(day) = d.day {
            s.push_str(&format!("-{day:02}"));
        }
    }
    s
}

fn first_partial(d: &Option<Edtf>) -> Option<PartialDate> {
    match d {
        Some(Edtf::Date(p)) => Some(*p),
        Some(Edtf::Interval(Bound::Date(p), _)) => Some(*p),
        Some(Edtf::Interval(_, Bound::Date(p))) => Some(*p),
        _ => None,
    }
}

/// BibTeX, readable by BibTeX and biblatex: reports are `@techreport` (institution),
/// everything else `@misc` (organization, howpublished); corporate authors are braced so
/// that they are not split into first and last names.
pub fn bibtex(items: &[CiteItem]) -> String {
    let mut out = String::new();
    for item in items {
        let report = matches!(
            item.kind,
            DocumentKind::ResearchStudy | DocumentKind::ParliamentaryReport
        );
        let mut fields: Vec<(&str, String)> = Vec::new();
        fields.push(("title", format!("{{{}}}", tex(&item.title))));
        if !item.authors.is_empty() {
            let names: Vec<String> = item
                .authors
                .iter()
                .map(|n| match n {
                    Name::Person { .. } => tex(&n.inverted()),
                    Name::Body { literal } => format!("{{{}}}", tex(literal)),
                })
                .collect();
            fields.push(("author", names.join(" and ")));
        }
        if let Some(p) = first_partial(&item.date) {
            fields.push(("year", p.year.to_string()));
            if let Some(m) = p.month {
                fields.push(("month", BIB_MONTHS[m as usize - 1].to_string()));
            }
        }
        // biblatex's `date` takes ISO 8601 and ranges; qualified dates are left to `year`.
        match &item.date {
            Some(Edtf::Date(p)) if !p.uncertain && !p.approximate => {
                fields.push(("date", iso_date(p)))
            }
            Some(Edtf::Interval(Bound::Date(a), Bound::Date(b)))
                if !(a.uncertain || a.approximate || b.uncertain || b.approximate) =>
            {
                fields.push(("date", format!("{}/{}", iso_date(a), iso_date(b))))
            }
            _ => {}
        }
        if !item.publishers.is_empty() {
            let who = tex(&item.publishers.join(" and "));
            fields.push((
                if report {
                    "institution"
                } else {
                    "organization"
                },
                who,
            ));
        }
        if let Some(p) = &item.place {
            fields.push(("address", tex(p)));
        }
        if report {
            fields.push(("type", tex(item.descriptor())));
        } else {
            fields.push(("howpublished", tex(item.descriptor())));
        }
        fields.push(("url", item.url.clone()));
        if let Some(l) = item.languages.first() {
            fields.push(("language", tex(l)));
        }
        if let Some(s) = &item.summary {
            fields.push(("abstract", tex(s)));
        }
        fields.push(("note", format!("Record in {}", tex(&item.archive))));
        out.push_str(&format!(
            "@{}{{{},\n",
            if report { "techreport" } else { "misc" },
            item.id
        ));
        for (name, value) in fields {
            // `month` takes a macro (jan…dec), not a braced string.
            if name == "month" || name == "year" {
                out.push_str(&format!("  {name} = {value},\n"));
            } else {
                out.push_str(&format!("  {name} = {{{value}}},\n"));
            }
        }
        out.push_str("}\n\n");
    }
    out
}

/// RIS (the Research Information Systems tagged format), one record per document,
/// CRLF line ends as the format's specification shows.
pub fn ris(items: &[CiteItem]) -> String {
    fn line(out: &mut String, tag: &str, value: &str) {
        let v = one_line(value);
        if !v.is_empty() {
            out.push_str(&format!("{tag}  - {v}\r\n"));
        }
    }
    let mut out = String::new();
    for item in items {
        let ty = match item.kind {
            DocumentKind::ResearchStudy | DocumentKind::ParliamentaryReport => "RPRT",
            // Zotero reads SLIDE as a presentation, its type for talks and speeches.
            DocumentKind::Speech => "SLIDE",
            DocumentKind::Letter => "PCOMM",
            _ => "GOVDOC",
        };
        let o = &mut out;
        line(o, "TY", ty);
        line(o, "ID", &item.id);
        line(o, "TI", &item.title);
        for a in &item.authors {
            line(o, "AU", &a.inverted());
        }
        if let Some(p) = first_partial(&item.date) {
            line(o, "PY", &format!("{:04}", p.year));
            // DA is YYYY/MM/DD/other, with empty parts where unknown; "other" carries
            // the EDTF date when it says more (a range, a qualifier).
            let edtf = item.date.map(|d| d.to_string()).unwrap_or_default();
            let other = if edtf == iso_date(&p) {
                String::new()
            } else {
                edtf
            };
            let da = format!(
                "{:04}/{}/{}/{}",
                p.year,
                p.month.map(|m| format!("{m:02}")).unwrap_or_default(),
                p.day.map(|d| format!("{d:02}")).unwrap_or_default(),
                other
            );
            line(o, "DA", &da);
        }
        for p in &item.publishers {
            line(o, "PB", p);
        }
        if let Some(p) = &item.place {
            line(o, "CY", p);
        }
        line(o, "M3", item.descriptor());
        line(o, "UR", &item.url);
        for l in &item.languages {
            line(o, "LA", l);
        }
        if let Some(s) = &item.summary {
            line(o, "AB", s);
        }
        line(o, "DB", &item.archive);
        // ER takes no value.
        o.push_str("ER  - \r\n\r\n");
    }
    out
}

/// A CSL-JSON item (the schema of citeproc-js and Zotero), field names as in
/// `csl-data.json`.
#[derive(Debug, Serialize)]
struct CslItem<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    author: Vec<CslName<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued: Option<CslDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<String>,
    #[serde(rename = "publisher-place", skip_serializing_if = "Option::is_none")]
    publisher_place: Option<&'a str>,
    genre: &'static str,
    #[serde(rename = "URL")]
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(rename = "abstract", skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    archive: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum CslName<'a> {
    Person { family: &'a str, given: &'a str },
    Literal { literal: &'a str },
}

#[derive(Debug, Serialize)]
struct CslDate {
    #[serde(rename = "date-parts")]
    date_parts: Vec<Vec<i32>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    circa: bool,
}

fn csl_parts(p: &PartialDate) -> Vec<i32> {
    let mut v = vec![p.year];
    if let Some(m) = p.month {
        v.push(m as i32);
        if let Some(d) = p.day {
            v.push(d as i32);
        }
    }
    v
}

fn csl_date(d: &Option<Edtf>) -> Option<CslDate> {
    let (parts, circa) = match d.as_ref()? {
        Edtf::Date(p) => (vec![csl_parts(p)], p.uncertain || p.approximate),
        Edtf::Interval(Bound::Date(a), Bound::Date(b)) => (
            vec![csl_parts(a), csl_parts(b)],
            a.uncertain || a.approximate || b.uncertain || b.approximate,
        ),
        Edtf::Interval(Bound::Date(p), _) | Edtf::Interval(_, Bound::Date(p)) => {
            (vec![csl_parts(p)], true)
        }
        Edtf::Interval(..) => return None,
    };
    Some(CslDate {
        date_parts: parts,
        circa,
    })
}

/// CSL-JSON: an array of items.
pub fn csl_json(items: &[CiteItem]) -> String {
    let out: Vec<CslItem> = items
        .iter()
        .map(|item| CslItem {
            id: &item.id,
            kind: match item.kind {
                DocumentKind::Treaty | DocumentKind::Agreement => "treaty",
                DocumentKind::Speech => "speech",
                DocumentKind::ResearchStudy | DocumentKind::ParliamentaryReport => "report",
                DocumentKind::Letter => "personal_communication",
                _ => "document",
            },
            title: &item.title,
            author: item
                .authors
                .iter()
                .map(|a| match a {
                    Name::Person { given, family } => CslName::Person { family, given },
                    Name::Body { literal } => CslName::Literal { literal },
                })
                .collect(),
            issued: csl_date(&item.date),
            publisher: (!item.publishers.is_empty()).then(|| item.publishers.join("; ")),
            publisher_place: item.place.as_deref(),
            genre: item.descriptor(),
            url: &item.url,
            language: item.languages.first().map(String::as_str),
            summary: item.summary.as_deref(),
            archive: &item.archive,
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

// ---------------------------------------------------------------- the page's Cite block

/// A download link of the Cite block.
#[derive(Debug, Clone, Serialize)]
pub struct Download {
    pub format: Format,
    pub label: &'static str,
    /// Site path, e.g. `/citations/x.bib`.
    pub url: String,
    pub media_type: &'static str,
}

/// A `<meta name=… content=…>` tag for the page head.
#[derive(Debug, Clone, Serialize)]
pub struct MetaTag {
    pub name: &'static str,
    pub content: String,
}

/// What a document page shows under "Cite", and the meta tags in its head.
#[derive(Debug, Clone, Serialize)]
pub struct CiteView {
    pub chicago_note: Rendered,
    pub chicago_bibliography: Rendered,
    pub apa: Rendered,
    pub downloads: Vec<Download>,
    pub meta: Vec<MetaTag>,
}

/// The site path of a document's citation file.
pub fn citation_path(slug: &str, format: Format) -> String {
    format!("/citations/{slug}.{}", format.extension())
}

/// The document slug and format of a citation file name (`founding-act-1997.csl.json`).
pub fn parse_citation_file(file: &str) -> Option<(&str, Format)> {
    // `csl.json` first: `x.csl.json` must not read as slug `x.csl`.
    [Format::CslJson, Format::Bibtex, Format::Ris]
        .into_iter()
        .find_map(|f| {
            file.strip_suffix(f.extension())
                .and_then(|s| s.strip_suffix('.'))
                .filter(|s| dossier_model::is_valid_slug(s))
                .map(|s| (s, f))
        })
}

/// The site path of a dossier's bibliography file.
pub fn bibliography_path(dossier: &str, format: Format) -> String {
    format!("/dossiers/{dossier}/bibliography.{}", format.extension())
}

/// The Cite block of a document page.
pub fn cite_view(item: &CiteItem) -> CiteView {
    CiteView {
        chicago_note: chicago_note(item),
        chicago_bibliography: chicago_bibliography(item),
        apa: apa(item),
        downloads: Format::ALL
            .into_iter()
            .map(|f| Download {
                format: f,
                label: f.label(),
                url: citation_path(&item.id, f),
                media_type: f.media_type(),
            })
            .collect(),
        meta: meta_tags(item),
    }
}

/// Highwire Press `citation_*` tags (read by Google Scholar, Zotero, Mendeley) and Dublin
/// Core `DC.*` tags.
pub fn meta_tags(item: &CiteItem) -> Vec<MetaTag> {
    let mut m = vec![MetaTag {
        name: "citation_title",
        content: item.title.clone(),
    }];
    for a in &item.authors {
        m.push(MetaTag {
            name: "citation_author",
            content: a.inverted(),
        });
    }
    if let Some(p) = first_partial(&item.date) {
        let mut d = format!("{:04}", p.year);
        if let Some(mo) = p.month {
            d.push_str(&format!("/{mo:02}"));
            if let Some(day) = p.day {
                d.push_str(&format!("/{day:02}"));
            }
        }
        m.push(MetaTag {
            name: "citation_publication_date",
            content: d.clone(),
        });
        m.push(MetaTag {
            name: "citation_date",
            content: d,
        });
    }
    if !item.publishers.is_empty() {
        m.push(MetaTag {
            name: "citation_publisher",
            content: item.publishers.join("; "),
        });
    }
    if matches!(
        item.kind,
        DocumentKind::ResearchStudy | DocumentKind::ParliamentaryReport
    ) {
        for p in &item.publishers {
            m.push(MetaTag {
                name: "citation_technical_report_institution",
                content: p.clone(),
            });
        }
    }
    for l in &item.languages {
        m.push(MetaTag {
            name: "citation_language",
            content: l.clone(),
        });
    }
    m.push(MetaTag {
        name: "citation_public_url",
        content: item.url.clone(),
    });
    m.push(MetaTag {
        name: "citation_abstract_html_url",
        content: item.url.clone(),
    });
    m.push(MetaTag {
        name: "DC.title",
        content: item.title.clone(),
    });
    for a in &item.authors {
        m.push(MetaTag {
            name: "DC.creator",
            content: a.inverted(),
        });
    }
    if let Some(d) = &item.date {
        m.push(MetaTag {
            name: "DC.date",
            content: d.to_string(),
        });
    }
    m.push(MetaTag {
        name: "DC.type",
        content: item.descriptor().into(),
    });
    m.push(MetaTag {
        name: "DC.identifier",
        content: item.url.clone(),
    });
    m
}

/// The citation items of documents, in the order given.
pub fn items(
    store: &dyn Store,
    docs: &[Document],
    site: &Site,
) -> Result<Vec<CiteItem>, PublishError> {
    docs.iter()
        .map(|d| CiteItem::from_document(store, d, site))
        .collect()
}

/// The bibliography of a dossier (its documents in date order) in one format; `None` if
/// there is no such dossier.
pub fn dossier_bibliography(
    store: &dyn Store,
    dossier: &str,
    format: Format,
    site: &Site,
) -> Result<Option<String>, PublishError> {
    if !store.exists(RecordType::Dossier, dossier)? {
        return Ok(None);
    }
    let docs = store.documents(&dossier_store::DocumentQuery {
        dossier: Some(dossier.into()),
        ..Default::default()
    })?;
    Ok(Some(format.write(&items(store, &docs, site)?)))
}

/// The bibliography of the documents named (a search result, a selection) in one format.
/// Slugs the archive does not hold are returned as the error's list.
pub fn selection_bibliography(
    store: &dyn Store,
    slugs: &[String],
    format: Format,
    site: &Site,
) -> Result<Result<String, Vec<String>>, PublishError> {
    let mut docs = Vec::new();
    let mut missing = Vec::new();
    for s in slugs {
        match store.document(s)? {
            Some(d) => docs.push(d),
            None => missing.push(s.clone()),
        }
    }
    if !missing.is_empty() {
        return Ok(Err(missing));
    }
    Ok(Ok(format.write(&items(store, &docs, site)?)))
}

// ---------------------------------------------------------------- a search's bibliography

/// The most documents a search's bibliography holds: the first 1,000 documents among the
/// hits, in the order of the search (the same cap as a `?documents=` selection).
pub const SEARCH_BIBLIOGRAPHY_LIMIT: usize = 1000;

/// The documents among the hits of a search, in the search's order, at most `limit`.
/// Sections, bodies, people, events and topics that match are left out: a bibliography
/// cites documents. The filter is added to the parsed query (not to its text), so that
/// an error names the place in the query as the reader typed it, and a query at the
/// query language's limits, which the search page accepts, has a bibliography too.
pub fn search_documents(
    index: &SearchIndex,
    query: &str,
    sort: Sort,
    limit: usize,
) -> Result<Vec<String>, SearchError> {
    let per_page = 100;
    let mut out = Vec::new();
    let mut page = 1;
    while out.len() < limit {
        let results = index.search_also(
            &SearchRequest {
                query: query.to_string(),
                sort,
                page,
                per_page,
                facets: false,
            },
            documents_only(),
        )?;
        let n = results.hits.len();
        out.extend(
            results
                .hits
                .into_iter()
                .filter(|h| h.record == "document")
                .map(|h| h.slug),
        );
        if n < per_page || page * per_page >= results.total {
            break;
        }
        page += 1;
    }
    out.truncate(limit);
    Ok(out)
}

/// How many documents a search's bibliography holds (at most [`SEARCH_BIBLIOGRAPHY_LIMIT`]).
pub fn search_document_count(
    index: &SearchIndex,
    query: &str,
    sort: Sort,
) -> Result<usize, SearchError> {
    let results = index.search_also(
        &SearchRequest {
            query: query.to_string(),
            sort,
            page: 1,
            per_page: 1,
            facets: false,
        },
        documents_only(),
    )?;
    Ok(results.total.min(SEARCH_BIBLIOGRAPHY_LIMIT))
}

/// `type:document`: the hits a bibliography cites.
fn documents_only() -> dossier_search::query::Filter {
    dossier_search::query::Filter::Type("document".into())
}

/// The site path of a search's bibliography: `/bibliography.bib?q=…` (and `&sort=…`
/// unless the order is by relevance).
pub fn search_bibliography_path(query: &str, sort: Sort, format: Format) -> String {
    let mut q = String::new();
    for b in query.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            q.push(b as char);
        } else {
            q.push_str(&format!("%{b:02X}"));
        }
    }
    let sort = match sort {
        Sort::Relevance => "",
        Sort::Date => "&sort=date",
        Sort::DateDesc => "&sort=date-desc",
    };
    format!("/bibliography.{}?q={q}{sort}", format.extension())
}

/// The download links of a search's bibliography, one per format.
pub fn search_downloads(query: &str, sort: Sort) -> Vec<Download> {
    Format::ALL
        .into_iter()
        .map(|f| Download {
            format: f,
            label: f.label(),
            url: search_bibliography_path(query, sort, f),
            media_type: f.media_type(),
        })
        .collect()
}

/// The bibliography of a search: the documents of [`search_documents`] (the first
/// [`SEARCH_BIBLIOGRAPHY_LIMIT`]) in one file. A malformed query is `Ok(Err(message))`.
/// A hit the store no longer holds (the index follows the store a moment behind) is
/// left out.
pub fn search_bibliography(
    store: &dyn Store,
    index: &SearchIndex,
    query: &str,
    sort: Sort,
    format: Format,
    site: &Site,
) -> Result<Result<String, String>, PublishError> {
    let slugs = match search_documents(index, query, sort, SEARCH_BIBLIOGRAPHY_LIMIT) {
        Ok(s) => s,
        Err(SearchError::Query(e)) => return Ok(Err(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let mut docs = Vec::with_capacity(slugs.len());
    for s in &slugs {
        if let Some(d) = store.document(s)? {
            docs.push(d);
        }
    }
    Ok(Ok(format.write(&items(store, &docs, site)?)))
}

/// The document page's view with its Cite block.
pub fn document_page(
    store: &dyn Store,
    slug: &str,
    site: &Site,
) -> Result<Option<crate::views::DocumentView>, PublishError> {
    let Some(doc) = store.document(slug)? else {
        return Ok(None);
    };
    let Some(mut view) = crate::views::document(store, slug)? else {
        return Ok(None);
    };
    view.cite = Some(cite_view(&CiteItem::from_document(store, &doc, site)?));
    Ok(Some(view))
}

/// The citation file of one document; `None` if there is no such document.
pub fn document_citation(
    store: &dyn Store,
    slug: &str,
    format: Format,
    site: &Site,
) -> Result<Option<String>, PublishError> {
    let Some(doc) = store.document(slug)? else {
        return Ok(None);
    };
    Ok(Some(
        format.write(&[CiteItem::from_document(store, &doc, site)?]),
    ))
}

#[cfg(test)]
mod tests;
