//! `todo-rocket`: run the server, or print its OpenAPI document (`todo-rocket openapi`).

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

#[rocket::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();

    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {}
        Some("openapi") => {
            return match todo_rocket::openapi::document("/").to_pretty_json() {
                Ok(json) => {
                    println!("{json}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: cannot render the OpenAPI document: {error}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(other) => {
            eprintln!("error: unknown command `{other}`; usage: todo-rocket [serve | openapi]");
            return ExitCode::from(2);
        }
    }

    let config = match todo_core::Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let rocket = match todo_rocket::ServerOptions::from_env()
        .and_then(|options| todo_rocket::mount_with(rocket::custom(figment()), "/", config, &options))
    {
        Ok(rocket) => rocket,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    // SIGTERM, SIGHUP and Ctrl-C start a graceful shutdown: no new connections, in-flight requests finish
    // (Rocket's `shutdown.grace` and `shutdown.mercy`, e.g. ROCKET_SHUTDOWN='{grace=10,mercy=5}'), then the
    // pool closes here and the process exits 0.
    match rocket.launch().await {
        Ok(rocket) => {
            todo_rocket::close_store(&rocket).await;
            tracing::info!("stopped: in-flight requests finished and the database pool is closed");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: the server could not start: {}", error.kind());
            ExitCode::FAILURE
        }
    }
}

/// Rocket's configuration, except that client addresses come from the TCP peer unless `ROCKET_IP_HEADER` names
/// the header a trusted reverse proxy sets: Rocket's default trusts `X-Real-IP` from anyone, which would let a
/// client pick the address its failed logins are counted against.
fn figment() -> rocket::figment::Figment {
    let figment = rocket::Config::figment();
    if std::env::var_os("ROCKET_IP_HEADER").is_some() {
        figment
    } else {
        figment.merge(("ip_header", false))
    }
}
