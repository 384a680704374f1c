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
        Cli::fast(&args).unwrap_or_else(<Cli as Parser>::parse)
    }

    /// `parse_fast`'s parse with the subcommand's own arguments only; `None` for any other
    /// subcommand and for anything but a plain success.
    fn fast(args: &[std::ffi::OsString]) -> Option<Cli> {
        let only = |sub: clap::Command| {
            let cmd = Global::augment_args(clap::Command::new("ssofresh")).subcommand(sub);
            cmd.try_get_matches_from(args).ok().and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m).ok())
        };
        match args.get(1).and_then(|a| a.to_str()) {
            Some("tick") => only(TickArgs::augment_args(clap::Command::new("tick"))),
            Some("credential-process") => only(RoleArgs::augment_args(clap::Command::new("credential-process"))),
            Some("hook") => only(HookArgs::augment_args(clap::Command::new("hook"))),
            Some("prompt") => only(PromptArgs::augment_args(clap::Command::new("prompt"))),
            // At every TAB on a --profile or --session value.
            Some("complete-names") => only(CompleteNamesArgs::augment_args(clap::Command::new("complete-names"))),
            // Scripts and status bars poll it; all of clap's commands were a quarter of its work.
            Some("status") => only(StatusArgs::augment_args(clap::Command::new("status"))),
            _ => None,
        }
    }
}

/// The options every command takes, under their own heading in every command's help.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
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
    // The two defaults below live in `resolve::context`, not in clap: clap parses a default it
    // holds at every start, and every command (the prompt hook too) pays for these globals.
    /// Rotate the activity log before it grows past this size (10M, 512K; 0 never rotates) [default: 10M]
    #[arg(long, global = true, env = "SSOFRESH_LOG_MAX_SIZE", hide_env_values = true, value_parser = parse_size, value_name = "SIZE")]
    pub log_max_size: Option<u64>,
    /// Activity log files kept, the current one included [default: 5]
    #[arg(long, global = true, env = "SSOFRESH_LOG_MAX_FILES", hide_env_values = true, value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub log_max_files: Option<u32>,
}

/// In the order a user meets them: the help, the man page and the completion scripts list
/// them so.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in to an sso-session (in the browser, or with a device code) and cache the token
    Login(LoginArgs),
    /// Show each session's state: when the session ends, the token's time left, last refresh and login, activity
    Status(StatusArgs),
    /// Print the prompt hook for a shell, or a scheduler entry that runs `tick`
    #[command(after_help = INIT_HELP)]
    Init(InitArgs),
    /// Refresh every selected token that is due; for cron, timers and by hand
    // Help only: the prompt hook's ticks are parsed without it (`Cli::parse_fast`).
    #[command(long_about = "Refresh every selected token that is due; for cron, timers and by hand.\n\n\
        A token cache that another program holds open so that it cannot be replaced (on Windows: \
        a reader that does not share delete, such as Python's open()) is rewritten in place. When \
        that is refused too (a reader that does not share write), the refreshed token is kept \
        beside the cache, private (.<sha1>.ssofresh.pending), and the next tick puts it in place \
        without a new request, unless the cache holds a newer token by then; status and doctor \
        show it meanwhile.\n\n\
        Exit codes: 0 every selected token valid or refreshed, 1 transient failure (try again \
        later; a token kept for the next tick counts), 2 usage or configuration error, 3 a new \
        login is required.")]
    Tick(TickArgs),
    /// Write the config sections ssofresh needs: an sso-session, a profile per role, credential_process
    #[command(subcommand)]
    Configure(ConfigureCommand),
    /// Run a command with a profile's role credentials and region in its environment
    #[command(after_help = EXEC_HELP)]
    Exec(ExecArgs),
    /// Print role credentials as shell exports: eval "$(ssofresh env --profile dev)"
    Env(EnvArgs),
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
    /// A short segment for the shell prompt: `corp`, `corp 25m` (the session's last hour), `corp ⚠ login`
    #[command(after_help = PROMPT_HELP)]
    Prompt(PromptArgs),
    /// Show the activity log (refreshes, logins, notifications); --follow to watch it
    Log(LogArgs),
    /// Check the setup (config, permissions, hooks, endpoints) and explain what is wrong
    Doctor(DoctorArgs),
    /// Show the notification settings; `--test` sends a sample through them
    Notify(NotifyCmdArgs),
    /// Sign out at the SSO portal and remove the session's cached token and role credentials
    Logout(LogoutArgs),
    /// Print the shell completion script for bash, zsh, fish, PowerShell or elvish
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print the man page (roff): every command in one page, or one command's page
    #[command(after_help = "Install: ssofresh man > ~/.local/share/man/man1/ssofresh.1")]
    Man(ManArgs),
    /// The prompt hook's check: local files only, starts a refresh in the background when due
    #[command(hide = true)]
    Hook(HookArgs),
    /// The completion scripts' source of names: profiles or sessions in the config, one a line
    #[command(hide = true)]
    CompleteNames(CompleteNamesArgs),
}

