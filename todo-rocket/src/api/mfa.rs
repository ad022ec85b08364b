//! `/auth/mfa/*`: second factors (TOTP authenticators, recovery codes), the caller's factors, and the second step
//! of a sign-in.
//!
//! The answers that carry secrets (a TOTP secret, recovery codes, tokens) are sent with `Cache-Control: no-store`.

use std::fmt;

use rocket::fairing::AdHoc;
use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{delete, get, post, routes, State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use todo_core::{FactorId, Todo};
use utoipa::ToSchema;
use uuid::Uuid;

use super::responses::{self, BearerErrors, JsonBodyErrors, OwnedResourceErrors};
use super::wire::{tokens, TokenResponse, Tokens};
use crate::http::body::JsonBody;
use crate::http::client::RequestClient;
use crate::http::error::{ApiError, ApiResult};
use crate::http::guard::AuthUser;
use crate::http::headers::NoStore;
use crate::http::redacted::{redacted_if_sent, Redacted};
use crate::ops::metrics;

/// The stage of this area: its routes under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage(
        "second factors",
        mount_point,
        routes![enroll_totp, confirm_totp, factors, remove_factor, recovery_codes, verify],
    )
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

/// Body of `POST /auth/mfa/totp`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"password": "correct horse battery", "name": "Phone"}))]
pub struct EnrollTotpRequest {
    /// The account's password: required unless the session was won with two factors.
    #[schema(format = "password")]
    pub password: Option<String>,
    /// A name for the authenticator (default "Authenticator app"; at most 64 characters are kept).
    pub name: Option<String>,
}

impl fmt::Debug for EnrollTotpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollTotpRequest")
            .field("password", &redacted_if_sent(&self.password))
            .field("name", &self.name)
            .finish()
    }
}

/// A TOTP authenticator waiting for its first code: show the secret (or a QR code of the URI) once.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"factor_id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f71", "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "otpauth_uri": "otpauth://totp/app.example.com:ann%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=app.example.com"}))]
pub struct TotpEnrollment {
    /// The pending factor: confirm it at `POST /auth/mfa/totp/{factor_id}/confirm` within 15 minutes.
    pub factor_id: Uuid,
    /// The secret (base32), for typing into an authenticator app.
    pub secret: String,
    /// The `otpauth://totp/…` URI of the secret (RFC 6238: SHA-1, 6 digits, 30 seconds), for a QR code.
    pub otpauth_uri: String,
}

impl fmt::Debug for TotpEnrollment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TotpEnrollment")
            .field("factor_id", &self.factor_id)
            .field("secret", &Redacted)
            .field("otpauth_uri", &Redacted)
            .finish()
    }
}

/// Body of `POST /auth/mfa/totp/{factor_id}/confirm`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"code": "492039"}))]
pub struct ConfirmTotpRequest {
    /// The 6-digit code the authenticator app shows now.
    pub code: String,
}

impl fmt::Debug for ConfirmTotpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfirmTotpRequest").field("code", &Redacted).finish()
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

/// New recovery codes (the old ones no longer work).
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"recovery_codes": ["k7qm-2xwd-9fha-rt3e", "0p4s-8vnc-w2mk-7d6y"]}))]
pub struct RecoveryCodes {
    /// Ten single-use codes (16 characters of Crockford's base32 in groups of four; case, spaces and dashes do
    /// not matter when typed back). Shown only this once.
    pub recovery_codes: Vec<String>,
}

impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveryCodes").field("recovery_codes", &Redacted).finish()
    }
}

/// Body of `POST /auth/mfa/verify`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"mfa_token": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n", "code": "492039"}))]
pub struct VerifyMfaRequest {
    /// The `mfa_token` of the `second-step-required` problem.
    pub mfa_token: String,
    /// A 6-digit TOTP code, or one of the account's recovery codes.
    pub code: String,
}

impl fmt::Debug for VerifyMfaRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyMfaRequest").field("mfa_token", &Redacted).field("code", &Redacted).finish()
    }
}

/// A factor id from the path: one that is not a UUID names no factor of the caller's (404).
fn factor_id(id: &str) -> Result<FactorId, ApiError> {
    id.parse().map_err(|_| ApiError::Core(todo_core::Error::NotFound))
}

/// Start adding a TOTP authenticator: a pending factor, in force once a code confirms it.
///
/// A session won with one factor must send the account's password (its check counts against the same budgets
/// as a login's); a two-factor session sends `{}`. A new enrolment replaces one still pending.
#[utoipa::path(
    post, path = "/auth/mfa/totp", tag = "mfa", operation_id = "enrollTotp",
    request_body = EnrollTotpRequest,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 201, description = "Pending: show the secret, then confirm with a code", body = TotpEnrollment,
            headers(("Cache-Control" = String, description = "`no-store`: the answer carries a secret"))),
        JsonBodyErrors,
        BearerErrors,
        (status = 403, response = responses::WrongPassword),
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[post("/auth/mfa/totp", data = "<body>")]
async fn enroll_totp(
    todo: &State<Todo>,
    auth: AuthUser,
    client: RequestClient,
    body: JsonBody<EnrollTotpRequest>,
) -> ApiResult<NoStore<Custom<Json<TotpEnrollment>>>> {
    let EnrollTotpRequest { password, name } = body.0;
    let accounts = todo.accounts();
    let enrolment = accounts.enroll_totp(&auth.owner, password.as_deref(), name.as_deref(), &client.0).await;
    let enrolment = enrolment.inspect_err(metrics::refusal_of("password"))?;
    let body = TotpEnrollment {
        factor_id: enrolment.factor_id.as_uuid(),
        secret: enrolment.secret().to_owned(),
        otpauth_uri: enrolment.otpauth_uri().to_owned(),
    };
    Ok(NoStore(Custom(Status::Created, Json(body))))
}

