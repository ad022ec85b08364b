//! Abuse limits and security headers over HTTP, on both engines: budgets per client network (IPv6 by /64),
//! password checks admitted before they run (a burst included), an owner who is not locked out by someone else's
//! failures, limited password checks behind a token, and a mounted API that trusts no client-address header
//! unless its options name one.

mod support;

use std::net::SocketAddr;

use futures::future::join_all;
use rocket::http::{ContentType, Header, Status};
use serde_json::json;
use todo_core::AbuseLimits;
use todo_rocket::ServerOptions;

use support::{default_setup, problem, Setup, TestApp, PASSWORD};

http_tests!(
    failed_logins_from_one_ipv6_64_are_one_client: behind_a_proxy,
    different_ipv6_64s_are_different_clients: behind_a_proxy,
    ipv4_and_its_ipv4_mapped_ipv6_form_are_one_client: behind_a_proxy,
    signups_from_one_ipv6_64_are_one_client: behind_a_proxy,
    a_burst_of_40_wrong_passwords_gets_at_most_5_checks: behind_a_proxy,
    the_owner_on_another_network_signs_in_and_gets_a_reset_link: behind_a_proxy,
    wrong_current_passwords_behind_a_token_reach_429: behind_a_proxy,
    a_mounted_api_ignores_client_address_headers: mounted_by_default,
    a_named_header_is_trusted: mounted_behind_x_real_ip,
    every_response_says_nosniff: default_setup,
);

/// The header the test servers take client addresses from, as `ROCKET_IP_HEADER=X-Client-Address` sets it.
const IP_HEADER: &str = "X-Client-Address";
const PER_EMAIL_AND_CLIENT: u32 = 5;
const FAILURES_PER_CLIENT: u32 = 20;
const SIGNUPS_PER_CLIENT: u32 = 3;
const ATTACKER: &str = "198.51.100.7";
const OWNER: &str = "203.0.113.9";

/// The budgets of these tests: the README's defaults, with fewer signups.
fn limits(config: todo_core::Config) -> todo_core::Config {
    let limits = AbuseLimits {
        password_failures_per_email_and_client: PER_EMAIL_AND_CLIENT,
        password_failures_per_email: 100,
        password_failures_per_client: FAILURES_PER_CLIENT,
        signups_per_client: SIGNUPS_PER_CLIENT,
        password_resets_per_email_and_client: 3,
        ..AbuseLimits::default()
    };
    config.with_abuse_limits(limits).expect("valid limits")
}

/// A server that trusts [`IP_HEADER`].
fn behind_a_proxy() -> Setup {
    let options = ServerOptions::default().with_client_ip_header(Some(IP_HEADER.to_owned()));
    Setup { options, tweak: limits, ..Setup::default() }
}

/// A server mounted with the default options: it trusts no header.
fn mounted_by_default() -> Setup {
    Setup { tweak: limits, ..Setup::default() }
}

