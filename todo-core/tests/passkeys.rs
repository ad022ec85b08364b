//! Passkeys, on every backend: registration (the first factor's recovery codes and ended sessions), signing in with a
//! passkey alone, the passkey of a second step, and what is refused: replayed answers, other origins, signature
//! counters that go backwards, swapped user handles, credential ids in use, expired ceremonies. Ceremonies are kept in
//! the database, so one instance finishes what another started.
//!
//! The browser and the user's device are `todo_testing::authenticator::Authenticator`: it answers the options the
//! library hands out with the JSON a browser's `PublicKeyCredential.toJSON()` gives.

mod support;

use futures::future::join_all;
use serde_json::{json, Value};
use todo_core::{
    Client, Config, Confirmed, Error, ErrorKind, FactorKind, Login, PasskeyOptions, SecondStep, SecondStepMethod, Todo,
    TokenError,
};
use todo_testing::authenticator::{base64url, Authenticator, CounterMode};

use support::{config, TestDb, PASSWORD};

backend_tests!(
    the_first_passkey_hands_out_recovery_codes_and_ends_the_other_sessions,
    a_second_passkey_needs_another_authenticator_and_hands_out_no_codes,
    a_registration_that_does_not_check_out_is_refused,
    a_credential_id_is_registered_once_across_accounts,
    a_passkey_alone_signs_in_with_two_factors,
    a_passkey_finishes_the_second_step_after_a_password,
    a_replayed_assertion_is_refused,
    one_assertion_sent_twice_at_once_signs_in_once,
    an_assertion_from_another_origin_is_refused,
    a_signature_counter_that_goes_backwards_is_refused,
    a_synced_passkey_without_a_counter_signs_in_again_and_again,
    another_users_handle_swapped_in_is_refused,
    ceremonies_started_on_one_instance_finish_on_another,
    expired_ceremonies_are_refused_and_swept,
    removing_the_last_passkey_turns_the_second_step_off,
    passkeys_are_off_without_a_usable_relying_party,
);

const ORIGIN: &str = "https://app.example.com";

// --- Helpers ------------------------------------------------------------------------------------------------------

/// The test configuration with `app.example.com` as the relying party.
fn passkey_config() -> Config {
    config().with_webauthn("app.example.com", ORIGIN).expect("a valid relying party")
}

/// The library over `db`'s database, with passkeys on.
fn library(db: &TestDb) -> Todo {
    db.todo_with(passkey_config())
}

fn client() -> Client {
    Client::default().with_address(Some("198.51.100.7".parse().expect("an address")))
}

/// Signs `email` up and in with a password.
async fn signed_up(todo: &Todo, email: &str) -> Login {
    todo.accounts().signup(email, PASSWORD).await.expect("signs up");
    todo.accounts().login(email, PASSWORD).await.expect("logs in")
}

/// Registers a passkey of `device` for the owner of `login`.
async fn register(todo: &Todo, login: &Login, device: &mut Authenticator) -> Confirmed {
    let options = todo.accounts().passkey_registration_options(&login.owner).await.expect("options");
    let created = device.create(ORIGIN, &options.options).expect("the device makes a passkey");
    todo.accounts().register_passkey(&login.owner, options.challenge_id, &created, None).await.expect("registers")
}

/// Signs `email` up and registers a passkey of `device`: the enrolling login (now two factors) and the factor.
async fn with_passkey(todo: &Todo, email: &str, device: &mut Authenticator) -> (Login, Confirmed) {
    let login = signed_up(todo, email).await;
    let confirmed = register(todo, &login, device).await;
    (login, confirmed)
}

/// The options of a sign-in with a passkey alone, and `device`'s answer to them from `origin`.
async fn assertion_from(todo: &Todo, device: &mut Authenticator, origin: &str) -> (PasskeyOptions, Value) {
    let options = todo.accounts().passkey_login_options().await.expect("options");
    let assertion = device.get(origin, &options.options).expect("the device signs");
    (options, assertion)
}

/// A sign-in with `device`'s passkey alone.
async fn passkey_login(todo: &Todo, device: &mut Authenticator) -> Result<Login, Error> {
    let (options, assertion) = assertion_from(todo, device, ORIGIN).await;
    todo.accounts().login_with_passkey(options.challenge_id, &assertion, &client()).await
}

