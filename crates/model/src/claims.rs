//! Claims (issue 25): the rules a claim obeys, and when one has aged.
//!
//! A claim names the field it dates; a name the record type does not have would date
//! nothing, and an empty statement would show a reader an empty quote, so both are refused
//! at every write. Whether a claim has aged is a pure function of its date, the dossier's
//! threshold and a day given by the caller, so pages and tests agree on any day.

use crate::archive::{Archive, ValidationError};
use crate::date::{Bound, Edtf};
use crate::records::{Claim, Dossier, DEFAULT_STALE_AFTER_YEARS};

/// The longest statement a claim may quote: a sentence or two of prose.
pub const MAX_STATEMENT_CHARS: usize = 2_000;

/// The fields of a document a claim may date (its facts; not its slug, links to
/// dossiers and collections, or its provenance).
pub const DOCUMENT_FIELDS: &[&str] = &[
    "title",
    "aliases",
    "kind",
    "date",
    "coverage",
    "place",
    "issued_by",
    "authors",
    "parties",
    "legal_status",
    "availability",
    "languages",
    "summary",
    "texts",
    "relations",
    "topics",
];

/// The fields of a body a claim may date.
pub const BODY_FIELDS: &[&str] = &[
    "name",
    "acronyms",
    "aliases",
    "kind",
    "established",
    "ended",
    "founding_document",
    "predecessors",
    "successors",
    "part_of",
    "format",
    "decision_rule",
    "summary",
];

/// The fields of a person a claim may date.
pub const PERSON_FIELDS: &[&str] = &["name", "offices", "summary"];

/// The fields of an event a claim may date.
pub const EVENT_FIELDS: &[&str] = &[
    "title",
    "kind",
    "date",
    "bodies",
    "people",
    "level",
    "place",
    "outcome_documents",
    "public_statement",
    "summary",
];

/// The fields of a topic a claim may date (`status` has its own `as_of` as well).
pub const TOPIC_FIELDS: &[&str] = &[
    "title",
    "kind",
    "status",
    "summary",
    "sections",
    "documents",
    "bodies",
];

/// The fields of a dossier's section a claim may date: mostly a sentence of its
/// commentary.
pub const SECTION_FIELDS: &[&str] = &["title", "commentary", "lists"];

/// The fields a claim on a record of `record` (`document`, `body`, `person`, `event`,
/// `topic`, or `section`) may name.
pub fn claim_fields(record: &str) -> &'static [&'static str] {
    match record {
        "document" => DOCUMENT_FIELDS,
        "body" => BODY_FIELDS,
        "person" => PERSON_FIELDS,
        "event" => EVENT_FIELDS,
        "topic" => TOPIC_FIELDS,
        "section" => SECTION_FIELDS,
        _ => &[],
    }
}

/// What is wrong with one claim of a `record` (as [`claim_fields`] names it), as
/// `(field within the claim, problem)`.
pub fn claim_problems(record: &str, claim: &Claim) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let fields = claim_fields(record);
    if !fields.contains(&claim.field.as_str()) {
        out.push((
            "field",
            format!(
                "a {record} has no field `{}` to date; one of: {}",
                short(&claim.field),
                fields.join(", ")
            ),
        ));
    }
    if let Some(s) = &claim.statement {
        if s.trim().is_empty() {
            out.push((
                "statement",
                "the statement is empty; leave it out when the claim dates the whole field".into(),
            ));
        } else if s.chars().count() > MAX_STATEMENT_CHARS {
            out.push((
                "statement",
                format!(
                    "the statement is {} characters long; at most {MAX_STATEMENT_CHARS}",
                    s.chars().count()
                ),
            ));
        }
    }
    if last_known_day(&claim.as_of).is_none() {
        out.push((
            "as_of",
            "the date has no known day the claim held (an interval needs a known end or start)"
                .into(),
        ));
    }
    out
}

/// Every claim of the archive's records and dossier sections that breaks a rule of
/// [`claim_problems`], with the field path of the claim (`claims[1].field`,
/// `sections.a-i-1.claims[0].statement`).
pub(crate) fn claim_errors(a: &Archive) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    for (record, slug, p) in a.provenances() {
        for (i, c) in p.claims.iter().enumerate() {
            for (part, problem) in claim_problems(record, c) {
                errors.push(ValidationError {
                    record,
                    slug: slug.to_string(),
                    field: format!("claims[{i}].{part}"),
                    problem,
                });
            }
        }
    }
    for d in &a.dossiers {
        // A tree too deep to read is refused by the depth check; walking it is iterative.
        for s in d.all_sections() {
            for (i, c) in s.claims.iter().enumerate() {
                for (part, problem) in claim_problems("section", c) {
                    errors.push(ValidationError {
                        record: "dossier",
                        slug: d.slug.clone(),
                        field: format!("sections.{}.claims[{i}].{part}", s.key),
                        problem,
                    });
                }
            }
        }
    }
    errors
}

