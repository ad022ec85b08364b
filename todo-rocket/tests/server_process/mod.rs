//! Real server processes (the `todo-rocket` binary) on fresh PostgreSQL databases, a TCP proxy that can cut
//! the database off, and a small blocking HTTP client: what the fault and many-instance tests need.

#![allow(dead_code)]

use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const SECRET: &str = "process test secret, at least 32 bytes long";
pub const PASSWORD: &str = "correct horse battery";

/// A fresh database on the `TEST_POSTGRES_URL` server, dropped on `Drop`; `create` gives `None` (the test is
/// skipped) when the URL is unset.
#[cfg(feature = "postgres")]
pub struct TestDatabase(todo_testing::BlockingScratchPostgres);

#[cfg(feature = "postgres")]
impl TestDatabase {
    pub fn create() -> Option<Self> {
        todo_testing::BlockingScratchPostgres::create("todo_process_test").map(Self)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The database's URL, on `127.0.0.1:<port>` instead of the server's own address when given (to go through
    /// a proxy).
    pub fn url(&self, via: Option<u16>) -> String {
        let url = self.0.url();
        let Some(port) = via else { return url.to_owned() };
        let authority_start = url.find("://").map_or(0, |i| i + 3);
        let authority_end = url[authority_start..].find('/').map_or(url.len(), |i| authority_start + i);
        let authority = &url[authority_start..authority_end];
        let user = authority.rsplit_once('@').map(|(user, _)| format!("{user}@")).unwrap_or_default();
        format!("{}{user}127.0.0.1:{port}{}", &url[..authority_start], &url[authority_end..])
    }

    /// Ends every server process connected to this database (`pg_terminate_backend`), as an operator, a restart
    /// or a failover would, and waits until they are gone.
    pub fn terminate_connections(&self) {
        self.0.execute_on_server(&format!(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
             WHERE datname = '{}' AND pid <> pg_backend_pid()",
            self.name()
        ));
    }

    /// The PostgreSQL server's `host:port`.
    pub fn server_address(&self) -> String {
        let options = self.0.server_options();
        format!("{}:{}", options.get_host(), options.get_port())
    }
}

/// Runs `test` with the URL of a fresh SQLite file, removed afterwards.
#[cfg(feature = "sqlite")]
pub fn with_sqlite_file(test: impl FnOnce(&str)) {
    let file = todo_testing::ScratchSqlite::new("todo-process-test");
    test(file.url());
}

/// Runs `test` with the URL of a fresh PostgreSQL database, dropped afterwards; skipped (returns at once, saying
/// so) when `TEST_POSTGRES_URL` is unset.
#[cfg(feature = "postgres")]
pub fn with_postgres_database(test: impl FnOnce(&str)) {
    let Some(database) = TestDatabase::create() else { return };
    test(&database.url(None));
}

/// Runs each named `fn(database_url: &str)` as a test on a fresh SQLite file (`sqlite::name`) and on a fresh
/// PostgreSQL database (`postgres::name`, ignored with the reason when `TEST_POSTGRES_URL` is unset).
#[macro_export]
macro_rules! process_tests {
    ($($name:ident),* $(,)?) => {
        #[cfg(feature = "sqlite")]
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    $crate::server_process::with_sqlite_file(super::$name);
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[test]
                #[cfg_attr(not(postgres_tests), ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests")]
                fn $name() {
                    $crate::server_process::with_postgres_database(super::$name);
                }
            )*
        }
    };
}

/// Runs each named `fn(&TestDatabase)` as a PostgreSQL test, `postgres::name`, on a fresh database (ignored with
/// the reason when `TEST_POSTGRES_URL` is unset): for what only a database server can show.
#[cfg(feature = "postgres")]
#[macro_export]
macro_rules! postgres_process_tests {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[test]
                #[cfg_attr(not(postgres_tests), ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests")]
                fn $name() {
                    let Some(database) = $crate::server_process::TestDatabase::create() else { return };
                    super::$name(&database);
                }
            )*
        }
    };
}

/// A running `todo-rocket` process; killed on `Drop`.
pub struct ServerProcess {
    child: Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts the binary on a free port against `database_url` and waits for `/health` to answer 200.
    pub fn start(database_url: &str, extra_env: &[(&str, &str)]) -> Self {
        Self::start_with_output(database_url, extra_env, Stdio::null())
    }

