//! HS256 JSON Web Tokens: minting at login, verifying on every request.
//!
//! Verification trusts nothing before the signature: the header is only read to refuse any algorithm but HS256
//! (so `alg: none` and RS/HS confusion cannot work), then the HMAC is checked in constant time, then the claims
//! are parsed and `exp` is checked.
//!
//! `jsonwebtoken` mints the tokens. Verification runs on every authenticated request, so it is done here with
//! `ring` directly: one HMAC key schedule per secret at start-up (instead of one per call), the header skipped
//! when it is byte for byte the one we mint, and the claims parsed once. `jsonwebtoken::decode` was measured
//! against this path at the level of a request and cost more than 3% of its throughput, the bar for owning a
//! verifier: `benches/README.md`, "Token verification: `jsonwebtoken` measured again (issue 26)".

use std::fmt;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::hmac;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::assurance::Assurance;
use super::users::User;
use crate::config::Config;
use crate::error::{Error, Result, TokenError};
use crate::ids::{SessionId, UserId};

/// Allowed clock difference between the instance that minted a token and the one verifying it.
const CLOCK_SKEW_LEEWAY_SECONDS: i64 = 30;

/// The base64url header segment of every token [`TokenKeys::mint`] writes: `{"typ":"JWT","alg":"HS256"}`.
/// A token that starts with it needs no header parsing; any other header is parsed and must say HS256.
const MINTED_HEADER: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9";

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
    /// The session the token belongs to, as a UUID string; revoking the session revokes the token.
    pub sid: String,
    /// The session's assurance level: 1 (one factor) or 2 (two). Tokens minted before second factors existed
    /// carry none and read as 1.
    #[serde(default = "level_one")]
    pub aal: u8,
    /// How the session was won (RFC 8176 names where one exists: `pwd`, `otp`, `hwk`, ...); empty in tokens minted
    /// before second factors existed.
    #[serde(default)]
    pub amr: Vec<String>,
}

fn level_one() -> u8 {
    1
}

impl Claims {
    /// The user id in `sub`.
    pub fn user_id(&self) -> Result<UserId, TokenError> {
        Uuid::parse_str(&self.sub).map(UserId::from_uuid).map_err(|_| TokenError::Malformed)
    }

    /// The session id in `sid`.
    pub fn session_id(&self) -> Result<SessionId, TokenError> {
        self.sid.parse().map_err(|_| TokenError::Malformed)
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
    /// HMAC-SHA256 keys with their key schedule done: the current secret's first, then those of
    /// `JWT_PREVIOUS_SECRETS` (key rotation).
    verifying: Vec<hmac::Key>,
    ttl: Duration,
}

impl TokenKeys {
    /// Builds the keys from the configuration's secret and token lifetime.
    pub fn new(config: &Config) -> Self {
        Self {
            encoding: EncodingKey::from_secret(config.jwt_secret()),
            verifying: std::iter::once(config.jwt_secret())
                .chain(config.previous_secrets())
                .map(|secret| hmac::Key::new(hmac::HMAC_SHA256, secret))
                .collect(),
            ttl: config.token_ttl(),
        }
    }

    /// Mints an access token for `user` in `session`, won as `assurance` says, valid for the configured lifetime
    /// from now.
    pub fn mint(&self, user: &User, session: SessionId, assurance: &Assurance) -> Result<AccessToken> {
        let iat = OffsetDateTime::now_utc().unix_timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            sub: user.id.to_string(),
            email: user.email.to_string(),
            iat,
            exp: iat.saturating_add(ttl),
            sid: session.to_string(),
            aal: assurance.aal(),
            amr: assurance.amr().to_vec(),
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(Error::internal)?;
        Ok(AccessToken { access_token, token_type: "bearer", expires_in: self.ttl.as_secs() })
    }

