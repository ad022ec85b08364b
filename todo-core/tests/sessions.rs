//! Sessions and refresh tokens, on every backend: rotation, reuse detection, expiry, listing, revocation, logout
//! scopes, concurrency, and users who signed up before sessions existed.

mod support;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use todo_core::{Error, ListQuery, Login, LogoutScope, RefreshTokenError, TaskInput, Todo, TokenError};
use uuid::Uuid;

use support::{config, RawPool, TestDb, PASSWORD};

backend_tests!(
    refreshing_rotates_the_refresh_token_within_the_same_session,
    a_refresh_token_reused_after_the_interval_revokes_its_session_and_access_tokens,
    a_replay_within_the_interval_gets_the_same_successor_and_starts_no_second_chain,
    ten_concurrent_replays_of_a_spent_token_get_one_and_the_same_successor,
    whichever_holder_uses_the_successor_second_is_caught,
    a_session_ends_at_its_maximum_age_however_often_it_is_refreshed,
    a_refresh_token_expires_after_its_lifetime_and_its_session_with_it,
    refreshing_gives_the_session_a_new_lifetime,
    unknown_refresh_tokens_are_refused,
    logout_global_ends_every_session_of_the_user,
    logout_local_ends_only_the_callers_session,
    logout_others_ends_every_session_but_the_callers,
    revoking_one_session_leaves_the_others_working,
    only_the_owners_own_sessions_can_be_revoked,
    sessions_are_listed_newest_first_with_the_callers_marked,
    changing_the_password_ends_every_session_and_starts_one,
    twenty_concurrent_refreshes_of_one_token_stay_in_its_session,
    twenty_concurrent_refreshes_without_grace_let_one_win_and_then_end_the_session,
    a_refresh_racing_a_revocation_never_leaves_a_live_session,
    a_user_created_before_sessions_can_log_in_and_keeps_their_tasks,
);

/// A library with `reuse_interval` as the grace for spent refresh tokens.
fn with_reuse_interval(db: &TestDb, reuse_interval: Duration) -> Todo {
    db.todo_with(config().with_refresh_reuse_interval(reuse_interval))
}

async fn login(todo: &Todo, email: &str) -> Login {
    todo.accounts().login(email, PASSWORD).await.expect("logs in")
}

/// Whether `login`'s access token is still accepted, by the account routes and by a task statement.
async fn access_works(todo: &Todo, login: &Login) -> bool {
    let authenticated = todo.accounts().authenticate(&login.token.access_token).await;
    let tasks = todo.tasks(&login.owner).list(&ListQuery::default()).await;
    assert_eq!(authenticated.is_ok(), tasks.is_ok(), "authenticate and the task statement agree");
    if let Err(error) = &tasks {
        assert!(matches!(error, Error::InvalidToken(TokenError::Revoked)), "{error:?}");
    }
    tasks.is_ok()
}

fn refused(result: todo_core::Result<Login>) -> RefreshTokenError {
    match result {
        Err(Error::InvalidRefreshToken(reason)) => reason,
        other => panic!("expected a refused refresh token, got {other:?}"),
    }
}

async fn refreshing_rotates_the_refresh_token_within_the_same_session(db: &TestDb) {
    let first = db.user("ann@example.com").await;
    let second = db.todo.accounts().refresh(first.refresh_token.as_str()).await.expect("refreshes");
    assert_eq!(second.owner, first.owner, "same user, same session");
    assert_eq!(second.user, first.user);
    assert_ne!(second.refresh_token, first.refresh_token, "a new refresh token");
    assert!(access_works(&db.todo, &second).await);
    let claims = db.todo.accounts().token_keys().verify(&second.token.access_token).expect("verifies");
    assert_eq!(claims.sid, first.owner.session_id().to_string());
    // The successor works once too.
    let third = db.todo.accounts().refresh(second.refresh_token.as_str()).await.expect("refreshes again");
    assert_eq!(third.owner, first.owner);
}

