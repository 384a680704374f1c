//! The engine: decide whether a token is due, and refresh it once, under the lock. It reports
//! what it found and did; telling the user (notifications) is the caller's business.

use crate::aws::config::AwsConfig;
use crate::aws::endpoint::{self, Service};
use crate::aws::env::AwsEnvCell;
use crate::aws::http::{self, HttpSettings};
use crate::aws::oidc::{self, OidcError};
use crate::aws::token_cache::{CacheError, CachedToken};
use crate::engine::activity::{ActivityLog, Entry};
use crate::engine::horizon::{self, Change, Horizon};
use crate::engine::pending::{self, Pending};
use crate::engine::retry;
use crate::engine::state::{self, SessionState};
use crate::engine::target::Target;
use crate::error::{EXIT_OK, EXIT_RELOGIN, EXIT_TRANSIENT, EXIT_USAGE};
use crate::sys::clock::{self, Clock};
use crate::sys::fs::{NotReplaced, Replaced, Staged};
use crate::sys::lock;
use crate::text::duration::human;
use crate::text::timefmt;
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Settings {
    /// Refresh when less than this is left (default 20 min, above botocore's 15-min window).
    pub threshold: Duration,
    /// Extra attempts after a transient failure.
    pub max_retry_attempts: u32,
    /// Pause before the first retry; the n-th retry waits n times this.
    pub retry_backoff: Duration,
    /// Told of each retry (a person on a terminal sees them: `cmd::tick`).
    pub on_retry: Option<retry::Notice>,
    pub http: HttpSettings,
    /// Called automatically (prompt hook): honour the persisted back-off.
    pub auto: bool,
    pub state_dir: PathBuf,
    pub log: ActivityLog,
    /// The active profile, the endpoint overrides and the proxy, read if a request is due.
    pub aws: AwsEnvCell,
    pub clock: Clock,
    /// Refresh even a fresh token while the cache holds the access token with this fingerprint:
    /// the portal has just rejected it.
    pub force_if: Option<String>,
    /// The session lengths the user stated, for telling logins from other clients' refreshes
    /// and for the report's horizon.
    pub horizon: horizon::Settings,
}

/// What one run found and did.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub outcome: Outcome,
    /// A new interactive login appeared in the cache since ssofresh last looked.
    pub login_detected: bool,
    /// Fingerprint of the login the cache held (refresh token, else access token), when it
    /// could be read.
    pub login: Option<String>,
    /// How far the local clock was ahead of the endpoint's (negative: behind), when a request
    /// was answered with a `Date`.
    pub clock_skew: Option<chrono::TimeDelta>,
    /// When the session in the cache is estimated to end, when a token could be read.
    pub horizon: Option<Horizon>,
}

/// "3h 2m ahead of" / "5d 1h behind", for messages about the clock.
pub fn describe_skew(skew: chrono::TimeDelta) -> String {
    // To the nearest minute: the measurement is a second or so off (`Date` has whole seconds).
    let minutes = chrono::TimeDelta::minutes((skew.num_seconds().abs() + 30) / 60);
    if skew >= chrono::TimeDelta::zero() {
        format!("{} ahead of", human(minutes))
    } else {
        format!("{} behind", human(minutes))
    }
}

/// What to tell the user about a skew the endpoint's `Date` showed; `None` within the margin.
pub fn skew_warning(skew: chrono::TimeDelta) -> Option<String> {
    if skew.abs() <= clock::SKEW_MARGIN {
        return None;
    }
    Some(if skew > chrono::TimeDelta::zero() {
        format!(
            "this machine's clock is {} the SSO endpoint's: the token's expiry was counted from the endpoint's time, so AWS tools here take it for expired; fix the clock (enable time sync: timedatectl set-ntp true, or your OS's setting)",
            describe_skew(skew)
        )
    } else {
        format!(
            "this machine's clock is {} the SSO endpoint's: AWS tools here take tokens for valid after they have expired; fix the clock (enable time sync: timedatectl set-ntp true, or your OS's setting)",
            describe_skew(skew)
        )
    })
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Valid beyond the threshold: nothing to do.
    Fresh {
        expires: DateTime<Utc>,
    },
    Refreshed {
        expires: DateTime<Utc>,
        attempts: u32,
    },
    /// No cache file: never logged in (or logged out).
    NotLoggedIn,
    /// Only a new login helps. `class` is short and stable (`invalid_grant`, `legacy`, …).
    Relogin {
        class: String,
        reason: String,
    },
    /// Try again later; the token may still be valid until `expires`.
    Transient {
        class: String,
        reason: String,
        expires: Option<DateTime<Utc>>,
    },
    /// Something on this machine needs fixing (corrupt cache, bad endpoint setting).
    Broken {
        reason: String,
    },
}

impl Outcome {
    pub fn exit_code(&self) -> u8 {
        match self {
            Outcome::Fresh { .. } | Outcome::Refreshed { .. } | Outcome::NotLoggedIn => EXIT_OK,
            Outcome::Transient { .. } => EXIT_TRANSIENT,
            Outcome::Relogin { .. } => EXIT_RELOGIN,
            Outcome::Broken { .. } => EXIT_USAGE,
        }
    }

