//! Pictures of a dossier and of a body, drawn on the server as SVG (no script): a
//! timeline (documents and events on a time axis, bodies as bars over their lifetimes,
//! successions as arrows, unknown ends drawn as gaps) and a graph of the bodies'
//! successions and parts ([`relations`]).
//!
//! One struct, [`Timeline`], holds what is drawn; it is also the JSON and the template
//! context of the timeline page, whose tables carry the same data for a reader who does
//! not see the picture. [`svg`] draws it; every text goes through quick-xml's escaping.

pub mod relations;
pub mod svg;

use crate::views::{url_of, DateView};
use crate::PublishError;
use dossier_model::{Body, Bound, DocumentKind, Edtf, EventKind, PartialDate, RecordType};
use dossier_store::{DocumentQuery, EventQuery, RecordCard, Store};
use relations::Relations;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

type Result<T> = std::result::Result<T, PublishError>;

/// The most bodies a timeline draws as bars; the rest are named in its description and
/// listed by the dossier's page. A dossier an import linked to thousands of bodies still
/// draws in bounded time and size.
pub const MAX_BARS: usize = 60;
/// The most documents (and, apart, events) drawn one mark each; past it a row shows how
/// many fall in each year instead, and so does the table.
pub const MAX_MARKS: usize = 300;
/// How many predecessors and successors away from a body its timeline follows.
pub const BODY_REACH: usize = 4;

/// The record a picture is of.
#[derive(Debug, Clone, Serialize)]
pub struct Subject {
    #[serde(rename = "type")]
    pub record: RecordType,
    pub slug: String,
    /// The dossier's title or the body's name.
    pub title: String,
    pub url: String,
}

/// A timeline: what its SVG draws, and what the page's tables list.
#[derive(Debug, Serialize)]
pub struct Timeline {
    pub subject: Subject,
    /// The picture's title (`Timeline of …`).
    pub title: String,
    /// The picture's description in words: what it shows and what it leaves out.
    pub description: String,
    /// The years on the axis (`None` when nothing is dated).
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
    /// Where the pictures are: the timeline and the relations graph.
    pub svg_url: String,
    pub relations_svg_url: String,
    /// The relations graph's title.
    pub relations_title: String,
    /// Bodies drawn as bars, in the order drawn (a succession's bodies together).
    pub bodies: Vec<BodyBar>,
    /// Bodies not drawn (past [`MAX_BARS`]).
    pub bodies_left_out: usize,
    /// Successions between the bodies drawn, as arrows.
    pub successions: Vec<Succession>,
    /// Dated documents, one mark each, in date order (empty when `document_years` is used).
    pub documents: Vec<Mark>,
    /// Past [`MAX_MARKS`]: how many dated documents fall in each year.
    pub document_years: Vec<YearCount>,
    /// Dated events, as `documents`.
    pub events: Vec<Mark>,
    pub event_years: Vec<YearCount>,
    /// How many documents and events have no date: not on the axis, a gap.
    pub undated_documents: usize,
    pub undated_events: usize,
    /// The graph of the bodies' successions and parts.
    pub relations: Relations,
}

/// A body as a bar over its lifetime.
#[derive(Debug, Clone, Serialize)]
pub struct BodyBar {
    pub slug: String,
    pub name: String,
    /// The short name drawn beside the bar (an acronym, else the name).
    pub label: String,
    pub url: String,
    pub established: Option<DateView>,
    pub ended: Option<DateView>,
    /// The lifetime in words, gaps included ("May 1997 – no end recorded").
    pub span_human: String,
    #[serde(skip)]
    life: Life,
}

/// A succession: `from` was succeeded by `to`.
#[derive(Debug, Clone, Serialize)]
pub struct Succession {
    pub from: String,
    pub from_name: String,
    pub to: String,
    pub to_name: String,
    /// When; `None` is a gap (the arrow is then not drawn, the table says so).
    pub date: Option<DateView>,
    #[serde(skip)]
    at: Option<f64>,
}

/// A document or event on the axis.
#[derive(Debug, Clone, Serialize)]
pub struct Mark {
    #[serde(rename = "type")]
    pub record: RecordType,
    pub slug: String,
    pub title: String,
    pub url: String,
    pub kind_label: String,
    pub date: DateView,
    #[serde(skip)]
    span: (f64, f64),
}

/// How many records fall in one year (a dense row).
#[derive(Debug, Clone, Serialize)]
pub struct YearCount {
    pub year: i32,
    pub count: usize,
}

