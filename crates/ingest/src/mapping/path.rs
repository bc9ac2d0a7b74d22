//! Paths and templates: where a mapping reads a value in one source record, and the values
//! a reader collected there. A *path* names a child element (`visitor`), a nested one
//! (`a/b`), an attribute (`@id`, `a/b/@id`) or a CSV column; a list of paths is tried in
//! order (the first that holds a value). A *template* is text with paths in braces
//! (`Visit of {visitor}`), `{a|b}` for fallbacks and `[…]` for a part that vanishes when
//! a value it names is missing. The format is documented in `docs/mapping.md`.

use crate::xml::Pos;

/// A path and its fallbacks: the first that holds a non-empty value wins. An element
/// that is empty or white space (`<locale/>`) holds no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Paths(pub(super) Vec<String>);

impl Paths {
    /// The first non-empty value: (text, where, the path that gave it).
    pub(super) fn first<'a>(&'a self, v: &'a Values) -> Option<(&'a str, Pos, &'a str)> {
        self.0
            .iter()
            .find_map(|p| v.first(p).map(|(t, pos)| (t, pos, p.as_str())))
    }

    /// Every non-empty value of the first path that holds any, with that path.
    pub(super) fn all<'a>(&'a self, v: &'a Values) -> Vec<(&'a str, Pos, &'a str)> {
        for p in &self.0 {
            let all = v.all_at(p);
            if !all.is_empty() {
                return all
                    .into_iter()
                    .map(|(t, pos)| (t, pos, p.as_str()))
                    .collect();
            }
        }
        Vec::new()
    }

    /// How the paths are written in errors: `locale` or `locale|country`.
    pub(super) fn describe(&self) -> String {
        self.0.join("|")
    }
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    Lit(String),
    Path(Paths),
    /// `[…]`: shown only when every path inside it has a value.
    Optional(Vec<Part>),
}

/// The paths a template reads.
pub(super) fn paths_of(parts: &[Part]) -> Vec<String> {
    let mut out = Vec::new();
    for p in parts {
        match p {
            Part::Path(p) => out.extend(p.0.iter().cloned()),
            Part::Optional(inner) => out.extend(paths_of(inner)),
            Part::Lit(_) => {}
        }
    }
    out
}

/// The values of one source record: path → (text, where). Repeated paths keep every value.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub entries: Vec<(String, String, Pos)>,
}

impl Values {
    /// The first non-empty value at `path`: an empty element counts as missing.
    pub fn first(&self, path: &str) -> Option<(&str, Pos)> {
        self.entries
            .iter()
            .find(|(p, v, _)| p == path && !v.trim().is_empty())
            .map(|(_, v, pos)| (v.as_str(), *pos))
    }

    /// Every non-empty value at `path`.
    pub fn all(&self, path: &str) -> Vec<&str> {
        self.all_at(path).into_iter().map(|(v, _)| v).collect()
    }

    fn all_at(&self, path: &str) -> Vec<(&str, Pos)> {
        self.entries
            .iter()
            .filter(|(p, v, _)| p == path && !v.trim().is_empty())
            .map(|(_, v, pos)| (v.as_str(), *pos))
            .collect()
    }
}

