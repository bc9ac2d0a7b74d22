//! Reading a mapping file: the TOML as written, the checks that refuse a value which would
//! quietly match nothing (naming its line and column), and [`Mapping::parse`], which
//! turns the file into a checked [`Mapping`] against the fields each record type has.
//! The format is documented in `docs/mapping.md`.

use super::path::{parse_template, path_problem, paths_of, Part, Paths};
use super::transform::{self, Filter, Transform, Unmapped, ValueMap};
use super::{
    Condition, DateFormat, Field, Link, Mapping, MappingError, RecordMap, Shape, Spec, Test, Value,
};
use crate::import::{MatchBy, Unmatched};
use dossier_model::{is_valid_slug, BodyKind, IdScheme};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

/// The mapping file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    source: SourceSpec,
    record: OneOrMany,
    #[serde(default)]
    fields: BTreeMap<Spanned<String>, ValueSpec>,
    #[serde(default)]
    links: Vec<LinkSpec>,
    #[serde(default)]
    when: Vec<WhenSpec>,
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

/// `[record]` (one kind of record) or `[[record]]` (several).
#[derive(Debug, Clone)]
enum OneOrMany {
    One(Box<RecordSpec>),
    Many(Vec<RecordSpec>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a [record] table or [[record]] tables")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<OneOrMany, A::Error> {
                RecordSpec::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|r| OneOrMany::One(Box::new(r)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<OneOrMany, A::Error> {
                Vec::<RecordSpec>::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(OneOrMany::Many)
            }
        }
        d.deserialize_any(Visit)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordSpec {
    #[serde(default)]
    element: Option<Spanned<String>>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    id: Spanned<PathSpec>,
    #[serde(default)]
    slug: Option<Spanned<String>>,
    #[serde(default)]
    fields: BTreeMap<Spanned<String>, ValueSpec>,
    #[serde(default)]
    links: Vec<LinkSpec>,
    #[serde(default)]
    when: Vec<WhenSpec>,
}

/// One path, or a list of them tried in order (fallbacks).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum PathSpec {
    One(String),
    Many(Vec<String>),
}

impl PathSpec {
    fn paths(&self) -> Vec<String> {
        match self {
            PathSpec::One(p) => vec![p.clone()],
            PathSpec::Many(ps) => ps.clone(),
        }
    }
}

/// How one value is found.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueSpec {
    path: Option<Spanned<PathSpec>>,
    template: Option<Spanned<String>>,
    value: Option<Spanned<String>>,
    start: Option<Spanned<PathSpec>>,
    end: Option<Spanned<PathSpec>>,
    #[serde(default)]
    format: DateFormat,
    /// For list fields: split the value at this separator.
    split: Option<Spanned<String>>,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    filters: Vec<Spanned<FilterSpec>>,
    map: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    map_file: Option<Spanned<String>>,
    unmapped: Option<Spanned<Unmapped>>,
}

impl ValueSpec {
    /// Where the entry is written: its first value with a place.
    fn span(&self) -> Option<Range<usize>> {
        [
            self.path.as_ref().map(Spanned::span),
            self.template.as_ref().map(Spanned::span),
            self.value.as_ref().map(Spanned::span),
            self.start.as_ref().map(Spanned::span),
            self.end.as_ref().map(Spanned::span),
            self.map_file.as_ref().map(Spanned::span),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|r| r.start)
    }
}

/// A filter by name (`"lower"`) or a replacement (`{ replace = "regex", with = "…" }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum FilterSpec {
    Name(String),
    Replace(ReplaceSpec),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplaceSpec {
    replace: String,
    #[serde(default)]
    with: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkSpec {
    field: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    slug: Option<ValueSpec>,
    name: Option<ValueSpec>,
    /// The kind a created body (or topic) gets.
    #[serde(rename = "kind")]
    record_kind: Option<Spanned<String>>,
    /// Create the linked record when the archive lacks it (default); when false, a link
    /// to a missing record is an error.
    #[serde(default = "yes")]
    create: bool,
    /// Source value → slug of the archive's record: trusted, never matched again.
    map: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    map_file: Option<Spanned<String>>,
    identifier: Option<IdentifierSpec>,
    #[serde(rename = "match")]
    match_by: Option<Spanned<Vec<String>>>,
    unmatched: Option<Spanned<String>>,
}

/// `identifier = { scheme = "wikidata", path = "…" }`: an external identifier the source
/// gives the linked record.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentifierSpec {
    scheme: Spanned<String>,
    path: Spanned<PathSpec>,
    #[serde(default)]
    filters: Vec<Spanned<FilterSpec>>,
}