    /// Verifies the signature and expiry of `token` and returns its claims.
    ///
    /// The checks, in order: three base64url segments; a header saying HS256 ([`TokenError::Malformed`],
    /// [`TokenError::UnsupportedAlgorithm`]); the HMAC under the current secret or a previous one
    /// ([`TokenError::BadSignature`]); claims with `sub`, `email`, `iat` and `exp`
    /// ([`TokenError::MissingClaim`]); `exp` not passed, with 30 seconds of clock skew allowed
    /// ([`TokenError::Expired`]); `sub` and `sid` UUIDs ([`TokenError::Malformed`]).
    ///
    /// This checks the token only; [`crate::Accounts::authenticate`] also confirms that the user still exists.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let (signed, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (header, payload) = signed.split_once('.').ok_or(TokenError::Malformed)?;
        if payload.contains('.') {
            return Err(TokenError::Malformed);
        }
        if header != MINTED_HEADER {
            require_hs256_header(header)?;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
        // `hmac::verify` compares in constant time. Try the current key, then each previous one.
        if !self.verifying.iter().any(|key| hmac::verify(key, signed.as_bytes(), &signature).is_ok()) {
            return Err(TokenError::BadSignature);
        }
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(claims_error)?;
        if claims.exp < OffsetDateTime::now_utc().unix_timestamp().saturating_sub(CLOCK_SKEW_LEEWAY_SECONDS) {
            return Err(TokenError::Expired);
        }
        claims.user_id()?;
        claims.session_id()?;
        Ok(claims)
    }
}

/// The signature checked out but the payload is not our claims: an absent claim is named as such.
fn claims_error(error: serde_json::Error) -> TokenError {
    if error.is_data() && error.to_string().starts_with("missing field") {
        TokenError::MissingClaim
    } else {
        TokenError::Malformed
    }
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKeys").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

/// Refuses a header segment that is not a base64url JSON object with `"alg": "HS256"`.
fn require_hs256_header(header: &str) -> Result<(), TokenError> {
    #[derive(Deserialize)]
    struct AlgOnly {
        alg: String,
    }
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
            email_verified_at: None,
            has_password: true,
        }
    }

    fn session() -> SessionId {
        SessionId::from(Uuid::now_v7())
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
        let token = keys.mint(&user, session(), &Assurance::password()).expect("mints");
        assert_eq!(token.token_type, "bearer");
        assert_eq!(token.expires_in, 3600, "one hour by default");
        let claims = keys.verify(&token.access_token).expect("verifies");
        assert_eq!(claims.user_id().expect("uuid"), user.id);
        assert_eq!(claims.email, "ann@example.com");
        assert_eq!(claims.exp - claims.iat, 3600);
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
        let claims = serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": 0, "exp": now() + 60, "sid": Uuid::now_v7().to_string()});
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
        let claims = serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": 0, "exp": now() + 60, "sid": Uuid::now_v7().to_string()});
        let token = sign_with("another secret that is also 32 bytes long", &claims);
        assert_eq!(keys().verify(&token), Err(TokenError::BadSignature));
    }

