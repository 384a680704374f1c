//! The command line: every setting is a flag and an `SSOFRESH_*` variable.

use crate::units::parse_duration;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "ssofresh",
    version = env!("SSOFRESH_VERSION"),
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
    #[arg(long, global = true, env = "SSOFRESH_CACHE_DIR", hide_env_values = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// ssofresh's own state: locks, back-off, rejected tokens [default: $XDG_STATE_HOME/ssofresh]
    #[arg(long, global = true, env = "SSOFRESH_STATE_DIR", hide_env_values = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Refresh every selected token that is due; for cron, timers and by hand
    Tick(TickArgs),
}

#[derive(Debug, Clone, Args)]
pub struct Selection {
    /// An sso-session to work on (repeatable, or a comma list) [default: every session with a cached token]
    #[arg(long = "session", short = 's', env = "SSOFRESH_SESSION", hide_env_values = true, value_delimiter = ',', value_name = "NAME")]
    pub sessions: Vec<String>,
    /// A profile whose token to work on (repeatable, or a comma list)
    #[arg(long = "profile", short = 'p', env = "SSOFRESH_PROFILE", hide_env_values = true, value_delimiter = ',', value_name = "NAME")]
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
    #[arg(long, env = "SSOFRESH_THRESHOLD", hide_env_values = true, default_value = "20m", value_parser = parse_duration, value_name = "DURATION")]
    pub threshold: Duration,
    /// How often a transient failure is retried
    #[arg(long, env = "SSOFRESH_MAX_RETRY_ATTEMPTS", hide_env_values = true, default_value_t = 3, value_name = "N")]
    pub max_retry_attempts: u32,
    /// Pause before the first retry; each further retry waits one more of it
    #[arg(long, env = "SSOFRESH_RETRY_BACKOFF", hide_env_values = true, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub retry_backoff: Duration,
    /// Time allowed to connect to the endpoint
    #[arg(long, env = "SSOFRESH_CONNECT_TIMEOUT", hide_env_values = true, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub connect_timeout: Duration,
    /// Time allowed for a whole request (and the longest wait for another process's lock)
    #[arg(long, env = "SSOFRESH_TIMEOUT", hide_env_values = true, default_value = "15s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
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
