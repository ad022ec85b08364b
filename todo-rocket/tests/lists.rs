//! `/lists` and the new task fields over HTTP, as one account sees them: the inbox, making, renaming and deleting
//! lists (with their tasks), what the inbox and its owner may not do (409), another account's list (404),
//! `ETag`/`If-Match` on task writes (412 on a stale version), the filters and sorts of `GET /tasks` and their 422s,
//! and `Idempotency-Key` on `POST /lists`. On SQLite and PostgreSQL. What members with each role may do is pinned
//! in `sharing.rs`.

mod support;

use futures::future::join_all;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::LocalResponse;
use serde_json::{json, Value};
use support::{json_of, problem, TestApp};

http_tests!(
    every_account_starts_with_its_inbox_and_makes_more_lists,
    renaming_and_deleting_a_list_and_its_tasks,
    the_inbox_and_its_owner_are_refused_with_409,
    another_accounts_list_is_404_on_every_route,
    list_names_are_checked,
    tasks_carry_the_new_fields_and_an_etag,
    if_match_refuses_a_stale_write_with_412_and_changes_nothing,
    if_match_values_that_are_not_one_entity_tag_are_422,
    get_tasks_filters_sorts_and_pages,
    bad_filters_are_422_naming_each_parameter,
    post_lists_is_safe_to_retry_also_twenty_at_once,
);

async fn list(app: &TestApp, token: &str, name: &str) -> Value {
    json_of(app.post("/lists", json!({ "name": name }), Some(token)).await, Status::Created).await
}

async fn every_account_starts_with_its_inbox_and_makes_more_lists(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let lists = json_of(app.get("/lists", Some(&token)).await, Status::Ok).await;
    let inbox = &lists[0];
    assert_eq!((inbox["name"].as_str(), inbox["inbox"].as_bool()), (Some("Inbox"), Some(true)));
    assert_eq!((inbox["role"].as_str(), inbox["member_count"].as_i64()), (Some("owner"), Some(1)));

    let response = app.post("/lists", json!({"name": "  groceries "}), Some(&token)).await;
    assert_eq!(response.status(), Status::Created);
    let location = response.headers().get_one("Location").expect("Location").to_owned();
    let groceries: Value = response.into_json().await.expect("JSON");
    assert_eq!(location, format!("/lists/{}", groceries["id"].as_str().expect("id")));
    assert_eq!((groceries["name"].as_str(), groceries["inbox"].as_bool()), (Some("groceries"), Some(false)));
    list(app, &token, "Books").await;
    let names: Vec<Value> = json_of(app.get("/lists", Some(&token)).await, Status::Ok).await.as_array().expect("array")
        [..]
        .iter()
        .map(|list| list["name"].clone())
        .collect();
    assert_eq!(names, [json!("Inbox"), json!("Books"), json!("groceries")], "inbox first, then by name in any case");
    assert_eq!(json_of(app.get(&location, Some(&token)).await, Status::Ok).await, groceries);

    // A task without list_id lands in the inbox, with a list_id in that list.
    let in_inbox = app.task(&token, json!({"title": "Post"})).await;
    assert_eq!(in_inbox["list_id"], inbox["id"]);
    let milk = app.task(&token, json!({"title": "Milk", "list_id": groceries["id"]})).await;
    assert_eq!(milk["list_id"], groceries["id"]);
}

async fn renaming_and_deleting_a_list_and_its_tasks(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let groceries = list(app, &token, "Groceries").await;
    let path = format!("/lists/{}", groceries["id"].as_str().expect("id"));
    let renamed = json_of(app.patch(&path, Some(json!({"name": "Shopping"})), Some(&token)).await, Status::Ok).await;
    assert_eq!(renamed["name"], "Shopping");
    let milk = app.task(&token, json!({"title": "Milk", "list_id": groceries["id"]})).await;
    let kept = app.task(&token, json!({"title": "Kept"})).await;

    assert_eq!(app.delete(&path, Some(&token)).await.status(), Status::NoContent);
    problem(app.get(&path, Some(&token)).await, Status::NotFound).await;
    let milk_path = format!("/tasks/{}", milk["id"].as_str().expect("id"));
    problem(app.get(&milk_path, Some(&token)).await, Status::NotFound).await;
    let page = json_of(app.get("/tasks", Some(&token)).await, Status::Ok).await;
    assert_eq!(page["items"], json!([kept]), "the inbox's task stays");
}

