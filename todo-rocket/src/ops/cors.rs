//! Cross-origin access for browser front ends served from another origin.
//!
//! Off unless origins are configured: with none, browsers keep their same-origin policy. Allowed origins may
//! call every route with `Authorization` and `Content-Type` headers (bearer tokens, not cookies, so no
//! credentials mode), `If-Match` (a task's safe write) and `Idempotency-Key` (a safe retry of a create), and read a
//! task's `ETag`. Preflights are answered, and a request from any other origin is refused with 403.

use rocket::http::Method;
use rocket_cors::{AllowedHeaders, AllowedOrigins, CorsOptions};

use crate::settings::ConfigError;

/// The CORS fairing for `origins` (checked by [`crate::ServerOptions`]: each is `scheme://host[:port]`), or `None`
/// when there are none. Refusals are routed under `error_base`, where this API's catchers turn them into problem
/// documents.
pub(crate) fn fairing(origins: &[String], error_base: &str) -> Result<Option<rocket_cors::Cors>, ConfigError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let methods = [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete];
    CorsOptions {
        allowed_origins: AllowedOrigins::some_exact(origins),
        allowed_methods: methods.into_iter().map(From::from).collect(),
        allowed_headers: AllowedHeaders::some(&[
            "Authorization",
            "Content-Type",
            "Accept",
            "If-Match",
            "Idempotency-Key",
        ]),
        expose_headers: ["Location", "WWW-Authenticate", "Retry-After", "ETag"].into_iter().map(String::from).collect(),
        allow_credentials: false,
        max_age: Some(600),
        fairing_route_base: error_base.to_owned(),
        ..CorsOptions::default()
    }
    .to_cors()
    .map(Some)
    .map_err(|error| ConfigError { variable: "CORS_ALLOWED_ORIGINS", reason: error.to_string() })
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
    fn what_is_not_a_url_is_a_config_error() {
        let error = fairing(&origins(&["app.example.com"]), "/cors").expect_err("not a URL");
        assert_eq!(error.variable, "CORS_ALLOWED_ORIGINS");
    }
}
