//! Signup, login and token authentication, on every backend.

mod support;

use std::sync::Arc;

use todo_core::{Error, ErrorKind, FieldError, ListQuery, TaskInput, Todo, TokenError};

use support::{TestDb, PASSWORD};

backend_tests!(
    signup_normalises_the_email_and_login_accepts_any_case,
    signup_with_a_taken_email_in_another_case_is_a_conflict,
    signup_reports_every_broken_rule_at_once,
    signup_enforces_password_length_at_the_boundaries,
    login_with_a_wrong_password_is_invalid_credentials,
    login_with_an_unknown_or_malformed_email_is_invalid_credentials,
    a_token_from_login_authenticates_its_user,
    a_token_signed_with_another_secret_is_rejected,
    a_token_whose_user_does_not_exist_is_rejected,
    concurrent_signups_with_one_email_let_exactly_one_win,
    users_are_found_by_id,
    changing_the_password_revokes_older_tokens_and_returns_a_fresh_one,
    changing_the_password_needs_the_current_one,
    the_new_password_obeys_the_signup_rules,
    logging_out_everywhere_revokes_every_token_so_far,
    deleting_the_account_needs_the_password_and_takes_the_tasks_along,
    an_owner_whose_tokens_were_revoked_cannot_manage_the_account,
);

async fn signup_normalises_the_email_and_login_accepts_any_case(db: &TestDb) {
    let user = db.todo.accounts().signup("  Ann.Lee@Example.COM\t", PASSWORD).await.expect("signs up");
    assert_eq!(user.email.as_str(), "ann.lee@example.com");
    let login = db.todo.accounts().login(" ANN.LEE@example.com ", PASSWORD).await.expect("logs in");
    assert_eq!(login.user, user);
    assert_eq!(login.owner.user_id(), user.id);
    assert_eq!(login.token.token_type, "bearer");
    assert_eq!(login.token.expires_in, 3600);
}

async fn signup_with_a_taken_email_in_another_case_is_a_conflict(db: &TestDb) {
    db.todo.accounts().signup("bob@example.com", PASSWORD).await.expect("first signup");
    let error = db.todo.accounts().signup(" BOB@Example.com", "another password").await.unwrap_err();
    assert!(matches!(error, Error::EmailTaken), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::Conflict);
}

async fn signup_reports_every_broken_rule_at_once(db: &TestDb) {
    let error = db.todo.accounts().signup("not-an-email", "short").await.unwrap_err();
    assert_eq!(
        error.field_errors(),
        [
            FieldError::new("email", "must be a valid email address"),
            FieldError::new("password", "must be at least 8 characters"),
        ]
    );
}

async fn signup_enforces_password_length_at_the_boundaries(db: &TestDb) {
    let accounts = db.todo.accounts();
    let rejected = |result: todo_core::Result<_>| matches!(result, Err(Error::Validation(_)));
    assert!(rejected(accounts.signup("seven@x.io", "1234567").await));
    assert!(accounts.signup("eight@x.io", "12345678").await.is_ok());
    // Multibyte: "€" is 3 bytes, so 24 of them are 72 bytes (accepted) and 24 plus one ASCII byte are 73.
    let at_limit = "€".repeat(24);
    assert!(accounts.signup("bytes72@x.io", &at_limit).await.is_ok());
    assert!(accounts.login("bytes72@x.io", &at_limit).await.is_ok());
    assert!(rejected(accounts.signup("bytes73@x.io", &format!("{at_limit}!")).await));
}

async fn login_with_a_wrong_password_is_invalid_credentials(db: &TestDb) {
    db.user("carol@example.com").await;
    let error = db.todo.accounts().login("carol@example.com", "wrong password").await.unwrap_err();
    assert!(matches!(error, Error::InvalidCredentials), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::Unauthorized);
}

async fn login_with_an_unknown_or_malformed_email_is_invalid_credentials(db: &TestDb) {
    for email in ["nobody@example.com", "not an email", ""] {
        let error = db.todo.accounts().login(email, PASSWORD).await.unwrap_err();
        assert!(matches!(error, Error::InvalidCredentials), "{email:?}: {error:?}");
        // Same message as a wrong password: nothing reveals whether the email is registered.
        assert_eq!(error.to_string(), Error::InvalidCredentials.to_string());
    }
}

async fn a_token_from_login_authenticates_its_user(db: &TestDb) {
    let login = db.user("dave@example.com").await;
    let session = db.todo.accounts().authenticate(&login.token.access_token).await.expect("authenticates");
    assert_eq!(session.user, login.user);
    assert_eq!(session.owner, login.owner);
    assert_eq!(session.claims.sub, login.user.id.to_string());
    assert_eq!(session.claims.email, "dave@example.com");
}

async fn a_token_signed_with_another_secret_is_rejected(db: &TestDb) {
    db.user("erin@example.com").await;
    let other_config = todo_core::Config::new("a different secret, also 32+ bytes long").expect("valid");
    let other = Todo::new(db.todo.store().clone(), &other_config);
    let forged = other.accounts().login("erin@example.com", PASSWORD).await.expect("logs in").token;
    let error = db.todo.accounts().authenticate(&forged.access_token).await.unwrap_err();
    assert!(matches!(error, Error::InvalidToken(TokenError::BadSignature)), "{error:?}");
}

async fn a_token_whose_user_does_not_exist_is_rejected(db: &TestDb) {
    // Mint a valid token against another, empty database with the same secret: its user is unknown here.
    let elsewhere = db.another().await;
    let token = elsewhere.user("frank@example.com").await.token;
    elsewhere.remove().await;
    let error = db.todo.accounts().authenticate(&token.access_token).await.unwrap_err();
    assert!(matches!(error, Error::InvalidToken(TokenError::UnknownUser)), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::Unauthorized);
}

