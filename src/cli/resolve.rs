//! From the parsed command line to what the commands work with, resolved once (as ripgrep's
//! low-level arguments become its high-level ones): paths with `~` expanded, the activity
//! log's limits, the AWS variables, the clock, and each command's own settings. This is the
//! only place that reads the process environment; clap reads the variables its flags name
//! while parsing, and nothing below the commands reads any.
//!
//! Cheap by design: the hook and the no-op tick resolve their context at every shell prompt, so
//! only what every command needs is resolved up front (a few variable look-ups, no file
//! access); what some commands need (the AWS variables, the browser, the locale, colour) is
//! resolved when one of them asks.

use super::{
    Color, ColorWhen, EnvFormat, Global, NotifyArgs, NotifyBackend, NotifyEvent, RefreshArgs, RoleArgs, SessionEnd,
    Symbols, Timeouts,
};
use crate::auth::browser::BrowserEnv;
use crate::aws::env::{AwsEnv, ProxyEnv};
use crate::aws::http::HttpSettings;
use crate::context::{Context, UserEnv};
use crate::engine::activity::Limits;
use crate::engine::{horizon, refresh, role};
use crate::error::Error;
use crate::notify::{self, Backend, Kind, Sound};
use crate::shell::export;
use crate::sys::clock::Clock;
use crate::sys::paths::{self, Paths, Requested};
use crate::sys::secret::Secret;
use crate::text::style::{self, ColorChoice, Style};
use chrono::{DateTime, Utc};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Test only: pins the clock (an RFC 3339 time), so that what commands print does not depend on
/// when the tests run. Not a flag: it is no setting for users.
const TEST_NOW: &str = "SSOFRESH_TEST_NOW";

/// Logging only when asked for (`SSOFRESH_LOG`, env_logger's filter syntax): an unused logger
/// still costs start-up time.
pub fn logging() {
    if let Ok(filter) = std::env::var("SSOFRESH_LOG") {
        env_logger::Builder::new().parse_filters(&filter).target(env_logger::Target::Stderr).init();
    }
}

/// What every command works with.
pub fn context(global: &Global) -> Result<Context, Error> {
    let requested = Requested {
        config_file: global.config_file.as_deref(),
        cache_dir: global.cache_dir.as_deref(),
        state_dir: global.state_dir.as_deref(),
        log_file: global.log_file.as_deref(),
    };
    let paths = Paths::resolve(requested, home(), state_base);
    let log_limits = Limits {
        max_size: global.log_max_size.unwrap_or(Limits::DEFAULT.max_size),
        max_files: global.log_max_files.unwrap_or(Limits::DEFAULT.max_files),
    };
    Ok(Context::new(paths, log_limits, clock()?, aws_env))
}

/// HOME as the AWS CLI finds it. On Windows that is Python's `expanduser`: `USERPROFILE`, else
/// `HOMEDRIVE` + `HOMEPATH`; `dirs` asks the shell's known folder instead, which ignores both,
/// so a changed `USERPROFILE` would put our cache where botocore never looks.
fn home() -> PathBuf {
    #[cfg(windows)]
    if let Some(home) = windows_home(|k| std::env::var_os(k)) {
        return home;
    }
    dirs::home_dir().unwrap_or_else(|| PathBuf::from("."))
}

/// Python's `ntpath.expanduser` for `~` (3.8 and later: `HOME` is not read), from the variables
/// `var` gives; `None` when neither is set.
#[cfg(any(windows, test))]
fn windows_home(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let set = |k: &str| var(k).filter(|v| !v.is_empty());
    if let Some(profile) = set("USERPROFILE") {
        return Some(PathBuf::from(profile));
    }
    let path = set("HOMEPATH")?;
    let mut home = set("HOMEDRIVE").unwrap_or_default();
    home.push(path);
    Some(PathBuf::from(home))
}

