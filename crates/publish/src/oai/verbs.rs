//! The six verbs, each answered into an [`XmlBuffer`], or with the protocol error that
//! replaces the answer.

use super::buffer::XmlBuffer;
use super::dublin_core::record_dublin_core;
use super::items::{all_items, day_of, find, identifier, in_set, sets, Item, ITEM_TYPES};
use super::request::{ListQuery, Request};
use super::token::encode_token;
use super::{err, ErrorCode, Oai, OaiError, Prefix, DC_NS, OAI_DC_NS, OAI_DC_XSD, PAGE, XSI_NS};
use crate::eac::{EacRecord, EAC_NS, EAC_XSD};
use crate::time::is_day;
use crate::PublishError;

/// A verb's answer, or the protocol error that takes its place.
type Answer = Result<Result<XmlBuffer, OaiError>, PublishError>;

pub(super) fn body(oai: &Oai, request: &Request) -> Answer {
    match request {
        Request::Identify => identify(oai),
        Request::ListMetadataFormats { identifier } => {
            list_metadata_formats(oai, identifier.as_deref())
        }
        Request::ListSets => list_sets(oai),
        Request::GetRecord { identifier, prefix } => get_record(oai, identifier, *prefix),
        Request::List(q) => list(oai, q),
    }
}

fn identify(oai: &Oai) -> Answer {
    let mut b = XmlBuffer::default();
    let items = all_items(oai.store, &ITEM_TYPES)?;
    let earliest = items
        .iter()
        .map(|i| i.datestamp.as_str())
        .filter(|d| is_day(d))
        .min()
        .map(str::to_string)
        .unwrap_or_else(|| day_of(oai.now));
    b.start("Identify", &[]);
    b.element("repositoryName", &[], &oai.site.name);
    b.element("baseURL", &[], &oai.site.url("/oai"));
    b.element("protocolVersion", &[], "2.0");
    b.element("adminEmail", &[], &oai.site.admin_email);
    b.element("earliestDatestamp", &[], &earliest);
    b.element("deletedRecord", &[], "persistent");
    b.element("granularity", &[], "YYYY-MM-DD");
    b.end("Identify");
    Ok(Ok(b))
}

fn list_metadata_formats(oai: &Oai, identifier: Option<&str>) -> Answer {
    let mut b = XmlBuffer::default();
    // For one item, the formats its record type has; else every format.
    let record = match identifier {
        Some(id) => match find(oai, id)? {
            Ok(item) => Some(item.record),
            Err(e) => return Ok(Err(e)),
        },
        None => None,
    };
    b.start("ListMetadataFormats", &[]);
    for prefix in [Prefix::OaiDc, Prefix::EacCpf] {
        if record.is_some_and(|r| !prefix.types().contains(&r)) {
            continue;
        }
        let (schema, namespace) = match prefix {
            Prefix::OaiDc => (OAI_DC_XSD, OAI_DC_NS),
            Prefix::EacCpf => (EAC_XSD, EAC_NS),
        };
        b.start("metadataFormat", &[]);
        b.element("metadataPrefix", &[], prefix.as_str());
        b.element("schema", &[], schema);
        b.element("metadataNamespace", &[], namespace);
        b.end("metadataFormat");
    }
    b.end("ListMetadataFormats");
    Ok(Ok(b))
}

fn no_sets() -> OaiError {
    err(
        ErrorCode::NoSetHierarchy,
        "The archive holds no dossier and no document yet, so it has no sets.",
    )
}

fn list_sets(oai: &Oai) -> Answer {
    let mut b = XmlBuffer::default();
    let sets = sets(oai.store)?;
    if sets.is_empty() {
        return Ok(Err(no_sets()));
    }
    b.start("ListSets", &[]);
    for (spec, name) in sets {
        b.start("set", &[]);
        b.element("setSpec", &[], &spec);
        b.element("setName", &[], &name);
        b.end("set");
    }
    b.end("ListSets");
    Ok(Ok(b))
}

