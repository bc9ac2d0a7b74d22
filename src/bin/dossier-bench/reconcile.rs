//! `dossier-bench reconcile`: reconciling names against the archive's authorities (issue
//! 28's target: 10,000 names against 100,000 authorities at ≥ 2,000 queries/s, batched).
//!
//! The authorities are the visitors and countries of the corpora's `visits` collection
//! (real names) and generated bodies, people, documents and events up to `--authorities`,
//! with acronyms, aliases and Wikidata identifiers on some. The names asked for are drawn
//! from them as a spreadsheet would hold them: names as written, in another case, with a
//! slip of the keyboard or two, with the words turned round ("Lastname, Firstname"), by
//! acronym, and names that are in no authority at all.
//!
//! Measured: building the index in memory; the queries in batches of `--batch` (10, as
//! OpenRefine sends them) on one thread and on `--threads`; the likely duplicates among the
//! people; then over HTTP: the authorities written to a store, a server in this process,
//! the first request (which builds the index from the store) and `--clients` keep-alive
//! connections POSTing `queries=` batches to `/reconcile`. Asserts what it computes (every
//! name as written that one authority holds comes back `match`, every answer has a result
//! per query), never a time.

use crate::util;
use anyhow::{bail, ensure, Context, Result};
use dossier_authority::{Authorities, Entry, Query};
use dossier_model::*;
use dossier_store::{SqliteStore, Store};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of the reconciliation benchmark.
#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// Authorities in the archive (bodies, people, documents, events).
    #[arg(long, default_value_t = 100_000)]
    pub authorities: usize,
    /// Names reconciled.
    #[arg(long, default_value_t = 10_000)]
    pub queries: usize,
    /// Queries per batch (OpenRefine sends 10).
    #[arg(long, default_value_t = 10)]
    pub batch: usize,
    /// Threads for the in-process run (default: the machine's cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Keep-alive connections for the run over HTTP.
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// Skip the run over HTTP (which writes the authorities to a store first).
    #[arg(long)]
    pub no_http: bool,
    /// Skip the likely duplicates among the people.
    #[arg(long)]
    pub no_duplicates: bool,
    /// The corpora folder (with historyatstate/visits/data/*.xml): real names.
    #[arg(long, default_value = "../shared/corpora")]
    pub corpora: PathBuf,
    /// Where the temporary data directory is made (and removed after).
    #[arg(long, default_value = "/tmp")]
    pub out: PathBuf,
}

/// A small deterministic generator (SplitMix64): the same archive and names every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SYLLABLES: [&str; 48] = [
    "ka", "lo", "mir", "sen", "ta", "vel", "dor", "an", "is", "ber", "gal", "ho", "ru", "vik",
    "zan", "el", "mo", "ne", "pra", "sto", "tur", "ul", "va", "wen", "yar", "bo", "ci", "dra",
    "fen", "gor", "hal", "ja", "kov", "lin", "mar", "nor", "os", "pel", "quin", "ros", "sa", "tin",
    "ur", "vos", "wil", "xe", "yo", "zo",
];
const FIRST: [&str; 40] = [
    "Anna", "Boris", "Carlos", "Dmitri", "Elena", "Farid", "Greta", "Hans", "Ines", "Jan",
    "Katarina", "Lars", "Maria", "Nikolai", "Olga", "Pedro", "Queen", "Rashid", "Sofia", "Tomas",
    "Ulrike", "Viktor", "Wang", "Xavier", "Yusuf", "Zofia", "Ahmed", "Beatriz", "Chen", "Dag",
    "Emil", "Fatima", "Giorgi", "Helga", "Igor", "Jorge", "Kwame", "Leila", "Milan", "Nadia",
];
const TITLES: [&str; 8] = [
    "President",
    "Prime Minister",
    "Foreign Minister",
    "King",
    "Ambassador",
    "Secretary General",
    "Defence Minister",
    "Chancellor",
];
const BODY_KINDS: [(&str, &str); 6] = [
    ("Council", "council"),
    ("Committee", "committee"),
    ("Programme", "programme"),
    ("Centre", "centre"),
    ("Office", "office"),
    ("Parliament", "parliament"),
];
const TOPICS: [&str; 10] = [
    "Security",
    "Co-operation",
    "Arms Control",
    "Civil Emergencies",
    "Trade",
    "Energy",
    "Maritime Affairs",
    "Science",
    "Defence Reform",
    "Border Management",
];

fn word(rng: &mut Rng, syllables: usize) -> String {
    let mut w: String = (0..syllables).map(|_| *rng.pick(&SYLLABLES)).collect();
    w[..1].make_ascii_uppercase();
    w
}