#[derive(Debug, Args)]
pub struct CompleteNamesArgs {
    /// Which names
    #[arg(value_enum)]
    pub kind: NameKind,
}

/// What `complete-names` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NameKind {
    /// Profiles with SSO settings (what --profile takes)
    Profiles,
    /// sso-sessions
    Sessions,
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

/// `--session`/`--profile`: which tokens a command works on. What a command does without them
/// differs, and each says so in its own words: one struct per wording, made by this macro,
/// because rewording a flattened argument (`mut_arg`) costs the no-op tick at every run.
// The comma lists are split by `sessions()`/`profiles()`, not by clap, so that `--exact-names`
// can keep a name with a comma whole.
macro_rules! selection {
    ($(#[$meta:meta])* $name:ident, $session_help:literal, $profile_help:literal) => {
        selection!($(#[$meta])* $name, $session_help, $profile_help, Some("sso-session"));
    };
    ($(#[$meta:meta])* $name:ident, $session_help:literal, $profile_help:literal, $alias:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Args)]
        pub struct $name {
            #[doc = $session_help]
            #[arg(
                long = "session",
                visible_alias = $alias,
                short = 's',
                env = "SSOFRESH_SESSION",
                hide_env_values = true,
                value_name = "SESSION"
            )]
            pub sessions: Vec<String>,
            #[doc = $profile_help]
            #[arg(
                long = "profile",
                short = 'p',
                env = "SSOFRESH_PROFILE",
                hide_env_values = true,
                value_name = "PROFILE"
            )]
            pub profiles: Vec<String>,
            /// The --session and --profile values are names as written, never comma lists (the
            /// command lines ssofresh writes add it for a name with a comma)
            // An Option without a default: a plain bool flag has one, which clap fills in at
            // every start, a cost the prompt hook would pay at every prompt.
            #[arg(long, hide = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true",
                  value_parser = BoolishValueParser::new(), value_name = "BOOL")]
            pub exact_names: Option<bool>,
        }

        impl $name {
            /// Neither a session nor a profile named (blank names do not count).
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
    };
}

selection!(
    /// The prompt hook's selection: nobody types `hook`, so no alias to pay for at every prompt.
    Selection,
    "An sso-session to watch (repeatable, or a comma list) [default: every logged-in session]",
    "A profile whose session to watch (repeatable, or a comma list)",
    None::<&'static str>
);
selection!(
    TickSelection,
    "An sso-session to refresh (repeatable, or a comma list) [default: that of AWS_PROFILE, else every logged-in session]",
    "A profile whose session to refresh (repeatable, or a comma list)"
);
selection!(
    StatusSelection,
    "An sso-session to show (repeatable, or a comma list) [default: that of AWS_PROFILE, else every configured session]",
    "A profile whose session to show (repeatable, or a comma list)"
);
selection!(
    PromptSelection,
    "An sso-session to show (repeatable, or a comma list) [default: every logged-in session, that of AWS_PROFILE first]",
    "A profile whose session to show (repeatable, or a comma list)"
);
selection!(
    InitSelection,
    "An sso-session to keep fresh (repeatable, or a comma list) [default: every logged-in session]",
    "A profile whose session to keep fresh (repeatable, or a comma list)"
);

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

