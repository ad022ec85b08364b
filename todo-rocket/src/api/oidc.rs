//! Sign-in with an identity provider (OpenID Connect): the providers' buttons, the redirect to a provider and its
//! callback, the one-time code's exchange for tokens, and the caller's linked identities.
//!
//! The browser leaves for the provider from `GET /auth/oidc/{name}/authorize` and comes back to
//! `GET /auth/oidc/{name}/callback`, which always answers with a redirect to the front end's `/auth/callback`: a
//! one-time `code` (never a token: URLs end up in histories and logs), or `error` and `error_description`.

use std::fmt;

use rocket::fairing::AdHoc;
use rocket::http::uri::Origin;
use rocket::http::{Cookie, CookieJar, SameSite, Status};
use rocket::response::Redirect;
use rocket::serde::json::Json;
use rocket::{delete, get, post, routes, State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use todo_core::{IdentityId, ProviderCallback, Todo, OIDC_FLOW_TTL};
use utoipa::ToSchema;
use uuid::Uuid;

use super::responses::{self, BearerErrors, OwnedResourceErrors};
use super::wire::{tokens, TokenResponse, Tokens};
use crate::http::body::JsonBody;
use crate::http::client::RequestClient;
use crate::http::error::{path_id, ApiResult};
use crate::http::guard::AuthUser;
use crate::http::headers::NoStore;
use crate::http::query::Query;
use crate::http::redacted::Redacted;
use crate::ops::metrics;

/// The cookie that binds a sign-in to the browser that started it: set by the redirect to the provider, sent back to
/// the callback (`SameSite=Lax`: a top-level navigation from the provider carries it), readable by no script.
const BINDING_COOKIE: &str = "todo_oidc_binding";

/// The stage of this area: its routes under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage(
        "identity providers",
        mount_point,
        routes![providers, authorize, callback, exchange, identities, unlink],
    )
}

/// An identity provider users can sign in with: a button in a front end.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "google", "label": "Google"}))]
pub struct Provider {
    /// The name in the routes (`/auth/oidc/{name}/authorize`).
    pub name: String,
    /// The button's text.
    pub label: String,
}

/// An identity at a provider, linked to the caller's account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f70", "provider": "google", "email": "ann@example.com", "created_at": "2026-01-12T09:30:00Z"}))]
pub struct Identity {
    /// The link's id (UUIDv7), to unlink it.
    pub id: Uuid,
    /// The provider's name.
    pub provider: String,
    /// The email the provider asserted when the identity was linked.
    pub email: String,
    /// When it was linked (RFC 3339, UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Body of `POST /auth/oidc/exchange`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"code": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n"}))]
pub struct ExchangeRequest {
    /// The `code` parameter of `{APP_URL}/auth/callback?code=…`.
    pub code: String,
}

impl fmt::Debug for ExchangeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeRequest").field("code", &Redacted).finish()
    }
}

/// The identity providers configured on this server (`OIDC_PROVIDERS`), in order: one button each.
#[utoipa::path(
    get, path = "/auth/providers", tag = "identity providers", operation_id = "listProviders",
    responses((status = 200, description = "The providers; empty when none is configured", body = Vec<Provider>))
)]
#[get("/auth/providers")]
fn providers(todo: &State<Todo>) -> Json<Vec<Provider>> {
    let providers = todo.accounts().identity_providers();
    Json(providers.into_iter().map(|provider| Provider { name: provider.name, label: provider.label }).collect())
}

