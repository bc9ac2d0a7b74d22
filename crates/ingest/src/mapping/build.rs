//! Building archive records from one source record's [`Values`]: the record filter
//! (`[[when]]`), the id and slug, each field in its shape (text, date, list, yes/no) and
//! controlled vocabulary after its filters and value map, the links (with what each
//! needs for reconciliation, [`LinkMatch`]) and the records they create, and the source
//! the record names.

use super::path::{clean, render, Paths, Values};
use super::{Condition, DateFormat, Field, Link, Mapping, RecordMap, Shape, Spec, Test, Value};
use crate::import::*;
use crate::linked;
use crate::xml::Pos;
use dossier_model::*;
use serde_json::{json, Map, Value as Json};

/// What is wrong with one value of a source record: where it is, the path or field it was
/// read for, and the problem.
struct Fault {
    pos: Pos,
    field: String,
    problem: String,
}

/// A value's text once read, filtered and mapped: (text, where, the path it came from).
type Read = Option<(String, Pos, String)>;

impl Spec {
    /// The text of a value, after its filters and map; `Ok(None)` when the record has
    /// none (an empty element counts as none).
    fn text(&self, v: &Values, at: Pos) -> Result<Read, Fault> {
        let raw = match &self.value {
            Value::Path(p) => p
                .first(v)
                .map(|(t, pos, path)| (clean(t), pos, path.to_string())),
            Value::Template(parts) => render(parts, v).map(|t| (t, at, "template".to_string())),
            Value::Const(c) => Some((c.clone(), at, "value".to_string())),
            Value::Range { start, .. } => start
                .first(v)
                .map(|(t, pos, path)| (clean(t), pos, path.to_string())),
        };
        let Some((text, pos, from)) = raw else {
            return Ok(None);
        };
        self.transform
            .apply(text)
            .map(|t| t.map(|t| (t, pos, from.clone())))
            .map_err(|problem| Fault {
                pos,
                field: from,
                problem,
            })
    }

    /// Every value of a list: each value at the path (or the text split at `split`),
    /// filtered and mapped.
    fn items(&self, split: Option<&str>, v: &Values, at: Pos) -> Result<Vec<String>, Fault> {
        let pieces: Vec<(String, Pos, String)> = match (split, &self.value) {
            (None, Value::Path(p)) => p
                .all(v)
                .into_iter()
                .map(|(t, pos, path)| (clean(t), pos, path.to_string()))
                .collect(),
            _ => {
                let raw = match &self.value {
                    Value::Path(p) => p
                        .first(v)
                        .map(|(t, pos, path)| (clean(t), pos, path.to_string())),
                    Value::Template(parts) => render(parts, v).map(|t| (t, at, "template".into())),
                    Value::Const(c) => Some((c.clone(), at, "value".into())),
                    Value::Range { .. } => None,
                };
                let Some((t, pos, from)) = raw else {
                    return Ok(vec![]);
                };
                match split {
                    Some(sep) => t
                        .split(sep)
                        .map(|s| (s.trim().to_string(), pos, from.clone()))
                        .collect(),
                    None => vec![(t, pos, from)],
                }
            }
        };
        // Each value once, in order; a set keeps a record of 100,000 values linear.
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (t, pos, from) in pieces {
            match self.transform.apply(t) {
                Ok(Some(t)) => {
                    if seen.insert(t.clone()) {
                        out.push(t);
                    }
                }
                Ok(None) => {}
                Err(problem) => {
                    return Err(Fault {
                        pos,
                        field: from,
                        problem,
                    })
                }
            }
        }
        Ok(out)
    }
}

impl Spec {
    /// Every value before filters and map: each value at the path (repeated elements),
    /// or the one text of a template or constant.
    fn raw_all(&self, v: &Values, at: Pos) -> Vec<(String, Pos, String)> {
        match &self.value {
            Value::Path(p) => p
                .all(v)
                .into_iter()
                .map(|(t, pos, path)| (clean(t), pos, path.to_string()))
                .collect(),
            Value::Template(parts) => render(parts, v)
                .map(|t| (t, at, "template".to_string()))
                .into_iter()
                .collect(),
            Value::Const(c) => vec![(c.clone(), at, "value".to_string())],
            Value::Range { .. } => vec![],
        }
    }

