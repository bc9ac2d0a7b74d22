//! The records of the archive. Field names here are the field names of the curated data
//! file, of the JSON API and of the store's JSON columns, so they are chosen to last.

use crate::date::Edtf;
use crate::kinds::*;
use serde::{Deserialize, Serialize};

/// Where a fact in a record comes from on the seed page: a section and the words it uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    /// The key of the section that states the fact, e.g. `a-i-1`.
    pub section: String,
    /// The page's own words.
    pub quote: String,
    /// Which fields of the record the quote supports (empty: the record as a whole).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// A public document outside the seed page that states a fact, or where a text can be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// What the source is, in words a reader can look up.
    pub title: String,
    /// Where it can be read, if we know an address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Which fields of the record it supports (empty: the record as a whole).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

/// Provenance shared by every record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<Trace>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// Things a reader should know are missing or doubtful, in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<String>,
    /// Status-like facts of the record with the date they were last known to hold
    /// (issue 25): a page shows "as of 2002" and flags one older than the dossier's
    /// staleness threshold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
}

/// A fact that can age: "Russia continues to take part", a body's activity, a document's
/// availability. Pages say when it was last known to hold, so a reader can tell a
/// present tense written in 2002 from one checked this year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The field the claim qualifies (`status`, `availability`, `summary`, `format`,
    /// `commentary`, …), as the record's JSON names it.
    pub field: String,
    /// The words that make the claim, where it is a sentence of prose (a summary or a
    /// section's commentary); `None` when the claim is the field's whole value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The last date the claim was known to hold.
    pub as_of: Edtf,
}

/// A named collection an import puts its records in ("the visits", "the Milestones
/// essays"), kept apart from curated dossiers: a dossier includes a record only through
/// its outline, an editor's choice or a saved query it names (issue 27).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Where the collection comes from, in words ("Office of the Historian, FRUS").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The source's address, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A search a dossier names: its hits belong to the dossier (issue 27).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedQuery {
    pub title: String,
    /// In the search language (`type:document body:nrc`).
    pub query: String,
}

/// A document's text in one language (issue 27), as blocks in reading order. Paragraphs
/// are numbered in order, headings are not, so "para. 12" means the twelfth paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// BCP 47 language tag.
    pub lang: String,
    #[serde(default)]
    pub blocks: Vec<TextBlock>,
    /// Where this text was taken from (an address or a file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Text {
    /// A plain text: paragraphs at blank lines, none a heading.
    pub fn plain(lang: &str, text: &str, source: Option<String>) -> Text {
        Text {
            lang: lang.to_string(),
            blocks: text
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| TextBlock {
                    heading: false,
                    text: p.to_string(),
                })
                .collect(),
            source,
        }
    }

    /// The text as plain text: blocks separated by blank lines (what search indexes).
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&b.text);
        }
        out
    }
}

/// Each document's texts: a language tag each (it goes into addresses), one text per
/// language, and words in every text and paragraph.
pub(crate) fn text_errors(a: &crate::Archive) -> Vec<crate::ValidationError> {
    let mut out = Vec::new();
    for d in &a.documents {
        let mut err = |field: String, problem: String| {
            out.push(crate::ValidationError {
                record: "document",
                slug: d.slug.clone(),
                field,
                problem,
            })
        };
        for (i, t) in d.texts.iter().enumerate() {
            if let Err(e) = check_language_tag(&t.lang) {
                err(format!("texts[{i}].lang"), e);
            } else if d.texts[..i]
                .iter()
                .any(|o| o.lang.eq_ignore_ascii_case(&t.lang))
            {
                err(
                    format!("texts[{i}].lang"),
                    format!(
                        "a second text in `{}`; a document holds one text per language",
                        t.lang
                    ),
                );
            }
            if t.blocks.is_empty() {
                err(
                    format!("texts[{i}].blocks"),
                    "the text has no paragraph".into(),
                );
            }
            if let Some(j) = t.blocks.iter().position(|b| b.text.trim().is_empty()) {
                err(
                    format!("texts[{i}].blocks[{j}].text"),
                    "an empty paragraph or heading".into(),
                );
            }
        }
    }
    out
}

