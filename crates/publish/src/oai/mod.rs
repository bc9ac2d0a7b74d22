//! OAI-PMH 2.0 (<http://www.openarchives.org/OAI/openarchivesprotocol.html>): the six
//! verbs over the archive's documents, bodies and people, metadata in `oai_dc` (every
//! item; the mapping is in `crates/publish/README.md`) and `eac-cpf` (bodies and people,
//! [`crate::eac`]), sets by dossier, collection, document kind and record type,
//! `from`/`until` at day granularity, and resumption tokens that need no server state.
//!
//! Items are identified as `oai:{host}:{document|body|person}/{slug}`, listed in the
//! order of their identifiers. A record's datestamp is the day it last changed; a deleted
//! record stays listed, with `status="deleted"` and the day it was deleted, as long as the
//! store's change log keeps it (it is never pruned: `deletedRecord` is `persistent`), in
//! the sets it was in when it was deleted (the store's tombstones keep its dossiers and
//! kind). The identifier of a body or person merged into another resolves to the record
//! it was merged into (`Store::redirect`). A document asked for in `eac-cpf` is
//! `cannotDisseminateFormat`; a list in `eac-cpf` holds bodies and people only.
//!
//! Resumption tokens carry the list's arguments and the last item returned, signed with
//! HMAC-SHA256 under the server's key: a harvester cannot forge or alter one, and a server
//! restart with the same key (kept in the data directory) does not break a harvest. Lists
//! are cut into pages of [`PAGE`] records.
//!
//! `request` parses and checks a request, `verbs` answers it from the `items` of the
//! repository (documents live and deleted) and their [`dublin_core`] metadata; `token`
//! signs and reads resumption tokens; `buffer` holds a verb's answer until it is known
//! not to be an error.

mod buffer;
mod dublin_core;
mod items;
mod request;
mod token;
mod verbs;

pub use dublin_core::dublin_core;

use crate::site::Site;
use crate::xml::XmlWriter;
use crate::PublishError;
use dossier_model::RecordType;
use dossier_store::Store;

/// Records (or headers) per page of a list.
pub const PAGE: usize = 100;
/// The metadata format every item has.
pub const OAI_DC: &str = "oai_dc";

/// A metadata format of the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefix {
    /// Simple Dublin Core: every item.
    OaiDc,
    /// EAC-CPF: bodies and people.
    EacCpf,
}

impl Prefix {
    pub fn as_str(self) -> &'static str {
        match self {
            Prefix::OaiDc => OAI_DC,
            Prefix::EacCpf => crate::eac::EAC_PREFIX,
        }
    }

    pub fn parse(s: &str) -> Option<Prefix> {
        [Prefix::OaiDc, Prefix::EacCpf]
            .into_iter()
            .find(|p| p.as_str() == s)
    }

    /// The record types that have metadata in this format.
    pub(super) fn types(self) -> &'static [RecordType] {
        match self {
            Prefix::OaiDc => &items::ITEM_TYPES,
            Prefix::EacCpf => &[RecordType::Body, RecordType::Person],
        }
    }
}

pub(super) const OAI_NS: &str = "http://www.openarchives.org/OAI/2.0/";
pub(super) const OAI_XSD: &str = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd";
pub(super) const OAI_DC_NS: &str = "http://www.openarchives.org/OAI/2.0/oai_dc/";
pub(super) const OAI_DC_XSD: &str = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd";
pub(super) const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
pub(super) const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The protocol's error conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadArgument,
    BadResumptionToken,
    BadVerb,
    CannotDisseminateFormat,
    IdDoesNotExist,
    NoRecordsMatch,
    NoMetadataFormats,
    NoSetHierarchy,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadArgument => "badArgument",
            ErrorCode::BadResumptionToken => "badResumptionToken",
            ErrorCode::BadVerb => "badVerb",
            ErrorCode::CannotDisseminateFormat => "cannotDisseminateFormat",
            ErrorCode::IdDoesNotExist => "idDoesNotExist",
            ErrorCode::NoRecordsMatch => "noRecordsMatch",
            ErrorCode::NoMetadataFormats => "noMetadataFormats",
            ErrorCode::NoSetHierarchy => "noSetHierarchy",
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct OaiError {
    pub(super) code: ErrorCode,
    pub(super) message: String,
}

pub(super) fn err(code: ErrorCode, message: impl Into<String>) -> OaiError {
    OaiError {
        code,
        message: message.into(),
    }
}

/// Everything a response needs besides the request.
pub struct Oai<'a> {
    pub store: &'a dyn Store,
    pub site: &'a Site,
    /// The key that signs resumption tokens.
    pub key: &'a [u8],
    /// `responseDate`: the current time, `YYYY-MM-DDThh:mm:ssZ`.
    pub now: &'a str,
}

/// Answers one OAI-PMH request, given as (name, value) pairs from the query string or
/// the form body, with the XML response (always HTTP 200, as the protocol wants: errors
/// are in the XML).
pub fn respond(oai: &Oai, args: &[(String, String)]) -> Result<String, PublishError> {
    let parsed = request::parse(args, oai.key);
    let mut x = XmlWriter::new();
    x.start(
        "OAI-PMH",
        &[
            ("xmlns", OAI_NS),
            ("xmlns:xsi", XSI_NS),
            ("xsi:schemaLocation", &format!("{OAI_NS} {OAI_XSD}")),
        ],
    );
    x.element("responseDate", &[], oai.now);
    let base = oai.site.url("/oai");
    match parsed {
        Err(e) if matches!(e.code, ErrorCode::BadVerb | ErrorCode::BadArgument) => {
            // The protocol: after badVerb or badArgument, the request element carries the
            // base URL only.
            x.element("request", &[], &base);
            error(&mut x, &e);
        }
        Err(e) => {
            x.element("request", &request_attrs(args), &base);
            error(&mut x, &e);
        }
        Ok(request) => {
            x.element("request", &request_attrs(args), &base);
            match verbs::body(oai, &request)? {
                Ok(buffer) => buffer.replay(&mut x),
                Err(e) => error(&mut x, &e),
            }
        }
    }
    x.end("OAI-PMH");
    Ok(x.finish())
}

fn request_attrs(args: &[(String, String)]) -> Vec<(&str, &str)> {
    const KNOWN: [&str; 7] = [
        "verb",
        "identifier",
        "metadataPrefix",
        "from",
        "until",
        "set",
        "resumptionToken",
    ];
    KNOWN
        .iter()
        .filter_map(|k| {
            args.iter()
                .find(|(n, _)| n == k)
                .map(|(n, v)| (n.as_str(), v.as_str()))
        })
        .collect()
}

fn error(x: &mut XmlWriter, e: &OaiError) {
    x.element("error", &[("code", e.code.as_str())], &e.message);
}

#[cfg(test)]
mod tests;
