//! The HTTP routes of API.md, one module per area, with their request and response types beside them.

pub mod auth;
pub mod email;
pub mod health;
pub mod sessions;
pub mod tasks;

use rocket::Route;

/// Every route of the API (without the OpenAPI document and Swagger UI).
pub fn all() -> Vec<Route> {
    [auth::routes(), email::routes(), sessions::routes(), tasks::routes(), health::routes()].concat()
}
