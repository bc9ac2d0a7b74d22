//! Deep and wide documents in every importer, size and time bombs: each is refused with
//! a message that names the file and leaves the store as it was, or accepted — and then
//! the archive still reads, searches and re-imports (nothing written may be unreadable).

use crate::harness::*;

/// What an input must get.
#[derive(Clone, Copy, PartialEq)]
enum Must {
    Refuse,
    Either,
}

/// One hostile file for one importer.
struct Case {
    name: String,
    importer: Importer,
    bytes: Vec<u8>,
    must: Must,
}

#[derive(Clone, Copy)]
enum Importer {
    OutlineText,
    OutlineHtml,
    Records,
    Tei,
    Csv,
    Markdown,
    /// A mapping file, used to import the visits excerpt.
    Mapping,
    /// A curated data file, applied to the seed outline.
    Curated,
}

impl Importer {
    fn extension(self) -> &'static str {
        match self {
            Importer::OutlineText => "txt",
            Importer::OutlineHtml => "html",
            Importer::Records | Importer::Tei => "xml",
            Importer::Csv => "csv",
            Importer::Markdown => "md",
            Importer::Mapping | Importer::Curated => "toml",
        }
    }

    fn args(self, file: &str) -> Vec<String> {
        let v: Vec<&str> = match self {
            Importer::OutlineText | Importer::OutlineHtml => {
                vec!["import", "outline", file, "--slug", "hostile-outline"]
            }
            Importer::Records => vec![
                "import",
                "records",
                "--mapping",
                "mappings/visits.toml",
                file,
            ],
            Importer::Tei => vec![
                "import",
                "tei",
                file,
                "--dossier",
                "nato-russia",
                "--kind",
                "research-study",
            ],
            Importer::Csv => vec![
                "import",
                "csv",
                "--mapping",
                "mappings/visits-csv.toml",
                file,
            ],
            Importer::Markdown => vec!["import", "markdown", file],
            Importer::Mapping => vec![
                "import",
                "records",
                "--mapping",
                file,
                "tests/fixtures/visits-excerpt.xml",
            ],
            Importer::Curated => vec![
                "import",
                "outline",
                "data/nato-russia.seed.txt",
                "--curated",
                file,
                "--slug",
                "hostile-curated",
            ],
        };
        v.into_iter().map(String::from).collect()
    }
}

fn case(name: &str, importer: Importer, bytes: impl Into<Vec<u8>>, must: Must) -> Case {
    Case {
        name: name.to_string(),
        importer,
        bytes: bytes.into(),
        must,
    }
}

/// Numbered headings nested `depth` deep: `1.`, `1.1.`, `1.1.1.` …
fn numbered_outline(depth: usize) -> String {
    let mut s = String::from("Hostile Outline\n\n");
    let mut label = String::new();
    for i in 0..depth {
        label.push_str("1.");
        s.push_str(&format!("{label} Level {i}\n\nText of level {i}.\n\n"));
    }
    s
}

/// HTML headings `<h2>`… under nested sections, and lists nested `depth` deep.
fn nested_html(depth: usize, element: &str) -> String {
    let mut s = String::from("<!DOCTYPE html><html><body><h1>Hostile Outline</h1>");
    for i in 0..depth {
        s.push_str(&format!("<{element}><h2>{i}. Level {i}</h2>"));
    }
    s.push_str(&format!("</{element}>").repeat(depth));
    s.push_str("</body></html>");
    s
}

fn xml_records(inner: &str) -> String {
    format!("<?xml version=\"1.0\"?>\n<visits>\n{inner}\n</visits>\n")
}

fn tei(inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<TEI xmlns=\"http://www.tei-c.org/ns/1.0\"><teiHeader><fileDesc><titleStmt><title>Hostile</title></titleStmt></fileDesc></teiHeader><text><body>\n{inner}\n</body></text></TEI>\n"
    )
}

fn attributes(n: usize) -> String {
    (0..n).map(|i| format!(" a{i}=\"{i}\"")).collect()
}

