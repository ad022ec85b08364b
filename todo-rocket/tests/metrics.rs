//! Metrics over a real server process: served on `METRICS_ADDRESS` only, labelled by route template, counting
//! requests, logins by outcome and rate-limit refusals, and sampling the pool. On a SQLite file, and on
//! PostgreSQL when `TEST_POSTGRES_URL` is set.

mod server_process;

use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use server_process::{free_port, ServerProcess};

process_tests!(metrics_name_routes_and_outcomes);

fn scrape(address: &str) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent.get(format!("http://{address}/metrics")).call().expect("the metrics listener answers");
    assert_eq!(response.status().as_u16(), 200);
    response.body_mut().read_to_string().expect("text")
}

fn metrics_name_routes_and_outcomes(database_url: &str) {
    let address = format!("127.0.0.1:{}", free_port());
    let server = ServerProcess::start(
        database_url,
        &[("METRICS_ADDRESS", &address), ("RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL", "1")],
    );
    let token = server.token("ann@example.com");
    let (_, task) = server.post("/tasks", json!({"title": "counted"}), Some(&token));
    let task_id = task["id"].as_str().expect("an id").to_owned();
    assert_eq!(server.get(&format!("/tasks/{task_id}"), Some(&token)).0, 200);
    let wrong = json!({"email": "bob@example.com", "password": "wrong password"});
    assert_eq!(server.post("/auth/login", wrong.clone(), None).0, 401);
    assert_eq!(server.post("/auth/login", wrong, None).0, 429);
    assert_eq!(server.get("/metrics", None).0, 404, "never on the API's port");

    // The pool gauges are sampled every few seconds.
    let deadline = Instant::now() + Duration::from_secs(15);
    let text = loop {
        let text = scrape(&address);
        if text.contains("db_pool_connections ") || Instant::now() > deadline {
            break text;
        }
        thread::sleep(Duration::from_millis(200));
    };
    for expected in [
        r#"http_requests_total{method="GET",route="/tasks/<id>",status="200"} 1"#,
        r#"http_requests_total{method="POST",route="/auth/login",status="429"} 1"#,
        r#"logins_total{outcome="success"} 1"#,
        r#"logins_total{outcome="invalid_credentials"} 1"#,
        r#"logins_total{outcome="rate_limited"} 1"#,
        r#"rate_limit_refusals_total{limit="login"} 1"#,
        r#"http_request_duration_seconds_count{method="GET",route="/tasks/<id>"} 1"#,
        "db_pool_connections ",
        "db_pool_connections_in_use ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains(&task_id), "raw paths never become labels");
}
