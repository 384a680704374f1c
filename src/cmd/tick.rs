//! `ssofresh tick`: refresh every selected token that is due.

use super::{cache_dir, combine, fail, load_config, settings};
use crate::aws::config::AwsConfig;
use crate::cli::{Global, TickArgs};
use crate::engine::refresh::{self, Outcome};
use crate::engine::target::{self, Target};
use crate::error::EXIT_OK;
use crate::text::units::human;
use chrono::{Local, Utc};

pub fn run(global: &Global, args: &TickArgs) -> u8 {
    if let Err(code) = super::refuse_unsafe_dirs(global) {
        return code;
    }
    let explicit = !args.selection.is_empty();
    // Only the sessions and the named profiles: the rest is read if a refresh is due.
    let cfg = match AwsConfig::load_sessions(&super::config_path(global), &args.selection.profiles) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let dir = cache_dir(global);
    let targets: Vec<Target> = if explicit {
        match target::select(&cfg, &args.selection.sessions, &args.selection.profiles, &dir) {
            Ok(t) => t,
            // The message lists the known names, so it needs the whole file.
            Err(_) => match load_config(global)
                .and_then(|full| target::select(&full, &args.selection.sessions, &args.selection.profiles, &dir))
            {
                Ok(t) => t,
                Err(e) => return fail(&e),
            },
        }
    } else {
        // By default: every sso-session that has been logged in. Legacy profiles cannot be
        // refreshed, so they are only checked when named.
        target::all(&cfg, &dir).into_iter().filter(|t| !t.is_legacy() && t.cache_path.exists()).collect()
    };
    let settings = settings(global, &args.refresh, args.auto);
    let mut code = EXIT_OK;
    for t in &targets {
        let outcome = refresh::run(t, &cfg, &settings).outcome;
        let now = Utc::now();
        match &outcome {
            Outcome::Refreshed { expires, .. } if !args.quiet => println!(
                "{}: refreshed; valid until {} ({} left)",
                t.label(),
                expires.with_timezone(&Local).format("%H:%M %Z"),
                human(*expires - now)
            ),
            Outcome::NotLoggedIn if explicit && !args.quiet => {
                eprintln!("ssofresh: {}: not logged in — run: {}", t.label(), t.login_command())
            }
            _ => {
                if let Some(msg) = outcome.problem(t, now) {
                    eprintln!("ssofresh: {msg}");
                }
            }
        }
        code = combine(code, outcome.exit_code());
    }
    code
}