    /// One raw value through the filters and map.
    fn finish(&self, raw: &(String, Pos, String)) -> Result<Read, Fault> {
        let (text, pos, from) = raw;
        self.transform
            .apply(text.clone())
            .map(|t| t.map(|t| (t, *pos, from.clone())))
            .map_err(|problem| Fault {
                pos: *pos,
                field: from.clone(),
                problem,
            })
    }
}

impl Condition {
    /// Whether a source record passes the test, or why its value cannot be tested.
    fn holds(&self, v: &Values) -> Result<bool, Fault> {
        let value = match self.paths.first(v) {
            None => None,
            Some((t, pos, path)) => {
                let mut t = clean(t);
                for f in &self.filters {
                    t = f.apply(&t).map_err(|problem| Fault {
                        pos,
                        field: path.to_string(),
                        problem,
                    })?;
                }
                Some(t)
            }
        };
        let value = value.filter(|t| !t.trim().is_empty());
        Ok(match (&self.test, value) {
            (Test::Present(want), v) => v.is_some() == *want,
            (Test::NoneOf(list), Some(t)) => !list.contains(&t),
            (Test::NoneOf(_), None) => true,
            (_, None) => false,
            (Test::Equals(e), Some(t)) => *e == t,
            (Test::OneOf(list), Some(t)) => list.contains(&t),
            (Test::Matches(re), Some(t)) => re.is_match(&t),
        })
    }
}

