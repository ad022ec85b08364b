//! Listing tasks a page at a time: the query, the page, and the opaque cursor that says where the next page starts.

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use uuid::Uuid;

use time::OffsetDateTime;

use super::task::Task;
use crate::clock::unix_ms;
use crate::error::{Error, FieldError, Result};
use crate::ids::{ListId, UserId};

/// Page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The order of a listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest first (the default).
    #[default]
    Created,
    /// Soonest due first, then the tasks without a due date; tasks due at the same instant oldest first.
    Due,
}

/// Whose assigned tasks to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    /// The caller's.
    Me,
    /// This user's.
    User(UserId),
}

/// Which page of which tasks to list. Every filter is optional, and they combine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Only this list's tasks (the caller must be a member); every list the caller can see when `None`.
    pub list_id: Option<ListId>,
    /// Only completed (`Some(true)`) or open (`Some(false)`) tasks; all when `None`.
    pub completed: Option<bool>,
    /// Only tasks due before this instant (undated tasks never match).
    pub due_before: Option<OffsetDateTime>,
    /// Only tasks due at or after this instant.
    pub due_after: Option<OffsetDateTime>,
    /// Only tasks assigned to this user.
    pub assignee: Option<Assignee>,
    /// Only tasks whose title or description contains this text, in any case (1 to 200 characters).
    pub q: Option<String>,
    /// The order.
    pub sort: Sort,
    /// Page size, 1 to 100.
    pub limit: u32,
    /// The `next_cursor` of the previous page (of the same sort); `None` for the first page.
    pub cursor: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            list_id: None,
            completed: None,
            due_before: None,
            due_after: None,
            assignee: None,
            q: None,
            sort: Sort::Created,
            limit: DEFAULT_PAGE_SIZE,
            cursor: None,
        }
    }
}

/// The longest `q`.
pub const MAX_QUERY_CHARS: usize = 200;

/// Where a page starts: after the last task of the previous one, in the listing's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// Newest first: below this id.
    Created(Uuid),
    /// Soonest due first: after this due instant (Unix ms) and id.
    Dated(i64, Uuid),
    /// Among the undated tasks, which come last: after this id.
    Undated(Uuid),
}

impl ListQuery {
    /// Checks the limit, `q` and the cursor, reporting every broken rule in one [`Error::Validation`], and gives the
    /// position the page starts after (`None` for the first page).
    pub(crate) fn checked_cursor(&self) -> Result<Option<Position>> {
        let mut errors = Vec::new();
        if !(1..=MAX_PAGE_SIZE).contains(&self.limit) {
            errors.push(FieldError::new("limit", format!("must be from 1 to {MAX_PAGE_SIZE}")));
        }
        if let Some(q) = &self.q {
            if q.is_empty() || q.chars().count() > MAX_QUERY_CHARS {
                errors.push(FieldError::new("q", format!("must be 1 to {MAX_QUERY_CHARS} characters")));
            } else if q.contains('\0') {
                errors.push(FieldError::new("q", "must not contain U+0000 (the NUL character)"));
            }
        }
        let cursor = match self.cursor.as_deref().map(|cursor| decode_cursor(cursor, self.sort)).transpose() {
            Ok(cursor) => cursor,
            Err(error) => {
                errors.push(error);
                None
            }
        };
        if errors.is_empty() {
            Ok(cursor)
        } else {
            Err(Error::Validation(errors))
        }
    }
}

/// One page of tasks, in the listing's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The tasks on this page.
    pub items: Vec<Task>,
    /// Pass this back as [`ListQuery::cursor`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Cursors are unpadded base64url. Newest-first cursors are the last id's 16 bytes (always 22 characters of
/// `[A-Za-z0-9_-]`, as before due dates existed); soonest-due cursors add the due instant (8 bytes, big-endian
/// Unix milliseconds), or one byte that says "undated". Decoding ignores the spare bits of the last character.
const CURSOR: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// The cursor of the page that starts after `last` in the listing's order.
pub(crate) fn encode_cursor(sort: Sort, last: &Task) -> String {
    let id = last.id.as_uuid();
    match (sort, last.due_at) {
        (Sort::Created, _) => CURSOR.encode(id.as_bytes()),
        (Sort::Due, Some(due_at)) => CURSOR.encode([&unix_ms(due_at).to_be_bytes()[..], id.as_bytes()].concat()),
        (Sort::Due, None) => CURSOR.encode([&[UNDATED][..], id.as_bytes()].concat()),
    }
}