fn entry(record: RecordType, slug: String, name: String, kind: &str) -> Entry {
    Entry {
        record,
        slug,
        name,
        names: Vec::new(),
        identifiers: Vec::new(),
        kind: kind.to_string(),
        date: None,
        description: None,
    }
}

/// The visitors and the countries they came from, in the corpora's visits collection.
fn real_names(corpora: &Path) -> (Vec<String>, Vec<String>) {
    let dir = corpora.join("historyatstate/visits/data");
    let mut people = std::collections::BTreeSet::new();
    let mut countries = std::collections::BTreeSet::new();
    let Ok(files) = std::fs::read_dir(&dir) else {
        eprintln!("no corpora at {}: generated names only", dir.display());
        return (Vec::new(), Vec::new());
    };
    for f in files.flatten() {
        let Ok(text) = std::fs::read_to_string(f.path()) else {
            continue;
        };
        for (open, set) in [("<visitor>", &mut people), ("<from ", &mut countries)] {
            let mut rest = text.as_str();
            while let Some(i) = rest.find(open) {
                rest = &rest[i + open.len()..];
                let start = if open == "<from " {
                    rest.find('>').map_or(0, |j| j + 1)
                } else {
                    0
                };
                let Some(end) = rest[start..].find('<') else {
                    break;
                };
                let name = rest[start..start + end]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                if name.len() > 2 && !name.contains('&') {
                    set.insert(name);
                }
            }
        }
    }
    (
        people.into_iter().collect(),
        countries.into_iter().collect(),
    )
}

/// The authorities: the real names first, then generated ones up to `n`, each name once
/// per type (so that "the one record with this name" is known).
fn authorities(n: usize, real: &(Vec<String>, Vec<String>)) -> Vec<Entry> {
    let mut rng = Rng(28);
    let mut out: Vec<Entry> = Vec::with_capacity(n);
    let mut seen: HashSet<(RecordType, String)> = HashSet::new();
    let mut push = |out: &mut Vec<Entry>, e: Entry| {
        if out.len() < n && seen.insert((e.record, dossier_authority::normalise(&e.name))) {
            out.push(e);
        }
    };
    for (i, p) in real.0.iter().enumerate() {
        push(
            &mut out,
            entry(
                RecordType::Person,
                format!("visitor-{i}"),
                p.clone(),
                "person",
            ),
        );
    }
    for (i, c) in real.1.iter().enumerate() {
        push(
            &mut out,
            entry(RecordType::Body, format!("country-{i}"), c.clone(), "state"),
        );
    }
    let mut i = 0usize;
    while out.len() < n {
        i += 1;
        let e = match i % 10 {
            // People: half of the archive.
            0..=4 => {
                let mut e = entry(
                    RecordType::Person,
                    format!("person-{i}"),
                    format!("{} {}", rng.pick(&FIRST), word(&mut rng, 3)),
                    "person",
                );
                if rng.below(4) == 0 {
                    e.names.push(format!("{} {}", rng.pick(&TITLES), e.name));
                }
                e
            }
            // Bodies, with an acronym and sometimes an identifier.
            5..=7 => {
                let (kind, slug) = *rng.pick(&BODY_KINDS);
                let name = format!("{} {kind} for {}", word(&mut rng, 2), rng.pick(&TOPICS));
                let acronym: String = name
                    .split(' ')
                    .filter_map(|w| w.chars().next())
                    .filter(|c| c.is_ascii_uppercase())
                    .collect::<String>()
                    + &word(&mut rng, 1).to_uppercase();
                let mut e = entry(RecordType::Body, format!("body-{i}"), name, slug);
                e.names.push(acronym);
                if rng.below(3) == 0 {
                    e.identifiers.push(
                        ExternalId::new(IdScheme::Wikidata, &format!("Q{}", 1_000_000 + i))
                            .unwrap(),
                    );
                }
                e.date = Some(format!("{}", 1945 + rng.below(80)));
                e
            }
            8 => {
                let year = 1990 + rng.below(35);
                let mut e = entry(
                    RecordType::Document,
                    format!("document-{i}"),
                    format!(
                        "Joint Statement on {} by {} and {}",
                        rng.pick(&TOPICS),
                        word(&mut rng, 2),
                        word(&mut rng, 2)
                    ),
                    "joint-statement",
                );
                e.date = Some(format!("{year}-0{}-1{}", 1 + rng.below(9), rng.below(10)));
                e
            }
            _ => {
                let year = 1990 + rng.below(35);
                let mut e = entry(
                    RecordType::Event,
                    format!("event-{i}"),
                    format!(
                        "{} Summit on {} {year}",
                        word(&mut rng, 2),
                        rng.pick(&TOPICS)
                    ),
                    "summit",
                );
                e.date = Some(year.to_string());
                e
            }
        };
        push(&mut out, e);
    }
    out
}

