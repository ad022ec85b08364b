//! Passkeys over HTTP: `/auth/passkeys/*` and the passkey of a second step (`/auth/mfa/passkey/options`, then
//! `/auth/mfa/verify` with a `credential`), with a software authenticator that answers as a browser does
//! (`todo_testing::authenticator`: `PublicKeyCredential.toJSON()`-shaped JSON). The test servers' relying party is
//! the host of their `APP_URL`, `https://app.example`.

mod support;

use rocket::http::Status;
use serde_json::{json, Value};
use todo_testing::authenticator::Authenticator;

use support::{problem, problem_of_type, TestApp, APP_URL, PASSWORD};

http_tests!(
    a_passkey_added_then_signs_in_alone,
    a_passkey_finishes_the_second_step_after_a_password,
    a_replayed_assertion_and_a_wrong_origin_are_refused,
    a_second_passkey_comes_without_new_recovery_codes,
    a_credential_that_is_not_webauthn_json_is_422,
);

const SECOND_STEP: &str = "tag:todo-core.dev,2026:problems/second-step-required";

/// The JSON of a 200 answer.
async fn ok(response: rocket::local::asynchronous::LocalResponse<'_>) -> Value {
    assert_eq!(response.status(), Status::Ok);
    response.into_json().await.expect("JSON")
}

/// Adds a passkey made by `authenticator` to the account of `token`; returns the answer of the registration.
async fn add_passkey(app: &TestApp, token: &str, authenticator: &mut Authenticator) -> Value {
    let options = ok(app.post("/auth/passkeys/registration/options", json!({}), Some(token)).await).await;
    assert_eq!(options["options"]["publicKey"]["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(options["options"]["publicKey"]["rp"]["id"], "app.example");
    let credential = authenticator.create(APP_URL, &options["options"]).expect("the authenticator makes a passkey");
    let body = json!({"challenge_id": options["challenge_id"], "credential": credential, "name": "Laptop"});
    let response = app.post("/auth/passkeys/registration", body, Some(token)).await;
    assert_eq!(response.status(), Status::Created);
    assert_eq!(response.headers().get_one("Cache-Control"), Some("no-store"));
    response.into_json().await.expect("JSON")
}

/// Signs in with a passkey of `authenticator` alone; the response.
async fn sign_in_with<'a>(
    app: &'a TestApp,
    authenticator: &mut Authenticator,
    origin: &str,
) -> rocket::local::asynchronous::LocalResponse<'a> {
    let options = ok(app.post("/auth/passkeys/login/options", json!({}), None).await).await;
    let assertion = authenticator.get(origin, &options["options"]).expect("the authenticator signs");
    app.post("/auth/passkeys/login", json!({"challenge_id": options["challenge_id"], "credential": assertion}), None)
        .await
}

/// The current session's entry in `GET /auth/sessions` for `access_token`.
async fn current_session(app: &TestApp, access_token: &str) -> Value {
    let sessions = ok(app.get("/auth/sessions", Some(access_token)).await).await;
    sessions.as_array().expect("sessions").iter().find(|session| session["current"] == true).cloned().expect("one")
}

async fn a_passkey_added_then_signs_in_alone(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let mut laptop = Authenticator::new();
    let added = add_passkey(app, &token, &mut laptop).await;
    assert_eq!((added["factor"]["kind"].as_str(), added["factor"]["name"].as_str()), (Some("passkey"), Some("Laptop")));
    assert_eq!(added["recovery_codes"].as_array().map(Vec::len), Some(10), "the first factor hands out codes");
    let factors = ok(app.get("/auth/mfa/factors", Some(&token)).await).await;
    assert_eq!(factors.as_array().map(Vec::len), Some(1));

    // No email, no password: a two-factor session.
    let tokens: Value = ok(sign_in_with(app, &mut laptop, APP_URL).await).await;
    let access = tokens["access_token"].as_str().expect("access_token");
    let session = current_session(app, access).await;
    assert_eq!((session["aal"].clone(), session["amr"].clone()), (json!(2), json!(["hwk", "user"])));
    // The password alone now needs the second step, and offers the passkey.
    let response = app.post("/auth/login", json!({"email": "ann@example.com", "password": PASSWORD}), None).await;
    let body = problem_of_type(response, Status::Forbidden, SECOND_STEP).await;
    assert_eq!(body["methods"], json!(["recovery_code", "passkey"]));
}

