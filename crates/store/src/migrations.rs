//! Schema migrations, embedded in the binary and applied in order on open. The database's
//! `user_version` records how many have run; each runs in its own transaction.

/// Fills the copy of each link's source title and date (migration 12) from `records`, for
/// the links that carried one then: a record's links to anything but a dossier or a
/// collection. Migration 12's alone since 13, whose [`fill_link_cards!`] fills every copy
/// (a dossier's links included) for the migration and `dossier copy` into SQLite.
macro_rules! fill_link_sources {
    () => {
        "UPDATE links SET (src_title, src_date, src_date_lo, src_date_hi) =
    (SELECT r.title, r.date, r.date_lo, r.date_hi FROM records r
     WHERE r.type = links.src_type AND r.slug = links.src_slug)
WHERE src_type <> 'section' AND dst_type NOT IN ('dossier', 'collection')"
    };
}

/// Fills the copy of each link's source card (migration 13) from `records`: its title and
/// date (as [`fill_link_sources!`]), kind and what its card reads of its JSON (a document's
/// legal status and availability, an event's public statement: the JSON's values; a
/// record whose JSON is malformed gets none of those), on a record's links to anything but
/// a collection (its thousands of visits keep small index entries; nothing asks for a
/// collection's backlinks). A dossier's links carry them since 13: its chronology's order
/// and its lists' heads are read from them. The write path writes them with the record;
/// this fills them where rows came another way (the migration, `dossier copy` into
/// SQLite).
macro_rules! fill_link_cards {
    () => {
        "UPDATE links SET (src_title, src_date, src_date_lo, src_date_hi,
        src_kind, src_legal_status, src_availability, src_public_statement) =
    (SELECT r.title, r.date, r.date_lo, r.date_hi, r.kind,
        CASE WHEN json_valid(r.data) THEN json_extract(r.data, '$.legal_status') END,
        CASE WHEN json_valid(r.data) THEN json_extract(r.data, '$.availability') END,
        CASE WHEN json_valid(r.data) THEN json_extract(r.data, '$.public_statement') END
     FROM records r
     WHERE r.type = links.src_type AND r.slug = links.src_slug)
WHERE src_type <> 'section' AND dst_type <> 'collection'"
    };
}

/// [`fill_link_cards!`], for `dossier copy`.
pub(crate) const FILL_LINK_SOURCES: &str = fill_link_cards!();

/// Each entry is one migration; never edit one that has shipped, add a new one.
pub const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE dossiers (
    slug        TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    source      TEXT,
    position    INTEGER NOT NULL,
    data        TEXT NOT NULL,
    created     TEXT NOT NULL,
    changed     TEXT NOT NULL
);

CREATE TABLE sections (
    dossier     TEXT NOT NULL REFERENCES dossiers(slug) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    parent_key  TEXT,
    position    INTEGER NOT NULL,
    label       TEXT NOT NULL,
    title       TEXT NOT NULL,
    short_title TEXT,
    commentary  TEXT NOT NULL,
    lists       TEXT NOT NULL,
    PRIMARY KEY (dossier, key),
    FOREIGN KEY (dossier, parent_key) REFERENCES sections(dossier, key) ON DELETE CASCADE
);

CREATE TABLE section_refs (
    dossier     TEXT NOT NULL,
    section_key TEXT NOT NULL,
    n           INTEGER NOT NULL,
    text        TEXT NOT NULL,
    target      TEXT,
    PRIMARY KEY (dossier, section_key, n),
    FOREIGN KEY (dossier, section_key) REFERENCES sections(dossier, key) ON DELETE CASCADE
);

CREATE TABLE records (
    type        TEXT NOT NULL CHECK (type IN ('document','body','person','event','topic')),
    slug        TEXT NOT NULL,
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    date        TEXT,
    date_lo     INTEGER,
    date_hi     INTEGER,
    data        TEXT NOT NULL,
    created     TEXT NOT NULL,
    changed     TEXT NOT NULL,
    PRIMARY KEY (type, slug)
);
CREATE INDEX records_by_date ON records(type, date_lo, date_hi DESC, title);

