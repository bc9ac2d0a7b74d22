//! Declarative mappings: how the records of an outside file (XML elements or CSV rows)
//! become records of the archive, written as TOML so that an editor can add a collection
//! without code. The shipped example is `mappings/visits.toml`:
//!
//! ```toml
//! [source]
//! title = "Visits by Foreign Leaders (Office of the Historian)"
//!
//! [record]
//! element = "visit"          # XML: the element that holds one record (CSV: unused)
//! type = "event"             # event, document, person or body
//! id = "id"                  # the value that identifies the record in the source
//! slug = "visit-{id}"        # the stable slug made from it (default "{id}")
//!
//! [fields]
//! title = { template = "Visit of {visitor} ({from})" }
//! kind = { value = "visit" }
//! date = { start = "start-date", end = "end-date" }
//! summary = { path = "description" }
//!
//! [[links]]                  # a visit's country: a body, created if missing
//! field = "bodies"
//! type = "body"
//! slug = { path = "from/@id" }
//! name = { path = "from" }
//! kind = "state"
//! ```
//!
//! A *path* names a child element (`visitor`), a nested one (`a/b`), an attribute of the
//! record element (`@id`) or of a child (`from/@id`); in CSV, a column of the header row.
//! A value is one of `path`, `template` (paths in braces), `value` (a constant), or, for a
//! date, `start` and `end` (an EDTF interval, one day when they are equal). Dates are
//! read as EDTF (`format = "edtf"`, which includes ISO 8601 dates) or from an ISO 8601
//! date-time (`format = "iso-datetime"`, the date part).

use crate::import::*;
use crate::xml::Pos;
use dossier_model::*;
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// Why a mapping file cannot be used. Names the file and the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct MappingError {
    /// The mapping file, followed by the line and column of the value at fault where the
    /// problem is one value's (`mappings/visits.toml:15:11`).
    pub file: String,
    pub message: String,
}

/// The mapping file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    source: SourceSpec,
    record: RecordSpec,
    #[serde(default)]
    fields: BTreeMap<String, ValueSpec>,
    #[serde(default)]
    links: Vec<LinkSpec>,
}

/// Where the records come from: named in every record's sources.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceSpec {
    title: Spanned<String>,
    /// Written into every record's sources, and so into a link on each record's page.
    #[serde(default)]
    url: Option<toml::Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordSpec {
    #[serde(default)]
    element: Option<Spanned<String>>,
    #[serde(rename = "type")]
    kind: String,
    id: Spanned<String>,
    #[serde(default)]
    slug: Option<Spanned<String>>,
}

/// How one value is found.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueSpec {
    path: Option<Spanned<String>>,
    template: Option<Spanned<String>>,
    value: Option<Spanned<String>>,
    start: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
    #[serde(default)]
    format: DateFormat,
    /// For list fields: split the value at this separator.
    split: Option<Spanned<String>>,
    #[serde(default)]
    required: bool,
}

/// How a date is written in the source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateFormat {
    /// EDTF (ISO 8601-2), which includes plain ISO 8601 dates.
    #[default]
    Edtf,
    /// An ISO 8601 date-time; its date part is kept.
    IsoDatetime,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkSpec {
    field: String,
    #[serde(rename = "type")]
    kind: String,
    slug: Option<ValueSpec>,
    name: Option<ValueSpec>,
    /// The kind a created body (or topic) gets.
    #[serde(rename = "kind")]
    record_kind: Option<String>,
    /// Create the linked record when the archive lacks it (default); when false, a link
    /// to a missing record is an error.
    #[serde(default = "yes")]
    create: bool,
}

fn yes() -> bool {
    true
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Path(String),
}

#[derive(Debug, Clone)]
enum Value {
    Path(String),
    Template(Vec<Part>),
    Const(String),
    Range {
        start: String,
        end: Option<String>,
        format: DateFormat,
    },
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    value: Value,
    format: DateFormat,
    split: Option<String>,
    required: bool,
    shape: Shape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Text,
    Date,
    List,
    Bool,
}

#[derive(Debug, Clone)]
struct Link {
    field: String,
    target: &'static str,
    slug: Option<Value>,
    name: Option<Value>,
    kind: Option<String>,
    create: bool,
    single: bool,
}

/// The record types a mapping can make, with their fields (name, shape, required).
fn fields_of(kind: &str) -> Option<&'static [(&'static str, Shape, bool)]> {
    use Shape::*;
    Some(match kind {
        "event" => &[
            ("title", Text, true),
            ("kind", Text, true),
            ("date", Date, false),
            ("place", Text, false),
            ("summary", Text, false),
            ("level", Text, false),
            ("public_statement", Bool, false),
        ],
        "document" => &[
            ("title", Text, true),
            ("kind", Text, true),
            ("date", Date, false),
            ("place", Text, false),
            ("summary", Text, false),
            ("full_text", Text, false),
            ("legal_status", Text, false),
            ("availability", Text, false),
            ("languages", List, false),
            ("aliases", List, false),
        ],
        "person" => &[("name", Text, true), ("summary", Text, false)],
        "body" => &[
            ("name", Text, true),
            ("kind", Text, true),
            ("summary", Text, false),
            ("established", Date, false),
            ("ended", Date, false),
            ("acronyms", List, false),
            ("aliases", List, false),
            ("format", Text, false),
            ("decision_rule", Text, false),
        ],
        _ => return None,
    })
}

/// Link fields per record type: (field, target type, single value).
fn links_of(kind: &str) -> &'static [(&'static str, &'static str, bool)] {
    match kind {
        "event" => &[
            ("bodies", "body", false),
            ("people", "person", false),
            ("outcome_documents", "document", false),
        ],
        "document" => &[
            ("issued_by", "body", false),
            ("authors", "person", false),
            ("parties", "body", false),
            ("topics", "topic", false),
        ],
        "body" => &[("part_of", "body", true)],
        _ => &[],
    }
}

