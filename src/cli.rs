//! The command line: every setting is a flag and an `SSOFRESH_*` variable.

use crate::notify::Backend;
use crate::units::parse_duration;
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "ssofresh",
    version,
    about = "Keeps AWS IAM Identity Center (SSO) tokens fresh, without a daemon",
    long_about = "Keeps AWS IAM Identity Center (SSO) tokens fresh, without a daemon.\n\n\
        Refreshes the access token in ~/.aws/sso/cache before it expires, through the refresh \
        token the last login left there, so tools that read the cache keep working until the \
        Identity Center session itself ends.\n\n\
        Exit codes: 0 all selected tokens valid (or refreshed), 1 transient failure (try again \
        later), 2 usage or configuration error, 3 a new login is required.",
    after_help = "Logging: SSOFRESH_LOG=debug (env_logger filter syntax). Tokens are never logged."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The AWS config file [default: ~/.aws/config]
    #[arg(long, global = true, env = "AWS_CONFIG_FILE", value_name = "PATH", hide_env_values = true)]
    pub config_file: Option<PathBuf>,
    /// The SSO token cache directory [default: ~/.aws/sso/cache]
    #[arg(long, global = true, env = "SSOFRESH_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// ssofresh's own state: locks, back-off, rejected tokens [default: $XDG_STATE_HOME/ssofresh]
    #[arg(long, global = true, env = "SSOFRESH_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Refresh every selected token that is due; for cron, timers and by hand
    Tick(TickArgs),
    /// Show the notification settings; `--test` sends a sample through them
    Notify(NotifyCmdArgs),
}

#[derive(Debug, Clone, Args)]
pub struct Selection {
    /// An sso-session to work on (repeatable, or a comma list) [default: every session with a cached token]
    #[arg(long = "session", short = 's', env = "SSOFRESH_SESSION", value_delimiter = ',', value_name = "NAME")]
    pub sessions: Vec<String>,
    /// A profile whose token to work on (repeatable, or a comma list)
    #[arg(long = "profile", short = 'p', env = "SSOFRESH_PROFILE", value_delimiter = ',', value_name = "NAME")]
    pub profiles: Vec<String>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.sessions.iter().chain(&self.profiles).all(|s| s.trim().is_empty())
    }
}

#[derive(Debug, Clone, Args)]
pub struct RefreshArgs {
    /// Refresh when less than this is left (1200, 20m, 1h); keep it above botocore's 15m
    #[arg(long, env = "SSOFRESH_THRESHOLD", default_value = "20m", value_parser = parse_duration, value_name = "DURATION")]
    pub threshold: Duration,
    /// How often a transient failure is retried
    #[arg(long, env = "SSOFRESH_MAX_RETRY_ATTEMPTS", default_value_t = 3, value_name = "N")]
    pub max_retry_attempts: u32,
    /// Pause before the first retry; each further retry waits one more of it
    #[arg(long, env = "SSOFRESH_RETRY_BACKOFF", default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub retry_backoff: Duration,
    /// Time allowed to connect to the endpoint
    #[arg(long, env = "SSOFRESH_CONNECT_TIMEOUT", default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub connect_timeout: Duration,
    /// Time allowed for a whole request (and the longest wait for another process's lock)
    #[arg(long, env = "SSOFRESH_TIMEOUT", default_value = "15s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    #[command(flatten)]
    pub notify: NotifyArgs,
}

/// How and when the user hears about a token that needs attention.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Notifications")]
pub struct NotifyArgs {
    /// Where notifications go: desktop, command or none [default: command if --notify-command is set, else desktop]
    // Listed in the line above: clap would otherwise build the list at every start to decide on
    // long help.
    #[arg(long = "notify", env = "SSOFRESH_NOTIFY", value_enum, value_name = "BACKEND", hide_possible_values = true)]
    pub backend: Option<Backend>,
    /// Run this through `sh -c` for each notification, with the event as JSON on stdin
    #[arg(long, env = "SSOFRESH_NOTIFY_COMMAND", value_name = "COMMAND", required_if_eq("backend", "command"))]
    pub notify_command: Option<String>,
    // The defaults below live in `notify::Settings::from`, not in clap: a default clap holds is
    // parsed at every start, and the no-op tick should not pay for settings it does not use.
    /// Sound of desktop notifications: default, a sound name (Glass, message-new-instant), or none [default: default]
    #[arg(long, env = "SSOFRESH_NOTIFY_SOUND", value_name = "SOUND")]
    pub notify_sound: Option<String>,
    /// Notify when a token was refreshed [default: false]
    #[arg(long, env = "SSOFRESH_NOTIFY_ON_SUCCESS", value_name = "BOOL", action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub notify_on_success: Option<bool>,
    /// Notify when a refresh failed, a token is about to expire, or a new login is required [default: true]
    #[arg(long, env = "SSOFRESH_NOTIFY_ON_ERROR", value_name = "BOOL", action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub notify_on_error: Option<bool>,
    /// Notify when a new login appears in the token cache [default: false]
    #[arg(long, env = "SSOFRESH_NOTIFY_ON_LOGIN", value_name = "BOOL", action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub notify_on_login: Option<bool>,
    /// Send the same event for the same session at most this often [default: 1h]
    #[arg(long, env = "SSOFRESH_NOTIFY_INTERVAL", value_parser = parse_duration, value_name = "DURATION")]
    pub notify_interval: Option<Duration>,
    /// Time one notification may take; a notify command still running then is killed [default: 5s]
    #[arg(long, env = "SSOFRESH_NOTIFY_TIMEOUT", value_parser = parse_duration, value_name = "DURATION")]
    pub notify_timeout: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct NotifyCmdArgs {
    /// Send a sample notification through the configured backend
    #[arg(long)]
    pub test: bool,
    /// The event the sample imitates [default: a plain test event]
    #[arg(long, value_enum, value_name = "EVENT", requires = "test")]
    pub event: Option<crate::notify::Kind>,
    /// The session the sample names
    #[arg(long, default_value = "example", value_name = "NAME", requires = "test")]
    pub session: String,
    #[command(flatten)]
    pub notify: NotifyArgs,
}

#[derive(Debug, Args)]
pub struct TickArgs {
    #[command(flatten)]
    pub selection: Selection,
    #[command(flatten)]
    pub refresh: RefreshArgs,
    /// Called automatically (prompt hook): skip the request while backing off after a failure
    #[arg(long)]
    pub auto: bool,
    /// Print nothing but problems
    #[arg(long, short = 'q')]
    pub quiet: bool,
}
