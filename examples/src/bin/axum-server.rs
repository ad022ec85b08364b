//! The axum example server on 127.0.0.1:3000 (configuration from the environment, like the Rocket server).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let todo = match todo_core::Config::from_env() {
        Ok(config) => todo_core::Todo::connect(&config).await,
        Err(error) => Err(error),
    };
    let todo = match todo {
        Ok(todo) => todo,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:3000").await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("error: cannot listen on 127.0.0.1:3000: {error}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!("axum example listening on http://127.0.0.1:3000");
    match axum::serve(listener, todo_examples::axum_server::router(todo)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
