//! Re-login hints at the prompt: one line per session at most once an hour, remembered in the
//! state directory so that every shell of the user shares the memory.

use crate::text::timefmt;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How long a printed hint keeps the same one quiet.
pub const EVERY: chrono::Duration = chrono::Duration::hours(1);

#[derive(Debug, Serialize, Deserialize)]
struct Memo {
    /// When the hint was printed.
    at: String,
    /// The login it was about (`watch::login_id`): a new login's problem is news at once.
    login: String,
}

/// `hints/<key>.json` in the state directory; `key` is a cache key, or `config`.
pub fn path(state_dir: &Path, key: &str) -> PathBuf {
    state_dir.join("hints").join(format!("{key}.json"))
}

/// Whether a hint about `login` may be printed now.
pub fn due(path: &Path, login: &str, now: DateTime<Utc>) -> bool {
    next(path, login, now) <= now
}

/// When a hint about `login` may be printed next (`now` if it may be now).
pub fn next(path: &Path, login: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    let memo: Option<Memo> = crate::sys::fs::load_json(path);
    match memo {
        Some(m) if m.login == login => match timefmt::parse(&m.at) {
            // A clock set back must not silence hints for good.
            Some(at) if at <= now + chrono::Duration::minutes(5) => (at + EVERY).max(now),
            _ => now,
        },
        _ => now,
    }
}

/// Remembers that the hint was printed. Best effort: at worst the hint comes again.
pub fn record(path: &Path, login: &str, now: DateTime<Utc>) {
    let memo = Memo { at: timefmt::format(now), login: login.to_string() };
    if let Err(e) = crate::sys::fs::save_json(path, &memo) {
        log::debug!("cannot save {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_an_hour_per_login() {
        let dir = tempfile::tempdir().unwrap();
        let p = path(dir.path(), "k");
        let now = Utc::now();
        assert!(due(&p, "a", now));
        record(&p, "a", now);
        assert!(!due(&p, "a", now + chrono::Duration::minutes(59)));
        assert!(due(&p, "a", now + chrono::Duration::minutes(61)));
        assert!(due(&p, "b", now), "a new login gets its own hint");
        assert!(due(&p, "a", now - chrono::Duration::hours(2)), "clock set back");
        assert_eq!(
            next(&p, "a", now + chrono::Duration::minutes(10)),
            timefmt::parse(&timefmt::format(now)).unwrap() + EVERY
        );
        std::fs::write(&p, b"garbage").unwrap();
        assert!(due(&p, "a", now));
    }
}
