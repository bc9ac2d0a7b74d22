//! The `settings` table on SQLite (see [`crate::settings`]).

use super::SqliteStore;
use crate::StoreError;
use rusqlite::params;

impl SqliteStore {
    /// See [`crate::AnyStore::setting_or_keep`]: one transaction on the writer's
    /// connection, so a second process's offer finds the first one's value.
    pub(crate) fn setting_or_keep(&self, name: &str, offered: &str) -> Result<String, StoreError> {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
            params![name, offered],
        )?;
        let kept: String =
            tx.query_row("SELECT value FROM settings WHERE name = ?1", [name], |r| {
                r.get(0)
            })?;
        tx.commit()?;
        Ok(kept)
    }
}
