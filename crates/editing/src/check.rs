//! Checking a record typed into a form or sent to the API: its JSON read into the model's
//! type (a type error named by its field path), its slug, then the model's own rules
//! (the same [`Archive::validate`] every import and every store write runs), with slugs
//! the record names looked up in the store.

use crate::error::FieldError;
use dossier_model::archive::succession_errors;
use dossier_model::{Archive, Edtf, Provenance, RecordType, ValidationError};
use dossier_store::Store;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// The provenance members every record but a dossier has (flattened into the record).
const PROVENANCE: [&str; 3] = ["trace", "sources", "gaps"];

/// How many type errors one check reports before it stops looking.
const MAX_TYPE_ERRORS: usize = 20;

/// A record that passed the checks: its JSON as the store keeps it (the model's
/// serialisation, so default members are written out and empty ones left out).
pub(crate) struct Checked {
    pub json: String,
}

/// A date as written in a form, read for a person: `Ok("May 1997")`, or why it is not a
/// date this archive accepts.
pub fn date_reading(s: &str) -> Result<String, String> {
    Edtf::parse(s).map(|d| d.human()).map_err(|e| {
        format!(
            "{} is not a date this archive reads: {}. Write it as 1997, 1997-05, 1997-05-27, with ? (uncertain) or ~ (about) after it, or a range such as 1999/2000.",
            quoted(s.trim()),
            e.reason
        )
    })
}

/// Every check of a record of type `ty` at `slug`, `value` its JSON.
pub(crate) fn check(
    store: &dyn Store,
    ty: RecordType,
    slug: &str,
    value: &Value,
) -> Result<Checked, Vec<FieldError>> {
    let Some(object) = value.as_object() else {
        return Err(vec![FieldError::new(
            "",
            format!("A {} is a JSON object of its fields.", ty.as_str()),
        )]);
    };
    let mut archive = Archive::default();
    let json = match ty {
        RecordType::Document => read(object, ty, |r| archive.documents.push(r))?,
        RecordType::Body => read(object, ty, |r| archive.bodies.push(r))?,
        RecordType::Person => read(object, ty, |r| archive.people.push(r))?,
        RecordType::Event => read(object, ty, |r| archive.events.push(r))?,
        RecordType::Topic => read(object, ty, |r| archive.topics.push(r))?,
        RecordType::Dossier => read(object, ty, |r| archive.dossiers.push(r))?,
    };
    let written = object.get("slug").and_then(Value::as_str).unwrap_or("");
    if written != slug {
        return Err(vec![FieldError::new(
            "slug",
            format!(
                "The slug is {} but this is the address of {}; a record's slug is changed by creating it anew.",
                quoted(written),
                quoted(slug)
            ),
        )]);
    }
    let mut errors = rules(store, &archive, value);
    // A required field sent empty (a form's blank input) reads as the model's type but
    // would make a page without a heading.
    let heading = match ty {
        RecordType::Body | RecordType::Person => "name",
        _ => "title",
    };
    if object
        .get(heading)
        .and_then(Value::as_str)
        .is_some_and(|t| t.trim().is_empty())
    {
        errors.insert(0, FieldError::new(heading, "This field is required."));
    }
    if let Some(b) = archive.bodies.first() {
        // The succession rule again, now with the stored bodies the links name.
        let stored = |s: &str| store.body(s).ok().flatten().and_then(|b| b.established);
        for (field, message) in succession_errors(b, &stored) {
            let e = FieldError::new(field, capitalise(&message));
            if !errors.contains(&e) {
                errors.push(e);
            }
        }
    }
    if errors.is_empty() {
        Ok(Checked { json })
    } else {
        Err(errors)
    }
}

