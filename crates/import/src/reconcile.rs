//! Reconciliation at import (issue 28): before a record is checked and batched, each link
//! its mapping asked to reconcile ([`LinkMatch`] with `match_by`) is looked up among the
//! archive's records — by external identifier, then by name, acronym or alias — so that a
//! country named "Russia" links the archive's `russian-federation` instead of a new
//! `russia`. One match: the record's link is rewritten ([`Record::relink`]) and the record
//! the mapping made for it is dropped. None: the mapping's record is created (as before)
//! or, where the mapping says `unmatched = "report"`, the record is refused. Several: never
//! guessed; treated as none and reported.
//!
//! The [`Authorities`] index is read from the store only when a link first needs it, and
//! only for the types links name (a record type at a time), so that an import without
//! links to reconcile pays nothing. From then on it learns every record this import
//! creates of those types, so that the 2nd visit from a country the import created finds
//! it, and so that the likely duplicates the import created (of records the archive held
//! before) can be listed at the end.

use crate::report::{How, MatchLine, Reconciled, MAX_DUPLICATES};
use anyhow::Result;
use dossier_authority::{
    normalise, similarity, Authorities, Duplicate, DuplicateReason, Entry, MatchReason, Query,
};

/// How alike two names must be to be listed as likely one, and how long (normalised) each
/// must be: the thresholds of `Authorities::duplicates`, which `dossier check` uses.
const DUPLICATE_SIMILARITY: f64 = 0.9;
const DUPLICATE_MIN_LEN: usize = 8;
use dossier_ingest::import::{Imported, LinkMatch, MatchBy, Unmatched};
use dossier_model::{Record, RecordType};
use dossier_store::{DocumentQuery, EventQuery, Store};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The index of the archive's records, as this import reconciles against it.
pub(crate) struct Reconciler {
    index: Authorities,
    /// The record types read from the store into `index` (at most five).
    loaded: Vec<RecordType>,
    /// The records this import created, of the loaded types (for the likely duplicates).
    created: HashSet<(RecordType, String)>,
    /// Whether to keep the list of matches (`--dry-run`).
    keep_list: bool,
    pub(crate) tally: Reconciled,
    /// The list kept for `--dry-run`: (type, source, slug, how) → links.
    list: BTreeMap<(RecordType, String, String, How), usize>,
    /// Names that matched several records: (type, source) → the slugs.
    ambiguous: BTreeMap<(RecordType, String), Vec<String>>,
}

/// What one link resolved to.
#[derive(Clone)]
struct Resolved {
    slug: String,
    how: How,
    /// The slugs of several matches.
    several: Vec<String>,
}

impl Reconciler {
    pub(crate) fn new(keep_list: bool) -> Self {
        Reconciler {
            index: Authorities::build(std::iter::empty()),
            loaded: Vec::new(),
            created: HashSet::new(),
            keep_list,
            tally: Reconciled::default(),
            list: BTreeMap::new(),
            ambiguous: BTreeMap::new(),
        }
    }

    /// The record types that the links of `r` are to be matched against and that the
    /// index has not read from the store yet.
    pub(crate) fn missing(&self, r: &Imported) -> Vec<RecordType> {
        let mut types: Vec<RecordType> = Vec::new();
        for m in r
            .matches
            .iter()
            .filter(|m| !m.mapped && !m.match_by.is_empty())
        {
            if !self.loaded.contains(&m.target) && !types.contains(&m.target) {
                types.push(m.target);
            }
        }
        types
    }

    /// [`Reconciler::resolve`] for a run that has written nothing yet (the first pass of
    /// `--strict`): the index reads what it needs from the store first.
    pub(crate) fn resolve_unwritten(
        &mut self,
        store: &dyn Store,
        r: &mut Imported,
    ) -> Result<Option<String>> {
        if r.matches.is_empty() {
            return Ok(None);
        }
        for t in self.missing(r) {
            self.load(store, t)?;
        }
        Ok(self.resolve(r))
    }

