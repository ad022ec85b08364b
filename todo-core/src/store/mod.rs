//! Storage: one handle over a SQLite or PostgreSQL pool, chosen at run time from the database URL, and what every
//! statement made on behalf of an [`Owner`] carries.
//!
//! The repositories write each query once, in SQL that both engines accept (`$1` bind parameters, `RETURNING`),
//! and [`on_connection!`] runs it on whichever pool this store holds (one exception: on SQLite the task list wraps the
//! same query in a JSON aggregation, see `tasks/repository.rs`). Schemas differ per engine, so each has its own
//! embedded migrations, run by [`Store::migrate`].
//!
//! Each engine is a cargo feature of this crate, `sqlite` and `postgres`, both on by default. A build with one of
//! them compiles only that driver (no SQLite C library in a PostgreSQL-only build), and [`Store::connect`] answers
//! a URL of the other engine with [`Error::Config`] naming the missing feature.
//!
//! Holds `pool` (the connection pool), `owner` ([`Owner`] and its session condition), `counters` (the abuse
//! limits' budgets), `access` (the membership condition of lists and tasks), and the rewrites that migrations ask
//! for: `canonical_emails` (0006) and `folded_tasks` (0011). May use the
//! leaf modules (`error`, `config`, `ids`, `clock`, `email`); `auth` and `tasks` build on it, never the other way
//! round.

mod access;
mod canonical_emails;
mod counters;
mod folded_tasks;
mod idempotency;
mod owner;
mod pool;

use std::str::FromStr;
use std::time::Duration;

#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgConnection};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};

pub(crate) use self::access::{
    forget_account_in_tasks, hand_over_owned_lists, member_may, refusal as access_refusal, BadRank, Target,
    INSERT_INBOX, INSERT_INBOX_OWNER,
};
pub(crate) use self::counters::{Budget, Counters, Taken};
pub(crate) use self::folded_tasks::fold;
pub(crate) use self::idempotency::{claim_key, store_answer, Claim};
pub use self::idempotency::{IdempotencyKey, IDEMPOTENCY_KEY_TTL, MAX_IDEMPOTENCY_KEY_CHARS};
pub use self::owner::Owner;
pub(crate) use self::owner::{
    execute_as_owner, not_found_or_refusal, owned_rows, owner_is_current, refusal, stale_owner, BindOwner,
};
#[cfg(feature = "postgres")]
use self::pool::Retirement;
use self::pool::{Order, Pool, Testing};
use crate::config::redact_url;
use crate::error::{Error, Result};

/// How long a request waits for a connection (or for a new one to open) before the database counts as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long SQLite waits for another writer before giving up with "database is locked".
#[cfg(feature = "sqlite")]
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections to a SQLite file: readers run in parallel under WAL; writers queue on the busy timeout.
#[cfg(feature = "sqlite")]
const SQLITE_MAX_CONNECTIONS: u32 = 8;
/// Connections to PostgreSQL (sqlx's default).
#[cfg(feature = "postgres")]
const POSTGRES_MAX_CONNECTIONS: u32 = 10;
/// A PostgreSQL connection idle in the pool for this long is pinged before it is handed out.
#[cfg(feature = "postgres")]
const POSTGRES_TEST_AFTER_IDLE: Duration = Duration::from_secs(1);
/// PostgreSQL connections are replaced after 30 minutes, or after 10 idle ones (`sqlx::Pool`'s defaults).
#[cfg(feature = "postgres")]
const POSTGRES_RETIREMENT: Retirement =
    Retirement { max_lifetime: Duration::from_secs(30 * 60), idle_timeout: Duration::from_secs(10 * 60) };

/// One SQLite migration at a time in this process (see [`Store::migrate`]). One instance serves a SQLite file, so
/// a lock in the process is enough.
#[cfg(feature = "sqlite")]
static SQLITE_MIGRATIONS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A cloneable handle to the database (a connection pool inside).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use todo_core::Store;
///
/// let store = Store::connect("sqlite::memory:").await?;
/// store.migrate().await?;
/// store.ping().await?;
/// assert_eq!(store.backend_name(), "sqlite");
/// # Ok::<(), todo_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) backend: Backend,
}

