//! The corrections of issue 26 to the built-in dossier (`data/nato-russia.toml`), each
//! asserted on the archive the binary ships, so that none can silently regress. The
//! decisions and their sources are listed in `data/README.md`.

use dossier_model::*;

fn builtin() -> Archive {
    dossier_ingest::builtin::archive().unwrap_or_else(|e| panic!("{e}"))
}

fn document<'a>(a: &'a Archive, slug: &str) -> &'a Document {
    a.documents
        .iter()
        .find(|d| d.slug == slug)
        .unwrap_or_else(|| panic!("document {slug} is missing"))
}

fn body<'a>(a: &'a Archive, slug: &str) -> &'a Body {
    a.bodies
        .iter()
        .find(|b| b.slug == slug)
        .unwrap_or_else(|| panic!("body {slug} is missing"))
}

fn event<'a>(a: &'a Archive, slug: &str) -> &'a Event {
    a.events
        .iter()
        .find(|e| e.slug == slug)
        .unwrap_or_else(|| panic!("event {slug} is missing"))
}

fn topic<'a>(a: &'a Archive, slug: &str) -> &'a Topic {
    a.topics
        .iter()
        .find(|t| t.slug == slug)
        .unwrap_or_else(|| panic!("topic {slug} is missing"))
}

fn date(s: &str) -> Option<Edtf> {
    Some(Edtf::parse(s).unwrap())
}

fn summary(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or_default()
}

/// Whether some source's title contains `words` (and, if given, its address is `url`).
fn has_source(p: &Provenance, words: &str, url: Option<&str>) -> bool {
    p.sources
        .iter()
        .any(|s| s.title.contains(words) && (url.is_none() || s.url.as_deref() == url))
}

fn has_gap(p: &Provenance, words: &[&str]) -> bool {
    p.gaps.iter().any(|g| words.iter().all(|w| g.contains(w)))
}

/// The fields a quote of the seed page is said to support, for the quote that contains `words`.
fn trace_fields<'a>(p: &'a Provenance, words: &str) -> &'a [String] {
    &p.trace
        .iter()
        .find(|t| t.quote.contains(words))
        .unwrap_or_else(|| panic!("no trace quoting {words:?}"))
        .fields
}

/// The day a `YYYYMMDD` date falls on, counted from 1 March of year 0 (proleptic
/// Gregorian), so that two dates subtract to the days between them.
fn day_number(d: Edtf) -> i64 {
    let ymd = d.earliest();
    let (y, m, day) = (ymd / 10_000, ymd / 100 % 100, ymd % 100);
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + day - 1
}

/// Item 1: the PJC was 16+1 until the accession of 12 March 1999, then 19+1.
#[test]
fn pjc_format_is_dated_16_plus_1_then_19_plus_1() {
    let a = builtin();
    let pjc = body(&a, "pjc");
    let format = pjc.format.as_deref().unwrap();
    for words in [
        "16+1",
        "18 July 1997",
        "12 March 1999",
        "19+1",
        "28 May 2002",
    ] {
        assert!(format.contains(words), "{words:?} not in {format:?}");
    }
    assert!(
        format.find("16+1") < format.find("19+1"),
        "16+1 comes first: {format:?}"
    );
    assert!(has_source(
        &pjc.provenance,
        "NATO's Newest Members",
        Some("https://clintonwhitehouse6.archives.gov/1999/04/1999-04-23-fact-sheet-on-natos-newest-members.html")
    ));
    assert!(has_source(&pjc.provenance, "'19+1' format", None));
    assert!(has_gap(
        &pjc.provenance,
        &["no dated form", "12 March 1999"]
    ));
}

