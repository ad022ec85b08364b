//! Second factors and sign-in links, on every backend: TOTP enrolment and the second step of a sign-in, codes that
//! work once, recovery codes, the `mfa_token`'s five attempts, the sessions that end at enrolment, removing
//! factors, `aal`/`amr` in sessions and tokens, and sign-in links.
//!
//! The TOTP codes are computed by the tests' own RFC 6238 (`todo_testing::totp`: HMAC-SHA-1 from `ring`, base32 by
//! hand, pinned by RFC 6238's Appendix B vectors), not by the `totp-rs` the library uses.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use todo_core::mail::Outbox;
use todo_core::{
    AbuseLimits, Client, Config, Email, Error, Login, SecondStep, SecondStepMethod, Todo, TokenError, TotpEnrolment,
};

use support::{config, TestDb, PASSWORD};
use todo_testing::totp::{base32_decode, code_at, now_seconds, wrong_code};

backend_tests!(
    enrolling_needs_the_password_and_a_code_from_the_app,
    sign_in_then_needs_the_second_step_and_a_code_works_once,
    one_code_sent_twice_at_once_signs_in_once,
    one_recovery_code_in_a_burst_works_once,
    one_mfa_token_in_a_burst_of_right_codes_signs_in_once,
    one_sign_in_link_in_a_burst_signs_in_once,
    a_recovery_code_works_once,
    five_wrong_codes_void_the_mfa_token,
    a_burst_of_wrong_codes_gets_five_checks,
    wrong_codes_count_against_the_password_budget,
    the_first_factor_ends_every_other_session,
    removing_the_last_factor_turns_the_second_step_off,
    changing_factors_needs_a_two_factor_session,
    new_recovery_codes_void_the_old_ones,
    sessions_and_tokens_say_how_they_were_won,
    a_sign_in_link_works_once_and_expires,
    sign_in_links_share_the_budgets_of_reset_mails,
    a_sign_in_link_is_a_first_factor_for_an_account_with_a_second,
    a_password_reset_is_a_first_factor_for_an_account_with_a_second,
    expired_second_steps_and_enrolments_are_swept,
);

// --- Helpers ------------------------------------------------------------------------------------------------------

fn client() -> Client {
    Client::default().with_address(Some("198.51.100.7".parse().expect("an address")))
}

/// Signs `email` up and in, and enrols and confirms a TOTP factor; returns the enrolling login (now two factors),
/// the enrolment (with its secret) and the recovery codes.
async fn enrolled(todo: &Todo, email: &str) -> (Login, TotpEnrolment, Vec<String>) {
    todo.accounts().signup(email, PASSWORD).await.expect("signs up");
    let login = todo.accounts().login(email, PASSWORD).await.expect("logs in");
    let enrolment = todo.accounts().enroll_totp(&login.owner, Some(PASSWORD), None, &client()).await.expect("enrols");
    let code = code_at(enrolment.secret(), now_seconds());
    let confirmed = todo.accounts().confirm_totp(&login.owner, enrolment.factor_id, &code).await.expect("confirms");
    let codes = confirmed.recovery_codes.expect("the first factor hands out recovery codes");
    (login, enrolment, codes)
}

/// The second step a password sign-in of `email` answers with.
async fn second_step(todo: &Todo, email: &str) -> SecondStep {
    second_step_from(todo, email, &client()).await
}

/// The second step a password sign-in of `email` from `client` answers with.
async fn second_step_from(todo: &Todo, email: &str, client: &Client) -> SecondStep {
    match todo.accounts().login_from(email, PASSWORD, client).await {
        Err(Error::SecondStepRequired(step)) => step,
        other => panic!("expected the second step, got {other:?}"),
    }
}

/// A code of the next 30-second step (one step ahead is accepted): one the enrolment's code did not spend.
fn next_code(enrolment: &TotpEnrolment) -> String {
    code_at(enrolment.secret(), now_seconds() + 30)
}

// --- The tests ----------------------------------------------------------------------------------------------------

