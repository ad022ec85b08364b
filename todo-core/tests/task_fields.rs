//! Task fields, optimistic concurrency, moves between lists, filters and both sorts, on every backend: what one
//! account (and other accounts, as outsiders) can show. API.md, "Task fields, filters and safe retries".

mod support;

use time::{Duration, OffsetDateTime};
use todo_core::{
    Assignee, Error, FieldError, ListId, ListQuery, Login, Sort, Task, TaskId, TaskInput, TaskPatch, Tasks,
};

use support::TestDb;

backend_tests!(
    every_new_field_round_trips_through_create_and_get,
    due_at_is_kept_to_the_millisecond,
    replace_sets_every_new_field,
    replace_without_list_id_keeps_the_list_and_clears_due_at_and_assignee,
    update_changes_only_the_new_fields_given,
    update_with_due_at_some_none_clears_it,
    priority_above_3_is_refused_on_priority_and_nothing_is_stored,
    an_assignee_who_is_not_a_member_is_refused_on_assignee_id_and_nothing_is_stored,
    version_starts_at_1_and_moves_by_one_on_each_real_change_only,
    a_stale_version_is_refused_for_every_write_and_changes_nothing,
    the_current_version_lets_every_write_through,
    a_task_moves_between_two_of_ones_own_lists,
    creating_into_another_users_list_is_not_found_and_stores_nothing,
    moving_into_another_users_list_is_not_found_and_changes_nothing,
    a_list_id_the_caller_cannot_see_is_not_found_not_an_empty_page,
    q_must_be_1_to_200_characters,
    a_cursor_of_one_sort_is_refused_by_the_other,
    q_is_case_insensitive_beyond_ascii_and_like_metacharacters_match_literally,
    every_filter_alone_and_combined_pages_in_order_without_gap_or_repeat,
);

/// The instant every due date of these tests is counted from (milliseconds matter: it has some).
fn base() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(1_900_000_000_123_000_000).expect("valid")
}

struct Account {
    login: Login,
    tasks: Tasks,
    inbox: ListId,
}

async fn account(db: &TestDb, email: &str) -> Account {
    let login = db.user(email).await;
    let tasks = db.todo.tasks(&login.owner);
    let inbox = db.todo.lists(&login.owner).all().await.expect("lists")[0].id;
    Account { login, tasks, inbox }
}

impl Account {
    fn me(&self) -> todo_core::UserId {
        self.login.user.id
    }

    async fn new_list(&self, db: &TestDb, name: &str) -> ListId {
        db.todo.lists(&self.login.owner).create(name).await.expect("creates the list").id
    }

    /// Every task this account can see, newest first.
    async fn everything(&self) -> Vec<Task> {
        walk(&self.tasks, &ListQuery::default(), 100).await
    }
}

fn field_of(error: &Error) -> Vec<&'static str> {
    error.field_errors().iter().map(|error| error.field).collect()
}

/// A task with every new field set.
fn full_input(list_id: ListId, assignee: todo_core::UserId) -> TaskInput {
    TaskInput {
        title: "  Plan the trip ".into(),
        description: Some("book trains".into()),
        completed: true,
        list_id: Some(list_id),
        due_at: Some(base()),
        priority: 3,
        assignee_id: Some(assignee),
    }
}

async fn every_new_field_round_trips_through_create_and_get(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let trips = ann.new_list(db, "Trips").await;
    let task = ann.tasks.create(full_input(trips, ann.me())).await.expect("creates");
    assert_eq!(task.title, "Plan the trip");
    assert_eq!(task.description.as_deref(), Some("book trains"));
    assert!(task.completed);
    assert_eq!(task.list_id, trips);
    assert_eq!(task.due_at, Some(base()));
    assert_eq!(task.priority, 3);
    assert_eq!(task.assignee_id, Some(ann.me()));
    assert_eq!(task.created_by, Some(ann.me()));
    assert_eq!(task.version, 1);
    assert_eq!(ann.tasks.get(task.id).await.expect("gets"), task);

    // Without a list: the inbox, with the defaults.
    let plain = ann.tasks.create(TaskInput::new("plain")).await.expect("creates");
    assert_eq!((plain.list_id, plain.due_at, plain.priority, plain.assignee_id), (ann.inbox, None, 0, None));
    assert_eq!(plain.created_by, Some(ann.me()));
    for priority in 0..=3 {
        let task = ann.tasks.create(TaskInput { priority, ..TaskInput::new("p") }).await.expect("creates");
        assert_eq!(ann.tasks.get(task.id).await.expect("gets").priority, priority);
    }
}

