//! Email addresses, normalised once at the edge.

use std::fmt;

use validator::ValidateEmail;

use crate::error::{Error, Result};

/// The longest accepted address, in characters (RFC 5321's path limit minus the angle brackets).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A valid email address, trimmed and lower-cased, so that comparing two `Email`s is case-insensitive.
///
/// ```
/// use todo_core::Email;
///
/// let email = Email::parse("  Ann@Example.COM ")?;
/// assert_eq!(email.as_str(), "ann@example.com");
/// assert!(Email::parse("not an address").is_err());
/// # Ok::<(), todo_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Trims, lower-cases and validates `input`; the error is a validation error on the `email` field.
    pub fn parse(input: &str) -> Result<Self> {
        let normalised = input.trim().to_lowercase();
        if normalised.is_empty() {
            return Err(Error::invalid("email", "must not be empty"));
        }
        if normalised.chars().count() > MAX_EMAIL_CHARS {
            return Err(Error::invalid("email", format!("must be at most {MAX_EMAIL_CHARS} characters")));
        }
        if !normalised.validate_email() {
            return Err(Error::invalid("email", "must be a valid email address"));
        }
        Ok(Self(normalised))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_case_and_surrounding_spaces_are_normalised() {
        assert_eq!(Email::parse(" \tAnn.Lee@Example.Org \n").expect("valid").as_str(), "ann.lee@example.org");
    }

    #[test]
    fn the_same_address_in_two_cases_is_equal() {
        assert_eq!(Email::parse("BOB@x.io").expect("valid"), Email::parse("bob@X.IO").expect("valid"));
    }

    #[test]
    fn invalid_addresses_are_rejected_on_the_email_field() {
        for bad in ["", "   ", "plainaddress", "@example.com", "ann@", "ann@@example.com", "ann example@x.io"] {
            let error = Email::parse(bad).unwrap_err();
            assert_eq!(error.field_errors()[0].field, "email", "input {bad:?}");
        }
    }

    #[test]
    fn length_limit_is_254_characters() {
        // validator caps the local part at 64 characters, so build long addresses from long domain labels.
        let domain = |len: usize| {
            let labels: Vec<String> = (0..len / 50 + 1).map(|_| "a".repeat(49)).collect();
            let mut domain = labels.join(".");
            domain.truncate(len - 4);
            format!("{}.com", domain.trim_end_matches('.'))
        };
        let at_limit = format!("ann@{}", domain(250));
        assert_eq!(at_limit.len(), 254);
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("anne@{}", domain(250));
        assert_eq!(over.len(), 255);
        assert!(Email::parse(&over).is_err());
    }
}
