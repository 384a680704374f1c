//! What a session's token is worth right now, judged from the token cache and ssofresh's own
//! state alone: no network, no lock, no writes, a few small file reads. `status`,
//! `status --json`, `status --check` (and the prompt segment) all classify sessions here, so
//! they never disagree.

use crate::aws::token_cache::{CacheError, CachedToken};
use crate::engine::horizon::{self, Horizon, LoginBasis};
use crate::engine::state::{self, SessionState};
use crate::engine::target::Target;
use crate::text::duration::human;
use chrono::{DateTime, Duration, Utc};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Valid for longer than the refresh threshold.
    Valid,
    /// Inside the threshold and refreshable: the next tick refreshes it.
    Expiring,
    /// Expired, but the refresh token still works: a tick (or an SDK) renews it, no login.
    ExpiredRefreshable,
    /// Only an interactive login helps.
    ReloginRequired,
    /// No cached token.
    NotLoggedIn,
    /// A legacy profile's token, still valid, that can never be refreshed.
    Legacy,
    /// The cache file exists but cannot be used.
    Unreadable,
}

impl State {
    /// The stable name in `status --json`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Valid => "valid",
            State::Expiring => "expiring",
            State::ExpiredRefreshable => "expired_refreshable",
            State::ReloginRequired => "relogin_required",
            State::NotLoggedIn => "not_logged_in",
            State::Legacy => "legacy",
            State::Unreadable => "unreadable",
        }
    }

    /// In words, for people.
    pub fn words(self) -> &'static str {
        match self {
            State::Valid => "valid",
            State::Expiring => "expiring",
            State::ExpiredRefreshable => "expired, refreshable",
            State::ReloginRequired => "re-login required",
            State::NotLoggedIn => "not logged in",
            State::Legacy => "legacy profile",
            State::Unreadable => "unreadable token cache",
        }
    }

    pub fn needs_login(self) -> bool {
        matches!(self, State::ReloginRequired | State::NotLoggedIn)
    }
}

/// What the cache says about the token; never the token itself.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    /// Exactly as the cache has it.
    pub expires_at: String,
    pub expires: DateTime<Utc>,
    pub registration_expires_at: Option<String>,
    pub registration_expires: Option<DateTime<Utc>>,
    pub has_refresh_token: bool,
}

#[derive(Debug, Clone)]
pub struct SessionStatus {
    pub target: Target,
    pub state: State,
    /// Short and stable, for states that need action or tokens that cannot be refreshed:
    /// `legacy`, `no_refresh_token`, `no_client`, `registration_expired`, `rejected`,
    /// `unreadable`.
    pub reason: Option<String>,
    /// The reason in plain words (names files and fields, never a value that could be secret).
    pub message: Option<String>,
    pub token: Option<TokenInfo>,
    /// A refresh request could succeed now (as far as can be known without sending one).
    pub refreshable: bool,
    pub saved: SessionState,
    /// The last interactive login as far as ssofresh can tell (`horizon::current_login`): other
    /// clients' refreshes keep it; a login not yet recorded is the cache file's time.
    pub last_login: Option<DateTime<Utc>>,
    /// How `last_login` is known.
    pub login_basis: Option<LoginBasis>,
    /// When the session is estimated to end, while it is logged in (no login needed).
    pub horizon: Option<Horizon>,
}

impl SessionStatus {
    pub fn expires_in(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.token.as_ref().map(|t| t.expires - now)
    }
}

/// Reads the cache and state of one target and classifies it.
pub fn inspect(
    target: &Target,
    state_dir: &Path,
    now: DateTime<Utc>,
    threshold: Duration,
    settings: &horizon::Settings,
) -> SessionStatus {
    let token = CachedToken::read(&target.cache_path);
    let written = match &token {
        Ok(Some(_)) => std::fs::metadata(&target.cache_path).and_then(|m| m.modified()).ok().map(DateTime::<Utc>::from),
        _ => None,
    };
    let saved = SessionState::load(&state::state_path(state_dir, &target.cache_key));
    classify(target, token, written, saved, now, threshold, settings)
}

