//! The static search: an index of every record (`search-index.js`, loaded as a script so
//! that it works from `file://`) and the search page's list of every record.

use super::Records;
use crate::html::static_file;
use crate::views::url_of;
use dossier_model::{Edtf, RecordType};
use serde::Serialize;

/// The search index: what `search-index.js` holds.
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
    /// `search-index.js`: the index as a script that sets `window.DOSSIER_SEARCH`.
    pub(super) fn script(&self) -> String {
        format!(
            "// The static search's index: every record of the archive.\nwindow.DOSSIER_SEARCH = {};\n",
            serde_json::to_string(self).unwrap_or_else(|_| "{\"root\":\"\",\"records\":[]}".into())
        )
    }

    pub(super) fn groups(&self) -> Vec<Group<'_>> {
        GROUPS
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
