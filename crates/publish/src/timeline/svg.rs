//! Draws a [`Timeline`] and its [`Relations`] as SVG documents: presentation attributes
//! only (no style sheet, no script), `role="img"` with a `<title>` and `<desc>` that
//! `aria-labelledby` names, and every text and attribute written through quick-xml's
//! escaping ([`XmlWriter`]). Black on white with dashes and shapes that tell things apart
//! without colour, so that it prints.

use super::relations::{Node, Relations};
use super::{Life, Mark, Timeline, YearCount};
use crate::xml::XmlWriter;

/// Makes a site path (`/events/x`) into the link the picture writes: itself on the
/// server, a relative file link in the static export.
pub type LinkFn<'a> = &'a dyn Fn(&str) -> String;

/// The picture's width (its `viewBox`; it scales to the page).
const WIDTH: f64 = 960.0;
/// Where the axis starts and ends; the names of rows and bars are left of it.
const X0: f64 = 222.0;
const X1: f64 = 940.0;
const ROW: f64 = 42.0;
const LANE: f64 = 24.0;
const BAR: f64 = 12.0;
const FONT: &str = "system-ui, -apple-system, 'Segoe UI', sans-serif";

const INK: &str = "#1f2933";
const MUTED: &str = "#52606d";
const GRID: &str = "#d9dee3";
const SOLID: &str = "#2f5f8f";
const FUZZY: &str = "#a9c1da";
const DOC: &str = "#8a4b08";
const EVENT: &str = "#1e6b35";

