//! The citation styles for readers: Chicago (notes and bibliography, 17th ed.) and APA
//! (7th ed.), each as plain text and as escaped HTML.

use super::item::{CiteItem, Name};
use dossier_model::date::{Bound, MONTHS};
use dossier_model::html::escape_html;
use dossier_model::{Edtf, PartialDate};
use serde::Serialize;

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
pub(super) fn chicago_date(d: &Option<Edtf>) -> String {
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
pub(super) fn apa_date(d: &Option<Edtf>) -> String {
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

/// Chicago's publication facts of a work of its own: "Place: Publisher, Date" (the
/// place or the publisher left out where not recorded), as a note and the bibliography
/// both give them.
fn chicago_publication(item: &CiteItem) -> String {
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
    facts
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
        r.push(&format!(" ({}), ", chicago_publication(item)));
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
        r.push(&chicago_publication(item));
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

impl Name {
    /// APA: "Putin, V." ("Hoop Scheffer, J. de" is not attempted: particles stay in front).
    pub(super) fn apa(&self) -> String {
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
}