async fn enrolling_needs_the_password_and_a_code_from_the_app(db: &TestDb) {
    let accounts = db.todo.accounts();
    accounts.signup("ann@example.com", PASSWORD).await.expect("signs up");
    let login = accounts.login("ann@example.com", PASSWORD).await.expect("logs in");

    let missing = accounts.enroll_totp(&login.owner, None, None, &client()).await.unwrap_err();
    assert_eq!(missing.field_errors()[0].field, "password", "{missing:?}");
    let wrong = accounts.enroll_totp(&login.owner, Some("not the password"), None, &client()).await.unwrap_err();
    assert!(matches!(wrong, Error::WrongPassword), "{wrong:?}");

    let enrolment = accounts.enroll_totp(&login.owner, Some(PASSWORD), Some("Phone"), &client()).await.expect("enrols");
    assert_eq!(base32_decode(enrolment.secret()).len(), 20, "160 bits");
    assert!(enrolment.otpauth_uri().starts_with("otpauth://totp/"), "{}", enrolment.otpauth_uri());
    assert!(enrolment.otpauth_uri().contains(&format!("secret={}", enrolment.secret())));
    assert!(!format!("{enrolment:?}").contains(enrolment.secret()), "Debug hides the secret");
    assert!(accounts.factors(&login.owner).await.expect("lists").is_empty(), "pending factors are not listed");
    // Not in force yet: a password still signs in.
    accounts.login("ann@example.com", PASSWORD).await.expect("one factor still");

    let wrong = wrong_code(&code_at(enrolment.secret(), now_seconds()));
    let refused = accounts.confirm_totp(&login.owner, enrolment.factor_id, wrong).await.unwrap_err();
    assert_eq!(refused.field_errors()[0].field, "code", "{refused:?}");

    let code = code_at(enrolment.secret(), now_seconds());
    let confirmed = accounts.confirm_totp(&login.owner, enrolment.factor_id, &code).await.expect("confirms");
    let codes = confirmed.recovery_codes.expect("recovery codes");
    assert_eq!(codes.len(), 10);
    assert_eq!(confirmed.factor.name, "Phone");
    let factors = accounts.factors(&login.owner).await.expect("lists");
    assert_eq!(factors.len(), 1);
    assert_eq!((factors[0].id, factors[0].kind.as_str()), (enrolment.factor_id, "totp"));

    // Confirmed once: confirming again finds no pending factor.
    let again = accounts.confirm_totp(&login.owner, enrolment.factor_id, &next_code(&enrolment)).await.unwrap_err();
    assert!(matches!(again, Error::NotFound), "{again:?}");
}

async fn sign_in_then_needs_the_second_step_and_a_code_works_once(db: &TestDb) {
    let (_, enrolment, _) = enrolled(&db.todo, "ann@example.com").await;
    let accounts = db.todo.accounts();

    let step = second_step(&db.todo, "ann@example.com").await;
    assert_eq!(step.methods(), [SecondStepMethod::Totp, SecondStepMethod::RecoveryCode]);
    assert!(!format!("{step:?}").contains(step.mfa_token()));

    // The code that confirmed the factor was spent then; so is every code of an earlier step.
    let spent = code_at(enrolment.secret(), now_seconds());
    let previous = code_at(enrolment.secret(), now_seconds() - 30);
    for code in [&spent, &previous] {
        let refused = accounts.verify_second_step(step.mfa_token(), code, &client()).await.unwrap_err();
        assert!(matches!(refused, Error::WrongCode), "{refused:?}");
    }

    let code = next_code(&enrolment);
    let login = accounts.verify_second_step(step.mfa_token(), &code, &client()).await.expect("second step");
    accounts.authenticate(&login.token.access_token).await.expect("a working session");

    // The mfa_token worked once, and the code too.
    let reused = accounts.verify_second_step(step.mfa_token(), &code, &client()).await.unwrap_err();
    assert!(matches!(reused, Error::InvalidMfaToken), "{reused:?}");
    let fresh = second_step(&db.todo, "ann@example.com").await;
    let replayed = accounts.verify_second_step(fresh.mfa_token(), &code, &client()).await.unwrap_err();
    assert!(matches!(replayed, Error::WrongCode), "{replayed:?}");
}

async fn one_code_sent_twice_at_once_signs_in_once(db: &TestDb) {
    let (_, enrolment, _) = enrolled(&db.todo, "ann@example.com").await;
    let accounts = db.todo.accounts();
    let steps = [second_step(&db.todo, "ann@example.com").await, second_step(&db.todo, "ann@example.com").await];
    let code = next_code(&enrolment);
    let client = client();
    let outcomes =
        join_all(steps.iter().map(|step| accounts.verify_second_step(step.mfa_token(), &code, &client))).await;
    let passed = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(passed, 1, "{outcomes:?}");
}