/// What a name asked for is, and so what it should come back as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    /// A name as the authority writes it (or its acronym or alias), in another case.
    Exact,
    /// One or two slips of the keyboard.
    Misspelt,
    /// The words turned round, with a comma.
    Reordered,
    /// A name no authority has.
    Absent,
}

/// A name asked for: its kind, the name, and the record it stands for (none: absent).
type Asked = (Kind, String, Option<(RecordType, String)>);

/// A typo: a letter dropped, doubled, swapped with the next, or replaced.
fn slip(rng: &mut Rng, name: &str) -> String {
    let mut c: Vec<char> = name.chars().collect();
    if c.len() < 4 {
        return name.to_string();
    }
    let at = 1 + rng.below(c.len() - 2);
    match rng.below(4) {
        0 => {
            c.remove(at);
        }
        1 => c.insert(at, c[at]),
        2 => c.swap(at, at + 1),
        _ => c[at] = *rng.pick(&['a', 'e', 'i', 'o', 'u', 'n', 'r', 's']),
    }
    c.into_iter().collect()
}

fn names_asked(n: usize, authorities: &[Entry]) -> Vec<Asked> {
    let mut rng = Rng(1997);
    (0..n)
        .map(|i| {
            let e = &authorities[rng.below(authorities.len())];
            let target = Some((e.record, e.slug.clone()));
            match i % 10 {
                0..=3 => {
                    let name = if !e.names.is_empty() && rng.below(3) == 0 {
                        rng.pick(&e.names).clone()
                    } else {
                        e.name.clone()
                    };
                    let name = if rng.below(2) == 0 {
                        name.to_uppercase()
                    } else {
                        name
                    };
                    (Kind::Exact, name, target)
                }
                4..=6 => {
                    let mut name = slip(&mut rng, &e.name);
                    if rng.below(3) == 0 {
                        name = slip(&mut rng, &name);
                    }
                    (Kind::Misspelt, name, target)
                }
                7 | 8 => {
                    let words: Vec<&str> = e.name.split(' ').collect();
                    let name = match words.split_last() {
                        Some((last, rest)) if !rest.is_empty() => {
                            format!("{last}, {}", rest.join(" "))
                        }
                        _ => e.name.clone(),
                    };
                    (Kind::Reordered, name, target)
                }
                _ => (
                    Kind::Absent,
                    format!(
                        "{} {} {}",
                        rng.pick(&FIRST),
                        word(&mut rng, 4),
                        word(&mut rng, 3)
                    ),
                    None,
                ),
            }
        })
        .collect()
}

