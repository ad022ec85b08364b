//! The server's own settings (the library's are `todo_core::Config`): CORS origins and abuse limits.

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

impl ServerOptions {
    /// Reads `CORS_ALLOWED_ORIGINS` (comma-separated origins), `RATE_LIMIT_WINDOW_SECONDS`,
    /// `RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL`, `RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT` and
    /// `RATE_LIMIT_SIGNUPS_PER_CLIENT` (`0` turns a limit off).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`ServerOptions::from_env`], with the variables looked up by `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let origins = lookup("CORS_ALLOWED_ORIGINS").unwrap_or_default();
        let mut options = Self::default()
            .with_cors_allowed_origins(origins.split(',').map(str::trim).filter(|origin| !origin.is_empty()))?;
        let limits = &mut options.rate_limits;
        let number = |variable: &'static str, default: u32| -> Result<u32, ConfigError> {
            match lookup(variable) {
                None => Ok(default),
                Some(value) => value.trim().parse().map_err(|_| ConfigError {
                    variable,
                    reason: "must be a whole number (0 turns the limit off)".into(),
                }),
            }
        };
        limits.login_failures_per_email =
            number("RATE_LIMIT_LOGIN_FAILURES_PER_EMAIL", limits.login_failures_per_email)?;
        limits.login_failures_per_client =
            number("RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT", limits.login_failures_per_client)?;
        limits.signups_per_client = number("RATE_LIMIT_SIGNUPS_PER_CLIENT", limits.signups_per_client)?;
        let window = number("RATE_LIMIT_WINDOW_SECONDS", u32::try_from(limits.window.as_secs()).unwrap_or(u32::MAX))?;
        if window == 0 {
            return Err(ConfigError { variable: "RATE_LIMIT_WINDOW_SECONDS", reason: "must be at least 1".into() });
        }
        limits.window = Duration::from_secs(window.into());
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

    /// Sets the abuse limits.
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
        ]))
        .expect("valid");
        assert_eq!(options.cors_allowed_origins, ["https://a.example", "http://localhost:5173"]);
        assert_eq!(options.rate_limits.login_failures_per_email, 3);
        assert_eq!(options.rate_limits.signups_per_client, 0);
        assert_eq!(options.rate_limits.window, Duration::from_secs(60));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let bad: [&'static [(&'static str, &'static str)]; 3] = [
            &[("RATE_LIMIT_LOGIN_FAILURES_PER_CLIENT", "many")],
            &[("RATE_LIMIT_WINDOW_SECONDS", "0")],
            &[("CORS_ALLOWED_ORIGINS", "example.com")],
        ];
        for pairs in bad {
            let error = ServerOptions::from_lookup(env(pairs)).expect_err("invalid");
            assert_eq!(error.variable, pairs[0].0);
        }
    }
}
