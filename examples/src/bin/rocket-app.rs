//! The Rocket example app: its own routes at `/`, the todo API under `/api/v1`.

use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    let config = match todo_core::Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    match todo_examples::rocket_app::rocket(rocket::build(), config).launch().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: the app could not start: {}", error.kind());
            ExitCode::FAILURE
        }
    }
}