-- Every slug a record names, so that reverse questions ("which events did this body
-- hold?", "which sections cite this document?") are one indexed lookup.
CREATE TABLE links (
    src_type    TEXT NOT NULL,
    src_slug    TEXT NOT NULL,
    rel         TEXT NOT NULL,
    dst_type    TEXT NOT NULL,
    dst_slug    TEXT NOT NULL,
    detail      TEXT
);
CREATE INDEX links_by_src ON links(src_type, src_slug);
CREATE INDEX links_by_dst ON links(dst_type, dst_slug, rel);
"#,
    r#"
-- Every change to a record, in order: the search index and harvesters follow this log, and
-- a deleted record stays visible here as deleted (OAI-PMH needs that).
CREATE TABLE changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    type        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    op          TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
    at          TEXT NOT NULL
);
CREATE INDEX changes_by_record ON changes(type, slug, seq);
"#,
    r#"
-- The last copy of each deleted record (its kind and its JSON, which names its dossiers),
-- so that a harvester can still say which sets a deleted record was in: OAI-PMH reports
-- deletions in set-restricted lists too. A trigger fills it, so every way of deleting a
-- row of `records` leaves its tombstone, in the same transaction. A record written again
-- keeps its old tombstone; readers take only tombstones of records that are absent.
CREATE TABLE tombstones (
    type        TEXT NOT NULL,
    slug        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    data        TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (type, slug)
);
CREATE TRIGGER records_leave_tombstones BEFORE DELETE ON records
BEGIN
    INSERT OR REPLACE INTO tombstones (type, slug, kind, data, at)
    VALUES (old.type, old.slug, old.kind, old.data, strftime('%Y-%m-%dT%H:%M:%SZ','now'));
END;
"#,
    r#"
-- Editors' accounts (issue 23). Times are whole seconds since 1970 (UTC). Secrets are kept
-- only as digests: a session's cookie value and an API token as SHA-256 in lowercase hex
-- (the CHECKs refuse anything else, so a clear secret cannot be stored by mistake), a
-- password as its Argon2id hash in the PHC format. AUTOINCREMENT keeps the ids of deleted
-- accounts and tokens from being given again: the audit log and `token revoke ID` name them.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT NOT NULL UNIQUE COLLATE NOCASE
                   CHECK (length(email) BETWEEN 3 AND 254 AND instr(email, '@') > 1),
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role <> ''),
    password_hash  TEXT NOT NULL CHECK (password_hash LIKE '$%'),
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created        INTEGER NOT NULL,
    last_login     INTEGER,
    failed_logins  INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until   INTEGER
);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY
                CHECK (length(id_hash) = 64 AND id_hash NOT GLOB '*[^0-9a-f]*'),
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL CHECK (csrf <> ''),
    created     INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions(user_id);
-- The sweep of expired sessions asks by either time.
CREATE INDEX sessions_by_last_seen ON sessions(last_seen);
CREATE INDEX sessions_by_created ON sessions(created);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scope       TEXT NOT NULL CHECK (scope IN ('read', 'write')),
    label       TEXT NOT NULL DEFAULT '',
    hash        TEXT NOT NULL UNIQUE
                CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*'),
    created     INTEGER NOT NULL,
    last_used   INTEGER,
    revoked     INTEGER
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id, id);

-- No foreign key to users: the log outlives the accounts it names. Paged newest first
-- by id (the rowid, its own index).
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    event       TEXT NOT NULL CHECK (event <> ''),
    user_id     INTEGER,
    email       TEXT,
    actor       TEXT,
    address     TEXT,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_user ON audit(user_id, id);
"#,
    r#"
