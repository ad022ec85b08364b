//! The task repository: [`Tasks`], the tasks of every list the owner is a member of, and the SQL that writes them.
//!
//! Every statement carries two conditions next to its own: [`owner_is_current!`] (the owner's session still holds;
//! the owner's values are its parameters `$1` to `$3`, bound first by [`BindOwner::bind_owner`], its own start at
//! `$4`) and [`member_may!`] (the owner is a member of the task's list with the role the action needs: a viewer
//! reads, an editor writes). A task of a list one is not a member of therefore looks exactly like a missing one,
//! and a removed member, a revoked session or a deleted account is refused by the very next statement.
//! Reading pages lives in `listing.rs`.

use time::OffsetDateTime;
use uuid::Uuid;

use super::task::{check_fields, Task, TaskInput, TaskPatch};
use crate::clock::{from_unix_ms, now, unix_ms};
use crate::error::{Error, FieldError, Result};
use crate::ids::{ListId, TaskId, UserId};
use crate::roles::Role;
use crate::store::fold;
use crate::store::{access_refusal, member_may, on_connection, owner_is_current, stale_owner, BindOwner as _};
use crate::store::{Owner, Store, Target};

/// The tasks of every list an owner is a member of, as their role there allows. Get one from [`crate::Todo::tasks`].
#[derive(Debug, Clone)]
pub struct Tasks {
    pub(super) store: Store,
    /// Every statement requires the owner's session to be current and their membership of the task's list.
    pub(super) owner: Owner,
    /// The version a write requires the task to have ([`Tasks::if_version`]).
    pub(super) expected_version: Option<i64>,
}

#[derive(sqlx::FromRow)]
pub(super) struct TaskRow {
    pub(super) id: Uuid,
    pub(super) list_id: Uuid,
    pub(super) created_by: Option<Uuid>,
    pub(super) title: String,
    pub(super) description: Option<String>,
    pub(super) completed: bool,
    pub(super) due_at_ms: Option<i64>,
    pub(super) priority: i16,
    pub(super) assignee_id: Option<Uuid>,
    pub(super) version: i64,
    pub(super) created_at: OffsetDateTime,
    pub(super) updated_at: OffsetDateTime,
}

impl TryFrom<TaskRow> for Task {
    type Error = Error;

