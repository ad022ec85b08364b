//! What the second step adds to a sign-in: a password sign-in of an account without a factor, next to the two-step
//! sign-in of an account with a TOTP factor (the password, answered with a second step, then the TOTP code at
//! `verify_second_step`), on SQLite and, with `TEST_POSTGRES_URL`, on PostgreSQL. bcrypt runs at cost 4, so that
//! the statements are visible next to it; at the production cost of 12 bcrypt alone takes about 250 ms (see
//! `passwords`), and the second step adds no bcrypt.
//!
//! A TOTP code works once, so each timed two-step sign-in uses an account enrolled for it beforehand, untimed
//! (`iter_custom`): the time reported is the sign-in's alone.
// criterion's macros generate an undocumented `pub fn benches`.
#![allow(missing_docs)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use todo_benches::{config, ScratchPostgres, PASSWORD};
use todo_core::{AbuseLimits, Client, Error, Todo};
use todo_testing::totp::{code_at, now_seconds};
use todo_testing::ScratchSqlite;

/// Accounts made so far (each timed sign-in has its own).
static ACCOUNTS: AtomicU64 = AtomicU64::new(0);

/// A new account with a confirmed TOTP factor: its email and base32 secret. Its current step is spent (the
/// confirmation), so the next step's code is the one to sign in with.
async fn enrolled(todo: &Todo) -> (String, String) {
    let email = format!("two-step-{}@example.com", ACCOUNTS.fetch_add(1, Ordering::Relaxed));
    let accounts = todo.accounts();
    accounts.signup(&email, PASSWORD).await.expect("signs up");
    let login = accounts.login(&email, PASSWORD).await.expect("logs in");
    let client = Client::default();
    let enrolment = accounts.enroll_totp(&login.owner, Some(PASSWORD), None, &client).await.expect("enrols");
    let code = code_at(enrolment.secret(), now_seconds());
    accounts.confirm_totp(&login.owner, enrolment.factor_id, &code).await.expect("confirms");
    (email, enrolment.secret().to_owned())
}

fn second_step(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a Tokio runtime");
    let sqlite = ScratchSqlite::new("todo-bench-second-step");
    let postgres = match std::env::var("TEST_POSTGRES_URL") {
        Ok(server) if !server.trim().is_empty() => {
            Some(runtime.block_on(ScratchPostgres::create(&server)).expect("creates a scratch database"))
        }
        _ => {
            eprintln!("note: TEST_POSTGRES_URL is unset; the second-step benchmarks run on SQLite only");
            None
        }
    };
    let mut engines = vec![("sqlite", sqlite.url().to_owned())];
    engines.extend(postgres.as_ref().map(|scratch| ("postgres", scratch.url.clone())));
    let client = Client::default().with_address(Some("198.51.100.7".parse().expect("an address")));

    let mut group = c.benchmark_group("sign_in");
    group.sample_size(20).measurement_time(Duration::from_secs(5));
    for (engine, url) in &engines {
        // No abuse limits: this measures the sign-in, not the counters (see `limits`).
        let config = config(url).expect("config").with_abuse_limits(AbuseLimits::off()).expect("valid limits");
        let todo = runtime.block_on(Todo::connect(&config)).expect("connects and migrates");
        // Each timed sign-in is of an account made for it, untimed, as in the two-step case: the same account
        // signed in thousands of times would carry thousands of live sessions, which the sign-in's clean-up of
        // the user's expired sessions reads.
        group.bench_function(BenchmarkId::new("password", engine), |b| {
            b.to_async(&runtime).iter_custom(|iterations| {
                let (todo, client) = (&todo, &client);
                async move {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iterations {
                        let email = format!("one-step-{}@example.com", ACCOUNTS.fetch_add(1, Ordering::Relaxed));
                        todo.accounts().signup(&email, PASSWORD).await.expect("signs up");
                        let start = Instant::now();
                        todo.accounts().login_from(&email, PASSWORD, client).await.expect("signs in");
                        timed += start.elapsed();
                    }
                    timed
                }
            })
        });
        group.bench_function(BenchmarkId::new("password_then_totp", engine), |b| {
            b.to_async(&runtime).iter_custom(|iterations| {
                let (todo, client) = (&todo, &client);
                async move {
                    let mut timed = Duration::ZERO;
                    for _ in 0..iterations {
                        let (email, secret) = enrolled(todo).await;
                        let code = code_at(&secret, now_seconds() + 30);
                        let start = Instant::now();
                        let step = match todo.accounts().login_from(&email, PASSWORD, client).await {
                            Err(Error::SecondStepRequired(step)) => step,
                            other => panic!("expected the second step, got {other:?}"),
                        };
                        todo.accounts().verify_second_step(step.mfa_token(), &code, client).await.expect("signs in");
                        timed += start.elapsed();
                    }
                    timed
                }
            })
        });
        runtime.block_on(todo.store().close());
    }
    group.finish();
    if let Some(scratch) = postgres {
        runtime.block_on(scratch.drop_database()).expect("drops the scratch database");
    }
    drop(sqlite); // removes the file
}

criterion_group!(benches, second_step);
criterion_main!(benches);