/// The platform's directory that ssofresh's state goes under, from the HOME already found:
/// `dirs::state_dir` would look HOME up again, and with HOME unset that is another pass over the
/// password database at every prompt. `$XDG_STATE_HOME` when absolute (else ignored), else
/// `~/.local/state` (Linux, the BSDs); `~/Library/Application Support` (macOS, which has no
/// state directory); `%LOCALAPPDATA%` (Windows, the variable first, as documented), else the
/// local data directory.
fn state_base(home: &Path) -> Option<PathBuf> {
    if cfg!(windows) {
        std::env::var_os("LOCALAPPDATA").filter(|v| !v.is_empty()).map(PathBuf::from).or_else(dirs::data_local_dir)
    } else if cfg!(target_os = "macos") {
        Some(home.join("Library").join("Application Support"))
    } else {
        Some(paths::xdg_state_home(std::env::var_os("XDG_STATE_HOME"), home))
    }
}

fn clock() -> Result<Clock, Error> {
    let start = match std::env::var(TEST_NOW) {
        Ok(t) if !t.trim().is_empty() => DateTime::parse_from_rfc3339(t.trim())
            .map_err(|e| Error::Usage(format!("{TEST_NOW}={t:?} is not an RFC 3339 time: {e}")))?
            .with_timezone(&Utc),
        _ => Utc::now(),
    };
    Ok(Clock::starting_at(start))
}

fn aws_env() -> AwsEnv {
    let set = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    AwsEnv {
        profile: std::env::var("AWS_PROFILE").ok(),
        endpoint_vars: AwsEnv::ENDPOINT_VARS.iter().filter_map(|k| Some((*k, std::env::var(k).ok()?))).collect(),
        // Taken over from reqwest, which would otherwise read them itself, HTTP_PROXY included.
        proxy: ProxyEnv {
            proxy: ProxyEnv::PROXY_VARS.iter().find_map(|k| Some((*k, Secret::new(set(k)?)))),
            no_proxy: ProxyEnv::NO_PROXY_VARS.iter().find_map(|k| set(k)),
        },
    }
}

/// `AWS_PROFILE` alone, for the prompt segment: one variable at every prompt, not the whole
/// snapshot of endpoint and proxy variables that `Context::aws` reads.
pub fn aws_profile() -> Option<String> {
    std::env::var("AWS_PROFILE").ok()
}

/// What `ssofresh exec` sets in the environment of the command it runs: the profile whose
/// credentials are there. Seeing it, a second `exec` refuses to nest one identity in another.
pub const EXEC_MARKER: &str = "AWS_SSOFRESH_PROFILE";

/// The profile of the `ssofresh exec` this process runs inside, if any.
pub fn exec_marker() -> Option<String> {
    std::env::var(EXEC_MARKER).ok().filter(|v| !v.is_empty())
}

/// Where the user's shell and desktop keep their files (`init`, `doctor`).
pub fn user_env() -> UserEnv {
    UserEnv {
        path: std::env::var_os("PATH"),
        xdg_config_home: std::env::var("XDG_CONFIG_HOME").ok(),
        zdotdir: std::env::var("ZDOTDIR").ok(),
        shell: std::env::var("SHELL").ok().filter(|s| !s.trim().is_empty()),
        windows_account: windows_account(|k| std::env::var(k).ok()),
    }
}

/// `DOMAIN\user` (a local account's domain is the computer's name), as Task Scheduler names
/// users; just the user without a domain; `None` without `USERNAME`.
fn windows_account(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let user = var("USERNAME").filter(|u| !u.trim().is_empty())?;
    Some(match var("USERDOMAIN").filter(|d| !d.trim().is_empty()) {
        Some(domain) => format!("{domain}\\{user}"),
        None => user,
    })
}

/// Whether a browser can be opened here, and which (`login`).
pub fn browser() -> BrowserEnv {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    BrowserEnv {
        browser: std::env::var_os("BROWSER").map(|v| v.to_string_lossy().into_owned()),
        graphical: set("DISPLAY") || set("WAYLAND_DISPLAY"),
        over_ssh: set("SSH_CONNECTION") || set("SSH_TTY"),
    }
}

/// Colour and symbols for stdout: `auto` means colour on a terminal, unless `NO_COLOR` is set
/// or `TERM=dumb`.
pub fn style(color: &Color) -> Style {
    let choice = match color.when {
        ColorWhen::Auto => ColorChoice::Auto,
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
    };
    let auto = choice == ColorChoice::Auto && {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        std::io::stdout().is_terminal() && !no_color && !dumb
    };
    Style::decide(choice, auto)
}