    fn try_from(row: TaskRow) -> Result<Self> {
        Ok(Task {
            id: TaskId::from_uuid(row.id),
            list_id: ListId::from_uuid(row.list_id),
            title: row.title,
            description: row.description,
            completed: row.completed,
            due_at: row.due_at_ms.map(from_unix_ms).transpose()?,
            priority: u8::try_from(row.priority).map_err(Error::internal)?,
            assignee_id: row.assignee_id.map(UserId::from_uuid),
            created_by: row.created_by.map(UserId::from_uuid),
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// The columns every query returns, in [`TaskRow`]'s order, of the table `tasks`.
macro_rules! columns {
    () => {
        "tasks.id, tasks.list_id, tasks.created_by, tasks.title, tasks.description, tasks.completed, \
         tasks.due_at_ms, tasks.priority, tasks.assignee_id, tasks.version, tasks.created_at, tasks.updated_at"
    };
}
pub(super) use columns;

/// The statement that creates a task on behalf of the owner (`$1` to `$3`): id `$4`, in list `$5` (the owner's
/// inbox when null), title `$6` (folded `$7`), description `$8` (folded `$9`), completed `$10`, due `$11` (Unix
/// ms), priority `$12`, assignee `$13`, at `$14`. No row when the owner is not current, not an editor of the list,
/// or the assignee is not a member of it.
pub(super) const INSERT_TASK: &str = concat!(
    "INSERT INTO tasks (id, list_id, created_by, title, title_folded, description, description_folded, completed, ",
    "due_at_ms, priority, assignee_id, version, created_at, updated_at) ",
    "SELECT $4, target.id, $1, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $14 FROM lists AS target ",
    "WHERE target.id = COALESCE($5, (SELECT inbox.id FROM lists AS inbox WHERE inbox.owner_id = $1 AND inbox.inbox)) ",
    "AND ",
    member_may!("target.id", "2"),
    " AND ($13 IS NULL OR EXISTS (SELECT 1 FROM memberships AS assignee ",
    "WHERE assignee.list_id = target.id AND assignee.user_id = $13)) AND ",
    owner_is_current!(),
    " RETURNING ",
    columns!()
);

/// A create's values, checked, in [`INSERT_TASK`]'s order from `$5` on (the id is bound apart).
pub(super) struct NewTask {
    pub(super) list_id: Option<Uuid>,
    pub(super) title: String,
    pub(super) description: Option<String>,
    pub(super) completed: bool,
    pub(super) due_at_ms: Option<i64>,
    pub(super) priority: i16,
    pub(super) assignee_id: Option<Uuid>,
}

impl NewTask {
    /// Trims and checks `input`, reporting every broken rule at once.
    pub(super) fn checked(input: TaskInput) -> Result<Self> {
        let (title, description) = check_fields(Some(input.title), Some(input.description), Some(input.priority))?;
        Ok(NewTask {
            list_id: input.list_id.map(|list| list.as_uuid()),
            title: title.unwrap_or_default(),
            description: description.flatten(),
            completed: input.completed,
            due_at_ms: input.due_at.map(unix_ms),
            priority: i16::from(input.priority),
            assignee_id: input.assignee_id.map(|user| user.as_uuid()),
        })
    }
}

/// Binds [`NewTask`]'s values and the time to an [`INSERT_TASK`] statement that has its owner and id bound.
macro_rules! bind_new_task {
    ($statement:expr, $new:expr, $created_at:expr) => {
        $statement
            .bind($new.list_id)
            .bind(&$new.title)
            .bind(fold(&$new.title))
            .bind(&$new.description)
            .bind($new.description.as_deref().map(fold))
            .bind($new.completed)
            .bind($new.due_at_ms)
            .bind($new.priority)
            .bind($new.assignee_id)
            .bind($created_at)
    };
}
pub(super) use bind_new_task;

/// The new value of each column in [`WRITE`], from its parameters (a `None` keeps the column). Each is used twice:
/// to set the column, and to tell whether anything changed (then the version and `updated_at` move).
macro_rules! new_value {
    (list_id) => {
        "COALESCE($5, tasks.list_id)"
    };
    (title) => {
        "COALESCE($6, tasks.title)"
    };
    (description) => {
        "CASE WHEN $8 THEN $9 ELSE tasks.description END"
    };
    (completed) => {
        "COALESCE($11, tasks.completed)"
    };
    (due_at_ms) => {
        "CASE WHEN $12 THEN $13 ELSE tasks.due_at_ms END"
    };
    (priority) => {
        "COALESCE($14, tasks.priority)"
    };
    // Set, or kept; kept on a move only if the assignee is a member of the new list too.
    (assignee_id) => {
        "CASE WHEN $15 THEN $16 WHEN $5 IS NULL OR tasks.assignee_id IS NULL THEN tasks.assignee_id \
         WHEN EXISTS (SELECT 1 FROM memberships AS kept WHERE kept.list_id = $5 AND kept.user_id = tasks.assignee_id) \
         THEN tasks.assignee_id ELSE NULL END"
    };
}

/// "Some column changes", over [`new_value!`].
macro_rules! changes {
    () => {
        concat!(
            "(",
            new_value!(list_id),
            " IS DISTINCT FROM tasks.list_id OR ",
            new_value!(title),
            " IS DISTINCT FROM tasks.title OR ",
            new_value!(description),
            " IS DISTINCT FROM tasks.description OR ",
            new_value!(completed),
            " IS DISTINCT FROM tasks.completed OR ",
            new_value!(due_at_ms),
            " IS DISTINCT FROM tasks.due_at_ms OR ",
            new_value!(priority),
            " IS DISTINCT FROM tasks.priority OR ",
            new_value!(assignee_id),
            " IS DISTINCT FROM tasks.assignee_id)"
        )
    };
}

/// Replace and patch in one statement: task `$4`; each column's new value from [`new_value!`] (`$5` list, `$6`
/// title and `$7` its folding, `$8` whether to set the description, `$9` it and `$10` its folding, `$11`
/// completed, `$12` whether to set the due time, `$13` it, `$14` priority, `$15` whether to set the assignee,
/// `$16` it); `$17` the version the task must have (null: any), `$18` now. The owner must be an editor of the
/// task's list and of the list it moves to, and a new assignee a member of the task's (new) list.
const WRITE: &str = concat!(
    "UPDATE tasks SET list_id = ",
    new_value!(list_id),
    ", title = ",
    new_value!(title),
    ", title_folded = COALESCE($7, tasks.title_folded), description = ",
    new_value!(description),
    ", description_folded = CASE WHEN $8 THEN $10 ELSE tasks.description_folded END, completed = ",
    new_value!(completed),
    ", due_at_ms = ",
    new_value!(due_at_ms),
    ", priority = ",
    new_value!(priority),
    ", assignee_id = ",
    new_value!(assignee_id),
    ", version = CASE WHEN ",
    changes!(),
    " THEN tasks.version + 1 ELSE tasks.version END, updated_at = CASE WHEN ",
    changes!(),
    " THEN $18 ELSE tasks.updated_at END ",
    "WHERE tasks.id = $4 AND ($17 IS NULL OR tasks.version = $17) AND ",
    member_may!("tasks.list_id", "2"),
    " AND ($5 IS NULL OR ",
    member_may!("$5", "2"),
    ") AND (NOT $15 OR $16 IS NULL OR EXISTS (SELECT 1 FROM memberships AS assignee ",
    "WHERE assignee.list_id = COALESCE($5, tasks.list_id) AND assignee.user_id = $16)) AND ",
    owner_is_current!(),
    " RETURNING ",
    columns!()
);

impl Tasks {
    pub(crate) fn new(store: Store, owner: &Owner) -> Self {
        Self { store, owner: *owner, expected_version: None }
    }

    /// These tasks with a precondition on writes: [`Tasks::replace`], [`Tasks::update`], [`Tasks::toggle`] and
    /// [`Tasks::delete`] then act only while the task's [`Task::version`] is still `version` (what an HTTP
    /// `If-Match` asks), and otherwise fail with [`Error::VersionMismatch`] and change nothing.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use todo_core::{Config, Error, TaskInput, TaskPatch, Todo};
    ///
    /// let config = Config::new("use at least 32 random bytes here!!")?.with_bcrypt_cost(4)?.with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    /// let owner = todo.accounts().login("ann@example.com", "correct horse battery").await?.owner;
    /// let tasks = todo.tasks(&owner);
    ///
    /// let read = tasks.create(TaskInput::new("Buy milk")).await?;
    /// tasks.toggle(read.id).await?; // someone else completes it meanwhile
    /// let urgent = TaskPatch { priority: Some(3), ..TaskPatch::default() };
    /// let stale = tasks.if_version(read.version).update(read.id, urgent).await;
    /// assert!(matches!(stale, Err(Error::VersionMismatch)));
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn if_version(&self, version: i64) -> Tasks {
        Tasks { expected_version: Some(version), ..self.clone() }
    }

    /// Creates a task in `input.list_id` (the caller's inbox when `None`), which needs the editor role there.
    /// Titles are trimmed; every broken rule is reported in one [`Error::Validation`]. A list the caller is not a
    /// member of is [`Error::NotFound`]; an assignee who is not a member of the list is a validation error.
    pub async fn create(&self, input: TaskInput) -> Result<Task> {
        let new = NewTask::checked(input)?;
        let created_at = now();
        let row = on_connection!(self.store, |conn| {
            bind_new_task!(
                sqlx::query_as::<_, TaskRow>(INSERT_TASK)
                    .bind_owner_at(&self.owner, unix_ms(created_at))
                    .bind(Uuid::now_v7()),
                new,
                created_at
            )
            .fetch_optional(conn)
            .await
        })?;
        match row {
            Some(row) => row.try_into(),
            None => Err(self.create_refused(&new).await),
        }
    }

    /// Why [`INSERT_TASK`] made no row.
    pub(super) async fn create_refused(&self, new: &NewTask) -> Error {
        let refusal = match new.list_id {
            Some(list) => access_refusal(&self.store, &self.owner, Target::List(list), Role::Editor, None).await,
            // The inbox: only the owner's session can be refused (its owner is an editor of it).
            None => match stale_owner(&self.store, &self.owner).await {
                Ok(stale) => stale.map(Error::from),
                Err(error) => Some(error),
            },
        };
        // Everything else holds: the assignee is not a member of the list.
        refusal.unwrap_or_else(not_a_member("assignee_id"))
    }

    /// The task with this id, if the owner is a member of its list.
    pub async fn get(&self, id: TaskId) -> Result<Task> {
        let row = on_connection!(reading self.store, |conn| {
            sqlx::query_as::<_, TaskRow>(concat!(
                "SELECT ",
                columns!(),
                " FROM tasks WHERE tasks.id = $4 AND ",
                member_may!("tasks.list_id", "1"),
                " AND ",
                owner_is_current!()
            ))
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

    /// Replaces every field of the task: an absent description, due date or assignee clears it, and priority 0 is
    /// the default; `input.list_id` moves the task when it names another list (`None` keeps it where it is).
    pub async fn replace(&self, id: TaskId, input: TaskInput) -> Result<Task> {
        self.update(id, TaskPatch::from(input)).await
    }

    /// Changes only the fields that are `Some`, in one statement; the version and `updated_at` move only if a
    /// value really changes. Moving to another list needs the editor role in both, and clears an assignee who is
    /// not a member there.
    pub async fn update(&self, id: TaskId, patch: TaskPatch) -> Result<Task> {
        let (title, description) = check_fields(patch.title, patch.description, patch.priority)?;
        let list_id = patch.list_id.map(|list| list.as_uuid());
        let description_set = description.is_some();
        let description = description.flatten();
        let due_at_ms = patch.due_at.map(|due_at| due_at.map(unix_ms));
        let assignee = patch.assignee_id.map(|assignee| assignee.map(|user| user.as_uuid()));
        let row = on_connection!(self.store, |conn| {
            sqlx::query_as::<_, TaskRow>(WRITE)
                .bind_owner(&self.owner)
                .bind(id.as_uuid())
                .bind(list_id)
                .bind(&title)
                .bind(title.as_deref().map(fold))
                .bind(description_set)
                .bind(&description)
                .bind(description.as_deref().map(fold))
                .bind(patch.completed)
                .bind(due_at_ms.is_some())
                .bind(due_at_ms.flatten())
                .bind(patch.priority.map(i16::from))
                .bind(assignee.is_some())
                .bind(assignee.flatten())
                .bind(self.expected_version)
                .bind(now())
                .fetch_optional(conn)
                .await
        })?;
        if let Some(row) = row {
            return row.try_into();
        }
        if let Some(error) = self.refused(id, Role::Editor).await {
            return Err(error);
        }
        if let Some(list) = list_id {
            let target = Target::List(list);
            if let Some(error) = access_refusal(&self.store, &self.owner, target, Role::Editor, None).await {
                return Err(error);
            }
        }
        Err(not_a_member("assignee_id")())
    }

    /// Flips `completed`, atomically in the database.
    pub async fn toggle(&self, id: TaskId) -> Result<Task> {
        let row = on_connection!(self.store, |conn| {
            sqlx::query_as::<_, TaskRow>(concat!(
                "UPDATE tasks SET completed = NOT tasks.completed, version = tasks.version + 1, updated_at = $4 ",
                "WHERE tasks.id = $5 AND ($6 IS NULL OR tasks.version = $6) AND ",
                member_may!("tasks.list_id", "2"),
                " AND ",
                owner_is_current!(),
                " RETURNING ",
                columns!()
            ))
            .bind_owner(&self.owner)
            .bind(now())
            .bind(id.as_uuid())
            .bind(self.expected_version)
            .fetch_optional(conn)
            .await
        })?;
        match row {
            Some(row) => row.try_into(),
            None => Err(self.refused(id, Role::Editor).await.unwrap_or(Error::NotFound)),
        }
    }

    /// Deletes the task (the editor role in its list).
    pub async fn delete(&self, id: TaskId) -> Result<()> {
        let deleted = on_connection!(self.store, |conn| {
            sqlx::query(concat!(
                "DELETE FROM tasks WHERE tasks.id = $4 AND ($5 IS NULL OR tasks.version = $5) AND ",
                member_may!("tasks.list_id", "2"),
                " AND ",
                owner_is_current!()
            ))
            .bind_owner(&self.owner)
            .bind(id.as_uuid())
            .bind(self.expected_version)
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        })?;
        if deleted == 0 {
            return Err(self.refused(id, Role::Editor).await.unwrap_or(Error::NotFound));
        }
        Ok(())
    }

    /// Why a statement on task `id` that needed `needed` touched no row, if the task, the membership, the role or the
    /// version explains it.
    async fn refused(&self, id: TaskId, needed: Role) -> Option<Error> {
        access_refusal(&self.store, &self.owner, Target::Task(id.as_uuid()), needed, self.expected_version).await
    }
}

/// The validation error of a user id (`field`) that is not a member of the task's list.
fn not_a_member(field: &'static str) -> impl FnOnce() -> Error {
    move || Error::Validation(vec![FieldError::new(field, "must be a member of the task's list")])
}
