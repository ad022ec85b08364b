//! `GET /health`: whether the database answers.

use rocket::fairing::AdHoc;
use rocket::serde::json::Json;
use rocket::{get, routes};
use rocket_db_pools::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::responses;
use crate::http::error::ApiError;
use crate::ops::db::Db;

/// The stage of this area: its route under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage("health", mount_point, routes![health])
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
