//! Passwords: the length rules, and bcrypt hashing that never runs on an async worker thread.
//!
//! bcrypt at cost 12 takes a few hundred milliseconds of CPU. Running it inline would stall every other request
//! on the same runtime worker, so [`PasswordHasher`] moves each hash and verify off the async workers, to threads
//! that use the cores requests leave idle (`hashing.rs`).

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The most bytes a password may have: bcrypt ignores everything after byte 72, so longer input is refused
/// rather than silently truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// A password that satisfies the length rules. Its `Debug` output is redacted.
///
/// ```
/// use todo_core::Password;
///
/// assert!(Password::new("correct horse").is_ok());
/// assert!(Password::new("short").is_err());
/// assert_eq!(format!("{:?}", Password::new("correct horse")?), "Password(..)");
/// # Ok::<(), todo_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks the rules (8 characters to 72 bytes) for the `password` field.
    pub fn new(input: impl Into<String>) -> Result<Self> {
        Self::for_field("password", input.into())
    }

    /// Like [`Password::new`], reporting errors on the given field name (e.g. `new_password`).
    pub fn for_field(field: &'static str, input: String) -> Result<Self> {
        if input.chars().count() < MIN_PASSWORD_CHARS {
            return Err(Error::invalid(field, format!("must be at least {MIN_PASSWORD_CHARS} characters")));
        }
        if input.len() > MAX_PASSWORD_BYTES {
            return Err(Error::invalid(field, format!("must be at most {MAX_PASSWORD_BYTES} bytes")));
        }
        Ok(Self(input))
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// A bcrypt hash as stored in the database. Its `Debug` output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a stored hash (e.g. read back from the database).
    pub fn from_stored(hash: String) -> Self {
        Self(hash)
    }

    /// The `$2b$...` string to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// Hashes and verifies passwords with bcrypt at a fixed cost, off the async workers (see `hashing.rs`).
///
/// Cloning is cheap and clones share the dummy hash used for unknown users.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    cost: u32,
    dummy: Arc<OnceLock<PasswordHash>>,
}

impl PasswordHasher {
    /// A hasher with the given bcrypt cost (4 to 31, already checked by [`crate::Config`]).
    pub fn new(cost: u32) -> Self {
        Self { cost, dummy: Arc::default() }
    }

    /// The bcrypt cost in use.
    pub fn cost(&self) -> u32 {
        self.cost
    }

    /// Hashes `password` with a fresh salt, off the async workers.
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash> {
        let password = password.clone();
        let cost = self.cost;
        super::hashing::run(move || hash_now(password.expose(), cost)).await?
    }

    /// Checks `password` against `hash`, off the async workers. `Ok(false)` means a wrong password.
    pub async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool> {
        let password = password.to_owned();
        let hash = hash.clone();
        super::hashing::run(move || verify_now(&password, &hash)).await?
    }

    /// Spends the same time as [`PasswordHasher::verify`] against a real hash, and always fails.
    ///
    /// Used when the email is unknown, so that response time does not reveal which emails are registered.
    pub async fn verify_dummy(&self, password: &str) -> Result<bool> {
        let password = password.to_owned();
        let this = self.clone();
        super::hashing::run(move || {
            let dummy = this.dummy_hash()?;
            verify_now(&password, dummy).map(|_| false)
        })
        .await?
    }

    /// Whether the dummy hash has been computed, i.e. whether some check went down the unknown-user path.
    #[cfg(all(test, feature = "sqlite"))] // its tests (in accounts.rs) run on SQLite in memory
    pub(crate) fn dummy_was_used(&self) -> bool {
        self.dummy.get().is_some()
    }

    /// The dummy hash, computed once at this hasher's cost (so verifying against it costs the same).
    fn dummy_hash(&self) -> Result<&PasswordHash> {
        if let Some(hash) = self.dummy.get() {
            return Ok(hash);
        }
        let hash = hash_now("a password nobody has: the account does not exist", self.cost)?;
        Ok(self.dummy.get_or_init(|| hash))
    }
}