/// A field name cut to a length an error message can show.
fn short(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}

/// The last day (`YYYYMMDD`) a claim's date says it was known to hold: the last day of a
/// single date ("2002" held on some day of 2002: 31 December gives it the benefit of the
/// doubt); for an interval, its end, or its start where the end is open or unknown
/// ("2002-05-28/..": held from 28 May 2002, and nothing later is known). `None` for an
/// interval without a known day, which [`Edtf::parse`] refuses anyway.
pub fn last_known_day(as_of: &Edtf) -> Option<i64> {
    match as_of {
        Edtf::Date(d) => Some(d.latest()),
        Edtf::Interval(_, Bound::Date(e)) => Some(e.latest()),
        Edtf::Interval(Bound::Date(s), _) => Some(s.latest()),
        Edtf::Interval(..) => None,
    }
}

/// The date a claim's as-of says in words: "28 May 2002", "2002"; for an interval, its
/// last known day's date as written.
pub fn as_of_human(as_of: &Edtf) -> String {
    match as_of {
        Edtf::Date(d) => d.human(),
        Edtf::Interval(_, Bound::Date(e)) => e.human(),
        Edtf::Interval(Bound::Date(s), _) => s.human(),
        Edtf::Interval(..) => as_of.human(),
    }
}

/// The threshold in years after which a claim of `dossier` is flagged.
pub fn stale_after_years(dossier: &Dossier) -> u32 {
    dossier
        .stale_after_years
        .unwrap_or(DEFAULT_STALE_AFTER_YEARS)
}

