//! No nagging: which notifications a session already had, shared by every ssofresh process.
//!
//! Its own file and lock (`notify/<key>.json`, `notify/<key>.lock`), not the session state: the
//! engine rewrites that file after a request that can take many seconds, under the session
//! lock, and would overwrite a claim made meanwhile; and waiting for that lock here would let a
//! slow refresh elsewhere hold up this tick. This lock is only ever held for a read and a write.

use super::event::{Event, Kind};
use crate::text::timefmt;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The longest wait for another process's claim (a read and a write of a tiny file).
const LOCK_WAIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Memo {
    /// When each kind of event was last sent.
    #[serde(default)]
    pub sent: BTreeMap<String, String>,
    /// Fingerprint of the refresh token (else access token) whose `relogin_required` was sent:
    /// once per rejected token, not once per interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relogin_sent_for: Option<String>,
    /// The login (`Horizon::login_id`: its time, which other clients' refreshes keep) whose
    /// `session_ending` was sent: once per login, however many processes see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_ending_sent_for: Option<String>,
    /// Fingerprint of the login these records were made under. A new login resets the memo
    /// once: other processes that noticed the same login must not reset it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
}

pub fn memo_path(state_dir: &Path, cache_key: &str) -> PathBuf {
    state_dir.join("notify").join(format!("{cache_key}.json"))
}

fn lock_path(state_dir: &Path, cache_key: &str) -> PathBuf {
    state_dir.join("notify").join(format!("{cache_key}.lock"))
}

impl Memo {
    /// Whether `kind` may be sent now, recording it if so. `login` is the fingerprint of the
    /// login in the cache.
    #[cfg(test)]
    pub fn admit(&mut self, kind: Kind, login: Option<&str>, now: DateTime<Utc>, interval: Duration) -> bool {
        self.admit_for(kind, login, None, now, interval)
    }

    /// `admit`, with the login's time for `session_ending` (once per login, not per interval).
    pub fn admit_for(
        &mut self,
        kind: Kind,
        login: Option<&str>,
        session_login: Option<&str>,
        now: DateTime<Utc>,
        interval: Duration,
    ) -> bool {
        if let (Kind::SessionEnding, Some(id)) = (kind, session_login) {
            if self.session_ending_sent_for.as_deref() == Some(id) {
                return false;
            }
            self.session_ending_sent_for = Some(id.to_string());
            self.sent.insert(kind.as_str().into(), timefmt::format(now));
            return true;
        }
        if kind == Kind::ReloginRequired {
            if let Some(l) = login {
                if self.relogin_sent_for.as_deref() == Some(l) {
                    return false;
                }
                self.relogin_sent_for = Some(l.to_string());
                self.sent.insert(kind.as_str().into(), timefmt::format(now));
                return true;
            }
        }
        let interval = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::MAX);
        let last = self.sent.get(kind.as_str()).and_then(|t| timefmt::parse(t));
        // A time in the future (clock set back) does not silence a session for good.
        if let Some(last) = last.filter(|l| *l <= now) {
            if now - last < interval {
                return false;
            }
        }
        self.sent.insert(kind.as_str().into(), timefmt::format(now));
        true
    }
}

/// What a claim is about.
pub struct Claim<'a> {
    /// Fingerprint of the login in the cache (refresh token, else access token).
    pub login: Option<&'a str>,
    /// A new interactive login (not ssofresh's own rotation of the refresh token): start afresh.
    pub new_login: bool,
    /// The login's time (`Horizon::login_id`), which `session_ending` is sent once for.
    pub session_login: Option<&'a str>,
    pub interval: Duration,
    pub now: DateTime<Utc>,
}

