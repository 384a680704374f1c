//! Role credentials for a profile: from the shared cache while they last, else from the SSO
//! portal with a token made fresh first — one fetch per role, however many callers ask at once.
//! A token refresh on the way is reported to the caller, which notifies about it.

use crate::aws::config::AwsConfig;
use crate::aws::endpoint::{self, Region, Service};
use crate::aws::http;
use crate::aws::portal::{self, PortalError, RoleCredentials};
use crate::aws::role_cache::{self, Origin};
use crate::aws::token_cache::{CacheError, CachedToken};
use crate::engine::activity::Entry;
use crate::engine::refresh::{self, Outcome, Report, Settings};
use crate::engine::retry;
use crate::engine::target::{self, Kind, Target};
use crate::error::{Error, EXIT_RELOGIN, EXIT_TRANSIENT, EXIT_USAGE};
use crate::sys::lock;
use crate::sys::secret::Secret;
use crate::text::shown::shown;
use crate::text::timefmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A token needs this much life left to be worth sending.
const MIN_TOKEN_LIFE: i64 = 10;

/// Which role, through which token.
#[derive(Debug, Clone)]
pub struct RoleSpec {
    pub target: Target,
    /// The profile it was named by, if any (messages name it).
    pub profile: Option<String>,
    pub account_id: String,
    pub role_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("{source}{hint}")]
    Config { source: Error, hint: String },
    #[error("{label} has no {missing} — {fix}")]
    Incomplete { label: String, missing: String, fix: String },
    #[error("{label}: not logged in (no token for {session}) — run: {login}")]
    NotLoggedIn { label: String, session: String, login: String },
    #[error("{label}: {reason} — run: {login}")]
    Relogin { label: String, reason: String, login: String },
    #[error("{label}: {source} — check that IAM Identity Center assigns you this role, and the account and role name ({fix})")]
    Refused { label: String, source: Box<PortalError>, fix: String },
    #[error("{label}: {reason}; try again later")]
    Transient { label: String, reason: String },
    #[error("{label}: {reason}")]
    Broken { label: String, reason: String },
}

impl RoleError {
    pub fn exit_code(&self) -> u8 {
        match self {
            RoleError::Config { .. }
            | RoleError::Incomplete { .. }
            | RoleError::Refused { .. }
            | RoleError::Broken { .. } => EXIT_USAGE,
            RoleError::NotLoggedIn { .. } | RoleError::Relogin { .. } => EXIT_RELOGIN,
            RoleError::Transient { .. } => EXIT_TRANSIENT,
        }
    }
}

fn config_error(e: Error) -> RoleError {
    let hint = match &e {
        Error::UnknownProfile { .. } => " — check the profile name".to_string(),
        Error::NotSso(p) => format!(
            " — give [profile {p}] sso_session, sso_account_id and sso_role_name (ssofresh configure profiles lists what you can reach)"
        ),
        Error::MissingSession { session, .. } => {
            format!(" — add it with: {}", crate::engine::target::session_setup_command(Some(session)))
        }
        _ => String::new(),
    };
    RoleError::Config { source: e, hint }
}

/// The one target a single name selects.
fn first(selected: Result<Vec<Target>, Error>) -> Result<Target, RoleError> {
    selected
        .map_err(config_error)?
        .into_iter()
        .next()
        .ok_or_else(|| config_error(Error::Usage("nothing selected".into())))
}

