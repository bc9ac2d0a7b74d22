//! Partial, uncertain and ranged dates in the Extended Date/Time Format (EDTF, ISO 8601-2).
//!
//! An archive meets dates at every precision ("1997", "May 1997", "June 22nd, 1994") and
//! ranges ("for the period of almost a year"). We support the part of EDTF that such
//! sources need: level 0 dates (`1997`, `1997-05`, `1997-05-27`) and intervals
//! (`1999-03/2000-02`), and from level 1 the qualifiers `?` (uncertain), `~` (approximate)
//! and `%` (both), and open (`..`) or unknown (empty) interval ends. Anything else is
//! refused with a message that says what was expected.
//!
//! Ordering: by the earliest day a date can mean, then the wider date first, so that a
//! chronology reads `1997`, `1997-05`, `1997-05-27`, `1997-06`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// Why a string is not a date we accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid EDTF date {input:?}: {reason}")]
pub struct DateError {
    /// The text that was given.
    pub input: String,
    /// What was wrong with it, in words.
    pub reason: String,
}

/// A calendar date known to the year, the month or the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialDate {
    pub year: i32,
    pub month: Option<u8>,
    pub day: Option<u8>,
    /// `?`: the source is not sure of it.
    pub uncertain: bool,
    /// `~`: the source gives it as "about".
    pub approximate: bool,
}

/// One end of an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bound {
    Date(PartialDate),
    /// `..`: the interval runs on (or began) without a set end.
    Open,
    /// empty: the end exists but is not known.
    Unknown,
}

/// An EDTF date: a single partial date or an interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Edtf {
    Date(PartialDate),
    Interval(Bound, Bound),
}

/// The English month names, January first: the one table for dates in words, in the
/// model and in the citation styles.
pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
            if leap {
                29
            } else {
                28
            }
        }
    }
}

impl PartialDate {
    pub fn year(year: i32) -> Self {
        PartialDate {
            year,
            month: None,
            day: None,
            uncertain: false,
            approximate: false,
        }
    }

    pub fn ymd(year: i32, month: u8, day: u8) -> Self {
        PartialDate {
            month: Some(month),
            day: Some(day),
            ..Self::year(year)
        }
    }

    /// Parses `YYYY`, `YYYY-MM` or `YYYY-MM-DD` with an optional `?`, `~` or `%`.
    pub fn parse(input: &str) -> Result<Self, DateError> {
        let err = |reason: &str| DateError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let (body, uncertain, approximate) = match input.as_bytes().last() {
            Some(b'?') => (&input[..input.len() - 1], true, false),
            Some(b'~') => (&input[..input.len() - 1], false, true),
            Some(b'%') => (&input[..input.len() - 1], true, true),
            _ => (input, false, false),
        };
        let mut parts = body.split('-');
        let year_text = parts.next().unwrap_or_default();
        if year_text.len() != 4 || !year_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err(
                "expected a four-digit year, as in 1997, 1997-05 or 1997-05-27",
            ));
        }
        let year: i32 = year_text.parse().map_err(|_| err("bad year"))?;
        let mut number = |what: &str, max: u8| -> Result<Option<u8>, DateError> {
            match parts.next() {
                None => Ok(None),
                Some(t) if t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()) => {
                    let n: u8 = t.parse().map_err(|_| err(what))?;
                    if n == 0 || n > max {
                        Err(err(&format!("{what} out of range")))
                    } else {
                        Ok(Some(n))
                    }
                }
                Some(_) => Err(err(&format!("expected a two-digit {what}"))),
            }
        };
        let month = number("month", 12)?;
        let day = number("day", 31)?;
        if parts.next().is_some() {
            return Err(err("too many parts; expected YYYY, YYYY-MM or YYYY-MM-DD"));
        }
        if let (Some(m), Some(d)) = (month, day) {
            if d > days_in_month(year, m) {
                return Err(err(&format!(
                    "{} {year} has {} days",
                    MONTHS[m as usize - 1],
                    days_in_month(year, m)
                )));
            }
        }
        Ok(PartialDate {
            year,
            month,
            day,
            uncertain,
            approximate,
        })
    }

    /// The first day this date can mean, as `YYYYMMDD`.
    pub fn earliest(&self) -> i64 {
        let m = self.month.unwrap_or(1);
        let d = self.day.unwrap_or(1);
        self.year as i64 * 10_000 + m as i64 * 100 + d as i64
    }

    /// The last day this date can mean, as `YYYYMMDD`.
    pub fn latest(&self) -> i64 {
        let m = self.month.unwrap_or(12);
        let d = self.day.unwrap_or_else(|| days_in_month(self.year, m));
        self.year as i64 * 10_000 + m as i64 * 100 + d as i64
    }

    /// "27 May 1997", "May 1997", "1997", with "about" or "(uncertain)" where qualified.
    pub fn human(&self) -> String {
        let mut s = match (self.month, self.day) {
            (Some(m), Some(d)) => format!("{d} {} {}", MONTHS[m as usize - 1], self.year),
            (Some(m), None) => format!("{} {}", MONTHS[m as usize - 1], self.year),
            _ => self.year.to_string(),
        };
        if self.approximate {
            s = format!("about {s}");
        }
        if self.uncertain {
            s.push_str(" (uncertain)");
        }
        s
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
        }
        if let Some(d) = self.day {
            write!(f, "-{d:02}")?;
        }
        match (self.uncertain, self.approximate) {
            (true, true) => f.write_str("%"),
            (true, false) => f.write_str("?"),
            (false, true) => f.write_str("~"),
            _ => Ok(()),
        }
    }
}

