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
    /// Sign in to an sso-session (in the browser, or with a device code) and cache the token
    Login(LoginArgs),
    /// Sign out at the SSO portal and remove the session's cached token and role credentials
    Logout(LogoutArgs),
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

/// How `ssofresh login` signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LoginFlow {
    /// The browser flow when a browser can be opened here, else the device code
    Auto,
    /// A URL and a code to enter, in a browser on any device
    DeviceCode,
    /// Authorization code with PKCE: the browser on this machine returns to a loopback port
    AuthCode,
}

#[derive(Debug, Args)]
#[command(after_help = "Exit codes: 0 signed in, 1 transient failure (network, endpoint), 2 configuration problem, \
    3 the sign-in was denied, expired or timed out. A second login for the same session waits for the first \
    and then reports its result. Nothing else ever starts a login: tick, the prompt hook and \
    credential-process only tell you to run this.")]
pub struct LoginArgs {
    /// The sso-session to sign in to [default: that of AWS_PROFILE, else the only one]
    #[arg(value_name = "SESSION", conflicts_with = "profile")]
    pub session: Option<String>,
    /// Sign in to the sso-session this profile uses (or to a legacy SSO profile)
    #[arg(long, short = 'p', value_name = "NAME")]
    pub profile: Option<String>,
    /// Sign in with a device code (same as --flow device-code)
    #[arg(long, env = "SSOFRESH_USE_DEVICE_CODE")]
    pub use_device_code: bool,
    /// How to sign in
    #[arg(long, env = "SSOFRESH_LOGIN_FLOW", value_enum, default_value_t = LoginFlow::Auto)]
    pub flow: LoginFlow,
    /// Print the sign-in URL instead of opening a browser (with --flow auto: use the device code)
    #[arg(long, env = "SSOFRESH_NO_BROWSER")]
    pub no_browser: bool,
    /// How long to wait for the sign-in to be completed in the browser
    #[arg(long, env = "SSOFRESH_LOGIN_TIMEOUT", default_value = "10m", value_parser = parse_duration, value_name = "DURATION")]
    pub login_timeout: Duration,
    /// Time allowed to connect to the endpoint
    #[arg(long, env = "SSOFRESH_CONNECT_TIMEOUT", default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub connect_timeout: Duration,
    /// Time allowed for each request
    #[arg(long, env = "SSOFRESH_TIMEOUT", default_value = "15s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// Test only: multiplies the device flow's waits (interval, slow_down, expiry), e.g. 0.01
    #[arg(long, hide = true, env = "SSOFRESH_TEST_WAIT_SCALE", default_value_t = 1.0, value_parser = parse_scale)]
    pub test_wait_scale: f64,
}

fn parse_scale(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1.0 => Ok(v),
        _ => Err(format!("invalid scale '{s}' (a number in (0, 1])")),
    }
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The sso-session to sign out of [default: that of AWS_PROFILE, else the only one]
    #[arg(value_name = "SESSION", conflicts_with_all = ["profile", "all"])]
    pub session: Option<String>,
    /// Sign out of the sso-session this profile uses (or of a legacy SSO profile)
    #[arg(long, short = 'p', value_name = "NAME", conflicts_with = "all")]
    pub profile: Option<String>,
    /// Every session and legacy profile with a cached token, and every cached SSO role
    /// credential (what `aws sso logout` does)
    #[arg(long)]
    pub all: bool,
    /// Time allowed to connect to the portal
    #[arg(long, env = "SSOFRESH_CONNECT_TIMEOUT", default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub connect_timeout: Duration,
    /// Time allowed for the portal's answer (and the longest wait for a running refresh)
    #[arg(long, env = "SSOFRESH_TIMEOUT", default_value = "15s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
}