/// Whether the prompt segment may use Unicode symbols.
pub fn unicode(symbols: Symbols) -> bool {
    match symbols {
        Symbols::Unicode => true,
        Symbols::Ascii => false,
        Symbols::Auto => style::locale_is_utf8(|k| std::env::var(k).ok()),
    }
}

pub fn http(t: &Timeouts) -> HttpSettings {
    HttpSettings { connect_timeout: t.connect_timeout, timeout: t.timeout }
}

/// Pause before the first retry when nobody waits (a timer, the prompt hook's background tick).
const RETRY_BACKOFF: Duration = Duration::from_secs(10);
/// … and when a person does: `tick` run by hand on a terminal retries 2 s, 4 s, 6 s after the
/// failures rather than 10 s, 20 s, 30 s.
const RETRY_BACKOFF_WAITING: Duration = Duration::from_secs(2);

/// Whether a person is watching stderr (a terminal), to be told of each retry.
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// How the engine refreshes: `auto` when the prompt hook (or a scheduler) started the tick.
/// Without `--retry-backoff`, a person waiting at a terminal gets the shorter schedule.
pub fn refresh(ctx: &Context, r: &RefreshArgs, auto: bool) -> refresh::Settings {
    let waiting = !auto && stderr_is_terminal();
    refresh::Settings {
        threshold: r.threshold.value,
        max_retry_attempts: r.max_retry_attempts,
        retry_backoff: r.retry_backoff.unwrap_or(if waiting { RETRY_BACKOFF_WAITING } else { RETRY_BACKOFF }),
        on_retry: None,
        http: http(&r.timeouts),
        auto,
        state_dir: ctx.paths.state_dir.clone(),
        log: ctx.activity_log(),
        aws: ctx.aws_cell().clone(),
        clock: ctx.clock,
        force_if: None,
        horizon: horizon(&r.session_end),
    }
}

/// How `login` checks a session whose access token has expired: one refresh, at once, as a
/// tick by hand would make it, with login's own timeouts.
pub fn login_refresh(ctx: &Context, timeouts: &Timeouts, ends: &SessionEnd) -> refresh::Settings {
    refresh::Settings {
        threshold: Duration::from_secs(20 * 60),
        max_retry_attempts: 0,
        retry_backoff: Duration::ZERO,
        on_retry: None,
        http: http(timeouts),
        auto: false,
        state_dir: ctx.paths.state_dir.clone(),
        log: ctx.activity_log(),
        aws: ctx.aws_cell().clone(),
        clock: ctx.clock,
        force_if: None,
        horizon: horizon(ends),
    }
}

/// The session lengths the user stated and the warning before a session ends.
pub fn horizon(a: &SessionEnd) -> horizon::Settings {
    horizon::Settings {
        durations: a.durations.iter().map(|d| (d.session.clone(), d.duration)).collect(),
        warn_before: a.warn_before.unwrap_or(horizon::WARN_BEFORE),
    }
}

/// Which role credentials to reuse, and where they are cached.
pub fn role(ctx: &Context, args: &RoleArgs) -> role::Options {
    role::Options {
        window: args.window,
        use_cache: !args.no_cache,
        cache_dir: match &args.role_cache_dir {
            Some(dir) => paths::expand_tilde(dir, &ctx.paths.home),
            None => ctx.paths.role_cache_dir(),
        },
        settings: refresh(ctx, &args.refresh, false),
    }
}

/// The notification settings, with the defaults that are not in clap (a default clap holds is
/// parsed at every start; inlined for the same reason).
#[inline]
pub fn notify(a: &NotifyArgs) -> notify::Settings {
    let command = a.notify_command.clone().filter(|c| !c.trim().is_empty());
    // Setting a command is enough to use it; SSOFRESH_NOTIFY picks explicitly.
    let backend = match a.backend {
        Some(NotifyBackend::Desktop) => Backend::Desktop,
        Some(NotifyBackend::Command) => Backend::Command,
        Some(NotifyBackend::None) => Backend::None,
        None if command.is_some() => Backend::Command,
        None => Backend::Desktop,
    };
    notify::Settings {
        backend,
        command,
        sound: a.notify_sound.as_deref().map(Sound::parse).unwrap_or(Sound::Default),
        on_success: a.notify_on_success.unwrap_or(false),
        on_error: a.notify_on_error.unwrap_or(true),
        on_login: a.notify_on_login.unwrap_or(false),
        on_session_ending: a.notify_on_session_ending.unwrap_or(true),
        interval: a.notify_interval.unwrap_or(Duration::from_secs(3600)),
        timeout: a.notify_timeout.unwrap_or(Duration::from_secs(5)),
    }
}

