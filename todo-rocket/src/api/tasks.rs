//! `/tasks`: the caller's tasks, and only theirs.

use rocket::fairing::AdHoc;
use rocket::http::uri::Origin;
use rocket::http::Status;
use rocket::response::status::Created;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, put, routes, State};
use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;
use todo_core::{ListQuery, TaskId, TaskInput, TaskPatch, Todo};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::responses::{self, BearerErrors, JsonBodyErrors, OwnedResourceErrors};
use crate::http::body::JsonBody;
use crate::http::error::{ApiError, ApiResult};
use crate::http::guard::TaskOwner;
use crate::http::headers::IdempotencyKeyHeader;
use crate::http::location::MountBase;
use crate::http::query::Query;

/// The stage of this area: its routes under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage("tasks", mount_point, routes![list, create, get_one, replace, update, toggle, delete_one])
}

/// A task.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f4a1-2b3c-7d4e-8f90-a1b2c3d4e5f6", "title": "Buy milk", "description": null,
    "completed": false, "created_at": "2026-01-12T09:30:00Z", "updated_at": "2026-01-12T09:30:00Z"
}))]
pub struct Task {
    /// The task's id (UUIDv7).
    pub id: Uuid,
    /// 1 to 200 characters, trimmed.
    pub title: String,
    /// At most 1000 characters, or null.
    #[schema(required = true)]
    pub description: Option<String>,
    /// Whether the task is done.
    pub completed: bool,
    /// When it was created (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<todo_core::Task> for Task {
    fn from(task: todo_core::Task) -> Self {
        Self {
            id: task.id.as_uuid(),
            title: task.title,
            description: task.description,
            completed: task.completed,
            created_at: task.created_at,
            updated_at: task.updated_at,
        }
    }
}

/// A page of tasks, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TaskPage {
    /// The tasks on this page.
    pub items: Vec<Task>,
    /// Pass as `cursor` to get the next page; null on the last page.
    #[schema(required = true, pattern = "^[A-Za-z0-9_-]{22}$")]
    pub next_cursor: Option<String>,
}

/// Body of `POST /tasks`. Unknown fields (such as `id` or `user_id`) are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"title": "Buy milk", "description": "Two litres", "completed": false}))]
pub struct CreateTask {
    /// At most 200 characters as sent, not only whitespace (Unicode White_Space), no U+0000; stored trimmed.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\u0000\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$"
    )]
    pub title: String,
    /// At most 1000 characters; no U+0000.
    #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub description: Option<String>,
    /// Defaults to false.
    #[serde(default)]
    pub completed: bool,
}

/// Body of `PUT /tasks/{id}`: every field (a missing description clears it).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"title": "Buy milk", "description": null, "completed": true}))]
pub struct ReplaceTask {
    /// At most 200 characters as sent, not only whitespace (Unicode White_Space), no U+0000; stored trimmed.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\u0000\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$"
    )]
    pub title: String,
    /// At most 1000 characters, no U+0000; missing or null clears it.
    #[schema(max_length = 1000, pattern = "^[^\\u0000]*$")]
    pub description: Option<String>,
    /// Whether the task is done.
    pub completed: bool,
}

/// Body of `PATCH /tasks/{id}`: any subset of the fields; absent fields are unchanged.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"completed": true}))]
pub struct PatchTask {
    /// At most 200 characters as sent, not only whitespace, no U+0000, stored trimmed; absent or null leaves it
    /// unchanged.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000]*[^\\u0000\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$"
    )]
    pub title: Option<String>,
    /// At most 1000 characters, no U+0000; null clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(max_length = 1000, pattern = "^[^\\u0000]*$", value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// Whether the task is done; absent or null leaves it unchanged.
    pub completed: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from an absent one (`None`, via `#[serde(default)]`).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// Query of `GET /tasks`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; the handler reads them as raw strings to answer 422 itself
struct ListParams {
    /// Only completed (`true`) or open (`false`) tasks; all when absent.
    completed: Option<bool>,
    /// Page size, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 50)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page (opaque; 22 base64url characters).
    #[param(pattern = "^[A-Za-z0-9_-]{22}$")]
    cursor: Option<String>,
}

/// List the caller's tasks, newest first, a page at a time.
#[utoipa::path(
    get, path = "/tasks", tag = "tasks", operation_id = "listTasks",
    params(ListParams),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "A page of tasks", body = TaskPage),
        BearerErrors,
        (status = 422, response = responses::Unprocessable),
    )
)]
#[get("/tasks")]
async fn list(todo: &State<Todo>, auth: TaskOwner, uri: &Origin<'_>) -> ApiResult<Json<TaskPage>> {
    let query = list_query(Query::of(uri))?;
    let page = todo.tasks(&auth.owner).list(&query).await?;
    Ok(Json(TaskPage { items: page.items.into_iter().map(Task::from).collect(), next_cursor: page.next_cursor }))
}

/// Reads `completed`, `limit` and `cursor`, reporting every bad parameter at once (the library checks the
/// ranges).
fn list_query(mut query: Query<'_>) -> ApiResult<ListQuery> {
    let (completed, limit, cursor) = (query.single("completed"), query.single("limit"), query.single("cursor"));
    let completed = query.parse("completed", completed, "must be true or false");
    let limit = query.parse("limit", limit, "must be a whole number from 1 to 100");
    query.finish()?;
    let limit = limit.unwrap_or(todo_core::DEFAULT_PAGE_SIZE);
    Ok(ListQuery { completed, limit, cursor: cursor.map(str::to_owned), ..ListQuery::default() })
}

