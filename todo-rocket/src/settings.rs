//! The server's own settings (the library's are `todo_core::Config`): CORS origins, abuse limits, the log format,
//! and Rocket's configuration as the binary uses it; with the pure rules that say whether each can work.
//!
//! A leaf: it uses nothing else of this crate, so every layer may read these types and report a [`ConfigError`].

use std::str::FromStr;
use std::time::Duration;

use rocket::figment::Figment;

/// Settings of the HTTP layer, from the environment ([`ServerOptions::from_env`]) or from code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// Exact origins (`https://app.example.com`) allowed to call the API from a browser; none by default.
    pub cors_allowed_origins: Vec<String>,
    /// Failed-login and signup limits.
    pub rate_limits: RateLimitSettings,
}

/// A server setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {variable}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

/// `variable`'s value as a whole number, or `default` when it is unset.
fn number<T: FromStr>(
    lookup: impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match lookup(variable) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse()
            .map_err(|_| ConfigError { variable, reason: "must be a whole number (0 turns a limit off)".into() }),
    }
}

impl ServerOptions {
    /// Reads `CORS_ALLOWED_ORIGINS` (comma-separated origins), `RATE_LIMIT_WINDOW_SECONDS`,
    /// `RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL`, `RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT` and
    /// `RATE_LIMIT_SIGNUPS_PER_CLIENT`, `RATE_LIMIT_PASSWORD_RESETS_PER_EMAIL`, `RATE_LIMIT_PASSWORD_RESETS_PER_CLIENT`
    /// (`0` turns a limit off), `RATE_LIMIT_IPV4_PREFIX`,
    /// `RATE_LIMIT_IPV6_PREFIX` and `RATE_LIMIT_MAX_KEYS` (see [`RateLimitSettings`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`ServerOptions::from_env`], with the variables looked up by `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let origins = lookup("CORS_ALLOWED_ORIGINS").unwrap_or_default();
        let mut options = Self::default()
            .with_cors_allowed_origins(origins.split(',').map(str::trim).filter(|origin| !origin.is_empty()))?;
        let defaults = RateLimitSettings::default();
        options.rate_limits = RateLimitSettings {
            login_failures_per_email: number(
                &lookup,
                "RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL",
                defaults.login_failures_per_email,
            )?,
            login_failures_per_client: number(
                &lookup,
                "RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT",
                defaults.login_failures_per_client,
            )?,
            signups_per_client: number(&lookup, "RATE_LIMIT_SIGNUPS_PER_CLIENT", defaults.signups_per_client)?,
            password_resets_per_email: number(
                &lookup,
                "RATE_LIMIT_PASSWORD_RESETS_PER_EMAIL",
                defaults.password_resets_per_email,
            )?,
            password_resets_per_client: number(
                &lookup,
                "RATE_LIMIT_PASSWORD_RESETS_PER_CLIENT",
                defaults.password_resets_per_client,
            )?,
            window: Duration::from_secs(number(&lookup, "RATE_LIMIT_WINDOW_SECONDS", defaults.window.as_secs())?),
            ipv4_prefix: number(&lookup, "RATE_LIMIT_IPV4_PREFIX", defaults.ipv4_prefix)?,
            ipv6_prefix: number(&lookup, "RATE_LIMIT_IPV6_PREFIX", defaults.ipv6_prefix)?,
            max_keys: number(&lookup, "RATE_LIMIT_MAX_KEYS", defaults.max_keys)?,
        };
        options.rate_limits.validate()?;
        Ok(options)
    }

    /// Allows these origins; each must be `scheme://host[:port]` with nothing after it.
    pub fn with_cors_allowed_origins<S: Into<String>>(
        mut self,
        origins: impl IntoIterator<Item = S>,
    ) -> Result<Self, ConfigError> {
        self.cors_allowed_origins = origins.into_iter().map(Into::into).collect();
        validate_origins(&self.cors_allowed_origins)?;
        Ok(self)
    }

    /// Sets the abuse limits (checked when the API is mounted: see [`crate::mount_with`]).
    pub fn with_rate_limits(mut self, limits: RateLimitSettings) -> Self {
        self.rate_limits = limits;
        self
    }

    /// Refuses options that cannot work: abuse limits out of range, then origins that are not origins.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.rate_limits.validate()?;
        validate_origins(&self.cors_allowed_origins)
    }
}

