//! The task repository, on every backend: rules, paging, and that one user can never touch another's tasks.

mod support;

use std::collections::HashSet;

use todo_core::{Error, FieldError, ListQuery, TaskInput, TaskPatch, Tasks, TokenError};

use support::{TestDb, PASSWORD};

backend_tests!(
    create_trims_the_title_and_stores_every_field,
    create_enforces_title_and_description_lengths,
    nul_is_refused_in_every_write_and_nothing_is_stored,
    get_returns_the_stored_task,
    replace_sets_every_field_and_clears_a_missing_description,
    update_changes_only_the_given_fields,
    update_can_clear_the_description,
    updated_at_moves_only_when_a_value_changes,
    toggle_flips_completion_each_time,
    delete_removes_the_task,
    an_unknown_id_is_not_found_for_every_operation,
    another_users_task_is_not_found_for_every_operation_and_stays_unchanged,
    listing_shows_only_the_owners_tasks,
    listing_returns_every_field_exactly_as_stored,
    paging_120_tasks_by_50_gives_every_task_once_newest_first,
    listing_filters_by_completion,
    listing_rejects_limits_outside_1_to_100_and_foreign_cursors,
    an_owner_whose_tokens_were_revoked_can_no_longer_touch_tasks,
    an_owner_whose_account_was_deleted_is_an_unknown_user,
    an_owner_from_authorize_works_like_one_from_login,
);

async fn tasks_of(db: &TestDb, email: &str) -> Tasks {
    let login = db.user(email).await;
    db.todo.tasks(&login.owner)
}

fn input(title: &str, description: Option<&str>, completed: bool) -> TaskInput {
    TaskInput { title: title.into(), description: description.map(Into::into), completed, ..TaskInput::default() }
}

async fn create_trims_the_title_and_stores_every_field(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let task = tasks.create(input("  Buy milk  ", Some(" two litres "), true)).await.expect("creates");
    assert_eq!(task.title, "Buy milk");
    assert_eq!(task.description.as_deref(), Some(" two litres "));
    assert!(task.completed);
    assert_eq!(task.created_at, task.updated_at);
    let plain = tasks.create(TaskInput::new("Walk")).await.expect("creates");
    assert_eq!((plain.description, plain.completed), (None, false));
}

async fn create_enforces_title_and_description_lengths(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    assert_eq!(tasks.create(TaskInput::new("ü".repeat(200))).await.expect("200 chars fit").title.chars().count(), 200);
    let error = tasks.create(TaskInput::new("ü".repeat(201))).await.unwrap_err();
    assert_eq!(error.field_errors(), [FieldError::new("title", "must be at most 200 characters")]);
    let error = tasks.create(TaskInput::new("   ")).await.unwrap_err();
    assert_eq!(error.field_errors(), [FieldError::new("title", "must not be empty")]);
    assert!(tasks.create(input("ok", Some(&"d".repeat(1000)), false)).await.is_ok());
    let error = tasks.create(input("ok", Some(&"d".repeat(1001)), false)).await.unwrap_err();
    assert_eq!(error.field_errors(), [FieldError::new("description", "must be at most 1000 characters")]);
}

async fn nul_is_refused_in_every_write_and_nothing_is_stored(db: &TestDb) {
    // PostgreSQL text cannot hold U+0000: both backends refuse it the same way instead of one storing it.
    let tasks = tasks_of(db, "nul@example.com").await;
    let kept = tasks.create(input("kept", Some("as is"), false)).await.expect("creates");
    let no_nul = |field| [FieldError::new(field, "must not contain U+0000 (the NUL character)")];
    let errors = [
        (tasks.create(TaskInput::new("a\u{0}")).await.unwrap_err(), "title"),
        (tasks.create(input("ok", Some("b\u{0}c"), false)).await.unwrap_err(), "description"),
        (tasks.replace(kept.id, TaskInput::new("\u{0}")).await.unwrap_err(), "title"),
        (
            tasks
                .update(kept.id, TaskPatch { description: Some(Some("\u{0}".into())), ..Default::default() })
                .await
                .unwrap_err(),
            "description",
        ),
    ];
    for (error, field) in errors {
        assert_eq!(error.field_errors(), no_nul(field), "{error:?}");
    }
    assert_eq!(tasks.list(&ListQuery::default()).await.expect("lists").items, vec![kept], "nothing changed");
}

