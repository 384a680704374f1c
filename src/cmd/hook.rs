//! `ssofresh hook`: what the shell runs before each prompt. Local files only: when a token is
//! due it starts a detached `ssofresh tick` and returns at once; when only a new login helps it
//! says so, once per shell (`shell::hint`); when the Identity Center session nears its
//! estimated end it says when, and starts a tick that sends the `session_ending` notification.
//! Always exits 0: a prompt has no use for errors.

use crate::aws::token_cache::CachedToken;
use crate::cli::{resolve, HookArgs};
use crate::context::Context;
use crate::engine::horizon::{self, Horizon};
use crate::engine::session_status::{self, State};
use crate::engine::state::{self, SessionState};
use crate::engine::watch::{self, Watched};
use crate::error::EXIT_OK;
use crate::shell::hint;
use crate::sys::lock;
use crate::sys::paths::Paths;
use crate::sys::stdio::{errln, outln};
use chrono::{DateTime, Utc};
use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

/// Sessions nobody named stop getting hints a week after their token expired: an old login
/// left in the cache should not nag forever. Named ones always get them.
const STALE_AFTER: chrono::Duration = chrono::Duration::days(7);

/// The longest the shell may go without asking again: whatever the files say, a change nobody
/// announced (a new session, an edited config) is noticed within a minute.
pub const MAX_QUIET: i64 = 60;

pub fn run(ctx: &Context, args: &HookArgs) -> u8 {
    let started = Instant::now();
    let now = ctx.clock.now();
    // Seconds until a check could do something; the shell skips the prompts before then.
    let mut quiet = MAX_QUIET;
    let mut until = |t: DateTime<Utc>| quiet = quiet.min((t - now).num_seconds().max(0));
    let paths = &ctx.paths;
    let state = &paths.state_dir;
    let hints = !args.no_hints;
    let scope = hint::Scope::of(args.shell_id.as_deref());
    let (sessions, profiles) = (&args.selection.sessions(), &args.selection.profiles());
    // Every session, whatever the shell's AWS_PROFILE: the hook keeps them all fresh.
    let watched = match watch::select(&paths.config_file, sessions, profiles, None, &paths.cache_dir) {
        Ok(w) => w,
        Err(e) => {
            if hints {
                // A different problem with the config is news at once.
                let msg = format!("ssofresh: {e}");
                let id = crate::sys::secret::Secret::new(msg.as_str()).fingerprint();
                until(say_once(state, scope, "config", &id, None, now, &msg));
            }
            return finish(args, quiet, 0, started);
        }
    };
    let threshold = chrono::Duration::from_std(args.threshold.value).unwrap_or(chrono::Duration::MAX);
    let ends = resolve::horizon(&args.session_end);
    let warn = ends.warn_before();
    for w in &watched {
        let token = CachedToken::read(&w.target.cache_path);
        // The common case ends here, after two small file reads: valid beyond the threshold,
        // and the session not near its end.
        match &token {
            Ok(Some(t)) if t.expires() - now > threshold && t.registration_expires().is_none_or(|r| r > now) => {
                until(t.expires() - threshold);
                if let Some(r) = t.registration_expires() {
                    until(r);
                }
                let saved = SessionState::load(&state::state_path(state, &w.target.cache_key));
                let refreshable = !w.target.is_legacy() && t.refresh_token.is_some();
                match horizon::recorded(&w.target.name, t, refreshable, &saved, &ends) {
                    Some(h) if h.ending(now, warn) => {
                        // Before saying anything, the exact judgement: a login the tick has not
                        // recorded yet starts a new session.
                        if let Some(h) =
                            exact(&w.target, t, refreshable, &saved, now, &ends).filter(|h| h.ending(now, warn))
                        {
                            ending(paths, args, scope, w, &h, hints, true, now, &mut until);
                        }
                    }
                    Some(h) => until(h.ends_at - warn),
                    None => {}
                }
                continue;
            }
            Ok(None) if !w.explicit => continue,
            _ => {}
        }
        let login = watch::login_id(token.as_ref().ok().and_then(Option::as_ref));
        let saved = SessionState::load(&state::state_path(state, &w.target.cache_key));
        // The same judgement as `ssofresh status`, so the two never disagree.
        let s = session_status::classify(&w.target, token, None, saved, now, threshold, &ends);
        log::debug!("hook: {}: {} {}", w.target.label(), s.state.as_str(), s.reason.as_deref().unwrap_or(""));
        let who = watch::describe(&w.target);
        let run = w.target.login_command();
        let expires = s.token.as_ref().map(|t| t.expires);
        match &s.horizon {
            // A due token starts its own tick below, which sends the notification too.
            Some(h) if h.ending(now, warn) && s.state != State::Legacy => {
                ending(paths, args, scope, w, h, hints, s.state == State::Valid, now, &mut until)
            }
            Some(h) => until(h.ends_at - warn),
            None => {}
        }
        let message = match s.state {
            State::Valid => {
                if let Some(e) = expires {
                    until(e - threshold);
                }
                None
            }
            State::Expiring | State::ExpiredRefreshable => {
                match s.saved.backoff_until().filter(|u| *u > now) {
                    // An offline laptop must not start a process per prompt.
                    Some(b) => {
                        log::debug!("hook: {}: backing off until {b}", w.target.label());
                        until(b);
                    }
                    // Ask again soon: the refresh may be over by then. Right after starting
                    // one, give it a moment to take its lock, or the next prompt starts another.
                    None => match start_refresh(paths, args, w) {
                        true => until(now + chrono::Duration::seconds(2)),
                        false => until(now),
                    },
                }
                None
            }
            State::NotLoggedIn => Some(format!("ssofresh: {who} is not logged in — run: {run}")),
            State::ReloginRequired if w.explicit || expires.is_none_or(|e| e > now - STALE_AFTER) => {
                Some(format!("ssofresh: {who} needs a new login ({}) — run: {run}", when(expires, now)))
            }
            State::ReloginRequired => None,
            // A legacy token cannot be refreshed: warn once it is inside the threshold.
            State::Legacy => match expires.filter(|e| *e - now <= threshold) {
                Some(e) => Some(format!(
                    "ssofresh: {who} needs a new login soon ({}; legacy profiles cannot be refreshed) — run: {run}",
                    when(Some(e), now)
                )),
                None => {
                    if let Some(e) = expires {
                        until(e - threshold);
                    }
                    None
                }
            },
            State::Unreadable => Some(format!(
                "ssofresh: {who}: {} — run: {run}",
                s.message.as_deref().unwrap_or("unreadable token cache")
            )),
        };
        if let (true, Some(m)) = (hints, message) {
            until(say_once(state, scope, &w.target.cache_key, &login, expires, now, &m));
        }
    }
    finish(args, quiet, watched.len(), started)
}

