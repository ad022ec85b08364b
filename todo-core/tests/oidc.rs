//! Sign-in with an identity provider, on every backend, against a real OpenID Provider: the npm package
//! `oidc-provider`, started by `todo_testing::oidc::TestProvider` (the tests say "skipped" when Node.js is missing).
//!
//! Each test runs the whole dance: the library's authorization URL, the provider's login (scripted through
//! `login_hint`), the callback with the provider's code and state, and the one-time code's exchange. The provider
//! can break one claim of an account's ID tokens (`Tamper`), which the library must refuse.

mod support;

use futures::future::join_all;
use todo_core::{Client, Config, Error, Login, ProviderCallback, ProviderSettings, ProviderSignIn, Todo};
use todo_testing::oidc::PUBLIC_CLIENT_ID;
use todo_testing::oidc::{ProviderAccount, Tamper, TestProvider, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET};
use todo_testing::totp::{code_at, now_seconds};
use tokio::sync::OnceCell;
use url::Url;

use support::{config, RawPool, TestDb, PASSWORD};

backend_tests!(
    a_verified_identity_makes_an_account_without_a_password,
    a_known_identity_signs_its_account_in_again,
    a_public_client_signs_in_with_pkce_alone,
    an_email_only_at_the_userinfo_endpoint_is_read_from_there,
    a_verified_provider_email_is_linked_to_a_verified_account,
    an_unverified_provider_email_is_not_linked_and_makes_nothing,
    a_verified_provider_email_is_not_linked_to_an_unverified_account,
    an_unknown_or_missing_state_is_refused,
    a_state_works_once_also_when_sent_twice_at_once,
    first_sign_ins_of_one_identity_at_once_make_one_account,
    a_callback_from_another_browser_is_refused,
    sign_ins_started_in_two_tabs_of_one_browser_both_finish,
    an_expired_state_is_refused_and_swept,
    a_replayed_authorization_code_is_refused,
    id_tokens_with_a_broken_claim_are_refused,
    a_cancelled_sign_in_comes_back_as_access_denied,
    keys_rotated_at_the_provider_are_fetched_again,
    redirect_to_must_stay_under_app_url,
    the_exchange_code_works_once_and_expires,
    the_last_way_to_sign_in_cannot_be_unlinked,
    two_identities_unlinked_at_once_leave_one,
    an_account_with_a_second_factor_needs_the_second_step,
    a_flow_started_on_one_instance_finishes_on_another,
    starting_sign_ins_is_limited_per_network_also_in_a_burst,
);

const APP_URL: &str = "https://app.example.com";
/// The server's own base URL: the redirect URI registered with the provider is under it. Nothing listens there:
/// the tests take the provider's redirect back from its `Location` instead of following it.
const API_URL: &str = "http://127.0.0.1:9/api";

// --- Helpers ------------------------------------------------------------------------------------------------------

/// The provider every test of this binary shares (an account's faults are its own), or `None` without Node.js.
async fn provider() -> Option<&'static TestProvider> {
    static PROVIDER: OnceCell<Option<TestProvider>> = OnceCell::const_new();
    PROVIDER.get_or_init(TestProvider::start).await.as_ref()
}

/// The test configuration with `provider` as the confidential client `test`.
fn oidc_config(provider: &TestProvider) -> Config {
    let settings = ProviderSettings::new("test", provider.issuer(), CONFIDENTIAL_CLIENT_ID)
        .expect("valid settings")
        .with_client_secret(CONFIDENTIAL_CLIENT_SECRET)
        .with_label("Test provider");
    config()
        .with_app_url(APP_URL)
        .expect("valid")
        .with_api_url(API_URL)
        .expect("valid")
        .with_identity_provider(settings)
}

fn client() -> Client {
    Client::default().with_address(Some("198.51.100.7".parse().expect("an address")))
}

/// The callback of the browser that started `started`: the query of the provider's redirect, and its binding.
fn callback_of(url: &str, started: &ProviderSignIn) -> ProviderCallback {
    let url = Url::parse(url).expect("a URL");
    assert_eq!(url.path(), "/api/auth/oidc/test/callback", "the provider redirects to the registered URI: {url}");
    let value = |name: &str| url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned());
    ProviderCallback {
        code: value("code"),
        state: value("state"),
        error: value("error"),
        binding: Some(started.binding.clone()),
    }
}

