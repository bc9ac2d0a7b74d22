//! The in-memory index: entries by type and slug, by identifier, by normalised name, and
//! by the trigrams of their normalised names.

use crate::normalise::{normalise, numbers, similarity_sorted, sorted_words};
use crate::{
    of_scheme, Candidate, Constraints, Duplicate, DuplicateReason, Entry, MatchReason, Query,
    MAX_COMPARED,
};
use dossier_model::{slugify, ExternalId, Record, RecordType};
use dossier_store::{DocumentQuery, EventQuery, Store, StoreError};
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// How alike two names must be ([`similarity`](crate::similarity)) to be listed as likely duplicates.
pub const DUPLICATE_SIMILARITY: f64 = 0.9;
/// Names shorter than this (normalised) are duplicates only when equal: two short
/// acronyms a letter apart are usually two bodies.
pub const DUPLICATE_MIN_LEN: usize = 8;
/// Similar candidates below this similarity are not worth showing.
const MIN_SIMILARITY: f64 = 0.3;
/// The score of each reason before constraints.
const SCORE_IDENTIFIER: f64 = 100.0;
const SCORE_NAME: f64 = 100.0;
const SCORE_ALIAS: f64 = 95.0;
const SCORE_SIMILAR: f64 = 90.0;
/// What a contradicted constraint multiplies the score by.
const CONTRADICTED: f64 = 0.6;

/// The type's place in per-type tables.
fn type_index(t: RecordType) -> usize {
    match t {
        RecordType::Dossier => 0,
        RecordType::Document => 1,
        RecordType::Body => 2,
        RecordType::Person => 3,
        RecordType::Event => 4,
        RecordType::Topic => 5,
    }
}

/// A name slot's entry when the slot is free.
const FREE: u32 = u32::MAX;

struct Slot {
    entry: Entry,
    /// Its name slots (the name first).
    names: Vec<u32>,
}

struct NameSlot {
    /// The entry it names ([`FREE`]: none).
    entry: u32,
    record: RecordType,
    /// Normalised (and cut to [`MAX_COMPARED`] characters).
    norm: String,
    /// As written.
    written: String,
    /// The entry's name, not an acronym or alias.
    main: bool,
    /// How many distinct trigrams it has.
    grams: u32,
    /// Its words in alphabetical order ([`sorted_words`]), where that differs from `norm`.
    sorted: Option<Box<str>>,
}

impl NameSlot {
    fn sorted(&self) -> &str {
        self.sorted.as_deref().unwrap_or(&self.norm)
    }
}

/// The archive's bodies, people, documents and events by name and identifier (see the
/// crate's doc). `Send + Sync`: the server keeps one behind a lock and answers many
/// queries at once.
#[derive(Default)]
pub struct Authorities {
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    keys: [FxHashMap<String, u32>; 6],
    names: Vec<NameSlot>,
    free_names: Vec<u32>,
    live_names: usize,
    exact: FxHashMap<String, Vec<u32>>,
    identifiers: FxHashMap<ExternalId, Vec<u32>>,
    grams: FxHashMap<u64, Vec<u32>>,
    /// Each name from each of its first [`PREFIX_WORDS`] words on, for suggestions as one
    /// types ("fed" finds "Russian Federation").
    prefixes: BTreeSet<(Box<str>, u32)>,
}

/// How a suggestion sorts: not the name's start, not the main name, length, slug.
type SuggestRank<'a> = (bool, bool, usize, &'a str);

/// How many of a name's words start a suggestion key.
const PREFIX_WORDS: usize = 8;
/// How many keys a suggestion looks through at most (a one-letter prefix has many).
const PREFIX_SCAN: usize = 5_000;

/// The places a name's words start, up to [`PREFIX_WORDS`] of them.
fn word_starts(norm: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0)
        .chain(norm.match_indices(' ').map(|(i, _)| i + 1))
        .take(PREFIX_WORDS)
}

