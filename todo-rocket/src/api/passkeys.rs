//! `/auth/passkeys/*`: adding a passkey to the account, and signing in with a passkey alone. (The passkey of a
//! second step is in [`super::mfa`].)
//!
//! Each ceremony is two calls: the options (`{"challenge_id", "options": {"publicKey": …}}`, for the browser's
//! `navigator.credentials.create()` or `.get()`), then the browser's answer (`PublicKeyCredential.toJSON()`) with
//! the `challenge_id`. The server keeps the ceremony in its database for 5 minutes, so any instance finishes what
//! another started, and each works once.

use std::fmt;

use rocket::fairing::AdHoc;
use rocket::http::Status;
use rocket::response::status::Custom;
use rocket::serde::json::Json;
use rocket::{post, routes, State};
use serde::Deserialize;
use todo_core::{ChallengeId, Todo};
use utoipa::ToSchema;
use uuid::Uuid;

use super::responses::{self, BearerErrors, JsonBodyErrors};
use super::wire::{tokens, ConfirmedFactor, PasskeyOptions, TokenResponse, Tokens};
use crate::http::body::JsonBody;
use crate::http::client::RequestClient;
use crate::http::error::ApiResult;
use crate::http::guard::AuthUser;
use crate::http::headers::NoStore;

/// The stage of this area: its routes under `mount_point`.
pub(crate) fn stage(mount_point: &str) -> AdHoc {
    super::routes_stage("passkeys", mount_point, routes![registration_options, register, login_options, login])
}

/// Body of `POST /auth/passkeys/registration`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"challenge_id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f72", "name": "Laptop",
    "credential": {"id": "…", "rawId": "…", "type": "public-key",
        "response": {"clientDataJSON": "…", "attestationObject": "…"}, "clientExtensionResults": {}}}))]
pub struct RegisterPasskeyRequest {
    /// The `challenge_id` of the registration options.
    pub challenge_id: Uuid,
    /// The browser's answer: the new `PublicKeyCredential`, as its `toJSON()` gives it.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    /// A name for the passkey (default "Passkey"; at most 64 characters are kept).
    pub name: Option<String>,
}

impl fmt::Debug for RegisterPasskeyRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterPasskeyRequest")
            .field("challenge_id", &self.challenge_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Body of `POST /auth/passkeys/login`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"challenge_id": "0192f4a0-7c1e-7d2a-9f1e-2b3c4d5e6f72",
    "credential": {"id": "…", "rawId": "…", "type": "public-key", "response": {"clientDataJSON": "…",
        "authenticatorData": "…", "signature": "…", "userHandle": "…"}, "clientExtensionResults": {}}}))]
pub struct PasskeyLoginRequest {
    /// The `challenge_id` of the sign-in options.
    pub challenge_id: Uuid,
    /// The browser's answer: the assertion (`PublicKeyCredential`), as its `toJSON()` gives it.
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

impl fmt::Debug for PasskeyLoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasskeyLoginRequest").field("challenge_id", &self.challenge_id).finish_non_exhaustive()
    }
}

/// The body of the options routes: a JSON object (`{}`), whose members are ignored.
#[derive(Debug, Default, ToSchema)]
pub struct NoOptions {}

impl<'de> Deserialize<'de> for NoOptions {
    /// Any JSON object, and nothing else (a derived empty struct would also take `[]`).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Map::<String, serde_json::Value>::deserialize(deserializer).map(|_| NoOptions {})
    }
}

/// The options to add a passkey to the caller's account. Once the account has a factor, this needs a
/// two-factor session.
#[utoipa::path(
    post, path = "/auth/passkeys/registration/options", tag = "passkeys", operation_id = "passkeyRegistrationOptions",
    request_body = NoOptions,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The options for `navigator.credentials.create()`", body = PasskeyOptions,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        JsonBodyErrors,
        BearerErrors,
        (status = 403, response = responses::TwoFactorSessionRequired),
        (status = 501, response = responses::PasskeysUnavailable),
    )
)]
#[post("/auth/passkeys/registration/options", data = "<_body>")]
async fn registration_options(
    todo: &State<Todo>,
    auth: AuthUser,
    _body: JsonBody<NoOptions>,
) -> ApiResult<NoStore<Json<PasskeyOptions>>> {
    Ok(NoStore(Json(todo.accounts().passkey_registration_options(&auth.owner).await?.into())))
}

