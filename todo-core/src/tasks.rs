//! Tasks: the types, their rules, and a repository that only ever touches one owner's rows.
//!
//! Every statement below has `user_id = <owner>` in its `WHERE` clause, and a [`Tasks`] can only be made from an
//! [`Owner`]. Another user's task therefore looks exactly like a missing one: [`Error::NotFound`]. Every
//! statement also requires the owner's session to be current (it exists, is the owner's, has not expired), so
//! revoking a session or deleting the account stops task operations at once, without a separate lookup per request.

use std::fmt;
use std::str::FromStr;

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
#[cfg(feature = "sqlite")]
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{Error, FieldError, Result};
use crate::sessions::{session_is_current, unix_ms};
use crate::store::{on_connection, Backend, Store};
use crate::timestamp::now;
use crate::users::{stale_owner, Owner};

/// The most characters a title may have, as sent (surrounding whitespace included; it is trimmed afterwards).
pub const MAX_TITLE_CHARS: usize = 200;
/// The most characters a description may have.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A task's id (a UUIDv7: ids sort by creation time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(Uuid);

impl TaskId {
    /// The UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl FromStr for TaskId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(TaskId)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// The task's id.
    pub id: TaskId,
    /// The title: at most 200 characters as given, not only whitespace; stored trimmed.
    pub title: String,
    /// An optional description of at most 1000 characters.
    pub description: Option<String>,
    /// Whether the task is done.
    pub completed: bool,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// All fields of a task: the body of a create, or of a full replace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskInput {
    /// The title: at most 200 characters as given (surrounding whitespace counts), not only whitespace; it is
    /// stored trimmed.
    pub title: String,
    /// The description; `None` for no description.
    pub description: Option<String>,
    /// Whether the task is done.
    pub completed: bool,
}

impl TaskInput {
    /// A not-yet-completed task with this title and no description.
    pub fn new(title: impl Into<String>) -> Self {
        Self { title: title.into(), ..Self::default() }
    }
}

/// A partial update: fields that are `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskPatch {
    /// A new title.
    pub title: Option<String>,
    /// `Some(None)` clears the description, `Some(Some(text))` sets it.
    pub description: Option<Option<String>>,
    /// A new completion state.
    pub completed: Option<bool>,
}

/// Which page of which tasks to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Only completed (`Some(true)`) or open (`Some(false)`) tasks; all when `None`.
    pub completed: Option<bool>,
    /// Page size, 1 to 100.
    pub limit: u32,
    /// The `next_cursor` of the previous page; `None` for the first page.
    pub cursor: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self { completed: None, limit: DEFAULT_PAGE_SIZE, cursor: None }
    }
}

/// One page of tasks, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The tasks on this page.
    pub items: Vec<Task>,
    /// Pass this back as [`ListQuery::cursor`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The tasks of one owner. Get one from [`crate::Todo::tasks`].
