//! Where a record's facts come from and which dossier sections cite it: the "Sources"
//! and "Cited in" parts shared by every record page, and the rule that only web
//! addresses are offered as links.

use super::claims::{record_claims, ClaimView};
use super::Result;
use dossier_model::{Provenance, Source};
use dossier_store::{SectionCitation, Store};
use serde::Serialize;
use std::collections::BTreeMap;

/// Where a record's facts come from, as shown under "Sources".
#[derive(Debug, Clone, Serialize)]
pub struct ProvenanceView {
    pub trace: Vec<TraceView>,
    pub sources: Vec<Source>,
    pub gaps: Vec<String>,
    /// The archive's newest copy of each cited address that has one, by address.
    pub copies: std::collections::BTreeMap<String, super::copies::CopyView>,
    /// The record's dated facts (issue 25), aged today; a page shows each beside its
    /// field.
    pub claims: Vec<ClaimView>,
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

pub(super) fn provenance(
    store: &dyn Store,
    p: &Provenance,
    dossiers: &[String],
) -> Result<ProvenanceView> {
    // The sections a trace points into, named from the sections' rows (not whole
    // outlines), and only when there is a trace: most records have none.
    let mut sections: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    if !p.trace.is_empty() {
        let slugs: Vec<&str> = dossiers.iter().map(String::as_str).collect();
        let mut found = store.sections_of(&slugs)?;
        // The record's first dossier names a key first, as its outline would.
        found.sort_by_key(|s| dossiers.iter().position(|d| *d == s.dossier));
        for s in found {
            sections
                .entry(s.key)
                .or_insert((s.dossier, s.label, s.title));
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
        copies: super::copies::copies_of(
            store,
            p.sources
                .iter()
                .filter_map(|s| s.url.as_deref())
                .filter(|u| dossier_model::url::is_web_url(u)),
        )?,
        claims: record_claims(store, &p.claims, dossiers)?,
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

pub(super) fn cited_in(c: Vec<SectionCitation>) -> Vec<CitationView> {
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