/// Add the passkey the browser just made. The account's first factor also raises this session to two factors,
/// ends every other session, and answers the recovery codes.
#[utoipa::path(
    post, path = "/auth/passkeys/registration", tag = "passkeys", operation_id = "registerPasskey",
    request_body = RegisterPasskeyRequest,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 201, description = "Added; `recovery_codes` when it is the account's first factor",
            body = ConfirmedFactor,
            headers(("Cache-Control" = String, description = "`no-store`: the answer may carry recovery codes"))),
        JsonBodyErrors,
        BearerErrors,
        (status = 403, response = responses::TwoFactorSessionRequired),
        (status = 501, response = responses::PasskeysUnavailable),
    )
)]
#[post("/auth/passkeys/registration", data = "<body>")]
async fn register(
    todo: &State<Todo>,
    auth: AuthUser,
    body: JsonBody<RegisterPasskeyRequest>,
) -> ApiResult<NoStore<Custom<Json<ConfirmedFactor>>>> {
    let RegisterPasskeyRequest { challenge_id, credential, name } = body.0;
    let challenge = ChallengeId::from(challenge_id);
    let confirmed = todo.accounts().register_passkey(&auth.owner, challenge, &credential, name.as_deref()).await?;
    let body = ConfirmedFactor { factor: confirmed.factor.into(), recovery_codes: confirmed.recovery_codes };
    Ok(NoStore(Custom(Status::Created, Json(body))))
}

/// The options to sign in with a passkey alone (no email, no password: the browser offers the passkeys it has
/// for this site).
#[utoipa::path(
    post, path = "/auth/passkeys/login/options", tag = "passkeys", operation_id = "passkeyLoginOptions",
    request_body = NoOptions,
    responses(
        (status = 200, description = "The options for `navigator.credentials.get()`", body = PasskeyOptions,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        JsonBodyErrors,
        (status = 501, response = responses::PasskeysUnavailable),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/passkeys/login/options", data = "<_body>")]
async fn login_options(todo: &State<Todo>, _body: JsonBody<NoOptions>) -> ApiResult<NoStore<Json<PasskeyOptions>>> {
    Ok(NoStore(Json(todo.accounts().passkey_login_options().await?.into())))
}

/// Sign in with a passkey: the tokens of a two-factor session (the passkey is possession and user verification).
#[utoipa::path(
    post, path = "/auth/passkeys/login", tag = "passkeys", operation_id = "passkeyLogin",
    request_body = PasskeyLoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`: tokens must not be cached"))),
        JsonBodyErrors,
        (status = 401, response = responses::PasskeyRefused),
        (status = 403, response = responses::SignInNotFinished),
        (status = 501, response = responses::PasskeysUnavailable),
        (status = 503, response = responses::Unavailable),
    )
)]
#[post("/auth/passkeys/login", data = "<body>")]
async fn login(todo: &State<Todo>, client: RequestClient, body: JsonBody<PasskeyLoginRequest>) -> ApiResult<Tokens> {
    let PasskeyLoginRequest { challenge_id, credential } = body.0;
    let login = todo.accounts().login_with_passkey(ChallengeId::from(challenge_id), &credential, &client.0).await?;
    Ok(tokens(login))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_options_body_is_an_object() {
        assert!(serde_json::from_str::<NoOptions>(r#"{"anything": 1}"#).is_ok());
        for not_an_object in ["[]", "null", "7", r#""{}""#] {
            assert!(serde_json::from_str::<NoOptions>(not_an_object).is_err(), "{not_an_object}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_credential() {
        let credential = serde_json::json!({"response": {"signature": "hunter2"}});
        let shown = [
            format!(
                "{:?}",
                RegisterPasskeyRequest { challenge_id: Uuid::nil(), credential: credential.clone(), name: None }
            ),
            format!("{:?}", PasskeyLoginRequest { challenge_id: Uuid::nil(), credential }),
        ];
        for shown in shown {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }
}
