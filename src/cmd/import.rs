//! `dossier import …`.

use crate::cli::OutlineArgs;
use anyhow::{bail, Context, Result};
use dossier_ingest::{apply_curated, parse_outline, CuratedData};
use dossier_model::{is_valid_slug, Archive};
use dossier_store::{RecordType, Store};
use std::path::Path;

pub fn outline(data_dir: &Path, args: OutlineArgs) -> Result<()> {
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read {name}"))?;
    let mut dossier = parse_outline(&bytes, &name)?;
    if let Some(slug) = &args.slug {
        if !is_valid_slug(slug) {
            bail!("--slug {slug:?} is not a valid slug: use lowercase letters, digits and single hyphens");
        }
    }
    let store = super::open_store(data_dir)?;
    let known = |ty: &str, slug: &str| {
        RecordType::parse(ty).is_some_and(|t| store.exists(t, slug).unwrap_or(false))
    };
    let mut archive = match &args.curated {
        Some(path) => {
            let file = path.display().to_string();
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {file}"))?;
            let data = CuratedData::parse(&text, &file)?;
            apply_curated(dossier, data, &file, &known).map_err(|errors| {
                let list: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
                anyhow::anyhow!(
                    "{} problem(s) in the curated data; nothing was written:\n{}",
                    errors.len(),
                    list.join("\n")
                )
            })?
        }
        None => {
            if let Some(slug) = &args.slug {
                dossier.slug = slug.clone();
            }
            Archive {
                dossiers: vec![dossier],
                ..Default::default()
            }
        }
    };
    if let (Some(slug), Some(d)) = (&args.slug, archive.dossiers.first_mut()) {
        d.slug = slug.clone();
    }
    let d = &archive.dossiers[0];
    let sections = d.all_sections();
    let refs: usize = sections.iter().map(|s| s.references.len()).sum();
    let unresolved: usize = sections
        .iter()
        .map(|s| s.references.iter().filter(|r| r.target.is_none()).count())
        .sum();
    let (slug, count) = (d.slug.clone(), sections.len());
    let summary = store.write(&archive).context("nothing was written")?;
    super::after_write(data_dir, &store)?;
    println!(
        "Imported dossier `{slug}` from {name}: {count} sections, {refs} references ({unresolved} unresolved).\nRecords: {}.",
        super::describe(summary)
    );
    Ok(())
}
