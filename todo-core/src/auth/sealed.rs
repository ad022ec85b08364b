//! TOTP secrets at rest: sealed with AES-256-GCM under a key derived from `JWT_SECRET`, so that a copy of the
//! database alone does not yield anyone's codes. The server must read the secret back to compute codes, so a hash
//! would not do.
//!
//! A sealed value is the 12-byte random nonce followed by the ciphertext and its tag. The key is derived from each
//! accepted signing secret (the current one, then `JWT_PREVIOUS_SECRETS`), so a secret rotation keeps the existing
//! factors working: opening tries each key, and the next confirmation seals under the current one.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::config::Config;
use crate::error::{Error, Result};

/// The label the sealing key is derived under, so that it is no key that signs anything else.
const LABEL: &[u8] = b"todo-core: TOTP secrets at rest";

/// Seals and opens TOTP secrets. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Sealer {
    /// The current secret's key first, then those of previous secrets.
    keys: std::sync::Arc<Vec<LessSafeKey>>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer").finish_non_exhaustive()
    }
}

impl Sealer {
    pub(crate) fn new(config: &Config) -> Self {
        let keys = std::iter::once(config.jwt_secret())
            .chain(config.previous_secrets())
            .map(|secret| {
                let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), LABEL);
                let key = UnboundKey::new(&AES_256_GCM, derived.as_ref())
                    .expect("HMAC-SHA-256 gives the 32 bytes an AES-256 key needs");
                LessSafeKey::new(key)
            })
            .collect();
        Self { keys: std::sync::Arc::new(keys) }
    }

    /// `secret` sealed under the current key, bound to `context` (the factor's id: a sealed value copied to another
    /// row does not open).
    pub(crate) fn seal(&self, secret: &[u8], context: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(Error::internal)?;
        let mut sealed = secret.to_vec();
        self.keys[0]
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context), &mut sealed)
            .map_err(Error::internal)?;
        Ok([&nonce[..], &sealed].concat())
    }

    /// The secret in `sealed`, opened with the first key that fits; `None` if none does (a secret sealed under a
    /// signing secret that is no longer accepted, or a value that was tampered with).
    pub(crate) fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Vec<u8>> {
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        self.keys.iter().find_map(|key| {
            let mut buffer = ciphertext.to_vec();
            let opened =
                key.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(context), &mut buffer).ok()?;
            Some(opened.to_vec())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const OLD: &str = "an older secret of at least 32 bytes";

    #[test]
    fn a_sealed_secret_opens_with_its_context_only() {
        let sealer = Sealer::new(&Config::new(SECRET).expect("valid"));
        let sealed = sealer.seal(b"12345678901234567890", b"factor-1").expect("seals");
        assert!(!sealed.windows(20).any(|w| w == b"12345678901234567890"));
        assert_eq!(sealer.open(&sealed, b"factor-1").as_deref(), Some(&b"12345678901234567890"[..]));
        assert_eq!(sealer.open(&sealed, b"factor-2"), None);
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert_eq!(sealer.open(&tampered, b"factor-1"), None);
        assert_eq!(sealer.open(&sealed[..5], b"factor-1"), None);
    }

    #[test]
    fn a_secret_sealed_before_a_rotation_still_opens() {
        let before = Sealer::new(&Config::new(OLD).expect("valid"));
        let sealed = before.seal(b"secret", b"f").expect("seals");
        let rotated = Sealer::new(&Config::new(SECRET).expect("valid").with_previous_secrets([OLD]).expect("valid"));
        assert_eq!(rotated.open(&sealed, b"f").as_deref(), Some(&b"secret"[..]));
        let forgotten = Sealer::new(&Config::new(SECRET).expect("valid"));
        assert_eq!(forgotten.open(&sealed, b"f"), None);
    }
}