/// A checked mapping, ready to turn source records into archive records.
#[derive(Debug, Clone)]
pub struct Mapping {
    file: String,
    source_title: String,
    source_url: Option<String>,
    /// The XML element that holds one record.
    pub element: Option<String>,
    kind: &'static str,
    id: String,
    slug: Vec<Part>,
    fields: Vec<Field>,
    links: Vec<Link>,
    /// Every path a value is read from.
    reads: std::collections::HashSet<String>,
}

fn paths_of(parts: &[Part]) -> impl Iterator<Item = String> + '_ {
    parts.iter().filter_map(|p| match p {
        Part::Path(p) => Some(p.clone()),
        Part::Lit(_) => None,
    })
}

/// The values of one source record: path → (text, where). Repeated paths keep every value.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub entries: Vec<(String, String, Pos)>,
}

impl Values {
    pub fn first(&self, path: &str) -> Option<(&str, Pos)> {
        self.entries
            .iter()
            .find(|(p, v, _)| p == path && !v.trim().is_empty())
            .map(|(_, v, pos)| (v.as_str(), *pos))
    }

    pub fn all(&self, path: &str) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(p, v, _)| p == path && !v.trim().is_empty())
            .map(|(_, v, _)| v.as_str())
            .collect()
    }
}

fn parse_template(t: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(Part::Lit(rest[..open].to_string()));
        }
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("template {t:?} has a `{{` without `}}`"));
        };
        let path = rest[open + 1..open + close].trim();
        if path.is_empty() {
            return Err(format!("template {t:?} has an empty `{{}}`"));
        }
        parts.push(Part::Path(path.to_string()));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Lit(rest.to_string()));
    }
    Ok(parts)
}

fn value_of(spec: &ValueSpec, what: &str) -> Result<Value, String> {
    let mut given = Vec::new();
    if let Some(p) = &spec.path {
        given.push(Value::Path(p.get_ref().clone()));
    }
    if let Some(t) = &spec.template {
        given.push(Value::Template(parse_template(t.get_ref())?));
    }
    if let Some(v) = &spec.value {
        given.push(Value::Const(v.get_ref().clone()));
    }
    if let Some(s) = &spec.start {
        given.push(Value::Range {
            start: s.get_ref().clone(),
            end: spec.end.as_ref().map(|e| e.get_ref().clone()),
            format: spec.format,
        });
    } else if spec.end.is_some() {
        return Err(format!("{what}: `end` needs a `start`"));
    }
    match given.len() {
        1 => Ok(given.remove(0)),
        0 => Err(format!(
            "{what}: give one of `path`, `template`, `value` or (for a date) `start`/`end`"
        )),
        _ => Err(format!(
            "{what}: give only one of `path`, `template`, `value` or `start`/`end`"
        )),
    }
}

/// `line:column` (1-based, column in characters) of a byte offset in `text`.
fn line_column(text: &str, offset: usize) -> String {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{line}:{column}")
}

/// A problem with one value of the mapping file: where it is written, and what.
type Placed = (Range<usize>, String);

/// Refuses the values that would make a mapping quietly match nothing: an empty (or
/// white-space) `element` reads no record of any file, and the import "succeeds" with
/// none; an empty path, a path with white space at its ends (CSV column names are
/// trimmed, XML names hold none) or, in an XML mapping, with an empty step, reads no
/// value; an empty template or constant gives no text; an empty `split` splits a value
/// into its characters. Each is an error naming the line and the field.
fn check_values(m: &MappingFile) -> Result<(), Placed> {
    let xml = m.record.element.is_some();
    if let Some(e) = &m.record.element {
        check_element(e)?;
    }
    let title = &m.source.title;
    if title.get_ref().trim().is_empty() {
        return Err((
            title.span(),
            "[source] title is empty; name the collection the records come from".into(),
        ));
    }
    check_path(&m.record.id, "[record] id", xml)?;
    if let Some(slug) = &m.record.slug {
        if slug.get_ref().trim().is_empty() {
            return Err((
                slug.span(),
                "[record] slug is empty: it would give every record the same empty slug; leave it out for \"{id}\"".into(),
            ));
        }
        check_template_paths(slug, "[record] slug", xml)?;
    }
    for (name, spec) in &m.fields {
        check_spec(spec, &format!("[fields] {name}"), xml)?;
    }
    for (i, l) in m.links.iter().enumerate() {
        let what = format!("[[links]] #{} ({})", i + 1, l.field);
        if let Some(s) = &l.slug {
            check_spec(s, &format!("{what} slug"), xml)?;
        }
        if let Some(n) = &l.name {
            check_spec(n, &format!("{what} name"), xml)?;
        }
    }
    Ok(())
}

/// `[record] element`: one XML name, as the reader gives it (the local name, without a
/// prefix).
fn check_element(e: &Spanned<String>) -> Result<(), Placed> {
    let name = e.get_ref();
    let problem = if name.trim().is_empty() {
        "is empty: it would match no element, and an import would read no record; name the XML element that holds one record (e.g. \"visit\")".to_string()
    } else if name.chars().any(char::is_whitespace) {
        format!("= {name:?} holds white space, which no XML name does: it would match no element")
    } else if name.contains(':') {
        format!("= {name:?}: give the element's local name without its prefix (records are matched by local name), or it would match no element")
    } else if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '/' | '@' | '<' | '>' | '"' | '\'' | '=' | '&'))
    {
        format!("= {name:?}: `{c}` cannot be part of an XML element name, so it would match no element; name one element (e.g. \"visit\")")
    } else {
        return Ok(());
    };
    Err((e.span(), format!("[record] element {problem}")))
}

/// A path (`visitor`, `from/@id`, a CSV column) that can match something.
fn check_path(p: &Spanned<String>, what: &str, xml: bool) -> Result<(), Placed> {
    path_problem(p.get_ref(), xml).map_or(Ok(()), |problem| {
        Err((
            p.span(),
            format!("{what}: path {:?} {problem}", p.get_ref()),
        ))
    })
}

