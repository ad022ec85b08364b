//! A test server per test: the whole API through Rocket's local client, on a fresh SQLite file, or on a fresh
//! PostgreSQL database when `TEST_POSTGRES_URL` is set.
//!
//! `http_tests!(a, b, ...)` turns each `async fn a(app: &TestApp)` into `sqlite::a` and `postgres::a`. A build
//! with one engine's feature alone (`--no-default-features --features sqlite`) gets only that engine's tests.

#![allow(dead_code)]

use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::{Build, Rocket};
use serde_json::{json, Value};
use todo_core::mail::{Mail, Outbox};
use todo_rocket::ServerOptions;
use todo_testing::ScratchDatabase;
#[cfg(feature = "postgres")]
use todo_testing::ScratchPostgres;
#[cfg(feature = "sqlite")]
use todo_testing::ScratchSqlite;

pub const SECRET: &str = "test secret: at least thirty-two bytes long";
pub const PASSWORD: &str = "correct horse battery";
/// The JSON body limit the test servers run with, so that 413 is cheap to provoke.
pub const JSON_LIMIT_BYTES: usize = 16 * 1024;

/// How a test file adds to the Rocket app before the API is mounted (e.g. to trust an IP header).
pub type Customize = fn(Rocket<Build>) -> Rocket<Build>;

/// A running test server and the database behind it.
pub struct TestApp {
    pub client: Client,
    /// Every mail the server sent (its mailer is this in-memory outbox).
    pub outbox: Outbox,
    database: ScratchDatabase,
}

#[cfg(feature = "sqlite")]
impl TestApp {
    /// The API at `/` on a fresh SQLite file.
    pub async fn sqlite() -> Self {
        Self::sqlite_at("/").await
    }

    /// The API at `base` on a fresh SQLite file.
    pub async fn sqlite_at(base: &str) -> Self {
        Self::sqlite_with(base, |rocket| rocket).await
    }

    /// The API at `base` on a fresh SQLite file, in a Rocket app that `customize` adds to.
    pub async fn sqlite_with(base: &str, customize: fn(Rocket<Build>) -> Rocket<Build>) -> Self {
        Self::sqlite_with_options(base, customize, &ServerOptions::default()).await
    }

    /// The API at `/` on a fresh SQLite file, with these server options (CORS).
    pub async fn sqlite_with_options(
        base: &str,
        customize: fn(Rocket<Build>) -> Rocket<Build>,
        options: &ServerOptions,
    ) -> Self {
        Self::sqlite_with_config(base, customize, options, |config| config).await
    }

    /// Like [`TestApp::sqlite_with_options`], with the library configuration changed by `tweak`.
    pub async fn sqlite_with_config(
        base: &str,
        customize: fn(Rocket<Build>) -> Rocket<Build>,
        options: &ServerOptions,
        tweak: Tweak,
    ) -> Self {
        let file = ScratchSqlite::new("todo-rocket-test");
        let outbox = Outbox::default();
        let client = client(file.url(), base, customize, options, config_with(&outbox, tweak)).await;
        Self { client, outbox, database: ScratchDatabase::Sqlite(file) }
    }
}

#[cfg(feature = "postgres")]
impl TestApp {
    /// The API at `/` on a fresh PostgreSQL database, or `None` (skipped) without `TEST_POSTGRES_URL`.
    pub async fn postgres() -> Option<Self> {
        Self::postgres_with_options(|rocket| rocket, &ServerOptions::default()).await
    }

    /// The API at `/` on a fresh PostgreSQL database, in a Rocket app that `customize` adds to, with these
    /// server options; `None` (skipped) without `TEST_POSTGRES_URL`.
    pub async fn postgres_with_options(
        customize: fn(Rocket<Build>) -> Rocket<Build>,
        options: &ServerOptions,
    ) -> Option<Self> {
        Self::postgres_with_config(customize, options, |config| config).await
    }

    /// Like [`TestApp::postgres_with_options`], with the library configuration changed by `tweak`.
    pub async fn postgres_with_config(
        customize: fn(Rocket<Build>) -> Rocket<Build>,
        options: &ServerOptions,
        tweak: Tweak,
    ) -> Option<Self> {
        let database = ScratchPostgres::create("todo_rocket_test").await?;
        let outbox = Outbox::default();
        let client = client(database.url(), "/", customize, options, config_with(&outbox, tweak)).await;
        Some(Self { client, outbox, database: ScratchDatabase::Postgres(database) })
    }
}

impl TestApp {
    /// Shuts the server down and removes its database.
    pub async fn remove(self) {
        self.client.terminate().await;
        self.database.remove().await;
    }

