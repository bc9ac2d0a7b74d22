//! OAI-PMH 2.0 (<http://www.openarchives.org/OAI/openarchivesprotocol.html>): the six
//! verbs over the archive's documents, metadata in `oai_dc` (the mapping is in
//! `crates/publish/README.md`), sets by dossier and by document kind, `from`/`until` at day
//! granularity, and resumption tokens that need no server state.
//!
//! Items are documents, identified as `oai:{host}:document/{slug}`, in slug order. A
//! record's datestamp is the day it last changed; a deleted document stays listed, with
//! `status="deleted"` and the day it was deleted, as long as the store's change log keeps
//! it (it is never pruned: `deletedRecord` is `persistent`), in the sets it was in when it
//! was deleted (the store's tombstones keep its dossiers and kind).
//!
//! Resumption tokens carry the list's arguments and the last slug returned, signed with
//! HMAC-SHA256 under the server's key: a harvester cannot forge or alter one, and a server
//! restart with the same key (kept in the data directory) does not break a harvest. Lists
//! are cut into pages of [`PAGE`] records.

use crate::site::Site;
use crate::time::is_day;
use crate::xml::XmlWriter;
use crate::PublishError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use dossier_model::Document;
use dossier_store::{ChangeOp, DocumentQuery, RecordType, Store};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;

/// Records (or headers) per page of a list.
pub const PAGE: usize = 100;
/// The one metadata format.
pub const OAI_DC: &str = "oai_dc";

const OAI_NS: &str = "http://www.openarchives.org/OAI/2.0/";
const OAI_XSD: &str = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd";
const OAI_DC_NS: &str = "http://www.openarchives.org/OAI/2.0/oai_dc/";
const OAI_DC_XSD: &str = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd";
const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

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
struct OaiError {
    code: ErrorCode,
    message: String,
}

fn err(code: ErrorCode, message: impl Into<String>) -> OaiError {
    OaiError {
        code,
        message: message.into(),
    }
}

/// What a list request asks for; a resumption token carries the same fields.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListQuery {
    records: bool,
    set: Option<String>,
    from: Option<String>,
    until: Option<String>,
    /// The last slug already returned (from a resumption token).
    after: Option<String>,
}

#[derive(Debug)]
enum Request {
    Identify,
    ListMetadataFormats { identifier: Option<String> },
    ListSets,
    GetRecord { identifier: String },
    List(ListQuery),
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
    let parsed = parse(args, oai.key);
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
            match body(oai, &request)? {
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

/// Elements written after the request element is known to be valid: the verb's body is
/// built first (it may turn out to be an error), then replayed into the response.
#[derive(Default)]
struct XmlBuffer {
    ops: Vec<Op>,
}

enum Op {
    Start(String, Vec<(String, String)>),
    End(String),
    Element(String, Vec<(String, String)>, String),
    Empty(String, Vec<(String, String)>),
}

impl XmlBuffer {
    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.ops.push(Op::Start(name.into(), own(attrs)));
    }
    fn end(&mut self, name: &str) {
        self.ops.push(Op::End(name.into()));
    }
    fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.ops
            .push(Op::Element(name.into(), own(attrs), text.into()));
    }
    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.ops.push(Op::Empty(name.into(), own(attrs)));
    }
    fn replay(self, x: &mut XmlWriter) {
        for op in self.ops {
            match op {
                Op::Start(n, a) => x.start(&n, &borrow(&a)),
                Op::End(n) => x.end(&n),
                Op::Element(n, a, t) => x.element(&n, &borrow(&a), &t),
                Op::Empty(n, a) => x.empty(&n, &borrow(&a)),
            }
        }
    }
}

