//! `dossier-bench search --docs N`: dossier (store + tantivy index) against SQLite FTS5
//! over the same generated rows.
//!
//! The corpus is seeded and synthetic: Zipfian vocabulary (50,000 made-up words that
//! neither stemmer changes, so both engines see the same terms), heavy-tailed body lengths
//! averaging about 2 KB, and the field's phrases and acronyms sprinkled in. The queries
//! cover term-frequency classes, phrases, boolean and filtered queries; for each query both
//! engines can express, the hit counts must agree (the run fails if they do not).

use crate::util::{self, disk_bytes, mb, ms, peak_rss_bytes, percentile};
use anyhow::{bail, Context, Result};
use dossier_model::*;
use dossier_search::{Committed, SearchIndex, SearchRequest};
use dossier_store::{BulkLoad, SqliteStore, Store};
use rusqlite::{params, Connection};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct SearchBench {
    /// How many documents to generate.
    #[arg(long, default_value_t = 10_000)]
    docs: usize,
    /// Documents per store transaction (and index sync).
    #[arg(long, default_value_t = 10_000)]
    batch: usize,
    /// Timed repetitions of each query (after 3 warm-up runs).
    #[arg(long, default_value_t = 20)]
    reps: usize,
    /// The generator's seed.
    #[arg(long, default_value_t = 1997)]
    seed: u64,
    /// Where to build both databases (default: a fresh directory under /tmp, removed after).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// With --dir: reuse the databases a previous run left there instead of ingesting again.
    #[arg(long, requires = "dir")]
    reuse: bool,
    /// Measure dossier's ingest only (no FTS5, no queries): for working on the ingest.
    #[arg(long)]
    ingest_only: bool,
    /// Only the queries containing this text (for profiling one query).
    #[arg(long)]
    only: Option<String>,
    /// Time dossier alone: no FTS5 latency and no hit-count check (for working on
    /// dossier's queries; the figures for BENCHMARKS.md come from a full run).
    #[arg(long)]
    dossier_only: bool,
    /// Skip the runs with facets (for profiling the searches alone).
    #[arg(long)]
    no_facets: bool,
    /// Print each query's p50 for both engines.
    #[arg(long)]
    per_query: bool,
    /// Also start `dossier serve` on the data and measure its memory while answering
    /// (needs the release binary: `cargo build --release`).
    #[arg(long)]
    serve: bool,
}

/// splitmix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// A standard normal deviate (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1 = self.f64().max(1e-12);
        let u2 = self.f64();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

const VOCAB: usize = 50_000;
const CONSONANTS: &[u8] = b"bdfgklmnprstvz";
const VOWELS: &[u8] = b"ao";

/// The word of frequency rank `i`: consonant-vowel syllables ending in a or o, which the
/// Porter and Snowball stemmers both leave alone.
fn word(i: usize) -> String {
    let base = CONSONANTS.len() * VOWELS.len();
    let (mut n, mut syllables) = (i, 2);
    let mut span = base * base;
    while n >= span {
        n -= span;
        syllables += 1;
        span *= base;
    }
    let mut out = String::new();
    for _ in 0..syllables {
        let s = n % base;
        n /= base;
        out.push(CONSONANTS[s / VOWELS.len()] as char);
        out.push(VOWELS[s % VOWELS.len()] as char);
    }
    out
}

const PHRASES: &[&str] = &[
    "Permanent Joint Council",
    "PJC",
    "Founding Act",
    "NATO-Russia Council",
    "NRC",
    "Euro-Atlantic Partnership Council",
    "EAPC",
    "Partnership for Peace",
    "combating terrorism",
    "civil emergency planning",
    "arms control",
    "search and rescue at sea",
];

struct Corpus {
    rng: Rng,
    vocab: Vec<String>,
    cdf: Vec<f64>,
}

impl Corpus {
    fn new(seed: u64) -> Self {
        let vocab: Vec<String> = (0..VOCAB).map(word).collect();
        let mut cdf = Vec::with_capacity(VOCAB);
        let mut total = 0.0;
        for r in 0..VOCAB {
            total += 1.0 / ((r + 1) as f64).powf(1.07);
            cdf.push(total);
        }
        cdf.iter_mut().for_each(|c| *c /= total);
        Corpus {
            rng: Rng(seed),
            vocab,
            cdf,
        }
    }

