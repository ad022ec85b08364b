//! Sign-in with an identity provider over HTTP: the server binary, configured as an operator would
//! (`OIDC_PROVIDERS`, `OIDC_TEST_*`), against a real OpenID Provider (the npm package `oidc-provider`, through
//! `todo_testing::oidc::TestProvider`; the tests say "skipped" without Node.js). The whole redirect dance: the
//! providers' list, the redirect to the provider, its login, the callback's redirect to the front end with a
//! one-time code, the code's exchange; what is refused on the way; and two instances on one PostgreSQL, one
//! starting a sign-in that the other finishes. On a SQLite file and on PostgreSQL.

mod server_process;

use std::sync::OnceLock;

use serde_json::json;
use server_process::{get_redirect, ServerProcess};
use todo_testing::oidc::{ProviderAccount, TestProvider, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET};
use url::Url;

process_tests!(the_redirect_dance_signs_in_over_http, what_is_refused_is_refused_over_http);

const APP_URL: &str = "https://app.example.com";

/// The runtime the provider and its logins run on (these tests are synchronous: the server is a process).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Runtime::new().expect("a runtime"))
}

/// The provider the tests of this binary share, or `None` without Node.js.
fn provider() -> Option<&'static TestProvider> {
    static PROVIDER: OnceLock<Option<TestProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| runtime().block_on(TestProvider::start())).as_ref()
}

/// The server's settings for the provider `test`, as an operator writes them.
fn oidc_env(provider: &TestProvider) -> Vec<(&'static str, String)> {
    vec![
        ("OIDC_PROVIDERS", "test".to_owned()),
        ("OIDC_TEST_ISSUER", provider.issuer().to_owned()),
        ("OIDC_TEST_CLIENT_ID", CONFIDENTIAL_CLIENT_ID.to_owned()),
        ("OIDC_TEST_CLIENT_SECRET", CONFIDENTIAL_CLIENT_SECRET.to_owned()),
        ("OIDC_TEST_LABEL", "Test provider".to_owned()),
        ("APP_URL", APP_URL.to_owned()),
    ]
}

