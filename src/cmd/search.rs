//! `dossier search` and `dossier reindex`.

use super::lock::Attempt;
use crate::cli::SearchArgs;
use crate::out::outln;
use anyhow::{Context, Result};
use dossier_search::{SearchIndex, SearchRequest};
use std::path::Path;

pub fn search(data_dir: &Path, args: SearchArgs) -> Result<()> {
    let index = match super::lock::try_lock_for_writing(data_dir, "search")? {
        // Nobody else writes: an empty store gets the built-in dossier and the index is
        // brought in step with the store, as the server does.
        Attempt::Locked(_lock) => open_in_step(data_dir)?,
        Attempt::Busy(holder, _) => {
            // An import is running: search the index as it last committed rather than
            // wait for the import; only an archive with no index yet has to wait.
            let store = super::open_store(data_dir)?;
            match SearchIndex::open_as_is(&super::index_dir(data_dir), &store) {
                Ok(index) => {
                    eprintln!(
                        "note: another dossier process is writing to this archive ({holder}); \
                         these results do not include what it has not yet indexed"
                    );
                    index
                }
                Err(_) => {
                    let _lock = super::lock::lock_for_writing(data_dir, "search")?;
                    open_in_step(data_dir)?
                }
            }
        }
    };
    let req = SearchRequest {
        query: args.query.join(" "),
        sort: args.sort.parse()?,
        page: args.page as usize,
        per_page: args.limit as usize,
        facets: true,
    };
    let results = match index.search(&req) {
        Ok(r) => r,
        Err(dossier_search::SearchError::Query(e)) => {
            anyhow::bail!("this query cannot be run: {e}")
        }
        Err(e) => return Err(e.into()),
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&results)?)?;
        return Ok(());
    }
    outln!(
        "{} result{} for {}",
        results.total,
        if results.total == 1 { "" } else { "s" },
        results.query
    )?;
    if let Some(s) = &results.suggestion {
        outln!("Did you mean: {s}")?;
    }
    if results.hits.is_empty() {
        return Ok(());
    }
    let first = (results.page - 1) * results.per_page;
    let title_width = results
        .hits
        .iter()
        .map(|h| h.title.chars().count())
        .max()
        .unwrap_or(5)
        .min(60);
    outln!()?;
    outln!(
        "{:>3}  {:<16}  {:<9}  {:<title_width$}  address",
        "#",
        "date",
        "type",
        "title"
    )?;
    for (i, h) in results.hits.iter().enumerate() {
        let title: String = if h.title.chars().count() > title_width {
            h.title.chars().take(title_width - 1).collect::<String>() + "…"
        } else {
            h.title.clone()
        };
        outln!(
            "{:>3}  {:<16}  {:<9}  {:<title_width$}  {}",
            first + i + 1,
            h.date.as_deref().unwrap_or("—"),
            h.record,
            title,
            h.url
        )?;
        let snippet = plain(&h.snippet);
        if !snippet.is_empty() {
            outln!("{:>3}  {}", "", snippet)?;
        }
    }
    let pages = results.total.div_ceil(results.per_page);
    if pages > 1 {
        outln!("\npage {} of {pages}; --page N for more", results.page)?;
    }
    Ok(())
}

/// Snippet HTML as terminal text: `<mark>` dropped, entities decoded.
fn plain(html: &str) -> String {
    html.replace("<mark>", "")
        .replace("</mark>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The store (with the built-in dossier if it was empty) and its index, in step.
fn open_in_step(data_dir: &Path) -> Result<SearchIndex> {
    let store = super::open_store(data_dir)?;
    if dossier_store::Store::is_empty(&store)? {
        super::load_builtin(&store)?;
    }
    super::open_index(data_dir, &store)
}

pub fn reindex(data_dir: &Path) -> Result<()> {
    let store = super::open_store(data_dir)?;
    let mut progress = crate::progress::Progress::new("reindexing");
    let (index, report) =
        SearchIndex::rebuild(&super::index_dir(data_dir), &store, &mut |done, total| {
            progress.update(done, total)
        })
        .context("cannot rebuild the search index")?;
    progress.finish();
    let counts: Vec<String> = [
        ("document", "documents"),
        ("section", "sections"),
        ("body", "bodies"),
        ("person", "people"),
        ("event", "events"),
        ("topic", "topics"),
    ]
    .iter()
    .map(|(t, plural)| Ok(format!("{} {plural}", index.count(t)?)))
    .collect::<Result<_>>()?;
    outln!(
        "Search index rebuilt from {} store changes: {}.",
        report.applied,
        counts.join(", ")
    )?;
    Ok(())
}
