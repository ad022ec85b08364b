//! Random secrets handed to clients (refresh tokens, mail-link tokens) and what the database keeps of them.
//!
//! Each is 32 bytes from the operating system's secure generator, sent as 43 base64url characters. The database
//! stores only its SHA-256 hash: a random 256-bit value needs no slow hash, since there is nothing to guess, and a
//! leaked table then holds nothing that works.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};

/// Random bytes in every secret token (256 bits).
pub const SECRET_TOKEN_BYTES: usize = 32;

/// A new random token, base64url without padding.
pub(crate) fn random_token() -> Result<String> {
    let mut bytes = [0u8; SECRET_TOKEN_BYTES];
    SystemRandom::new().fill(&mut bytes).map_err(Error::internal)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a token: its SHA-256 hash.
pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, token.as_bytes()).as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_differ() {
        let (a, b) = (random_token().expect("random"), random_token().expect("random"));
        assert_eq!(a.len(), 43);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'), "{a}");
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&a.clone()));
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
