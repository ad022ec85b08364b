//! Storage: one handle over a SQLite or PostgreSQL pool, chosen at run time from the database URL.
//!
//! The repositories write each query once, in SQL that both engines accept (`$1` bind parameters, `RETURNING`),
//! and [`on_backend!`] runs it on whichever pool this store holds (one exception: on SQLite the task list wraps the
//! same query in a JSON aggregation, see `tasks.rs`). Schemas differ per engine, so each has its own embedded
//! migrations, run by [`Store::migrate`].
//!
//! Each engine is a cargo feature of this crate, `sqlite` and `postgres`, both on by default. A build with one of
//! them compiles only that driver (no SQLite C library in a PostgreSQL-only build), and [`Store::connect`] answers
//! a URL of the other engine with [`Error::Config`] naming the missing feature.

use std::str::FromStr;
use std::time::Duration;

#[cfg(feature = "postgres")]
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

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
    /// How long to wait for a connection before the database counts as unavailable (default 5 s).
    pub acquire_timeout: Option<Duration>,
    /// Whether the pool pings a PostgreSQL connection each time it hands it out (default: yes).
    ///
    /// The ping is a round trip per statement; it lets the pool quietly replace a connection that died while idle
    /// (server restart, a proxy's idle cut, Neon suspending its compute). Without it such a connection is found
    /// by the next statement on it, which fails with [`Error::Unavailable`]. Turn it off only where idle
    /// connections do not die. SQLite connections live in this process and are never pinged.
    pub test_before_acquire: Option<bool>,
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

    /// Sets whether PostgreSQL connections are pinged when handed out (see the field).
    pub fn test_before_acquire(mut self, test: bool) -> Self {
        self.test_before_acquire = Some(test);
        self
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the store's pool, whichever engine it is.
///
/// The body is compiled once per engine, so `sqlx::query_as::<_, Row>` infers the right database each time.
macro_rules! on_backend {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            #[cfg(feature = "sqlite")]
            $crate::store::Backend::Sqlite($pool) => $body,
            #[cfg(feature = "postgres")]
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_backend;

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
        let sqlite_options = SqliteConnectOptions::from_str(url)
            .map_err(|_| bad_url(url))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        let pool = if is_sqlite_memory(url) {
            // Every connection to `:memory:` is a separate, empty database: keep exactly one, forever.
            SqlitePoolOptions::new().max_connections(1).idle_timeout(None).max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(options.max_connections.unwrap_or(SQLITE_MAX_CONNECTIONS))
        };
        // A SQLite connection is a handle in this process: no server or proxy can drop it while it idles, so
        // sqlx's ping on acquire (a round trip to the connection's worker thread per statement) buys nothing.
        // sqlx still pings on release, so a connection left mid-statement is never pooled.
        let pool = pool
            .acquire_timeout(options.acquire_timeout.unwrap_or(ACQUIRE_TIMEOUT))
            .test_before_acquire(false)
            .connect_with(sqlite_options)
            .await
            .map_err(connect_error)?;
        Ok(Self::from_sqlite_pool(pool))
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
        let mut pool = PgPoolOptions::new()
            .acquire_timeout(acquire_timeout)
            .test_before_acquire(options.test_before_acquire.unwrap_or(true));
        if let Some(max) = options.max_connections {
            pool = pool.max_connections(max);
        }
        let pool = pool.connect_with(pg_options).await.map_err(connect_error)?;
        Ok(Self::from_postgres_pool(pool))
    }

    #[cfg(not(feature = "postgres"))]
    async fn connect_postgres(_url: &str, _options: &StoreOptions) -> Result<Self> {
        Err(missing_feature("postgres"))
    }

    /// Wraps a SQLite pool you configured yourself (enable foreign keys on it: task deletion relies on them).
    #[cfg(feature = "sqlite")]
    pub fn from_sqlite_pool(pool: SqlitePool) -> Self {
        Self { backend: Backend::Sqlite(pool) }
    }

    /// Wraps a PostgreSQL pool you configured yourself.
    #[cfg(feature = "postgres")]
    pub fn from_postgres_pool(pool: PgPool) -> Self {
        Self { backend: Backend::Postgres(pool) }
    }

    /// Applies the embedded migrations of this store's engine that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        let outcome = match &self.backend {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        };
        outcome.map_err(|error| match error {
            sqlx::migrate::MigrateError::Execute(error) => Error::from(error),
            other => Error::internal(other),
        })
    }

    /// Runs a trivial query: `Ok` when the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_backend!(self, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes every connection; later calls fail with [`Error::Unavailable`].
    pub async fn close(&self) {
        on_backend!(self, |pool| pool.close().await)
    }

    /// The pool's open connections and how many of them are idle (for metrics).
    pub fn pool_status(&self) -> (u32, usize) {
        on_backend!(self, |pool| (pool.size(), pool.num_idle()))
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
        let error = Store::connect("postgres://nobody@127.0.0.1:1/none").await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.to_string().contains("`postgres` cargo feature"), "{error}");
    }

    #[cfg(not(feature = "sqlite"))]
    #[tokio::test]
    async fn a_sqlite_url_without_the_sqlite_feature_names_the_feature() {
        let error = Store::connect("sqlite::memory:").await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.to_string().contains("`sqlite` cargo feature"), "{error}");
    }
}