async fn due_at_is_kept_to_the_millisecond(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    for due in [
        base(),
        base() + Duration::milliseconds(1),
        OffsetDateTime::UNIX_EPOCH,
        OffsetDateTime::UNIX_EPOCH - Duration::milliseconds(1_500),
    ] {
        let task = ann.tasks.create(TaskInput { due_at: Some(due), ..TaskInput::new("due") }).await.expect("creates");
        assert_eq!(task.due_at, Some(due));
        assert_eq!(ann.tasks.get(task.id).await.expect("gets").due_at, Some(due));
    }
    // Below the millisecond is not kept.
    let fine = base() + Duration::microseconds(999);
    let task = ann.tasks.create(TaskInput { due_at: Some(fine), ..TaskInput::new("due") }).await.expect("creates");
    assert_eq!(task.due_at, Some(base()));
    assert_eq!(ann.tasks.get(task.id).await.expect("gets").due_at, Some(base()));
}

async fn replace_sets_every_new_field(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let trips = ann.new_list(db, "Trips").await;
    let task = ann.tasks.create(TaskInput::new("bare")).await.expect("creates");
    let replaced = ann.tasks.replace(task.id, full_input(trips, ann.me())).await.expect("replaces");
    assert_eq!(
        (replaced.list_id, replaced.due_at, replaced.priority, replaced.assignee_id),
        (trips, Some(base()), 3, Some(ann.me()))
    );
    assert_eq!(
        (replaced.title.as_str(), replaced.completed, replaced.created_by),
        ("Plan the trip", true, Some(ann.me()))
    );
    assert_eq!((replaced.id, replaced.created_at), (task.id, task.created_at));
    assert_eq!(ann.tasks.get(task.id).await.expect("gets"), replaced);
}

async fn replace_without_list_id_keeps_the_list_and_clears_due_at_and_assignee(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let trips = ann.new_list(db, "Trips").await;
    let task = ann.tasks.create(full_input(trips, ann.me())).await.expect("creates");
    let replaced = ann.tasks.replace(task.id, TaskInput::new("only a title")).await.expect("replaces");
    assert_eq!(replaced.list_id, trips, "kept in its list");
    assert_eq!((replaced.due_at, replaced.priority, replaced.assignee_id), (None, 0, None));
    assert_eq!((replaced.description.as_deref(), replaced.completed), (None, false));
    assert_eq!(ann.tasks.get(task.id).await.expect("gets"), replaced);
}

async fn update_changes_only_the_new_fields_given(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let task = ann.tasks.create(TaskInput::new("t")).await.expect("creates");
    let later = base() + Duration::days(1);
    let updated = ann
        .tasks
        .update(task.id, TaskPatch { due_at: Some(Some(later)), ..TaskPatch::default() })
        .await
        .expect("updates");
    assert_eq!((updated.due_at, updated.priority, updated.assignee_id), (Some(later), 0, None));
    let updated = ann
        .tasks
        .update(task.id, TaskPatch { priority: Some(2), assignee_id: Some(Some(ann.me())), ..TaskPatch::default() })
        .await
        .expect("updates");
    assert_eq!((updated.due_at, updated.priority, updated.assignee_id), (Some(later), 2, Some(ann.me())));
    assert_eq!((updated.title.as_str(), updated.list_id), ("t", ann.inbox));
    let updated = ann
        .tasks
        .update(task.id, TaskPatch { assignee_id: Some(None), ..TaskPatch::default() })
        .await
        .expect("unassigns");
    assert_eq!((updated.due_at, updated.priority, updated.assignee_id), (Some(later), 2, None));
    assert_eq!(ann.tasks.get(task.id).await.expect("gets"), updated);
}

