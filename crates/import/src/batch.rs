//! How large a batch grows: small first (so that the index has work while the store
//! writes the first), full size soon after, and smaller again near the end of the input
//! (so that the last batch, stored and then indexed with nothing left to overlap, is
//! short).

/// Items in flight between the reading thread and the batcher: enough for the reader to
/// keep going while a batch is written and indexed, few enough to bound memory (a few
/// KB each).
pub(crate) const IN_FLIGHT: usize = 4096;

/// A batch is also written once it holds this many bytes of input, however few records:
/// TEI sections with their full text are large, and 10,000 of them would hold hundreds of
/// MB (with their JSON and the search index's buffers) in memory.
const BATCH_BYTES: u64 = 16 * 1024 * 1024;

/// The first batches are smaller: a batch is indexed only once it is stored, so while the
/// first one is written the index has nothing to do. The first batch is this fraction of
/// the full size (in records and in bytes), and each next one twice the last, up to the
/// full size: a small import gets a few overlapping batches, a large one soon runs at full
/// size.
const FIRST_BATCH_FRACTION: usize = 8;

/// Near the end of the input a batch holds at most this fraction of the records left
/// (estimated from the bytes left), but never fewer than the first batch. The last batch
/// is stored and then indexed with nothing else left to overlap: without it the store
/// wrote a large last batch with the other core idle, then the index took it alone.
const TAIL_FRACTION: u64 = 3;

/// How large the next batch may grow, in records and in bytes of input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchLimit {
    pub(crate) records: usize,
    pub(crate) bytes: u64,
    first_records: usize,
    full_records: usize,
}

impl BatchLimit {
    pub(crate) fn new(full_records: usize) -> Self {
        let first_records = (full_records / FIRST_BATCH_FRACTION).max(1);
        BatchLimit {
            records: first_records,
            bytes: BATCH_BYTES / FIRST_BATCH_FRACTION as u64,
            first_records,
            full_records,
        }
    }

    pub(crate) fn grow(&mut self) {
        self.records = (self.records * 2).min(self.full_records);
        self.bytes = (self.bytes * 2).min(BATCH_BYTES);
    }

    /// The records the batch being made may hold, when `done` records have come from the
    /// first `at` of `total` bytes of input: [`TAIL_FRACTION`] of those left, between the
    /// first batch's size and the current limit.
    pub(crate) fn records_now(&self, at: u64, total: u64, done: usize) -> usize {
        if done == 0 || at == 0 {
            return self.records;
        }
        let left = total.saturating_sub(at) as u128 * done as u128 / u128::from(at);
        let share = usize::try_from(left / u128::from(TAIL_FRACTION)).unwrap_or(usize::MAX);
        share.clamp(self.first_records.min(self.records), self.records)
    }
}
