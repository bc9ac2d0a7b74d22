//! The static search (issue 27): the server's answers to bare words and to the names of
//! bodies, worked out at export time (`dossier_search::StaticIndex`), written as small
//! scripts the search page loads as it needs them (scripts, not fetched files, so that it
//! works from `file://`): `search/meta.js`, `search/names.js`, one `search/w-….js` per
//! first two letters of a word, and the records in `search/units-N.js` chunks. The page
//! itself lists the dossiers, not every record.

use super::Records;
use crate::html::static_file;
use crate::views::url_of;
use dossier_model::{Edtf, RecordType};
use serde::Serialize;

/// Every record in short form: the search page's list for readers without scripts (its
/// dossiers) and its count.
#[derive(Debug, Serialize)]
pub(super) struct SearchIndex {
    /// Prefix of every `u` from the search page (which sits at the root).
    root: &'static str,
    pub(super) records: Vec<SearchRecord>,
}

/// One record, with short keys to keep the index small.
#[derive(Debug, Serialize)]
pub(super) struct SearchRecord {
    /// The page, relative to the root.
    u: String,
    /// Title or name.
    t: String,
    /// Other names and acronyms.
    #[serde(skip_serializing_if = "String::is_empty")]
    a: String,
    /// Kind label.
    k: String,
    /// Date in words.
    #[serde(skip_serializing_if = "String::is_empty")]
    d: String,
    /// Record type in words.
    y: &'static str,
    /// Summary.
    #[serde(skip_serializing_if = "String::is_empty")]
    x: String,
    /// Its group in the "every record" list (not shown in results).
    #[serde(skip)]
    record: RecordType,
}

impl SearchRecord {
    /// A record with its page, title and type; the other fields empty.
    fn of(record: RecordType, slug: &str, title: &str) -> Self {
        SearchRecord {
            u: static_file(&url_of(record, slug)),
            t: title.to_string(),
            a: String::new(),
            k: String::new(),
            d: String::new(),
            y: record.as_str(),
            x: String::new(),
            record,
        }
    }
}

/// The search page's view.
#[derive(Debug, Serialize)]
pub(super) struct SearchPage<'a> {
    /// How many records the index holds.
    pub(super) count: usize,
    pub(super) groups: Vec<Group<'a>>,
}

#[derive(Debug, Serialize)]
pub(super) struct Group<'a> {
    label: &'static str,
    items: Vec<GroupItem<'a>>,
}

#[derive(Debug, Serialize)]
pub(super) struct GroupItem<'a> {
    /// A site path, for the template's `link` filter.
    url: String,
    title: &'a str,
    kind_label: &'a str,
    date_human: &'a str,
}

const GROUPS: [(RecordType, &str); 6] = [
    (RecordType::Dossier, "Dossiers"),
    (RecordType::Document, "Documents"),
    (RecordType::Body, "Bodies"),
    (RecordType::Person, "People"),
    (RecordType::Event, "Events"),
    (RecordType::Topic, "Topics"),
];

impl SearchIndex {
    /// The page's list for readers without scripts: the dossiers (not every record).
    pub(super) fn groups(&self) -> Vec<Group<'_>> {
        GROUPS[..1]
            .iter()
            .map(|&(record, label)| Group {
                label,
                items: self
                    .records
                    .iter()
                    .filter(|r| r.record == record)
                    .map(|r| GroupItem {
                        url: format!("/{}", r.u.trim_end_matches(".html")),
                        title: &r.t,
                        kind_label: &r.k,
                        date_human: &r.d,
                    })
                    .collect(),
            })
            .filter(|g| !g.items.is_empty())
            .collect()
    }
}

