//! Configuration: from the environment for servers, from code for embedders and tests.
//!
//! This module is the only place in the crate that reads the environment. Bad values are reported as
//! [`Error::Config`] naming the variable, never as a panic.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::abuse::AbuseLimits;
use crate::error::{Error, Result};
use crate::identity_providers::{providers_from_lookup, ProviderSettings};
use crate::mail::{LogMailer, Mailer, SmtpMailer};

/// The shortest accepted `JWT_SECRET`, in bytes (RFC 7518 §3.2: an HS256 key at least as long as the hash output).
pub const MIN_SECRET_BYTES: usize = 32;
/// Default access-token lifetime: one hour.
///
/// Short because a refresh token (lifetime [`DEFAULT_REFRESH_TTL`]) keeps the user signed in: clients refresh
/// when the access token is refused, and an access token copied out of a log or a browser works for an hour, not
/// for a week. `JWT_TTL_SECONDS=604800` restores the seven days of before refresh tokens existed.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60 * 60);
/// Default refresh-token lifetime: thirty days.
pub const DEFAULT_REFRESH_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Default grace for a refresh token spent moments ago (two tabs refreshing at once): ten seconds.
pub const DEFAULT_REFRESH_REUSE_INTERVAL: Duration = Duration::from_secs(10);
/// The longest grace for a spent refresh token: a minute (a longer one would blunt reuse detection).
pub const MAX_REFRESH_REUSE_INTERVAL: Duration = Duration::from_secs(60);
/// Default longest life of a session, from its login, however often it is refreshed: 90 days.
pub const DEFAULT_SESSION_MAX_AGE: Duration = Duration::from_secs(90 * 24 * 60 * 60);
/// Default bcrypt work factor.
pub const DEFAULT_BCRYPT_COST: u32 = 12;
/// Default database: a SQLite file in the working directory, created when missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:todo.db";
/// Default lifetime of an email-verification link: 24 hours.
pub const DEFAULT_VERIFICATION_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Default lifetime of a password-reset link: 1 hour.
pub const DEFAULT_RESET_TTL: Duration = Duration::from_secs(60 * 60);
/// Default lifetime of a sign-in link ("magic link"): 15 minutes.
pub const DEFAULT_SIGN_IN_LINK_TTL: Duration = Duration::from_secs(15 * 60);
/// Default time between two housekeeping sweeps: one hour.
pub const DEFAULT_CLEANUP_INTERVAL: Duration = Duration::from_secs(60 * 60);
/// Where mail links point when `APP_URL` is unset and the embedder says nothing else (the Rocket server uses
/// its own address instead).
pub const DEFAULT_APP_URL: &str = "http://localhost:8000";

/// Everything `todo-core` needs to run: signing secret, token lifetime, bcrypt cost and database URL.
///
/// Access tokens live one hour unless told otherwise ([`DEFAULT_TTL`]); refresh tokens keep the session going.
///
/// ```
/// use std::time::Duration;
/// use todo_core::Config;
///
/// let config = Config::new("an example secret that is long enough!!")?;
/// assert_eq!(config.token_ttl(), Duration::from_secs(3600));
///
/// let config = config
///     .with_token_ttl(Duration::from_secs(15 * 60))
///     .with_bcrypt_cost(10)?
///     .with_database_url("sqlite::memory:");
/// assert_eq!((config.token_ttl(), config.bcrypt_cost()), (Duration::from_secs(900), 10));
/// # Ok::<(), todo_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Config {
    jwt_secret: Secret,
    previous_secrets: Vec<Secret>,
    token_ttl: Duration,
    refresh_ttl: Duration,
    refresh_reuse_interval: Duration,
    session_max_age: Duration,
    bcrypt_cost: u32,
    database_url: String,
    app_url: Option<String>,
    require_verified_email: bool,
    verification_ttl: Duration,
    reset_ttl: Duration,
    sign_in_link_ttl: Duration,
    mailer: Arc<dyn Mailer>,
    abuse_limits: AbuseLimits,
    cleanup_interval: Duration,
    webauthn_rp_id: Option<String>,
    webauthn_origin: Option<String>,
    api_url: Option<String>,
    identity_providers: Vec<ProviderSettings>,
}

impl Config {
    /// A configuration with the given HS256 secret (at least 32 bytes) and the defaults for everything else.
    pub fn new(jwt_secret: impl Into<Vec<u8>>) -> Result<Self> {
        Ok(Self {
            jwt_secret: Secret::new("JWT_SECRET", jwt_secret.into())?,
            previous_secrets: Vec::new(),
            token_ttl: DEFAULT_TTL,
            refresh_ttl: DEFAULT_REFRESH_TTL,
            refresh_reuse_interval: DEFAULT_REFRESH_REUSE_INTERVAL,
            session_max_age: DEFAULT_SESSION_MAX_AGE,
            bcrypt_cost: DEFAULT_BCRYPT_COST,
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            app_url: None,
            require_verified_email: false,
            verification_ttl: DEFAULT_VERIFICATION_TTL,
            reset_ttl: DEFAULT_RESET_TTL,
            sign_in_link_ttl: DEFAULT_SIGN_IN_LINK_TTL,
            mailer: Arc::new(LogMailer),
            abuse_limits: AbuseLimits::default(),
            cleanup_interval: DEFAULT_CLEANUP_INTERVAL,
            webauthn_rp_id: None,
            webauthn_origin: None,
            api_url: None,
            identity_providers: Vec::new(),
        })
    }

