//! Sessions over HTTP: token responses, refresh (JSON and the OAuth2 form), the list of sessions, revoking one,
//! and the scopes of `POST /auth/logout`.

mod support;

use rocket::http::{ContentType, Header, Status};
use serde_json::{json, Value};

use support::{problem, session_of, TestApp, PASSWORD};

http_tests!(
    every_token_response_carries_a_refresh_token_and_no_store,
    refresh_rotates_and_a_spent_token_within_the_interval_still_works,
    refresh_with_an_unknown_token_is_401_problem_json,
    the_oauth2_form_refreshes_with_grant_type_refresh_token,
    the_oauth2_form_names_what_is_missing_or_wrong,
    sessions_are_listed_newest_first_with_user_agent_and_current,
    deleting_a_session_logs_that_device_out_and_leaves_the_others,
    deleting_a_session_that_is_not_the_callers_is_404,
    logout_local_ends_only_the_callers_session,
    logout_others_keeps_only_the_callers_session,
    logout_without_scope_or_with_global_ends_every_session,
    logout_with_a_bad_or_repeated_scope_is_422_and_ends_nothing,
);

/// Logs `email` in with this `User-Agent` and returns the token response.
async fn login_as(app: &TestApp, email: &str, user_agent: &str) -> Value {
    let response = app
        .client
        .post("/auth/login")
        .header(ContentType::JSON)
        .header(Header::new("User-Agent", user_agent.to_owned()))
        .body(json!({"email": email, "password": PASSWORD}).to_string())
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);
    response.into_json().await.expect("token JSON")
}

fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().expect("access_token")
}

fn refresh_token(tokens: &Value) -> &str {
    tokens["refresh_token"].as_str().expect("refresh_token")
}

async fn refresh<'a>(app: &'a TestApp, token: &str) -> rocket::local::asynchronous::LocalResponse<'a> {
    app.post("/auth/refresh", json!({"refresh_token": token}), None).await
}

/// Whether the access token still works on a task route (one statement) and on `/auth/me` (the guard).
async fn works(app: &TestApp, tokens: &Value) -> bool {
    let tasks = app.get("/tasks", Some(access(tokens))).await.status();
    let me = app.get("/auth/me", Some(access(tokens))).await.status();
    assert_eq!(tasks, me, "task routes and account routes agree");
    assert!(tasks == Status::Ok || tasks == Status::Unauthorized, "{tasks}");
    tasks == Status::Ok
}

async fn every_token_response_carries_a_refresh_token_and_no_store(app: &TestApp) {
    app.signup("ann@example.com").await;
    let login = app.post("/auth/login", json!({"email": "ann@example.com", "password": PASSWORD}), None).await;
    assert_eq!(login.headers().get_one("Cache-Control"), Some("no-store"));
    let tokens: Value = login.into_json().await.expect("JSON");
    assert_eq!(tokens["token_type"], "bearer");
    let refresh_token = refresh_token(&tokens);
    assert!(
        refresh_token.len() >= 43 && refresh_token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    );

    let refreshed = refresh(app, refresh_token).await;
    assert_eq!(refreshed.status(), Status::Ok);
    assert_eq!(refreshed.headers().get_one("Cache-Control"), Some("no-store"));
    let refreshed: Value = refreshed.into_json().await.expect("JSON");
    assert!(refreshed["refresh_token"].is_string());

    let body = json!({"current_password": PASSWORD, "new_password": "a longer passphrase"});
    let changed = app.put("/auth/password", body, Some(access(&refreshed))).await;
    assert_eq!(changed.headers().get_one("Cache-Control"), Some("no-store"));
    let changed: Value = changed.into_json().await.expect("JSON");
    assert!(changed["refresh_token"].is_string() && changed["access_token"].is_string());
    let listed = app.get("/auth/sessions", Some(access(&changed))).await;
    assert_eq!(listed.headers().get_one("Cache-Control"), Some("no-store"));
}

