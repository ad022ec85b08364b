//! The OpenAPI 3.1 document, generated from the handlers and the types they read and write, and served as
//! `openapi.json` with Swagger UI. Merges the route modules and the shared [`responses`]; nothing uses it but
//! the stage that serves it (and the binary's `openapi` command).

use rocket::fairing::AdHoc;
use utoipa::openapi::security::{Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, Server};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::{auth, email, health, invitations, lists, mfa, oidc, passkeys, sessions, sign_in_links, tasks};
use crate::http::problem::{FieldProblem, Problem};

/// The shared responses and response sets (at their old path, `todo_rocket::openapi::responses`).
pub use super::responses;

/// The API description: every route, body, response and error (committed as `openapi/openapi.json`).
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
            `POST /auth/password/forgot` mails a link to `{APP_URL}/reset-password?token=…`, and \
            `POST /auth/magic-link` a sign-in link to `{APP_URL}/magic-link?token=…`. An account with a second factor \
            (`POST /auth/mfa/totp`) signs in in two steps: the first answers 403 with an `mfa_token`, which \
            `POST /auth/mfa/verify` exchanges, with a code, for the tokens. Access tokens and sessions carry `aal` \
            (1 or 2 factors) and `amr` (the methods: `pwd`, `email`, `otp`, `recovery`, `hwk`, `oidc`). Sign-in with an \
            identity provider starts at `GET /auth/oidc/{name}/authorize` (the providers are at `GET /auth/providers`) \
            and ends at `{APP_URL}/auth/callback?code=…`, whose one-time code `POST /auth/oidc/exchange` trades for \
            the tokens.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        auth::signup, auth::login, auth::me, auth::change_password, auth::logout, auth::delete_me,
        email::verify, email::resend, email::forgot, email::reset,
        sign_in_links::request, sign_in_links::verify,
        mfa::enroll_totp, mfa::confirm_totp, mfa::factors, mfa::remove_factor, mfa::recovery_codes, mfa::verify,
        mfa::passkey_options,
        passkeys::registration_options, passkeys::register, passkeys::login_options, passkeys::login,
        oidc::providers, oidc::authorize, oidc::callback, oidc::exchange, oidc::identities, oidc::unlink,
        sessions::refresh, sessions::list, sessions::revoke,
        lists::all, lists::create, lists::get_one, lists::rename, lists::delete_one, lists::members, lists::set_role,
        lists::remove_member, invitations::invite, invitations::pending, invitations::withdraw, invitations::accept,
        tasks::list, tasks::create, tasks::get_one, tasks::replace, tasks::update, tasks::toggle, tasks::delete_one,
        health::health,
    ),
    components(
        schemas(Problem, FieldProblem),
        responses(
            responses::MalformedBody, responses::Unauthorized, responses::InvalidCredentials, responses::NotFound,
            responses::Conflict, responses::TooLarge, responses::UnsupportedMediaType, responses::Unprocessable,
            responses::Unavailable, responses::WrongPassword, responses::TooManyRequests,
            responses::InvalidRefreshToken, responses::SignInNotFinished, responses::AlreadyVerified,
            responses::InvalidMailToken, responses::SecondStepRequired, responses::TwoFactorSessionRequired,
            responses::SecondStepRefused, responses::PasskeyRefused, responses::PasskeysUnavailable,
            responses::LastSignInMethod, responses::RoleRequired, responses::PreconditionFailed,
            responses::ListConflict, responses::InvitationForSomeoneElse,
        ),
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Signup, login, the current user, logout, email verification and password recovery"),
        (name = "mfa", description = "Second factors (TOTP authenticators, recovery codes) and the second step of a sign-in"),
        (name = "passkeys", description = "Passkeys (WebAuthn): adding one to the account, and signing in with one alone"),
        (name = "identity providers", description = "Sign-in with an identity provider (OpenID Connect): the \
            providers, the redirect to one and back, the one-time code's exchange, and the caller's linked identities"),
        (name = "sessions", description = "Refresh tokens, and the caller's sessions (one per login)"),
        (name = "lists", description = "Lists and sharing: the caller's lists, their members and roles, and \
            invitations by email. A list the caller is not a member of is always 404; a role that does not allow the \
            action is 403"),
        (name = "tasks", description = "The tasks of the caller's lists (every task is in one list; `POST /tasks` \
            without `list_id` writes to the inbox). A task in a list the caller is not a member of is always 404"),
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

/// The stage of the document: `openapi.json` and Swagger UI under `base`, and a line at liftoff saying where.
pub(crate) fn stage(base: &str) -> AdHoc {
    let swagger_ui =
        SwaggerUi::new(format!("{base}/swagger-ui/<_..>")).url(format!("{base}/openapi.json"), document(base));
    let address = format!("{base}/swagger-ui/");
    AdHoc::on_ignite("OpenAPI document and Swagger UI", |rocket| async move {
        rocket.mount("/", swagger_ui).attach(AdHoc::on_liftoff("Swagger UI address", move |rocket| {
            Box::pin(async move {
                let config = rocket.config();
                let scheme = if config.tls_enabled() { "https" } else { "http" };
                tracing::info!("Swagger UI at {scheme}://{}:{}{address}", config.address, config.port);
            })
        }))
    })
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