/// The second step a password sign-in of `email` answers with.
async fn second_step(todo: &Todo, email: &str) -> SecondStep {
    match todo.accounts().login_from(email, PASSWORD, &client()).await {
        Err(Error::SecondStepRequired(step)) => step,
        other => panic!("expected the second step, got {other:?}"),
    }
}

/// `device`'s answer, from `origin`, to the passkey options of the second step `step`.
async fn second_step_assertion(todo: &Todo, step: &SecondStep, device: &mut Authenticator, origin: &str) -> Value {
    let options = todo.accounts().second_step_passkey_options(step.mfa_token()).await.expect("options");
    device.get(origin, &options.options).expect("the device signs")
}

fn refused(outcome: Result<Login, Error>) -> bool {
    matches!(outcome, Err(Error::PasskeyRefused))
}

/// The `aal` and `amr` of a login's access token.
fn assurance_of(todo: &Todo, login: &Login) -> (u8, String) {
    let claims = todo.accounts().token_keys().verify(&login.token.access_token).expect("verifies");
    (claims.aal, claims.amr.join(" "))
}

// --- Registration -------------------------------------------------------------------------------------------------

async fn the_first_passkey_hands_out_recovery_codes_and_ends_the_other_sessions(db: &TestDb) {
    let todo = library(db);
    let accounts = todo.accounts();
    let phone = signed_up(&todo, "ann@example.com").await;
    let laptop = accounts.login("ann@example.com", PASSWORD).await.expect("logs in");

    let options = accounts.passkey_registration_options(&laptop.owner).await.expect("options");
    let public_key = &options.options["publicKey"];
    assert_eq!(public_key["rp"]["id"], "app.example.com");
    assert_eq!(public_key["rp"]["name"], "Todo");
    assert_eq!(public_key["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(public_key["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(public_key["user"]["name"], "ann@example.com");
    assert_eq!(public_key["user"]["id"], base64url(laptop.user.id.as_uuid().as_bytes()), "the user handle");

    let mut device = Authenticator::new();
    let created = device.create(ORIGIN, &options.options).expect("makes a passkey");
    let confirmed = accounts
        .register_passkey(&laptop.owner, options.challenge_id, &created, Some("  Laptop\u{7} "))
        .await
        .expect("registers");
    assert_eq!(confirmed.recovery_codes.as_ref().map(Vec::len), Some(10));
    assert_eq!((confirmed.factor.kind, confirmed.factor.name.as_str()), (FactorKind::Passkey, "Laptop"));
    let factors = accounts.factors(&laptop.owner).await.expect("lists");
    assert_eq!(factors, vec![confirmed.factor.clone()]);

    // The other session ended; the registering one is now a two-factor session.
    let ended = accounts.authenticate(&phone.token.access_token).await.unwrap_err();
    assert!(matches!(ended, Error::InvalidToken(TokenError::Revoked)), "{ended:?}");
    let assurance = accounts.session_assurance(&laptop.owner).await.expect("current");
    assert_eq!((assurance.aal(), assurance.amr().join(" ")), (2, "pwd hwk".to_owned()));

    // A password alone is not enough any more; a recovery code is a way through.
    let step = second_step(&todo, "ann@example.com").await;
    assert_eq!(step.methods(), [SecondStepMethod::RecoveryCode, SecondStepMethod::Passkey]);
    let codes = confirmed.recovery_codes.expect("codes");
    accounts.verify_second_step(step.mfa_token(), &codes[0], &client()).await.expect("a recovery code works");

    // The ceremony worked once.
    let again = accounts.register_passkey(&laptop.owner, options.challenge_id, &created, None).await.unwrap_err();
    assert_eq!(again.field_errors()[0].field, "challenge_id", "{again:?}");
}

async fn a_second_passkey_needs_another_authenticator_and_hands_out_no_codes(db: &TestDb) {
    let todo = library(db);
    let mut phone = Authenticator::new();
    let (login, first) = with_passkey(&todo, "ann@example.com", &mut phone).await;

    // The registered passkeys are excluded: the phone will not make a second one.
    let options = todo.accounts().passkey_registration_options(&login.owner).await.expect("options");
    let excluded: Vec<&Value> =
        options.options["publicKey"]["excludeCredentials"].as_array().expect("a list").iter().collect();
    assert_eq!(excluded.len(), 1);
    assert_eq!(excluded[0]["id"], base64url(phone.last_credential_id()));
    let refused = phone.create(ORIGIN, &options.options).unwrap_err();
    assert!(refused.starts_with("InvalidStateError"), "{refused}");

    let mut key = Authenticator::new();
    let created = key.create(ORIGIN, &options.options).expect("another device makes one");
    let second = todo
        .accounts()
        .register_passkey(&login.owner, options.challenge_id, &created, Some("Key"))
        .await
        .expect("registers");
    assert_eq!(second.recovery_codes, None, "only the first factor hands out codes");
    let names: Vec<String> =
        todo.accounts().factors(&login.owner).await.expect("lists").into_iter().map(|factor| factor.name).collect();
    assert_eq!(names, [first.factor.name, "Key".to_owned()]);
    // Either signs in.
    passkey_login(&todo, &mut key).await.expect("the key signs in");
    passkey_login(&todo, &mut phone).await.expect("the phone signs in");
}

async fn a_registration_that_does_not_check_out_is_refused(db: &TestDb) {
    let todo = library(db);
    let accounts = todo.accounts();
    let login = signed_up(&todo, "ann@example.com").await;
    let mut device = Authenticator::new();
    let field_of = |error: Error| error.field_errors().first().map(|field| field.field).unwrap_or("none");

    // Not a WebAuthn answer at all: the ceremony is not spent on it.
    let options = accounts.passkey_registration_options(&login.owner).await.expect("options");
    let garbage = accounts.register_passkey(&login.owner, options.challenge_id, &json!({"id": 7}), None).await;
    assert_eq!(field_of(garbage.unwrap_err()), "credential");
    // From another origin: the browser there would write its own origin into the client data.
    let created = device.create("https://evil.example.com", &options.options).expect("makes one");
    let elsewhere = accounts.register_passkey(&login.owner, options.challenge_id, &created, None).await;
    assert_eq!(field_of(elsewhere.unwrap_err()), "credential");
    // That spent the ceremony.
    let created = device.create(ORIGIN, &options.options).expect("makes one");
    let spent = accounts.register_passkey(&login.owner, options.challenge_id, &created, None).await;
    assert_eq!(field_of(spent.unwrap_err()), "challenge_id");

    // An answer to other options (its client data names another challenge).
    let first = accounts.passkey_registration_options(&login.owner).await.expect("options");
    let second = accounts.passkey_registration_options(&login.owner).await.expect("options");
    let created = device.create(ORIGIN, &first.options).expect("makes one");
    let crossed = accounts.register_passkey(&login.owner, second.challenge_id, &created, None).await;
    assert_eq!(field_of(crossed.unwrap_err()), "credential");

    // A browser that says the credential is not discoverable (it would not sign in without a username).
    let options = accounts.passkey_registration_options(&login.owner).await.expect("options");
    let mut created = device.create(ORIGIN, &options.options).expect("makes one");
    created["clientExtensionResults"]["credProps"]["rk"] = json!(false);
    let not_resident = accounts.register_passkey(&login.owner, options.challenge_id, &created, None).await;
    assert_eq!(field_of(not_resident.unwrap_err()), "credential");

    // Another user's ceremony id is unknown to this one.
    let bob = signed_up(&todo, "bob@example.com").await;
    let options = accounts.passkey_registration_options(&login.owner).await.expect("options");
    let created = device.create(ORIGIN, &options.options).expect("makes one");
    let foreign = accounts.register_passkey(&bob.owner, options.challenge_id, &created, None).await;
    assert_eq!(field_of(foreign.unwrap_err()), "challenge_id");

    assert!(accounts.factors(&login.owner).await.expect("lists").is_empty(), "nothing was registered");
    second_step_is_off(&todo, "ann@example.com").await;
}

async fn a_credential_id_is_registered_once_across_accounts(db: &TestDb) {
    let todo = library(db);
    let mut ann_device = Authenticator::new();
    let (ann, _) = with_passkey(&todo, "ann@example.com", &mut ann_device).await;

    // Bob's authenticator presents Ann's credential id with a key of its own.
    let bob = signed_up(&todo, "bob@example.com").await;
    let mut copycat = Authenticator::new();
    copycat.next_credential_id = Some(ann_device.last_credential_id().to_vec());
    let options = todo.accounts().passkey_registration_options(&bob.owner).await.expect("options");
    let created = copycat.create(ORIGIN, &options.options).expect("makes one");
    let taken = todo.accounts().register_passkey(&bob.owner, options.challenge_id, &created, None).await.unwrap_err();
    assert_eq!(taken.field_errors()[0].field, "credential", "{taken:?}");
    assert!(todo.accounts().factors(&bob.owner).await.expect("lists").is_empty());
    // Bob still has one factor: his password signs him in.
    todo.accounts().login("bob@example.com", PASSWORD).await.expect("no second step");

    // The same credential id twice for one account, too (an authenticator that ignores excludeCredentials).
    let options = todo.accounts().passkey_registration_options(&ann.owner).await.expect("options");
    let mut twin = Authenticator::new();
    twin.next_credential_id = Some(ann_device.last_credential_id().to_vec());
    let created = twin.create(ORIGIN, &options.options).expect("makes one");
    let twice = todo.accounts().register_passkey(&ann.owner, options.challenge_id, &created, None).await.unwrap_err();
    assert_eq!(twice.field_errors()[0].field, "credential", "{twice:?}");
    // Ann's passkey still signs her in.
    passkey_login(&todo, &mut ann_device).await.expect("signs in");
}

// --- Signing in -----------------------------------------------------------------------------------------------------

async fn a_passkey_alone_signs_in_with_two_factors(db: &TestDb) {
    let todo = library(db);
    let mut device = Authenticator::new();
    let (_, confirmed) = with_passkey(&todo, "ann@example.com", &mut device).await;

    let options = todo.accounts().passkey_login_options().await.expect("options");
    let public_key = &options.options["publicKey"];
    assert_eq!(public_key["rpId"], "app.example.com");
    assert_eq!(public_key["userVerification"], "required");
    assert!(public_key["allowCredentials"].as_array().is_none_or(Vec::is_empty), "discoverable: no user named");
    assert!(options.options.get("mediation").is_none(), "a modal prompt, not autofill: {}", options.options);

    let assertion = device.get(ORIGIN, &options.options).expect("signs");
    let login = todo
        .accounts()
        .login_with_passkey(options.challenge_id, &assertion, &Client::default().with_user_agent(Some("Phone")))
        .await
        .expect("signs in");
    assert_eq!(login.user.email.as_str(), "ann@example.com");
    assert_eq!(assurance_of(&todo, &login), (2, "hwk user".to_owned()));
    let sessions = todo.accounts().sessions(&login.owner).await.expect("lists");
    let current = sessions.iter().find(|session| session.current).expect("the current session");
    assert_eq!((current.user_agent.as_deref(), current.assurance.aal()), (Some("Phone"), 2));
    // A two-factor session may change factors at once.
    todo.accounts().regenerate_recovery_codes(&login.owner).await.expect("a two-factor session");

    let factor = todo.accounts().factors(&login.owner).await.expect("lists").remove(0);
    assert!(factor.last_used_at > confirmed.factor.last_used_at, "the sign-in is its last use");

    // With REQUIRE_VERIFIED_EMAIL, an unverified account gets no session even with a right passkey.
    let strict = db.todo_with(passkey_config().with_require_verified_email(true));
    let unverified = passkey_login(&strict, &mut device).await.unwrap_err();
    assert!(matches!(unverified, Error::EmailNotVerified), "{unverified:?}");
}

async fn a_passkey_finishes_the_second_step_after_a_password(db: &TestDb) {
    let todo = library(db);
    let accounts = todo.accounts();
    let mut device = Authenticator::new();
    with_passkey(&todo, "ann@example.com", &mut device).await;

    let step = second_step(&todo, "ann@example.com").await;
    assert!(step.methods().contains(&SecondStepMethod::Passkey), "{:?}", step.methods());
    let options = accounts.second_step_passkey_options(step.mfa_token()).await.expect("options");
    let allowed = options.options["publicKey"]["allowCredentials"].as_array().expect("the user's passkeys").clone();
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0]["id"], base64url(device.last_credential_id()));

    // A wrong answer is a wrong code (one of the token's attempts), and spends the options.
    let elsewhere = device.get("https://evil.example.com", &options.options).expect("signs");
    let wrong = accounts.verify_second_step_passkey(step.mfa_token(), &elsewhere, &client()).await.unwrap_err();
    assert!(matches!(wrong, Error::WrongCode), "{wrong:?}");
    let right = device.get(ORIGIN, &options.options).expect("signs");
    let spent = accounts.verify_second_step_passkey(step.mfa_token(), &right, &client()).await.unwrap_err();
    assert!(matches!(spent, Error::WrongCode), "options are used once: {spent:?}");

    let assertion = second_step_assertion(&todo, &step, &mut device, ORIGIN).await;
    let login = accounts.verify_second_step_passkey(step.mfa_token(), &assertion, &client()).await.expect("in");
    assert_eq!(assurance_of(&todo, &login), (2, "pwd hwk".to_owned()));

    // The mfa_token worked once, for options too; a token that never was is refused alike.
    let used = accounts.second_step_passkey_options(step.mfa_token()).await.unwrap_err();
    assert!(matches!(used, Error::InvalidMfaToken), "{used:?}");
    let unknown = accounts.second_step_passkey_options("not a token").await.unwrap_err();
    assert!(matches!(unknown, Error::InvalidMfaToken), "{unknown:?}");
    let unknown = accounts.verify_second_step_passkey("not a token", &assertion, &client()).await.unwrap_err();
    assert!(matches!(unknown, Error::InvalidMfaToken), "{unknown:?}");

    // Another account's passkey does not finish Ann's second step, with its user handle or without one.
    let mut bobs = Authenticator::new();
    with_passkey(&todo, "bob@example.com", &mut bobs).await;
    let step = second_step(&todo, "ann@example.com").await;
    for keep_handle in [true, false] {
        let options = accounts.second_step_passkey_options(step.mfa_token()).await.expect("options");
        // Bob's browser ignores the list of Ann's passkeys and offers Bob's.
        let mut unlisted = options.options.clone();
        unlisted["publicKey"]["allowCredentials"] = json!([]);
        let mut answer = bobs.get(ORIGIN, &unlisted).expect("Bob's device signs Ann's challenge");
        if !keep_handle {
            answer["response"].as_object_mut().expect("an object").remove("userHandle");
        }
        let foreign = accounts.verify_second_step_passkey(step.mfa_token(), &answer, &client()).await.unwrap_err();
        assert!(matches!(foreign, Error::WrongCode), "handle kept: {keep_handle}: {foreign:?}");
    }
}

