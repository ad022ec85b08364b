//! `/auth/magic-link`: sign-in links by mail, and signing in with one.
//!
//! The request is answered alike whether or not an account has the email, and the mail goes out after the answer
//! ([`super::mail`]).

use std::fmt;

use rocket::fairing::AdHoc;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{post, routes, State};
use serde::Deserialize;
use todo_core::{Email, Todo};
use utoipa::ToSchema;

use super::email::{accepted, MailAccepted};
use super::mail::mail_after_the_answer;
use super::responses::{self, JsonBodyErrors, MailTokenBodyErrors};
use super::wire::{tokens, TokenResponse, Tokens};
use crate::http::body::JsonBody;
use crate::http::client::RequestClient;
use crate::http::error::ApiResult;
use crate::http::redacted::Redacted;
use crate::ops::metrics;

/// The stage of this area: its routes under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage("sign-in links", mount_point, routes![request, verify])
}

/// Body of `POST /auth/magic-link`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ann@example.com"}))]
pub struct SignInLinkRequest {
    /// The account's email, in any spelling of it.
    #[schema(format = "email", max_length = 254)]
    pub email: String,
}

/// Body of `POST /auth/magic-link/verify`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"token": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n"}))]
pub struct SignInWithLinkRequest {
    /// The `token` parameter of the link in the sign-in mail.
    pub token: String,
}

impl fmt::Debug for SignInWithLinkRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInWithLinkRequest").field("token", &Redacted).finish()
    }
}

/// Ask for a sign-in link by mail (it opens `{APP_URL}/magic-link?token=…`, works once, for 15 minutes; the
/// newest voids the older ones). The answer is the same whether or not an account has the email.
#[utoipa::path(
    post, path = "/auth/magic-link", tag = "auth", operation_id = "requestSignInLink",
    request_body = SignInLinkRequest,
    responses(
        (status = 202, description = "Accepted: if an account has this email, a link is on its way (the same \
            answer, in about the same time, when none has)", body = MailAccepted),
        JsonBodyErrors,
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[post("/auth/magic-link", data = "<body>")]
async fn request(
    todo: &State<Todo>,
    client: RequestClient,
    body: JsonBody<SignInLinkRequest>,
) -> ApiResult<Custom<Json<MailAccepted>>> {
    let email = Email::parse(&body.0.email)?;
    let admitted = todo.accounts().admit_sign_in_link(&email, &client.0).await;
    admitted.inspect_err(metrics::refusal_of("sign_in_link"))?;
    let accounts = todo.accounts().clone();
    mail_after_the_answer("sign-in link", async move { accounts.sign_in_link_mail(&email).await });
    Ok(accepted("If an account has this email, a sign-in link is on its way."))
}

/// Sign in with the token of a sign-in link: the tokens of a new session; the email counts as verified. For an
/// account with a second factor, 403 `second-step-required` instead.
#[utoipa::path(
    post, path = "/auth/magic-link/verify", tag = "auth", operation_id = "signInWithLink",
    request_body = SignInWithLinkRequest,
    responses(
        (status = 200, description = "Signed in: the tokens of a new session", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        (status = 403, response = responses::SecondStepRequired),
        MailTokenBodyErrors,
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/magic-link/verify", data = "<body>")]
async fn verify(todo: &State<Todo>, client: RequestClient, body: JsonBody<SignInWithLinkRequest>) -> ApiResult<Tokens> {
    Ok(tokens(todo.accounts().sign_in_with_link(&body.0.token, &client.0).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_link_token() {
        let shown = format!("{:?}", SignInWithLinkRequest { token: "link-secret".into() });
        assert!(!shown.contains("secret"), "{shown}");
    }
}
