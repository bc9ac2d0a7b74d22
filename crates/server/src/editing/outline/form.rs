//! The outline editor's form as data: a dossier's fields and its sections in reading
//! order, each with its depth, read from and written to the form's fields; the
//! operations (add, move, indent, renumber…) on it; and the way back to the model's
//! [`Dossier`]. No HTTP here, so every rule is tested on its own.
//!
//! The form round-trips the whole outline: section `n` (numbered in reading order when
//! the form is written) carries `s.n.parent` (the number of its parent, empty at the
//! top), `s.n.position` (its place among its siblings) and its fields (`s.n.title`,
//! `s.n.r.j.slug` for its `j`th reference, `s.n.l.k.kinds` for its `k`th list…). Nothing
//! is trusted: a parent that is missing or makes a cycle is refused, and the counts are
//! bounded before anything is built.

use dossier_model::{
    Claim, DocumentKind, Dossier, Edtf, EventKind, GeneratedList, Level, ListOf, Reference,
    Section, Target, MAX_SECTION_DEPTH,
};
use std::collections::{BTreeMap, BTreeSet};

/// The most sections one form may carry (the built-in dossier has about a hundred).
pub(crate) const MAX_SECTIONS: usize = 2_000;
/// The most references, and lists, one section may carry in the form.
pub(crate) const MAX_ROWS: usize = 500;
/// How deep the form may nest sections at all: past the model's limit (so that an
/// outline one level too deep comes back with the model's error beside the section), but
/// bounded, so that no hand-made form builds a tree the page cannot show.
pub(crate) const MAX_FORM_DEPTH: usize = 2 * MAX_SECTION_DEPTH;

/// What a reference may point at, as the form's `type` select names it.
pub(crate) const REF_TYPES: &[(&str, &str)] = &[
    ("", "nothing yet (a gap)"),
    ("document", "document"),
    ("body", "body"),
    ("event", "event"),
    ("person", "person"),
    ("topic", "topic"),
    ("dossier", "dossier"),
    ("external", "a site outside the archive"),
];

/// One reference of a section, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FormRef {
    pub text: String,
    /// One of [`REF_TYPES`].
    pub kind: String,
    /// The record's slug (records and dossiers).
    pub slug: String,
    /// The title of a dossier or of an outside site.
    pub title: String,
    /// An outside site's address.
    pub url: String,
    pub mention: bool,
}

/// One generated list of a section, as typed (slugs separated by commas or spaces).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FormList {
    pub caption: String,
    /// `documents` or `events`.
    pub of: String,
    pub kinds: String,
    pub bodies: String,
    pub levels: String,
    /// How many items the source page listed (digits; empty: the list is not a page's).
    pub page_listed: String,
    /// An editor has checked that the archive holds every record of the list.
    pub complete: bool,
}

/// One section, without its children (they follow it, one level deeper).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FormSection {
    /// 1 at the top.
    pub depth: usize,
    pub key: String,
    pub label: String,
    pub title: String,
    pub short_title: String,
    pub commentary: String,
    /// What the reference picker was asked to find for this section.
    pub find: String,
    pub refs: Vec<FormRef>,
    pub lists: Vec<FormList>,
    /// The section's dated sentences (issue 25), one a line: `AS_OF FIELD: STATEMENT`
    /// (`2002-05-28 commentary: Russia continues to participate`).
    pub claims: String,
}

/// The whole form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Outline {
    /// The published version the edit started from.
    pub base: i64,
    /// The open draft this form changes (`None`: a change of the published dossier).
    pub draft: Option<i64>,
    pub title: String,
    pub description: String,
    pub source: String,
    /// The revision's comment.
    pub comment: String,
    /// Reading order; a section's subtree is it and the sections after it that are deeper.
    pub sections: Vec<FormSection>,
}

/// Where a problem belongs: the dossier's own field, or section `i`'s (index in reading
/// order) field (`title`, `key`, `section`, `r.2`, `l.0.kinds`…).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Problems {
    pub dossier: BTreeMap<String, Vec<String>>,
    pub sections: BTreeMap<usize, BTreeMap<String, Vec<String>>>,
}

impl Problems {
    pub fn is_empty(&self) -> bool {
        self.dossier.is_empty() && self.sections.is_empty()
    }

    pub fn on_dossier(&mut self, field: &str, message: impl Into<String>) {
        self.dossier
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }

    pub fn on_section(&mut self, i: usize, field: &str, message: impl Into<String>) {
        self.sections
            .entry(i)
            .or_default()
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }
}

/// A form that no page of ours writes (a forged or mangled one): a 400 with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed(pub String);

/// Normalises line ends as browsers send them (`\r\n`) to `\n`.
fn text(v: &str) -> String {
    v.replace("\r\n", "\n").replace('\r', "\n")
}

/// A form number: digits only, bounded.
fn number(s: &str, max: usize) -> Option<usize> {
    if s.is_empty() || s.len() > 7 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|n| *n <= max)
}

/// A section as the form carries it, before the tree is put together.
#[derive(Default)]
struct Loose {
    parent: Option<usize>,
    position: usize,
    section: FormSection,
    refs: BTreeMap<usize, FormRef>,
    lists: BTreeMap<usize, FormList>,
}