async fn a_replayed_assertion_is_refused(db: &TestDb) {
    let todo = library(db);
    let mut device = Authenticator::new();
    with_passkey(&todo, "ann@example.com", &mut device).await;

    let (options, assertion) = assertion_from(&todo, &mut device, ORIGIN).await;
    todo.accounts().login_with_passkey(options.challenge_id, &assertion, &client()).await.expect("signs in");
    let replayed = todo.accounts().login_with_passkey(options.challenge_id, &assertion, &client()).await;
    assert!(refused(replayed), "the same body twice");
    // Nor does it answer a new ceremony (whose challenge it does not name).
    let fresh = todo.accounts().passkey_login_options().await.expect("options");
    assert!(refused(todo.accounts().login_with_passkey(fresh.challenge_id, &assertion, &client()).await));

    // In a second step: the same body twice.
    let step = second_step(&todo, "ann@example.com").await;
    let assertion = second_step_assertion(&todo, &step, &mut device, ORIGIN).await;
    todo.accounts().verify_second_step_passkey(step.mfa_token(), &assertion, &client()).await.expect("in");
    let replayed = todo.accounts().verify_second_step_passkey(step.mfa_token(), &assertion, &client()).await;
    assert!(matches!(replayed, Err(Error::InvalidMfaToken)), "{replayed:?}");
    let step = second_step(&todo, "ann@example.com").await;
    let _ = todo.accounts().second_step_passkey_options(step.mfa_token()).await.expect("options");
    let replayed = todo.accounts().verify_second_step_passkey(step.mfa_token(), &assertion, &client()).await;
    assert!(matches!(replayed, Err(Error::WrongCode)), "{replayed:?}");
}

