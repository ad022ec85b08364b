//! A sign-in at a provider, from start to callback.
//!
//! The start stores the flow (the `state` as its SHA-256 hash, the PKCE verifier, the nonce, where the front end
//! goes after, and the hash of the browser's binding) for [`OIDC_FLOW_TTL`], and sends the browser to the provider.
//! The binding is a random value the adapter keeps in the browser (a cookie) and hands back with the callback: a
//! callback is taken only from the browser that started its flow, so an attacker cannot sign a victim into the
//! attacker's account by making the victim's browser open the attacker's callback URL (login CSRF; RFC 9700 §4.7). The callback spends the flow in the
//! statement that finds it (`DELETE … RETURNING`: single use, on any instance), exchanges the code, validates the
//! ID token, links or makes the account, and sends the browser to `{APP_URL}/auth/callback` with a one-time code,
//! or with `error` and `error_description` when anything failed: the callback always answers with a redirect, so
//! the front end always learns what happened.

use std::fmt;
use std::time::Duration;

use super::failure::Failure;
use super::linking::Linked;
use crate::abuse::Client;
use crate::auth::accounts::Accounts;
use crate::auth::oidc_clients::Refusal;
use crate::clock::{millis, now, unix_ms};
use crate::error::{Error, Result};
use crate::secret::{random_token, token_hash};
use crate::store::on_connection;

/// How long a sign-in started at a provider may take to come back.
pub const OIDC_FLOW_TTL: Duration = Duration::from_secs(10 * 60);
/// The longest `redirect_to` accepted.
const MAX_REDIRECT_CHARS: usize = 1024;

/// The start of a sign-in at a provider: where to send the browser, and the binding to keep in it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderSignIn {
    /// The provider's authorization URL (a `302` to it).
    pub authorization_url: String,
    /// The browser's binding: keep it in the browser (an `HttpOnly` cookie sent to the callback) and hand it back in
    /// [`ProviderCallback::binding`]. Reuse the one the browser already holds, if any: passed to
    /// [`Accounts::start_provider_sign_in`], it binds this flow too, so sign-ins started in two tabs both finish.
    pub binding: String,
}

impl fmt::Debug for ProviderSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSignIn").field("authorization_url", &"..").field("binding", &"..").finish()
    }
}

/// A provider's redirect back to this server (`/auth/oidc/{name}/callback?…`): a `code` and the `state`, or an
/// `error` (the user cancelled, the provider refused); and the binding the browser kept since the start.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProviderCallback {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` this server sent.
    pub state: Option<String>,
    /// The provider's error code (RFC 6749 §4.1.2.1), when it did not authorize.
    pub error: Option<String>,
    /// The browser's binding ([`ProviderSignIn::binding`]), as the browser sent it back.
    pub binding: Option<String>,
}

impl fmt::Debug for ProviderCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |value: &Option<String>| value.as_ref().map(|_| "..");
        f.debug_struct("ProviderCallback")
            .field("code", &hidden(&self.code))
            .field("state", &hidden(&self.state))
            .field("error", &self.error)
            .field("binding", &hidden(&self.binding))
            .finish()
    }
}

/// A flow read back (and spent) by its callback.
#[derive(sqlx::FromRow)]
struct Flow {
    provider: String,
    pkce_verifier: String,
    nonce: String,
    redirect_to: String,
    binding_hash: Vec<u8>,
}

