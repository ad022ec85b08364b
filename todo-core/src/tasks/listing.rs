//! Reading tasks a page at a time: [`Tasks::list`], and the statement each page runs.
//!
//! Every page is keyset-paged: it starts after the previous page's last task in the listing's order, with a range
//! scan of an index of `tasks` that begins with `list_id` (`tasks_by_list`, `tasks_by_list_completed`,
//! `tasks_by_list_due`), so page 1000 costs what page 1 costs. Across every list the caller can see, each list
//! gives at most one page's worth of rows and the pages are merged, so the cost grows with the number of lists, not
//! of tasks: on PostgreSQL a `LATERAL` subquery per membership, on SQLite (which has no `LATERAL`) the same
//! subquery as a correlated `IN`. Soonest-due pages read the dated tasks first, then the undated ones, each with
//! its own range scan, so no `NULL` ordering rule of either engine matters.

use uuid::Uuid;

use super::paging::{encode_cursor, ListQuery, Page, Position, Sort};
use super::repository::{columns, TaskRow, Tasks};
use super::task::Task;
use crate::clock::unix_ms;
use crate::error::{Error, Result};
use crate::roles::Role;
use crate::store::fold;
use crate::store::{access_refusal, member_may, on_connection, owner_is_current, stale_owner, Backend, Target};
use crate::store::{BindOwner as _, Owner};
use crate::tasks::paging::Assignee;

/// A value bound to a page's statement (its statement is built at run time from the filters).
#[derive(Debug, Clone)]
enum Value {
    Uuid(Uuid),
    I64(i64),
    Bool(bool),
    Text(String),
}

/// A page's statement: SQL whose own parameters start at `$4` (after the owner's), and their values in order.
#[derive(Debug, Default)]
struct Statement {
    sql: String,
    values: Vec<Value>,
}

impl Statement {
    /// Adds a value and gives its parameter (`$4`, `$5`, …).
    fn param(&mut self, value: Value) -> String {
        self.values.push(value);
        format!("${}", self.values.len() + 3)
    }
}

/// Which rows of the listing's order one statement reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Newest first, below an id.
    Created(Option<Uuid>),
    /// Dated tasks, soonest first, after a due instant and id.
    Dated(Option<(i64, Uuid)>),
    /// Undated tasks, oldest first, after an id.
    Undated(Option<Uuid>),
}

impl Phase {
    /// The `ORDER BY` terms over `alias`.
    fn order(self, alias: &str) -> String {
        match self {
            Phase::Created(_) => format!("{alias}.id DESC"),
            Phase::Dated(_) => format!("{alias}.due_at_ms, {alias}.id"),
            Phase::Undated(_) => format!("{alias}.id"),
        }
    }
}

impl Tasks {
    /// A page of the tasks the owner can see: of one list (`query.list_id`, which needs membership) or of every
    /// list they are a member of, filtered and sorted as `query` asks.
    ///
    /// Keyset paging: the cursor is the last task's position in the listing's order, and each page is a range scan
    /// per list, so page 1000 costs what page 1 costs.
    pub async fn list(&self, query: &ListQuery) -> Result<Page> {
        let position = query.checked_cursor()?;
        let limit = query.limit as usize;
        // One row more than asked tells whether another page exists, without a COUNT.
        let fetch = limit + 1;
        let mut items = match (query.sort, position) {
            (Sort::Created, position) => {
                let below = position.and_then(|position| match position {
                    Position::Created(id) => Some(id),
                    _ => None,
                });
                self.rows(query, Phase::Created(below), fetch).await?
            }
            (Sort::Due, Some(Position::Undated(after))) => self.rows(query, Phase::Undated(Some(after)), fetch).await?,
            (Sort::Due, position) => {
                let after = position.and_then(|position| match position {
                    Position::Dated(due, id) => Some((due, id)),
                    _ => None,
                });
                let mut items = self.rows(query, Phase::Dated(after), fetch).await?;
                if items.len() < fetch {
                    items.extend(self.rows(query, Phase::Undated(None), fetch - items.len()).await?);
                }
                items
            }
        };
        if items.is_empty() {
            self.explain_empty(query).await?;
        }
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| encode_cursor(query.sort, last))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// An empty page is no error, unless the owner is no longer current or is not a member of the list asked for.
    async fn explain_empty(&self, query: &ListQuery) -> Result<()> {
        let refusal = match query.list_id {
            Some(list) => {
                access_refusal(&self.store, &self.owner, Target::List(list.as_uuid()), Role::Viewer, None).await
            }
            None => stale_owner(&self.store, &self.owner).await?.map(Error::from),
        };
        refusal.map_or(Ok(()), Err)
    }

