//! A scratch PostgreSQL database on the `TEST_POSTGRES_URL` server: a unique name, `CREATE DATABASE`, and
//! `DROP DATABASE ... WITH (FORCE)` at the end, awaited ([`ScratchPostgres`]) or on drop ([`BlockingScratchPostgres`]).

use std::ops::Deref;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Executor};

/// The environment variable that names the PostgreSQL server of the tests, e.g.
/// `postgres://postgres@127.0.0.1:5432/test` (the database in it is only where the scratch databases are made from).
pub const POSTGRES_URL_VARIABLE: &str = "TEST_POSTGRES_URL";

/// The `TEST_POSTGRES_URL` server, or `None` after saying on the test's output that this PostgreSQL test is
/// skipped: the rule every PostgreSQL test of the workspace follows.
pub fn postgres_server_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VARIABLE) {
        Ok(url) => Some(url),
        Err(_) => {
            eprintln!("skipped: {POSTGRES_URL_VARIABLE} is not set, so this PostgreSQL test did not run");
            None
        }
    }
}

/// A database made for one test or benchmark run; [`ScratchPostgres::drop_database`] removes it. (Dropping the
/// value leaves the database behind: an async drop cannot run in `Drop`. [`BlockingScratchPostgres`] can.)
#[derive(Debug)]
pub struct ScratchPostgres {
    server_url: String,
    // Boxed: the options are large, and callers keep this in an enum beside a small SQLite variant.
    server: Box<PgConnectOptions>,
    name: String,
    url: String,
}

impl ScratchPostgres {
    /// A fresh database named `<prefix>_<uuid>` on the `TEST_POSTGRES_URL` server, or `None` (the test is
    /// skipped, see [`postgres_server_url`]) when it is unset. Panics when the server cannot make it.
    pub async fn create(prefix: &str) -> Option<Self> {
        let server_url = postgres_server_url()?;
        Some(Self::create_on(&server_url, prefix).await.expect("creates the test database on TEST_POSTGRES_URL"))
    }

    /// A fresh database named `<prefix>_<uuid>` on the server of `server_url`.
    pub async fn create_on(server_url: &str, prefix: &str) -> Result<Self, sqlx::Error> {
        let server = PgConnectOptions::from_str(server_url)?;
        let name = crate::unique_name(prefix, '_');
        let mut admin = PgConnection::connect_with(&server).await?;
        admin.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await?;
        admin.close().await?;
        let url = with_database(server_url, &name);
        Ok(Self { url, server_url: server_url.to_owned(), server: Box::new(server), name })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The database's URL: the server's URL with the database name replaced (its parameters kept).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's URL, as `TEST_POSTGRES_URL` gave it.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }

    /// Connection options of the server (its own database), for statements about this database from outside it.
    pub fn server_options(&self) -> &PgConnectOptions {
        &self.server
    }

    /// Connection options of this database.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.server.clone().database(&self.name)
    }

    /// Drops the database, ending any connection still open to it.
    pub async fn drop_database(self) -> Result<(), sqlx::Error> {
        self.drop_now().await
    }

    async fn drop_now(&self) -> Result<(), sqlx::Error> {
        let mut admin = PgConnection::connect_with(&self.server).await?;
        admin.execute(format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name).as_str()).await?;
        admin.close().await
    }
}

/// A [`ScratchPostgres`] for tests that run no async runtime of their own (server processes, blocking clients,
/// property tests): made and dropped on a runtime of its own, and dropped with this value.
#[derive(Debug)]
pub struct BlockingScratchPostgres {
    database: ScratchPostgres,
}

impl BlockingScratchPostgres {
    /// A fresh database named `<prefix>_<uuid>` on the `TEST_POSTGRES_URL` server, or `None` (skipped) when it is
    /// unset; see [`ScratchPostgres::create`]. Must not be called on an async runtime's thread.
    pub fn create(prefix: &str) -> Option<Self> {
        let database = block_on(ScratchPostgres::create(prefix))?;
        Some(Self { database })
    }

    /// Runs one statement on the server (not in this database), e.g. to end this database's connections.
    pub fn execute_on_server(&self, statement: &str) {
        block_on(async {
            let mut admin =
                PgConnection::connect_with(&self.database.server).await.expect("TEST_POSTGRES_URL is reachable");
            admin.execute(statement).await.expect("the statement runs");
            admin.close().await.ok();
        });
    }
}

impl Deref for BlockingScratchPostgres {
    type Target = ScratchPostgres;

    fn deref(&self) -> &ScratchPostgres {
        &self.database
    }
}

impl Drop for BlockingScratchPostgres {
    fn drop(&mut self) {
        block_on(self.database.drop_now()).expect("drops the test database");
    }
}

/// Runs `future` to the end on a current-thread runtime made for it.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a Tokio runtime");
    runtime.block_on(future)
}

/// `postgres://user@host:port/old?params` with the database name replaced by `name`.
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = server_url.split_once('?').map_or((server_url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |scheme| scheme + 3);
    let root = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{name}?{query}"),
        None => format!("{root}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_name_is_replaced_and_parameters_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "b"),
            "postgres://postgres@127.0.0.1:5432/b"
        );
        assert_eq!(with_database("postgres://u:p@h/db?sslmode=require", "b"), "postgres://u:p@h/b?sslmode=require");
        assert_eq!(with_database("postgres://h:5432", "b"), "postgres://h:5432/b");
    }
}
