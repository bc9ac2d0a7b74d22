//! The `oai_dc` metadata of a document: simple Dublin Core, mapped as
//! `crates/publish/README.md` documents.

use crate::site::Site;
use crate::PublishError;
use dossier_model::{Document, RecordType};
use dossier_store::Store;

/// A document as simple Dublin Core: (element, value) pairs in a stable order. The
/// mapping is documented in `crates/publish/README.md`.
pub fn dublin_core(
    store: &dyn Store,
    site: &Site,
    d: &Document,
) -> Result<Vec<(&'static str, String)>, PublishError> {
    let name = |ty: RecordType, slug: &str| -> Result<String, PublishError> {
        Ok(store
            .title_of(ty, slug)?
            .unwrap_or_else(|| slug.to_string()))
    };
    let mut dc: Vec<(&'static str, String)> = vec![("title", d.title.clone())];
    for a in &d.aliases {
        dc.push(("title", a.clone()));
    }
    let creators: Vec<String> = if d.authors.is_empty() {
        d.issued_by
            .iter()
            .map(|b| name(RecordType::Body, b))
            .collect::<Result<_, _>>()?
    } else {
        d.authors
            .iter()
            .map(|p| name(RecordType::Person, p))
            .collect::<Result<_, _>>()?
    };
    for c in creators {
        dc.push(("creator", c));
    }
    for b in &d.issued_by {
        dc.push(("publisher", name(RecordType::Body, b)?));
    }
    for b in &d.parties {
        dc.push(("contributor", name(RecordType::Body, b)?));
    }
    for l in store.backlinks(RecordType::Document, &d.slug)? {
        if l.record == RecordType::Topic {
            dc.push(("subject", l.title.clone()));
        }
    }
    if let Some(s) = &d.summary {
        dc.push(("description", s.clone()));
    }
    if let Some(p) = &d.place {
        dc.push(("description", format!("Place: {p}.")));
    }
    dc.push((
        "description",
        format!(
            "Legal status: {}. Availability: {}.",
            d.legal_status.label(),
            d.availability.label()
        ),
    ));
    if let Some(date) = &d.date {
        dc.push(("date", date.to_string()));
    }
    // The period it covers (`dcterms:temporal`, which simple Dublin Core carries as
    // `dc:coverage`), as EDTF: an essay on 1988–2001 is not dated 1988–2001.
    if let Some(coverage) = &d.coverage {
        dc.push(("coverage", coverage.to_string()));
    }
    dc.push(("type", "Text".into()));
    dc.push(("type", d.kind.label().into()));
    dc.push((
        "identifier",
        site.page_url(&crate::views::url_of(RecordType::Document, &d.slug)),
    ));
    for s in &d.provenance.sources {
        dc.push((
            "source",
            // Only absolute http(s) addresses, as on the pages.
            match crate::views::web_url(s.url.as_deref()) {
                Some(u) => format!("{} <{u}>", s.title),
                None => s.title.clone(),
            },
        ));
    }
    for l in &d.languages {
        dc.push(("language", l.clone()));
    }
    for r in &d.relations {
        dc.push((
            "relation",
            format!(
                "{}: {}",
                r.kind.label(),
                site.page_url(&crate::views::url_of(RecordType::Document, &r.document))
            ),
        ));
    }
    for slug in &d.dossiers {
        dc.push((
            "relation",
            format!(
                "In dossier: {}",
                site.page_url(&crate::views::url_of(RecordType::Dossier, slug))
            ),
        ));
    }
    Ok(dc)
}
