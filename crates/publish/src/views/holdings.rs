//! What a generated list holds, said from data (issue 25): "The archive holds 3 meetings
//! of the NATO-Russia Permanent Joint Council (July 1997 – May 2002); the page listed
//! none. The list may be incomplete." The count and dates are the store's, the page's
//! count is the list's `page_listed`, and only an editor's `complete` drops the warning.

use super::DateView;
use dossier_model::date::MONTHS;
use dossier_model::Bound;
use dossier_model::{DocumentKind, Edtf, EventKind, GeneratedList, ListOf, PartialDate};
use dossier_store::RecordCard;
use serde::Serialize;

/// A generated list's holdings, beside its items.
#[derive(Debug, Clone, Serialize)]
pub struct Holdings {
    /// How many records the archive holds for the list.
    pub held: usize,
    /// The earliest date among them.
    pub first: Option<DateView>,
    /// The latest date among them; `None` when the page shows only the list's head (the
    /// rest are a link away), so the latest is not known here.
    pub last: Option<DateView>,
    /// How many items the source page itself listed (`None`: the list is not a page's).
    pub page_listed: Option<u32>,
    /// Whether an editor checked that the archive holds every record the list should show.
    pub complete: bool,
    /// The sentence a reader sees.
    pub text: String,
}

/// The holdings of `l`, from the cards shown (`shown`, in date order: the list's head)
/// and the list's length (`total`). `body_name` names a body by slug, for the list's
/// filter.
pub fn holdings(
    l: &GeneratedList,
    shown: &[RecordCard],
    total: usize,
    body_name: &dyn Fn(&str) -> String,
) -> Holdings {
    let dates: Vec<Edtf> = shown
        .iter()
        .filter_map(|c| Edtf::parse(c.date.as_deref()?).ok())
        .collect();
    let whole = shown.len() >= total;
    let first = dates.iter().min_by_key(|d| d.earliest()).copied();
    let last = if whole {
        dates.iter().max_by_key(|d| d.latest()).copied()
    } else {
        None
    };
    let (one, many) = noun(l, shown, whole);
    let mut text = match total {
        0 => format!("The archive holds no {many}{} yet", whose(l, body_name)),
        1 => format!("The archive holds 1 {one}{}", whose(l, body_name)),
        n => format!("The archive holds {n} {many}{}", whose(l, body_name)),
    };
    let from = first.and_then(|d| month_year(&d, false));
    let to = last.and_then(|d| month_year(&d, true));
    match (from, to) {
        (Some(a), Some(b)) if a == b => text.push_str(&format!(" ({a})")),
        (Some(a), Some(b)) => text.push_str(&format!(" ({a} – {b})")),
        (Some(a), None) if !whole => text.push_str(&format!(" (from {a})")),
        _ => {}
    }
    match l.page_listed {
        Some(0) => text.push_str("; the page listed none"),
        Some(1) => text.push_str("; the page listed one"),
        Some(n) => text.push_str(&format!("; the page listed {n}")),
        None => {}
    }
    text.push_str(if l.complete {
        ". An editor has checked that the list is complete."
    } else {
        ". The list may be incomplete."
    });
    let view = |d: Edtf| DateView {
        edtf: d.to_string(),
        human: d.human(),
    };
    Holdings {
        held: total,
        first: first.map(view),
        last: last.map(view),
        page_listed: l.page_listed,
        complete: l.complete,
        text,
    }
}

/// What the list holds, singular and plural: its one kind (the filter's, or the one kind
/// of every record it holds), else documents or events.
fn noun(l: &GeneratedList, shown: &[RecordCard], whole: bool) -> (String, String) {
    let kind = match l.kinds.as_slice() {
        [k] => Some(k.as_str()),
        [] if whole && !shown.is_empty() && shown.iter().all(|c| c.kind == shown[0].kind) => {
            Some(shown[0].kind.as_str())
        }
        _ => None,
    };
    let label = kind.and_then(|k| match l.of {
        ListOf::Documents => DocumentKind::from_slug(k).map(|k| k.label()),
        ListOf::Events => EventKind::from_slug(k).map(|k| k.label()),
    });
    match (label, l.of) {
        (Some(label), _) => {
            let one = label.to_lowercase();
            let many = plural(&one);
            (one, many)
        }
        (None, ListOf::Documents) => ("document".into(), "documents".into()),
        (None, ListOf::Events) => ("event".into(), "events".into()),
    }
}

/// The plural of a kind's label in lower case.
fn plural(one: &str) -> String {
    match one {
        "memorandum of understanding" => return "memoranda of understanding".into(),
        "concept or doctrine" => return "concepts or doctrines".into(),
        "collection of documents" => return "collections of documents".into(),
        _ => {}
    }
    if let Some(stem) = one.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            return format!("{stem}ies");
        }
    }
    if one.ends_with("ch") || one.ends_with("sh") || one.ends_with('s') || one.ends_with('x') {
        return format!("{one}es");
    }
    format!("{one}s")
}

