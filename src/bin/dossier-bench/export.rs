//! `dossier-bench export`: the static export beside Hugo on the same generated records.
//!
//! Generates an archive (one dossier, N documents, bodies, people, events), exports it
//! with `export_site`, and writes the same documents and bodies as Markdown pages for Hugo
//! (Debian's `hugo`) with a layout that shows the same facts, then runs `hugo`. Both are
//! timed cold-cache-agnostic by taking the median of several runs. It asserts what it
//! computes (the page counts), never a time.

use crate::util;
use anyhow::{bail, Context, Result};
use dossier_model::*;
use dossier_publish::export::export_site;
use dossier_publish::site::Site;
use dossier_store::{SqliteStore, Store};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Options of the export benchmark.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Documents to generate.
    #[arg(long, default_value_t = 10_000)]
    pub documents: usize,
    /// Timed runs of each tool (the median is reported).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Working folder (store, export, Hugo site); replaced.
    #[arg(long, default_value = "target/bench-export")]
    pub work: PathBuf,
    /// Skip Hugo (measure the export only).
    #[arg(long)]
    pub no_hugo: bool,
}

/// A small deterministic generator (an LCG), so that every run has the same records.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() as usize) % v.len()]
    }
}

const WORDS: &[&str] = &[
    "council",
    "security",
    "co-operation",
    "consultation",
    "ministers",
    "partnership",
    "declaration",
    "agreement",
    "meeting",
    "crisis",
    "peacekeeping",
    "terrorism",
    "arms",
    "control",
    "relations",
    "statement",
    "joint",
    "forum",
    "dialogue",
    "defence",
    "reform",
    "transparency",
    "confidence",
    "exercise",
    "programme",
    "principles",
    "mutual",
    "trust",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s: Vec<&str> = (0..words).map(|_| *rng.pick(WORDS)).collect();
    let first = s[0].to_string();
    let mut cap = first[..1].to_uppercase();
    cap.push_str(&first[1..]);
    s[0] = "";
    format!("{cap}{}.", s.join(" "))
}

