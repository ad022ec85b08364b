//! `Debug` output that names a secret without showing it, for the request bodies that carry passwords and tokens
//! (their `Debug` is written by hand with these stand-ins, so that a body logged or shown in a panic leaks nothing).

use std::fmt;

/// Stands in for a secret in `Debug` output: `"<redacted>"`, whatever the secret is.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt("<redacted>", f)
    }
}

/// An optional secret: `Some("<redacted>")` when it was sent, `None` when not (whether it was sent is no secret).
pub(crate) fn redacted_if_sent<T>(secret: &Option<T>) -> Option<Redacted> {
    secret.as_ref().map(|_| Redacted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_shows_as_redacted_and_an_optional_one_shows_whether_it_was_sent() {
        assert_eq!(format!("{Redacted:?}"), r#""<redacted>""#);
        assert_eq!(format!("{:?}", redacted_if_sent(&Some("hunter2"))), r#"Some("<redacted>")"#);
        assert_eq!(format!("{:?}", redacted_if_sent::<String>(&None)), "None");
    }
}