impl Outline {
    /// The form of a stored dossier at version `base`.
    pub fn of(dossier: &Dossier, base: i64) -> Outline {
        let mut sections = Vec::new();
        let mut stack: Vec<(&Section, usize)> =
            dossier.sections.iter().rev().map(|s| (s, 1)).collect();
        while let Some((s, depth)) = stack.pop() {
            sections.push(FormSection {
                depth,
                key: s.key.clone(),
                label: s.label.clone(),
                title: s.title.clone(),
                short_title: s.short_title.clone().unwrap_or_default(),
                commentary: s.commentary.clone(),
                find: String::new(),
                refs: s.references.iter().map(form_ref).collect(),
                lists: s.lists.iter().map(form_list).collect(),
                claims: s
                    .claims
                    .iter()
                    .map(claim_line)
                    .collect::<Vec<_>>()
                    .join("\n"),
            });
            stack.extend(s.children.iter().rev().map(|c| (c, depth + 1)));
        }
        Outline {
            base,
            draft: None,
            title: dossier.title.clone(),
            description: dossier.description.clone(),
            source: dossier.source.clone().unwrap_or_default(),
            comment: String::new(),
            sections,
        }
    }

    /// Reads the form's fields (`op`, `csrf` and `cursor` are the caller's).
    pub fn parse(fields: &[(String, String)]) -> Result<Outline, Malformed> {
        let mut out = Outline::default();
        let mut loose: BTreeMap<usize, Loose> = BTreeMap::new();
        for (name, value) in fields {
            match name.as_str() {
                "base" => {
                    out.base = value
                        .parse()
                        .ok()
                        .filter(|v: &i64| *v >= 0)
                        .ok_or_else(|| Malformed("The form's version is not a number.".into()))?
                }
                "draft" if !value.is_empty() => {
                    out.draft =
                        Some(
                            value.parse().ok().filter(|v: &i64| *v > 0).ok_or_else(|| {
                                Malformed("The form's draft is not a number.".into())
                            })?,
                        )
                }
                "draft" => {}
                "title" => out.title = text(value),
                "description" => out.description = text(value),
                "source" => out.source = text(value),
                "comment" => out.comment = text(value),
                _ => {
                    if let Some(rest) = name.strip_prefix("s.") {
                        section_field(&mut loose, rest, value)?;
                    }
                }
            }
        }
        out.sections = assemble(loose)?;
        Ok(out)
    }

    /// The form's fields, as [`Outline::parse`] reads them (sections numbered from 1 in
    /// reading order); for tests and for checking that the page writes what it reads.
    #[cfg(test)]
    pub fn fields(&self) -> Vec<(String, String)> {
        let mut f = vec![
            ("base".to_string(), self.base.to_string()),
            (
                "draft".to_string(),
                self.draft.map(|d| d.to_string()).unwrap_or_default(),
            ),
            ("title".into(), self.title.clone()),
            ("description".into(), self.description.clone()),
            ("source".into(), self.source.clone()),
            ("comment".into(), self.comment.clone()),
        ];
        for (i, s) in self.sections.iter().enumerate() {
            let n = i + 1;
            let (parent, position) = self.place(i);
            let mut put = |k: &str, v: String| f.push((format!("s.{n}.{k}"), v));
            put(
                "parent",
                parent.map(|p| (p + 1).to_string()).unwrap_or_default(),
            );
            put("position", position.to_string());
            put("key", s.key.clone());
            put("label", s.label.clone());
            put("title", s.title.clone());
            put("short_title", s.short_title.clone());
            put("commentary", s.commentary.clone());
            put("find", s.find.clone());
            put("claims", s.claims.clone());
            for (j, r) in s.refs.iter().enumerate() {
                put(&format!("r.{j}.text"), r.text.clone());
                put(&format!("r.{j}.type"), r.kind.clone());
                put(&format!("r.{j}.slug"), r.slug.clone());
                put(&format!("r.{j}.title"), r.title.clone());
                put(&format!("r.{j}.url"), r.url.clone());
                if r.mention {
                    put(&format!("r.{j}.mention"), "on".into());
                }
            }
            for (k, l) in s.lists.iter().enumerate() {
                put(&format!("l.{k}.caption"), l.caption.clone());
                put(&format!("l.{k}.of"), l.of.clone());
                put(&format!("l.{k}.kinds"), l.kinds.clone());
                put(&format!("l.{k}.bodies"), l.bodies.clone());
                put(&format!("l.{k}.levels"), l.levels.clone());
                put(&format!("l.{k}.page_listed"), l.page_listed.clone());
                if l.complete {
                    put(&format!("l.{k}.complete"), "yes".into());
                }
            }
        }
        f
    }

    /// Section `i`'s parent (an index) and its place among its siblings.
    pub fn place(&self, i: usize) -> (Option<usize>, usize) {
        let depth = self.sections[i].depth;
        let mut position = 0;
        for j in (0..i).rev() {
            let d = self.sections[j].depth;
            if d < depth {
                return (Some(j), position);
            }
            if d == depth {
                position += 1;
            }
        }
        (None, position)
    }

    /// The end (exclusive) of section `i`'s subtree.
    pub fn subtree_end(&self, i: usize) -> usize {
        let depth = self.sections[i].depth;
        (i + 1..self.sections.len())
            .find(|&j| self.sections[j].depth <= depth)
            .unwrap_or(self.sections.len())
    }

    /// The sibling before section `i`, if any.
    pub fn previous_sibling(&self, i: usize) -> Option<usize> {
        let depth = self.sections[i].depth;
        for j in (0..i).rev() {
            let d = self.sections[j].depth;
            if d == depth {
                return Some(j);
            }
            if d < depth {
                return None;
            }
        }
        None
    }

    /// The sibling after section `i`, if any.
    pub fn next_sibling(&self, i: usize) -> Option<usize> {
        let end = self.subtree_end(i);
        (end < self.sections.len() && self.sections[end].depth == self.sections[i].depth)
            .then_some(end)
    }

