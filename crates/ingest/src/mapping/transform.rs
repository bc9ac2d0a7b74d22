//! What a mapping does to a value once it is read: text filters (`trim`, `lower`, `upper`,
//! `title`, `collapse`, a regular-expression `replace`) and value maps (`map = {…}` and
//! `map_file`, a CSV of `source,value` rows beside the mapping). Regular expressions use
//! the `regex` crate, which runs in time linear in the text, under a size limit, so that a
//! mapping cannot make an import hang or take unbounded memory.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// The longest regular expression a mapping may give (in bytes of pattern).
pub const MAX_PATTERN_BYTES: usize = 1000;
/// The most memory one compiled regular expression may take.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// The largest `map_file` read: a CSV of codes and slugs; 16 MiB is some 500,000 rows,
/// far beyond any real table, and the whole table is held in memory.
pub const MAX_MAP_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// The most rows one value map may hold (inline and from its file together).
pub const MAX_MAP_ENTRIES: usize = 1_000_000;

/// One text filter, applied in the order the mapping lists them.
#[derive(Debug, Clone)]
pub(super) enum Filter {
    /// White space at both ends removed.
    Trim,
    /// Runs of white space made one space (and the ends trimmed).
    Collapse,
    Lower,
    Upper,
    /// The first letter of each word upper case, the others lower case.
    Title,
    /// Every match of a regular expression replaced (`$1`, `${name}` for groups).
    Replace(regex::Regex, String),
}

impl Filter {
    /// The filter a name stands for, or why there is none.
    pub(super) fn named(name: &str) -> Result<Filter, String> {
        Ok(match name {
            "trim" => Filter::Trim,
            "collapse" => Filter::Collapse,
            "lower" => Filter::Lower,
            "upper" => Filter::Upper,
            "title" => Filter::Title,
            other => {
                return Err(format!(
                    "unknown filter {other:?}: use trim, collapse, lower, upper, title, or {{ replace = \"regex\", with = \"text\" }}"
                ))
            }
        })
    }

    pub(super) fn replace(pattern: &str, with: &str) -> Result<Filter, String> {
        Ok(Filter::Replace(compile(pattern)?, with.to_string()))
    }

    /// The filtered text, or why it is refused: a replacement may not make a value
    /// grow past [`grown_limit`] (a pattern that matches everywhere with a long `with`
    /// would otherwise turn one record into gigabytes).
    pub(super) fn apply(&self, s: &str) -> Result<String, String> {
        Ok(match self {
            Filter::Trim => s.trim().to_string(),
            Filter::Collapse => crate::xml::normalize_space(s),
            Filter::Lower => s.to_lowercase(),
            Filter::Upper => s.to_uppercase(),
            Filter::Title => title_case(s),
            Filter::Replace(re, with) => {
                let limit = grown_limit(s.len());
                let mut out = String::new();
                let mut last = 0;
                for caps in re.captures_iter(s) {
                    let m = caps.get(0).expect("group 0 is the match");
                    out.push_str(&s[last..m.start()]);
                    caps.expand(with, &mut out);
                    last = m.end();
                    if out.len() > limit {
                        return Err(format!(
                            "the replacement {:?} → {with:?} makes the value longer than {limit} bytes; refused",
                            re.as_str()
                        ));
                    }
                }
                out.push_str(&s[last..]);
                out
            }
        })
    }
}

/// A regular expression from a mapping, bounded in length and compiled size: the `regex`
/// crate never backtracks, so matching is linear in the text, and the size limit refuses
/// a pattern that would compile to something huge (`(a{1000}){1000}`).
pub(super) fn compile(pattern: &str) -> Result<regex::Regex, String> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(format!(
            "the regular expression is longer than {MAX_PATTERN_BYTES} bytes; refused"
        ));
    }
    if pattern.is_empty() {
        return Err("the regular expression is empty, which matches everywhere".into());
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => format!(
                "the regular expression {pattern:?} would compile to more than {} KiB; refused (write a simpler one)",
                REGEX_SIZE_LIMIT >> 10
            ),
            e => format!("the regular expression {pattern:?} does not parse: {e}"),
        })
}

/// The longest a value may grow to through filters: four times its length and 64 KiB,
/// room for any real expansion (abbreviations written out, a prefix added).
pub(super) fn grown_limit(len: usize) -> usize {
    len.saturating_mul(4).saturating_add(64 * 1024)
}

/// `Title Case`: a letter that follows no letter, digit or apostrophe is made upper case,
/// every other lower case (`KOREA, REPUBLIC OF` → `Korea, Republic Of`).
fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        if c.is_alphabetic() {
            if in_word {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            in_word = true;
        } else {
            out.push(c);
            in_word = c.is_alphanumeric() || c == '\'' || c == '’';
        }
    }
    out
}

/// What a value not found in its map becomes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Unmapped {
    /// Kept as it is (the default).
    #[default]
    Keep,
    /// Treated as missing.
    Skip,
    /// The record is refused, naming the value.
    Refuse,
}

