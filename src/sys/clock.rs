//! The time an invocation runs at: read once when it starts (or pinned by a test), then moved
//! forward by the monotonic clock, so every decision and every line of output agrees on what
//! "now" is, and a request's timing stays right however long it takes.

use chrono::{DateTime, TimeDelta, Utc};
use std::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: DateTime<Utc>,
    started: Instant,
}

impl Clock {
    /// Starts at `start`: the wall clock, or the time a test pinned.
    pub fn starting_at(start: DateTime<Utc>) -> Clock {
        Clock { start, started: Instant::now() }
    }

    pub fn now(&self) -> DateTime<Utc> {
        // Elapsed time cannot overflow a TimeDelta in any real run; if it did, time stands still.
        TimeDelta::from_std(self.started.elapsed())
            .ok()
            .and_then(|d| self.start.checked_add_signed(d))
            .unwrap_or(self.start)
    }
}

/// Clocks further apart than this disagree: the warning, the activity log and `doctor` say so.
/// Within it (AWS accepts signed requests 5 minutes off too), the difference is noise.
pub const SKEW_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// How far the local clock is ahead of a server's (negative: behind), judged by the server's
/// `Date` header against the local times the request left and its answer arrived. `Date` has
/// whole seconds and was stamped in between, so anything within that is no skew at all.
pub fn skew(sent: DateTime<Utc>, received: DateTime<Utc>, server: DateTime<Utc>) -> TimeDelta {
    let ahead = sent - (server + TimeDelta::seconds(1));
    let behind = server - received;
    if ahead > TimeDelta::zero() {
        ahead
    } else if behind > TimeDelta::zero() {
        -behind
    } else {
        TimeDelta::zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_is_what_the_date_header_cannot_explain() {
        let t = DateTime::parse_from_rfc3339("2026-01-15T12:00:00Z").unwrap().with_timezone(&Utc);
        let s = TimeDelta::seconds;
        // In agreement: the server stamped its second between send and receive.
        assert_eq!(skew(t, t + s(2), t + s(1)), s(0));
        assert_eq!(skew(t + TimeDelta::milliseconds(900), t + s(1), t), s(0), "Date has whole seconds");
        // The local clock 30 days ahead, then 2 hours behind.
        assert_eq!(skew(t + TimeDelta::days(30), t + TimeDelta::days(30) + s(1), t), TimeDelta::days(30) - s(1));
        assert_eq!(skew(t, t + s(1), t + TimeDelta::hours(2)), -(TimeDelta::hours(2) - s(1)));
    }

    #[test]
    fn moves_forward_from_its_start() {
        let start = DateTime::parse_from_rfc3339("2026-01-15T12:00:00Z").unwrap().with_timezone(&Utc);
        let clock = Clock::starting_at(start);
        let (a, b) = (clock.now(), clock.now());
        assert!(start <= a && a <= b && b - start < TimeDelta::seconds(5));
    }
}
