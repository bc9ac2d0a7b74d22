//! Paths and templates: where a mapping reads a value in one source record, and the values
//! a reader collected there. A *path* names a child element (`visitor`), a nested one
//! (`a/b`), an attribute (`@id`, `from/@id`) or a CSV column; a *template* is text with
//! paths in braces (`Visit of {visitor}`).

use crate::xml::Pos;

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    Lit(String),
    Path(String),
}

/// The paths a template reads.
pub(super) fn paths_of(parts: &[Part]) -> impl Iterator<Item = String> + '_ {
    parts.iter().filter_map(|p| match p {
        Part::Path(p) => Some(p.clone()),
        Part::Lit(_) => None,
    })
}

/// The values of one source record: path → (text, where). Repeated paths keep every value.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub entries: Vec<(String, String, Pos)>,
}

impl Values {
    pub fn first(&self, path: &str) -> Option<(&str, Pos)> {
        self.entries
            .iter()
            .find(|(p, v, _)| p == path && !v.trim().is_empty())
            .map(|(_, v, pos)| (v.as_str(), *pos))
    }

    pub fn all(&self, path: &str) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(p, v, _)| p == path && !v.trim().is_empty())
            .map(|(_, v, _)| v.as_str())
            .collect()
    }
}

pub(super) fn parse_template(t: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(Part::Lit(rest[..open].to_string()));
        }
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("template {t:?} has a `{{` without `}}`"));
        };
        let path = rest[open + 1..open + close].trim();
        if path.is_empty() {
            return Err(format!("template {t:?} has an empty `{{}}`"));
        }
        parts.push(Part::Path(path.to_string()));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::Lit(rest.to_string()));
    }
    Ok(parts)
}

/// Why a path can match nothing (`None` when it can match something).
pub(super) fn path_problem(p: &str, xml: bool) -> Option<String> {
    if p.trim().is_empty() {
        return Some("is empty: it would match nothing; name a child element, an attribute (`@id`) or a CSV column".into());
    }
    if p.trim() != p {
        return Some("has white space at its ends: it would match nothing (XML names hold none, CSV column names are trimmed)".into());
    }
    if xml {
        let steps: Vec<&str> = p.split('/').collect();
        for (i, step) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            if step.is_empty() || *step == "@" {
                return Some(
                    "has an empty step: it would match nothing; write steps as `a/b` or `a/@id`"
                        .into(),
                );
            }
            if step.chars().any(char::is_whitespace) {
                return Some(format!("has white space in the step {step:?}: no XML name holds any, so it would match nothing"));
            }
            if step.starts_with('@') && !last {
                return Some("has an attribute before its last step: an attribute has no children, so it would match nothing".into());
            }
            if !step.starts_with('@') && step.contains(':') {
                return Some(format!("names the element {step:?} with a prefix: elements are matched by local name, so it would match nothing; leave the prefix out"));
            }
        }
    }
    None
}

/// A template filled in from a record's values; `None` when a path it names has none.
pub(super) fn render(parts: &[Part], v: &Values) -> Option<String> {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Lit(s) => out.push_str(s),
            Part::Path(path) => out.push_str(&clean(v.first(path)?.0)),
        }
    }
    Some(out)
}

/// Collapses the white space of a source value.
pub(super) fn clean(s: &str) -> String {
    crate::xml::normalize_space(s)
}