async fn get_returns_the_stored_task(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let created = tasks.create(input("Read", Some("a book"), false)).await.expect("creates");
    assert_eq!(tasks.get(created.id).await.expect("found"), created);
}

async fn replace_sets_every_field_and_clears_a_missing_description(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let created = tasks.create(input("Old", Some("old text"), false)).await.expect("creates");
    let replaced = tasks.replace(created.id, input(" New ", None, true)).await.expect("replaces");
    assert_eq!((replaced.title.as_str(), replaced.description.as_deref(), replaced.completed), ("New", None, true));
    assert_eq!(replaced.created_at, created.created_at);
    assert!(replaced.updated_at >= created.updated_at);
    assert_eq!(tasks.get(created.id).await.expect("found"), replaced);
    let error = tasks.replace(created.id, input("", None, true)).await.unwrap_err();
    assert!(matches!(error, Error::Validation(_)));
}

async fn update_changes_only_the_given_fields(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let created = tasks.create(input("Title", Some("text"), false)).await.expect("creates");
    let patched =
        tasks.update(created.id, TaskPatch { completed: Some(true), ..Default::default() }).await.expect("updates");
    assert_eq!(
        (patched.title.as_str(), patched.description.as_deref(), patched.completed),
        ("Title", Some("text"), true)
    );
    let renamed = tasks
        .update(created.id, TaskPatch { title: Some("  Renamed ".into()), ..Default::default() })
        .await
        .expect("updates");
    assert_eq!((renamed.title.as_str(), renamed.completed), ("Renamed", true));
    let unchanged = tasks.update(created.id, TaskPatch::default()).await.expect("empty patch is fine");
    assert_eq!((unchanged.title, unchanged.description), (renamed.title, renamed.description));
    let error = tasks.update(created.id, TaskPatch { title: Some("x".repeat(201)), ..Default::default() }).await;
    assert!(matches!(error, Err(Error::Validation(_))));
}

async fn update_can_clear_the_description(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let created = tasks.create(input("Title", Some("text"), false)).await.expect("creates");
    let cleared =
        tasks.update(created.id, TaskPatch { description: Some(None), ..Default::default() }).await.expect("updates");
    assert_eq!(cleared.description, None);
    let set = tasks
        .update(created.id, TaskPatch { description: Some(Some("new".into())), ..Default::default() })
        .await
        .expect("updates");
    assert_eq!(set.description.as_deref(), Some("new"));
}

async fn toggle_flips_completion_each_time(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let created = tasks.create(TaskInput::new("Flip")).await.expect("creates");
    assert!(tasks.toggle(created.id).await.expect("toggles").completed);
    assert!(!tasks.toggle(created.id).await.expect("toggles").completed);
}

async fn delete_removes_the_task(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let created = tasks.create(TaskInput::new("Gone soon")).await.expect("creates");
    tasks.delete(created.id).await.expect("deletes");
    assert!(matches!(tasks.get(created.id).await, Err(Error::NotFound)));
    assert!(matches!(tasks.delete(created.id).await, Err(Error::NotFound)));
}

async fn an_unknown_id_is_not_found_for_every_operation(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let missing = "0190b4c8-0000-7000-8000-000000000000".parse().expect("uuid");
    assert!(matches!(tasks.get(missing).await, Err(Error::NotFound)));
    assert!(matches!(tasks.replace(missing, TaskInput::new("x")).await, Err(Error::NotFound)));
    assert!(matches!(tasks.update(missing, TaskPatch::default()).await, Err(Error::NotFound)));
    assert!(matches!(tasks.toggle(missing).await, Err(Error::NotFound)));
    assert!(matches!(tasks.delete(missing).await, Err(Error::NotFound)));
}

