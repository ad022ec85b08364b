//! HS256 JSON Web Tokens: minting at login, verifying on every request.
//!
//! Verification trusts nothing before the signature: the header is only read to refuse any algorithm but HS256
//! (so `alg: none` and RS/HS confusion cannot work), then `jsonwebtoken` checks the signature, then `exp`.

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind as JwtErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::config::Config;
use crate::error::{Error, Result, TokenError};
use crate::users::{User, UserId};

/// Allowed clock difference between the instance that minted a token and the one verifying it.
const CLOCK_SKEW_LEEWAY_SECONDS: u64 = 30;

/// The claims inside every token this crate mints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id, as a UUID string.
    pub sub: String,
    /// The user's normalised email at the time of minting.
    pub email: String,
    /// Issued at, seconds since the Unix epoch.
    pub iat: i64,
    /// Expires at, seconds since the Unix epoch.
    pub exp: i64,
    /// The user's token generation when minted; a password change or "log out everywhere" increments the
    /// stored generation, which revokes every token minted before. Absent in a token means generation 0.
    #[serde(default, rename = "gen")]
    pub generation: i64,
}

impl Claims {
    /// The user id in `sub`.
    pub fn user_id(&self) -> Result<UserId, TokenError> {
        Uuid::parse_str(&self.sub).map(UserId::from_uuid).map_err(|_| TokenError::Malformed)
    }
}

/// What a successful login hands to the client: the OAuth 2.0 token response (RFC 6749 §5.1).
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The signed JWT.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Lifetime in seconds from now.
    pub expires_in: u64,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &"..")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Signing and verification keys, built once from the configured secret and shared by every request.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    /// The current secret's key first, then those of `JWT_PREVIOUS_SECRETS` (key rotation).
    decoding: Vec<DecodingKey>,
    validation: Validation,
    ttl: Duration,
}

impl TokenKeys {
    /// Builds the keys from the configuration's secret and token lifetime.
    pub fn new(config: &Config) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = CLOCK_SKEW_LEEWAY_SECONDS;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(config.jwt_secret()),
            decoding: std::iter::once(config.jwt_secret())
                .chain(config.previous_secrets())
                .map(DecodingKey::from_secret)
                .collect(),
            validation,
            ttl: config.token_ttl(),
        }
    }

    /// Mints a token for `user` at token generation `generation`, valid for the configured lifetime from now.
    pub fn mint(&self, user: &User, generation: i64) -> Result<AccessToken> {
        let iat = OffsetDateTime::now_utc().unix_timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            sub: user.id.to_string(),
            email: user.email.to_string(),
            iat,
            exp: iat.saturating_add(ttl),
            generation,
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(Error::internal)?;
        Ok(AccessToken { access_token, token_type: "bearer", expires_in: self.ttl.as_secs() })
    }

    /// Verifies the signature and expiry of `token` and returns its claims.
    ///
    /// This checks the token only; [`crate::Accounts::authenticate`] also confirms that the user still exists.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        require_hs256_header(token)?;
        let mut outcome = Err(TokenError::BadSignature);
        // Try the current key, then each previous one, until the signature matches.
        for key in &self.decoding {
            outcome = jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(token_error);
            if !matches!(outcome, Err(TokenError::BadSignature)) {
                break;
            }
        }
        let claims = outcome?.claims;
        claims.user_id()?;
        Ok(claims)
    }
}