async fn one_recovery_code_in_a_burst_works_once(db: &TestDb) {
    let (_, _, codes) = enrolled(&db.todo, "ann@example.com").await;
    let mut steps = Vec::new();
    for _ in 0..10 {
        steps.push(second_step(&db.todo, "ann@example.com").await);
    }
    // From ten networks, so that the password budget of one is not what stops them.
    let clients: Vec<Client> = (1..=10)
        .map(|n| Client::default().with_address(Some(format!("203.0.113.{n}").parse().expect("an address"))))
        .collect();
    let accounts = db.todo.accounts();
    let outcomes = join_all(
        steps
            .iter()
            .zip(&clients)
            .map(|(step, client)| accounts.verify_second_step(step.mfa_token(), &codes[0], client)),
    )
    .await;
    let passed = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    let refused = outcomes.iter().filter(|outcome| matches!(outcome, Err(Error::WrongCode))).count();
    assert_eq!((passed, refused), (1, 9), "{outcomes:?}");
}

async fn one_mfa_token_in_a_burst_of_right_codes_signs_in_once(db: &TestDb) {
    let (_, _, codes) = enrolled(&db.todo, "ann@example.com").await;
    let step = second_step(&db.todo, "ann@example.com").await;
    let client = client();
    let accounts = db.todo.accounts();
    // Five different right codes with one token: the token decides, one session starts.
    let outcomes =
        join_all(codes[..5].iter().map(|code| accounts.verify_second_step(step.mfa_token(), code, &client))).await;
    let passed = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(passed, 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|outcome| outcome.is_ok() || matches!(outcome, Err(Error::InvalidMfaToken))));
}

async fn a_recovery_code_works_once(db: &TestDb) {
    let (_, _, codes) = enrolled(&db.todo, "ann@example.com").await;
    let accounts = db.todo.accounts();
    let step = second_step(&db.todo, "ann@example.com").await;
    // Typed in capitals, with spaces for dashes: the same code.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let login = accounts.verify_second_step(step.mfa_token(), &typed, &client()).await.expect("a recovery code");
    assert_eq!(login.user.email.as_str(), "ann@example.com");

    let step = second_step(&db.todo, "ann@example.com").await;
    let used = accounts.verify_second_step(step.mfa_token(), &codes[3], &client()).await.unwrap_err();
    assert!(matches!(used, Error::WrongCode), "{used:?}");
    accounts.verify_second_step(step.mfa_token(), &codes[4], &client()).await.expect("another code still works");
}

async fn five_wrong_codes_void_the_mfa_token(db: &TestDb) {
    let (_, enrolment, _) = enrolled(&db.todo, "ann@example.com").await;
    let accounts = db.todo.accounts();
    let step = second_step(&db.todo, "ann@example.com").await;
    let right = next_code(&enrolment);
    let wrong = wrong_code(&right);
    for attempt in 1..=5 {
        let refused = accounts.verify_second_step(step.mfa_token(), wrong, &client()).await.unwrap_err();
        assert!(matches!(refused, Error::WrongCode), "attempt {attempt}: {refused:?}");
    }
    let voided = accounts.verify_second_step(step.mfa_token(), &right, &client()).await.unwrap_err();
    assert!(matches!(voided, Error::InvalidMfaToken), "{voided:?}");
    // Signing in again gives a new token, with which the right code works (from another network: the five wrong
    // codes spent this network's password budget for the account).
    let elsewhere = Client::default().with_address(Some("203.0.113.9".parse().expect("an address")));
    let step = second_step_from(&db.todo, "ann@example.com", &elsewhere).await;
    accounts.verify_second_step(step.mfa_token(), &right, &elsewhere).await.expect("a new token works");
}

