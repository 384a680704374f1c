//! One module per subcommand: each takes the resolved context and its own arguments, calls the
//! layers below, prints, and returns the process exit code.

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
use crate::cli::Command;
use crate::context::Context;
use crate::error::{Error, EXIT_OK, EXIT_RELOGIN, EXIT_TRANSIENT, EXIT_USAGE};
use crate::sys::paths::Paths;

/// Runs the command the command line named.
pub fn run(ctx: &Context, command: &Command) -> u8 {
    match command {
        Command::Tick(args) => tick::run(ctx, args),
        Command::Init(args) => init::run(ctx, args),
        Command::Hook(args) => hook::run(ctx, args),
        Command::Prompt(args) => prompt::run(ctx, args),
        Command::CredentialProcess(args) => credential_process::run(ctx, args),
        Command::Env(args) => env::run(ctx, args),
        Command::Configure(c) => configure::run(ctx, c),
        Command::Status(args) => status::run(ctx, args),
        Command::Log(args) => log::run(ctx, args),
        Command::Doctor(args) => doctor::run(ctx, args),
        Command::Login(args) => login::run(ctx, args),
        Command::Logout(args) => logout::run(ctx, args),
        Command::Notify(args) => notify::run(ctx, args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
    }
}

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
            eprintln!("ssofresh: {u}");
            return Err(EXIT_USAGE);
        }
    }
    Ok(())
}

/// Says what is wrong. Every `Error` is a usage or configuration problem: exit 2.
pub fn fail(e: &Error) -> u8 {
    eprintln!("ssofresh: {e}");
    EXIT_USAGE
}
