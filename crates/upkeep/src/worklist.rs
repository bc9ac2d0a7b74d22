//! The worklist (issue 25): every gap of the archive as one list, grouped and counted per
//! kind, each item naming its record and field and the page where an editor fixes it.
//! `dossier check` prints it (and fails a CI run on chosen kinds); `/review/gaps` shows it
//! to editors.
//!
//! Read through the [`Store`] trait alone, in a number of reads that does not grow with
//! the archive: the records of each type once, each dossier once, the newest link checks
//! and the newest captures once, and one read per generated list.

use crate::check::{Citation, CitedUrl};
use dossier_authority::{normalise, Authorities, DuplicateReason, Entry};
use dossier_model::claims::{as_of_human, is_stale, stale_after_years};
use dossier_model::url::{dossier_urls, is_web_url, source_urls};
use dossier_model::*;
use dossier_store::{DocumentQuery, EventQuery, LinkOutcome, RecordCard, Store, StoreError};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::collections::{HashMap, HashSet};

/// What kind of gap an item is. The order here is the order of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    UnresolvedReference,
    EmptySection,
    PartialList,
    UnsourcedFact,
    StaleStatus,
    NoText,
    NoLanguage,
    Undated,
    BrokenLink,
    RedirectedLink,
    NotArchived,
    LikelyDuplicate,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::UnresolvedReference,
        Kind::EmptySection,
        Kind::PartialList,
        Kind::UnsourcedFact,
        Kind::StaleStatus,
        Kind::NoText,
        Kind::NoLanguage,
        Kind::Undated,
        Kind::BrokenLink,
        Kind::RedirectedLink,
        Kind::NotArchived,
        Kind::LikelyDuplicate,
    ];

    /// The kind's slug, as `--fail-on` and the JSON spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::UnresolvedReference => "unresolved-reference",
            Kind::EmptySection => "empty-section",
            Kind::PartialList => "partial-list",
            Kind::UnsourcedFact => "unsourced-fact",
            Kind::StaleStatus => "stale-status",
            Kind::NoText => "no-text",
            Kind::NoLanguage => "no-language",
            Kind::Undated => "undated",
            Kind::BrokenLink => "broken-link",
            Kind::RedirectedLink => "redirected-link",
            Kind::NotArchived => "not-archived",
            Kind::LikelyDuplicate => "likely-duplicate",
        }
    }

    /// The kind in words, as a heading for a person.
    pub fn label(self) -> &'static str {
        match self {
            Kind::UnresolvedReference => "References that point at nothing",
            Kind::EmptySection => "Empty sections",
            Kind::PartialList => "Lists that may be incomplete",
            Kind::UnsourcedFact => "Facts without a source",
            Kind::StaleStatus => "Statuses possibly out of date",
            Kind::NoText => "Documents without a text",
            Kind::NoLanguage => "Documents without a language",
            Kind::Undated => "Undated records",
            Kind::BrokenLink => "Broken source links",
            Kind::RedirectedLink => "Redirected source links",
            Kind::NotArchived => "Cited pages without an archived copy",
            Kind::LikelyDuplicate => "Likely duplicate authorities",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kinds `list` names, comma-separated (spaces and empty parts ignored); an
    /// unknown one is an error naming it and every known kind.
    pub fn parse_list(list: &str) -> Result<Vec<Kind>, String> {
        let mut kinds = Vec::new();
        for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match Kind::parse(part) {
                Some(k) if !kinds.contains(&k) => kinds.push(k),
                Some(_) => {}
                None => {
                    let shown: String = part.chars().take(60).collect();
                    return Err(format!(
                        "{shown:?} is not a kind of gap; the kinds are {}",
                        Kind::ALL.map(Kind::as_str).join(", ")
                    ));
                }
            }
        }
        Ok(kinds)
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One gap: a record (or dossier, or collection), the field that lacks something, and
/// what, for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub kind: Kind,
    /// `document`, `body`, `person`, `event`, `topic`, `dossier` or `collection`.
    #[serde(rename = "type")]
    pub record: String,
    pub slug: String,
    /// The field as the record's JSON names it (`date`, `sources[0].url`,
    /// `sections.a-i-1.references[2]`).
    pub field: String,
    pub message: String,
    /// The site path where an editor fixes it.
    pub edit: String,
    /// The address, for a link item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// How many items of each kind, every kind present (0 where there are none), in
/// [`Kind::ALL`]'s order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts(pub Vec<(Kind, usize)>);

impl Counts {
    pub fn get(&self, kind: Kind) -> usize {
        self.0
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
    }
}

impl Serialize for Counts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, n) in &self.0 {
            map.serialize_entry(k.as_str(), n)?;
        }
        map.end()
    }
}

