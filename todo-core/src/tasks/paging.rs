//! Listing tasks a page at a time: the query, the page, and the opaque cursor that says where the next page starts.

use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use uuid::Uuid;

use super::task::Task;
use crate::error::{Error, FieldError, Result};
use crate::ids::TaskId;

/// Page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: u32 = 100;

/// Which page of which tasks to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Only completed (`Some(true)`) or open (`Some(false)`) tasks; all when `None`.
    pub completed: Option<bool>,
    /// Page size, 1 to 100.
    pub limit: u32,
    /// The `next_cursor` of the previous page; `None` for the first page.
    pub cursor: Option<String>,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self { completed: None, limit: DEFAULT_PAGE_SIZE, cursor: None }
    }
}

impl ListQuery {
    /// Checks the limit and the cursor, reporting both in one [`Error::Validation`], and gives the id the page
    /// starts below (`None` for the first page).
    pub(crate) fn checked_cursor(&self) -> Result<Option<Uuid>> {
        let mut errors = Vec::new();
        if !(1..=MAX_PAGE_SIZE).contains(&self.limit) {
            errors.push(FieldError::new("limit", format!("must be from 1 to {MAX_PAGE_SIZE}")));
        }
        let cursor = match self.cursor.as_deref().map(decode_cursor).transpose() {
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

/// One page of tasks, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The tasks on this page.
    pub items: Vec<Task>,
    /// Pass this back as [`ListQuery::cursor`] for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Cursors are the last id's 16 bytes in unpadded base64url: always 22 characters of `[A-Za-z0-9_-]`.
/// Decoding ignores the 4 spare bits of the last character, so every string of that shape is a position.
const CURSOR: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// The cursor of the page that starts below `last`.
pub(crate) fn encode_cursor(last: TaskId) -> String {
    CURSOR.encode(last.as_uuid().as_bytes())
}

/// The id a cursor of [`encode_cursor`] holds.
fn decode_cursor(cursor: &str) -> Result<Uuid, FieldError> {
    CURSOR
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| FieldError::new("cursor", "is not a cursor from a previous page"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_22_character_base64url_string_is_a_cursor() {
        for cursor in ["AAAAAAAAAAAAAAAAAAAAAA", "__________________________"[..22].as_ref(), "Zz9-_0aA1bB2cC3dD4eE5f"]
        {
            assert!(decode_cursor(cursor).is_ok(), "{cursor}");
        }
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_a_cursor_error() {
        let id = TaskId::from_uuid(Uuid::now_v7());
        assert_eq!(decode_cursor(&encode_cursor(id)), Ok(id.as_uuid()));
        for garbage in ["", "abc", "!!!!", &CURSOR.encode([0u8; 15]), &CURSOR.encode([0u8; 17])] {
            assert_eq!(decode_cursor(garbage).unwrap_err().field, "cursor", "{garbage:?}");
        }
    }
}