    /// A section key that no section uses yet.
    fn fresh_key(&self) -> String {
        let used: BTreeSet<&str> = self.sections.iter().map(|s| s.key.as_str()).collect();
        (self.sections.len() + 1..)
            .map(|n| format!("s-{n}"))
            .find(|k| !used.contains(k.as_str()))
            .unwrap_or_default()
    }

    /// Applies one operation; returns the index of the section it concerns now (to show
    /// the page there) or why it could not be done.
    pub fn apply(&mut self, op: &Op) -> Result<Option<usize>, String> {
        let len = self.sections.len();
        let check = |i: usize| {
            if i < len {
                Ok(i)
            } else {
                Err("That section is no longer in the outline.".to_string())
            }
        };
        match *op {
            Op::AddTop => {
                if len >= MAX_SECTIONS {
                    return Err(format!(
                        "An outline may have at most {MAX_SECTIONS} sections."
                    ));
                }
                let key = self.fresh_key();
                self.sections.push(new_section(1, key));
                Ok(Some(len))
            }
            Op::AddChild(i) | Op::AddAfter(i) => {
                let i = check(i)?;
                if len >= MAX_SECTIONS {
                    return Err(format!(
                        "An outline may have at most {MAX_SECTIONS} sections."
                    ));
                }
                let depth = match op {
                    Op::AddChild(_) => self.sections[i].depth + 1,
                    _ => self.sections[i].depth,
                };
                if depth > MAX_FORM_DEPTH {
                    return Err(too_deep_for_form());
                }
                let at = self.subtree_end(i);
                let key = self.fresh_key();
                self.sections.insert(at, new_section(depth, key));
                Ok(Some(at))
            }
            Op::Up(i) => {
                let i = check(i)?;
                let prev = self
                    .previous_sibling(i)
                    .ok_or("This section is already the first of its level.")?;
                let end = self.subtree_end(i);
                self.sections[prev..end].rotate_left(i - prev);
                Ok(Some(prev))
            }
            Op::Down(i) => {
                let i = check(i)?;
                let next = self
                    .next_sibling(i)
                    .ok_or("This section is already the last of its level.")?;
                let next_end = self.subtree_end(next);
                self.sections[i..next_end].rotate_left(next - i);
                Ok(Some(i + (next_end - next)))
            }
            Op::Indent(i) => {
                let i = check(i)?;
                self.previous_sibling(i)
                    .ok_or("Only a section with one before it on its level can move into it.")?;
                let end = self.subtree_end(i);
                if self.sections[i..end]
                    .iter()
                    .any(|s| s.depth + 1 > MAX_FORM_DEPTH)
                {
                    return Err(too_deep_for_form());
                }
                for s in &mut self.sections[i..end] {
                    s.depth += 1;
                }
                Ok(Some(i))
            }
            Op::Outdent(i) => {
                let i = check(i)?;
                let (Some(parent), _) = self.place(i) else {
                    return Err("This section is already at the top level.".into());
                };
                let end = self.subtree_end(i);
                let parent_end = self.subtree_end(parent);
                // Out of the parent, to just after it: the sections after this one stay
                // the parent's.
                let moved: Vec<FormSection> = self.sections.drain(i..end).collect();
                let at = parent_end - moved.len();
                let n = moved.len();
                self.sections.splice(
                    at..at,
                    moved.into_iter().map(|mut s| {
                        s.depth -= 1;
                        s
                    }),
                );
                debug_assert!(at + n <= self.sections.len());
                Ok(Some(at))
            }
            Op::Delete(i) => {
                let i = check(i)?;
                let end = self.subtree_end(i);
                self.sections.drain(i..end);
                Ok(None)
            }
            Op::Renumber => {
                let mut counters: Vec<usize> = Vec::new();
                for s in &mut self.sections {
                    counters.truncate(s.depth);
                    while counters.len() < s.depth {
                        counters.push(0);
                    }
                    counters[s.depth - 1] += 1;
                    s.label = counters
                        .iter()
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(".");
                }
                Ok(None)
            }
            Op::AddRef(i) => {
                let i = check(i)?;
                if self.sections[i].refs.len() >= MAX_ROWS {
                    return Err(format!("A section may have at most {MAX_ROWS} references."));
                }
                self.sections[i].refs.push(FormRef {
                    mention: true,
                    ..FormRef::default()
                });
                Ok(Some(i))
            }
            Op::RemoveRef(i, j) => {
                let i = check(i)?;
                let s = &mut self.sections[i];
                if j >= s.refs.len() {
                    return Err("That reference is no longer in the section.".into());
                }
                let n = j + 1;
                if ref_numbers(&s.commentary).contains(&n) {
                    return Err(format!(
                        "The commentary links to reference {n} (`(ref:{n})`): remove the link \
                         from the commentary first."
                    ));
                }
                s.refs.remove(j);
                s.commentary = renumber_refs(&s.commentary, n);
                Ok(Some(i))
            }
            Op::AddList(i) => {
                let i = check(i)?;
                if self.sections[i].lists.len() >= MAX_ROWS {
                    return Err(format!("A section may have at most {MAX_ROWS} lists."));
                }
                self.sections[i].lists.push(FormList {
                    of: "documents".into(),
                    ..FormList::default()
                });
                Ok(Some(i))
            }
            Op::RemoveList(i, k) => {
                let i = check(i)?;
                if k >= self.sections[i].lists.len() {
                    return Err("That list is no longer in the section.".into());
                }
                self.sections[i].lists.remove(k);
                Ok(Some(i))
            }
        }
    }

