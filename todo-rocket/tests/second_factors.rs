//! Second factors and sign-in links over HTTP: `/auth/mfa/*` and `/auth/magic-link*`, as the API contract's
//! "Second factors, passkeys and sign-in links" states them: the `second-step-required` problem with its
//! `mfa_token`, codes that work once, recovery codes, the two-factor session that changing factors needs, `aal` and
//! `amr` on sessions, and sign-in links by mail.
//!
//! TOTP codes are computed by the tests' own RFC 6238 (`todo_testing::totp`), not by the server's `totp-rs`.

mod support;

use rocket::http::{ContentType, Status};
use serde_json::{json, Value};
use todo_core::AbuseLimits;
use todo_rocket::ServerOptions;
use todo_testing::totp::{code_at, now_seconds, wrong_code};

use support::{link_token, problem, problem_of_type, session_of, TestApp, Tweak, PASSWORD};

http_tests!(
    totp_enrolment_then_sign_in_in_two_steps: default_limits,
    the_oauth2_form_of_a_two_factor_account_answers_the_second_step: default_limits,
    a_code_and_a_recovery_code_each_work_once: default_limits,
    five_wrong_codes_void_the_mfa_token: default_limits,
    changing_factors_needs_a_two_factor_session: default_limits,
    removing_the_last_factor_turns_the_second_step_off: default_limits,
    new_recovery_codes_void_the_old_ones: default_limits,
    a_sign_in_link_signs_in_once: default_limits,
    a_sign_in_link_of_a_two_factor_account_needs_the_second_step: default_limits,
    sign_in_links_are_limited_like_reset_mails: default_limits,
    a_password_reset_of_a_two_factor_account_needs_the_second_step: default_limits,
);

const SECOND_STEP: &str = "tag:todo-core.dev,2026:problems/second-step-required";
const TWO_FACTOR_SESSION: &str = "tag:todo-core.dev,2026:problems/two-factor-session-required";

/// The default server, with its default abuse limits.
fn default_limits() -> (ServerOptions, Tweak) {
    (ServerOptions::default(), |config| config.with_abuse_limits(AbuseLimits::default()).expect("valid"))
}

/// An account of `email` with a confirmed TOTP factor: the two-factor access token of the enrolling session, the
/// factor's secret and id, and the recovery codes.
struct Enrolled {
    token: String,
    secret: String,
    factor_id: String,
    recovery_codes: Vec<String>,
}

async fn enrolled(app: &TestApp, email: &str) -> Enrolled {
    let token = app.token(email).await;
    let response = app.post("/auth/mfa/totp", json!({"password": PASSWORD, "name": "Phone"}), Some(&token)).await;
    assert_eq!(response.status(), Status::Created);
    let enrolment: Value = response.into_json().await.expect("JSON");
    let secret = enrolment["secret"].as_str().expect("secret").to_owned();
    let factor_id = enrolment["factor_id"].as_str().expect("factor_id").to_owned();
    let code = code_at(&secret, now_seconds());
    let response = app.post(&format!("/auth/mfa/totp/{factor_id}/confirm"), json!({"code": code}), Some(&token)).await;
    assert_eq!(response.status(), Status::Ok);
    let confirmed: Value = response.into_json().await.expect("JSON");
    let recovery_codes =
        confirmed["recovery_codes"].as_array().expect("codes").iter().map(|c| c.as_str().expect("a code").to_owned());
    Enrolled { token, secret, factor_id, recovery_codes: recovery_codes.collect() }
}

/// A password login of `email` that answers the second step: its `mfa_token`, after checking the problem.
async fn second_step(app: &TestApp, email: &str) -> String {
    let response = app.post("/auth/login", json!({"email": email, "password": PASSWORD}), None).await;
    let body = problem_of_type(response, Status::Forbidden, SECOND_STEP).await;
    body["mfa_token"].as_str().expect("an mfa_token").to_owned()
}

/// `POST /auth/mfa/verify` with `code`.
async fn verify<'a>(app: &'a TestApp, mfa_token: &str, code: &str) -> rocket::local::asynchronous::LocalResponse<'a> {
    app.post("/auth/mfa/verify", json!({"mfa_token": mfa_token, "code": code}), None).await
}

/// A code of the next 30-second step: one the confirmation did not spend.
fn next_code(secret: &str) -> String {
    code_at(secret, now_seconds() + 30)
}

