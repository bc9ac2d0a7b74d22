//! One view struct per page, built from the store. Each is both the page's JSON and the
//! template's context, so field names here are part of the JSON interface.

use crate::commentary::{self, RefLink};
use crate::PublishError;
use dossier_model::*;
use dossier_store::{Backlink, DocumentQuery, EventQuery, RecordType, SectionCitation, Store};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

type Result<T> = std::result::Result<T, PublishError>;

/// The URL path of a record's page.
pub fn url_of(record: RecordType, slug: &str) -> String {
    match record {
        RecordType::Dossier => format!("/dossiers/{slug}"),
        RecordType::Document => format!("/documents/{slug}"),
        RecordType::Body => format!("/bodies/{slug}"),
        RecordType::Person => format!("/people/{slug}"),
        RecordType::Event => format!("/events/{slug}"),
        RecordType::Topic => format!("/topics/{slug}"),
    }
}

/// A date as JSON and readers want it: the EDTF string and the words.
#[derive(Debug, Clone, Serialize)]
pub struct DateView {
    pub edtf: String,
    pub human: String,
}

fn date_view(d: &Option<Edtf>) -> Option<DateView> {
    d.as_ref().map(|d| DateView {
        edtf: d.to_string(),
        human: d.human(),
    })
}

/// A link to a record, with what a reader needs to judge it before following it.
#[derive(Debug, Clone, Serialize)]
pub struct RecordLink {
    #[serde(rename = "type")]
    pub record: RecordType,
    pub slug: String,
    pub title: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind_label: Option<String>,
    /// The EDTF date string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_human: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub badges: Vec<Badge>,
    /// How this record relates to the page's record (`issued-by`, `outcome`…), where that matters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel: Option<String>,
    /// The relation in words, read from the linked record to the page's record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rel_label: Option<String>,
}

/// Words for a link seen from its target: an event whose `outcome` is this document is
/// the event "that produced it".
fn incoming_label(rel: &str) -> String {
    match rel {
        "founded-by" => "set up under this document",
        "outcome" => "produced this document",
        "concerns" => "topic that concerns it",
        "cites" => "cites it",
        "replaces" => "replaces it",
        "implements" => "implements it",
        "responds-to" => "responds to it",
        "part-of" => "part of it",
        "similar" => "similar document",
        "issued-by" => "issued by it",
        "party" => "it is a party",
        "held-by" => "held by it",
        "office" => "held an office in it",
        "author" => "by this person",
        "participant" => "took part",
        "involves" => "topic that involves it",
        "about" => "treats this topic",
        "successor-of" => "successor",
        other => other,
    }
    .to_string()
}

/// A short mark shown beside a document: "not legally binding", "not public".
#[derive(Debug, Clone, Serialize)]
pub struct Badge {
    pub code: &'static str,
    pub label: &'static str,
}

fn badges(d: &Document) -> Vec<Badge> {
    let mut b = Vec::new();
    match d.legal_status {
        LegalStatus::PoliticalCommitment => b.push(Badge {
            code: "not-binding",
            label: "not legally binding",
        }),
        LegalStatus::LegallyBinding => b.push(Badge {
            code: "binding",
            label: "legally binding",
        }),
        LegalStatus::Unknown => {}
    }
    match d.availability {
        Availability::NotPublic => b.push(Badge {
            code: "not-public",
            label: "not public",
        }),
        Availability::Forthcoming => b.push(Badge {
            code: "forthcoming",
            label: "forthcoming",
        }),
        Availability::Public | Availability::Unknown => {}
    }
    if d.date.is_none() {
        b.push(Badge {
            code: "undated",
            label: "date not recorded",
        });
    }
    b
}

fn doc_link(d: &Document) -> RecordLink {
    RecordLink {
        record: RecordType::Document,
        slug: d.slug.clone(),
        title: d.title.clone(),
        url: url_of(RecordType::Document, &d.slug),
        kind: Some(d.kind.slug().into()),
        kind_label: Some(d.kind.label().into()),
        date: d.date.map(|x| x.to_string()),
        date_human: d.date.map(|x| x.human()),
        badges: badges(d),
        rel: None,
        rel_label: None,
    }
}

