//! What the caller of an import provides: how progress is shown, and how a background
//! stage gives the cores to the store's writer. The CLI draws a bar on a terminal and
//! lowers thread priorities on Linux; tests and other callers may do neither.

/// How a run shows its progress. One pass at a time: [`start`](Self::start), updates and
/// lines, then [`finish`](Self::finish).
pub trait Progress {
    /// A pass over `total` bytes of input begins (`checking`, `importing`, `comparing`).
    fn start(&mut self, label: &str, total: u64);
    /// `bytes` of the input read and `records` made so far in this pass (called for every
    /// record: an implementation draws only now and then).
    fn update(&mut self, bytes: u64, records: usize);
    /// A line for the user (a bad record, a long wait), kept apart from the progress.
    fn println(&mut self, line: &str);
    /// Work after the last record that may take seconds (the search index's last merges,
    /// the store's checkpoint), ended by [`finish`](Self::finish).
    fn finishing(&mut self, what: &str);
    /// The pass, or the finishing work, is over.
    fn finish(&mut self);
}

/// What an import needs from its caller.
pub struct Hooks<'a> {
    pub progress: &'a mut dyn Progress,
    /// Lowers the calling thread's CPU priority (and that of the threads it starts): the
    /// reader, the calling thread once the store's thread runs, the index thread and the
    /// search index's own threads call it, so that the store's writer, the slowest stage,
    /// gets the cores it waits for. The first pass and the store's thread do not.
    pub lower_priority: &'a (dyn Fn() + Sync),
}