/// Pool settings for [`Store::connect_with`]; `None` keeps the default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreOptions {
    /// Most connections the pool opens (default: 8 for SQLite, 10 for PostgreSQL; `sqlite::memory:` always 1).
    pub max_connections: Option<u32>,
    /// How long to wait for a connection (and at most for opening or testing one) before the database counts as
    /// unavailable (default 5 s).
    pub acquire_timeout: Option<Duration>,
    /// Whether the pool pings a PostgreSQL connection each time it hands it out (default: no, see below).
    ///
    /// The pool hands out and takes back connections without a round trip. It pings one only when its use did not
    /// finish cleanly (a dropped request, an error: on its way back, so that a transaction it left open ends at
    /// once), or when it has been idle for [`test_after_idle`](Self::test_after_idle), which is how a connection
    /// that died while idle (server restart, a proxy's idle cut, Neon suspending its compute) is replaced before a
    /// request sees it. `Some(true)` pings at every checkout, one round trip per unit of work; `Some(false)` also
    /// skips the idle test. SQLite connections live in this process and are pinged only after an unclean use.
    pub test_before_acquire: Option<bool>,
    /// How long a PostgreSQL connection may sit idle before it is pinged on its way out (default 1 s).
    ///
    /// A connection that dies while idle for less than this is found by the statement that uses it. A read then
    /// runs again on another connection; a write fails with [`Error::Unavailable`] (it is not run twice, since
    /// whether it took effect cannot be known). The dead connection fails its ping on the way back and is replaced.
    pub test_after_idle: Option<Duration>,
}

