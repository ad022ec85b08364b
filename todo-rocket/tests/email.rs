//! Email verification and password recovery over HTTP: `/auth/email/verify`, `/auth/email/verify/resend`,
//! `/auth/password/forgot` and `/auth/password/reset`, as the "Email verification and password recovery"
//! section of the API contract states them.
//!
//! Mails are read from the server's in-memory outbox. They go out after the answer (a spawned task), so every
//! test waits for the mails it expects with [`TestApp::mails`] before reading a link.

mod support;

use std::time::{Duration, Instant};

use rocket::http::Status;
use rocket::local::asynchronous::LocalResponse;
use serde_json::{json, Value};
use todo_core::mail::Mail;
use todo_core::AbuseLimits;
use todo_rocket::ServerOptions;

use support::{link_token, problem, problem_of_type, TestApp, Tweak, APP_URL, PASSWORD};

// Each test names the server it runs on: most with password-reset limits off, some with their own options and
// library configuration.
http_tests!(
    signup_sends_a_verification_link_that_verifies_once: reset_limits_off,
    forgot_answers_the_same_for_an_unknown_email_and_mails_nobody: reset_limits_off,
    forgot_with_an_invalid_email_is_422_on_email: reset_limits_off,
    a_reset_sets_the_password_and_ends_every_other_session: reset_limits_off,
    a_reset_token_works_once: reset_limits_off,
    a_too_short_new_password_is_422_and_keeps_the_token: reset_limits_off,
    a_newer_reset_link_voids_the_older_one: reset_limits_off,
    resend_within_a_minute_of_the_last_mail_is_429_with_retry_after: reset_limits_off,
    resend_after_verifying_is_409: reset_limits_off,
    resend_without_a_token_is_401: reset_limits_off,
    forgot_takes_about_the_same_time_for_known_and_unknown_emails: reset_limits_off,
    expired_verification_link_is_422_on_token: links_expire_at_once,
    expired_reset_link_is_422_on_token: links_expire_at_once,
    login_before_verifying_is_403_when_verification_is_required: verification_required,
    forgot_is_limited_per_email_with_retry_after: two_resets_per_email,
    forgot_is_limited_per_client_across_emails: two_resets_per_email,
);

const NEW_PASSWORD: &str = "a brand new passphrase";
/// The reset budget per client of [`two_resets_per_email`].
const RESETS_PER_CLIENT: u32 = 5;
/// The address every reset request of these tests comes from.
const CLIENT: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)), 40000);

/// Password-reset limits off, so that the tests may ask as often as they need.
fn reset_limits_off() -> (ServerOptions, Tweak) {
    (ServerOptions::default(), |config| {
        let limits = AbuseLimits {
            password_resets_per_email_and_client: 0,
            password_resets_per_email: 0,
            password_resets_per_client: 0,
            ..AbuseLimits::default()
        };
        config.with_abuse_limits(limits).expect("valid limits")
    })
}

/// Links that have expired as soon as they are issued.
fn links_expire_at_once() -> (ServerOptions, Tweak) {
    (ServerOptions::default(), |config| config.with_mail_link_ttls(Duration::ZERO, Duration::ZERO))
}

/// `REQUIRE_VERIFIED_EMAIL=true`.
fn verification_required() -> (ServerOptions, Tweak) {
    (ServerOptions::default(), |config| config.with_require_verified_email(true))
}

/// Two password-reset mails per email and [`RESETS_PER_CLIENT`] per client in the window.
fn two_resets_per_email() -> (ServerOptions, Tweak) {
    (ServerOptions::default(), |config| {
        let limits = AbuseLimits {
            password_resets_per_email_and_client: 2,
            password_resets_per_email: 2,
            password_resets_per_client: RESETS_PER_CLIENT,
            ..AbuseLimits::default()
        };
        config.with_abuse_limits(limits).expect("valid limits")
    })
}

async fn verify<'a>(app: &'a TestApp, token: &str) -> LocalResponse<'a> {
    app.post("/auth/email/verify", json!({"token": token}), None).await
}