impl Edtf {
    /// Parses an EDTF string; see the module documentation for what is accepted.
    pub fn parse(input: &str) -> Result<Self, DateError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(DateError {
                input: input.into(),
                reason: "empty date".into(),
            });
        }
        let Some((a, b)) = input.split_once('/') else {
            return PartialDate::parse(input).map(Edtf::Date);
        };
        let bound = |t: &str| -> Result<Bound, DateError> {
            match t {
                ".." => Ok(Bound::Open),
                "" => Ok(Bound::Unknown),
                _ => PartialDate::parse(t).map(Bound::Date),
            }
        };
        let (start, end) = (bound(a)?, bound(b)?);
        if let (Bound::Date(s), Bound::Date(e)) = (start, end) {
            if s.earliest() > e.latest() {
                return Err(DateError {
                    input: input.into(),
                    reason: "the interval ends before it starts".into(),
                });
            }
        }
        if matches!(start, Bound::Open | Bound::Unknown)
            && matches!(end, Bound::Open | Bound::Unknown)
        {
            return Err(DateError {
                input: input.into(),
                reason: "an interval needs at least one known end".into(),
            });
        }
        Ok(Edtf::Interval(start, end))
    }

    /// The first day the date can mean (`YYYYMMDD`); an open or unknown start counts as the
    /// known end's first day, so such dates still sort in place.
    pub fn earliest(&self) -> i64 {
        match self {
            Edtf::Date(d) => d.earliest(),
            Edtf::Interval(Bound::Date(s), _) => s.earliest(),
            Edtf::Interval(_, Bound::Date(e)) => e.earliest(),
            Edtf::Interval(..) => i64::MIN,
        }
    }

    /// The last day the date can mean (`YYYYMMDD`); an open end counts as unbounded.
    pub fn latest(&self) -> i64 {
        match self {
            Edtf::Date(d) => d.latest(),
            Edtf::Interval(_, Bound::Date(e)) => e.latest(),
            Edtf::Interval(_, _) => i64::MAX,
        }
    }

    /// Whether the date can fall within the years `from..=to`.
    pub fn overlaps_years(&self, from: i32, to: i32) -> bool {
        let lo = from as i64 * 10_000 + 101;
        let hi = to as i64 * 10_000 + 1231;
        self.earliest() <= hi && self.latest() >= lo
    }

    /// The year a chronology files this date under (its earliest year).
    pub fn year(&self) -> Option<i32> {
        match self {
            Edtf::Date(d) => Some(d.year),
            Edtf::Interval(Bound::Date(s), _) => Some(s.year),
            Edtf::Interval(_, Bound::Date(e)) => Some(e.year),
            Edtf::Interval(..) => None,
        }
    }

    /// The date in words for a reader: "27 May 1997", "March 1999 – February 2000".
    pub fn human(&self) -> String {
        match self {
            Edtf::Date(d) => d.human(),
            Edtf::Interval(Bound::Date(s), Bound::Open) => format!("from {} on", s.human()),
            Edtf::Interval(Bound::Open, Bound::Date(e)) => format!("until {}", e.human()),
            Edtf::Interval(s, e) => {
                let side = |b: &Bound| match b {
                    Bound::Date(d) => d.human(),
                    _ => "unknown".to_string(),
                };
                format!("{} – {}", side(s), side(e))
            }
        }
    }
}