async fn one_assertion_sent_twice_at_once_signs_in_once(db: &TestDb) {
    let todo = library(db);
    let mut device = Authenticator::new();
    // A synced passkey (counter always 0): only the single use of the ceremony stops the second.
    device.counter_mode = CounterMode::AlwaysZero;
    with_passkey(&todo, "ann@example.com", &mut device).await;
    let (options, assertion) = assertion_from(&todo, &mut device, ORIGIN).await;
    let client = client();
    let outcomes =
        join_all((0..4).map(|_| todo.accounts().login_with_passkey(options.challenge_id, &assertion, &client))).await;
    let passed = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    let refused = outcomes.iter().filter(|outcome| matches!(outcome, Err(Error::PasskeyRefused))).count();
    assert_eq!((passed, refused), (1, 3), "{outcomes:?}");
}

async fn an_assertion_from_another_origin_is_refused(db: &TestDb) {
    let todo = library(db);
    let mut device = Authenticator::new();
    with_passkey(&todo, "ann@example.com", &mut device).await;
    for origin in ["https://evil.example.com", "http://app.example.com", "https://app.example.com:8443"] {
        let (options, assertion) = assertion_from(&todo, &mut device, origin).await;
        let outcome = todo.accounts().login_with_passkey(options.challenge_id, &assertion, &client()).await;
        assert!(refused(outcome), "{origin}");
    }
    // Options for another relying party: the signed rpIdHash is not this one's.
    let options = todo.accounts().passkey_login_options().await.expect("options");
    let mut other_site = Authenticator::new();
    let mut foreign_options = options.options.clone();
    foreign_options["publicKey"]["rpId"] = json!("evil.example.com");
    let registration = json!({"publicKey": {
        "rp": {"id": "evil.example.com", "name": "Evil"},
        "user": {"id": base64url(b"0123456789abcdef"), "name": "ann", "displayName": "Ann"},
        "challenge": base64url(b"a challenge"),
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "authenticatorSelection": {"residentKey": "required", "userVerification": "required"},
    }});
    other_site.create("https://evil.example.com", &registration).expect("a passkey for the other site");
    let mut assertion = other_site.get(ORIGIN, &foreign_options).expect("signs");
    // Presented as Ann's passkey, from the right origin.
    let ann = device.last_credential_id();
    assertion["id"] = json!(base64url(ann));
    assertion["rawId"] = json!(base64url(ann));
    assert!(refused(todo.accounts().login_with_passkey(options.challenge_id, &assertion, &client()).await));
    passkey_login(&todo, &mut device).await.expect("from the right origin it signs in");
}