/// Refuses anything but `scheme://host[:port]` (no path, no trailing slash), as browsers send in `Origin`.
fn validate_origins(origins: &[String]) -> Result<(), ConfigError> {
    match origins.iter().find(|origin| !is_origin(origin)) {
        Some(bad) => Err(ConfigError {
            variable: "CORS_ALLOWED_ORIGINS",
            reason: format!("`{bad}` is not an origin like https://app.example.com"),
        }),
        None => Ok(()),
    }
}

/// `http` or `https`, `://`, then a host (and port) that parses as a URL's, and nothing after it.
fn is_origin(origin: &str) -> bool {
    let plain = match origin.split_once("://") {
        Some((scheme, rest)) => {
            matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains(['/', '?', '#', ' ', '@'])
        }
        None => false,
    };
    // The CORS fairing parses each origin as a URL: what passes here passes there.
    plain && url::Url::parse(origin).is_ok_and(|url| url.origin().is_tuple())
}

/// How many attempts are allowed per window (`0` turns a limit off), how clients are grouped, and how many
/// keys each limiter may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Failed logins for one email per window (default 5).
    pub login_failures_per_email: u32,
    /// Failed logins from one client network per window (default 20).
    pub login_failures_per_client: u32,
    /// Signups from one client network per window (default 10).
    pub signups_per_client: u32,
    /// Password-reset mails asked for one email per window (default 3).
    pub password_resets_per_email: u32,
    /// Password-reset mails asked from one client network per window (default 10).
    pub password_resets_per_client: u32,
    /// The window (default 15 minutes).
    pub window: Duration,
    /// IPv4 clients are counted by this prefix length, 1 to 32 (default 32: each address alone).
    pub ipv4_prefix: u8,
    /// IPv6 clients are counted by this prefix length, 1 to 128 (default 64: the network one subscriber
    /// usually holds).
    pub ipv6_prefix: u8,
    /// The most keys (emails, client networks) each limiter remembers, at least 1 (default 10,000: about
    /// 4.5 MiB per limiter when full, measured with 200,000 distinct keys).
    pub max_keys: u64,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            login_failures_per_email: 5,
            login_failures_per_client: 20,
            signups_per_client: 10,
            password_resets_per_email: 3,
            password_resets_per_client: 10,
            window: Duration::from_secs(15 * 60),
            ipv4_prefix: 32,
            ipv6_prefix: 64,
            max_keys: 10_000,
        }
    }
}

impl RateLimitSettings {
    /// Refuses settings that cannot work, naming the environment variable that sets each.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let refuse = |variable, reason: &str| Err(ConfigError { variable, reason: reason.into() });
        if self.window.is_zero() {
            return refuse("RATE_LIMIT_WINDOW_SECONDS", "must be at least 1");
        }
        if !(1..=32).contains(&self.ipv4_prefix) {
            return refuse("RATE_LIMIT_IPV4_PREFIX", "must be a prefix length from 1 to 32");
        }
        if !(1..=128).contains(&self.ipv6_prefix) {
            return refuse("RATE_LIMIT_IPV6_PREFIX", "must be a prefix length from 1 to 128");
        }
        if self.max_keys == 0 {
            return refuse("RATE_LIMIT_MAX_KEYS", "must be at least 1");
        }
        Ok(())
    }
}

/// How the binary writes log lines (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Readable lines (`text`, the default), in colour on a terminal; Rocket writes its own lines itself.
    #[default]
    Text,
    /// One JSON object per line (`json`), Rocket's own lines included.
    Json,
}

impl LogFormat {
    /// Reads `LOG_FORMAT`: `text` (or unset) or `json`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::parse(std::env::var("LOG_FORMAT").ok().as_deref())
    }

    fn parse(value: Option<&str>) -> Result<Self, ConfigError> {
        match value {
            None | Some("" | "text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(_) => Err(ConfigError { variable: "LOG_FORMAT", reason: "must be text or json".into() }),
        }
    }
}