/// The tag byte of an undated soonest-due cursor.
const UNDATED: u8 = 0;

/// The position a cursor of [`encode_cursor`] holds, for a listing in `sort` order.
fn decode_cursor(cursor: &str, sort: Sort) -> Result<Position, FieldError> {
    let bytes = CURSOR.decode(cursor).ok();
    let id = |bytes: &[u8]| Uuid::from_slice(bytes).ok();
    let position = match (sort, bytes.as_deref()) {
        (Sort::Created, Some(bytes)) if bytes.len() == 16 => id(bytes).map(Position::Created),
        (Sort::Due, Some([UNDATED, rest @ ..])) if rest.len() == 16 => id(rest).map(Position::Undated),
        (Sort::Due, Some(bytes)) if bytes.len() == 24 => {
            let due = i64::from_be_bytes(bytes[..8].try_into().unwrap_or_default());
            id(&bytes[8..]).map(|id| Position::Dated(due, id))
        }
        _ => None,
    };
    position.ok_or_else(|| FieldError::new("cursor", "is not a cursor from a previous page of this sort"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TaskId;

    fn task(due_at: Option<OffsetDateTime>) -> Task {
        let now = OffsetDateTime::now_utc();
        Task {
            id: TaskId::from_uuid(Uuid::now_v7()),
            list_id: ListId::from_uuid(Uuid::now_v7()),
            title: "t".into(),
            description: None,
            completed: false,
            due_at,
            priority: 0,
            assignee_id: None,
            created_by: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn every_22_character_base64url_string_is_a_newest_first_cursor() {
        for cursor in ["AAAAAAAAAAAAAAAAAAAAAA", "__________________________"[..22].as_ref(), "Zz9-_0aA1bB2cC3dD4eE5f"]
        {
            assert!(decode_cursor(cursor, Sort::Created).is_ok(), "{cursor}");
        }
    }

    #[test]
    fn cursors_round_trip_in_their_sort_and_garbage_is_a_cursor_error() {
        let due = OffsetDateTime::from_unix_timestamp(1_900_000_000).expect("valid");
        let (plain, dated, undated) = (task(None), task(Some(due)), task(None));
        assert_eq!(
            decode_cursor(&encode_cursor(Sort::Created, &plain), Sort::Created),
            Ok(Position::Created(plain.id.as_uuid()))
        );
        assert_eq!(
            decode_cursor(&encode_cursor(Sort::Due, &dated), Sort::Due),
            Ok(Position::Dated(1_900_000_000_000, dated.id.as_uuid()))
        );
        assert_eq!(
            decode_cursor(&encode_cursor(Sort::Due, &undated), Sort::Due),
            Ok(Position::Undated(undated.id.as_uuid()))
        );
        // A cursor of one sort is not one of the other.
        assert!(decode_cursor(&encode_cursor(Sort::Due, &dated), Sort::Created).is_err());
        assert!(decode_cursor(&encode_cursor(Sort::Created, &plain), Sort::Due).is_err());
        for garbage in
            ["", "abc", "!!!!", &CURSOR.encode([0u8; 15]), &CURSOR.encode([1u8; 17]), &CURSOR.encode([0u8; 23])]
        {
            for sort in [Sort::Created, Sort::Due] {
                assert_eq!(decode_cursor(garbage, sort).unwrap_err().field, "cursor", "{garbage:?}");
            }
        }
    }

    #[test]
    fn q_must_be_1_to_200_characters_without_nul() {
        let query = |q: &str| ListQuery { q: Some(q.into()), ..ListQuery::default() }.checked_cursor();
        assert!(query("milk").is_ok() && query(&"é".repeat(200)).is_ok());
        for bad in [String::new(), "é".repeat(201), "a\0".into()] {
            assert_eq!(query(&bad).unwrap_err().field_errors()[0].field, "q", "{bad:?}");
        }
    }
}