/// The notification settings a tick started from this environment would use, for commands
/// without the notification flags (`doctor`): the variables read through the same clap
/// definitions, so they are judged exactly as a tick judges them. `Err` is clap's complaint.
pub fn notify_from_env() -> Result<notify::Settings, String> {
    use clap::{Args, FromArgMatches};
    let no_flags: [&str; 0] = [];
    NotifyArgs::augment_args(clap::Command::new("ssofresh").no_binary_name(true))
        .try_get_matches_from(no_flags)
        .and_then(|m| NotifyArgs::from_arg_matches(&m))
        .map(|a| notify(&a))
        .map_err(|e| {
            // clap's first paragraph, on one line: "invalid value 'x' for '--notify-interval …'".
            let text = e.to_string();
            let lines: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            let joined = lines.join(" ");
            joined.strip_prefix("error: ").unwrap_or(&joined).to_string()
        })
}

/// Where the notification backends would look (`doctor`, `notify --test`): the session bus's
/// address and directory, and PATH.
pub fn notify_reach() -> notify::check::Reach {
    notify::check::Reach {
        dbus_address: std::env::var("DBUS_SESSION_BUS_ADDRESS").ok(),
        runtime_dir: std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()).map(PathBuf::from),
        path: std::env::var_os("PATH"),
    }
}

pub fn notify_event(e: Option<NotifyEvent>) -> Kind {
    match e {
        None => Kind::Test,
        Some(NotifyEvent::Refreshed) => Kind::Refreshed,
        Some(NotifyEvent::RefreshFailed) => Kind::RefreshFailed,
        Some(NotifyEvent::ExpiringSoon) => Kind::ExpiringSoon,
        Some(NotifyEvent::ReloginRequired) => Kind::ReloginRequired,
        Some(NotifyEvent::LoginDetected) => Kind::LoginDetected,
        Some(NotifyEvent::SessionEnding) => Kind::SessionEnding,
    }
}

pub fn env_format(f: EnvFormat) -> export::Format {
    match f {
        EnvFormat::Sh => export::Format::Sh,
        EnvFormat::Fish => export::Format::Fish,
        EnvFormat::Powershell => export::Format::Powershell,
        EnvFormat::Json => export::Format::Json,
        EnvFormat::Dotenv => export::Format::Dotenv,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn windows_home_is_found_as_python_finds_it() {
        fn env<'a>(pairs: &'a [(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
            move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| OsString::from(v))
        }
        let all = [("USERPROFILE", r"D:\Profiles\u"), ("HOMEDRIVE", "C:"), ("HOMEPATH", r"\Users\u")];
        assert_eq!(windows_home(env(&all)), Some(PathBuf::from(r"D:\Profiles\u")), "USERPROFILE first");
        let drive_path = [("USERPROFILE", ""), ("HOMEDRIVE", "C:"), ("HOMEPATH", r"\Users\u"), ("HOME", "/h")];
        assert_eq!(windows_home(env(&drive_path)), Some(PathBuf::from(r"C:\Users\u")), "then drive and path");
        assert_eq!(windows_home(env(&[("HOMEPATH", r"\Users\u")])), Some(PathBuf::from(r"\Users\u")));
        assert_eq!(windows_home(env(&[("HOME", "/h"), ("HOMEDRIVE", "C:")])), None, "HOME is not read");
    }

    #[test]
    fn windows_account_is_domain_and_user() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert_eq!(windows_account(env(&[("USERDOMAIN", "CORP"), ("USERNAME", "ana")])).as_deref(), Some(r"CORP\ana"));
        assert_eq!(windows_account(env(&[("USERNAME", "ana")])).as_deref(), Some("ana"));
        assert_eq!(windows_account(env(&[("USERDOMAIN", "CORP"), ("USERNAME", " ")])), None);
    }
}
