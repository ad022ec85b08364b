//! Safe retries of task creates: [`Tasks::create_once`], the claim of its key (`store/idempotency.rs`) and the task
//! it creates in one transaction, and the first answer kept with the key.

use time::OffsetDateTime;
use uuid::Uuid;

use super::repository::{bind_new_task, NewTask, TaskRow, Tasks, INSERT_TASK};
use super::task::{Task, TaskInput};
use crate::clock::{now, unix_ms};
use crate::error::{Error, Result};
use crate::ids::{ListId, TaskId, UserId};
use crate::store::{claim_key, fold, on_connection, store_answer, BindOwner as _, Claim, IdempotencyKey};

/// What a create with a key answered: the task, and whether this was a retry that created nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The task, as the first create answered it.
    pub task: Task,
    /// `true` when the key had been used before: nothing was created now.
    pub replayed: bool,
}

/// The first answer, as stored with the key.
#[derive(serde::Serialize, serde::Deserialize)]
struct Snapshot {
    id: Uuid,
    list_id: Uuid,
    title: String,
    description: Option<String>,
    completed: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    due_at: Option<OffsetDateTime>,
    #[serde(default)]
    priority: u8,
    #[serde(default)]
    assignee_id: Option<Uuid>,
    #[serde(default)]
    created_by: Option<Uuid>,
    #[serde(default = "first_version")]
    version: i64,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

/// A task's first version.
fn first_version() -> i64 {
    1
}

impl Tasks {
    /// [`Tasks::create`], safe to retry: with a `key` this owner's user used in the last [`IDEMPOTENCY_KEY_TTL`](crate::IDEMPOTENCY_KEY_TTL)
    /// for the same input, it answers the task the first create made (`replayed`) and creates nothing, also when
    /// the retries run at once; for another input, it is a validation error on `Idempotency-Key`.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use todo_core::{Config, IdempotencyKey, TaskInput, Todo};
    ///
    /// let config = Config::new("use at least 32 random bytes here!!")?
    ///     .with_bcrypt_cost(4)? // fast for the example
    ///     .with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    /// let login = todo.accounts().login("ann@example.com", "correct horse battery").await?;
    /// let tasks = todo.tasks(&login.owner);
    ///
    /// let key = IdempotencyKey::parse("9d2c6a1e-retry-me")?;
    /// let first = tasks.create_once(TaskInput::new("Buy milk"), &key).await?;
    /// let retry = tasks.create_once(TaskInput::new("Buy milk"), &key).await?; // the network failed; sent again
    /// assert_eq!((retry.task, retry.replayed), (first.task, true));
    /// assert!(tasks.create_once(TaskInput::new("Buy bread"), &key).await.is_err()); // another body, same key
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn create_once(&self, input: TaskInput, key: &IdempotencyKey) -> Result<Created> {
        let request = request_bytes(&input);
        let new = NewTask::checked(input)?;
        let created_at = now();
        let claim = Claim::new(CREATE_TASK, key, &request, unix_ms(created_at));
        let outcome = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            if let Some(stored) = claim_key!(tx, &self.owner, &claim)? {
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(Outcome::Taken(stored));
            }
            let row = bind_new_task!(
                sqlx::query_as::<_, TaskRow>(INSERT_TASK).bind_owner_at(&self.owner, claim.now_ms).bind(Uuid::now_v7()),
                new,
                created_at
            )
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                tx.rollback().await?;
                return Ok(Outcome::Created(None));
            };
            let task = match Task::try_from(row) {
                Ok(task) => task,
                Err(error) => return Ok(Outcome::Broken(error)),
            };
            store_answer!(tx, &self.owner, &claim, snapshot(&task))?;
            tx.commit().await?;
            Ok(Outcome::Created(Some(task)))
        }
        .await)?;
        match outcome {
            Outcome::Created(Some(task)) => Ok(Created { task, replayed: false }),
            Outcome::Broken(error) => Err(error),
            // Refused: the owner is not current, or not an editor of the list, or the assignee not a member.
            Outcome::Created(None) => Err(self.create_refused(&new).await),
            Outcome::Taken(stored) => match claim.replay(stored, "task")? {
                Some(answer) => Ok(Created { task: replay(&answer)?, replayed: true }),
                // The owner is not current.
                None => Err(self.create_refused(&NewTask { list_id: None, assignee_id: None, ..new }).await),
            },
        }
    }
}

