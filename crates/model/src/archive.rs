//! A set of records written together, and the rules that hold across records.

use crate::date::Edtf;
use crate::records::*;
use crate::slug::is_valid_slug;
use std::collections::{BTreeMap, BTreeSet};

/// Records that are written to the store in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Archive {
    pub dossiers: Vec<Dossier>,
    pub documents: Vec<Document>,
    pub bodies: Vec<Body>,
    pub people: Vec<Person>,
    pub events: Vec<Event>,
    pub topics: Vec<Topic>,
    /// Collections to create or update with the records (an import's `--collection`):
    /// written first, so that the records may name them.
    pub collections: Vec<Collection>,
}

/// The longest collection title accepted, in characters: a title is a line on a page.
pub const MAX_COLLECTION_TITLE_CHARS: usize = 300;
/// The longest saved search a dossier names, in characters (the search language's own
/// limits apply when it runs).
pub const MAX_SAVED_QUERY_CHARS: usize = 1_000;
/// The longest collection description or source accepted, in characters.
pub const MAX_COLLECTION_TEXT_CHARS: usize = 10_000;

/// A rule broken across records: names the record and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{record} `{slug}`, field `{field}`: {problem}")]
pub struct ValidationError {
    /// The record type, e.g. `document`.
    pub record: &'static str,
    pub slug: String,
    pub field: String,
    pub problem: String,
}

impl Archive {
    /// The slugs the archive's records name outside it, by type name (`body`,
    /// `collection`, `dossier`, …): what [`validate`](Self::validate) asks its `known`
    /// about, so that a store can look them up in one query per type, and a writer can
    /// tell whether a batch names a record that another, not yet committed, writes.
    pub fn names_outside(&self) -> BTreeMap<String, BTreeSet<String>> {
        let asked: std::cell::RefCell<BTreeMap<String, BTreeSet<String>>> = Default::default();
        self.validate(&|ty, slug| {
            asked
                .borrow_mut()
                .entry(ty.to_string())
                .or_default()
                .insert(slug.to_string());
            false
        });
        asked.into_inner()
    }

    /// Checks slugs, uniqueness and that every slug a record names exists in this archive
    /// or in `known` (records already stored). Returns every problem, not just the first.
    pub fn validate(&self, known: &dyn Fn(&str, &str) -> bool) -> Vec<ValidationError> {
        let mut c = Checker {
            errors: Vec::new(),
            sets: BTreeMap::new(),
            known,
        };
        // Slugs first: the link checks below look the archive's own slugs up in `sets`.
        c.slugs(self);
        for col in &self.collections {
            c.collection(col);
        }
        let mut section_keys = BTreeSet::new();
        for d in &self.dossiers {
            c.dossier(d, &mut section_keys);
        }
        for d in &self.documents {
            c.document(d);
        }
        let established: BTreeMap<&str, Edtf> = self
            .bodies
            .iter()
            .filter_map(|b| Some((b.slug.as_str(), b.established?)))
            .collect();
        for b in &self.bodies {
            c.body(b);
            for (field, problem) in succession_errors(b, &|slug| established.get(slug).copied()) {
                c.err("body", &b.slug, &field, problem);
            }
        }
        for p in &self.people {
            c.person(p);
        }
        for e in &self.events {
            c.event(e);
        }
        for t in &self.topics {
            c.topic(t);
        }
        c.section_keys(self, &section_keys);
        // Claims name a field their record has, and say something (issue 25).
        c.errors.extend(crate::claims::claim_errors(self));
        // Texts: a language tag each, one text per language, no empty text (issue 27).
        c.errors.extend(crate::records::text_errors(self));
        // Addresses that are not absolute http(s) URLs (a `javascript:` link is stored XSS).
        c.errors.extend(crate::url::url_errors(self));
        c.errors
    }

    /// The provenance of every record that has one (all but dossiers), with its record
    /// type and slug.
    pub(crate) fn provenances(&self) -> impl Iterator<Item = (&'static str, &str, &Provenance)> {
        self.documents
            .iter()
            .map(|r| ("document", r.slug.as_str(), &r.provenance))
            .chain(
                self.bodies
                    .iter()
                    .map(|r| ("body", r.slug.as_str(), &r.provenance)),
            )
            .chain(
                self.people
                    .iter()
                    .map(|r| ("person", r.slug.as_str(), &r.provenance)),
            )
            .chain(
                self.events
                    .iter()
                    .map(|r| ("event", r.slug.as_str(), &r.provenance)),
            )
            .chain(
                self.topics
                    .iter()
                    .map(|r| ("topic", r.slug.as_str(), &r.provenance)),
            )
    }