/// The worklist: `counts` and `items`, grouped per kind in [`Kind::ALL`]'s order, then by
/// type, slug and field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Worklist {
    pub counts: Counts,
    pub items: Vec<Item>,
}

impl Worklist {
    pub fn total(&self) -> usize {
        self.items.len()
    }

    /// The items of one kind.
    pub fn of(&self, kind: Kind) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(move |i| i.kind == kind)
    }
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this dossier, its sections and its records.
    pub dossier: Option<String>,
    /// Today as `YYYYMMDD`: claims are aged against it.
    pub today: i64,
}

/// The worklist of the archive (or of one dossier) as the store holds it now.
pub fn worklist(store: &dyn Store, options: &Options) -> Result<Worklist, StoreError> {
    let scope = options.dossier.as_deref();
    let dossiers: Vec<Dossier> = match scope {
        Some(slug) => match store.dossier(slug)? {
            Some(d) => vec![d],
            None => return Err(StoreError::Invalid(format!("there is no dossier {slug:?}"))),
        },
        None => {
            let mut out = Vec::new();
            for d in store.dossiers()? {
                out.extend(store.dossier(&d.slug)?);
            }
            out
        }
    };
    let mut items = Vec::new();
    let thresholds: HashMap<&str, u32> = dossiers
        .iter()
        .map(|d| (d.slug.as_str(), stale_after_years(d)))
        .collect();
    // The stricter threshold of a record's dossiers (the default outside any).
    let threshold_of = |of: &[String]| {
        of.iter()
            .filter_map(|d| thresholds.get(d.as_str()).copied())
            .min()
            .unwrap_or(DEFAULT_STALE_AFTER_YEARS)
    };
    let mut section_numbers: HashMap<(String, String), usize> = HashMap::new();
    for d in &dossiers {
        dossier_gaps(store, d, options.today, &mut items, &mut section_numbers)?;
    }

    let documents = store.documents(&DocumentQuery {
        dossier: scope.map(str::to_string),
        ..Default::default()
    })?;
    let events = store.events(&EventQuery {
        dossier: scope.map(str::to_string),
        ..Default::default()
    })?;
    let bodies = store.bodies(scope)?;
    let people = store.people(scope)?;
    let topics = store.topics(scope)?;

    for d in &documents {
        let at = At::record(RecordType::Document, &d.slug);
        provenance_gaps(
            &at,
            &d.provenance,
            threshold_of(&d.dossiers),
            options.today,
            &mut items,
        );
        if d.texts.is_empty() {
            items.push(at.item(
                Kind::NoText,
                "texts",
                "No text of this document is held (`dossier import text` adds one).".into(),
            ));
        }
        if d.languages.is_empty() {
            items.push(at.item(
                Kind::NoLanguage,
                "languages",
                "No language is recorded for this document.".into(),
            ));
        }
        if d.date.is_none() {
            let message = match &d.coverage {
                Some(c) => format!("No date of issue (the document covers {}).", c.human()),
                None => "No date of issue.".to_string(),
            };
            items.push(at.item(Kind::Undated, "date", message));
        }
    }
    for e in &events {
        let at = At::record(RecordType::Event, &e.slug);
        provenance_gaps(
            &at,
            &e.provenance,
            threshold_of(&e.dossiers),
            options.today,
            &mut items,
        );
        if e.date.is_none() {
            items.push(at.item(Kind::Undated, "date", "No date.".into()));
        }
    }
    for b in &bodies {
        let at = At::record(RecordType::Body, &b.slug);
        provenance_gaps(
            &at,
            &b.provenance,
            threshold_of(&b.dossiers),
            options.today,
            &mut items,
        );
    }
    for p in &people {
        let at = At::record(RecordType::Person, &p.slug);
        provenance_gaps(
            &at,
            &p.provenance,
            threshold_of(&p.dossiers),
            options.today,
            &mut items,
        );
    }
    for t in &topics {
        let at = At::record(RecordType::Topic, &t.slug);
        let years = threshold_of(&t.dossiers);
        provenance_gaps(&at, &t.provenance, years, options.today, &mut items);
        if let Some(as_of) = &t.as_of {
            if is_stale(as_of, years, options.today) {
                items.push(at.item(
                    Kind::StaleStatus,
                    "as_of",
                    format!(
                        "The status \"{}\" is as of {}, more than {years} years ago.",
                        t.status.label(),
                        as_of_human(as_of)
                    ),
                ));
            }
        }
    }

    // The addresses cited, from the records read above (as `check::cited_urls` lists
    // them, without reading every record again).
    let mut cited = Cited::default();
    let provenances = documents
        .iter()
        .map(|r| (RecordType::Document, &r.slug, &r.provenance))
        .chain(
            bodies
                .iter()
                .map(|r| (RecordType::Body, &r.slug, &r.provenance)),
        )
        .chain(
            people
                .iter()
                .map(|r| (RecordType::Person, &r.slug, &r.provenance)),
        )
        .chain(
            events
                .iter()
                .map(|r| (RecordType::Event, &r.slug, &r.provenance)),
        )
        .chain(
            topics
                .iter()
                .map(|r| (RecordType::Topic, &r.slug, &r.provenance)),
        );
    for (ty, slug, p) in provenances {
        for (field, u) in source_urls(p) {
            cited.add(ty.as_str(), slug, field, u);
        }
    }
    for d in &dossiers {
        for (field, u) in dossier_urls(d) {
            cited.add("dossier", &d.slug, field, u);
        }
    }
    if scope.is_none() {
        for (c, _) in store.collections()? {
            if let Some(u) = &c.url {
                cited.add("collection", &c.slug, "url".into(), u);
            }
        }
    }
    let cited = cited.0;
    link_gaps(store, &cited, &section_numbers, &mut items)?;
    duplicate_gaps(&bodies, &people, &mut items);

    items.sort_by(|a, b| {
        (a.kind, &a.record, &a.slug, &a.field, &a.url)
            .cmp(&(b.kind, &b.record, &b.slug, &b.field, &b.url))
    });
    items.dedup();
    let counts = Counts(
        Kind::ALL
            .into_iter()
            .map(|k| (k, items.iter().filter(|i| i.kind == k).count()))
            .collect(),
    );
    Ok(Worklist { counts, items })
}