    /// One line for stderr that names the session and the next step; `None` when all is well.
    pub fn problem(&self, target: &Target, now: DateTime<Utc>) -> Option<String> {
        if matches!(self, Outcome::Fresh { .. } | Outcome::Refreshed { .. } | Outcome::NotLoggedIn) {
            // The no-op tick asks this of every session: no words to build.
            return None;
        }
        let label = target.label();
        let login = target.login_command();
        match self {
            Outcome::Fresh { .. } | Outcome::Refreshed { .. } | Outcome::NotLoggedIn => None,
            Outcome::Relogin { reason, .. } => Some(format!("{label}: {reason} — run: {login}")),
            Outcome::Transient { reason, expires, .. } => {
                let left = match expires {
                    Some(e) if *e > now => format!("; the token is still valid for {}", human(*e - now)),
                    Some(_) => "; the token has expired".to_string(),
                    None => String::new(),
                };
                Some(format!("{label}: {reason}{left}; will try again (or run: {login})"))
            }
            Outcome::Broken { reason } => Some(format!("{label}: {reason}")),
        }
    }
}

/// What is wrong with a token cache that cannot be used, and what to do about it: the words
/// every command that reads the cache prints.
pub(crate) fn cache_problem(target: &Target, e: &CacheError) -> String {
    match (e, e.advice()) {
        // Names the path and the fix already.
        (_, None) => e.to_string(),
        (CacheError::Read { .. } | CacheError::Write { .. }, Some(advice)) => format!("{e}; {advice}"),
        (_, Some(advice)) => format!("unusable token cache: {e}; {advice} ({})", target.login_command()),
    }
}

fn broken_cache(target: &Target, e: &CacheError) -> Outcome {
    Outcome::Broken { reason: cache_problem(target, e) }
}

/// A refreshed token that cannot be saved (`rotated` is `None` when this showed before any
/// request, else whether the answer replaced the refresh token). Transient: a full disk, a
/// read-only mount or a permission gets fixed, and the cache is still as it was. Records a
/// back-off, except for a file that was only busy (Windows will not replace a file another
/// program is reading; the next run can try at once).
fn unsaved(
    target: &Target,
    e: &std::io::Error,
    token: &CachedToken,
    rotated: Option<bool>,
    st: &mut SessionState,
    now: DateTime<Utc>,
) -> Outcome {
    if let Some(u) = crate::sys::guard::as_unsafe(e) {
        return Outcome::Broken { reason: u.to_string() };
    }
    let (class, cause) = crate::sys::fs::write_cause(e);
    let file = target.cache_path.display();
    let reason = match rotated {
        None => format!(
            "cannot save a refreshed token to {file}: {cause}; no refresh was attempted and the file is unchanged"
        ),
        Some(rotated) => format!(
            "the refreshed token could not be saved to {file}: {cause}{}{}",
            if crate::sys::fs::rewritten_in_part(e) { "" } else { "; the file is unchanged" },
            if rotated {
                " (the endpoint replaced the refresh token, so the next refresh may ask for a new login)"
            } else {
                ""
            }
        ),
    };
    if class != "cache_busy" {
        st.record_transient(now, class.to_string(), Some(reason.clone()));
    }
    Outcome::Transient { class: class.into(), reason, expires: Some(token.expires()) }
}

/// A refreshed token that could not be written to the cache (`e`), kept for the next run in
/// `engine::pending` instead of thrown away: the refresh may have rotated the refresh token.
/// Transient, without a back-off: the next run puts it in place with no request. When even
/// that file cannot be written, what `unsaved` says.
#[allow(clippy::too_many_arguments)]
fn keep(
    target: &Target,
    staged: Staged,
    e: &std::io::Error,
    new: CachedToken,
    token: &CachedToken,
    rotated: bool,
    st: &mut SessionState,
    now: DateTime<Utc>,
) -> Outcome {
    if crate::sys::guard::as_unsafe(e).is_some() {
        return unsaved(target, e, token, Some(rotated), st, now);
    }
    let Some(kept) = Pending::new(new, token, now) else { return unsaved(target, e, token, Some(rotated), st, now) };
    let path = pending::path(&target.cache_path);
    if let Err(e2) = staged.keep_as(&path, &kept.to_bytes()) {
        log::warn!("{}: cannot keep the refreshed token in {}: {e2}", target.label(), path.display());
        return unsaved(target, e, token, Some(rotated), st, now);
    }
    let (class, cause) = crate::sys::fs::write_cause(e);
    let reason = format!(
        "the refreshed token could not be written to {}: {cause}; it is kept in {} and the next run puts it in place, with no new refresh",
        target.cache_path.display(),
        path.display()
    );
    st.record_kept(now, class.to_string(), reason.clone());
    Outcome::Transient { class: class.into(), reason, expires: Some(token.expires()) }
}

