//! The one error type of the crate, and the kinds an adapter maps to its protocol.
//!
//! Every fallible operation returns [`Error`]. Servers match on [`Error::kind`] to pick a status code in one
//! place; the `Display` text of every variant is safe to show to a client: it never contains SQL, a password, a
//! hash, a token or a secret. Internal causes are kept as the error's `source()` for logging only.

use std::fmt;

use crate::roles::Role;

/// A result whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `todo-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input that breaks a rule (email format, password length, title length, ...), with one entry per field.
    #[error("request failed validation")]
    Validation(Vec<FieldError>),
    /// The email is already registered (decided by the database's unique constraint).
    #[error("email is already registered")]
    EmailTaken,
    /// Unknown email or wrong password: deliberately the same error for both.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// An authenticated user gave the wrong password to confirm a sensitive action (change password, delete
    /// account): the token is valid, the proof is not.
    #[error("the password is wrong")]
    WrongPassword,
    /// A bearer token that cannot be trusted; the reason is typed so tests and logs can tell them apart.
    #[error("invalid token: {0}")]
    InvalidToken(#[from] TokenError),
    /// A refresh token that cannot be exchanged: unknown, expired, of a revoked session, or reused.
    #[error("invalid refresh token: {0}")]
    InvalidRefreshToken(#[from] RefreshTokenError),
    /// The password is right, but logins need a verified email (`REQUIRE_VERIFIED_EMAIL`) and this one is not.
    #[error("the email address is not verified yet")]
    EmailNotVerified,
    /// A verification mail was asked for an email that is already verified.
    #[error("the email address is already verified")]
    EmailAlreadyVerified,
    /// Another mail of this kind went to this user moments ago; the next may go after `retry_after`.
    #[error("a mail was sent moments ago; retry later")]
    MailTooSoon {
        /// How long until the next mail may be sent.
        retry_after: std::time::Duration,
    },
    /// Too many attempts of this kind right now (the abuse limits: failed password checks, signups, reset mails);
    /// the next may be tried after `retry_after`.
    #[error("too many attempts; retry later")]
    RateLimited {
        /// How long until the budget that refused has room again.
        retry_after: std::time::Duration,
    },
    /// The first factor (a password, a sign-in link) was right, and the account has a second factor: the sign-in
    /// goes on at [`crate::Accounts::verify_second_step`] with the challenge's token.
    #[error("a second step is needed to sign in")]
    SecondStepRequired(SecondStep),
    /// The `mfa_token` of a second step is unknown, used, expired, or voided by too many wrong codes.
    #[error("the second step has expired or was used; sign in again")]
    InvalidMfaToken,
    /// A second-step code (TOTP or recovery code) or passkey assertion that does not check out (each counts as one of
    /// the `mfa_token`'s five attempts).
    #[error("the code is wrong")]
    WrongCode,
    /// The action changes the account's factors, and needs a session won with two factors (or, for an account
    /// without factors, the password).
    #[error("this needs a two-factor session")]
    TwoFactorSessionRequired,
    /// A sign-in with a passkey alone ([`crate::Accounts::login_with_passkey`]) that does not check out: the
    /// assertion's signature, origin, relying party, user verification or signature counter is wrong, the passkey is
    /// not registered (or to another user than its user handle names), or the ceremony is unknown, used or expired.
    /// Which of these it was is logged, not told: the client starts a new ceremony either way.
    #[error("the passkey was refused")]
    PasskeyRefused,
    /// Passkeys are off on this server: the relying party that `APP_URL` implies is not one WebAuthn accepts (an IP
    /// address, for one), and `WEBAUTHN_RP_ID` / `WEBAUTHN_ORIGIN` are not set. The server said so once at start.
    #[error("passkeys are not available on this server")]
    PasskeysUnavailable,
    /// The task does not exist, or belongs to another user (the two are indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// No identity provider of this name is configured.
    #[error("no identity provider of this name")]
    UnknownProvider,
    /// An identity provider cannot be used right now: its discovery document or keys could not be fetched, or its
    /// answer was not OpenID Connect. At start, this names the provider whose issuer is bad or unreachable.
    #[error("identity provider `{provider}` is unavailable: {reason}")]
    IdentityProviderUnavailable {
        /// The provider's configured name.
        provider: String,
        /// What went wrong, never a secret or a code.
        reason: String,
    },
    /// The identity is the account's last way to sign in (it has no password, no other identity and no passkey):
    /// unlinking it would lock the account out.
    #[error("this is the account's last way to sign in")]
    LastSignInMethod,
    /// The caller is a member of the list, but their role does not allow this action (viewers read; editors also
    /// write tasks; owners also manage the list). Someone who is not a member gets [`Error::NotFound`] instead.
    #[error("this needs the {needed} role in the list")]
    RoleRequired {
        /// The weakest role that may do it.
        needed: Role,
    },
    /// An inbox is its account's own: it cannot be shared, deleted or handed over.
    #[error("an inbox cannot be shared, handed over or deleted")]
    InboxIsPersonal,
    /// The owner cannot leave a list, nor be removed or demoted, without handing it over to another member first.
    #[error("the owner must hand the list over before leaving it")]
    OwnerMustHandOver,
    /// The task changed since the version the caller named (`If-Match`): nothing was written.
    #[error("the task changed since that version")]
    VersionMismatch,
    /// The invitation was sent to another address than the signed-in account's verified email.
    #[error("this invitation was sent to another email address")]
    InvitationForSomeoneElse,
    /// A configuration value is missing or wrong; names the environment variable it comes from.
    #[error("configuration error: {variable}: {reason}")]
    Config {
        /// The environment variable (or builder setting) at fault, such as `JWT_SECRET`.
        variable: &'static str,
        /// What is wrong with it, never the value itself.
        reason: String,
    },
    /// The database cannot be reached right now (connection refused, pool timeout); retrying later may work.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A bug or an unexpected failure; the cause is in `source()` for the logs and is never shown to clients.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The broad class of an [`Error`]: what an adapter needs to choose a status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad input (HTTP 422).
    Validation,
    /// A uniqueness conflict (HTTP 409).
    Conflict,
    /// Missing or wrong credentials or token (HTTP 401).
    Unauthorized,
    /// Authenticated, but the proof for this action is wrong (HTTP 403).
    Forbidden,
    /// The first factor was right; the sign-in needs its second step (HTTP 403 with a problem type of its own).
    SecondStepRequired,
    /// No such resource for this user (HTTP 404).
    NotFound,
    /// Too many requests of this kind right now; retry later (HTTP 429).
    RateLimited,
    /// A dependency is down (HTTP 503).
    Unavailable,
    /// A feature this server does not offer as configured, such as passkeys without a usable relying party
    /// (HTTP 501).
    Unsupported,
    /// A precondition of the request (`If-Match`) does not hold (HTTP 412).
    PreconditionFailed,
    /// Misconfiguration (a start-up failure, not a request failure).
    Config,
    /// Anything else (HTTP 500).
    Internal,
}

impl Error {
    /// The class of this error, for mapping to a protocol status in one place.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Validation(_) => ErrorKind::Validation,
            Error::EmailTaken | Error::EmailAlreadyVerified => ErrorKind::Conflict,
            Error::EmailNotVerified => ErrorKind::Forbidden,
            Error::MailTooSoon { .. } | Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::InvalidCredentials | Error::InvalidToken(_) | Error::InvalidRefreshToken(_) => {
                ErrorKind::Unauthorized
            }
            Error::WrongPassword | Error::TwoFactorSessionRequired => ErrorKind::Forbidden,
            Error::SecondStepRequired(_) => ErrorKind::SecondStepRequired,
            Error::InvalidMfaToken | Error::WrongCode | Error::PasskeyRefused => ErrorKind::Unauthorized,
            Error::PasskeysUnavailable => ErrorKind::Unsupported,
            Error::NotFound | Error::UnknownProvider => ErrorKind::NotFound,
            Error::IdentityProviderUnavailable { .. } => ErrorKind::Unavailable,
            Error::LastSignInMethod | Error::InboxIsPersonal | Error::OwnerMustHandOver => ErrorKind::Conflict,
            Error::RoleRequired { .. } | Error::InvitationForSomeoneElse => ErrorKind::Forbidden,
            Error::VersionMismatch => ErrorKind::PreconditionFailed,
            Error::Unavailable(_) => ErrorKind::Unavailable,
            Error::Config { .. } => ErrorKind::Config,
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The per-field messages of a [`Error::Validation`], or an empty slice for any other error.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Error::Validation(errors) => errors,
            _ => &[],
        }
    }

    /// A validation error about one field.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Validation(vec![FieldError::new(field, message)])
    }

    /// The validation error (on `token`) of a mail link's token that is unknown, used, voided, withdrawn or expired:
    /// all alike, on purpose, for every kind of link (verification, reset, sign-in, invitation).
    pub(crate) fn invalid_link_token() -> Self {
        Error::invalid("token", "is invalid or has expired; ask for a new link")
    }

    pub(crate) fn config(variable: &'static str, reason: impl Into<String>) -> Self {
        Error::Config { variable, reason: reason.into() }
    }

    pub(crate) fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Internal(Box::new(source))
    }
}