impl RoleSpec {
    /// From a profile (its `sso_account_id`/`sso_role_name`, unless `account`/`role` override
    /// them), or from an sso-session plus both.
    pub fn resolve(
        cfg: &AwsConfig,
        profile: Option<&str>,
        session: Option<&str>,
        account: Option<&str>,
        role: Option<&str>,
        token_dir: &Path,
    ) -> Result<RoleSpec, RoleError> {
        let nonempty = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let (target, profile, from_profile) = match (nonempty(profile), nonempty(session)) {
            (Some(name), _) => {
                let t = first(target::select(cfg, &[], std::slice::from_ref(&name), token_dir))?;
                let p = cfg.profile(&name).cloned().unwrap_or_default();
                (t, Some(name), Some(p))
            }
            (None, Some(name)) => {
                (first(target::select(cfg, std::slice::from_ref(&name), &[], token_dir))?, None, None)
            }
            (None, None) => return Err(config_error(Error::Usage(
                "name a profile: --profile NAME (or AWS_PROFILE), or --session NAME with --account-id and --role-name"
                    .into(),
            ))),
        };
        let label = match &profile {
            Some(p) => format!("profile {}", shown(p)),
            None => format!("sso-session {}", shown(&target.name)),
        };
        let account_id = nonempty(account).or_else(|| from_profile.as_ref().and_then(|p| p.sso_account_id.clone()));
        let role_name = nonempty(role).or_else(|| from_profile.as_ref().and_then(|p| p.sso_role_name.clone()));
        let fix = |key: &str, flag: &str| match &profile {
            Some(p) => format!("add {key} to [profile {p}] in {}, or pass {flag}", cfg.path.display()),
            None => format!("pass {flag}"),
        };
        let (account_id, role_name) = match (account_id, role_name) {
            (Some(a), Some(r)) => (a, r),
            (None, Some(_)) => {
                return Err(RoleError::Incomplete {
                    label,
                    missing: "sso_account_id".into(),
                    fix: fix("sso_account_id", "--account-id"),
                })
            }
            (Some(_), None) => {
                return Err(RoleError::Incomplete {
                    label,
                    missing: "sso_role_name".into(),
                    fix: fix("sso_role_name", "--role-name"),
                })
            }
            (None, None) => {
                return Err(RoleError::Incomplete {
                    label,
                    missing: "sso_account_id and sso_role_name".into(),
                    fix: fix("sso_account_id and sso_role_name", "--account-id and --role-name"),
                })
            }
        };
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RoleError::Incomplete {
                label,
                missing: format!("valid account ID ({account_id:?} is not 12 digits)"),
                fix: fix("the 12-digit sso_account_id", "--account-id"),
            });
        }
        Ok(RoleSpec { target, profile, account_id, role_name })
    }

    /// `profile dev`, or `sso-session corp` when named without a profile.
    pub fn label(&self) -> String {
        match &self.profile {
            Some(p) => format!("profile {}", shown(p)),
            None => format!(
                "sso-session {} (account {}, role {})",
                shown(&self.target.name),
                shown(&self.account_id),
                shown(&self.role_name)
            ),
        }
    }

    /// The AWS CLI v2's cache key for this role.
    pub fn cache_key(&self) -> String {
        let origin = match (&self.target.kind, &self.target.start_url) {
            (Kind::Legacy { .. }, Some(url)) => Origin::StartUrl(url),
            _ => Origin::Session(&self.target.name),
        };
        role_cache::cache_key(&self.account_id, &self.role_name, origin)
    }

    fn session_label(&self) -> String {
        session_label(&self.target)
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Reuse cached credentials until less than this is left.
    pub window: Duration,
    pub use_cache: bool,
    pub cache_dir: PathBuf,
    /// Token refresh and HTTP settings.
    pub settings: Settings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cache,
    Portal,
}

#[derive(Debug)]
pub struct Fetched {
    pub creds: RoleCredentials,
    pub source: Source,
    /// The credentials are good, but could not be cached.
    pub cache_warning: Option<String>,
}

