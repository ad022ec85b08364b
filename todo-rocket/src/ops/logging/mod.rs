//! The log subscriber of the binary: `RUST_LOG`'s filter (default `info`), the readable format or one JSON object
//! per line ([`LogFormat`]), written by a background thread in batches ([`BatchWriter`]).
//!
//! In the JSON format Rocket's own lines, which Rocket writes through the `log` crate as plain text, go through the
//! same subscriber: a `log` logger that hands every record to `tracing` is installed before Rocket would install
//! its own (Rocket 0.5 installs its logger only when none is set), and `ROCKET_LOG_LEVEL` (`off`, the default
//! here; `critical`, `normal`, `debug`) becomes the filter of Rocket's targets (`rocket`, `rocket_cors`, ...). The
//! readable format leaves Rocket's lines to Rocket, as they always were.
//!
//! [`subscriber`] builds the subscriber for any writer, so tests can read its lines from memory; [`install`] is
//! what the binary does. Uses [`super::request_log`] for the request id of a handler's lines.

mod json_format;
mod log_writer;
#[cfg(test)]
mod memory;

use std::io::{self, IsTerminal, Write};

use rocket::config::LogLevel;
use rocket::figment::Figment;
use tracing::Dispatch;
use tracing_log::log::LevelFilter;
use tracing_log::LogTracer;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

pub use self::json_format::{JsonLines, JsonSpanFields};
pub use self::log_writer::{BatchWriter, FlushOnDrop, LineSink};
pub use crate::settings::LogFormat;

/// Why logging could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The writer thread did not start.
    #[error("cannot start the log writer thread: {0}")]
    WriterThread(#[from] io::Error),
    /// A `tracing` subscriber or a `log` logger is installed already.
    #[error("a log subscriber is installed already")]
    AlreadyInstalled,
}

/// Installs the subscriber for `format` as the global default, writing to `output` in batches, with colours
/// only when `output` is a terminal (a file, a pipe or journald would get the escape codes as text). In the JSON
/// format, Rocket's own lines join it at the level `rocket` (Rocket's configuration, see
/// [`crate::rocket_figment`]) sets. Call it once, before Rocket is built; keep the guard until the process exits:
/// dropping it writes the lines still buffered.
pub fn install<W: Write + IsTerminal + Send + 'static>(
    format: LogFormat,
    rocket: &Figment,
    output: W,
) -> Result<FlushOnDrop<W>, InstallError> {
    let rocket_level = rocket.extract_inner(rocket::Config::LOG_LEVEL).unwrap_or(LogLevel::Off);
    let ansi = format == LogFormat::Text && output.is_terminal();
    let filter = filter(format, std::env::var("RUST_LOG").ok().as_deref(), rocket_level);
    let (writer, flush_on_exit) = BatchWriter::spawn(output)?;
    tracing::dispatcher::set_global_default(subscriber(format, filter, ansi, writer))
        .map_err(|_| InstallError::AlreadyInstalled)?;
    if format == LogFormat::Json {
        // Before Rocket is built, so that Rocket finds a logger and keeps its own out of the JSON stream. Its
        // logger hid the chatter of hyper and rustls below `debug`; so does this one.
        let quiet = if rocket_level == LogLevel::Debug { vec![] } else { vec!["hyper", "rustls", "r2d2"] };
        LogTracer::builder()
            .with_max_level(LevelFilter::from(rocket_level))
            .ignore_all(quiet)
            .init()
            .map_err(|_| InstallError::AlreadyInstalled)?;
    }
    Ok(flush_on_exit)
}

/// What is logged: `rust_log`'s directives (`RUST_LOG`; `info` when unset or unreadable). In the JSON format,
/// also: the `request` span off (the format reads the request id from the handler's task instead, which costs far
/// less: benches/README.md, "The request span off in the JSON format"), and Rocket's targets at `rocket`'s level.
pub fn filter(format: LogFormat, rust_log: Option<&str>, rocket: LogLevel) -> EnvFilter {
    let filter = rust_log.and_then(|directives| EnvFilter::try_new(directives).ok()).unwrap_or_else(|| "info".into());
    if format == LogFormat::Text {
        return filter;
    }
    let rocket = match rocket {
        LogLevel::Off => "off",
        LogLevel::Critical => "warn",
        LogLevel::Normal => "info",
        LogLevel::Debug => "trace",
    };
    [format!("{}=off", super::request_log::REQUEST_SPAN_TARGET), format!("rocket={rocket}")]
        .into_iter()
        .filter_map(|directive| directive.parse().ok())
        .fold(filter, EnvFilter::add_directive)
}

