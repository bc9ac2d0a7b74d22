//! The curated data file: records that an editor writes by hand (TOML), and the
//! resolution of an outline's references to those records.
//!
//! `[[resolve]]` points an outline reference (found by words it contains) at a record;
//! `[[mention]]` turns words already in a section's commentary into a link;
//! `[[list]]` gives a section a generated list; `[[claim]]` dates a sentence of a
//! section's commentary (issue 25). See `data/nato-russia.toml`.

use crate::markdown::escape;
use dossier_model::*;
use serde::Deserialize;

/// Why a curated data file cannot be applied. Names the file, the entry and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CuratedError {
    /// The file is not valid TOML, or a field has the wrong type or an unknown name.
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    /// An entry names a section, reference or words that are not in the outline.
    #[error("{file}: {entry} (section `{section}`): {problem}")]
    Entry {
        file: String,
        entry: String,
        section: String,
        problem: String,
    },
    /// An address that is not an absolute http(s) URL: a `javascript:` one would run a
    /// script in the browser of a reader who clicks it. Names the line of the value.
    #[error("{file}:{line}: {entry}, field `{field}`: {problem}")]
    Url {
        file: String,
        line: usize,
        entry: String,
        field: String,
        problem: String,
    },
    /// A record breaks a rule across records.
    #[error("{file}: {error}")]
    Invalid {
        file: String,
        #[source]
        error: ValidationError,
    },
}

/// The file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CuratedData {
    pub dossier: DossierMeta,
    #[serde(default)]
    pub resolve: Vec<Link>,
    #[serde(default)]
    pub mention: Vec<Link>,
    #[serde(default)]
    pub list: Vec<ListEntry>,
    #[serde(default)]
    pub claim: Vec<ClaimEntry>,
    #[serde(default)]
    pub documents: Vec<Document>,
    #[serde(default)]
    pub bodies: Vec<Body>,
    #[serde(default)]
    pub people: Vec<Person>,
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default)]
    pub topics: Vec<Topic>,
}

/// What the file says of the dossier itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierMeta {
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Searches whose hits belong to the dossier (`[[dossier.queries]]`, each a `title`
    /// and a `query`): how a dossier takes in records of a collection without the
    /// import putting them there.
    #[serde(default)]
    pub queries: Vec<SavedQuery>,
}

/// A `[[resolve]]` or `[[mention]]` entry: words in a section, and what they point at.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub section: String,
    pub text: String,
    pub document: Option<String>,
    pub body: Option<String>,
    pub event: Option<String>,
    pub topic: Option<String>,
    pub person: Option<String>,
    pub dossier: Option<String>,
    /// The other dossier's title, with `dossier`.
    pub title: Option<String>,
    /// The name of an outside site, with an optional `url`.
    pub external: Option<String>,
    pub url: Option<String>,
}

/// A `[[list]]` entry: a generated list for a section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListEntry {
    pub section: String,
    #[serde(flatten)]
    pub list: GeneratedList,
}

/// A `[[claim]]` entry: a dated statement of a section's commentary.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimEntry {
    pub section: String,
    #[serde(flatten)]
    pub claim: Claim,
}