async fn a_refresh_token_reused_after_the_interval_revokes_its_session_and_access_tokens(db: &TestDb) {
    let todo = with_reuse_interval(db, Duration::from_millis(200));
    db.user("bob@example.com").await;
    let victim = login(&todo, "bob@example.com").await;
    let bystander = login(&todo, "bob@example.com").await;
    let rotated = todo.accounts().refresh(victim.refresh_token.as_str()).await.expect("refreshes");
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert_eq!(refused(todo.accounts().refresh(victim.refresh_token.as_str()).await), RefreshTokenError::Reused);
    // The whole session is gone: the rotated refresh token, and every access token of the session.
    assert_eq!(refused(todo.accounts().refresh(rotated.refresh_token.as_str()).await), RefreshTokenError::Unknown);
    assert!(!access_works(&todo, &victim).await);
    assert!(!access_works(&todo, &rotated).await);
    // Another session of the same user is untouched.
    assert!(access_works(&todo, &bystander).await);
}

async fn a_replay_within_the_interval_gets_the_same_successor_and_starts_no_second_chain(db: &TestDb) {
    let first = db.user("cid@example.com").await; // the default interval: 10 seconds
    let tab_one = db.todo.accounts().refresh(first.refresh_token.as_str()).await.expect("refreshes");
    let tab_two = db.todo.accounts().refresh(first.refresh_token.as_str()).await.expect("within the interval");
    assert_eq!(tab_two.owner, first.owner, "the same session");
    assert_eq!(tab_two.refresh_token, tab_one.refresh_token, "one successor, whoever presents the spent token");
    for tab in [&tab_one, &tab_two] {
        assert!(access_works(&db.todo, tab).await);
    }
    // The chain goes on from the one successor.
    let next = db.todo.accounts().refresh(tab_one.refresh_token.as_str()).await.expect("the successor works");
    assert_ne!(next.refresh_token, tab_one.refresh_token);
    assert_eq!(db.todo.accounts().sessions(&first.owner).await.expect("lists").len(), 1);
}

async fn ten_concurrent_replays_of_a_spent_token_get_one_and_the_same_successor(db: &TestDb) {
    let first = db.user("cyd@example.com").await;
    let spent = first.refresh_token.as_str();
    let successor = db.todo.accounts().refresh(spent).await.expect("refreshes").refresh_token;
    let todo = Arc::new(db.todo.clone());
    let replays = (0..10).map(|_| {
        let (todo, spent) = (Arc::clone(&todo), spent.to_owned());
        tokio::spawn(async move { todo.accounts().refresh(&spent).await })
    });
    for replay in futures::future::join_all(replays).await {
        let login = replay.expect("no panic").expect("a replay within the interval answers");
        assert_eq!((login.owner, login.refresh_token), (first.owner, successor.clone()));
    }
}

async fn whichever_holder_uses_the_successor_second_is_caught(db: &TestDb) {
    let todo = with_reuse_interval(db, Duration::from_millis(500));
    let first = db.user("cyn@example.com").await;
    let holder = todo.accounts().refresh(first.refresh_token.as_str()).await.expect("refreshes");
    let thief = todo.accounts().refresh(first.refresh_token.as_str()).await.expect("a replay in the interval");
    assert_eq!(thief.refresh_token, holder.refresh_token);
    let holder = todo.accounts().refresh(holder.refresh_token.as_str()).await.expect("the holder refreshes on");
    tokio::time::sleep(Duration::from_millis(600)).await;
    let caught = refused(todo.accounts().refresh(thief.refresh_token.as_str()).await);
    assert_eq!(caught, RefreshTokenError::Reused);
    assert!(!access_works(&todo, &holder).await, "the session is revoked, for both");
    assert!(todo.accounts().refresh(holder.refresh_token.as_str()).await.is_err());
}

