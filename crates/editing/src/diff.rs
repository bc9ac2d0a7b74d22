//! Field-level differences between two versions of a record, for history pages and the
//! conflict page: each top-level field that changed, in the order the model declares
//! them. Dates and other scalars are compared as values ("1997-05" → "1997-05-27"), lists
//! as sets (what was added, what was removed), long text (summaries, full texts,
//! descriptions, Markdown) word by word.

use dossier_model::RecordType;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    /// The value before (`None`: the field was absent, or the record did not exist).
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub detail: Detail,
}

/// How the values differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "lowercase")]
pub enum Detail {
    /// Compare `before` with `after` whole (a date, a kind, a name, an object).
    Value,
    /// A list: the items only one side has. Both empty: the same items, reordered.
    List {
        added: Vec<Value>,
        removed: Vec<Value>,
    },
    /// Long text, word by word.
    Text(Vec<TextPiece>),
}

/// A run of words in a text diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextPiece {
    pub op: TextOp,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TextOp {
    Same,
    Added,
    Removed,
}

/// Fields whose text is prose, diffed by words however short.
const TEXT_FIELDS: &[&str] = &["summary", "description", "commentary"];

/// A string longer than this (or with a line break) is diffed by words too.
const LONG_TEXT: usize = 120;

/// The top-level fields of each record type, in the model's order (`records.rs`).
pub fn fields(ty: RecordType) -> &'static [&'static str] {
    match ty {
        RecordType::Document => &[
            "slug",
            "title",
            "aliases",
            "kind",
            "date",
            "coverage",
            "place",
            "issued_by",
            "authors",
            "parties",
            "legal_status",
            "availability",
            "languages",
            "summary",
            "texts",
            "relations",
            "dossiers",
            "topics",
            "trace",
            "sources",
            "gaps",
        ],
        RecordType::Body => &[
            "slug",
            "name",
            "acronyms",
            "aliases",
            "kind",
            "established",
            "ended",
            "founding_document",
            "predecessors",
            "successors",
            "part_of",
            "format",
            "decision_rule",
            "summary",
            "identifiers",
            "dossiers",
            "trace",
            "sources",
            "gaps",
        ],
        RecordType::Person => &[
            "slug",
            "name",
            "aliases",
            "offices",
            "summary",
            "identifiers",
            "dossiers",
            "trace",
            "sources",
            "gaps",
        ],
        RecordType::Event => &[
            "slug",
            "title",
            "kind",
            "date",
            "bodies",
            "people",
            "level",
            "place",
            "outcome_documents",
            "public_statement",
            "summary",
            "dossiers",
            "trace",
            "sources",
            "gaps",
        ],
        RecordType::Topic => &[
            "slug",
            "title",
            "kind",
            "status",
            "as_of",
            "summary",
            "sections",
            "documents",
            "bodies",
            "dossiers",
            "trace",
            "sources",
            "gaps",
        ],
        RecordType::Dossier => &["slug", "title", "description", "source", "sections"],
    }
}

/// The record type a model JSON object is, told by the fields the model always writes.
fn guess_type(v: &Value) -> Option<RecordType> {
    let o = v.as_object()?;
    let has = |k: &str| o.contains_key(k);
    Some(if has("legal_status") {
        RecordType::Document
    } else if has("status") && has("kind") {
        RecordType::Topic
    } else if !has("kind") && (has("description") || has("sections")) {
        RecordType::Dossier
    } else if has("name") && has("kind") {
        RecordType::Body
    } else if has("name") {
        RecordType::Person
    } else if has("kind") && has("title") {
        RecordType::Event
    } else {
        return None;
    })
}

/// The fields that differ between two versions of a record (`None`: it did not exist,
/// or was deleted), in the model's field order for the record's type (told from its
/// fields), then any other field by name.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let ty = before.and_then(guess_type).or(after.and_then(guess_type));
    diff_as(ty, before, after)
}

