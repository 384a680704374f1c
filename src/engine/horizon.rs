//! When the Identity Center session ends. No AWS API says (the refresh token simply stops
//! working), so ssofresh estimates it: the login time, as exact as the files allow, plus the
//! session's length — the one the user states (`configured`), else the one past sessions showed
//! (`learned`), else AWS's default of 8 hours (`assumed`). A token that cannot be refreshed
//! (legacy profile, no refresh token) ends with its own expiry (`token`).
//!
//! It also tells a new login from another client's refresh. Both put a new refresh token in the
//! cache, and no field tells them apart (the AWS CLI v2 and ssofresh even share the client
//! registration), but timing does: the SDKs refresh only inside their own window before expiry
//! (botocore 15 minutes, the JS and Rust SDKs 5), which ssofresh keeps tokens out of.

use crate::aws::token_cache::CachedToken;
use crate::engine::state::{Observed, SessionState};
use crate::text::duration::{self, Form};
use crate::text::timefmt;
use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

/// AWS's default session length, for when nothing better is known.
pub const ASSUMED: TimeDelta = TimeDelta::hours(8);

/// The widest window in which an SDK refreshes a token on its own (botocore's 15 minutes).
pub const SDK_WINDOW: TimeDelta = TimeDelta::minutes(15);

/// The shortest session Identity Center allows: a rejection sooner after the login was a
/// sign-out or a revocation, not the session's length.
pub const SHORTEST: TimeDelta = TimeDelta::minutes(15);

/// Past sessions kept per session: enough to ride out one odd one, few enough to follow a
/// changed setting soon.
pub const KEPT: usize = 5;

/// The default warning before the estimated end.
pub const WARN_BEFORE: Duration = Duration::from_secs(30 * 60);

/// A file time this far in the future is a clock problem, not a login time.
const FUTURE_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// What the user stated, and when to warn.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// `--session-duration`: `(None, d)` for every session, `(Some(name), d)` for one; a later
    /// entry wins over an earlier one of the same kind.
    pub durations: Vec<(Option<String>, Duration)>,
    /// Warn this long before the estimated end.
    pub warn_before: Duration,
}

impl Settings {
    /// The duration the user stated for `session`: its own, else the default.
    pub fn configured(&self, session: &str) -> Option<TimeDelta> {
        let own = self.durations.iter().rev().find(|(n, _)| n.as_deref() == Some(session));
        let any = || self.durations.iter().rev().find(|(n, _)| n.is_none());
        own.or_else(any).and_then(|(_, d)| TimeDelta::from_std(*d).ok())
    }

    pub fn warn_before(&self) -> TimeDelta {
        TimeDelta::from_std(self.warn_before).unwrap_or(TimeDelta::MAX)
    }
}

/// Where the session's length comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    Configured,
    Learned,
    Assumed,
    /// The token cannot be refreshed: its own expiry ends the session for every tool.
    Token,
}

impl Basis {
    /// The stable name in `status --json` (`session_ends_basis`).
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Configured => "configured",
            Basis::Learned => "learned",
            Basis::Assumed => "assumed",
            Basis::Token => "token",
        }
    }
}

/// How the login time is known, from the most exact to the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginBasis {
    /// `ssofresh login` wrote the token and noted the time.
    SsofreshLogin,
    /// Another tool's login: the cache file's modification time when ssofresh saw it first.
    CacheFileTime,
    /// When ssofresh first saw it (the file's time was unusable).
    FirstSeen,
}

impl LoginBasis {
    /// The stable name in the state file and `status --json` (`login_at_basis`).
    pub fn as_str(self) -> &'static str {
        match self {
            LoginBasis::SsofreshLogin => "ssofresh_login",
            LoginBasis::CacheFileTime => "cache_file_time",
            LoginBasis::FirstSeen => "first_seen",
        }
    }

    /// States written before the basis was kept had the cache file's time.
    pub fn parse(s: Option<&str>) -> LoginBasis {
        match s {
            Some("ssofresh_login") => LoginBasis::SsofreshLogin,
            Some("first_seen") => LoginBasis::FirstSeen,
            _ => LoginBasis::CacheFileTime,
        }
    }

    /// In words, for `status`.
    pub fn words(self) -> &'static str {
        match self {
            LoginBasis::SsofreshLogin => "by ssofresh login",
            LoginBasis::CacheFileTime => "cache file time",
            LoginBasis::FirstSeen => "when first seen",
        }
    }
}

