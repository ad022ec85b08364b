//! The gauges sampled every few seconds: the pool's connections, and the keys each abuse limiter holds.
//!
//! Apart from [`super::metrics`], which the limiters count their refusals through: the sampler reads the
//! limiters, so keeping it there would make the two modules use each other.

use std::time::Duration;

use rocket::fairing::AdHoc;

use super::db::Db;
use super::limits::RateLimits;

/// How often the gauges are refreshed.
const SAMPLE_INTERVAL: Duration = Duration::from_secs(5);

/// Samples the pool's size and connections in use, and the keys each abuse limiter holds, every few seconds,
/// from liftoff on.
pub(crate) fn sampler() -> AdHoc {
    AdHoc::on_liftoff("pool and limiter metrics", |rocket| {
        Box::pin(async move {
            let (Some(db), Some(limits)) = (rocket.state::<Db>(), rocket.state::<RateLimits>()) else { return };
            let store = todo_core::Store::clone(db);
            let limits = limits.clone();
            rocket::tokio::spawn(async move {
                let mut every = rocket::tokio::time::interval(SAMPLE_INTERVAL);
                loop {
                    every.tick().await;
                    let (size, idle) = store.pool_status();
                    metrics::gauge!("db_pool_connections").set(f64::from(size));
                    metrics::gauge!("db_pool_connections_in_use").set(size.saturating_sub(idle as u32) as f64);
                    for (limiter, keys) in limits.sizes() {
                        metrics::gauge!("rate_limit_keys", "limiter" => limiter).set(keys as f64);
                    }
                }
            });
        })
    })
}