/// Item 2: NATO dates the EADRCC to June 1998 (the seed: May); it is an EAPC body.
#[test]
fn eadrcc_is_an_eapc_body_of_june_1998_and_the_seed_keeps_its_words() {
    let a = builtin();
    let centre = body(&a, "eadrcc");
    assert_eq!(centre.established, date("1998-06"));
    assert_eq!(centre.part_of.as_deref(), Some("eapc"));
    assert!(summary(&centre.summary).contains("not a NATO-Russia body"));
    assert!(summary(&centre.summary).contains("Russian proposal"));
    assert!(summary(&centre.summary).contains("\"established in May 1998\""));
    // The seed's words stay the seed's, and no longer vouch for the date.
    let fields = trace_fields(&centre.provenance, "were established in May 1998.");
    assert!(!fields.iter().any(|f| f == "established"), "{fields:?}");
    assert!(has_source(
        &centre.provenance,
        "Euro-Atlantic Disaster Response Coordination Centre (EADRCC)\", NATO topic page",
        None
    ));
    assert!(has_gap(&centre.provenance, &["May 1998", "June 1998"]));

    let unit = body(&a, "eadru");
    assert_eq!(unit.part_of.as_deref(), Some("eapc"));
    assert!(has_gap(&unit.provenance, &["May 1998", "June 1998"]));

    let cep = topic(&a, "civil-emergency-planning");
    assert_eq!(cep.as_of, date("1998-06"));
    assert!(has_gap(&cep.provenance, &["May 1998", "June 1998"]));
}

/// Item 3: the Charter came about six weeks after the Founding Act, not "a few months".
#[test]
fn ukraine_charter_is_six_weeks_after_the_founding_act() {
    let a = builtin();
    let act = document(&a, "founding-act-1997");
    let charter = document(&a, "nato-ukraine-charter-1997");
    assert_eq!(act.date, date("1997-05-27"));
    assert_eq!(charter.date, date("1997-07-09"));
    let days = day_number(charter.date.unwrap()) - day_number(act.date.unwrap());
    assert!(
        (35..=49).contains(&days),
        "{days} days is not about six weeks"
    );
    let signing = event(&a, "nato-ukraine-charter-signed-1997");
    for s in [summary(&charter.summary), summary(&signing.summary)] {
        assert!(s.contains("about six weeks"), "{s:?}");
        assert!(
            s.contains("\"a few months later\""),
            "the seed's words, quoted: {s:?}"
        );
    }
    // The seed's vague words no longer vouch for the exact date.
    let fields = trace_fields(&signing.provenance, "A few months later");
    assert!(!fields.iter().any(|f| f == "date"), "{fields:?}");
    assert!(has_gap(&charter.provenance, &["a few months", "six weeks"]));
}

/// Item 4: Dayton provided for IFOR; Russia's part was arranged by Perry and Grachev.
#[test]
fn dayton_says_what_the_sources_say() {
    let a = builtin();
    let dayton = document(&a, "dayton-peace-agreement");
    let s = summary(&dayton.summary);
    assert!(!s.contains("It established the co-operation"), "{s:?}");
    for words in ["Implementation Force (IFOR)", "Perry", "Grachev", "1995"] {
        assert!(s.contains(words), "{words:?} not in {s:?}");
    }
    assert!(has_source(&dayton.provenance, "Annex 1-A", None));
    assert!(has_source(&dayton.provenance, "Perry and Grachev", None));
    assert!(has_gap(
        &dayton.provenance,
        &["established by the Dayton Peace Agreement", "separate"]
    ));
    let peacekeeping = topic(&a, "peacekeeping");
    assert!(summary(&peacekeeping.summary).contains("arranged separately"));
    assert!(summary(&body(&a, "ifor").summary).contains("arranged separately"));
}

/// Item 5: the Kremlin page is about the 2008 concept; the 2000 text is cited as such.
#[test]
fn foreign_policy_concept_sources_say_what_they_are() {
    let a = builtin();
    let concept = document(&a, "russian-foreign-policy-concept-2000");
    assert_eq!(concept.date, date("2000-06-28"));
    let kremlin = concept
        .provenance
        .sources
        .iter()
        .find(|s| s.url.as_deref() == Some("http://en.kremlin.ru/events/president/news/786/print"))
        .expect("the Kremlin page is still cited");
    assert!(kremlin.title.contains("Foreign Policy Concept of 2008"));
    assert!(kremlin.title.contains("not the 2000 text"));
    assert!(!kremlin.fields.iter().any(|f| f == "title"));
    assert!(has_source(
        &concept.provenance,
        "approved by the President of the Russian Federation V. Putin, 28 June 2000",
        Some("https://worldjpn.grips.ac.jp/documents/texts/docs/20000628.O1E.html")
    ));
}

