//! The task repository: [`Tasks`], one owner's tasks, and the SQL that reads and writes them.
//!
//! Every statement here has `user_id = $1` (the owner) in its `WHERE` clause, and carries [`owner_is_current!`]:
//! the owner's values are its parameters `$1` to `$3` (bound first, by [`BindOwner::bind_owner`]), its own start at
//! `$4`. Another user's task therefore looks exactly like a missing one, and a revoked session or a deleted account
//! stops task operations at once.

#[cfg(feature = "sqlite")]
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use super::paging::{encode_cursor, ListQuery, Page};
use super::task::{check_fields, Task, TaskInput, TaskPatch};
use crate::clock::{now, unix_ms};
use crate::error::{Error, Result};
use crate::ids::TaskId;
use crate::store::{not_found_or_refusal, on_connection, owner_is_current, Backend, BindOwner as _, Owner, Store};

/// The tasks of one owner. Get one from [`crate::Todo::tasks`].
#[derive(Debug, Clone)]
pub struct Tasks {
    pub(super) store: Store,
    /// Every statement is keyed on the owner's id and requires the owner's session to be current.
    pub(super) owner: Owner,
}

#[derive(sqlx::FromRow)]
pub(super) struct TaskRow {
    id: Uuid,
    title: String,
    description: Option<String>,
    completed: bool,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl From<TaskRow> for Task {
    fn from(row: TaskRow) -> Self {
        Task {
            id: TaskId::from_uuid(row.id),
            title: row.title,
            description: row.description,
            completed: row.completed,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[cfg(feature = "sqlite")]
/// One element of the JSON array [`list_statements!`] folds a SQLite page into: the id in hex, the timestamps as
/// sqlx stores them (RFC 3339).
#[derive(serde::Deserialize)]
struct SqliteJsonRow(String, String, Option<String>, u8, String, String);

#[cfg(feature = "sqlite")]
impl TryFrom<SqliteJsonRow> for TaskRow {
    type Error = Error;

    fn try_from(
        SqliteJsonRow(id, title, description, completed, created_at, updated_at): SqliteJsonRow,
    ) -> Result<Self> {
        let timestamp = |text: &str| OffsetDateTime::parse(text, &Rfc3339).map_err(Error::internal);
        Ok(TaskRow {
            id: Uuid::try_parse(&id).map_err(Error::internal)?,
            title,
            description,
            completed: completed != 0,
            created_at: timestamp(&created_at)?,
            updated_at: timestamp(&updated_at)?,
        })
    }
}

/// The columns every query returns, in [`TaskRow`]'s order.
macro_rules! columns {
    () => {
        "id, title, description, completed, created_at, updated_at"
    };
}

/// The statement that creates a task on behalf of the owner (`$1` to `$3`), with id `$4`, title `$5`, description
/// `$6`, completed `$7` and the time `$8`: no row when the owner is not current.
pub(super) const INSERT_TASK: &str = concat!(
    "INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at) ",
    "SELECT $4, $1, $5, $6, $7, $8, $8 WHERE ",
    owner_is_current!(),
    " RETURNING ",
    columns!()
);

/// The statements of [`Tasks::list`], indexed by [`list_statement`]: the owner's tasks newest first, filtered by
/// `completed` (`$4`) and below a cursor (the next parameter) when given, with the row count last. Each is a
/// compile-time string (this is a hot path). On SQLite the same statement is wrapped to fold the page into one
/// JSON array of arrays: sqlx hands SQLite rows over one by one from the connection's thread, a wake-up per row
/// that costs more than the row itself (`benches/README.md`, "What limits each figure, and what was done"). The
/// aggregate's element order is not guaranteed (an `ORDER BY` inside it would sort the page a second time), so the
/// caller sorts.
macro_rules! list_statements {
    ($($tail:literal),+) => {
        #[cfg(feature = "postgres")]
        const LIST: [&str; 4] = [$(concat!(
            "SELECT ", columns!(), " FROM tasks WHERE user_id = $1 AND ", owner_is_current!(), $tail
        )),+];
        #[cfg(feature = "sqlite")]
        const SQLITE_LIST: [&str; 4] = [$(concat!(
            "SELECT json_group_array(json_array(hex(id), title, description, completed, created_at, updated_at)) ",
            "FROM (SELECT ", columns!(), " FROM tasks WHERE user_id = $1 AND ", owner_is_current!(), $tail, ")"
        )),+];
    };
}
list_statements!(
    " ORDER BY id DESC LIMIT $4",
    " AND completed = $4 ORDER BY id DESC LIMIT $5",
    " AND id < $4 ORDER BY id DESC LIMIT $5",
    " AND completed = $4 AND id < $5 ORDER BY id DESC LIMIT $6"
);

/// Which of the [`list_statements!`] a page needs.
fn list_statement(completed: Option<bool>, cursor: Option<Uuid>) -> usize {
    usize::from(completed.is_some()) + 2 * usize::from(cursor.is_some())
}

/// Runs `$sql`, a statement on behalf of `$tasks`' owner that returns at most one task row (`reading` first for
/// one that only reads, so that it may run again on another connection), with the owner's values bound first and
/// then each `$value` from `$4` on; evaluates to the task, or to why there is none.
macro_rules! one_task {
    (reading $tasks:expr, $sql:expr $(, $value:expr)* $(,)?) => {{
        let row = on_connection!(reading $tasks.store, |conn| one_task!(@fetch $tasks, conn, $sql $(, $value)*))?;
        $tasks.found(row).await
    }};
    ($tasks:expr, $sql:expr $(, $value:expr)* $(,)?) => {{
        let row = on_connection!($tasks.store, |conn| one_task!(@fetch $tasks, conn, $sql $(, $value)*))?;
        $tasks.found(row).await
    }};
    (@fetch $tasks:expr, $conn:ident, $sql:expr $(, $value:expr)*) => {
        sqlx::query_as::<_, TaskRow>($sql).bind_owner(&$tasks.owner)$(.bind($value))*.fetch_optional($conn).await
    };
}

impl Tasks {
    pub(crate) fn new(store: Store, owner: &Owner) -> Self {
        Self { store, owner: *owner }
    }

    /// Creates a task. Titles are trimmed; every broken rule is reported in one [`Error::Validation`].
    pub async fn create(&self, input: TaskInput) -> Result<Task> {
        let (title, description) = check_fields(Some(input.title), Some(input.description))?;
        let title = title.unwrap_or_default();
        let description = description.flatten();
        let created_at = now();
        let row = on_connection!(self.store, |conn| {
            sqlx::query_as::<_, TaskRow>(INSERT_TASK)
                .bind_owner_at(&self.owner, unix_ms(created_at))
                .bind(Uuid::now_v7())
                .bind(&title)
                .bind(&description)
                .bind(input.completed)
                .bind(created_at)
                .fetch_optional(conn)
                .await
        })?;
        // No row means the owner is not current (a task of one's own cannot otherwise be refused).
        self.found(row).await
    }

    /// The task with this id, if it is the owner's.
    pub async fn get(&self, id: TaskId) -> Result<Task> {
        one_task!(
            reading self,
            concat!("SELECT ", columns!(), " FROM tasks WHERE id = $4 AND user_id = $1 AND ", owner_is_current!()),
            id.as_uuid()
        )
    }

    /// A page of the owner's tasks, newest first.
    ///
    /// Keyset paging: the cursor is the last id of the previous page, and each page is one range scan of the
    /// `(user_id, id)` index, so page 1000 costs what page 1 costs.
    pub async fn list(&self, query: &ListQuery) -> Result<Page> {
        let cursor = query.checked_cursor()?;
        // One row more than asked tells whether another page exists, without a COUNT.
        let rows = self.page_rows(query.completed, cursor, i64::from(query.limit) + 1).await?;
        if rows.is_empty() {
            // An empty page is either an owner without (such) tasks, or a revoked token or deleted account.
            match not_found_or_refusal(&self.store, &self.owner).await {
                Error::NotFound => {}
                error => return Err(error),
            }
        }
        let mut items: Vec<Task> = rows.into_iter().map(Task::from).collect();
        let next_cursor = if items.len() > query.limit as usize {
            items.truncate(query.limit as usize);
            items.last().map(|last| encode_cursor(last.id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Runs the list statement for `completed` and `cursor` (see [`list_statements!`]) with its parameters in
    /// order: the owner's, then `completed` and `cursor` when present, then the row count.
    async fn page_rows(&self, completed: Option<bool>, cursor: Option<Uuid>, fetch: i64) -> Result<Vec<TaskRow>> {
        macro_rules! bind_page {
            ($statement:expr) => {{
                let mut statement = $statement.bind_owner(&self.owner);
                if let Some(completed) = completed {
                    statement = statement.bind(completed);
                }
                if let Some(cursor) = cursor {
                    statement = statement.bind(cursor);
                }
                statement.bind(fetch)
            }};
        }
        let statement = list_statement(completed, cursor);
        Ok(match &self.store.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                let sql = SQLITE_LIST[statement];
                let json: String =
                    on_connection!(@read pool, conn, bind_page!(sqlx::query_scalar(sql)).fetch_one(conn).await)?;
                let rows: Vec<SqliteJsonRow> = serde_json::from_str(&json).map_err(Error::internal)?;
                let mut rows = rows.into_iter().map(TaskRow::try_from).collect::<Result<Vec<_>>>()?;
                rows.sort_unstable_by_key(|row| std::cmp::Reverse(row.id)); // newest first
                rows
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                let sql = LIST[statement];
                on_connection!(@read pool, conn, bind_page!(sqlx::query_as::<_, TaskRow>(sql)).fetch_all(conn).await)?
            }
        })
    }

    /// Replaces every field of the task (an absent description clears it).
    pub async fn replace(&self, id: TaskId, input: TaskInput) -> Result<Task> {
        let (title, description) = check_fields(Some(input.title), Some(input.description))?;
        self.write(id, title, Some(description.flatten()), Some(input.completed)).await
    }

    /// Changes only the fields that are `Some`.
    pub async fn update(&self, id: TaskId, patch: TaskPatch) -> Result<Task> {
        let (title, description) = check_fields(patch.title, patch.description)?;
        self.write(id, title, description, patch.completed).await
    }

    /// Flips `completed`, atomically in the database.
    pub async fn toggle(&self, id: TaskId) -> Result<Task> {
        one_task!(
            self,
            concat!(
                "UPDATE tasks SET completed = NOT completed, updated_at = $4 WHERE id = $5 AND user_id = $1 AND ",
                owner_is_current!(),
                " RETURNING ",
                columns!()
            ),
            now(),
            id.as_uuid()
        )
    }

    /// Deletes the task.
    pub async fn delete(&self, id: TaskId) -> Result<()> {
        let deleted = on_connection!(self.store, |conn| {
            sqlx::query(concat!("DELETE FROM tasks WHERE id = $4 AND user_id = $1 AND ", owner_is_current!()))
                .bind_owner(&self.owner)
                .bind(id.as_uuid())
                .execute(conn)
                .await
                .map(|done| done.rows_affected())
        })?;
        if deleted == 0 {
            return Err(not_found_or_refusal(&self.store, &self.owner).await);
        }
        Ok(())
    }

    /// One `UPDATE` for replace and patch: `None` keeps a column, so the change is a single atomic statement;
    /// `updated_at` changes only if some value does.
    async fn write(
        &self,
        id: TaskId,
        title: Option<String>,
        description: Option<Option<String>>,
        completed: Option<bool>,
    ) -> Result<Task> {
        one_task!(
            self,
            concat!(
                "UPDATE tasks SET title = COALESCE($4, title), ",
                "description = CASE WHEN $5 THEN $6 ELSE description END, ",
                "completed = COALESCE($7, completed), ",
                // `updated_at` moves only when a value really changes (SET sees the old row on both engines).
                "updated_at = CASE WHEN COALESCE($4, title) IS DISTINCT FROM title ",
                "OR (CASE WHEN $5 THEN $6 ELSE description END) IS DISTINCT FROM description ",
                "OR COALESCE($7, completed) IS DISTINCT FROM completed THEN $8 ELSE updated_at END ",
                "WHERE id = $9 AND user_id = $1 AND ",
                owner_is_current!(),
                " RETURNING ",
                columns!()
            ),
            &title,
            description.is_some(),
            description.clone().flatten(),
            completed,
            now(),
            id.as_uuid()
        )
    }

    /// The task a single-row statement returned, or why it returned none ([`not_found_or_refusal`]).
    pub(super) async fn found(&self, row: Option<TaskRow>) -> Result<Task> {
        match row {
            Some(row) => Ok(row.into()),
            None => Err(not_found_or_refusal(&self.store, &self.owner).await),
        }
    }
}
