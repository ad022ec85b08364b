//! Optimistic concurrency on tasks (RFC 9110 §8.8.3 and §13.1.1): the `ETag` every task response carries, and
//! the `If-Match` a write may send, so that two people editing one task do not silently overwrite each other.
//!
//! A task's entity tag is its version in quotes (`"3"`), a strong tag: it changes with every change to the task.

use std::convert::Infallible;

use rocket::http::Header;
use rocket::request::{FromRequest, Outcome};
use rocket::response::{self, Responder};
use rocket::Request;
use todo_core::FieldError;

/// The entity tag of a task's version.
pub(crate) fn entity_tag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A response with the `ETag` of the task it carries.
#[derive(Debug)]
pub struct Tagged<R> {
    /// The response.
    pub response: R,
    /// The task's version.
    pub version: i64,
}

impl<'r, 'o: 'r, R: Responder<'r, 'o>> Responder<'r, 'o> for Tagged<R> {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'o> {
        let mut response = self.response.respond_to(request)?;
        response.set_header(Header::new("ETag", entity_tag(self.version)));
        Ok(response)
    }
}

/// The version a write's `If-Match` requires: `Ok(None)` without the header or with `*` (any current
/// representation: every write already needs the task to exist). An entity tag that can never be one of this
/// server's (a weak one, which `If-Match`'s strong comparison never matches, or another shape) requires a version no
/// task has, so the write answers 412 as RFC 9110 says. A value that is not a list of entity tags, or that lists
/// more than one, is a validation error on `If-Match`.
#[derive(Debug, Clone)]
pub struct IfMatch(pub Result<Option<i64>, FieldError>);

/// A version no task has (versions start at 1): what an entity tag that is not a task's requires.
const NO_VERSION: i64 = 0;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfMatch {
    type Error = Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Infallible> {
        let values: Vec<&str> = request.headers().get("If-Match").collect();
        let required = if values.is_empty() { Ok(None) } else { parse(&values.join(",")) };
        Outcome::Success(IfMatch(required))
    }
}

/// Reads an `If-Match` value (all its header lines joined by commas, as HTTP allows).
fn parse(value: &str) -> Result<Option<i64>, FieldError> {
    let value = value.trim_matches([' ', '\t']);
    if value == "*" {
        return Ok(None);
    }
    let tags: Vec<&str> = value.split(',').map(|tag| tag.trim_matches([' ', '\t'])).collect();
    let malformed = || FieldError::new("If-Match", "must be one entity tag from the task's ETag (such as \"3\"), or *");
    let [tag] = tags.as_slice() else { return Err(malformed()) };
    let (weak, opaque) = match tag.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, *tag),
    };
    let quoted = opaque.len() >= 2 && opaque.starts_with('"') && opaque.ends_with('"');
    let inner = if quoted { &opaque[1..opaque.len() - 1] } else { return Err(malformed()) };
    // etagc: visible ASCII but the quote, or obs-text.
    if !inner.bytes().all(|byte| byte == 0x21 || (0x23..=0x7e).contains(&byte) || byte >= 0x80) {
        return Err(malformed());
    }
    let version = inner.parse::<i64>().ok().filter(|version| *version > 0 && !inner.starts_with('+'));
    Ok(Some(if weak { NO_VERSION } else { version.unwrap_or(NO_VERSION) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_strong_tag_of_a_version_requires_it_and_star_requires_nothing() {
        assert_eq!(parse("\"3\""), Ok(Some(3)));
        assert_eq!(parse(" \"12\"\t"), Ok(Some(12)));
        assert_eq!(parse("*"), Ok(None));
        assert_eq!(entity_tag(7), "\"7\"");
        assert_eq!(parse(&entity_tag(7)), Ok(Some(7)));
    }

    #[test]
    fn tags_no_task_has_require_a_version_no_task_has() {
        for never in ["W/\"3\"", "\"abc\"", "\"0\"", "\"-1\"", "\"+3\"", "\"\""] {
            assert_eq!(parse(never), Ok(Some(NO_VERSION)), "{never}");
        }
    }

    #[test]
    fn anything_else_is_a_validation_error() {
        for bad in ["3", "\"3", "\"3\", \"4\"", "", "\"a\"b\"", "W/3"] {
            assert_eq!(parse(bad).unwrap_err().field, "If-Match", "{bad:?}");
        }
    }
}
