//! Migration 0011 (lists), on every backend: a database as the release before lists left it (migrations 0001 to
//! 0010) comes out with an inbox per account holding that account's tasks unchanged, searchable by `q`, and with
//! its stored idempotent answers still answering retries.

mod support;

use std::borrow::Cow;

use time::{Duration, OffsetDateTime};
use todo_core::{IdempotencyKey, ListQuery, Role, Task, TaskInput, Tasks};
use uuid::Uuid;

use support::{RawPool, TestDb, PASSWORD};

backend_tests!(
    every_account_gets_one_inbox_it_owns_and_is_the_only_member_of,
    every_task_moves_unchanged_into_its_authors_inbox,
    q_finds_legacy_non_ascii_titles_in_any_case,
    a_key_stored_before_the_migration_replays_its_answer_in_the_inbox,
);

/// Runs `$body` with `$pool` bound to the plain pool, whichever engine it is.
macro_rules! on_pool {
    ($raw:expr, |$pool:ident| $body:expr) => {
        match $raw {
            #[cfg(feature = "sqlite")]
            RawPool::Sqlite($pool) => $body,
            #[cfg(feature = "postgres")]
            RawPool::Postgres($pool) => $body,
        }
    };
}

/// A database as the release before lists left it (migrations 0001 to 0010), and a plain pool on it.
struct PreviousRelease {
    db: TestDb,
    pool: RawPool,
}

/// A task as the previous release stored it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OldTask {
    id: Uuid,
    user_id: Uuid,
    title: String,
    description: Option<String>,
    completed: bool,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

async fn previous_release(db: &TestDb) -> PreviousRelease {
    let old = db.another_unmigrated().await;
    let pool = old.raw_pool().await;
    macro_rules! migrate_to_0010 {
        ($pool:expr, $migrations:literal) => {{
            let mut migrator = sqlx::migrate!($migrations);
            let kept: Vec<_> = migrator.migrations.iter().filter(|m| m.version <= 10).cloned().collect();
            assert_eq!(kept.len(), 10);
            migrator.migrations = Cow::Owned(kept);
            migrator.run($pool).await.expect("the previous release's migrations run");
        }};
    }
    match &pool {
        #[cfg(feature = "sqlite")]
        RawPool::Sqlite(pool) => migrate_to_0010!(pool, "./migrations/sqlite"),
        #[cfg(feature = "postgres")]
        RawPool::Postgres(pool) => migrate_to_0010!(pool, "./migrations/postgres"),
    }
    PreviousRelease { db: old, pool }
}

/// A whole second, as the previous release's rows might hold, some days back.
fn days_ago(days: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc().replace_nanosecond(123_456_000).expect("valid") - Duration::days(days)
}

impl PreviousRelease {
    /// Inserts a user as the previous release stored them, created `days` ago; returns their id.
    async fn user(&self, email: &str, days: i64) -> Uuid {
        self.user_created(email, days).await.0
    }

