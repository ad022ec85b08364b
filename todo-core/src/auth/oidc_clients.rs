//! The configured identity providers, as OpenID Connect clients (a leaf of `auth`: [`super::Accounts`] holds them,
//! and `oidc/` uses them): discovery, the authorization request, the code exchange, the ID token's validation and,
//! when the ID token has no email, the userinfo request, all by the `openidconnect` crate; this file only keeps what it discovered, and fetches
//! the provider's keys again when an ID token names a key it does not know (the provider rotated its keys).

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreJsonWebKeySet};
use openidconnect::core::{CoreProviderMetadata, CoreTokenResponse, CoreUserInfoClaims};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, SignatureVerificationError,
    SubjectIdentifier, TokenResponse as _,
};
use tokio::sync::{Mutex, RwLock};

use crate::error::{Error, Result};
use crate::identity_providers::ProviderSettings;

/// How long a request to a provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// The shortest time between two fetches of a provider's keys caused by ID tokens naming unknown keys.
const KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(10);

/// A client made from a discovery document: an authorization endpoint, and maybe a token and a userinfo endpoint.
type ProviderClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The configured providers, with what discovery found; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Providers {
    providers: Arc<[Provider]>,
    http: openidconnect::reqwest::Client,
}

#[derive(Debug)]
struct Provider {
    settings: ProviderSettings,
    redirect_uri: RedirectUrl,
    /// The discovery document with the keys, once fetched.
    discovered: RwLock<Option<CoreProviderMetadata>>,
    /// When the keys were last fetched because an ID token named an unknown one.
    last_key_refetch: Mutex<Option<Instant>>,
}

/// The start of a sign-in at a provider: the URL to send the browser to, and what the callback checks against.
pub(crate) struct Authorization {
    pub(crate) url: String,
    pub(crate) state: String,
    pub(crate) nonce: String,
    pub(crate) pkce_verifier: String,
}

/// What a provider asserted about the user, from a verified ID token.
#[derive(Debug, Clone)]
pub(crate) struct Asserted {
    pub(crate) subject: String,
    pub(crate) email: Option<String>,
    pub(crate) email_verified: bool,
}

/// Why a provider's answer was not taken.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The provider cannot be reached or did not answer as OpenID Connect says (logged with its reason).
    Unavailable(String),
    /// The code exchange was refused, or the ID token failed validation (the reason is logged).
    Unverified(String),
}

impl Providers {
    /// The providers of `settings`, whose redirect URIs are `{api_url}/auth/oidc/{name}/callback`.
    pub(crate) fn new(settings: &[ProviderSettings], api_url: &str) -> Self {
        let api_url = api_url.trim_end_matches('/');
        let providers = settings
            .iter()
            .filter_map(|settings| {
                let uri = format!("{api_url}/auth/oidc/{}/callback", settings.name());
                // `api_url` was checked as a URL and the name is [a-z0-9_]: the URI always parses.
                RedirectUrl::new(uri).ok().map(|redirect_uri| Provider {
                    settings: settings.clone(),
                    redirect_uri,
                    discovered: RwLock::new(None),
                    last_key_refetch: Mutex::new(None),
                })
            })
            .collect();
        // No redirects: a provider's endpoints answer directly, and following redirects would let a discovery
        // document send this server's requests anywhere (the openidconnect crate's own advice).
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self { providers, http }
    }

    /// The providers' settings, in configuration order.
    pub(crate) fn settings(&self) -> impl Iterator<Item = &ProviderSettings> {
        self.providers.iter().map(|provider| &provider.settings)
    }

    /// Discovers every provider (at start): the first that fails is [`Error::IdentityProviderUnavailable`], naming it.
    pub(crate) async fn discover_all(&self) -> Result<()> {
        for provider in self.providers.iter() {
            self.metadata(provider).await?;
        }
        Ok(())
    }

    /// The redirect URI registered for `name`, if it is configured.
    pub(crate) fn redirect_uri(&self, name: &str) -> Option<&str> {
        self.find(name).ok().map(|provider| provider.redirect_uri.as_str())
    }

    /// A new authorization request at `name`: authorization code flow with PKCE (S256), a fresh `state` and
    /// `nonce`, and the configured scopes.
    pub(crate) async fn authorize(&self, name: &str) -> Result<Authorization> {
        let provider = self.find(name)?;
        let client = self.client(provider, self.metadata(provider).await?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge);
        for scope in provider.settings.scopes().iter().filter(|scope| *scope != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url: url.into(),
            state: state.into_secret(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.into_secret(),
        })
    }