pub fn run(args: ReconcileArgs) -> Result<()> {
    ensure!(
        args.authorities > 0 && args.queries > 0 && args.batch > 0,
        "sizes must be positive"
    );
    println!("machine: {}", util::machine());
    let real = real_names(&args.corpora);
    println!(
        "real names from the corpora's visits: {} visitors, {} countries",
        real.0.len(),
        real.1.len()
    );
    let entries = authorities(args.authorities, &real);
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &entries {
        *by_type.entry(e.record.as_str()).or_default() += 1;
    }
    println!("{} authorities: {by_type:?}", entries.len());
    let asked = names_asked(args.queries, &entries);

    let start = Instant::now();
    let index = Authorities::build(entries.iter().cloned());
    println!(
        "index built in memory in {:.2} s (peak RSS so far {})",
        start.elapsed().as_secs_f64(),
        util::peak_rss_bytes().map_or("?".into(), util::mb)
    );
    let queries: Vec<Query> = asked
        .iter()
        .map(|(_, name, _)| Query::new(name.clone()))
        .collect();
    let batches: Vec<&[Query]> = queries.chunks(args.batch).collect();

    // One thread.
    let start = Instant::now();
    let answers: Vec<Vec<dossier_authority::Candidate>> = batches
        .iter()
        .flat_map(|b| b.iter().map(|q| index.candidates(q)).collect::<Vec<_>>())
        .collect();
    let one = start.elapsed();
    report_quality(&index, &asked, &answers)?;
    println!(
        "in-process, 1 thread, batches of {}: {} queries in {:.2} s = {:.0} queries/s",
        args.batch,
        queries.len(),
        one.as_secs_f64(),
        queries.len() as f64 / one.as_secs_f64()
    );
    // Several threads.
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let start = Instant::now();
    let answered: usize = std::thread::scope(|s| {
        let chunk = batches.len().div_ceil(threads);
        let handles: Vec<_> = batches
            .chunks(chunk.max(1))
            .map(|part| {
                let index = &index;
                s.spawn(move || {
                    part.iter()
                        .map(|b| {
                            b.iter()
                                .map(|q| {
                                    std::hint::black_box(index.candidates(q));
                                    1
                                })
                                .sum::<usize>()
                        })
                        .sum::<usize>()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let many = start.elapsed();
    ensure!(
        answered == queries.len(),
        "{answered} of {} queries answered",
        queries.len()
    );
    println!(
        "in-process, {threads} threads, batches of {}: {:.2} s = {:.0} queries/s",
        args.batch,
        many.as_secs_f64(),
        queries.len() as f64 / many.as_secs_f64()
    );
    if !args.no_duplicates {
        let start = Instant::now();
        let dups = index.duplicates(RecordType::Person);
        println!(
            "likely duplicates among {} people: {} pairs in {:.2} s",
            by_type.get("person").copied().unwrap_or(0),
            dups.len(),
            start.elapsed().as_secs_f64()
        );
    }
    drop(index);

    if args.no_http {
        return Ok(());
    }
    let dir = args
        .out
        .join(format!("dossier-bench-reconcile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot make {}", dir.display()))?;
    let result = over_http(&args, &dir, &entries, &asked);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// How well the answers found what was asked for, by kind of name; fails if a name as
/// written that one authority holds did not come back `match`.
fn report_quality(
    index: &Authorities,
    asked: &[Asked],
    answers: &[Vec<dossier_authority::Candidate>],
) -> Result<()> {
    let mut rows: BTreeMap<Kind, (usize, usize, usize, usize)> = BTreeMap::new();
    for ((kind, name, target), found) in asked.iter().zip(answers) {
        let row = rows.entry(*kind).or_default();
        row.0 += 1;
        match target {
            Some((t, slug)) => {
                let first = found
                    .first()
                    .is_some_and(|c| c.record == *t && &c.slug == slug);
                row.1 += usize::from(first);
                row.2 += usize::from(first && found[0].matched);
                if *kind == Kind::Exact {
                    let holders = index.by_name(*t, name).len()
                        + [
                            RecordType::Body,
                            RecordType::Person,
                            RecordType::Document,
                            RecordType::Event,
                        ]
                        .into_iter()
                        .filter(|o| o != t)
                        .map(|o| index.by_name(o, name).len())
                        .sum::<usize>();
                    if holders == 1 && !(first && found[0].matched) {
                        bail!("{name:?} is held by one authority, {slug}, but came back {found:?}");
                    }
                }
            }
            None => row.3 += usize::from(found.iter().any(|c| c.matched)),
        }
    }
    println!("names asked, by kind: asked / the right record first / and `match` / (absent: wrongly matched)");
    for (kind, (n, first, matched, wrong)) in rows {
        println!("  {kind:?}: {n} / {first} / {matched} / {wrong}");
    }
    Ok(())
}

/// The authorities as the store's records (bodies, people, documents, events).
fn archive_of(entries: &[Entry]) -> Result<Archive> {
    let mut a = Archive::default();
    for e in entries {
        let ids: Vec<serde_json::Value> = e
            .identifiers
            .iter()
            .map(|i| serde_json::json!({"scheme": i.scheme.as_str(), "value": i.value}))
            .collect();
        match e.record {
            RecordType::Body => a.bodies.push(serde_json::from_value(serde_json::json!({
                "slug": e.slug, "name": e.name, "kind": e.kind, "acronyms": e.names,
                "identifiers": ids, "established": e.date,
            }))?),
            RecordType::Person => a.people.push(serde_json::from_value(serde_json::json!({
                "slug": e.slug, "name": e.name, "aliases": e.names, "identifiers": ids,
            }))?),
            RecordType::Document => a.documents.push(serde_json::from_value(serde_json::json!({
                "slug": e.slug, "title": e.name, "kind": e.kind, "date": e.date,
            }))?),
            RecordType::Event => a.events.push(serde_json::from_value(serde_json::json!({
                "slug": e.slug, "title": e.name, "kind": "meeting", "date": e.date,
            }))?),
            _ => {}
        }
    }
    Ok(a)
}

fn over_http(args: &ReconcileArgs, dir: &Path, entries: &[Entry], asked: &[Asked]) -> Result<()> {
    let store = Arc::new(SqliteStore::open(&dir.join("dossier.db"))?);
    // The search index is opened on the empty store: reconciliation does not use it.
    let (search, _) = dossier_search::SearchIndex::open(&dir.join("index"), store.as_ref())?;
    let start = Instant::now();
    store.write(&archive_of(entries)?)?;
    println!(
        "{} authorities written to the store in {:.1} s",
        entries.len(),
        start.elapsed().as_secs_f64()
    );
    let shared: Arc<dyn Store> = store.clone();
    let state = dossier_server::AppState::new(shared, Arc::new(search));
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || -> Result<()> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            addr_tx.send(listener.local_addr()?)?;
            dossier_server::serve_app(listener, state, async {
                let _ = stop_rx.await;
            })
            .await?;
            Ok(())
        })
    });
    let addr = addr_rx.recv().context("the server did not start")?;
    let bodies: Vec<String> = asked
        .chunks(args.batch)
        .map(|b| {
            let batch: serde_json::Map<String, serde_json::Value> = b
                .iter()
                .enumerate()
                .map(|(i, (_, name, _))| (format!("q{i}"), serde_json::json!({"query": name})))
                .collect();
            form_encode(&serde_json::Value::Object(batch).to_string())
        })
        .collect();
    let mut first = Client::connect(addr)?;
    let start = Instant::now();
    let answer = first.post(&bodies[0])?;
    println!(
        "first request over HTTP (builds the index from the store): {:.2} s",
        start.elapsed().as_secs_f64()
    );
    check_answer(&answer, args.batch.min(asked.len()))?;
    let clients = args.clients.max(1);
    let start = Instant::now();
    let done: usize = std::thread::scope(|s| -> Result<usize> {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let bodies = &bodies;
                s.spawn(move || -> Result<usize> {
                    let mut client = Client::connect(addr)?;
                    let mut n = 0;
                    for (i, body) in bodies.iter().enumerate().skip(c).step_by(clients) {
                        let answer = client.post(body)?;
                        let expected =
                            if i + 1 == bodies.len() && !asked.len().is_multiple_of(args.batch) {
                                asked.len() % args.batch
                            } else {
                                args.batch
                            };
                        check_answer(&answer, expected)?;
                        n += expected;
                    }
                    Ok(n)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })?;
    let took = start.elapsed();
    ensure!(
        done == asked.len(),
        "{done} of {} queries answered",
        asked.len()
    );
    println!(
        "over HTTP, {clients} keep-alive connections, POST queries= batches of {}: {} queries in {:.2} s = {:.0} queries/s",
        args.batch,
        done,
        took.as_secs_f64(),
        done as f64 / took.as_secs_f64()
    );
    let _ = stop_tx.send(());
    server
        .join()
        .map_err(|_| anyhow::anyhow!("the server thread panicked"))??;
    Ok(())
}

/// Every key of the batch answered with a `result` list.
fn check_answer(body: &str, expected: usize) -> Result<()> {
    let v: serde_json::Value = serde_json::from_str(body).context("the answer is not JSON")?;
    let answered = v
        .as_object()
        .map_or(0, |o| o.values().filter(|r| r["result"].is_array()).count());
    ensure!(
        answered == expected,
        "{answered} of {expected} queries answered: {body:.300}"
    );
    Ok(())
}

/// `queries=` and the batch, percent-encoded as a form.
fn form_encode(queries: &str) -> String {
    let mut out = String::from("queries=");
    for b in queries.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// One keep-alive HTTP/1.1 connection that POSTs forms to `/reconcile`.
struct Client {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        Ok(Client {
            addr,
            reader: BufReader::new(stream),
        })
    }

    fn post(&mut self, body: &str) -> Result<String> {
        let stream = self.reader.get_mut();
        write!(
            stream,
            "POST /reconcile HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        )?;
        let mut status = String::new();
        self.reader.read_line(&mut status)?;
        let mut length: Option<usize> = None;
        let mut headers: HashMap<String, String> = HashMap::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                let k = k.trim().to_ascii_lowercase();
                if k == "content-length" {
                    length = v.trim().parse().ok();
                }
                headers.insert(k, v.trim().to_string());
            }
        }
        let Some(length) = length else {
            bail!("no Content-Length in the answer: {status} {headers:?}");
        };
        let mut buf = vec![0; length];
        self.reader.read_exact(&mut buf)?;
        let text = String::from_utf8(buf)?;
        if !status.starts_with("HTTP/1.1 200") {
            bail!("{}: {text:.300}", status.trim());
        }
        Ok(text)
    }
}