/// A lifetime on the axis, in fractional years: each end known as a range (its date's
/// precision), or not at all.
#[derive(Debug, Clone, Copy, Default)]
struct Life {
    start: Option<(f64, f64)>,
    end: Option<(f64, f64)>,
}

/// A day given as `YYYYMMDD` as a fractional year (months as twelfths, days within).
fn year_of(ymd: i64) -> f64 {
    let (y, m, d) = (ymd / 10_000, (ymd / 100) % 100, ymd % 100);
    y as f64 + (m - 1) as f64 / 12.0 + (d - 1) as f64 / (12.0 * 31.0)
}

/// The first and the end of the last day a partial date can mean.
fn range_of_date(d: &PartialDate) -> (f64, f64) {
    (year_of(d.earliest()), year_of(d.latest()) + 1.0 / 372.0)
}

/// The first and last moment a date can mean, on the axis; an interval with one end
/// unknown or open counts as its known end.
fn range_of(e: &Edtf) -> Option<(f64, f64)> {
    match e {
        Edtf::Date(d) => Some(range_of_date(d)),
        Edtf::Interval(a, b) => {
            let known = |b: &Bound| match b {
                Bound::Date(d) => Some(range_of_date(d)),
                _ => None,
            };
            match (known(a), known(b)) {
                (Some(a), Some(b)) => Some((a.0, b.1)),
                (Some(x), None) | (None, Some(x)) => Some(x),
                (None, None) => None,
            }
        }
    }
}

fn date_view(e: &Edtf) -> DateView {
    DateView {
        edtf: e.to_string(),
        human: e.human(),
    }
}

impl Life {
    fn of(b: &Body) -> Life {
        Life {
            start: b.established.as_ref().and_then(range_of),
            end: b.ended.as_ref().and_then(range_of),
        }
    }
    fn known(&self) -> bool {
        self.start.is_some() || self.end.is_some()
    }
    /// Where the life starts, for ordering (unknown last).
    fn sort_key(&self) -> f64 {
        self.start.or(self.end).map(|r| r.0).unwrap_or(f64::MAX)
    }
}

fn span_human(b: &Body) -> String {
    let start = b
        .established
        .map(|d| d.human())
        .unwrap_or_else(|| "start not recorded".into());
    let end = b
        .ended
        .map(|d| d.human())
        .unwrap_or_else(|| "no end recorded".into());
    format!("{start} – {end}")
}

fn bar(b: &Body) -> BodyBar {
    BodyBar {
        slug: b.slug.clone(),
        name: b.name.clone(),
        label: b
            .acronyms
            .first()
            .cloned()
            .unwrap_or_else(|| b.name.clone()),
        url: url_of(RecordType::Body, &b.slug),
        established: b.established.as_ref().map(date_view),
        ended: b.ended.as_ref().map(date_view),
        span_human: span_human(b),
        life: Life::of(b),
    }
}

fn kind_label(c: &RecordCard) -> String {
    match c.record {
        RecordType::Document => DocumentKind::from_slug(&c.kind).map(|k| k.label()),
        RecordType::Event => EventKind::from_slug(&c.kind).map(|k| k.label()),
        _ => None,
    }
    .map(str::to_string)
    .unwrap_or_else(|| c.kind.clone())
}

/// The dated records among `cards` as marks in date order, or (past [`MAX_MARKS`]) as
/// counts per year; and how many have no date.
fn marks(cards: &[(RecordType, String, String, String, Option<String>)]) -> MarkRows {
    let mut dated = Vec::new();
    let mut undated = 0;
    for (record, slug, title, kind, date) in cards {
        let parsed = date.as_deref().and_then(|d| Edtf::parse(d).ok());
        match parsed.and_then(|e| range_of(&e).map(|r| (e, r))) {
            Some((e, span)) => dated.push(Mark {
                record: *record,
                url: url_of(*record, slug),
                slug: slug.clone(),
                title: title.clone(),
                kind_label: kind.clone(),
                date: date_view(&e),
                span,
            }),
            None => undated += 1,
        }
    }
    dated.sort_by(|a, b| {
        a.span
            .0
            .total_cmp(&b.span.0)
            .then_with(|| a.title.cmp(&b.title))
    });
    if dated.len() <= MAX_MARKS {
        return MarkRows {
            marks: dated,
            years: Vec::new(),
            undated,
            span: None,
        };
    }
    let span = Some((
        dated[0].span.0,
        dated.iter().map(|m| m.span.1).fold(f64::MIN, f64::max),
    ));
    let mut years: BTreeMap<i32, usize> = BTreeMap::new();
    for m in &dated {
        *years.entry(m.span.0.floor() as i32).or_default() += 1;
    }
    MarkRows {
        marks: Vec::new(),
        years: years
            .into_iter()
            .map(|(year, count)| YearCount { year, count })
            .collect(),
        undated,
        span,
    }
}

