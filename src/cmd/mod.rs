//! One module per subcommand.

mod capture;
mod check;
mod collection;
mod copy;
mod export;
mod import;
mod links;
mod lock;
mod merge;
mod priority;
mod search;
mod serve;
mod text;
mod token;
mod user;

use crate::cli::{Cli, Command, Export, Import};
use crate::out::outln;
use anyhow::{Context, Result};
use dossier_store::{AnyStore, Author, EditConflict, Store, WriteOptions, WriteSummary};
use std::path::Path;

/// The PostgreSQL database the store is in (`--database-url`), when one was named: set
/// once, before any command opens the store.
static DATABASE_URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

pub fn run(cli: Cli) -> Result<()> {
    let url = cli
        .global
        .database_url
        .clone()
        .filter(|u| !u.trim().is_empty());
    if url.as_deref().is_some_and(|u| !is_database_url(u)) {
        anyhow::bail!(
            "--database-url (DOSSIER_DATABASE_URL) must be a postgres:// or postgresql:// URL \
             or libpq key=value settings"
        );
    }
    DATABASE_URL.get_or_init(|| url);
    // Commands that write take the archive's writer lock first (see `lock`); the server
    // and `search` take it themselves, for their start-up only.
    let _writing = match &cli.command {
        // Accounts are rows of the store alone (no search index): SQLite's own locking
        // orders their writes, and a running server or import need not be waited for.
        Command::Serve(_)
        | Command::Search(_)
        | Command::Export(_)
        | Command::User(_)
        | Command::Token(_)
        | Command::Links(_)
        | Command::Check(_) => None,
        // Opens both of its ends itself, and takes the target's lock (see `copy`).
        Command::Copy(_) => None,
        Command::Import(i) => Some(lock::lock_for_writing(
            &cli.global.data_dir,
            &format!("import {}", i.name()),
        )?),
        Command::Reindex => Some(lock::lock_for_writing(&cli.global.data_dir, "reindex")?),
        // A list reads only; a merge and its undo write records and the index.
        Command::Merge(m) if m.list => None,
        Command::Merge(_) => Some(lock::lock_for_writing(&cli.global.data_dir, "merge")?),
        Command::LoadBuiltin(_) => Some(lock::lock_for_writing(
            &cli.global.data_dir,
            "load-builtin",
        )?),
    };
    match cli.command {
        Command::Serve(args) => serve::run(&cli.global.data_dir, args),
        Command::Import(Import::Outline(args)) => import::outline(&cli.global.data_dir, args),
        Command::Search(args) => search::search(&cli.global.data_dir, args),
        Command::Reindex => search::reindex(&cli.global.data_dir),
        Command::Import(Import::Tei(args)) => import::tei(&cli.global.data_dir, args),
        Command::Import(Import::Records(args)) => {
            import::records(&cli.global.data_dir, args, false)
        }
        Command::Import(Import::Csv(args)) => import::records(&cli.global.data_dir, args, true),
        Command::Import(Import::Markdown(args)) => import::markdown(&cli.global.data_dir, args),
        Command::Import(Import::Text(args)) => text::import_text(&cli.global.data_dir, args),
        Command::Export(Export::Site(args)) => export::site(&cli.global.data_dir, args),
        Command::User(command) => user::run(&cli.global.data_dir, command),
        Command::Token(command) => token::run(&cli.global.data_dir, command),
        Command::Links(command) => links::run(&cli.global.data_dir, command),
        Command::Check(args) => check::run(&cli.global.data_dir, args),
        Command::Merge(args) => merge::run(&cli.global.data_dir, args),
        Command::Copy(args) => copy::run(args),
        Command::LoadBuiltin(args) => {
            let store = open_store(&cli.global.data_dir)?;
            let (summary, conflicts) = load_builtin_as(&store, !args.overwrite_edits)?;
            after_write(&cli.global.data_dir, &store)?;
            outln!("Built-in dossier loaded: {}", describe(summary))?;
            print_conflicts(&conflicts)?;
            Ok(())
        }
    }
}

/// Opens the store: the PostgreSQL database of `--database-url` when one was named, else
/// the SQLite file in `data_dir`. Creates the data directory on first use either way (the
/// search index and the OAI-PMH key live there).
pub fn open_store(data_dir: &Path) -> Result<AnyStore> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    if let Some(url) = DATABASE_URL.get().and_then(Option::as_deref) {
        return AnyStore::postgres(url).context("cannot open the store in PostgreSQL");
    }
    let path = data_dir.join("dossier.db");
    AnyStore::sqlite(&path).with_context(|| format!("cannot open the store {}", path.display()))
}