    fn zipf(&mut self) -> &str {
        let u = self.rng.f64();
        let i = self.cdf.partition_point(|c| *c < u).min(VOCAB - 1);
        &self.vocab[i]
    }

    fn words(&mut self, n: usize, out: &mut String) {
        for k in 0..n {
            if k > 0 {
                out.push(if k % 17 == 0 { '.' } else { ' ' });
                if k % 17 == 0 {
                    out.push(' ');
                }
            }
            let w = self.zipf().to_string();
            out.push_str(&w);
            if self.rng.below(1000) < 3 {
                out.push(' ');
                out.push_str(PHRASES[self.rng.below(PHRASES.len())]);
            }
        }
    }

    fn document(&mut self, n: usize) -> Document {
        // Log-normal word counts: mean ≈ 285 words ≈ 2 KB, with a long tail.
        let sigma = 0.8;
        let mu = (285.0f64).ln() - sigma * sigma / 2.0;
        let len = (mu + sigma * self.rng.normal()).exp().clamp(10.0, 20_000.0) as usize;
        let mut body = String::with_capacity(len * 7);
        self.words(len, &mut body);
        let mut title = String::new();
        let tlen = 3 + self.rng.below(6);
        self.words(tlen, &mut title);
        if self.rng.below(20) == 0 {
            title.push(' ');
            title.push_str(PHRASES[self.rng.below(PHRASES.len())]);
        }
        let kinds = DocumentKind::ALL;
        let kind = kinds[self.rng.below(kinds.len())];
        let year = 1945 + self.rng.below(66) as i32;
        let month = 1 + self.rng.below(12) as u8;
        let day = 1 + self.rng.below(28) as u8;
        let date = match self.rng.below(100) {
            0..=59 => Edtf::Date(PartialDate::ymd(year, month, day)),
            60..=84 => Edtf::Date(PartialDate {
                day: None,
                ..PartialDate::ymd(year, month, 1)
            }),
            85..=94 => Edtf::Date(PartialDate::year(year)),
            _ => {
                let end = PartialDate {
                    day: None,
                    ..PartialDate::ymd(year + 1, month, 1)
                };
                Edtf::Interval(
                    dossier_model::date::Bound::Date(PartialDate {
                        day: None,
                        ..PartialDate::ymd(year, month, 1)
                    }),
                    dossier_model::date::Bound::Date(end),
                )
            }
        };
        let issued_by = match self.rng.below(10) {
            0 => vec!["pjc".to_string()],
            1 => vec!["nrc".to_string()],
            2 => vec!["eapc".to_string()],
            _ => vec![],
        };
        Document {
            slug: format!("doc-{n}"),
            title,
            aliases: vec![],
            kind,
            date: Some(date),
            place: None,
            issued_by,
            authors: vec![],
            parties: vec![],
            legal_status: LegalStatus::Unknown,
            availability: Availability::Public,
            languages: vec!["en".into()],
            summary: None,
            full_text: Some(body),
            relations: vec![],
            dossiers: vec!["bench".into()],
            topics: vec![],
            provenance: Provenance::default(),
        }
    }
}

fn bench_bodies() -> Vec<Body> {
    let body = |slug: &str, name: &str, acronym: &str| -> Body {
        serde_json::from_value(serde_json::json!({
            "slug": slug, "name": name, "acronyms": [acronym], "kind": "council", "dossiers": ["bench"]
        }))
        .expect("a valid body")
    };
    vec![
        body("pjc", "Permanent Joint Council", "PJC"),
        body("nrc", "NATO-Russia Council", "NRC"),
        body("eapc", "Euro-Atlantic Partnership Council", "EAPC"),
    ]
}

/// A query in both languages. `fts` is the FTS5 MATCH expression (None: no text), `sql`
/// an extra condition on the `meta` table; `compare` says whether both express the same
/// thing (alias expansion is dossier's alone).
struct BenchQuery {
    class: &'static str,
    dossier: String,
    fts: Option<String>,
    sql: Option<String>,
    compare: bool,
}