    /// [`PreviousRelease::user`], with the account's `created_at`.
    async fn user_created(&self, email: &str, days: i64) -> (Uuid, OffsetDateTime) {
        let id = Uuid::now_v7();
        let created_at = days_ago(days);
        let hash = bcrypt::hash(PASSWORD, 4).expect("hashes");
        on_pool!(&self.pool, |pool| sqlx::query(
            "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(id)
        .bind(email)
        .bind(&hash)
        .bind(created_at)
        .execute(pool)
        .await
        .map(drop))
        .expect("inserts the user");
        (id, created_at)
    }

    /// Inserts a task as the previous release stored it (`tasks.user_id`).
    async fn task(&self, user_id: Uuid, title: &str, description: Option<&str>, completed: bool) -> OldTask {
        let task = OldTask {
            id: Uuid::now_v7(),
            user_id,
            title: title.into(),
            description: description.map(Into::into),
            completed,
            created_at: days_ago(2),
            updated_at: days_ago(1),
        };
        on_pool!(&self.pool, |pool| sqlx::query(
            "INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(task.id)
        .bind(task.user_id)
        .bind(&task.title)
        .bind(&task.description)
        .bind(task.completed)
        .bind(task.created_at)
        .bind(task.updated_at)
        .execute(pool)
        .await
        .map(drop))
        .expect("inserts the task");
        task
    }

    /// Stores a key with its answer as the previous release's `create_once` did: the hash of `(title, description,
    /// completed)` and a snapshot without `list_id`.
    async fn idempotency_key(&self, task: &OldTask, key: &str) {
        let canonical = serde_json::to_vec(&(&task.title, &task.description, task.completed)).expect("serialises");
        let hash = ring::digest::digest(&ring::digest::SHA256, &canonical).as_ref().to_vec();
        let rfc3339 = |at: OffsetDateTime| at.format(&time::format_description::well_known::Rfc3339).expect("formats");
        let response = serde_json::json!({
            "id": task.id,
            "title": task.title,
            "description": task.description,
            "completed": task.completed,
            "created_at": rfc3339(task.created_at),
            "updated_at": rfc3339(task.updated_at),
        })
        .to_string();
        let expires_at_ms = (OffsetDateTime::now_utc() + Duration::hours(12)).unix_timestamp() * 1_000;
        on_pool!(&self.pool, |pool| sqlx::query(
            "INSERT INTO idempotency_keys (user_id, operation, key, request_hash, response, expires_at_ms) \
             VALUES ($1, 'create_task', $2, $3, $4, $5)"
        )
        .bind(task.user_id)
        .bind(key)
        .bind(hash)
        .bind(response)
        .bind(expires_at_ms)
        .execute(pool)
        .await
        .map(drop))
        .expect("inserts the key");
    }

    async fn migrate(&self) {
        self.db.todo.store().migrate().await.expect("migrates");
    }

    /// The tasks of `email` (logged in with [`PASSWORD`]) after the migration.
    async fn tasks_of(&self, email: &str) -> Tasks {
        let login = self.db.todo.accounts().login(email, PASSWORD).await.expect("the old account logs in");
        self.db.todo.tasks(&login.owner)
    }

    /// `(lists.id, lists.owner_id)` of every inbox.
    async fn inboxes(&self) -> Vec<(Uuid, Uuid)> {
        on_pool!(&self.pool, |pool| sqlx::query_as("SELECT id, owner_id FROM lists WHERE inbox ORDER BY owner_id")
            .fetch_all(pool)
            .await)
        .expect("reads the lists")
    }

    async fn remove(self) {
        on_pool!(&self.pool, |pool| pool.close().await);
        self.db.remove().await;
    }
}

/// Every task of `tasks`, walking every page.
async fn everything(tasks: &Tasks) -> Vec<Task> {
    let mut all = Vec::new();
    let mut query = ListQuery { limit: 2, ..ListQuery::default() };
    loop {
        let page = tasks.list(&query).await.expect("lists");
        all.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return all,
        }
    }
}

async fn every_account_gets_one_inbox_it_owns_and_is_the_only_member_of(db: &TestDb) {
    let old = previous_release(db).await;
    let (ann, ann_since) = old.user_created("ann@example.com", 30).await;
    let (bob, bob_since) = old.user_created("bob@example.com", 3).await;
    old.task(ann, "ann's", None, false).await;

    old.migrate().await;

    let inboxes = old.inboxes().await;
    assert_eq!(inboxes.iter().map(|(_, owner)| *owner).collect::<Vec<_>>(), [ann, bob]);
    for (email, user, since) in [("ann@example.com", ann, ann_since), ("bob@example.com", bob, bob_since)] {
        let login = old.db.todo.accounts().login(email, PASSWORD).await.expect("logs in");
        let lists = old.db.todo.lists(&login.owner).all().await.expect("lists");
        assert_eq!(lists.len(), 1, "{email}");
        let inbox = &lists[0];
        assert_eq!((inbox.name.as_str(), inbox.inbox, inbox.role, inbox.member_count), ("Inbox", true, Role::Owner, 1));
        assert_eq!((inbox.created_at, inbox.updated_at), (since, since), "made when the account was");
        let members = old.db.todo.lists(&login.owner).members(inbox.id).await.expect("members");
        assert_eq!(members.iter().map(|m| (m.user_id.as_uuid(), m.role)).collect::<Vec<_>>(), [(user, Role::Owner)]);
        // The inbox is where a new task goes.
        let task = old.db.todo.tasks(&login.owner).create(TaskInput::new("new")).await.expect("creates");
        assert_eq!(task.list_id, inbox.id);
    }
    // Migrating again (another start) makes no second inbox.
    old.migrate().await;
    assert_eq!(old.inboxes().await.len(), 2);
    old.remove().await;
}

async fn every_task_moves_unchanged_into_its_authors_inbox(db: &TestDb) {
    let old = previous_release(db).await;
    let ann = old.user("ann@example.com", 30).await;
    let bob = old.user("bob@example.com", 3).await;
    let mut anns = vec![
        old.task(ann, "Buy milk", Some("two litres"), false).await,
        old.task(ann, "ÉCOLE: inscription", Some("Formulaire Über"), true).await,
        old.task(ann, "100% _done_ \\o/", None, false).await,
    ];
    let bobs = vec![old.task(bob, "bob's only", None, true).await];

    old.migrate().await;

    let inboxes = old.inboxes().await;
    for (email, user, mut expected) in
        [("ann@example.com", ann, std::mem::take(&mut anns)), ("bob@example.com", bob, bobs)]
    {
        let inbox = inboxes.iter().find(|(_, owner)| *owner == user).expect("an inbox").0;
        let tasks = old.tasks_of(email).await;
        let listed = everything(&tasks).await;
        expected.sort_by_key(|task| std::cmp::Reverse(task.id));
        assert_eq!(listed.len(), expected.len(), "{email}");
        for (task, old_task) in listed.iter().zip(&expected) {
            assert_eq!(task.id.as_uuid(), old_task.id);
            assert_eq!(task.list_id.as_uuid(), inbox, "in its author's inbox");
            assert_eq!(task.created_by.map(|id| id.as_uuid()), Some(user));
            assert_eq!(task.title, old_task.title);
            assert_eq!(task.description, old_task.description);
            assert_eq!(task.completed, old_task.completed);
            assert_eq!(task.created_at, old_task.created_at);
            assert_eq!(task.updated_at, old_task.updated_at);
            assert_eq!((task.due_at, task.priority, task.assignee_id, task.version), (None, 0, None, 1));
            assert_eq!(tasks.get(task.id).await.expect("gets"), *task);
        }
    }
    old.remove().await;
}

async fn q_finds_legacy_non_ascii_titles_in_any_case(db: &TestDb) {
    let old = previous_release(db).await;
    let ann = old.user("ann@example.com", 30).await;
    let school = old.task(ann, "ÉCOLE: inscription", None, false).await;
    let myth = old.task(ann, "ΣΊΣΥΦΟΣ", None, false).await;
    let described = old.task(ann, "plain", Some("STRAßE Ärger"), false).await;
    old.task(ann, "ecole (no accent)", None, false).await;

    old.migrate().await;

    let tasks = old.tasks_of("ann@example.com").await;
    let found = |q: &'static str| {
        let tasks = tasks.clone();
        async move {
            let query = ListQuery { q: Some(q.into()), ..ListQuery::default() };
            tasks.list(&query).await.expect("lists").items.into_iter().map(|task| task.id.as_uuid()).collect::<Vec<_>>()
        }
    };
    for q in ["école", "ÉCOLE", "École: INS"] {
        assert_eq!(found(q).await, [school.id], "{q}");
    }
    for q in ["σίσυφος", "ΣΊΣΥΦΟΣ", "Σίσυφος"] {
        assert_eq!(found(q).await, [myth.id], "{q}");
    }
    for q in ["straße", "ärger", "ÄRGER"] {
        assert_eq!(found(q).await, [described.id], "{q}");
    }
    // New tasks fold alike: the old and the new are found together.
    let new = tasks.create(TaskInput::new("École nouvelle")).await.expect("creates");
    let mut both = found("école").await;
    both.sort();
    assert_eq!(both, [school.id, new.id.as_uuid()]);
    old.remove().await;
}