/// Whether `url` can name a PostgreSQL database: a URL of its schemes, or libpq's
/// `key=value` settings.
fn is_database_url(url: &str) -> bool {
    let url = url.trim_start();
    url.starts_with("postgres://") || url.starts_with("postgresql://") || url.contains('=')
}

/// The search index's directory inside the data directory.
pub fn index_dir(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("index")
}

/// Opens the search index, bringing it in step with the store (rebuilding a missing or
/// corrupt one), with progress when there is much to do.
pub fn open_index(data_dir: &Path, store: &dyn Store) -> Result<dossier_search::SearchIndex> {
    let mut progress = crate::progress::Progress::new("indexing");
    let (index, report) = dossier_search::SearchIndex::open_with_progress(
        &index_dir(data_dir),
        store,
        &mut |done, total| progress.update(done, total),
    )
    .context("cannot open the search index")?;
    progress.finish();
    if report.rebuilt || report.applied > 0 {
        tracing::info!(
            applied = report.applied,
            rebuilt = report.rebuilt,
            "search index brought up to date"
        );
    }
    Ok(index)
}

/// Keeps derived data (the search index) in step with the store after a write. A
/// PostgreSQL store's indexes are its servers': each follows the database's change log.
pub fn after_write(data_dir: &Path, store: &dossier_store::AnyStore) -> Result<()> {
    match store.backend() {
        dossier_store::any::Backend::Sqlite => open_index(data_dir, store).map(|_| ()),
        dossier_store::any::Backend::Postgres => Ok(()),
    }
}

/// Writes the built-in NATO-Russia dossier into the store (an empty one: a server's
/// first start, `search`'s), as `load-builtin` does.
pub fn load_builtin(store: &dyn Store) -> Result<WriteSummary> {
    Ok(load_builtin_as(store, true)?.0)
}

/// Writes the built-in NATO-Russia dossier into the store as `load-builtin`'s revisions,
/// keeping fields editors changed since (`protect_edits`), which it returns.
pub fn load_builtin_as(
    store: &dyn Store,
    protect_edits: bool,
) -> Result<(WriteSummary, Vec<EditConflict>)> {
    let archive = dossier_ingest::builtin::archive()
        .map_err(|e| anyhow::anyhow!("the built-in dossier does not load:\n{e}"))?;
    write_attributed(store, &archive, Author::builtin(), protect_edits)
}

/// Writes `archive` as `author`'s revisions (one transaction), keeping fields editors
/// changed since the last import unless `protect_edits` is false; a store without
/// revisions writes it plainly.
pub fn write_attributed(
    store: &dyn Store,
    archive: &dossier_model::Archive,
    author: Author,
    protect_edits: bool,
) -> Result<(WriteSummary, Vec<EditConflict>)> {
    match store.revisions() {
        Some(r) => {
            let options = WriteOptions {
                author,
                comment: String::new(),
                protect_edits,
            };
            Ok(r.write_as(archive, &options)?)
        }
        None => Ok((store.write(archive)?, Vec::new())),
    }
}

/// Lists the fields a write kept as editors changed them, and how many.
pub fn print_conflicts(conflicts: &[EditConflict]) -> Result<()> {
    for c in conflicts {
        outln!("{}", dossier_import::conflict_line(c))?;
    }
    if !conflicts.is_empty() {
        outln!(
            "{} {} kept as an editor changed {}.",
            conflicts.len(),
            if conflicts.len() == 1 {
                "field"
            } else {
                "fields"
            },
            if conflicts.len() == 1 { "it" } else { "them" }
        )?;
    }
    Ok(())
}

/// The site from `--base-url`, `--admin-email` and `--name`; `None` without a base URL.
pub fn site(args: &crate::cli::SiteArgs) -> Result<Option<dossier_publish::site::Site>> {
    let Some(base) = &args.base_url else {
        if args.admin_email.is_some() || args.name.is_some() {
            anyhow::bail!("--admin-email and --name need --base-url (the site's public address)");
        }
        return Ok(None);
    };
    let mut site = dossier_publish::site::Site::new(base)?;
    if let Some(e) = &args.admin_email {
        site = site.with_admin_email(e)?;
    }
    if let Some(n) = &args.name {
        site = site.with_name(n);
    }
    Ok(Some(site))
}

