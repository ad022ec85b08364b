//! `GET /health`: whether the database answers.

use rocket::serde::json::Json;
use rocket::{get, routes, Route};
use rocket_db_pools::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Db;
use crate::error::ApiError;
use crate::openapi::responses;

/// The routes of this module.
pub fn routes() -> Vec<Route> {
    routes![health]
}

/// Service health.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
}

/// Check that the server and its database answer.
#[utoipa::path(
    get, path = "/health", tag = "service", operation_id = "health",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, response = responses::Unavailable),
    )
)]
#[get("/health")]
async fn health(store: Connection<Db>) -> Result<Json<Health>, ApiError> {
    store.ping().await?;
    Ok(Json(Health { status: "ok".into() }))
}