fn generate(n: usize) -> Archive {
    let mut rng = Rng(42);
    let bodies: Vec<Body> = (0..40)
        .map(|i| Body {
            collections: Vec::new(),
            identifiers: Vec::new(),
            slug: format!("body-{i:02}"),
            name: format!("Generated Council {i}"),
            acronyms: vec![format!("GC{i}")],
            aliases: vec![],
            kind: BodyKind::Council,
            established: Some(Edtf::parse(&format!("{}", 1950 + i)).unwrap()),
            ended: None,
            founding_document: None,
            predecessors: vec![],
            successors: vec![],
            part_of: None,
            format: Some("NATO+1".into()),
            decision_rule: Some("consensus".into()),
            summary: Some(sentence(&mut rng, 30)),
            dossiers: vec!["bench".into()],
            provenance: Provenance::default(),
        })
        .collect();
    let kinds = [
        DocumentKind::Declaration,
        DocumentKind::JointStatement,
        DocumentKind::PressRelease,
        DocumentKind::Speech,
        DocumentKind::ResearchStudy,
        DocumentKind::Agreement,
    ];
    let documents: Vec<Document> = (0..n)
        .map(|i| {
            let year = 1990 + (rng.next() % 30) as i32;
            let month = 1 + (rng.next() % 12) as u8;
            let day = 1 + (rng.next() % 28) as u8;
            Document {
                collections: Vec::new(),
                coverage: None,
                texts: Vec::new(),
                slug: format!("doc-{i:06}"),
                title: format!("{} {i}", sentence(&mut rng, 6).trim_end_matches('.')),
                aliases: vec![],
                kind: *rng.pick(&kinds),
                date: Some(Edtf::Date(PartialDate::ymd(year, month, day))),
                place: Some(
                    rng.pick(&["Brussels", "Moscow", "Rome", "Paris"])
                        .to_string(),
                ),
                issued_by: vec![rng.pick(&bodies).slug.clone()],
                authors: vec![],
                parties: vec![rng.pick(&bodies).slug.clone()],
                legal_status: LegalStatus::PoliticalCommitment,
                availability: Availability::Public,
                languages: vec!["en".into()],
                summary: Some(sentence(&mut rng, 60)),
                relations: if i > 0 {
                    vec![Relation {
                        kind: DocumentRelation::Cites,
                        document: format!("doc-{:06}", (rng.next() as usize) % i),
                    }]
                } else {
                    vec![]
                },
                dossiers: vec!["bench".into()],
                topics: vec![],
                provenance: Provenance {
                    claims: Vec::new(),
                    trace: vec![],
                    sources: vec![Source {
                        title: "A generated source".into(),
                        url: Some(format!("https://example.org/source/{i}")),
                        fields: vec![],
                    }],
                    gaps: vec![],
                },
            }
        })
        .collect();
    let dossier = Dossier {
        queries: Vec::new(),
        stale_after_years: None,
        slug: "bench".into(),
        title: "Generated dossier".into(),
        description: "Records generated for the export benchmark.".into(),
        source: None,
        sections: vec![Section {
            claims: Vec::new(),
            key: "a".into(),
            label: "A.".into(),
            title: "Official documents".into(),
            short_title: None,
            commentary: "Generated commentary.".into(),
            references: vec![],
            lists: vec![GeneratedList {
                complete: false,
                page_listed: None,
                caption: Some("Declarations".into()),
                of: ListOf::Documents,
                kinds: vec!["declaration".into()],
                bodies: vec!["body-00".into()],
                levels: vec![],
            }],
            children: vec![],
        }],
    };
    Archive {
        dossiers: vec![dossier],
        documents,
        bodies,
        ..Default::default()
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    util::percentile(&v, 50.0)
}

fn fresh(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

pub fn run(args: ExportArgs) -> Result<()> {
    fresh(&args.work)?;
    let archive = generate(args.documents);
    let store = SqliteStore::open(&args.work.join("dossier.db"))?;
    let t = Instant::now();
    store.write(&archive)?;
    println!(
        "generated and stored {} documents, {} bodies in {}",
        archive.documents.len(),
        archive.bodies.len(),
        util::ms(t.elapsed())
    );
    let site = Site::new("https://example.org/archive/")?;
    let out = args.work.join("site");
    let hugo_dir = args.work.join("hugo");
    if !args.no_hugo {
        write_hugo_site(&hugo_dir, &archive)?;
        let version = std::process::Command::new("hugo")
            .arg("version")
            .output()
            .context("cannot run hugo (Debian: apt-get install hugo)")?;
        println!("{}", String::from_utf8_lossy(&version.stdout).trim());
    }
    // The two tools take turns, so that both meet the same load on a shared machine.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut our_cpu, mut their_cpu) = (Vec::new(), Vec::new());
    let (mut pages, mut files, mut hugo_pages) = (0, 0, 0);
    for _ in 0..args.runs.max(1) {
        let t = Instant::now();
        let cpu = util::cpu_seconds().0;
        let summary = export_site(&store, &site, &out, &|_, _| {})?;
        ours.push(t.elapsed());
        our_cpu.push(util::cpu_seconds().0 - cpu);
        pages = summary.pages;
        files = summary.files;
        let expected = 2 + 2 + archive.documents.len() + archive.bodies.len();
        if summary.pages != expected {
            bail!(
                "the export wrote {} pages, expected {expected}",
                summary.pages
            );
        }
        if args.no_hugo {
            continue;
        }
        let public = hugo_dir.join("public");
        if public.exists() {
            std::fs::remove_dir_all(&public)?;
        }
        let t = Instant::now();
        let cpu = util::cpu_seconds().1;
        let o = std::process::Command::new("hugo")
            .arg("--source")
            .arg(&hugo_dir)
            .args(["--destination", "public", "--cleanDestinationDir"])
            .output()?;
        theirs.push(t.elapsed());
        their_cpu.push(util::cpu_seconds().1 - cpu);
        if !o.status.success() {
            bail!("hugo failed: {}", String::from_utf8_lossy(&o.stderr));
        }
        hugo_pages = walk_html(&public);
        if hugo_pages < archive.documents.len() + archive.bodies.len() {
            bail!("hugo wrote {hugo_pages} pages, fewer than the records");
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let report = |name: &str, pages: usize, extra: String, times: &[Duration], cpu: &[f64]| {
        let m = median(times.to_vec());
        let best = *times.iter().min().unwrap_or(&m);
        let mut c = cpu.to_vec();
        c.sort_by(f64::total_cmp);
        let cpu_median = c.get(c.len() / 2).copied().unwrap_or(0.0);
        println!(
            "{name}: {pages} pages{extra} in {} (median of {}; best {}), {:.0} pages/s (best {:.0}); \
             CPU {:.2} s (user+sys, median) = {:.0} pages per CPU-second, {:.0} pages/s on {cores} idle cores",
            util::ms(m),
            times.len(),
            util::ms(best),
            pages as f64 / m.as_secs_f64(),
            pages as f64 / best.as_secs_f64(),
            cpu_median,
            pages as f64 / cpu_median.max(1e-9),
            pages as f64 * cores / cpu_median.max(1e-9),
        );
    };
    report(
        "dossier export",
        pages,
        format!(
            " ({files} files, {}, peak RSS {})",
            util::mb(util::disk_bytes(&out)),
            util::peak_rss_bytes()
                .map(util::mb)
                .unwrap_or_else(|| "unknown".into())
        ),
        &ours,
        &our_cpu,
    );
    if !args.no_hugo {
        report(
            "hugo",
            hugo_pages,
            format!(
                " ({})",
                util::mb(util::disk_bytes(&hugo_dir.join("public")))
            ),
            &theirs,
            &their_cpu,
        );
    }
    Ok(())
}

fn walk_html(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        walk_html(&p)
                    } else {
                        usize::from(p.extension().is_some_and(|x| x == "html"))
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Quotes a string for TOML front matter.
fn toml_str(s: &str) -> String {
    format!("{:?}", s)
}

/// The same records as Markdown for Hugo, with a layout that shows the same facts as our
/// document and body pages (title, kind, date, place, issuer and parties linked, legal
/// status, summary, related documents, sources).
fn write_hugo_site(dir: &Path, a: &Archive) -> Result<()> {
    fresh(dir)?;
    std::fs::write(
        dir.join("config.toml"),
        "baseURL = \"https://example.org/archive/\"\ntitle = \"Generated dossier\"\n\
         disableKinds = [\"taxonomy\", \"term\"]\nrelativeURLs = true\n",
    )?;
    let layouts = dir.join("layouts/_default");
    std::fs::create_dir_all(&layouts)?;
    std::fs::write(
        layouts.join("baseof.html"),
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{{ .Title }}</title>\
         <link rel=\"stylesheet\" href=\"{{ \"style.css\" | relURL }}\"></head><body>\
         <header><a href=\"{{ \"/\" | relURL }}\">dossier</a></header><main>{{ block \"main\" . }}{{ end }}</main>\
         <footer>Every record names its source.</footer></body></html>\n",
    )?;
    std::fs::write(
        layouts.join("single.html"),
        r#"{{ define "main" }}<article><p class="kind">{{ .Params.kind }}</p><h1>{{ .Title }}</h1>
<dl><dt>Date</dt><dd>{{ .Params.date_human }}</dd><dt>Place</dt><dd>{{ .Params.place }}</dd>
<dt>Issued by</dt><dd>{{ range .Params.issued_by }}<a href="{{ printf "/bodies/%s/" . | relURL }}">{{ . }}</a> {{ end }}</dd>
<dt>Parties</dt><dd>{{ range .Params.parties }}<a href="{{ printf "/bodies/%s/" . | relURL }}">{{ . }}</a> {{ end }}</dd>
<dt>Legal status</dt><dd>{{ .Params.legal_status }}</dd></dl>
<h2>Summary</h2>{{ .Content }}
<h2>Related</h2><ul>{{ range .Params.cites }}<li><a href="{{ printf "/documents/%s/" . | relURL }}">{{ . }}</a></li>{{ end }}</ul>
<h2>Sources</h2><ul>{{ range .Params.sources }}<li><a href="{{ . }}">{{ . }}</a></li>{{ end }}</ul></article>{{ end }}
"#,
    )?;
    std::fs::write(
        layouts.join("list.html"),
        r#"{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Params.date_human }}</li>{{ end }}</ul>{{ end }}
"#,
    )?;
    std::fs::create_dir_all(dir.join("static"))?;
    std::fs::write(
        dir.join("static/style.css"),
        dossier_publish::html::STYLESHEET,
    )?;
    let docs = dir.join("content/documents");
    std::fs::create_dir_all(&docs)?;
    for d in &a.documents {
        let list = |v: &[String]| v.iter().map(|s| toml_str(s)).collect::<Vec<_>>().join(", ");
        let cites: Vec<String> = d.relations.iter().map(|r| r.document.clone()).collect();
        let sources: Vec<String> = d
            .provenance
            .sources
            .iter()
            .filter_map(|s| s.url.clone())
            .collect();
        let text = format!(
            "+++\ntitle = {}\ndate = {}\nkind = {}\ndate_human = {}\nplace = {}\nissued_by = [{}]\n\
             parties = [{}]\nlegal_status = {}\ncites = [{}]\nsources = [{}]\n+++\n\n{}\n",
            toml_str(&d.title),
            toml_str(&d.date.map(|x| x.to_string()).unwrap_or_default()),
            toml_str(d.kind.label()),
            toml_str(&d.date.map(|x| x.human()).unwrap_or_default()),
            toml_str(d.place.as_deref().unwrap_or_default()),
            list(&d.issued_by),
            list(&d.parties),
            toml_str(d.legal_status.label()),
            list(&cites),
            list(&sources),
            d.summary.as_deref().unwrap_or_default()
        );
        std::fs::write(docs.join(format!("{}.md", d.slug)), text)?;
    }
    let bodies = dir.join("content/bodies");
    std::fs::create_dir_all(&bodies)?;
    for b in &a.bodies {
        let text = format!(
            "+++\ntitle = {}\nkind = {}\ndate_human = {}\n+++\n\n{}\n",
            toml_str(&b.name),
            toml_str(b.kind.label()),
            toml_str(&b.established.map(|x| x.human()).unwrap_or_default()),
            b.summary.as_deref().unwrap_or_default()
        );
        std::fs::write(bodies.join(format!("{}.md", b.slug)), text)?;
    }
    Ok(())
}
