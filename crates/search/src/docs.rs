//! What the index holds for each record: plain data taken from the store.

use dossier_model::RecordType;
use dossier_model::*;
use dossier_store::{Store, StoreError};
use std::collections::HashMap;

/// One searchable unit: a record, or one section of a dossier.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDoc {
    /// `type:slug`, unique in the index (`section:nato-russia#a-i-1` for sections).
    pub id: String,
    /// `document`, `section`, `body`, `person`, `event`, `topic`.
    pub kind_of_record: &'static str,
    pub slug: String,
    pub url: String,
    pub title: String,
    pub body: String,
    /// `en`, `fr` or `ru`: which analyser reads the text.
    pub lang: String,
    /// The record's kind slug (document kind, event kind…), if it has one.
    pub kind: Option<String>,
    pub bodies: Vec<String>,
    pub people: Vec<String>,
    pub dossiers: Vec<String>,
    /// Collections the record was imported into (slugs).
    pub collections: Vec<String>,
    /// When it was issued (for documents), held, born…: what `year:`, `date:` and the
    /// year and decade facets read.
    pub date: Option<Edtf>,
    /// The period a document covers: what `coverage:` reads, never the year facets.
    pub coverage: Option<Edtf>,
    /// A document's texts: (language tag as given, the text), each read by its
    /// language's analyser ([`analyser`]) and found by `lang:` under its language.
    pub texts: Vec<(String, String)>,
}

/// The analysers of the index, by language: Snowball stemmers for these languages, and
/// `und` (undetermined: no stemmer) for a text in any other language. A record's own
/// title and summary are read as English unless its languages say otherwise.
pub const LANGS: [&str; N_LANGS] = ["en", "fr", "ru", "de", "es", "it", UND];

/// The analyser of a text whose language has no stemmer here: words lower-cased only.
pub const UND: &str = "und";

/// How many analysers (and so text fields) the index has.
pub const N_LANGS: usize = 7;

/// The primary subtag of a BCP 47 tag, lower-cased (`fr-CA` → `fr`); `und` if empty.
pub fn primary_subtag(tag: &str) -> String {
    let p = tag.trim().split(['-', '_']).next().unwrap_or_default();
    if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphabetic()) || p.len() > 8 {
        UND.to_string()
    } else {
        p.to_ascii_lowercase()
    }
}

/// The index of the analyser that reads text in language `tag` (`und` for a language
/// without a stemmer).
pub fn analyser(tag: &str) -> usize {
    let p = primary_subtag(tag);
    LANGS
        .iter()
        .position(|l| *l == p)
        .unwrap_or(LANGS.len() - 1)
}

fn text_lang(languages: &[String]) -> String {
    if languages.is_empty() || languages.iter().any(|l| l == "en" || l.starts_with("en-")) {
        return "en".into();
    }
    let first = primary_subtag(&languages[0]);
    if LANGS.contains(&first.as_str()) && first != UND {
        first
    } else {
        "en".into()
    }
}

fn join(parts: &[Option<&str>]) -> String {
    let mut out = String::new();
    for p in parts.iter().flatten() {
        if p.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(p);
    }
    out
}

