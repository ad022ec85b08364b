//! `/tasks`: the tasks of the lists the caller is a member of, as their role there allows; `ETag` and `If-Match`.

use rocket::fairing::AdHoc;
use rocket::http::uri::Origin;
use rocket::http::Status;
use rocket::response::status::Created;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, put, routes, State};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use todo_core::{Assignee, ListId, ListQuery, Sort, TaskInput, TaskPatch, Tasks, Todo, UserId};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::responses::{self, BearerErrors, JsonBodyErrors, OwnedResourceErrors, TaskWriteErrors};
use crate::http::body::JsonBody;
use crate::http::error::{path_id, ApiResult};
use crate::http::etag::{IfMatch, Tagged};
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
    "id": "0192f4a1-2b3c-7d4e-8f90-a1b2c3d4e5f6", "list_id": "0192f4a0-1a2b-7c3d-8e4f-a0b1c2d3e4f5",
    "title": "Buy milk", "description": null, "completed": false, "due_at": "2026-01-14T17:00:00Z", "priority": 2,
    "assignee_id": null, "created_by": "0192f49f-0a1b-7c2d-8e3f-9a0b1c2d3e4f", "version": 1,
    "created_at": "2026-01-12T09:30:00Z", "updated_at": "2026-01-12T09:30:00Z"
}))]
pub struct Task {
    /// The task's id (UUIDv7).
    pub id: Uuid,
    /// The list it belongs to (its author's inbox unless it was put elsewhere).
    pub list_id: Uuid,
    /// 1 to 200 characters, trimmed.
    pub title: String,
    /// At most 1000 characters, or null.
    #[schema(required = true)]
    pub description: Option<String>,
    /// Whether the task is done.
    pub completed: bool,
    /// When it is due (RFC 3339, UTC, to the millisecond), or null.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(required = true, value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
    /// 0 (none), 1 (low), 2 (medium) or 3 (high).
    #[schema(minimum = 0, maximum = 3)]
    pub priority: u8,
    /// The member of its list it is assigned to, or null.
    #[schema(required = true)]
    pub assignee_id: Option<Uuid>,
    /// Who created it; null once that account is deleted (the task stays in its list, and its version moves on).
    #[schema(required = true)]
    pub created_by: Option<Uuid>,
    /// Counts the task's changes, from 1: the task's `ETag` is this number in quotes, for `If-Match`.
    #[schema(minimum = 1)]
    pub version: i64,
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
            list_id: task.list_id.as_uuid(),
            title: task.title,
            description: task.description,
            completed: task.completed,
            due_at: task.due_at,
            priority: task.priority,
            assignee_id: task.assignee_id.map(|user| user.as_uuid()),
            created_by: task.created_by.map(|user| user.as_uuid()),
            version: task.version,
            created_at: task.created_at,
            updated_at: task.updated_at,
        }
    }
}

/// A task as a response: its JSON and its `ETag`.
fn tagged(task: todo_core::Task) -> Tagged<Json<Task>> {
    Tagged { version: task.version, response: Json(task.into()) }
}

/// A page of tasks, in the order asked for.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TaskPage {
    /// The tasks on this page.
    pub items: Vec<Task>,
    /// Pass as `cursor` (with the same `sort`) to get the next page; null on the last page.
    #[schema(required = true, pattern = "^[A-Za-z0-9_-]{22,32}$")]
    pub next_cursor: Option<String>,
}

/// Body of `POST /tasks`. Unknown fields (such as `id` or `user_id`) are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"title": "Buy milk", "description": "Two litres", "completed": false, "priority": 1}))]
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
    /// The list (the editor role there is needed); absent or null: the caller's inbox. A list the caller is not
    /// a member of is 404.
    pub list_id: Option<Uuid>,
    /// When it is due (RFC 3339; kept to the millisecond, answered in UTC).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
    /// 0 (none, the default) to 3 (high).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3)]
    pub priority: Option<u8>,
    /// A member of the list to assign the task to (else 422).
    pub assignee_id: Option<Uuid>,
}

impl From<CreateTask> for TaskInput {
    fn from(body: CreateTask) -> Self {
        TaskInput {
            title: body.title,
            description: body.description,
            completed: body.completed,
            list_id: body.list_id.map(ListId::from),
            due_at: body.due_at,
            priority: body.priority.unwrap_or(0),
            assignee_id: body.assignee_id.map(UserId::from),
        }
    }
}