/// Reads `object` as the model's type `T`, collecting up to [`MAX_TYPE_ERRORS`] type
/// errors (each failing member is set aside and the rest read again), and hands the record
/// to `keep`. Returns the record's JSON as the model writes it.
fn read<T: DeserializeOwned + Serialize>(
    object: &Map<String, Value>,
    ty: RecordType,
    keep: impl FnOnce(T),
) -> Result<String, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut rest = object.clone();
    // A flattened member's path is lost inside serde's buffering, so the provenance is
    // read on its own first, where its paths (`sources[2].url`) are known.
    let mut provenance = Provenance::default();
    if ty != RecordType::Dossier {
        let mut members = Map::new();
        for key in PROVENANCE {
            if let Some(v) = rest.remove(key) {
                members.insert(key.to_string(), v);
            }
        }
        let members = Value::Object(members);
        match serde_path_to_error::deserialize::<_, Provenance>(&members) {
            Ok(p) => provenance = p,
            Err(e) => errors.push(field_error(ty, &members, e.path(), &e.inner().to_string())),
        }
    }
    for _ in 0..MAX_TYPE_ERRORS {
        let value = Value::Object(rest.clone());
        match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(record) => {
                if !errors.is_empty() {
                    return Err(errors);
                }
                // Put the provenance back by way of JSON: `T` is generic here.
                let mut v = match serde_json::to_value(&record) {
                    Ok(Value::Object(o)) => o,
                    _ => {
                        return Err(vec![FieldError::new(
                            "",
                            "The record cannot be written as JSON.",
                        )])
                    }
                };
                if let Ok(Value::Object(p)) = serde_json::to_value(&provenance) {
                    v.extend(p);
                }
                let whole: T = serde_json::from_value(Value::Object(v))
                    .map_err(|e| vec![FieldError::new("", e.to_string())])?;
                let json = serde_json::to_string(&whole)
                    .map_err(|e| vec![FieldError::new("", e.to_string())])?;
                keep(whole);
                return Ok(json);
            }
            Err(e) => {
                let error = field_error(ty, &value, e.path(), &e.inner().to_string());
                let top = error
                    .field
                    .split(['.', '['])
                    .next()
                    .unwrap_or("")
                    .to_string();
                let again = errors.iter().any(|x: &FieldError| x.field == error.field);
                if !again {
                    errors.push(error);
                }
                // Set the failing member aside and read the rest; a required member
                // set aside is then reported missing under the same name (skipped above).
                if again || rest.remove(&top).is_none() {
                    break;
                }
            }
        }
    }
    Err(errors)
}

/// A serde error at `path` of `value` as a field error: the path written as the forms
/// name fields (`sources[2].url`), serde's wording made plainer where it names a member,
/// and a date that does not parse explained as [`date_reading`] does.
fn field_error(
    ty: RecordType,
    value: &Value,
    path: &serde_path_to_error::Path,
    message: &str,
) -> FieldError {
    use serde_path_to_error::Segment;
    let mut field = String::new();
    let mut at = Some(value);
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                field.push_str(&format!("[{index}]"));
                at = at.and_then(|v| v.get(index));
            }
            Segment::Map { key } => {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
                at = at.and_then(|v| v.get(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    if message.starts_with("invalid EDTF date") {
        if let Some(Err(reading)) = at.and_then(Value::as_str).map(date_reading) {
            return FieldError::new(field, reading);
        }
    }
    let join = |name: &str| {
        if field.is_empty() {
            name.to_string()
        } else {
            format!("{field}.{name}")
        }
    };
    if let Some(name) = quoted_after(message, "missing field ") {
        return FieldError::new(join(&name), "This field is required.");
    }
    if let Some(name) = quoted_after(message, "unknown field ") {
        let what = if field.is_empty() {
            ty.as_str()
        } else {
            "this part of the record"
        };
        return FieldError::new(
            join(&name),
            format!("There is no field `{name}` in a {what}."),
        );
    }
    FieldError::new(field, plain(message))
}

/// serde's type errors in words for a person who filled in a form: "Expected text, not
/// the number 5.", "“poem” is not one of: treaty, founding-act, …".
fn plain(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        if let Some((got, choices)) = rest.split_once(", expected one of ") {
            return format!(
                "{} is not one of: {}.",
                quoted(got.trim_matches('`')),
                choices.replace('`', "")
            );
        }
    }
    let Some(rest) = message.strip_prefix("invalid type: ") else {
        return capitalise(message);
    };
    let Some((got, expected)) = rest.rsplit_once(", expected ") else {
        return format!("Wrong type: {rest}.");
    };
    let got = if let Some(s) = got.strip_prefix("string ") {
        format!("the text {}", quoted(s.trim_matches('"')))
    } else if let Some(n) = got
        .strip_prefix("integer ")
        .or_else(|| got.strip_prefix("floating point "))
    {
        format!("the number {}", n.trim_matches('`'))
    } else if let Some(b) = got.strip_prefix("boolean ") {
        b.trim_matches('`').to_string()
    } else {
        match got {
            "sequence" => "a list".into(),
            "map" => "an object".into(),
            "unit value" | "null" => "nothing".into(),
            other => other.to_string(),
        }
    };
    let expected = match expected {
        "a string" | "a borrowed string" => "text".to_string(),
        "a sequence" => "a list".into(),
        "a boolean" => "true or false".into(),
        "variant identifier" => "one of the listed values".into(),
        e if e.starts_with("struct ") || e.starts_with("internally tagged enum") => {
            "an object with its fields".into()
        }
        e if e.starts_with("i64") || e.starts_with("u64") || e.starts_with("u32") => {
            "a whole number".into()
        }
        e => e.to_string(),
    };
    format!("Expected {expected}, not {got}.")
}

/// Text in quotation marks, cut to a length a message can show.
fn quoted(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((at, _)) => format!("“{}…”", &s[..at]),
        None => format!("“{s}”"),
    }
}