impl fmt::Display for Edtf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bound = |f: &mut fmt::Formatter<'_>, b: &Bound| match b {
            Bound::Date(d) => write!(f, "{d}"),
            Bound::Open => f.write_str(".."),
            Bound::Unknown => Ok(()),
        };
        match self {
            Edtf::Date(d) => write!(f, "{d}"),
            Edtf::Interval(s, e) => {
                bound(f, s)?;
                f.write_str("/")?;
                bound(f, e)
            }
        }
    }
}

impl std::str::FromStr for Edtf {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Edtf::parse(s)
    }
}

impl Ord for Edtf {
    fn cmp(&self, other: &Self) -> Ordering {
        self.earliest()
            .cmp(&other.earliest())
            .then_with(|| other.latest().cmp(&self.latest()))
            .then_with(|| self.to_string().cmp(&other.to_string()))
    }
}

impl PartialOrd for Edtf {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Edtf {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Edtf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Edtf::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Edtf {
        Edtf::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_and_prints_every_precision() {
        for s in [
            "1997",
            "1997-05",
            "1997-05-27",
            "1997?",
            "1997-05~",
            "2002-04-15%",
            "1999-03/2000-02",
            "2002-05-28/..",
            "../1991",
            "/1991-12",
        ] {
            assert_eq!(p(s).to_string(), s);
        }
    }

    #[test]
    fn refuses_what_is_not_a_date() {
        for s in [
            "",
            "97",
            "1997-5",
            "1997-13",
            "1997-02-30",
            "1997-05-27-01",
            "May 1997",
            "2000-01/1999",
            "../..",
            "1997-00",
            "19a7",
            "2001-02-29",
        ] {
            assert!(Edtf::parse(s).is_err(), "{s:?} should be refused");
        }
        assert!(Edtf::parse("2000-02-29").is_ok(), "2000 is a leap year");
    }

    #[test]
    fn sorts_across_precisions() {
        let mut v: Vec<Edtf> = [
            "1997-06",
            "1997-05-27",
            "1997",
            "1996-12-31",
            "1997-05",
            "1999-03/2000-02",
            "1999?",
            "1998",
        ]
        .iter()
        .map(|s| p(s))
        .collect();
        v.sort();
        let got: Vec<String> = v.iter().map(|d| d.to_string()).collect();
        assert_eq!(
            got,
            [
                "1996-12-31",
                "1997",
                "1997-05",
                "1997-05-27",
                "1997-06",
                "1998",
                "1999?",
                "1999-03/2000-02"
            ]
        );
    }

    #[test]
    fn bounds_and_years() {
        let d = p("1997-05");
        assert_eq!(d.earliest(), 19970501);
        assert_eq!(d.latest(), 19970531);
        assert_eq!(p("2000-02").latest(), 20000229);
        assert!(d.overlaps_years(1997, 1997));
        assert!(!d.overlaps_years(1998, 2002));
        assert!(p("1999-03/2000-02").overlaps_years(2000, 2000));
        assert_eq!(p("1994-06-22").human(), "22 June 1994");
        assert_eq!(p("1999-03/2000-02").human(), "March 1999 – February 2000");
        assert_eq!(p("2002-04-15?").human(), "15 April 2002 (uncertain)");
        assert_eq!(p("2002-05-28/..").human(), "from 28 May 2002 on");
        assert_eq!(p("/1991-12").human(), "unknown – December 1991");
    }