/// Why this token cannot be refreshed, known without the network; the same checks, in the
/// same order, as the refresh engine makes before it sends a request.
fn blocker(
    target: &Target,
    token: &CachedToken,
    saved: &SessionState,
    now: DateTime<Utc>,
) -> Option<(&'static str, String)> {
    if target.is_legacy() {
        return Some((
            "legacy",
            "legacy SSO profiles (sso_start_url in the profile) get no refresh token; move it to an [sso-session] (see ssofresh doctor)".into(),
        ));
    }
    let Some(refresh) = &token.refresh_token else {
        return Some((
            "no_refresh_token",
            "the cache holds no refresh token (is sso_registration_scopes = sso:account:access set?)".into(),
        ));
    };
    if token.client_id.is_none() || token.client_secret.is_none() {
        return Some(("no_client", "the cache holds no client registration".into()));
    }
    if let Some(reg) = token.registration_expires() {
        if reg <= now {
            return Some(("registration_expired", format!("the client registration expired {} ago", human(now - reg))));
        }
    }
    if let Some(r) = saved.is_rejected(&refresh.fingerprint()) {
        return Some((
            "rejected",
            format!("the refresh token was rejected ({}); the Identity Center session has ended", r.error),
        ));
    }
    None
}

pub fn classify(
    target: &Target,
    token: Result<Option<CachedToken>, CacheError>,
    written: Option<DateTime<Utc>>,
    saved: SessionState,
    now: DateTime<Utc>,
    threshold: Duration,
    settings: &horizon::Settings,
) -> SessionStatus {
    let mut s = SessionStatus {
        target: target.clone(),
        state: State::NotLoggedIn,
        reason: None,
        message: None,
        token: None,
        refreshable: false,
        last_login: None,
        login_basis: None,
        horizon: None,
        saved,
    };
    let token = match token {
        Ok(Some(t)) => t,
        Ok(None) => return s,
        Err(e) => {
            s.state = State::Unreadable;
            s.reason = Some("unreadable".into());
            s.message = Some(match e.advice() {
                Some(advice) => format!("{e}; {advice}"),
                None => e.to_string(),
            });
            return s;
        }
    };
    // Refreshable in principle: what a rejection or an expired registration leaves is moot,
    // since those need a login anyway.
    let renewable = !target.is_legacy()
        && token.refresh_token.is_some()
        && token.client_id.is_some()
        && token.client_secret.is_some();
    let login = horizon::current_login(&target.name, &token, renewable, &s.saved, written, now, settings);
    s.last_login = login.map(|(at, _)| at);
    s.login_basis = login.map(|(_, basis)| basis);
    let current = token.refresh_token.as_ref().unwrap_or(&token.access_token).fingerprint();
    // A login ssofresh has not seen yet (the AWS CLI's, before the next tick notices it): what
    // the state says about refreshes and back-off was about the old login, not this one.
    if s.saved.seen_login.as_deref().is_some_and(|seen| seen != current) {
        s.saved.last_refresh = None;
        s.saved.backoff_until = None;
        s.saved.failures = 0;
    }
    let left = token.expires() - now;
    let block = blocker(target, &token, &s.saved, now);
    s.refreshable = block.is_none();
    s.state = match (&block, target.is_legacy()) {
        (_, true) if left > Duration::zero() => State::Legacy,
        (_, true) => State::ReloginRequired,
        // The session has ended or can never be renewed: the token's time left is moot.
        (Some(("rejected" | "registration_expired", _)), _) => State::ReloginRequired,
        _ if left > threshold => State::Valid,
        (Some(_), _) => State::ReloginRequired,
        (None, _) if left > Duration::zero() => State::Expiring,
        (None, _) => State::ExpiredRefreshable,
    };
    if let Some((class, msg)) = block {
        s.reason = Some(class.into());
        s.message = Some(msg);
    }
    if let (Some((at, basis)), false) = (login, s.state.needs_login()) {
        let length = horizon::length(settings, &target.name, &s.saved.observed);
        s.horizon = Some(horizon::horizon(at, basis, token.expires(), renewable, length));
    }
    s.token = Some(TokenInfo {
        expires: token.expires(),
        registration_expires: token.registration_expires(),
        expires_at: token.expires_at,
        registration_expires_at: token.registration_expires_at,
        has_refresh_token: token.refresh_token.is_some(),
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::config::AwsConfig;
    use crate::sys::secret::Secret;
    use crate::text::timefmt;
    use std::path::PathBuf;

    fn targets() -> Vec<Target> {
        let cfg = AwsConfig::parse(
            "[profile dev]\nsso_session = corp\n[profile old]\nsso_start_url = https://old/start\nsso_region = us-east-1\n\
             [sso-session corp]\nsso_start_url = https://corp/start\nsso_region = us-east-1\n",
        )
        .unwrap();
        crate::engine::target::all(&cfg, Path::new("/nonexistent"))
    }

    fn token(now: DateTime<Utc>, left_secs: i64) -> CachedToken {
        CachedToken {
            start_url: None,
            region: None,
            access_token: Secret::new("a"),
            expires_at: timefmt::format(now + Duration::seconds(left_secs)),
            client_id: Some("c".into()),
            client_secret: Some(Secret::new("s")),
            registration_expires_at: Some(timefmt::format(now + Duration::days(30))),
            refresh_token: Some(Secret::new("r")),
            extra: Default::default(),
        }
    }

    fn state_of(
        t: &Target,
        tok: Option<CachedToken>,
        saved: SessionState,
        now: DateTime<Utc>,
    ) -> (State, Option<String>, bool) {
        let s = classify(t, Ok(tok), None, saved, now, Duration::minutes(20), &horizon::Settings::default());
        (s.state, s.reason, s.refreshable)
    }

    #[test]
    fn every_state() {
        let now = Utc::now();
        let t = targets();
        let (corp, old) = (&t[0], &t[1]);
        let none = SessionState::default;
        assert_eq!(state_of(corp, Some(token(now, 3600)), none(), now), (State::Valid, None, true));
        assert_eq!(state_of(corp, Some(token(now, 600)), none(), now), (State::Expiring, None, true));
        assert_eq!(state_of(corp, Some(token(now, -600)), none(), now), (State::ExpiredRefreshable, None, true));
        assert_eq!(state_of(corp, None, none(), now).0, State::NotLoggedIn);

        let mut no_rt = token(now, 600);
        no_rt.refresh_token = None;
        assert_eq!(
            state_of(corp, Some(no_rt.clone()), none(), now),
            (State::ReloginRequired, Some("no_refresh_token".into()), false)
        );
        no_rt.expires_at = timefmt::format(now + Duration::hours(7));
        assert_eq!(state_of(corp, Some(no_rt), none(), now), (State::Valid, Some("no_refresh_token".into()), false));

        let mut reg = token(now, 3600);
        reg.registration_expires_at = Some(timefmt::format(now - Duration::days(1)));
        assert_eq!(state_of(corp, Some(reg), none(), now).0, State::ReloginRequired);

        let mut rejected = none();
        rejected.record_rejected(now, Secret::new("r").fingerprint(), "invalid_grant".into());
        assert_eq!(
            state_of(corp, Some(token(now, 600)), rejected.clone(), now),
            (State::ReloginRequired, Some("rejected".into()), false)
        );
        // A new login (another refresh token) is not covered by the memo.
        let mut relogged = token(now, 600);
        relogged.refresh_token = Some(Secret::new("r2"));
        assert_eq!(state_of(corp, Some(relogged), rejected, now).0, State::Expiring);

        assert_eq!(state_of(old, Some(token(now, 600)), none(), now), (State::Legacy, Some("legacy".into()), false));
        assert_eq!(state_of(old, Some(token(now, -1)), none(), now).0, State::ReloginRequired);

        let broken = classify(
            corp,
            Err(CacheError::MissingField { path: PathBuf::from("/c/x.json"), field: "accessToken" }),
            None,
            none(),
            now,
            Duration::minutes(20),
            &horizon::Settings::default(),
        );
        assert_eq!(broken.state, State::Unreadable);
        assert!(broken.message.unwrap().contains("accessToken"));
    }

    #[test]
    fn last_login_is_the_seen_one_or_the_file_time_of_a_new_one() {
        let now = Utc::now();
        let t = &targets()[0];
        let written = now - Duration::minutes(5);
        let mut saved = SessionState::default();
        saved.record_login(
            Secret::new("r").fingerprint(),
            now - Duration::hours(3),
            "cache_file_time",
            &timefmt::format(now + Duration::seconds(3600)),
        );
        let settings = horizon::Settings::default();
        let s = classify(
            t,
            Ok(Some(token(now, 3600))),
            Some(written),
            saved.clone(),
            now,
            Duration::minutes(20),
            &settings,
        );
        assert_eq!(s.last_login.map(timefmt::format), Some(timefmt::format(now - Duration::hours(3))));
        let h = s.horizon.unwrap();
        assert_eq!(timefmt::format(h.ends_at), timefmt::format(now + Duration::hours(5)), "8 hours after the login");
        assert_eq!(h.length.basis, horizon::Basis::Assumed);
        // The old token still had an hour: a new refresh token then is a login.
        let mut other = token(now, 3600);
        other.refresh_token = Some(Secret::new("new-login"));
        let s = classify(t, Ok(Some(other)), Some(written), saved, now, Duration::minutes(20), &settings);
        assert_eq!(s.last_login, Some(written));
        assert_eq!(s.login_basis, Some(LoginBasis::CacheFileTime));
    }
}