fn get_record(oai: &Oai, identifier: &str, prefix: Prefix) -> Answer {
    let mut b = XmlBuffer::default();
    let item = match find(oai, identifier)? {
        Ok(item) => item,
        Err(e) => return Ok(Err(e)),
    };
    if !prefix.types().contains(&item.record) {
        return Ok(Err(err(
            ErrorCode::CannotDisseminateFormat,
            format!(
                "`{}` describes bodies and people; this item is a {}: ask for `{}`.",
                prefix.as_str(),
                item.record.as_str(),
                Prefix::OaiDc.as_str()
            ),
        )));
    }
    b.start("GetRecord", &[]);
    record(oai, &item, prefix, &mut b)?;
    b.end("GetRecord");
    Ok(Ok(b))
}

/// ListIdentifiers and ListRecords: one page of the items that pass the filters, after
/// the token's last slug, with a resumption token while the list goes on.
fn list(oai: &Oai, q: &ListQuery) -> Answer {
    let mut b = XmlBuffer::default();
    if q.set.is_some() && sets(oai.store)?.is_empty() {
        return Ok(Err(no_sets()));
    }
    let items: Vec<Item> = all_items(oai.store, q.prefix.types())?
        .into_iter()
        .filter(|i| q.from.as_deref().is_none_or(|f| i.datestamp.as_str() >= f))
        .filter(|i| q.until.as_deref().is_none_or(|u| i.datestamp.as_str() <= u))
        .filter(|i| q.set.as_deref().is_none_or(|s| in_set(i, s)))
        .collect();
    let total = items.len();
    let done = match &q.after {
        Some(after) => items.iter().take_while(|i| &i.key() <= after).count(),
        None => 0,
    };
    let page: Vec<&Item> = items[done..].iter().take(PAGE).collect();
    if page.is_empty() {
        return Ok(Err(err(
            ErrorCode::NoRecordsMatch,
            "No record matches the set, from and until given.",
        )));
    }
    let verb = if q.records {
        "ListRecords"
    } else {
        "ListIdentifiers"
    };
    b.start(verb, &[]);
    for item in &page {
        if q.records {
            record(oai, item, q.prefix, &mut b)?;
        } else {
            header(oai, item, &mut b);
        }
    }
    let shown = done + page.len();
    let size = total.to_string();
    let cursor = done.to_string();
    if shown < total {
        let last = page.last().map(|i| i.key()).unwrap_or_default();
        b.element(
            "resumptionToken",
            &[("completeListSize", &size), ("cursor", &cursor)],
            &encode_token(q, &last, oai.key),
        );
    } else if done > 0 {
        // The last page of a list that was cut: an empty token says so.
        b.empty(
            "resumptionToken",
            &[("completeListSize", &size), ("cursor", &cursor)],
        );
    }
    b.end(verb);
    Ok(Ok(b))
}

fn header(oai: &Oai, item: &Item, b: &mut XmlBuffer) {
    if item.live.is_some() {
        b.start("header", &[]);
    } else {
        b.start("header", &[("status", "deleted")]);
    }
    b.element(
        "identifier",
        &[],
        &identifier(oai.site, item.record, &item.slug),
    );
    b.element("datestamp", &[], &item.datestamp);
    for s in &item.sets {
        b.element("setSpec", &[], s);
    }
    b.end("header");
}

fn record(oai: &Oai, item: &Item, prefix: Prefix, b: &mut XmlBuffer) -> Result<(), PublishError> {
    b.start("record", &[]);
    header(oai, item, b);
    if let Some(live) = &item.live {
        match prefix {
            Prefix::OaiDc => {
                b.start("metadata", &[]);
                b.start(
                    "oai_dc:dc",
                    &[
                        ("xmlns:oai_dc", OAI_DC_NS),
                        ("xmlns:dc", DC_NS),
                        ("xmlns:xsi", XSI_NS),
                        ("xsi:schemaLocation", &format!("{OAI_DC_NS} {OAI_DC_XSD}")),
                    ],
                );
                for (element, value) in record_dublin_core(oai.store, oai.site, live)? {
                    b.element(&format!("dc:{element}"), &[], &value);
                }
                b.end("oai_dc:dc");
                b.end("metadata");
            }
            Prefix::EacCpf => {
                // Read again as EAC-CPF needs it (the names of what it links to); a
                // record deleted since the list was read is written without metadata.
                if let Some(eac) = EacRecord::load(oai.store, oai.site, item.record, &item.slug)? {
                    b.start("metadata", &[]);
                    eac.write(b);
                    b.end("metadata");
                }
            }
        }
    }
    b.end("record");
    Ok(())
}