/// Where an item is: its record and the page that edits it.
struct At {
    record: &'static str,
    slug: String,
    /// The edit page, without an anchor.
    edit: String,
    /// Whether the edit page's inputs are named `field-…` after the field (the record
    /// forms); a dossier's outline form anchors sections instead.
    field_anchors: bool,
}

impl At {
    fn record(ty: RecordType, slug: &str) -> At {
        At {
            record: ty.as_str(),
            slug: slug.to_string(),
            edit: format!("/{}/{slug}/edit", plural(ty)),
            field_anchors: true,
        }
    }

    fn item(&self, kind: Kind, field: &str, message: String) -> Item {
        let edit = if self.field_anchors {
            format!("{}#{}", self.edit, field_id(field))
        } else {
            self.edit.clone()
        };
        Item {
            kind,
            record: self.record.to_string(),
            slug: self.slug.clone(),
            field: field.to_string(),
            message,
            edit,
            url: None,
        }
    }
}

/// The path segment of a record type's pages.
fn plural(ty: RecordType) -> &'static str {
    match ty {
        RecordType::Dossier => "dossiers",
        RecordType::Document => "documents",
        RecordType::Body => "bodies",
        RecordType::Person => "people",
        RecordType::Event => "events",
        RecordType::Topic => "topics",
    }
}

