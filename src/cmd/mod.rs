//! One module per subcommand; each returns the process exit code.

pub mod completions;
pub mod configure;
pub mod credential_process;
pub mod doctor;
pub mod env;
pub mod hook;
pub mod init;
pub mod log;
pub mod login;
pub mod logout;
pub mod man;
pub mod notify;
pub mod prompt;
pub mod status;
pub mod tick;

use crate::aws::config::AwsConfig;
use crate::aws::http::HttpSettings;
use crate::cli::{Global, RefreshArgs};
use crate::engine::refresh::Settings;
use crate::error::{Error, EXIT_OK, EXIT_RELOGIN, EXIT_TRANSIENT, EXIT_USAGE};
use std::path::PathBuf;

/// Logging only when asked for: an unused logger still costs start-up time.
pub fn init_logging() {
    if let Ok(filter) = std::env::var("SSOFRESH_LOG") {
        env_logger::Builder::new().parse_filters(&filter).target(env_logger::Target::Stderr).init();
    }
}

pub fn config_path(global: &Global) -> PathBuf {
    match &global.config_file {
        // Same `~` expansion as AWS_CONFIG_FILE gets.
        Some(p) if !p.as_os_str().is_empty() => crate::sys::paths::expand_tilde(&p.to_string_lossy()),
        _ => crate::sys::paths::aws_config_file(),
    }
}

pub fn load_config(global: &Global) -> Result<AwsConfig, Error> {
    AwsConfig::load(&config_path(global))
}

pub fn cache_dir(global: &Global) -> PathBuf {
    crate::sys::paths::sso_cache_dir(global.cache_dir.as_deref())
}

pub fn state_dir(global: &Global) -> PathBuf {
    match &global.state_dir {
        Some(p) if !p.as_os_str().is_empty() => p.clone(),
        _ => crate::sys::paths::state_dir(),
    }
}

/// `--log-file`/`SSOFRESH_LOG_FILE`, else `activity.log` in an explicitly given state
/// directory, else the platform default.
pub fn activity_log(global: &Global) -> PathBuf {
    match (&global.log_file, &global.state_dir) {
        (Some(p), _) if !p.as_os_str().is_empty() => crate::sys::paths::expand_tilde(&p.to_string_lossy()),
        (_, Some(d)) if !d.as_os_str().is_empty() => d.join("activity.log"),
        _ => crate::engine::activity::default_path(&state_dir(global)),
    }
}

/// The activity log's rotation limits for every append this process makes.
pub fn init_activity_log(global: &Global) {
    crate::engine::activity::configure(crate::engine::activity::Limits {
        max_size: global.log_max_size,
        max_files: global.log_max_files,
    });
}

pub fn settings(global: &Global, r: &RefreshArgs, auto: bool) -> Settings {
    Settings {
        threshold: r.threshold,
        max_retry_attempts: r.max_retry_attempts,
        retry_backoff: r.retry_backoff,
        http: HttpSettings { connect_timeout: r.connect_timeout, timeout: r.timeout },
        auto,
        activity_log: activity_log(global),
        state_dir: state_dir(global),
        notify: crate::notify::Settings::from(&r.notify),
    }
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
pub fn refuse_unsafe_dirs(global: &Global) -> Result<(), u8> {
    for dir in [cache_dir(global), state_dir(global)] {
        if let Err(u) = crate::sys::guard::check_dir(&dir) {
            eprintln!("ssofresh: {u}");
            return Err(EXIT_USAGE);
        }
    }
    Ok(())
}

pub fn fail(e: &Error) -> u8 {
    eprintln!("ssofresh: {e}");
    e.exit_code()
}
