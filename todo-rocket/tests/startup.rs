//! Start-up: a setting that cannot work stops the server with one line naming the variable, and exit code 2.

use std::process::Command;

const SECRET: &str = "startup-test-secret-that-is-at-least-32-bytes";

/// Runs the server binary with `settings` (and a valid secret); returns its exit code and standard error.
fn start_with(settings: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_todo-rocket"));
    command.env_clear().env("JWT_SECRET", SECRET).env("ROCKET_PORT", "1").env("RUST_LOG", "off");
    command.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (name, value) in settings {
        command.env(name, value);
    }
    let output = command.output().expect("the server binary runs");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn mail_settings_that_cannot_work_stop_the_server_with_one_line() {
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("SMTP_URL", "smtp://127.0.0.1:25")], "MAIL_FROM"),
        (&[("SMTP_URL", "mail.example.com"), ("MAIL_FROM", "a@example.com")], "SMTP_URL"),
        (&[("SMTP_URL", "smtp://127.0.0.1:25"), ("MAIL_FROM", "not an address")], "MAIL_FROM"),
        (&[("APP_URL", "app.example.com")], "APP_URL"),
        (&[("REQUIRE_VERIFIED_EMAIL", "perhaps")], "REQUIRE_VERIFIED_EMAIL"),
    ];
    for (settings, variable) in cases {
        let (code, stderr) = start_with(settings);
        assert_eq!(code, Some(2), "{settings:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with(&format!("error: configuration error: {variable}:")), "{settings:?}: {stderr}");
    }
}

#[test]
fn credentials_in_a_bad_smtp_url_are_not_echoed() {
    let (code, stderr) = start_with(&[("SMTP_URL", "smtp://user:s3cr3t-pass@"), ("MAIL_FROM", "a@example.com")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stderr.contains("s3cr3t-pass"), "{stderr}");
}

#[test]
fn limit_metrics_and_log_settings_that_cannot_work_stop_the_server_with_one_line() {
    for (name, value) in [
        ("RATE_LIMIT_IPV6_PREFIX", "129"),
        ("RATE_LIMIT_MAX_KEYS", "0"),
        ("METRICS_ADDRESS", "localhost"),
        ("LOG_FORMAT", "yaml"),
    ] {
        let (code, stderr) = start_with(&[(name, value)]);
        assert_eq!(code, Some(2), "{name}: {stderr}");
        assert!(stderr.starts_with(&format!("error: configuration error: {name}:")), "{stderr}");
    }
}

#[test]
fn an_identity_provider_that_cannot_be_discovered_stops_the_server_with_one_line_naming_it() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("an address").port();
    let issuer = format!("http://127.0.0.1:{closed}/realms/corp");
    let settings = [("OIDC_PROVIDERS", "corp"), ("OIDC_CORP_ISSUER", issuer.as_str()), ("OIDC_CORP_CLIENT_ID", "todo")];
    let (code, stderr) = start_with(&settings);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: identity provider `corp` is unavailable: discovery at"), "{stderr}");

    let (code, stderr) = start_with(&[("OIDC_PROVIDERS", "corp"), ("OIDC_CORP_ISSUER", "https://idp.example.com")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: configuration error: OIDC_PROVIDERS: provider `corp`: OIDC_CORP_CLIENT_ID"),
        "{stderr}"
    );
}