/// Whether a claim known to hold until `as_of` may be out of date on `today`
/// (`YYYYMMDD`): more than `years` years have passed since its last known day.
/// A threshold of 0 flags every claim not known to hold today.
pub fn is_stale(as_of: &Edtf, years: u32, today: i64) -> bool {
    match last_known_day(as_of) {
        // Adding years to `YYYYMMDD` keeps month and day; 29 February plus 5 years is
        // "0229" of a common year, which still compares as the day after 28 February.
        Some(day) => day.saturating_add(i64::from(years) * 10_000) < today,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::*;
    use crate::records::*;

    fn d(s: &str) -> Edtf {
        Edtf::parse(s).unwrap()
    }

    fn claim(field: &str, statement: Option<&str>, as_of: &str) -> Claim {
        Claim {
            field: field.into(),
            statement: statement.map(str::to_string),
            as_of: d(as_of),
        }
    }

    /// Every field name the tables list is one the record's JSON has: read as a record
    /// with a value of the wrong type, serde complains of the value, never of the name.
    #[test]
    fn the_tables_name_real_fields() {
        use serde_json::{json, Value};
        /// A record of `base` with `field` set to a value of no field's type: serde
        /// complains of the value for a field the type has, of the name otherwise.
        fn check<T: serde::de::DeserializeOwned>(base: Value, fields: &[&str]) {
            let probe = |f: &str| {
                let mut v = base.clone();
                v[f] = json!({ "probe": [1] });
                serde_json::from_value::<T>(v)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default()
            };
            for f in fields {
                let err = probe(f);
                assert!(
                    !err.is_empty() && !err.contains("unknown field"),
                    "{f}: {err}"
                );
            }
            // The check can fail: a made-up name is unknown.
            assert!(probe("no_such").contains("unknown field"));
        }
        check::<Document>(
            json!({"slug": "s", "title": "T", "kind": "treaty"}),
            DOCUMENT_FIELDS,
        );
        check::<Body>(
            json!({"slug": "s", "name": "N", "kind": "council"}),
            BODY_FIELDS,
        );
        check::<Person>(json!({"slug": "s", "name": "N"}), PERSON_FIELDS);
        check::<Event>(
            json!({"slug": "s", "title": "T", "kind": "meeting"}),
            EVENT_FIELDS,
        );
        check::<Topic>(
            json!({"slug": "s", "title": "T", "kind": "subject"}),
            TOPIC_FIELDS,
        );
        // Sections ignore unknown names, so a known one is a type error instead.
        for f in SECTION_FIELDS {
            let mut v = json!({"key": "k", "label": "", "title": "T"});
            v[*f] = json!({ "probe": [1] });
            let err = serde_json::from_value::<Section>(v)
                .unwrap_err()
                .to_string();
            assert!(err.contains("invalid type"), "{f}: {err}");
        }
    }

    #[test]
    fn a_claim_names_a_field_of_its_record_and_a_real_statement() {
        assert!(claim_problems("body", &claim("format", None, "2002")).is_empty());
        assert!(claim_problems("document", &claim("availability", None, "2002")).is_empty());
        let p = claim_problems("body", &claim("availability", Some("x"), "2002"));
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0, "field");
        assert!(
            p[0].1.starts_with("a body has no field `availability`"),
            "{p:?}"
        );
        let p = claim_problems("topic", &claim("status", Some(" \n\t"), "2002"));
        assert_eq!(
            p,
            [(
                "statement",
                "the statement is empty; leave it out when the claim dates the whole field"
                    .to_string()
            )]
        );
        let long = "x".repeat(MAX_STATEMENT_CHARS + 1);
        let p = claim_problems("section", &claim("commentary", Some(&long), "2002"));
        assert_eq!(p.len(), 1);
        assert!(p[0].1.contains("at most"), "{p:?}");
        // A hostile field name is cut, and said as a name, not run.
        let p = claim_problems("person", &claim(&"<script>".repeat(100), None, "2002"));
        assert!(p[0].1.len() < 200, "{}", p[0].1);
    }

    #[test]
    fn the_archive_refuses_bad_claims_with_their_paths() {
        let mut a = Archive::default();
        let mut topic = Topic {
            slug: "t".into(),
            title: "T".into(),
            kind: TopicKind::Cooperation,
            status: TopicStatus::Active,
            as_of: None,
            summary: None,
            sections: vec![],
            documents: vec![],
            bodies: vec![],
            dossiers: vec![],
            collections: vec![],
            provenance: Provenance::default(),
        };
        topic.provenance.claims = vec![
            claim("status", None, "2002"),
            claim("format", Some(""), "2002"),
        ];
        a.topics.push(topic);
        a.dossiers.push(Dossier {
            slug: "d".into(),
            title: "D".into(),
            description: String::new(),
            source: None,
            sections: vec![Section {
                key: "a-i".into(),
                label: "I.".into(),
                title: "I".into(),
                short_title: None,
                commentary: "Russia continues.".into(),
                references: vec![],
                lists: vec![],
                claims: vec![claim("summary", Some("Russia continues."), "2002")],
                children: vec![],
            }],
            queries: vec![],
            stale_after_years: None,
        });
        let errs: Vec<String> = a
            .validate(&|_, _| false)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            errs[0]
                .starts_with("topic `t`, field `claims[1].field`: a topic has no field `format`"),
            "{errs:?}"
        );
        assert!(
            errs[1].starts_with("topic `t`, field `claims[1].statement`: the statement is empty"),
            "{errs:?}"
        );
        assert!(errs[2].starts_with("dossier `d`, field `sections.a-i.claims[0].field`: a section has no field `summary`"), "{errs:?}");
    }

    #[test]
    fn a_claim_ages_past_the_threshold() {
        let may = d("2002-05-28");
        assert!(!is_stale(&may, 5, 20070528));
        assert!(is_stale(&may, 5, 20070529));
        // A year holds to its last day; an open interval to its start.
        assert!(!is_stale(&d("2002"), 5, 20071231));
        assert!(is_stale(&d("2002"), 5, 20080101));
        assert!(is_stale(&d("2002-05-28/.."), 5, 20070529));
        assert!(!is_stale(&d("2002-05-28/.."), 30, 20261206));
        assert!(!is_stale(&d("../2022-01-12"), 5, 20270112));
        assert!(is_stale(&d("../2022-01-12"), 5, 20270113));
        // Zero years: anything before today.
        assert!(is_stale(&d("2026-12-05"), 0, 20261206));
        assert!(!is_stale(&d("2026-12-06"), 0, 20261206));
        // Huge thresholds do not overflow.
        assert!(!is_stale(&may, u32::MAX, 99991231));
        assert_eq!(as_of_human(&d("2002-05-28/..")), "28 May 2002");
        assert_eq!(as_of_human(&d("2002")), "2002");
    }
}
