//! Operations: what runs around the routes rather than in them. The database pool fairing, the housekeeping
//! sweep, Prometheus metrics and the gauges sampled for them, request ids and request logs, CORS, and the log
//! subscriber of the binary (its JSON format and its batched writer).
//!
//! May use [`crate::settings`] only; [`crate::http`] and [`crate::api`] use this layer, never the other way.

pub(crate) mod cors;
pub(crate) mod db;
pub(crate) mod gauges;
pub(crate) mod housekeeping;
pub mod logging;
pub mod metrics;
pub mod request_log;