/// Create a task. With an `Idempotency-Key`, a retry (the same key and body from the same user within 24 hours)
/// answers what the first create answered, with the same status and body, and creates nothing, also when the
/// retries arrive at once; the same key with another body is 422.
#[utoipa::path(
    post, path = "/tasks", tag = "tasks", operation_id = "createTask",
    request_body = CreateTask,
    params(
        // No pattern or length in the schema: HTTP itself trims spaces around a header's value and drops values it
        // cannot read (an empty one, bytes outside ASCII), so the server never sees what such a schema would refuse.
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the create safe to retry: 1 to 255 \
            printable ASCII characters, new for each task (a UUID is a good one); spaces and tabs around it are not \
            part of it, and an empty value is no key. Anything else is 422.",
            example = "6f1c2b9e-0d4a-4e5b-8c7d-1a2b3c4d5e6f"),
    ),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 201, description = "Created", body = Task,
            headers(("Location" = String, description = "The new task: `/tasks/{id}`"))),
        JsonBodyErrors,
        BearerErrors,
    )
)]
#[post("/tasks", data = "<body>")]
async fn create(
    todo: &State<Todo>,
    auth: TaskOwner,
    base: MountBase,
    idempotency_key: IdempotencyKeyHeader,
    body: JsonBody<CreateTask>,
) -> ApiResult<Created<Json<Task>>> {
    let CreateTask { title, description, completed } = body.0;
    let input = TaskInput { title, description, completed, ..TaskInput::default() };
    let tasks = todo.tasks(&auth.owner);
    let task = match idempotency_key.0.map_err(|error| ApiError::Core(todo_core::Error::Validation(vec![error])))? {
        Some(key) => tasks.create_once(input, &key).await?.task,
        None => tasks.create(input).await?,
    };
    Ok(Created::new(base.join(&format!("/tasks/{}", task.id))).body(Json(task.into())))
}

/// Get one task.
#[utoipa::path(
    get, path = "/tasks/{id}", tag = "tasks", operation_id = "getTask",
    params(("id" = Uuid, Path, description = "The task's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The task", body = Task),
        OwnedResourceErrors,
    )
)]
#[get("/tasks/<id>")]
async fn get_one(todo: &State<Todo>, auth: TaskOwner, id: &str) -> ApiResult<Json<Task>> {
    Ok(Json(todo.tasks(&auth.owner).get(task_id(id)?).await?.into()))
}

/// Replace every field of a task.
#[utoipa::path(
    put, path = "/tasks/{id}", tag = "tasks", operation_id = "replaceTask",
    params(("id" = Uuid, Path, description = "The task's id")),
    request_body = ReplaceTask,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The replaced task", body = Task),
        JsonBodyErrors,
        OwnedResourceErrors,
    )
)]
#[put("/tasks/<id>", data = "<body>")]
async fn replace(todo: &State<Todo>, auth: TaskOwner, id: &str, body: JsonBody<ReplaceTask>) -> ApiResult<Json<Task>> {
    let ReplaceTask { title, description, completed } = body.0;
    let task = todo
        .tasks(&auth.owner)
        .replace(task_id(id)?, TaskInput { title, description, completed, ..TaskInput::default() })
        .await?;
    Ok(Json(task.into()))
}

/// Change some fields of a task.
#[utoipa::path(
    patch, path = "/tasks/{id}", tag = "tasks", operation_id = "updateTask",
    params(("id" = Uuid, Path, description = "The task's id")),
    request_body = PatchTask,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The updated task", body = Task),
        JsonBodyErrors,
        OwnedResourceErrors,
    )
)]
#[patch("/tasks/<id>", data = "<body>")]
async fn update(todo: &State<Todo>, auth: TaskOwner, id: &str, body: JsonBody<PatchTask>) -> ApiResult<Json<Task>> {
    let PatchTask { title, description, completed } = body.0;
    let task = todo
        .tasks(&auth.owner)
        .update(task_id(id)?, TaskPatch { title, description, completed, ..TaskPatch::default() })
        .await?;
    Ok(Json(task.into()))
}

/// Toggle a task's completion.
#[utoipa::path(
    patch, path = "/tasks/{id}/complete", tag = "tasks", operation_id = "toggleTask",
    params(("id" = Uuid, Path, description = "The task's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The task with `completed` flipped", body = Task),
        OwnedResourceErrors,
    )
)]
#[patch("/tasks/<id>/complete")]
async fn toggle(todo: &State<Todo>, auth: TaskOwner, id: &str) -> ApiResult<Json<Task>> {
    Ok(Json(todo.tasks(&auth.owner).toggle(task_id(id)?).await?.into()))
}

/// Delete a task.
#[utoipa::path(
    delete, path = "/tasks/{id}", tag = "tasks", operation_id = "deleteTask",
    params(("id" = Uuid, Path, description = "The task's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Deleted"),
        OwnedResourceErrors,
    )
)]
#[delete("/tasks/<id>")]
async fn delete_one(todo: &State<Todo>, auth: TaskOwner, id: &str) -> ApiResult<Status> {
    todo.tasks(&auth.owner).delete(task_id(id)?).await?;
    Ok(Status::NoContent)
}

/// A path id that is not a UUID names no task: 404, like any other id the caller does not own.
fn task_id(id: &str) -> ApiResult<TaskId> {
    id.parse().map_err(|_| ApiError::Core(todo_core::Error::NotFound))
}
