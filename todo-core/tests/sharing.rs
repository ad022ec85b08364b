//! Sharing, on every backend, as a specification of API.md's role table: what the owner, an editor, a viewer and
//! someone who is not a member get from every list and task operation (members are made with invitations), and
//! what leaving, removing, handing over and moving a task do.

mod support;

use std::sync::Arc;

use todo_core::mail::Outbox;
use todo_core::{Error, ListId, ListQuery, Owner, Role, TaskId, TaskInput, TaskPatch, Todo};

use support::{config, TestDb, PASSWORD};

backend_tests!(
    tasks_obey_the_role_table,
    lists_obey_the_role_table,
    a_removed_member_is_refused_at_once,
    members_leave_and_the_owner_cannot,
    handing_over_leaves_exactly_one_owner,
    removing_a_member_clears_their_assignments_there,
    moving_a_task_needs_editor_on_both_lists_and_clears_a_foreign_assignee,
    deleting_the_owners_account_hands_shared_lists_to_a_member,
);

const APP_URL: &str = "https://app.example.com";

struct Team {
    todo: Todo,
    owner: Owner,
    editor: Owner,
    viewer: Owner,
    stranger: Owner,
    list: ListId,
}

fn token_in(text: &str, page: &str) -> String {
    let start = format!("{APP_URL}/{page}?token=");
    let at = text.find(&start).expect("a link") + start.len();
    text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect()
}

async fn verified(todo: &Todo, outbox: &Outbox, email: &str) -> Owner {
    let user = todo.accounts().signup(email, PASSWORD).await.expect("signs up");
    todo.accounts().verification_mail(&user).await.expect("composes").send().await.expect("sent");
    let mail = outbox.take().pop().expect("mail");
    todo.accounts().verify_email(&token_in(&mail.text, "verify-email")).await.expect("verifies");
    todo.accounts().login(email, PASSWORD).await.expect("logs in").owner
}

/// Ann owns "Shared"; Bob joined it as editor and Cid as viewer through invitations; Eve is not a member.
async fn team(db: &TestDb) -> Team {
    let outbox = Outbox::default();
    let config = config().with_app_url(APP_URL).expect("valid").with_mailer(Arc::new(outbox.clone()));
    let todo = db.todo_with(config);
    let owner = verified(&todo, &outbox, "ann@example.com").await;
    let list = todo.lists(&owner).create("Shared").await.expect("creates").id;
    let mut joined = Vec::new();
    for (email, role) in [("bob@example.com", Role::Editor), ("cid@example.com", Role::Viewer)] {
        let (_, mail) = todo.lists(&owner).invite(list, email, role).await.expect("invites");
        let token = token_in(&mail.mail().text, "invitations");
        let member = verified(&todo, &outbox, email).await;
        assert_eq!(todo.lists(&member).accept(&token).await.expect("accepts").role, role);
        joined.push(member);
    }
    let stranger = verified(&todo, &outbox, "eve@example.com").await;
    let [editor, viewer] = joined.try_into().expect("two");
    Team { todo, owner, editor, viewer, stranger, list }
}

/// What an operation answered, reduced to what the role table says.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Ok,
    NotFound,
    Needs(Role),
    Other(String),
}

fn answer<T>(result: todo_core::Result<T>) -> Answer {
    match result {
        Ok(_) => Answer::Ok,
        Err(Error::NotFound) => Answer::NotFound,
        Err(Error::RoleRequired { needed }) => Answer::Needs(needed),
        Err(error) => Answer::Other(format!("{error:?}")),
    }
}

async fn a_task(team: &Team) -> TaskId {
    let input = TaskInput { list_id: Some(team.list), ..TaskInput::new("Shared task") };
    team.todo.tasks(&team.owner).create(input).await.expect("creates").id
}