/// How long sessions last, and why ssofresh thinks so.
#[derive(Debug, Clone, PartialEq)]
pub struct Length {
    pub duration: TimeDelta,
    pub basis: Basis,
    /// Learned: the past sessions the estimate agrees with.
    pub sessions: usize,
    /// Learned: the shortest and longest the sessions can have lasted, given every one used.
    pub range: Option<(TimeDelta, TimeDelta)>,
}

/// The session length for `session`: configured, else learned, else assumed.
pub fn length(settings: &Settings, session: &str, observed: &[Observed]) -> Length {
    if let Some(d) = settings.configured(session) {
        return Length { duration: d, basis: Basis::Configured, sessions: 0, range: None };
    }
    match learned(observed) {
        Some((lo, hi, n)) => Length { duration: hi, basis: Basis::Learned, sessions: n, range: Some((lo, hi)) },
        None => Length { duration: ASSUMED, basis: Basis::Assumed, sessions: 0, range: None },
    }
}

/// What past sessions say: each one ended after it was last seen alive and by the time its
/// refresh token was rejected. Starting from the newest, older ones narrow that range while
/// they agree with it (one that does not — a session an administrator cut short, a setting
/// changed since — is left out). The estimate is the range's upper end: the shortest rejection
/// seen, never a length some session did not reach. Returns (low, high, sessions used).
fn learned(observed: &[Observed]) -> Option<(TimeDelta, TimeDelta, usize)> {
    let mut it = observed.iter().rev().filter(|o| o.ended_secs >= SHORTEST.num_seconds());
    let first = it.next()?;
    let bounds = |o: &Observed| (o.alive_secs.unwrap_or(0).clamp(0, o.ended_secs - 1), o.ended_secs);
    let (mut lo, mut hi) = bounds(first);
    let mut used = 1;
    for o in it.take(KEPT - 1) {
        let (a, b) = bounds(o);
        let (nlo, nhi) = (lo.max(a), hi.min(b));
        if nlo < nhi {
            (lo, hi, used) = (nlo, nhi, used + 1);
        }
    }
    Some((TimeDelta::seconds(lo), TimeDelta::seconds(hi), used))
}

/// The current session's estimated end.
#[derive(Debug, Clone, PartialEq)]
pub struct Horizon {
    pub login_at: DateTime<Utc>,
    pub login_basis: LoginBasis,
    pub ends_at: DateTime<Utc>,
    pub length: Length,
}

impl Horizon {
    /// Inside the warning window before the end (or past the estimate): time to log in again.
    pub fn ending(&self, now: DateTime<Utc>, warn_before: TimeDelta) -> bool {
        self.length.basis != Basis::Token && now >= self.ends_at.checked_sub_signed(warn_before).unwrap_or(self.ends_at)
    }

    /// Identifies the login for once-per-login memos: its time, which another client's refresh
    /// does not change (its refresh token does).
    pub fn login_id(&self) -> String {
        timefmt::format(self.login_at)
    }

    /// `learned from 3 sessions`, `configured: 8h`, `assumed: AWS's default of 8h`.
    pub fn basis_words(&self) -> String {
        let l = &self.length;
        match l.basis {
            Basis::Configured => format!("configured: {}", duration::show(l.duration, Form::Setting)),
            Basis::Learned if l.sessions == 1 => "learned from 1 session".to_string(),
            Basis::Learned => format!("learned from {} sessions", l.sessions),
            Basis::Assumed => format!("assumed: AWS's default of {}", duration::show(l.duration, Form::Setting)),
            Basis::Token => "the token's expiry: it cannot be refreshed".to_string(),
        }
    }
}

/// What a refresh token in the cache that ssofresh has not seen means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// The login ssofresh already knows.
    Same,
    /// A new interactive login, at this time, known this way.
    Login { at: DateTime<Utc>, basis: LoginBasis },
    /// Another client refreshed the token (rotating the refresh token) at this time: the same
    /// session, still alive then.
    Rotation { at: DateTime<Utc> },
}