async fn a_session_ends_at_its_maximum_age_however_often_it_is_refreshed(db: &TestDb) {
    let max_age = Duration::from_secs(2);
    let todo = db.todo_with(config().with_session_max_age(max_age));
    db.todo.accounts().signup("cyra@example.com", PASSWORD).await.expect("signs up");
    let mut login = login(&todo, "cyra@example.com").await;
    let started = std::time::Instant::now();
    let listed = todo.accounts().sessions(&login.owner).await.expect("lists");
    assert!(listed[0].expires_at <= listed[0].created_at + max_age, "{listed:?}");
    while started.elapsed() < Duration::from_millis(1500) {
        login = todo.accounts().refresh(login.refresh_token.as_str()).await.expect("within the maximum age");
        let listed = todo.accounts().sessions(&login.owner).await.expect("lists");
        assert!(listed[0].expires_at <= listed[0].created_at + max_age, "never extended past it: {listed:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(max_age.saturating_sub(started.elapsed()) + Duration::from_millis(100)).await;
    assert_eq!(refused(todo.accounts().refresh(login.refresh_token.as_str()).await), RefreshTokenError::Expired);
    assert!(!access_works(&todo, &login).await, "its access tokens end with it");
}

async fn a_refresh_token_expires_after_its_lifetime_and_its_session_with_it(db: &TestDb) {
    let todo = db.todo_with(config().with_refresh_ttl(Duration::from_millis(400)));
    todo.accounts().signup("dee@example.com", PASSWORD).await.expect("signs up");
    let expiring = login(&todo, "dee@example.com").await;
    assert!(access_works(&todo, &expiring).await);
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert_eq!(refused(todo.accounts().refresh(expiring.refresh_token.as_str()).await), RefreshTokenError::Expired);
    assert!(!access_works(&todo, &expiring).await, "an expired session's access token is refused too");
    let fresh = login(&todo, "dee@example.com").await;
    let listed = todo.accounts().sessions(&fresh.owner).await.expect("lists");
    assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), [fresh.owner.session_id()], "expired ones are gone");
}

async fn refreshing_gives_the_session_a_new_lifetime(db: &TestDb) {
    let todo = db.todo_with(config().with_refresh_ttl(Duration::from_millis(600)));
    db.user("eve@example.com").await;
    let first = login(&todo, "eve@example.com").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let second = todo.accounts().refresh(first.refresh_token.as_str()).await.expect("refreshes in time");
    tokio::time::sleep(Duration::from_millis(400)).await; // 800 ms after login, 400 ms after the refresh
    assert!(access_works(&todo, &second).await, "the session lives on");
    todo.accounts().refresh(second.refresh_token.as_str()).await.expect("the new token has its own lifetime");
}

async fn unknown_refresh_tokens_are_refused(db: &TestDb) {
    db.user("fay@example.com").await;
    for garbage in ["", "not a token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "\u{0}"] {
        assert_eq!(refused(db.todo.accounts().refresh(garbage).await), RefreshTokenError::Unknown, "{garbage:?}");
    }
}

/// Three sessions of one user.
async fn three_sessions(db: &TestDb, email: &str) -> [Login; 3] {
    let first = db.user(email).await;
    [first, login(&db.todo, email).await, login(&db.todo, email).await]
}

async fn logout_global_ends_every_session_of_the_user(db: &TestDb) {
    let [me, other, third] = three_sessions(db, "gus@example.com").await;
    let stranger = db.user("hal@example.com").await;
    db.todo.accounts().logout(&me.owner, LogoutScope::Global).await.expect("logs out");
    for session in [&me, &other, &third] {
        assert!(!access_works(&db.todo, session).await);
        assert_eq!(
            refused(db.todo.accounts().refresh(session.refresh_token.as_str()).await),
            RefreshTokenError::Unknown
        );
    }
    assert!(access_works(&db.todo, &stranger).await, "other users are untouched");
    let error = db.todo.accounts().logout(&me.owner, LogoutScope::Global).await.unwrap_err();
    assert!(matches!(error, Error::InvalidToken(TokenError::Revoked)), "{error:?}");
}

async fn logout_local_ends_only_the_callers_session(db: &TestDb) {
    let [me, other, third] = three_sessions(db, "ida@example.com").await;
    db.todo.accounts().logout(&me.owner, LogoutScope::Local).await.expect("logs out");
    assert!(!access_works(&db.todo, &me).await);
    assert!(db.todo.accounts().refresh(me.refresh_token.as_str()).await.is_err());
    for session in [&other, &third] {
        assert!(access_works(&db.todo, session).await);
    }
    let error = db.todo.accounts().logout(&me.owner, LogoutScope::Local).await.unwrap_err();
    assert!(matches!(error, Error::InvalidToken(TokenError::Revoked)), "{error:?}");
}