fn lolz(levels: usize, root: &str) -> String {
    let mut x = format!("<?xml version=\"1.0\"?>\n<!DOCTYPE {root} [\n <!ENTITY l0 \"lol\">\n");
    for i in 1..levels {
        x.push_str(&format!(
            " <!ENTITY l{i} \"{}\">\n",
            format!("&l{};", i - 1).repeat(10)
        ));
    }
    x.push_str(&format!(
        "]>\n<{root}><visit><id>&l{};</id></visit></{root}>\n",
        levels - 1
    ));
    x
}

fn cases() -> Vec<Case> {
    use Importer::*;
    use Must::*;
    let mut c = Vec::new();
    let visit = "<visit><id>9001</id><start-date>1991-01-01</start-date><visitor>V</visitor><from id=\"x\">X</from></visit>";

    // Outline text: deep, wide, long, binary.
    for depth in [6, 12, 20, 63, 200, 2_000] {
        // Deeper than `dossier_model::MAX_SECTION_DEPTH` (16) is refused.
        let must = if depth > 16 { Refuse } else { Either };
        c.push(case(
            &format!("outline-depth-{depth}"),
            OutlineText,
            numbered_outline(depth),
            must,
        ));
    }
    let wide: String = (1..=5_000)
        .map(|i| format!("{i}. Heading {i}\n\n"))
        .collect();
    c.push(case(
        "outline-wide",
        OutlineText,
        format!("Hostile Outline\n\n{wide}"),
        Either,
    ));
    c.push(case(
        "outline-long-line",
        OutlineText,
        format!("Hostile Outline\n\n1. {}\n", "x".repeat(8 << 20)),
        Either,
    ));
    c.push(case(
        "outline-over-size",
        OutlineText,
        "Hostile Outline\n\n".to_string() + &"word ".repeat(5 << 20),
        Refuse,
    ));
    c.push(case(
        "outline-nul",
        OutlineText,
        "Hostile Outline\n\n1. A\0B\n",
        Refuse,
    ));
    c.push(case(
        "outline-latin1",
        OutlineText,
        b"Hostile Outline\n\n1. Jos\xe9\n".to_vec(),
        Refuse,
    ));
    c.push(case("outline-empty", OutlineText, "", Refuse));
    c.push(case(
        "outline-roman-deep",
        OutlineText,
        numbered_outline(1).repeat(3_000),
        Either,
    ));
    let mut rng = Rng::new(7);
    c.push(case(
        "outline-random-bytes",
        OutlineText,
        (0..1 << 20).map(|_| rng.next() as u8).collect::<Vec<u8>>(),
        Refuse,
    ));

    // Outline HTML: nested sections, lists, divs; many attributes.
    for depth in [12, 63, 2_000, 100_000] {
        let must = Either;
        c.push(case(
            &format!("html-sections-{depth}"),
            OutlineHtml,
            nested_html(depth, "section"),
            must,
        ));
        c.push(case(
            &format!("html-lists-{depth}"),
            OutlineHtml,
            nested_html(depth, "ul"),
            must,
        ));
    }
    let mut headings = String::from("<!DOCTYPE html><h1>Hostile Outline</h1>");
    let mut label = String::new();
    for i in 0..63 {
        label.push_str("1.");
        headings.push_str(&format!(
            "<h{}>{label} Level {i}</h{}>",
            2 + i % 5,
            2 + i % 5
        ));
    }
    c.push(case("html-numbered-63", OutlineHtml, headings, Refuse));
    c.push(case(
        "html-attributes",
        OutlineHtml,
        format!("<!DOCTYPE html><h1{}>Hostile</h1>", attributes(80_000)),
        Either,
    ));
    c.push(case("html-script", OutlineHtml, "<!DOCTYPE html><h1>Hostile<script>alert(1)</script></h1><h2 onclick=alert(1)>1. A</h2><p><a href=\"javascript:alert(1)\">x</a></p>", Either));

    // Record XML and TEI: nesting, attributes, roots, entities, sizes.
    for (importer, wrap) in [(Records, xml_records as fn(&str) -> String), (Tei, tei)] {
        let tag = if matches!(importer, Records) {
            "rec"
        } else {
            "tei"
        };
        c.push(case(
            &format!("{tag}-deep"),
            importer,
            wrap(&format!(
                "{}{}",
                "<a>".repeat(200_000),
                "</a>".repeat(200_000)
            )),
            Refuse,
        ));
        c.push(case(
            &format!("{tag}-attributes-80k"),
            importer,
            wrap(&format!("<visit{}/>", attributes(80_000))),
            Refuse,
        ));
        c.push(case(
            &format!("{tag}-attributes-200k"),
            importer,
            wrap(&format!("<visit{}/>", attributes(200_000))),
            Refuse,
        ));
        c.push(case(
            &format!("{tag}-duplicate-attributes"),
            importer,
            wrap(&format!("<visit{}/>", " a=\"1\"".repeat(50_000))),
            Refuse,
        ));
        c.push(case(
            &format!("{tag}-two-roots"),
            importer,
            format!("{}<visits/>\n", wrap(visit)),
            Refuse,
        ));
        c.push(case(
            &format!("{tag}-unclosed"),
            importer,
            wrap(&"<visit>".repeat(1_000)),
            Refuse,
        ));
        c.push(case(
            &format!("{tag}-mismatched"),
            importer,
            wrap("<visit><id>1</visitor></id>"),
            Refuse,
        ));
        c.push(case(
            &format!("{tag}-long-name"),
            importer,
            wrap(&format!("<{0}>x</{0}>", "n".repeat(1 << 20))),
            Either,
        ));
        c.push(case(
            &format!("{tag}-pi-flood"),
            importer,
            wrap(&"<?pi data?>".repeat(100_000)),
            Either,
        ));
        c.push(case(
            &format!("{tag}-comment-flood"),
            importer,
            wrap(&"<!-- c -->".repeat(100_000)),
            Either,
        ));
        c.push(case(&format!("{tag}-cdata-script"), importer, wrap("<visit><id>9002</id><visitor><![CDATA[<script>alert(1)</script>]]></visitor></visit>"), Either));
        c.push(case(
            &format!("{tag}-text-16m"),
            importer,
            wrap(&format!(
                "<visit><id>1</id><description>{}</description></visit>",
                "x".repeat(16 << 20)
            )),
            Refuse,
        ));
    }
    c.push(case("rec-lolz", Records, lolz(10, "visits"), Refuse));
    c.push(case("tei-lolz", Tei, lolz(10, "TEI"), Refuse));
    c.push(case("rec-xxe", Records, "<?xml version=\"1.0\"?>\n<!DOCTYPE visits [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<visits><visit><id>&x;</id></visit></visits>", Refuse));
    c.push(case("rec-xxe-param", Records, "<?xml version=\"1.0\"?>\n<!DOCTYPE visits [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/x\"> %p;]>\n<visits/>", Refuse));
    c.push(case("rec-xinclude", Records, xml_records("<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"/etc/passwd\" parse=\"text\"/>"), Refuse));
    c.push(case(
        "rec-utf16",
        Records,
        b"\xff\xfe<\0v\0/\0>\0".to_vec(),
        Refuse,
    ));
    c.push(case("rec-many-records", Records, xml_records(&(0..5_000).map(|i| format!("<visit><id>h{i}</id><start-date>1991-01-01</start-date><visitor>V {i}</visitor><from id=\"x\">X</from></visit>")).collect::<String>()), Either));

    // CSV.
    let header = "id,start-date,end-date,visitor,from-id,from,description\n";
    c.push(case(
        "csv-wide-header",
        Csv,
        format!(
            "{}\n",
            (0..100_000)
                .map(|i| format!("c{i}"))
                .collect::<Vec<_>>()
                .join(",")
        ),
        Refuse,
    ));
    c.push(case(
        "csv-huge-field",
        Csv,
        format!("{header}1,1991-01-01,,V,x,X,{}\n", "x".repeat(16 << 20)),
        Refuse,
    ));
    c.push(case(
        "csv-open-quote",
        Csv,
        format!(
            "{header}1,1991-01-01,,\"V,x,X,d\n{}",
            "a,b\n".repeat(100_000)
        ),
        Either,
    ));
    c.push(case(
        "csv-nul",
        Csv,
        format!("{header}1,1991-01-01,,V\0,x,X,d\n"),
        Refuse,
    ));
    c.push(case(
        "csv-ragged",
        Csv,
        format!("{header}{}", "1,2\n".repeat(10_000)),
        Refuse,
    ));
    c.push(case("csv-no-header", Csv, "", Refuse));

    // Markdown front matter: YAML and TOML nesting, aliases, sizes.
    let yaml = |front: &str| format!("---\n{front}\n---\nBody.\n");
    let toml = |front: &str| format!("+++\n{front}\n+++\nBody.\n");
    for n in [64, 1_000, 65_536] {
        c.push(case(
            &format!("md-yaml-brackets-{n}"),
            Markdown,
            yaml(&format!("title: {}", "[".repeat(n))),
            Refuse,
        ));
        c.push(case(
            &format!("md-yaml-braces-{n}"),
            Markdown,
            yaml(&format!("title: {}", "{a: ".repeat(n))),
            Refuse,
        ));
        c.push(case(
            &format!("md-toml-arrays-{n}"),
            Markdown,
            toml(&format!("title = {}", "[".repeat(n))),
            Refuse,
        ));
        c.push(case(
            &format!("md-toml-tables-{n}"),
            Markdown,
            toml(&format!("title = {}", "{a = ".repeat(n))),
            Refuse,
        ));
    }
    let indented: String = (0..5_000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    c.push(case("md-yaml-indent", Markdown, yaml(&indented), Refuse));
    c.push(case(
        "md-toml-dotted",
        Markdown,
        toml(&format!("[{}]\nx = 1", vec!["a"; 10_000].join("."))),
        Refuse,
    ));
    let mut aliases = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..9 {
        aliases.push_str(&format!(
            "{}: &{} [*{},*{},*{},*{},*{},*{},*{},*{},*{}]\n",
            (b'a' + i) as char,
            (b'a' + i) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char,
            (b'a' + i - 1) as char
        ));
    }
    c.push(case(
        "md-yaml-billion-laughs",
        Markdown,
        yaml(&aliases),
        Refuse,
    ));
    c.push(case(
        "md-yaml-tags",
        Markdown,
        yaml("title: !!python/object/apply:os.system [\"id\"]"),
        Refuse,
    ));
    c.push(case(
        "md-no-closing-fence",
        Markdown,
        format!("---\ntitle: x\n{}", "y: z\n".repeat(100_000)),
        Refuse,
    ));
    c.push(case(
        "md-over-size",
        Markdown,
        format!("+++\ntitle = \"x\"\n+++\n{}", "word ".repeat(4 << 20)),
        Refuse,
    ));
    c.push(case(
        "md-unknown-type",
        Markdown,
        toml("type = \"../../etc/passwd\"\ntitle = \"x\""),
        Refuse,
    ));
    c.push(case(
        "md-slug-traversal",
        Markdown,
        toml("slug = \"../../../etc/passwd\"\ntitle = \"x\""),
        Refuse,
    ));
    c.push(case(
        "md-many-fields",
        Markdown,
        toml(
            &(0..50_000)
                .map(|i| format!("f{i} = {i}\n"))
                .collect::<String>(),
        ),
        Refuse,
    ));
    c.push(case(
        "md-huge-list",
        Markdown,
        toml(&format!(
            "title = \"x\"\naliases = [{}]",
            vec!["\"a\""; 200_000].join(",")
        )),
        Either,
    ));

    // Mapping files.
    let visits_mapping = std::fs::read_to_string("mappings/visits.toml").unwrap();
    c.push(case(
        "map-empty-element",
        Mapping,
        visits_mapping.replace("element = \"visit\"", "element = \"\""),
        Refuse,
    ));
    c.push(case(
        "map-blank-element",
        Mapping,
        visits_mapping.replace("element = \"visit\"", "element = \"   \""),
        Refuse,
    ));
    c.push(case(
        "map-deep-arrays",
        Mapping,
        format!("x = {}", "[".repeat(65_536)),
        Refuse,
    ));
    c.push(case(
        "map-deep-tables",
        Mapping,
        format!("x = {}", "{a = ".repeat(65_536)),
        Refuse,
    ));
    c.push(case(
        "map-over-size",
        Mapping,
        format!("# {}\n{visits_mapping}", "x".repeat(4 << 20)),
        Refuse,
    ));
    c.push(case(
        "map-path-bomb",
        Mapping,
        visits_mapping.replace(
            "path = \"description\"",
            &format!("path = \"{}description\"", "a/".repeat(100_000)),
        ),
        Either,
    ));
    c.push(case(
        "map-template-bomb",
        Mapping,
        visits_mapping.replace("Visit of {visitor} ({from})", &"{visitor}".repeat(100_000)),
        Either,
    ));
    c.push(case(
        "map-slug-traversal",
        Mapping,
        visits_mapping.replace("slug = \"visit-{id}\"", "slug = \"../../{id}\""),
        Either,
    ));
    c.push(case(
        "map-garbage",
        Mapping,
        (0..1 << 16)
            .map(|i| (i * 7 % 251) as u8)
            .collect::<Vec<u8>>(),
        Refuse,
    ));

    // Curated data.
    c.push(case(
        "curated-deep-arrays",
        Curated,
        format!("x = {}", "[".repeat(65_536)),
        Refuse,
    ));
    c.push(case(
        "curated-over-size",
        Curated,
        format!("# {}\n", "x".repeat(20 << 20)),
        Refuse,
    ));
    c.push(case(
        "curated-unknown",
        Curated,
        "[[nonsense]]\nx = 1\n",
        Refuse,
    ));
    c
}

#[test]
fn hostile_files_are_refused_or_accepted_safely_and_never_brick_the_archive() {
    let archive = Archive::seeded();
    let mut tally = Tally::new("imports (every importer)");
    let mut wrong = Vec::new();
    for case in cases() {
        let file = archive.file(
            &format!("{}.{}", case.name, case.importer.extension()),
            &case.bytes,
        );
        let f = file.to_str().unwrap();
        let args = case.importer.args(f);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let outcome = archive.attempt(&args, &file);
        if case.must == Must::Refuse && !outcome.refused() {
            wrong.push(format!(
                "{} was accepted: {}",
                case.name,
                short(outcome.message())
            ));
        }
        if !outcome.refused() {
            // What was written must read back: the archive searches and re-imports.
            let r = archive.run(&["search", "--json", "nato"]);
            assert!(
                r.ok(),
                "after accepting {}, search fails: {}",
                case.name,
                short(&r.stderr)
            );
        }
        tally.count(outcome.refused());
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The archive is whole: a full reindex from the store, then a search.
    let r = archive.run(&["reindex"]);
    assert!(
        r.ok(),
        "reindex fails after the hostile imports: {}",
        short(&r.stderr)
    );
    let r = archive.run(&["search", "--json", "founding act"]);
    assert!(
        r.ok() && r.stdout.contains("founding-act"),
        "{}",
        short(&r.stderr)
    );
}

/// Reads that never end: a device as the input grows without limit unless it is bounded.
#[cfg(target_os = "linux")]
#[test]
fn endless_inputs_are_refused_with_their_limit() {
    let archive = Archive::seeded();
    let mut tally = Tally::new("imports (endless inputs)");
    for device in ["/dev/zero", "/dev/urandom"] {
        for args in [
            vec![
                "import",
                "records",
                "--mapping",
                device,
                "tests/fixtures/visits-excerpt.xml",
            ],
            vec!["import", "outline", device, "--slug", "endless"],
            vec![
                "import",
                "outline",
                "data/nato-russia.seed.txt",
                "--curated",
                device,
            ],
            vec!["import", "markdown", device],
            vec![
                "import",
                "records",
                "--mapping",
                "mappings/visits.toml",
                device,
            ],
            vec![
                "import",
                "tei",
                device,
                "--dossier",
                "nato-russia",
                "--kind",
                "research-study",
            ],
            vec![
                "import",
                "csv",
                "--mapping",
                "mappings/visits-csv.toml",
                device,
            ],
        ] {
            let o = archive.attempt(&args, std::path::Path::new(device));
            assert!(o.refused(), "{args:?} was accepted");
            tally.count(true);
        }
    }
}
