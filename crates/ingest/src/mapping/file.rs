//! Reading a mapping file: the TOML as written, the checks that refuse a value which would
//! quietly match nothing (naming its line and column), and [`Mapping::parse`], which
//! turns the file into a checked [`Mapping`] against the fields each record type has.

use super::path::{parse_template, path_problem, paths_of, Part};
use super::{DateFormat, Field, Link, Mapping, MappingError, Shape, Value};
use dossier_model::BodyKind;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use toml::Spanned;

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

/// The record types a mapping can make, with their fields (name, shape, required).
pub(super) fn fields_of(kind: &str) -> Option<&'static [(&'static str, Shape, bool)]> {
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
            ("coverage", Date, false),
            ("place", Text, false),
            ("summary", Text, false),
            // A plain text, read as one text in language `und` (paragraphs at blank lines).
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

/// `[source] url`: the same address goes into every record (it is not a template), so it
/// is checked once, before any record is read: only absolute http(s) addresses, as
/// `Archive::validate` would refuse each record anyway.
fn check_source_url(source: &SourceSpec, text: &str, file: &str) -> Result<(), MappingError> {
    if let Some(u) = &source.url {
        if let Err(e) = dossier_model::url::check_url(u.get_ref()) {
            let line = text[..u.span().start].matches('\n').count() + 1;
            return Err(MappingError {
                file: format!("{file}:{line}"),
                message: format!("[source] url: {e}"),
            });
        }
    }
    Ok(())
}

/// `[record] type`: the record types a mapping can make.
fn record_kind(kind: &str) -> Result<&'static str, String> {
    match kind {
        "event" => Ok("event"),
        "document" => Ok("document"),
        "person" => Ok("person"),
        "body" => Ok("body"),
        other => Err(format!(
            "[record] type = {other:?}: expected event, document, person or body"
        )),
    }
}

/// `[fields]`, checked against the fields a `kind` record has: each one known, `start` and
/// `end` only for a date, and every field the record needs given.
fn fields(specs: &BTreeMap<String, ValueSpec>, kind: &str) -> Result<Vec<Field>, String> {
    let allowed = fields_of(kind).expect("known type");
    let mut fields = Vec::new();
    for (name, spec) in specs {
        let Some((_, shape, required)) = allowed.iter().find(|(n, _, _)| n == name) else {
            let names: Vec<&str> = allowed.iter().map(|(n, _, _)| *n).collect();
            return Err(format!(
                "[fields] {name}: a {kind} has no such field; it has {}",
                names.join(", ")
            ));
        };
        let value = value_of(spec, &format!("[fields] {name}"))?;
        if matches!(value, Value::Range { .. }) && *shape != Shape::Date {
            return Err(format!(
                "[fields] {name}: `start`/`end` make a date, and {name} is not one"
            ));
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
        if *required && !specs.contains_key(*name) {
            return Err(format!(
                "[fields] has no `{name}`, which every {kind} needs"
            ));
        }
    }
    Ok(fields)
}

/// One `[[links]]` entry (`what` names it), checked against the link fields of a `kind`
/// record and, when it creates the record it links to, against what that record needs.
fn link(l: &LinkSpec, what: &str, kind: &str) -> Result<Link, String> {
    let Some((_, target, single)) = links_of(kind).iter().find(|(f, _, _)| *f == l.field) else {
        let names: Vec<&str> = links_of(kind).iter().map(|(f, _, _)| *f).collect();
        return Err(format!(
            "{what}: a {kind} links through {}",
            if names.is_empty() {
                "no field".to_string()
            } else {
                names.join(", ")
            }
        ));
    };
    if l.kind != *target {
        return Err(format!(
            "{what}: type = {:?}, but {} links to a {target}",
            l.kind, l.field
        ));
    }
    let slug = l
        .slug
        .as_ref()
        .map(|s| value_of(s, &format!("{what} slug")))
        .transpose()?;
    let name = l
        .name
        .as_ref()
        .map(|s| value_of(s, &format!("{what} name")))
        .transpose()?;
    if slug.is_none() && name.is_none() {
        return Err(format!(
            "{what}: give a `slug` or a `name` (the slug is then made from the name)"
        ));
    }
    if l.create {
        if matches!(*target, "document" | "event") {
            return Err(format!(
                "{what}: a {target} cannot be created from a link; set create = false"
            ));
        }
        if name.is_none() {
            return Err(format!("{what}: a created {target} needs a `name`"));
        }
        if *target == "body" {
            match &l.record_kind {
                Some(k) if BodyKind::from_slug(k).is_some() => {}
                other => {
                    let kinds: Vec<&str> = BodyKind::ALL.iter().map(|k| k.slug()).collect();
                    return Err(format!(
                        "{what}: kind = {other:?}; a created body needs one of {}",
                        kinds.join(", ")
                    ));
                }
            }
        }
    }
    Ok(Link {
        field: l.field.clone(),
        target,
        slug,
        name,
        kind: l.record_kind.clone(),
        create: l.create,
        single: *single,
    })
}

/// Every path the mapping reads a value from: the id, the fields, the links and the slug.
fn reads_of(id: &str, fields: &[Field], links: &[Link], slug: &[Part]) -> HashSet<String> {
    let mut reads = HashSet::new();
    reads.insert(id.to_string());
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
    for f in fields {
        read(&f.value);
    }
    for l in links {
        l.slug.iter().chain(l.name.iter()).for_each(&mut read);
    }
    reads.extend(paths_of(slug));
    reads
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
        check_source_url(&m.source, text, file)?;
        check_values(&m).map_err(|(span, message)| MappingError {
            file: format!("{file}:{}", line_column(text, span.start)),
            message,
        })?;
        let kind = record_kind(&m.record.kind).map_err(err)?;
        let fields = fields(&m.fields, kind).map_err(err)?;
        let links = m
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| link(l, &format!("[[links]] #{} ({})", i + 1, l.field), kind))
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let slug = parse_template(m.record.slug.as_ref().map_or("{id}", |s| s.get_ref()))
            .map_err(|e| err(format!("[record] slug: {e}")))?;
        let reads = reads_of(m.record.id.get_ref(), &fields, &links, &slug);
        Ok(Mapping {
            file: file.to_string(),
            source_title: m.source.title.into_inner(),
            source_url: m.source.url.map(Spanned::into_inner),
            element: m.record.element.map(Spanned::into_inner),
            kind,
            id: m.record.id.into_inner(),
            slug,
            fields,
            links,
            reads,
        })
    }
}
