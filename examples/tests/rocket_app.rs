//! Drives the Rocket example: the app's own route, and the todo API under `/api/v1`.

use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use serde_json::{json, Value};
use todo_testing::ScratchSqlite;

/// The example app on a fresh SQLite file, removed when the returned file is dropped.
async fn client() -> (Client, ScratchSqlite) {
    let file = ScratchSqlite::new("todo-examples-rocket");
    let config = todo_core::Config::new("rocket example test secret, 32+ bytes")
        .and_then(|config| config.with_bcrypt_cost(4))
        .expect("valid config")
        .with_database_url(file.url());
    let base = rocket::custom(rocket::Config::figment().merge(("log_level", "off")));
    let client = Client::tracked(todo_examples::rocket_app::rocket(base, config)).await.expect("ignites");
    (client, file)
}

#[rocket::async_test]
async fn the_app_keeps_its_own_routes_and_serves_the_api_under_api_v1() {
    let (client, file) = client().await;
    let home = client.get("/").dispatch().await;
    assert_eq!(home.status(), Status::Ok);
    assert!(home.into_string().await.expect("text").contains("/api/v1"));

    let credentials = json!({"email": "ann@example.com", "password": "correct horse battery"}).to_string();
    let signup = client.post("/api/v1/auth/signup").header(ContentType::JSON).body(&credentials).dispatch().await;
    assert_eq!(signup.status(), Status::Created);
    assert_eq!(signup.headers().get_one("Location"), Some("/api/v1/auth/me"));
    drop(signup);
    let login = client.post("/api/v1/auth/login").header(ContentType::JSON).body(&credentials).dispatch().await;
    let token: Value = login.into_json().await.expect("token");
    let bearer = Header::new("Authorization", format!("Bearer {}", token["access_token"].as_str().expect("token")));
    let me = client.get("/api/v1/auth/me").header(bearer).dispatch().await;
    assert_eq!(me.status(), Status::Ok);
    drop(me);

    let unauthorized = client.get("/api/v1/tasks").dispatch().await;
    assert_eq!(unauthorized.status(), Status::Unauthorized);
    assert_eq!(unauthorized.content_type().map(|ct| ct.to_string()).as_deref(), Some("application/problem+json"));
    drop(unauthorized);
    assert_eq!(client.get("/api/v1/swagger-ui/").dispatch().await.status(), Status::Ok);
    // The app's own 404s stay the app's (Rocket's default), the API's are problem documents.
    assert_eq!(client.get("/nothing").dispatch().await.status(), Status::NotFound);

    client.terminate().await;
    drop(file);
}
