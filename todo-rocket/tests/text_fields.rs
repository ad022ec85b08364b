//! Every text field of every route, fed with what breaks storage and parsers: U+0000, lone surrogates escaped in
//! JSON, 4-byte characters, very long strings. On both backends, each answer must be one the OpenAPI document
//! lists for that operation, as a problem document when it is an error, and never a 5xx.

mod support;

use rocket::http::{ContentType, Header, Method};
use serde_json::{json, Value};

use support::{problem, TestApp};

http_tests!(every_text_field_gets_a_documented_answer_never_a_5xx);

/// A JSON string literal standing for a field's value in a body template.
const SLOT: &str = "\"@@VALUE@@\"";

/// The values, as raw JSON string literals (so that lone surrogates can be written as JSON escapes).
fn hostile_values() -> Vec<(&'static str, String)> {
    vec![
        ("NUL", r#""a\u0000b""#.to_owned()),
        ("only NUL", r#""\u0000""#.to_owned()),
        ("lone high surrogate", r#""a\ud800b""#.to_owned()),
        ("lone low surrogate", r#""\udc00""#.to_owned()),
        ("reversed surrogate pair", r#""\udc00\ud800""#.to_owned()),
        ("4-byte characters", json!("🦀𝄞😀 ✓").to_string()),
        ("4-byte characters, 300 of them", json!("😀".repeat(300)).to_string()),
        ("long", json!("x".repeat(5_000)).to_string()),
        ("longer than the body limit", json!("x".repeat(support::JSON_LIMIT_BYTES + 1)).to_string()),
        ("control characters", json!("\u{1}\u{1b}[31m\u{7f}").to_string()),
        ("whitespace only", json!("\u{b}\u{85}\u{3000}").to_string()),
    ]
}

/// One request shape: method, path, and a JSON body template with one [`SLOT`], sent with a bearer token when
/// `authenticated`.
struct Shape {
    method: Method,
    path: String,
    template: String,
    authenticated: bool,
}

fn shape(method: Method, path: &str, template: Value, field: &str, authenticated: bool) -> Shape {
    let mut template = template;
    template[field] = json!("@@VALUE@@");
    Shape { method, path: path.to_owned(), template: template.to_string(), authenticated }
}

/// The status codes the OpenAPI document lists for `method path` (path as in the document, e.g. `/tasks/{id}`).
fn documented(document: &Value, method: &Method, path: &str) -> Vec<u16> {
    let operation = &document["paths"][path][method.as_str().to_lowercase()];
    let responses = operation["responses"].as_object().unwrap_or_else(|| panic!("{method} {path} is documented"));
    responses.keys().map(|status| status.parse().expect("a numeric status")).collect()
}

async fn every_text_field_gets_a_documented_answer_never_a_5xx(app: &TestApp) {
    let document: Value = app.get("/openapi.json", None).await.into_json().await.expect("the document");
    app.signup("fields@example.com").await;
    let owner = app.login("fields@example.com").await;
    let token = owner["access_token"].as_str().expect("a token").to_owned();
    let task = app.task(&token, json!({"title": "target"})).await;
    let task_path = format!("/tasks/{}", task["id"].as_str().expect("an id"));

    let password = json!({"email": "fields@example.com", "password": support::PASSWORD});
    let task_body = json!({"title": "t", "description": "d", "completed": false});
    let shapes: Vec<(Shape, &str)> = vec![
        (shape(Method::Post, "/auth/signup", password.clone(), "email", false), "/auth/signup"),
        (shape(Method::Post, "/auth/signup", json!({"email": "new@example.com"}), "password", false), "/auth/signup"),
        (shape(Method::Post, "/auth/login", password.clone(), "email", false), "/auth/login"),
        (shape(Method::Post, "/auth/login", json!({"email": "other@example.com"}), "password", false), "/auth/login"),
        (shape(Method::Post, "/auth/refresh", json!({}), "refresh_token", false), "/auth/refresh"),
        (shape(Method::Post, "/auth/email/verify", json!({}), "token", false), "/auth/email/verify"),
        (shape(Method::Post, "/auth/password/forgot", json!({}), "email", false), "/auth/password/forgot"),
        (
            shape(Method::Post, "/auth/password/reset", json!({"new_password": "long enough"}), "token", false),
            "/auth/password/reset",
        ),
        (
            shape(Method::Post, "/auth/password/reset", json!({"token": "A".repeat(43)}), "new_password", false),
            "/auth/password/reset",
        ),
        (
            shape(Method::Put, "/auth/password", json!({"new_password": "long enough"}), "current_password", true),
            "/auth/password",
        ),
        (shape(Method::Delete, "/auth/me", json!({}), "password", true), "/auth/me"),
        (shape(Method::Post, "/tasks", task_body.clone(), "title", true), "/tasks"),
        (shape(Method::Post, "/tasks", task_body.clone(), "description", true), "/tasks"),
        (shape(Method::Put, &task_path, task_body.clone(), "title", true), "/tasks/{id}"),
        (shape(Method::Put, &task_path, task_body.clone(), "description", true), "/tasks/{id}"),
        (shape(Method::Patch, &task_path, json!({}), "title", true), "/tasks/{id}"),
        (shape(Method::Patch, &task_path, json!({}), "description", true), "/tasks/{id}"),
    ];

    // A stored header first: the failed logins below exhaust this client's budget.
    let hostile_agent = format!("agent\u{0}{}\u{1b}", "😀".repeat(500));
    let login = app
        .client
        .post("/auth/login")
        .header(ContentType::JSON)
        .header(Header::new("User-Agent", hostile_agent))
        .body(password.to_string())
        .dispatch()
        .await;
    assert_eq!(
        login.status().code,
        200,
        "a login with any User-Agent works (it is cleaned before it is stored); before the failures below"
    );
    let sessions: Value =
        app.get("/auth/sessions", Some(&token)).await.into_json().await.expect("the sessions as JSON");
    assert!(sessions.as_array().is_some_and(|sessions| sessions.len() >= 2), "{sessions}");

    let mut tried = 0;
    for (shape, documented_path) in &shapes {
        let allowed = documented(&document, &shape.method, documented_path);
        for (label, value) in hostile_values() {
            let body = shape.template.replace(SLOT, &value);
            let mut request = app.client.req(shape.method, shape.path.clone()).header(ContentType::JSON).body(body);
            if shape.authenticated {
                request = request.header(Header::new("Authorization", format!("Bearer {token}")));
            }
            let response = request.dispatch().await;
            let status = response.status();
            let context = format!("{} {} with {label} in {}", shape.method, shape.path, shape.template);
            assert!(status.code < 500, "{context}: {status}");
            assert!(allowed.contains(&status.code), "{context}: {status} is not documented ({allowed:?})");
            if status.code >= 400 {
                problem(response, status).await;
            }
            tried += 1;
        }
    }

    // Text in the query and the path: the same rules.
    let query_and_path = [
        (format!("/tasks?cursor={}", "%F0%9F%98%80".repeat(100)), "/tasks"),
        ("/tasks?cursor=%00".to_owned(), "/tasks"),
        ("/tasks?completed=%ED%A0%80".to_owned(), "/tasks"),
        (format!("/tasks/{}", "%F0%9F%A6%80".repeat(40)), "/tasks/{id}"),
        ("/tasks/%00".to_owned(), "/tasks/{id}"),
        ("/auth/sessions/%00".to_owned(), "/auth/sessions/{id}"),
    ];
    for (path, documented_path) in query_and_path {
        let method = if documented_path == "/auth/sessions/{id}" { Method::Delete } else { Method::Get };
        let allowed = documented(&document, &method, documented_path);
        let request = app.client.req(method, path.clone());
        let response = request.header(Header::new("Authorization", format!("Bearer {token}"))).dispatch().await;
        let status = response.status();
        assert!(status.code < 500 && allowed.contains(&status.code), "{method} {path}: {status} ({allowed:?})");
    }
    assert!(tried >= 150, "{tried} requests");
}
