//! `/lists`: the lists the caller is a member of, and their members. Not a member: 404 on every route; a member
//! whose role does not allow the action: 403.

use rocket::fairing::AdHoc;
use rocket::http::Status;
use rocket::response::status::Created;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, post, routes, State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use todo_core::Todo;
use utoipa::ToSchema;
use uuid::Uuid;

use super::responses::{self, BearerErrors, JsonBodyErrors, ListErrors};
use crate::http::body::JsonBody;
use crate::http::error::{path_id, ApiResult};
use crate::http::guard::TaskOwner;
use crate::http::headers::IdempotencyKeyHeader;
use crate::http::location::MountBase;

/// The stage of this area: its routes under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage(
        "lists",
        mount_point,
        routes![all, create, get_one, rename, delete_one, members, set_role, remove_member],
    )
}

/// A member's role in a list. A viewer reads; an editor also creates, changes, completes and deletes tasks; the
/// owner also renames, deletes and shares the list, changes roles and removes members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the list and its tasks.
    Viewer,
    /// Also writes tasks.
    Editor,
    /// Also manages the list (exactly one per list).
    Owner,
}

impl From<todo_core::Role> for Role {
    fn from(role: todo_core::Role) -> Self {
        match role {
            todo_core::Role::Viewer => Role::Viewer,
            todo_core::Role::Editor => Role::Editor,
            todo_core::Role::Owner => Role::Owner,
        }
    }
}

impl From<Role> for todo_core::Role {
    fn from(role: Role) -> Self {
        match role {
            Role::Viewer => todo_core::Role::Viewer,
            Role::Editor => todo_core::Role::Editor,
            Role::Owner => todo_core::Role::Owner,
        }
    }
}

/// A list, as the caller sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f4a0-1a2b-7c3d-8e4f-a0b1c2d3e4f5", "name": "Groceries", "inbox": false, "role": "owner",
    "member_count": 2, "created_at": "2026-01-12T09:30:00Z", "updated_at": "2026-01-12T09:30:00Z"
}))]
pub struct List {
    /// The list's id.
    pub id: Uuid,
    /// 1 to 100 characters, trimmed.
    pub name: String,
    /// Whether this is the caller's inbox (made at signup; it cannot be shared or deleted).
    pub inbox: bool,
    /// The caller's role in it.
    pub role: Role,
    /// How many members it has, the owner included.
    #[schema(minimum = 1)]
    pub member_count: i64,
    /// When it was made (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last renamed (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<todo_core::List> for List {
    fn from(list: todo_core::List) -> Self {
        Self {
            id: list.id.as_uuid(),
            name: list.name,
            inbox: list.inbox,
            role: list.role.into(),
            member_count: list.member_count,
            created_at: list.created_at,
            updated_at: list.updated_at,
        }
    }
}

/// A member of a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "user_id": "0192f49f-0a1b-7c2d-8e3f-9a0b1c2d3e4f", "email": "ann@example.com", "role": "editor",
    "joined_at": "2026-01-12T09:30:00Z"
}))]
pub struct Member {
    /// The member's user id.
    pub user_id: Uuid,
    /// Their email address.
    pub email: String,
    /// Their role.
    pub role: Role,
    /// When they joined (for the owner, when the list was made).
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
}

impl From<todo_core::Member> for Member {
    fn from(member: todo_core::Member) -> Self {
        Self {
            user_id: member.user_id.as_uuid(),
            email: member.email.as_str().to_owned(),
            role: member.role.into(),
            joined_at: member.joined_at,
        }
    }
}

/// Body of `POST /lists` and `PATCH /lists/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Groceries"}))]
pub struct ListName {
    /// At most 100 characters as sent, not only whitespace (Unicode White_Space), no U+0000; stored trimmed.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000]*[^\\u0000\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000]*$"
    )]
    pub name: String,
}

/// Body of `PATCH /lists/{id}/members/{user_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"role": "viewer"}))]
pub struct MemberRole {
    /// The new role. `owner` hands the list over: the caller becomes an editor.
    pub role: Role,
}

/// The caller's lists: the inbox first, then by name (case-insensitively).
#[utoipa::path(
    get, path = "/lists", tag = "lists", operation_id = "listLists",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The caller's lists", body = Vec<List>),
        BearerErrors,
    )
)]
#[get("/lists")]
async fn all(todo: &State<Todo>, auth: TaskOwner) -> ApiResult<Json<Vec<List>>> {
    Ok(Json(todo.lists(&auth.owner).all().await?.into_iter().map(List::from).collect()))
}

