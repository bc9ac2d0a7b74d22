//! The queries both engines run: dossier's query language and the FTS5 expression (with
//! an SQL condition for the filters) that means the same, by class of query.

use super::corpus::word;

/// A query in both languages. `fts` is the FTS5 MATCH expression (None: no text), `sql`
/// an extra condition on the `meta` table; `compare` says whether both express the same
/// thing (alias expansion is dossier's alone).
pub(crate) struct BenchQuery {
    pub(crate) class: &'static str,
    pub(crate) dossier: String,
    pub(super) fts: Option<String>,
    pub(super) sql: Option<String>,
    pub(super) compare: bool,
}

/// Every query of the bench, by class: terms by frequency, two terms, phrases, boolean,
/// filtered, filters only, and the aliases only dossier expands.
pub(crate) fn queries() -> Vec<BenchQuery> {
    let mut v = Vec::new();
    terms(&mut v);
    phrases_and_booleans(&mut v);
    filtered_and_aliases(&mut v);
    v
}

fn q(
    class: &'static str,
    dossier: String,
    fts: Option<String>,
    sql: Option<&str>,
    compare: bool,
) -> BenchQuery {
    BenchQuery {
        class,
        dossier,
        fts,
        sql: sql.map(str::to_string),
        compare,
    }
}

/// Single terms of each frequency class, and two terms together.
fn terms(v: &mut Vec<BenchQuery>) {
    let w = word;
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
}

fn phrases_and_booleans(v: &mut Vec<BenchQuery>) {
    let w = word;
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
}

fn filtered_and_aliases(v: &mut Vec<BenchQuery>) {
    let w = word;
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
}
