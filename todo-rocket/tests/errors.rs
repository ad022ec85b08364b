//! The errors of a request that never reaches a handler (bad bodies, unknown routes, wrong methods), one by one: each
//! is an RFC 9457 problem document with the status the OpenAPI document gives.

mod support;

use rocket::http::{ContentType, Header, Status};
use serde_json::json;

use support::{problem, TestApp, JSON_LIMIT_BYTES};

http_tests!(
    a_body_that_is_not_json_is_400,
    an_empty_body_is_400,
    json_of_the_wrong_shape_is_422_naming_the_field,
    a_body_over_the_json_limit_is_413,
    a_body_in_another_content_type_is_415,
    an_unknown_route_is_404,
    a_known_route_with_the_wrong_method_is_405_with_allow,
    errors_never_echo_the_password_sent,
);

async fn bad_body<'a>(
    app: &'a TestApp,
    token: &str,
    content_type: ContentType,
    body: String,
) -> rocket::local::asynchronous::LocalResponse<'a> {
    app.client
        .post("/tasks")
        .header(content_type)
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .body(body)
        .dispatch()
        .await
}

async fn a_body_that_is_not_json_is_400(app: &TestApp) {
    for body in ["{\"title\": ", "title=x", "{\"title\": \"x\"} trailing"] {
        let response = app.client.post("/auth/signup").header(ContentType::JSON).body(body).dispatch().await;
        problem(response, Status::BadRequest).await;
    }
}

async fn an_empty_body_is_400(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    problem(bad_body(app, &token, ContentType::JSON, String::new()).await, Status::BadRequest).await;
}

async fn json_of_the_wrong_shape_is_422_naming_the_field(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let cases = [
        (json!({"title": 5}), "title", "must be a string"),
        (json!({"title": "x", "completed": "yes"}), "completed", "must be a boolean"),
        (json!({"description": "no title"}), "title", "is required"),
    ];
    for (body, field, message) in cases {
        let response = bad_body(app, &token, ContentType::JSON, body.to_string()).await;
        let problem = problem(response, Status::UnprocessableEntity).await;
        assert_eq!(problem["errors"], json!([{"field": field, "message": message}]), "{body}");
    }
    let response = bad_body(app, &token, ContentType::JSON, "[1, 2]".into()).await;
    problem(response, Status::UnprocessableEntity).await;
}

async fn a_body_over_the_json_limit_is_413(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let body = json!({"title": "x", "description": "d".repeat(JSON_LIMIT_BYTES)}).to_string();
    let problem = problem(bad_body(app, &token, ContentType::JSON, body).await, Status::PayloadTooLarge).await;
    assert_eq!(problem["title"], "Content Too Large");
}

async fn a_body_in_another_content_type_is_415(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let body = json!({"title": "x"}).to_string();
    problem(bad_body(app, &token, ContentType::Plain, body.clone()).await, Status::UnsupportedMediaType).await;
    let response = app.client.post("/auth/signup").header(ContentType::XML).body("<x/>").dispatch().await;
    problem(response, Status::UnsupportedMediaType).await;
}

async fn an_unknown_route_is_404(app: &TestApp) {
    let body = problem(app.get("/no/such/route", None).await, Status::NotFound).await;
    assert_eq!(body["detail"], "no resource at /no/such/route");
}

async fn a_known_route_with_the_wrong_method_is_405_with_allow(app: &TestApp) {
    let response = app.delete("/tasks", None).await;
    assert_eq!(response.headers().get_one("Allow"), Some("GET, POST"));
    problem(response, Status::MethodNotAllowed).await;
    let response = app.client.get("/auth/login").dispatch().await;
    assert_eq!(response.headers().get_one("Allow"), Some("POST"));
    problem(response, Status::MethodNotAllowed).await;
}

async fn errors_never_echo_the_password_sent(app: &TestApp) {
    let secret = "hunter2-hunter2-hunter2";
    let bodies = [
        json!({"email": "bad", "password": secret}),
        json!({"email": "ann@example.com", "password": [secret]}),
        json!({"email": secret, "password": secret}),
    ];
    for body in bodies {
        let response = app.post("/auth/signup", body, None).await;
        let problem = response.into_string().await.expect("body");
        assert!(!problem.contains(secret), "{problem}");
    }
}
