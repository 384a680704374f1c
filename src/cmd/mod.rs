//! One module per subcommand: each takes the resolved context and its own arguments, calls the
//! layers below, prints, and returns the process exit code. Commands do not call each other;
//! what several share (loading the config, exit codes, the role credentials of
//! `credential-process` and `env`, writing to stdout) is in `common`.

pub(crate) mod common;
pub mod complete_names;
pub mod completions;
pub mod configure;
pub mod credential_process;
pub mod doctor;
pub mod env;
pub mod exec;
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

use crate::cli::Command;
use crate::context::Context;

/// Runs the command the command line named.
pub fn run(ctx: &Context, command: &Command) -> u8 {
    match command {
        Command::Tick(args) => tick::run(ctx, args),
        Command::Init(args) => init::run(ctx, args),
        Command::Hook(args) => hook::run(ctx, args),
        Command::Prompt(args) => prompt::run(ctx, args),
        Command::CredentialProcess(args) => credential_process::run(ctx, args),
        Command::Env(args) => env::run(ctx, args),
        Command::Exec(args) => exec::run(ctx, args),
        Command::Configure(c) => configure::run(ctx, c),
        Command::Status(args) => status::run(ctx, args),
        Command::Log(args) => log::run(ctx, args),
        Command::Doctor(args) => doctor::run(ctx, args),
        Command::Login(args) => login::run(ctx, args),
        Command::Logout(args) => logout::run(ctx, args),
        Command::Notify(args) => notify::run(ctx, args),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::CompleteNames(args) => complete_names::run(ctx, args),
    }
}