fn queries() -> Vec<BenchQuery> {
    let w = |i: usize| word(i);
    let q = |class, dossier: String, fts: Option<String>, sql: Option<&str>, compare| BenchQuery {
        class,
        dossier,
        fts,
        sql: sql.map(str::to_string),
        compare,
    };
    let mut v = Vec::new();
    for i in [0, 1, 3] {
        v.push(q("frequent term", w(i), Some(w(i)), None, true));
    }
    for i in [100, 500, 1_000] {
        v.push(q("medium term", w(i), Some(w(i)), None, true));
    }
    for i in [5_000, 10_000, 20_000] {
        v.push(q("rare term", w(i), Some(w(i)), None, true));
    }
    for i in [40_000, 49_000] {
        v.push(q("very rare term", w(i), Some(w(i)), None, true));
    }
    v.push(q(
        "two terms",
        format!("{} {}", w(3), w(50)),
        Some(format!("{} {}", w(3), w(50))),
        None,
        true,
    ));
    v.push(q(
        "two terms",
        format!("{} {}", w(10), w(2_000)),
        Some(format!("{} {}", w(10), w(2_000))),
        None,
        true,
    ));
    for p in [
        "civil emergency planning",
        "founding act",
        "arms control",
        "search and rescue at sea",
    ] {
        v.push(q(
            "phrase",
            format!("\"{p}\""),
            Some(format!("\"{p}\"")),
            None,
            true,
        ));
    }
    v.push(q(
        "boolean",
        format!("{} OR {}", w(200), w(3_000)),
        Some(format!("{} OR {}", w(200), w(3_000))),
        None,
        true,
    ));
    v.push(q(
        "boolean",
        format!("{} NOT {}", w(5), w(6)),
        Some(format!("{} NOT {}", w(5), w(6))),
        None,
        true,
    ));
    v.push(q(
        "boolean",
        format!("({} OR {}) {}", w(300), w(400), w(1)),
        Some(format!("({} OR {}) AND {}", w(300), w(400), w(1))),
        None,
        true,
    ));
    v.push(q(
        "filtered",
        format!("{} kind:declaration", w(50)),
        Some(w(50)),
        Some("m.kind = 'declaration'"),
        true,
    ));
    v.push(q(
        "filtered",
        format!("{} date:1997..2002", w(2)),
        Some(w(2)),
        Some("m.date_lo <= 20021231 AND m.date_hi >= 19970101"),
        true,
    ));
    v.push(q(
        "filtered",
        format!("{} year:1999", w(100)),
        Some(w(100)),
        Some("m.date_lo <= 19991231 AND m.date_hi >= 19990101"),
        true,
    ));
    v.push(q(
        "filtered",
        "\"arms control\" date:1990..2000".into(),
        Some("\"arms control\"".into()),
        Some("m.date_lo <= 20001231 AND m.date_hi >= 19900101"),
        true,
    ));
    v.push(q(
        "filtered",
        format!("{} body:pjc", w(20)),
        Some(w(20)),
        Some("m.bodies = 'pjc'"),
        true,
    ));
    v.push(q(
        "filter only",
        "kind:treaty date:1950..1955".into(),
        None,
        Some("m.kind = 'treaty' AND m.date_lo <= 19551231 AND m.date_hi >= 19500101"),
        true,
    ));
    v.push(q("alias", "PJC".into(), Some("PJC".into()), None, false));
    v.push(q(
        "alias",
        "permanent joint council".into(),
        Some("permanent joint council".into()),
        None,
        false,
    ));
    v.push(q(
        "alias",
        "NRC date:2000..2010".into(),
        Some("NRC".into()),
        Some("m.date_lo <= 20101231 AND m.date_hi >= 20000101"),
        false,
    ));
    v
}

struct Fts {
    conn: Connection,
}

