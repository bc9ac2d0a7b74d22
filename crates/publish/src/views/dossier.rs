//! A dossier's outline page: sections with their commentary rendered, references
//! resolved (or shown as gaps), generated lists, and how much is still missing.

use super::claims::{claim_views, marked_commentary, SectionClaimView};
use super::holdings::{holdings, Holdings};
use super::links::{card_link, simple_link, Cards};
use super::provenance::web_url;
use super::{url_of, RecordLink, Result};
use crate::commentary::RefLink;
use dossier_model::RecordType;
use dossier_model::{DocumentKind, EventKind, GeneratedList, ListOf, Reference, Section, Target};
use dossier_store::{DocumentQuery, EventQuery, RecordCard, Store};
use serde::Serialize;

/// How many records a generated list shows on the dossier's page; the rest are a link
/// away (`more_url`). A section listing a whole corpus (hundreds of visits) made the
/// outline long to read and slow to build, while fifty is more than most lists hold and
/// enough to see what a long one is about.
pub const LIST_PREVIEW: usize = 50;

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
    /// The searches whose hits belong to the dossier (run by the server, which holds the
    /// index: [`super::run_saved_queries`]).
    pub queries: Vec<super::SavedQueryView>,
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
    /// Its dated sentences (issue 25), aged today; those found in the commentary are
    /// marked there too.
    pub claims: Vec<SectionClaimView>,
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

/// A generated list with its current items: the first [`LIST_PREVIEW`] of them.
#[derive(Debug, Serialize)]
pub struct ListView {
    pub caption: Option<String>,
    pub of: ListOf,
    pub query: GeneratedList,
    pub items: Vec<RecordLink>,
    /// How many records the whole list holds (`items` shows the first of them).
    pub total: usize,
    /// Where the whole list can be read when `items` shows only part of it: the
    /// dossier's chronology, filtered by the list's body and kind where it has one of
    /// each (the chronology filters by one body and one kind, and lists documents and
    /// events together).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more_url: Option<String>,
    /// Whether the page at `more_url` lists exactly this list's records; false when it
    /// lists more (the closest filter the chronology has).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more_exact: Option<bool>,
    /// What the archive holds for the list, against what the page listed (issue 25).
    pub holdings: Holdings,
}

/// The record a reference points at, if it points at one the store could hold.
fn target_key(r: &Reference) -> Option<(RecordType, &str)> {
    Some(match r.target.as_ref()? {
        Target::Document { slug } => (RecordType::Document, slug.as_str()),
        Target::Body { slug } => (RecordType::Body, slug.as_str()),
        Target::Event { slug } => (RecordType::Event, slug.as_str()),
        Target::Topic { slug } => (RecordType::Topic, slug.as_str()),
        Target::Person { slug } => (RecordType::Person, slug.as_str()),
        Target::Dossier { slug, .. } => (RecordType::Dossier, slug.as_str()),
        Target::External { .. } => return None,
    })
}

