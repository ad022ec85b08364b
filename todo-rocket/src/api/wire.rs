//! The response types that several areas send: the [`User`] (signup, the current user, email verification), the
//! [`TokenResponse`] of a session (login, refresh, password change and reset, the second step, passkeys), sent as
//! [`Tokens`], a second [`Factor`] and a [`ConfirmedFactor`] (TOTP and passkeys), and the [`PasskeyOptions`] of a
//! WebAuthn ceremony (passkeys and the second step). Used by the route modules.

use std::fmt;

use rocket::serde::json::Json;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::headers::NoStore;
use crate::http::redacted::{redacted_if_sent, Redacted};

/// A registered user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f70", "email": "ann@example.com", "created_at": "2026-01-12T09:30:00Z", "email_verified_at": null, "has_password": true}))]
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
    /// Whether the account has a password. One made by a sign-in at an identity provider has none: it signs in
    /// through its provider, a sign-in link or a passkey, and gets a password through "forgot password".
    pub has_password: bool,
}

impl From<todo_core::User> for User {
    fn from(user: todo_core::User) -> Self {
        Self {
            id: user.id.as_uuid(),
            email: user.email.to_string(),
            created_at: user.created_at,
            email_verified_at: user.email_verified_at,
            has_password: user.has_password,
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

/// A confirmed second factor.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f71", "kind": "totp", "name": "Authenticator app",
    "created_at": "2026-01-12T09:30:00Z", "last_used_at": "2026-01-19T08:02:11Z"}))]
pub struct Factor {
    /// The factor's id (UUIDv7).
    pub id: Uuid,
    /// `totp` (an authenticator app) or `passkey`.
    pub kind: FactorKind,
    /// The name given when it was added.
    #[schema(max_length = 64)]
    pub name: String,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last finished a sign-in (or was confirmed), or null.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(required = true)]
    pub last_used_at: Option<OffsetDateTime>,
}

/// The kind of a factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FactorKind {
    /// A TOTP authenticator app.
    Totp,
    /// A passkey.
    Passkey,
}

impl From<todo_core::Factor> for Factor {
    fn from(factor: todo_core::Factor) -> Self {
        Self {
            id: factor.id.as_uuid(),
            kind: match factor.kind {
                todo_core::FactorKind::Totp => FactorKind::Totp,
                todo_core::FactorKind::Passkey => FactorKind::Passkey,
            },
            name: factor.name,
            created_at: factor.created_at,
            last_used_at: factor.last_used_at,
        }
    }
}

/// A factor now in force, and, when it is the account's first, its recovery codes (shown only this once).
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"factor": {"id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f71", "kind": "totp", "name": "Phone",
    "created_at": "2026-01-12T09:30:00Z", "last_used_at": "2026-01-12T09:31:02Z"},
    "recovery_codes": ["k7qm-2xwd-9fha-rt3e", "0p4s-8vnc-w2mk-7d6y"]}))]
pub struct ConfirmedFactor {
    /// The factor.
    pub factor: Factor,
    /// Ten single-use recovery codes, present only when this is the account's first factor. They are stored
    /// hashed: show them now, they cannot be read again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<Vec<String>>,
}

impl fmt::Debug for ConfirmedFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfirmedFactor")
            .field("factor", &self.factor)
            .field("recovery_codes", &redacted_if_sent(&self.recovery_codes))
            .finish()
    }
}

/// The options of a passkey ceremony, for the browser.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"challenge_id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f72", "options": {"publicKey": {
    "challenge": "tW0nVbZ1Zx8p3q2m9Yd0xJkQbq1m0kq3U1vS4hX9f3k", "rpId": "app.example.com", "timeout": 300000,
    "allowCredentials": [], "userVerification": "required"}}}))]
pub struct PasskeyOptions {
    /// Send it back with the browser's answer, within 5 minutes; it works once.
    pub challenge_id: Uuid,
    /// `{"publicKey": …}`: `PublicKeyCredentialCreationOptions` (adding a passkey: resident key and user
    /// verification required) or `PublicKeyCredentialRequestOptions` (signing in), in the WebAuthn JSON encoding
    /// (binary fields in base64url). Pass `publicKey` to `PublicKeyCredential.parseCreationOptionsFromJSON()` or
    /// `parseRequestOptionsFromJSON()`, or to `@simplewebauthn/browser`.
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
}

impl From<todo_core::PasskeyOptions> for PasskeyOptions {
    fn from(options: todo_core::PasskeyOptions) -> Self {
        Self { challenge_id: options.challenge_id.as_uuid(), options: options.options }
    }
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
