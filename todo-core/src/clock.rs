//! The current time at the precision both databases store, and the Unix milliseconds every instant that SQL
//! compares is kept in (see the migrations).

use std::time::Duration;

use time::OffsetDateTime;

use crate::error::{Error, Result};

/// Now, in UTC, truncated to whole microseconds: PostgreSQL keeps microseconds, so a value read back equals the
/// value written on every backend.
pub(crate) fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
}

/// Milliseconds since the Unix epoch: the unit of every instant SQL compares (see the migration).
pub(crate) fn unix_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// The instant `ms` milliseconds after the Unix epoch (a stored `*_ms` column read back).
pub(crate) fn from_unix_ms(ms: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).map_err(Error::internal)
}

/// A duration in whole milliseconds, to add to a Unix-milliseconds instant (saturating at `i64::MAX`).
pub(crate) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_milliseconds_round_trip_at_millisecond_precision() {
        let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("valid") + time::Duration::milliseconds(7);
        assert_eq!(unix_ms(at), 1_800_000_000_007);
        assert_eq!(from_unix_ms(unix_ms(at)).expect("in range"), at);
    }
}
