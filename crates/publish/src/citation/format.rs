//! The machine formats reference managers import: BibTeX, RIS and CSL-JSON.

use super::item::{first_partial, one_line, CiteItem, Name};
use dossier_model::date::{Bound, MONTHS};
use dossier_model::{DocumentKind, Edtf, PartialDate};
use serde::Serialize;

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
                // BibTeX's month macros (jan…dec) are the English names' first three
                // letters.
                fields.push(("month", MONTHS[m as usize - 1][..3].to_ascii_lowercase()));
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