async fn a_burst_of_wrong_codes_gets_five_checks(db: &TestDb) {
    enrolled(&db.todo, "ann@example.com").await;
    let accounts = db.todo.accounts();
    let step = second_step(&db.todo, "ann@example.com").await;
    // From 20 networks, so that no per-network budget is what stops them.
    let clients: Vec<Client> = (1..=20)
        .map(|n| Client::default().with_address(Some(format!("203.0.113.{n}").parse().expect("an address"))))
        .collect();
    let outcomes = join_all(
        clients.iter().map(|client| accounts.verify_second_step(step.mfa_token(), "k7qm-2xwd-9fha-rt3e", client)),
    )
    .await;
    let checked = outcomes.iter().filter(|outcome| matches!(outcome, Err(Error::WrongCode))).count();
    let refused = outcomes.iter().filter(|outcome| matches!(outcome, Err(Error::InvalidMfaToken))).count();
    assert_eq!((checked, refused), (5, 15), "{outcomes:?}");
}

async fn wrong_codes_count_against_the_password_budget(db: &TestDb) {
    let (_, enrolment, _) = enrolled(&db.todo, "ann@example.com").await;
    let accounts = db.todo.accounts();
    // The default budget per (email, network) is 5 failed checks: four wrong codes and one wrong password.
    let step = second_step(&db.todo, "ann@example.com").await;
    for _ in 0..4 {
        let refused = accounts.verify_second_step(step.mfa_token(), "000001", &client()).await.unwrap_err();
        assert!(matches!(refused, Error::WrongCode), "{refused:?}");
    }
    let wrong = accounts.login_from("ann@example.com", "not the password", &client()).await.unwrap_err();
    assert!(matches!(wrong, Error::InvalidCredentials), "{wrong:?}");
    let limited = accounts.login_from("ann@example.com", PASSWORD, &client()).await.unwrap_err();
    assert!(matches!(limited, Error::RateLimited { .. }), "{limited:?}");
    let limited = accounts.verify_second_step(step.mfa_token(), &next_code(&enrolment), &client()).await.unwrap_err();
    assert!(matches!(limited, Error::RateLimited { .. }), "{limited:?}");
}

async fn the_first_factor_ends_every_other_session(db: &TestDb) {
    let accounts = db.todo.accounts();
    accounts.signup("ann@example.com", PASSWORD).await.expect("signs up");
    let phone = accounts.login("ann@example.com", PASSWORD).await.expect("logs in");
    let laptop = accounts.login("ann@example.com", PASSWORD).await.expect("logs in");
    let enrolment = accounts.enroll_totp(&laptop.owner, Some(PASSWORD), None, &client()).await.expect("enrols");
    let code = code_at(enrolment.secret(), now_seconds());
    accounts.confirm_totp(&laptop.owner, enrolment.factor_id, &code).await.expect("confirms");

    let ended = accounts.authenticate(&phone.token.access_token).await.unwrap_err();
    assert!(matches!(ended, Error::InvalidToken(TokenError::Revoked)), "{ended:?}");
    assert!(accounts.refresh(phone.refresh_token.as_str()).await.is_err());
    let assurance = accounts.session_assurance(&laptop.owner).await.expect("still current");
    assert_eq!((assurance.aal(), assurance.amr().join(" ")), (2, "pwd otp".to_owned()));
    // Refreshing the enrolling session mints tokens that say so.
    let refreshed = accounts.refresh(laptop.refresh_token.as_str()).await.expect("refreshes");
    let claims = accounts.token_keys().verify(&refreshed.token.access_token).expect("verifies");
    assert_eq!((claims.aal, claims.amr), (2, vec!["pwd".to_owned(), "otp".to_owned()]));
}

async fn removing_the_last_factor_turns_the_second_step_off(db: &TestDb) {
    let (login, enrolment, codes) = enrolled(&db.todo, "ann@example.com").await;
    let accounts = db.todo.accounts();
    accounts.remove_factor(&login.owner, enrolment.factor_id).await.expect("removes");
    assert!(accounts.factors(&login.owner).await.expect("lists").is_empty());

    let login = accounts.login_from("ann@example.com", PASSWORD, &client()).await.expect("one factor again");
    assert_eq!(accounts.session_assurance(&login.owner).await.expect("current").aal(), 1);
    // The recovery codes went with the last factor: enrolling again hands out new ones, and an old one is void.
    let again = accounts.enroll_totp(&login.owner, Some(PASSWORD), None, &client()).await.expect("enrols");
    let code = next_code(&again);
    let confirmed = accounts.confirm_totp(&login.owner, again.factor_id, &code).await.expect("confirms");
    let new_codes = confirmed.recovery_codes.expect("new codes");
    assert!(codes.iter().all(|old| !new_codes.contains(old)));
    let step = second_step(&db.todo, "ann@example.com").await;
    let void = accounts.verify_second_step(step.mfa_token(), &codes[0], &client()).await.unwrap_err();
    assert!(matches!(void, Error::WrongCode), "{void:?}");

    // The removed factor is gone: removing it again is not found.
    let gone = accounts.remove_factor(&login.owner, enrolment.factor_id).await.unwrap_err();
    assert!(matches!(gone, Error::NotFound), "{gone:?}");
}

