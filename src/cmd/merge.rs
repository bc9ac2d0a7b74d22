//! `dossier merge`: two bodies or two people found to be one (issue 28). The store does the
//! work in one transaction (`dossier_store::Merges`); this command checks the arguments,
//! says what moved, and brings the search index along.

use crate::cli::{MergeArgs, MergeType};
use crate::out::{out, outln};
use anyhow::{bail, Context, Result};
use dossier_model::RecordType;
use dossier_store::{Author, Merge, MergeError, Store};
use std::path::Path;

/// How many relinked records the text output names before it counts the rest.
const SHOWN: usize = 20;

pub fn run(data_dir: &Path, args: MergeArgs) -> Result<()> {
    let store = super::open_store(data_dir)?;
    let merges = store.merges().context("this store does not keep merges")?;
    let author = Author::cli();
    if args.list {
        let list = merges.merges(None, 0).context("cannot list the merges")?;
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&list)?)?;
        } else if list.is_empty() {
            outln!("No merges yet.")?;
        } else {
            for m in &list {
                outln!("{}", listed(m))?;
            }
        }
        return Ok(());
    }
    if let Some(id) = args.undo {
        let m = merges
            .undo_merge(id, &author, &args.comment)
            .with_context(|| format!("cannot undo merge #{id}"))?;
        super::after_write(data_dir, &store)?;
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&m)?)?;
        } else {
            out!("{}", undone(&m))?;
        }
        return Ok(());
    }
    let (Some(kind), Some(from), Some(into)) = (args.record, &args.from, &args.into) else {
        bail!("say what to merge: dossier merge body|person FROM INTO (or --undo ID, --list)");
    };
    let record = match kind {
        MergeType::Body => RecordType::Body,
        MergeType::Person => RecordType::Person,
    };
    let m = if args.dry_run {
        merges.preview_merge(record, from, into, &author, &args.comment)
    } else {
        merges.merge(record, from, into, &author, &args.comment)
    };
    let m = m.map_err(|e| {
        let mut message = format!(
            "cannot merge {} `{from}` into `{into}`: {e}",
            record.as_str()
        );
        // A slug merged away before: say where it went.
        if let MergeError::NotFound { record, slug } = &e {
            if let Ok(Some(to)) = store.redirect(*record, slug) {
                message.push_str(&format!(
                    " (it was merged into `{to}`; `dossier merge --list` shows the merges)"
                ));
            }
        }
        anyhow::anyhow!(message)
    })?;
    if !args.dry_run {
        super::after_write(data_dir, &store)?;
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&m)?)?;
    } else {
        out!("{}", merged(&m, args.dry_run, &store))?;
    }
    Ok(())
}

/// What a merge (or its preview) did, for a person.
fn merged(m: &Merge, dry_run: bool, store: &dyn Store) -> String {
    let ty = m.record.as_str();
    let mut out = if dry_run {
        format!(
            "Would merge {ty} `{}` into `{}` (nothing written: --dry-run).\n",
            m.from, m.into
        )
    } else {
        format!(
            "Merged {ty} `{}` into `{}` (merge #{}).\n",
            m.from, m.into, m.id
        )
    };
    if let Ok(Some(title)) = store.title_of(m.record, &m.into) {
        out.push_str(&format!(
            "The survivor, `{}` ({title}), takes `{}`'s names, identifiers, sources and gaps.\n",
            m.into, m.from
        ));
    }
    out.push_str(&relinked(m, if dry_run { "would move" } else { "moved" }));
    if dry_run {
        out.push_str(&format!(
            "`{}` would be deleted and answer with a redirect to `{}`.\n",
            m.from, m.into
        ));
    } else {
        out.push_str(&format!(
            "`{}` is deleted; its pages redirect to `{}`. Undo: dossier merge --undo {}\n",
            m.from, m.into, m.id
        ));
    }
    out
}

/// The records whose links moved, by type: the first [`SHOWN`] named, the rest counted.
fn relinked(m: &Merge, verb: &str) -> String {
    if m.relinked.is_empty() {
        return format!("No other record linked to `{}`.\n", m.from);
    }
    let mut out = format!(
        "Links {verb} to `{}` in {} record{}:\n",
        m.into,
        m.relinked.len(),
        if m.relinked.len() == 1 { "" } else { "s" }
    );
    for (t, slug) in m.relinked.iter().take(SHOWN) {
        out.push_str(&format!("  {} {slug}\n", t.as_str()));
    }
    if m.relinked.len() > SHOWN {
        out.push_str(&format!("  … and {} more\n", m.relinked.len() - SHOWN));
    }
    out
}

fn undone(m: &Merge) -> String {
    let mut out = format!(
        "Undid merge #{}: {} `{}` is back, and every record it touched is as it was before the merge.\n",
        m.id,
        m.record.as_str(),
        m.from
    );
    if !m.relinked.is_empty() {
        out.push_str(&format!(
            "Links point at `{}` again in {} record{}.\n",
            m.from,
            m.relinked.len(),
            if m.relinked.len() == 1 { "" } else { "s" }
        ));
    }
    out
}

/// One line of `--list`.
fn listed(m: &Merge) -> String {
    let mut line = format!(
        "#{}  {}  {} {} -> {}  by {}  {} relinked",
        m.id,
        dossier_publish::time::rfc3339(m.at),
        m.record.as_str(),
        m.from,
        m.into,
        m.author.name,
        m.relinked.len()
    );
    if !m.comment.is_empty() {
        line.push_str(&format!("  \"{}\"", m.comment.escape_debug()));
    }
    if let Some((who, at)) = &m.undone {
        line.push_str(&format!(
            "  (undone by {} at {})",
            who.name,
            dossier_publish::time::rfc3339(*at)
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_list_names_the_first_and_counts_the_rest() {
        let m = Merge {
            id: 3,
            record: RecordType::Body,
            from: "a".into(),
            into: "b".into(),
            author: Author::cli(),
            at: 0,
            comment: "say \"why\"\n".into(),
            relinked: (0..25)
                .map(|i| (RecordType::Document, format!("d{i}")))
                .collect(),
            undone: None,
        };
        let text = relinked(&m, "moved");
        assert!(text.starts_with("Links moved to `b` in 25 records:\n"));
        assert!(text.contains("  document d19\n") && !text.contains("d20"));
        assert!(text.ends_with("  … and 5 more\n"));
        let line = listed(&m);
        assert!(line.contains("body a -> b"), "{line}");
        // A comment's line break stays on its line.
        assert!(line.ends_with(r#""say \"why\"\n""#), "{line}");
    }
}
