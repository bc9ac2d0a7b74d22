//! The graph of bodies' successions and parts: which body succeeded which (NACC → EAPC,
//! PJC → NRC), and which is part of which, laid out in columns of succession.

use super::{date_view, span_human, Result};
use crate::views::{url_of, DateView};
use dossier_model::{Body, RecordType};
use dossier_store::Store;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The most bodies one graph draws.
pub const MAX_NODES: usize = 60;

/// The graph: bodies and the links between them.
#[derive(Debug, Default, Serialize)]
pub struct Relations {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// The body the graph is of (drawn marked), for a body's graph.
    pub focus: Option<String>,
    /// Bodies not drawn (past [`MAX_NODES`]).
    pub left_out: usize,
}

/// A body in the graph.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    pub slug: String,
    pub name: String,
    pub label: String,
    pub url: String,
    pub span_human: String,
    /// Its column (steps of succession) and row, for drawing.
    #[serde(skip)]
    pub(super) column: usize,
    #[serde(skip)]
    pub(super) row: usize,
}

/// A link: `from` was succeeded by `to`, or `from` is part of `to`.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    pub from: String,
    pub from_name: String,
    pub to: String,
    pub to_name: String,
    /// `succeeded-by` or `part-of`.
    pub rel: &'static str,
    /// In words: "succeeded by", "part of".
    pub rel_label: &'static str,
    /// When a succession happened (`None`: not recorded, or a part).
    pub date: Option<DateView>,
}

impl Relations {
    /// The graph of `bodies` and the bodies their successions and `part_of` name (read
    /// from the store, at most [`MAX_NODES`] in all); bodies with no link are left out,
    /// but for `focus`.
    pub fn of_bodies(store: &dyn Store, bodies: &[Body], focus: Option<&str>) -> Result<Relations> {
        let mut all: Vec<Body> = Vec::new();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let named = |b: &Body| -> Vec<String> {
            b.predecessors
                .iter()
                .chain(&b.successors)
                .map(|l| l.slug.clone())
                .chain(b.part_of.clone())
                .collect()
        };
        let linked: Vec<&Body> = bodies
            .iter()
            .filter(|b| Some(b.slug.as_str()) == focus || !named(b).is_empty())
            .collect();
        let mut left_out = 0;
        for b in &linked {
            if seen.insert(b.slug.clone()) {
                if all.len() < MAX_NODES {
                    all.push((*b).clone());
                } else {
                    left_out += 1;
                }
            }
        }
        // Those the drawn bodies name that are not among them (a dossier's body succeeded
        // by one outside the dossier).
        let mut wanted: Vec<String> = Vec::new();
        for b in &all {
            wanted.extend(named(b).into_iter().filter(|s| !seen.contains(s)));
        }
        for s in wanted {
            if !seen.insert(s.clone()) {
                continue;
            }
            if all.len() >= MAX_NODES {
                left_out += 1;
                continue;
            }
            if let Some(o) = store.body(&s)? {
                all.push(o);
            }
        }
        Ok(Self::layout(all, focus, left_out))
    }

