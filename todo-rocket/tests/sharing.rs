//! Sharing over HTTP: an owner invites by email, the mail's link lets the invited account (with that verified
//! email) and only it join, each role gets exactly its statuses (viewer 403 on writes, non-member 404), a removed
//! member's next request is 404, withdrawn and spent links are 422, and a list is handed over. On SQLite and
//! PostgreSQL. The full role table (every operation × every role) is pinned in `todo-core/tests/sharing.rs`.

mod support;

use rocket::http::Status;
use rocket::local::asynchronous::LocalResponse;
use serde_json::{json, Value};
use support::{json_of, link_token, problem, TestApp};

http_tests!(
    only_the_invited_verified_account_joins_and_then_works_on_the_list,
    each_role_gets_its_statuses_and_a_removed_member_is_refused_at_once,
    withdrawn_and_spent_links_are_422_and_the_inbox_is_not_shared,
    the_owner_hands_the_list_over_and_then_may_leave,
);

/// The token of the latest link to `page` mailed to `email`, waiting (up to 10 s: mails go out after the answer)
/// until one is there.
async fn link_to(app: &TestApp, email: &str, page: &str) -> String {
    let link = format!("/{page}?token=");
    for _ in 0..1000 {
        let mails = app.outbox.mails();
        if let Some(mail) = mails.iter().rev().find(|mail| mail.to.as_str() == email && mail.text.contains(&link)) {
            return link_token(mail, page);
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no {page} mail to {email}");
}

/// Verifies `email` with the link of its verification mail.
async fn verify(app: &TestApp, email: &str) {
    let token = link_to(app, email, "verify-email").await;
    assert_eq!(app.post("/auth/email/verify", json!({ "token": token }), None).await.status(), Status::Ok);
}

/// Signs `email` up, verifies it, and logs in: the access token.
async fn verified(app: &TestApp, email: &str) -> String {
    app.signup(email).await;
    verify(app, email).await;
    app.login(email).await["access_token"].as_str().expect("token").to_owned()
}

/// `owner` invites `email` to `list` with `role`; the token of the invitation's link.
async fn invite(app: &TestApp, owner: &str, list: &str, email: &str, role: &str) -> (Value, String) {
    let response =
        app.post(&format!("/lists/{list}/invitations"), json!({"email": email, "role": role}), Some(owner)).await;
    let invitation = json_of(response, Status::Created).await;
    assert_eq!((invitation["email"].as_str(), invitation["role"].as_str()), (Some(email), Some(role)));
    (invitation, link_to(app, email, "invitations").await)
}

async fn accept<'c>(app: &'c TestApp, token: &str, invitation: &str) -> LocalResponse<'c> {
    app.post("/invitations/accept", json!({ "token": invitation }), Some(token)).await
}

/// Ann's list "Groceries" with one task: (its id, the task's path).
async fn groceries(app: &TestApp, ann: &str) -> (String, String) {
    let list = json_of(app.post("/lists", json!({"name": "Groceries"}), Some(ann)).await, Status::Created).await;
    let id = list["id"].as_str().expect("id").to_owned();
    let task = app.task(ann, json!({"title": "Milk", "list_id": id})).await;
    (id, format!("/tasks/{}", task["id"].as_str().expect("id")))
}