async fn a_signature_counter_that_goes_backwards_is_refused(db: &TestDb) {
    let todo = library(db);
    let mut device = Authenticator::new();
    with_passkey(&todo, "ann@example.com", &mut device).await;
    passkey_login(&todo, &mut device).await.expect("counter 1");
    passkey_login(&todo, &mut device).await.expect("counter 2");
    let id = device.last_credential_id().to_vec();

    // A clone that signs with 1, then with 2 (equal to the stored one): both refused.
    for next in [1, 2] {
        device.set_counter(&id, next - 1);
        assert!(refused(passkey_login(&todo, &mut device).await), "counter {next}");
    }
    // In a second step, too.
    device.set_counter(&id, 0);
    let step = second_step(&todo, "ann@example.com").await;
    let assertion = second_step_assertion(&todo, &step, &mut device, ORIGIN).await;
    let outcome = todo.accounts().verify_second_step_passkey(step.mfa_token(), &assertion, &client()).await;
    assert!(matches!(outcome, Err(Error::WrongCode)), "{outcome:?}");

    // Ahead of the stored counter it works, and raises it.
    device.set_counter(&id, 9);
    passkey_login(&todo, &mut device).await.expect("counter 10");
    device.set_counter(&id, 5);
    assert!(refused(passkey_login(&todo, &mut device).await), "counter 6 after 10");
}

