//! How a session was won: the methods that proved who the user is (`amr`) and the assurance level they add up to
//! (`aal`). Sessions store both, access tokens carry both, and the routes that change factors ask for level 2.

use std::fmt;

/// One way of proving who one is. Its [`Method::amr`] name is RFC 8176's where one exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// The account's password (`pwd`).
    Password,
    /// A sign-in link mailed to the account's address (`email`; RFC 8176 has no name for it).
    EmailLink,
    /// A TOTP code from an authenticator app (`otp`).
    Totp,
    /// A single-use recovery code (`recovery`; RFC 8176 has no name for it).
    RecoveryCode,
    /// A passkey (`hwk`: proof of possession of a key; the authenticator also verified the user, `user`).
    Passkey,
    /// A sign-in at an identity provider, through OpenID Connect (`oidc`; RFC 8176 has no name for it, and what
    /// the provider itself checked is its own business: the provider's `amr` is not carried over).
    IdentityProvider,
}

impl Method {
    /// The method's `amr` name.
    pub fn amr(self) -> &'static str {
        match self {
            Method::Password => "pwd",
            Method::EmailLink => "email",
            Method::Totp => "otp",
            Method::RecoveryCode => "recovery",
            Method::Passkey => "hwk",
            Method::IdentityProvider => "oidc",
        }
    }
}

/// The methods a session was won with, and its assurance level: 1 for one factor, 2 for two (a first factor and a
/// second step, or a passkey alone, which is possession and user verification at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assurance {
    aal: u8,
    amr: Vec<String>,
}

impl Assurance {
    /// A session won by one method: level 1, or level 2 for a passkey (its `amr` is then `hwk user`).
    pub fn first(method: Method) -> Self {
        match method {
            Method::Passkey => Self { aal: 2, amr: vec![method.amr().to_owned(), "user".to_owned()] },
            _ => Self { aal: 1, amr: vec![method.amr().to_owned()] },
        }
    }

    /// A password sign-in: level 1, `pwd`.
    pub fn password() -> Self {
        Self::first(Method::Password)
    }

    /// This assurance raised by a second step: level 2, with `second`'s name added.
    pub fn with_second_step(mut self, second: Method) -> Self {
        self.aal = 2;
        if !self.amr.iter().any(|name| name == second.amr()) {
            self.amr.push(second.amr().to_owned());
        }
        self
    }

    /// The assurance level: 1 or 2.
    pub fn aal(&self) -> u8 {
        self.aal
    }

    /// The methods, RFC 8176 names where one exists.
    pub fn amr(&self) -> &[String] {
        &self.amr
    }

    /// As stored: the level and the names separated by spaces.
    pub(crate) fn to_columns(&self) -> (i16, String) {
        (i16::from(self.aal), self.amr.join(" "))
    }

    /// From the stored columns; a level other than 2 reads as 1.
    pub(crate) fn from_columns(aal: i16, amr: &str) -> Self {
        Self { aal: if aal == 2 { 2 } else { 1 }, amr: amr.split_whitespace().map(str::to_owned).collect() }
    }
}

impl fmt::Display for Assurance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "aal{} ({})", self.aal, self.amr.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_factor_is_level_1_and_a_second_step_raises_it_to_2() {
        let password = Assurance::password();
        assert_eq!((password.aal(), password.amr()), (1, &["pwd".to_owned()][..]));
        let both = password.with_second_step(Method::Totp);
        assert_eq!((both.aal(), both.amr().join(" ")), (2, "pwd otp".to_owned()));
        assert_eq!(Assurance::first(Method::EmailLink).with_second_step(Method::Passkey).amr().join(" "), "email hwk");
    }

    #[test]
    fn a_passkey_alone_is_two_factors() {
        let passkey = Assurance::first(Method::Passkey);
        assert_eq!((passkey.aal(), passkey.amr().join(" ")), (2, "hwk user".to_owned()));
    }

    #[test]
    fn the_columns_round_trip() {
        let both = Assurance::password().with_second_step(Method::RecoveryCode);
        let (aal, amr) = both.to_columns();
        assert_eq!((aal, amr.as_str()), (2, "pwd recovery"));
        assert_eq!(Assurance::from_columns(aal, &amr), both);
        assert_eq!(Assurance::from_columns(7, "pwd").aal(), 1);
    }
}
