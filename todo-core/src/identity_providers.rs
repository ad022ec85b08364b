//! The settings of the identity providers (OpenID Connect) an operator configured: `OIDC_PROVIDERS=google,corp`
//! and, for each name, `OIDC_<NAME>_ISSUER`, `OIDC_<NAME>_CLIENT_ID`, `OIDC_<NAME>_CLIENT_SECRET` (optional),
//! `OIDC_<NAME>_SCOPES` and `OIDC_<NAME>_LABEL`. Only the settings and their rules: what talks to a provider lives
//! in `auth/oidc/`.

use std::fmt;

use crate::error::{Error, Result};

/// The scopes asked for when `OIDC_<NAME>_SCOPES` is unset: the ID token, the email and its verification, the name.
pub const DEFAULT_OIDC_SCOPES: &str = "openid email profile";
/// The longest provider name: it is a path segment and part of environment variable names.
pub const MAX_PROVIDER_NAME_CHARS: usize = 32;

/// One identity provider as configured: where it is, who this server is to it, and what its button says.
///
/// ```
/// use todo_core::ProviderSettings;
///
/// let google = ProviderSettings::new("google", "https://accounts.google.com", "1234.apps.googleusercontent.com")?
///     .with_client_secret("the client secret")
///     .with_label("Google");
/// assert_eq!(google.scopes(), ["openid", "email", "profile"]);
/// assert!(ProviderSettings::new("Google!", "https://accounts.google.com", "x").is_err()); // names: a-z, 0-9, _
/// # Ok::<(), todo_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    name: String,
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    scopes: Vec<String>,
    label: String,
}

impl ProviderSettings {
    /// A provider called `name` (lower-case letters, digits and `_`, at most 32: it appears in the routes and in the
    /// variable names), at `issuer` (an `https://` URL, or `http://` for a provider on this machine; discovery reads
    /// `{issuer}/.well-known/openid-configuration`), where this server is the client `client_id`. Without a secret
    /// it is a public client that proves itself with PKCE alone; the scopes are [`DEFAULT_OIDC_SCOPES`] and the
    /// label is the name.
    pub fn new(name: &str, issuer: &str, client_id: &str) -> Result<Self> {
        let name = name.trim().to_owned();
        if !valid_name(&name) {
            return Err(Error::config(
                "OIDC_PROVIDERS",
                format!(
                    "`{name}` is not a provider name (lower-case letters, digits and _, at most \
                     {MAX_PROVIDER_NAME_CHARS})"
                ),
            ));
        }
        let issuer = issuer.trim().trim_end_matches('/').to_owned();
        if !usable_issuer(&issuer) {
            return Err(Error::config(
                "OIDC_PROVIDERS",
                format!(
                    "provider `{name}`: {} must be an https:// URL (http:// only for localhost), without a query \
                     or fragment",
                    variable(&name, "ISSUER")
                ),
            ));
        }
        let client_id = client_id.trim().to_owned();
        if client_id.is_empty() {
            return Err(Error::config(
                "OIDC_PROVIDERS",
                format!("provider `{name}`: {} is required", variable(&name, "CLIENT_ID")),
            ));
        }
        Ok(Self {
            label: name.clone(),
            name,
            issuer,
            client_id,
            client_secret: None,
            scopes: DEFAULT_OIDC_SCOPES.split(' ').map(str::to_owned).collect(),
        })
    }

    /// The provider `name`'s variables, read through `lookup`: `OIDC_<NAME>_ISSUER` and `OIDC_<NAME>_CLIENT_ID`
    /// (required), `OIDC_<NAME>_CLIENT_SECRET`, `OIDC_<NAME>_SCOPES` (separated by spaces or commas; `openid` is
    /// added when missing) and `OIDC_<NAME>_LABEL`.
    pub fn from_lookup(name: &str, lookup: &impl Fn(&str) -> Option<String>) -> Result<Self> {
        let name = name.trim();
        if !valid_name(name) {
            return Self::new(name, "", "");
        }
        let read = |suffix: &str| lookup(&variable(name, suffix)).filter(|value| !value.trim().is_empty());
        let required = |suffix: &str| {
            read(suffix).ok_or_else(|| {
                Error::config("OIDC_PROVIDERS", format!("provider `{name}`: {} is required", variable(name, suffix)))
            })
        };
        let mut provider = Self::new(name, &required("ISSUER")?, &required("CLIENT_ID")?)?;
        if let Some(secret) = read("CLIENT_SECRET") {
            provider = provider.with_client_secret(secret.trim());
        }
        if let Some(scopes) = read("SCOPES") {
            provider = provider.with_scopes(scopes.split([' ', ',']));
        }
        if let Some(label) = read("LABEL") {
            provider = provider.with_label(label.trim());
        }
        Ok(provider)
    }