fn hash_now(password: &str, cost: u32) -> Result<PasswordHash> {
    bcrypt::hash(password, cost).map(PasswordHash).map_err(Error::internal)
}

fn verify_now(password: &str, hash: &PasswordHash) -> Result<bool> {
    // Input over 72 bytes can never match a hash we made (signup refuses it); answering `false` without
    // hashing would leak timing, so hash the first 72 bytes anyway and then refuse.
    let too_long = password.len() > MAX_PASSWORD_BYTES;
    let matches = bcrypt::verify(truncate_bytes(password, MAX_PASSWORD_BYTES), &hash.0).map_err(Error::internal)?;
    Ok(matches && !too_long)
}

fn truncate_bytes(input: &str, max: usize) -> &[u8] {
    &input.as_bytes()[..input.len().min(max)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_message(result: Result<Password>) -> String {
        let error = result.unwrap_err();
        let field = &error.field_errors()[0];
        assert_eq!(field.field, "password");
        field.message.clone()
    }

    #[test]
    fn seven_characters_are_too_few_and_eight_are_enough() {
        assert_eq!(field_message(Password::new("1234567")), "must be at least 8 characters");
        assert!(Password::new("12345678").is_ok());
    }

    #[test]
    fn length_minimum_counts_characters_not_bytes() {
        // Seven two-byte characters: 14 bytes but only 7 characters.
        assert!(Password::new("ééééééé").is_err());
        assert!(Password::new("éééééééé").is_ok());
    }

    #[test]
    fn seventy_two_bytes_are_accepted_and_seventy_three_refused() {
        // 36 two-byte characters = 72 bytes; one more ASCII byte makes 73.
        let at_limit = "é".repeat(36);
        assert_eq!(at_limit.len(), 72);
        assert!(Password::new(at_limit.clone()).is_ok());
        assert_eq!(field_message(Password::new(format!("{at_limit}a"))), "must be at most 72 bytes");
        // A multibyte character that straddles the limit: 71 ASCII bytes + a 2-byte character = 73 bytes.
        assert!(Password::new(format!("{}é", "a".repeat(71))).is_err());
    }

    #[test]
    fn other_field_names_are_reported() {
        let error = Password::for_field("new_password", "short".into()).unwrap_err();
        assert_eq!(error.field_errors()[0].field, "new_password");
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let password = Password::new("hunter2hunter2").expect("valid");
        assert!(!format!("{password:?}").contains("hunter2"));
        assert!(!format!("{:?}", PasswordHash::from_stored("$2b$04$abc".into())).contains("abc"));
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = PasswordHasher::new(4);
        let hash = hasher.hash(&Password::new("correct horse").expect("valid")).await.expect("hashes");
        assert!(hash.as_str().starts_with("$2b$04$"));
        assert!(hasher.verify("correct horse", &hash).await.expect("verifies"));
        assert!(!hasher.verify("correct horsf", &hash).await.expect("verifies"));
    }

    #[tokio::test]
    async fn input_over_72_bytes_never_verifies_even_when_its_prefix_matches() {
        let hasher = PasswordHasher::new(4);
        let at_limit = "a".repeat(72);
        let hash = hasher.hash(&Password::new(at_limit.clone()).expect("valid")).await.expect("hashes");
        assert!(hasher.verify(&at_limit, &hash).await.expect("verifies"));
        assert!(!hasher.verify(&format!("{at_limit}b"), &hash).await.expect("verifies"));
    }

    #[tokio::test]
    async fn the_dummy_check_always_fails_and_uses_the_configured_cost() {
        let hasher = PasswordHasher::new(5);
        assert!(!hasher.verify_dummy("anything at all").await.expect("runs"));
        assert!(hasher.dummy.get().expect("computed").as_str().starts_with("$2b$05$"));
    }
}
