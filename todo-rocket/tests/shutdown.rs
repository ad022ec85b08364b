//! Graceful shutdown: on SIGTERM (a process manager) and SIGINT (Ctrl-C) the server stops accepting, lets
//! in-flight requests finish, closes the pool and exits 0; what it acknowledged before is there after a restart.
//! On a SQLite file, and on PostgreSQL when `TEST_POSTGRES_URL` is set.

mod server_process;

use std::thread;
use std::time::Duration;

use serde_json::json;
use server_process::{ServerProcess, PASSWORD};

/// A bcrypt cost at which each login takes a noticeable while, so that logins are in flight at the signal.
const SLOW_BCRYPT_COST: &str = "12";
/// Logins in flight when the signal arrives.
const IN_FLIGHT: usize = 2;

process_tests!(sigterm_lets_in_flight_requests_finish, sigint_lets_in_flight_requests_finish);

fn in_flight_requests_finish_and_acknowledged_writes_survive(database_url: &str, signal: &str) {
    let slow = [("BCRYPT_COST", SLOW_BCRYPT_COST)];
    let mut server = ServerProcess::start(database_url, &slow);
    let token = server.token("ann@example.com");
    let (status, task) = server.post("/tasks", json!({"title": "written before the restart"}), Some(&token));
    assert_eq!(status, 201, "{task}");

    let base = server.base.clone();
    let logins: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let base = base.clone();
            thread::spawn(move || {
                let login = json!({"email": "ann@example.com", "password": PASSWORD});
                server_process::call_at(&base, "POST", "/auth/login", Some(login), None)
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(150)); // the logins are hashing now
    let exit = server.signal(signal, Duration::from_secs(30));

    for login in logins {
        let (status, body) = login.join().expect("the login thread finishes");
        assert_eq!(status, 200, "an in-flight login got its full answer: {body}");
        assert!(body["access_token"].is_string() && body["refresh_token"].is_string(), "{body}");
    }
    assert_eq!(exit, Some(0), "a clean exit after SIG{signal}");
    assert_eq!(server.get("/health", None).0, 0, "nothing listens any more");

    let restarted = ServerProcess::start(database_url, &[]);
    let token = restarted.token("ann@example.com");
    let path = format!("/tasks/{}", task["id"].as_str().expect("an id"));
    let (status, again) = restarted.get(&path, Some(&token));
    assert_eq!((status, &again["title"]), (200, &json!("written before the restart")), "{again}");
}

/// A process manager stops the service.
fn sigterm_lets_in_flight_requests_finish(database_url: &str) {
    in_flight_requests_finish_and_acknowledged_writes_survive(database_url, "TERM");
}

/// Ctrl-C.
fn sigint_lets_in_flight_requests_finish(database_url: &str) {
    in_flight_requests_finish_and_acknowledged_writes_survive(database_url, "INT");
}