    fn layout(bodies: Vec<Body>, focus: Option<&str>, left_out: usize) -> Relations {
        let index: HashMap<&str, usize> = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| (b.slug.as_str(), i))
            .collect();
        // Successions, each once whichever side records it, with the date either gives.
        let mut succ: BTreeMap<(usize, usize), Option<dossier_model::Edtf>> = BTreeMap::new();
        let mut parts: BTreeSet<(usize, usize)> = BTreeSet::new();
        for (i, b) in bodies.iter().enumerate() {
            for l in &b.successors {
                if let Some(&j) = index.get(l.slug.as_str()) {
                    let slot = succ.entry((i, j)).or_default();
                    *slot = slot.or(l.date);
                }
            }
            for l in &b.predecessors {
                if let Some(&j) = index.get(l.slug.as_str()) {
                    let slot = succ.entry((j, i)).or_default();
                    *slot = slot.or(l.date);
                }
            }
            if let Some(&j) = b.part_of.as_deref().and_then(|p| index.get(p)) {
                parts.insert((i, j));
            }
        }
        succ.retain(|(a, b), _| a != b);
        parts.retain(|(a, b)| a != b);
        let n = bodies.len();
        // Columns: steps of succession from the first of a chain (a cycle, which only bad
        // data makes, stops growing after n rounds).
        let mut column = vec![0usize; n];
        for _ in 0..n {
            let mut changed = false;
            for &(a, b) in succ.keys() {
                if column[b] < column[a] + 1 && column[a] < n {
                    column[b] = column[a] + 1;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let in_succession: BTreeSet<usize> = succ.keys().flat_map(|&(a, b)| [a, b]).collect();
        for &(child, parent) in &parts {
            if !in_succession.contains(&child) {
                column[child] = column[parent];
            }
        }
        // Groups: bodies linked in any way, drawn one under another.
        let mut group: Vec<usize> = (0..n).collect();
        fn root(g: &mut [usize], mut i: usize) -> usize {
            while g[i] != i {
                g[i] = g[g[i]];
                i = g[i];
            }
            i
        }
        for &(a, b) in succ.keys().chain(&parts) {
            let (ra, rb) = (root(&mut group, a), root(&mut group, b));
            if ra != rb {
                group[ra] = rb;
            }
        }
        let start = |b: &Body| {
            b.established
                .or(b.ended)
                .and_then(|d| super::range_of(&d))
                .map(|r| r.0)
                .unwrap_or(f64::MAX)
        };
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..n {
            let r = root(&mut group, i);
            groups.entry(r).or_default().push(i);
        }
        let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
        let key = |i: usize| (start(&bodies[i]), bodies[i].name.clone());
        let is_part: BTreeSet<usize> = parts.iter().map(|&(c, _)| c).collect();
        for g in &mut groups {
            g.sort_by(|&a, &b| {
                is_part
                    .contains(&a)
                    .cmp(&is_part.contains(&b))
                    .then_with(|| key(a).0.total_cmp(&key(b).0))
                    .then_with(|| key(a).1.cmp(&key(b).1))
            });
        }
        groups.sort_by(|a, b| {
            key(a[0])
                .0
                .total_cmp(&key(b[0]).0)
                .then_with(|| key(a[0]).1.cmp(&key(b[0]).1))
        });
        let mut row = vec![0usize; n];
        let mut top = 0;
        let mut order = Vec::with_capacity(n);
        for g in &groups {
            let mut used: BTreeMap<usize, usize> = BTreeMap::new();
            for &i in g {
                let r = used.entry(column[i]).or_default();
                row[i] = top + *r;
                *r += 1;
                order.push(i);
            }
            top += used.values().copied().max().unwrap_or(1);
        }
        let nodes: Vec<Node> = order
            .iter()
            .map(|&i| {
                let b = &bodies[i];
                Node {
                    slug: b.slug.clone(),
                    name: b.name.clone(),
                    label: b
                        .acronyms
                        .first()
                        .cloned()
                        .unwrap_or_else(|| b.name.clone()),
                    url: url_of(RecordType::Body, &b.slug),
                    span_human: span_human(b),
                    column: column[i],
                    row: row[i],
                }
            })
            .collect();
        let edge = |a: usize, b: usize, rel, rel_label, date: Option<dossier_model::Edtf>| Edge {
            from: bodies[a].slug.clone(),
            from_name: bodies[a].name.clone(),
            to: bodies[b].slug.clone(),
            to_name: bodies[b].name.clone(),
            rel,
            rel_label,
            date: date.as_ref().map(date_view),
        };
        // Successions in date order (undated last), then the parts.
        let mut dated: Vec<(usize, usize, Option<dossier_model::Edtf>)> = succ
            .iter()
            .map(|(&(a, b), d)| (a, b, d.or(bodies[b].established).or(bodies[a].ended)))
            .collect();
        dated.sort_by_key(|(a, _, d)| {
            (
                d.map_or(i64::MAX, |d| d.earliest()),
                bodies[*a].name.clone(),
            )
        });
        let mut edges: Vec<Edge> = dated
            .into_iter()
            .map(|(a, b, d)| edge(a, b, "succeeded-by", "succeeded by", d))
            .collect();
        edges.extend(
            parts
                .iter()
                .map(|&(a, b)| edge(a, b, "part-of", "part of", None)),
        );
        Relations {
            nodes,
            edges,
            focus: focus.map(str::to_string),
            left_out,
        }
    }

    /// How many columns and rows the drawing needs.
    pub(super) fn extent(&self) -> (usize, usize) {
        let cols = self.nodes.iter().map(|n| n.column + 1).max().unwrap_or(0);
        let rows = self.nodes.iter().map(|n| n.row + 1).max().unwrap_or(0);
        (cols, rows)
    }

    /// The graph in words, for the picture's description.
    pub fn describe(&self) -> String {
        if self.nodes.is_empty() {
            return "No succession or part of any body is recorded.".into();
        }
        let mut s = format!(
            "{} bodies; {}.",
            self.nodes.len(),
            if self.edges.is_empty() {
                "no link between them is recorded".to_string()
            } else {
                self.edges
                    .iter()
                    .map(|e| {
                        format!(
                            "{} {} {}{}",
                            e.from_name,
                            e.rel_label,
                            e.to_name,
                            e.date
                                .as_ref()
                                .map(|d| format!(" ({})", d.human))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        );
        if self.left_out > 0 {
            s.push_str(&format!(
                " {} more not drawn (at most {MAX_NODES}).",
                self.left_out
            ));
        }
        s
    }
}
