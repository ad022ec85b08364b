//! Task repository operations on SQLite (a temp file, as the server uses) and PostgreSQL (a fresh database on
//! `TEST_POSTGRES_URL`, dropped afterwards): create, get, and the first page (50) of the tasks of a user with
//! 1,000 and of a user with 100,000 tasks (all in their inbox), in the same database: across every list they can
//! see (`list_first_page`, the `GET /tasks` of before lists), of one list (`list_one_first_page`, `list_id` =
//! the inbox), and both soonest due first (`*_due_first_page`; half the seeded tasks have a due date). Target:
//! 100k ≤ 1.5× 1k on each backend. `ping` (`SELECT 1` through the pool) is the floor under every one of them.
// criterion's macros generate an undocumented `pub fn benches`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use todo_benches::{config, owner, seed_tasks, ScratchPostgres};
use todo_core::{ListQuery, Sort, TaskInput, Todo};

/// The two list sizes of the target.
const SIZES: [usize; 2] = [1_000, 100_000];

fn repository(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a Tokio runtime");

    let dir = std::env::temp_dir().join(format!("todo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp folder");
    let sqlite_url = format!("sqlite:{}", dir.join("todo.db").display());
    bench_backend(c, &runtime, "sqlite", &sqlite_url);
    std::fs::remove_dir_all(&dir).expect("removes the temp folder");

    match std::env::var("TEST_POSTGRES_URL") {
        Ok(server) if !server.trim().is_empty() => {
            let scratch = runtime.block_on(ScratchPostgres::create(&server)).expect("creates a scratch database");
            bench_backend(c, &runtime, "postgres", &scratch.url);
            runtime.block_on(scratch.drop_database()).expect("drops the scratch database");
        }
        _ => eprintln!("note: TEST_POSTGRES_URL is unset; skipping the PostgreSQL repository benchmarks"),
    }
}

fn bench_backend(c: &mut Criterion, runtime: &tokio::runtime::Runtime, backend: &str, url: &str) {
    let (todo, writer, readers) = runtime.block_on(async {
        let todo = Todo::connect(&config(url).expect("config")).await.expect("connects and migrates");
        let writer = owner(&todo, "writer@example.com").await.expect("a user");
        let mut readers = Vec::new();
        for size in SIZES {
            let reader = owner(&todo, &format!("reader{size}@example.com")).await.expect("a user");
            seed_tasks(url, &reader, size).await.expect("seeds tasks");
            readers.push((size, reader));
        }
        (todo, writer, readers)
    });

    let mut group = c.benchmark_group(format!("repository/{backend}"));
    // The floor of every repository call: one trivial statement through the pool (acquire, run, release).
    group.bench_function("ping", |b| b.to_async(runtime).iter(|| async { todo.store().ping().await.expect("pings") }));
    let tasks = todo.tasks(&writer);
    group.bench_function("create", |b| {
        b.to_async(runtime).iter(|| async { tasks.create(TaskInput::new("Buy milk")).await.expect("creates") })
    });
    let (_, small) = readers[0];
    let some_task = runtime.block_on(todo.tasks(&small).list(&ListQuery::default())).expect("lists").items[7].id;
    group.bench_function("get", |b| {
        b.to_async(runtime).iter(|| async { todo.tasks(&small).get(some_task).await.expect("gets") })
    });
    for (size, reader) in &readers {
        let inbox = runtime.block_on(todo.lists(reader).all()).expect("lists the lists");
        let inbox = inbox.iter().find(|list| list.inbox).expect("an inbox").id;
        let pages = [
            ("list_first_page", ListQuery::default()),
            ("list_one_first_page", ListQuery { list_id: Some(inbox), ..ListQuery::default() }),
            ("list_due_first_page", ListQuery { sort: Sort::Due, ..ListQuery::default() }),
            ("list_one_due_first_page", ListQuery { list_id: Some(inbox), sort: Sort::Due, ..ListQuery::default() }),
        ];
        let tasks = todo.tasks(reader);
        for (name, query) in &pages {
            group.bench_with_input(BenchmarkId::new(*name, size), size, |b, _| {
                b.to_async(runtime).iter(|| async {
                    let page = tasks.list(query).await.expect("lists");
                    assert_eq!(page.items.len(), 50);
                    assert!(page.items[0].due_at.is_some() || query.sort == Sort::Created);
                    page
                })
            });
        }
    }
    group.finish();
    runtime.block_on(todo.store().close());
}

criterion_group!(benches, repository);
criterion_main!(benches);
