//! A member's role in a list, and what each role may do (API.md, "Lists and sharing").

use std::fmt;
use std::str::FromStr;

/// What a member of a list may do. Each role may do everything the one before it may:
///
/// | role | reads the list and its tasks | creates, changes, completes, deletes tasks | renames, deletes, shares the list |
/// | --- | --- | --- | --- |
/// | [`Viewer`](Role::Viewer) | yes | | |
/// | [`Editor`](Role::Editor) | yes | yes | |
/// | [`Owner`](Role::Owner) | yes | yes | yes |
///
/// A list has exactly one owner.
///
/// ```
/// use todo_core::Role;
///
/// assert!(Role::Editor.allows(Role::Viewer));
/// assert!(!Role::Viewer.allows(Role::Editor));
/// assert_eq!("editor".parse::<Role>(), Ok(Role::Editor));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Reads the list and its tasks.
    Viewer,
    /// Also creates, changes, completes and deletes tasks.
    Editor,
    /// Also renames and deletes the list, invites, changes roles and removes members.
    Owner,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Owner];

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }

    /// The name in the API: `viewer`, `editor` or `owner`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    /// The rank stored in `memberships.role` (1 to 3, so that "at least an editor" is `role >= 2` in SQL).
    pub(crate) fn rank(self) -> i16 {
        match self {
            Role::Viewer => 1,
            Role::Editor => 2,
            Role::Owner => 3,
        }
    }

    /// The role of a stored rank; `None` for a rank the schema's check does not allow.
    pub(crate) fn from_rank(rank: i16) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.rank() == rank)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of viewer, editor, owner")]
pub struct UnknownRole;

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str() == name).ok_or(UnknownRole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_round_trip_and_order_the_roles() {
        for role in Role::ALL {
            assert_eq!(Role::from_rank(role.rank()), Some(role));
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!(Role::from_rank(0), None);
        assert!(Role::Owner.allows(Role::Editor) && Role::Editor.allows(Role::Editor));
        assert!(!Role::Editor.allows(Role::Owner));
        assert_eq!("Owner".parse::<Role>(), Err(UnknownRole), "names are lower case");
    }
}