impl Mapping {
    /// Builds the archive records (and the records they link to) that one source record
    /// gives: every kind of record the mapping makes from `element` (all of them when
    /// `None`, as for a CSV row), each only if its `[[when]]` tests hold. Empty when the
    /// tests leave the source record out. `file` is the source file as named to the
    /// user; `at` where the record starts.
    pub fn build(
        &self,
        element: Option<&str>,
        v: &Values,
        file: &str,
        at: Pos,
        dossier: Option<&str>,
    ) -> Vec<Item> {
        let mut out = Vec::new();
        'records: for r in &self.records {
            if element.is_some() && r.element.as_deref() != element {
                continue;
            }
            for c in &r.when {
                match c.holds(v) {
                    Ok(true) => {}
                    Ok(false) => continue 'records,
                    Err(f) => {
                        let id =
                            r.id.first(v)
                                .map_or("(no id)".to_string(), |(t, _, _)| clean(t));
                        out.push(Item::Bad(RecordError {
                            file: file.to_string(),
                            pos: f.pos,
                            record: id,
                            field: f.field,
                            problem: f.problem,
                        }));
                        continue 'records;
                    }
                }
            }
            out.push(self.build_one(r, v, file, at, dossier));
        }
        out
    }

    fn build_one(
        &self,
        r: &RecordMap,
        v: &Values,
        file: &str,
        at: Pos,
        dossier: Option<&str>,
    ) -> Item {
        let bad = |pos: Pos, record: &str, field: &str, problem: String| {
            Item::Bad(RecordError {
                file: file.to_string(),
                pos,
                record: record.to_string(),
                field: field.to_string(),
                problem,
            })
        };
        let Some((id, _, _)) = r.id.first(v) else {
            return bad(
                at,
                "(no id)",
                &r.id.describe(),
                "missing: this value gives the record's stable id".into(),
            );
        };
        let id = clean(id);
        let Some(slug_text) = render(&r.slug, v) else {
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
                &r.id.describe(),
                format!("{slug_text:?} gives no usable slug (letters or digits needed)"),
            );
        }
        let mut obj = Map::new();
        obj.insert("slug".into(), json!(slug));
        let made = match fields_into(r, &mut obj, v, at)
            .and_then(|()| self.links_into(r, &mut obj, v, at))
        {
            Ok(made) => made,
            Err(f) => return bad(f.pos, &id, &f.field, f.problem),
        };
        if let Some(d) = dossier {
            obj.insert("dossiers".into(), json!([d]));
        }
        obj.insert("sources".into(), json!([self.source(file, &id)]));
        match record_from(r.kind, Json::Object(obj)) {
            Ok(record) => Item::Record(Box::new(Imported {
                record,
                linked: made.linked,
                file: file.to_string(),
                pos: at,
                matches: made.matches,
            })),
            Err(e) => bad(at, &id, "(record)", e.to_string()),
        }
    }

    /// Puts the slug of every linked record the source record names into its link field
    /// in `obj`; returns the records the links create and how each link is reconciled.
    fn links_into(
        &self,
        r: &RecordMap,
        obj: &mut Map<String, Json>,
        v: &Values,
        at: Pos,
    ) -> Result<Made, Fault> {
        let mut made = Made::default();
        let mut in_field = std::collections::HashSet::new();
        for l in &r.links {
            // Every value at the link's paths is a link (repeated elements); slug, name
            // and identifier pair in order.
            let names = l.name.as_ref().map_or(vec![], |n| n.raw_all(v, at));
            let (key_spec, keys) = match (&l.slug, &l.name) {
                (Some(s), _) => (s, s.raw_all(v, at)),
                (None, Some(n)) => (n, names.clone()),
                (None, None) => continue,
            };
            let ids = l
                .identifier
                .as_ref()
                .map_or(vec![], |(_, s)| s.raw_all(v, at));
            for (what, n) in [("name", names.len()), ("identifier", ids.len())] {
                if n > 0 && n != keys.len() && !keys.is_empty() {
                    return Err(Fault {
                        pos: keys[0].1,
                        field: l.field.clone(),
                        problem: format!(
                            "the link's slug gives {} values and its {what} {n}; they pair in order, so they must be as many (is an element missing one?)",
                            keys.len()
                        ),
                    });
                }
            }
            for (i, raw_key) in keys.iter().enumerate() {
                let Some((key, key_pos, _)) = key_spec.finish(raw_key)? else {
                    continue;
                };
                let name = match (&l.name, names.get(i)) {
                    (Some(n), Some(raw)) => n.finish(raw)?,
                    _ => None,
                };
                let table = l.table.as_ref().and_then(|t| t.entries.get(&key));
                let mapped = table.is_some();
                let slug = table.cloned().unwrap_or_else(|| slug_for(&key));
                if slug.is_empty() {
                    continue;
                }
                if !is_valid_slug(&slug) {
                    return Err(Fault {
                        pos: key_pos,
                        field: l.field.clone(),
                        problem: format!("{slug:?} is not a usable slug"),
                    });
                }
                let identifier = match (&l.identifier, ids.get(i)) {
                    (None, _) | (_, None) => None,
                    (Some((scheme, spec)), Some(raw)) => match spec.finish(raw)? {
                        None => None,
                        Some((t, pos, from)) => {
                            Some(ExternalId::new(*scheme, &t).map_err(|problem| Fault {
                                pos,
                                field: from,
                                problem,
                            })?)
                        }
                    },
                };
                if l.single {
                    obj.insert(l.field.clone(), json!(slug));
                } else if in_field.insert((l.field.as_str(), slug.clone())) {
                    // Each slug once per field (a set keeps many repeated links linear).
                    obj.entry(l.field.clone())
                        .or_insert_with(|| json!([]))
                        .as_array_mut()
                        .expect("a list")
                        .push(json!(slug));
                }
                let name = name.map(|(t, _, _)| t);
                let linked = if l.create {
                    let shown = name.clone().unwrap_or_else(|| slug.clone());
                    made.linked
                        .push(self.linked_record(l, &slug, &shown, identifier.clone()));
                    Some(made.linked.len() - 1)
                } else {
                    None
                };
                made.matches.push(LinkMatch {
                    field: l.field.clone(),
                    target: RecordType::parse(l.target).expect("a record type"),
                    slug,
                    linked,
                    name,
                    identifier,
                    mapped,
                    match_by: if mapped { vec![] } else { l.match_by.clone() },
                    unmatched: l.unmatched,
                });
            }
        }
        Ok(made)
    }

    /// The source a record names: the collection, the file and the record's id.
    fn source(&self, file: &str, id: &str) -> Map<String, Json> {
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
        source
    }

    fn linked_record(
        &self,
        l: &Link,
        slug: &str,
        name: &str,
        identifier: Option<ExternalId>,
    ) -> Record {
        let provenance = Provenance {
            claims: Vec::new(),
            trace: vec![],
            sources: vec![Source {
                title: self.source_title.clone(),
                url: self.source_url.clone(),
                fields: vec![],
            }],
            gaps: vec![],
        };
        let (slug, name) = (slug.to_string(), name.to_string());
        match l.target {
            "person" => {
                let mut p = linked::person(slug, name, provenance);
                p.identifiers.extend(identifier);
                Record::Person(p)
            }
            "topic" => {
                let kind = l.kind.as_deref().and_then(TopicKind::from_slug);
                let kind = kind.unwrap_or(TopicKind::Subject);
                Record::Topic(linked::topic(slug, name, kind, provenance))
            }
            _ => {
                let kind = l.kind.as_deref().and_then(BodyKind::from_slug);
                let kind = kind.unwrap_or(BodyKind::Organisation);
                let mut b = linked::body(slug, name, kind, provenance);
                b.identifiers.extend(identifier);
                Record::Body(b)
            }
        }
    }

    /// Links to records that must already exist (`create = false`): (type, slug).
    pub fn required_links<'a>(&self, record: &'a Record) -> Vec<(&'static str, &'a str)> {
        let mut out = Vec::new();
        let kind = record.type_name();
        for r in self.records.iter().filter(|r| r.kind == kind) {
            for l in r.links.iter().filter(|l| !l.create) {
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
        }
        out
    }
}

