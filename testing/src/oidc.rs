//! A real OpenID Provider for the tests of "sign in with an identity provider", and the user's part of a login
//! through it: [`TestProvider`] starts panva's oidc-provider (a certified OpenID Provider, run by Node.js from
//! `testing/oidc-provider/`) on a free port of 127.0.0.1, and [`TestProvider::log_in`] plays the browser between
//! the server under test's redirect to the provider and the provider's redirect back, as the user described by a
//! [`ProviderAccount`].
//!
//! The provider knows two clients: `todo-confidential` (secret `todo-confidential-secret`, HTTP Basic at the token
//! endpoint) and `todo-public` (no secret); both use the authorization code flow with PKCE S256, and accept any
//! redirect URI `http://127.0.0.1:<port>/…/auth/oidc/<name>/callback` (or `localhost`), since the servers under
//! test listen on random ports. `testing/oidc-provider/README.md` tells the rest.
//!
//! Node.js is an outside program: where it is missing, [`TestProvider::start`] says "skipped" on the test's output
//! and gives `None`, so the test passes without running (never silently). Where Node.js is there, anything else
//! that goes wrong (installing the npm packages, starting the provider) is a real failure and panics.
//!
//! The provider is a child process owned by its [`TestProvider`]: dropping it kills the process, and the process
//! also ends by itself when the test process dies (it exits when its standard input, held here, closes). It does
//! not depend on the async runtime that started it, so one provider may serve the tests of a whole binary.

use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use reqwest::{redirect, StatusCode};
use url::Url;

/// The confidential client: authenticates at the token endpoint with HTTP Basic ([`CONFIDENTIAL_CLIENT_SECRET`]).
pub const CONFIDENTIAL_CLIENT_ID: &str = "todo-confidential";
/// The secret of [`CONFIDENTIAL_CLIENT_ID`].
pub const CONFIDENTIAL_CLIENT_SECRET: &str = "todo-confidential-secret";
/// The public client: no secret, PKCE only.
pub const PUBLIC_CLIENT_ID: &str = "todo-public";

/// How long the provider may take to say it is ready (Node's start and three RSA keys; more on a busy machine).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long `npm ci` may take, and so how long another test binary waits for it.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(300);
/// A login takes five hops (authorize, interaction, resume, back to the client); more means a loop.
const MAX_REDIRECTS: usize = 20;
/// The provider's log kept for panic messages: its last this many bytes.
const LOG_LIMIT: usize = 64 * 1024;

/// A running OpenID Provider (oidc-provider under Node.js) on 127.0.0.1, for one test or for all the tests of a
/// binary. Dropping it stops the provider.
#[derive(Debug)]
pub struct TestProvider {
    issuer: String,
    child: Child,
    // Held open: the provider exits when it closes, so it dies with the test process even when `Drop` never runs.
    _stdin: ChildStdin,
    log: Arc<Mutex<String>>,
}

impl TestProvider {
    /// Starts a provider on a free port and waits until it is ready; `None` (and a "skipped" line on the test's
    /// output) when Node.js is not installed. Installs the npm packages first (`npm ci`) when
    /// `testing/oidc-provider/node_modules` is missing or was installed from another `package-lock.json`; several
    /// test binaries starting at once share one install.
    ///
    /// # Panics
    /// When Node.js is there but the install or the provider fails: the panic shows their output.
    pub async fn start() -> Option<TestProvider> {
        // Starting is blocking work (processes, a file lock, reading a pipe); it stays off the runtime's threads.
        // What it has to say is said here, on the test's own thread: a pooled thread's output would land in the
        // captured output of whichever test spawned that thread first.
        match tokio::task::spawn_blocking(Self::start_blocking).await {
            Ok(Ok(provider)) => Some(provider),
            Ok(Err(NodeMissing(node))) => {
                eprintln!("skipped: Node.js not found; the OpenID Connect tests need it (`{node}` is not on PATH)");
                None
            }
            Err(error) => match error.try_into_panic() {
                Ok(panic) => {
                    let message = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("(no message)");
                    panic!("starting the OpenID Provider: {message}")
                }
                Err(error) => panic!("starting the OpenID Provider: {error}"),
            },
        }
    }