/// The operation a task create claims its key for.
const CREATE_TASK: &str = "create_task";

/// What the transaction came to.
enum Outcome {
    /// The key was claimed here; the task, or `None` when the create was refused.
    Created(Option<Task>),
    /// The key was taken: its request hash and answer, or `None` when the owner is not current.
    Taken(Option<(Vec<u8>, Option<String>)>),
    /// The created row could not be read (a bug); nothing was committed.
    Broken(Error),
}

/// The input as sent, in canonical bytes (before trimming: a retry sends the same bytes).
///
/// An input that sets none of the fields lists brought (list, due date, priority, assignee) is written as the
/// release before them wrote every input, `[title, description, completed]`: a key stored before migration 0011
/// then still matches its retry. Any other input is written with all seven fields, a longer JSON array, so the two
/// forms never meet.
fn request_bytes(input: &TaskInput) -> Vec<u8> {
    let (title, description, completed) = (&input.title, &input.description, input.completed);
    let legacy =
        input.list_id.is_none() && input.due_at.is_none() && input.priority == 0 && input.assignee_id.is_none();
    let canonical = if legacy {
        serde_json::to_vec(&(title, description, completed))
    } else {
        serde_json::to_vec(&(
            title,
            description,
            completed,
            input.list_id.map(|list| list.as_uuid()),
            input.due_at.map(unix_ms),
            input.priority,
            input.assignee_id.map(|user| user.as_uuid()),
        ))
    };
    canonical.unwrap_or_default()
}

fn snapshot(task: &Task) -> String {
    let snapshot = Snapshot {
        id: task.id.as_uuid(),
        list_id: task.list_id.as_uuid(),
        title: task.title.clone(),
        description: task.description.clone(),
        completed: task.completed,
        due_at: task.due_at,
        priority: task.priority,
        assignee_id: task.assignee_id.map(|user| user.as_uuid()),
        created_by: task.created_by.map(|user| user.as_uuid()),
        version: task.version,
        created_at: task.created_at,
        updated_at: task.updated_at,
    };
    serde_json::to_string(&snapshot).unwrap_or_default()
}

fn replay(response: &str) -> Result<Task> {
    let snapshot: Snapshot = serde_json::from_str(response).map_err(Error::internal)?;
    Ok(Task {
        id: TaskId::from_uuid(snapshot.id),
        list_id: ListId::from_uuid(snapshot.list_id),
        title: snapshot.title,
        description: snapshot.description,
        completed: snapshot.completed,
        due_at: snapshot.due_at,
        priority: snapshot.priority,
        assignee_id: snapshot.assignee_id.map(UserId::from_uuid),
        created_by: snapshot.created_by.map(UserId::from_uuid),
        version: snapshot.version,
        created_at: snapshot.created_at,
        updated_at: snapshot.updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_bytes_tell_bodies_apart() {
        let milk = TaskInput::new("Buy milk");
        assert_eq!(request_bytes(&milk), request_bytes(&milk.clone()));
        assert_ne!(request_bytes(&milk), request_bytes(&TaskInput { completed: true, ..milk.clone() }));
        assert_ne!(request_bytes(&milk), request_bytes(&TaskInput::new(" Buy milk")));
        assert_ne!(request_bytes(&milk), request_bytes(&TaskInput { priority: 1, ..milk.clone() }));
        assert_ne!(request_bytes(&milk), request_bytes(&TaskInput { due_at: Some(now()), ..milk.clone() }));
    }

    #[test]
    fn an_input_without_the_fields_of_lists_is_written_as_before_them() {
        // What the release before migration 0011 hashed with a key: a retry after the upgrade must match it.
        let milk = TaskInput { description: Some("two litres".into()), ..TaskInput::new("Buy milk") };
        let before = serde_json::to_vec(&("Buy milk", Some("two litres"), false)).expect("serialises");
        assert_eq!(request_bytes(&milk), before);
    }
}