/// The id the record forms give a field's input (`sources[0].url` →
/// `field-sources-0-url`).
fn field_id(field: &str) -> String {
    let mut id = String::from("field-");
    for c in field.chars() {
        match c {
            '[' | '.' => id.push('-'),
            ']' => {}
            c => id.push(c),
        }
    }
    id
}

/// A dossier's sections: unresolved references, empty sections, partial lists, stale
/// claims. Notes each section's number in the outline form (`#sec-N`, reading order) in
/// `numbers`, for the link items that name a section's reference.
fn dossier_gaps(
    store: &dyn Store,
    d: &Dossier,
    today: i64,
    items: &mut Vec<Item>,
    numbers: &mut HashMap<(String, String), usize>,
) -> Result<(), StoreError> {
    let years = stale_after_years(d);
    let edit = format!("/dossiers/{}/edit", d.slug);
    let mut n = 0;
    // A stack of its own: a dossier nested deeper than the limit cannot exhaust ours.
    let mut stack: Vec<&Section> = d.sections.iter().rev().collect();
    while let Some(s) = stack.pop() {
        stack.extend(s.children.iter().rev());
        n += 1;
        numbers.insert((d.slug.clone(), s.key.clone()), n);
        let at = |kind: Kind, field: String, message: String| Item {
            kind,
            record: "dossier".into(),
            slug: d.slug.clone(),
            field,
            message,
            edit: format!("{edit}#sec-{n}"),
            url: None,
        };
        let name = section_name(s);
        for (i, r) in s.references.iter().enumerate() {
            if r.target.is_none() {
                items.push(at(
                    Kind::UnresolvedReference,
                    format!("sections.{}.references[{i}]", s.key),
                    format!("{name}: \"{}\" points at nothing.", short(&r.text, 120)),
                ));
            }
        }
        if s.commentary.trim().is_empty()
            && s.references.is_empty()
            && s.lists.is_empty()
            && s.children.is_empty()
        {
            items.push(at(
                Kind::EmptySection,
                format!("sections.{}", s.key),
                format!("{name} has no commentary, references, lists or subsections."),
            ));
        }
        for (i, l) in s.lists.iter().enumerate() {
            if l.complete {
                continue;
            }
            let (cards, held) = list_holdings(store, &d.slug, l)?;
            let mut message = format!(
                "{name}: the archive holds {held} {}{}",
                match l.of {
                    ListOf::Documents if held == 1 => "document",
                    ListOf::Documents => "documents",
                    ListOf::Events if held == 1 => "event",
                    ListOf::Events => "events",
                },
                span(&cards)
            );
            match l.page_listed {
                Some(0) => message.push_str("; the page listed none"),
                Some(n) => message.push_str(&format!("; the page listed {n}")),
                None => {}
            }
            message.push_str(". No editor has marked the list complete.");
            items.push(at(
                Kind::PartialList,
                format!("sections.{}.lists[{i}]", s.key),
                message,
            ));
        }
        for (i, c) in s.claims.iter().enumerate() {
            if is_stale(&c.as_of, years, today) {
                items.push(at(
                    Kind::StaleStatus,
                    format!("sections.{}.claims[{i}]", s.key),
                    format!("{name}: {}", stale_message(c, years)),
                ));
            }
        }
    }
    Ok(())
}

/// "Section A.I.1 (Founding Act)", for a message.
fn section_name(s: &Section) -> String {
    let title = short(s.short_title.as_deref().unwrap_or(&s.title), 80);
    if s.label.is_empty() {
        format!("Section \"{title}\"")
    } else {
        format!("Section {} ({title})", s.label.trim_end_matches('.'))
    }
}

