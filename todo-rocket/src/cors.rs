//! Cross-origin access for browser front ends served from another origin.
//!
//! Off unless origins are configured: with none, browsers keep their same-origin policy. Allowed origins may
//! call every route with `Authorization` and `Content-Type` headers (bearer tokens, not cookies, so no
//! credentials mode). Preflights are answered, and a request from any other origin is refused with 403.

use rocket::http::Method;
use rocket_cors::{AllowedHeaders, AllowedOrigins, CorsOptions};

use crate::options::ConfigError;

/// The CORS fairing for `origins`, or `None` when there are none. Refusals are routed under `error_base`,
/// where this API's catchers turn them into problem documents.
pub(crate) fn fairing(origins: &[String], error_base: &str) -> Result<Option<rocket_cors::Cors>, ConfigError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let invalid = |reason: String| ConfigError { variable: "CORS_ALLOWED_ORIGINS", reason };
    if let Some(bad) = origins.iter().find(|origin| !is_origin(origin)) {
        return Err(invalid(format!("`{bad}` is not an origin like https://app.example.com")));
    }
    let methods = [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete];
    CorsOptions {
        allowed_origins: AllowedOrigins::some_exact(origins),
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

    fn origins(list: &[&str]) -> Vec<String> {
        list.iter().map(|origin| (*origin).to_owned()).collect()
    }

    #[test]
    fn no_origins_means_no_cors() {
        assert!(fairing(&[], "/cors").expect("valid").is_none());
    }

    #[test]
    fn exact_origins_are_accepted() {
        let list = origins(&["https://app.example.com", "http://localhost:5173"]);
        assert!(fairing(&list, "/cors").expect("valid").is_some());
    }

    #[test]
    fn anything_but_an_origin_is_a_config_error() {
        for bad in ["app.example.com", "https://app.example.com/", "ftp://x", "https://", "*"] {
            let error = fairing(&origins(&[bad]), "/cors").expect_err(bad);
            assert_eq!(error.variable, "CORS_ALLOWED_ORIGINS");
        }
    }
}
