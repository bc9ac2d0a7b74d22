//! EAC-CPF (Encoded Archival Context – Corporate Bodies, Persons and Families, version
//! 2010 revised, namespace `urn:isbn:1-931666-33-4`): the archival community's exchange
//! format for authority records, so that another archive can take a body or a person
//! of this one into its own authority file (issue 28).
//!
//! A body is a `corporateBody`, a person a `person`. What each part holds:
//! - `control`: `recordId` `{type}-{slug}`, the page's address as `otherRecordId`,
//!   `maintenanceStatus` `new` or `revised`, the site as the agency, English in Latin
//!   script, the conventions (EDTF dates, this archive's name forms), the record's
//!   creation and last change from the store's stamps, and its sources (each public
//!   document, and each section of the seed page a fact is traced to).
//! - `identity`: an `entityId` per external identifier (its authority's address), the
//!   name as the authorised form, acronyms and aliases as alternative forms.
//! - `description`: the body's dates of existence, its kind, its format and decision rule
//!   (`structureOrGenealogy`), a person's offices (`occupations`), the summary (`biogHist`).
//! - `relations`: predecessors (`temporal-earlier`) and successors (`temporal-later`)
//!   with the date of the change, the body it is part of (`hierarchical-parent`) and its
//!   parts (`hierarchical-child`), offices (`associative`, with their dates), and the
//!   founding document as a `resourceRelation`.
//!
//! Dates are written as the archive holds them (EDTF, in words) with `standardDate` only
//! where the date is exact: an uncertain or approximate date is not passed on as exact.
//! Every text goes through quick-xml's writer ([`crate::xml`]), so imported names cannot
//! break the document; the tests validate every record against the published schema.

use crate::site::Site;
use crate::views::{identifier_views, url_of, web_url, IdentifierView};
use crate::xml::XmlWriter;
use crate::PublishError;
use dossier_model::{Bound, Edtf, PartialDate, Provenance, RecordType};
use dossier_store::{Stamps, Store};
use std::collections::BTreeMap;

/// The EAC-CPF namespace (2010 and 2010 revised share it).
pub const EAC_NS: &str = "urn:isbn:1-931666-33-4";
/// The published schema, as `xsi:schemaLocation` and OAI-PMH's `schema` name it.
pub const EAC_XSD: &str = "https://eac.staatsbibliothek-berlin.de/schema/cpf.xsd";
/// The OAI-PMH metadata prefix of the format.
pub const EAC_PREFIX: &str = "eac-cpf";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// The abbreviation of this archive's convention for names, which `authorizedForm` and
/// `alternativeForm` cite.
const NAME_RULES: &str = "dossier";

/// Where EAC-CPF elements are written: a whole document, or an OAI-PMH response's
/// buffer (the record inside `<metadata>`).
pub trait XmlSink {
    fn start(&mut self, name: &str, attrs: &[(&str, &str)]);
    fn end(&mut self, name: &str);
    fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str);
    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]);
}

impl XmlSink for XmlWriter {
    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        XmlWriter::start(self, name, attrs)
    }
    fn end(&mut self, name: &str) {
        XmlWriter::end(self, name)
    }
    fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        XmlWriter::element(self, name, attrs, text)
    }
    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        XmlWriter::empty(self, name, attrs)
    }
}

/// Whether a record type has an EAC-CPF record (bodies and people).
pub fn has_eac(record: RecordType) -> bool {
    matches!(record, RecordType::Body | RecordType::Person)
}

/// The address of a record's EAC-CPF file: `/bodies/{slug}.eac.xml`.
pub fn eac_path(record: RecordType, slug: &str) -> String {
    format!("{}.eac.xml", url_of(record, slug))
}

/// The slug a request for `{slug}.eac.xml` names, if the last path segment is one.
pub fn parse_eac_file(file: &str) -> Option<&str> {
    file.strip_suffix(".eac.xml")
        .filter(|s| dossier_model::is_valid_slug(s))
}

/// The EAC-CPF document of a body or person; `None` when there is no such record (or
/// the type has no EAC-CPF record).
pub fn eac_cpf(
    store: &dyn Store,
    site: &Site,
    record: RecordType,
    slug: &str,
) -> Result<Option<String>, PublishError> {
    let Some(r) = EacRecord::load(store, site, record, slug)? else {
        return Ok(None);
    };
    let mut x = XmlWriter::new();
    r.write(&mut x);
    Ok(Some(x.finish()))
}