/// The session's horizon as `status` judges it: a login the tick has not recorded yet counts.
fn exact(
    target: &crate::engine::target::Target,
    token: &CachedToken,
    refreshable: bool,
    saved: &SessionState,
    now: DateTime<Utc>,
    ends: &horizon::Settings,
) -> Option<Horizon> {
    let written = std::fs::metadata(&target.cache_path).and_then(|m| m.modified()).ok().map(DateTime::<Utc>::from);
    let (at, basis) = horizon::current_login(&target.name, token, refreshable, saved, written, now, ends)?;
    let length = horizon::length(ends, &target.name, &saved.observed);
    Some(horizon::horizon(at, basis, token.expires(), refreshable, length))
}

/// The session nears its estimated end: say when and how to log in (once, as hints go), and
/// (`spawn`) start a tick that sends the `session_ending` notification — once per login for
/// every shell, its memo keeps the rest from sending it again.
#[allow(clippy::too_many_arguments)]
fn ending(
    paths: &Paths,
    args: &HookArgs,
    scope: hint::Scope<'_>,
    w: &Watched,
    h: &Horizon,
    hints: bool,
    spawn: bool,
    now: DateTime<Utc>,
    until: &mut dyn FnMut(DateTime<Utc>),
) {
    let state = &paths.state_dir;
    let id = h.login_id();
    let key = format!("{}.ending", w.target.cache_key);
    if hints {
        let when = if h.ends_at > now {
            format!(
                "ends ~{} (in {}; estimate, {})",
                crate::text::timefmt::local_hm(h.ends_at),
                crate::text::duration::human(h.ends_at - now),
                h.basis_words()
            )
        } else {
            format!(
                "was estimated to end at {} ({}) and may end any moment",
                crate::text::timefmt::local_hm(h.ends_at),
                h.basis_words()
            )
        };
        let who = watch::describe(&w.target);
        let run = w.target.login_command();
        until(say_once(
            state,
            scope,
            &key,
            &id,
            None,
            now,
            &format!("ssofresh: {who} {when} — log in now to start a new one: {run}"),
        ));
    }
    if !spawn {
        return;
    }
    // Shared by every shell: one tick per login sends the notification, whichever shell starts it.
    let shared = hint::Scope::Shared;
    let marker = hint::path(state, &format!("{key}-notify"), shared);
    if hint::due(&marker, shared, &id, None, now) {
        if start_refresh(paths, args, w) {
            hint::record(&marker, shared, &id, None, now);
        }
        until(now + chrono::Duration::seconds(2));
    } else {
        until(hint::next(&marker, shared, &id, None, now));
    }
}