/// Puts in place the token an earlier run refreshed but could not write (`engine::pending`),
/// under the lock, when the cache still holds the very token it was refreshed from; removes it
/// unused when the cache holds anything else (a newer login or refresh: never overwritten) or
/// nothing. `None`: nothing kept (one `stat`, on the due path only), or it was removed and the
/// run goes on as usual. `expires`: the cached token's, for the messages.
fn adopt_pending(
    target: &Target,
    settings: &Settings,
    seen: &mut Seen,
    state_path: &std::path::Path,
    expires: DateTime<Utc>,
) -> Option<Outcome> {
    let path = pending::path(&target.cache_path);
    std::fs::symlink_metadata(&path).ok()?;
    let lock_path = lock::beside(&target.cache_path);
    let _lock = match lock::acquire(&lock_path, settings.http.timeout) {
        Ok(Some(l)) => l,
        // The holder is another ssofresh: it adopts the token or refreshes.
        Ok(None) => {
            return Some(Outcome::Transient {
                class: "busy".into(),
                reason: "another ssofresh process is refreshing this session".into(),
                expires: Some(expires),
            })
        }
        // The refresh below meets the same problem and reports it.
        Err(e) => {
            log::warn!("cannot lock {}: {e}; leaving {} for later", lock_path.display(), path.display());
            return None;
        }
    };
    let now = settings.clock.now();
    let remove = || {
        if let Err(e) = std::fs::remove_file(&path) {
            log::warn!("cannot remove {}: {e}", path.display());
        }
    };
    // Something newer is in the cache: the kept token goes unused.
    let superseded = |why: &str| {
        log::info!("{}: {why}; removing {}", target.label(), path.display());
        remove();
        let mut e = Entry::new("refresh", &target.name, now);
        e.attempts = Some(0);
        e.outcome = Some("superseded".into());
        e.message = Some(format!("{why}; removed the refreshed token kept in {}", path.display()));
        settings.log.append(&e);
    };
    let kept = match Pending::read(&path) {
        Ok(Some(k)) => k,
        Ok(None) => return None,
        // Not one ssofresh wrote whole (it is written by rename): nothing to put in place.
        Err(e) => {
            log::warn!("{}: {e}; removing it", target.label());
            remove();
            return None;
        }
    };
    let current = match CachedToken::read(&target.cache_path) {
        Ok(Some(c)) if kept.replaces(&c) => c,
        Ok(_) => {
            superseded("the cache no longer holds the token it was refreshed from");
            return None;
        }
        // Perhaps another program's write in progress: both stay; the run reports the cache.
        Err(_) => return None,
    };
    let new = &kept.token;
    let mut st = SessionState::load(state_path);
    let staged = Staged::through_own_link(&target.cache_path, 0).and_then(|mut s| {
        s.fill(&new.to_bytes())?;
        Ok(s)
    });
    let result = match staged {
        Ok(staged) => staged.commit_or_rewrite(|bytes| holds(bytes, &current)).map_err(|e| match e {
            NotReplaced::Changed => None,
            NotReplaced::Failed { error, .. } => Some(error),
        }),
        Err(error) => Err(Some(error)),
    };
    match result {
        Ok(how) => {
            remove();
            st.session = Some(target.name.clone());
            st.record_success(now, &new.expires_at);
            st.seen_login = Some(login_fingerprint(new));
            save_state(&st, state_path);
            seen.login = Some(login_fingerprint(new));
            let mut e = Entry::new("refresh", &target.name, now);
            e.attempts = Some(0);
            e.outcome = Some("ok".into());
            e.expires_at = Some(new.expires_at.clone());
            e.message = Some(format!(
                "put in place the token refreshed at {} that {} kept{}",
                kept.refreshed_at,
                path.display(),
                if how == Replaced::InPlace {
                    " (rewritten in place: the cache was open in another program)"
                } else {
                    ""
                }
            ));
            settings.log.append(&e);
            Some(Outcome::Refreshed { expires: new.expires(), attempts: 0 })
        }
        Err(None) => {
            superseded("the cache changed just now");
            None
        }
        Err(Some(error)) => {
            let (class, cause) = crate::sys::fs::write_cause(&error);
            let reason = format!(
                "the token refreshed at {} could not be written to {} yet: {cause}; it stays in {} for the next run",
                kept.refreshed_at,
                target.cache_path.display(),
                path.display()
            );
            st.record_kept(now, class.to_string(), reason.clone());
            save_state(&st, state_path);
            let outcome = Outcome::Transient { class: class.into(), reason, expires: Some(current.expires()) };
            log_round(settings, target, 0, Duration::ZERO, &outcome, None);
            Some(outcome)
        }
    }
}

/// Whether `bytes` (a cache file as read) hold exactly `token`.
fn holds(bytes: &[u8], token: &CachedToken) -> bool {
    CachedToken::from_slice(std::path::Path::new(""), bytes).is_ok_and(|t| t == *token)
}

