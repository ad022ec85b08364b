//! Service routes: health, the OpenAPI document, Swagger UI, and mounting under a base path.

mod support;

use rocket::http::Status;
use rocket_db_pools::Database;
use serde_json::{json, Value};
use todo_rocket::Db;

use support::{problem, TestApp};

http_tests!(
    health_is_200_while_the_database_answers,
    health_is_503_when_the_database_is_gone,
    the_openapi_document_is_served,
    swagger_ui_is_served_offline,
    a_sane_request_id_is_kept_and_any_other_is_replaced,
);

async fn health_is_200_while_the_database_answers(app: &TestApp) {
    let response = app.get("/health", None).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.into_json::<Value>().await.expect("JSON"), json!({"status": "ok"}));
}

async fn health_is_503_when_the_database_is_gone(app: &TestApp) {
    Db::fetch(app.client.rocket()).expect("database attached").close().await;
    let response = app.get("/health", None).await;
    assert_eq!(response.headers().get_one("Retry-After"), Some("5"));
    problem(response, Status::ServiceUnavailable).await;
}

async fn the_openapi_document_is_served(app: &TestApp) {
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status(), Status::Ok);
    let doc: Value = response.into_json().await.expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(doc["components"]["securitySchemes"]["oauth2"]["flows"]["password"]["tokenUrl"], "/auth/login");
}

async fn swagger_ui_is_served_offline(app: &TestApp) {
    let response = app.get("/swagger-ui/", None).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type().map(|ct| ct.to_string()).as_deref(), Some("text/html"));
    let config = app.get("/swagger-ui/swagger-initializer.js", None).await.into_string().await.expect("script");
    assert!(config.contains("/openapi.json"), "{config}");
}

#[cfg(feature = "sqlite")]
#[rocket::async_test]
async fn the_whole_api_mounts_under_a_base_path() {
    let app = TestApp::sqlite_at("/api/v1").await;
    mounted_under_api_v1(&app).await;
    app.remove().await;
}

#[cfg(feature = "sqlite")]
async fn mounted_under_api_v1(app: &TestApp) {
    let response =
        app.post("/api/v1/auth/signup", json!({"email": "ann@example.com", "password": support::PASSWORD}), None).await;
    assert_eq!(response.status(), Status::Created);
    assert_eq!(response.headers().get_one("Location"), Some("/api/v1/auth/me"));
    let login =
        app.post("/api/v1/auth/login", json!({"email": "ann@example.com", "password": support::PASSWORD}), None).await;
    let token: Value = login.into_json().await.expect("JSON");
    let token = token["access_token"].as_str().expect("token");
    let created = app.post("/api/v1/tasks", json!({"title": "x"}), Some(token)).await;
    assert!(created.headers().get_one("Location").expect("Location").starts_with("/api/v1/tasks/"));
    problem(app.get("/api/v1/tasks", None).await, Status::Unauthorized).await;
    problem(app.get("/api/v1/nothing", None).await, Status::NotFound).await;
    let doc: Value = app.get("/api/v1/openapi.json", None).await.into_json().await.expect("JSON");
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert_eq!(doc["components"]["securitySchemes"]["oauth2"]["flows"]["password"]["tokenUrl"], "/api/v1/auth/login");
    assert_eq!(app.get("/api/v1/swagger-ui/", None).await.status(), Status::Ok);
}

#[cfg(feature = "sqlite")]
#[rocket::get("/boom")]
fn boom() -> Status {
    Status::InternalServerError
}

#[cfg(feature = "sqlite")]
#[rocket::async_test]
async fn an_internal_error_is_a_500_problem_without_detail() {
    let app = TestApp::sqlite_with("/", |rocket| rocket.mount("/", rocket::routes![boom])).await;
    let body = problem(app.get("/boom", None).await, Status::InternalServerError).await;
    assert_eq!(body.get("detail"), None);
    app.remove().await;
}

async fn a_sane_request_id_is_kept_and_any_other_is_replaced(app: &TestApp) {
    let with_id = |id: &str| {
        let header = rocket::http::Header::new("X-Request-Id", id.to_owned());
        app.client.get("/health").header(header)
    };
    let kept = with_id("edge-7f3a:42").dispatch().await;
    assert_eq!(kept.headers().get_one("X-Request-Id"), Some("edge-7f3a:42"));
    for insane in ["has spaces", "<script>", &"x".repeat(129)] {
        let response = with_id(insane).dispatch().await;
        let id = response.headers().get_one("X-Request-Id").expect("an id").to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{insane:?} replaced by a new id, got {id}");
    }
    // Errors too, including requests no route matched.
    let first = app.get("/no/such/route", None).await.headers().get_one("X-Request-Id").map(str::to_owned);
    let second = app.get("/no/such/route", None).await.headers().get_one("X-Request-Id").map(str::to_owned);
    assert!(first.is_some() && first != second, "a new id for each request: {first:?} {second:?}");
}