/// The language tag of a text whose language no one recorded (BCP 47 "undetermined").
pub const UNDETERMINED_LANGUAGE: &str = "und";

/// Checks the form of a BCP 47 language tag (`en`, `fr`, `ru`, `sr-Latn`, `pt-BR`): a
/// primary subtag of 2–8 letters, then subtags of 1–8 letters or digits, at most 35
/// characters; the tag goes into addresses (`?lang=fr`), so nothing else passes.
pub fn check_language_tag(tag: &str) -> Result<(), String> {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let ok = tag.len() <= 35
        && (2..=8).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts
            .all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        let shown: String = tag.chars().take(40).collect();
        Err(format!(
            "{shown:?} is not a language tag (BCP 47, such as en, fr, ru or pt-BR)"
        ))
    }
}

/// `texts`, or the `full_text` string of a record written before texts existed: that
/// string becomes one text in language `und` (its paragraphs at blank lines), so old
/// JSON reads unchanged and is written back as `texts`.
fn texts_or_full_text<'de, D>(d: D) -> Result<Vec<Text>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct TextsOrString;
    impl<'de> serde::de::Visitor<'de> for TextsOrString {
        type Value = Vec<Text>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(
                "a list of texts ({lang, blocks}) or, in an older record, a full_text string",
            )
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Vec<Text>, E> {
            let t = Text::plain(UNDETERMINED_LANGUAGE, s, None);
            Ok(if t.blocks.is_empty() {
                Vec::new()
            } else {
                vec![t]
            })
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<Text>, E> {
            Ok(Vec::new())
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Vec<Text>, E> {
            Ok(Vec::new())
        }
        fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<Vec<Text>, D2::Error> {
            d.deserialize_any(TextsOrString)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<Text>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(t) = seq.next_element::<Text>()? {
                out.push(t);
            }
            Ok(out)
        }
    }
    d.deserialize_any(TextsOrString)
}

/// A heading or a paragraph of a document's text, plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextBlock {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub heading: bool,
    pub text: String,
}

/// A curated topical collection, such as "Formal NATO-Russia Relations".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dossier {
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Where the outline came from (a file name or an address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The top-level sections (parts A–D of the seed), each with its children.
    #[serde(default)]
    pub sections: Vec<Section>,
    /// Searches whose hits belong to the dossier besides its outline's records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub queries: Vec<SavedQuery>,
    /// After how many years a claim's as-of date is flagged as possibly out of date
    /// (`None`: [`DEFAULT_STALE_AFTER_YEARS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stale_after_years: Option<u32>,
}

/// The staleness threshold of a dossier that sets none.
pub const DEFAULT_STALE_AFTER_YEARS: u32 = 5;

/// The deepest a dossier's sections may nest: a top-level section is at depth 1, its
/// children at depth 2, and so on.
///
/// Real archive outlines nest at most five levels (part `A.`, roman `I.`, arabic `1.`,
/// decimal `1.1`, letter `a)`); sixteen leaves room for any outline a person writes while
/// keeping every record readable: each level of sections is two levels of JSON (the
/// section's object and its `children` array), so a dossier at this depth is at most
/// 2 × 16 + 4 = 36 levels of JSON, far inside the 128 that `serde_json` reads. Without a
/// limit, a 63-level outline was written and could then not be read back. Every importer
/// refuses a deeper outline early, and [`crate::Archive::validate`] (which every store
/// write goes through) refuses it again.
pub const MAX_SECTION_DEPTH: usize = 16;

/// A numbered part of a dossier's outline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Stable anchor, unique in the dossier: the label path, e.g. `a-ii-3-6`.
    pub key: String,
    /// The label as written: `A.`, `I.`, `3.6.`, `a)`; empty for an unnumbered heading.
    pub label: String,
    pub title: String,
    /// The shorter title the page's table of contents uses, where it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_title: Option<String>,
    /// Markdown; links of the form `[text](ref:N)` point at `references[N-1]`.
    #[serde(default)]
    pub commentary: String,
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Lists generated from records (a saved query), shown after the commentary.
    #[serde(default)]
    pub lists: Vec<GeneratedList>,
    /// Sentences of the commentary in the present tense, with when they were last known
    /// to hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
    #[serde(default)]
    pub children: Vec<Section>,
}