/// What stands between this token and a refresh request, known without the network. The
/// prompt hook asks this too, so it never starts a refresh that cannot succeed.
pub fn local_obstacle(target: &Target, token: &CachedToken, st: &SessionState, now: DateTime<Utc>) -> Option<Outcome> {
    let relogin = |class: &str, reason: String| Some(Outcome::Relogin { class: class.into(), reason });
    let when = |t: DateTime<Utc>| {
        if t > now {
            format!("expires in {}", human(t - now))
        } else {
            format!("expired {} ago", human(now - t))
        }
    };
    if target.is_legacy() {
        return relogin(
            "legacy",
            format!(
                "token {}; legacy SSO profiles (sso_start_url in the profile) get no refresh token — move it to an [sso-session] (ssofresh doctor prints the lines)",
                when(token.expires())
            ),
        );
    }
    let Some(refresh) = &token.refresh_token else {
        return relogin(
            "no_refresh_token",
            format!(
                "token {} and the cache holds no refresh token (is sso_registration_scopes = sso:account:access set?)",
                when(token.expires())
            ),
        );
    };
    if token.client_id.is_none() || token.client_secret.is_none() {
        return relogin(
            "no_client",
            format!("token {} and the cache holds no client registration", when(token.expires())),
        );
    }
    if let Some(reg) = token.registration_expires() {
        if reg <= now {
            return relogin(
                "registration_expired",
                format!("the client registration expired {} ago", human(now - reg)),
            );
        }
    }
    if let Some(r) = st.is_rejected(&refresh.fingerprint()) {
        return relogin(
            "rejected",
            format!("the refresh token was rejected ({}) at {}; the Identity Center session has ended", r.error, r.at),
        );
    }
    None
}

/// The time to judge `token` by: the local clock, or the endpoint's when the last refresh
/// counted this very token from it (see `SessionState::endpoint_now`).
pub fn endpoint_now(target: &Target, token: &CachedToken, settings: &Settings) -> DateTime<Utc> {
    let now = settings.clock.now();
    SessionState::load(&state::state_path(&settings.state_dir, &target.cache_key)).endpoint_now(&token.expires_at, now)
}

/// Checks one target and refreshes it when due. Never panics on bad input; every failure is an
/// `Outcome` that leaves the cache as it was.
pub fn run(target: &Target, cfg: &AwsConfig, settings: &Settings) -> Report {
    let mut seen = Seen::default();
    let outcome = evaluate(target, cfg, settings, &mut seen);
    Report {
        outcome,
        login_detected: seen.login_detected,
        login: seen.login,
        clock_skew: seen.clock_skew,
        horizon: seen.horizon,
    }
}

/// What `evaluate` noticed besides its outcome.
#[derive(Default)]
struct Seen {
    login_detected: bool,
    /// Fingerprint of the login in the cache, when it could be read.
    login: Option<String>,
    clock_skew: Option<chrono::TimeDelta>,
    horizon: Option<Horizon>,
}

/// Whether the caller asked for a refresh of this very token (the portal has just rejected it).
/// Only compared when a caller asks: the fingerprint costs a hash.
fn forced(settings: &Settings, token: &CachedToken) -> bool {
    settings.force_if.as_deref().is_some_and(|f| token.access_token.fingerprint() == f)
}

/// The refresh token identifies a login; without one, the access token does.
pub fn login_fingerprint(token: &CachedToken) -> String {
    token.refresh_token.as_ref().unwrap_or(&token.access_token).fingerprint()
}

/// Notices what changed in the cache since ssofresh last looked: a new login (it resets what
/// the old one left behind: rejected token, back-off), or another client's refresh, which is
/// the same session (`horizon::judge` tells them apart). Returns whether it was a login, and
/// the state as it stands now. Skipped when another process holds the lock: that one notices.
fn observe(
    target: &Target,
    token: &CachedToken,
    fingerprint: &str,
    settings: &Settings,
    state_path: &std::path::Path,
) -> (bool, SessionState) {
    let unchanged = |st: &SessionState| {
        st.seen_login.as_deref() == Some(fingerprint) && st.seen_expires_at.as_deref() == Some(&token.expires_at)
    };
    let st = SessionState::load(state_path);
    if unchanged(&st) {
        return (false, st);
    }
    let _lock = match lock::acquire(&lock::beside(&target.cache_path), Duration::ZERO) {
        Ok(Some(l)) => Some(l),
        Ok(None) => return (false, st),
        // No lock file can be made there (a read-only cache): noticed unguarded, not never.
        Err(_) => None,
    };
    let mut st = SessionState::load(state_path);
    if unchanged(&st) {
        return (false, st);
    }
    let now = settings.clock.now();
    let written: Option<DateTime<Utc>> =
        std::fs::metadata(&target.cache_path).and_then(|m| m.modified()).map(DateTime::<Utc>::from).ok();
    let refreshable = !target.is_legacy() && token.refresh_token.is_some();
    let length = horizon::length(&settings.horizon, &target.name, &st.observed);
    st.session = Some(target.name.clone());
    let login = match horizon::judge(&st, fingerprint, written, now, refreshable, &length) {
        Change::Login { at, basis } => {
            st.record_login(fingerprint.to_string(), at, basis.as_str(), &token.expires_at);
            let mut e = Entry::new("login_detected", &target.name, now);
            e.expires_at = Some(token.expires_at.clone());
            settings.log.append(&e);
            log::info!("{}: new login detected", target.label());
            true
        }
        Change::Rotation { at } => {
            st.record_refreshed_elsewhere(fingerprint.to_string(), at, &token.expires_at);
            let mut e = Entry::new("refreshed_elsewhere", &target.name, now);
            e.expires_at = Some(token.expires_at.clone());
            e.message =
                Some("another program refreshed the token and replaced the refresh token; the same session".into());
            settings.log.append(&e);
            log::info!("{}: another program refreshed the token (same session)", target.label());
            false
        }
        // The same refresh token with a new expiry: another program's refresh that kept it.
        Change::Same => {
            st.record_refreshed_elsewhere(fingerprint.to_string(), written.unwrap_or(now).min(now), &token.expires_at);
            false
        }
    };
    save_state(&st, state_path);
    (login, st)
}