    /// Reads every record of `record` from the store into the index. The caller has made
    /// sure that every batch of this import that may hold one is committed.
    pub(crate) fn load(&mut self, store: &dyn Store, record: RecordType) -> Result<()> {
        if self.loaded.contains(&record) {
            return Ok(());
        }
        let records: Vec<Record> = match record {
            RecordType::Body => store.bodies(None)?.into_iter().map(Record::Body).collect(),
            RecordType::Person => store
                .people(None)?
                .into_iter()
                .map(Record::Person)
                .collect(),
            RecordType::Topic => store.topics(None)?.into_iter().map(Record::Topic).collect(),
            RecordType::Document => store
                .documents(&DocumentQuery::default())?
                .into_iter()
                .map(Record::Document)
                .collect(),
            RecordType::Event => store
                .events(&EventQuery::default())?
                .into_iter()
                .map(Record::Event)
                .collect(),
            // No link names a dossier.
            RecordType::Dossier => Vec::new(),
        };
        for r in &records {
            // This import's own records, if an earlier batch wrote some, stay "created".
            self.index.insert(Entry::of_record(r));
        }
        self.loaded.push(record);
        Ok(())
    }

    /// Learns a record this import writes (read from its files) and the linked records
    /// it brings, of the types that links are reconciled against: a later link may name
    /// them. Those the archive lacks are created by this import.
    pub(crate) fn learn(&mut self, r: &Imported) {
        if self.loaded.is_empty() {
            return;
        }
        self.learn_record(&r.record);
        for l in &r.linked {
            // A linked record the archive holds is left as it is.
            if self.index.get(l.record_type(), l.slug()).is_none() {
                self.learn_record(l);
            }
        }
    }

    pub(crate) fn learn_record(&mut self, r: &Record) {
        let t = r.record_type();
        if !self.loaded.contains(&t) {
            return;
        }
        if self.index.get(t, r.slug()).is_none() {
            self.created.insert((t, r.slug().to_string()));
        }
        self.index.insert(Entry::of_record(r));
    }

    /// Reconciles the links of `r` (whose types are loaded): rewrites those that match one
    /// record of the archive and drops the records the mapping made for them. Returns why
    /// the record is refused, if a link that must match matched nothing.
    pub(crate) fn resolve(&mut self, r: &mut Imported) -> Option<String> {
        if r.matches.is_empty() {
            return None;
        }
        let matches = std::mem::take(&mut r.matches);
        // Each (type, slug) once: every link to it is rewritten together.
        let mut done: HashMap<(RecordType, &str), Resolved> = HashMap::new();
        let mut drop: Vec<usize> = Vec::new();
        let mut relinks: Vec<(RecordType, &str, String)> = Vec::new();
        let mut refused = None;
        for m in &matches {
            if m.mapped {
                self.tally.mapped += 1;
                self.note(m, &m.slug, How::Mapped);
                continue;
            }
            if m.match_by.is_empty() {
                continue;
            }
            let resolved = match done.get(&(m.target, m.slug.as_str())) {
                Some(r) => r.clone(),
                None => {
                    let found = self.find(m);
                    done.insert((m.target, m.slug.as_str()), found.clone());
                    found
                }
            };
            match resolved.how {
                How::Identifier | How::Name => {
                    let how = if self.created.contains(&(m.target, resolved.slug.clone())) {
                        self.tally.again += 1;
                        How::Again
                    } else if resolved.how == How::Identifier {
                        self.tally.by_identifier += 1;
                        How::Identifier
                    } else {
                        self.tally.by_name += 1;
                        How::Name
                    };
                    self.note(m, &resolved.slug, how);
                    if resolved.slug != m.slug {
                        drop.extend(m.linked);
                        if !relinks
                            .iter()
                            .any(|(t, s, _)| *t == m.target && *s == m.slug)
                        {
                            relinks.push((m.target, &m.slug, resolved.slug.clone()));
                        }
                    }
                }
                _ => {
                    // Matched nothing, or several (never guessed): as the mapping says.
                    let several = !resolved.several.is_empty();
                    if several {
                        self.tally.ambiguous += 1;
                        self.ambiguous
                            .entry((m.target, source(m)))
                            .or_insert_with(|| resolved.several.clone());
                    }
                    match m.unmatched {
                        Unmatched::Report => {
                            self.tally.refused += 1;
                            self.note(m, &m.slug, How::Refused);
                            if refused.is_none() {
                                refused = Some(refusal(r, m, &resolved.several));
                            }
                        }
                        Unmatched::Create => {
                            // The mapping's slug: a record the archive holds, or a new one.
                            let exists = self.index.get(m.target, &m.slug).is_some();
                            if exists {
                                self.tally.kept += 1;
                            } else {
                                self.tally.created += 1;
                            }
                            let how = match (several, exists) {
                                (true, _) => How::Ambiguous,
                                (false, true) => How::Kept,
                                (false, false) => How::Created,
                            };
                            self.note(m, &m.slug, how);
                        }
                    }
                }
            }
        }
        if refused.is_some() {
            r.matches = matches;
            return refused;
        }
        if !relinks.is_empty() {
            for (target, from, into) in &relinks {
                r.record.relink(*target, from, into);
            }
            drop.sort_unstable();
            drop.dedup();
            for i in drop.into_iter().rev() {
                if i < r.linked.len() {
                    r.linked.remove(i);
                }
            }
            // A linked record the mapping made may itself name a dropped one.
            for l in &mut r.linked {
                for (target, from, into) in &relinks {
                    l.relink(*target, from, into);
                }
            }
        }
        r.matches = matches;
        None
    }