/// Item 6: the NRC's statuses are dated, not a timeless present.
#[test]
fn nrc_statuses_are_dated() {
    let a = builtin();
    let nrc = body(&a, "nrc");
    let s = summary(&nrc.summary);
    assert!(!s.contains("It meets and creates"), "{s:?}");
    for words in [
        "As the page described it in 2002",
        "\"will meet and create sub-bodies",
        "1 April 2014",
        "12 January 2022",
    ] {
        assert!(s.contains(words), "{words:?} not in {s:?}");
    }
    assert!(nrc.format.as_deref().unwrap().contains("2002"));
    assert!(has_source(&nrc.provenance, "1 April 2014", None));
    assert!(has_source(&nrc.provenance, "12 January 2022", None));
    assert!(has_gap(
        &nrc.provenance,
        &["last meeting on 12 January 2022"]
    ));
    // The last meeting is dated as a claim (issue 25), from the press conference of the day.
    assert!(nrc
        .provenance
        .claims
        .iter()
        .any(|c| c.as_of == date("2022-01-12").unwrap()
            && c.statement.as_deref().is_some_and(|st| s.contains(st))));
}

/// Item 7: what the page said in the present tense is said as of 2002.
#[test]
fn present_tense_statements_are_as_of_2002() {
    let a = builtin();
    let act = summary(&document(&a, "founding-act-1997").summary).to_string();
    assert!(act.starts_with("As of 2002"), "{act:?}");
    assert!(act.contains("\"the main forum for NATO-Russia relations\""));
    assert!(!act.contains("main basis"));

    let ipp = summary(&document(&a, "russia-individual-partnership-programme").summary).to_string();
    assert!(ipp.contains("As of 2002"), "{ipp:?}");
    assert!(!ipp.contains("which is discussed"));

    let eapc = summary(&body(&a, "eapc").summary).to_string();
    assert!(eapc.contains("As of 2002"), "{eapc:?}");
    assert!(!eapc.contains("Russia continues to take part"));

    let pfp = summary(&body(&a, "pfp").summary).to_string();
    assert!(pfp.contains("As of 2002"), "{pfp:?}");
    assert!(!pfp.contains("is discussed in"));
}

/// Item 8: Ivanov's item was remarks at a press conference, and the 1999 report's issuer
/// is the Political-Military Steering Committee.
#[test]
fn weak_identifications_are_named_for_what_they_are() {
    let a = builtin();
    let ivanov = document(&a, "igor-ivanov-speech-2002-04-15");
    assert_eq!(ivanov.kind, DocumentKind::Statement);
    assert!(
        !ivanov.kind.is_secondary(),
        "not listed in Selected speeches"
    );
    assert_eq!(ivanov.date, date("2002-04-15"));
    assert_eq!(ivanov.place.as_deref(), Some("Brussels"));
    assert!(ivanov.title.contains("press conference"));
    assert!(ivanov.aliases.iter().any(|x| x == "April 15 speech"));
    assert!(has_gap(
        &ivanov.provenance,
        &["April 15 speech", "press conference"]
    ));
    let speeches = a.dossiers[0]
        .all_sections()
        .into_iter()
        .flat_map(|s| &s.lists)
        .find(|l| l.kinds == ["speech"])
        .expect("the Selected speeches list");
    assert!(!speeches.kinds.contains(&ivanov.kind.slug().to_string()));

    let report = document(&a, "towards-a-partnership-for-the-21st-century");
    assert_eq!(report.issued_by, ["pmsc"]);
    assert_eq!(report.date, date("1999-04-25"));
    assert!(has_source(
        &report.provenance,
        "Report by the Political Military Steering Committee",
        Some("https://www.nato.int/cps/en/natohq/official_texts_27434.htm")
    ));
    assert!(has_gap(
        &report.provenance,
        &["endorsed the report by name"]
    ));
    let pmsc = body(&a, "pmsc");
    assert_eq!(pmsc.kind, BodyKind::Committee);
    assert!(pmsc.name.contains("Political-Military Steering Committee"));
}

