//! Signing in: the client registration, then the device-code flow or the authorization-code
//! flow with PKCE, ending in a token shaped exactly as the AWS CLI caches it. Nothing here
//! writes the token: the caller does, under its locks, once the sign-in has succeeded.

use crate::auth::browser::{self, BrowserEnv};
use crate::auth::loopback::{self, Listener};
use crate::auth::pkce::{self, Pkce};
use crate::aws::config::AwsConfig;
use crate::aws::endpoint::{self, Service};
use crate::aws::env::AwsEnv;
use crate::aws::http::{self, HttpSettings, Transient};
use crate::aws::oidc::{self, Grant, OidcError, Refusal, RegisterRequest};
use crate::aws::registration::{self, Flow, Registration};
use crate::aws::token_cache::CachedToken;
use crate::engine::target::Target;
use crate::error::{EXIT_RELOGIN, EXIT_TRANSIENT, EXIT_USAGE};
use crate::sys::clock::Clock;
use crate::sys::secret::one_line;
use crate::sys::stdio::{err, errln};
use crate::text::duration::human;
use crate::text::timefmt;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// RFC 8628 §3.5: the default polling interval, and what `slow_down` adds to it.
const DEFAULT_INTERVAL: u64 = 5;
const SLOW_DOWN_STEP: u64 = 5;
/// Network failures in a row the device flow rides out while the user is signing in.
const MAX_POLL_FAILURES: u32 = 5;

#[derive(Debug, Clone)]
pub struct Options {
    pub flow: Flow,
    pub open_browser: bool,
    /// The longest wait for the user to finish in the browser.
    pub timeout: Duration,
    pub http: HttpSettings,
    /// Test only: multiplies the device flow's polling waits.
    pub wait_scale: f64,
    pub browser: BrowserEnv,
    /// The active profile and the endpoint overrides.
    pub aws: AwsEnv,
    pub clock: Clock,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Configuration, endpoint or local problems: fix something, then log in again.
    #[error("{0}")]
    Setup(String),
    #[error("the sign-in was denied{}", detail(.description))]
    Denied { description: Option<String> },
    #[error("the sign-in request expired before it was approved; run the login again")]
    Expired,
    #[error("no sign-in arrived within {waited}; run the login again{}", if *.device_code { "" } else { " (or with --use-device-code, to sign in on another device)" })]
    TimedOut { waited: String, device_code: bool },
    /// The endpoint refused a request in a way that retrying will not change.
    #[error("the SSO-OIDC endpoint refused the login ({code}{}); check sso_start_url, sso_region and sso_registration_scopes", detail(.description))]
    Refused { code: String, description: Option<String> },
    #[error("{0}")]
    Transient(String),
}

fn detail(d: &Option<String>) -> String {
    d.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
}

impl LoginError {
    pub fn exit_code(&self) -> u8 {
        match self {
            LoginError::Setup(_) | LoginError::Refused { .. } => EXIT_USAGE,
            LoginError::Denied { .. } | LoginError::Expired | LoginError::TimedOut { .. } => EXIT_RELOGIN,
            LoginError::Transient(_) => EXIT_TRANSIENT,
        }
    }
}

impl From<Refusal> for LoginError {
    fn from(r: Refusal) -> LoginError {
        match (r.code.as_deref(), r.error) {
            (Some("access_denied"), OidcError::Relogin { description, .. }) => LoginError::Denied { description },
            (Some("expired_token"), _) => LoginError::Expired,
            (_, OidcError::Relogin { code, description }) => LoginError::Refused { code, description },
            (code, OidcError::Transient { kind: Transient::Other, message }) => {
                LoginError::Refused { code: code.unwrap_or("rejected").to_string(), description: Some(message) }
            }
            (_, OidcError::Transient { message, .. }) => LoginError::Transient(message),
        }
    }
}

/// A successful sign-in: the token to write, and how it came about.
#[derive(Debug)]
pub struct SignedIn {
    pub token: CachedToken,
    pub flow: Flow,
}

/// Everything a sign-in needs to know about its session, checked before any request.
struct Plan {
    label: String,
    start_url: String,
    region: String,
    session_name: Option<String>,
    /// `sso_registration_scopes` as configured (`None` when absent: part of the registration key).
    configured_scopes: Option<Vec<String>>,
    oidc_url: String,
}

