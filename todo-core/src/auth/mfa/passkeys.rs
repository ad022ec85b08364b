//! Passkeys (WebAuthn): registering one as a factor, signing in with one alone, and the passkey of a sign-in's
//! second step. webauthn-rs checks each ceremony (challenge, origin, relying-party id hash, user presence and
//! verification, signature, signature counter); this module keeps the ceremonies' state and decides what happens
//! once.
//!
//! - **State in the database.** The options of a ceremony and its answer are two requests, possibly to two
//!   instances: the server's half (webauthn-rs' state, as JSON) waits in `webauthn_challenges` for
//!   [`PASSKEY_CHALLENGE_TTL`]. The library accepts a second answer to a saved state, and its states carry no time,
//!   so finishing a ceremony first deletes its row (`DELETE … RETURNING`): the database decides that it is used
//!   once, and the row's `expires_at_ms` that it is still live. A refused answer spends the ceremony too (only a
//!   body that is not WebAuthn's JSON at all is turned away before).
//! - **Registration** asks for a discoverable credential (webauthn-rs' passkey options say "resident key
//!   discouraged"; the options sent are raised to "required") and user verification, excludes the user's
//!   registered passkeys, and refuses a credential whose browser says it is not discoverable (`credProps.rk`). A
//!   credential id is registered once across all accounts: the `UNIQUE` constraint on `passkey_credential_id`
//!   decides.
//! - **Signing in with a passkey alone** is discoverable: the answer names its credential and a user handle (the
//!   user's id, written into the credential at registration). The handle is not signed, so the credential is
//!   looked up by its id and refused unless it belongs to the user the handle names.
//! - **Assertions are checked against the stored credential under its row's lock**, and the new signature counter
//!   is written in the same transaction, so a counter that does not go up (where either is non-zero) is refused
//!   even when two assertions race. That is why the second step uses webauthn-rs' discoverable state too, with the
//!   user's passkeys listed in its options: the library's known-user state checks the counter against a copy of
//!   the credentials taken when the options were made, and would let a stale copy pass.

use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    Webauthn, WebauthnError,
};
use webauthn_rs_proto::{AllowCredentials, ResidentKeyRequirement};

use super::totp::{raise_session, Confirmed};
use super::{clean_name, recovery, replace_recovery_codes, Factor, FactorKind, MAX_FACTORS};
use crate::abuse::Client;
use crate::auth::accounts::{Accounts, Login};
use crate::auth::assurance::{Assurance, Method};
use crate::auth::relying_party::PASSKEY_CHALLENGE_TTL;
use crate::clock::{millis, now, unix_ms};
use crate::error::{Error, Result, TokenError};
use crate::ids::{ChallengeId, FactorId, UserId};
use crate::secret::token_hash;
use crate::store::{is_unique_violation, on_connection, owner_is_current, refusal, stale_owner, BindOwner as _, Owner};

/// The name a passkey gets when the user gives none.
const DEFAULT_NAME: &str = "Passkey";

/// The options of a passkey ceremony: hand `options` to the browser (`navigator.credentials.create()` or `.get()`,
/// after decoding its base64url fields, or `PublicKeyCredential.parseCreationOptionsFromJSON()` /
/// `parseRequestOptionsFromJSON()` of its `publicKey`), and send its answer back with `challenge_id` within
/// [`PASSKEY_CHALLENGE_TTL`]. Each works once.
#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyOptions {
    /// Names the ceremony when it is finished.
    pub challenge_id: ChallengeId,
    /// `{"publicKey": {…}}`: `PublicKeyCredentialCreationOptions` (registration) or
    /// `PublicKeyCredentialRequestOptions` (sign-in, second step) in the WebAuthn JSON encoding (binary fields in
    /// base64url).
    pub options: serde_json::Value,
}

