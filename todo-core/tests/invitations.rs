//! Invitations to lists, on every backend, as specifications: the mail and its link, who may accept it (the account
//! whose verified email is the invited one), single use (also under concurrency), expiry, withdrawal, who may invite,
//! the inviter's budget, and the sweep.

mod support;

use std::sync::Arc;

use todo_core::mail::Outbox;
use todo_core::{AbuseLimits, Error, Invitation, ListId, Owner, Role, Todo, TokenError, INVITATION_TTL};

use support::{config, RawPool, TestDb, PASSWORD};

backend_tests!(
    an_invitation_mails_the_address_a_working_link,
    the_invited_verified_account_joins_with_the_role,
    another_account_or_an_unverified_one_is_refused_and_the_link_still_works,
    a_link_works_once,
    an_expired_invitation_is_refused,
    a_withdrawn_invitation_is_refused_and_no_longer_listed,
    inviting_an_address_again_replaces_its_pending_invitation,
    ten_concurrent_invitations_of_one_address_leave_one_working_link,
    an_inbox_cannot_be_shared,
    only_the_owner_invites_lists_and_withdraws,
    the_owner_role_cannot_be_invited_and_bad_input_is_refused,
    a_member_already_keeps_their_role,
    ten_concurrent_accepts_make_one_membership,
    the_inviters_budget_holds_under_a_burst,
    the_sweep_deletes_expired_invitations,
    a_signed_out_accepter_gets_a_token_error_and_the_link_stays,
);

const APP_URL: &str = "https://app.example.com";

/// The library over `db`'s database with `config`, its links pointing at [`APP_URL`], mailing into the outbox.
fn mailing_with(db: &TestDb, config: todo_core::Config) -> (Todo, Outbox) {
    let outbox = Outbox::default();
    let config = config.with_app_url(APP_URL).expect("valid URL").with_mailer(Arc::new(outbox.clone()));
    (db.todo_with(config), outbox)
}

fn mailing(db: &TestDb) -> (Todo, Outbox) {
    mailing_with(db, config())
}

/// The token after `{APP_URL}/{page}?token=` in `text`.
fn token_in(text: &str, page: &str) -> String {
    let start = format!("{APP_URL}/{page}?token=");
    let at = text.find(&start).unwrap_or_else(|| panic!("no {page} link in {text}")) + start.len();
    text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect()
}

/// Signs `email` up without verifying it, and logs in.
async fn unverified(todo: &Todo, email: &str) -> Owner {
    todo.accounts().signup(email, PASSWORD).await.expect("signs up");
    todo.accounts().login(email, PASSWORD).await.expect("logs in").owner
}

/// Signs `email` up, follows the verification link, and logs in.
async fn verified(todo: &Todo, outbox: &Outbox, email: &str) -> Owner {
    let user = todo.accounts().signup(email, PASSWORD).await.expect("signs up");
    todo.accounts().verification_mail(&user).await.expect("composes").send().await.expect("sent");
    let mail = outbox.take().pop().expect("the verification mail");
    todo.accounts().verify_email(&token_in(&mail.text, "verify-email")).await.expect("verifies");
    todo.accounts().login(email, PASSWORD).await.expect("logs in").owner
}

/// `owner` invites `email` into `list` as `role`; the invitation and the token of the mail sent.
async fn invite(
    todo: &Todo,
    outbox: &Outbox,
    owner: &Owner,
    list: ListId,
    email: &str,
    role: Role,
) -> (Invitation, String) {
    let (invitation, mail) = todo.lists(owner).invite(list, email, role).await.expect("invites");
    mail.send().await.expect("sent");
    let mails = outbox.take();
    assert_eq!(mails.len(), 1, "one mail");
    assert_eq!(mails[0].to, invitation.email);
    (invitation, token_in(&mails[0].text, "invitations"))
}

/// Ann (verified) with a list named "Groceries".
async fn ann_with_a_list(todo: &Todo, outbox: &Outbox) -> (Owner, ListId) {
    let ann = verified(todo, outbox, "ann@example.com").await;
    let list = todo.lists(&ann).create("Groceries").await.expect("creates").id;
    (ann, list)
}

