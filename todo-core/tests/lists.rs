//! Lists, on every backend: what one owner can do with their lists, and that other accounts cannot see them.
//! API.md, "Lists and sharing" (invitations, and so second members, are not here yet).

mod support;

use todo_core::{Error, FieldError, List, ListId, ListQuery, Lists, Login, Role, TaskInput, TokenError};
use uuid::Uuid;

use support::{RawPool, TestDb, PASSWORD};

backend_tests!(
    signup_makes_exactly_one_inbox_owned_by_the_account,
    a_new_list_is_owned_by_its_maker_with_a_trimmed_name,
    list_names_are_1_to_100_characters_after_trimming,
    rename_trims_and_moves_updated_at_only_on_a_real_change,
    all_lists_the_inbox_first_then_by_name_case_insensitively,
    the_inbox_cannot_be_deleted_nor_handed_over,
    deleting_a_list_deletes_its_tasks_and_nothing_else,
    the_owner_can_neither_leave_nor_demote_themselves,
    another_account_cannot_see_or_change_my_list,
    an_unknown_list_is_not_found,
    a_revoked_session_is_refused_by_every_list_operation,
    deleting_the_account_deletes_its_lists_and_their_tasks,
);

async fn lists_of(db: &TestDb, email: &str) -> (Login, Lists) {
    let login = db.user(email).await;
    let lists = db.todo.lists(&login.owner);
    (login, lists)
}

fn field_of(error: &Error) -> Vec<&'static str> {
    error.field_errors().iter().map(|error| error.field).collect()
}

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

/// How many rows of `table` have `column = id`, read with a plain pool.
async fn count(db: &TestDb, table: &str, column: &str, id: Uuid) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
    let pool = db.raw_pool().await;
    let n = on_pool!(&pool, |pool| sqlx::query_scalar(&sql).bind(id).fetch_one(pool).await).expect("counts");
    on_pool!(&pool, |pool| pool.close().await);
    n
}

async fn signup_makes_exactly_one_inbox_owned_by_the_account(db: &TestDb) {
    let (login, lists) = lists_of(db, "ann@example.com").await;
    let all = lists.all().await.expect("lists");
    assert_eq!(all.len(), 1);
    let inbox = &all[0];
    assert_eq!((inbox.name.as_str(), inbox.inbox, inbox.role, inbox.member_count), ("Inbox", true, Role::Owner, 1));
    assert_eq!(inbox.created_at, inbox.updated_at);
    assert_eq!(lists.get(inbox.id).await.expect("gets"), *inbox);
    let members = lists.members(inbox.id).await.expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!((members[0].user_id, members[0].role), (login.user.id, Role::Owner));
    assert_eq!(members[0].email.as_str(), "ann@example.com");
    let me = login.user.id.as_uuid();
    assert_eq!(count(db, "lists", "owner_id", me).await, 1);
    assert_eq!(count(db, "memberships", "user_id", me).await, 1);
    // A task without a list goes there.
    let task = db.todo.tasks(&login.owner).create(TaskInput::new("t")).await.expect("creates");
    assert_eq!(task.list_id, inbox.id);
}

async fn a_new_list_is_owned_by_its_maker_with_a_trimmed_name(db: &TestDb) {
    let (login, lists) = lists_of(db, "ann@example.com").await;
    let made = lists.create("  Groceries \t").await.expect("creates");
    assert_eq!((made.name.as_str(), made.inbox, made.role, made.member_count), ("Groceries", false, Role::Owner, 1));
    assert_eq!(made.created_at, made.updated_at);
    assert_eq!(lists.get(made.id).await.expect("gets"), made);
    let members = lists.members(made.id).await.expect("members");
    assert_eq!(members.iter().map(|m| (m.user_id, m.role)).collect::<Vec<_>>(), [(login.user.id, Role::Owner)]);
    // Names need not be unique.
    let twin = lists.create("Groceries").await.expect("creates");
    assert_ne!(twin.id, made.id);
    assert_eq!(lists.all().await.expect("lists").len(), 3);
}

