//! `dossier check`: the worklist of the archive's gaps, for a person or for CI.

use crate::cli::CheckArgs;
use crate::out::{out, outln};
use anyhow::{Context, Result};
use dossier_upkeep::worklist::{worklist, Kind, Options, Worklist};
use std::path::Path;

pub fn run(data_dir: &Path, args: CheckArgs) -> Result<()> {
    let store = super::open_store(data_dir)?;
    let options = Options {
        dossier: args.dossier.clone(),
        today: dossier_publish::time::today(),
    };
    let list = worklist(&store, &options).context("cannot list the archive's gaps")?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&list)?)?;
    } else {
        out!("{}", text(&list))?;
    }
    let failing: Vec<String> = args
        .fail_on
        .map(|f| f.0)
        .unwrap_or_default()
        .into_iter()
        .filter(|k| list.counts.get(*k) > 0)
        .map(|k| format!("{} {}", list.counts.get(k), k.as_str()))
        .collect();
    if !failing.is_empty() {
        anyhow::bail!("the worklist holds {} (--fail-on)", failing.join(", "));
    }
    Ok(())
}

/// The worklist for a person: each kind that has items under its heading with its count,
/// an item per line with its edit page, and the counts of every kind at the end.
fn text(list: &Worklist) -> String {
    let mut out = String::new();
    for kind in Kind::ALL {
        let n = list.counts.get(kind);
        if n == 0 {
            continue;
        }
        out.push_str(&format!("{} ({n}, {})\n", kind.label(), kind.as_str()));
        for i in list.of(kind) {
            out.push_str(&format!(
                "  {} {} {}: {}\n    edit: {}\n",
                i.record, i.slug, i.field, i.message, i.edit
            ));
        }
        out.push('\n');
    }
    let counts: Vec<String> = list
        .counts
        .0
        .iter()
        .map(|(k, n)| format!("{n} {}", k.as_str()))
        .collect();
    out.push_str(&format!(
        "{} {}: {}.\n",
        list.total(),
        if list.total() == 1 { "gap" } else { "gaps" },
        counts.join(", ")
    ));
    out
}