/// The name in backticks right after `prefix` at the start of a serde message.
fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    Some(rest.split('`').next()?.to_string())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The model's rules over the one record, with the slugs it names looked up in the store.
/// Section keys (a trace's `section`, a topic's `sections`) are checked against the
/// stored dossiers' outlines, which join the archive as bare keys for the purpose; only
/// the record's own errors are answered.
fn rules(store: &dyn Store, archive: &Archive, value: &Value) -> Vec<FieldError> {
    let known = |ty: &str, slug: &str| dossier_store::names_existing(store, ty, slug);
    let traced = value
        .get("trace")
        .and_then(Value::as_array)
        .is_some_and(|t| !t.is_empty());
    let names_sections = archive.dossiers.is_empty()
        && (traced || archive.topics.iter().any(|t| !t.sections.is_empty()));
    let mut archive = archive.clone();
    if names_sections {
        archive.dossiers = outlines(store);
    }
    let (ty, slug) = own(&archive);
    archive
        .validate(&known)
        .into_iter()
        .filter(|e| e.record == ty && e.slug == slug)
        .map(|e| FieldError::new(precise_field(&e, value), capitalise(&e.problem)))
        .collect()
}

/// The type and slug of the one record being checked (a dossier only when it is one).
fn own(a: &Archive) -> (&'static str, String) {
    let first = |ty: &'static str, slug: Option<&String>| slug.map(|s| (ty, s.clone()));
    first("document", a.documents.first().map(|r| &r.slug))
        .or_else(|| first("body", a.bodies.first().map(|r| &r.slug)))
        .or_else(|| first("person", a.people.first().map(|r| &r.slug)))
        .or_else(|| first("event", a.events.first().map(|r| &r.slug)))
        .or_else(|| first("topic", a.topics.first().map(|r| &r.slug)))
        .or_else(|| first("dossier", a.dossiers.first().map(|r| &r.slug)))
        .unwrap_or(("", String::new()))
}

/// The stored dossiers reduced to their section keys (one flat level), which is all the
/// section-key rule reads; unreadable ones are left out (their keys then count as
/// unknown, which the person is told).
fn outlines(store: &dyn Store) -> Vec<dossier_model::Dossier> {
    let summaries = store.dossiers().unwrap_or_default();
    summaries
        .iter()
        .filter_map(|d| store.dossier(&d.slug).ok().flatten())
        .map(|d| dossier_model::Dossier {
            sections: d
                .all_sections()
                .into_iter()
                .map(|s| dossier_model::Section {
                    claims: Vec::new(),
                    key: s.key.clone(),
                    label: String::new(),
                    title: String::new(),
                    short_title: None,
                    commentary: String::new(),
                    references: Vec::new(),
                    lists: Vec::new(),
                    children: Vec::new(),
                })
                .collect(),
            description: String::new(),
            source: None,
            ..d
        })
        .collect()
}

/// The model names a field (`issued_by`, `predecessors/successors`, `offices.body`); a
/// form wants the entry (`issued_by[1]`, `successors[0].slug`): found by the slug the
/// problem names (in backticks).
fn precise_field(e: &ValidationError, value: &Value) -> String {
    let named = e.problem.split('`').nth(1).unwrap_or("");
    let list = |name: &str, member: Option<&str>| -> Option<String> {
        let items = value.get(name)?.as_array()?;
        items.iter().enumerate().find_map(|(i, item)| {
            let v = match member {
                Some(m) => item.get(m)?,
                None => item,
            };
            (v.as_str() == Some(named)).then(|| match member {
                Some(m) => format!("{name}[{i}].{m}"),
                None => format!("{name}[{i}]"),
            })
        })
    };
    let found = match e.field.as_str() {
        "predecessors/successors" => {
            list("predecessors", Some("slug")).or_else(|| list("successors", Some("slug")))
        }
        "offices.body" => list("offices", Some("body")),
        "relations" => list("relations", Some("document")),
        "trace.section" => list("trace", Some("section")),
        f if value.get(f).is_some_and(Value::is_array) => list(f, None),
        _ => None,
    };
    found.unwrap_or_else(|| e.field.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_for_a_person() {
        assert_eq!(date_reading("1997-05").unwrap(), "May 1997");
        assert_eq!(
            date_reading("2002-04-15?").unwrap(),
            "15 April 2002 (uncertain)"
        );
        assert_eq!(date_reading("1999/2000").unwrap(), "1999 – 2000");
        let e = date_reading("1997-13").unwrap_err();
        assert!(e.starts_with("“1997-13” is not a date"), "{e}");
        // A long input is cut in the message.
        let e = date_reading(&"9".repeat(10_000)).unwrap_err();
        assert!(e.len() < 400, "{}", e.len());
        assert_eq!(date_reading(""), Err("“” is not a date this archive reads: empty date. Write it as 1997, 1997-05, 1997-05-27, with ? (uncertain) or ~ (about) after it, or a range such as 1999/2000.".into()));
    }
}