    fn start_blocking() -> Result<TestProvider, NodeMissing> {
        let node = node_program();
        match Command::new(&node).arg("--version").output() {
            Ok(output) if output.status.success() => {}
            Ok(output) => {
                panic!("`{node} --version` failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr))
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Err(NodeMissing(node)),
            Err(error) => panic!("running `{node} --version`: {error}"),
        }

        let folder = provider_folder();
        install_packages(&folder);

        let mut child = Command::new(&node)
            .arg("provider.mjs")
            .args(["--port", "0"])
            .current_dir(&folder)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("starting `{node} provider.mjs` in {}: {error}", folder.display()));
        let stdin = child.stdin.take().expect("the provider's stdin is piped");
        let stdout = child.stdout.take().expect("the provider's stdout is piped");
        let stderr = child.stderr.take().expect("the provider's stderr is piped");

        // The log is drained all along, or the provider would block once the pipe is full.
        let log = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&log);
        thread::Builder::new()
            .name("oidc-provider-log".into())
            .spawn(move || keep_log(stderr, &sink))
            .expect("spawning the provider's log reader");

        // Its first line on stdout says where it listens; a reader thread gives the wait a deadline, and then
        // drains the pipe into the log (the provider writes nothing more there, but a write to a closed pipe
        // would kill it).
        let (line_tx, line_rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&log);
        thread::Builder::new()
            .name("oidc-provider-ready".into())
            .spawn(move || {
                let mut stdout = BufReader::new(stdout);
                let mut line = String::new();
                let read = stdout.read_line(&mut line).map(|_| line);
                let _ = line_tx.send(read);
                keep_log(stdout, &sink);
            })
            .expect("spawning the provider's stdout reader");

        let mut provider = TestProvider { issuer: String::new(), child, _stdin: stdin, log };
        let line = match line_rx.recv_timeout(START_TIMEOUT) {
            Ok(Ok(line)) if !line.is_empty() => line,
            Ok(Ok(_)) => provider.fail("the OpenID Provider exited before it was ready"),
            Ok(Err(error)) => provider.fail(&format!("reading the OpenID Provider's first line: {error}")),
            Err(_) => provider.fail(&format!("the OpenID Provider was not ready within {START_TIMEOUT:?}")),
        };
        let ready: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|error| {
            provider.fail(&format!("the OpenID Provider's first line is not JSON ({error}): {line:?}"))
        });
        match ready["issuer"].as_str() {
            Some(issuer) => provider.issuer = issuer.to_owned(),
            None => provider.fail(&format!("the OpenID Provider's first line has no issuer: {line:?}")),
        }
        Ok(provider)
    }

    /// The issuer, `http://127.0.0.1:PORT` (no trailing slash); discovery is at
    /// `{issuer}/.well-known/openid-configuration`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// What the provider wrote to its log (stderr) so far, or its last 64 KiB: the logins and any error.
    pub fn log(&self) -> String {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// Rotates the provider's signing key: from now on its JWKS publishes a second key (first) beside the old one,
    /// and ID tokens are signed with the second key. Before this, the second key is not published at all.
    ///
    /// # Panics
    /// When the provider does not answer 204.
    pub async fn rotate_keys(&self) {
        let url = format!("{}/test/rotate-keys", self.issuer);
        let response =
            reqwest::Client::new().post(&url).send().await.unwrap_or_else(|error| panic!("POST {url}: {error}"));
        if response.status() != StatusCode::NO_CONTENT {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            self.fail(&format!("POST {url} answered {status}: {body}"));
        }
    }

    /// Signs in at the provider as `account`, from the authorization URL that the server under test redirected
    /// to (its `Location`), and gives the URL the provider redirects back to — the server's
    /// `…/auth/oidc/<name>/callback?code=…&state=…&iss=…` (or `?error=…` when the provider refuses the request) —
    /// without requesting it.
    ///
    /// The account rides in the request's `login_hint`, so the provider's login completes at once, and consent is
    /// granted for the requested scopes. Each call is a fresh browser (its own cookies), so an earlier login never
    /// answers for this one.
    ///
    /// # Panics
    /// When `authorize_url` is not the provider's, or the provider answers with an error page instead of a
    /// redirect (an unknown client, a redirect URI it refuses, a missing PKCE challenge…): the panic shows the page
    /// and the provider's log.
    pub async fn log_in(&self, authorize_url: &str, account: &ProviderAccount) -> String {
        self.log_in_with_params(authorize_url, account, |_| {}).await
    }

    /// [`log_in`](Self::log_in), after `edit` changed the authorization request (to swap its `client_id`, drop its
    /// `code_challenge`…); the `login_hint` is already in place when `edit` runs.
    ///
    /// # Panics
    /// As [`log_in`](Self::log_in).
    pub async fn log_in_with_params(
        &self,
        authorize_url: &str,
        account: &ProviderAccount,
        edit: impl FnOnce(&mut Url),
    ) -> String {
        let issuer = Url::parse(&self.issuer).expect("the issuer is a URL");
        let mut url =
            Url::parse(authorize_url).unwrap_or_else(|error| panic!("not a URL ({error}): {authorize_url:?}"));
        assert_eq!(
            url.origin(),
            issuer.origin(),
            "the authorization URL {authorize_url} is not at the provider {}",
            self.issuer
        );
        let query: Vec<(String, String)> =
            url.query_pairs().filter(|(name, _)| name != "login_hint").map(|(n, v)| (n.into(), v.into())).collect();
        url.query_pairs_mut().clear().extend_pairs(query).append_pair("login_hint", &account.login_hint());
        edit(&mut url);

        // Redirects are followed here, not by reqwest, to stop at the first one that leaves the provider.
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(redirect::Policy::none())
            .build()
            .expect("building the provider's HTTP client");
        for _ in 0..MAX_REDIRECTS {
            let response = browser
                .get(url.clone())
                .send()
                .await
                .unwrap_or_else(|error| self.fail(&format!("GET {url}: {error:?}")));
            let status = response.status();
            if !status.is_redirection() {
                let body = response.text().await.unwrap_or_default();
                self.fail(&format!(
                    "the OpenID Provider answered GET {url} with {status} instead of a redirect:\n{body}"
                ));
            }
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|location| location.to_str().ok())
                .unwrap_or_else(|| self.fail(&format!("the OpenID Provider's {status} for GET {url} has no Location")));
            let next = url
                .join(location)
                .unwrap_or_else(|error| self.fail(&format!("the provider redirected to {location:?}: {error}")));
            if next.origin() != issuer.origin() {
                return next.into();
            }
            url = next;
        }
        self.fail(&format!("the OpenID Provider redirected more than {MAX_REDIRECTS} times, last to {url}"))
    }

    /// Panics with `message` and the provider's log.
    #[track_caller]
    fn fail(&self, message: &str) -> ! {
        // A moment for the last lines of a provider that is exiting.
        thread::sleep(Duration::from_millis(100));
        panic!("{message}\n--- the OpenID Provider's log ---\n{}", self.log())
    }
}

