//! `/auth/*` over HTTP: signup, login (JSON and OAuth2 form), the current user, and every token rejection.

mod support;

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header as JwtHeader};
use rocket::http::{ContentType, Header, Status};
use serde_json::{json, Value};
use time::OffsetDateTime;

use support::{problem, session_of, TestApp, PASSWORD, SECRET};

http_tests!(
    signup_answers_201_with_the_user_and_its_location,
    signup_with_a_taken_email_in_another_case_is_409,
    three_spellings_of_an_internationalised_address_are_one_account,
    signup_failing_validation_is_422_with_every_field,
    signup_password_limits_are_8_characters_and_72_bytes,
    login_with_json_returns_an_uncacheable_bearer_token,
    login_with_the_oauth2_password_form_returns_a_token,
    login_form_with_another_grant_type_is_422,
    wrong_password_and_unknown_email_get_the_same_401,
    me_returns_the_user_of_the_token,
    me_without_a_token_is_401_with_a_bare_bearer_challenge,
    me_with_another_auth_scheme_is_401_with_a_bare_bearer_challenge,
    me_rejects_malformed_forged_expired_and_unsigned_tokens,
    a_token_of_a_user_that_does_not_exist_is_401,
);

async fn signup_answers_201_with_the_user_and_its_location(app: &TestApp) {
    let response = app.post("/auth/signup", json!({"email": " Ann@Example.COM ", "password": PASSWORD}), None).await;
    assert_eq!(response.status(), Status::Created);
    assert_eq!(response.headers().get_one("Location"), Some("/auth/me"));
    let user: Value = response.into_json().await.expect("JSON");
    assert_eq!(user["email"], "ann@example.com");
    assert!(uuid::Uuid::parse_str(user["id"].as_str().expect("id")).is_ok());
    assert!(OffsetDateTime::parse(
        user["created_at"].as_str().expect("time"),
        &time::format_description::well_known::Rfc3339
    )
    .is_ok());
    assert_eq!(user["email_verified_at"], Value::Null, "not verified yet");
    assert_eq!(user["has_password"], true);
    assert_eq!(user.as_object().expect("object").len(), 5, "never the hash: {user}");
}

async fn signup_with_a_taken_email_in_another_case_is_409(app: &TestApp) {
    app.signup("bob@example.com").await;
    let response = app.post("/auth/signup", json!({"email": "BOB@example.com", "password": PASSWORD}), None).await;
    let body = problem(response, Status::Conflict).await;
    assert_eq!(body["detail"], "this email is already registered");
}

async fn three_spellings_of_an_internationalised_address_are_one_account(app: &TestApp) {
    let response = app.post("/auth/signup", json!({"email": "ann@bücher.example", "password": PASSWORD}), None).await;
    assert_eq!(response.status(), Status::Created);
    let user: Value = response.into_json().await.expect("JSON");
    assert_eq!(user["email"], "ann@xn--bcher-kva.example");
    for spelling in ["ann@xn--bcher-kva.example", "ANN@BÜCHER.example"] {
        let response = app.post("/auth/signup", json!({"email": spelling, "password": PASSWORD}), None).await;
        let body = problem(response, Status::Conflict).await;
        assert_eq!(body["detail"], "this email is already registered", "{spelling}");
    }
}

async fn signup_failing_validation_is_422_with_every_field(app: &TestApp) {
    let response = app.post("/auth/signup", json!({"email": "nope", "password": "short"}), None).await;
    let body = problem(response, Status::UnprocessableEntity).await;
    assert_eq!(body["title"], "Unprocessable Content");
    assert_eq!(
        body["errors"],
        json!([
            {"field": "email", "message": "must be a valid email address"},
            {"field": "password", "message": "must be at least 8 characters"},
        ])
    );
}

async fn signup_password_limits_are_8_characters_and_72_bytes(app: &TestApp) {
    let status = |email: &'static str, password: String| async move {
        app.post("/auth/signup", json!({"email": email, "password": password}), None).await.status()
    };
    assert_eq!(status("p7@x.io", "1234567".into()).await, Status::UnprocessableEntity);
    assert_eq!(status("p8@x.io", "12345678".into()).await, Status::Created);
    assert_eq!(status("p72@x.io", "ß".repeat(36)).await, Status::Created);
    assert_eq!(status("p73@x.io", format!("{}!", "ß".repeat(36))).await, Status::UnprocessableEntity);
}

async fn login_with_json_returns_an_uncacheable_bearer_token(app: &TestApp) {
    app.signup("carol@example.com").await;
    let response = app.post("/auth/login", json!({"email": "Carol@Example.com", "password": PASSWORD}), None).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("Cache-Control"), Some("no-store"));
    let body: Value = response.into_json().await.expect("JSON");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["access_token"].as_str().expect("token").split('.').count(), 3);
}

async fn login_with_the_oauth2_password_form_returns_a_token(app: &TestApp) {
    app.signup("dave@example.com").await;
    let response = app
        .client
        .post("/auth/login")
        .header(ContentType::Form)
        .body(format!("grant_type=password&username=dave%40example.com&password={}", PASSWORD.replace(' ', "+")))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    let body: Value = response.into_json().await.expect("JSON");
    let token = body["access_token"].as_str().expect("token");
    assert_eq!(app.get("/auth/me", Some(token)).await.status(), Status::Ok);
}

