//! The ids of users, sessions, tasks, lists, invitations, factors and WebAuthn ceremonies: UUIDv7 newtypes from one definition, so
//! that one kind of id cannot be passed where another is meant, and all print, parse and compare alike.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// Defines a UUID newtype: `Debug`, `Clone`, `Copy`, equality, hashing and ordering (ids sort by creation time),
/// `Display` and `FromStr` as the hyphenated UUID, [`as_uuid`](UserId::as_uuid), and a crate-only `from_uuid`.
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// The UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            pub(crate) fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id! {
    /// A user's id (a UUIDv7).
    UserId
}

uuid_id! {
    /// A session's id (a UUIDv7), as in the `sid` claim of its access tokens.
    SessionId
}

uuid_id! {
    /// A task's id (a UUIDv7: ids sort by creation time).
    TaskId
}

uuid_id! {
    /// A second factor's id (a UUIDv7): a TOTP authenticator or a passkey.
    FactorId
}

uuid_id! {
    /// A WebAuthn ceremony's id (a UUIDv7): what the options of a passkey registration or sign-in hand out, and what
    /// finishing it names.
    ChallengeId
}

uuid_id! {
    /// A list's id (a UUIDv7; inboxes made by migration 0011 have random ones).
    ListId
}

uuid_id! {
    /// An invitation's id (a UUIDv7): a pending invitation to a list, as its owner lists and withdraws it.
    InvitationId
}

uuid_id! {
    /// A linked identity's id (a UUIDv7): an account's link to an identity at a provider.
    IdentityId
}

/// A session id from its UUID (public, as before: adapters and tests build one to name a session).
impl From<Uuid> for SessionId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

/// A ceremony id from its UUID (public: a server reads the `challenge_id` a client sends back).
impl From<Uuid> for ChallengeId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

/// A list id from its UUID (public: a server reads the `list_id` a client sends; naming a list proves nothing, every
/// statement checks membership).
impl From<Uuid> for ListId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

/// A user id from its UUID (public: a server reads the member or assignee a client names; an id proves nothing).
impl From<Uuid> for UserId {
    fn from(id: Uuid) -> Self {
        Self(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse_as_their_uuid() {
        let uuid = Uuid::now_v7();
        let task: TaskId = uuid.to_string().parse().expect("a UUID");
        assert_eq!((task.as_uuid(), task.to_string()), (uuid, uuid.to_string()));
        assert_eq!(SessionId::from(uuid), SessionId::from_uuid(uuid));
        assert!("7".parse::<UserId>().is_err());
    }
}