async fn the_inbox_and_its_owner_are_refused_with_409(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let lists = json_of(app.get("/lists", Some(&token)).await, Status::Ok).await;
    let inbox = format!("/lists/{}", lists[0]["id"].as_str().expect("id"));
    let me = json_of(app.get("/auth/me", Some(&token)).await, Status::Ok).await["id"].as_str().expect("id").to_owned();
    problem(app.delete(&inbox, Some(&token)).await, Status::Conflict).await;

    let shared = list(app, &token, "Shared").await;
    let shared = format!("/lists/{}", shared["id"].as_str().expect("id"));
    for list in [&inbox, &shared] {
        let demote = app.patch(&format!("{list}/members/{me}"), Some(json!({"role": "editor"})), Some(&token)).await;
        problem(demote, Status::Conflict).await;
        problem(app.delete(&format!("{list}/members/{me}"), Some(&token)).await, Status::Conflict).await;
    }
    let members = json_of(app.get(&format!("{shared}/members"), Some(&token)).await, Status::Ok).await;
    assert_eq!(members.as_array().map(Vec::len), Some(1));
    assert_eq!((members[0]["user_id"].as_str(), members[0]["role"].as_str()), (Some(me.as_str()), Some("owner")));
    assert_eq!(members[0]["email"], "ann@example.com");
    // Someone who is not a member is not found.
    let nobody = "0192f49f-0a1b-7c2d-8e3f-9a0b1c2d3e4f";
    let role = app.patch(&format!("{shared}/members/{nobody}"), Some(json!({"role": "viewer"})), Some(&token)).await;
    problem(role, Status::NotFound).await;
    problem(app.delete(&format!("{shared}/members/{nobody}"), Some(&token)).await, Status::NotFound).await;
}

async fn another_accounts_list_is_404_on_every_route(app: &TestApp) {
    let ann = app.token("ann@example.com").await;
    let bob = app.token("bob@example.com").await;
    let anns = list(app, &ann, "Private").await;
    let id = anns["id"].as_str().expect("id");
    let path = format!("/lists/{id}");
    let task = app.task(&ann, json!({"title": "Secret", "list_id": id})).await;
    for response in [
        app.get(&path, Some(&bob)).await,
        app.patch(&path, Some(json!({"name": "Mine now"})), Some(&bob)).await,
        app.delete(&path, Some(&bob)).await,
        app.get(&format!("{path}/members"), Some(&bob)).await,
        app.delete(&format!("{path}/members/{id}"), Some(&bob)).await,
        app.get(&format!("/tasks?list_id={id}"), Some(&bob)).await,
        app.post("/tasks", json!({"title": "Planted", "list_id": id}), Some(&bob)).await,
        app.get(&format!("/tasks/{}", task["id"].as_str().expect("id")), Some(&bob)).await,
        app.get("/lists/not-a-uuid", Some(&bob)).await,
    ] {
        problem(response, Status::NotFound).await;
    }
    assert_eq!(json_of(app.get(&path, Some(&ann)).await, Status::Ok).await["name"], "Private", "unchanged");
    let page = json_of(app.get(&format!("/tasks?list_id={id}"), Some(&ann)).await, Status::Ok).await;
    assert_eq!(page["items"], json!([task]), "nothing planted");
}

async fn list_names_are_checked(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    for name in [json!(""), json!("   "), json!("é".repeat(101)), json!("a\u{0}b")] {
        let body =
            problem(app.post("/lists", json!({ "name": name }), Some(&token)).await, Status::UnprocessableEntity).await;
        assert_eq!(body["errors"][0]["field"], "name", "{name}");
    }
    assert_eq!(app.post("/lists", json!({"name": "é".repeat(100)}), Some(&token)).await.status(), Status::Created);
    problem(app.post("/lists", json!({"title": "no name"}), Some(&token)).await, Status::UnprocessableEntity).await;
    problem(app.post("/lists", json!({"name": "x"}), None).await, Status::Unauthorized).await;
}