/// The records a generated list shows now, as the dossier page asks for them.
fn list_holdings(
    store: &dyn Store,
    dossier: &str,
    l: &GeneratedList,
) -> Result<(Vec<RecordCard>, usize), StoreError> {
    match l.of {
        ListOf::Documents => store.document_cards_head(
            &DocumentQuery {
                dossier: Some(dossier.into()),
                kinds: l.kinds.clone(),
                bodies: l.bodies.clone(),
            },
            usize::MAX,
        ),
        ListOf::Events => store.event_cards_head(
            &EventQuery {
                dossier: Some(dossier.into()),
                kinds: l.kinds.clone(),
                bodies: l.bodies.clone(),
                levels: l.levels.iter().map(|x| x.slug().to_string()).collect(),
            },
            usize::MAX,
        ),
    }
}

/// " (July 1997 – 28 May 2002)" from the cards' dates; empty without any.
fn span(cards: &[RecordCard]) -> String {
    let dates: Vec<Edtf> = cards
        .iter()
        .filter_map(|c| Edtf::parse(c.date.as_deref()?).ok())
        .collect();
    let first = dates.iter().min_by_key(|d| d.earliest());
    let last = dates.iter().max_by_key(|d| d.latest());
    match (first, last) {
        (Some(a), Some(b)) if a == b => format!(" ({})", a.human()),
        (Some(a), Some(b)) => format!(" ({} – {})", a.human(), b.human()),
        _ => String::new(),
    }
}

fn stale_message(c: &Claim, years: u32) -> String {
    let what = match &c.statement {
        Some(s) => format!("\"{}\"", short(s, 160)),
        None => format!("The {}", c.field),
    };
    format!(
        "{what} is as of {}, more than {years} years ago: possibly out of date.",
        as_of_human(&c.as_of)
    )
}

/// A record's provenance: no trace and no source at all; a claim whose field nothing
/// supports; a claim that has aged.
fn provenance_gaps(at: &At, p: &Provenance, years: u32, today: i64, items: &mut Vec<Item>) {
    if p.trace.is_empty() && p.sources.is_empty() {
        items.push(at.item(
            Kind::UnsourcedFact,
            "sources",
            "Neither a passage of the page nor a source supports this record.".into(),
        ));
    } else {
        let supports = |field: &str| {
            p.trace
                .iter()
                .map(|t| &t.fields)
                .chain(p.sources.iter().map(|s| &s.fields))
                .any(|fields| fields.is_empty() || fields.iter().any(|f| f == field))
        };
        for (i, c) in p.claims.iter().enumerate() {
            if !supports(&c.field) {
                items.push(at.item(
                    Kind::UnsourcedFact,
                    &format!("claims[{i}]"),
                    format!(
                        "The claim on {} (as of {}) has no passage or source that supports {}.",
                        short(&c.field, 40),
                        as_of_human(&c.as_of),
                        short(&c.field, 40)
                    ),
                ));
            }
        }
    }
    for (i, c) in p.claims.iter().enumerate() {
        if is_stale(&c.as_of, years, today) {
            items.push(at.item(
                Kind::StaleStatus,
                &format!("claims[{i}]"),
                stale_message(c, years),
            ));
        }
    }
}

/// Cited addresses, each once with its citations.
#[derive(Default)]
struct Cited(Vec<CitedUrl>, HashMap<String, usize>);

impl Cited {
    fn add(&mut self, record: &'static str, slug: &str, field: String, url: &str) {
        let at = match self.1.get(url) {
            Some(at) => *at,
            None => {
                self.0.push(CitedUrl {
                    url: url.to_string(),
                    cited_by: Vec::new(),
                });
                self.1.insert(url.to_string(), self.0.len() - 1);
                self.0.len() - 1
            }
        };
        self.0[at].cited_by.push(Citation {
            record,
            slug: slug.to_string(),
            field,
        });
    }
}