async fn update_with_due_at_some_none_clears_it(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let task = ann.tasks.create(TaskInput { due_at: Some(base()), ..TaskInput::new("t") }).await.expect("creates");
    let kept = ann.tasks.update(task.id, TaskPatch { priority: Some(1), ..TaskPatch::default() }).await.expect("ok");
    assert_eq!(kept.due_at, Some(base()), "absent: kept");
    let cleared =
        ann.tasks.update(task.id, TaskPatch { due_at: Some(None), ..TaskPatch::default() }).await.expect("ok");
    assert_eq!(cleared.due_at, None);
    assert_eq!(ann.tasks.get(task.id).await.expect("gets").due_at, None);
}

async fn priority_above_3_is_refused_on_priority_and_nothing_is_stored(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let error = ann.tasks.create(TaskInput { priority: 4, ..TaskInput::new("t") }).await.unwrap_err();
    assert_eq!(error.field_errors(), [FieldError::new("priority", "must be from 0 to 3")]);
    let error = ann.tasks.create(TaskInput { priority: 255, ..TaskInput::new("") }).await.unwrap_err();
    assert_eq!(field_of(&error), ["title", "priority"], "every broken rule at once");
    assert_eq!(ann.everything().await, vec![]);

    let task = ann.tasks.create(TaskInput { priority: 1, ..TaskInput::new("t") }).await.expect("creates");
    let error = ann.tasks.update(task.id, TaskPatch { priority: Some(4), ..TaskPatch::default() }).await.unwrap_err();
    assert_eq!(field_of(&error), ["priority"]);
    let error = ann.tasks.replace(task.id, TaskInput { priority: 4, ..TaskInput::new("changed") }).await.unwrap_err();
    assert_eq!(field_of(&error), ["priority"]);
    assert_eq!(ann.tasks.get(task.id).await.expect("gets"), task, "unchanged");
}

async fn an_assignee_who_is_not_a_member_is_refused_on_assignee_id_and_nothing_is_stored(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let bob = account(db, "bob@example.com").await;
    let error = ann.tasks.create(TaskInput { assignee_id: Some(bob.me()), ..TaskInput::new("t") }).await.unwrap_err();
    assert_eq!(error.field_errors(), [FieldError::new("assignee_id", "must be a member of the task's list")]);
    let trips = ann.new_list(db, "Trips").await;
    let error = ann
        .tasks
        .create(TaskInput { assignee_id: Some(bob.me()), list_id: Some(trips), ..TaskInput::new("t") })
        .await
        .unwrap_err();
    assert_eq!(field_of(&error), ["assignee_id"]);
    assert_eq!(ann.everything().await, vec![]);
    assert_eq!(bob.everything().await, vec![]);

    let task = ann.tasks.create(TaskInput { assignee_id: Some(ann.me()), ..TaskInput::new("t") }).await.expect("ok");
    let error = ann
        .tasks
        .update(task.id, TaskPatch { assignee_id: Some(Some(bob.me())), ..TaskPatch::default() })
        .await
        .unwrap_err();
    assert_eq!(field_of(&error), ["assignee_id"]);
    let error =
        ann.tasks.replace(task.id, TaskInput { assignee_id: Some(bob.me()), ..TaskInput::new("t") }).await.unwrap_err();
    assert_eq!(field_of(&error), ["assignee_id"]);
    assert_eq!(ann.tasks.get(task.id).await.expect("gets"), task, "unchanged");
}