/// Credentials for `spec`: cached ones with at least `window` left, else fresh ones from the
/// portal (refreshing the token first when it is inside the threshold), cached for the next
/// caller. Never logs in: when a login is needed, the error says which command to run. A token
/// refresh, if one ran, goes to `refreshed` (on success and failure alike).
pub fn credentials(
    spec: &RoleSpec,
    cfg: &AwsConfig,
    opts: &Options,
    refreshed: &mut dyn FnMut(&Report),
) -> Result<Fetched, RoleError> {
    // A region that could name another host is refused before anything is touched, the role
    // cache's lock file included. The plain test first: a cached answer pays for no message.
    if spec.target.region.as_deref().is_some_and(|r| !endpoint::is_region_name(r)) {
        if let Some(Err(e)) = spec.target.sso_region(&cfg.path, None).map(|r| endpoint::check_region(&r)) {
            return Err(RoleError::Broken { label: spec.label(), reason: e.to_string() });
        }
    }
    let key = spec.cache_key();
    let path = role_cache::path(&opts.cache_dir, &key);
    let cached = || {
        role_cache::read(&path, &spec.account_id)
            .filter(|c| role_cache::usable(c, opts.window, opts.settings.clock.now()))
            .map(|creds| Fetched { creds, source: Source::Cache, cache_warning: None })
    };
    if !opts.use_cache {
        let creds = fetch(spec, cfg, &opts.settings, refreshed)?;
        return Ok(Fetched { creds, source: Source::Portal, cache_warning: None });
    }
    if let Some(hit) = cached() {
        return Ok(hit);
    }
    // One fetch per role: whoever holds the lock fetches; the others then find its result. The
    // lock sits beside the cache entry, shared by every ssofresh that shares the cache.
    let lock_path = lock::beside(&path);
    let _lock = match lock::acquire(&lock_path, opts.settings.http.timeout) {
        Ok(Some(l)) => Some(l),
        Ok(None) => {
            return Err(RoleError::Transient {
                label: spec.label(),
                reason: "another ssofresh process is still fetching these credentials".into(),
            })
        }
        Err(e) if crate::sys::guard::as_unsafe(&e).is_some() => {
            return Err(RoleError::Broken {
                label: spec.label(),
                reason: format!("cannot lock {}: {e}", lock_path.display()),
            })
        }
        // The lock only saves requests: without one (a full or read-only cache directory, a
        // file system without locks) the credentials are fetched all the same, and the
        // failure to cache them is reported below.
        Err(e) => {
            log::info!("{}: cannot lock {}: {e}; fetching without the lock", spec.label(), lock_path.display());
            None
        }
    };
    if let Some(hit) = cached() {
        log::debug!("{}: another process fetched the credentials meanwhile", spec.label());
        return Ok(hit);
    }
    // Temp files of writers killed mid-write; only on this path, never on a cache hit.
    crate::sys::fs::remove_stale_temps(&opts.cache_dir);
    let creds = fetch(spec, cfg, &opts.settings, refreshed)?;
    // Nothing is lost when this fails (a reader holding the file open on Windows, a full
    // disk): the credentials are served all the same, and the next call fetches new ones.
    let cache_warning = role_cache::write(&path, &creds).err().map(|e| {
        format!(
            "{}: cannot cache the credentials in {}: {}; they were delivered all the same, and the next call fetches new ones",
            spec.label(),
            path.display(),
            match crate::sys::guard::as_unsafe(&e) {
                Some(u) => u.to_string(),
                None => crate::sys::fs::write_cause(&e).1,
            }
        )
    });
    Ok(Fetched { creds, source: Source::Portal, cache_warning })
}

/// A token fresh enough to send, refreshed first when inside the threshold. When the refresh
/// fails but the token still works, it is used all the same, as the SDKs do. `label` names what
/// the token is for in messages (`profile dev`).
pub(crate) fn fresh_token(
    t: &Target,
    label: &str,
    cfg: &AwsConfig,
    settings: &Settings,
    refreshed: &mut dyn FnMut(&Report),
) -> Result<Secret, RoleError> {
    let label = label.to_string();
    let broken = |e: CacheError| RoleError::Broken { label: label.clone(), reason: refresh::cache_problem(t, &e) };
    let not_logged_in =
        || RoleError::NotLoggedIn { label: label.clone(), session: session_label(t), login: t.login_command() };
    // By the endpoint's time when the token was counted from it (the local clock far ahead).
    let usable = |tok: &CachedToken| {
        tok.expires() - refresh::endpoint_now(t, tok, settings) > chrono::Duration::seconds(MIN_TOKEN_LIFE)
    };
    let token = CachedToken::read(&t.cache_path).map_err(broken)?.ok_or_else(not_logged_in)?;
    let threshold = chrono::Duration::from_std(settings.threshold).unwrap_or(chrono::Duration::MAX);
    if token.expires() - settings.clock.now() > threshold {
        return Ok(token.access_token);
    }
    let mut s = settings.clone();
    // While the token still works, a refresh that keeps failing must not cost every call a
    // request (honour the back-off, as the prompt hook does), and an SDK must not wait through
    // retries for a refresh it does not need yet: one short attempt, as the SDKs make.
    if usable(&token) {
        s.auto = true;
        s.max_retry_attempts = 0;
        s.http.connect_timeout = s.http.connect_timeout.min(std::time::Duration::from_secs(2));
        s.http.timeout = s.http.timeout.min(std::time::Duration::from_secs(5));
    }
    let report = refresh::run(t, cfg, &s);
    refreshed(&report);
    let outcome = report.outcome;
    log::debug!("{label}: token refresh: {outcome:?}");
    let expired = |reason: String| RoleError::Relogin { label: label.clone(), reason, login: t.login_command() };
    match outcome {
        Outcome::Fresh { .. } | Outcome::Refreshed { .. } => {
            let now = CachedToken::read(&t.cache_path).map_err(broken)?.ok_or_else(not_logged_in)?;
            if usable(&now) {
                Ok(now.access_token)
            } else {
                Err(expired(format!("the {} token has expired", session_label(t))))
            }
        }
        Outcome::NotLoggedIn => Err(not_logged_in()),
        Outcome::Broken { reason } => Err(RoleError::Broken { label, reason }),
        Outcome::Relogin { reason, .. } | Outcome::Transient { reason, .. } if usable(&token) => {
            log::info!("{label}: refresh failed ({reason}); the token still works, using it");
            Ok(token.access_token)
        }
        Outcome::Relogin { reason, .. } => Err(expired(format!("{}: {reason}", session_label(t)))),
        Outcome::Transient { reason, .. } => Err(RoleError::Transient {
            label,
            reason: format!("the {} token has expired and {reason}", session_label(t)),
        }),
    }
}