/// What the callback sent the browser to: `Ok((code, redirect_to))` or `Err(error)`.
fn outcome(front_end: &str) -> Result<(String, String), String> {
    let url = Url::parse(front_end).expect("a URL");
    assert_eq!(url.origin().ascii_serialization(), APP_URL, "{front_end}");
    assert_eq!(url.path(), "/auth/callback", "{front_end}");
    let value = |name: &str| url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned());
    match (value("code"), value("error")) {
        (Some(code), None) => Ok((code, value("redirect_to").expect("redirect_to with the code"))),
        (None, Some(error)) => {
            assert!(value("error_description").is_some_and(|text| !text.is_empty()), "{front_end}");
            Err(error)
        }
        other => panic!("neither a code nor an error: {other:?} in {front_end}"),
    }
}

/// One sign-in of `account` at the provider, up to the front end's URL.
async fn sign_in_at_provider(todo: &Todo, provider: &TestProvider, account: &ProviderAccount) -> String {
    let started =
        todo.accounts().start_provider_sign_in("test", Some("/tasks"), None, &client()).await.expect("starts");
    let back = provider.log_in(&started.authorization_url, account).await;
    todo.accounts().finish_provider_sign_in("test", &callback_of(&back, &started), &client()).await
}

/// The whole dance, to a session.
async fn signed_in(todo: &Todo, provider: &TestProvider, account: &ProviderAccount) -> Login {
    let front_end = sign_in_at_provider(todo, provider, account).await;
    let (code, redirect_to) = outcome(&front_end).expect("signed in");
    assert_eq!(redirect_to, "/tasks");
    todo.accounts().exchange_provider_code(&code, &client()).await.expect("the code is exchanged")
}

/// Marks `email`'s address verified, as a followed verification link would.
async fn verify_email(db: &TestDb, email: &str) {
    let sql = "UPDATE users SET email_verified_at = created_at WHERE email = $1";
    match db.raw_pool().await {
        #[cfg(feature = "sqlite")]
        RawPool::Sqlite(pool) => sqlx::query(sql).bind(email).execute(&pool).await.map(|_| ()).expect("updates"),
        #[cfg(feature = "postgres")]
        RawPool::Postgres(pool) => sqlx::query(sql).bind(email).execute(&pool).await.map(|_| ()).expect("updates"),
    }
}

/// Runs `sql` (no parameters) on the test's database.
async fn execute(db: &TestDb, sql: &str) -> u64 {
    match db.raw_pool().await {
        #[cfg(feature = "sqlite")]
        RawPool::Sqlite(pool) => sqlx::query(sql).execute(&pool).await.expect("runs").rows_affected(),
        #[cfg(feature = "postgres")]
        RawPool::Postgres(pool) => sqlx::query(sql).execute(&pool).await.expect("runs").rows_affected(),
    }
}

fn unique_email(name: &str) -> String {
    format!("{name}-{}@example.test", uuid::Uuid::now_v7().simple())
}

// --- Tests --------------------------------------------------------------------------------------------------------

async fn a_verified_identity_makes_an_account_without_a_password(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let email = unique_email("ann");
    let login = signed_in(&todo, provider, &ProviderAccount::new(&email)).await;

    assert_eq!(login.user.email.as_str(), email);
    assert!(!login.user.has_password);
    assert!(login.user.email_verified_at.is_some(), "the provider vouched for the address");
    let claims = todo.accounts().authenticate(&login.token.access_token).await.expect("a valid token").claims;
    assert_eq!((claims.aal, claims.amr.as_slice()), (1, ["oidc".to_owned()].as_slice()));
    let identities = todo.accounts().identities(&login.owner).await.expect("lists");
    assert_eq!(identities.len(), 1);
    assert_eq!((identities[0].provider.as_str(), identities[0].email.as_str()), ("test", email.as_str()));
    // No password works for it, and the answer is the usual one.
    let refused = todo.accounts().login(&email, PASSWORD).await.unwrap_err();
    assert!(matches!(refused, Error::InvalidCredentials), "{refused:?}");
    let refused = todo.accounts().login(&email, "").await.unwrap_err();
    assert!(matches!(refused, Error::InvalidCredentials), "{refused:?}");
}