async fn changing_factors_needs_a_two_factor_session(db: &TestDb) {
    let (_, enrolment, _) = enrolled(&db.todo, "ann@example.com").await;
    let accounts = db.todo.accounts();
    accounts.signup("bob@example.com", PASSWORD).await.expect("signs up");
    let bob = accounts.login("bob@example.com", PASSWORD).await.expect("one factor");
    // A one-factor session may not remove factors or ask for recovery codes, even of nothing.
    let refused = accounts.remove_factor(&bob.owner, enrolment.factor_id).await.unwrap_err();
    assert!(matches!(refused, Error::TwoFactorSessionRequired), "{refused:?}");
    let refused = accounts.regenerate_recovery_codes(&bob.owner).await.unwrap_err();
    assert!(matches!(refused, Error::TwoFactorSessionRequired), "{refused:?}");

    // A two-factor session adds a factor without the password.
    let step = second_step(&db.todo, "ann@example.com").await;
    let ann = accounts.verify_second_step(step.mfa_token(), &next_code(&enrolment), &client()).await.expect("in");
    let second = accounts.enroll_totp(&ann.owner, None, Some("Tablet"), &client()).await.expect("no password needed");
    let confirmed = accounts
        .confirm_totp(&ann.owner, second.factor_id, &code_at(second.secret(), now_seconds()))
        .await
        .expect("confirms");
    assert_eq!(confirmed.recovery_codes, None, "only the first factor hands out codes");
    assert_eq!(accounts.factors(&ann.owner).await.expect("lists").len(), 2);
    // Either authenticator finishes a second step.
    let step = second_step(&db.todo, "ann@example.com").await;
    accounts
        .verify_second_step(step.mfa_token(), &code_at(second.secret(), now_seconds() + 30), &client())
        .await
        .expect("the second authenticator works");
}

async fn new_recovery_codes_void_the_old_ones(db: &TestDb) {
    let (login, _, old) = enrolled(&db.todo, "ann@example.com").await;
    let accounts = db.todo.accounts();
    let new = accounts.regenerate_recovery_codes(&login.owner).await.expect("new codes");
    assert_eq!(new.len(), 10);
    let step = second_step(&db.todo, "ann@example.com").await;
    let void = accounts.verify_second_step(step.mfa_token(), &old[0], &client()).await.unwrap_err();
    assert!(matches!(void, Error::WrongCode), "{void:?}");
    accounts.verify_second_step(step.mfa_token(), &new[0], &client()).await.expect("a new code works");
}

async fn sessions_and_tokens_say_how_they_were_won(db: &TestDb) {
    let accounts = db.todo.accounts();
    accounts.signup("bob@example.com", PASSWORD).await.expect("signs up");
    let bob = accounts.login("bob@example.com", PASSWORD).await.expect("logs in");
    let claims = accounts.token_keys().verify(&bob.token.access_token).expect("verifies");
    assert_eq!((claims.aal, claims.amr), (1, vec!["pwd".to_owned()]));

    let (_, _, codes) = enrolled(&db.todo, "ann@example.com").await;
    let step = second_step(&db.todo, "ann@example.com").await;
    let ann = accounts.verify_second_step(step.mfa_token(), &codes[0], &client()).await.expect("in");
    let claims = accounts.token_keys().verify(&ann.token.access_token).expect("verifies");
    assert_eq!((claims.aal, claims.amr.join(" ")), (2, "pwd recovery".to_owned()));
    let sessions = accounts.sessions(&ann.owner).await.expect("lists");
    let current = sessions.iter().find(|session| session.current).expect("the current session");
    assert_eq!((current.assurance.aal(), current.assurance.amr().join(" ")), (2, "pwd recovery".to_owned()));
    // A password change keeps the session's assurance.
    let changed = accounts.change_password(&ann.owner, PASSWORD, "a new password 1").await.expect("changes");
    let claims = accounts.token_keys().verify(&changed.token.access_token).expect("verifies");
    assert_eq!(claims.aal, 2);
}

