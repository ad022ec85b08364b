//! The server's error type, and the one place that maps every error to an HTTP status.

use rocket::http::Status;
use rocket::response::{self, Responder};
use rocket::Request;
use todo_core::{Error as CoreError, ErrorKind};

use super::problem::{FieldProblem, Problem, EMAIL_NOT_VERIFIED, SECOND_STEP_REQUIRED, TWO_FACTOR_SESSION_REQUIRED};
use crate::ops::metrics;

/// The `WWW-Authenticate` value for a request that sent no usable credentials (RFC 6750 §3).
pub const BEARER_CHALLENGE: &str = "Bearer";
/// The `WWW-Authenticate` value for a request whose token was rejected (RFC 6750 §3.1).
pub const INVALID_TOKEN_CHALLENGE: &str = r#"Bearer error="invalid_token""#;
/// Seconds a client should wait before retrying when the database is unavailable.
const RETRY_AFTER_UNAVAILABLE: &str = "5";

/// Everything a handler or guard can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// An error from the library.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// No bearer token was sent.
    #[error("missing bearer token")]
    MissingToken,
    /// The body is not JSON at all (syntax error, empty).
    #[error("malformed body")]
    MalformedBody(&'static str),
    /// The body is JSON, or a form, of the wrong shape; names the fields without echoing their values.
    #[error("body of the wrong shape")]
    WrongShape(Vec<FieldProblem>),
    /// A query parameter failed its rule.
    #[error("invalid query parameter")]
    InvalidQuery(Vec<FieldProblem>),
    /// The body exceeds the configured limit.
    #[error("body too large")]
    TooLarge,
    /// The `Content-Type` is not one this route reads.
    #[error("unsupported media type")]
    UnsupportedMediaType(&'static str),
    /// The server is wired wrong (e.g. the library state is missing): a bug, logged and answered with 500.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// A header's validation error (`Idempotency-Key`, `If-Match`), answered as any other: 422 naming the header.
impl From<todo_core::FieldError> for ApiError {
    fn from(error: todo_core::FieldError) -> Self {
        ApiError::Core(CoreError::Validation(vec![error]))
    }
}

/// An id in a path, parsed: one that does not parse names nothing the caller can see, so it is 404 like any id
/// that is not theirs (never 422 or 500).
pub fn path_id<T: std::str::FromStr>(id: &str) -> ApiResult<T> {
    id.parse().map_err(|_| ApiError::Core(CoreError::NotFound))
}

impl ApiError {
    /// The HTTP status of this error: the single mapping from error kinds to statuses.
    pub fn status(&self) -> Status {
        match self {
            ApiError::Core(error) => match error.kind() {
                ErrorKind::Validation => Status::UnprocessableEntity,
                ErrorKind::Conflict => Status::Conflict,
                ErrorKind::Unauthorized => Status::Unauthorized,
                ErrorKind::Forbidden | ErrorKind::SecondStepRequired => Status::Forbidden,
                ErrorKind::NotFound => Status::NotFound,
                ErrorKind::Unavailable => Status::ServiceUnavailable,
                ErrorKind::RateLimited => Status::TooManyRequests,
                ErrorKind::Unsupported => Status::NotImplemented,
                ErrorKind::PreconditionFailed => Status::PreconditionFailed,
                _ => Status::InternalServerError,
            },
            ApiError::MissingToken => Status::Unauthorized,
            ApiError::MalformedBody(_) => Status::BadRequest,
            ApiError::WrongShape(_) | ApiError::InvalidQuery(_) => Status::UnprocessableEntity,
            ApiError::TooLarge => Status::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => Status::UnsupportedMediaType,
            ApiError::Internal(_) => Status::InternalServerError,
        }
    }

    /// The problem document for this error. Internal causes are logged here and never sent.
    pub fn to_problem(&self) -> Problem {
        let problem = Problem::new(self.status());
        match self {
            ApiError::Core(CoreError::Validation(errors)) => {
                problem.detail("request failed validation").errors(errors.iter().map(FieldProblem::from))
            }
            ApiError::Core(CoreError::EmailTaken) => problem.detail("this email is already registered"),
            ApiError::Core(CoreError::InvalidCredentials) => {
                problem.detail("invalid email or password").header("WWW-Authenticate", BEARER_CHALLENGE)
            }
            ApiError::Core(CoreError::InvalidRefreshToken(_)) => problem
                .detail("the refresh token is invalid, expired or revoked; log in again")
                .header("WWW-Authenticate", BEARER_CHALLENGE),
            ApiError::Core(CoreError::InvalidToken(_)) => problem
                .detail("the bearer token is invalid or expired")
                .header("WWW-Authenticate", INVALID_TOKEN_CHALLENGE),
            ApiError::Core(CoreError::WrongPassword) => problem.detail("the password is wrong"),
            ApiError::Core(CoreError::EmailNotVerified) => problem
                .of_type(EMAIL_NOT_VERIFIED)
                .detail("verify your email address before logging in: follow the link in the verification mail"),
            ApiError::Core(CoreError::SecondStepRequired(step)) => problem
                .of_type(SECOND_STEP_REQUIRED)
                .detail("the first factor is right; finish signing in with a second factor at POST /auth/mfa/verify")
                .second_step(step),
            ApiError::Core(CoreError::TwoFactorSessionRequired) => problem
                .of_type(TWO_FACTOR_SESSION_REQUIRED)
                .detail("this needs a session signed in with two factors: sign in again with your second factor"),
            ApiError::Core(CoreError::InvalidMfaToken) => problem
                .detail("the second step has expired, was used, or had too many wrong codes; sign in again")
                .header("WWW-Authenticate", BEARER_CHALLENGE),
            ApiError::Core(CoreError::PasskeyRefused) => problem
                .detail("the passkey was not accepted; ask for new options and try again")
                .header("WWW-Authenticate", BEARER_CHALLENGE),
            ApiError::Core(CoreError::PasskeysUnavailable) => problem.detail(
                "passkeys are not available on this server: its relying party (WEBAUTHN_RP_ID, or the host of APP_URL) \
                 must be a domain name",
            ),
            ApiError::Core(CoreError::WrongCode) => {
                problem.detail("the code is wrong, or the passkey was not accepted").header("WWW-Authenticate", BEARER_CHALLENGE)
            }
            ApiError::Core(CoreError::EmailAlreadyVerified) => problem.detail("the email address is already verified"),
            ApiError::Core(CoreError::MailTooSoon { retry_after }) => {
                metrics::refused("verification_mail");
                let seconds = retry_after_seconds(*retry_after);
                problem
                    .detail(format!("a mail went out moments ago; retry in {seconds} seconds"))
                    .header("Retry-After", seconds.to_string())
            }
            // An abuse limit's refusal, counted in the metrics by the route that knows which limit it was.
            ApiError::Core(CoreError::RateLimited { retry_after }) => {
                let seconds = retry_after_seconds(*retry_after);
                problem
                    .detail(format!("too many attempts; retry in {seconds} seconds"))
                    .header("Retry-After", seconds.to_string())
            }
            ApiError::Core(CoreError::NotFound) => problem.detail("no such resource"),
            ApiError::Core(CoreError::UnknownProvider) => problem.detail("no identity provider of this name"),
            ApiError::Core(CoreError::LastSignInMethod) => problem.detail(
                "this is the account's last way to sign in: set a password (forgot password) or link another identity \
                 first",
            ),
            // The core's texts of these say what to do, and hold nothing a client may not see.
            ApiError::Core(
                error @ (CoreError::RoleRequired { .. }
                | CoreError::InboxIsPersonal
                | CoreError::OwnerMustHandOver
                | CoreError::InvitationForSomeoneElse),
            ) => problem.detail(error.to_string()),
            ApiError::Core(CoreError::VersionMismatch) => problem.detail(
                "the task changed since the version in If-Match (someone else changed it); read it again, then retry",
            ),
            ApiError::Core(error @ CoreError::IdentityProviderUnavailable { .. }) => {
                tracing::warn!(error = %error_chain(error), "identity provider unavailable");
                problem
                    .detail("the identity provider cannot be reached right now; retry later")
                    .header("Retry-After", RETRY_AFTER_UNAVAILABLE)
            }
            ApiError::Core(error @ CoreError::Unavailable(_)) => {
                metrics::database_error("unavailable");
                tracing::warn!(error = %error_chain(error), "database unavailable");
                problem
                    .detail("the database is unavailable; retry later")
                    .header("Retry-After", RETRY_AFTER_UNAVAILABLE)
            }
            ApiError::Core(error) => {
                metrics::database_error("internal");
                tracing::error!(error = %error_chain(error), "internal error");
                problem
            }
            ApiError::MissingToken => {
                problem.detail("a bearer token is required").header("WWW-Authenticate", BEARER_CHALLENGE)
            }
            ApiError::MalformedBody(detail) | ApiError::UnsupportedMediaType(detail) => problem.detail(*detail),
            ApiError::WrongShape(errors) => {
                problem.detail("request body does not match the expected schema").errors(errors.clone())
            }
            ApiError::InvalidQuery(errors) => {
                problem.detail("query parameters failed validation").errors(errors.clone())
            }
            ApiError::TooLarge => problem.detail("the request body is larger than the configured limit"),
            ApiError::Internal(cause) => {
                tracing::error!(cause, "internal error");
                problem
            }
        }
    }
}

/// Whole seconds to wait, rounded up, for `Retry-After`.
fn retry_after_seconds(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl<'r> Responder<'r, 'static> for ApiError {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        self.to_problem().respond_to(request)
    }
}

/// The error and all its sources on one line, for logs.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        line.push_str(": ");
        line.push_str(&cause.to_string());
        source = cause.source();
    }
    line
}

/// What a handler returns.
pub type ApiResult<T> = Result<T, ApiError>;