    /// Up to `fetch` tasks of one phase of the listing, in its order.
    async fn rows(&self, query: &ListQuery, phase: Phase, fetch: usize) -> Result<Vec<Task>> {
        let fetch = i64::try_from(fetch).unwrap_or(i64::MAX);
        let mut rows = match &self.store.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                let statement = sqlite_json(page_statement(query, &self.owner, phase, fetch, Engine::Sqlite));
                let json: String = on_connection!(@read pool, conn, {
                    bind_values(sqlx::query_scalar(&statement.sql).bind_owner(&self.owner), &statement.values)
                        .fetch_one(conn)
                        .await
                })?;
                sqlite::rows(&json)?
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                let statement = page_statement(query, &self.owner, phase, fetch, Engine::Postgres);
                on_connection!(@read pool, conn, {
                    bind_values(sqlx::query_as::<_, TaskRow>(&statement.sql).bind_owner(&self.owner), &statement.values)
                        .fetch_all(conn)
                        .await
                })?
            }
        };
        // SQLite's JSON aggregate does not keep the order (and sorting again costs PostgreSQL's page nothing).
        match phase {
            Phase::Created(_) => rows.sort_unstable_by_key(|row| std::cmp::Reverse(row.id)),
            Phase::Dated(_) => rows.sort_unstable_by_key(|row| (row.due_at_ms, row.id)),
            Phase::Undated(_) => rows.sort_unstable_by_key(|row| row.id),
        }
        rows.into_iter().map(Task::try_from).collect()
    }
}

/// The engine a statement is written for (they differ only in how every list's pages are merged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    #[cfg(feature = "sqlite")]
    Sqlite,
    #[cfg(feature = "postgres")]
    Postgres,
}

/// Binds a page's own values to a statement whose owner values are bound.
fn bind_values<'q, Q: BindValue<'q>>(mut statement: Q, values: &'q [Value]) -> Q {
    for value in values {
        statement = statement.bind_value(value);
    }
    statement
}

/// A sqlx statement that [`Value`]s bind to, on either engine.
trait BindValue<'q>: Sized {
    fn bind_value(self, value: &'q Value) -> Self;
}

macro_rules! bind_value_for {
    ($($statement:ident $(<$out:ident>)?),+) => {$(
        impl<'q, DB: sqlx::Database, $($out)?> BindValue<'q> for sqlx::query::$statement<'q, DB, $($out,)? DB::Arguments<'q>>
        where
            Uuid: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
            i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
            bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
            &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
        {
            fn bind_value(self, value: &'q Value) -> Self {
                match value {
                    Value::Uuid(value) => self.bind(*value),
                    Value::I64(value) => self.bind(*value),
                    Value::Bool(value) => self.bind(*value),
                    Value::Text(value) => self.bind(value.as_str()),
                }
            }
        }
    )+};
}
bind_value_for!(QueryAs<O>, QueryScalar<O>);