fn path_problem(p: &str, xml: bool) -> Option<String> {
    if p.trim().is_empty() {
        return Some("is empty: it would match nothing; name a child element, an attribute (`@id`) or a CSV column".into());
    }
    if p.trim() != p {
        return Some("has white space at its ends: it would match nothing (XML names hold none, CSV column names are trimmed)".into());
    }
    if xml {
        let steps: Vec<&str> = p.split('/').collect();
        for (i, step) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            if step.is_empty() || *step == "@" {
                return Some(
                    "has an empty step: it would match nothing; write steps as `a/b` or `a/@id`"
                        .into(),
                );
            }
            if step.chars().any(char::is_whitespace) {
                return Some(format!("has white space in the step {step:?}: no XML name holds any, so it would match nothing"));
            }
            if step.starts_with('@') && !last {
                return Some("has an attribute before its last step: an attribute has no children, so it would match nothing".into());
            }
            if !step.starts_with('@') && step.contains(':') {
                return Some(format!("names the element {step:?} with a prefix: elements are matched by local name, so it would match nothing; leave the prefix out"));
            }
        }
    }
    None
}

fn check_template_paths(t: &Spanned<String>, what: &str, xml: bool) -> Result<(), Placed> {
    // A template that does not parse is reported as before, with its whole text.
    let Ok(parts) = parse_template(t.get_ref()) else {
        return Ok(());
    };
    for p in paths_of(&parts) {
        if let Some(problem) = path_problem(&p, xml) {
            return Err((t.span(), format!("{what}: template path {p:?} {problem}")));
        }
    }
    Ok(())
}

/// One value spec: its paths can match, and it gives some text.
fn check_spec(spec: &ValueSpec, what: &str, xml: bool) -> Result<(), Placed> {
    for (key, p) in [
        ("path", &spec.path),
        ("start", &spec.start),
        ("end", &spec.end),
    ] {
        if let Some(p) = p {
            check_path(p, &format!("{what} {key}"), xml)?;
        }
    }
    if let Some(t) = &spec.template {
        if t.get_ref().trim().is_empty() {
            return Err((
                t.span(),
                format!("{what}: the template is empty, so the value would never hold text"),
            ));
        }
        check_template_paths(t, what, xml)?;
    }
    if let Some(v) = &spec.value {
        if v.get_ref().trim().is_empty() {
            return Err((
                v.span(),
                format!("{what}: `value` is empty, which is the same as no value; give the text, or leave the field out"),
            ));
        }
    }
    if let Some(s) = &spec.split {
        if s.get_ref().is_empty() {
            return Err((
                s.span(),
                format!("{what}: `split` is empty, which would split the value into single characters; give the separator (e.g. \";\")"),
            ));
        }
    }
    Ok(())
}

