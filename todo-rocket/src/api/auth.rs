//! `/auth/*` accounts: signup, login (JSON or the OAuth2 form), the current user, password change, logout and
//! account deletion. Sessions and refresh live in `sessions.rs`.

use std::fmt;

use rocket::fairing::AdHoc;
use rocket::http::uri::Origin;
use rocket::http::Status;
use rocket::response::status::Created;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, State};
use serde::{Deserialize, Serialize};
use todo_core::{LogoutScope, Todo};
use utoipa::{IntoParams, ToSchema};

use super::grant::{LoginRequest, TokenForm, TokenGrant};
use super::mail::mail_after_the_answer;
use super::responses::{self, BearerErrors, JsonBodyErrors};
use super::wire::{tokens, TokenResponse, Tokens, User};
use crate::http::body::JsonBody;
use crate::http::client::RequestClient;
use crate::http::error::{ApiError, ApiResult};
use crate::http::guard::AuthUser;
use crate::http::location::MountBase;
use crate::http::problem::FieldProblem;
use crate::http::query::Query;
use crate::http::redacted::Redacted;
use crate::ops::metrics;

/// The stage of this area: its routes under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage("accounts", mount_point, routes![signup, login, me, change_password, logout, delete_me])
}

/// Signup body.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "ann@example.com", "password": "correct horse battery"}))]
pub struct SignupRequest {
    /// A valid address. Stored in its canonical form (trimmed, lower-cased, the domain in its IDNA ASCII form,
    /// the local part in Unicode NFC), at most 254 characters: every spelling of one mailbox is one account.
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    /// 8 characters to 72 bytes (bcrypt's limit; longer input is refused, not truncated).
    #[schema(min_length = 8, format = "password")]
    pub password: String,
}

impl fmt::Debug for SignupRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupRequest").field("email", &self.email).field("password", &Redacted).finish()
    }
}

/// Register a new user.
#[utoipa::path(
    post, path = "/auth/signup", tag = "auth", operation_id = "signup",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Registered", body = User,
            headers(("Location" = String, description = "The current user's resource: `/auth/me`"))),
        JsonBodyErrors,
        (status = 409, response = responses::Conflict),
        (status = 429, response = responses::TooManyRequests),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/signup", data = "<body>")]
async fn signup(
    todo: &State<Todo>,
    client: RequestClient,
    base: MountBase,
    body: JsonBody<SignupRequest>,
) -> ApiResult<Created<Json<User>>> {
    let signup = todo.accounts().signup_from(&body.0.email, &body.0.password, &client.0).await;
    let user = signup.inspect_err(metrics::refusal_of("signup"))?;
    // The verification mail goes out after the answer; a failure is logged and never fails the signup.
    let (accounts, new_user) = (todo.accounts().clone(), user.clone());
    mail_after_the_answer("verification", async move { accounts.verification_mail(&new_user).await.map(Some) });
    Ok(Created::new(base.join("/auth/me")).body(Json(user.into())))
}

/// Log in with email and password, starting a session; or, with the OAuth2 form's `refresh_token` grant,
/// refresh one (as `POST /auth/refresh` does).
///
/// Accepts JSON or the OAuth2 form. An unknown email and a wrong password get the same 401. For an account with
/// a second factor, the right password answers 403 `second-step-required` with an `mfa_token`: finish at
/// `POST /auth/mfa/verify`.
#[utoipa::path(
    post, path = "/auth/login", tag = "auth", operation_id = "login",
    request_body(content(
        (LoginRequest = "application/json"),
        (TokenForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Logged in (or refreshed): the tokens of the session", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        JsonBodyErrors,
        (status = 401, response = responses::InvalidCredentials),
        (status = 403, response = responses::SignInNotFinished),
        (status = 429, response = responses::TooManyRequests),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/login", data = "<body>")]
async fn login(todo: &State<Todo>, client: RequestClient, body: TokenGrant) -> ApiResult<Tokens> {
    let (email, password) = match body {
        TokenGrant::Password { email, password } => (email, password),
        TokenGrant::RefreshToken(token) => return Ok(tokens(todo.accounts().refresh(&token).await?)),
    };
    // The library admits the password check against the abuse limits before it runs; each outcome is counted here.
    match todo.accounts().login_from(&email, &password, &client.0).await {
        Ok(login) => {
            metrics::login("success");
            Ok(tokens(login))
        }
        Err(error @ todo_core::Error::RateLimited { .. }) => {
            metrics::login_refused();
            Err(error.into())
        }
        Err(error @ todo_core::Error::InvalidCredentials) => {
            metrics::login("invalid_credentials");
            Err(error.into())
        }
        Err(error @ todo_core::Error::EmailNotVerified) => {
            metrics::login("not_verified");
            Err(error.into())
        }
        Err(error @ todo_core::Error::SecondStepRequired(_)) => {
            metrics::login("second_step");
            Err(error.into())
        }
        Err(error) => {
            metrics::login("error");
            Err(error.into())
        }
    }
}

/// The current user.
#[utoipa::path(
    get, path = "/auth/me", tag = "auth", operation_id = "me",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The user the token belongs to", body = User),
        BearerErrors,
    )
)]
#[get("/auth/me")]
fn me(auth: AuthUser) -> Json<User> {
    Json(auth.user.into())
}

