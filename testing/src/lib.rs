//! Scratch databases for the tests and benchmarks of this workspace, in one place: a fresh SQLite file in the
//! temp directory ([`ScratchSqlite`], feature `sqlite`) and a fresh PostgreSQL database on the server of
//! `TEST_POSTGRES_URL` ([`ScratchPostgres`], and [`BlockingScratchPostgres`] for tests without a runtime;
//! feature `postgres`); [`ScratchDatabase`] is either, for suites that run on both. Also [`totp`]: TOTP codes
//! computed by the tests themselves; and, with feature `authenticator`, a software WebAuthn authenticator with the
//! browser's part of a ceremony ([`authenticator::Authenticator`]), for the tests of passkeys; and, with feature
//! `oidc`, a real OpenID Provider run by Node.js and a harness that signs a user in through it
//! ([`oidc::TestProvider`]), for the tests of sign-in with an identity provider.
//!
//! Each makes a uniquely named database and removes it again, and says where it is (a path, a URL, a name);
//! connecting is left to the caller, through whatever engine its build has. It depends on neither todo-core nor
//! todo-rocket, so both can use it from their tests without a second copy of themselves in the build, and the
//! dependency points from the tests to here only.
//!
//! The rule for PostgreSQL: when `TEST_POSTGRES_URL` is unset, a test that asks for a database gets `None`, says
//! "skipped" on its output and passes without running. (The build scripts of todo-core and todo-rocket read the
//! same variable at build time and mark those tests ignored, with the reason, when it is unset.)

#[cfg(feature = "authenticator")]
pub mod authenticator;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod database;
#[cfg(feature = "oidc")]
pub mod oidc;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
pub mod totp;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use database::ScratchDatabase;
#[cfg(feature = "postgres")]
pub use postgres::{postgres_server_url, BlockingScratchPostgres, ScratchPostgres, POSTGRES_URL_VARIABLE};
#[cfg(feature = "sqlite")]
pub use sqlite::ScratchSqlite;

/// `prefix` and a fresh UUIDv7: unique across tests, processes and runs, and sortable by creation time.
fn unique_name(prefix: &str, separator: char) -> String {
    format!("{prefix}{separator}{}", uuid::Uuid::now_v7().simple())
}