/// A name form: the record's name (authorised), an acronym or another name.
struct NameForm {
    name: String,
    authorised: bool,
    local_type: Option<&'static str>,
}

/// A related body or person (or a document, for `resourceRelation`).
struct Related {
    /// `temporal-earlier`, `hierarchical-parent`, …
    kind: &'static str,
    name: String,
    url: String,
    dates: Dates,
    note: Option<String>,
}

/// The dates of a relation, an office or an existence.
enum Dates {
    None,
    /// One date (EDTF; an interval is written as a range).
    At(Edtf),
    /// From … to (either may be unknown).
    Range(Option<Edtf>, Option<Edtf>),
}

/// Everything an EAC-CPF record says, read from the store once, then written.
pub(crate) struct EacRecord {
    record: RecordType,
    slug: String,
    page_url: String,
    agency: String,
    stamps: Option<Stamps>,
    names: Vec<NameForm>,
    identifiers: Vec<IdentifierView>,
    exist: Dates,
    kind_label: Option<String>,
    offices: Vec<(String, Dates)>,
    structure: Vec<String>,
    summary: Option<String>,
    relations: Vec<Related>,
    resources: Vec<Related>,
    sources: Vec<(String, Option<String>)>,
}

impl EacRecord {
    /// Reads a body or person and the names of what it links to (one batch of cards).
    pub(crate) fn load(
        store: &dyn Store,
        site: &Site,
        record: RecordType,
        slug: &str,
    ) -> Result<Option<EacRecord>, PublishError> {
        match record {
            RecordType::Body => Self::body(store, site, slug),
            RecordType::Person => Self::person(store, site, slug),
            _ => Ok(None),
        }
    }

    fn base(
        store: &dyn Store,
        site: &Site,
        record: RecordType,
        slug: &str,
    ) -> Result<EacRecord, PublishError> {
        Ok(EacRecord {
            record,
            slug: slug.to_string(),
            page_url: site.page_url(&url_of(record, slug)),
            agency: site.name.clone(),
            stamps: store.stamps(record, slug)?,
            names: Vec::new(),
            identifiers: Vec::new(),
            exist: Dates::None,
            kind_label: None,
            offices: Vec::new(),
            structure: Vec::new(),
            summary: None,
            relations: Vec::new(),
            resources: Vec::new(),
            sources: Vec::new(),
        })
    }

