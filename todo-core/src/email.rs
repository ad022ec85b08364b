//! Email addresses, canonicalised once at the edge, so that one mailbox is one account whatever its spelling.

use std::fmt;

use unicode_normalization::UnicodeNormalization as _;
use validator::ValidateEmail;

use crate::error::{Error, Result};

/// The longest accepted address, in characters of its canonical form (RFC 5321's path limit minus the angle
/// brackets).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A valid email address in canonical form, so that two `Email`s are equal when they name one mailbox.
///
/// The canonical form is trimmed; its domain is in its IDNA ASCII form (UTS #46 mapping, then Punycode:
/// `bücher.example`, `BÜCHER.example` and `xn--bcher-kva.example` are one domain), lower-cased; its local part is
/// lower-cased and in Unicode NFC. It is what the database stores and what mail is sent to.
///
/// The 254-character limit applies to the canonical form, the stored value: a Unicode domain grows in Punycode
/// (`bücher` is `xn--bcher-kva`), so checking the input instead would let through addresses whose stored form is
/// longer than any mail path may be. Validation (`validator`'s HTML5 rules) also runs on the canonical form; those
/// rules take only ASCII in the local part, so today a local part that is not ASCII is refused, and NFC only keeps
/// the form stable should that rule ever widen.
///
/// ```
/// use todo_core::Email;
///
/// let email = Email::parse("  Ann@Example.COM ")?;
/// assert_eq!(email.as_str(), "ann@example.com");
///
/// // One internationalised domain, three spellings, one `Email`.
/// let unicode = Email::parse("ann@bücher.example")?;
/// assert_eq!(unicode.as_str(), "ann@xn--bcher-kva.example");
/// assert_eq!(Email::parse("ANN@BÜCHER.example")?, unicode);
/// assert_eq!(Email::parse("ann@xn--bcher-kva.example")?, unicode);
///
/// assert!(Email::parse("not an address").is_err());
/// # Ok::<(), todo_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Canonicalises and validates `input`; the error is a validation error on the `email` field.
    pub fn parse(input: &str) -> Result<Self> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid("email", "must not be empty"));
        }
        let canonical = canonical_form(trimmed);
        // Input that has no canonical form (no `@`, a domain IDNA refuses) is measured as typed, so that an
        // overlong non-address is still told it is too long.
        let length = canonical.as_deref().unwrap_or(trimmed).chars().count();
        if length > MAX_EMAIL_CHARS {
            return Err(Error::invalid("email", format!("must be at most {MAX_EMAIL_CHARS} characters")));
        }
        match canonical {
            Some(canonical) if canonical.validate_email() => Ok(Self(canonical)),
            _ => Err(Error::invalid("email", "must be a valid email address")),
        }
    }

    /// The canonical address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_trusted(stored: String) -> Self {
        Self(stored)
    }
}

/// `address` (trimmed, not empty) with its local part lower-cased in NFC and its domain in lower-case IDNA ASCII,
/// or `None` when it has no `@` or IDNA refuses its domain.
fn canonical_form(address: &str) -> Option<String> {
    // The last `@`, as `validator` splits: a local part may not hold one unquoted, and quoted ones are refused.
    let (local, domain) = address.rsplit_once('@')?;
    Some(format!("{}@{}", canonical_local_part(local), canonical_domain(domain)?))
}

/// Lower-cased, then composed (NFC) so that the result is in NFC whatever lower-casing produced.
fn canonical_local_part(local: &str) -> String {
    local.to_lowercase().nfc().collect()
}

/// The IDNA ASCII form of a domain name (`idna` lower-cases it as part of the UTS #46 mapping); an address
/// literal (`[192.0.2.1]`, RFC 5321 §4.1.3) is no domain name and is only lower-cased.
fn canonical_domain(domain: &str) -> Option<String> {
    if domain.starts_with('[') {
        return Some(domain.to_lowercase());
    }
    idna::domain_to_ascii(domain).ok()
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
    fn three_spellings_of_an_internationalised_domain_are_one_email() {
        let canonical = Email::parse("ann@bücher.example").expect("valid");
        assert_eq!(canonical.as_str(), "ann@xn--bcher-kva.example");
        for spelling in ["ANN@BÜCHER.example", " ann@xn--bcher-kva.example", "Ann@XN--BCHER-KVA.Example"] {
            assert_eq!(Email::parse(spelling).expect("valid"), canonical, "input {spelling:?}");
        }
    }

    #[test]
    fn the_domain_is_mapped_as_idna_maps_it() {
        // UTS #46 maps a decomposed `u` + diaeresis to `ü` and an ideographic full stop to a dot.
        let canonical = Email::parse("ann@bu\u{308}cher\u{3002}example").expect("valid");
        assert_eq!(canonical.as_str(), "ann@xn--bcher-kva.example");
    }

    #[test]
    fn a_domain_idna_refuses_is_not_an_address() {
        // A label that starts with a combining mark is refused by UTS #46 (its Punycode form here too).
        for bad in ["ann@\u{308}bcher.example", "ann@xn--bcher-kva-.example"] {
            assert_eq!(
                Email::parse(bad).unwrap_err().field_errors()[0].message,
                "must be a valid email address",
                "input {bad:?}"
            );
        }
    }

    #[test]
    fn an_address_literal_is_lower_cased_only() {
        assert_eq!(Email::parse("ANN@[192.0.2.1]").expect("valid").as_str(), "ann@[192.0.2.1]");
    }

    #[test]
    fn the_local_part_is_lower_cased_then_composed() {
        assert_eq!(canonical_local_part("JOSE\u{301}"), "jos\u{e9}");
        assert_eq!(canonical_local_part("jos\u{e9}"), "jos\u{e9}");
        // Lower-casing `İ` gives `i` and a combining dot above, which stays two characters in NFC.
        assert_eq!(canonical_local_part("\u{130}"), "i\u{307}");
    }

    #[test]
    fn a_local_part_that_is_not_ascii_is_refused_by_the_html5_rules() {
        let error = Email::parse("jos\u{e9}@example.com").unwrap_err();
        assert_eq!(error.field_errors()[0].message, "must be a valid email address");
    }

    #[test]
    fn the_canonical_form_is_its_own_canonical_form() {
        for input in ["ANN@BÜCHER.example", "ann@xn--bcher-kva.example", " Bob.Lee+tag@Example.Org", "c@[192.0.2.1]"] {
            let once = Email::parse(input).expect("valid");
            assert_eq!(Email::parse(once.as_str()).expect("still valid"), once, "input {input:?}");
        }
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

    #[test]
    fn the_length_limit_applies_to_the_stored_ascii_form() {
        // 20 labels `bücher` (6 characters each) become `xn--bcher-kva` (13): 149 characters typed, 289 stored.
        let typed = format!("a@{}.example", vec!["bücher"; 20].join("."));
        assert_eq!(typed.chars().count(), 149);
        let error = Email::parse(&typed).unwrap_err();
        assert_eq!(error.field_errors()[0].message, format!("must be at most {MAX_EMAIL_CHARS} characters"));
    }
}