impl StoreOptions {
    /// Sets the most connections the pool opens.
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = Some(max.max(1));
        self
    }

    /// Sets how long to wait for a connection.
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = Some(timeout);
        self
    }

    /// Sets whether PostgreSQL connections are pinged at every checkout (see the field).
    pub fn test_before_acquire(mut self, test: bool) -> Self {
        self.test_before_acquire = Some(test);
        self
    }

    /// Sets how long a PostgreSQL connection may idle before it is pinged on its way out (see the field).
    pub fn test_after_idle(mut self, idle: Duration) -> Self {
        self.test_after_idle = Some(idle);
        self
    }

    #[cfg(feature = "postgres")]
    fn postgres_testing(&self) -> Testing {
        match self.test_before_acquire {
            Some(true) => Testing::Always,
            Some(false) => Testing::UncleanOnly,
            None => Testing::AfterIdle(self.test_after_idle.unwrap_or(POSTGRES_TEST_AFTER_IDLE)),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(Pool<SqliteConnection>),
    #[cfg(feature = "postgres")]
    Postgres(Pool<PgConnection>),
}

/// Checks a connection out of the store's pool, whichever engine it is, and runs `$body` with `$conn` bound to
/// it (`&mut SqliteConnection` or `&mut PgConnection`: an executor, and `$conn.begin()` starts a transaction).
///
/// The body must evaluate to a `Result` (awaited inside the body). The connection goes back to the pool untested
/// when the body gives `Ok`; after an error, or when the enclosing future is dropped half-way, it is pinged on its way
/// back, which also sends the `ROLLBACK` of a transaction the body dropped (see `store/pool.rs`). Waiting for a connection
/// that does not come is `Err(sqlx::Error::PoolTimedOut)`, converted into the body's error type. The body is compiled once per engine, so `sqlx::query_as::<_, Row>`
/// infers the right database each time. `on_connection!(@run pool, conn, body)` does the same on a pool already
/// matched out of the store, for a body that is written for one engine only.
///
/// `on_connection!(reading store, |conn| body)` (and `@read pool, conn, body`) is for a body that only reads, so
/// that running it twice is harmless, and whose error is `sqlx::Error`: when it fails because the connection it was
/// given had died in the pool since its last use (the server restarted or ended it, and it had not idled long
/// enough to be tested), the body runs again on another connection, up to once per pooled connection, instead of
/// the request failing. A write is never run twice: whether a statement whose connection broke took effect cannot
/// be known.
macro_rules! on_connection {
    ($store:expr, |$conn:ident| $body:expr) => {
        match &$store.backend {
            #[cfg(feature = "sqlite")]
            $crate::store::Backend::Sqlite(pool) => $crate::store::on_connection!(@run pool, $conn, $body),
            #[cfg(feature = "postgres")]
            $crate::store::Backend::Postgres(pool) => $crate::store::on_connection!(@run pool, $conn, $body),
        }
    };
    (reading $store:expr, |$conn:ident| $body:expr) => {
        match &$store.backend {
            #[cfg(feature = "sqlite")]
            $crate::store::Backend::Sqlite(pool) => $crate::store::on_connection!(@read pool, $conn, $body),
            #[cfg(feature = "postgres")]
            $crate::store::Backend::Postgres(pool) => $crate::store::on_connection!(@read pool, $conn, $body),
        }
    };
    (@read $pool:ident, $conn:ident, $body:expr) => {{
        let mut retries_left = $pool.max_size();
        loop {
            match $pool.acquire().await {
                Ok(mut checkout) => {
                    let outcome: ::std::result::Result<_, sqlx::Error> = {
                        let $conn = &mut *checkout;
                        $body
                    };
                    match outcome {
                        Ok(value) => {
                            checkout.finished_cleanly();
                            break Ok(value);
                        }
                        // Not clean, so the dead connection is pinged on its way back, and closed.
                        Err(error)
                            if retries_left > 0
                                && checkout.was_reused()
                                && $crate::error::connection_was_lost(&error) =>
                        {
                            retries_left -= 1;
                            ::tracing::debug!(%error, "a pooled connection had died; reading again on another");
                        }
                        Err(error) => break Err(error),
                    }
                }
                Err(error) => break Err(error),
            }
        }
    }};
    (@run $pool:ident, $conn:ident, $body:expr) => {
        match $pool.acquire().await {
            Ok(mut checkout) => {
                let outcome = {
                    #[allow(unused_imports)]
                    use sqlx::Connection as _; // for `$conn.begin()`
                    let $conn = &mut *checkout;
                    $body
                };
                if outcome.is_ok() {
                    checkout.finished_cleanly();
                }
                outcome
            }
            Err(error) => Err(error.into()),
        }
    };
}
pub(crate) use on_connection;

impl Store {
    /// Connects to `sqlite:<path>` (created if missing), `sqlite::memory:`, or `postgres://...` / `postgresql://...`
    /// (TLS as the URL's `sslmode` asks, e.g. `sslmode=require` for Neon).
    ///
    /// A URL that cannot be parsed is [`Error::Config`] on `DATABASE_URL`; a server that cannot be reached is
    /// [`Error::Unavailable`].
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, &StoreOptions::default()).await
    }

    /// Like [`Store::connect`], with pool settings (e.g. from a web framework's database configuration).
    pub async fn connect_with(url: &str, options: &StoreOptions) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url, options).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::connect_postgres(url, options).await
        } else {
            Err(Error::config("DATABASE_URL", "must start with sqlite: or postgres://"))
        }
    }

    #[cfg(feature = "sqlite")]
    async fn connect_sqlite(url: &str, options: &StoreOptions) -> Result<Self> {
        let sqlite_options = SqliteConnectOptions::from_str(url).map_err(|_| bad_url(url))?;
        let mut options = options.clone();
        if is_sqlite_memory(url) {
            // Every connection to `:memory:` is a separate, empty database: keep exactly one, forever.
            options.max_connections = Some(1);
        }
        let pool = sqlite_pool(sqlite_options, &options)?;
        // Open every connection now, so that a bad path is reported at start and not at the first request, and so
        // that consecutive statements go round them from the first request on (`Order::InTurn` in `pool.rs`).
        pool.fill().await?;
        let store = Self { backend: Backend::Sqlite(pool) };
        store.ping().await?;
        Ok(store)
    }

    #[cfg(not(feature = "sqlite"))]
    async fn connect_sqlite(_url: &str, _options: &StoreOptions) -> Result<Self> {
        Err(missing_feature("sqlite"))
    }

    #[cfg(feature = "postgres")]
    async fn connect_postgres(url: &str, options: &StoreOptions) -> Result<Self> {
        let acquire_timeout = options.acquire_timeout.unwrap_or(ACQUIRE_TIMEOUT);
        let pg_options = PgConnectOptions::from_str(url).map_err(|_| bad_url(url))?;
        probe_postgres(&pg_options, acquire_timeout).await?;
        Self::from_postgres_options(pg_options, options)
    }

    #[cfg(not(feature = "postgres"))]
    async fn connect_postgres(_url: &str, _options: &StoreOptions) -> Result<Self> {
        Err(missing_feature("postgres"))
    }

    /// A store on SQLite connections opened with `connect` (a file or memory database you configured yourself);
    /// connections open on first use ([`Store::connect`] opens them all at start) and are handed out in turn, so
    /// that consecutive statements go to different connections' threads (faster for a lone caller:
    /// `benches/README.md`).
    ///
    /// Whatever `connect` says, foreign keys are on (task deletion relies on them), the journal is WAL with
    /// `synchronous = NORMAL`, the file is created if missing, and a busy database is waited for up to 5 s.
    /// For an in-memory database pass `StoreOptions::default().max_connections(1)`, as [`Store::connect`] does
    /// for `sqlite::memory:`: the pool must keep one connection, the one that holds the data.
    #[cfg(feature = "sqlite")]
    pub fn from_sqlite_options(connect: SqliteConnectOptions, options: &StoreOptions) -> Result<Self> {
        Ok(Self { backend: Backend::Sqlite(sqlite_pool(connect, options)?) })
    }

    /// A store on PostgreSQL connections opened with `connect`; connections open on first use, and are replaced
    /// after 30 minutes or 10 idle ones: at checkout, or, for an idle connection no checkout reaches, by a task on
    /// the Tokio runtime of the store's first use that checks the idle ones every 5 minutes.
    #[cfg(feature = "postgres")]
    pub fn from_postgres_options(connect: PgConnectOptions, options: &StoreOptions) -> Result<Self> {
        let max = options.max_connections.unwrap_or(POSTGRES_MAX_CONNECTIONS);
        let timeout = options.acquire_timeout.unwrap_or(ACQUIRE_TIMEOUT);
        let pool = Pool::retiring(
            connect,
            max as usize,
            timeout,
            options.postgres_testing(),
            Order::MostRecent,
            Some(POSTGRES_RETIREMENT),
        )?;
        Ok(Self { backend: Backend::Postgres(pool) })
    }

    /// Applies the embedded migrations of this store's engine that have not run yet, then the rewrites they ask for
    /// that SQL cannot do (once each): the stored emails' canonical form (`store/canonical_emails.rs`) and the
    /// case folding of tasks' text (`store/folded_tasks.rs`).
    pub async fn migrate(&self) -> Result<()> {
        // sqlx's migration lock is PostgreSQL's advisory lock; on SQLite it does nothing, so two stores of this
        // process migrating one file at once would both apply a migration. They take turns.
        #[cfg(feature = "sqlite")]
        let _turn = match self.backend {
            Backend::Sqlite(_) => Some(SQLITE_MIGRATIONS.lock().await),
            #[allow(unreachable_patterns)] // with the `sqlite` feature alone, the only pattern
            _ => None,
        };
        let outcome: std::result::Result<(), sqlx::migrate::MigrateError> = match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => {
                on_connection!(@run pool, conn, sqlx::migrate!("./migrations/sqlite").run_direct(conn).await)
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => {
                on_connection!(@run pool, conn, sqlx::migrate!("./migrations/postgres").run_direct(conn).await)
            }
        };
        outcome.map_err(|error| match error {
            sqlx::migrate::MigrateError::Execute(error) => Error::from(error),
            other => Error::internal(other),
        })?;
        canonical_emails::rewrite_if_pending(self).await?;
        folded_tasks::fold_if_pending(self).await
    }

    /// Runs a trivial query: `Ok` when the database answers.
    pub async fn ping(&self) -> Result<()> {
        // `fetch_optional`, not `execute`: sqlx's SQLite worker then stops at the row instead of also sending the
        // statement's summary through the channel, one wake-up fewer (measured on `GET /health`: `benches/README.md`,
        // "What limits each figure, and what was done").
        on_connection!(reading self, |conn| sqlx::query("SELECT 1").fetch_optional(conn).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes every connection; later calls fail with [`Error::Unavailable`].
    pub async fn close(&self) {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => pool.close().await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// The pool's open connections and how many of them are idle (for metrics).
    pub fn pool_status(&self) -> (u32, usize) {
        match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => pool.status(),
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => pool.status(),
        }
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => "postgres",
        }
    }
}