    /// `POST` a JSON body, with a bearer token when given.
    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> LocalResponse<'_> {
        self.send(self.client.post(path.to_owned()), Some(body), token).await
    }

    /// `PUT` a JSON body.
    pub async fn put(&self, path: &str, body: Value, token: Option<&str>) -> LocalResponse<'_> {
        self.send(self.client.put(path.to_owned()), Some(body), token).await
    }

    /// `PATCH` a JSON body (or none).
    pub async fn patch(&self, path: &str, body: Option<Value>, token: Option<&str>) -> LocalResponse<'_> {
        self.send(self.client.patch(path.to_owned()), body, token).await
    }

    /// `POST` without a body.
    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> LocalResponse<'_> {
        self.send(self.client.post(path.to_owned()), None, token).await
    }

    /// `DELETE` with a JSON body.
    pub async fn delete_with_body(&self, path: &str, body: Value, token: Option<&str>) -> LocalResponse<'_> {
        self.send(self.client.delete(path.to_owned()), Some(body), token).await
    }

    /// `GET`.
    pub async fn get(&self, path: &str, token: Option<&str>) -> LocalResponse<'_> {
        self.send(self.client.get(path.to_owned()), None, token).await
    }

    /// `DELETE`.
    pub async fn delete(&self, path: &str, token: Option<&str>) -> LocalResponse<'_> {
        self.send(self.client.delete(path.to_owned()), None, token).await
    }

    async fn send<'c>(
        &'c self,
        request: rocket::local::asynchronous::LocalRequest<'c>,
        body: Option<Value>,
        token: Option<&str>,
    ) -> LocalResponse<'c> {
        let mut request = request;
        if let Some(body) = body {
            request = request.header(ContentType::JSON).body(body.to_string());
        }
        if let Some(token) = token {
            request = request.header(Header::new("Authorization", format!("Bearer {token}")));
        }
        request.dispatch().await
    }

    /// Signs `email` up and returns the user.
    pub async fn signup(&self, email: &str) -> Value {
        let response = self.post("/auth/signup", json!({"email": email, "password": PASSWORD}), None).await;
        assert_eq!(response.status(), Status::Created);
        response.into_json().await.expect("user JSON")
    }

    /// Signs `email` up, logs in, and returns the access token.
    pub async fn token(&self, email: &str) -> String {
        self.signup(email).await;
        self.login(email).await["access_token"].as_str().expect("access_token").to_owned()
    }

    /// Logs `email` in (a new session) and returns the token response.
    pub async fn login(&self, email: &str) -> Value {
        let response = self.post("/auth/login", json!({"email": email, "password": PASSWORD}), None).await;
        assert_eq!(response.status(), Status::Ok);
        response.into_json().await.expect("token JSON")
    }

    /// Creates a task and returns it.
    pub async fn task(&self, token: &str, body: Value) -> Value {
        let response = self.post("/tasks", body, Some(token)).await;
        assert_eq!(response.status(), Status::Created);
        response.into_json().await.expect("task JSON")
    }
}

/// A change to the library configuration of a test server (e.g. `REQUIRE_VERIFIED_EMAIL`).
pub type Tweak = fn(todo_core::Config) -> todo_core::Config;

/// The test servers' library configuration: bcrypt cost 4, mails to `outbox`, links to `https://app.example`,
/// then `tweak`.
fn config_with(outbox: &Outbox, tweak: Tweak) -> todo_core::Config {
    let config = todo_core::Config::new(SECRET).expect("valid secret").with_bcrypt_cost(4).expect("valid cost");
    let config = config.with_mailer(std::sync::Arc::new(outbox.clone()));
    tweak(config.with_app_url(APP_URL).expect("valid URL"))
}

/// Where the test servers' mail links point.
pub const APP_URL: &str = "https://app.example";

/// A tracked local client of the whole API, mounted at `base`, on `database_url`.
async fn client(
    database_url: &str,
    base: &str,
    customize: fn(Rocket<Build>) -> Rocket<Build>,
    options: &ServerOptions,
    config: todo_core::Config,
) -> Client {
    let figment = rocket::Config::figment()
        .merge(("databases.todo.url", database_url))
        .merge(("limits.json", JSON_LIMIT_BYTES))
        .merge(("log_level", "off"));
    let rocket =
        todo_rocket::mount_with(customize(rocket::custom(figment)), base, config, options).expect("valid options");
    Client::tracked(rocket).await.expect("the server ignites")
}

/// The JSON body of a response, after checking its status.
pub async fn json_of(response: LocalResponse<'_>, status: Status) -> Value {
    assert_eq!(response.status(), status);
    response.into_json().await.expect("JSON")
}

/// The body of a problem response, after checking its status, content type, and that its `type` is
/// `about:blank`.
pub async fn problem(response: LocalResponse<'_>, status: Status) -> Value {
    problem_of_type(response, status, "about:blank").await
}