    /// Reads `JWT_SECRET` (required), `JWT_PREVIOUS_SECRETS`, `JWT_TTL_SECONDS`, `REFRESH_TTL_SECONDS`,
    /// `REFRESH_REUSE_INTERVAL_SECONDS` (at most 60), `SESSION_MAX_AGE_SECONDS`, `BCRYPT_COST`, `DATABASE_URL`,
    /// and for mail `SMTP_URL` with `MAIL_FROM` (an [`SmtpMailer`]; unset, the [`LogMailer`]), `APP_URL`,
    /// `REQUIRE_VERIFIED_EMAIL`, the passkeys' relying party `WEBAUTHN_RP_ID` and `WEBAUTHN_ORIGIN` (see
    /// [`Config::with_webauthn`]; one of them alone takes the other from `APP_URL`),
    /// `CLEANUP_INTERVAL_SECONDS`, `API_URL` and the identity providers of `OIDC_PROVIDERS` (see [`ProviderSettings`]),
    /// and the abuse limits' `RATE_LIMIT_*` (see [`AbuseLimits`]) from the environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], with the variables looked up by `lookup` (handy for tests and other sources).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let secret = lookup("JWT_SECRET").ok_or_else(|| Error::config("JWT_SECRET", "is required"))?;
        let mut config = Self::new(secret)?;
        if let Some(previous) = lookup("JWT_PREVIOUS_SECRETS") {
            config = config.with_previous_secrets(previous.split(',').filter(|s| !s.trim().is_empty()))?;
        }
        if let Some(ttl) = lookup("JWT_TTL_SECONDS") {
            config = config.with_token_ttl(seconds("JWT_TTL_SECONDS", &ttl, 1)?);
        }
        if let Some(ttl) = lookup("REFRESH_TTL_SECONDS") {
            config = config.with_refresh_ttl(seconds("REFRESH_TTL_SECONDS", &ttl, 1)?);
        }
        if let Some(interval) = lookup("REFRESH_REUSE_INTERVAL_SECONDS") {
            let interval = seconds("REFRESH_REUSE_INTERVAL_SECONDS", &interval, 0)?;
            if interval > MAX_REFRESH_REUSE_INTERVAL {
                return Err(Error::config("REFRESH_REUSE_INTERVAL_SECONDS", "must be at most 60 seconds"));
            }
            config = config.with_refresh_reuse_interval(interval);
        }
        if let Some(age) = lookup("SESSION_MAX_AGE_SECONDS") {
            config = config.with_session_max_age(seconds("SESSION_MAX_AGE_SECONDS", &age, 1)?);
        }
        if let Some(cost) = lookup("BCRYPT_COST") {
            let cost =
                cost.trim().parse().map_err(|_| Error::config("BCRYPT_COST", "must be a number from 4 to 31"))?;
            config = config.with_bcrypt_cost(cost)?;
        }
        if let Some(url) = lookup("DATABASE_URL").filter(|url| !url.trim().is_empty()) {
            config = config.with_database_url(url.trim());
        }
        if let Some(url) = lookup("SMTP_URL").filter(|url| !url.trim().is_empty()) {
            let from = lookup("MAIL_FROM")
                .filter(|from| !from.trim().is_empty())
                .ok_or_else(|| Error::config("MAIL_FROM", "is required when SMTP_URL is set"))?;
            config = config.with_mailer(Arc::new(SmtpMailer::new(&url, &from)?));
        }
        if let Some(url) = lookup("APP_URL").filter(|url| !url.trim().is_empty()) {
            config = config.with_app_url(&url)?;
        }
        if let Some(flag) = lookup("REQUIRE_VERIFIED_EMAIL") {
            let required = match flag.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" | "" => false,
                _ => return Err(Error::config("REQUIRE_VERIFIED_EMAIL", "must be true or false")),
            };
            config = config.with_require_verified_email(required);
        }
        if let Some(interval) = lookup("CLEANUP_INTERVAL_SECONDS") {
            config = config.with_cleanup_interval(seconds("CLEANUP_INTERVAL_SECONDS", &interval, 0)?);
        }
        let rp_id = lookup("WEBAUTHN_RP_ID").filter(|id| !id.trim().is_empty());
        let origin = lookup("WEBAUTHN_ORIGIN").filter(|origin| !origin.trim().is_empty());
        if rp_id.is_some() || origin.is_some() {
            config.webauthn_rp_id = rp_id.map(|id| id.trim().to_ascii_lowercase());
            config.webauthn_origin = origin.map(|origin| origin.trim().to_owned());
            // An explicit value that WebAuthn refuses stops the start, naming the variable that was set (a default
            // that it refuses only turns passkeys off: see `relying_party`).
            match config.relying_party() {
                // Kept as checked: the id lower-case, the origin without a path.
                Ok(party) => {
                    config.webauthn_origin = config.webauthn_origin.is_some().then(|| party.origin_text());
                    config.webauthn_rp_id = config.webauthn_rp_id.is_some().then_some(party.id);
                }
                Err(problem) => {
                    let variable = match problem.part {
                        RelyingPartyPart::Id if config.webauthn_rp_id.is_some() => "WEBAUTHN_RP_ID",
                        RelyingPartyPart::Origin if config.webauthn_origin.is_some() => "WEBAUTHN_ORIGIN",
                        // The part at fault came from APP_URL: blame the variable that was set against it.
                        _ if config.webauthn_rp_id.is_some() => "WEBAUTHN_RP_ID",
                        _ => "WEBAUTHN_ORIGIN",
                    };
                    return Err(Error::config(variable, problem.reason));
                }
            }
        }
        if let Some(url) = lookup("API_URL").filter(|url| !url.trim().is_empty()) {
            config = config.with_api_url(&url)?;
        }
        for provider in providers_from_lookup(&lookup)? {
            config = config.with_identity_provider(provider);
        }
        config.abuse_limits = AbuseLimits::from_lookup(&lookup)?;
        Ok(config)
    }

    /// Secrets that signed tokens before a key rotation: still accepted for verification, never used to sign.
    /// Each must be at least 32 bytes. From the environment: `JWT_PREVIOUS_SECRETS`, comma-separated.
    pub fn with_previous_secrets<S: Into<Vec<u8>>>(mut self, secrets: impl IntoIterator<Item = S>) -> Result<Self> {
        self.previous_secrets = secrets
            .into_iter()
            .map(|secret| Secret::new("JWT_PREVIOUS_SECRETS", secret.into()))
            .collect::<Result<_>>()?;
        Ok(self)
    }

    /// Sets the access-token lifetime (default [`DEFAULT_TTL`], one hour).
    pub fn with_token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Sets how long a refresh token lives after it is issued (each refresh issues a new one).
    pub fn with_refresh_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_ttl = ttl;
        self
    }

    /// Sets the grace during which a refresh token spent moments ago is honoured again (two tabs refreshing at
    /// once) instead of being taken as stolen; zero turns the grace off.
    ///
    /// At most [`MAX_REFRESH_REUSE_INTERVAL`] (a minute); a longer interval is cut to it.
    pub fn with_refresh_reuse_interval(mut self, interval: Duration) -> Self {
        self.refresh_reuse_interval = interval.min(MAX_REFRESH_REUSE_INTERVAL);
        self
    }

    /// Sets how long a session lives after its login at most, however often it is refreshed (default 90 days);
    /// then its user signs in again. From the environment: `SESSION_MAX_AGE_SECONDS`.
    pub fn with_session_max_age(mut self, max_age: Duration) -> Self {
        self.session_max_age = max_age;
        self
    }

    /// Sets the bcrypt work factor, 4 to 31 (each step doubles the cost; tests may use 4).
    pub fn with_bcrypt_cost(mut self, cost: u32) -> Result<Self> {
        if !(bcrypt_limits::MIN..=bcrypt_limits::MAX).contains(&cost) {
            return Err(Error::config("BCRYPT_COST", "must be a number from 4 to 31"));
        }
        self.bcrypt_cost = cost;
        Ok(self)
    }

    /// Sets the database URL: `sqlite:<path>`, `sqlite::memory:` or `postgres://...`.
    pub fn with_database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = url.into();
        self
    }

    /// Sets the front end that opens the links in mails (`{app_url}/verify-email?token=…`,
    /// `{app_url}/reset-password?token=…`): an `http` or `https` URL, with a path if the front end has one,
    /// without a query or fragment. From the environment: `APP_URL`.
    pub fn with_app_url(mut self, url: &str) -> Result<Self> {
        self.app_url = Some(base_url("APP_URL", url)?);
        Ok(self)
    }

    /// Sets this server's own public base URL (`API_URL`): the redirect URI to register with each identity provider
    /// is `{api_url}/auth/oidc/{name}/callback`. An `http` or `https` URL with the mount path, if any, and no query
    /// or fragment. Unset, an embedder's adapter supplies its own address (the Rocket server does); the library alone
    /// falls back to [`DEFAULT_APP_URL`].
    pub fn with_api_url(mut self, url: &str) -> Result<Self> {
        self.api_url = Some(base_url("API_URL", url)?);
        Ok(self)
    }

    /// This server's public base URL, if set (see [`Config::with_api_url`]).
    pub fn api_url(&self) -> Option<&str> {
        self.api_url.as_deref()
    }

    /// Adds an identity provider users may sign in with (OpenID Connect; see [`ProviderSettings`]). From the
    /// environment: `OIDC_PROVIDERS` and `OIDC_<NAME>_*`. A provider of the same name replaces the earlier one.
    pub fn with_identity_provider(mut self, provider: ProviderSettings) -> Self {
        self.identity_providers.retain(|known| known.name() != provider.name());
        self.identity_providers.push(provider);
        self
    }

    /// The identity providers, in the order they were added.
    pub fn identity_providers(&self) -> &[ProviderSettings] {
        &self.identity_providers
    }

    /// Sets the WebAuthn relying party of passkeys: `rp_id`, the domain passkeys are bound to (the origin's host or
    /// a parent domain of it: `app.example.com` or `example.com` for `https://app.example.com`), and `origin`, the
    /// origin of the pages that run the ceremonies, as the browser reports it (`https://app.example.com`, with the
    /// port when it is not the scheme's own). From the environment: `WEBAUTHN_RP_ID` and `WEBAUTHN_ORIGIN`.
    ///
    /// Unset, both come from `APP_URL` (its host and its origin; [`DEFAULT_APP_URL`] when that is unset too). A
    /// default that WebAuthn refuses (an `APP_URL` on an IP address: WebAuthn binds passkeys to a domain name) only
    /// turns passkeys off, with a warning at start ([`Error::PasskeysUnavailable`] from each passkey operation); a
    /// value set here that it refuses is [`Error::Config`] on `WEBAUTHN_RP_ID` (not the origin's host or a parent
    /// of it) or `WEBAUTHN_ORIGIN` (not an `http`/`https` origin on a domain name).
    ///
    /// Passkeys stay bound to the relying party id they were registered under: changing it later leaves every
    /// registered passkey unusable.
    ///
    /// ```
    /// use todo_core::Config;
    ///
    /// let config = Config::new("an example secret that is long enough!!")?
    ///     .with_webauthn("example.com", "https://app.example.com")?;
    /// assert_eq!(config.webauthn_rp_id(), Some("example.com"));
    /// assert!(Config::new("an example secret that is long enough!!")?
    ///     .with_webauthn("example.org", "https://app.example.com")
    ///     .is_err());
    /// # Ok::<(), todo_core::Error>(())
    /// ```
    pub fn with_webauthn(mut self, rp_id: &str, origin: &str) -> Result<Self> {
        let party = RelyingParty::check(rp_id, origin).map_err(|problem| {
            let variable = match problem.part {
                RelyingPartyPart::Id => "WEBAUTHN_RP_ID",
                RelyingPartyPart::Origin => "WEBAUTHN_ORIGIN",
            };
            Error::config(variable, problem.reason)
        })?;
        self.webauthn_origin = Some(party.origin_text());
        self.webauthn_rp_id = Some(party.id);
        Ok(self)
    }

    /// The relying party id set for passkeys (`WEBAUTHN_RP_ID`), or `None` when it comes from `APP_URL`.
    pub fn webauthn_rp_id(&self) -> Option<&str> {
        self.webauthn_rp_id.as_deref()
    }

    /// The origin set for passkey ceremonies (`WEBAUTHN_ORIGIN`, without a trailing slash), or `None` when it comes
    /// from `APP_URL`.
    pub fn webauthn_origin(&self) -> Option<&str> {
        self.webauthn_origin.as_deref()
    }

    /// The relying party of passkeys as configured: the values set, the rest from `APP_URL` (or
    /// [`DEFAULT_APP_URL`]); why WebAuthn refuses it otherwise.
    pub(crate) fn relying_party(&self) -> std::result::Result<RelyingParty, RelyingPartyProblem> {
        let app_url = url::Url::parse(self.app_url().unwrap_or(DEFAULT_APP_URL)).ok();
        let default_origin = || app_url.as_ref().map(|url| url.origin().ascii_serialization()).unwrap_or_default();
        let default_id = || app_url.as_ref().and_then(|url| url.host_str().map(str::to_owned)).unwrap_or_default();
        let id = self.webauthn_rp_id.clone().unwrap_or_else(default_id);
        let origin = self.webauthn_origin.clone().unwrap_or_else(default_origin);
        RelyingParty::check(&id, &origin)
    }

    /// Refuses logins of accounts whose email is not verified yet ([`Error::EmailNotVerified`]); off by default.
    /// From the environment: `REQUIRE_VERIFIED_EMAIL=true`.
    pub fn with_require_verified_email(mut self, required: bool) -> Self {
        self.require_verified_email = required;
        self
    }

    /// Sets how long verification and password-reset links work (defaults: 24 hours and 1 hour).
    pub fn with_mail_link_ttls(mut self, verification: Duration, reset: Duration) -> Self {
        self.verification_ttl = verification;
        self.reset_ttl = reset;
        self
    }

    /// Sets how long sign-in links work (default: 15 minutes).
    pub fn with_sign_in_link_ttl(mut self, ttl: Duration) -> Self {
        self.sign_in_link_ttl = ttl;
        self
    }

    /// Sets the mailer (default: [`LogMailer`], or an [`SmtpMailer`] when `SMTP_URL` is set).
    pub fn with_mailer(mut self, mailer: Arc<dyn Mailer>) -> Self {
        self.mailer = mailer;
        self
    }

    /// Sets the abuse limits (budgets of failed password checks, signups and reset mails); refuses a window of
    /// zero, a prefix length out of range, or no room for keys.
    pub fn with_abuse_limits(mut self, limits: AbuseLimits) -> Result<Self> {
        limits.validate()?;
        self.abuse_limits = limits;
        Ok(self)
    }

    /// The abuse limits.
    pub fn abuse_limits(&self) -> &AbuseLimits {
        &self.abuse_limits
    }

    /// Sets how often a server sweeps expired rows ([`crate::Accounts::sweep_expired`]); zero: never (sweep
    /// yourself). From the environment: `CLEANUP_INTERVAL_SECONDS`.
    pub fn with_cleanup_interval(mut self, interval: Duration) -> Self {
        self.cleanup_interval = interval;
        self
    }

    /// How often a server sweeps expired rows (zero: never).
    pub fn cleanup_interval(&self) -> Duration {
        self.cleanup_interval
    }

    /// The front end's URL, if one was set (`APP_URL`), without a trailing slash.
    pub fn app_url(&self) -> Option<&str> {
        self.app_url.as_deref()
    }

    /// Whether logins need a verified email.
    pub fn require_verified_email(&self) -> bool {
        self.require_verified_email
    }

    /// How long verification links work.
    pub fn verification_ttl(&self) -> Duration {
        self.verification_ttl
    }

    /// How long password-reset links work.
    pub fn reset_ttl(&self) -> Duration {
        self.reset_ttl
    }

    /// How long sign-in links work.
    pub fn sign_in_link_ttl(&self) -> Duration {
        self.sign_in_link_ttl
    }

    /// The mailer.
    pub fn mailer(&self) -> &Arc<dyn Mailer> {
        &self.mailer
    }

    /// The access-token lifetime (`expires_in` of every token response).
    pub fn token_ttl(&self) -> Duration {
        self.token_ttl
    }

    /// The refresh-token lifetime.
    pub fn refresh_ttl(&self) -> Duration {
        self.refresh_ttl
    }

    /// The grace for a refresh token spent moments ago.
    pub fn refresh_reuse_interval(&self) -> Duration {
        self.refresh_reuse_interval
    }

    /// The longest life of a session, from its login.
    pub fn session_max_age(&self) -> Duration {
        self.session_max_age
    }

    /// The bcrypt work factor.
    pub fn bcrypt_cost(&self) -> u32 {
        self.bcrypt_cost
    }

    /// The database URL.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    pub(crate) fn jwt_secret(&self) -> &[u8] {
        &self.jwt_secret.0
    }

    pub(crate) fn previous_secrets(&self) -> impl Iterator<Item = &[u8]> {
        self.previous_secrets.iter().map(|secret| secret.0.as_slice())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("jwt_secret", &self.jwt_secret)
            .field("previous_secrets", &self.previous_secrets.len())
            .field("token_ttl", &self.token_ttl)
            .field("refresh_ttl", &self.refresh_ttl)
            .field("refresh_reuse_interval", &self.refresh_reuse_interval)
            .field("session_max_age", &self.session_max_age)
            .field("bcrypt_cost", &self.bcrypt_cost)
            .field("database_url", &redact_url(&self.database_url))
            .field("app_url", &self.app_url)
            .field("require_verified_email", &self.require_verified_email)
            .field("verification_ttl", &self.verification_ttl)
            .field("reset_ttl", &self.reset_ttl)
            .field("sign_in_link_ttl", &self.sign_in_link_ttl)
            .field("mailer", &self.mailer.describe())
            .field("abuse_limits", &self.abuse_limits)
            .field("cleanup_interval", &self.cleanup_interval)
            .field("webauthn_rp_id", &self.webauthn_rp_id)
            .field("webauthn_origin", &self.webauthn_origin)
            .field("api_url", &self.api_url)
            .field("identity_providers", &self.identity_providers)
            .finish()
    }
}