/// Rocket's configuration (`Rocket.toml`, `ROCKET_*`), except that client addresses come from the TCP peer unless
/// `ROCKET_IP_HEADER` names the header a trusted reverse proxy sets: Rocket's default trusts `X-Real-IP` from
/// anyone, which would let a client pick the address its failed logins are counted against.
///
/// In the JSON format Rocket's own lines are JSON too (see [`crate::logging`]), without colour codes, and off
/// unless `ROCKET_LOG_LEVEL` says otherwise.
pub fn rocket_figment(format: LogFormat) -> Figment {
    let mut figment = rocket::Config::figment();
    if format == LogFormat::Json {
        figment = figment.merge(("cli_colors", false));
        if std::env::var_os("ROCKET_LOG_LEVEL").is_none() {
            figment = figment.merge(("log_level", "off"));
        }
    }
    if std::env::var_os("ROCKET_IP_HEADER").is_some() {
        figment
    } else {
        figment.merge(("ip_header", false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn defaults_apply_without_variables() {
        assert_eq!(ServerOptions::from_lookup(env(&[])).expect("valid"), ServerOptions::default());
    }

    #[test]
    fn limits_and_origins_are_read() {
        let options = ServerOptions::from_lookup(env(&[
            ("CORS_ALLOWED_ORIGINS", "https://a.example, http://localhost:5173"),
            ("RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL", "3"),
            ("RATE_LIMIT_SIGNUPS_PER_CLIENT", "0"),
            ("RATE_LIMIT_WINDOW_SECONDS", "60"),
            ("RATE_LIMIT_IPV4_PREFIX", "24"),
            ("RATE_LIMIT_IPV6_PREFIX", "56"),
            ("RATE_LIMIT_MAX_KEYS", "1000"),
        ]))
        .expect("valid");
        assert_eq!(options.cors_allowed_origins, ["https://a.example", "http://localhost:5173"]);
        assert_eq!(options.rate_limits.login_failures_per_email, 3);
        assert_eq!(options.rate_limits.signups_per_client, 0);
        assert_eq!(options.rate_limits.window, Duration::from_secs(60));
        assert_eq!(options.rate_limits.ipv4_prefix, 24);
        assert_eq!(options.rate_limits.ipv6_prefix, 56);
        assert_eq!(options.rate_limits.max_keys, 1000);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let bad: [&'static [(&'static str, &'static str)]; 7] = [
            &[("RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT", "many")],
            &[("RATE_LIMIT_WINDOW_SECONDS", "0")],
            &[("RATE_LIMIT_IPV4_PREFIX", "33")],
            &[("RATE_LIMIT_IPV6_PREFIX", "0")],
            &[("RATE_LIMIT_IPV6_PREFIX", "-1")],
            &[("RATE_LIMIT_MAX_KEYS", "0")],
            &[("CORS_ALLOWED_ORIGINS", "example.com")],
        ];
        for pairs in bad {
            let error = ServerOptions::from_lookup(env(pairs)).expect_err("invalid");
            assert_eq!(error.variable, pairs[0].0);
        }
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for bad in ["app.example.com", "https://app.example.com/", "ftp://x", "https://", "*", "http://[::1"] {
            let error = validate_origins(&[bad.to_owned()]).expect_err(bad);
            assert_eq!(error.variable, "CORS_ALLOWED_ORIGINS");
        }
        validate_origins(&["https://app.example.com".into(), "http://localhost:5173".into()]).expect("origins");
    }

    #[test]
    fn the_log_format_is_text_or_json() {
        assert_eq!(LogFormat::parse(None).expect("unset"), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("")).expect("empty"), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("text")).expect("text"), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("json")).expect("json"), LogFormat::Json);
        assert_eq!(LogFormat::parse(Some("yaml")).expect_err("yaml").variable, "LOG_FORMAT");
    }

    #[test]
    fn settings_that_cannot_work_are_refused_by_name() {
        let cases = [
            (RateLimitSettings { window: Duration::ZERO, ..Default::default() }, "RATE_LIMIT_WINDOW_SECONDS"),
            (RateLimitSettings { ipv4_prefix: 0, ..Default::default() }, "RATE_LIMIT_IPV4_PREFIX"),
            (RateLimitSettings { ipv4_prefix: 33, ..Default::default() }, "RATE_LIMIT_IPV4_PREFIX"),
            (RateLimitSettings { ipv6_prefix: 129, ..Default::default() }, "RATE_LIMIT_IPV6_PREFIX"),
            (RateLimitSettings { max_keys: 0, ..Default::default() }, "RATE_LIMIT_MAX_KEYS"),
        ];
        for (settings, variable) in cases {
            assert_eq!(settings.validate().expect_err("refused").variable, variable);
        }
        RateLimitSettings::default().validate().expect("the defaults work");
    }
}
