//! `ssofresh login [SESSION] [--profile P]`: sign in, one login per session at a time, and
//! write the token cache the way the AWS CLI does. Only ever started by the user. While the
//! session is valid and not near its estimated end it says so and signs in only with
//! `--force`; inside the warning window before the end it signs in again, starting a new
//! session.

use super::common::{fail, load_config};
use crate::auth::browser::BrowserEnv;
use crate::auth::login::{self, Options, SignedIn};
use crate::aws::registration::Flow;
use crate::aws::token_cache::{CacheError, CachedToken};
use crate::cli::{resolve, LoginArgs, LoginFlow};
use crate::context::Context;
use crate::engine::activity::{ActivityLog, Entry};
use crate::engine::horizon::{self, Horizon};
use crate::engine::refresh::{self, Outcome};
use crate::engine::session_status::{self, State};
use crate::engine::state::{self, SessionState};
use crate::engine::target::{self, Target};
use crate::error::{EXIT_OK, EXIT_TRANSIENT, EXIT_USAGE};
use crate::sys::stdio::{errln, outln};
use crate::sys::{interrupt, lock};
use crate::text::duration::human;
use crate::text::shown::shown;
use chrono::{DateTime, Utc};
use std::path::Path;
use std::time::Duration;

/// Which flow, and whether to start a browser. Without a display (or with --no-browser) the
/// URL is printed instead, and `auto` picks the device code, which works from any device.
fn flow(args: &LoginArgs, browser: &BrowserEnv) -> (Flow, bool) {
    let browser_here = !args.no_browser && browser.can_open();
    let flow = match (args.use_device_code, args.flow) {
        (true, _) | (_, LoginFlow::DeviceCode) => Flow::DeviceCode,
        (_, LoginFlow::AuthCode) => Flow::AuthCode,
        (_, LoginFlow::Auto) if browser_here => Flow::AuthCode,
        (_, LoginFlow::Auto) => Flow::DeviceCode,
    };
    (flow, browser_here)
}

fn fingerprint_at(path: &Path) -> Option<String> {
    CachedToken::read(path).ok().flatten().map(|t| refresh::login_fingerprint(&t))
}

