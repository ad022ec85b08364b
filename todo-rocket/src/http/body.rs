//! JSON request bodies (the login route also takes a form: see `api/grant.rs`).
//!
//! These data guards turn every way a body can be wrong into the status the OpenAPI document gives it (the
//! `MalformedBody`, `TooLarge`, `UnsupportedMediaType` and `Unprocessable` responses): 415 for another
//! content type, 413 over the configured limit, 400 for bytes that are not JSON, 422 for JSON of the wrong shape
//! (with the field that is wrong, never the value that was sent).

use rocket::data::{self, ByteUnit, Data, FromData, Limits};
use rocket::http::ContentType;
use rocket::outcome::Outcome;
use rocket::Request;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::failure::remember;
use super::problem::FieldProblem;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

#[rocket::async_trait]
impl<'r, T: DeserializeOwned + Send> FromData<'r> for JsonBody<T> {
    type Error = ApiError;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        if let Some(content_type) = request.content_type() {
            if !is_json(content_type) {
                return fail(request, ApiError::UnsupportedMediaType("send the body as application/json"));
            }
        }
        match parse_json(request, data).await {
            Ok(value) => Outcome::Success(JsonBody(value)),
            Err(error) => fail(request, error),
        }
    }
}

fn fail<'r, T>(request: &'r Request<'_>, error: ApiError) -> data::Outcome<'r, T, ApiError> {
    Outcome::Error(remember(request, error))
}

/// `application/json`, or any `application/*+json`.
fn is_json(content_type: &ContentType) -> bool {
    content_type.is_json() || (content_type.top() == "application" && content_type.sub().as_str().ends_with("+json"))
}

/// Reads at most the configured `json` limit and deserialises it, naming the failing field on a shape error.
async fn parse_json<T: DeserializeOwned>(request: &Request<'_>, data: Data<'_>) -> Result<T, ApiError> {
    let limit: ByteUnit = request.limits().get("json").unwrap_or(Limits::JSON);
    let bytes =
        data.open(limit).into_bytes().await.map_err(|_| ApiError::MalformedBody("the body could not be read"))?;
    if !bytes.is_complete() {
        return Err(ApiError::TooLarge);
    }
    let not_json = || ApiError::MalformedBody("the body is not valid JSON");
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        // A shape error can come before a syntax error later in the body: bytes that are not JSON are 400 first.
        if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_err() {
            not_json()
        } else {
            shape_error(error)
        }
    })?;
    deserializer.end().map_err(|_| not_json())?;
    Ok(value)
}

fn shape_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = error.path().to_string();
    let inner = error.into_inner();
    if !inner.is_data() {
        return ApiError::MalformedBody("the body is not valid JSON");
    }
    // serde's message, without its " at line L column C" suffix and without the value that was sent.
    let message = inner.to_string();
    let message = message.split(" at line ").next().unwrap_or_default();
    let problem = if let Some(field) = message.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`')) {
        let field = if path == "." { field.to_owned() } else { format!("{path}.{field}") };
        FieldProblem { field, message: "is required".into() }
    } else {
        let expected = message.split_once(", expected ").map(|(_, expected)| expected);
        FieldProblem {
            field: if path == "." { "body".into() } else { path },
            message: expected.map_or_else(|| "has the wrong type".into(), |e| format!("must be {e}")),
        }
    };
    ApiError::WrongShape(vec![problem])
}
