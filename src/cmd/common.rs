//! What several commands share: loading the config, combining exit codes, refusing unsafe
//! directories, the role credentials of `credential-process` and `env`, writing to stdout.

use crate::aws::config::AwsConfig;
use crate::aws::config_edit::{self, Written};
use crate::cli::{resolve, RoleArgs};
use crate::context::Context;
use crate::engine::refresh;
use crate::engine::role::{self, Fetched, RoleError, RoleSpec};
use crate::engine::target::Target;
use crate::error::{Error, EXIT_OK, EXIT_RELOGIN, EXIT_TRANSIENT, EXIT_USAGE};
use crate::notify::Notifier;
use crate::sys::lock::{self, Lock};
use crate::sys::paths::Paths;
use crate::sys::stdio::errln;
use crate::text::timefmt;
use std::io::Write;
use std::path::Path;

/// The whole AWS config file.
pub fn load_config(ctx: &Context) -> Result<AwsConfig, Error> {
    AwsConfig::load(&ctx.paths.config_file)
}

/// The exit code for several sessions: configuration problems first, then re-login, then
/// transient failures.
pub fn combine(a: u8, b: u8) -> u8 {
    let rank = |c| match c {
        EXIT_USAGE => 3,
        EXIT_RELOGIN => 2,
        EXIT_TRANSIENT => 1,
        EXIT_OK => 0,
        _ => 4,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Refuses a token cache or state directory that another user owns or can write to, before
/// any token is read or written there: one `stat` each.
pub fn refuse_unsafe_dirs(paths: &Paths) -> Result<(), u8> {
    for dir in [&paths.cache_dir, &paths.state_dir] {
        if let Err(u) = crate::sys::guard::check_dir(dir) {
            errln!("ssofresh: {u}");
            return Err(EXIT_USAGE);
        }
    }
    Ok(())
}

/// The longest a login or logout waits for a refresh to finish: a refresh holds the lock for
/// its request and retries (with the defaults, under two minutes).
const CACHE_LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(300);

/// The lock beside a token cache, for a login or logout about to write it: a refresh holding
/// it may be about to write too, and must not overwrite (or bring back) what this writes. Says
/// so on stderr while it waits. `Ok(None)` on a file system without locks, where the write goes
/// ahead unguarded (as a refresh does); `Err` says why there is no lock, with the exit code.
pub fn wait_for_cache_lock(target: &Target) -> Result<Option<Lock>, (String, u8)> {
    let path = lock::beside(&target.cache_path);
    let failed = |e: std::io::Error| {
        if let Some(u) = crate::sys::guard::as_unsafe(&e) {
            return (u.to_string(), EXIT_USAGE);
        }
        let (_, cause) = crate::sys::fs::write_cause(&e);
        (format!("cannot lock {}: {cause}", path.display()), EXIT_TRANSIENT)
    };
    match lock::acquire(&path, std::time::Duration::ZERO) {
        Ok(Some(l)) => return Ok(Some(l)),
        Ok(None) => {}
        Err(e) if lock::unsupported(&e) => {
            ::log::warn!("cannot lock {}: {e}; going ahead without the lock", path.display());
            return Ok(None);
        }
        Err(e) => return Err(failed(e)),
    }
    errln!("ssofresh: {}: waiting for another ssofresh process to finish refreshing it…", target.label());
    match lock::acquire(&path, CACHE_LOCK_PATIENCE) {
        Ok(Some(l)) => Ok(Some(l)),
        Ok(None) => Err((
            format!(
                "another ssofresh process has been refreshing it for {} (it holds {}); try again once it has finished",
                crate::text::duration::human(chrono::Duration::from_std(CACHE_LOCK_PATIENCE).unwrap_or_default()),
                path.display()
            ),
            EXIT_TRANSIENT,
        )),
        Err(e) => Err(failed(e)),
    }
}

/// Says what is wrong. Every `Error` is a usage or configuration problem: exit 2.
pub fn fail(e: &Error) -> u8 {
    errln!("ssofresh: {e}");
    EXIT_USAGE
}

/// Role credentials, and the region of the profile they were named by (if it has one).
pub struct RoleOutput {
    pub fetched: Fetched,
    pub region: Option<String>,
    /// How the role was named: the profile, else `sso-session NAME (account …, role …)`.
    pub label: String,
}

/// credential-process, env and exec: resolves the role named by the arguments and gets its
/// credentials (cached or fetched), notifying about a token refresh on the way.
pub fn role_credentials(ctx: &Context, args: &RoleArgs) -> Result<RoleOutput, RoleError> {
    // Like the AWS CLI, the active profile is the default; but not when a session is named.
    let env_profile = ctx.aws().profile.clone().filter(|_| args.session.is_none());
    let profile = args.profile.clone().or(env_profile);
    // The cached path needs only this profile and the sessions; the rest is read if a fetch is due.
    let named: Vec<String> = profile.iter().cloned().collect();
    let cfg = match AwsConfig::load_sessions(&ctx.paths.config_file, &named) {
        Ok(c) if profile.as_ref().is_none_or(|p| c.profile(p).is_some()) => c,
        // An unknown profile: the message lists the known ones, from the whole file.
        _ => load_config(ctx).map_err(|e| RoleError::Config { source: e, hint: String::new() })?,
    };
    let spec = RoleSpec::resolve(
        &cfg,
        profile.as_deref(),
        args.session.as_deref(),
        args.account_id.as_deref(),
        args.role_name.as_deref(),
        &ctx.paths.cache_dir,
    )?;
    let opts = resolve::role(ctx, args);
    let notify = resolve::notify(&args.refresh.notify);
    let notifier = notifier(&notify, &opts.settings);
    let fetched = role::credentials(&spec, &cfg, &opts, &mut |report| {
        notifier.report(&spec.target, report, ctx.clock.now());
        if let Some(w) = report.clock_skew.and_then(crate::engine::refresh::skew_warning) {
            errln!("ssofresh: warning: {}: {w}", spec.target.label());
        }
    })?;
    ::log::debug!(
        "{}: credentials from {:?}, valid until {}",
        spec.label(),
        fetched.source,
        timefmt::format(fetched.creds.expiration)
    );
    if let Some(w) = &fetched.cache_warning {
        errln!("ssofresh: warning: {w}");
    }
    let region = spec.profile.as_deref().and_then(|p| cfg.profile(p)).and_then(|p| p.region.clone());
    let label = spec.profile.clone().unwrap_or_else(|| spec.label());
    Ok(RoleOutput { fetched, region, label })
}

/// Writes the one thing that may carry secrets to stdout, in one write.
pub fn emit(bytes: &[u8]) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            errln!("ssofresh: cannot write the credentials to stdout: {e}");
            EXIT_TRANSIENT
        }
    }
}