#[track_caller]
fn assert_invalid_token<T: std::fmt::Debug>(result: todo_core::Result<T>) {
    let error = result.expect_err("refused");
    let fields: Vec<&str> = error.field_errors().iter().map(|e| e.field).collect();
    assert_eq!(fields, ["token"], "{error:?}");
}

/// Runs `sql` on the test's database.
async fn execute(db: &TestDb, sql: &str) {
    match db.raw_pool().await {
        #[cfg(feature = "sqlite")]
        RawPool::Sqlite(pool) => sqlx::query(sql).execute(&pool).await.map(drop).expect("runs"),
        #[cfg(feature = "postgres")]
        RawPool::Postgres(pool) => sqlx::query(sql).execute(&pool).await.map(drop).expect("runs"),
    }
}

async fn an_invitation_mails_the_address_a_working_link(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let before = time::OffsetDateTime::now_utc();
    let (invitation, mail) = todo.lists(&ann).invite(list, "  Bob@Example.com ", Role::Editor).await.expect("invites");
    assert_eq!(
        (invitation.list_id, invitation.email.as_str(), invitation.role),
        (list, "bob@example.com", Role::Editor)
    );
    let ttl = time::Duration::try_from(INVITATION_TTL).expect("fits");
    assert!(invitation.expires_at > before + ttl - time::Duration::minutes(1));
    assert!(invitation.expires_at < before + ttl + time::Duration::minutes(1));

    let composed = mail.mail().clone();
    assert_eq!(composed.to.as_str(), "bob@example.com");
    assert!(composed.subject.contains("ann@example.com") && composed.subject.contains("Groceries"));
    assert!(composed.text.contains("as an editor") && composed.text.contains("7 days"));
    mail.send().await.expect("sent");
    assert_eq!(outbox.take(), std::slice::from_ref(&composed));
    let token = token_in(&composed.text, "invitations");
    assert_eq!(token.len(), 43, "32 bytes in base64url");
    assert!(composed.html.contains(&token));

    let bob = verified(&todo, &outbox, "bob@example.com").await;
    let joined = todo.lists(&bob).accept(&token).await.expect("the link works");
    assert_eq!(
        (joined.id, joined.name.as_str(), joined.role, joined.member_count),
        (list, "Groceries", Role::Editor, 2)
    );
    assert_eq!(todo.lists(&ann).invitations(list).await.expect("lists"), [], "accepted: no longer pending");
}

async fn the_invited_verified_account_joins_with_the_role(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let (_, token) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Viewer).await;
    let bob = verified(&todo, &outbox, "bob@example.com").await;
    let joined = todo.lists(&bob).accept(&token).await.expect("accepts");
    assert_eq!(joined.role, Role::Viewer);
    let members = todo.lists(&ann).members(list).await.expect("lists");
    let roles: Vec<_> = members.iter().map(|m| (m.email.as_str(), m.role)).collect();
    assert_eq!(roles, [("ann@example.com", Role::Owner), ("bob@example.com", Role::Viewer)]);
    assert!(todo.lists(&bob).all().await.expect("lists").iter().any(|l| l.id == list));
}

async fn another_account_or_an_unverified_one_is_refused_and_the_link_still_works(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let (_, token) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Editor).await;

    // The link forwarded to Eve (verified, another address), and Bob's address signed up but not verified.
    let eve = verified(&todo, &outbox, "eve@example.com").await;
    let error = todo.lists(&eve).accept(&token).await.unwrap_err();
    assert!(matches!(error, Error::InvitationForSomeoneElse), "{error:?}");
    assert!(matches!(todo.lists(&eve).get(list).await, Err(Error::NotFound)));
    let unverified_bob = unverified(&todo, "bob@example.com").await;
    let error = todo.lists(&unverified_bob).accept(&token).await.unwrap_err();
    assert!(matches!(error, Error::InvitationForSomeoneElse), "{error:?}");
    assert_eq!(todo.lists(&ann).members(list).await.expect("lists").len(), 1);
    assert_eq!(todo.lists(&ann).invitations(list).await.expect("lists").len(), 1, "still pending");

    // Once Bob verifies his address, the same link lets him in.
    let user = todo.accounts().find(unverified_bob.user_id()).await.expect("finds").expect("exists");
    todo.accounts().verification_mail(&user).await.expect("composes").send().await.expect("sent");
    let mail = outbox.take().pop().expect("mail");
    todo.accounts().verify_email(&token_in(&mail.text, "verify-email")).await.expect("verifies");
    assert_eq!(todo.lists(&unverified_bob).accept(&token).await.expect("accepts").role, Role::Editor);
}