/// Markdown commentary as plain text: `[words](ref:3)` → `words`, escapes dropped.
pub fn plain_commentary(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut chars = md.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '[' => {}
            ']' if chars.peek() == Some(&'(') => {
                for n in chars.by_ref() {
                    if n == ')' {
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

pub fn from_document(d: &Document) -> IndexDoc {
    let lang = text_lang(&d.languages);
    let mut title = d.title.clone();
    for a in &d.aliases {
        title.push_str(" · ");
        title.push_str(a);
    }
    IndexDoc {
        id: format!("document:{}", d.slug),
        kind_of_record: "document",
        slug: d.slug.clone(),
        url: format!("/documents/{}", d.slug),
        title,
        body: join(&[d.summary.as_deref(), d.place.as_deref()]),
        lang: lang.clone(),
        kind: Some(d.kind.slug().into()),
        bodies: d.issued_by.iter().chain(&d.parties).cloned().collect(),
        people: d.authors.clone(),
        dossiers: d.dossiers.clone(),
        collections: d.collections.clone(),
        date: d.date,
        coverage: d.coverage,
        texts: d
            .texts
            .iter()
            .map(|t| {
                let text: Vec<&str> = t.blocks.iter().map(|b| b.text.as_str()).collect();
                // A text of no recorded language (an older record's `full_text`) is read
                // in the record's language.
                let tag = if primary_subtag(&t.lang) == UND {
                    lang.clone()
                } else {
                    t.lang.clone()
                };
                (tag, text.join("\n\n"))
            })
            .filter(|(_, text)| !text.trim().is_empty())
            .collect(),
    }
}

/// A record's names and then its external identifiers' values (`Q7184`), parted as the
/// title is: the first is the name shown, the others are found as the title is (a search
/// for an alias or a Wikidata item finds the record), never shown as its title.
fn names_and_identifiers<'a>(
    names: impl IntoIterator<Item = &'a String>,
    identifiers: &[ExternalId],
) -> String {
    let mut all: Vec<&str> = names.into_iter().map(String::as_str).collect();
    all.extend(identifiers.iter().map(|id| id.value.as_str()));
    all.join(" · ")
}

pub fn from_body(b: &Body) -> IndexDoc {
    let title = names_and_identifiers(
        std::iter::once(&b.name)
            .chain(&b.acronyms)
            .chain(&b.aliases),
        &b.identifiers,
    );
    IndexDoc {
        id: format!("body:{}", b.slug),
        kind_of_record: "body",
        slug: b.slug.clone(),
        url: format!("/bodies/{}", b.slug),
        title,
        body: join(&[
            b.summary.as_deref(),
            b.format.as_deref(),
            b.decision_rule.as_deref(),
        ]),
        lang: "en".into(),
        kind: Some(b.kind.slug().into()),
        bodies: vec![b.slug.clone()],
        people: vec![],
        dossiers: b.dossiers.clone(),
        collections: b.collections.clone(),
        date: b.established,
        coverage: None,
        texts: vec![],
    }
}

pub fn from_person(p: &Person) -> IndexDoc {
    let offices: Vec<String> = p.offices.iter().map(|o| o.title.clone()).collect();
    IndexDoc {
        id: format!("person:{}", p.slug),
        kind_of_record: "person",
        slug: p.slug.clone(),
        url: format!("/people/{}", p.slug),
        title: names_and_identifiers(std::iter::once(&p.name).chain(&p.aliases), &p.identifiers),
        body: join(&[p.summary.as_deref(), Some(&offices.join("; "))]),
        lang: "en".into(),
        kind: None,
        bodies: p.offices.iter().filter_map(|o| o.body.clone()).collect(),
        people: vec![p.slug.clone()],
        dossiers: p.dossiers.clone(),
        collections: p.collections.clone(),
        date: None,
        coverage: None,
        texts: vec![],
    }
}

pub fn from_event(e: &Event) -> IndexDoc {
    IndexDoc {
        id: format!("event:{}", e.slug),
        kind_of_record: "event",
        slug: e.slug.clone(),
        url: format!("/events/{}", e.slug),
        title: e.title.clone(),
        body: join(&[e.summary.as_deref(), e.place.as_deref()]),
        lang: "en".into(),
        kind: Some(e.kind.slug().into()),
        bodies: e.bodies.clone(),
        people: e.people.clone(),
        dossiers: e.dossiers.clone(),
        collections: e.collections.clone(),
        date: e.date,
        coverage: None,
        texts: vec![],
    }
}

pub fn from_topic(t: &Topic) -> IndexDoc {
    IndexDoc {
        id: format!("topic:{}", t.slug),
        kind_of_record: "topic",
        slug: t.slug.clone(),
        url: format!("/topics/{}", t.slug),
        title: t.title.clone(),
        body: t.summary.clone().unwrap_or_default(),
        lang: "en".into(),
        kind: Some(t.kind.slug().into()),
        bodies: t.bodies.clone(),
        people: vec![],
        dossiers: t.dossiers.clone(),
        collections: t.collections.clone(),
        date: None,
        coverage: None,
        texts: vec![],
    }
}

/// One document per section of the dossier (sections carry the commentary).
pub fn from_dossier(d: &Dossier) -> Vec<IndexDoc> {
    d.all_sections()
        .into_iter()
        .map(|s| IndexDoc {
            id: format!("section:{}#{}", d.slug, s.key),
            kind_of_record: "section",
            slug: format!("{}#{}", d.slug, s.key),
            url: format!("/dossiers/{}#{}", d.slug, s.key),
            title: if s.label.is_empty() {
                s.title.clone()
            } else {
                format!("{} {}", s.label, s.title)
            },
            body: plain_commentary(&s.commentary),
            lang: "en".into(),
            kind: None,
            bodies: vec![],
            people: vec![],
            dossiers: vec![d.slug.clone()],
            collections: vec![],
            date: None,
            coverage: None,
            texts: vec![],
        })
        .collect()
}

/// The index documents for one record as the store holds it now (empty if it is gone).
pub fn for_record(
    store: &dyn Store,
    record: RecordType,
    slug: &str,
) -> Result<Vec<IndexDoc>, StoreError> {
    Ok(match record {
        RecordType::Document => store.document(slug)?.map(|d| vec![from_document(&d)]),
        RecordType::Body => store.body(slug)?.map(|b| vec![from_body(&b)]),
        RecordType::Person => store.person(slug)?.map(|p| vec![from_person(&p)]),
        RecordType::Event => store.event(slug)?.map(|e| vec![from_event(&e)]),
        RecordType::Topic => store.topic(slug)?.map(|t| vec![from_topic(&t)]),
        RecordType::Dossier => store.dossier(slug)?.map(|d| from_dossier(&d)),
    }
    .unwrap_or_default())
}

/// The records of a batch the store has just written, by type and slug, so that the index
/// can be built from the copies in memory instead of reading each one back: the store
/// keeps exactly these copies (as JSON), so the documents are the same as
/// [`for_record`]'s. A slug written twice in one batch keeps its last copy, as the store
/// does.
pub struct InMemory<'a> {
    records: HashMap<(RecordType, &'a str), Ref<'a>>,
}

enum Ref<'a> {
    Dossier(&'a Dossier),
    Document(&'a Document),
    Body(&'a Body),
    Person(&'a Person),
    Event(&'a Event),
    Topic(&'a Topic),
}

impl<'a> InMemory<'a> {
    pub fn new(archive: &'a Archive) -> Self {
        let mut records = HashMap::new();
        for d in &archive.dossiers {
            records.insert((RecordType::Dossier, d.slug.as_str()), Ref::Dossier(d));
        }
        for d in &archive.documents {
            records.insert((RecordType::Document, d.slug.as_str()), Ref::Document(d));
        }
        for b in &archive.bodies {
            records.insert((RecordType::Body, b.slug.as_str()), Ref::Body(b));
        }
        for p in &archive.people {
            records.insert((RecordType::Person, p.slug.as_str()), Ref::Person(p));
        }
        for e in &archive.events {
            records.insert((RecordType::Event, e.slug.as_str()), Ref::Event(e));
        }
        for t in &archive.topics {
            records.insert((RecordType::Topic, t.slug.as_str()), Ref::Topic(t));
        }
        InMemory { records }
    }

    /// The index documents of one record of the batch; `None` if the batch lacks it.
    pub fn docs(&self, record: RecordType, slug: &str) -> Option<Vec<IndexDoc>> {
        Some(match self.records.get(&(record, slug))? {
            Ref::Dossier(d) => from_dossier(d),
            Ref::Document(d) => vec![from_document(d)],
            Ref::Body(b) => vec![from_body(b)],
            Ref::Person(p) => vec![from_person(p)],
            Ref::Event(e) => vec![from_event(e)],
            Ref::Topic(t) => vec![from_topic(t)],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commentary_becomes_plain_text() {
        assert_eq!(
            plain_commentary("The [Founding Act](ref:2) \\*was\\* signed. [Click here](ref:1)."),
            "The Founding Act *was* signed. Click here."
        );
    }

    #[test]
    fn language_of_the_text() {
        assert_eq!(text_lang(&[]), "en");
        assert_eq!(text_lang(&["fr".into()]), "fr");
        assert_eq!(text_lang(&["ru".into(), "en".into()]), "en");
        assert_eq!(text_lang(&["de".into()]), "de");
        assert_eq!(text_lang(&["uk".into()]), "en");
        assert_eq!(text_lang(&["FR-ca".into()]), "fr");
        assert_eq!(analyser("fr-CA"), 1);
        assert_eq!(LANGS[analyser("uk")], UND);
        assert_eq!(LANGS[analyser("<script>")], UND);
        assert_eq!(LANGS.len(), N_LANGS);
    }
}
