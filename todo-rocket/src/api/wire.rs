//! The response types that several areas send: the [`User`] (signup, the current user, email verification) and
//! the [`TokenResponse`] of a session (login, refresh, password change and reset), sent as [`Tokens`]. Used by
//! the route modules.

use std::fmt;

use rocket::serde::json::Json;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::headers::NoStore;
use crate::http::redacted::Redacted;

/// A registered user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f70", "email": "ann@example.com", "created_at": "2026-01-12T09:30:00Z", "email_verified_at": null}))]
pub struct User {
    /// The user's id (UUIDv7).
    pub id: Uuid,
    /// The email in its canonical form: lower-case, the domain in its IDNA ASCII form.
    pub email: String,
    /// When the account was created (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the email was verified (a verification or password-reset link was followed), or `null`.
    #[serde(with = "time::serde::rfc3339::option")]
    pub email_verified_at: Option<OffsetDateTime>,
}

impl From<todo_core::User> for User {
    fn from(user: todo_core::User) -> Self {
        Self {
            id: user.id.as_uuid(),
            email: user.email.to_string(),
            created_at: user.created_at,
            email_verified_at: user.email_verified_at,
        }
    }
}

/// The tokens of a session (the OAuth 2.0 token response of RFC 6749 §5.1).
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2lnbmF0dXJl", "token_type": "bearer", "expires_in": 3600, "refresh_token": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n"}))]
pub struct TokenResponse {
    /// The JWT to send as `Authorization: Bearer <token>`; it names its session (`sid`).
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: TokenType,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Exchange it at `POST /auth/refresh` for new tokens before the session expires (`REFRESH_TTL_SECONDS`
    /// after it was issued). It works once: the response carries its successor.
    #[schema(min_length = 43, pattern = "^[A-Za-z0-9_-]+$")]
    pub refresh_token: String,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &Redacted)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &Redacted)
            .finish()
    }
}

/// The OAuth 2.0 token type: this API issues bearer tokens only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// Send as `Authorization: Bearer <access_token>`.
    Bearer,
}

impl From<todo_core::Login> for TokenResponse {
    fn from(login: todo_core::Login) -> Self {
        Self {
            access_token: login.token.access_token,
            token_type: TokenType::Bearer,
            expires_in: login.token.expires_in,
            refresh_token: login.refresh_token.into_string(),
        }
    }
}

/// The answer of every route that hands out a session's tokens: never cached (RFC 6749 §5.1).
pub(crate) type Tokens = NoStore<Json<TokenResponse>>;

/// The tokens of `login`, as every route that hands them out sends them.
pub(crate) fn tokens(login: todo_core::Login) -> Tokens {
    NoStore(Json(login.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_tokens() {
        let response = TokenResponse {
            access_token: "access secret".into(),
            token_type: TokenType::Bearer,
            expires_in: 3600,
            refresh_token: "refresh secret".into(),
        };
        let shown = format!("{response:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("3600"), "{shown}");
    }
}
