//! `ssofresh hook`: what the shell runs before each prompt. Local files only: when a token is
//! due it starts a detached `ssofresh tick` and returns at once; when only a new login helps it
//! says so, at most once an hour per session. Always exits 0: a prompt has no use for errors.

use super::{cache_dir, config_path, load_config, state_dir};
use crate::cli::{Global, HookArgs};
use crate::error::EXIT_OK;
use crate::hint;
use crate::lock;
use crate::watch::{self, Health, Watched};
use chrono::{DateTime, Utc};
use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

/// Sessions nobody named stop getting hints a week after their token expired: an old login
/// left in the cache should not nag forever. Named ones always get them.
const STALE_AFTER: chrono::Duration = chrono::Duration::days(7);

pub fn run(global: &Global, args: &HookArgs) -> u8 {
    let started = Instant::now();
    let now = Utc::now();
    let state = state_dir(global);
    let hints = !args.no_hints;
    let cfg = match load_config(global) {
        Ok(c) => c,
        Err(e) => {
            if hints {
                say_once(&state, "config", "-", now, &format!("ssofresh: {e}"));
            }
            return EXIT_OK;
        }
    };
    let cache = cache_dir(global);
    let watched = match watch::select(&cfg, &args.selection, &cache) {
        Ok(w) => w,
        Err(e) => {
            if hints {
                say_once(&state, "selection", "-", now, &format!("ssofresh: {e}"));
            }
            return EXIT_OK;
        }
    };
    for w in &watched {
        let a = watch::assess(&w.target, &state, args.threshold, now);
        log::debug!("hook: {}: {:?}", w.target.label(), a.health);
        let who = watch::describe(&w.target);
        let login = w.target.login_command();
        let message = match &a.health {
            Health::Fresh { .. } | Health::BackingOff { .. } => None,
            Health::NotLoggedIn if !w.explicit => None,
            Health::Due { .. } => {
                start_refresh(global, args, w, &cache, &state);
                None
            }
            Health::NotLoggedIn => Some(format!("ssofresh: {who} is not logged in — run: {login}")),
            Health::Relogin { expires, .. } if w.explicit || *expires > now - STALE_AFTER => {
                Some(format!("ssofresh: {who} needs a new login ({}) — run: {login}", when(*expires, now)))
            }
            Health::Relogin { .. } => None,
            Health::Broken { reason } => Some(format!("ssofresh: {who}: {reason} — run: {login}")),
        };
        if let (true, Some(m)) = (hints, message) {
            say_once(&state, &w.target.cache_key, &watch::login_id(a.token.as_ref()), now, &m);
        }
    }
    log::debug!(
        "hook ({}): checked {} session(s) in {:?}",
        args.shell.map(|s| format!("{s:?}").to_lowercase()).unwrap_or_else(|| "-".into()),
        watched.len(),
        started.elapsed()
    );
    EXIT_OK
}

fn when(expires: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let left = crate::units::human(expires - now);
    if expires > now {
        format!("the token expires in {left}")
    } else {
        format!("the token expired {} ago", left.trim_start_matches('-'))
    }
}

/// Prints `message` unless the same hint about the same login was printed within the hour.
fn say_once(state: &Path, key: &str, login: &str, now: DateTime<Utc>, message: &str) {
    let path = hint::path(state, key);
    if hint::due(&path, login, now) {
        eprintln!("{}", crate::secret::one_line(message, 400));
        hint::record(&path, login, now);
    }
}

/// Starts `ssofresh tick` for this target, detached, unless one already holds its lock.
fn start_refresh(global: &Global, args: &HookArgs, w: &Watched, cache: &Path, state: &Path) {
    let lock_path = lock::lock_path(state, &w.target.cache_key);
    match lock::acquire(&lock_path, Duration::ZERO) {
        Ok(Some(_free)) => {}
        Ok(None) => {
            log::debug!("hook: {}: a refresh is already running", w.target.label());
            return;
        }
        // The tick will meet the same problem and put it in the activity log.
        Err(e) => log::debug!("hook: cannot lock {}: {e}", lock_path.display()),
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            log::debug!("hook: cannot find the ssofresh binary: {e}");
            return;
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
    argv.push(super::init::duration_arg(args.threshold).into());
    // The tick runs in `/`, so every path goes absolute.
    argv.extend(["--config-file".into(), abs(&config_path(global))]);
    argv.extend(["--cache-dir".into(), abs(cache)]);
    argv.extend(["--state-dir".into(), abs(state)]);
    match crate::detach::spawn(&exe, &argv) {
        Ok(pid) => log::debug!("hook: {}: due; started a refresh (pid {pid})", w.target.label()),
        Err(e) => log::debug!("hook: {}: cannot start a refresh: {e}", w.target.label()),
    }
}