async fn logout_others_ends_every_session_but_the_callers(db: &TestDb) {
    let [me, other, third] = three_sessions(db, "jon@example.com").await;
    db.todo.accounts().logout(&me.owner, LogoutScope::Others).await.expect("logs out the others");
    assert!(access_works(&db.todo, &me).await);
    db.todo.accounts().refresh(me.refresh_token.as_str()).await.expect("the caller's refresh token still works");
    for session in [&other, &third] {
        assert!(!access_works(&db.todo, session).await);
    }
    // Alone now: logging out the others again is fine, and a revoked caller cannot do it.
    db.todo.accounts().logout(&me.owner, LogoutScope::Others).await.expect("nothing to end");
    let error = db.todo.accounts().logout(&other.owner, LogoutScope::Others).await.unwrap_err();
    assert!(matches!(error, Error::InvalidToken(TokenError::Revoked)), "{error:?}");
}

async fn revoking_one_session_leaves_the_others_working(db: &TestDb) {
    let [me, doomed, kept] = three_sessions(db, "kim@example.com").await;
    db.todo.accounts().revoke_session(&me.owner, doomed.owner.session_id()).await.expect("revokes");
    assert!(!access_works(&db.todo, &doomed).await);
    assert!(db.todo.accounts().refresh(doomed.refresh_token.as_str()).await.is_err());
    assert!(access_works(&db.todo, &me).await);
    assert!(access_works(&db.todo, &kept).await);
    db.todo.accounts().refresh(kept.refresh_token.as_str()).await.expect("the others refresh");
    let error = db.todo.accounts().revoke_session(&me.owner, doomed.owner.session_id()).await.unwrap_err();
    assert!(matches!(error, Error::NotFound), "already gone: {error:?}");
}

async fn only_the_owners_own_sessions_can_be_revoked(db: &TestDb) {
    let mine = db.user("lea@example.com").await;
    let theirs = db.user("max@example.com").await;
    let error = db.todo.accounts().revoke_session(&mine.owner, theirs.owner.session_id()).await.unwrap_err();
    assert!(matches!(error, Error::NotFound), "{error:?}");
    let error = db.todo.accounts().revoke_session(&mine.owner, Uuid::now_v7().into()).await.unwrap_err();
    assert!(matches!(error, Error::NotFound), "{error:?}");
    assert!(access_works(&db.todo, &theirs).await);
    // A revoked owner is refused as such, not told "not found".
    db.todo.accounts().logout(&mine.owner, LogoutScope::Local).await.expect("logs out");
    let error = db.todo.accounts().revoke_session(&mine.owner, theirs.owner.session_id()).await.unwrap_err();
    assert!(matches!(error, Error::InvalidToken(TokenError::Revoked)), "{error:?}");
    // Revoking one's own current session is a local logout.
    let again = login(&db.todo, "lea@example.com").await;
    db.todo.accounts().revoke_session(&again.owner, again.owner.session_id()).await.expect("revokes itself");
    assert!(!access_works(&db.todo, &again).await);
}

async fn sessions_are_listed_newest_first_with_the_callers_marked(db: &TestDb) {
    let accounts = db.todo.accounts();
    accounts.signup("ned@example.com", PASSWORD).await.expect("signs up");
    let phone = accounts.login_with_user_agent("ned@example.com", PASSWORD, Some("Phone/1.0")).await.expect("logs in");
    let long = format!("Laptop {}\u{0}", "x".repeat(400));
    let laptop = accounts.login_with_user_agent("ned@example.com", PASSWORD, Some(&long)).await.expect("logs in");
    let bare = accounts.login("ned@example.com", PASSWORD).await.expect("logs in");
    db.user("someone@example.com").await;

    let listed = accounts.sessions(&laptop.owner).await.expect("lists");
    let ids: Vec<_> = listed.iter().map(|s| s.id).collect();
    assert_eq!(ids, [bare.owner.session_id(), laptop.owner.session_id(), phone.owner.session_id()]);
    assert_eq!(listed.iter().map(|s| s.current).collect::<Vec<_>>(), [false, true, false]);
    assert_eq!(listed[2].user_agent.as_deref(), Some("Phone/1.0"));
    let kept = listed[1].user_agent.as_deref().expect("kept");
    assert_eq!(kept.chars().count(), 256);
    assert!(kept.starts_with("Laptop xxx") && !kept.contains('\u{0}'));
    assert_eq!(listed[0].user_agent, None);
    for session in &listed {
        assert!(session.created_at <= session.last_used_at && session.last_used_at < session.expires_at);
        let lifetime = session.expires_at - session.last_used_at;
        assert!((lifetime.whole_seconds() - 2_592_000).abs() <= 1, "30 days by default: {lifetime}");
    }
    // A refresh moves `last_used_at` on.
    let refreshed = accounts.refresh(phone.refresh_token.as_str()).await.expect("refreshes");
    let listed = accounts.sessions(&refreshed.owner).await.expect("lists");
    let phone_now = listed.iter().find(|s| s.current).expect("the phone's session");
    assert!(phone_now.last_used_at > phone_now.created_at);
}