/// `POST /auth/password/forgot` from one client address, [`CLIENT`].
async fn forgot<'a>(app: &'a TestApp, email: &str) -> LocalResponse<'a> {
    let request = app.client.post("/auth/password/forgot").header(rocket::http::ContentType::JSON);
    request.remote(CLIENT).body(json!({"email": email}).to_string()).dispatch().await
}

async fn reset<'a>(app: &'a TestApp, token: &str, new_password: &str) -> LocalResponse<'a> {
    app.post("/auth/password/reset", json!({"token": token, "new_password": new_password}), None).await
}

async fn resend<'a>(app: &'a TestApp, access_token: Option<&str>) -> LocalResponse<'a> {
    app.post_empty("/auth/email/verify/resend", access_token).await
}

async fn login_with<'a>(app: &'a TestApp, email: &str, password: &str) -> LocalResponse<'a> {
    app.post("/auth/login", json!({"email": email, "password": password}), None).await
}

/// Whether `mail` is addressed to `email` and carries a link to `page`.
fn is_link_mail(mail: &Mail, email: &str, page: &str) -> bool {
    mail.to.as_str() == email && mail.text.contains(&format!("{APP_URL}/{page}?token="))
}

/// Waits until the outbox holds `count` mails; the token of the newest link to `page` mailed to `email`.
async fn newest_link(app: &TestApp, count: usize, email: &str, page: &str) -> String {
    let mails = app.mails(count).await;
    let mail = mails.iter().rev().find(|mail| is_link_mail(mail, email, page));
    link_token(mail.unwrap_or_else(|| panic!("no {page} mail to {email} in {mails:?}")), page)
}

/// Checks a 422 problem whose `errors` name `field`.
async fn assert_invalid(response: LocalResponse<'_>, field: &str) {
    let body = problem(response, Status::UnprocessableEntity).await;
    let fields: Vec<&str> =
        body["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
    assert!(fields.contains(&field), "errors on {fields:?}, not on {field}");
}

/// Checks a 429 problem with a `Retry-After` in seconds, at least 1 and at most `max`.
async fn assert_retry_after(response: LocalResponse<'_>, max: u64) {
    let retry_after: u64 = response.headers().get_one("Retry-After").expect("Retry-After").parse().expect("seconds");
    assert!((1..=max).contains(&retry_after), "Retry-After: {retry_after}");
    problem(response, Status::TooManyRequests).await;
}

fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().expect("access_token")
}

async fn signup_sends_a_verification_link_that_verifies_once(app: &TestApp) {
    let user = app.signup("ann@example.com").await;
    assert_eq!(user["email_verified_at"], Value::Null);
    let mails = app.mails(1).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].to.as_str(), "ann@example.com");
    let token = link_token(&mails[0], "verify-email");

    let response = verify(app, &token).await;
    assert_eq!(response.status(), Status::Ok);
    let verified: Value = response.into_json().await.expect("user JSON");
    assert_eq!(verified["id"], user["id"]);
    assert!(verified["email_verified_at"].is_string(), "{verified}");

    let me: Value =
        app.get("/auth/me", Some(access(&app.login("ann@example.com").await))).await.into_json().await.expect("JSON");
    assert_eq!(me["email_verified_at"], verified["email_verified_at"]);

    assert_invalid(verify(app, &token).await, "token").await;
}

async fn forgot_answers_the_same_for_an_unknown_email_and_mails_nobody(app: &TestApp) {
    app.signup("bob@example.com").await;
    let unknown = forgot(app, "nobody@example.com").await;
    assert_eq!(unknown.status(), Status::Accepted);
    let unknown = unknown.into_bytes().await.expect("a body");
    let known = forgot(app, "bob@example.com").await;
    assert_eq!(known.status(), Status::Accepted);
    assert_eq!(known.into_bytes().await.expect("a body"), unknown, "the same bytes");

    newest_link(app, 2, "bob@example.com", "reset-password").await;
    // The unknown email's task was spawned first; give a stray mail a moment to show up anyway.
    rocket::tokio::time::sleep(Duration::from_millis(200)).await;
    let mails = app.outbox.mails();
    assert!(mails.iter().all(|mail| mail.to.as_str() != "nobody@example.com"), "{mails:?}");
    let count = |page| mails.iter().filter(|mail| is_link_mail(mail, "bob@example.com", page)).count();
    assert_eq!((mails.len(), count("verify-email"), count("reset-password")), (2, 1, 1), "{mails:?}");
}