fn own(attrs: &[(&str, &str)]) -> Vec<(String, String)> {
    attrs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn borrow(attrs: &[(String, String)]) -> Vec<(&str, &str)> {
    attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

// ---------------------------------------------------------------- request parsing

fn parse(args: &[(String, String)], key: &[u8]) -> Result<Request, OaiError> {
    let verbs: Vec<&str> = args
        .iter()
        .filter(|(k, _)| k == "verb")
        .map(|(_, v)| v.as_str())
        .collect();
    let verb = match verbs.as_slice() {
        [] => return Err(err(ErrorCode::BadVerb, "The request has no verb.")),
        [v] => *v,
        _ => return Err(err(ErrorCode::BadVerb, "The verb argument is repeated.")),
    };
    let allowed: &[&str] = match verb {
        "Identify" => &[],
        "ListMetadataFormats" => &["identifier"],
        "ListSets" => &["resumptionToken"],
        "GetRecord" => &["identifier", "metadataPrefix"],
        "ListIdentifiers" | "ListRecords" => {
            &["metadataPrefix", "from", "until", "set", "resumptionToken"]
        }
        other => {
            return Err(err(
                ErrorCode::BadVerb,
                format!(
                    "`{}` is not an OAI-PMH verb; the verbs are Identify, ListMetadataFormats, \
                     ListSets, GetRecord, ListIdentifiers and ListRecords.",
                    short(other)
                ),
            ))
        }
    };
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (k, v) in args {
        if k == "verb" {
            continue;
        }
        if !allowed.contains(&k.as_str()) {
            return Err(err(
                ErrorCode::BadArgument,
                format!("`{}` is not an argument of {verb}.", short(k)),
            ));
        }
        if seen.insert(k, v).is_some() {
            return Err(err(
                ErrorCode::BadArgument,
                format!("The argument `{k}` is repeated."),
            ));
        }
    }
    let get = |k: &str| seen.get(k).copied();
    let prefix_ok = |p: &str| -> Result<(), OaiError> {
        let legal = !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c));
        if !legal {
            return Err(err(
                ErrorCode::BadArgument,
                "The metadataPrefix holds characters the protocol does not allow.",
            ));
        }
        if p != OAI_DC {
            return Err(err(
                ErrorCode::CannotDisseminateFormat,
                format!("This repository disseminates `{OAI_DC}` only."),
            ));
        }
        Ok(())
    };
    match verb {
        "Identify" => Ok(Request::Identify),
        "ListMetadataFormats" => Ok(Request::ListMetadataFormats {
            identifier: get("identifier").map(str::to_string),
        }),
        "ListSets" => match get("resumptionToken") {
            Some(_) => Err(err(
                ErrorCode::BadResumptionToken,
                "ListSets is answered in one response; this resumption token is not valid.",
            )),
            None => Ok(Request::ListSets),
        },
        "GetRecord" => {
            let (Some(id), Some(prefix)) = (get("identifier"), get("metadataPrefix")) else {
                return Err(err(
                    ErrorCode::BadArgument,
                    "GetRecord needs both identifier and metadataPrefix.",
                ));
            };
            prefix_ok(prefix)?;
            Ok(Request::GetRecord {
                identifier: id.to_string(),
            })
        }
        _ => {
            let records = verb == "ListRecords";
            if let Some(token) = get("resumptionToken") {
                if seen.len() > 1 {
                    return Err(err(
                        ErrorCode::BadArgument,
                        "resumptionToken is an exclusive argument: give it alone with the verb.",
                    ));
                }
                let q = decode_token(token, key).ok_or_else(|| {
                    err(
                        ErrorCode::BadResumptionToken,
                        "The resumption token is not one this repository issued, or it was altered.",
                    )
                })?;
                if q.records != records {
                    return Err(err(
                        ErrorCode::BadResumptionToken,
                        "The resumption token belongs to a different verb.",
                    ));
                }
                return Ok(Request::List(q));
            }
            let Some(prefix) = get("metadataPrefix") else {
                return Err(err(
                    ErrorCode::BadArgument,
                    format!("{verb} needs metadataPrefix (or a resumptionToken)."),
                ));
            };
            for (name, value) in [("from", get("from")), ("until", get("until"))] {
                if let Some(v) = value {
                    if v.len() > 10 && is_day(&v[..10]) && v.as_bytes()[10] == b'T' {
                        return Err(err(
                            ErrorCode::BadArgument,
                            format!(
                                "`{name}` has seconds; this repository's granularity is days \
                                 (YYYY-MM-DD)."
                            ),
                        ));
                    }
                    if !is_day(v) {
                        return Err(err(
                            ErrorCode::BadArgument,
                            format!("`{name}` is not a day written YYYY-MM-DD."),
                        ));
                    }
                }
            }
            if let (Some(f), Some(u)) = (get("from"), get("until")) {
                if f > u {
                    return Err(err(ErrorCode::BadArgument, "`from` is later than `until`."));
                }
            }
            if let Some(s) = get("set") {
                if !is_set_spec(s) {
                    return Err(err(
                        ErrorCode::BadArgument,
                        "`set` is not a setSpec (letters, digits, -_.!~*'() and `:` between parts).",
                    ));
                }
            }
            prefix_ok(prefix)?;
            Ok(Request::List(ListQuery {
                records,
                set: get("set").map(str::to_string),
                from: get("from").map(str::to_string),
                until: get("until").map(str::to_string),
                after: None,
            }))
        }
    }
}