async fn a_passkey_finishes_the_second_step_after_a_password(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let mut laptop = Authenticator::new();
    add_passkey(app, &token, &mut laptop).await;
    let response = app.post("/auth/login", json!({"email": "ann@example.com", "password": PASSWORD}), None).await;
    let mfa_token = problem_of_type(response, Status::Forbidden, SECOND_STEP).await["mfa_token"].clone();

    let options = ok(app.post("/auth/mfa/passkey/options", json!({"mfa_token": mfa_token}), None).await).await;
    let allowed = &options["options"]["publicKey"]["allowCredentials"];
    assert_eq!(allowed.as_array().map(Vec::len), Some(1), "the account's passkey: {options}");
    let assertion = laptop.get(APP_URL, &options["options"]).expect("signs");
    let tokens =
        ok(app.post("/auth/mfa/verify", json!({"mfa_token": mfa_token, "credential": assertion}), None).await).await;
    let session = current_session(app, tokens["access_token"].as_str().expect("access_token")).await;
    assert_eq!((session["aal"].clone(), session["amr"].clone()), (json!(2), json!(["pwd", "hwk"])));

    // Neither both a code and a credential, nor none.
    let response = app.post("/auth/login", json!({"email": "ann@example.com", "password": PASSWORD}), None).await;
    let mfa_token = problem_of_type(response, Status::Forbidden, SECOND_STEP).await["mfa_token"].clone();
    let neither = app.post("/auth/mfa/verify", json!({"mfa_token": mfa_token}), None).await;
    assert_eq!(problem(neither, Status::UnprocessableEntity).await["errors"][0]["field"], "code");
}

async fn a_replayed_assertion_and_a_wrong_origin_are_refused(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let mut laptop = Authenticator::new();
    add_passkey(app, &token, &mut laptop).await;

    let options = ok(app.post("/auth/passkeys/login/options", json!({}), None).await).await;
    let assertion = laptop.get(APP_URL, &options["options"]).expect("signs");
    let body = json!({"challenge_id": options["challenge_id"], "credential": assertion});
    assert_eq!(app.post("/auth/passkeys/login", body.clone(), None).await.status(), Status::Ok);
    // The same answer again: its ceremony is spent.
    problem(app.post("/auth/passkeys/login", body, None).await, Status::Unauthorized).await;
    // The same assertion against new options: another challenge.
    let fresh = ok(app.post("/auth/passkeys/login/options", json!({}), None).await).await;
    let replayed = json!({"challenge_id": fresh["challenge_id"], "credential": assertion});
    problem(app.post("/auth/passkeys/login", replayed, None).await, Status::Unauthorized).await;

    // A page of another origin asking for this site's passkey.
    problem(sign_in_with(app, &mut laptop, "https://evil.example").await, Status::Unauthorized).await;
    // The passkey still works from the right origin.
    assert_eq!(sign_in_with(app, &mut laptop, APP_URL).await.status(), Status::Ok);
}

async fn a_second_passkey_comes_without_new_recovery_codes(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let mut laptop = Authenticator::new();
    add_passkey(app, &token, &mut laptop).await;
    // The session of before the first factor is the enrolling one, now two-factor; another device's passkey may be
    // added from a two-factor session, and hands out no new codes.
    let tokens: Value = ok(sign_in_with(app, &mut laptop, APP_URL).await).await;
    let mut phone = Authenticator::new();
    let added = add_passkey(app, tokens["access_token"].as_str().expect("access_token"), &mut phone).await;
    assert!(added.get("recovery_codes").is_none(), "only the first factor hands out codes: {added}");
    assert_eq!(sign_in_with(app, &mut phone, APP_URL).await.status(), Status::Ok);
    // The same authenticator cannot register its passkey twice: the options exclude it.
    let options = ok(app.post("/auth/passkeys/registration/options", json!({}), Some(&token)).await).await;
    assert!(phone.create(APP_URL, &options["options"]).is_err(), "excluded: {options}");
}

async fn a_credential_that_is_not_webauthn_json_is_422(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let options = ok(app.post("/auth/passkeys/registration/options", json!({}), Some(&token)).await).await;
    let body = json!({"challenge_id": options["challenge_id"], "credential": {"id": 7}});
    let refused = app.post("/auth/passkeys/registration", body, Some(&token)).await;
    assert_eq!(problem(refused, Status::UnprocessableEntity).await["errors"][0]["field"], "credential");
    let login =
        app.post("/auth/passkeys/login", json!({"challenge_id": options["challenge_id"], "credential": "x"}), None);
    assert_eq!(problem(login.await, Status::UnprocessableEntity).await["errors"][0]["field"], "credential");
}