async fn list_names_are_1_to_100_characters_after_trimming(db: &TestDb) {
    let (_, lists) = lists_of(db, "ann@example.com").await;
    let longest = lists.create(&"é".repeat(100)).await.expect("100 characters fit");
    assert_eq!(longest.name.chars().count(), 100);
    for bad in [String::new(), "   ".into(), "é".repeat(101), "a\0b".into()] {
        let error = lists.create(&bad).await.unwrap_err();
        assert_eq!(field_of(&error), ["name"], "{bad:?}");
        let error = lists.rename(longest.id, &bad).await.unwrap_err();
        assert_eq!(field_of(&error), ["name"], "{bad:?}");
    }
    let error = lists.create("").await.unwrap_err();
    assert_eq!(error.field_errors(), [FieldError::new("name", "must not be empty")]);
    assert_eq!(lists.all().await.expect("lists").len(), 2, "nothing else was made");
    assert_eq!(lists.get(longest.id).await.expect("gets"), longest, "nor renamed");
}

async fn rename_trims_and_moves_updated_at_only_on_a_real_change(db: &TestDb) {
    let (_, lists) = lists_of(db, "ann@example.com").await;
    let made = lists.create("Groceries").await.expect("creates");
    let same = lists.rename(made.id, "  Groceries  ").await.expect("renames");
    assert_eq!(same, made, "the same name, trimmed: no change");
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let renamed = lists.rename(made.id, " Food ").await.expect("renames");
    assert_eq!(renamed.name, "Food");
    assert!(renamed.updated_at > made.updated_at);
    assert_eq!(renamed.created_at, made.created_at);
    assert_eq!(lists.get(made.id).await.expect("gets"), renamed);
    let cased = lists.rename(made.id, "food").await.expect("renames");
    assert!(cased.updated_at > renamed.updated_at, "another case is another name");
    // The inbox may be renamed (it stays the inbox).
    let inbox = lists.all().await.expect("lists")[0].id;
    let inbox = lists.rename(inbox, "Mine").await.expect("renames the inbox");
    assert_eq!((inbox.name.as_str(), inbox.inbox), ("Mine", true));
}

async fn all_lists_the_inbox_first_then_by_name_case_insensitively(db: &TestDb) {
    let (_, lists) = lists_of(db, "ann@example.com").await;
    for name in ["banana", "Cherry", "apple", "Apple", "Äpfel", "aardvark", "BANANA"] {
        lists.create(name).await.expect("creates");
    }
    let names = |all: Vec<List>| all.into_iter().map(|list| list.name).collect::<Vec<_>>();
    assert_eq!(
        names(lists.all().await.expect("lists")),
        ["Inbox", "aardvark", "Apple", "apple", "BANANA", "banana", "Cherry", "Äpfel"]
    );
    // The inbox stays first whatever its name.
    let inbox = lists.all().await.expect("lists")[0].id;
    lists.rename(inbox, "zzz").await.expect("renames");
    assert_eq!(names(lists.all().await.expect("lists"))[0], "zzz");
    assert!(lists.all().await.expect("lists")[0].inbox);
}

async fn the_inbox_cannot_be_deleted_nor_handed_over(db: &TestDb) {
    let (login, lists) = lists_of(db, "ann@example.com").await;
    let (bob, _) = lists_of(db, "bob@example.com").await;
    let inbox = lists.all().await.expect("lists").remove(0);
    let task = db.todo.tasks(&login.owner).create(TaskInput::new("kept")).await.expect("creates");
    assert!(matches!(lists.delete(inbox.id).await, Err(Error::InboxIsPersonal)));
    let handed = lists.set_role(inbox.id, bob.user.id, Role::Owner).await;
    assert!(matches!(handed, Err(Error::InboxIsPersonal)), "{handed:?}");
    assert_eq!(lists.get(inbox.id).await.expect("still there"), inbox);
    assert_eq!(db.todo.tasks(&login.owner).get(task.id).await.expect("still there"), task);
    let members = lists.members(inbox.id).await.expect("members");
    assert_eq!(members.iter().map(|m| (m.user_id, m.role)).collect::<Vec<_>>(), [(login.user.id, Role::Owner)]);
    assert!(db.todo.lists(&bob.owner).all().await.expect("lists").iter().all(|list| list.id != inbox.id));
}