async fn only_the_invited_verified_account_joins_and_then_works_on_the_list(app: &TestApp) {
    let ann = app.token("ann@example.com").await;
    let (list, task) = groceries(app, &ann).await;
    let (_, link) = invite(app, &ann, &list, "bob@example.com", "editor").await;

    // A forwarded link does not let someone else in, and is not spent by trying.
    let carol = verified(app, "carol@example.com").await;
    problem(accept(app, &carol, &link).await, Status::Forbidden).await;
    // Nor does an account of that address that has not proved it receives its mail.
    let bob = app.token("bob@example.com").await;
    problem(accept(app, &bob, &link).await, Status::Forbidden).await;
    verify(app, "bob@example.com").await;

    let joined = json_of(accept(app, &bob, &link).await, Status::Ok).await;
    assert_eq!((joined["id"].as_str(), joined["role"].as_str()), (Some(list.as_str()), Some("editor")));
    assert_eq!(joined["member_count"], 2);
    let spent = problem(accept(app, &bob, &link).await, Status::UnprocessableEntity).await;
    assert_eq!(spent["errors"][0]["field"], "token");
    let pending = json_of(app.get(&format!("/lists/{list}/invitations"), Some(&ann)).await, Status::Ok).await;
    assert_eq!(pending, json!([]));

    // Bob sees the list and its task, and completes it; Ann sees it completed.
    let bobs_lists = json_of(app.get("/lists", Some(&bob)).await, Status::Ok).await;
    assert!(bobs_lists.as_array().expect("array").iter().any(|found| found["id"] == json!(list)));
    let page = json_of(app.get("/tasks", Some(&bob)).await, Status::Ok).await;
    assert_eq!(page["items"][0]["title"], "Milk", "every list Bob sees");
    assert_eq!(
        json_of(app.patch(&format!("{task}/complete"), None, Some(&bob)).await, Status::Ok).await["completed"],
        true
    );
    assert_eq!(json_of(app.get(&task, Some(&ann)).await, Status::Ok).await["completed"], true);
    let members = json_of(app.get(&format!("/lists/{list}/members"), Some(&bob)).await, Status::Ok).await;
    let roles: Vec<(&str, &str)> = members
        .as_array()
        .expect("array")
        .iter()
        .map(|member| (member["email"].as_str().expect("email"), member["role"].as_str().expect("role")))
        .collect();
    assert_eq!(roles, [("ann@example.com", "owner"), ("bob@example.com", "editor")]);
}

async fn each_role_gets_its_statuses_and_a_removed_member_is_refused_at_once(app: &TestApp) {
    let ann = app.token("ann@example.com").await;
    let (list, task) = groceries(app, &ann).await;
    let bob = verified(app, "bob@example.com").await;
    let (_, link) = invite(app, &ann, &list, "bob@example.com", "viewer").await;
    json_of(accept(app, &bob, &link).await, Status::Ok).await;
    let bob_id =
        json_of(app.get("/auth/me", Some(&bob)).await, Status::Ok).await["id"].as_str().expect("id").to_owned();

    // A viewer reads, and nothing else.
    assert_eq!(app.get(&task, Some(&bob)).await.status(), Status::Ok);
    assert_eq!(app.get(&format!("/tasks?list_id={list}"), Some(&bob)).await.status(), Status::Ok);
    for refused in [
        app.patch(&task, Some(json!({"title": "Oat milk"})), Some(&bob)).await,
        app.patch(&format!("{task}/complete"), None, Some(&bob)).await,
        app.delete(&task, Some(&bob)).await,
        app.post("/tasks", json!({"title": "Bread", "list_id": list}), Some(&bob)).await,
        app.patch(&format!("/lists/{list}"), Some(json!({"name": "Mine"})), Some(&bob)).await,
        app.delete(&format!("/lists/{list}"), Some(&bob)).await,
        app.post(
            &format!("/lists/{list}/invitations"),
            json!({"email": "eve@example.com", "role": "viewer"}),
            Some(&bob),
        )
        .await,
        app.get(&format!("/lists/{list}/invitations"), Some(&bob)).await,
    ] {
        let body = problem(refused, Status::Forbidden).await;
        assert!(body["detail"].as_str().is_some_and(|detail| detail.contains("role")), "{body}");
    }
    // An editor writes tasks, and still does not manage the list.
    let promote =
        app.patch(&format!("/lists/{list}/members/{bob_id}"), Some(json!({"role": "editor"})), Some(&ann)).await;
    assert_eq!(json_of(promote, Status::Ok).await["role"], "editor");
    assert_eq!(app.patch(&task, Some(json!({"title": "Oat milk"})), Some(&bob)).await.status(), Status::Ok);
    problem(app.delete(&format!("/lists/{list}"), Some(&bob)).await, Status::Forbidden).await;

    // Removed: the very next request no longer sees the list or its tasks.
    assert_eq!(app.delete(&format!("/lists/{list}/members/{bob_id}"), Some(&ann)).await.status(), Status::NoContent);
    problem(app.get(&task, Some(&bob)).await, Status::NotFound).await;
    problem(app.get(&format!("/lists/{list}"), Some(&bob)).await, Status::NotFound).await;
    problem(app.patch(&task, Some(json!({"title": "Mine"})), Some(&bob)).await, Status::NotFound).await;
    let lists = json_of(app.get("/lists", Some(&bob)).await, Status::Ok).await;
    assert_eq!(lists.as_array().map(Vec::len), Some(1), "only Bob's inbox");
    assert_eq!(json_of(app.get("/tasks", Some(&bob)).await, Status::Ok).await["items"], json!([]));
}

