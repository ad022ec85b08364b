//! Abuse limits and security headers over HTTP.

mod support;

use rocket::http::{ContentType, Header, Status};
use rocket::{Build, Rocket};
use serde_json::json;
use todo_rocket::{RateLimitSettings, ServerOptions};

use support::{Customize, TestApp, PASSWORD};

http_tests!(
    setup = behind_a_proxy;
    failed_logins_from_one_ipv6_64_are_one_client,
    different_ipv6_64s_are_different_clients,
    ipv4_and_its_ipv4_mapped_ipv6_form_are_one_client,
    signups_from_one_ipv6_64_are_one_client,
);

/// The header the test servers take client addresses from, as `ROCKET_IP_HEADER=X-Client-Address` sets it.
const IP_HEADER: &str = "X-Client-Address";
const FAILURES_PER_CLIENT: u32 = 20;
const SIGNUPS_PER_CLIENT: u32 = 3;

/// A server that trusts [`IP_HEADER`], with a per-client budget small enough to exhaust and a per-email
/// budget large enough not to matter (each test fails on a new email every time anyway).
fn behind_a_proxy() -> (Customize, ServerOptions) {
    let limits = RateLimitSettings {
        login_failures_per_email: 1000,
        login_failures_per_client: FAILURES_PER_CLIENT,
        signups_per_client: SIGNUPS_PER_CLIENT,
        ..RateLimitSettings::default()
    };
    let trust_ip_header = |rocket: Rocket<Build>| {
        let figment = rocket.figment().clone().merge(("ip_header", IP_HEADER));
        rocket.configure(figment)
    };
    (trust_ip_header, ServerOptions::default().with_rate_limits(limits))
}

/// `POST path` with this JSON body, from `address`; the status.
async fn post_from(app: &TestApp, address: &str, path: &str, body: serde_json::Value) -> Status {
    let request =
        app.client.post(path.to_owned()).header(ContentType::JSON).header(Header::new(IP_HEADER, address.to_owned()));
    request.body(body.to_string()).dispatch().await.status()
}

/// A failed login for a new email each time (so only the per-client limit can refuse), from `address`.
async fn failed_login_from(app: &TestApp, address: &str, attempt: usize) -> Status {
    let body = json!({"email": format!("nobody-{attempt}@example.com"), "password": "wrong password"});
    post_from(app, address, "/auth/login", body).await
}

async fn failed_logins_from_one_ipv6_64_are_one_client(app: &TestApp) {
    let mut statuses = Vec::new();
    for attempt in 0..50 {
        // 50 different addresses of 2001:db8:1:2::/64.
        let address = format!("2001:db8:1:2:{attempt:x}:{:x}::1", (attempt * 7919) % 0x1_0000);
        statuses.push(failed_login_from(app, &address, attempt).await);
    }
    let budget = FAILURES_PER_CLIENT as usize;
    assert!(statuses[..budget].iter().all(|s| *s == Status::Unauthorized), "{statuses:?}");
    assert!(statuses[budget..].iter().all(|s| *s == Status::TooManyRequests), "{statuses:?}");
}

async fn different_ipv6_64s_are_different_clients(app: &TestApp) {
    for attempt in 0..FAILURES_PER_CLIENT as usize {
        assert_eq!(failed_login_from(app, "2001:db8:1:2::1", attempt).await, Status::Unauthorized);
    }
    assert_eq!(failed_login_from(app, "2001:db8:1:2::2", 100).await, Status::TooManyRequests);
    // The neighbouring /64 has its own budget.
    assert_eq!(failed_login_from(app, "2001:db8:1:3::1", 101).await, Status::Unauthorized);
}

async fn ipv4_and_its_ipv4_mapped_ipv6_form_are_one_client(app: &TestApp) {
    for attempt in 0..FAILURES_PER_CLIENT as usize {
        let address = if attempt % 2 == 0 { "192.0.2.7" } else { "::ffff:192.0.2.7" };
        assert_eq!(failed_login_from(app, address, attempt).await, Status::Unauthorized);
    }
    assert_eq!(failed_login_from(app, "192.0.2.7", 100).await, Status::TooManyRequests);
    assert_eq!(failed_login_from(app, "::ffff:192.0.2.7", 101).await, Status::TooManyRequests);
    // IPv4 addresses count alone: the next address is another client.
    assert_eq!(failed_login_from(app, "192.0.2.8", 102).await, Status::Unauthorized);
}

async fn signups_from_one_ipv6_64_are_one_client(app: &TestApp) {
    for n in 0..SIGNUPS_PER_CLIENT {
        let body = json!({"email": format!("user-{n}@example.com"), "password": PASSWORD});
        assert_eq!(post_from(app, &format!("2001:db8:5:6::{n:x}"), "/auth/signup", body).await, Status::Created);
    }
    let body = json!({"email": "one-more@example.com", "password": PASSWORD});
    assert_eq!(post_from(app, "2001:db8:5:6::ffff", "/auth/signup", body.clone()).await, Status::TooManyRequests);
    assert_eq!(post_from(app, "2001:db8:5:7::1", "/auth/signup", body).await, Status::Created);
}

/// Limits that do not depend on the database engine: tested on SQLite (in a build with it).
#[cfg(feature = "sqlite")]
mod per_email_and_client {
    use std::time::Duration;

    use super::*;
    use crate::support::problem;

    async fn app_with_limits(per_email: u32, per_client: u32, signups: u32) -> TestApp {
        let limits = RateLimitSettings {
            login_failures_per_email: per_email,
            login_failures_per_client: per_client,
            signups_per_client: signups,
            window: Duration::from_secs(600),
            ..RateLimitSettings::default()
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
        let retry_after: u64 =
            response.headers().get_one("Retry-After").expect("Retry-After").parse().expect("seconds");
        assert!(retry_after > 0 && retry_after <= 600, "{retry_after}");
        problem(response, Status::TooManyRequests).await;
        // Another email is not affected.
        app.signup("bob@example.com").await;
        app.login("bob@example.com").await; // answers 200
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
            app.login("ann@example.com").await; // answers 200
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
}