impl Mapping {
    /// Reads and checks a mapping; `file` is named in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, MappingError> {
        let err = |message: String| MappingError {
            file: file.to_string(),
            message,
        };
        let m: MappingFile =
            toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
        // The same address goes into every record (it is not a template), so it is
        // checked once, here, before any record is read: only absolute http(s) addresses,
        // as `Archive::validate` would refuse each record anyway.
        if let Some(u) = &m.source.url {
            if let Err(e) = dossier_model::url::check_url(u.get_ref()) {
                let line = text[..u.span().start].matches('\n').count() + 1;
                return Err(MappingError {
                    file: format!("{file}:{line}"),
                    message: format!("[source] url: {e}"),
                });
            }
        }
        check_values(&m).map_err(|(span, message)| MappingError {
            file: format!("{file}:{}", line_column(text, span.start)),
            message,
        })?;
        let kind: &'static str = match m.record.kind.as_str() {
            "event" => "event",
            "document" => "document",
            "person" => "person",
            "body" => "body",
            other => {
                return Err(err(format!(
                    "[record] type = {other:?}: expected event, document, person or body"
                )))
            }
        };
        let allowed = fields_of(kind).expect("known type");
        let mut fields = Vec::new();
        for (name, spec) in &m.fields {
            let Some((_, shape, required)) = allowed.iter().find(|(n, _, _)| n == name) else {
                let names: Vec<&str> = allowed.iter().map(|(n, _, _)| *n).collect();
                return Err(err(format!(
                    "[fields] {name}: a {kind} has no such field; it has {}",
                    names.join(", ")
                )));
            };
            let value = value_of(spec, &format!("[fields] {name}")).map_err(err)?;
            if matches!(value, Value::Range { .. }) && *shape != Shape::Date {
                return Err(err(format!(
                    "[fields] {name}: `start`/`end` make a date, and {name} is not one"
                )));
            }
            fields.push(Field {
                name: name.clone(),
                value,
                format: spec.format,
                split: spec.split.as_ref().map(|s| s.get_ref().clone()),
                required: spec.required || *required,
                shape: *shape,
            });
        }
        for (name, _, required) in allowed.iter() {
            if *required && !m.fields.contains_key(*name) {
                return Err(err(format!(
                    "[fields] has no `{name}`, which every {kind} needs"
                )));
            }
        }
        let mut links = Vec::new();
        for (i, l) in m.links.iter().enumerate() {
            let what = format!("[[links]] #{} ({})", i + 1, l.field);
            let Some((_, target, single)) = links_of(kind).iter().find(|(f, _, _)| *f == l.field)
            else {
                let names: Vec<&str> = links_of(kind).iter().map(|(f, _, _)| *f).collect();
                return Err(err(format!(
                    "{what}: a {kind} links through {}",
                    if names.is_empty() {
                        "no field".to_string()
                    } else {
                        names.join(", ")
                    }
                )));
            };
            if l.kind != *target {
                return Err(err(format!(
                    "{what}: type = {:?}, but {} links to a {target}",
                    l.kind, l.field
                )));
            }
            let slug = l
                .slug
                .as_ref()
                .map(|s| value_of(s, &format!("{what} slug")))
                .transpose()
                .map_err(err)?;
            let name = l
                .name
                .as_ref()
                .map(|s| value_of(s, &format!("{what} name")))
                .transpose()
                .map_err(err)?;
            if slug.is_none() && name.is_none() {
                return Err(err(format!(
                    "{what}: give a `slug` or a `name` (the slug is then made from the name)"
                )));
            }
            if l.create {
                if matches!(*target, "document" | "event") {
                    return Err(err(format!(
                        "{what}: a {target} cannot be created from a link; set create = false"
                    )));
                }
                if name.is_none() {
                    return Err(err(format!("{what}: a created {target} needs a `name`")));
                }
                if *target == "body" {
                    match &l.record_kind {
                        Some(k) if BodyKind::from_slug(k).is_some() => {}
                        other => {
                            let kinds: Vec<&str> = BodyKind::ALL.iter().map(|k| k.slug()).collect();
                            return Err(err(format!(
                                "{what}: kind = {other:?}; a created body needs one of {}",
                                kinds.join(", ")
                            )));
                        }
                    }
                }
            }
            links.push(Link {
                field: l.field.clone(),
                target,
                slug,
                name,
                kind: l.record_kind.clone(),
                create: l.create,
                single: *single,
            });
        }
        let slug = parse_template(m.record.slug.as_ref().map_or("{id}", |s| s.get_ref()))
            .map_err(|e| err(format!("[record] slug: {e}")))?;
        let mut reads = std::collections::HashSet::new();
        reads.insert(m.record.id.get_ref().clone());
        let mut read = |v: &Value| match v {
            Value::Path(p) => {
                reads.insert(p.clone());
            }
            Value::Template(parts) => reads.extend(paths_of(parts)),
            Value::Const(_) => {}
            Value::Range { start, end, .. } => {
                reads.insert(start.clone());
                reads.extend(end.iter().cloned());
            }
        };
        for f in &fields {
            read(&f.value);
        }
        for l in &links {
            l.slug.iter().chain(l.name.iter()).for_each(&mut read);
        }
        reads.extend(paths_of(&slug));
        Ok(Mapping {
            file: file.to_string(),
            source_title: m.source.title.into_inner(),
            source_url: m.source.url.map(toml::Spanned::into_inner),
            element: m.record.element.map(Spanned::into_inner),
            kind,
            id: m.record.id.into_inner(),
            slug,
            fields,
            links,
            reads,
        })
    }

    /// Whether the mapping reads the value at `path` (`from`, `from/@id`): a reader need
    /// not collect the others.
    pub fn reads(&self, path: &str) -> bool {
        self.reads.contains(path)
    }

    /// The record type the mapping makes.
    pub fn record_type(&self) -> &'static str {
        self.kind
    }

    /// The path (XML) or column (CSV) that gives the record's stable id.
    pub fn id_path(&self) -> &str {
        &self.id
    }

    /// The mapping file's name.
    pub fn file(&self) -> &str {
        &self.file
    }

    fn render(&self, parts: &[Part], v: &Values) -> Option<String> {
        let mut out = String::new();
        for p in parts {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Path(path) => out.push_str(&clean(v.first(path)?.0)),
            }
        }
        Some(out)
    }

    /// The text of a value: `Some((text, place, where-from))`.
    fn text(&self, value: &Value, v: &Values, at: Pos) -> Option<(String, Pos, String)> {
        match value {
            Value::Path(p) => v.first(p).map(|(t, pos)| (clean(t), pos, p.clone())),
            Value::Template(parts) => self
                .render(parts, v)
                .map(|t| (t, at, "template".to_string())),
            Value::Const(c) => Some((c.clone(), at, "value".to_string())),
            Value::Range { start, .. } => v
                .first(start)
                .map(|(t, pos)| (clean(t), pos, start.clone())),
        }
    }

    /// Builds the archive record (and the records it links to) from one source record.
    /// `file` is the source file as named to the user; `at` where the record starts.
    pub fn build(&self, v: &Values, file: &str, at: Pos, dossier: Option<&str>) -> Item {
        let bad = |pos: Pos, record: &str, field: &str, problem: String| {
            Item::Bad(RecordError {
                file: file.to_string(),
                pos,
                record: record.to_string(),
                field: field.to_string(),
                problem,
            })
        };
        let Some((id, _)) = v.first(&self.id) else {
            return bad(
                at,
                "(no id)",
                &self.id,
                "missing: this value gives the record's stable id".into(),
            );
        };
        let id = clean(id);
        let Some(slug_text) = self.render(&self.slug, v) else {
            return bad(
                at,
                &id,
                "slug",
                "a value the slug template names is missing".into(),
            );
        };
        let slug = slug_for(&slug_text);
        if !is_valid_slug(&slug) {
            return bad(
                at,
                &id,
                &self.id,
                format!("{slug_text:?} gives no usable slug (letters or digits needed)"),
            );
        }
        let mut obj = Map::new();
        obj.insert("slug".into(), json!(slug));
        for f in &self.fields {
            let found = match &f.value {
                Value::Range { start, end, format } => {
                    match self.range(start, end.as_deref(), *format, v) {
                        Ok(Some((d, _))) => Some(Json::String(d.to_string())),
                        Ok(None) => None,
                        Err((path, pos, problem)) => return bad(pos, &id, &path, problem),
                    }
                }
                value => match self.text(value, v, at) {
                    None => None,
                    Some((t, pos, from)) => match f.shape {
                        Shape::Text => Some(Json::String(t)),
                        Shape::Date => match parse_date(&t, f.format) {
                            Ok(d) => Some(Json::String(d.to_string())),
                            Err(problem) => return bad(pos, &id, &from, problem),
                        },
                        Shape::Bool => match t.to_ascii_lowercase().as_str() {
                            "true" | "yes" | "1" => Some(Json::Bool(true)),
                            "false" | "no" | "0" => Some(Json::Bool(false)),
                            _ => {
                                return bad(pos, &id, &from, format!("{t:?} is not true or false"))
                            }
                        },
                        Shape::List => {
                            let items: Vec<String> = match &f.split {
                                Some(sep) => t
                                    .split(sep.as_str())
                                    .map(|s| s.trim().to_string())
                                    .filter(|s| !s.is_empty())
                                    .collect(),
                                None => match &f.value {
                                    Value::Path(p) => v.all(p).into_iter().map(clean).collect(),
                                    _ => vec![t],
                                },
                            };
                            Some(json!(items))
                        }
                    },
                },
            };
            match found {
                Some(Json::String(s)) if s.is_empty() => {}
                Some(j) => {
                    if let Some(problem) = check_vocabulary(self.kind, &f.name, &j) {
                        let pos = match &f.value {
                            Value::Path(p) => v.first(p).map_or(at, |(_, pos)| pos),
                            _ => at,
                        };
                        return bad(pos, &id, &f.name, problem);
                    }
                    obj.insert(f.name.clone(), j);
                    continue;
                }
                None => {}
            }
            if f.required {
                let from = match &f.value {
                    Value::Path(p) => p.clone(),
                    Value::Range { start, .. } => start.clone(),
                    _ => f.name.clone(),
                };
                return bad(
                    at,
                    &id,
                    &from,
                    format!("missing; it gives the {}'s {}", self.kind, f.name),
                );
            }
        }
        let mut linked = Vec::new();
        for l in &self.links {
            let name = l.name.as_ref().and_then(|n| self.text(n, v, at));
            let slug = match &l.slug {
                Some(s) => self.text(s, v, at).map(|(t, _, _)| slug_for(&t)),
                None => name.as_ref().map(|(t, _, _)| slug_for(t)),
            };
            let Some(slug) = slug.filter(|s| !s.is_empty()) else {
                continue;
            };
            if !is_valid_slug(&slug) {
                return bad(at, &id, &l.field, format!("{slug:?} is not a usable slug"));
            }
            if l.single {
                obj.insert(l.field.clone(), json!(slug));
            } else {
                let list = obj
                    .entry(l.field.clone())
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                    .expect("a list");
                if !list.iter().any(|x| x == &json!(slug)) {
                    list.push(json!(slug));
                }
            }
            if l.create {
                let name = name.map(|(t, _, _)| t).unwrap_or_else(|| slug.clone());
                linked.push(self.linked_record(l, &slug, &name));
            }
        }
        if let Some(d) = dossier {
            obj.insert("dossiers".into(), json!([d]));
        }
        let mut source = Map::new();
        source.insert(
            "title".into(),
            json!(format!(
                "{} — {}, record {id}",
                self.source_title,
                base_name(file)
            )),
        );
        if let Some(u) = &self.source_url {
            source.insert("url".into(), json!(u));
        }
        obj.insert("sources".into(), json!([source]));
        let json = Json::Object(obj);
        let record = match self.kind {
            "event" => serde_json::from_value(json).map(Record::Event),
            "document" => serde_json::from_value(json).map(Record::Document),
            "person" => serde_json::from_value(json).map(Record::Person),
            _ => serde_json::from_value(json).map(Record::Body),
        };
        match record {
            Ok(record) => Item::Record(Box::new(Imported {
                record,
                linked,
                file: file.to_string(),
                pos: at,
            })),
            Err(e) => bad(at, &id, "(record)", e.to_string()),
        }
    }

    fn range(
        &self,
        start: &str,
        end: Option<&str>,
        format: DateFormat,
        v: &Values,
    ) -> Result<Option<(Edtf, Pos)>, (String, Pos, String)> {
        let Some((s, spos)) = v.first(start) else {
            return Ok(None);
        };
        let s_date = match parse_date(&clean(s), format) {
            Ok(Edtf::Date(d)) => d,
            Ok(_) => {
                return Err((
                    start.into(),
                    spos,
                    "expected a single date, not an interval".into(),
                ))
            }
            Err(p) => return Err((start.into(), spos, p)),
        };
        let Some(end) = end else {
            return Ok(Some((Edtf::Date(s_date), spos)));
        };
        let Some((e, epos)) = v.first(end) else {
            return Ok(Some((
                Edtf::Interval(Bound::Date(s_date), Bound::Unknown),
                spos,
            )));
        };
        let e_date = match parse_date(&clean(e), format) {
            Ok(Edtf::Date(d)) => d,
            Ok(_) => {
                return Err((
                    end.into(),
                    epos,
                    "expected a single date, not an interval".into(),
                ))
            }
            Err(p) => return Err((end.into(), epos, p)),
        };
        if e_date == s_date {
            return Ok(Some((Edtf::Date(s_date), spos)));
        }
        if s_date.earliest() > e_date.latest() {
            return Err((
                end.into(),
                epos,
                format!("the end date {e_date} is before the start date {s_date}"),
            ));
        }
        Ok(Some((
            Edtf::Interval(Bound::Date(s_date), Bound::Date(e_date)),
            spos,
        )))
    }

    fn linked_record(&self, l: &Link, slug: &str, name: &str) -> Record {
        let provenance = Provenance {
            trace: vec![],
            sources: vec![Source {
                title: self.source_title.clone(),
                url: self.source_url.clone(),
                fields: vec![],
            }],
            gaps: vec![],
        };
        match l.target {
            "person" => Record::Person(Person {
                slug: slug.into(),
                name: name.into(),
                offices: vec![],
                summary: None,
                dossiers: vec![],
                provenance,
            }),
            "topic" => Record::Topic(Topic {
                slug: slug.into(),
                title: name.into(),
                kind: l
                    .kind
                    .as_deref()
                    .and_then(TopicKind::from_slug)
                    .unwrap_or(TopicKind::Subject),
                status: TopicStatus::Unknown,
                as_of: None,
                summary: None,
                sections: vec![],
                documents: vec![],
                bodies: vec![],
                dossiers: vec![],
                provenance,
            }),
            _ => Record::Body(Body {
                slug: slug.into(),
                name: name.into(),
                acronyms: vec![],
                aliases: vec![],
                kind: l
                    .kind
                    .as_deref()
                    .and_then(BodyKind::from_slug)
                    .unwrap_or(BodyKind::Organisation),
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
                provenance,
            }),
        }
    }

    /// Links to records that must already exist (`create = false`): (field, type, slug).
    pub fn required_links<'a>(&self, record: &'a Record) -> Vec<(&'static str, &'a str)> {
        let mut out = Vec::new();
        for l in self.links.iter().filter(|l| !l.create) {
            let slugs: Vec<&String> = match (record, l.field.as_str()) {
                (Record::Event(e), "bodies") => e.bodies.iter().collect(),
                (Record::Event(e), "people") => e.people.iter().collect(),
                (Record::Event(e), "outcome_documents") => e.outcome_documents.iter().collect(),
                (Record::Document(d), "issued_by") => d.issued_by.iter().collect(),
                (Record::Document(d), "authors") => d.authors.iter().collect(),
                (Record::Document(d), "parties") => d.parties.iter().collect(),
                (Record::Document(d), "topics") => d.topics.iter().collect(),
                (Record::Body(b), "part_of") => b.part_of.iter().collect(),
                _ => vec![],
            };
            out.extend(slugs.into_iter().map(|s| (l.target, s.as_str())));
        }
        out
    }
}

