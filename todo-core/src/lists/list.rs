//! A list as its members see it, a member, and the rule a list's name obeys.

use time::OffsetDateTime;

use crate::email::Email;
use crate::error::{Error, FieldError, Result};
use crate::ids::{ListId, UserId};
use crate::roles::Role;

/// The most characters a list's name may have, as sent (surrounding whitespace included; it is stored trimmed).
pub const MAX_LIST_NAME_CHARS: usize = 100;

/// A list, as one of its members sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    /// The list's id.
    pub id: ListId,
    /// Its name: 1 to 100 characters, trimmed.
    pub name: String,
    /// Whether this is its owner's inbox (made at signup; it cannot be shared or deleted).
    pub inbox: bool,
    /// The caller's role in it.
    pub role: Role,
    /// How many members it has, the owner included.
    pub member_count: i64,
    /// When it was made.
    pub created_at: OffsetDateTime,
    /// When it was last renamed (or made).
    pub updated_at: OffsetDateTime,
}

/// A member of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member's account.
    pub user_id: UserId,
    /// Their email address.
    pub email: Email,
    /// Their role.
    pub role: Role,
    /// When they joined (for the owner, when the list was made).
    pub joined_at: OffsetDateTime,
}

/// The role of a stored rank (`memberships.role`, `invitations.role`).
pub(crate) fn stored_role(rank: i16) -> Result<Role> {
    Role::from_rank(rank).ok_or_else(|| Error::internal(crate::store::BadRank(rank)))
}

/// Trims a list's name and checks it: 1 to 100 characters as sent, not only whitespace, no U+0000.
pub(crate) fn check_name(name: &str) -> Result<String> {
    let problem = if name.chars().count() > MAX_LIST_NAME_CHARS {
        format!("must be at most {MAX_LIST_NAME_CHARS} characters")
    } else if name.trim().is_empty() {
        "must not be empty".to_owned()
    } else if name.contains('\0') {
        "must not contain U+0000 (the NUL character)".to_owned()
    } else {
        return Ok(name.trim().to_owned());
    };
    Err(Error::Validation(vec![FieldError::new("name", problem)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_1_to_100_characters_as_sent() {
        assert_eq!(check_name("  Groceries ").expect("valid"), "Groceries");
        assert!(check_name(&"é".repeat(100)).is_ok());
        for bad in ["é".repeat(101), String::new(), " \t ".into(), "a\0b".into()] {
            assert_eq!(check_name(&bad).unwrap_err().field_errors()[0].field, "name", "{bad:?}");
        }
    }
}
