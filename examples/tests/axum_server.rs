//! Drives the axum example in process: signup, login, tasks, and the 401/409/422 mapping.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn app() -> Router {
    let config = todo_core::Config::new("axum example test secret, 32+ bytes")
        .and_then(|config| config.with_bcrypt_cost(4))
        .expect("valid config")
        .with_database_url("sqlite::memory:");
    todo_examples::axum_server::router(todo_core::Todo::connect(&config).await.expect("connects"))
}

async fn call(app: &Router, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn signup_login_and_tasks_work_through_axum() {
    let app = app().await;
    let credentials = json!({"email": "Ann@Example.com", "password": "correct horse battery"});
    let (status, user) = call(&app, "POST", "/signup", Some(credentials.clone()), None).await;
    assert_eq!((status, &user["email"]), (StatusCode::CREATED, &json!("ann@example.com")));
    let (status, _) = call(&app, "POST", "/signup", Some(credentials.clone()), None).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, login) = call(&app, "POST", "/login", Some(credentials), None).await;
    assert_eq!(status, StatusCode::OK);
    let token = login["access_token"].as_str().expect("token");

    let (status, _) = call(&app, "POST", "/tasks", Some(json!({"title": " Buy milk "})), Some(token)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, tasks) = call(&app, "GET", "/tasks", None, Some(token)).await;
    assert_eq!((status, tasks), (StatusCode::OK, json!({"titles": ["Buy milk"]})));
}

#[tokio::test]
async fn tasks_need_a_valid_token_and_bad_input_is_422() {
    let app = app().await;
    assert_eq!(call(&app, "GET", "/tasks", None, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(call(&app, "GET", "/tasks", None, Some("not-a-token")).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = call(&app, "POST", "/signup", Some(json!({"email": "x", "password": "short"})), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"].as_array().expect("errors").len(), 2);
}

#[tokio::test]
async fn refresh_rotates_and_logout_ends_the_session() {
    let app = app().await;
    let credentials = json!({"email": "bob@example.com", "password": "correct horse battery"});
    call(&app, "POST", "/signup", Some(credentials.clone()), None).await;
    let (_, login) = call(&app, "POST", "/login", Some(credentials), None).await;

    let (status, refreshed) =
        call(&app, "POST", "/refresh", Some(json!({"refresh_token": login["refresh_token"]})), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(refreshed["refresh_token"], login["refresh_token"]);
    let token = refreshed["access_token"].as_str().expect("token");
    assert_eq!(call(&app, "GET", "/tasks", None, Some(token)).await.0, StatusCode::OK);

    assert_eq!(call(&app, "POST", "/logout", None, Some(token)).await.0, StatusCode::NO_CONTENT);
    assert_eq!(call(&app, "GET", "/tasks", None, Some(token)).await.0, StatusCode::UNAUTHORIZED);
    let refresh = json!({"refresh_token": refreshed["refresh_token"]});
    assert_eq!(call(&app, "POST", "/refresh", Some(refresh), None).await.0, StatusCode::UNAUTHORIZED);
}