/// `[[when]]`: a test a source record must pass to be imported.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhenSpec {
    path: Spanned<PathSpec>,
    #[serde(default)]
    filters: Vec<Spanned<FilterSpec>>,
    equals: Option<Spanned<String>>,
    one_of: Option<Spanned<Vec<String>>>,
    none_of: Option<Spanned<Vec<String>>>,
    matches: Option<Spanned<String>>,
    present: Option<Spanned<bool>>,
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
        "person" => &[
            ("name", Text, true),
            ("summary", Text, false),
            ("aliases", List, false),
            ("wikidata", Identifier(IdScheme::Wikidata), false),
            ("viaf", Identifier(IdScheme::Viaf), false),
            ("isni", Identifier(IdScheme::Isni), false),
            ("gnd", Identifier(IdScheme::Gnd), false),
        ],
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
            ("wikidata", Identifier(IdScheme::Wikidata), false),
            ("viaf", Identifier(IdScheme::Viaf), false),
            ("isni", Identifier(IdScheme::Isni), false),
            ("gnd", Identifier(IdScheme::Gnd), false),
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

/// What is wrong with the mapping: the message and, where one value is at fault, where it
/// is written.
struct Problem {
    at: Option<Range<usize>>,
    message: String,
}

fn at(span: Range<usize>, message: impl Into<String>) -> Problem {
    Problem {
        at: Some(span),
        message: message.into(),
    }
}

fn near(span: Option<Range<usize>>, message: impl Into<String>) -> Problem {
    Problem {
        at: span,
        message: message.into(),
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

/// `[record] element`: one XML name, as the reader gives it (the local name, without a
/// prefix).
fn check_element(e: &Spanned<String>, what: &str) -> Result<(), Problem> {
    let name = e.get_ref();
    let problem = if name.trim().is_empty() {
        "is empty: it would match no element, and an import would read no record; name the XML element that holds one record (e.g. \"visit\")".to_string()
    } else if name.chars().any(char::is_whitespace) {
        format!("= {name:?} holds white space, which no XML name does: it would match no element")
    } else if name.contains(':') {
        format!("= {name:?}: give the element's local name without its prefix (records are matched by local name), or it would match no element")
    } else if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '/' | '@' | '<' | '>' | '"' | '\'' | '=' | '&' | '|'))
    {
        format!("= {name:?}: `{c}` cannot be part of an XML element name, so it would match no element; name one element (e.g. \"visit\")")
    } else {
        return Ok(());
    };
    Err(at(e.span(), format!("{what} element {problem}")))
}

/// A path (`visitor`, `from/@id`, a CSV column), or a list of fallbacks, that can match
/// something.
fn check_paths(p: &Spanned<PathSpec>, what: &str, xml: bool) -> Result<Paths, Problem> {
    let paths = p.get_ref().paths();
    if paths.is_empty() {
        return Err(at(
            p.span(),
            format!("{what}: the list of paths is empty; give at least one"),
        ));
    }
    for path in &paths {
        if let Some(problem) = path_problem(path, xml) {
            return Err(at(p.span(), format!("{what}: path {path:?} {problem}")));
        }
    }
    Ok(Paths(paths))
}

fn template(t: &Spanned<String>, what: &str, xml: bool) -> Result<Vec<Part>, Problem> {
    let parts = parse_template(t.get_ref()).map_err(|e| at(t.span(), format!("{what}: {e}")))?;
    for p in paths_of(&parts) {
        if let Some(problem) = path_problem(&p, xml) {
            return Err(at(
                t.span(),
                format!("{what}: template path {p:?} {problem}"),
            ));
        }
    }
    Ok(parts)
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
fn record_kind(kind: &Spanned<String>, what: &str) -> Result<&'static str, Problem> {
    match kind.get_ref().as_str() {
        "event" => Ok("event"),
        "document" => Ok("document"),
        "person" => Ok("person"),
        "body" => Ok("body"),
        other => Err(at(
            kind.span(),
            format!("{what} type = {other:?}: expected event, document, person or body"),
        )),
    }
}