fn plan(target: &Target, cfg: &AwsConfig, aws: &AwsEnv) -> Result<Plan, LoginError> {
    let what = if target.is_legacy() {
        format!("profile '{}'", crate::text::shown::shown(&target.name))
    } else {
        format!("sso-session '{}'", crate::text::shown::shown(&target.name))
    };
    let missing = |key: &str| LoginError::Setup(format!("{what} in {} has no {key}", cfg.path.display()));
    let start_url = target.start_url.clone().ok_or_else(|| missing("sso_start_url"))?;
    let region = target.region.clone().ok_or_else(|| missing("sso_region"))?;
    let (session_name, configured_scopes) = if target.is_legacy() {
        (None, None)
    } else {
        let raw = cfg.session(&target.name).and_then(|s| s.registration_scopes.clone());
        (Some(target.name.clone()), raw.map(|r| registration::parse_scopes(&r)))
    };
    let context = target.context_in(cfg, aws.profile.as_deref());
    let checked = target.sso_region(&cfg.path, None).ok_or_else(|| missing("sso_region"))?;
    let (oidc_url, _) = endpoint::resolve(Service::SsoOidc, &checked, context, cfg, |k| aws.var(k))
        .map_err(|e| LoginError::Setup(e.to_string()))?;
    Ok(Plan { label: target.label(), start_url, region, session_name, configured_scopes, oidc_url })
}

/// Checks the configuration without signing in, so problems show before any lock or request.
pub fn check(target: &Target, cfg: &AwsConfig, aws: &AwsEnv) -> Result<(), LoginError> {
    plan(target, cfg, aws).map(|_| ())
}

/// Signs in to `target` and returns the token to cache. Prints the user's instructions to stderr.
pub fn sign_in(target: &Target, cfg: &AwsConfig, cache_dir: &Path, opts: &Options) -> Result<SignedIn, LoginError> {
    let plan = plan(target, cfg, &opts.aws)?;
    let client = http::client(opts.http, &opts.aws.proxy).map_err(|e| match e {
        http::ClientError::Proxy { .. } => LoginError::Setup(e.to_string()),
        http::ClientError::Setup(_) => LoginError::Transient(e.to_string()),
    })?;
    let flow = if target.is_legacy() && opts.flow == Flow::AuthCode {
        // As in the AWS CLI: the browser flow is for sso-sessions.
        errln!("ssofresh: {}: legacy profiles sign in with the device code", plan.label);
        Flow::DeviceCode
    } else {
        opts.flow
    };
    let result = match flow {
        Flow::DeviceCode => device_flow(&plan, &client, cache_dir, opts),
        Flow::AuthCode => auth_code_flow(&plan, &client, cache_dir, opts),
    };
    // Network trouble is easier to act on with the endpoint named.
    result.map_err(|e| match e {
        LoginError::Transient(m) => LoginError::Transient(format!("{m} (SSO-OIDC endpoint {})", plan.oidc_url)),
        e => e,
    })
}

/// The registration for this flow: the cached one while it has more than a day left, else a
/// new one, saved for the next login.
fn registration(
    plan: &Plan,
    client: &http::Client,
    cache_dir: &Path,
    flow: Flow,
    force_new: bool,
    now: DateTime<Utc>,
) -> Result<(Registration, bool), LoginError> {
    let path = registration_path(plan, cache_dir);
    if !force_new {
        if let Some(r) = Registration::load(&path).filter(|r| r.reusable(flow, now)) {
            log::debug!("{}: reusing the client registration in {}", plan.label, path.display());
            return Ok((r, true));
        }
    }
    // Legacy profiles get no scopes (and so no refresh token), as with the AWS CLI; sessions
    // get sso:account:access when none are configured, so that ssofresh can refresh.
    let scopes: Option<Vec<String>> = match (&plan.session_name, &plan.configured_scopes) {
        (None, _) => None,
        (Some(_), Some(s)) if !s.is_empty() => Some(s.clone()),
        (Some(_), _) => Some(vec![registration::DEFAULT_SCOPE.to_string()]),
    };
    let client_name = match &plan.session_name {
        Some(s) => format!("ssofresh-{s}"),
        None => format!("ssofresh-{}", now.timestamp()),
    };
    let redirect = [pkce::REGISTERED_REDIRECT_URI];
    let request = RegisterRequest {
        client_name: &client_name,
        client_type: "public",
        scopes: scopes.as_deref(),
        grant_types: (flow == Flow::AuthCode).then_some(registration::AUTH_CODE_GRANT_TYPES),
        redirect_uris: (flow == Flow::AuthCode).then_some(&redirect[..]),
        issuer_url: (flow == Flow::AuthCode).then_some(plan.start_url.as_str()),
    };
    let answer = oidc::register_client(client, &plan.oidc_url, &request)?;
    let expires_at = DateTime::<Utc>::from_timestamp(answer.client_secret_expires_at, 0).ok_or_else(|| {
        LoginError::Transient("the endpoint answered with an impossible clientSecretExpiresAt".into())
    })?;
    let r = Registration {
        client_id: answer.client_id,
        client_secret: answer.client_secret,
        expires_at,
        scopes,
        grant_types: (flow == Flow::AuthCode)
            .then(|| registration::AUTH_CODE_GRANT_TYPES.iter().map(|s| s.to_string()).collect()),
    };
    {
        let _whole = crate::sys::interrupt::critical();
        if let Err(e) = r.save(&path) {
            // The login still works; the next one registers again.
            errln!("ssofresh: cannot save the client registration to {}: {e}", path.display());
        }
    }
    log::info!("{}: registered a new client ({})", plan.label, path.display());
    Ok((r, false))
}