impl Fts {
    fn create(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE meta (rowid INTEGER PRIMARY KEY, slug TEXT NOT NULL, kind TEXT NOT NULL,
                                date_lo INTEGER, date_hi INTEGER, bodies TEXT);
             CREATE INDEX meta_kind ON meta(kind);
             CREATE INDEX meta_date ON meta(date_lo, date_hi);
             CREATE VIRTUAL TABLE fts USING fts5(title, body, tokenize = 'porter unicode61');",
        )?;
        Ok(Fts { conn })
    }

    fn insert(&mut self, docs: &[Document], first_rowid: usize) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut meta = tx.prepare_cached("INSERT INTO meta VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
            let mut fts =
                tx.prepare_cached("INSERT INTO fts (rowid, title, body) VALUES (?1, ?2, ?3)")?;
            for (i, d) in docs.iter().enumerate() {
                let rowid = (first_rowid + i) as i64;
                let date = d.date.expect("bench documents are dated");
                meta.execute(params![
                    rowid,
                    d.slug,
                    d.kind.slug(),
                    date.earliest(),
                    date.latest(),
                    d.issued_by.first()
                ])?;
                fts.execute(params![rowid, d.title, d.full_text])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn sql(q: &BenchQuery, select: &str, tail: &str) -> String {
        let mut conds = Vec::new();
        if q.fts.is_some() {
            conds.push("fts MATCH ?1".to_string());
        }
        if let Some(s) = &q.sql {
            conds.push(s.clone());
        }
        format!(
            "SELECT {select} FROM fts JOIN meta m ON m.rowid = fts.rowid WHERE {} {tail}",
            conds.join(" AND ")
        )
    }

    fn top10(&self, q: &BenchQuery) -> Result<usize> {
        let ranked = q.fts.is_some();
        let sql = Fts::sql(
            q,
            "fts.rowid, fts.title, snippet(fts, 1, '<mark>', '</mark>', '…', 20)",
            if ranked {
                "ORDER BY bm25(fts, 3.0, 1.0) LIMIT 10"
            } else {
                "LIMIT 10"
            },
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = match &q.fts {
            Some(m) => stmt.query(params![m])?,
            None => stmt.query([])?,
        };
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let _: i64 = r.get(0)?;
            let _: String = r.get(1)?;
            n += 1;
        }
        Ok(n)
    }

    fn count(&self, q: &BenchQuery) -> Result<usize> {
        let sql = Fts::sql(q, "count(*)", "");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let n: i64 = match &q.fts {
            Some(m) => stmt.query_row(params![m], |r| r.get(0))?,
            None => stmt.query_row([], |r| r.get(0))?,
        };
        Ok(n as usize)
    }
}

fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let t = Instant::now();
    let v = f()?;
    Ok((v, t.elapsed()))
}

