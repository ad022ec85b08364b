//! The current time, at the precision both databases store.

use time::OffsetDateTime;

/// Now, in UTC, truncated to whole microseconds: PostgreSQL keeps microseconds, so a value read back equals the
/// value written on every backend.
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
}
