//! Property tests over everything a client controls: any bearer token, any bytes as a JSON body (of a task create,
//! a task patch with any `If-Match`, a list create), any query string for the list of tasks. Never a panic, never a 5xx: always the documented 4xx, as a problem document. On SQLite,
//! and on PostgreSQL when `TEST_POSTGRES_URL` is set (a fresh database per property).

use proptest::prelude::*;
use rocket::http::{ContentType, Header, Status};
use rocket::local::blocking::Client;
use serde_json::{json, Value};
use todo_core::AbuseLimits;
use todo_rocket::ServerOptions;

const SECRET: &str = "property test secret, at least 32 bytes";

/// One server for all cases of a property, on `database_url`, with a signed-up user's token.
fn server(database_url: &str) -> (Client, String) {
    let figment = rocket::Config::figment().merge(("databases.todo.url", database_url)).merge(("log_level", "off"));
    let no_limits = AbuseLimits::off();
    let config = todo_core::Config::new(SECRET)
        .and_then(|c| c.with_bcrypt_cost(4))
        .and_then(|c| c.with_abuse_limits(no_limits))
        .expect("valid config");
    let rocket = todo_rocket::mount_with(rocket::custom(figment), "/", config, &ServerOptions::default())
        .expect("valid options");
    let client = Client::tracked(rocket).expect("ignites");
    let credentials = json!({"email": "prop@example.com", "password": "correct horse battery"}).to_string();
    client.post("/auth/signup").header(ContentType::JSON).body(&credentials).dispatch();
    let login: Value =
        client.post("/auth/login").header(ContentType::JSON).body(&credentials).dispatch().into_json().expect("token");
    let token = login["access_token"].as_str().expect("token").to_owned();
    (client, token)
}

fn assert_problem(
    response: rocket::local::blocking::LocalResponse<'_>,
    allowed: &[Status],
) -> Result<(), TestCaseError> {
    let status = response.status();
    prop_assert!(allowed.contains(&status), "status {status}");
    if status.code >= 400 {
        let content_type = response.content_type().map(|ct| ct.to_string());
        prop_assert_eq!(content_type.as_deref(), Some("application/problem+json"));
        let body: Value = response.into_json().ok_or_else(|| TestCaseError::fail("problem body is JSON"))?;
        prop_assert_eq!(&body["status"], &json!(status.code));
    }
    Ok(())
}

/// Arbitrary JSON documents, so that bodies reach the shape and validation checks, not only the parser.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,300}".prop_map(Value::from),
        // The shapes of the new fields, so that they reach the library's rules: an id, an instant, a priority.
        Just(Value::from("0192f4a0-1a2b-7c3d-8e4f-a0b1c2d3e4f5")),
        Just(Value::from("2026-03-01T10:00:00.5+02:00")),
        (0u8..6).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::hash_map(
                prop_oneof![
                    Just("title".to_owned()),
                    Just("description".to_owned()),
                    Just("completed".to_owned()),
                    Just("name".to_owned()),
                    Just("list_id".to_owned()),
                    Just("due_at".to_owned()),
                    Just("priority".to_owned()),
                    Just("assignee_id".to_owned()),
                    "[a-z_]{1,10}"
                ],
                inner,
                0..5
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..600), json_value().prop_map(|v| v.to_string().into_bytes())]
}