/// Body of `PUT /tasks/{id}`: every field. A missing description, due date or assignee clears it, a missing
/// priority is 0; a missing `list_id` keeps the task in its list, another one moves it there.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"title": "Buy milk", "description": null, "completed": true, "priority": 0}))]
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
    /// Another list to move the task to (the editor role is needed in both; an assignee who is not a member
    /// there is cleared); absent or null keeps it where it is.
    pub list_id: Option<Uuid>,
    /// When it is due (RFC 3339); missing or null clears it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<OffsetDateTime>,
    /// 0 to 3; missing is 0.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3)]
    pub priority: Option<u8>,
    /// A member of the task's list; missing or null unassigns.
    pub assignee_id: Option<Uuid>,
}

impl From<ReplaceTask> for TaskInput {
    fn from(body: ReplaceTask) -> Self {
        TaskInput {
            title: body.title,
            description: body.description,
            completed: body.completed,
            list_id: body.list_id.map(ListId::from),
            due_at: body.due_at,
            priority: body.priority.unwrap_or(0),
            assignee_id: body.assignee_id.map(UserId::from),
        }
    }
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
    /// Another list to move the task to (the editor role is needed in both; an assignee who is not a member
    /// there is cleared); absent or null leaves it where it is.
    pub list_id: Option<Uuid>,
    /// When it is due (RFC 3339); null clears it.
    #[serde(default, deserialize_with = "present_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Option<OffsetDateTime>>,
    /// 0 to 3; absent or null leaves it unchanged.
    #[schema(minimum = 0, maximum = 3)]
    pub priority: Option<u8>,
    /// A member of the task's list; null unassigns.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub assignee_id: Option<Option<Uuid>>,
}

impl From<PatchTask> for TaskPatch {
    fn from(body: PatchTask) -> Self {
        TaskPatch {
            title: body.title,
            description: body.description,
            completed: body.completed,
            list_id: body.list_id.map(ListId::from),
            due_at: body.due_at,
            priority: body.priority,
            assignee_id: body.assignee_id.map(|assignee| assignee.map(UserId::from)),
        }
    }
}

/// Tells a field sent as `null` (`Some(None)`) from an absent one (`None`, via `#[serde(default)]`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// [`present`] for an RFC 3339 time.
fn present_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<OffsetDateTime>>, D::Error> {
    time::serde::rfc3339::option::deserialize(deserializer).map(Some)
}

/// Query of `GET /tasks`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the parameters; the handler reads them as raw strings to answer 422 itself
struct ListParams {
    /// Only this list's tasks (404 if the caller is not a member); every list the caller can see when absent.
    list_id: Option<Uuid>,
    /// Only completed (`true`) or open (`false`) tasks; all when absent.
    completed: Option<bool>,
    /// Only tasks due before this instant (RFC 3339); undated tasks never match.
    #[param(value_type = Option<String>, format = DateTime)]
    due_before: Option<String>,
    /// Only tasks due at or after this instant (RFC 3339); undated tasks never match.
    #[param(value_type = Option<String>, format = DateTime)]
    due_after: Option<String>,
    /// Only tasks assigned to `me` or to this user id.
    #[param(pattern = "^(me|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$")]
    assignee: Option<String>,
    /// Only tasks whose title or description contains this text, in any case (1 to 200 characters, no U+0000).
    #[param(min_length = 1, max_length = 200, pattern = "^[^\\u0000]*$")]
    q: Option<String>,
    /// `created` (the default): newest first. `due`: soonest due first, tasks without a due date last (tasks due at
    /// the same instant, and undated ones, oldest first).
    #[param(inline)]
    sort: Option<SortParam>,
    /// Page size, 1 to 100.
    #[param(minimum = 1, maximum = 100, default = 50)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page, with the same `sort` (opaque).
    #[param(pattern = "^[A-Za-z0-9_-]{22,32}$")]
    cursor: Option<String>,
}

/// The orders of `GET /tasks`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the values
#[schema(rename_all = "lowercase")]
enum SortParam {
    Created,
    Due,
}