/// A commentary's words as a reader sees them: link brackets and `(ref:N)` targets
/// dropped, spaces squashed (enough to find a statement in the curated file's outline).
fn commentary_words(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(at) = rest.find("](ref:") {
        out.push_str(&rest[..at]);
        rest = &rest[at + 6..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        rest = rest[digits..].strip_prefix(')').unwrap_or(&rest[digits..]);
    }
    out.push_str(rest);
    out.replace('[', "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl CuratedData {
    /// Parses the file's text; `file` is named in errors. An address that is not an
    /// absolute http(s) URL is refused here, with its line (the first such one; the
    /// record checks of [`apply_curated`] would name them all, without lines).
    pub fn parse(text: &str, file: &str) -> Result<Self, CuratedError> {
        let data = toml::from_str(text).map_err(|e| CuratedError::Syntax {
            file: file.into(),
            message: e.to_string().trim_end().to_string(),
        })?;
        match url_errors(text, file).into_iter().next() {
            Some(e) => Err(e),
            None => Ok(data),
        }
    }
}

/// Every address of the file that [`dossier_model::url::check_url`] refuses: the `url`
/// of `[[resolve]]` and `[[mention]]` entries and of the records' `sources`, each with
/// the line it is written on. The file is read again as a TOML tree with positions (the
/// records' types do not keep them); a file that does not parse gives none here, its
/// syntax error having been reported already.
fn url_errors(text: &str, file: &str) -> Vec<CuratedError> {
    use toml::de::{DeTable, DeValue};
    let Ok(root) = DeTable::parse(text) else {
        return vec![];
    };
    let line = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    fn get<'i>(t: &DeTable<'i>, key: &str) -> Option<toml::Spanned<DeValue<'i>>> {
        t.iter()
            .find(|(k, _)| k.get_ref() == key)
            .map(|(_, v)| v.clone())
    }
    /// The tables of an array of tables (`[[documents]]`, `sources = [{…}]`).
    fn tables<'i>(v: Option<toml::Spanned<DeValue<'i>>>) -> Vec<DeTable<'i>> {
        match v.map(|v| v.into_inner()) {
            Some(DeValue::Array(a)) => a
                .iter()
                .filter_map(|x| match x.get_ref() {
                    DeValue::Table(t) => Some(t.clone()),
                    _ => None,
                })
                .collect(),
            _ => vec![],
        }
    }
    let mut errors = Vec::new();
    let mut check = |entry: String, field: String, v: Option<toml::Spanned<DeValue>>| {
        if let Some(v) = v {
            if let DeValue::String(u) = v.get_ref() {
                if let Err(e) = dossier_model::url::check_url(u) {
                    errors.push(CuratedError::Url {
                        file: file.into(),
                        line: line(v.span().start),
                        entry,
                        field,
                        problem: e.to_string(),
                    });
                }
            }
        }
    };
    for what in ["resolve", "mention"] {
        for (i, t) in tables(get(root.get_ref(), what)).iter().enumerate() {
            check(format!("{what}[{i}]"), "url".into(), get(t, "url"));
        }
    }
    for what in ["documents", "bodies", "people", "events", "topics"] {
        for (i, t) in tables(get(root.get_ref(), what)).iter().enumerate() {
            let slug = match get(t, "slug").map(|v| v.into_inner()) {
                Some(DeValue::String(s)) => format!(" `{s}`"),
                _ => String::new(),
            };
            for (j, s) in tables(get(t, "sources")).iter().enumerate() {
                check(
                    format!("{what}[{i}]{slug}"),
                    format!("sources[{j}].url"),
                    get(s, "url"),
                );
            }
        }
    }
    errors
}

impl Link {
    fn target(&self) -> Result<Target, String> {
        let mut targets = Vec::new();
        if let Some(s) = &self.document {
            targets.push(Target::Document { slug: s.clone() });
        }
        if let Some(s) = &self.body {
            targets.push(Target::Body { slug: s.clone() });
        }
        if let Some(s) = &self.event {
            targets.push(Target::Event { slug: s.clone() });
        }
        if let Some(s) = &self.topic {
            targets.push(Target::Topic { slug: s.clone() });
        }
        if let Some(s) = &self.person {
            targets.push(Target::Person { slug: s.clone() });
        }
        if let Some(s) = &self.dossier {
            let title = self.title.clone().ok_or("`dossier` needs a `title`")?;
            targets.push(Target::Dossier {
                slug: s.clone(),
                title,
            });
        }
        if let Some(t) = &self.external {
            targets.push(Target::External {
                title: t.clone(),
                url: self.url.clone(),
            });
        }
        match targets.len() {
            1 => Ok(targets.remove(0)),
            0 => Err("names no target: give one of document, body, event, topic, person, dossier or external".into()),
            _ => Err("names more than one target".into()),
        }
    }
}

