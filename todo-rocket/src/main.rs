//! `todo-rocket`: run the server, or print its OpenAPI document (`todo-rocket openapi`).

use std::process::ExitCode;

use tracing_subscriber::EnvFilter;

mod json_format;
mod log_writer;

#[rocket::main]
async fn main() -> ExitCode {
    let json_logs = match std::env::var("LOG_FORMAT").as_deref() {
        Err(_) | Ok("" | "text") => false,
        Ok("json") => true,
        Ok(_) => {
            eprintln!("error: configuration error: LOG_FORMAT: must be text or json");
            return ExitCode::from(2);
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // Lines are written in batches by a background thread, so a request never waits on the terminal or the disk;
    // none is dropped (when the buffer is full, loggers wait), and the guard writes what is left when `main`
    // returns.
    let (writer, _flush_on_exit) = match log_writer::BatchWriter::spawn(std::io::stdout()) {
        Ok(started) => started,
        Err(error) => {
            eprintln!("error: cannot start the log writer thread: {error}");
            return ExitCode::FAILURE;
        }
    };
    if json_logs {
        // One JSON object per line, with the request id on every line of a request. `JsonLines` reads the id from
        // the handler's task, so the `request` span, which would carry the same id at about 5,000 instructions a
        // request, is turned off (benches/README.md, "The request span off").
        let filter = filter.add_directive(
            format!("{}=off", todo_rocket::request_log::REQUEST_SPAN_TARGET).parse().expect("a valid directive"),
        );
        tracing_subscriber::fmt()
            .json()
            .fmt_fields(json_format::JsonSpanFields)
            .event_format(json_format::JsonLines)
            .with_env_filter(filter)
            .with_writer(writer)
            .init();
    } else {
        // Colours only on a terminal: a file, a pipe or journald would get the escape codes as text.
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(ansi).init();
    }

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

    if let Some(address) = std::env::var("METRICS_ADDRESS").ok().filter(|address| !address.trim().is_empty()) {
        let Ok(address) = address.trim().parse::<std::net::SocketAddr>() else {
            eprintln!("error: configuration error: METRICS_ADDRESS: must be an address and port, e.g. 127.0.0.1:9100");
            return ExitCode::from(2);
        };
        if let Err(error) = todo_rocket::metrics::install_exporter(address) {
            eprintln!("error: METRICS_ADDRESS: the metrics listener could not start: {error}");
            return ExitCode::from(2);
        }
        tracing::info!("metrics: Prometheus text format at http://{address}/metrics");
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
///
/// With `LOG_FORMAT=json`, Rocket's own (plain-text) log is off unless `ROCKET_LOG_LEVEL`
/// says otherwise, so that the output stays one JSON object per line.
fn figment() -> rocket::figment::Figment {
    let mut figment = rocket::Config::figment();
    if std::env::var("LOG_FORMAT").as_deref() == Ok("json") && std::env::var_os("ROCKET_LOG_LEVEL").is_none() {
        figment = figment.merge(("log_level", "off"));
    }
    if std::env::var_os("ROCKET_IP_HEADER").is_some() {
        figment
    } else {
        figment.merge(("ip_header", false))
    }
}