impl From<sqlx::Error> for Error {
    /// Connection-level failures become [`Error::Unavailable`]; the rest are internal.
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolClosed => {
                Error::Unavailable(error)
            }
            sqlx::Error::Database(ref database) if database.code().as_deref().is_some_and(server_is_unavailable) => {
                Error::Unavailable(error)
            }
            other => Error::internal(other),
        }
    }
}

/// Whether `error` says the connection is gone (its socket failed, or the server ended it: a restart, a
/// failover, `pg_terminate_backend`), as opposed to the statement failing or the pool having no connection.
pub(crate) fn connection_was_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(database) => database.code().as_deref().is_some_and(server_is_unavailable),
        _ => false,
    }
}

/// Whether a PostgreSQL SQLSTATE says the server, not the statement, failed: class 08 (connection exception),
/// 57P01-57P03 (the server is shutting down, crashed, or is starting: also what `pg_terminate_backend` and a
/// restart send to open connections), 53300 (too many connections). The statement did not run; retrying later may
/// succeed.
fn server_is_unavailable(sqlstate: &str) -> bool {
    sqlstate.starts_with("08") || matches!(sqlstate, "57P01" | "57P02" | "57P03" | "53300")
}

/// One broken rule on one input field, e.g. `password`: "must be at least 8 characters".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field name as the client sent it (`email`, `password`, `title`, `limit`, ...).
    pub field: &'static str,
    /// A human-readable message that never repeats the rejected value.
    pub message: String,
}