impl Drop for TestProvider {
    fn drop(&mut self) {
        // Closing stdin would stop it too, but not at once: kill it, and reap it so no zombie stays.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Node.js is not installed: the program that was looked for.
struct NodeMissing(String);

/// Who signs in at the provider: the claims its ID token carries, and the fault to put in it, if any. A login
/// creates the account at the provider, or replaces the one with the same `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderAccount {
    /// The subject: the provider's stable identifier of the user.
    pub sub: String,
    /// The `email` claim.
    pub email: String,
    /// The `email_verified` claim.
    pub email_verified: bool,
    /// The `name` claim (scope `profile`), when set.
    pub name: Option<String>,
    /// The fault the provider puts in this account's ID tokens, if any.
    pub tamper: Option<Tamper>,
}

impl ProviderAccount {
    /// A user with a fresh, unique `sub`, whose `email` is verified, with no name and honest ID tokens.
    pub fn new(email: impl Into<String>) -> ProviderAccount {
        ProviderAccount {
            sub: crate::unique_name("sub", '-'),
            email: email.into(),
            email_verified: true,
            name: None,
            tamper: None,
        }
    }

    /// The same user with `email_verified: false`.
    #[must_use]
    pub fn unverified(self) -> ProviderAccount {
        ProviderAccount { email_verified: false, ..self }
    }

    /// The same user with a `name` claim.
    #[must_use]
    pub fn named(self, name: impl Into<String>) -> ProviderAccount {
        ProviderAccount { name: Some(name.into()), ..self }
    }

    /// The same user, whose ID tokens the provider breaks as `tamper` says.
    #[must_use]
    pub fn tamper(self, tamper: Tamper) -> ProviderAccount {
        ProviderAccount { tamper: Some(tamper), ..self }
    }