struct MarkRows {
    marks: Vec<Mark>,
    years: Vec<YearCount>,
    undated: usize,
    /// The rows' extent when counted per year (the marks are gone).
    span: Option<(f64, f64)>,
}

impl MarkRows {
    fn extent(&self) -> Option<(f64, f64)> {
        self.span.or_else(|| {
            let lo = self.marks.iter().map(|m| m.span.0).reduce(f64::min)?;
            let hi = self.marks.iter().map(|m| m.span.1).reduce(f64::max)?;
            Some((lo, hi))
        })
    }
}

fn card_row(c: &RecordCard) -> (RecordType, String, String, String, Option<String>) {
    (
        c.record,
        c.slug.clone(),
        c.title.clone(),
        kind_label(c),
        c.date.clone(),
    )
}

/// The successions among `bodies`, each once, whichever side records it; the date the
/// link gives, else the successor's start or the predecessor's end.
fn successions(bodies: &[Body]) -> Vec<Succession> {
    let by_slug: HashMap<&str, &Body> = bodies.iter().map(|b| (b.slug.as_str(), b)).collect();
    let mut seen: BTreeMap<(String, String), Option<Edtf>> = BTreeMap::new();
    for b in bodies {
        for l in &b.successors {
            if by_slug.contains_key(l.slug.as_str()) {
                let slot = seen.entry((b.slug.clone(), l.slug.clone())).or_default();
                *slot = slot.or(l.date);
            }
        }
        for l in &b.predecessors {
            if by_slug.contains_key(l.slug.as_str()) {
                let slot = seen.entry((l.slug.clone(), b.slug.clone())).or_default();
                *slot = slot.or(l.date);
            }
        }
    }
    let mut out: Vec<Succession> = seen
        .into_iter()
        .filter(|((from, to), _)| from != to)
        .map(|((from, to), date)| {
            let (f, t) = (by_slug[from.as_str()], by_slug[to.as_str()]);
            let date = date.or(t.established).or(f.ended);
            Succession {
                at: date.as_ref().and_then(range_of).map(|r| r.0),
                date: date.as_ref().map(date_view),
                from_name: f.name.clone(),
                to_name: t.name.clone(),
                from,
                to,
            }
        })
        .collect();
    // In date order (undated last), as the description and the table read them.
    out.sort_by(|a, b| {
        a.at.unwrap_or(f64::MAX)
            .total_cmp(&b.at.unwrap_or(f64::MAX))
            .then_with(|| a.from_name.cmp(&b.from_name))
    });
    out
}

/// The bodies in drawing order: each chain of successions together, in order of
/// succession, chains by their first start; bodies with no date at all last.
fn order_bodies(bodies: Vec<Body>, successions: &[Succession]) -> Vec<Body> {
    let index: HashMap<String, usize> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| (b.slug.clone(), i))
        .collect();
    // Union-find over successions: a chain is one group.
    let mut parent: Vec<usize> = (0..bodies.len()).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for s in successions {
        let (a, b) = (index[&s.from], index[&s.to]);
        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
        if ra != rb {
            parent[ra] = rb;
        }
    }
    let lives: Vec<Life> = bodies.iter().map(Life::of).collect();
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..bodies.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
    for g in &mut groups {
        g.sort_by(|&a, &b| {
            lives[a]
                .sort_key()
                .total_cmp(&lives[b].sort_key())
                .then_with(|| bodies[a].name.cmp(&bodies[b].name))
        });
    }
    let first = |g: &Vec<usize>| lives[g[0]].sort_key();
    groups.sort_by(|a, b| {
        first(a)
            .total_cmp(&first(b))
            .then_with(|| bodies[a[0]].name.cmp(&bodies[b[0]].name))
    });
    let order: Vec<usize> = groups.into_iter().flatten().collect();
    let mut slots: Vec<Option<Body>> = bodies.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Puts the parts together: the axis from what is drawn, the description in words.