fn forget_registration(plan: &Plan, cache_dir: &Path) {
    let _ = std::fs::remove_file(registration_path(plan, cache_dir));
}

/// Where the AWS CLI keeps the client registration for this plan's session (shared with it).
fn registration_path(plan: &Plan, cache_dir: &Path) -> PathBuf {
    let key = registration::cache_key(
        &plan.start_url,
        &plan.region,
        plan.configured_scopes.as_deref(),
        plan.session_name.as_deref(),
    );
    registration::cache_path(cache_dir, &key)
}

fn is_client_refusal(r: &Refusal) -> bool {
    matches!(r.code.as_deref(), Some("invalid_client" | "unauthorized_client"))
}

/// The token to cache. `sent_at` and `received_at` are the local times around the request.
fn token(
    plan: &Plan,
    reg: &Registration,
    answer: oidc::TokenResponse,
    sent_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
) -> CachedToken {
    // Never an expiry beyond the endpoint's view: with the local clock ahead, counted from the
    // endpoint's time (its Date header), as a refresh does.
    let skew = answer.server_date.map(|d| crate::sys::clock::skew(sent_at, received_at, d));
    if let Some(w) = skew.and_then(crate::engine::refresh::skew_warning) {
        errln!("ssofresh: warning: {}: {w}", plan.label);
    }
    let sent_at = sent_at - skew.filter(|s| *s > chrono::TimeDelta::zero()).unwrap_or_default();
    CachedToken {
        start_url: Some(plan.start_url.clone()),
        region: Some(plan.region.clone()),
        access_token: answer.access_token,
        // Counted from when the request left: never later than the endpoint's own clock.
        expires_at: timefmt::format(sent_at + chrono::Duration::seconds(answer.expires_in)),
        client_id: Some(reg.client_id.clone()),
        client_secret: Some(reg.client_secret.clone()),
        registration_expires_at: Some(timefmt::format(reg.expires_at)),
        refresh_token: answer.refresh_token,
        extra: Default::default(),
    }
}

fn scaled(d: Duration, scale: f64) -> Duration {
    Duration::from_secs_f64((d.as_secs_f64() * scale).max(0.0))
}

fn clean(s: &str) -> String {
    one_line(s, 300)
}

fn device_flow(plan: &Plan, client: &http::Client, cache_dir: &Path, opts: &Options) -> Result<SignedIn, LoginError> {
    let (mut reg, reused) = registration(plan, client, cache_dir, Flow::DeviceCode, false, opts.clock.now())?;
    let auth = match oidc::start_device_authorization(
        client,
        &plan.oidc_url,
        &reg.client_id,
        &reg.client_secret,
        &plan.start_url,
    ) {
        Err(r) if reused && is_client_refusal(&r) => {
            // The cached registration was revoked or belongs elsewhere: one fresh try.
            log::info!("{}: the cached client registration was refused; registering again", plan.label);
            (reg, _) = registration(plan, client, cache_dir, Flow::DeviceCode, true, opts.clock.now())?;
            oidc::start_device_authorization(
                client,
                &plan.oidc_url,
                &reg.client_id,
                &reg.client_secret,
                &plan.start_url,
            )?
        }
        other => other?,
    };
    let started = Instant::now();
    let user_code = clean(&auth.user_code);
    let uri = clean(&auth.verification_uri);
    let complete = auth.verification_uri_complete.as_deref().map(clean);
    let mut msg = format!(
        "To sign in to {}, open this page in a browser (on any device):\n\n    {uri}\n\nand enter the code\n\n    {user_code}\n\n",
        plan.label
    );
    if let Some(c) = &complete {
        msg += &format!("(or open {c} — it fills in the code)\n");
    }
    err!("{msg}");
    if opts.open_browser {
        match browser::open(complete.as_deref().unwrap_or(&uri), &opts.browser) {
            Ok(how) => errln!("Opened the page with {how}."),
            Err(why) => errln!("Could not open a browser ({why}); open the page yourself."),
        }
    }
    let expires_in = Duration::from_secs(auth.expires_in.max(1) as u64);
    let limit = expires_in.min(opts.timeout);
    errln!("Waiting for the sign-in (up to {}; Ctrl-C to cancel)…", human_std(limit));

    // An absurd interval from the endpoint must not outlast the sign-in's own time limit.
    let mut interval =
        Duration::from_secs(auth.interval.filter(|i| *i > 0).map_or(DEFAULT_INTERVAL, |i| i as u64)).min(limit);
    let mut failures = 0u32;
    loop {
        std::thread::sleep(scaled(interval, opts.wait_scale));
        // Measured in scaled time, so tests of expiry stay fast too.
        if started.elapsed() >= scaled(limit, opts.wait_scale) {
            return Err(if opts.timeout < expires_in {
                LoginError::TimedOut { waited: human_std(opts.timeout), device_code: true }
            } else {
                LoginError::Expired
            });
        }
        let sent_at = opts.clock.now();
        match oidc::create_token(
            client,
            &plan.oidc_url,
            &reg.client_id,
            &reg.client_secret,
            &Grant::DeviceCode { device_code: &auth.device_code },
        ) {
            Ok(answer) => {
                return Ok(SignedIn {
                    token: token(plan, &reg, answer, sent_at, opts.clock.now()),
                    flow: Flow::DeviceCode,
                })
            }
            Err(r) => match r.code.as_deref() {
                Some("authorization_pending") => failures = 0,
                Some("slow_down") => {
                    interval += Duration::from_secs(SLOW_DOWN_STEP);
                    log::debug!("{}: slow_down; polling every {interval:?}", plan.label);
                }
                _ => match &r.error {
                    OidcError::Transient { kind, message } if kind.retry_now() && failures + 1 < MAX_POLL_FAILURES => {
                        failures += 1;
                        log::info!("{}: polling failed ({message}); still waiting", plan.label);
                    }
                    _ => {
                        if is_client_refusal(&r) {
                            forget_registration(plan, cache_dir);
                        }
                        return Err(r.into());
                    }
                },
            },
        }
    }
}