/// Writes generated text to stdout in one go. A reader that stops early (`| head`) is not an
/// error: the user has what they wanted.
pub fn print_generated(bytes: &[u8], what: &str) -> u8 {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => {
            errln!("ssofresh: cannot write {what} to stdout: {e}");
            EXIT_TRANSIENT
        }
    }
}

/// Changes the config file through `edit` (which gets the current text and returns the new
/// one, or a message for the user); says what went wrong and returns the exit code when it
/// could not.
pub fn write_config(ctx: &Context, edit: impl Fn(&str) -> Result<String, String>) -> Result<(Written, String), u8> {
    match config_edit::update(&ctx.paths.config_file, &ctx.paths.state_dir, edit) {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(msg)) => {
            errln!("ssofresh: {msg}");
            Err(EXIT_USAGE)
        }
        Err(e) => {
            errln!("ssofresh: {e}");
            Err(EXIT_USAGE)
        }
    }
}

/// How a write ended, in one line: `Updated ~/.aws/config (previous version: …)`.
pub fn written(path: &Path, how: &Written, home: &Path) -> String {
    let show = |p: &Path| crate::text::style::home_relative(&p.display().to_string(), home);
    match how {
        Written::Unchanged => format!("{} already says so; nothing changed", show(path)),
        Written::Created => format!("created {}", show(path)),
        Written::Updated { backup } => format!("updated {} (previous version: {})", show(path), show(backup)),
    }
}

pub fn region_error(flag: &str, r: &str) -> String {
    format!(
        "{flag} {r:?} is not an AWS region (such as us-east-1 or eu-west-1); use the region IAM Identity Center \
         runs in (its console's Settings page shows it)"
    )
}

/// The notifications of an engine run with these refresh settings.
pub fn notifier<'a>(notify: &'a crate::notify::Settings, refresh: &'a refresh::Settings) -> Notifier<'a> {
    Notifier {
        settings: notify,
        threshold: refresh.threshold,
        warn_before: refresh.horizon.warn_before,
        state_dir: &refresh.state_dir,
        log: &refresh.log,
    }
}