/// A reference made by a section: "Click here for the joint statement …".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// The words of the page that make the reference.
    pub text: String,
    /// What it points at; `None` while nobody has resolved it (a visible gap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// True for words of the commentary that an editor linked to a record (a mention);
    /// false for the page's own references ("Click here for …").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mention: bool,
}

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "type")]
pub enum Target {
    Document {
        slug: String,
    },
    Body {
        slug: String,
    },
    Event {
        slug: String,
    },
    Topic {
        slug: String,
    },
    Person {
        slug: String,
    },
    /// Another dossier, which may not be in the archive yet.
    Dossier {
        slug: String,
        title: String,
    },
    /// A site outside the archive; `url` is `None` when the page names it without an address.
    External {
        title: String,
        url: Option<String>,
    },
}

/// Which records a generated list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListOf {
    Documents,
    Events,
}

/// A list that is really a query: "List of Meetings of the NATO-Russia Permanent Joint
/// Council", "the declarations of the new body are listed below".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratedList {
    /// A heading for the list, if the section's title does not say it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    pub of: ListOf,
    /// Document or event kind slugs to include (empty: any kind).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Only records of (documents: issued by; events: held by) these bodies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bodies: Vec<String>,
    /// Only events at these levels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<Level>,
    /// How many items the source page itself listed (`Some(0)`: "listed below" and none
    /// followed); `None` when the list did not come from a page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_listed: Option<u32>,
    /// True only when an editor has checked that the archive holds every record the
    /// list should show; otherwise the page says the list may be partial.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub complete: bool,
}

/// An official document, speech, study or report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub slug: String,
    pub title: String,
    /// Other names the document goes by ("Founding Act").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub kind: DocumentKind,
    /// When it was issued or published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Edtf>,
    /// The period it covers (`dcterms:temporal`), usually an EDTF interval: an essay on
    /// "NATO, 1988–2001" covers `1988/2001` whenever it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Edtf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Bodies that issued it (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issued_by: Vec<String>,
    /// People who issued, signed or gave it (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// Bodies bound by or party to it (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<String>,
    #[serde(default = "unknown_legal")]
    pub legal_status: LegalStatus,
    #[serde(default = "unknown_availability")]
    pub availability: Availability,
    /// BCP 47 language tags of the texts that exist.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The texts the archive holds, one per language. A record written before texts
    /// existed has a `full_text` string instead: it reads as one text (see
    /// [`texts_or_full_text`]).
    #[serde(
        default,
        alias = "full_text",
        deserialize_with = "texts_or_full_text",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub texts: Vec<Text>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<Relation>,
    /// Dossiers this document belongs to (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dossiers: Vec<String>,
    /// Collections the record was imported into (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<String>,
    /// Topics the document treats (slugs), e.g. the subject keys of a TEI `@ana`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    #[serde(flatten)]
    pub provenance: Provenance,
}

fn unknown_legal() -> LegalStatus {
    LegalStatus::Unknown
}
fn unknown_availability() -> Availability {
    Availability::Unknown
}

/// A typed link from one document to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    #[serde(rename = "type")]
    pub kind: DocumentRelation,
    pub document: String,
}

/// A dated link from a body to the body that came before or after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyLink {
    pub slug: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Edtf>,
}

/// An organisation, state, council, programme, force or parliament.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    pub slug: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acronyms: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub kind: BodyKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub established: Option<Edtf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<Edtf>,
    /// The document that set it up (slug).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founding_document: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub predecessors: Vec<BodyLink>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub successors: Vec<BodyLink>,
    /// The body it belongs to (slug), e.g. a council of NATO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_of: Option<String>,
    /// Who sits in it, e.g. "NATO+1": the Allies and Russia.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// How it decides, e.g. "consensus, at 20".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Its identifiers in outside authority files (Wikidata, VIAF, ISNI, GND): shown on
    /// its page, as JSON-LD `sameAs`, in EAC-CPF and OAI-PMH, and matched by
    /// reconciliation (issue 28).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<crate::identifiers::ExternalId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dossiers: Vec<String>,
    /// Collections the record was imported into (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<String>,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// An office a person held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Office {
    pub title: String,
    /// The body the office belongs to (slug).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Edtf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Edtf>,
}