async fn another_users_task_is_not_found_for_every_operation_and_stays_unchanged(db: &TestDb) {
    let ann = tasks_of(db, "ann@example.com").await;
    let eve = tasks_of(db, "eve@example.com").await;
    let task = ann.create(input("Ann's", Some("private"), false)).await.expect("creates");

    assert!(matches!(eve.get(task.id).await, Err(Error::NotFound)));
    assert!(matches!(eve.replace(task.id, input("pwned", None, true)).await, Err(Error::NotFound)));
    let patch = TaskPatch {
        title: Some("pwned".into()),
        description: Some(None),
        completed: Some(true),
        ..TaskPatch::default()
    };
    assert!(matches!(eve.update(task.id, patch).await, Err(Error::NotFound)));
    assert!(matches!(eve.toggle(task.id).await, Err(Error::NotFound)));
    assert!(matches!(eve.delete(task.id).await, Err(Error::NotFound)));

    assert_eq!(ann.get(task.id).await.expect("still there"), task);
}

async fn listing_shows_only_the_owners_tasks(db: &TestDb) {
    let ann = tasks_of(db, "ann@example.com").await;
    let bob = tasks_of(db, "bob@example.com").await;
    let mine = ann.create(TaskInput::new("Ann's")).await.expect("creates");
    bob.create(TaskInput::new("Bob's")).await.expect("creates");
    assert_eq!(ann.list(&ListQuery::default()).await.expect("lists").items, vec![mine]);
}

async fn listing_returns_every_field_exactly_as_stored(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let texts = [
        ("quotes \" and \\ backslashes", Some("line\nbreak\ttab \u{1} control")),
        ("émoji 🦀 and 中文", None),
        ("</script><b>markup</b>", Some("")),
        ("x", Some(&*"é".repeat(1000))),
    ];
    let mut created = Vec::new();
    for (i, (title, description)) in texts.into_iter().enumerate() {
        created.push(tasks.create(input(title, description, i % 2 == 1)).await.expect("creates"));
    }
    created.reverse();
    let listed = tasks.list(&ListQuery::default()).await.expect("lists").items;
    assert_eq!(listed, created, "same values, newest first");
    for task in &listed {
        assert_eq!(&tasks.get(task.id).await.expect("gets"), task);
    }
}

async fn paging_120_tasks_by_50_gives_every_task_once_newest_first(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let mut created = Vec::new();
    for i in 0..120 {
        created.push(tasks.create(TaskInput::new(format!("task {i}"))).await.expect("creates").id);
    }
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut query = ListQuery { limit: 50, ..ListQuery::default() };
    loop {
        let page = tasks.list(&query).await.expect("lists");
        sizes.push(page.items.len());
        seen.extend(page.items.iter().map(|task| task.id));
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(sizes, [50, 50, 20]);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 120);
    created.reverse();
    assert_eq!(seen, created, "newest first");
}

async fn listing_filters_by_completion(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let mut done = Vec::new();
    let mut open = Vec::new();
    for i in 0..7 {
        let task = tasks.create(input(&format!("task {i}"), None, i % 2 == 0)).await.expect("creates");
        if task.completed {
            done.push(task.id)
        } else {
            open.push(task.id)
        }
    }
    done.reverse();
    open.reverse();
    let ids = |completed, limit| {
        let tasks = tasks.clone();
        async move {
            let mut query = ListQuery { completed: Some(completed), limit, ..ListQuery::default() };
            let mut ids = Vec::new();
            loop {
                let page = tasks.list(&query).await.expect("lists");
                ids.extend(page.items.iter().map(|t| t.id));
                match page.next_cursor {
                    Some(cursor) => query.cursor = Some(cursor),
                    None => return ids,
                }
            }
        }
    };
    assert_eq!(ids(true, 2).await, done);
    assert_eq!(ids(false, 100).await, open);
}

