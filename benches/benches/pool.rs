//! One checkout + `SELECT 1` + release, through the pool `Store` used before (`sqlx::Pool`, configured as
//! `Store::connect_with` configured it: no ping on acquire for SQLite, a ping on acquire for PostgreSQL, and sqlx's
//! ping on every release) and through `Store`'s pool now (`Store::ping`; on SQLite opened by `Store::connect_with`, as
//! the server opens it: every connection at once, handed out in turn), on SQLite (a temp file) and PostgreSQL
//! (the `TEST_POSTGRES_URL` server). Both pools hold 8 connections and run on a 2-worker runtime, as the server
//! does; `one_at_a_time` is the latency of a lone call, `64_tasks` the cost per statement when 64 tasks share the
//! pool (the load harness's 64 connections).
//!
//! A third arm, `held`, is the bound no pool can beat: the same 8 connections opened once and each kept behind its
//! own mutex, taken in turn, so a "checkout" is one uncontended lock and nothing else. What `held` costs is the
//! driver's own cost of one statement.
// criterion's macros generate an undocumented `pub fn benches`.
#![allow(missing_docs)]

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{ConnectOptions, PgConnection, SqliteConnection};
use todo_core::{Store, StoreOptions};
use tokio::sync::Mutex;

/// Connections in each pool.
const CONNECTIONS: u32 = 8;
/// Tasks sharing the pool in the concurrent case.
const TASKS: u64 = 64;

/// One way to run `SELECT 1` through a pool.
enum Under {
    SqlxSqlite(sqlx::SqlitePool),
    SqlxPostgres(sqlx::PgPool),
    Store(Store),
    HeldSqlite(Held<SqliteConnection>),
    HeldPostgres(Held<PgConnection>),
}

/// Connections opened once and taken in turn, each behind its own mutex: a pool with nothing in it.
struct Held<C> {
    connections: Vec<Mutex<C>>,
    next: AtomicUsize,
}

impl<C> Held<C> {
    async fn open<O: ConnectOptions<Connection = C>>(options: &O) -> Self {
        let mut connections = Vec::new();
        for _ in 0..CONNECTIONS {
            connections.push(Mutex::new(options.connect().await.expect("connects")));
        }
        Held { connections, next: AtomicUsize::new(0) }
    }

    /// Closes every connection.
    async fn close(self)
    where
        C: sqlx::Connection,
    {
        for connection in self.connections {
            connection.into_inner().close().await.expect("closes");
        }
    }

    /// The next connection in turn (under 64 tasks, 8 tasks share each one, as they share the pools' 8).
    fn next(&self) -> &Mutex<C> {
        &self.connections[self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len()]
    }
}

impl Under {
    async fn select_one(&self) {
        match self {
            // `fetch_optional`, as `Store::ping` runs it, so that only the pool differs.
            Under::SqlxSqlite(pool) => sqlx::query("SELECT 1").fetch_optional(pool).await.map(drop).expect("runs"),
            Under::SqlxPostgres(pool) => sqlx::query("SELECT 1").fetch_optional(pool).await.map(drop).expect("runs"),
            Under::Store(store) => store.ping().await.expect("runs"),
            Under::HeldSqlite(held) => {
                let mut connection = held.next().lock().await;
                sqlx::query("SELECT 1").fetch_optional(&mut *connection).await.map(drop).expect("runs")
            }
            Under::HeldPostgres(held) => {
                let mut connection = held.next().lock().await;
                sqlx::query("SELECT 1").fetch_optional(&mut *connection).await.map(drop).expect("runs")
            }
        }
    }
}

fn pool(c: &mut Criterion) {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a Tokio runtime");
    let dir = std::env::temp_dir().join(format!("todo-bench-pool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp folder");
    let path = dir.join("pool.db");
    let sqlite = SqliteConnectOptions::from_str(&format!("sqlite:{}", path.display()))
        .expect("parses")
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal);
    let (old, new, held) = runtime.block_on(async {
        let old = SqlitePoolOptions::new()
            .max_connections(CONNECTIONS)
            .test_before_acquire(false)
            .connect_with(sqlite.clone())
            .await
            .expect("opens");
        let held = Under::HeldSqlite(Held::open(&sqlite).await);
        // As the server opens it: every connection opened at once, handed out in turn.
        let new = Store::connect_with(
            &format!("sqlite:{}", path.display()),
            &StoreOptions::default().max_connections(CONNECTIONS),
        )
        .await
        .expect("opens");
        (Under::SqlxSqlite(old), Under::Store(new), held)
    });
    bench_backend(c, &runtime, "sqlite", [("sqlx_pool", old), ("store_pool", new), ("held", held)]);
    std::fs::remove_dir_all(&dir).expect("removes the temp folder");

    match std::env::var("TEST_POSTGRES_URL") {
        Ok(server) if !server.trim().is_empty() => {
            let options = PgConnectOptions::from_str(&server).expect("TEST_POSTGRES_URL parses");
            let (old, new, held) = runtime.block_on(async {
                let old = PgPoolOptions::new()
                    .max_connections(CONNECTIONS)
                    .connect_with(options.clone())
                    .await
                    .expect("connects");
                let held = Under::HeldPostgres(Held::open(&options).await);
                let new = Store::from_postgres_options(options, &StoreOptions::default().max_connections(CONNECTIONS))
                    .expect("builds");
                (Under::SqlxPostgres(old), Under::Store(new), held)
            });
            bench_backend(c, &runtime, "postgres", [("sqlx_pool", old), ("store_pool", new), ("held", held)]);
        }
        _ => eprintln!("note: TEST_POSTGRES_URL is unset; skipping the PostgreSQL pool benchmarks"),
    }
}

fn bench_backend(c: &mut Criterion, runtime: &tokio::runtime::Runtime, backend: &str, arms: [(&str, Under); 3]) {
    let mut group = c.benchmark_group(format!("pool/{backend}"));
    group.measurement_time(Duration::from_secs(5));
    for (name, under) in arms {
        runtime.block_on(under.select_one()); // opens the first connection
        group.bench_function(format!("{name}/one_at_a_time"), |b| b.to_async(runtime).iter(|| under.select_one()));
        let under = Arc::new(under);
        group.bench_function(format!("{name}/{TASKS}_tasks"), |b| {
            b.iter_custom(|iterations| {
                runtime.block_on(async {
                    let started = Instant::now();
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|task| {
                            let under = Arc::clone(&under);
                            // `iterations` statements in all, shared out over the tasks.
                            let share = iterations / TASKS + u64::from(task < iterations % TASKS);
                            tokio::spawn(async move {
                                for _ in 0..share {
                                    under.select_one().await;
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.expect("the task finishes");
                    }
                    started.elapsed()
                })
            })
        });
        // Every task has ended, so this is the last reference.
        match Arc::into_inner(under).expect("no task holds the pool any more") {
            Under::SqlxSqlite(pool) => runtime.block_on(pool.close()),
            Under::SqlxPostgres(pool) => runtime.block_on(pool.close()),
            Under::Store(store) => runtime.block_on(store.close()),
            Under::HeldSqlite(held) => runtime.block_on(held.close()),
            Under::HeldPostgres(held) => runtime.block_on(held.close()),
        }
    }
    group.finish();
}

criterion_group!(benches, pool);
criterion_main!(benches);