async fn version_starts_at_1_and_moves_by_one_on_each_real_change_only(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let task = ann.tasks.create(TaskInput::new("t")).await.expect("creates");
    assert_eq!(task.version, 1);
    let updated = ann.tasks.update(task.id, TaskPatch { priority: Some(2), ..TaskPatch::default() }).await.expect("ok");
    assert_eq!(updated.version, 2);
    // The same values again: no change, no new version, no new updated_at.
    let same = ann.tasks.update(task.id, TaskPatch { priority: Some(2), ..TaskPatch::default() }).await.expect("ok");
    assert_eq!(same, updated);
    let nothing = ann.tasks.update(task.id, TaskPatch::default()).await.expect("ok");
    assert_eq!(nothing, updated);
    let replaced = ann.tasks.replace(task.id, TaskInput::new("t")).await.expect("replaces");
    assert_eq!(replaced.version, 3, "priority back to 0");
    let again = ann.tasks.replace(task.id, TaskInput::new("t")).await.expect("replaces");
    assert_eq!(again, replaced, "a replace with the same values is no change");
    let toggled = ann.tasks.toggle(task.id).await.expect("toggles");
    assert_eq!(toggled.version, 4);
    let toggled = ann.tasks.toggle(task.id).await.expect("toggles");
    assert_eq!(toggled.version, 5);
    let due = ann.tasks.update(task.id, TaskPatch { due_at: Some(Some(base())), ..TaskPatch::default() }).await;
    assert_eq!(due.expect("ok").version, 6);
    let trips = ann.new_list(db, "Trips").await;
    let moved = ann.tasks.update(task.id, TaskPatch { list_id: Some(trips), ..TaskPatch::default() }).await;
    assert_eq!(moved.expect("moves").version, 7);
    let stay = ann.tasks.update(task.id, TaskPatch { list_id: Some(trips), ..TaskPatch::default() }).await;
    assert_eq!(stay.expect("ok").version, 7, "moving to the list it is in is no change");
    assert_eq!(ann.tasks.get(task.id).await.expect("gets").version, 7);
}

async fn a_stale_version_is_refused_for_every_write_and_changes_nothing(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let task = ann.tasks.create(TaskInput::new("t")).await.expect("creates");
    let current = ann.tasks.toggle(task.id).await.expect("toggles");
    let stale = ann.tasks.if_version(task.version);
    let errors = [
        stale.update(task.id, TaskPatch { title: Some("new".into()), ..TaskPatch::default() }).await.unwrap_err(),
        stale.update(task.id, TaskPatch::default()).await.unwrap_err(),
        stale.replace(task.id, TaskInput::new("new")).await.unwrap_err(),
        stale.toggle(task.id).await.unwrap_err(),
        stale.delete(task.id).await.unwrap_err(),
    ];
    for error in errors {
        assert!(matches!(error, Error::VersionMismatch), "{error:?}");
    }
    let future = ann.tasks.if_version(current.version + 1);
    assert!(matches!(future.toggle(task.id).await, Err(Error::VersionMismatch)));
    assert_eq!(ann.tasks.get(task.id).await.expect("still there"), current, "unchanged");
    // An unknown task is not found, whatever the version asked.
    let missing: TaskId = "0190b7a4-0000-7000-8000-000000000000".parse().expect("a uuid");
    assert!(matches!(stale.delete(missing).await, Err(Error::NotFound)));
}

async fn the_current_version_lets_every_write_through(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let task = ann.tasks.create(TaskInput::new("t")).await.expect("creates");
    let v2 = ann
        .tasks
        .if_version(1)
        .update(task.id, TaskPatch { title: Some("u".into()), ..TaskPatch::default() })
        .await
        .expect("updates");
    assert_eq!((v2.version, v2.title.as_str()), (2, "u"));
    let same = ann.tasks.if_version(2).update(task.id, TaskPatch::default()).await.expect("no-op");
    assert_eq!(same, v2);
    let v3 = ann.tasks.if_version(2).replace(task.id, TaskInput::new("r")).await.expect("replaces");
    assert_eq!((v3.version, v3.title.as_str()), (3, "r"));
    let v4 = ann.tasks.if_version(3).toggle(task.id).await.expect("toggles");
    assert_eq!((v4.version, v4.completed), (4, true));
    ann.tasks.if_version(4).delete(task.id).await.expect("deletes");
    assert!(matches!(ann.tasks.get(task.id).await, Err(Error::NotFound)));
}

