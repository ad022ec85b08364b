//! Invitations to a list: `POST`/`GET /lists/{id}/invitations` and `DELETE /invitations/{id}` (the list's owner),
//! and `POST /invitations/accept` (the invited account, signed in with its verified email).
//!
//! The mail goes out after the answer, which is the same, in the same time, whether or not the address has an
//! account (nothing looks it up).

use rocket::fairing::AdHoc;
use rocket::http::Status;
use rocket::response::status::Created;
use rocket::serde::json::Json;
use rocket::{delete, get, post, routes, State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use todo_core::{InvitationId, ListId, Todo};
use utoipa::ToSchema;
use uuid::Uuid;

use super::lists::{List, Role};
use super::mail::mail_after_the_answer;
use super::responses::{self, BearerErrors, JsonBodyErrors, ListErrors, MailTokenBodyErrors};
use crate::http::body::JsonBody;
use crate::http::error::{path_id, ApiResult};
use crate::http::guard::TaskOwner;
use crate::http::location::MountBase;
use crate::ops::metrics;

/// The stage of this area: its routes under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage("invitations", mount_point, routes![invite, pending, withdraw, accept])
}

/// A pending invitation, as the list's owner sees it (its link is only in the mail).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f4a2-3c4d-7e5f-8a9b-c0d1e2f3a4b5", "email": "bob@example.com", "role": "editor",
    "expires_at": "2026-01-19T09:30:00Z"
}))]
pub struct Invitation {
    /// The invitation's id (to withdraw it).
    pub id: Uuid,
    /// The invited address: the accepting account's verified email must be this one.
    pub email: String,
    /// The role the invitee gets: `editor` or `viewer`.
    pub role: Role,
    /// When its link stops working (7 days after it was sent).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl From<todo_core::Invitation> for Invitation {
    fn from(invitation: todo_core::Invitation) -> Self {
        Self {
            id: invitation.id.as_uuid(),
            email: invitation.email.as_str().to_owned(),
            role: invitation.role.into(),
            expires_at: invitation.expires_at,
        }
    }
}

/// Body of `POST /lists/{id}/invitations`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "bob@example.com", "role": "editor"}))]
pub struct InvitationRequest {
    /// The address to invite (it need not have an account yet).
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// `editor` or `viewer` (ownership is handed over with `PATCH /lists/{id}/members/{user_id}`; `owner` is 422).
    pub role: Role,
}

/// Body of `POST /invitations/accept`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"token": "pV3p2Yq0y8lQm6WcE1oQ9w3cC9pY1hX0bq4yZrJ8kC4"}))]
pub struct AcceptInvitation {
    /// The `token` of the invitation's link (`{APP_URL}/invitations?token=…`).
    pub token: String,
}

/// Invite someone to a list by email, as an editor or a viewer (the owner). A mail with a link
/// (`{APP_URL}/invitations?token=…`, 7 days, single use) goes to the address; the answer is the same whether or not
/// the address has an account. Inviting an address again replaces its pending invitation (the older link stops
/// working; the latest role is offered). An inbox cannot be shared: 409. Each account sends a limited number of invitations
/// per window (`RATE_LIMIT_INVITATIONS_PER_INVITER`): 429 beyond.
#[utoipa::path(
    post, path = "/lists/{id}/invitations", tag = "lists", operation_id = "inviteToList",
    params(("id" = Uuid, Path, description = "The list's id")),
    request_body = InvitationRequest,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 201, description = "Invited: the mail is on its way", body = Invitation,
            headers(("Location" = String, description = "The list's pending invitations: \
                `/lists/{id}/invitations`"))),
        (status = 409, response = responses::ListConflict),
        (status = 429, response = responses::TooManyRequests),
        ListErrors,
        JsonBodyErrors,
    )
)]
#[post("/lists/<id>/invitations", data = "<body>")]
async fn invite(
    todo: &State<Todo>,
    auth: TaskOwner,
    base: MountBase,
    id: &str,
    body: JsonBody<InvitationRequest>,
) -> ApiResult<Created<Json<Invitation>>> {
    let list: ListId = path_id(id)?;
    let invited = todo.lists(&auth.owner).invite(list, &body.0.email, body.0.role.into()).await;
    let (invitation, mail) = invited.inspect_err(metrics::refusal_of("invitation"))?;
    mail_after_the_answer("list invitation", async move { Ok(Some(mail)) });
    let location = base.join(&format!("/lists/{list}/invitations"));
    Ok(Created::new(location).body(Json(invitation.into())))
}

/// The list's pending invitations (the owner), oldest first.
#[utoipa::path(
    get, path = "/lists/{id}/invitations", tag = "lists", operation_id = "listInvitations",
    params(("id" = Uuid, Path, description = "The list's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The pending invitations", body = Vec<Invitation>),
        ListErrors,
    )
)]
#[get("/lists/<id>/invitations")]
async fn pending(todo: &State<Todo>, auth: TaskOwner, id: &str) -> ApiResult<Json<Vec<Invitation>>> {
    let invitations = todo.lists(&auth.owner).invitations(path_id(id)?).await?;
    Ok(Json(invitations.into_iter().map(Invitation::from).collect()))
}

/// Withdraw an invitation (the owner of its list): its link stops working.
#[utoipa::path(
    delete, path = "/invitations/{id}", tag = "lists", operation_id = "withdrawInvitation",
    params(("id" = Uuid, Path, description = "The invitation's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Withdrawn"),
        ListErrors,
    )
)]
#[delete("/invitations/<id>")]
async fn withdraw(todo: &State<Todo>, auth: TaskOwner, id: &str) -> ApiResult<Status> {
    let id: InvitationId = path_id(id)?;
    todo.lists(&auth.owner).withdraw(id).await?;
    Ok(Status::NoContent)
}

/// Accept an invitation with its link's token: the caller joins the list with the invitation's role. The caller's
/// verified email must be the invited address (403 otherwise, and the link stays usable by the invited account); a
/// token that is unknown, used, withdrawn or expired is 422. A member already keeps their role.
#[utoipa::path(
    post, path = "/invitations/accept", tag = "lists", operation_id = "acceptInvitation",
    request_body = AcceptInvitation,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "Joined: the list, as the caller now sees it", body = List),
        (status = 403, response = responses::InvitationForSomeoneElse),
        MailTokenBodyErrors,
        BearerErrors,
    )
)]
#[post("/invitations/accept", data = "<body>")]
async fn accept(todo: &State<Todo>, auth: TaskOwner, body: JsonBody<AcceptInvitation>) -> ApiResult<Json<List>> {
    Ok(Json(todo.lists(&auth.owner).accept(&body.0.token).await?.into()))
}