fn evaluate(target: &Target, cfg: &AwsConfig, settings: &Settings, seen: &mut Seen) -> Outcome {
    let now = settings.clock.now();
    let token = match CachedToken::read(&target.cache_path) {
        Ok(Some(t)) => t,
        Ok(None) => return Outcome::NotLoggedIn,
        Err(e) => return broken_cache(target, &e),
    };
    // A region that could name another host is refused before anything is touched, a lock
    // file beside the cache included (the round checks it again with the token it reads then).
    // The plain test first: the no-op path pays for no message.
    let raw = target.region.as_deref().or(token.region.as_deref());
    if raw.is_some_and(|r| !endpoint::is_region_name(r)) {
        if let Some(Err(e)) = target.sso_region(&cfg.path, Some(&token)).map(|r| endpoint::check_region(&r)) {
            return Outcome::Broken { reason: e.to_string() };
        }
    }
    let state_path = state::state_path(&settings.state_dir, &target.cache_key);
    let fingerprint = login_fingerprint(&token);
    let (login_detected, st) = observe(target, &token, &fingerprint, settings, &state_path);
    seen.login_detected = login_detected;
    seen.login = Some(fingerprint);
    // `observe` has just brought the state up to date with the token.
    let refreshable = !target.is_legacy() && token.refresh_token.is_some();
    seen.horizon = horizon::recorded(&target.name, &token, refreshable, &st, &settings.horizon);
    let threshold = chrono::Duration::from_std(settings.threshold).unwrap_or(chrono::Duration::MAX);
    if token.expires() - now > threshold && !forced(settings, &token) {
        return Outcome::Fresh { expires: token.expires() };
    }
    let st = SessionState::load(&state_path);
    if token.expires() - st.endpoint_now(&token.expires_at, now) > threshold && !forced(settings, &token) {
        return Outcome::Fresh { expires: token.expires() };
    }
    // A token refreshed earlier but not saved comes first: it needs no request, and the
    // refresh token in the cache may be spent. Only here, on the due path: the cache holds the
    // token it was refreshed from, which was due then and is now.
    if let Some(o) = adopt_pending(target, settings, seen, &state_path, token.expires()) {
        return o;
    }
    if let Some(o) = local_obstacle(target, &token, &st, now) {
        return o;
    }
    if settings.auto {
        if let Some(until) = st.backoff_until().filter(|u| *u > now) {
            return Outcome::Transient {
                class: "backoff".into(),
                reason: format!("backing off after a failed refresh until {}", timefmt::format(until)),
                expires: Some(token.expires()),
            };
        }
    }

    // Beside the cache, so every ssofresh sharing the cache takes the same lock.
    let lock_path = lock::beside(&target.cache_path);
    let _lock = match lock::acquire(&lock_path, settings.http.timeout) {
        Ok(Some(l)) => Some(l),
        Ok(None) => {
            return Outcome::Transient {
                class: "busy".into(),
                reason: "another ssofresh process is refreshing this session".into(),
                expires: Some(token.expires()),
            }
        }
        // Some network file systems have no locks: refreshing unguarded beats never refreshing.
        Err(e) if lock::unsupported(&e) => {
            log::warn!("cannot lock {}: {e}; refreshing without the lock", lock_path.display());
            None
        }
        // No lock file can be made beside the cache: neither could the refreshed token.
        Err(e) if crate::sys::guard::as_unsafe(&e).is_none() && crate::sys::fs::write_cause(&e).0 != "cache_write" => {
            let mut st = SessionState::load(&state_path);
            let outcome = unsaved(target, &e, &token, None, &mut st, now);
            save_state(&st, &state_path);
            log_round(settings, target, 0, Duration::ZERO, &outcome, None);
            return outcome;
        }
        Err(e) => return Outcome::Broken { reason: format!("cannot lock {}: {e}", lock_path.display()) },
    };
    // Temp files of writers killed mid-write. Here, when a refresh is due and under its lock,
    // so the no-op path never lists a directory.
    crate::sys::fs::remove_stale_temps(crate::sys::guard::parent(&target.cache_path));
    crate::sys::fs::remove_stale_temps_under(&settings.state_dir);
    // A round ends early when the cache changed under it (a new login, another program's
    // refresh); the next one starts from what the cache holds then.
    for _ in 0..MAX_ROUNDS {
        match round(target, cfg, settings, seen, &state_path, threshold) {
            Round::Done(outcome) => return outcome,
            Round::Again => {}
        }
    }
    let expires = CachedToken::read(&target.cache_path).ok().flatten().map(|t| t.expires());
    Outcome::Transient {
        class: "cache_changing".into(),
        reason: "another program kept rewriting the token cache during the refresh; it was left as it is".into(),
        expires,
    }
}

/// Refreshes at most this many times in one run: once, and once more when the cache changed
/// under the first request.
const MAX_ROUNDS: usize = 2;

enum Round {
    Done(Outcome),
    /// The cache changed during the request; what this round found is not used.
    Again,
}