#[cfg(feature = "postgres")]
/// Opens and closes one connection, so that an unreachable server is reported with its real cause ("connection
/// refused", "password authentication failed") instead of the pool's generic timeout.
async fn probe_postgres(options: &PgConnectOptions, timeout: Duration) -> Result<()> {
    use sqlx::Connection as _;
    match tokio::time::timeout(timeout, sqlx::PgConnection::connect_with(options)).await {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            Ok(())
        }
        Ok(Err(error)) => Err(connect_error(error)),
        Err(_) => Err(Error::Unavailable(sqlx::Error::PoolTimedOut)),
    }
}

/// The SQLite pool of a store: `connect` with the settings every store needs (listed on
/// [`Store::from_sqlite_options`]), connections handed out in turn.
#[cfg(feature = "sqlite")]
fn sqlite_pool(connect: SqliteConnectOptions, options: &StoreOptions) -> Result<Pool<sqlx::SqliteConnection>> {
    let connect = connect
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    let max = options.max_connections.unwrap_or(SQLITE_MAX_CONNECTIONS);
    let timeout = options.acquire_timeout.unwrap_or(ACQUIRE_TIMEOUT);
    // A SQLite connection is a handle in this process: no server or proxy can drop it while it idles.
    Pool::new(connect, max as usize, timeout, Testing::UncleanOnly, Order::InTurn)
}

