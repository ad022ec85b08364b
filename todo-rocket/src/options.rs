//! The server's own settings (the library's are `todo_core::Config`): CORS origins and abuse limits.

use std::str::FromStr;
use std::time::Duration;

use crate::cors;
use crate::limits::RateLimitSettings;

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
        cors::fairing(&self.cors_allowed_origins, "/cors")?;
        Ok(self)
    }

    /// Sets the abuse limits (checked when the API is mounted: see [`crate::mount_with`]).
    pub fn with_rate_limits(mut self, limits: RateLimitSettings) -> Self {
        self.rate_limits = limits;
        self
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
}
