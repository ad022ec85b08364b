//! The token endpoint's requests: what `POST /auth/login` and `POST /auth/refresh` read.
//!
//! Login takes JSON `{"email", "password"}` or the OAuth2 form (RFC 6749): the password grant (§4.3.2), which
//! Swagger UI's Authorize dialog sends, and the refresh-token grant (§6). These types are both the parsers'
//! targets and what the OpenAPI document shows, so the two cannot drift.

use std::fmt;

use rocket::data::{self, Data, FromData};
use rocket::form::Form;
use rocket::outcome::Outcome;
use rocket::Request;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::body::JsonBody;
use crate::http::error::ApiError;
use crate::http::failure::remember;
use crate::http::problem::FieldProblem;
use crate::http::redacted::{redacted_if_sent, Redacted};

/// Login body (also accepted as the OAuth2 form: `grant_type=password&username=...&password=...`).
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"email": "ann@example.com", "password": "correct horse battery"}))]
pub struct LoginRequest {
    /// The email used at signup, in any spelling of it (case, an internationalised domain in Unicode or ASCII).
    pub email: String,
    /// The password.
    #[schema(format = "password")]
    pub password: String,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest").field("email", &self.email).field("password", &Redacted).finish()
    }
}

/// Body of `POST /auth/refresh`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"refresh_token": "q3Jd8vQ0mZt1c2VjcmV0LXJhbmRvbS1ieXRlcy0zMi1sb25n"}))]
pub struct RefreshRequest {
    /// The `refresh_token` of the last token response; it works once.
    pub refresh_token: String,
}

impl fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshRequest").field("refresh_token", &Redacted).finish()
    }
}

/// The OAuth2 form of `POST /auth/login`: the password grant or the refresh-token grant.
// Documentation only: the form is parsed as `GrantForm`, so that a bad `grant_type` gets our 422 naming the field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum TokenForm {
    /// Email and password.
    Password(PasswordGrantForm),
    /// A refresh token.
    RefreshToken(RefreshTokenGrantForm),
}

/// The OAuth2 password grant (RFC 6749 §4.3.2), as Swagger UI's Authorize dialog sends it.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documentation only, see `TokenForm`
pub struct PasswordGrantForm {
    /// `password` (may be omitted).
    pub grant_type: Option<PasswordGrantType>,
    /// The email.
    pub username: String,
    /// The password.
    #[schema(format = "password")]
    pub password: String,
}

impl fmt::Debug for PasswordGrantForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordGrantForm")
            .field("grant_type", &self.grant_type)
            .field("username", &self.username)
            .field("password", &Redacted)
            .finish()
    }
}

/// The grant type of [`PasswordGrantForm`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PasswordGrantType {
    /// The resource owner password credentials grant.
    Password,
}

/// The OAuth2 refresh-token grant (RFC 6749 §6).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // documentation only, see `TokenForm`
pub struct RefreshTokenGrantForm {
    /// `refresh_token`.
    pub grant_type: RefreshTokenGrantType,
    /// The `refresh_token` of the last token response; it works once.
    pub refresh_token: String,
}

impl fmt::Debug for RefreshTokenGrantForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshTokenGrantForm")
            .field("grant_type", &self.grant_type)
            .field("refresh_token", &Redacted)
            .finish()
    }
}

/// The grant type of [`RefreshTokenGrantForm`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefreshTokenGrantType {
    /// Exchange a refresh token for new tokens.
    RefreshToken,
}

/// Every field either grant may send, read as text so that each rule can be reported on its field.
#[derive(rocket::FromForm)]
struct GrantForm {
    grant_type: Option<String>,
    username: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
}

impl fmt::Debug for GrantForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantForm")
            .field("grant_type", &self.grant_type)
            .field("username", &self.username)
            .field("password", &redacted_if_sent(&self.password))
            .field("refresh_token", &redacted_if_sent(&self.refresh_token))
            .finish()
    }
}

/// What a client asked `POST /auth/login` for.
pub enum TokenGrant {
    /// Email and password (JSON, or the password grant form).
    Password {
        /// The email (the form's `username`).
        email: String,
        /// The password.
        password: String,
    },
    /// The refresh-token grant.
    RefreshToken(String),
}

