//! A scratch database of either engine, for test support that runs one suite on both.

#[cfg(feature = "postgres")]
use crate::ScratchPostgres;
#[cfg(feature = "sqlite")]
use crate::ScratchSqlite;

/// A scratch database of whichever engine a test runs on; [`ScratchDatabase::remove`] removes it.
#[derive(Debug)]
pub enum ScratchDatabase {
    /// A SQLite file.
    #[cfg(feature = "sqlite")]
    Sqlite(ScratchSqlite),
    /// A PostgreSQL database.
    #[cfg(feature = "postgres")]
    Postgres(ScratchPostgres),
}

impl ScratchDatabase {
    /// The database's URL.
    pub fn url(&self) -> &str {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(file) => file.url(),
            #[cfg(feature = "postgres")]
            Self::Postgres(database) => database.url(),
        }
    }

    /// Removes the database (call it after closing every pool on it). Panics when PostgreSQL cannot drop it.
    pub async fn remove(self) {
        match self {
            // Dropping the scratch file removes it.
            #[cfg(feature = "sqlite")]
            Self::Sqlite(file) => drop(file),
            #[cfg(feature = "postgres")]
            Self::Postgres(database) => database.drop_database().await.expect("drops the test database"),
        }
    }
}
