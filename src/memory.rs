//! How the process asks the kernel for memory.
//!
//! mimalloc marks its arenas for transparent huge pages (`madvise(MADV_HUGEPAGE)`), and
//! this machine's kernel (`enabled` and `defrag` both `madvise`) then backs each first touch
//! with a 2 MiB page: it zeroes all of it, and may compact memory first to find one. A
//! command that lives a fraction of a second and touches its heap sparsely pays for that:
//! a profile of the visits corpus's import put a third of its samples in the kernel's
//! `clear_page_erms` under `do_huge_pmd_anonymous_page`, its system time varied widely
//! from run to run, and with huge pages off the peak memory halved (BENCHMARKS.md).
//!
//! Only imports turn them off. A process that searches keeps them: the search bench was
//! measurably slower without (BENCHMARKS.md), huge pages sparing the TLB on its large
//! buffers.

/// Turns transparent huge pages off for this process (Linux), unless the person running it
/// chose with `MIMALLOC_ALLOW_THP` (mimalloc's own switch, which it reads at start-up). Only
/// speed depends on it, so a kernel that refuses is ignored.
pub fn prefer_small_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn huge_pages_are_off_once_asked_unless_mimalloc_was_told_otherwise() {
        // Tests share one process, and no other test depends on huge pages.
        super::prefer_small_pages();
        let off = rustix::thread::transparent_huge_pages_are_disabled().expect("prctl");
        let chosen = std::env::var_os("MIMALLOC_ALLOW_THP");
        // Unset: `prefer_small_pages` turns them off. `0`: mimalloc turns them off itself
        // when it starts (the same prctl). Any other value leaves them on.
        assert_eq!(
            off,
            chosen.is_none() || chosen.as_deref() == Some("0".as_ref())
        );
    }
}