/// A value map: source text → what it becomes. Keys are compared exactly, after the
/// value's filters.
#[derive(Debug, Clone, Default)]
pub(super) struct ValueMap {
    pub(super) entries: HashMap<String, String>,
}

/// What a value goes through after it is read: its filters, then its map.
#[derive(Debug, Clone, Default)]
pub(super) struct Transform {
    pub(super) filters: Vec<Filter>,
    pub(super) map: Option<Arc<ValueMap>>,
    pub(super) unmapped: Unmapped,
}

impl Transform {
    /// The value after the filters and the map: `Ok(None)` when it ends up empty (or
    /// unmapped with `unmapped = "skip"`), `Err` with the problem when refused.
    pub(super) fn apply(&self, text: String) -> Result<Option<String>, String> {
        let mut text = text;
        for f in &self.filters {
            text = f.apply(&text)?;
        }
        if text.trim().is_empty() {
            return Ok(None);
        }
        let Some(map) = &self.map else {
            return Ok(Some(text));
        };
        match map.entries.get(&text) {
            Some(to) => Ok(Some(to.clone())),
            None => match self.unmapped {
                Unmapped::Keep => Ok(Some(text)),
                Unmapped::Skip => Ok(None),
                Unmapped::Refuse => Err(format!(
                    "{text:?} is not in the value map (add it to `map` or `map_file`, or set unmapped = \"keep\" or \"skip\")"
                )),
            },
        }
    }
}

/// Where a `map_file` may be: a relative path inside the mapping file's folder, with no
/// `..` step, and (once symbolic links are followed) still inside that folder. A mapping
/// comes from an editor, but an import may run it with more rights than its author has:
/// it must not read `/etc/passwd` or a file beside the archive into records.
pub(super) fn map_file_path(folder: &Path, given: &str) -> Result<PathBuf, String> {
    let rel = Path::new(given);
    if given.trim().is_empty() {
        return Err("map_file is empty; name a CSV file beside the mapping".into());
    }
    for c in rel.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!(
                    "map_file {given:?} steps out of the mapping's folder (`..`); refused: keep the table in the mapping's folder or below it"
                ))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "map_file {given:?} is an absolute path; refused: give a path relative to the mapping file, inside its folder"
                ))
            }
        }
    }
    let path = folder.join(rel);
    let real_folder = folder
        .canonicalize()
        .map_err(|e| format!("the mapping's folder {}: {e}", folder.display()))?;
    let real = path
        .canonicalize()
        .map_err(|e| format!("map_file {given:?} cannot be read: {e}"))?;
    if !real.starts_with(&real_folder) {
        return Err(format!(
            "map_file {given:?} is a link to a file outside the mapping's folder; refused"
        ));
    }
    Ok(real)
}

