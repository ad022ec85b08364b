//! Email verification and password recovery, on every backend: the links in the mails (read from the in-memory
//! [`Outbox`]), their single use, expiry and voiding, the resend interval, resetting a password (which ends every
//! session), `REQUIRE_VERIFIED_EMAIL`, and what a mail holds and hides.

mod support;

use std::sync::Arc;
use std::time::Duration;

use todo_core::mail::{Mail, Outbox};
use todo_core::{Config, Email, Error, OutgoingMail, RefreshTokenError, Todo, TokenError, User, RESEND_INTERVAL};

use support::{config, TestDb, PASSWORD};

backend_tests!(
    a_verification_link_verifies_the_email_once,
    expired_links_are_refused_and_change_nothing,
    a_new_link_voids_the_older_one_of_its_kind,
    a_token_works_only_for_its_own_kind_of_link,
    resending_is_refused_within_the_interval_and_once_verified,
    a_reset_for_an_unknown_email_sends_nothing,
    resetting_the_password_ends_every_session_and_starts_one,
    a_too_short_new_password_does_not_spend_the_reset_link,
    a_password_change_voids_the_reset_links_mailed_before_it,
    logins_wait_for_a_verified_email_when_required,
    mails_carry_the_link_to_the_user_and_debug_shows_neither,
);

const APP_URL: &str = "https://app.example.com/todo";
const VERIFY: &str = "verify-email";
const RESET: &str = "reset-password";
const NEW_PASSWORD: &str = "new password 123";

/// The library over `db`'s database with `config`, its links pointing at [`APP_URL`], mailing into the outbox.
fn mailing(db: &TestDb, config: Config) -> (Todo, Outbox) {
    let outbox = Outbox::default();
    let config = config.with_app_url(APP_URL).expect("valid URL").with_mailer(Arc::new(outbox.clone()));
    (db.todo_with(config), outbox)
}

/// The link to the front end's `page` carrying `token`.
fn link(page: &str, token: &str) -> String {
    format!("{APP_URL}/{page}?token={token}")
}

/// The token of the link to `page` in `mail`'s text.
fn token_in(mail: &Mail, page: &str) -> String {
    let start = link(page, "");
    let at = mail.text.find(&start).unwrap_or_else(|| panic!("no {page} link in the mail")) + start.len();
    let token: String =
        mail.text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect();
    assert_eq!(token.len(), 43, "32 bytes in base64url");
    token
}

/// Sends `outgoing` and returns the token of its link to `page`, taken from the one mail the outbox got.
async fn sent_token(outgoing: OutgoingMail, outbox: &Outbox, page: &str) -> String {
    outgoing.send().await.expect("the outbox takes it");
    let mails = outbox.take();
    assert_eq!(mails.len(), 1, "one mail");
    token_in(&mails[0], page)
}

/// Signs `email` up and returns the user with the token of the verification mail sent to them.
async fn signed_up(todo: &Todo, outbox: &Outbox, email: &str) -> (User, String) {
    let user = todo.accounts().signup(email, PASSWORD).await.expect("signs up");
    let token = verification_token(todo, outbox, &user).await;
    (user, token)
}

async fn verification_token(todo: &Todo, outbox: &Outbox, user: &User) -> String {
    sent_token(todo.accounts().verification_mail(user).await.expect("composes"), outbox, VERIFY).await
}

async fn reset_token(todo: &Todo, outbox: &Outbox, user: &User) -> String {
    let outgoing = todo.accounts().password_reset_mail(&user.email).await.expect("composes").expect("a user");
    sent_token(outgoing, outbox, RESET).await
}

/// Panics unless `result` is a validation error on exactly `field`.
#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(result: todo_core::Result<T>, field: &str) {
    let error = result.expect_err("refused");
    let fields: Vec<&str> = error.field_errors().iter().map(|e| e.field).collect();
    assert_eq!(fields, [field], "{error:?}");
}

/// Whether `user` has a verified email, as stored now.
async fn is_verified(todo: &Todo, user: &User) -> bool {
    todo.accounts().find(user.id).await.expect("finds").expect("exists").email_verified_at.is_some()
}

async fn a_verification_link_verifies_the_email_once(db: &TestDb) {
    let (todo, outbox) = mailing(db, config());
    let (user, token) = signed_up(&todo, &outbox, "ann@example.com").await;
    assert_eq!(user.email_verified_at, None);

    let verified = todo.accounts().verify_email(&token).await.expect("verifies");
    assert_eq!(verified.id, user.id);
    assert!(verified.email_verified_at.is_some());
    assert!(is_verified(&todo, &user).await);

    assert_invalid(todo.accounts().verify_email(&token).await, "token");
    assert_invalid(todo.accounts().verify_email("").await, "token");
    // The first time is kept: a later verification does not move it.
    let again = verification_token(&todo, &outbox, &user).await;
    let reverified = todo.accounts().verify_email(&again).await.expect("verifies again");
    assert_eq!(reverified.email_verified_at, verified.email_verified_at);
}