async fn changing_the_password_ends_every_session_and_starts_one(db: &TestDb) {
    let accounts = db.todo.accounts();
    accounts.signup("oda@example.com", PASSWORD).await.expect("signs up");
    let me = accounts.login_with_user_agent("oda@example.com", PASSWORD, Some("Browser")).await.expect("logs in");
    let other = login(&db.todo, "oda@example.com").await;
    let fresh = accounts.change_password(&me.owner, PASSWORD, "a brand new password").await.expect("changes");

    assert_ne!(fresh.owner.session_id(), me.owner.session_id(), "a new session");
    for old in [&me, &other] {
        assert!(!access_works(&db.todo, old).await);
        assert!(accounts.refresh(old.refresh_token.as_str()).await.is_err());
    }
    assert!(access_works(&db.todo, &fresh).await);
    let listed = accounts.sessions(&fresh.owner).await.expect("lists");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].user_agent.as_deref(), Some("Browser"), "the same device");
    accounts.refresh(fresh.refresh_token.as_str()).await.expect("the new session refreshes");
}

/// Runs 20 refreshes of `token` at once and returns their results.
async fn twenty_refreshes(todo: &Todo, token: &str) -> Vec<todo_core::Result<Login>> {
    let todo = Arc::new(todo.clone());
    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let attempts = (0..20).map(|_| {
        let (todo, barrier, token) = (Arc::clone(&todo), Arc::clone(&barrier), token.to_owned());
        tokio::spawn(async move {
            barrier.wait().await;
            todo.accounts().refresh(&token).await
        })
    });
    futures::future::join_all(attempts).await.into_iter().map(|joined| joined.expect("no panic")).collect()
}

async fn twenty_concurrent_refreshes_of_one_token_stay_in_its_session(db: &TestDb) {
    let first = db.user("pia@example.com").await;
    let results = twenty_refreshes(&db.todo, first.refresh_token.as_str()).await;
    db.assert_no_transaction_left_open().await; // the losers' transactions ended early
    let logins: Vec<Login> = results.into_iter().map(|result| result.expect("within the interval")).collect();
    assert!(logins.iter().all(|login| login.owner == first.owner), "all in the one session");
    let mut tokens: Vec<&str> = logins.iter().map(|login| login.refresh_token.as_str()).collect();
    tokens.sort_unstable();
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "one successor: the replays start no second chain");
    assert_eq!(db.todo.accounts().sessions(&first.owner).await.expect("lists").len(), 1);
    db.todo.accounts().refresh(tokens[0]).await.expect("the successor works");
}

async fn twenty_concurrent_refreshes_without_grace_let_one_win_and_then_end_the_session(db: &TestDb) {
    let todo = with_reuse_interval(db, Duration::ZERO);
    let first = db.user("quinn@example.com").await;
    let results = twenty_refreshes(&todo, first.refresh_token.as_str()).await;
    db.assert_no_transaction_left_open().await; // the losers' transactions ended early
    let winners: Vec<&Login> = results.iter().filter_map(|result| result.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "the database lets exactly one spend it: {results:?}");
    for result in &results {
        if let Err(error) = result {
            assert!(
                matches!(error, Error::InvalidRefreshToken(RefreshTokenError::Reused | RefreshTokenError::Unknown)),
                "{error:?}"
            );
        }
    }
    // The other 19 were reuse without grace: the session is revoked, the winner's tokens with it.
    assert!(!access_works(&todo, winners[0]).await);
    assert!(todo.accounts().refresh(winners[0].refresh_token.as_str()).await.is_err());
}