async fn a_known_identity_signs_its_account_in_again(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let account = ProviderAccount::new(unique_email("bea"));
    let first = signed_in(&todo, provider, &account).await;
    // The provider's email may change later: the subject is what names the identity.
    let moved = ProviderAccount { email: unique_email("bea-moved"), ..account.clone() };
    let again = signed_in(&todo, provider, &moved).await;
    assert_eq!(again.user.id, first.user.id);
    assert_ne!(again.owner.session_id(), first.owner.session_id(), "a new session");
    assert_eq!(todo.accounts().identities(&again.owner).await.expect("lists").len(), 1);
}

async fn a_public_client_signs_in_with_pkce_alone(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let settings = ProviderSettings::new("test", provider.issuer(), PUBLIC_CLIENT_ID).expect("valid settings");
    let config = config().with_app_url(APP_URL).expect("valid").with_api_url(API_URL).expect("valid");
    let todo = db.todo_with(config.with_identity_provider(settings));
    let login = signed_in(&todo, provider, &ProviderAccount::new(unique_email("pub"))).await;
    assert!(!login.user.has_password);
}

async fn an_email_only_at_the_userinfo_endpoint_is_read_from_there(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let email = unique_email("uma");
    let login = signed_in(&todo, provider, &ProviderAccount::new(&email).tamper(Tamper::EmailInUserinfoOnly)).await;
    assert_eq!(login.user.email.as_str(), email);
    // Unverified at the userinfo endpoint is unverified too.
    let unverified = ProviderAccount::new(unique_email("umb")).unverified().tamper(Tamper::EmailInUserinfoOnly);
    assert_eq!(outcome(&sign_in_at_provider(&todo, provider, &unverified).await), Err("email_not_verified".to_owned()));
}

async fn a_verified_provider_email_is_linked_to_a_verified_account(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let email = unique_email("cy");
    let user = todo.accounts().signup(&email, PASSWORD).await.expect("signs up");
    verify_email(db, &email).await;

    let login = signed_in(&todo, provider, &ProviderAccount::new(email.to_uppercase())).await;
    assert_eq!(login.user.id, user.id, "linked to the account with that mailbox, in any spelling");
    assert!(login.user.has_password, "the account keeps its password");
    todo.accounts().login(&email, PASSWORD).await.expect("and the password still works");
    assert_eq!(todo.accounts().identities(&login.owner).await.expect("lists").len(), 1);
}

async fn an_unverified_provider_email_is_not_linked_and_makes_nothing(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let email = unique_email("dee");
    todo.accounts().signup(&email, PASSWORD).await.expect("signs up");
    verify_email(db, &email).await;

    let front_end = sign_in_at_provider(&todo, provider, &ProviderAccount::new(&email).unverified()).await;
    assert_eq!(outcome(&front_end), Err("email_not_verified".to_owned()));
    let fresh = unique_email("fresh");
    let front_end = sign_in_at_provider(&todo, provider, &ProviderAccount::new(&fresh).unverified()).await;
    assert_eq!(outcome(&front_end), Err("email_not_verified".to_owned()));
    assert_eq!(execute(db, "DELETE FROM identities").await, 0, "nothing was linked");
    assert!(todo.accounts().login(&fresh, PASSWORD).await.is_err());
    assert_eq!(execute(db, "UPDATE users SET email = email").await, 1, "no account was made");
}

async fn a_verified_provider_email_is_not_linked_to_an_unverified_account(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let email = unique_email("eve");
    let user = todo.accounts().signup(&email, PASSWORD).await.expect("signs up");

    let front_end = sign_in_at_provider(&todo, provider, &ProviderAccount::new(&email)).await;
    assert_eq!(outcome(&front_end), Err("account_not_linked".to_owned()));
    assert_eq!(execute(db, "DELETE FROM identities").await, 0, "nothing was linked");
    let login = todo.accounts().login(&email, PASSWORD).await.expect("the owner still signs in");
    assert_eq!((login.user.id, login.user.email_verified_at), (user.id, None));
}

