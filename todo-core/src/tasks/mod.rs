//! Tasks: what a task is and the rules its fields obey, paging through them with filters, and a repository that
//! only ever touches the tasks of lists the owner is a member of, as their role there allows.
//!
//! May use `store` (the [`Store`](crate::Store), and [`Owner`](crate::Owner) with the session and membership
//! conditions its statements carry) and the leaf modules (`error`, `ids`, `clock`, `roles`). It does not use
//! `auth` or `lists`: an [`Owner`](crate::Owner) is all it needs to know of who is asking, and what it needs of a
//! membership is SQL that lives in `store`.

/// Safe retries of task creates: a create that a retry with the same key answers again.
mod idempotency;
/// Reading a page of tasks: the statement of each page, across one list or all of them.
mod listing;
/// Listing a page at a time: [`ListQuery`] with its filters and [`Sort`], [`Page`], and the cursor between pages.
mod paging;
/// [`Tasks`]: the tasks an owner may reach, and the SQL that writes them.
mod repository;
/// [`Task`], the bodies that create or change one, and the rules of their fields.
mod task;

pub use self::idempotency::Created;
pub use self::paging::{Assignee, ListQuery, Page, Sort, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_QUERY_CHARS};
pub use self::repository::Tasks;
pub use self::task::{Task, TaskInput, TaskPatch, MAX_DESCRIPTION_CHARS, MAX_PRIORITY, MAX_TITLE_CHARS};
