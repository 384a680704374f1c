//! The command line: every setting is a flag and an `SSOFRESH_*` variable.

use crate::units::parse_duration;
use clap::{Args, Parser, Subcommand};
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
    /// Print the prompt hook for a shell, or a scheduler entry that runs `tick`
    #[command(after_help = INIT_HELP)]
    Init(InitArgs),
    /// The prompt hook's check: local files only, starts a refresh in the background when due
    #[command(hide = true)]
    Hook(HookArgs),
    /// A short segment for the shell prompt: `corp 42m`, `corp ⚠ login`
    #[command(after_help = PROMPT_HELP)]
    Prompt(PromptArgs),
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

const INIT_HELP: &str = "\
Shells (add to the rc file):
  zsh:   eval \"$(ssofresh init zsh)\"
  bash:  eval \"$(ssofresh init bash)\"
  fish:  ssofresh init fish | source

Schedulers (for machines nobody types on):
  ssofresh init systemd --install   then run the command it prints
  ssofresh init launchd --install   then run the command it prints
  (crontab -l 2>/dev/null; ssofresh init cron) | crontab -";

const PROMPT_HELP: &str = "\
Format placeholders:
  {session}  the sso-session (or `profile NAME` for legacy profiles)
  {left}     time left: 42m, 1h5m, 2d3h, or `expired`
  {expires}  local expiry time, HH:MM
  {status}   {left}, or `⚠ login` / `⚠ error` when only you can fix it
  {icon}     `⚠` when only you can fix it, else empty
  {state}    ok, due, expired, login or error
  {{ and }}  literal braces";

/// What `init` prints: a shell hook or a scheduler entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InitTarget {
    Zsh,
    Bash,
    Fish,
    /// A systemd user .service and .timer
    Systemd,
    /// A macOS LaunchAgent plist
    Launchd,
    /// A crontab line
    Cron,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Zsh,
    Bash,
    Fish,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The shell or scheduler
    #[arg(value_enum)]
    pub target: InitTarget,
    #[command(flatten)]
    pub selection: Selection,
    /// Refresh when less than this is left [default: 20m]
    #[arg(long, env = "SSOFRESH_THRESHOLD", value_parser = parse_duration, value_name = "DURATION")]
    pub threshold: Option<Duration>,
    /// Shells: never print re-login hints
    #[arg(long, env = "SSOFRESH_NO_HINTS", action = clap::ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_hints: bool,
    /// Schedulers: how often to run `ssofresh tick`
    #[arg(long, env = "SSOFRESH_INTERVAL", default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub interval: Duration,
    /// Schedulers: write the file where the scheduler looks for it and print the command that enables it
    #[arg(long)]
    pub install: bool,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The shell that runs the hook
    #[arg(long, value_enum)]
    pub shell: Option<Shell>,
    #[command(flatten)]
    pub selection: Selection,
    /// Refresh when less than this is left
    #[arg(long, env = "SSOFRESH_THRESHOLD", default_value = "20m", value_parser = parse_duration, value_name = "DURATION")]
    pub threshold: Duration,
    /// Never print re-login hints
    #[arg(long, env = "SSOFRESH_NO_HINTS", action = clap::ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_hints: bool,
}

/// Which characters the prompt segment may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Symbols {
    /// Unicode when the locale is UTF-8, else ASCII
    Auto,
    Unicode,
    Ascii,
}

#[derive(Debug, Args)]
pub struct PromptArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// What to print per session (placeholders below)
    #[arg(long, env = "SSOFRESH_PROMPT_FORMAT", default_value = "{session} {status}", value_name = "FORMAT")]
    pub format: String,
    /// Between sessions
    #[arg(long, env = "SSOFRESH_PROMPT_SEPARATOR", default_value = " ", value_name = "TEXT")]
    pub separator: String,
    /// `⚠` or `!`
    #[arg(long, env = "SSOFRESH_SYMBOLS", value_enum, default_value = "auto")]
    pub symbols: Symbols,
    /// A token with less than this left counts as due
    #[arg(long, env = "SSOFRESH_THRESHOLD", default_value = "20m", value_parser = parse_duration, value_name = "DURATION")]
    pub threshold: Duration,
}
