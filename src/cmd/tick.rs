//! `ssofresh tick`: refresh every selected token that is due, and notify about what needs the
//! user.

use super::common::{combine, fail};
use crate::aws::config::AwsConfig;
use crate::cli::{resolve, TickArgs};
use crate::context::Context;
use crate::engine::refresh::{self, Outcome};
use crate::engine::target::{self, Target};
use crate::error::EXIT_OK;
use crate::notify::Notifier;
use crate::sys::stdio::{errln, outln};
use crate::text::duration::human;

pub fn run(ctx: &Context, args: &TickArgs) -> u8 {
    let paths = &ctx.paths;
    if let Err(code) = super::common::refuse_unsafe_dirs(paths) {
        return code;
    }
    let (sessions, profiles) = (&args.selection.sessions(), &args.selection.profiles());
    let explicit = !args.selection.is_empty();
    // Only the sessions and the named profiles: the rest is read if a refresh is due.
    let cfg = match AwsConfig::load_sessions(&paths.config_file, profiles) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let dir = &paths.cache_dir;
    let targets: Vec<Target> = if explicit {
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
    let mut settings = resolve::refresh(ctx, &args.refresh, args.auto);
    if resolve::stderr_is_terminal() {
        // Offline, a tick run by hand would otherwise say nothing until its retries are done.
        settings.on_retry = Some(say_retry);
    }
    let notify = resolve::notify(&args.refresh.notify);
    let notifier = Notifier {
        settings: &notify,
        threshold: settings.threshold,
        state_dir: &settings.state_dir,
        log: &settings.log,
    };
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
            Outcome::Refreshed { expires, .. } if !args.quiet => outln!(
                "{}: refreshed; valid until {} ({} left)",
                t.label(),
                crate::text::timefmt::local_hm(*expires),
                human(*expires - now)
            ),
            Outcome::NotLoggedIn if explicit && !args.quiet => {
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
