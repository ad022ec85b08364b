//! The gauges sampled every few seconds: the pool's connections.

use std::time::Duration;

use rocket::fairing::AdHoc;

use super::db::Db;

/// How often the gauges are refreshed.
const SAMPLE_INTERVAL: Duration = Duration::from_secs(5);

/// Samples the pool's size and connections in use every few seconds, from liftoff on.
pub(crate) fn sampler() -> AdHoc {
    AdHoc::on_liftoff("pool metrics", |rocket| {
        Box::pin(async move {
            let Some(db) = rocket.state::<Db>() else { return };
            let store = todo_core::Store::clone(db);
            rocket::tokio::spawn(async move {
                let mut every = rocket::tokio::time::interval(SAMPLE_INTERVAL);
                loop {
                    every.tick().await;
                    let (size, idle) = store.pool_status();
                    metrics::gauge!("db_pool_connections").set(f64::from(size));
                    metrics::gauge!("db_pool_connections_in_use").set(size.saturating_sub(idle as u32) as f64);
                }
            });
        })
    })
}