/// What a mapping is read with: whether its paths are XML ones, the folder its map files
/// are in, and the map files already read.
struct Reader {
    xml: bool,
    folder: PathBuf,
    maps: HashMap<(PathBuf, bool), Arc<ValueMap>>,
}

impl Reader {
    /// One value spec: its paths can match, it gives some text, and its filters and map.
    fn spec(&mut self, spec: &ValueSpec, what: &str) -> Result<Spec, Problem> {
        let xml = self.xml;
        let mut given = Vec::new();
        if let Some(p) = &spec.path {
            given.push(Value::Path(check_paths(p, &format!("{what} path"), xml)?));
        }
        if let Some(t) = &spec.template {
            if t.get_ref().trim().is_empty() {
                return Err(at(
                    t.span(),
                    format!("{what}: the template is empty, so the value would never hold text"),
                ));
            }
            given.push(Value::Template(template(t, what, xml)?));
        }
        if let Some(v) = &spec.value {
            if v.get_ref().trim().is_empty() {
                return Err(at(
                    v.span(),
                    format!("{what}: `value` is empty, which is the same as no value; give the text, or leave the field out"),
                ));
            }
            given.push(Value::Const(v.get_ref().clone()));
        }
        if let Some(s) = &spec.start {
            let start = check_paths(s, &format!("{what} start"), xml)?;
            let end = spec
                .end
                .as_ref()
                .map(|e| check_paths(e, &format!("{what} end"), xml))
                .transpose()?;
            given.push(Value::Range {
                start,
                end,
                format: spec.format,
            });
        } else if let Some(e) = &spec.end {
            return Err(at(e.span(), format!("{what}: `end` needs a `start`")));
        }
        if let Some(s) = &spec.split {
            if s.get_ref().is_empty() {
                return Err(at(
                    s.span(),
                    format!("{what}: `split` is empty, which would split the value into single characters; give the separator (e.g. \";\")"),
                ));
            }
        }
        let value = match given.len() {
            1 => given.remove(0),
            0 => {
                return Err(near(
                    spec.span(),
                    format!(
                    "{what}: give one of `path`, `template`, `value` or (for a date) `start`/`end`"
                ),
                ))
            }
            _ => {
                return Err(near(
                    spec.span(),
                    format!(
                        "{what}: give only one of `path`, `template`, `value` or `start`/`end`"
                    ),
                ))
            }
        };
        let filters = self.filters(&spec.filters, what)?;
        let map = self.map(spec.map.as_ref(), spec.map_file.as_ref(), what, false)?;
        let unmapped = match &spec.unmapped {
            Some(u) if map.is_none() => {
                return Err(at(
                    u.span(),
                    format!("{what}: `unmapped` says what a value missing from the map becomes, but there is no `map` or `map_file`"),
                ))
            }
            Some(u) => *u.get_ref(),
            None => Unmapped::Keep,
        };
        Ok(Spec {
            value,
            transform: Transform {
                filters,
                map,
                unmapped,
            },
        })
    }

    fn filters(&self, specs: &[Spanned<FilterSpec>], what: &str) -> Result<Vec<Filter>, Problem> {
        specs
            .iter()
            .map(|f| {
                match f.get_ref() {
                    FilterSpec::Name(n) => Filter::named(n),
                    FilterSpec::Replace(r) => Filter::replace(&r.replace, &r.with),
                }
                .map_err(|e| at(f.span(), format!("{what} filters: {e}")))
            })
            .collect()
    }