/// Tells a new login from another client's refresh. `fingerprint` identifies the token now in
/// the cache (`refresh::login_fingerprint`), `written` is the cache file's modification time.
///
/// A change is a login when ssofresh knew no login before; when the old refresh token had been
/// rejected (the session had ended: only a login brings a new one); when the old access token
/// still had more than `SDK_WINDOW` left (no SDK refreshes that early, and ssofresh keeps the
/// token out of that window); when the old session had passed its estimated end; or for a token
/// nobody can refresh (legacy). A change inside the window is another client's refresh.
/// (`ssofresh login` records its own logins directly.)
pub fn judge(
    st: &SessionState,
    fingerprint: &str,
    written: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    refreshable: bool,
    length: &Length,
) -> Change {
    if st.seen_login.as_deref() == Some(fingerprint) {
        return Change::Same;
    }
    let (at, basis) = match written {
        Some(w) if w <= now + FUTURE_MARGIN => (w, LoginBasis::CacheFileTime),
        _ => (now, LoginBasis::FirstSeen),
    };
    let login = Change::Login { at, basis };
    if st.seen_login.is_none() || st.rejected.is_some() || !refreshable {
        return login;
    }
    let Some(old_expiry) = st.seen_expires_at.as_deref().and_then(timefmt::parse) else { return login };
    if old_expiry - at > SDK_WINDOW {
        return login;
    }
    let old_login = st.login_at.as_deref().and_then(timefmt::parse);
    if old_login.is_some_and(|l| l + length.duration <= at) {
        return login;
    }
    Change::Rotation { at }
}

/// The current login, from the token in the cache and the state, without writing anything: a
/// login ssofresh has not recorded yet is judged as `judge` would.
pub fn current_login(
    session: &str,
    token: &CachedToken,
    refreshable: bool,
    st: &SessionState,
    written: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    settings: &Settings,
) -> Option<(DateTime<Utc>, LoginBasis)> {
    let fingerprint = token.refresh_token.as_ref().unwrap_or(&token.access_token).fingerprint();
    let length = length(settings, session, &st.observed);
    match judge(st, &fingerprint, written, now, refreshable, &length) {
        Change::Login { at, basis } => Some((at, basis)),
        Change::Same | Change::Rotation { .. } => match st.login_at.as_deref().and_then(timefmt::parse) {
            Some(at) => Some((at, LoginBasis::parse(st.login_at_basis.as_deref()))),
            // A state without a login time (written by an old version): the file's time.
            None => Some((written.filter(|w| *w <= now + FUTURE_MARGIN)?, LoginBasis::CacheFileTime)),
        },
    }
}

/// The horizon of the login the state has recorded, for a token whose login ssofresh has seen:
/// one timestamp to parse, no hash, so the no-op tick and the prompt hook can afford it.
pub fn recorded(
    session: &str,
    token: &CachedToken,
    refreshable: bool,
    st: &SessionState,
    settings: &Settings,
) -> Option<Horizon> {
    let login_at = st.login_at.as_deref().and_then(timefmt::parse)?;
    let basis = LoginBasis::parse(st.login_at_basis.as_deref());
    Some(horizon(login_at, basis, token.expires(), refreshable, length(settings, session, &st.observed)))
}