async fn deleting_a_list_deletes_its_tasks_and_nothing_else(db: &TestDb) {
    let (ann, lists) = lists_of(db, "ann@example.com").await;
    let (bob, bobs_lists) = lists_of(db, "bob@example.com").await;
    let tasks = db.todo.tasks(&ann.owner);
    let (doomed, kept) = (lists.create("Doomed").await.expect("creates"), lists.create("Kept").await.expect("ok"));
    let in_list = |list: ListId, title: &str| TaskInput { list_id: Some(list), ..TaskInput::new(title) };
    let gone = [
        tasks.create(in_list(doomed.id, "gone 1")).await.expect("creates"),
        tasks.create(in_list(doomed.id, "gone 2")).await.expect("creates"),
    ];
    let stay = [
        tasks.create(TaskInput::new("inbox")).await.expect("creates"),
        tasks.create(in_list(kept.id, "kept")).await.expect("creates"),
    ];
    let bobs_list = bobs_lists.create("Doomed").await.expect("creates");
    let bobs_task = db.todo.tasks(&bob.owner).create(in_list(bobs_list.id, "bob's")).await.expect("creates");

    lists.delete(doomed.id).await.expect("deletes");

    assert!(matches!(lists.get(doomed.id).await, Err(Error::NotFound)));
    assert!(matches!(lists.delete(doomed.id).await, Err(Error::NotFound)), "once");
    for task in &gone {
        assert!(matches!(tasks.get(task.id).await, Err(Error::NotFound)));
    }
    for task in &stay {
        assert_eq!(tasks.get(task.id).await.expect("kept"), *task);
    }
    let mut left = tasks.list(&ListQuery::default()).await.expect("lists").items;
    left.sort_by_key(|task| task.id);
    assert_eq!(left, stay);
    let names: Vec<_> = lists.all().await.expect("lists").into_iter().map(|list| list.name).collect();
    assert_eq!(names, ["Inbox", "Kept"]);
    assert_eq!(db.todo.tasks(&bob.owner).get(bobs_task.id).await.expect("bob's is kept"), bobs_task);
    assert_eq!(bobs_lists.all().await.expect("lists").len(), 2);
    assert_eq!(count(db, "memberships", "list_id", doomed.id.as_uuid()).await, 0);
}

async fn the_owner_can_neither_leave_nor_demote_themselves(db: &TestDb) {
    let (login, lists) = lists_of(db, "ann@example.com").await;
    let me = login.user.id;
    let inbox = lists.all().await.expect("lists")[0].id;
    let made = lists.create("Mine").await.expect("creates");
    for list in [made.id, inbox] {
        assert!(matches!(lists.remove_member(list, me).await, Err(Error::OwnerMustHandOver)));
        for role in [Role::Editor, Role::Viewer] {
            let demoted = lists.set_role(list, me, role).await;
            assert!(matches!(demoted, Err(Error::OwnerMustHandOver)), "{demoted:?}");
        }
        let same = lists.set_role(list, me, Role::Owner).await.expect("owner already: no change");
        assert_eq!((same.user_id, same.role), (me, Role::Owner));
        let members = lists.members(list).await.expect("members");
        assert_eq!(members.iter().map(|m| (m.user_id, m.role)).collect::<Vec<_>>(), [(me, Role::Owner)]);
    }
    assert_eq!(lists.get(made.id).await.expect("gets"), made);
}

async fn another_account_cannot_see_or_change_my_list(db: &TestDb) {
    let (ann, lists) = lists_of(db, "ann@example.com").await;
    let (bob, bobs) = lists_of(db, "bob@example.com").await;
    let inbox = lists.all().await.expect("lists")[0].clone();
    let made = lists.create("Private").await.expect("creates");
    for list in [&inbox, &made] {
        let errors = [
            bobs.get(list.id).await.map(drop).unwrap_err(),
            bobs.rename(list.id, "Mine now").await.map(drop).unwrap_err(),
            bobs.delete(list.id).await.unwrap_err(),
            bobs.members(list.id).await.map(drop).unwrap_err(),
            bobs.set_role(list.id, bob.user.id, Role::Owner).await.map(drop).unwrap_err(),
            bobs.set_role(list.id, ann.user.id, Role::Viewer).await.map(drop).unwrap_err(),
            bobs.remove_member(list.id, ann.user.id).await.unwrap_err(),
            bobs.remove_member(list.id, bob.user.id).await.unwrap_err(),
        ];
        for error in errors {
            assert!(matches!(error, Error::NotFound), "{error:?}");
        }
        assert_eq!(lists.get(list.id).await.expect("unchanged"), *list);
    }
    let members = lists.members(made.id).await.expect("members");
    assert_eq!(members.iter().map(|m| m.user_id).collect::<Vec<_>>(), [ann.user.id]);
    assert_eq!(bobs.all().await.expect("lists").len(), 1, "only Bob's inbox");
}