/// What a ceremony row is for (its `purpose` column).
#[derive(Clone, Copy)]
enum Purpose {
    Registration,
    Login,
    SecondStep,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Registration => "registration",
            Purpose::Login => "login",
            Purpose::SecondStep => "second_step",
        }
    }
}

/// The outcome of checking an assertion against the stored credential.
enum Checked {
    /// It checked out, for this user; the counter and `last_used_at` are written.
    Passed(UserId),
    /// It did not; why, for the log (never for the client).
    Refused(&'static str),
}

/// A passkey row, locked for its check.
#[derive(sqlx::FromRow)]
struct PasskeyRow {
    id: Uuid,
    user_id: Uuid,
    passkey: Option<String>,
}

/// What the registration's transaction found.
enum Registered {
    Added { first: bool },
    TooManyFactors,
    NeedsTwoFactors,
    OwnerGone,
}

/// Checks `assertion` against the locked passkey `row`, which must be `user`'s: the passkey's new JSON when its
/// counter or backup state moved (`None` when nothing changed), or why it is refused.
fn verify_against(
    webauthn: &Webauthn,
    assertion: &PublicKeyCredential,
    state: DiscoverableAuthentication,
    row: &PasskeyRow,
    user: UserId,
) -> std::result::Result<Option<String>, &'static str> {
    if row.user_id != user.as_uuid() {
        // The unsigned user handle (or the second step's account) and the credential's owner differ.
        tracing::warn!(%user, owner = %row.user_id, "a passkey was presented for another user than its own");
        return Err("the passkey belongs to another user");
    }
    let Some(mut passkey) = row.passkey.as_deref().and_then(|json| serde_json::from_str::<Passkey>(json).ok()) else {
        tracing::error!(factor = %row.id, "a passkey row that webauthn-rs cannot read");
        return Err("the stored passkey cannot be read");
    };
    let result = match webauthn.finish_discoverable_authentication_v2(assertion, state, &passkey) {
        Ok(result) => result,
        Err(WebauthnError::CredentialPossibleCompromise) => {
            tracing::warn!(%user, factor = %row.id, "a passkey's signature counter did not go up: a cloned key?");
            return Err("the signature counter did not go up");
        }
        Err(error) => {
            tracing::debug!(%error, "passkey assertion refused by webauthn-rs");
            return Err("the assertion does not check out");
        }
    };
    // `update_credential` only moves the counter forward.
    if result.needs_update() && passkey.update_credential(&result) == Some(true) {
        return serde_json::to_string(&passkey).map(Some).map_err(|error| {
            tracing::error!(%error, factor = %row.id, "a passkey that cannot be serialised");
            "the passkey cannot be stored"
        });
    }
    Ok(None)
}

/// A validation error on the `credential` field.
fn invalid_credential(message: &str) -> Error {
    Error::invalid("credential", message)
}

/// The answer a WebAuthn ceremony sends back, parsed; a validation error on `credential` when it is not one.
fn parse_credential<T: serde::de::DeserializeOwned>(credential: &serde_json::Value, what: &str) -> Result<T> {
    T::deserialize(credential).map_err(|error| {
        tracing::debug!(%error, "a passkey credential of the wrong shape");
        invalid_credential(&format!("is not {what} (PublicKeyCredential.toJSON() in the browser)"))
    })
}

/// A state to keep in a ceremony row.
fn state_json(state: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(state).map_err(Error::internal)
}

/// A state read back from a ceremony row (written by this version of webauthn-rs: it is pinned).
fn read_state<T: serde::de::DeserializeOwned>(state: &str) -> Result<T> {
    serde_json::from_str(state).map_err(Error::internal)
}