fn finish(args: &HookArgs, quiet: i64, checked: usize, started: Instant) -> u8 {
    log::debug!(
        "hook ({}): checked {checked} session(s) in {:?}; next check in {quiet}s",
        args.shell.map(|s| format!("{s:?}").to_lowercase()).unwrap_or_else(|| "-".into()),
        started.elapsed()
    );
    if crate::cli::on(args.print_next) {
        outln!("{quiet}");
    }
    EXIT_OK
}

fn when(expires: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match expires {
        Some(e) if e > now => format!("the token expires in {}", crate::text::duration::human(e - now)),
        Some(e) => format!("the token expired {} ago", crate::text::duration::human(now - e)),
        None => "no token".into(),
    }
}

/// Prints `message` unless this shell (or, without a shell id, any caller within the hour) has
/// had the same hint about the same login (`hint`); returns when it may be printed again.
fn say_once(
    state: &Path,
    scope: hint::Scope<'_>,
    key: &str,
    login: &str,
    expires: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    message: &str,
) -> DateTime<Utc> {
    let path = hint::path(state, key, scope);
    if hint::due(&path, scope, login, expires, now) {
        errln!("{}", crate::sys::secret::one_line(message, 400));
        hint::record(&path, scope, login, expires, now);
        return hint::after_printing(scope, expires, now);
    }
    hint::next(&path, scope, login, expires, now)
}

/// Starts `ssofresh tick` for this target, detached, unless one already holds its lock;
/// returns whether it started one.
fn start_refresh(paths: &Paths, args: &HookArgs, w: &Watched) -> bool {
    let lock_path = lock::beside(&w.target.cache_path);
    match lock::acquire(&lock_path, Duration::ZERO) {
        Ok(Some(_free)) => {}
        Ok(None) => {
            log::debug!("hook: {}: a refresh is already running", w.target.label());
            return false;
        }
        // The tick will meet the same problem and put it in the activity log.
        Err(e) => log::debug!("hook: cannot lock {}: {e}", lock_path.display()),
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            log::debug!("hook: cannot find the ssofresh binary: {e}");
            return false;
        }
    };
    let abs = |p: &Path| -> OsString {
        if p.is_absolute() {
            p.as_os_str().to_owned()
        } else {
            std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf()).into_os_string()
        }
    };
    let mut argv: Vec<OsString> = ["tick", "--auto", "--quiet"].iter().map(OsString::from).collect();
    argv.extend(w.tick_args.iter().map(OsString::from));
    argv.push("--threshold".into());
    argv.push(crate::cli::duration_arg(args.threshold.value).into());
    // The session lengths and warning this hook was given, as flags or variables alike.
    for d in &args.session_end.durations {
        let value = crate::cli::duration_arg(d.duration);
        let value = match &d.session {
            Some(name) => format!("{name}={value}"),
            None => value,
        };
        argv.extend(["--session-duration".into(), value.into()]);
    }
    if let Some(d) = args.session_end.warn_before {
        argv.extend(["--warn-before".into(), crate::cli::duration_arg(d).into()]);
    }
    // The tick runs in `/`, so every path goes absolute; naming the log keeps it where it
    // would be without an explicit state directory.
    argv.extend(["--config-file".into(), abs(&paths.config_file)]);
    argv.extend(["--cache-dir".into(), abs(&paths.cache_dir)]);
    argv.extend(["--state-dir".into(), abs(&paths.state_dir)]);
    argv.extend(["--log-file".into(), abs(&paths.log_file)]);
    match crate::sys::detach::spawn(&exe, &argv) {
        Ok(pid) => {
            log::debug!("hook: {}: due; started a refresh (pid {pid})", w.target.label());
            true
        }
        Err(e) => {
            log::debug!("hook: {}: cannot start a refresh: {e}", w.target.label());
            false
        }
    }
}