/// What the links of one record give: the records they create, and one [`LinkMatch`] per
/// link value.
#[derive(Default)]
struct Made {
    linked: Vec<Record>,
    matches: Vec<LinkMatch>,
}

/// The record of a type, read from the JSON the fields made.
fn record_from(kind: &str, json: Json) -> serde_json::Result<Record> {
    match kind {
        "event" => serde_json::from_value(json).map(Record::Event),
        "document" => serde_json::from_value(json).map(Record::Document),
        "person" => serde_json::from_value(json).map(Record::Person),
        _ => serde_json::from_value(json).map(Record::Body),
    }
}

/// Puts every field the source record gives into `obj`, and refuses a value outside its
/// vocabulary or a required field the record lacks.
fn fields_into(
    r: &RecordMap,
    obj: &mut Map<String, Json>,
    v: &Values,
    at: Pos,
) -> Result<(), Fault> {
    for f in &r.fields {
        match field_value(f, v, at)? {
            Some((Json::String(s), _)) if s.is_empty() => {}
            Some((Json::Array(a), _)) if a.is_empty() => {}
            Some((j, pos)) => {
                if let Some(problem) = check_vocabulary(r.kind, &f.name, &j) {
                    return Err(Fault {
                        pos,
                        field: f.name.clone(),
                        problem,
                    });
                }
                if let Shape::Identifier(_) = f.shape {
                    let list = obj
                        .entry("identifiers")
                        .or_insert_with(|| json!([]))
                        .as_array_mut()
                        .expect("a list");
                    list.push(j);
                } else {
                    obj.insert(f.name.clone(), j);
                }
                continue;
            }
            None => {}
        }
        if f.required {
            let from = match &f.spec.value {
                Value::Path(p) => p.describe(),
                Value::Range { start, .. } => start.describe(),
                _ => f.name.clone(),
            };
            return Err(Fault {
                pos: at,
                field: from,
                problem: format!("missing; it gives the {}'s {}", r.kind, f.name),
            });
        }
    }
    Ok(())
}

