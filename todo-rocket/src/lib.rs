//! The Rocket reference server for [`todo_core`]: request guards, the routes of its OpenAPI document,
//! problem+json errors for everything (Rocket's own errors included), an OpenAPI 3.1 document and Swagger UI.
//!
//! Mount it into any Rocket application, under any base path:
//!
//! ```no_run
//! # #[rocket::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = todo_core::Config::from_env()?; // JWT_SECRET, DATABASE_URL, ...
//! let app = todo_rocket::mount(rocket::build(), "/api/v1", config);
//! // Routes at /api/v1/auth/..., /api/v1/tasks/..., /api/v1/openapi.json and /api/v1/swagger-ui/.
//! let _ = app.launch().await?;
//! # Ok(())
//! # }
//! ```
//!
//! The database comes from Rocket's `databases.todo` configuration when present (e.g.
//! `ROCKET_DATABASES='{todo={url="postgres://..."}}'`), otherwise from `DATABASE_URL` via [`todo_core::Config`].
//!
//! # Layout
//! Dependencies point one way, from the leaf to the stages listed here:
//! `settings` (the server's settings and their rules; uses nothing here) → `ops` (the pool, metrics, request
//! logs, CORS, logging) → `http` (problem documents, the error mapping, catchers, body and query parsing, guards,
//! the client a request comes from, headers) → `api` (a module per area of routes, the shared wire types and response sets, the
//! OpenAPI document) → this file, which mounts them as a list of stages.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod api;
mod http;
mod ops;
mod settings;

use rocket::fairing::AdHoc;
use rocket::{Build, Rocket};
use todo_core::Config;

pub use api::grant::{LoginRequest, RefreshRequest, TokenGrant};
pub use api::health::Health;
pub use api::openapi;
pub use api::sessions::Session;
pub use api::tasks::{CreateTask, PatchTask, ReplaceTask, Task, TaskPage};
pub use api::wire::{TokenResponse, User};
pub use api::{auth::ChangePasswordRequest, auth::DeleteAccountRequest, auth::SignupRequest};
pub use http::error::{ApiError, ApiResult};
pub use http::guard::{AuthUser, TaskOwner};
pub use http::problem::{FieldProblem, Problem};
pub use ops::db::{Db, TodoPool, DATABASE_NAME};
pub use ops::{logging, metrics, request_log};
pub use settings::{rocket_figment, ConfigError, LogFormat, ServerOptions};

/// Adds the whole API to `rocket` under `base` (`"/"` or a prefix such as `"/api/v1"`): the database pool and
/// its migrations, the library state, the routes, the problem+json catchers, `openapi.json` and Swagger UI.
///
/// Uses the default [`ServerOptions`]: same-origin only, and client addresses from the TCP peer (no header is
/// trusted; the abuse limits are `config`'s). See [`mount_with`].
pub fn mount(rocket: Rocket<Build>, base: &str, config: Config) -> Rocket<Build> {
    assemble(rocket, &normalise_base(base), config, &ServerOptions::default())
}

/// Like [`mount`], with these server options (CORS origins, the trusted client-address header). Fails only on an
/// unusable option (an origin that is not `scheme://host[:port]`).
pub fn mount_with(
    rocket: Rocket<Build>,
    base: &str,
    config: Config,
    options: &ServerOptions,
) -> Result<Rocket<Build>, ConfigError> {
    let base = normalise_base(base);
    options.validate()?;
    let cors = ops::cors::fairing(&options.cors_allowed_origins, &format!("{base}/cors"))?;
    let rocket = assemble(rocket, &base, config, options);
    // Last, as a stage too: its fairing then answers after the request log has seen the response, as it always has.
    Ok(match cors {
        Some(cors) => rocket.attach(AdHoc::on_ignite("CORS", |rocket| async { rocket.attach(cors) })),
        None => rocket,
    })
}

/// The API as a list of stages, in the manner of Rocket's `examples/databases`: each attaches its state, its
/// fairings or its routes when Rocket ignites, in this order (which is also the order its fairings run in).
fn assemble(rocket: Rocket<Build>, base: &str, config: Config, options: &ServerOptions) -> Rocket<Build> {
    let mount_point = if base.is_empty() { "/" } else { base };
    rocket
        .attach(ops::db::stage(config.database_url().to_owned()))
        .attach(ops::housekeeping::stage(config.cleanup_interval()))
        .attach(api::library(config, base))
        .attach(http::stage(mount_point, options.client_ip_header.clone()))
        .attach(ops::request_log::stage())
        .attach(ops::gauges::sampler())
        .attach(api::auth::stage(mount_point))
        .attach(api::email::stage(mount_point))
        .attach(api::sign_in_links::stage(mount_point))
        .attach(api::mfa::stage(mount_point))
        .attach(api::passkeys::stage(mount_point))
        .attach(api::oidc::stage(mount_point))
        .attach(api::sessions::stage(mount_point))
        .attach(api::lists::stage(mount_point))
        .attach(api::invitations::stage(mount_point))
        .attach(api::tasks::stage(mount_point))
        .attach(api::health::stage(mount_point))
        .attach(api::openapi::stage(base))
}

/// Closes the database pool of a server that has finished (what `rocket.launch().await` returned): waits for
/// connections in use to come back, then closes them all. Call it after a graceful shutdown; the pool is
/// deliberately left open while the shutdown drains in-flight requests.
pub async fn close_store(rocket: &Rocket<rocket::Ignite>) {
    if let Some(db) = rocket.state::<Db>() {
        todo_core::Store::close(db).await;
    }
}

/// `""`, `"/"` → `""`; `"api/v1/"` → `"/api/v1"`: a prefix to put before `/route`.
fn normalise_base(base: &str) -> String {
    let trimmed = base.trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}