    /// Adds a reference to a record to section `i` (the picker) and, when `cursor` is a
    /// place in its commentary, the link to it there. Returns the commentary's syntax.
    pub fn pick(
        &mut self,
        i: usize,
        kind: &str,
        slug: &str,
        title: &str,
        cursor: Option<usize>,
    ) -> Result<String, String> {
        let s = self
            .sections
            .get_mut(i)
            .ok_or("That section is no longer in the outline.")?;
        if s.refs.len() >= MAX_ROWS {
            return Err(format!("A section may have at most {MAX_ROWS} references."));
        }
        s.refs.push(FormRef {
            text: title.to_string(),
            kind: kind.to_string(),
            slug: slug.to_string(),
            title: if kind == "dossier" {
                title.to_string()
            } else {
                String::new()
            },
            url: String::new(),
            mention: true,
        });
        let syntax = ref_syntax(title, s.refs.len());
        if let Some(at) = cursor.and_then(|c| byte_offset(&s.commentary, c)) {
            s.commentary.insert_str(at, &syntax);
        }
        s.find.clear();
        Ok(syntax)
    }

    /// Drops the reference rows left wholly empty (an "Add a reference" not filled in)
    /// that the commentary does not link to, so that the rows the model sees are the
    /// form's, numbered alike.
    pub fn prune(&mut self) {
        for s in &mut self.sections {
            for j in (0..s.refs.len()).rev() {
                let r = &s.refs[j];
                let empty = r.kind.is_empty()
                    && r.text.trim().is_empty()
                    && r.slug.trim().is_empty()
                    && r.title.trim().is_empty()
                    && r.url.trim().is_empty();
                if empty && !ref_numbers(&s.commentary).contains(&(j + 1)) {
                    s.refs.remove(j);
                    s.commentary = renumber_refs(&s.commentary, j + 1);
                }
            }
        }
    }