/// `--session-duration` and `--warn-before`: how long Identity Center sessions last and when
/// to warn before one ends, for every command that shows or acts on a session's end.
#[derive(Debug, Clone, Args)]
#[group(skip)]
pub struct SessionEnd {
    /// How long your Identity Center sessions last, as your administrator set it: 8h for every
    /// sso-session, NAME=12h for one (repeatable, or a comma list) [default: learned from past sessions, else 8h]
    #[arg(
        long = "session-duration",
        env = "SSOFRESH_SESSION_DURATION",
        hide_env_values = true,
        value_delimiter = ',',
        value_parser = parse_session_duration,
        value_name = "[NAME=]DURATION"
    )]
    pub durations: Vec<SessionDuration>,
    /// Warn this long before a session's estimated end (notification, prompt hint); `login` signs in again inside it [default: 30m]
    // The default lives in `resolve::horizon`: a default clap holds is parsed at every start.
    #[arg(long, env = "SSOFRESH_WARN_BEFORE", hide_env_values = true, value_parser = parse_duration, value_name = "DURATION")]
    pub warn_before: Option<Duration>,
}

/// One `--session-duration`: for one sso-session (`corp=12h`), or for every one (`8h`).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionDuration {
    pub session: Option<String>,
    pub duration: Duration,
}

fn parse_session_duration(s: &str) -> Result<SessionDuration, String> {
    let (session, d) = match s.rsplit_once('=') {
        Some((name, d)) if !name.trim().is_empty() => (Some(name.trim().to_string()), d),
        Some(_) => return Err(format!("'{s}' names no sso-session before '=' (examples: 8h, corp=12h)")),
        None => (None, s),
    };
    let duration = parse_duration(d)?;
    if duration < Duration::from_secs(60) {
        return Err(format!("'{s}': a session lasts at least a few minutes (examples: 8h, corp=12h)"));
    }
    Ok(SessionDuration { session, duration })
}

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
    pub session_end: SessionEnd,
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
    #[arg(
        long = "notify",
        env = "SSOFRESH_NOTIFY",
        hide_env_values = true,
        value_enum,
        value_name = "BACKEND",
        hide_possible_values = true
    )]
    pub backend: Option<NotifyBackend>,
    /// Run this through `sh -c` for each notification, with the event as JSON on stdin
    #[arg(
        long,
        env = "SSOFRESH_NOTIFY_COMMAND",
        hide_env_values = true,
        value_name = "COMMAND",
        required_if_eq("backend", "command")
    )]
    pub notify_command: Option<String>,
    // The defaults below live in `resolve::notify`, not in clap: a default clap holds is parsed
    // at every start, and the no-op tick should not pay for settings it does not use.
    /// Sound of desktop notifications: default, a sound name (Glass, message-new-instant), or none [default: default]
    #[arg(long, env = "SSOFRESH_NOTIFY_SOUND", hide_env_values = true, value_name = "SOUND")]
    pub notify_sound: Option<String>,
    /// Notify when a token was refreshed [default: false]
    #[arg(long, env = "SSOFRESH_NOTIFY_ON_SUCCESS", hide_env_values = true, value_name = "BOOL", action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub notify_on_success: Option<bool>,
    /// Notify when a refresh failed, a token is about to expire, or a new login is required [default: true]
    #[arg(long, env = "SSOFRESH_NOTIFY_ON_ERROR", hide_env_values = true, value_name = "BOOL", action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub notify_on_error: Option<bool>,
    /// Notify when a new login appears in the token cache [default: false]
    #[arg(long, env = "SSOFRESH_NOTIFY_ON_LOGIN", hide_env_values = true, value_name = "BOOL", action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub notify_on_login: Option<bool>,
    /// Notify once per login when the Identity Center session nears its estimated end (--warn-before) [default: true]
    #[arg(long, env = "SSOFRESH_NOTIFY_ON_SESSION_ENDING", hide_env_values = true, value_name = "BOOL", action = ArgAction::Set, num_args = 0..=1,
          default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub notify_on_session_ending: Option<bool>,
    /// Send the same event for the same session at most this often [default: 1h]
    #[arg(long, env = "SSOFRESH_NOTIFY_INTERVAL", hide_env_values = true, value_parser = parse_duration, value_name = "DURATION")]
    pub notify_interval: Option<Duration>,
    /// Time one notification may take; a notify command still running then is killed [default: 5s]
    #[arg(long, env = "SSOFRESH_NOTIFY_TIMEOUT", hide_env_values = true, value_parser = parse_duration, value_name = "DURATION")]
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
    /// The Identity Center session nears its estimated end: log in again now
    SessionEnding,
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
    #[arg(long, visible_alias = "sso-session", default_value = "example", value_name = "SESSION", requires = "test")]
    pub session: String,
    #[command(flatten)]
    pub notify: NotifyArgs,
}