async fn totp_enrolment_then_sign_in_in_two_steps(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    // One factor so far: the password is needed, and checked.
    let missing = app.post("/auth/mfa/totp", json!({}), Some(&token)).await;
    assert_eq!(problem(missing, Status::UnprocessableEntity).await["errors"][0]["field"], "password");
    let wrong = app.post("/auth/mfa/totp", json!({"password": "not the password"}), Some(&token)).await;
    problem(wrong, Status::Forbidden).await;

    let response = app.post("/auth/mfa/totp", json!({"password": PASSWORD}), Some(&token)).await;
    assert_eq!(response.status(), Status::Created);
    assert_eq!(response.headers().get_one("Cache-Control"), Some("no-store"));
    let enrolment: Value = response.into_json().await.expect("JSON");
    let secret = enrolment["secret"].as_str().expect("secret");
    let uri = enrolment["otpauth_uri"].as_str().expect("otpauth_uri");
    assert!(uri.starts_with("otpauth://totp/app.example:ann%40example.com?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")) && uri.contains("issuer=app.example"), "{uri}");
    let confirm = format!("/auth/mfa/totp/{}/confirm", enrolment["factor_id"].as_str().expect("id"));

    let refused = app.post(&confirm, json!({"code": wrong_code(&code_at(secret, now_seconds()))}), Some(&token)).await;
    assert_eq!(problem(refused, Status::UnprocessableEntity).await["errors"][0]["field"], "code");
    let response = app.post(&confirm, json!({"code": code_at(secret, now_seconds())}), Some(&token)).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("Cache-Control"), Some("no-store"));
    let confirmed: Value = response.into_json().await.expect("JSON");
    assert_eq!(confirmed["recovery_codes"].as_array().map(Vec::len), Some(10));
    assert_eq!(
        (confirmed["factor"]["kind"].as_str(), confirmed["factor"]["name"].as_str()),
        (Some("totp"), Some("Authenticator app"))
    );
    let factors: Value = app.get("/auth/mfa/factors", Some(&token)).await.into_json().await.expect("JSON");
    assert_eq!(factors.as_array().map(Vec::len), Some(1));

    // A password alone no longer signs in.
    let response = app.post("/auth/login", json!({"email": "ann@example.com", "password": PASSWORD}), None).await;
    let body = problem_of_type(response, Status::Forbidden, SECOND_STEP).await;
    assert_eq!(body["methods"], json!(["totp", "recovery_code"]));
    let mfa_token = body["mfa_token"].as_str().expect("mfa_token");
    assert!(mfa_token.len() >= 43, "32 random bytes");

    let wrong = verify(app, mfa_token, wrong_code(&next_code(secret))).await;
    problem(wrong, Status::Unauthorized).await;
    let response = verify(app, mfa_token, &next_code(secret)).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("Cache-Control"), Some("no-store"));
    let tokens: Value = response.into_json().await.expect("JSON");
    let access = tokens["access_token"].as_str().expect("access_token");
    assert_eq!(app.get("/auth/me", Some(access)).await.status(), Status::Ok);

    let sessions: Value = app.get("/auth/sessions", Some(access)).await.into_json().await.expect("JSON");
    let sessions = sessions.as_array().expect("sessions");
    let current = sessions.iter().find(|session| session["current"] == true).expect("the current session");
    assert_eq!((current["aal"].clone(), current["amr"].clone()), (json!(2), json!(["pwd", "otp"])));
    assert_eq!(current["id"].as_str(), Some(session_of(access).as_str()));
}

async fn the_oauth2_form_of_a_two_factor_account_answers_the_second_step(app: &TestApp) {
    enrolled(app, "ann@example.com").await;
    let response = app
        .client
        .post("/auth/login")
        .header(ContentType::Form)
        .body(format!("grant_type=password&username=ann%40example.com&password={}", PASSWORD.replace(' ', "+")))
        .dispatch()
        .await;
    let body = problem_of_type(response, Status::Forbidden, SECOND_STEP).await;
    assert!(body["mfa_token"].is_string());
}