/// One refresh under the lock: read the cache again, check it, prepare the write, ask, save.
fn round(
    target: &Target,
    cfg: &AwsConfig,
    settings: &Settings,
    seen: &mut Seen,
    state_path: &std::path::Path,
    threshold: chrono::Duration,
) -> Round {
    // Another process may have refreshed, or a new login landed, while we waited.
    let now = settings.clock.now();
    let token = match CachedToken::read(&target.cache_path) {
        Ok(Some(t)) => t,
        Ok(None) => return Round::Done(Outcome::NotLoggedIn),
        Err(e) => return Round::Done(broken_cache(target, &e)),
    };
    seen.login = Some(login_fingerprint(&token));
    let mut st = SessionState::load(state_path);
    if token.expires() - st.endpoint_now(&token.expires_at, now) > threshold && !forced(settings, &token) {
        return Round::Done(Outcome::Fresh { expires: token.expires() });
    }
    if let Some(o) = local_obstacle(target, &token, &st, now) {
        return Round::Done(o);
    }
    let (Some(refresh_token), Some(client_id), Some(client_secret)) =
        (&token.refresh_token, &token.client_id, &token.client_secret)
    else {
        // local_obstacle() has ruled this out; answer sensibly all the same.
        return Round::Done(Outcome::Relogin {
            class: "no_refresh_token".into(),
            reason: "the cache holds no refresh token".into(),
        });
    };
    st.session = Some(target.name.clone());

    // The SSO region is the session's sso_region; the token's own region is the next best.
    let Some(region) = target.sso_region(&cfg.path, Some(&token)) else {
        return Round::Done(Outcome::Broken {
            reason: format!("no sso_region for {} in the AWS config; add it", target.label()),
        });
    };
    // Endpoint settings live in profiles, which a sessions-only config lacks.
    let cfg = match cfg.full() {
        Ok(c) => c,
        Err(e) => return Round::Done(Outcome::Broken { reason: e.to_string() }),
    };
    let aws = settings.aws.get();
    let context = target.context_in(&cfg, aws.profile.as_deref());
    let (url, source) = match endpoint::resolve(Service::SsoOidc, &region, context, &cfg, |k| aws.var(k)) {
        Ok(r) => r,
        Err(e) => return Round::Done(Outcome::Broken { reason: e.to_string() }),
    };
    // The answer may replace the refresh token, and then the old one is spent: prove the new
    // one can be saved before asking for it.
    let mut staged = match Staged::through_own_link(&target.cache_path, token.reserve()) {
        Ok(s) => s,
        Err(e) => {
            let outcome = unsaved(target, &e, &token, None, &mut st, now);
            save_state(&st, state_path);
            log_round(settings, target, 0, Duration::ZERO, &outcome, None);
            return Round::Done(outcome);
        }
    };
    log::debug!("{}: refreshing at {url} ({source})", target.label());
    let client = match http::client(settings.http, &aws.proxy) {
        Ok(c) => c,
        Err(e @ http::ClientError::Proxy { .. }) => return Round::Done(Outcome::Broken { reason: e.to_string() }),
        Err(e) => {
            return Round::Done(Outcome::Transient {
                class: "tls".into(),
                reason: e.to_string(),
                expires: Some(token.expires()),
            })
        }
    };

    let started = Instant::now();
    let (result, attempt) =
        retry::run(&target.label(), settings.max_retry_attempts, settings.retry_backoff, settings.on_retry, || {
            let sent_at = settings.clock.now();
            oidc::refresh(&client, &url, client_id, client_secret, refresh_token)
                .map(|r| (r, sent_at, settings.clock.now()))
        });
    let skew = result.as_ref().ok().and_then(|(r, sent, received)| Some(clock::skew(*sent, *received, r.server_date?)));
    seen.clock_skew = skew;
    // Never an expiry beyond the endpoint's view: with the local clock ahead, counted from the
    // endpoint's time. (Behind, the local clock counts it: every tool here judges it by that.)
    let ahead = skew.filter(|s| *s > chrono::TimeDelta::zero()).unwrap_or_default();
    let result = result.map(|(r, sent_at, _)| (r, sent_at - ahead));
    let elapsed = started.elapsed();
    log::debug!("{}: {attempt} attempt(s) in {elapsed:?}", target.label());
    let now = settings.clock.now();
    let superseded = |why: &str| {
        log::info!("{}: {why}; keeping what the cache holds now", target.label());
        log_round(settings, target, attempt, elapsed, &Outcome::Fresh { expires: token.expires() }, None);
        Round::Again
    };
    let outcome = match result {
        Ok((response, sent_at)) => {
            let new = renewed(&token, response, sent_at);
            let rotated = new.refresh_token != token.refresh_token;
            if let Err(e) = staged.fill(&new.to_bytes()) {
                unsaved(target, &e, &token, Some(rotated), &mut st, now)
            } else if changed(&target.cache_path, &token) {
                // The last look before the rename, with nothing slow in between: a login holds
                // the lock to write, but the SDKs take none. What they wrote wins.
                drop(staged);
                return superseded("the cache changed during the refresh");
            } else {
                // A cache another program holds open is rewritten in place if it still holds
                // the token refreshed; failing that, the new token is kept for the next run.
                match staged.commit_or_rewrite(|bytes| holds(bytes, &token)) {
                    Err(NotReplaced::Changed) => return superseded("the cache changed during the refresh"),
                    Err(NotReplaced::Failed { staged, error }) => {
                        keep(target, staged, &error, new, &token, rotated, &mut st, now)
                    }
                    Ok(how) => {
                        if how == Replaced::InPlace {
                            log::info!(
                                "{}: the cache was open in another program; rewrote it in place",
                                target.label()
                            );
                        }
                        if let Some(skew) = skew {
                            st.record_skew(now, skew);
                        }
                        st.record_success(now, &new.expires_at);
                        // Our own rotation of the refresh token is not a new login.
                        st.seen_login = Some(login_fingerprint(&new));
                        Outcome::Refreshed { expires: new.expires(), attempts: attempt }
                    }
                }
            }
        }
        Err(OidcError::Relogin { code, description }) => {
            drop(staged);
            if replaced_meanwhile(&target.cache_path, &token) {
                return superseded(&format!(
                    "the refresh was rejected ({code}), but another program had just replaced the refresh token"
                ));
            }
            let detail = description.map(|d| format!(": {d}")).unwrap_or_default();
            // The session has ended (not a registration problem): one more observed length.
            if matches!(code.as_str(), "invalid_grant" | "expired_token") {
                st.record_session_end(now, horizon::KEPT, horizon::SHORTEST);
            }
            st.record_rejected(now, refresh_token.fingerprint(), code.clone());
            Outcome::Relogin {
                class: code.clone(),
                reason: format!("the refresh was rejected ({code}{detail}); the Identity Center session has ended"),
            }
        }
        Err(OidcError::Transient { kind, message }) => {
            drop(staged);
            // A login that landed during the request: no back-off for the old token.
            if changed(&target.cache_path, &token) {
                return superseded("the cache changed during the refresh");
            }
            st.record_transient(now, kind.as_str().to_string(), Some(message.clone()));
            let tries = if attempt > 1 { format!(" after {attempt} attempts") } else { String::new() };
            Outcome::Transient {
                class: kind.as_str().into(),
                reason: format!("refresh failed{tries}: {message}"),
                expires: Some(token.expires()),
            }
        }
    };
    save_state(&st, state_path);
    log_round(settings, target, attempt, elapsed, &outcome, skew);
    Round::Done(outcome)
}