async fn an_unknown_list_is_not_found(db: &TestDb) {
    let (login, lists) = lists_of(db, "ann@example.com").await;
    let unknown: ListId = "0190b7a4-0000-7000-8000-000000000000".parse().expect("a uuid");
    assert!(matches!(lists.get(unknown).await, Err(Error::NotFound)));
    assert!(matches!(lists.rename(unknown, "x").await, Err(Error::NotFound)));
    assert!(matches!(lists.delete(unknown).await, Err(Error::NotFound)));
    assert!(matches!(lists.members(unknown).await, Err(Error::NotFound)));
    assert!(matches!(lists.remove_member(unknown, login.user.id).await, Err(Error::NotFound)));
}

async fn a_revoked_session_is_refused_by_every_list_operation(db: &TestDb) {
    let (login, lists) = lists_of(db, "ann@example.com").await;
    let made = lists.create("Mine").await.expect("creates");
    db.todo.accounts().logout_everywhere(&login.owner).await.expect("logs out");
    let me = login.user.id;
    let errors = [
        lists.all().await.map(drop).unwrap_err(),
        lists.get(made.id).await.map(drop).unwrap_err(),
        lists.create("Another").await.map(drop).unwrap_err(),
        lists.rename(made.id, "Renamed").await.map(drop).unwrap_err(),
        lists.delete(made.id).await.unwrap_err(),
        lists.members(made.id).await.map(drop).unwrap_err(),
        lists.set_role(made.id, me, Role::Editor).await.map(drop).unwrap_err(),
        lists.remove_member(made.id, me).await.unwrap_err(),
    ];
    for error in errors {
        assert!(matches!(error, Error::InvalidToken(TokenError::Revoked)), "{error:?}");
    }
    let fresh = db.todo.accounts().login("ann@example.com", PASSWORD).await.expect("logs in");
    let all = db.todo.lists(&fresh.owner).all().await.expect("lists");
    assert_eq!(all.iter().map(|list| list.name.as_str()).collect::<Vec<_>>(), ["Inbox", "Mine"], "nothing changed");
    assert_eq!(all[1], made);
}

async fn deleting_the_account_deletes_its_lists_and_their_tasks(db: &TestDb) {
    let (login, lists) = lists_of(db, "ann@example.com").await;
    let (bob, _) = lists_of(db, "bob@example.com").await;
    let made = lists.create("Mine").await.expect("creates");
    let tasks = db.todo.tasks(&login.owner);
    tasks.create(TaskInput::new("in the inbox")).await.expect("creates");
    tasks.create(TaskInput { list_id: Some(made.id), ..TaskInput::new("in mine") }).await.expect("creates");
    let bobs = db.todo.tasks(&bob.owner).create(TaskInput::new("bob's")).await.expect("creates");

    db.todo.accounts().delete_account(&login.owner, PASSWORD).await.expect("deletes");

    let me = login.user.id.as_uuid();
    assert_eq!(count(db, "lists", "owner_id", me).await, 0);
    assert_eq!(count(db, "memberships", "user_id", me).await, 0);
    assert_eq!(count(db, "tasks", "list_id", made.id.as_uuid()).await, 0);
    assert_eq!(count(db, "tasks", "created_by", me).await, 0);
    let error = lists.all().await.unwrap_err();
    assert!(matches!(error, Error::InvalidToken(TokenError::UnknownUser)), "{error:?}");
    assert_eq!(db.todo.tasks(&bob.owner).get(bobs.id).await.expect("bob's stays"), bobs);
    assert_eq!(count(db, "lists", "owner_id", bob.user.id.as_uuid()).await, 1);
}
