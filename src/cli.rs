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
    /// Where the archive keeps its data (the SQLite store; with --database-url, only this
    /// server's search index and keys). Created if missing.
    #[arg(
        long,
        env = "DOSSIER_DATA_DIR",
        default_value = "dossier-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Keep the store in PostgreSQL instead of the data directory's SQLite file:
    /// `postgres://user:password@host:port/dbname` (or libpq `key=value` settings). For
    /// several servers on one database; each keeps its own search index in its data
    /// directory, following the database's change log. Over TLS, with the server's
    /// certificate verified: add `?sslmode=verify-full&sslrootcert=/path/to/ca.crt`.
    #[arg(
        long,
        env = "DOSSIER_DATABASE_URL",
        hide_env_values = true,
        global = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,
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
    /// Search the archive and print the results as a table (or JSON).
    ///
    /// The query language: words (all must match), "phrases", OR, NOT (or a leading -),
    /// parentheses, and fields: kind:declaration body:pjc person:robertson
    /// dossier:nato-russia collection:milestones year:1997 date:1997..2002 lang:fr
    /// type:event (year: and date: read when a record was issued), coverage:1990..2001 (the
    /// period a document covers). Acronyms find full names and the other way round
    /// (PJC ↔ Permanent Joint Council).
    Search(SearchArgs),
    /// Rebuild the search index from the store, with a progress bar.
    ///
    /// Never needed in normal use (every write updates the index, and `serve` repairs an
    /// index that is missing, corrupt or behind the store), but safe at any time.
    Reindex,
    /// Write the archive out in other forms (a static web site).
    #[command(subcommand)]
    Export(Export),
    /// Load (or refresh) the built-in NATO-Russia dossier into the store.
    ///
    /// Safe to run again: records that have not changed are left alone, and the command
    /// says how many were new, changed or unchanged. A field an editor changed since is
    /// kept as the editor left it and listed, unless --overwrite-edits.
    LoadBuiltin(LoadBuiltinArgs),
    /// Editors' accounts: add people, give them roles, disable or unlock them.
    ///
    /// The first admin is made here (there is no default account or password): `dossier
    /// user add you@example.org --role admin`. Passwords are read from the terminal
    /// without echo, or from standard input with --password-stdin; never from the
    /// command line, where other users of the machine could read them.
    #[command(subcommand)]
    User(User),
    /// API tokens for scripts: `Authorization: Bearer TOKEN` on /api/v1.
    ///
    /// A token acts for its account, with read or write scope, until it is revoked or
    /// the account is disabled. Only its digest is stored: it is shown once, at creation.
    #[command(subcommand)]
    Token(Token),
    /// The external addresses the archive cites: check that they still answer.
    #[command(subcommand)]
    Links(Links),
    /// List every gap of the archive (the editors' worklist, also at /review/gaps),
    /// grouped and counted per kind, each with its record, field and edit page.
    ///
    /// Kinds: unresolved-reference, empty-section, partial-list, unsourced-fact,
    /// stale-status, no-text, no-language, undated, broken-link, redirected-link (from the
    /// last `dossier links check`), not-archived (no `dossier links capture` copy),
    /// likely-duplicate. Claims are aged against today (DOSSIER_TODAY=YYYY-MM-DD sets
    /// it). Exits 1 when a kind named by --fail-on is present: a CI check of the data.
    Check(CheckArgs),
    /// Merge two bodies or two people that are one (a second record an import made):
    /// `dossier merge body russia russian-federation`.
    ///
    /// The second (INTO) survives and takes the first's names (as aliases or acronyms),
    /// identifiers, sources, gaps, dossiers and collections; every record and dossier
    /// section that linked to FROM links to INTO instead; FROM is deleted and its old
    /// addresses redirect (301) to INTO. One transaction: each record touched gets a
    /// revision naming the merge (its history shows it), and the search index follows.
    /// --dry-run says what would move and writes nothing; --undo ID puts every record
    /// back as it was (refused, naming the record, if one changed since); --list shows
    /// the merges.
    Merge(MergeArgs),
    /// Copy a whole archive to another store: a data directory (SQLite) or a PostgreSQL
    /// database, either way: `dossier copy --from dossier-data --to postgres://…`.
    ///
    /// Every table moves as it is (records, dossiers, revisions, the change log,
    /// collections, accounts, sessions, tokens, the audit log, link checks, captures and
    /// their WARC files, merges, redirects), with its ids and times, in one transaction of
    /// the target, which must be empty. Each table is then read back from the target and
    /// compared by row count and checksum, each WARC file by SHA-256; the command prints
    /// the comparison and fails if anything differs. The search index is not copied: a
    /// server builds its own on its first start (or `dossier reindex`). --database-url
    /// plays no part: --from and --to name both ends.
    Copy(CopyArgs),
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The archive to copy: a data directory, or a postgres:// (postgresql://) URL or
    /// libpq key=value settings. Read in one snapshot; not changed.
    #[arg(long, value_name = "DATA_DIR_OR_URL")]
    pub from: String,
    /// Where to copy it: a data directory (created if missing) or a PostgreSQL database
    /// (a schema with `options=-csearch_path%3DNAME`); its store must be new or empty.
    #[arg(long, value_name = "DATA_DIR_OR_URL")]
    pub to: String,
    /// Print the comparison as JSON (per table: rows and SHA-256 on each side).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("action").args(["undo", "list"]).multiple(false)))]
