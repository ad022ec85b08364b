//! The OpenAPI 3.1 document, generated from the handlers and the types they read and write.

use utoipa::openapi::security::{Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, Server};
use utoipa::{Modify, OpenApi};

use crate::problem::{FieldProblem, Problem};
use crate::routes::{auth, email, health, sessions, tasks};

/// The API description: every route, body, response and error of API.md.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "todo-rocket",
        description = "Multi-user accounts and per-user tasks. Every error is an RFC 9457 problem document \
            (`application/problem+json`). Authenticate with `POST /auth/login` and send the access token as \
            `Authorization: Bearer <token>`; in Swagger UI, use Authorize with your email as the username. \
            Every login starts a session: exchange its `refresh_token` at `POST /auth/refresh` for new tokens \
            (each refresh token works once), list sessions at `GET /auth/sessions`, and end them with \
            `DELETE /auth/sessions/{id}` or `POST /auth/logout?scope=…`; a revoked session's tokens are refused \
            by the next request. Signup sends a verification mail whose link opens `{APP_URL}/verify-email?token=…`; \
            `POST /auth/password/forgot` mails a link to `{APP_URL}/reset-password?token=…`.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        auth::signup, auth::login, auth::me, auth::change_password, auth::logout, auth::delete_me,
        email::verify, email::resend, email::forgot, email::reset,
        sessions::refresh, sessions::list, sessions::revoke,
        tasks::list, tasks::create, tasks::get_one, tasks::replace, tasks::update, tasks::toggle, tasks::delete_one,
        health::health,
    ),
    components(
        schemas(Problem, FieldProblem),
        responses(
            responses::MalformedBody, responses::Unauthorized, responses::InvalidCredentials, responses::NotFound,
            responses::Conflict, responses::TooLarge, responses::UnsupportedMediaType, responses::Unprocessable,
            responses::Unavailable, responses::WrongPassword, responses::TooManyRequests,
            responses::InvalidRefreshToken, responses::EmailNotVerified, responses::AlreadyVerified,
            responses::InvalidMailToken,
        ),
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Signup, login, the current user, logout, email verification and password recovery"),
        (name = "sessions", description = "Refresh tokens, and the caller's sessions (one per login)"),
        (name = "tasks", description = "The caller's tasks; another user's task is always 404"),
        (name = "service", description = "Operations"),
    )
)]
pub struct ApiDoc;

/// The document for an API mounted at `base` (`/` or e.g. `/api/v1`): paths stay relative to the server URL,
/// which carries the base, and the OAuth2 token URL points at this mount's login route.
pub fn document(base: &str) -> Document {
    let base = base.trim_end_matches('/');
    let mut doc = ApiDoc::openapi();
    if !base.is_empty() {
        doc.servers = Some(vec![Server::new(base)]);
    }
    if let Some(components) = doc.components.as_mut() {
        components.add_security_scheme("oauth2", password_flow(&format!("{base}/auth/login")));
    }
    doc
}

/// Declares both ways to authenticate: a bearer JWT pasted in, or the OAuth2 password flow (email + password).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from `POST /auth/login`"))
                    .build(),
            ),
        );
        components.add_security_scheme("oauth2", password_flow("/auth/login"));
    }
}

fn password_flow(token_url: &str) -> SecurityScheme {
    SecurityScheme::OAuth2(OAuth2::with_description(
        [Flow::Password(Password::new(token_url, Scopes::new()))],
        "Email (as the username) and password, exchanged for a bearer token",
    ))
}

/// Reusable error responses: all problem documents.
// These newtypes exist only to describe responses in the document; nothing constructs them.
#[allow(dead_code)]
pub mod responses {
    use utoipa::ToResponse;

    use crate::problem::Problem;

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

    /// No such task or session for this user (also when it belongs to someone else), or an id that is not a UUID.
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

    /// The password is right, but this server needs a verified email before login (`REQUIRE_VERIFIED_EMAIL`):
    /// follow the link in the verification mail first.
    #[derive(ToResponse)]
    #[response(
        content_type = "application/problem+json",
        example = json!({"type": "about:blank", "title": "Forbidden", "status": 403, "detail": "verify your email address before logging in: follow the link in the verification mail"})
    )]
    pub struct EmailNotVerified(Problem);

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
}
