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
use todo_core::{FactorId, Todo};
use utoipa::ToSchema;
use uuid::Uuid;

use super::responses::{self, BearerErrors, JsonBodyErrors, OwnedResourceErrors};
use super::wire::{tokens, ConfirmedFactor, Factor, PasskeyOptions, TokenResponse, Tokens};
use crate::http::body::JsonBody;
use crate::http::client::RequestClient;
use crate::http::error::{path_id, ApiResult};
use crate::http::guard::AuthUser;
use crate::http::headers::NoStore;
use crate::http::redacted::{redacted_if_sent, Redacted};
use crate::ops::metrics;

/// The stage of this area: its routes under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage(
        "second factors",
        mount_point,
        routes![enroll_totp, confirm_totp, factors, remove_factor, recovery_codes, passkey_options, verify],
    )
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

/// Body of `POST /auth/mfa/verify`: the `mfa_token` and exactly one of `code` and `credential`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"mfa_token": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n", "code": "492039"}))]
pub struct VerifyMfaRequest {
    /// The `mfa_token` of the `second-step-required` problem.
    pub mfa_token: String,
    /// A 6-digit TOTP code, or one of the account's recovery codes.
    pub code: Option<String>,
    /// A passkey's answer (the assertion, as `PublicKeyCredential.toJSON()` gives it) to the options of
    /// `POST /auth/mfa/passkey/options`.
    #[schema(value_type = Option<Object>)]
    pub credential: Option<serde_json::Value>,
}

impl fmt::Debug for VerifyMfaRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyMfaRequest")
            .field("mfa_token", &Redacted)
            .field("code", &redacted_if_sent(&self.code))
            .field("credential", &redacted_if_sent(&self.credential))
            .finish()
    }
}

/// Body of `POST /auth/mfa/passkey/options`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"mfa_token": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n"}))]
pub struct SecondStepPasskeyRequest {
    /// The `mfa_token` of the `second-step-required` problem.
    pub mfa_token: String,
}

impl fmt::Debug for SecondStepPasskeyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecondStepPasskeyRequest").field("mfa_token", &Redacted).finish()
    }
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
    let factor: FactorId = path_id(factor_id)?;
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
    todo.accounts().remove_factor(&auth.owner, path_id(id)?).await?;
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

/// The options for the passkey of a second step (the account's passkeys), for `navigator.credentials.get()`;
/// send the browser's answer to `POST /auth/mfa/verify` as `credential`. Takes none of the token's attempts.
#[utoipa::path(
    post, path = "/auth/mfa/passkey/options", tag = "mfa", operation_id = "secondStepPasskeyOptions",
    request_body = SecondStepPasskeyRequest,
    responses(
        (status = 200, description = "The options", body = PasskeyOptions,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        JsonBodyErrors,
        (status = 401, response = responses::SecondStepRefused),
        (status = 501, response = responses::PasskeysUnavailable),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/mfa/passkey/options", data = "<body>")]
async fn passkey_options(
    todo: &State<Todo>,
    body: JsonBody<SecondStepPasskeyRequest>,
) -> ApiResult<NoStore<Json<PasskeyOptions>>> {
    Ok(NoStore(Json(todo.accounts().second_step_passkey_options(&body.0.mfa_token).await?.into())))
}

/// Finish a sign-in's second step with a TOTP code, a recovery code, or a passkey: the tokens of a two-factor
/// session.
///
/// Send `code` (a TOTP code or a recovery code) or `credential` (a passkey's answer to
/// `POST /auth/mfa/passkey/options`), not both. A wrong one is 401; the fifth wrong one voids the `mfa_token`
/// (sign in again). Every attempt counts against the account's failed-password budgets first (429 when spent), and
/// is given back when right.
#[utoipa::path(
    post, path = "/auth/mfa/verify", tag = "mfa", operation_id = "verifySecondStep",
    request_body = VerifyMfaRequest,
    responses(
        (status = 200, description = "Signed in with two factors", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        JsonBodyErrors,
        (status = 401, response = responses::SecondStepRefused),
        (status = 429, response = responses::TooManyRequests),
        (status = 501, response = responses::PasskeysUnavailable),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/mfa/verify", data = "<body>")]
async fn verify(todo: &State<Todo>, client: RequestClient, body: JsonBody<VerifyMfaRequest>) -> ApiResult<Tokens> {
    let VerifyMfaRequest { mfa_token, code, credential } = body.0;
    let accounts = todo.accounts();
    let login = match (code, credential) {
        (Some(code), None) => accounts.verify_second_step(&mfa_token, &code, &client.0).await,
        (None, Some(credential)) => accounts.verify_second_step_passkey(&mfa_token, &credential, &client.0).await,
        _ => return Err(todo_core::Error::invalid("code", "send either a code or a passkey's credential").into()),
    };
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
            format!(
                "{:?}",
                VerifyMfaRequest { mfa_token: "hunter2".into(), code: Some("hunter2".into()), credential: None }
            ),
            format!("{:?}", SecondStepPasskeyRequest { mfa_token: "hunter2".into() }),
        ];
        for shown in shown {
            assert!(!shown.to_lowercase().contains("hunter2"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }
}