impl Accounts {
    /// Starts a sign-in at the provider `provider`: stores the flow and returns the URL to send the browser to
    /// (authorization code flow with PKCE S256, `state` and `nonce`) and the binding to keep in that browser: the
    /// one it already holds (`binding`, from an earlier start), or a new one. After the sign-in the front end is sent
    /// to `redirect_to`, a path of the front end (`/tasks`; `APP_URL` followed by that path, or `/` when `None`).
    ///
    /// Each start counts against `client`'s network's budget of provider sign-ins (it stores a flow for ten
    /// minutes, whoever asks): [`Error::RateLimited`] over it.
    ///
    /// An unknown provider is [`Error::UnknownProvider`]; a `redirect_to` that is not a path under `APP_URL` is a
    /// validation error on `redirect_to`; a provider whose discovery fails is [`Error::IdentityProviderUnavailable`].
    pub async fn start_provider_sign_in(
        &self,
        provider: &str,
        redirect_to: Option<&str>,
        binding: Option<&str>,
        client: &Client,
    ) -> Result<ProviderSignIn> {
        if self.oidc.providers.redirect_uri(provider).is_none() {
            return Err(Error::UnknownProvider);
        }
        let redirect_to = self.front_end_path(redirect_to)?;
        self.limiter.count_provider_sign_in(client).await?;
        // A binding this server made is 43 base64url characters; anything else is replaced.
        let binding = match binding.filter(|binding| is_token(binding)) {
            Some(binding) => binding.to_owned(),
            None => random_token()?,
        };
        let authorization = self.oidc.providers.authorize(provider).await?;
        let expires_at_ms = unix_ms(now()) + millis(OIDC_FLOW_TTL);
        on_connection!(self.store, |conn| {
            sqlx::query(
                "INSERT INTO oidc_flows \
                 (state_hash, provider, pkce_verifier, nonce, redirect_to, binding_hash, expires_at_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token_hash(&authorization.state))
            .bind(provider)
            .bind(&authorization.pkce_verifier)
            .bind(&authorization.nonce)
            .bind(&redirect_to)
            .bind(token_hash(&binding))
            .bind(expires_at_ms)
            .execute(conn)
            .await
            .map(|_| ())
        })?;
        Ok(ProviderSignIn { authorization_url: authorization.url, binding })
    }

    /// Finishes a sign-in at `provider` from its redirect back (`callback`), coming from `client` (counted against
    /// its network's signup budget when the sign-in makes an account), and returns where to send the browser:
    /// `{APP_URL}/auth/callback?code=…&redirect_to=…` with a one-time code for
    /// [`Accounts::exchange_provider_code`], or `{APP_URL}/auth/callback?error=…&error_description=…`.
    ///
    /// The `error` values: `invalid_request` (no code or state), `invalid_state` (unknown, used, expired, or of
    /// another provider), `access_denied` (the provider did not authorize), `provider_error` (the code exchange was
    /// refused or the ID token failed validation), `email_not_verified` (a new identity without a verified email),
    /// `account_not_linked` (an account has the email, and one side has not verified it), `rate_limited`,
    /// `temporarily_unavailable`, `server_error`. Why is logged; neither the code nor the state ever is.
    pub async fn finish_provider_sign_in(
        &self,
        provider: &str,
        callback: &ProviderCallback,
        client: &Client,
    ) -> String {
        let finished = self.finish(provider, callback, client).await;
        // Built after the await: the serializer is not `Send`, and a server's future must be.
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        match finished {
            Ok((code, redirect_to)) => query.append_pair("code", &code).append_pair("redirect_to", &redirect_to),
            Err(failure) => {
                query.append_pair("error", failure.code()).append_pair("error_description", failure.description())
            }
        };
        format!("{}/auth/callback?{}", self.oidc.app_url, query.finish())
    }

    async fn finish(
        &self,
        provider: &str,
        callback: &ProviderCallback,
        client: &Client,
    ) -> std::result::Result<(String, String), Failure> {
        let refuse = |failure: Failure, reason: &dyn std::fmt::Display| {
            tracing::warn!(provider, error = failure.code(), %reason, "sign-in at an identity provider refused");
            failure
        };
        let Some(state) = callback.state.as_deref() else {
            return Err(refuse(Failure::InvalidRequest, &"the callback has no state"));
        };
        let flow = self.spend_flow(state).await.map_err(|error| refuse(Failure::from_error(&error), &error))?;
        let Some(flow) = flow.filter(|flow| flow.provider == provider) else {
            return Err(refuse(Failure::InvalidState, &"the state is unknown, used, expired or of another provider"));
        };
        // Spent above either way: a callback opened in another browser also ends the flow it names.
        let same_browser = callback.binding.as_deref().is_some_and(|binding| token_hash(binding) == flow.binding_hash);
        if !same_browser {
            return Err(refuse(Failure::InvalidState, &"the callback came from another browser than the start"));
        }
        if let Some(error) = callback.error.as_deref() {
            // The provider's own code is logged, cut short: it is the provider's text, not ours.
            let error: String = error.chars().take(64).collect();
            return Err(refuse(Failure::Denied, &format_args!("the provider answered `{}`", error.escape_debug())));
        }
        let Some(code) = callback.code.as_deref() else {
            return Err(refuse(Failure::InvalidRequest, &"the callback has neither a code nor an error"));
        };
        let asserted = match self.oidc.providers.exchange(provider, code, &flow.pkce_verifier, &flow.nonce).await {
            Ok(asserted) => asserted,
            Err(Refusal::Unavailable(reason)) => return Err(refuse(Failure::Unavailable, &reason)),
            Err(Refusal::Unverified(reason)) => return Err(refuse(Failure::ProviderError, &reason)),
        };
        let user = match self.account_for(provider, &asserted, client).await {
            Ok(Linked::Account(user)) => user,
            Ok(Linked::Refused(failure)) => return Err(refuse(failure, &"the identity cannot be linked")),
            Err(error) => return Err(refuse(Failure::from_error(&error), &error)),
        };
        let code = self
            .issue_exchange_code(user, provider)
            .await
            .map_err(|error| refuse(Failure::from_error(&error), &error))?;
        tracing::info!(provider, user = %user, "signed in at an identity provider");
        Ok((code, flow.redirect_to))
    }

    /// Deletes the flow of `state` and returns it, if it was there and had not expired: the delete decides the
    /// single use, so two callbacks with one state cannot both go on.
    async fn spend_flow(&self, state: &str) -> Result<Option<Flow>> {
        let flow = on_connection!(self.store, |conn| {
            sqlx::query_as::<_, Flow>(
                "DELETE FROM oidc_flows WHERE state_hash = $1 AND expires_at_ms > $2 \
                 RETURNING provider, pkce_verifier, nonce, redirect_to, binding_hash",
            )
            .bind(token_hash(state))
            .bind(unix_ms(now()))
            .fetch_optional(conn)
            .await
        })?;
        Ok(flow)
    }

    /// `redirect_to` as a path of the front end: `None` or empty is `/`; a path (`/tasks?view=all`) or a URL under
    /// `APP_URL` is kept as the path after `APP_URL`; anything else is a validation error.
    fn front_end_path(&self, redirect_to: Option<&str>) -> Result<String> {
        let invalid =
            || Error::invalid("redirect_to", "must be a path of the front end (under APP_URL), such as /tasks");
        let redirect_to = redirect_to.map(str::trim).unwrap_or_default();
        if redirect_to.is_empty() {
            return Ok("/".to_owned());
        }
        if redirect_to.chars().count() > MAX_REDIRECT_CHARS || redirect_to.chars().any(char::is_control) {
            return Err(invalid());
        }
        let app = url::Url::parse(&format!("{}/", self.oidc.app_url)).map_err(|_| invalid())?;
        let path = match redirect_to.strip_prefix(self.oidc.app_url.as_str()) {
            Some(rest) if rest.starts_with('/') => rest,
            _ => redirect_to,
        };
        // Only a path: not `//host` (another site, relative to the scheme), not `/\host` (the same, to browsers).
        if !path.starts_with('/') || path.starts_with("//") || path.starts_with("/\\") {
            return Err(invalid());
        }
        // The path resolved under APP_URL must stay there (no `/../` out of it).
        let resolved = app.join(&path[1..]).map_err(|_| invalid())?;
        if resolved.origin() != app.origin() || !resolved.path().starts_with(app.path()) {
            return Err(invalid());
        }
        Ok(path.to_owned())
    }
}

/// Whether `text` looks like a token of [`random_token`]: 43 base64url characters.
fn is_token(text: &str) -> bool {
    text.len() == 43 && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use crate::{Client, Config, Error, Todo};

    async fn todo(app_url: &str) -> Todo {
        let config = Config::new("unit test secret of at least 32 bytes")
            .expect("valid")
            .with_app_url(app_url)
            .expect("valid")
            .with_database_url("sqlite::memory:");
        Todo::connect(&config).await.expect("connects")
    }

    #[tokio::test]
    async fn redirect_to_is_a_path_under_app_url() {
        let todo = todo("https://app.example.com/web").await;
        let accounts = todo.accounts();
        for (given, kept) in [
            (None, "/"),
            (Some(""), "/"),
            (Some("/tasks"), "/tasks"),
            (Some("/tasks?view=all#top"), "/tasks?view=all#top"),
            (Some("https://app.example.com/web/tasks"), "/tasks"),
        ] {
            assert_eq!(accounts.front_end_path(given).expect("a path"), kept, "{given:?}");
        }
        for refused in [
            "https://evil.example/tasks",
            "//evil.example/tasks",
            "/\\evil.example",
            "tasks",
            "javascript:alert(1)",
            "/../../admin",
            "https://app.example.com.evil.example/x",
            "https://app.example.com/webx",
            "/ta\nsks",
        ] {
            let error = accounts.front_end_path(Some(refused)).expect_err(refused);
            assert!(matches!(&error, Error::Validation(fields) if fields[0].field == "redirect_to"), "{refused}");
        }
    }

    #[tokio::test]
    async fn an_unknown_provider_is_refused_before_anything_is_stored() {
        let todo = todo("https://app.example.com").await;
        let error = todo
            .accounts()
            .start_provider_sign_in("nobody", None, None, &Client::default())
            .await
            .expect_err("unknown");
        assert!(matches!(error, Error::UnknownProvider));
    }
}
