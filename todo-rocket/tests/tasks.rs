//! `/tasks` over HTTP: every route, paging, and isolation between users.

mod support;

use std::collections::HashSet;

use rocket::http::Status;
use serde_json::{json, Value};

use support::{problem, TestApp};

http_tests!(
    create_answers_201_with_the_task_and_its_location,
    create_ignores_ids_and_owners_sent_in_the_body,
    get_returns_the_task,
    put_replaces_every_field,
    put_without_completed_is_422,
    nul_in_a_title_or_description_is_422_on_every_backend,
    titles_are_judged_as_the_openapi_document_says,
    patch_changes_only_the_fields_sent,
    patch_with_a_null_description_clears_it,
    complete_toggles_completion,
    delete_answers_204_and_the_task_is_gone,
    list_pages_newest_first_with_the_cursor,
    list_filters_by_completion,
    list_rejects_bad_query_parameters_with_422,
    an_id_that_is_not_a_uuid_is_404,
    another_users_task_is_404_on_every_route_and_stays_unchanged,
    every_task_route_needs_a_token,
);

async fn create_answers_201_with_the_task_and_its_location(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let response = app.post("/tasks", json!({"title": "  Buy milk ", "description": "two"}), Some(&token)).await;
    assert_eq!(response.status(), Status::Created);
    let location = response.headers().get_one("Location").expect("Location").to_owned();
    let task: Value = response.into_json().await.expect("JSON");
    assert_eq!(location, format!("/tasks/{}", task["id"].as_str().expect("id")));
    assert_eq!(task["title"], "Buy milk");
    assert_eq!(task["description"], "two");
    assert_eq!(task["completed"], false);
    assert_eq!(task["created_at"], task["updated_at"]);
    assert_eq!(app.get(&location, Some(&token)).await.status(), Status::Ok);
}

async fn create_ignores_ids_and_owners_sent_in_the_body(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let forged_id = "01900000-0000-7000-8000-000000000000";
    let task = app.task(&token, json!({"title": "Mine", "id": forged_id, "user_id": forged_id})).await;
    assert_ne!(task["id"], forged_id);
}

async fn get_returns_the_task(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let task = app.task(&token, json!({"title": "Read", "completed": true})).await;
    let response = app.get(&format!("/tasks/{}", task["id"].as_str().expect("id")), Some(&token)).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.into_json::<Value>().await.expect("JSON"), task);
}