/// Applies the curated data to an imported outline, giving the records to store.
///
/// The dossier takes the file's slug, title and description; every reference and mention
/// must match the outline, and every record must pass [`Archive::validate`] (with
/// `known` telling which records the store already holds).
pub fn apply_curated(
    mut dossier: Dossier,
    data: CuratedData,
    file: &str,
    known: &dyn Fn(&str, &str) -> bool,
) -> Result<Archive, Vec<CuratedError>> {
    let mut errors = Vec::new();
    dossier.slug = data.dossier.slug.clone();
    dossier.title = data.dossier.title.clone();
    dossier.description = data.dossier.description.clone();
    dossier.queries = data.dossier.queries.clone();
    let entry_err = |entry: String, section: &str, problem: String| CuratedError::Entry {
        file: file.into(),
        entry,
        section: section.into(),
        problem,
    };

    // Resolutions first, then mentions: a mention's ordinal follows the page's references.
    for (what, links) in [("resolve", &data.resolve), ("mention", &data.mention)] {
        for (i, link) in links.iter().enumerate() {
            let result = link.target().and_then(|target| {
                let section = dossier
                    .section_mut(&link.section)
                    .ok_or_else(|| "no such section in the outline".to_string())?;
                if what == "resolve" {
                    resolve_reference(section, &link.text, target)
                } else {
                    link_mention(section, &link.text, target)
                }
            });
            if let Err(problem) = result {
                let entry = format!("{what}[{i}] \"{}\"", link.text);
                errors.push(entry_err(entry, &link.section, problem));
            }
        }
    }

    for (i, l) in data.list.iter().enumerate() {
        let entry = format!("list[{i}]");
        let Some(section) = dossier.section_mut(&l.section) else {
            errors.push(entry_err(
                entry,
                &l.section,
                "no such section in the outline".into(),
            ));
            continue;
        };
        let kind_ok = |k: &String| match l.list.of {
            ListOf::Documents => DocumentKind::from_slug(k).is_some(),
            ListOf::Events => EventKind::from_slug(k).is_some(),
        };
        if let Some(bad) = l.list.kinds.iter().find(|k| !kind_ok(k)) {
            errors.push(entry_err(
                entry,
                &l.section,
                format!("`{bad}` is not a kind of {:?}", l.list.of),
            ));
            continue;
        }
        // A list declared for a section replaces the one the outline inferred.
        if section
            .lists
            .iter()
            .any(|x| x.caption.is_none() && x.of == l.list.of && x.kinds == l.list.kinds)
        {
            section.lists.clear();
        }
        section.lists.push(l.list.clone());
    }

    for (i, c) in data.claim.iter().enumerate() {
        let entry = format!("claim[{i}]");
        let Some(section) = dossier.section_mut(&c.section) else {
            errors.push(entry_err(
                entry,
                &c.section,
                "no such section in the outline".into(),
            ));
            continue;
        };
        // A dated sentence the commentary does not say would date nothing on the page.
        if c.claim.field == "commentary" {
            let said = c
                .claim
                .statement
                .as_deref()
                .map(|st| st.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|st| !st.is_empty())
                .is_some_and(|st| commentary_words(&section.commentary).contains(&st));
            if !said {
                errors.push(entry_err(
                    entry,
                    &c.section,
                    "the statement is not in the section's commentary".into(),
                ));
                continue;
            }
        }
        section.claims.push(c.claim.clone());
    }

    let slug = dossier.slug.clone();
    let with_dossier = |d: &mut Vec<String>| {
        if d.is_empty() {
            d.push(slug.clone());
        }
    };
    let mut archive = Archive {
        dossiers: vec![],
        documents: data.documents,
        bodies: data.bodies,
        people: data.people,
        events: data.events,
        topics: data.topics,
        collections: vec![],
    };
    archive
        .documents
        .iter_mut()
        .for_each(|r| with_dossier(&mut r.dossiers));
    archive
        .bodies
        .iter_mut()
        .for_each(|r| with_dossier(&mut r.dossiers));
    archive
        .people
        .iter_mut()
        .for_each(|r| with_dossier(&mut r.dossiers));
    archive
        .events
        .iter_mut()
        .for_each(|r| with_dossier(&mut r.dossiers));
    archive
        .topics
        .iter_mut()
        .for_each(|r| with_dossier(&mut r.dossiers));
    archive.dossiers.push(dossier);
    archive.complete_body_links();
    for error in archive.validate(known) {
        errors.push(CuratedError::Invalid {
            file: file.into(),
            error,
        });
    }
    if errors.is_empty() {
        Ok(archive)
    } else {
        Err(errors)
    }
}

/// Points the one outline reference of `section` whose words contain `text` at `target`.
fn resolve_reference(section: &mut Section, text: &str, target: Target) -> Result<(), String> {
    let matches: Vec<usize> = (0..section.references.len())
        .filter(|&n| section.references[n].text.contains(text))
        .collect();
    match matches.as_slice() {
        [n] => {
            section.references[*n].target = Some(target);
            Ok(())
        }
        [] => Err("no reference in this section contains these words".into()),
        _ => Err(
            "more than one reference contains these words; quote more of the one you mean".into(),
        ),
    }
}