/// `sso-session corp`, `legacy profile old`: the token's owner in messages.
pub(crate) fn session_label(t: &Target) -> String {
    match &t.kind {
        Kind::Session => format!("sso-session {}", shown(&t.name)),
        Kind::Legacy { profile } => format!("legacy profile {}", shown(profile)),
    }
}

/// `GetRoleCredentials` with a fresh token, retrying transient failures.
fn fetch(
    spec: &RoleSpec,
    cfg: &AwsConfig,
    settings: &Settings,
    refreshed: &mut dyn FnMut(&Report),
) -> Result<RoleCredentials, RoleError> {
    let label = spec.label();
    let token = fresh_token(&spec.target, &label, cfg, settings, refreshed)?;
    let t = &spec.target;
    let region = t.sso_region(&cfg.path, None).unwrap_or_else(|| Region::new("us-east-1", "the default region"));
    // Endpoint settings live in profiles and [services], which a partial config lacks.
    let cfg = cfg.full().map_err(config_error)?;
    let aws = settings.aws.get();
    let context = t.context_in(&cfg, aws.profile.as_deref());
    let (url, source) = endpoint::resolve(Service::Sso, &region, context, &cfg, |k| aws.var(k))
        .map_err(|e| RoleError::Broken { label: label.clone(), reason: e.to_string() })?;
    log::debug!(
        "{label}: GetRoleCredentials for role {} in account {} at {url} ({source})",
        spec.role_name,
        spec.account_id
    );
    let client = http::client(settings.http, &aws.proxy).map_err(|e| match e {
        http::ClientError::Proxy { .. } => RoleError::Broken { label: label.clone(), reason: e.to_string() },
        http::ClientError::Setup(_) => RoleError::Transient { label: label.clone(), reason: e.to_string() },
    })?;
    let call = |token: &Secret| {
        let started = Instant::now();
        let (result, attempt) =
            retry::run(&label, settings.max_retry_attempts, settings.retry_backoff, settings.on_retry, || {
                portal::get_role_credentials(&client, &url, &spec.account_id, &spec.role_name, token)
            });
        record(spec, &result, attempt, started.elapsed(), settings);
        (result, attempt)
    };
    let (mut result, mut attempt) = call(&token);
    if matches!(result, Err(PortalError::Unauthorized { .. })) {
        // The cache calls the token valid, yet the portal refused it (revoked early, or a clock
        // that is off): one refresh, forced, and one more try before asking for a login.
        if let Some(new) = refresh_refused(&spec.target, &spec.label(), &cfg, settings, &token, refreshed) {
            (result, attempt) = call(&new);
        }
    }
    result.map_err(|e| match e {
        PortalError::Unauthorized { .. } => RoleError::Relogin {
            label: label.clone(),
            reason: format!("{e} for the {}", spec.session_label()),
            login: t.login_command(),
        },
        PortalError::Refused { .. } => RoleError::Refused {
            label: label.clone(),
            fix: match &spec.profile {
                Some(p) => format!("sso_account_id, sso_role_name of [profile {p}]"),
                None => "--account-id, --role-name".into(),
            },
            source: Box::new(e),
        },
        PortalError::Transient { message, .. } => {
            let tries = if attempt > 1 { format!(" (after {attempt} attempts)") } else { String::new() };
            RoleError::Transient { label: label.clone(), reason: format!("{message}{tries}") }
        }
    })
}

/// Refreshes a token the portal refused, even though the cache calls it valid; the new access
/// token, or `None` when there is none (the refresh failed: the portal's refusal stands).
/// The portal refused an access token the cache calls valid: one forced refresh; the new
/// token, if there is one to try.
pub(crate) fn refresh_refused(
    t: &Target,
    label: &str,
    cfg: &AwsConfig,
    settings: &Settings,
    refused: &Secret,
    refreshed: &mut dyn FnMut(&Report),
) -> Option<Secret> {
    let mut s = settings.clone();
    // Unless another process replaced it meanwhile: then that one is tried.
    s.force_if = Some(refused.fingerprint());
    s.auto = false;
    let report = refresh::run(t, cfg, &s);
    refreshed(&report);
    log::info!("{label}: the portal refused the access token; forced refresh: {:?}", report.outcome);
    match report.outcome {
        Outcome::Refreshed { .. } | Outcome::Fresh { .. } => {
            CachedToken::read(&t.cache_path).ok().flatten().map(|c| c.access_token).filter(|a| a != refused)
        }
        _ => None,
    }
}