async fn expired_links_are_refused_and_change_nothing(db: &TestDb) {
    let (todo, outbox) = mailing(db, config().with_mail_link_ttls(Duration::ZERO, Duration::ZERO));
    let (user, verification) = signed_up(&todo, &outbox, "bob@example.com").await;
    let reset = reset_token(&todo, &outbox, &user).await;

    assert_invalid(todo.accounts().verify_email(&verification).await, "token");
    assert!(!is_verified(&todo, &user).await);
    assert_invalid(todo.accounts().reset_password(&reset, NEW_PASSWORD, None).await, "token");
    todo.accounts().login("bob@example.com", PASSWORD).await.expect("the old password still works");
    let error = todo.accounts().login("bob@example.com", NEW_PASSWORD).await.unwrap_err();
    assert!(matches!(error, Error::InvalidCredentials), "{error:?}");
}

async fn a_new_link_voids_the_older_one_of_its_kind(db: &TestDb) {
    let (todo, outbox) = mailing(db, config());
    let (user, first) = signed_up(&todo, &outbox, "cid@example.com").await;
    let second = verification_token(&todo, &outbox, &user).await;
    assert_ne!(first, second);
    assert_invalid(todo.accounts().verify_email(&first).await, "token");
    assert!(!is_verified(&todo, &user).await);
    todo.accounts().verify_email(&second).await.expect("the newest link works");

    let first = reset_token(&todo, &outbox, &user).await;
    let second = reset_token(&todo, &outbox, &user).await;
    assert_invalid(todo.accounts().reset_password(&first, NEW_PASSWORD, None).await, "token");
    todo.accounts().login("cid@example.com", PASSWORD).await.expect("the password is unchanged");
    todo.accounts().reset_password(&second, NEW_PASSWORD, None).await.expect("the newest link works");
}

async fn a_token_works_only_for_its_own_kind_of_link(db: &TestDb) {
    let (todo, outbox) = mailing(db, config());
    let (user, verification) = signed_up(&todo, &outbox, "dee@example.com").await;
    let reset = reset_token(&todo, &outbox, &user).await;

    assert_invalid(todo.accounts().verify_email(&reset).await, "token");
    assert_invalid(todo.accounts().reset_password(&verification, NEW_PASSWORD, None).await, "token");
    assert!(!is_verified(&todo, &user).await);
    // Neither voided the other: a reset mail leaves the verification link working, and back.
    todo.accounts().verify_email(&verification).await.expect("verifies");
    todo.accounts().reset_password(&reset, NEW_PASSWORD, None).await.expect("resets");
}

async fn resending_is_refused_within_the_interval_and_once_verified(db: &TestDb) {
    assert_eq!(RESEND_INTERVAL, Duration::from_secs(60));
    let (todo, outbox) = mailing(db, config());
    let (_, token) = signed_up(&todo, &outbox, "eve@example.com").await;
    let login = todo.accounts().login("eve@example.com", PASSWORD).await.expect("logs in");

    match todo.accounts().resend_verification_mail(&login.owner).await {
        Err(Error::MailTooSoon { retry_after }) => {
            assert!(retry_after > Duration::ZERO && retry_after <= RESEND_INTERVAL, "{retry_after:?}");
        }
        other => panic!("expected MailTooSoon, got {other:?}"),
    }
    // The refusal voided nothing.
    todo.accounts().verify_email(&token).await.expect("the first link still works");

    let error = todo.accounts().resend_verification_mail(&login.owner).await.unwrap_err();
    assert!(matches!(error, Error::EmailAlreadyVerified), "{error:?}");
}

async fn a_reset_for_an_unknown_email_sends_nothing(db: &TestDb) {
    let (todo, outbox) = mailing(db, config());
    todo.accounts().signup("fay@example.com", PASSWORD).await.expect("signs up");
    let nobody = Email::parse("nobody@example.com").expect("valid");
    assert!(todo.accounts().password_reset_mail(&nobody).await.expect("answers").is_none());
    assert!(outbox.mails().is_empty());
}