/// Body of `PUT /auth/password`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"current_password": "correct horse battery", "new_password": "a longer passphrase"}))]
pub struct ChangePasswordRequest {
    /// The password in use now.
    #[schema(format = "password")]
    pub current_password: String,
    /// The new password: 8 characters to 72 bytes.
    #[schema(format = "password", min_length = 8)]
    pub new_password: String,
}

impl fmt::Debug for ChangePasswordRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangePasswordRequest")
            .field("current_password", &Redacted)
            .field("new_password", &Redacted)
            .finish()
    }
}

/// Body of `DELETE /auth/me`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"password": "correct horse battery"}))]
pub struct DeleteAccountRequest {
    /// The account's password, as proof.
    #[schema(format = "password")]
    pub password: String,
}

impl fmt::Debug for DeleteAccountRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeleteAccountRequest").field("password", &Redacted).finish()
    }
}

/// Change the password; every session ends (their tokens stop working), and the tokens of a new one are returned.
#[utoipa::path(
    put, path = "/auth/password", tag = "auth", operation_id = "changePassword",
    request_body = ChangePasswordRequest,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Changed; use these new tokens (a new session)", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        JsonBodyErrors,
        BearerErrors,
        (status = 403, response = responses::WrongPassword),
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[put("/auth/password", data = "<body>")]
async fn change_password(
    todo: &State<Todo>,
    auth: AuthUser,
    client: RequestClient,
    body: JsonBody<ChangePasswordRequest>,
) -> ApiResult<Tokens> {
    let body = body.0;
    let accounts = todo.accounts();
    let changed = accounts.change_password_from(&auth.owner, &body.current_password, &body.new_password, &client.0);
    Ok(tokens(changed.await.inspect_err(metrics::refusal_of("password_check"))?))
}

/// Query of `POST /auth/logout`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameter; the handler reads it as a raw string to answer 422 itself
struct LogoutParams {
    /// Which sessions end: `global` (every session of the user), `local` (the one of the token sent) or
    /// `others` (all but that one).
    #[param(inline)]
    scope: Option<LogoutScopeParam>,
}

/// The sessions `POST /auth/logout` ends.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
enum LogoutScopeParam {
    /// Every session of the user.
    #[default]
    Global,
    /// Only the session of the token sent.
    Local,
    /// Every session but the one of the token sent.
    Others,
}

/// Log out: end the sessions `scope` names (by default all of them). Their access and refresh tokens are refused
/// from then on, on every server instance.
#[utoipa::path(
    post, path = "/auth/logout", tag = "auth", operation_id = "logout",
    params(LogoutParams),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "The sessions are ended"),
        BearerErrors,
        (status = 422, response = responses::Unprocessable),
    )
)]
#[post("/auth/logout")]
async fn logout(todo: &State<Todo>, auth: AuthUser, uri: &Origin<'_>) -> ApiResult<Status> {
    let mut query = Query::of(uri);
    let scope = query.single("scope");
    query.finish()?;
    let scope = match scope {
        Some(scope) => scope.parse().map_err(|error: todo_core::Error| {
            ApiError::InvalidQuery(error.field_errors().iter().map(FieldProblem::from).collect())
        })?,
        None => LogoutScope::Global,
    };
    todo.accounts().logout(&auth.owner, scope).await?;
    Ok(Status::NoContent)
}

/// Delete the account (the password is required as proof): its inbox and every list no one else is a member of go
/// with it, with their tasks. A shared list it owns is handed to another member (the highest role, then the
/// longest-standing), and tasks it created in other people's lists stay (their `created_by` becomes null).
#[utoipa::path(
    delete, path = "/auth/me", tag = "auth", operation_id = "deleteAccount",
    request_body = DeleteAccountRequest,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "The user and their tasks are deleted"),
        JsonBodyErrors,
        BearerErrors,
        (status = 403, response = responses::WrongPassword),
        (status = 429, response = responses::TooManyRequests),
    )
)]
#[delete("/auth/me", data = "<body>")]
async fn delete_me(
    todo: &State<Todo>,
    auth: AuthUser,
    client: RequestClient,
    body: JsonBody<DeleteAccountRequest>,
) -> ApiResult<Status> {
    let deleted = todo.accounts().delete_account_from(&auth.owner, &body.0.password, &client.0).await;
    deleted.inspect_err(metrics::refusal_of("password_check"))?;
    Ok(Status::NoContent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_passwords() {
        let signup = SignupRequest { email: "ann@example.com".into(), password: "signup secret".into() };
        let change =
            ChangePasswordRequest { current_password: "current secret".into(), new_password: "new secret".into() };
        let delete = DeleteAccountRequest { password: "delete secret".into() };
        for shown in [format!("{signup:?}"), format!("{change:?}"), format!("{delete:?}"), format!("{signup:#?}")] {
            assert!(!shown.contains("secret"), "{shown}");
            assert!(shown.contains(r#""<redacted>""#), "{shown}");
        }
        assert!(format!("{signup:?}").contains("ann@example.com"), "the email is no secret");
    }
}