async fn concurrent_signups_with_one_email_let_exactly_one_win(db: &TestDb) {
    let todo = Arc::new(db.todo.clone());
    let attempts = (0..20).map(|i| {
        let todo = Arc::clone(&todo);
        tokio::spawn(async move { todo.accounts().signup("race@example.com", &format!("password {i}")).await })
    });
    let results: Vec<_> = futures::future::join_all(attempts).await.into_iter().map(|r| r.expect("no panic")).collect();
    let wins = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results.iter().filter(|r| matches!(r, Err(Error::EmailTaken))).count();
    assert_eq!((wins, conflicts), (1, 19), "{results:?}");
}

async fn users_are_found_by_id(db: &TestDb) {
    let login = db.user("gina@example.com").await;
    assert_eq!(db.todo.accounts().find(login.user.id).await.expect("query runs"), Some(login.user));
}

fn is_revoked(result: todo_core::Result<todo_core::Authenticated>) -> bool {
    matches!(result, Err(Error::InvalidToken(TokenError::Revoked)))
}

async fn changing_the_password_revokes_older_tokens_and_returns_a_fresh_one(db: &TestDb) {
    let accounts = db.todo.accounts();
    let first = db.user("hal@example.com").await;
    let second = accounts.login("hal@example.com", PASSWORD).await.expect("logs in again");
    let fresh = accounts.change_password(&first.owner, PASSWORD, "a brand new password").await.expect("changes");

    assert!(is_revoked(accounts.authenticate(&first.token.access_token).await));
    assert!(is_revoked(accounts.authenticate(&second.token.access_token).await));
    assert!(accounts.authenticate(&fresh.token.access_token).await.is_ok());
    assert!(matches!(accounts.login("hal@example.com", PASSWORD).await, Err(Error::InvalidCredentials)));
    assert!(accounts.login("hal@example.com", "a brand new password").await.is_ok());
}

async fn changing_the_password_needs_the_current_one(db: &TestDb) {
    let accounts = db.todo.accounts();
    let login = db.user("ivy@example.com").await;
    let error = accounts.change_password(&login.owner, "not my password", "a brand new password").await.unwrap_err();
    assert!(matches!(error, Error::WrongPassword), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::Forbidden);
    assert!(accounts.authenticate(&login.token.access_token).await.is_ok(), "nothing was revoked");
    assert!(accounts.login("ivy@example.com", PASSWORD).await.is_ok(), "nothing was changed");
}

async fn the_new_password_obeys_the_signup_rules(db: &TestDb) {
    let login = db.user("jon@example.com").await;
    let error = db.todo.accounts().change_password(&login.owner, PASSWORD, "short").await.unwrap_err();
    assert_eq!(error.field_errors(), [FieldError::new("new_password", "must be at least 8 characters")]);
    let error = db.todo.accounts().change_password(&login.owner, PASSWORD, &"x".repeat(73)).await.unwrap_err();
    assert_eq!(error.field_errors(), [FieldError::new("new_password", "must be at most 72 bytes")]);
}

async fn logging_out_everywhere_revokes_every_token_so_far(db: &TestDb) {
    let accounts = db.todo.accounts();
    let first = db.user("kim@example.com").await;
    let second = accounts.login("kim@example.com", PASSWORD).await.expect("logs in again");
    accounts.logout_everywhere(&first.owner).await.expect("logs out");
    assert!(is_revoked(accounts.authenticate(&first.token.access_token).await));
    assert!(is_revoked(accounts.authenticate(&second.token.access_token).await));
    let after = accounts.login("kim@example.com", PASSWORD).await.expect("can log in again");
    assert!(accounts.authenticate(&after.token.access_token).await.is_ok());
}

async fn deleting_the_account_needs_the_password_and_takes_the_tasks_along(db: &TestDb) {
    let accounts = db.todo.accounts();
    let login = db.user("lea@example.com").await;
    db.todo.tasks(&login.owner).create(TaskInput::new("soon gone")).await.expect("creates");

    let error = accounts.delete_account(&login.owner, "not my password").await.unwrap_err();
    assert!(matches!(error, Error::WrongPassword), "{error:?}");
    accounts.delete_account(&login.owner, PASSWORD).await.expect("deletes");

    let error = accounts.authenticate(&login.token.access_token).await.unwrap_err();
    assert!(matches!(error, Error::InvalidToken(TokenError::UnknownUser)), "{error:?}");
    assert_eq!(accounts.find(login.user.id).await.expect("query runs"), None);
    // The same email can sign up again, and starts with no tasks.
    let again = db.user("lea@example.com").await;
    assert_eq!(db.todo.tasks(&again.owner).list(&ListQuery::default()).await.expect("lists").items, vec![]);
}

async fn an_owner_whose_tokens_were_revoked_cannot_manage_the_account(db: &TestDb) {
    let accounts = db.todo.accounts();
    let stale = db.user("max@example.com").await;
    accounts.logout_everywhere(&stale.owner).await.expect("logs out");
    let fresh = accounts.login("max@example.com", PASSWORD).await.expect("logs in again");

    let refused = [
        accounts.logout_everywhere(&stale.owner).await.unwrap_err(),
        accounts.change_password(&stale.owner, PASSWORD, "another passphrase").await.unwrap_err(),
        accounts.delete_account(&stale.owner, PASSWORD).await.unwrap_err(),
    ];
    for error in refused {
        assert!(matches!(error, Error::InvalidToken(TokenError::Revoked)), "{error:?}");
    }
    assert!(accounts.authenticate(&fresh.token.access_token).await.is_ok(), "the fresh session was not logged out");
    assert!(accounts.login("max@example.com", PASSWORD).await.is_ok(), "the password did not change");
}
