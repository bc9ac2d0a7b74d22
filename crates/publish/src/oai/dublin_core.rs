//! The `oai_dc` metadata of a document, a body or a person: simple Dublin Core, mapped
//! as `crates/publish/README.md` documents.

use crate::site::Site;
use crate::PublishError;
use dossier_model::{Body, Document, Edtf, ExternalId, Person, Provenance, Record, RecordType};
use dossier_store::Store;

/// Any item of the repository as simple Dublin Core.
pub(super) fn record_dublin_core(
    store: &dyn Store,
    site: &Site,
    r: &Record,
) -> Result<Vec<(&'static str, String)>, PublishError> {
    match r {
        Record::Document(d) => dublin_core(store, site, d),
        Record::Body(b) => body_dublin_core(store, site, b),
        Record::Person(p) => person_dublin_core(store, site, p),
        // Not items of the repository; their pages are their description.
        Record::Event(_) | Record::Topic(_) => Ok(Vec::new()),
    }
}

/// A body as simple Dublin Core: its name (and other names) as titles, its kind as type,
/// its dates of existence as one EDTF date, its page and its identifiers in authority
/// files (Wikidata, VIAF, ISNI, GND) as identifiers, its predecessors, successors and
/// parent as relations.
pub fn body_dublin_core(
    store: &dyn Store,
    site: &Site,
    b: &Body,
) -> Result<Vec<(&'static str, String)>, PublishError> {
    let mut dc: Vec<(&'static str, String)> = vec![("title", b.name.clone())];
    for n in b.acronyms.iter().chain(&b.aliases) {
        dc.push(("title", n.clone()));
    }
    if let Some(s) = &b.summary {
        dc.push(("description", s.clone()));
    }
    if let Some(date) = existence(b.established, b.ended) {
        dc.push(("date", date));
    }
    dc.push(("type", "Corporate body".into()));
    dc.push(("type", b.kind.label().into()));
    identifiers(&mut dc, site, RecordType::Body, &b.slug, &b.identifiers);
    sources(&mut dc, &b.provenance);
    let page = |slug: &str| site.page_url(&crate::views::url_of(RecordType::Body, slug));
    let name = |slug: &str| -> Result<String, PublishError> {
        Ok(store
            .title_of(RecordType::Body, slug)?
            .unwrap_or_else(|| slug.to_string()))
    };
    for l in &b.predecessors {
        dc.push((
            "relation",
            format!("Preceded by {}: {}", name(&l.slug)?, page(&l.slug)),
        ));
    }
    for l in &b.successors {
        dc.push((
            "relation",
            format!("Succeeded by {}: {}", name(&l.slug)?, page(&l.slug)),
        ));
    }
    if let Some(p) = &b.part_of {
        dc.push(("relation", format!("Part of {}: {}", name(p)?, page(p))));
    }
    Ok(dc)
}

/// A person as simple Dublin Core: the name (and other names) as titles, the offices
/// held as descriptions, the page and the identifiers in authority files as identifiers.
pub fn person_dublin_core(
    store: &dyn Store,
    site: &Site,
    p: &Person,
) -> Result<Vec<(&'static str, String)>, PublishError> {
    let mut dc: Vec<(&'static str, String)> = vec![("title", p.name.clone())];
    for n in &p.aliases {
        dc.push(("title", n.clone()));
    }
    if let Some(s) = &p.summary {
        dc.push(("description", s.clone()));
    }
    for o in &p.offices {
        let body = match &o.body {
            Some(b) => format!(
                ", {}",
                store
                    .title_of(RecordType::Body, b)?
                    .unwrap_or_else(|| b.clone())
            ),
            None => String::new(),
        };
        let when = match existence(o.start, o.end) {
            Some(d) => format!(" ({d})"),
            None => String::new(),
        };
        dc.push(("description", format!("Office: {}{body}{when}.", o.title)));
    }
    dc.push(("type", "Person".into()));
    identifiers(&mut dc, site, RecordType::Person, &p.slug, &p.identifiers);
    sources(&mut dc, &p.provenance);
    Ok(dc)
}

/// From … to as one EDTF interval (`1997-05-27/2002-05-28`, `1949-04-04/..` while it
/// lasts); a start or end alone that is itself an interval is given as it is.
fn existence(from: Option<Edtf>, to: Option<Edtf>) -> Option<String> {
    match (from, to) {
        (None, None) => None,
        (Some(f), None) => Some(match f {
            Edtf::Date(_) => format!("{f}/.."),
            Edtf::Interval(..) => f.to_string(),
        }),
        (None, Some(t)) => Some(match t {
            Edtf::Date(_) => format!("../{t}"),
            Edtf::Interval(..) => t.to_string(),
        }),
        (Some(f), Some(t)) => Some(match (f, t) {
            (Edtf::Date(_), Edtf::Date(_)) => format!("{f}/{t}"),
            _ => format!("{f} to {t}"),
        }),
    }
}

/// The record's page, then its address at each authority file it has an identifier in.
fn identifiers(
    dc: &mut Vec<(&'static str, String)>,
    site: &Site,
    record: RecordType,
    slug: &str,
    ids: &[ExternalId],
) {
    dc.push((
        "identifier",
        site.page_url(&crate::views::url_of(record, slug)),
    ));
    for id in crate::views::identifier_views(ids) {
        dc.push(("identifier", id.url));
    }
}

fn sources(dc: &mut Vec<(&'static str, String)>, p: &Provenance) {
    for s in &p.sources {
        dc.push((
            "source",
            match crate::views::web_url(s.url.as_deref()) {
                Some(u) => format!("{} <{u}>", s.title),
                None => s.title.clone(),
            },
        ));
    }
}

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
