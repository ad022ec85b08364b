//! Two server processes on one PostgreSQL database: tokens, uniqueness, sessions and revocation hold across them.
#![cfg(feature = "postgres")]

mod server_process;

use std::thread;

use serde_json::json;

use server_process::{ServerProcess, TestDatabase, PASSWORD, SECRET};

postgres_process_tests!(
    two_instances_share_accounts_uniqueness_sessions_and_revocation,
    two_instances_share_one_password_budget,
);

/// The abuse limits off: this test is about correctness across instances (the next one, about the limits).
const NO_LIMITS: [(&str, &str); 4] = [
    ("RATE_LIMIT_SIGNUPS_PER_CLIENT", "0"),
    ("RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL_AND_CLIENT", "0"),
    ("RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL", "0"),
    ("RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT", "0"),
];

fn two_instances_share_accounts_uniqueness_sessions_and_revocation(database: &TestDatabase) {
    let url = database.url(None);
    let (a, b) = thread::scope(|scope| {
        // Both start (and run the migrations) at the same time.
        let a = scope.spawn(|| ServerProcess::start(&url, &NO_LIMITS));
        let b = scope.spawn(|| ServerProcess::start(&url, &NO_LIMITS));
        (a.join().expect("a starts"), b.join().expect("b starts"))
    });

    // A token minted by one instance works on the other.
    let token = a.token("ann@example.com");
    let (status, me) = b.get("/auth/me", Some(&token));
    assert_eq!((status, &me["email"]), (200, &json!("ann@example.com")));

    // 20 concurrent signups with one email, spread over both: exactly one wins.
    let statuses: Vec<u16> = thread::scope(|scope| {
        let attempts: Vec<_> = (0..20)
            .map(|i| {
                let server = if i % 2 == 0 { &a } else { &b };
                scope.spawn(move || {
                    server.post("/auth/signup", json!({"email": "race@example.com", "password": PASSWORD}), None).0
                })
            })
            .collect();
        attempts.into_iter().map(|attempt| attempt.join().expect("no panic")).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 19, "{statuses:?}");

    // A password change on one instance revokes the old token on the other.
    let (status, fresh) = a.put(
        "/auth/password",
        json!({"current_password": PASSWORD, "new_password": "a longer passphrase"}),
        Some(&token),
    );
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(b.get("/auth/me", Some(&token)).0, 401);
    assert_eq!(b.get("/auth/me", Some(fresh["access_token"].as_str().expect("token"))).0, 200);

    // Sessions: two devices log in on A; a refresh token from A is refreshed on B.
    let login = || a.post("/auth/login", json!({"email": "ann@example.com", "password": "a longer passphrase"}), None);
    let (phone, laptop) = (login().1, login().1);
    let (status, phone) = b.post("/auth/refresh", json!({"refresh_token": phone["refresh_token"]}), None);
    assert_eq!(status, 200, "{phone}");
    let phone_token = phone["access_token"].as_str().expect("token");
    let laptop_token = laptop["access_token"].as_str().expect("token");
    let (status, task) = b.post("/tasks", json!({"title": "on the phone"}), Some(phone_token));
    assert_eq!(status, 201, "{task}");
    let task_path = format!("/tasks/{}", task["id"].as_str().expect("id"));

    // The laptop logs the phone out on A: the phone's next task request on B is refused, its refresh token too.
    let (status, _) =
        a.call("DELETE", &format!("/auth/sessions/{}", session_of(phone_token)), None, Some(laptop_token));
    assert_eq!(status, 204);
    assert_eq!(b.get(&task_path, Some(phone_token)).0, 401);
    assert_eq!(b.get("/tasks", Some(phone_token)).0, 401);
    assert_eq!(b.post("/auth/refresh", json!({"refresh_token": phone["refresh_token"]}), None).0, 401);
    assert_eq!(b.get(&task_path, Some(laptop_token)).0, 200, "the other session is untouched");

    // A local logout on B ends the laptop's session for A as well.
    assert_eq!(b.call("POST", "/auth/logout?scope=local", None, Some(laptop_token)).0, 204);
    assert_eq!(a.get(&task_path, Some(laptop_token)).0, 401);
}

/// Failed password checks on either instance spend one budget: it lives in the database, not in either process.
fn two_instances_share_one_password_budget(database: &TestDatabase) {
    let url = database.url(None);
    let budget = [("RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL_AND_CLIENT", "6")];
    let (a, b) = thread::scope(|scope| {
        let a = scope.spawn(|| ServerProcess::start(&url, &budget));
        let b = scope.spawn(|| ServerProcess::start(&url, &budget));
        (a.join().expect("a starts"), b.join().expect("b starts"))
    });
    a.token("ann@example.com");
    let wrong = json!({"email": "ann@example.com", "password": "wrong password"});
    for server in [&a, &b] {
        for _ in 0..3 {
            assert_eq!(server.post("/auth/login", wrong.clone(), None).0, 401);
        }
    }
    for server in [&a, &b] {
        let (status, problem) = server.post("/auth/login", wrong.clone(), None);
        assert_eq!(status, 429, "{problem}");
    }
}

/// The `sid` claim of an access token the test servers minted.
fn session_of(access_token: &str) -> String {
    let keys = todo_core::TokenKeys::new(&todo_core::Config::new(SECRET).expect("valid secret"));
    keys.verify(access_token).expect("a token of the test servers").sid
}
