//! Access to lists and their tasks: the SQL condition "the owner is a member of this list with at least this role",
//! which every statement on a list or a task carries next to [`owner_is_current!`](super::owner_is_current), the
//! inbox every account gets, and the one lookup that explains a statement that touched no row.
//!
//! Checking the membership inside the statement that acts is what makes a removed member's very next request fail,
//! on every instance, with no cache to go stale: there is no moment between "may they?" and "do it".

use uuid::Uuid;

use super::owner::stale_owner;
use super::{on_connection, Owner, Store};
use crate::error::{Error, Result};
use crate::roles::Role;

/// The SQL condition "the owner (`$1`) is a member of the list `$list` with a role of rank `$rank` or more"
/// ([`Role`]: 1 viewer, 2 editor, 3 owner). Both arguments are SQL text: a column (`tasks.list_id`) or a parameter,
/// and a rank literal. A string literal, for `concat!`.
macro_rules! member_may {
    ($list:literal, $rank:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM memberships AS caller_membership WHERE caller_membership.user_id = $1 ",
            "AND caller_membership.list_id = ",
            $list,
            " AND caller_membership.role >= ",
            $rank,
            ")"
        )
    };
}
pub(crate) use member_may;

/// Makes an account's inbox: `$1` the list's id, `$2` the account's id, `$3` the time (run with
/// [`INSERT_INBOX_OWNER`], in the transaction that makes the account).
pub(crate) const INSERT_INBOX: &str = "INSERT INTO lists (id, owner_id, name, inbox, created_at, updated_at) \
                                       VALUES ($1, $2, 'Inbox', TRUE, $3, $3)";
/// Makes the account the owner of its inbox, with the values of [`INSERT_INBOX`].
pub(crate) const INSERT_INBOX_OWNER: &str =
    "INSERT INTO memberships (user_id, list_id, role, joined_at) VALUES ($2, $1, 3, $3)";

/// What a statement on a list or task that touched no row was refused for, asked only then: the owner is not
/// current (a token error), the target does not exist or the owner is not a member of its list
/// ([`Error::NotFound`]: a list one cannot see looks exactly like a missing one), the owner's role is below
/// `needed` ([`Error::RoleRequired`]), or the task's version is no longer `version` ([`Error::VersionMismatch`]).
/// `None` when all of that holds: the statement failed on a condition of its own (the caller knows which), or the
/// row changed between the statement and this lookup.
pub(crate) async fn refusal(
    store: &Store,
    owner: &Owner,
    target: Target,
    needed: Role,
    version: Option<i64>,
) -> Option<Error> {
    match explain(store, owner, target).await {
        Ok(Explained::Stale(error)) => Some(error),
        Ok(Explained::Member { role, version: current }) => {
            if !role.allows(needed) {
                Some(Error::RoleRequired { needed })
            } else if version.is_some_and(|expected| current != Some(expected)) {
                Some(Error::VersionMismatch)
            } else {
                None
            }
        }
        Ok(Explained::NotFound) => Some(Error::NotFound),
        Err(error) => Some(error),
    }
}

/// What a statement acted on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    /// A list, by id.
    List(Uuid),
    /// A task, by id.
    Task(Uuid),
}

enum Explained {
    Stale(Error),
    NotFound,
    Member { role: Role, version: Option<i64> },
}

async fn explain(store: &Store, owner: &Owner, target: Target) -> Result<Explained> {
    if let Some(stale) = stale_owner(store, owner).await? {
        return Ok(Explained::Stale(stale.into()));
    }
    let row: Option<(i16, Option<i64>)> = match target {
        Target::List(list) => on_connection!(reading store, |conn| {
            sqlx::query_as("SELECT role, CAST(NULL AS BIGINT) FROM memberships WHERE user_id = $1 AND list_id = $2")
                .bind(owner.user_id().as_uuid())
                .bind(list)
                .fetch_optional(conn)
                .await
        })?,
        Target::Task(task) => on_connection!(reading store, |conn| {
            sqlx::query_as(
                "SELECT memberships.role, tasks.version FROM tasks \
                 JOIN memberships ON memberships.list_id = tasks.list_id AND memberships.user_id = $1 \
                 WHERE tasks.id = $2",
            )
            .bind(owner.user_id().as_uuid())
            .bind(task)
            .fetch_optional(conn)
            .await
        })?,
    };
    Ok(match row {
        None => Explained::NotFound,
        Some((rank, version)) => {
            Explained::Member { role: Role::from_rank(rank).ok_or_else(|| Error::internal(BadRank(rank)))?, version }
        }
    })
}