/// Keeps the events this session has not had lately and records them as sent, all under the
/// lock, so of many processes seeing the same event exactly one sends it. The claim comes before
/// the delivery: a backend that is down is not retried at every tick either. When the memo
/// cannot be locked or saved, nothing is sent — better one notification lost than one per tick.
pub fn claim(state_dir: &Path, cache_key: &str, events: Vec<Event>, c: &Claim) -> Vec<Event> {
    let lock = match crate::sys::lock::acquire(&lock_path(state_dir, cache_key), LOCK_WAIT) {
        Ok(Some(l)) => l,
        Ok(None) => {
            log::debug!("notification memo for {cache_key} stayed locked; another process is notifying");
            return Vec::new();
        }
        Err(e) => {
            log::debug!("cannot lock the notification memo in {}: {e}", state_dir.display());
            return Vec::new();
        }
    };
    let path = memo_path(state_dir, cache_key);
    let before: Memo = crate::sys::fs::load_json(&path);
    let mut memo = if c.new_login && before.login.as_deref() != c.login { Memo::default() } else { before.clone() };
    memo.login = c.login.map(str::to_string);
    let admitted: Vec<Event> =
        events.into_iter().filter(|e| memo.admit_for(e.kind, c.login, c.session_login, c.now, c.interval)).collect();
    if memo != before {
        if let Err(e) = crate::sys::fs::save_json(&path, &memo) {
            log::debug!("cannot save {}: {e}; not notifying", path.display());
            return Vec::new();
        }
    }
    drop(lock);
    admitted
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn at(minutes: i64) -> DateTime<Utc> {
        timefmt::parse("2026-01-01T00:00:00Z").unwrap() + chrono::Duration::minutes(minutes)
    }

    #[test]
    fn once_per_interval_per_kind() {
        let mut m = Memo::default();
        assert!(m.admit(Kind::ExpiringSoon, Some("a"), at(0), HOUR));
        assert!(!m.admit(Kind::ExpiringSoon, Some("a"), at(59), HOUR));
        assert!(m.admit(Kind::RefreshFailed, Some("a"), at(59), HOUR), "another kind has its own clock");
        assert!(m.admit(Kind::ExpiringSoon, Some("a"), at(60), HOUR));
        assert!(m.admit(Kind::ExpiringSoon, Some("a"), at(61), Duration::ZERO), "interval 0 sends every time");
    }

    #[test]
    fn relogin_once_per_rejected_token() {
        let mut m = Memo::default();
        assert!(m.admit(Kind::ReloginRequired, Some("a"), at(0), HOUR));
        assert!(!m.admit(Kind::ReloginRequired, Some("a"), at(600), HOUR), "not again, however long");
        assert!(m.admit(Kind::ReloginRequired, Some("b"), at(601), HOUR), "another token, another rejection");
        let mut m = Memo::default();
        assert!(m.admit(Kind::ReloginRequired, None, at(0), HOUR), "unknown token: once per interval");
        assert!(!m.admit(Kind::ReloginRequired, None, at(59), HOUR));
        assert!(m.admit(Kind::ReloginRequired, None, at(60), HOUR));
    }

    #[test]
    fn session_ending_once_per_login_however_the_refresh_token_rotates() {
        let mut m = Memo::default();
        let login = Some("2026-01-01T08:00:00Z");
        assert!(m.admit_for(Kind::SessionEnding, Some("a"), login, at(0), HOUR));
        assert!(!m.admit_for(Kind::SessionEnding, Some("b"), login, at(600), HOUR), "a rotated token: same login");
        assert!(m.admit_for(Kind::SessionEnding, Some("c"), Some("2026-01-01T16:10:00Z"), at(601), HOUR));
    }

    #[test]
    fn a_clock_set_back_does_not_silence_forever() {
        let mut m = Memo::default();
        assert!(m.admit(Kind::RefreshFailed, None, at(600), HOUR));
        assert!(m.admit(Kind::RefreshFailed, None, at(0), HOUR));
        assert!(!m.admit(Kind::RefreshFailed, None, at(1), HOUR));
    }

    fn when(minutes: i64) -> Claim<'static> {
        Claim { login: Some("a"), new_login: false, session_login: None, interval: HOUR, now: at(minutes) }
    }

    #[test]
    fn claims_are_shared_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = Event::sample(Kind::ExpiringSoon, "corp", "command", at(0));
        let first = claim(dir.path(), "k", vec![e.clone()], &when(0));
        assert_eq!(first.len(), 1);
        assert!(claim(dir.path(), "k", vec![e.clone()], &when(1)).is_empty());
        assert_eq!(claim(dir.path(), "other", vec![e.clone()], &when(1)).len(), 1, "per session");
        let fresh = Claim { new_login: true, login: Some("b"), ..when(2) };
        assert_eq!(claim(dir.path(), "k", vec![e.clone()], &fresh).len(), 1, "a new login starts afresh");
        assert_eq!(
            claim(dir.path(), "k", vec![e], &fresh).len(),
            0,
            "and only once, however many processes noticed it"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(memo_path(dir.path(), "k")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(memo_path(dir.path(), "k"), b"{garbage").unwrap();
        let e = Event::sample(Kind::ExpiringSoon, "corp", "command", at(3));
        assert_eq!(claim(dir.path(), "k", vec![e], &when(3)).len(), 1, "a corrupt memo is a fresh start");
    }
}
