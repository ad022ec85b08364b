//! Prometheus metrics, through the `metrics` facade: off unless the binary installs an exporter
//! (`METRICS_ADDRESS`), in which case they are served on that address only, never on the API's port.
//!
//! | metric | labels |
//! | --- | --- |
//! | `http_requests_total` (counter) | `method`, `route` (the template, e.g. `/tasks/<id>`), `status` |
//! | `http_request_duration_seconds` (histogram) | `method`, `route` |
//! | `logins_total` (counter) | `outcome`: `success`, `invalid_credentials`, `not_verified`, `rate_limited`, `error` |
//! | `rate_limit_refusals_total` (counter) | `limit`: `login`, `password_check` (password change, account deletion), `signup`, `password_reset`, `verification_mail` |
//! | `db_pool_connections`, `db_pool_connections_in_use` (gauges) | |
//! | `database_errors_total` (counter) | `kind`: `unavailable`, `internal` |
//!
//! Without an installed recorder every call here is a no-op.

use std::net::SocketAddr;
use std::time::Duration;

use metrics_exporter_prometheus::{BuildError, PrometheusBuilder};

use crate::settings::ConfigError;

/// Why `METRICS_ADDRESS` cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum ExporterError {
    /// The value is not an address and port.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The listener could not start (the port is taken, say).
    #[error("METRICS_ADDRESS: the metrics listener could not start: {0}")]
    Listener(#[from] BuildError),
}

/// Installs the exporter on `METRICS_ADDRESS` when it is set (see [`install_exporter`]), and says where.
pub fn install_exporter_from_env() -> Result<(), ExporterError> {
    let Some(address) = std::env::var("METRICS_ADDRESS").ok().filter(|address| !address.trim().is_empty()) else {
        return Ok(());
    };
    let address = address.trim().parse::<SocketAddr>().map_err(|_| ConfigError {
        variable: "METRICS_ADDRESS",
        reason: "must be an address and port, e.g. 127.0.0.1:9100".into(),
    })?;
    install_exporter(address)?;
    tracing::info!("metrics: Prometheus text format at http://{address}/metrics");
    Ok(())
}

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

/// A request refused by an abuse limit (refused logins: [`login_refused`]).
pub(crate) fn refused(limit: &'static str) {
    metrics::counter!("rate_limit_refusals_total", "limit" => limit).increment(1);
}

/// For `Result::inspect_err`: counts the error as a refusal by `limit` when it is an abuse limit's refusal.
pub(crate) fn refusal_of(limit: &'static str) -> impl Fn(&todo_core::Error) {
    move |error| {
        if matches!(error, todo_core::Error::RateLimited { .. }) {
            refused(limit);
        }
    }
}

/// A login refused by the password-check budgets: one event, in both series it belongs to (a refusal, and a login
/// that ended `rate_limited`), so that no caller counts it twice.
pub(crate) fn login_refused() {
    refused("login");
    login("rate_limited");
}

/// A request that failed in the database (`unavailable`) or in a way that is a bug (`internal`).
pub(crate) fn database_error(kind: &'static str) {
    metrics::counter!("database_errors_total", "kind" => kind).increment(1);
}
