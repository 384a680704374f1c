//! What ssofresh remembers about a session between runs: the refresh token that was rejected
//! (by fingerprint, never the token), the back-off after transient failures, the last refresh,
//! the current login and how long past sessions lasted (`horizon`).

use crate::text::timefmt;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SessionState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Set when the endpoint rejected a refresh token: no process sends that token again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected: Option<Rejected>,
    /// Automatic callers (the prompt hook) make no request before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_until: Option<String>,
    /// Transient failures in a row, for the back-off's growth.
    #[serde(default)]
    pub failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<LastRefresh>,
    /// Fingerprint of the login ssofresh last saw (its refresh token, else its access token):
    /// a different one in the cache means a new interactive login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_login: Option<String>,
    /// When that login was written to the cache, as far as ssofresh can tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_at: Option<String>,
    /// How `login_at` is known: `ssofresh_login`, `cache_file_time` or `first_seen`
    /// (`horizon::LoginBasis`); absent in states written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_at_basis: Option<String>,
    /// The access token's `expiresAt` when ssofresh last looked, as the cache had it: how much
    /// time the old token had left when the refresh token changed tells another client's
    /// refresh from a new login (`horizon::judge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_expires_at: Option<String>,
    /// The last time this login's session was seen alive: a refresh that went through
    /// (ssofresh's, or another client's by the cache file's time). A lower bound on its length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alive_at: Option<String>,
    /// How long the last few sessions lasted, oldest first, at most `horizon::KEPT`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observed: Vec<Observed>,
    /// How this machine's clock compared with the SSO endpoint's at the last refresh whose
    /// answer carried a `Date` (`doctor` reports it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew: Option<ClockSkew>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClockSkew {
    /// Seconds the local clock was ahead of the endpoint's; negative when behind.
    pub ahead_secs: i64,
    /// When, by the local clock.
    pub at: String,
}