/// At most 60 characters of what the client sent, for error messages.
fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

fn is_set_spec(s: &str) -> bool {
    s.split(':').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c))
    })
}

// ---------------------------------------------------------------- resumption tokens

fn mac(key: &[u8], payload: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(payload);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn encode_token(q: &ListQuery, after: &str, key: &[u8]) -> String {
    let payload = [
        "v1",
        if q.records { "R" } else { "I" },
        q.set.as_deref().unwrap_or(""),
        q.from.as_deref().unwrap_or(""),
        q.until.as_deref().unwrap_or(""),
        after,
    ]
    .join("\n");
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload.as_bytes()),
        URL_SAFE_NO_PAD.encode(mac(key, payload.as_bytes()))
    )
}

fn decode_token(token: &str, key: &[u8]) -> Option<ListQuery> {
    let (p, m) = token.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(p).ok()?;
    let given = URL_SAFE_NO_PAD.decode(m).ok()?;
    let mut check = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    check.update(&payload);
    // Constant-time comparison.
    check.verify_slice(&given).ok()?;
    let text = String::from_utf8(payload).ok()?;
    let parts: Vec<&str> = text.split('\n').collect();
    let ["v1", kind, set, from, until, after] = parts.as_slice() else {
        return None;
    };
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Some(ListQuery {
        records: match *kind {
            "R" => true,
            "I" => false,
            _ => return None,
        },
        set: opt(set),
        from: opt(from),
        until: opt(until),
        after: opt(after),
    })
}

// ---------------------------------------------------------------- items

/// One item of the repository: a live document or a deleted one.
struct Item {
    slug: String,
    /// `YYYY-MM-DD`.
    datestamp: String,
    doc: Option<Document>,
    sets: Vec<String>,
}

fn sets_of(d: &Document) -> Vec<String> {
    let mut s: Vec<String> = d.dossiers.iter().map(|x| format!("dossier:{x}")).collect();
    s.push(format!("kind:{}", d.kind.slug()));
    s
}

/// Every item, live and deleted, in slug order.
fn all_items(store: &dyn Store) -> Result<Vec<Item>, PublishError> {
    let mut items: BTreeMap<String, Item> = BTreeMap::new();
    for d in store.documents(&DocumentQuery::default())? {
        let datestamp = store
            .stamps(RecordType::Document, &d.slug)?
            .map(|s| day_of(&s.changed))
            .unwrap_or_default();
        items.insert(
            d.slug.clone(),
            Item {
                slug: d.slug.clone(),
                datestamp,
                sets: sets_of(&d),
                doc: Some(d),
            },
        );
    }
    let mut graves = tombstone_sets(store)?;
    for (slug, at) in deleted_documents(store)? {
        let sets = graves.remove(&slug).unwrap_or_default();
        items.entry(slug.clone()).or_insert(Item {
            slug,
            datestamp: day_of(&at),
            doc: None,
            sets,
        });
    }
    Ok(items.into_values().collect())
}

/// The sets each deleted document was in when it was deleted, from the store's
/// tombstones (a document deleted before the store kept them has none: it is then listed
/// only in harvests without a set).
fn tombstone_sets(store: &dyn Store) -> Result<BTreeMap<String, Vec<String>>, PublishError> {
    Ok(store
        .tombstones(RecordType::Document)?
        .into_iter()
        .map(|t| {
            let mut sets: Vec<String> = t.dossiers.iter().map(|d| format!("dossier:{d}")).collect();
            sets.push(format!("kind:{}", t.kind));
            (t.slug, sets)
        })
        .collect())
}

