//! The Cite block of a document page (the two styles, the downloads) and the
//! `citation_*` meta tags of its head; the citation file of one document.

use super::format::Format;
use super::item::{first_partial, CiteItem};
use super::style::{apa, chicago_bibliography, chicago_note, Rendered};
use crate::site::Site;
use crate::PublishError;
use dossier_model::DocumentKind;
use dossier_store::Store;
use serde::Serialize;

/// A download link of the Cite block.
#[derive(Debug, Clone, Serialize)]
pub struct Download {
    pub format: Format,
    pub label: &'static str,
    /// Site path, e.g. `/citations/x.bib`.
    pub url: String,
    pub media_type: &'static str,
}

/// A `<meta name=… content=…>` tag for the page head.
#[derive(Debug, Clone, Serialize)]
pub struct MetaTag {
    pub name: &'static str,
    pub content: String,
}

/// What a document page shows under "Cite", and the meta tags in its head.
#[derive(Debug, Clone, Serialize)]
pub struct CiteView {
    pub chicago_note: Rendered,
    pub chicago_bibliography: Rendered,
    pub apa: Rendered,
    pub downloads: Vec<Download>,
    pub meta: Vec<MetaTag>,
}

/// The site path of a document's citation file.
pub fn citation_path(slug: &str, format: Format) -> String {
    format!("/citations/{slug}.{}", format.extension())
}

/// The document slug and format of a citation file name (`founding-act-1997.csl.json`).
pub fn parse_citation_file(file: &str) -> Option<(&str, Format)> {
    // `csl.json` first: `x.csl.json` must not read as slug `x.csl`.
    [Format::CslJson, Format::Bibtex, Format::Ris]
        .into_iter()
        .find_map(|f| {
            file.strip_suffix(f.extension())
                .and_then(|s| s.strip_suffix('.'))
                .filter(|s| dossier_model::is_valid_slug(s))
                .map(|s| (s, f))
        })
}

/// The Cite block of a document page.
pub fn cite_view(item: &CiteItem) -> CiteView {
    CiteView {
        chicago_note: chicago_note(item),
        chicago_bibliography: chicago_bibliography(item),
        apa: apa(item),
        downloads: Format::ALL
            .into_iter()
            .map(|f| Download {
                format: f,
                label: f.label(),
                url: citation_path(&item.id, f),
                media_type: f.media_type(),
            })
            .collect(),
        meta: meta_tags(item),
    }
}

/// Highwire Press `citation_*` tags (read by Google Scholar, Zotero, Mendeley) and Dublin
/// Core `DC.*` tags.
pub fn meta_tags(item: &CiteItem) -> Vec<MetaTag> {
    let mut m = vec![MetaTag {
        name: "citation_title",
        content: item.title.clone(),
    }];
    for a in &item.authors {
        m.push(MetaTag {
            name: "citation_author",
            content: a.inverted(),
        });
    }
    if let Some(p) = first_partial(&item.date) {
        let mut d = format!("{:04}", p.year);
        if let Some(mo) = p.month {
            d.push_str(&format!("/{mo:02}"));
            if let Some(day) = p.day {
                d.push_str(&format!("/{day:02}"));
            }
        }
        m.push(MetaTag {
            name: "citation_publication_date",
            content: d.clone(),
        });
        m.push(MetaTag {
            name: "citation_date",
            content: d,
        });
    }
    if !item.publishers.is_empty() {
        m.push(MetaTag {
            name: "citation_publisher",
            content: item.publishers.join("; "),
        });
    }
    if matches!(
        item.kind,
        DocumentKind::ResearchStudy | DocumentKind::ParliamentaryReport
    ) {
        for p in &item.publishers {
            m.push(MetaTag {
                name: "citation_technical_report_institution",
                content: p.clone(),
            });
        }
    }
    for l in &item.languages {
        m.push(MetaTag {
            name: "citation_language",
            content: l.clone(),
        });
    }
    m.push(MetaTag {
        name: "citation_public_url",
        content: item.url.clone(),
    });
    m.push(MetaTag {
        name: "citation_abstract_html_url",
        content: item.url.clone(),
    });
    m.push(MetaTag {
        name: "DC.title",
        content: item.title.clone(),
    });
    for a in &item.authors {
        m.push(MetaTag {
            name: "DC.creator",
            content: a.inverted(),
        });
    }
    if let Some(d) = &item.date {
        m.push(MetaTag {
            name: "DC.date",
            content: d.to_string(),
        });
    }
    m.push(MetaTag {
        name: "DC.type",
        content: item.descriptor().into(),
    });
    m.push(MetaTag {
        name: "DC.identifier",
        content: item.url.clone(),
    });
    m
}

/// The document page's view with its Cite block.
pub fn document_page(
    store: &dyn Store,
    slug: &str,
    site: &Site,
) -> Result<Option<crate::views::DocumentView>, PublishError> {
    let Some(doc) = store.document(slug)? else {
        return Ok(None);
    };
    let cite = cite_view(&CiteItem::from_document(store, &doc, site)?);
    let mut view = crate::views::document_of(store, doc)?;
    view.cite = Some(cite);
    Ok(Some(view))
}

/// The citation file of one document; `None` if there is no such document.
pub fn document_citation(
    store: &dyn Store,
    slug: &str,
    format: Format,
    site: &Site,
) -> Result<Option<String>, PublishError> {
    let Some(doc) = store.document(slug)? else {
        return Ok(None);
    };
    Ok(Some(
        format.write(&[CiteItem::from_document(store, &doc, site)?]),
    ))
}
