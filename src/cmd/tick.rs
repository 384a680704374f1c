//! `ssofresh tick`: refresh every selected token that is due, and notify about what needs the
//! user.

use super::common::{combine, fail, notifier};
use crate::aws::config::AwsConfig;
use crate::cli::{on, resolve, TickArgs};
use crate::context::Context;
use crate::engine::refresh::{self, Outcome};
use crate::engine::target::{self, Active, Target};
use crate::error::EXIT_OK;
use crate::sys::stdio::{errln, outln};
use crate::text::duration::human;

pub fn run(ctx: &Context, args: &TickArgs) -> u8 {
    let paths = &ctx.paths;
    if let Err(code) = super::common::refuse_unsafe_dirs(paths) {
        return code;
    }
    let (sessions, profiles) = (&args.selection.sessions(), &args.selection.profiles());
    let (all, auto, quiet) = (on(args.all), on(args.auto), on(args.quiet));
    let named = !all && !args.selection.is_empty();
    // By hand, AWS_PROFILE selects as --profile does; an automatic tick (the prompt hook, a
    // timer) works on what it was set up for, whatever profile the shell has active.
    let active = if named || all || auto { None } else { resolve::aws_profile() };
    let wanted: std::borrow::Cow<[String]> = match &active {
        Some(p) => profiles.iter().chain([p]).cloned().collect::<Vec<_>>().into(),
        None => profiles.into(),
    };
    // Only the sessions and the named profiles: the rest is read if a refresh is due.
    let cfg = match AwsConfig::load_sessions(&paths.config_file, &wanted) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let dir = &paths.cache_dir;
    let by_active = match active.as_deref().map(|p| target::active(&cfg, Some(p), dir)) {
        Some(Ok(Active::Selects(t))) => Some(t),
        // The message lists the known names, so it needs the whole file.
        Some(Err(_)) => {
            match super::common::load_config(ctx).and_then(|c| target::active(&c, active.as_deref(), dir)) {
                Ok(Active::Selects(t)) => Some(t),
                Ok(_) => None,
                Err(e) => return fail(&e),
            }
        }
        _ => None,
    };
    let explicit = named || by_active.is_some();
    let targets: Vec<Target> = if let Some(t) = by_active {
        vec![t]
    } else if named {
        match target::select(&cfg, sessions, profiles, dir) {
            Ok(t) => t,
            // The message lists the known names, so it needs the whole file.
            Err(_) => {
                match super::common::load_config(ctx).and_then(|full| target::select(&full, sessions, profiles, dir)) {
                    Ok(t) => t,
                    Err(e) => return fail(&e),
                }
            }
        }
    } else {
        // By default: every sso-session that has been logged in. Legacy profiles cannot be
        // refreshed, so they are only checked when named.
        target::all(&cfg, dir).into_iter().filter(|t| !t.is_legacy() && t.cache_path.exists()).collect()
    };
    let mut settings = resolve::refresh(ctx, &args.refresh, auto);
    if resolve::stderr_is_terminal() {
        // Offline, a tick run by hand would otherwise say nothing until its retries are done.
        settings.on_retry = Some(say_retry);
    }
    let notify = resolve::notify(&args.refresh.notify);
    let notifier = notifier(&notify, &settings);
    let mut code = EXIT_OK;
    for t in &targets {
        let report = refresh::run(t, &cfg, &settings);
        let now = ctx.clock.now();
        notifier.report(t, &report, now);
        if let Some(w) = report.clock_skew.and_then(refresh::skew_warning) {
            errln!("ssofresh: warning: {}: {w}", t.label());
        }
        let outcome = report.outcome;
        match &outcome {
            Outcome::Refreshed { expires, .. } if !quiet => outln!(
                "{}: refreshed; valid until {} ({} left)",
                t.label(),
                crate::text::timefmt::local_hm(*expires),
                human(*expires - now)
            ),
            Outcome::NotLoggedIn if explicit && !quiet => {
                errln!("ssofresh: {}: not logged in — run: {}", t.label(), t.login_command())
            }
            _ => {
                if let Some(msg) = outcome.problem(t, now) {
                    errln!("ssofresh: {msg}");
                }
            }
        }
        code = combine(code, outcome.exit_code());
    }
    code
}

/// `corp: attempt 1 failed (cannot connect to …); retrying in 2s`, on stderr.
fn say_retry(label: &str, attempt: u32, message: &str, pause: std::time::Duration) {
    let message = crate::sys::secret::one_line(message, 300);
    let pause = crate::text::duration::show(pause, crate::text::duration::Form::Flag);
    errln!("ssofresh: {label}: attempt {attempt} failed ({message}); retrying in {pause}");
}