async fn tasks_obey_the_role_table(db: &TestDb) {
    let team = team(db).await;
    use Answer::{Needs, NotFound, Ok};
    for (who, reads, writes) in [
        (&team.owner, Ok, Ok),
        (&team.editor, Ok, Ok),
        (&team.viewer, Ok, Needs(Role::Editor)),
        (&team.stranger, NotFound, NotFound),
    ] {
        let task = a_task(&team).await;
        let tasks = team.todo.tasks(who);
        assert_eq!(answer(tasks.get(task).await), reads, "get");
        let in_list = tasks.list(&ListQuery { list_id: Some(team.list), ..ListQuery::default() }).await;
        assert_eq!(answer(in_list), reads, "list with list_id");
        let everywhere = tasks.list(&ListQuery::default()).await.expect("lists what the caller sees");
        assert_eq!(everywhere.items.iter().any(|t| t.id == task), reads == Ok, "list without list_id");
        let create = TaskInput { list_id: Some(team.list), ..TaskInput::new("New") };
        assert_eq!(answer(tasks.create(create).await), writes, "create");
        let replace = TaskInput { list_id: Some(team.list), ..TaskInput::new("Replaced") };
        assert_eq!(answer(tasks.replace(task, replace).await), writes, "replace");
        let patch = TaskPatch { title: Some("Patched".into()), ..TaskPatch::default() };
        assert_eq!(answer(tasks.update(task, patch).await), writes, "update");
        assert_eq!(answer(tasks.toggle(task).await), writes, "toggle");
        assert_eq!(answer(tasks.delete(task).await), writes, "delete");
    }
}

async fn lists_obey_the_role_table(db: &TestDb) {
    let team = team(db).await;
    use Answer::{Needs, NotFound, Ok};
    let bob = team.editor.user_id();
    for (who, reads, manages) in [
        (&team.editor, Ok, Needs(Role::Owner)),
        (&team.viewer, Ok, Needs(Role::Owner)),
        (&team.stranger, NotFound, NotFound),
    ] {
        let lists = team.todo.lists(who);
        assert_eq!(answer(lists.get(team.list).await), reads, "get");
        assert_eq!(answer(lists.members(team.list).await), reads, "members");
        assert_eq!(answer(lists.rename(team.list, "Mine").await), manages, "rename");
        assert_eq!(answer(lists.delete(team.list).await), manages, "delete");
        let other = if who == &team.editor { team.viewer.user_id() } else { bob };
        assert_eq!(answer(lists.set_role(team.list, other, Role::Viewer).await), manages, "set_role");
        assert_eq!(answer(lists.remove_member(team.list, other).await), manages, "remove_member");
        assert_eq!(answer(lists.invite(team.list, "x@example.com", Role::Viewer).await), manages, "invite");
        assert_eq!(answer(lists.invitations(team.list).await), manages, "invitations");
    }
    let lists = team.todo.lists(&team.owner);
    assert_eq!(answer(lists.rename(team.list, "Renamed").await), Ok);
    assert_eq!(answer(lists.set_role(team.list, bob, Role::Viewer).await), Ok);
    assert_eq!(answer(lists.invitations(team.list).await), Ok);
    assert_eq!(lists.members(team.list).await.expect("lists").len(), 3, "nothing refused above changed anything");
    let task = a_task(&team).await;
    assert_eq!(answer(lists.delete(team.list).await), Ok);
    assert_eq!(answer(team.todo.tasks(&team.owner).get(task).await), NotFound, "its tasks went with it");
}