/// Confirm a pending TOTP authenticator with a code from it. The account's first factor also raises this
/// session to two factors, ends every other session, and answers the recovery codes.
#[utoipa::path(
    post, path = "/auth/mfa/totp/{factor_id}/confirm", tag = "mfa", operation_id = "confirmTotp",
    params(("factor_id" = Uuid, Path, description = "The pending factor's id")),
    request_body = ConfirmTotpRequest,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "In force; `recovery_codes` when it is the account's first factor",
            body = ConfirmedFactor,
            headers(("Cache-Control" = String, description = "`no-store`: the answer may carry recovery codes"))),
        JsonBodyErrors,
        OwnedResourceErrors,
    )
)]
#[post("/auth/mfa/totp/<factor_id>/confirm", data = "<body>")]
async fn confirm_totp(
    todo: &State<Todo>,
    auth: AuthUser,
    factor_id: &str,
    body: JsonBody<ConfirmTotpRequest>,
) -> ApiResult<NoStore<Json<ConfirmedFactor>>> {
    let factor = self::factor_id(factor_id)?;
    let confirmed = todo.accounts().confirm_totp(&auth.owner, factor, &body.0.code).await?;
    Ok(NoStore(Json(ConfirmedFactor { factor: confirmed.factor.into(), recovery_codes: confirmed.recovery_codes })))
}

/// The caller's second factors (confirmed ones), oldest first.
#[utoipa::path(
    get, path = "/auth/mfa/factors", tag = "mfa", operation_id = "listFactors",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The factors; empty when sign-ins need one factor", body = Vec<Factor>),
        BearerErrors,
    )
)]
#[get("/auth/mfa/factors")]
async fn factors(todo: &State<Todo>, auth: AuthUser) -> ApiResult<Json<Vec<Factor>>> {
    let factors = todo.accounts().factors(&auth.owner).await?;
    Ok(Json(factors.into_iter().map(Factor::from).collect()))
}

/// Remove one of the caller's factors (needs a two-factor session). Removing the last one also removes the
/// recovery codes: sign-ins need one factor again.
#[utoipa::path(
    delete, path = "/auth/mfa/factors/{id}", tag = "mfa", operation_id = "removeFactor",
    params(("id" = Uuid, Path, description = "The factor's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, response = responses::TwoFactorSessionRequired),
        OwnedResourceErrors,
    )
)]
#[delete("/auth/mfa/factors/<id>")]
async fn remove_factor(todo: &State<Todo>, auth: AuthUser, id: &str) -> ApiResult<Status> {
    todo.accounts().remove_factor(&auth.owner, factor_id(id)?).await?;
    Ok(Status::NoContent)
}

/// Ten new recovery codes (needs a two-factor session); the old ones stop working.
#[utoipa::path(
    post, path = "/auth/mfa/recovery-codes", tag = "mfa", operation_id = "regenerateRecoveryCodes",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The new codes, shown only this once", body = RecoveryCodes,
            headers(("Cache-Control" = String, description = "`no-store`: the answer carries the codes"))),
        BearerErrors,
        (status = 403, response = responses::TwoFactorSessionRequired),
        (status = 422, response = responses::Unprocessable),
    )
)]
#[post("/auth/mfa/recovery-codes")]
async fn recovery_codes(todo: &State<Todo>, auth: AuthUser) -> ApiResult<NoStore<Json<RecoveryCodes>>> {
    let recovery_codes = todo.accounts().regenerate_recovery_codes(&auth.owner).await?;
    Ok(NoStore(Json(RecoveryCodes { recovery_codes })))
}

/// Finish a sign-in's second step with a TOTP code or a recovery code: the tokens of a two-factor session.
///
/// A wrong code is 401; the fifth wrong code voids the `mfa_token` (sign in again). Every code tried counts
/// against the account's failed-password budgets first (429 when spent), and is given back when right.
#[utoipa::path(
    post, path = "/auth/mfa/verify", tag = "mfa", operation_id = "verifySecondStep",
    request_body = VerifyMfaRequest,
    responses(
        (status = 200, description = "Signed in with two factors", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        JsonBodyErrors,
        (status = 401, response = responses::SecondStepRefused),
        (status = 429, response = responses::TooManyRequests),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/mfa/verify", data = "<body>")]
async fn verify(todo: &State<Todo>, client: RequestClient, body: JsonBody<VerifyMfaRequest>) -> ApiResult<Tokens> {
    let VerifyMfaRequest { mfa_token, code } = body.0;
    let login = todo.accounts().verify_second_step(&mfa_token, &code, &client.0).await;
    Ok(tokens(login.inspect_err(metrics::refusal_of("password"))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_secrets_codes_or_tokens() {
        let shown = [
            format!("{:?}", EnrollTotpRequest { password: Some("hunter2".into()), name: Some("Phone".into()) }),
            format!(
                "{:?}",
                TotpEnrollment {
                    factor_id: Uuid::nil(),
                    secret: "HUNTER2".into(),
                    otpauth_uri: "otpauth://hunter2".into()
                }
            ),
            format!("{:?}", ConfirmTotpRequest { code: "hunter2".into() }),
            format!("{:?}", RecoveryCodes { recovery_codes: vec!["hunter2".into()] }),
            format!("{:?}", VerifyMfaRequest { mfa_token: "hunter2".into(), code: "hunter2".into() }),
        ];
        for shown in shown {
            assert!(!shown.to_lowercase().contains("hunter2"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }
}
