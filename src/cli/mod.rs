//! The command line: every setting is a flag and an `SSOFRESH_*` variable. Settings that
//! several commands share are declared once, as flattened groups (`Threshold`, `Timeouts`,
//! `Color`); `resolve` turns what was parsed into the settings the commands work with.

pub(crate) mod manpage;
pub(crate) mod resolve;

use crate::text::units::{parse_duration, parse_size};
use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};
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
        later), 2 usage or configuration error, 3 a new login is required. A reader that goes \
        away (`| head`) ends a command quietly with 0; what it did before stays done.",
    after_help = "Logging: SSOFRESH_LOG=debug (env_logger filter syntax). Tokens are never logged.\n\
        Proxy: HTTPS_PROXY (else ALL_PROXY) for the AWS endpoints, NO_PROXY for hosts that bypass it; \
        loopback endpoints never use a proxy, HTTP_PROXY is not used."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the command line. Building every subcommand's arguments costs more than a no-op
    /// tick (instructions, and memory for the code it touches), so the subcommands that run at
    /// every prompt or SDK call are parsed with a command that holds only their own arguments.
    /// Anything that is not a plain success there — help, version, an error — goes through the
    /// whole command, so users see exactly what they would otherwise.
    pub fn parse_fast() -> Cli {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        let only = |sub: clap::Command| {
            let cmd = Global::augment_args(clap::Command::new("ssofresh")).subcommand(sub);
            cmd.try_get_matches_from(&args).ok().and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m).ok())
        };
        let fast = match args.get(1).and_then(|a| a.to_str()) {
            Some("tick") => only(TickArgs::augment_args(clap::Command::new("tick"))),
            Some("credential-process") => only(RoleArgs::augment_args(clap::Command::new("credential-process"))),
            Some("hook") => only(HookArgs::augment_args(clap::Command::new("hook"))),
            Some("prompt") => only(PromptArgs::augment_args(clap::Command::new("prompt"))),
            _ => None,
        };
        fast.unwrap_or_else(<Cli as Parser>::parse)
    }
}

#[derive(Debug, Args)]
pub struct Global {
    /// The AWS config file: a regular file of at most 16 MiB [default: ~/.aws/config]
    #[arg(long, global = true, env = "AWS_CONFIG_FILE", value_name = "PATH", hide_env_values = true)]
    pub config_file: Option<PathBuf>,
    /// The SSO token cache directory [default: ~/.aws/sso/cache]
    #[arg(long, global = true, env = "SSOFRESH_CACHE_DIR", hide_env_values = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// ssofresh's own state: back-off, rejected tokens, memos [default: $XDG_STATE_HOME/ssofresh]
    #[arg(long, global = true, env = "SSOFRESH_STATE_DIR", hide_env_values = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// The activity log [default: activity.log in the state directory; macOS: ~/Library/Logs/ssofresh]
    #[arg(long, global = true, env = "SSOFRESH_LOG_FILE", hide_env_values = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Rotate the activity log before it grows past this size (10M, 512K; 0 never rotates)
    #[arg(long, global = true, env = "SSOFRESH_LOG_MAX_SIZE", hide_env_values = true, default_value = "10M", value_parser = parse_size, value_name = "SIZE")]
    pub log_max_size: u64,
    /// Activity log files kept, the current one included
    #[arg(long, global = true, env = "SSOFRESH_LOG_MAX_FILES", hide_env_values = true, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub log_max_files: u32,
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
    /// Print role credentials in the credential_process format (for ~/.aws/config)
    #[command(long_about = "Print role credentials in the credential_process format, for the \
        `credential_process` line of a profile in ~/.aws/config (see `ssofresh configure \
        credential-process`).\n\n\
        Role credentials are reused from the AWS CLI v2's cache (~/.aws/cli/cache) until less \
        than --window is left; the SSO token is refreshed first when it is inside --threshold. \
        Never opens a browser: when a login is needed it exits 3 and says which command to run.\n\n\
        Exit codes: 0 credentials printed, 1 transient failure (try again), 2 usage or \
        configuration error (unknown profile, no SSO settings, account or role not assigned to \
        you), 3 a new login is required.")]
    CredentialProcess(RoleArgs),
    /// Print role credentials as shell exports: eval "$(ssofresh env --profile dev)"
    Env(EnvArgs),
    /// Print configuration to paste into ~/.aws/config
    #[command(subcommand)]
    Configure(ConfigureCommand),
    /// Show each session's state: time left, refreshability, last refresh and login, activity
    Status(StatusArgs),
    /// Show the activity log (refreshes, logins, notifications); --follow to watch it
    Log(LogArgs),
    /// Check the setup (config, permissions, hooks, endpoints) and explain what is wrong
    Doctor(DoctorArgs),
    /// Sign in to an sso-session (in the browser, or with a device code) and cache the token
    Login(LoginArgs),
    /// Sign out at the SSO portal and remove the session's cached token and role credentials
    Logout(LogoutArgs),
    /// Show the notification settings; `--test` sends a sample through them
    Notify(NotifyCmdArgs),
    /// Print the shell completion script for bash, zsh, fish, PowerShell or elvish
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print the man page (roff): every command in one page, or one command's page
    #[command(after_help = "Install: ssofresh man > ~/.local/share/man/man1/ssofresh.1")]
    Man(ManArgs),
}