/// A number as an attribute value, to one decimal.
fn n(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// At most `max` characters of `s`, with an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The opening of an SVG document: its size, role, title and description.
fn open(w: &mut XmlWriter, width: f64, height: f64, title: &str, desc: &str) {
    let view_box = format!("0 0 {} {}", n(width), n(height));
    w.start(
        "svg",
        &[
            ("xmlns", "http://www.w3.org/2000/svg"),
            ("viewBox", &view_box),
            ("width", &n(width)),
            ("height", &n(height)),
            ("role", "img"),
            ("aria-labelledby", "picture-title picture-desc"),
            ("font-family", FONT),
            ("font-size", "12"),
            ("fill", INK),
        ],
    );
    w.element("title", &[("id", "picture-title")], title);
    w.element("desc", &[("id", "picture-desc")], desc);
    w.empty(
        "rect",
        &[("width", "100%"), ("height", "100%"), ("fill", "#ffffff")],
    );
    w.element(
        "text",
        &[
            ("x", "10"),
            ("y", "22"),
            ("font-size", "15"),
            ("font-weight", "600"),
        ],
        &clip(title, 110),
    );
}

/// `<a href>` around a part of the picture, with its title as the tooltip.
fn link_open(w: &mut XmlWriter, link: LinkFn, url: &str, title: &str) {
    w.start("a", &[("href", &link(url))]);
    w.element("title", &[], title);
}

/// The axis: from `lo` to `hi` (whole years).
struct Axis {
    lo: f64,
    hi: f64,
}

impl Axis {
    fn x(&self, year: f64) -> f64 {
        let t = (year - self.lo) / (self.hi - self.lo).max(1e-9);
        X0 + t.clamp(0.0, 1.0) * (X1 - X0)
    }
    /// A year step that gives at most about twelve labels.
    fn step(&self) -> i32 {
        let span = (self.hi - self.lo).max(1.0);
        [
            1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000,
        ]
        .into_iter()
        .find(|s| span / *s as f64 <= 12.0)
        .unwrap_or(10_000)
    }
    /// Year labels and grid lines from `top` to `bottom`.
    fn draw(&self, w: &mut XmlWriter, top: f64, bottom: f64) {
        let step = self.step();
        let first = (self.lo as i32).div_euclid(step) * step;
        let first = if (first as f64) < self.lo {
            first + step
        } else {
            first
        };
        w.start("g", &[("aria-hidden", "true")]);
        w.empty(
            "line",
            &[
                ("x1", &n(X0)),
                ("x2", &n(X1)),
                ("y1", &n(top)),
                ("y2", &n(top)),
                ("stroke", MUTED),
            ],
        );
        let mut year = first;
        while (year as f64) <= self.hi {
            let x = n(self.x(year as f64));
            w.empty(
                "line",
                &[
                    ("x1", &x),
                    ("x2", &x),
                    ("y1", &n(top)),
                    ("y2", &n(bottom)),
                    ("stroke", GRID),
                ],
            );
            w.element(
                "text",
                &[
                    ("x", &x),
                    ("y", &n(top - 6.0)),
                    ("text-anchor", "middle"),
                    ("fill", MUTED),
                    ("font-size", "11"),
                ],
                &year.to_string(),
            );
            year += step;
        }
        w.end("g");
    }
}

fn rect(w: &mut XmlWriter, x: f64, y: f64, width: f64, height: f64, extra: &[(&str, &str)]) {
    let (x, y, width, height) = (n(x), n(y), n(width.max(0.0)), n(height));
    let mut attrs: Vec<(&str, &str)> =
        vec![("x", &x), ("y", &y), ("width", &width), ("height", &height)];
    attrs.extend_from_slice(extra);
    w.empty("rect", &attrs);
}

/// The name of a row or a bar, left of the axis.
fn row_label(w: &mut XmlWriter, y: f64, text: &str, bold: bool) {
    w.element(
        "text",
        &[
            ("x", &n(X0 - 8.0)),
            ("y", &n(y)),
            ("text-anchor", "end"),
            ("font-weight", if bold { "700" } else { "400" }),
        ],
        &clip(text, 30),
    );
}

/// One row of documents or events: a mark each (three sub-rows, so that records close
/// in time stay apart), or bars of the count per year.
fn mark_row(
    w: &mut XmlWriter,
    axis: &Axis,
    link: LinkFn,
    top: f64,
    (label, marks, years, undated, colour, circle): (
        &str,
        &[Mark],
        &[YearCount],
        usize,
        &str,
        bool,
    ),
) {
    let total = marks.len() + years.iter().map(|y| y.count).sum::<usize>();
    row_label(w, top + 18.0, &format!("{label} ({total})"), false);
    if undated > 0 {
        w.element(
            "text",
            &[
                ("x", &n(X0 - 8.0)),
                ("y", &n(top + 32.0)),
                ("text-anchor", "end"),
                ("fill", MUTED),
                ("font-size", "10"),
                ("font-style", "italic"),
            ],
            &format!("{undated} undated, not drawn"),
        );
    }
    w.start("g", &[("fill", colour)]);
    for (i, m) in marks.iter().enumerate() {
        let y = top + 4.0 + (i % 3) as f64 * 12.0;
        let (x0, x1) = (axis.x(m.span.0), axis.x(m.span.1));
        link_open(
            w,
            link,
            &m.url,
            &format!("{} ({}, {})", m.title, m.kind_label, m.date.human),
        );
        if circle && x1 - x0 < 9.0 {
            let cx = n((x0 + x1) / 2.0);
            w.empty(
                "circle",
                &[
                    ("cx", &cx),
                    ("cy", &n(y + 4.5)),
                    ("r", "4.5"),
                    ("fill-opacity", "0.75"),
                ],
            );
        } else {
            let width = (x1 - x0).max(8.0);
            let x = (x0 + x1) / 2.0 - width / 2.0;
            rect(
                w,
                x,
                y,
                width,
                9.0,
                &[("fill-opacity", if x1 - x0 > 9.0 { "0.35" } else { "0.75" })],
            );
        }
        w.end("a");
    }
    let most = years.iter().map(|y| y.count).max().unwrap_or(1).max(1) as f64;
    for y in years {
        let (x0, x1) = (axis.x(y.year as f64), axis.x(y.year as f64 + 1.0));
        let h = (y.count as f64 / most * 34.0).max(1.0);
        w.start("g", &[]);
        w.element(
            "title",
            &[],
            &format!("{}: {} {}", y.year, y.count, label.to_lowercase()),
        );
        rect(w, x0, top + 38.0 - h, (x1 - x0 - 1.0).max(1.0), h, &[]);
        w.end("g");
    }
    w.end("g");
}

/// A body's bar: solid where it existed for sure, light where its dates are known to the
/// year or month only, a dashed outline where an end is not recorded; nothing but words
/// for a body with no dates.
fn body_bar(w: &mut XmlWriter, axis: &Axis, y: f64, life: &Life) {
    let (top, h) = (y - BAR / 2.0, BAR);
    let dashed = [
        ("fill", "none"),
        ("stroke", SOLID),
        ("stroke-dasharray", "4 3"),
    ];
    match (life.start, life.end) {
        (None, None) => {
            w.element(
                "text",
                &[
                    ("x", &n(X0 + 4.0)),
                    ("y", &n(y + 4.0)),
                    ("fill", MUTED),
                    ("font-style", "italic"),
                    ("font-size", "11"),
                ],
                "dates not recorded",
            );
        }
        (start, end) => {
            let solid_from = match start {
                Some((lo, hi)) => {
                    let (a, b) = (axis.x(lo), axis.x(hi));
                    rect(w, a, top, b - a, h, &[("fill", FUZZY)]);
                    b
                }
                None => X0,
            };
            let solid_to = match end {
                Some((lo, hi)) => {
                    let (a, b) = (axis.x(lo), axis.x(hi));
                    rect(w, a, top, b - a, h, &[("fill", FUZZY)]);
                    a
                }
                None => X1,
            };
            match (start, end) {
                (Some(_), Some(_)) => rect(
                    w,
                    solid_from,
                    top,
                    solid_to - solid_from,
                    h,
                    &[("fill", SOLID)],
                ),
                // Known start, no end recorded: solid for a short way, then a gap.
                (Some(_), None) => {
                    rect(w, solid_from, top, X1 - solid_from, h, &dashed);
                }
                (None, _) => rect(w, X0, top, solid_to - X0, h, &dashed),
            }
        }
    }
}

/// The legend: what each way of drawing means.
fn legend(w: &mut XmlWriter, y: f64) {
    w.start("g", &[("font-size", "11"), ("fill", MUTED)]);
    let mut x = 10.0;
    let mut item =
        |w: &mut XmlWriter, draw: &dyn Fn(&mut XmlWriter, f64), text: &str, width: f64| {
            draw(w, x);
            w.element("text", &[("x", &n(x + 30.0)), ("y", &n(y + 4.0))], text);
            x += width;
        };
    item(
        w,
        &|w, x| rect(w, x, y - 5.0, 24.0, 10.0, &[("fill", SOLID)]),
        "lifetime",
        100.0,
    );
    item(
        w,
        &|w, x| rect(w, x, y - 5.0, 24.0, 10.0, &[("fill", FUZZY)]),
        "date known to the year or month",
        220.0,
    );
    item(
        w,
        &|w, x| {
            rect(
                w,
                x,
                y - 5.0,
                24.0,
                10.0,
                &[
                    ("fill", "none"),
                    ("stroke", SOLID),
                    ("stroke-dasharray", "4 3"),
                ],
            )
        },
        "end (or start) not recorded",
        195.0,
    );
    item(
        w,
        &|w, x| {
            w.empty(
                "line",
                &[
                    ("x1", &n(x)),
                    ("x2", &n(x + 20.0)),
                    ("y1", &n(y)),
                    ("y2", &n(y)),
                    ("stroke", INK),
                    ("stroke-width", "1.5"),
                    ("marker-end", "url(#arrow)"),
                ],
            )
        },
        "succeeded by",
        120.0,
    );
    item(
        w,
        &|w, x| rect(w, x + 8.0, y - 4.5, 9.0, 9.0, &[("fill", DOC)]),
        "document",
        100.0,
    );
    item(
        w,
        &|w, x| {
            w.empty(
                "circle",
                &[
                    ("cx", &n(x + 12.0)),
                    ("cy", &n(y)),
                    ("r", "4.5"),
                    ("fill", EVENT),
                ],
            )
        },
        "event",
        80.0,
    );
    w.end("g");
}

/// The arrowhead every arrow uses.
fn arrow_marker(w: &mut XmlWriter) {
    w.start("defs", &[]);
    w.start(
        "marker",
        &[
            ("id", "arrow"),
            ("viewBox", "0 0 10 10"),
            ("refX", "9"),
            ("refY", "5"),
            ("markerWidth", "7"),
            ("markerHeight", "7"),
            ("orient", "auto-start-reverse"),
        ],
    );
    w.empty("path", &[("d", "M0,0 L10,5 L0,10 z"), ("fill", INK)]);
    w.end("marker");
    w.end("defs");
}

/// The timeline as an SVG document.
pub fn timeline_svg(t: &Timeline, link: LinkFn) -> String {
    let lanes = t.bodies.len() as f64;
    let axis_top = 50.0;
    let rows_top = axis_top + 6.0;
    let lanes_top = rows_top + 2.0 * ROW + 6.0;
    let lanes_bottom = lanes_top + lanes * LANE;
    let height = lanes_bottom + 44.0;
    let mut w = XmlWriter::new();
    open(&mut w, WIDTH, height, &t.title, &t.description);
    arrow_marker(&mut w);
    let (Some(lo), Some(hi)) = (t.from_year, t.to_year) else {
        w.element(
            "text",
            &[("x", "10"), ("y", &n(axis_top)), ("fill", MUTED)],
            "Nothing here is dated yet: there is no time axis to draw.",
        );
        legend(&mut w, height - 18.0);
        w.end("svg");
        return w.finish();
    };
    let axis = Axis {
        lo: lo as f64,
        hi: (hi as f64).max(lo as f64 + 1.0),
    };
    axis.draw(&mut w, axis_top, lanes_bottom);
    mark_row(
        &mut w,
        &axis,
        link,
        rows_top,
        (
            "Documents",
            &t.documents,
            &t.document_years,
            t.undated_documents,
            DOC,
            false,
        ),
    );
    mark_row(
        &mut w,
        &axis,
        link,
        rows_top + ROW,
        (
            "Events",
            &t.events,
            &t.event_years,
            t.undated_events,
            EVENT,
            true,
        ),
    );
    let lane_y = |i: usize| lanes_top + i as f64 * LANE + LANE / 2.0;
    let focus = (t.subject.record == dossier_model::RecordType::Body).then_some(&t.subject.slug);
    for (i, b) in t.bodies.iter().enumerate() {
        let y = lane_y(i);
        // A start before the axis: the bar starts at the axis, the year is written.
        let label = match b.life.start.filter(|s| s.1 < axis.lo) {
            Some((lo, _)) => format!("{} (from {})", clip(&b.label, 18), lo.floor() as i32),
            None => b.label.clone(),
        };
        link_open(
            &mut w,
            link,
            &b.url,
            &format!("{}: {}", b.name, b.span_human),
        );
        row_label(&mut w, y + 4.0, &label, focus == Some(&b.slug));
        body_bar(&mut w, &axis, y, &b.life);
        w.end("a");
    }
    let index: std::collections::HashMap<&str, usize> = t
        .bodies
        .iter()
        .enumerate()
        .map(|(i, b)| (b.slug.as_str(), i))
        .collect();
    w.start("g", &[("stroke", INK), ("stroke-width", "1.5")]);
    for s in &t.successions {
        let (Some(at), Some(&a), Some(&b)) =
            (s.at, index.get(s.from.as_str()), index.get(s.to.as_str()))
        else {
            continue;
        };
        let x = n(axis.x(at));
        let (ya, yb) = (lane_y(a), lane_y(b));
        let (y1, y2) = if yb > ya {
            (ya + BAR / 2.0, yb - BAR / 2.0 - 1.0)
        } else {
            (ya - BAR / 2.0, yb + BAR / 2.0 + 1.0)
        };
        w.start("g", &[]);
        w.element(
            "title",
            &[],
            &format!(
                "{} succeeded by {}{}",
                s.from_name,
                s.to_name,
                s.date
                    .as_ref()
                    .map(|d| format!(", {}", d.human))
                    .unwrap_or_default()
            ),
        );
        w.empty(
            "line",
            &[
                ("x1", &x),
                ("x2", &x),
                ("y1", &n(y1)),
                ("y2", &n(y2)),
                ("marker-end", "url(#arrow)"),
                ("class", "succession"),
            ],
        );
        w.end("g");
    }
    w.end("g");
    if t.bodies_left_out > 0 {
        w.element(
            "text",
            &[("x", "10"), ("y", &n(lanes_bottom + 14.0)), ("fill", MUTED)],
            &format!("… and {} more bodies, not drawn", t.bodies_left_out),
        );
    }
    legend(&mut w, height - 14.0);
    w.end("svg");
    w.finish()
}

const NODE_W: f64 = 214.0;
const NODE_H: f64 = 44.0;
const GAP_X: f64 = 70.0;
const GAP_Y: f64 = 22.0;
const MARGIN: f64 = 40.0;
const GRAPH_TOP: f64 = 40.0;

fn node_xy(node: &Node) -> (f64, f64) {
    (
        MARGIN + node.column as f64 * (NODE_W + GAP_X),
        GRAPH_TOP + node.row as f64 * (NODE_H + GAP_Y),
    )
}

/// The relations graph as an SVG document: a box for each body, an arrow for each
/// succession (dated), a dashed arrow from a part to what it is part of.
pub fn relations_svg(title: &str, r: &Relations, link: LinkFn) -> String {
    let (cols, rows) = r.extent();
    let width = (MARGIN * 2.0 + cols as f64 * (NODE_W + GAP_X) - GAP_X).max(WIDTH);
    let height = GRAPH_TOP + rows as f64 * (NODE_H + GAP_Y) + 30.0;
    let mut w = XmlWriter::new();
    let desc = r.describe();
    open(&mut w, width, height.max(80.0), title, &desc);
    arrow_marker(&mut w);
    if r.nodes.is_empty() {
        w.element("text", &[("x", "10"), ("y", "50"), ("fill", MUTED)], &desc);
        w.end("svg");
        return w.finish();
    }
    let at: std::collections::HashMap<&str, (f64, f64)> = r
        .nodes
        .iter()
        .map(|nd| (nd.slug.as_str(), node_xy(nd)))
        .collect();
    w.start(
        "g",
        &[("stroke", INK), ("stroke-width", "1.5"), ("fill", "none")],
    );
    for e in &r.edges {
        let (Some(&(ax, ay)), Some(&(bx, by))) = (at.get(e.from.as_str()), at.get(e.to.as_str()))
        else {
            continue;
        };
        // The path, and where its label goes (`None`: the tooltip and legend say it).
        let (d, label_at) = if (ax - bx).abs() < 1.0 && (ay - by).abs() <= NODE_H + GAP_Y + 1.0 {
            // Same column, next row: straight between the facing sides.
            let cx = ax + NODE_W / 2.0;
            let (y1, y2) = if ay > by {
                (ay, by + NODE_H + 1.0)
            } else {
                (ay + NODE_H, by - 1.0)
            };
            (
                format!("M{},{} L{},{}", n(cx), n(y1), n(cx), n(y2)),
                Some((cx + 6.0, (y1 + y2) / 2.0 + 3.0, "start")),
            )
        } else if (ax - bx).abs() < 1.0 {
            // Same column, further away: round the left side, so as not to cross the
            // boxes between.
            let (y1, y2) = (ay + NODE_H / 2.0, by + NODE_H / 2.0);
            let out = ax - MARGIN + 6.0;
            (
                format!(
                    "M{},{} C{},{} {},{} {},{}",
                    n(ax),
                    n(y1),
                    n(out),
                    n(y1),
                    n(out),
                    n(y2),
                    n(bx - 1.0),
                    n(y2)
                ),
                None,
            )
        } else {
            let (x1, y1, x2, y2) = if ax < bx {
                (ax + NODE_W, ay + NODE_H / 2.0, bx - 1.0, by + NODE_H / 2.0)
            } else {
                (ax, ay + NODE_H / 2.0, bx + NODE_W + 1.0, by + NODE_H / 2.0)
            };
            let mid = (x1 + x2) / 2.0;
            (
                format!(
                    "M{},{} C{},{} {},{} {},{}",
                    n(x1),
                    n(y1),
                    n(mid),
                    n(y1),
                    n(mid),
                    n(y2),
                    n(x2),
                    n(y2)
                ),
                Some((mid, (y1 + y2) / 2.0 - 4.0, "middle")),
            )
        };
        let words = format!(
            "{} {} {}{}",
            e.from_name,
            e.rel_label,
            e.to_name,
            e.date
                .as_ref()
                .map(|d| format!(", {}", d.human))
                .unwrap_or_default()
        );
        w.start("g", &[]);
        w.element("title", &[], &words);
        let mut attrs = vec![
            ("d", d.as_str()),
            ("marker-end", "url(#arrow)"),
            ("class", e.rel),
        ];
        if e.rel == "part-of" {
            attrs.push(("stroke-dasharray", "5 3"));
        }
        w.empty("path", &attrs);
        let label = match (&e.date, e.rel) {
            (_, "part-of") => "part of".to_string(),
            (Some(d), _) => d.edtf.get(..4).unwrap_or(&d.edtf).to_string(),
            (None, _) => "date not recorded".into(),
        };
        if let Some((x, y, anchor)) = label_at {
            w.element(
                "text",
                &[
                    ("x", &n(x)),
                    ("y", &n(y)),
                    ("text-anchor", anchor),
                    ("font-size", "10"),
                    ("fill", MUTED),
                    ("stroke", "none"),
                ],
                &label,
            );
        }
        w.end("g");
    }
    w.end("g");
    for nd in &r.nodes {
        let (x, y) = node_xy(nd);
        let focused = r.focus.as_deref() == Some(nd.slug.as_str());
        link_open(
            &mut w,
            link,
            &nd.url,
            &format!("{}: {}", nd.name, nd.span_human),
        );
        rect(
            &mut w,
            x,
            y,
            NODE_W,
            NODE_H,
            &[
                ("rx", "5"),
                ("fill", if focused { "#e6eef6" } else { "#ffffff" }),
                ("stroke", SOLID),
                ("stroke-width", if focused { "3" } else { "1.5" }),
            ],
        );
        w.element(
            "text",
            &[
                ("x", &n(x + 8.0)),
                ("y", &n(y + 18.0)),
                ("font-weight", "600"),
                ("font-size", "13"),
            ],
            &clip(&nd.label, 26),
        );
        w.element(
            "text",
            &[
                ("x", &n(x + 8.0)),
                ("y", &n(y + 35.0)),
                ("font-size", "11"),
                ("fill", MUTED),
            ],
            &clip(&nd.span_human, 33),
        );
        w.end("a");
    }
    relations_legend(&mut w, height - 14.0, r.focus.is_some());
    w.end("svg");
    w.finish()
}

/// The graph's legend: the two kinds of arrow, and the marked box.
fn relations_legend(w: &mut XmlWriter, y: f64, focus: bool) {
    w.start("g", &[("font-size", "11"), ("fill", MUTED)]);
    let arrow = |w: &mut XmlWriter, x: f64, dashed: bool| {
        let (x1, x2, yy) = (n(x), n(x + 24.0), n(y));
        let mut attrs = vec![
            ("x1", x1.as_str()),
            ("x2", x2.as_str()),
            ("y1", yy.as_str()),
            ("y2", yy.as_str()),
            ("stroke", INK),
            ("stroke-width", "1.5"),
            ("marker-end", "url(#arrow)"),
        ];
        if dashed {
            attrs.push(("stroke-dasharray", "5 3"));
        }
        w.empty("line", &attrs);
    };
    arrow(w, 10.0, false);
    w.element(
        "text",
        &[("x", "42"), ("y", &n(y + 4.0))],
        "succeeded by (the year of the change)",
    );
    arrow(w, 280.0, true);
    w.element("text", &[("x", "312"), ("y", &n(y + 4.0))], "part of");
    if focus {
        rect(
            w,
            380.0,
            y - 6.0,
            24.0,
            12.0,
            &[
                ("fill", "#e6eef6"),
                ("stroke", SOLID),
                ("stroke-width", "3"),
            ],
        );
        w.element(
            "text",
            &[("x", "412"), ("y", &n(y + 4.0))],
            "the body this graph is about",
        );
    }
    w.end("g");
}
