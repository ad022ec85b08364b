//! The HTTP API: one module per area of routes (accounts, email, sessions, lists, tasks, health), each with its request
//! types beside its handlers; the response types several areas send ([`wire`]); the token endpoint's requests
//! ([`grant`]); mails sent after the answer ([`mail`]); the shared OpenAPI responses ([`responses`]); and the
//! document that merges them ([`openapi`]).
//!
//! May use [`crate::settings`], [`crate::ops`] and [`crate::http`]. Each area is a stage (an `AdHoc` fairing that
//! mounts its routes), which `lib.rs` lists.

pub(crate) mod auth;
pub(crate) mod email;
pub(crate) mod grant;
pub(crate) mod health;
pub(crate) mod invitations;
pub(crate) mod lists;
pub(crate) mod mail;
pub(crate) mod mfa;
pub(crate) mod oidc;
pub mod openapi;
pub(crate) mod passkeys;
pub mod responses;
pub(crate) mod sessions;
pub(crate) mod sign_in_links;
pub(crate) mod tasks;
pub(crate) mod wire;

use rocket::fairing::AdHoc;
use rocket::Route;
use todo_core::{Config, Todo};

use crate::ops::db::Db;
use crate::ops::request_log::in_request_spans;

/// A stage that mounts `routes` at `mount_point`, each handled with its request's id (see
/// [`crate::request_log`]).
fn routes_stage(name: &'static str, mount_point: &str, routes: Vec<Route>) -> AdHoc {
    let mount_point = mount_point.to_owned();
    AdHoc::on_ignite(name, |rocket| async move { rocket.mount(mount_point, in_request_spans(routes)) })
}

/// The stage of the library the routes call: `todo-core`'s [`Todo`] over the database pool, as managed state.
/// `APP_URL` defaults to this server under `base` (see [`with_default_app_url`]).
pub(crate) fn library(config: Config, base: &str) -> AdHoc {
    let base = base.to_owned();
    // Attached at ignite, after the pool stage attached the pool's fairing at ignite: it then runs after it.
    AdHoc::on_ignite("todo-core", |rocket| async move {
        rocket.attach(AdHoc::try_on_ignite("todo-core", move |rocket| async move {
            // Without the pool (its fairing failed and said why), there is nothing to add.
            let Some(db) = rocket.state::<Db>() else { return Err(rocket) };
            let config = match rocket.figment().extract::<rocket::Config>() {
                Ok(server) => {
                    let own = own_url(&server, &base);
                    with_default_api_url(with_default_app_url(config, &own), &own)
                }
                Err(_) => config,
            };
            tracing::info!("mail: {}", config.mailer().describe());
            let todo = Todo::new(todo_core::Store::clone(db), &config);
            // A bad or unreachable issuer stops the start, with one line naming the provider.
            if let Err(error) = todo.accounts().discover_identity_providers().await {
                tracing::error!("{error}");
                return Err(rocket);
            }
            for provider in todo.accounts().identity_providers() {
                if let Some(uri) = todo.accounts().provider_redirect_uri(&provider.name) {
                    tracing::info!("identity provider `{}`: its redirect URI is {uri}", provider.name);
                }
            }
            Ok(rocket.manage(todo))
        }))
    })
}

/// This server's own base URL: `http://address:port/base` (`localhost` for an unspecified address).
fn own_url(rocket: &rocket::Config, base: &str) -> String {
    let scheme = if rocket.tls_enabled() { "https" } else { "http" };
    let host = match rocket.address {
        address if address.is_unspecified() => "localhost".to_owned(),
        std::net::IpAddr::V6(address) => format!("[{address}]"),
        address => address.to_string(),
    };
    format!("{scheme}://{host}:{}{base}", rocket.port)
}

/// `config` with `APP_URL` set to this server's own base URL when it has none, as the README says: mail links then
/// open this server, which is right when it also serves the front end.
fn with_default_app_url(config: Config, own: &str) -> Config {
    if config.app_url().is_some() {
        return config;
    }
    config.clone().with_app_url(own).unwrap_or(config)
}

/// `config` with `API_URL` (the base of the providers' redirect URIs) set to this server's own base URL when it
/// has none; behind a proxy, the operator sets it.
fn with_default_api_url(config: Config, own: &str) -> Config {
    if config.api_url().is_some() {
        return config;
    }
    config.clone().with_api_url(own).unwrap_or(config)
}