const COMPLETIONS_HELP: &str = "\
Install (then start a new shell):
  bash:        ssofresh completions bash > ~/.local/share/bash-completion/completions/ssofresh
  zsh:         ssofresh completions zsh > ~/.zfunc/_ssofresh   with fpath+=(~/.zfunc) before compinit
  fish:        ssofresh completions fish > ~/.config/fish/completions/ssofresh.fish
  PowerShell:  ssofresh completions powershell >> $PROFILE
  elvish:      ssofresh completions elvish >> ~/.config/elvish/rc.elv";

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Only this command's page, ssofresh-COMMAND(1) (`configure credential-process` for a nested one)
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct Selection {
    // The comma lists are split by `sessions()`/`profiles()`, not by clap, so that
    // `--exact-names` can keep a name with a comma whole.
    /// An sso-session to work on (repeatable, or a comma list) [default: every session with a cached token]
    #[arg(long = "session", short = 's', env = "SSOFRESH_SESSION", hide_env_values = true, value_name = "NAME")]
    pub sessions: Vec<String>,
    /// A profile whose token to work on (repeatable, or a comma list)
    #[arg(long = "profile", short = 'p', env = "SSOFRESH_PROFILE", hide_env_values = true, value_name = "NAME")]
    pub profiles: Vec<String>,
    /// The --session and --profile values are names as written, never comma lists (the command
    /// lines ssofresh writes add it for a name with a comma)
    // An Option without a default: a plain bool flag has one, which clap fills in at every
    // start, a cost the prompt hook would pay at every prompt.
    #[arg(long, hide = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true",
          value_parser = BoolishValueParser::new(), value_name = "BOOL")]
    pub exact_names: Option<bool>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.sessions().iter().chain(&self.profiles()).all(|s| s.trim().is_empty())
    }

    /// Every session named: each `--session` value, a comma list unless `--exact-names`.
    pub fn sessions(&self) -> Vec<String> {
        names(&self.sessions, self.exact_names.unwrap_or(false))
    }

    /// Every profile named: each `--profile` value, a comma list unless `--exact-names`.
    pub fn profiles(&self) -> Vec<String> {
        names(&self.profiles, self.exact_names.unwrap_or(false))
    }
}

fn names(values: &[String], exact: bool) -> Vec<String> {
    if exact {
        return values.to_vec();
    }
    values.iter().flat_map(|v| v.split(',')).map(str::to_string).collect()
}

// The shared groups below are flattened without an `ArgGroup` (`group(skip)`): nothing refers
// to one, and building one costs the no-op tick allocations at every prompt.

/// `--threshold`: when a token counts as due. Each command that takes it says in its own words
/// what the line means there (`mut_arg(THRESHOLD, …)`).
#[derive(Debug, Clone, Copy, Args)]
#[group(skip)]
pub struct Threshold {
    /// Refresh when less than this is left (1200, 20m, 1h); keep it above botocore's 15m
    #[arg(id = THRESHOLD, long = "threshold", env = "SSOFRESH_THRESHOLD", hide_env_values = true, default_value = "20m", value_parser = parse_duration, value_name = "DURATION")]
    pub value: Duration,
}

/// The argument id of `--threshold`.
pub const THRESHOLD: &str = "threshold";