async fn a_task_moves_between_two_of_ones_own_lists(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let (trips, work) = (ann.new_list(db, "Trips").await, ann.new_list(db, "Work").await);
    let task = ann.tasks.create(full_input(trips, ann.me())).await.expect("creates");
    let moved = ann.tasks.update(task.id, TaskPatch { list_id: Some(work), ..TaskPatch::default() }).await;
    let moved = moved.expect("moves");
    assert_eq!(moved.list_id, work);
    assert_eq!(moved.assignee_id, Some(ann.me()), "a member of both lists stays assigned");
    assert_eq!((moved.title.as_str(), moved.due_at, moved.priority), ("Plan the trip", Some(base()), 3));
    assert_eq!(in_list(&ann.tasks, work).await, vec![moved.clone()]);
    assert_eq!(in_list(&ann.tasks, trips).await, vec![]);

    let back = ann.tasks.replace(task.id, TaskInput { list_id: Some(ann.inbox), ..TaskInput::new("t") }).await;
    let back = back.expect("moves back by a replace");
    assert_eq!(back.list_id, ann.inbox);
    assert_eq!(in_list(&ann.tasks, ann.inbox).await, vec![back]);
    assert_eq!(in_list(&ann.tasks, work).await, vec![]);
}

async fn in_list(tasks: &Tasks, list: ListId) -> Vec<Task> {
    walk(tasks, &ListQuery { list_id: Some(list), ..ListQuery::default() }, 100).await
}

async fn creating_into_another_users_list_is_not_found_and_stores_nothing(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let bob = account(db, "bob@example.com").await;
    let bobs = bob.new_list(db, "Bob's").await;
    for list in [bobs, bob.inbox] {
        let error = ann.tasks.create(TaskInput { list_id: Some(list), ..TaskInput::new("t") }).await.unwrap_err();
        assert!(matches!(error, Error::NotFound), "{error:?}");
        // Even with an assignee who is a member there, and a broken field it would otherwise report.
        let error = ann
            .tasks
            .create(TaskInput { list_id: Some(list), assignee_id: Some(bob.me()), ..TaskInput::new("t") })
            .await
            .unwrap_err();
        assert!(matches!(error, Error::NotFound), "{error:?}");
    }
    assert_eq!(ann.everything().await, vec![]);
    assert_eq!(bob.everything().await, vec![]);
}

async fn moving_into_another_users_list_is_not_found_and_changes_nothing(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let bob = account(db, "bob@example.com").await;
    let bobs = bob.new_list(db, "Bob's").await;
    let task = ann.tasks.create(TaskInput::new("mine")).await.expect("creates");
    for list in [bobs, bob.inbox] {
        let moves = [
            ann.tasks.update(task.id, TaskPatch { list_id: Some(list), ..TaskPatch::default() }).await,
            ann.tasks.replace(task.id, TaskInput { list_id: Some(list), ..TaskInput::new("mine") }).await,
            ann.tasks.if_version(1).update(task.id, TaskPatch { list_id: Some(list), ..TaskPatch::default() }).await,
        ];
        for moved in moves {
            assert!(matches!(moved, Err(Error::NotFound)), "{moved:?}");
        }
    }
    assert_eq!(ann.tasks.get(task.id).await.expect("gets"), task, "unchanged");
    assert_eq!(bob.everything().await, vec![]);
}

async fn a_list_id_the_caller_cannot_see_is_not_found_not_an_empty_page(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let bob = account(db, "bob@example.com").await;
    bob.tasks.create(TaskInput::new("bob's")).await.expect("creates");
    ann.tasks.create(TaskInput::new("ann's")).await.expect("creates");
    let bobs = bob.new_list(db, "Bob's").await;
    for list in [bob.inbox, bobs] {
        for sort in [Sort::Created, Sort::Due] {
            for completed in [None, Some(true)] {
                let query = ListQuery { list_id: Some(list), sort, completed, ..ListQuery::default() };
                let error = ann.tasks.list(&query).await.unwrap_err();
                assert!(matches!(error, Error::NotFound), "{error:?}");
            }
        }
    }
    // A list with no tasks of one's own is an empty page.
    let empty = ann.new_list(db, "Empty").await;
    let page = ann.tasks.list(&ListQuery { list_id: Some(empty), ..ListQuery::default() }).await.expect("lists");
    assert_eq!((page.items, page.next_cursor), (vec![], None));
}

