//! bcrypt hash and verify at cost 4 (tests) and 12 (the production default), through `PasswordHasher`, which
//! runs each on Tokio's blocking pool as a server does (the hop costs microseconds; bcrypt costs milliseconds).
// criterion's macros generate an undocumented `pub fn benches`.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::Duration;
use todo_benches::PASSWORD;
use todo_core::{Password, PasswordHasher};

fn passwords(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a Tokio runtime");
    let password = Password::new(PASSWORD).expect("a valid password");
    let mut group = c.benchmark_group("password");
    // Cost 12 takes a few hundred milliseconds per call: ten samples over 10 s are enough to see it.
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for cost in [4, 12] {
        let hasher = PasswordHasher::new(cost);
        let hash = runtime.block_on(hasher.hash(&password)).expect("hashes");
        group.bench_with_input(BenchmarkId::new("hash", cost), &cost, |b, _| {
            b.to_async(&runtime).iter(|| async { hasher.hash(&password).await.expect("hashes") })
        });
        group.bench_with_input(BenchmarkId::new("verify", cost), &cost, |b, _| {
            b.to_async(&runtime).iter(|| async { assert!(hasher.verify(PASSWORD, &hash).await.expect("verifies")) })
        });
    }
    group.finish();
}

criterion_group!(benches, passwords);
criterion_main!(benches);