async fn a_link_works_once(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let (_, token) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Editor).await;
    let bob = verified(&todo, &outbox, "bob@example.com").await;
    todo.lists(&bob).accept(&token).await.expect("accepts");
    assert_invalid_token(todo.lists(&bob).accept(&token).await);
    assert_invalid_token(todo.lists(&bob).accept("").await);
    assert_invalid_token(todo.lists(&bob).accept("not-a-token").await);
}

async fn an_expired_invitation_is_refused(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let (_, token) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Editor).await;
    let bob = verified(&todo, &outbox, "bob@example.com").await;
    execute(db, "UPDATE invitations SET expires_at_ms = 1").await;
    assert_invalid_token(todo.lists(&bob).accept(&token).await);
    assert_eq!(todo.lists(&ann).invitations(list).await.expect("lists"), [], "only pending ones are listed");
    assert!(matches!(todo.lists(&bob).get(list).await, Err(Error::NotFound)));
}

async fn a_withdrawn_invitation_is_refused_and_no_longer_listed(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let (invitation, token) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Editor).await;
    let (kept, _) = invite(&todo, &outbox, &ann, list, "cid@example.com", Role::Viewer).await;
    assert_eq!(todo.lists(&ann).invitations(list).await.expect("lists"), [invitation.clone(), kept.clone()]);

    todo.lists(&ann).withdraw(invitation.id).await.expect("withdraws");
    assert_eq!(todo.lists(&ann).invitations(list).await.expect("lists"), [kept]);
    let bob = verified(&todo, &outbox, "bob@example.com").await;
    assert_invalid_token(todo.lists(&bob).accept(&token).await);
    assert!(matches!(todo.lists(&ann).withdraw(invitation.id).await, Err(Error::NotFound)), "gone");
}

async fn inviting_an_address_again_replaces_its_pending_invitation(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let (_, first) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Viewer).await;
    let (kept, _) = invite(&todo, &outbox, &ann, list, "cid@example.com", Role::Viewer).await;
    let (again, second) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Editor).await;
    assert_eq!(todo.lists(&ann).invitations(list).await.expect("lists"), [kept, again]);
    let bob = verified(&todo, &outbox, "bob@example.com").await;
    assert_invalid_token(todo.lists(&bob).accept(&first).await);
    assert_eq!(todo.lists(&bob).accept(&second).await.expect("accepts").role, Role::Editor, "the latest role");
}

async fn ten_concurrent_invitations_of_one_address_leave_one_working_link(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let invites = (0..10).map(|n| {
        let lists = todo.lists(&ann);
        let role = if n % 2 == 0 { Role::Viewer } else { Role::Editor };
        tokio::spawn(async move {
            let (invitation, mail) = lists.invite(list, "bob@example.com", role).await?;
            mail.send().await.expect("sent");
            Ok::<_, Error>(invitation)
        })
    });
    let outcomes: Vec<_> = futures::future::join_all(invites).await.into_iter().map(|o| o.expect("runs")).collect();
    let sent: Vec<Invitation> = outcomes.into_iter().map(|outcome| outcome.expect("invites")).collect();
    let pending = todo.lists(&ann).invitations(list).await.expect("lists");
    assert_eq!(pending.len(), 1, "one pending invitation of the address: {pending:?}");
    assert!(sent.contains(&pending[0]), "the pending one is one of those sent");

    let tokens: Vec<String> = outbox.take().iter().map(|mail| token_in(&mail.text, "invitations")).collect();
    assert_eq!(tokens.len(), 10, "every invitation was mailed");
    let bob = verified(&todo, &outbox, "bob@example.com").await;
    let mut joined = Vec::new();
    for token in &tokens {
        match todo.lists(&bob).accept(token).await {
            Ok(list) => joined.push(list.role),
            refused => assert_invalid_token(refused),
        }
    }
    assert_eq!(joined, [pending[0].role], "only the pending invitation's link works, with its role");
}

