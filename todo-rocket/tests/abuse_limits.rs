//! Abuse limits and security headers over HTTP.

mod support;

use std::time::Duration;

use rocket::http::Status;
use serde_json::json;
use todo_rocket::{RateLimitSettings, ServerOptions};

use support::{problem, TestApp, PASSWORD};

async fn app_with_limits(per_email: u32, per_client: u32, signups: u32) -> TestApp {
    let limits = RateLimitSettings {
        login_failures_per_email: per_email,
        login_failures_per_client: per_client,
        signups_per_client: signups,
        window: Duration::from_secs(600),
    };
    TestApp::sqlite_with_options("/", |rocket| rocket, &ServerOptions::default().with_rate_limits(limits)).await
}

#[rocket::async_test]
async fn failed_logins_for_one_email_are_limited_with_retry_after() {
    let app = app_with_limits(3, 100, 100).await;
    app.signup("ann@example.com").await;
    let wrong = json!({"email": "ann@example.com", "password": "wrong password"});
    for _ in 0..3 {
        problem(app.post("/auth/login", wrong.clone(), None).await, Status::Unauthorized).await;
    }
    // Even the right password waits now: the email is locked for the window, in any spelling.
    let right = json!({"email": " ANN@example.com", "password": PASSWORD});
    let response = app.post("/auth/login", right, None).await;
    let retry_after: u64 = response.headers().get_one("Retry-After").expect("Retry-After").parse().expect("seconds");
    assert!(retry_after > 0 && retry_after <= 600, "{retry_after}");
    problem(response, Status::TooManyRequests).await;
    // Another email is not affected.
    app.signup("bob@example.com").await;
    let bob = json!({"email": "bob@example.com", "password": PASSWORD});
    assert_eq!(app.post("/auth/login", bob, None).await.status(), Status::Ok);
    app.remove().await;
}

#[rocket::async_test]
async fn failed_logins_from_one_client_are_limited_across_emails() {
    let app = app_with_limits(100, 2, 100).await;
    for email in ["a@example.com", "b@example.com"] {
        let body = json!({"email": email, "password": "wrong password"});
        problem(app.post("/auth/login", body, None).await, Status::Unauthorized).await;
    }
    let body = json!({"email": "c@example.com", "password": "wrong password"});
    problem(app.post("/auth/login", body, None).await, Status::TooManyRequests).await;
    app.remove().await;
}

#[rocket::async_test]
async fn successful_logins_are_not_counted() {
    let app = app_with_limits(2, 2, 100).await;
    app.signup("ann@example.com").await;
    for _ in 0..5 {
        let body = json!({"email": "ann@example.com", "password": PASSWORD});
        assert_eq!(app.post("/auth/login", body, None).await.status(), Status::Ok);
    }
    app.remove().await;
}

#[rocket::async_test]
async fn signups_from_one_client_are_limited() {
    let app = app_with_limits(100, 100, 2).await;
    app.signup("a@example.com").await;
    app.signup("b@example.com").await;
    let body = json!({"email": "c@example.com", "password": PASSWORD});
    let response = app.post("/auth/signup", body, None).await;
    assert!(response.headers().get_one("Retry-After").is_some());
    problem(response, Status::TooManyRequests).await;
    app.remove().await;
}

#[rocket::async_test]
async fn every_response_says_nosniff() {
    let app = TestApp::sqlite().await;
    for path in ["/health", "/no/such/route", "/openapi.json", "/swagger-ui/"] {
        let response = app.get(path, None).await;
        assert_eq!(response.headers().get_one("X-Content-Type-Options"), Some("nosniff"), "{path}");
    }
    let response = app.post("/auth/signup", json!({"email": "x"}), None).await;
    assert_eq!(response.headers().get_one("X-Content-Type-Options"), Some("nosniff"));
    drop(response);
    app.remove().await;
}