    /// The account as the provider reads it from `login_hint`: a URL-encoded query string.
    fn login_hint(&self) -> String {
        let mut hint = url::form_urlencoded::Serializer::new(String::new());
        hint.append_pair("sub", &self.sub)
            .append_pair("email", &self.email)
            .append_pair("email_verified", if self.email_verified { "true" } else { "false" });
        if let Some(name) = &self.name {
            hint.append_pair("name", name);
        }
        if let Some(tamper) = self.tamper {
            hint.append_pair("tamper", tamper.as_str());
        }
        hint.finish()
    }
}

/// A fault in an account's ID tokens, for the tests that a server refuses them. The token endpoint's ID token is
/// re-signed with the provider's current key (same `kid`, a valid signature) with one thing wrong; or, with
/// [`Tamper::EmailInUserinfoOnly`], one thing left out that a provider may leave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tamper {
    /// `aud` is `"someone-else"`, not the client.
    Aud,
    /// `exp` is an hour ago (and `iat` a little before it).
    Expired,
    /// `nonce` is `"not-the-nonce"`.
    Nonce,
    /// `iss` is `"http://evil.example"`.
    Issuer,
    /// Signed with a key the JWKS never publishes (`kid` `"never-published"`).
    UnknownKey,
    /// Not a fault: `email` and `email_verified` are left out of the ID token, and only the userinfo endpoint has
    /// them, as some providers do.
    EmailInUserinfoOnly,
}

impl Tamper {
    /// The name the provider knows it by, in `login_hint`'s `tamper`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tamper::Aud => "aud",
            Tamper::Expired => "expired",
            Tamper::Nonce => "nonce",
            Tamper::Issuer => "iss",
            Tamper::UnknownKey => "unknown-key",
            Tamper::EmailInUserinfoOnly => "userinfo-email",
        }
    }
}

/// `node`, or the program that `TODO_TESTING_NODE` names.
fn node_program() -> String {
    std::env::var("TODO_TESTING_NODE").unwrap_or_else(|_| "node".into())
}

/// `testing/oidc-provider`, found from this crate's sources: the tests of every crate use the same folder.
fn provider_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc-provider")
}

/// Runs `npm ci` in `folder` unless its packages are installed for the current `package-lock.json`.
///
/// Test binaries run at once would otherwise each run `npm ci`, which first deletes `node_modules`, under each
/// other's feet. So one of them installs, holding a lock file made with `create_new` (atomic); the others wait for
/// it to go, and then find the packages installed. "Installed" is a copy of `package-lock.json` that `npm ci`'s
/// success leaves in `node_modules`: a partial install or an older lock file does not count.
fn install_packages(folder: &Path) {
    let lock_file = folder.join("package-lock.json");
    let marker = folder.join("node_modules").join(".todo-testing-installed");
    let lock = folder.join(".npm-install.lock");
    let wanted = fs::read(&lock_file).unwrap_or_else(|error| panic!("reading {}: {error}", lock_file.display()));
    let installed = || fs::read(&marker).is_ok_and(|copy| copy == wanted);

    let deadline = Instant::now() + INSTALL_TIMEOUT;
    loop {
        if installed() {
            return;
        }
        match OpenOptions::new().write(true).create_new(true).open(&lock) {
            Ok(_) => break,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                // A lock older than any install is left by a process that died while installing.
                let stale = fs::metadata(&lock)
                    .and_then(|meta| meta.modified())
                    .is_ok_and(|at| SystemTime::now().duration_since(at).unwrap_or_default() > INSTALL_TIMEOUT);
                if stale {
                    let _ = fs::remove_file(&lock);
                } else if Instant::now() > deadline {
                    panic!("waited {INSTALL_TIMEOUT:?} for another test's `npm ci` (lock {})", lock.display());
                }
                thread::sleep(Duration::from_millis(250));
            }
            Err(error) => panic!("creating {}: {error}", lock.display()),
        }
    }

    // The lock is ours: whatever happens below, it goes.
    struct Unlock<'a>(&'a Path);
    impl Drop for Unlock<'_> {
        fn drop(&mut self) {
            let _ = fs::remove_file(self.0);
        }
    }
    let _unlock = Unlock(&lock);
    if installed() {
        return;
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let output = Command::new(npm)
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(folder)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("running `{npm} ci` in {} (Node.js is there, npm?): {error}", folder.display()));
    if !output.status.success() {
        panic!(
            "`npm ci` failed in {} ({}):\n{}\n{}",
            folder.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    fs::write(&marker, &wanted).unwrap_or_else(|error| panic!("writing {}: {error}", marker.display()));
}

/// Keeps the last [`LOG_LIMIT`] bytes of the provider's stderr in `log`, until the provider closes it.
fn keep_log(stderr: impl Read, log: &Mutex<String>) {
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        let Ok(mut log) = log.lock() else { break };
        let _ = writeln!(log, "{line}");
        if log.len() > LOG_LIMIT {
            let mut cut = log.len() - LOG_LIMIT;
            while !log.is_char_boundary(cut) {
                cut += 1;
            }
            log.drain(..cut);
        }
    }
}