/// Make a list; the caller owns it. With an `Idempotency-Key`, a retry (the same key and name from the same user
/// within 24 hours) answers what the first create answered and makes nothing; the same key with another name is 422.
#[utoipa::path(
    post, path = "/lists", tag = "lists", operation_id = "createList",
    request_body = ListName,
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Makes the create safe to retry: 1 to 255 \
            printable ASCII characters, new for each list (a UUID is a good one); spaces and tabs around it are not \
            part of it, and an empty value is no key. Anything else is 422.",
            example = "0b7e5c2a-91d4-4f3e-a2b1-c3d4e5f60718"),
    ),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 201, description = "Created", body = List,
            headers(("Location" = String, description = "The new list: `/lists/{id}`"))),
        JsonBodyErrors,
        BearerErrors,
    )
)]
#[post("/lists", data = "<body>")]
async fn create(
    todo: &State<Todo>,
    auth: TaskOwner,
    base: MountBase,
    idempotency_key: IdempotencyKeyHeader,
    body: JsonBody<ListName>,
) -> ApiResult<Created<Json<List>>> {
    let lists = todo.lists(&auth.owner);
    let list = match idempotency_key.0? {
        Some(key) => lists.create_once(&body.0.name, &key).await?.list,
        None => lists.create(&body.0.name).await?,
    };
    Ok(Created::new(base.join(&format!("/lists/{}", list.id))).body(Json(list.into())))
}

/// Get one list.
#[utoipa::path(
    get, path = "/lists/{id}", tag = "lists", operation_id = "getList",
    params(("id" = Uuid, Path, description = "The list's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The list", body = List),
        ListErrors,
    )
)]
#[get("/lists/<id>")]
async fn get_one(todo: &State<Todo>, auth: TaskOwner, id: &str) -> ApiResult<Json<List>> {
    Ok(Json(todo.lists(&auth.owner).get(path_id(id)?).await?.into()))
}

/// Rename a list (the owner).
#[utoipa::path(
    patch, path = "/lists/{id}", tag = "lists", operation_id = "renameList",
    params(("id" = Uuid, Path, description = "The list's id")),
    request_body = ListName,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The renamed list", body = List),
        ListErrors,
        JsonBodyErrors,
    )
)]
#[patch("/lists/<id>", data = "<body>")]
async fn rename(todo: &State<Todo>, auth: TaskOwner, id: &str, body: JsonBody<ListName>) -> ApiResult<Json<List>> {
    Ok(Json(todo.lists(&auth.owner).rename(path_id(id)?, &body.0.name).await?.into()))
}

/// Delete a list and every task in it (the owner). An inbox cannot be deleted: 409.
#[utoipa::path(
    delete, path = "/lists/{id}", tag = "lists", operation_id = "deleteList",
    params(("id" = Uuid, Path, description = "The list's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Deleted, with its tasks"),
        (status = 409, response = responses::ListConflict),
        ListErrors,
    )
)]
#[delete("/lists/<id>")]
async fn delete_one(todo: &State<Todo>, auth: TaskOwner, id: &str) -> ApiResult<Status> {
    todo.lists(&auth.owner).delete(path_id(id)?).await?;
    Ok(Status::NoContent)
}

/// The list's members: the owner first, then by when they joined (any member).
#[utoipa::path(
    get, path = "/lists/{id}/members", tag = "lists", operation_id = "listMembers",
    params(("id" = Uuid, Path, description = "The list's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The members", body = Vec<Member>),
        ListErrors,
    )
)]
#[get("/lists/<id>/members")]
async fn members(todo: &State<Todo>, auth: TaskOwner, id: &str) -> ApiResult<Json<Vec<Member>>> {
    Ok(Json(todo.lists(&auth.owner).members(path_id(id)?).await?.into_iter().map(Member::from).collect()))
}

/// Change a member's role (the owner). Making another member the owner hands the list over: the caller becomes an
/// editor. The owner cannot demote themselves without handing over, nor hand over an inbox: 409.
#[utoipa::path(
    patch, path = "/lists/{id}/members/{user_id}", tag = "lists", operation_id = "setMemberRole",
    params(
        ("id" = Uuid, Path, description = "The list's id"),
        ("user_id" = Uuid, Path, description = "The member's user id"),
    ),
    request_body = MemberRole,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The member with the new role", body = Member),
        (status = 409, response = responses::ListConflict),
        ListErrors,
        JsonBodyErrors,
    )
)]
#[patch("/lists/<id>/members/<user_id>", data = "<body>")]
async fn set_role(
    todo: &State<Todo>,
    auth: TaskOwner,
    id: &str,
    user_id: &str,
    body: JsonBody<MemberRole>,
) -> ApiResult<Json<Member>> {
    let member = todo.lists(&auth.owner).set_role(path_id(id)?, path_id(user_id)?, body.0.role.into()).await?;
    Ok(Json(member.into()))
}

/// Remove a member (the owner), or leave (any member, with their own user id). The owner cannot leave without
/// handing the list over first: 409. The removed member's next request no longer sees the list or its tasks, and
/// tasks assigned to them in it are unassigned.
#[utoipa::path(
    delete, path = "/lists/{id}/members/{user_id}", tag = "lists", operation_id = "removeMember",
    params(
        ("id" = Uuid, Path, description = "The list's id"),
        ("user_id" = Uuid, Path, description = "The member's user id (the caller's own to leave)"),
    ),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 409, response = responses::ListConflict),
        ListErrors,
    )
)]
#[delete("/lists/<id>/members/<user_id>")]
async fn remove_member(todo: &State<Todo>, auth: TaskOwner, id: &str, user_id: &str) -> ApiResult<Status> {
    todo.lists(&auth.owner).remove_member(path_id(id)?, path_id(user_id)?).await?;
    Ok(Status::NoContent)
}