impl FieldError {
    /// Creates a field error.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field, message: message.into() }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// What a sign-in that needs its second step hands back: the `mfa_token` (opaque, single use, 5 minutes) and the
/// methods the account can finish with. Its `Debug` output hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct SecondStep {
    mfa_token: String,
    methods: Vec<SecondStepMethod>,
}

impl SecondStep {
    pub(crate) fn new(mfa_token: String, methods: Vec<SecondStepMethod>) -> Self {
        Self { mfa_token, methods }
    }

    /// The token to send back with the second step.
    pub fn mfa_token(&self) -> &str {
        &self.mfa_token
    }

    /// The methods the account has, in the order `totp`, `recovery_code`, `passkey`.
    pub fn methods(&self) -> &[SecondStepMethod] {
        &self.methods
    }
}

impl fmt::Debug for SecondStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecondStep").field("mfa_token", &"..").field("methods", &self.methods).finish()
    }
}

/// A way to finish a sign-in's second step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecondStepMethod {
    /// A code from an authenticator app.
    Totp,
    /// One of the account's recovery codes.
    RecoveryCode,
    /// A passkey.
    Passkey,
}

impl SecondStepMethod {
    /// The method's name on the wire: `totp`, `recovery_code` or `passkey`.
    pub fn as_str(self) -> &'static str {
        match self {
            SecondStepMethod::Totp => "totp",
            SecondStepMethod::RecoveryCode => "recovery_code",
            SecondStepMethod::Passkey => "passkey",
        }
    }
}

/// Why a bearer token was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not three base64url segments of JSON, or claims of the wrong shape.
    #[error("malformed token")]
    Malformed,
    /// The header names an algorithm other than HS256 (including `none`).
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// The signature does not match the payload under any accepted key.
    #[error("bad signature")]
    BadSignature,
    /// `exp` is in the past.
    #[error("token expired")]
    Expired,
    /// A required claim (`exp`, `sub`, ...) is absent.
    #[error("missing claim")]
    MissingClaim,
    /// The token is well-formed and signed, but its user no longer exists.
    #[error("unknown user")]
    UnknownUser,
    /// The token's session is over: revoked (log out, a password change, a revoked session, refresh-token reuse)
    /// or expired.
    #[error("token revoked")]
    Revoked,
}

/// Why a refresh token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshTokenError {
    /// No such token: never issued, or its session was revoked (which removes its tokens).
    #[error("unknown refresh token")]
    Unknown,
    /// The token's lifetime (`REFRESH_TTL_SECONDS`) has passed.
    #[error("refresh token expired")]
    Expired,
    /// The token was spent longer than the reuse interval ago: taken as stolen, and its session was revoked.
    #[error("refresh token reused")]
    Reused,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause_from_display() {
        let error = Error::internal(std::io::Error::other("SELECT secret FROM users"));
        assert_eq!(error.to_string(), "internal error");
        assert_eq!(error.kind(), ErrorKind::Internal);
    }

    #[test]
    fn a_second_step_never_shows_its_token() {
        let step = SecondStep::new("secret-token-value".to_owned(), vec![SecondStepMethod::Totp]);
        let error = Error::SecondStepRequired(step);
        assert!(!format!("{error:?} {error}").contains("secret-token-value"));
        assert_eq!(error.kind(), ErrorKind::SecondStepRequired);
    }

    #[test]
    fn refused_passkeys_are_unauthorized_and_missing_ones_unsupported() {
        assert_eq!(Error::PasskeyRefused.kind(), ErrorKind::Unauthorized);
        assert_eq!(Error::PasskeysUnavailable.kind(), ErrorKind::Unsupported);
    }

    #[test]
    fn pool_timeouts_are_unavailable() {
        assert_eq!(Error::from(sqlx::Error::PoolTimedOut).kind(), ErrorKind::Unavailable);
        assert_eq!(Error::from(sqlx::Error::RowNotFound).kind(), ErrorKind::Internal);
    }
}
