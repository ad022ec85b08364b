//! Recovery codes: ten single-use codes for when the authenticator is lost, shown once and stored hashed.
//!
//! A code is 16 characters of Crockford's base32 (80 random bits), shown in groups of four (`k7qm-2xwd-9fha-rt3e`).
//! Typed back, case, spaces and dashes do not matter, and the look-alikes `o`, `i` and `l` read as `0` and `1`.
//! The database keeps the SHA-256 hash of the user id and the code: 80 random bits need no slow hash, and the user
//! id makes one user's hashes useless against another's. Using a code deletes its row, so the database decides
//! the single use.

use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use uuid::Uuid;

use crate::error::{Error, Result};

/// How many recovery codes an account gets at a time.
pub const RECOVERY_CODE_COUNT: usize = 10;

/// Crockford's base32 alphabet, lower-case: digits and letters without `i`, `l`, `o` and `u`.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters in a code (5 bits each: 80 bits).
const CODE_CHARS: usize = 16;

/// Ten new codes, formatted for showing.
pub(crate) fn generate() -> Result<Vec<String>> {
    let random = SystemRandom::new();
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let mut bytes = [0u8; CODE_CHARS];
            random.fill(&mut bytes).map_err(Error::internal)?;
            let chars: Vec<char> = bytes.iter().map(|byte| char::from(ALPHABET[usize::from(byte % 32)])).collect();
            Ok(chars.chunks(4).map(|group| group.iter().collect::<String>()).collect::<Vec<_>>().join("-"))
        })
        .collect()
}

/// `typed` in the form codes are hashed in, or `None` when it cannot be a recovery code.
pub(crate) fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect();
    (code.len() == CODE_CHARS && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// What the database keeps of `user`'s code (normalized).
pub(crate) fn hash(user: Uuid, code: &str) -> Vec<u8> {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(user.as_bytes());
    context.update(code.as_bytes());
    context.finish().as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_codes_of_sixteen_characters_in_groups_of_four_all_different() {
        let codes = generate().expect("random");
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        for code in &codes {
            assert_eq!(code.len(), 19, "{code}");
            assert_eq!(code.split('-').map(str::len).collect::<Vec<_>>(), [4, 4, 4, 4]);
            assert!(normalize(code).is_some(), "{code}");
        }
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), codes.len());
    }

    #[test]
    fn typing_ignores_case_spaces_dashes_and_look_alikes() {
        assert_eq!(normalize("K7QM-2XWD-9FHA-RT3E").as_deref(), Some("k7qm2xwd9fhart3e"));
        assert_eq!(normalize(" k7qm 2xwd 9fha rt3e ").as_deref(), Some("k7qm2xwd9fhart3e"));
        assert_eq!(normalize("oOiL-2xwd-9fha-rt3e").as_deref(), Some("00112xwd9fhart3e"));
        assert_eq!(normalize("123456"), None, "a TOTP code is no recovery code");
        assert_eq!(normalize("k7qm-2xwd-9fha-rt3u"), None, "u is not in the alphabet");
    }

    #[test]
    fn hashes_depend_on_the_user() {
        let (ann, bob) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(hash(ann, "k7qm2xwd9fhart3e"), hash(ann, "k7qm2xwd9fhart3e"));
        assert_ne!(hash(ann, "k7qm2xwd9fhart3e"), hash(bob, "k7qm2xwd9fhart3e"));
    }
}