-- Revisions (issue 24): every published change to a record or dossier, and the drafts
-- waiting to become one. The published tables stay what readers read; a row here keeps
-- the record's JSON after the change once (NULL for a deletion). `version` is set on
-- published rows only and counts 1, 2, 3… per record, deletions included. Times are whole
-- seconds since 1970 (UTC). No foreign key to users: history outlives the accounts it
-- names, and `author_name` keeps the name they had.
CREATE TABLE revisions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    type            TEXT NOT NULL
                    CHECK (type IN ('dossier','document','body','person','event','topic')),
    slug            TEXT NOT NULL CHECK (slug <> ''),
    version         INTEGER CHECK (version IS NULL OR version > 0),
    base            INTEGER NOT NULL CHECK (base >= 0),
    status          TEXT NOT NULL
                    CHECK (status IN ('published','draft','review','returned','discarded')),
    deleted         INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    author_user     INTEGER,
    author_name     TEXT NOT NULL,
    origin          TEXT NOT NULL
                    CHECK (origin IN ('web','api','import','builtin','cli','revert')),
    at              INTEGER NOT NULL,
    comment         TEXT NOT NULL DEFAULT '',
    reviewer_user   INTEGER,
    reviewer_name   TEXT,
    reviewer_origin TEXT,
    reviewed_at     INTEGER,
    review_comment  TEXT,
    data            TEXT,
    -- An import's revision that kept fields as editors had changed them: their names (a
    -- JSON list), so that the next import still knows them as the editors'.
    kept            TEXT,
    CHECK ((status = 'published') = (version IS NOT NULL)),
    CHECK ((deleted = 1) = (data IS NULL))
);
-- A record's history, newest first.
CREATE INDEX revisions_by_record ON revisions(type, slug, id);
-- A record's current version (MAX) in one probe; unique, so two writes cannot both make
-- the same version.
CREATE UNIQUE INDEX revisions_by_version ON revisions(type, slug, version)
    WHERE version IS NOT NULL;
-- Drafts waiting, by status. Published rows (nearly all) are left out: recent changes
-- read them newest first by id.
CREATE INDEX revisions_by_status ON revisions(status, id) WHERE status <> 'published';
-- An account's revisions; imports' (no account) are left out.
CREATE INDEX revisions_by_author ON revisions(author_user, id) WHERE author_user IS NOT NULL;

-- What is stored now becomes version 1 of each record, so that history and the import's
-- protection of editors' changes start from it.
INSERT INTO revisions (type, slug, version, base, status, author_name, origin, at, data)
SELECT 'dossier', slug, 1, 0, 'published', 'before revisions were kept', 'import',
       COALESCE(CAST(strftime('%s', changed) AS INTEGER), 0), data
FROM dossiers ORDER BY slug;
INSERT INTO revisions (type, slug, version, base, status, author_name, origin, at, data)
SELECT type, slug, 1, 0, 'published', 'before revisions were kept', 'import',
       COALESCE(CAST(strftime('%s', changed) AS INTEGER), 0), data
FROM records ORDER BY type, slug;
"#,
    r#"
-- Collections (issue 27): what an import puts its records in, kept apart from dossiers. A
-- record names its collections in its JSON (`collections`); the write path adds a `links`
-- row (rel 'collection', dst_type 'collection') for each, so "the records of a
-- collection" is one indexed lookup. Times as in `dossiers` (RFC 3339 text).
CREATE TABLE collections (
    slug        TEXT PRIMARY KEY CHECK (slug <> ''),
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    source      TEXT,
    url         TEXT,
    created     TEXT NOT NULL,
    changed     TEXT NOT NULL
);
"#,
    r#"
-- Link checking (issue 25): one row per check of one external address, kept as history
-- (the newest per address is its state). Times are whole seconds since 1970 (UTC).
-- `outcome` is the checker's verdict; `redirects` a JSON list of {"status", "url"} hops.
CREATE TABLE link_checks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    url         TEXT NOT NULL,
    checked_at  INTEGER NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN
                ('ok','redirected','broken','soft-404','gone','refused','robots','error')),
    status      INTEGER,
    final_url   TEXT,
    redirects   TEXT NOT NULL DEFAULT '[]',
    message     TEXT NOT NULL DEFAULT '',
    elapsed_ms  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX link_checks_by_url ON link_checks(url, id);
