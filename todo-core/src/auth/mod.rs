//! Who is asking: accounts (signup, login, password changes, account deletion), sessions and their rotating
//! refresh tokens, the access tokens (HS256 JWTs), passwords and where bcrypt runs, and the mail links that verify
//! an email or reset a password. Second factors and passkeys live in `mfa/`; sign-in through identity providers in
//! `oidc/`. What [`Accounts`] holds for `mfa/` and `oidc/` (the TOTP secrets' `sealed` keys, the passkeys'
//! `relying_party`, the providers as OpenID Connect clients in `oidc_clients`) lives in leaves of its own that use
//! nothing of `auth`, so that `accounts` does not use `mfa` or `oidc`, which extend it.
//!
//! May use `store` (the [`Store`](crate::Store), and [`Owner`](crate::Owner) with the session condition its
//! statements carry, and the abuse limits' counters), `mail`, and the leaf modules (`error`, `config`, `ids`, `clock`,
//! `email`, `secret`, `abuse`). Nothing
//! here uses `tasks`, and `tasks` does not use this: what both need of an owner lives in `store`.

/// [`Accounts`]: signup, login, token checks, sessions, password changes and account deletion.
mod accounts;
/// How a session was won: the methods (`amr`) and the assurance level (`aal`) they add up to.
mod assurance;
/// Email verification and password recovery: the tokens in mail links, and the flows that issue and use them.
mod email_links;
/// Where bcrypt runs: off the async workers, with a core always left to requests.
mod hashing;
/// Housekeeping: the sweep of expired sessions, tokens and counters.
mod housekeeping;
/// The abuse limits applied: password checks admitted before they run, signups and reset mails counted.
mod limits;
/// Second factors (TOTP, recovery codes, passkeys) and the second step of a sign-in.
mod mfa;
/// Sign-in with an identity provider (OpenID Connect): flows, linking, the one-time code, linked identities.
mod oidc;
/// The configured identity providers as OpenID Connect clients: discovery, keys, code exchange, ID-token checks.
mod oidc_clients;
/// [`Password`] rules, [`PasswordHash`], and the [`PasswordHasher`].
mod password;
/// The relying party of passkeys: webauthn-rs built once from the configuration.
mod relying_party;
/// TOTP secrets at rest, sealed under a key derived from the signing secret.
mod sealed;
/// Sessions: one per login, with a refresh token that rotates on every use.
mod sessions;
/// Sign-in links ("magic links"): mails whose link signs the reader in.
mod sign_in_links;
/// HS256 access tokens: minting and verifying, with keys built once.
mod token;
/// [`User`], and the row it is read from.
mod users;

pub use self::accounts::{Accounts, Authenticated, Login};
pub use self::assurance::{Assurance, Method};
pub use self::email_links::RESEND_INTERVAL;
pub use self::housekeeping::Swept;
pub use self::mfa::{
    Confirmed, Factor, FactorKind, PasskeyOptions, TotpEnrolment, MAX_FACTORS, MAX_FACTOR_NAME_CHARS, MFA_TOKEN_TTL,
    PENDING_TOTP_TTL, RECOVERY_CODE_COUNT,
};
pub use self::oidc::{Identity, IdentityProvider, ProviderCallback, ProviderSignIn, EXCHANGE_CODE_TTL, OIDC_FLOW_TTL};
pub use self::oidc_clients::check_identity_providers;
pub use self::password::{Password, PasswordHash, PasswordHasher, MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS};
pub use self::relying_party::PASSKEY_CHALLENGE_TTL;
pub use self::sessions::{LogoutScope, RefreshToken, Session, MAX_USER_AGENT_CHARS, REFRESH_TOKEN_BYTES};
pub use self::token::{AccessToken, Claims, TokenKeys};
pub use self::users::User;