async fn refresh_rotates_and_a_spent_token_within_the_interval_still_works(app: &TestApp) {
    app.signup("bob@example.com").await;
    let first = app.login("bob@example.com").await;
    let second: Value = refresh(app, refresh_token(&first)).await.into_json().await.expect("JSON");
    assert_ne!(refresh_token(&second), refresh_token(&first), "rotated");
    assert_eq!(session_of(access(&second)), session_of(access(&first)), "same session");
    assert!(works(app, &second).await);
    // A second tab with the same, just-spent token (the default grace is 10 seconds).
    let other_tab = refresh(app, refresh_token(&first)).await;
    assert_eq!(other_tab.status(), Status::Ok);
    let other_tab: Value = other_tab.into_json().await.expect("JSON");
    assert_eq!(session_of(access(&other_tab)), session_of(access(&first)));
}

async fn refresh_with_an_unknown_token_is_401_problem_json(app: &TestApp) {
    for token in ["", "nope", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        let response = refresh(app, token).await;
        assert_eq!(response.headers().get_one("WWW-Authenticate"), Some("Bearer"));
        let body = problem(response, Status::Unauthorized).await;
        assert_eq!(body["detail"], "the refresh token is invalid, expired or revoked; log in again");
    }
    let body = problem(app.post("/auth/refresh", json!({"token": "x"}), None).await, Status::UnprocessableEntity).await;
    assert_eq!(body["errors"][0]["field"], "refresh_token");
}

/// `POST /auth/login` with a form body.
async fn form_login<'a>(app: &'a TestApp, form: &str) -> rocket::local::asynchronous::LocalResponse<'a> {
    app.client.post("/auth/login").header(ContentType::Form).body(form).dispatch().await
}

async fn the_oauth2_form_refreshes_with_grant_type_refresh_token(app: &TestApp) {
    app.signup("cid@example.com").await;
    let login = form_login(app, &format!("grant_type=password&username=cid%40example.com&password={PASSWORD}")).await;
    assert_eq!(login.status(), Status::Ok);
    let login: Value = login.into_json().await.expect("JSON");
    let refreshed = form_login(app, &format!("grant_type=refresh_token&refresh_token={}", refresh_token(&login))).await;
    assert_eq!(refreshed.status(), Status::Ok);
    assert_eq!(refreshed.headers().get_one("Cache-Control"), Some("no-store"));
    let refreshed: Value = refreshed.into_json().await.expect("JSON");
    assert_eq!(session_of(access(&refreshed)), session_of(access(&login)));
    let unknown = form_login(app, "grant_type=refresh_token&refresh_token=unknown").await;
    problem(unknown, Status::Unauthorized).await;
}