impl fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Password { email, password: _ } => {
                f.debug_struct("Password").field("email", email).field("password", &Redacted).finish()
            }
            Self::RefreshToken(_) => f.debug_tuple("RefreshToken").field(&Redacted).finish(),
        }
    }
}

impl GrantForm {
    fn into_grant(self) -> Result<TokenGrant, ApiError> {
        let required = |field: &str| FieldProblem { field: field.into(), message: "is required".into() };
        match self.grant_type.as_deref() {
            None | Some("password") => match (self.username, self.password) {
                (Some(email), Some(password)) => Ok(TokenGrant::Password { email, password }),
                (username, password) => Err(ApiError::WrongShape(
                    [
                        username.is_none().then(|| required("username")),
                        password.is_none().then(|| required("password")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect(),
                )),
            },
            Some("refresh_token") => match self.refresh_token {
                Some(token) => Ok(TokenGrant::RefreshToken(token)),
                None => Err(ApiError::WrongShape(vec![required("refresh_token")])),
            },
            Some(_) => Err(ApiError::WrongShape(vec![FieldProblem {
                field: "grant_type".into(),
                message: "must be \"password\" or \"refresh_token\"".into(),
            }])),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromData<'r> for TokenGrant {
    type Error = ApiError;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let is_form = request.content_type().is_some_and(|ct| ct.is_form());
        if !is_form {
            return match JsonBody::<LoginRequest>::from_data(request, data).await {
                Outcome::Success(JsonBody(body)) => {
                    Outcome::Success(TokenGrant::Password { email: body.email, password: body.password })
                }
                Outcome::Error(error) => Outcome::Error(error),
                Outcome::Forward(forward) => Outcome::Forward(forward),
            };
        }
        let error = match Form::<GrantForm>::from_data(request, data).await {
            Outcome::Success(form) => match form.into_inner().into_grant() {
                Ok(grant) => return Outcome::Success(grant),
                Err(error) => error,
            },
            Outcome::Error((status, _)) if status.code == 413 => ApiError::TooLarge,
            Outcome::Error((_, errors)) => ApiError::WrongShape(
                errors
                    .iter()
                    .map(|error| FieldProblem {
                        field: error.name.as_ref().map(|name| name.to_string()).unwrap_or_default(),
                        message: "must be text".into(),
                    })
                    .collect(),
            ),
            Outcome::Forward(forward) => return Outcome::Forward(forward),
        };
        Outcome::Error(remember(request, error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_passwords_or_refresh_tokens() {
        let login = LoginRequest { email: "ann@example.com".into(), password: "login secret".into() };
        let refresh = RefreshRequest { refresh_token: "refresh secret".into() };
        let password_form = TokenForm::Password(PasswordGrantForm {
            grant_type: Some(PasswordGrantType::Password),
            username: "ann@example.com".into(),
            password: "form secret".into(),
        });
        let refresh_form = TokenForm::RefreshToken(RefreshTokenGrantForm {
            grant_type: RefreshTokenGrantType::RefreshToken,
            refresh_token: "form refresh secret".into(),
        });
        let grant_form = GrantForm {
            grant_type: Some("password".into()),
            username: Some("ann@example.com".into()),
            password: Some("raw form secret".into()),
            refresh_token: Some("raw refresh secret".into()),
        };
        let password_grant = TokenGrant::Password { email: "ann@example.com".into(), password: "grant secret".into() };
        let refresh_grant = TokenGrant::RefreshToken("grant refresh secret".into());
        for shown in [
            format!("{login:?}"),
            format!("{refresh:?}"),
            format!("{password_form:?}"),
            format!("{refresh_form:?}"),
            format!("{grant_form:?}"),
            format!("{password_grant:?}"),
            format!("{refresh_grant:?}"),
        ] {
            assert!(!shown.contains("secret"), "{shown}");
            assert!(shown.contains(r#""<redacted>""#), "{shown}");
        }
        assert!(format!("{grant_form:?}").contains("ann@example.com"), "the email is no secret");
    }
}
