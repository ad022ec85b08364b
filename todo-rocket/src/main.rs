//! `todo-rocket`: run the server, or print its OpenAPI document (`todo-rocket openapi`). Reads the configuration,
//! installs logging, checks that the identity providers answer, and launches; everything else is in the library. Exits 2 on
//! a configuration error (an identity provider whose issuer is bad or unreachable included).

use std::fmt::Display;
use std::process::ExitCode;

use todo_rocket::{logging, LogFormat, ServerOptions};

#[rocket::main]
async fn main() -> ExitCode {
    let format = match LogFormat::from_env() {
        Ok(format) => format,
        Err(error) => return fail(2, error),
    };
    let figment = todo_rocket::rocket_figment(format);
    // Lines are written in batches by a background thread; the guard writes what is left when `main` returns.
    let _flush_on_exit = match logging::install(format, &figment, std::io::stdout()) {
        Ok(guard) => guard,
        Err(error) => return fail(1, error),
    };
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {}
        Some("openapi") => {
            return match todo_rocket::openapi::document("/").to_pretty_json() {
                Ok(json) => {
                    println!("{json}");
                    ExitCode::SUCCESS
                }
                Err(error) => fail(1, format_args!("cannot render the OpenAPI document: {error}")),
            };
        }
        Some(other) => return fail(2, format_args!("unknown command `{other}`; usage: todo-rocket [serve | openapi]")),
    }
    if let Err(error) = todo_rocket::metrics::install_exporter_from_env() {
        return fail(2, error);
    }
    let config = match todo_core::Config::from_env() {
        Ok(config) => config,
        Err(error) => return fail(2, error),
    };
    // A bad or unreachable issuer stops the start here, with one line naming the provider.
    if let Err(error) = todo_core::check_identity_providers(&config).await {
        return fail(2, error);
    }
    let rocket = match ServerOptions::from_env().map_err(|error| error.to_string()).and_then(|options| {
        todo_rocket::mount_with(rocket::custom(figment), "/", config, &options).map_err(|error| error.to_string())
    }) {
        Ok(rocket) => rocket,
        Err(error) => return fail(2, error),
    };
    // SIGTERM, SIGHUP and Ctrl-C start a graceful shutdown: no new connections, in-flight requests finish
    // (Rocket's `shutdown.grace` and `shutdown.mercy`), then the pool closes here and the process exits 0.
    match rocket.launch().await {
        Ok(rocket) => {
            todo_rocket::close_store(&rocket).await;
            tracing::info!("stopped: in-flight requests finished and the database pool is closed");
            ExitCode::SUCCESS
        }
        Err(error) => fail(1, format_args!("the server could not start: {}", error.kind())),
    }
}

/// Says why on standard error, as one line, and exits with `code`.
fn fail(code: u8, error: impl Display) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(code)
}