pub fn run(args: SearchBench) -> Result<()> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("dossier-bench-search-{}", args.docs)),
    };
    let reuse = args.reuse && dir.join("fts5.db").exists();
    if dir.exists() && !reuse {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir)?;
    let data = dir.join("dossier");
    std::fs::create_dir_all(&data)?;
    println!("machine: {}", crate::util::machine());
    println!(
        "corpus: {} generated documents (seed {}), batches of {}",
        args.docs, args.seed, args.batch
    );

    if reuse {
        println!("reusing the databases in {}", dir.display());
        let store = SqliteStore::open(&data.join("dossier.db"))?;
        let (index, _) = SearchIndex::open(&data.join("index"), &store)?;
        let fts = Fts {
            conn: Connection::open(dir.join("fts5.db"))?,
        };
        return measure(&args, &dir, &data, store, index, fts);
    }

    // --- ingest: dossier (store + index, synced after every batch) ---
    let store = SqliteStore::open(&data.join("dossier.db"))?;
    store.write(&Archive {
        dossiers: vec![Dossier {
            slug: "bench".into(),
            title: "Benchmark".into(),
            description: String::new(),
            source: None,
            sections: vec![],
        }],
        bodies: bench_bodies(),
        ..Default::default()
    })?;
    let (index, _) = SearchIndex::open(&data.join("index"), &store)?;
    // The corpus is made before the clocks start, so neither engine pays for generating it.
    let mut corpus = Corpus::new(args.seed);
    let mut batches: Vec<Vec<Document>> = Vec::new();
    let mut made = 0;
    let mut text_bytes = 0u64;
    while made < args.docs {
        let n = args.batch.min(args.docs - made);
        let docs: Vec<Document> = (made..made + n).map(|i| corpus.document(i)).collect();
        text_bytes += docs
            .iter()
            .map(|d| (d.title.len() + d.full_text.as_ref().map_or(0, |t| t.len())) as u64)
            .sum::<u64>();
        batches.push(docs);
        made += n;
        eprint!("\r  generated {made}/{}", args.docs);
    }
    eprintln!();

    // --- ingest: dossier, as `dossier import` does it: the store takes batch after batch
    // while the search index follows on a thread of its own, each committed batch handed
    // to it with its records ---
    let (mut t_store, mut t_index) = (Duration::ZERO, Duration::ZERO);
    let cpu_before = util::cpu_seconds().0;
    let started = Instant::now();
    let index = index.bulk()?;
    store.begin_bulk()?;
    let mut kept: Vec<Arc<Archive>> = Vec::new();
    std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Committed>(1);
        let (store_ref, index_ref) = (&store, &index);
        let follower = std::thread::Builder::new()
            .name("index-sync".into())
            .spawn_scoped(scope, move || -> Result<Duration> {
                let mut busy = Duration::ZERO;
                while let Ok(first) = rx.recv() {
                    let mut committed = vec![first];
                    committed.extend(rx.try_iter());
                    let (_, t) = timed(|| Ok(index_ref.sync_committed(store_ref, &committed)?))?;
                    busy += t;
                }
                Ok(busy)
            })?;
        let mut written = 0;
        for docs in batches.drain(..) {
            written += docs.len();
            let archive = Arc::new(Archive {
                documents: docs,
                ..Archive::default()
            });
            let (summary, t) = timed(|| Ok(store.write(&archive)?))?;
            t_store += t;
            if let Some(seqs) = summary.logged {
                let archive = archive.clone();
                tx.send(Committed { seqs, archive })
                    .map_err(|_| anyhow::anyhow!("the index thread stopped"))?;
            }
            kept.push(archive);
            eprint!("\r  dossier: ingested {written}/{}", args.docs);
        }
        drop(tx);
        t_index += follower
            .join()
            .map_err(|_| anyhow::anyhow!("the index thread panicked"))??;
        Ok(())
    })?;
    // The same rows go to FTS5 below.
    let batches: Vec<Vec<Document>> = kept
        .into_iter()
        .map(|a| {
            Arc::try_unwrap(a)
                .map(|a| a.documents)
                .map_err(|_| anyhow::anyhow!("a batch is still held by the index thread"))
        })
        .collect::<Result<_>>()?;
    eprintln!();
    // Whatever the index thread had not applied yet and the last merges, while the rest of
    // the store's write-ahead log is copied into the database file.
    let (index_end, store_end) = std::thread::scope(|scope| {
        let store_end = scope.spawn(|| timed(|| Ok(store.end_bulk()?)));
        let index_end = timed(|| {
            index.sync(&store)?;
            Ok(index.end(&store)?)
        });
        let store_end = store_end
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the store's checkpoint panicked")));
        (index_end, store_end)
    });
    let (index, t) = index_end?;
    t_index += t;
    t_store += store_end?.1;
    let t_dossier = started.elapsed();
    let cpu_dossier = util::cpu_seconds().0 - cpu_before;

    if args.ingest_only {
        println!("text: {}", mb(text_bytes));
        println!(
            "ingest: dossier {:.0} docs/s ({:.1} s, store + index; store writes {:.1} s, index syncs {:.1} s)",
            args.docs as f64 / t_dossier.as_secs_f64(),
            t_dossier.as_secs_f64(),
            t_store.as_secs_f64(),
            t_index.as_secs_f64()
        );
        println!("{}", cpu_line(cpu_dossier, t_dossier, args.docs));
        println!(
            "disk: dossier {} (index {})",
            mb(disk_bytes(&data)),
            mb(disk_bytes(&data.join("index")))
        );
        return Ok(());
    }

    // --- ingest: FTS5, the same rows ---
    let mut fts = Fts::create(&dir.join("fts5.db"))?;
    let mut t_fts = Duration::ZERO;
    let mut first = 1;
    for docs in &batches {
        let (_, t) = timed(|| fts.insert(docs, first))?;
        t_fts += t;
        first += docs.len();
        eprint!("\r  FTS5: ingested {}/{}", first - 1, args.docs);
    }
    eprintln!();
    drop(batches);
    let (_, t) = timed(|| {
        Ok(fts.conn.execute_batch(
            "INSERT INTO fts(fts) VALUES ('optimize'); PRAGMA wal_checkpoint(TRUNCATE);",
        )?)
    })?;
    t_fts += t;
    let rate = |t: Duration| args.docs as f64 / t.as_secs_f64();
    let dossier_bytes = disk_bytes(&data);
    let fts_bytes = disk_bytes(&dir.join("fts5.db")) + disk_bytes(&dir.join("fts5.db-wal"));
    println!("text: {}", mb(text_bytes));
    println!(
        "ingest: dossier {:.0} docs/s ({:.1} s, store + index), FTS5 {:.0} docs/s ({:.1} s)",
        rate(t_dossier),
        t_dossier.as_secs_f64(),
        rate(t_fts),
        t_fts.as_secs_f64()
    );
    println!(
        "  store writes {:.1} s and index syncs {:.1} s, side by side on two threads",
        t_store.as_secs_f64(),
        t_index.as_secs_f64()
    );
    println!("  {}", cpu_line(cpu_dossier, t_dossier, args.docs));
    println!(
        "disk: dossier {} (store {}, index {}), FTS5 {}",
        mb(dossier_bytes),
        mb(disk_bytes(&data.join("dossier.db")) + disk_bytes(&data.join("dossier.db-wal"))),
        mb(disk_bytes(&data.join("index"))),
        mb(fts_bytes)
    );

    measure(&args, &dir, &data, store, index, fts)
}