async fn q_must_be_1_to_200_characters(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    for q in [String::new(), "é".repeat(201)] {
        let error = ann.tasks.list(&ListQuery { q: Some(q), ..ListQuery::default() }).await.unwrap_err();
        assert_eq!(field_of(&error), ["q"]);
    }
    let page = ann.tasks.list(&ListQuery { q: Some("é".repeat(200)), ..ListQuery::default() }).await;
    assert_eq!(page.expect("200 characters are fine").items, vec![]);
}

async fn a_cursor_of_one_sort_is_refused_by_the_other(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    for due_at in [Some(base()), None, Some(base()), None] {
        ann.tasks.create(TaskInput { due_at, ..TaskInput::new("t") }).await.expect("creates");
    }
    let first = |sort| ListQuery { sort, limit: 1, ..ListQuery::default() };
    let created = ann.tasks.list(&first(Sort::Created)).await.expect("lists").next_cursor.expect("more");
    let dated = ann.tasks.list(&first(Sort::Due)).await.expect("lists").next_cursor.expect("more");
    let undated = ann
        .tasks
        .list(&ListQuery { sort: Sort::Due, limit: 3, ..ListQuery::default() })
        .await
        .expect("lists")
        .next_cursor
        .expect("more");
    for (cursor, sort) in [(created, Sort::Due), (dated, Sort::Created), (undated, Sort::Created)] {
        let query = ListQuery { sort, cursor: Some(cursor.clone()), ..ListQuery::default() };
        let error = ann.tasks.list(&query).await.unwrap_err();
        assert_eq!(field_of(&error), ["cursor"], "{cursor} with {sort:?}");
    }
}

async fn q_is_case_insensitive_beyond_ascii_and_like_metacharacters_match_literally(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let titles =
        ["ÉCOLE", "école", "Ecole", "100% sure", "100 sure", "a_b", "axb", r"back\slash", "backslash", "ΣΊΣΥΦΟΣ"];
    let mut created = Vec::new();
    for title in titles {
        created.push(ann.tasks.create(TaskInput::new(title)).await.expect("creates"));
    }
    let described = ann
        .tasks
        .create(TaskInput { description: Some("Notes on the ÉCOLE trip".into()), ..TaskInput::new("plain") })
        .await
        .expect("creates");
    let found = |q: &'static str| {
        let tasks = ann.tasks.clone();
        async move {
            let query = ListQuery { q: Some(q.into()), ..ListQuery::default() };
            let mut titles: Vec<String> = walk(&tasks, &query, 100).await.into_iter().map(|task| task.title).collect();
            titles.sort();
            titles
        }
    };
    assert_eq!(found("école").await, ["plain", "ÉCOLE", "école"]);
    assert_eq!(found("ÉCOLE").await, ["plain", "ÉCOLE", "école"]);
    assert_eq!(found("ÉcOlE").await, ["plain", "ÉCOLE", "école"]);
    assert_eq!(found("ecole").await, ["Ecole"]);
    assert_eq!(found("σίσυφος").await, ["ΣΊΣΥΦΟΣ"]);
    assert_eq!(found("%").await, ["100% sure"]);
    assert_eq!(found("0% s").await, ["100% sure"]);
    assert_eq!(found("_").await, ["a_b"]);
    assert_eq!(found("A_B").await, ["a_b"]);
    assert_eq!(found(r"\").await, [r"back\slash"]);
    assert_eq!(found(r"K\S").await, [r"back\slash"]);
    assert_eq!(found(r"\%").await, Vec::<String>::new());
    assert_eq!(found("trip").await, ["plain"], "the description counts too");
    assert_eq!(described.description.as_deref(), Some("Notes on the ÉCOLE trip"));
    assert_eq!(created.len(), titles.len());
}

/// Every task of `query`'s listing, walking page by page with `limit`; checks that each page has at most `limit`
/// tasks and that only the last has no cursor.
async fn walk(tasks: &Tasks, query: &ListQuery, limit: u32) -> Vec<Task> {
    let mut all = Vec::new();
    let mut query = ListQuery { limit, cursor: None, ..query.clone() };
    for _ in 0..10_000 {
        let page = tasks.list(&query).await.unwrap_or_else(|error| panic!("{query:?}: {error:?}"));
        assert!(page.items.len() <= limit as usize);
        all.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return all,
        }
    }
    panic!("the walk does not end");
}

