//! Why a provider's callback did not sign anyone in, as the front end hears it (`error`, `error_description`).

use crate::error::Error;

/// Why a callback did not sign anyone in, as the front end hears it: `error` and `error_description`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// No `state` or no `code`.
    InvalidRequest,
    /// The `state` is unknown, used, expired, or of another provider.
    InvalidState,
    /// The provider answered with an error (the user cancelled or was refused).
    Denied,
    /// The code exchange was refused, or the ID token failed validation.
    ProviderError,
    /// The provider did not assert a verified email for a new identity.
    EmailNotVerified,
    /// An account has the email, and linking needs the address verified on both sides.
    AccountNotLinked,
    /// Too many new accounts from this network.
    RateLimited,
    /// The provider or the database cannot be reached right now.
    Unavailable,
    /// Anything else (logged).
    ServerError,
}

impl Failure {
    /// The `error` parameter.
    pub(super) fn code(self) -> &'static str {
        match self {
            Failure::InvalidRequest => "invalid_request",
            Failure::InvalidState => "invalid_state",
            Failure::Denied => "access_denied",
            Failure::ProviderError => "provider_error",
            Failure::EmailNotVerified => "email_not_verified",
            Failure::AccountNotLinked => "account_not_linked",
            Failure::RateLimited => "rate_limited",
            Failure::Unavailable => "temporarily_unavailable",
            Failure::ServerError => "server_error",
        }
    }

    /// The `error_description` parameter: for people, and never about the user's data.
    pub(super) fn description(self) -> &'static str {
        match self {
            Failure::InvalidRequest => "The provider's answer had no code or no state.",
            Failure::InvalidState => "This sign-in expired or was already finished. Please start again.",
            Failure::Denied => "The sign-in was cancelled or refused at the provider.",
            Failure::ProviderError => "The provider's answer could not be verified. Please start again.",
            Failure::EmailNotVerified => "The provider did not confirm an email address for this account.",
            Failure::AccountNotLinked => {
                "An account with this email already exists. It is linked to a provider only when both have \
                 verified the address: sign in to it another way and verify its email, then try again."
            }
            Failure::RateLimited => "Too many new accounts from this network. Please try again later.",
            Failure::Unavailable => "The sign-in cannot be finished right now. Please try again.",
            Failure::ServerError => "The sign-in failed on the server. Please try again.",
        }
    }

    /// The failure an error of this crate amounts to (rate limits, an unreachable database, the rest).
    pub(super) fn from_error(error: &Error) -> Self {
        match error {
            Error::RateLimited { .. } => Failure::RateLimited,
            Error::Unavailable(_) | Error::IdentityProviderUnavailable { .. } => Failure::Unavailable,
            _ => Failure::ServerError,
        }
    }
}