pub fn run(ctx: &Context, args: &LoginArgs) -> u8 {
    let paths = &ctx.paths;
    if let Err(code) = super::common::refuse_unsafe_dirs(paths) {
        return code;
    }
    let cfg = match load_config(ctx) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    if !cfg.found {
        errln!(
            "ssofresh: {} does not exist; add an sso-session first: {}",
            paths.config_file.display(),
            target::session_setup_command(args.session.as_deref().or(args.session_flag.as_deref()))
        );
        return EXIT_USAGE;
    }
    let dir = &paths.cache_dir;
    let (session, profile) = (args.session.as_deref().or(args.session_flag.as_deref()), args.profile.as_deref());
    let target = match target::choose(&cfg, session, profile, ctx.aws().profile.as_deref(), dir, "login") {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let label = target.label();
    if let Err(e) = login::check(&target, &cfg, ctx.aws()) {
        errln!("ssofresh: {label}: {e}");
        return e.exit_code();
    }
    let state_dir = &paths.state_dir;
    let ends = resolve::horizon(&args.session_end);
    if !args.force {
        if let Some(h) = logged_in(ctx, args, &cfg, &target, &ends) {
            let now = ctx.clock.now();
            outln!(
                "{label}: already logged in; session ends {} ({}); --force signs in again",
                when(&h, now),
                h.basis_words()
            );
            return EXIT_OK;
        }
    }
    let browser = resolve::browser();
    let (flow, open_browser) = flow(args, &browser);
    let opts = Options {
        flow,
        open_browser,
        timeout: args.login_timeout,
        http: resolve::http(&args.timeouts),
        wait_scale: args.test_wait_scale,
        browser,
        aws: ctx.aws().clone(),
        clock: ctx.clock,
    };

    // One login per session: a second one waits, then reports the first one's result rather
    // than sending the user to the browser again.
    let login_lock = lock::lock_path(state_dir, &format!("{}.login", target.cache_key));
    let before = fingerprint_at(&target.cache_path);
    let _login_lock = match lock::acquire(&login_lock, Duration::ZERO) {
        Ok(Some(l)) => l,
        Ok(None) => {
            errln!("ssofresh: {label}: another ssofresh login is in progress; waiting for it to finish…");
            let patience = args.login_timeout + Duration::from_secs(60);
            match lock::acquire(&login_lock, patience) {
                Ok(Some(l)) => {
                    let now = fingerprint_at(&target.cache_path);
                    match CachedToken::read(&target.cache_path) {
                        Ok(Some(t)) if now.is_some() && now != before && t.expires() > ctx.clock.now() => {
                            summary(ctx, &target, &t, "by the other ssofresh login", &ends);
                            return EXIT_OK;
                        }
                        _ => errln!("ssofresh: {label}: the other login did not succeed; signing in now"),
                    }
                    l
                }
                Ok(None) => {
                    errln!(
                        "ssofresh: {label}: the other login is still running after {}; try again later",
                        human(chrono::Duration::from_std(patience).unwrap_or_default())
                    );
                    return EXIT_TRANSIENT;
                }
                Err(e) => {
                    errln!("ssofresh: cannot lock {}: {e}", login_lock.display());
                    return EXIT_USAGE;
                }
            }
        }
        Err(e) => {
            errln!("ssofresh: cannot lock {}: {e}", login_lock.display());
            return EXIT_USAGE;
        }
    };

    interrupt::install();
    let signed = match login::sign_in(&target, &cfg, dir, &opts) {
        Ok(s) => s,
        Err(e) => {
            errln!("ssofresh: {label}: {e}; the token cache was not changed");
            return e.exit_code();
        }
    };
    match save(&target, &signed, state_dir, &ctx.activity_log(), ctx.clock.now()) {
        Ok(()) => {
            summary(ctx, &target, &signed.token, "", &ends);
            EXIT_OK
        }
        Err((msg, code)) => {
            errln!("ssofresh: {label}: {msg}");
            code
        }
    }
}

/// Writes the token, then resets what the old login left (rejected token, back-off) and logs
/// the new login, all before a Ctrl-C is let through.
fn save(
    target: &Target,
    signed: &SignedIn,
    state_dir: &Path,
    log: &ActivityLog,
    now: DateTime<Utc>,
) -> Result<(), (String, u8)> {
    // The sign-in has succeeded: from here a Ctrl-C waits until everything is saved.
    let _whole = interrupt::critical();
    // Never written without the cache's lock: a refresh holding it may be about to write the
    // old login's token. It holds the lock for one request and its retries, so this waits.
    log::debug!("{}: taking the refresh lock to save the login", target.label());
    let _cache_lock = super::common::wait_for_cache_lock(target).map_err(|(msg, code)| {
        (format!("the new login was not saved: {msg}; the token cache was not changed"), code)
    })?;
    let token = &signed.token;
    token.write(&target.cache_path).map_err(|e| match e {
        CacheError::Write { source, .. } => {
            let (_, cause) = crate::sys::fs::write_cause(&source);
            let after =
                if crate::sys::fs::rewritten_in_part(&source) { "" } else { "; the token cache was not changed" };
            (format!("cannot save the new login to {}: {cause}{after}", target.cache_path.display()), EXIT_TRANSIENT)
        }
        e => (e.to_string(), EXIT_USAGE),
    })?;
    let state_path = state::state_path(state_dir, &target.cache_key);
    let mut st = SessionState::load(&state_path);
    st.session = Some(target.name.clone());
    // The exact time: this login is ssofresh's own.
    st.record_login(
        refresh::login_fingerprint(token),
        now,
        crate::engine::horizon::LoginBasis::SsofreshLogin.as_str(),
        &token.expires_at,
    );
    if let Err(e) = st.save(&state_path) {
        log::warn!("cannot save {}: {e}", state_path.display());
    }
    let mut e = Entry::new("login_detected", &target.name, now);
    e.expires_at = Some(token.expires_at.clone());
    e.message = Some(match signed.flow {
        Flow::DeviceCode => "ssofresh login (device code)".into(),
        Flow::AuthCode => "ssofresh login (browser)".into(),
    });
    log.append(&e);
    Ok(())
}

/// The session's horizon when it is logged in and not near its end: no login is needed then.
/// An access token that has expired is refreshed first, as a tick would: only that tells a
/// session still alive from one that has ended.
fn logged_in(
    ctx: &Context,
    args: &LoginArgs,
    cfg: &crate::aws::config::AwsConfig,
    target: &Target,
    ends: &horizon::Settings,
) -> Option<Horizon> {
    let now = ctx.clock.now();
    let threshold = chrono::Duration::minutes(20);
    let mut s = session_status::inspect(target, &ctx.paths.state_dir, now, threshold, ends);
    if s.state == State::ExpiredRefreshable {
        let settings = resolve::login_refresh(ctx, &args.timeouts, &args.session_end);
        let report = refresh::run(target, cfg, &settings);
        if !matches!(report.outcome, Outcome::Refreshed { .. } | Outcome::Fresh { .. }) {
            return None;
        }
        s = session_status::inspect(target, &ctx.paths.state_dir, ctx.clock.now(), threshold, ends);
    }
    let h = s.horizon.filter(|_| matches!(s.state, State::Valid | State::Expiring | State::Legacy))?;
    // A token nobody can refresh has no warning of its own: its expiry is the end.
    let unrenewable_soon = h.length.basis == horizon::Basis::Token && h.ends_at - now <= ends.warn_before();
    if h.ending(now, ends.warn_before()) || unrenewable_soon {
        errln!(
            "ssofresh: {}: the session ends {} ({}); signing in again to start a new one",
            target.label(),
            when(&h, now),
            h.basis_words()
        );
        return None;
    }
    Some(h)
}

/// `~17:18, in 3h 10m`, or how long ago the estimate passed.
fn when(h: &Horizon, now: DateTime<Utc>) -> String {
    let at = crate::text::style::clock(h.ends_at, now);
    if h.ends_at > now {
        format!("~{at}, in {}", human(h.ends_at - now))
    } else {
        format!("~{at} by the estimate, {} ago", human(now - h.ends_at))
    }
}

fn summary(ctx: &Context, target: &Target, token: &CachedToken, how: &str, ends: &horizon::Settings) {
    let now = ctx.clock.now();
    let expires = token.expires();
    let start = token.start_url.as_deref().or(target.start_url.as_deref()).unwrap_or("");
    let how = if how.is_empty() { String::new() } else { format!(" {how}") };
    outln!("Logged in to {}{how} ({}).", target.label(), shown(start));
    if target.profiles.is_empty() {
        outln!("  Profiles: none yet (add sso_session = {} to a profile)", shown(&target.name));
    } else {
        outln!("  Profiles: {}", target.profiles.iter().map(|p| shown(p)).collect::<Vec<_>>().join(", "));
    }
    let until = crate::text::timefmt::local(expires);
    outln!("  Access token valid until {} {} {} ({} left).", until.date, until.time, until.zone, human(expires - now));
    if target.is_legacy() {
        outln!("  Legacy profile: no refresh token; log in again when it expires, or move it to an [sso-session] (ssofresh doctor prints the lines).");
        return;
    }
    if token.refresh_token.is_none() {
        outln!("  No refresh token was issued (check sso_registration_scopes); log in again when it expires.");
        return;
    }
    // The session starts now: its end, as far as it can be told.
    let saved = SessionState::load(&state::state_path(&ctx.paths.state_dir, &target.cache_key));
    let length = horizon::length(ends, &target.name, &saved.observed);
    let h = horizon::horizon(now, horizon::LoginBasis::SsofreshLogin, expires, true, length);
    outln!(
        "  The Identity Center session ends {} ({}; an estimate: see ssofresh doctor).",
        when(&h, now),
        h.basis_words()
    );
    let user = resolve::user_env();
    let places = crate::shell::installed::Places {
        home: &ctx.paths.home,
        zdotdir: user.zdotdir.as_deref(),
        xdg_config_home: user.xdg_config_home.as_deref(),
    };
    let installed = crate::shell::installed::find(places, true);
    if let Some(what) = installed.found.first() {
        outln!("  ssofresh keeps the token fresh until then ({what}).");
    } else if let Some(timer) = installed.disabled_timers.first() {
        outln!(
            "  The ssofresh timer is installed but not enabled, so the token expires in {}; enable it:",
            human(expires - now)
        );
        outln!("    systemctl --user enable --now {timer}");
    } else {
        outln!(
            "  Nothing runs ssofresh automatically here, so the token expires in {}; to keep it fresh until then, run:",
            human(expires - now)
        );
        outln!("    {}", crate::shell::installed::setup_line(places, user.shell.as_deref()));
    }
}