    /// Looks one link up: by each way the mapping lists, in order, until one finds
    /// anything.
    fn find(&self, m: &LinkMatch) -> Resolved {
        for by in &m.match_by {
            let found: Vec<&str> = match by {
                MatchBy::Identifier => match &m.identifier {
                    Some(id) => self
                        .index
                        .by_identifier(id)
                        .into_iter()
                        .filter(|(t, _)| *t == m.target)
                        .map(|(_, s)| s)
                        .collect(),
                    None => continue,
                },
                MatchBy::Name => match m.name.as_deref().filter(|n| !n.trim().is_empty()) {
                    Some(name) => self.index.by_name(m.target, name),
                    None => continue,
                },
            };
            let how = match by {
                MatchBy::Identifier => How::Identifier,
                MatchBy::Name => How::Name,
            };
            match found.as_slice() {
                [] => continue,
                [one] => {
                    return Resolved {
                        slug: one.to_string(),
                        how,
                        several: Vec::new(),
                    }
                }
                several => {
                    let mut several: Vec<String> = several.iter().map(|s| s.to_string()).collect();
                    several.sort();
                    several.dedup();
                    if let [one] = several.as_slice() {
                        return Resolved {
                            slug: one.clone(),
                            how,
                            several: Vec::new(),
                        };
                    }
                    return Resolved {
                        slug: m.slug.clone(),
                        how: How::Ambiguous,
                        several,
                    };
                }
            }
        }
        Resolved {
            slug: m.slug.clone(),
            how: How::Created,
            several: Vec::new(),
        }
    }

    fn note(&mut self, m: &LinkMatch, slug: &str, how: How) {
        if self.keep_list {
            *self
                .list
                .entry((m.target, source(m), slug.to_string(), how))
                .or_insert(0) += 1;
        }
    }

    /// The tally, the list and the likely duplicates this import created, for the report.
    pub(crate) fn finish(mut self) -> Reconciled {
        let mut tally = std::mem::take(&mut self.tally);
        tally.matches = std::mem::take(&mut self.list)
            .into_iter()
            .map(|((record, source, slug, how), links)| MatchLine {
                record,
                source,
                slug,
                how,
                links,
            })
            .collect();
        tally.ambiguities = std::mem::take(&mut self.ambiguous)
            .into_iter()
            .map(|((record, source), slugs)| (record, source, slugs))
            .collect();
        for t in [RecordType::Body, RecordType::Person] {
            if tally.duplicates.len() >= MAX_DUPLICATES {
                break;
            }
            let found = self.duplicates_created(t, MAX_DUPLICATES - tally.duplicates.len());
            tally
                .duplicates
                .extend(found.iter().map(|d| self.duplicate_line(d)));
        }
        tally
    }