fn assemble(
    subject: Subject,
    bodies: Vec<Body>,
    docs: MarkRows,
    events: MarkRows,
    relations: Relations,
) -> Timeline {
    let successions_all = successions(&bodies);
    let mut bodies = order_bodies(bodies, &successions_all);
    let bodies_left_out = bodies.len().saturating_sub(MAX_BARS);
    bodies.truncate(MAX_BARS);
    let drawn: BTreeSet<&str> = bodies.iter().map(|b| b.slug.as_str()).collect();
    let successions: Vec<Succession> = successions_all
        .into_iter()
        .filter(|s| drawn.contains(s.from.as_str()) && drawn.contains(s.to.as_str()))
        .collect();
    let bars: Vec<BodyBar> = bodies.iter().map(bar).collect();
    let (from_year, to_year) = axis_years(&bars, &successions, &docs, &events);
    let title = match subject.record {
        RecordType::Dossier => format!("Timeline of the dossier {}", subject.title),
        _ => format!("Timeline of {}", subject.title),
    };
    let base = subject.url.clone();
    let mut t = Timeline {
        description: String::new(),
        title,
        from_year,
        to_year,
        svg_url: format!("{base}/timeline.svg"),
        relations_svg_url: format!("{base}/relations.svg"),
        relations_title: relations_title(&subject.title, subject.record == RecordType::Dossier),
        bodies: bars,
        bodies_left_out,
        successions,
        documents: docs.marks,
        document_years: docs.years,
        events: events.marks,
        event_years: events.years,
        undated_documents: docs.undated,
        undated_events: events.undated,
        relations,
        subject,
    };
    t.description = describe(&t);
    t
}

/// The years the axis runs over: the documents, events and successions, widened to the
/// bodies' dates that lie within [`AXIS_REACH`] years of them (a body founded long
/// before is drawn from the axis's start, with its date written beside it).
fn axis_years(
    bars: &[BodyBar],
    successions: &[Succession],
    docs: &MarkRows,
    events: &MarkRows,
) -> (Option<i32>, Option<i32>) {
    let mut content: Vec<f64> = Vec::new();
    for r in [docs.extent(), events.extent()].into_iter().flatten() {
        content.extend([r.0, r.1]);
    }
    content.extend(successions.iter().filter_map(|s| s.at));
    let life_points = bars.iter().flat_map(|b| {
        [b.life.start, b.life.end]
            .into_iter()
            .flatten()
            .flat_map(|r| [r.0, r.1])
    });
    let (lo, hi) = if content.is_empty() {
        let all: Vec<f64> = life_points.collect();
        match (
            all.iter().copied().reduce(f64::min),
            all.iter().copied().reduce(f64::max),
        ) {
            (Some(lo), Some(hi)) => (lo, hi),
            _ => return (None, None),
        }
    } else {
        let mut lo = content.iter().copied().fold(f64::MAX, f64::min);
        let mut hi = content.iter().copied().fold(f64::MIN, f64::max);
        let (clo, chi) = (lo, hi);
        for p in life_points {
            if p >= clo - AXIS_REACH && p <= chi + AXIS_REACH {
                lo = lo.min(p);
                hi = hi.max(p);
            }
        }
        (lo, hi)
    };
    // Whole years, and one more at the end so that a bar with no end shows as running on.
    (Some(lo.floor() as i32), Some(hi.floor() as i32 + 1))
}