async fn a_synced_passkey_without_a_counter_signs_in_again_and_again(db: &TestDb) {
    let todo = library(db);
    let mut device = Authenticator::new();
    device.counter_mode = CounterMode::AlwaysZero;
    device.synced = true;
    with_passkey(&todo, "ann@example.com", &mut device).await;
    for _ in 0..3 {
        passkey_login(&todo, &mut device).await.expect("signs in");
    }
    let step = second_step(&todo, "ann@example.com").await;
    let assertion = second_step_assertion(&todo, &step, &mut device, ORIGIN).await;
    todo.accounts().verify_second_step_passkey(step.mfa_token(), &assertion, &client()).await.expect("in");
}

async fn another_users_handle_swapped_in_is_refused(db: &TestDb) {
    let todo = library(db);
    let mut ann_device = Authenticator::new();
    let (ann, _) = with_passkey(&todo, "ann@example.com", &mut ann_device).await;
    let mut bob_device = Authenticator::new();
    let (bob, _) = with_passkey(&todo, "bob@example.com", &mut bob_device).await;

    // Bob's passkey, signed correctly, with Ann's id as the (unsigned) user handle.
    let (options, mut assertion) = assertion_from(&todo, &mut bob_device, ORIGIN).await;
    assertion["response"]["userHandle"] = json!(base64url(ann.user.id.as_uuid().as_bytes()));
    assert!(refused(todo.accounts().login_with_passkey(options.challenge_id, &assertion, &client()).await));
    // And Ann's passkey with Bob's handle.
    let (options, mut assertion) = assertion_from(&todo, &mut ann_device, ORIGIN).await;
    assertion["response"]["userHandle"] = json!(base64url(bob.user.id.as_uuid().as_bytes()));
    assert!(refused(todo.accounts().login_with_passkey(options.challenge_id, &assertion, &client()).await));
    // No handle at all, or one that is no user id.
    let (options, mut assertion) = assertion_from(&todo, &mut ann_device, ORIGIN).await;
    assertion["response"].as_object_mut().expect("an object").remove("userHandle");
    assert!(refused(todo.accounts().login_with_passkey(options.challenge_id, &assertion, &client()).await));
    let (options, mut assertion) = assertion_from(&todo, &mut ann_device, ORIGIN).await;
    assertion["response"]["userHandle"] = json!(base64url(b"ann"));
    assert!(refused(todo.accounts().login_with_passkey(options.challenge_id, &assertion, &client()).await));

    // Untouched, each signs in as its owner.
    assert_eq!(passkey_login(&todo, &mut bob_device).await.expect("in").user.id, bob.user.id);
    assert_eq!(passkey_login(&todo, &mut ann_device).await.expect("in").user.id, ann.user.id);
}