/// A stored role rank the schema should not have let in.
#[derive(Debug, thiserror::Error)]
#[error("memberships.role holds {0}, which is no role")]
pub(crate) struct BadRank(pub(crate) i16);

/// In the transaction `$tx` that deletes the account `$user` (a `Uuid`), hands every shared list it owns to the
/// member who is to keep it, so that deleting an account does not delete other people's work: the member with the
/// highest role, then the longest-standing one (then the lowest id, so that the choice is one). The account's lists
/// without another member (its inbox among them) go with the account. Evaluates to `Ok(true)` when every list was
/// handed over, `Ok(false)` when a successor left meanwhile (the caller rolls back and tries again).
macro_rules! hand_over_owned_lists {
    ($tx:expr, $user:expr) => {{
        let user: uuid::Uuid = $user;
        async {
            let successions: Vec<(uuid::Uuid, Option<uuid::Uuid>)> = sqlx::query_as(
                "SELECT lists.id, (SELECT heir.user_id FROM memberships AS heir \
                 WHERE heir.list_id = lists.id AND heir.user_id <> $1 \
                 ORDER BY heir.role DESC, heir.joined_at, heir.user_id LIMIT 1) \
                 FROM lists WHERE lists.owner_id = $1 AND NOT lists.inbox",
            )
            .bind(user)
            .fetch_all(&mut *$tx)
            .await?;
            for (list, heir) in successions {
                let Some(heir) = heir else { continue };
                // The owner's row goes first: a list has one owner row at a time (memberships_one_owner).
                sqlx::query("DELETE FROM memberships WHERE list_id = $1 AND user_id = $2")
                    .bind(list)
                    .bind(user)
                    .execute(&mut *$tx)
                    .await?;
                let promoted = sqlx::query("UPDATE memberships SET role = 3 WHERE list_id = $1 AND user_id = $2")
                    .bind(list)
                    .bind(heir)
                    .execute(&mut *$tx)
                    .await?
                    .rows_affected();
                if promoted == 0 {
                    return Ok::<bool, sqlx::Error>(false);
                }
                sqlx::query("UPDATE lists SET owner_id = $2 WHERE id = $1")
                    .bind(list)
                    .bind(heir)
                    .execute(&mut *$tx)
                    .await?;
            }
            Ok(true)
        }
        .await
    }};
}
pub(crate) use hand_over_owned_lists;

/// In the transaction `$tx` that deletes the account `$user` (a `Uuid`), at `$now`, after the hand-over: the tasks
/// it leaves in lists that stay (handed over, or other people's) lose it as their author and assignee, and each
/// such task's version moves on (with `updated_at`), as when a removed member's tasks are unassigned. The lists it
/// still owns go with the account, so their tasks are not written first. The foreign keys' `SET NULL`
/// would change the task without a new version, and an `If-Match` on the old representation would still pass.
/// Evaluates to `Result<(), sqlx::Error>`.
macro_rules! forget_account_in_tasks {
    ($tx:expr, $user:expr, $now:expr) => {{
        let (user, now): (uuid::Uuid, time::OffsetDateTime) = ($user, $now);
        async {
            // One statement per column, each on its own index (`tasks_by_author`, `tasks_by_assignee`).
            for column in ["created_by", "assignee_id"] {
                sqlx::query(&format!(
                    "UPDATE tasks SET {column} = NULL, version = version + 1, updated_at = $2 WHERE {column} = $1 \
                     AND NOT EXISTS (SELECT 1 FROM lists WHERE lists.id = tasks.list_id AND lists.owner_id = $1)"
                ))
                .bind(user)
                .bind(now)
                .execute(&mut *$tx)
                .await?;
            }
            Ok::<(), sqlx::Error>(())
        }
        .await
    }};
}
pub(crate) use forget_account_in_tasks;
