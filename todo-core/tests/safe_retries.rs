//! Safe retries of creates (`Idempotency-Key`), on every backend: a retry answers the first create and creates
//! nothing, also twenty retries at once; the same key with another body is refused; keys are per user; a key past
//! its 24 hours creates anew and is swept; a revoked session's retry is refused like any request.

mod support;

use futures::future::join_all;
use todo_core::{Error, IdempotencyKey, ListQuery, TaskInput, Tasks, TokenError};

use support::{RawPool, TestDb};

backend_tests!(
    a_retry_answers_the_first_create_and_creates_nothing,
    twenty_retries_at_once_create_one_task,
    the_same_key_with_another_body_is_refused,
    keys_are_per_user,
    an_expired_key_creates_anew_and_is_swept,
    a_retry_with_a_revoked_session_is_refused,
    an_invalid_body_is_refused_and_claims_nothing,
);

async fn tasks_of(db: &TestDb, email: &str) -> Tasks {
    db.todo.tasks(&db.user(email).await.owner)
}

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text).expect("a valid key")
}

async fn count(tasks: &Tasks) -> usize {
    tasks.list(&ListQuery::default()).await.expect("lists").items.len()
}

async fn expire_every_key(db: &TestDb) {
    let sql = "UPDATE idempotency_keys SET expires_at_ms = 0";
    match db.raw_pool().await {
        #[cfg(feature = "sqlite")]
        RawPool::Sqlite(pool) => sqlx::query(sql).execute(&pool).await.map(|_| ()).expect("updates"),
        #[cfg(feature = "postgres")]
        RawPool::Postgres(pool) => sqlx::query(sql).execute(&pool).await.map(|_| ()).expect("updates"),
    }
}

async fn a_retry_answers_the_first_create_and_creates_nothing(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let body = TaskInput { title: " Buy milk ".into(), description: Some("2 litres".into()), ..TaskInput::default() };
    let first = tasks.create_once(body.clone(), &key("k-1")).await.expect("creates");
    assert!(!first.replayed);
    assert_eq!(first.task.title, "Buy milk");
    // The task changes afterwards; the retry still answers what the first create answered.
    tasks.toggle(first.task.id).await.expect("toggles");
    let retry = tasks.create_once(body, &key("k-1")).await.expect("answers again");
    assert_eq!((retry.task, retry.replayed), (first.task, true));
    assert_eq!(count(&tasks).await, 1);
}

async fn twenty_retries_at_once_create_one_task(db: &TestDb) {
    let tasks = tasks_of(db, "bob@example.com").await;
    let key = key("retried-twenty-times");
    let answers = join_all((0..20).map(|_| tasks.create_once(TaskInput::new("once"), &key))).await;
    let answers: Vec<_> = answers.into_iter().map(|answer| answer.expect("every retry is answered")).collect();
    assert_eq!(answers.iter().filter(|answer| !answer.replayed).count(), 1, "one create");
    assert!(answers.iter().all(|answer| answer.task == answers[0].task), "one answer");
    assert_eq!(count(&tasks).await, 1);
}

async fn the_same_key_with_another_body_is_refused(db: &TestDb) {
    let tasks = tasks_of(db, "cy@example.com").await;
    tasks.create_once(TaskInput::new("milk"), &key("k")).await.expect("creates");
    for other in [TaskInput::new("bread"), TaskInput { completed: true, ..TaskInput::new("milk") }] {
        let refused = tasks.create_once(other, &key("k")).await.unwrap_err();
        assert!(matches!(&refused, Error::Validation(fields) if fields[0].field == "Idempotency-Key"), "{refused:?}");
    }
    assert_eq!(count(&tasks).await, 1);
}

async fn keys_are_per_user(db: &TestDb) {
    let (ann, bob) = (tasks_of(db, "ann@example.com").await, tasks_of(db, "bob@example.com").await);
    let first = ann.create_once(TaskInput::new("mine"), &key("shared")).await.expect("creates");
    let other = bob.create_once(TaskInput::new("mine"), &key("shared")).await.expect("creates its own");
    assert!(!other.replayed);
    assert_ne!(other.task.id, first.task.id);
    assert_eq!((count(&ann).await, count(&bob).await), (1, 1));
}

async fn an_expired_key_creates_anew_and_is_swept(db: &TestDb) {
    let tasks = tasks_of(db, "dee@example.com").await;
    tasks.create_once(TaskInput::new("first"), &key("old")).await.expect("creates");
    tasks.create_once(TaskInput::new("other"), &key("older")).await.expect("creates");
    expire_every_key(db).await;
    let again = tasks.create_once(TaskInput::new("first"), &key("old")).await.expect("creates anew");
    assert!(!again.replayed);
    assert_eq!(count(&tasks).await, 3);
    let swept = db.todo.accounts().sweep_expired().await.expect("sweeps");
    assert_eq!(swept.idempotency_keys, 1, "the expired `older`; `old` was claimed again: {swept:?}");
}

async fn a_retry_with_a_revoked_session_is_refused(db: &TestDb) {
    let login = db.user("eve@example.com").await;
    let tasks = db.todo.tasks(&login.owner);
    tasks.create_once(TaskInput::new("t"), &key("k")).await.expect("creates");
    db.todo.accounts().logout_everywhere(&login.owner).await.expect("logs out");
    for body in [TaskInput::new("t"), TaskInput::new("new")] {
        let refused = tasks.create_once(body, &key("k")).await.unwrap_err();
        assert!(matches!(refused, Error::InvalidToken(TokenError::Revoked)), "{refused:?}");
    }
    let refused = tasks.create_once(TaskInput::new("t"), &key("fresh")).await.unwrap_err();
    assert!(matches!(refused, Error::InvalidToken(TokenError::Revoked)), "{refused:?}");
}

async fn an_invalid_body_is_refused_and_claims_nothing(db: &TestDb) {
    let tasks = tasks_of(db, "fay@example.com").await;
    let refused = tasks.create_once(TaskInput::new("   "), &key("k")).await.unwrap_err();
    assert!(matches!(&refused, Error::Validation(fields) if fields[0].field == "title"), "{refused:?}");
    let created = tasks.create_once(TaskInput::new("fixed"), &key("k")).await.expect("the key is still free");
    assert!(!created.replayed);
}