// --- Across instances, expiry, removal, configuration ---------------------------------------------------------------

async fn ceremonies_started_on_one_instance_finish_on_another(db: &TestDb) {
    let (one, two) = (library(db), library(db));
    let mut device = Authenticator::new();
    let login = signed_up(&one, "ann@example.com").await;

    let options = one.accounts().passkey_registration_options(&login.owner).await.expect("options on one");
    let created = device.create(ORIGIN, &options.options).expect("makes one");
    let confirmed =
        two.accounts().register_passkey(&login.owner, options.challenge_id, &created, None).await.expect("on two");
    assert!(confirmed.recovery_codes.is_some());

    let (options, assertion) = assertion_from(&two, &mut device, ORIGIN).await;
    let login = one.accounts().login_with_passkey(options.challenge_id, &assertion, &client()).await.expect("on one");
    assert_eq!(login.user.email.as_str(), "ann@example.com");

    let step = second_step(&one, "ann@example.com").await;
    let assertion = second_step_assertion(&two, &step, &mut device, ORIGIN).await;
    one.accounts().verify_second_step_passkey(step.mfa_token(), &assertion, &client()).await.expect("on one");
    // And what one instance finished, the other cannot finish again.
    assert!(refused(two.accounts().login_with_passkey(options.challenge_id, &assertion, &client()).await));
}