/// The horizon of a login at `login_at`; a token nobody can refresh ends with its expiry.
pub fn horizon(
    login_at: DateTime<Utc>,
    login_basis: LoginBasis,
    expires: DateTime<Utc>,
    refreshable: bool,
    length: Length,
) -> Horizon {
    if !refreshable {
        let length = Length { duration: expires - login_at, basis: Basis::Token, sessions: 0, range: None };
        return Horizon { login_at, login_basis, ends_at: expires, length };
    }
    let ends_at = login_at.checked_add_signed(length.duration).unwrap_or(DateTime::<Utc>::MAX_UTC);
    Horizon { login_at, login_basis, ends_at, length }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::secret::Secret;

    fn at(s: &str) -> DateTime<Utc> {
        timefmt::parse(s).unwrap()
    }

    fn obs(alive: Option<i64>, ended: i64) -> Observed {
        Observed { login_at: "2026-01-01T00:00:00Z".into(), ended_secs: ended, alive_secs: alive }
    }

    const H: i64 = 3600;
    const M: i64 = 60;

    #[test]
    fn configured_wins_then_learned_then_assumed() {
        let mut s = Settings::default();
        assert_eq!(length(&s, "corp", &[]).basis, Basis::Assumed);
        assert_eq!(length(&s, "corp", &[]).duration, TimeDelta::hours(8));
        let seen = [obs(None, 10 * H)];
        let l = length(&s, "corp", &seen);
        assert_eq!((l.basis, l.duration, l.sessions), (Basis::Learned, TimeDelta::hours(10), 1));
        s.durations =
            vec![(None, Duration::from_secs(8 * 3600)), (Some("corp".into()), Duration::from_secs(12 * 3600))];
        assert_eq!(length(&s, "corp", &seen).duration, TimeDelta::hours(12), "the session's own wins");
        assert_eq!(length(&s, "other", &seen).duration, TimeDelta::hours(8), "the default for the rest");
        assert_eq!(length(&s, "other", &seen).basis, Basis::Configured);
        s.durations.push((None, Duration::from_secs(3600)));
        assert_eq!(length(&s, "other", &[]).duration, TimeDelta::hours(1), "the later default wins");
    }

    #[test]
    fn past_sessions_narrow_the_estimate_and_outliers_are_left_out() {
        // Refreshes every 40 minutes: each session ended after its last one and by its rejection.
        let seen = [obs(Some(7 * H + 50 * M), 8 * H + 30 * M), obs(Some(7 * H + 20 * M), 8 * H + 10 * M)];
        let (lo, hi, n) = learned(&seen).unwrap();
        assert_eq!((lo, hi, n), (TimeDelta::minutes(470), TimeDelta::minutes(490), 2));
        // A session cut short by an administrator disagrees with the newer ones: left out.
        let seen =
            [obs(None, 2 * H), obs(Some(7 * H + 50 * M), 8 * H + 30 * M), obs(Some(7 * H + 20 * M), 8 * H + 10 * M)];
        assert_eq!(learned(&seen).unwrap().2, 2);
        // A changed setting: the newest session wins over the older ones that disagree.
        let seen = [obs(Some(7 * H), 8 * H + 30 * M), obs(Some(11 * H + 40 * M), 12 * H + 20 * M)];
        assert_eq!(learned(&seen).unwrap(), (TimeDelta::minutes(700), TimeDelta::minutes(740), 1));
        assert_eq!(learned(&[]), None);
        assert_eq!(learned(&[obs(None, 0)]), None, "nonsense is ignored");
        assert_eq!(learned(&[obs(None, 14 * M)]), None, "shorter than any session can be");
    }

    fn state(expires: &str, login: &str) -> SessionState {
        let mut st = SessionState::default();
        st.record_login(Secret::new("old").fingerprint(), at(login), "cache_file_time", expires);
        st
    }

    #[test]
    fn a_change_inside_the_sdk_window_is_another_clients_refresh() {
        let len = length(&Settings::default(), "corp", &[]);
        let new = Secret::new("new").fingerprint();
        let now = at("2026-01-01T18:00:00Z");
        let st = state("2026-01-01T11:00:00Z", "2026-01-01T08:00:00Z");
        let judge_at = |st: &SessionState, w: &str| judge(st, &new, Some(at(w)), now, true, &len);
        // 10 minutes before the old token's expiry, and after it: an SDK's refresh.
        assert_eq!(judge_at(&st, "2026-01-01T10:50:00Z"), Change::Rotation { at: at("2026-01-01T10:50:00Z") });
        assert_eq!(judge_at(&st, "2026-01-01T11:30:00Z"), Change::Rotation { at: at("2026-01-01T11:30:00Z") });
        // 20 minutes before: no SDK refreshes that early, so a login.
        let w = at("2026-01-01T10:40:00Z");
        assert_eq!(judge_at(&st, "2026-01-01T10:40:00Z"), Change::Login { at: w, basis: LoginBasis::CacheFileTime });
        // The old session past its estimated end (8 h after 08:00): a login.
        assert!(matches!(judge_at(&st, "2026-01-01T16:10:00Z"), Change::Login { .. }));
        // After a rejection, only a login brings a new refresh token.
        let mut rejected = st.clone();
        rejected.record_rejected(now, Secret::new("old").fingerprint(), "invalid_grant".into());
        assert!(matches!(judge_at(&rejected, "2026-01-01T11:30:00Z"), Change::Login { .. }));
        // Nothing known before; a token nobody can refresh; the same token.
        assert!(matches!(judge_at(&SessionState::default(), "2026-01-01T11:30:00Z"), Change::Login { .. }));
        assert!(matches!(judge(&st, &new, Some(at("2026-01-01T11:30:00Z")), now, false, &len), Change::Login { .. }));
        assert_eq!(judge(&st, &Secret::new("old").fingerprint(), None, now, true, &len), Change::Same);
        // A file time in the future is no login time: when first seen.
        let future = judge(&SessionState::default(), &new, Some(now + TimeDelta::hours(1)), now, true, &len);
        assert_eq!(future, Change::Login { at: now, basis: LoginBasis::FirstSeen });
    }

    #[test]
    fn observed_lengths_are_recorded_once_per_login_and_only_when_measurable() {
        let mut st = state("2026-01-01T01:00:00Z", "2026-01-01T00:00:00Z");
        st.record_success(at("2026-01-01T07:40:00Z"), "2026-01-01T08:40:00Z");
        st.record_session_end(at("2026-01-01T08:20:00Z"), KEPT, SHORTEST);
        st.record_session_end(at("2026-01-01T09:00:00Z"), KEPT, SHORTEST);
        assert_eq!(
            st.observed,
            [Observed { login_at: "2026-01-01T00:00:00Z".into(), ended_secs: 500 * M, alive_secs: Some(460 * M) }]
        );
        let mut vague = SessionState::default();
        vague.record_login("x".into(), at("2026-01-01T00:00:00Z"), "first_seen", "2026-01-01T01:00:00Z");
        vague.record_session_end(at("2026-01-01T08:20:00Z"), KEPT, SHORTEST);
        assert!(vague.observed.is_empty(), "a login time ssofresh only guessed measures nothing");
        let mut many = SessionState::default();
        for day in 1..=7 {
            many.record_login(
                "x".into(),
                at(&format!("2026-01-0{day}T00:00:00Z")),
                "ssofresh_login",
                "2026-01-01T01:00:00Z",
            );
            many.record_session_end(at(&format!("2026-01-0{day}T08:00:00Z")), KEPT, SHORTEST);
        }
        let mut revoked = state("2026-01-01T01:00:00Z", "2026-01-01T00:00:00Z");
        revoked.record_session_end(at("2026-01-01T00:00:02Z"), KEPT, SHORTEST);
        assert!(revoked.observed.is_empty(), "a rejection seconds after the login is no session length");
        assert_eq!(many.observed.len(), KEPT);
        assert_eq!(many.observed[0].login_at, "2026-01-03T00:00:00Z", "the oldest go first");
    }

    #[test]
    fn a_token_nobody_can_refresh_ends_with_its_expiry() {
        let login = at("2026-01-01T08:00:00Z");
        let h = horizon(
            login,
            LoginBasis::CacheFileTime,
            at("2026-01-01T16:00:00Z"),
            false,
            length(&Settings::default(), "x", &[]),
        );
        assert_eq!((h.ends_at, h.length.basis), (at("2026-01-01T16:00:00Z"), Basis::Token));
        assert!(!h.ending(at("2026-01-01T15:59:00Z"), TimeDelta::minutes(30)), "its expiry has its own warnings");
        let h = horizon(
            login,
            LoginBasis::CacheFileTime,
            at("2026-01-01T09:00:00Z"),
            true,
            length(&Settings::default(), "x", &[]),
        );
        assert_eq!(h.ends_at, at("2026-01-01T16:00:00Z"));
        assert!(!h.ending(at("2026-01-01T15:29:00Z"), TimeDelta::minutes(30)));
        assert!(h.ending(at("2026-01-01T15:30:00Z"), TimeDelta::minutes(30)));
        assert!(h.ending(at("2026-01-01T17:00:00Z"), TimeDelta::minutes(30)), "past the estimate");
    }
}