/// The ingest's CPU time in all, per document, and how many cores it kept busy: with two
/// cores, 10,000 documents/s leaves at most 200 µs of CPU per document.
fn cpu_line(cpu_s: f64, wall: Duration, docs: usize) -> String {
    format!(
        "CPU {:.1} s ({:.0} µs per document, {:.2} cores busy)",
        cpu_s,
        cpu_s * 1e6 / docs.max(1) as f64,
        cpu_s / wall.as_secs_f64()
    )
}

/// Hit-count agreement, latency, and (with --serve) the server's memory.
fn measure(
    args: &SearchBench,
    dir: &Path,
    data: &Path,
    store: SqliteStore,
    index: SearchIndex,
    fts: Fts,
) -> Result<()> {
    // --- agreement ---
    let mut qs = queries();
    if let Some(only) = &args.only {
        qs.retain(|q| q.dossier.contains(only.as_str()));
    }
    println!(
        "\n{:<16} {:<48} {:>9} {:>9}",
        "class", "query", "dossier", "FTS5"
    );
    let mut disagreements = Vec::new();
    for q in qs.iter().filter(|_| !args.dossier_only) {
        let mut counted = SearchRequest::new(format!("{} type:document", q.dossier));
        counted.facets = false;
        let ours = index.search(&counted)?.total;
        let theirs = fts.count(q)?;
        let mark = if !q.compare {
            " (dossier expands aliases)"
        } else if ours != theirs {
            " MISMATCH"
        } else {
            ""
        };
        println!(
            "{:<16} {:<48} {:>9} {:>9}{mark}",
            q.class, q.dossier, ours, theirs
        );
        if q.compare && ours != theirs {
            disagreements.push(q.dossier.clone());
        }
    }
    if !disagreements.is_empty() {
        bail!("hit counts disagree on: {}", disagreements.join(", "));
    }

    // --- latency: top 10 with snippets, single thread, warm ---
    let mut ours_all = Vec::new();
    let mut ours_facets = Vec::new();
    let mut theirs_all = Vec::new();
    let mut per_query = Vec::new();
    for q in &qs {
        let (start_ours, start_theirs) = (ours_all.len(), theirs_all.len());
        let mut req = SearchRequest::new(q.dossier.clone());
        req.facets = false;
        let mut with_facets = req.clone();
        with_facets.facets = true;
        let fts_too = !args.dossier_only;
        for _ in 0..3 {
            index.search(&req)?;
            if !args.no_facets {
                index.search(&with_facets)?;
            }
            if fts_too {
                fts.top10(q)?;
            }
        }
        for _ in 0..args.reps {
            ours_all.push(timed(|| Ok(index.search(&req)?))?.1);
            if !args.no_facets {
                ours_facets.push(timed(|| Ok(index.search(&with_facets)?))?.1);
            }
            if fts_too {
                theirs_all.push(timed(|| fts.top10(q))?.1);
            } else {
                theirs_all.push(Duration::ZERO);
            }
        }
        let mut a = ours_all[start_ours..].to_vec();
        let mut b = theirs_all[start_theirs..].to_vec();
        a.sort();
        b.sort();
        per_query.push((
            q.class,
            q.dossier.clone(),
            percentile(&a, 50.0),
            percentile(&b, 50.0),
        ));
    }
    if args.per_query {
        println!(
            "\n{:<16} {:<48} {:>12} {:>12}",
            "class", "query", "dossier p50", "FTS5 p50"
        );
        for (class, query, a, b) in &per_query {
            println!("{class:<16} {query:<48} {:>12} {:>12}", ms(*a), ms(*b));
        }
    }
    ours_all.sort();
    ours_facets.sort();
    theirs_all.sort();
    println!(
        "\nlatency over {} queries × {} runs (top 10 with snippets, one thread, warm):",
        qs.len(),
        args.reps
    );
    println!(
        "  dossier          p50 {}  p99 {}",
        ms(percentile(&ours_all, 50.0)),
        ms(percentile(&ours_all, 99.0))
    );
    println!(
        "  dossier + facets p50 {}  p99 {}",
        ms(percentile(&ours_facets, 50.0)),
        ms(percentile(&ours_facets, 99.0))
    );
    println!(
        "  FTS5             p50 {}  p99 {}",
        ms(percentile(&theirs_all, 50.0)),
        ms(percentile(&theirs_all, 99.0))
    );
    println!(
        "  dossier is {:.1}× FTS5 at p50",
        percentile(&theirs_all, 50.0).as_secs_f64()
            / percentile(&ours_all, 50.0).as_secs_f64().max(1e-9)
    );
    if let Some(peak) = peak_rss_bytes() {
        println!("bench process peak memory (ingest included): {}", mb(peak));
    }
    drop(index);
    drop(store);
    if args.serve {
        serve_memory(data, &qs)?;
    }
    if args.dir.is_none() {
        std::fs::remove_dir_all(dir).ok();
    }
    Ok(())
}