/// The science memorandum's day, from the sources; the page gives the month.
#[test]
fn science_memorandum_is_dated_28_may_1998() {
    let a = builtin();
    let mou = document(&a, "mou-scientific-cooperation-1998");
    assert_eq!(mou.date, date("1998-05-28"));
    assert!(has_source(
        &mou.provenance,
        "28 May 1998",
        Some("https://www.nato.int/docu/pr/1998/p980528e.htm")
    ));
    assert!(has_gap(&mou.provenance, &["May 1998", "28 May 1998"]));
}

/// The PJC's first meeting and first ministerial, as events with sources.
#[test]
fn pjc_first_meetings_are_events_with_sources() {
    let a = builtin();
    let first = event(&a, "pjc-first-meeting-1997-07-18");
    assert_eq!(first.date, date("1997-07-18"));
    assert_eq!(first.bodies, ["pjc"]);
    assert_eq!(first.level, Some(Level::Ambassadors));
    assert!(has_source(&first.provenance, "Press Release (97)87", None));

    let ministerial = event(&a, "pjc-first-ministerial-new-york-1997-09-26");
    assert_eq!(ministerial.date, date("1997-09-26"));
    assert_eq!(ministerial.place.as_deref(), Some("New York"));
    assert_eq!(ministerial.level, Some(Level::ForeignMinisters));
    assert!(has_source(
        &ministerial.provenance,
        "Ministerial Level",
        Some("https://www.nato.int/cps/en/natohq/official_texts_25453.htm")
    ));
    for e in [first, ministerial] {
        assert!(
            e.provenance.trace.is_empty(),
            "the page does not state {}",
            e.slug
        );
        assert!(has_gap(&e.provenance, &["added by the archive"]));
    }
}

/// Lists that fill an empty part of the page say, from data (issue 25), that the page
/// listed none and that they may be partial: no caption says it in prose any more.
#[test]
fn generated_lists_say_they_are_added_and_partial() {
    let a = builtin();
    let lists: Vec<&GeneratedList> = a.dossiers[0]
        .all_sections()
        .into_iter()
        .flat_map(|s| &s.lists)
        .collect();
    assert!(lists.len() >= 6, "{}", lists.len());
    for l in lists {
        let caption = l.caption.as_deref().unwrap_or_default();
        assert_eq!(l.page_listed, Some(0), "{caption:?}");
        assert!(!l.complete, "{caption:?}");
        assert!(!caption.contains("partial"), "{caption:?}");
    }
}

/// The page's FAS and NRA links: what is known of them, and no invented address.
#[test]
fn fas_and_nra_references_say_what_is_unknown() {
    let a = builtin();
    let refs: Vec<&Reference> = a.dossiers[0]
        .all_sections()
        .into_iter()
        .filter(|s| s.key == "a-ii-3-1")
        .flat_map(|s| &s.references)
        .collect();
    let external = |words: &str| {
        refs.iter()
            .find(|r| r.text.contains(words))
            .and_then(|r| match &r.target {
                Some(Target::External { title, url }) => Some((title.clone(), url.clone())),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{words:?} is not resolved to an outside site"))
    };
    let (fas, fas_url) = external("FAS website");
    assert!(fas.contains("link target is not known"), "{fas:?}");
    assert_eq!(fas_url.as_deref(), Some("https://fas.org"));
    let (nra, nra_url) = external("NRA website");
    assert!(nra.contains("NATO-Russia Archive"), "{nra:?}");
    assert!(nra.contains("not known"), "{nra:?}");
    assert_eq!(nra_url, None, "no address is invented");
}

/// Every quotation of the seed page is the page's exact words (spacing aside).
#[test]
fn every_trace_quote_is_the_seed_pages_words() {
    let a = builtin();
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let seed = squash(dossier_ingest::builtin::SEED);
    let provenances = a
        .documents
        .iter()
        .map(|d| (&d.slug, &d.provenance))
        .chain(a.bodies.iter().map(|b| (&b.slug, &b.provenance)))
        .chain(a.people.iter().map(|p| (&p.slug, &p.provenance)))
        .chain(a.events.iter().map(|e| (&e.slug, &e.provenance)))
        .chain(a.topics.iter().map(|t| (&t.slug, &t.provenance)));
    for (slug, p) in provenances {
        for t in &p.trace {
            assert!(
                seed.contains(&squash(&t.quote)),
                "{slug}: {:?} is not on the seed page",
                t.quote
            );
        }
    }
}
