//! No secret of the sign-in flows reaches the log: the server binary runs with `LOG_FORMAT=json`, Rocket's own log
//! on and `RUST_LOG=debug`, through a password sign-in, TOTP enrolment and confirmation, the second step with a code
//! and with a recovery code, a wrong code, new recovery codes and a sign-in link; then none of the passwords, TOTP
//! secrets and codes, recovery codes, `mfa_token`s, access or refresh tokens appears in what it wrote. Mails go to
//! an SMTP server that refuses connections (a closed port), so the mailer logs only that it failed, as it does in
//! production with a mail server down; without `SMTP_URL`, the log mailer writes links to the log by design.
//! The same for a sign-in at an identity provider (a real OpenID Provider; skipped without Node.js). On a SQLite
//! file, and on PostgreSQL when `TEST_POSTGRES_URL` is set.

mod server_process;

use std::fs::File;
use std::time::Duration;

use serde_json::{json, Value};
use server_process::{free_port, get_redirect, ServerProcess, PASSWORD};
use todo_testing::oidc::{ProviderAccount, TestProvider, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET};
use todo_testing::totp::{code_at, now_seconds};

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("a string: {value}")).to_owned()
}

fn no_secret_in_the_log(database_url: &str) {
    let log_file = std::env::temp_dir().join(format!("todo-secrets-{}.jsonl", uuid::Uuid::now_v7().simple()));
    let smtp = format!("smtp://127.0.0.1:{}", free_port());
    let env = [
        ("LOG_FORMAT", "json"),
        ("ROCKET_LOG_LEVEL", "normal"),
        ("RUST_LOG", "debug"),
        ("SMTP_URL", smtp.as_str()),
        ("MAIL_FROM", "Todo <no-reply@example.com>"),
    ];
    let mut server = ServerProcess::start_with_output(database_url, &env, File::create(&log_file).expect("a file"));
    let mut secrets = vec![PASSWORD.to_owned()];

    let token = server.token("ann@example.com");
    secrets.push(token.clone());
    let (status, enrolment) = server.post("/auth/mfa/totp", json!({"password": PASSWORD}), Some(&token));
    assert_eq!(status, 201, "{enrolment}");
    let secret = text(&enrolment["secret"]);
    secrets.extend([secret.clone(), text(&enrolment["otpauth_uri"])]);
    let confirm = format!("/auth/mfa/totp/{}/confirm", text(&enrolment["factor_id"]));
    let code = code_at(&secret, now_seconds());
    let (status, confirmed) = server.post(&confirm, json!({"code": code}), Some(&token));
    assert_eq!(status, 200, "{confirmed}");
    secrets.push(code);
    let codes: Vec<String> = confirmed["recovery_codes"].as_array().expect("codes").iter().map(text).collect();
    secrets.extend(codes.iter().cloned());

    let credentials = json!({"email": "ann@example.com", "password": PASSWORD});
    let second_step = || {
        let (status, problem) = server.post("/auth/login", credentials.clone(), None);
        assert_eq!(status, 403, "{problem}");
        text(&problem["mfa_token"])
    };
    let (first, second, third) = (second_step(), second_step(), second_step());
    secrets.extend([first.clone(), second.clone(), third.clone()]);
    let next = code_at(&secret, now_seconds() + 30);
    secrets.push(next.clone());
    let (status, _) = server.post("/auth/mfa/verify", json!({"mfa_token": first, "code": "000000x"}), None);
    assert_eq!(status, 401);
    let (status, tokens) = server.post("/auth/mfa/verify", json!({"mfa_token": first, "code": next}), None);
    assert_eq!(status, 200, "{tokens}");
    let access = text(&tokens["access_token"]);
    secrets.extend([access.clone(), text(&tokens["refresh_token"])]);
    let (status, tokens) = server.post("/auth/mfa/verify", json!({"mfa_token": second, "code": codes[0]}), None);
    assert_eq!(status, 200, "{tokens}");
    secrets.extend([text(&tokens["access_token"]), text(&tokens["refresh_token"])]);
    let (status, renewed) = server.post("/auth/mfa/recovery-codes", json!({}), Some(&access));
    assert_eq!(status, 200, "{renewed}");
    secrets.extend(renewed["recovery_codes"].as_array().expect("codes").iter().map(text));
    let (status, _) = server.post("/auth/magic-link", json!({"email": "ann@example.com"}), None);
    assert_eq!(status, 202);

    // The mails are attempted after the answers: give them a moment to fail and be logged.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.signal("TERM", Duration::from_secs(10)), Some(0), "the server stops cleanly");
    let log = std::fs::read_to_string(&log_file).expect("the log is readable");
    let _ = std::fs::remove_file(&log_file);
    assert!(log.contains("mail not sent"), "the mail failures are logged: {log}");
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "a secret is in the log: {secret:?}\n{log}");
    }
    // The recovery codes without their dashes, as the server normalises them, are not there either.
    for code in &codes {
        assert!(!log.contains(&code.replace('-', "")), "a normalised recovery code is in the log");
    }
}

