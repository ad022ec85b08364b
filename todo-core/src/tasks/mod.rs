//! Tasks: what a task is and the rules its fields obey, paging through them, and a repository that only ever
//! touches one owner's rows. Later shared task lists (`lists/`) go here.
//!
//! May use `store` (the [`Store`](crate::Store), and [`Owner`](crate::Owner) with the session condition its
//! statements carry) and the leaf modules (`error`, `ids`, `clock`). It does not use `auth`: an [`Owner`](crate::Owner)
//! is all it needs to know of who is asking, and that lives in `store`.

/// Safe retries of creates: [`IdempotencyKey`], and a create that a retry with the same key answers again.
mod idempotency;
/// Listing a page at a time: [`ListQuery`], [`Page`], and the cursor between pages.
mod paging;
/// [`Tasks`]: one owner's tasks, and the SQL that reads and writes them.
mod repository;
/// [`Task`], the bodies that create or change one, and the rules of their fields.
mod task;

pub use self::idempotency::{Created, IdempotencyKey, IDEMPOTENCY_KEY_TTL, MAX_IDEMPOTENCY_KEY_CHARS};
pub use self::paging::{ListQuery, Page, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
pub use self::repository::Tasks;
pub use self::task::{Task, TaskInput, TaskPatch, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
