//! What the second-factor flows need from the configuration, built once: the sealer of TOTP secrets and the
//! issuer name authenticator apps show. A sibling of `accounts` and `mfa`, so that `Accounts`
//! can hold it without `accounts` and `mfa` using each other.

/// TOTP secrets at rest, sealed under a key derived from the signing secret.
mod sealed;

use crate::config::Config;

pub(crate) use self::sealed::Sealer;

/// What the factor flows need: the TOTP secrets' sealer and the issuer name authenticator apps show.
#[derive(Clone, Debug)]
pub(crate) struct MfaSettings {
    pub(crate) sealer: Sealer,
    pub(crate) issuer: String,
}

impl MfaSettings {
    /// The settings of `config`: the issuer is the host of `APP_URL` (what the user recognises in their app).
    pub(crate) fn new(config: &Config) -> Self {
        let app_url = config.app_url().unwrap_or(crate::config::DEFAULT_APP_URL);
        let issuer = url::Url::parse(app_url)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
            .unwrap_or_else(|| "todo".to_owned());
        Self { sealer: Sealer::new(config), issuer }
    }
}