pub struct MergeArgs {
    /// The type of both records.
    #[arg(value_enum, required_unless_present_any = ["undo", "list"], conflicts_with_all = ["undo", "list"])]
    pub record: Option<MergeType>,
    /// The slug of the record merged away.
    #[arg(requires = "into")]
    pub from: Option<String>,
    /// The slug of the record that survives.
    #[arg(requires = "from")]
    pub into: Option<String>,
    /// Why (kept with the merge and in every revision it makes).
    #[arg(long, default_value = "")]
    pub comment: String,
    /// Say what would move, with every check made, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Undo the merge with this number (`--list` shows them).
    #[arg(long, value_name = "ID")]
    pub undo: Option<i64>,
    /// List the merges, newest first.
    #[arg(long)]
    pub list: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What `dossier merge` merges.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MergeType {
    Body,
    Person,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Only this dossier, its sections and its records.
    #[arg(long, value_name = "SLUG")]
    pub dossier: Option<String>,
    /// Print one JSON object (`counts` per kind and `items`) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Exit with status 1 when any of these kinds (comma-separated) is present.
    #[arg(long, value_name = "KIND,...", value_parser = parse_fail_on)]
    pub fail_on: Option<FailOn>,
}

/// The kinds of `--fail-on`.
#[derive(Debug, Clone)]
pub struct FailOn(pub Vec<dossier_upkeep::worklist::Kind>);

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    dossier_upkeep::worklist::Kind::parse_list(s).map(FailOn)
}

#[derive(Debug, Subcommand)]
pub enum Links {
    /// Check every external address of every record (sources, a dossier's outside
    /// sites, collections) and keep each result in the store's history.
    ///
    /// Concurrent but polite: at most --per-host requests at once to one site, a pause
    /// between them, robots.txt obeyed. HEAD first, then GET; redirects followed and
    /// recorded; a 200 that is the site's "not found" page, or a redirect to its home
    /// page, is reported as a soft 404. Never fetches loopback, private, link-local or
    /// cloud-metadata addresses (checked after DNS resolution and at every redirect)
    /// unless the host is named with --allow-host. Exits 0 whatever the links' state
    /// (`dossier check --fail-on` is for CI).
    Check(LinksCheckArgs),
    /// Keep an archived copy of every cited page: the page with its images and
    /// stylesheets (or the PDF it is), as WARC files in DATA_DIR/warc/, each record with
    /// its capture time and SHA-256 digest, indexed in the store.
    ///
    /// Record pages then show "archived copy, captured …" beside the live link and
    /// replay the copy at /archive/{id} (no scripts, nothing fetched from the live web);
    /// Memento clients find every copy of an address at /timemap/link/{url} and
    /// /timegate/{url}. The same safety rules as `links check`: no loopback, private,
    /// link-local or metadata addresses unless the host is named with --allow-host.
    /// Each run adds new copies; earlier ones are kept.
    Capture(LinksCaptureArgs),
}

