//! The `settings` table on PostgreSQL (see [`crate::settings`]).

use super::{off_runtime, PgStore};
use crate::StoreError;

impl PgStore {
    /// See [`crate::AnyStore::setting_or_keep`]: `ON CONFLICT DO NOTHING` then a read in
    /// one transaction, so servers starting together all get the value kept first.
    pub(crate) fn setting_or_keep(&self, name: &str, offered: &str) -> Result<String, StoreError> {
        off_runtime(|| {
            let mut client = self.client()?;
            let mut tx = client.transaction()?;
            tx.execute(
                "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                &[&name, &offered],
            )?;
            let kept: String = tx
                .query_one("SELECT value FROM settings WHERE name = $1", &[&name])?
                .try_get(0)?;
            tx.commit()?;
            Ok(kept)
        })
    }
}