/// The WebAuthn relying party of passkeys, checked: an id that webauthn-rs accepts for the origin (which it alone
/// decides: [`webauthn_rs::prelude::WebauthnBuilder::new`]), and the origin reduced to scheme, host and port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RelyingParty {
    /// The relying party id, lower-case.
    pub(crate) id: String,
    /// The origin, as a URL with an empty path.
    pub(crate) origin: url::Url,
}

/// Which part of a relying party is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RelyingPartyPart {
    Id,
    Origin,
}

/// Why a relying party is refused: the part at fault, and a reason that never repeats the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RelyingPartyProblem {
    pub(crate) part: RelyingPartyPart,
    pub(crate) reason: String,
}

impl RelyingParty {
    /// `id` and `origin` as WebAuthn takes them, or why not.
    fn check(id: &str, origin: &str) -> std::result::Result<Self, RelyingPartyProblem> {
        let refuse = |part, reason: &str| RelyingPartyProblem { part, reason: reason.to_owned() };
        let parsed = url::Url::parse(origin.trim())
            .map_err(|_| refuse(RelyingPartyPart::Origin, "must be an origin such as https://app.example.com"))?;
        let bare = matches!(parsed.scheme(), "http" | "https")
            && parsed.username().is_empty()
            && parsed.password().is_none()
            && matches!(parsed.path(), "" | "/")
            && parsed.query().is_none()
            && parsed.fragment().is_none();
        if !bare {
            return Err(refuse(
                RelyingPartyPart::Origin,
                "must be an http:// or https:// origin (scheme, host and port; no path, query or credentials)",
            ));
        }
        if parsed.domain().is_none() {
            return Err(refuse(
                RelyingPartyPart::Origin,
                "must be on a domain name, not an IP address: WebAuthn binds passkeys to a domain",
            ));
        }
        let origin = url::Url::parse(&parsed.origin().ascii_serialization())
            .map_err(|_| refuse(RelyingPartyPart::Origin, "must be an origin such as https://app.example.com"))?;
        let id = id.trim().trim_end_matches('.').to_ascii_lowercase();
        if id.is_empty() || webauthn_rs::prelude::WebauthnBuilder::new(&id, &origin).is_err() {
            return Err(refuse(
                RelyingPartyPart::Id,
                "must be the origin's host or a parent domain of it (e.g. example.com for https://app.example.com)",
            ));
        }
        Ok(Self { id, origin })
    }