/// Broken and redirected addresses (the newest check of each), and cited pages without a
/// copy: an item per citation, so that each names the record and field to fix.
fn link_gaps(
    store: &dyn Store,
    cited: &[CitedUrl],
    sections: &HashMap<(String, String), usize>,
    items: &mut Vec<Item>,
) -> Result<(), StoreError> {
    let wanted: HashSet<&str> = cited.iter().map(|c| c.url.as_str()).collect();
    let latest: HashMap<String, dossier_store::LinkCheck> = match store.link_checks() {
        Some(lc) => lc
            .latest_link_checks()?
            .into_iter()
            .filter(|c| wanted.contains(c.url.as_str()))
            .map(|c| (c.url.clone(), c))
            .collect(),
        None => HashMap::new(),
    };
    let web: Vec<&str> = cited
        .iter()
        .map(|c| c.url.as_str())
        .filter(|u| is_web_url(u))
        .collect();
    let captured: HashSet<String> = match store.captures() {
        Some(c) => c
            .latest_captures(&web)?
            .into_iter()
            .map(|c| c.page)
            .collect(),
        None => HashSet::new(),
    };
    for c in cited {
        let check = latest.get(&c.url);
        let found = check.map(|check| {
            let kind = if check.outcome.is_failure() {
                Some(Kind::BrokenLink)
            } else if check.outcome == LinkOutcome::Redirected {
                Some(Kind::RedirectedLink)
            } else {
                None
            };
            (kind, check)
        });
        let archived = !is_web_url(&c.url) || captured.contains(&c.url);
        for citation in &c.cited_by {
            let (edit, record) = citation_edit(citation, sections);
            let item = |kind: Kind, message: String| Item {
                kind,
                record: record.to_string(),
                slug: citation.slug.clone(),
                field: citation.field.clone(),
                message,
                edit: edit.clone(),
                url: Some(c.url.clone()),
            };
            if let Some((Some(kind), check)) = found {
                let when = day_of(check.checked_at);
                let message = match kind {
                    Kind::RedirectedLink => format!(
                        "The address now leads to {} (checked {when}): cite the new one.",
                        short(check.final_url.as_deref().unwrap_or("another address"), 200)
                    ),
                    _ => format!(
                        "The address is {}{} (checked {when}){}",
                        check.outcome.as_str(),
                        check
                            .status
                            .map(|s| format!(", HTTP {s}"))
                            .unwrap_or_default(),
                        if check.message.is_empty() {
                            ".".to_string()
                        } else {
                            format!(": {}", short(&check.message, 200))
                        }
                    ),
                };
                items.push(item(kind, message));
            }
            if !archived {
                items.push(item(
                    Kind::NotArchived,
                    "No archived copy of this page: run `dossier links capture`.".into(),
                ));
            }
        }
    }
    Ok(())
}

/// The edit page of a citation's record (a section's number in a dossier's outline form),
/// and its type.
fn citation_edit(
    c: &crate::check::Citation,
    sections: &HashMap<(String, String), usize>,
) -> (String, &'static str) {
    match c.record_type() {
        Some(RecordType::Dossier) => {
            let key = c
                .field
                .strip_prefix("sections.")
                .and_then(|rest| rest.split_once(".references"))
                .map(|(key, _)| key.to_string());
            let n = key.and_then(|k| sections.get(&(c.slug.clone(), k)).copied());
            let edit = match n {
                Some(n) => format!("/dossiers/{}/edit#sec-{n}", c.slug),
                None => format!("/dossiers/{}/edit", c.slug),
            };
            (edit, "dossier")
        }
        Some(ty) => (
            format!("/{}/{}/edit#{}", plural(ty), c.slug, field_id(&c.field)),
            ty.as_str(),
        ),
        // A collection is changed by the import that made it; its page shows it.
        None => (format!("/collections/{}", c.slug), "collection"),
    }
}

