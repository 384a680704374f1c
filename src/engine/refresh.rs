//! The engine: decide whether a token is due, and refresh it once, under the lock. It reports
//! what it found and did; telling the user (notifications) is the caller's business.

use crate::aws::config::AwsConfig;
use crate::aws::endpoint::{self, Service};
use crate::aws::env::AwsEnv;
use crate::aws::http::{self, HttpSettings};
use crate::aws::oidc::{self, OidcError};
use crate::aws::token_cache::{CacheError, CachedToken};
use crate::engine::activity::{ActivityLog, Entry};
use crate::engine::retry;
use crate::engine::state::{self, SessionState};
use crate::engine::target::Target;
use crate::error::{EXIT_OK, EXIT_RELOGIN, EXIT_TRANSIENT, EXIT_USAGE};
use crate::sys::clock::Clock;
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
    /// The active profile and the endpoint overrides.
    pub aws: AwsEnv,
    pub clock: Clock,
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

fn broken_cache(target: &Target, e: &CacheError) -> Outcome {
    let reason = match e {
        CacheError::Read { .. } | CacheError::Write { .. } => format!("{e}; check the file's owner and mode"),
        // Names the path and the fix already.
        CacheError::Unsafe(_) => e.to_string(),
        _ => format!("unusable token cache: {e}; delete it and log in again ({})", target.login_command()),
    };
    Outcome::Broken { reason }
}