    /// The model's dossier, or the problems that keep the form from being one (values
    /// the model's types cannot hold: an unknown reference type, a level that is none).
    pub fn to_dossier(&self, slug: &str) -> Result<Dossier, Problems> {
        let mut problems = Problems::default();
        let mut flat: Vec<(usize, Section)> = Vec::with_capacity(self.sections.len());
        for (i, s) in self.sections.iter().enumerate() {
            if s.key.trim().is_empty() {
                problems.on_section(
                    i,
                    "key",
                    "A section needs an anchor: the dossier's page links to it, and records' \
                     sources name the section by it.",
                );
            }
            let mut references = Vec::new();
            for (j, r) in s.refs.iter().enumerate() {
                match reference(r) {
                    Ok(r) => references.push(r),
                    Err(why) => problems.on_section(i, &format!("r.{j}"), why),
                }
            }
            let mut lists = Vec::new();
            for (k, l) in s.lists.iter().enumerate() {
                match list(l) {
                    Ok(l) => lists.push(l),
                    Err((field, why)) => problems.on_section(i, &format!("l.{k}.{field}"), why),
                }
            }
            let mut claims = Vec::new();
            for line in s.claims.lines().filter(|l| !l.trim().is_empty()) {
                match claim(line) {
                    Ok(c) => claims.push(c),
                    Err(why) => problems.on_section(i, "claims", why),
                }
            }
            flat.push((
                s.depth,
                Section {
                    claims,
                    key: s.key.trim().to_string(),
                    label: s.label.trim().to_string(),
                    title: s.title.trim().to_string(),
                    short_title: Some(s.short_title.trim().to_string()).filter(|t| !t.is_empty()),
                    commentary: s.commentary.clone(),
                    references,
                    lists,
                    children: Vec::new(),
                },
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Dossier {
            queries: Vec::new(),
            stale_after_years: None,
            slug: slug.to_string(),
            title: self.title.trim().to_string(),
            description: self.description.trim().to_string(),
            source: Some(self.source.trim().to_string()).filter(|t| !t.is_empty()),
            sections: nest(flat),
        })
    }

    /// The index of the section whose key is `key`.
    pub fn index_of_key(&self, key: &str) -> Vec<usize> {
        self.sections
            .iter()
            .enumerate()
            .filter(|(_, s)| s.key.trim() == key)
            .map(|(i, _)| i)
            .collect()
    }
}

impl Outline {
    /// Puts a problem the model found (named by its field: the model's own
    /// `sections.KEY.references`, or a JSON path `sections[0].children[2].title`) beside
    /// the field of the form it is about; what names no field goes to the dossier's
    /// general problems (`""`).
    pub fn attach(&self, problems: &mut Problems, field: &str, message: &str) {
        if let Some((i, rest)) = self.section_of_path(field) {
            let at = self.field_of(i, rest, message);
            problems.on_section(i, &at, message);
            return;
        }
        if field == "sections" {
            // "two sections have the key `k`": beside each of them.
            if let Some(key) = quoted(message) {
                let found = self.index_of_key(key);
                if !found.is_empty() {
                    for i in found {
                        problems.on_section(i, "key", message);
                    }
                    return;
                }
            }
        }
        if let Some(rest) = field.strip_prefix("sections.") {
            // The model names a section by its key: the longest key that fits; where two
            // sections share it (itself a problem), the one with the row the message names.
            let mut candidates: Vec<(usize, &str)> = Vec::new();
            let mut longest = 0;
            for (i, s) in self.sections.iter().enumerate() {
                let key = s.key.trim();
                if key.is_empty() || key.len() < longest {
                    continue;
                }
                let tail = match rest.strip_prefix(key) {
                    Some("") => "",
                    Some(t) if t.starts_with('.') => &t[1..],
                    _ => continue,
                };
                if key.len() > longest {
                    longest = key.len();
                    candidates.clear();
                }
                candidates.push((i, tail));
            }
            let placed: Vec<(usize, String)> = candidates
                .iter()
                .map(|&(i, tail)| (i, self.field_of(i, tail, message)))
                .collect();
            let best = placed
                .iter()
                .find(|(_, f)| f.starts_with("r.") || f.starts_with("l."))
                .or(placed.first());
            if let Some((i, at)) = best {
                problems.on_section(*i, at, message);
                return;
            }
        }
        match field {
            "title" | "description" | "source" => problems.on_dossier(field, message),
            _ => problems.on_dossier("", message),
        }
    }

    /// A JSON path into the sections (`sections[0].children[2].lists[1].of`): the
    /// section's index and the rest of the path (`lists[1].of`).
    fn section_of_path<'f>(&self, field: &'f str) -> Option<(usize, &'f str)> {
        let mut rest = field.strip_prefix("sections[")?;
        let mut level: Option<usize> = None; // the index of the section reached
        loop {
            let close = rest.find(']')?;
            let n: usize = rest[..close].parse().ok()?;
            // The n-th child of `level` (or the n-th top section).
            let (start, depth) = match level {
                None => (0, 1),
                Some(p) => (p + 1, self.sections[p].depth + 1),
            };
            let end = match level {
                None => self.sections.len(),
                Some(p) => self.subtree_end(p),
            };
            let mut seen = 0;
            let mut found = None;
            for j in start..end {
                if self.sections[j].depth == depth {
                    if seen == n {
                        found = Some(j);
                        break;
                    }
                    seen += 1;
                }
            }
            level = Some(found?);
            rest = &rest[close + 1..];
            match rest.strip_prefix(".children[") {
                Some(r) => rest = r,
                None => return Some((level?, rest.strip_prefix('.').unwrap_or(rest))),
            }
        }
    }

    /// The form's field of section `i` that the model's `tail` names (`references`,
    /// `lists.bodies`, `references[2].target`, `title`…), the row found by the slug the
    /// message quotes where the model names no row.
    fn field_of(&self, i: usize, tail: &str, message: &str) -> String {
        let s = &self.sections[i];
        let row = |prefix: &str| -> Option<usize> {
            let r = tail.strip_prefix(prefix)?.strip_prefix('[')?;
            r[..r.find(']')?].parse().ok()
        };
        if let Some(j) = row("references") {
            return format!("r.{j}");
        }
        if let Some(k) = row("lists") {
            let sub = tail.rsplit('.').next().unwrap_or_default();
            return match sub {
                "of" | "kinds" | "bodies" | "levels" | "caption" | "page_listed" => {
                    format!("l.{k}.{sub}")
                }
                _ => format!("l.{k}.of"),
            };
        }
        let slug = quoted(message);
        match tail {
            "" => "section".into(),
            "references" => slug
                .and_then(|slug| s.refs.iter().position(|r| r.slug.trim() == slug))
                .map_or("references".into(), |j| format!("r.{j}")),
            t if t.starts_with("lists") => {
                let sub = if t.ends_with("kinds") {
                    "kinds"
                } else if t.ends_with("levels") {
                    "levels"
                } else {
                    "bodies"
                };
                slug.and_then(|slug| {
                    s.lists.iter().position(|l| {
                        let v = match sub {
                            "kinds" => &l.kinds,
                            "levels" => &l.levels,
                            _ => &l.bodies,
                        };
                        words(v).iter().any(|w| w == slug)
                    })
                })
                .map_or("lists".into(), |k| format!("l.{k}.{sub}"))
            }
            "key" | "label" | "title" | "short_title" | "commentary" => tail.into(),
            t if t.starts_with("claims") => "claims".into(),
            _ => "section".into(),
        }
    }
}

/// The first word of `message` between backticks.
fn quoted(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

fn too_deep_for_form() -> String {
    format!(
        "Sections cannot nest deeper here: a dossier's sections may nest at most \
         {MAX_SECTION_DEPTH} levels."
    )
}

fn new_section(depth: usize, key: String) -> FormSection {
    FormSection {
        depth,
        key,
        ..FormSection::default()
    }
}

/// A flat list of (depth, section) in reading order, depths well formed, as a tree.
/// Iterative: the open sections wait on a stack until a shallower one closes them.
fn nest(flat: Vec<(usize, Section)>) -> Vec<Section> {
    let mut top: Vec<Section> = Vec::new();
    let mut open: Vec<(usize, Section)> = Vec::new();
    let close = |open: &mut Vec<(usize, Section)>, top: &mut Vec<Section>| {
        if let Some((_, s)) = open.pop() {
            match open.last_mut() {
                Some((_, parent)) => parent.children.push(s),
                None => top.push(s),
            }
        }
    };
    for (depth, s) in flat {
        while open.last().is_some_and(|(d, _)| *d >= depth) {
            close(&mut open, &mut top);
        }
        open.push((depth, s));
    }
    while !open.is_empty() {
        close(&mut open, &mut top);
    }
    top
}

/// `s.N.rest = value` into the loose section `N`.
fn section_field(
    loose: &mut BTreeMap<usize, Loose>,
    rest: &str,
    value: &str,
) -> Result<(), Malformed> {
    let bad = || Malformed(format!("The form has a field it cannot read: `s.{rest}`."));
    let (n, field) = rest.split_once('.').ok_or_else(bad)?;
    let n = number(n, 1_000_000).filter(|n| *n > 0).ok_or_else(bad)?;
    if !loose.contains_key(&n) && loose.len() >= MAX_SECTIONS {
        return Err(Malformed(format!(
            "The form has more than {MAX_SECTIONS} sections, more than an outline may have."
        )));
    }
    let s = loose.entry(n).or_default();
    let row = |field: &str| -> Result<(usize, String), Malformed> {
        let (j, f) = field.split_once('.').ok_or_else(bad)?;
        let j = number(j, 1_000_000).ok_or_else(bad)?;
        Ok((j, f.to_string()))
    };
    match field {
        "parent" => {
            s.parent = if value.is_empty() {
                None
            } else {
                Some(number(value, 1_000_000).ok_or_else(bad)?)
            }
        }
        "position" => s.position = number(value, 1_000_000).ok_or_else(bad)?,
        "key" => s.section.key = text(value),
        "label" => s.section.label = text(value),
        "title" => s.section.title = text(value),
        "short_title" => s.section.short_title = text(value),
        "commentary" => s.section.commentary = text(value),
        "find" => s.section.find = text(value),
        "claims" => s.section.claims = text(value),
        _ => {
            if let Some(f) = field.strip_prefix("r.") {
                let (j, f) = row(f)?;
                if !s.refs.contains_key(&j) && s.refs.len() >= MAX_ROWS {
                    return Err(Malformed(format!(
                        "A section may have at most {MAX_ROWS} references."
                    )));
                }
                let r = s.refs.entry(j).or_default();
                match f.as_str() {
                    "text" => r.text = text(value),
                    "type" => r.kind = value.to_string(),
                    "slug" => r.slug = value.trim().to_string(),
                    "title" => r.title = text(value),
                    "url" => r.url = value.trim().to_string(),
                    "mention" => r.mention = !value.is_empty(),
                    _ => return Err(bad()),
                }
            } else if let Some(f) = field.strip_prefix("l.") {
                let (k, f) = row(f)?;
                if !s.lists.contains_key(&k) && s.lists.len() >= MAX_ROWS {
                    return Err(Malformed(format!(
                        "A section may have at most {MAX_ROWS} lists."
                    )));
                }
                let l = s.lists.entry(k).or_default();
                match f.as_str() {
                    "caption" => l.caption = text(value),
                    "of" => l.of = value.to_string(),
                    "kinds" => l.kinds = value.to_string(),
                    "bodies" => l.bodies = value.to_string(),
                    "levels" => l.levels = value.to_string(),
                    "page_listed" => l.page_listed = value.trim().to_string(),
                    "complete" => l.complete = !value.is_empty(),
                    _ => return Err(bad()),
                }
            } else {
                return Err(bad());
            }
        }
    }
    Ok(())
}

/// The loose sections as a list in reading order with depths: every parent must be a
/// section of the form, and every section reachable from the top (no cycles).
fn assemble(mut loose: BTreeMap<usize, Loose>) -> Result<Vec<FormSection>, Malformed> {
    let mut children: BTreeMap<Option<usize>, Vec<(usize, usize)>> = BTreeMap::new();
    for (&n, s) in &loose {
        if let Some(p) = s.parent {
            if !loose.contains_key(&p) {
                return Err(Malformed(format!(
                    "Section {n} of the form names a parent ({p}) that is not in the form."
                )));
            }
        }
        children.entry(s.parent).or_default().push((s.position, n));
    }
    for c in children.values_mut() {
        c.sort_unstable();
    }
    let mut out = Vec::with_capacity(loose.len());
    let mut stack: Vec<(usize, usize)> = children
        .get(&None)
        .map(|c| c.iter().rev().map(|&(_, n)| (n, 1)).collect())
        .unwrap_or_default();
    while let Some((n, depth)) = stack.pop() {
        if depth > MAX_FORM_DEPTH {
            return Err(Malformed(format!(
                "The form nests sections {depth} deep; a dossier's sections may nest at most \
                 {MAX_SECTION_DEPTH} levels."
            )));
        }
        let Some(mut l) = loose.remove(&n) else {
            return Err(Malformed("The form's sections are not a tree.".into()));
        };
        l.section.depth = depth;
        l.section.refs = std::mem::take(&mut l.refs).into_values().collect();
        l.section.lists = std::mem::take(&mut l.lists).into_values().collect();
        out.push(l.section);
        if let Some(c) = children.get(&Some(n)) {
            stack.extend(c.iter().rev().map(|&(_, c)| (c, depth + 1)));
        }
    }
    if !loose.is_empty() {
        return Err(Malformed(
            "The form's sections are not a tree: some are their own ancestors.".into(),
        ));
    }
    Ok(out)
}

/// One operation of the form's buttons (`op` = `up:3`, `add-child:5`, `renumber`…);
/// section numbers are the form's (from 1), indices here from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    AddTop,
    AddChild(usize),
    AddAfter(usize),
    Up(usize),
    Down(usize),
    Indent(usize),
    Outdent(usize),
    Delete(usize),
    Renumber,
    AddRef(usize),
    RemoveRef(usize, usize),
    AddList(usize),
    RemoveList(usize, usize),
}

/// What a button of the form asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// Show the form again with what was typed (Enter in a field, "Find").
    Refresh,
    Edit(Op),
    /// Add the record `kind`/`slug` as a reference of section `i`.
    Pick {
        section: usize,
        kind: String,
        slug: String,
    },
    Save(Intent),
}