/// Documents whose last change in the log is a delete, with its time.
fn deleted_documents(store: &dyn Store) -> Result<Vec<(String, String)>, PublishError> {
    let mut last: BTreeMap<String, (ChangeOp, String)> = BTreeMap::new();
    let mut seq = 0;
    loop {
        let batch = store.changes_since(seq, 10_000)?;
        let Some(tail) = batch.last() else { break };
        seq = tail.seq;
        for c in batch {
            if c.record == RecordType::Document {
                last.insert(c.slug, (c.op, c.at));
            }
        }
    }
    Ok(last
        .into_iter()
        .filter(|(_, (op, _))| *op == ChangeOp::Delete)
        .map(|(slug, (_, at))| (slug, at))
        .collect())
}

fn day_of(stamp: &str) -> String {
    stamp.chars().take(10).collect()
}

fn in_set(item: &Item, set: &str) -> bool {
    item.sets
        .iter()
        .any(|s| s == set || s.strip_prefix(set).is_some_and(|r| r.starts_with(':')))
}

fn identifier(site: &Site, slug: &str) -> String {
    format!("oai:{}:document/{slug}", site.host_name())
}

/// The slug an identifier of this repository names; `None` for any other identifier.
fn slug_of<'s>(site: &Site, identifier: &'s str) -> Option<&'s str> {
    let prefix = format!("oai:{}:document/", site.host_name());
    identifier
        .strip_prefix(&prefix)
        .filter(|s| dossier_model::is_valid_slug(s))
}