/// A refreshed token that could not be saved. When the cache file was only busy (Windows will
/// not replace a file another program is reading), the old file is still whole and the next
/// run refreshes again: transient, with no back-off. Anything else needs the user.
fn write_failed(target: &Target, e: &CacheError, token: &CachedToken) -> Outcome {
    if e.is_busy() {
        return Outcome::Transient {
            class: "cache_busy".into(),
            reason: format!(
                "the refreshed token was not saved: {} is open in another program (or not writable); the file is unchanged",
                target.cache_path.display()
            ),
            expires: Some(token.expires()),
        };
    }
    broken_cache(target, e)
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
                "token {}; legacy SSO profiles (sso_start_url in the profile) get no refresh token — move it to an [sso-session] (aws configure sso-session)",
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

/// Checks one target and refreshes it when due. Never panics on bad input; every failure is an
/// `Outcome` that leaves the cache as it was.
pub fn run(target: &Target, cfg: &AwsConfig, settings: &Settings) -> Report {
    let mut seen = Seen::default();
    let outcome = evaluate(target, cfg, settings, &mut seen);
    Report { outcome, login_detected: seen.login_detected, login: seen.login }
}

/// What `evaluate` noticed besides its outcome.
#[derive(Default)]
struct Seen {
    login_detected: bool,
    /// Fingerprint of the login in the cache, when it could be read.
    login: Option<String>,
}

/// The refresh token identifies a login; without one, the access token does.
pub fn login_fingerprint(token: &CachedToken) -> String {
    token.refresh_token.as_ref().unwrap_or(&token.access_token).fingerprint()
}

/// Notices a login that is new to ssofresh, and resets what the old one left behind (rejected
/// token, back-off). Skipped when another process holds the lock: that one will notice it.
fn detect_login(
    target: &Target,
    token: &CachedToken,
    fingerprint: &str,
    settings: &Settings,
    state_path: &std::path::Path,
) -> bool {
    if SessionState::load(state_path).seen_login.as_deref() == Some(fingerprint) {
        return false;
    }
    let lock_path = lock::lock_path(&settings.state_dir, &target.cache_key);
    let Ok(Some(_lock)) = lock::acquire(&lock_path, Duration::ZERO) else { return false };
    let mut st = SessionState::load(state_path);
    if st.seen_login.as_deref() == Some(fingerprint) {
        return false;
    }
    let written: DateTime<Utc> = std::fs::metadata(&target.cache_path)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(|_| settings.clock.now());
    st.session = Some(target.name.clone());
    st.record_login(fingerprint.to_string(), written);
    save_state(&st, state_path);
    let mut e = Entry::new("login_detected", &target.name, settings.clock.now());
    e.expires_at = Some(token.expires_at.clone());
    settings.log.append(&e);
    log::info!("{}: new login detected", target.label());
    true
}

fn evaluate(target: &Target, cfg: &AwsConfig, settings: &Settings, seen: &mut Seen) -> Outcome {
    let now = settings.clock.now();
    let token = match CachedToken::read(&target.cache_path) {
        Ok(Some(t)) => t,
        Ok(None) => return Outcome::NotLoggedIn,
        Err(e) => return broken_cache(target, &e),
    };
    let state_path = state::state_path(&settings.state_dir, &target.cache_key);
    let fingerprint = login_fingerprint(&token);
    seen.login_detected = detect_login(target, &token, &fingerprint, settings, &state_path);
    seen.login = Some(fingerprint);
    let threshold = chrono::Duration::from_std(settings.threshold).unwrap_or(chrono::Duration::MAX);
    if token.expires() - now > threshold {
        return Outcome::Fresh { expires: token.expires() };
    }
    let st = SessionState::load(&state_path);
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

    let lock_path = lock::lock_path(&settings.state_dir, &target.cache_key);
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
        Err(e) => return Outcome::Broken { reason: format!("cannot lock {}: {e}", lock_path.display()) },
    };
    // Another process may have refreshed, or a new login landed, while we waited.
    let now = settings.clock.now();
    let token = match CachedToken::read(&target.cache_path) {
        Ok(Some(t)) => t,
        Ok(None) => return Outcome::NotLoggedIn,
        Err(e) => return broken_cache(target, &e),
    };
    seen.login = Some(login_fingerprint(&token));
    if token.expires() - now > threshold {
        return Outcome::Fresh { expires: token.expires() };
    }
    let mut st = SessionState::load(&state_path);
    if let Some(o) = local_obstacle(target, &token, &st, now) {
        return o;
    }
    let (Some(refresh_token), Some(client_id), Some(client_secret)) =
        (&token.refresh_token, &token.client_id, &token.client_secret)
    else {
        // local_obstacle() has ruled this out; answer sensibly all the same.
        return Outcome::Relogin {
            class: "no_refresh_token".into(),
            reason: "the cache holds no refresh token".into(),
        };
    };
    st.session = Some(target.name.clone());

    // The SSO region is the session's sso_region; the token's own region is the next best.
    let Some(region) = target.region.as_deref().or(token.region.as_deref()) else {
        return Outcome::Broken { reason: format!("no sso_region for {} in the AWS config; add it", target.label()) };
    };
    // Endpoint settings live in profiles, which a sessions-only config lacks.
    let cfg = match cfg.full() {
        Ok(c) => c,
        Err(e) => return Outcome::Broken { reason: e.to_string() },
    };
    let context = target.context_in(&cfg, settings.aws.profile.as_deref());
    let (url, source) = match endpoint::resolve(Service::SsoOidc, region, context, &cfg, |k| settings.aws.var(k)) {
        Ok(r) => r,
        Err(e) => return Outcome::Broken { reason: e.to_string() },
    };
    log::debug!("{}: refreshing at {url} ({source})", target.label());
    let client = match http::client(settings.http) {
        Ok(c) => c,
        Err(e) => return Outcome::Transient { class: "tls".into(), reason: e, expires: Some(token.expires()) },
    };

    let started = Instant::now();
    let (result, attempt) =
        retry::run(&target.label(), settings.max_retry_attempts, settings.retry_backoff, settings.on_retry, || {
            let sent_at = settings.clock.now();
            oidc::refresh(&client, &url, client_id, client_secret, refresh_token).map(|r| (r, sent_at))
        });
    let elapsed = started.elapsed();
    log::debug!("{}: {attempt} attempt(s) in {elapsed:?}", target.label());
    // A login that landed during the request (a login gives up waiting for our lock) wins over
    // whatever this request found: no write, no state, no "log in again" for the old token.
    let superseded = !matches!(CachedToken::read(&target.cache_path), Ok(Some(current)) if current == token);
    let outcome = if superseded {
        log::info!("{}: the cache changed during the refresh; keeping the new contents", target.label());
        Outcome::Fresh { expires: token.expires() }
    } else {
        let o = conclude(target, result, &token, refresh_token, &mut st, attempt, settings.clock.now());
        save_state(&st, &state_path);
        o
    };
    let mut e = Entry::new("refresh", &target.name, settings.clock.now());
    e.attempts = Some(attempt);
    e.duration_ms = Some(elapsed.as_millis() as u64);
    match &outcome {
        Outcome::Refreshed { expires, .. } => {
            e.outcome = Some("ok".into());
            e.expires_at = Some(timefmt::format(*expires));
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
            e.message = Some("a new login landed during the refresh".into());
        }
    }
    settings.log.append(&e);
    outcome
}