-- Each run of the checker (by hand or by the server's schedule), for "last run" and
-- "next run" on the editors' pages.
CREATE TABLE link_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    trigger     TEXT NOT NULL CHECK (trigger IN ('cli','schedule','web')),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    checked     INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0
);
"#,
    r#"
-- Archived copies (issue 25): every WARC record a capture wrote, by the address it holds.
-- `page` is the cited address the capture was made for (a page's images and styles are
-- kept under it); `warc_file` a path relative to DATA_DIR/warc, `offset`/`length` where
-- the WARC record lies in it; `sha256` the payload's digest in lowercase hex.
CREATE TABLE captures (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    page          TEXT NOT NULL,
    url           TEXT NOT NULL,
    captured_at   INTEGER NOT NULL,
    warc_file     TEXT NOT NULL,
    offset        INTEGER NOT NULL CHECK (offset >= 0),
    length        INTEGER NOT NULL CHECK (length > 0),
    status        INTEGER NOT NULL,
    content_type  TEXT NOT NULL DEFAULT '',
    sha256        TEXT NOT NULL CHECK (length(sha256) = 64)
);
CREATE INDEX captures_by_page ON captures(page, captured_at);
CREATE INDEX captures_by_url ON captures(url, captured_at);
"#,
    r#"
-- Merges (issue 28): two bodies or two people joined as one. Each merge is a row here; the
-- records it wrote are in `merge_records`, each at the version the merge made (the version
-- before it, one less, is what an undo publishes again: the revisions table keeps its
-- JSON). Times are whole seconds since 1970 (UTC); authors as in `revisions` (no foreign
-- key to users: the history outlives accounts).
CREATE TABLE merges (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    type          TEXT NOT NULL CHECK (type IN ('body','person')),
    from_slug     TEXT NOT NULL CHECK (from_slug <> ''),
    into_slug     TEXT NOT NULL CHECK (into_slug <> ''),
    author_user   INTEGER,
    author_name   TEXT NOT NULL,
    origin        TEXT NOT NULL
                  CHECK (origin IN ('web','api','import','builtin','cli','revert')),
    at            INTEGER NOT NULL,
    comment       TEXT NOT NULL DEFAULT '',
    undone_user   INTEGER,
    undone_name   TEXT,
    undone_origin TEXT,
    undone_at     INTEGER,
    CHECK (from_slug <> into_slug),
    CHECK ((undone_at IS NULL) = (undone_name IS NULL))
);
-- `role`: 'into' (the survivor), 'from' (the record merged away: its version is its
-- deletion), 'relinked' (a record or dossier whose links to `from` now name `into`).
CREATE TABLE merge_records (
    merge_id  INTEGER NOT NULL REFERENCES merges(id),
    type      TEXT NOT NULL
              CHECK (type IN ('dossier','document','body','person','event','topic')),
    slug      TEXT NOT NULL,
    role      TEXT NOT NULL CHECK (role IN ('into','from','relinked')),
    version   INTEGER NOT NULL CHECK (version > 0),
    PRIMARY KEY (merge_id, type, slug)
) WITHOUT ROWID;
-- Where a merged-away slug lives now, chains collapsed (merging A into B, then B into C,
-- points A at C), so one lookup answers a reader's 301.
CREATE TABLE redirects (
    type      TEXT NOT NULL CHECK (type IN ('body','person')),
    slug      TEXT NOT NULL,
    target    TEXT NOT NULL,
    merge_id  INTEGER NOT NULL REFERENCES merges(id),
    PRIMARY KEY (type, slug),
    CHECK (slug <> target)
) WITHOUT ROWID;
CREATE INDEX redirects_by_target ON redirects(type, target);
-- Each redirect a merge added, changed or removed, as it was before (`old_target` NULL:
-- there was none), so that its undo puts every one back.
CREATE TABLE merge_redirects (
    merge_id      INTEGER NOT NULL REFERENCES merges(id),
    type          TEXT NOT NULL,
    slug          TEXT NOT NULL,
    old_target    TEXT,
    old_merge_id  INTEGER,
    PRIMARY KEY (merge_id, type, slug)
) WITHOUT ROWID;
"#,
    r#"
