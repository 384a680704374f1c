//! Re-login hints at the prompt, remembered in the state directory. A shell that says who it is
//! (the hooks `init` prints pass `--shell-id`) hears each hint once — once per login and problem,
//! and once more when the token expires — however many other shells have heard it. A caller that
//! does not (a hook loaded before shells had ids) shares one memo with every other such caller:
//! one line per session at most once an hour.

use crate::text::timefmt;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How long a printed hint keeps the same one quiet for callers without a shell id.
pub const EVERY: chrono::Duration = chrono::Duration::hours(1);

/// A shell's memos are removed this long after they were last written, when a new one is: a
/// shell closed long ago leaves nothing behind for good (one still open hears the hint again).
const SHELL_MEMO_KEPT: chrono::Duration = chrono::Duration::days(7);

/// Who a hint is remembered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Every caller without a shell id: at most once an hour.
    Shared,
    /// One shell: once per login (and once more at expiry).
    Shell(&'a str),
}

impl<'a> Scope<'a> {
    /// The scope for `--shell-id`: a shell's own when the id is a plain word (it becomes part of
    /// a file name), else the shared one.
    pub fn of(shell_id: Option<&'a str>) -> Scope<'a> {
        match shell_id {
            Some(id)
                if !id.is_empty()
                    && id.len() <= 64
                    && !id.starts_with('.')
                    && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) =>
            {
                Scope::Shell(id)
            }
            _ => Scope::Shared,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Memo {
    /// When the hint was printed.
    at: String,
    /// The login it was about (`watch::login_id`): a new login's problem is news at once.
    login: String,
    /// Whether the token had expired when it was printed: expiry makes it news once more.
    #[serde(default)]
    expired: bool,
}

/// The memo's file: `hints/<key>.json` for the shared scope, `hints/shells/<id>.<key>.json` for
/// a shell; `key` is a cache key, or `config`.
pub fn path(state_dir: &Path, key: &str, scope: Scope<'_>) -> PathBuf {
    match scope {
        Scope::Shared => state_dir.join("hints").join(format!("{key}.json")),
        Scope::Shell(id) => state_dir.join("hints").join("shells").join(format!("{id}.{key}.json")),
    }
}

/// Whether a hint about `login` may be printed now.
pub fn due(path: &Path, scope: Scope<'_>, login: &str, expires: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    next(path, scope, login, expires, now) <= now
}

/// When a hint about `login` (whose token expires at `expires`) may be printed next (`now` if
/// it may be now).
pub fn next(
    path: &Path,
    scope: Scope<'_>,
    login: &str,
    expires: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let memo: Option<Memo> = crate::sys::fs::load_json(path);
    let Some(m) = memo.filter(|m| m.login == login) else { return now };
    match scope {
        Scope::Shared => match timefmt::parse(&m.at) {
            // A clock set back must not silence hints for good.
            Some(at) if at <= now + chrono::Duration::minutes(5) => (at + EVERY).max(now),
            _ => now,
        },
        Scope::Shell(_) => match expires {
            _ if m.expired => now + chrono::Duration::days(365),
            Some(e) if e <= now => now,
            Some(e) => e,
            None => now + chrono::Duration::days(365),
        },
    }
}

/// When a hint printed now may be printed again (what `next` will say once it is recorded).
pub fn after_printing(scope: Scope<'_>, expires: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    match (scope, expires) {
        (Scope::Shared, _) => now + EVERY,
        (Scope::Shell(_), Some(e)) if e > now => e,
        (Scope::Shell(_), _) => now + chrono::Duration::days(365),
    }
}

/// Remembers that the hint was printed. Best effort: at worst the hint comes again.
pub fn record(path: &Path, scope: Scope<'_>, login: &str, expires: Option<DateTime<Utc>>, now: DateTime<Utc>) {
    let memo = Memo { at: timefmt::format(now), login: login.to_string(), expired: expires.is_some_and(|e| e <= now) };
    if let Err(e) = crate::sys::fs::save_json(path, &memo) {
        log::debug!("cannot save {}: {e}", path.display());
    }
    if let (Scope::Shell(_), Some(dir)) = (scope, path.parent()) {
        prune(dir);
    }
}

/// Removes the memos of shells not heard from for `SHELL_MEMO_KEPT`.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let Some(cutoff) = SHELL_MEMO_KEPT.to_std().ok().and_then(|d| std::time::SystemTime::now().checked_sub(d)) else {
        return;
    };
    for e in entries.flatten() {
        let old = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < cutoff);
        if old && e.file_name().to_string_lossy().ends_with(".json") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_hints_once_an_hour_per_login() {
        let dir = tempfile::tempdir().unwrap();
        let s = Scope::Shared;
        let p = path(dir.path(), "k", s);
        let now = Utc::now();
        assert!(due(&p, s, "a", None, now));
        record(&p, s, "a", None, now);
        assert!(!due(&p, s, "a", None, now + chrono::Duration::minutes(59)));
        assert!(due(&p, s, "a", None, now + chrono::Duration::minutes(61)));
        assert!(due(&p, s, "b", None, now), "a new login gets its own hint");
        assert!(due(&p, s, "a", None, now - chrono::Duration::hours(2)), "clock set back");
        assert_eq!(
            next(&p, s, "a", None, now + chrono::Duration::minutes(10)),
            timefmt::parse(&timefmt::format(now)).unwrap() + EVERY
        );
        std::fs::write(&p, b"garbage").unwrap();
        assert!(due(&p, s, "a", None, now));
    }

    #[test]
    fn a_shell_hears_a_hint_once_and_again_at_expiry() {
        let dir = tempfile::tempdir().unwrap();
        let now = timefmt::parse(&timefmt::format(Utc::now())).unwrap();
        let (one, two) = (Scope::Shell("101.7.9"), Scope::Shell("202.3.4"));
        let (p1, p2) = (path(dir.path(), "k", one), path(dir.path(), "k", two));
        let at = now + chrono::Duration::minutes(10);
        let expires = Some(at);
        assert!(due(&p1, one, "a", expires, now));
        record(&p1, one, "a", expires, now);
        assert!(!due(&p1, one, "a", expires, now + chrono::Duration::minutes(9)), "once per shell");
        assert_eq!(next(&p1, one, "a", expires, now), at, "next at expiry");
        assert_eq!(after_printing(one, expires, now), at);
        assert!(due(&p2, two, "a", expires, now), "another shell has not heard it");
        assert!(due(&p1, one, "b", expires, now), "a new login is news");
        let later = now + chrono::Duration::minutes(11);
        assert!(due(&p1, one, "a", expires, later), "expiry is news once more");
        record(&p1, one, "a", expires, later);
        assert!(!due(&p1, one, "a", expires, later + chrono::Duration::days(2)), "and then no more");
        // Without an expiry (not logged in, a config problem): once.
        let p = path(dir.path(), "config", one);
        record(&p, one, "msg", None, now);
        assert!(!due(&p, one, "msg", None, now + chrono::Duration::days(2)));
    }

    #[test]
    fn shell_ids_that_are_not_plain_words_share_the_memo() {
        assert_eq!(Scope::of(Some("1234.5.6")), Scope::Shell("1234.5.6"));
        for bad in [None, Some(""), Some("../x"), Some("a/b"), Some(".hidden"), Some("x y")] {
            assert_eq!(Scope::of(bad), Scope::Shared, "{bad:?}");
        }
        assert_eq!(Scope::of(Some(&"9".repeat(65))), Scope::Shared);
    }
}