/// Whether a flag of the commands that run at every prompt was given. Those flags are
/// `Option<bool>` (`Set` with no value, `true` when given, `None` when not) rather than `bool`
/// (`SetTrue`): a `SetTrue` flag holds the default `false`, which clap parses at every start,
/// about 20k instructions each, 3% of a no-op tick. (The field must say `Option<bool>` itself:
/// the derive reads the type's spelling.)
pub fn on(flag: Option<bool>) -> bool {
    flag == Some(true)
}

#[derive(Debug, Args)]
pub struct TickArgs {
    #[command(flatten)]
    pub selection: TickSelection,
    // The flags of the commands that run at every prompt are `Option<bool>`: see `on`.
    /// Every logged-in session, whatever --session, --profile and AWS_PROFILE say
    #[arg(long, action = ArgAction::Set, num_args = 0, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub all: Option<bool>,
    /// Called automatically (prompt hook, timers): skip the request while backing off after a
    /// failure; AWS_PROFILE does not select
    #[arg(long, action = ArgAction::Set, num_args = 0, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub auto: Option<bool>,
    /// Print nothing but problems
    #[arg(long, short = 'q', action = ArgAction::Set, num_args = 0, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub quiet: Option<bool>,
    // Last: the notification options that come with it go under their own heading.
    #[command(flatten)]
    pub refresh: RefreshArgs,
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
  {session_left}    time left in the Identity Center session (an estimate), or `ended`
  {session_ends}    the session's estimated end, local HH:MM
  {session_status}  nothing while the session has more than --show-within left, then
                    {session_left}; `⚠ login` / `⚠ error` when only you can fix it
  {{ and }}  literal braces

Default: {session} {session_status}, e.g. `corp`, `corp 25m`, `corp ⚠ login`.
The token's countdown as before: --format '{session} {status}'.
A session's part ends without trailing blanks; an empty part is left out.";

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
    pub selection: InitSelection,
    #[command(flatten)]
    pub threshold: Threshold,
    /// Shells: never print re-login hints
    #[arg(long, env = "SSOFRESH_NO_HINTS", hide_env_values = true, action = clap::ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_hints: bool,
    #[command(flatten)]
    pub session_end: SessionEnd,
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
    #[command(flatten)]
    pub session_end: SessionEnd,
    /// Print for how many seconds (at most 60) the next prompts need no check
    #[arg(long, action = ArgAction::Set, num_args = 0, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub print_next: Option<bool>,
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
    pub selection: PromptSelection,
    /// What to print per session (placeholders below)
    #[arg(
        long,
        env = "SSOFRESH_PROMPT_FORMAT",
        hide_env_values = true,
        default_value = "{session} {session_status}",
        value_name = "FORMAT"
    )]
    pub format: String,
    /// `{session_status}` shows the session's time left once less than this is left
    #[arg(long, env = "SSOFRESH_PROMPT_SHOW_WITHIN", hide_env_values = true, default_value = "1h", value_parser = parse_duration, value_name = "DURATION")]
    pub show_within: Duration,
    /// Between sessions
    #[arg(long, env = "SSOFRESH_PROMPT_SEPARATOR", hide_env_values = true, default_value = " ", value_name = "TEXT")]
    pub separator: String,
    /// `⚠` or `!` [default: auto]
    // No default in clap (it would be parsed at every prompt): `None` is `auto`.
    #[arg(long, env = "SSOFRESH_SYMBOLS", hide_env_values = true, value_enum)]
    pub symbols: Option<Symbols>,
    #[command(flatten)]
    pub threshold: Threshold,
    #[command(flatten)]
    pub session_end: SessionEnd,
}