fn event_link(e: &Event) -> RecordLink {
    RecordLink {
        record: RecordType::Event,
        slug: e.slug.clone(),
        title: e.title.clone(),
        url: url_of(RecordType::Event, &e.slug),
        kind: Some(e.kind.slug().into()),
        kind_label: Some(e.kind.label().into()),
        date: e.date.map(|x| x.to_string()),
        date_human: e.date.map(|x| x.human()),
        badges: match e.public_statement {
            Some(false) => vec![Badge {
                code: "no-statement",
                label: "no public statement",
            }],
            _ => vec![],
        },
        rel: None,
        rel_label: None,
    }
}

fn simple_link(record: RecordType, slug: &str, title: &str) -> RecordLink {
    RecordLink {
        record,
        slug: slug.into(),
        title: title.into(),
        url: url_of(record, slug),
        kind: None,
        kind_label: None,
        date: None,
        date_human: None,
        badges: vec![],
        rel: None,
        rel_label: None,
    }
}

/// Links to records by slug, with titles from the store; a slug the store lacks is kept
/// (titled by its slug) so that a gap is visible rather than silently dropped.
fn links(store: &dyn Store, record: RecordType, slugs: &[String]) -> Result<Vec<RecordLink>> {
    let mut out = Vec::new();
    for s in slugs {
        out.push(full_link(store, record, s)?);
    }
    Ok(out)
}

fn full_link(store: &dyn Store, record: RecordType, slug: &str) -> Result<RecordLink> {
    Ok(match record {
        RecordType::Document => match store.document(slug)? {
            Some(d) => doc_link(&d),
            None => simple_link(record, slug, slug),
        },
        RecordType::Event => match store.event(slug)? {
            Some(e) => event_link(&e),
            None => simple_link(record, slug, slug),
        },
        _ => {
            let title = store
                .title_of(record, slug)?
                .unwrap_or_else(|| slug.to_string());
            simple_link(record, slug, &title)
        }
    })
}

fn backlink(b: &Backlink) -> RecordLink {
    RecordLink {
        record: b.record,
        slug: b.slug.clone(),
        title: b.title.clone(),
        url: url_of(b.record, &b.slug),
        kind: None,
        kind_label: None,
        date: b.date.clone(),
        date_human: b
            .date
            .as_deref()
            .and_then(|d| Edtf::parse(d).ok())
            .map(|d| d.human()),
        badges: vec![],
        rel: Some(b.rel.clone()),
        rel_label: Some(incoming_label(&b.rel)),
    }
}

/// Where a record's facts come from, as shown under "Sources".
#[derive(Debug, Clone, Serialize)]
pub struct ProvenanceView {
    pub trace: Vec<TraceView>,
    pub sources: Vec<Source>,
    pub gaps: Vec<String>,
}

/// A fact's place on the seed page.
#[derive(Debug, Clone, Serialize)]
pub struct TraceView {
    pub section: String,
    pub section_label: String,
    pub section_title: String,
    pub url: String,
    pub quote: String,
    pub fields: Vec<String>,
}

fn provenance(store: &dyn Store, p: &Provenance, dossiers: &[String]) -> Result<ProvenanceView> {
    let mut sections: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    for slug in dossiers {
        if let Some(d) = dossier_store::skip_corrupt(store.dossier(slug))?.flatten() {
            for s in d.all_sections() {
                sections
                    .entry(s.key.clone())
                    .or_insert_with(|| (d.slug.clone(), s.label.clone(), s.title.clone()));
            }
        }
    }
    let trace = p
        .trace
        .iter()
        .map(|t| {
            let (dossier, label, title) = sections.get(&t.section).cloned().unwrap_or_else(|| {
                (
                    dossiers.first().cloned().unwrap_or_default(),
                    String::new(),
                    t.section.clone(),
                )
            });
            TraceView {
                url: format!("/dossiers/{dossier}#{}", t.section),
                section: t.section.clone(),
                section_label: label,
                section_title: title,
                quote: t.quote.clone(),
                fields: t.fields.clone(),
            }
        })
        .collect();
    Ok(ProvenanceView {
        trace,
        sources: p.sources.iter().map(web_source).collect(),
        gaps: p.gaps.clone(),
    })
}

/// A source as pages and their JSON show it: an address that is not an absolute http(s)
/// URL (one stored before the model refused them, or written past it) is left out, so
/// that no page, export or JSON offers it as a link; the page then says the address is
/// not recorded.
pub fn web_source(s: &Source) -> Source {
    Source {
        url: web_url(s.url.as_deref()),
        ..s.clone()
    }
}

