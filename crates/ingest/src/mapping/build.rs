//! Building an archive record from one source record's [`Values`]: the id and slug, each
//! field in its shape (text, date, list, yes/no) and controlled vocabulary, the links and
//! the records they create, and the source the record names.

use super::path::{clean, render, Values};
use super::{DateFormat, Field, Link, Mapping, Shape, Value};
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

impl Value {
    /// The text of a value: `Some((text, place, where-from))`.
    fn text(&self, v: &Values, at: Pos) -> Option<(String, Pos, String)> {
        match self {
            Value::Path(p) => v.first(p).map(|(t, pos)| (clean(t), pos, p.clone())),
            Value::Template(parts) => render(parts, v).map(|t| (t, at, "template".to_string())),
            Value::Const(c) => Some((c.clone(), at, "value".to_string())),
            Value::Range { start, .. } => v
                .first(start)
                .map(|(t, pos)| (clean(t), pos, start.clone())),
        }
    }
}

impl Mapping {
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
        let Some(slug_text) = render(&self.slug, v) else {
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
        let linked = match self
            .fields_into(&mut obj, v, at)
            .and_then(|()| self.links_into(&mut obj, v, at))
        {
            Ok(linked) => linked,
            Err(f) => return bad(f.pos, &id, &f.field, f.problem),
        };
        if let Some(d) = dossier {
            obj.insert("dossiers".into(), json!([d]));
        }
        obj.insert("sources".into(), json!([self.source(file, &id)]));
        match self.record_from(Json::Object(obj)) {
            Ok(record) => Item::Record(Box::new(Imported {
                record,
                linked,
                file: file.to_string(),
                pos: at,
                matches: vec![],
            })),
            Err(e) => bad(at, &id, "(record)", e.to_string()),
        }
    }

    /// Puts every field the source record gives into `obj`, and refuses a value outside
    /// its vocabulary or a required field the record lacks.
    fn fields_into(&self, obj: &mut Map<String, Json>, v: &Values, at: Pos) -> Result<(), Fault> {
        for f in &self.fields {
            match field_value(f, v, at)? {
                Some(Json::String(s)) if s.is_empty() => {}
                Some(j) => {
                    if let Some(problem) = check_vocabulary(self.kind, &f.name, &j) {
                        let pos = match &f.value {
                            Value::Path(p) => v.first(p).map_or(at, |(_, pos)| pos),
                            _ => at,
                        };
                        return Err(Fault {
                            pos,
                            field: f.name.clone(),
                            problem,
                        });
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
                return Err(Fault {
                    pos: at,
                    field: from,
                    problem: format!("missing; it gives the {}'s {}", self.kind, f.name),
                });
            }
        }
        Ok(())
    }

    /// Puts the slug of every linked record the source record names into its link field
    /// in `obj`; returns the records the links create.
    fn links_into(
        &self,
        obj: &mut Map<String, Json>,
        v: &Values,
        at: Pos,
    ) -> Result<Vec<Record>, Fault> {
        let mut linked = Vec::new();
        for l in &self.links {
            let name = l.name.as_ref().and_then(|n| n.text(v, at));
            let slug = match &l.slug {
                Some(s) => s.text(v, at).map(|(t, _, _)| slug_for(&t)),
                None => name.as_ref().map(|(t, _, _)| slug_for(t)),
            };
            let Some(slug) = slug.filter(|s| !s.is_empty()) else {
                continue;
            };
            if !is_valid_slug(&slug) {
                return Err(Fault {
                    pos: at,
                    field: l.field.clone(),
                    problem: format!("{slug:?} is not a usable slug"),
                });
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
        Ok(linked)
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

    /// The record of the mapping's type, read from the JSON the fields made.
    fn record_from(&self, json: Json) -> serde_json::Result<Record> {
        match self.kind {
            "event" => serde_json::from_value(json).map(Record::Event),
            "document" => serde_json::from_value(json).map(Record::Document),
            "person" => serde_json::from_value(json).map(Record::Person),
            _ => serde_json::from_value(json).map(Record::Body),
        }
    }

    fn linked_record(&self, l: &Link, slug: &str, name: &str) -> Record {
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
            "person" => Record::Person(linked::person(slug, name, provenance)),
            "topic" => {
                let kind = l.kind.as_deref().and_then(TopicKind::from_slug);
                let kind = kind.unwrap_or(TopicKind::Subject);
                Record::Topic(linked::topic(slug, name, kind, provenance))
            }
            _ => {
                let kind = l.kind.as_deref().and_then(BodyKind::from_slug);
                let kind = kind.unwrap_or(BodyKind::Organisation);
                Record::Body(linked::body(slug, name, kind, provenance))
            }
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

/// One field's value as JSON, read in the field's shape; `None` when the record has none.
fn field_value(f: &Field, v: &Values, at: Pos) -> Result<Option<Json>, Fault> {
    if let Value::Range { start, end, format } = &f.value {
        return Ok(range(start, end.as_deref(), *format, v)?.map(|d| Json::String(d.to_string())));
    }
    let Some((t, pos, from)) = f.value.text(v, at) else {
        return Ok(None);
    };
    Ok(Some(match f.shape {
        Shape::Text => Json::String(t),
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
            json!(items)
        }
    }))
}

/// A date from `start` and `end` (an interval, one day when they are equal); `None`
/// when the record has no start.
fn range(
    start: &str,
    end: Option<&str>,
    format: DateFormat,
    v: &Values,
) -> Result<Option<Edtf>, Fault> {
    let Some((s, spos)) = v.first(start) else {
        return Ok(None);
    };
    let s_date = single_date(s, format, start, spos)?;
    let Some(end) = end else {
        return Ok(Some(Edtf::Date(s_date)));
    };
    let Some((e, epos)) = v.first(end) else {
        return Ok(Some(Edtf::Interval(Bound::Date(s_date), Bound::Unknown)));
    };
    let e_date = single_date(e, format, end, epos)?;
    if e_date == s_date {
        return Ok(Some(Edtf::Date(s_date)));
    }
    if s_date.earliest() > e_date.latest() {
        return Err(Fault {
            pos: epos,
            field: end.into(),
            problem: format!("the end date {e_date} is before the start date {s_date}"),
        });
    }
    Ok(Some(Edtf::Interval(
        Bound::Date(s_date),
        Bound::Date(e_date),
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