/// The three saves (the editing service's intents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intent {
    Draft,
    Review,
    Publish,
}

impl Action {
    pub fn parse(op: &str) -> Result<Action, Malformed> {
        let bad = || {
            Malformed(format!(
                "The form asked for something this page does not do: `{op}`."
            ))
        };
        let section = |n: &str| {
            number(n, 1_000_000)
                .filter(|n| *n > 0)
                .map(|n| n - 1)
                .ok_or_else(bad)
        };
        let mut parts = op.splitn(4, ':');
        let name = parts.next().unwrap_or_default();
        let a = parts.next();
        let b = parts.next();
        let c = parts.next();
        Ok(match (name, a, b, c) {
            ("" | "refresh" | "find", _, None, None) => Action::Refresh,
            ("draft" | "save", None, None, None) => Action::Save(Intent::Draft),
            ("review", None, None, None) => Action::Save(Intent::Review),
            ("publish", None, None, None) => Action::Save(Intent::Publish),
            ("renumber", None, None, None) => Action::Edit(Op::Renumber),
            ("add-top", None, None, None) => Action::Edit(Op::AddTop),
            ("add-child", Some(n), None, None) => Action::Edit(Op::AddChild(section(n)?)),
            ("add-after", Some(n), None, None) => Action::Edit(Op::AddAfter(section(n)?)),
            ("up", Some(n), None, None) => Action::Edit(Op::Up(section(n)?)),
            ("down", Some(n), None, None) => Action::Edit(Op::Down(section(n)?)),
            ("indent", Some(n), None, None) => Action::Edit(Op::Indent(section(n)?)),
            ("outdent", Some(n), None, None) => Action::Edit(Op::Outdent(section(n)?)),
            ("delete", Some(n), None, None) => Action::Edit(Op::Delete(section(n)?)),
            ("add-ref", Some(n), None, None) => Action::Edit(Op::AddRef(section(n)?)),
            ("add-list", Some(n), None, None) => Action::Edit(Op::AddList(section(n)?)),
            ("remove-ref", Some(n), Some(j), None) => Action::Edit(Op::RemoveRef(
                section(n)?,
                number(j, MAX_ROWS).ok_or_else(bad)?,
            )),
            ("remove-list", Some(n), Some(k), None) => Action::Edit(Op::RemoveList(
                section(n)?,
                number(k, MAX_ROWS).ok_or_else(bad)?,
            )),
            ("pick", Some(n), Some(kind), Some(slug))
                if REF_TYPES
                    .iter()
                    .any(|(k, _)| *k == kind && !k.is_empty() && *k != "external")
                    && dossier_model::is_valid_slug(slug) =>
            {
                Action::Pick {
                    section: section(n)?,
                    kind: kind.to_string(),
                    slug: slug.to_string(),
                }
            }
            _ => return Err(bad()),
        })
    }
}