    fn body(store: &dyn Store, site: &Site, slug: &str) -> Result<Option<EacRecord>, PublishError> {
        let Some(b) = store.body(slug)? else {
            return Ok(None);
        };
        let mut r = Self::base(store, site, RecordType::Body, slug)?;
        r.names = names(&b.name, &b.acronyms, &b.aliases);
        r.identifiers = identifier_views(&b.identifiers);
        if b.established.is_some() || b.ended.is_some() {
            r.exist = Dates::Range(b.established, b.ended);
        }
        r.kind_label = Some(b.kind.label().to_string());
        if let Some(f) = b.format.as_deref().filter(|f| !f.trim().is_empty()) {
            r.structure.push(format!("Format: {f}"));
        }
        if let Some(d) = b.decision_rule.as_deref().filter(|d| !d.trim().is_empty()) {
            r.structure.push(format!("Decision rule: {d}"));
        }
        r.summary = b.summary.clone();
        // Parts and office holders link to the body; everything else it names itself.
        let mut parts = Vec::new();
        let mut holders = Vec::new();
        for l in store.backlinks(RecordType::Body, slug)? {
            match (l.record, l.rel.as_str()) {
                (RecordType::Body, "part-of") => parts.push(l.slug),
                (RecordType::Person, "office") => holders.push(l.slug),
                _ => {}
            }
        }
        parts.dedup();
        holders.dedup();
        let mut bodies: Vec<&str> = b
            .predecessors
            .iter()
            .chain(&b.successors)
            .map(|l| l.slug.as_str())
            .chain(b.part_of.as_deref())
            .chain(parts.iter().map(String::as_str))
            .collect();
        bodies.sort_unstable();
        bodies.dedup();
        let body_names = names_of(store, RecordType::Body, &bodies)?;
        let person_names = names_of(
            store,
            RecordType::Person,
            &holders.iter().map(String::as_str).collect::<Vec<_>>(),
        )?;
        let related =
            |kind, ty, slug: &str, names: &BTreeMap<String, String>, dates, note| Related {
                kind,
                name: names.get(slug).cloned().unwrap_or_else(|| slug.to_string()),
                url: site.page_url(&url_of(ty, slug)),
                dates,
                note,
            };
        for p in &b.predecessors {
            let dates = p.date.map_or(Dates::None, Dates::At);
            let note = Some(match p.date {
                Some(d) => format!("Predecessor, until {}.", d.human()),
                None => "Predecessor (the date of the change is not recorded).".to_string(),
            });
            r.relations.push(related(
                "temporal-earlier",
                RecordType::Body,
                &p.slug,
                &body_names,
                dates,
                note,
            ));
        }
        for s in &b.successors {
            let dates = s.date.map_or(Dates::None, Dates::At);
            let note = Some(match s.date {
                Some(d) => format!("Successor, from {}.", d.human()),
                None => "Successor (the date of the change is not recorded).".to_string(),
            });
            r.relations.push(related(
                "temporal-later",
                RecordType::Body,
                &s.slug,
                &body_names,
                dates,
                note,
            ));
        }
        if let Some(p) = &b.part_of {
            r.relations.push(related(
                "hierarchical-parent",
                RecordType::Body,
                p,
                &body_names,
                Dates::None,
                Some("Part of it.".into()),
            ));
        }
        for p in &parts {
            r.relations.push(related(
                "hierarchical-child",
                RecordType::Body,
                p,
                &body_names,
                Dates::None,
                Some("One of its parts.".into()),
            ));
        }
        for h in &holders {
            r.relations.push(related(
                "associative",
                RecordType::Person,
                h,
                &person_names,
                Dates::None,
                Some("Held an office in it.".into()),
            ));
        }
        if let Some(d) = &b.founding_document {
            let title = store
                .title_of(RecordType::Document, d)?
                .unwrap_or_else(|| d.clone());
            r.resources.push(Related {
                kind: "other",
                name: title,
                url: site.page_url(&url_of(RecordType::Document, d)),
                dates: Dates::None,
                note: Some("The document that set it up.".into()),
            });
        }
        r.sources = sources(&b.provenance, &b.dossiers, site);
        Ok(Some(r))
    }

    fn person(
        store: &dyn Store,
        site: &Site,
        slug: &str,
    ) -> Result<Option<EacRecord>, PublishError> {
        let Some(p) = store.person(slug)? else {
            return Ok(None);
        };
        let mut r = Self::base(store, site, RecordType::Person, slug)?;
        r.names = names(&p.name, &[], &p.aliases);
        r.identifiers = identifier_views(&p.identifiers);
        r.summary = p.summary.clone();
        let bodies: Vec<&str> = p.offices.iter().filter_map(|o| o.body.as_deref()).collect();
        let body_names = names_of(store, RecordType::Body, &bodies)?;
        for o in &p.offices {
            let dates = if o.start.is_some() || o.end.is_some() {
                Dates::Range(o.start, o.end)
            } else {
                Dates::None
            };
            if let Some(b) = &o.body {
                r.relations.push(Related {
                    kind: "associative",
                    name: body_names.get(b).cloned().unwrap_or_else(|| b.clone()),
                    url: site.page_url(&url_of(RecordType::Body, b)),
                    dates: match &dates {
                        Dates::Range(s, e) => Dates::Range(*s, *e),
                        _ => Dates::None,
                    },
                    note: Some(format!("Office: {}.", o.title)),
                });
            }
            r.offices.push((o.title.clone(), dates));
        }
        r.sources = sources(&p.provenance, &p.dossiers, site);
        Ok(Some(r))
    }

