//! One checkout + `SELECT 1` + release, through the pool `Store` used before (`sqlx::Pool`, configured as
//! `Store::connect_with` configured it: no ping on acquire for SQLite, a ping on acquire for PostgreSQL, and sqlx's
//! ping on every release) and through `Store`'s pool now (`Store::ping`), on SQLite (a temp file) and PostgreSQL
//! (the `TEST_POSTGRES_URL` server). Both pools hold 8 connections and run on a 2-worker runtime, as the server
//! does; `one_at_a_time` is the latency of a lone call, `64_tasks` the cost per statement when 64 tasks share the
//! pool (the load harness's 64 connections).
// criterion's macros generate an undocumented `pub fn benches`.
#![allow(missing_docs)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use todo_core::{Store, StoreOptions};

/// Connections in each pool.
const CONNECTIONS: u32 = 8;
/// Tasks sharing the pool in the concurrent case.
const TASKS: u64 = 64;

/// One way to run `SELECT 1` through a pool.
#[derive(Clone)]
enum Under {
    SqlxSqlite(sqlx::SqlitePool),
    SqlxPostgres(sqlx::PgPool),
    Store(Store),
}

impl Under {
    async fn select_one(&self) {
        match self {
            // `fetch_optional`, as `Store::ping` runs it, so that only the pool differs.
            Under::SqlxSqlite(pool) => sqlx::query("SELECT 1").fetch_optional(pool).await.map(drop).expect("runs"),
            Under::SqlxPostgres(pool) => sqlx::query("SELECT 1").fetch_optional(pool).await.map(drop).expect("runs"),
            Under::Store(store) => store.ping().await.expect("runs"),
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
    let (old, new) = runtime.block_on(async {
        let old = SqlitePoolOptions::new()
            .max_connections(CONNECTIONS)
            .test_before_acquire(false)
            .connect_with(sqlite.clone())
            .await
            .expect("opens");
        let new =
            Store::from_sqlite_options(sqlite, &StoreOptions::default().max_connections(CONNECTIONS)).expect("builds");
        (Under::SqlxSqlite(old), Under::Store(new))
    });
    bench_backend(c, &runtime, "sqlite", old, new);
    std::fs::remove_dir_all(&dir).expect("removes the temp folder");

    match std::env::var("TEST_POSTGRES_URL") {
        Ok(server) if !server.trim().is_empty() => {
            let options = PgConnectOptions::from_str(&server).expect("TEST_POSTGRES_URL parses");
            let (old, new) = runtime.block_on(async {
                let old = PgPoolOptions::new()
                    .max_connections(CONNECTIONS)
                    .connect_with(options.clone())
                    .await
                    .expect("connects");
                let new = Store::from_postgres_options(options, &StoreOptions::default().max_connections(CONNECTIONS))
                    .expect("builds");
                (Under::SqlxPostgres(old), Under::Store(new))
            });
            bench_backend(c, &runtime, "postgres", old, new);
        }
        _ => eprintln!("note: TEST_POSTGRES_URL is unset; skipping the PostgreSQL pool benchmarks"),
    }
}

fn bench_backend(c: &mut Criterion, runtime: &tokio::runtime::Runtime, backend: &str, old: Under, new: Under) {
    let mut group = c.benchmark_group(format!("pool/{backend}"));
    group.measurement_time(Duration::from_secs(5));
    for (name, under) in [("sqlx_pool", old), ("store_pool", new)] {
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
        match &*under {
            Under::SqlxSqlite(pool) => runtime.block_on(pool.close()),
            Under::SqlxPostgres(pool) => runtime.block_on(pool.close()),
            Under::Store(store) => runtime.block_on(store.close()),
        }
    }
    group.finish();
}

criterion_group!(benches, pool);
criterion_main!(benches);
