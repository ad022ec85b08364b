//! `/auth/refresh` and `/auth/sessions`: new tokens for a session, and the caller's sessions.

use rocket::fairing::AdHoc;
use rocket::http::Status;
use rocket::serde::json::Json;
use rocket::{delete, get, post, routes, State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use todo_core::{SessionId, Todo};
use utoipa::ToSchema;
use uuid::Uuid;

use super::grant::RefreshRequest;
use super::responses::{self, BearerErrors, JsonBodyErrors, OwnedResourceErrors};
use super::wire::{tokens, TokenResponse, Tokens};
use crate::http::body::JsonBody;
use crate::http::error::{path_id, ApiResult};
use crate::http::guard::AuthUser;
use crate::http::headers::NoStore;

/// The stage of this area: its routes under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage("sessions", mount_point, routes![refresh, list, revoke])
}

/// A session: one login, on one device, and its refreshes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f70", "created_at": "2026-01-12T09:30:00Z",
    "last_used_at": "2026-01-19T08:02:11Z", "expires_at": "2026-02-18T08:02:11Z",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", "current": true, "aal": 2, "amr": ["pwd", "otp"]
}))]
pub struct Session {
    /// The session's id (UUIDv7), as in the `sid` claim of its access tokens.
    pub id: Uuid,
    /// When it started (the login).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Its last login or refresh.
    #[serde(with = "time::serde::rfc3339")]
    pub last_used_at: OffsetDateTime,
    /// When it ends unless it is refreshed before.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The `User-Agent` sent at login (at most 256 characters), or null.
    #[schema(required = true, max_length = 256)]
    pub user_agent: Option<String>,
    /// Whether this is the session of the token sent.
    pub current: bool,
    /// The assurance level it was won with: 1 (one factor) or 2 (two factors, or a passkey).
    #[schema(minimum = 1, maximum = 2)]
    pub aal: u8,
    /// How it was won: `pwd` (password), `email` (a sign-in or reset link), `otp` (TOTP), `recovery` (a recovery
    /// code), `hwk` and `user` (a passkey, with user verification).
    pub amr: Vec<String>,
}

impl From<todo_core::Session> for Session {
    fn from(session: todo_core::Session) -> Self {
        Self {
            id: session.id.as_uuid(),
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            expires_at: session.expires_at,
            user_agent: session.user_agent,
            current: session.current,
            aal: session.assurance.aal(),
            amr: session.assurance.amr().to_vec(),
        }
    }
}

/// Exchange a refresh token for new tokens in the same session; the token sent is spent (rotation).
///
/// A refresh token that was already spent works again only within `REFRESH_REUSE_INTERVAL_SECONDS` (two tabs
/// refreshing at once); later, it is taken as stolen and its whole session is revoked.
#[utoipa::path(
    post, path = "/auth/refresh", tag = "sessions", operation_id = "refresh",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens; the `refresh_token` replaces the one sent", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        JsonBodyErrors,
        (status = 401, response = responses::InvalidRefreshToken),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/refresh", data = "<body>")]
async fn refresh(todo: &State<Todo>, body: JsonBody<RefreshRequest>) -> ApiResult<Tokens> {
    Ok(tokens(todo.accounts().refresh(&body.0.refresh_token).await?))
}

/// The caller's active sessions, newest first; `current` marks the one of the token sent.
#[utoipa::path(
    get, path = "/auth/sessions", tag = "sessions", operation_id = "listSessions",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The active sessions", body = Vec<Session>,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        BearerErrors,
    )
)]
#[get("/auth/sessions")]
async fn list(todo: &State<Todo>, auth: AuthUser) -> ApiResult<NoStore<Json<Vec<Session>>>> {
    let sessions = todo.accounts().sessions(&auth.owner).await?;
    Ok(NoStore(Json(sessions.into_iter().map(Session::from).collect())))
}

/// End one of the caller's sessions ("log out this device"); its tokens are refused from then on.
#[utoipa::path(
    delete, path = "/auth/sessions/{id}", tag = "sessions", operation_id = "revokeSession",
    params(("id" = Uuid, Path, description = "The session's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "The session is ended"),
        OwnedResourceErrors,
    )
)]
#[delete("/auth/sessions/<id>")]
async fn revoke(todo: &State<Todo>, auth: AuthUser, id: &str) -> ApiResult<Status> {
    // An id that is not a UUID names no session of the caller's: 404, like another user's session.
    let id: SessionId = path_id(id)?;
    todo.accounts().revoke_session(&auth.owner, id).await?;
    Ok(Status::NoContent)
}
