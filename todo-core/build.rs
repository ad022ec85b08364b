//! Lets the PostgreSQL tests show up as "ignored" (with the reason) instead of passing silently when
//! `TEST_POSTGRES_URL` is not set when the tests are built; and rebuilds the crate when a migration changes
//! (`sqlx::migrate!` embeds them, and the `rerun-if` lines below would otherwise tell Cargo to watch nothing else).

fn main() {
    println!("cargo::rerun-if-changed=migrations");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=TEST_POSTGRES_URL");
    if std::env::var_os("TEST_POSTGRES_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