    /// The origin as the browser writes it: no trailing slash.
    pub(crate) fn origin_text(&self) -> String {
        self.origin.origin().ascii_serialization()
    }
}

/// `url` as a base URL (of the variable `name`): `http` or `https`, a host, a path if any, no credentials, query or
/// fragment; without a trailing slash.
fn base_url(name: &'static str, url: &str) -> Result<String> {
    let invalid = || Error::config(name, "must be an http:// or https:// URL without a query or fragment");
    let parsed = url::Url::parse(url.trim()).map_err(|_| invalid())?;
    let usable = matches!(parsed.scheme(), "http" | "https")
        && parsed.host_str().is_some_and(|host| !host.is_empty())
        && parsed.query().is_none()
        && parsed.fragment().is_none()
        && parsed.username().is_empty()
        && parsed.password().is_none();
    if !usable {
        return Err(invalid());
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// A whole number of seconds of at least `min` from the variable `name`.
fn seconds(name: &'static str, value: &str, min: u64) -> Result<Duration> {
    let reason =
        if min == 0 { "must be a whole number of seconds" } else { "must be a positive whole number of seconds" };
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|seconds| *seconds >= min)
        .map(Duration::from_secs)
        .ok_or_else(|| Error::config(name, reason))
}

/// Bounds of the bcrypt cost accepted by the `bcrypt` crate.
mod bcrypt_limits {
    pub const MIN: u32 = 4;
    pub const MAX: u32 = 31;
}

/// A signing secret whose `Debug` output never shows the bytes.
#[derive(Clone)]
struct Secret(Vec<u8>);

impl Secret {
    fn new(variable: &'static str, bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(Error::config(variable, format!("must be at least {MIN_SECRET_BYTES} bytes")));
        }
        Ok(Self(bytes))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The URL without its password, for logs and `Debug`.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _password)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn variable_of(error: Error) -> &'static str {
        match error {
            Error::Config { variable, .. } => variable,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn defaults_apply_when_only_the_secret_is_set() {
        let config = Config::from_lookup(env(&[("JWT_SECRET", SECRET)])).expect("valid");
        assert_eq!(config.token_ttl(), Duration::from_secs(3600));
        assert_eq!(config.bcrypt_cost(), 12);
        assert_eq!(config.database_url(), "sqlite:todo.db");
    }

    #[test]
    fn missing_secret_names_the_variable() {
        assert_eq!(variable_of(Config::from_lookup(env(&[])).unwrap_err()), "JWT_SECRET");
    }

    #[test]
    fn secret_of_31_bytes_is_too_short_and_32_is_enough() {
        let short = &SECRET[..31];
        assert_eq!(variable_of(Config::from_lookup(env(&[("JWT_SECRET", short)])).unwrap_err()), "JWT_SECRET");
        assert!(Config::new(SECRET).is_ok());
    }

    #[test]
    fn previous_secrets_are_comma_separated_and_each_checked() {
        let other = "fedcba9876543210fedcba9876543210";
        let config =
            Config::from_lookup(env(&[("JWT_SECRET", SECRET), ("JWT_PREVIOUS_SECRETS", &format!("{other},{SECRET}"))]))
                .expect("valid");
        assert_eq!(config.previous_secrets().count(), 2);
        let error =
            Config::from_lookup(env(&[("JWT_SECRET", SECRET), ("JWT_PREVIOUS_SECRETS", &format!("{other},short"))]))
                .unwrap_err();
        assert_eq!(variable_of(error), "JWT_PREVIOUS_SECRETS");
    }

    #[test]
    fn bcrypt_cost_must_be_within_4_and_31() {
        for bad in ["3", "32", "twelve", ""] {
            let error = Config::from_lookup(env(&[("JWT_SECRET", SECRET), ("BCRYPT_COST", bad)])).unwrap_err();
            assert_eq!(variable_of(error), "BCRYPT_COST", "value {bad:?}");
        }
        for good in ["4", "31"] {
            assert!(Config::from_lookup(env(&[("JWT_SECRET", SECRET), ("BCRYPT_COST", good)])).is_ok());
        }
    }

    #[test]
    fn the_reuse_interval_is_at_most_a_minute_and_the_session_max_age_is_read() {
        let read = |pairs: &[(&'static str, &'static str)]| {
            let mut all = vec![("JWT_SECRET", SECRET)];
            all.extend_from_slice(pairs);
            Config::from_lookup(move |name| all.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
        };
        let config =
            read(&[("REFRESH_REUSE_INTERVAL_SECONDS", "60"), ("SESSION_MAX_AGE_SECONDS", "3600")]).expect("ok");
        assert_eq!(config.refresh_reuse_interval(), Duration::from_secs(60));
        assert_eq!(config.session_max_age(), Duration::from_secs(3600));
        assert_eq!(
            variable_of(read(&[("REFRESH_REUSE_INTERVAL_SECONDS", "61")]).unwrap_err()),
            "REFRESH_REUSE_INTERVAL_SECONDS"
        );
        assert_eq!(variable_of(read(&[("SESSION_MAX_AGE_SECONDS", "0")]).unwrap_err()), "SESSION_MAX_AGE_SECONDS");
        let cut = Config::new(SECRET).expect("valid").with_refresh_reuse_interval(Duration::from_secs(600));
        assert_eq!(cut.refresh_reuse_interval(), MAX_REFRESH_REUSE_INTERVAL);
        assert_eq!(Config::new(SECRET).expect("valid").session_max_age(), Duration::from_secs(7_776_000));
    }

    #[test]
    fn ttl_must_be_a_positive_number() {
        for bad in ["0", "-1", "1h"] {
            let error = Config::from_lookup(env(&[("JWT_SECRET", SECRET), ("JWT_TTL_SECONDS", bad)])).unwrap_err();
            assert_eq!(variable_of(error), "JWT_TTL_SECONDS");
        }
        let config = Config::from_lookup(env(&[("JWT_SECRET", SECRET), ("JWT_TTL_SECONDS", "60")])).expect("valid");
        assert_eq!(config.token_ttl(), Duration::from_secs(60));
    }

    #[test]
    fn the_seven_days_of_before_refresh_tokens_are_still_one_setting_away() {
        let config = Config::from_lookup(env(&[("JWT_SECRET", SECRET), ("JWT_TTL_SECONDS", "604800")])).expect("valid");
        assert_eq!(config.token_ttl(), Duration::from_secs(7 * 24 * 60 * 60));
    }

    #[test]
    fn refresh_settings_default_to_30_days_and_10_seconds_and_are_read_from_the_environment() {
        let config = Config::from_lookup(env(&[("JWT_SECRET", SECRET)])).expect("valid");
        assert_eq!(config.refresh_ttl(), Duration::from_secs(2_592_000));
        assert_eq!(config.refresh_reuse_interval(), Duration::from_secs(10));
        let config = Config::from_lookup(env(&[
            ("JWT_SECRET", SECRET),
            ("REFRESH_TTL_SECONDS", "60"),
            ("REFRESH_REUSE_INTERVAL_SECONDS", "0"),
        ]))
        .expect("valid");
        assert_eq!((config.refresh_ttl(), config.refresh_reuse_interval()), (Duration::from_secs(60), Duration::ZERO));
        for (name, bad) in
            [("REFRESH_TTL_SECONDS", "0"), ("REFRESH_TTL_SECONDS", "1d"), ("REFRESH_REUSE_INTERVAL_SECONDS", "-1")]
        {
            let error = Config::from_lookup(env(&[("JWT_SECRET", SECRET), (name, bad)])).unwrap_err();
            assert_eq!(variable_of(error), name, "{name}={bad}");
        }
    }

    #[test]
    fn mail_settings_are_read_and_bad_ones_name_their_variable() {
        let config = Config::from_lookup(env(&[
            ("JWT_SECRET", SECRET),
            ("SMTP_URL", "smtp://user:pw@mail.example.com:587?tls=required"),
            ("MAIL_FROM", "Todo <no-reply@example.com>"),
            ("APP_URL", "https://app.example.com/todo/"),
            ("REQUIRE_VERIFIED_EMAIL", "true"),
        ]))
        .expect("valid");
        assert_eq!(config.mailer().describe(), "SMTP at mail.example.com:587 (STARTTLS), from no-reply@example.com");
        assert_eq!(config.app_url(), Some("https://app.example.com/todo"));
        assert!(config.require_verified_email());
        let defaults = Config::from_lookup(env(&[("JWT_SECRET", SECRET)])).expect("valid");
        assert!(defaults.mailer().describe().starts_with("no SMTP_URL"));
        assert_eq!((defaults.app_url(), defaults.require_verified_email()), (None, false));

        let bad: [&[(&str, &str)]; 5] = [
            &[("SMTP_URL", "smtp://mail.example.com:25")],
            &[("SMTP_URL", "mail.example.com"), ("MAIL_FROM", "a@example.com")],
            &[("APP_URL", "app.example.com")],
            &[("APP_URL", "https://app.example.com/?next=1")],
            &[("REQUIRE_VERIFIED_EMAIL", "maybe")],
        ];
        let expected = ["MAIL_FROM", "SMTP_URL", "APP_URL", "APP_URL", "REQUIRE_VERIFIED_EMAIL"];
        for (pairs, variable) in bad.into_iter().zip(expected) {
            let all: Vec<(&str, &str)> = [("JWT_SECRET", SECRET)].into_iter().chain(pairs.iter().copied()).collect();
            assert_eq!(variable_of(Config::from_lookup(env(&all)).expect_err("invalid")), variable, "{pairs:?}");
        }
    }

    #[test]
    fn the_relying_party_defaults_to_app_url_and_explicit_values_are_checked() {
        let defaults = Config::from_lookup(env(&[("JWT_SECRET", SECRET)])).expect("valid");
        let party = defaults.relying_party().expect("localhost is a domain");
        assert_eq!((party.id.as_str(), party.origin_text()), ("localhost", "http://localhost:8000".to_owned()));
        assert_eq!((defaults.webauthn_rp_id(), defaults.webauthn_origin()), (None, None));

        let from_app = Config::from_lookup(env(&[("JWT_SECRET", SECRET), ("APP_URL", "https://App.Example.com/todo")]))
            .expect("valid");
        let party = from_app.relying_party().expect("usable");
        assert_eq!((party.id.as_str(), party.origin_text()), ("app.example.com", "https://app.example.com".to_owned()));

        // One variable alone takes the other from APP_URL.
        let parent = Config::from_lookup(env(&[
            ("JWT_SECRET", SECRET),
            ("APP_URL", "https://app.example.com"),
            ("WEBAUTHN_RP_ID", "Example.com"),
        ]))
        .expect("a parent domain of the origin's host");
        assert_eq!(parent.webauthn_rp_id(), Some("example.com"));
        assert_eq!(parent.relying_party().expect("usable").origin_text(), "https://app.example.com");
        let both = Config::from_lookup(env(&[
            ("JWT_SECRET", SECRET),
            ("WEBAUTHN_RP_ID", "example.com"),
            ("WEBAUTHN_ORIGIN", "https://id.example.com:8443/"),
        ]))
        .expect("valid");
        assert_eq!(both.webauthn_origin(), Some("https://id.example.com:8443"));

        // A default WebAuthn refuses is no start-up error (passkeys are off); an explicit value is.
        let ip = Config::from_lookup(env(&[("JWT_SECRET", SECRET), ("APP_URL", "http://127.0.0.1:8000")]))
            .expect("passkeys off, not an error");
        assert_eq!(ip.relying_party().unwrap_err().part, RelyingPartyPart::Origin);
        let bad: [&[(&str, &str)]; 5] = [
            &[("APP_URL", "https://app.example.com"), ("WEBAUTHN_RP_ID", "example.org")],
            &[("WEBAUTHN_RP_ID", "example.com"), ("WEBAUTHN_ORIGIN", "https://example.com.evil.test")],
            &[("WEBAUTHN_ORIGIN", "https://app.example.com/login")],
            &[("WEBAUTHN_ORIGIN", "not a url")],
            // The origin from APP_URL is on an IP address: the variable that was set is named.
            &[("APP_URL", "http://127.0.0.1:8000"), ("WEBAUTHN_RP_ID", "localhost")],
        ];
        let expected = ["WEBAUTHN_RP_ID", "WEBAUTHN_RP_ID", "WEBAUTHN_ORIGIN", "WEBAUTHN_ORIGIN", "WEBAUTHN_RP_ID"];
        for (pairs, variable) in bad.into_iter().zip(expected) {
            let all: Vec<(&str, &str)> = [("JWT_SECRET", SECRET)].into_iter().chain(pairs.iter().copied()).collect();
            assert_eq!(variable_of(Config::from_lookup(env(&all)).expect_err("refused")), variable, "{pairs:?}");
        }
        let builder = Config::new(SECRET).expect("valid").with_webauthn("localhost", "http://[::1]:8000");
        assert_eq!(variable_of(builder.expect_err("an IP origin")), "WEBAUTHN_ORIGIN");
    }

    #[test]
    fn debug_output_hides_the_secret_and_database_password() {
        let config = Config::new(SECRET).expect("valid").with_database_url("postgres://app:hunter2@db.example/todo");
        let debug = format!("{config:?}");
        assert!(!debug.contains(SECRET));
        assert!(!debug.contains("hunter2"));
        assert!(debug.contains("postgres://app:***@db.example/todo"));
    }
}