async fn login_form_with_another_grant_type_is_422(app: &TestApp) {
    let response = app
        .client
        .post("/auth/login")
        .header(ContentType::Form)
        .body("grant_type=client_credentials&username=a%40b.io&password=whatever1")
        .dispatch()
        .await;
    let body = problem(response, Status::UnprocessableEntity).await;
    assert_eq!(body["errors"][0]["field"], "grant_type");
}

async fn wrong_password_and_unknown_email_get_the_same_401(app: &TestApp) {
    app.signup("erin@example.com").await;
    let wrong = app.post("/auth/login", json!({"email": "erin@example.com", "password": "wrong password"}), None).await;
    assert_eq!(wrong.headers().get_one("WWW-Authenticate"), Some("Bearer"));
    let wrong = problem(wrong, Status::Unauthorized).await;
    let unknown = app.post("/auth/login", json!({"email": "nobody@example.com", "password": PASSWORD}), None).await;
    let unknown = problem(unknown, Status::Unauthorized).await;
    assert_eq!(wrong, unknown);
}

async fn me_returns_the_user_of_the_token(app: &TestApp) {
    let token = app.token("frank@example.com").await;
    let response = app.get("/auth/me", Some(&token)).await;
    assert_eq!(response.status(), Status::Ok);
    let user: Value = response.into_json().await.expect("JSON");
    assert_eq!(user["email"], "frank@example.com");
}

async fn me_without_a_token_is_401_with_a_bare_bearer_challenge(app: &TestApp) {
    let response = app.get("/auth/me", None).await;
    assert_eq!(response.headers().get_one("WWW-Authenticate"), Some("Bearer"));
    problem(response, Status::Unauthorized).await;
}

async fn me_with_another_auth_scheme_is_401_with_a_bare_bearer_challenge(app: &TestApp) {
    let response =
        app.client.get("/auth/me").header(Header::new("Authorization", "Basic dXNlcjpwYXNz")).dispatch().await;
    assert_eq!(response.headers().get_one("WWW-Authenticate"), Some("Bearer"));
    problem(response, Status::Unauthorized).await;
}

fn claims(user_id: &str, session: &str, exp_offset_seconds: i64) -> Value {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    json!({"sub": user_id, "email": "gina@example.com", "iat": now, "exp": now + exp_offset_seconds, "sid": session})
}

async fn me_rejects_malformed_forged_expired_and_unsigned_tokens(app: &TestApp) {
    let user = app.signup("gina@example.com").await;
    let id = user["id"].as_str().expect("id");
    let session = &session_of(app.login("gina@example.com").await["access_token"].as_str().expect("token"));
    let sign = |claims: &Value, secret: &str, alg: Algorithm| {
        encode(&JwtHeader::new(alg), claims, &EncodingKey::from_secret(secret.as_bytes())).expect("encodes")
    };
    let valid = sign(&claims(id, session, 3600), SECRET, Algorithm::HS256);
    let unsigned = {
        let payload = valid.split('.').nth(1).expect("payload");
        format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.")
    };
    let tampered = {
        let parts: Vec<&str> = valid.split('.').collect();
        let other = sign(&claims(&uuid::Uuid::now_v7().to_string(), session, 3600), SECRET, Algorithm::HS256);
        format!("{}.{}.{}", parts[0], other.split('.').nth(1).expect("payload"), parts[2])
    };
    let rejected = [
        ("malformed", "not.a.jwt".to_owned()),
        (
            "another secret",
            sign(&claims(id, session, 3600), "another secret that is 32+ bytes long!!", Algorithm::HS256),
        ),
        ("expired", sign(&claims(id, session, -3600), SECRET, Algorithm::HS256)),
        ("HS512", sign(&claims(id, session, 3600), SECRET, Algorithm::HS512)),
        ("alg none", unsigned),
        ("tampered payload", tampered),
    ];
    assert_eq!(app.get("/auth/me", Some(&valid)).await.status(), Status::Ok, "the control token works");
    for (what, token) in rejected {
        let response = app.get("/auth/me", Some(&token)).await;
        assert_eq!(response.headers().get_one("WWW-Authenticate"), Some(r#"Bearer error="invalid_token""#), "{what}");
        let body = problem(response, Status::Unauthorized).await;
        assert!(!body.to_string().contains(&token), "{what}: the token is echoed");
    }
}

async fn a_token_of_a_user_that_does_not_exist_is_401(app: &TestApp) {
    let token = encode(
        &JwtHeader::new(Algorithm::HS256),
        &claims(&uuid::Uuid::now_v7().to_string(), &uuid::Uuid::now_v7().to_string(), 3600),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("encodes");
    let response = app.get("/auth/me", Some(&token)).await;
    assert_eq!(response.headers().get_one("WWW-Authenticate"), Some(r#"Bearer error="invalid_token""#));
    problem(response, Status::Unauthorized).await;
}