/// " of the PJC", " at parliamentary level": the list's bodies and levels in words.
fn whose(l: &GeneratedList, body_name: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    if !l.bodies.is_empty() {
        let names: Vec<String> = l
            .bodies
            .iter()
            .map(|b| {
                let name = body_name(b);
                if name.to_lowercase().starts_with("the ") {
                    name
                } else {
                    format!("the {name}")
                }
            })
            .collect();
        out.push_str(" of ");
        out.push_str(&names.join(" or "));
    }
    if !l.levels.is_empty() {
        let levels: Vec<String> = l.levels.iter().map(|x| x.label().to_lowercase()).collect();
        out.push_str(" at ");
        out.push_str(&levels.join(" or "));
        out.push_str(" level");
    }
    out
}

/// "July 1997", "1997": a date's month and year, at the start of its span or (`end`) at
/// its end.
fn month_year(d: &Edtf, end: bool) -> Option<String> {
    let p: PartialDate =
        match (d, end) {
            (Edtf::Date(p), _) => *p,
            (Edtf::Interval(_, Bound::Date(p)), true)
            | (Edtf::Interval(Bound::Date(p), _), false) => *p,
            (Edtf::Interval(Bound::Date(p), _), true)
            | (Edtf::Interval(_, Bound::Date(p)), false) => *p,
            _ => return None,
        };
    Some(match p.month {
        Some(m) => format!("{} {}", MONTHS[m as usize - 1], p.year),
        None => p.year.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_model::{Level, RecordType};

    fn card(kind: &str, date: Option<&str>) -> RecordCard {
        RecordCard {
            kind: kind.into(),
            date: date.map(str::to_string),
            ..RecordCard::titled(RecordType::Event, "e", "E")
        }
    }

    fn list(of: ListOf) -> GeneratedList {
        GeneratedList {
            caption: None,
            of,
            kinds: vec![],
            bodies: vec![],
            levels: vec![],
            page_listed: None,
            complete: false,
        }
    }

    fn name(slug: &str) -> String {
        match slug {
            "pjc" => "NATO-Russia Permanent Joint Council".into(),
            other => other.to_uppercase(),
        }
    }

    #[test]
    fn the_pjc_meetings_say_what_the_archive_holds_and_the_page_listed() {
        let mut l = list(ListOf::Events);
        l.bodies = vec!["pjc".into()];
        l.page_listed = Some(0);
        let cards = [
            card("meeting", Some("1997-07-18")),
            card("meeting", Some("1997-09-26")),
            card("meeting", Some("2002-05-14")),
        ];
        let h = holdings(&l, &cards, 3, &name);
        assert_eq!(
            h.text,
            "The archive holds 3 meetings of the NATO-Russia Permanent Joint Council \
             (July 1997 – May 2002); the page listed none. The list may be incomplete."
        );
        assert_eq!(h.held, 3);
        assert_eq!(h.first.unwrap().edtf, "1997-07-18");
        assert_eq!(h.last.unwrap().edtf, "2002-05-14");
        // An editor's check drops the warning; the page's count is said as it is.
        l.complete = true;
        l.page_listed = Some(2);
        let h = holdings(&l, &cards, 3, &name);
        assert!(
            h.text
                .ends_with("; the page listed 2. An editor has checked that the list is complete."),
            "{}",
            h.text
        );
    }

    #[test]
    fn kinds_levels_empty_and_long_lists() {
        let mut l = list(ListOf::Documents);
        l.kinds = vec!["speech".into()];
        l.page_listed = Some(0);
        assert_eq!(
            holdings(&l, &[], 0, &name).text,
            "The archive holds no speeches yet; the page listed none. The list may be incomplete."
        );
        l.kinds = vec!["research-study".into()];
        l.page_listed = None;
        let one = [card("research-study", Some("2001"))];
        assert_eq!(
            holdings(&l, &one, 1, &name).text,
            "The archive holds 1 research study (2001). The list may be incomplete."
        );
        let mut l = list(ListOf::Events);
        l.levels = vec![Level::Parliamentary];
        let mixed = [card("meeting", Some("1998-03")), card("visit", None)];
        assert_eq!(
            holdings(&l, &mixed, 2, &name).text,
            "The archive holds 2 events at parliamentary level (March 1998). The list may be incomplete."
        );
        // Only the head is shown: the latest date is not known here.
        let h = holdings(&l, &mixed, 400, &name);
        assert!(
            h.text.starts_with(
                "The archive holds 400 events at parliamentary level (from March 1998)."
            ),
            "{}",
            h.text
        );
        assert!(h.last.is_none());
        assert_eq!(plural("treaty"), "treaties");
        assert_eq!(
            plural("memorandum of understanding"),
            "memoranda of understanding"
        );
        assert_eq!(plural("press release"), "press releases");
    }

    #[test]
    fn hostile_names_stay_text_for_the_template_to_escape() {
        let mut l = list(ListOf::Documents);
        l.bodies = vec!["x".into()];
        let h = holdings(&l, &[], 0, &|_| "<script>alert(1)</script>".into());
        // The view returns plain text; the templates escape it (tested on the page).
        assert!(h.text.contains("of the <script>alert(1)</script>"));
    }
}