/// [`diff`] for a record of a known type.
pub fn diff_as(
    ty: Option<RecordType>,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Vec<FieldChange> {
    let member = |v: Option<&Value>, k: &str| v.and_then(|v| v.get(k)).cloned();
    let mut names: Vec<String> = ty
        .map(|t| fields(t).iter().map(|f| f.to_string()).collect())
        .unwrap_or_default();
    let mut others: Vec<String> = [before, after]
        .iter()
        .flatten()
        .filter_map(|v| v.as_object())
        .flat_map(|o| o.keys().cloned())
        .filter(|k| !names.contains(k))
        .collect();
    others.sort();
    others.dedup();
    names.extend(others);
    names
        .into_iter()
        .flat_map(|name| {
            let (b, a) = (member(before, &name), member(after, &name));
            // A null member is the same as an absent one (the model omits empty fields).
            let b = b.filter(|v| !v.is_null());
            let a = a.filter(|v| !v.is_null());
            if b == a {
                return Vec::new();
            }
            if ty == Some(RecordType::Dossier) && name == "sections" {
                return sections(b.as_ref(), a.as_ref());
            }
            if ty == Some(RecordType::Document) && name == "texts" {
                return texts(b.as_ref(), a.as_ref());
            }
            let detail = detail(&name, b.as_ref(), a.as_ref());
            vec![FieldChange {
                field: name,
                before: b,
                after: a,
                detail,
            }]
        })
        .collect()
}

/// The members of a section compared one by one, in the model's order.
const SECTION_FIELDS: &[&str] = &[
    "label",
    "title",
    "short_title",
    "commentary",
    "references",
    "lists",
];

/// Where a section sits: its parent's key (`None`: top level), and the section without
/// its children.
struct Placed {
    parent: Option<String>,
    section: Value,
}

/// A dossier's outline as (key, place) in reading order, walked without recursion.
fn outline(sections: Option<&Value>) -> Vec<(String, Placed)> {
    let mut out = Vec::new();
    let top = sections.and_then(Value::as_array).map(|a| a.iter().rev());
    let mut stack: Vec<(Option<String>, &Value)> =
        top.into_iter().flatten().map(|s| (None, s)).collect();
    while let Some((parent, s)) = stack.pop() {
        let key = s
            .get("key")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(children) = s.get("children").and_then(Value::as_array) {
            stack.extend(children.iter().rev().map(|c| (Some(key.clone()), c)));
        }
        let mut section = s.clone();
        if let Some(o) = section.as_object_mut() {
            o.remove("children");
        }
        out.push((key, Placed { parent, section }));
    }
    out
}

/// A dossier's sections diffed section by section (`sections.a-i-1.commentary`, word by
/// word), rather than as one list of whole trees: a section added or removed is one
/// change (`sections.a-i-1`), one moved under another parent is a `parent` change, and one
/// moved among its siblings a `position` change (its place among the siblings both
/// versions share, counting from 0).
fn sections(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let (b, a) = (outline(before), outline(after));
    let find = |list: &[(String, Placed)], key: &str| list.iter().position(|(k, _)| k == key);
    // Siblings both versions share under the same parent, in each version's order.
    let shared = |list: &[(String, Placed)],
                  other: &[(String, Placed)],
                  parent: &Option<String>| {
        list.iter()
            .filter(|(k, p)| {
                &p.parent == parent && find(other, k).is_some_and(|i| &other[i].1.parent == parent)
            })
            .map(|(k, _)| k.clone())
            .collect::<Vec<_>>()
    };
    let mut out = Vec::new();
    for (key, now) in &a {
        let Some(i) = find(&b, key) else {
            out.push(FieldChange {
                field: format!("sections.{key}"),
                before: None,
                after: Some(now.section.clone()),
                detail: Detail::Value,
            });
            continue;
        };
        let was = &b[i].1;
        if was.parent != now.parent {
            out.push(FieldChange {
                field: format!("sections.{key}.parent"),
                before: was.parent.clone().map(Value::from),
                after: now.parent.clone().map(Value::from),
                detail: Detail::Value,
            });
        } else {
            let (old, new) = (shared(&b, &a, &now.parent), shared(&a, &b, &now.parent));
            let (x, y) = (
                old.iter().position(|k| k == key),
                new.iter().position(|k| k == key),
            );
            if x != y {
                out.push(FieldChange {
                    field: format!("sections.{key}.position"),
                    before: x.map(Value::from),
                    after: y.map(Value::from),
                    detail: Detail::Value,
                });
            }
        }
        for f in SECTION_FIELDS {
            let get = |p: &Placed| p.section.get(*f).filter(|v| !v.is_null()).cloned();
            let (x, y) = (get(was), get(now));
            if x != y {
                let detail = detail(f, x.as_ref(), y.as_ref());
                out.push(FieldChange {
                    field: format!("sections.{key}.{f}"),
                    before: x,
                    after: y,
                    detail,
                });
            }
        }
    }
    for (key, was) in &b {
        if find(&a, key).is_none() {
            out.push(FieldChange {
                field: format!("sections.{key}"),
                before: Some(was.section.clone()),
                after: None,
                detail: Detail::Value,
            });
        }
    }
    out
}

/// A document's texts diffed language by language (`texts.fr`), word by word over the
/// text's paragraphs (a heading marked `## `), rather than as one list of whole texts.
fn texts(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let by_lang = |v: Option<&Value>| -> Vec<(String, String)> {
        let list = v
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        list.iter()
            .map(|t| {
                let lang = t.get("lang").and_then(Value::as_str).unwrap_or("");
                let blocks = t.get("blocks").and_then(Value::as_array);
                let text = blocks
                    .into_iter()
                    .flatten()
                    .map(|b| {
                        let words = b.get("text").and_then(Value::as_str).unwrap_or("");
                        if b.get("heading").and_then(Value::as_bool) == Some(true) {
                            format!("## {words}")
                        } else {
                            words.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n\n");
                (lang.to_string(), text)
            })
            .collect()
    };
    let (b, a) = (by_lang(before), by_lang(after));
    let find = |list: &[(String, String)], lang: &str| {
        list.iter().find(|(l, _)| l == lang).map(|(_, t)| t.clone())
    };
    let mut langs: Vec<&str> = b.iter().chain(&a).map(|(l, _)| l.as_str()).collect();
    let mut seen = HashSet::new();
    langs.retain(|l| seen.insert(*l));
    langs
        .into_iter()
        .filter_map(|lang| {
            let (x, y) = (find(&b, lang), find(&a, lang));
            (x != y).then(|| FieldChange {
                field: format!("texts.{lang}"),
                detail: Detail::Text(words(
                    x.as_deref().unwrap_or_default(),
                    y.as_deref().unwrap_or_default(),
                )),
                before: x.map(Value::from),
                after: y.map(Value::from),
            })
        })
        .collect()
}

fn detail(field: &str, before: Option<&Value>, after: Option<&Value>) -> Detail {
    let is_list = |v: Option<&Value>| v.is_none_or(Value::is_array);
    let is_text = |v: Option<&Value>| v.is_none_or(Value::is_string);
    if is_list(before) && is_list(after) {
        let empty = Vec::new();
        let items = |v: Option<&Value>| v.and_then(Value::as_array).unwrap_or(&empty).clone();
        let (b, a) = (items(before), items(after));
        return Detail::List {
            added: missing_from(&a, &b),
            removed: missing_from(&b, &a),
        };
    }
    if is_text(before) && is_text(after) {
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
        let (b, a) = (text(before), text(after));
        let long = |s: &str| s.len() > LONG_TEXT || s.contains('\n');
        if TEXT_FIELDS.contains(&field) || long(&b) || long(&a) {
            return Detail::Text(words(&b, &a));
        }
    }
    Detail::Value
}

/// The items of `of` that `other` lacks, in `of`'s order, each once.
fn missing_from(of: &[Value], other: &[Value]) -> Vec<Value> {
    let there: HashSet<String> = other.iter().map(Value::to_string).collect();
    let mut seen = HashSet::new();
    of.iter()
        .filter(|v| {
            let key = v.to_string();
            !there.contains(&key) && seen.insert(key)
        })
        .cloned()
        .collect()
}

/// A word diff of two texts, runs of the same kind joined.
pub fn words(before: &str, after: &str) -> Vec<TextPiece> {
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_millis(200))
        .diff_words(before, after);
    let mut out: Vec<TextPiece> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            similar::ChangeTag::Equal => TextOp::Same,
            similar::ChangeTag::Insert => TextOp::Added,
            similar::ChangeTag::Delete => TextOp::Removed,
        };
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => out.push(TextPiece {
                op,
                text: change.value().to_string(),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_date_is_compared_as_a_value() {
        let before = json!({"slug": "fa", "title": "Founding Act", "kind": "treaty", "legal_status": "political", "date": "1997-05"});
        let mut after = before.clone();
        after["date"] = json!("1997-05-27");
        let changes = diff(Some(&before), Some(&after));
        assert_eq!(
            changes,
            vec![FieldChange {
                field: "date".into(),
                before: Some(json!("1997-05")),
                after: Some(json!("1997-05-27")),
                detail: Detail::Value,
            }]
        );
    }

    #[test]
    fn lists_are_compared_as_sets() {
        let before =
            json!({"slug": "e", "title": "E", "kind": "meeting", "bodies": ["nrc", "pjc", "nac"]});
        let after =
            json!({"slug": "e", "title": "E", "kind": "meeting", "bodies": ["nac", "nrc", "eapc"]});
        let changes = diff(Some(&before), Some(&after));
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].detail,
            Detail::List {
                added: vec![json!("eapc")],
                removed: vec![json!("pjc")]
            }
        );
        // Reordered only: a change with nothing added or removed.
        let reordered =
            json!({"slug": "e", "title": "E", "kind": "meeting", "bodies": ["pjc", "nac", "nrc"]});
        let changes = diff(Some(&before), Some(&reordered));
        assert_eq!(
            changes[0].detail,
            Detail::List {
                added: vec![],
                removed: vec![]
            }
        );
        // A list that appears: every item added.
        let without = json!({"slug": "e", "title": "E", "kind": "meeting"});
        let changes = diff(Some(&without), Some(&before));
        assert_eq!(
            changes[0].detail,
            Detail::List {
                added: vec![json!("nrc"), json!("pjc"), json!("nac")],
                removed: vec![]
            }
        );
    }

    #[test]
    fn prose_is_compared_word_by_word() {
        let before = json!({"slug": "nrc", "name": "NRC", "kind": "council", "summary": "The NRC will meet at ambassador level."});
        let after = json!({"slug": "nrc", "name": "NRC", "kind": "council", "summary": "The NRC met at ambassador level until 2022."});
        let changes = diff(Some(&before), Some(&after));
        let Detail::Text(pieces) = &changes[0].detail else {
            panic!("{changes:?}")
        };
        let removed: String = pieces
            .iter()
            .filter(|p| p.op == TextOp::Removed)
            .map(|p| p.text.as_str())
            .collect();
        let added: String = pieces
            .iter()
            .filter(|p| p.op == TextOp::Added)
            .map(|p| p.text.as_str())
            .collect();
        assert!(removed.contains("will meet"), "{pieces:?}");
        assert!(
            added.contains("met") && added.contains("2022"),
            "{pieces:?}"
        );
        // The pieces put back together give each side.
        let side = |skip: TextOp| -> String {
            pieces
                .iter()
                .filter(|p| p.op != skip)
                .map(|p| p.text.as_str())
                .collect()
        };
        assert_eq!(
            side(TextOp::Added),
            "The NRC will meet at ambassador level."
        );
        assert_eq!(
            side(TextOp::Removed),
            "The NRC met at ambassador level until 2022."
        );
    }

    #[test]
    fn fields_come_in_the_models_order_and_creation_lists_every_field() {
        let after = json!({"slug": "nrc", "name": "NATO-Russia Council", "kind": "council", "established": "2002-05-28", "summary": "Twenty at the table.", "zzz": 1});
        let changes = diff(None, Some(&after));
        let names: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            names,
            ["slug", "name", "kind", "established", "summary", "zzz"]
        );
        assert!(changes.iter().all(|c| c.before.is_none()));
        // A deletion: every field removed.
        let gone = diff(Some(&after), None);
        assert_eq!(gone.len(), 6);
        assert!(gone.iter().all(|c| c.after.is_none()));
        // Nothing changed, nothing listed; a null member is an absent one.
        let mut same = after.clone();
        same["ended"] = Value::Null;
        assert!(diff(Some(&after), Some(&same)).is_empty());
    }

    fn section(key: &str, title: &str, children: Vec<Value>) -> Value {
        json!({"key": key, "label": "", "title": title, "commentary": format!("About {title}."), "references": [], "lists": [], "children": children})
    }

    fn dossier(sections: Vec<Value>) -> Value {
        json!({"slug": "d", "title": "D", "description": "", "sections": sections})
    }

    #[test]
    fn a_dossiers_outline_is_compared_section_by_section() {
        let before = dossier(vec![
            section(
                "a",
                "A",
                vec![section("a-1", "One", vec![]), section("a-2", "Two", vec![])],
            ),
            section("b", "B", vec![section("b-1", "Gone", vec![])]),
        ]);
        let mut changed_text = section("a-1", "One", vec![]);
        changed_text["commentary"] = json!("About one, revised.");
        let after = dossier(vec![
            section("a", "A", vec![section("a-2", "Two", vec![]), changed_text]),
            section(
                "b",
                "B",
                vec![
                    section("b-2", "New", vec![]),
                    section("a-3", "Moved?", vec![]),
                ],
            ),
        ]);
        let changes = diff(Some(&before), Some(&after));
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "sections.a-2.position",
                "sections.a-1.position",
                "sections.a-1.commentary",
                "sections.b-2",
                "sections.a-3",
                "sections.b-1",
            ]
        );
        assert_eq!(changes[0].before, Some(json!(1)));
        assert_eq!(changes[0].after, Some(json!(0)));
        assert!(matches!(changes[2].detail, Detail::Text(_)));
        assert_eq!(changes[3].before, None);
        assert_eq!(changes[3].after.as_ref().unwrap()["title"], json!("New"));
        assert!(changes[3].after.as_ref().unwrap().get("children").is_none());
        assert_eq!(changes[5].after, None);

        // A section moved under another parent.
        let moved = dossier(vec![
            section("a", "A", vec![section("a-2", "Two", vec![])]),
            section(
                "b",
                "B",
                vec![
                    section("b-1", "Gone", vec![]),
                    section("a-1", "One", vec![]),
                ],
            ),
        ]);
        let changes = diff(Some(&before), Some(&moved));
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].field, "sections.a-1.parent");
        assert_eq!(
            (changes[0].before.clone(), changes[0].after.clone()),
            (Some(json!("a")), Some(json!("b")))
        );
    }

    #[test]
    fn a_documents_texts_are_compared_language_by_language() {
        let doc =
            |texts: Value| json!({"slug": "d", "title": "D", "kind": "treaty", "texts": texts});
        let en = |p: &str| json!({"lang": "en", "blocks": [{"heading": true, "text": "Part"}, {"text": p}]});
        let fr = json!({"lang": "fr", "blocks": [{"text": "Texte"}]});
        let before = doc(json!([en("The Parties agree."), fr]));
        let after = doc(json!([en("The Parties firmly agree.")]));
        let changes = diff_as(Some(RecordType::Document), Some(&before), Some(&after));
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["texts.en", "texts.fr"]);
        assert_eq!(
            changes[0].after,
            Some(json!("## Part\n\nThe Parties firmly agree."))
        );
        let Detail::Text(pieces) = &changes[0].detail else {
            panic!("{changes:?}");
        };
        assert!(pieces
            .iter()
            .any(|p| p.op == TextOp::Added && p.text.contains("firmly")));
        assert_eq!(changes[1].after, None);
        assert_eq!(changes[1].before, Some(json!("Texte")));
    }

    #[test]
    fn every_model_field_is_in_the_order_table() {
        use dossier_model::*;
        let date = Some(Edtf::parse("1997").unwrap());
        let prov = Provenance {
            claims: Vec::new(),
            trace: vec![Trace {
                section: "a".into(),
                quote: "q".into(),
                fields: vec![],
            }],
            sources: vec![Source {
                title: "t".into(),
                url: None,
                fields: vec![],
            }],
            gaps: vec!["g".into()],
        };
        let s = || vec!["x".to_string()];
        let doc = Document {
            collections: Vec::new(),
            coverage: date,
            slug: "d".into(),
            title: "D".into(),
            aliases: s(),
            kind: serde_json::from_value(json!("treaty")).unwrap(),
            date,
            place: Some("p".into()),
            issued_by: s(),
            authors: s(),
            parties: s(),
            legal_status: serde_json::from_value(json!("unknown")).unwrap(),
            availability: serde_json::from_value(json!("unknown")).unwrap(),
            languages: s(),
            summary: Some("s".into()),
            texts: vec![Text::plain("en", "f", None)],
            relations: vec![Relation {
                kind: serde_json::from_value(json!("cites")).unwrap(),
                document: "x".into(),
            }],
            dossiers: s(),
            topics: s(),
            provenance: prov.clone(),
        };
        let body = Body {
            collections: Vec::new(),
            slug: "b".into(),
            name: "B".into(),
            acronyms: s(),
            aliases: s(),
            kind: serde_json::from_value(json!("council")).unwrap(),
            established: date,
            ended: date,
            founding_document: Some("x".into()),
            predecessors: vec![BodyLink {
                slug: "x".into(),
                date,
            }],
            successors: vec![BodyLink {
                slug: "x".into(),
                date,
            }],
            part_of: Some("x".into()),
            format: Some("x".into()),
            decision_rule: Some("x".into()),
            summary: Some("x".into()),
            identifiers: vec![dossier_model::ExternalId {
                scheme: dossier_model::IdScheme::Wikidata,
                value: "Q1".into(),
            }],
            dossiers: s(),
            provenance: prov.clone(),
        };
        let person = Person {
            collections: Vec::new(),
            slug: "p".into(),
            name: "P".into(),
            aliases: s(),
            identifiers: vec![dossier_model::ExternalId {
                scheme: dossier_model::IdScheme::Wikidata,
                value: "Q1".into(),
            }],
            offices: vec![Office {
                title: "t".into(),
                body: None,
                start: None,
                end: None,
            }],
            summary: Some("x".into()),
            dossiers: s(),
            provenance: prov.clone(),
        };
        let event = Event {
            collections: Vec::new(),
            slug: "e".into(),
            title: "E".into(),
            kind: serde_json::from_value(json!("meeting")).unwrap(),
            date,
            bodies: s(),
            people: s(),
            level: Some(serde_json::from_value(json!("ambassadors")).unwrap()),
            place: Some("x".into()),
            outcome_documents: s(),
            public_statement: Some(true),
            summary: Some("x".into()),
            dossiers: s(),
            provenance: prov.clone(),
        };
        let topic = Topic {
            collections: Vec::new(),
            slug: "t".into(),
            title: "T".into(),
            kind: serde_json::from_value(json!("cooperation")).unwrap(),
            status: serde_json::from_value(json!("unknown")).unwrap(),
            as_of: date,
            summary: Some("x".into()),
            sections: s(),
            documents: s(),
            bodies: s(),
            dossiers: s(),
            provenance: prov,
        };
        let dossier = Dossier {
            queries: Vec::new(),
            stale_after_years: None,
            slug: "x".into(),
            title: "X".into(),
            description: "d".into(),
            source: Some("s".into()),
            sections: vec![],
        };
        let cases = [
            (RecordType::Document, serde_json::to_value(&doc).unwrap()),
            (RecordType::Body, serde_json::to_value(&body).unwrap()),
            (RecordType::Person, serde_json::to_value(&person).unwrap()),
            (RecordType::Event, serde_json::to_value(&event).unwrap()),
            (RecordType::Topic, serde_json::to_value(&topic).unwrap()),
            (RecordType::Dossier, serde_json::to_value(&dossier).unwrap()),
        ];
        for (ty, v) in cases {
            let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
            let mut table = fields(ty).to_vec();
            keys.sort();
            table.sort();
            assert_eq!(keys, table, "{ty:?}");
            assert_eq!(guess_type(&v), Some(ty));
        }
    }
}