fn auth_code_flow(
    plan: &Plan,
    client: &http::Client,
    cache_dir: &Path,
    opts: &Options,
) -> Result<SignedIn, LoginError> {
    let listener = Listener::bind().map_err(|e| {
        LoginError::Setup(format!("cannot listen on 127.0.0.1 for the browser's redirect ({e}); use --use-device-code"))
    })?;
    let (reg, _) = registration(plan, client, cache_dir, Flow::AuthCode, false, opts.clock.now())?;
    let pkce = Pkce::new().map_err(|e| LoginError::Setup(e.to_string()))?;
    let state = pkce::new_state().map_err(|e| LoginError::Setup(e.to_string()))?;
    let redirect_uri = listener.redirect_uri();
    let scopes = reg.scopes.clone().unwrap_or_else(|| vec![registration::DEFAULT_SCOPE.to_string()]);
    let url = pkce::authorize_url(&plan.oidc_url, &reg.client_id, &redirect_uri, &state, &pkce.challenge, &scopes);
    if opts.open_browser {
        errln!(
            "Opening the sign-in page for {} in your browser. If it does not open, visit:\n\n    {url}\n",
            plan.label
        );
        if let Err(why) = browser::open(&url, &opts.browser) {
            errln!("Could not open a browser ({why}); open the page above in a browser on this machine.");
        }
    } else {
        errln!("To sign in to {}, open this page in a browser on this machine:\n\n    {url}\n", plan.label);
    }
    errln!("Waiting for the sign-in (up to {}; Ctrl-C to cancel)…", human_std(opts.timeout));
    let deadline = Instant::now() + opts.timeout;
    let label = plan.label.clone();
    let code = listener
        .wait(&state, deadline, &mut |what| {
            errln!("ssofresh: {label}: ignored {what} (an older sign-in tab?); still waiting")
        })
        .map_err(|e| match e {
            loopback::WaitError::TimedOut => {
                LoginError::TimedOut { waited: human_std(opts.timeout), device_code: false }
            }
            loopback::WaitError::Refused { error, description } if error == "access_denied" => {
                LoginError::Denied { description }
            }
            loopback::WaitError::Refused { error, description } => LoginError::Refused { code: error, description },
            loopback::WaitError::Io(e) => LoginError::Setup(format!("the loopback listener failed: {e}")),
        })?;
    let sent_at = opts.clock.now();
    let grant = Grant::AuthorizationCode { code: &code, code_verifier: &pkce.verifier, redirect_uri: &redirect_uri };
    let answer =
        oidc::create_token(client, &plan.oidc_url, &reg.client_id, &reg.client_secret, &grant).inspect_err(|r| {
            if is_client_refusal(r) {
                forget_registration(plan, cache_dir);
            }
        })?;
    Ok(SignedIn { token: token(plan, &reg, answer, sent_at, opts.clock.now()), flow: Flow::AuthCode })
}

fn human_std(d: Duration) -> String {
    human(chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX))
}