/// One field's value as JSON, read in the field's shape, with where it was read; `None`
/// when the record has none.
fn field_value(f: &Field, v: &Values, at: Pos) -> Result<Option<(Json, Pos)>, Fault> {
    if let Value::Range { start, end, format } = &f.spec.value {
        return Ok(range(&f.spec, start, end.as_ref(), *format, v)?
            .map(|(d, pos)| (Json::String(d.to_string()), pos)));
    }
    if f.shape == Shape::List {
        let items = f.spec.items(f.split.as_deref(), v, at)?;
        return Ok((!items.is_empty()).then(|| (json!(items), at)));
    }
    let Some((t, pos, from)) = f.spec.text(v, at)? else {
        return Ok(None);
    };
    Ok(Some((
        match f.shape {
            Shape::Text | Shape::List => Json::String(t),
            Shape::Date => match parse_date(&t, f.format) {
                Ok(d) => Json::String(d.to_string()),
                Err(problem) => {
                    return Err(Fault {
                        pos,
                        field: from,
                        problem,
                    })
                }
            },
            Shape::Identifier(scheme) => match ExternalId::new(scheme, &t) {
                Ok(id) => json!(id),
                Err(problem) => {
                    return Err(Fault {
                        pos,
                        field: from,
                        problem,
                    })
                }
            },
            Shape::Bool => match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Json::Bool(true),
                "false" | "no" | "0" => Json::Bool(false),
                _ => {
                    return Err(Fault {
                        pos,
                        field: from,
                        problem: format!("{t:?} is not true or false"),
                    })
                }
            },
        },
        pos,
    )))
}

/// A date from `start` and `end` (an interval, one day when they are equal), each read
/// through the value's filters and map; `None` when the record has no start.
fn range(
    spec: &Spec,
    start: &Paths,
    end: Option<&Paths>,
    format: DateFormat,
    v: &Values,
) -> Result<Option<(Edtf, Pos)>, Fault> {
    let read = |paths: &Paths| -> Result<Option<(String, Pos, String)>, Fault> {
        let Some((t, pos, path)) = paths.first(v) else {
            return Ok(None);
        };
        spec.transform
            .apply(clean(t))
            .map(|t| t.map(|t| (t, pos, path.to_string())))
            .map_err(|problem| Fault {
                pos,
                field: path.to_string(),
                problem,
            })
    };
    let Some((s, spos, spath)) = read(start)? else {
        return Ok(None);
    };
    let s_date = single_date(&s, format, &spath, spos)?;
    let Some(end) = end else {
        return Ok(Some((Edtf::Date(s_date), spos)));
    };
    let Some((e, epos, epath)) = read(end)? else {
        return Ok(Some((
            Edtf::Interval(Bound::Date(s_date), Bound::Unknown),
            spos,
        )));
    };
    let e_date = single_date(&e, format, &epath, epos)?;
    if e_date == s_date {
        return Ok(Some((Edtf::Date(s_date), spos)));
    }
    if s_date.earliest() > e_date.latest() {
        return Err(Fault {
            pos: epos,
            field: epath,
            problem: format!("the end date {e_date} is before the start date {s_date}"),
        });
    }
    Ok(Some((
        Edtf::Interval(Bound::Date(s_date), Bound::Date(e_date)),
        spos,
    )))
}

/// One end of a range: a single date, not an interval.
fn single_date(text: &str, format: DateFormat, path: &str, pos: Pos) -> Result<PartialDate, Fault> {
    let fault = |problem| Fault {
        pos,
        field: path.into(),
        problem,
    };
    match parse_date(&clean(text), format) {
        Ok(Edtf::Date(d)) => Ok(d),
        Ok(_) => Err(fault("expected a single date, not an interval".into())),
        Err(p) => Err(fault(p)),
    }
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