/// `YYYY-MM-DD` of a time in seconds since 1970 (UTC).
fn day_of(secs: i64) -> String {
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Bodies or people that are likely one record, as authority control finds them
/// ([`Authorities::duplicates`]: the same external identifier, the same name, acronym or
/// alias, or names nearly the same but for their numbers): one item per pair, on the
/// first slug, at the field of the first that holds the shared name or identifier.
fn duplicate_gaps(bodies: &[Body], people: &[Person], items: &mut Vec<Item>) {
    let entries = bodies
        .iter()
        .map(|b| Entry::of_record(&Record::Body(b.clone())))
        .chain(
            people
                .iter()
                .map(|p| Entry::of_record(&Record::Person(p.clone()))),
        );
    let index = Authorities::build(entries);
    let bodies: HashMap<&str, &Body> = bodies.iter().map(|b| (b.slug.as_str(), b)).collect();
    let people: HashMap<&str, &Person> = people.iter().map(|p| (p.slug.as_str(), p)).collect();
    // A record's names with the field that holds each: the name, then acronyms, aliases.
    let names_of = |ty: RecordType, slug: &str| -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if ty == RecordType::Body {
            if let Some(b) = bodies.get(slug) {
                out.push(("name", b.name.clone()));
                out.extend(b.acronyms.iter().map(|a| ("acronyms", a.clone())));
                out.extend(b.aliases.iter().map(|a| ("aliases", a.clone())));
            }
        } else if let Some(p) = people.get(slug) {
            out.push(("name", p.name.clone()));
            out.extend(p.aliases.iter().map(|a| ("aliases", a.clone())));
        }
        out
    };
    // The field and spelling of a record's name that normalises as `name` does.
    let holder = |ty: RecordType, slug: &str, name: &str| -> (&'static str, String) {
        let wanted = normalise(name);
        let names = names_of(ty, slug);
        names
            .iter()
            .find(|(_, n)| normalise(n) == wanted)
            .or(names.first())
            .cloned()
            .unwrap_or(("name", name.to_string()))
    };
    for ty in [RecordType::Body, RecordType::Person] {
        for d in index.duplicates(ty) {
            let t = ty.as_str();
            let (field, message) = match &d.reason {
                DuplicateReason::SameName(n) | DuplicateReason::SameAlias(n) => {
                    let (field, first) = holder(ty, &d.a, n);
                    let (_, second) = holder(ty, &d.b, n);
                    (
                        field,
                        format!(
                            "\"{}\" is also the name of {t} `{}` (\"{}\"): one {t} twice?",
                            short(&first, 120),
                            d.b,
                            short(&second, 120)
                        ),
                    )
                }
                DuplicateReason::Similar { a, b, .. } => (
                    "name",
                    format!(
                        "\"{}\" is nearly the name of {t} `{}` (\"{}\"): one {t} twice?",
                        short(a, 120),
                        d.b,
                        short(b, 120)
                    ),
                ),
                DuplicateReason::SameIdentifier(id) => (
                    "identifiers",
                    format!(
                        "{} {} is also the identifier of {t} `{}` (\"{}\"): one {t} twice?",
                        id.scheme.label(),
                        id.value,
                        d.b,
                        short(&holder(ty, &d.b, "").1, 120)
                    ),
                ),
            };
            items.push(At::record(ty, &d.a).item(Kind::LikelyDuplicate, field, message));
        }
    }
}

