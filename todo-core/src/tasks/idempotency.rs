//! Safe retries of creates (`Idempotency-Key`): a create sent again with the same key by the same user within
//! [`IDEMPOTENCY_KEY_TTL`] answers what the first one did and creates nothing; the same key with another body is
//! refused.
//!
//! One transaction decides it. It first claims the key (an insert that does nothing when the key is taken), then
//! creates the task and stores the answer with the claim. A concurrent retry's claim waits for the first
//! transaction (on PostgreSQL, the unique index holds it; SQLite has one writer at a time) and then finds the key
//! taken and the answer stored: twenty retries at once create one task. The claims are swept when they expire.

use std::time::Duration;

use ring::digest;
use time::OffsetDateTime;
use uuid::Uuid;

use super::repository::{bind_new_task, NewTask, TaskRow, Tasks, INSERT_TASK};
use super::task::{Task, TaskInput};
use crate::clock::{millis, now, unix_ms};
use crate::error::{Error, Result};
use crate::ids::{ListId, TaskId, UserId};
use crate::store::fold;
use crate::store::{on_connection, owner_is_current, BindOwner as _};

/// How long a key's answer is kept: a retry within this time answers again, a later one creates anew.
pub const IDEMPOTENCY_KEY_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// The longest key.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// The operation a key is claimed for (a key of one operation is not a key of another).
const CREATE_TASK: &str = "create_task";
/// The field validation errors name.
const FIELD: &str = "Idempotency-Key";

