//! The database goes away and comes back: requests get a bounded 503, the same process recovers, and no
//! acknowledged write is lost. PostgreSQL only: a TCP proxy between the server and the database is cut, or the
//! server processes behind the pool's connections are ended.
#![cfg(feature = "postgres")]

mod server_process;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use server_process::{Proxy, ServerProcess, TestDatabase};

postgres_process_tests!(
    an_unreachable_database_gives_503s_and_the_server_recovers_without_losing_writes,
    pooled_connections_killed_by_the_server_are_replaced,
);

/// How long a request may take while the database is unreachable: the pool's 5 s acquire timeout plus slack.
const BOUND: Duration = Duration::from_secs(10);

fn an_unreachable_database_gives_503s_and_the_server_recovers_without_losing_writes(database: &TestDatabase) {
    let proxy = Proxy::start(&database.server_address());
    let server = ServerProcess::start(&database.url(Some(proxy.port)), &[]);
    let token = server.token("ann@example.com");

    let mut acknowledged = Vec::new();
    for i in 0..5 {
        let (status, task) = server.post("/tasks", json!({"title": format!("before {i}")}), Some(&token));
        assert_eq!(status, 201);
        acknowledged.push(task["id"].clone());
    }

    proxy.cut();
    for (method, path, body) in [
        ("GET", "/health", None),
        ("GET", "/tasks", None),
        ("POST", "/tasks", Some(json!({"title": "during the outage"}))),
    ] {
        let started = Instant::now();
        let (status, problem) = server.call(method, path, body, Some(&token));
        assert_eq!(status, 503, "{method} {path}: {problem}");
        assert_eq!(problem["status"], 503);
        assert!(started.elapsed() < BOUND, "{method} {path} took {:?}", started.elapsed());
    }

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.get("/health", None).0 != 200 {
        assert!(Instant::now() < deadline, "the server did not recover");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, task) = server.post("/tasks", json!({"title": "after"}), Some(&token));
    assert_eq!(status, 201, "{task}");
    acknowledged.push(task["id"].clone());

    let (status, page) = server.get("/tasks?limit=100", Some(&token));
    assert_eq!(status, 200);
    let stored: Vec<Value> = page["items"].as_array().expect("items").iter().map(|t| t["id"].clone()).collect();
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged task {id} was lost");
    }
    assert_eq!(stored.len(), acknowledged.len(), "the write answered 503 did not happen");
}

fn pooled_connections_killed_by_the_server_are_replaced(database: &TestDatabase) {
    let server = ServerProcess::start(&database.url(None), &[]);
    let token = server.token("ann@example.com");
    let (status, _) = server.post("/tasks", json!({"title": "before"}), Some(&token));
    assert_eq!(status, 201);

    // Killed while idle for longer than the pool's idle test (1 s): the pool pings the connection on its way
    // out, finds it dead and opens another, so no request fails.
    database.terminate_connections();
    std::thread::sleep(Duration::from_millis(1_200));
    let (status, page) = server.get("/tasks", Some(&token));
    assert_eq!(status, 200, "the first request after the kill: {page}");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));

    // Killed between two requests in quick succession, within the idle window: the read meets the dead
    // connection, which is dropped, and runs again on a new one, so the client still gets its answer.
    database.terminate_connections();
    let (status, page) = server.get("/tasks", Some(&token));
    assert_eq!(status, 200, "the first read after the kill: {page}");
    // A write meeting a dead connection is a 503 (never a 500), and is not run again, since whether it took
    // effect cannot be known.
    database.terminate_connections();
    let (write_status, problem) = server.post("/tasks", json!({"title": "maybe"}), Some(&token));
    assert!(write_status == 201 || write_status == 503, "{write_status}: {problem}");
    for _ in 0..3 {
        let (status, page) = server.get("/tasks", Some(&token));
        assert_eq!(status, 200, "after the dead connection was found: {page}");
        let stored = if write_status == 201 { 2 } else { 1 };
        assert_eq!(page["items"].as_array().map(Vec::len), Some(stored), "a 503 write did not happen: {page}");
    }
    let (status, task) = server.post("/tasks", json!({"title": "after"}), Some(&token));
    assert_eq!(status, 201, "{task}");
}
