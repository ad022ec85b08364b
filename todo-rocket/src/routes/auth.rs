//! `/auth/*`: signup, login (JSON or OAuth2 password form) and the current user.

use rocket::http::Status;
use rocket::response::status::Created;
use rocket::serde::json::Json;
use rocket::{delete, get, post, put, routes, Route, State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use todo_core::Todo;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::body::{JsonBody, LoginBody};
use crate::error::{ApiError, ApiResult};
use crate::guard::AuthUser;
use crate::headers::NoStore;
use crate::limits::{retry_after_seconds, ClientKey, RateLimits};
use crate::location::MountBase;
use crate::openapi::responses;

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

/// Login body (also accepted as the OAuth2 password form: `grant_type=password&username=...&password=...`).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ann@example.com", "password": "correct horse battery"}))]
pub struct LoginRequest {
    /// The email used at signup, in any case.
    pub email: String,
    /// The password.
    #[schema(format = "password")]
    pub password: String,
}

/// The OAuth2 password grant form (RFC 6749 §4.3.2), as Swagger UI's Authorize dialog sends it.
#[derive(Debug, Deserialize, ToSchema, rocket::FromForm)]
pub struct PasswordGrantForm {
    /// `password` (may be omitted).
    // Read as text, not as `GrantType`, so that another value gets our 422 naming this field.
    #[schema(value_type = Option<GrantType>)]
    pub grant_type: Option<String>,
    /// The email.
    pub username: String,
    /// The password.
    #[schema(format = "password")]
    pub password: String,
}

/// The one OAuth2 grant type this server accepts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GrantType {
    /// The resource owner password credentials grant.
    Password,
}

/// A registered user.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f70", "email": "ann@example.com", "created_at": "2026-01-12T09:30:00Z"}))]
pub struct User {
    /// The user's id (UUIDv7).
    pub id: Uuid,
    /// The normalised (lower-case) email.
    pub email: String,
    /// When the account was created (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<todo_core::User> for User {
    fn from(user: todo_core::User) -> Self {
        Self { id: user.id.as_uuid(), email: user.email.to_string(), created_at: user.created_at }
    }
}

/// A bearer token (the OAuth 2.0 token response of RFC 6749 §5.1).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2lnbmF0dXJl", "token_type": "bearer", "expires_in": 604800}))]
pub struct TokenResponse {
    /// The JWT to send as `Authorization: Bearer <token>`.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: TokenType,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// The OAuth 2.0 token type: this API issues bearer tokens only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// Send as `Authorization: Bearer <access_token>`.
    Bearer,
}

impl From<todo_core::AccessToken> for TokenResponse {
    fn from(token: todo_core::AccessToken) -> Self {
        Self { access_token: token.access_token, token_type: TokenType::Bearer, expires_in: token.expires_in }
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
    client: ClientKey,
    base: MountBase,
    body: JsonBody<SignupRequest>,
) -> ApiResult<Created<Json<User>>> {
    if let Some(wait) = limits.signup(&client.0) {
        return Err(ApiError::TooManyRequests(retry_after_seconds(wait)));
    }
    let user = todo.accounts().signup(&body.0.email, &body.0.password).await?;
    Ok(Created::new(base.join("/auth/me")).body(Json(user.into())))
}

/// Log in with email and password; returns a bearer token.
///
/// Accepts JSON or the OAuth2 password form. An unknown email and a wrong password get the same 401.
#[utoipa::path(
    post, path = "/auth/login", tag = "auth", operation_id = "login",
    request_body(content(
        (LoginRequest = "application/json"),
        (PasswordGrantForm = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 200, description = "Logged in", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        (status = 400, response = responses::MalformedBody),
        (status = 401, response = responses::InvalidCredentials),
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
    client: ClientKey,
    body: LoginBody,
) -> ApiResult<NoStore<Json<TokenResponse>>> {
    // Count failures per normalised email, so `Ann@X.io` and ` ann@x.io` share one budget.
    let email = body.email.trim().to_lowercase();
    if let Some(wait) = limits.login_blocked(&email, &client.0) {
        return Err(ApiError::TooManyRequests(retry_after_seconds(wait)));
    }
    match todo.accounts().login(&body.email, &body.password).await {
        Ok(login) => Ok(NoStore(Json(login.token.into()))),
        Err(error @ todo_core::Error::InvalidCredentials) => {
            limits.login_failed(&email, &client.0);
            Err(error.into())
        }
        Err(error) => Err(error.into()),
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

/// Change the password; every token issued before stops working, and a fresh one is returned.
#[utoipa::path(
    put, path = "/auth/password", tag = "auth", operation_id = "changePassword",
    request_body = ChangePasswordRequest,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Changed; use this new token", body = TokenResponse,
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
    let token = todo.accounts().change_password(&auth.owner, &body.current_password, &body.new_password).await?;
    Ok(NoStore(Json(token.into())))
}

/// Log out everywhere: every token of this user issued so far stops working.
#[utoipa::path(
    post, path = "/auth/logout", tag = "auth", operation_id = "logout",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Every token issued so far is revoked"),
        (status = 401, response = responses::Unauthorized),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/logout")]
async fn logout(todo: &State<Todo>, auth: AuthUser) -> ApiResult<Status> {
    todo.accounts().logout_everywhere(&auth.owner).await?;
    Ok(Status::NoContent)
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