async fn expired_ceremonies_are_refused_and_swept(db: &TestDb) {
    let todo = library(db);
    let mut device = Authenticator::new();
    let (login, _) = with_passkey(&todo, "ann@example.com", &mut device).await;
    let registration = todo.accounts().passkey_registration_options(&login.owner).await.expect("options");
    let created = Authenticator::new().create(ORIGIN, &registration.options).expect("another device makes one");
    let (sign_in, assertion) = assertion_from(&todo, &mut device, ORIGIN).await;

    let swept = todo.accounts().sweep_expired().await.expect("sweeps");
    assert_eq!(swept.ceremonies, 0, "nothing has expired yet");
    let expire = "UPDATE webauthn_challenges SET expires_at_ms = 0";
    match db.raw_pool().await {
        #[cfg(feature = "sqlite")]
        support::RawPool::Sqlite(pool) => sqlx::query(expire).execute(&pool).await.map(drop).expect("updates"),
        #[cfg(feature = "postgres")]
        support::RawPool::Postgres(pool) => sqlx::query(expire).execute(&pool).await.map(drop).expect("updates"),
    }
    let late = todo.accounts().register_passkey(&login.owner, registration.challenge_id, &created, None).await;
    assert_eq!(late.unwrap_err().field_errors()[0].field, "challenge_id");
    assert!(refused(todo.accounts().login_with_passkey(sign_in.challenge_id, &assertion, &client()).await));
    // Refused, they are still there until the sweep takes them.
    let swept = todo.accounts().sweep_expired().await.expect("sweeps");
    assert_eq!(swept.ceremonies, 2);
}

async fn removing_the_last_passkey_turns_the_second_step_off(db: &TestDb) {
    let todo = library(db);
    let mut phone = Authenticator::new();
    let (_, first) = with_passkey(&todo, "ann@example.com", &mut phone).await;
    let login = passkey_login(&todo, &mut phone).await.expect("a two-factor session");
    let mut key = Authenticator::new();
    let second = register(&todo, &login, &mut key).await;

    todo.accounts().remove_factor(&login.owner, first.factor.id).await.expect("removes");
    assert!(refused(passkey_login(&todo, &mut phone).await), "a removed passkey no longer signs in");
    let step = second_step(&todo, "ann@example.com").await;
    assert_eq!(step.methods(), [SecondStepMethod::RecoveryCode, SecondStepMethod::Passkey], "one passkey is left");

    todo.accounts().remove_factor(&login.owner, second.factor.id).await.expect("removes the last");
    second_step_is_off(&todo, "ann@example.com").await;
    // The second step in progress ended with it.
    let ended = todo.accounts().second_step_passkey_options(step.mfa_token()).await.unwrap_err();
    assert!(matches!(ended, Error::InvalidMfaToken), "{ended:?}");
}

/// A password alone signs `email` in, with one factor.
async fn second_step_is_off(todo: &Todo, email: &str) {
    let login = todo.accounts().login_from(email, PASSWORD, &client()).await.expect("no second step");
    assert_eq!(assurance_of(todo, &login), (1, "pwd".to_owned()));
}

async fn passkeys_are_off_without_a_usable_relying_party(db: &TestDb) {
    // APP_URL on an IP address: WebAuthn has no domain to bind passkeys to. The server starts all the same.
    let todo = db.todo_with(config().with_app_url("http://127.0.0.1:8000").expect("a valid URL"));
    let login = signed_up(&todo, "ann@example.com").await;
    let accounts = todo.accounts();
    let outcomes = [
        accounts.passkey_registration_options(&login.owner).await.map(drop),
        accounts.passkey_login_options().await.map(drop),
        accounts.second_step_passkey_options("any").await.map(drop),
        accounts
            .login_with_passkey("0190b5a3-7b0c-7000-8000-000000000000".parse().expect("an id"), &json!({}), &client())
            .await
            .map(drop),
    ];
    for outcome in outcomes {
        let error = outcome.unwrap_err();
        assert!(matches!(error, Error::PasskeysUnavailable), "{error:?}");
        assert_eq!(error.kind(), ErrorKind::Unsupported);
    }
    // Everything else works.
    accounts.factors(&login.owner).await.expect("lists");
}