async fn a_key_stored_before_the_migration_replays_its_answer_in_the_inbox(db: &TestDb) {
    let old = previous_release(db).await;
    let ann = old.user("ann@example.com", 30).await;
    let first = old.task(ann, "Buy milk", Some("two litres"), false).await;
    old.idempotency_key(&first, "retry-me").await;

    old.migrate().await;

    let tasks = old.tasks_of("ann@example.com").await;
    let inbox = old.inboxes().await[0].0;
    let key = IdempotencyKey::parse("retry-me").expect("a key");
    let input = TaskInput { description: Some("two litres".into()), ..TaskInput::new("Buy milk") };
    let retry = tasks.create_once(input.clone(), &key).await.expect("replays");
    assert!(retry.replayed, "nothing created");
    let task = retry.task;
    assert_eq!(task.id.as_uuid(), first.id);
    assert_eq!(task.list_id.as_uuid(), inbox);
    assert_eq!(task.created_by.map(|id| id.as_uuid()), Some(ann));
    assert_eq!(
        (task.title.as_str(), task.description.as_deref(), task.completed),
        ("Buy milk", Some("two litres"), false)
    );
    assert_eq!((task.created_at, task.updated_at), (first.created_at, first.updated_at));
    assert_eq!(task, tasks.get(task.id).await.expect("gets"), "the answer is the task as stored");
    assert_eq!(everything(&tasks).await.len(), 1, "no second task");
    // Another body with the old key is still refused.
    let other = tasks.create_once(TaskInput::new("Buy bread"), &key).await.unwrap_err();
    assert_eq!(other.field_errors()[0].field, "Idempotency-Key");
    old.remove().await;
}
