//! schema.org descriptions of the record pages as JSON-LD, so that search engines and
//! reference managers read a document as `Legislation` or `CreativeWork`, a body as an
//! `Organization`, a person, an event or a topic for what it is.
//!
//! Built from the page's own view, so the description says what the page says and no
//! more: a date the archive does not hold, or holds only approximately (`1997?`,
//! `199X`), is left out rather than guessed. Every address is absolute (the site's base
//! URL), as a crawler reading the page alone needs.
//!
//! [`script_text`] writes the description so that it can stand inside
//! `<script type="application/ld+json">`: no `<`, `>` or `&` survives, so a title holding
//! `</script>` cannot end the element.

use crate::site::Site;
use crate::views::{
    BodyView, DocumentView, EventView, IdentifierView, PersonView, RecordLink, TopicView,
};
use dossier_model::{DocumentKind, RecordType};
use serde_json::{json, Map, Value};

const CONTEXT: &str = "https://schema.org";

/// The description as text for a `<script type="application/ld+json">` element: JSON
/// with `<`, `>`, `&` and the two JavaScript line separators written as `\u` escapes
/// (equal JSON, and nothing an HTML parser reads as the end of the script or a comment).
pub fn script_text(value: &Value) -> String {
    let json = serde_json::to_string(value).unwrap_or_else(|_| "{}".into());
    // Outside strings JSON has none of these characters, so replacing them everywhere
    // only changes how strings are spelled, not what they hold.
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A document: `Legislation` for the instruments parties agree to or adopt (treaties,
/// acts, charters, declarations, joint statements, agreements…), `Report` for studies and
/// parliamentary reports, `CreativeWork` for the rest (speeches, statements, letters).
pub fn document(v: &DocumentView, site: &Site) -> Value {
    let kind = DocumentKind::from_slug(&v.kind);
    let schema_type = match kind {
        Some(
            DocumentKind::Treaty
            | DocumentKind::FoundingAct
            | DocumentKind::Charter
            | DocumentKind::Declaration
            | DocumentKind::JointStatement
            | DocumentKind::WorkProgramme
            | DocumentKind::ActionPlan
            | DocumentKind::FrameworkDocument
            | DocumentKind::Memorandum
            | DocumentKind::Agreement
            | DocumentKind::Resolution,
        ) => "Legislation",
        Some(DocumentKind::ResearchStudy | DocumentKind::ParliamentaryReport) => "Report",
        _ => "CreativeWork",
    };
    let mut o = head(schema_type, RecordType::Document, &v.slug, &v.title, site);
    names(&mut o, &v.aliases);
    text(&mut o, "description", v.summary.as_deref());
    text(&mut o, "genre", Some(&v.kind_label));
    if let Some(date) = v.date.as_deref().and_then(iso_date) {
        o.insert("datePublished".into(), json!(date));
        if schema_type == "Legislation" {
            o.insert("legislationDate".into(), json!(date));
        }
    }
    if schema_type == "Legislation" {
        o.insert("legislationType".into(), json!(v.kind_label));
        // Who made the instrument: its parties, or the body that issued it.
        let makers = if v.parties.is_empty() {
            &v.issued_by
        } else {
            &v.parties
        };
        refs(&mut o, "legislationPassedBy", makers, site);
    }
    refs(&mut o, "publisher", &v.issued_by, site);
    refs(&mut o, "author", &v.authors, site);
    if !v.languages.is_empty() {
        o.insert("inLanguage".into(), json!(v.languages));
    }
    refs(&mut o, "isPartOf", &v.dossiers, site);
    refs(&mut o, "about", &v.topics, site);
    Value::Object(o)
}

/// A body: an `Organization`, or a `Country` for a state.
pub fn body(v: &BodyView, site: &Site) -> Value {
    let state = v.kind == dossier_model::BodyKind::State.slug();
    let schema_type = if state { "Country" } else { "Organization" };
    let mut o = head(schema_type, RecordType::Body, &v.slug, &v.name, site);
    let mut other: Vec<String> = v.acronyms.clone();
    other.extend(v.aliases.iter().cloned());
    names(&mut o, &other);
    text(&mut o, "description", v.summary.as_deref());
    same_as(&mut o, &v.identifiers);
    if !state {
        if let Some(date) = v.established.as_ref().and_then(|d| iso_date(&d.edtf)) {
            o.insert("foundingDate".into(), json!(date));
        }
        if let Some(date) = v.ended.as_ref().and_then(|d| iso_date(&d.edtf)) {
            o.insert("dissolutionDate".into(), json!(date));
        }
        if let Some(parent) = &v.part_of {
            o.insert("parentOrganization".into(), reference(parent, site));
        }
        refs(&mut o, "subOrganization", &v.parts, site);
    }
    Value::Object(o)
}

/// A person, with each office as a role in the body that held it.
pub fn person(v: &PersonView, site: &Site) -> Value {
    let mut o = head("Person", RecordType::Person, &v.slug, &v.name, site);
    names(&mut o, &v.aliases);
    text(&mut o, "description", v.summary.as_deref());
    same_as(&mut o, &v.identifiers);
    let titles: Vec<&str> = v.offices.iter().map(|x| x.title.as_str()).collect();
    if !titles.is_empty() {
        o.insert("jobTitle".into(), json!(titles));
    }
    let roles: Vec<Value> = v
        .offices
        .iter()
        .filter_map(|office| {
            let body = office.body.as_ref()?;
            let mut role = Map::new();
            role.insert("@type".into(), json!("OrganizationRole"));
            role.insert("memberOf".into(), reference(body, site));
            role.insert("roleName".into(), json!(office.title));
            if let Some(d) = office.start.as_ref().and_then(|d| iso_date(&d.edtf)) {
                role.insert("startDate".into(), json!(d));
            }
            if let Some(d) = office.end.as_ref().and_then(|d| iso_date(&d.edtf)) {
                role.insert("endDate".into(), json!(d));
            }
            Some(Value::Object(role))
        })
        .collect();
    if !roles.is_empty() {
        o.insert("memberOf".into(), Value::Array(roles));
    }
    Value::Object(o)
}

/// An event: its dates (an EDTF interval gives the start and the end), place, the
/// bodies that held it, the people present and the documents that record it.
pub fn event(v: &EventView, site: &Site) -> Value {
    let mut o = head("Event", RecordType::Event, &v.slug, &v.title, site);
    text(&mut o, "description", v.summary.as_deref());
    if let Some(date) = v.date.as_deref() {
        let (start, end) = match date.split_once('/') {
            Some((a, b)) => (iso_date(a), iso_date(b)),
            None => (iso_date(date), None),
        };
        if let Some(start) = start {
            o.insert("startDate".into(), json!(start));
        }
        if let Some(end) = end {
            o.insert("endDate".into(), json!(end));
        }
    }
    if let Some(place) = v.place.as_deref().filter(|p| !p.trim().is_empty()) {
        o.insert("location".into(), json!({"@type": "Place", "name": place}));
    }
    refs(&mut o, "organizer", &v.bodies, site);
    refs(&mut o, "attendee", &v.people, site);
    refs(&mut o, "recordedIn", &v.outcome_documents, site);
    Value::Object(o)
}

/// A topic: a term of the archive's subject vocabulary.
pub fn topic(v: &TopicView, site: &Site) -> Value {
    let mut o = head("DefinedTerm", RecordType::Topic, &v.slug, &v.title, site);
    o.insert("termCode".into(), json!(v.slug));
    text(&mut o, "description", v.summary.as_deref());
    Value::Object(o)
}

/// `@context`, `@type`, `@id` and `url` (the page's absolute address) and `name`.
fn head(
    schema_type: &str,
    record: RecordType,
    slug: &str,
    name: &str,
    site: &Site,
) -> Map<String, Value> {
    let url = site.page_url(&crate::views::url_of(record, slug));
    let mut o = Map::new();
    o.insert("@context".into(), json!(CONTEXT));
    o.insert("@type".into(), json!(schema_type));
    o.insert("@id".into(), json!(url));
    o.insert("url".into(), json!(url));
    o.insert("name".into(), json!(name));
    o
}

fn names(o: &mut Map<String, Value>, other: &[String]) {
    let other: Vec<&String> = other.iter().filter(|n| !n.trim().is_empty()).collect();
    if !other.is_empty() {
        o.insert("alternateName".into(), json!(other));
    }
}

/// `sameAs`: the record's addresses at the authority files (Wikidata, VIAF, ISNI, GND),
/// which is how search engines and linked-data clients join it to theirs.
fn same_as(o: &mut Map<String, Value>, ids: &[IdentifierView]) {
    let urls: Vec<&str> = ids
        .iter()
        .map(|i| i.url.as_str())
        .filter(|u| dossier_model::url::is_web_url(u))
        .collect();
    if !urls.is_empty() {
        o.insert("sameAs".into(), json!(urls));
    }
}

fn text(o: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
        o.insert(key.into(), json!(v));
    }
}

fn refs(o: &mut Map<String, Value>, key: &str, links: &[RecordLink], site: &Site) {
    if !links.is_empty() {
        let list: Vec<Value> = links.iter().map(|l| reference(l, site)).collect();
        o.insert(key.into(), Value::Array(list));
    }
}

/// Another record of the archive, by its page's address, type and name.
fn reference(link: &RecordLink, site: &Site) -> Value {
    let schema_type = match link.record {
        RecordType::Body => "Organization",
        RecordType::Person => "Person",
        RecordType::Event => "Event",
        RecordType::Topic => "DefinedTerm",
        RecordType::Document | RecordType::Dossier => "CreativeWork",
    };
    json!({
        "@type": schema_type,
        "@id": site.page_url(&link.url),
        "name": link.title,
    })
}

/// An EDTF date that is also a plain ISO 8601 date (`1997`, `1997-05`, `1997-05-27`);
/// `None` for anything uncertain, approximate, unspecified or an interval, which
/// schema.org cannot say and which must not be passed on as if it were exact.
fn iso_date(edtf: &str) -> Option<String> {
    let parts: Vec<&str> = edtf.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2),
        [y, m, d] => digits(y, 4) && digits(m, 2) && digits(d, 2),
        _ => false,
    };
    ok.then(|| edtf.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_text_cannot_end_the_script_element() {
        let v = json!({"name": "</script><script>alert(1)</script><!-- & \u{2028}"});
        let text = script_text(&v);
        for bad in ["<", ">", "&", "\u{2028}"] {
            assert!(!text.contains(bad), "{bad:?} left in {text}");
        }
        // The same JSON once parsed.
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn only_exact_iso_dates_pass() {
        assert_eq!(iso_date("1997-05-27").as_deref(), Some("1997-05-27"));
        assert_eq!(iso_date("1997-05").as_deref(), Some("1997-05"));
        assert_eq!(iso_date("1997").as_deref(), Some("1997"));
        for not in [
            "1997?",
            "1997~",
            "199X",
            "1997-05-XX",
            "1997/2001",
            "",
            "-1997",
            "97",
            "1997-5",
        ] {
            assert_eq!(iso_date(not), None, "{not}");
        }
    }
}