async fn an_unknown_or_missing_state_is_refused(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let started = todo.accounts().start_provider_sign_in("test", None, None, &client()).await.expect("starts");
    let back = callback_of(
        &provider.log_in(&started.authorization_url, &ProviderAccount::new(unique_email("fay"))).await,
        &started,
    );

    let forged = ProviderCallback { state: Some("made-up".into()), ..back.clone() };
    let front_end = todo.accounts().finish_provider_sign_in("test", &forged, &client()).await;
    assert_eq!(outcome(&front_end), Err("invalid_state".to_owned()));
    let missing = ProviderCallback { state: None, ..back.clone() };
    let front_end = todo.accounts().finish_provider_sign_in("test", &missing, &client()).await;
    assert_eq!(outcome(&front_end), Err("invalid_request".to_owned()));
    // The state belongs to `test`: another provider's callback cannot spend it, nor use it after.
    let front_end = todo.accounts().finish_provider_sign_in("other", &back, &client()).await;
    assert_eq!(outcome(&front_end), Err("invalid_state".to_owned()));
    let front_end = todo.accounts().finish_provider_sign_in("test", &back, &client()).await;
    assert_eq!(outcome(&front_end), Err("invalid_state".to_owned()));
}

async fn a_state_works_once_also_when_sent_twice_at_once(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let started = todo.accounts().start_provider_sign_in("test", None, None, &client()).await.expect("starts");
    let back = callback_of(
        &provider.log_in(&started.authorization_url, &ProviderAccount::new(unique_email("gus"))).await,
        &started,
    );

    let client = client();
    let answers = join_all((0..10).map(|_| todo.accounts().finish_provider_sign_in("test", &back, &client))).await;
    let codes: Vec<_> = answers.iter().filter_map(|answer| outcome(answer).ok()).collect();
    assert_eq!(codes.len(), 1, "one callback goes on: {answers:#?}");
    assert!(answers.iter().filter_map(|answer| outcome(answer).err()).all(|error| error == "invalid_state"));
    let logins = join_all((0..10).map(|_| todo.accounts().exchange_provider_code(&codes[0].0, &client))).await;
    assert_eq!(logins.iter().filter(|login| login.is_ok()).count(), 1, "one exchange signs in: {logins:#?}");
}

async fn first_sign_ins_of_one_identity_at_once_make_one_account(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    // One new user, five tabs: five flows, whose callbacks all arrive at once.
    let account = ProviderAccount::new(unique_email("quinn"));
    let mut callbacks = Vec::new();
    let mut binding = None;
    for _ in 0..5 {
        let started =
            todo.accounts().start_provider_sign_in("test", None, binding.as_deref(), &client()).await.expect("starts");
        binding = Some(started.binding.clone());
        callbacks.push(callback_of(&provider.log_in(&started.authorization_url, &account).await, &started));
    }
    let client = client();
    let answers =
        join_all(callbacks.iter().map(|back| todo.accounts().finish_provider_sign_in("test", back, &client))).await;
    let mut users = Vec::new();
    for answer in &answers {
        let (code, _) = outcome(answer).expect("every tab signs in");
        users.push(todo.accounts().exchange_provider_code(&code, &client).await.expect("exchanges").user.id);
    }
    assert!(users.iter().all(|user| *user == users[0]), "one account: {users:?}");
    assert_eq!(execute(db, "UPDATE identities SET email = email").await, 1, "one identity");
    assert_eq!(execute(db, "UPDATE users SET email = email").await, 1, "one user");
}

