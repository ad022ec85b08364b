//! `POST /tasks` with `Idempotency-Key` over HTTP: a retry answers 201 with the first answer's body and `Location`
//! and creates nothing, twenty retries at once too; the same key with another body, a key that is not one, and the
//! header given twice are 422 naming `Idempotency-Key`. On SQLite and PostgreSQL.

mod support;

use futures::future::join_all;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::LocalResponse;
use serde_json::{json, Value};
use support::{problem, TestApp};

http_tests!(
    a_retry_answers_the_first_201_and_creates_nothing,
    twenty_retries_at_once_create_one_task,
    what_is_not_a_retry_is_refused,
);

/// `POST /tasks` with `body`, the bearer `token`, and each of `keys` as an `Idempotency-Key` header.
async fn create<'c>(app: &'c TestApp, token: &str, body: &Value, keys: &[&str]) -> LocalResponse<'c> {
    let mut request = app
        .client
        .post("/tasks")
        .header(ContentType::JSON)
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .body(body.to_string());
    for key in keys {
        request = request.header(Header::new("Idempotency-Key", (*key).to_owned()));
    }
    request.dispatch().await
}

async fn count(app: &TestApp, token: &str) -> usize {
    let page: Value = app.get("/tasks", Some(token)).await.into_json().await.expect("JSON");
    page["items"].as_array().expect("items").len()
}

async fn a_retry_answers_the_first_201_and_creates_nothing(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let body = json!({"title": "Buy milk", "description": "2 litres"});
    let first = create(app, &token, &body, &["3f1c2b9e-key"]).await;
    assert_eq!(first.status(), Status::Created);
    let location = first.headers().get_one("Location").map(str::to_owned);
    let first: Value = first.into_json().await.expect("JSON");
    let id = first["id"].as_str().expect("an id");
    let toggled = app.patch(&format!("/tasks/{id}/complete"), None, Some(&token)).await;
    assert_eq!(toggled.status(), Status::Ok);

    let retry = create(app, &token, &body, &["3f1c2b9e-key"]).await;
    assert_eq!(retry.status(), Status::Created);
    assert_eq!(retry.headers().get_one("Location").map(str::to_owned), location);
    assert_eq!(retry.into_json::<Value>().await.expect("JSON"), first, "the first answer, as it was");
    assert_eq!(count(app, &token).await, 1);
    // Without a key, a create is a create.
    assert_eq!(create(app, &token, &body, &[]).await.status(), Status::Created);
    assert_eq!(count(app, &token).await, 2);
}

async fn twenty_retries_at_once_create_one_task(app: &TestApp) {
    let token = app.token("bob@example.com").await;
    let body = json!({"title": "once"});
    let answers = join_all((0..20).map(|_| async {
        let response = create(app, &token, &body, &["twenty"]).await;
        (response.status(), response.into_json::<Value>().await)
    }))
    .await;
    assert!(answers.iter().all(|(status, _)| *status == Status::Created), "{answers:?}");
    assert!(answers.iter().all(|(_, body)| body == &answers[0].1), "one answer: {answers:?}");
    assert_eq!(count(app, &token).await, 1);
}

async fn what_is_not_a_retry_is_refused(app: &TestApp) {
    let token = app.token("cy@example.com").await;
    assert_eq!(create(app, &token, &json!({"title": "milk"}), &["k"]).await.status(), Status::Created);
    let cases: [(&Value, &[&str]); 3] = [
        (&json!({"title": "bread"}), &["k"]),
        (&json!({"title": "milk"}), &["tab\there"]),
        (&json!({"title": "milk"}), &["one", "two"]),
    ];
    for (body, keys) in cases {
        let refused = problem(create(app, &token, body, keys).await, Status::UnprocessableEntity).await;
        assert_eq!(refused["errors"][0]["field"], "Idempotency-Key", "{keys:?}: {refused}");
    }
    assert_eq!(count(app, &token).await, 1);
    // Spaces around a key are not part of it (HTTP trims them): this is a retry of `k`.
    let retry = create(app, &token, &json!({"title": "milk"}), &[" k "]).await;
    assert_eq!(retry.status(), Status::Created, "{:?}", retry.into_string().await);
    assert_eq!(count(app, &token).await, 1);
}
