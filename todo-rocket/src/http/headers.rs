//! Headers beyond routing: `no-store` on responses that carry tokens, `nosniff` on every response, the
//! `User-Agent` a login remembers for the user's list of sessions, and a create's `Idempotency-Key`.

use std::convert::Infallible;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::request::{FromRequest, Outcome};
use rocket::response::{self, Responder};
use rocket::{Request, Response};

/// Adds `Cache-Control: no-store` (RFC 6749 §5.1: responses that carry tokens must not be cached).
#[derive(Debug)]
pub struct NoStore<R>(pub R);

impl<'r, 'o: 'r, R: Responder<'r, 'o>> Responder<'r, 'o> for NoStore<R> {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'o> {
        let mut response = self.0.respond_to(request)?;
        response.set_header(Header::new("Cache-Control", "no-store"));
        response.set_header(Header::new("Pragma", "no-cache"));
        Ok(response)
    }
}

/// Sets `X-Content-Type-Options: nosniff` on every response, whether or not the host app keeps Rocket's Shield,
/// so browsers never sniff a JSON or problem body into something executable.
#[derive(Debug)]
pub struct NoSniff;

#[rocket::async_trait]
impl Fairing for NoSniff {
    fn info(&self) -> Info {
        Info { name: "X-Content-Type-Options: nosniff", kind: Kind::Response }
    }

    async fn on_response<'r>(&self, _: &'r Request<'_>, response: &mut Response<'r>) {
        response.set_header(Header::new("X-Content-Type-Options", "nosniff"));
    }
}

/// The request's `User-Agent`, if it sent one (the library trims and cuts it).
#[derive(Debug, Clone)]
pub struct UserAgent(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for UserAgent {
    type Error = Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Infallible> {
        Outcome::Success(UserAgent(request.headers().get_one("User-Agent").map(str::to_owned)))
    }
}

/// The request's `Idempotency-Key` header, checked: `Ok(None)` without one, a validation error on `Idempotency-Key`
/// for a value that is not a key or for the header given more than once. Spaces and tabs around the value are not part of
/// it (HTTP servers trim them; Rocket's local client does not, so they are trimmed here too), and an empty value is no
/// key.
#[derive(Debug, Clone)]
pub struct IdempotencyKeyHeader(pub Result<Option<todo_core::IdempotencyKey>, todo_core::FieldError>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IdempotencyKeyHeader {
    type Error = Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Infallible> {
        let mut values = request.headers().get("Idempotency-Key");
        let key = match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(value), None) => match value.trim_matches([' ', '\t']) {
                // An empty value is no key: HTTP clients and servers may drop an empty header on the way.
                "" => Ok(None),
                key => todo_core::IdempotencyKey::parse(key).map(Some).map_err(|error| error.field_errors()[0].clone()),
            },
            (Some(_), Some(_)) => Err(todo_core::FieldError::new("Idempotency-Key", "must be given once")),
        };
        Outcome::Success(IdempotencyKeyHeader(key))
    }
}