/// The subscriber for `format`, writing through `writer` (colours only with `ansi`, and only in the readable
/// format), filtered by `filter`.
pub fn subscriber<W>(format: LogFormat, filter: EnvFilter, ansi: bool, writer: W) -> Dispatch
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    match format {
        LogFormat::Text => Dispatch::new(builder.with_ansi(ansi).finish()),
        // One JSON object per line, with the request id on every line of a request.
        LogFormat::Json => Dispatch::new(builder.json().fmt_fields(JsonSpanFields).event_format(JsonLines).finish()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::memory::Memory;
    use super::*;

    /// What `log` writes through the subscriber of `format`, filtered as the binary filters.
    fn written(format: LogFormat, rust_log: &str, rocket: LogLevel, log: impl Fn()) -> Vec<String> {
        let memory = Memory::default();
        let subscriber = subscriber(format, filter(format, Some(rust_log), rocket), false, memory.clone());
        tracing::dispatcher::with_default(&subscriber, log);
        memory.lines()
    }

    #[test]
    fn json_lines_are_one_object_each_and_the_request_span_is_off() {
        let lines = written(LogFormat::Json, "info", LogLevel::Off, || {
            tracing::info!(target: "todo_rocket::request", status = 200u16, "request");
            let span = tracing::info_span!(target: "todo_rocket::request_span", "request", request_id = "r-1");
            span.in_scope(|| tracing::warn!("inside"));
            tracing::debug!("filtered out");
        });
        let objects: Vec<Value> = lines.iter().map(|line| serde_json::from_str(line).expect("JSON")).collect();
        assert_eq!(objects.len(), 2, "{lines:?}");
        assert_eq!(objects[0]["fields"]["status"], 200);
        assert_eq!(objects[1]["fields"]["message"], "inside");
        assert!(objects[1].get("span").is_none(), "the request span is off in JSON: {lines:?}");
    }

    #[test]
    fn the_readable_format_is_text_with_the_request_span() {
        let lines = written(LogFormat::Text, "info", LogLevel::Off, || {
            let span = tracing::info_span!(target: "todo_rocket::request_span", "request", request_id = "r-1");
            span.in_scope(|| tracing::info!("inside"));
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].contains("request{request_id=\"r-1\"}") && lines[0].ends_with("inside"), "{lines:?}");
        assert!(serde_json::from_str::<Value>(&lines[0]).is_err());
    }

    #[test]
    fn rocket_log_level_filters_rockets_targets_in_json() {
        let log = || {
            tracing::info!(target: "rocket::server", "GET /:");
            tracing::warn!(target: "rocket::launch", "Rocket has launched");
            tracing::info!(target: "todo_rocket::request", "request");
        };
        let targets = |rocket| -> Vec<String> {
            written(LogFormat::Json, "info", rocket, log)
                .iter()
                .map(|line| {
                    serde_json::from_str::<Value>(line).expect("JSON")["target"].as_str().expect("a target").into()
                })
                .collect()
        };
        assert_eq!(targets(LogLevel::Off), ["todo_rocket::request"]);
        assert_eq!(targets(LogLevel::Critical), ["rocket::launch", "todo_rocket::request"]);
        assert_eq!(targets(LogLevel::Normal), ["rocket::server", "rocket::launch", "todo_rocket::request"]);
        // ROCKET_LOG_LEVEL governs Rocket's targets whatever RUST_LOG says.
        let quiet = written(LogFormat::Json, "off", LogLevel::Normal, log);
        assert_eq!(quiet.len(), 2, "{quiet:?}");
    }

    #[test]
    fn a_log_record_keeps_its_target_and_level_and_only_its_message() {
        // The process-wide `log` logger, as `install` sets it in the JSON format.
        let _ = LogTracer::builder().with_max_level(LevelFilter::Trace).init();
        let lines = written(LogFormat::Json, "info", LogLevel::Normal, || {
            tracing_log::log::warn!(target: "rocket::server::_", "No matching routes for GET /nope.");
            tracing_log::log::debug!(target: "rocket::server", "below `normal`");
        });
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line: Value = serde_json::from_str(&lines[0]).expect("JSON");
        assert_eq!(line["target"], "rocket::server::_");
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"], json!({"message": "No matching routes for GET /nope."}));
    }
}