/// A person who acts in the relationship.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub slug: String,
    pub name: String,
    /// Other names the person is known by (another spelling or transliteration, a
    /// maiden name, the name with an office: "President Boris N. Yeltsin"); matched by
    /// search and reconciliation, and kept from the other record when two are merged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offices: Vec<Office>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Its identifiers in outside authority files (Wikidata, VIAF, ISNI, GND): shown on
    /// its page, as JSON-LD `sameAs`, in EAC-CPF and OAI-PMH, and matched by
    /// reconciliation (issue 28).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<crate::identifiers::ExternalId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dossiers: Vec<String>,
    /// Collections the record was imported into (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<String>,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// A meeting, summit, consultation, signing, suspension…
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub slug: String,
    pub title: String,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<Edtf>,
    /// Bodies that held or met in it (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bodies: Vec<String>,
    /// People who took part (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Documents it produced (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outcome_documents: Vec<String>,
    /// Whether a public statement came out of it; `None` when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_statement: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dossiers: Vec<String>,
    /// Collections the record was imported into (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<String>,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// An area of co-operation or a source of disagreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub slug: String,
    pub title: String,
    pub kind: TopicKind,
    #[serde(default = "unknown_status")]
    pub status: TopicStatus,
    /// When the status was last known to hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<Edtf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The dossier sections that treat it (keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bodies: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dossiers: Vec<String>,
    /// Collections the record was imported into (slugs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<String>,
    #[serde(flatten)]
    pub provenance: Provenance,
}

fn unknown_status() -> TopicStatus {
    TopicStatus::Unknown
}

impl Section {
    /// This section and all below it, depth first, in reading order. Iterative, so a tree
    /// of any depth (one not yet validated) costs no stack.
    pub fn walk(&self) -> Vec<&Section> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(s) = stack.pop() {
            out.push(s);
            stack.extend(s.children.iter().rev());
        }
        out
    }

    /// Mutable access to a section below (or at) this one by key (iterative, as `walk`).
    pub fn find_mut(&mut self, key: &str) -> Option<&mut Section> {
        let mut stack = vec![self];
        while let Some(s) = stack.pop() {
            if s.key == key {
                return Some(s);
            }
            stack.extend(s.children.iter_mut().rev());
        }
        None
    }

    /// How deep the tree below this section goes, counting this section as 1.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((s, d)) = stack.pop() {
            deepest = deepest.max(d);
            stack.extend(s.children.iter().map(|c| (c, d + 1)));
        }
        deepest
    }
}

impl Dossier {
    /// How deep the sections nest (0 without sections; a top-level section is depth 1).
    pub fn depth(&self) -> usize {
        self.sections.iter().map(Section::depth).max().unwrap_or(0)
    }

    /// The first section (in reading order) deeper than `max`, with the labels (or titles,
    /// where a section has no label) of the path that leads to it, for error messages.
    /// Walks no further below it, so a tree of any depth costs time linear in its size.
    pub fn too_deep(&self, max: usize) -> Option<(&Section, Vec<&str>)> {
        let mut stack: Vec<(&Section, usize)> =
            self.sections.iter().rev().map(|s| (s, 1)).collect();
        let mut path: Vec<&Section> = Vec::new();
        while let Some((s, d)) = stack.pop() {
            path.truncate(d - 1);
            path.push(s);
            if d > max {
                let names = path
                    .iter()
                    .map(|p| {
                        if p.label.is_empty() {
                            p.title.as_str()
                        } else {
                            p.label.as_str()
                        }
                    })
                    .collect();
                return Some((s, names));
            }
            stack.extend(s.children.iter().rev().map(|c| (c, d + 1)));
        }
        None
    }

    /// Every section in reading order.
    pub fn all_sections(&self) -> Vec<&Section> {
        self.sections.iter().flat_map(|s| s.walk()).collect()
    }

    pub fn section_mut(&mut self, key: &str) -> Option<&mut Section> {
        self.sections.iter_mut().find_map(|s| s.find_mut(key))
    }
}