/// The body of a problem response, after checking its status, content type and `type`.
pub async fn problem_of_type(response: LocalResponse<'_>, status: Status, problem_type: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.content_type().map(|ct| ct.to_string()).as_deref(), Some("application/problem+json"));
    let body: Value = response.into_json().await.expect("problem JSON");
    assert_eq!(body["type"], problem_type, "{body}");
    assert_eq!(body["status"], status.code);
    assert!(body["title"].is_string());
    body
}

/// How a test server is built: what the test file adds to the Rocket app, the server options, and the change to
/// the library configuration. A setup function of a test file returns the parts it cares about, as
/// `(Customize, ServerOptions)` or `(ServerOptions, Tweak)`.
pub struct Setup {
    pub customize: Customize,
    pub options: ServerOptions,
    pub tweak: Tweak,
}

impl Default for Setup {
    fn default() -> Self {
        Self { customize: |rocket| rocket, options: ServerOptions::default(), tweak: |config| config }
    }
}

impl From<(Customize, ServerOptions)> for Setup {
    fn from((customize, options): (Customize, ServerOptions)) -> Self {
        Self { customize, options, ..Self::default() }
    }
}

impl From<(ServerOptions, Tweak)> for Setup {
    fn from((options, tweak): (ServerOptions, Tweak)) -> Self {
        Self { options, tweak, ..Self::default() }
    }
}

/// The setup of `http_tests!` servers when the test file names none.
pub fn default_setup() -> Setup {
    Setup::default()
}

impl TestApp {
    /// The API at `/` on a fresh SQLite file, built as `setup` says.
    #[cfg(feature = "sqlite")]
    pub async fn sqlite_setup(setup: Setup) -> Self {
        Self::sqlite_with_config("/", setup.customize, &setup.options, setup.tweak).await
    }

    /// The API at `/` on a fresh PostgreSQL database, built as `setup` says; `None` (skipped) without
    /// `TEST_POSTGRES_URL`.
    #[cfg(feature = "postgres")]
    pub async fn postgres_setup(setup: Setup) -> Option<Self> {
        Self::postgres_with_config(setup.customize, &setup.options, setup.tweak).await
    }
}

/// Runs each named `async fn(&TestApp)` as a test on SQLite and on PostgreSQL, as `sqlite::name` and
/// `postgres::name`.
///
/// - `http_tests!(a, b)`: on default servers.
/// - `http_tests!(setup = f; a, b)`: each server built as `f()` says (a function of the test file returning
///   anything that becomes a [`Setup`]).
/// - `http_tests!(a: f, b: g)`: each test on its own setup.
#[macro_export]
macro_rules! http_tests {
    (setup = $setup:ident; $($name:ident),* $(,)?) => {
        $crate::http_tests!($($name: $setup),*);
    };
    ($($name:ident),* $(,)?) => {
        use $crate::support::default_setup;
        $crate::http_tests!($($name: default_setup),*);
    };
    ($($name:ident: $setup:ident),* $(,)?) => {
        #[cfg(feature = "sqlite")]
        mod sqlite {
            $(
                #[rocket::async_test]
                async fn $name() {
                    let app = $crate::support::TestApp::sqlite_setup(super::$setup().into()).await;
                    super::$name(&app).await;
                    app.remove().await;
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[rocket::async_test]
                #[cfg_attr(not(postgres_tests), ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests")]
                async fn $name() {
                    let Some(app) = $crate::support::TestApp::postgres_setup(super::$setup().into()).await else { return };
                    super::$name(&app).await;
                    app.remove().await;
                }
            )*
        }
    };
}

impl TestApp {
    /// Waits (up to 10 s: mails go out after the answer) until the outbox holds at least `count` mails; returns
    /// them all.
    pub async fn mails(&self, count: usize) -> Vec<Mail> {
        for _ in 0..1000 {
            let mails = self.outbox.mails();
            if mails.len() >= count {
                return mails;
            }
            rocket::tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("expected {count} mails, got {}", self.outbox.mails().len());
    }
}

/// The token of the link to `page` (`verify-email` or `reset-password`) in `mail`'s text.
pub fn link_token(mail: &Mail, page: &str) -> String {
    let link = format!("{APP_URL}/{page}?token=");
    let start = mail.text.find(&link).unwrap_or_else(|| panic!("no {page} link in {:?}", mail.text)) + link.len();
    mail.text[start..].split_whitespace().next().expect("a token").to_owned()
}

/// The session id (`sid` claim) of an access token minted with [`SECRET`].
pub fn session_of(access_token: &str) -> String {
    let keys = todo_core::TokenKeys::new(&todo_core::Config::new(SECRET).expect("valid secret"));
    keys.verify(access_token).expect("a token of this test server").sid
}