/// Reads a `map_file`: CSV, a header row (skipped), then rows of two columns, the source
/// value and what it becomes. A key given twice, a row without two columns or an empty
/// target is an error naming the file and line.
pub(super) fn read_map_file(path: &Path, shown: &str) -> Result<ValueMap, String> {
    let bytes = crate::import::read_bounded(path, shown, MAX_MAP_FILE_BYTES, "a map file")
        .map_err(|e| e.to_string())?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut entries = HashMap::new();
    let mut lines: HashMap<String, u64> = HashMap::new();
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            format!("{shown}:{line}: not CSV text: {e}")
        })?;
        let line = row.position().map_or(0, |p| p.line());
        if row.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if row.len() < 2 {
            return Err(format!(
                "{shown}:{line}: expected two columns (source value, what it becomes), found {}",
                row.len()
            ));
        }
        let (from, to) = (
            crate::xml::normalize_space(&row[0]),
            row[1].trim().to_string(),
        );
        if from.is_empty() || to.is_empty() {
            return Err(format!(
                "{shown}:{line}: an empty {}; every row maps a value to a value",
                if from.is_empty() {
                    "source value"
                } else {
                    "target"
                }
            ));
        }
        if let Some(first) = lines.get(&from) {
            return Err(format!(
                "{shown}:{line}: {from:?} is mapped again (first on line {first}); give each value once"
            ));
        }
        if entries.len() >= MAX_MAP_ENTRIES {
            return Err(format!(
                "{shown}:{line}: more than {MAX_MAP_ENTRIES} rows; refused (a limit that bounds memory)"
            ));
        }
        lines.insert(from.clone(), line);
        entries.insert(from, to);
    }
    Ok(ValueMap { entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_change_text_as_named() {
        let t = |f: &str, s: &str| Filter::named(f).unwrap().apply(s).unwrap();
        assert_eq!(t("lower", "RUSSIA"), "russia");
        assert_eq!(t("upper", "ru"), "RU");
        assert_eq!(
            t("title", "KOREA, REPUBLIC OF o'brien bosnia-herzegovina"),
            "Korea, Republic Of O'brien Bosnia-Herzegovina"
        );
        assert_eq!(t("trim", "  a  b "), "a  b");
        assert_eq!(t("collapse", "  a \n b "), "a b");
        let r = Filter::replace(r",.*$", "").unwrap();
        assert_eq!(r.apply("Rome,Nettuno").unwrap(), "Rome");
        let r = Filter::replace(r"^(\w+) (\w+)$", "$2 $1").unwrap();
        assert_eq!(r.apply("Albright Madeleine").unwrap(), "Madeleine Albright");
        assert_eq!(
            Filter::replace("x*", "-").unwrap().apply("ab").unwrap(),
            "-a-b-"
        );
        assert!(Filter::named("shout")
            .unwrap_err()
            .contains("unknown filter"));
    }

    /// Hostile patterns: a regex that would compile to something huge is refused at
    /// once, and a long one too; none can backtrack (the crate is linear-time).
    #[test]
    fn regex_bombs_are_refused_and_matching_is_linear() {
        let e = compile("(a{1000}){1000}").unwrap_err();
        assert!(e.contains("would compile to more than"), "{e}");
        let e = compile(&"a".repeat(MAX_PATTERN_BYTES + 1)).unwrap_err();
        assert!(e.contains("longer than"), "{e}");
        assert!(compile("(").unwrap_err().contains("does not parse"));
        assert!(compile("").unwrap_err().contains("empty"));
        // The classic catastrophic-backtracking pattern on a long non-matching text
        // completes (no assertion on time: it cannot backtrack).
        let re = compile("^(a+)+$").unwrap();
        assert!(!re.is_match(&format!("{}!", "a".repeat(100_000))));
        // A replacement that would grow a value without bound is stopped at its limit.
        let bomb = Filter::replace("", "x").expect_err("empty pattern refused");
        assert!(bomb.contains("empty"), "{bomb}");
        let grow = Filter::replace(".", &"x".repeat(1000)).unwrap();
        let e = grow.apply(&"a".repeat(100_000)).unwrap_err();
        assert!(e.contains("longer than"), "{e}");
        assert!(grow.apply("ab").is_ok());
    }

    #[test]
    fn maps_keep_skip_or_refuse_what_they_lack() {
        let map = Arc::new(ValueMap {
            entries: [("ru".to_string(), "Russia".to_string())].into(),
        });
        let mut t = Transform {
            filters: vec![Filter::Lower],
            map: Some(map),
            unmapped: Unmapped::Keep,
        };
        assert_eq!(t.apply("RU".into()).unwrap().as_deref(), Some("Russia"));
        assert_eq!(t.apply("FR".into()).unwrap().as_deref(), Some("fr"));
        t.unmapped = Unmapped::Skip;
        assert_eq!(t.apply("FR".into()).unwrap(), None);
        t.unmapped = Unmapped::Refuse;
        assert!(t
            .apply("FR".into())
            .unwrap_err()
            .contains("\"fr\" is not in"));
        // Empty after the filters: missing, never mapped.
        assert_eq!(t.apply("  ".into()).unwrap(), None);
    }

    #[test]
    fn a_map_file_stays_in_the_mapping_folder() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("mappings");
        std::fs::create_dir_all(inner.join("tables")).unwrap();
        std::fs::write(
            inner.join("tables/c.csv"),
            "source,slug\nru,russian-federation\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("secret.csv"), "a,b\n").unwrap();
        let p = map_file_path(&inner, "tables/c.csv").unwrap();
        let m = read_map_file(&p, "tables/c.csv").unwrap();
        assert_eq!(m.entries["ru"], "russian-federation");
        for (given, expect) in [
            ("../secret.csv", "steps out of the mapping's folder"),
            ("tables/../../secret.csv", "steps out"),
            ("/etc/passwd", "absolute path"),
            ("", "empty"),
            ("none.csv", "cannot be read"),
        ] {
            let e = map_file_path(&inner, given).unwrap_err();
            assert!(e.contains(expect), "{given}: {e}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.csv"), inner.join("link.csv"))
                .unwrap();
            let e = map_file_path(&inner, "link.csv").unwrap_err();
            assert!(e.contains("outside the mapping's folder"), "{e}");
        }
    }

    #[test]
    fn map_file_mistakes_name_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.csv");
        for (text, expect) in [
            (
                "source,slug\nru,a\nfr,b\nru,c\n",
                "m.csv:4: \"ru\" is mapped again (first on line 2)",
            ),
            ("source,slug\nru\n", "m.csv:2: expected two columns"),
            ("source,slug\nru, \n", "m.csv:2: an empty target"),
        ] {
            std::fs::write(&p, text).unwrap();
            let e = read_map_file(&p, "m.csv").unwrap_err();
            assert!(e.starts_with(expect), "{text:?}: {e}");
        }
        // Bounded: a file over the limit is refused before it is read whole.
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(MAX_MAP_FILE_BYTES + 1).unwrap();
        let e = read_map_file(&p, "m.csv").unwrap_err();
        assert!(e.contains("larger than 16 MiB"), "{e}");
    }
}
