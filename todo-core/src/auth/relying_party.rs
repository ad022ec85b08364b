//! The relying party of passkeys: webauthn-rs' checks, built once from the configuration (`WEBAUTHN_RP_ID`,
//! `WEBAUTHN_ORIGIN`, or `APP_URL`), or nothing when the configuration gives no relying party that WebAuthn accepts.
//! The passkey flows themselves are in `mfa/passkeys.rs`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use webauthn_rs::prelude::{Webauthn, WebauthnBuilder};

use crate::config::{Config, RelyingParty};
use crate::error::{Error, Result};

/// How long the options of a passkey ceremony can be answered (also the `timeout` the browser is given).
pub const PASSKEY_CHALLENGE_TTL: Duration = Duration::from_secs(5 * 60);
/// The relying party's name, which browsers may show.
const RP_NAME: &str = "Todo";

/// The relying party passkeys are bound to, built once; `None` when the configuration gives none that WebAuthn
/// accepts (passkeys are then off).
#[derive(Clone)]
pub(crate) struct PasskeySettings {
    webauthn: Option<Arc<Webauthn>>,
    party: Option<RelyingParty>,
}

impl PasskeySettings {
    /// The relying party of `config` (`WEBAUTHN_RP_ID`, `WEBAUTHN_ORIGIN`, or from `APP_URL`). Explicit values were
    /// checked when they were set; a default that WebAuthn refuses turns passkeys off, with a warning now, once.
    pub(crate) fn new(config: &Config) -> Self {
        let party = match config.relying_party() {
            Ok(party) => party,
            Err(problem) => {
                tracing::warn!(
                    reason = %problem.reason,
                    "passkeys are off: the WebAuthn relying party taken from APP_URL is not usable; \
                     set WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN to turn them on"
                );
                return Self { webauthn: None, party: None };
            }
        };
        let built = WebauthnBuilder::new(&party.id, &party.origin)
            .map(|builder| builder.rp_name(RP_NAME).timeout(PASSKEY_CHALLENGE_TTL))
            .and_then(WebauthnBuilder::build);
        match built {
            Ok(webauthn) => Self { webauthn: Some(Arc::new(webauthn)), party: Some(party) },
            Err(error) => {
                // `relying_party` asked the same builder, so this does not happen; passkeys are off if it does.
                tracing::warn!(%error, "passkeys are off: webauthn-rs refuses the relying party");
                Self { webauthn: None, party: None }
            }
        }
    }

    /// The relying party's checks, or [`Error::PasskeysUnavailable`].
    pub(crate) fn webauthn(&self) -> Result<&Webauthn> {
        self.webauthn.as_deref().ok_or(Error::PasskeysUnavailable)
    }
}

impl fmt::Debug for PasskeySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.party {
            Some(party) => f
                .debug_struct("PasskeySettings")
                .field("rp_id", &party.id)
                .field("origin", &party.origin_text())
                .finish(),
            None => f.write_str("PasskeySettings(off)"),
        }
    }
}
