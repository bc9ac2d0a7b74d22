//! See the crate root; filled in by issue 25's work.