/// Reads a template: literal text, `{path}` or `{a|b}` (fallbacks), `[…]` (an optional
/// part); `{{`, `}}`, `[[` and `]]` are literal braces and brackets.
pub(super) fn parse_template(t: &str) -> Result<Vec<Part>, String> {
    let mut top: Vec<Part> = Vec::new();
    // The optional part being read, if any.
    let mut optional: Option<Vec<Part>> = None;
    let mut lit = String::new();
    let mut chars = t.char_indices().peekable();
    fn flush(lit: &mut String, into: &mut Vec<Part>) {
        if !lit.is_empty() {
            into.push(Part::Lit(std::mem::take(lit)));
        }
    }
    while let Some((i, c)) = chars.next() {
        let doubled = chars.peek().is_some_and(|&(_, n)| n == c);
        match c {
            '{' | '}' | '[' | ']' if doubled => {
                chars.next();
                lit.push(c);
            }
            '{' => {
                let rest = &t[i + 1..];
                let Some(close) = rest.find('}') else {
                    return Err(format!(
                        "template {t:?} has a `{{` without `}}` (write `{{{{` for a brace)"
                    ));
                };
                let inner = &rest[..close];
                if inner.contains('{') {
                    return Err(format!(
                        "template {t:?} has a `{{` inside `{{…}}`; a path is written `{{a}}` or `{{a|b}}`"
                    ));
                }
                let paths: Vec<String> = inner.split('|').map(|p| p.trim().to_string()).collect();
                if paths.iter().any(String::is_empty) {
                    return Err(format!(
                        "template {t:?} has an empty path in `{{{inner}}}`; write `{{a}}` or `{{a|b}}`"
                    ));
                }
                let into = optional.as_mut().unwrap_or(&mut top);
                flush(&mut lit, into);
                into.push(Part::Path(Paths(paths)));
                // Skip the path and its `}`.
                while chars.peek().is_some_and(|&(j, _)| j <= i + close + 1) {
                    chars.next();
                }
            }
            '[' => {
                if optional.is_some() {
                    return Err(format!(
                        "template {t:?} has a `[` inside `[…]`: optional parts do not nest (write `[[` for a bracket)"
                    ));
                }
                flush(&mut lit, &mut top);
                optional = Some(Vec::new());
            }
            ']' => {
                let Some(mut inner) = optional.take() else {
                    return Err(format!(
                        "template {t:?} has a `]` without `[` (write `]]` for a bracket)"
                    ));
                };
                flush(&mut lit, &mut inner);
                if !inner.iter().any(|p| matches!(p, Part::Path(_))) {
                    return Err(format!(
                        "template {t:?} has an optional part `[…]` that names no value, so it would always show; write `[[` and `]]` for brackets"
                    ));
                }
                top.push(Part::Optional(inner));
            }
            // A lone `}` is text, as it always was.
            _ => lit.push(c),
        }
    }
    if optional.is_some() {
        return Err(format!(
            "template {t:?} has a `[` without `]` (write `[[` for a bracket)"
        ));
    }
    flush(&mut lit, &mut top);
    Ok(top)
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
            if step.contains('|') || step.contains('{') || step.contains('}') {
                return Some(format!("has `|`, `{{` or `}}` in the step {step:?}, which no XML name holds; fallbacks are written as a list, `path = [\"a\", \"b\"]`"));
            }
        }
    }
    None
}

/// A template filled in from a record's values; `None` when a path outside an optional
/// part has no value.
pub(super) fn render(parts: &[Part], v: &Values) -> Option<String> {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Lit(s) => out.push_str(s),
            Part::Path(paths) => out.push_str(&clean(paths.first(v)?.0)),
            Part::Optional(inner) => {
                if let Some(s) = render(inner, v) {
                    out.push_str(&s);
                }
            }
        }
    }
    Some(out)
}

/// Collapses the white space of a source value.
pub(super) fn clean(s: &str) -> String {
    crate::xml::normalize_space(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        Values {
            entries: pairs
                .iter()
                .map(|(p, v)| (p.to_string(), v.to_string(), Pos::default()))
                .collect(),
        }
    }

    #[test]
    fn templates_with_fallbacks_optional_parts_and_literal_brackets() {
        let t = parse_template("Trip to {locale|country}[ ({locale}, {country})] [[{id}]] {{x}}")
            .unwrap();
        let v = values(&[("locale", ""), ("country", "Holy See"), ("id", "7")]);
        assert_eq!(render(&t, &v).unwrap(), "Trip to Holy See [7] {x}");
        let v = values(&[("locale", "Rome"), ("country", "Italy"), ("id", "7")]);
        assert_eq!(
            render(&t, &v).unwrap(),
            "Trip to Rome (Rome, Italy) [7] {x}"
        );
        // A required path missing: no text at all.
        let v = values(&[("locale", "Rome"), ("country", "Italy")]);
        assert_eq!(render(&t, &v), None);
        // A lone `}` stays text, as before.
        assert_eq!(
            render(&parse_template("a } b").unwrap(), &v).unwrap(),
            "a } b"
        );
    }

    #[test]
    fn template_mistakes_are_explained() {
        for (t, expect) in [
            ("a {b", "without `}`"),
            ("a {}", "empty path"),
            ("a {b|}", "empty path"),
            ("[a {b}", "`[` without `]`"),
            ("a] {b}", "`]` without `[`"),
            ("[a [{b}]]", "do not nest"),
            ("[draft] {b}", "names no value"),
            ("{a{b}", "inside"),
        ] {
            let e = parse_template(t).unwrap_err();
            assert!(e.contains(expect), "{t}: {e}");
        }
    }
}
