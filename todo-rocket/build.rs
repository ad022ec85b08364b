//! Lets the PostgreSQL tests show up as "ignored" (with the reason) instead of passing silently when
//! `TEST_POSTGRES_URL` is not set when the tests are built. This build script affects nothing else.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rerun-if-env-changed=TEST_POSTGRES_URL");
    if std::env::var_os("TEST_POSTGRES_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=postgres_tests");
    }
}