/// The form's `cursor` field (outline.js keeps it): `N:P`, the caret at character `P`
/// (UTF-16 units, as the browser counts) of section `N`'s commentary.
pub(crate) fn cursor(value: &str) -> Option<(usize, usize)> {
    let (n, p) = value.split_once(':')?;
    let n = number(n, 1_000_000).filter(|n| *n > 0)?;
    Some((n - 1, number(p, 10_000_000)?))
}

/// The byte offset of UTF-16 position `units` in `s` (its end when past it).
fn byte_offset(s: &str, units: usize) -> Option<usize> {
    let mut seen = 0;
    for (at, c) in s.char_indices() {
        if seen >= units {
            return Some(at);
        }
        seen += c.len_utf16();
    }
    Some(s.len())
}

/// How the commentary links to reference `n`: `[text](ref:n)`, the text escaped so that
/// Markdown reads it as text.
pub(crate) fn ref_syntax(text: &str, n: usize) -> String {
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!'
        ) {
            escaped.push('\\');
        }
        // A line break would end the link's text.
        escaped.push(if c == '\n' || c == '\r' { ' ' } else { c });
    }
    format!("[{escaped}](ref:{n})")
}

/// Every `n` of a `(ref:n)` link destination in `md`.
fn ref_numbers(md: &str) -> BTreeSet<usize> {
    ref_links(md).into_iter().map(|(_, _, n)| n).collect()
}

/// Each `(ref:N)` in `md`: the byte range of `N` and its value.
fn ref_links(md: &str) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = md[from..].find("(ref:") {
        let start = from + at + 5;
        let digits = md[start..].bytes().take_while(u8::is_ascii_digit).count();
        let end = start + digits;
        if digits > 0 && md[end..].starts_with(')') {
            if let Ok(n) = md[start..end].parse() {
                out.push((start, end, n));
            }
        }
        from = start;
    }
    out
}

/// The commentary after reference `removed` is gone: links to later ones count one less.
fn renumber_refs(md: &str, removed: usize) -> String {
    let mut out = String::with_capacity(md.len());
    let mut last = 0;
    for (start, end, n) in ref_links(md) {
        if n > removed {
            out.push_str(&md[last..start]);
            out.push_str(&(n - 1).to_string());
            last = end;
        }
    }
    out.push_str(&md[last..]);
    out
}

fn form_ref(r: &Reference) -> FormRef {
    let mut f = FormRef {
        text: r.text.clone(),
        mention: r.mention,
        ..FormRef::default()
    };
    let (kind, slug) = match &r.target {
        None => ("", None),
        Some(Target::Document { slug }) => ("document", Some(slug)),
        Some(Target::Body { slug }) => ("body", Some(slug)),
        Some(Target::Event { slug }) => ("event", Some(slug)),
        Some(Target::Person { slug }) => ("person", Some(slug)),
        Some(Target::Topic { slug }) => ("topic", Some(slug)),
        Some(Target::Dossier { slug, title }) => {
            f.title = title.clone();
            ("dossier", Some(slug))
        }
        Some(Target::External { title, url }) => {
            f.title = title.clone();
            f.url = url.clone().unwrap_or_default();
            ("external", None)
        }
    };
    f.kind = kind.to_string();
    f.slug = slug.cloned().unwrap_or_default();
    f
}

