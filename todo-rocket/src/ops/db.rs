//! The database pool, through `rocket_db_pools`, over `todo-core`'s [`Store`].
//!
//! `rocket_db_pools`' own `sqlx_*` features pin an old sqlx and rustls with open advisories, so this crate
//! implements its `Pool` trait itself: the pool is the library's store, configured from Rocket's
//! `databases.todo` settings (`url`, `max_connections`, `connect_timeout`), and migrated on start.

use std::ops::Deref;
use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket_db_pools::Database;
use todo_core::{Store, StoreOptions};

/// The name of the database in Rocket's configuration: `databases.todo.url` and friends.
pub const DATABASE_NAME: &str = "todo";

/// The `rocket_db_pools` database of this server; `Connection<Db>` is a guard for a store handle.
#[derive(Database, Debug)]
#[database("todo")]
pub struct Db(TodoPool);

/// A [`Store`] as a `rocket_db_pools` pool.
#[derive(Debug, Clone)]
pub struct TodoPool(Store);

impl Deref for TodoPool {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.0
    }
}

/// Why the pool could not start (bad configuration, unreachable database, failed migration).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PoolError(String);

#[rocket::async_trait]
impl rocket_db_pools::Pool for TodoPool {
    type Connection = Store;
    type Error = PoolError;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        let config: rocket_db_pools::Config =
            figment.extract().map_err(|error| PoolError(format!("databases.{DATABASE_NAME}: {error}")))?;
        let options = StoreOptions::default()
            .max_connections(u32::try_from(config.max_connections).unwrap_or(u32::MAX))
            .acquire_timeout(Duration::from_secs(config.connect_timeout));
        let store = Store::connect_with(&config.url, &options).await.map_err(|error| PoolError(describe(&error)))?;
        store.migrate().await.map_err(|error| PoolError(format!("migrations failed: {}", describe(&error))))?;
        Ok(TodoPool(store))
    }

    async fn get(&self) -> Result<Self::Connection, Self::Error> {
        Ok(self.0.clone())
    }

    /// Does nothing: `rocket_db_pools` calls this when shutdown *starts*, while in-flight requests are still
    /// being answered, and closing the pool then fails them (a login that finished hashing would get 503).
    /// Close the store after `launch()` returns instead, as the binary does ([`crate::close_store`]).
    async fn close(&self) {}
}

/// The stage of the pool: Rocket's `databases.todo` settings, with `url` from `database_url` when they have none,
/// and the pool over them (migrated on start).
pub(crate) fn stage(database_url: String) -> AdHoc {
    AdHoc::on_ignite("database pool", |rocket| async move {
        let figment = rocket.figment().clone().join((format!("databases.{DATABASE_NAME}.url"), database_url));
        rocket.configure(figment).attach(Db::init())
    })
}

/// The library error and its first cause (e.g. "connection refused"), never a password: URLs are redacted.
fn describe(error: &todo_core::Error) -> String {
    match std::error::Error::source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}