async fn forgot_with_an_invalid_email_is_422_on_email(app: &TestApp) {
    for email in ["", "not an email", "@example.com"] {
        assert_invalid(forgot(app, email).await, "email").await;
    }
}

async fn a_reset_sets_the_password_and_ends_every_other_session(app: &TestApp) {
    app.signup("cid@example.com").await;
    let before = [app.login("cid@example.com").await, app.login("cid@example.com").await];
    assert_eq!(forgot(app, "cid@example.com").await.status(), Status::Accepted);
    let token = newest_link(app, 2, "cid@example.com", "reset-password").await;

    let response = reset(app, &token, NEW_PASSWORD).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("Cache-Control"), Some("no-store"));
    let tokens: Value = response.into_json().await.expect("token JSON");
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    assert_eq!(app.get("/auth/me", Some(access(&tokens))).await.status(), Status::Ok);

    problem(login_with(app, "cid@example.com", PASSWORD).await, Status::Unauthorized).await;
    assert_eq!(login_with(app, "cid@example.com", NEW_PASSWORD).await.status(), Status::Ok);
    for old in &before {
        problem(app.get("/auth/me", Some(access(old))).await, Status::Unauthorized).await;
        let refresh_token = old["refresh_token"].as_str().expect("refresh_token");
        let refreshed = app.post("/auth/refresh", json!({"refresh_token": refresh_token}), None).await;
        problem(refreshed, Status::Unauthorized).await;
    }
}

async fn a_reset_token_works_once(app: &TestApp) {
    app.signup("dee@example.com").await;
    assert_eq!(forgot(app, "dee@example.com").await.status(), Status::Accepted);
    let token = newest_link(app, 2, "dee@example.com", "reset-password").await;
    assert_eq!(reset(app, &token, NEW_PASSWORD).await.status(), Status::Ok);
    assert_invalid(reset(app, &token, "yet another passphrase").await, "token").await;
    // The refused second use changed nothing.
    assert_eq!(login_with(app, "dee@example.com", NEW_PASSWORD).await.status(), Status::Ok);
}

async fn a_too_short_new_password_is_422_and_keeps_the_token(app: &TestApp) {
    app.signup("eve@example.com").await;
    assert_eq!(forgot(app, "eve@example.com").await.status(), Status::Accepted);
    let token = newest_link(app, 2, "eve@example.com", "reset-password").await;
    assert_invalid(reset(app, &token, "short").await, "new_password").await;
    assert_eq!(login_with(app, "eve@example.com", PASSWORD).await.status(), Status::Ok);
    assert_eq!(reset(app, &token, NEW_PASSWORD).await.status(), Status::Ok);
}

async fn a_newer_reset_link_voids_the_older_one(app: &TestApp) {
    app.signup("fay@example.com").await;
    assert_eq!(forgot(app, "fay@example.com").await.status(), Status::Accepted);
    let first = newest_link(app, 2, "fay@example.com", "reset-password").await;
    // Asked for only once the first mail is out, so the two links are issued in this order.
    assert_eq!(forgot(app, "fay@example.com").await.status(), Status::Accepted);
    let second = newest_link(app, 3, "fay@example.com", "reset-password").await;
    assert_ne!(first, second);
    assert_invalid(reset(app, &first, NEW_PASSWORD).await, "token").await;
    assert_eq!(reset(app, &second, NEW_PASSWORD).await.status(), Status::Ok);
}

