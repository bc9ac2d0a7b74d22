//! `/api/v1/documents`: documents, filtered by dossier, kind and issuing body.

use super::paging::{paginate, Page};
use super::params::{only, slug_param, vocab_param};
use super::record::{date, find, record_meta, RecordMeta};
use super::{Params, Result};
use crate::site::Site;
use dossier_model::RecordType;
use dossier_model::*;
use dossier_store::{DocumentQuery, Store};
use serde::Serialize;

/// A document.
#[derive(Debug, Serialize)]
pub struct ApiDocument {
    pub slug: String,
    pub title: String,
    pub aliases: Vec<String>,
    pub kind: DocumentKind,
    pub kind_label: &'static str,
    /// When it was issued or published: EDTF (`1997-05-27`, `2001-11`, `2002-04-15?`).
    pub date: Option<String>,
    /// The period it covers: EDTF, usually an interval (`1988/2001`).
    pub coverage: Option<String>,
    pub place: Option<String>,
    /// Body slugs.
    pub issued_by: Vec<String>,
    /// Person slugs.
    pub authors: Vec<String>,
    /// Body slugs.
    pub parties: Vec<String>,
    pub legal_status: LegalStatus,
    pub availability: Availability,
    pub languages: Vec<String>,
    pub summary: Option<String>,
    /// The texts the archive holds, one per language (`lang`, `blocks` of `text`, each
    /// `heading` or a paragraph; paragraphs are numbered in order, as the text page's
    /// `#p12`).
    pub texts: Vec<Text>,
    pub relations: Vec<ApiRelation>,
    #[serde(flatten)]
    pub record: RecordMeta,
}

#[derive(Debug, Serialize)]
pub struct ApiRelation {
    #[serde(rename = "type")]
    pub kind: DocumentRelation,
    pub document: String,
}

fn document_resource(store: &dyn Store, site: &Site, d: Document) -> Result<ApiDocument> {
    Ok(ApiDocument {
        record: record_meta(
            store,
            site,
            RecordType::Document,
            &d.slug,
            d.dossiers,
            d.provenance,
        )?,
        kind_label: d.kind.label(),
        date: date(d.date),
        coverage: date(d.coverage),
        relations: d
            .relations
            .into_iter()
            .map(|r| ApiRelation {
                kind: r.kind,
                document: r.document,
            })
            .collect(),
        slug: d.slug,
        title: d.title,
        aliases: d.aliases,
        kind: d.kind,
        place: d.place,
        issued_by: d.issued_by,
        authors: d.authors,
        parties: d.parties,
        legal_status: d.legal_status,
        availability: d.availability,
        languages: d.languages,
        summary: d.summary,
        texts: d.texts,
    })
}

pub fn list_documents(
    store: &dyn Store,
    site: &Site,
    params: &Params,
) -> Result<Page<ApiDocument>> {
    only(params, &["dossier", "kind", "body", "limit", "cursor"])?;
    let kind = vocab_param(
        params,
        "kind",
        DocumentKind::from_slug,
        DocumentKind::ALL,
        DocumentKind::slug,
    )?;
    let q = DocumentQuery {
        dossier: slug_param(params, "dossier")?,
        kinds: kind.map(|k| k.slug().to_string()).into_iter().collect(),
        bodies: slug_param(params, "body")?.into_iter().collect(),
    };
    paginate(store.documents(&q)?, params, |d| {
        document_resource(store, site, d)
    })
}

pub fn find_document(
    store: &dyn Store,
    site: &Site,
    slug: &str,
    params: &Params,
) -> Result<ApiDocument> {
    find(
        params,
        "document",
        slug,
        || store.document(slug),
        |r| document_resource(store, site, r),
    )
}