/// `s` cut to `max` characters, with an ellipsis when cut.
fn short(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_unknown_ones_are_named() {
        assert_eq!(
            Kind::parse_list("broken-link, stale-status,,broken-link").unwrap(),
            vec![Kind::BrokenLink, Kind::StaleStatus]
        );
        let e = Kind::parse_list("broken-link,<script>").unwrap_err();
        assert!(e.contains("\"<script>\" is not a kind"), "{e}");
        assert!(e.contains("likely-duplicate"), "{e}");
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn names_normalise() {
        assert_eq!(normalise("The NATO-Russia  Council"), "nato russia council");
        assert_eq!(normalise("Conseil OTAN–Russie"), "conseil otan russie");
        assert_eq!(normalise("--"), "");
    }

    fn near(a: &str, b: &str) -> bool {
        let person = |slug: &str, name: &str| Person {
            slug: slug.into(),
            name: name.into(),
            offices: Vec::new(),
            aliases: Vec::new(),
            identifiers: Vec::new(),
            summary: None,
            dossiers: Vec::new(),
            collections: Vec::new(),
            provenance: Provenance::default(),
        };
        let mut items = Vec::new();
        duplicate_gaps(&[], &[person("a", a), person("b", b)], &mut items);
        !items.is_empty()
    }

    #[test]
    fn near_names_are_likely_duplicates_but_numbers_tell_people_apart() {
        assert!(near(
            "President Olesegun Obasanjo",
            "President Olusegun Obasanjo"
        ));
        assert!(near("King Mohamed VI", "King Mohammed VI"));
        assert!(near(
            "President Benigno Aquino 3rd",
            "President Benigno S. Aquino, 3rd"
        ));
        assert!(near("The Prime Minister of X", "Prime Minister of X"));
        assert!(!near("King George II", "King George VI"));
        assert!(!near("King Mohamed V", "King Mohamed VI"));
        assert!(!near("Pope John Paul I", "Pope John Paul II"));
        assert!(!near("Javier Solana", "Jaap de Hoop Scheffer"));
        // Short names only when equal.
        assert!(!near("Ivanov", "Ivanow"));
        assert!(near("Ivanov", "ivanov"));
    }

    /// The same identifier, or a name that is another's alias: one item per pair, at the
    /// field of the first record that holds what they share.
    #[test]
    fn shared_identifiers_and_aliases_are_likely_duplicates() {
        let person = |slug: &str, name: &str, aliases: &[&str], id: Option<&str>| Person {
            slug: slug.into(),
            name: name.into(),
            offices: Vec::new(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            identifiers: id
                .map(|q| ExternalId::new(IdScheme::Wikidata, q).unwrap())
                .into_iter()
                .collect(),
            summary: None,
            dossiers: Vec::new(),
            collections: Vec::new(),
            provenance: Provenance::default(),
        };
        let mut items = Vec::new();
        duplicate_gaps(
            &[],
            &[
                person("boris-yeltsin", "Boris Yeltsin", &[], Some("Q34453")),
                person(
                    "president-yeltsin",
                    "President B. N. Yeltsin",
                    &[],
                    Some("Q34453"),
                ),
                person("gorbachev", "Mikhail Gorbachev", &["Gorbi"], None),
                person("m-s-gorbachev", "Mikhail S. Gorbachev", &["gorbi"], None),
            ],
            &mut items,
        );
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(items[0].slug, "boris-yeltsin");
        assert_eq!(items[0].field, "identifiers");
        assert_eq!(
            items[0].message,
            "Wikidata Q34453 is also the identifier of person `president-yeltsin` (\"President B. N. Yeltsin\"): one person twice?"
        );
        assert_eq!(
            items[0].edit,
            "/people/boris-yeltsin/edit#field-identifiers"
        );
        assert_eq!(items[1].slug, "gorbachev");
        assert_eq!(items[1].field, "aliases");
        assert_eq!(
            items[1].message,
            "\"Gorbi\" is also the name of person `m-s-gorbachev` (\"gorbi\"): one person twice?"
        );
    }

    #[test]
    fn field_ids_are_the_forms() {
        assert_eq!(field_id("sources[0].url"), "field-sources-0-url");
        assert_eq!(field_id("date"), "field-date");
    }

    #[test]
    fn days_of_times() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_796_515_200), "2026-12-06");
        assert_eq!(day_of(951_782_400 + 23 * 3600), "2000-02-29");
        assert_eq!(day_of(-1), "1969-12-31");
    }

    #[test]
    fn counts_serialise_in_kind_order_with_zeros() {
        let w = Worklist {
            counts: Counts(Kind::ALL.into_iter().map(|k| (k, 0)).collect()),
            items: Vec::new(),
        };
        let json = serde_json::to_string(&w).unwrap();
        assert!(json.starts_with("{\"counts\":{\"unresolved-reference\":0,\"empty-section\":0"));
        assert!(json.contains("\"likely-duplicate\":0}"));
    }
}
