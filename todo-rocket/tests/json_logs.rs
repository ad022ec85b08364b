//! With `LOG_FORMAT=json` and `ROCKET_LOG_LEVEL=normal`, every line the server binary writes, on standard output
//! and on standard error, is a JSON object: Rocket's own lines (launch, requests, errors, shutdown) come through
//! the same subscriber as the server's. On a SQLite file, and on PostgreSQL when `TEST_POSTGRES_URL` is set.

mod server_process;

use std::fs::File;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use server_process::{call_at, free_port, PASSWORD, SECRET};

/// Starts the binary in the JSON format with Rocket's log on, sends a few requests (a 404, a 405, errors of the
/// body and of the credentials among them), stops it with SIGTERM, and returns what it wrote to each stream.
fn output_of_a_short_run(database_url: &str, dir: &Path) -> (String, String) {
    let (stdout, stderr) = (dir.join("stdout.log"), dir.join("stderr.log"));
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_todo-rocket"))
        .current_dir(dir)
        .env("JWT_SECRET", SECRET)
        .env("BCRYPT_COST", "4")
        .env("DATABASE_URL", database_url)
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_PORT", port.to_string())
        .env("LOG_FORMAT", "json")
        .env("ROCKET_LOG_LEVEL", "normal")
        .env("RUST_LOG", "info")
        .stdout(File::create(&stdout).expect("a file for standard output"))
        .stderr(File::create(&stderr).expect("a file for standard error"))
        .spawn()
        .expect("the server binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while call_at(&base, "GET", "/health", None, None).0 != 200 {
        assert!(Instant::now() < deadline, "the server did not become healthy");
        thread::sleep(Duration::from_millis(100));
    }
    let credentials = json!({"email": "json@example.com", "password": PASSWORD});
    assert_eq!(call_at(&base, "POST", "/auth/signup", Some(credentials), None).0, 201);
    assert_eq!(call_at(&base, "GET", "/no/such/route", None, None).0, 404);
    assert_eq!(call_at(&base, "DELETE", "/health", None, None).0, 405);
    assert_eq!(call_at(&base, "POST", "/auth/login", Some(json!({"email": 1})), None).0, 422);
    let wrong = json!({"email": "json@example.com", "password": "not the password"});
    assert_eq!(call_at(&base, "POST", "/auth/login", Some(wrong), None).0, 401);
    assert_eq!(call_at(&base, "GET", "/tasks", None, Some("not a token")).0, 401);

    let sent = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(sent.is_ok_and(|status| status.success()), "kill -TERM works");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "the server stops cleanly");
    let read = |path: &Path| std::fs::read_to_string(path).expect("the output is readable");
    (read(&stdout), read(&stderr))
}

fn every_line_is_a_json_object(database_url: &str) {
    let dir = std::env::temp_dir().join(format!("todo-json-logs-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let (stdout, stderr) = output_of_a_short_run(database_url, &dir);
    let _ = std::fs::remove_dir_all(&dir);

    let mut lines = Vec::new();
    for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        for line in text.lines() {
            match serde_json::from_str::<Value>(line) {
                Ok(object @ Value::Object(_)) => lines.push(object),
                _ => panic!("a line of {stream} is not a JSON object: {line:?}\n{stdout}\n{stderr}"),
            }
        }
    }
    let target = |line: &Value| line["target"].as_str().unwrap_or_default().to_owned();
    let rocket_lines = lines.iter().filter(|line| target(line).starts_with("rocket")).count();
    assert!(rocket_lines > 0, "Rocket's own lines are there, as JSON:\n{stdout}");
    assert!(lines.iter().all(|line| target(line) != "log"), "Rocket's lines keep their own targets:\n{stdout}");
    let message = |line: &Value| line["fields"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(lines.iter().any(|line| message(line) == "request" && line["fields"]["status"] == 404), "{stdout}");
    assert!(lines.iter().any(|line| message(line).starts_with("stopped")), "{stdout}");
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_every_line_is_a_json_object() {
    server_process::with_sqlite_file(every_line_is_a_json_object);
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests"
)]
fn postgres_every_line_is_a_json_object() {
    server_process::with_postgres_database(every_line_is_a_json_object);
}