#[derive(Debug, Args)]
pub struct LinksCaptureArgs {
    /// Fetch this host even though it resolves to a loopback or private address (for
    /// tests and a local mirror). Repeat for several hosts.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// Pages captured at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// Seconds one page (or one of its images or stylesheets) may take.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub timeout: u32,
    /// Only the pages cited by this dossier and its records.
    #[arg(long, value_name = "SLUG")]
    pub dossier: Option<String>,
    /// Only this cited address (repeat for several); it must be one the archive cites.
    #[arg(long, value_name = "URL")]
    pub url: Vec<String>,
    /// Print one JSON object (counts, files and every page's result) instead of lines.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LinksCheckArgs {
    /// Fetch this host even though it resolves to a loopback or private address (for
    /// tests and a local mirror). Repeat for several hosts.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// Requests in flight at once, over all sites.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub concurrency: u32,
    /// Requests in flight at once to one site.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub per_host: u32,
    /// Seconds one check may take, redirects and body included.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=600))]
    pub timeout: u32,
    /// Only the addresses of this dossier and its records.
    #[arg(long, value_name = "SLUG")]
    pub dossier: Option<String>,
    /// Print one JSON object (counts and every result) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LoadBuiltinArgs {
    /// Replace fields an editor changed on the web or through the API since the last
    /// import with the values in the files. Without it such a field keeps the editor's
    /// value, and each one is listed ("document `x`, field `date`: kept the editor's
    /// value"); the import's other fields are written either way.
    #[arg(long)]
    pub overwrite_edits: bool,
}