async fn a_callback_from_another_browser_is_refused(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    // The attacker's sign-in, whose callback URL the victim's browser is made to open (login CSRF).
    let attacker = ProviderAccount::new(unique_email("mallory"));
    for victims_binding in [None, Some("a".repeat(43))] {
        let started = todo.accounts().start_provider_sign_in("test", None, None, &client()).await.expect("starts");
        let back = callback_of(&provider.log_in(&started.authorization_url, &attacker).await, &started);
        let in_the_victims_browser = ProviderCallback { binding: victims_binding, ..back.clone() };
        let front_end = todo.accounts().finish_provider_sign_in("test", &in_the_victims_browser, &client()).await;
        assert_eq!(outcome(&front_end), Err("invalid_state".to_owned()));
        // And the flow is spent: not even the attacker's own browser can finish it after.
        let front_end = todo.accounts().finish_provider_sign_in("test", &back, &client()).await;
        assert_eq!(outcome(&front_end), Err("invalid_state".to_owned()));
    }
    assert_eq!(execute(db, "DELETE FROM oidc_exchange_codes").await, 0, "no code was issued");
}

async fn sign_ins_started_in_two_tabs_of_one_browser_both_finish(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let first = todo.accounts().start_provider_sign_in("test", None, None, &client()).await.expect("starts");
    let second = todo
        .accounts()
        .start_provider_sign_in("test", None, Some(&first.binding), &client())
        .await
        .expect("starts in tab two");
    assert_eq!(second.binding, first.binding, "the browser's binding is kept");
    let forged =
        todo.accounts().start_provider_sign_in("test", None, Some("not one of ours"), &client()).await.expect("starts");
    assert_ne!(forged.binding, "not one of ours", "a binding this server did not make is replaced");
    for started in [&second, &first] {
        let account = ProviderAccount::new(unique_email("tab"));
        let back = callback_of(&provider.log_in(&started.authorization_url, &account).await, started);
        let front_end = todo.accounts().finish_provider_sign_in("test", &back, &client()).await;
        outcome(&front_end).expect("each tab signs in");
    }
}

async fn an_expired_state_is_refused_and_swept(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let started = todo.accounts().start_provider_sign_in("test", None, None, &client()).await.expect("starts");
    let back = callback_of(
        &provider.log_in(&started.authorization_url, &ProviderAccount::new(unique_email("hal"))).await,
        &started,
    );
    todo.accounts().start_provider_sign_in("test", None, None, &client()).await.expect("another, never finished");
    assert_eq!(execute(db, "UPDATE oidc_flows SET expires_at_ms = 0").await, 2);

    let front_end = todo.accounts().finish_provider_sign_in("test", &back, &client()).await;
    assert_eq!(outcome(&front_end), Err("invalid_state".to_owned()));
    let swept = todo.accounts().sweep_expired().await.expect("sweeps");
    assert_eq!(swept.provider_flows, 2, "the expired flows are swept: {swept:?}");
}

async fn a_replayed_authorization_code_is_refused(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let account = ProviderAccount::new(unique_email("ida"));
    let started = todo.accounts().start_provider_sign_in("test", None, None, &client()).await.expect("starts");
    let first = callback_of(&provider.log_in(&started.authorization_url, &account).await, &started);
    let front_end = todo.accounts().finish_provider_sign_in("test", &first, &client()).await;
    outcome(&front_end).expect("the first use signs in");

    // The same code again, with a fresh state of this server: the provider refuses to exchange it twice.
    let started = todo.accounts().start_provider_sign_in("test", None, None, &client()).await.expect("starts again");
    let fresh = callback_of(&provider.log_in(&started.authorization_url, &account).await, &started);
    let replay = ProviderCallback { code: first.code.clone(), ..fresh };
    let front_end = todo.accounts().finish_provider_sign_in("test", &replay, &client()).await;
    assert_eq!(outcome(&front_end), Err("provider_error".to_owned()));
}

async fn id_tokens_with_a_broken_claim_are_refused(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    for tamper in [Tamper::Aud, Tamper::Expired, Tamper::Nonce, Tamper::Issuer, Tamper::UnknownKey] {
        let account = ProviderAccount::new(unique_email("jo")).tamper(tamper);
        let front_end = sign_in_at_provider(&todo, provider, &account).await;
        assert_eq!(outcome(&front_end), Err("provider_error".to_owned()), "{tamper:?}");
    }
    assert_eq!(execute(db, "DELETE FROM identities").await, 0, "nothing was linked");
    assert_eq!(execute(db, "DELETE FROM oidc_exchange_codes").await, 0, "no code was issued");
}

