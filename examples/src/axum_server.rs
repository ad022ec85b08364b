//! `todo-core` inside an axum server: signup, login, refresh, logout, and the caller's tasks, in a few dozen lines.
//!
//! The library does the security work (hashing off the async workers, token checks, owner-scoped queries);
//! this file only maps HTTP to it. Run it with `cargo run -p todo-examples --bin axum-server`.

use axum::extract::{FromRequestParts, State};
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use todo_core::{ErrorKind, ListQuery, Login, LogoutScope, Owner, TaskInput, Todo};

/// The app: `POST /signup`, `POST /login`, `POST /refresh`, `POST /logout` (this device), `GET /tasks`,
/// `POST /tasks`.
pub fn router(todo: Todo) -> Router {
    Router::new()
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/refresh", post(refresh))
        .route("/logout", post(logout))
        .route("/tasks", get(list_tasks).post(create_task))
        .with_state(todo)
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

async fn signup(State(todo): State<Todo>, Json(body): Json<Credentials>) -> Result<impl IntoResponse, AppError> {
    let user = todo.accounts().signup(&body.email, &body.password).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": user.id.to_string(), "email": user.email.as_str()}))))
}

async fn login(State(todo): State<Todo>, Json(body): Json<Credentials>) -> Result<Json<Value>, AppError> {
    Ok(tokens(todo.accounts().login(&body.email, &body.password).await?))
}

#[derive(Deserialize)]
struct Refresh {
    refresh_token: String,
}

/// New tokens for the session; the refresh token sent is spent (a reused one ends the session).
async fn refresh(State(todo): State<Todo>, Json(body): Json<Refresh>) -> Result<Json<Value>, AppError> {
    Ok(tokens(todo.accounts().refresh(&body.refresh_token).await?))
}

/// Ends this device's session: its access and refresh tokens stop working at once.
async fn logout(State(todo): State<Todo>, Session(owner): Session) -> Result<StatusCode, AppError> {
    todo.accounts().logout(&owner, LogoutScope::Local).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn tokens(login: Login) -> Json<Value> {
    Json(json!({
        "access_token": login.token.access_token,
        "token_type": "bearer",
        "expires_in": login.token.expires_in,
        "refresh_token": login.refresh_token.as_str(),
    }))
}

async fn list_tasks(State(todo): State<Todo>, Session(owner): Session) -> Result<Json<Value>, AppError> {
    let page = todo.tasks(&owner).list(&ListQuery::default()).await?;
    let titles: Vec<&str> = page.items.iter().map(|task| task.title.as_str()).collect();
    Ok(Json(json!({"titles": titles})))
}

#[derive(Deserialize)]
struct NewTask {
    title: String,
}

async fn create_task(
    State(todo): State<Todo>,
    Session(owner): Session,
    Json(body): Json<NewTask>,
) -> Result<impl IntoResponse, AppError> {
    let task = todo.tasks(&owner).create(TaskInput::new(body.title)).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": task.id.to_string(), "title": task.title}))))
}

/// The caller, proved by `Authorization: Bearer <token>`: the only way to get the `Owner` tasks need.
struct Session(Owner);

impl FromRequestParts<Todo> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, todo: &Todo) -> Result<Self, AppError> {
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
        let token = header.and_then(|value| value.strip_prefix("Bearer ")).ok_or(AppError(None))?;
        // Task handlers need only the owner: `authorize` checks the token without a database lookup, and each
        // task statement checks revocation itself (use `authenticate` where the stored user is needed).
        Ok(Session(todo.accounts().authorize(token)?))
    }
}

/// A library error (or `None`: no token) as a status and a JSON message; the mapping lives here only.
struct AppError(Option<todo_core::Error>);

impl From<todo_core::Error> for AppError {
    fn from(error: todo_core::Error) -> Self {
        AppError(Some(error))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let Some(error) = self.0 else {
            return (StatusCode::UNAUTHORIZED, Json(json!({"error": "a bearer token is required"}))).into_response();
        };
        let status = match error.kind() {
            ErrorKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let fields: Vec<Value> =
            error.field_errors().iter().map(|e| json!({"field": e.field, "message": e.message})).collect();
        (status, Json(json!({"error": error.to_string(), "errors": fields}))).into_response()
    }
}