async fn an_inbox_cannot_be_shared(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let ann = verified(&todo, &outbox, "ann@example.com").await;
    let inbox = todo.lists(&ann).all().await.expect("lists")[0].id;
    let error = todo.lists(&ann).invite(inbox, "bob@example.com", Role::Viewer).await.unwrap_err();
    assert!(matches!(error, Error::InboxIsPersonal), "{error:?}");
    assert!(outbox.take().is_empty());
}

async fn only_the_owner_invites_lists_and_withdraws(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let (pending, _) = invite(&todo, &outbox, &ann, list, "dan@example.com", Role::Viewer).await;
    let mut members = Vec::new();
    for (email, role) in [("bob@example.com", Role::Editor), ("cid@example.com", Role::Viewer)] {
        let (_, token) = invite(&todo, &outbox, &ann, list, email, role).await;
        let member = verified(&todo, &outbox, email).await;
        todo.lists(&member).accept(&token).await.expect("accepts");
        members.push(member);
    }
    let stranger = verified(&todo, &outbox, "eve@example.com").await;

    for member in &members {
        let lists = todo.lists(member);
        let owner_needed = |result: Result<(), Error>| {
            assert!(matches!(result, Err(Error::RoleRequired { needed: Role::Owner })), "{result:?}");
        };
        owner_needed(lists.invite(list, "fay@example.com", Role::Viewer).await.map(drop));
        owner_needed(lists.invitations(list).await.map(drop));
        owner_needed(lists.withdraw(pending.id).await);
    }
    let lists = todo.lists(&stranger);
    assert!(matches!(lists.invite(list, "fay@example.com", Role::Viewer).await, Err(Error::NotFound)));
    assert!(matches!(lists.invitations(list).await, Err(Error::NotFound)));
    assert!(matches!(lists.withdraw(pending.id).await, Err(Error::NotFound)));
    assert!(outbox.take().is_empty(), "no refused invitation mailed anything");
    assert_eq!(todo.lists(&ann).invitations(list).await.expect("lists"), [pending], "still there");
}

async fn the_owner_role_cannot_be_invited_and_bad_input_is_refused(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let error = todo.lists(&ann).invite(list, "bob@example.com", Role::Owner).await.unwrap_err();
    assert_eq!(error.field_errors().iter().map(|e| e.field).collect::<Vec<_>>(), ["role"], "{error:?}");
    let error = todo.lists(&ann).invite(list, "not an address", Role::Owner).await.unwrap_err();
    assert_eq!(error.field_errors().iter().map(|e| e.field).collect::<Vec<_>>(), ["email", "role"], "{error:?}");
    assert!(matches!(
        todo.lists(&ann)
            .invite("00000000-0000-7000-8000-000000000001".parse().expect("a UUID"), "b@example.com", Role::Viewer)
            .await,
        Err(Error::NotFound)
    ));
    assert_eq!(todo.lists(&ann).invitations(list).await.expect("lists"), []);
}

async fn a_member_already_keeps_their_role(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let (_, first) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Editor).await;
    let bob = verified(&todo, &outbox, "bob@example.com").await;
    todo.lists(&bob).accept(&first).await.expect("accepts");
    let (_, second) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Viewer).await;
    assert_eq!(todo.lists(&bob).accept(&second).await.expect("accepts").role, Role::Editor);
    assert_eq!(todo.lists(&ann).members(list).await.expect("lists").len(), 2);
}

