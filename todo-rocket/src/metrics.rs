//! Prometheus metrics, through the `metrics` facade: off unless the binary installs an exporter
//! (`METRICS_ADDRESS`), in which case they are served on that address only, never on the API's port.
//!
//! | metric | labels |
//! | --- | --- |
//! | `http_requests_total` (counter) | `method`, `route` (the template, e.g. `/tasks/<id>`), `status` |
//! | `http_request_duration_seconds` (histogram) | `method`, `route` |
//! | `logins_total` (counter) | `outcome`: `success`, `invalid_credentials`, `not_verified`, `rate_limited`, `error` |
//! | `rate_limit_refusals_total` (counter) | `limit`: `login`, `signup`, `password_reset`, `verification_mail` |
//! | `db_pool_connections`, `db_pool_connections_in_use` (gauges) | |
//! | `rate_limit_keys` (gauge) | `limiter`: `login_email`, `login_client`, `signup_client`, `password_reset_email`, `password_reset_client` |
//! | `database_errors_total` (counter) | `kind`: `unavailable`, `internal` |
//!
//! Without an installed recorder every call here is a no-op.

use std::net::SocketAddr;
use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, PrometheusBuilder};
use rocket::fairing::AdHoc;

use crate::db::Db;
use crate::limits::RateLimits;

/// How often the pool gauges are refreshed.
const POOL_SAMPLE_INTERVAL: Duration = Duration::from_secs(5);

/// Installs the Prometheus exporter, serving `GET /metrics` (any path, in fact) on `address`. Call it once, inside
/// the Tokio runtime, before the server starts.
pub fn install_exporter(address: SocketAddr) -> Result<(), BuildError> {
    let buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
    PrometheusBuilder::new()
        .with_http_listener(address)
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full("http_request_duration_seconds".into()),
            &buckets,
        )?
        .install()
}

/// One answered request.
pub(crate) fn request(method: &'static str, route: String, status: u16, latency: Duration) {
    metrics::counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(latency.as_secs_f64());
}

/// One login attempt and how it ended.
pub(crate) fn login(outcome: &'static str) {
    metrics::counter!("logins_total", "outcome" => outcome).increment(1);
}

/// A request refused by an abuse limit.
pub(crate) fn refused(limit: &'static str) {
    metrics::counter!("rate_limit_refusals_total", "limit" => limit).increment(1);
}

/// A request that failed in the database (`unavailable`) or in a way that is a bug (`internal`).
pub(crate) fn database_error(kind: &'static str) {
    metrics::counter!("database_errors_total", "kind" => kind).increment(1);
}

/// Samples the pool's size and connections in use, and the keys each abuse limiter holds, every few seconds,
/// from liftoff on.
pub(crate) fn sampler() -> AdHoc {
    AdHoc::on_liftoff("pool and limiter metrics", |rocket| {
        Box::pin(async move {
            let (Some(db), Some(limits)) = (rocket.state::<Db>(), rocket.state::<RateLimits>()) else { return };
            let store = todo_core::Store::clone(db);
            let limits = limits.clone();
            rocket::tokio::spawn(async move {
                let mut every = rocket::tokio::time::interval(POOL_SAMPLE_INTERVAL);
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