    /// Makes predecessor and successor links symmetric: if the NACC names the EAPC as its
    /// successor, the EAPC gets the NACC as predecessor with the same date.
    pub fn complete_body_links(&mut self) {
        let mut add_pred: Vec<(String, BodyLink)> = Vec::new();
        let mut add_succ: Vec<(String, BodyLink)> = Vec::new();
        for b in &self.bodies {
            for s in &b.successors {
                add_pred.push((
                    s.slug.clone(),
                    BodyLink {
                        slug: b.slug.clone(),
                        date: s.date,
                    },
                ));
            }
            for p in &b.predecessors {
                add_succ.push((
                    p.slug.clone(),
                    BodyLink {
                        slug: b.slug.clone(),
                        date: p.date,
                    },
                ));
            }
        }
        for b in &mut self.bodies {
            for (target, link) in &add_pred {
                if *target == b.slug && !b.predecessors.iter().any(|l| l.slug == link.slug) {
                    b.predecessors.push(link.clone());
                }
            }
            for (target, link) in &add_succ {
                if *target == b.slug && !b.successors.iter().any(|l| l.slug == link.slug) {
                    b.successors.push(link.clone());
                }
            }
        }
    }
}

/// Successions out of time order: "a successor dated before its predecessor".
///
/// A body's `successors[i].date` is the day the successor took over from it, and its
/// `predecessors[i].date` the day it took over from the predecessor; `established` and
/// `ended` bound the body's own life. Refused, as `(field, problem)`:
/// - `successors[i].date` before the body's `established` (it was succeeded before it
///   existed);
/// - `predecessors[i].date` after the body's `ended` (it took over after it had ended);
/// - `successors[i].slug` naming a body established before this one, and
///   `predecessors[i].slug` naming a body established after this one (a successor older
///   than its predecessor), where `established_of` knows the other body's date: the
///   archive's own bodies in [`Archive::validate`], the stored ones too for an edit.
///
/// "Before" means surely before: the latest day the earlier date can mean is before the
/// earliest day the later can mean, so partial and uncertain dates ("1997", "1997-05?")
/// never clash with a day inside them.
pub fn succession_errors(
    b: &Body,
    established_of: &dyn Fn(&str) -> Option<Edtf>,
) -> Vec<(String, String)> {
    let before = |a: &Edtf, z: &Edtf| a.latest() < z.earliest();
    let mut out = Vec::new();
    for (i, link) in b.successors.iter().enumerate() {
        if let (Some(date), Some(est)) = (&link.date, &b.established) {
            if before(date, est) {
                out.push((
                    format!("successors[{i}].date"),
                    format!(
                        "the succession by `{}` is dated {}, before this body was established ({})",
                        link.slug,
                        date.human(),
                        est.human()
                    ),
                ));
            }
        }
        if let (Some(other), Some(est)) = (established_of(&link.slug), &b.established) {
            if link.slug != b.slug && before(&other, est) {
                out.push((
                    format!("successors[{i}].slug"),
                    format!(
                        "the successor `{}` was established {}, before this body ({})",
                        link.slug,
                        other.human(),
                        est.human()
                    ),
                ));
            }
        }
    }
    for (i, link) in b.predecessors.iter().enumerate() {
        if let (Some(date), Some(end)) = (&link.date, &b.ended) {
            if before(end, date) {
                out.push((
                    format!("predecessors[{i}].date"),
                    format!(
                        "the succession to `{}` is dated {}, after this body ended ({})",
                        link.slug,
                        date.human(),
                        end.human()
                    ),
                ));
            }
        }
        if let (Some(other), Some(est)) = (established_of(&link.slug), &b.established) {
            if link.slug != b.slug && before(est, &other) {
                out.push((
                    format!("predecessors[{i}].slug"),
                    format!(
                        "the predecessor `{}` was established {}, after this body ({})",
                        link.slug,
                        other.human(),
                        est.human()
                    ),
                ));
            }
        }
    }
    out
}