/// The cached token with what CreateToken answered.
fn renewed(token: &CachedToken, response: oidc::TokenResponse, sent_at: DateTime<Utc>) -> CachedToken {
    // parse_token_response bounds expires_in, so this cannot overflow.
    let expires = sent_at + chrono::Duration::seconds(response.expires_in);
    let mut new = token.clone();
    new.access_token = response.access_token;
    new.expires_at = timefmt::format(expires);
    // Some SDKs reject other forms (smithy-rs: offsets; Go: `UTC`): written as `…SSZ`.
    if let Some(r) = new.registration_expires() {
        new.registration_expires_at = Some(timefmt::format(r));
    }
    // botocore drops the field when the answer has none, which breaks the next refresh.
    if let Some(rt) = response.refresh_token {
        new.refresh_token = Some(rt);
    }
    new
}

/// Whether the cache no longer holds `token` (changed, removed, or unreadable now).
fn changed(path: &std::path::Path, token: &CachedToken) -> bool {
    !matches!(CachedToken::read(path), Ok(Some(current)) if current == *token)
}

/// Pauses while looking for another program's write after a rejection: 750 ms in all.
const ROTATION_PAUSES: [Duration; 4] =
    [Duration::from_millis(50), Duration::from_millis(100), Duration::from_millis(200), Duration::from_millis(400)];

/// After a rejected refresh token: whether another program has put a different one in the
/// cache, or removed the cache. An SDK that used the same refresh token a moment before us got
/// the rotated one and writes it just after our answer came, so this looks at once and again
/// after short pauses. The new token was never sent: it is not the one rejected.
fn replaced_meanwhile(path: &std::path::Path, sent: &CachedToken) -> bool {
    for pause in std::iter::once(Duration::ZERO).chain(ROTATION_PAUSES) {
        std::thread::sleep(pause);
        match CachedToken::read(path) {
            Ok(Some(current)) if current.refresh_token != sent.refresh_token => return true,
            Ok(None) => return true,
            _ => {}
        }
    }
    false
}

/// One activity-log line per refresh round that ended (`attempts` 0: no request was made).
/// `skew`: what the endpoint's `Date` showed of the local clock, noted on a refresh that went
/// through when it is beyond the margin.
fn log_round(
    settings: &Settings,
    target: &Target,
    attempts: u32,
    elapsed: Duration,
    outcome: &Outcome,
    skew: Option<chrono::TimeDelta>,
) {
    let mut e = Entry::new("refresh", &target.name, settings.clock.now());
    e.attempts = Some(attempts);
    e.duration_ms = Some(elapsed.as_millis() as u64);
    match outcome {
        Outcome::Refreshed { expires, .. } => {
            e.outcome = Some("ok".into());
            e.expires_at = Some(timefmt::format(*expires));
            e.message = skew.and_then(skew_warning);
        }
        Outcome::Relogin { class, reason } => {
            e.outcome = Some("relogin".into());
            e.error_class = Some(class.clone());
            e.message = Some(reason.clone());
        }
        Outcome::Transient { class, reason, .. } => {
            e.outcome = Some("transient".into());
            e.error_class = Some(class.clone());
            e.message = Some(reason.clone());
        }
        Outcome::Broken { reason } => {
            e.outcome = Some("broken".into());
            e.message = Some(reason.clone());
        }
        Outcome::Fresh { .. } | Outcome::NotLoggedIn => {
            e.outcome = Some("superseded".into());
            e.message = Some(
                "the cache changed during the refresh (a new login, or another program's refresh); kept it".into(),
            );
        }
    }
    settings.log.append(&e);
}