async fn tasks_carry_the_new_fields_and_an_etag(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let me = json_of(app.get("/auth/me", Some(&token)).await, Status::Ok).await["id"].clone();
    let work = list(app, &token, "Work").await;
    let body = json!({"title": "Report", "list_id": work["id"], "due_at": "2026-03-01T10:00:00.123+02:00",
        "priority": 3, "assignee_id": me});
    let response = app.post("/tasks", body, Some(&token)).await;
    assert_eq!(response.status(), Status::Created);
    assert_eq!(response.headers().get_one("ETag"), Some("\"1\""));
    let task: Value = response.into_json().await.expect("JSON");
    assert_eq!(task["due_at"], "2026-03-01T08:00:00.123Z", "UTC, to the millisecond");
    assert_eq!((task["priority"].as_i64(), task["version"].as_i64()), (Some(3), Some(1)));
    assert_eq!((&task["assignee_id"], &task["created_by"], &task["list_id"]), (&me, &me, &work["id"]));

    let path = format!("/tasks/{}", task["id"].as_str().expect("id"));
    let read = app.get(&path, Some(&token)).await;
    assert_eq!(read.headers().get_one("ETag"), Some("\"1\""));
    // A patch clears the due date and unassigns with null; the version moves with each real change only.
    let patched = app.patch(&path, Some(json!({"due_at": null, "assignee_id": null})), Some(&token)).await;
    assert_eq!(patched.headers().get_one("ETag"), Some("\"2\""));
    let patched: Value = patched.into_json().await.expect("JSON");
    assert_eq!(
        (&patched["due_at"], &patched["assignee_id"], &patched["priority"]),
        (&json!(null), &json!(null), &json!(3))
    );
    let same = app.patch(&path, Some(json!({"priority": 3})), Some(&token)).await;
    assert_eq!(same.headers().get_one("ETag"), Some("\"2\""), "no change, no new version");
    // PUT keeps the list, and resets what it does not send.
    let put =
        json_of(app.put(&path, json!({"title": "Report", "completed": false}), Some(&token)).await, Status::Ok).await;
    assert_eq!((&put["list_id"], &put["priority"], &put["version"]), (&work["id"], &json!(0), &json!(3)));
    // Out-of-range priorities and strangers as assignees are 422, and nothing changes.
    let bad = app.patch(&path, Some(json!({"priority": 4})), Some(&token)).await;
    assert_eq!(problem(bad, Status::UnprocessableEntity).await["errors"][0]["field"], "priority");
    let bob = app.signup("bob@example.com").await;
    let stranger = app.patch(&path, Some(json!({"assignee_id": bob["id"]})), Some(&token)).await;
    assert_eq!(problem(stranger, Status::UnprocessableEntity).await["errors"][0]["field"], "assignee_id");
    assert_eq!(json_of(app.get(&path, Some(&token)).await, Status::Ok).await, put);
}

/// A write to `path` with an `If-Match` header.
async fn write_if<'c>(app: &'c TestApp, method: &str, path: &str, token: &str, tag: &str) -> LocalResponse<'c> {
    let request = match method {
        "PATCH" => app.client.patch(path.to_owned()).header(ContentType::JSON).body(json!({"priority": 2}).to_string()),
        "PUT" => app
            .client
            .put(path.to_owned())
            .header(ContentType::JSON)
            .body(json!({"title": "T", "completed": true}).to_string()),
        "COMPLETE" => app.client.patch(format!("{path}/complete")),
        _ => app.client.delete(path.to_owned()),
    };
    request
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .header(Header::new("If-Match", tag.to_owned()))
        .dispatch()
        .await
}