async fn listing_rejects_limits_outside_1_to_100_and_foreign_cursors(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    for limit in [0, 101] {
        let error = tasks.list(&ListQuery { limit, ..ListQuery::default() }).await.unwrap_err();
        assert_eq!(error.field_errors(), [FieldError::new("limit", "must be from 1 to 100")]);
    }
    for limit in [1, 100] {
        assert!(tasks.list(&ListQuery { limit, ..ListQuery::default() }).await.is_ok());
    }
    let error =
        tasks.list(&ListQuery { cursor: Some("not a cursor".into()), ..ListQuery::default() }).await.unwrap_err();
    assert_eq!(error.field_errors()[0].field, "cursor");
}

async fn updated_at_moves_only_when_a_value_changes(db: &TestDb) {
    let tasks = tasks_of(db, "ann@example.com").await;
    let created = tasks.create(input("Same", Some("text"), false)).await.expect("creates");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let untouched = tasks.update(created.id, TaskPatch::default()).await.expect("empty patch");
    assert_eq!(untouched.updated_at, created.updated_at);
    let same = tasks.replace(created.id, input("Same", Some("text"), false)).await.expect("same values");
    assert_eq!(same.updated_at, created.updated_at);
    let changed =
        tasks.update(created.id, TaskPatch { completed: Some(true), ..Default::default() }).await.expect("updates");
    assert!(changed.updated_at > created.updated_at);
}

/// Runs every task operation as `tasks` and returns the errors, in the order create, get, list, replace, update,
/// toggle, delete.
async fn every_operation_error(tasks: &Tasks, id: todo_core::TaskId) -> Vec<Error> {
    vec![
        tasks.create(TaskInput::new("new")).await.unwrap_err(),
        tasks.get(id).await.unwrap_err(),
        tasks.list(&ListQuery::default()).await.unwrap_err(),
        tasks.replace(id, TaskInput::new("changed")).await.unwrap_err(),
        tasks.update(id, TaskPatch { completed: Some(true), ..Default::default() }).await.unwrap_err(),
        tasks.toggle(id).await.unwrap_err(),
        tasks.delete(id).await.unwrap_err(),
    ]
}

async fn an_owner_whose_tokens_were_revoked_can_no_longer_touch_tasks(db: &TestDb) {
    let login = db.user("ann@example.com").await;
    let tasks = db.todo.tasks(&login.owner);
    let task = tasks.create(TaskInput::new("keep me")).await.expect("creates");
    db.todo.accounts().logout_everywhere(&login.owner).await.expect("logs out");

    for error in every_operation_error(&tasks, task.id).await {
        assert!(matches!(error, Error::InvalidToken(TokenError::Revoked)), "{error:?}");
    }
    let fresh = db.todo.accounts().login("ann@example.com", PASSWORD).await.expect("logs in");
    let page = db.todo.tasks(&fresh.owner).list(&ListQuery::default()).await.expect("lists");
    assert_eq!(page.items, vec![task], "nothing was created, changed or deleted");
}

async fn an_owner_whose_account_was_deleted_is_an_unknown_user(db: &TestDb) {
    let login = db.user("bob@example.com").await;
    let tasks = db.todo.tasks(&login.owner);
    let task = tasks.create(TaskInput::new("soon gone")).await.expect("creates");
    db.todo.accounts().delete_account(&login.owner, PASSWORD).await.expect("deletes");

    for error in every_operation_error(&tasks, task.id).await {
        assert!(matches!(error, Error::InvalidToken(TokenError::UnknownUser)), "{error:?}");
    }
}

async fn an_owner_from_authorize_works_like_one_from_login(db: &TestDb) {
    let login = db.user("cid@example.com").await;
    let owner = db.todo.accounts().authorize(&login.token.access_token).expect("authorizes");
    assert_eq!(owner, login.owner);
    let created = db.todo.tasks(&owner).create(TaskInput::new("via authorize")).await.expect("creates");
    assert_eq!(db.todo.tasks(&login.owner).get(created.id).await.expect("gets"), created);
    // An owner with no tasks lists an empty page, not an error.
    let other = db.user("dee@example.com").await;
    assert_eq!(db.todo.tasks(&other.owner).list(&ListQuery::default()).await.expect("lists").items, vec![]);
}