/// List the tasks the caller can see (of one list, or of every list they are a member of), filtered and sorted, a
/// page at a time.
#[utoipa::path(
    get, path = "/tasks", tag = "tasks", operation_id = "listTasks",
    params(ListParams),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "A page of tasks", body = TaskPage),
        OwnedResourceErrors,
        (status = 422, response = responses::Unprocessable),
    )
)]
#[get("/tasks")]
async fn list(todo: &State<Todo>, auth: TaskOwner, uri: &Origin<'_>) -> ApiResult<Json<TaskPage>> {
    let query = list_query(Query::of(uri))?;
    let page = todo.tasks(&auth.owner).list(&query).await?;
    Ok(Json(TaskPage { items: page.items.into_iter().map(Task::from).collect(), next_cursor: page.next_cursor }))
}

/// Reads the filters, `sort`, `limit` and `cursor`, reporting every bad parameter at once (the library checks the
/// ranges, `q` and the cursor).
fn list_query(mut query: Query<'_>) -> ApiResult<ListQuery> {
    let list_id = query.single("list_id");
    let list_id = query.parse::<Uuid>("list_id", list_id, "must be a list id (a UUID)");
    let completed = query.single("completed");
    let completed = query.parse("completed", completed, "must be true or false");
    let due_before = query.single("due_before");
    let due_before = query.parse::<Instant>("due_before", due_before, "must be an RFC 3339 date and time");
    let due_after = query.single("due_after");
    let due_after = query.parse::<Instant>("due_after", due_after, "must be an RFC 3339 date and time");
    let assignee = query.single("assignee");
    let assignee = query.parse::<AssigneeParam>("assignee", assignee, "must be `me` or a user id (a UUID)");
    let q = query.single("q");
    let sort = query.single("sort");
    let sort = query.parse::<SortValue>("sort", sort, "must be `created` or `due`");
    let limit = query.single("limit");
    let limit = query.parse("limit", limit, "must be a whole number from 1 to 100");
    let cursor = query.single("cursor");
    query.finish()?;
    Ok(ListQuery {
        list_id: list_id.map(ListId::from),
        completed,
        due_before: due_before.map(|instant| instant.0),
        due_after: due_after.map(|instant| instant.0),
        assignee: assignee.map(|assignee| assignee.0),
        q: q.map(str::to_owned),
        sort: sort.map_or(Sort::Created, |sort| sort.0),
        limit: limit.unwrap_or(todo_core::DEFAULT_PAGE_SIZE),
        cursor: cursor.map(str::to_owned),
    })
}

/// An RFC 3339 instant in a query.
struct Instant(OffsetDateTime);

impl FromStr for Instant {
    type Err = time::error::Parse;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        OffsetDateTime::parse(text, &Rfc3339).map(Instant)
    }
}

/// `assignee`: `me` or a user id.
struct AssigneeParam(Assignee);

impl FromStr for AssigneeParam {
    type Err = uuid::Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "me" => Ok(AssigneeParam(Assignee::Me)),
            id => id.parse::<Uuid>().map(|id| AssigneeParam(Assignee::User(UserId::from(id)))),
        }
    }
}

/// `sort`: `created` or `due`.
struct SortValue(Sort);

impl FromStr for SortValue {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        match text {
            "created" => Ok(SortValue(Sort::Created)),
            "due" => Ok(SortValue(Sort::Due)),
            _ => Err(()),
        }
    }
}

/// Create a task, in the caller's inbox or in a list where they are an editor. With an `Idempotency-Key`, a retry
/// (the same key and body from the same user within 24 hours) answers what the first create answered, with the
/// same status and body, and creates nothing, also when the retries arrive at once; the same key with another body
/// is 422.
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
            headers(("Location" = String, description = "The new task: `/tasks/{id}`"),
                ("ETag" = String, description = "The task's version, for `If-Match`"))),
        (status = 403, response = responses::RoleRequired),
        (status = 404, response = responses::NotFound),
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
) -> ApiResult<Tagged<Created<Json<Task>>>> {
    let input = TaskInput::from(body.0);
    let tasks = todo.tasks(&auth.owner);
    let task = match idempotency_key.0? {
        Some(key) => tasks.create_once(input, &key).await?.task,
        None => tasks.create(input).await?,
    };
    let location = base.join(&format!("/tasks/{}", task.id));
    Ok(Tagged { version: task.version, response: Created::new(location).body(Json(task.into())) })
}

/// Get one task.
#[utoipa::path(
    get, path = "/tasks/{id}", tag = "tasks", operation_id = "getTask",
    params(("id" = Uuid, Path, description = "The task's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The task", body = Task,
            headers(("ETag" = String, description = "The task's version, for `If-Match`"))),
        OwnedResourceErrors,
    )
)]
#[get("/tasks/<id>")]
async fn get_one(todo: &State<Todo>, auth: TaskOwner, id: &str) -> ApiResult<Tagged<Json<Task>>> {
    Ok(tagged(todo.tasks(&auth.owner).get(path_id(id)?).await?))
}

