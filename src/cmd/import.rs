//! `dossier import …`.

use crate::cli::OutlineArgs;
use crate::out::outln;
use anyhow::{bail, Context, Result};
use dossier_ingest::import::{
    MAX_CURATED_BYTES, MAX_MAPPING_BYTES, MAX_MARKDOWN_BYTES, MAX_OUTLINE_BYTES,
};
use dossier_ingest::{
    apply_curated, parse_outline, read_bounded, read_bounded_to_string, CuratedData,
};
use dossier_model::{is_valid_slug, Archive, RecordType};
use dossier_store::Store;
use std::path::Path;

pub fn outline(data_dir: &Path, args: OutlineArgs) -> Result<()> {
    let name = args.file.display().to_string();
    let bytes = read_bounded(&args.file, &name, MAX_OUTLINE_BYTES, "an outline")?;
    let mut dossier = parse_outline(&bytes, &name)?;
    if let Some(slug) = &args.slug {
        if !is_valid_slug(slug) {
            bail!("--slug {slug:?} is not a valid slug: use lowercase letters, digits and single hyphens");
        }
    }
    let store = super::open_store(data_dir)?;
    let known = |ty: &str, slug: &str| dossier_store::names_existing(&store, ty, slug);
    let mut archive = match &args.curated {
        Some(path) => {
            let file = path.display().to_string();
            let text =
                read_bounded_to_string(path, &file, MAX_CURATED_BYTES, "a curated data file")?;
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
    if let Some(c) = super::collection::resolve(&store, &args.collection, false)? {
        super::collection::join(&store, &mut archive, &c)?;
    }
    let d = &archive.dossiers[0];
    let sections = d.all_sections();
    let refs: usize = sections.iter().map(|s| s.references.len()).sum();
    let unresolved: usize = sections
        .iter()
        .map(|s| s.references.iter().filter(|r| r.target.is_none()).count())
        .sum();
    let (slug, count) = (d.slug.clone(), sections.len());
    let (summary, conflicts) = super::write_attributed(
        &store,
        &archive,
        dossier_store::Author::import(&name),
        !args.overwrite_edits,
    )
    .context("nothing was written")?;
    super::after_write(data_dir, &store)?;
    outln!(
        "Imported dossier `{slug}` from {name}: {count} sections, {refs} references ({unresolved} unresolved).\nRecords: {}.",
        super::describe(summary)
    )?;
    super::print_conflicts(&conflicts)?;
    Ok(())
}

use crate::cli::{ImportFlags, MarkdownArgs, RecordsArgs, TeiArgs};
use dossier_import::{Input, Opener, Options, Report};
use dossier_ingest::import::RecordSource;
use std::sync::Arc;

pub(super) fn options(flags: ImportFlags) -> Options {
    Options {
        dry_run: flags.dry_run,
        strict: flags.strict,
        batch_size: flags.batch_size as usize,
        overwrite_edits: flags.overwrite_edits,
        collection: None,
    }
}

pub(super) fn inputs(files: &[std::path::PathBuf]) -> Result<Vec<Input>> {
    files.iter().map(|f| Input::new(f.clone())).collect()
}

fn open_file(input: &Input) -> Result<std::io::BufReader<std::fs::File>> {
    let f =
        std::fs::File::open(&input.path).with_context(|| format!("cannot read {}", input.name))?;
    Ok(std::io::BufReader::with_capacity(256 * 1024, f))
}

/// Checks that `--dossier` names a dossier in the archive.
fn check_dossier(store: &dyn Store, dossier: &Option<String>) -> Result<()> {
    if let Some(d) = dossier {
        if !is_valid_slug(d) {
            bail!("--dossier {d:?} is not a valid slug: use lowercase letters, digits and single hyphens");
        }
        if !store.exists(RecordType::Dossier, d)? {
            bail!("no dossier `{d}` in the archive; import its outline first (dossier import outline PAGE.txt), or run `dossier load-builtin` for nato-russia");
        }
    }
    Ok(())
}

/// Runs the pipeline and prints the summary; an error (non-zero exit) if any record failed.
pub(super) fn finish(report: Report, flags: ImportFlags, files: usize) -> Result<()> {
    let secs = report.elapsed.as_secs_f64().max(1e-6);
    let n = report.records.new + report.records.changed + report.records.unchanged;
    if flags.dry_run {
        outln!(
            "Dry run, nothing was written. {} file(s) would give {}.",
            files,
            report.describe(true)
        )?;
    } else {
        outln!("Imported {} file(s): {}.", files, report.describe(false))?;
        for line in report.conflict_lines() {
            outln!("{line}")?;
        }
    }
    // How links were reconciled with the archive's records (issue 28); with --dry-run,
    // every source name with what it matched.
    for line in report.reconciled.lines(flags.dry_run) {
        outln!("{line}")?;
    }
    outln!(
        "{n} records, {:.1} MB in {secs:.2} s ({:.0} records/s, {:.1} MB/s).",
        report.bytes as f64 / 1e6,
        n as f64 / secs,
        report.bytes as f64 / 1e6 / secs
    )?;
    if report.bad > 0 {
        bail!(
            "{} record(s) failed (listed above){}",
            report.bad,
            if flags.dry_run {
                ""
            } else {
                "; the others were imported"
            }
        );
    }
    Ok(())
}

pub fn tei(data_dir: &Path, args: TeiArgs) -> Result<()> {
    let Some(kind) = dossier_model::DocumentKind::from_slug(&args.kind) else {
        let kinds: Vec<&str> = dossier_model::DocumentKind::ALL
            .iter()
            .map(|k| k.slug())
            .collect();
        bail!(
            "--kind {:?} is not a document kind; use one of {}",
            args.kind,
            kinds.join(", ")
        );
    };
    let files = inputs(&args.files)?;
    let store = super::open_store(data_dir)?;
    check_dossier(&store, &args.dossier)?;
    let mut options = options(args.flags);
    options.collection = super::collection::resolve(&store, &args.collection, args.flags.dry_run)?;
    let opts = dossier_ingest::tei::TeiOptions {
        kind,
        dossier: args.dossier.clone(),
        lang: args
            .lang
            .as_deref()
            .map(super::text::checked_lang)
            .transpose()?,
    };
    let open = |input: &Input| -> Result<Box<dyn RecordSource + Send>> {
        Ok(Box::new(dossier_ingest::tei::TeiSource::new(
            open_file(input)?,
            &input.name,
            opts.clone(),
        )))
    };
    let report = run_import(data_dir, &store, &files, &open, options, "document")?;
    finish(report, args.flags, files.len())
}

pub fn records(data_dir: &Path, args: RecordsArgs, csv: bool) -> Result<()> {
    let name = args.mapping.display().to_string();
    let text = read_bounded_to_string(&args.mapping, &name, MAX_MAPPING_BYTES, "a mapping file")?;
    let mapping = Arc::new(dossier_ingest::mapping::Mapping::parse(&text, &name)?);
    let files = inputs(&args.files)?;
    let store = super::open_store(data_dir)?;
    check_dossier(&store, &args.dossier)?;
    let mut options = options(args.flags);
    options.collection = super::collection::resolve(&store, &args.collection, args.flags.dry_run)?;
    let what = mapping.record_type();
    let open = |input: &Input| -> Result<Box<dyn RecordSource + Send>> {
        let file = open_file(input)?;
        Ok(if csv {
            Box::new(dossier_ingest::records::CsvRecords::new(
                file,
                &input.name,
                mapping.clone(),
                args.dossier.clone(),
            )?)
        } else {
            Box::new(dossier_ingest::records::XmlRecords::new(
                file,
                &input.name,
                mapping.clone(),
                args.dossier.clone(),
            )?)
        })
    };
    let report = run_import(data_dir, &store, &files, &open, options, what)?;
    finish(report, args.flags, files.len())
}

pub fn markdown(data_dir: &Path, args: MarkdownArgs) -> Result<()> {
    let files = inputs(&args.files)?;
    let store = super::open_store(data_dir)?;
    check_dossier(&store, &args.dossier)?;
    let mut options = options(args.flags);
    options.collection = super::collection::resolve(&store, &args.collection, args.flags.dry_run)?;
    let open = |input: &Input| -> Result<Box<dyn RecordSource + Send>> {
        // Read whole (one hand-written record), so bounded: a file past the limit is
        // refused before it is held.
        let bytes = read_bounded(
            &input.path,
            &input.name,
            MAX_MARKDOWN_BYTES,
            "a Markdown record",
        )?;
        Ok(Box::new(dossier_ingest::markdown_doc::MarkdownSource::new(
            bytes,
            &input.name,
            args.dossier.clone(),
        )))
    };
    let report = run_import(data_dir, &store, &files, &open, options, "document")?;
    finish(report, args.flags, files.len())
}

/// Runs an import with the search index following every committed batch, its progress
/// on stderr. Into PostgreSQL, the store alone: each server's index follows the
/// database's change log, so an index here would be one more copy, and a first one
/// would be built from the whole archive before the import began.
pub(super) fn run_import(
    data_dir: &Path,
    store: &dossier_store::AnyStore,
    files: &[Input],
    open: &Opener,
    options: Options,
    what: &str,
) -> Result<Report> {
    let mut progress = crate::progress::ImportProgress::default();
    let mut hooks = dossier_import::Hooks {
        progress: &mut progress,
        lower_priority: &super::priority::lower_this_thread,
    };
    let open_index = || match store.backend() {
        dossier_store::any::Backend::Sqlite => super::open_index(data_dir, store).map(Some),
        dossier_store::any::Backend::Postgres => Ok(None),
    };
    dossier_import::import(store, open_index, files, open, options, what, &mut hooks)
}
