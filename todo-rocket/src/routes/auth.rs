//! `/auth/*` accounts: signup, login (JSON or the OAuth2 form), the current user, password change, logout and
//! account deletion. Sessions and refresh live in `sessions.rs`.

use rocket::http::uri::Origin;
use rocket::http::Status;
use rocket::response::status::Created;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use todo_core::{LogoutScope, Todo};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::body::JsonBody;
use crate::error::{ApiError, ApiResult};
use crate::grant::{LoginRequest, TokenForm, TokenGrant};
use crate::guard::AuthUser;
use crate::headers::{NoStore, UserAgent};
use crate::limits::{retry_after_seconds, ClientAddress, RateLimits};
use crate::location::MountBase;
use crate::metrics;
use crate::openapi::responses;
use crate::problem::FieldProblem;
use crate::routes::email::mail_after_the_answer;

/// The routes of this module.
pub fn routes() -> Vec<Route> {
    routes![signup, login, me, change_password, logout, delete_me]
}

/// Signup body.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ann@example.com", "password": "correct horse battery"}))]
pub struct SignupRequest {
    /// Trimmed and lower-cased; a valid address of at most 254 characters.
    #[schema(format = "email", max_length = 254)]
    pub email: String,
    /// 8 characters to 72 bytes (bcrypt's limit; longer input is refused, not truncated).
    #[schema(min_length = 8, format = "password")]
    pub password: String,
}

/// A registered user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f70", "email": "ann@example.com", "created_at": "2026-01-12T09:30:00Z", "email_verified_at": null}))]
pub struct User {
    /// The user's id (UUIDv7).
    pub id: Uuid,
    /// The normalised (lower-case) email.
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
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2lnbmF0dXJl", "token_type": "bearer", "expires_in": 604800, "refresh_token": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n"}))]
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

/// Register a new user.
#[utoipa::path(
    post, path = "/auth/signup", tag = "auth", operation_id = "signup",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Registered", body = User,
            headers(("Location" = String, description = "The current user's resource: `/auth/me`"))),
        (status = 400, response = responses::MalformedBody),
        (status = 409, response = responses::Conflict),
        (status = 413, response = responses::TooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 429, response = responses::TooManyRequests),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/signup", data = "<body>")]
async fn signup(
    todo: &State<Todo>,
    limits: &State<RateLimits>,
    client: ClientAddress,
    base: MountBase,
    body: JsonBody<SignupRequest>,
) -> ApiResult<Created<Json<User>>> {
    if let Some(wait) = limits.signup(client) {
        return Err(ApiError::TooManyRequests(retry_after_seconds(wait)));
    }
    let user = todo.accounts().signup(&body.0.email, &body.0.password).await?;
    // The verification mail goes out after the answer; a failure is logged and never fails the signup.
    let (accounts, new_user) = (todo.accounts().clone(), user.clone());
    mail_after_the_answer("verification", async move { accounts.verification_mail(&new_user).await.map(Some) });
    Ok(Created::new(base.join("/auth/me")).body(Json(user.into())))
}