fn token_error(error: jsonwebtoken::errors::Error) -> TokenError {
    match error.kind() {
        JwtErrorKind::InvalidSignature => TokenError::BadSignature,
        JwtErrorKind::ExpiredSignature => TokenError::Expired,
        JwtErrorKind::MissingRequiredClaim(_) => TokenError::MissingClaim,
        // The signature checked out, but the claims do not fit `Claims`: name the absent claim as such.
        JwtErrorKind::Json(json) if json.to_string().starts_with("missing field") => TokenError::MissingClaim,
        JwtErrorKind::InvalidAlgorithm | JwtErrorKind::InvalidAlgorithmName => TokenError::UnsupportedAlgorithm,
        _ => TokenError::Malformed,
    }
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeys").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

/// Refuses tokens whose header is not a JSON object with `"alg": "HS256"`, before any other parsing.
fn require_hs256_header(token: &str) -> Result<(), TokenError> {
    #[derive(Deserialize)]
    struct AlgOnly {
        alg: String,
    }
    let mut segments = token.split('.');
    let (Some(header), Some(_payload), Some(_signature), None) =
        (segments.next(), segments.next(), segments.next(), segments.next())
    else {
        return Err(TokenError::Malformed);
    };
    let json = URL_SAFE_NO_PAD.decode(header).map_err(|_| TokenError::Malformed)?;
    let header: AlgOnly = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    if header.alg == "HS256" {
        Ok(())
    } else {
        Err(TokenError::UnsupportedAlgorithm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::Email;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn keys() -> TokenKeys {
        TokenKeys::new(&Config::new(SECRET).expect("valid"))
    }

    fn user() -> User {
        User {
            id: UserId::from_uuid(Uuid::now_v7()),
            email: Email::parse("ann@example.com").expect("valid"),
            created_at: OffsetDateTime::now_utc(),
        }
    }

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn sign_with(secret: &str, claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes()))
            .expect("encodes")
    }

    fn now() -> i64 {
        OffsetDateTime::now_utc().unix_timestamp()
    }

    #[test]
    fn a_minted_token_verifies_with_its_claims() {
        let keys = keys();
        let user = user();
        let token = keys.mint(&user, 0).expect("mints");
        assert_eq!(token.token_type, "bearer");
        assert_eq!(token.expires_in, 604_800);
        let claims = keys.verify(&token.access_token).expect("verifies");
        assert_eq!(claims.user_id().expect("uuid"), user.id);
        assert_eq!(claims.email, "ann@example.com");
        assert_eq!(claims.exp - claims.iat, 604_800);
    }

    #[test]
    fn alg_none_is_rejected() {
        let token = format!(
            "{}.{}.",
            b64(r#"{"alg":"none","typ":"JWT"}"#),
            b64(&format!(r#"{{"sub":"{}","email":"a@b.c","iat":0,"exp":{}}}"#, Uuid::now_v7(), now() + 60))
        );
        assert_eq!(keys().verify(&token), Err(TokenError::UnsupportedAlgorithm));
    }

    #[test]
    fn other_algorithms_are_rejected() {
        let claims =
            serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": 0, "exp": now() + 60});
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let token = jsonwebtoken::encode(&Header::new(alg), &claims, &EncodingKey::from_secret(SECRET.as_bytes()))
                .expect("encodes");
            assert_eq!(keys().verify(&token), Err(TokenError::UnsupportedAlgorithm), "{alg:?}");
        }
        let rs256 = format!("{}.{}.c2ln", b64(r#"{"alg":"RS256"}"#), b64("{}"));
        assert_eq!(keys().verify(&rs256), Err(TokenError::UnsupportedAlgorithm));
    }

    #[test]
    fn a_token_signed_with_another_secret_has_a_bad_signature() {
        let claims =
            serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": 0, "exp": now() + 60});
        let token = sign_with("another secret that is also 32 bytes long", &claims);
        assert_eq!(keys().verify(&token), Err(TokenError::BadSignature));
    }

    #[test]
    fn a_tampered_payload_has_a_bad_signature() {
        let keys = keys();
        let token = keys.mint(&user(), 0).expect("mints").access_token;
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload =
            b64(&format!(r#"{{"sub":"{}","email":"eve@x.io","iat":0,"exp":{}}}"#, Uuid::now_v7(), now() + 60));
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(keys.verify(&forged), Err(TokenError::BadSignature));
    }

    #[test]
    fn tokens_signed_with_a_previous_secret_still_verify_but_new_ones_use_the_current_secret() {
        let old_secret = "the secret before the rotation, 32+ bytes";
        let claims =
            serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": now(), "exp": now() + 60});
        let old_token = sign_with(old_secret, &claims);
        assert_eq!(keys().verify(&old_token), Err(TokenError::BadSignature), "unknown before it is configured");
        let rotated =
            TokenKeys::new(&Config::new(SECRET).expect("valid").with_previous_secrets([old_secret]).expect("valid"));
        assert!(rotated.verify(&old_token).is_ok());
        let fresh = rotated.mint(&user(), 0).expect("mints").access_token;
        assert!(keys().verify(&fresh).is_ok(), "signed with the current secret");
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let past = now() - 3600;
        let claims =
            serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": past - 60, "exp": past});
        assert_eq!(keys().verify(&sign_with(SECRET, &claims)), Err(TokenError::Expired));
    }

    #[test]
    fn a_token_without_exp_is_rejected() {
        let claims = serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": now()});
        assert_eq!(keys().verify(&sign_with(SECRET, &claims)), Err(TokenError::MissingClaim));
    }

    #[test]
    fn a_subject_that_is_not_a_uuid_is_malformed() {
        let claims = serde_json::json!({"sub": "42", "email": "a@b.c", "iat": now(), "exp": now() + 60});
        assert_eq!(keys().verify(&sign_with(SECRET, &claims)), Err(TokenError::Malformed));
    }

    #[test]
    fn garbage_is_malformed() {
        for garbage in ["", "abc", "a.b", "a.b.c", "a.b.c.d", "..", "\u{0}.\u{1}.\u{2}"] {
            assert_eq!(keys().verify(garbage), Err(TokenError::Malformed), "{garbage:?}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let token = keys().mint(&user(), 0).expect("mints");
        assert!(!format!("{token:?}").contains(&token.access_token));
    }
}