async fn put_replaces_every_field(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let task = app.task(&token, json!({"title": "Old", "description": "old"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().expect("id"));
    let response = app.put(&path, json!({"title": "New", "completed": true}), Some(&token)).await;
    assert_eq!(response.status(), Status::Ok);
    let replaced: Value = response.into_json().await.expect("JSON");
    assert_eq!(
        (&replaced["title"], &replaced["description"], &replaced["completed"]),
        (&json!("New"), &Value::Null, &json!(true))
    );
    assert_eq!(replaced["created_at"], task["created_at"]);
}

async fn nul_in_a_title_or_description_is_422_on_every_backend(app: &TestApp) {
    let token = app.token("nul@example.com").await;
    let task = app.task(&token, json!({"title": "kept"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().expect("id"));
    let sent = [
        app.post("/tasks", json!({"title": "a", "description": "b\u{0}c"}), Some(&token)).await,
        app.post("/tasks", json!({"title": "a\u{0}"}), Some(&token)).await,
        app.put(&path, json!({"title": "\u{0}", "completed": true}), Some(&token)).await,
        app.patch(&path, Some(json!({"description": "\u{0}"})), Some(&token)).await,
    ];
    for response in sent {
        let body = problem(response, Status::UnprocessableEntity).await;
        assert_eq!(body["errors"][0]["message"], "must not contain U+0000 (the NUL character)", "{body}");
    }
    let page: Value = app.get("/tasks", Some(&token)).await.into_json().await.expect("JSON");
    assert_eq!(page["items"].as_array().expect("items").len(), 1, "nothing was stored");
}

/// The document says `maxLength: 200` (the title as sent) and a pattern asking for one character that is neither
/// U+0000 nor Unicode White_Space: the server must accept exactly those titles (schemathesis found both gaps).
async fn titles_are_judged_as_the_openapi_document_says(app: &TestApp) {
    let token = app.token("titles@example.com").await;
    for blank in ["\u{b}", "\u{85}", "\u{a0}\u{3000}", " \t\n\r\u{c}\u{2028}"] {
        let body =
            problem(app.post("/tasks", json!({"title": blank}), Some(&token)).await, Status::UnprocessableEntity).await;
        assert_eq!(body["errors"][0], json!({"field": "title", "message": "must not be empty"}), "{blank:?}");
    }
    let padded_past_200 = format!(" {} ", "x".repeat(199));
    let body =
        problem(app.post("/tasks", json!({"title": padded_past_200}), Some(&token)).await, Status::UnprocessableEntity)
            .await;
    assert_eq!(body["errors"][0]["message"], "must be at most 200 characters");
    // 200 characters as sent, padding included, is fine, and is stored trimmed; so is a title around U+FEFF,
    // which is not White_Space (the pattern agrees).
    let task = app.task(&token, json!({"title": format!(" {} ", "x".repeat(198))})).await;
    assert_eq!(task["title"].as_str().expect("title").len(), 198);
    let task = app.task(&token, json!({"title": "\u{feff}"})).await;
    assert_eq!(task["title"], "\u{feff}");
}

async fn put_without_completed_is_422(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let task = app.task(&token, json!({"title": "Old"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().expect("id"));
    let body = problem(app.put(&path, json!({"title": "New"}), Some(&token)).await, Status::UnprocessableEntity).await;
    assert_eq!(body["errors"], json!([{"field": "completed", "message": "is required"}]));
}

async fn patch_changes_only_the_fields_sent(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let task = app.task(&token, json!({"title": "Title", "description": "text"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().expect("id"));
    let response = app.patch(&path, Some(json!({"completed": true})), Some(&token)).await;
    assert_eq!(response.status(), Status::Ok);
    let patched: Value = response.into_json().await.expect("JSON");
    assert_eq!(
        (&patched["title"], &patched["description"], &patched["completed"]),
        (&json!("Title"), &json!("text"), &json!(true))
    );
    let response = app.patch(&path, Some(json!({"title": "x".repeat(201)})), Some(&token)).await;
    let body = problem(response, Status::UnprocessableEntity).await;
    assert_eq!(body["errors"], json!([{"field": "title", "message": "must be at most 200 characters"}]));
}

async fn patch_with_a_null_description_clears_it(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let task = app.task(&token, json!({"title": "Title", "description": "text"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().expect("id"));
    let patched: Value =
        app.patch(&path, Some(json!({"description": null})), Some(&token)).await.into_json().await.expect("JSON");
    assert_eq!(patched["description"], Value::Null);
    assert_eq!(patched["title"], "Title");
}

async fn complete_toggles_completion(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let task = app.task(&token, json!({"title": "Flip"})).await;
    let path = format!("/tasks/{}/complete", task["id"].as_str().expect("id"));
    for expected in [true, false] {
        let response = app.patch(&path, None, Some(&token)).await;
        assert_eq!(response.status(), Status::Ok);
        assert_eq!(response.into_json::<Value>().await.expect("JSON")["completed"], expected);
    }
}

async fn delete_answers_204_and_the_task_is_gone(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let task = app.task(&token, json!({"title": "Gone"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().expect("id"));
    let response = app.delete(&path, Some(&token)).await;
    assert_eq!(response.status(), Status::NoContent);
    problem(app.get(&path, Some(&token)).await, Status::NotFound).await;
    problem(app.delete(&path, Some(&token)).await, Status::NotFound).await;
}

async fn list_pages_newest_first_with_the_cursor(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(app.task(&token, json!({"title": format!("task {i}")})).await["id"].clone());
    }
    created.reverse();
    let mut seen = Vec::new();
    let mut path = "/tasks?limit=3".to_owned();
    loop {
        let response = app.get(&path, Some(&token)).await;
        assert_eq!(response.status(), Status::Ok);
        let page: Value = response.into_json().await.expect("JSON");
        seen.extend(page["items"].as_array().expect("items").iter().map(|task| task["id"].clone()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/tasks?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, created);
    assert_eq!(seen.iter().map(Value::to_string).collect::<HashSet<_>>().len(), 7);
}

async fn list_filters_by_completion(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let done = app.task(&token, json!({"title": "done", "completed": true})).await;
    let open = app.task(&token, json!({"title": "open"})).await;
    for (query, expected) in [("completed=true", &done), ("completed=false", &open)] {
        let page: Value = app.get(&format!("/tasks?{query}"), Some(&token)).await.into_json().await.expect("JSON");
        assert_eq!(page["items"], json!([expected]), "{query}");
        assert_eq!(page["next_cursor"], Value::Null);
    }
}

async fn list_rejects_bad_query_parameters_with_422(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    for (query, field) in [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("completed=maybe", "completed"),
        ("cursor=not-a-cursor", "cursor"),
        ("limit=null&limit=null", "limit"),
        ("limit=5&limit=6", "limit"),
    ] {
        let body = problem(app.get(&format!("/tasks?{query}"), Some(&token)).await, Status::UnprocessableEntity).await;
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
    for query in ["limit=1", "limit=100", "completed=true"] {
        assert_eq!(app.get(&format!("/tasks?{query}"), Some(&token)).await.status(), Status::Ok, "{query}");
    }
}

async fn an_id_that_is_not_a_uuid_is_404(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    problem(app.get("/tasks/42", Some(&token)).await, Status::NotFound).await;
    problem(app.patch("/tasks/not-a-uuid/complete", None, Some(&token)).await, Status::NotFound).await;
    problem(app.delete("/tasks/%00", Some(&token)).await, Status::NotFound).await;
}

async fn another_users_task_is_404_on_every_route_and_stays_unchanged(app: &TestApp) {
    let ann = app.token("ann@example.com").await;
    let eve = app.token("eve@example.com").await;
    let task = app.task(&ann, json!({"title": "Ann's", "description": "private"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().expect("id"));

    problem(app.get(&path, Some(&eve)).await, Status::NotFound).await;
    problem(app.put(&path, json!({"title": "pwned", "completed": true}), Some(&eve)).await, Status::NotFound).await;
    problem(app.patch(&path, Some(json!({"title": "pwned"})), Some(&eve)).await, Status::NotFound).await;
    problem(app.patch(&format!("{path}/complete"), None, Some(&eve)).await, Status::NotFound).await;
    problem(app.delete(&path, Some(&eve)).await, Status::NotFound).await;
    let eves_list: Value = app.get("/tasks", Some(&eve)).await.into_json().await.expect("JSON");
    assert_eq!(eves_list["items"], json!([]));

    let unchanged: Value = app.get(&path, Some(&ann)).await.into_json().await.expect("JSON");
    assert_eq!(unchanged, task);
}

async fn every_task_route_needs_a_token(app: &TestApp) {
    let id = "01900000-0000-7000-8000-000000000000";
    let responses = [
        app.get("/tasks", None).await,
        app.post("/tasks", json!({"title": "x"}), None).await,
        app.get(&format!("/tasks/{id}"), None).await,
        app.put(&format!("/tasks/{id}"), json!({"title": "x", "completed": true}), None).await,
        app.patch(&format!("/tasks/{id}"), Some(json!({})), None).await,
        app.patch(&format!("/tasks/{id}/complete"), None, None).await,
        app.delete(&format!("/tasks/{id}"), None).await,
    ];
    for response in responses {
        assert_eq!(response.headers().get_one("WWW-Authenticate"), Some("Bearer"));
        problem(response, Status::Unauthorized).await;
    }
}