/// The statement of one phase of a page: `fetch` rows of the listing's order, filtered.
fn page_statement(query: &ListQuery, owner: &Owner, phase: Phase, fetch: i64, engine: Engine) -> Statement {
    let mut statement = Statement::default();
    match query.list_id {
        // One list: a range scan of its index, if the owner is a member of it.
        Some(list) => {
            let list = statement.param(Value::Uuid(list.as_uuid()));
            let conditions = conditions(&mut statement, query, owner, phase, "tasks");
            let limit = statement.param(Value::I64(fetch));
            statement.sql = format!(
                concat!(
                    "SELECT ",
                    columns!(),
                    " FROM tasks WHERE tasks.list_id = {list} AND {conditions} AND ",
                    member_may!("{list}", "1"),
                    " AND ",
                    owner_is_current!(),
                    " ORDER BY {order} LIMIT {limit}"
                ),
                list = list,
                conditions = conditions,
                order = phase.order("tasks"),
                limit = limit,
            );
        }
        // Every list the owner is a member of: at most `fetch` rows of each, merged.
        None => {
            let sql = match engine {
                #[cfg(feature = "postgres")]
                Engine::Postgres => {
                    let conditions = conditions(&mut statement, query, owner, phase, "tasks");
                    let limit = statement.param(Value::I64(fetch));
                    format!(
                        concat!(
                            "SELECT ",
                            columns!(),
                            " FROM memberships AS visible CROSS JOIN LATERAL (SELECT * FROM tasks ",
                            "WHERE tasks.list_id = visible.list_id AND {conditions} ORDER BY {order} LIMIT {limit}) AS tasks ",
                            "WHERE visible.user_id = $1 AND ",
                            owner_is_current!(),
                            " ORDER BY {order} LIMIT {limit}"
                        ),
                        conditions = conditions,
                        order = phase.order("tasks"),
                        limit = limit,
                    )
                }
                #[cfg(feature = "sqlite")]
                Engine::Sqlite => {
                    let conditions = conditions(&mut statement, query, owner, phase, "page");
                    let limit = statement.param(Value::I64(fetch));
                    format!(
                        concat!(
                            "SELECT ",
                            columns!(),
                            " FROM memberships AS visible JOIN tasks ON tasks.id IN (SELECT page.id FROM tasks AS page ",
                            "WHERE page.list_id = visible.list_id AND {conditions} ORDER BY {inner_order} LIMIT {limit}) ",
                            "WHERE visible.user_id = $1 AND ",
                            owner_is_current!(),
                            " ORDER BY {order} LIMIT {limit}"
                        ),
                        conditions = conditions,
                        inner_order = phase.order("page"),
                        order = phase.order("tasks"),
                        limit = limit,
                    )
                }
            };
            statement.sql = sql;
        }
    }
    statement
}

/// The filters and the phase's start, over the tasks of `alias`, as one SQL condition.
fn conditions(statement: &mut Statement, query: &ListQuery, owner: &Owner, phase: Phase, alias: &str) -> String {
    let mut conditions = Vec::new();
    if let Some(completed) = query.completed {
        conditions.push(format!("{alias}.completed = {}", statement.param(Value::Bool(completed))));
    }
    if let Some(before) = query.due_before {
        conditions.push(format!("{alias}.due_at_ms < {}", statement.param(Value::I64(unix_ms(before)))));
    }
    if let Some(after) = query.due_after {
        conditions.push(format!("{alias}.due_at_ms >= {}", statement.param(Value::I64(unix_ms(after)))));
    }
    if let Some(assignee) = query.assignee {
        let user = match assignee {
            Assignee::Me => owner.user_id(),
            Assignee::User(user) => user,
        };
        conditions.push(format!("{alias}.assignee_id = {}", statement.param(Value::Uuid(user.as_uuid()))));
    }
    if let Some(q) = &query.q {
        let pattern = statement.param(Value::Text(format!("%{}%", escape_like(&fold(q)))));
        conditions.push(format!(
            "({alias}.title_folded LIKE {pattern} ESCAPE '\\' OR {alias}.description_folded LIKE {pattern} ESCAPE '\\')"
        ));
    }
    match phase {
        Phase::Created(None) => {}
        Phase::Created(Some(below)) => conditions.push(format!("{alias}.id < {}", statement.param(Value::Uuid(below)))),
        Phase::Dated(after) => {
            conditions.push(format!("{alias}.due_at_ms IS NOT NULL"));
            if let Some((due, id)) = after {
                let (due, id) = (statement.param(Value::I64(due)), statement.param(Value::Uuid(id)));
                conditions.push(format!("({alias}.due_at_ms, {alias}.id) > ({due}, {id})"));
            }
        }
        Phase::Undated(after) => {
            conditions.push(format!("{alias}.due_at_ms IS NULL"));
            if let Some(id) = after {
                conditions.push(format!("{alias}.id > {}", statement.param(Value::Uuid(id))));
            }
        }
    }
    if conditions.is_empty() {
        "TRUE".to_owned()
    } else {
        conditions.join(" AND ")
    }
}

