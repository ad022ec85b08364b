//! Email verification and password recovery: `/auth/email/*` and `/auth/password/{forgot,reset}`.
//!
//! Mails go out after the answer ([`super::mail`]), so `forgot` answers in the same time whether or not an
//! account has the email.

use std::fmt;

use rocket::fairing::AdHoc;
use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{post, routes, State};
use serde::{Deserialize, Serialize};
use todo_core::{Email, Todo};
use utoipa::ToSchema;

use super::mail::mail_after_the_answer;
use super::responses::{self, BearerErrors, JsonBodyErrors, MailTokenBodyErrors};
use super::wire::{tokens, TokenResponse, Tokens, User};
use crate::http::body::JsonBody;
use crate::http::client::RequestClient;
use crate::http::error::ApiResult;
use crate::http::guard::AuthUser;
use crate::http::headers::UserAgent;
use crate::http::redacted::Redacted;
use crate::ops::metrics;

/// The stage of this area: its routes under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage("email verification and password recovery", mount_point, routes![verify, resend, forgot, reset])
}

/// Body of `POST /auth/email/verify`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"token": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n"}))]
pub struct VerifyEmailRequest {
    /// The `token` parameter of the link in the verification mail.
    pub token: String,
}

impl fmt::Debug for VerifyEmailRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyEmailRequest").field("token", &Redacted).finish()
    }
}

/// Body of `POST /auth/password/forgot`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ann@example.com"}))]
pub struct ForgotPasswordRequest {
    /// The account's email, in any spelling of it (case, an internationalised domain in Unicode or ASCII).
    #[schema(format = "email", max_length = 254)]
    pub email: String,
}

/// Body of `POST /auth/password/reset`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"token": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n", "new_password": "a longer passphrase"}))]
pub struct ResetPasswordRequest {
    /// The `token` parameter of the link in the password-reset mail.
    pub token: String,
    /// The new password: 8 characters to 72 bytes.
    #[schema(format = "password", min_length = 8)]
    pub new_password: String,
}

impl fmt::Debug for ResetPasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetPasswordRequest").field("token", &Redacted).field("new_password", &Redacted).finish()
    }
}

/// The answer of the routes that send a mail later: the same whatever happens next.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"status": "accepted", "detail": "If an account has this email, a link to reset its password is on its way."}))]
pub struct MailAccepted {
    /// Always `accepted`.
    pub status: String,
    /// What happens next, for people.
    pub detail: String,
}

pub(crate) fn accepted(detail: &str) -> Custom<Json<MailAccepted>> {
    Custom(Status::Accepted, Json(MailAccepted { status: "accepted".into(), detail: detail.into() }))
}

/// Verify the email with the token of a verification link.
#[utoipa::path(
    post, path = "/auth/email/verify", tag = "auth", operation_id = "verifyEmail",
    request_body = VerifyEmailRequest,
    responses(
        (status = 200, description = "Verified: the user, with `email_verified_at` set", body = User),
        MailTokenBodyErrors,
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/email/verify", data = "<body>")]
async fn verify(todo: &State<Todo>, body: JsonBody<VerifyEmailRequest>) -> ApiResult<Json<User>> {
    Ok(Json(todo.accounts().verify_email(&body.0.token).await?.into()))
}

/// Send the verification mail again (at most one a minute).
#[utoipa::path(
    post, path = "/auth/email/verify/resend", tag = "auth", operation_id = "resendVerificationEmail",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 202, description = "A new link is on its way; older links stop working", body = MailAccepted),
        BearerErrors,
        (status = 409, response = responses::AlreadyVerified),
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[post("/auth/email/verify/resend")]
async fn resend(todo: &State<Todo>, auth: AuthUser) -> ApiResult<Custom<Json<MailAccepted>>> {
    let mail = todo.accounts().resend_verification_mail(&auth.owner).await?;
    mail_after_the_answer("verification", async { Ok(Some(mail)) });
    Ok(accepted("A new verification link is on its way; older links no longer work."))
}

/// Ask for a password-reset link by mail. The answer is the same whether or not an account has the email.
#[utoipa::path(
    post, path = "/auth/password/forgot", tag = "auth", operation_id = "forgotPassword",
    request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "Accepted: if an account has this email, a link is on its way (the same \
            answer, in about the same time, when none has)", body = MailAccepted),
        JsonBodyErrors,
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[post("/auth/password/forgot", data = "<body>")]
async fn forgot(
    todo: &State<Todo>,
    client: RequestClient,
    body: JsonBody<ForgotPasswordRequest>,
) -> ApiResult<Custom<Json<MailAccepted>>> {
    let email = Email::parse(&body.0.email)?;
    let admitted = todo.accounts().admit_password_reset(&email, &client.0).await;
    admitted.inspect_err(metrics::refusal_of("password_reset"))?;
    // Everything that depends on whether the account exists happens after the answer.
    let accounts = todo.accounts().clone();
    mail_after_the_answer("password reset", async move { accounts.password_reset_mail(&email).await });
    Ok(accepted("If an account has this email, a link to reset its password is on its way."))
}

/// Set a new password with the token of a password-reset link; every session ends and a new one starts.
///
/// For an account with a second factor the link is a first factor only: the password is set and every session
/// ends all the same, but the answer is 403 `second-step-required` with an `mfa_token` for `POST /auth/mfa/verify`.
#[utoipa::path(
    post, path = "/auth/password/reset", tag = "auth", operation_id = "resetPassword",
    request_body = ResetPasswordRequest,
    responses(
        (status = 200, description = "Reset: the tokens of a new session (every other session has ended); the \
            email counts as verified", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        (status = 403, response = responses::SecondStepRequired),
        MailTokenBodyErrors,
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/password/reset", data = "<body>")]
async fn reset(todo: &State<Todo>, user_agent: UserAgent, body: JsonBody<ResetPasswordRequest>) -> ApiResult<Tokens> {
    let body = body.0;
    let login = todo.accounts().reset_password(&body.token, &body.new_password, user_agent.0.as_deref()).await?;
    Ok(tokens(login))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_link_tokens_or_the_password() {
        let verify = VerifyEmailRequest { token: "verify-link-secret".into() };
        let reset = ResetPasswordRequest { token: "reset-link-secret".into(), new_password: "new secret".into() };
        for shown in [format!("{verify:?}"), format!("{reset:?}")] {
            assert!(!shown.contains("secret"), "{shown}");
            assert!(shown.contains(r#""<redacted>""#), "{shown}");
        }
    }
}
