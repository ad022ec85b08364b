//! Test databases: every test gets a fresh one, on SQLite always and on PostgreSQL when `TEST_POSTGRES_URL` is set.
//!
//! `backend_tests!(a, b, ...)` turns each `async fn a(db: &TestDb)` into two tests, `sqlite::a` and
//! `postgres::a`, so one body pins the behaviour on both engines. A build with one engine's feature alone gets only
//! that engine's tests.

#![allow(dead_code)]

use std::time::Duration;

use sqlx::Connection;
#[cfg(feature = "sqlite")]
use sqlx::Executor;
#[cfg(feature = "postgres")]
use sqlx::PgConnection;
#[cfg(feature = "postgres")]
use todo_core::StoreOptions;
use todo_core::{Config, Login, Store, Todo};
use todo_testing::ScratchDatabase;
#[cfg(feature = "postgres")]
use todo_testing::ScratchPostgres;
#[cfg(feature = "sqlite")]
use todo_testing::ScratchSqlite;

pub const SECRET: &str = "test secret: at least thirty-two bytes long";
pub const PASSWORD: &str = "correct horse battery";

/// The configuration every test uses: bcrypt at the cheapest cost.
pub fn config() -> Config {
    Config::new(SECRET).expect("valid secret").with_bcrypt_cost(4).expect("valid cost")
}

/// A plain sqlx pool of either engine.
pub enum RawPool {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// A migrated, empty database and the library over it.
pub struct TestDb {
    pub todo: Todo,
    database: ScratchDatabase,
}

impl TestDb {
    /// A fresh SQLite file in the temp directory.
    #[cfg(feature = "sqlite")]
    pub async fn sqlite() -> Self {
        Self::sqlite_unmigrated().await.migrated().await
    }

    /// A fresh SQLite file without any table yet.
    #[cfg(feature = "sqlite")]
    pub async fn sqlite_unmigrated() -> Self {
        let file = ScratchSqlite::new("todo-core-test");
        let store = Store::connect(file.url()).await.expect("sqlite opens");
        Self { todo: Todo::new(store, &config()), database: ScratchDatabase::Sqlite(file) }
    }

    /// A fresh PostgreSQL database on the `TEST_POSTGRES_URL` server, or `None` (test skipped) when it is unset.
    #[cfg(feature = "postgres")]
    pub async fn postgres() -> Option<Self> {
        Some(Self::postgres_unmigrated().await?.migrated().await)
    }

    /// A fresh PostgreSQL database without any table yet, or `None` when `TEST_POSTGRES_URL` is unset.
    #[cfg(feature = "postgres")]
    pub async fn postgres_unmigrated() -> Option<Self> {
        let database = ScratchPostgres::create("todo_core_test").await?;
        let store =
            Store::from_postgres_options(database.connect_options(), &StoreOptions::default().max_connections(25))
                .expect("builds the test database's pool");
        Some(Self { todo: Todo::new(store, &config()), database: ScratchDatabase::Postgres(database) })
    }

    /// A fresh, empty database of the same engine as this one.
    pub async fn another_unmigrated(&self) -> Self {
        match &self.database {
            #[cfg(feature = "sqlite")]
            ScratchDatabase::Sqlite(_) => Self::sqlite_unmigrated().await,
            #[cfg(feature = "postgres")]
            ScratchDatabase::Postgres(_) => Self::postgres_unmigrated().await.expect("TEST_POSTGRES_URL is set"),
        }
    }

    /// A fresh, migrated database of the same engine as this one.
    pub async fn another(&self) -> Self {
        self.another_unmigrated().await.migrated().await
    }

    /// This database, after the migrations ran.
    async fn migrated(self) -> Self {
        self.todo.store().migrate().await.expect("migrations run");
        self
    }

    /// A second, plain sqlx pool on this test's database, for setting up rows the library would not write.
    pub async fn raw_pool(&self) -> RawPool {
        match &self.database {
            #[cfg(feature = "sqlite")]
            ScratchDatabase::Sqlite(file) => RawPool::Sqlite(
                sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(file.path()))
                    .await
                    .expect("opens"),
            ),
            #[cfg(feature = "postgres")]
            ScratchDatabase::Postgres(database) => {
                RawPool::Postgres(sqlx::PgPool::connect_with(database.connect_options()).await.expect("connects"))
            }
        }
    }

    /// Panics unless, within a few seconds, no connection of the library's pool is left inside a transaction (one
    /// that some path dropped without ending it would keep its locks: on PostgreSQL a backend "idle in transaction",
    /// on SQLite the database's write lock). Every `backend_tests!` test ends with this check. It sees a transaction
    /// left open by the last use of a pooled connection: one left by an earlier use would have been ended by the
    /// next (pool.rs' own tests pin the flush itself).
    pub async fn assert_no_transaction_left_open(&self) {
        const WAIT: Duration = Duration::from_secs(5);
        match &self.database {
            #[cfg(feature = "sqlite")]
            ScratchDatabase::Sqlite(file) => {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(file.path()).busy_timeout(WAIT);
                let mut connection = sqlx::SqliteConnection::connect_with(&options).await.expect("opens");
                connection
                    .execute("BEGIN IMMEDIATE")
                    .await
                    .expect("no connection of the pool holds the write lock of a transaction left open");
                connection.execute("ROLLBACK").await.expect("rolls back");
                connection.close().await.ok();
            }
            #[cfg(feature = "postgres")]
            ScratchDatabase::Postgres(database) => {
                let mut admin = PgConnection::connect_with(database.server_options()).await.expect("server reachable");
                let deadline = std::time::Instant::now() + WAIT;
                loop {
                    let open: i64 = sqlx::query_scalar(
                        "SELECT count(*) FROM pg_stat_activity \
                         WHERE datname = $1 AND state LIKE 'idle in transaction%'",
                    )
                    .bind(database.name())
                    .fetch_one(&mut admin)
                    .await
                    .expect("counts");
                    if open == 0 {
                        break;
                    }
                    assert!(
                        std::time::Instant::now() < deadline,
                        "{open} connection(s) of the pool still idle inside a transaction after {WAIT:?}"
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                admin.close().await.ok();
            }
        }
    }

    /// Closes the pool and removes the database.
    pub async fn remove(self) {
        self.todo.store().close().await;
        self.database.remove().await;
    }

    /// Signs up `email` with [`PASSWORD`] and logs in.
    pub async fn user(&self, email: &str) -> Login {
        self.todo.accounts().signup(email, PASSWORD).await.expect("signup succeeds");
        self.todo.accounts().login(email, PASSWORD).await.expect("login succeeds")
    }
}

/// Runs each named `async fn(&TestDb)` as a test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        #[cfg(feature = "sqlite")]
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::support::TestDb::sqlite().await;
                    super::$name(&db).await;
                    db.assert_no_transaction_left_open().await;
                    db.remove().await;
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[cfg_attr(not(postgres_tests), ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests")]
                async fn $name() {
                    let Some(db) = $crate::support::TestDb::postgres().await else { return };
                    super::$name(&db).await;
                    db.assert_no_transaction_left_open().await;
                    db.remove().await;
                }
            )*
        }
    };
}

impl TestDb {
    /// The library over this test's database with another configuration (session lifetimes, reuse interval).
    pub fn todo_with(&self, config: Config) -> Todo {
        Todo::new(self.todo.store().clone(), &config)
    }
}