    #[test]
    fn a_tampered_payload_has_a_bad_signature() {
        let keys = keys();
        let token = keys.mint(&user(), session(), &Assurance::password()).expect("mints").access_token;
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload =
            b64(&format!(r#"{{"sub":"{}","email":"eve@x.io","iat":0,"exp":{}}}"#, Uuid::now_v7(), now() + 60));
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(keys.verify(&forged), Err(TokenError::BadSignature));
    }

    #[test]
    fn tokens_signed_with_a_previous_secret_still_verify_but_new_ones_use_the_current_secret() {
        let old_secret = "the secret before the rotation, 32+ bytes";
        let claims = serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": now(), "exp": now() + 60, "sid": Uuid::now_v7().to_string()});
        let old_token = sign_with(old_secret, &claims);
        assert_eq!(keys().verify(&old_token), Err(TokenError::BadSignature), "unknown before it is configured");
        let rotated =
            TokenKeys::new(&Config::new(SECRET).expect("valid").with_previous_secrets([old_secret]).expect("valid"));
        assert!(rotated.verify(&old_token).is_ok());
        let fresh = rotated.mint(&user(), session(), &Assurance::password()).expect("mints").access_token;
        assert!(keys().verify(&fresh).is_ok(), "signed with the current secret");
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let past = now() - 3600;
        let claims = serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": past - 60, "exp": past, "sid": Uuid::now_v7().to_string()});
        assert_eq!(keys().verify(&sign_with(SECRET, &claims)), Err(TokenError::Expired));
    }

    #[test]
    fn a_token_without_exp_is_rejected() {
        let claims = serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": now()});
        assert_eq!(keys().verify(&sign_with(SECRET, &claims)), Err(TokenError::MissingClaim));
    }

    #[test]
    fn a_token_without_a_session_is_rejected_and_a_session_that_is_not_a_uuid_is_malformed() {
        // Tokens minted before sessions existed carry no `sid`: they are refused, and their users log in again.
        let claims = serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": now(), "exp": now() + 60, "gen": 0});
        assert_eq!(keys().verify(&sign_with(SECRET, &claims)), Err(TokenError::MissingClaim));
        let claims = serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": now(), "exp": now() + 60, "sid": "7"});
        assert_eq!(keys().verify(&sign_with(SECRET, &claims)), Err(TokenError::Malformed));
    }

    #[test]
    fn a_minted_token_names_its_session() {
        let session = session();
        let token = keys().mint(&user(), session, &Assurance::password()).expect("mints").access_token;
        assert_eq!(keys().verify(&token).expect("verifies").session_id(), Ok(session));
    }

    #[test]
    fn a_subject_that_is_not_a_uuid_is_malformed() {
        let claims = serde_json::json!({"sub": "42", "email": "a@b.c", "iat": now(), "exp": now() + 60, "sid": Uuid::now_v7().to_string()});
        assert_eq!(keys().verify(&sign_with(SECRET, &claims)), Err(TokenError::Malformed));
    }

    #[test]
    fn garbage_is_malformed() {
        for garbage in ["", "abc", "a.b", "a.b.c", "a.b.c.d", "..", "\u{0}.\u{1}.\u{2}"] {
            assert_eq!(keys().verify(garbage), Err(TokenError::Malformed), "{garbage:?}");
        }
    }

    #[test]
    fn minted_tokens_carry_the_header_verify_skips_parsing() {
        let token = keys().mint(&user(), session(), &Assurance::password()).expect("mints").access_token;
        assert_eq!(token.split('.').next(), Some(MINTED_HEADER));
        assert_eq!(URL_SAFE_NO_PAD.decode(MINTED_HEADER).expect("base64"), br#"{"typ":"JWT","alg":"HS256"}"#);
    }

    #[test]
    fn any_hs256_header_verifies_not_only_the_one_we_mint() {
        let claims = serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": now(), "exp": now() + 60, "sid": Uuid::now_v7().to_string()});
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("2026".into());
        let token =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(SECRET.as_bytes())).expect("encodes");
        assert_ne!(token.split('.').next(), Some(MINTED_HEADER));
        assert_eq!(keys().verify(&token).expect("verifies").email, "a@b.c");
    }

    #[test]
    fn a_token_within_the_clock_skew_leeway_still_verifies() {
        let claims = serde_json::json!({"sub": Uuid::now_v7().to_string(), "email": "a@b.c", "iat": now() - 60, "exp": now() - 5, "sid": Uuid::now_v7().to_string()});
        assert!(keys().verify(&sign_with(SECRET, &claims)).is_ok());
    }

    #[test]
    fn a_validly_signed_payload_that_is_not_claims_is_malformed() {
        let keys = keys();
        for payload in [r#"[1,2]"#, r#"{"sub":1,"email":"a@b.c","iat":0,"exp":1}"#, "not json"] {
            let signed = format!("{MINTED_HEADER}.{}", b64(payload));
            let signature = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes()), signed.as_bytes());
            let token = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()));
            assert_eq!(keys.verify(&token), Err(TokenError::Malformed), "{payload}");
        }
    }

    #[test]
    fn a_signature_that_is_not_base64url_is_malformed() {
        let token = keys().mint(&user(), session(), &Assurance::password()).expect("mints").access_token;
        let (signed, _) = token.rsplit_once('.').expect("three segments");
        assert_eq!(keys().verify(&format!("{signed}.+/==")), Err(TokenError::Malformed));
        assert_eq!(keys().verify(&format!("{signed}.")), Err(TokenError::BadSignature), "an empty signature");
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let token = keys().mint(&user(), session(), &Assurance::password()).expect("mints");
        assert!(!format!("{token:?}").contains(&token.access_token));
    }
}