#[derive(Debug, Clone)]
pub struct Tasks {
    store: Store,
    /// Every statement is keyed on the owner's id and requires the owner's session to be current.
    owner: Owner,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
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
            id: TaskId(row.id),
            title: row.title,
            description: row.description,
            completed: row.completed,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[cfg(feature = "sqlite")]
/// A page of [`TaskRow`]s as one SQLite JSON array of arrays. The element order is not guaranteed (an `ORDER BY`
/// inside the aggregate would sort the page a second time), so the caller sorts.
const SQLITE_PAGE_AS_JSON: &str =
    "json_group_array(json_array(hex(id), title, description, completed, created_at, updated_at))";

#[cfg(feature = "sqlite")]
/// One element of [`SQLITE_PAGE_AS_JSON`]: the id in hex, the timestamps as sqlx stores them (RFC 3339).
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
            sqlx::query_as::<_, TaskRow>(concat!(
                "INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at) ",
                "SELECT $1, $2, $3, $4, $5, $6, $6 WHERE ",
                session_is_current!("$2", "$7", "$8"),
                " RETURNING ",
                columns!()
            ))
            .bind(Uuid::now_v7())
            .bind(self.owner.user_id().as_uuid())
            .bind(&title)
            .bind(&description)
            .bind(input.completed)
            .bind(created_at)
            .bind(self.owner.session_id().as_uuid())
            .bind(unix_ms(created_at))
            .fetch_optional(conn)
            .await
        })?;
        // No row means the owner is not current (a task of one's own cannot otherwise be refused).
        self.found(row).await
    }

    /// The task with this id, if it is the owner's.
    pub async fn get(&self, id: TaskId) -> Result<Task> {
        let row = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, TaskRow>(concat!(
                "SELECT ",
                columns!(),
                " FROM tasks WHERE id = $1 AND user_id = $2 AND ",
                session_is_current!("$2", "$3", "$4")
            ))
            .bind(id.0)
            .bind(self.owner.user_id().as_uuid())
            .bind(self.owner.session_id().as_uuid())
            .bind(unix_ms(now()))
            .fetch_optional(conn)
            .await
        })?;
        self.found(row).await
    }

    /// A page of the owner's tasks, newest first.
    ///
    /// Keyset paging: the cursor is the last id of the previous page, and each page is one range scan of the
    /// `(user_id, id)` index, so page 1000 costs what page 1 costs.
    pub async fn list(&self, query: &ListQuery) -> Result<Page> {
        let mut errors = Vec::new();
        if !(1..=MAX_PAGE_SIZE).contains(&query.limit) {
            errors.push(FieldError::new("limit", format!("must be from 1 to {MAX_PAGE_SIZE}")));
        }
        let cursor = match query.cursor.as_deref().map(decode_cursor).transpose() {
            Ok(cursor) => cursor,
            Err(error) => {
                errors.push(error);
                None
            }
        };
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let select = concat!(
            "SELECT ",
            columns!(),
            " FROM tasks WHERE user_id = $1 AND ",
            session_is_current!("$1", "$2", "$3")
        );
        let sql = match (query.completed.is_some(), cursor.is_some()) {
            (false, false) => format!("{select} ORDER BY id DESC LIMIT $4"),
            (true, false) => format!("{select} AND completed = $4 ORDER BY id DESC LIMIT $5"),
            (false, true) => format!("{select} AND id < $4 ORDER BY id DESC LIMIT $5"),
            (true, true) => format!("{select} AND completed = $4 AND id < $5 ORDER BY id DESC LIMIT $6"),
        };
        // One row more than asked tells whether another page exists, without a COUNT.
        let rows = self.page_rows(&sql, query.completed, cursor, i64::from(query.limit) + 1).await?;
        if rows.is_empty() {
            // An empty page is either an owner without (such) tasks, or a revoked token or deleted account.
            match self.why_no_row().await {
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

    /// Runs a list statement of [`Tasks::list`] with its parameters in order: owner, session, now, then
    /// `completed` and `cursor` when present, then the row count.
    async fn page_rows(
        &self,
        sql: &str,
        completed: Option<bool>,
        cursor: Option<Uuid>,
        fetch: i64,
    ) -> Result<Vec<TaskRow>> {
        macro_rules! bind_page {
            ($statement:expr) => {{
                let mut statement = $statement
                    .bind(self.owner.user_id().as_uuid())
                    .bind(self.owner.session_id().as_uuid())
                    .bind(unix_ms(now()));
                if let Some(completed) = completed {
                    statement = statement.bind(completed);
                }
                if let Some(cursor) = cursor {
                    statement = statement.bind(cursor);
                }
                statement.bind(fetch)
            }};
        }
        Ok(match &self.store.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                // sqlx hands SQLite rows over one by one from the connection's thread, a wake-up per row that costs
                // more than the row itself; SQLite folds the page into one JSON value instead (benches/README.md).
                let sql = format!("SELECT {SQLITE_PAGE_AS_JSON} FROM ({sql})");
                let json: String =
                    on_connection!(@read pool, conn, bind_page!(sqlx::query_scalar(&sql)).fetch_one(conn).await)?;
                let rows: Vec<SqliteJsonRow> = serde_json::from_str(&json).map_err(Error::internal)?;
                let mut rows = rows.into_iter().map(TaskRow::try_from).collect::<Result<Vec<_>>>()?;
                rows.sort_unstable_by_key(|row| std::cmp::Reverse(row.id)); // newest first
                rows
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
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
        let row = on_connection!(self.store, |conn| {
            sqlx::query_as::<_, TaskRow>(concat!(
                "UPDATE tasks SET completed = NOT completed, updated_at = $1 WHERE id = $2 AND user_id = $3 AND ",
                session_is_current!("$3", "$4", "$5"),
                " RETURNING ",
                columns!()
            ))
            .bind(now())
            .bind(id.0)
            .bind(self.owner.user_id().as_uuid())
            .bind(self.owner.session_id().as_uuid())
            .bind(unix_ms(now()))
            .fetch_optional(conn)
            .await
        })?;
        self.found(row).await
    }

    /// Deletes the task.
    pub async fn delete(&self, id: TaskId) -> Result<()> {
        let deleted = on_connection!(self.store, |conn| {
            sqlx::query(concat!(
                "DELETE FROM tasks WHERE id = $1 AND user_id = $2 AND ",
                session_is_current!("$2", "$3", "$4")
            ))
            .bind(id.0)
            .bind(self.owner.user_id().as_uuid())
            .bind(self.owner.session_id().as_uuid())
            .bind(unix_ms(now()))
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        })?;
        if deleted == 0 {
            return Err(self.why_no_row().await);
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
        let row = on_connection!(self.store, |conn| {
            sqlx::query_as::<_, TaskRow>(concat!(
                "UPDATE tasks SET title = COALESCE($1, title), ",
                "description = CASE WHEN $2 THEN $3 ELSE description END, ",
                "completed = COALESCE($4, completed), ",
                // `updated_at` moves only when a value really changes (SET sees the old row on both engines).
                "updated_at = CASE WHEN COALESCE($1, title) IS DISTINCT FROM title ",
                "OR (CASE WHEN $2 THEN $3 ELSE description END) IS DISTINCT FROM description ",
                "OR COALESCE($4, completed) IS DISTINCT FROM completed THEN $5 ELSE updated_at END ",
                "WHERE id = $6 AND user_id = $7 AND ",
                session_is_current!("$7", "$8", "$9"),
                " RETURNING ",
                columns!()
            ))
            .bind(&title)
            .bind(description.is_some())
            .bind(description.clone().flatten())
            .bind(completed)
            .bind(now())
            .bind(id.0)
            .bind(self.owner.user_id().as_uuid())
            .bind(self.owner.session_id().as_uuid())
            .bind(unix_ms(now()))
            .fetch_optional(conn)
            .await
        })?;
        self.found(row).await
    }

    /// The task a single-row statement returned, or why it returned none.
    async fn found(&self, row: Option<TaskRow>) -> Result<Task> {
        match row {
            Some(row) => Ok(row.into()),
            None => Err(self.why_no_row().await),
        }
    }

    /// Why a statement matched no row, asked only on that (rare) path: the account is gone
    /// ([`crate::TokenError::UnknownUser`]), its tokens were revoked since this owner was allowed
    /// ([`crate::TokenError::Revoked`]), or the task is not the owner's ([`Error::NotFound`]).
    async fn why_no_row(&self) -> Error {
        match stale_owner(&self.store, &self.owner).await {
            Ok(Some(stale)) => stale.into(),
            Ok(None) => Error::NotFound,
            Err(error) => error,
        }
    }
}

type CheckedFields = (Option<String>, Option<Option<String>>);

/// PostgreSQL text cannot hold U+0000, so no backend accepts it: the same input gets the same answer on both.
const NO_NUL: &str = "must not contain U+0000 (the NUL character)";

/// Trims and checks the title and description that are present, collecting every broken rule.
fn check_fields(title: Option<String>, description: Option<Option<String>>) -> Result<CheckedFields> {
    let mut errors = Vec::new();
    // The length counts the title as sent, and "blank" is Unicode White_Space (what `trim` removes): exactly
    // what the OpenAPI document states with `maxLength` and its pattern, so both accept the same titles.
    if let Some(title) = &title {
        if title.chars().count() > MAX_TITLE_CHARS {
            errors.push(FieldError::new("title", format!("must be at most {MAX_TITLE_CHARS} characters")));
        } else if title.trim().is_empty() {
            errors.push(FieldError::new("title", "must not be empty"));
        } else if title.contains('\0') {
            errors.push(FieldError::new("title", NO_NUL));
        }
    }
    let title = title.map(|title| title.trim().to_owned());
    if let Some(Some(description)) = &description {
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            errors.push(FieldError::new("description", format!("must be at most {MAX_DESCRIPTION_CHARS} characters")));
        } else if description.contains('\0') {
            errors.push(FieldError::new("description", NO_NUL));
        }
    }
    if errors.is_empty() {
        Ok((title, description))
    } else {
        Err(Error::Validation(errors))
    }
}

/// Cursors are the last id's 16 bytes in unpadded base64url: always 22 characters of `[A-Za-z0-9_-]`.
/// Decoding ignores the 4 spare bits of the last character, so every string of that shape is a position.
const CURSOR: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

fn encode_cursor(last: TaskId) -> String {
    CURSOR.encode(last.0.as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<Uuid, FieldError> {
    CURSOR
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| FieldError::new("cursor", "is not a cursor from a previous page"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_200_characters_as_sent_is_the_limit() {
        let (title, _) = check_fields(Some(format!(" {} ", "é".repeat(198))), None).expect("valid");
        assert_eq!(title.expect("present").chars().count(), 198, "stored trimmed");
        assert!(check_fields(Some("é".repeat(200)), None).is_ok());
        for too_long in ["é".repeat(201), format!(" {} ", "é".repeat(199))] {
            let error = check_fields(Some(too_long), None).unwrap_err();
            assert_eq!(error.field_errors(), [FieldError::new("title", "must be at most 200 characters")]);
        }
    }

    #[test]
    fn a_blank_title_is_empty() {
        for blank in ["", "   ", "\t\n", "\u{b}", "\u{85}\u{a0}\u{3000}\u{2028}"] {
            let error = check_fields(Some(blank.into()), None).unwrap_err();
            assert_eq!(error.field_errors()[0].message, "must not be empty");
        }
        assert!(check_fields(Some("x".into()), None).is_ok());
    }

    #[test]
    fn nul_is_refused_in_titles_and_descriptions() {
        let error = check_fields(Some("a\u{0}b".into()), Some(Some("c\u{0}".into()))).unwrap_err();
        assert_eq!(error.field_errors(), [FieldError::new("title", NO_NUL), FieldError::new("description", NO_NUL)]);
        assert!(check_fields(Some("a\u{1}b".into()), Some(Some("🦀 c".into()))).is_ok(), "other characters are fine");
    }

    #[test]
    fn descriptions_allow_1000_characters() {
        assert!(check_fields(None, Some(Some("é".repeat(1000)))).is_ok());
        let error = check_fields(Some(String::new()), Some(Some("é".repeat(1001)))).unwrap_err();
        let fields: Vec<_> = error.field_errors().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "description"]);
    }

    #[test]
    fn every_22_character_base64url_string_is_a_cursor() {
        for cursor in ["AAAAAAAAAAAAAAAAAAAAAA", "__________________________"[..22].as_ref(), "Zz9-_0aA1bB2cC3dD4eE5f"]
        {
            assert!(decode_cursor(cursor).is_ok(), "{cursor}");
        }
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_a_cursor_error() {
        let id = TaskId(Uuid::now_v7());
        assert_eq!(decode_cursor(&encode_cursor(id)), Ok(id.0));
        for garbage in ["", "abc", "!!!!", &CURSOR.encode([0u8; 15]), &CURSOR.encode([0u8; 17])] {
            assert_eq!(decode_cursor(garbage).unwrap_err().field, "cursor", "{garbage:?}");
        }
    }
}