    /// This server's secret at the provider (a confidential client: the code exchange sends it with HTTP Basic).
    pub fn with_client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(secret.into());
        self
    }

    /// The scopes to ask for; `openid` is always among them.
    pub fn with_scopes<S: AsRef<str>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        let mut chosen: Vec<String> = vec!["openid".to_owned()];
        for scope in scopes {
            let scope = scope.as_ref().trim();
            if !scope.is_empty() && !chosen.iter().any(|known| known == scope) {
                chosen.push(scope.to_owned());
            }
        }
        self.scopes = chosen;
        self
    }

    /// The text of the provider's button in a front end ("Google", "Our company"); the name when unset.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        let label = label.into();
        if !label.trim().is_empty() {
            self.label = label.trim().to_owned();
        }
        self
    }

    /// The name, as in the routes (`/auth/oidc/{name}/…`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The issuer URL, without a trailing slash.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// This server's client id at the provider.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// This server's client secret, if it is a confidential client.
    pub fn client_secret(&self) -> Option<&str> {
        self.client_secret.as_deref()
    }

    /// The scopes asked for, `openid` first.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The button's text.
    pub fn label(&self) -> &str {
        &self.label
    }
}

impl fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| ".."))
            .field("scopes", &self.scopes)
            .field("label", &self.label)
            .finish()
    }
}

/// The providers `OIDC_PROVIDERS` names (separated by commas), each read by [`ProviderSettings::from_lookup`].
pub(crate) fn providers_from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Vec<ProviderSettings>> {
    let Some(names) = lookup("OIDC_PROVIDERS") else { return Ok(Vec::new()) };
    let mut providers: Vec<ProviderSettings> = Vec::new();
    for name in names.split(',').map(str::trim).filter(|name| !name.is_empty()) {
        if providers.iter().any(|known| known.name == name) {
            return Err(Error::config("OIDC_PROVIDERS", format!("`{name}` is named twice")));
        }
        providers.push(ProviderSettings::from_lookup(name, lookup)?);
    }
    Ok(providers)
}

/// `OIDC_<NAME>_<suffix>`.
fn variable(name: &str, suffix: &str) -> String {
    format!("OIDC_{}_{suffix}", name.to_ascii_uppercase())
}

fn valid_name(name: &str) -> bool {
    (1..=MAX_PROVIDER_NAME_CHARS).contains(&name.len())
        && name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
}

/// `https://…`, or `http://` on this machine (a provider for development or tests), with a host and nothing after
/// the path.
fn usable_issuer(issuer: &str) -> bool {
    let Ok(url) = url::Url::parse(issuer) else { return false };
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let scheme = url.scheme() == "https" || (url.scheme() == "http" && local);
    scheme && url.host_str().is_some() && url.query().is_none() && url.fragment().is_none() && url.username().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn providers_are_read_from_their_variables() {
        let providers = providers_from_lookup(&env(&[
            ("OIDC_PROVIDERS", "google, corp"),
            ("OIDC_GOOGLE_ISSUER", "https://accounts.google.com/"),
            ("OIDC_GOOGLE_CLIENT_ID", "id-1"),
            ("OIDC_GOOGLE_CLIENT_SECRET", "secret-1"),
            ("OIDC_GOOGLE_LABEL", "Google"),
            ("OIDC_CORP_ISSUER", "http://localhost:8080/realms/corp"),
            ("OIDC_CORP_CLIENT_ID", "todo"),
            ("OIDC_CORP_SCOPES", "email,groups"),
        ]))
        .expect("valid");
        assert_eq!(providers.len(), 2);
        assert_eq!(providers[0].issuer(), "https://accounts.google.com");
        assert_eq!((providers[0].client_secret(), providers[0].label()), (Some("secret-1"), "Google"));
        assert_eq!(providers[1].scopes(), ["openid", "email", "groups"]);
        assert_eq!((providers[1].client_secret(), providers[1].label()), (None, "corp"));
    }

    #[test]
    fn a_missing_or_bad_setting_names_the_provider_and_its_variable() {
        let missing = providers_from_lookup(&env(&[("OIDC_PROVIDERS", "corp"), ("OIDC_CORP_ISSUER", "https://x")]))
            .expect_err("no client id");
        assert!(missing.to_string().contains("OIDC_CORP_CLIENT_ID"), "{missing}");
        let plain = providers_from_lookup(&env(&[
            ("OIDC_PROVIDERS", "corp"),
            ("OIDC_CORP_ISSUER", "http://idp.example.com"),
            ("OIDC_CORP_CLIENT_ID", "x"),
        ]))
        .expect_err("http elsewhere than on this machine");
        assert!(plain.to_string().contains("OIDC_CORP_ISSUER"), "{plain}");
        for bad in ["Corp", "my-idp", "a b", ""] {
            assert!(ProviderSettings::new(bad, "https://x", "y").is_err(), "{bad:?}");
        }
        let twice = providers_from_lookup(&env(&[
            ("OIDC_PROVIDERS", "a, a"),
            ("OIDC_A_ISSUER", "https://idp.example.com"),
            ("OIDC_A_CLIENT_ID", "x"),
        ]))
        .expect_err("twice");
        assert!(twice.to_string().contains("twice"), "{twice}");
    }

    #[test]
    fn debug_output_never_shows_the_client_secret() {
        let provider = ProviderSettings::new("corp", "https://x", "y").expect("valid").with_client_secret("s3cr3t");
        assert!(!format!("{provider:?}").contains("s3cr3t"));
    }
}
