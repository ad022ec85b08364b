//! What the abuse limits' shared counters cost a login and a signup on PostgreSQL (a fresh database on
//! `TEST_POSTGRES_URL`, dropped afterwards): each with the limits on (the counters' statements run: a login takes
//! its slots before bcrypt and gives them back after, a signup takes one) and off (every budget `0`: no statement),
//! side by side. bcrypt runs at cost 4 here, so that the statements are visible next to it; at the production cost
//! of 12 bcrypt alone takes about 250 ms (see `passwords`).
// criterion's macros generate an undocumented `pub fn benches`.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use todo_benches::{config, ScratchPostgres, PASSWORD};
use todo_core::{AbuseLimits, Client, Todo};

fn limits(c: &mut Criterion) {
    let server = match std::env::var("TEST_POSTGRES_URL") {
        Ok(server) if !server.trim().is_empty() => server,
        _ => return eprintln!("note: TEST_POSTGRES_URL is unset; skipping the abuse-limit benchmarks"),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a Tokio runtime");
    let scratch = runtime.block_on(ScratchPostgres::create(&server)).expect("creates a scratch database");
    let on = AbuseLimits {
        // Budgets no run reaches, so every attempt is counted and none is refused.
        password_failures_per_email_and_client: u32::MAX,
        password_failures_per_email: u32::MAX,
        password_failures_per_client: u32::MAX,
        signups_per_client: u32::MAX,
        ..AbuseLimits::default()
    };
    let off = AbuseLimits::off();
    let client = Client::default().with_address(Some("198.51.100.7".parse().expect("an address")));
    let signups = AtomicU64::new(0);

    let mut group = c.benchmark_group("limits/postgres");
    for (name, limits) in [("on", on), ("off", off)] {
        let config = config(&scratch.url).expect("config").with_abuse_limits(limits).expect("valid limits");
        let todo = runtime.block_on(Todo::connect(&config)).expect("connects and migrates");
        runtime.block_on(todo.accounts().signup(&format!("login-{name}@example.com"), PASSWORD)).expect("signs up");
        group.bench_function(BenchmarkId::new("login", name), |b| {
            let email = format!("login-{name}@example.com");
            b.to_async(&runtime)
                .iter(|| async { todo.accounts().login_from(&email, PASSWORD, &client).await.expect("logs in") })
        });
        group.bench_function(BenchmarkId::new("signup", name), |b| {
            b.to_async(&runtime).iter(|| async {
                let email = format!("signup-{}@example.com", signups.fetch_add(1, Ordering::Relaxed));
                todo.accounts().signup_from(&email, PASSWORD, &client).await.expect("signs up")
            })
        });
        runtime.block_on(todo.store().close());
    }
    group.finish();
    runtime.block_on(scratch.drop_database()).expect("drops the scratch database");
}

criterion_group!(benches, limits);
criterion_main!(benches);