/// A label or title cut to a length an error message can show.
fn short(name: &str) -> String {
    match name.char_indices().nth(24) {
        Some((at, _)) => format!("{}…", &name[..at]),
        None => name.to_string(),
    }
}

struct Checker<'a> {
    errors: Vec<ValidationError>,
    sets: BTreeMap<&'static str, BTreeSet<String>>,
    known: &'a dyn Fn(&str, &str) -> bool,
}

impl Checker<'_> {
    /// Every slug is well formed and used by one record of its type; fills `sets`.
    fn slugs(&mut self, a: &Archive) {
        let groups: [(&'static str, Vec<&str>); 7] = [
            (
                "collection",
                a.collections.iter().map(|c| c.slug.as_str()).collect(),
            ),
            (
                "dossier",
                a.dossiers.iter().map(|d| d.slug.as_str()).collect(),
            ),
            (
                "document",
                a.documents.iter().map(|d| d.slug.as_str()).collect(),
            ),
            ("body", a.bodies.iter().map(|d| d.slug.as_str()).collect()),
            ("person", a.people.iter().map(|d| d.slug.as_str()).collect()),
            ("event", a.events.iter().map(|d| d.slug.as_str()).collect()),
            ("topic", a.topics.iter().map(|d| d.slug.as_str()).collect()),
        ];
        for (record, slugs) in groups {
            for s in slugs {
                if !is_valid_slug(s) {
                    self.err(
                        record,
                        s,
                        "slug",
                        "not a valid slug (lowercase letters, digits and single hyphens)".into(),
                    );
                }
                if !self.sets.entry(record).or_default().insert(s.to_string()) {
                    self.err(record, s, "slug", "used by two records".into());
                }
            }
        }
    }

    /// A dossier: its sections nest within the limit, their keys are unique (each is
    /// added to `section_keys`), and what they reference and list exists.
    fn dossier(&mut self, d: &Dossier, section_keys: &mut BTreeSet<String>) {
        // Too deep to be read back (see `MAX_SECTION_DEPTH`): refused before anything
        // else is checked, so nothing below walks the tree further.
        if let Some((s, path)) = d.too_deep(MAX_SECTION_DEPTH) {
            self.err(
                "dossier",
                &d.slug,
                &format!("sections.{}", s.key),
                format!(
                    "section {} is nested {} deep; a dossier's sections may nest at most {MAX_SECTION_DEPTH} levels",
                    path.iter().map(|n| short(n)).collect::<Vec<_>>().join(" > "),
                    path.len()
                ),
            );
            return;
        }
        self.saved_queries(d);
        let mut keys = BTreeSet::new();
        for s in d.all_sections() {
            if !keys.insert(s.key.as_str()) {
                self.err(
                    "dossier",
                    &d.slug,
                    "sections",
                    format!("two sections have the key `{}`", s.key),
                );
            }
            section_keys.insert(s.key.clone());
            self.section(d, s);
        }
    }

    /// The records one section references and the bodies its lists name.
    fn section(&mut self, d: &Dossier, s: &Section) {
        for r in &s.references {
            let (kind, slug) = match &r.target {
                Some(Target::Document { slug }) => ("document", slug),
                Some(Target::Body { slug }) => ("body", slug),
                Some(Target::Event { slug }) => ("event", slug),
                Some(Target::Topic { slug }) => ("topic", slug),
                Some(Target::Person { slug }) => ("person", slug),
                _ => continue,
            };
            self.check(
                "dossier",
                &d.slug,
                &format!("sections.{}.references", s.key),
                kind,
                std::slice::from_ref(slug),
            );
        }
        for l in &s.lists {
            // A kind the list's record type does not have would list nothing, silently.
            let known_kind = |k: &String| match l.of {
                ListOf::Documents => crate::DocumentKind::from_slug(k).is_some(),
                ListOf::Events => crate::EventKind::from_slug(k).is_some(),
            };
            for bad in l.kinds.iter().filter(|k| !known_kind(k)) {
                let of = match l.of {
                    ListOf::Documents => "documents",
                    ListOf::Events => "events",
                };
                self.err(
                    "dossier",
                    &d.slug,
                    &format!("sections.{}.lists.kinds", s.key),
                    format!("`{bad}` is not a kind of {of}"),
                );
            }
            self.check(
                "dossier",
                &d.slug,
                &format!("sections.{}.lists.bodies", s.key),
                "body",
                &l.bodies,
            );
        }
    }

    fn document(&mut self, d: &Document) {
        self.check("document", &d.slug, "issued_by", "body", &d.issued_by);
        self.check("document", &d.slug, "parties", "body", &d.parties);
        self.check("document", &d.slug, "authors", "person", &d.authors);
        self.check("document", &d.slug, "dossiers", "dossier", &d.dossiers);
        self.check("document", &d.slug, "topics", "topic", &d.topics);
        self.check(
            "document",
            &d.slug,
            "collections",
            "collection",
            &d.collections,
        );
        let rel: Vec<String> = d.relations.iter().map(|r| r.document.clone()).collect();
        self.check("document", &d.slug, "relations", "document", &rel);
    }

    fn body(&mut self, b: &Body) {
        let links: Vec<String> = b
            .predecessors
            .iter()
            .chain(&b.successors)
            .map(|l| l.slug.clone())
            .collect();
        self.check("body", &b.slug, "predecessors/successors", "body", &links);
        self.check("body", &b.slug, "part_of", "body", b.part_of.as_slice());
        self.check(
            "body",
            &b.slug,
            "founding_document",
            "document",
            b.founding_document.as_slice(),
        );
        self.check("body", &b.slug, "dossiers", "dossier", &b.dossiers);
        self.check("body", &b.slug, "collections", "collection", &b.collections);
        self.identifiers("body", &b.slug, &b.identifiers);
    }

    /// External identifiers: each in its scheme's shape, none given twice.
    fn identifiers(&mut self, record: &'static str, slug: &str, ids: &[crate::ExternalId]) {
        let mut seen = BTreeSet::new();
        for id in ids {
            if let Some(problem) = id.problem() {
                self.err(record, slug, "identifiers", problem);
            } else if !seen.insert(id) {
                self.err(
                    record,
                    slug,
                    "identifiers",
                    format!("{} {} is given twice", id.scheme.label(), id.value),
                );
            }
        }
    }

    fn person(&mut self, p: &Person) {
        let bodies: Vec<String> = p.offices.iter().filter_map(|o| o.body.clone()).collect();
        self.check("person", &p.slug, "offices.body", "body", &bodies);
        self.check("person", &p.slug, "dossiers", "dossier", &p.dossiers);
        self.check(
            "person",
            &p.slug,
            "collections",
            "collection",
            &p.collections,
        );
        self.identifiers("person", &p.slug, &p.identifiers);
    }

    fn event(&mut self, e: &Event) {
        self.check("event", &e.slug, "bodies", "body", &e.bodies);
        self.check("event", &e.slug, "people", "person", &e.people);
        self.check(
            "event",
            &e.slug,
            "outcome_documents",
            "document",
            &e.outcome_documents,
        );
        self.check("event", &e.slug, "dossiers", "dossier", &e.dossiers);
        self.check(
            "event",
            &e.slug,
            "collections",
            "collection",
            &e.collections,
        );
    }

    fn topic(&mut self, t: &Topic) {
        self.check("topic", &t.slug, "documents", "document", &t.documents);
        self.check("topic", &t.slug, "bodies", "body", &t.bodies);
        self.check("topic", &t.slug, "dossiers", "dossier", &t.dossiers);
        self.check(
            "topic",
            &t.slug,
            "collections",
            "collection",
            &t.collections,
        );
    }

    /// A dossier's saved searches: each has a title and a query, of bounded length and
    /// without control characters (whether the query parses is the search's to say: the
    /// page shows its message).
    fn saved_queries(&mut self, d: &Dossier) {
        for (i, q) in d.queries.iter().enumerate() {
            let fields = [
                ("title", q.title.as_str(), MAX_COLLECTION_TITLE_CHARS),
                ("query", q.query.as_str(), MAX_SAVED_QUERY_CHARS),
            ];
            for (name, text, max) in fields {
                let field = format!("queries[{i}].{name}");
                if text.trim().is_empty() {
                    self.err(
                        "dossier",
                        &d.slug,
                        &field,
                        format!("a saved search needs a {name}"),
                    );
                } else if text.chars().nth(max).is_some() {
                    self.err(
                        "dossier",
                        &d.slug,
                        &field,
                        format!("longer than {max} characters"),
                    );
                } else if text.chars().any(char::is_control) {
                    self.err(
                        "dossier",
                        &d.slug,
                        &field,
                        "contains a control character".into(),
                    );
                }
            }
        }
    }

    /// A collection's own fields: a title to show, and words of a bounded length (its
    /// address is checked with the others, in `url_errors`).
    fn collection(&mut self, c: &Collection) {
        if c.title.trim().is_empty() {
            self.err(
                "collection",
                &c.slug,
                "title",
                "a collection needs a title".into(),
            );
        }
        let limits = [
            ("title", c.title.as_str(), MAX_COLLECTION_TITLE_CHARS),
            (
                "description",
                c.description.as_str(),
                MAX_COLLECTION_TEXT_CHARS,
            ),
            (
                "source",
                c.source.as_deref().unwrap_or(""),
                MAX_COLLECTION_TEXT_CHARS,
            ),
        ];
        for (field, text, max) in limits {
            if text.chars().nth(max).is_some() {
                self.err(
                    "collection",
                    &c.slug,
                    field,
                    format!("longer than {max} characters"),
                );
            }
            if text
                .chars()
                .any(|ch| ch.is_control() && ch != '\n' && ch != '\t')
            {
                self.err(
                    "collection",
                    &c.slug,
                    field,
                    "contains a control character".into(),
                );
            }
        }
    }

    /// Section keys named by traces and topics must exist in the archive's dossiers
    /// (checked only when those dossiers have sections).
    fn section_keys(&mut self, a: &Archive, section_keys: &BTreeSet<String>) {
        if section_keys.is_empty() {
            return;
        }
        let mut missing = Vec::new();
        for (record, slug, p) in a.provenances() {
            for t in &p.trace {
                if !section_keys.contains(&t.section) {
                    missing.push((record, slug, "trace.section", &t.section));
                }
            }
        }
        for t in &a.topics {
            for key in &t.sections {
                if !section_keys.contains(key) {
                    missing.push(("topic", t.slug.as_str(), "sections", key));
                }
            }
        }
        for (record, slug, field, key) in missing {
            self.err(
                record,
                slug,
                field,
                format!("no section `{key}` in the dossier"),
            );
        }
    }

    fn err(&mut self, record: &'static str, slug: &str, field: &str, problem: String) {
        self.errors.push(ValidationError {
            record,
            slug: slug.to_string(),
            field: field.to_string(),
            problem,
        });
    }

    /// Records an error for each slug in `targets` that names no `target` record.
    fn check(
        &mut self,
        record: &'static str,
        slug: &str,
        field: &str,
        target: &str,
        targets: &[String],
    ) {
        for t in targets {
            let here = self.sets.get(target).is_some_and(|s| s.contains(t));
            if !here && !(self.known)(target, t) {
                self.err(
                    record,
                    slug,
                    field,
                    format!("no {target} `{t}` in the archive"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::*;

    fn body(slug: &str) -> Body {
        Body {
            collections: Vec::new(),
            identifiers: Vec::new(),
            slug: slug.into(),
            name: slug.to_uppercase(),
            acronyms: vec![],
            aliases: vec![],
            kind: BodyKind::Council,
            established: None,
            ended: None,
            founding_document: None,
            predecessors: vec![],
            successors: vec![],
            part_of: None,
            format: None,
            decision_rule: None,
            summary: None,
            dossiers: vec![],
            provenance: Provenance::default(),
        }
    }

    #[test]
    fn finds_dangling_and_duplicate_slugs() {
        let mut a = Archive::default();
        let mut pjc = body("pjc");
        pjc.successors.push(BodyLink {
            slug: "nrc".into(),
            date: None,
        });
        a.bodies = vec![pjc, body("pjc"), body("Bad Slug")];
        let errs = a.validate(&|_, _| false);
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert!(text.iter().any(|t| t.contains("no body `nrc`")), "{text:?}");
        assert!(
            text.iter().any(|t| t.contains("used by two records")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("`Bad Slug`, field `slug`")),
            "{text:?}"
        );
        // A slug already in the store satisfies the link.
        let errs = a.validate(&|k, s| k == "body" && s == "nrc");
        assert!(!errs.iter().any(|e| e.problem.contains("nrc")));
    }

    #[test]
    fn names_outside_are_the_links_to_records_the_archive_lacks() {
        let mut a = Archive::default();
        let mut pjc = body("pjc");
        pjc.successors.push(BodyLink {
            slug: "nrc".into(),
            date: None,
        });
        pjc.predecessors.push(BodyLink {
            slug: "council".into(),
            date: None,
        });
        a.bodies = vec![pjc, body("council")];
        let names = a.names_outside();
        assert_eq!(names.len(), 1, "{names:?}");
        assert_eq!(
            names["body"].iter().collect::<Vec<_>>(),
            ["nrc"],
            "the body the archive holds is not outside it"
        );
        assert!(Archive::default().names_outside().is_empty());
    }

    /// A dossier whose sections nest `depth` levels, one section per level.
    fn nested(depth: usize) -> Dossier {
        let mut sections = Vec::new();
        for level in (1..=depth).rev() {
            let section = Section {
                claims: Vec::new(),
                key: format!("s{level}"),
                label: format!("{level}."),
                title: format!("Level {level}"),
                short_title: None,
                commentary: format!("Text of [level {level}](ref:1)."),
                references: vec![Reference {
                    text: "level".into(),
                    target: Some(Target::External {
                        title: "x".into(),
                        url: None,
                    }),
                    mention: true,
                }],
                lists: vec![GeneratedList {
                    complete: false,
                    page_listed: None,
                    caption: None,
                    of: ListOf::Documents,
                    kinds: vec!["speech".into()],
                    bodies: vec![],
                    levels: vec![],
                }],
                children: sections,
            };
            sections = vec![section];
        }
        Dossier {
            queries: Vec::new(),
            stale_after_years: None,
            slug: "deep".into(),
            title: "Deep".into(),
            description: String::new(),
            source: None,
            sections,
        }
    }

    #[test]
    fn sections_nest_at_most_the_limit() {
        let at_limit = nested(MAX_SECTION_DEPTH);
        assert_eq!(at_limit.depth(), MAX_SECTION_DEPTH);
        let a = Archive {
            dossiers: vec![at_limit.clone()],
            ..Default::default()
        };
        assert!(a.validate(&|_, _| false).is_empty());
        // The deepest dossier allowed reads back as JSON (serde_json stops at 128 levels).
        let json = serde_json::to_string(&at_limit).unwrap();
        let back: Dossier = serde_json::from_str(&json).unwrap();
        assert_eq!(back, at_limit);

        let a = Archive {
            dossiers: vec![nested(MAX_SECTION_DEPTH + 1)],
            ..Default::default()
        };
        let errs = a.validate(&|_, _| false);
        assert_eq!(errs.len(), 1, "{errs:?}");
        let text = errs[0].to_string();
        let deepest = MAX_SECTION_DEPTH + 1;
        assert!(
            text.starts_with(&format!(
                "dossier `deep`, field `sections.s{deepest}`: section 1. > 2. > "
            )),
            "{text}"
        );
        assert!(
            text.ends_with(&format!(
                "> {deepest}. is nested {deepest} deep; a dossier's sections may nest at most {MAX_SECTION_DEPTH} levels"
            )),
            "{text}"
        );
    }

    #[test]
    fn a_list_names_only_kinds_of_its_records() {
        let mut d = nested(2);
        d.sections[0].lists[0].kinds = vec!["speech".into(), "summit".into()];
        d.sections[0].children[0].lists[0].of = ListOf::Events;
        d.sections[0].children[0].lists[0].kinds = vec!["summit".into()];
        let a = Archive {
            dossiers: vec![d],
            ..Default::default()
        };
        let errs = a.validate(&|_, _| false);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].field, "sections.s1.lists.kinds");
        assert_eq!(errs[0].problem, "`summit` is not a kind of documents");
    }

    #[test]
    fn a_very_deep_tree_is_refused_without_recursion() {
        // Built in memory (no reader makes one): checking and walking it costs no stack.
        let d = nested(3000);
        assert_eq!(d.depth(), 3000);
        assert_eq!(d.all_sections().len(), 3000);
        let (s, path) = d.too_deep(MAX_SECTION_DEPTH).unwrap();
        assert_eq!(s.key, format!("s{}", MAX_SECTION_DEPTH + 1));
        assert_eq!(path.len(), MAX_SECTION_DEPTH + 1);
        let a = Archive {
            dossiers: vec![d],
            ..Default::default()
        };
        assert_eq!(a.validate(&|_, _| false).len(), 1);
    }

    #[test]
    fn a_successor_dated_before_its_predecessor_is_refused() {
        let d = |s: &str| Some(crate::Edtf::parse(s).unwrap());
        let mut pjc = body("pjc");
        pjc.established = d("1997-05-27");
        pjc.successors.push(BodyLink {
            slug: "nrc".into(),
            date: d("1996"),
        });
        let mut nrc = body("nrc");
        nrc.established = d("1995");
        nrc.ended = d("1994?");
        nrc.predecessors.push(BodyLink {
            slug: "pjc".into(),
            date: d("2002-05-28"),
        });
        let a = Archive {
            bodies: vec![pjc.clone(), nrc.clone()],
            ..Default::default()
        };
        let errs: Vec<String> = a
            .validate(&|_, _| false)
            .iter()
            .map(|e| format!("{} {}: {}", e.slug, e.field, e.problem))
            .collect();
        assert_eq!(
            errs,
            [
                "pjc successors[0].date: the succession by `nrc` is dated 1996, before this body was established (27 May 1997)",
                "pjc successors[0].slug: the successor `nrc` was established 1995, before this body (27 May 1997)",
                "nrc predecessors[0].date: the succession to `pjc` is dated 28 May 2002, after this body ended (1994 (uncertain))",
                "nrc predecessors[0].slug: the predecessor `pjc` was established 27 May 1997, after this body (1995)",
            ]
        );
        // In order, or overlapping (a date within the other's month or year), nothing.
        pjc.successors[0].date = d("1997");
        nrc.established = d("1997-05");
        nrc.ended = None;
        let a = Archive {
            bodies: vec![pjc, nrc],
            ..Default::default()
        };
        assert!(a.validate(&|_, _| false).is_empty());
    }

    #[test]
    fn body_links_become_symmetric() {
        let mut a = Archive::default();
        let mut pjc = body("pjc");
        let date = Some(crate::Edtf::parse("2002-05-28").unwrap());
        pjc.successors.push(BodyLink {
            slug: "nrc".into(),
            date,
        });
        a.bodies = vec![pjc, body("nrc")];
        a.complete_body_links();
        assert_eq!(
            a.bodies[1].predecessors,
            vec![BodyLink {
                slug: "pjc".into(),
                date
            }]
        );
        assert!(a.validate(&|_, _| false).is_empty());
    }

    #[test]
    fn saved_searches_and_collections_are_checked() {
        let mut d = nested(1);
        d.queries = vec![
            SavedQuery {
                title: "Essays".into(),
                query: "collection:milestones nato".into(),
            },
            SavedQuery {
                title: " ".into(),
                query: "x".repeat(MAX_SAVED_QUERY_CHARS + 1),
            },
            SavedQuery {
                title: "Bell\u{7}".into(),
                query: "nato".into(),
            },
        ];
        let mut doc_body = body("nac");
        doc_body.collections = vec!["visits".into(), "nowhere".into()];
        let a = Archive {
            dossiers: vec![d],
            bodies: vec![doc_body],
            collections: vec![
                Collection {
                    slug: "visits".into(),
                    title: "<script>alert(1)</script>".into(),
                    description: String::new(),
                    source: None,
                    url: Some("javascript:alert(1)".into()),
                },
                Collection {
                    slug: "../x".into(),
                    title: "t".repeat(MAX_COLLECTION_TITLE_CHARS + 1),
                    description: String::new(),
                    source: None,
                    url: None,
                },
            ],
            ..Default::default()
        };
        let errors: Vec<String> = a
            .validate(&|_, _| false)
            .iter()
            .map(|e| e.to_string())
            .collect();
        let expect = [
            "dossier `deep`, field `queries[1].title`: a saved search needs a title",
            "dossier `deep`, field `queries[1].query`: longer than 1000 characters",
            "dossier `deep`, field `queries[2].title`: contains a control character",
            "body `nac`, field `collections`: no collection `nowhere` in the archive",
            "collection `../x`, field `slug`: not a valid slug",
            "collection `../x`, field `title`: longer than 300 characters",
            "collection `visits`, field `url`: a `javascript:` address is not accepted",
        ];
        for e in expect {
            assert!(errors.iter().any(|x| x.starts_with(e)), "{e}\n{errors:#?}");
        }
        // Markup in a title is words, not refused: pages escape it.
        assert!(!errors.iter().any(|x| x.contains("`visits`, field `title`")));
        assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    }
}