/// Start signing in at a provider: a redirect to it (authorization code flow with PKCE S256, `state` and `nonce`,
/// held by the server for 10 minutes and usable once, by any instance). Open it in the browser (a link or
/// `window.location`), not with `fetch`. After the sign-in the browser comes back to
/// `{APP_URL}/auth/callback`. 404 for a provider that is not configured; 503 while the provider's discovery document
/// cannot be fetched.
///
/// Each start counts against the client network's budget of provider sign-ins (`RATE_LIMIT_PROVIDER_SIGN_INS_PER_CLIENT`,
/// 30 per window by default): 429 over it.
///
/// The answer sets the cookie `todo_oidc_binding` (`HttpOnly`, `SameSite=Lax`, 10 minutes, path `/auth/oidc`):
/// the callback is taken only with it, from the browser that started the sign-in (no login CSRF).
#[utoipa::path(
    get, path = "/auth/oidc/{name}/authorize", tag = "identity providers", operation_id = "authorizeWithProvider",
    params(
        ("name" = String, Path, description = "The provider's name, from `GET /auth/providers`"),
        ("redirect_to" = Option<String>, Query, description = "Where the front end goes after the sign-in: a path \
            of the front end under `APP_URL`, such as `/tasks` (default `/`); anything else is 422",
            example = "/tasks"),
    ),
    responses(
        (status = 302, description = "To the provider's authorization endpoint",
            headers(
                ("Location" = String, description = "The provider's authorization URL"),
                ("Set-Cookie" = String, description = "`todo_oidc_binding`: the browser's binding to this sign-in"),
            )),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Unprocessable),
        (status = 429, response = responses::TooManyRequests),
        (status = 503, response = responses::Unavailable),
    )
)]
#[get("/auth/oidc/<name>/authorize")]
async fn authorize(
    todo: &State<Todo>,
    name: &str,
    uri: &Origin<'_>,
    cookies: &CookieJar<'_>,
    client: RequestClient,
) -> ApiResult<NoStore<Redirect>> {
    let mut query = Query::of(uri);
    let redirect_to = query.single("redirect_to");
    query.finish()?;
    let held = cookies.get(BINDING_COOKIE).map(|cookie| cookie.value().to_owned());
    let started = todo.accounts().start_provider_sign_in(name, redirect_to, held.as_deref(), &client.0).await;
    let started = started.inspect_err(metrics::refusal_of("provider_sign_in"))?;
    // The cookie goes to every route under `…/auth/oidc`, wherever the API is mounted.
    let path = uri.path().as_str().strip_suffix(&format!("/{name}/authorize")).unwrap_or("/").to_owned();
    let secure = todo.accounts().provider_redirect_uri(name).is_some_and(|uri| uri.starts_with("https://"));
    let max_age = rocket::time::Duration::seconds(i64::try_from(OIDC_FLOW_TTL.as_secs()).unwrap_or(600));
    cookies.add(
        Cookie::build((BINDING_COOKIE, started.binding))
            .path(path)
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(max_age),
    );
    Ok(NoStore(Redirect::found(started.authorization_url)))
}

/// Where the provider sends the browser back (register `{API_URL}/auth/oidc/{name}/callback` with it). Always a
/// redirect to the front end: `{APP_URL}/auth/callback?code=…&redirect_to=…` with a one-time code for
/// `POST /auth/oidc/exchange` (60 seconds), or `{APP_URL}/auth/callback?error=…&error_description=…`.
///
/// `error` is one of `invalid_request` (no code or state), `invalid_state` (unknown, used, expired, or of another
/// provider), `access_denied` (the provider did not authorize: the user cancelled), `provider_error` (the code
/// exchange was refused, or the ID token failed validation), `email_not_verified` (the provider did not confirm an
/// email for a new identity), `account_not_linked` (an account has this email and one side has not verified it:
/// accounts are linked only when both have), `rate_limited`, `temporarily_unavailable` or `server_error`.
///
/// A known identity signs its account in. A new one whose provider asserts a verified email makes an account
/// (email verified, no password), or is linked to the account with that email when its email is verified too.
#[utoipa::path(
    get, path = "/auth/oidc/{name}/callback", tag = "identity providers", operation_id = "providerCallback",
    params(
        ("name" = String, Path, description = "The provider's name"),
        ("code" = Option<String>, Query, description = "The provider's authorization code"),
        ("state" = Option<String>, Query, description = "The `state` sent to the provider"),
        ("error" = Option<String>, Query, description = "The provider's error code, when it did not authorize"),
        ("todo_oidc_binding" = Option<String>, Cookie, description = "The cookie the redirect to the provider set: \
            without it (another browser than the one that started), the answer is `error=invalid_state`"),
    ),
    responses(
        (status = 302, description = "To the front end's `/auth/callback`, with a one-time code or an error",
            headers(
                ("Location" = String, description = "`{APP_URL}/auth/callback?code=…&redirect_to=…` or \
                    `{APP_URL}/auth/callback?error=…&error_description=…`"),
                ("Cache-Control" = String, description = "`no-store`"),
            )),
    )
)]
#[get("/auth/oidc/<name>/callback")]
async fn callback(
    todo: &State<Todo>,
    name: &str,
    uri: &Origin<'_>,
    cookies: &CookieJar<'_>,
    client: RequestClient,
) -> NoStore<Redirect> {
    // Whatever the query holds, the answer is a redirect: a parameter given twice counts as absent.
    let mut query = Query::of(uri);
    let callback = ProviderCallback {
        code: query.single("code").map(str::to_owned),
        state: query.single("state").map(str::to_owned),
        error: query.single("error").map(str::to_owned),
        binding: cookies.get(BINDING_COOKIE).map(|cookie| cookie.value().to_owned()),
    };
    NoStore(Redirect::found(todo.accounts().finish_provider_sign_in(name, &callback, &client.0).await))
}

