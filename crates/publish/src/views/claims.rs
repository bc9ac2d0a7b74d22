//! Claims on pages (issue 25): "as of 28 May 2002" beside the field or sentence a claim
//! dates, and "possibly out of date" once its last known day is further back than the
//! dossier's threshold. Today comes from [`crate::time::today`], the one clock, so a
//! test fixes the day and a page built twice on one day says the same.

use super::{DateView, Result};
use dossier_model::claims::{as_of_human, is_stale, stale_after_years};
use dossier_model::{Claim, Edtf, DEFAULT_STALE_AFTER_YEARS};
use dossier_store::Store;
use serde::Serialize;

/// A claim as a page shows it and its JSON says it.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimView {
    /// The field it dates, as the record's JSON names it.
    pub field: String,
    /// The words it dates, where it dates a sentence rather than the whole field.
    pub statement: Option<String>,
    /// When it was last known to hold (`human`: the last known day's date in words).
    pub as_of: DateView,
    /// Whether more than `stale_after_years` years have passed since then.
    pub stale: bool,
    pub stale_after_years: u32,
    /// "as of 28 May 2002", and ", possibly out of date" when stale.
    pub text: String,
}

/// A claim of a dossier's section, and whether the page shows it inside the commentary
/// (at the end of the paragraph that says it) or, not found there, beside it.
#[derive(Debug, Clone, Serialize)]
pub struct SectionClaimView {
    #[serde(flatten)]
    pub claim: ClaimView,
    pub in_commentary: bool,
}

/// A section's commentary rendered with its claims marked where the text says them.
pub(super) fn marked_commentary(
    commentary: &str,
    refs: &[crate::commentary::RefLink],
    claims: Vec<ClaimView>,
) -> (String, Vec<SectionClaimView>) {
    let marks: Vec<crate::commentary::Mark> = claims
        .iter()
        .filter(|c| c.field == "commentary")
        .map(|c| crate::commentary::Mark {
            statement: c.statement.clone().unwrap_or_default(),
            note: c.text.clone(),
            datetime: c.as_of.edtf.clone(),
            stale: c.stale,
        })
        .collect();
    let (html, placed) = crate::commentary::render_marked(commentary, refs, &marks);
    let mut placed = placed.into_iter();
    let claims = claims
        .into_iter()
        .map(|claim| SectionClaimView {
            in_commentary: claim.field == "commentary" && placed.next().unwrap_or(false),
            claim,
        })
        .collect();
    (html, claims)
}

/// The views of `claims`, aged against `years` and `today` (`YYYYMMDD`).
pub fn claim_views(claims: &[Claim], years: u32, today: i64) -> Vec<ClaimView> {
    claims
        .iter()
        .map(|c| {
            let stale = is_stale(&c.as_of, years, today);
            ClaimView {
                field: c.field.clone(),
                statement: c.statement.clone(),
                as_of: DateView {
                    edtf: c.as_of.to_string(),
                    human: as_of_human(&c.as_of),
                },
                stale,
                stale_after_years: years,
                text: as_of_text(&c.as_of, stale),
            }
        })
        .collect()
}

/// "as of 28 May 2002", with ", possibly out of date" when `stale`.
pub fn as_of_text(as_of: &Edtf, stale: bool) -> String {
    let mut t = format!("as of {}", as_of_human(as_of));
    if stale {
        t.push_str(", possibly out of date");
    }
    t
}

/// The threshold of a record in `dossiers`: the strictest of theirs (a record in two
/// dossiers is flagged as soon as one of them would), or the default for a record in
/// none. Reads the dossiers only when asked, which a view does only for a record that
/// has something to date.
pub(super) fn threshold(store: &dyn Store, dossiers: &[String]) -> Result<u32> {
    let mut years: Option<u32> = None;
    for slug in dossiers {
        if let Some(d) = store.dossier(slug)? {
            let y = stale_after_years(&d);
            years = Some(years.map_or(y, |x| x.min(y)));
        }
    }
    Ok(years.unwrap_or(DEFAULT_STALE_AFTER_YEARS))
}