thread_local! {
    /// Per name slot, how many of a query's trigrams it shares (zeroed after each query).
    static COUNTS: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

/// The distinct trigrams of a normalised name, padded with a space at each end so that
/// a word's first and last letters count (`" na"`, `"nat"`, `"ato"`, `"to "`).
fn trigrams(norm: &str) -> Vec<u64> {
    let chars: Vec<char> = std::iter::once(' ')
        .chain(norm.chars())
        .chain(std::iter::once(' '))
        .collect();
    let mut out: Vec<u64> = chars
        .windows(3)
        .map(|w| (u64::from(w[0]) << 42) | (u64::from(w[1]) << 21) | u64::from(w[2]))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A normalised name cut to the length that is compared.
fn compared(name: &str) -> String {
    let n = normalise(name);
    match n.char_indices().nth(MAX_COMPARED) {
        Some((at, _)) => n[..at].trim_end().to_string(),
        None => n,
    }
}

impl Authorities {
    /// An index of these entries (a later entry of the same type and slug replaces an
    /// earlier one).
    pub fn build(entries: impl IntoIterator<Item = Entry>) -> Authorities {
        let mut a = Authorities::default();
        for e in entries {
            a.insert(e);
        }
        a
    }

    /// An index of the store's bodies, people, documents and events.
    pub fn from_store(store: &dyn Store) -> Result<Authorities, StoreError> {
        let mut a = Authorities::default();
        for b in store.bodies(None)? {
            a.insert(Entry::of_record(&Record::Body(b)));
        }
        for p in store.people(None)? {
            a.insert(Entry::of_record(&Record::Person(p)));
        }
        for d in store.documents(&DocumentQuery::default())? {
            a.insert(Entry::of_record(&Record::Document(d)));
        }
        for e in store.events(&EventQuery::default())? {
            a.insert(Entry::of_record(&Record::Event(e)));
        }
        Ok(a)
    }

    /// Adds an entry, replacing the entry of the same type and slug.
    pub fn insert(&mut self, e: Entry) {
        self.remove(e.record, &e.slug);
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.slots.push(None);
                (self.slots.len() - 1) as u32
            }
        };
        let mut seen: FxHashSet<String> = FxHashSet::default();
        let mut names = Vec::with_capacity(1 + e.names.len());
        for (written, main) in
            std::iter::once((&e.name, true)).chain(e.names.iter().map(|n| (n, false)))
        {
            let norm = compared(written);
            if norm.is_empty() || !seen.insert(norm.clone()) {
                continue;
            }
            names.push(self.add_name(id, e.record, norm, written.clone(), main));
        }
        for i in &e.identifiers {
            let list = self.identifiers.entry(i.clone()).or_default();
            if !list.contains(&id) {
                list.push(id);
            }
        }
        self.keys[type_index(e.record)].insert(e.slug.clone(), id);
        self.slots[id as usize] = Some(Slot { entry: e, names });
    }

    fn add_name(
        &mut self,
        entry: u32,
        record: RecordType,
        norm: String,
        written: String,
        main: bool,
    ) -> u32 {
        let grams = trigrams(&norm);
        let sorted = sorted_words(&norm);
        let slot = NameSlot {
            entry,
            record,
            sorted: (sorted != norm).then(|| sorted.into()),
            norm: norm.clone(),
            written,
            main,
            grams: grams.len() as u32,
        };
        let nid = match self.free_names.pop() {
            Some(n) => {
                self.names[n as usize] = slot;
                n
            }
            None => {
                self.names.push(slot);
                (self.names.len() - 1) as u32
            }
        };
        self.live_names += 1;
        for start in word_starts(&norm) {
            self.prefixes.insert((norm[start..].into(), nid));
        }
        self.exact.entry(norm).or_default().push(nid);
        for g in grams {
            self.grams.entry(g).or_default().push(nid);
        }
        nid
    }

    /// Removes the entry of this type and slug, if there is one.
    pub fn remove(&mut self, record: RecordType, slug: &str) {
        let Some(id) = self.keys[type_index(record)].remove(slug) else {
            return;
        };
        let Some(slot) = self.slots[id as usize].take() else {
            return;
        };
        for nid in slot.names {
            let name = &mut self.names[nid as usize];
            name.entry = FREE;
            let norm = std::mem::take(&mut name.norm);
            name.written.clear();
            name.sorted = None;
            for start in word_starts(&norm) {
                self.prefixes.remove(&(norm[start..].into(), nid));
            }
            for g in trigrams(&norm) {
                if let Some(list) = self.grams.get_mut(&g) {
                    list.retain(|n| *n != nid);
                    if list.is_empty() {
                        self.grams.remove(&g);
                    }
                }
            }
            if let Some(list) = self.exact.get_mut(&norm) {
                list.retain(|n| *n != nid);
                if list.is_empty() {
                    self.exact.remove(&norm);
                }
            }
            self.free_names.push(nid);
            self.live_names -= 1;
        }
        for i in &slot.entry.identifiers {
            if let Some(list) = self.identifiers.get_mut(i) {
                list.retain(|e| *e != id);
                if list.is_empty() {
                    self.identifiers.remove(i);
                }
            }
        }
        self.free.push(id);
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.keys.iter().map(FxHashMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn entry(&self, id: u32) -> &Entry {
        &self.slots[id as usize]
            .as_ref()
            .expect("the indexes name only live entries")
            .entry
    }

    /// The entry of this type and slug.
    pub fn get(&self, record: RecordType, slug: &str) -> Option<&Entry> {
        let id = self.keys[type_index(record)].get(slug)?;
        Some(self.entry(*id))
    }

    /// Every entry of a type, in no particular order.
    pub fn entries(&self, record: RecordType) -> impl Iterator<Item = &Entry> {
        self.keys[type_index(record)]
            .values()
            .map(|id| self.entry(*id))
    }

    /// The records that carry this identifier, sorted by type and slug.
    pub fn by_identifier(&self, id: &ExternalId) -> Vec<(RecordType, &str)> {
        let mut out: Vec<(RecordType, &str)> = self
            .identifiers
            .get(id)
            .into_iter()
            .flatten()
            .map(|e| {
                let e = self.entry(*e);
                (e.record, e.slug.as_str())
            })
            .collect();
        out.sort_unstable();
        out
    }

    /// The slugs of the records of this type whose name, acronym or alias is `name`
    /// (normalised), sorted.
    pub fn by_name(&self, record: RecordType, name: &str) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .exact
            .get(&compared(name))
            .into_iter()
            .flatten()
            .map(|n| &self.names[*n as usize])
            .filter(|n| n.record == record)
            .map(|n| self.entry(n.entry).slug.as_str())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The names most like `norm` (normalised) that `accept` takes, up to `keep` of them,
    /// with their [`similarity`](crate::similarity), most alike first. Candidates are the names that share
    /// most of the query's trigrams; the trigrams that a twentieth of all names have (`"ion"`,
    /// `" co"`) are skipped once three rarer ones have been counted, as they tell little
    /// and cost most.
    fn similar(
        &self,
        norm: &str,
        accept: &dyn Fn(&NameSlot) -> bool,
        keep: usize,
    ) -> Vec<(u32, f64)> {
        if norm.is_empty() || keep == 0 {
            return Vec::new();
        }
        let query_trigrams = trigrams(norm);
        let mut lists: Vec<&Vec<u32>> = query_trigrams
            .iter()
            .filter_map(|g| self.grams.get(g))
            .collect();
        if lists.is_empty() {
            return Vec::new();
        }
        lists.sort_by_key(|l| l.len());
        let common = (self.live_names / 20).max(2_000);
        let query_grams = query_trigrams.len() as u32;
        let norm_sorted = sorted_words(norm);
        COUNTS.with(|counts| {
            let mut counts = counts.borrow_mut();
            if counts.len() < self.names.len() {
                counts.resize(self.names.len(), 0);
            }
            let mut touched: Vec<u32> = Vec::new();
            let mut used = 0u32;
            for (i, list) in lists.iter().enumerate() {
                if i >= 3 && list.len() > common {
                    break;
                }
                used += 1;
                for &n in list.iter() {
                    let c = &mut counts[n as usize];
                    if *c == 0 {
                        touched.push(n);
                    }
                    *c = c.saturating_add(1);
                }
            }
            let need = (used / 3).max(1) as u16;
            let mut ranked: Vec<(f64, u32)> = Vec::new();
            for &n in &touched {
                let c = counts[n as usize];
                counts[n as usize] = 0;
                if c < need {
                    continue;
                }
                let slot = &self.names[n as usize];
                if slot.entry == FREE || !accept(slot) {
                    continue;
                }
                // Dice's coefficient over the counted trigrams: a cheap first ranking.
                let dice = 2.0 * f64::from(c) / f64::from(query_grams + slot.grams);
                ranked.push((dice, n));
            }
            let pool = keep.saturating_mul(2).max(24);
            if ranked.len() > pool {
                ranked.select_nth_unstable_by(pool - 1, |a, b| b.0.total_cmp(&a.0));
                ranked.truncate(pool);
            }
            let mut scored: Vec<(u32, f64)> = ranked
                .into_iter()
                .map(|(_, n)| {
                    let name = &self.names[n as usize];
                    (
                        n,
                        similarity_sorted(norm, &norm_sorted, &name.norm, name.sorted()),
                    )
                })
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            scored.truncate(keep);
            scored
        })
    }

    /// The records of these types (empty: any) with a name, acronym or alias that starts
    /// with `prefix`, or has a word that does, normalised: names that start with it first,
    /// then main names before other names, shorter before longer. At most `limit`.
    pub fn suggest(&self, prefix: &str, types: &[RecordType], limit: usize) -> Vec<&Entry> {
        let p = compared(prefix);
        if p.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut found: Vec<(SuggestRank, u32)> = Vec::new();
        for (key, nid) in self
            .prefixes
            .range::<(Box<str>, u32), _>((p.as_str().into(), 0)..)
            .take(PREFIX_SCAN)
        {
            if !key.starts_with(p.as_str()) {
                break;
            }
            let name = &self.names[*nid as usize];
            if name.entry == FREE || !(types.is_empty() || types.contains(&name.record)) {
                continue;
            }
            let whole = key.len() == name.norm.len();
            let e = self.entry(name.entry);
            found.push((
                (!whole, !name.main, name.norm.len(), e.slug.as_str()),
                name.entry,
            ));
        }
        found.sort_unstable();
        let mut seen = FxHashSet::default();
        found
            .into_iter()
            .filter(|(_, id)| seen.insert(*id))
            .take(limit)
            .map(|(_, id)| self.entry(id))
            .collect()
    }

    /// The records that may be the one a query asks for, best first, at most `q.limit`.
    pub fn candidates(&self, q: &Query) -> Vec<Candidate> {
        self.candidates_with(q, &Constraints::default())
    }

    /// [`Authorities::candidates`] with the query's other properties: a candidate that
    /// contradicts them (another kind, another year, another identifier of a scheme the
    /// query gives) scores lower and is never `matched`.
    pub fn candidates_with(&self, q: &Query, c: &Constraints) -> Vec<Candidate> {
        if q.limit == 0 {
            return Vec::new();
        }
        let type_ok = |t: RecordType| q.types.is_empty() || q.types.contains(&t);
        let norm = compared(&q.text);
        // Per entry: the best score and reason found.
        let mut found: BTreeMap<u32, (f64, MatchReason)> = BTreeMap::new();
        let offer = |found: &mut BTreeMap<u32, (f64, MatchReason)>,
                     id: u32,
                     score: f64,
                     why: MatchReason| {
            let slot = found.entry(id).or_insert((score, why));
            if score > slot.0 || (score == slot.0 && why < slot.1) {
                *slot = (score, why);
            }
        };
        for i in &q.identifiers {
            for &id in self.identifiers.get(i).into_iter().flatten() {
                if type_ok(self.entry(id).record) {
                    offer(&mut found, id, SCORE_IDENTIFIER, MatchReason::Identifier);
                }
            }
        }
        for &n in self.exact.get(&norm).into_iter().flatten() {
            let name = &self.names[n as usize];
            if type_ok(name.record) {
                let (score, why) = if name.main {
                    (SCORE_NAME, MatchReason::Name)
                } else {
                    (SCORE_ALIAS, MatchReason::Alias)
                };
                offer(&mut found, name.entry, score, why);
            }
        }
        let keep = q.limit.saturating_add(5).clamp(10, 300);
        for (n, sim) in self.similar(&norm, &|s: &NameSlot| type_ok(s.record), keep) {
            let name = &self.names[n as usize];
            // An equal name was offered above, as a name or alias.
            if sim < MIN_SIMILARITY || name.norm == norm {
                continue;
            }
            offer(
                &mut found,
                name.entry,
                round(sim * SCORE_SIMILAR),
                MatchReason::Similar,
            );
        }
        // Which candidates the query's constraints contradict: they count neither for
        // the match nor against another's.
        let found: Vec<(u32, f64, MatchReason, bool)> = found
            .into_iter()
            .map(|(id, (score, why))| (id, score, why, self.contradicts(self.entry(id), q, c)))
            .collect();
        let count = |pick: &dyn Fn(MatchReason) -> bool| {
            found
                .iter()
                .filter(|(_, _, why, contradicted)| !contradicted && pick(*why))
                .count()
        };
        let by_identifier = count(&|why| why == MatchReason::Identifier);
        let by_name = count(&|why| matches!(why, MatchReason::Name | MatchReason::Alias));
        let mut out: Vec<Candidate> = found
            .into_iter()
            .map(|(id, score, reason, contradicted)| {
                let e = self.entry(id);
                let matched = !contradicted
                    && match reason {
                        MatchReason::Identifier => by_identifier == 1,
                        MatchReason::Name | MatchReason::Alias => {
                            by_identifier == 0 && by_name == 1
                        }
                        MatchReason::Similar => false,
                    };
                Candidate {
                    record: e.record,
                    slug: e.slug.clone(),
                    name: e.name.clone(),
                    score: if contradicted {
                        round(score * CONTRADICTED)
                    } else {
                        score
                    },
                    matched,
                    reason,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.reason.cmp(&b.reason))
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.slug.cmp(&b.slug))
        });
        out.truncate(q.limit);
        out
    }

    /// Whether the entry contradicts what the query says of the record: another kind,
    /// another year, or identifiers of a scheme the query gives but none of them.
    fn contradicts(&self, e: &Entry, q: &Query, c: &Constraints) -> bool {
        if c.kind.as_deref().is_some_and(|k| !kind_matches(e, k)) {
            return true;
        }
        if let (Some(year), Some(has)) = (c.year, e.year()) {
            if year != has {
                return true;
            }
        }
        q.identifiers.iter().any(|i| {
            let mut theirs = of_scheme(&e.identifiers, i.scheme).peekable();
            theirs.peek().is_some() && !of_scheme(&e.identifiers, i.scheme).any(|t| t == i)
        })
    }

    /// Pairs of records of this type that are likely one record: the same identifier,
    /// the same normalised name, acronym or alias, or names nearly the same (a
    /// [`similarity`](crate::similarity) of at least [`DUPLICATE_SIMILARITY`], both at least
    /// [`DUPLICATE_MIN_LEN`] characters, their numbers equal). One pair once, by the
    /// first of these reasons; sorted by `a`, then `b`.
    pub fn duplicates(&self, record: RecordType) -> Vec<Duplicate> {
        let mut pairs: BTreeMap<(String, String), DuplicateReason> = BTreeMap::new();
        let mut add = |a: &str, b: &str, why: DuplicateReason| {
            if a == b {
                return;
            }
            let key = if a < b {
                (a.to_string(), b.to_string())
            } else {
                (b.to_string(), a.to_string())
            };
            pairs.entry(key).or_insert(why);
        };
        let ids: Vec<u32> = self.keys[type_index(record)].values().copied().collect();
        // The same identifier.
        let mut by_id: BTreeMap<&ExternalId, Vec<&str>> = BTreeMap::new();
        for &id in &ids {
            let e = self.entry(id);
            for i in &e.identifiers {
                by_id.entry(i).or_default().push(&e.slug);
            }
        }
        for (i, slugs) in &by_id {
            for (k, a) in slugs.iter().enumerate() {
                for b in &slugs[k + 1..] {
                    add(a, b, DuplicateReason::SameIdentifier((*i).clone()));
                }
            }
        }
        // The same name; then the same acronym or alias.
        for main_only in [true, false] {
            for &id in &ids {
                let slot = self.slots[id as usize].as_ref().expect("live");
                for &n in &slot.names {
                    let name = &self.names[n as usize];
                    for &other in self.exact.get(&name.norm).into_iter().flatten() {
                        let o = &self.names[other as usize];
                        if o.record != record
                            || o.entry == id
                            || (main_only && !(name.main && o.main))
                        {
                            continue;
                        }
                        let (first, second) = (&slot.entry.slug, &self.entry(o.entry).slug);
                        let written = if first < second {
                            &name.written
                        } else {
                            &o.written
                        };
                        let why = if main_only {
                            DuplicateReason::SameName(written.clone())
                        } else {
                            DuplicateReason::SameAlias(written.clone())
                        };
                        add(first, second, why);
                    }
                }
            }
        }
        // Nearly the same names.
        for &id in &ids {
            let slot = self.slots[id as usize].as_ref().expect("live");
            let Some(&n) = slot.names.first() else {
                continue;
            };
            let name = &self.names[n as usize];
            if name.norm.chars().count() < DUPLICATE_MIN_LEN {
                continue;
            }
            let accept = |s: &NameSlot| {
                s.record == record
                    && s.main
                    && s.entry != id
                    && s.norm.chars().count() >= DUPLICATE_MIN_LEN
            };
            for (other, sim) in self.similar(&name.norm, &accept, 20) {
                let o = &self.names[other as usize];
                if sim < DUPLICATE_SIMILARITY
                    || o.norm == name.norm
                    || numbers(&o.norm) != numbers(&name.norm)
                {
                    continue;
                }
                let (a, b) = (&slot.entry.slug, &self.entry(o.entry).slug);
                let (wa, wb) = if a < b {
                    (&name.written, &o.written)
                } else {
                    (&o.written, &name.written)
                };
                add(
                    a,
                    b,
                    DuplicateReason::Similar {
                        a: wa.clone(),
                        b: wb.clone(),
                        similarity: round(sim * 100.0) / 100.0,
                    },
                );
            }
        }
        pairs
            .into_iter()
            .map(|((a, b), reason)| Duplicate {
                record,
                a,
                b,
                reason,
            })
            .collect()
    }
}

/// Whether an entry is of the kind a query names: its kind's slug, or its label, any case
/// ("treaty", "Treaty", "International organisation").
fn kind_matches(e: &Entry, kind: &str) -> bool {
    let kind = kind.trim();
    e.kind.eq_ignore_ascii_case(kind) || e.kind == slugify(kind)
}

/// A score to one decimal place.
fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
