//! The case-folded copies of task titles and descriptions that the `q` filter matches, and the rewrite that
//! migration 0011 asks for on both engines: SQLite's `lower()` folds ASCII letters only, and PostgreSQL's depends on
//! the database's locale and is not Rust's `to_lowercase` even under UTF-8 (a final sigma), so [`Store::migrate`]
//! folds the tasks that existed before the migration again, here, once (the claim is the row of
//! `pending_rewrites`, as for `canonical_emails.rs`). Only rows whose text is not ASCII can change, and only those
//! are written.

use uuid::Uuid;

use super::{on_connection, Store};
use crate::error::Result;

/// This rewrite's row in `pending_rewrites`.
const NAME: &str = "folded_tasks";
/// Tasks read per statement.
const BATCH: i64 = 1_000;

/// Case-folds text for the `q` filter: Unicode lower case, done here so that both engines match alike.
pub(crate) fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// Folds the tasks again if migration 0011 asked for it and no one has yet.
pub(super) async fn fold_if_pending(store: &Store) -> Result<()> {
    let folded = on_connection!(store, |conn| async {
        let mut tx = conn.begin().await?;
        let claimed = sqlx::query("DELETE FROM pending_rewrites WHERE name = $1").bind(NAME).execute(&mut *tx).await?;
        if claimed.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(0_u64);
        }
        let mut folded = 0;
        let mut after = Uuid::nil();
        loop {
            let batch = sqlx::query_as::<_, (Uuid, String, Option<String>)>(
                "SELECT id, title, description FROM tasks WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = batch.last() else { break };
            after = last.0;
            for (id, title, description) in batch {
                if title.is_ascii() && description.as_deref().is_none_or(str::is_ascii) {
                    continue;
                }
                sqlx::query("UPDATE tasks SET title_folded = $1, description_folded = $2 WHERE id = $3")
                    .bind(fold(&title))
                    .bind(description.as_deref().map(fold))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                folded += 1;
            }
        }
        tx.commit().await.map(|()| folded)
    }
    .await)?;
    if folded > 0 {
        tracing::info!(tasks = folded, "folded the case of tasks with non-ASCII text for search (migration 0011)");
    }
    Ok(())
}