#[derive(Debug, Subcommand)]
pub enum User {
    /// Add an account.
    ///
    /// The password must be at least 12 characters, not a common password and not the
    /// email. Roles: contributor (drafts), editor (edits any record), reviewer
    /// (publishes), admin (accounts and roles).
    ///
    /// Example: printf '%s\n' "$PASSWORD" | dossier user add ada@example.org --role admin
    ///   --password-stdin
    Add(UserAddArgs),
    /// List the accounts: email, name, role, whether disabled, locked until, last login.
    List(UserListArgs),
    /// Change an account's role; the account's sessions end (it logs in again).
    SetRole(UserSetRoleArgs),
    /// Disable an account: it cannot log in, its sessions end and its API tokens are
    /// refused, at once.
    Disable(UserEmailArg),
    /// Enable a disabled account again.
    Enable(UserEmailArg),
    /// Lift the lock that too many wrong passwords put on an account.
    Unlock(UserEmailArg),
    /// Set a new password for an account; its sessions end and its lock is lifted.
    ResetPassword(UserPasswordArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The account's email, which is also its login (compared without regard to case).
    pub email: String,
    /// The account's role: contributor, editor, reviewer or admin.
    #[arg(long)]
    pub role: String,
    /// The name shown on pages (default: the part of the email before `@`).
    #[arg(long)]
    pub name: Option<String>,
    /// Read the password from standard input (one line) instead of the terminal.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct UserListArgs {
    /// Print the accounts as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UserSetRoleArgs {
    /// The account's email.
    pub email: String,
    /// The new role: contributor, editor, reviewer or admin.
    pub role: String,
}

#[derive(Debug, Args)]
pub struct UserEmailArg {
    /// The account's email.
    pub email: String,
}

#[derive(Debug, Args)]
pub struct UserPasswordArgs {
    /// The account's email.
    pub email: String,
    /// Read the new password from standard input (one line) instead of the terminal.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum Token {
    /// Make an API token for an account and print it (once: it cannot be shown again).
    ///
    /// The token is printed alone on the last line, for scripts:
    ///   TOKEN=$(dossier token create --user ada@example.org --scope write | tail -1)
    Create(TokenCreateArgs),
    /// List API tokens (never the tokens themselves): id, account, scope, label, when
    /// made, last used, revoked.
    List(TokenListArgs),
    /// Revoke an API token by its id (from `dossier token list`); it is refused at once.
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// The email of the account the token acts for.
    #[arg(long)]
    pub user: String,
    /// What the token may do: read, or write (which includes read).
    #[arg(long)]
    pub scope: String,
    /// What the token is for, to tell it apart in lists.
    #[arg(long, default_value = "")]
    pub label: String,
}

#[derive(Debug, Args)]
pub struct TokenListArgs {
    /// Only this account's tokens.
    #[arg(long)]
    pub user: Option<String>,
    /// Print the tokens as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's id, as `dossier token list` shows it.
    pub id: i64,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query, e.g. `"Founding Act"` or `kind:declaration date:2001..2002`.
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// How to order results: relevance, date (earliest first) or date-desc.
    #[arg(long, default_value = "relevance", value_parser = ["relevance", "date", "date-desc"])]
    pub sort: String,
    /// How many results to show.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=100))]
    pub limit: u16,
    /// Which page of results to show.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub page: u32,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, as HOST:PORT.
    #[arg(long, env = "DOSSIER_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// The most connections served at once; one more is answered 503 (Retry-After: 1)
    /// until some close. Default: half the process's open-file limit, at most 1024.
    #[arg(long, env = "DOSSIER_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    pub max_connections: Option<u32>,
    /// Request workers: threads that read the store and render pages. Default: as many
    /// as the store's read connections (4).
    #[arg(long, env = "DOSSIER_WORKERS", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub workers: Option<u32>,
    /// Requests that may wait for a worker; one more is answered 503 (Retry-After: 1).
    /// Default: 512.
    #[arg(long, env = "DOSSIER_QUEUE", value_parser = clap::value_parser!(u32).range(0..=65_536))]
    pub queue: Option<u32>,
    /// Memory for answers kept between changes of the store (pages, JSON, feeds, with
    /// their gzip and Brotli copies), in MiB; 0 keeps none and builds every answer.
    #[arg(long, env = "DOSSIER_CACHE_MB", default_value_t = dossier_server::DEFAULT_CACHE_MB as u32, value_parser = clap::value_parser!(u32).range(0..=1_048_576))]
    pub cache_mb: u32,
    /// Check every cited external address on this schedule (e.g. 7d, 12h, 30m; units
    /// s, m, h, d, w), as `dossier links check` does, keeping the results for editors
    /// (/review/links). Off unless given.
    #[arg(long, env = "DOSSIER_CHECK_LINKS_EVERY", value_name = "DURATION", value_parser = parse_every)]
    pub check_links_every: Option<std::time::Duration>,
    /// For the scheduled link check: fetch this host even though it resolves to a
    /// loopback or private address (tests, a local mirror). Repeat for several hosts.
    #[arg(long = "check-links-allow-host", value_name = "HOST")]
    pub check_links_allow_hosts: Vec<String>,
    /// A reverse proxy in front of this server (nginx's address as this server sees it,
    /// e.g. 127.0.0.1), whose `X-Forwarded-For` names the client for login limits and
    /// the audit log. Repeat for several (env: comma-separated). Without it the header is
    /// never read: any client can send one.
    #[arg(
        long = "trusted-proxy",
        env = "DOSSIER_TRUSTED_PROXIES",
        value_name = "IP",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    #[command(flatten)]
    pub site: SiteArgs,
}

/// `7d`, `12h`, `30m`, `90s`, `2w`: a schedule's interval, at least a second and at most
/// a year.
pub fn parse_every(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not an interval: write a number and a unit, e.g. 7d"))?;
    let unit_secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "`{s}`: the unit must be s, m, h, d or w (seconds to weeks), e.g. 7d"
            ))
        }
    };
    let secs = n.saturating_mul(unit_secs);
    if secs == 0 || secs > 366 * 86_400 {
        return Err(format!("`{s}`: the interval must be between 1s and 366d"));
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// How the archive is addressed from outside: absolute links in citations, feeds, the
/// sitemap and OAI-PMH need them.
#[derive(Debug, Args)]
pub struct SiteArgs {
    /// The public address of the site, e.g. https://archive.example.org/. Without it,
    /// absolute links use the address the server listens on (--addr), never a request's
    /// Host header; set it whenever the site is reached at another address.
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
    /// Import an archive page (plain text like the seed, or HTML) as a dossier outline.
    ///
    /// An HTML page (told by a doctype, <html>, <body> or <h1>… at the start, or by the
    /// .html/.htm extension) gives its title from <h1>, its sections from <h2>–<h6>, its
    /// paragraphs, list items and links; a reference sentence whose link is an http(s)
    /// address points at that address until the curated file resolves it. Only text is
    /// kept: scripts, styles, frames, forms and attributes are dropped.
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
    /// Import TEI P5 texts: every div with a head becomes a document.
    ///
    /// Each document gets the head as its title; the period it covers (coverage) from
    /// the head's <date> markup (@when, @from/@to, @notBefore/@notAfter) as an EDTF date
    /// or range, else from the years the head's words give, else the file's period (each
    /// fallback noted in the record's gaps); its issue date only from a <docDate> or a
    /// <dateline>'s <date> (else a gap); the subject keys of @ana as topics; paragraphs,
    /// list items and figure captions as its text, in the language of xml:lang (else
    /// --lang); and the slug FILE-STEM-XML:ID (1993-2000.xml's
    /// div xml:id="evolution-of-nato" → 1993-2000-evolution-of-nato). The documents join
    /// the dossier --dossier and appear in its lists of that kind.
    ///
    /// Example: dossier import tei ../shared/corpora/historyatstate/milestones/chapters/*.xml
    ///   --kind research-study --collection milestones
    Tei(TeiArgs),
    /// Import record XML (one element per record) through a TOML mapping.
    ///
    /// The mapping names the record element, the record type (event, document, person,
    /// body), where each field comes from, how dates are read and which value gives the
    /// stable id; links can create or link bodies and people, matched with the archive's
    /// records. The format is documented in docs/mapping.md; examples: mappings/visits.toml,
    /// mappings/travels.toml.
    ///
    /// Example: dossier import records ../shared/corpora/historyatstate/visits/data/*.xml
    ///   --mapping mappings/visits.toml --collection visits
    Records(RecordsArgs),
    /// Import CSV files (a header row names the columns) through a TOML mapping.
    ///
    /// The mapping is the same format as for record XML, with column names as paths
    /// (docs/mapping.md; see mappings/visits-csv.toml).
    Csv(RecordsArgs),
    /// Import hand-written records: Markdown files with front matter in TOML between
    /// `+++` lines or in YAML between `---` lines.
    ///
    /// The front matter gives the record's fields (as in the curated data file) and
    /// `type` (document by default); the Markdown after it is a document's text or
    /// another record's summary. The slug defaults to the file's name.
    Markdown(MarkdownArgs),
    /// Attach a text to a document already in the archive, in one language: HTML,
    /// Markdown, TEI P5 or plain text, read into headings and numbered paragraphs.
    ///
    /// The text replaces the document's text in that language (running it again with
    /// the same file changes nothing); the language joins the document's languages.
    /// The format is told by the file's extension (.html, .md, .xml, .txt) or --format.
    ///
    /// Example: dossier import text --document founding-act-1997 --lang fr acte.html
    Text(TextArgs),
}

impl Import {
    /// The subcommand's name, as typed (`records`, `tei`…).
    pub fn name(&self) -> &'static str {
        match self {
            Import::Outline(_) => "outline",
            Import::Tei(_) => "tei",
            Import::Records(_) => "records",
            Import::Csv(_) => "csv",
            Import::Markdown(_) => "markdown",
            Import::Text(_) => "text",
        }
    }
}