async fn a_removed_member_is_refused_at_once(db: &TestDb) {
    let team = team(db).await;
    let task = a_task(&team).await;
    team.todo.lists(&team.owner).remove_member(team.list, team.editor.user_id()).await.expect("removes");
    let (lists, tasks) = (team.todo.lists(&team.editor), team.todo.tasks(&team.editor));
    assert_eq!(answer(lists.get(team.list).await), Answer::NotFound);
    assert_eq!(answer(lists.members(team.list).await), Answer::NotFound);
    assert_eq!(answer(tasks.get(task).await), Answer::NotFound);
    assert_eq!(answer(tasks.toggle(task).await), Answer::NotFound);
    let create = TaskInput { list_id: Some(team.list), ..TaskInput::new("Sneaky") };
    assert_eq!(answer(tasks.create(create).await), Answer::NotFound);
    assert_eq!(
        answer(tasks.list(&ListQuery { list_id: Some(team.list), ..ListQuery::default() }).await),
        Answer::NotFound
    );
}

async fn members_leave_and_the_owner_cannot(db: &TestDb) {
    let team = team(db).await;
    for member in [&team.editor, &team.viewer] {
        team.todo.lists(member).remove_member(team.list, member.user_id()).await.expect("leaves");
        assert_eq!(answer(team.todo.lists(member).get(team.list).await), Answer::NotFound);
    }
    let error = team.todo.lists(&team.owner).remove_member(team.list, team.owner.user_id()).await.unwrap_err();
    assert!(matches!(error, Error::OwnerMustHandOver), "{error:?}");
    assert_eq!(team.todo.lists(&team.owner).members(team.list).await.expect("lists").len(), 1);
}

async fn handing_over_leaves_exactly_one_owner(db: &TestDb) {
    let team = team(db).await;
    let member = team.todo.lists(&team.owner).set_role(team.list, team.viewer.user_id(), Role::Owner).await;
    assert_eq!(member.expect("hands over").role, Role::Owner);
    let members = team.todo.lists(&team.viewer).members(team.list).await.expect("lists");
    let owners: Vec<_> = members.iter().filter(|m| m.role == Role::Owner).map(|m| m.user_id).collect();
    assert_eq!(owners, [team.viewer.user_id()]);
    assert_eq!(team.todo.lists(&team.owner).get(team.list).await.expect("still a member").role, Role::Editor);
    assert_eq!(answer(team.todo.lists(&team.owner).rename(team.list, "Mine").await), Answer::Needs(Role::Owner));
    team.todo.lists(&team.owner).remove_member(team.list, team.owner.user_id()).await.expect("the old owner may leave");
}

async fn removing_a_member_clears_their_assignments_there(db: &TestDb) {
    let team = team(db).await;
    let tasks = team.todo.tasks(&team.owner);
    let input =
        TaskInput { list_id: Some(team.list), assignee_id: Some(team.editor.user_id()), ..TaskInput::new("Bob's") };
    let task = tasks.create(input).await.expect("creates");
    assert_eq!(task.assignee_id, Some(team.editor.user_id()));
    team.todo.lists(&team.owner).remove_member(team.list, team.editor.user_id()).await.expect("removes");
    assert_eq!(tasks.get(task.id).await.expect("gets").assignee_id, None);
}

async fn moving_a_task_needs_editor_on_both_lists_and_clears_a_foreign_assignee(db: &TestDb) {
    let team = team(db).await;
    let tasks = team.todo.tasks(&team.owner);
    let input =
        TaskInput { list_id: Some(team.list), assignee_id: Some(team.editor.user_id()), ..TaskInput::new("Move me") };
    let task = tasks.create(input).await.expect("creates").id;
    let to = |list| TaskPatch { list_id: Some(list), ..TaskPatch::default() };

    // Into the editor's own inbox (editor there and here): the move works, and Bob, a member there, stays assigned.
    let bob_inbox = team.todo.lists(&team.editor).all().await.expect("lists")[0].id;
    let moved = team.todo.tasks(&team.editor).update(task, to(bob_inbox)).await.expect("moves");
    assert_eq!((moved.list_id, moved.assignee_id), (bob_inbox, Some(team.editor.user_id())));
    // Back into the shared list: fine too.
    team.todo.tasks(&team.editor).update(task, to(team.list)).await.expect("moves back");

    // Into Ann's inbox, where Bob is no member: the assignee is cleared.
    let ann_inbox = team.todo.lists(&team.owner).all().await.expect("lists")[0].id;
    let moved = tasks.update(task, to(ann_inbox)).await.expect("moves");
    assert_eq!((moved.list_id, moved.assignee_id), (ann_inbox, None));
    tasks.update(task, to(team.list)).await.expect("moves back");

    // A viewer cannot move out, nor an editor into a list where they are not one.
    let cid_inbox = team.todo.lists(&team.viewer).all().await.expect("lists")[0].id;
    assert_eq!(answer(team.todo.tasks(&team.viewer).update(task, to(cid_inbox)).await), Answer::Needs(Role::Editor));
    assert_eq!(answer(team.todo.tasks(&team.editor).update(task, to(ann_inbox)).await), Answer::NotFound);
    assert_eq!(tasks.get(task).await.expect("gets").list_id, team.list, "not moved");
}