/// One activity-log line per portal fetch (cache hits are not worth a line).
fn record(
    spec: &RoleSpec,
    result: &Result<RoleCredentials, PortalError>,
    attempts: u32,
    elapsed: Duration,
    settings: &Settings,
) {
    let mut e = Entry::new("role_credentials", &spec.target.name, settings.clock.now());
    e.attempts = Some(attempts);
    e.duration_ms = Some(elapsed.as_millis() as u64);
    let what = format!("role {} in account {}", spec.role_name, spec.account_id);
    match result {
        Ok(c) => {
            e.outcome = Some("ok".into());
            e.expires_at = Some(timefmt::format(c.expiration));
            e.message = Some(what);
        }
        Err(err) => {
            let (outcome, class) = match err {
                PortalError::Unauthorized { code, .. } => ("relogin", code.clone()),
                PortalError::Refused { code, .. } => ("refused", code.clone()),
                PortalError::Transient { kind, .. } => ("transient", kind.as_str().to_string()),
            };
            e.outcome = Some(outcome.into());
            e.error_class = Some(class);
            e.message = Some(format!("{what}: {err}"));
        }
    }
    settings.log.append(&e);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> AwsConfig {
        AwsConfig::parse(
            "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n\
             [profile half]\nsso_session = corp\nsso_role_name = Dev\n\
             [profile bare]\nsso_session = corp\n\
             [profile badacct]\nsso_session = corp\nsso_account_id = 1234\nsso_role_name = Dev\n\
             [profile old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = Dev\n\
             [profile static]\nregion = us-east-1\n\
             [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
        )
        .unwrap()
    }

    fn resolve(
        profile: Option<&str>,
        session: Option<&str>,
        account: Option<&str>,
        role: Option<&str>,
    ) -> Result<RoleSpec, RoleError> {
        RoleSpec::resolve(&cfg(), profile, session, account, role, Path::new("/c"))
    }

    #[test]
    fn keys_match_botocore_for_profiles_sessions_and_legacy() {
        let dev = resolve(Some("dev"), None, None, None).unwrap();
        assert_eq!(dev.cache_key(), "20985b56d713cfd135648cadc68a6115ca80d9a5");
        let by_session = resolve(None, Some("corp"), Some("111122223333"), Some("Dev")).unwrap();
        assert_eq!(by_session.cache_key(), dev.cache_key(), "botocore's key has no profile name");
        let old = resolve(Some("old"), None, None, None).unwrap();
        assert_eq!(old.cache_key(), "9de373c7ded8d5068d274f80baf9525ac988bb52");
        let other = resolve(Some("dev"), None, None, Some("Admin")).unwrap();
        assert_eq!(other.role_name, "Admin");
        assert_ne!(other.cache_key(), dev.cache_key());
    }

    #[test]
    fn incomplete_profiles_say_what_to_add() {
        let msg = |r: Result<RoleSpec, RoleError>| {
            let e = r.unwrap_err();
            assert_eq!(e.exit_code(), EXIT_USAGE);
            e.to_string()
        };
        let m = msg(resolve(Some("half"), None, None, None));
        assert!(m.contains("profile half") && m.contains("sso_account_id") && m.contains("--account-id"), "{m}");
        let m = msg(resolve(Some("bare"), None, None, None));
        assert!(m.contains("sso_account_id and sso_role_name"), "{m}");
        let m = msg(resolve(Some("badacct"), None, None, None));
        assert!(m.contains("12 digits"), "{m}");
        let m = msg(resolve(Some("static"), None, None, None));
        assert!(
            m.contains("'static'") && m.contains("sso_session") && m.contains("ssofresh configure profiles"),
            "{m}"
        );
        let m = msg(resolve(Some("nope"), None, None, None));
        assert!(m.contains("unknown profile 'nope'"), "{m}");
        let m = msg(resolve(None, Some("corp"), None, Some("Dev")));
        assert!(m.contains("sso-session corp") && m.contains("--account-id"), "{m}");
        let m = msg(resolve(None, None, None, None));
        assert!(m.contains("--profile"), "{m}");
    }
}