/// `text` for a `LIKE … ESCAPE '\'` pattern: its own `%`, `_` and `\` match themselves.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// Wraps a SQLite page's statement to fold its rows into one JSON array of arrays: sqlx hands SQLite rows over one
/// by one from the connection's thread, a wake-up per row that costs more than the row itself (`benches/README.md`,
/// "What limits each figure, and what was done").
#[cfg(feature = "sqlite")]
fn sqlite_json(statement: Statement) -> Statement {
    Statement {
        sql: format!(
            "SELECT json_group_array(json_array(hex(id), hex(list_id), hex(created_by), title, description, completed, \
             due_at_ms, priority, hex(assignee_id), version, created_at, updated_at)) FROM ({})",
            statement.sql
        ),
        values: statement.values,
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    //! Reading back the JSON array that [`super::sqlite_json`] folds a SQLite page into.

    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::TaskRow;
    use crate::error::{Error, Result};

    /// One element: the ids in hex (empty or null when absent), the timestamps as sqlx stores them (RFC 3339).
    /// Those are borrowed from the page's text: JSON escapes none of their characters, so reading them allocates
    /// nothing (only the title and description, which may hold escapes, become strings of their own).
    #[derive(serde::Deserialize)]
    struct JsonRow<'a>(
        &'a str,
        &'a str,
        Option<&'a str>,
        String,
        Option<String>,
        u8,
        Option<i64>,
        i16,
        Option<&'a str>,
        i64,
        &'a str,
        &'a str,
    );

    pub(super) fn rows(json: &str) -> Result<Vec<TaskRow>> {
        let rows: Vec<JsonRow<'_>> = serde_json::from_str(json).map_err(Error::internal)?;
        rows.into_iter().map(TaskRow::try_from).collect()
    }

    fn id(hex: &str) -> Result<Uuid> {
        Uuid::try_parse(hex).map_err(Error::internal)
    }

    fn optional_id(hex: Option<&str>) -> Result<Option<Uuid>> {
        hex.filter(|hex| !hex.is_empty()).map(id).transpose()
    }

    fn timestamp(text: &str) -> Result<OffsetDateTime> {
        OffsetDateTime::parse(text, &Rfc3339).map_err(Error::internal)
    }

    impl TryFrom<JsonRow<'_>> for TaskRow {
        type Error = Error;

        fn try_from(
            JsonRow(
                id_hex,
                list,
                created_by,
                title,
                description,
                completed,
                due_at_ms,
                priority,
                assignee,
                version,
                created_at,
                updated_at,
            ): JsonRow<'_>,
        ) -> Result<Self> {
            Ok(TaskRow {
                id: id(id_hex)?,
                list_id: id(list)?,
                created_by: optional_id(created_by)?,
                title,
                description,
                completed: completed != 0,
                due_at_ms,
                priority,
                assignee_id: optional_id(assignee)?,
                version,
                created_at: timestamp(created_at)?,
                updated_at: timestamp(updated_at)?,
            })
        }
    }
}