async fn resend_within_a_minute_of_the_last_mail_is_429_with_retry_after(app: &TestApp) {
    let token = app.token("gus@example.com").await;
    app.mails(1).await;
    assert_retry_after(resend(app, Some(&token)).await, 60).await;
}

async fn resend_after_verifying_is_409(app: &TestApp) {
    let token = app.token("hal@example.com").await;
    let link = newest_link(app, 1, "hal@example.com", "verify-email").await;
    assert_eq!(verify(app, &link).await.status(), Status::Ok);
    problem(resend(app, Some(&token)).await, Status::Conflict).await;
}

async fn resend_without_a_token_is_401(app: &TestApp) {
    problem(resend(app, None).await, Status::Unauthorized).await;
}

async fn expired_verification_link_is_422_on_token(app: &TestApp) {
    app.signup("ida@example.com").await;
    let token = newest_link(app, 1, "ida@example.com", "verify-email").await;
    assert_invalid(verify(app, &token).await, "token").await;
}

async fn expired_reset_link_is_422_on_token(app: &TestApp) {
    app.signup("jon@example.com").await;
    assert_eq!(forgot(app, "jon@example.com").await.status(), Status::Accepted);
    let token = newest_link(app, 2, "jon@example.com", "reset-password").await;
    assert_invalid(reset(app, &token, NEW_PASSWORD).await, "token").await;
    assert_eq!(login_with(app, "jon@example.com", PASSWORD).await.status(), Status::Ok, "the password is unchanged");
}

async fn login_before_verifying_is_403_when_verification_is_required(app: &TestApp) {
    app.signup("kim@example.com").await;
    let refused = login_with(app, "kim@example.com", PASSWORD).await;
    problem_of_type(refused, Status::Forbidden, "tag:todo-core.dev,2026:problems/email-not-verified").await;
    problem(login_with(app, "kim@example.com", "wrong password").await, Status::Unauthorized).await;
    let token = newest_link(app, 1, "kim@example.com", "verify-email").await;
    assert_eq!(verify(app, &token).await.status(), Status::Ok);
    assert_eq!(login_with(app, "kim@example.com", PASSWORD).await.status(), Status::Ok);
}

async fn forgot_is_limited_per_email_with_retry_after(app: &TestApp) {
    app.signup("lea@example.com").await;
    for _ in 0..2 {
        assert_eq!(forgot(app, "lea@example.com").await.status(), Status::Accepted);
    }
    assert_retry_after(forgot(app, "lea@example.com").await, 15 * 60).await;
    assert_eq!(forgot(app, "max@example.com").await.status(), Status::Accepted);
}

async fn forgot_is_limited_per_client_across_emails(app: &TestApp) {
    for n in 0..RESETS_PER_CLIENT {
        assert_eq!(forgot(app, &format!("user-{n}@example.com")).await.status(), Status::Accepted);
    }
    assert_retry_after(forgot(app, "one-more@example.com").await, 15 * 60).await;
}

/// The median of `durations` (sorted in place).
fn median(durations: &mut [Duration]) -> Duration {
    durations.sort();
    durations[durations.len() / 2]
}

async fn forgot_takes_about_the_same_time_for_known_and_unknown_emails(app: &TestApp) {
    const CALLS: usize = 30;
    app.signup("ned@example.com").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for _ in 0..CALLS {
        for (email, durations) in [("ned@example.com", &mut known), ("nobody@example.com", &mut unknown)] {
            let started = Instant::now();
            let response = forgot(app, email).await;
            durations.push(started.elapsed());
            assert_eq!(response.status(), Status::Accepted);
        }
    }
    let (known, unknown) = (median(&mut known), median(&mut unknown));
    eprintln!("forgot medians: known email {known:?}, unknown email {unknown:?}");
    let ratio = known.max(unknown).as_secs_f64() / known.min(unknown).as_secs_f64();
    assert!(ratio < 2.0, "known {known:?}, unknown {unknown:?}: {ratio:.2}x");
    // Every known-email call did mail (the signup mail, then one reset mail each); let them land before cleanup.
    app.mails(1 + CALLS).await;
}