    #[test]
    fn serde_uses_the_edtf_string() {
        let d: Edtf = serde_json::from_str("\"1997-05-27\"").unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"1997-05-27\"");
        assert!(serde_json::from_str::<Edtf>("\"1997-13\"").is_err());
    }

    // Issue 20: the EDTF parser reads dates from every importer and from `date:` in
    // queries, so it must refuse any text without panicking, and what it prints it must
    // read back, in an order that is a total order.
    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            let piece = prop::sample::select(vec![
                "1997",
                "0000",
                "9999",
                "19",
                "-",
                "--",
                "/",
                "..",
                "?",
                "~",
                "%",
                "05",
                "13",
                "00",
                "31",
                "29",
                "02",
                " ",
                "é",
                "Ж",
                "+",
                "x",
                "T",
                ":",
                "1997-05-27",
            ]);
            prop_oneof![
                any::<String>(),
                "[-0-9/.?~% ]{0,24}",
                prop::collection::vec(piece, 0..12).prop_map(|v| v.concat()),
            ]
        }

        fn partial() -> impl Strategy<Value = PartialDate> {
            (
                0..=9999i32,
                0..=12u8,
                0..=31u8,
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(|(year, month, day, uncertain, approximate)| {
                    let month = (month > 0).then_some(month);
                    let day = month
                        .filter(|_| day > 0)
                        .map(|m| day.min(days_in_month(year, m)));
                    PartialDate {
                        year,
                        month,
                        day,
                        uncertain,
                        approximate,
                    }
                })
        }

        fn edtf() -> impl Strategy<Value = Edtf> {
            let bound = prop_oneof![
                3 => partial().prop_map(Bound::Date),
                1 => Just(Bound::Open),
                1 => Just(Bound::Unknown),
            ];
            prop_oneof![
                partial().prop_map(Edtf::Date),
                (bound.clone(), bound).prop_filter_map("not an interval", |(s, e)| match (s, e) {
                    // Ends before it starts: the other way round is an interval.
                    (Bound::Date(a), Bound::Date(b)) if a.earliest() > b.latest() => {
                        Some(Edtf::Interval(Bound::Date(b), Bound::Date(a)))
                    }
                    (Bound::Date(_), _) | (_, Bound::Date(_)) => Some(Edtf::Interval(s, e)),
                    _ => None,
                }),
            ]
        }

        proptest! {

            #[test]
            fn parsing_any_text_never_panics(s in text()) {
                if let Ok(d) = Edtf::parse(&s) {
                    // What is accepted prints as itself, trimmed.
                    prop_assert_eq!(d.to_string(), s.trim());
                    prop_assert!(d.earliest() <= d.latest());
                    let _ = d.human();
                }
                if let Ok(d) = PartialDate::parse(&s) {
                    prop_assert_eq!(d.to_string(), s);
                    let _ = d.human();
                }
            }

            #[test]
            fn printed_dates_parse_back(d in edtf()) {
                prop_assert_eq!(Edtf::parse(&d.to_string()), Ok(d));
                if let Edtf::Date(p) = d {
                    prop_assert_eq!(PartialDate::parse(&p.to_string()), Ok(p));
                    prop_assert!(p.earliest() <= p.latest());
                }
                let json = serde_json::to_string(&d).unwrap();
                prop_assert_eq!(serde_json::from_str::<Edtf>(&json).unwrap(), d);
            }

            #[test]
            fn the_order_is_total_and_follows_the_earliest_day(
                mut v in prop::collection::vec(edtf(), 1..12)
            ) {
                for a in &v {
                    for b in &v {
                        prop_assert_eq!(a.cmp(b), b.cmp(a).reverse());
                        prop_assert_eq!(a.cmp(b) == Ordering::Equal, a == b);
                        prop_assert_eq!(a.partial_cmp(b), Some(a.cmp(b)));
                        if a.earliest() < b.earliest() {
                            prop_assert!(a < b, "{} before {}", a, b);
                        }
                    }
                }
                v.sort();
                for (i, a) in v.iter().enumerate() {
                    for b in &v[i..] {
                        prop_assert!(a <= b, "{} sorted before {}", a, b);
                    }
                }
            }
        }
    }
}