/// One past session: from its login to the rejection of its refresh token. Times only.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Observed {
    pub login_at: String,
    /// Seconds from the login to the rejection: the session had ended by then.
    pub ended_secs: i64,
    /// Seconds from the login to the last time the session was seen alive, when known: it
    /// lasted at least this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alive_secs: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Rejected {
    pub refresh_token_fingerprint: String,
    pub error: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LastRefresh {
    pub at: String,
    /// `ok`, `transient` or `relogin`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The failure in words (`cannot connect to …`), for `status`; never holds a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

pub fn state_path(state_dir: &Path, cache_key: &str) -> PathBuf {
    state_dir.join("sessions").join(format!("{cache_key}.json"))
}

impl SessionState {
    /// A missing or unreadable state file is a fresh start: it only ever saves requests.
    pub fn load(path: &Path) -> SessionState {
        crate::sys::fs::load_json(path)
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        crate::sys::fs::save_json(path, self)
    }

    pub fn is_rejected(&self, fingerprint: &str) -> Option<&Rejected> {
        self.rejected.as_ref().filter(|r| r.refresh_token_fingerprint == fingerprint)
    }

    pub fn backoff_until(&self) -> Option<DateTime<Utc>> {
        self.backoff_until.as_deref().and_then(timefmt::parse)
    }

    /// 1, 2, 4 … minutes after each failure in a row, at most 15. `error` is the failure's
    /// class (`connect`), `message` its words.
    pub fn record_transient(&mut self, now: DateTime<Utc>, error: String, message: Option<String>) {
        self.failures = self.failures.saturating_add(1);
        let minutes = 1u64 << self.failures.saturating_sub(1).min(4);
        let wait = Duration::from_secs(60 * minutes.min(15));
        self.backoff_until = Some(timefmt::format(now + chrono::Duration::from_std(wait).unwrap_or_default()));
        self.last_refresh = Some(LastRefresh {
            at: timefmt::format(now),
            outcome: "transient".into(),
            error: Some(error),
            message,
            expires_at: None,
        });
    }

    /// A new login: forget what the old one left (the rejected token, the back-off, the last
    /// refresh and its error: they were about another login), remember the login, when it
    /// happened and how that is known (`basis`), and the token it left (`expires_at`).
    pub fn record_login(&mut self, fingerprint: String, at: DateTime<Utc>, basis: &str, expires_at: &str) {
        self.failures = 0;
        self.backoff_until = None;
        self.rejected = None;
        self.last_refresh = None;
        self.seen_login = Some(fingerprint);
        self.login_at = Some(timefmt::format(at));
        self.login_at_basis = Some(basis.to_string());
        self.seen_expires_at = Some(expires_at.to_string());
        self.alive_at = Some(timefmt::format(at));
    }

    /// Signed out: the login is over. Whatever the cache holds next is a new login, however
    /// soon it comes (`horizon::judge` would otherwise take a quick one for another client's
    /// refresh). The lengths of past sessions stay.
    pub fn record_logout(&mut self) {
        self.seen_login = None;
        self.login_at = None;
        self.login_at_basis = None;
        self.seen_expires_at = None;
        self.alive_at = None;
        self.rejected = None;
        self.last_refresh = None;
        self.failures = 0;
        self.backoff_until = None;
    }

    /// Another client refreshed the token (`fingerprint`: a rotated refresh token, or the same
    /// one) at `at`: the same session, still alive then. The login time stays.
    pub fn record_refreshed_elsewhere(&mut self, fingerprint: String, at: DateTime<Utc>, expires_at: &str) {
        self.seen_login = Some(fingerprint);
        self.seen_expires_at = Some(expires_at.to_string());
        self.alive_at = Some(timefmt::format(at));
    }

    /// The session's refresh token was rejected at `now` because the session ended: one more
    /// observed length, when the login time is known well enough to measure from (not merely
    /// when ssofresh first saw it) and the length is one a session can have (at least
    /// `shortest`: anything less was a sign-out or a revocation). Once per login.
    pub fn record_session_end(&mut self, now: DateTime<Utc>, kept: usize, shortest: chrono::TimeDelta) {
        let Some(login) = self.login_at.as_deref().and_then(timefmt::parse) else { return };
        if self.login_at_basis.as_deref() == Some("first_seen") || now - login < shortest {
            return;
        }
        let login_at = timefmt::format(login);
        if self.observed.last().is_some_and(|o| o.login_at == login_at) {
            return;
        }
        let alive_secs = self
            .alive_at
            .as_deref()
            .and_then(timefmt::parse)
            .filter(|a| *a > login && *a < now)
            .map(|a| (a - login).num_seconds());
        self.observed.push(Observed { login_at, ended_secs: (now - login).num_seconds(), alive_secs });
        let extra = self.observed.len().saturating_sub(kept);
        self.observed.drain(..extra);
    }

    /// A refresh went through but its token could not be written to the cache and waits for
    /// the next run (`engine::pending`): the session was alive, and no back-off, since the next
    /// run needs no request.
    pub fn record_kept(&mut self, now: DateTime<Utc>, error: String, message: String) {
        self.alive_at = Some(timefmt::format(now));
        self.last_refresh = Some(LastRefresh {
            at: timefmt::format(now),
            outcome: "transient".into(),
            error: Some(error),
            message: Some(message),
            expires_at: None,
        });
    }

    pub fn record_success(&mut self, now: DateTime<Utc>, expires_at: &str) {
        self.failures = 0;
        self.backoff_until = None;
        self.rejected = None;
        self.seen_expires_at = Some(expires_at.to_string());
        self.alive_at = Some(timefmt::format(now));
        self.last_refresh = Some(LastRefresh {
            at: timefmt::format(now),
            outcome: "ok".into(),
            error: None,
            message: None,
            expires_at: Some(expires_at.to_string()),
        });
    }

    pub fn record_skew(&mut self, now: DateTime<Utc>, skew: chrono::TimeDelta) {
        self.clock_skew = Some(ClockSkew { ahead_secs: skew.num_seconds(), at: timefmt::format(now) });
    }

    /// The endpoint's time, for deciding whether the cached token is due. A local clock far
    /// ahead made the last refresh count `expiresAt` from the endpoint's clock; by the local
    /// clock that token looks expired at once, and every run would refresh it again. So while
    /// the cache holds exactly that token and the clock has not been set back since, "now" is
    /// the local time less the skew measured then. Otherwise it is the local time.
    pub fn endpoint_now(&self, expires_at: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        let (Some(skew), Some(last)) = (&self.clock_skew, &self.last_refresh) else { return now };
        let ahead = chrono::TimeDelta::seconds(skew.ahead_secs);
        let measured = timefmt::parse(&skew.at);
        if ahead <= crate::sys::clock::SKEW_MARGIN
            || last.outcome != "ok"
            || last.expires_at.as_deref() != Some(expires_at)
            || measured.is_none_or(|at| now < at)
        {
            return now;
        }
        now - ahead
    }

    pub fn record_rejected(&mut self, now: DateTime<Utc>, fingerprint: String, error: String) {
        self.failures = 0;
        self.backoff_until = None;
        self.rejected =
            Some(Rejected { refresh_token_fingerprint: fingerprint, error: error.clone(), at: timefmt::format(now) });
        self.last_refresh = Some(LastRefresh {
            at: timefmt::format(now),
            outcome: "relogin".into(),
            error: Some(error),
            message: None,
            expires_at: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        // Stored times have whole seconds.
        let now = timefmt::parse(&timefmt::format(Utc::now())).unwrap();
        let mut s = SessionState::default();
        let mut waits = vec![];
        for _ in 0..7 {
            s.record_transient(now, "x".into(), None);
            waits.push((s.backoff_until().unwrap() - now).num_minutes());
        }
        assert_eq!(waits, [1, 2, 4, 8, 15, 15, 15]);
        s.record_success(now, "2026-01-01T00:00:00Z");
        assert_eq!((s.failures, s.backoff_until), (0, None));
    }

    #[test]
    fn a_new_login_forgets_what_the_old_one_left() {
        let now = Utc::now();
        let mut s = SessionState::default();
        s.record_transient(now, "connect".into(), Some("cannot connect".into()));
        s.record_rejected(now, "fp".into(), "invalid_grant".into());
        s.record_login("fp2".into(), now, "ssofresh_login", "2026-01-01T00:00:00Z");
        assert_eq!((s.rejected, s.last_refresh, s.backoff_until, s.failures), (None, None, None, 0));
        assert_eq!(s.seen_login.as_deref(), Some("fp2"));
    }

    #[test]
    fn a_token_written_under_a_clock_far_ahead_is_judged_by_the_endpoints_time() {
        let at = |s: &str| timefmt::parse(s).unwrap();
        let mut s = SessionState::default();
        let local = at("2026-02-14T12:00:00Z");
        s.record_success(local, "2026-01-15T13:00:00Z");
        s.record_skew(local, chrono::TimeDelta::days(30));
        let later = local + chrono::TimeDelta::minutes(10);
        assert_eq!(s.endpoint_now("2026-01-15T13:00:00Z", later), at("2026-01-15T12:10:00Z"));
        // Another token in the cache (a login, another tool's refresh): the local clock.
        assert_eq!(s.endpoint_now("2026-01-15T14:00:00Z", later), later);
        // The clock was set back since (fixed): the local clock.
        let fixed = at("2026-01-15T12:30:00Z");
        assert_eq!(s.endpoint_now("2026-01-15T13:00:00Z", fixed), fixed);
        // Behind, or within the margin: the local clock, which counted the token itself.
        s.record_skew(local, chrono::TimeDelta::days(-30));
        assert_eq!(s.endpoint_now("2026-01-15T13:00:00Z", later), later);
        s.record_skew(local, chrono::TimeDelta::minutes(4));
        assert_eq!(s.endpoint_now("2026-01-15T13:00:00Z", later), later);
    }

    #[test]
    fn round_trips_and_tolerates_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let p = state_path(dir.path(), "k");
        let mut s = SessionState::default();
        s.record_rejected(Utc::now(), "fp".into(), "invalid_grant".into());
        s.save(&p).unwrap();
        assert_eq!(SessionState::load(&p), s);
        assert!(SessionState::load(&p).is_rejected("fp").is_some());
        std::fs::write(&p, b"{garbage").unwrap();
        assert_eq!(SessionState::load(&p), SessionState::default());
    }
}