/// Which role to get credentials for, and how long cached ones are good for.
#[derive(Debug, Clone, Args)]
// An SDK waits for credential-process: retry a failed request soon, not after tick's 10s.
#[command(mut_arg("retry_backoff", |a| a.default_value("1s")))]
pub struct RoleArgs {
    /// The SSO profile (sso_session or sso_start_url, sso_account_id, sso_role_name) [env: AWS_PROFILE]
    #[arg(long, short = 'p', value_name = "PROFILE", conflicts_with = "session")]
    pub profile: Option<String>,
    /// Without a profile: the sso-session to use (with --account-id and --role-name)
    #[arg(long, visible_alias = "sso-session", short = 's', value_name = "SESSION")]
    pub session: Option<String>,
    /// The AWS account (overrides the profile's sso_account_id)
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// The permission set's role (overrides the profile's sso_role_name)
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,
    /// Reuse cached role credentials until less than this is left (the AWS CLI's own 15m)
    #[arg(long, env = "SSOFRESH_WINDOW", hide_env_values = true, default_value = "15m", value_parser = parse_duration, value_name = "DURATION")]
    pub window: Duration,
    /// Neither read nor write the role-credential cache
    #[arg(long, env = "SSOFRESH_NO_CACHE", hide_env_values = true, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
    /// The role-credential cache shared with the AWS CLI v2 [default: ~/.aws/cli/cache]
    #[arg(long, env = "SSOFRESH_ROLE_CACHE_DIR", hide_env_values = true, value_name = "DIR")]
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

const EXEC_HELP: &str = "\
Examples:
  ssofresh exec --profile prod -- aws s3 ls
  ssofresh exec -p dev -- terraform plan
  AWS_PROFILE=dev ssofresh exec -- $SHELL      a shell with dev's credentials

The command gets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
AWS_CREDENTIAL_EXPIRATION, AWS_ACCOUNT_ID, AWS_REGION and AWS_DEFAULT_REGION (the profile's
region), and AWS_SSOFRESH_PROFILE; AWS_PROFILE and AWS_DEFAULT_PROFILE are removed, so the
credentials in the environment are the only ones it sees. ssofresh replaces itself with the
command (exec), so signals, job control and the exit status are the command's own.

Exit codes: the command's; before it starts, 1 transient failure, 2 usage or configuration
error (or already inside ssofresh exec), 3 a new login is required, 126 the command cannot be
run, 127 it was not found.";

#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    /// The command to run, after `--`, with its arguments
    #[arg(last = true, required = true, value_name = "COMMAND", value_parser = clap::value_parser!(std::ffi::OsString))]
    pub command: Vec<std::ffi::OsString>,
    // Last: the notification options that come with it go under their own heading.
    #[command(flatten)]
    pub role: RoleArgs,
}

#[derive(Debug, Clone, Args)]
pub struct EnvArgs {
    /// Output format
    #[arg(long, short = 'f', env = "SSOFRESH_ENV_FORMAT", hide_env_values = true, value_enum, default_value = "sh")]
    pub format: EnvFormat,
    // Last: the notification options that come with it go under their own heading.
    #[command(flatten)]
    pub role: RoleArgs,
}

#[derive(Debug, Subcommand)]
pub enum ConfigureCommand {
    /// Print (or --write) an [sso-session NAME] section: all that `ssofresh login NAME` needs
    #[command(after_help = SSO_SESSION_HELP)]
    SsoSession(ConfigureSsoSessionArgs),
    /// After a login: print (or --write) a profile for every account and role you can reach
    #[command(after_help = PROFILES_HELP)]
    Profiles(ConfigureProfilesArgs),
    /// Print (or --write) a profile whose credential_process runs this ssofresh
    CredentialProcess(ConfigureCredentialProcessArgs),
}

const SSO_SESSION_HELP: &str = "\
Example:
  ssofresh configure sso-session corp --start-url https://d-1234567890.awsapps.com/start \\
      --region eu-west-1 --write
  ssofresh login corp

--write adds the section to the config file, or updates its keys in place; every other line
stays as it was, the previous file is kept as config.ssofresh.bak, and a new file is created
0600. Exit codes: 0 printed or written, 2 invalid name, URL or region, or the file cannot be
written (it is then unchanged).";

const PROFILES_HELP: &str = "\
Profiles ssofresh writes carry `ssofresh_generated = true` (botocore ignores the key). --write
adds the missing profiles and updates those it wrote before; it never changes, renames or
removes any other profile (one that already points at the same account and role is kept as
yours), and running it again changes nothing. Delete the ssofresh_generated line to make a
profile yours.