fn start(database_url: &str, provider: &TestProvider, extra: &[(&'static str, String)]) -> ServerProcess {
    let mut env = oidc_env(provider);
    env.extend(extra.iter().cloned());
    let env: Vec<(&str, &str)> = env.iter().map(|(key, value)| (*key, value.as_str())).collect();
    ServerProcess::start(database_url, &env)
}

fn query_value(url: &str, name: &str) -> Option<String> {
    Url::parse(url).expect("a URL").query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// A browser's sign-in under way: the provider's authorization URL, and the cookie that binds it to the browser.
struct Started {
    authorization: String,
    cookie: String,
}

/// `GET /auth/oidc/test/authorize` on `server`: where it redirects, and the cookie it sets.
fn authorize(server: &ServerProcess, redirect_to: &str) -> Started {
    let answer = get_redirect(&format!("{}/auth/oidc/test/authorize?redirect_to={redirect_to}", server.base), None);
    assert_eq!(answer.status, 302, "authorize redirects to the provider");
    let cookie = answer.cookie.expect("the binding cookie");
    assert!(cookie.starts_with("todo_oidc_binding="), "{cookie}");
    Started { authorization: answer.location.expect("a Location"), cookie }
}

/// The provider's login of `account`, then the callback on `server` with `cookie` (or none): the front-end URL it
/// redirects to.
fn callback_on(server: &ServerProcess, started: &Started, account: &ProviderAccount, cookie: Option<&str>) -> String {
    let back = runtime().block_on(provider().expect("started").log_in(&started.authorization, account));
    let back = Url::parse(&back).expect("a URL");
    let url = format!("{}{}?{}", server.base, back.path(), back.query().unwrap_or(""));
    let answer = get_redirect(&url, cookie);
    assert_eq!(answer.status, 302, "the callback always redirects");
    answer.location.expect("a Location")
}

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.test", uuid::Uuid::now_v7().simple())
}

fn the_redirect_dance_signs_in_over_http(database_url: &str) {
    let Some(provider) = provider() else { return };
    let server = start(database_url, provider, &[]);
    let (status, providers) = server.get("/auth/providers", None);
    assert_eq!((status, providers), (200, json!([{"name": "test", "label": "Test provider"}])));

    let started = authorize(&server, "/tasks");
    let authorization = started.authorization.clone();
    assert!(authorization.starts_with(provider.issuer()), "{authorization}");
    for parameter in ["state", "nonce", "code_challenge"] {
        assert!(query_value(&authorization, parameter).is_some(), "{parameter} in {authorization}");
    }
    assert_eq!(query_value(&authorization, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(
        query_value(&authorization, "redirect_uri"),
        Some(format!("{}/auth/oidc/test/callback", server.base)),
        "API_URL defaults to the server's own address"
    );

    // Opened by another browser (without the cookie), the callback is refused, and its sign-in is over.
    let front_end = callback_on(&server, &started, &ProviderAccount::new(unique_email("mallory")), None);
    assert_eq!(query_value(&front_end, "error").as_deref(), Some("invalid_state"), "{front_end}");

    let started = authorize(&server, "/tasks");
    let email = unique_email("ann");
    let front_end = callback_on(&server, &started, &ProviderAccount::new(&email), Some(&started.cookie));
    assert!(front_end.starts_with(&format!("{APP_URL}/auth/callback?")), "{front_end}");
    assert_eq!(query_value(&front_end, "redirect_to").as_deref(), Some("/tasks"));
    let code = query_value(&front_end, "code").expect("a one-time code");

    let (status, tokens) = server.post("/auth/oidc/exchange", json!({"code": code}), None);
    assert_eq!(status, 200, "{tokens}");
    let token = tokens["access_token"].as_str().expect("a token");
    let (status, again) = server.post("/auth/oidc/exchange", json!({"code": code}), None);
    assert_eq!((status, &again["errors"][0]["field"]), (422, &json!("code")), "single use: {again}");

    let (status, me) = server.get("/auth/me", Some(token));
    assert_eq!((status, &me["email"], &me["has_password"]), (200, &json!(email), &json!(false)));
    assert!(me["email_verified_at"].is_string(), "{me}");
    let (status, task) = server.post("/tasks", json!({"title": "signed in at a provider"}), Some(token));
    assert_eq!(status, 201, "{task}");

    let (status, identities) = server.get("/auth/identities", Some(token));
    assert_eq!((status, &identities[0]["provider"], &identities[0]["email"]), (200, &json!("test"), &json!(email)));
    let id = identities[0]["id"].as_str().expect("an id");
    let (status, problem) = server.call("DELETE", &format!("/auth/identities/{id}"), None, Some(token));
    assert_eq!(status, 409, "the last way to sign in stays: {problem}");
}

fn what_is_refused_is_refused_over_http(database_url: &str) {
    let Some(provider) = provider() else { return };
    let server = start(database_url, provider, &[]);
    let answer = get_redirect(&format!("{}/auth/oidc/nobody/authorize", server.base), None);
    assert_eq!((answer.status, answer.cookie), (404, None));
    let (status, problem) = server.get("/auth/oidc/test/authorize?redirect_to=https://evil.example/", None);
    assert_eq!((status, &problem["errors"][0]["field"]), (422, &json!("redirect_to")), "{problem}");
    let (status, problem) = server.get("/auth/oidc/test/authorize?redirect_to=/a&redirect_to=/b", None);
    assert_eq!(status, 422, "{problem}");

    // A callback without state or code, or with a forged state, still lands on the front end, with the reason.
    for (query, error) in [("", "invalid_request"), ("?code=x&state=forged", "invalid_state")] {
        let answer = get_redirect(&format!("{}/auth/oidc/test/callback{query}", server.base), None);
        let location = answer.location.expect("a Location");
        assert_eq!((answer.status, query_value(&location, "error").as_deref()), (302, Some(error)), "{location}");
        assert!(location.starts_with(&format!("{APP_URL}/auth/callback?")), "{location}");
    }

    let (status, problem) = server.post("/auth/oidc/exchange", json!({"code": "made-up"}), None);
    assert_eq!((status, &problem["errors"][0]["field"]), (422, &json!("code")), "{problem}");
    let (status, _) = server.post("/auth/oidc/exchange", json!({"token": "wrong shape"}), None);
    assert_eq!(status, 422);
    let (status, _) = server.get("/auth/identities", None);
    assert_eq!(status, 401);
    let token = server.token("bo@example.com");
    let (status, _) = server.call("DELETE", "/auth/identities/not-a-uuid", None, Some(&token));
    assert_eq!(status, 404);
    let (status, _) = server.call("DELETE", &format!("/auth/identities/{}", uuid::Uuid::now_v7()), None, Some(&token));
    assert_eq!(status, 404);
    let (status, identities) = server.get("/auth/identities", Some(&token));
    assert_eq!((status, identities), (200, json!([])));
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests"
)]
fn postgres_a_sign_in_started_on_one_instance_finishes_on_the_other() {
    let Some(database) = server_process::TestDatabase::create() else { return };
    let Some(provider) = provider() else { return };
    let url = database.url(None);
    // Behind one load balancer, both instances have one public address: the first one's stands for it here.
    let first = start(&url, provider, &[]);
    let shared = [("API_URL", first.base.clone())];
    let one = start(&url, provider, &shared);
    let other = start(&url, provider, &shared);

    let started = authorize(&one, "/tasks");
    let front_end = callback_on(&other, &started, &ProviderAccount::new(unique_email("cy")), Some(&started.cookie));
    let code = query_value(&front_end, "code").unwrap_or_else(|| panic!("the other instance finishes: {front_end}"));
    let (status, tokens) = one.post("/auth/oidc/exchange", json!({"code": code}), None);
    assert_eq!(status, 200, "{tokens}");
    let token: &serde_json::Value = &tokens["access_token"];
    let (status, _) = other.get("/auth/me", token.as_str());
    assert_eq!(status, 200);
}