/// The order of a listing, computed from the tasks themselves.
fn expected(tasks: &[Task], keep: impl Fn(&Task) -> bool, sort: Sort) -> Vec<Task> {
    let mut kept: Vec<Task> = tasks.iter().filter(|task| keep(task)).cloned().collect();
    match sort {
        Sort::Created => kept.sort_by_key(|task| std::cmp::Reverse(task.id)),
        // Dated first (soonest, then oldest id), then undated (oldest id first).
        Sort::Due => kept.sort_by_key(|task| (task.due_at.is_none(), task.due_at, task.id)),
    }
    kept
}

fn folded_contains(task: &Task, q: &str) -> bool {
    let q = q.to_lowercase();
    task.title.to_lowercase().contains(&q) || task.description.as_deref().is_some_and(|d| d.to_lowercase().contains(&q))
}

/// The words titles are made of: some that fold alike beyond ASCII, and LIKE's metacharacters.
const WORDS: [&str; 8] = ["École", "ÉCOLE", "ecole", "50% off", "50 off", "x_y", "xzy", r"a\b"];

async fn every_filter_alone_and_combined_pages_in_order_without_gap_or_repeat(db: &TestDb) {
    let ann = account(db, "ann@example.com").await;
    let bob = account(db, "bob@example.com").await;
    let (work, home) = (ann.new_list(db, "Work").await, ann.new_list(db, "Home").await);
    let lists = [ann.inbox, work, home];
    // Bob's tasks are never in Ann's listings.
    bob.tasks.create(TaskInput { due_at: Some(base()), ..TaskInput::new("École 50% x_y") }).await.expect("creates");

    let started = std::time::Instant::now();
    let inputs: Vec<TaskInput> = (0..1_000_usize)
        .map(|i| TaskInput {
            title: format!("task {i} {}", WORDS[i % WORDS.len()]),
            description: (i % 7 == 0).then(|| format!("note {}", WORDS[(i / 7) % WORDS.len()])),
            completed: i % 3 == 0,
            list_id: Some(lists[i % lists.len()]),
            // One in five undated; the rest on 23 instants, so many share one.
            due_at: (i % 5 != 0).then(|| base() + Duration::hours((i % 23) as i64 - 11)),
            priority: (i % 4) as u8,
            assignee_id: (i % 6 == 1).then(|| ann.me()),
        })
        .collect();
    let mut created = Vec::with_capacity(inputs.len());
    for input in inputs {
        created.push(ann.tasks.create(input).await.expect("creates"));
    }
    eprintln!("created 1000 tasks in {:?}", started.elapsed());

    let cut = base() - Duration::hours(3);
    let upto = base() + Duration::hours(4);
    type Keep = Box<dyn Fn(&Task) -> bool>;
    let me = ann.me();
    let (dated_cut, dated_upto) = (cut, upto);
    let cases: Vec<(ListQuery, Keep)> = vec![
        (ListQuery::default(), Box::new(|_| true)),
        (ListQuery { completed: Some(true), ..ListQuery::default() }, Box::new(|t| t.completed)),
        (ListQuery { completed: Some(false), ..ListQuery::default() }, Box::new(|t| !t.completed)),
        (ListQuery { list_id: Some(work), ..ListQuery::default() }, Box::new(move |t| t.list_id == work)),
        (ListQuery { list_id: Some(lists[0]), ..ListQuery::default() }, Box::new(move |t| t.list_id == lists[0])),
        (
            ListQuery { due_before: Some(cut), ..ListQuery::default() },
            Box::new(move |t| t.due_at.is_some_and(|due| due < dated_cut)),
        ),
        (
            ListQuery { due_after: Some(cut), ..ListQuery::default() },
            Box::new(move |t| t.due_at.is_some_and(|due| due >= dated_cut)),
        ),
        (
            ListQuery { due_after: Some(cut), due_before: Some(upto), ..ListQuery::default() },
            Box::new(move |t| t.due_at.is_some_and(|due| due >= dated_cut && due < dated_upto)),
        ),
        (
            ListQuery { assignee: Some(Assignee::Me), ..ListQuery::default() },
            Box::new(move |t| t.assignee_id == Some(me)),
        ),
        (
            ListQuery { assignee: Some(Assignee::User(me)), ..ListQuery::default() },
            Box::new(move |t| t.assignee_id == Some(me)),
        ),
        (ListQuery { assignee: Some(Assignee::User(bob.me())), ..ListQuery::default() }, Box::new(|_| false)),
        (ListQuery { q: Some("école".into()), ..ListQuery::default() }, Box::new(|t| folded_contains(t, "école"))),
        (ListQuery { q: Some("ÉCOLE".into()), ..ListQuery::default() }, Box::new(|t| folded_contains(t, "école"))),
        (ListQuery { q: Some("%".into()), ..ListQuery::default() }, Box::new(|t| folded_contains(t, "%"))),
        (ListQuery { q: Some("_".into()), ..ListQuery::default() }, Box::new(|t| folded_contains(t, "_"))),
        (ListQuery { q: Some(r"\".into()), ..ListQuery::default() }, Box::new(|t| folded_contains(t, r"\"))),
        (ListQuery { q: Some("task 1".into()), ..ListQuery::default() }, Box::new(|t| folded_contains(t, "task 1"))),
        (
            ListQuery {
                list_id: Some(work),
                completed: Some(false),
                due_after: Some(cut),
                assignee: Some(Assignee::Me),
                ..ListQuery::default()
            },
            Box::new(move |t| {
                t.list_id == work
                    && !t.completed
                    && t.assignee_id == Some(me)
                    && t.due_at.is_some_and(|d| d >= dated_cut)
            }),
        ),
        (
            ListQuery {
                completed: Some(true),
                due_before: Some(upto),
                q: Some("ECOLE".into()),
                ..ListQuery::default()
            },
            Box::new(move |t| t.completed && t.due_at.is_some_and(|d| d < dated_upto) && folded_contains(t, "ecole")),
        ),
        (
            ListQuery { list_id: Some(work), q: Some("note".into()), ..ListQuery::default() },
            Box::new(move |t| t.list_id == work && folded_contains(t, "note")),
        ),
    ];
    for (query, keep) in &cases {
        for sort in [Sort::Created, Sort::Due] {
            let query = ListQuery { sort, ..query.clone() };
            let want = expected(&created, keep, sort);
            let got = walk(&ann.tasks, &query, 37).await;
            let ids = |tasks: &[Task]| tasks.iter().map(|task| task.id).collect::<Vec<_>>();
            assert_eq!(ids(&got), ids(&want), "{query:?}: {} expected, {} listed", want.len(), got.len());
            assert_eq!(got, want, "{query:?}: every field as created");
        }
    }
    // The filters are not trivial: each keeps some tasks and leaves some (but the one that names a non-member), and
    // all but the narrowest span several pages.
    let kept: Vec<usize> = cases.iter().map(|(_, keep)| created.iter().filter(|task| keep(task)).count()).collect();
    eprintln!("tasks kept per case: {kept:?}");
    assert_eq!(kept[0], 1_000);
    assert_eq!(kept[10], 0);
    assert!(kept.iter().enumerate().all(|(i, &n)| i == 0 || i == 10 || (0 < n && n < 1_000)), "{kept:?}");
    assert!(kept.iter().filter(|&&n| n > 37).count() >= 12, "{kept:?}");
    eprintln!("walked every case in {:?}", started.elapsed());
}