    /// Writes `<eac-cpf>` with its namespaces into `x`.
    pub(crate) fn write(&self, x: &mut dyn XmlSink) {
        x.start(
            "eac-cpf",
            &[
                ("xmlns", EAC_NS),
                ("xmlns:xlink", XLINK_NS),
                ("xmlns:xsi", XSI_NS),
                ("xsi:schemaLocation", &format!("{EAC_NS} {EAC_XSD}")),
                ("xml:lang", "en"),
            ],
        );
        self.control(x);
        x.start("cpfDescription", &[]);
        self.identity(x);
        self.description(x);
        self.relations(x);
        x.end("cpfDescription");
        x.end("eac-cpf");
    }

    fn control(&self, x: &mut dyn XmlSink) {
        x.start("control", &[]);
        x.element(
            "recordId",
            &[],
            &format!("{}-{}", self.record.as_str(), self.slug),
        );
        x.element("otherRecordId", &[], &self.page_url);
        let revised = self.stamps.as_ref().is_some_and(|s| s.changed != s.created);
        x.element(
            "maintenanceStatus",
            &[],
            if revised { "revised" } else { "new" },
        );
        x.element("publicationStatus", &[], "approved");
        x.start("maintenanceAgency", &[]);
        x.element("agencyName", &[], &self.agency);
        x.end("maintenanceAgency");
        x.start("languageDeclaration", &[]);
        x.element("language", &[("languageCode", "eng")], "English");
        x.element("script", &[("scriptCode", "Latn")], "Latin");
        x.end("languageDeclaration");
        x.start("conventionDeclaration", &[]);
        x.element("abbreviation", &[], "EDTF");
        x.element(
            "citation",
            &[
                ("xlink:type", "simple"),
                ("xlink:href", "https://www.loc.gov/standards/datetime/"),
            ],
            "Extended Date/Time Format (EDTF) Specification, Library of Congress",
        );
        x.start("descriptiveNote", &[]);
        x.element(
            "p",
            &[],
            "Dates are written as EDTF; standardDate is given only where a date is exact.",
        );
        x.end("descriptiveNote");
        x.end("conventionDeclaration");
        x.start("conventionDeclaration", &[]);
        x.element("abbreviation", &[], NAME_RULES);
        x.element(
            "citation",
            &[],
            "The names this archive records: the name it files the record under, then \
             acronyms and other names by which it is known.",
        );
        x.end("conventionDeclaration");
        x.start("maintenanceHistory", &[]);
        match &self.stamps {
            Some(s) => {
                event(x, "created", &s.created, "Added to the archive.");
                if s.changed != s.created {
                    event(x, "updated", &s.changed, "Last changed in the archive.");
                }
            }
            None => {
                x.start("maintenanceEvent", &[]);
                x.element("eventType", &[], "unknown");
                x.element("eventDateTime", &[], "unknown");
                x.element("agentType", &[], "unknown");
                x.element("agent", &[], &self.agency);
                x.end("maintenanceEvent");
            }
        }
        x.end("maintenanceHistory");
        if !self.sources.is_empty() {
            x.start("sources", &[]);
            for (title, url) in &self.sources {
                match url {
                    Some(u) => x.start("source", &[("xlink:type", "simple"), ("xlink:href", u)]),
                    None => x.start("source", &[]),
                }
                x.element("sourceEntry", &[], title);
                x.end("source");
            }
            x.end("sources");
        }
        x.end("control");
    }

    fn identity(&self, x: &mut dyn XmlSink) {
        x.start("identity", &[]);
        for id in &self.identifiers {
            x.element("entityId", &[("localType", &id.scheme)], &id.url);
        }
        let entity = match self.record {
            RecordType::Person => "person",
            _ => "corporateBody",
        };
        x.element("entityType", &[], entity);
        for n in &self.names {
            match n.local_type {
                Some(t) => x.start("nameEntry", &[("localType", t)]),
                None => x.start("nameEntry", &[]),
            }
            x.element("part", &[], &n.name);
            let form = if n.authorised {
                "authorizedForm"
            } else {
                "alternativeForm"
            };
            x.element(form, &[], NAME_RULES);
            x.end("nameEntry");
        }
        x.end("identity");
    }