/// Replace every field of a task (the editor role in its list, and in the list it moves to).
#[utoipa::path(
    put, path = "/tasks/{id}", tag = "tasks", operation_id = "replaceTask",
    params(("id" = Uuid, Path, description = "The task's id"), IfMatchParam),
    request_body = ReplaceTask,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The replaced task", body = Task,
            headers(("ETag" = String, description = "The task's new version"))),
        TaskWriteErrors,
        JsonBodyErrors,
    )
)]
#[put("/tasks/<id>", data = "<body>")]
async fn replace(
    todo: &State<Todo>,
    auth: TaskOwner,
    id: &str,
    if_match: IfMatch,
    body: JsonBody<ReplaceTask>,
) -> ApiResult<Tagged<Json<Task>>> {
    let tasks = writer(todo, &auth, if_match)?;
    Ok(tagged(tasks.replace(path_id(id)?, TaskInput::from(body.0)).await?))
}

/// Change some fields of a task (the editor role in its list, and in the list it moves to).
#[utoipa::path(
    patch, path = "/tasks/{id}", tag = "tasks", operation_id = "updateTask",
    params(("id" = Uuid, Path, description = "The task's id"), IfMatchParam),
    request_body = PatchTask,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The updated task", body = Task,
            headers(("ETag" = String, description = "The task's new version"))),
        TaskWriteErrors,
        JsonBodyErrors,
    )
)]
#[patch("/tasks/<id>", data = "<body>")]
async fn update(
    todo: &State<Todo>,
    auth: TaskOwner,
    id: &str,
    if_match: IfMatch,
    body: JsonBody<PatchTask>,
) -> ApiResult<Tagged<Json<Task>>> {
    let tasks = writer(todo, &auth, if_match)?;
    Ok(tagged(tasks.update(path_id(id)?, TaskPatch::from(body.0)).await?))
}

/// Toggle a task's completion (the editor role in its list).
#[utoipa::path(
    patch, path = "/tasks/{id}/complete", tag = "tasks", operation_id = "toggleTask",
    params(("id" = Uuid, Path, description = "The task's id"), IfMatchParam),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The task with `completed` flipped", body = Task,
            headers(("ETag" = String, description = "The task's new version"))),
        TaskWriteErrors,
        (status = 422, response = responses::Unprocessable),
    )
)]
#[patch("/tasks/<id>/complete")]
async fn toggle(todo: &State<Todo>, auth: TaskOwner, id: &str, if_match: IfMatch) -> ApiResult<Tagged<Json<Task>>> {
    let tasks = writer(todo, &auth, if_match)?;
    Ok(tagged(tasks.toggle(path_id(id)?).await?))
}

/// Delete a task (the editor role in its list).
#[utoipa::path(
    delete, path = "/tasks/{id}", tag = "tasks", operation_id = "deleteTask",
    params(("id" = Uuid, Path, description = "The task's id"), IfMatchParam),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Deleted"),
        TaskWriteErrors,
        (status = 422, response = responses::Unprocessable),
    )
)]
#[delete("/tasks/<id>")]
async fn delete_one(todo: &State<Todo>, auth: TaskOwner, id: &str, if_match: IfMatch) -> ApiResult<Status> {
    writer(todo, &auth, if_match)?.delete(path_id(id)?).await?;
    Ok(Status::NoContent)
}

/// The `If-Match` header of a task write.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // documents the header; the `IfMatch` guard reads it
struct IfMatchParam {
    /// Write only if the task is still this version: the `ETag` of the task as last read (such as `"3"`), else 412
    /// and nothing changes. `*`, or no header, writes whatever the version. A weak tag never matches (412); a
    /// value that is not one entity tag is 422.
    #[param(rename = "If-Match", example = "\"3\"")]
    if_match: Option<String>,
}

/// The caller's tasks, with the version `If-Match` requires, if any.
fn writer(todo: &Todo, auth: &TaskOwner, if_match: IfMatch) -> ApiResult<Tasks> {
    let tasks = todo.tasks(&auth.owner);
    Ok(match if_match.0? {
        Some(version) => tasks.if_version(version),
        None => tasks,
    })
}
