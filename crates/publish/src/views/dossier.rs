//! A dossier's outline page: sections with their commentary rendered, references
//! resolved (or shown as gaps), generated lists, and how much is still missing.

use super::links::{doc_link, event_link, full_link, simple_link};
use super::provenance::web_url;
use super::{url_of, RecordLink, Result};
use crate::commentary::{self, RefLink};
use dossier_model::{GeneratedList, ListOf, Reference, Section, Target};
use dossier_model::RecordType;
use dossier_store::{DocumentQuery, EventQuery, Store};
use serde::Serialize;

/// `/dossiers/{slug}`: the outline.
#[derive(Debug, Serialize)]
pub struct DossierView {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub source: Option<String>,
    pub sections: Vec<SectionView>,
    pub bodies: Vec<RecordLink>,
    pub people: Vec<RecordLink>,
    pub topics: Vec<RecordLink>,
    pub counts: Counts,
}

/// How much a dossier holds, and how much of it is still a gap.
#[derive(Debug, Default, Serialize)]
pub struct Counts {
    pub documents: usize,
    pub events: usize,
    pub references: usize,
    pub unresolved_references: usize,
    pub empty_sections: usize,
}

/// A section of the outline.
#[derive(Debug, Serialize)]
pub struct SectionView {
    pub key: String,
    pub label: String,
    pub title: String,
    pub short_title: Option<String>,
    /// The commentary as written (Markdown, with `ref:N` links).
    pub commentary: String,
    /// The commentary rendered, references resolved; safe to embed.
    pub commentary_html: String,
    pub references: Vec<ReferenceView>,
    pub lists: Vec<ListView>,
    pub children: Vec<SectionView>,
    /// Heading level for the page (2 for parts).
    pub depth: usize,
    /// True when the archive holds nothing for this section yet.
    pub empty: bool,
}