async fn resetting_the_password_ends_every_session_and_starts_one(db: &TestDb) {
    let (todo, outbox) = mailing(db, config());
    let accounts = todo.accounts();
    let user = accounts.signup("gus@example.com", PASSWORD).await.expect("signs up");
    let old = [
        accounts.login("gus@example.com", PASSWORD).await.expect("logs in"),
        accounts.login("gus@example.com", PASSWORD).await.expect("logs in again"),
    ];
    let token = reset_token(&todo, &outbox, &user).await;

    let fresh = accounts.reset_password(&token, NEW_PASSWORD, Some("ua")).await.expect("resets");
    assert_eq!(fresh.user.id, user.id);
    assert!(fresh.user.email_verified_at.is_some(), "the link proved the address");
    assert!(is_verified(&todo, &user).await);
    for session in &old {
        let error = accounts.authenticate(&session.token.access_token).await.unwrap_err();
        assert!(matches!(error, Error::InvalidToken(TokenError::Revoked)), "old access token: {error:?}");
        let error = accounts.refresh(session.refresh_token.as_str()).await.unwrap_err();
        assert!(matches!(error, Error::InvalidRefreshToken(RefreshTokenError::Unknown)), "old refresh: {error:?}");
    }
    let authenticated = accounts.authenticate(&fresh.token.access_token).await.expect("the new token works");
    assert_eq!(authenticated.owner, fresh.owner);
    let sessions = accounts.sessions(&fresh.owner).await.expect("lists");
    assert_eq!(
        sessions.iter().map(|s| (s.id, s.user_agent.as_deref())).collect::<Vec<_>>(),
        [(fresh.owner.session_id(), Some("ua"))]
    );

    let error = accounts.login("gus@example.com", PASSWORD).await.unwrap_err();
    assert!(matches!(error, Error::InvalidCredentials), "{error:?}");
    accounts.login("gus@example.com", NEW_PASSWORD).await.expect("the new password works");
    assert_invalid(accounts.reset_password(&token, "yet another password", None).await, "token");
    accounts.login("gus@example.com", NEW_PASSWORD).await.expect("the second use changed nothing");
}

async fn a_too_short_new_password_does_not_spend_the_reset_link(db: &TestDb) {
    let (todo, outbox) = mailing(db, config());
    let user = todo.accounts().signup("hal@example.com", PASSWORD).await.expect("signs up");
    let token = reset_token(&todo, &outbox, &user).await;

    assert_invalid(todo.accounts().reset_password(&token, "short", None).await, "new_password");
    todo.accounts().login("hal@example.com", PASSWORD).await.expect("the password is unchanged");
    todo.accounts().reset_password(&token, NEW_PASSWORD, None).await.expect("the link still works");
    todo.accounts().login("hal@example.com", NEW_PASSWORD).await.expect("the new password works");
}

async fn a_password_change_voids_the_reset_links_mailed_before_it(db: &TestDb) {
    let (todo, outbox) = mailing(db, config());
    let user = todo.accounts().signup("ida@example.com", PASSWORD).await.expect("signs up");
    let verify = verification_token(&todo, &outbox, &user).await;
    let reset = reset_token(&todo, &outbox, &user).await;
    let login = todo.accounts().login("ida@example.com", PASSWORD).await.expect("logs in");

    todo.accounts().change_password(&login.owner, PASSWORD, NEW_PASSWORD).await.expect("changes");
    assert_invalid(todo.accounts().reset_password(&reset, "the attacker's password", None).await, "token");
    todo.accounts().login("ida@example.com", NEW_PASSWORD).await.expect("the changed password stands");
    // Only reset links: the verification link still verifies.
    todo.accounts().verify_email(&verify).await.expect("verifies");
}

async fn logins_wait_for_a_verified_email_when_required(db: &TestDb) {
    let (todo, outbox) = mailing(db, config().with_require_verified_email(true));
    let (_, token) = signed_up(&todo, &outbox, "ida@example.com").await;

    let error = todo.accounts().login("ida@example.com", PASSWORD).await.unwrap_err();
    assert!(matches!(error, Error::EmailNotVerified), "{error:?}");
    let error = todo.accounts().login("ida@example.com", "a wrong password").await.unwrap_err();
    assert!(matches!(error, Error::InvalidCredentials), "a wrong password tells nothing more: {error:?}");

    todo.accounts().verify_email(&token).await.expect("verifies");
    todo.accounts().login("ida@example.com", PASSWORD).await.expect("logs in once verified");
}

async fn mails_carry_the_link_to_the_user_and_debug_shows_neither(db: &TestDb) {
    let (todo, outbox) = mailing(db, config());
    let user = todo.accounts().signup("jon@example.com", PASSWORD).await.expect("signs up");
    let verification = todo.accounts().verification_mail(&user).await.expect("composes");
    let reset = todo.accounts().password_reset_mail(&user.email).await.expect("composes").expect("a user");
    let composed = [verification.mail().clone(), reset.mail().clone()];
    verification.send().await.expect("sends");
    reset.send().await.expect("sends");

    let mails = outbox.take();
    assert_eq!(mails, composed, "the outbox got the mails as composed");
    for (mail, page) in mails.iter().zip([VERIFY, RESET]) {
        let token = token_in(mail, page);
        let link = link(page, &token);
        assert!(!mail.subject.trim().is_empty());
        assert!(mail.text.contains(&link), "{page}: text");
        assert!(mail.html.contains(&link), "{page}: html");
        assert_eq!(mail.to, user.email);
        let debug = format!("{mail:?}");
        assert!(!debug.contains(&token), "{page}: debug shows the token");
        assert!(!debug.contains(user.email.as_str()), "{page}: debug shows the address");
    }
    assert_ne!(mails[0].subject, mails[1].subject);
}