async fn a_cancelled_sign_in_comes_back_as_access_denied(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let started = todo.accounts().start_provider_sign_in("test", None, None, &client()).await.expect("starts");
    let state = Url::parse(&started.authorization_url)
        .expect("a URL")
        .query_pairs()
        .find(|(key, _)| key == "state")
        .map(|(_, value)| value.into_owned());
    let cancelled =
        ProviderCallback { code: None, state, error: Some("access_denied".into()), binding: Some(started.binding) };
    let front_end = todo.accounts().finish_provider_sign_in("test", &cancelled, &client()).await;
    assert_eq!(outcome(&front_end), Err("access_denied".to_owned()));
}

async fn keys_rotated_at_the_provider_are_fetched_again(db: &TestDb) {
    // A provider of its own: rotating the shared one's keys would be a change under the other tests' feet.
    let Some(provider) = TestProvider::start().await else { return };
    let todo = db.todo_with(oidc_config(&provider));
    signed_in(&todo, &provider, &ProviderAccount::new(unique_email("kim"))).await;
    provider.rotate_keys().await;
    // The library still holds the old keys: the ID token names a new one, which it fetches and then trusts.
    let login = signed_in(&todo, &provider, &ProviderAccount::new(unique_email("kim2"))).await;
    assert!(!login.user.has_password);
}

async fn redirect_to_must_stay_under_app_url(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    for outside in ["https://evil.example/tasks", "//evil.example", "tasks"] {
        let error = todo.accounts().start_provider_sign_in("test", Some(outside), None, &client()).await.unwrap_err();
        assert!(matches!(&error, Error::Validation(fields) if fields[0].field == "redirect_to"), "{outside}");
    }
    let unknown = todo.accounts().start_provider_sign_in("nobody", Some("/tasks"), None, &client()).await.unwrap_err();
    assert!(matches!(unknown, Error::UnknownProvider));
    assert_eq!(execute(db, "DELETE FROM oidc_flows").await, 0, "no flow was stored");
}

async fn the_exchange_code_works_once_and_expires(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let account = ProviderAccount::new(unique_email("lee"));
    let (code, _) = outcome(&sign_in_at_provider(&todo, provider, &account).await).expect("a code");
    todo.accounts().exchange_provider_code(&code, &client()).await.expect("works");
    let used = todo.accounts().exchange_provider_code(&code, &client()).await.unwrap_err();
    assert!(matches!(&used, Error::Validation(fields) if fields[0].field == "code"), "{used:?}");

    let (code, _) = outcome(&sign_in_at_provider(&todo, provider, &account).await).expect("a code");
    assert_eq!(execute(db, "UPDATE oidc_exchange_codes SET expires_at_ms = 0").await, 1);
    let expired = todo.accounts().exchange_provider_code(&code, &client()).await.unwrap_err();
    assert!(matches!(&expired, Error::Validation(fields) if fields[0].field == "code"), "{expired:?}");
    assert_eq!(todo.accounts().sweep_expired().await.expect("sweeps").exchange_codes, 1);
}

async fn the_last_way_to_sign_in_cannot_be_unlinked(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let login = signed_in(&todo, provider, &ProviderAccount::new(unique_email("max"))).await;
    let identity = todo.accounts().identities(&login.owner).await.expect("lists")[0].id;
    let refused = todo.accounts().unlink_identity(&login.owner, identity).await.unwrap_err();
    assert!(matches!(refused, Error::LastSignInMethod), "{refused:?}");

    // With a password (set through "forgot password"), the identity may go.
    let mail = todo.accounts().password_reset_mail(&login.user.email).await.expect("reads").expect("a mail");
    let text = &mail.mail().text;
    let token = text.split("token=").nth(1).and_then(|rest| rest.split_whitespace().next()).expect("a token");
    todo.accounts().reset_password(token, "a brand new password", None).await.expect("resets");
    let login = todo.accounts().login(login.user.email.as_str(), "a brand new password").await.expect("logs in");
    assert!(login.user.has_password);
    todo.accounts().unlink_identity(&login.owner, identity).await.expect("unlinks");
    assert!(todo.accounts().identities(&login.owner).await.expect("lists").is_empty());
    let gone = todo.accounts().unlink_identity(&login.owner, identity).await.unwrap_err();
    assert!(matches!(gone, Error::NotFound), "{gone:?}");
}