/// Collapses the white space of a source value.
fn clean(s: &str) -> String {
    crate::xml::normalize_space(s)
}

fn parse_date(s: &str, format: DateFormat) -> Result<Edtf, String> {
    let s = s.trim();
    let text = match format {
        DateFormat::Edtf => s,
        DateFormat::IsoDatetime => s.split_once('T').map_or(s, |(d, _)| d),
    };
    Edtf::parse(text).map_err(|e| e.to_string())
}

/// Checks a controlled value (a kind, a level) before the record is made, so that the
/// error names the field.
fn check_vocabulary(kind: &str, field: &str, value: &Json) -> Option<String> {
    let s = value.as_str()?;
    let (ok, names): (bool, Vec<&str>) = match (kind, field) {
        ("event", "kind") => (
            EventKind::from_slug(s).is_some(),
            EventKind::ALL.iter().map(|k| k.slug()).collect(),
        ),
        ("document", "kind") => (
            DocumentKind::from_slug(s).is_some(),
            DocumentKind::ALL.iter().map(|k| k.slug()).collect(),
        ),
        ("body", "kind") => (
            BodyKind::from_slug(s).is_some(),
            BodyKind::ALL.iter().map(|k| k.slug()).collect(),
        ),
        ("event", "level") => (
            Level::from_slug(s).is_some(),
            Level::ALL.iter().map(|k| k.slug()).collect(),
        ),
        ("document", "legal_status") => (
            LegalStatus::from_slug(s).is_some(),
            LegalStatus::ALL.iter().map(|k| k.slug()).collect(),
        ),
        ("document", "availability") => (
            Availability::from_slug(s).is_some(),
            Availability::ALL.iter().map(|k| k.slug()).collect(),
        ),
        _ => return None,
    };
    if ok {
        None
    } else {
        Some(format!("{s:?} is not one of {}", names.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VISITS: &str = include_str!("../../../mappings/visits.toml");
    const VISITS_CSV: &str = include_str!("../../../mappings/visits-csv.toml");

    impl Mapping {
        /// What every mapping `parse` accepts must hold: the checks it makes, restated
        /// on the result.
        fn invariants(&self) -> Result<(), String> {
            if let Some(e) = &self.element {
                if e.trim().is_empty() || e.chars().any(char::is_whitespace) || e.contains(':') {
                    return Err(format!("element {e:?}"));
                }
            }
            let xml = self.element.is_some();
            for p in &self.reads {
                if let Some(problem) = path_problem(p, xml) {
                    return Err(format!("path {p:?} {problem}"));
                }
            }
            if self.source_title.trim().is_empty() {
                return Err("empty source title".into());
            }
            let allowed = fields_of(self.kind).ok_or("unknown type")?;
            for (name, _, required) in allowed {
                if *required && !self.fields.iter().any(|f| f.name == *name) {
                    return Err(format!("no {name}"));
                }
            }
            for f in &self.fields {
                if !allowed.iter().any(|(n, _, _)| *n == f.name) {
                    return Err(format!("field {}", f.name));
                }
                if f.split.as_deref() == Some("") {
                    return Err("empty split".into());
                }
                if let Value::Const(c) = &f.value {
                    if c.trim().is_empty() {
                        return Err("empty value".into());
                    }
                }
            }
            for l in &self.links {
                if l.slug.is_none() && l.name.is_none() {
                    return Err(format!("link {} without slug or name", l.field));
                }
            }
            // Making a record from nothing, or from a value at every path, never panics.
            let _ = self.build(&Values::default(), "f.xml", Pos::default(), None);
            let entries = self
                .reads
                .iter()
                .map(|p| (p.clone(), "1990-01-02".to_string(), Pos::default()))
                .collect();
            let _ = self.build(&Values { entries }, "f.xml", Pos::default(), Some("d"));
            Ok(())
        }
    }

    /// Issue 20, finding 10: `element = ""` made a mapping that matched no element, and an
    /// import that read nothing exited 0. Now it, and every other value that would match
    /// nothing, is refused with the mapping file's line and column and the field.
    #[test]
    fn values_that_would_match_nothing_are_refused_with_their_line() {
        let cases: [(&str, &str, &str); 14] = [
            (
                "element = \"visit\"",
                "element = \"\"",
                "visits.toml:15:11: [record] element is empty: it would match no element",
            ),
            (
                "element = \"visit\"",
                "element = \"  \"",
                "visits.toml:15:11: [record] element is empty",
            ),
            (
                "element = \"visit\"",
                "element = \"a visit\"",
                "[record] element = \"a visit\" holds white space",
            ),
            (
                "element = \"visit\"",
                "element = \"tei:visit\"",
                "give the element's local name without its prefix",
            ),
            (
                "element = \"visit\"",
                "element = \"visits/visit\"",
                "`/` cannot be part of an XML element name",
            ),
            (
                "id = \"id\"",
                "id = \"\"",
                "visits.toml:17:6: [record] id: path \"\" is empty: it would match nothing",
            ),
            (
                "id = \"id\"",
                "id = \" id\"",
                "[record] id: path \" id\" has white space at its ends",
            ),
            (
                "slug = \"visit-{id}\"",
                "slug = \"\"",
                "[record] slug is empty",
            ),
            (
                "summary = { path = \"description\" }",
                "summary = { path = \"\" }",
                "[fields] summary path: path \"\" is empty",
            ),
            (
                "summary = { path = \"description\" }",
                "summary = { path = \"a//b\" }",
                "has an empty step",
            ),
            (
                "summary = { path = \"description\" }",
                "summary = { path = \"a/@\" }",
                "has an empty step",
            ),
            (
                "summary = { path = \"description\" }",
                "summary = { path = \"@a/b\" }",
                "has an attribute before its last step",
            ),
            (
                "kind = { value = \"visit\" }",
                "kind = { value = \"\" }",
                "[fields] kind: `value` is empty",
            ),
            (
                "date = { start = \"start-date\", end = \"end-date\" }",
                "date = { start = \"start-date\", end = \"\" }",
                "[fields] date end: path \"\" is empty",
            ),
        ];
        for (from, to, expect) in cases {
            assert_eq!(VISITS.matches(from).count(), 1, "{from}");
            let text = VISITS.replacen(from, to, 1);
            let e = Mapping::parse(&text, "visits.toml")
                .unwrap_err()
                .to_string();
            assert!(e.contains(expect), "{to}: {e}");
            assert!(e.starts_with("visits.toml:"), "{to}: {e}");
        }
        let text = VISITS.replacen(
            "name = { path = \"visitor\" }",
            "name = { template = \" \" }",
            1,
        );
        let e = Mapping::parse(&text, "visits.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("[[links]] #2 (people) name: the template is empty"),
            "{e}"
        );
        let text = VISITS.replacen("title = \"Visits by", "title = \" \"\n# \"Visits by", 1);
        let e = Mapping::parse(&text, "visits.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("[source] title is empty"), "{e}");
        // CSV columns may hold what XML names may not; the shipped mappings pass.
        let csv = VISITS_CSV.replacen("id = \"id\"", "id = \"visit id/no.\"", 1);
        Mapping::parse(&csv, "visits-csv.toml")
            .unwrap()
            .invariants()
            .unwrap();
        Mapping::parse(VISITS, "visits.toml")
            .unwrap()
            .invariants()
            .unwrap();
    }

    /// Issue 20, finding 5 (TOML side): deep arrays, inline tables and dotted keys are
    /// refused by the TOML parser's own nesting limit, in linear time.
    #[test]
    fn deeply_nested_toml_is_refused() {
        for text in [
            format!("{VISITS}\nx = {}", "[".repeat(64 * 1024)),
            format!("{VISITS}\nx = {}", "{a=".repeat(16 * 1024)),
            format!("{VISITS}\n{} = 1", vec!["a"; 16 * 1024].join(".")),
        ] {
            let e = Mapping::parse(&text, "deep.toml").unwrap_err().to_string();
            assert!(e.starts_with("deep.toml: "), "{e}");
        }
    }

    /// Pieces of mapping files: the keys and values that matter, and noise.
    fn toml_line() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![
            "element", "type", "id", "slug", "title", "url", "path", "template", "value", "start",
            "end", "format", "split", "required", "field", "kind", "name", "create", "summary",
            "date", "bodies", "people",
        ]);
        let value = prop_oneof![
            prop::sample::select(vec![
                "\"\"",
                "\" \"",
                "\"visit\"",
                "\"event\"",
                "\"person\"",
                "\"body\"",
                "\"state\"",
                "\"id\"",
                "\"{id}\"",
                "\"a/@b\"",
                "\"a//b\"",
                "\"@\"",
                "\"x:y\"",
                "\"{\"",
                "\"{}\"",
                "true",
                "false",
                "1",
                "\"edtf\"",
                "\"iso-datetime\"",
                "{ path = \"p\" }",
                "{ path = \"\" }",
                "{ value = \"v\" }",
                "{ template = \"T {p}\" }",
                "{ start = \"s\", end = \"e\" }",
                "{ end = \"e\" }",
                "[[[[",
                "{a={a={",
            ])
            .prop_map(str::to_string),
            "\"[^\"\\\\]{0,8}\"",
        ];
        prop_oneof![
            4 => (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
            2 => prop::sample::select(vec!["[source]", "[record]", "[fields]", "[[links]]", "[x]"])
                .prop_map(str::to_string),
            1 => "\\PC{0,20}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Arbitrary TOML-ish text never panics the reader, and what it accepts passes
        /// its own checks.
        #[test]
        fn the_mapping_reader_never_panics_and_accepts_only_sound_mappings(
            lines in prop::collection::vec(toml_line(), 0..30)
        ) {
            if let Ok(m) = Mapping::parse(&lines.join("\n"), "p.toml") {
                prop_assert_eq!(m.invariants(), Ok(()));
            }
        }

        /// The shipped mapping with one value replaced by anything: never a panic, and
        /// an accepted mapping is sound.
        #[test]
        fn the_shipped_mapping_with_any_one_value_changed(
            which in 0usize..40,
            value in prop_oneof!["[^\"\\\\\n]{0,12}", Just(String::new()), Just(" ".to_string())],
        ) {
            let quoted: Vec<(usize, &str)> = VISITS.match_indices("\"").collect();
            let pairs: Vec<(usize, usize)> = quoted.chunks(2).filter(|c| c.len() == 2).map(|c| (c[0].0, c[1].0)).collect();
            let (a, b) = pairs[which % pairs.len()];
            let text = format!("{}{}{}", &VISITS[..a + 1], value, &VISITS[b..]);
            if let Ok(m) = Mapping::parse(&text, "visits.toml") {
                prop_assert_eq!(m.invariants(), Ok(()));
            }
        }
    }

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values {
            entries: pairs
                .iter()
                .enumerate()
                .map(|(i, (p, v))| {
                    (
                        p.to_string(),
                        v.to_string(),
                        Pos {
                            line: i as u64 + 2,
                            column: 9,
                        },
                    )
                })
                .collect(),
        }
    }

    fn visit(start: &str, end: &str) -> Values {
        values(&[
            ("id", "751"),
            ("start-date", start),
            ("end-date", end),
            ("visitor", "Prime Minister Anibal Antonio Cavaco e Silva"),
            ("from", "Portugal"),
            ("from/@id", "portugal"),
            (
                "description",
                "Official working visit.\n   Private visit to New York City afterward.",
            ),
        ])
    }

    #[test]
    fn the_visits_mapping_makes_an_event_with_its_visitor_and_country() {
        let m = Mapping::parse(VISITS, "mappings/visits.toml").unwrap();
        let Item::Record(r) = m.build(
            &visit("1990-01-10", "1990-01-12"),
            "data/1990.xml",
            Pos::default(),
            None,
        ) else {
            panic!("bad record")
        };
        let Record::Event(e) = &r.record else {
            panic!()
        };
        assert_eq!(e.slug, "visit-751");
        assert_eq!(e.kind, EventKind::Visit);
        assert_eq!(e.date.unwrap().to_string(), "1990-01-10/1990-01-12");
        assert_eq!(e.bodies, ["portugal"]);
        assert_eq!(e.people, ["prime-minister-anibal-antonio-cavaco-e-silva"]);
        assert_eq!(
            e.summary.as_deref(),
            Some("Official working visit. Private visit to New York City afterward.")
        );
        assert!(e.provenance.sources[0]
            .title
            .ends_with("1990.xml, record 751"));
        assert_eq!(r.linked.len(), 2);
        assert!(
            matches!(&r.linked[0], Record::Body(b) if b.kind == BodyKind::State && b.name == "Portugal")
        );
        let Item::Record(r) = m.build(
            &visit("1990-01-26", "1990-01-26"),
            "x.xml",
            Pos::default(),
            None,
        ) else {
            panic!()
        };
        let Record::Event(e) = &r.record else {
            panic!()
        };
        assert_eq!(e.date.unwrap().to_string(), "1990-01-26");
    }

    #[test]
    fn bad_values_name_the_record_and_field() {
        let m = Mapping::parse(VISITS, "visits.toml").unwrap();
        let Item::Bad(e) = m.build(
            &visit("1990-13-10", "1990-01-12"),
            "1990.xml",
            Pos::default(),
            None,
        ) else {
            panic!()
        };
        assert_eq!(e.record, "751");
        assert_eq!(e.field, "start-date");
        assert_eq!(e.pos.line, 3);
        let Item::Bad(e) = m.build(
            &visit("1990-01-12", "1990-01-10"),
            "1990.xml",
            Pos::default(),
            None,
        ) else {
            panic!()
        };
        assert!(e.problem.contains("before the start"), "{e}");
        let Item::Bad(e) = m.build(
            &values(&[("visitor", "x")]),
            "1990.xml",
            Pos::default(),
            None,
        ) else {
            panic!()
        };
        assert_eq!((e.record.as_str(), e.field.as_str()), ("(no id)", "id"));
    }

    #[test]
    fn mapping_mistakes_are_explained() {
        let e = Mapping::parse(
            "[source]\ntitle='x'\n[record]\ntype='meeting'\nid='id'",
            "m.toml",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("expected event, document, person or body"),
            "{e}"
        );
        let e = Mapping::parse(
            "[source]\ntitle='x'\n[record]\ntype='person'\nid='id'\n[fields]\nname={path='n'}\ncolour={path='c'}",
            "m.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("a person has no such field"), "{e}");
        let e = Mapping::parse(
            "[source]\ntitle='x'\n[record]\ntype='person'\nid='id'\n[fields]\nsummary={path='n'}",
            "m.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("has no `name`"), "{e}");
    }

    /// Issue 20, finding 3: a mapping's `[source] url` went into every record's sources,
    /// and so into a live link on each record's page, whatever its scheme. Each hostile
    /// spelling refuses the mapping with its file, line and field, before any record.
    #[test]
    fn a_hostile_source_url_refuses_the_mapping_with_its_line() {
        let line = VISITS.lines().position(|l| l == "[source]").unwrap() + 2;
        for url in dossier_model::url::HOSTILE_URLS {
            let text = VISITS.replacen(
                "[source]\n",
                &format!("[source]\nurl = {}\n", toml::Value::String(url.to_string())),
                1,
            );
            let e = Mapping::parse(&text, "m.toml").unwrap_err();
            assert_eq!(e.file, format!("m.toml:{line}"), "{url:?}: {e}");
            assert!(e.message.starts_with("[source] url: "), "{url:?}: {e}");
        }
        let text = VISITS.replacen(
            "[source]\n",
            "[source]\nurl = \"https://history.state.gov/\"\n",
            1,
        );
        Mapping::parse(&text, "m.toml").unwrap();
    }
}
