//! UTC timestamps in the forms the protocols want (RFC 3339 / ISO 8601 with `Z`), without a
//! calendar crate: the civil-from-days conversion is a dozen lines.

use std::time::{SystemTime, UNIX_EPOCH};

/// `YYYY-MM-DDThh:mm:ssZ` for a number of seconds since 1970-01-01T00:00:00Z.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        (rest % 3600) / 60,
        rest % 60
    )
}

/// The current time as `YYYY-MM-DDThh:mm:ssZ`.
pub fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc3339(secs)
}

/// Today's date (UTC) as `YYYYMMDD`: the one clock the pages age claims by (issue 25).
/// A test fixes it on its thread with [`with_today`]; a process (a test's server, a
/// snapshot's export) with `DOSSIER_TODAY=YYYY-MM-DD`, read once; otherwise the system
/// clock. A `DOSSIER_TODAY` that is not a day is said on stderr once and ignored.
pub fn today() -> i64 {
    if let Some(day) = TODAY.with(|t| t.get()) {
        return day;
    }
    static FIXED: std::sync::OnceLock<Option<i64>> = std::sync::OnceLock::new();
    let fixed = FIXED.get_or_init(|| {
        let v = std::env::var("DOSSIER_TODAY").ok()?;
        match dossier_model::PartialDate::parse(v.trim()) {
            Ok(d) if is_day(v.trim()) => Some(d.earliest()),
            _ => {
                eprintln!("DOSSIER_TODAY={v:?} is not a day (YYYY-MM-DD); using the clock");
                None
            }
        }
    });
    fixed.unwrap_or_else(|| {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        y * 10_000 + i64::from(m) * 100 + i64::from(d)
    })
}

thread_local! {
    static TODAY: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with [`today`] answering `day` (`YYYYMMDD`) on this thread: how a test
/// builds a page on a day of its choosing.
pub fn with_today<R>(day: i64, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<i64>);
    impl Drop for Reset {
        fn drop(&mut self) {
            TODAY.with(|t| t.set(self.0));
        }
    }
    let _reset = Reset(TODAY.with(|t| t.replace(Some(day))));
    f()
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian; Howard
/// Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Whether `s` is a calendar day written `YYYY-MM-DD`.
pub fn is_day(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && dossier_model::PartialDate::parse(s).is_ok_and(|d| d.day.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert!(now().ends_with('Z'));
    }

    #[test]
    fn today_is_a_day_and_can_be_fixed() {
        let t = today();
        assert!(t > 20200101 && t < 30000101, "{t}");
        assert_eq!(with_today(20070529, today), 20070529);
        // Nested, and restored after.
        with_today(20010101, || {
            assert_eq!(with_today(20020202, today), 20020202);
            assert_eq!(today(), 20010101);
        });
        assert!(today() > 20200101);
    }

    #[test]
    fn days() {
        assert!(is_day("2002-05-28"));
        assert!(!is_day("2002-02-30"));
        assert!(!is_day("2002-5-28"));
        assert!(!is_day("2002-05-28T00:00:00Z"));
        assert!(!is_day("２００２-05-28"));
    }
}