fn save_state(st: &SessionState, path: &std::path::Path) {
    // Losing the state costs at most an extra request later; it never fails the refresh.
    if let Err(e) = st.save(path) {
        log::warn!("cannot save {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::target::Kind;
    use std::path::PathBuf;

    fn target() -> Target {
        Target {
            name: "corp".into(),
            kind: Kind::Session,
            start_url: None,
            region: None,
            cache_key: "k".into(),
            cache_path: PathBuf::from("/c/k.json"),
            profiles: vec![],
            via: None,
        }
    }

    #[test]
    fn a_cache_that_cannot_be_written_is_transient_with_the_real_cause() {
        let token = CachedToken::from_slice(
            std::path::Path::new("k.json"),
            br#"{"accessToken": "a", "expiresAt": "2030-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        let now = Utc::now();
        let fails = |e: std::io::Error, rotated| {
            let mut st = SessionState::default();
            (unsaved(&target(), &e, &token, rotated, &mut st, now), st)
        };
        let (busy, st) = fails(std::io::Error::from(std::io::ErrorKind::ResourceBusy), Some(false));
        assert!(matches!(&busy, Outcome::Transient { class, .. } if class == "cache_busy"), "{busy:?}");
        assert_eq!(busy.exit_code(), EXIT_TRANSIENT);
        assert_eq!(st.backoff_until, None, "a busy file may be replaced on the next run");
        let line = busy.problem(&target(), now).unwrap();
        assert!(line.contains("corp") && line.contains("not be saved") && line.contains("will try again"), "{line}");
        #[cfg(unix)]
        for (errno, class, words) in [
            (libc::ENOSPC, "disk_full", "the disk is full"),
            (libc::EROFS, "read_only", "read-only"),
            (libc::EACCES, "no_permission", "permission denied"),
        ] {
            let (o, st) = fails(std::io::Error::from_raw_os_error(errno), None);
            assert!(matches!(&o, Outcome::Transient { class: c, .. } if c == class), "{o:?}");
            let line = o.problem(&target(), now).unwrap();
            assert!(line.contains(words) && line.contains("no refresh was attempted"), "{line}");
            assert!(st.backoff_until().is_some(), "{class}: backs off");
        }
        let (after, _) = fails(std::io::Error::from(std::io::ErrorKind::PermissionDenied), Some(true));
        let line = after.problem(&target(), now).unwrap();
        assert!(line.contains("replaced the refresh token"), "{line}");
        let unsafe_dir: std::io::Error =
            crate::sys::guard::Unsafe::OpenDir { path: PathBuf::from("/c"), mode: 0o777 }.into();
        assert!(matches!(fails(unsafe_dir, None).0, Outcome::Broken { .. }), "an unsafe directory needs the user");
    }

    /// The engine on its own: no notification settings, no network for a fresh token; the
    /// report says what a caller would notify about.
    #[test]
    fn runs_and_reports_without_anything_above_it() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let settings = Settings {
            threshold: Duration::from_secs(1200),
            max_retry_attempts: 0,
            retry_backoff: Duration::ZERO,
            on_retry: None,
            http: HttpSettings { connect_timeout: Duration::from_secs(1), timeout: Duration::from_secs(1) },
            auto: false,
            state_dir: dir.path().join("state"),
            log: ActivityLog {
                path: dir.path().join("activity.log"),
                limits: crate::engine::activity::Limits { max_size: 0, max_files: 1 },
            },
            aws: AwsEnvCell::default(),
            clock: Clock::starting_at(now),
            force_if: None,
            horizon: horizon::Settings::default(),
        };
        let t = Target { cache_path: dir.path().join("k.json"), ..target() };
        let cfg = AwsConfig::parse("").unwrap();
        assert_eq!(
            run(&t, &cfg, &settings),
            Report {
                outcome: Outcome::NotLoggedIn,
                login_detected: false,
                login: None,
                clock_skew: None,
                horizon: None
            }
        );

        let expires = timefmt::format(now + chrono::Duration::hours(8));
        let token = format!(r#"{{"accessToken": "a", "expiresAt": "{expires}", "refreshToken": "r"}}"#);
        std::fs::write(&t.cache_path, token).unwrap();
        let first = run(&t, &cfg, &settings);
        assert!(matches!(first.outcome, Outcome::Fresh { .. }), "{first:?}");
        assert!(first.login_detected, "a login ssofresh has not seen");
        assert_eq!(first.login, Some(crate::sys::secret::Secret::new("r").fingerprint()));
        let again = run(&t, &cfg, &settings);
        assert!(!again.login_detected && again.login == first.login, "{again:?}");
        let log = std::fs::read_to_string(&settings.log.path).unwrap();
        assert_eq!(log.lines().count(), 1, "one login_detected line: {log}");
    }
}