/// The claims of a record in `dossiers`, aged today.
pub(super) fn record_claims(
    store: &dyn Store,
    claims: &[Claim],
    dossiers: &[String],
) -> Result<Vec<ClaimView>> {
    if claims.is_empty() {
        return Ok(Vec::new());
    }
    let years = threshold(store, dossiers)?;
    Ok(claim_views(claims, years, crate::time::today()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::with_today;
    use crate::views::{body, document, dossier, topic};
    use dossier_model::Archive;
    use dossier_store::SqliteStore;

    /// The built-in archive, changed by `edit`, in a store.
    fn builtin(edit: impl FnOnce(&mut Archive)) -> SqliteStore {
        let mut a = dossier_ingest::builtin::archive().unwrap();
        edit(&mut a);
        let store = SqliteStore::in_memory().unwrap();
        store.write(&a).unwrap();
        store
    }

    fn claim(statement: Option<&str>, as_of: &str) -> Claim {
        Claim {
            field: "summary".into(),
            statement: statement.map(str::to_string),
            as_of: Edtf::parse(as_of).unwrap(),
        }
    }

    #[test]
    fn a_claim_says_its_date_and_flips_to_stale_with_the_day() {
        let claims = [claim(Some("Russia continues to take part"), "2002-05-28")];
        let fresh = claim_views(&claims, 5, 20070528);
        assert!(!fresh[0].stale);
        assert_eq!(fresh[0].text, "as of 28 May 2002");
        assert_eq!(fresh[0].as_of.edtf, "2002-05-28");
        let old = claim_views(&claims, 5, 20070529);
        assert!(old[0].stale);
        assert_eq!(old[0].text, "as of 28 May 2002, possibly out of date");
        // A longer threshold keeps it fresh.
        assert!(!claim_views(&claims, 30, 20261206)[0].stale);
        // An open interval is as of its start.
        let open = claim_views(&[claim(None, "2002-05-28/..")], 5, 20030101);
        assert_eq!(open[0].text, "as of 28 May 2002");
        assert_eq!(open[0].as_of.edtf, "2002-05-28/..");
    }

    /// The built-in dossier's dated statements on their pages, on two days: fresh in
    /// 2005, flagged in 2026; the NRC's last meeting (12 January 2022) flips in 2027.
    #[test]
    fn the_builtin_claims_flip_with_the_day() {
        let store = builtin(|_| {});
        let eapc = |day| with_today(day, || body(&store, "eapc").unwrap().unwrap());
        let c = &eapc(20050101).provenance.claims[0];
        assert_eq!(c.field, "summary");
        assert_eq!(
            c.statement.as_deref(),
            Some("Russia continued to take part in its meetings")
        );
        assert_eq!((c.stale, c.text.as_str()), (false, "as of 28 May 2002"));
        let c = &eapc(20261206).provenance.claims[0];
        assert_eq!(
            (c.stale, c.text.as_str()),
            (true, "as of 28 May 2002, possibly out of date")
        );
        let nrc = |day| with_today(day, || body(&store, "nrc").unwrap().unwrap());
        assert!(!nrc(20261206).provenance.claims[0].stale);
        assert!(nrc(20270113).provenance.claims[0].stale);
        let sar = with_today(20261206, || {
            document(&store, "sar-at-sea-work-programme-2000")
                .unwrap()
                .unwrap()
        });
        assert_eq!(sar.provenance.claims[0].field, "availability");
        assert!(sar.provenance.claims[0].stale);
        // A topic's status is aged by its own `as_of`.
        let t = with_today(20261206, || topic(&store, "search-and-rescue-at-sea"));
        let t = t.unwrap().unwrap();
        assert_eq!(
            t.status_claim.as_ref().unwrap().text,
            "as of 5 December 2000, possibly out of date"
        );
        let t = with_today(20030101, || topic(&store, "search-and-rescue-at-sea"));
        assert!(!t.unwrap().unwrap().status_claim.unwrap().stale);
    }

    /// The dossier's sentences are marked in the commentary where it says them; a
    /// dossier's own threshold decides.
    #[test]
    fn the_dossier_marks_its_sentences_and_keeps_its_threshold() {
        let store = builtin(|_| {});
        let page = with_today(20261206, || {
            dossier(&store, "nato-russia").unwrap().unwrap()
        });
        let all: Vec<&crate::views::SectionView> = {
            fn walk<'a>(
                s: &'a [crate::views::SectionView],
                out: &mut Vec<&'a crate::views::SectionView>,
            ) {
                for x in s {
                    out.push(x);
                    walk(&x.children, out);
                }
            }
            let mut out = Vec::new();
            walk(&page.sections, &mut out);
            out
        };
        let a_i_1 = all.iter().find(|s| s.key == "a-i-1").unwrap();
        assert_eq!(a_i_1.claims.len(), 2);
        assert!(a_i_1
            .claims
            .iter()
            .all(|c| c.in_commentary && c.claim.stale));
        assert_eq!(
            a_i_1.commentary_html.matches("<span class=\"as-of stale\"><time datetime=\"2002-05-28\">(as of 28 May 2002, possibly out of date)</time></span>").count(),
            2,
            "{}",
            a_i_1.commentary_html
        );
        let meetings = all
            .iter()
            .flat_map(|s| &s.lists)
            .find(|l| l.caption.as_deref() == Some("Meetings of the Permanent Joint Council"))
            .unwrap();
        assert!(
            meetings.holdings.text.starts_with(&format!(
                "The archive holds {} events of the NATO-Russia Permanent Joint Council (July 1997 – ",
                meetings.total
            )),
            "{}",
            meetings.holdings.text
        );
        assert!(meetings
            .holdings
            .text
            .ends_with("; the page listed none. The list may be incomplete."));
        assert_eq!(meetings.holdings.page_listed, Some(0));

        // A dossier that keeps claims for 30 years flags none of them in 2026.
        let store = builtin(|a| a.dossiers[0].stale_after_years = Some(30));
        let page = with_today(20261206, || {
            dossier(&store, "nato-russia").unwrap().unwrap()
        });
        assert!(!page.sections[0].children[0]
            .claims
            .iter()
            .any(|c| c.claim.stale));
        let eapc = with_today(20261206, || body(&store, "eapc").unwrap().unwrap());
        assert!(!eapc.provenance.claims[0].stale);
        assert_eq!(eapc.provenance.claims[0].stale_after_years, 30);
    }

    /// A claim's words are text on the page, whatever they hold.
    #[test]
    fn a_hostile_statement_is_escaped_on_the_page() {
        let store = builtin(|a| {
            let eapc = a.bodies.iter_mut().find(|b| b.slug == "eapc").unwrap();
            eapc.provenance.claims = vec![
                Claim {
                    field: "summary".into(),
                    statement: Some("<script>alert(1)</script>".into()),
                    as_of: Edtf::parse("2002").unwrap(),
                },
                Claim {
                    field: "predecessors".into(),
                    statement: Some("\"><img src=x onerror=alert(1)>".into()),
                    as_of: Edtf::parse("2002").unwrap(),
                },
            ];
        });
        let page = with_today(20261206, || body(&store, "eapc").unwrap().unwrap());
        let html = crate::Renderer::new()
            .render("body.html", "EAPC", &page)
            .unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(html.contains("“&lt;script&gt;alert(1)&lt;/script&gt;”: <time datetime=\"2002\">as of 2002, possibly out of date</time>"), "{html}");
        // The claim on a field the page does not date inline is listed.
        assert!(html.contains("Dated facts"), "{html}");
        assert!(
            html.contains("<span class=\"muted\">predecessors:</span>"),
            "{html}"
        );
    }
}