/// The library over `db`'s database with `config`, mailing into an outbox.
fn mailing(db: &TestDb, config: Config) -> (Todo, Outbox) {
    let outbox = Outbox::default();
    let config =
        config.with_app_url("https://app.example.com").expect("valid URL").with_mailer(Arc::new(outbox.clone()));
    (db.todo_with(config), outbox)
}

/// Asks for a sign-in link for `email` and returns its token, read from the mail.
async fn sign_in_link(todo: &Todo, outbox: &Outbox, email: &str) -> String {
    let email = Email::parse(email).expect("valid");
    todo.accounts().admit_sign_in_link(&email, &client()).await.expect("admitted");
    let mail = todo.accounts().sign_in_link_mail(&email).await.expect("composes").expect("an account");
    mail.send().await.expect("the outbox takes it");
    let mails = outbox.take();
    assert_eq!(mails.len(), 1);
    let text = &mails[0].text;
    let at = text.find("https://app.example.com/magic-link?token=").expect("the link") + 41;
    text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect()
}

async fn a_sign_in_link_works_once_and_expires(db: &TestDb) {
    // Without limits: this test asks for more links than one network may.
    let config = || config().with_abuse_limits(AbuseLimits::off()).expect("valid");
    let (todo, outbox) = mailing(db, config());
    let user = todo.accounts().signup("ann@example.com", PASSWORD).await.expect("signs up");
    assert!(user.email_verified_at.is_none());

    let token = sign_in_link(&todo, &outbox, "ann@example.com").await;
    assert_eq!(token.len(), 43);
    let login = todo.accounts().sign_in_with_link(&token, &client()).await.expect("signs in");
    assert!(login.user.email_verified_at.is_some(), "the link proved the address");
    let claims = todo.accounts().token_keys().verify(&login.token.access_token).expect("verifies");
    assert_eq!((claims.aal, claims.amr), (1, vec!["email".to_owned()]));
    let used = todo.accounts().sign_in_with_link(&token, &client()).await.unwrap_err();
    assert_eq!(used.field_errors()[0].field, "token", "{used:?}");

    // The newest link voids the older one.
    let older = sign_in_link(&todo, &outbox, "ann@example.com").await;
    let newer = sign_in_link(&todo, &outbox, "ann@example.com").await;
    assert!(todo.accounts().sign_in_with_link(&older, &client()).await.is_err());
    todo.accounts().sign_in_with_link(&newer, &client()).await.expect("the newest works");

    // No mail for an unknown email.
    let nobody = Email::parse("nobody@example.com").expect("valid");
    assert!(todo.accounts().sign_in_link_mail(&nobody).await.expect("answers").is_none());

    // A link past its lifetime is refused.
    let (expiring, outbox) = mailing(db, config().with_sign_in_link_ttl(Duration::ZERO));
    let token = sign_in_link(&expiring, &outbox, "ann@example.com").await;
    let expired = expiring.accounts().sign_in_with_link(&token, &client()).await.unwrap_err();
    assert_eq!(expired.field_errors()[0].field, "token", "{expired:?}");
}

async fn one_sign_in_link_in_a_burst_signs_in_once(db: &TestDb) {
    let (todo, outbox) = mailing(db, config());
    todo.accounts().signup("ann@example.com", PASSWORD).await.expect("signs up");
    let token = sign_in_link(&todo, &outbox, "ann@example.com").await;
    let client = client();
    let outcomes = join_all((0..10).map(|_| todo.accounts().sign_in_with_link(&token, &client))).await;
    let passed = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    let refused = outcomes.iter().filter(|outcome| matches!(outcome, Err(Error::Validation(_)))).count();
    assert_eq!((passed, refused), (1, 9), "{outcomes:?}");
}

async fn sign_in_links_share_the_budgets_of_reset_mails(db: &TestDb) {
    let accounts = db.todo.accounts();
    let email = Email::parse("ann@example.com").expect("valid");
    // Three mails per (email, network): two reset mails and a sign-in link, then no more of either.
    accounts.admit_password_reset(&email, &client()).await.expect("admitted");
    accounts.admit_password_reset(&email, &client()).await.expect("admitted");
    accounts.admit_sign_in_link(&email, &client()).await.expect("admitted");
    let refused = accounts.admit_sign_in_link(&email, &client()).await.unwrap_err();
    assert!(matches!(refused, Error::RateLimited { .. }), "{refused:?}");
    let refused = accounts.admit_password_reset(&email, &client()).await.unwrap_err();
    assert!(matches!(refused, Error::RateLimited { .. }), "{refused:?}");
}