    fn description(&self, x: &mut dyn XmlSink) {
        let exist = !matches!(self.exist, Dates::None);
        let summary = self.summary.as_deref().filter(|s| !s.trim().is_empty());
        if !exist
            && self.kind_label.is_none()
            && self.offices.is_empty()
            && self.structure.is_empty()
            && summary.is_none()
        {
            return;
        }
        x.start("description", &[]);
        if exist {
            x.start("existDates", &[]);
            dates(x, &self.exist);
            x.end("existDates");
        }
        if let Some(kind) = &self.kind_label {
            x.start("localDescription", &[("localType", "kind")]);
            x.element("term", &[], kind);
            x.end("localDescription");
        }
        if !self.offices.is_empty() {
            x.start("occupations", &[]);
            for (title, d) in &self.offices {
                x.start("occupation", &[]);
                x.element("term", &[], title);
                dates(x, d);
                x.end("occupation");
            }
            x.end("occupations");
        }
        if !self.structure.is_empty() {
            x.start("structureOrGenealogy", &[]);
            for p in &self.structure {
                x.element("p", &[], p);
            }
            x.end("structureOrGenealogy");
        }
        if let Some(s) = summary {
            x.start("biogHist", &[]);
            x.element("p", &[], s);
            x.end("biogHist");
        }
        x.end("description");
    }

    fn relations(&self, x: &mut dyn XmlSink) {
        if self.relations.is_empty() && self.resources.is_empty() {
            return;
        }
        x.start("relations", &[]);
        for r in &self.relations {
            relation(x, "cpfRelation", "cpfRelationType", r);
        }
        for r in &self.resources {
            relation(x, "resourceRelation", "resourceRelationType", r);
        }
        x.end("relations");
    }
}

/// The name (authorised), then acronyms and other names (alternative), each once.
fn names(name: &str, acronyms: &[String], aliases: &[String]) -> Vec<NameForm> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    let mut add = |n: &str, authorised: bool, local_type: Option<&'static str>| {
        let n = n.trim();
        if !n.is_empty() && seen.insert(n.to_string()) {
            out.push(NameForm {
                name: n.to_string(),
                authorised,
                local_type,
            });
        }
    };
    add(name, true, None);
    for a in acronyms {
        add(a, false, Some("acronym"));
    }
    for a in aliases {
        add(a, false, None);
    }
    out
}

/// The names of records by slug, in one batch.
fn names_of(
    store: &dyn Store,
    record: RecordType,
    slugs: &[&str],
) -> Result<BTreeMap<String, String>, PublishError> {
    if slugs.is_empty() {
        return Ok(BTreeMap::new());
    }
    Ok(store
        .cards(record, slugs)?
        .into_iter()
        .map(|c| (c.slug, c.title))
        .collect())
}

/// The record's sources: each public document (linked when its address is a web
/// address), then each section of the seed page a fact is traced to.
fn sources(p: &Provenance, dossiers: &[String], site: &Site) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = p
        .sources
        .iter()
        .map(|s| (s.title.clone(), web_url(s.url.as_deref())))
        .collect();
    let mut traced = std::collections::BTreeSet::new();
    for t in &p.trace {
        if !traced.insert(t.section.clone()) {
            continue;
        }
        let url = dossiers
            .first()
            .map(|d| site.page_url(&format!("{}#{}", url_of(RecordType::Dossier, d), t.section)));
        out.push((
            format!("The dossier's seed page, section {}", t.section),
            url,
        ));
    }
    out
}

fn event(x: &mut dyn XmlSink, kind: &str, at: &str, description: &str) {
    x.start("maintenanceEvent", &[]);
    x.element("eventType", &[], kind);
    if is_date_time(at) {
        x.element("eventDateTime", &[("standardDateTime", at)], at);
    } else {
        x.element("eventDateTime", &[], at);
    }
    x.element("agentType", &[], "machine");
    x.element("agent", &[], "dossier");
    x.element("eventDescription", &[], description);
    x.end("maintenanceEvent");
}

/// An RFC 3339 time in UTC as the store writes it (`2024-05-01T10:00:00Z`, fractions of
/// a second allowed): what `xs:dateTime` accepts.
fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && s.ends_with('Z')
        && s[19..s.len() - 1]
            .strip_prefix('.')
            .map_or(s.len() == 20, |f| {
                !f.is_empty() && f.bytes().all(|d| d.is_ascii_digit())
            })
}