/// `--connect-timeout` and `--timeout`, for every command that calls an endpoint.
#[derive(Debug, Clone, Copy, Args)]
#[group(skip)]
pub struct Timeouts {
    /// Time allowed to connect to the endpoint
    #[arg(long, env = "SSOFRESH_CONNECT_TIMEOUT", hide_env_values = true, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, from connecting to the answer's last byte (and the longest wait for another process's lock)
    #[arg(long, env = "SSOFRESH_TIMEOUT", hide_env_values = true, default_value = "15s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
}

/// `--color`, for every command that prints for people.
#[derive(Debug, Clone, Copy, Args)]
#[group(skip)]
pub struct Color {
    /// Colour and symbols: auto (on a terminal, unless NO_COLOR), always, never
    #[arg(
        id = "color",
        long = "color",
        env = "SSOFRESH_COLOR",
        hide_env_values = true,
        value_enum,
        default_value_t,
        value_name = "WHEN"
    )]
    pub when: ColorWhen,
}

/// `--color`: colour and symbols in what people read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// Colour and symbols on a terminal, unless NO_COLOR is set or TERM=dumb
    #[default]
    Auto,
    /// Colour and symbols even when piped
    Always,
    /// Plain ASCII text
    Never,
}

#[derive(Debug, Clone, Args)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub threshold: Threshold,
    /// How often a transient failure is retried
    #[arg(long, env = "SSOFRESH_MAX_RETRY_ATTEMPTS", hide_env_values = true, default_value_t = 3, value_name = "N")]
    pub max_retry_attempts: u32,
    /// Pause before the first retry; each further retry waits one more of it [default: 10s; 2s for `tick` on a terminal without --auto, where a person waits]
    #[arg(long, env = "SSOFRESH_RETRY_BACKOFF", hide_env_values = true, value_parser = parse_duration, value_name = "DURATION")]
    pub retry_backoff: Option<Duration>,
    #[command(flatten)]
    pub timeouts: Timeouts,
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
    pub backend: Option<NotifyBackend>,
    /// Run this through `sh -c` for each notification, with the event as JSON on stdin
    #[arg(long, env = "SSOFRESH_NOTIFY_COMMAND", value_name = "COMMAND", required_if_eq("backend", "command"))]
    pub notify_command: Option<String>,
    // The defaults below live in `resolve::notify`, not in clap: a default clap holds is parsed
    // at every start, and the no-op tick should not pay for settings it does not use.
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

/// `--notify`: where notifications go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NotifyBackend {
    /// macOS Notification Center; freedesktop notifications over D-Bus elsewhere
    Desktop,
    /// The command in SSOFRESH_NOTIFY_COMMAND, with the event as JSON on stdin
    Command,
    /// No notifications
    #[value(alias = "off")]
    None,
}

/// `notify --test --event`: the events a sample can imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum NotifyEvent {
    /// A token was refreshed
    Refreshed,
    /// A refresh failed (after its retries) and the token has expired
    RefreshFailed,
    /// A token that could not be refreshed has less than the threshold left
    ExpiringSoon,
    /// Only a new login helps: refresh token rejected, registration expired, session ended
    ReloginRequired,
    /// A new login appeared in the token cache
    LoginDetected,
}