    /// A value map from an inline table and/or a CSV file beside the mapping (the table
    /// wins for a value in both). For links (`slugs`), every target must be a slug.
    fn map(
        &mut self,
        table: Option<&BTreeMap<Spanned<String>, Spanned<String>>>,
        file: Option<&Spanned<String>>,
        what: &str,
        slugs: bool,
    ) -> Result<Option<Arc<ValueMap>>, Problem> {
        if table.is_none() && file.is_none() {
            return Ok(None);
        }
        let mut map = match file {
            Some(f) => {
                let path = transform::map_file_path(&self.folder, f.get_ref())
                    .map_err(|e| at(f.span(), format!("{what}: {e}")))?;
                let key = (path.clone(), slugs);
                match self.maps.get(&key) {
                    Some(m) => (**m).clone(),
                    None => {
                        let m = transform::read_map_file(&path, f.get_ref())
                            .map_err(|e| at(f.span(), format!("{what} map_file: {e}")))?;
                        if slugs {
                            if let Some((from, to)) =
                                m.entries.iter().find(|(_, to)| !is_valid_slug(to))
                            {
                                return Err(at(
                                    f.span(),
                                    format!("{what} map_file: {from:?} maps to {to:?}, which is not a slug (lower-case letters, digits and hyphens)"),
                                ));
                            }
                        }
                        self.maps.insert(key, Arc::new(m.clone()));
                        m
                    }
                }
            }
            None => ValueMap::default(),
        };
        for (from, to) in table.into_iter().flatten() {
            if to.get_ref().trim().is_empty() {
                return Err(at(
                    to.span(),
                    format!(
                        "{what} map: {:?} maps to nothing; give what it becomes",
                        from.get_ref()
                    ),
                ));
            }
            if slugs && !is_valid_slug(to.get_ref()) {
                return Err(at(
                    to.span(),
                    format!("{what} map: {:?} maps to {:?}, which is not a slug (lower-case letters, digits and hyphens)", from.get_ref(), to.get_ref()),
                ));
            }
            map.entries.insert(
                crate::xml::normalize_space(from.get_ref()),
                to.get_ref().clone(),
            );
        }
        if map.entries.len() > transform::MAX_MAP_ENTRIES {
            return Err(near(
                file.map(Spanned::span),
                format!("{what}: the map holds more than {} values; refused (a limit that bounds memory)", transform::MAX_MAP_ENTRIES),
            ));
        }
        Ok(Some(Arc::new(map)))
    }

    /// `[fields]`, checked against the fields a `kind` record has: each one known, `start`
    /// and `end` only for a date, and every field the record needs given.
    fn fields(
        &mut self,
        specs: &BTreeMap<Spanned<String>, ValueSpec>,
        kind: &'static str,
        kind_span: Range<usize>,
        prefix: &str,
    ) -> Result<Vec<Field>, Problem> {
        let allowed = fields_of(kind).expect("known type");
        let mut fields = Vec::new();
        for (name, spec) in specs {
            let what = format!("{prefix}[fields] {}", name.get_ref());
            let Some((_, shape, required)) = allowed.iter().find(|(n, _, _)| n == name.get_ref())
            else {
                let names: Vec<&str> = allowed.iter().map(|(n, _, _)| *n).collect();
                return Err(at(
                    name.span(),
                    format!(
                        "{what}: {} {kind} has no such field; it has {}",
                        if kind == "event" { "an" } else { "a" },
                        names.join(", ")
                    ),
                ));
            };
            let s = self.spec(spec, &what)?;
            if matches!(s.value, Value::Range { .. }) && *shape != Shape::Date {
                return Err(at(
                    name.span(),
                    format!(
                        "{what}: `start`/`end` make a date, and {} is not one",
                        name.get_ref()
                    ),
                ));
            }
            fields.push(Field {
                name: name.get_ref().clone(),
                spec: s,
                format: spec.format,
                split: spec.split.as_ref().map(|s| s.get_ref().clone()),
                required: spec.required || *required,
                shape: *shape,
            });
        }
        for (name, _, required) in allowed.iter() {
            if *required && !specs.contains_key(*name) {
                return Err(at(
                    kind_span,
                    format!("{prefix}[fields] has no `{name}`, which every {kind} needs"),
                ));
            }
        }
        Ok(fields)
    }