impl Accounts {
    /// The options for adding a passkey to the owner's account, to hand to the browser
    /// (`navigator.credentials.create()`); finish with [`Accounts::register_passkey`]. They ask for a discoverable
    /// credential and user verification, and exclude the passkeys the account has.
    ///
    /// Needs a session that is current, and a two-factor one once the account has a factor
    /// ([`Error::TwoFactorSessionRequired`]); an account has at most [`MAX_FACTORS`] factors (a validation error
    /// on `factors`). [`Error::PasskeysUnavailable`] when the server has no usable relying party.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use todo_core::{Client, Config, Todo};
    /// use todo_testing::authenticator::Authenticator; // the tests' software authenticator
    ///
    /// let config = Config::new("use at least 32 random bytes here!!")?
    ///     .with_bcrypt_cost(4)? // fast for the example
    ///     .with_webauthn("app.example.com", "https://app.example.com")?
    ///     .with_database_url("sqlite::memory:");
    /// let todo = Todo::connect(&config).await?;
    /// todo.accounts().signup("ann@example.com", "correct horse battery").await?;
    /// let login = todo.accounts().login("ann@example.com", "correct horse battery").await?;
    ///
    /// // Registration: the options go to the browser, and its answer comes back.
    /// let options = todo.accounts().passkey_registration_options(&login.owner).await?;
    /// let mut phone = Authenticator::new(); // in a real app, the browser and the user's device
    /// let created = phone.create("https://app.example.com", &options.options).expect("a new passkey");
    /// let confirmed =
    ///     todo.accounts().register_passkey(&login.owner, options.challenge_id, &created, Some("Phone")).await?;
    /// assert_eq!(confirmed.recovery_codes.map(|codes| codes.len()), Some(10)); // the first factor: shown once
    ///
    /// // Later, on any device that has the passkey: no email, no password.
    /// let options = todo.accounts().passkey_login_options().await?;
    /// let assertion = phone.get("https://app.example.com", &options.options).expect("signed");
    /// let login = todo.accounts().login_with_passkey(options.challenge_id, &assertion, &Client::default()).await?;
    /// assert_eq!(login.user.email.as_str(), "ann@example.com");
    /// assert_eq!(todo.accounts().session_assurance(&login.owner).await?.aal(), 2);
    /// # Ok::<(), todo_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn passkey_registration_options(&self, owner: &Owner) -> Result<PasskeyOptions> {
        let webauthn = self.mfa.passkeys.webauthn()?;
        let assurance = self.session_assurance(owner).await?;
        let user = owner.user_id();
        let factors: Vec<(Option<Vec<u8>>, Option<time::OffsetDateTime>)> = on_connection!(reading self.store, |conn| {
            sqlx::query_as("SELECT passkey_credential_id, confirmed_at FROM mfa_factors WHERE user_id = $1")
                .bind(user.as_uuid())
                .fetch_all(conn)
                .await
        })?;
        if factors.iter().any(|(_, confirmed)| confirmed.is_some()) && assurance.aal() < 2 {
            return Err(Error::TwoFactorSessionRequired);
        }
        if factors.len() >= usize::try_from(MAX_FACTORS).unwrap_or(usize::MAX) {
            return Err(Error::invalid("factors", format!("an account has at most {MAX_FACTORS} factors")));
        }
        let stored = self.find_stored(user).await?.ok_or(TokenError::UnknownUser)?;
        let exclude: Vec<Vec<u8>> = factors.into_iter().filter_map(|(credential, _)| credential).collect();
        let email = stored.user.email.as_str();
        // The user handle is the user's id: what a discoverable sign-in names its user by.
        let (mut creation, state) = webauthn
            .start_passkey_registration(user.as_uuid(), email, email, (!exclude.is_empty()).then_some(exclude))
            .map_err(Error::internal)?;
        // A passkey that signs in without a username must live on the authenticator: ask for a resident key (the
        // library's passkey options discourage one, and it does not check residency at the end; `credProps` does).
        if let Some(selection) = creation.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        let options = serde_json::to_value(&creation).map_err(Error::internal)?;
        let state = state_json(&state)?;
        let id = Uuid::now_v7();
        let now_ms = unix_ms(now());
        let inserted = on_connection!(self.store, |conn| {
            sqlx::query(concat!(
                "INSERT INTO webauthn_challenges (id, user_id, purpose, state, expires_at_ms) \
                 SELECT $4, $1, 'registration', $5, $6 WHERE ",
                owner_is_current!()
            ))
            .bind_owner_at(owner, now_ms)
            .bind(id)
            .bind(&state)
            .bind(now_ms.saturating_add(millis(PASSKEY_CHALLENGE_TTL)))
            .execute(conn)
            .await
            .map(|done| done.rows_affected())
        })?;
        if inserted == 0 {
            return Err(refusal(&self.store, owner).await);
        }
        Ok(PasskeyOptions { challenge_id: ChallengeId::from_uuid(id), options })
    }

    /// Finishes adding a passkey: `credential` is the browser's answer to the options of `challenge`
    /// (`PublicKeyCredential.toJSON()` of what `navigator.credentials.create()` returned), `name` what the user
    /// calls it (default "Passkey"; cleaned as factor names are). The passkey is in force at once.
    ///
    /// The account's first factor also raises the owner's session to two factors, ends every other session of the
    /// user, and returns the ten recovery codes, as [`Accounts::confirm_totp`] does.
    ///
    /// The ceremony is spent whatever the outcome. A challenge that is unknown, used, expired or another user's is a
    /// validation error on `challenge_id`; an answer that does not check out (wrong challenge, origin or relying
    /// party, no user verification, not a discoverable credential, a bad signature or attestation) or a passkey
    /// registered already (to anyone) is a validation error on `credential`.
    pub async fn register_passkey(
        &self,
        owner: &Owner,
        challenge: ChallengeId,
        credential: &serde_json::Value,
        name: Option<&str>,
    ) -> Result<Confirmed> {
        let webauthn = self.mfa.passkeys.webauthn()?;
        let registration: RegisterPublicKeyCredential = parse_credential(credential, "a WebAuthn registration")?;
        let Some(state) = self.take_ceremony(challenge, Purpose::Registration, Some(owner.user_id())).await? else {
            if let Some(stale) = stale_owner(&self.store, owner).await? {
                return Err(stale.into());
            }
            return Err(Error::invalid("challenge_id", "is unknown, used or expired: ask for new options"));
        };
        let state: PasskeyRegistration = read_state(&state)?;
        // An unsigned report of the browser's, enough to refuse an authenticator that ignored "resident key
        // required" (it could not sign in without a username).
        if registration.extensions.cred_props.as_ref().and_then(|props| props.rk) == Some(false) {
            return Err(invalid_credential("is not discoverable: the authenticator did not store the passkey"));
        }
        let passkey = webauthn.finish_passkey_registration(&registration, &state).map_err(|error| {
            tracing::info!(user = %owner.user_id(), %error, "passkey registration refused");
            invalid_credential("does not answer these options for this site")
        })?;
        let passkey_json = state_json(&passkey)?;
        let codes = recovery::generate()?;
        let name = clean_name(name, DEFAULT_NAME);
        let factor = Uuid::now_v7();
        let now = now();
        let user = owner.user_id().as_uuid();
        let outcome = on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            // The user's row lock (a write on SQLite): factor changes of one account run one after the other, so
            // exactly one of them is the first, and the count below holds until the commit.
            sqlx::query("UPDATE users SET email_verified_at = email_verified_at WHERE id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await?;
            let (confirmed, all): (i64, i64) =
                sqlx::query_as("SELECT COUNT(confirmed_at), COUNT(*) FROM mfa_factors WHERE user_id = $1")
                    .bind(user)
                    .fetch_one(&mut *tx)
                    .await?;
            if all >= MAX_FACTORS {
                tx.rollback().await?;
                return Ok(Registered::TooManyFactors);
            }
            if confirmed > 0 {
                // A factor confirmed since the options were made: the session must be a two-factor one now.
                let aal: Option<i16> = sqlx::query_scalar("SELECT aal FROM sessions WHERE id = $1 AND user_id = $2")
                    .bind(owner.session_id().as_uuid())
                    .bind(user)
                    .fetch_optional(&mut *tx)
                    .await?;
                if aal != Some(2) {
                    tx.rollback().await?;
                    return Ok(Registered::NeedsTwoFactors);
                }
            }
            let inserted = sqlx::query(concat!(
                "INSERT INTO mfa_factors \
                 (id, user_id, kind, name, created_at, last_used_at, confirmed_at, passkey_credential_id, passkey) \
                 SELECT $4, $1, 'passkey', $5, $6, $6, $6, $7, $8 WHERE ",
                owner_is_current!()
            ))
            .bind_owner_at(owner, unix_ms(now))
            .bind(factor)
            .bind(&name)
            .bind(now)
            .bind(passkey.cred_id().as_slice())
            .bind(&passkey_json)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if inserted == 0 {
                tx.rollback().await?;
                return Ok(Registered::OwnerGone);
            }
            let first = confirmed == 0;
            if first {
                replace_recovery_codes!(tx, user, &codes).await?;
                raise_session!(tx, owner, Method::Passkey).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Registered::Added { first })
        }
        .await);
        let first = match outcome {
            Ok(Registered::Added { first }) => first,
            Ok(Registered::TooManyFactors) => {
                return Err(Error::invalid("factors", format!("an account has at most {MAX_FACTORS} factors")))
            }
            Ok(Registered::NeedsTwoFactors) => return Err(Error::TwoFactorSessionRequired),
            Ok(Registered::OwnerGone) => return Err(refusal(&self.store, owner).await),
            // "You MUST assert that the registered CredentialID has not previously been registered to any other
            // account" (webauthn-rs): the UNIQUE constraint does, for this account's passkeys too.
            Err(error) if is_unique_violation(&error) => {
                return Err(invalid_credential("is registered already: this passkey is in use"))
            }
            Err(error) => return Err(error.into()),
        };
        tracing::info!(user = %owner.user_id(), factor = %factor, first, "passkey registered");
        let factor = Factor {
            id: FactorId::from_uuid(factor),
            kind: FactorKind::Passkey,
            name,
            created_at: now,
            last_used_at: Some(now),
        };
        Ok(Confirmed { factor, recovery_codes: first.then_some(codes) })
    }

    /// The options for signing in with a passkey alone, to hand to the browser (`navigator.credentials.get()`):
    /// no user is named, the browser offers the passkeys it has for this site. Finish with
    /// [`Accounts::login_with_passkey`]; see [`Accounts::passkey_registration_options`] for the whole flow.
    ///
    /// Each call stores a ceremony for [`PASSKEY_CHALLENGE_TTL`] (swept when expired), and asks for nothing: a
    /// server facing the internet limits how often a client may call it. [`Error::PasskeysUnavailable`] when the
    /// server has no usable relying party.
    pub async fn passkey_login_options(&self) -> Result<PasskeyOptions> {
        let webauthn = self.mfa.passkeys.webauthn()?;
        let (mut request, state) = webauthn.start_discoverable_authentication().map_err(Error::internal)?;
        // The library asks for conditional mediation (passkeys offered in a username field's autofill); these
        // options are for a "Sign in with a passkey" button, whose modal prompt is the default.
        request.mediation = None;
        let options = serde_json::to_value(&request).map_err(Error::internal)?;
        let id = self.put_ceremony(Purpose::Login, None, None, &state_json(&state)?).await?;
        Ok(PasskeyOptions { challenge_id: id, options })
    }

    /// Signs in with a passkey alone: `credential` is the browser's answer to the options of `challenge`
    /// (`PublicKeyCredential.toJSON()` of what `navigator.credentials.get()` returned). Starts a session of two
    /// factors (possession and user verification: `aal` 2, `amr` `hwk user`) that remembers the client's user
    /// agent, and returns its tokens; no second step follows, whatever factors the account has.
    ///
    /// The ceremony is spent whatever the outcome. Anything that does not check out is [`Error::PasskeyRefused`]:
    /// a challenge that is unknown, used or expired, an answer to another challenge, from another origin or for
    /// another relying party, without user verification, with a bad signature, a signature counter that did not go
    /// up, a passkey that is not registered, or one whose user handle names another user than its owner. With
    /// `REQUIRE_VERIFIED_EMAIL`, an account whose email is not verified gets [`Error::EmailNotVerified`] after its
    /// passkey checked out.
    pub async fn login_with_passkey(
        &self,
        challenge: ChallengeId,
        credential: &serde_json::Value,
        client: &Client,
    ) -> Result<Login> {
        let webauthn = self.mfa.passkeys.webauthn()?;
        let assertion: PublicKeyCredential = parse_credential(credential, "a WebAuthn assertion")?;
        let refused = |reason: &str| {
            tracing::info!(reason, "passkey sign-in refused");
            Error::PasskeyRefused
        };
        let Some(state) = self.take_ceremony(challenge, Purpose::Login, None).await? else {
            return Err(refused("the ceremony is unknown, used or expired"));
        };
        let state: DiscoverableAuthentication = read_state(&state)?;
        let Ok((handle, _)) = webauthn.identify_discoverable_authentication(&assertion) else {
            return Err(refused("the answer names no user (no 16-byte user handle)"));
        };
        let user = match self.check_assertion(webauthn, &assertion, state, UserId::from_uuid(handle), true).await? {
            Checked::Passed(user) => user,
            Checked::Refused(reason) => return Err(refused(reason)),
        };
        let Some(stored) = self.find_stored(user).await? else { return Err(refused("the account is gone")) };
        if self.mail.require_verified_email && stored.user.email_verified_at.is_none() {
            return Err(Error::EmailNotVerified);
        }
        let issued = self.sessions.start(user, client.user_agent(), Assurance::first(Method::Passkey)).await?;
        tracing::info!(%user, "signed in with a passkey");
        self.signed_in(stored.user, issued)
    }

    /// The options for finishing a sign-in's second step with a passkey: the account's passkeys, for the browser
    /// (`navigator.credentials.get()`). Finish with [`Accounts::verify_second_step_passkey`] and the same
    /// `mfa_token`; the newest options of a token are the ones that count.
    ///
    /// An `mfa_token` that is unknown, used, expired or voided, or of an account without a passkey, is
    /// [`Error::InvalidMfaToken`]. Asking takes none of the token's attempts.
    pub async fn second_step_passkey_options(&self, mfa_token: &str) -> Result<PasskeyOptions> {
        let webauthn = self.mfa.passkeys.webauthn()?;
        let hash = token_hash(mfa_token);
        let user = self.live_challenge_user(&hash).await?;
        let credentials: Vec<Vec<u8>> = on_connection!(reading self.store, |conn| {
            sqlx::query_scalar(
                "SELECT passkey_credential_id FROM mfa_factors WHERE user_id = $1 AND kind = 'passkey' \
                 AND confirmed_at IS NOT NULL AND passkey_credential_id IS NOT NULL ORDER BY id",
            )
            .bind(user.as_uuid())
            .fetch_all(conn)
            .await
        })?;
        if credentials.is_empty() {
            return Err(Error::InvalidMfaToken);
        }
        // The discoverable state (see the module: the counter is checked against the row at the end), with the
        // user's passkeys listed so that the browser offers only those. That they are the user's is checked at the
        // end, against the challenge's user.
        let (mut request, state) = webauthn.start_discoverable_authentication().map_err(Error::internal)?;
        request.mediation = None;
        request.public_key.allow_credentials = credentials
            .into_iter()
            .map(|id| AllowCredentials { type_: "public-key".to_owned(), id, transports: None })
            .collect();
        let options = serde_json::to_value(&request).map_err(Error::internal)?;
        let id = self.put_ceremony(Purpose::SecondStep, Some(user), Some(&hash), &state_json(&state)?).await?;
        Ok(PasskeyOptions { challenge_id: id, options })
    }

    /// Finishes a sign-in's second step with a passkey: `credential` is the browser's answer to the newest options
    /// of this `mfa_token` ([`Accounts::second_step_passkey_options`]). Returns the tokens of a new two-factor
    /// session (`amr` adds `hwk` to the first factor's).
    ///
    /// As with [`Accounts::verify_second_step`]: an `mfa_token` that is unknown, used, expired or voided is
    /// [`Error::InvalidMfaToken`]; each try takes one of the token's five attempts and a slot of the account's
    /// password-check budgets from `client` ([`Error::RateLimited`] when spent; given back when it passes); an
    /// answer that does not check out (see [`Accounts::login_with_passkey`]; also a passkey of another account, or
    /// no options asked for) is [`Error::WrongCode`], and spends the options. A `credential` that is not WebAuthn's
    /// JSON at all is a validation error on `credential`, and takes no attempt.
    pub async fn verify_second_step_passkey(
        &self,
        mfa_token: &str,
        credential: &serde_json::Value,
        client: &Client,
    ) -> Result<Login> {
        let webauthn = self.mfa.passkeys.webauthn()?;
        let assertion: PublicKeyCredential = parse_credential(credential, "a WebAuthn assertion")?;
        let hash = token_hash(mfa_token);
        let attempt = self.take_attempt(&hash).await?;
        let user = UserId::from_uuid(attempt.user_id);
        let stored = self.find_stored(user).await?.ok_or(Error::InvalidMfaToken)?;
        let admission = self.limiter.admit_password_check(stored.user.email.as_str(), client).await?;
        let checked = match self.take_second_step_ceremony(&hash).await? {
            Some(state) => self.check_assertion(webauthn, &assertion, read_state(&state)?, user, false).await?,
            None => Checked::Refused("no passkey options of this mfa_token are open"),
        };
        if let Checked::Refused(reason) = checked {
            tracing::info!(%user, reason, "passkey of a second step refused");
            return Err(self.wrong_attempt(&hash, &attempt).await);
        }
        admission.succeeded().await;
        self.finish_second_step(&hash, stored, attempt.first_factor, attempt.user_agent, Method::Passkey).await
    }

    /// Checks `assertion` against the registered passkey it names, which must be `user`'s (for a sign-in with a
    /// passkey alone, `user` is the user handle, which must then be present; otherwise a handle, when given, must
    /// name `user` too). Under the passkey row's lock: the check, then its new signature counter and `last_used_at`.
    async fn check_assertion(
        &self,
        webauthn: &Webauthn,
        assertion: &PublicKeyCredential,
        state: DiscoverableAuthentication,
        user: UserId,
        handle_required: bool,
    ) -> Result<Checked> {
        let handle = assertion.get_user_unique_id().map(Uuid::from_slice);
        match handle {
            Some(Ok(handle)) if handle != user.as_uuid() => {
                tracing::warn!(%user, "a passkey answer names another user than expected");
                return Ok(Checked::Refused("the user handle names another user"));
            }
            Some(Err(_)) => return Ok(Checked::Refused("the user handle is not a user id")),
            None if handle_required => return Ok(Checked::Refused("the answer has no user handle")),
            _ => {}
        }
        let now = now();
        Ok(on_connection!(self.store, |conn| async {
            let mut tx = conn.begin().await?;
            // The passkey row, locked (a no-op write: a row lock on PostgreSQL, the write lock on SQLite) until its
            // new counter is written.
            let row = sqlx::query_as::<_, PasskeyRow>(
                "UPDATE mfa_factors SET passkey = passkey WHERE passkey_credential_id = $1 AND kind = 'passkey' \
                 AND confirmed_at IS NOT NULL RETURNING id, user_id, passkey",
            )
            .bind(assertion.get_credential_id())
            .fetch_optional(&mut *tx)
            .await?;
            let verdict = match row {
                Some(row) => verify_against(webauthn, assertion, state, &row, user).map(|updated| (row.id, updated)),
                None => Err("the passkey is not registered"),
            };
            let (factor, updated) = match verdict {
                Ok(passed) => passed,
                Err(reason) => {
                    tx.rollback().await?;
                    return Ok(Checked::Refused(reason));
                }
            };
            sqlx::query("UPDATE mfa_factors SET last_used_at = $1, passkey = COALESCE($2, passkey) WHERE id = $3")
                .bind(now)
                .bind(updated)
                .bind(factor)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Checked::Passed(user))
        }
        .await)?)
    }

    /// Stores a ceremony's state for [`PASSKEY_CHALLENGE_TTL`] (a registration's is stored by its own statement,
    /// which also checks the owner's session).
    async fn put_ceremony(
        &self,
        purpose: Purpose,
        user: Option<UserId>,
        mfa_token_hash: Option<&[u8]>,
        state: &str,
    ) -> Result<ChallengeId> {
        let id = Uuid::now_v7();
        let expires_at_ms = unix_ms(now()).saturating_add(millis(PASSKEY_CHALLENGE_TTL));
        on_connection!(self.store, |conn| {
            sqlx::query(
                "INSERT INTO webauthn_challenges (id, user_id, purpose, state, mfa_token_hash, expires_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(user.map(|user| user.as_uuid()))
            .bind(purpose.as_str())
            .bind(state)
            .bind(mfa_token_hash)
            .bind(expires_at_ms)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        Ok(ChallengeId::from_uuid(id))
    }

    /// Takes (deletes, returning its state) the live ceremony `id` of this purpose and user (`None`: of no user),
    /// if there is one: whoever deletes it finishes it.
    async fn take_ceremony(&self, id: ChallengeId, purpose: Purpose, user: Option<UserId>) -> Result<Option<String>> {
        let now_ms = unix_ms(now());
        Ok(on_connection!(self.store, |conn| {
            match user {
                Some(user) => sqlx::query_scalar::<_, String>(
                    "DELETE FROM webauthn_challenges \
                     WHERE id = $1 AND purpose = $2 AND expires_at_ms > $3 AND user_id = $4 RETURNING state",
                )
                .bind(id.as_uuid())
                .bind(purpose.as_str())
                .bind(now_ms)
                .bind(user.as_uuid()),
                None => sqlx::query_scalar::<_, String>(
                    "DELETE FROM webauthn_challenges \
                     WHERE id = $1 AND purpose = $2 AND expires_at_ms > $3 AND user_id IS NULL RETURNING state",
                )
                .bind(id.as_uuid())
                .bind(purpose.as_str())
                .bind(now_ms),
            }
            .fetch_optional(conn)
            .await
        })?)
    }

    /// Takes the newest live passkey ceremony of the second step whose `mfa_token` has this hash, if there is one.
    async fn take_second_step_ceremony(&self, mfa_token_hash: &[u8]) -> Result<Option<String>> {
        let now_ms = unix_ms(now());
        Ok(on_connection!(self.store, |conn| {
            sqlx::query_scalar(
                "DELETE FROM webauthn_challenges WHERE id = (SELECT id FROM webauthn_challenges \
                 WHERE mfa_token_hash = $1 AND purpose = 'second_step' AND expires_at_ms > $2 \
                 ORDER BY id DESC LIMIT 1) RETURNING state",
            )
            .bind(mfa_token_hash)
            .bind(now_ms)
            .fetch_optional(conn)
            .await
        })?)
    }
}
