//! Account lifecycle over HTTP: change password, log out everywhere, delete the account.

mod support;

use rocket::http::Status;
use serde_json::{json, Value};

use support::{problem, TestApp, PASSWORD};

http_tests!(
    changing_the_password_returns_a_fresh_token_and_revokes_the_old_ones,
    changing_the_password_with_a_wrong_current_password_is_403,
    a_new_password_that_breaks_the_rules_is_422,
    logging_out_everywhere_revokes_every_token,
    a_revoked_token_is_401_on_every_task_route_and_changes_nothing,
    deleting_the_account_removes_the_user_and_their_tasks,
    deleting_the_account_with_a_wrong_password_is_403,
);

async fn changing_the_password_returns_a_fresh_token_and_revokes_the_old_ones(app: &TestApp) {
    let old = app.token("ann@example.com").await;
    let body = json!({"current_password": PASSWORD, "new_password": "a longer passphrase"});
    let response = app.put("/auth/password", body, Some(&old)).await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.headers().get_one("Cache-Control"), Some("no-store"));
    let fresh: Value = response.into_json().await.expect("JSON");
    let fresh = fresh["access_token"].as_str().expect("token");

    let rejected = app.get("/auth/me", Some(&old)).await;
    assert_eq!(rejected.headers().get_one("WWW-Authenticate"), Some(r#"Bearer error="invalid_token""#));
    problem(rejected, Status::Unauthorized).await;
    assert_eq!(app.get("/auth/me", Some(fresh)).await.status(), Status::Ok);
    let login = app.post("/auth/login", json!({"email": "ann@example.com", "password": "a longer passphrase"}), None);
    assert_eq!(login.await.status(), Status::Ok);
}

async fn changing_the_password_with_a_wrong_current_password_is_403(app: &TestApp) {
    let token = app.token("bob@example.com").await;
    let body = json!({"current_password": "not my password", "new_password": "a longer passphrase"});
    let body = problem(app.put("/auth/password", body, Some(&token)).await, Status::Forbidden).await;
    assert_eq!(body["detail"], "the password is wrong");
    assert_eq!(app.get("/auth/me", Some(&token)).await.status(), Status::Ok, "the token still works");
}

async fn a_new_password_that_breaks_the_rules_is_422(app: &TestApp) {
    let token = app.token("cid@example.com").await;
    let body = json!({"current_password": PASSWORD, "new_password": "short"});
    let body = problem(app.put("/auth/password", body, Some(&token)).await, Status::UnprocessableEntity).await;
    assert_eq!(body["errors"], json!([{"field": "new_password", "message": "must be at least 8 characters"}]));
}

async fn logging_out_everywhere_revokes_every_token(app: &TestApp) {
    let first = app.token("dan@example.com").await;
    let second = app.login("dan@example.com").await["access_token"].as_str().expect("token").to_owned();
    assert_eq!(app.post_empty("/auth/logout", Some(&first)).await.status(), Status::NoContent);
    for token in [&first, &second] {
        problem(app.get("/tasks", Some(token)).await, Status::Unauthorized).await;
    }
}

async fn a_revoked_token_is_401_on_every_task_route_and_changes_nothing(app: &TestApp) {
    let old = app.token("eve@example.com").await;
    let task = app.task(&old, json!({"title": "keep me"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().expect("id"));
    assert_eq!(app.post_empty("/auth/logout", Some(&old)).await.status(), Status::NoContent);

    let responses = [
        app.get("/tasks", Some(&old)).await,
        app.post("/tasks", json!({"title": "new"}), Some(&old)).await,
        app.get(&path, Some(&old)).await,
        app.put(&path, json!({"title": "changed", "completed": true}), Some(&old)).await,
        app.patch(&path, Some(json!({"title": "changed"})), Some(&old)).await,
        app.patch(&format!("{path}/complete"), None, Some(&old)).await,
        app.delete(&path, Some(&old)).await,
    ];
    for response in responses {
        assert_eq!(response.headers().get_one("WWW-Authenticate"), Some(r#"Bearer error="invalid_token""#));
        problem(response, Status::Unauthorized).await;
    }
    let login = app.login("eve@example.com").await;
    let fresh = login["access_token"].as_str().expect("token");
    let page: Value = app.get("/tasks", Some(fresh)).await.into_json().await.expect("JSON");
    assert_eq!(page["items"], json!([task]), "nothing was created, changed or deleted");
}

async fn deleting_the_account_removes_the_user_and_their_tasks(app: &TestApp) {
    let token = app.token("eve@example.com").await;
    app.task(&token, json!({"title": "gone with the account"})).await;
    let response = app.delete_with_body("/auth/me", json!({"password": PASSWORD}), Some(&token)).await;
    assert_eq!(response.status(), Status::NoContent);
    problem(app.get("/auth/me", Some(&token)).await, Status::Unauthorized).await;
    problem(
        app.post("/auth/login", json!({"email": "eve@example.com", "password": PASSWORD}), None).await,
        Status::Unauthorized,
    )
    .await;
    let again = app.token("eve@example.com").await;
    let page: Value = app.get("/tasks", Some(&again)).await.into_json().await.expect("JSON");
    assert_eq!(page["items"], json!([]), "the old tasks went with the old account");
}

async fn deleting_the_account_with_a_wrong_password_is_403(app: &TestApp) {
    let token = app.token("fay@example.com").await;
    let response = app.delete_with_body("/auth/me", json!({"password": "not my password"}), Some(&token)).await;
    problem(response, Status::Forbidden).await;
    assert_eq!(app.get("/auth/me", Some(&token)).await.status(), Status::Ok);
}