/// How many years beyond the documents and events the axis stretches to take in a
/// body's start or end.
pub const AXIS_REACH: f64 = 10.0;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn describe(t: &Timeline) -> String {
    let mut parts = Vec::new();
    let years = match (t.from_year, t.to_year) {
        (Some(a), Some(b)) => format!("from {a} to {b}"),
        _ => "with no dated record".into(),
    };
    let docs = t.documents.len() + t.document_years.iter().map(|y| y.count).sum::<usize>();
    let events = t.events.len() + t.event_years.iter().map(|y| y.count).sum::<usize>();
    parts.push(format!(
        "A time axis {years}: {} and {} as marks, {} as bars over their lifetimes, {} as arrows.",
        plural(docs, "dated document", "dated documents"),
        plural(events, "dated event", "dated events"),
        plural(t.bodies.len(), "body", "bodies"),
        plural(t.successions.len(), "succession", "successions"),
    ));
    let chains: Vec<String> = t
        .successions
        .iter()
        .map(|s| {
            format!(
                "{} → {}{}",
                s.from_name,
                s.to_name,
                s.date
                    .as_ref()
                    .map(|d| format!(" ({})", d.human))
                    .unwrap_or_else(|| " (date not recorded)".into())
            )
        })
        .collect();
    if !chains.is_empty() {
        parts.push(format!("Successions: {}.", chains.join("; ")));
    }
    let undated_bodies = t.bodies.iter().filter(|b| !b.life.known()).count();
    let mut gaps = Vec::new();
    if undated_bodies > 0 {
        gaps.push(plural(
            undated_bodies,
            "body with no recorded dates",
            "bodies with no recorded dates",
        ));
    }
    if t.undated_documents > 0 {
        gaps.push(plural(
            t.undated_documents,
            "undated document",
            "undated documents",
        ));
    }
    if t.undated_events > 0 {
        gaps.push(plural(t.undated_events, "undated event", "undated events"));
    }
    if !gaps.is_empty() {
        parts.push(format!(
            "Not placed on the axis (gaps): {}.",
            gaps.join(", ")
        ));
    }
    if t.bodies_left_out > 0 {
        parts.push(format!(
            "{} not drawn (the picture draws at most {MAX_BARS}).",
            plural(t.bodies_left_out, "more body is", "more bodies are")
        ));
    }
    if !t.document_years.is_empty() || !t.event_years.is_empty() {
        parts.push(format!(
            "Rows of more than {MAX_MARKS} records show how many fall in each year."
        ));
    }
    parts.join(" ")
}

/// A dossier's timeline: its bodies, documents and events; `None` if there is no such
/// dossier. A bounded number of store reads: the dossier, its bodies, the cards of its
/// documents and of its events, and the bodies its bodies' successions name.
pub fn dossier_timeline(store: &dyn Store, slug: &str) -> Result<Option<Timeline>> {
    let Some(d) = store.dossier(slug)? else {
        return Ok(None);
    };
    let bodies = store.bodies(Some(slug))?;
    let docs = store.document_cards(&DocumentQuery {
        dossier: Some(slug.into()),
        ..Default::default()
    })?;
    let events = store.event_cards(&EventQuery {
        dossier: Some(slug.into()),
        ..Default::default()
    })?;
    let relations = Relations::of_bodies(store, &bodies, None)?;
    let subject = Subject {
        record: RecordType::Dossier,
        url: url_of(RecordType::Dossier, &d.slug),
        slug: d.slug,
        title: d.title,
    };
    Ok(Some(assemble(
        subject,
        bodies,
        marks(&docs.iter().map(card_row).collect::<Vec<_>>()),
        marks(&events.iter().map(card_row).collect::<Vec<_>>()),
        relations,
    )))
}