async fn deleting_the_owners_account_hands_shared_lists_to_a_member(db: &TestDb) {
    let team = team(db).await;
    let todo = &team.todo;
    let ann_id = team.owner.user_id();
    // Ann's task in the shared list, Bob's task in it, and a list of Ann's alone.
    let in_shared = |title: &str| TaskInput { list_id: Some(team.list), ..TaskInput::new(title) };
    let anns = todo.tasks(&team.owner).create(in_shared("Ann's")).await.expect("creates");
    let bobs = todo.tasks(&team.editor).create(in_shared("Bob's")).await.expect("creates");
    let for_ann = TaskInput { assignee_id: Some(ann_id), ..in_shared("For Ann") };
    let for_ann = todo.tasks(&team.editor).create(for_ann).await.expect("creates");
    let alone = todo.lists(&team.owner).create("Alone").await.expect("creates").id;
    todo.tasks(&team.owner)
        .create(TaskInput { list_id: Some(alone), ..TaskInput::new("Mine") })
        .await
        .expect("creates");

    todo.accounts().delete_account(&team.owner, PASSWORD).await.expect("deletes");

    // The editor (the highest role left) owns the list now, with every task in it; the viewer stays a viewer.
    let shared = todo.lists(&team.editor).get(team.list).await.expect("still there");
    assert_eq!((shared.role, shared.member_count), (Role::Owner, 2));
    let members = todo.lists(&team.editor).members(team.list).await.expect("members");
    let roles: Vec<Role> = members.iter().map(|member| member.role).collect();
    assert_eq!(roles, [Role::Owner, Role::Viewer]);
    assert!(members.iter().all(|member| member.user_id != ann_id));
    let kept = todo.tasks(&team.editor).get(anns.id).await.expect("Ann's task stays");
    assert_eq!(kept.created_by, None, "its author is gone");
    assert_eq!(todo.tasks(&team.viewer).get(bobs.id).await.expect("stays").created_by, Some(team.editor.user_id()));
    let unassigned = todo.tasks(&team.editor).get(for_ann.id).await.expect("stays");
    assert_eq!(unassigned.assignee_id, None, "its assignee is gone");
    // Both changed, so their versions moved on: a write that read them before is refused, and only that.
    assert_eq!((kept.version, unassigned.version), (anns.version + 1, for_ann.version + 1));
    assert_eq!(todo.tasks(&team.viewer).get(bobs.id).await.expect("stays").version, bobs.version, "untouched");
    let stale = todo.tasks(&team.editor).if_version(for_ann.version);
    let patch = TaskPatch { completed: Some(true), ..TaskPatch::default() };
    assert!(matches!(stale.update(for_ann.id, patch).await, Err(Error::VersionMismatch)));
    // The new owner may do what owners do; the list Ann had alone went with her account.
    todo.lists(&team.editor).rename(team.list, "Ours").await.expect("renames");
    assert!(matches!(todo.lists(&team.editor).get(alone).await, Err(Error::NotFound)));
}