async fn a_refresh_racing_a_revocation_never_leaves_a_live_session(db: &TestDb) {
    let keeper = db.user("rae@example.com").await;
    for round in 0..10 {
        let doomed = login(&db.todo, "rae@example.com").await;
        let (refreshed, revoked) = tokio::join!(
            db.todo.accounts().refresh(doomed.refresh_token.as_str()),
            db.todo.accounts().revoke_session(&keeper.owner, doomed.owner.session_id()),
        );
        revoked.expect("the keeper may revoke it");
        db.assert_no_transaction_left_open().await; // a refresh that lost ends its transaction early
        assert!(!access_works(&db.todo, &doomed).await, "round {round}");
        if let Ok(refreshed) = refreshed {
            assert!(!access_works(&db.todo, &refreshed).await, "round {round}: the refreshed session is dead");
            assert!(db.todo.accounts().refresh(refreshed.refresh_token.as_str()).await.is_err(), "round {round}");
        }
    }
    let listed = db.todo.accounts().sessions(&keeper.owner).await.expect("lists");
    assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), [keeper.owner.session_id()]);
}

async fn a_user_created_before_sessions_can_log_in_and_keeps_their_tasks(db: &TestDb) {
    // A database as the previous release left it (migrations 0001 and 0002), with a user and a task in it.
    let old = db.another_unmigrated().await;
    let (user, task) = (Uuid::now_v7(), Uuid::now_v7());
    let hash = bcrypt::hash(PASSWORD, 4).expect("hashes");
    let created_at = time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("valid");
    macro_rules! previous_release {
        ($pool:expr, $migrations:literal) => {{
            let pool = $pool;
            let mut migrator = sqlx::migrate!($migrations);
            migrator.migrations = Cow::Owned(migrator.migrations[..2].to_vec());
            migrator.run(&pool).await.expect("the previous release's migrations run");
            sqlx::query(
                "INSERT INTO users (id, email, password_hash, created_at, token_generation) \
                 VALUES ($1, 'old@example.com', $2, $3, 7)",
            )
            .bind(user)
            .bind(&hash)
            .bind(created_at)
            .execute(&pool)
            .await
            .expect("inserts the user");
            sqlx::query(
                "INSERT INTO tasks (id, user_id, title, description, completed, created_at, updated_at) \
                 VALUES ($1, $2, 'from before', 'kept', TRUE, $3, $3)",
            )
            .bind(task)
            .bind(user)
            .bind(created_at)
            .execute(&pool)
            .await
            .expect("inserts the task");
            pool.close().await;
        }};
    }
    match old.raw_pool().await {
        #[cfg(feature = "sqlite")]
        RawPool::Sqlite(pool) => previous_release!(pool, "./migrations/sqlite"),
        #[cfg(feature = "postgres")]
        RawPool::Postgres(pool) => previous_release!(pool, "./migrations/postgres"),
    }

    old.todo.store().migrate().await.expect("the new migrations run on the old data");
    let login = old.todo.accounts().login("old@example.com", PASSWORD).await.expect("the old user logs in");
    assert_eq!((login.user.id.as_uuid(), login.user.created_at), (user, created_at));
    let page = old.todo.tasks(&login.owner).list(&ListQuery::default()).await.expect("lists");
    assert_eq!(page.items.len(), 1);
    let kept = &page.items[0];
    assert_eq!(
        (kept.id.as_uuid(), kept.title.as_str(), kept.description.as_deref(), kept.completed),
        (task, "from before", Some("kept"), true)
    );
    old.todo.tasks(&login.owner).create(TaskInput::new("after")).await.expect("creates");
    assert_eq!(old.todo.accounts().sessions(&login.owner).await.expect("lists").len(), 1);
    old.remove().await;
}