/// A sign-in at an identity provider, with the same logging: neither the client secret, the `state`, `nonce` and PKCE
/// challenge of the authorization request, the browser's binding cookie, the provider's code, the one-time exchange code, nor the tokens appear.
fn no_secret_of_a_provider_sign_in_in_the_log(database_url: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let Some(provider) = runtime.block_on(TestProvider::start()) else { return };
    let log_file = std::env::temp_dir().join(format!("todo-secrets-oidc-{}.jsonl", uuid::Uuid::now_v7().simple()));
    let env = [
        ("LOG_FORMAT", "json"),
        ("ROCKET_LOG_LEVEL", "normal"),
        ("RUST_LOG", "debug"),
        ("OIDC_PROVIDERS", "test"),
        ("OIDC_TEST_ISSUER", provider.issuer()),
        ("OIDC_TEST_CLIENT_ID", CONFIDENTIAL_CLIENT_ID),
        ("OIDC_TEST_CLIENT_SECRET", CONFIDENTIAL_CLIENT_SECRET),
    ];
    let mut server = ServerProcess::start_with_output(database_url, &env, File::create(&log_file).expect("a file"));
    let mut secrets = vec![CONFIDENTIAL_CLIENT_SECRET.to_owned()];

    let started = get_redirect(&format!("{}/auth/oidc/test/authorize?redirect_to=/tasks", server.base), None);
    assert_eq!(started.status, 302);
    let authorization = started.location.expect("a Location");
    let cookie = started.cookie.expect("the binding cookie");
    secrets.push(cookie.split_once('=').expect("name=value").1.to_owned());
    let parameter = |url: &str, name: &str| {
        let url = url::Url::parse(url).expect("a URL");
        url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned()).expect(name)
    };
    secrets.extend(["state", "nonce", "code_challenge"].map(|name| parameter(&authorization, name)));
    let back = runtime.block_on(provider.log_in(&authorization, &ProviderAccount::new("oidc-ann@example.test")));
    secrets.push(parameter(&back, "code"));
    let back = url::Url::parse(&back).expect("a URL");
    let answer =
        get_redirect(&format!("{}{}?{}", server.base, back.path(), back.query().unwrap_or_default()), Some(&cookie));
    assert_eq!(answer.status, 302);
    let code = parameter(&answer.location.expect("a Location"), "code");
    secrets.push(code.clone());
    let (status, tokens) = server.post("/auth/oidc/exchange", json!({"code": code}), None);
    assert_eq!(status, 200, "{tokens}");
    secrets.extend([text(&tokens["access_token"]), text(&tokens["refresh_token"])]);

    assert_eq!(server.signal("TERM", Duration::from_secs(10)), Some(0), "the server stops cleanly");
    let log = std::fs::read_to_string(&log_file).expect("the log is readable");
    let _ = std::fs::remove_file(&log_file);
    assert!(log.contains("signed in at an identity provider"), "the sign-in is logged: {log}");
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "a secret is in the log: {secret:?}\n{log}");
    }
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_no_secret_of_a_provider_sign_in_is_logged() {
    server_process::with_sqlite_file(no_secret_of_a_provider_sign_in_in_the_log);
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests"
)]
fn postgres_no_secret_of_a_provider_sign_in_is_logged() {
    server_process::with_postgres_database(no_secret_of_a_provider_sign_in_in_the_log);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_no_secret_of_the_sign_in_flows_is_logged() {
    server_process::with_sqlite_file(no_secret_in_the_log);
}

#[cfg(feature = "postgres")]
#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "set TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1/test) to run the PostgreSQL tests"
)]
fn postgres_no_secret_of_the_sign_in_flows_is_logged() {
    server_process::with_postgres_database(no_secret_in_the_log);
}
