//! The command line: one typed, documented struct; every flag has an environment fallback
//! where a deployment would want one.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// An archive engine for formal international relations.
///
/// dossier keeps curated dossiers — treaties, declarations, statements, speeches, studies,
/// the bodies and people involved and the chronology of their meetings — as structured
/// records in an embedded store, and serves them as a web site and JSON.
///
/// Start here: `dossier serve`, then open http://127.0.0.1:8080.
#[derive(Debug, Parser)]
#[command(name = "dossier", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Where the archive keeps its data (the SQLite store). Created if missing.
    #[arg(
        long,
        env = "DOSSIER_DATA_DIR",
        default_value = "dossier-data",
        global = true
    )]
    pub data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the archive as a web site and JSON.
    ///
    /// On first start with an empty data directory the built-in "Formal NATO-Russia
    /// Relations" dossier is loaded. Every page answers JSON when the request has
    /// `Accept: application/json`. Stop with Ctrl-C.
    Serve(ServeArgs),
    /// Bring records into the archive from files.
    #[command(subcommand)]
    Import(Import),
    /// Write the archive out in other forms (a static web site).
    #[command(subcommand)]
    Export(Export),
    /// Load (or refresh) the built-in NATO-Russia dossier into the store.
    ///
    /// Safe to run again: records that have not changed are left alone, and the command
    /// says how many were new, changed or unchanged.
    LoadBuiltin,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, as HOST:PORT.
    #[arg(long, env = "DOSSIER_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    #[command(flatten)]
    pub site: SiteArgs,
}

/// How the archive is addressed from outside: absolute links in citations, feeds, the
/// sitemap and OAI-PMH need them.
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// The public address of the site, e.g. https://archive.example.org/ (without it,
    /// the server uses each request's Host header; set it for a stable OAI-PMH repository
    /// identifier).
    #[arg(long, env = "DOSSIER_BASE_URL")]
    pub base_url: Option<String>,
    /// Who answers for the archive: OAI-PMH's adminEmail (default webmaster@ the host).
    #[arg(long, env = "DOSSIER_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// The archive's name, shown to harvesters and in feeds.
    #[arg(long, env = "DOSSIER_NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Import {
    /// Import an archive page (plain text, like the seed) as a dossier outline.
    ///
    /// The page's structure is rebuilt: the title, parts A–D, numbered sections with
    /// their labels (I., 1., 3.6., a)), commentary and bullet items, and every "Click
    /// here / See / Check here / For more information see" reference, as an unresolved
    /// reference. With --curated, a curated data file (TOML, like data/nato-russia.toml)
    /// resolves the references and adds its documents, bodies, people, events and topics.
    ///
    /// The import is all or nothing: on any error nothing is written, and the error says
    /// which file and line, and what was expected.
    Outline(OutlineArgs),
}

#[derive(Debug, Args)]
pub struct OutlineArgs {
    /// The archive page to import (UTF-8 plain text).
    pub file: PathBuf,
    /// A curated data file whose records and resolutions apply to this outline.
    #[arg(long)]
    pub curated: Option<PathBuf>,
    /// The dossier's slug (default: made from the page's title, or the curated file's).
    #[arg(long)]
    pub slug: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Export {
    /// Write the whole archive as a static web site that works without a server.
    ///
    /// Every page the server shows (home, dossiers, chronologies, documents, bodies,
    /// people, events, topics) is written with the same templates, with relative links,
    /// so the folder works from any place: a web server's sub-path, a USB stick, or
    /// opened from disk. Beside the pages: each document's citation in BibTeX, RIS and
    /// CSL-JSON, each dossier's bibliography and Atom feed, the archive's feed, a sitemap,
    /// robots.txt, and a search page that runs in the browser from an index file.
    ///
    /// Two exports of the same archive are identical byte for byte. The export is made
    /// beside DIR and moved into place when complete; a DIR that holds anything but an
    /// earlier export is refused.
    Site(ExportSiteArgs),
}

#[derive(Debug, Args)]
pub struct ExportSiteArgs {
    /// The folder to write (created if missing; an earlier export there is replaced).
    pub dir: PathBuf,
    /// The address the site will be published at, e.g. https://example.org/archive/.
    /// Citations, feeds and the sitemap need absolute addresses; the pages' own links are
    /// relative and work anywhere.
    #[arg(long, env = "DOSSIER_BASE_URL")]
    pub base_url: String,
    /// The archive's name, shown in feeds and citations.
    #[arg(long, env = "DOSSIER_NAME")]
    pub name: Option<String>,
}