/// The key that signs OAI-PMH resumption tokens: 32 random bytes kept in the store (its
/// `settings`), so that every server on one database signs and accepts the same tokens and
/// a harvester's token stays valid across restarts and whichever server answers. A data
/// directory's `oai-key` file, where an earlier version kept the key, is offered first, so
/// tokens already handed out stay valid.
pub fn oai_key(data_dir: &Path, store: &AnyStore) -> Result<Vec<u8>> {
    let path = data_dir.join("oai-key");
    let offered = match std::fs::read(&path) {
        Ok(k) if k.len() >= 32 => k,
        Ok(_) => anyhow::bail!(
            "{} is shorter than 32 bytes; delete it and the store's key will be used",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; 32];
            getrandom::fill(&mut key)
                .map_err(|e| anyhow::anyhow!("no system randomness for the OAI-PMH key: {e}"))?;
            key
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let hex: String = offered.iter().map(|b| format!("{b:02x}")).collect();
    let kept = store
        .setting_or_keep(dossier_store::settings::OAI_PMH_KEY, &hex)
        .context("cannot read or keep the OAI-PMH key in the store")?;
    from_hex(&kept)
        .filter(|k| k.len() >= 32)
        .ok_or_else(|| anyhow::anyhow!("the store's OAI-PMH key is damaged (not 32+ bytes of hex)"))
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// "3 new, 1 changed, 40 unchanged".
pub fn describe(s: WriteSummary) -> String {
    format!(
        "{} new, {} changed, {} unchanged",
        s.new, s.changed, s.unchanged
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oai_key_is_kept_in_the_store_and_shared() {
        let dir = tempfile::tempdir().unwrap();
        let store = AnyStore::sqlite(&dir.path().join("dossier.db")).unwrap();
        let a = oai_key(dir.path(), &store).unwrap();
        assert_eq!(a.len(), 32);
        assert!(
            !dir.path().join("oai-key").exists(),
            "no key file is made any more"
        );
        drop(store);
        let store = AnyStore::sqlite(&dir.path().join("dossier.db")).unwrap();
        assert_eq!(
            oai_key(dir.path(), &store).unwrap(),
            a,
            "the same key after a restart"
        );
        // A second server's data directory on the same store gets the same key.
        let other = tempfile::tempdir().unwrap();
        assert_eq!(oai_key(other.path(), &store).unwrap(), a);
        // Even when that directory has an older key file of its own: the store's wins.
        std::fs::write(other.path().join("oai-key"), [9u8; 32]).unwrap();
        assert_eq!(oai_key(other.path(), &store).unwrap(), a);
    }

    #[test]
    fn an_older_key_file_is_adopted_and_a_short_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("oai-key"), [7u8; 32]).unwrap();
        let store = AnyStore::sqlite(&dir.path().join("dossier.db")).unwrap();
        assert_eq!(oai_key(dir.path(), &store).unwrap(), vec![7u8; 32]);
        let fresh = tempfile::tempdir().unwrap();
        std::fs::write(fresh.path().join("oai-key"), b"short").unwrap();
        let store = AnyStore::sqlite(&fresh.path().join("dossier.db")).unwrap();
        let e = oai_key(fresh.path(), &store).unwrap_err().to_string();
        assert!(e.contains("shorter than 32 bytes"), "{e}");
        assert_eq!(from_hex("0aff"), Some(vec![10, 255]));
        assert_eq!(from_hex("0g"), None);
        assert_eq!(from_hex("abc"), None);
    }

    #[test]
    fn site_flags() {
        let args = |base: Option<&str>, email: Option<&str>| crate::cli::SiteArgs {
            base_url: base.map(String::from),
            admin_email: email.map(String::from),
            name: None,
        };
        assert!(site(&args(None, None)).unwrap().is_none());
        assert!(site(&args(None, Some("a@b.org"))).is_err());
        let s = site(&args(Some("https://x.org"), Some("a@x.org")))
            .unwrap()
            .unwrap();
        assert_eq!(s.admin_email, "a@x.org");
        let e = site(&args(Some("x.org"), None)).unwrap_err().to_string();
        assert!(e.contains("http://"), "{e}");
    }
}