async fn if_match_refuses_a_stale_write_with_412_and_changes_nothing(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let task = app.task(&token, json!({"title": "Shared thought"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().expect("id"));
    // Someone else completes it: version 2.
    let toggled = write_if(app, "COMPLETE", &path, &token, "\"1\"").await;
    assert_eq!((toggled.status(), toggled.headers().get_one("ETag")), (Status::Ok, Some("\"2\"")));
    let current = json_of(app.get(&path, Some(&token)).await, Status::Ok).await;
    for method in ["PATCH", "PUT", "COMPLETE", "DELETE"] {
        for stale in ["\"1\"", "W/\"2\"", "\"not-a-version\""] {
            let body = problem(write_if(app, method, &path, &token, stale).await, Status::PreconditionFailed).await;
            assert!(body["detail"].as_str().is_some_and(|detail| detail.contains("changed")), "{method} {stale}");
        }
    }
    assert_eq!(json_of(app.get(&path, Some(&token)).await, Status::Ok).await, current, "nothing changed");
    // The current version, or `*`, writes.
    assert_eq!(write_if(app, "PATCH", &path, &token, "\"2\"").await.status(), Status::Ok);
    assert_eq!(write_if(app, "PATCH", &path, &token, "*").await.status(), Status::Ok);
    // A task one cannot see is 404 before any precondition.
    let bob = app.token("bob@example.com").await;
    problem(write_if(app, "DELETE", &path, &bob, "\"3\"").await, Status::NotFound).await;
    assert_eq!(write_if(app, "DELETE", &path, &token, "\"3\"").await.status(), Status::NoContent);
}

async fn if_match_values_that_are_not_one_entity_tag_are_422(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let task = app.task(&token, json!({"title": "T"})).await;
    let path = format!("/tasks/{}", task["id"].as_str().expect("id"));
    for bad in ["1", "\"1\", \"2\"", "\"1"] {
        let body = problem(write_if(app, "PATCH", &path, &token, bad).await, Status::UnprocessableEntity).await;
        assert_eq!(body["errors"][0]["field"], "If-Match", "{bad}");
    }
    assert_eq!(json_of(app.get(&path, Some(&token)).await, Status::Ok).await, task);
}

/// Every task of `GET /tasks?{query}`, following the cursors with pages of `limit`.
async fn walk(app: &TestApp, token: &str, query: &str, limit: u32) -> Vec<String> {
    let mut titles = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/tasks?limit={limit}&{query}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = json_of(app.get(&path, Some(token)).await, Status::Ok).await;
        titles.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|task| task["title"].as_str().expect("title").to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return titles,
        }
    }
}

async fn get_tasks_filters_sorts_and_pages(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let me = json_of(app.get("/auth/me", Some(&token)).await, Status::Ok).await["id"].clone();
    let work = list(app, &token, "Work").await;
    let work_id = work["id"].as_str().expect("id");
    // Created in this order; `due` sorts by day, then oldest first, undated last.
    let tasks = [
        ("Écrire le rapport", Some("2026-03-03T09:00:00Z"), true, None),
        ("buy 100% cotton", Some("2026-03-01T09:00:00Z"), false, Some(work_id)),
        ("Call Bob", None, false, Some(work_id)),
        ("écrire une lettre", Some("2026-03-01T09:00:00Z"), false, None),
        ("Plan_B", None, true, None),
    ];
    for (title, due_at, assigned, list_id) in tasks {
        let mut body = json!({"title": title, "due_at": due_at, "list_id": list_id});
        if assigned {
            body["assignee_id"] = me.clone();
        }
        app.task(&token, body).await;
    }
    let all = ["Plan_B", "écrire une lettre", "Call Bob", "buy 100% cotton", "Écrire le rapport"];
    assert_eq!(walk(app, &token, "", 2).await, all, "newest first, across lists");
    let due = ["buy 100% cotton", "écrire une lettre", "Écrire le rapport", "Call Bob", "Plan_B"];
    assert_eq!(walk(app, &token, "sort=due", 2).await, due);
    assert_eq!(walk(app, &token, "sort=due", 1).await, due, "every page boundary, dated and undated");
    assert_eq!(walk(app, &token, &format!("list_id={work_id}"), 1).await, ["Call Bob", "buy 100% cotton"]);
    assert_eq!(walk(app, &token, "q=%C3%89CRIRE", 10).await, ["écrire une lettre", "Écrire le rapport"]);
    assert_eq!(walk(app, &token, "q=100%25", 10).await, ["buy 100% cotton"], "% is itself");
    assert_eq!(walk(app, &token, "q=n_b", 10).await, ["Plan_B"]);
    assert!(walk(app, &token, "q=l_b", 10).await.is_empty(), "_ is itself, not any character (Call Bob)");
    assert_eq!(walk(app, &token, "assignee=me", 10).await, ["Plan_B", "Écrire le rapport"]);
    let by_id = format!("assignee={}", me.as_str().expect("id"));
    assert_eq!(walk(app, &token, &by_id, 10).await, ["Plan_B", "Écrire le rapport"]);
    let window = "due_after=2026-03-01T09:00:00Z&due_before=2026-03-03T09:00:00Z&sort=due";
    assert_eq!(walk(app, &token, window, 10).await, ["buy 100% cotton", "écrire une lettre"]);
    assert_eq!(
        walk(app, &token, "due_before=2026-03-02T00:00:00%2B02:00&completed=false", 10).await,
        ["écrire une lettre", "buy 100% cotton"]
    );
}