-- 10: nothing. PostgreSQL's tenth migration makes the table that keeps archived copies'
-- WARC files; SQLite keeps them as files in the data directory's warc/ folder. Here so
-- that a schema version means the same migrations on both stores.
"#,
    r#"
-- 11: values every server on a store must share, by name (the OAI-PMH resumption tokens'
-- key): on PostgreSQL several servers answer one harvester, so the key cannot live in
-- one server's data directory.
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;
"#,
    concat!(
        r#"
-- 12: a record's backlinks (a body's events, documents, people and parts) read from one
-- range of one index. After any commit SQLite drops a reader's page cache, so the first
-- page built afterwards reads every page it touches again: the backlinks of a body with
-- 128 events read a `links` entry and then a `records` entry per event, scattered over as
-- many pages (issue 22, the cold body page). A record's links now carry what a backlink
-- shows and sorts by of their source (its title and date): the write path writes a
-- record's links with the record, so they always agree, and `links_by_dst` covers them.
-- Links to a dossier or a collection (one per record in it) are not backlinks and carry
-- none, so that their lists read as few index pages as before; nor do a section's
-- citations.
ALTER TABLE links ADD COLUMN src_title TEXT;
ALTER TABLE links ADD COLUMN src_date TEXT;
ALTER TABLE links ADD COLUMN src_date_lo INTEGER;
ALTER TABLE links ADD COLUMN src_date_hi INTEGER;
"#,
        fill_link_sources!(),
        r#";
DROP INDEX links_by_dst;
CREATE INDEX links_by_dst ON links(dst_type, dst_slug, rel, src_type, src_slug,
    src_date_lo, src_date_hi, src_title, src_date);
"#
    ),
    concat!(
        r#"
-- 13: a backlink's card (issue 22, the cold body and document pages): a body's page shows
-- the first 50 of its events and documents with their kind and badges, and a document's
-- page its place in its dossier's chronology, which were read from each record's row (and
-- JSON), scattered over as many pages as records after a commit emptied the reader's
-- cache. A link that carries its source's title and date (12) now carries what a card
-- shows besides: the source's kind, a document's legal status and availability, an
-- event's public statement (JSON values: text, text, 1/0); and a record's link to its
-- dossier carries them all (a collection's still none). Written with the record's links,
-- covered by `links_by_dst`.
ALTER TABLE links ADD COLUMN src_kind TEXT;
ALTER TABLE links ADD COLUMN src_legal_status TEXT;
ALTER TABLE links ADD COLUMN src_availability TEXT;
ALTER TABLE links ADD COLUMN src_public_statement INTEGER;
"#,
        fill_link_cards!(),
        r#";
DROP INDEX links_by_dst;
CREATE INDEX links_by_dst ON links(dst_type, dst_slug, rel, src_type, src_slug,
    src_date_lo, src_date_hi, src_title, src_date,
    src_kind, src_legal_status, src_availability, src_public_statement);
"#
    ),
    r#"
-- 14: failed logins counted per account (the email as typed, lowercased) and per client
-- address, for the delays that hold guessing back (issue 23's limits). They were counted in
-- each server's memory: with several servers on one PostgreSQL database (issue 29) a
-- guesser who spread attempts over them got each server's free failures and delays anew.
-- Kept by the store, every server counts in one place. `held_until`: seconds since 1970;
-- rows whose last failure is an hour old are forgotten.
CREATE TABLE login_limits (
    kind        TEXT NOT NULL CHECK (kind IN ('account','address')),
    key         TEXT NOT NULL,
    failures    INTEGER NOT NULL CHECK (failures > 0),
    last        INTEGER NOT NULL,
    held_until  INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE INDEX login_limits_by_last ON login_limits(last);
"#,
];
