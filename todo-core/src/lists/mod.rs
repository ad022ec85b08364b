//! Lists and sharing: [`List`], its members and their [`Role`](crate::Role)s, and the repository that reads and
//! changes them on behalf of an owner, and the invitations that bring new members in (`invitations`).
//!
//! Every statement carries the same two conditions as the tasks' (the owner's session is current, and the owner is
//! a member of the list with the role the action needs), so a removed member or a demoted one is refused by the
//! very next request. May use `store`, `mail` and the leaf modules; `tasks` and `auth` do not use it, nor it them.

/// [`Invitation`]s: inviting an address into a list by mail, listing, withdrawing and accepting them.
mod invitations;
/// [`List`] and [`Member`], and the rule of a list's name.
mod list;
/// [`Lists`]: the owner's lists, and the SQL that reads and changes them and their members.
mod repository;
/// What sharing needs besides the store: links, the mailer, the inviters' budget.
mod sharing;

pub use self::invitations::{Invitation, INVITATION_TTL};
pub use self::list::{List, Member, MAX_LIST_NAME_CHARS};
pub use self::repository::{CreatedList, Lists};
pub(crate) use self::sharing::Sharing;