/// A server whose options name `X-Real-IP`.
fn mounted_behind_x_real_ip() -> Setup {
    let options = ServerOptions::default().with_client_ip_header(Some("X-Real-IP".to_owned()));
    Setup { options, tweak: limits, ..Setup::default() }
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
        let address = if attempt.is_multiple_of(2) { "192.0.2.7" } else { "::ffff:192.0.2.7" };
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

/// `n` wrong passwords for `email` from `address`, sent at once; their statuses.
async fn burst_from(app: &TestApp, address: &str, email: &str, n: usize) -> Vec<Status> {
    let body = json!({"email": email, "password": "wrong password"}).to_string();
    let requests = (0..n).map(|_| {
        let request = app.client.post("/auth/login").header(ContentType::JSON);
        request.header(Header::new(IP_HEADER, address.to_owned())).body(body.clone()).dispatch()
    });
    join_all(requests).await.into_iter().map(|response| response.status()).collect()
}

fn count(statuses: &[Status], status: Status) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn a_burst_of_40_wrong_passwords_gets_at_most_5_checks(app: &TestApp) {
    app.signup("ann@example.com").await;
    let statuses = burst_from(app, ATTACKER, "ann@example.com", 40).await;
    assert_eq!(count(&statuses, Status::Unauthorized), PER_EMAIL_AND_CLIENT as usize, "{statuses:?}");
    assert_eq!(count(&statuses, Status::TooManyRequests), 40 - PER_EMAIL_AND_CLIENT as usize, "{statuses:?}");
}

async fn the_owner_on_another_network_signs_in_and_gets_a_reset_link(app: &TestApp) {
    app.signup("ann@example.com").await;
    let statuses = burst_from(app, ATTACKER, "ann@example.com", 12).await;
    assert_eq!(count(&statuses, Status::Unauthorized), PER_EMAIL_AND_CLIENT as usize, "{statuses:?}");
    let forgot = json!({"email": "ann@example.com"});
    for expected in [Status::Accepted, Status::Accepted, Status::Accepted, Status::TooManyRequests] {
        assert_eq!(post_from(app, ATTACKER, "/auth/password/forgot", forgot.clone()).await, expected);
    }
    // The right password from the attacker's network waits; from the owner's, it signs in at once.
    let right = json!({"email": " Ann@Example.com", "password": PASSWORD});
    assert_eq!(post_from(app, ATTACKER, "/auth/login", right.clone()).await, Status::TooManyRequests);
    assert_eq!(post_from(app, OWNER, "/auth/login", right).await, Status::Ok);
    assert_eq!(post_from(app, OWNER, "/auth/password/forgot", forgot).await, Status::Accepted);
}

async fn wrong_current_passwords_behind_a_token_reach_429(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let bearer = Header::new("Authorization", format!("Bearer {token}"));
    let send = |attempt: usize| {
        let (request, body) = if attempt.is_multiple_of(2) {
            let body = json!({"current_password": "guess", "new_password": "a new password"});
            (app.client.put("/auth/password"), body)
        } else {
            (app.client.delete("/auth/me"), json!({"password": "guess"}))
        };
        let request = request.header(ContentType::JSON).header(bearer.clone());
        request.header(Header::new(IP_HEADER, ATTACKER)).body(body.to_string()).dispatch()
    };
    for attempt in 0..PER_EMAIL_AND_CLIENT as usize {
        problem(send(attempt).await, Status::Forbidden).await;
    }
    for attempt in 0..2 {
        let response = send(attempt).await;
        let retry_after: u64 =
            response.headers().get_one("Retry-After").expect("Retry-After").parse().expect("whole seconds");
        assert!(retry_after > 0 && retry_after <= 900, "{retry_after}");
        problem(response, Status::TooManyRequests).await;
    }
}

/// A request from the TCP peer `peer` that also says, in `header`, that it comes from `claimed`.
async fn failed_login_claiming(app: &TestApp, peer: &str, header: &'static str, claimed: &str, n: usize) -> Status {
    let body = json!({"email": format!("nobody-{n}@example.com"), "password": "wrong password"});
    let peer: SocketAddr = format!("{peer}:40000").parse().expect("an address");
    let request = app.client.post("/auth/login").header(ContentType::JSON).remote(peer);
    request.header(Header::new(header, claimed.to_owned())).body(body.to_string()).dispatch().await.status()
}

async fn a_mounted_api_ignores_client_address_headers(app: &TestApp) {
    // One peer claiming a new address each time is still one client, whatever the header.
    for n in 0..FAILURES_PER_CLIENT as usize {
        let claimed = format!("192.0.2.{n}");
        let header = if n % 2 == 0 { "X-Real-IP" } else { IP_HEADER };
        assert_eq!(failed_login_claiming(app, ATTACKER, header, &claimed, n).await, Status::Unauthorized);
    }
    assert_eq!(failed_login_claiming(app, ATTACKER, "X-Real-IP", "192.0.2.200", 99).await, Status::TooManyRequests);
    assert_eq!(failed_login_claiming(app, OWNER, "X-Real-IP", ATTACKER, 100).await, Status::Unauthorized);
}

async fn a_named_header_is_trusted(app: &TestApp) {
    // The proxy (one peer) reports a different client each time: each has its own budget.
    for n in 0..(FAILURES_PER_CLIENT as usize + 5) {
        let claimed = format!("192.0.2.{n}");
        assert_eq!(failed_login_claiming(app, "10.0.0.1", "X-Real-IP", &claimed, n).await, Status::Unauthorized);
    }
}

async fn every_response_says_nosniff(app: &TestApp) {
    for path in ["/health", "/no/such/route", "/openapi.json", "/swagger-ui/"] {
        let response = app.get(path, None).await;
        assert_eq!(response.headers().get_one("X-Content-Type-Options"), Some("nosniff"), "{path}");
    }
    let response = app.post("/auth/signup", json!({"email": "x"}), None).await;
    assert_eq!(response.headers().get_one("X-Content-Type-Options"), Some("nosniff"));
}