async fn ten_concurrent_accepts_make_one_membership(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let (_, token) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Editor).await;
    let bob = verified(&todo, &outbox, "bob@example.com").await;
    let accepts = (0..10).map(|_| {
        let (lists, token) = (todo.lists(&bob), token.clone());
        tokio::spawn(async move { lists.accept(&token).await })
    });
    let outcomes: Vec<_> = futures::future::join_all(accepts).await.into_iter().map(|o| o.expect("runs")).collect();
    let succeeded = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(succeeded, 1, "{outcomes:?}");
    for refused in outcomes.into_iter().filter(Result::is_err) {
        assert_invalid_token(refused);
    }
    let members = todo.lists(&ann).members(list).await.expect("lists");
    assert_eq!(members.iter().filter(|m| m.user_id == bob.user_id()).count(), 1);
    assert_eq!(members.len(), 2);
}

async fn the_inviters_budget_holds_under_a_burst(db: &TestDb) {
    let limits = AbuseLimits { invitations_per_inviter: 5, ..AbuseLimits::default() };
    let (todo, outbox) = mailing_with(db, config().with_abuse_limits(limits).expect("valid"));
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let invites = (0..20).map(|n| {
        let lists = todo.lists(&ann);
        tokio::spawn(async move { lists.invite(list, &format!("guest{n}@example.com"), Role::Viewer).await })
    });
    let outcomes: Vec<_> = futures::future::join_all(invites).await.into_iter().map(|o| o.expect("runs")).collect();
    assert_eq!(outcomes.iter().filter(|outcome| outcome.is_ok()).count(), 5);
    assert!(outcomes.iter().filter_map(|o| o.as_ref().err()).all(|e| matches!(e, Error::RateLimited { .. })));
    assert_eq!(todo.lists(&ann).invitations(list).await.expect("lists").len(), 5);

    // Another inviter has a budget of their own; a refused invitation (an inbox) takes no slot of it.
    let bob = verified(&todo, &outbox, "bob@example.com").await;
    let inbox = todo.lists(&bob).all().await.expect("lists")[0].id;
    let groceries = todo.lists(&bob).create("Groceries").await.expect("creates").id;
    for _ in 0..5 {
        assert!(matches!(
            todo.lists(&bob).invite(inbox, "x@example.com", Role::Viewer).await,
            Err(Error::InboxIsPersonal)
        ));
    }
    for n in 0..5 {
        let (_, _mail) = todo
            .lists(&bob)
            .invite(groceries, &format!("x{n}@example.com"), Role::Viewer)
            .await
            .expect("within budget");
    }
}

async fn the_sweep_deletes_expired_invitations(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let (expired, _) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Editor).await;
    let (live, _) = invite(&todo, &outbox, &ann, list, "cid@example.com", Role::Editor).await;
    execute(db, &format!("UPDATE invitations SET expires_at_ms = 1 WHERE email = '{}'", expired.email)).await;
    let swept = todo.accounts().sweep_expired().await.expect("sweeps");
    assert_eq!(swept.invitations, 1);
    assert_eq!(todo.lists(&ann).invitations(list).await.expect("lists"), [live]);
    assert!(matches!(todo.lists(&ann).withdraw(expired.id).await, Err(Error::NotFound)), "gone");
}

async fn a_signed_out_accepter_gets_a_token_error_and_the_link_stays(db: &TestDb) {
    let (todo, outbox) = mailing(db);
    let (ann, list) = ann_with_a_list(&todo, &outbox).await;
    let (_, token) = invite(&todo, &outbox, &ann, list, "bob@example.com", Role::Editor).await;
    let bob = verified(&todo, &outbox, "bob@example.com").await;
    todo.accounts().logout(&bob, todo_core::LogoutScope::Local).await.expect("logs out");
    let error = todo.lists(&bob).accept(&token).await.unwrap_err();
    assert!(matches!(error, Error::InvalidToken(TokenError::Revoked)), "{error:?}");
    let bob = todo.accounts().login("bob@example.com", PASSWORD).await.expect("logs in").owner;
    todo.lists(&bob).accept(&token).await.expect("the link still works");
}