    /// One `[[links]]` entry (`what` names it), checked against the link fields of a
    /// `kind` record and, when it creates the record it links to, against what that
    /// record needs; with how it is reconciled.
    fn link(&mut self, l: &LinkSpec, what: &str, kind: &str) -> Result<Link, Problem> {
        let field = l.field.get_ref();
        let Some((_, target, single)) = links_of(kind).iter().find(|(f, _, _)| f == field) else {
            let names: Vec<&str> = links_of(kind).iter().map(|(f, _, _)| *f).collect();
            return Err(at(
                l.field.span(),
                format!(
                    "{what}: a {kind} links through {}",
                    if names.is_empty() {
                        "no field".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        };
        if l.kind.get_ref() != target {
            return Err(at(
                l.kind.span(),
                format!(
                    "{what}: type = {:?}, but {field} links to a {target}",
                    l.kind.get_ref()
                ),
            ));
        }
        let slug = l
            .slug
            .as_ref()
            .map(|s| self.spec(s, &format!("{what} slug")))
            .transpose()?;
        let name = l
            .name
            .as_ref()
            .map(|s| self.spec(s, &format!("{what} name")))
            .transpose()?;
        if slug.is_none() && name.is_none() {
            return Err(at(
                l.field.span(),
                format!("{what}: give a `slug` or a `name` (the slug is then made from the name)"),
            ));
        }
        if l.create {
            if matches!(*target, "document" | "event") {
                return Err(at(
                    l.kind.span(),
                    format!("{what}: a {target} cannot be created from a link; set create = false"),
                ));
            }
            if name.is_none() {
                return Err(at(
                    l.field.span(),
                    format!("{what}: a created {target} needs a `name`"),
                ));
            }
            if *target == "body" {
                let given = l.record_kind.as_ref().map(|k| k.get_ref().as_str());
                if given.is_none_or(|k| BodyKind::from_slug(k).is_none()) {
                    let kinds: Vec<&str> = BodyKind::ALL.iter().map(|k| k.slug()).collect();
                    return Err(near(
                        l.record_kind
                            .as_ref()
                            .map(Spanned::span)
                            .or(Some(l.field.span())),
                        format!(
                            "{what}: kind = {given:?}; a created body needs one of {}",
                            kinds.join(", ")
                        ),
                    ));
                }
            }
        }
        let table = self.map(l.map.as_ref(), l.map_file.as_ref(), what, true)?;
        let identifier = match &l.identifier {
            None => None,
            Some(i) => {
                let Some(scheme) = IdScheme::parse(i.scheme.get_ref()) else {
                    let names: Vec<&str> = IdScheme::ALL.iter().map(|s| s.as_str()).collect();
                    return Err(at(
                        i.scheme.span(),
                        format!(
                            "{what} identifier: scheme = {:?}; use one of {}",
                            i.scheme.get_ref(),
                            names.join(", ")
                        ),
                    ));
                };
                let paths = check_paths(&i.path, &format!("{what} identifier path"), self.xml)?;
                let filters = self.filters(&i.filters, &format!("{what} identifier"))?;
                Some((
                    scheme,
                    Spec {
                        value: Value::Path(paths),
                        transform: Transform {
                            filters,
                            ..Transform::default()
                        },
                    },
                ))
            }
        };
        let match_by = match &l.match_by {
            None => {
                let mut by = Vec::new();
                if identifier.is_some() {
                    by.push(MatchBy::Identifier);
                }
                if name.is_some() {
                    by.push(MatchBy::Name);
                }
                by
            }
            Some(list) => {
                let mut by = Vec::new();
                for m in list.get_ref() {
                    let b = match m.as_str() {
                        "identifier" if identifier.is_none() => {
                            return Err(at(
                                list.span(),
                                format!("{what}: match = \"identifier\" needs `identifier = {{ scheme = \"…\", path = \"…\" }}`"),
                            ))
                        }
                        "identifier" => MatchBy::Identifier,
                        "name" if name.is_none() => {
                            return Err(at(
                                list.span(),
                                format!("{what}: match = \"name\" needs a `name`"),
                            ))
                        }
                        "name" => MatchBy::Name,
                        other => {
                            return Err(at(
                                list.span(),
                                format!("{what}: match = {other:?}; use \"identifier\" and/or \"name\" (or [] for none)"),
                            ))
                        }
                    };
                    if by.contains(&b) {
                        return Err(at(list.span(), format!("{what}: match names {m:?} twice")));
                    }
                    by.push(b);
                }
                by
            }
        };
        let unmatched = match &l.unmatched {
            None if l.create => Unmatched::Create,
            None => Unmatched::Report,
            Some(u) => match u.get_ref().as_str() {
                "create" if !l.create => {
                    return Err(at(
                        u.span(),
                        format!("{what}: unmatched = \"create\" contradicts create = false"),
                    ))
                }
                "create" => Unmatched::Create,
                "report" => Unmatched::Report,
                other => {
                    return Err(at(
                        u.span(),
                        format!("{what}: unmatched = {other:?}; use \"create\" or \"report\""),
                    ))
                }
            },
        };
        Ok(Link {
            field: field.clone(),
            target,
            slug,
            name,
            kind: l.record_kind.as_ref().map(|k| k.get_ref().clone()),
            create: l.create,
            single: *single,
            table,
            identifier,
            match_by,
            unmatched,
        })
    }

    /// One `[[when]]`: a path and exactly one test.
    fn condition(&self, w: &WhenSpec, what: &str) -> Result<Condition, Problem> {
        let paths = check_paths(&w.path, &format!("{what} path"), self.xml)?;
        let filters = self.filters(&w.filters, what)?;
        let mut tests = Vec::new();
        if let Some(e) = &w.equals {
            tests.push(Test::Equals(crate::xml::normalize_space(e.get_ref())));
        }
        if let Some(l) = &w.one_of {
            tests.push(Test::OneOf(
                l.get_ref()
                    .iter()
                    .map(|s| crate::xml::normalize_space(s))
                    .collect(),
            ));
        }
        if let Some(l) = &w.none_of {
            tests.push(Test::NoneOf(
                l.get_ref()
                    .iter()
                    .map(|s| crate::xml::normalize_space(s))
                    .collect(),
            ));
        }
        if let Some(m) = &w.matches {
            let re = transform::compile(m.get_ref())
                .map_err(|e| at(m.span(), format!("{what} matches: {e}")))?;
            tests.push(Test::Matches(re));
        }
        if let Some(p) = &w.present {
            tests.push(Test::Present(*p.get_ref()));
        }
        match tests.len() {
            1 => Ok(Condition {
                paths,
                filters,
                test: tests.remove(0),
            }),
            n => Err(at(
                w.path.span(),
                format!(
                    "{what}: give {} of `equals`, `one_of`, `none_of`, `matches` or `present` (write several [[when]] for several tests)",
                    if n == 0 { "one" } else { "only one" }
                ),
            )),
        }
    }

    /// One kind of record: `prefix` names it in errors (empty for a single `[record]`).
    fn record(
        &mut self,
        r: &RecordSpec,
        fields: &BTreeMap<Spanned<String>, ValueSpec>,
        links: &[LinkSpec],
        when: &[WhenSpec],
        prefix: &str,
    ) -> Result<RecordMap, Problem> {
        let what = if prefix.is_empty() {
            "[record]".to_string()
        } else {
            prefix.trim_end().to_string()
        };
        if let Some(e) = &r.element {
            check_element(e, &what)?;
        }
        let kind = record_kind(&r.kind, &what)?;
        let id = check_paths(&r.id, &format!("{what} id"), self.xml)?;
        let slug = match &r.slug {
            Some(s) if s.get_ref().trim().is_empty() => {
                return Err(at(
                    s.span(),
                    format!("{what} slug is empty: it would give every record the same empty slug; leave it out for \"{{id}}\""),
                ))
            }
            Some(s) => template(s, &format!("{what} slug"), self.xml)?,
            // The id with its fallbacks.
            None => vec![Part::Path(id.clone())],
        };
        let fields = self.fields(fields, kind, r.kind.span(), prefix)?;
        let links = links
            .iter()
            .enumerate()
            .map(|(i, l)| {
                self.link(
                    l,
                    &format!("{prefix}[[links]] #{} ({})", i + 1, l.field.get_ref()),
                    kind,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let when = when
            .iter()
            .enumerate()
            .map(|(i, w)| self.condition(w, &format!("{prefix}[[when]] #{}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RecordMap {
            element: r.element.as_ref().map(|e| e.get_ref().clone()),
            kind,
            id,
            slug,
            fields,
            links,
            when,
        })
    }
}

/// Every path the mapping reads a value from: the ids, fields, links, slugs and tests.
fn reads_of(records: &[RecordMap]) -> HashSet<String> {
    let mut reads = HashSet::new();
    for r in records {
        reads.extend(r.id.0.iter().cloned());
        let mut read = |v: &Value| match v {
            Value::Path(p) => reads.extend(p.0.iter().cloned()),
            Value::Template(parts) => reads.extend(paths_of(parts)),
            Value::Const(_) => {}
            Value::Range { start, end, .. } => {
                reads.extend(start.0.iter().cloned());
                reads.extend(end.iter().flat_map(|e| e.0.iter().cloned()));
            }
        };
        for f in &r.fields {
            read(&f.spec.value);
        }
        for l in &r.links {
            l.slug
                .iter()
                .chain(l.name.iter())
                .chain(l.identifier.iter().map(|(_, s)| s))
                .for_each(|s| read(&s.value));
        }
        for c in &r.when {
            read(&Value::Path(c.paths.clone()));
        }
        reads.extend(paths_of(&r.slug));
    }
    reads
}

impl Mapping {
    /// Reads and checks a mapping; `file` is named in errors, and `map_file`s are read
    /// from its folder.
    pub fn parse(text: &str, file: &str) -> Result<Self, MappingError> {
        let err = |message: String| MappingError {
            file: file.to_string(),
            message,
        };
        let m: MappingFile =
            toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
        check_source_url(&m.source, text, file)?;
        let folder = match Path::new(file).parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let placed = |p: Problem| MappingError {
            file: match p.at {
                Some(span) => format!("{file}:{}", line_column(text, span.start)),
                None => file.to_string(),
            },
            message: p.message,
        };
        let title = &m.source.title;
        if title.get_ref().trim().is_empty() {
            return Err(placed(at(
                title.span(),
                "[source] title is empty; name the collection the records come from",
            )));
        }
        let records = read_records(&m, folder).map_err(placed)?;
        let reads = reads_of(&records);
        Ok(Mapping {
            file: file.to_string(),
            source_title: m.source.title.into_inner(),
            source_url: m.source.url.map(Spanned::into_inner),
            records,
            reads,
        })
    }
}

/// The kinds of record, from `[record]` with the top-level `[fields]`, `[[links]]` and
/// `[[when]]`, or from each `[[record]]` with its own.
fn read_records(m: &MappingFile, folder: PathBuf) -> Result<Vec<RecordMap>, Problem> {
    let specs: Vec<&RecordSpec> = match &m.record {
        OneOrMany::One(r) => vec![r.as_ref()],
        OneOrMany::Many(rs) => rs.iter().collect(),
    };
    let Some(first) = specs.first() else {
        return Err(near(None, "[[record]] is empty: give at least one record"));
    };
    let xml = first.element.is_some();
    if let Some(r) = specs.iter().find(|r| r.element.is_some() != xml) {
        return Err(at(
            r.kind.span(),
            "every [[record]] names an `element` (XML), or none does (CSV)",
        ));
    }
    let mut reader = Reader {
        xml,
        folder,
        maps: HashMap::new(),
    };
    let mut out = Vec::new();
    match &m.record {
        OneOrMany::One(r) => {
            let top = !m.fields.is_empty() || !m.links.is_empty() || !m.when.is_empty();
            let nested = !r.fields.is_empty() || !r.links.is_empty() || !r.when.is_empty();
            if top && nested {
                return Err(at(
                    r.kind.span(),
                    "[record] has its own fields, links or tests and there are top-level ones too; give them in one place",
                ));
            }
            let (f, l, w) = if nested {
                (&r.fields, &r.links, &r.when)
            } else {
                (&m.fields, &m.links, &m.when)
            };
            out.push(reader.record(r, f, l, w, "")?);
        }
        OneOrMany::Many(rs) => {
            if let Some(k) = m.fields.keys().next() {
                return Err(at(
                    k.span(),
                    "with [[record]] tables, give each record's fields as [record.fields] under it",
                ));
            }
            if let Some(l) = m.links.first() {
                return Err(at(
                    l.field.span(),
                    "with [[record]] tables, give each record's links as [[record.links]] under it",
                ));
            }
            if let Some(w) = m.when.first() {
                return Err(at(
                    w.path.span(),
                    "with [[record]] tables, give each record's tests as [[record.when]] under it",
                ));
            }
            for (i, r) in rs.iter().enumerate() {
                let prefix = format!("[[record]] #{} ", i + 1);
                out.push(reader.record(r, &r.fields, &r.links, &r.when, &prefix)?);
            }
        }
    }
    Ok(out)
}
