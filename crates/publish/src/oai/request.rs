//! A request's arguments parsed and checked in the order the protocol's errors are
//! meant to be found: the verb, the arguments the verb allows, then their values.

use super::token::decode_token;
use super::{err, ErrorCode, OaiError, Prefix};
use crate::time::is_day;
use std::collections::BTreeMap;

/// What a list request asks for; a resumption token carries the same fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ListQuery {
    pub(super) records: bool,
    /// The metadata format asked for (which also decides which records are listed:
    /// EAC-CPF describes bodies and people only).
    pub(super) prefix: Prefix,
    pub(super) set: Option<String>,
    pub(super) from: Option<String>,
    pub(super) until: Option<String>,
    /// The last slug already returned (from a resumption token).
    pub(super) after: Option<String>,
}

#[derive(Debug)]
pub(super) enum Request {
    Identify,
    ListMetadataFormats { identifier: Option<String> },
    ListSets,
    GetRecord { identifier: String, prefix: Prefix },
    List(ListQuery),
}

/// The arguments of a request other than `verb`, by name (each given once).
type Args<'a> = BTreeMap<&'a str, &'a str>;

pub(super) fn parse(args: &[(String, String)], key: &[u8]) -> Result<Request, OaiError> {
    let (verb, seen) = verb_and_args(args)?;
    let get = |k: &str| seen.get(k).copied();
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
            Ok(Request::GetRecord {
                identifier: id.to_string(),
                prefix: check_prefix(prefix)?,
            })
        }
        _ => list_request(verb, &seen, key),
    }
}

/// The verb, and the other arguments once each is known to be one the verb takes and
/// given once.
fn verb_and_args(args: &[(String, String)]) -> Result<(&str, Args<'_>), OaiError> {
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
    let mut seen: Args = BTreeMap::new();
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
    Ok((verb, seen))
}

/// A metadataPrefix: legal characters, and one of the formats this repository has.
fn check_prefix(p: &str) -> Result<Prefix, OaiError> {
    let legal = !p.is_empty()
        && p.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c));
    if !legal {
        return Err(err(
            ErrorCode::BadArgument,
            "The metadataPrefix holds characters the protocol does not allow.",
        ));
    }
    Prefix::parse(p).ok_or_else(|| {
        err(
            ErrorCode::CannotDisseminateFormat,
            format!(
                "This repository disseminates `{}` (every record) and `{}` (bodies and \
                 people) only.",
                Prefix::OaiDc.as_str(),
                Prefix::EacCpf.as_str()
            ),
        )
    })
}

/// ListIdentifiers or ListRecords: from a resumption token given alone, or from
/// metadataPrefix and the optional `from`, `until` and `set`.
fn list_request(verb: &str, seen: &Args, key: &[u8]) -> Result<Request, OaiError> {
    let get = |k: &str| seen.get(k).copied();
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
            check_day(name, v)?;
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
    let prefix = check_prefix(prefix)?;
    Ok(Request::List(ListQuery {
        records,
        prefix,
        set: get("set").map(str::to_string),
        from: get("from").map(str::to_string),
        until: get("until").map(str::to_string),
        after: None,
    }))
}

/// `from` or `until`: a day, at this repository's granularity.
pub(super) fn check_day(name: &str, v: &str) -> Result<(), OaiError> {
    // `get` rather than slicing: byte 10 may fall inside a character a client sent.
    if v.get(..10).is_some_and(is_day) && v.as_bytes().get(10) == Some(&b'T') {
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
    Ok(())
}

/// At most 60 characters of what the client sent, for error messages.
pub(super) fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

pub(super) fn is_set_spec(s: &str) -> bool {
    s.split(':').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.!~*'()".contains(c))
    })
}