/// Starts the release server on the data directory, sends every query over HTTP a few
/// times, and reads the server's resident memory.
fn serve_memory(data: &Path, qs: &[BenchQuery]) -> Result<()> {
    let bin = std::env::current_exe()?.with_file_name("dossier");
    if !bin.exists() {
        bail!(
            "{} not found; run `cargo build --release` first",
            bin.display()
        );
    }
    let mut child = std::process::Command::new(&bin)
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .context("the server did not print its address")?
        .to_string();
    let mut served = 0;
    for _ in 0..3 {
        for q in qs {
            let path = format!("/search?q={}", encode(&q.dossier));
            let mut s = std::net::TcpStream::connect(&addr)?;
            write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n")?;
            let mut body = String::new();
            s.read_to_string(&mut body)?;
            if !body.starts_with("HTTP/1.1 200") {
                bail!(
                    "the server answered {path} with {}",
                    body.lines().next().unwrap_or("")
                );
            }
            served += 1;
        }
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.trim().to_string())
            .unwrap_or_default()
    };
    println!(
        "server after {served} search requests: {}; {}",
        field("VmRSS:"),
        field("VmHWM:")
    );
    child.kill()?;
    child.wait()?;
    Ok(())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_unique_and_stable() {
        let words: std::collections::HashSet<String> = (0..VOCAB).map(word).collect();
        assert_eq!(words.len(), VOCAB);
        assert_eq!(word(0), "baba");
        assert!(words.iter().all(|w| w.ends_with('a') || w.ends_with('o')));
    }

    #[test]
    fn the_corpus_is_seeded() {
        let a = Corpus::new(7).document(0);
        let b = Corpus::new(7).document(0);
        assert_eq!(a, b);
    }
}