/// The repository's sets: `dossier`, `dossier:{slug}` for each dossier, `kind` and
/// `kind:{slug}` for each kind of document the archive holds.
fn sets(store: &dyn Store) -> Result<Vec<(String, String)>, PublishError> {
    let mut out = Vec::new();
    let dossiers = store.dossiers()?;
    if !dossiers.is_empty() {
        out.push(("dossier".to_string(), "Dossiers".to_string()));
        for d in dossiers {
            out.push((format!("dossier:{}", d.slug), d.title));
        }
    }
    let mut kinds: Vec<_> = store
        .documents(&DocumentQuery::default())?
        .into_iter()
        .map(|d| d.kind)
        .collect();
    kinds.sort();
    kinds.dedup();
    if !kinds.is_empty() {
        out.push(("kind".to_string(), "Kinds of document".to_string()));
        for k in kinds {
            out.push((format!("kind:{}", k.slug()), k.label().to_string()));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- the verbs

fn body(oai: &Oai, request: &Request) -> Result<Result<XmlBuffer, OaiError>, PublishError> {
    let mut b = XmlBuffer::default();
    match request {
        Request::Identify => {
            let items = all_items(oai.store)?;
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
        }
        Request::ListMetadataFormats { identifier } => {
            if let Some(id) = identifier {
                if let Err(e) = find(oai, id)? {
                    return Ok(Err(e));
                }
            }
            b.start("ListMetadataFormats", &[]);
            b.start("metadataFormat", &[]);
            b.element("metadataPrefix", &[], OAI_DC);
            b.element("schema", &[], OAI_DC_XSD);
            b.element("metadataNamespace", &[], OAI_DC_NS);
            b.end("metadataFormat");
            b.end("ListMetadataFormats");
        }
        Request::ListSets => {
            let sets = sets(oai.store)?;
            if sets.is_empty() {
                return Ok(Err(err(
                    ErrorCode::NoSetHierarchy,
                    "The archive holds no dossier and no document yet, so it has no sets.",
                )));
            }
            b.start("ListSets", &[]);
            for (spec, name) in sets {
                b.start("set", &[]);
                b.element("setSpec", &[], &spec);
                b.element("setName", &[], &name);
                b.end("set");
            }
            b.end("ListSets");
        }
        Request::GetRecord { identifier } => {
            let item = match find(oai, identifier)? {
                Ok(item) => item,
                Err(e) => return Ok(Err(e)),
            };
            b.start("GetRecord", &[]);
            record(oai, &item, &mut b)?;
            b.end("GetRecord");
        }
        Request::List(q) => {
            if q.set.is_some() && sets(oai.store)?.is_empty() {
                return Ok(Err(err(
                    ErrorCode::NoSetHierarchy,
                    "The archive holds no dossier and no document yet, so it has no sets.",
                )));
            }
            let items: Vec<Item> = all_items(oai.store)?
                .into_iter()
                .filter(|i| q.from.as_deref().is_none_or(|f| i.datestamp.as_str() >= f))
                .filter(|i| q.until.as_deref().is_none_or(|u| i.datestamp.as_str() <= u))
                .filter(|i| q.set.as_deref().is_none_or(|s| in_set(i, s)))
                .collect();
            let total = items.len();
            let done = match &q.after {
                Some(after) => items.iter().take_while(|i| &i.slug <= after).count(),
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
                    record(oai, item, &mut b)?;
                } else {
                    header(oai, item, &mut b);
                }
            }
            let shown = done + page.len();
            let size = total.to_string();
            let cursor = done.to_string();
            if shown < total {
                let last = page.last().map(|i| i.slug.as_str()).unwrap_or_default();
                b.element(
                    "resumptionToken",
                    &[("completeListSize", &size), ("cursor", &cursor)],
                    &encode_token(q, last, oai.key),
                );
            } else if done > 0 {
                // The last page of a list that was cut: an empty token says so.
                b.empty(
                    "resumptionToken",
                    &[("completeListSize", &size), ("cursor", &cursor)],
                );
            }
            b.end(verb);
        }
    }
    Ok(Ok(b))
}

/// The item an identifier names, or idDoesNotExist.
fn find(oai: &Oai, id: &str) -> Result<Result<Item, OaiError>, PublishError> {
    let missing = || {
        err(
            ErrorCode::IdDoesNotExist,
            format!(
                "No item of this repository has the identifier `{}`.",
                short(id)
            ),
        )
    };
    let Some(slug) = slug_of(oai.site, id) else {
        return Ok(Err(missing()));
    };
    if let Some(doc) = oai.store.document(slug)? {
        let datestamp = oai
            .store
            .stamps(RecordType::Document, slug)?
            .map(|s| day_of(&s.changed))
            .unwrap_or_default();
        return Ok(Ok(Item {
            slug: slug.to_string(),
            datestamp,
            sets: sets_of(&doc),
            doc: Some(doc),
        }));
    }
    match deleted_documents(oai.store)?
        .into_iter()
        .find(|(s, _)| s == slug)
    {
        Some((slug, at)) => Ok(Ok(Item {
            sets: tombstone_sets(oai.store)?.remove(&slug).unwrap_or_default(),
            slug,
            datestamp: day_of(&at),
            doc: None,
        })),
        None => Ok(Err(missing())),
    }
}

fn header(oai: &Oai, item: &Item, b: &mut XmlBuffer) {
    if item.doc.is_some() {
        b.start("header", &[]);
    } else {
        b.start("header", &[("status", "deleted")]);
    }
    b.element("identifier", &[], &identifier(oai.site, &item.slug));
    b.element("datestamp", &[], &item.datestamp);
    for s in &item.sets {
        b.element("setSpec", &[], s);
    }
    b.end("header");
}

fn record(oai: &Oai, item: &Item, b: &mut XmlBuffer) -> Result<(), PublishError> {
    b.start("record", &[]);
    header(oai, item, b);
    if let Some(doc) = &item.doc {
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
        for (element, value) in dublin_core(oai.store, oai.site, doc)? {
            b.element(&format!("dc:{element}"), &[], &value);
        }
        b.end("oai_dc:dc");
        b.end("metadata");
    }
    b.end("record");
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_refuse_tampering() {
        let q = ListQuery {
            records: true,
            set: Some("kind:declaration".into()),
            from: Some("2001-01-01".into()),
            until: None,
            after: None,
        };
        let t = encode_token(&q, "rome-declaration", b"key");
        let back = decode_token(&t, b"key").unwrap();
        assert_eq!(back.after.as_deref(), Some("rome-declaration"));
        assert_eq!(back.set, q.set);
        assert!(decode_token(&t, b"other key").is_none());
        // Alter the payload and keep the signature.
        let (p, m) = t.split_once('.').unwrap();
        let mut payload = URL_SAFE_NO_PAD.decode(p).unwrap();
        let last = payload.len() - 1;
        payload[last] ^= 1;
        let forged = format!("{}.{m}", URL_SAFE_NO_PAD.encode(&payload));
        assert!(decode_token(&forged, b"key").is_none());
        assert!(decode_token("garbage", b"key").is_none());
        assert!(decode_token("", b"key").is_none());
        assert!(t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'));
    }

    #[test]
    fn set_specs() {
        assert!(is_set_spec("dossier:nato-russia"));
        assert!(is_set_spec("kind"));
        assert!(!is_set_spec("kind:"));
        assert!(!is_set_spec("a b"));
        assert!(!is_set_spec(""));
    }
}