/// `url` if it is an absolute http(s) address (`dossier_model::url::check_url`).
pub fn web_url(url: Option<&str>) -> Option<String> {
    url.filter(|u| dossier_model::url::is_web_url(u))
        .map(str::to_string)
}

fn cited_in(c: Vec<SectionCitation>) -> Vec<CitationView> {
    c.into_iter()
        .map(|c| CitationView {
            url: format!("/dossiers/{}#{}", c.dossier, c.key),
            dossier: c.dossier,
            dossier_title: c.dossier_title,
            key: c.key,
            label: c.label,
            title: c.title,
            text: c.text,
        })
        .collect()
}

/// A dossier section that points at a record.
#[derive(Debug, Clone, Serialize)]
pub struct CitationView {
    pub dossier: String,
    pub dossier_title: String,
    pub key: String,
    pub label: String,
    pub title: String,
    pub text: String,
    pub url: String,
}

// ---------------------------------------------------------------- home

/// `/`: the dossiers of the archive.
#[derive(Debug, Serialize)]
pub struct HomeView {
    pub title: String,
    pub dossiers: Vec<dossier_store::DossierSummary>,
    /// Dossiers that sections refer to but the archive does not hold yet.
    pub missing_dossiers: Vec<MissingDossier>,
}

/// A dossier referred to but not in the archive.
#[derive(Debug, Clone, Serialize)]
pub struct MissingDossier {
    pub slug: String,
    pub title: String,
    pub referred_from: String,
}