    /// Likely duplicates of the records of type `t` this import created among the records
    /// the archive held before it (at most `max`): the same identifier, name or alias, or
    /// a name nearly the same, as `dossier check` finds them ([`Authorities::duplicates`]).
    /// Each created record is one query against an index of the records held before, so
    /// the cost grows with what the import created, not with the archive (a fresh archive
    /// costs nothing); duplicates among the created records themselves are left to
    /// `dossier check`.
    fn duplicates_created(&self, t: RecordType, max: usize) -> Vec<Duplicate> {
        let is_created = |slug: &str| self.created.contains(&(t, slug.to_string()));
        let mut created: Vec<&Entry> = self
            .index
            .entries(t)
            .filter(|e| is_created(&e.slug))
            .collect();
        if created.is_empty() {
            return Vec::new();
        }
        let before = Authorities::build(
            self.index
                .entries(t)
                .filter(|e| !is_created(&e.slug))
                .cloned(),
        );
        if before.is_empty() {
            return Vec::new();
        }
        created.sort_by(|a, b| a.slug.cmp(&b.slug));
        let mut out = Vec::new();
        for c in created {
            let query = Query {
                text: c.name.clone(),
                types: vec![t],
                identifiers: c.identifiers.clone(),
                limit: 5,
            };
            let name = normalise(&c.name);
            for found in before.candidates(&query) {
                let reason = match found.reason {
                    MatchReason::Identifier => {
                        let theirs = before.get(t, &found.slug).map(|e| &e.identifiers);
                        match c
                            .identifiers
                            .iter()
                            .find(|i| theirs.is_some_and(|ids| ids.contains(i)))
                        {
                            Some(id) => DuplicateReason::SameIdentifier(id.clone()),
                            None => continue,
                        }
                    }
                    MatchReason::Name => DuplicateReason::SameName(c.name.clone()),
                    MatchReason::Alias => DuplicateReason::SameAlias(c.name.clone()),
                    MatchReason::Similar => {
                        let other = normalise(&found.name);
                        let similarity = similarity(&name, &other);
                        if name.chars().count() < DUPLICATE_MIN_LEN
                            || other.chars().count() < DUPLICATE_MIN_LEN
                            || similarity < DUPLICATE_SIMILARITY
                        {
                            continue;
                        }
                        DuplicateReason::Similar {
                            a: c.name.clone(),
                            b: found.name.clone(),
                            similarity,
                        }
                    }
                };
                out.push(Duplicate {
                    record: t,
                    a: c.slug.clone(),
                    b: found.slug,
                    reason,
                });
                if out.len() >= max {
                    return out;
                }
            }
        }
        out
    }

    /// "body `taiwan` ("China, Republic of") and body `china` ("China, Republic of"):
    /// the same name".
    fn duplicate_line(&self, d: &Duplicate) -> String {
        let name = |slug: &str| {
            self.index
                .get(d.record, slug)
                .map(|e| format!(" ({:?})", short(&e.name, 80)))
                .unwrap_or_default()
        };
        let why = match &d.reason {
            DuplicateReason::SameName(n) => format!("the same name {:?}", short(n, 80)),
            DuplicateReason::SameAlias(n) => format!("both answer to {:?}", short(n, 80)),
            DuplicateReason::Similar { similarity, .. } => {
                format!("similar names ({:.0} %)", similarity * 100.0)
            }
            DuplicateReason::SameIdentifier(id) => {
                format!("the same {} identifier {}", id.scheme.label(), id.value)
            }
        };
        let t = d.record.as_str();
        format!(
            "{t} `{}`{} and {t} `{}`{}: {why} (one {t} twice? dossier merge {t} FROM INTO)",
            d.a,
            name(&d.a),
            d.b,
            name(&d.b)
        )
    }
}

/// The source's name for a link, or its identifier when it gives no name.
fn source(m: &LinkMatch) -> String {
    match (&m.name, &m.identifier) {
        (Some(n), _) if !n.trim().is_empty() => short(n.trim(), 200),
        (_, Some(id)) => format!("{} {}", id.scheme.label(), id.value),
        _ => m.slug.clone(),
    }
}

/// Why a record is refused: its place, id and field, and the name that matched nothing
/// (or several records).
fn refusal(r: &Imported, m: &LinkMatch, several: &[String]) -> String {
    let t = m.target.as_str();
    let ways: Vec<String> = m
        .match_by
        .iter()
        .filter_map(|by| match by {
            MatchBy::Identifier => m
                .identifier
                .as_ref()
                .map(|id| format!("{} identifier {}", id.scheme.label(), id.value)),
            MatchBy::Name => m
                .name
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .map(|n| format!("name {:?}", short(n.trim(), 200))),
        })
        .collect();
    let what = if ways.is_empty() {
        "no name or identifier to match".to_string()
    } else {
        ways.join(" or ")
    };
    let problem = if several.is_empty() {
        format!("no {t} of the archive has the {what}")
    } else {
        let list: Vec<String> = several.iter().take(5).map(|s| format!("`{s}`")).collect();
        format!(
            "{} {t} records of the archive have the {what} ({}{}); not guessed",
            several.len(),
            list.join(", "),
            if several.len() > 5 { ", …" } else { "" }
        )
    };
    format!(
        "{}:{}: record {}, field `{}`: {problem}; the mapping says unmatched = \"report\", so the record is not imported",
        r.file,
        r.pos,
        r.record.slug(),
        m.field
    )
}

/// `s` cut to `max` characters, with an ellipsis when cut.
fn short(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}
