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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_forward_from_its_start() {
        let start = DateTime::parse_from_rfc3339("2026-01-15T12:00:00Z").unwrap().with_timezone(&Utc);
        let clock = Clock::starting_at(start);
        let (a, b) = (clock.now(), clock.now());
        assert!(start <= a && a <= b && b - start < TimeDelta::seconds(5));
    }
}
