//! CORS: configured origins may call the API from a browser; other origins are refused.
#![cfg(feature = "sqlite")]

mod support;

use rocket::http::{Header, Method, Status};
use rocket::local::asynchronous::LocalResponse;
use todo_rocket::ServerOptions;

use support::{problem, TestApp};

const ALLOWED: &str = "https://app.example.com";

async fn app_allowing(origins: &[&str]) -> TestApp {
    let options = ServerOptions::default().with_cors_allowed_origins(origins.iter().copied()).expect("valid origins");
    TestApp::sqlite_with_options("/", |rocket| rocket, &options).await
}

/// A browser's preflight before `method /tasks` from `origin`, with these request headers (when any).
async fn preflight<'a>(app: &'a TestApp, origin: &str, method: &str, headers: Option<&str>) -> LocalResponse<'a> {
    let request = app
        .client
        .req(Method::Options, "/tasks")
        .header(Header::new("Origin", origin.to_owned()))
        .header(Header::new("Access-Control-Request-Method", method.to_owned()));
    match headers {
        Some(headers) => request.header(Header::new("Access-Control-Request-Headers", headers.to_owned())),
        None => request,
    }
    .dispatch()
    .await
}

#[rocket::async_test]
async fn a_preflight_from_an_allowed_origin_allows_the_authorization_header() {
    let app = app_allowing(&[ALLOWED]).await;
    let response = preflight(&app, ALLOWED, "POST", Some("authorization, content-type")).await;
    assert!(response.status().class().is_success(), "{}", response.status());
    let headers = response.headers();
    assert_eq!(headers.get_one("Access-Control-Allow-Origin"), Some(ALLOWED));
    let allowed_headers = headers.get_one("Access-Control-Allow-Headers").expect("allowed headers").to_lowercase();
    assert!(allowed_headers.contains("authorization"), "{allowed_headers}");
    assert!(headers.get_one("Access-Control-Allow-Methods").expect("methods").contains("POST"));
    drop(response);
    app.remove().await;
}

#[rocket::async_test]
async fn a_preflight_allows_if_match_and_idempotency_key_and_a_response_exposes_the_etag() {
    let app = app_allowing(&[ALLOWED]).await;
    let response =
        preflight(&app, ALLOWED, "PATCH", Some("authorization, content-type, if-match, idempotency-key")).await;
    assert!(response.status().class().is_success(), "{}", response.status());
    let allowed_headers =
        response.headers().get_one("Access-Control-Allow-Headers").expect("allowed headers").to_lowercase();
    for header in ["if-match", "idempotency-key"] {
        assert!(allowed_headers.contains(header), "{header} in {allowed_headers}");
    }
    drop(response);

    let token = app.token("ann@example.com").await;
    let created = app
        .client
        .post("/tasks")
        .header(Header::new("Origin", ALLOWED))
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .header(rocket::http::ContentType::JSON)
        .body(r#"{"title":"Read the ETag"}"#)
        .dispatch()
        .await;
    assert_eq!(created.status(), Status::Created);
    let exposed = created.headers().get_one("Access-Control-Expose-Headers").expect("exposed headers").to_lowercase();
    assert!(exposed.contains("etag"), "{exposed}");
    drop(created);
    app.remove().await;
}

#[rocket::async_test]
async fn a_request_from_an_allowed_origin_gets_the_cors_headers() {
    let app = app_allowing(&[ALLOWED]).await;
    let token = app.token("ann@example.com").await;
    let response = app
        .client
        .get("/tasks")
        .header(Header::new("Origin", ALLOWED))
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("Access-Control-Allow-Origin"), Some(ALLOWED));
    drop(response);
    app.remove().await;
}

#[rocket::async_test]
async fn another_origin_is_refused_with_a_problem_and_no_cors_headers() {
    let app = app_allowing(&[ALLOWED]).await;
    let preflight = preflight(&app, "https://evil.example", "GET", None).await;
    assert_eq!(preflight.headers().get_one("Access-Control-Allow-Origin"), None);
    assert!(preflight.status().class().is_client_error(), "{}", preflight.status());
    drop(preflight);
    let response = app.client.get("/health").header(Header::new("Origin", "https://evil.example")).dispatch().await;
    assert_eq!(response.headers().get_one("Access-Control-Allow-Origin"), None);
    problem(response, Status::Forbidden).await;
    app.remove().await;
}

#[rocket::async_test]
async fn without_configured_origins_no_cors_headers_are_sent() {
    let app = TestApp::sqlite().await;
    let response = app.client.get("/health").header(Header::new("Origin", ALLOWED)).dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("Access-Control-Allow-Origin"), None);
    drop(response);
    app.remove().await;
}
