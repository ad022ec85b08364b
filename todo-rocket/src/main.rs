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
        .and_then(|options| todo_rocket::mount_with(rocket::build(), "/", config, &options))
    {
        Ok(rocket) => rocket,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    match rocket.launch().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the server could not start: {}", error.kind());
            ExitCode::FAILURE
        }
    }
}