/// Writes the refreshed token, or records why there is none.
fn conclude(
    target: &Target,
    result: Result<(oidc::TokenResponse, DateTime<Utc>), OidcError>,
    token: &CachedToken,
    refresh_token: &crate::sys::secret::Secret,
    st: &mut SessionState,
    attempt: u32,
    now: DateTime<Utc>,
) -> Outcome {
    match result {
        Ok((response, sent_at)) => {
            // parse_token_response bounds expires_in, so this cannot overflow.
            let expires = sent_at + chrono::Duration::seconds(response.expires_in);
            let mut new = token.clone();
            new.access_token = response.access_token;
            new.expires_at = timefmt::format(expires);
            // botocore drops the field when the answer has none, which breaks the next refresh.
            if let Some(rt) = response.refresh_token {
                new.refresh_token = Some(rt);
            }
            if let Err(e) = new.write(&target.cache_path) {
                return write_failed(target, &e, token);
            }
            st.record_success(now, &new.expires_at);
            // Our own rotation of the refresh token is not a new login.
            st.seen_login = Some(login_fingerprint(&new));
            Outcome::Refreshed { expires: new.expires(), attempts: attempt }
        }
        Err(OidcError::Relogin { code, description }) => {
            let detail = description.map(|d| format!(": {d}")).unwrap_or_default();
            st.record_rejected(now, refresh_token.fingerprint(), code.clone());
            Outcome::Relogin {
                class: code.clone(),
                reason: format!("the refresh was rejected ({code}{detail}); the Identity Center session has ended"),
            }
        }
        Err(OidcError::Transient { kind, message }) => {
            st.record_transient(now, kind.as_str().to_string(), Some(message.clone()));
            let tries = if attempt > 1 { format!(" after {attempt} attempts") } else { String::new() };
            Outcome::Transient {
                class: kind.as_str().into(),
                reason: format!("refresh failed{tries}: {message}"),
                expires: Some(token.expires()),
            }
        }
    }
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
    fn a_busy_cache_file_is_transient_and_others_are_broken() {
        let token = CachedToken::from_slice(
            std::path::Path::new("k.json"),
            br#"{"accessToken": "a", "expiresAt": "2030-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        let write = |kind| CacheError::Write { path: PathBuf::from("/c/k.json"), source: std::io::Error::from(kind) };
        let busy = write_failed(&target(), &write(std::io::ErrorKind::ResourceBusy), &token);
        assert!(matches!(&busy, Outcome::Transient { class, .. } if class == "cache_busy"), "{busy:?}");
        assert_eq!(busy.exit_code(), EXIT_TRANSIENT);
        let line = busy.problem(&target(), Utc::now()).unwrap();
        assert!(line.contains("corp") && line.contains("not saved") && line.contains("will try again"), "{line}");
        let denied = write_failed(&target(), &write(std::io::ErrorKind::PermissionDenied), &token);
        assert!(matches!(denied, Outcome::Broken { .. }), "{denied:?}");
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
            aws: AwsEnv::default(),
            clock: Clock::starting_at(now),
        };
        let t = Target { cache_path: dir.path().join("k.json"), ..target() };
        let cfg = AwsConfig::parse("").unwrap();
        assert_eq!(
            run(&t, &cfg, &settings),
            Report { outcome: Outcome::NotLoggedIn, login_detected: false, login: None }
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