async fn a_code_and_a_recovery_code_each_work_once(app: &TestApp) {
    let enrolled = enrolled(app, "ann@example.com").await;
    let code = next_code(&enrolled.secret);
    let first = second_step(app, "ann@example.com").await;
    assert_eq!(verify(app, &first, &code).await.status(), Status::Ok);
    // The same mfa_token again, and the same code with a new one: both refused.
    problem(verify(app, &first, &code).await, Status::Unauthorized).await;
    let second = second_step(app, "ann@example.com").await;
    problem(verify(app, &second, &code).await, Status::Unauthorized).await;

    let recovery = &enrolled.recovery_codes[0];
    assert_eq!(verify(app, &second, recovery).await.status(), Status::Ok);
    let third = second_step(app, "ann@example.com").await;
    problem(verify(app, &third, recovery).await, Status::Unauthorized).await;
}

async fn five_wrong_codes_void_the_mfa_token(app: &TestApp) {
    let enrolled = enrolled(app, "ann@example.com").await;
    let mfa_token = second_step(app, "ann@example.com").await;
    let right = next_code(&enrolled.secret);
    for _ in 0..5 {
        problem(verify(app, &mfa_token, wrong_code(&right)).await, Status::Unauthorized).await;
    }
    let voided = problem(verify(app, &mfa_token, &right).await, Status::Unauthorized).await;
    assert!(voided["detail"].as_str().is_some_and(|detail| detail.contains("sign in again")), "{voided}");
}

async fn changing_factors_needs_a_two_factor_session(app: &TestApp) {
    let enrolled = enrolled(app, "ann@example.com").await;
    let bob = app.token("bob@example.com").await;
    let path = format!("/auth/mfa/factors/{}", enrolled.factor_id);
    problem_of_type(app.delete(&path, Some(&bob)).await, Status::Forbidden, TWO_FACTOR_SESSION).await;
    let codes = app.post_empty("/auth/mfa/recovery-codes", Some(&bob)).await;
    problem_of_type(codes, Status::Forbidden, TWO_FACTOR_SESSION).await;
    // Ann's enrolling session is a two-factor session now; another user's factor is still not found for her.
    let other = app.delete("/auth/mfa/factors/0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f70", Some(&enrolled.token)).await;
    problem(other, Status::NotFound).await;
    problem(app.delete("/auth/mfa/factors/not-a-uuid", Some(&enrolled.token)).await, Status::NotFound).await;
    problem(app.delete(&path, None).await, Status::Unauthorized).await;
}

async fn removing_the_last_factor_turns_the_second_step_off(app: &TestApp) {
    let enrolled = enrolled(app, "ann@example.com").await;
    let path = format!("/auth/mfa/factors/{}", enrolled.factor_id);
    assert_eq!(app.delete(&path, Some(&enrolled.token)).await.status(), Status::NoContent);
    let factors: Value = app.get("/auth/mfa/factors", Some(&enrolled.token)).await.into_json().await.expect("JSON");
    assert_eq!(factors, json!([]));
    app.login("ann@example.com").await;
}

async fn new_recovery_codes_void_the_old_ones(app: &TestApp) {
    let enrolled = enrolled(app, "ann@example.com").await;
    let response = app.post_empty("/auth/mfa/recovery-codes", Some(&enrolled.token)).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("Cache-Control"), Some("no-store"));
    let new: Value = response.into_json().await.expect("JSON");
    let new = new["recovery_codes"].as_array().expect("codes").clone();
    assert_eq!(new.len(), 10);
    let mfa_token = second_step(app, "ann@example.com").await;
    problem(verify(app, &mfa_token, &enrolled.recovery_codes[0]).await, Status::Unauthorized).await;
    assert_eq!(verify(app, &mfa_token, new[0].as_str().expect("a code")).await.status(), Status::Ok);
}

/// Waits for `count` mails and returns the token of the newest link to `page` among them. The mails go out after
/// their answers, each from its own task, so a verification mail of the signup and a later mail may arrive in
/// either order: the link is found by its page, not by the mail's place.
async fn newest_link(app: &TestApp, count: usize, page: &str) -> String {
    let mails = app.mails(count).await;
    let mail = mails.iter().rev().find(|mail| mail.text.contains(&format!("/{page}?token="))).expect("a link mail");
    link_token(mail, page)
}

/// Asks for a sign-in link for `email` and returns its token, once the outbox holds `mails` mails.
async fn sign_in_link(app: &TestApp, email: &str, mails: usize) -> String {
    let response = app.post("/auth/magic-link", json!({"email": email}), None).await;
    assert_eq!(response.status(), Status::Accepted);
    newest_link(app, mails, "magic-link").await
}

