//! Cross-origin access for browser front ends served from another origin.
//!
//! Off unless origins are configured: with none, browsers keep their same-origin policy. Allowed origins may
//! call every route with `Authorization` and `Content-Type` headers (bearer tokens, not cookies, so no
//! credentials mode). Preflights are answered, and a request from any other origin is refused with 403.

use rocket::http::Method;
use rocket_cors::{AllowedHeaders, AllowedOrigins, CorsOptions};

/// The server settings that are not the library's: today, which browser origins may call the API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// Exact origins (`https://app.example.com`) allowed to call the API from a browser; none by default.
    pub cors_allowed_origins: Vec<String>,
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
    /// Reads `CORS_ALLOWED_ORIGINS`: a comma-separated list of origins (`scheme://host[:port]`).
    pub fn from_env() -> Result<Self, ConfigError> {
        let origins = std::env::var("CORS_ALLOWED_ORIGINS").unwrap_or_default();
        Self::default().with_cors_allowed_origins(origins.split(',').map(str::trim).filter(|o| !o.is_empty()))
    }

    /// Allows these origins; each must be `scheme://host[:port]` with nothing after it.
    pub fn with_cors_allowed_origins<S: Into<String>>(
        mut self,
        origins: impl IntoIterator<Item = S>,
    ) -> Result<Self, ConfigError> {
        self.cors_allowed_origins = origins.into_iter().map(Into::into).collect();
        self.cors("/cors")?;
        Ok(self)
    }

    /// The CORS fairing, or `None` when no origin is allowed. Refusals are routed under `error_base`, where this
    /// API's catchers turn them into problem documents.
    pub(crate) fn cors(&self, error_base: &str) -> Result<Option<rocket_cors::Cors>, ConfigError> {
        if self.cors_allowed_origins.is_empty() {
            return Ok(None);
        }
        let invalid = |reason: String| ConfigError { variable: "CORS_ALLOWED_ORIGINS", reason };
        if let Some(bad) = self.cors_allowed_origins.iter().find(|origin| !is_origin(origin)) {
            return Err(invalid(format!("`{bad}` is not an origin like https://app.example.com")));
        }
        let methods = [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete];
        CorsOptions {
            allowed_origins: AllowedOrigins::some_exact(&self.cors_allowed_origins),
            allowed_methods: methods.into_iter().map(From::from).collect(),
            allowed_headers: AllowedHeaders::some(&["Authorization", "Content-Type", "Accept"]),
            expose_headers: ["Location", "WWW-Authenticate", "Retry-After"].into_iter().map(String::from).collect(),
            allow_credentials: false,
            max_age: Some(600),
            fairing_route_base: error_base.to_owned(),
            ..CorsOptions::default()
        }
        .to_cors()
        .map(Some)
        .map_err(|error| invalid(error.to_string()))
    }
}

/// `scheme://host[:port]` and nothing else (no path, no trailing slash), as browsers send in `Origin`.
fn is_origin(origin: &str) -> bool {
    match origin.split_once("://") {
        Some((scheme, rest)) => {
            matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains(['/', '?', '#', ' ', '@'])
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_origins_means_no_cors() {
        assert!(ServerOptions::default().cors("/cors").expect("valid").is_none());
    }

    #[test]
    fn exact_origins_are_accepted() {
        let options =
            ServerOptions::default().with_cors_allowed_origins(["https://app.example.com", "http://localhost:5173"]);
        assert!(options.expect("valid").cors("/cors").expect("valid").is_some());
    }

    #[test]
    fn anything_but_an_origin_is_a_config_error() {
        for bad in ["app.example.com", "https://app.example.com/", "ftp://x", "https://", "*"] {
            let error = ServerOptions::default().with_cors_allowed_origins([bad]).expect_err(bad);
            assert_eq!(error.variable, "CORS_ALLOWED_ORIGINS");
        }
    }
}