/// A claim as a line of the form: `AS_OF FIELD: STATEMENT`, or `AS_OF FIELD`.
fn claim_line(c: &Claim) -> String {
    match &c.statement {
        Some(st) => format!("{} {}: {}", c.as_of, c.field, st.replace('\n', " ")),
        None => format!("{} {}", c.as_of, c.field),
    }
}

/// A line of the form's claims as the model's claim, or why not.
fn claim(line: &str) -> Result<Claim, String> {
    let line = line.trim();
    let (as_of, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let as_of = Edtf::parse(as_of).map_err(|e| {
        format!(
            "`{}`: a line starts with the date the sentence was known to hold ({}), as in \
             `2002-05-28 commentary: Russia continues to participate`.",
            short(line),
            e.reason
        )
    })?;
    let (field, statement) = match rest.split_once(':') {
        Some((f, st)) => (f.trim(), Some(st.trim().to_string())),
        None => (rest.trim(), None),
    };
    if field.is_empty() {
        return Err(format!(
            "`{}`: the date is followed by the field it dates (`commentary`).",
            short(line)
        ));
    }
    Ok(Claim {
        field: field.to_string(),
        statement,
        as_of,
    })
}

/// Words cut to a length a message can show.
fn short(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

fn form_list(l: &GeneratedList) -> FormList {
    FormList {
        caption: l.caption.clone().unwrap_or_default(),
        of: match l.of {
            ListOf::Documents => "documents",
            ListOf::Events => "events",
        }
        .into(),
        kinds: l.kinds.join(", "),
        bodies: l.bodies.join(", "),
        levels: l
            .levels
            .iter()
            .map(|v| v.slug())
            .collect::<Vec<_>>()
            .join(", "),
        page_listed: l.page_listed.map(|n| n.to_string()).unwrap_or_default(),
        complete: l.complete,
    }
}

/// Slugs typed with commas or spaces between them.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A reference row as the model's.
fn reference(r: &FormRef) -> Result<Reference, String> {
    let text = r.text.trim().to_string();
    let slug = r.slug.trim().to_string();
    let record = |t: fn(String) -> Target| -> Result<Option<Target>, String> {
        if slug.is_empty() {
            Err("Type the slug of the record it points at (the picker below finds it).".into())
        } else {
            Ok(Some(t(slug.clone())))
        }
    };
    let target = match r.kind.as_str() {
        "" => None,
        "document" => record(|slug| Target::Document { slug })?,
        "body" => record(|slug| Target::Body { slug })?,
        "event" => record(|slug| Target::Event { slug })?,
        "person" => record(|slug| Target::Person { slug })?,
        "topic" => record(|slug| Target::Topic { slug })?,
        "dossier" => {
            if slug.is_empty() {
                return Err("Type the slug of the dossier it points at.".into());
            }
            Some(Target::Dossier {
                slug,
                title: r.title.trim().to_string(),
            })
        }
        "external" => {
            if r.title.trim().is_empty() {
                return Err("Type the name of the site it points at.".into());
            }
            Some(Target::External {
                title: r.title.trim().to_string(),
                url: Some(r.url.trim().to_string()).filter(|u| !u.is_empty()),
            })
        }
        other => {
            return Err(format!(
                "`{other}` is not something a reference can point at."
            ))
        }
    };
    if text.is_empty() {
        return Err("Type the words of the section that make the reference.".into());
    }
    Ok(Reference {
        text,
        target,
        mention: r.mention,
    })
}

/// A list row as the model's, or the field that is wrong and why.
fn list(l: &FormList) -> Result<GeneratedList, (&'static str, String)> {
    let of = match l.of.as_str() {
        "documents" => ListOf::Documents,
        "events" => ListOf::Events,
        other => return Err(("of", format!("`{other}` is not documents or events."))),
    };
    let mut levels = Vec::new();
    for w in words(&l.levels) {
        match Level::from_slug(&w) {
            Some(level) => levels.push(level),
            None => {
                let known: Vec<&str> = Level::ALL.iter().map(|l| l.slug()).collect();
                return Err((
                    "levels",
                    format!("`{w}` is not a level (one of: {}).", known.join(", ")),
                ));
            }
        }
    }
    let page_listed = match l.page_listed.trim() {
        "" => None,
        n => Some(n.parse::<u32>().map_err(|_| {
            (
                "page_listed",
                format!("`{}` is not a number of items.", short(n)),
            )
        })?),
    };
    Ok(GeneratedList {
        complete: l.complete,
        page_listed,
        caption: Some(l.caption.trim().to_string()).filter(|c| !c.is_empty()),
        of,
        kinds: words(&l.kinds),
        bodies: words(&l.bodies),
        levels,
    })
}

/// The kinds a list of `of` may name, as (slug, label).
pub(crate) fn kinds_of(of: ListOf) -> Vec<(&'static str, &'static str)> {
    match of {
        ListOf::Documents => DocumentKind::ALL
            .iter()
            .map(|k| (k.slug(), k.label()))
            .collect(),
        ListOf::Events => EventKind::ALL
            .iter()
            .map(|k| (k.slug(), k.label()))
            .collect(),
    }
}

#[cfg(test)]
mod tests;
