//! The responses the routes share, as the OpenAPI document names them (`#/components/responses/...`), and the
//! sets of them that many routes give alike: a route lists a set by name instead of repeating its statuses.
//!
//! Every one is a [`crate::Problem`] document. The route modules and the document use this module.

// The newtypes exist only to describe responses in the document; nothing constructs them.
#![allow(dead_code)]

use std::collections::BTreeMap;

use utoipa::openapi::{Ref, RefOr, Response};
use utoipa::{IntoResponses, ToResponse};

use crate::http::problem::Problem;

/// A reference to the shared response `R` (`#/components/responses/<name>`), as `response = R` writes it.
fn reference<R: ToResponse<'static>>() -> RefOr<Response> {
    RefOr::Ref(Ref::from_response_name(R::response().0))
}

/// Declares a named set of shared responses, by status.
macro_rules! response_set {
    ($(#[$doc:meta])* $name:ident { $($status:literal => $response:ty),+ $(,)? }) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                BTreeMap::from([$(($status.to_owned(), reference::<$response>())),+])
            }
        }
    };
}

response_set! {
    /// What can go wrong with a JSON body: not JSON (400), too large (413), another content type (415), the wrong
    /// shape or a value that breaks a rule (422).
    JsonBodyErrors { "400" => MalformedBody, "413" => TooLarge, "415" => UnsupportedMediaType, "422" => Unprocessable }
}

response_set! {
    /// [`JsonBodyErrors`] of a body that carries a mail link's token: 422 also for a token that is not (or no longer)
    /// valid.
    MailTokenBodyErrors {
        "400" => MalformedBody, "413" => TooLarge, "415" => UnsupportedMediaType, "422" => InvalidMailToken,
    }
}

response_set! {
    /// A route that needs a bearer token: refused without a valid one (401), or when the database is unavailable
    /// (503).
    BearerErrors { "401" => Unauthorized, "503" => Unavailable }
}

response_set! {
    /// [`BearerErrors`] of a route about one of the caller's resources, by id: 404 for an id that is not theirs.
    OwnedResourceErrors { "401" => Unauthorized, "404" => NotFound, "503" => Unavailable }
}

response_set! {
    /// A write to a task: 401 and 503 as [`BearerErrors`], 403 for a member whose role does not allow it, 404 for a
    /// task (or a destination list) the caller cannot see, 412 when `If-Match` names an older version.
    TaskWriteErrors {
        "401" => Unauthorized, "403" => RoleRequired, "404" => NotFound, "412" => PreconditionFailed,
        "503" => Unavailable,
    }
}

response_set! {
    /// A route about one list: 401 and 503 as [`BearerErrors`], 403 for a member whose role does not allow it, 404
    /// for a list the caller is not a member of (or an id that is not a UUID).
    ListErrors { "401" => Unauthorized, "403" => RoleRequired, "404" => NotFound, "503" => Unavailable }
}

/// The caller is a member of the list, but their role does not allow this: viewers read; editors also create,
/// change, complete and delete tasks; the owner also renames, deletes and shares the list.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Forbidden", "status": 403, "detail": "this needs the editor role in the list"})
)]
pub struct RoleRequired(Problem);

/// `If-Match` named a version the task no longer has: someone else changed it since it was read. Nothing was
/// written; read the task again (its `ETag`), then retry.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Precondition Failed", "status": 412,
        "detail": "the task changed since the version in If-Match (someone else changed it); read it again, then retry"})
)]
pub struct PreconditionFailed(Problem);

/// An inbox is its account's own (it cannot be shared, handed over or deleted), or the owner tried to leave or
/// demote themselves without handing the list over first.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Conflict", "status": 409, "detail": "an inbox cannot be shared, handed over or deleted"})
)]
pub struct ListConflict(Problem);

/// The invitation was sent to another address than the signed-in account's verified email (or the account's
/// email is not verified yet). The link stays usable by the invited account.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Forbidden", "status": 403, "detail": "this invitation was sent to another email address"})
)]
pub struct InvitationForSomeoneElse(Problem);

/// The body is not JSON at all (syntax error, empty body).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "the body is not valid JSON"})
)]
pub struct MalformedBody(Problem);

/// Missing, malformed, expired or badly signed bearer token (refused before anything else), or one whose
/// session has ended (logged out, revoked, password changed, expired) or whose account was deleted. On task
/// routes the session is checked by the task statement itself, so an otherwise invalid request (422, or 404
/// for an id that is not a UUID) gets that answer first.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer`, plus `error=\"invalid_token\"` when a token was sent")),
    example = json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "the bearer token is invalid or expired"})
)]
pub struct Unauthorized(Problem);

/// Unknown email or wrong password (the same answer for both); with the `refresh_token` grant, a refresh token
/// that is unknown, expired, revoked or reused.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer`")),
    example = json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "invalid email or password"})
)]
pub struct InvalidCredentials(Problem);

/// No such task, list or session for this user (also when it belongs to someone else, or is in a list they are
/// not a member of), or an id that is not a UUID.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no such resource"})
)]
pub struct NotFound(Problem);

/// The refresh token is unknown, expired, of a revoked session, or was spent before (reuse outside the grace
/// interval also revokes its session). Log in again.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer`")),
    example = json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "the refresh token is invalid, expired or revoked; log in again"})
)]
pub struct InvalidRefreshToken(Problem);

/// The identity is the account's last way to sign in (no password, no other identity, no passkey): set a password
/// first (`POST /auth/password/forgot`), or link another identity.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Conflict", "status": 409, "detail": "this is the account's last way to sign in: set a password (forgot password) or link another identity first"})
)]
pub struct LastSignInMethod(Problem);