/// A client's idempotency key: 1 to 255 printable ASCII characters, not starting or ending with a space (HTTP
/// trims those off a header's value); a UUID is a good one.
///
/// ```
/// use todo_core::IdempotencyKey;
///
/// assert!(IdempotencyKey::parse("4f5b0c1e-8a7d-4e36-9d1a-2b3c4d5e6f70").is_ok());
/// assert!(IdempotencyKey::parse("").is_err());
/// assert!(IdempotencyKey::parse("tab\there").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// `text` as a key, or a validation error on `Idempotency-Key`.
    pub fn parse(text: &str) -> Result<Self> {
        let printable = text.bytes().all(|byte| (0x20..=0x7e).contains(&byte));
        let trimmed = !text.starts_with(' ') && !text.ends_with(' ');
        if text.is_empty() || text.len() > MAX_IDEMPOTENCY_KEY_CHARS || !printable || !trimmed {
            return Err(Error::invalid(
                FIELD,
                "must be 1 to 255 printable ASCII characters, without a space at either end",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The key as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

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
    /// [`Tasks::create`], safe to retry: with a `key` this owner's user used in the last [`IDEMPOTENCY_KEY_TTL`]
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
        let request_hash = request_hash(&input);
        let new = NewTask::checked(input)?;
        let created_at = now();
        let now_ms = unix_ms(created_at);
        let expires_at_ms = now_ms + millis(IDEMPOTENCY_KEY_TTL);
        let user = self.owner.user_id().as_uuid();
        let outcome = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            // An expired claim is gone, then the claim: a write first, so that SQLite takes its one writer's lock
            // here and a concurrent retry waits for this transaction.
            sqlx::query(
                "DELETE FROM idempotency_keys WHERE user_id = $1 AND operation = $2 AND key = $3 \
                 AND expires_at_ms <= $4",
            )
            .bind(user)
            .bind(CREATE_TASK)
            .bind(key.as_str())
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            let claimed = sqlx::query(
                "INSERT INTO idempotency_keys (user_id, operation, key, request_hash, response, expires_at_ms) \
                 VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT DO NOTHING",
            )
            .bind(user)
            .bind(CREATE_TASK)
            .bind(key.as_str())
            .bind(&request_hash)
            .bind(expires_at_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                let stored: Option<(Vec<u8>, Option<String>)> = sqlx::query_as(concat!(
                    "SELECT request_hash, response FROM idempotency_keys ",
                    "WHERE user_id = $1 AND operation = $4 AND key = $5 AND ",
                    owner_is_current!()
                ))
                .bind_owner_at(&self.owner, now_ms)
                .bind(CREATE_TASK)
                .bind(key.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                tx.rollback().await?;
                return Ok::<_, sqlx::Error>(Outcome::Taken(stored));
            }
            let row = bind_new_task!(
                sqlx::query_as::<_, TaskRow>(INSERT_TASK).bind_owner_at(&self.owner, now_ms).bind(Uuid::now_v7()),
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
            sqlx::query("UPDATE idempotency_keys SET response = $4 WHERE user_id = $1 AND operation = $2 AND key = $3")
                .bind(user)
                .bind(CREATE_TASK)
                .bind(key.as_str())
                .bind(snapshot(&task))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Outcome::Created(Some(task)))
        }
        .await)?;
        match outcome {
            Outcome::Created(Some(task)) => Ok(Created { task, replayed: false }),
            Outcome::Broken(error) => Err(error),
            // Refused: the owner is not current, or not an editor of the list, or the assignee not a member.
            Outcome::Created(None) => Err(self.create_refused(&new).await),
            Outcome::Taken(None) => {
                Err(self.create_refused(&NewTask { list_id: None, assignee_id: None, ..new }).await)
            }
            Outcome::Taken(Some((stored_hash, _))) if stored_hash != request_hash => {
                Err(Error::invalid(FIELD, "was used with another body; use a new key for a new task"))
            }
            Outcome::Taken(Some((_, Some(response)))) => Ok(Created { task: replay(&response)?, replayed: true }),
            // A claim without its answer: the transaction that made it has not finished (cannot be seen: the claim
            // waited for it) — answered as a conflict the client may retry.
            Outcome::Taken(Some((_, None))) => {
                Err(Error::invalid(FIELD, "a request with this key is still running; retry in a moment"))
            }
        }
    }
}

/// What the transaction came to.
enum Outcome {
    /// The key was claimed here; the task, or `None` when the owner is not current.
    Created(Option<Task>),
    /// The key was taken: its request hash and answer, or `None` when the owner is not current.
    Taken(Option<(Vec<u8>, Option<String>)>),
    /// The created row could not be read (a bug); nothing was committed.
    Broken(Error),
}

/// The SHA-256 of the input as sent (before trimming: a retry sends the same bytes).
///
/// An input that sets none of the fields lists brought (list, due date, priority, assignee) is hashed as the
/// release before them hashed every input, `[title, description, completed]`: a key stored before migration 0011
/// then still matches its retry. Any other input is hashed with all seven fields, a longer JSON array, so the two
/// forms never meet.
fn request_hash(input: &TaskInput) -> Vec<u8> {
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
    digest::digest(&digest::SHA256, &canonical.unwrap_or_default()).as_ref().to_vec()
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
    fn keys_are_1_to_255_printable_ascii_characters() {
        assert!(IdempotencyKey::parse("a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert!(IdempotencyKey::parse("a key with spaces").is_ok());
        for bad in
            [String::new(), "k".repeat(256), "é".into(), "new\nline".into(), "nul\0".into(), " k".into(), "k ".into()]
        {
            let error = IdempotencyKey::parse(&bad).expect_err("refused");
            assert_eq!(error.field_errors()[0].field, "Idempotency-Key", "{bad:?}");
        }
    }

    #[test]
    fn the_request_hash_tells_bodies_apart() {
        let milk = TaskInput::new("Buy milk");
        assert_eq!(request_hash(&milk), request_hash(&milk.clone()));
        assert_ne!(request_hash(&milk), request_hash(&TaskInput { completed: true, ..milk.clone() }));
        assert_ne!(request_hash(&milk), request_hash(&TaskInput::new(" Buy milk")));
        assert_ne!(request_hash(&milk), request_hash(&TaskInput { priority: 1, ..milk.clone() }));
        assert_ne!(request_hash(&milk), request_hash(&TaskInput { due_at: Some(now()), ..milk.clone() }));
    }

    #[test]
    fn an_input_without_the_fields_of_lists_hashes_as_before_them() {
        // What the release before migration 0011 stored with a key: a retry after the upgrade must match it.
        let milk = TaskInput { description: Some("two litres".into()), ..TaskInput::new("Buy milk") };
        let before = serde_json::to_vec(&("Buy milk", Some("two litres"), false)).expect("serialises");
        assert_eq!(request_hash(&milk), digest::digest(&digest::SHA256, &before).as_ref());
    }
}