async fn bad_filters_are_422_naming_each_parameter(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let query = "list_id=nope&due_before=tomorrow&due_after=2026-13-01T00:00:00Z&assignee=you&sort=priority&limit=0";
    let body = problem(app.get(&format!("/tasks?{query}"), Some(&token)).await, Status::UnprocessableEntity).await;
    let fields: Vec<&str> =
        body["errors"].as_array().expect("errors").iter().filter_map(|error| error["field"].as_str()).collect();
    assert_eq!(fields, ["list_id", "due_before", "due_after", "assignee", "sort"]);
    for (query, field) in [("q=", "q"), ("limit=0", "limit"), ("sort=due&cursor=AAAAAAAAAAAAAAAAAAAAAA", "cursor")] {
        let body = problem(app.get(&format!("/tasks?{query}"), Some(&token)).await, Status::UnprocessableEntity).await;
        assert_eq!(body["errors"][0]["field"], field, "{query}");
    }
}

/// `POST /lists` with an `Idempotency-Key`.
async fn create_list<'c>(app: &'c TestApp, token: &str, name: &str, key: &str) -> LocalResponse<'c> {
    app.client
        .post("/lists")
        .header(ContentType::JSON)
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .header(Header::new("Idempotency-Key", key.to_owned()))
        .body(json!({ "name": name }).to_string())
        .dispatch()
        .await
}

async fn post_lists_is_safe_to_retry_also_twenty_at_once(app: &TestApp) {
    let token = app.token("ann@example.com").await;
    let first = json_of(create_list(app, &token, "Trip", "list-key-1").await, Status::Created).await;
    let retry = json_of(create_list(app, &token, "Trip", "list-key-1").await, Status::Created).await;
    assert_eq!(retry, first);
    let other = create_list(app, &token, "Other trip", "list-key-1").await;
    assert_eq!(problem(other, Status::UnprocessableEntity).await["errors"][0]["field"], "Idempotency-Key");
    // The key of a task create is not a list create's.
    let task = app
        .client
        .post("/tasks")
        .header(ContentType::JSON)
        .header(Header::new("Authorization", format!("Bearer {token}")))
        .header(Header::new("Idempotency-Key", "list-key-1"))
        .body(json!({"title": "Trip"}).to_string())
        .dispatch()
        .await;
    assert_eq!(task.status(), Status::Created);

    let answers = join_all((0..20).map(|_| create_list(app, &token, "Party", "list-key-2"))).await;
    let mut bodies = Vec::new();
    for answer in answers {
        bodies.push(json_of(answer, Status::Created).await);
    }
    assert!(bodies.iter().all(|body| body == &bodies[0]), "one list, answered twenty times");
    let lists = json_of(app.get("/lists", Some(&token)).await, Status::Ok).await;
    let names: Vec<&str> = lists.as_array().expect("array").iter().filter_map(|list| list["name"].as_str()).collect();
    assert_eq!(names, ["Inbox", "Party", "Trip"]);
}