fn relation(x: &mut dyn XmlSink, element: &str, type_attr: &str, r: &Related) {
    x.start(
        element,
        &[
            (type_attr, r.kind),
            ("xlink:type", "simple"),
            ("xlink:href", &r.url),
        ],
    );
    x.element("relationEntry", &[], &r.name);
    dates(x, &r.dates);
    if let Some(n) = &r.note {
        x.start("descriptiveNote", &[]);
        x.element("p", &[], n);
        x.end("descriptiveNote");
    }
    x.end(element);
}

/// `<date>` or `<dateRange>` for a date (nothing for none).
fn dates(x: &mut dyn XmlSink, d: &Dates) {
    match d {
        Dates::None => {}
        Dates::At(Edtf::Date(p)) => single(x, "date", p),
        Dates::At(Edtf::Interval(s, e)) => {
            x.start("dateRange", &[]);
            bound(x, "fromDate", s);
            bound(x, "toDate", e);
            x.end("dateRange");
        }
        Dates::Range(from, to) => {
            x.start("dateRange", &[]);
            if let Some(f) = from {
                edge(x, "fromDate", f, true);
            }
            if let Some(t) = to {
                edge(x, "toDate", t, false);
            }
            x.end("dateRange");
        }
    }
}

/// One end of a range given as a whole EDTF date: an interval's nearer end (its start for
/// `fromDate`, its end for `toDate`), described by the whole.
fn edge(x: &mut dyn XmlSink, name: &str, d: &Edtf, from: bool) {
    match d {
        Edtf::Date(p) => single(x, name, p),
        Edtf::Interval(s, e) => {
            let b = if from { s } else { e };
            match b {
                Bound::Date(p) if exact(p) => {
                    x.element(name, &[("standardDate", &p.to_string())], &d.human())
                }
                _ => x.element(name, &[], &d.human()),
            }
        }
    }
}

fn bound(x: &mut dyn XmlSink, name: &str, b: &Bound) {
    if let Bound::Date(p) = b {
        single(x, name, p);
    }
}

/// A date element: its words, and `standardDate` where the date is exact.
fn single(x: &mut dyn XmlSink, name: &str, p: &PartialDate) {
    if exact(p) {
        x.element(name, &[("standardDate", &p.to_string())], &p.human());
    } else {
        x.element(name, &[], &p.human());
    }
}

/// A date `xs:date`, `xs:gYearMonth` or `xs:gYear` can say as it is: neither uncertain
/// nor approximate, and a year of four digits.
fn exact(p: &PartialDate) -> bool {
    !p.uncertain && !p.approximate && (1..=9999).contains(&p.year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eac_files_are_named_by_slug() {
        assert_eq!(eac_path(RecordType::Body, "nato"), "/bodies/nato.eac.xml");
        assert_eq!(parse_eac_file("nato.eac.xml"), Some("nato"));
        assert_eq!(parse_eac_file("nato.xml"), None);
        assert_eq!(parse_eac_file("../x.eac.xml"), None);
        assert_eq!(parse_eac_file(".eac.xml"), None);
    }

    #[test]
    fn only_store_times_pass_as_date_times() {
        assert!(is_date_time("2024-05-01T10:00:00Z"));
        assert!(is_date_time("2024-05-01T10:00:00.123Z"));
        assert!(!is_date_time("2024-05-01T10:00:00.Z"));
        assert!(!is_date_time("2024-05-01 10:00:00Z"));
        assert!(!is_date_time("2024-05-01T10:00:00+02:00"));
        assert!(!is_date_time("yesterday"));
    }

    #[test]
    fn uncertain_dates_carry_no_standard_date() {
        let mut x = XmlWriter::new();
        dates(&mut x, &Dates::At(Edtf::parse("1997?").unwrap()));
        dates(&mut x, &Dates::At(Edtf::parse("1997-05-27").unwrap()));
        dates(
            &mut x,
            &Dates::Range(Some(Edtf::parse("1991-12").unwrap()), None),
        );
        let s = x.finish();
        assert!(s.contains("<date>1997 (uncertain)</date>"), "{s}");
        assert!(
            s.contains("<date standardDate=\"1997-05-27\">27 May 1997</date>"),
            "{s}"
        );
        assert!(
            s.contains("<fromDate standardDate=\"1991-12\">December 1991</fromDate>"),
            "{s}"
        );
    }
}
