//! `--collection`: the collection an import puts its records in, created on first use, so
//! that an import never has to join a curated dossier to be found again (issue 27).

use crate::cli::CollectionFlags;
use crate::out::outln;
use anyhow::{bail, Result};
use dossier_model::{is_valid_slug, Archive, Collection, Record};
use dossier_store::Store;

/// The collection the flags name, as the import will write it: the stored one with the
/// flags given now laid over it, or a new one (titled from its slug when no title is
/// given). Says on stdout what becomes of it. `None` without `--collection`.
pub(super) fn resolve(
    store: &dyn Store,
    flags: &CollectionFlags,
    dry_run: bool,
) -> Result<Option<Collection>> {
    let Some(slug) = &flags.collection else {
        return Ok(None);
    };
    if !is_valid_slug(slug) {
        bail!(
            "--collection {:?} is not a valid slug: use lowercase letters, digits and single hyphens (at most 200)",
            shorten(slug)
        );
    }
    let stored = store.collection(slug)?;
    let is_new = stored.is_none();
    let mut c = stored.clone().unwrap_or_else(|| Collection {
        slug: slug.clone(),
        title: String::new(),
        description: String::new(),
        source: None,
        url: None,
    });
    if let Some(t) = &flags.collection_title {
        c.title = t.trim().to_string();
    }
    if let Some(s) = &flags.collection_source {
        c.source = Some(s.trim().to_string()).filter(|s| !s.is_empty());
    }
    if let Some(u) = &flags.collection_url {
        c.url = Some(u.trim().to_string()).filter(|u| !u.is_empty());
    }
    // A title given blank is refused below, not made up.
    let titled_from_slug = c.title.is_empty() && flags.collection_title.is_none();
    if titled_from_slug {
        c.title = title_from_slug(slug);
    }
    let check = Archive {
        collections: vec![c.clone()],
        ..Archive::default()
    };
    let errors = check.validate(&|_, _| false);
    if let Some(e) = errors.first() {
        let flag = match e.field.as_str() {
            "title" => "--collection-title",
            "source" => "--collection-source",
            "url" => "--collection-url",
            _ => "--collection",
        };
        bail!("{flag}: {}; nothing was imported", e.problem);
    }
    let would = if dry_run { "would be " } else { "" };
    if is_new {
        let how = if titled_from_slug {
            " (from its slug; --collection-title gives it another)"
        } else {
            ""
        };
        outln!(
            "Collection `{slug}` {would}created, titled {:?}{how}.",
            c.title
        )?;
    } else if stored.as_ref() != Some(&c) {
        outln!("Collection `{slug}`: its title, source or address {would}updated.")?;
    }
    Ok(Some(c))
}

/// `milestones-essays` → `Milestones essays`.
fn title_from_slug(slug: &str) -> String {
    let words = slug.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The first 60 characters of what someone typed, for a message.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Puts every record of a whole-archive import (an outline's curated records) in `c`,
/// keeping the collections each stored copy was in, and the collection in the write.
pub(super) fn join(store: &dyn Store, archive: &mut Archive, c: &Collection) -> Result<()> {
    let mut records: Vec<Record> = Vec::new();
    records.extend(archive.documents.drain(..).map(Record::Document));
    records.extend(archive.bodies.drain(..).map(Record::Body));
    records.extend(archive.people.drain(..).map(Record::Person));
    records.extend(archive.events.drain(..).map(Record::Event));
    records.extend(archive.topics.drain(..).map(Record::Topic));
    for mut r in records {
        let stored = dossier_store::skip_corrupt(store.record(r.record_type(), r.slug()))?;
        let mut list = match stored.flatten() {
            Some(mut old) => std::mem::take(old.collections_mut()),
            None => Vec::new(),
        };
        for s in r.collections_mut().drain(..).chain([c.slug.clone()]) {
            if !list.contains(&s) {
                list.push(s);
            }
        }
        *r.collections_mut() = list;
        r.add_to(archive);
    }
    archive.collections.push(c.clone());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_from_a_slug_reads_as_words() {
        assert_eq!(title_from_slug("milestones-essays"), "Milestones essays");
        assert_eq!(title_from_slug("visits"), "Visits");
        assert_eq!(title_from_slug("1997-acts"), "1997 acts");
    }
}