Name placeholders: {account_name} {account_id} {role_name} {session}. Names keep letters,
digits and . _ - / + @; anything else becomes -. Two accounts that would share a name get
-ACCOUNT_ID appended.

Exit codes: 0 printed or written, 1 the portal could not be reached (try again), 2 usage or
configuration error, 3 not logged in (run ssofresh login).";

#[derive(Debug, Args)]
pub struct ConfigureSsoSessionArgs {
    /// The sso-session's name, the word you will log in with (corp, my-company)
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Your AWS access portal URL (https://d-1234567890.awsapps.com/start) [default: as configured]
    #[arg(long, visible_alias = "sso-start-url", value_name = "URL")]
    pub start_url: Option<String>,
    /// The region IAM Identity Center runs in (us-east-1, eu-west-1) [default: as configured]
    #[arg(long, visible_alias = "sso-region", value_name = "REGION")]
    pub region: Option<String>,
    /// Registration scopes, a comma list [default: as configured, else sso:account:access (needed for refresh tokens)]
    #[arg(long, visible_alias = "sso-registration-scopes", value_delimiter = ',', value_name = "SCOPES")]
    pub scopes: Vec<String>,
    /// Add the section to the config file (or update it), keeping everything else
    #[arg(long)]
    pub write: bool,
}

#[derive(Debug, Args)]
#[command(mut_arg(THRESHOLD, |a| a.help("Refresh the token first when less than this is left")))]
pub struct ConfigureProfilesArgs {
    /// The sso-session whose accounts and roles to list [default: that of AWS_PROFILE, else the only one]
    #[arg(value_name = "SESSION", conflicts_with = "session_flag")]
    pub session: Option<String>,
    /// The same, as a flag
    #[arg(id = "session_flag", long = "session", visible_alias = "sso-session", short = 's', value_name = "SESSION")]
    pub session_flag: Option<String>,
    /// The profiles' region [default: the session's sso_region]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// How to name each profile (placeholders below)
    #[arg(
        long,
        env = "SSOFRESH_PROFILE_TEMPLATE",
        hide_env_values = true,
        default_value = "{account_name}-{role_name}",
        value_name = "TEMPLATE"
    )]
    pub template: String,
    /// Add the missing profiles to the config file and update those ssofresh wrote before
    #[arg(long)]
    pub write: bool,
    #[command(flatten)]
    pub refresh: RefreshArgs,
}

#[derive(Debug, Args)]
pub struct ConfigureCredentialProcessArgs {
    /// The SSO profile the new profile gets its credentials from [env: AWS_PROFILE]
    #[arg(long, short = 'p', value_name = "PROFILE")]
    pub profile: Option<String>,
    /// The new profile's name [default: PROFILE-cp]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Add the profile to the config file, or replace the one ssofresh wrote before
    #[arg(long)]
    pub write: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "States: valid, expiring (inside the threshold; the next tick refreshes it), \
    expired_refreshable, relogin_required, not_logged_in, legacy (valid, never refreshable), \
    unreadable.\n\n\
    Exit codes: 0 shown (with --check: no selected session needs a login); 3 with --check: some \
    session needs a login (relogin_required, or not logged in when named or when none is); \
    2 configuration error, unreadable token cache (with --check), or no sso-session configured \
    (with --check).\n\n\
    An `unsaved` row (--json: kept_token) names a refreshed token that could not be written to \
    the cache and waits beside it for the next tick.\n\n\
    Never refreshes and never uses the network.")]
#[command(mut_arg(THRESHOLD, |a| a.help("A token with less than this left counts as expiring")))]
pub struct StatusArgs {
    #[command(flatten)]
    pub selection: StatusSelection,
    /// Every configured session, whatever --session, --profile and AWS_PROFILE say
    #[arg(long)]
    pub all: bool,
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
    pub session_end: SessionEnd,
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
    #[arg(long = "session", visible_alias = "sso-session", short = 's', value_delimiter = ',', value_name = "SESSION")]
    pub sessions: Vec<String>,
    #[command(flatten)]
    pub color: Color,
}