/// The email is already registered.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Conflict", "status": 409, "detail": "this email is already registered"})
)]
pub struct Conflict(Problem);

/// The body is larger than the configured limit (Rocket's `limits.json`, 1 MiB by default).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Content Too Large", "status": 413, "detail": "the request body is larger than the configured limit"})
)]
pub struct TooLarge(Problem);

/// The `Content-Type` is not `application/json` (or, for login, the OAuth2 form).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Unsupported Media Type", "status": 415, "detail": "send the body as application/json"})
)]
pub struct UnsupportedMediaType(Problem);

/// JSON of the wrong shape, a body that fails validation, or a bad query parameter; `errors` names each field.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Unprocessable Content", "status": 422,
        "detail": "request failed validation",
        "errors": [{"field": "password", "message": "must be at least 8 characters"}]})
)]
pub struct Unprocessable(Problem);

/// The token is valid, but the password given as proof is wrong.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Forbidden", "status": 403, "detail": "the password is wrong"})
)]
pub struct WrongPassword(Problem);

/// The first factor was right, but the sign-in is not finished. Tell the cases apart by `type`:
/// - `tag:todo-core.dev,2026:problems/second-step-required`: the account has a second factor. Finish at
///   `POST /auth/mfa/verify` with the `mfa_token` (single use, 5 minutes) and one of the `methods` (`totp`,
///   `recovery_code`, `passkey`: those the account has).
/// - `tag:todo-core.dev,2026:problems/email-not-verified`: this server needs a verified email before login
///   (`REQUIRE_VERIFIED_EMAIL`): follow the link in the verification mail first.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    examples(
        ("second step" = (value = json!({"type": "tag:todo-core.dev,2026:problems/second-step-required",
            "title": "Forbidden", "status": 403,
            "detail": "the first factor is right; finish signing in with a second factor at POST /auth/mfa/verify",
            "mfa_token": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n", "methods": ["totp", "recovery_code"]}))),
        ("email not verified" = (value = json!({"type": "tag:todo-core.dev,2026:problems/email-not-verified",
            "title": "Forbidden", "status": 403,
            "detail": "verify your email address before logging in: follow the link in the verification mail"}))),
    )
)]
pub struct SignInNotFinished(Problem);

/// The link was right, but the account has a second factor: finish at `POST /auth/mfa/verify` with the
/// `mfa_token` and one of the `methods` (`type`: `tag:todo-core.dev,2026:problems/second-step-required`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "tag:todo-core.dev,2026:problems/second-step-required", "title": "Forbidden", "status": 403,
        "detail": "the first factor is right; finish signing in with a second factor at POST /auth/mfa/verify",
        "mfa_token": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n", "methods": ["totp", "recovery_code", "passkey"]})
)]
pub struct SecondStepRequired(Problem);

/// This changes the account's factors and needs a session signed in with two factors
/// (`type`: `tag:todo-core.dev,2026:problems/two-factor-session-required`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "tag:todo-core.dev,2026:problems/two-factor-session-required", "title": "Forbidden",
        "status": 403, "detail": "this needs a session signed in with two factors: sign in again with your second factor"})
)]
pub struct TwoFactorSessionRequired(Problem);

/// The passkey's answer did not check out (an unknown, used or expired `challenge_id`, another origin or relying
/// party, no user verification, a bad signature, a signature counter that did not go up, or an unknown passkey).
/// Ask for new options and try again.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer`")),
    example = json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "the passkey was not accepted; ask for new options and try again"})
)]
pub struct PasskeyRefused(Problem);

/// Passkeys are off on this server: its WebAuthn relying party (`WEBAUTHN_RP_ID`, by default the host of
/// `APP_URL`) is not a domain name (an IP address, say).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Not Implemented", "status": 501, "detail": "passkeys are not available on this server: its relying party (WEBAUTHN_RP_ID, or the host of APP_URL) must be a domain name"})
)]
pub struct PasskeysUnavailable(Problem);

/// The code is wrong (or the passkey's answer did not check out), or the `mfa_token` is unknown, used, expired, or voided by five wrong codes (then sign in
/// again).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("WWW-Authenticate" = String, description = "`Bearer`")),
    example = json!({"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "the code is wrong, or the passkey was not accepted"})
)]
pub struct SecondStepRefused(Problem);

/// The email is already verified: there is nothing to send.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Conflict", "status": 409, "detail": "the email address is already verified"})
)]
pub struct AlreadyVerified(Problem);

/// The link's token is unknown, already used, replaced by a newer link, or expired (`errors` on `token`);
/// or, for a reset, the new password breaks a rule (`errors` on `new_password`).
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    example = json!({"type": "about:blank", "title": "Unprocessable Content", "status": 422, "detail": "request failed validation", "errors": [{"field": "token", "message": "is invalid or has expired; ask for a new link"}]})
)]
pub struct InvalidMailToken(Problem);

/// Too many attempts (failed logins per email or per client network, signups per client network, password-reset
/// mails per email or per client network), or a verification mail asked for again within a minute.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = String, description = "Seconds to wait before trying again")),
    example = json!({"type": "about:blank", "title": "Too Many Requests", "status": 429, "detail": "too many attempts; retry in 840 seconds"})
)]
pub struct TooManyRequests(Problem);

/// The database is unavailable; retry after the given number of seconds.
#[derive(ToResponse)]
#[response(
    content_type = "application/problem+json",
    headers(("Retry-After" = String, description = "Seconds to wait before retrying")),
    example = json!({"type": "about:blank", "title": "Service Unavailable", "status": 503, "detail": "the database is unavailable; retry later"})
)]
pub struct Unavailable(Problem);
