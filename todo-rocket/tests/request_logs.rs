//! The request id on the log lines of the server binary: the request line, and every line logged while the
//! request is handled, including the mail sent after the answer, carry the client's `X-Request-Id`. In both log
//! formats: JSON (`"span":{"request_id":…,"name":"request"}`, as the README documents) and the readable one.
//! On a SQLite file, and on PostgreSQL when `TEST_POSTGRES_URL` is set.

mod server_process;

use std::fs::File;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server_process::{ServerProcess, PASSWORD};

/// Sends `body` to `path` with `request_id` as the `X-Request-Id`, and returns the status and the id answered.
fn post_with_request_id(server: &ServerProcess, path: &str, body: Value, request_id: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let response = agent
        .post(format!("{}{path}", server.base))
        .header("X-Request-Id", request_id)
        .send_json(body)
        .expect("the server answers");
    let answered = response.headers().get("X-Request-Id").and_then(|id| id.to_str().ok()).unwrap_or_default();
    (response.status().as_u16(), answered.to_owned())
}

/// Starts the server with `log_format`, signs up (a verification mail, written to the log as no `SMTP_URL` is
/// set) and asks for a password reset for an unknown address (a line saying no mail was sent), each under its
/// own request id, then stops it and returns its log.
fn log_of_two_requests(database_url: &str, log_format: &str, log_file: &Path) -> String {
    let env = [("LOG_FORMAT", log_format), ("RUST_LOG", "info")];
    let mut server = ServerProcess::start_with_output(database_url, &env, File::create(log_file).expect("a log file"));
    let signup = json!({"email": "logged@example.com", "password": PASSWORD});
    assert_eq!(post_with_request_id(&server, "/auth/signup", signup, "signup-1"), (201, "signup-1".to_owned()));
    let forgot = json!({"email": "nobody@example.com"});
    assert_eq!(
        post_with_request_id(&server, "/auth/password/forgot", forgot, "forgot-2"),
        (202, "forgot-2".to_owned())
    );
    // The mails are prepared after the answers: wait until their lines ("mail sent", "no mail sent") are logged,
    // or give up and fail below.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let log = std::fs::read_to_string(log_file).unwrap_or_default();
        if log.matches("mail sent").count() >= 2 {
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.signal("TERM", Duration::from_secs(10)), Some(0), "the server stops cleanly");
    std::fs::read_to_string(log_file).expect("the log is readable")
}

fn json_lines_name_their_request(database_url: &str) {
    let log_file = std::env::temp_dir().join(format!("todo-request-logs-{}.jsonl", uuid::Uuid::now_v7().simple()));
    let log = log_of_two_requests(database_url, "json", &log_file);
    let _ = std::fs::remove_file(&log_file);
    let lines: Vec<Value> =
        log.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"))).collect();
    let message = |line: &Value| line["fields"]["message"].as_str().unwrap_or_default().to_owned();

    let request_lines: Vec<&Value> = lines.iter().filter(|line| message(line) == "request").collect();
    let ids_by_route: Vec<(&Value, &Value)> =
        request_lines.iter().map(|line| (&line["fields"]["route"], &line["fields"]["request_id"])).collect();
    assert!(ids_by_route.contains(&(&json!("/auth/signup"), &json!("signup-1"))), "{log}");
    assert!(ids_by_route.contains(&(&json!("/auth/password/forgot"), &json!("forgot-2"))), "{log}");

    let span_of = |wanted: &str| -> Vec<&Value> {
        lines.iter().filter(|line| message(line).starts_with(wanted)).map(|line| &line["span"]).collect()
    };
    let signup_span = json!({"request_id": "signup-1", "name": "request"});
    let mail_sent = span_of("mail sent");
    assert_eq!(mail_sent, [&signup_span], "{log}");
    assert_eq!(span_of("mail not sent (no SMTP_URL)"), [&signup_span], "{log}");
    assert_eq!(span_of("no account has this email"), [&json!({"request_id": "forgot-2", "name": "request"})], "{log}");
    // Lines outside any request (startup, shutdown) carry no request.
    assert!(lines.iter().any(|line| message(line).starts_with("stopped") && line.get("span").is_none()), "{log}");
}

fn readable_lines_name_their_request(database_url: &str) {
    let log_file = std::env::temp_dir().join(format!("todo-request-logs-{}.log", uuid::Uuid::now_v7().simple()));
    let log = log_of_two_requests(database_url, "text", &log_file);
    let _ = std::fs::remove_file(&log_file);
    let line_with = |wanted: &str| log.lines().find(|line| line.contains(wanted)).unwrap_or_default().to_owned();
    // ": mail sent", not "mail sent": the mail task of the signup and the "no mail sent" line of the reset race,
    // so either may come first.
    assert!(line_with(": mail sent").contains("request{request_id=signup-1}"), "{log}");
    assert!(line_with("no account has this email").contains("request{request_id=forgot-2}"), "{log}");
    assert!(line_with("route=\"/auth/signup\"").contains("request_id=\"signup-1\""), "{log}");
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_json_lines_name_their_request() {
    server_process::with_sqlite_file(json_lines_name_their_request);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_readable_lines_name_their_request() {
    server_process::with_sqlite_file(readable_lines_name_their_request);
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests"
)]
fn postgres_json_lines_name_their_request() {
    server_process::with_postgres_database(json_lines_name_their_request);
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests"
)]
fn postgres_readable_lines_name_their_request() {
    server_process::with_postgres_database(readable_lines_name_their_request);
}