    /// Exchanges `code` at `name`'s token endpoint (with the PKCE verifier, and the client secret if there is one)
    /// and validates the ID token: signature against the provider's keys, `iss`, `aud`, `exp`, and `nonce`.
    pub(crate) async fn exchange(
        &self,
        name: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> std::result::Result<Asserted, Refusal> {
        let provider = self.find(name).map_err(|error| Refusal::Unavailable(error.to_string()))?;
        let metadata = self.metadata(provider).await.map_err(|error| Refusal::Unavailable(error.to_string()))?;
        let client = self.client(provider, metadata.clone());
        let request = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|error| Refusal::Unavailable(format!("no token endpoint: {error}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()));
        let response: CoreTokenResponse = request
            .request_async(&self.http)
            .await
            .map_err(|error| Refusal::Unverified(format!("the code exchange failed: {error}")))?;
        let id_token = response
            .id_token()
            .ok_or_else(|| Refusal::Unverified("the token response has no ID token".to_owned()))?
            .clone();
        let nonce = Nonce::new(nonce.to_owned());
        let verifier = client.id_token_verifier();
        let claims = match id_token.claims(&verifier, &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                // A key this server has not seen: the provider may have rotated its keys since discovery.
                let metadata = self.refetch_keys(provider, metadata).await?;
                let client = self.client(provider, metadata);
                let verifier = client.id_token_verifier();
                id_token.claims(&verifier, &nonce).map(claims_of)
            }
            verified => verified.map(claims_of),
        };
        let mut asserted =
            claims.map_err(|error| Refusal::Unverified(format!("the ID token failed validation: {error}")))?;
        if asserted.email.is_none() {
            // Some providers assert the email at their userinfo endpoint only.
            self.email_from_userinfo(&client, &response, &mut asserted).await?;
        }
        Ok(asserted)
    }

    /// Reads `email` and `email_verified` from the provider's userinfo endpoint (with the access token of the code
    /// exchange), when it has one; its `sub` must be the ID token's.
    async fn email_from_userinfo(
        &self,
        client: &ProviderClient,
        response: &CoreTokenResponse,
        asserted: &mut Asserted,
    ) -> std::result::Result<(), Refusal> {
        let subject = SubjectIdentifier::new(asserted.subject.clone());
        let Ok(request) = client.user_info(response.access_token().clone(), Some(subject)) else {
            return Ok(()); // No userinfo endpoint: the ID token is all there is.
        };
        let info: CoreUserInfoClaims = request
            .request_async(&self.http)
            .await
            .map_err(|error| Refusal::Unverified(format!("the userinfo request failed: {}", chain(&error))))?;
        asserted.email = info.email().map(|email| email.as_str().to_owned());
        asserted.email_verified = info.email_verified() == Some(true);
        Ok(())
    }

    fn find(&self, name: &str) -> Result<&Provider> {
        self.providers.iter().find(|provider| provider.settings.name() == name).ok_or(Error::UnknownProvider)
    }

    fn client(&self, provider: &Provider, metadata: CoreProviderMetadata) -> ProviderClient {
        let settings = &provider.settings;
        CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(settings.client_id().to_owned()),
            settings.client_secret().map(|secret| ClientSecret::new(secret.to_owned())),
        )
        .set_redirect_uri(provider.redirect_uri.clone())
    }

    /// The provider's discovery document and keys, fetched on first use.
    async fn metadata(&self, provider: &Provider) -> Result<CoreProviderMetadata> {
        if let Some(metadata) = provider.discovered.read().await.as_ref() {
            return Ok(metadata.clone());
        }
        let mut discovered = provider.discovered.write().await;
        if let Some(metadata) = discovered.as_ref() {
            return Ok(metadata.clone());
        }
        let unavailable = |reason: String| Error::IdentityProviderUnavailable {
            provider: provider.settings.name().to_owned(),
            reason,
        };
        let issuer = IssuerUrl::new(provider.settings.issuer().to_owned())
            .map_err(|error| unavailable(format!("the issuer is not a URL: {error}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http).await.map_err(|error| {
            unavailable(format!(
                "discovery at {}/.well-known/openid-configuration failed: {}",
                provider.settings.issuer(),
                chain(&error)
            ))
        })?;
        tracing::info!(
            provider = provider.settings.name(),
            keys = metadata.jwks().keys().len(),
            "identity provider discovered"
        );
        *discovered = Some(metadata.clone());
        Ok(metadata)
    }

    /// Fetches the provider's keys again, at most once per [`KEY_REFETCH_INTERVAL`] (an ID token that names a key
    /// the provider does not publish must not make every sign-in fetch them), and keeps them.
    async fn refetch_keys(
        &self,
        provider: &Provider,
        metadata: CoreProviderMetadata,
    ) -> std::result::Result<CoreProviderMetadata, Refusal> {
        let mut last = provider.last_key_refetch.lock().await;
        if last.is_some_and(|last| last.elapsed() < KEY_REFETCH_INTERVAL) {
            // Fetched moments ago (maybe by a concurrent sign-in): use what is kept now.
            return Ok(provider.discovered.read().await.clone().unwrap_or(metadata));
        }
        *last = Some(Instant::now());
        let keys = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &self.http)
            .await
            .map_err(|error| Refusal::Unavailable(format!("fetching the keys failed: {}", chain(&error))))?;
        tracing::info!(
            provider = provider.settings.name(),
            keys = keys.keys().len(),
            "identity provider's keys fetched again"
        );
        let metadata = metadata.set_jwks(keys);
        *provider.discovered.write().await = Some(metadata.clone());
        Ok(metadata)
    }
}

/// Fetches the discovery document and keys of every identity provider `config` names, as a server does at start:
/// the first that fails is [`Error::IdentityProviderUnavailable`], naming the provider. For a binary that checks its
/// settings before it starts serving; a [`crate::Todo`] discovers its providers itself (at
/// [`crate::Accounts::discover_identity_providers`], or at each provider's first sign-in).
pub async fn check_identity_providers(config: &crate::Config) -> Result<()> {
    Providers::new(config.identity_providers(), config.api_url().unwrap_or(crate::DEFAULT_APP_URL)).discover_all().await
}

/// What the application needs of verified claims.
fn claims_of(claims: &CoreIdTokenClaims) -> Asserted {
    Asserted {
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|email| email.as_str().to_owned()),
        email_verified: claims.email_verified() == Some(true),
    }
}

/// An error and its causes, on one line (the crate's errors wrap the HTTP client's).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