async fn withdrawn_and_spent_links_are_422_and_the_inbox_is_not_shared(app: &TestApp) {
    let ann = app.token("ann@example.com").await;
    let (list, _) = groceries(app, &ann).await;
    let bob = verified(app, "bob@example.com").await;
    let (invitation, link) = invite(app, &ann, &list, "bob@example.com", "editor").await;
    let pending = json_of(app.get(&format!("/lists/{list}/invitations"), Some(&ann)).await, Status::Ok).await;
    assert_eq!(pending, json!([invitation]));
    let withdraw = format!("/invitations/{}", invitation["id"].as_str().expect("id"));
    problem(app.delete(&withdraw, Some(&bob)).await, Status::NotFound).await;
    assert_eq!(app.delete(&withdraw, Some(&ann)).await.status(), Status::NoContent);
    problem(app.delete(&withdraw, Some(&ann)).await, Status::NotFound).await;
    let refused = problem(accept(app, &bob, &link).await, Status::UnprocessableEntity).await;
    assert_eq!(refused["errors"][0]["field"], "token");
    problem(accept(app, &bob, "not-a-token").await, Status::UnprocessableEntity).await;
    problem(app.post("/invitations/accept", json!({"token": link}), None).await, Status::Unauthorized).await;

    let inbox =
        json_of(app.get("/lists", Some(&ann)).await, Status::Ok).await[0]["id"].as_str().expect("id").to_owned();
    let shared = app
        .post(&format!("/lists/{inbox}/invitations"), json!({"email": "bob@example.com", "role": "viewer"}), Some(&ann))
        .await;
    problem(shared, Status::Conflict).await;
    let as_owner = app
        .post(&format!("/lists/{list}/invitations"), json!({"email": "bob@example.com", "role": "owner"}), Some(&ann))
        .await;
    assert_eq!(problem(as_owner, Status::UnprocessableEntity).await["errors"][0]["field"], "role");
    let bad_email =
        app.post(&format!("/lists/{list}/invitations"), json!({"email": "bob", "role": "viewer"}), Some(&ann)).await;
    assert_eq!(problem(bad_email, Status::UnprocessableEntity).await["errors"][0]["field"], "email");
    let stranger = app
        .post(&format!("/lists/{list}/invitations"), json!({"email": "eve@example.com", "role": "viewer"}), Some(&bob))
        .await;
    problem(stranger, Status::NotFound).await;
}

async fn the_owner_hands_the_list_over_and_then_may_leave(app: &TestApp) {
    let ann = app.token("ann@example.com").await;
    let (list, _) = groceries(app, &ann).await;
    let bob = verified(app, "bob@example.com").await;
    let (_, link) = invite(app, &ann, &list, "bob@example.com", "viewer").await;
    json_of(accept(app, &bob, &link).await, Status::Ok).await;
    let ids = |token: &str| {
        let token = token.to_owned();
        async move {
            json_of(app.get("/auth/me", Some(&token)).await, Status::Ok).await["id"].as_str().expect("id").to_owned()
        }
    };
    let (ann_id, bob_id) = (ids(&ann).await, ids(&bob).await);
    problem(app.delete(&format!("/lists/{list}/members/{ann_id}"), Some(&ann)).await, Status::Conflict).await;

    let handed =
        app.patch(&format!("/lists/{list}/members/{bob_id}"), Some(json!({"role": "owner"})), Some(&ann)).await;
    assert_eq!(json_of(handed, Status::Ok).await["role"], "owner");
    assert_eq!(json_of(app.get(&format!("/lists/{list}"), Some(&ann)).await, Status::Ok).await["role"], "editor");
    assert_eq!(json_of(app.get(&format!("/lists/{list}"), Some(&bob)).await, Status::Ok).await["role"], "owner");
    assert_eq!(app.delete(&format!("/lists/{list}/members/{ann_id}"), Some(&ann)).await.status(), Status::NoContent);
    problem(app.get(&format!("/lists/{list}"), Some(&ann)).await, Status::NotFound).await;
    let members = json_of(app.get(&format!("/lists/{list}/members"), Some(&bob)).await, Status::Ok).await;
    assert_eq!(members.as_array().map(Vec::len), Some(1));
}
