//! The Rocket reference server for [`todo_core`]: request guards, the routes of API.md, problem+json errors for
//! everything (Rocket's own errors included), an OpenAPI 3.1 document and Swagger UI.
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
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod body;
mod catchers;
mod cors;
mod db;
mod error;
mod failure;
mod grant;
mod guard;
mod headers;
mod limits;
mod location;
pub mod metrics;
pub mod openapi;
mod options;
mod problem;
pub mod request_log;
mod routes;

use rocket::fairing::AdHoc;
use rocket::{Build, Rocket};
use rocket_db_pools::Database;
use todo_core::{Config, Todo};
use utoipa_swagger_ui::SwaggerUi;

pub use db::{Db, TodoPool, DATABASE_NAME};
pub use error::{ApiError, ApiResult};
pub use grant::{LoginRequest, RefreshRequest, TokenGrant};
pub use guard::{AuthUser, TaskOwner};
pub use limits::RateLimitSettings;
pub use options::{ConfigError, ServerOptions};
pub use problem::{FieldProblem, Problem};
pub use routes::auth::{ChangePasswordRequest, DeleteAccountRequest, SignupRequest, TokenResponse, User};
pub use routes::health::Health;
pub use routes::sessions::Session;
pub use routes::tasks::{CreateTask, PatchTask, ReplaceTask, Task, TaskPage};

/// Adds the whole API to `rocket` under `base` (`"/"` or a prefix such as `"/api/v1"`): the database pool and
/// its migrations, the library state, the routes, the problem+json catchers, `openapi.json` and Swagger UI.
///
/// Uses the default [`ServerOptions`]: same-origin only, default abuse limits. See [`mount_with`].
pub fn mount(rocket: Rocket<Build>, base: &str, config: Config) -> Rocket<Build> {
    assemble(rocket, &normalise_base(base), config, &ServerOptions::default())
}

/// Like [`mount`], with these server options (CORS origins, abuse limits). Fails only on an unusable option
/// (an origin that is not `scheme://host[:port]`, or abuse limits that [`RateLimitSettings`] documents as
/// out of range).
pub fn mount_with(
    rocket: Rocket<Build>,
    base: &str,
    config: Config,
    options: &ServerOptions,
) -> Result<Rocket<Build>, ConfigError> {
    let base = normalise_base(base);
    options.rate_limits.validate()?;
    let cors = cors::fairing(&options.cors_allowed_origins, &format!("{base}/cors"))?;
    let rocket = assemble(rocket, &base, config, options);
    Ok(match cors {
        Some(cors) => rocket.attach(cors),
        None => rocket,
    })
}

fn assemble(rocket: Rocket<Build>, base: &str, config: Config, options: &ServerOptions) -> Rocket<Build> {
    let figment = rocket.figment().clone().join((format!("databases.{DATABASE_NAME}.url"), config.database_url()));
    let swagger_ui =
        SwaggerUi::new(format!("{base}/swagger-ui/<_..>")).url(format!("{base}/openapi.json"), openapi::document(base));
    let swagger_address = format!("{base}/swagger-ui/");
    let app_base = base.to_owned();
    let mount_point = if base.is_empty() { "/" } else { base };
    rocket
        .configure(figment)
        .manage(limits::RateLimits::new(&options.rate_limits))
        .attach(Db::init())
        .attach(AdHoc::try_on_ignite("todo-core", move |rocket| async move {
            // Without the pool (its fairing failed and said why), there is nothing to add.
            let Some(db) = rocket.state::<Db>() else { return Err(rocket) };
            let config = match rocket.figment().extract::<rocket::Config>() {
                Ok(server) => with_default_app_url(config, &server, &app_base),
                Err(_) => config,
            };
            tracing::info!("mail: {}", config.mailer().describe());
            let todo = Todo::new(todo_core::Store::clone(db), &config);
            Ok(rocket.manage(todo))
        }))
        .attach(AdHoc::on_liftoff("Swagger UI address", move |rocket| {
            Box::pin(async move {
                let config = rocket.config();
                let scheme = if config.tls_enabled() { "https" } else { "http" };
                tracing::info!("Swagger UI at {scheme}://{}:{}{swagger_address}", config.address, config.port);
            })
        }))
        .attach(headers::NoSniff)
        .attach(request_log::RequestLog)
        .attach(metrics::sampler())
        .mount(mount_point, request_log::in_request_spans(routes::all()))
        .mount("/", swagger_ui)
        .register(mount_point, catchers::all())
}

/// Closes the database pool of a server that has finished (what `rocket.launch().await` returned): waits for
/// connections in use to come back, then closes them all. Call it after a graceful shutdown; the pool is
/// deliberately left open while the shutdown drains in-flight requests.
pub async fn close_store(rocket: &Rocket<rocket::Ignite>) {
    if let Some(db) = rocket.state::<Db>() {
        todo_core::Store::close(db).await;
    }
}

/// `config` with `APP_URL` set to this server's own base URL (`http://address:port/base`) when it has none, as
/// the contract says: mail links then open this server, which is right when it also serves the front end.
fn with_default_app_url(config: Config, rocket: &rocket::Config, base: &str) -> Config {
    if config.app_url().is_some() {
        return config;
    }
    let scheme = if rocket.tls_enabled() { "https" } else { "http" };
    let host = match rocket.address {
        address if address.is_unspecified() => "localhost".to_owned(),
        std::net::IpAddr::V6(address) => format!("[{address}]"),
        address => address.to_string(),
    };
    let own = format!("{scheme}://{host}:{}{base}", rocket.port);
    config.clone().with_app_url(&own).unwrap_or(config)
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