/// Flags every streaming import takes.
#[derive(Debug, Args, Clone, Copy)]
pub struct ImportFlags {
    /// Read and check everything and say what would change, without writing.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop at the first bad record, before anything is written (default: report every
    /// bad record, import the good ones and exit non-zero).
    #[arg(long)]
    pub strict: bool,
    /// Records written per transaction (the first few batches are smaller, so that the
    /// search index starts early). A kill leaves whole batches; running the same command
    /// again completes the import. The search index commits once per batch, so larger
    /// batches import faster (memory grows with the batch).
    #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// Replace fields an editor changed on the web or through the API since the last
    /// import with the values in the files. Without it such a field keeps the editor's
    /// value, and each one is listed ("document `x`, field `date`: kept the editor's
    /// value"); the import's other fields are written either way.
    #[arg(long)]
    pub overwrite_edits: bool,
}

/// The collection an import puts its records in, kept apart from the curated dossiers.
#[derive(Debug, Args, Clone)]
pub struct CollectionFlags {
    /// The collection every imported record joins (its slug), created on first use:
    /// `--collection milestones`. A record keeps the collections and dossiers it was in.
    #[arg(long, value_name = "SLUG")]
    pub collection: Option<String>,
    /// The collection's title (default: made from its slug; the import says so). Given
    /// again later, it replaces the stored title.
    #[arg(long, requires = "collection")]
    pub collection_title: Option<String>,
    /// Where the collection comes from, in words ("Office of the Historian, U.S.
    /// Department of State").
    #[arg(long, requires = "collection")]
    pub collection_source: Option<String>,
    /// The source's address (http or https).
    #[arg(long, requires = "collection")]
    pub collection_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct TeiArgs {
    /// TEI P5 files (UTF-8 XML; DTDs, external entities and XInclude are refused).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The dossier the documents join (its slug; it must be in the archive).
    #[arg(long)]
    pub dossier: Option<String>,
    /// The documents' kind, e.g. research-study, speech, parliamentary-report.
    #[arg(long, default_value = "research-study")]
    pub kind: String,
    /// The language (BCP 47: en, fr, ru) of texts the file does not mark with xml:lang;
    /// without it such a text's language is recorded as unknown (`und`).
    #[arg(long)]
    pub lang: Option<String>,
    #[command(flatten)]
    pub collection: CollectionFlags,
    #[command(flatten)]
    pub flags: ImportFlags,
}

#[derive(Debug, Args)]
pub struct RecordsArgs {
    /// The files to import.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The TOML mapping that says how records become archive records.
    #[arg(long)]
    pub mapping: PathBuf,
    /// A dossier every imported record joins (its slug; it must be in the archive).
    #[arg(long)]
    pub dossier: Option<String>,
    #[command(flatten)]
    pub collection: CollectionFlags,
    #[command(flatten)]
    pub flags: ImportFlags,
}

#[derive(Debug, Args)]
pub struct MarkdownArgs {
    /// Markdown files with TOML (`+++` … `+++`) or YAML (`---` … `---`) front matter.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// A dossier every imported record joins (its slug; it must be in the archive).
    #[arg(long)]
    pub dossier: Option<String>,
    #[command(flatten)]
    pub collection: CollectionFlags,
    #[command(flatten)]
    pub flags: ImportFlags,
}

#[derive(Debug, Args)]
pub struct TextArgs {
    /// The file holding the text.
    pub file: PathBuf,
    /// The document's slug (it must be in the archive).
    #[arg(long)]
    pub document: String,
    /// The text's language, a BCP 47 tag: en, fr, ru, uk.
    #[arg(long)]
    pub lang: String,
    /// html, markdown, tei or plain (default: from the file's extension).
    #[arg(long)]
    pub format: Option<String>,
    /// Where the text was taken from, as the text page shows it (an http(s) address or
    /// words; default: the file's name).
    #[arg(long)]
    pub source: Option<String>,
    #[command(flatten)]
    pub collection: CollectionFlags,
    #[command(flatten)]
    pub flags: ImportFlags,
}

#[derive(Debug, Args)]
pub struct OutlineArgs {
    /// The archive page to import (UTF-8 plain text or HTML).
    pub file: PathBuf,
    /// A curated data file whose records and resolutions apply to this outline.
    #[arg(long)]
    pub curated: Option<PathBuf>,
    /// The dossier's slug (default: made from the page's title, or the curated file's).
    #[arg(long)]
    pub slug: Option<String>,
    #[command(flatten)]
    pub collection: CollectionFlags,
    /// Replace fields an editor changed on the web or through the API since the last
    /// import with the values in the files. Without it such a field keeps the editor's
    /// value, and each one is listed ("document `x`, field `date`: kept the editor's
    /// value"); the import's other fields are written either way.
    #[arg(long)]
    pub overwrite_edits: bool,
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
