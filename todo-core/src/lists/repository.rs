//! The list repository: [`Lists`], the lists an owner is a member of and their members, and the SQL behind them.
//!
//! Each statement requires the owner's session ([`owner_is_current!`]) and the owner's membership with the role
//! the action needs ([`member_may!`]) in its own `WHERE` clause; when it touches no row, one lookup tells why
//! (`store::access_refusal`).

use time::OffsetDateTime;
use uuid::Uuid;

use super::list::{check_name, stored_role as role, List, Member};
use super::sharing::Sharing;
use crate::clock::{now, unix_ms};
use crate::email::Email;
use crate::error::{Error, Result};
use crate::ids::{ListId, UserId};
use crate::roles::Role;
use crate::store::BindOwner as _;
use crate::store::{
    access_refusal, execute_as_owner, member_may, not_found_or_refusal, on_connection, owner_is_current,
};
use crate::store::{claim_key, store_answer, Claim, IdempotencyKey, Owner, Store, Target};

/// The lists of one owner (the account behind a verified token), and their members. Get one from
/// [`crate::Todo::lists`].
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use todo_core::{Config, ListQuery, Role, TaskInput, Todo};
///
/// let config = Config::new("use at least 32 random bytes here!!")?.with_bcrypt_cost(4)?.with_database_url("sqlite::memory:");
/// let todo = Todo::connect(&config).await?;
/// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
/// let ann = todo.accounts().login("ann@example.com", "correct horse battery").await?.owner;
///
/// // Every account starts with its inbox; more lists are made by name.
/// let groceries = todo.lists(&ann).create("Groceries").await?;
/// assert_eq!(groceries.role, Role::Owner);
/// let names: Vec<_> = todo.lists(&ann).all().await?.into_iter().map(|list| list.name).collect();
/// assert_eq!(names, ["Inbox", "Groceries"]);
///
/// // A task goes into a list by its id (into the inbox without one), and deleting the list deletes its tasks.
/// let milk = TaskInput { list_id: Some(groceries.id), ..TaskInput::new("Milk") };
/// todo.tasks(&ann).create(milk).await?;
/// todo.lists(&ann).delete(groceries.id).await?;
/// assert!(todo.tasks(&ann).list(&ListQuery::default()).await?.items.is_empty());
/// # Ok::<(), todo_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Lists {
    pub(super) store: Store,
    pub(super) owner: Owner,
    /// Links, mailer and the inviters' budget (`invitations`).
    pub(super) sharing: Sharing,
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: Uuid,
    name: String,
    inbox: bool,
    role: i16,
    member_count: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl TryFrom<ListRow> for List {
    type Error = Error;

    fn try_from(row: ListRow) -> Result<Self> {
        Ok(List {
            id: ListId::from_uuid(row.id),
            name: row.name,
            inbox: row.inbox,
            role: role(row.role)?,
            member_count: row.member_count,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    user_id: Uuid,
    email: String,
    role: i16,
    joined_at: OffsetDateTime,
}

impl TryFrom<MemberRow> for Member {
    type Error = Error;

    fn try_from(row: MemberRow) -> Result<Self> {
        Ok(Member {
            user_id: UserId::from_uuid(row.user_id),
            email: Email::from_trusted(row.email),
            role: role(row.role)?,
            joined_at: row.joined_at,
        })
    }
}

/// The lists the owner (`$1`) is a member of, with their role and member count; a statement appends its own
/// conditions (`AND …`).
macro_rules! select_lists {
    () => {
        concat!(
            "SELECT lists.id, lists.name, lists.inbox, mine.role, ",
            "(SELECT COUNT(*) FROM memberships AS counted WHERE counted.list_id = lists.id) AS member_count, ",
            "lists.created_at, lists.updated_at ",
            "FROM memberships AS mine JOIN lists ON lists.id = mine.list_id WHERE mine.user_id = $1 AND ",
            owner_is_current!()
        )
    };
}

/// The operation a list create claims its key for.
const CREATE_LIST: &str = "create_list";

/// A new list named `name` (checked), owned by the caller, made now.
fn new_list(name: String) -> List {
    let created_at = now();
    List {
        id: ListId::from_uuid(Uuid::now_v7()),
        name,
        inbox: false,
        role: Role::Owner,
        member_count: 1,
        created_at,
        updated_at: created_at,
    }
}

/// In the transaction `$tx`, makes `$list` with `$owner` as its owner and only member, if the owner is current:
/// evaluates to whether it did.
macro_rules! insert_list {
    ($tx:expr, $owner:expr, $list:expr) => {{
        let list: &List = $list;
        async {
            let made = sqlx::query(concat!(
                "INSERT INTO lists (id, owner_id, name, inbox, created_at, updated_at) ",
                "SELECT $4, $1, $5, FALSE, $6, $6 WHERE ",
                owner_is_current!()
            ))
            .bind_owner($owner)
            .bind(list.id.as_uuid())
            .bind(&list.name)
            .bind(list.created_at)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if made > 0 {
                sqlx::query("INSERT INTO memberships (user_id, list_id, role, joined_at) VALUES ($1, $2, 3, $3)")
                    .bind($owner.user_id().as_uuid())
                    .bind(list.id.as_uuid())
                    .bind(list.created_at)
                    .execute(&mut *$tx)
                    .await?;
            }
            Ok::<_, sqlx::Error>(made > 0)
        }
        .await
    }};
}

/// The first answer of a list create, as stored with its key.
#[derive(serde::Serialize, serde::Deserialize)]
struct Snapshot {
    id: Uuid,
    name: String,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
}

fn snapshot(list: &List) -> String {
    let snapshot = Snapshot { id: list.id.as_uuid(), name: list.name.clone(), created_at: list.created_at };
    serde_json::to_string(&snapshot).unwrap_or_default()
}

/// The list as the first create answered it: new, owned by the caller, its only member.
fn replay(answer: &str) -> Result<List> {
    let Snapshot { id, name, created_at } = serde_json::from_str(answer).map_err(Error::internal)?;
    Ok(List {
        id: ListId::from_uuid(id),
        name,
        inbox: false,
        role: Role::Owner,
        member_count: 1,
        created_at,
        updated_at: created_at,
    })
}

/// What a list create with a key answered: the list, and whether this was a retry that made nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedList {
    /// The list, as the first create answered it.
    pub list: List,
    /// `true` when the key had been used before: nothing was made now.
    pub replayed: bool,
}

impl Lists {
    pub(crate) fn new(store: Store, sharing: Sharing, owner: &Owner) -> Self {
        Self { store, owner: *owner, sharing }
    }

    /// Every list the owner is a member of: the inbox first, then by name (case-insensitively, then as written).
    pub async fn all(&self) -> Result<Vec<List>> {
        let rows = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, ListRow>(select_lists!()).bind_owner(&self.owner).fetch_all(conn).await
        })?;
        if rows.is_empty() {
            // Every account has its inbox: no list at all means the owner is not current.
            return Err(not_found_or_refusal(&self.store, &self.owner).await);
        }
        let mut lists = rows.into_iter().map(List::try_from).collect::<Result<Vec<_>>>()?;
        // Sorted here, not in SQL: the engines' collations differ, and the answer must not.
        lists.sort_by_cached_key(|list| (!list.inbox, list.name.to_lowercase(), list.name.clone(), list.id));
        Ok(lists)
    }

    /// The list, if the owner is a member of it.
    pub async fn get(&self, id: ListId) -> Result<List> {
        let row = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, ListRow>(concat!(select_lists!(), " AND lists.id = $4"))
                .bind_owner(&self.owner)
                .bind(id.as_uuid())
                .fetch_optional(conn)
                .await
        })?;
        match row {
            Some(row) => row.try_into(),
            None => Err(self.refused(id, Role::Viewer).await.unwrap_or(Error::NotFound)),
        }
    }

    /// Makes a list named `name` (trimmed; 1 to 100 characters), owned by the owner.
    pub async fn create(&self, name: &str) -> Result<List> {
        let list = new_list(check_name(name)?);
        let made = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            let made = insert_list!(tx, &self.owner, &list)?;
            if made {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok::<_, sqlx::Error>(made)
        }
        .await)?;
        if !made {
            return Err(not_found_or_refusal(&self.store, &self.owner).await);
        }
        Ok(list)
    }

    /// [`Lists::create`], safe to retry: with a `key` this owner's user used in the last
    /// [`IDEMPOTENCY_KEY_TTL`](crate::IDEMPOTENCY_KEY_TTL) for the same name, it answers the list the first create
    /// made (`replayed`, as it was then) and makes nothing, also when the retries run at once; for another name, it
    /// is a validation error on `Idempotency-Key`. Keys of task creates are not keys of list creates.
    pub async fn create_once(&self, name: &str, key: &IdempotencyKey) -> Result<CreatedList> {
        let claim = Claim::new(CREATE_LIST, key, name.as_bytes(), unix_ms(now()));
        let list = new_list(check_name(name)?);
        let outcome = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            if let Some(stored) = claim_key!(tx, &self.owner, &claim)? {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(Some(stored));
            }
            if !insert_list!(tx, &self.owner, &list)? {
                tx.rollback().await?;
                return Ok(Some(None));
            }
            store_answer!(tx, &self.owner, &claim, snapshot(&list))?;
            tx.commit().await?;
            Ok(None)
        }
        .await)?;
        let Some(stored) = outcome else { return Ok(CreatedList { list, replayed: false }) };
        match claim.replay(stored, "list")? {
            Some(answer) => Ok(CreatedList { list: replay(&answer)?, replayed: true }),
            None => Err(not_found_or_refusal(&self.store, &self.owner).await),
        }
    }

    /// Renames the list (the owner's role); an inbox may be renamed too. `updated_at` moves only if the name changes.
    pub async fn rename(&self, id: ListId, name: &str) -> Result<List> {
        let name = check_name(name)?;
        let renamed = on_connection!(self.store, |conn| {
            sqlx::query(concat!(
                "UPDATE lists SET name = $4, updated_at = CASE WHEN lists.name = $4 THEN lists.updated_at ELSE $5 END ",
                "WHERE lists.id = $6 AND ",
                member_may!("lists.id", "3"),
                " AND ",
                owner_is_current!()
            ))
            .bind_owner(&self.owner)
            .bind(&name)
            .bind(now())
            .bind(id.as_uuid())
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        })?;
        if renamed == 0 {
            return Err(self.refused(id, Role::Owner).await.unwrap_or(Error::NotFound));
        }
        self.get(id).await
    }

    /// Deletes the list and every task in it (the owner's role). An inbox cannot be deleted
    /// ([`Error::InboxIsPersonal`]).
    pub async fn delete(&self, id: ListId) -> Result<()> {
        let sql = concat!(
            "DELETE FROM lists WHERE lists.id = $4 AND NOT lists.inbox AND ",
            member_may!("lists.id", "3"),
            " AND ",
            owner_is_current!()
        );
        let deleted = execute_as_owner(&self.store, sql, &self.owner, Some(id.as_uuid())).await?;
        if deleted == 0 {
            // The owner of the list it is: then it is an inbox.
            return Err(self.refused(id, Role::Owner).await.unwrap_or(Error::InboxIsPersonal));
        }
        Ok(())
    }

    /// The list's members, the owner first, then by when they joined (any member may ask).
    pub async fn members(&self, id: ListId) -> Result<Vec<Member>> {
        let rows = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, MemberRow>(concat!(
                "SELECT memberships.user_id, users.email, memberships.role, memberships.joined_at ",
                "FROM memberships JOIN users ON users.id = memberships.user_id WHERE memberships.list_id = $4 AND ",
                member_may!("$4", "1"),
                " AND ",
                owner_is_current!(),
                " ORDER BY memberships.role DESC, memberships.joined_at, memberships.user_id"
            ))
            .bind_owner(&self.owner)
            .bind(id.as_uuid())
            .fetch_all(conn)
            .await
        })?;
        if rows.is_empty() {
            return Err(self.refused(id, Role::Viewer).await.unwrap_or(Error::NotFound));
        }
        rows.into_iter().map(Member::try_from).collect()
    }

    /// Gives `member` the role `role` (the owner's role). Making another member the owner hands the list over: the
    /// old owner becomes an editor, in the same transaction. The owner cannot demote themselves without handing
    /// over ([`Error::OwnerMustHandOver`]), and an inbox cannot be handed over ([`Error::InboxIsPersonal`]).
    pub async fn set_role(&self, id: ListId, member: UserId, role: Role) -> Result<Member> {
        let me = self.owner.user_id();
        if member == me {
            // The owner's own role: only "owner" is no change.
            let list = self.get(id).await?;
            return match (list.role, role) {
                (Role::Owner, Role::Owner) => self.member(id, member).await,
                (Role::Owner, _) => Err(Error::OwnerMustHandOver),
                _ => Err(Error::RoleRequired { needed: Role::Owner }),
            };
        }
        let changed = if role == Role::Owner {
            self.hand_over(id, member).await?
        } else {
            on_connection!(self.store, |conn| {
                sqlx::query(concat!(
                    "UPDATE memberships SET role = $4 WHERE memberships.list_id = $5 AND memberships.user_id = $6 ",
                    "AND memberships.role < 3 AND ",
                    member_may!("$5", "3"),
                    " AND ",
                    owner_is_current!()
                ))
                .bind_owner(&self.owner)
                .bind(role.rank())
                .bind(id.as_uuid())
                .bind(member.as_uuid())
                .execute(conn)
                .await
                .map(|done| done.rows_affected() > 0)
            })?
        };
        if !changed {
            // The owner holds: then `member` is not a member of it.
            return Err(self.refused(id, Role::Owner).await.unwrap_or(Error::NotFound));
        }
        self.member(id, member).await
    }

    /// Hands the list over to `member`, in one transaction: the owner becomes an editor, `member` the owner. Whether
    /// it happened (no: the owner is not the owner, or `member` is not a member).
    async fn hand_over(&self, id: ListId, member: UserId) -> Result<bool> {
        let inbox = on_connection!(self.store, |conn| {
            async {
            let mut tx = conn.begin().await?;
            // Demoting first takes the owner's row (and, on SQLite, the one writer's lock) before anything else.
            let demoted = sqlx::query(concat!(
                "UPDATE memberships SET role = 2 WHERE memberships.list_id = $4 AND memberships.user_id = $1 ",
                "AND memberships.role = 3 AND NOT EXISTS (SELECT 1 FROM lists WHERE lists.id = $4 AND lists.inbox) AND ",
                owner_is_current!()
            ))
            .bind_owner(&self.owner)
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let promoted = if demoted == 0 {
                0
            } else {
                sqlx::query("UPDATE memberships SET role = 3 WHERE list_id = $1 AND user_id = $2")
                    .bind(id.as_uuid())
                    .bind(member.as_uuid())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            };
            if promoted == 0 {
                tx.rollback().await?;
                return Ok(Some(demoted));
            }
            sqlx::query("UPDATE lists SET owner_id = $2 WHERE id = $1")
                .bind(id.as_uuid())
                .bind(member.as_uuid())
                .execute(&mut *tx)
                .await?;
            tx.commit().await.map(|()| None)
        }
        .await
        })?;
        match inbox {
            None => Ok(true),
            // Not demoted: the owner is not the owner, or the list is an inbox.
            Some(0) => match self.refused(id, Role::Owner).await {
                Some(error) => Err(error),
                None => Err(Error::InboxIsPersonal),
            },
            Some(_) => Ok(false),
        }
    }

    /// Removes `member` from the list: the owner removes anyone but themselves; any member may remove themselves
    /// (leave). The owner cannot leave without handing over first ([`Error::OwnerMustHandOver`]). Tasks assigned to
    /// the removed member in this list lose their assignee, in the same transaction; from their next request on,
    /// the list and its tasks are not theirs to see.
    pub async fn remove_member(&self, id: ListId, member: UserId) -> Result<()> {
        let leaving = member == self.owner.user_id();
        let now = now();
        let removed = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            // Leaving needs only one's own membership; removing someone else needs the owner's role.
            let removed = sqlx::query(concat!(
                "DELETE FROM memberships WHERE memberships.list_id = $4 AND memberships.user_id = $5 ",
                "AND memberships.role < 3 AND ($1 = $5 OR ",
                member_may!("$4", "3"),
                ") AND ",
                owner_is_current!()
            ))
            .bind_owner(&self.owner)
            .bind(id.as_uuid())
            .bind(member.as_uuid())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if removed == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(
                "UPDATE tasks SET assignee_id = NULL, version = version + 1, updated_at = $3 \
                 WHERE list_id = $1 AND assignee_id = $2",
            )
            .bind(id.as_uuid())
            .bind(member.as_uuid())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await.map(|()| true)
        }
        .await)?;
        if removed {
            return Ok(());
        }
        let needed = if leaving { Role::Viewer } else { Role::Owner };
        Err(match self.refused(id, needed).await {
            Some(error) => error,
            // Leaving as the owner, or removing the owner (oneself) or someone who is not a member.
            None if leaving => Error::OwnerMustHandOver,
            None => Error::NotFound,
        })
    }

    /// One member of the list, as [`Lists::members`] lists them.
    async fn member(&self, id: ListId, member: UserId) -> Result<Member> {
        self.members(id).await?.into_iter().find(|found| found.user_id == member).ok_or(Error::NotFound)
    }

    /// Why a statement on list `id` that needed `needed` touched no row, if the list, the membership or the role
    /// explains it.
    pub(super) async fn refused(&self, id: ListId, needed: Role) -> Option<Error> {
        access_refusal(&self.store, &self.owner, Target::List(id.as_uuid()), needed, None).await
    }
}