async fn a_sign_in_link_signs_in_once(app: &TestApp) {
    app.signup("ann@example.com").await;
    let token = sign_in_link(app, "ann@example.com", 2).await; // the other mail is the verification mail
    let response = app.post("/auth/magic-link/verify", json!({"token": token}), None).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("Cache-Control"), Some("no-store"));
    let tokens: Value = response.into_json().await.expect("JSON");
    let me: Value = app.get("/auth/me", tokens["access_token"].as_str()).await.into_json().await.expect("JSON");
    assert!(me["email_verified_at"].is_string(), "the link proved the address: {me}");
    let again = app.post("/auth/magic-link/verify", json!({"token": token}), None).await;
    assert_eq!(problem(again, Status::UnprocessableEntity).await["errors"][0]["field"], "token");

    // An unknown email gets the same answer, and no mail.
    let unknown = app.post("/auth/magic-link", json!({"email": "nobody@example.com"}), None).await;
    assert_eq!(unknown.status(), Status::Accepted);
    rocket::tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.outbox.mails().len(), 2);
    let invalid = app.post("/auth/magic-link", json!({"email": "not an email"}), None).await;
    assert_eq!(problem(invalid, Status::UnprocessableEntity).await["errors"][0]["field"], "email");
}

async fn a_sign_in_link_of_a_two_factor_account_needs_the_second_step(app: &TestApp) {
    let enrolled = enrolled(app, "ann@example.com").await;
    let token = sign_in_link(app, "ann@example.com", 2).await;
    let response = app.post("/auth/magic-link/verify", json!({"token": token}), None).await;
    let body = problem_of_type(response, Status::Forbidden, SECOND_STEP).await;
    let response = verify(app, body["mfa_token"].as_str().expect("mfa_token"), &next_code(&enrolled.secret)).await;
    assert_eq!(response.status(), Status::Ok);
    let tokens: Value = response.into_json().await.expect("JSON");
    let sessions: Value =
        app.get("/auth/sessions", tokens["access_token"].as_str()).await.into_json().await.expect("JSON");
    let current = sessions.as_array().expect("sessions").iter().find(|s| s["current"] == true).cloned();
    assert_eq!(current.expect("current")["amr"], json!(["email", "otp"]));
}

async fn sign_in_links_are_limited_like_reset_mails(app: &TestApp) {
    app.signup("ann@example.com").await;
    // Three mails per (email, network) a window, reset mails and sign-in links together.
    let from_one_network = |path: &'static str| {
        app.client
            .post(path)
            .remote("192.0.2.1:40000".parse().expect("an address"))
            .header(ContentType::JSON)
            .body(json!({"email": "ann@example.com"}).to_string())
            .dispatch()
    };
    assert_eq!(from_one_network("/auth/password/forgot").await.status(), Status::Accepted);
    for _ in 0..2 {
        assert_eq!(from_one_network("/auth/magic-link").await.status(), Status::Accepted);
    }
    let refused = from_one_network("/auth/magic-link").await;
    assert!(refused.headers().get_one("Retry-After").is_some_and(|seconds| seconds.parse::<u64>().is_ok()));
    problem(refused, Status::TooManyRequests).await;
    let refused = from_one_network("/auth/password/forgot").await;
    problem(refused, Status::TooManyRequests).await;
}

async fn a_password_reset_of_a_two_factor_account_needs_the_second_step(app: &TestApp) {
    let enrolled = enrolled(app, "ann@example.com").await;
    assert_eq!(
        app.post("/auth/password/forgot", json!({"email": "ann@example.com"}), None).await.status(),
        Status::Accepted
    );
    let token = newest_link(app, 2, "reset-password").await;
    let response =
        app.post("/auth/password/reset", json!({"token": token, "new_password": "a new password 1"}), None).await;
    let body = problem_of_type(response, Status::Forbidden, SECOND_STEP).await;
    // Every session ended, the enrolling one too.
    problem(app.get("/auth/me", Some(&enrolled.token)).await, Status::Unauthorized).await;
    let response = verify(app, body["mfa_token"].as_str().expect("mfa_token"), &enrolled.recovery_codes[0]).await;
    assert_eq!(response.status(), Status::Ok);
}