    /// [`ServerProcess::start`], with the server's standard output (its log) going to `stdout`.
    pub fn start_with_output(database_url: &str, extra_env: &[(&str, &str)], stdout: impl Into<Stdio>) -> Self {
        let port = free_port();
        let dir = std::env::temp_dir();
        let mut command = Command::new(env!("CARGO_BIN_EXE_todo-rocket"));
        command
            .current_dir(dir)
            .env("JWT_SECRET", SECRET)
            .env("BCRYPT_COST", "4")
            .env("DATABASE_URL", database_url)
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_LOG_LEVEL", "off")
            .env("RUST_LOG", "off")
            .stdout(stdout)
            .stderr(Stdio::inherit());
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let child = command.spawn().expect("the server binary starts");
        let server = Self { child, base: format!("http://127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.get("/health", None).0 != 200 {
            assert!(Instant::now() < deadline, "the server did not become healthy");
            thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// Sends `signal` (`TERM` as a process manager does to stop a service, `INT` as Ctrl-C does) and waits up to
    /// `timeout` for the exit; the exit code, or `None` when it did not exit in time or died of a signal.
    pub fn signal(&mut self, signal: &str, timeout: Duration) -> Option<i32> {
        let sent = Command::new("kill").args([&format!("-{signal}"), &self.child.id().to_string()]).status();
        assert!(sent.is_ok_and(|status| status.success()), "kill -{signal} works");
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("the child can be waited for") {
                return status.code();
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call("GET", path, None, token)
    }

    pub fn post(&self, path: &str, body: Value, token: Option<&str>) -> (u16, Value) {
        self.call("POST", path, Some(body), token)
    }

    pub fn put(&self, path: &str, body: Value, token: Option<&str>) -> (u16, Value) {
        self.call("PUT", path, Some(body), token)
    }

    /// Sends a request; a connection failure is status 0.
    pub fn call(&self, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> (u16, Value) {
        call_at(&self.base, method, path, body, token)
    }

    /// Signs `email` up (if new) and returns a token.
    pub fn token(&self, email: &str) -> String {
        let credentials = json!({"email": email, "password": PASSWORD});
        self.post("/auth/signup", credentials.clone(), None);
        let (status, body) = self.post("/auth/login", credentials, None);
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a request to the server at `base` (from any thread); a connection failure is status 0.
pub fn call_at(base: &str, method: &str, path: &str, body: Option<Value>, token: Option<&str>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let request = ureq::http::Request::builder().method(method).uri(format!("{base}{path}"));
    let request = match token {
        Some(token) => request.header("Authorization", format!("Bearer {token}")),
        None => request,
    };
    let result = match body {
        Some(body) => {
            agent.run(request.header("Content-Type", "application/json").body(body.to_string()).expect("request"))
        }
        None => agent.run(request.body(()).expect("request")),
    };
    match result {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let text = response.body_mut().read_to_string().unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// A response to [`get_redirect`].
pub struct Redirected {
    pub status: u16,
    pub location: Option<String>,
    /// The first cookie set, as `name=value` (what a browser sends back).
    pub cookie: Option<String>,
}

/// Sends a `GET` to `url`, with `cookie` (`name=value`) if given, without following a redirect (a connection failure
/// is status 0).
pub fn get_redirect(url: &str, cookie: Option<&str>) -> Redirected {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut request = agent.get(url);
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    match request.call() {
        Ok(response) => {
            let header = |name: &str| response.headers().get(name).and_then(|value| value.to_str().ok());
            Redirected {
                status: response.status().as_u16(),
                location: header("Location").map(str::to_owned),
                cookie: header("Set-Cookie").and_then(|cookie| cookie.split(';').next()).map(str::to_owned),
            }
        }
        Err(_) => Redirected { status: 0, location: None, cookie: None },
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free port").port()
}

/// A TCP proxy to the database that the test can cut (refusing and dropping every connection) and restore.
pub struct Proxy {
    pub port: u16,
    target: String,
    running: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    pub fn start(target: &str) -> Self {
        let proxy = Self {
            port: free_port(),
            target: target.to_owned(),
            running: Arc::new(AtomicBool::new(false)),
            connections: Arc::default(),
        };
        proxy.restore();
        proxy
    }

    /// Listens again on the same port and forwards new connections.
    pub fn restore(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("the proxy port is free again");
        listener.set_nonblocking(true).expect("nonblocking");
        self.running.store(true, Ordering::SeqCst);
        let (running, connections, target) = (self.running.clone(), self.connections.clone(), self.target.clone());
        thread::spawn(move || {
            while running.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        if let Ok(server) = TcpStream::connect(&target) {
                            pipe(client, server, &connections);
                        }
                    }
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(10)),
                    Err(_) => break,
                }
            }
        });
    }

    /// Stops listening (new connections are refused) and drops every open connection.
    pub fn cut(&self) {
        self.running.store(false, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(50)); // the accept loop sees the flag and drops the listener
        for stream in self.connections.lock().expect("lock").drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn pipe(client: TcpStream, server: TcpStream, connections: &Mutex<Vec<TcpStream>>) {
    let mut open = connections.lock().expect("lock");
    for stream in [&client, &server] {
        if let Ok(clone) = stream.try_clone() {
            open.push(clone);
        }
    }
    for (mut from, mut to) in [(client.try_clone(), server.try_clone()), (server.try_clone(), client.try_clone())]
        .into_iter()
        .filter_map(|(a, b)| Some((a.ok()?, b.ok()?)))
    {
        thread::spawn(move || {
            let _ = io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Write);
        });
    }
}