#[derive(Debug, Args)]
pub struct NotifyCmdArgs {
    /// Send a sample notification through the configured backend
    #[arg(long)]
    pub test: bool,
    /// The event the sample imitates [default: a plain test event]
    #[arg(long, value_enum, value_name = "EVENT", requires = "test")]
    pub event: Option<NotifyEvent>,
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

const INIT_HELP: &str = "\
Shells (add to the rc file; PowerShell: to $PROFILE):
  zsh:   eval \"$(ssofresh init zsh)\"
  bash:  eval \"$(ssofresh init bash)\"
  fish:  ssofresh init fish | source
  pwsh:  ssofresh init powershell | Out-String | Invoke-Expression

Schedulers (for machines nobody types on):
  ssofresh init systemd --install    then run the command it prints
  ssofresh init launchd --install    then run the command it prints
  (crontab -l 2>/dev/null; ssofresh init cron) | crontab -
  ssofresh init schtasks --install   then run the command it prints";

const PROMPT_HELP: &str = "\
Format placeholders:
  {session}  the sso-session (or `profile NAME` for legacy profiles)
  {left}     time left: 42m, 1h5m, 2d3h, or `expired`
  {expires}  local expiry time, HH:MM
  {status}   {left}, or `⚠ login` / `⚠ error` when only you can fix it
  {icon}     `⚠` when only you can fix it, else empty
  {state}    ok, due, expired, login, legacy or error
  {{ and }}  literal braces";

/// What `init` prints: a shell hook or a scheduler entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InitTarget {
    Zsh,
    Bash,
    Fish,
    /// Windows PowerShell 5.1 and PowerShell 7
    #[value(alias = "pwsh")]
    Powershell,
    /// A systemd user .service and .timer
    Systemd,
    /// A macOS LaunchAgent plist
    Launchd,
    /// A crontab line
    Cron,
    /// A Windows Task Scheduler task (XML for schtasks /Create /XML)
    Schtasks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Zsh,
    Bash,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
#[command(mut_arg(THRESHOLD, |a| a.help("Refresh when less than this is left")))]
pub struct InitArgs {
    /// The shell or scheduler
    #[arg(value_enum)]
    pub target: InitTarget,
    #[command(flatten)]
    pub selection: Selection,
    #[command(flatten)]
    pub threshold: Threshold,
    /// Shells: never print re-login hints
    #[arg(long, env = "SSOFRESH_NO_HINTS", hide_env_values = true, action = clap::ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_hints: bool,
    /// Schedulers: how often to run `ssofresh tick`
    #[arg(long, env = "SSOFRESH_INTERVAL", hide_env_values = true, default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    pub interval: Duration,
    /// Schedulers: write the file where the scheduler looks for it and print the command that enables it
    #[arg(long)]
    pub install: bool,
}

#[derive(Debug, Args)]
#[command(mut_arg(THRESHOLD, |a| a.help("Refresh when less than this is left")))]
pub struct HookArgs {
    /// The shell that runs the hook
    #[arg(long, value_enum)]
    pub shell: Option<Shell>,
    #[command(flatten)]
    pub selection: Selection,
    #[command(flatten)]
    pub threshold: Threshold,
    /// Never print re-login hints
    #[arg(long, env = "SSOFRESH_NO_HINTS", hide_env_values = true, action = clap::ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_hints: bool,
    /// Print for how many seconds (at most 60) the next prompts need no check
    #[arg(long)]
    pub print_next: bool,
    /// The shell's own id (set by the hook `init` prints): each shell hears each hint once
    #[arg(long, value_name = "ID")]
    pub shell_id: Option<String>,
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
#[command(mut_arg(THRESHOLD, |a| a.help("A token with less than this left counts as due")))]
pub struct PromptArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// What to print per session (placeholders below)
    #[arg(
        long,
        env = "SSOFRESH_PROMPT_FORMAT",
        hide_env_values = true,
        default_value = "{session} {status}",
        value_name = "FORMAT"
    )]
    pub format: String,
    /// Between sessions
    #[arg(long, env = "SSOFRESH_PROMPT_SEPARATOR", hide_env_values = true, default_value = " ", value_name = "TEXT")]
    pub separator: String,
    /// `⚠` or `!`
    #[arg(long, env = "SSOFRESH_SYMBOLS", hide_env_values = true, value_enum, default_value = "auto")]
    pub symbols: Symbols,
    #[command(flatten)]
    pub threshold: Threshold,
}