async fn two_identities_unlinked_at_once_leave_one(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let email = unique_email("ned");
    let login = signed_in(&todo, provider, &ProviderAccount::new(&email)).await;
    // A second identity at the provider with the same verified address joins the (verified) account.
    let second = signed_in(&todo, provider, &ProviderAccount::new(&email)).await;
    assert_eq!(second.user.id, login.user.id);
    let identities = todo.accounts().identities(&login.owner).await.expect("lists");
    assert_eq!(identities.len(), 2);

    let outcomes =
        join_all(identities.iter().map(|identity| todo.accounts().unlink_identity(&login.owner, identity.id))).await;
    assert_eq!(outcomes.iter().filter(|outcome| outcome.is_ok()).count(), 1, "{outcomes:?}");
    assert!(outcomes.iter().any(|outcome| matches!(outcome, Err(Error::LastSignInMethod))), "{outcomes:?}");
    assert_eq!(todo.accounts().identities(&login.owner).await.expect("lists").len(), 1);
}

async fn an_account_with_a_second_factor_needs_the_second_step(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let todo = db.todo_with(oidc_config(provider));
    let email = unique_email("ora");
    todo.accounts().signup(&email, PASSWORD).await.expect("signs up");
    verify_email(db, &email).await;
    let login = todo.accounts().login(&email, PASSWORD).await.expect("logs in");
    let enrolment = todo.accounts().enroll_totp(&login.owner, Some(PASSWORD), None, &client()).await.expect("enrols");
    let code = code_at(enrolment.secret(), now_seconds());
    todo.accounts().confirm_totp(&login.owner, enrolment.factor_id, &code).await.expect("confirms");

    let (code, _) =
        outcome(&sign_in_at_provider(&todo, provider, &ProviderAccount::new(&email)).await).expect("linked");
    match todo.accounts().exchange_provider_code(&code, &client()).await {
        Err(Error::SecondStepRequired(step)) => assert!(!step.mfa_token().is_empty()),
        other => panic!("expected the second step, got {other:?}"),
    }
}

async fn a_flow_started_on_one_instance_finishes_on_another(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let (one, other) = (db.todo_with(oidc_config(provider)), db.todo_with(oidc_config(provider)));
    let started =
        one.accounts().start_provider_sign_in("test", Some("/tasks"), None, &client()).await.expect("starts on one");
    let back = provider.log_in(&started.authorization_url, &ProviderAccount::new(unique_email("pia"))).await;
    let front_end = other.accounts().finish_provider_sign_in("test", &callback_of(&back, &started), &client()).await;
    let (code, _) = outcome(&front_end).expect("the other instance finishes it");
    one.accounts().exchange_provider_code(&code, &client()).await.expect("and the first exchanges the code");
}

async fn starting_sign_ins_is_limited_per_network_also_in_a_burst(db: &TestDb) {
    let Some(provider) = provider().await else { return };
    let limits = todo_core::AbuseLimits { provider_sign_ins_per_client: 5, ..todo_core::AbuseLimits::default() };
    let todo = db.todo_with(oidc_config(provider).with_abuse_limits(limits).expect("valid limits"));
    let client = client();
    let starts = join_all((0..20).map(|_| todo.accounts().start_provider_sign_in("test", None, None, &client))).await;
    assert_eq!(starts.iter().filter(|start| start.is_ok()).count(), 5, "the budget, not more: {starts:?}");
    assert!(starts
        .iter()
        .filter_map(|start| start.as_ref().err())
        .all(|error| matches!(error, Error::RateLimited { .. })));
    assert_eq!(execute(db, "DELETE FROM oidc_flows").await, 5, "a refused start stores nothing");
    // Another network has its own budget.
    let elsewhere = Client::default().with_address(Some("203.0.113.9".parse().expect("an address")));
    todo.accounts().start_provider_sign_in("test", None, None, &elsewhere).await.expect("starts");
}