/// The bodies a body's timeline draws: itself, its predecessors and successors up to
/// [`BODY_REACH`] steps away, the body it is part of and its parts.
fn body_family(store: &dyn Store, b: &Body) -> Result<Vec<Body>> {
    let mut found: Vec<Body> = vec![b.clone()];
    let mut seen: BTreeSet<String> = BTreeSet::from([b.slug.clone()]);
    let mut frontier: Vec<Body> = vec![b.clone()];
    for _ in 0..BODY_REACH {
        let mut next = Vec::new();
        for f in &frontier {
            for l in f.predecessors.iter().chain(&f.successors) {
                if found.len() >= MAX_BARS || !seen.insert(l.slug.clone()) {
                    continue;
                }
                if let Some(o) = store.body(&l.slug)? {
                    next.push(o.clone());
                    found.push(o);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    if let Some(p) = &b.part_of {
        if found.len() < MAX_BARS && seen.insert(p.clone()) {
            if let Some(o) = store.body(p)? {
                found.push(o);
            }
        }
    }
    for l in store.backlinks(RecordType::Body, &b.slug)? {
        if l.record == RecordType::Body
            && l.rel == "part-of"
            && found.len() < MAX_BARS
            && seen.insert(l.slug.clone())
        {
            if let Some(o) = store.body(&l.slug)? {
                found.push(o);
            }
        }
    }
    Ok(found)
}

/// A body's timeline: the body and its family as bars, the events it held and the
/// documents it issued or is party to as marks; `None` if there is no such body.
pub fn body_timeline(store: &dyn Store, slug: &str) -> Result<Option<Timeline>> {
    let Some(b) = store.body(slug)? else {
        return Ok(None);
    };
    let mut docs = Vec::new();
    let mut events = Vec::new();
    let mut seen = BTreeSet::new();
    let back = store.backlinks(RecordType::Body, slug)?;
    let mut want: Vec<(RecordType, &str)> = Vec::new();
    for l in &back {
        let wanted = matches!(
            (l.record, l.rel.as_str()),
            (RecordType::Event, "held-by") | (RecordType::Document, "issued-by" | "party")
        );
        if wanted && seen.insert((l.record, l.slug.clone())) {
            want.push((l.record, l.slug.as_str()));
        }
    }
    // The cards, for the kinds (the backlinks carry titles and dates only).
    for ty in [RecordType::Document, RecordType::Event] {
        let slugs: Vec<&str> = want
            .iter()
            .filter(|(t, _)| *t == ty)
            .map(|(_, s)| *s)
            .collect();
        let rows = store
            .cards(ty, &slugs)?
            .iter()
            .map(card_row)
            .collect::<Vec<_>>();
        match ty {
            RecordType::Document => docs = rows,
            _ => events = rows,
        }
    }
    let family = body_family(store, &b)?;
    let relations = Relations::of_bodies(store, &family, Some(slug))?;
    let subject = Subject {
        record: RecordType::Body,
        url: url_of(RecordType::Body, &b.slug),
        slug: b.slug.clone(),
        title: b.name.clone(),
    };
    Ok(Some(assemble(
        subject,
        family,
        marks(&docs),
        marks(&events),
        relations,
    )))
}

/// What a picture shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    Timeline,
    Relations,
}

/// One of the site's pictures: its path and whose slugs fill it. The server routes each
/// and the static export writes each for every record of its type.
#[derive(Debug)]
pub struct PictureSpec {
    /// The route, in the router's syntax (`{slug}`: the record's slug).
    pub route: &'static str,
    pub record: RecordType,
    /// What the slug names, for messages.
    pub what: &'static str,
    pub picture: Picture,
}

/// The media type of every picture.
pub const SVG_MEDIA_TYPE: &str = "image/svg+xml";

/// Every picture of the site.
pub const PICTURES: &[PictureSpec] = &[
    PictureSpec {
        route: "/dossiers/{slug}/timeline.svg",
        record: RecordType::Dossier,
        what: "dossier",
        picture: Picture::Timeline,
    },
    PictureSpec {
        route: "/dossiers/{slug}/relations.svg",
        record: RecordType::Dossier,
        what: "dossier",
        picture: Picture::Relations,
    },
    PictureSpec {
        route: "/bodies/{slug}/timeline.svg",
        record: RecordType::Body,
        what: "body",
        picture: Picture::Timeline,
    },
    PictureSpec {
        route: "/bodies/{slug}/relations.svg",
        record: RecordType::Body,
        what: "body",
        picture: Picture::Relations,
    },
];

impl PictureSpec {
    /// The site path of the picture for `slug`.
    pub fn path(&self, slug: &str) -> String {
        self.route.replace("{slug}", slug)
    }

    /// The picture for `slug` as an SVG document, its links made by `link`; `None` when
    /// the slug names no record.
    pub fn render(
        &self,
        store: &dyn Store,
        slug: &str,
        link: svg::LinkFn,
    ) -> Result<Option<String>> {
        Ok(match (self.record, self.picture) {
            (RecordType::Dossier, Picture::Timeline) => {
                dossier_timeline(store, slug)?.map(|t| svg::timeline_svg(&t, link))
            }
            // The table names dossiers and bodies only.
            (_, Picture::Timeline) => {
                body_timeline(store, slug)?.map(|t| svg::timeline_svg(&t, link))
            }
            (RecordType::Dossier, Picture::Relations) => match store.dossier(slug)? {
                None => None,
                Some(d) => {
                    let r = Relations::of_bodies(store, &store.bodies(Some(slug))?, None)?;
                    Some(svg::relations_svg(
                        &relations_title(&d.title, true),
                        &r,
                        link,
                    ))
                }
            },
            (_, Picture::Relations) => match store.body(slug)? {
                None => None,
                Some(b) => {
                    let r = Relations::of_bodies(store, &body_family(store, &b)?, Some(slug))?;
                    Some(svg::relations_svg(
                        &relations_title(&b.name, false),
                        &r,
                        link,
                    ))
                }
            },
        })
    }
}

/// The title of a relations graph.
fn relations_title(name: &str, dossier: bool) -> String {
    if dossier {
        format!("Successions and parts of the bodies of the dossier {name}")
    } else {
        format!("Successions and parts around {name}")
    }
}

#[cfg(test)]
mod tests;