/// Which role to get credentials for, and how long cached ones are good for.
#[derive(Debug, Clone, Args)]
// An SDK waits for credential-process: retry a failed request soon, not after tick's 10s.
#[command(mut_arg("retry_backoff", |a| a.default_value("1s")))]
pub struct RoleArgs {
    /// The SSO profile (sso_session or sso_start_url, sso_account_id, sso_role_name) [env: AWS_PROFILE]
    #[arg(long, short = 'p', value_name = "NAME", conflicts_with = "session")]
    pub profile: Option<String>,
    /// Without a profile: the sso-session to use (with --account-id and --role-name)
    #[arg(long, short = 's', value_name = "NAME")]
    pub session: Option<String>,
    /// The AWS account (overrides the profile's sso_account_id)
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// The permission set's role (overrides the profile's sso_role_name)
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,
    /// Reuse cached role credentials until less than this is left (the AWS CLI's own 15m)
    #[arg(long, env = "SSOFRESH_WINDOW", default_value = "15m", value_parser = parse_duration, value_name = "DURATION")]
    pub window: Duration,
    /// Neither read nor write the role-credential cache
    #[arg(long, env = "SSOFRESH_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
    /// The role-credential cache shared with the AWS CLI v2 [default: ~/.aws/cli/cache]
    #[arg(long, env = "SSOFRESH_ROLE_CACHE_DIR", value_name = "DIR")]
    pub role_cache_dir: Option<PathBuf>,
    #[command(flatten)]
    pub refresh: RefreshArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EnvFormat {
    /// export NAME='value' (bash, zsh, dash, ksh)
    Sh,
    /// set -gx NAME 'value'
    Fish,
    /// $Env:NAME = 'value'
    Powershell,
    /// {"NAME": "value", …}
    Json,
    /// NAME=value lines (docker --env-file, .env files)
    Dotenv,
}

#[derive(Debug, Clone, Args)]
pub struct EnvArgs {
    #[command(flatten)]
    pub role: RoleArgs,
    /// Output format
    #[arg(long, short = 'f', env = "SSOFRESH_ENV_FORMAT", value_enum, default_value = "sh")]
    pub format: EnvFormat,
}

#[derive(Debug, Subcommand)]
pub enum ConfigureCommand {
    /// Print a [profile NAME-cp] block whose credential_process runs this ssofresh
    CredentialProcess(ConfigureCredentialProcessArgs),
}

#[derive(Debug, Args)]
pub struct ConfigureCredentialProcessArgs {
    /// The SSO profile the new profile gets its credentials from [env: AWS_PROFILE]
    #[arg(long, short = 'p', value_name = "NAME")]
    pub profile: Option<String>,
    /// The new profile's name [default: PROFILE-cp]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "States: valid, expiring (inside the threshold; the next tick refreshes it), \
    expired_refreshable, relogin_required, not_logged_in, legacy (valid, never refreshable), \
    unreadable.\n\n\
    Exit codes: 0 shown (with --check: no selected session needs a login); 3 with --check: some \
    session needs a login (relogin_required, or not logged in when named or when none is); \
    2 configuration error, unreadable token cache (with --check), or no sso-session configured \
    (with --check).\n\n\
    Never refreshes and never uses the network.")]
#[command(mut_arg(THRESHOLD, |a| a.help("A token with less than this left counts as expiring")))]
pub struct StatusArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Print JSON for scripts (schema_version 1, documented in docs/status.md)
    #[arg(long)]
    pub json: bool,
    /// Print nothing but problems (on stderr); the exit code says whether a login is needed
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub threshold: Threshold,
    /// Activity lines shown per session (0 hides them)
    #[arg(long, env = "SSOFRESH_STATUS_ACTIVITY", hide_env_values = true, default_value_t = 3, value_name = "N")]
    pub activity: usize,
    #[command(flatten)]
    pub color: Color,
}

#[derive(Debug, Args)]
#[command(mut_arg("color", |a| a.help("Colour: auto (on a terminal, unless NO_COLOR), always, never")))]
pub struct LogArgs {
    /// How many of the last lines to show (0: none, e.g. with --follow)
    #[arg(long, short = 'n', default_value_t = 50, value_name = "N")]
    pub lines: usize,
    /// Keep printing lines as they are appended, across rotations (Ctrl-C stops)
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Print the raw JSON lines
    #[arg(long)]
    pub json: bool,
    /// Only lines about this session (or legacy profile); repeatable, or a comma list
    #[arg(long = "session", short = 's', value_delimiter = ',', value_name = "NAME")]
    pub sessions: Vec<String>,
    #[command(flatten)]
    pub color: Color,
}

#[derive(Debug, Args)]
#[command(after_help = "Exit codes: 0 nothing to fix, 1 findings (each with what to do), 2 usage error.")]
pub struct DoctorArgs {
    #[command(flatten)]
    pub color: Color,
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
#[command(mut_arg("timeout", |a| a.help("Time allowed for each request")))]
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
    #[command(flatten)]
    pub timeouts: Timeouts,
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
#[command(mut_arg("connect_timeout", |a| a.help("Time allowed to connect to the portal")))]
#[command(mut_arg("timeout", |a| a.help("Time allowed for the portal's answer (and the longest wait for a running refresh)")))]
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
    #[command(flatten)]
    pub timeouts: Timeouts,
}

/// `1200s`, `500ms`: a duration as a flag value `parse_duration` reads back, for the command
/// lines ssofresh writes (the hook's tick, scheduler entries).
pub fn duration_arg(d: Duration) -> String {
    crate::text::duration::show(d, crate::text::duration::Form::Flag)
}