/// The index of every record.
pub(super) fn search_index(all: &Records) -> SearchIndex {
    let human = |d: &Option<Edtf>| d.map(|d| d.human()).unwrap_or_default();
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let mut records = Vec::new();
    records.extend(all.dossiers.iter().map(|d| SearchRecord {
        k: "Dossier".into(),
        x: d.description.clone(),
        ..SearchRecord::of(RecordType::Dossier, &d.slug, &d.title)
    }));
    records.extend(all.documents.iter().map(|d| SearchRecord {
        a: d.aliases.join("; "),
        k: d.kind.label().into(),
        d: human(&d.date),
        x: text(&d.summary),
        ..SearchRecord::of(RecordType::Document, &d.slug, &d.title)
    }));
    records.extend(all.bodies.iter().map(|b| {
        SearchRecord {
            a: b.acronyms
                .iter()
                .chain(&b.aliases)
                .cloned()
                .collect::<Vec<_>>()
                .join("; "),
            k: b.kind.label().into(),
            d: human(&b.established),
            x: text(&b.summary),
            ..SearchRecord::of(RecordType::Body, &b.slug, &b.name)
        }
    }));
    records.extend(all.people.iter().map(|p| {
        SearchRecord {
            a: p.offices
                .iter()
                .map(|o| o.title.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            k: "Person".into(),
            x: text(&p.summary),
            ..SearchRecord::of(RecordType::Person, &p.slug, &p.name)
        }
    }));
    records.extend(all.events.iter().map(|e| SearchRecord {
        a: text(&e.place),
        k: e.kind.label().into(),
        d: human(&e.date),
        x: text(&e.summary),
        ..SearchRecord::of(RecordType::Event, &e.slug, &e.title)
    }));
    records.extend(all.topics.iter().map(|t| SearchRecord {
        k: t.kind.label().into(),
        d: human(&t.as_of),
        x: text(&t.summary),
        ..SearchRecord::of(RecordType::Topic, &t.slug, &t.title)
    }));
    SearchIndex { root: "", records }
}

/// How many units one `search/units-N.js` holds.
pub(super) const UNITS_PER_CHUNK: usize = 2_000;

/// The chunk a word's list is in: its first two characters as hex code points
/// (`pj` → `70-6a`), as `search.js` computes it.
pub(super) fn chunk_key(word: &str) -> String {
    word.chars()
        .take(2)
        .map(|c| format!("{:x}", c as u32))
        .collect::<Vec<_>>()
        .join("-")
}

/// A script that hands `value` to the page's loader under `name`.
fn chunk_script(name: &str, value: &impl Serialize) -> String {
    // `</` cannot end a script element here: JSON escapes nothing of it, so escape `<`.
    let json = serde_json::to_string(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c");
    format!("window.DOSSIER_SEARCH_LOADED({name:?},{json});\n")
}

/// The static search's files: (path under the export's root, contents).
pub(super) fn static_search_files(
    store: &dyn dossier_store::Store,
) -> Result<Vec<(String, String)>, crate::PublishError> {
    let index = dossier_search::StaticIndex::build(store)?;
    let mut files = Vec::new();
    let chunks = index.units.len().div_ceil(UNITS_PER_CHUNK);
    files.push((
        "search/meta.js".to_string(),
        chunk_script(
            "meta",
            &serde_json::json!({"units": index.units.len(), "per_chunk": UNITS_PER_CHUNK}),
        ),
    ));
    for (i, units) in index.units.chunks(UNITS_PER_CHUNK).enumerate() {
        let rows: Vec<serde_json::Value> = units
            .iter()
            .map(|u| {
                let (path, fragment) = u.url.split_once('#').unwrap_or((&u.url, ""));
                let mut file = static_file(path);
                if !fragment.is_empty() {
                    file = format!("{file}#{fragment}");
                }
                let kind = u
                    .kind
                    .as_deref()
                    .and_then(dossier_search::index::kind_label)
                    .unwrap_or(u.record);
                let date = u
                    .date
                    .as_deref()
                    .and_then(|d| Edtf::parse(d).ok())
                    .map(|d| d.human())
                    .unwrap_or_default();
                serde_json::json!([file, u.url, u.title, kind, date])
            })
            .collect();
        files.push((
            format!("search/units-{i}.js"),
            chunk_script(&format!("units-{i}"), &rows),
        ));
    }
    debug_assert_eq!(files.len(), chunks + 1);
    files.push((
        "search/names.js".to_string(),
        chunk_script("names", &index.names),
    ));
    let mut by_chunk: std::collections::BTreeMap<
        String,
        serde_json::Map<String, serde_json::Value>,
    > = Default::default();
    for (word, units) in &index.words {
        by_chunk
            .entry(chunk_key(word))
            .or_default()
            .insert(word.clone(), serde_json::json!(units));
    }
    for (key, words) in by_chunk {
        files.push((
            format!("search/w-{key}.js"),
            chunk_script(&format!("w-{key}"), &words),
        ));
    }
    Ok(files)
}