/// A reference of a section, resolved or marked as a gap.
#[derive(Debug, Serialize)]
pub struct ReferenceView {
    pub n: usize,
    pub text: String,
    /// True for words an editor linked (a mention), false for the page's own references.
    pub mention: bool,
    /// `document`, `body`, `event`, `topic`, `person`, `dossier`, `external`, or
    /// `unresolved` when nobody has said what it points at.
    #[serde(rename = "type")]
    pub target_type: String,
    pub unresolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordLink>,
    /// For a dossier: whether the archive holds it yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_archive: Option<bool>,
    /// A gap a reader should see ("not in the archive yet", "address not recorded").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// A generated list with its current items.
#[derive(Debug, Serialize)]
pub struct ListView {
    pub caption: Option<String>,
    pub of: ListOf,
    pub query: GeneratedList,
    pub items: Vec<RecordLink>,
}

fn reference_view(store: &dyn Store, n: usize, r: &Reference) -> Result<ReferenceView> {
    let mut v = ReferenceView {
        n,
        text: r.text.clone(),
        mention: r.mention,
        target_type: "unresolved".into(),
        unresolved: r.target.is_none(),
        slug: None,
        url: None,
        record: None,
        in_archive: None,
        gap: None,
        title: None,
    };
    let record_target = |ty: RecordType, slug: &String| (ty, slug.clone());
    let rec = match &r.target {
        None => {
            v.gap = Some("not resolved to a record yet".into());
            None
        }
        Some(Target::Document { slug }) => Some(record_target(RecordType::Document, slug)),
        Some(Target::Body { slug }) => Some(record_target(RecordType::Body, slug)),
        Some(Target::Event { slug }) => Some(record_target(RecordType::Event, slug)),
        Some(Target::Topic { slug }) => Some(record_target(RecordType::Topic, slug)),
        Some(Target::Person { slug }) => Some(record_target(RecordType::Person, slug)),
        Some(Target::Dossier { slug, title }) => {
            let here = store.exists(RecordType::Dossier, slug)?;
            v.target_type = "dossier".into();
            v.slug = Some(slug.clone());
            v.title = Some(title.clone());
            v.in_archive = Some(here);
            if here {
                v.url = Some(url_of(RecordType::Dossier, slug));
            } else {
                v.gap = Some("this dossier is not in the archive yet".into());
            }
            None
        }
        Some(Target::External { title, url }) => {
            v.target_type = "external".into();
            v.title = Some(title.clone());
            v.url = web_url(url.as_deref());
            if url.is_none() {
                v.gap = Some("an outside site; its address is not recorded".into());
            } else if v.url.is_none() {
                v.gap = Some("an outside site; its address is not a web address".into());
            }
            None
        }
    };
    if let Some((ty, slug)) = rec {
        v.target_type = ty.as_str().into();
        v.slug = Some(slug.clone());
        if store.exists(ty, &slug)? {
            let link = full_link(store, ty, &slug)?;
            v.url = Some(link.url.clone());
            v.title = Some(link.title.clone());
            v.record = Some(link);
        } else {
            v.gap = Some(format!(
                "the {} `{slug}` is missing from the archive",
                ty.as_str()
            ));
        }
    }
    Ok(v)
}

fn ref_link(v: &ReferenceView) -> RefLink {
    match (&v.url, &v.gap) {
        (Some(url), _) => {
            let mut title = v.title.clone().unwrap_or_default();
            if let Some(r) = &v.record {
                for extra in [&r.kind_label, &r.date_human].into_iter().flatten() {
                    title.push_str(" — ");
                    title.push_str(extra);
                }
            }
            RefLink::Link {
                href: url.clone(),
                class: if v.target_type == "external" {
                    "ref external"
                } else {
                    "ref"
                },
                title,
            }
        }
        (None, Some(gap)) => RefLink::Gap { note: gap.clone() },
        (None, None) => RefLink::Gap {
            note: "not resolved".into(),
        },
    }
}

fn list_view(store: &dyn Store, dossier: &str, l: &GeneratedList) -> Result<ListView> {
    let items = match l.of {
        ListOf::Documents => store
            .documents(&DocumentQuery {
                dossier: Some(dossier.into()),
                kinds: l.kinds.clone(),
                bodies: l.bodies.clone(),
            })?
            .iter()
            .map(doc_link)
            .collect(),
        ListOf::Events => store
            .events(&EventQuery {
                dossier: Some(dossier.into()),
                kinds: l.kinds.clone(),
                bodies: l.bodies.clone(),
                levels: l.levels.iter().map(|x| x.slug().to_string()).collect(),
            })?
            .iter()
            .map(event_link)
            .collect(),
    };
    Ok(ListView {
        caption: l.caption.clone(),
        of: l.of,
        query: l.clone(),
        items,
    })
}

fn section_view(
    store: &dyn Store,
    dossier: &str,
    s: &Section,
    depth: usize,
    counts: &mut Counts,
) -> Result<SectionView> {
    let references = s
        .references
        .iter()
        .enumerate()
        .map(|(i, r)| reference_view(store, i + 1, r))
        .collect::<Result<Vec<_>>>()?;
    counts.references += references.len();
    counts.unresolved_references += references.iter().filter(|r| r.unresolved).count();
    let links: Vec<RefLink> = references.iter().map(ref_link).collect();
    let lists = s
        .lists
        .iter()
        .map(|l| list_view(store, dossier, l))
        .collect::<Result<Vec<_>>>()?;
    let children = s
        .children
        .iter()
        .map(|c| section_view(store, dossier, c, depth + 1, counts))
        .collect::<Result<Vec<_>>>()?;
    let empty = s.commentary.trim().is_empty()
        && children.is_empty()
        && lists.iter().all(|l| l.items.is_empty());
    if empty {
        counts.empty_sections += 1;
    }
    Ok(SectionView {
        key: s.key.clone(),
        label: s.label.clone(),
        title: s.title.clone(),
        short_title: s.short_title.clone(),
        commentary: s.commentary.clone(),
        commentary_html: commentary::render(&s.commentary, &links),
        references,
        lists,
        children,
        depth,
        empty,
    })
}

pub fn dossier(store: &dyn Store, slug: &str) -> Result<Option<DossierView>> {
    let Some(d) = store.dossier(slug)? else {
        return Ok(None);
    };
    let mut counts = Counts::default();
    let sections = d
        .sections
        .iter()
        .map(|s| section_view(store, &d.slug, s, 2, &mut counts))
        .collect::<Result<Vec<_>>>()?;
    counts.documents = store
        .documents(&DocumentQuery {
            dossier: Some(d.slug.clone()),
            ..Default::default()
        })?
        .len();
    counts.events = store
        .events(&EventQuery {
            dossier: Some(d.slug.clone()),
            ..Default::default()
        })?
        .len();
    Ok(Some(DossierView {
        bodies: store
            .bodies(Some(slug))?
            .iter()
            .map(|b| simple_link(RecordType::Body, &b.slug, &b.name))
            .collect(),
        people: store
            .people(Some(slug))?
            .iter()
            .map(|p| simple_link(RecordType::Person, &p.slug, &p.name))
            .collect(),
        topics: store
            .topics(Some(slug))?
            .iter()
            .map(|t| simple_link(RecordType::Topic, &t.slug, &t.title))
            .collect(),
        slug: d.slug,
        title: d.title,
        description: d.description,
        source: d.source,
        sections,
        counts,
    }))
}