/// Log in with email and password, starting a session; or, with the OAuth2 form's `refresh_token` grant,
/// refresh one (as `POST /auth/refresh` does).
///
/// Accepts JSON or the OAuth2 form. An unknown email and a wrong password get the same 401.
#[utoipa::path(
    post, path = "/auth/login", tag = "auth", operation_id = "login",
    request_body(content(
        (LoginRequest = "application/json"),
        (TokenForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Logged in (or refreshed): the tokens of the session", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        (status = 400, response = responses::MalformedBody),
        (status = 401, response = responses::InvalidCredentials),
        (status = 403, response = responses::EmailNotVerified),
        (status = 413, response = responses::TooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 429, response = responses::TooManyRequests),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/login", data = "<body>")]
async fn login(
    todo: &State<Todo>,
    limits: &State<RateLimits>,
    client: ClientAddress,
    user_agent: UserAgent,
    body: TokenGrant,
) -> ApiResult<NoStore<Json<TokenResponse>>> {
    let (email, password) = match body {
        TokenGrant::Password { email, password } => (email, password),
        TokenGrant::RefreshToken(token) => return Ok(NoStore(Json(todo.accounts().refresh(&token).await?.into()))),
    };
    // Count failures per normalised email, so `Ann@X.io` and ` ann@x.io` share one budget.
    let key = email.trim().to_lowercase();
    if let Some(wait) = limits.login_blocked(&key, client) {
        metrics::login("rate_limited");
        return Err(ApiError::TooManyRequests(retry_after_seconds(wait)));
    }
    match todo.accounts().login_with_user_agent(&email, &password, user_agent.0.as_deref()).await {
        Ok(login) => {
            metrics::login("success");
            Ok(NoStore(Json(login.into())))
        }
        Err(error @ todo_core::Error::InvalidCredentials) => {
            metrics::login("invalid_credentials");
            limits.login_failed(&key, client);
            Err(error.into())
        }
        Err(error @ todo_core::Error::EmailNotVerified) => {
            metrics::login("not_verified");
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
        (status = 401, response = responses::Unauthorized),
        (status = 503, response = responses::Unavailable),
    )
)]
#[get("/auth/me")]
fn me(auth: AuthUser) -> Json<User> {
    Json(auth.user.into())
}

/// Body of `PUT /auth/password`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"current_password": "correct horse battery", "new_password": "a longer passphrase"}))]
pub struct ChangePasswordRequest {
    /// The password in use now.
    #[schema(format = "password")]
    pub current_password: String,
    /// The new password: 8 characters to 72 bytes.
    #[schema(format = "password", min_length = 8)]
    pub new_password: String,
}

/// Body of `DELETE /auth/me`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"password": "correct horse battery"}))]
pub struct DeleteAccountRequest {
    /// The account's password, as proof.
    #[schema(format = "password")]
    pub password: String,
}

/// Change the password; every session ends (their tokens stop working), and the tokens of a new one are returned.
#[utoipa::path(
    put, path = "/auth/password", tag = "auth", operation_id = "changePassword",
    request_body = ChangePasswordRequest,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Changed; use these new tokens (a new session)", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        (status = 400, response = responses::MalformedBody),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::WrongPassword),
        (status = 413, response = responses::TooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
#[put("/auth/password", data = "<body>")]
async fn change_password(
    todo: &State<Todo>,
    auth: AuthUser,
    body: JsonBody<ChangePasswordRequest>,
) -> ApiResult<NoStore<Json<TokenResponse>>> {
    let body = body.0;
    let login = todo.accounts().change_password(&auth.owner, &body.current_password, &body.new_password).await?;
    Ok(NoStore(Json(login.into())))
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
        (status = 401, response = responses::Unauthorized),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/logout")]
async fn logout(todo: &State<Todo>, auth: AuthUser, uri: &Origin<'_>) -> ApiResult<Status> {
    let scope = match single_query_value(uri, "scope")? {
        Some(scope) => scope.parse().map_err(|error: todo_core::Error| {
            ApiError::InvalidQuery(
                error
                    .field_errors()
                    .iter()
                    .map(|e| FieldProblem { field: e.field.into(), message: e.message.clone() })
                    .collect(),
            )
        })?,
        None => LogoutScope::Global,
    };
    todo.accounts().logout(&auth.owner, scope).await?;
    Ok(Status::NoContent)
}

/// The value of query parameter `name` when given once; 422 when it is repeated. Other parameters are ignored.
fn single_query_value<'a>(uri: &'a Origin<'_>, name: &str) -> ApiResult<Option<&'a str>> {
    let values: Vec<&str> = uri
        .query()
        .into_iter()
        .flat_map(|query| query.segments())
        .filter(|(key, _)| *key == name)
        .map(|(_, v)| v)
        .collect();
    match values.as_slice() {
        [] => Ok(None),
        [value] => Ok(Some(*value)),
        _ => {
            Err(ApiError::InvalidQuery(vec![FieldProblem { field: name.into(), message: "must be given once".into() }]))
        }
    }
}

/// Delete the account and all its tasks (the password is required as proof).
#[utoipa::path(
    delete, path = "/auth/me", tag = "auth", operation_id = "deleteAccount",
    request_body = DeleteAccountRequest,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "The user and their tasks are deleted"),
        (status = 400, response = responses::MalformedBody),
        (status = 401, response = responses::Unauthorized),
        (status = 403, response = responses::WrongPassword),
        (status = 413, response = responses::TooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
#[delete("/auth/me", data = "<body>")]
async fn delete_me(todo: &State<Todo>, auth: AuthUser, body: JsonBody<DeleteAccountRequest>) -> ApiResult<Status> {
    todo.accounts().delete_account(&auth.owner, &body.0.password).await?;
    Ok(Status::NoContent)
}