#[cfg(feature = "sqlite")]
fn is_sqlite_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The database URL did not parse; the message shows it without its password.
fn bad_url(url: &str) -> Error {
    Error::config("DATABASE_URL", format!("cannot parse {}", redact_url(url)))
}

/// A URL of an engine this build was compiled without.
#[cfg(not(all(feature = "sqlite", feature = "postgres")))]
fn missing_feature(feature: &str) -> Error {
    Error::config(
        "DATABASE_URL",
        format!("this build has no {feature} support: enable the `{feature}` cargo feature of todo-core"),
    )
}

/// Failing to open the first connection means the database is unreachable or refused us.
#[cfg(feature = "postgres")]
fn connect_error(error: sqlx::Error) -> Error {
    match error {
        sqlx::Error::Database(_) | sqlx::Error::Configuration(_) => Error::internal(error),
        other => Error::Unavailable(other),
    }
}

/// True when `error` is a violation of a unique constraint (an email already taken).
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[tokio::test]
    async fn an_unknown_scheme_is_a_config_error() {
        let error = Store::connect("mysql://localhost/todo").await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config);
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn an_unreachable_postgres_server_is_unavailable_not_a_panic() {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        let error = Store::connect("postgres://nobody@127.0.0.1:1/none").await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unavailable);
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn a_closed_store_is_unavailable() {
        let store = Store::connect("sqlite::memory:").await.expect("connects");
        store.close().await;
        assert_eq!(store.ping().await.unwrap_err().kind(), ErrorKind::Unavailable);
    }

    #[cfg(not(feature = "postgres"))]
    #[tokio::test]
    async fn a_postgres_url_without_the_postgres_feature_names_the_feature() {
        assert_names_the_missing_feature("postgres://nobody@127.0.0.1:1/none", "postgres").await;
    }

    #[cfg(not(feature = "sqlite"))]
    #[tokio::test]
    async fn a_sqlite_url_without_the_sqlite_feature_names_the_feature() {
        assert_names_the_missing_feature("sqlite::memory:", "sqlite").await;
    }

    /// Connecting to `url` is a configuration error that names the cargo `feature` this build lacks.
    #[cfg(not(all(feature = "sqlite", feature = "postgres")))]
    async fn assert_names_the_missing_feature(url: &str, feature: &str) {
        let error = Store::connect(url).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.to_string().contains(&format!("`{feature}` cargo feature")), "{error}");
    }
}