#[derive(Debug, Args)]
#[command(after_help = "Exit codes: 0 nothing to fix, 1 findings (each with what to do), 2 usage error.")]
pub struct DoctorArgs {
    #[command(flatten)]
    pub session_end: SessionEnd,
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
#[command(after_help = "While the session is logged in and not near its estimated end (--warn-before), \
    login says so and signs in only with --force; inside that window it signs in again, which starts a new \
    session. An access token that has expired is refreshed first: a session still alive needs no login.\n\n\
    Exit codes: 0 signed in (or already logged in), 1 transient failure (network, endpoint), 2 configuration \
    problem, 3 the sign-in was denied, expired or timed out. A second login for the same session waits for \
    the first and then reports its result. Nothing else ever starts a login: tick, the prompt hook and \
    credential-process only tell you to run this.")]
#[command(mut_arg("timeout", |a| a.help("Time allowed for each request")))]
pub struct LoginArgs {
    /// The sso-session to sign in to [default: that of AWS_PROFILE, else the only one]
    #[arg(value_name = "SESSION", conflicts_with = "profile")]
    pub session: Option<String>,
    /// The same, as a flag (the AWS CLI's --sso-session)
    #[arg(id = "session_flag", long = "session", visible_alias = "sso-session", short = 's', value_name = "SESSION", conflicts_with_all = ["session", "profile"])]
    pub session_flag: Option<String>,
    /// Sign in to the sso-session this profile uses (or to a legacy SSO profile)
    #[arg(long, short = 'p', value_name = "PROFILE")]
    pub profile: Option<String>,
    /// Sign in even while the session is valid and not near its estimated end
    #[arg(long)]
    pub force: bool,
    /// Sign in with a device code (same as --flow device-code)
    #[arg(long, env = "SSOFRESH_USE_DEVICE_CODE", hide_env_values = true)]
    pub use_device_code: bool,
    /// How to sign in
    #[arg(long, env = "SSOFRESH_LOGIN_FLOW", hide_env_values = true, value_enum, default_value_t = LoginFlow::Auto)]
    pub flow: LoginFlow,
    /// Print the sign-in URL instead of opening a browser (with --flow auto: use the device code)
    #[arg(long, env = "SSOFRESH_NO_BROWSER", hide_env_values = true)]
    pub no_browser: bool,
    /// How long to wait for the sign-in to be completed in the browser
    #[arg(long, env = "SSOFRESH_LOGIN_TIMEOUT", hide_env_values = true, default_value = "10m", value_parser = parse_duration, value_name = "DURATION")]
    pub login_timeout: Duration,
    #[command(flatten)]
    pub timeouts: Timeouts,
    #[command(flatten)]
    pub session_end: SessionEnd,
    /// Test only: multiplies the device flow's waits (interval, slow_down, expiry), e.g. 0.01
    #[arg(long, hide = true, env = "SSOFRESH_TEST_WAIT_SCALE", hide_env_values = true, default_value_t = 1.0, value_parser = parse_scale)]
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
    /// The same, as a flag (the AWS CLI's --sso-session)
    #[arg(id = "session_flag", long = "session", visible_alias = "sso-session", short = 's', value_name = "SESSION", conflicts_with_all = ["session", "profile", "all"])]
    pub session_flag: Option<String>,
    /// Sign out of the sso-session this profile uses (or of a legacy SSO profile)
    #[arg(long, short = 'p', value_name = "PROFILE", conflicts_with = "all")]
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast parse of each subcommand it takes says what the whole command says.
    #[test]
    fn the_fast_parse_is_the_whole_commands() {
        for line in [
            "tick",
            "tick --session corp --threshold 30m --auto",
            "credential-process --profile dev",
            "hook --shell zsh",
            "prompt --format {session}",
            "complete-names profiles",
            "status",
            "status --json",
            "status --check --session a,b --threshold 45m --config-file /x/config",
        ] {
            let args: Vec<std::ffi::OsString> =
                std::iter::once("ssofresh").chain(line.split(' ')).map(Into::into).collect();
            let fast = Cli::fast(&args).unwrap_or_else(|| panic!("no fast parse of {line:?}"));
            let whole = <Cli as Parser>::try_parse_from(&args).unwrap();
            assert_eq!(format!("{fast:?}"), format!("{whole:?}"), "{line}");
        }
        for line in ["status --help", "status --bogus", "status extra", "login corp"] {
            let args: Vec<std::ffi::OsString> =
                std::iter::once("ssofresh").chain(line.split(' ')).map(Into::into).collect();
            assert!(Cli::fast(&args).is_none(), "{line}");
        }
    }
}