/// Turns the first occurrence of `text` in the commentary (outside a link) into a link to
/// `target`, recorded as a mention.
fn link_mention(section: &mut Section, text: &str, target: Target) -> Result<(), String> {
    let needle = escape(text);
    let at = find_outside_links(&section.commentary, &needle)
        .ok_or("these words are not in the section's commentary (outside a link)")?;
    section.references.push(Reference {
        text: text.to_string(),
        target: Some(target),
        mention: true,
    });
    let n = section.references.len();
    section
        .commentary
        .replace_range(at..at + needle.len(), &format!("[{needle}](ref:{n})"));
    Ok(())
}

/// The byte offset of the first occurrence of `needle` in `md` that is not inside a link.
fn find_outside_links(md: &str, needle: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = md[from..].find(needle).map(|p| p + from) {
        let before = &md[..pos];
        let open = before.matches('[').count() - before.matches("\\[").count();
        let close = before.matches(']').count() - before.matches("\\]").count();
        if open == close {
            return Some(pos);
        }
        from = pos + needle.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outline::parse_outline;

    const OUTLINE: &str = "Test Dossier\n\nA. Documents\n\n1. The Council\n\nThe Founding Act set up the Council. Click here for the act.\n";

    fn data(extra: &str) -> CuratedData {
        let text = format!(
            "[dossier]\nslug = \"test\"\ntitle = \"Test Dossier\"\n\n[[documents]]\nslug = \"act\"\ntitle = \"The Act\"\nkind = \"founding-act\"\ndate = \"1997-05\"\n{extra}"
        );
        CuratedData::parse(&text, "t.toml").unwrap()
    }

    fn outline() -> Dossier {
        parse_outline(OUTLINE.as_bytes(), "t.txt").unwrap()
    }

    #[test]
    fn a_claim_dates_a_sentence_the_commentary_says() {
        let claim = |statement: &str| {
            format!(
                "[[mention]]\nsection = \"a-1\"\ntext = \"Founding Act\"\ndocument = \"act\"\n\n\
                 [[claim]]\nsection = \"a-1\"\nfield = \"commentary\"\nstatement = \"{statement}\"\nas_of = \"2002-05-28\"\n"
            )
        };
        // The words as a reader sees them, across the mention's link.
        let d = data(&claim("The Founding Act set up  the Council."));
        let a = apply_curated(outline(), d, "t.toml", &|_, _| false).unwrap();
        let s = &a.dossiers[0].sections[0].children[0];
        assert!(
            s.commentary.contains("[Founding Act](ref:"),
            "{}",
            s.commentary
        );
        assert_eq!(s.claims.len(), 1);
        assert_eq!(s.claims[0].as_of.to_string(), "2002-05-28");
        // Words the commentary does not say, or a section that is not there, are refused.
        let errs = apply_curated(
            outline(),
            data(&claim("The Council met.")),
            "t.toml",
            &|_, _| false,
        )
        .unwrap_err();
        assert!(
            errs[0].to_string().contains(
                "claim[0] (section `a-1`): the statement is not in the section's commentary"
            ),
            "{errs:?}"
        );
        let text = claim("x").replace("section = \"a-1\"\nfield", "section = \"zz\"\nfield");
        let errs = apply_curated(outline(), data(&text), "t.toml", &|_, _| false).unwrap_err();
        assert!(errs[0].to_string().contains("no such section"), "{errs:?}");
        // A field a section has not is the model's error, with its path.
        let text = claim("x").replace("\"commentary\"", "\"summary\"");
        let errs = apply_curated(outline(), data(&text), "t.toml", &|_, _| false).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.to_string().contains("sections.a-1.claims[0].field")),
            "{errs:?}"
        );
    }

    #[test]
    fn resolves_references_and_mentions() {
        let d = data(
            "[[resolve]]\nsection = \"a-1\"\ntext = \"for the act\"\ndocument = \"act\"\n\n[[mention]]\nsection = \"a-1\"\ntext = \"Founding Act\"\ndocument = \"act\"\n",
        );
        let a = apply_curated(outline(), d, "t.toml", &|_, _| false).unwrap();
        let s = &a.dossiers[0].sections[0].children[0];
        assert_eq!(
            s.references[0].target,
            Some(Target::Document { slug: "act".into() })
        );
        assert_eq!(s.references[1].text, "Founding Act");
        assert_eq!(
            s.commentary,
            "The [Founding Act](ref:2) set up the Council. [Click here for the act](ref:1)."
        );
        assert_eq!(a.documents[0].dossiers, ["test"]);
    }

    #[test]
    fn reports_every_bad_entry() {
        let d = data(
            "[[resolve]]\nsection = \"a-9\"\ntext = \"x\"\ndocument = \"act\"\n\n[[resolve]]\nsection = \"a-1\"\ntext = \"nowhere\"\ndocument = \"act\"\n\n[[mention]]\nsection = \"a-1\"\ntext = \"Click here\"\ndocument = \"missing\"\n",
        );
        let errs = apply_curated(outline(), d, "t.toml", &|_, _| false).unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(text.len(), 3, "{text:#?}");
        assert!(text[0].contains("resolve[0]") && text[0].contains("no such section"));
        assert!(text[1].contains("no reference in this section"));
        assert!(
            text[2].contains("not in the section's commentary"),
            "{}",
            text[2]
        );
    }

    #[test]
    fn a_dossier_too_deep_is_refused_with_its_section_path() {
        // No reader makes one (they refuse it first); the curated loader checks again.
        let mut d = outline();
        let base = d.sections[0].children[0].clone();
        let mut node: Option<Section> = None;
        for level in (3..=MAX_SECTION_DEPTH + 1).rev() {
            let mut c = base.clone();
            c.key = format!("deep-{level}");
            c.label = format!("{level}.");
            c.commentary.clear();
            c.references.clear();
            c.children = node.into_iter().collect();
            node = Some(c);
        }
        d.sections[0].children[0].children = node.into_iter().collect();
        assert_eq!(d.depth(), MAX_SECTION_DEPTH + 1);
        let l = "[[list]]\nsection = \"deep-5\"\nof = \"documents\"\n";
        let errs = apply_curated(d, data(l), "t.toml", &|_, _| false).unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        assert_eq!(text.len(), 1, "{text:#?}");
        assert!(
            text[0].starts_with(&format!(
                "t.toml: dossier `test`, field `sections.deep-{}`: section A. > 1. > 3. > 4. > ",
                MAX_SECTION_DEPTH + 1
            )),
            "{}",
            text[0]
        );
        assert!(
            text[0].ends_with("is nested 17 deep; a dossier's sections may nest at most 16 levels"),
            "{}",
            text[0]
        );
    }

    #[test]
    fn dangling_slugs_and_bad_fields_are_named() {
        let d = data("issued_by = [\"nobody\"]\n");
        let errs = apply_curated(outline(), d, "t.toml", &|_, _| false).unwrap_err();
        assert_eq!(
            errs[0].to_string(),
            "t.toml: document `act`, field `issued_by`: no body `nobody` in the archive"
        );
        let e = CuratedData::parse("[dossier]\nslug = \"x\"\ntitle = \"X\"\n[[documents]]\nslug = \"a\"\ntitle = \"A\"\nkind = \"poem\"\n", "t.toml")
            .unwrap_err();
        assert!(e.to_string().contains("line 7"), "{e}");
        assert!(e.to_string().contains("poem"), "{e}");
    }

    /// Issue 20, finding 3: a `javascript:` (or other non-web) address in a record's
    /// sources or a `[[resolve]]` entry became a live link. Each spelling is refused with
    /// the line, entry and field.
    #[test]
    fn hostile_urls_are_refused_with_line_entry_and_field() {
        for url in dossier_model::url::HOSTILE_URLS {
            let u = toml::Value::String(url.to_string());
            let text = format!(
                "[dossier]\nslug = \"x\"\ntitle = \"X\"\n\n[[documents]]\nslug = \"act\"\ntitle = \"A\"\nkind = \"founding-act\"\n[[documents.sources]]\ntitle = \"S\"\nurl = {u}\n"
            );
            let e = CuratedData::parse(&text, "t.toml").unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "t.toml:11: documents[0] `act`, field `sources[0].url`: {}",
                    dossier_model::url::check_url(url).unwrap_err()
                )
            );
            let text = format!(
                "[dossier]\nslug = \"x\"\ntitle = \"X\"\n\n[[resolve]]\nsection = \"a-1\"\ntext = \"Click\"\nexternal = \"Site\"\nurl = {u}\n"
            );
            let e = CuratedData::parse(&text, "t.toml").unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("t.toml:9: resolve[0], field `url`: "),
                "{e}"
            );
        }
        let ok = "[dossier]\nslug = \"x\"\ntitle = \"X\"\n[[resolve]]\nsection = \"a-1\"\ntext = \"C\"\nexternal = \"S\"\nurl = \"https://example.org\"\n";
        CuratedData::parse(ok, "t.toml").unwrap();
    }
}
