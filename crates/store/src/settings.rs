//! Values every server on a store must share, kept by name in the `settings` table (the
//! eleventh migration): on PostgreSQL several servers answer one client, so a key such as
//! the OAI-PMH resumption tokens' cannot live in one server's data directory.

use crate::any::Inner;
use crate::{AnyStore, StoreError};

/// The name the OAI-PMH resumption tokens' key is kept under (hex-encoded).
pub const OAI_PMH_KEY: &str = "oai-pmh-key";

/// The longest value kept: settings are keys and small values, never documents.
const MAX_VALUE: usize = 4096;

impl AnyStore {
    /// The value kept under `name`; when there is none yet, `offered` is kept first and
    /// returned. Two servers starting at once both get the one value kept first.
    pub fn setting_or_keep(&self, name: &str, offered: &str) -> Result<String, StoreError> {
        if name.is_empty() || offered.len() > MAX_VALUE || offered.contains('\0') {
            return Err(StoreError::Invalid(format!(
                "the setting {name:?} must have a name and a value of at most {MAX_VALUE} \
                 bytes without NUL"
            )));
        }
        match &self.inner {
            Inner::Sqlite(s) => s.setting_or_keep(name, offered),
            Inner::Postgres(s) => s.setting_or_keep(name, offered),
        }
    }
}