/// Trade the one-time code of a provider sign-in for the tokens of a new session (`amr` `oidc`), or, for an
/// account with a second factor, 403 `second-step-required`. A code that is unknown, used or expired is 422 (sign in
/// again).
#[utoipa::path(
    post, path = "/auth/oidc/exchange", tag = "identity providers", operation_id = "exchangeProviderCode",
    request_body = ExchangeRequest,
    responses(
        (status = 200, description = "Signed in: the tokens of a new session", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        (status = 403, response = responses::SecondStepRequired),
        (status = 400, response = responses::MalformedBody),
        (status = 413, response = responses::TooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Unprocessable),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/oidc/exchange", data = "<body>")]
async fn exchange(todo: &State<Todo>, client: RequestClient, body: JsonBody<ExchangeRequest>) -> ApiResult<Tokens> {
    Ok(tokens(todo.accounts().exchange_provider_code(&body.0.code, &client.0).await?))
}

/// The identities at providers linked to the caller's account, oldest first.
#[utoipa::path(
    get, path = "/auth/identities", tag = "identity providers", operation_id = "listIdentities",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The linked identities; empty when there is none", body = Vec<Identity>),
        BearerErrors,
    )
)]
#[get("/auth/identities")]
async fn identities(todo: &State<Todo>, auth: AuthUser) -> ApiResult<Json<Vec<Identity>>> {
    let identities = todo.accounts().identities(&auth.owner).await?;
    Ok(Json(
        identities
            .into_iter()
            .map(|identity| Identity {
                id: identity.id.as_uuid(),
                provider: identity.provider,
                email: identity.email,
                created_at: identity.created_at,
            })
            .collect(),
    ))
}

/// Unlink one of the caller's identities. Refused (409) when it is the account's last way to sign in (no password,
/// no other identity, no passkey): set a password first, through "forgot password".
#[utoipa::path(
    delete, path = "/auth/identities/{id}", tag = "identity providers", operation_id = "unlinkIdentity",
    params(("id" = Uuid, Path, description = "The identity's id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Unlinked"),
        (status = 409, response = responses::LastSignInMethod),
        OwnedResourceErrors,
    )
)]
#[delete("/auth/identities/<id>")]
async fn unlink(todo: &State<Todo>, auth: AuthUser, id: &str) -> ApiResult<Status> {
    let id: IdentityId = path_id(id)?;
    todo.accounts().unlink_identity(&auth.owner, id).await?;
    Ok(Status::NoContent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_exchange_code() {
        let shown = format!("{:?}", ExchangeRequest { code: "one-time-secret".into() });
        assert!(!shown.contains("secret"), "{shown}");
    }
}