async fn a_sign_in_link_is_a_first_factor_for_an_account_with_a_second(db: &TestDb) {
    let (todo, outbox) = mailing(db, config());
    let (_, enrolment, _) = enrolled(&todo, "ann@example.com").await;
    let token = sign_in_link(&todo, &outbox, "ann@example.com").await;
    let step = match todo.accounts().sign_in_with_link(&token, &client()).await {
        Err(Error::SecondStepRequired(step)) => step,
        other => panic!("expected the second step, got {other:?}"),
    };
    let login = todo.accounts().verify_second_step(step.mfa_token(), &next_code(&enrolment), &client()).await;
    let claims = todo.accounts().token_keys().verify(&login.expect("in").token.access_token).expect("verifies");
    assert_eq!((claims.aal, claims.amr.join(" ")), (2, "email otp".to_owned()));
}

async fn a_password_reset_is_a_first_factor_for_an_account_with_a_second(db: &TestDb) {
    let (todo, outbox) = mailing(db, config());
    let (login, _, codes) = enrolled(&todo, "ann@example.com").await;
    let email = Email::parse("ann@example.com").expect("valid");
    let mail = todo.accounts().password_reset_mail(&email).await.expect("composes").expect("an account");
    mail.send().await.expect("sent");
    let text = outbox.take().remove(0).text;
    let at = text.find("reset-password?token=").expect("the link") + 21;
    let token: String =
        text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect();

    let step = match todo.accounts().reset_password(&token, "a new password 1", None).await {
        Err(Error::SecondStepRequired(step)) => step,
        other => panic!("expected the second step, got {other:?}"),
    };
    // The password changed and every session ended all the same.
    assert!(todo.accounts().authenticate(&login.token.access_token).await.is_err());
    todo.accounts().verify_second_step(step.mfa_token(), &codes[0], &client()).await.expect("in");
    let again = todo.accounts().login_from("ann@example.com", "a new password 1", &client()).await.unwrap_err();
    assert!(matches!(again, Error::SecondStepRequired(_)), "{again:?}");
}

async fn expired_second_steps_and_enrolments_are_swept(db: &TestDb) {
    enrolled(&db.todo, "ann@example.com").await;
    let accounts = db.todo.accounts();
    let _step = second_step(&db.todo, "ann@example.com").await;
    accounts.signup("bob@example.com", PASSWORD).await.expect("signs up");
    let bob = accounts.login("bob@example.com", PASSWORD).await.expect("logs in");
    accounts.enroll_totp(&bob.owner, Some(PASSWORD), None, &client()).await.expect("a pending enrolment");

    // Nothing has expired yet.
    let swept = accounts.sweep_expired().await.expect("sweeps");
    assert_eq!((swept.second_steps, swept.pending_factors), (0, 0));
    // Past their lifetimes (5 and 15 minutes), as a raw statement sets them.
    match db.raw_pool().await {
        #[cfg(feature = "sqlite")]
        support::RawPool::Sqlite(pool) => {
            sqlx::query("UPDATE mfa_challenges SET expires_at_ms = 0").execute(&pool).await.expect("updates");
            sqlx::query("UPDATE mfa_factors SET pending_expires_at_ms = 0 WHERE confirmed_at IS NULL")
                .execute(&pool)
                .await
                .expect("updates");
        }
        #[cfg(feature = "postgres")]
        support::RawPool::Postgres(pool) => {
            sqlx::query("UPDATE mfa_challenges SET expires_at_ms = 0").execute(&pool).await.expect("updates");
            sqlx::query("UPDATE mfa_factors SET pending_expires_at_ms = 0 WHERE confirmed_at IS NULL")
                .execute(&pool)
                .await
                .expect("updates");
        }
    }
    let swept = accounts.sweep_expired().await.expect("sweeps");
    assert_eq!((swept.second_steps, swept.pending_factors), (1, 1), "{swept:?}");
    assert_eq!(accounts.factors(&bob.owner).await.expect("lists").len(), 0);
}