/// The properties, as tests of one backend: `$server` is the thread-local server they run against (`None`: the
/// backend is not available, and each property passes without running; the attribute says it was skipped).
macro_rules! properties {
    ($backend:ident, $server:ident $(, #[$attr:meta])*) => {
        mod $backend {
            use super::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            $(#[$attr])*
            fn any_bearer_token_is_401(token in "\\PC{0,400}") {
                let Some((client, _)) = $server.with(|s| s.clone()) else { return Ok(()) };
                let client = client.lock().expect("client");
                let response = client.get("/auth/me").header(Header::new("Authorization", format!("Bearer {token}"))).dispatch();
                prop_assert!(response.headers().get_one("WWW-Authenticate").is_some_and(|v| v.starts_with("Bearer")));
                assert_problem(response, &[Status::Unauthorized])?;
            }

            #[test]
            $(#[$attr])*
            fn any_body_to_create_a_task_is_201_or_a_documented_4xx(body in body_bytes()) {
                let Some((client, token)) = $server.with(|s| s.clone()) else { return Ok(()) };
                let client = client.lock().expect("client");
                let response = client
                    .post("/tasks")
                    .header(ContentType::JSON)
                    .header(Header::new("Authorization", format!("Bearer {token}")))
                    .body(body)
                    .dispatch();
                // 404: a `list_id` that names no list of the caller's.
                assert_problem(response, &[
                    Status::Created, Status::BadRequest, Status::NotFound, Status::UnprocessableEntity,
                    Status::PayloadTooLarge,
                ])?;
            }

            #[test]
            $(#[$attr])*
            fn any_body_and_if_match_to_patch_a_task_is_200_or_a_documented_4xx(
                body in body_bytes(),
                if_match in prop_oneof![Just(None), Just(Some("\"1\"".to_owned())), Just(Some("*".to_owned())), "[\\x20-\\x7e]{0,20}".prop_map(Some)],
            ) {
                let Some((client, token)) = $server.with(|s| s.clone()) else { return Ok(()) };
                let client = client.lock().expect("client");
                let task: Value = client
                    .post("/tasks")
                    .header(ContentType::JSON)
                    .header(Header::new("Authorization", format!("Bearer {token}")))
                    .body(json!({"title": "patched"}).to_string())
                    .dispatch()
                    .into_json()
                    .expect("a task");
                let mut request = client
                    .patch(format!("/tasks/{}", task["id"].as_str().expect("id")))
                    .header(ContentType::JSON)
                    .header(Header::new("Authorization", format!("Bearer {token}")))
                    .body(body);
                if let Some(if_match) = if_match {
                    request = request.header(Header::new("If-Match", if_match));
                }
                // 404: a `list_id` that names no list of the caller's; 412: a version the task does not have.
                assert_problem(request.dispatch(), &[
                    Status::Ok, Status::BadRequest, Status::NotFound, Status::PreconditionFailed,
                    Status::PayloadTooLarge, Status::UnprocessableEntity,
                ])?;
            }

            #[test]
            $(#[$attr])*
            fn any_body_to_create_a_list_is_201_or_a_documented_4xx(body in body_bytes()) {
                let Some((client, token)) = $server.with(|s| s.clone()) else { return Ok(()) };
                let client = client.lock().expect("client");
                let response = client
                    .post("/lists")
                    .header(ContentType::JSON)
                    .header(Header::new("Authorization", format!("Bearer {token}")))
                    .body(body)
                    .dispatch();
                assert_problem(response, &[Status::Created, Status::BadRequest, Status::UnprocessableEntity, Status::PayloadTooLarge])?;
            }

            #[test]
            $(#[$attr])*
            fn any_body_to_signup_and_login_is_a_documented_answer(body in body_bytes()) {
                let Some((client, _)) = $server.with(|s| s.clone()) else { return Ok(()) };
                let client = client.lock().expect("client");
                for path in ["/auth/signup", "/auth/login"] {
                    let response = client.post(path).header(ContentType::JSON).body(body.clone()).dispatch();
                    assert_problem(response, &[
                        Status::Created, Status::Ok, Status::BadRequest, Status::Unauthorized, Status::Conflict,
                        Status::PayloadTooLarge, Status::UnprocessableEntity,
                    ])?;
                }
            }

            #[test]
            $(#[$attr])*
            fn any_query_parameters_for_the_list_are_200_404_or_422(params in query_params()) {
                let Some((client, token)) = $server.with(|s| s.clone()) else { return Ok(()) };
                let client = client.lock().expect("client");
                let query: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
                let response = client
                    .get(format!("/tasks?{}", query.join("&")))
                    .header(Header::new("Authorization", format!("Bearer {token}")))
                    .dispatch();
                // 404: a `list_id` that names no list of the caller's.
                assert_problem(response, &[Status::Ok, Status::NotFound, Status::UnprocessableEntity])?;
            }

            #[test]
            $(#[$attr])*
            fn any_raw_ascii_query_string_is_200_400_or_422(query in "[\\x21-\\x7e]{0,200}") {
                let Some((client, token)) = $server.with(|s| s.clone()) else { return Ok(()) };
                let client = client.lock().expect("client");
                let response = client
                    .get(format!("/tasks?{}", query.replace('#', "")))
                    .header(Header::new("Authorization", format!("Bearer {token}")))
                    .dispatch();
                assert_problem(response, &[Status::Ok, Status::BadRequest, Status::NotFound, Status::UnprocessableEntity])?;
            }
        }
        }
    };
}

#[cfg(feature = "sqlite")]
properties!(sqlite, SQLITE_SERVER);
#[cfg(feature = "postgres")]
properties!(
    postgres,
    POSTGRES_SERVER,
    #[cfg_attr(not(postgres_tests), ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests")]
);

/// Up to five parameters, mostly the real ones, with any text as values and often the shapes they take.
fn query_params() -> impl Strategy<Value = Vec<(String, String)>> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "limit",
            "cursor",
            "completed",
            "list_id",
            "due_before",
            "due_after",
            "assignee",
            "q",
            "sort",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,12}"
    ];
    let value = prop_oneof![
        "-?[0-9]{1,25}",
        prop::sample::select(vec![
            "true",
            "false",
            "me",
            "due",
            "created",
            "2026-03-01T10:00:00Z",
            "2026-03-01T10:00:00.123+02:00",
            "0192f4a0-1a2b-7c3d-8e4f-a0b1c2d3e4f5",
            "AAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,60}"
    ];
    prop::collection::vec((key, value), 0..5)
}

/// Percent-encodes every byte that is not unreserved (RFC 3986 §2.3), as a browser's URLSearchParams would.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A property's server and its user's token; `None` when its database is not available.
type SharedServer = Option<(std::sync::Arc<std::sync::Mutex<Client>>, String)>;

thread_local! {
    /// A fresh SQLite file per property, removed when the property's thread ends.
    #[cfg(feature = "sqlite")]
    static SQLITE_SERVER: SharedServer = {
        let file = todo_testing::ScratchSqlite::new("todo-rocket-props");
        let (client, token) = server(file.url());
        SQLITE_FILE.with(|slot| *slot.borrow_mut() = Some(file));
        Some((std::sync::Arc::new(std::sync::Mutex::new(client)), token))
    };
    #[cfg(feature = "sqlite")]
    static SQLITE_FILE: std::cell::RefCell<Option<todo_testing::ScratchSqlite>> = const { std::cell::RefCell::new(None) };
    /// A fresh PostgreSQL database per property, dropped when the property's thread ends; `None` without
    /// `TEST_POSTGRES_URL`.
    #[cfg(feature = "postgres")]
    static POSTGRES_SERVER: SharedServer = {
        let database = todo_testing::BlockingScratchPostgres::create("todo_rocket_props")?;
        let (client, token) = server(database.url());
        POSTGRES_DATABASE.with(|slot| *slot.borrow_mut() = Some(database));
        Some((std::sync::Arc::new(std::sync::Mutex::new(client)), token))
    };
    #[cfg(feature = "postgres")]
    static POSTGRES_DATABASE: std::cell::RefCell<Option<todo_testing::BlockingScratchPostgres>> =
        const { std::cell::RefCell::new(None) };
}