fn reference_view(cards: &Cards, n: usize, r: &Reference) -> ReferenceView {
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
            let here = cards.has(RecordType::Dossier, slug);
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
        if cards.has(ty, &slug) {
            let link = cards.link(ty, &slug);
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
    v
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

/// A generated list's first [`LIST_PREVIEW`] cards and its length.
type Head = (Vec<RecordCard>, usize);

fn document_query(dossier: &str, l: &GeneratedList) -> DocumentQuery {
    DocumentQuery {
        dossier: Some(dossier.into()),
        kinds: l.kinds.clone(),
        bodies: l.bodies.clone(),
    }
}

/// The heads of every generated list of the outline, in the order [`section_view`]
/// reaches them (a section's lists, then its children's): the document lists asked of the
/// store together, so that it can read the dossier's documents once for all of them.
fn list_heads(store: &dyn Store, dossier: &str, sections: &[Section]) -> Result<Vec<Head>> {
    fn walk<'a>(sections: &'a [Section], out: &mut Vec<&'a GeneratedList>) {
        for s in sections {
            out.extend(&s.lists);
            walk(&s.children, out);
        }
    }
    let mut lists = Vec::new();
    walk(sections, &mut lists);
    let documents: Vec<DocumentQuery> = lists
        .iter()
        .filter(|l| l.of == ListOf::Documents)
        .map(|l| document_query(dossier, l))
        .collect();
    let mut documents = store
        .document_cards_heads(&documents, LIST_PREVIEW)?
        .into_iter();
    lists
        .iter()
        .map(|l| match l.of {
            ListOf::Documents => match documents.next() {
                Some(head) => Ok(head),
                None => Ok(store.document_cards_head(&document_query(dossier, l), LIST_PREVIEW)?),
            },
            ListOf::Events => Ok(store.event_cards_head(
                &EventQuery {
                    dossier: Some(dossier.into()),
                    kinds: l.kinds.clone(),
                    bodies: l.bodies.clone(),
                    levels: l.levels.iter().map(|x| x.slug().to_string()).collect(),
                },
                LIST_PREVIEW,
            )?),
        })
        .collect()
}

fn list_view(cards_of: &Cards, dossier: &str, l: &GeneratedList, (cards, total): Head) -> ListView {
    let (more_url, more_exact) = if total > LIST_PREVIEW {
        let (url, exact) = chronology_for(dossier, l);
        (Some(url), Some(exact))
    } else {
        (None, None)
    };
    ListView {
        caption: l.caption.clone(),
        of: l.of,
        query: l.clone(),
        items: cards.iter().map(card_link).collect(),
        holdings: holdings(l, &cards, total, &|b| {
            cards_of.link(RecordType::Body, b).title
        }),
        total,
        more_url,
        more_exact,
    }
}

/// The chronology page closest to a generated list, and whether it lists exactly the
/// list's records. The chronology filters by one body and one kind and lists documents
/// and events together: a list with one kind (of its own type's vocabulary alone), at
/// most one body and no level is exact; otherwise the filters it can take are kept.
fn chronology_for(dossier: &str, l: &GeneratedList) -> (String, bool) {
    let mut params = Vec::new();
    if let [body] = l.bodies.as_slice() {
        params.push(format!("body={}", query_value(body)));
    }
    let kind_is_its_types_alone = |k: &str| match l.of {
        ListOf::Documents => EventKind::from_slug(k).is_none(),
        ListOf::Events => DocumentKind::from_slug(k).is_none(),
    };
    let mut exact = l.bodies.len() <= 1 && l.levels.is_empty();
    match l.kinds.as_slice() {
        [kind] => {
            params.push(format!("kind={}", query_value(kind)));
            exact &= kind_is_its_types_alone(kind);
        }
        _ => exact = false,
    }
    let mut url = format!("{}/chronology", url_of(RecordType::Dossier, dossier));
    if !params.is_empty() {
        url.push('?');
        url.push_str(&params.join("&"));
    }
    (url, exact)
}

/// A slug as a query-string value. Slugs are lowercase letters, digits and hyphens, so
/// this only guards against a value that is not one.
fn query_value(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The dossier's staleness threshold and today (`YYYYMMDD`), by which claims are aged.
type Dating = (u32, i64);

fn section_view(
    cards: &Cards,
    dating: Dating,
    heads: &mut std::vec::IntoIter<Head>,
    dossier: &str,
    s: &Section,
    depth: usize,
    counts: &mut Counts,
) -> Result<SectionView> {
    let references = s
        .references
        .iter()
        .enumerate()
        .map(|(i, r)| reference_view(cards, i + 1, r))
        .collect::<Vec<_>>();
    counts.references += references.len();
    counts.unresolved_references += references.iter().filter(|r| r.unresolved).count();
    let links: Vec<RefLink> = references.iter().map(ref_link).collect();
    let lists = s
        .lists
        .iter()
        // `list_heads` walked the outline as this does: one head per list.
        .map(|l| list_view(cards, dossier, l, heads.next().unwrap_or_default()))
        .collect::<Vec<_>>();
    let children = s
        .children
        .iter()
        .map(|c| section_view(cards, dating, heads, dossier, c, depth + 1, counts))
        .collect::<Result<Vec<_>>>()?;
    let empty = s.commentary.trim().is_empty()
        && children.is_empty()
        && lists.iter().all(|l| l.items.is_empty());
    if empty {
        counts.empty_sections += 1;
    }
    let (commentary_html, claims) = marked_commentary(
        &s.commentary,
        &links,
        claim_views(&s.claims, dating.0, dating.1),
    );
    Ok(SectionView {
        key: s.key.clone(),
        label: s.label.clone(),
        title: s.title.clone(),
        short_title: s.short_title.clone(),
        commentary: s.commentary.clone(),
        commentary_html,
        references,
        lists,
        claims,
        children,
        depth,
        empty,
    })
}

/// The outline page, built with a number of store reads that depends on the outline (at
/// most one per generated list) and not on how many records the dossier holds: the records
/// the references name are read as cards in one batch per type, lists as the heads of
/// their cards (the first [`LIST_PREVIEW`] and the length; the document lists together,
/// see [`list_heads`]), and the counts come from the dossiers' summary.
pub fn dossier(store: &dyn Store, slug: &str) -> Result<Option<DossierView>> {
    let Some(d) = store.dossier(slug)? else {
        return Ok(None);
    };
    let all = d.all_sections();
    let cards = Cards::fetch(
        store,
        all.iter()
            .flat_map(|s| s.references.iter())
            .filter_map(target_key)
            // The bodies the lists filter by, to name them in what a list holds.
            .chain(all.iter().flat_map(|s| {
                s.lists
                    .iter()
                    .flat_map(|l| l.bodies.iter().map(|b| (RecordType::Body, b.as_str())))
            })),
    )?;
    let mut heads = list_heads(store, &d.slug, &d.sections)?.into_iter();
    let dating = (
        dossier_model::claims::stale_after_years(&d),
        crate::time::today(),
    );
    let mut counts = Counts::default();
    let sections = d
        .sections
        .iter()
        .map(|s| section_view(&cards, dating, &mut heads, &d.slug, s, 2, &mut counts))
        .collect::<Result<Vec<_>>>()?;
    if let Some(summary) = store.dossiers()?.into_iter().find(|s| s.slug == d.slug) {
        counts.documents = summary.documents;
        counts.events = summary.events;
    }
    let index = |record: RecordType| -> Result<Vec<RecordLink>> {
        let mut cards = store.cards_in_dossier(record, slug)?;
        if record != RecordType::Topic {
            // Bodies and people by name, as before; topics in the store's order.
            cards.sort_by(|a, b| a.title.cmp(&b.title));
        }
        Ok(cards
            .iter()
            .map(|c| simple_link(record, &c.slug, &c.title))
            .collect())
    };
    Ok(Some(DossierView {
        bodies: index(RecordType::Body)?,
        people: index(RecordType::Person)?,
        topics: index(RecordType::Topic)?,
        queries: super::saved_queries(&d.queries),
        slug: d.slug,
        title: d.title,
        description: d.description,
        source: d.source,
        sections,
        counts,
    }))
}
