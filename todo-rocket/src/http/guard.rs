//! The `Authorization: Bearer` request guard.

use rocket::request::{FromRequest, Outcome};
use rocket::Request;
use todo_core::{Owner, Todo, User};

use super::error::ApiError;
use super::failure::remember;

/// The authenticated caller: a handler that takes this cannot run without a valid token of an existing user.
///
/// Fails with 401 and `WWW-Authenticate: Bearer` (plus `error="invalid_token"` when a token was sent), or 503
/// when the database cannot be asked.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The user, as stored now.
    pub user: User,
    /// Proof of identity for the task repository.
    pub owner: Owner,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for AuthUser {
    type Error = ApiError;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let authenticated = async {
            let (todo, token) = todo_and_token(request)?;
            let session = todo.accounts().authenticate(token).await?;
            Ok(AuthUser { user: session.user, owner: session.owner })
        };
        settle(request, authenticated.await)
    }
}

/// The caller of a task route: a verified token, without a database lookup here. Each task statement checks
/// that the account still exists and the token is not revoked (see [`Owner`]), so a revoked token still gets
/// 401, from the handler, and a task request is one statement instead of two.
///
/// Fails with 401 and `WWW-Authenticate: Bearer` (plus `error="invalid_token"` when a token was sent).
#[derive(Debug, Clone)]
pub struct TaskOwner {
    /// Proof of identity for the task repository.
    pub owner: Owner,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for TaskOwner {
    type Error = ApiError;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let authorized = todo_and_token(request)
            .and_then(|(todo, token)| Ok(TaskOwner { owner: todo.accounts().authorize(token)? }));
        settle(request, authorized)
    }
}

/// A guard's result as its outcome; a failure is remembered for the catcher.
fn settle<T>(request: &Request<'_>, result: Result<T, ApiError>) -> Outcome<T, ApiError> {
    match result {
        Ok(value) => Outcome::Success(value),
        Err(error) => Outcome::Error(remember(request, error)),
    }
}

/// The managed library and the request's bearer token.
fn todo_and_token<'r>(request: &'r Request<'_>) -> Result<(&'r Todo, &'r str), ApiError> {
    let token = bearer_token(request.headers().get_one("Authorization")).ok_or(ApiError::MissingToken)?;
    let todo = request.rocket().state::<Todo>().ok_or(ApiError::Internal("todo-core state is not managed"))?;
    Ok((todo, token))
}

/// The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 7235 §2.1).
/// Any other scheme counts as no token.
fn bearer_token(header: Option<&str>) -> Option<&str> {
    let (scheme, token) = header?.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for header in ["Bearer abc", "bearer abc", "BEARER  abc ", " Bearer abc"] {
            assert_eq!(bearer_token(Some(header)), Some("abc"), "{header:?}");
        }
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_no_token() {
        for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "abc", ""] {
            assert_eq!(bearer_token(Some(header)), None, "{header:?}");
        }
        assert_eq!(bearer_token(None), None);
    }
}
