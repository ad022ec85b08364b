//! Fixtures shared by the criterion benchmarks: a configuration, signed-up users, a scratch PostgreSQL database
//! per run, and bulk seeding of tasks in plain SQL into the schema of `todo-core/migrations/`.
//!
//! Seeding writes rows directly (batched multi-row `INSERT`s in one transaction) because 100,000 tasks through
//! `Tasks::create` would take minutes of one-row transactions; the values are bound with the same Rust types the
//! repository binds (`Uuid`, `OffsetDateTime`, `String`, `bool`), so sqlx stores them exactly as `todo-core` does.
#![forbid(unsafe_code)]

use std::str::FromStr;

use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, QueryBuilder};
use time::OffsetDateTime;
use todo_core::{Config, Owner, Todo};
use uuid::Uuid;

/// The HS256 secret of every benchmark (32 bytes or more, as `todo-core` requires).
pub const SECRET: &str = "benchmark secret that is at least 32 bytes long";
/// The password of every user the fixtures sign up.
pub const PASSWORD: &str = "correct horse battery";
/// Rows per `INSERT` when seeding: 10 binds each stays far below SQLite's and PostgreSQL's bind limits.
const ROWS_PER_INSERT: usize = 1_000;

/// Anything that can go wrong while preparing a benchmark: fixtures fail loudly, they never measure a broken setup.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A configuration for `database_url` at bcrypt cost 4 (fixtures sign users up; only the password benches hash
/// at cost 12).
pub fn config(database_url: &str) -> Result<Config, BoxError> {
    Ok(Config::new(SECRET)?.with_bcrypt_cost(4)?.with_database_url(database_url))
}

/// Signs `email` up and logs in: the `Owner` that task operations need, through the public API only.
pub async fn owner(todo: &Todo, email: &str) -> Result<Owner, BoxError> {
    todo.accounts().signup(email, PASSWORD).await?;
    Ok(todo.accounts().login(email, PASSWORD).await?.owner)
}

/// Inserts `count` tasks by `owner` into their inbox in the database at `url` (SQLite or PostgreSQL), ids UUIDv7 in
/// creation order like `Tasks::create` makes them, in one transaction.
pub async fn seed_tasks(url: &str, owner: &Owner, count: usize) -> Result<(), BoxError> {
    let user_id = owner.user_id().as_uuid();
    if url.starts_with("sqlite:") {
        let mut connection = SqliteConnectOptions::from_str(url)?.connect().await?;
        let mut transaction = connection.begin().await?;
        let inbox: Uuid = sqlx::query_scalar(INBOX).bind(user_id).fetch_one(&mut *transaction).await?;
        for start in (0..count).step_by(ROWS_PER_INSERT) {
            insert_batch(user_id, inbox, start, count.min(start + ROWS_PER_INSERT))
                .build()
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        connection.close().await?;
    } else {
        let mut connection = PgConnectOptions::from_str(url)?.connect().await?;
        let mut transaction = connection.begin().await?;
        let inbox: Uuid = sqlx::query_scalar(INBOX).bind(user_id).fetch_one(&mut *transaction).await?;
        for start in (0..count).step_by(ROWS_PER_INSERT) {
            insert_batch(user_id, inbox, start, count.min(start + ROWS_PER_INSERT))
                .build()
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        // Fresh statistics, as autovacuum would soon gather, so the planner sees the real table.
        sqlx::query("ANALYZE tasks").execute(&mut connection).await?;
        connection.close().await?;
    }
    Ok(())
}

/// The id of a user's inbox (`$1`).
const INBOX: &str = "SELECT id FROM lists WHERE owner_id = $1 AND inbox";

/// One multi-row `INSERT` of tasks `start..end` by `user_id` into `list_id` (titles "Task <n>", every third one
/// completed, every other one due, a minute apart from a day from now, so a soonest-due page reads dated tasks).
fn insert_batch<'a, DB>(user_id: Uuid, list_id: Uuid, start: usize, end: usize) -> QueryBuilder<'a, DB>
where
    DB: sqlx::Database,
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    OffsetDateTime: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let mut insert = QueryBuilder::new(
        "INSERT INTO tasks (id, list_id, created_by, title, title_folded, description, completed, due_at_ms, \
                           created_at, updated_at) ",
    );
    insert.push_values(start..end, |mut row, n| {
        let now = OffsetDateTime::now_utc();
        let tomorrow_ms = i64::try_from((now.unix_timestamp_nanos() / 1_000_000) + 86_400_000).unwrap_or(i64::MAX);
        let minutes = i64::try_from(n).unwrap_or(i64::MAX / 60_000);
        row.push_bind(Uuid::now_v7())
            .push_bind(list_id)
            .push_bind(user_id)
            .push_bind(format!("Task {n}"))
            .push_bind(format!("task {n}"))
            .push_bind(None::<String>)
            .push_bind(n % 3 == 0)
            .push_bind((n % 2 == 0).then(|| tomorrow_ms.saturating_add(minutes.saturating_mul(60_000))))
            .push_bind(now)
            .push_bind(now);
    });
    insert
}

/// The single number `sql` (a `SELECT COUNT(*) …`) answers on the database at `url` (SQLite or PostgreSQL), over
/// a connection of its own.
pub async fn count(url: &str, sql: &str) -> Result<i64, BoxError> {
    if url.starts_with("sqlite:") {
        let mut conn = SqliteConnectOptions::from_str(url)?.connect().await?;
        let count = sqlx::query_scalar(sql).fetch_one(&mut conn).await?;
        conn.close().await?;
        Ok(count)
    } else {
        let mut conn = PgConnectOptions::from_str(url)?.connect().await?;
        let count = sqlx::query_scalar(sql).fetch_one(&mut conn).await?;
        conn.close().await?;
        Ok(count)
    }
}

/// A PostgreSQL database made for one benchmark run and dropped by [`ScratchPostgres::drop_database`]: the
/// workspace's scratch database ([`todo_testing::ScratchPostgres`]), with errors returned instead of panics.
#[derive(Debug)]
pub struct ScratchPostgres {
    database: todo_testing::ScratchPostgres,
    /// The URL of the new, empty database.
    pub url: String,
}

impl ScratchPostgres {
    /// Creates `todo_bench_<uuid>` on the server of `server_url` (e.g. `TEST_POSTGRES_URL`).
    pub async fn create(server_url: &str) -> Result<Self, BoxError> {
        let database = todo_testing::ScratchPostgres::create_on(server_url, "todo_bench").await?;
        Ok(Self { url: database.url().to_owned(), database })
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn drop_database(self) -> Result<(), BoxError> {
        Ok(self.database.drop_database().await?)
    }
}