pub fn home(store: &dyn Store) -> Result<HomeView> {
    let dossiers = store.dossiers()?;
    let mut missing = Vec::new();
    let mut seen = BTreeSet::new();
    for summary in &dossiers {
        if let Some(d) = dossier_store::skip_corrupt(store.dossier(&summary.slug))?.flatten() {
            for s in d.all_sections() {
                for r in &s.references {
                    if let Some(Target::Dossier { slug, title }) = &r.target {
                        if !store.exists(RecordType::Dossier, slug)? && seen.insert(slug.clone()) {
                            missing.push(MissingDossier {
                                slug: slug.clone(),
                                title: title.clone(),
                                referred_from: d.title.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    Ok(HomeView {
        title: "Archive of formal international relations".into(),
        dossiers,
        missing_dossiers: missing,
    })
}

// ---------------------------------------------------------------- dossier

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

// ---------------------------------------------------------------- records

/// `/documents/{slug}`.
#[derive(Debug, Serialize)]
pub struct DocumentView {
    pub slug: String,
    pub title: String,
    pub aliases: Vec<String>,
    pub kind: String,
    pub kind_label: String,
    /// The EDTF date string, or null when not recorded.
    pub date: Option<String>,
    pub date_human: Option<String>,
    pub place: Option<String>,
    pub issued_by: Vec<RecordLink>,
    pub authors: Vec<RecordLink>,
    pub parties: Vec<RecordLink>,
    pub legal_status: LegalStatus,
    pub legal_status_label: String,
    pub availability: Availability,
    pub availability_label: String,
    pub badges: Vec<Badge>,
    pub languages: Vec<String>,
    pub summary: Option<String>,
    pub full_text: Option<String>,
    /// The full text in paragraphs (split at blank lines), as the page shows it.
    pub full_text_paragraphs: Vec<String>,
    pub relations: Vec<RecordLink>,
    pub related_from: Vec<RecordLink>,
    pub dossiers: Vec<RecordLink>,
    /// Topics the document treats.
    pub topics: Vec<RecordLink>,
    pub cited_in: Vec<CitationView>,
    pub provenance: ProvenanceView,
    pub created: Option<String>,
    pub changed: Option<String>,
    /// The Cite block (Chicago, APA, downloads, meta tags); set where the site's address
    /// is known (see `citation::document_page`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cite: Option<crate::citation::CiteView>,
}

pub fn document(store: &dyn Store, slug: &str) -> Result<Option<DocumentView>> {
    let Some(d) = store.document(slug)? else {
        return Ok(None);
    };
    let stamps = store.stamps(RecordType::Document, slug)?;
    let mut relations = Vec::new();
    for r in &d.relations {
        let mut l = full_link(store, RecordType::Document, &r.document)?;
        l.rel = Some(r.kind.slug().into());
        l.rel_label = Some(r.kind.label().into());
        relations.push(l);
    }
    let related_from = store
        .backlinks(RecordType::Document, slug)?
        .iter()
        .map(backlink)
        .collect();
    Ok(Some(DocumentView {
        badges: badges(&d),
        issued_by: links(store, RecordType::Body, &d.issued_by)?,
        authors: links(store, RecordType::Person, &d.authors)?,
        parties: links(store, RecordType::Body, &d.parties)?,
        dossiers: links(store, RecordType::Dossier, &d.dossiers)?,
        topics: links(store, RecordType::Topic, &d.topics)?,
        cited_in: cited_in(store.citations(RecordType::Document, slug)?),
        provenance: provenance(store, &d.provenance, &d.dossiers)?,
        relations,
        related_from,
        kind: d.kind.slug().into(),
        kind_label: d.kind.label().into(),
        date: d.date.map(|x| x.to_string()),
        date_human: d.date.map(|x| x.human()),
        legal_status_label: d.legal_status.label().into(),
        availability_label: d.availability.label().into(),
        slug: d.slug,
        title: d.title,
        aliases: d.aliases,
        place: d.place,
        legal_status: d.legal_status,
        availability: d.availability,
        languages: d.languages,
        summary: d.summary,
        full_text_paragraphs: d
            .full_text
            .as_deref()
            .map(|t| {
                t.split("\n\n")
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        full_text: d.full_text,
        created: stamps.as_ref().map(|s| s.created.clone()),
        changed: stamps.map(|s| s.changed),
        cite: None,
    }))
}

/// A predecessor or successor of a body, with the date of the change.
#[derive(Debug, Serialize)]
pub struct BodyLinkView {
    pub slug: String,
    pub name: String,
    pub url: String,
    pub date: Option<String>,
    pub date_human: Option<String>,
}

/// `/bodies/{slug}`.
#[derive(Debug, Serialize)]
pub struct BodyView {
    pub slug: String,
    pub name: String,
    pub acronyms: Vec<String>,
    pub aliases: Vec<String>,
    pub kind: String,
    pub kind_label: String,
    pub established: Option<DateView>,
    pub ended: Option<DateView>,
    pub founding_document: Option<RecordLink>,
    pub predecessors: Vec<BodyLinkView>,
    pub successors: Vec<BodyLinkView>,
    pub part_of: Option<RecordLink>,
    pub parts: Vec<RecordLink>,
    pub format: Option<String>,
    pub decision_rule: Option<String>,
    pub summary: Option<String>,
    /// Events the body held or met in, in date order.
    pub events: Vec<RecordLink>,
    /// Documents it issued or is party to, in date order.
    pub documents: Vec<RecordLink>,
    pub people: Vec<RecordLink>,
    pub cited_in: Vec<CitationView>,
    pub provenance: ProvenanceView,
}

fn body_links(store: &dyn Store, l: &[BodyLink]) -> Result<Vec<BodyLinkView>> {
    l.iter()
        .map(|b| {
            Ok(BodyLinkView {
                name: store
                    .title_of(RecordType::Body, &b.slug)?
                    .unwrap_or_else(|| b.slug.clone()),
                url: url_of(RecordType::Body, &b.slug),
                slug: b.slug.clone(),
                date: b.date.map(|d| d.to_string()),
                date_human: b.date.map(|d| d.human()),
            })
        })
        .collect()
}

pub fn body(store: &dyn Store, slug: &str) -> Result<Option<BodyView>> {
    let Some(b) = store.body(slug)? else {
        return Ok(None);
    };
    let back = store.backlinks(RecordType::Body, slug)?;
    let mut events = Vec::new();
    let mut documents = Vec::new();
    let mut people = Vec::new();
    let mut parts = Vec::new();
    let mut seen = BTreeSet::new();
    for l in &back {
        if !seen.insert((l.record.as_str(), l.slug.clone())) {
            continue;
        }
        match (l.record, l.rel.as_str()) {
            (RecordType::Event, "held-by") => {
                let mut link = full_link(store, RecordType::Event, &l.slug)?;
                link.rel = Some(l.rel.clone());
                events.push(link)
            }
            (RecordType::Document, "issued-by" | "party") => {
                let mut link = full_link(store, RecordType::Document, &l.slug)?;
                link.rel = Some(l.rel.clone());
                documents.push(link)
            }
            (RecordType::Person, "office") => people.push(backlink(l)),
            (RecordType::Body, "part-of") => parts.push(backlink(l)),
            _ => {}
        }
    }
    Ok(Some(BodyView {
        founding_document: b
            .founding_document
            .as_deref()
            .map(|d| full_link(store, RecordType::Document, d))
            .transpose()?,
        predecessors: body_links(store, &b.predecessors)?,
        successors: body_links(store, &b.successors)?,
        part_of: b
            .part_of
            .as_deref()
            .map(|p| full_link(store, RecordType::Body, p))
            .transpose()?,
        cited_in: cited_in(store.citations(RecordType::Body, slug)?),
        provenance: provenance(store, &b.provenance, &b.dossiers)?,
        established: date_view(&b.established),
        ended: date_view(&b.ended),
        kind: b.kind.slug().into(),
        kind_label: b.kind.label().into(),
        slug: b.slug,
        name: b.name,
        acronyms: b.acronyms,
        aliases: b.aliases,
        format: b.format,
        decision_rule: b.decision_rule,
        summary: b.summary,
        events,
        documents,
        people,
        parts,
    }))
}

/// An office held, with its body linked.
#[derive(Debug, Serialize)]
pub struct OfficeView {
    pub title: String,
    pub body: Option<RecordLink>,
    pub start: Option<DateView>,
    pub end: Option<DateView>,
}

/// `/people/{slug}`.
#[derive(Debug, Serialize)]
pub struct PersonView {
    pub slug: String,
    pub name: String,
    pub offices: Vec<OfficeView>,
    pub summary: Option<String>,
    pub events: Vec<RecordLink>,
    pub documents: Vec<RecordLink>,
    pub cited_in: Vec<CitationView>,
    pub provenance: ProvenanceView,
}

pub fn person(store: &dyn Store, slug: &str) -> Result<Option<PersonView>> {
    let Some(p) = store.person(slug)? else {
        return Ok(None);
    };
    let back = store.backlinks(RecordType::Person, slug)?;
    let mut events = Vec::new();
    let mut documents = Vec::new();
    for l in &back {
        match l.record {
            RecordType::Event => events.push(full_link(store, RecordType::Event, &l.slug)?),
            RecordType::Document => {
                documents.push(full_link(store, RecordType::Document, &l.slug)?)
            }
            _ => {}
        }
    }
    let offices = p
        .offices
        .iter()
        .map(|o| {
            Ok(OfficeView {
                title: o.title.clone(),
                body: o
                    .body
                    .as_deref()
                    .map(|b| full_link(store, RecordType::Body, b))
                    .transpose()?,
                start: date_view(&o.start),
                end: date_view(&o.end),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(PersonView {
        cited_in: cited_in(store.citations(RecordType::Person, slug)?),
        provenance: provenance(store, &p.provenance, &p.dossiers)?,
        slug: p.slug,
        name: p.name,
        offices,
        summary: p.summary,
        events,
        documents,
    }))
}

/// `/events/{slug}`.
#[derive(Debug, Serialize)]
pub struct EventView {
    pub slug: String,
    pub title: String,
    pub kind: String,
    pub kind_label: String,
    /// The EDTF date string, or null when not recorded.
    pub date: Option<String>,
    pub date_human: Option<String>,
    pub bodies: Vec<RecordLink>,
    pub people: Vec<RecordLink>,
    pub level: Option<Level>,
    pub level_label: Option<String>,
    pub place: Option<String>,
    pub outcome_documents: Vec<RecordLink>,
    pub public_statement: Option<bool>,
    pub summary: Option<String>,
    pub cited_in: Vec<CitationView>,
    pub provenance: ProvenanceView,
}

pub fn event(store: &dyn Store, slug: &str) -> Result<Option<EventView>> {
    let Some(e) = store.event(slug)? else {
        return Ok(None);
    };
    Ok(Some(EventView {
        bodies: links(store, RecordType::Body, &e.bodies)?,
        people: links(store, RecordType::Person, &e.people)?,
        outcome_documents: links(store, RecordType::Document, &e.outcome_documents)?,
        cited_in: cited_in(store.citations(RecordType::Event, slug)?),
        provenance: provenance(store, &e.provenance, &e.dossiers)?,
        kind: e.kind.slug().into(),
        kind_label: e.kind.label().into(),
        date: e.date.map(|d| d.to_string()),
        date_human: e.date.map(|d| d.human()),
        level_label: e.level.map(|l| l.label().into()),
        slug: e.slug,
        title: e.title,
        level: e.level,
        place: e.place,
        public_statement: e.public_statement,
        summary: e.summary,
    }))
}

/// `/topics/{slug}`.
#[derive(Debug, Serialize)]
pub struct TopicView {
    pub slug: String,
    pub title: String,
    pub kind: TopicKind,
    pub kind_label: String,
    pub status: TopicStatus,
    pub status_label: String,
    pub as_of: Option<DateView>,
    pub summary: Option<String>,
    pub sections: Vec<CitationView>,
    pub documents: Vec<RecordLink>,
    pub bodies: Vec<RecordLink>,
    pub cited_in: Vec<CitationView>,
    pub provenance: ProvenanceView,
}

pub fn topic(store: &dyn Store, slug: &str) -> Result<Option<TopicView>> {
    let Some(t) = store.topic(slug)? else {
        return Ok(None);
    };
    let mut sections = Vec::new();
    for dslug in &t.dossiers {
        if let Some(d) = dossier_store::skip_corrupt(store.dossier(dslug))?.flatten() {
            for s in d.all_sections() {
                if t.sections.contains(&s.key) {
                    sections.push(CitationView {
                        dossier: d.slug.clone(),
                        dossier_title: d.title.clone(),
                        key: s.key.clone(),
                        label: s.label.clone(),
                        title: s.title.clone(),
                        text: String::new(),
                        url: format!("/dossiers/{}#{}", d.slug, s.key),
                    });
                }
            }
        }
    }
    // Documents that name the topic themselves (imported subject keys) join those the
    // topic names.
    let mut documents = links(store, RecordType::Document, &t.documents)?;
    for b in store.backlinks(RecordType::Topic, slug)? {
        if b.record == RecordType::Document
            && b.rel == "about"
            && !documents.iter().any(|d| d.slug == b.slug)
        {
            let mut l = backlink(&b);
            l.rel = None;
            l.rel_label = None;
            documents.push(l);
        }
    }
    Ok(Some(TopicView {
        documents,
        bodies: links(store, RecordType::Body, &t.bodies)?,
        cited_in: cited_in(store.citations(RecordType::Topic, slug)?),
        provenance: provenance(store, &t.provenance, &t.dossiers)?,
        kind_label: t.kind.label().into(),
        status_label: t.status.label().into(),
        as_of: date_view(&t.as_of),
        slug: t.slug,
        title: t.title,
        kind: t.kind,
        status: t.status,
        summary: t.summary,
        sections,
    }))
}

// ---------------------------------------------------------------- chronology

/// `/dossiers/{slug}/chronology`: every dated event and document, in date order.
#[derive(Debug, Serialize)]
pub struct ChronologyView {
    pub dossier: String,
    pub dossier_title: String,
    /// The filters applied (`body`, `kind`), echoed back.
    pub filter: ChronologyFilter,
    pub entries: Vec<ChronologyEntry>,
    /// Records of the dossier with no date: a gap, listed apart.
    pub undated: Vec<ChronologyEntry>,
    /// Choices for the filter form.
    pub body_choices: Vec<RecordLink>,
    pub kind_choices: Vec<KindChoice>,
}

/// What the chronology is filtered by.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChronologyFilter {
    pub body: Option<String>,
    pub kind: Option<String>,
}

/// A kind to filter by, with its label.
#[derive(Debug, Serialize)]
pub struct KindChoice {
    pub slug: String,
    pub label: String,
}

/// One line of the chronology.
#[derive(Debug, Clone, Serialize)]
pub struct ChronologyEntry {
    pub date: Option<String>,
    pub date_human: Option<String>,
    pub year: Option<i32>,
    #[serde(rename = "type")]
    pub record: RecordType,
    pub kind: String,
    pub kind_label: String,
    pub title: String,
    pub slug: String,
    pub url: String,
    pub badges: Vec<Badge>,
}

pub fn chronology(
    store: &dyn Store,
    slug: &str,
    filter: ChronologyFilter,
) -> Result<Option<ChronologyView>> {
    let Some(d) = store.dossier(slug)? else {
        return Ok(None);
    };
    let bodies: Vec<String> = filter.body.iter().cloned().collect();
    let kinds: Vec<String> = filter.kind.iter().cloned().collect();
    let docs = store.documents(&DocumentQuery {
        dossier: Some(slug.into()),
        kinds: kinds.clone(),
        bodies: bodies.clone(),
    })?;
    let events = store.events(&EventQuery {
        dossier: Some(slug.into()),
        kinds,
        bodies,
        levels: vec![],
    })?;
    let mut all: Vec<(Option<Edtf>, ChronologyEntry)> = Vec::new();
    for doc in &docs {
        let l = doc_link(doc);
        all.push((
            doc.date,
            entry(
                doc.date,
                RecordType::Document,
                doc.kind.slug(),
                doc.kind.label(),
                l,
            ),
        ));
    }
    for e in &events {
        let l = event_link(e);
        all.push((
            e.date,
            entry(e.date, RecordType::Event, e.kind.slug(), e.kind.label(), l),
        ));
    }
    all.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y).then_with(|| a.1.title.cmp(&b.1.title)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.title.cmp(&b.1.title),
    });
    let (dated, undated): (Vec<_>, Vec<_>) = all.into_iter().partition(|(d, _)| d.is_some());
    let mut kind_choices: Vec<KindChoice> = Vec::new();
    let mut seen = BTreeSet::new();
    for doc in store.documents(&DocumentQuery {
        dossier: Some(slug.into()),
        ..Default::default()
    })? {
        if seen.insert(doc.kind.slug()) {
            kind_choices.push(KindChoice {
                slug: doc.kind.slug().into(),
                label: doc.kind.label().into(),
            });
        }
    }
    for e in store.events(&EventQuery {
        dossier: Some(slug.into()),
        ..Default::default()
    })? {
        if seen.insert(e.kind.slug()) {
            kind_choices.push(KindChoice {
                slug: e.kind.slug().into(),
                label: e.kind.label().into(),
            });
        }
    }
    kind_choices.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(Some(ChronologyView {
        dossier: d.slug,
        dossier_title: d.title,
        filter,
        entries: dated.into_iter().map(|(_, e)| e).collect(),
        undated: undated.into_iter().map(|(_, e)| e).collect(),
        body_choices: store
            .bodies(Some(slug))?
            .iter()
            .map(|b| simple_link(RecordType::Body, &b.slug, &b.name))
            .collect(),
        kind_choices,
    }))
}

fn entry(
    date: Option<Edtf>,
    record: RecordType,
    kind: &str,
    kind_label: &str,
    l: RecordLink,
) -> ChronologyEntry {
    ChronologyEntry {
        date: date.map(|d| d.to_string()),
        date_human: date.map(|d| d.human()),
        year: date.and_then(|d| d.year()),
        record,
        kind: kind.into(),
        kind_label: kind_label.into(),
        title: l.title,
        slug: l.slug,
        url: l.url,
        badges: l.badges,
    }
}

// ---------------------------------------------------------------- search

/// `/search?q=…`: results with snippets, facets as links, and paging.
#[derive(Debug, Serialize)]
pub struct SearchView {
    pub query: String,
    pub sort: dossier_search::Sort,
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub pages: usize,
    pub hits: Vec<SearchHitView>,
    pub facets: Vec<FacetGroupView>,
    pub suggestion: Option<String>,
    /// What is wrong with the query, for a person; set instead of results.
    pub error: Option<String>,
    /// The result list as a bibliography file, one link per format: the documents among
    /// the hits (the first [`crate::citation::SEARCH_BIBLIOGRAPHY_LIMIT`], in this order).
    /// Empty when no document matches, or when the search counted no facets.
    pub bibliography: Vec<crate::citation::Download>,
    /// How many documents those files hold.
    pub bibliography_documents: usize,
}

/// One result, with labels for the reader.
#[derive(Debug, Serialize)]
pub struct SearchHitView {
    #[serde(rename = "type")]
    pub record: String,
    pub slug: String,
    pub title: String,
    pub url: String,
    /// The EDTF date.
    pub date: Option<String>,
    pub date_human: Option<String>,
    pub kind: Option<String>,
    pub kind_label: Option<String>,
    /// HTML: escaped text with matched terms in `<mark>`.
    pub snippet: String,
    pub score: f32,
}

/// A facet (kind, decade, year, body, dossier, language) and its values.
#[derive(Debug, Serialize)]
pub struct FacetGroupView {
    pub name: &'static str,
    pub label: &'static str,
    pub values: Vec<FacetValueView>,
}

/// A facet value: its count and the query that narrows to it.
#[derive(Debug, Serialize)]
pub struct FacetValueView {
    pub value: String,
    pub label: String,
    pub count: u64,
    /// The current query with this facet's filter added.
    pub query: String,
}

fn language_name(code: &str) -> String {
    match code {
        "en" => "English".into(),
        "fr" => "French".into(),
        "ru" => "Russian".into(),
        other => other.to_string(),
    }
}

/// Runs a search; a malformed query gives a view with `error` set (not a failure).
pub fn search(
    store: &dyn Store,
    index: &dossier_search::SearchIndex,
    req: &dossier_search::SearchRequest,
) -> Result<SearchView> {
    let results = match index.search(req) {
        Ok(r) => r,
        Err(dossier_search::SearchError::Query(e)) => {
            return Ok(SearchView {
                query: req.query.clone(),
                sort: req.sort,
                total: 0,
                page: 1,
                per_page: req.per_page,
                pages: 0,
                hits: vec![],
                facets: vec![],
                suggestion: None,
                error: Some(e.to_string()),
                bibliography: vec![],
                bibliography_documents: 0,
            })
        }
        Err(e) => return Err(e.into()),
    };
    let hits = results
        .hits
        .into_iter()
        .map(|h| {
            let date = h.date.as_deref().and_then(|d| Edtf::parse(d).ok());
            SearchHitView {
                kind_label: h
                    .kind
                    .as_deref()
                    .and_then(dossier_search::index::kind_label)
                    .map(str::to_string),
                date_human: date.map(|d| d.human()),
                record: h.record,
                slug: h.slug,
                title: h.title,
                url: h.url,
                date: h.date,
                kind: h.kind,
                snippet: h.snippet,
                score: h.score,
            }
        })
        .collect();
    let with = |filter: String| format!("{} {filter}", req.query.trim());
    let f = results.facets;
    let mut facets = Vec::new();
    let mut group = |name: &'static str,
                     label: &'static str,
                     values: Vec<dossier_search::FacetCount>,
                     describe: &dyn Fn(&str) -> Result<(String, String)>|
     -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        let values = values
            .into_iter()
            .map(|v| {
                let (label, filter) = describe(&v.value)?;
                Ok(FacetValueView {
                    query: with(filter),
                    value: v.value,
                    label,
                    count: v.count,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        facets.push(FacetGroupView {
            name,
            label,
            values,
        });
        Ok(())
    };
    group("kind", "Kind", f.kind, &|v| {
        Ok((
            dossier_search::index::kind_label(v)
                .unwrap_or(v)
                .to_string(),
            format!("kind:{v}"),
        ))
    })?;
    group("decade", "Decade", f.decade, &|v| {
        let start: i32 = v.trim_end_matches('s').parse().unwrap_or(0);
        Ok((v.to_string(), format!("date:{start:04}..{:04}", start + 9)))
    })?;
    group("year", "Year", f.year, &|v| {
        Ok((v.to_string(), format!("year:{v}")))
    })?;
    group("body", "Body", f.body, &|v| {
        Ok((
            store
                .title_of(RecordType::Body, v)?
                .unwrap_or_else(|| v.to_string()),
            format!("body:{v}"),
        ))
    })?;
    group("dossier", "Dossier", f.dossier, &|v| {
        Ok((
            store
                .title_of(RecordType::Dossier, v)?
                .unwrap_or_else(|| v.to_string()),
            format!("dossier:{v}"),
        ))
    })?;
    group("lang", "Language", f.lang, &|v| {
        Ok((language_name(v), format!("lang:{v}")))
    })?;
    // The documents among the hits, from the type facet of this same search (no second
    // search); a search without facets (the API's look-ahead page) offers no bibliography.
    let bibliography_documents = f
        .record_type
        .iter()
        .find(|c| c.value == "document")
        .map_or(0, |c| c.count as usize)
        .min(crate::citation::SEARCH_BIBLIOGRAPHY_LIMIT);
    let bibliography = if bibliography_documents == 0 {
        vec![]
    } else {
        crate::citation::search_downloads(&req.query, req.sort)
    };
    Ok(SearchView {
        bibliography,
        bibliography_documents,
        query: results.query,
        sort: req.sort,
        total: results.total,
        page: results.page,
        per_page: results.per_page,
        pages: results.total.div_ceil(results.per_page.max(1)),
        hits,
        facets,
        suggestion: results.suggestion,
        error: None,
    })
}