async fn the_oauth2_form_names_what_is_missing_or_wrong(app: &TestApp) {
    let cases = [
        ("grant_type=refresh_token", vec!["refresh_token"]),
        ("grant_type=password&username=a%40b.c", vec!["password"]),
        ("password=x", vec!["username"]),
        ("grant_type=client_credentials&username=a&password=b", vec!["grant_type"]),
    ];
    for (form, fields) in cases {
        let body = problem(form_login(app, form).await, Status::UnprocessableEntity).await;
        let named: Vec<&str> =
            body["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
        assert_eq!(named, fields, "{form}");
    }
}

async fn sessions_are_listed_newest_first_with_user_agent_and_current(app: &TestApp) {
    app.signup("dee@example.com").await;
    let phone = login_as(app, "dee@example.com", "Phone/1.0").await;
    let laptop = login_as(app, "dee@example.com", "Laptop/2.0").await;
    let response = app.get("/auth/sessions", Some(access(&phone))).await;
    assert_eq!(response.status(), Status::Ok);
    let sessions: Vec<Value> = response.into_json().await.expect("JSON");
    let ids: Vec<&str> = sessions.iter().map(|s| s["id"].as_str().expect("id")).collect();
    assert_eq!(ids, [session_of(access(&laptop)), session_of(access(&phone))]);
    assert_eq!(sessions[0]["user_agent"], "Laptop/2.0");
    assert_eq!((sessions[0]["current"].as_bool(), sessions[1]["current"].as_bool()), (Some(false), Some(true)));
    for session in &sessions {
        for field in ["created_at", "last_used_at", "expires_at"] {
            let text = session[field].as_str().expect(field);
            assert!(
                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_ok(),
                "{text}"
            );
        }
    }
    problem(app.get("/auth/sessions", None).await, Status::Unauthorized).await;
}

async fn deleting_a_session_logs_that_device_out_and_leaves_the_others(app: &TestApp) {
    app.signup("eve@example.com").await;
    let [me, doomed, kept] =
        [app.login("eve@example.com").await, app.login("eve@example.com").await, app.login("eve@example.com").await];
    let path = format!("/auth/sessions/{}", session_of(access(&doomed)));
    assert_eq!(app.delete(&path, Some(access(&me))).await.status(), Status::NoContent);
    assert!(!works(app, &doomed).await);
    problem(refresh(app, refresh_token(&doomed)).await, Status::Unauthorized).await;
    assert!(works(app, &me).await);
    assert!(works(app, &kept).await);
    assert_eq!(refresh(app, refresh_token(&kept)).await.status(), Status::Ok);
    problem(app.delete(&path, Some(access(&me))).await, Status::NotFound).await;
}

async fn deleting_a_session_that_is_not_the_callers_is_404(app: &TestApp) {
    let mine = app.token("fay@example.com").await;
    let theirs = app.token("gus@example.com").await;
    for id in [session_of(&theirs), uuid::Uuid::now_v7().to_string(), "not-a-uuid".to_owned()] {
        problem(app.delete(&format!("/auth/sessions/{id}"), Some(&mine)).await, Status::NotFound).await;
    }
    assert_eq!(app.get("/tasks", Some(&theirs)).await.status(), Status::Ok);
    problem(app.delete(&format!("/auth/sessions/{}", session_of(&theirs)), None).await, Status::Unauthorized).await;
}

/// Three sessions of one new user.
async fn three_sessions(app: &TestApp, email: &str) -> [Value; 3] {
    app.signup(email).await;
    [app.login(email).await, app.login(email).await, app.login(email).await]
}

async fn logout_local_ends_only_the_callers_session(app: &TestApp) {
    let [me, other, third] = three_sessions(app, "hal@example.com").await;
    assert_eq!(app.post_empty("/auth/logout?scope=local", Some(access(&me))).await.status(), Status::NoContent);
    assert!(!works(app, &me).await);
    problem(refresh(app, refresh_token(&me)).await, Status::Unauthorized).await;
    assert!(works(app, &other).await);
    assert!(works(app, &third).await);
}

async fn logout_others_keeps_only_the_callers_session(app: &TestApp) {
    let [me, other, third] = three_sessions(app, "ida@example.com").await;
    assert_eq!(app.post_empty("/auth/logout?scope=others", Some(access(&me))).await.status(), Status::NoContent);
    assert!(works(app, &me).await);
    assert!(!works(app, &other).await);
    assert!(!works(app, &third).await);
    problem(refresh(app, refresh_token(&other)).await, Status::Unauthorized).await;
    assert_eq!(refresh(app, refresh_token(&me)).await.status(), Status::Ok);
}

async fn logout_without_scope_or_with_global_ends_every_session(app: &TestApp) {
    for (email, path) in [("jon@example.com", "/auth/logout"), ("kim@example.com", "/auth/logout?scope=global")] {
        let sessions = three_sessions(app, email).await;
        assert_eq!(app.post_empty(path, Some(access(&sessions[0]))).await.status(), Status::NoContent);
        for session in &sessions {
            assert!(!works(app, session).await, "{path}");
            problem(refresh(app, refresh_token(session)).await, Status::Unauthorized).await;
        }
    }
}

async fn logout_with_a_bad_or_repeated_scope_is_422_and_ends_nothing(app: &TestApp) {
    let [me, other, _] = three_sessions(app, "lea@example.com").await;
    for query in ["scope=everything", "scope=", "scope=LOCAL", "scope=local&scope=global"] {
        let response = app.post_empty(&format!("/auth/logout?{query}"), Some(access(&me))).await;
        let body = problem(response, Status::UnprocessableEntity).await;
        assert_eq!(body["errors"][0]["field"], "scope", "{query}");
    }
    assert!(works(app, &me).await);
    assert!(works(app, &other).await);
}
